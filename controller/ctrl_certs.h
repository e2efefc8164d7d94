/*
 * ctrl_certs: what the controller answers to GET .../certs: a marshalled
 * ZControllerCert holding its signing certificate (type
 * CERT_TYPE_CONTROLLER_SIGNING, PEM, certHash = SHA-256 of the DER with
 * HASH_ALGORITHM_SHA256_32BYTES) and any intermediates between it and the
 * root (CERT_TYPE_CONTROLLER_INTERMEDIATE).  The root itself is not sent:
 * devices have it in /config.
 *
 * Ownership: *out is malloc'd; the caller frees it.
 */
#ifndef EV_CTRL_CERTS_H
#define EV_CTRL_CERTS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct signer;
struct store;

/* Who signs the certificate statuses put in the reply (NULL: none are). */
struct ctrl_certs_status {
	struct signer *signer;        /* the status responder's key */
	const uint8_t *der;           /* its certificate */
	size_t len;
	struct store *st;             /* where revocations are recorded */
	time_t now;
	unsigned validity_s;          /* next_update = now + validity_s */
};

/* chain_pem: the signing certificate file (leaf first, then its issuers; a
 * self-signed root at the end is left out).  With status, each certificate
 * sent carries its signed status (docs/revocation.md). */
int ctrl_certs_build(const char *chain_pem, size_t len, const struct ctrl_certs_status *status,
		     uint8_t **out, size_t *out_len, uint8_t signing_hash[32], char *err,
		     size_t errsz);

#endif
