/*
 * pbjson: protobuf-c messages <-> canonical proto3 JSON.  See pbjson.h.
 *
 * protobuf-c memory layout, as this file relies on it (protobuf-c 1.4.1):
 *  - a field's value is at offset; a repeated field's element count
 *    (size_t) is at quantifier_offset and its value is a pointer to an
 *    array of elements (sizeof_elt below);
 *  - a oneof member (PROTOBUF_C_FIELD_FLAG_ONEOF) shares a union with the
 *    other members; the case (uint32_t, the member's field number or 0) is
 *    at quantifier_offset;
 *  - a proto2 optional scalar or bytes field has a protobuf_c_boolean has_
 *    flag at quantifier_offset; optional strings and messages are present
 *    when the pointer is neither NULL nor default_value;
 *  - proto3 fields without presence (PROTOBUF_C_LABEL_NONE) are present
 *    when not zero-ish (0, 0.0, false, "" or NULL, empty bytes, NULL message);
 *  - protobuf_c_message_free_unpacked() frees a string unless it is the
 *    field's default_value, bytes unless they are the default's, every
 *    element of a repeated field up to its count, then the array, and only
 *    the selected oneof member.  So a message under construction stays
 *    freeable at every step: sub-objects are linked in (and counted) as soon
 *    as they are allocated, a oneof case is set with its value.
 */
#include "pbjson.h"

#include "json.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_CAP 1024
#define NAME_CAP 256

static const char TIMESTAMP_NAME[] = "google.protobuf.Timestamp";

/* first and last second of years 0001..9999 (RFC 3339 as protobuf limits it) */
#define TS_MIN_SECONDS (-62135596800LL)
#define TS_MAX_SECONDS (253402300799LL)

struct pj {
	unsigned flags;
	ProtobufCAllocator *alloc;    /* parse: where every part of the message comes from */
	char *err;
	char path[PATH_CAP];
	size_t plen;
	unsigned lost;                /* path segments that did not fit */
};

/* ---- errors and paths ------------------------------------------------------ */

static int pj_fail(struct pj *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int pj_fail(struct pj *c, int rc, const char *fmt, ...)
{
	char msg[180];
	size_t mlen, room, plen = c->plen;
	const char *p = c->path;
	const char *more = c->lost ? "..." : "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (plen == 0 && c->lost == 0) {
		snprintf(c->err, PBJSON_ERR_LEN, "%s", msg);
		return rc;
	}
	mlen = strlen(msg);
	room = PBJSON_ERR_LEN - 1 - 2 - mlen - strlen(more); /* >= 70 */
	if (plen > room) { /* keep the end of the path, where the error is */
		p += plen - (room - 3);
		plen = room - 3;
		snprintf(c->err, PBJSON_ERR_LEN, "...%.*s%s: %s", (int)plen, p, more, msg);
	} else {
		snprintf(c->err, PBJSON_ERR_LEN, "%.*s%s: %s", (int)plen, p, more, msg);
	}
	return rc;
}

static int pj_oom(struct pj *c)
{
	return pj_fail(c, -ENOMEM, "out of memory");
}

