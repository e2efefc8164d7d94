/*
 * Unit tests: dom0/apps/verify with real files in a temp dir: a good blob
 * lands in the store by hash; a wrong hash, an oversize or truncated file,
 * a full disk (a small tmpfs) leave nothing behind; the copy is what was
 * hashed; gc keeps what is referenced.  Signatures with certificates made
 * here by dom0/x509's writer: good (raw and DER), wrong key, expired, wrong
 * root, missing intermediate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "idkey.h"
#include "pem.h"
#include "verify.h"
#include "x509_write.h"

static char dir[] = "/tmp/test-verify.XXXXXX";
static char store[128];

static int
setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(store, sizeof(store), "%s/store", dir);
	return mkdir(store, 0700);
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void
sha_hex(const uint8_t *d, size_t n, char out[65])
{
	br_sha256_context c;
	uint8_t h[32];

	br_sha256_init(&c);
	br_sha256_update(&c, d, n);
	br_sha256_out(&c, h);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

/* A file of n pattern bytes (seeded) in dir; returns its hash. */
static void
make_file(const char *name, size_t n, unsigned seed, char sha[65], uint8_t **data)
{
	char path[256];
	uint8_t *b = malloc(n);
	FILE *f;

	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(((i + seed * 1000003u) * 2654435761u) >> 13);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
	sha_hex(b, n, sha);
	if (data)
		*data = b;
	else
		free(b);
}

static int
open_in(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	return fd;
}

static int
run(struct verify *v, size_t budget, int *steps)
{
	int rc;

	*steps = 0;
	while ((rc = verify_step(v, budget)) == 1)
		(*steps)++;
	return rc;
}

static bool
exists(const char *d, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", d, name);
	return stat(path, &st) == 0;
}

static void
test_good_blob_lands_by_hash(void **state)
{
	struct verify v;
	char sha[65], err[VERIFY_ERR_MAX], path[VERIFY_PATH_MAX], tmpname[80];
	uint8_t *data, *back;
	size_t n = 300000;
	int fd, steps;
	FILE *f;

	(void)state;
	make_file("good", n, 1, sha, &data);
	fd = open_in("good");
	assert_false(verify_have(store, sha));
	assert_int_equal(verify_begin(&v, fd, store, sha, n, err, sizeof(err)), 0);
	snprintf(tmpname, sizeof(tmpname), "%s.tmp", sha);
	assert_true(exists(store, tmpname));
	assert_int_equal(run(&v, 65536, &steps), 0);
	assert_true(steps >= 4);  /* incremental: 300000 bytes in 64 KiB steps */
	close(fd);
	assert_true(verify_have(store, sha));
	assert_false(exists(store, tmpname));
	assert_int_equal(verify_path(store, sha, path, sizeof(path)), 0);
	back = malloc(n + 1);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(back, 1, n + 1, f), n);
	fclose(f);
	assert_memory_equal(back, data, n);
	free(back);
	free(data);
}

static void
test_upper_case_hash_and_pipe_input(void **state)
{
	struct verify v;
	char sha[65], up[65], err[VERIFY_ERR_MAX];
	const char msg[] = "a small blob through a pipe";
	int p[2], steps;

	(void)state;
	sha_hex((const uint8_t *)msg, strlen(msg), sha);
	for (int i = 0; i < 65; i++)
		up[i] = (char)(sha[i] >= 'a' && sha[i] <= 'f' ? sha[i] - 32 : sha[i]);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], msg, strlen(msg)), (ssize_t)strlen(msg));
	close(p[1]);
	assert_int_equal(verify_begin(&v, p[0], store, up, 0, err, sizeof(err)), 0);
	assert_int_equal(run(&v, 1, &steps), 0);
	close(p[0]);
	assert_true(verify_have(store, sha));
	assert_true(verify_have(store, up));
}

static void
test_mismatch_removes_the_copy(void **state)
{
	struct verify v;
	char sha[65], other[65], err[VERIFY_ERR_MAX], want[200], tmpname[80];
	int fd, steps;

	(void)state;
	make_file("bad", 5000, 2, sha, NULL);
	make_file("other", 10, 3, other, NULL);
	fd = open_in("bad");
	assert_int_equal(verify_begin(&v, fd, store, other, 0, err, sizeof(err)), 0);
	assert_int_equal(run(&v, 1 << 20, &steps), -EBADMSG);
	close(fd);
	snprintf(want, sizeof(want), "content %s: SHA-256 mismatch: got %s", other, sha);
	assert_string_equal(v.err, want);
	assert_false(verify_have(store, other));
	assert_false(verify_have(store, sha));
	snprintf(tmpname, sizeof(tmpname), "%s.tmp", other);
	assert_false(exists(store, tmpname));
	verify_abort(&v);  /* harmless after the end */
}

