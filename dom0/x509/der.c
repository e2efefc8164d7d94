/*
 * der: DER writer and strict bounded reader.  See der.h.
 */
#include "der.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define OID_ENC_MAX (DER_OID_MAX_ARCS * 5 + 5)

/* ---- times --------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t
der_time_from_civil(int y, int mon, int d, int h, int mi, int s)
{
	return days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s;
}

void
der_time_to_civil(int64_t t, int *y, int *mon, int *d, int *h, int *mi, int *s)
{
	int64_t z, secs, era, doe, yoe, doy, mp;

	t = t < DER_TIME_MIN ? DER_TIME_MIN : t > DER_TIME_MAX ? DER_TIME_MAX : t;
	z = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		z--;
	}
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*mon <= 2));
	*h = (int)(secs / 3600);
	*mi = (int)(secs / 60 % 60);
	*s = (int)(secs % 60);
}

static int
days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* ---- OIDs ---------------------------------------------------------------- */

static size_t
put_base128(uint64_t v, uint8_t *out, size_t cap)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n++] = v & 0x7f;
		v >>= 7;
	} while (v);
	if (n > cap)
		return 0;
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i] | (i + 1 < n ? 0x80 : 0);
	return n;
}

size_t
der_oid_encode(const uint32_t *arcs, size_t n, uint8_t *out, size_t cap)
{
	size_t len, k;

	if (n < 2 || n > DER_OID_MAX_ARCS || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40))
		return 0;
	len = put_base128((uint64_t)arcs[0] * 40 + arcs[1], out, cap);
	if (!len)
		return 0;
	for (size_t i = 2; i < n; i++) {
		k = put_base128(arcs[i], out + len, cap - len);
		if (!k)
			return 0;
		len += k;
	}
	return len;
}

bool
der_oid_eq(const uint8_t *val, size_t len, const uint32_t *arcs, size_t n)
{
	uint8_t enc[OID_ENC_MAX];
	size_t elen = der_oid_encode(arcs, n, enc, sizeof(enc));

	return elen && elen == len && memcmp(enc, val, len) == 0;
}

/* Splits OID contents into subidentifiers; -1 if malformed. */
static int
oid_subids(const uint8_t *val, size_t len, uint32_t *sub, size_t max)
{
	size_t n = 0;
	uint64_t v = 0;
	bool start = true;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (start && val[i] == 0x80)
			return -1;  /* non-minimal subidentifier */
		v = (v << 7) | (val[i] & 0x7f);
		if (v > UINT32_MAX)
			return -1;
		start = !(val[i] & 0x80);
		if (start) {
			if (n == max)
				return -1;
			sub[n++] = (uint32_t)v;
			v = 0;
		}
	}
	return start ? (int)n : -1;
}

void
der_oid_to_str(const uint8_t *val, size_t len, char *out, size_t outsz)
{
	uint32_t sub[DER_OID_MAX_ARCS];
	int n = oid_subids(val, len, sub, DER_OID_MAX_ARCS - 1);
	size_t pos;
	int k;

	if (!outsz)
		return;
	if (n < 1) {
		snprintf(out, outsz, "(malformed OID)");
		return;
	}
	if (sub[0] < 80)
		k = snprintf(out, outsz, "%u.%u", sub[0] / 40, sub[0] % 40);
	else
		k = snprintf(out, outsz, "2.%u", sub[0] - 80);
	pos = k > 0 ? (size_t)k : 0;
	for (int i = 1; i < n && pos < outsz; i++) {
		k = snprintf(out + pos, outsz - pos, ".%u", sub[i]);
		if (k < 0)
			break;
		pos += (size_t)k;
	}
}

/* ---- strings ------------------------------------------------------------- */

static bool
utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		uint32_t cp;
		size_t n;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static bool
printable_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr(" '()+,-./:=?", c) != NULL);
}

bool
der_utf8_valid(const uint8_t *p, size_t len)
{
	return utf8_valid(p, len);
}

bool
der_printable_valid(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!printable_char(p[i]))
			return false;
	return true;
}

bool
der_ia5_valid(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] == 0 || p[i] > 0x7f)
			return false;
	return true;
}

/* ---- writer -------------------------------------------------------------- */