/* Printable ASCII copy of s[0..n) for messages: others as '?', cut at @max. */
static void sanitize(char *out, size_t cap, const char *s, size_t n, size_t max)
{
	size_t i, o = 0;

	for (i = 0; i < n && i < max && o + 5 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			out[o++] = '\\';
		out[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (i < n && o + 4 <= cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* A short description of a JSON value: "12x" (quoted), 1.5, true, an object... */
static const char *describe(const struct json_value *v, char *buf, size_t cap)
{
	size_t n;

	switch (v->type) {
	case JSON_STRING: /* cap >= 100: room for 40 escaped bytes, "..." and quotes */
		buf[0] = '"';
		sanitize(buf + 1, cap - 2, v->str, v->len, 40);
		n = strlen(buf);
		buf[n] = '"';
		buf[n + 1] = '\0';
		return buf;
	case JSON_NUMBER:
		sanitize(buf, cap, v->str, v->len, 40);
		return buf;
	case JSON_BOOL:
		return v->boolean ? "true" : "false";
	default:
		return json_type_name(v->type);
	}
}

/* Append a segment; returns the token to give path_pop(). */
static size_t path_push(struct pj *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t path_push(struct pj *c, const char *fmt, ...)
{
	size_t old = c->plen;
	va_list ap;
	int n;

	if (c->lost == 0) {
		va_start(ap, fmt);
		n = vsnprintf(c->path + old, PATH_CAP - old, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < PATH_CAP - old) {
			c->plen = old + (size_t)n;
			return old;
		}
	}
	c->path[old] = '\0';
	c->lost++;
	return SIZE_MAX;
}

static void path_pop(struct pj *c, size_t token)
{
	if (token == SIZE_MAX) {
		c->lost--;
		return;
	}
	c->plen = token;
	c->path[token] = '\0';
}

static size_t path_push_name(struct pj *c, const char *name, size_t len)
{
	char s[NAME_CAP];

	sanitize(s, sizeof(s), name, len, 64);
	return path_push(c, c->plen ? ".%s" : "%s", s);
}

static size_t path_push_key(struct pj *c, const char *key, size_t len)
{
	char s[100];

	sanitize(s, sizeof(s), key, len, 40);
	return path_push(c, "[\"%s\"]", s);
}

/* ---- descriptors ------------------------------------------------------------ */

int pbjson_json_name(const char *proto_name, char *buf, size_t cap)
{
	size_t o = 0;
	bool up = false;

	for (; *proto_name != '\0'; proto_name++) {
		char ch = *proto_name;

		if (ch == '_') {
			up = true;
			continue;
		}
		if (up && ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		up = false;
		if (o + 1 >= cap)
			return -ENAMETOOLONG;
		buf[o++] = ch;
	}
	if (cap == 0)
		return -ENAMETOOLONG;
	buf[o] = '\0';
	return (int)o;
}

/* Does @key (klen bytes) spell the JSON name of @proto_name? */
static bool json_name_is(const char *proto_name, const char *key, size_t klen)
{
	size_t i = 0;
	bool up = false;

	for (; *proto_name != '\0'; proto_name++) {
		char ch = *proto_name;

		if (ch == '_') {
			up = true;
			continue;
		}
		if (up && ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		up = false;
		if (i >= klen || key[i] != ch)
			return false;
		i++;
	}
	return i == klen;
}

static const ProtobufCFieldDescriptor *field_by_id(const ProtobufCMessageDescriptor *d, uint32_t id)
{
	unsigned i;

	for (i = 0; i < d->n_fields; i++)
		if (d->fields[i].id == id)
			return &d->fields[i];
	return NULL;
}

static bool is_map_key_type(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
	case PROTOBUF_C_TYPE_ENUM:
		return false;
	default:
		return true;
	}
}

bool pbjson_field_is_map(const ProtobufCMessageDescriptor *parent,
			 const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *e;
	const ProtobufCFieldDescriptor *k, *v;
	const char *n;
	size_t plen, i = 0;
	bool up = true;

	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return false;
	e = f->descriptor;
	if (e == NULL || e->n_fields != 2)
		return false;
	k = field_by_id(e, 1);
	v = field_by_id(e, 2);
	if (k == NULL || v == NULL || strcmp(k->name, "key") != 0 || strcmp(v->name, "value") != 0 ||
	    k->label == PROTOBUF_C_LABEL_REPEATED || v->label == PROTOBUF_C_LABEL_REPEATED ||
	    !is_map_key_type(k->type))
		return false;
	/* e->name == parent->name + "." + CamelCase(f->name) + "Entry" */
	plen = strlen(parent->name);
	if (strncmp(e->name, parent->name, plen) != 0 || e->name[plen] != '.')
		return false;
	n = e->name + plen + 1;
	for (const char *s = f->name; *s != '\0'; s++) {
		char ch = *s;

		if (ch == '_') {
			up = true;
			continue;
		}
		if (up && ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		up = false;
		if (n[i] != ch)
			return false;
		i++;
	}
	return strcmp(n + i, "Entry") == 0;
}

static const char *type_name(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32: return "int32";
	case PROTOBUF_C_TYPE_SINT32: return "sint32";
	case PROTOBUF_C_TYPE_SFIXED32: return "sfixed32";
	case PROTOBUF_C_TYPE_INT64: return "int64";
	case PROTOBUF_C_TYPE_SINT64: return "sint64";
	case PROTOBUF_C_TYPE_SFIXED64: return "sfixed64";
	case PROTOBUF_C_TYPE_UINT32: return "uint32";
	case PROTOBUF_C_TYPE_FIXED32: return "fixed32";
	case PROTOBUF_C_TYPE_UINT64: return "uint64";
	case PROTOBUF_C_TYPE_FIXED64: return "fixed64";
	case PROTOBUF_C_TYPE_FLOAT: return "float";
	case PROTOBUF_C_TYPE_DOUBLE: return "double";
	case PROTOBUF_C_TYPE_BOOL: return "bool";
	case PROTOBUF_C_TYPE_ENUM: return "enum";
	case PROTOBUF_C_TYPE_STRING: return "string";
	case PROTOBUF_C_TYPE_BYTES: return "bytes";
	case PROTOBUF_C_TYPE_MESSAGE: return "message";
	}
	return "?";
}

static size_t sizeof_elt(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static bool is_signed_int(ProtobufCType t)
{
	return t == PROTOBUF_C_TYPE_INT32 || t == PROTOBUF_C_TYPE_SINT32 ||
	       t == PROTOBUF_C_TYPE_SFIXED32 || t == PROTOBUF_C_TYPE_INT64 ||
	       t == PROTOBUF_C_TYPE_SINT64 || t == PROTOBUF_C_TYPE_SFIXED64;
}

static bool is_64bit_int(ProtobufCType t)
{
	return t == PROTOBUF_C_TYPE_INT64 || t == PROTOBUF_C_TYPE_SINT64 ||
	       t == PROTOBUF_C_TYPE_SFIXED64 || t == PROTOBUF_C_TYPE_UINT64 ||
	       t == PROTOBUF_C_TYPE_FIXED64;
}

static bool is_timestamp(const ProtobufCMessageDescriptor *d)
{
	return strcmp(d->name, TIMESTAMP_NAME) == 0;
}

/* The well-known types whose JSON form is special and which we do not map. */
static bool is_unsupported_wkt(const ProtobufCMessageDescriptor *d)
{
	static const char *const names[] = {
		"Any", "Duration", "FieldMask", "Struct", "Value", "ListValue",
		"DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value",
		"UInt32Value", "BoolValue", "StringValue", "BytesValue",
	};
	size_t i;

	if (strncmp(d->name, "google.protobuf.", 16) != 0)
		return false;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(d->name + 16, names[i]) == 0)
			return true;
	return false;
}

static void *member_at(const ProtobufCMessage *m, unsigned offset)
{
	return (char *)(uintptr_t)m + offset;
}

/* ---- base64 ----------------------------------------------------------------- */

static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+' || ch == '-')
		return 62;
	if (ch == '/' || ch == '_')
		return 63;
	return -1;
}

/*
 * Decode standard or URL-safe base64, padded or not, into out (room for
 * n / 4 * 3 + 2 bytes).  Returns the length, or -1 with *bad = the offset of
 * the offending character (n for a bad length).
 */
static long b64_decode(const char *s, size_t n, uint8_t *out, size_t *bad)
{
	size_t pad = 0, i, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if ((pad != 0 && (n + pad) % 4 != 0) || n % 4 == 1) {
		*bad = n + pad;
		return -1;
	}
	for (i = 0; i < n; i++) {
		int v = b64_value((unsigned char)s[i]);

		if (v < 0) {
			*bad = i;
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)o;
}

static char *b64_encode(const uint8_t *p, size_t n, size_t *out_len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;
	char *out;

	if (n > (SIZE_MAX - 4) / 4 * 3)
		return NULL;
	out = malloc((n + 2) / 3 * 4 + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* ---- calendar (proleptic Gregorian, days since 1970-01-01) ----------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* Read exactly @n digits at s; -1 if any is not a digit. */
static long digits(const char *s, unsigned n)
{
	long v = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * "YYYY-MM-DDTHH:MM:SS[.F{1,9}](Z|+HH:MM|-HH:MM)" -> seconds, nanos.
 * Returns NULL or the reason it is not one.
 */
static const char *rfc3339_parse(const char *s, size_t n, int64_t *sec, int32_t *nanos)
{
	long y, mo, d, h, mi, se, oh = 0, om = 0;
	int64_t t;
	size_t i = 19;
	int32_t ns = 0;
	unsigned nd = 0;

	if (n < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return "expected an RFC 3339 timestamp like \"1972-01-01T10:00:20.021Z\"";
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	se = digits(s + 17, 2);
	if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0)
		return "expected an RFC 3339 timestamp like \"1972-01-01T10:00:20.021Z\"";
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)mo) ||
	    h > 23 || mi > 59 || se > 59)
		return "date or time out of range";
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (++nd > 9)
				return "more than 9 fractional digits";
			ns = ns * 10 + (s[i] - '0');
			i++;
		}
		if (nd == 0)
			return "no digits after the decimal point";
		for (unsigned k = nd; k < 9; k++)
			ns *= 10;
	}
	if (i < n && s[i] == 'Z') {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		if (n - i < 6 || s[i + 3] != ':' || (oh = digits(s + i + 1, 2)) < 0 ||
		    (om = digits(s + i + 4, 2)) < 0)
			return "bad UTC offset (expected Z, +HH:MM or -HH:MM)";
		if (oh > 23 || om > 59)
			return "UTC offset out of range";
		if (s[i] == '+') {
			oh = -oh;
			om = -om;
		}
		i += 6;
	} else {
		return "missing UTC offset (Z, +HH:MM or -HH:MM)";
	}
	if (i != n)
		return "trailing characters after the timestamp";
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	t += oh * 3600 + om * 60;
	if (t < TS_MIN_SECONDS || t > TS_MAX_SECONDS)
		return "timestamp out of range (years 0001 to 9999)";
	*sec = t;
	*nanos = ns;
	return NULL;
}

/* The seconds and nanos fields of a Timestamp descriptor, checked. */
static int ts_fields(struct pj *c, const ProtobufCMessageDescriptor *d,
		     const ProtobufCFieldDescriptor **fs, const ProtobufCFieldDescriptor **fn)
{
	*fs = field_by_id(d, 1);
	*fn = field_by_id(d, 2);
	if (*fs == NULL || *fn == NULL || (*fs)->type != PROTOBUF_C_TYPE_INT64 ||
	    (*fn)->type != PROTOBUF_C_TYPE_INT32 || (*fs)->label == PROTOBUF_C_LABEL_REPEATED ||
	    (*fn)->label == PROTOBUF_C_LABEL_REPEATED)
		return pj_fail(c, -EINVAL, "%s: unexpected descriptor", d->name);
	return 0;
}

/* ============================== JSON -> message ============================== */

static ProtobufCMessage *new_message(struct pj *c, const ProtobufCMessageDescriptor *d)
{
	void *p = c->alloc->alloc(c->alloc->allocator_data, d->sizeof_message);

	if (p != NULL)
		protobuf_c_message_init(d, p);
	return p;
}

/* The field now holds a value: set its oneof case or has_ flag. */
static void mark_present(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)member_at(m, f->quantifier_offset) = f->id;
	else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
		 f->type != PROTOBUF_C_TYPE_STRING)
		*(protobuf_c_boolean *)member_at(m, f->quantifier_offset) = 1;
}

/* An integer of type @t from a JSON number or a string holding one. */
/* Stores an integer already range-checked for type t into its field. */
static void
put_int(ProtobufCType t, void *dst, int64_t i, uint64_t u)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		*(int32_t *)dst = (int32_t)i;
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*(uint32_t *)dst = (uint32_t)u;
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		*(int64_t *)dst = i;
		break;
	default:
		*(uint64_t *)dst = u;
		break;
	}
}

