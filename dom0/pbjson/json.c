/*
 * json: strict, bounded JSON parser into a tree; JSON writer.  See json.h.
 */
#include "json.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena: every node and string of a document ------------------------- */

#define ARENA_BLOCK (64u * 1024u)
#define ARENA_ALIGN 8u /* enough for struct json_value; strings need none */

struct json_block {
	struct json_block *next;
	size_t used, cap;
	_Alignas(8) unsigned char data[];
};

struct json_doc {
	const struct json_value *root;
	struct json_block *blocks;
};

static void *arena_alloc(struct json_doc *doc, size_t size)
{
	struct json_block *b = doc->blocks;
	size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (need < size)
		return NULL;
	if (b == NULL || b->cap - b->used < need) {
		size_t cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;

		if (cap > SIZE_MAX - sizeof(*b))
			return NULL;
		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		/* a big one-off block goes behind the current one, which keeps its room */
		if (doc->blocks != NULL && need > ARENA_BLOCK) {
			b->next = doc->blocks->next;
			doc->blocks->next = b;
		} else {
			b->next = doc->blocks;
			doc->blocks = b;
		}
	}
	p = b->data + b->used;
	b->used += need;
	return p;
}

void json_doc_free(struct json_doc *doc)
{
	struct json_block *b, *n;

	if (doc == NULL)
		return;
	for (b = doc->blocks; b != NULL; b = n) {
		n = b->next;
		free(b);
	}
	free(doc);
}

const struct json_value *json_doc_root(const struct json_doc *doc)
{
	return doc != NULL ? doc->root : NULL;
}

const struct json_value *json_object_get(const struct json_value *obj, const char *key)
{
	const struct json_value *m;
	size_t klen = strlen(key);

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (m = obj->child; m != NULL; m = m->next)
		if (m->key_len == klen && memcmp(m->key, key, klen) == 0)
			return m;
	return NULL;
}

const char *json_type_name(enum json_type type)
{
	switch (type) {
	case JSON_NULL: return "null";
	case JSON_BOOL: return "a boolean";
	case JSON_NUMBER: return "a number";
	case JSON_STRING: return "a string";
	case JSON_ARRAY: return "an array";
	case JSON_OBJECT: return "an object";
	}
	return "?";
}

/* ---- UTF-8 ---------------------------------------------------------------- */

/*
 * Decode one UTF-8 sequence at s[0..n).  Returns its length (1..4) and the
 * code point, or 0 if the bytes are not well-formed (RFC 3629 table).
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;      /* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f;      /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;      /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		unsigned char b = s[i];

		if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf))
			return 0;
		v = (v << 6) | (b & 0x3f);
	}
	*cp = v;
	return len;
}

bool json_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		size_t k;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_decode(p + i, len - i, &cp);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

static size_t utf8_encode(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* ---- numbers -------------------------------------------------------------- */

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Length of the RFC 8259 number at the start of s[0..n), or 0 if none. */
static size_t num_scan(const unsigned char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (s[i] == '0') {
		i++;
	} else if (s[i] >= '1' && s[i] <= '9') {
		while (i < n && is_digit(s[i]))
			i++;
	} else {
		return 0;
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !is_digit(s[i]))
			return 0;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit(s[i]))
			return 0;
		while (i < n && is_digit(s[i]))
			i++;
	}
	return i;
}

/* Exact magnitude and sign of an integral JSON number. */
static int num_to_mag(const char *s, size_t len, bool *neg, uint64_t *mag)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, int0, nint, frac0, nfrac, total, k;
	size_t first = SIZE_MAX, last = 0;
	long long exp = 0, scale;
	bool eneg = false;
	uint64_t m = 0;

	if (len == 0 || num_scan(p, len) != len)
		return -EINVAL;
	*neg = p[0] == '-';
	if (*neg)
		i++;
	int0 = i;
	while (i < len && is_digit(p[i]))
		i++;
	nint = i - int0;
	frac0 = i;
	nfrac = 0;
	if (i < len && p[i] == '.') {
		frac0 = ++i;
		while (i < len && is_digit(p[i]))
			i++;
		nfrac = i - frac0;
	}
	if (i < len) { /* exponent */
		i++;
		if (p[i] == '+' || p[i] == '-')
			eneg = p[i++] == '-';
		for (; i < len; i++)
			if (exp < 1000000)
				exp = exp * 10 + (p[i] - '0');
		if (eneg)
			exp = -exp;
	}
	/* the digits int||frac, as one sequence indexed 0..total-1 */
	total = nint + nfrac;
