/* verify: content verification into the hash store.  See verify.h. */
#include "verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "pem.h"
#include "x509_chain.h"
#include "x509_read.h"

#define VERIFY_CHUNK 65536

/* 64 hex digits, any case, into lower case: 0 or -EINVAL. */
static int
sha_norm(const char *in, char out[65])
{
	size_t i;

	if (!in)
		return -EINVAL;
	for (i = 0; i < 64; i++) {
		char c = in[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
		out[i] = c;
	}
	if (in[64] != '\0')
		return -EINVAL;
	out[64] = '\0';
	return 0;
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int
verify_path(const char *store_dir, const char *sha256_hex, char *out, size_t cap)
{
	char sha[65];
	int n;

	if (sha_norm(sha256_hex, sha) < 0)
		return -EINVAL;
	n = snprintf(out, cap, "%s/%s", store_dir, sha);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

bool
verify_have(const char *store_dir, const char *sha256_hex)
{
	char path[VERIFY_PATH_MAX];
	struct stat st;

	if (verify_path(store_dir, sha256_hex, path, sizeof(path)) < 0)
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Opens path exclusively and locks it; replaces a stale file once. */
static int
open_tmp(const char *path)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), old;

		if (fd >= 0) {
			if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
				int r = -errno;

				close(fd);
				return r;
			}
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
		old = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (old < 0)
			continue;  /* gone meanwhile: try again */
		if (flock(old, LOCK_EX | LOCK_NB) < 0) {
			close(old);
			return -EBUSY;
		}
		unlink(path);  /* stale: left by a verify that died */
		close(old);
	}
	return -EBUSY;
}

int
verify_begin(struct verify *v, int fd, const char *store_dir, const char *sha256_hex,
	     uint64_t max_size, char *err, size_t errsz)
{
	int n, rc;

	memset(v, 0, sizeof(*v));
	v->out_fd = -1;
	v->in_fd = fd;
	if (sha_norm(sha256_hex, v->sha) < 0) {
		snprintf(err, errsz, "content: SHA-256 '%.70s' is not 64 hex digits",
			 sha256_hex ? sha256_hex : "");
		return -EINVAL;
	}
	n = snprintf(v->store_dir, sizeof(v->store_dir), "%s", store_dir);
	if (n < 0 || (size_t)n >= sizeof(v->store_dir) - 70) {
		snprintf(err, errsz, "content %s: store folder name too long", v->sha);
		return -ENAMETOOLONG;
	}
	snprintf(v->tmp_path, sizeof(v->tmp_path), "%s/%s.tmp", store_dir, v->sha);
	v->max_size = max_size;
	v->in_pipe = lseek(fd, 0, SEEK_CUR) < 0;
	rc = open_tmp(v->tmp_path);
	if (rc < 0) {
		if (rc == -EBUSY)
			snprintf(err, errsz, "content %s: being verified already", v->sha);
		else
			snprintf(err, errsz, "content %s: cannot create %s: %s", v->sha,
				 v->tmp_path, strerror(-rc));
		return rc;
	}
	v->out_fd = rc;
	br_sha256_init(&v->hash);
	return 0;
}

void
verify_abort(struct verify *v)
{
	if (v->out_fd >= 0) {
		unlink(v->tmp_path);  /* before close: the lock keeps it ours */
		close(v->out_fd);
		v->out_fd = -1;
	}
}

static int
fail(struct verify *v, int rc, const char *fmt, const char *a, const char *b)
{
	snprintf(v->err, sizeof(v->err), fmt, v->sha, a, b);
	verify_abort(v);
	return rc;
}

static int
write_error(struct verify *v, int rc)
{
	if (rc == -ENOSPC || rc == -EDQUOT)
		return fail(v, -ENOSPC, "content %s: disk full writing %s%s", v->tmp_path, "");
	return fail(v, rc, "content %s: writing %s: %s", v->tmp_path, strerror(-rc));
}

static int
finish(struct verify *v)
{
	uint8_t got[32];
	char gothex[65], final[VERIFY_PATH_MAX];
	int dfd;

	br_sha256_out(&v->hash, got);
	hex(got, 32, gothex);
	if (strcmp(gothex, v->sha) != 0)
		return fail(v, -EBADMSG, "content %s: SHA-256 mismatch: got %s%s", gothex, "");
	if (fsync(v->out_fd) < 0)
		return write_error(v, -errno);
	snprintf(final, sizeof(final), "%s/%s", v->store_dir, v->sha);
	if (rename(v->tmp_path, final) < 0) {
		int r = -errno;

		return fail(v, r, "content %s: rename to %s: %s", final, strerror(-r));
	}
	close(v->out_fd);
	v->out_fd = -1;
	dfd = open(v->store_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int
verify_step(struct verify *v, size_t budget_bytes)
{
	uint8_t buf[VERIFY_CHUNK];
	size_t spent = 0;

	if (v->out_fd < 0) {
		snprintf(v->err, sizeof(v->err), "content %s: not being verified", v->sha);
		return -EINVAL;
	}
	for (;;) {
		ssize_t n;
		int rc;

		if (v->in_pipe)
			n = read(v->in_fd, buf, sizeof(buf));
		else
			n = pread(v->in_fd, buf, sizeof(buf), (off_t)v->done);
		if (n < 0) {
			int r = -errno;

			if (r == -EINTR)
				continue;
			if (r == -ESPIPE && !v->in_pipe) {
				v->in_pipe = true;
				continue;
			}
			return fail(v, r, "content %s: reading the download: %s%s", strerror(-r), "");
		}
		if (n == 0)
			return finish(v);
		if (v->max_size && v->done + (uint64_t)n > v->max_size) {
			char lim[32];

			snprintf(lim, sizeof(lim), "%llu", (unsigned long long)v->max_size);
			return fail(v, -EFBIG, "content %s: larger than its maximum size of %s "
				    "bytes%s", lim, "");
		}
		br_sha256_update(&v->hash, buf, (size_t)n);
		rc = fdio_write_all(v->out_fd, buf, (size_t)n);
		if (rc < 0)
			return write_error(v, rc);
		v->done += (uint64_t)n;
		spent += (size_t)n;
		if (spent >= budget_bytes)
			return 1;
	}
}

static bool
is_sha_name(const char *s, size_t len)
{
	char tmp[65];

	if (len != 64)
		return false;
	memcpy(tmp, s, 64);
	tmp[64] = '\0';
	return sha_norm(tmp, tmp) == 0 && memcmp(tmp, s, 64) == 0;
}

int
verify_store_gc(const char *store_dir, const char *const keep[], size_t n)
{
	DIR *d = opendir(store_dir);
	struct dirent *e;
	int removed = 0, dfd;

	if (!d)
		return -errno;
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		bool kept = false;

		if (len == 68 && strcmp(e->d_name + 64, ".tmp") == 0 && is_sha_name(e->d_name, 64)) {
			int fd = openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

			if (fd < 0)
				continue;
			if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlinkat(dfd, e->d_name, 0) == 0)
				removed++;
			close(fd);
			continue;
		}
		if (!is_sha_name(e->d_name, len))
			continue;
		for (size_t i = 0; i < n && !kept; i++)
			kept = keep[i] && strcasecmp(keep[i], e->d_name) == 0;
		if (!kept && unlinkat(dfd, e->d_name, 0) == 0)
			removed++;
	}
	if (removed)
		fsync(dfd);
	closedir(d);
	return removed;
}

/* raw r||s of either encoding into raw[64]: 0 or -EBADMSG. */
static int
sig_to_raw(const uint8_t *sig, size_t len, uint8_t raw[SIGNER_SIG_LEN])
{
	uint8_t buf[80];
	size_t r, half;

	if (len < 8 || len > sizeof(buf) || sig[0] != 0x30)
		return -EBADMSG;
	memcpy(buf, sig, len);
	r = br_ecdsa_asn1_to_raw(buf, len);
	if (r == 0 || r % 2 || r > SIGNER_SIG_LEN)
		return -EBADMSG;
	half = r / 2;
	memset(raw, 0, SIGNER_SIG_LEN);
	memcpy(raw + 32 - half, buf, half);
	memcpy(raw + 64 - half, buf + half, half);
	return 0;
}

int
verify_signature(const uint8_t sha[32], const uint8_t *sig, size_t siglen,
		 const char *signer_pem, size_t signer_len, const char *inter_pem,
		 size_t inter_len, const char *roots_pem, size_t roots_len, time_t now,
		 char *err, size_t errsz)
{
	const size_t cap = (2 * VERIFY_SIG_CERTS_MAX + 1) * X509_DER_MAX;
	const uint8_t *ider[VERIFY_SIG_CERTS_MAX], *rder[VERIFY_SIG_CERTS_MAX];
	size_t ilen[VERIFY_SIG_CERTS_MAX], rlen[VERIFY_SIG_CERTS_MAX], ni = 0, nr = 0, sl;
	struct x509_cert signer, pool[VERIFY_SIG_CERTS_MAX];
	uint8_t *store = malloc(cap), raw[SIGNER_SIG_LEN];
	char e[X509_ERR_MAX + 200];
	int rc;

	if (!store) {
		snprintf(err, errsz, "signature: out of memory");
		return -ENOMEM;
	}
	rc = pem_decode_first(signer_pem, signer_len, "CERTIFICATE", store, X509_DER_MAX, &sl, e,
			      sizeof(e));
	if (rc == 0)
		rc = x509_cert_parse(store, sl, &signer, e, sizeof(e));
	if (rc < 0) {
		snprintf(err, errsz, "signature: signing certificate: %s", e);
		rc = -EBADMSG;
		goto out;
	}
	if (inter_len) {
		rc = x509_chain_load_pem(inter_pem, inter_len, store + X509_DER_MAX,
					 VERIFY_SIG_CERTS_MAX * X509_DER_MAX, ider, ilen,
					 VERIFY_SIG_CERTS_MAX, &ni, e, sizeof(e));
		for (size_t i = 0; rc == 0 && i < ni; i++)
			rc = x509_cert_parse(ider[i], ilen[i], &pool[i], e, sizeof(e));
		if (rc < 0) {
			snprintf(err, errsz, "signature: intermediate certificate: %s", e);
			rc = -EBADMSG;
			goto out;
		}
	}
	rc = x509_chain_load_pem(roots_pem, roots_len, store + (1 + VERIFY_SIG_CERTS_MAX) * X509_DER_MAX,
				 VERIFY_SIG_CERTS_MAX * X509_DER_MAX, rder, rlen,
				 VERIFY_SIG_CERTS_MAX, &nr, e, sizeof(e));
	if (rc < 0 || nr == 0) {
		snprintf(err, errsz, "signature: root certificates: %s",
			 rc < 0 ? e : "no CERTIFICATE");
		rc = rc < 0 ? -EBADMSG : -ENOENT;
		goto out;
	}
	if (signer.has_key_usage && !(signer.key_usage & X509_KU_DIGITAL_SIGNATURE)) {
		snprintf(err, errsz, "signature: certificate '%.64s' may not sign (KeyUsage "
			 "without digitalSignature)", signer.subject_cn);
		rc = -EKEYREJECTED;
		goto out;
	}
	rc = x509_chain_check(&signer, pool, ni, rder, rlen, nr, now, e, sizeof(e));
	if (rc < 0) {
		snprintf(err, errsz, "signature: signing certificate %s", e);
		goto out;
	}
	rc = -EBADMSG;
	if (siglen == SIGNER_SIG_LEN && x509_ecdsa_p256_verify(signer.pub, sha, sig) == 0)
		rc = 0;
	else if (sig_to_raw(sig, siglen, raw) == 0 &&
		 x509_ecdsa_p256_verify(signer.pub, sha, raw) == 0)
		rc = 0;
	if (rc < 0)
		snprintf(err, errsz, "signature: does not verify with the key of '%.64s'",
			 signer.subject_cn);
out:
	free(store);
	return rc;
}