static int pj_integer(struct pj *c, ProtobufCType t, const struct json_value *v, void *dst)
{
	char what[100];
	int64_t i = 0;
	uint64_t u = 0;
	int rc;

	if (v->type != JSON_NUMBER && v->type != JSON_STRING)
		return pj_fail(c, -EINVAL, "expected an integer, got %s", describe(v, what, sizeof(what)));
	if (is_signed_int(t))
		rc = json_number_to_i64(v->str, v->len, &i);
	else
		rc = json_number_to_u64(v->str, v->len, &u);
	if (rc == 0 && !is_64bit_int(t)) {
		if (is_signed_int(t) ? (i < INT32_MIN || i > INT32_MAX) : u > UINT32_MAX)
			rc = -ERANGE;
	}
	if (rc == -ERANGE)
		return pj_fail(c, -EINVAL, "%s is out of range for %s", describe(v, what, sizeof(what)),
			       type_name(t));
	if (rc != 0)
		return pj_fail(c, -EINVAL, "expected an integer, got %s", describe(v, what, sizeof(what)));
	put_int(t, dst, i, u);
	return 0;
}

static int pj_floating(struct pj *c, ProtobufCType t, const struct json_value *v, void *dst)
{
	char what[100];
	double d = 0;
	int rc = -EINVAL;

	if (v->type == JSON_NUMBER) {
		rc = json_number_to_double(v->str, v->len, &d);
	} else if (v->type == JSON_STRING) {
		if (strcmp(v->str, "NaN") == 0 && v->len == 3) {
			d = NAN;
			rc = 0;
		} else if (strcmp(v->str, "Infinity") == 0 && v->len == 8) {
			d = INFINITY;
			rc = 0;
		} else if (strcmp(v->str, "-Infinity") == 0 && v->len == 9) {
			d = -INFINITY;
			rc = 0;
		} else {
			rc = json_number_to_double(v->str, v->len, &d);
		}
	}
	/* a float takes what rounds to a finite float (3.4028235e38 is FLT_MAX) */
	if (rc == 0 && t == PROTOBUF_C_TYPE_FLOAT && isfinite(d) && isinf((float)d))
		rc = -ERANGE;
	if (rc == -ERANGE)
		return pj_fail(c, -EINVAL, "%s is out of range for %s", describe(v, what, sizeof(what)),
			       type_name(t));
	if (rc == -ENOMEM)
		return pj_oom(c);
	if (rc != 0)
		return pj_fail(c, -EINVAL, "expected a number, got %s", describe(v, what, sizeof(what)));
	if (t == PROTOBUF_C_TYPE_FLOAT)
		*(float *)dst = (float)d;
	else
		*(double *)dst = d;
	return 0;
}

