/* Unit tests: controller/store — tenancy, onboarding rules, config, history. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

static char dir[] = "/tmp/test-store.XXXXXX";
static char path[64];

static void
fake_cert(uint8_t der[8], uint8_t hash[32], int n)
{
	memset(der, n, 8);
	memset(hash, n, 32);
}

static int
setup(void **state)
{
	static struct store st;

	if (!dir[strlen(dir) - 1] || !mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/evc.db", dir);
	unlink(path);
	if (store_open(&st, path) < 0)
		return -1;
	*state = &st;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	store_close(*state);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
	return 0;
}

static void
test_register_new_then_repeat(void **state)
{
	struct store *st = *state;
	struct store_onboard o;
	struct store_device d;
	uint8_t ob[8], obh[32], dc[8], dch[32];
	char u1[37], u2[37];

	fake_cert(ob, obh, 1);
	fake_cert(dc, dch, 2);
	assert_int_equal(store_onboard_add(st, "acme", "plant1", ob, 8, obh, "S1"), 0);
	assert_int_equal(store_onboard_find(st, obh, &o), 0);
	assert_string_equal(o.enterprise, "acme");
	assert_string_equal(o.project, "plant1");
	assert_int_equal(store_device_register(st, o.id, dc, 8, dch, "S1", "soft1", u1), 1);
	assert_int_equal(strlen(u1), 36);
	assert_int_equal(u1[14], '4'); /* a v4 uuid */
	/* the same device again: 200, same uuid, no duplicate */
	assert_int_equal(store_device_register(st, o.id, dc, 8, dch, "S1", "soft1", u2), 0);
	assert_string_equal(u1, u2);
	assert_int_equal(store_device_by_cert(st, dch, &d), 0);
	assert_string_equal(d.uuid, u1);
	assert_string_equal(d.serial, "S1");
	assert_string_equal(d.soft_serial, "soft1");
	assert_int_equal(d.state, STORE_DEV_ONBOARDED);
	assert_memory_equal(d.cert_der, dc, 8);
	store_device_free(&d);
	store_onboard_free(&o);
}

static void
test_serial_rules(void **state)
{
	struct store *st = *state;
	struct store_onboard oa, ob;
	uint8_t ca[8], cah[32], cb[8], cbh[32], d1[8], d1h[32], d2[8], d2h[32];
	char u[37];

	fake_cert(ca, cah, 10);
	fake_cert(cb, cbh, 11);
	fake_cert(d1, d1h, 12);
	fake_cert(d2, d2h, 13);
	assert_int_equal(store_onboard_add(st, "A", "p", ca, 8, cah, "SA"), 0);
	assert_int_equal(store_onboard_add(st, "B", "p", cb, 8, cbh, "*"), 0);
	/* a serial claimed by A cannot be claimed by B */
	assert_int_equal(store_onboard_add(st, "B", "p", cb, 8, cbh, "SA"), -EADDRINUSE);
	assert_non_null(strstr(st->err, "already claimed by enterprise 'A'"));
	/* an onboarding cert belongs to one enterprise */
	assert_int_equal(store_onboard_add(st, "B", "p", ca, 8, cah, "X"), -EEXIST);
	assert_int_equal(store_onboard_find(st, cah, &oa), 0);
	assert_int_equal(store_onboard_find(st, cbh, &ob), 0);
	/* A's serial through B's wildcard cert: 409, and it lands nowhere */
	assert_int_equal(store_device_register(st, ob.id, d1, 8, d1h, "SA", "", u), -EADDRINUSE);
	struct store_device d;
	assert_int_equal(store_device_by_cert(st, d1h, &d), -ENOENT);
	/* a serial A did not list: 403 */
	assert_int_equal(store_device_register(st, oa.id, d1, 8, d1h, "OTHER", "", u), -EACCES);
	assert_non_null(strstr(st->err, "not allowed"));
	/* B's wildcard takes any unclaimed serial */
	assert_int_equal(store_device_register(st, ob.id, d1, 8, d1h, "SB1", "", u), 1);
	/* the same serial with another device cert: 409 */
	assert_int_equal(store_device_register(st, ob.id, d2, 8, d2h, "SB1", "", u), -EADDRINUSE);
	/* once B has a device with serial SB1, A cannot claim SB1 */
	assert_int_equal(store_onboard_add(st, "A", "p", ca, 8, cah, "SB1"), -EADDRINUSE);
	store_onboard_free(&oa);
	store_onboard_free(&ob);
}

