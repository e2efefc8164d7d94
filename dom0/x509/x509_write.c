/*
 * x509_write: X.509 v3 certificates and PKCS#10 requests.  See x509_write.h.
 */
#include "x509_write.h"

#include <bearssl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "der.h"
#include "x509_oid.h"
#include "x509_read.h"


/* ---- parameter checks ---------------------------------------------------- */

static int
check_attr(const char *what, const char *attr, const char *v, bool printable, char *err,
	   size_t errsz)
{
	size_t n = strlen(v);

	if (n == 0 || n > X509_NAME_ATTR_MAX)
		return der_errf(err, errsz, -EINVAL, "%s: %s must be 1..%d bytes, not %zu", what, attr,
			    X509_NAME_ATTR_MAX, n);
	if (printable ? !der_printable_valid((const uint8_t *)v, n)
		      : !der_utf8_valid((const uint8_t *)v, n))
		return der_errf(err, errsz, -EINVAL, "%s: %s is not a valid %s", what, attr,
			    printable ? "PrintableString" : "UTF-8 string");
	/* the reader refuses control characters in names: never write them
	 * (found by fuzz_x509_write) */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return der_errf(err, errsz, -EINVAL, "%s: %s has a control character at "
				    "offset %zu", what, attr, i);
	return 0;
}

static int
check_name(const char *what, const struct x509_name *n, char *err, size_t errsz)
{
	int rc;

	if (!n->cn)
		return der_errf(err, errsz, -EINVAL, "%s: CN is missing", what);
	if ((rc = check_attr(what, "CN", n->cn, false, err, errsz)) < 0 ||
	    (n->o && (rc = check_attr(what, "O", n->o, false, err, errsz)) < 0) ||
	    (n->ou && (rc = check_attr(what, "OU", n->ou, false, err, errsz)) < 0) ||
	    (n->serial_number &&
	     (rc = check_attr(what, "serialNumber", n->serial_number, true, err, errsz)) < 0))
		return rc;
	return 0;
}

static bool
dns_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > X509_DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_' || c == '*'))
			return false;
	}
	return true;
}

static int
check_dns(const char *what, const char *const *dns, size_t n, char *err, size_t errsz)
{
	if (n > X509_DNS_MAX)
		return der_errf(err, errsz, -EINVAL, "%s: %zu DNS names, at most %d", what, n,
			    X509_DNS_MAX);
	if (n && !dns)
		return der_errf(err, errsz, -EINVAL, "%s: DNS name list missing", what);
	for (size_t i = 0; i < n; i++)
		if (!dns[i] || !dns_name_ok(dns[i]))
			return der_errf(err, errsz, -EINVAL,
				    "%s: DNS name %zu is empty, too long or has a character outside "
				    "letters, digits and '-._*'",
				    what, i + 1);
	return 0;
}

/* ---- encoders ------------------------------------------------------------ */

static void
put_attr(struct der_writer *w, const uint32_t *oid, size_t n, const char *v, bool printable)
{
	der_begin(w, DER_SET);
	der_begin(w, DER_SEQUENCE);
	der_put_oid(w, oid, n);
	if (printable)
		der_put_printable(w, v);
	else
		der_put_utf8(w, v);
	der_end(w);
	der_end(w);
}

static void
put_name(struct der_writer *w, const struct x509_name *n)
{
	der_begin(w, DER_SEQUENCE);
	if (n->o)
		put_attr(w, X509_OID(OID_AT_O), n->o, false);
	if (n->ou)
		put_attr(w, X509_OID(OID_AT_OU), n->ou, false);
	put_attr(w, X509_OID(OID_AT_CN), n->cn, false);
	if (n->serial_number)
		put_attr(w, X509_OID(OID_AT_SERIAL_NUMBER), n->serial_number, true);
	der_end(w);
}

static void
put_spki(struct der_writer *w, const uint8_t pub[SIGNER_PUB_LEN])
{
	der_begin(w, DER_SEQUENCE);
	der_begin(w, DER_SEQUENCE);
	der_put_oid(w, X509_OID(OID_EC_PUBLIC_KEY));
	der_put_oid(w, X509_OID(OID_PRIME256V1));
	der_end(w);
	der_put_bit_string(w, pub, SIGNER_PUB_LEN);
	der_end(w);
}

static void
put_sig_alg(struct der_writer *w)
{
	der_begin(w, DER_SEQUENCE);
	der_put_oid(w, X509_OID(OID_ECDSA_SHA256));
	der_end(w);
}

/* Extension header: SEQUENCE { extnID, [critical TRUE], OCTET STRING { ...
 * closed by ext_end(). */