static void
test_oversize_and_truncated(void **state)
{
	struct verify v;
	char sha[65], err[VERIFY_ERR_MAX];
	int fd, steps;

	(void)state;
	make_file("big", 200000, 4, sha, NULL);
	fd = open_in("big");
	assert_int_equal(verify_begin(&v, fd, store, sha, 100000, err, sizeof(err)), 0);
	assert_int_equal(run(&v, 1 << 20, &steps), -EFBIG);
	assert_non_null(strstr(v.err, "larger than its maximum size of 100000 bytes"));
	assert_false(verify_have(store, sha));
	/* the same file cut short: a mismatch, never used */
	assert_int_equal(ftruncate(fd, 150000), 0);
	assert_int_equal(verify_begin(&v, fd, store, sha, 200000, err, sizeof(err)), 0);
	assert_int_equal(run(&v, 1 << 20, &steps), -EBADMSG);
	assert_non_null(strstr(v.err, "SHA-256 mismatch"));
	assert_false(verify_have(store, sha));
	close(fd);
}

static void
test_the_copy_is_what_was_hashed(void **state)
{
	struct verify v;
	char sha[65], err[VERIFY_ERR_MAX], path[VERIFY_PATH_MAX];
	uint8_t *data, first[4096];
	int fd, steps, sfd;

	(void)state;
	make_file("changing", 200000, 5, sha, &data);
	fd = open_in("changing");
	assert_int_equal(verify_begin(&v, fd, store, sha, 0, err, sizeof(err)), 0);
	assert_int_equal(verify_step(&v, 1), 1);  /* one 64 KiB chunk copied */
	/* the download role rewrites what was already read */
	memset(first, 'X', sizeof(first));
	assert_int_equal(pwrite(fd, first, sizeof(first), 0), (ssize_t)sizeof(first));
	assert_int_equal(run(&v, 1 << 20, &steps), 0);
	close(fd);
	assert_int_equal(verify_path(store, sha, path, sizeof(path)), 0);
	sfd = open(path, O_RDONLY);
	assert_true(sfd >= 0);
	assert_int_equal(read(sfd, first, sizeof(first)), (ssize_t)sizeof(first));
	close(sfd);
	assert_memory_equal(first, data, sizeof(first));
	free(data);
}