static int pj_enum(struct pj *c, const ProtobufCFieldDescriptor *f, const struct json_value *v,
		   void *dst)
{
	const ProtobufCEnumDescriptor *ed = f->descriptor;
	char what[100];
	int64_t i;

	if (v->type == JSON_STRING && strlen(v->str) == v->len) {
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(ed, v->str);

		if (ev != NULL) {
			*(int *)dst = ev->value;
			return 0;
		}
	}
	if ((v->type == JSON_STRING || v->type == JSON_NUMBER) &&
	    json_number_to_i64(v->str, v->len, &i) == 0 && i >= INT32_MIN && i <= INT32_MAX) {
		*(int *)dst = (int)i; /* proto3 enums are open: unnamed numbers are kept */
		return 0;
	}
	if (v->type == JSON_STRING)
		return pj_fail(c, -EINVAL, "unknown value %s for enum %s",
			       describe(v, what, sizeof(what)), ed->name);
	return pj_fail(c, -EINVAL, "expected a value of enum %s, got %s", ed->name,
		       describe(v, what, sizeof(what)));
}

/* A copy of a JSON string in @c's allocator. */
static int pj_strdup(struct pj *c, const char *s, size_t len, char **out)
{
	char *p;

	if (memchr(s, '\0', len) != NULL)
		return pj_fail(c, -EINVAL, "string contains U+0000, which protobuf-c strings cannot hold");
	p = c->alloc->alloc(c->alloc->allocator_data, len + 1);
	if (p == NULL)
		return pj_oom(c);
	memcpy(p, s, len + 1);
	*out = p;
	return 0;
}

static int pj_bytes(struct pj *c, const struct json_value *v, ProtobufCBinaryData *dst)
{
	char what[100];
	uint8_t *buf;
	size_t bad = 0;
	long n;

	if (v->type != JSON_STRING)
		return pj_fail(c, -EINVAL, "expected a base64 string, got %s",
			       describe(v, what, sizeof(what)));
	if (v->len == 0) {
		dst->len = 0;
		dst->data = NULL;
		return 0;
	}
	buf = c->alloc->alloc(c->alloc->allocator_data, v->len / 4 * 3 + 3);
	if (buf == NULL)
		return pj_oom(c);
	n = b64_decode(v->str, v->len, buf, &bad);
	if (n < 0) {
		c->alloc->free(c->alloc->allocator_data, buf);
		if (bad >= v->len)
			return pj_fail(c, -EINVAL, "invalid base64 (bad length or padding): %s",
				       describe(v, what, sizeof(what)));
		return pj_fail(c, -EINVAL, "invalid base64 character at offset %zu: %s", bad,
			       describe(v, what, sizeof(what)));
	}
	if (n == 0) {
		c->alloc->free(c->alloc->allocator_data, buf);
		buf = NULL;
	}
	dst->len = (size_t)n;
	dst->data = buf;
	return 0;
}

/*
 * One non-message value of field @f from @v into @dst (an element of a
 * repeated field or a singular member).  Writes @dst only on success.
 */
static int pj_scalar(struct pj *c, const ProtobufCFieldDescriptor *f, const struct json_value *v,
		     void *dst)
{
	char what[100];

	switch (f->type) {
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		return pj_floating(c, f->type, v, dst);
	case PROTOBUF_C_TYPE_BOOL:
		if (v->type != JSON_BOOL)
			return pj_fail(c, -EINVAL, "expected true or false, got %s",
				       describe(v, what, sizeof(what)));
		*(protobuf_c_boolean *)dst = v->boolean;
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		return pj_enum(c, f, v, dst);
	case PROTOBUF_C_TYPE_STRING:
		if (v->type != JSON_STRING)
			return pj_fail(c, -EINVAL, "expected a string, got %s",
				       describe(v, what, sizeof(what)));
		return pj_strdup(c, v->str, v->len, (char **)dst);
	case PROTOBUF_C_TYPE_BYTES:
		return pj_bytes(c, v, dst);
	case PROTOBUF_C_TYPE_MESSAGE:
		return pj_fail(c, -EINVAL, "internal: message as scalar");
	default:
		return pj_integer(c, f->type, v, dst);
	}
}

static int pj_message(struct pj *c, const ProtobufCMessageDescriptor *d,
		      const struct json_value *v, ProtobufCMessage *m, unsigned depth);

/* A singular field (or a oneof member) of @m from @v (not null). */
static int pj_single(struct pj *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
		     const struct json_value *v, unsigned depth)
{
	void *slot = member_at(m, f->offset);
	int rc;

	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		const ProtobufCMessageDescriptor *sd = f->descriptor;
		ProtobufCMessage *sub = new_message(c, sd);

		if (sub == NULL)
			return pj_oom(c);
		*(ProtobufCMessage **)slot = sub;
		mark_present(m, f);
		return pj_message(c, sd, v, sub, depth + 1);
	}
	rc = pj_scalar(c, f, v, slot);
	if (rc == 0)
		mark_present(m, f);
	return rc;
}

static int pj_list(struct pj *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
		   const struct json_value *v, unsigned depth)
{
	size_t es = sizeof_elt(f->type);
	size_t *count = member_at(m, f->quantifier_offset);
	const struct json_value *e;
	char what[100];
	char *arr;
	size_t i;
	int rc = 0;

	if (v->type != JSON_ARRAY)
		return pj_fail(c, -EINVAL, "expected an array, got %s", describe(v, what, sizeof(what)));
	if (v->count == 0)
		return 0;
	if (v->count > SIZE_MAX / es)
		return pj_fail(c, -E2BIG, "array too long");
	arr = c->alloc->alloc(c->alloc->allocator_data, v->count * es);
	if (arr == NULL)
		return pj_oom(c);
	memset(arr, 0, v->count * es);
	*(void **)member_at(m, f->offset) = arr;
	*count = 0;
	for (e = v->child, i = 0; e != NULL && rc == 0; e = e->next, i++) {
		size_t tok = path_push(c, "[%zu]", i);

		if (e->type == JSON_NULL) {
			rc = pj_fail(c, -EINVAL, "null is not allowed in a repeated field");
		} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			const ProtobufCMessageDescriptor *sd = f->descriptor;
			ProtobufCMessage *sub = new_message(c, sd);

			if (sub == NULL) {
				rc = pj_oom(c);
			} else {
				((ProtobufCMessage **)(void *)arr)[(*count)++] = sub;
				rc = pj_message(c, sd, e, sub, depth + 1);
			}
		} else {
			rc = pj_scalar(c, f, e, arr + *count * es);
			if (rc == 0)
				(*count)++;
		}
		path_pop(c, tok);
	}
	return rc;
}

