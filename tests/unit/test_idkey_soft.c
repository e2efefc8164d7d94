/*
 * Unit tests for the soft key backend of dom0/identity/idkey: creation,
 * reuse, signatures checked by BearSSL and by the openssl command line,
 * keys made by openssl, and every kind of bad key file. Also
 * idkey_open_auto's choice when there is no TPM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bearssl/bearssl.h>

#include "idkey.h"

struct fx {
	char dir[64];
	char key[128];
};

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/idkey-soft-test.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->key, sizeof(f->key), "%s/device.key.pem", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

/* Runs a shell command; its exit status, stdout in out[outsz] if out. */
__attribute__((format(printf, 3, 4)))
static int sh(char *out, size_t outsz, const char *fmt, ...)
{
	char cmd[2048];
	size_t n = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (out) {
		n = fread(out, 1, outsz - 1, p);
		out[n] = '\0';
	} else {
		char sink[256];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static void put(const char *path, const void *d, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, d, n), (ssize_t)n);
	close(fd);
}

static size_t slurp(const char *path, void *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, size);
	close(fd);
	assert_true(n >= 0);
	return (size_t)n;
}

static void sha256(const void *d, size_t n, uint8_t out[32])
{
	br_sha256_context c;

	br_sha256_init(&c);
	br_sha256_update(&c, d, n);
	br_sha256_out(&c, out);
}

static bool verifies(const uint8_t pub[65], const uint8_t hash[32],
		     const uint8_t sig[64])
{
	br_ec_public_key pk = { BR_EC_secp256r1, (unsigned char *)pub, 65 };

	return br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, hash, 32, &pk, sig, 64);
}

/* Opens path and expects failure rc with every needle in the error. */
static void expect_refused(const char *path, int rc, const char *needle1,
			   const char *needle2)
{
	struct idkey k;
	char err[IDKEY_ERR_MAX];

	assert_int_equal(idkey_soft_open(&k, path, true, err), rc);
	assert_non_null(strstr(err, path));
	if (!strstr(err, needle1))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle1);
	if (needle2 && !strstr(err, needle2))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle2);
	assert_int_equal(k.backend, IDKEY_CLOSED);
}

/* A PEM "EC PRIVATE KEY" around a SEC1 key with scalar x (no public key). */
static size_t sec1_pem(const uint8_t x[32], char *pem, size_t size)
{
	uint8_t der[51] = {
		0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20,
	};
	static const uint8_t params[] = {
		0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
		0x01, 0x07,
	};
	size_t n;

	memcpy(der + 7, x, 32);
	memcpy(der + 39, params, sizeof(params));
	n = br_pem_encode(NULL, der, sizeof(der), "EC PRIVATE KEY",
			  BR_PEM_LINE64);
	assert_true(n < size);
	return br_pem_encode(pem, der, sizeof(der), "EC PRIVATE KEY",
			     BR_PEM_LINE64);
}

/* ---- tests ------------------------------------------------------------ */

