/*
 * x509_write: X.509 v3 certificates and PKCS#10 certificate requests for
 * P-256 keys, signed with ECDSA over SHA-256 through a struct signer (so a
 * TPM key and a soft key are used the same way).  BearSSL writes neither.
 *
 * What a certificate holds: a positive 16-byte serial, issuer and subject
 * names (CN, optional O, OU, serialNumber), validity, the subject's P-256
 * key, and the extensions asked for: BasicConstraints (critical), KeyUsage
 * (critical), ExtKeyUsage, SubjectAltName dNSName entries,
 * SubjectKeyIdentifier and AuthorityKeyIdentifier (RFC 5280 method 1:
 * SHA-1 of the key's BIT STRING contents).  The signature is checked against
 * the signer's public key before the certificate is returned, so a signer
 * whose key does not match its `pub` is caught here.
 *
 * Pure except x509_serial_random(), which reads the kernel's random
 * source.  Times are passed in.
 *
 * Ownership: every pointer in the parameter structures is borrowed for the
 * call; output buffers belong to the caller; the signer is borrowed.
 */
#ifndef EV_X509_WRITE_H
#define EV_X509_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "signer.h"

#define X509_SERIAL_LEN 16
#define X509_NAME_ATTR_MAX 64   /* ub-common-name etc. (RFC 5280) */
#define X509_DNS_MAX 16         /* dNSName entries we write or read */
#define X509_DNS_NAME_MAX 253
#define X509_DER_MAX 16384      /* largest certificate or CSR we write or read */
#define X509_ERR_MAX 256        /* a good size for err buffers */

/* KeyUsage bits (bit i = ASN.1 named bit i) */
#define X509_KU_DIGITAL_SIGNATURE (1u << 0)
#define X509_KU_KEY_ENCIPHERMENT  (1u << 2)
#define X509_KU_KEY_AGREEMENT     (1u << 4)
#define X509_KU_KEY_CERT_SIGN     (1u << 5)
#define X509_KU_CRL_SIGN          (1u << 6)

/* ExtKeyUsage purposes */
#define X509_EKU_SERVER_AUTH (1u << 0)
#define X509_EKU_CLIENT_AUTH (1u << 1)
#define X509_EKU_OCSP_SIGNING (1u << 2) /* signs certificate status (docs/revocation.md) */
#define X509_EKU_OTHER       (1u << 31)  /* reader only: a purpose we do not name */

/* A distinguished name: CN always; the others are left out when NULL.
 * Written in the order O, OU, CN, serialNumber; CN, O, OU as UTF8String,
 * serialNumber as PrintableString; each at most X509_NAME_ATTR_MAX bytes. */
struct x509_name {
	const char *cn;
	const char *o;
	const char *ou;
	const char *serial_number;
};

struct x509_cert_params {
	uint8_t serial[X509_SERIAL_LEN];  /* big-endian; x509_serial_random() */
	struct x509_name subject;
	/* Issuer: NULL issuer and NULL issuer_dn = self-signed (issuer name =
	 * subject, subject_pub must be the signer's key).  issuer = a name we
	 * encode; issuer_dn = the issuer's encoded Name copied as it is (from
	 * x509_cert.subject_dn of a CA certificate we did not write). */
	const struct x509_name *issuer;
	const uint8_t *issuer_dn;
	size_t issuer_dn_len;
	time_t not_before, not_after;
	const uint8_t *subject_pub;       /* SIGNER_PUB_LEN bytes, 0x04 || X || Y */
	bool basic_constraints;           /* write BasicConstraints (critical) */
	bool ca;                          /* cA */
	int path_len;                     /* pathLenConstraint, -1 = absent */
	uint32_t key_usage;               /* X509_KU_*, 0 = no KeyUsage */
	uint32_t ext_key_usage;           /* X509_EKU_SERVER_AUTH | ..., 0 = none */
	const char *const *dns;           /* SubjectAltName dNSName entries */
	size_t n_dns;
	bool no_key_ids;                  /* leave out SKI and AKI */
};

/*
 * Writes the certificate DER into out (cap bytes; X509_DER_MAX is always
 * enough) signed by `issuer_signer`.  0 and *out_len, or -EINVAL (bad
 * parameters), -ENOSPC (out too small), the signer's -errno, -EIO (the
 * signature does not verify against the signer's key); err says why.
 */
int x509_cert_write(const struct x509_cert_params *p, struct signer *issuer_signer,
		    uint8_t *out, size_t cap, size_t *out_len, char *err, size_t errsz);

/*
 * The device certificate as EVE makes it: self-signed P-256, CN = cn (the
 * device serial), valid from now - 1 day for 20 years, CA:TRUE (critical),
 * KeyUsage digitalSignature | keyCertSign (critical), ExtKeyUsage
 * clientAuth + serverAuth, SKI and AKI.
 */
int x509_device_cert_write(const char *cn, time_t now, const uint8_t serial[X509_SERIAL_LEN],
			   struct signer *s, uint8_t *out, size_t cap, size_t *out_len,
			   char *err, size_t errsz);

/* `t` plus `years` calendar years (29 February lands on 1 March); the
 * result is clamped to DER_TIME_MIN..DER_TIME_MAX (years 0..9999). */
time_t x509_add_years(time_t t, int years);

/* A random positive serial of exactly 16 significant bytes (126 random
 * bits) from getrandom(): 0 or -errno. */
int x509_serial_random(uint8_t serial[X509_SERIAL_LEN]);

/*
 * PKCS#10 certificate request for the signer's key: subject, the signer's
 * public key, and when n_dns > 0 an extensionRequest attribute with a
 * SubjectAltName of the dNSName entries.  Returns as x509_cert_write().
 */
int x509_csr_write(const struct x509_name *subject, const char *const *dns, size_t n_dns,
		   struct signer *s, uint8_t *out, size_t cap, size_t *out_len, char *err,
		   size_t errsz);

#endif