#define DIGIT(k) (p[(k) < nint ? int0 + (k) : frac0 + ((k) - nint)] - '0')
	for (k = 0; k < total; k++) {
		if (DIGIT(k) != 0) {
			if (first == SIZE_MAX)
				first = k;
			last = k;
		}
	}
	if (first == SIZE_MAX) { /* zero, whatever the exponent */
		*mag = 0;
		return 0;
	}
	/* value = digits[first..last] * 10^scale */
	scale = exp - (long long)nfrac + (long long)(total - 1 - last);
	if (scale < 0)
		return -EDOM;
	if ((long long)(last - first + 1) + scale > 20)
		return -ERANGE;
	for (k = first; k <= last; k++) {
		unsigned d = (unsigned)DIGIT(k);

		if (m > (UINT64_MAX - d) / 10)
			return -ERANGE;
		m = m * 10 + d;
	}
#undef DIGIT
	for (; scale > 0; scale--) {
		if (m > UINT64_MAX / 10)
			return -ERANGE;
		m *= 10;
	}
	*mag = m;
	return 0;
}

int json_number_to_i64(const char *s, size_t len, int64_t *v)
{
	uint64_t mag;
	bool neg;
	int rc = num_to_mag(s, len, &neg, &mag);

	if (rc != 0)
		return rc;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		*v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return -ERANGE;
		*v = (int64_t)mag;
	}
	return 0;
}

int json_number_to_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t mag;
	bool neg;
	int rc = num_to_mag(s, len, &neg, &mag);

	if (rc != 0)
		return rc;
	if (neg && mag != 0)
		return -ERANGE;
	*v = mag;
	return 0;
}