static void test_create_then_reopen_same_key(void **state)
{
	struct fx *f = *state;
	struct idkey k, k2;
	char err[IDKEY_ERR_MAX], pem[1024];
	uint8_t pub[65];
	struct stat st;
	mode_t old = umask(0); /* the file must be 0600 whatever the umask */
	size_t n;

	assert_int_equal(idkey_soft_open(&k, f->key, true, err), 0);
	umask(old);
	assert_string_equal(err, "");
	assert_int_equal(k.backend, IDKEY_SOFT);
	assert_true(k.created);
	assert_false(k.signer.in_tpm);
	assert_non_null(k.signer.sign);
	assert_int_equal(k.signer.pub[0], 0x04);
	memcpy(pub, k.signer.pub, 65);

	assert_int_equal(stat(f->key, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	n = slurp(f->key, pem, sizeof(pem) - 1);
	pem[n] = '\0';
	assert_true(strncmp(pem, "-----BEGIN EC PRIVATE KEY-----\n", 31) == 0);
	assert_non_null(strstr(pem, "-----END EC PRIVATE KEY-----\n"));

	assert_int_equal(idkey_soft_open(&k2, f->key, true, err), 0);
	assert_false(k2.created);
	assert_memory_equal(k2.signer.pub, pub, 65);
	/* without create_if_missing too */
	idkey_close(&k2);
	assert_int_equal(idkey_soft_open(&k2, f->key, false, err), 0);
	assert_memory_equal(k2.signer.pub, pub, 65);
	idkey_close(&k2);
	idkey_close(&k);
}

static void test_two_keys_differ(void **state)
{
	struct fx *f = *state;
	struct idkey a, b;
	char p2[160];

	snprintf(p2, sizeof(p2), "%s/other.pem", f->dir);
	assert_int_equal(idkey_soft_open(&a, f->key, true, NULL), 0);
	assert_int_equal(idkey_soft_open(&b, p2, true, NULL), 0);
	assert_memory_not_equal(a.signer.pub, b.signer.pub, 65);
	idkey_close(&a);
	idkey_close(&b);
}

static void test_missing_without_create(void **state)
{
	struct fx *f = *state;
	struct idkey k;
	char err[IDKEY_ERR_MAX];

	assert_int_equal(idkey_soft_open(&k, f->key, false, err), -ENOENT);
	assert_non_null(strstr(err, f->key));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(access(f->key, F_OK), -1); /* not created */
	idkey_close(&k); /* harmless on a failed open */
}

static void test_create_in_missing_folder(void **state)
{
	struct fx *f = *state;
	struct idkey k;
	char err[IDKEY_ERR_MAX], p[160];

	snprintf(p, sizeof(p), "%s/nodir/device.key.pem", f->dir);
	assert_int_equal(idkey_soft_open(&k, p, true, err), -ENOENT);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "cannot create"));
}

static void test_signatures_verify_with_bearssl(void **state)
{
	struct fx *f = *state;
	struct idkey k;
	uint8_t h[32], h2[32], sig[64], sig2[64];

	assert_int_equal(idkey_soft_open(&k, f->key, true, NULL), 0);
	sha256("register me", 11, h);
	sha256("register mf", 11, h2);
	assert_int_equal(k.signer.sign(&k.signer, h, sig), 0);
	assert_true(verifies(k.signer.pub, h, sig));
	assert_false(verifies(k.signer.pub, h2, sig));
	sig[10] ^= 1;
	assert_false(verifies(k.signer.pub, h, sig));
	/* deterministic (RFC 6979): the same hash, the same signature */
	assert_int_equal(k.signer.sign(&k.signer, h, sig), 0);
	assert_int_equal(k.signer.sign(&k.signer, h, sig2), 0);
	assert_memory_equal(sig, sig2, 64);
	idkey_close(&k);
}

static void test_openssl_reads_key_and_verifies(void **state)
{
	struct fx *f = *state;
	struct idkey k;
	char out[4096];
	uint8_t der[256], h[32], sig[80];
	static const char msg[] = "an AuthContainer payload";
	char path[160];
	size_t n;

	assert_int_equal(idkey_soft_open(&k, f->key, true, NULL), 0);
	/* openssl reads our PEM as is, and finds the same public key */
	assert_int_equal(sh(out, sizeof(out), "openssl ec -in %s -check "
			    "-noout 2>&1", f->key), 0);
	assert_non_null(strstr(out, "EC Key valid"));
	assert_int_equal(sh(NULL, 0, "openssl ec -in %s -pubout -outform DER "
			    "-out %s/pub.der 2>/dev/null && openssl ec -in %s "
			    "-pubout -out %s/pub.pem 2>/dev/null", f->key,
			    f->dir, f->key, f->dir), 0);
	snprintf(path, sizeof(path), "%s/pub.der", f->dir);
	n = slurp(path, der, sizeof(der));
	assert_int_equal(n, 26 + 65); /* SubjectPublicKeyInfo for P-256 */
	assert_memory_equal(der + 26, k.signer.pub, 65);

	/* our raw r||s, as DER, verifies with openssl dgst */
	sha256(msg, strlen(msg), h);
	assert_int_equal(k.signer.sign(&k.signer, h, sig), 0);
	n = br_ecdsa_raw_to_asn1(sig, 64);
	assert_true(n > 0);
	snprintf(path, sizeof(path), "%s/sig.der", f->dir);
	put(path, sig, n);
	snprintf(path, sizeof(path), "%s/msg", f->dir);
	put(path, msg, strlen(msg));
	assert_int_equal(sh(out, sizeof(out), "cd %s && openssl dgst -sha256 "
			    "-verify pub.pem -signature sig.der msg 2>&1",
			    f->dir), 0);
	assert_non_null(strstr(out, "Verified OK"));
	/* and a different message does not */
	put(path, "tampered", 8);
	assert_int_not_equal(sh(out, sizeof(out), "cd %s && openssl dgst "
				"-sha256 -verify pub.pem -signature sig.der "
				"msg 2>&1", f->dir), 0);
	assert_non_null(strstr(out, "Verification failure"));
	idkey_close(&k);
}

