/*
 * x509_read: strict X.509 certificate parser and P-256 checks.  See
 * x509_read.h.
 */
#include "x509_read.h"

#include <bearssl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "x509_oid.h"

/* extension bits for duplicate detection */
enum {
	EXT_BC = 1 << 0,
	EXT_KU = 1 << 1,
	EXT_EKU = 1 << 2,
	EXT_SAN = 1 << 3,
	EXT_SKI = 1 << 4,
	EXT_AKI = 1 << 5,
};


/* der_fail with a chosen return code (for "well-formed but refused"). */
#define REFUSE(r, off, ...) (der_fail((r), (off), __VA_ARGS__), -ENOTSUP)

/* ---- P-256 --------------------------------------------------------------- */

bool
x509_p256_point_valid(const uint8_t pub[SIGNER_PUB_LEN])
{
	static const uint8_t one = 1;
	uint8_t tmp[SIGNER_PUB_LEN];

	if (pub[0] != 0x04)
		return false;
	/* BearSSL's mul decodes the point and fails for one off the curve */
	memcpy(tmp, pub, sizeof(tmp));
	return br_ec_p256_m31.mul(tmp, sizeof(tmp), &one, 1, BR_EC_secp256r1) == 1;
}

int
x509_ecdsa_p256_verify(const uint8_t pub[SIGNER_PUB_LEN], const uint8_t hash[32],
		       const uint8_t sig[SIGNER_SIG_LEN])
{
	br_ec_public_key pk = {
		.curve = BR_EC_secp256r1,
		.q = (unsigned char *)pub,
		.qlen = SIGNER_PUB_LEN,
	};

	return br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, hash, 32, &pk, sig, SIGNER_SIG_LEN) == 1
		       ? 0
		       : -EBADMSG;
}

void
x509_der_sha256(const uint8_t *der, size_t len, uint8_t out[32])
{
	br_sha256_context h;

	br_sha256_init(&h);
	br_sha256_update(&h, der, len);
	br_sha256_out(&h, out);
}

/* ---- pieces -------------------------------------------------------------- */

/* AlgorithmIdentifier of a signature. */
static int
parse_sig_alg(struct der_reader *r, struct x509_cert *c, struct der_tlv *whole,
	      const char *field)
{
	struct der_reader sub;
	struct der_tlv oid, params;
	int rc;

	if ((rc = der_expect(r, DER_SEQUENCE, whole, field)) < 0 ||
	    (rc = der_enter(r, whole, &sub)) < 0 ||
	    (rc = der_expect(&sub, DER_OID, &oid, field)) < 0 ||
	    (rc = der_get_oid(&sub, &oid, field)) < 0)
		return rc;
	der_oid_to_str(oid.val, oid.len, c->sig_alg_oid, sizeof(c->sig_alg_oid));
	if (der_oid_eq(oid.val, oid.len, X509_OID(OID_ECDSA_SHA256)))
		c->sig_alg = X509_SIG_ECDSA_SHA256;
	else if (der_oid_eq(oid.val, oid.len, X509_OID(OID_ECDSA_SHA384)))
		c->sig_alg = X509_SIG_ECDSA_SHA384;
	else if (der_oid_eq(oid.val, oid.len, X509_OID(OID_RSA_SHA256)))
		c->sig_alg = X509_SIG_RSA_SHA256;
	else
		c->sig_alg = X509_SIG_UNKNOWN;
	if (der_more(&sub)) {
		if ((rc = der_read(&sub, &params)) < 0)
			return rc;
		/* RFC 5758: ECDSA parameters are absent; RSA's are NULL */
		if (c->sig_alg == X509_SIG_ECDSA_SHA256 || c->sig_alg == X509_SIG_ECDSA_SHA384)
			return der_fail(&sub, params.off, "%s: ECDSA must have no parameters",
					field);
		if (c->sig_alg == X509_SIG_RSA_SHA256 && (params.tag != DER_NULL || params.len))
			return der_fail(&sub, params.off, "%s: RSA parameters must be NULL", field);
	}
	return der_end_of(&sub, field);
}

/* A directory string we keep: UTF8String, PrintableString, IA5String, or a
 * TeletexString of plain ASCII; no control characters. */