void
der_writer_init(struct der_writer *w, uint8_t *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = buf ? cap : 0;
}

int
der_writer_finish(struct der_writer *w, size_t *len)
{
	if (!w->err && w->depth)
		w->err = -EPROTO;
	if (w->err)
		return w->err;
	*len = w->len;
	return 0;
}

static void
fail_w(struct der_writer *w, int err)
{
	if (!w->err)
		w->err = err;
}

static bool
room(struct der_writer *w, size_t n)
{
	if (w->err)
		return false;
	if (n > w->cap - w->len) {
		w->err = -ENOSPC;
		return false;
	}
	return true;
}

static size_t
len_size(size_t n)
{
	return n < 0x80 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 4;
}

static void
encode_len(uint8_t *out, size_t n)
{
	size_t sz = len_size(n);

	if (sz == 1) {
		out[0] = (uint8_t)n;
		return;
	}
	out[0] = (uint8_t)(0x80 | (sz - 1));
	for (size_t i = 1; i < sz; i++)
		out[i] = (uint8_t)(n >> (8 * (sz - 1 - i)));
}

static bool
put_hdr(struct der_writer *w, uint8_t tag, size_t len)
{
	if (w->err)
		return false;
	if ((tag & 0x1f) == 0x1f || len > DER_MAX_LEN) {
		fail_w(w, -EINVAL);
		return false;
	}
	if (!room(w, 1 + len_size(len)))
		return false;
	w->buf[w->len++] = tag;
	encode_len(w->buf + w->len, len);
	w->len += len_size(len);
	return true;
}

static void
put_bytes(struct der_writer *w, const void *p, size_t n)
{
	if (!n || !room(w, n))
		return;
	memmove(w->buf + w->len, p, n);
	w->len += n;
}

void
der_begin(struct der_writer *w, uint8_t tag)
{
	if (w->err)
		return;
	if (w->depth == DER_MAX_DEPTH || (tag & 0x1f) == 0x1f) {
		fail_w(w, w->depth == DER_MAX_DEPTH ? -EPROTO : -EINVAL);
		return;
	}
	if (!room(w, 1))
		return;
	w->buf[w->len++] = tag;
	w->open[w->depth++] = w->len;
}

void
der_end(struct der_writer *w)
{
	size_t start, clen, lsz;

	if (w->err)
		return;
	if (!w->depth) {
		fail_w(w, -EPROTO);
		return;
	}
	start = w->open[--w->depth];
	clen = w->len - start;
	if (clen > DER_MAX_LEN) {
		fail_w(w, -EINVAL);
		return;
	}
	lsz = len_size(clen);
	if (!room(w, lsz))
		return;
	memmove(w->buf + start + lsz, w->buf + start, clen);
	encode_len(w->buf + start, clen);
	w->len += lsz;
}

void
der_put_tlv(struct der_writer *w, uint8_t tag, const void *val, size_t len)
{
	if (!val && len) {
		fail_w(w, -EINVAL);
		return;
	}
	if (put_hdr(w, tag, len))
		put_bytes(w, val, len);
}

void
der_put_raw(struct der_writer *w, const void *der, size_t len)
{
	if (!der && len) {
		fail_w(w, -EINVAL);
		return;
	}
	put_bytes(w, der, len);
}

void
der_put_int(struct der_writer *w, int64_t v)
{
	uint8_t b[8];
	size_t i = 0;

	for (int k = 0; k < 8; k++)
		b[k] = (uint8_t)((uint64_t)v >> (56 - 8 * k));
	while (i < 7 && ((b[i] == 0x00 && !(b[i + 1] & 0x80)) ||
			 (b[i] == 0xff && (b[i + 1] & 0x80))))
		i++;
	der_put_tlv(w, DER_INTEGER, b + i, 8 - i);
}

void
der_put_uint_be(struct der_writer *w, const uint8_t *be, size_t len)
{
	static const uint8_t zero = 0;
	bool pad;

	if (!be && len) {
		fail_w(w, -EINVAL);
		return;
	}
	while (len && be[0] == 0) {
		be++;
		len--;
	}
	if (!len) {
		der_put_tlv(w, DER_INTEGER, &zero, 1);
		return;
	}
	pad = be[0] & 0x80;
	if (len + pad > DER_MAX_LEN) {
		fail_w(w, -EINVAL);
		return;
	}
	if (!put_hdr(w, DER_INTEGER, len + pad))
		return;
	if (pad)
		put_bytes(w, &zero, 1);
	put_bytes(w, be, len);
}