static void
ext_begin(struct der_writer *w, const uint32_t *oid, size_t n, bool critical)
{
	der_begin(w, DER_SEQUENCE);
	der_put_oid(w, oid, n);
	if (critical)
		der_put_bool(w, true);
	der_begin(w, DER_OCTET_STRING);
}

static void
ext_end(struct der_writer *w)
{
	der_end(w);
	der_end(w);
}

static void
put_san(struct der_writer *w, const char *const *dns, size_t n)
{
	ext_begin(w, X509_OID(OID_EXT_SAN), false);
	der_begin(w, DER_SEQUENCE);
	for (size_t i = 0; i < n; i++)
		der_put_ia5_tagged(w, DER_CTX(2), dns[i]);
	der_end(w);
	ext_end(w);
}

/* RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
static void
key_id(const uint8_t pub[SIGNER_PUB_LEN], uint8_t id[br_sha1_SIZE])
{
	br_sha1_context h;

	br_sha1_init(&h);
	br_sha1_update(&h, pub, SIGNER_PUB_LEN);
	br_sha1_out(&h, id);
}

static void
put_extensions(struct der_writer *w, const struct x509_cert_params *p,
	       const uint8_t issuer_pub[SIGNER_PUB_LEN])
{
	uint8_t id[br_sha1_SIZE];

	if (!p->basic_constraints && !p->key_usage && !p->ext_key_usage && !p->n_dns &&
	    p->no_key_ids)
		return;
	der_begin(w, DER_CTX_CONS(3));
	der_begin(w, DER_SEQUENCE);
	if (p->basic_constraints) {
		ext_begin(w, X509_OID(OID_EXT_BASIC_CONSTRAINTS), true);
		der_begin(w, DER_SEQUENCE);
		if (p->ca)  /* cA DEFAULT FALSE: DER leaves FALSE out */
			der_put_bool(w, true);
		if (p->ca && p->path_len >= 0)
			der_put_int(w, p->path_len);
		der_end(w);
		ext_end(w);
	}
	if (p->key_usage) {
		ext_begin(w, X509_OID(OID_EXT_KEY_USAGE), true);
		der_put_named_bits(w, p->key_usage);
		ext_end(w);
	}
	if (p->ext_key_usage) {
		ext_begin(w, X509_OID(OID_EXT_EXT_KEY_USAGE), false);
		der_begin(w, DER_SEQUENCE);
		if (p->ext_key_usage & X509_EKU_CLIENT_AUTH)
			der_put_oid(w, X509_OID(OID_KP_CLIENT_AUTH));
		if (p->ext_key_usage & X509_EKU_SERVER_AUTH)
			der_put_oid(w, X509_OID(OID_KP_SERVER_AUTH));
		if (p->ext_key_usage & X509_EKU_OCSP_SIGNING)
			der_put_oid(w, X509_OID(OID_KP_OCSP_SIGNING));
		der_end(w);
		ext_end(w);
	}
	if (p->n_dns)
		put_san(w, p->dns, p->n_dns);
	if (!p->no_key_ids) {
		key_id(p->subject_pub, id);
		ext_begin(w, X509_OID(OID_EXT_SKI), false);
		der_put_octet_string(w, id, sizeof(id));
		ext_end(w);
		key_id(issuer_pub, id);
		ext_begin(w, X509_OID(OID_EXT_AKI), false);
		der_begin(w, DER_SEQUENCE);
		der_put_tlv(w, DER_CTX(0), id, sizeof(id));
		der_end(w);
		ext_end(w);
	}
	der_end(w);
	der_end(w);
}

/*
 * Signs the element that starts at tbs_start and ends at w->len, and writes
 * signatureAlgorithm and signatureValue after it.
 */
static int
put_signature(struct der_writer *w, size_t tbs_start, struct signer *s, const char *what,
	      char *err, size_t errsz)
{
	static const uint8_t zero32[32];
	br_sha256_context h;
	uint8_t hash[32], sig[SIGNER_SIG_LEN];
	int rc;

	if (w->err)
		return 0;  /* reported by der_writer_finish */
	br_sha256_init(&h);
	br_sha256_update(&h, w->buf + tbs_start, w->len - tbs_start);
	br_sha256_out(&h, hash);
	rc = s->sign(s, hash, sig);
	if (rc < 0)
		return der_errf(err, errsz, rc, "%s: signer failed: %s", what, strerror(-rc));
	if (!memcmp(sig, zero32, 32) || !memcmp(sig + 32, zero32, 32) ||
	    x509_ecdsa_p256_verify(s->pub, hash, sig) < 0)
		return der_errf(err, errsz, -EIO,
			    "%s: the signer's signature does not verify with its public key", what);
	put_sig_alg(w);
	der_begin(w, DER_BIT_STRING);
	der_put_raw(w, "", 1);  /* 0 unused bits */
	der_begin(w, DER_SEQUENCE);
	der_put_uint_be(w, sig, 32);
	der_put_uint_be(w, sig + 32, 32);
	der_end(w);
	der_end(w);
	return 0;
}