static int
get_string(struct der_reader *r, const struct der_tlv *t, char *out, size_t outsz,
	   const char *field)
{
	bool ok;

	switch (t->tag) {
	case DER_UTF8_STRING:
		ok = der_utf8_valid(t->val, t->len);
		break;
	case DER_PRINTABLE_STRING:
		ok = der_printable_valid(t->val, t->len);
		break;
	case DER_IA5_STRING:
	case DER_T61_STRING:
		ok = der_ia5_valid(t->val, t->len);
		break;
	default:
		return REFUSE(r, t->off, "%s: string type 0x%02x not supported", field, t->tag);
	}
	if (!ok)
		return der_fail(r, t->off, "%s: invalid characters for its string type", field);
	for (size_t i = 0; i < t->len; i++)
		if (t->val[i] < 0x20 || t->val[i] == 0x7f)
			return der_fail(r, t->off, "%s: control character in string", field);
	if (t->len >= outsz)
		return der_fail(r, t->off, "%s: %zu bytes, longer than %zu", field, t->len,
				outsz - 1);
	memcpy(out, t->val, t->len);
	out[t->len] = '\0';
	return 0;
}

/* Name ::= SEQUENCE OF SET OF AttributeTypeAndValue; keeps the first CN. */
static int
parse_name(struct der_reader *r, struct x509_bytes *dn, char *cn, size_t cnsz,
	   const char *field)
{
	struct der_reader name, rdn, atv;
	struct der_tlv t, oid, val;
	bool have_cn = false;
	int rc;

	cn[0] = '\0';
	if ((rc = der_expect(r, DER_SEQUENCE, &t, field)) < 0 || (rc = der_enter(r, &t, &name)) < 0)
		return rc;
	dn->p = t.raw;
	dn->len = t.raw_len;
	while (der_more(&name)) {
		if ((rc = der_expect_enter(&name, DER_SET, &rdn, field)) < 0)
			return rc;
		if (!der_more(&rdn))
			return der_fail(&name, rdn.base, "%s: empty RelativeDistinguishedName", field);
		while (der_more(&rdn)) {
			if ((rc = der_expect_enter(&rdn, DER_SEQUENCE, &atv, field)) < 0 ||
			    (rc = der_expect(&atv, DER_OID, &oid, field)) < 0 ||
			    (rc = der_get_oid(&atv, &oid, field)) < 0 ||
			    (rc = der_read(&atv, &val)) < 0 || (rc = der_end_of(&atv, field)) < 0)
				return rc;
			if (!have_cn && der_oid_eq(oid.val, oid.len, X509_OID(OID_AT_CN))) {
				if ((rc = get_string(&atv, &val, cn, cnsz, field)) < 0)
					return rc;
				have_cn = true;
			}
		}
	}
	return 0;
}

static int
parse_validity(struct der_reader *r, struct x509_cert *c)
{
	static const char f[] = "validity";
	struct der_reader v;
	struct der_tlv t;
	int rc;

	if ((rc = der_expect_enter(r, DER_SEQUENCE, &v, f)) < 0 ||
	    (rc = der_read(&v, &t)) < 0 ||
	    (rc = der_get_time(&v, &t, &c->not_before, "validity.notBefore")) < 0 ||
	    (rc = der_read(&v, &t)) < 0 ||
	    (rc = der_get_time(&v, &t, &c->not_after, "validity.notAfter")) < 0)
		return rc;
	return der_end_of(&v, f);
}