void
der_put_bool(struct der_writer *w, bool v)
{
	uint8_t b = v ? 0xff : 0x00;

	der_put_tlv(w, DER_BOOLEAN, &b, 1);
}

void
der_put_null(struct der_writer *w)
{
	der_put_tlv(w, DER_NULL, NULL, 0);
}

void
der_put_oid(struct der_writer *w, const uint32_t *arcs, size_t n)
{
	uint8_t enc[OID_ENC_MAX];
	size_t len = der_oid_encode(arcs, n, enc, sizeof(enc));

	if (!len) {
		fail_w(w, -EINVAL);
		return;
	}
	der_put_tlv(w, DER_OID, enc, len);
}

void
der_put_octet_string(struct der_writer *w, const void *p, size_t len)
{
	der_put_tlv(w, DER_OCTET_STRING, p, len);
}

void
der_put_bit_string(struct der_writer *w, const void *p, size_t len)
{
	static const uint8_t unused = 0;

	if (!p && len) {
		fail_w(w, -EINVAL);
		return;
	}
	if (len >= DER_MAX_LEN) {
		fail_w(w, -EINVAL);
		return;
	}
	if (put_hdr(w, DER_BIT_STRING, len + 1)) {
		put_bytes(w, &unused, 1);
		put_bytes(w, p, len);
	}
}

void
der_put_named_bits(struct der_writer *w, uint32_t bits)
{
	uint8_t v[5] = { 0 };
	int hi = -1;

	for (int i = 0; i < 32; i++) {
		if (bits & (UINT32_C(1) << i)) {
			v[1 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
			hi = i;
		}
	}
	if (hi < 0) {
		der_put_tlv(w, DER_BIT_STRING, v, 1);
		return;
	}
	v[0] = (uint8_t)(7 - hi % 8);
	der_put_tlv(w, DER_BIT_STRING, v, (size_t)(hi / 8 + 2));
}

void
der_put_utf8(struct der_writer *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!s || !utf8_valid((const uint8_t *)s, n)) {
		fail_w(w, -EINVAL);
		return;
	}
	der_put_tlv(w, DER_UTF8_STRING, s, n);
}

void
der_put_printable(struct der_writer *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!s || !der_printable_valid((const uint8_t *)s, n)) {
		fail_w(w, -EINVAL);
		return;
	}
	der_put_tlv(w, DER_PRINTABLE_STRING, s, n);
}

void
der_put_ia5_tagged(struct der_writer *w, uint8_t tag, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!s || !der_ia5_valid((const uint8_t *)s, n)) {
		fail_w(w, -EINVAL);
		return;
	}
	der_put_tlv(w, tag, s, n);
}

void
der_put_ia5(struct der_writer *w, const char *s)
{
	der_put_ia5_tagged(w, DER_IA5_STRING, s);
}

void
der_put_time(struct der_writer *w, time_t t)
{
	char s[20];
	int y, mon, d, h, mi, sec, n;

	if ((int64_t)t < DER_TIME_MIN || (int64_t)t > DER_TIME_MAX) {
		fail_w(w, -EINVAL);
		return;
	}
	der_time_to_civil((int64_t)t, &y, &mon, &d, &h, &mi, &sec);
	if (y >= 1950 && y <= 2049) {
		n = snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ", y % 100, mon, d, h, mi, sec);
		der_put_tlv(w, DER_UTC_TIME, s, (size_t)n);
	} else {
		n = snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ", y, mon, d, h, mi, sec);
		der_put_tlv(w, DER_GENERALIZED_TIME, s, (size_t)n);
	}
}

/* ---- reader -------------------------------------------------------------- */

void
der_reader_init(struct der_reader *r, const uint8_t *p, size_t len, const char *what,
		char *err, size_t errsz)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->len = p ? len : 0;
	r->err = err;
	r->errsz = err ? errsz : 0;
	r->what = what ? what : "DER";
	if (r->errsz)
		r->err[0] = '\0';
}