int json_number_to_double(const char *s, size_t len, double *v)
{
	char small[64];
	char *buf = small;
	double d;
	int rc = 0;

	if (len == 0 || num_scan((const unsigned char *)s, len) != len)
		return -EINVAL;
	if (len >= sizeof(small)) {
		buf = malloc(len + 1);
		if (buf == NULL)
			return -ENOMEM;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	d = strtod(buf, NULL);
	if (errno == ERANGE && isinf(d))
		rc = -ERANGE;
	else
		*v = d;
	if (buf != small)
		free(buf);
	return rc;
}

/*
 * The fewest significant digits that read back as @d (as a float when
 * @single), printed plainly when the decimal exponent is in [-4, 16) and
 * in exponent form otherwise (as python's repr() does): 100, 0.1, 1e+300.
 */
static int format_shortest(char *buf, size_t cap, double d, bool single)
{
	char tmp[40];
	int prec, n, exp10, maxp = single ? 9 : 17;

	if (!isfinite(d))
		return -EDOM;
	for (prec = 1; prec < maxp; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (single ? strtof(tmp, NULL) == (float)d : strtod(tmp, NULL) == d)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
	exp10 = atoi(strchr(tmp, 'e') + 1);
	if (exp10 >= -4 && exp10 < 16)
		n = snprintf(buf, cap, "%.*f", prec - 1 - exp10 > 0 ? prec - 1 - exp10 : 0, d);
	else
		n = snprintf(buf, cap, "%s", tmp);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int json_format_double(char *buf, size_t cap, double d)
{
	return format_shortest(buf, cap, d, false);
}

int json_format_float(char *buf, size_t cap, float f)
{
	int n = format_shortest(buf, cap, f, true);

	/*
	 * Near FLT_MAX the shortest text may read, as a double, above FLT_MAX
	 * ("3.4028235e+38"), which strict readers (python's json_format) refuse;
	 * print the exact value then.
	 */
	if (n > 0 && fabs(strtod(buf, NULL)) > FLT_MAX)
		return json_format_double(buf, cap, (double)f);
	return n;
}

/* ---- parser --------------------------------------------------------------- */

struct jp {
	const unsigned char *start, *p, *end;
	struct json_doc *doc;
	size_t max_values, nvalues;
	unsigned max_depth;
	char *err;
};

static int jp_fail_at(struct jp *j, const unsigned char *at, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int jp_fail_at(struct jp *j, const unsigned char *at, int rc, const char *fmt, ...)
{
	const unsigned char *q;
	unsigned line = 1, col = 1;
	char msg[200];
	va_list ap;

	for (q = j->start; q < at; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(j->err, JSON_ERR_LEN, "JSON: line %u, column %u: %.200s", line, col, msg);
	return rc;
}

/* "'x'" for a printable byte, "byte 0xNN" otherwise, "end of input" at the end */
static const char *jp_what(const struct jp *j, const unsigned char *at, char *buf, size_t cap)
{
	if (at >= j->end)
		return "end of input";
	if (*at >= 0x20 && *at < 0x7f)
		snprintf(buf, cap, "'%c'", *at);
	else
		snprintf(buf, cap, "byte 0x%02x", *at);
	return buf;
}

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static struct json_value *jp_new(struct jp *j)
{
	struct json_value *v;

	if (j->nvalues >= j->max_values) {
		jp_fail_at(j, j->p, -E2BIG, "more than %zu values", j->max_values);
		return NULL;
	}
	v = arena_alloc(j->doc, sizeof(*v));
	if (v == NULL) {
		jp_fail_at(j, j->p, -ENOMEM, "out of memory");
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	v->offset = (size_t)(j->p - j->start);
	j->nvalues++;
	return v;
}

static int hex4(const unsigned char *s, uint32_t *v)
{
	uint32_t r = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned char c = s[i];

		r <<= 4;
		if (c >= '0' && c <= '9')
			r |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			r |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			r |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*v = r;
	return 0;
}

/*
 * The string starting at j->p (the opening quote): decoded into the arena.
 * On success j->p is past the closing quote.
 */
static int jp_string(struct jp *j, const char **out, size_t *out_len)
{
	const unsigned char *open = j->p, *q;
	unsigned char *buf;
	size_t n = 0;
	char what[16];

	/* find the closing quote, for an upper bound of the decoded size */
	for (q = open + 1; q < j->end && *q != '"'; q++)
		if (*q == '\\')
			q++;
	if (q >= j->end)
		return jp_fail_at(j, open, -EINVAL, "unterminated string");
	buf = arena_alloc(j->doc, (size_t)(q - open));
	if (buf == NULL)
		return jp_fail_at(j, open, -ENOMEM, "out of memory");

	j->p = open + 1;
	for (;;) {
		const unsigned char *at = j->p;
		unsigned char c = *at;

		if (c == '"') {
			j->p++;
			break;
		}
		if (c < 0x20)
			return jp_fail_at(j, at, -EINVAL,
					  "control character 0x%02x in a string (escape it)", c);
		if (c == '\\') {
			uint32_t cp, lo;

			c = at[1];
			j->p += 2;
			switch (c) {
			case '"': buf[n++] = '"'; continue;
			case '\\': buf[n++] = '\\'; continue;
			case '/': buf[n++] = '/'; continue;
			case 'b': buf[n++] = '\b'; continue;
			case 'f': buf[n++] = '\f'; continue;
			case 'n': buf[n++] = '\n'; continue;
			case 'r': buf[n++] = '\r'; continue;
			case 't': buf[n++] = '\t'; continue;
			case 'u': break;
			default:
				return jp_fail_at(j, at, -EINVAL, "invalid escape \\%s in a string",
						  jp_what(j, at + 1, what, sizeof(what)));
			}
			if (j->end - j->p < 4 || hex4(j->p, &cp) != 0)
				return jp_fail_at(j, at, -EINVAL, "\\u must be followed by 4 hex digits");
			j->p += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return jp_fail_at(j, at, -EINVAL,
						  "lone low surrogate \\u%04X in a string", (unsigned)cp);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
				    hex4(j->p + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
					return jp_fail_at(j, at, -EINVAL,
							  "high surrogate \\u%04X not followed by a low surrogate",
							  (unsigned)cp);
				j->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			n += utf8_encode(cp, buf + n);
		} else if (c < 0x80) {
			buf[n++] = c;
			j->p++;
		} else {
			uint32_t cp;
			size_t k = utf8_decode(at, (size_t)(q - at), &cp);

			if (k == 0)
				return jp_fail_at(j, at, -EINVAL, "invalid UTF-8 (byte 0x%02x) in a string", c);
			memcpy(buf + n, at, k);
			n += k;
			j->p += k;
		}
	}
	buf[n] = '\0';
	*out = (const char *)buf;
	*out_len = n;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct json_value *x = *(const struct json_value *const *)a;
	const struct json_value *y = *(const struct json_value *const *)b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);

	if (c != 0)
		return c;
	return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/* Refuse an object that names a member twice. */
static int jp_check_dups(struct jp *j, const struct json_value *obj)
{
	const struct json_value **v = NULL, *m;
	const struct json_value *dup = NULL;
	size_t i, n = obj->count;

	if (n < 2)
		return 0;
	if (n <= 8) {
		const struct json_value *a, *b;

		for (a = obj->child; a != NULL && dup == NULL; a = a->next)
			for (b = a->next; b != NULL; b = b->next)
				if (key_cmp(&a, &b) == 0) {
					dup = b;
					break;
				}
	} else {
		v = malloc(n * sizeof(*v));
		if (v == NULL)
			return jp_fail_at(j, j->start + obj->offset, -ENOMEM, "out of memory");
		for (i = 0, m = obj->child; m != NULL; m = m->next)
			v[i++] = m;
		qsort(v, n, sizeof(*v), key_cmp);
		for (i = 1; i < n && dup == NULL; i++)
			if (key_cmp(&v[i - 1], &v[i]) == 0)
				dup = v[i]->key_offset > v[i - 1]->key_offset ? v[i] : v[i - 1];
		free(v);
	}
	if (dup != NULL) {
		char name[48];
		size_t k, o = 0;

		/* the name, printable ASCII only, cut short */
		for (k = 0; k < dup->key_len && o + 4 < sizeof(name); k++) {
			unsigned char c = (unsigned char)dup->key[k];

			name[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		}
		if (k < dup->key_len) {
			memcpy(name + o, "...", 3);
			o += 3;
		}
		name[o] = '\0';
		return jp_fail_at(j, j->start + dup->key_offset, -EINVAL,
				  "object member \"%s\" appears twice", name);
	}
	return 0;
}

static int jp_value(struct jp *j, struct json_value *v, unsigned depth);

static int jp_container(struct jp *j, struct json_value *v, unsigned depth, bool obj)
{
	const unsigned char close = obj ? '}' : ']';
	struct json_value *last = NULL;
	char what[16];
	int rc;

	if (depth >= j->max_depth)
		return jp_fail_at(j, j->p, -E2BIG, "nesting deeper than %u", j->max_depth);
	v->type = obj ? JSON_OBJECT : JSON_ARRAY;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t key_len = 0;
		struct json_value *e;

		size_t key_offset = (size_t)(j->p - j->start);

		if (obj) {
			if (j->p >= j->end || *j->p != '"')
				return jp_fail_at(j, j->p, -EINVAL, "expected a member name (a string), got %s",
						  jp_what(j, j->p, what, sizeof(what)));
			rc = jp_string(j, &key, &key_len);
			if (rc != 0)
				return rc;
			jp_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return jp_fail_at(j, j->p, -EINVAL, "expected ':' after a member name, got %s",
						  jp_what(j, j->p, what, sizeof(what)));
			j->p++;
			jp_ws(j);
		}
		e = jp_new(j);
		if (e == NULL)
			return j->nvalues >= j->max_values ? -E2BIG : -ENOMEM;
		e->key = key;
		e->key_len = key_len;
		e->key_offset = key_offset;
		rc = jp_value(j, e, depth + 1);
		if (rc != 0)
			return rc;
		if (last == NULL)
			v->child = e;
		else
			last->next = e;
		last = e;
		v->count++;
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			const unsigned char *comma = j->p++;

			jp_ws(j);
			if (j->p < j->end && *j->p == close)
				return jp_fail_at(j, comma, -EINVAL, "trailing comma before '%c'", close);
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			break;
		}
		return jp_fail_at(j, j->p, -EINVAL, "expected ',' or '%c', got %s", close,
				  jp_what(j, j->p, what, sizeof(what)));
	}
	return obj ? jp_check_dups(j, v) : 0;
}

static bool literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return false;
	/* "truex" is not "true" followed by junk we would report oddly */
	if ((size_t)(j->end - j->p) > n) {
		unsigned char c = j->p[n];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_')
			return false;
	}
	j->p += n;
	return true;
}

static int jp_value(struct jp *j, struct json_value *v, unsigned depth)
{
	char what[16];
	unsigned char c;

	if (j->p >= j->end)
		return jp_fail_at(j, j->p, -EINVAL, "expected a value, got end of input");
	c = *j->p;
	v->offset = (size_t)(j->p - j->start);
	switch (c) {
	case '{':
		return jp_container(j, v, depth, true);
	case '[':
		return jp_container(j, v, depth, false);
	case '"':
		v->type = JSON_STRING;
		return jp_string(j, &v->str, &v->len);
	case 't':
	case 'f':
	case 'n':
		if (literal(j, "true") || literal(j, "false")) {
			v->type = JSON_BOOL;
			v->boolean = c == 't';
			return 0;
		}
		if (literal(j, "null")) {
			v->type = JSON_NULL;
			return 0;
		}
		break;
	default:
		if (c == '-' || is_digit(c)) {
			size_t n = num_scan(j->p, (size_t)(j->end - j->p));
			const unsigned char *after = j->p + n;
			char *text;

			if (n == 0)
				return jp_fail_at(j, j->p, -EINVAL, "invalid number");
			if (after < j->end && (is_digit(*after) || *after == '.' || *after == 'e' ||
					       *after == 'E' || *after == '+' || *after == '-'))
				return jp_fail_at(j, j->p, -EINVAL, "%s",
						  is_digit(*after) ? "invalid number (leading zero)"
								   : "invalid number");
			text = arena_alloc(j->doc, n + 1);
			if (text == NULL)
				return jp_fail_at(j, j->p, -ENOMEM, "out of memory");
			memcpy(text, j->p, n);
			text[n] = '\0';
			v->type = JSON_NUMBER;
			v->str = text;
			v->len = n;
			j->p = after;
			return 0;
		}
		break;
	}
	return jp_fail_at(j, j->p, -EINVAL, "expected a value, got %s",
			  jp_what(j, j->p, what, sizeof(what)));
}

int json_parse(const char *text, size_t len, const struct json_limits *limits,
	       struct json_doc **out, char err[JSON_ERR_LEN])
{
	struct jp j;
	struct json_value *root;
	size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes : JSON_MAX_BYTES;
	char what[16];
	int rc;

	*out = NULL;
	err[0] = '\0';
	if (len > max_bytes) {
		snprintf(err, JSON_ERR_LEN, "JSON: input is %zu bytes, more than the limit of %zu",
			 len, max_bytes);
		return -E2BIG;
	}
	memset(&j, 0, sizeof(j));
	j.start = j.p = (const unsigned char *)text;
	j.end = j.start + len;
	j.err = err;
	j.max_depth = limits && limits->max_depth ? limits->max_depth : JSON_MAX_DEPTH;
	j.max_values = limits && limits->max_values ? limits->max_values : JSON_MAX_VALUES;
	j.doc = calloc(1, sizeof(*j.doc));
	if (j.doc == NULL) {
		snprintf(err, JSON_ERR_LEN, "JSON: out of memory");
		return -ENOMEM;
	}
	jp_ws(&j);
	root = jp_new(&j);
	if (root == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = jp_value(&j, root, 0);
	if (rc != 0)
		goto out;
	jp_ws(&j);
	if (j.p != j.end) {
		rc = jp_fail_at(&j, j.p, -EINVAL, "unexpected %s after the value",
				jp_what(&j, j.p, what, sizeof(what)));
		goto out;
	}
	j.doc->root = root;
	*out = j.doc;
	j.doc = NULL;
out:
	json_doc_free(j.doc);
	return rc;
}

/* ---- writer --------------------------------------------------------------- */

void json_writer_init(struct json_writer *w, bool pretty, size_t max_bytes)
{
	memset(w, 0, sizeof(*w));
	w->pretty = pretty;
	w->max = max_bytes ? max_bytes : JSON_WRITER_MAX_BYTES;
}

void json_writer_release(struct json_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

static void w_put(struct json_writer *w, const char *s, size_t n)
{
	if (w->rc != 0)
		return;
	if (n > w->max - w->len || w->len + n + 1 > w->max) {
		w->rc = -E2BIG;
		return;
	}
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		char *nb;

		while (cap < w->len + n + 1)
			cap = cap > w->max / 2 ? w->max : cap * 2;
		nb = realloc(w->buf, cap);
		if (nb == NULL) {
			w->rc = -ENOMEM;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void w_newline(struct json_writer *w)
{
	static const char spaces[] = "                                ";
	size_t n = 2 * (size_t)w->depth;

	w_put(w, "\n", 1);
	while (n > 0) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		w_put(w, spaces, k);
		n -= k;
	}
}

/* Separator and indent before a value (or a key); false on misuse. */
static bool w_before(struct json_writer *w, bool is_key)
{
	if (w->rc != 0)
		return false;
	if (w->after_key) {
		if (is_key) {
			w->rc = -EINVAL;
			return false;
		}
		w->after_key = false;
		return true;
	}
	if (w->depth == 0) {
		if (w->done || is_key) {
			w->rc = -EINVAL;
			return false;
		}
		return true;
	}
	if (w->is_object[w->depth] != is_key) { /* a value in an object needs a key */
		w->rc = -EINVAL;
		return false;
	}
	if (w->nonempty[w->depth])
		w_put(w, ",", 1);
	w->nonempty[w->depth] = true;
	if (w->pretty)
		w_newline(w);
	return w->rc == 0;
}

static void w_after(struct json_writer *w)
{
	if (w->depth == 0)
		w->done = true;
}

static void w_begin(struct json_writer *w, bool obj)
{
	if (!w_before(w, false))
		return;
	if (w->depth >= JSON_WRITER_MAX_DEPTH) {
		w->rc = -E2BIG;
		return;
	}
	w_put(w, obj ? "{" : "[", 1);
	w->depth++;
	w->is_object[w->depth] = obj;
	w->nonempty[w->depth] = false;
}

static void w_end(struct json_writer *w, bool obj)
{
	if (w->rc != 0)
		return;
	if (w->depth == 0 || w->is_object[w->depth] != obj || w->after_key) {
		w->rc = -EINVAL;
		return;
	}
	w->depth--;
	if (w->pretty && w->nonempty[w->depth + 1])
		w_newline(w);
	w_put(w, obj ? "}" : "]", 1);
	w_after(w);
}

void json_write_object_begin(struct json_writer *w) { w_begin(w, true); }
void json_write_object_end(struct json_writer *w) { w_end(w, true); }
void json_write_array_begin(struct json_writer *w) { w_begin(w, false); }
void json_write_array_end(struct json_writer *w) { w_end(w, false); }

static void w_quoted(struct json_writer *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	if (!json_utf8_valid(s, len)) {
		w->rc = -EILSEQ;
		return;
	}
	w_put(w, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		w_put(w, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		w_put(w, esc, n);
	}
	w_put(w, s + run, len - run);
	w_put(w, "\"", 1);
}

void json_write_key(struct json_writer *w, const char *key, size_t len)
{
	if (!w_before(w, true))
		return;
	w_quoted(w, key, len);
	w_put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	if (w->rc == 0)
		w->after_key = true;
}

static void w_scalar(struct json_writer *w, const char *text, size_t len)
{
	if (!w_before(w, false))
		return;
	w_put(w, text, len);
	w_after(w);
}

void json_write_string(struct json_writer *w, const char *s, size_t len)
{
	if (!w_before(w, false))
		return;
	w_quoted(w, s, len);
	w_after(w);
}

void json_write_i64(struct json_writer *w, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%" PRId64, v);

	w_scalar(w, buf, (size_t)n);
}

void json_write_u64(struct json_writer *w, uint64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64, v);

	w_scalar(w, buf, (size_t)n);
}

void json_write_double(struct json_writer *w, double v)
{
	char buf[40];
	int n = json_format_double(buf, sizeof(buf), v);

	if (n < 0) {
		if (w->rc == 0)
			w->rc = n;
		return;
	}
	w_scalar(w, buf, (size_t)n);
}

void json_write_float(struct json_writer *w, float v)
{
	char buf[40];
	int n = json_format_float(buf, sizeof(buf), v);

	if (n < 0) {
		if (w->rc == 0)
			w->rc = n;
		return;
	}
	w_scalar(w, buf, (size_t)n);
}

void json_write_bool(struct json_writer *w, bool v)
{
	w_scalar(w, v ? "true" : "false", v ? 4 : 5);
}

void json_write_null(struct json_writer *w)
{
	w_scalar(w, "null", 4);
}

int json_writer_finish(struct json_writer *w, char **out, size_t *len)
{
	int rc = w->rc;

	*out = NULL;
	if (rc == 0 && (!w->done || w->depth != 0 || w->buf == NULL))
		rc = -EINVAL;
	if (rc != 0) {
		json_writer_release(w);
		w->rc = rc;
		return rc;
	}
	*out = w->buf;
	if (len != NULL)
		*len = w->len;
	w->buf = NULL;
	w->len = w->cap = 0;
	w->done = false;
	return 0;
}
