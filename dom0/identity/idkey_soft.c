/*
 * idkey_soft — the soft (file) key backend: a P-256 key in a PEM file,
 * BearSSL for parsing, generation and signing. See idkey.h.
 */
#include "idkey_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bearssl/bearssl.h>

#include "atomicfile.h"

#define DER_MAX 4096 /* a P-256 key is ~121 bytes; RSA-4096 ~2.4 KB */

/* The order n of P-256, big-endian. */
static const uint8_t p256_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

struct collect {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;
};

static void collect_push(void *ctx, const void *src, size_t n)
{
	struct collect *c = ctx;

	if (c->overflow || n > c->cap - c->len) {
		c->overflow = true;
		return;
	}
	memcpy(c->buf + c->len, src, n);
	c->len += n;
}

static const char *curve_name(int curve)
{
	switch (curve) {
	case BR_EC_secp256r1: return "P-256";
	case BR_EC_secp384r1: return "P-384";
	case BR_EC_secp521r1: return "P-521";
	case BR_EC_curve25519: return "Curve25519";
	case BR_EC_secp256k1: return "secp256k1";
	default: return "an unnamed curve";
	}
}

static const char *der_error(int e)
{
	switch (e) {
	case BR_ERR_X509_TRUNCATED: return "truncated";
	case BR_ERR_X509_INNER_TRUNC: return "an inner element is truncated";
	case BR_ERR_X509_UNSUPPORTED: return "unsupported key type or curve";
	case BR_ERR_X509_LIMIT_EXCEEDED: return "an element is too large";
	case BR_ERR_X509_INDEFINITE_LENGTH: return "indefinite length (not DER)";
	case BR_ERR_X509_UNEXPECTED: return "unexpected element";
	case BR_ERR_X509_EXTRA_ELEMENT: return "extra element";
	case BR_ERR_X509_BAD_TAG_CLASS:
	case BR_ERR_X509_BAD_TAG_VALUE: return "unexpected tag";
	case BR_ERR_X509_INVALID_VALUE: return "invalid value";
	default: return "malformed";
	}
}

/* A PEM object name from the input, for an error: printable ASCII only,
 * cut to fit. */
