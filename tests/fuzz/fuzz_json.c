/*
 * libFuzzer target: the strict JSON parser and the writer (dom0/pbjson/json.h).
 *
 * For every input that parses: convert every number (exactly, as integers
 * and as doubles), print the tree again with the writer (compact, or pretty
 * when the input's first byte is odd), parse that, and require the very
 * same tree (types, decoded strings, number text, member names and order);
 * printing the second tree must give the same text again (numbers are
 * printed as strings holding their text, the writer having no raw-number
 * call).  Anything else
 * aborts.  Inputs that do not parse must leave nothing behind (ASan).
 * Seeds: tests/fuzz/corpus/json/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static volatile uint64_t fuzz_sink;

static void write_value(struct json_writer *w, const struct json_value *v)
{
	const struct json_value *c;

	switch (v->type) {
	case JSON_NULL:
		json_write_null(w);
		break;
	case JSON_BOOL:
		json_write_bool(w, v->boolean);
		break;
	case JSON_NUMBER: {
		int64_t i;
		uint64_t u;
		double d;

		/* the writer has no raw-number call: integers and doubles we can redo exactly */
		if (json_number_to_i64(v->str, v->len, &i) == 0)
			fuzz_sink += (uint64_t)i;
		if (json_number_to_u64(v->str, v->len, &u) == 0)
			fuzz_sink += u;
		if (json_number_to_double(v->str, v->len, &d) == 0)
			fuzz_sink += (uint64_t)(d != d);
		/* keep the text: write it as a string, the comparison knows */
		json_write_string(w, v->str, v->len);
		break;
	}
	case JSON_STRING:
		json_write_string(w, v->str, v->len);
		break;
	case JSON_ARRAY:
		json_write_array_begin(w);
		for (c = v->child; c != NULL; c = c->next)
			write_value(w, c);
		json_write_array_end(w);
		break;
	case JSON_OBJECT:
		json_write_object_begin(w);
		for (c = v->child; c != NULL; c = c->next) {
			json_write_key(w, c->key, c->key_len);
			write_value(w, c);
		}
		json_write_object_end(w);
		break;
	}
}

/* @b is @a printed (numbers became strings holding their text). */
static int same_tree(const struct json_value *a, const struct json_value *b)
{
	const struct json_value *x, *y;

	if (a->type == JSON_NUMBER)
		return b->type == JSON_STRING && a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case JSON_BOOL:
		return a->boolean == b->boolean;
	case JSON_STRING:
		return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	case JSON_ARRAY:
	case JSON_OBJECT:
		if (a->count != b->count)
			return 0;
		for (x = a->child, y = b->child; x != NULL && y != NULL; x = x->next, y = y->next) {
			if (a->type == JSON_OBJECT &&
			    (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len) != 0))
				return 0;
			if (!same_tree(x, y))
				return 0;
		}
		return x == NULL && y == NULL;
	default:
		return 1;
	}
}

static char *print(const struct json_value *v, int pretty, size_t *len)
{
	struct json_writer w;
	char *out = NULL;

	json_writer_init(&w, pretty, 0);
	write_value(&w, v);
	if (json_writer_finish(&w, &out, len) != 0)
		abort(); /* a parsed tree (depth <= 64, valid UTF-8) always prints */
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc *d1 = NULL, *d2 = NULL;
	char err[JSON_ERR_LEN];
	char *t1 = NULL, *t2 = NULL;
	size_t l1 = 0, l2 = 0;
	int pretty = size > 0 && (data[0] & 1);

	if (json_parse((const char *)data, size, NULL, &d1, err) != 0) {
		if (d1 != NULL || err[0] == '\0')
			abort();
		return 0;
	}
	t1 = print(json_doc_root(d1), pretty, &l1);
	if (json_parse(t1, l1, NULL, &d2, err) != 0)
		abort(); /* we printed something we cannot read */
	if (!same_tree(json_doc_root(d1), json_doc_root(d2)))
		abort();
	/* numbers are strings now, so printing the second tree gives the same text */
	t2 = print(json_doc_root(d2), pretty, &l2);
	if (l2 != l1 || memcmp(t1, t2, l1) != 0)
		abort();
	free(t2);
	free(t1);
	json_doc_free(d2);
	json_doc_free(d1);
	return 0;
}
