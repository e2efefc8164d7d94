/*
 * Unit tests for dom0/x509: the DER writer and reader, PEM, the certificate
 * and CSR writers, and the certificate reader.
 *
 * Keys are made here with BearSSL (br_ec_keygen over an HMAC-DRBG seeded
 * from getrandom) and wrapped in a test signer.  What we write is checked by
 * independent implementations: the openssl command line (x509 -text, verify,
 * req -verify) and BearSSL's minimal X.509 engine; what openssl writes is
 * read back by our reader.  Every check of a validity window uses times from
 * inside the certificates or fixed dates, never the wall clock's progress.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <bearssl.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "der.h"
#include "pem.h"
#include "x509_oid.h"
#include "x509_read.h"
#include "x509_write.h"

/* ---- test signer ---------------------------------------------------------- */

struct tsigner {
	struct signer s;
	br_ec_private_key sk;
	uint8_t kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	int fail_rc;                /* sign() returns this when non-zero */
	struct tsigner *impostor;   /* sign with this key instead (mismatch) */
};

static int
tsign(struct signer *s, const uint8_t hash[32], uint8_t sig[SIGNER_SIG_LEN])
{
	struct tsigner *t = (struct tsigner *)s;
	const br_ec_private_key *sk = t->impostor ? &t->impostor->sk : &t->sk;

	if (t->fail_rc)
		return t->fail_rc;
	if (br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, hash, sk, sig) !=
	    SIGNER_SIG_LEN)
		return -EIO;
	return 0;
}

static void
tsigner_pub(struct tsigner *t)
{
	assert_int_equal(br_ec_compute_pub(&br_ec_p256_m31, NULL, t->s.pub, &t->sk),
			 SIGNER_PUB_LEN);
	t->s.sign = tsign;
}

static void
tsigner_new(struct tsigner *t)
{
	br_hmac_drbg_context drbg;
	uint8_t seed[32];

	memset(t, 0, sizeof(*t));
	assert_int_equal(getrandom(seed, sizeof(seed), 0), sizeof(seed));
	br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed, sizeof(seed));
	assert_true(br_ec_keygen(&drbg.vtable, &br_ec_p256_m31, &t->sk, t->kbuf,
				 BR_EC_secp256r1) > 0);
	tsigner_pub(t);
}

/* Loads a PKCS#8 or SEC1 EC key that openssl wrote. */
static void
tsigner_from_der(struct tsigner *t, const uint8_t *der, size_t len)
{
	br_skey_decoder_context dc;
	const br_ec_private_key *ek;

	memset(t, 0, sizeof(*t));
	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	assert_int_equal(br_skey_decoder_last_error(&dc), 0);
	assert_int_equal(br_skey_decoder_key_type(&dc), BR_KEYTYPE_EC);
	ek = br_skey_decoder_get_ec(&dc);
	assert_int_equal(ek->curve, BR_EC_secp256r1);
	assert_true(ek->xlen <= sizeof(t->kbuf));
	memcpy(t->kbuf, ek->x, ek->xlen);
	t->sk.curve = ek->curve;
	t->sk.x = t->kbuf;
	t->sk.xlen = ek->xlen;
	tsigner_pub(t);
}

/* ---- fixture: a temporary folder and shell helpers ----------------------- */