int
der_fail(struct der_reader *r, size_t off, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (!r->errsz)
		return -EBADMSG;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errsz, "%s: %s at offset %zu", r->what, msg, off);
	return -EBADMSG;
}

bool
der_more(const struct der_reader *r)
{
	return r->pos < r->len;
}

int
der_peek_tag(const struct der_reader *r)
{
	return der_more(r) ? r->p[r->pos] : -1;
}

static const char *
tag_name(uint8_t tag)
{
	switch (tag) {
	case DER_BOOLEAN: return "BOOLEAN";
	case DER_INTEGER: return "INTEGER";
	case DER_BIT_STRING: return "BIT STRING";
	case DER_OCTET_STRING: return "OCTET STRING";
	case DER_NULL: return "NULL";
	case DER_OID: return "OBJECT IDENTIFIER";
	case DER_UTF8_STRING: return "UTF8String";
	case DER_PRINTABLE_STRING: return "PrintableString";
	case DER_IA5_STRING: return "IA5String";
	case DER_UTC_TIME: return "UTCTime";
	case DER_GENERALIZED_TIME: return "GeneralizedTime";
	case DER_SEQUENCE: return "SEQUENCE";
	case DER_SET: return "SET";
	default: return NULL;
	}
}

/* "SEQUENCE (0x30)" or "tag 0xa3" */
static void
describe_tag(uint8_t tag, char *out, size_t outsz)
{
	const char *n = tag_name(tag);

	if (n)
		snprintf(out, outsz, "%s (0x%02x)", n, tag);
	else
		snprintf(out, outsz, "tag 0x%02x", tag);
}

static int
read_tlv(struct der_reader *r, struct der_tlv *t, const char *field)
{
	const char *f = field ? field : "element";
	const char *sep = ": ";
	size_t off = r->base + r->pos, rem = r->len - r->pos, hlen, clen;
	const uint8_t *p = r->p + r->pos;

	if (rem == 0)
		return der_fail(r, off, "%s%smissing (end of data)", f, sep);
	if ((p[0] & 0x1f) == 0x1f)
		return der_fail(r, off, "%s%smulti-byte tag 0x%02x not supported", f, sep, p[0]);
	if (rem < 2)
		return der_fail(r, off, "%s%struncated: no length byte", f, sep);
	if (p[1] < 0x80) {
		clen = p[1];
		hlen = 2;
	} else if (p[1] == 0x80) {
		return der_fail(r, off, "%s%sindefinite length is not DER", f, sep);
	} else {
		size_t n = p[1] & 0x7f;

		if (n > 3)
			return der_fail(r, off, "%s%slength field of %zu bytes is too long", f, sep, n);
		if (rem < 2 + n)
			return der_fail(r, off, "%s%struncated length field", f, sep);
		if (p[2] == 0)
			return der_fail(r, off, "%s%snon-minimal length (leading zero byte)", f, sep);
		clen = 0;
		for (size_t i = 0; i < n; i++)
			clen = (clen << 8) | p[2 + i];
		if (clen < 0x80)
			return der_fail(r, off, "%s%snon-minimal length (long form for %zu)", f, sep,
					clen);
		hlen = 2 + n;
	}
	if (clen > rem - hlen)
		return der_fail(r, off, "%s%struncated: length %zu but only %zu bytes left", f, sep,
				clen, rem - hlen);
	t->tag = p[0];
	t->raw = p;
	t->raw_len = hlen + clen;
	t->val = p + hlen;
	t->len = clen;
	t->off = off;
	r->pos += hlen + clen;
	return 0;
}

int
der_read(struct der_reader *r, struct der_tlv *t)
{
	return read_tlv(r, t, NULL);
}

int
der_expect(struct der_reader *r, uint8_t tag, struct der_tlv *t, const char *field)
{
	size_t save = r->pos;
	char want[40], got[40];
	int rc = read_tlv(r, t, field);

	if (rc < 0)
		return rc;
	if (t->tag != tag) {
		r->pos = save;
		describe_tag(tag, want, sizeof(want));
		describe_tag(t->tag, got, sizeof(got));
		return der_fail(r, t->off, "%s: expected %s, found %s", field ? field : "element",
				want, got);
	}
	return 0;
}

