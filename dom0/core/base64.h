/*
 * base64: RFC 4648 encoding and decoding.  Pure, caller-owned buffers.
 * The decoder takes the standard and the URL-safe alphabet, padding or none,
 * and skips ASCII whitespace (PEM bodies, wrapped JSON); anything else, and
 * non-canonical trailing bits, is an error.
 */
#ifndef EV_BASE64_H
#define EV_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters base64_encode writes for n bytes, without the NUL. */
#define BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)
/* An upper bound of the bytes base64_decode writes for n characters. */
#define BASE64_DECODED_MAX(n) (((n) / 4 + 1) * 3)

/* The 6-bit value of a base64 character: standard alphabet, and with
 * url_safe '-' and '_' too; -1 for anything else (padding included). */
int base64_char_value(unsigned char c, bool url_safe);

/* Writes the padded standard encoding and a NUL into out (cap bytes):
 * the length without the NUL, or -ENOSPC. */
long base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Decodes n characters into out (cap bytes): the byte count, -EBADMSG for
 * invalid input (err says where, may be NULL), or -ENOSPC. */
long base64_decode(const char *in, size_t n, uint8_t *out, size_t cap, char err[80]);

#endif