static void copy_name(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < dstsz && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

/* 1 when 0 < x < n (x big-endian, 32 bytes); not secret-independent in
 * timing, but it runs once per key load, on bytes from our own file. */
static bool scalar_ok(const uint8_t x[32])
{
	uint8_t any = 0;

	for (int i = 0; i < 32; i++)
		any |= x[i];
	if (!any)
		return false;
	for (int i = 0; i < 32; i++) {
		if (x[i] != p256_n[i])
			return x[i] < p256_n[i];
	}
	return false; /* x == n */
}

int idkey_soft_parse(const char *what, const void *pem, size_t len,
		     uint8_t x[32], uint8_t pub[SIGNER_PUB_LEN], char *err)
{
	br_pem_decoder_context pc;
	br_skey_decoder_context sk;
	const br_ec_private_key *ec;
	br_ec_private_key key;
	br_ec_public_key pk;
	uint8_t der[DER_MAX];
	uint8_t xb[32], kbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	struct collect col = { der, sizeof(der), 0, false };
	const uint8_t *p = pem;
	size_t left = len, off;
	char first[64] = "";
	bool in_obj = false, want = false, found = false, fed_nl = false;
	int rc, e;

	if (!what)
		what = "key";
	if (!pem && len)
		return idkey_fail(err, -EINVAL, "%s: no data", what);
	if (len > IDKEY_SOFT_MAX_FILE)
		return idkey_fail(err, -EBADMSG, "%s: %zu bytes, more than a "
				  "key file holds (%d)", what, len,
				  IDKEY_SOFT_MAX_FILE);

	br_pem_decoder_init(&pc);
	while (!found) {
		size_t used;

		if (left == 0) {
			if (fed_nl)
				break;
			/* An END line without its newline still ends. */
			p = (const uint8_t *)"\n";
			left = 1;
			fed_nl = true;
		}
		used = br_pem_decoder_push(&pc, p, left);
		p += used;
		left -= used;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ: {
			const char *name = br_pem_decoder_name(&pc);

			in_obj = true;
			if (!first[0])
				copy_name(first, sizeof(first), name);
			if (!strcmp(name, "EC PRIVATE KEY") ||
			    !strcmp(name, "PRIVATE KEY")) {
				want = true;
				br_pem_decoder_setdest(&pc, collect_push, &col);
			} else if (!strcmp(name, "ENCRYPTED PRIVATE KEY")) {
				rc = idkey_fail(err, -EKEYREJECTED, "%s: an "
						"encrypted private key; only "
						"unencrypted keys are "
						"supported", what);
				goto out;
			} else if (!strcmp(name, "RSA PRIVATE KEY")) {
				rc = idkey_fail(err, -EKEYREJECTED, "%s: an "
						"RSA key, not EC P-256", what);
				goto out;
			} else {
				br_pem_decoder_setdest(&pc, NULL, NULL);
			}
			break;
		}
		case BR_PEM_END_OBJ:
			in_obj = false;
			found = want;
			break;
		case BR_PEM_ERROR:
			rc = idkey_fail(err, -EBADMSG, "%s: corrupt PEM (bad "
					"base64 or a broken line in \"%s\")",
					what, want ? "private key" : first);
			goto out;
		default:
			break;
		}
	}
	if (!found) {
		if (want && in_obj)
			rc = idkey_fail(err, -EBADMSG, "%s: truncated PEM (no "
					"END line)", what);
		else if (first[0])
			rc = idkey_fail(err, -EBADMSG, "%s: no private key in "
					"the PEM data (first object is \"%s\")",
					what, first);
		else
			rc = idkey_fail(err, -EBADMSG, "%s: not PEM (no "
					"-----BEGIN line)", what);
		goto out;
	}
	if (col.overflow) {
		rc = idkey_fail(err, -EBADMSG, "%s: private key object larger "
				"than %d bytes", what, DER_MAX);
		goto out;
	}

	br_skey_decoder_init(&sk);
	br_skey_decoder_push(&sk, der, col.len);
	e = br_skey_decoder_last_error(&sk);
	if (e == BR_ERR_X509_UNSUPPORTED) {
		rc = idkey_fail(err, -EKEYREJECTED, "%s: unsupported key type "
				"or curve (not EC P-256)", what);
		goto out;
	}
	if (e) {
		rc = idkey_fail(err, -EBADMSG, "%s: not a valid private key "
				"(DER: %s, BearSSL error %d)", what,
				der_error(e), e);
		goto out;
	}
	if (br_skey_decoder_key_type(&sk) == BR_KEYTYPE_RSA) {
		rc = idkey_fail(err, -EKEYREJECTED, "%s: an RSA key, not EC "
				"P-256", what);
		goto out;
	}
	ec = br_skey_decoder_get_ec(&sk);
	if (!ec) {
		rc = idkey_fail(err, -EKEYREJECTED, "%s: not an EC key", what);
		goto out;
	}
	if (ec->curve != BR_EC_secp256r1) {
		rc = idkey_fail(err, -EKEYREJECTED, "%s: an EC key on %s (curve "
				"%d), not P-256", what, curve_name(ec->curve),
				ec->curve);
		goto out;
	}
	/* Left-pad to 32 bytes; leading zero bytes beyond that are allowed. */
	off = 0;
	while (ec->xlen - off > 32 && ec->x[off] == 0)
		off++;
	if (ec->xlen - off > 32) {
		rc = idkey_fail(err, -EKEYREJECTED, "%s: private scalar of %zu "
				"bytes is out of range", what, ec->xlen);
		goto out;
	}
	memset(xb, 0, sizeof(xb));
	memcpy(xb + 32 - (ec->xlen - off), ec->x + off, ec->xlen - off);
	if (!scalar_ok(xb)) {
		rc = idkey_fail(err, -EKEYREJECTED, "%s: private scalar is out "
				"of range (0 or not below the curve order)",
				what);
		goto out;
	}
	key.curve = BR_EC_secp256r1;
	key.x = xb;
	key.xlen = 32;
	if (br_ec_compute_pub(br_ec_get_default(), &pk, kbuf, &key) !=
	    SIGNER_PUB_LEN) {
		rc = idkey_fail(err, -EKEYREJECTED, "%s: cannot compute the "
				"public key", what);
		goto out;
	}
	memcpy(x, xb, 32);
	memcpy(pub, kbuf, SIGNER_PUB_LEN);
	if (err)
		err[0] = '\0';
	rc = 0;
out:
	explicit_bzero(&pc, sizeof(pc));
	explicit_bzero(&sk, sizeof(sk));
	explicit_bzero(der, sizeof(der));
	explicit_bzero(xb, sizeof(xb));
	explicit_bzero(&key, sizeof(key));
	return rc;
}

