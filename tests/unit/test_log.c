/* Unit tests: dom0/core/log — ring, sanitising, levels, sinks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static struct log_entry
entry(const char *text)
{
	struct log_entry e;

	memset(&e, 0, sizeof(e));
	snprintf(e.text, sizeof(e.text), "%s", text);
	return e;
}

static void
test_ring_order_and_cursor(void **state)
{
	struct log_entry slots[4], out, e;
	struct log_ring r;
	uint64_t cur = 0, lost = 99;
	char want[8];

	(void)state;
	log_ring_init(&r, slots, 4);
	assert_int_equal(log_ring_read(&r, &cur, &out, &lost), -EAGAIN);
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "m%d", i);
		e = entry(want);
		assert_int_equal(log_ring_push(&r, &e), (uint64_t)i + 1);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "m%d", i);
		assert_int_equal(log_ring_read(&r, &cur, &out, &lost), 0);
		assert_int_equal(lost, 0);
		assert_string_equal(out.text, want);
		assert_int_equal(out.seq, (uint64_t)i + 1);
	}
	assert_int_equal(log_ring_read(&r, &cur, &out, &lost), -EAGAIN);
	assert_int_equal(cur, 3);
}

static void
test_ring_overwrite_reports_loss(void **state)
{
	struct log_entry slots[4], out, e;
	struct log_ring r;
	uint64_t cur = 0, lost = 0;
	char t[8];

	(void)state;
	log_ring_init(&r, slots, 4);
	for (int i = 1; i <= 10; i++) {
		snprintf(t, sizeof(t), "m%d", i);
		e = entry(t);
		log_ring_push(&r, &e);
	}
	/* entries 1..6 were overwritten; the reader resumes at 7 and is told */
	assert_int_equal(log_ring_read(&r, &cur, &out, &lost), 0);
	assert_int_equal(lost, 6);
	assert_string_equal(out.text, "m7");
	assert_int_equal(out.seq, 7);
	for (int i = 8; i <= 10; i++) {
		assert_int_equal(log_ring_read(&r, &cur, &out, &lost), 0);
		assert_int_equal(lost, 0);
		assert_int_equal(out.seq, (uint64_t)i);
	}
	assert_int_equal(log_ring_read(&r, &cur, &out, &lost), -EAGAIN);
}

static void
test_sanitize_control_bytes(void **state)
{
	char out[64];

	(void)state;
	log_sanitize(out, sizeof(out), "a\nb\rc\x1b[31md\x7f" "e\tf");
	assert_string_equal(out, "a?b?c?[31md?e\tf");
}

static void
test_sanitize_utf8(void **state)
{
	char out[64];

	(void)state;
	log_sanitize(out, sizeof(out), "caf\xc3\xa9 \xe2\x82\xac");   /* valid: kept */
	assert_string_equal(out, "caf\xc3\xa9 \xe2\x82\xac");
	log_sanitize(out, sizeof(out), "x\xc3(y");                    /* bad continuation */
	assert_string_equal(out, "x?(y");
	log_sanitize(out, sizeof(out), "\xc0\xaf");                   /* overlong '/' */
	assert_string_equal(out, "??");
	log_sanitize(out, sizeof(out), "\xed\xa0\x80");               /* surrogate */
	assert_string_equal(out, "???");
	log_sanitize(out, sizeof(out), "\xf4\x90\x80\x80");           /* > U+10FFFF */
	assert_string_equal(out, "????");
	log_sanitize(out, sizeof(out), "end\xe2\x82");                /* cut sequence */
	assert_string_equal(out, "end??");
}

static void
test_sanitize_cut_marks_and_keeps_utf8_whole(void **state)
{
	char out[10];

	(void)state;
	log_sanitize(out, sizeof(out), "0123456789abcdef");
	assert_string_equal(out, "012345...");
	/* the cut never leaves half a multi-byte character */
	log_sanitize(out, sizeof(out), "abcd\xc3\xa9\xc3\xa9\xc3\xa9zz");
	assert_true(strlen(out) <= sizeof(out) - 1);
	assert_string_equal(out, "abcd\xc3\xa9...");
	log_sanitize(out, sizeof(out), "short");
	assert_string_equal(out, "short");
}

