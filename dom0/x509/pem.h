/*
 * pem: RFC 7468 PEM text <-> DER bytes ("-----BEGIN CERTIFICATE-----",
 * base64 in 64-character lines, "-----END CERTIFICATE-----").  Pure: no
 * I/O, no allocation.
 *
 * The decoder is strict and bounded: it finds the first block with the
 * wanted label (blocks with other labels before it are skipped), accepts
 * only base64 and whitespace inside it, canonical padding at the very end,
 * no RFC 1421 headers (an encrypted key's "Proc-Type:"), and never writes
 * beyond the caller's buffer.
 *
 * Ownership: every buffer belongs to the caller.
 */
#ifndef EV_PEM_H
#define EV_PEM_H

#include <stddef.h>
#include <stdint.h>

#define PEM_LABEL_MAX 64

/* Bytes pem_encode() writes for len bytes of DER under this label, with
 * the terminating NUL; 0 for an invalid label. */
size_t pem_encoded_size(const char *label, size_t len);
/*
 * Encodes der (len bytes) as PEM with "\n" line ends into out (cap bytes,
 * NUL-terminated).  0 and *out_len = text length without the NUL;
 * -EINVAL for a label that is empty, longer than PEM_LABEL_MAX or not
 * printable ASCII without '-' at its ends; -ENOSPC if out is too small.
 */
int pem_encode(const char *label, const uint8_t *der, size_t len, char *out, size_t cap,
	       size_t *out_len);
/*
 * Decodes the first block labelled `label` in text (text_len bytes, need
 * not be NUL-terminated) into out (cap bytes).  0 and *out_len; -ENOENT
 * when there is no such block; -EBADMSG for a malformed block; -ENOSPC
 * when the data does not fit in cap.  err (errsz bytes) says why.
 */
int pem_decode_first(const char *text, size_t text_len, const char *label, uint8_t *out,
		     size_t cap, size_t *out_len, char *err, size_t errsz);

#endif
