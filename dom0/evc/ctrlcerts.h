/*
 * ctrlcerts: the device's check of the controller's certificates (the reply
 * to GET .../certs): a ZControllerCert, inside an AuthContainer signed by
 * the controller signing certificate it carries.  The signing certificate
 * (type CERT_TYPE_CONTROLLER_SIGNING) must chain, through any intermediates
 * (CERT_TYPE_CONTROLLER_INTERMEDIATE) in the same reply, to a root in
 * /config/root-certificate.pem, be within its validity at `now`, and have
 * signed the container.  The result is the key every later reply is checked
 * with (auth_open).
 *
 * A certificate's hash (ZCert.certHash, AuthContainer.senderCertHash) is
 * taken over its DER, as DESIGN.md §5 says; hashes over the PEM text, which
 * some controllers send, are accepted too (the key list holds both).
 *
 * Pure: bytes and times in, results out.
 * Ownership: anchors are borrowed; struct ctrlcerts is caller-owned.
 */
#ifndef EV_CTRLCERTS_H
#define EV_CTRLCERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth.h"

#define CTRLCERTS_ERR_MAX 600
#define CTRLCERTS_MAX 16          /* certificates in one reply */
#define CTRLCERTS_ANCHORS_MAX 16

struct ctrlcerts {
	struct auth_key keys[2];  /* the signing key: by DER hash, by PEM hash */
	size_t nkeys;
	char signer_cn[65];
	time_t not_after;         /* of the signing certificate */
};

/* Parses every CERTIFICATE in a PEM text into DER (for the anchors):
 * 0 and *n, or -errno with err.  der[i] point into storage (cap bytes). */
int ctrlcerts_load_anchors(const char *pem, size_t len, uint8_t *storage, size_t cap,
			   const uint8_t *der[CTRLCERTS_ANCHORS_MAX],
			   size_t der_len[CTRLCERTS_ANCHORS_MAX], size_t *n, char *err,
			   size_t errsz);

/*
 * require_status: every certificate of the chain must carry a current,
 * GOOD status signed by a responder the root issued (docs/revocation.md);
 * without it, a status that is there is still checked and REVOKED always
 * refused (-EKEYREVOKED).
 */
int ctrlcerts_verify(const uint8_t *body, size_t len, const uint8_t *const *anchors,
		     const size_t *anchors_len, size_t n_anchors, time_t now, bool require_status,
		     struct ctrlcerts *out, char err[CTRLCERTS_ERR_MAX]);

#endif