static int
parse_spki(struct der_reader *r, struct x509_cert *c)
{
	static const char f[] = "subjectPublicKeyInfo";
	char oidstr[DER_OID_STR_MAX];
	struct der_reader spki, alg;
	struct der_tlv t, oid, params, bits;
	const uint8_t *key;
	size_t keylen;
	int rc;

	if ((rc = der_expect_enter(r, DER_SEQUENCE, &spki, f)) < 0 ||
	    (rc = der_expect(&spki, DER_SEQUENCE, &t, f)) < 0 ||
	    (rc = der_enter(&spki, &t, &alg)) < 0 ||
	    (rc = der_expect(&alg, DER_OID, &oid, f)) < 0 ||
	    (rc = der_get_oid(&alg, &oid, f)) < 0)
		return rc;
	der_oid_to_str(oid.val, oid.len, oidstr, sizeof(oidstr));
	if (der_oid_eq(oid.val, oid.len, X509_OID(OID_RSA_ENCRYPTION)))
		return REFUSE(&alg, oid.off,
			      "subject key is RSA (%s); only EC P-256 keys are supported", oidstr);
	if (der_oid_eq(oid.val, oid.len, X509_OID(OID_ED25519)))
		return REFUSE(&alg, oid.off,
			      "subject key is Ed25519 (%s); only EC P-256 keys are supported",
			      oidstr);
	if (!der_oid_eq(oid.val, oid.len, X509_OID(OID_EC_PUBLIC_KEY)))
		return REFUSE(&alg, oid.off,
			      "subject key algorithm %s not supported; only EC P-256", oidstr);
	if ((rc = der_read(&alg, &params)) < 0)
		return rc;
	if (params.tag != DER_OID)
		return REFUSE(&alg, params.off,
			      "EC key with explicit or implicit curve parameters; only the named "
			      "curve P-256 is supported");
	if ((rc = der_get_oid(&alg, &params, f)) < 0)
		return rc;
	if (!der_oid_eq(params.val, params.len, X509_OID(OID_PRIME256V1))) {
		der_oid_to_str(params.val, params.len, oidstr, sizeof(oidstr));
		return REFUSE(&alg, params.off, "EC key on curve %s%s; only P-256 is supported",
			      oidstr,
			      der_oid_eq(params.val, params.len, X509_OID(OID_SECP384R1)) ? " (P-384)"
			      : der_oid_eq(params.val, params.len, X509_OID(OID_SECP521R1))
				      ? " (P-521)"
				      : "");
	}
	if ((rc = der_end_of(&alg, f)) < 0 ||
	    (rc = der_expect(&spki, DER_BIT_STRING, &bits, "subjectPublicKey")) < 0 ||
	    (rc = der_get_bit_string(&spki, &bits, &key, &keylen, "subjectPublicKey")) < 0 ||
	    (rc = der_end_of(&spki, f)) < 0)
		return rc;
	if (keylen == 33 && (key[0] == 0x02 || key[0] == 0x03))
		return REFUSE(&spki, bits.off, "compressed EC point not supported");
	if (keylen != SIGNER_PUB_LEN || key[0] != 0x04)
		return der_fail(&spki, bits.off, "P-256 key of %zu bytes, not an uncompressed point",
				keylen);
	memcpy(c->pub, key, SIGNER_PUB_LEN);
	if (!x509_p256_point_valid(c->pub))
		return der_fail(&spki, bits.off, "public key is not a point on P-256");
	return 0;
}

static int
ext_basic_constraints(struct der_reader *r, struct x509_cert *c)
{
	static const char f[] = "basicConstraints";
	struct der_reader bc;
	struct der_tlv t;
	int64_t v;
	int rc;

	if ((rc = der_expect_enter(r, DER_SEQUENCE, &bc, f)) < 0)
		return rc;
	c->has_basic_constraints = true;
	if ((rc = der_optional(&bc, DER_BOOLEAN, &t)) < 0 ||
	    (rc == 1 && (rc = der_get_bool(&bc, &t, &c->ca, f)) < 0))
		return rc;
	if ((rc = der_optional(&bc, DER_INTEGER, &t)) < 0)
		return rc;
	if (rc == 1) {
		if ((rc = der_get_int(&bc, &t, 0, 255, &v, "pathLenConstraint")) < 0)
			return rc;
		c->path_len = (int)v;
	}
	return der_end_of(&bc, f);
}

