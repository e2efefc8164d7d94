/*
 * json: the strict, bounded RFC 8259 parser and the writer (dom0/pbjson/json.h).
 *
 *  - valid documents parse into the expected tree (types, decoded strings,
 *    number text, member order, counts, offsets);
 *  - invalid ones are refused with the exact reason, line and column:
 *    trailing commas, leading zeros, bad literals, bad escapes, lone
 *    surrogates, bad UTF-8 (overlong, surrogates, > U+10FFFF, truncated),
 *    control characters, duplicate members, trailing garbage, BOM, comments;
 *  - limits: size, depth, number of values;
 *  - exact integer conversion of number text (int64/uint64 extremes,
 *    fractions and exponents, huge exponents) and double conversion;
 *  - the writer: escaping, compact and pretty layout, shortest numbers,
 *    misuse and limits as errors, round trip through the parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct json_doc *parse_ok_n(const char *text, size_t len)
{
	struct json_doc *doc = NULL;
	char err[JSON_ERR_LEN];
	int rc = json_parse(text, len, NULL, &doc, err);

	if (rc != 0)
		fail_msg("json_parse(%s): %d %s", text, rc, err);
	assert_non_null(doc);
	assert_non_null(json_doc_root(doc));
	return doc;
}

static struct json_doc *parse_ok(const char *text)
{
	return parse_ok_n(text, strlen(text));
}

static void expect_fail_n(const char *text, size_t len, int want_rc, const char *want)
{
	struct json_doc *doc = (struct json_doc *)&doc;
	char err[JSON_ERR_LEN];
	int rc = json_parse(text, len, NULL, &doc, err);

	if (rc != want_rc || strcmp(err, want) != 0)
		fail_msg("input [%.*s]\n  want %d \"%s\"\n  got  %d \"%s\"", (int)len, text, want_rc, want,
			 rc, err);
	assert_null(doc);
}

static void expect_fail(const char *text, const char *want)
{
	expect_fail_n(text, strlen(text), -EINVAL, want);
}

/* ---- valid documents ---------------------------------------------------------------- */

