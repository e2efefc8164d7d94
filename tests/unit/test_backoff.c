/* Unit tests: dom0/evc/backoff — growth, cap, jitter range, reset. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backoff.h"

static void
test_grows_doubles_and_caps(void **state)
{
	struct backoff b;
	uint32_t want[] = { 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000 };

	(void)state;
	backoff_init(&b, 1000, 30000);
	/* random = d - d/2 picks the top of [d/2, d] */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint32_t hi = backoff_next(&b, want[i] - want[i] / 2); /* the maximum */
		assert_int_equal(hi, want[i]);
	}
}

static void
test_jitter_stays_in_range(void **state)
{
	struct backoff b;
	uint32_t seed = 12345;

	(void)state;
	for (int round = 0; round < 200; round++) {
		backoff_init(&b, 100, 5000);
		for (int i = 0; i < 10; i++) {
			uint32_t d = 100u << i, v;

			if (d > 5000)
				d = 5000;
			seed = seed * 1103515245u + 12345u;
			v = backoff_next(&b, seed);
			assert_true(v >= d / 2);
			assert_true(v <= d);
		}
	}
}

static void
test_reset_and_degenerate(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 1000, 60000);
	backoff_next(&b, 0);
	backoff_next(&b, 0);
	backoff_reset(&b);
	assert_int_equal(backoff_next(&b, 500), 1000);
	backoff_init(&b, 0, 0); /* nonsense in: still a positive delay */
	assert_true(backoff_next(&b, 7) >= 1);
	for (int i = 0; i < 1000; i++)
		backoff_next(&b, 0xffffffffu); /* no overflow after many failures */
	backoff_init(&b, 1000, 60000);
	for (int i = 0; i < 100; i++)
		assert_true(backoff_next(&b, 0xffffffffu) <= 60000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_doubles_and_caps),
		cmocka_unit_test(test_jitter_stays_in_range),
		cmocka_unit_test(test_reset_and_degenerate),
	};
	return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