static int
ext_eku(struct der_reader *r, struct x509_cert *c)
{
	static const char f[] = "extKeyUsage";
	struct der_reader seq;
	struct der_tlv oid;
	int rc;

	if ((rc = der_expect_enter(r, DER_SEQUENCE, &seq, f)) < 0)
		return rc;
	if (!der_more(&seq))
		return der_fail(r, seq.base, "%s: empty", f);
	while (der_more(&seq)) {
		if ((rc = der_expect(&seq, DER_OID, &oid, f)) < 0 ||
		    (rc = der_get_oid(&seq, &oid, f)) < 0)
			return rc;
		if (der_oid_eq(oid.val, oid.len, X509_OID(OID_KP_SERVER_AUTH)))
			c->ext_key_usage |= X509_EKU_SERVER_AUTH;
		else if (der_oid_eq(oid.val, oid.len, X509_OID(OID_KP_CLIENT_AUTH)))
			c->ext_key_usage |= X509_EKU_CLIENT_AUTH;
		else if (der_oid_eq(oid.val, oid.len, X509_OID(OID_KP_OCSP_SIGNING)))
			c->ext_key_usage |= X509_EKU_OCSP_SIGNING;
		else
			c->ext_key_usage |= X509_EKU_OTHER;
	}
	return 0;
}

static int
ext_san(struct der_reader *r, struct x509_cert *c)
{
	static const char f[] = "subjectAltName";
	struct der_reader seq;
	struct der_tlv gn;
	int rc;

	if ((rc = der_expect_enter(r, DER_SEQUENCE, &seq, f)) < 0)
		return rc;
	if (!der_more(&seq))
		return der_fail(r, seq.base, "%s: empty", f);
	while (der_more(&seq)) {
		if ((rc = der_read(&seq, &gn)) < 0)
			return rc;
		if (gn.tag != DER_CTX(2))
			continue;  /* other GeneralName forms are not ours to use */
		if (gn.len == 0 || gn.len > X509_DNS_NAME_MAX || !der_ia5_valid(gn.val, gn.len))
			return der_fail(&seq, gn.off, "%s: dNSName is empty, too long or not ASCII",
					f);
		if (c->n_dns == X509_DNS_MAX)
			return REFUSE(&seq, gn.off, "%s: more than %d dNSName entries", f,
				      X509_DNS_MAX);
		c->dns[c->n_dns].p = gn.val;
		c->dns[c->n_dns].len = gn.len;
		c->n_dns++;
	}
	return 0;
}

static int
ext_aki(struct der_reader *r, struct x509_cert *c)
{
	static const char f[] = "authorityKeyIdentifier";
	struct der_reader seq;
	struct der_tlv t;
	int rc;

	if ((rc = der_expect_enter(r, DER_SEQUENCE, &seq, f)) < 0)
		return rc;
	if ((rc = der_optional(&seq, DER_CTX(0), &t)) < 0)
		return rc;
	if (rc == 1) {
		c->aki.p = t.val;
		c->aki.len = t.len;
	}
	/* authorityCertIssuer [1] and authorityCertSerialNumber [2] are skipped */
	if ((rc = der_optional(&seq, DER_CTX_CONS(1), &t)) < 0 ||
	    (rc = der_optional(&seq, DER_CTX(2), &t)) < 0)
		return rc;
	return der_end_of(&seq, f);
}

/* Reader over an encapsulating OCTET STRING's contents (extnValue). */
static int
enter_octets(struct der_reader *r, const struct der_tlv *t, struct der_reader *sub)
{
	if (r->depth + 1 > DER_MAX_DEPTH)
		return der_fail(r, t->off, "nesting deeper than %d levels", DER_MAX_DEPTH);
	*sub = *r;
	sub->p = t->val;
	sub->len = t->len;
	sub->pos = 0;
	sub->base = t->off + (size_t)(t->val - t->raw);
	sub->depth = r->depth + 1;
	return 0;
}

