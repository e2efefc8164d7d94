/*
 * hv_golden: golden-file comparison for the hv unit tests.  The expected text
 * lives in tests/unit/golden/hv/NAME (tests run from the repository root);
 * EV_GOLDEN_UPDATE=1 rewrites the files instead of comparing (review the diff).
 */
#ifndef EV_HV_GOLDEN_H
#define EV_HV_GOLDEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
hv_golden_check(const char *name, const char *got)
{
	char path[256];
	const char *upd = getenv("EV_GOLDEN_UPDATE");
	FILE *f;
	char *want = NULL;
	long n;

	snprintf(path, sizeof path, "tests/unit/golden/hv/%s", name);
	if (upd && strcmp(upd, "1") == 0) {
		f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(got, 1, strlen(got), f), strlen(got));
		assert_int_equal(fclose(f), 0);
		return;
	}
	f = fopen(path, "rb");
	if (!f)
		fail_msg("golden file %s is missing (EV_GOLDEN_UPDATE=1 writes it)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	want = calloc(1, (size_t)n + 1);
	assert_non_null(want);
	assert_int_equal(fread(want, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (strcmp(want, got) != 0) {
		size_t i = 0;

		while (want[i] && want[i] == got[i])
			i++;
		print_error("golden %s differs at byte %zu:\n--- want\n%s\n--- got\n%s\n", path, i,
			    want, got);
		free(want);
		fail_msg("golden %s differs", path);
	}
	free(want);
}

#endif