/* A map key from its JSON text into the entry's key field. */
static int pj_map_key(struct pj *c, ProtobufCMessage *entry, const ProtobufCFieldDescriptor *kf,
		      const char *key, size_t len)
{
	void *slot = member_at(entry, kf->offset);
	char what[100];
	int64_t i = 0;
	uint64_t u = 0;
	size_t k = 0;
	int rc;

	if (kf->type == PROTOBUF_C_TYPE_STRING) {
		rc = pj_strdup(c, key, len, (char **)slot);
	} else if (kf->type == PROTOBUF_C_TYPE_BOOL) {
		if (len == 4 && memcmp(key, "true", 4) == 0)
			*(protobuf_c_boolean *)slot = 1;
		else if (len == 5 && memcmp(key, "false", 5) == 0)
			*(protobuf_c_boolean *)slot = 0;
		else
			return pj_fail(c, -EINVAL, "map key must be \"true\" or \"false\"");
		rc = 0;
	} else {
		/* canonical decimal only, so that one value has one spelling */
		if (k < len && key[k] == '-' && is_signed_int(kf->type))
			k++;
		if (k >= len || (key[k] == '0' && len - k > 1) || (key[k] == '0' && k > 0))
			goto bad;
		for (; k < len; k++)
			if (key[k] < '0' || key[k] > '9')
				goto bad;
		if (is_signed_int(kf->type))
			rc = json_number_to_i64(key, len, &i);
		else
			rc = json_number_to_u64(key, len, &u);
		if (rc == 0 && !is_64bit_int(kf->type) &&
		    (is_signed_int(kf->type) ? (i < INT32_MIN || i > INT32_MAX) : u > UINT32_MAX))
			rc = -ERANGE;
		if (rc != 0)
			goto bad;
		put_int(kf->type, slot, i, u);
	}
	if (rc == 0)
		mark_present(entry, kf);
	return rc;
bad:
	sanitize(what, sizeof(what), key, len, 40);
	return pj_fail(c, -EINVAL, "map key \"%s\" is not a canonical %s", what, type_name(kf->type));
}

static int pj_map(struct pj *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
		  const struct json_value *v, unsigned depth)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = field_by_id(ed, 1), *vf = field_by_id(ed, 2);
	size_t *count = member_at(m, f->quantifier_offset);
	const struct json_value *e;
	ProtobufCMessage **arr;
	char what[100];
	int rc = 0;

	if (v->type != JSON_OBJECT)
		return pj_fail(c, -EINVAL, "expected an object (map), got %s",
			       describe(v, what, sizeof(what)));
	if (v->count == 0)
		return 0;
	if (v->count > SIZE_MAX / sizeof(*arr))
		return pj_fail(c, -E2BIG, "map too large");
	arr = c->alloc->alloc(c->alloc->allocator_data, v->count * sizeof(*arr));
	if (arr == NULL)
		return pj_oom(c);
	memset(arr, 0, v->count * sizeof(*arr));
	*(void **)member_at(m, f->offset) = arr;
	*count = 0;
	for (e = v->child; e != NULL && rc == 0; e = e->next) {
		size_t tok = path_push_key(c, e->key, e->key_len);
		ProtobufCMessage *entry = new_message(c, ed);

		if (entry == NULL) {
			rc = pj_oom(c);
		} else {
			arr[(*count)++] = entry;
			rc = pj_map_key(c, entry, kf, e->key, e->key_len);
			if (rc == 0 && e->type == JSON_NULL)
				rc = pj_fail(c, -EINVAL, "null is not allowed as a map value");
			if (rc == 0)
				rc = pj_single(c, entry, vf, e, depth + 1);
		}
		path_pop(c, tok);
	}
	return rc;
}

static int pj_timestamp(struct pj *c, const ProtobufCMessageDescriptor *d,
			const struct json_value *v, ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *fs, *fn;
	const char *why;
	char what[100];
	int64_t sec = 0;
	int32_t ns = 0;
	int rc = ts_fields(c, d, &fs, &fn);

	if (rc != 0)
		return rc;
	if (v->type != JSON_STRING)
		return pj_fail(c, -EINVAL, "expected an RFC 3339 timestamp string, got %s",
			       describe(v, what, sizeof(what)));
	why = rfc3339_parse(v->str, v->len, &sec, &ns);
	if (why != NULL)
		return pj_fail(c, -EINVAL, "%s: %s", why, describe(v, what, sizeof(what)));
	*(int64_t *)member_at(m, fs->offset) = sec;
	mark_present(m, fs);
	*(int32_t *)member_at(m, fn->offset) = ns;
	mark_present(m, fn);
	return 0;
}

/* Find the field a JSON member names: JSON name first, then proto name. */
static const ProtobufCFieldDescriptor *field_by_key(const ProtobufCMessageDescriptor *d,
						    const char *key, size_t klen)
{
	unsigned i;

	for (i = 0; i < d->n_fields; i++)
		if (json_name_is(d->fields[i].name, key, klen))
			return &d->fields[i];
	for (i = 0; i < d->n_fields; i++)
		if (strlen(d->fields[i].name) == klen && memcmp(d->fields[i].name, key, klen) == 0)
			return &d->fields[i];
	return NULL;
}