static int
parse_extension(struct der_reader *exts, struct x509_cert *c, unsigned *seen)
{
	static const char f[] = "extension";
	char oidstr[DER_OID_STR_MAX];
	struct der_reader ext, val;
	struct der_tlv oid, t, octets;
	bool critical = false;
	unsigned bit = 0;
	int rc;

	if ((rc = der_expect_enter(exts, DER_SEQUENCE, &ext, f)) < 0 ||
	    (rc = der_expect(&ext, DER_OID, &oid, "extension.extnID")) < 0 ||
	    (rc = der_get_oid(&ext, &oid, "extension.extnID")) < 0)
		return rc;
	if ((rc = der_optional(&ext, DER_BOOLEAN, &t)) < 0 ||
	    (rc == 1 && (rc = der_get_bool(&ext, &t, &critical, "extension.critical")) < 0))
		return rc;
	if ((rc = der_expect(&ext, DER_OCTET_STRING, &octets, "extension.extnValue")) < 0 ||
	    (rc = der_end_of(&ext, f)) < 0 || (rc = enter_octets(&ext, &octets, &val)) < 0)
		return rc;
	der_oid_to_str(oid.val, oid.len, oidstr, sizeof(oidstr));

	if (der_oid_eq(oid.val, oid.len, X509_OID(OID_EXT_BASIC_CONSTRAINTS))) {
		bit = EXT_BC;
		rc = ext_basic_constraints(&val, c);
	} else if (der_oid_eq(oid.val, oid.len, X509_OID(OID_EXT_KEY_USAGE))) {
		bit = EXT_KU;
		if ((rc = der_expect(&val, DER_BIT_STRING, &t, "keyUsage")) == 0 &&
		    (rc = der_get_named_bits(&val, &t, &c->key_usage, "keyUsage")) == 0)
			c->has_key_usage = true;
	} else if (der_oid_eq(oid.val, oid.len, X509_OID(OID_EXT_EXT_KEY_USAGE))) {
		bit = EXT_EKU;
		rc = ext_eku(&val, c);
	} else if (der_oid_eq(oid.val, oid.len, X509_OID(OID_EXT_SAN))) {
		bit = EXT_SAN;
		rc = ext_san(&val, c);
	} else if (der_oid_eq(oid.val, oid.len, X509_OID(OID_EXT_SKI))) {
		bit = EXT_SKI;
		if ((rc = der_expect(&val, DER_OCTET_STRING, &t, "subjectKeyIdentifier")) == 0) {
			c->ski.p = t.val;
			c->ski.len = t.len;
		}
	} else if (der_oid_eq(oid.val, oid.len, X509_OID(OID_EXT_AKI))) {
		bit = EXT_AKI;
		rc = ext_aki(&val, c);
	} else if (critical) {
		return REFUSE(&ext, oid.off, "unsupported critical extension %s", oidstr);
	} else {
		return 0;  /* an extension we do not use */
	}
	if (rc < 0)
		return rc;
	if (*seen & bit)
		return der_fail(&ext, oid.off, "extension %s appears twice", oidstr);
	*seen |= bit;
	return der_end_of(&val, oidstr);
}

/* ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } */
static int
parse_ecdsa_sig(struct der_reader *r, const struct der_tlv *bits, struct x509_cert *c)
{
	static const char f[] = "signatureValue";
	struct der_reader sig, seq;
	struct der_tlv t;
	const uint8_t *m[2];
	size_t mlen[2];
	int rc;

	if ((rc = enter_octets(r, bits, &sig)) < 0)
		return rc;
	sig.p = c->sig.p;  /* skip the unused-bits byte */
	sig.len = c->sig.len;
	sig.base++;
	if ((rc = der_expect_enter(&sig, DER_SEQUENCE, &seq, f)) < 0 ||
	    (rc = der_end_of(&sig, f)) < 0)
		return rc;
	for (int i = 0; i < 2; i++) {
		if ((rc = der_expect(&seq, DER_INTEGER, &t, f)) < 0 ||
		    (rc = der_get_uint_be(&seq, &t, &m[i], &mlen[i], f)) < 0)
			return rc;
	}
	if ((rc = der_end_of(&seq, f)) < 0)
		return rc;
	c->sig_raw_ok = mlen[0] <= 32 && mlen[1] <= 32;
	if (c->sig_raw_ok) {
		memset(c->sig_raw, 0, sizeof(c->sig_raw));
		memcpy(c->sig_raw + 32 - mlen[0], m[0], mlen[0]);
		memcpy(c->sig_raw + 64 - mlen[1], m[1], mlen[1]);
	}
	return 0;
}

/* ---- the certificate ----------------------------------------------------- */