static int
finish(struct der_writer *w, const char *what, size_t *out_len, char *err, size_t errsz)
{
	int rc = der_writer_finish(w, out_len);

	if (rc == -ENOSPC)
		return der_errf(err, errsz, rc, "%s: output buffer of %zu bytes is too small", what,
			    w->cap);
	if (rc < 0)
		return der_errf(err, errsz, rc, "%s: DER encoding failed (%s)", what, strerror(-rc));
	return 0;
}

/* ---- certificates -------------------------------------------------------- */

int
x509_cert_write(const struct x509_cert_params *p, struct signer *issuer_signer, uint8_t *out,
		size_t cap, size_t *out_len, char *err, size_t errsz)
{
	static const char what[] = "certificate";
	struct der_writer w;
	size_t tbs_start;
	bool self = !p->issuer && !p->issuer_dn;
	int rc;

	if (err && errsz)
		err[0] = '\0';
	if (!issuer_signer || !issuer_signer->sign)
		return der_errf(err, errsz, -EINVAL, "%s: no signer", what);
	if (!p->subject_pub || !x509_p256_point_valid(p->subject_pub))
		return der_errf(err, errsz, -EINVAL, "%s: subject key is not a P-256 point", what);
	if (!x509_p256_point_valid(issuer_signer->pub))
		return der_errf(err, errsz, -EINVAL, "%s: signer key is not a P-256 point", what);
	if (self && memcmp(p->subject_pub, issuer_signer->pub, SIGNER_PUB_LEN) != 0)
		return der_errf(err, errsz, -EINVAL,
			    "%s: self-signed, but the subject key is not the signer's key", what);
	if (p->issuer && p->issuer_dn)
		return der_errf(err, errsz, -EINVAL, "%s: give an issuer name or an issuer DN, not both",
			    what);
	if ((rc = check_name("certificate subject", &p->subject, err, errsz)) < 0 ||
	    (p->issuer && (rc = check_name("certificate issuer", p->issuer, err, errsz)) < 0) ||
	    (rc = check_dns(what, p->dns, p->n_dns, err, errsz)) < 0)
		return rc;
	if (p->issuer_dn && (p->issuer_dn_len < 2 || p->issuer_dn[0] != DER_SEQUENCE))
		return der_errf(err, errsz, -EINVAL, "%s: issuer DN is not an encoded Name", what);
	if (p->not_after < p->not_before)
		return der_errf(err, errsz, -EINVAL, "%s: notAfter is before notBefore", what);
	if ((int64_t)p->not_before < DER_TIME_MIN || (int64_t)p->not_after > DER_TIME_MAX)
		return der_errf(err, errsz, -EINVAL, "%s: validity outside the years 0..9999", what);
	if (p->path_len > 255 || (p->path_len >= 0 && !p->ca))
		return der_errf(err, errsz, -EINVAL, "%s: pathLen needs cA and must be <= 255", what);
	if (p->ext_key_usage & ~(X509_EKU_SERVER_AUTH | X509_EKU_CLIENT_AUTH | X509_EKU_OCSP_SIGNING))
		return der_errf(err, errsz, -EINVAL, "%s: unknown ExtKeyUsage bits", what);
	if (p->key_usage & ~0x1ffu)
		return der_errf(err, errsz, -EINVAL, "%s: unknown KeyUsage bits", what);

	der_writer_init(&w, out, cap);
	der_begin(&w, DER_SEQUENCE);           /* Certificate */
	tbs_start = w.len;
	der_begin(&w, DER_SEQUENCE);           /* TBSCertificate */
	der_begin(&w, DER_CTX_CONS(0));        /* version [0] EXPLICIT */
	der_put_int(&w, 2);                    /* v3 */
	der_end(&w);
	der_put_uint_be(&w, p->serial, X509_SERIAL_LEN);
	put_sig_alg(&w);
	if (p->issuer_dn)
		der_put_raw(&w, p->issuer_dn, p->issuer_dn_len);
	else
		put_name(&w, p->issuer ? p->issuer : &p->subject);
	der_begin(&w, DER_SEQUENCE);           /* Validity */
	der_put_time(&w, p->not_before);
	der_put_time(&w, p->not_after);
	der_end(&w);
	put_name(&w, &p->subject);
	put_spki(&w, p->subject_pub);
	put_extensions(&w, p, issuer_signer->pub);
	der_end(&w);                           /* TBSCertificate */
	if ((rc = put_signature(&w, tbs_start, issuer_signer, what, err, errsz)) < 0)
		return rc;
	der_end(&w);                           /* Certificate */
	return finish(&w, what, out_len, err, errsz);
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

time_t
x509_add_years(time_t t, int years)
{
	int y, mon, d, h, mi, s;

	der_time_to_civil((int64_t)t, &y, &mon, &d, &h, &mi, &s);
	if (years > 9999 - y)
		return (time_t)DER_TIME_MAX;
	if (years < -y)
		return (time_t)DER_TIME_MIN;
	y += years;
	if (mon == 2 && d == 29 && !leap(y)) {
		mon = 3;
		d = 1;
	}
	return (time_t)der_time_from_civil(y, mon, d, h, mi, s);
}

int
x509_device_cert_write(const char *cn, time_t now, const uint8_t serial[X509_SERIAL_LEN],
		       struct signer *s, uint8_t *out, size_t cap, size_t *out_len, char *err,
		       size_t errsz)
{
	struct x509_cert_params p = {
		.subject = { .cn = cn },
		.subject_pub = s ? s->pub : NULL,
		.basic_constraints = true,
		.ca = true,
		.path_len = -1,
		.key_usage = X509_KU_DIGITAL_SIGNATURE | X509_KU_KEY_CERT_SIGN,
		.ext_key_usage = X509_EKU_CLIENT_AUTH | X509_EKU_SERVER_AUTH,
	};

	if ((int64_t)now < DER_TIME_MIN + 86400 || (int64_t)now > DER_TIME_MAX)
		return der_errf(err, errsz, -EINVAL, "device certificate: time outside the years 0..9999");
	p.not_before = now - 86400;  /* backdated a day, as EVE does */
	p.not_after = x509_add_years(p.not_before, 20);
	memcpy(p.serial, serial, X509_SERIAL_LEN);
	return x509_cert_write(&p, s, out, cap, out_len, err, errsz);
}

int
x509_serial_random(uint8_t serial[X509_SERIAL_LEN])
{
	size_t got = 0;

	while (got < X509_SERIAL_LEN) {
		ssize_t r = getrandom(serial + got, X509_SERIAL_LEN - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)r;
	}
	/* positive, and the top byte non-zero: exactly 16 bytes in DER */
	serial[0] = (uint8_t)((serial[0] & 0x3f) | 0x40);
	return 0;
}

/* ---- certificate requests ------------------------------------------------ */

int
x509_csr_write(const struct x509_name *subject, const char *const *dns, size_t n_dns,
	       struct signer *s, uint8_t *out, size_t cap, size_t *out_len, char *err,
	       size_t errsz)
{
	static const char what[] = "certificate request";
	struct der_writer w;
	size_t cri_start;
	int rc;

	if (err && errsz)
		err[0] = '\0';
	if (!s || !s->sign)
		return der_errf(err, errsz, -EINVAL, "%s: no signer", what);
	if (!x509_p256_point_valid(s->pub))
		return der_errf(err, errsz, -EINVAL, "%s: signer key is not a P-256 point", what);
	if (!subject)
		return der_errf(err, errsz, -EINVAL, "%s: no subject", what);
	if ((rc = check_name("certificate request subject", subject, err, errsz)) < 0 ||
	    (rc = check_dns(what, dns, n_dns, err, errsz)) < 0)
		return rc;

	der_writer_init(&w, out, cap);
	der_begin(&w, DER_SEQUENCE);           /* CertificationRequest */
	cri_start = w.len;
	der_begin(&w, DER_SEQUENCE);           /* CertificationRequestInfo */
	der_put_int(&w, 0);                    /* version v1 */
	put_name(&w, subject);
	put_spki(&w, s->pub);
	der_begin(&w, DER_CTX_CONS(0));        /* attributes [0] IMPLICIT SET OF */
	if (n_dns) {
		der_begin(&w, DER_SEQUENCE);   /* Attribute */
		der_put_oid(&w, X509_OID(OID_EXTENSION_REQUEST));
		der_begin(&w, DER_SET);
		der_begin(&w, DER_SEQUENCE);   /* Extensions */
		put_san(&w, dns, n_dns);
		der_end(&w);
		der_end(&w);
		der_end(&w);
	}
	der_end(&w);
	der_end(&w);                           /* CertificationRequestInfo */
	if ((rc = put_signature(&w, cri_start, s, what, err, errsz)) < 0)
		return rc;
	der_end(&w);
	return finish(&w, what, out_len, err, errsz);
}
