/*
 * appstatus: EVE's ZSwState names, and the evc role's checks of the status
 * and metrics bytes the apps role sends (good bytes pass; every mutation is
 * refused with a sentence).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "appstatus.h"

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"

static void
test_zsw_name(void **state)
{
	(void)state;
	assert_string_equal(zsw_name(ZSW_INVALID), "INVALID");
	assert_string_equal(zsw_name(ZSW_DOWNLOAD_STARTED), "DOWNLOAD_STARTED");
	assert_string_equal(zsw_name(7), "RUNNING");
	assert_string_equal(zsw_name(ZSW_VERIFYING), "VERIFYING");
	assert_string_equal(zsw_name(21), "ERROR");
	assert_string_equal(zsw_name(ZSW_START_DELAYED), "START_DELAYED");
	assert_string_equal(zsw_name(ZSW_SCHEDULING), "SCHEDULING");
	assert_string_equal(zsw_name(ZSW_MAX + 1), "?");
	assert_string_equal(zsw_name(UINT32_MAX), "?");
	for (uint32_t s = 0; s <= ZSW_MAX; s++)
		assert_string_not_equal(zsw_name(s), "?");
}

static struct apps_status *
status_new(void)
{
	struct apps_status *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->magic = APPSTATUS_MAGIC;
	s->version = APPSTATUS_VERSION;
	s->size = sizeof(*s);
	s->seq = 9;
	s->n_contents = 1;
	strcpy(s->contents[0].uuid, U1);
	strcpy(s->contents[0].name, "disk");
	s->contents[0].state = ZSW_DOWNLOAD_STARTED;
	s->contents[0].progress = 40;
	s->n_volumes = 1;
	strcpy(s->volumes[0].uuid, U2);
	strcpy(s->volumes[0].content_uuid, U1);
	s->volumes[0].state = ZSW_CREATING_VOLUME;
	s->n_apps = 1;
	strcpy(s->apps[0].uuid, U2);
	strcpy(s->apps[0].name, "web");
	s->apps[0].state = ZSW_RUNNING;
	s->apps[0].n_volumes = 1;
	strcpy(s->apps[0].volumes[0], U2);
	s->apps[0].n_adapters = 1;
	strcpy(s->apps[0].adapters[0].name, "COM1");
	strcpy(s->apps[0].err.text, "boot failed");
	s->n_gone = 1;
	s->gone[0].ztype = 3;
	strcpy(s->gone[0].uuid, U1);
	return s;
}

static void
test_status_check(void **state)
{
	struct apps_status *s = status_new(), *m = malloc(sizeof(*m));
	char err[256];

	(void)state;
	assert_non_null(m);
	assert_int_equal(appstatus_check(s, sizeof(*s), err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(appstatus_check(s, sizeof(*s) + 1, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "app status: "));
	assert_non_null(strstr(err, "bytes, expected"));

#define MUT(stmt, text)                                                                    \
	do {                                                                               \
		memcpy(m, s, sizeof(*s));                                                  \
		stmt;                                                                      \
		assert_int_equal(appstatus_check(m, sizeof(*m), err, sizeof(err)), -EBADMSG); \
		assert_non_null(strstr(err, text));                                        \
	} while (0)
	MUT(m->magic = 0, "magic 00000000");
	MUT(m->version = 3, "version 3");
	MUT(m->size = 0, "size 0");
	MUT(m->n_apps = PLAN_MAX_APPS + 1, "33 apps");
	MUT(m->n_gone = 100000, "100000 gone are over the bounds");
	MUT(m->contents[0].state = ZSW_MAX + 1, "content 0: state 25 is out of range");
	MUT(m->volumes[0].state = 1000, "volume 0: state 1000 is out of range");
	MUT(m->apps[0].state = UINT32_MAX, "app 0: state 4294967295 is out of range");
	MUT(m->contents[0].progress = 101, "progress 101 is over 100");
	MUT(memset(m->apps[0].name, 'x', sizeof(m->apps[0].name)), "app 0: name has no NUL");
	MUT(memset(m->apps[0].console, 'x', sizeof(m->apps[0].console)), "console has no NUL");
	MUT(memset(m->apps[0].err.text, 'x', sizeof(m->apps[0].err.text)), "err.text has no NUL");
	MUT(memset(m->contents[0].sha256, 'x', sizeof(m->contents[0].sha256)), "sha256 has no NUL");
	MUT(m->apps[0].uuid[3] = '/', "app 0: uuid is not a canonical UUID");
	MUT(m->apps[0].n_volumes = 9, "9 volumes");
	MUT(strcpy(m->apps[0].volumes[0], ".."), "app 0: volume 0 is not a canonical UUID");
	MUT(memset(m->apps[0].adapters[0].name, 'a', PLAN_LABEL), "app adapter 0: name has no NUL");
	MUT(strcpy(m->volumes[0].content_uuid, "x"), "volume 0: content_uuid");
	MUT(m->gone[0].ztype = 1, "gone 0: ztype 1 is not ZiApp");
	MUT(m->gone[0].uuid[0] = 0, "gone 0: uuid is not a canonical UUID");
#undef MUT
	free(m);
	free(s);
}

static void
test_metrics_check(void **state)
{
	struct apps_metrics *m = calloc(1, sizeof(*m));
	char err[256];

	(void)state;
	assert_non_null(m);
	m->n = 1;
	strcpy(m->m[0].uuid, U1);
	strcpy(m->m[0].name, "web");
	assert_int_equal(appmetrics_check(m, sizeof(*m), err, sizeof(err)), 0);
	assert_int_equal(appmetrics_check(m, 3, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "app metrics: 3 bytes, expected "));
	m->n = APPS_METRICS_MAX + 1;
	assert_int_equal(appmetrics_check(m, sizeof(*m), err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "app metrics: 33 entries, at most 32");
	m->n = 1;
	memset(m->m[0].name, 'n', sizeof(m->m[0].name));
	assert_int_equal(appmetrics_check(m, sizeof(*m), err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "app metrics: metric 0: name has no NUL");
	m->m[0].name[0] = 0;
	m->m[0].uuid[0] = 'Z';
	assert_int_equal(appmetrics_check(m, sizeof(*m), err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "app metrics: metric 0: uuid is not a canonical UUID");
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zsw_name),
		cmocka_unit_test(test_status_check),
		cmocka_unit_test(test_metrics_check),
	};

	return cmocka_run_group_tests_name("appstatus", tests, NULL, NULL);
}