int
x509_cert_parse(const uint8_t *der, size_t len, struct x509_cert *c, char *err, size_t errsz)
{
	struct der_reader top, cert, tbs;
	struct der_tlv t, alg_inner, alg_outer, bits;
	unsigned seen = 0;
	int64_t v;
	int rc;

	memset(c, 0, sizeof(*c));
	c->path_len = -1;
	if (err && errsz)
		err[0] = '\0';
	if (!der || len == 0)
		return der_errf(err, errsz, -EBADMSG, "certificate: empty input");
	if (len > X509_DER_MAX)
		return der_errf(err, errsz, -EBADMSG, "certificate: %zu bytes exceeds the %d-byte limit",
			    len, X509_DER_MAX);
	der_reader_init(&top, der, len, "certificate", err, errsz);
	if ((rc = der_check(&top, DER_MAX_DEPTH)) < 0)
		return rc;
	der_reader_init(&top, der, len, "certificate", err, errsz);
	c->der.p = der;
	c->der.len = len;

	if ((rc = der_expect_enter(&top, DER_SEQUENCE, &cert, "Certificate")) < 0 ||
	    (rc = der_expect(&cert, DER_SEQUENCE, &t, "tbsCertificate")) < 0 ||
	    (rc = der_enter(&cert, &t, &tbs)) < 0)
		return rc;
	c->tbs.p = t.raw;
	c->tbs.len = t.raw_len;

	/* version [0] EXPLICIT Version DEFAULT v1 */
	c->version = 1;
	if ((rc = der_optional(&tbs, DER_CTX_CONS(0), &t)) < 0)
		return rc;
	if (rc == 1) {
		struct der_reader ver;
		struct der_tlv vi;

		if ((rc = der_enter(&tbs, &t, &ver)) < 0 ||
		    (rc = der_expect(&ver, DER_INTEGER, &vi, "version")) < 0 ||
		    (rc = der_get_int(&ver, &vi, 0, 2, &v, "version")) < 0 ||
		    (rc = der_end_of(&ver, "version")) < 0)
			return rc;
		if (v == 0)
			return der_fail(&tbs, t.off, "version: v1 must be left out in DER");
		if (v == 1)
			return REFUSE(&tbs, t.off, "version: v2 certificates are not supported");
		c->version = 3;
	}
	if ((rc = der_expect(&tbs, DER_INTEGER, &t, "serialNumber")) < 0 ||
	    (rc = der_get_uint_be(&tbs, &t, &c->serial.p, &c->serial.len, "serialNumber")) < 0)
		return rc;
	if (c->serial.len > 20)
		return der_fail(&tbs, t.off, "serialNumber: %zu bytes, RFC 5280 allows 20",
				c->serial.len);
	if ((rc = parse_sig_alg(&tbs, c, &alg_inner, "signature")) < 0 ||
	    (rc = parse_name(&tbs, &c->issuer_dn, c->issuer_cn, sizeof(c->issuer_cn),
			     "issuer")) < 0 ||
	    (rc = parse_validity(&tbs, c)) < 0 ||
	    (rc = parse_name(&tbs, &c->subject_dn, c->subject_cn, sizeof(c->subject_cn),
			     "subject")) < 0 ||
	    (rc = parse_spki(&tbs, c)) < 0)
		return rc;
	/* issuerUniqueID [1], subjectUniqueID [2]: v2/v3 only, unused */
	if (c->version == 3 && ((rc = der_optional(&tbs, DER_CTX(1), &t)) < 0 ||
				(rc = der_optional(&tbs, DER_CTX(2), &t)) < 0))
		return rc;
	if ((rc = der_optional(&tbs, DER_CTX_CONS(3), &t)) < 0)
		return rc;
	if (rc == 1) {
		struct der_reader wrap, exts;

		if (c->version != 3)
			return der_fail(&tbs, t.off, "extensions in a v1 certificate");
		if ((rc = der_enter(&tbs, &t, &wrap)) < 0 ||
		    (rc = der_expect_enter(&wrap, DER_SEQUENCE, &exts, "extensions")) < 0 ||
		    (rc = der_end_of(&wrap, "extensions")) < 0)
			return rc;
		if (!der_more(&exts))
			return der_fail(&wrap, t.off, "extensions: empty list");
		while (der_more(&exts))
			if ((rc = parse_extension(&exts, c, &seen)) < 0)
				return rc;
	}
	if ((rc = der_end_of(&tbs, "tbsCertificate")) < 0)
		return rc;

	/* signatureAlgorithm must repeat tbsCertificate.signature exactly */
	{
		enum x509_sig_alg inner = c->sig_alg;

		if ((rc = parse_sig_alg(&cert, c, &alg_outer, "signatureAlgorithm")) < 0)
			return rc;
		if (inner != c->sig_alg || alg_inner.raw_len != alg_outer.raw_len ||
		    memcmp(alg_inner.raw, alg_outer.raw, alg_inner.raw_len) != 0)
			return der_fail(&cert, alg_outer.off,
					"signatureAlgorithm differs from tbsCertificate.signature");
	}
	if ((rc = der_expect(&cert, DER_BIT_STRING, &bits, "signatureValue")) < 0 ||
	    (rc = der_get_bit_string(&cert, &bits, &c->sig.p, &c->sig.len, "signatureValue")) < 0 ||
	    (rc = der_end_of(&cert, "signatureValue")) < 0 ||
	    (rc = der_end_of(&top, "Certificate")) < 0)
		return rc;
	if (c->sig_alg == X509_SIG_ECDSA_SHA256 || c->sig_alg == X509_SIG_ECDSA_SHA384)
		return parse_ecdsa_sig(&cert, &bits, c);
	return 0;
}