/* Keys written by openssl: SEC1 with an EC PARAMETERS block first, PKCS#8. */
static void test_reads_openssl_keys(void **state)
{
	struct fx *f = *state;
	const char *cmds[] = {
		"openssl ecparam -name prime256v1 -genkey -out %s/k.pem",
		"openssl genpkey -algorithm EC -pkeyopt "
		"ec_paramgen_curve:P-256 -out %s/k.pem",
	};

	for (size_t i = 0; i < 2; i++) {
		struct idkey k;
		char err[IDKEY_ERR_MAX], path[160], head[64];
		uint8_t der[256], h[32] = { 7 }, sig[64];
		size_t n;

		assert_int_equal(sh(NULL, 0, cmds[i], f->dir), 0);
		snprintf(path, sizeof(path), "%s/k.pem", f->dir);
		n = slurp(path, head, sizeof(head) - 1);
		head[n] = '\0';
		assert_non_null(strstr(head, i == 0 ? "BEGIN EC PARAMETERS"
					     : "BEGIN PRIVATE KEY"));
		assert_int_equal(idkey_soft_open(&k, path, false, err), 0);
		assert_false(k.created);
		assert_int_equal(sh(NULL, 0, "openssl ec -in %s/k.pem -pubout "
				    "-outform DER -out %s/pub.der 2>/dev/null",
				    f->dir, f->dir), 0);
		snprintf(path, sizeof(path), "%s/pub.der", f->dir);
		assert_int_equal(slurp(path, der, sizeof(der)), 91);
		assert_memory_equal(der + 26, k.signer.pub, 65);
		assert_int_equal(k.signer.sign(&k.signer, h, sig), 0);
		assert_true(verifies(k.signer.pub, h, sig));
		idkey_close(&k);
	}
}

static void test_wrong_key_types_refused(void **state)
{
	struct fx *f = *state;
	char p[160];

	snprintf(p, sizeof(p), "%s/rsa8.pem", f->dir);
	assert_int_equal(sh(NULL, 0, "openssl genpkey -algorithm RSA -pkeyopt "
			    "rsa_keygen_bits:1024 -out %s 2>/dev/null", p), 0);
	expect_refused(p, -EKEYREJECTED, "RSA key", "not EC P-256");

	snprintf(p, sizeof(p), "%s/rsa1.pem", f->dir);
	assert_int_equal(sh(NULL, 0, "openssl genrsa -traditional -out %s "
			    "1024 2>/dev/null", p), 0);
	expect_refused(p, -EKEYREJECTED, "RSA key", NULL);

	snprintf(p, sizeof(p), "%s/p384.pem", f->dir);
	assert_int_equal(sh(NULL, 0, "openssl ecparam -name secp384r1 -genkey "
			    "-noout -out %s", p), 0);
	expect_refused(p, -EKEYREJECTED, "P-384", "not P-256");

	snprintf(p, sizeof(p), "%s/ed.pem", f->dir);
	assert_int_equal(sh(NULL, 0, "openssl genpkey -algorithm ED25519 "
			    "-out %s", p), 0);
	expect_refused(p, -EKEYREJECTED, "unsupported key type", NULL);

	snprintf(p, sizeof(p), "%s/enc.pem", f->dir);
	assert_int_equal(sh(NULL, 0, "openssl genpkey -algorithm EC -pkeyopt "
			    "ec_paramgen_curve:P-256 -aes256 -pass pass:x "
			    "-out %s", p), 0);
	expect_refused(p, -EKEYREJECTED, "encrypted", NULL);
}

