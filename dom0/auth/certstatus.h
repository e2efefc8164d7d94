/*
 * certstatus: an OCSP-style status of a certificate, signed by a status
 * responder whose certificate the root issued with ExtKeyUsage OCSPSigning.
 * The controller puts one in its `certs` reply for each certificate it sends
 * (docs/revocation.md); the device checks them: a REVOKED status is always
 * refused; a missing or stale one only where /config/require-cert-status
 * says so (EVE's controllers send none).
 *
 * Pure: bytes, keys and times in; no I/O.  Ownership: *out is malloc'd.
 */
#ifndef EV_CERTSTATUS_H
#define EV_CERTSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "signer.h"

#define CERTSTATUS_ERR_MAX 300
#define CERTSTATUS_SKEW 300   /* seconds of clock difference tolerated */

enum certstatus { CERTSTATUS_GOOD = 1, CERTSTATUS_REVOKED = 2 };

/* Makes a SignedCertStatus for the certificate whose DER hashes to cert_hash. */
int certstatus_make(const uint8_t cert_hash[32], enum certstatus status, time_t this_update,
		    time_t next_update, time_t revocation_time, struct signer *responder,
		    const uint8_t *responder_der, size_t responder_len, uint8_t **out,
		    size_t *out_len, char err[CERTSTATUS_ERR_MAX]);

/*
 * Checks a SignedCertStatus about cert_hash: the responder certificate is
 * issued by one of the anchors (DER), has ExtKeyUsage OCSPSigning and is
 * valid at now; its signature covers the status; the status is about that
 * certificate and current (this_update <= now + skew < next_update + skew).
 * 0: good.  -EKEYREVOKED: revoked.  -ESTALE: too old or from the future.
 * -EBADMSG / -EKEYREJECTED: malformed, or not signed by an acceptable
 * responder.  err says which.
 */
int certstatus_check(const uint8_t *signed_status, size_t len, const uint8_t cert_hash[32],
		     const uint8_t *const *anchors, const size_t *anchors_len, size_t n_anchors,
		     time_t now, char err[CERTSTATUS_ERR_MAX]);

#endif
