/* base64: RFC 4648.  See base64.h. */
#include "base64.h"

#include <errno.h>
#include <stdio.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

long
base64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t o = 0, i;

	if (cap < BASE64_ENCODED_LEN(n) + 1)
		return -ENOSPC;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return (long)o;
}

int
base64_char_value(unsigned char c, bool url_safe)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+' || (url_safe && c == '-')) return 62;
	if (c == '/' || (url_safe && c == '_')) return 63;
	return -1;
}

long
base64_decode(const char *in, size_t n, uint8_t *out, size_t cap, char err[80])
{
	uint32_t acc = 0;
	size_t o = 0, pad = 0;
	int bits = 0, v;

	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = base64_char_value((unsigned char)c, true);
		if (v < 0 || pad) {
			if (err)
				snprintf(err, 80, "base64: %s at offset %zu",
					 pad ? "data after padding" : "invalid character", i);
			return -EBADMSG;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -ENOSPC;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* leftover bits must be zero and padding must fit what is missing */
	if (bits >= 6 || acc != 0 || pad > 2 || (pad && (size_t)(bits / 2) != pad)) {
		if (err)
			snprintf(err, 80, "base64: bad ending (%d leftover bits, %zu '=')", bits, pad);
		return -EBADMSG;
	}
	return (long)o;
}
