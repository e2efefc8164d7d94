/*
 * auth: EVE API v2's signed envelope, AuthContainer (proto/auth/auth.proto).
 *
 * Every v2 body, request or reply, is an AuthContainer whose
 * protectedPayload.payload is the marshalled inner message, signed over
 * SHA-256(payload): ECDSA P-256 as raw r||s (each 32 bytes, left-padded; not
 * ASN.1), or RSA PKCS#1 v1.5 with SHA-256 for a controller's RSA signing key.
 * senderCertHash is SHA-256 of the signer's certificate DER (all 32 bytes with
 * algo HASH_ALGORITHM_SHA256_32BYTES, the first 16 with _16BYTES).
 * `register` also carries senderCert (base64 of the PEM certificate); turning
 * that into DER is the caller's business, so this module stays on bytes.
 *
 * Pure: bytes in, bytes out, no I/O, no globals.  Signing goes through a
 * struct signer, so the key may be in a TPM or in another process.
 *
 * Ownership: auth_seal and auth_open return malloc'd buffers the caller
 * frees; every other pointer is borrowed for the duration of the call.
 */
#ifndef EV_AUTH_H
#define EV_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "signer.h"

#define AUTH_ERR_MAX 200
#define AUTH_MAX_BODY (8u << 20) /* bound on a container we accept */

/* A certificate whose signatures we accept, reduced to what checking needs. */
struct auth_key {
	uint8_t cert_hash[32];    /* SHA-256 of the certificate DER */
	int type;                 /* BR_KEYTYPE_EC (P-256) or BR_KEYTYPE_RSA */
	uint8_t ec_q[65];         /* uncompressed point */
	uint8_t rsa_n[512];
	size_t rsa_nlen;
	uint8_t rsa_e[8];
	size_t rsa_elen;
};

/* Fills k from a certificate's DER (EC P-256 or RSA up to 4096 bits). */
int auth_key_from_cert(struct auth_key *k, const uint8_t *der, size_t len,
		       char err[AUTH_ERR_MAX]);

/*
 * Wraps payload into a signed AuthContainer.  cert_hash: SHA-256 of the
 * signer's certificate DER.  sender_cert (may be NULL): the bytes to put in
 * senderCert (for register: base64 of the PEM).  *out is malloc'd.
 */
int auth_seal(const uint8_t *payload, size_t len, struct signer *s,
	      const uint8_t cert_hash[32], const uint8_t *sender_cert, size_t sender_cert_len,
	      uint8_t **out, size_t *out_len, char err[AUTH_ERR_MAX]);

/*
 * Checks a received AuthContainer against the trusted keys (nkeys of them):
 * its algo, that senderCertHash names one of them, and the signature over
 * SHA-256 of the payload.  On success *payload is a malloc'd copy of the
 * inner bytes (*payload_len may be 0), *which the index of the key that
 * signed (NULL if not wanted).  Errors: -EBADMSG (malformed), -EKEYREJECTED
 * (unknown signer), -EBADE (bad signature), -EMSGSIZE, -ENOMEM.
 */
int auth_open(const uint8_t *body, size_t len, const struct auth_key *keys, size_t nkeys,
	      uint8_t **payload, size_t *payload_len, size_t *which, char err[AUTH_ERR_MAX]);

/*
 * For register: returns a malloc'd copy of the senderCert bytes of a
 * container without checking anything (the caller decodes the certificate,
 * decides whether it is acceptable, builds an auth_key from it and calls
 * auth_open).  -ENOENT when the container has no senderCert.
 */
int auth_sender_cert(const uint8_t *body, size_t len, uint8_t **cert, size_t *cert_len,
		     char err[AUTH_ERR_MAX]);

/*
 * The payload of a container, NOT checked: only for the one message that
 * carries the certificate it is signed with (certs: the signing certificate
 * is inside), which the caller must check before trusting anything here.
 * *payload is malloc'd.
 */
int auth_payload_unchecked(const uint8_t *body, size_t len, uint8_t **payload, size_t *plen,
			   char err[AUTH_ERR_MAX]);

/*
 * The senderCertHash of a container, unchecked (to find which certificate
 * to check it with): 0 and hash (hlen 16 or 32 bytes, per its algo).
 */
int auth_sender_hash(const uint8_t *body, size_t len, uint8_t hash[32], size_t *hlen,
		     char err[AUTH_ERR_MAX]);

#endif
