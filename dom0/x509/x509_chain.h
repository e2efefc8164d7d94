/*
 * x509_chain: does a certificate chain to one of the device's roots?  The
 * one chain check shared by the controller's certificates (ctrlcerts) and
 * signed content (verify): walk up from a leaf, through a pool of
 * intermediates, to a trust anchor, every certificate on the way within its
 * validity at `now`.  Also reads every CERTIFICATE of a PEM text (the roots
 * file /config/root-certificate.pem, an intermediates bundle).
 * Pure: bytes and times in, results out; no I/O, no allocation.
 *
 * Ownership: everything is borrowed for the call; der[] point into the
 * caller's storage.
 */
#ifndef EV_X509_CHAIN_H
#define EV_X509_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "x509_read.h"

/*
 * Decodes every CERTIFICATE block of pem (len bytes) into storage (cap
 * bytes), at most max of them: 0 and *n (possibly 0), der[i] / der_len[i]
 * pointing into storage; -EBADMSG / -ENOSPC with err on a malformed block
 * or when storage is full.  Blocks beyond max are ignored.
 */
int x509_chain_load_pem(const char *pem, size_t len, uint8_t *storage, size_t cap,
			const uint8_t **der, size_t *der_len, size_t max, size_t *n, char *err,
			size_t errsz);

/*
 * Checks that leaf chains, through certificates of pool (n_pool; it may
 * contain leaf itself, which is skipped), to one of the anchors (DER), each
 * certificate on the path and the anchor reached being within validity at
 * now.  0; -EKEYEXPIRED ("'CN': certificate expired ..." or "root 'CN':
 * ..."); -EKEYREJECTED ("'CN' does not chain to the root certificate in
 * /config").  Anchors that do not parse are skipped.
 */
int x509_chain_check(const struct x509_cert *leaf, const struct x509_cert *pool, size_t n_pool,
		     const uint8_t *const *anchors, const size_t *anchors_len, size_t n_anchors,
		     time_t now, char *err, size_t errsz);

#endif