int
der_optional(struct der_reader *r, uint8_t tag, struct der_tlv *t)
{
	int rc;

	if (der_peek_tag(r) != tag)
		return 0;
	rc = read_tlv(r, t, NULL);
	return rc < 0 ? rc : 1;
}

int
der_enter(struct der_reader *r, const struct der_tlv *t, struct der_reader *sub)
{
	if (!(t->tag & 0x20))
		return der_fail(r, t->off, "primitive tag 0x%02x where a constructed one belongs",
				t->tag);
	if (r->depth + 1 > DER_MAX_DEPTH)
		return der_fail(r, t->off, "nesting deeper than %d levels", DER_MAX_DEPTH);
	*sub = *r;
	sub->p = t->val;
	sub->len = t->len;
	sub->pos = 0;
	sub->base = t->off + (size_t)(t->val - t->raw);
	sub->depth = r->depth + 1;
	return 0;
}

int
der_expect_enter(struct der_reader *r, uint8_t tag, struct der_reader *sub, const char *field)
{
	struct der_tlv t;
	int rc = der_expect(r, tag, &t, field);

	return rc < 0 ? rc : der_enter(r, &t, sub);
}

int
der_end_of(struct der_reader *r, const char *field)
{
	if (der_more(r))
		return der_fail(r, r->base + r->pos, "%zu trailing bytes after %s",
				r->len - r->pos, field ? field : "the last element");
	return 0;
}

static int
check_level(struct der_reader *r, unsigned max_depth)
{
	struct der_tlv t;
	struct der_reader sub;
	int rc;

	while (der_more(r)) {
		if ((rc = der_read(r, &t)) < 0)
			return rc;
		if (!(t.tag & 0x20))
			continue;
		if (r->depth + 1 > max_depth)
			return der_fail(r, t.off, "nesting deeper than %u levels", max_depth);
		if ((rc = der_enter(r, &t, &sub)) < 0 || (rc = check_level(&sub, max_depth)) < 0)
			return rc;
	}
	return 0;
}

int
der_check(struct der_reader *r, unsigned max_depth)
{
	struct der_reader one;
	struct der_tlv t;
	size_t start = r->pos;
	int rc;

	if (max_depth > DER_MAX_DEPTH)
		max_depth = DER_MAX_DEPTH;
	if ((rc = der_read(r, &t)) < 0 || (rc = der_end_of(r, "the outer element")) < 0)
		return rc;
	/* walk the one element from a reader that sees only it */
	one = *r;
	one.pos = start;
	one.len = start + t.raw_len;
	return check_level(&one, max_depth);
}

int
der_get_bool(struct der_reader *r, const struct der_tlv *t, bool *v, const char *field)
{
	if (t->len != 1 || (t->val[0] != 0x00 && t->val[0] != 0xff))
		return der_fail(r, t->off, "%s: BOOLEAN must be one byte 0x00 or 0xff", field);
	*v = t->val[0] == 0xff;
	return 0;
}

static int
check_int(struct der_reader *r, const struct der_tlv *t, const char *field)
{
	if (t->len == 0)
		return der_fail(r, t->off, "%s: empty INTEGER", field);
	if (t->len > 1 && ((t->val[0] == 0x00 && !(t->val[1] & 0x80)) ||
			   (t->val[0] == 0xff && (t->val[1] & 0x80))))
		return der_fail(r, t->off, "%s: non-minimal INTEGER", field);
	return 0;
}

int
der_get_int(struct der_reader *r, const struct der_tlv *t, int64_t min, int64_t max,
	    int64_t *v, const char *field)
{
	uint64_t u;
	int rc = check_int(r, t, field);

	if (rc < 0)
		return rc;
	if (t->len > 8)
		return der_fail(r, t->off, "%s: INTEGER of %zu bytes is out of range", field, t->len);
	u = (t->val[0] & 0x80) ? UINT64_MAX : 0;
	for (size_t i = 0; i < t->len; i++)
		u = (u << 8) | t->val[i];
	if ((int64_t)u < min || (int64_t)u > max)
		return der_fail(r, t->off, "%s: %lld is out of range %lld..%lld", field,
				(long long)(int64_t)u, (long long)min, (long long)max);
	*v = (int64_t)u;
	return 0;
}

