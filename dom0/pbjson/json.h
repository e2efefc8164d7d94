/*
 * json: a strict, bounded JSON (RFC 8259) parser into a tree, and a JSON
 * writer.  Pure code: bytes in, structures out; no I/O, no globals.
 *
 * Parser (json_parse):
 *  - strict RFC 8259: one value of any type at top level, whitespace only
 *    around it; no comments, no trailing commas, no leading zeros, no NaN or
 *    Infinity literals, no byte order mark;
 *  - strings are checked UTF-8 (no overlong forms, no surrogates, nothing
 *    above U+10FFFF) and their escapes are decoded, \uXXXX included;
 *    surrogate pairs are joined and a lone surrogate is an error;
 *  - numbers are kept as their text, so that callers convert them exactly
 *    (json_number_to_i64 / _u64 / _double);
 *  - an object naming the same member twice is refused (RFC 8259 says the
 *    names SHOULD be unique; accepting duplicates invites ambiguity);
 *  - hard bounds on input size, nesting depth and number of values
 *    (struct json_limits).
 * Errors fill err[JSON_ERR_LEN] with "JSON: line L, column C: reason".
 *
 * Ownership: json_parse() allocates one struct json_doc (malloc) that owns
 * every json_value and every string of the tree; the caller frees it with
 * json_doc_free().  The input text is not referenced after json_parse()
 * returns.  Pointers into the tree live as long as the document.
 *
 * Writer (struct json_writer): appends to a malloc'd buffer it owns until
 * json_writer_finish() hands the NUL-terminated text to the caller (free()).
 * Strings are checked UTF-8 and escaped (", \, control characters);
 * output is compact or pretty (two-space indent).  Errors are sticky in
 * w->rc: once one call failed, later calls do nothing and finish() returns
 * the first error.
 *
 * Floating-point conversions use strtod/snprintf and assume the "C" locale
 * for LC_NUMERIC (the default; never call setlocale(LC_NUMERIC, "")).
 */
#ifndef EDGEVISOR_JSON_H
#define EDGEVISOR_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_ERR_LEN 256

/* Defaults used for a zero field of struct json_limits (or limits NULL). */
#define JSON_MAX_BYTES  (8u << 20)   /* 8 MiB of input */
#define JSON_MAX_DEPTH  64u          /* arrays/objects inside each other */
#define JSON_MAX_VALUES (1u << 18)   /* values in the whole document (~90 bytes each) */

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_type type;
	bool boolean;                 /* JSON_BOOL */
	/*
	 * JSON_STRING: the decoded UTF-8 text, NUL-terminated (it may hold
	 * U+0000 itself: use len).  JSON_NUMBER: the number exactly as
	 * written, NUL-terminated.  NULL for other types.
	 */
	const char *str;
	size_t len;                   /* bytes in str */
	size_t count;                 /* JSON_ARRAY / JSON_OBJECT: elements / members */
	const struct json_value *child; /* first element / member, or NULL */
	const struct json_value *next;  /* next element / member of the parent */
	const char *key;              /* member of an object: decoded name (NUL-terminated) */
	size_t key_len;
	size_t offset;                /* byte offset of the value in the input */
	size_t key_offset;            /* member of an object: byte offset of its name */
};

struct json_limits {
	size_t max_bytes;
	unsigned max_depth;
	size_t max_values;
};

struct json_doc;

/*
 * Parse @len bytes at @text.  On success *out is a new document (the caller
 * frees it with json_doc_free) and 0 is returned.  On failure *out is NULL,
 * err names the place and the reason, and the result is -EINVAL (bad JSON),
 * -E2BIG (a limit was exceeded) or -ENOMEM.
 */
int json_parse(const char *text, size_t len, const struct json_limits *limits,
	       struct json_doc **out, char err[JSON_ERR_LEN]);
const struct json_value *json_doc_root(const struct json_doc *doc);
void json_doc_free(struct json_doc *doc);

