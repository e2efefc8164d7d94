/* Unit tests: dom0/evc/spool — order, persistence across reopen, bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spool.h"

static char dir[] = "/tmp/test-spool.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void
test_fifo_and_reopen(void **state)
{
	struct spool s;
	char d[128], err[SPOOL_ERR_MAX];
	uint8_t *data;
	size_t len;
	uint64_t seq;

	(void)state;
	snprintf(d, sizeof(d), "%s/a", dir);
	assert_int_equal(spool_open(&s, d, 1 << 20, 100, err), 0);
	assert_int_equal(spool_oldest(&s, &seq, &data, &len, err), -ENOENT);
	assert_int_equal(spool_put(&s, (const uint8_t *)"one", 3, err), 0);
	assert_int_equal(spool_put(&s, (const uint8_t *)"two", 3, err), 0);
	/* a restart (power cut) keeps what was spooled, in order */
	assert_int_equal(spool_open(&s, d, 1 << 20, 100, err), 0);
	assert_int_equal(spool_put(&s, (const uint8_t *)"three", 5, err), 0);
	const char *want[] = { "one", "two", "three" };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(spool_oldest(&s, &seq, &data, &len, err), 0);
		assert_int_equal(len, strlen(want[i]));
		assert_memory_equal(data, want[i], len);
		free(data);
		assert_int_equal(spool_remove(&s, seq), 0);
	}
	assert_int_equal(spool_oldest(&s, &seq, &data, &len, err), -ENOENT);
	assert_int_equal(s.dropped, 0);
}

static void
test_bounds_drop_oldest(void **state)
{
	struct spool s;
	char d[128], err[SPOOL_ERR_MAX], b[8];
	uint8_t *data;
	size_t len, bytes;
	unsigned files;
	uint64_t seq;

	(void)state;
	snprintf(d, sizeof(d), "%s/b", dir);
	assert_int_equal(spool_open(&s, d, 1 << 20, 3, err), 0);
	for (int i = 0; i < 5; i++) {
		snprintf(b, sizeof(b), "b%d", i);
		assert_int_equal(spool_put(&s, (const uint8_t *)b, 2, err), 0);
	}
	assert_int_equal(spool_stat(&s, &files, &bytes), 0);
	assert_int_equal(files, 3);
	assert_int_equal(s.dropped, 2);
	assert_int_equal(spool_oldest(&s, &seq, &data, &len, err), 0);
	assert_memory_equal(data, "b2", 2); /* b0 and b1 went */
	free(data);
	/* byte bound */
	snprintf(d, sizeof(d), "%s/c", dir);
	assert_int_equal(spool_open(&s, d, 10, 100, err), 0);
	assert_int_equal(spool_put(&s, (const uint8_t *)"123456", 6, err), 0);
	assert_int_equal(spool_put(&s, (const uint8_t *)"abcdef", 6, err), 0);
	assert_int_equal(spool_stat(&s, &files, &bytes), 0);
	assert_int_equal(files, 1);
	assert_int_equal(bytes, 6);
	assert_int_equal(s.dropped, 1);
}

static void
test_foreign_files_ignored(void **state)
{
	struct spool s;
	char d[128], err[SPOOL_ERR_MAX], path[160];
	uint8_t *data;
	size_t len;
	uint64_t seq;
	FILE *f;

	(void)state;
	snprintf(d, sizeof(d), "%s/d", dir);
	assert_int_equal(spool_open(&s, d, 1 << 20, 10, err), 0);
	snprintf(path, sizeof(path), "%s/notes.txt", d);
	f = fopen(path, "w");
	fputs("x", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/0000000000000001.gz.tmp", d);
	f = fopen(path, "w");
	fputs("half", f);
	fclose(f);
	assert_int_equal(spool_oldest(&s, &seq, &data, &len, err), -ENOENT);
	assert_int_equal(spool_open(&s, "/proc/no/such/spool", 10, 10, err) < 0, 1);
	assert_non_null(strstr(err, "/proc/no/such/spool"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_and_reopen),
		cmocka_unit_test(test_bounds_drop_oldest),
		cmocka_unit_test(test_foreign_files_ignored),
	};
	return cmocka_run_group_tests_name("spool", tests, setup, teardown);
}