static int pj_message(struct pj *c, const ProtobufCMessageDescriptor *d,
		      const struct json_value *v, ProtobufCMessage *m, unsigned depth)
{
	const struct json_value **seen = NULL;
	const struct json_value *e;
	char what[100];
	int rc = 0;

	if (depth > PBJSON_MAX_DEPTH)
		return pj_fail(c, -E2BIG, "messages nested deeper than %u", PBJSON_MAX_DEPTH);
	if (is_timestamp(d))
		return pj_timestamp(c, d, v, m);
	if (is_unsupported_wkt(d))
		return pj_fail(c, -EINVAL, "well-known type %s is not supported", d->name);
	if (v->type != JSON_OBJECT)
		return pj_fail(c, -EINVAL, "expected an object (%s), got %s", d->name,
			       describe(v, what, sizeof(what)));
	if (v->count == 0)
		return 0;
	/* which member set each field: a field named twice (both spellings) is an error */
	seen = calloc(d->n_fields ? d->n_fields : 1, sizeof(*seen));
	if (seen == NULL)
		return pj_oom(c);
	for (e = v->child; e != NULL && rc == 0; e = e->next) {
		const ProtobufCFieldDescriptor *f = field_by_key(d, e->key, e->key_len);
		size_t idx, tok;

		if (f == NULL) {
			if (c->flags & PBJSON_IGNORE_UNKNOWN)
				continue;
			sanitize(what, sizeof(what), e->key, e->key_len, 64);
			rc = pj_fail(c, -EINVAL, "unknown field \"%s\" in %s", what, d->name);
			break;
		}
		idx = (size_t)(f - d->fields);
		if (seen[idx] != NULL) {
			char a[100];

			sanitize(a, sizeof(a), seen[idx]->key, seen[idx]->key_len, 64);
			sanitize(what, sizeof(what), e->key, e->key_len, 64);
			rc = pj_fail(c, -EINVAL, "\"%s\" and \"%s\" name the same field of %s", a, what,
				     d->name);
			break;
		}
		seen[idx] = e;
		if (e->type == JSON_NULL) /* null: the field keeps its default */
			continue;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t cur = *(const uint32_t *)member_at(m, f->quantifier_offset);

			if (cur != 0) {
				const ProtobufCFieldDescriptor *o = field_by_id(d, cur);
				char a[NAME_CAP], b[NAME_CAP];

				if (o == NULL || pbjson_json_name(o->name, a, sizeof(a)) < 0)
					snprintf(a, sizeof(a), "#%" PRIu32, cur);
				sanitize(b, sizeof(b), e->key, e->key_len, 64);
				rc = pj_fail(c, -EINVAL, "\"%s\" and \"%s\" are members of the same oneof of %s",
					     a, b, d->name);
				break;
			}
		}
		tok = path_push_name(c, e->key, e->key_len);
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			if (pbjson_field_is_map(d, f))
				rc = pj_map(c, m, f, e, depth);
			else
				rc = pj_list(c, m, f, e, depth);
		} else {
			rc = pj_single(c, m, f, e, depth);
		}
		path_pop(c, tok);
	}
	free(seen);
	return rc;
}

static void *sys_alloc(void *data, size_t size)
{
	(void)data;
	return malloc(size ? size : 1);
}

static void sys_free(void *data, void *p)
{
	(void)data;
	free(p);
}

int pbjson_to_message_flags(const ProtobufCMessageDescriptor *desc, const char *json,
			    size_t len, unsigned flags, ProtobufCAllocator *alloc,
			    ProtobufCMessage **out, char err[PBJSON_ERR_LEN])
{
	ProtobufCAllocator sys = { sys_alloc, sys_free, NULL };
	struct json_doc *doc = NULL;
	ProtobufCMessage *m = NULL;
	struct pj *c;
	int rc;

	*out = NULL;
	err[0] = '\0';
	if (desc == NULL || desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC ||
	    (json == NULL && len != 0)) {
		snprintf(err, PBJSON_ERR_LEN, "invalid arguments");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, PBJSON_ERR_LEN, "out of memory");
		return -ENOMEM;
	}
	c->flags = flags;
	c->alloc = alloc != NULL ? alloc : &sys;
	c->err = err;
	rc = json_parse(json != NULL ? json : "", len, NULL, &doc, err);
	if (rc != 0)
		goto out;
	m = new_message(c, desc);
	if (m == NULL) {
		rc = pj_oom(c);
		goto out;
	}
	rc = pj_message(c, desc, json_doc_root(doc), m, 0);
	if (rc != 0)
		goto out;
	*out = m;
	m = NULL;
out:
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, c->alloc);
	json_doc_free(doc);
	free(c);
	return rc;
}

int pbjson_to_message(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
		      ProtobufCAllocator *alloc, ProtobufCMessage **out,
		      char err[PBJSON_ERR_LEN])
{
	return pbjson_to_message_flags(desc, json, len, 0, alloc, out, err);
}

/* ============================== message -> JSON ============================== */

static int pw_message(struct pj *c, struct json_writer *w, const ProtobufCMessage *m,
		      unsigned depth);

/* Map a writer error to a message (naming the current path). */
static int pw_check(struct pj *c, struct json_writer *w)
{
	switch (w->rc) {
	case 0:
		return 0;
	case -ENOMEM:
		return pj_oom(c);
	case -E2BIG:
		return pj_fail(c, -E2BIG, "JSON output too large or nested too deep (limits %u bytes, %u levels)",
			       JSON_WRITER_MAX_BYTES, JSON_WRITER_MAX_DEPTH);
	default:
		return pj_fail(c, -EINVAL, "cannot write JSON (error %d)", w->rc);
	}
}

static int pw_string(struct pj *c, struct json_writer *w, const char *s)
{
	size_t n;

	if (s == NULL)
		s = "";
	n = strlen(s);
	if (!json_utf8_valid(s, n))
		return pj_fail(c, -EINVAL, "string is not valid UTF-8");
	json_write_string(w, s, n);
	return pw_check(c, w);
}

static void pw_nonfinite(struct json_writer *w, double d)
{
	if (isnan(d))
		json_write_string(w, "NaN", 3);
	else if (d > 0)
		json_write_string(w, "Infinity", 8);
	else
		json_write_string(w, "-Infinity", 9);
}

/* A message given as NULL (map value): print its default instance. */
static int pw_default_message(struct pj *c, struct json_writer *w,
			      const ProtobufCMessageDescriptor *d, unsigned depth)
{
	ProtobufCMessage *tmp = malloc(d->sizeof_message);
	int rc;

	if (tmp == NULL)
		return pj_oom(c);
	protobuf_c_message_init(d, tmp);
	rc = pw_message(c, w, tmp, depth);
	free(tmp); /* init allocates nothing */
	return rc;
}

