/*
 * Unit tests: hv_pci_driver, dom0's view of a PCI function (which driver
 * holds it: "pciback" = assignable to a Xen guest), on a sysfs tree of the
 * test's own making.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv.h"

static char root[64];

static void
mkdirs(const char *rel)
{
	char p[512], *c;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (c = p + strlen(root) + 1; (c = strchr(c, '/')); c++) {
		*c = '\0';
		mkdir(p, 0755);
		*c = '/';
	}
	assert_int_equal(mkdir(p, 0755), 0);
}

static void
bind(const char *bdf, const char *drv)
{
	char p[512], t[256];

	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s/driver", root, bdf);
	snprintf(t, sizeof(t), "../../../bus/pci/drivers/%s", drv);
	assert_int_equal(symlink(t, p), 0);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_hv_pci.XXXXXX");
	assert_non_null(mkdtemp(root));
	mkdirs("bus/pci/drivers/pciback");
	mkdirs("bus/pci/drivers/e1000e");
	mkdirs("bus/pci/devices/0000:00:04.0");
	mkdirs("bus/pci/devices/0000:00:03.0");
	mkdirs("bus/pci/devices/0000:03:1f.7");
	bind("0000:00:04.0", "pciback");
	bind("0000:00:03.0", "e1000e");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_bound(void **state)
{
	char drv[32];

	(void)state;
	assert_int_equal(hv_pci_driver(root, "0000:00:04.0", drv, sizeof(drv)), 0);
	assert_string_equal(drv, "pciback");
	assert_int_equal(hv_pci_driver(root, "0000:00:03.0", drv, sizeof(drv)), 0);
	assert_string_equal(drv, "e1000e");
	/* the short form and upper case name the same function */
	assert_int_equal(hv_pci_driver(root, "00:04.0", drv, sizeof(drv)), 0);
	assert_string_equal(drv, "pciback");
	assert_int_equal(hv_pci_driver(root, "0000:03:1F.7", drv, sizeof(drv)), 0);
	assert_string_equal(drv, "");
}

static void
test_unbound_and_missing(void **state)
{
	char drv[32] = "x";

	(void)state;
	assert_int_equal(hv_pci_driver(root, "0000:03:1f.7", drv, sizeof(drv)), 0);
	assert_string_equal(drv, "");
	strcpy(drv, "x");
	assert_int_equal(hv_pci_driver(root, "0000:00:05.0", drv, sizeof(drv)), -ENOENT);
	assert_string_equal(drv, "");
}

static void
test_refused(void **state)
{
	char drv[32], tiny[4];

	(void)state;
	assert_int_equal(hv_pci_driver(root, "../../etc", drv, sizeof(drv)), -EINVAL);
	assert_int_equal(hv_pci_driver(root, "0000:00:04.0/..", drv, sizeof(drv)), -EINVAL);
	assert_int_equal(hv_pci_driver(root, "0000:00:20.0", drv, sizeof(drv)), -EINVAL);
	assert_int_equal(hv_pci_driver(root, "", drv, sizeof(drv)), -EINVAL);
	/* "pciback" does not fit in 4 bytes: refused, not cut */
	assert_int_equal(hv_pci_driver(root, "0000:00:04.0", tiny, sizeof(tiny)), -ENAMETOOLONG);
	assert_string_equal(tiny, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_unbound_and_missing),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
