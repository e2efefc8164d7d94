/* Unit tests: dom0/core/base64 — RFC 4648 vectors, variants, hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

static void
test_rfc4648_vectors(void **state)
{
	static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
				      "Zm9vYmFy" };
	char enc[16];
	uint8_t dec[16];

	(void)state;
	for (int i = 0; i < 7; i++) {
		assert_int_equal(base64_encode((const uint8_t *)in[i], strlen(in[i]), enc, sizeof(enc)),
				 strlen(want[i]));
		assert_string_equal(enc, want[i]);
		assert_int_equal(base64_decode(want[i], strlen(want[i]), dec, sizeof(dec), NULL),
				 strlen(in[i]));
		assert_memory_equal(dec, in[i], strlen(in[i]));
	}
}

static void
test_variants_accepted(void **state)
{
	uint8_t dec[16];

	(void)state;
	assert_int_equal(base64_decode("Zm9vYg", 6, dec, sizeof(dec), NULL), 4); /* unpadded */
	assert_int_equal(base64_decode("Zm9v\nYmFy\r\n", 11, dec, sizeof(dec), NULL), 6);
	assert_int_equal(base64_decode("-_-_", 4, dec, sizeof(dec), NULL), 3); /* URL-safe */
	assert_int_equal(dec[0], 0xfb);
}

static void
test_hostile_input(void **state)
{
	uint8_t dec[4];
	char err[80];

	(void)state;
	assert_int_equal(base64_decode("Zm9v!", 5, dec, sizeof(dec), err), -EBADMSG);
	assert_non_null(strstr(err, "invalid character at offset 4"));
	assert_int_equal(base64_decode("Zg==Zg", 6, dec, sizeof(dec), err), -EBADMSG);
	assert_non_null(strstr(err, "data after padding"));
	assert_int_equal(base64_decode("Zh==", 4, dec, sizeof(dec), err), -EBADMSG); /* bits */
	assert_int_equal(base64_decode("Z", 1, dec, sizeof(dec), err), -EBADMSG);
	assert_int_equal(base64_decode("Zm9v===", 7, dec, sizeof(dec), err), -EBADMSG);
	assert_int_equal(base64_decode("Zm9vYmFy", 8, dec, sizeof(dec), err), -ENOSPC);
	char small[4];
	assert_int_equal(base64_encode((const uint8_t *)"foo", 3, small, sizeof(small)), -ENOSPC);
}

static void
test_round_trip_all_lengths(void **state)
{
	uint8_t raw[300], dec[300];
	char enc[BASE64_ENCODED_LEN(300) + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof(raw); n++) {
		long e = base64_encode(raw, n, enc, sizeof(enc));
		assert_int_equal(e, BASE64_ENCODED_LEN(n));
		assert_int_equal(base64_decode(enc, (size_t)e, dec, sizeof(dec), NULL), n);
		assert_memory_equal(dec, raw, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_variants_accepted),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_round_trip_all_lengths),
	};
	return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