static void
test_busy_and_stale_tmp(void **state)
{
	struct verify v, w;
	char sha[65], err[VERIFY_ERR_MAX], path[VERIFY_PATH_MAX + 8];
	int fd, steps;
	FILE *f;

	(void)state;
	make_file("busy", 1000, 6, sha, NULL);
	fd = open_in("busy");
	assert_int_equal(verify_begin(&v, fd, store, sha, 0, err, sizeof(err)), 0);
	assert_int_equal(verify_begin(&w, fd, store, sha, 0, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "being verified already"));
	verify_abort(&v);
	verify_abort(&v);
	/* a .tmp left by a verify that died: nobody holds its lock */
	snprintf(path, sizeof(path), "%s/%s.tmp", store, sha);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("junk", f);
	fclose(f);
	assert_int_equal(verify_begin(&v, fd, store, sha, 0, err, sizeof(err)), 0);
	assert_int_equal(run(&v, 1 << 20, &steps), 0);
	assert_true(verify_have(store, sha));
	close(fd);
	assert_int_equal(verify_begin(&v, fd, store, "abc", 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not 64 hex digits"));
	assert_int_equal(verify_begin(&v, fd, store, "zz", 0, err, sizeof(err)), -EINVAL);
}

static void
test_disk_full(void **state)
{
	char small[160], sha[65], err[VERIFY_ERR_MAX], tmpname[80];
	struct verify v;
	int fd, steps, rc;

	(void)state;
	snprintf(small, sizeof(small), "%s/small", dir);
	assert_int_equal(mkdir(small, 0700), 0);
	if (mount("tmpfs", small, "tmpfs", 0, "size=64k") < 0) {
		print_message("cannot mount a tmpfs (%s): disk-full case not run\n", strerror(errno));
		skip();
	}
	make_file("full", 400000, 7, sha, NULL);
	fd = open_in("full");
	assert_int_equal(verify_begin(&v, fd, small, sha, 0, err, sizeof(err)), 0);
	rc = run(&v, 1 << 20, &steps);
	close(fd);
	snprintf(tmpname, sizeof(tmpname), "%s.tmp", sha);
	assert_false(exists(small, tmpname));
	assert_int_equal(umount(small), 0);
	assert_int_equal(rc, -ENOSPC);
	assert_non_null(strstr(v.err, "disk full writing"));
	assert_non_null(strstr(v.err, tmpname));
}

static void
test_gc_keeps_what_is_referenced(void **state)
{
	char gdir[160], a[65], b[65], path[300];
	const char *keep[2];
	struct verify v;
	char err[VERIFY_ERR_MAX];
	int fd, steps;
	FILE *f;

	(void)state;
	snprintf(gdir, sizeof(gdir), "%s/gc", dir);
	assert_int_equal(mkdir(gdir, 0700), 0);
	make_file("ga", 100, 8, a, NULL);
	make_file("gb", 100, 9, b, NULL);
	fd = open_in("ga");
	assert_int_equal(verify_begin(&v, fd, gdir, a, 0, err, sizeof(err)), 0);
	assert_int_equal(run(&v, 1 << 20, &steps), 0);
	close(fd);
	fd = open_in("gb");
	assert_int_equal(verify_begin(&v, fd, gdir, b, 0, err, sizeof(err)), 0);
	assert_int_equal(run(&v, 1 << 20, &steps), 0);
	close(fd);
	/* a stale .tmp, an unrelated file */
	snprintf(path, sizeof(path), "%s/%s.tmp", gdir, b);
	f = fopen(path, "w");
	fclose(f);
	snprintf(path, sizeof(path), "%s/notes.txt", gdir);
	f = fopen(path, "w");
	fclose(f);
	/* a verify in progress keeps its .tmp */
	make_file("gc_running", 100, 10, path, NULL);
	fd = open_in("gc_running");
	assert_int_equal(verify_begin(&v, fd, gdir, path, 0, err, sizeof(err)), 0);
	keep[0] = a;
	keep[1] = NULL;
	assert_int_equal(verify_store_gc(gdir, keep, 2), 2);  /* b and b.tmp */
	assert_true(verify_have(gdir, a));
	assert_false(verify_have(gdir, b));
	assert_true(exists(gdir, "notes.txt"));
	assert_int_equal(run(&v, 1 << 20, &steps), 0);
	close(fd);
	assert_int_equal(verify_store_gc("/nonexistent-dir-x", keep, 1), -ENOENT);
}

/* ---- signatures ---- */

struct ca {
	struct idkey k;
	struct x509_name name;
	uint8_t der[X509_DER_MAX];
	size_t len;
	char pem[X509_DER_MAX * 2];
	size_t pem_len;
};

static void
key(struct ca *c, const char *file)
{
	char path[256], err[256];

	snprintf(path, sizeof(path), "%s/%s.key", dir, file);
	assert_int_equal(idkey_soft_open(&c->k, path, true, err), 0);
}

/* c's certificate, issued by `by` (NULL: self-signed). */
static void
cert(struct ca *c, const char *cn, struct ca *by, bool ca, time_t nb, time_t na)
{
	struct x509_cert_params p;
	char err[256];

	memset(&p, 0, sizeof(p));
	assert_int_equal(x509_serial_random(p.serial), 0);
	c->name.cn = cn;
	p.subject = c->name;
	p.issuer = by ? &by->name : NULL;
	p.not_before = nb;
	p.not_after = na;
	p.subject_pub = c->k.signer.pub;
	p.basic_constraints = true;
	p.ca = ca;
	p.path_len = -1;
	p.key_usage = ca ? X509_KU_KEY_CERT_SIGN | X509_KU_CRL_SIGN : X509_KU_DIGITAL_SIGNATURE;
	assert_int_equal(x509_cert_write(&p, by ? &by->k.signer : &c->k.signer, c->der,
					 sizeof(c->der), &c->len, err, sizeof(err)), 0);
	assert_int_equal(pem_encode("CERTIFICATE", c->der, c->len, c->pem, sizeof(c->pem),
				    &c->pem_len), 0);
}

static struct ca root, inter, leaf, other, expired;

static void
test_signature(void **state)
{
	time_t now = 1700000000, day = 86400;
	uint8_t sha[32], sig[SIGNER_SIG_LEN], der[80], bad[SIGNER_SIG_LEN];
	char err[512];
	size_t dl;

	(void)state;
	key(&root, "root");
	key(&inter, "inter");
	key(&leaf, "leaf");
	key(&other, "other");
	key(&expired, "expired");
	cert(&root, "Edgevisor root", NULL, true, now - day, now + 3650 * day);
	cert(&inter, "Edgevisor intermediate", &root, true, now - day, now + 365 * day);
	cert(&leaf, "Edgevisor image signer", &inter, false, now - day, now + 30 * day);
	cert(&other, "Some other root", NULL, true, now - day, now + 3650 * day);
	cert(&expired, "Old image signer", &inter, false, now - 30 * day, now - day);

	memset(sha, 0x5a, sizeof(sha));
	assert_int_equal(leaf.k.signer.sign(&leaf.k.signer, sha, sig), 0);
	memcpy(der, sig, sizeof(sig));
	dl = br_ecdsa_raw_to_asn1(der, SIGNER_SIG_LEN);
	assert_true(dl > 64);

	/* good: raw and DER */
	assert_int_equal(verify_signature(sha, sig, sizeof(sig), leaf.pem, leaf.pem_len, inter.pem,
					  inter.pem_len, root.pem, root.pem_len, now, err,
					  sizeof(err)), 0);
	assert_int_equal(verify_signature(sha, der, dl, leaf.pem, leaf.pem_len, inter.pem,
					  inter.pem_len, root.pem, root.pem_len, now, err,
					  sizeof(err)), 0);
	/* another hash: the same signature does not fit */
	sha[0] ^= 1;
	assert_int_equal(verify_signature(sha, sig, sizeof(sig), leaf.pem, leaf.pem_len, inter.pem,
					  inter.pem_len, root.pem, root.pem_len, now, err,
					  sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "does not verify with the key of 'Edgevisor image signer'"));
	sha[0] ^= 1;
	/* signed by another key than the certificate's */
	assert_int_equal(other.k.signer.sign(&other.k.signer, sha, bad), 0);
	assert_int_equal(verify_signature(sha, bad, sizeof(bad), leaf.pem, leaf.pem_len, inter.pem,
					  inter.pem_len, root.pem, root.pem_len, now, err,
					  sizeof(err)), -EBADMSG);
	/* garbage signature bytes */
	assert_int_equal(verify_signature(sha, (const uint8_t *)"\x30\x02\x01", 3, leaf.pem,
					  leaf.pem_len, inter.pem, inter.pem_len, root.pem,
					  root.pem_len, now, err, sizeof(err)), -EBADMSG);
	/* expired signer; a signer checked after its validity */
	assert_int_equal(expired.k.signer.sign(&expired.k.signer, sha, bad), 0);
	assert_int_equal(verify_signature(sha, bad, sizeof(bad), expired.pem, expired.pem_len,
					  inter.pem, inter.pem_len, root.pem, root.pem_len, now,
					  err, sizeof(err)), -EKEYEXPIRED);
	assert_non_null(strstr(err, "Old image signer"));
	assert_int_equal(verify_signature(sha, sig, sizeof(sig), leaf.pem, leaf.pem_len, inter.pem,
					  inter.pem_len, root.pem, root.pem_len, now + 60 * day,
					  err, sizeof(err)), -EKEYEXPIRED);
	/* wrong root; missing intermediate */
	assert_int_equal(verify_signature(sha, sig, sizeof(sig), leaf.pem, leaf.pem_len, inter.pem,
					  inter.pem_len, other.pem, other.pem_len, now, err,
					  sizeof(err)), -EKEYREJECTED);
	assert_non_null(strstr(err, "does not chain to the root certificate"));
	assert_int_equal(verify_signature(sha, sig, sizeof(sig), leaf.pem, leaf.pem_len, "", 0,
					  root.pem, root.pem_len, now, err, sizeof(err)),
			 -EKEYREJECTED);
	/* no roots at all; a signer that is not a certificate */
	assert_int_equal(verify_signature(sha, sig, sizeof(sig), leaf.pem, leaf.pem_len, inter.pem,
					  inter.pem_len, "nothing", 7, now, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(verify_signature(sha, sig, sizeof(sig), "junk", 4, inter.pem,
					  inter.pem_len, root.pem, root.pem_len, now, err,
					  sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "signing certificate"));
	/* a CA certificate (no digitalSignature) may not sign content */
	assert_int_equal(inter.k.signer.sign(&inter.k.signer, sha, bad), 0);
	assert_int_equal(verify_signature(sha, bad, sizeof(bad), inter.pem, inter.pem_len, "", 0,
					  root.pem, root.pem_len, now, err, sizeof(err)),
			 -EKEYREJECTED);
	assert_non_null(strstr(err, "may not sign"));
	idkey_close(&root.k);
	idkey_close(&inter.k);
	idkey_close(&leaf.k);
	idkey_close(&other.k);
	idkey_close(&expired.k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_blob_lands_by_hash),
		cmocka_unit_test(test_upper_case_hash_and_pipe_input),
		cmocka_unit_test(test_mismatch_removes_the_copy),
		cmocka_unit_test(test_oversize_and_truncated),
		cmocka_unit_test(test_the_copy_is_what_was_hashed),
		cmocka_unit_test(test_busy_and_stale_tmp),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_gc_keeps_what_is_referenced),
		cmocka_unit_test(test_signature),
	};

	return cmocka_run_group_tests_name("verify", tests, setup, teardown);
}