static void
test_preregistered(void **state)
{
	struct store *st = *state;
	struct store_device d;
	uint8_t dc[8], dch[32];
	char u[37], u2[37];

	fake_cert(dc, dch, 20);
	assert_int_equal(store_device_add(st, "acme", "factory", dc, 8, dch, "F1", u), 0);
	assert_int_equal(store_device_add(st, "acme", "factory", dc, 8, dch, "F1", u2), -EEXIST);
	assert_int_equal(store_device_by_uuid(st, u, &d), 0);
	assert_int_equal(d.state, STORE_DEV_PREREGISTERED);
	assert_string_equal(d.enterprise, "acme");
	assert_string_equal(d.project, "factory");
	assert_int_equal(d.last_seen, 0);
	store_device_free(&d);
	assert_int_equal(store_device_touch(st, u), 0);
	assert_int_equal(store_device_by_uuid(st, u, &d), 0);
	assert_true(d.last_seen > 0);
	store_device_free(&d);
	assert_int_equal(store_device_by_uuid(st, "no-such-uuid", &d), -ENOENT);
}

static void
test_config_hash(void **state)
{
	struct store *st = *state;
	uint8_t dc[8], dch[32], *pb;
	size_t len;
	char u[37], hash[65];

	fake_cert(dc, dch, 30);
	assert_int_equal(store_device_add(st, "e", "p", dc, 8, dch, "", u), 0);
	assert_int_equal(store_config_get(st, u, &pb, &len, hash), -ENOENT);
	assert_int_equal(store_config_set(st, u, (const uint8_t *)"abc", 3), 0);
	assert_int_equal(store_config_get(st, u, &pb, &len, hash), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(pb, "abc", 3);
	/* sha256("abc") */
	assert_string_equal(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	free(pb);
	assert_int_equal(store_config_set(st, "unknown", (const uint8_t *)"x", 1), -ENOENT);
}

struct seen {
	int n;
	char last[16];
};

static int
count(int64_t id, int64_t when, const uint8_t *data, size_t len, void *arg)
{
	struct seen *s = arg;

	(void)id;
	assert_true(when > 0);
	s->n++;
	snprintf(s->last, sizeof(s->last), "%.*s", (int)len, (const char *)data);
	return 0;
}

static void
test_history_bounded(void **state)
{
	struct store *st = *state;
	uint8_t dc[8], dch[32];
	struct seen s = { 0 };
	char u[37], rec[16];
	int64_t last;

	fake_cert(dc, dch, 40);
	assert_int_equal(store_device_add(st, "e", "p", dc, 8, dch, "", u), 0);
	st->history = 5;
	for (int i = 0; i < 12; i++) {
		snprintf(rec, sizeof(rec), "m%d", i);
		assert_int_equal(store_record_add(st, u, STORE_METRICS, (uint8_t *)rec, strlen(rec)), 0);
	}
	assert_int_equal(store_record_add(st, u, STORE_INFO, (uint8_t *)"i", 1), 0);
	assert_int_equal(store_record_list(st, u, STORE_METRICS, 0, 0, count, &s, &last), 0);
	assert_int_equal(s.n, 5); /* only the newest five kept */
	assert_string_equal(s.last, "m11");
	/* following from a cursor sees only newer ones */
	s.n = 0;
	assert_int_equal(store_record_add(st, u, STORE_METRICS, (uint8_t *)"m12", 3), 0);
	assert_int_equal(store_record_list(st, u, STORE_METRICS, last, 0, count, &s, &last), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.last, "m12");
	/* kinds are separate */
	s.n = 0;
	assert_int_equal(store_record_list(st, u, STORE_INFO, 0, 0, count, &s, NULL), 0);
	assert_int_equal(s.n, 1);
	st->history = STORE_HISTORY_DEFAULT;
}

static void
test_bad_file(void **state)
{
	struct store st2;
	char bad[80];
	FILE *f;

	(void)state;
	snprintf(bad, sizeof(bad), "%s/garbage.db", dir);
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("this is not a database, it is a text file that is long enough to look like one..."
	      "................................................................................",
	      f);
	fclose(f);
	assert_int_equal(store_open(&st2, bad), -EIO);
	assert_non_null(strstr(st2.err, bad));
	assert_int_equal(store_open(&st2, "/nonexistent-dir/x.db"), -EIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_new_then_repeat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preregistered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_file, setup, teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