static void test_scalars(void **state)
{
	static const struct {
		const char *text;
		enum json_type type;
		const char *str;   /* number text or decoded string */
		size_t len;
		bool b;
	} cases[] = {
		{ "null", JSON_NULL, NULL, 0, false },
		{ "true", JSON_BOOL, NULL, 0, true },
		{ " false ", JSON_BOOL, NULL, 0, false },
		{ "0", JSON_NUMBER, "0", 1, false },
		{ "-0", JSON_NUMBER, "-0", 2, false },
		{ "-1.5E+10", JSON_NUMBER, "-1.5E+10", 8, false },
		{ "1.5e-3", JSON_NUMBER, "1.5e-3", 6, false },
		{ "123456789012345678901234567890", JSON_NUMBER, "123456789012345678901234567890", 30, false },
		{ "1e999999999", JSON_NUMBER, "1e999999999", 11, false },
		{ "\"\"", JSON_STRING, "", 0, false },
		{ "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", JSON_STRING, "\"\\/\b\f\n\r\t", 8, false },
		{ "\"\\u0000\"", JSON_STRING, "\0", 1, false },
		{ "\"a\\u0000b\"", JSON_STRING, "a\0b", 3, false },
		{ "\"\\u00e9\\u00E9\"", JSON_STRING, "\xc3\xa9\xc3\xa9", 4, false },
		{ "\"\\u20ac\"", JSON_STRING, "\xe2\x82\xac", 3, false },
		{ "\"\\ud83d\\ude00\"", JSON_STRING, "\xf0\x9f\x98\x80", 4, false },
		{ "\"\\uDBFF\\uDFFF\"", JSON_STRING, "\xf4\x8f\xbf\xbf", 4, false },
		{ "\"\\uffff\"", JSON_STRING, "\xef\xbf\xbf", 3, false },
		{ "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f\"", JSON_STRING,
		  "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f", 10, false },
		{ "\"\xe2\x80\xa8\xef\xbb\xbf\"", JSON_STRING, "\xe2\x80\xa8\xef\xbb\xbf", 6, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct json_doc *doc = parse_ok(cases[i].text);
		const struct json_value *v = json_doc_root(doc);

		assert_int_equal(v->type, cases[i].type);
		if (cases[i].type == JSON_BOOL)
			assert_int_equal(v->boolean, cases[i].b);
		if (cases[i].str != NULL) {
			assert_int_equal(v->len, cases[i].len);
			assert_memory_equal(v->str, cases[i].str, v->len);
			assert_int_equal(v->str[v->len], '\0');
		}
		assert_null(v->child);
		json_doc_free(doc);
	}
}

static void test_containers(void **state)
{
	const char *text = "{\n \"b\": [1, [], {}, \"x\"],\n \"a\": {\"k\": null},\n \"\": true\n}";
	struct json_doc *doc = parse_ok(text);
	const struct json_value *root = json_doc_root(doc), *b, *e, *a;

	(void)state;
	assert_int_equal(root->type, JSON_OBJECT);
	assert_int_equal(root->count, 3);
	b = root->child;
	assert_string_equal(b->key, "b");
	assert_int_equal(b->key_len, 1);
	assert_int_equal(b->type, JSON_ARRAY);
	assert_int_equal(b->count, 4);
	assert_int_equal(b->offset, (size_t)(strchr(text, '[') - text));
	assert_int_equal(b->key_offset, 3);
	e = b->child;
	assert_int_equal(e->type, JSON_NUMBER);
	assert_null(e->key);
	e = e->next;
	assert_int_equal(e->type, JSON_ARRAY);
	assert_int_equal(e->count, 0);
	assert_null(e->child);
	e = e->next;
	assert_int_equal(e->type, JSON_OBJECT);
	assert_int_equal(e->count, 0);
	e = e->next;
	assert_string_equal(e->str, "x");
	assert_null(e->next);
	a = json_object_get(root, "a");
	assert_ptr_equal(a, b->next);
	assert_int_equal(json_object_get(a, "k")->type, JSON_NULL);
	assert_int_equal(json_object_get(root, "")->type, JSON_BOOL);
	assert_null(json_object_get(root, "c"));
	assert_null(json_object_get(b, "b")); /* not an object */
	json_doc_free(doc);
	json_doc_free(NULL);
}

static void test_depth_limit(void **state)
{
	char buf[200];
	struct json_doc *doc;
	size_t i;

	(void)state;
	for (i = 0; i < 64; i++)
		buf[i] = '[';
	for (i = 64; i < 128; i++)
		buf[i] = ']';
	doc = parse_ok_n(buf, 128);
	json_doc_free(doc);
	for (i = 0; i < 65; i++)
		buf[i] = '[';
	for (i = 65; i < 130; i++)
		buf[i] = ']';
	expect_fail_n(buf, 130, -E2BIG, "JSON: line 1, column 65: nesting deeper than 64");
	/* objects count too */
	snprintf(buf, sizeof(buf), "{\"a\":{\"a\":{\"a\":1}}}");
	{
		struct json_limits lim = { 0, 3, 0 };
		char err[JSON_ERR_LEN];

		assert_int_equal(json_parse(buf, strlen(buf), &lim, &doc, err), 0);
		json_doc_free(doc);
		lim.max_depth = 2;
		assert_int_equal(json_parse(buf, strlen(buf), &lim, &doc, err), -E2BIG);
		assert_string_equal(err, "JSON: line 1, column 11: nesting deeper than 2");
		assert_null(doc);
	}
}

static void test_size_and_value_limits(void **state)
{
	struct json_limits lim = { 10, 0, 0 };
	struct json_doc *doc = NULL;
	char err[JSON_ERR_LEN];
	char *many;
	size_t i, n;

	(void)state;
	assert_int_equal(json_parse("[1,2,3,4,5]", 11, &lim, &doc, err), -E2BIG);
	assert_string_equal(err, "JSON: input is 11 bytes, more than the limit of 10");
	assert_int_equal(json_parse("[1,2,3,45]", 10, &lim, &doc, err), 0);
	json_doc_free(doc);
	lim.max_bytes = 0;
	lim.max_values = 5;
	assert_int_equal(json_parse("[1,2,3,4]", 9, &lim, &doc, err), 0);
	json_doc_free(doc);
	assert_int_equal(json_parse("[1,2,3,4,5]", 11, &lim, &doc, err), -E2BIG);
	assert_string_equal(err, "JSON: line 1, column 10: more than 5 values");
	assert_null(doc);
	/* the default value bound */
	n = 2 * (JSON_MAX_VALUES + 1) + 1;
	many = malloc(n);
	assert_non_null(many);
	many[0] = '[';
	for (i = 0; i < JSON_MAX_VALUES; i++) {
		many[1 + 2 * i] = '0';
		many[2 + 2 * i] = ',';
	}
	many[2 * JSON_MAX_VALUES] = ']';
	assert_int_equal(json_parse(many, 2 * JSON_MAX_VALUES + 1, NULL, &doc, err), -E2BIG);
	{
		char want[64];

		snprintf(want, sizeof(want), "more than %u values", JSON_MAX_VALUES);
		assert_non_null(strstr(err, want));
	}
	many[2 * JSON_MAX_VALUES - 2] = ']'; /* one value fewer: fine */
	assert_int_equal(json_parse(many, 2 * JSON_MAX_VALUES - 1, NULL, &doc, err), 0);
	assert_int_equal(json_doc_root(doc)->count, JSON_MAX_VALUES - 1);
	json_doc_free(doc);
	free(many);
}

/* ---- invalid documents ---------------------------------------------------------------- */

static void test_invalid(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "", "JSON: line 1, column 1: expected a value, got end of input" },
		{ " \n ", "JSON: line 2, column 2: expected a value, got end of input" },
		{ "[1,]", "JSON: line 1, column 3: trailing comma before ']'" },
		{ "[1,\n  ]", "JSON: line 1, column 3: trailing comma before ']'" },
		{ "{\"a\":1,}", "JSON: line 1, column 7: trailing comma before '}'" },
		{ "[,1]", "JSON: line 1, column 2: expected a value, got ','" },
		{ "[1 2]", "JSON: line 1, column 4: expected ',' or ']', got '2'" },
		{ "{\"a\":1 \"b\":2}", "JSON: line 1, column 8: expected ',' or '}', got '\"'" },
		{ "{\"a\" 1}", "JSON: line 1, column 6: expected ':' after a member name, got '1'" },
		{ "{\"a\":}", "JSON: line 1, column 6: expected a value, got '}'" },
		{ "{a:1}", "JSON: line 1, column 2: expected a member name (a string), got 'a'" },
		{ "{'a':1}", "JSON: line 1, column 2: expected a member name (a string), got '''" },
		{ "{1:1}", "JSON: line 1, column 2: expected a member name (a string), got '1'" },
		{ "[1", "JSON: line 1, column 3: expected ',' or ']', got end of input" },
		{ "{", "JSON: line 1, column 2: expected a member name (a string), got end of input" },
		{ "01", "JSON: line 1, column 1: invalid number (leading zero)" },
		{ "-01", "JSON: line 1, column 1: invalid number (leading zero)" },
		{ "00", "JSON: line 1, column 1: invalid number (leading zero)" },
		{ "-", "JSON: line 1, column 1: invalid number" },
		{ "1.", "JSON: line 1, column 1: invalid number" },
		{ "1.e3", "JSON: line 1, column 1: invalid number" },
		{ ".5", "JSON: line 1, column 1: expected a value, got '.'" },
		{ "1e", "JSON: line 1, column 1: invalid number" },
		{ "1e+", "JSON: line 1, column 1: invalid number" },
		{ "+1", "JSON: line 1, column 1: expected a value, got '+'" },
		{ "1.5.3", "JSON: line 1, column 1: invalid number" },
		{ "0x10", "JSON: line 1, column 2: unexpected 'x' after the value" },
		{ "NaN", "JSON: line 1, column 1: expected a value, got 'N'" },
		{ "Infinity", "JSON: line 1, column 1: expected a value, got 'I'" },
		{ "-Infinity", "JSON: line 1, column 1: invalid number" },
		{ "tru", "JSON: line 1, column 1: expected a value, got 't'" },
		{ "truex", "JSON: line 1, column 1: expected a value, got 't'" },
		{ "True", "JSON: line 1, column 1: expected a value, got 'T'" },
		{ "nul", "JSON: line 1, column 1: expected a value, got 'n'" },
		{ "nulll", "JSON: line 1, column 1: expected a value, got 'n'" },
		{ "1 2", "JSON: line 1, column 3: unexpected '2' after the value" },
		{ "{} x", "JSON: line 1, column 4: unexpected 'x' after the value" },
		{ "[]]", "JSON: line 1, column 3: unexpected ']' after the value" },
		{ "/* c */ 1", "JSON: line 1, column 1: expected a value, got '/'" },
		{ "1 // c", "JSON: line 1, column 3: unexpected '/' after the value" },
		{ "\xef\xbb\xbf{}", "JSON: line 1, column 1: expected a value, got byte 0xef" },
		{ "\"abc", "JSON: line 1, column 1: unterminated string" },
		{ "[\"a\\\"]", "JSON: line 1, column 2: unterminated string" },
		{ "\"a\\", "JSON: line 1, column 1: unterminated string" },
		{ "\"a\nb\"", "JSON: line 1, column 3: control character 0x0a in a string (escape it)" },
		{ "\"\t\"", "JSON: line 1, column 2: control character 0x09 in a string (escape it)" },
		{ "\"\\x\"", "JSON: line 1, column 2: invalid escape \\'x' in a string" },
		{ "\"\\U0041\"", "JSON: line 1, column 2: invalid escape \\'U' in a string" },
		{ "\"\\u12\"", "JSON: line 1, column 2: \\u must be followed by 4 hex digits" },
		{ "\"\\u12G4\"", "JSON: line 1, column 2: \\u must be followed by 4 hex digits" },
		{ "\"\\ud800\"", "JSON: line 1, column 2: high surrogate \\uD800 not followed by a low surrogate" },
		{ "\"\\ud800\\u0041\"", "JSON: line 1, column 2: high surrogate \\uD800 not followed by a low surrogate" },
		{ "\"\\ud800\\ud800\"", "JSON: line 1, column 2: high surrogate \\uD800 not followed by a low surrogate" },
		{ "\"\\udbff\\n\"", "JSON: line 1, column 2: high surrogate \\uDBFF not followed by a low surrogate" },
		{ "\"x\\udc00\"", "JSON: line 1, column 3: lone low surrogate \\uDC00 in a string" },
		{ "\"\\udfff\\ud800\"", "JSON: line 1, column 2: lone low surrogate \\uDFFF in a string" },
		{ "\"\xc0\x80\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xc0) in a string" },
		{ "\"\xc1\xbf\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xc1) in a string" },
		{ "\"\xe0\x80\x80\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xe0) in a string" },
		{ "\"\xe0\x9f\xbf\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xe0) in a string" },
		{ "\"\xed\xa0\x80\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xed) in a string" },
		{ "\"\xed\xbf\xbf\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xed) in a string" },
		{ "\"\xf0\x80\x80\x80\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xf0) in a string" },
		{ "\"\xf4\x90\x80\x80\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xf4) in a string" },
		{ "\"\xf5\x80\x80\x80\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xf5) in a string" },
		{ "\"ab\xe2\x82\"", "JSON: line 1, column 4: invalid UTF-8 (byte 0xe2) in a string" },
		{ "\"\xe2\x82x\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xe2) in a string" },
		{ "\"\x80\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0x80) in a string" },
		{ "\"\xbf\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xbf) in a string" },
		{ "\"\xfe\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xfe) in a string" },
		{ "\"\xff\"", "JSON: line 1, column 2: invalid UTF-8 (byte 0xff) in a string" },
		{ "[\xc3\xa9]", "JSON: line 1, column 2: expected a value, got byte 0xc3" },
		{ "{\"a\":1,\"a\":2}", "JSON: line 1, column 8: object member \"a\" appears twice" },
		{ "{\"\\u0061\":1,\"a\":2}", "JSON: line 1, column 13: object member \"a\" appears twice" },
		{ "{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k10\":10,\"k3\":0}",
		  "JSON: line 1, column 74: object member \"k3\" appears twice" },
		{ "{\"a\":{\"x\":1},\"b\":{\"x\":1,\"y\":[{\"z\":1,\"z\":1}]}}",
		  "JSON: line 1, column 37: object member \"z\" appears twice" },
		{ "{\"a\\u0001\":1,\"a\\u0001\":2}", "JSON: line 1, column 14: object member \"a?\" appears twice" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		expect_fail(cases[i].text, cases[i].err);
	/* a NUL byte is not whitespace, and not allowed raw in a string */
	expect_fail_n("[1,\0]", 5, -EINVAL, "JSON: line 1, column 4: expected a value, got byte 0x00");
	expect_fail_n("\"a\0\"", 4, -EINVAL,
		      "JSON: line 1, column 3: control character 0x00 in a string (escape it)");
	expect_fail_n("1\0", 2, -EINVAL, "JSON: line 1, column 2: unexpected byte 0x00 after the value");
	/* parsed members with distinct names in different objects are fine */
	json_doc_free(parse_ok("{\"a\":1,\"b\":{\"a\":1},\"c\":[{\"a\":1},{\"a\":2}]}"));
	json_doc_free(parse_ok("{\"a\":1,\"A\":2,\"a \":3,\"\":4}"));
}

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(json_utf8_valid("", 0));
	assert_true(json_utf8_valid("plain ascii \x01\x7f", 14));
	assert_true(json_utf8_valid("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 18));
	assert_true(json_utf8_valid("a\0b", 3));
	assert_false(json_utf8_valid("\xc2", 1));
	assert_false(json_utf8_valid("\xc0\x80", 2));
	assert_false(json_utf8_valid("\xed\xa0\x80", 3));
	assert_false(json_utf8_valid("\xf4\x90\x80\x80", 4));
	assert_false(json_utf8_valid("\xe2\x82\xac\x80", 4));
	assert_false(json_utf8_valid("\xf0\x9f\x98", 3));
}

/* ---- numbers ----------------------------------------------------------------------- */

static void test_number_to_int(void **state)
{
	static const struct {
		const char *s;
		int rc_i;
		int64_t i;
		int rc_u;
		uint64_t u;
	} cases[] = {
		{ "0", 0, 0, 0, 0 },
		{ "-0", 0, 0, 0, 0 },
		{ "42", 0, 42, 0, 42 },
		{ "-42", 0, -42, -ERANGE, 0 },
		{ "9223372036854775807", 0, INT64_MAX, 0, INT64_MAX },
		{ "-9223372036854775808", 0, INT64_MIN, -ERANGE, 0 },
		{ "9223372036854775808", -ERANGE, 0, 0, 9223372036854775808ULL },
		{ "-9223372036854775809", -ERANGE, 0, -ERANGE, 0 },
		{ "18446744073709551615", -ERANGE, 0, 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0, -ERANGE, 0 },
		{ "99999999999999999999999", -ERANGE, 0, -ERANGE, 0 },
		{ "1.0", 0, 1, 0, 1 },
		{ "1.000000000000000000000000000000", 0, 1, 0, 1 },
		{ "1e3", 0, 1000, 0, 1000 },
		{ "1E+3", 0, 1000, 0, 1000 },
		{ "1.5e1", 0, 15, 0, 15 },
		{ "100e-2", 0, 1, 0, 1 },
		{ "150e-2", -EDOM, 0, -EDOM, 0 },
		{ "1.5", -EDOM, 0, -EDOM, 0 },
		{ "-0.5", -EDOM, 0, -EDOM, 0 },
		{ "0.000e5", 0, 0, 0, 0 },
		{ "0e99999999999", 0, 0, 0, 0 },
		{ "0.0e-99999999999", 0, 0, 0, 0 },
		{ "1e-99999999999", -EDOM, 0, -EDOM, 0 },
		{ "1e19", -ERANGE, 0, 0, 10000000000000000000ULL },
		{ "1e20", -ERANGE, 0, -ERANGE, 0 },
		{ "1e400", -ERANGE, 0, -ERANGE, 0 },
		{ "1e99999999999999999999", -ERANGE, 0, -ERANGE, 0 },
		{ "1.8446744073709551615e19", -ERANGE, 0, 0, UINT64_MAX },
		{ "12345678901234567890000e-3", -ERANGE, 0, 0, 12345678901234567890ULL },
		{ "12345678901234567890123e-3", -EDOM, 0, -EDOM, 0 },
		{ "-9.223372036854775808e18", 0, INT64_MIN, -ERANGE, 0 },
		{ "00", -EINVAL, 0, -EINVAL, 0 },
		{ "01", -EINVAL, 0, -EINVAL, 0 },
		{ "", -EINVAL, 0, -EINVAL, 0 },
		{ "-", -EINVAL, 0, -EINVAL, 0 },
		{ "+1", -EINVAL, 0, -EINVAL, 0 },
		{ " 1", -EINVAL, 0, -EINVAL, 0 },
		{ "1 ", -EINVAL, 0, -EINVAL, 0 },
		{ "1.", -EINVAL, 0, -EINVAL, 0 },
		{ "0x1", -EINVAL, 0, -EINVAL, 0 },
		{ "12x", -EINVAL, 0, -EINVAL, 0 },
		{ "NaN", -EINVAL, 0, -EINVAL, 0 },
	};
	size_t k;

	(void)state;
	for (k = 0; k < ARRAY_LEN(cases); k++) {
		int64_t i = 0x5a5a;
		uint64_t u = 0x5a5a;
		int rc = json_number_to_i64(cases[k].s, strlen(cases[k].s), &i);

		if (rc != cases[k].rc_i || (rc == 0 && i != cases[k].i))
			fail_msg("i64(%s): rc %d value %lld", cases[k].s, rc, (long long)i);
		if (rc != 0)
			assert_int_equal(i, 0x5a5a); /* untouched on error */
		rc = json_number_to_u64(cases[k].s, strlen(cases[k].s), &u);
		if (rc != cases[k].rc_u || (rc == 0 && u != cases[k].u))
			fail_msg("u64(%s): rc %d value %llu", cases[k].s, rc, (unsigned long long)u);
	}
	/* the text need not be NUL-terminated */
	{
		int64_t i;

		assert_int_equal(json_number_to_i64("1234", 2, &i), 0);
		assert_int_equal(i, 12);
	}
}

static void test_number_to_double(void **state)
{
	char longnum[300];
	double d = 7;

	(void)state;
	assert_int_equal(json_number_to_double("0.1", 3, &d), 0);
	assert_true(d == 0.1);
	assert_int_equal(json_number_to_double("-2.5e-3", 7, &d), 0);
	assert_true(d == -2.5e-3);
	assert_int_equal(json_number_to_double("-0", 2, &d), 0);
	assert_true(d == 0 && signbit(d));
	assert_int_equal(json_number_to_double("1e-400", 6, &d), 0); /* underflow: 0 */
	assert_true(d == 0);
	assert_int_equal(json_number_to_double("1.7976931348623157e308", 22, &d), 0);
	assert_true(d == DBL_MAX);
	d = 7;
	assert_int_equal(json_number_to_double("1e400", 5, &d), -ERANGE);
	assert_int_equal(json_number_to_double("-1e400", 6, &d), -ERANGE);
	assert_true(d == 7);
	assert_int_equal(json_number_to_double("abc", 3, &d), -EINVAL);
	assert_int_equal(json_number_to_double("1e5x", 4, &d), -EINVAL);
	assert_int_equal(json_number_to_double("Infinity", 8, &d), -EINVAL);
	/* a long number (heap copy) */
	memset(longnum, '1', sizeof(longnum));
	longnum[1] = '.';
	assert_int_equal(json_number_to_double(longnum, sizeof(longnum), &d), 0);
	assert_true(fabs(d - 1.1111111111111111) < 1e-15);
}

static void test_format_numbers(void **state)
{
	static const struct {
		double d;
		const char *text;
	} dbl[] = {
		{ 0, "0" }, { -0.0, "-0" }, { 0.1, "0.1" }, { 100, "100" }, { 1e15, "1000000000000000" },
		{ 1e16, "1e+16" }, { 0.0001, "0.0001" }, { 0.00001, "1e-05" }, { 1.0 / 3, "0.3333333333333333" },
		{ 5e-324, "5e-324" }, { DBL_MAX, "1.7976931348623157e+308" }, { -123.456, "-123.456" },
		{ 9007199254740993.0, "9007199254740992" },
	};
	static const struct {
		float f;
		const char *text;
	} flt[] = {
		{ 0.1f, "0.1" }, { 1.0f / 3, "0.33333334" }, { 16777216.0f, "16777216" }, { 1e-45f, "1e-45" },
		{ FLT_MAX, "3.4028234663852886e+38" }, { -FLT_MAX, "-3.4028234663852886e+38" },
		{ 3.4028233e38f, "3.4028233e+38" }, { 2.5f, "2.5" },
	};
	char buf[40];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(dbl); i++) {
		int n = json_format_double(buf, sizeof(buf), dbl[i].d);

		assert_int_equal(n, (int)strlen(dbl[i].text));
		assert_string_equal(buf, dbl[i].text);
		assert_true(strtod(buf, NULL) == dbl[i].d);
	}
	for (i = 0; i < ARRAY_LEN(flt); i++) {
		int n = json_format_float(buf, sizeof(buf), flt[i].f);

		assert_int_equal(n, (int)strlen(flt[i].text));
		assert_string_equal(buf, flt[i].text);
		assert_true(strtof(buf, NULL) == flt[i].f);
	}
	assert_int_equal(json_format_double(buf, sizeof(buf), NAN), -EDOM);
	assert_int_equal(json_format_double(buf, sizeof(buf), -INFINITY), -EDOM);
	assert_int_equal(json_format_float(buf, sizeof(buf), INFINITY), -EDOM);
}

/* ---- writer ------------------------------------------------------------------------- */

static char *finish_ok(struct json_writer *w)
{
	char *out = NULL;
	size_t len = 0;
	int rc = json_writer_finish(w, &out, &len);

	if (rc != 0)
		fail_msg("json_writer_finish: %d", rc);
	assert_non_null(out);
	assert_int_equal(len, strlen(out));
	return out;
}

static void write_sample(struct json_writer *w)
{
	json_write_object_begin(w);
	json_write_key(w, "s", 1);
	json_write_string(w, "a\"b\\c\x01\x1f\n\r\t\b\f\x7f\xc3\xa9/", 16);
	json_write_key(w, "n", 1);
	json_write_array_begin(w);
	json_write_i64(w, INT64_MIN);
	json_write_u64(w, UINT64_MAX);
	json_write_double(w, 0.1);
	json_write_float(w, 0.1f);
	json_write_bool(w, true);
	json_write_null(w);
	json_write_array_end(w);
	json_write_key(w, "e", 1);
	json_write_object_begin(w);
	json_write_object_end(w);
	json_write_key(w, "a", 1);
	json_write_array_begin(w);
	json_write_array_end(w);
	json_write_key(w, "z", 1);
	json_write_string(w, "\0", 1);
	json_write_object_end(w);
}

static void test_writer_compact_and_pretty(void **state)
{
	struct json_writer w;
	char *out;

	(void)state;
	json_writer_init(&w, false, 0);
	write_sample(&w);
	out = finish_ok(&w);
	assert_string_equal(out, "{\"s\":\"a\\\"b\\\\c\\u0001\\u001f\\n\\r\\t\\b\\f\x7f\xc3\xa9/\","
				 "\"n\":[-9223372036854775808,18446744073709551615,0.1,0.1,true,null],"
				 "\"e\":{},\"a\":[],\"z\":\"\\u0000\"}");
	free(out);
	json_writer_release(&w);

	json_writer_init(&w, true, 0);
	write_sample(&w);
	out = finish_ok(&w);
	assert_string_equal(out, "{\n"
				 "  \"s\": \"a\\\"b\\\\c\\u0001\\u001f\\n\\r\\t\\b\\f\x7f\xc3\xa9/\",\n"
				 "  \"n\": [\n"
				 "    -9223372036854775808,\n"
				 "    18446744073709551615,\n"
				 "    0.1,\n"
				 "    0.1,\n"
				 "    true,\n"
				 "    null\n"
				 "  ],\n"
				 "  \"e\": {},\n"
				 "  \"a\": [],\n"
				 "  \"z\": \"\\u0000\"\n"
				 "}");
	free(out);
	/* a bare scalar is a document */
	json_writer_init(&w, true, 0);
	json_write_string(&w, "x", 1);
	out = finish_ok(&w);
	assert_string_equal(out, "\"x\"");
	free(out);
}

static void test_writer_round_trip(void **state)
{
	struct json_writer w;
	struct json_doc *doc;
	const struct json_value *v;
	char s[256], *out;
	size_t i, n = 0;

	(void)state;
	/* every byte that may appear in a UTF-8 string, alone or in a sequence */
	for (i = 0; i < 0x80; i++)
		s[n++] = (char)i;
	memcpy(s + n, "\xc2\x80\xe2\x80\xa8\xf4\x8f\xbf\xbf", 9);
	n += 9;
	json_writer_init(&w, false, 0);
	json_write_array_begin(&w);
	json_write_string(&w, s, n);
	json_write_double(&w, 1e-300);
	json_write_array_end(&w);
	out = finish_ok(&w);
	doc = parse_ok(out);
	v = json_doc_root(doc)->child;
	assert_int_equal(v->len, n);
	assert_memory_equal(v->str, s, n);
	assert_string_equal(v->next->str, "1e-300");
	json_doc_free(doc);
	free(out);
}

static void test_writer_errors(void **state)
{
	struct json_writer w;
	char *out = (char *)&out;
	int i;

	(void)state;
	/* not UTF-8 */
	json_writer_init(&w, false, 0);
	json_write_array_begin(&w);
	json_write_string(&w, "\xc0\x80", 2);
	json_write_array_end(&w);
	assert_int_equal(json_writer_finish(&w, &out, NULL), -EILSEQ);
	assert_null(out);
	json_writer_init(&w, false, 0);
	json_write_object_begin(&w);
	json_write_key(&w, "\xff", 1);
	assert_int_equal(w.rc, -EILSEQ);
	json_writer_release(&w);
	/* a value in an object needs a key; a key outside an object is wrong */
	json_writer_init(&w, false, 0);
	json_write_object_begin(&w);
	json_write_i64(&w, 1);
	assert_int_equal(json_writer_finish(&w, &out, NULL), -EINVAL);
	json_writer_init(&w, false, 0);
	json_write_array_begin(&w);
	json_write_key(&w, "k", 1);
	assert_int_equal(w.rc, -EINVAL);
	json_writer_release(&w);
	json_writer_init(&w, false, 0);
	json_write_key(&w, "k", 1);
	assert_int_equal(w.rc, -EINVAL);
	json_writer_release(&w);
	/* two keys in a row, mismatched ends, unfinished, two documents */
	json_writer_init(&w, false, 0);
	json_write_object_begin(&w);
	json_write_key(&w, "a", 1);
	json_write_key(&w, "b", 1);
	assert_int_equal(w.rc, -EINVAL);
	json_writer_release(&w);
	json_writer_init(&w, false, 0);
	json_write_object_begin(&w);
	json_write_array_end(&w);
	assert_int_equal(w.rc, -EINVAL);
	json_writer_release(&w);
	json_writer_init(&w, false, 0);
	json_write_object_begin(&w);
	json_write_key(&w, "a", 1);
	json_write_object_end(&w);
	assert_int_equal(w.rc, -EINVAL);
	json_writer_release(&w);
	json_writer_init(&w, false, 0);
	json_write_array_begin(&w);
	assert_int_equal(json_writer_finish(&w, &out, NULL), -EINVAL);
	json_writer_init(&w, false, 0);
	assert_int_equal(json_writer_finish(&w, &out, NULL), -EINVAL);
	json_writer_init(&w, false, 0);
	json_write_null(&w);
	json_write_null(&w);
	assert_int_equal(json_writer_finish(&w, &out, NULL), -EINVAL);
	/* no literal for NaN */
	json_writer_init(&w, false, 0);
	json_write_double(&w, NAN);
	assert_int_equal(json_writer_finish(&w, &out, NULL), -EDOM);
	/* depth */
	json_writer_init(&w, false, 0);
	for (i = 0; i < (int)JSON_WRITER_MAX_DEPTH; i++)
		json_write_array_begin(&w);
	assert_int_equal(w.rc, 0);
	json_write_array_begin(&w);
	assert_int_equal(w.rc, -E2BIG);
	json_writer_release(&w);
	/* size */
	json_writer_init(&w, false, 16);
	json_write_string(&w, "0123456789abc", 13);
	out = finish_ok(&w);
	assert_int_equal(strlen(out), 15);
	free(out);
	json_writer_init(&w, false, 16);
	json_write_string(&w, "0123456789abcd", 14);
	assert_int_equal(json_writer_finish(&w, &out, NULL), -E2BIG);
	assert_null(out);
	json_writer_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_size_and_value_limits),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_number_to_int),
		cmocka_unit_test(test_number_to_double),
		cmocka_unit_test(test_format_numbers),
		cmocka_unit_test(test_writer_compact_and_pretty),
		cmocka_unit_test(test_writer_round_trip),
		cmocka_unit_test(test_writer_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