/* One value of field @f stored at @p. */
static int pw_value(struct pj *c, struct json_writer *w, const ProtobufCFieldDescriptor *f,
		    const void *p, unsigned depth)
{
	char buf[32];

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		json_write_i64(w, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		json_write_u64(w, *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(buf, sizeof(buf), "%" PRId64, *(const int64_t *)p);
		json_write_string(w, buf, strlen(buf));
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(buf, sizeof(buf), "%" PRIu64, *(const uint64_t *)p);
		json_write_string(w, buf, strlen(buf));
		break;
	case PROTOBUF_C_TYPE_FLOAT: {
		float v = *(const float *)p;

		if (isfinite(v))
			json_write_float(w, v);
		else
			pw_nonfinite(w, v);
		break;
	}
	case PROTOBUF_C_TYPE_DOUBLE: {
		double v = *(const double *)p;

		if (isfinite(v))
			json_write_double(w, v);
		else
			pw_nonfinite(w, v);
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		json_write_bool(w, *(const protobuf_c_boolean *)p != 0);
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)p;
		const ProtobufCEnumValue *ev = NULL;

		if (!(c->flags & PBJSON_ENUMS_AS_INTS))
			ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
		if (ev != NULL)
			json_write_string(w, ev->name, strlen(ev->name));
		else
			json_write_i64(w, v);
		break;
	}
	case PROTOBUF_C_TYPE_STRING:
		return pw_string(c, w, *(char *const *)p);
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *bd = p;
		size_t n = 0;
		char *s;

		if (bd->len > 0 && bd->data == NULL)
			return pj_fail(c, -EINVAL, "bytes of length %zu without data", bd->len);
		s = b64_encode(bd->data, bd->len, &n);
		if (s == NULL)
			return pj_oom(c);
		json_write_string(w, s, n);
		free(s);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;

		if (sub == NULL)
			return pw_default_message(c, w, f->descriptor, depth + 1);
		return pw_message(c, w, sub, depth + 1);
	}
	}
	return pw_check(c, w);
}

static bool zeroish(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)p == 0;
	/* -0.0 is printed (as C++ and python do), though protobuf-c does not pack it */
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)p == 0 && !signbit(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)p == 0 && !signbit(*(const double *)p);
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;

		return s == NULL || s[0] == '\0';
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(ProtobufCMessage *const *)p == NULL;
	default:
		if (sizeof_elt(f->type) == 8)
			return *(const uint64_t *)p == 0;
		return *(const uint32_t *)p == 0;
	}
}

/* Is field @f of @m printed?  (Presence as protobuf-c packs it, or defaults.) */
static bool pw_present(const struct pj *c, const ProtobufCMessage *m,
		       const ProtobufCFieldDescriptor *f)
{
	const void *p = member_at(m, f->offset);
	bool defaults = (c->flags & PBJSON_EMIT_DEFAULTS) != 0;
	bool ptr_type = f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)member_at(m, f->quantifier_offset) > 0 || defaults;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		if (*(const uint32_t *)member_at(m, f->quantifier_offset) != f->id)
			return false;
		return !ptr_type || (*(void *const *)p != NULL && *(void *const *)p != f->default_value);
	}
	switch (f->label) {
	case PROTOBUF_C_LABEL_REQUIRED:
		return true;
	case PROTOBUF_C_LABEL_OPTIONAL:
		if (ptr_type && *(void *const *)p != NULL && *(void *const *)p != f->default_value)
			return true;
		if (!ptr_type && *(const protobuf_c_boolean *)member_at(m, f->quantifier_offset))
			return true;
		return defaults && f->type != PROTOBUF_C_TYPE_MESSAGE;
	default: /* PROTOBUF_C_LABEL_NONE: proto3 implicit presence */
		if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			return *(ProtobufCMessage *const *)p != NULL;
		return !zeroish(f, p) || defaults;
	}
}

struct map_item {
	const char *text;             /* the key as JSON text */
	size_t len;
	size_t idx;                   /* position in the entry array */
	char num[24];
};

static int map_item_cmp(const void *a, const void *b)
{
	const struct map_item *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->text, y->text, n);

	if (r != 0)
		return r;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A map field: an object, key text -> value; a repeated key: the last one wins. */
static int pw_map(struct pj *c, struct json_writer *w, const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m, unsigned depth)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = field_by_id(ed, 1), *vf = field_by_id(ed, 2);
	size_t n = *(const size_t *)member_at(m, f->quantifier_offset);
	ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)member_at(m, f->offset);
	struct map_item *items = NULL;
	bool *skip = NULL;
	size_t i;
	int rc = 0;

	if (n > 0) {
		items = calloc(n, sizeof(*items));
		skip = calloc(n, sizeof(*skip));
		if (items == NULL || skip == NULL) {
			rc = pj_oom(c);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		const ProtobufCMessage *e = arr[i];
		const void *kp;
		struct map_item *it = &items[i];

		it->idx = i;
		if (e == NULL) {
			rc = pj_fail(c, -EINVAL, "map entry %zu is NULL", i);
			goto out;
		}
		kp = member_at(e, kf->offset);
		switch (kf->type) {
		case PROTOBUF_C_TYPE_STRING:
			it->text = *(char *const *)kp ? *(char *const *)kp : "";
			break;
		case PROTOBUF_C_TYPE_BOOL:
			it->text = *(const protobuf_c_boolean *)kp ? "true" : "false";
			break;
		case PROTOBUF_C_TYPE_INT32:
		case PROTOBUF_C_TYPE_SINT32:
		case PROTOBUF_C_TYPE_SFIXED32:
			snprintf(it->num, sizeof(it->num), "%" PRId32, *(const int32_t *)kp);
			it->text = it->num;
			break;
		case PROTOBUF_C_TYPE_UINT32:
		case PROTOBUF_C_TYPE_FIXED32:
			snprintf(it->num, sizeof(it->num), "%" PRIu32, *(const uint32_t *)kp);
			it->text = it->num;
			break;
		case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_FIXED64:
			snprintf(it->num, sizeof(it->num), "%" PRIu64, *(const uint64_t *)kp);
			it->text = it->num;
			break;
		default:
			snprintf(it->num, sizeof(it->num), "%" PRId64, *(const int64_t *)kp);
			it->text = it->num;
			break;
		}
		it->len = strlen(it->text);
	}
	if (n > 1) {
		struct map_item *sorted = malloc(n * sizeof(*sorted));

		if (sorted == NULL) {
			rc = pj_oom(c);
			goto out;
		}
		memcpy(sorted, items, n * sizeof(*sorted)); /* text still points into items */
		qsort(sorted, n, sizeof(*sorted), map_item_cmp);
		for (i = 0; i + 1 < n; i++)
			if (sorted[i].len == sorted[i + 1].len &&
			    memcmp(sorted[i].text, sorted[i + 1].text, sorted[i].len) == 0)
				skip[sorted[i].idx] = true; /* a later entry has the same key */
		free(sorted);
	}
	json_write_object_begin(w);
	for (i = 0; i < n && rc == 0; i++) {
		size_t tok;

		if (skip[i])
			continue;
		tok = path_push_key(c, items[i].text, items[i].len);
		if (!json_utf8_valid(items[i].text, items[i].len)) {
			rc = pj_fail(c, -EINVAL, "map key is not valid UTF-8");
		} else {
			json_write_key(w, items[i].text, items[i].len);
			rc = pw_check(c, w);
			if (rc == 0)
				rc = pw_value(c, w, vf, member_at(arr[i], vf->offset), depth);
		}
		path_pop(c, tok);
	}
	if (rc == 0) {
		json_write_object_end(w);
		rc = pw_check(c, w);
	}
out:
	free(items);
	free(skip);
	return rc;
}

