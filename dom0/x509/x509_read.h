/*
 * x509_read: a strict parser for the X.509 certificates Edgevisor deals
 * with (its own, the controller's, EVE's), and ECDSA P-256 signature checks.
 * Pure: bytes in, structure out, no I/O, no allocation.
 *
 * The parser first checks the whole DER structure (der_check: lengths,
 * nesting at most DER_MAX_DEPTH), then walks RFC 5280's TBSCertificate.  It
 * accepts v1 and v3 certificates; subject keys must be EC P-256 (an RSA,
 * Ed25519 or other-curve key is refused with a message naming it) and a
 * point on the curve.  Extensions understood: BasicConstraints, KeyUsage,
 * ExtKeyUsage, SubjectAltName (dNSName entries kept, other names skipped),
 * SubjectKeyIdentifier, AuthorityKeyIdentifier; any other critical
 * extension, a duplicated extension, or more than X509_DNS_MAX dNSNames is
 * refused.  The signature algorithm is recorded; only ecdsa-with-SHA256 by a
 * P-256 key can be verified here.
 *
 * Ownership: a struct x509_cert points into the caller's DER (all
 * struct x509_bytes fields), which must outlive it; the strings and the
 * public key are copies inside the structure.
 */
#ifndef EV_X509_READ_H
#define EV_X509_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "der.h"
#include "signer.h"
#include "x509_write.h"

#define X509_CN_MAX 256  /* CN bytes we keep (64 characters of UTF-8), without NUL */

struct x509_bytes {
	const uint8_t *p;
	size_t len;
};

enum x509_sig_alg {
	X509_SIG_UNKNOWN = 0,
	X509_SIG_ECDSA_SHA256,
	X509_SIG_ECDSA_SHA384,
	X509_SIG_RSA_SHA256,
};

struct x509_cert {
	struct x509_bytes der;         /* the whole certificate */
	struct x509_bytes tbs;         /* tbsCertificate element: what is signed */
	int version;                   /* 1 or 3 */
	struct x509_bytes serial;      /* magnitude without sign byte */
	struct x509_bytes issuer_dn;   /* issuer Name element (tag, length, value) */
	struct x509_bytes subject_dn;  /* subject Name element */
	char issuer_cn[X509_CN_MAX + 1];   /* "" when the name has no CN */
	char subject_cn[X509_CN_MAX + 1];
	time_t not_before, not_after;
	uint8_t pub[SIGNER_PUB_LEN];   /* subject key, 0x04 || X || Y on P-256 */
	bool has_basic_constraints;
	bool ca;
	int path_len;                  /* -1 when absent */
	bool has_key_usage;
	uint32_t key_usage;            /* X509_KU_* */
	uint32_t ext_key_usage;        /* X509_EKU_*, 0 when absent */
	struct x509_bytes dns[X509_DNS_MAX];  /* SubjectAltName dNSName values */
	size_t n_dns;
	struct x509_bytes ski;         /* SubjectKeyIdentifier, len 0 if absent */
	struct x509_bytes aki;         /* AuthorityKeyIdentifier keyIdentifier */
	enum x509_sig_alg sig_alg;
	char sig_alg_oid[DER_OID_STR_MAX];   /* dotted, for messages */
	struct x509_bytes sig;         /* signatureValue bits (DER ECDSA-Sig-Value for ECDSA) */
	bool sig_raw_ok;               /* sig_raw holds r || s (ECDSA, both <= 32 bytes) */
	uint8_t sig_raw[SIGNER_SIG_LEN];
};

/* Parses der (len bytes, at most X509_DER_MAX) into c.  0, or -EBADMSG
 * (malformed), -ENOTSUP (well-formed but a key or feature we refuse), with
 * the reason in err ("certificate: subject key is RSA ...").  */
int x509_cert_parse(const uint8_t *der, size_t len, struct x509_cert *c, char *err,
		    size_t errsz);

/* Checks c's signature with a P-256 public key: 0, -EBADMSG (bad
 * signature), -ENOTSUP (an algorithm other than ecdsa-with-SHA256). */
int x509_cert_verify(const struct x509_cert *c, const uint8_t pub[SIGNER_PUB_LEN], char *err,
		     size_t errsz);

/* Checks that issuer issued c: names match byte for byte, the issuer is a
 * CA (BasicConstraints cA; KeyUsage keyCertSign when KeyUsage is present),
 * key identifiers agree when both are present, and the signature verifies.
 * Validity times are not checked here (x509_cert_check_time). */
int x509_cert_check_issued_by(const struct x509_cert *c, const struct x509_cert *issuer,
			      char *err, size_t errsz);

/* 0 when not_before <= now <= not_after, else -EKEYEXPIRED with why. */
int x509_cert_check_time(const struct x509_cert *c, time_t now, char *err, size_t errsz);

/* SHA-256 of DER bytes (AuthContainer.senderCertHash). */
void x509_der_sha256(const uint8_t *der, size_t len, uint8_t out[32]);

/* ECDSA P-256 check of a raw r || s signature over a SHA-256 hash: 0 or
 * -EBADMSG. */
int x509_ecdsa_p256_verify(const uint8_t pub[SIGNER_PUB_LEN], const uint8_t hash[32],
			   const uint8_t sig[SIGNER_SIG_LEN]);

/* true when pub is an uncompressed point on P-256 (not the identity). */
bool x509_p256_point_valid(const uint8_t pub[SIGNER_PUB_LEN]);

#endif
