/* Unit tests: dom0/evc/cfgdiff — added, removed, changed, unchanged. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgdiff.h"

typedef Org__Lfedge__Eve__Config__EdgeDevConfig Cfg;
typedef Org__Lfedge__Eve__Config__AppInstanceConfig App;
typedef Org__Lfedge__Eve__Config__UUIDandVersion UV;
typedef Org__Lfedge__Eve__Config__ConfigItem Item;

struct fixture {
	Cfg c;
	App apps[8], *appp[8];
	UV uv[8];
	Item items[4], *itemp[4];
};

static void
build(struct fixture *f, const char *const *ids, const char *const *vers, size_t n,
      const char *const *kv, size_t nkv)
{
	org__lfedge__eve__config__edge_dev_config__init(&f->c);
	for (size_t i = 0; i < n; i++) {
		org__lfedge__eve__config__app_instance_config__init(&f->apps[i]);
		org__lfedge__eve__config__uuidand_version__init(&f->uv[i]);
		f->uv[i].uuid = (char *)ids[i];
		f->uv[i].version = (char *)vers[i];
		f->apps[i].uuidandversion = &f->uv[i];
		f->appp[i] = &f->apps[i];
	}
	f->c.n_apps = n;
	f->c.apps = f->appp;
	for (size_t i = 0; i < nkv; i++) {
		org__lfedge__eve__config__config_item__init(&f->items[i]);
		f->items[i].key = (char *)kv[2 * i];
		f->items[i].value = (char *)kv[2 * i + 1];
		f->itemp[i] = &f->items[i];
	}
	f->c.n_configitems = nkv;
	f->c.configitems = f->itemp;
}

static void
test_apps_and_items(void **state)
{
	struct fixture a, b;
	struct cfgdiff d;
	const char *ida[] = { "u1", "u2", "u3" }, *va[] = { "1", "1", "1" };
	const char *idb[] = { "u4", "u3", "u1" }, *vb[] = { "1", "2", "1" };
	const char *kva[] = { "k1", "a", "k2", "b" }, *kvb[] = { "k2", "c", "k3", "d" };

	(void)state;
	build(&a, ida, va, 3, kva, 2);
	build(&b, idb, vb, 3, kvb, 2);
	assert_int_equal(cfgdiff_compute(&a.c, &b.c, &d), 0);
	/* u2 removed, u4 added, u3 changed version, u1 same */
	assert_int_equal(d.apps.added, 1);
	assert_int_equal(d.apps.removed, 1);
	assert_int_equal(d.apps.changed, 1);
	assert_int_equal(d.apps.same, 1);
	/* k1 removed, k3 added, k2 changed value */
	assert_int_equal(d.items.added, 1);
	assert_int_equal(d.items.removed, 1);
	assert_int_equal(d.items.changed, 1);
	assert_int_equal(d.items.same, 0);
	/* from nothing: all added */
	assert_int_equal(cfgdiff_compute(NULL, &b.c, &d), 0);
	assert_int_equal(d.apps.added, 3);
	assert_int_equal(d.apps.removed + d.apps.changed + d.apps.same, 0);
	/* identical: all same */
	assert_int_equal(cfgdiff_compute(&b.c, &b.c, &d), 0);
	assert_int_equal(d.apps.same, 3);
	assert_int_equal(d.items.same, 2);
	assert_int_equal(d.apps.added + d.apps.removed + d.apps.changed, 0);
}

static void
test_app_without_identity(void **state)
{
	struct fixture a;
	struct cfgdiff d;
	const char *id[] = { "u1" }, *v[] = { "1" };

	(void)state;
	build(&a, id, v, 1, NULL, 0);
	a.apps[0].uuidandversion = NULL; /* hostile config: no id at all */
	assert_int_equal(cfgdiff_compute(&a.c, &a.c, &d), 0);
	assert_int_equal(d.apps.same, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apps_and_items),
		cmocka_unit_test(test_app_without_identity),
	};
	return cmocka_run_group_tests_name("cfgdiff", tests, NULL, NULL);
}