int
x509_cert_verify(const struct x509_cert *c, const uint8_t pub[SIGNER_PUB_LEN], char *err,
		 size_t errsz)
{
	uint8_t hash[32];

	if (c->sig_alg != X509_SIG_ECDSA_SHA256)
		return der_errf(err, errsz, -ENOTSUP,
			    "certificate '%s': signature algorithm %s not supported (only "
			    "ecdsa-with-SHA256)",
			    c->subject_cn, c->sig_alg_oid);
	if (!c->sig_raw_ok)
		return der_errf(err, errsz, -EBADMSG,
			    "certificate '%s': ECDSA signature values too long for P-256",
			    c->subject_cn);
	if (!x509_p256_point_valid(pub))
		return der_errf(err, errsz, -EINVAL, "certificate '%s': issuer key is not a P-256 point",
			    c->subject_cn);
	x509_der_sha256(c->tbs.p, c->tbs.len, hash);
	if (x509_ecdsa_p256_verify(pub, hash, c->sig_raw) < 0)
		return der_errf(err, errsz, -EBADMSG,
			    "certificate '%s': signature does not verify with the issuer's key",
			    c->subject_cn);
	return 0;
}

int
x509_cert_check_issued_by(const struct x509_cert *c, const struct x509_cert *issuer, char *err,
			  size_t errsz)
{
	if (c->issuer_dn.len != issuer->subject_dn.len ||
	    memcmp(c->issuer_dn.p, issuer->subject_dn.p, c->issuer_dn.len) != 0)
		return der_errf(err, errsz, -EBADMSG,
			    "certificate '%s': issuer name does not match the subject of '%s'",
			    c->subject_cn, issuer->subject_cn);
	if (!issuer->has_basic_constraints || !issuer->ca)
		return der_errf(err, errsz, -EBADMSG, "certificate '%s': issuer '%s' is not a CA",
			    c->subject_cn, issuer->subject_cn);
	if (issuer->has_key_usage && !(issuer->key_usage & X509_KU_KEY_CERT_SIGN))
		return der_errf(err, errsz, -EBADMSG,
			    "certificate '%s': issuer '%s' key usage lacks keyCertSign",
			    c->subject_cn, issuer->subject_cn);
	if (c->aki.len && issuer->ski.len &&
	    (c->aki.len != issuer->ski.len || memcmp(c->aki.p, issuer->ski.p, c->aki.len) != 0))
		return der_errf(err, errsz, -EBADMSG,
			    "certificate '%s': authority key identifier does not match '%s'",
			    c->subject_cn, issuer->subject_cn);
	return x509_cert_verify(c, issuer->pub, err, errsz);
}

int
x509_cert_check_time(const struct x509_cert *c, time_t now, char *err, size_t errsz)
{
	if (now < c->not_before)
		return der_errf(err, errsz, -EKEYEXPIRED, "certificate '%s': not valid yet",
			    c->subject_cn);
	if (now > c->not_after)
		return der_errf(err, errsz, -EKEYEXPIRED, "certificate '%s': expired", c->subject_cn);
	return 0;
}