static int pw_timestamp(struct pj *c, struct json_writer *w, const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *fs, *fn;
	int64_t sec, y, days, sod;
	int32_t ns;
	unsigned mo, d;
	char buf[48];
	int n, rc = ts_fields(c, m->descriptor, &fs, &fn);

	if (rc != 0)
		return rc;
	sec = *(const int64_t *)member_at(m, fs->offset);
	ns = *(const int32_t *)member_at(m, fn->offset);
	if (sec < TS_MIN_SECONDS || sec > TS_MAX_SECONDS || ns < 0 || ns > 999999999)
		return pj_fail(c, -EINVAL, "timestamp out of range (seconds %" PRId64 ", nanos %" PRId32 ")",
			       sec, ns);
	days = sec / 86400;
	sod = sec % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	n = snprintf(buf, sizeof(buf), "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u", y, mo, d,
		     (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
	if (ns != 0) {
		if (ns % 1000000 == 0)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, ".%03" PRId32, ns / 1000000);
		else if (ns % 1000 == 0)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, ".%06" PRId32, ns / 1000);
		else
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, ".%09" PRId32, ns);
	}
	buf[n++] = 'Z';
	json_write_string(w, buf, (size_t)n);
	return pw_check(c, w);
}

static int pw_message(struct pj *c, struct json_writer *w, const ProtobufCMessage *m,
		      unsigned depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned i;
	int rc = 0;

	if (depth > PBJSON_MAX_DEPTH)
		return pj_fail(c, -E2BIG, "messages nested deeper than %u", PBJSON_MAX_DEPTH);
	if (d == NULL || d->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
		return pj_fail(c, -EINVAL, "not a message (bad descriptor)");
	if (is_timestamp(d))
		return pw_timestamp(c, w, m);
	if (is_unsupported_wkt(d))
		return pj_fail(c, -EINVAL, "well-known type %s is not supported", d->name);
	json_write_object_begin(w);
	for (i = 0; i < d->n_fields && rc == 0; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char name[NAME_CAP];
		const char *key = f->name;
		size_t tok;

		if (!pw_present(c, m, f))
			continue;
		if (!(c->flags & PBJSON_PROTO_NAMES)) {
			if (pbjson_json_name(f->name, name, sizeof(name)) < 0)
				return pj_fail(c, -EINVAL, "field name too long: %.64s", f->name);
			key = name;
		}
		tok = path_push_name(c, key, strlen(key));
		json_write_key(w, key, strlen(key));
		rc = pw_check(c, w);
		if (rc == 0 && f->label == PROTOBUF_C_LABEL_REPEATED) {
			if (pbjson_field_is_map(d, f)) {
				rc = pw_map(c, w, f, m, depth);
			} else {
				size_t n = *(const size_t *)member_at(m, f->quantifier_offset);
				const char *arr = *(const char *const *)member_at(m, f->offset);
				size_t es = sizeof_elt(f->type), k;

				json_write_array_begin(w);
				for (k = 0; k < n && rc == 0; k++) {
					size_t t2 = path_push(c, "[%zu]", k);

					if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
					    ((ProtobufCMessage *const *)(const void *)arr)[k] == NULL)
						rc = pj_fail(c, -EINVAL, "NULL element in a repeated message field");
					else
						rc = pw_value(c, w, f, arr + k * es, depth);
					path_pop(c, t2);
				}
				if (rc == 0) {
					json_write_array_end(w);
					rc = pw_check(c, w);
				}
			}
		} else if (rc == 0) {
			rc = pw_value(c, w, f, member_at(m, f->offset), depth);
		}
		path_pop(c, tok);
	}
	if (rc == 0) {
		json_write_object_end(w);
		rc = pw_check(c, w);
	}
	return rc;
}

int pbjson_from_message(const ProtobufCMessage *msg, unsigned flags, char **json_out,
			char err[PBJSON_ERR_LEN])
{
	struct json_writer w;
	struct pj *c;
	int rc;

	*json_out = NULL;
	err[0] = '\0';
	if (msg == NULL) {
		snprintf(err, PBJSON_ERR_LEN, "invalid arguments");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, PBJSON_ERR_LEN, "out of memory");
		return -ENOMEM;
	}
	c->flags = flags;
	c->err = err;
	json_writer_init(&w, (flags & PBJSON_PRETTY) != 0, 0);
	rc = pw_message(c, &w, msg, 0);
	if (rc == 0) {
		rc = json_writer_finish(&w, json_out, NULL);
		if (rc != 0)
			rc = pw_check(c, &w);
	}
	json_writer_release(&w);
	free(c);
	return rc;
}
