/*
 * pem: PEM encoding and strict bounded decoding.  See pem.h.
 */
#include "pem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "der.h"


static bool
label_ok(const char *label)
{
	size_t n = label ? strlen(label) : 0;

	if (n == 0 || n > PEM_LABEL_MAX || label[0] == '-' || label[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (label[i] < 0x20 || label[i] > 0x7e)
			return false;
	return true;
}

size_t
pem_encoded_size(const char *label, size_t len)
{
	size_t chars, lines;

	if (!label_ok(label) || len > (SIZE_MAX / 2))
		return 0;
	chars = (len + 2) / 3 * 4;
	lines = (chars + 63) / 64;
	/* "-----BEGIN " label "-----\n" body "-----END " label "-----\n" NUL */
	return 11 + strlen(label) + 6 + chars + lines + 9 + strlen(label) + 6 + 1;
}

int
pem_encode(const char *label, const uint8_t *der, size_t len, char *out, size_t cap,
	   size_t *out_len)
{
	size_t need = pem_encoded_size(label, len), pos = 0;

	if (!need || (!der && len))
		return -EINVAL;
	if (cap < need)
		return -ENOSPC;
	pos += (size_t)snprintf(out, cap, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < len; i += 48) { /* 64 characters a line */
		size_t n = len - i < 48 ? len - i : 48;
		long w = base64_encode(der + i, n, out + pos, cap - pos);

		if (w < 0)
			return -ENOSPC;
		pos += (size_t)w;
		out[pos++] = '\n';
	}
	pos += (size_t)snprintf(out + pos, cap - pos, "-----END %s-----\n", label);
	*out_len = pos;
	return 0;
}



/* Line [s, e) without trailing whitespace equals "-----<kind> <label>-----". */
static bool
is_boundary(const char *s, const char *e, const char *kind, const char *label)
{
	size_t kl = strlen(kind), ll = strlen(label);

	while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return (size_t)(e - s) == 5 + kl + 1 + ll + 5 && memcmp(s, "-----", 5) == 0 &&
	       memcmp(s + 5, kind, kl) == 0 && s[5 + kl] == ' ' &&
	       memcmp(s + 6 + kl, label, ll) == 0 && memcmp(s + 6 + kl + ll, "-----", 5) == 0;
}

int
pem_decode_first(const char *text, size_t text_len, const char *label, uint8_t *out,
		 size_t cap, size_t *out_len, char *err, size_t errsz)
{
	const char *p = text, *end = text + text_len, *line, *eol;
	unsigned lineno = 0;
	uint32_t acc = 0;
	size_t n = 0, quad = 0, pad = 0;
	bool in = false;

	if (err && errsz)
		err[0] = '\0';
	if (!label_ok(label) || (!text && text_len))
		return der_errf(err, errsz, -EINVAL, "PEM: invalid label");
	for (; p < end; p = eol + (eol < end)) {
		line = p;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		lineno++;
		if (!in) {
			in = is_boundary(line, eol, "BEGIN", label);
			continue;
		}
		if (is_boundary(line, eol, "END", label)) {
			if (quad != 0)
				return der_errf(err, errsz, -EBADMSG,
					    "PEM %s: line %u: base64 data ends mid-group", label,
					    lineno);
			if (n == 0)
				return der_errf(err, errsz, -EBADMSG, "PEM %s: empty block", label);
			*out_len = n;
			return 0;
		}
		if (eol - line >= 5 && memcmp(line, "-----", 5) == 0)
			return der_errf(err, errsz, -EBADMSG, "PEM %s: line %u: unexpected boundary line",
				    label, lineno);
		if (memchr(line, ':', (size_t)(eol - line)))
			return der_errf(err, errsz, -EBADMSG,
				    "PEM %s: line %u: headers (encrypted PEM) are not supported",
				    label, lineno);
		for (const char *c = line; c < eol; c++) {
			unsigned char ch = (unsigned char)*c;
			int v;

			if (ch == ' ' || ch == '\t' || ch == '\r')
				continue;
			if (ch == '=') {
				/* '=' may only be the last one or two of a group */
				if (quad < 2)
					return der_errf(err, errsz, -EBADMSG,
						    "PEM %s: line %u: misplaced '='", label, lineno);
				pad++;
				quad++;
			} else {
				if ((v = base64_char_value(ch, false)) < 0)
					return der_errf(err, errsz, -EBADMSG,
						    "PEM %s: line %u: invalid base64 character 0x%02x",
						    label, lineno, ch);
				if (pad)
					return der_errf(err, errsz, -EBADMSG,
						    "PEM %s: line %u: data after '=' padding", label,
						    lineno);
				acc = (acc << 6) | (uint32_t)v;
				quad++;
			}
			if (quad < 4)
				continue;
			/* a full group: 4 symbols, of which pad are '=' */
			acc <<= 6 * pad;
			if ((pad == 1 && (acc & 0xff)) || (pad == 2 && (acc & 0xffff)))
				return der_errf(err, errsz, -EBADMSG,
					    "PEM %s: line %u: non-canonical base64 padding", label,
					    lineno);
			if (cap - n < 3 - pad)
				return der_errf(err, errsz, -ENOSPC,
					    "PEM %s: decoded data exceeds %zu bytes", label, cap);
			out[n++] = (uint8_t)(acc >> 16);
			if (pad < 2)
				out[n++] = (uint8_t)(acc >> 8);
			if (pad < 1)
				out[n++] = (uint8_t)acc;
			acc = 0;
			quad = 0;
			if (pad)
				pad = 3;  /* any further symbol is "data after padding" */
		}
	}
	if (in)
		return der_errf(err, errsz, -EBADMSG, "PEM %s: no '-----END %s-----' line", label, label);
	return der_errf(err, errsz, -ENOENT, "PEM: no '-----BEGIN %s-----' block", label);
}