struct fx {
	char dir[64];
	struct tsigner a, b;
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/x509-test.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	tsigner_new(&f->a);
	tsigner_new(&f->b);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Runs a shell command (with 2>&1) in the fixture folder; returns its exit
 * status and its output in out. */
static int
run(struct fx *f, char *out, size_t outsz, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
run(struct fx *f, char *out, size_t outsz, const char *fmt, ...)
{
	char cmd[2048];
	size_t n = 0, k;
	va_list ap;
	FILE *p;
	int st, pre;

	pre = snprintf(cmd, sizeof(cmd), "cd '%s' && ( ", f->dir);
	va_start(ap, fmt);
	vsnprintf(cmd + pre, sizeof(cmd) - (size_t)pre, fmt, ap);
	va_end(ap);
	strncat(cmd, " ) 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n + 1 < outsz && (k = fread(out + n, 1, outsz - n - 1, p)) > 0)
		n += k;
	out[n] = '\0';
	/* drain anything beyond the buffer */
	while (fread(cmd, 1, sizeof(cmd), p) > 0)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
write_file(struct fx *f, const char *name, const void *data, size_t len)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static size_t
read_file(struct fx *f, const char *name, void *buf, size_t cap)
{
	char path[128];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	n = fread(buf, 1, cap, fp);
	assert_true(n < cap);
	fclose(fp);
	return n;
}

static void
write_pem(struct fx *f, const char *name, const char *label, const uint8_t *der, size_t len)
{
	char pem[3 * X509_DER_MAX];
	size_t n;

	assert_int_equal(pem_encode(label, der, len, pem, sizeof(pem), &n), 0);
	write_file(f, name, pem, n);
}

/* DER of the first block `label` in a PEM file. */
static size_t
read_pem(struct fx *f, const char *name, const char *label, uint8_t *der, size_t cap)
{
	char text[4 * X509_DER_MAX], err[X509_ERR_MAX];
	size_t n = read_file(f, name, text, sizeof(text)), len = 0;
	int rc = pem_decode_first(text, n, label, der, cap, &len, err, sizeof(err));

	if (rc != 0)
		fail_msg("%s: %s", name, err);
	return len;
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected '%s' in:\n%s", needle, hay);
}

/* "Nov 25 18:56:25 2026 GMT" after `key` in openssl output -> year */
static int
openssl_year(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	char mon[4];
	int d, h, mi, s, y;

	assert_non_null(p);
	p += strlen(key);
	assert_int_equal(sscanf(p, " %3s %d %d:%d:%d %d GMT", mon, &d, &h, &mi, &s, &y), 6);
	return y;
}

static time_t
fixed_time(int y, int mon, int d)
{
	return (time_t)der_time_from_civil(y, mon, d, 12, 0, 0);
}

/* ---- DER writer ------------------------------------------------------------ */

#define WRITE(buf, expr)                                                   \
	({                                                                 \
		struct der_writer w_;                                      \
		size_t n_ = 0;                                             \
		der_writer_init(&w_, (buf), sizeof(buf));                  \
		{                                                          \
			struct der_writer *w = &w_;                        \
			expr;                                              \
		}                                                          \
		assert_int_equal(der_writer_finish(&w_, &n_), 0);          \
		n_;                                                        \
	})

static void
expect_bytes(const uint8_t *got, size_t n, const char *hex)
{
	uint8_t want[256];
	size_t wn = 0;

	for (const char *p = hex; *p;) {
		unsigned v;

		if (*p == ' ') {
			p++;
			continue;
		}
		assert_int_equal(sscanf(p, "%2x", &v), 1);
		want[wn++] = (uint8_t)v;
		p += 2;
	}
	assert_int_equal(n, wn);
	assert_memory_equal(got, want, wn);
}

static void
test_der_integers(void **state)
{
	static const uint8_t m1[] = { 0x00, 0x00, 0x01 }, m2[] = { 0x80 },
			     m3[] = { 0x00, 0x00 }, m4[] = { 0x7f, 0xff };
	uint8_t b[32];
	size_t n;

	(void)state;
	n = WRITE(b, der_put_int(w, 0));
	expect_bytes(b, n, "02 01 00");
	n = WRITE(b, der_put_int(w, 127));
	expect_bytes(b, n, "02 01 7f");
	n = WRITE(b, der_put_int(w, 128));
	expect_bytes(b, n, "02 02 00 80");
	n = WRITE(b, der_put_int(w, 256));
	expect_bytes(b, n, "02 02 01 00");
	n = WRITE(b, der_put_int(w, -1));
	expect_bytes(b, n, "02 01 ff");
	n = WRITE(b, der_put_int(w, -128));
	expect_bytes(b, n, "02 01 80");
	n = WRITE(b, der_put_int(w, -129));
	expect_bytes(b, n, "02 02 ff 7f");
	n = WRITE(b, der_put_int(w, INT64_MIN));
	expect_bytes(b, n, "02 08 80 00 00 00 00 00 00 00");
	n = WRITE(b, der_put_uint_be(w, m1, sizeof(m1)));
	expect_bytes(b, n, "02 01 01");
	n = WRITE(b, der_put_uint_be(w, m2, sizeof(m2)));
	expect_bytes(b, n, "02 02 00 80");
	n = WRITE(b, der_put_uint_be(w, m3, sizeof(m3)));
	expect_bytes(b, n, "02 01 00");
	n = WRITE(b, der_put_uint_be(w, NULL, 0));
	expect_bytes(b, n, "02 01 00");
	n = WRITE(b, der_put_uint_be(w, m4, sizeof(m4)));
	expect_bytes(b, n, "02 02 7f ff");
}

static void
test_der_simple_types(void **state)
{
	static const uint32_t bad1[] = { 3, 1 }, bad2[] = { 1, 40 }, one[] = { 1 };
	uint8_t b[64];
	struct der_writer w;
	size_t n;

	(void)state;
	n = WRITE(b, der_put_bool(w, true); der_put_bool(w, false); der_put_null(w));
	expect_bytes(b, n, "01 01 ff 01 01 00 05 00");
	n = WRITE(b, der_put_oid(w, X509_OID(OID_EC_PUBLIC_KEY)));
	expect_bytes(b, n, "06 07 2a 86 48 ce 3d 02 01");
	n = WRITE(b, der_put_oid(w, X509_OID(OID_EXT_BASIC_CONSTRAINTS)));
	expect_bytes(b, n, "06 03 55 1d 13");
	n = WRITE(b, der_put_oid(w, X509_OID(2, 999, 3)));
	expect_bytes(b, n, "06 03 88 37 03");
	n = WRITE(b, der_put_octet_string(w, "ab", 2); der_put_bit_string(w, "\x04", 1));
	expect_bytes(b, n, "04 02 61 62 03 02 00 04");
	/* KeyUsage: trailing zero bits dropped, unused-bit count set */
	n = WRITE(b, der_put_named_bits(w, X509_KU_DIGITAL_SIGNATURE | X509_KU_KEY_CERT_SIGN));
	expect_bytes(b, n, "03 02 02 84");
	n = WRITE(b, der_put_named_bits(w, X509_KU_DIGITAL_SIGNATURE));
	expect_bytes(b, n, "03 02 07 80");
	n = WRITE(b, der_put_named_bits(w, 1u << 8));
	expect_bytes(b, n, "03 03 07 00 80");
	n = WRITE(b, der_put_named_bits(w, 0));
	expect_bytes(b, n, "03 01 00");
	/* strings */
	n = WRITE(b, der_put_utf8(w, "Z\xc3\xbcrich"); der_put_printable(w, "A-1 (b)"));
	expect_bytes(b, n, "0c 07 5a c3 bc 72 69 63 68 13 07 41 2d 31 20 28 62 29");
	n = WRITE(b, der_put_ia5_tagged(w, DER_CTX(2), "a.b"));
	expect_bytes(b, n, "82 03 61 2e 62");
	/* explicit [0] { INTEGER 2 } */
	n = WRITE(b, der_begin(w, DER_CTX_CONS(0)); der_put_int(w, 2); der_end(w));
	expect_bytes(b, n, "a0 03 02 01 02");
	n = WRITE(b, der_begin(w, DER_SET); der_end(w));
	expect_bytes(b, n, "31 00");

	/* values DER cannot carry */
	der_writer_init(&w, b, sizeof(b));
	der_put_printable(&w, "a@b");
	assert_int_equal(der_writer_finish(&w, &n), -EINVAL);
	der_writer_init(&w, b, sizeof(b));
	der_put_utf8(&w, "\xc0\xaf");  /* overlong '/' */
	assert_int_equal(der_writer_finish(&w, &n), -EINVAL);
	der_writer_init(&w, b, sizeof(b));
	der_put_utf8(&w, "\xed\xa0\x80");  /* surrogate */
	assert_int_equal(der_writer_finish(&w, &n), -EINVAL);
	der_writer_init(&w, b, sizeof(b));
	der_put_ia5(&w, "caf\xc3\xa9");
	assert_int_equal(der_writer_finish(&w, &n), -EINVAL);
	der_writer_init(&w, b, sizeof(b));
	der_put_oid(&w, bad1, 2);
	assert_int_equal(der_writer_finish(&w, &n), -EINVAL);
	der_writer_init(&w, b, sizeof(b));
	der_put_oid(&w, bad2, 2);
	assert_int_equal(der_writer_finish(&w, &n), -EINVAL);
	der_writer_init(&w, b, sizeof(b));
	der_put_oid(&w, one, 1);
	assert_int_equal(der_writer_finish(&w, &n), -EINVAL);
	der_writer_init(&w, b, sizeof(b));
	der_put_tlv(&w, 0x1f, "x", 1);  /* high tag number form */
	assert_int_equal(der_writer_finish(&w, &n), -EINVAL);
}

static void
test_der_lengths_and_nesting(void **state)
{
	static uint8_t big[70000], out[70100];
	struct der_writer w;
	size_t sizes[] = { 0, 1, 127, 128, 255, 256, 65535, 65536 };
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t c = sizes[k], h;

		/* SEQUENCE { SEQUENCE { OCTET STRING c } }: lengths patched in
		 * by der_end after the contents, each minimal */
		der_writer_init(&w, out, sizeof(out));
		der_begin(&w, DER_SEQUENCE);
		der_begin(&w, DER_SEQUENCE);
		der_put_octet_string(&w, big, c);
		der_end(&w);
		der_end(&w);
		assert_int_equal(der_writer_finish(&w, &n), 0);
		h = c < 128 ? 2 : c < 256 ? 3 : c < 65536 ? 4 : 5;
		size_t inner = h + c, mid = inner + (inner < 128 ? 2 : inner < 256 ? 3 : inner < 65536 ? 4 : 5);
		size_t outer = mid + (mid < 128 ? 2 : mid < 256 ? 3 : mid < 65536 ? 4 : 5);
		assert_int_equal(n, outer);
		assert_memory_equal(out + n - c, big, c);
		/* the reader takes it apart again */
		struct der_reader r, s1, s2;
		struct der_tlv t;
		char err[128];

		der_reader_init(&r, out, n, "test", err, sizeof(err));
		assert_int_equal(der_check(&r, 4), 0);
		der_reader_init(&r, out, n, "test", err, sizeof(err));
		assert_int_equal(der_expect_enter(&r, DER_SEQUENCE, &s1, "a"), 0);
		assert_int_equal(der_expect_enter(&s1, DER_SEQUENCE, &s2, "b"), 0);
		assert_int_equal(der_expect(&s2, DER_OCTET_STRING, &t, "c"), 0);
		assert_int_equal(t.len, c);
		assert_memory_equal(t.val, big, c);
		assert_false(der_more(&s2));
	}

	/* short output: sticky -ENOSPC at every size below the 10 needed */
	for (size_t cap = 0; cap < 10; cap++) {
		der_writer_init(&w, out, cap);
		der_begin(&w, DER_SEQUENCE);
		der_put_int(&w, 5);
		der_put_octet_string(&w, "abc", 3);
		der_end(&w);
		assert_int_equal(der_writer_finish(&w, &n), -ENOSPC);
	}
	der_writer_init(&w, out, 10);
	der_begin(&w, DER_SEQUENCE);
	der_put_int(&w, 5);
	der_put_octet_string(&w, "abc", 3);
	der_end(&w);
	assert_int_equal(der_writer_finish(&w, &n), 0);
	expect_bytes(out, n, "30 08 02 01 05 04 03 61 62 63");

	/* unbalanced begin/end, too deep */
	der_writer_init(&w, out, sizeof(out));
	der_begin(&w, DER_SEQUENCE);
	assert_int_equal(der_writer_finish(&w, &n), -EPROTO);
	der_writer_init(&w, out, sizeof(out));
	der_end(&w);
	assert_int_equal(der_writer_finish(&w, &n), -EPROTO);
	der_writer_init(&w, out, sizeof(out));
	for (int i = 0; i <= DER_MAX_DEPTH; i++)
		der_begin(&w, DER_SEQUENCE);
	assert_int_equal(der_writer_finish(&w, &n), -EPROTO);
}

static void
test_der_times(void **state)
{
	struct {
		int y, mon, d, h, mi, s;
		const char *hex;
	} cases[] = {
		{ 2049, 12, 31, 23, 59, 59, "17 0d 34 39 31 32 33 31 32 33 35 39 35 39 5a" },
		{ 2050, 1, 1, 0, 0, 0, "18 0f 32 30 35 30 30 31 30 31 30 30 30 30 30 30 5a" },
		{ 1950, 1, 1, 0, 0, 0, "17 0d 35 30 30 31 30 31 30 30 30 30 30 30 5a" },
		{ 1949, 12, 31, 23, 59, 59, "18 0f 31 39 34 39 31 32 33 31 32 33 35 39 35 39 5a" },
		{ 2000, 2, 29, 1, 2, 3, "17 0d 30 30 30 32 32 39 30 31 30 32 30 33 5a" },
	};
	uint8_t b[32];
	char err[160];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_t t = (time_t)der_time_from_civil(cases[i].y, cases[i].mon, cases[i].d,
						       cases[i].h, cases[i].mi, cases[i].s), back;
		struct der_reader r;
		struct der_tlv tlv;

		n = WRITE(b, der_put_time(w, t));
		expect_bytes(b, n, cases[i].hex);
		der_reader_init(&r, b, n, "time", err, sizeof(err));
		assert_int_equal(der_read(&r, &tlv), 0);
		assert_int_equal(der_get_time(&r, &tlv, &back, "t"), 0);
		assert_int_equal(back, t);
	}
	/* civil conversion agrees with the C library over 1900..2200 */
	for (int64_t t = -2208988800LL; t < 7258118400LL; t += 86400LL * 97 + 3661) {
		time_t tt = (time_t)t;
		struct tm tm;
		int y, mon, d, h, mi, s;

		assert_non_null(gmtime_r(&tt, &tm));
		der_time_to_civil(t, &y, &mon, &d, &h, &mi, &s);
		assert_int_equal(y, tm.tm_year + 1900);
		assert_int_equal(mon, tm.tm_mon + 1);
		assert_int_equal(d, tm.tm_mday);
		assert_int_equal(h * 3600 + mi * 60 + s, tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
		assert_int_equal(der_time_from_civil(y, mon, d, h, mi, s), t);
	}
	/* x509_add_years: calendar years, 29 February to 1 March */
	assert_int_equal(x509_add_years(fixed_time(2026, 5, 17), 20), fixed_time(2046, 5, 17));
	assert_int_equal(x509_add_years(fixed_time(2028, 2, 29), 20), fixed_time(2048, 2, 29));
	assert_int_equal(x509_add_years(fixed_time(2028, 2, 29), 1), fixed_time(2029, 3, 1));
	assert_int_equal(x509_add_years(fixed_time(9990, 1, 1), 20), DER_TIME_MAX);
	assert_int_equal(x509_add_years((time_t)INT64_MAX, 20), DER_TIME_MAX);
	assert_int_equal(x509_add_years((time_t)INT64_MIN, -20), DER_TIME_MIN);
	/* the writer refuses times outside years 0..9999, even huge ones */
	{
		struct der_writer w;

		der_writer_init(&w, b, sizeof(b));
		der_put_time(&w, (time_t)(DER_TIME_MAX + 1));
		assert_int_equal(der_writer_finish(&w, &n), -EINVAL);
		der_writer_init(&w, b, sizeof(b));
		der_put_time(&w, (time_t)INT64_MAX);
		assert_int_equal(der_writer_finish(&w, &n), -EINVAL);
		n = WRITE(b, der_put_time(w, (time_t)DER_TIME_MIN));
		expect_bytes(b, n, "18 0f 30 30 30 30 30 31 30 31 30 30 30 30 30 30 5a");
	}

	/* malformed times */
	static const char *bad[] = {
		"17 0d 34 39 31 33 33 31 32 33 35 39 35 39 5a",  /* month 13 */
		"17 0d 34 39 30 32 33 30 32 33 35 39 35 39 5a",  /* 30 February */
		"17 0d 34 39 31 32 33 31 32 34 30 30 30 30 5a",  /* hour 24 */
		"17 0b 34 39 31 32 33 31 32 33 35 39 5a",        /* no seconds */
		"17 0d 34 39 31 32 33 31 32 33 35 39 35 39 30",  /* no Z */
		"17 11 34 39 31 32 33 31 32 33 35 39 35 39 2b 30 31 30 30", /* +0100 */
		"18 11 32 30 35 30 30 31 30 31 30 30 30 30 30 30 2e 35 5a", /* fraction */
		"17 0d 34 39 31 32 33 31 32 33 35 39 35 2d 5a",  /* non-digit */
		"02 01 00",                                      /* not a time */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t raw[32];
		size_t rn = 0;
		struct der_reader r;
		struct der_tlv tlv;
		time_t t;

		for (const char *p = bad[i]; *p; p += (*p == ' ') ? 1 : 2) {
			unsigned v;

			if (*p == ' ')
				continue;
			sscanf(p, "%2x", &v);
			raw[rn++] = (uint8_t)v;
		}
		der_reader_init(&r, raw, rn, "time", err, sizeof(err));
		assert_int_equal(der_read(&r, &tlv), 0);
		assert_int_equal(der_get_time(&r, &tlv, &t, "notAfter"), -EBADMSG);
		assert_contains(err, "time: notAfter: ");
	}
}

/* parses hex into raw and runs one der_read: returns rc, err filled */
static int
read_hex(const char *hex, char *err, size_t errsz)
{
	uint8_t raw[64];
	size_t rn = 0;
	struct der_reader r;

	for (const char *p = hex; *p;) {
		unsigned v;

		if (*p == ' ') {
			p++;
			continue;
		}
		sscanf(p, "%2x", &v);
		raw[rn++] = (uint8_t)v;
		p += 2;
	}
	der_reader_init(&r, raw, rn, "input", err, errsz);
	return der_check(&r, DER_MAX_DEPTH);
}

static void
test_der_reader_strict(void **state)
{
	char err[200];
	uint8_t b[64];
	struct der_reader r;
	struct der_tlv t;
	int64_t v;
	const uint8_t *mag;
	size_t ml;
	bool bv;
	uint32_t bits;
	char s[DER_OID_STR_MAX];

	(void)state;
	assert_int_equal(read_hex("30 03 02 01 05", err, sizeof(err)), 0);
	assert_int_equal(read_hex("30 81 03 02 01 05", err, sizeof(err)), -EBADMSG);
	assert_contains(err, "non-minimal length (long form for 3)");
	assert_int_equal(read_hex("30 82 00 03 02 01 05", err, sizeof(err)), -EBADMSG);
	assert_contains(err, "non-minimal length (leading zero byte)");
	assert_int_equal(read_hex("30 80 02 01 05 00 00", err, sizeof(err)), -EBADMSG);
	assert_contains(err, "indefinite length is not DER at offset 0");
	assert_int_equal(read_hex("30 84 00 00 00 03 02 01 05", err, sizeof(err)), -EBADMSG);
	assert_contains(err, "length field of 4 bytes is too long");
	assert_int_equal(read_hex("30 05 02 01 05", err, sizeof(err)), -EBADMSG);
	assert_contains(err, "truncated: length 5 but only 3 bytes left");
	assert_int_equal(read_hex("30 03 02 02 05", err, sizeof(err)), -EBADMSG);
	assert_contains(err, "at offset 2");
	assert_int_equal(read_hex("30", err, sizeof(err)), -EBADMSG);
	assert_contains(err, "no length byte");
	assert_int_equal(read_hex("30 82 01", err, sizeof(err)), -EBADMSG);
	assert_contains(err, "truncated length field");
	assert_int_equal(read_hex("1f 81 01 00", err, sizeof(err)), -EBADMSG);
	assert_contains(err, "multi-byte tag");
	assert_int_equal(read_hex("30 03 02 01 05 00", err, sizeof(err)), -EBADMSG);
	assert_contains(err, "1 trailing bytes after the outer element");
	assert_int_equal(read_hex("", err, sizeof(err)), -EBADMSG);
	assert_contains(err, "missing (end of data)");

	/* nesting: 16 levels pass, 17 do not */
	for (int depth = 16; depth <= 17; depth++) {
		uint8_t nest[64];

		for (int i = 0; i < depth; i++) {
			nest[2 * i] = 0x30;
			nest[2 * i + 1] = (uint8_t)(2 * (depth - i - 1));
		}
		der_reader_init(&r, nest, 2 * (size_t)depth, "nest", err, sizeof(err));
		assert_int_equal(der_check(&r, DER_MAX_DEPTH), depth <= 16 ? 0 : -EBADMSG);
		if (depth > 16)
			assert_contains(err, "nesting deeper than 16 levels");
	}

	/* expect: wrong tag names both */
	b[0] = 0x02, b[1] = 0x01, b[2] = 0x05;
	der_reader_init(&r, b, 3, "cert", err, sizeof(err));
	assert_int_equal(der_expect(&r, DER_SEQUENCE, &t, "tbs"), -EBADMSG);
	assert_string_equal(err, "cert: tbs: expected SEQUENCE (0x30), found INTEGER (0x02) at offset 0");
	assert_int_equal(der_expect(&r, DER_INTEGER, &t, "n"), 0);
	assert_int_equal(der_get_int(&r, &t, 0, 10, &v, "n"), 0);
	assert_int_equal(v, 5);
	assert_int_equal(der_get_int(&r, &t, 6, 10, &v, "n"), -EBADMSG);
	assert_contains(err, "5 is out of range 6..10");

	/* INTEGER rules */
	static const uint8_t nonmin[] = { 0x02, 0x02, 0x00, 0x05 }, neg[] = { 0x02, 0x01, 0x80 },
			     pos[] = { 0x02, 0x02, 0x00, 0x80 }, nonmin_neg[] = { 0x02, 0x02, 0xff, 0x80 },
			     empty[] = { 0x02, 0x00 };
	der_reader_init(&r, nonmin, sizeof(nonmin), "i", err, sizeof(err));
	der_read(&r, &t);
	assert_int_equal(der_get_uint_be(&r, &t, &mag, &ml, "serial"), -EBADMSG);
	assert_contains(err, "non-minimal INTEGER");
	der_reader_init(&r, nonmin_neg, sizeof(nonmin_neg), "i", err, sizeof(err));
	der_read(&r, &t);
	assert_int_equal(der_get_int(&r, &t, -1000, 1000, &v, "x"), -EBADMSG);
	der_reader_init(&r, neg, sizeof(neg), "i", err, sizeof(err));
	der_read(&r, &t);
	assert_int_equal(der_get_uint_be(&r, &t, &mag, &ml, "serial"), -EBADMSG);
	assert_contains(err, "negative INTEGER");
	assert_int_equal(der_get_int(&r, &t, -200, 0, &v, "x"), 0);
	assert_int_equal(v, -128);
	der_reader_init(&r, pos, sizeof(pos), "i", err, sizeof(err));
	der_read(&r, &t);
	assert_int_equal(der_get_uint_be(&r, &t, &mag, &ml, "serial"), 0);
	assert_int_equal(ml, 1);
	assert_int_equal(mag[0], 0x80);
	der_reader_init(&r, empty, sizeof(empty), "i", err, sizeof(err));
	der_read(&r, &t);
	assert_int_equal(der_get_int(&r, &t, 0, 1, &v, "x"), -EBADMSG);
	assert_contains(err, "empty INTEGER");

	/* BOOLEAN, BIT STRING, OID */
	static const uint8_t b01[] = { 0x01, 0x01, 0x01 }, bs[] = { 0x03, 0x02, 0x02, 0x84 },
			     bs_dirty[] = { 0x03, 0x02, 0x02, 0x85 },
			     oid[] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 },
			     oid_bad[] = { 0x06, 0x02, 0x80, 0x01 },
			     oid_open[] = { 0x06, 0x02, 0x2a, 0x86 };
	der_reader_init(&r, b01, sizeof(b01), "b", err, sizeof(err));
	der_read(&r, &t);
	assert_int_equal(der_get_bool(&r, &t, &bv, "cA"), -EBADMSG);
	assert_contains(err, "BOOLEAN must be one byte 0x00 or 0xff");
	der_reader_init(&r, bs, sizeof(bs), "b", err, sizeof(err));
	der_read(&r, &t);
	assert_int_equal(der_get_named_bits(&r, &t, &bits, "ku"), 0);
	assert_int_equal(bits, X509_KU_DIGITAL_SIGNATURE | X509_KU_KEY_CERT_SIGN);
	assert_int_equal(der_get_bit_string(&r, &t, &mag, &ml, "key"), -EBADMSG);
	assert_contains(err, "BIT STRING with 2 unused bits");
	der_reader_init(&r, bs_dirty, sizeof(bs_dirty), "b", err, sizeof(err));
	der_read(&r, &t);
	assert_int_equal(der_get_named_bits(&r, &t, &bits, "ku"), -EBADMSG);
	assert_contains(err, "unused bits are not zero");
	der_reader_init(&r, oid, sizeof(oid), "o", err, sizeof(err));
	der_read(&r, &t);
	assert_int_equal(der_get_oid(&r, &t, "alg"), 0);
	der_oid_to_str(t.val, t.len, s, sizeof(s));
	assert_string_equal(s, "1.2.840.10045.2.1");
	assert_true(der_oid_eq(t.val, t.len, X509_OID(OID_EC_PUBLIC_KEY)));
	assert_false(der_oid_eq(t.val, t.len, X509_OID(OID_PRIME256V1)));
	der_reader_init(&r, oid_bad, sizeof(oid_bad), "o", err, sizeof(err));
	der_read(&r, &t);
	assert_int_equal(der_get_oid(&r, &t, "alg"), -EBADMSG);
	der_oid_to_str(t.val, t.len, s, sizeof(s));
	assert_string_equal(s, "(malformed OID)");
	der_reader_init(&r, oid_open, sizeof(oid_open), "o", err, sizeof(err));
	der_read(&r, &t);
	assert_int_equal(der_get_oid(&r, &t, "alg"), -EBADMSG);
	assert_contains(err, "malformed OBJECT IDENTIFIER");

	/* der_enter refuses primitives; der_optional leaves other tags */
	der_reader_init(&r, oid, sizeof(oid), "o", err, sizeof(err));
	assert_int_equal(der_optional(&r, DER_INTEGER, &t), 0);
	assert_int_equal(der_optional(&r, DER_OID, &t), 1);
	struct der_reader sub;
	assert_int_equal(der_enter(&r, &t, &sub), -EBADMSG);
	assert_contains(err, "primitive tag 0x06");
}

/* ---- PEM ---------------------------------------------------------------------- */

static void
test_pem(void **state)
{
	uint8_t der[300], back[300];
	char pem[1024], err[200];
	size_t n, bn;

	(void)state;
	for (size_t i = 0; i < sizeof(der); i++)
		der[i] = (uint8_t)(i * 31 + 7);
	for (size_t len = 1; len <= sizeof(der); len++) {
		assert_int_equal(pem_encode("CERTIFICATE", der, len, pem, sizeof(pem), &n), 0);
		assert_int_equal(n + 1, pem_encoded_size("CERTIFICATE", len));
		assert_int_equal(strlen(pem), n);
		assert_int_equal(pem_decode_first(pem, n, "CERTIFICATE", back, sizeof(back), &bn,
						  err, sizeof(err)),
				 0);
		assert_int_equal(bn, len);
		assert_memory_equal(back, der, len);
		/* one byte short of room */
		assert_int_equal(pem_decode_first(pem, n, "CERTIFICATE", back, len - 1, &bn, err,
						  sizeof(err)),
				 -ENOSPC);
		assert_int_equal(pem_encode("CERTIFICATE", der, len, pem, n, &bn), -ENOSPC);
	}
	/* lines are 64 characters */
	assert_int_equal(pem_encode("X", der, 100, pem, sizeof(pem), &n), 0);
	assert_int_equal(strchr(strchr(pem, '\n') + 1, '\n') - strchr(pem, '\n'), 65);
	assert_int_equal(pem_encode("-BAD", der, 3, pem, sizeof(pem), &n), -EINVAL);
	assert_int_equal(pem_encode("", der, 3, pem, sizeof(pem), &n), -EINVAL);

	/* the wanted block after another one, CRLF line ends, a trailing space */
	static const char two[] =
		"junk before\r\n"
		"-----BEGIN EC PARAMETERS-----\r\nBggqhkjOPQMBBw==\r\n-----END EC PARAMETERS-----\r\n"
		"-----BEGIN CERTIFICATE----- \r\nAQID\r\nBA==\r\n-----END CERTIFICATE-----\r\n";
	assert_int_equal(pem_decode_first(two, strlen(two), "CERTIFICATE", back, sizeof(back), &bn,
					  err, sizeof(err)),
			 0);
	expect_bytes(back, bn, "01 02 03 04");
	assert_int_equal(pem_decode_first(two, strlen(two), "EC PARAMETERS", back, sizeof(back),
					  &bn, err, sizeof(err)),
			 0);
	expect_bytes(back, bn, "06 08 2a 86 48 ce 3d 03 01 07");

	struct {
		const char *text;
		int rc;
		const char *msg;
	} bad[] = {
		{ "nothing here", -ENOENT, "PEM: no '-----BEGIN CERTIFICATE-----' block" },
		{ "-----BEGIN CERTIFICATE-----\nAQID\n", -EBADMSG, "no '-----END CERTIFICATE-----' line" },
		{ "-----BEGIN CERTIFICATE-----\nAQ*D\n-----END CERTIFICATE-----\n", -EBADMSG,
		  "line 2: invalid base64 character 0x2a" },
		{ "-----BEGIN CERTIFICATE-----\nAQ==AQID\n-----END CERTIFICATE-----\n", -EBADMSG,
		  "data after '=' padding" },
		{ "-----BEGIN CERTIFICATE-----\nA===\n-----END CERTIFICATE-----\n", -EBADMSG,
		  "misplaced '='" },
		{ "-----BEGIN CERTIFICATE-----\nAQI\n-----END CERTIFICATE-----\n", -EBADMSG,
		  "ends mid-group" },
		{ "-----BEGIN CERTIFICATE-----\nAR==\n-----END CERTIFICATE-----\n", -EBADMSG,
		  "non-canonical base64 padding" },
		{ "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", -EBADMSG, "empty block" },
		{ "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nAQID\n-----END CERTIFICATE-----\n",
		  -EBADMSG, "headers (encrypted PEM) are not supported" },
		{ "-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n", -EBADMSG,
		  "unexpected boundary line" },
		{ "-----BEGIN CERTIFICATES-----\nAQID\n-----END CERTIFICATES-----\n", -ENOENT,
		  "no '-----BEGIN CERTIFICATE-----' block" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = pem_decode_first(bad[i].text, strlen(bad[i].text), "CERTIFICATE", back,
					  sizeof(back), &bn, err, sizeof(err));

		if (rc != bad[i].rc || !strstr(err, bad[i].msg))
			fail_msg("case %zu: rc %d err '%s'", i, rc, err);
	}
}

/* ---- certificates ------------------------------------------------------------ */

static const struct x509_name root_name = { .cn = "Edgevisor Root CA", .o = "Edgevisor",
					    .ou = "PKI" };

/* A root CA for signer s, valid from `from` for 10 years. */
static size_t
make_root(struct tsigner *s, time_t from, uint8_t *der, size_t cap)
{
	struct x509_cert_params p = {
		.subject = root_name,
		.not_before = from,
		.not_after = x509_add_years(from, 10),
		.subject_pub = s->s.pub,
		.basic_constraints = true,
		.ca = true,
		.path_len = 1,
		.key_usage = X509_KU_KEY_CERT_SIGN | X509_KU_CRL_SIGN,
	};
	char err[X509_ERR_MAX];
	size_t n;

	assert_int_equal(x509_serial_random(p.serial), 0);
	if (x509_cert_write(&p, &s->s, der, cap, &n, err, sizeof(err)) != 0)
		fail_msg("root: %s", err);
	return n;
}

/* A TLS server certificate for key `pub`, issued by `issuer` with signer ca. */
static size_t
make_leaf(const struct x509_name *issuer, struct tsigner *ca, const uint8_t *pub, time_t from,
	  const char *const *dns, size_t n_dns, uint8_t *der, size_t cap)
{
	struct x509_cert_params p = {
		.subject = { .cn = dns[0], .o = "Edgevisor" },
		.issuer = issuer,
		.not_before = from,
		.not_after = x509_add_years(from, 1),
		.subject_pub = pub,
		.basic_constraints = true,
		.path_len = -1,
		.key_usage = X509_KU_DIGITAL_SIGNATURE,
		.ext_key_usage = X509_EKU_SERVER_AUTH,
		.dns = dns,
		.n_dns = n_dns,
	};
	char err[X509_ERR_MAX];
	size_t n;

	assert_int_equal(x509_serial_random(p.serial), 0);
	if (x509_cert_write(&p, &ca->s, der, cap, &n, err, sizeof(err)) != 0)
		fail_msg("leaf: %s", err);
	return n;
}

static void
parse_ok(const uint8_t *der, size_t n, struct x509_cert *c)
{
	char err[X509_ERR_MAX];

	if (x509_cert_parse(der, n, c, err, sizeof(err)) != 0)
		fail_msg("parse: %s", err);
}

static void
test_device_cert(void **state)
{
	struct fx *f = *state;
	uint8_t serial[X509_SERIAL_LEN], der[X509_DER_MAX];
	char err[X509_ERR_MAX], out[16384], hex[64];
	struct x509_cert c;
	time_t now = time(NULL);
	size_t n;

	assert_int_equal(x509_serial_random(serial), 0);
	assert_true(serial[0] >= 0x40 && serial[0] < 0x80);
	assert_int_equal(x509_device_cert_write("EVDEV-0123456789", now, serial, &f->a.s, der,
						sizeof(der), &n, err, sizeof(err)),
			 0);
	write_pem(f, "self.pem", "CERTIFICATE", der, n);

	assert_int_equal(run(f, out, sizeof(out), "openssl x509 -in self.pem -text -noout"), 0);
	assert_contains(out, "Version: 3 (0x2)");
	assert_contains(out, "Signature Algorithm: ecdsa-with-SHA256");
	assert_contains(out, "Issuer: CN = EVDEV-0123456789");
	assert_contains(out, "Subject: CN = EVDEV-0123456789");
	assert_contains(out, "NIST CURVE: P-256");
	assert_contains(out, "X509v3 Basic Constraints: critical");
	assert_contains(out, "CA:TRUE");
	assert_contains(out, "X509v3 Key Usage: critical");
	assert_contains(out, "Digital Signature, Certificate Sign");
	assert_contains(out, "TLS Web Client Authentication, TLS Web Server Authentication");
	assert_contains(out, "X509v3 Subject Key Identifier");
	assert_contains(out, "X509v3 Authority Key Identifier");
	assert_int_equal(openssl_year(out, "Not After :") - openssl_year(out, "Not Before:"), 20);

	/* the serial openssl reads is ours */
	assert_int_equal(run(f, out, sizeof(out), "openssl x509 -in self.pem -noout -serial"), 0);
	strcpy(hex, "serial=");
	for (int i = 0; i < X509_SERIAL_LEN; i++)
		sprintf(hex + 7 + 2 * i, "%02X", serial[i]);
	assert_contains(out, hex);

	assert_int_equal(run(f, out, sizeof(out),
			     "openssl verify -CAfile self.pem -check_ss_sig self.pem"), 0);
	assert_contains(out, "self.pem: OK");

	/* and our reader sees the same */
	parse_ok(der, n, &c);
	assert_int_equal(c.version, 3);
	assert_string_equal(c.subject_cn, "EVDEV-0123456789");
	assert_string_equal(c.issuer_cn, "EVDEV-0123456789");
	assert_int_equal(c.not_before, now - 86400);
	assert_int_equal(c.not_after, x509_add_years(now - 86400, 20));
	assert_true(c.has_basic_constraints && c.ca);
	assert_int_equal(c.path_len, -1);
	assert_int_equal(c.key_usage, X509_KU_DIGITAL_SIGNATURE | X509_KU_KEY_CERT_SIGN);
	assert_int_equal(c.ext_key_usage, X509_EKU_CLIENT_AUTH | X509_EKU_SERVER_AUTH);
	assert_int_equal(c.n_dns, 0);
	assert_memory_equal(c.pub, f->a.s.pub, SIGNER_PUB_LEN);
	assert_int_equal(c.serial.len, X509_SERIAL_LEN);
	assert_memory_equal(c.serial.p, serial, X509_SERIAL_LEN);
	assert_int_equal(x509_cert_verify(&c, f->a.s.pub, err, sizeof(err)), 0);
	assert_int_equal(x509_cert_check_issued_by(&c, &c, err, sizeof(err)), 0);
	assert_int_equal(x509_cert_verify(&c, f->b.s.pub, err, sizeof(err)), -EBADMSG);
	assert_contains(err, "signature does not verify with the issuer's key");

	/* senderCertHash = SHA-256 of the DER, as openssl computes it */
	uint8_t h[32];
	char fp[128] = "sha256 Fingerprint=";
	x509_der_sha256(der, n, h);
	for (int i = 0; i < 32; i++)
		sprintf(fp + strlen(fp), "%02X%s", h[i], i < 31 ? ":" : "");
	assert_int_equal(run(f, out, sizeof(out),
			     "openssl x509 -in self.pem -noout -fingerprint -sha256"), 0);
	assert_contains(out, fp);
}

/* BearSSL's minimal X.509 engine on a chain (leaf first) with one anchor. */
static unsigned
bearssl_check(const struct x509_cert *anchor, const uint8_t *const *chain, const size_t *lens,
	      size_t n, const char *server_name, time_t when)
{
	br_x509_minimal_context xc;
	br_x509_trust_anchor ta = {
		.dn = { .data = (unsigned char *)anchor->subject_dn.p, .len = anchor->subject_dn.len },
		.flags = BR_X509_TA_CA,
		.pkey = { .key_type = BR_KEYTYPE_EC,
			  .key.ec = { .curve = BR_EC_secp256r1,
				      .q = (unsigned char *)anchor->pub,
				      .qlen = SIGNER_PUB_LEN } },
	};
	const br_x509_class **vt = &xc.vtable;

	br_x509_minimal_init(&xc, &br_sha256_vtable, &ta, 1);
	br_x509_minimal_set_hash(&xc, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_ecdsa(&xc, &br_ec_p256_m31, br_ecdsa_i31_vrfy_asn1);
	/* days since 1 January of year 0, as BearSSL counts them */
	br_x509_minimal_set_time(&xc, (uint32_t)(when / 86400 + 719528), (uint32_t)(when % 86400));
	(*vt)->start_chain(vt, server_name);
	for (size_t i = 0; i < n; i++) {
		(*vt)->start_cert(vt, (uint32_t)lens[i]);
		(*vt)->append(vt, chain[i], lens[i]);
		(*vt)->end_cert(vt);
	}
	return (*vt)->end_chain(vt);
}

static void
test_ca_and_leaf(void **state)
{
	struct fx *f = *state;
	static const char *const dns[] = { "localhost", "evc.local" };
	static const char *const dns2[] = { "localhost" };
	static const struct x509_name inter_name = { .cn = "Edgevisor Signing CA",
						     .o = "Edgevisor" };
	uint8_t root[X509_DER_MAX], leaf[X509_DER_MAX], inter[X509_DER_MAX], leaf2[X509_DER_MAX];
	size_t rn, ln, in, l2n;
	struct x509_cert rc, lc, ic, l2c, bad;
	struct tsigner c3;
	char err[X509_ERR_MAX], out[16384];
	time_t now = time(NULL);

	rn = make_root(&f->a, now - 3600, root, sizeof(root));
	ln = make_leaf(&root_name, &f->a, f->b.s.pub, now - 3600, dns, 2, leaf, sizeof(leaf));
	write_pem(f, "root.pem", "CERTIFICATE", root, rn);
	write_pem(f, "leaf.pem", "CERTIFICATE", leaf, ln);

	assert_int_equal(run(f, out, sizeof(out), "openssl verify -CAfile root.pem leaf.pem"), 0);
	assert_contains(out, "leaf.pem: OK");
	assert_int_equal(run(f, out, sizeof(out),
			     "openssl verify -CAfile root.pem -purpose sslserver "
			     "-verify_hostname localhost leaf.pem"),
			 0);
	assert_contains(out, "leaf.pem: OK");
	assert_int_not_equal(run(f, out, sizeof(out),
				 "openssl verify -CAfile root.pem -verify_hostname otherhost leaf.pem"),
			     0);
	assert_contains(out, "hostname mismatch");
	/* the leaf is no CA: nothing it signs is trusted */
	assert_int_not_equal(run(f, out, sizeof(out), "openssl verify -CAfile leaf.pem leaf.pem"), 0);
	assert_int_equal(run(f, out, sizeof(out), "openssl x509 -in leaf.pem -noout -text"), 0);
	assert_contains(out, "Issuer: O = Edgevisor, OU = PKI, CN = Edgevisor Root CA");
	assert_contains(out, "Subject: O = Edgevisor, CN = localhost");
	assert_contains(out, "DNS:localhost, DNS:evc.local");
	assert_contains(out, "CA:FALSE");
	assert_contains(out, "TLS Web Server Authentication");
	assert_int_equal(run(f, out, sizeof(out), "openssl x509 -in root.pem -noout -text"), 0);
	assert_contains(out, "CA:TRUE, pathlen:1");
	assert_contains(out, "Certificate Sign, CRL Sign");

	parse_ok(root, rn, &rc);
	parse_ok(leaf, ln, &lc);
	/* BearSSL: accepted for both names, refused for another */
	{
		const uint8_t *chain[] = { leaf };
		size_t lens[] = { ln };
		time_t when = lc.not_before + 86400;

		assert_int_equal(bearssl_check(&rc, chain, lens, 1, "localhost", when), BR_ERR_OK);
		assert_int_equal(bearssl_check(&rc, chain, lens, 1, "evc.local", when), BR_ERR_OK);
		assert_int_equal(bearssl_check(&rc, chain, lens, 1, "otherhost", when),
				 BR_ERR_X509_BAD_SERVER_NAME);
		assert_int_equal(bearssl_check(&rc, chain, lens, 1, "localhost", lc.not_after + 86400),
				 BR_ERR_X509_EXPIRED);
		/* an anchor with the right name but another key */
		struct x509_cert wrong = rc;
		memcpy(wrong.pub, f->b.s.pub, SIGNER_PUB_LEN);
		assert_int_not_equal(bearssl_check(&wrong, chain, lens, 1, "localhost", when),
				     BR_ERR_OK);
	}

	/* our own chain checks */
	assert_int_equal(x509_cert_check_issued_by(&lc, &rc, err, sizeof(err)), 0);
	assert_int_equal(x509_cert_check_issued_by(&rc, &rc, err, sizeof(err)), 0);
	assert_int_equal(x509_cert_check_issued_by(&lc, &lc, err, sizeof(err)), -EBADMSG);
	assert_contains(err, "issuer name does not match");
	assert_int_equal(x509_cert_check_time(&lc, lc.not_before, err, sizeof(err)), 0);
	assert_int_equal(x509_cert_check_time(&lc, lc.not_before - 1, err, sizeof(err)),
			 -EKEYEXPIRED);
	assert_contains(err, "certificate 'localhost': not valid yet");
	assert_int_equal(x509_cert_check_time(&lc, lc.not_after + 1, err, sizeof(err)),
			 -EKEYEXPIRED);
	assert_contains(err, "expired");
	assert_int_equal(lc.n_dns, 2);
	assert_int_equal(lc.dns[1].len, 9);
	assert_memory_equal(lc.dns[1].p, "evc.local", 9);
	assert_false(lc.ca);
	assert_true(lc.has_basic_constraints);
	assert_int_equal(rc.path_len, 1);
	assert_int_equal(lc.aki.len, 20);
	assert_memory_equal(lc.aki.p, rc.ski.p, 20);
	/* a leaf changed after signing (its CN) fails the signature */
	{
		uint8_t t[X509_DER_MAX];
		uint8_t *cn;

		memcpy(t, leaf, ln);
		cn = memmem(t, ln, "localhost", 9);
		assert_non_null(cn);
		cn[8] = 'u';
		parse_ok(t, ln, &bad);
		assert_int_equal(x509_cert_check_issued_by(&bad, &rc, err, sizeof(err)), -EBADMSG);
		assert_contains(err, "signature does not verify");
	}

	/* three levels: root (a) -> intermediate (b, pathLen 0) -> leaf (c3) */
	{
		struct x509_cert_params p = {
			.subject = inter_name,
			.issuer = &root_name,
			.not_before = now - 3600,
			.not_after = x509_add_years(now, 5),
			.subject_pub = f->b.s.pub,
			.basic_constraints = true,
			.ca = true,
			.path_len = 0,
			.key_usage = X509_KU_KEY_CERT_SIGN | X509_KU_DIGITAL_SIGNATURE,
		};

		assert_int_equal(x509_serial_random(p.serial), 0);
		assert_int_equal(x509_cert_write(&p, &f->a.s, inter, sizeof(inter), &in, err,
						 sizeof(err)),
				 0);
	}
	tsigner_new(&c3);
	l2n = make_leaf(&inter_name, &f->b, c3.s.pub, now - 3600, dns2, 1, leaf2, sizeof(leaf2));
	write_pem(f, "inter.pem", "CERTIFICATE", inter, in);
	write_pem(f, "leaf2.pem", "CERTIFICATE", leaf2, l2n);
	assert_int_equal(run(f, out, sizeof(out),
			     "openssl verify -CAfile root.pem -untrusted inter.pem leaf2.pem"),
			 0);
	assert_contains(out, "leaf2.pem: OK");
	parse_ok(inter, in, &ic);
	parse_ok(leaf2, l2n, &l2c);
	assert_int_equal(x509_cert_check_issued_by(&l2c, &ic, err, sizeof(err)), 0);
	assert_int_equal(x509_cert_check_issued_by(&ic, &rc, err, sizeof(err)), 0);
	assert_int_equal(x509_cert_check_issued_by(&l2c, &rc, err, sizeof(err)), -EBADMSG);
	{
		const uint8_t *chain[] = { leaf2, inter };
		size_t lens[] = { l2n, in };

		assert_int_equal(bearssl_check(&rc, chain, lens, 2, "localhost",
					       l2c.not_before + 86400),
				 BR_ERR_OK);
		assert_int_equal(bearssl_check(&rc, chain, lens, 1, "localhost",
					       l2c.not_before + 86400),
				 BR_ERR_X509_NOT_TRUSTED);
	}
}

/* Certificates and CSRs meet openssl's own: a CA openssl made issues our
 * leaf (issuer_dn copied), openssl turns our CSR into a certificate. */
static void
test_openssl_ca_and_csr(void **state)
{
	struct fx *f = *state;
	static const char *const dns[] = { "device-1.local", "localhost" };
	static const struct x509_name subj = { .cn = "device-1", .o = "Edgevisor",
					       .ou = "Devices", .serial_number = "ABC-123" };
	uint8_t ca[X509_DER_MAX], key[2048], leaf[X509_DER_MAX], csr[X509_DER_MAX];
	size_t can, kn, ln, csrn;
	struct x509_cert cac, lc;
	struct tsigner cas;
	char err[X509_ERR_MAX], out[16384];
	time_t now = time(NULL);

	assert_int_equal(run(f, out, sizeof(out),
			     "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
			     "-keyout ca.key -out ca.pem -days 30 -subj '/C=CH/O=Other Org/CN=Other CA'"),
			 0);
	can = read_pem(f, "ca.pem", "CERTIFICATE", ca, sizeof(ca));
	kn = read_pem(f, "ca.key", "PRIVATE KEY", key, sizeof(key));
	tsigner_from_der(&cas, key, kn);
	parse_ok(ca, can, &cac);
	assert_string_equal(cac.subject_cn, "Other CA");
	assert_memory_equal(cac.pub, cas.s.pub, SIGNER_PUB_LEN);
	{
		struct x509_cert_params p = {
			.subject = { .cn = "localhost" },
			.issuer_dn = cac.subject_dn.p,
			.issuer_dn_len = cac.subject_dn.len,
			.not_before = now - 60,
			.not_after = now + 86400,
			.subject_pub = f->a.s.pub,
			.basic_constraints = true,
			.path_len = -1,
			.key_usage = X509_KU_DIGITAL_SIGNATURE,
			.ext_key_usage = X509_EKU_SERVER_AUTH | X509_EKU_CLIENT_AUTH,
			.dns = dns + 1,
			.n_dns = 1,
		};

		assert_int_equal(x509_serial_random(p.serial), 0);
		if (x509_cert_write(&p, &cas.s, leaf, sizeof(leaf), &ln, err, sizeof(err)) != 0)
			fail_msg("%s", err);
	}
	write_pem(f, "leaf.pem", "CERTIFICATE", leaf, ln);
	assert_int_equal(run(f, out, sizeof(out),
			     "openssl verify -CAfile ca.pem -verify_hostname localhost leaf.pem"),
			 0);
	assert_contains(out, "leaf.pem: OK");
	parse_ok(leaf, ln, &lc);
	assert_int_equal(x509_cert_check_issued_by(&lc, &cac, err, sizeof(err)), 0);

	/* CSR with SAN and every name attribute */
	assert_int_equal(x509_csr_write(&subj, dns, 2, &f->b.s, csr, sizeof(csr), &csrn, err,
					sizeof(err)),
			 0);
	write_pem(f, "req.pem", "CERTIFICATE REQUEST", csr, csrn);
	assert_int_equal(run(f, out, sizeof(out), "openssl req -in req.pem -verify -noout -text"),
			 0);
	assert_contains(out, "verify OK");
	assert_contains(out, "Subject: O = Edgevisor, OU = Devices, CN = device-1, serialNumber = ABC-123");
	assert_contains(out, "Requested Extensions:");
	assert_contains(out, "DNS:device-1.local, DNS:localhost");
	assert_contains(out, "NIST CURVE: P-256");
	assert_contains(out, "ecdsa-with-SHA256");
	/* openssl issues a certificate from it; we read it back */
	assert_int_equal(run(f, out, sizeof(out),
			     "openssl x509 -req -in req.pem -CA ca.pem -CAkey ca.key -days 1 "
			     "-copy_extensions copy -out fromcsr.pem"),
			 0);
	{
		uint8_t d[X509_DER_MAX];
		size_t dn = read_pem(f, "fromcsr.pem", "CERTIFICATE", d, sizeof(d));
		struct x509_cert c;

		parse_ok(d, dn, &c);
		assert_string_equal(c.subject_cn, "device-1");
		assert_memory_equal(c.pub, f->b.s.pub, SIGNER_PUB_LEN);
		assert_int_equal(c.n_dns, 2);
		assert_memory_equal(c.dns[0].p, "device-1.local", 14);
		assert_int_equal(x509_cert_check_issued_by(&c, &cac, err, sizeof(err)), 0);
	}

	/* CSR without extensions: empty attributes, still verifies */
	assert_int_equal(x509_csr_write(&(struct x509_name){ .cn = "plain" }, NULL, 0, &f->a.s,
					csr, sizeof(csr), &csrn, err, sizeof(err)),
			 0);
	write_pem(f, "plain.pem", "CERTIFICATE REQUEST", csr, csrn);
	assert_int_equal(run(f, out, sizeof(out), "openssl req -in plain.pem -verify -noout -text"),
			 0);
	assert_contains(out, "verify OK");
	assert_contains(out, "Subject: CN = plain");
	assert_contains(out, "(none)");
	assert_true(strstr(out, "DNS:") == NULL);
}

/* Our reader on certificates openssl wrote, compared with what openssl
 * says about them; and openssl's refused key types. */
static void
test_reader_openssl_certs(void **state)
{
	struct fx *f = *state;
	uint8_t der[X509_DER_MAX];
	char err[X509_ERR_MAX], out[16384], want[128];
	struct x509_cert c;
	size_t n;
	uint8_t h[32];

	assert_int_equal(run(f, out, sizeof(out),
			     "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
			     "-keyout k.pem -out c.pem -days 30 -subj '/CN=example.test/O=Example' "
			     "-addext 'subjectAltName=DNS:example.test,DNS:www.example.test,"
			     "IP:127.0.0.1,email:a@example.test' "
			     "-addext 'keyUsage=critical,digitalSignature,keyEncipherment' "
			     "-addext 'extendedKeyUsage=serverAuth,codeSigning'"),
			 0);
	n = read_pem(f, "c.pem", "CERTIFICATE", der, sizeof(der));
	parse_ok(der, n, &c);
	assert_int_equal(c.version, 3);
	assert_string_equal(c.subject_cn, "example.test");
	assert_string_equal(c.issuer_cn, "example.test");
	assert_int_equal(c.n_dns, 2);
	assert_memory_equal(c.dns[1].p, "www.example.test", 16);
	assert_int_equal(c.key_usage, X509_KU_DIGITAL_SIGNATURE | X509_KU_KEY_ENCIPHERMENT);
	assert_int_equal(c.ext_key_usage, X509_EKU_SERVER_AUTH | X509_EKU_OTHER);
	assert_true(c.has_basic_constraints && c.ca);
	assert_int_equal(c.sig_alg, X509_SIG_ECDSA_SHA256);
	assert_string_equal(c.sig_alg_oid, "1.2.840.10045.4.3.2");
	assert_int_equal(c.ski.len, 20);
	assert_memory_equal(c.ski.p, c.aki.p, 20);
	assert_int_equal(c.not_after - c.not_before, 30 * 86400);
	assert_int_equal(x509_cert_verify(&c, c.pub, err, sizeof(err)), 0);
	/* CA:TRUE, but its KeyUsage does not allow signing certificates */
	assert_int_equal(x509_cert_check_issued_by(&c, &c, err, sizeof(err)), -EBADMSG);
	assert_contains(err, "issuer 'example.test' key usage lacks keyCertSign");

	/* serial, dates, key identifier and fingerprint as openssl prints them */
	assert_int_equal(run(f, out, sizeof(out),
			     "openssl x509 -in c.pem -noout -serial -fingerprint -sha256 -enddate"),
			 0);
	strcpy(want, "serial=");
	for (size_t i = 0; i < c.serial.len; i++)
		sprintf(want + strlen(want), "%02X", c.serial.p[i]);
	assert_contains(out, want);
	x509_der_sha256(der, n, h);
	strcpy(want, "Fingerprint=");
	for (int i = 0; i < 32; i++)
		sprintf(want + strlen(want), "%02X%s", h[i], i < 31 ? ":" : "");
	assert_contains(out, want);
	{
		int y, mon, d, hh, mi, s;
		static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
						      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

		der_time_to_civil(c.not_after, &y, &mon, &d, &hh, &mi, &s);
		snprintf(want, sizeof(want), "notAfter=%s %2d %02d:%02d:%02d %d GMT",
			 months[mon - 1], d, hh, mi, s, y);
		assert_contains(out, want);
	}
	/* the public key openssl derives from the private key is the one we read */
	assert_int_equal(run(f, out, sizeof(out), "openssl pkey -in k.pem -pubout -outform DER "
						  "| tail -c 65 | od -An -tx1 -v | tr -d ' \\n'"),
			 0);
	{
		char pubhex[2 * SIGNER_PUB_LEN + 1];

		for (int i = 0; i < SIGNER_PUB_LEN; i++)
			sprintf(pubhex + 2 * i, "%02x", c.pub[i]);
		assert_string_equal(out, pubhex);
	}

	/* a v1 certificate (openssl x509 -req -signkey writes no extensions) */
	assert_int_equal(run(f, out, sizeof(out),
			     "openssl req -new -key k.pem -subj /CN=v1cert -out v1.csr && "
			     "openssl x509 -req -in v1.csr -signkey k.pem -days 2 -out v1.pem"),
			 0);
	n = read_pem(f, "v1.pem", "CERTIFICATE", der, sizeof(der));
	parse_ok(der, n, &c);
	assert_int_equal(c.version, 1);
	assert_string_equal(c.subject_cn, "v1cert");
	assert_false(c.has_basic_constraints);
	assert_int_equal(x509_cert_verify(&c, c.pub, err, sizeof(err)), 0);
	/* a v1 certificate is no CA */
	assert_int_equal(x509_cert_check_issued_by(&c, &c, err, sizeof(err)), -EBADMSG);
	assert_contains(err, "is not a CA");

	/* keys we refuse, each with a message naming it */
	struct {
		const char *keyopt, *msg;
	} refused[] = {
		{ "-newkey rsa:2048", "subject key is RSA (1.2.840.113549.1.1.1); only EC P-256" },
		{ "-newkey ec -pkeyopt ec_paramgen_curve:P-384", "EC key on curve 1.3.132.0.34 (P-384)" },
		{ "-newkey ed25519", "subject key is Ed25519" },
		{ "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:explicit",
		  "explicit or implicit curve parameters" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(run(f, out, sizeof(out),
				     "openssl req -x509 %s -nodes -keyout r.key -out r.pem -days 2 "
				     "-subj /CN=refused",
				     refused[i].keyopt),
				 0);
		n = read_pem(f, "r.pem", "CERTIFICATE", der, sizeof(der));
		assert_int_equal(x509_cert_parse(der, n, &c, err, sizeof(err)), -ENOTSUP);
		assert_contains(err, "certificate: ");
		assert_contains(err, refused[i].msg);
	}
}

/* Everything we write comes back from our reader. */
static void
test_round_trip(void **state)
{
	struct fx *f = *state;
	static const char *const dns[] = { "a.example", "*.b.example", "c-d.example" };
	static const struct x509_name issuer = { .cn = "Issuer", .o = "Org" };
	struct x509_cert_params p = {
		.subject = { .cn = "Z\xc3\xbcrich unit 7", .o = "O", .ou = "U",
			     .serial_number = "SN 42" },
		.issuer = &issuer,
		.not_before = (time_t)der_time_from_civil(2049, 12, 31, 23, 59, 59),
		.not_after = (time_t)der_time_from_civil(2051, 6, 30, 8, 0, 1),
		.subject_pub = f->b.s.pub,
		.basic_constraints = true,
		.ca = true,
		.path_len = 3,
		.key_usage = X509_KU_DIGITAL_SIGNATURE | X509_KU_KEY_AGREEMENT | (1u << 8),
		.ext_key_usage = X509_EKU_CLIENT_AUTH,
		.dns = dns,
		.n_dns = 3,
	};
	uint8_t der[X509_DER_MAX], id[20];
	char err[X509_ERR_MAX], out[16384];
	struct x509_cert c;
	br_sha1_context h;
	size_t n;

	memset(p.serial, 0xa5, sizeof(p.serial));  /* top bit set: a 0x00 is added */
	assert_int_equal(x509_cert_write(&p, &f->a.s, der, sizeof(der), &n, err, sizeof(err)), 0);
	parse_ok(der, n, &c);
	assert_int_equal(c.serial.len, 16);
	assert_memory_equal(c.serial.p, p.serial, 16);
	assert_string_equal(c.subject_cn, p.subject.cn);
	assert_string_equal(c.issuer_cn, "Issuer");
	assert_int_equal(c.not_before, p.not_before);
	assert_int_equal(c.not_after, p.not_after);
	/* 2049 is a UTCTime, 2051 a GeneralizedTime */
	assert_non_null(memmem(der, n, "\x17\x0d" "491231235959Z", 15));
	assert_non_null(memmem(der, n, "\x18\x0f" "20510630080001Z", 17));
	assert_memory_equal(c.pub, f->b.s.pub, SIGNER_PUB_LEN);
	assert_true(c.ca);
	assert_int_equal(c.path_len, 3);
	assert_int_equal(c.key_usage, p.key_usage);
	assert_int_equal(c.ext_key_usage, X509_EKU_CLIENT_AUTH);
	assert_int_equal(c.n_dns, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(c.dns[i].len, strlen(dns[i]));
		assert_memory_equal(c.dns[i].p, dns[i], c.dns[i].len);
	}
	br_sha1_init(&h);
	br_sha1_update(&h, f->b.s.pub, SIGNER_PUB_LEN);
	br_sha1_out(&h, id);
	assert_int_equal(c.ski.len, 20);
	assert_memory_equal(c.ski.p, id, 20);
	br_sha1_init(&h);
	br_sha1_update(&h, f->a.s.pub, SIGNER_PUB_LEN);
	br_sha1_out(&h, id);
	assert_memory_equal(c.aki.p, id, 20);
	assert_int_equal(c.sig_alg, X509_SIG_ECDSA_SHA256);
	assert_true(c.sig_raw_ok);
	assert_int_equal(x509_cert_verify(&c, f->a.s.pub, err, sizeof(err)), 0);
	assert_ptr_equal(c.tbs.p, der + 4);
	/* openssl agrees on the names and the GeneralizedTime */
	write_pem(f, "rt.pem", "CERTIFICATE", der, n);
	assert_int_equal(run(f, out, sizeof(out), "openssl x509 -in rt.pem -noout -text"), 0);
	assert_contains(out, "Subject: O = O, OU = U, CN = Z\\C3\\BCrich unit 7, serialNumber = SN 42");
	assert_contains(out, "Not After : Jun 30 08:00:01 2051 GMT");
	assert_contains(out, "Not Before: Dec 31 23:59:59 2049 GMT");
	assert_contains(out, "CA:TRUE, pathlen:3");
	assert_contains(out, "Digital Signature, Key Agreement, Decipher Only");
	assert_contains(out, "DNS:a.example, DNS:*.b.example, DNS:c-d.example");

	/* without key identifiers and without any extension */
	p.no_key_ids = true;
	assert_int_equal(x509_cert_write(&p, &f->a.s, der, sizeof(der), &n, err, sizeof(err)), 0);
	parse_ok(der, n, &c);
	assert_int_equal(c.ski.len + c.aki.len, 0);
	p.basic_constraints = false;
	p.ca = false;
	p.path_len = -1;
	p.key_usage = p.ext_key_usage = 0;
	p.n_dns = 0;
	assert_int_equal(x509_cert_write(&p, &f->a.s, der, sizeof(der), &n, err, sizeof(err)), 0);
	assert_null(memmem(der, n, "\x06\x03\x55\x1d", 4));  /* no extension OID */
	parse_ok(der, n, &c);
	assert_false(c.has_basic_constraints || c.has_key_usage);
	assert_int_equal(c.version, 3);
}

/* ---- hostile input ------------------------------------------------------------ */

static void
expect_parse_error(const uint8_t *der, size_t n, int rc_want, const char *msg)
{
	char err[X509_ERR_MAX];
	struct x509_cert c;
	int rc = x509_cert_parse(der, n, &c, err, sizeof(err));

	if (rc != rc_want || !strstr(err, msg))
		fail_msg("want %d '%s', got %d '%s'", rc_want, msg, rc, err);
}

static uint8_t *
find(uint8_t *der, size_t n, const void *pat, size_t pn, bool last)
{
	uint8_t *hit = NULL;

	for (size_t i = 0; i + pn <= n; i++)
		if (memcmp(der + i, pat, pn) == 0) {
			hit = der + i;
			if (!last)
				break;
		}
	assert_non_null(hit);
	return hit;
}

static void
test_hostile_der(void **state)
{
	struct fx *f = *state;
	static const char *const dns[] = { "localhost" };
	static uint8_t der[X509_DER_MAX], t[X509_DER_MAX + 16];
	char err[X509_ERR_MAX];
	struct x509_cert c;
	size_t n;
	int rc;

	n = make_leaf(&root_name, &f->a, f->b.s.pub, fixed_time(2030, 1, 1), dns, 1, der,
		      sizeof(der));
	assert_int_equal(der[0], 0x30);
	assert_int_equal(der[1], 0x82);  /* the tests below rely on a 2-byte length */

	/* cut at every length: always an error with a reason, never a crash */
	for (size_t i = 0; i < n; i++) {
		err[0] = '\0';
		rc = x509_cert_parse(der, i, &c, err, sizeof(err));
		assert_true(rc < 0);
		assert_true(strlen(err) > 12);
	}
	expect_parse_error(der, 0, -EBADMSG, "certificate: empty input");
	expect_parse_error(der, 100, -EBADMSG, "truncated: length");

	/* any one bit changed: the parser refuses it or the signature fails */
	for (size_t i = 0; i < n; i++) {
		for (int b = 0; b < 8; b += 7) {
			memcpy(t, der, n);
			t[i] ^= (uint8_t)(1u << b);
			err[0] = '\0';
			rc = x509_cert_parse(t, n, &c, err, sizeof(err));
			if (rc < 0)
				assert_true(err[0] != '\0');
			else
				assert_int_not_equal(x509_cert_verify(&c, f->a.s.pub, err,
								      sizeof(err)),
						     0);
		}
	}

	/* non-minimal outer length: 30 82 LL LL -> 30 83 00 LL LL */
	t[0] = 0x30;
	t[1] = 0x83;
	t[2] = 0x00;
	memcpy(t + 3, der + 2, n - 2);
	expect_parse_error(t, n + 1, -EBADMSG, "non-minimal length (leading zero byte) at offset 0");
	/* an inner one: the version [0] as a0 81 03 inside grown lengths */
	{
		size_t tl = ((size_t)der[6] << 8) | der[7];  /* TBS length */

		assert_int_equal(der[4], 0x30);
		assert_int_equal(der[5], 0x82);
		assert_int_equal(der[8], 0xa0);
		assert_int_equal(der[9], 0x03);
		memcpy(t, der, n);
		t[2] = (uint8_t)((n - 4 + 1) >> 8);
		t[3] = (uint8_t)(n - 4 + 1);
		t[6] = (uint8_t)((tl + 1) >> 8);
		t[7] = (uint8_t)(tl + 1);
		t[8] = 0xa0;
		t[9] = 0x81;
		t[10] = 0x03;
		memcpy(t + 11, der + 10, n - 10);
		expect_parse_error(t, n + 1, -EBADMSG,
				   "non-minimal length (long form for 3) at offset 8");
	}
	/* indefinite length: 30 80 ... 00 00 */
	t[0] = 0x30;
	t[1] = 0x80;
	memcpy(t + 2, der + 4, n - 4);
	t[n - 2] = t[n - 1] = 0;
	expect_parse_error(t, n, -EBADMSG, "indefinite length is not DER at offset 0");
	/* deep nesting */
	for (int i = 0; i < 40; i++) {
		t[2 * i] = 0x30;
		t[2 * i + 1] = (uint8_t)(2 * (39 - i));
	}
	expect_parse_error(t, 80, -EBADMSG, "nesting deeper than 16 levels");
	/* wrong tags */
	memcpy(t, der, n);
	t[4] = 0x31;
	expect_parse_error(t, n, -EBADMSG,
			   "certificate: tbsCertificate: expected SEQUENCE (0x30), found SET (0x31) "
			   "at offset 4");
	memcpy(t, der, n);
	t[10] = 0x04;  /* version INTEGER -> OCTET STRING */
	expect_parse_error(t, n, -EBADMSG, "version: expected INTEGER (0x02), found OCTET STRING");
	/* trailing bytes, oversize input */
	memcpy(t, der, n);
	t[n] = 0;
	expect_parse_error(t, n + 1, -EBADMSG, "1 trailing bytes after the outer element");
	expect_parse_error(t, X509_DER_MAX + 1, -EBADMSG, "exceeds the 16384-byte limit");

	/* an unknown critical extension (KeyUsage's OID changed) */
	memcpy(t, der, n);
	find(t, n, "\x06\x03\x55\x1d\x0f", 5, false)[4] = 0x7e;
	expect_parse_error(t, n, -ENOTSUP, "unsupported critical extension 2.5.29.126");
	/* an unknown non-critical one is skipped (ExtKeyUsage's OID changed) */
	memcpy(t, der, n);
	find(t, n, "\x06\x03\x55\x1d\x25", 5, false)[4] = 0x7f;
	parse_ok(t, n, &c);
	assert_int_equal(c.ext_key_usage, 0);
	/* ExtKeyUsage relabelled SubjectAltName: two SANs */
	memcpy(t, der, n);
	find(t, n, "\x06\x03\x55\x1d\x25", 5, false)[4] = 0x11;
	expect_parse_error(t, n, -EBADMSG, "extension 2.5.29.17 appears twice");
	/* signatureAlgorithm differs from the one signed */
	memcpy(t, der, n);
	find(t, n, "\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02", 10, true)[9] = 0x03;
	expect_parse_error(t, n, -EBADMSG, "signatureAlgorithm differs from tbsCertificate.signature");
	/* both say ecdsa-with-SHA384: parsed, but not verifiable here */
	find(t, n, "\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02", 10, false)[9] = 0x03;
	parse_ok(t, n, &c);
	assert_int_equal(c.sig_alg, X509_SIG_ECDSA_SHA384);
	assert_int_equal(x509_cert_verify(&c, f->a.s.pub, err, sizeof(err)), -ENOTSUP);
	assert_contains(err, "signature algorithm 1.2.840.10045.4.3.3 not supported");
	/* a public key off the curve */
	memcpy(t, der, n);
	find(t, n, f->b.s.pub, SIGNER_PUB_LEN, false)[64] ^= 1;
	expect_parse_error(t, n, -EBADMSG, "public key is not a point on P-256");
	/* a compressed point */
	memcpy(t, der, n);
	find(t, n, f->b.s.pub, SIGNER_PUB_LEN, false)[0] = 0x02;
	expect_parse_error(t, n, -EBADMSG, "not an uncompressed point");
	/* a negative serial */
	memcpy(t, der, n);
	assert_int_equal(t[13], 0x02);  /* serial INTEGER after a0 03 02 01 02 */
	t[15] = 0x80;  /* minimal whatever follows, and negative */
	expect_parse_error(t, n, -EBADMSG, "serialNumber: negative INTEGER");
	/* a control character in the CN */
	memcpy(t, der, n);
	find(t, n, "localhost", 9, false)[0] = '\n';
	expect_parse_error(t, n, -EBADMSG, "subject: control character in string");

	/* through PEM: only the wanted label, hostile text around it */
	{
		static char pem[3 * X509_DER_MAX];
		uint8_t back[X509_DER_MAX];
		size_t pn, bn;

		assert_int_equal(pem_encode("CERTIFICATE", der, n, pem, sizeof(pem), &pn), 0);
		for (size_t i = 0; i < pn; i += 7) {
			rc = pem_decode_first(pem, i, "CERTIFICATE", back, sizeof(back), &bn, err,
					      sizeof(err));
			assert_true(rc < 0);
			assert_true(err[0] != '\0');
		}
		assert_int_equal(pem_decode_first(pem, pn, "CERTIFICATE", back, sizeof(back), &bn,
						  err, sizeof(err)),
				 0);
		assert_int_equal(bn, n);
		assert_memory_equal(back, der, n);
	}
}

/* ---- writer errors ------------------------------------------------------------ */

static void
test_writer_errors(void **state)
{
	struct fx *f = *state;
	static const char *const dns_bad[] = { "ok.example", "bad name!" };
	static const char *const many[17] = { "a", "a", "a", "a", "a", "a", "a", "a", "a",
					      "a", "a", "a", "a", "a", "a", "a", "a" };
	uint8_t der[X509_DER_MAX], serial[X509_SERIAL_LEN] = { 1 };
	char err[X509_ERR_MAX];
	size_t n, full;
	time_t now = fixed_time(2031, 3, 3);

	assert_int_equal(x509_device_cert_write("dev", now, serial, &f->a.s, der, sizeof(der), &full,
						err, sizeof(err)),
			 0);
	for (size_t cap = 0; cap < full; cap++) {
		err[0] = '\0';
		assert_int_equal(x509_device_cert_write("dev", now, serial, &f->a.s, der, cap, &n, err,
							sizeof(err)),
				 -ENOSPC);
		assert_contains(err, "certificate: output buffer of");
	}
	assert_int_equal(x509_device_cert_write("dev", (time_t)INT64_MIN, serial, &f->a.s, der,
						sizeof(der), &n, err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "device certificate: time outside the years 0..9999");
	/* signer failures */
	f->a.fail_rc = -EACCES;
	assert_int_equal(x509_device_cert_write("dev", now, serial, &f->a.s, der, sizeof(der), &n,
						err, sizeof(err)),
			 -EACCES);
	assert_contains(err, "certificate: signer failed: Permission denied");
	f->a.fail_rc = 0;
	f->a.impostor = &f->b;
	assert_int_equal(x509_device_cert_write("dev", now, serial, &f->a.s, der, sizeof(der), &n,
						err, sizeof(err)),
			 -EIO);
	assert_contains(err, "the signer's signature does not verify with its public key");
	assert_int_equal(x509_csr_write(&(struct x509_name){ .cn = "x" }, NULL, 0, &f->a.s, der,
					sizeof(der), &n, err, sizeof(err)),
			 -EIO);
	f->a.impostor = NULL;

	/* bad parameters */
	struct x509_cert_params base = {
		.subject = { .cn = "ok" },
		.not_before = now,
		.not_after = now + 1,
		.subject_pub = f->a.s.pub,
		.path_len = -1,
	};
	struct x509_cert_params p;
	char long_cn[80];

	memset(long_cn, 'x', 65);
	long_cn[65] = '\0';
#define BAD(mod, msg)                                                                      \
	do {                                                                               \
		p = base;                                                                  \
		mod;                                                                       \
		assert_int_equal(x509_cert_write(&p, &f->a.s, der, sizeof(der), &n, err,   \
						 sizeof(err)),                             \
				 -EINVAL);                                                 \
		assert_contains(err, msg);                                                 \
	} while (0)
	BAD(p.subject.cn = NULL, "certificate subject: CN is missing");
	BAD(p.subject.cn = long_cn, "CN must be 1..64 bytes, not 65");
	BAD(p.subject.cn = "", "CN must be 1..64 bytes, not 0");
	BAD(p.subject.o = "\xff", "O is not a valid UTF-8 string");
	BAD(p.subject.serial_number = "a@b", "serialNumber is not a valid PrintableString");
	BAD(p.issuer = &(struct x509_name){ .o = "x" }, "certificate issuer: CN is missing");
	BAD((p.dns = dns_bad, p.n_dns = 2), "DNS name 2 is empty, too long");
	BAD((p.dns = many, p.n_dns = 17), "17 DNS names, at most 16");
	BAD(p.subject_pub = f->b.s.pub, "self-signed, but the subject key is not the signer's key");
	BAD(p.not_after = now - 1, "notAfter is before notBefore");
	BAD(p.path_len = 2, "pathLen needs cA");
	BAD((p.issuer = &root_name, p.issuer_dn = der, p.issuer_dn_len = 10),
	    "an issuer name or an issuer DN, not both");
	BAD((p.issuer_dn = (const uint8_t *)"\x31\x00", p.issuer_dn_len = 2),
	    "issuer DN is not an encoded Name");
	BAD(p.ext_key_usage = 1u << 5, "unknown ExtKeyUsage bits");
	BAD(p.not_after = (time_t)der_time_from_civil(10000, 1, 1, 0, 0, 0),
	    "validity outside the years 0..9999");
	BAD(p.not_after = (time_t)INT64_MAX, "validity outside the years 0..9999");
	BAD(p.not_before = (time_t)INT64_MIN, "validity outside the years 0..9999");
	{
		uint8_t off_curve[SIGNER_PUB_LEN] = { 0x04 };

		BAD((p.subject_pub = off_curve, p.issuer = &root_name),
		    "subject key is not a P-256 point");
	}
#undef BAD
	assert_int_equal(x509_csr_write(NULL, NULL, 0, &f->a.s, der, sizeof(der), &n, err,
					sizeof(err)),
			 -EINVAL);
	assert_contains(err, "certificate request: no subject");
	assert_int_equal(x509_csr_write(&(struct x509_name){ .cn = "x" }, dns_bad, 2, &f->a.s, der,
					sizeof(der), &n, err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "certificate request: DNS name 2");
	assert_int_equal(x509_csr_write(&(struct x509_name){ .cn = "x" }, NULL, 0, &f->a.s, der, 50,
					&n, err, sizeof(err)),
			 -ENOSPC);
	assert_contains(err, "certificate request: output buffer of 50 bytes is too small");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_der_integers),
		cmocka_unit_test(test_der_simple_types),
		cmocka_unit_test(test_der_lengths_and_nesting),
		cmocka_unit_test(test_der_times),
		cmocka_unit_test(test_der_reader_strict),
		cmocka_unit_test(test_pem),
		cmocka_unit_test_setup_teardown(test_device_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_and_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_openssl_ca_and_csr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_openssl_certs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_der, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