int idkey_soft_encode(const uint8_t x[32], const uint8_t pub[SIGNER_PUB_LEN],
		      char *pem, size_t pemsz)
{
	uint8_t der[256], xb[32], pb[SIGNER_PUB_LEN];
	br_ec_private_key sk = { BR_EC_secp256r1, xb, 32 };
	br_ec_public_key pk = { BR_EC_secp256r1, pb, SIGNER_PUB_LEN };
	size_t dlen, plen;
	int rc;

	if (!x || !pub || !pem || pub[0] != 0x04 || !scalar_ok(x))
		return -EINVAL;
	memcpy(xb, x, 32);
	memcpy(pb, pub, SIGNER_PUB_LEN);
	dlen = br_encode_ec_raw_der(NULL, &sk, &pk);
	if (dlen == 0 || dlen > sizeof(der)) {
		rc = -EINVAL;
		goto out;
	}
	br_encode_ec_raw_der(der, &sk, &pk);
	plen = br_pem_encode(NULL, der, dlen, BR_ENCODE_PEM_EC_RAW,
			     BR_PEM_LINE64);
	if (plen + 1 > pemsz || plen > (size_t)INT32_MAX) {
		rc = -ENOSPC;
		goto out;
	}
	br_pem_encode(pem, der, dlen, BR_ENCODE_PEM_EC_RAW, BR_PEM_LINE64);
	rc = (int)plen;
out:
	explicit_bzero(der, sizeof(der));
	explicit_bzero(xb, sizeof(xb));
	return rc;
}

static int soft_sign(struct signer *s, const uint8_t hash[32],
		     uint8_t sig[SIGNER_SIG_LEN])
{
	struct idkey *k = idkey_of(s);
	br_ec_private_key sk;

	if (k->backend != IDKEY_SOFT) {
		snprintf(k->last_err, sizeof(k->last_err), "key is closed");
		return -EINVAL;
	}
	sk.curve = BR_EC_secp256r1;
	sk.x = k->u.soft.x;
	sk.xlen = 32;
	if (br_ecdsa_i31_sign_raw(br_ec_get_default(), &br_sha256_vtable,
				  hash, &sk, sig) != SIGNER_SIG_LEN) {
		snprintf(k->last_err, sizeof(k->last_err),
			 "soft key: signing failed");
		return -EIO;
	}
	return 0;
}

/* A fresh key: HMAC-DRBG (SHA-256) seeded with 48 bytes of getrandom(). */
static int soft_generate(const char *path, uint8_t x[32],
			 uint8_t pub[SIGNER_PUB_LEN], char *err)
{
	br_hmac_drbg_context drbg;
	br_ec_private_key sk;
	br_ec_public_key pk;
	uint8_t seed[48], kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	uint8_t pbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	size_t got = 0;
	int rc;

	while (got < sizeof(seed)) {
		ssize_t r = getrandom(seed + got, sizeof(seed) - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = idkey_fail(err, -errno, "soft key %s: getrandom "
					"failed: %s", path, strerror(errno));
			goto out;
		}
		got += (size_t)r;
	}
	br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed, sizeof(seed));
	if (br_ec_keygen(&drbg.vtable, br_ec_get_default(), &sk, kbuf,
			 BR_EC_secp256r1) != 32 ||
	    br_ec_compute_pub(br_ec_get_default(), &pk, pbuf, &sk) !=
	    SIGNER_PUB_LEN || !scalar_ok(kbuf)) {
		rc = idkey_fail(err, -EIO, "soft key %s: key generation "
				"failed", path);
		goto out;
	}
	memcpy(x, kbuf, 32);
	memcpy(pub, pbuf, SIGNER_PUB_LEN);
	rc = 0;