int
der_get_uint_be(struct der_reader *r, const struct der_tlv *t, const uint8_t **mag,
		size_t *mag_len, const char *field)
{
	int rc = check_int(r, t, field);

	if (rc < 0)
		return rc;
	if (t->val[0] & 0x80)
		return der_fail(r, t->off, "%s: negative INTEGER", field);
	*mag = t->val;
	*mag_len = t->len;
	if (t->len > 1 && t->val[0] == 0) {
		(*mag)++;
		(*mag_len)--;
	}
	return 0;
}

int
der_get_bit_string(struct der_reader *r, const struct der_tlv *t, const uint8_t **p,
		   size_t *len, const char *field)
{
	if (t->len == 0)
		return der_fail(r, t->off, "%s: empty BIT STRING", field);
	if (t->val[0] != 0)
		return der_fail(r, t->off, "%s: BIT STRING with %u unused bits", field, t->val[0]);
	*p = t->val + 1;
	*len = t->len - 1;
	return 0;
}

int
der_get_named_bits(struct der_reader *r, const struct der_tlv *t, uint32_t *bits,
		   const char *field)
{
	uint8_t unused;

	if (t->len == 0)
		return der_fail(r, t->off, "%s: empty BIT STRING", field);
	unused = t->val[0];
	if (unused > 7 || (t->len == 1 && unused != 0))
		return der_fail(r, t->off, "%s: BIT STRING with bad unused-bits count %u", field,
				unused);
	if (t->len > 5)
		return der_fail(r, t->off, "%s: BIT STRING of %zu bytes is too long", field, t->len);
	if (t->len > 1 && (t->val[t->len - 1] & ((1u << unused) - 1)))
		return der_fail(r, t->off, "%s: BIT STRING unused bits are not zero", field);
	*bits = 0;
	for (size_t i = 1; i < t->len; i++)
		for (int k = 0; k < 8; k++)
			if (t->val[i] & (0x80 >> k))
				*bits |= UINT32_C(1) << ((i - 1) * 8 + (size_t)k);
	return 0;
}

int
der_get_oid(struct der_reader *r, const struct der_tlv *t, const char *field)
{
	uint32_t sub[DER_OID_MAX_ARCS];

	if (oid_subids(t->val, t->len, sub, DER_OID_MAX_ARCS - 1) < 1)
		return der_fail(r, t->off, "%s: malformed OBJECT IDENTIFIER", field);
	return 0;
}

static int
digits(const uint8_t *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

int
der_get_time(struct der_reader *r, const struct der_tlv *t, time_t *v, const char *field)
{
	const uint8_t *p = t->val;
	int y, mon, d, h, mi, s;

	if (t->tag == DER_UTC_TIME) {
		if (t->len != 13 || p[12] != 'Z' || (y = digits(p, 2)) < 0)
			return der_fail(r, t->off, "%s: UTCTime is not YYMMDDHHMMSSZ", field);
		y += y >= 50 ? 1900 : 2000;
		p += 2;
	} else if (t->tag == DER_GENERALIZED_TIME) {
		if (t->len != 15 || p[14] != 'Z' || (y = digits(p, 4)) < 0)
			return der_fail(r, t->off, "%s: GeneralizedTime is not YYYYMMDDHHMMSSZ",
					field);
		p += 4;
	} else {
		return der_fail(r, t->off, "%s: expected UTCTime or GeneralizedTime, found tag 0x%02x",
				field, t->tag);
	}
	mon = digits(p, 2);
	d = digits(p + 2, 2);
	h = digits(p + 4, 2);
	mi = digits(p + 6, 2);
	s = digits(p + 8, 2);
	if (mon < 1 || mon > 12 || d < 1 || h < 0 || mi < 0 || s < 0 ||
	    d > days_in_month(y, mon) || h > 23 || mi > 59 || s > 59)
		return der_fail(r, t->off, "%s: invalid date or time", field);
	*v = (time_t)der_time_from_civil(y, mon, d, h, mi, s);
	return 0;
}

int
der_errf(char *err, size_t errsz, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errsz) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return rc;
}