static void test_corrupt_files_refused(void **state)
{
	struct fx *f = *state;
	static char big[IDKEY_SOFT_MAX_FILE + 100];
	char good[1024], bad[1024], p[160];
	struct idkey k;
	size_t n;
	char *body;

	/* a good key to damage */
	assert_int_equal(idkey_soft_open(&k, f->key, true, NULL), 0);
	idkey_close(&k);
	n = slurp(f->key, good, sizeof(good) - 1);
	good[n] = '\0';
	snprintf(p, sizeof(p), "%s/bad.pem", f->dir);

	/* a bad base64 character inside the object */
	memcpy(bad, good, n + 1);
	body = strchr(bad, '\n') + 5;
	*body = '%';
	put(p, bad, n);
	expect_refused(p, -EBADMSG, "corrupt PEM", NULL);

	/* valid base64 but damaged DER */
	memcpy(bad, good, n + 1);
	body = strchr(bad, '\n') + 1;
	body[0] = body[0] == 'A' ? 'B' : 'A';
	put(p, bad, n);
	expect_refused(p, -EBADMSG, "not a valid private key", "DER");

	/* cut before the END line; cut inside a line */
	put(p, good, (size_t)(strstr(good, "-----END") - good));
	expect_refused(p, -EBADMSG, "truncated PEM", NULL);
	put(p, good, n / 2);
	expect_refused(p, -EBADMSG, "corrupt PEM", NULL);

	/* no END newline at all is still fine */
	put(p, good, n - 1);
	assert_int_equal(idkey_soft_open(&k, p, false, NULL), 0);
	idkey_close(&k);

	/* not PEM; empty; only a certificate-like object */
	put(p, "just some text\n", 15);
	expect_refused(p, -EBADMSG, "not PEM", NULL);
	put(p, "", 0);
	expect_refused(p, -EBADMSG, "not PEM", NULL);
	put(p, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	    58);
	expect_refused(p, -EBADMSG, "no private key", "CERTIFICATE");

	/* too large */
	memset(big, '\n', sizeof(big));
	put(p, big, sizeof(big));
	expect_refused(p, -EBADMSG, "more than a key file holds", NULL);

	/* not a regular file; a symbolic link */
	snprintf(p, sizeof(p), "%s/adir", f->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	expect_refused(p, -EBADMSG, "not a regular file", NULL);
	snprintf(p, sizeof(p), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	expect_refused(p, -EBADMSG, "not a regular file", NULL);
	snprintf(p, sizeof(p), "%s/link.pem", f->dir);
	assert_int_equal(symlink(f->key, p), 0);
	expect_refused(p, -EBADMSG, "symbolic link", NULL);
}

/* A bad key file is never replaced, even with create_if_missing. */
static void test_bad_file_never_overwritten(void **state)
{
	struct fx *f = *state;
	char buf[64];

	put(f->key, "garbage\n", 8);
	expect_refused(f->key, -EBADMSG, "not PEM", NULL);
	assert_int_equal(slurp(f->key, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "garbage\n", 8);
}

static void test_scalar_range_checked(void **state)
{
	struct fx *f = *state;
	static const uint8_t n_minus_1[32] = {
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
		0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x50,
	};
	uint8_t x[32], pub[65], h[32] = { 1 }, sig[64];
	char pem[512], err[IDKEY_ERR_MAX];
	struct idkey k;
	size_t n;

	memset(x, 0, 32);
	n = sec1_pem(x, pem, sizeof(pem));
	assert_int_equal(idkey_soft_parse("zero", pem, n, x, pub, err),
			 -EKEYREJECTED);
	assert_non_null(strstr(err, "out of range"));

	memcpy(x, n_minus_1, 32);
	x[31] = 0x51; /* n itself */
	n = sec1_pem(x, pem, sizeof(pem));
	assert_int_equal(idkey_soft_parse("n", pem, n, x, pub, err),
			 -EKEYREJECTED);
	assert_non_null(strstr(err, "out of range"));

	memset(x, 0xff, 32); /* above n */
	n = sec1_pem(x, pem, sizeof(pem));
	assert_int_equal(idkey_soft_parse("max", pem, n, x, pub, err),
			 -EKEYREJECTED);

	/* n-1 is valid: its public key is -G; it signs and verifies */
	memcpy(x, n_minus_1, 32);
	n = sec1_pem(x, pem, sizeof(pem));
	put(f->key, pem, n);
	assert_int_equal(idkey_soft_open(&k, f->key, false, err), 0);
	assert_int_equal(k.signer.sign(&k.signer, h, sig), 0);
	assert_true(verifies(k.signer.pub, h, sig));
	/* and 1 gives the generator G */
	memset(x, 0, 32);
	x[31] = 1;
	n = sec1_pem(x, pem, sizeof(pem));
	assert_int_equal(idkey_soft_parse("one", pem, n, x, pub, err), 0);
	assert_int_equal(pub[1], 0x6b); /* Gx = 6b17d1f2... */
	assert_int_equal(pub[2], 0x17);
	assert_int_equal(pub[33], 0x4f); /* Gy = 4fe342e2... */
	idkey_close(&k);
}

static void test_encode_parse_round_trip(void **state)
{
	struct fx *f = *state;
	uint8_t x[32], pub[65];
	char pem[IDKEY_PEM_MAX], small[100], err[IDKEY_ERR_MAX];
	struct idkey k;
	int n;

	assert_int_equal(idkey_soft_open(&k, f->key, true, NULL), 0);
	n = idkey_soft_encode(k.u.soft.x, k.signer.pub, pem, sizeof(pem));
	assert_true(n > 0 && (size_t)n < sizeof(pem));
	assert_int_equal(strlen(pem), (size_t)n);
	assert_int_equal(idkey_soft_parse("round trip", pem, (size_t)n, x, pub,
					  err), 0);
	assert_memory_equal(x, k.u.soft.x, 32);
	assert_memory_equal(pub, k.signer.pub, 65);
	assert_int_equal(idkey_soft_encode(x, pub, small, sizeof(small)),
			 -ENOSPC);
	memset(x, 0, 32);
	assert_int_equal(idkey_soft_encode(x, pub, pem, sizeof(pem)), -EINVAL);
	idkey_close(&k);
}

static void test_close_wipes_key(void **state)
{
	struct fx *f = *state;
	static const uint8_t zero[sizeof(struct idkey)];
	struct idkey k;

	assert_int_equal(idkey_soft_open(&k, f->key, true, NULL), 0);
	idkey_close(&k);
	assert_memory_equal(&k, zero, sizeof(k));
	assert_int_equal(k.backend, IDKEY_CLOSED);
	idkey_close(&k); /* idempotent */
	idkey_close(NULL);
}

/* With no TPM device, the auto choice is the soft key, created once. */
static void test_auto_without_tpm(void **state)
{
	struct fx *f = *state;
	struct idkey_auto_conf c = { 0 };
	struct idkey_choice why;
	struct idkey k;
	char dev[160], err[IDKEY_ERR_MAX];
	uint8_t pub[65];

	snprintf(dev, sizeof(dev), "%s/tpmrm0", f->dir);
	c.soft_path = f->key;
	c.tpm_device = dev;
	c.create_if_missing = true;
	assert_int_equal(idkey_open_auto(&k, &c, &why, err), 0);
	assert_int_equal(why.backend, IDKEY_SOFT);
	assert_int_equal(k.backend, IDKEY_SOFT);
	assert_true(k.created);
	assert_non_null(strstr(why.reason, "no TPM"));
	assert_non_null(strstr(why.reason, dev));
	memcpy(pub, k.signer.pub, 65);
	idkey_close(&k);

	/* now the file exists: it is the identity, even if a TPM appears */
	put(dev, "", 0);
	assert_int_equal(idkey_open_auto(&k, &c, &why, err), 0);
	assert_int_equal(why.backend, IDKEY_SOFT);
	assert_false(k.created);
	assert_memory_equal(k.signer.pub, pub, 65);
	assert_non_null(strstr(why.reason, "exists"));
	idkey_close(&k);

	/* no soft file, no TPM, no create: a clear error */
	unlink(f->key);
	unlink(dev);
	c.create_if_missing = false;
	assert_int_equal(idkey_open_auto(&k, &c, &why, err), -ENOENT);
	assert_non_null(strstr(err, f->key));
	assert_int_equal(idkey_open_auto(&k, NULL, &why, err), -EINVAL);
	assert_non_null(strstr(err, "soft key path"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_then_reopen_same_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_keys_differ, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_without_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_in_missing_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signatures_verify_with_bearssl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_openssl_reads_key_and_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_openssl_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key_types_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_file_never_overwritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scalar_range_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encode_parse_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_wipes_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_without_tpm, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