out:
	explicit_bzero(&drbg, sizeof(drbg));
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(kbuf, sizeof(kbuf));
	explicit_bzero(&sk, sizeof(sk));
	return rc;
}

/* Reads and parses the key file. -ENOENT (err set) when it is missing. */
static int soft_load(const char *path, uint8_t x[32],
		     uint8_t pub[SIGNER_PUB_LEN], char *err)
{
	static uint8_t zero;
	uint8_t buf[IDKEY_SOFT_MAX_FILE + 1];
	char what[IDKEY_ERR_MAX / 2];
	struct stat st;
	size_t got = 0;
	int fd = -1;
	int rc;

	snprintf(what, sizeof(what), "soft key %s", path);
	/* O_NONBLOCK: a FIFO planted under the name must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
		  O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP)
			rc = idkey_fail(err, -EBADMSG, "%s: is a symbolic "
					"link", what);
		else
			idkey_fail(err, rc, "%s: cannot open: %s", what,
				   strerror(-rc));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = idkey_fail(err, -errno, "%s: cannot stat: %s", what,
				strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = idkey_fail(err, -EBADMSG, "%s: not a regular file", what);
		goto out;
	}
	if (st.st_size > IDKEY_SOFT_MAX_FILE) {
		rc = idkey_fail(err, -EBADMSG, "%s: %lld bytes, more than a "
				"key file holds (%d)", what,
				(long long)st.st_size, IDKEY_SOFT_MAX_FILE);
		goto out;
	}
	while (got < sizeof(buf)) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = idkey_fail(err, -errno, "%s: read error: %s", what,
					strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > IDKEY_SOFT_MAX_FILE) { /* grew since fstat */
		rc = idkey_fail(err, -EBADMSG, "%s: more than %d bytes", what,
				IDKEY_SOFT_MAX_FILE);
		goto out;
	}
	rc = idkey_soft_parse(what, got ? buf : &zero, got, x, pub, err);
out:
	explicit_bzero(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return rc;
}

int idkey_soft_open(struct idkey *k, const char *path, bool create_if_missing,
		    char *err)
{
	char pem[IDKEY_PEM_MAX];
	char why[IDKEY_ERR_MAX];
	uint8_t x[32], pub[SIGNER_PUB_LEN];
	bool created = false;
	int n, rc;

	if (!k)
		return idkey_fail(err, -EINVAL, "soft key: no key structure");
	memset(k, 0, sizeof(*k));
	if (!path || !path[0])
		return idkey_fail(err, -EINVAL, "soft key: no file name");

	rc = soft_load(path, x, pub, err);
	if (rc == -ENOENT && create_if_missing) {
		rc = soft_generate(path, x, pub, err);
		if (rc < 0)
			goto out;
		n = idkey_soft_encode(x, pub, pem, sizeof(pem));
		if (n < 0) {
			rc = idkey_fail(err, n, "soft key %s: cannot encode the "
					"new key", path);
			goto out;
		}
		rc = atomicfile_write(path, pem, (size_t)n, 0600,
				      ATOMICFILE_NOREPLACE, why, sizeof(why));
		if (rc == -EEXIST) {
			/* Created meanwhile by someone else: that one counts. */
			rc = soft_load(path, x, pub, err);
		} else if (rc < 0) {
			idkey_fail(err, rc, "soft key: cannot create it: %s",
				   why);
		} else {
			created = true;
		}
	}
	if (rc < 0)
		goto out;
	memcpy(k->u.soft.x, x, 32);
	memcpy(k->signer.pub, pub, SIGNER_PUB_LEN);
	k->signer.sign = soft_sign;
	k->signer.in_tpm = false;
	k->backend = IDKEY_SOFT;
	k->created = created;
	if (err)
		err[0] = '\0';
out:
	explicit_bzero(x, sizeof(x));
	explicit_bzero(pem, sizeof(pem));
	return rc;
}

void idkey_soft_close(struct idkey *k)
{
	explicit_bzero(k->u.soft.x, sizeof(k->u.soft.x));
}