struct captured {
	int n;
	struct log_entry last;
};

static void
capture_sink(const struct log_entry *e, void *arg)
{
	struct captured *c = arg;

	c->n++;
	c->last = *e;
}

static void
test_levels_sink_and_global_ring(void **state)
{
	struct captured cap = { 0 };
	struct log_ring *r = log_ring_global();
	uint64_t cur = r->next_seq - 1, lost;
	struct log_entry out;

	(void)state;
	log_init("unit", LOG_LEVEL_INFO);
	log_set_sink(capture_sink, &cap);
	log_debug("not shown %d", 1);
	assert_int_equal(cap.n, 0);
	log_info("hello %s %d", "world", 42);
	assert_int_equal(cap.n, 1);
	assert_string_equal(cap.last.text, "hello world 42");
	assert_string_equal(cap.last.source, "unit");
	assert_int_equal(cap.last.level, LOG_LEVEL_INFO);
	assert_true(cap.last.time_ns > 0);
	log_err("bad\ninput");
	assert_string_equal(cap.last.text, "bad?input");
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("now shown");
	assert_int_equal(cap.n, 3);
	/* all three are in the process's ring, in order */
	assert_int_equal(log_ring_read(r, &cur, &out, &lost), 0);
	assert_string_equal(out.text, "hello world 42");
	assert_int_equal(log_ring_read(r, &cur, &out, &lost), 0);
	assert_string_equal(out.text, "bad?input");
	assert_int_equal(log_ring_read(r, &cur, &out, &lost), 0);
	assert_string_equal(out.text, "now shown");
	log_set_sink(NULL, NULL);
}

static void
test_long_message_is_cut(void **state)
{
	struct captured cap = { 0 };
	char big[1000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_init("unit", LOG_LEVEL_INFO);
	log_set_sink(capture_sink, &cap);
	log_info("%s", big);
	log_set_sink(NULL, NULL);
	assert_int_equal(strlen(cap.last.text), LOG_TEXT_MAX - 1);
	assert_memory_equal(cap.last.text + LOG_TEXT_MAX - 4, "...", 3);
}

static void
test_relay_resanitizes_hostile_entry(void **state)
{
	struct captured cap = { 0 };
	struct log_entry e;

	(void)state;
	/* an entry as a misbehaving role could send it: no NULs, raw escapes */
	memset(&e, 'A', sizeof(e));
	e.level = 200;
	e.text[10] = '\x1b';
	log_init("unit", LOG_LEVEL_DEBUG);
	log_set_sink(capture_sink, &cap);
	log_relay(&e);
	log_set_sink(NULL, NULL);
	assert_int_equal(cap.n, 1);
	assert_int_equal(cap.last.level, LOG_LEVEL_DEBUG);
	assert_true(strlen(cap.last.source) < LOG_SOURCE_MAX);
	assert_true(strlen(cap.last.text) < LOG_TEXT_MAX);
	assert_null(strchr(cap.last.text, '\x1b'));
}

static void
test_level_names(void **state)
{
	(void)state;
	assert_int_equal(log_level_parse("warn"), LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("debug"), LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("loud"), -EINVAL);
	assert_string_equal(log_level_name(LOG_LEVEL_ERR), "err");
	assert_string_equal(log_level_name(99), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_order_and_cursor),
		cmocka_unit_test(test_ring_overwrite_reports_loss),
		cmocka_unit_test(test_sanitize_control_bytes),
		cmocka_unit_test(test_sanitize_utf8),
		cmocka_unit_test(test_sanitize_cut_marks_and_keeps_utf8_whole),
		cmocka_unit_test(test_levels_sink_and_global_ring),
		cmocka_unit_test(test_long_message_is_cut),
		cmocka_unit_test(test_relay_resanitizes_hostile_entry),
		cmocka_unit_test(test_level_names),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