/* Member @key of object @obj (exact, byte-wise), or NULL. */
const struct json_value *json_object_get(const struct json_value *obj, const char *key);

/* "null", "a boolean", "a number", "a string", "an array", "an object" */
const char *json_type_name(enum json_type type);

/* True when @len bytes at @s are well-formed UTF-8 (RFC 3629). */
bool json_utf8_valid(const char *s, size_t len);

/*
 * Exact conversions of a JSON number's text (@len bytes at @s, the whole of
 * it must be one RFC 8259 number; no NUL terminator needed).  Fractions and
 * exponents are fine when the value is integral ("1.0", "1e3", "150e-2"
 * is not).  Return 0, -EINVAL (not a JSON number), -EDOM (not an integer)
 * or -ERANGE (does not fit).
 */
int json_number_to_i64(const char *s, size_t len, int64_t *v);
int json_number_to_u64(const char *s, size_t len, uint64_t *v);
/* Nearest double; -EINVAL if not a JSON number, -ERANGE if it overflows. */
int json_number_to_double(const char *s, size_t len, double *v);

/*
 * Shortest decimal text that reads back as the same double / float, plain
 * for decimal exponents in [-4, 16), exponent form otherwise, as python's
 * repr() ("0.1", "100", "1e+100", "-0"); @cap >= 32.  A float whose
 * shortest text would read above FLT_MAX as a double gets its exact double
 * text.  Returns the length, or -EDOM for NaN and infinities (JSON has no
 * literal for them).
 */
int json_format_double(char *buf, size_t cap, double d);
int json_format_float(char *buf, size_t cap, float f);

/* ---- writer -------------------------------------------------------------- */

#define JSON_WRITER_MAX_DEPTH 64u
#define JSON_WRITER_MAX_BYTES (64u << 20)

struct json_writer {
	char *buf;                    /* owned until json_writer_finish */
	size_t len, cap, max;
	int rc;                       /* 0 or the first error (negative errno) */
	unsigned depth;
	bool pretty;
	bool after_key;               /* a key was written, its value is next */
	bool done;                    /* the top-level value is complete */
	bool is_object[JSON_WRITER_MAX_DEPTH + 1];
	bool nonempty[JSON_WRITER_MAX_DEPTH + 1];
};

/* @max_bytes: refuse (-E2BIG) to grow past this; 0 means JSON_WRITER_MAX_BYTES. */
void json_writer_init(struct json_writer *w, bool pretty, size_t max_bytes);
void json_write_object_begin(struct json_writer *w);
void json_write_object_end(struct json_writer *w);
void json_write_array_begin(struct json_writer *w);
void json_write_array_end(struct json_writer *w);
/* A member name inside an object; -EILSEQ if it is not UTF-8. */
void json_write_key(struct json_writer *w, const char *key, size_t len);
/* A string value; -EILSEQ if it is not UTF-8. */
void json_write_string(struct json_writer *w, const char *s, size_t len);
void json_write_i64(struct json_writer *w, int64_t v);
void json_write_u64(struct json_writer *w, uint64_t v);
/* Finite values only (-EDOM otherwise); shortest round-trip text. */
void json_write_double(struct json_writer *w, double v);
void json_write_float(struct json_writer *w, float v);
void json_write_bool(struct json_writer *w, bool v);
void json_write_null(struct json_writer *w);
/*
 * Hand over the text: on success *out (malloc'd, NUL-terminated, the
 * caller frees it) and *len (may be NULL) are set and 0 is returned; the
 * writer is empty again.  On error (w->rc, or an incomplete document:
 * -EINVAL) nothing is handed over and the buffer is freed.
 */
int json_writer_finish(struct json_writer *w, char **out, size_t *len);
/* Drop the buffer without handing it over (safe to call twice). */
void json_writer_release(struct json_writer *w);

#endif /* EDGEVISOR_JSON_H */
