/*
 * Unit tests: dom0/apps/iomodel: the boards' io.json files parse into the
 * expected model; hostile io.json is refused with a reason; a config's
 * deviceIoList is checked entry by entry; adapter assignment gives whole
 * groups with the addresses a hypervisor needs, and refuses unknown groups,
 * type mismatches, dom0's and stub domains' ports and adapters another app
 * holds, granting nothing then; release gives them back.
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

#include "iomodel.h"

#define APP1 "11111111-1111-1111-1111-111111111111"
#define APP2 "22222222-2222-2222-2222-222222222222"

static struct iomodel host, q;

static const struct iomodel_entry *
entry(const struct iomodel *m, const char *label)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (!strcmp(m->e[i].io.phylabel, label))
			return &m->e[i];
	return NULL;
}

static void
test_boards_parse(void **state)
{
	char err[IOMODEL_ERR_MAX];
	const struct iomodel_entry *e;

	(void)state;
	assert_int_equal(iomodel_load("board/host/io.json", &host, err, sizeof(err)), 0);
	assert_int_equal(host.n, 5);
	e = entry(&host, "COM1");
	assert_non_null(e);
	assert_int_equal(e->io.ptype, IOMODEL_PT_COM);
	assert_string_equal(e->io.serial, "/dev/ttyS1");
	assert_int_equal(e->io.usage, IOMODEL_USAGE_DEDICATED);

	assert_int_equal(iomodel_load("board/qemu-x86_64/io.json", &q, err, sizeof(err)), 0);
	assert_int_equal(q.n, 4);
	e = entry(&q, "eth0");
	assert_non_null(e);
	assert_string_equal(e->io.pcilong, "0000:00:03.0");
	assert_string_equal(e->io.ifname, "eth0");
	assert_int_equal(e->io.usage, IOMODEL_USAGE_MGMT_AND_APPS);
	e = entry(&q, "fieldbus");
	assert_non_null(e);
	assert_int_equal(e->io.ptype, IOMODEL_PT_OTHER);
	assert_string_equal(e->io.pcilong, "0000:00:04.0");
	e = entry(&q, "COM2");
	assert_string_equal(e->io.serial, "/dev/ttyS1");
	assert_int_equal(iomodel_load("board/none/io.json", &q, err, sizeof(err)), -ENOENT);
	assert_int_equal(iomodel_load("board/qemu-x86_64/io.json", &q, err, sizeof(err)), 0);
}

static int
parse(const char *json, char *err)
{
	struct iomodel m;

	return iomodel_parse(json, strlen(json), &m, err, IOMODEL_ERR_MAX);
}

#define IO(body) "{\"deviceIoList\":[" body "]}"

static void
test_hostile_json(void **state)
{
	char err[IOMODEL_ERR_MAX], *big;
	struct { const char *json, *want; int rc; } cases[] = {
		{ "", "io.json", -EINVAL },
		{ "{\"deviceIoList\":", "io.json", -EINVAL },
		{ "[]", "io.json", -EINVAL },
		{ "{\"apps\":[{}]}", "only deviceIoList", -EINVAL },
		{ IO("{\"ptype\":\"PhyIoCOM\",\"assigngrp\":\"g\"}"), "no phylabel", -EINVAL },
		{ IO("{\"ptype\":\"PhyIoCOM\",\"phylabel\":\"c\"}"), "no assigngrp", -EINVAL },
		{ IO("{\"ptype\":\"PhyIoNoop\",\"phylabel\":\"c\",\"assigngrp\":\"g\"}"),
		  "not a known value", -EINVAL },
		{ IO("{\"ptype\":77,\"phylabel\":\"c\",\"assigngrp\":\"g\"}"), "not a known value",
		  -EINVAL },
		{ IO("{\"ptype\":\"PhyIoCOM\",\"phylabel\":\"c\",\"assigngrp\":\"g\","
		     "\"phyaddrs\":{\"serial\":\"ttyS1\"}}"), "'ttyS1' is not a /dev path", -EINVAL },
		{ IO("{\"ptype\":\"PhyIoCOM\",\"phylabel\":\"c\",\"assigngrp\":\"g\","
		     "\"phyaddrs\":{\"serial\":\"/dev/../etc/shadow\"}}"), "not a /dev path",
		  -EINVAL },
		{ IO("{\"ptype\":\"PhyIoOther\",\"phylabel\":\"c\",\"assigngrp\":\"g\","
		     "\"phyaddrs\":{\"pcilong\":\"00:04.0\"}}"), "not DDDD:BB:DD.F", -EINVAL },
		{ IO("{\"ptype\":\"PhyIoOther\",\"phylabel\":\"c\",\"assigngrp\":\"g\","
		     "\"phyaddrs\":{\"pcilong\":\"0000:00:04.9\"}}"), "not DDDD:BB:DD.F", -EINVAL },
		{ IO("{\"ptype\":\"PhyIoUSB\",\"phylabel\":\"c\",\"assigngrp\":\"g\","
		     "\"phyaddrs\":{\"usbaddr\":\"1:x\"}}"), "not bus:addr", -EINVAL },
		{ IO("{\"ptype\":\"PhyIoNetEth\",\"phylabel\":\"c\",\"assigngrp\":\"g\","
		     "\"phyaddrs\":{\"ifname\":\"e th\"}}"), "not an interface name", -EINVAL },
		{ IO("{\"ptype\":\"PhyIoCOM\",\"phylabel\":\"c\",\"assigngrp\":\"g\"},"
		     "{\"ptype\":\"PhyIoCOM\",\"phylabel\":\"c\",\"assigngrp\":\"h\"}"),
		  "deviceIoList[1] 'c': phylabel named twice", -EINVAL },
		{ IO("{\"ptype\":\"PhyIoCOM\",\"phylabel\":\"c\",\"assigngrp\":\"g\","
		     "\"phyaddrs\":{\"serial\":\"/dev/ttyS0000000000000000000000000000000000000"
		     "00000000000000000000000000000000\"}}"), "longer than", -E2BIG },
		{ IO("{\"ptype\":\"PhyIoCOM\",\"phylabel\":\"c\",\"assigngrp\":\"g\","
		     "\"usage\":9}"), "not a known value", -EINVAL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		int rc = parse(cases[i].json, err);

		if (rc != cases[i].rc || !strstr(err, cases[i].want))
			fail_msg("case %zu: rc %d, err '%s' (want %d, '%s')", i, rc, err,
				 cases[i].rc, cases[i].want);
	}
	/* too many entries */
	big = malloc(IOMODEL_JSON_MAX);
	assert_non_null(big);
	strcpy(big, "{\"deviceIoList\":[");
	for (int i = 0; i <= IOMODEL_MAX; i++)
		sprintf(big + strlen(big), "%s{\"ptype\":\"PhyIoCOM\",\"phylabel\":\"c%d\","
			"\"assigngrp\":\"g\"}", i ? "," : "", i);
	strcat(big, "]}");
	assert_int_equal(parse(big, err), -E2BIG);
	assert_non_null(strstr(err, "at most"));
	free(big);
	/* a valid one, upper-case PCI address normalised */
	assert_int_equal(parse(IO("{\"ptype\":\"PhyIoOther\",\"phylabel\":\"c\",\"assigngrp\":"
				  "\"g\",\"phyaddrs\":{\"pcilong\":\"0000:0A:1F.7\"}}"), err), 0);
}

static struct plan_io
cfg_io(uint32_t ptype, const char *label, const char *grp, uint32_t usage, bool mgmt)
{
	struct plan_io c;

	memset(&c, 0, sizeof(c));
	c.ptype = ptype;
	snprintf(c.phylabel, sizeof(c.phylabel), "%s", label);
	snprintf(c.logicallabel, sizeof(c.logicallabel), "%s", label);
	snprintf(c.assigngrp, sizeof(c.assigngrp), "%s", grp);
	c.usage = usage;
	c.mgmt = mgmt;
	return c;
}

static void
test_check_config(void **state)
{
	struct plan_io c[5];
	char errs[5][PLAN_ERR];

	(void)state;
	c[0] = cfg_io(IOMODEL_PT_ETH, "eth0", "eth0", 1, true);
	snprintf(c[0].pcilong, sizeof(c[0].pcilong), "0000:00:03.0");
	c[1] = cfg_io(IOMODEL_PT_OTHER, "fieldbus", "fieldbus", 3, false);
	assert_int_equal(iomodel_check_config(&q, c, 2, errs), 0);
	assert_string_equal(errs[0], "");
	assert_string_equal(errs[1], "");

	c[2] = cfg_io(IOMODEL_PT_COM, "COM9", "COM9", 3, false);
	c[3] = cfg_io(IOMODEL_PT_COM, "fieldbus", "fieldbus", 3, false);
	c[4] = cfg_io(IOMODEL_PT_COM, "COM2", "COM2", 3, false);
	snprintf(c[4].serial, sizeof(c[4].serial), "/dev/ttyS7");
	assert_int_equal(iomodel_check_config(&q, c, 5, errs), -ENODEV);
	assert_string_equal(errs[0], "");
	assert_string_equal(errs[1], "");
	assert_string_equal(errs[2], "deviceIoList 'COM9': no such I/O on this board");
	assert_string_equal(errs[3], "deviceIoList 'fieldbus': type COM, but Other on this board");
	assert_string_equal(errs[4], "deviceIoList 'COM2': serial '/dev/ttyS7', but '/dev/ttyS1' "
			    "on this board");
	c[1] = cfg_io(IOMODEL_PT_OTHER, "fieldbus", "bus", 3, false);
	assert_int_equal(iomodel_check_config(&q, c, 2, errs), -ENODEV);
	assert_non_null(strstr(errs[1], "assigngrp 'bus'"));
}

static struct plan_adapter
adapter(uint32_t type, const char *name)
{
	struct plan_adapter a;

	memset(&a, 0, sizeof(a));
	a.type = type;
	snprintf(a.name, sizeof(a.name), "%s", name);
	return a;
}

static void
test_assign_and_conflicts(void **state)
{
	struct plan_io cfg[2];
	struct plan_adapter a[2];
	struct io_grant g[IOMODEL_MAX];
	char err[IOMODEL_ERR_MAX];

	(void)state;
	cfg[0] = cfg_io(IOMODEL_PT_ETH, "eth0", "eth0", IOMODEL_USAGE_MGMT_AND_APPS, true);
	cfg[1] = cfg_io(IOMODEL_PT_OTHER, "fieldbus", "fieldbus", IOMODEL_USAGE_DEDICATED, false);

	/* the fieldbus card and COM2 to app 1 */
	a[0] = adapter(IOMODEL_PT_OTHER, "fieldbus");
	a[1] = adapter(IOMODEL_PT_COM, "COM2");
	assert_int_equal(iomodel_assign(&q, APP1, "plc", a, 2, cfg, 2, g, IOMODEL_MAX, err,
					sizeof(err)), 2);
	assert_string_equal(g[0].pcilong, "0000:00:04.0");
	assert_string_equal(g[1].serial, "/dev/ttyS1");
	assert_int_equal(g[1].ptype, IOMODEL_PT_COM);
	/* again for the same app: the same grants */
	assert_int_equal(iomodel_assign(&q, APP1, "plc", a, 2, cfg, 2, g, IOMODEL_MAX, err,
					sizeof(err)), 2);

	/* taken by another app: refused, and nothing of app 2's list is granted */
	a[0] = adapter(IOMODEL_PT_USB, "USB");
	a[1] = adapter(IOMODEL_PT_COM, "COM2");
	assert_int_equal(iomodel_assign(&q, APP2, "hmi", a, 2, cfg, 2, g, IOMODEL_MAX, err,
					sizeof(err)), -EBUSY);
	assert_string_equal(err, "adapter COM2 is assigned to app " APP1 " (plc)");
	assert_string_equal(entry(&q, "USB")->owner, "");

	/* dom0's management port (a stub domain's uplink) */
	a[0] = adapter(IOMODEL_PT_ETH, "eth0");
	assert_int_equal(iomodel_assign(&q, APP2, "hmi", a, 1, cfg, 2, g, IOMODEL_MAX, err,
					sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "management uplink"));
	/* not an uplink in this config: an app may have it */
	cfg[0].mgmt = false;
	assert_int_equal(iomodel_assign(&q, APP2, "hmi", a, 1, cfg, 2, g, IOMODEL_MAX, err,
					sizeof(err)), 1);
	assert_string_equal(g[0].ifname, "eth0");
	assert_int_equal(iomodel_release(&q, APP2), 1);
	/* MgmtOnly: never */
	cfg[0].usage = IOMODEL_USAGE_MGMT_ONLY;
	assert_int_equal(iomodel_assign(&q, APP2, "hmi", a, 1, cfg, 2, g, IOMODEL_MAX, err,
					sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "MgmtOnly"));
	/* a USB controller used by dom0 for management (not a stub domain) */
	cfg[1] = cfg_io(IOMODEL_PT_USB, "USB", "USB", IOMODEL_USAGE_MGMT_AND_APPS, true);
	a[0] = adapter(IOMODEL_PT_USB, "USB");
	assert_int_equal(iomodel_assign(&q, APP2, "hmi", a, 1, cfg, 2, g, IOMODEL_MAX, err,
					sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "used by dom0"));

	/* unknown group; type mismatch */
	a[0] = adapter(IOMODEL_PT_COM, "COM7");
	assert_int_equal(iomodel_assign(&q, APP2, "hmi", a, 1, NULL, 0, g, IOMODEL_MAX, err,
					sizeof(err)), -ENOENT);
	assert_string_equal(err, "adapter COM7: no such assignment group on this board");
	a[0] = adapter(IOMODEL_PT_COM, "USB");
	assert_int_equal(iomodel_assign(&q, APP2, "hmi", a, 1, NULL, 0, g, IOMODEL_MAX, err,
					sizeof(err)), -EINVAL);
	assert_string_equal(err, "adapter USB: no member of type COM");
	/* no room for the grants */
	a[0] = adapter(IOMODEL_PT_USB, "USB");
	assert_int_equal(iomodel_assign(&q, APP2, "hmi", a, 1, NULL, 0, g, 0, err, sizeof(err)),
			 -ENOSPC);
	assert_string_equal(entry(&q, "USB")->owner, "");

	/* release: app 1's adapters go to app 2 */
	assert_int_equal(iomodel_release(&q, APP1), 2);
	assert_int_equal(iomodel_release(&q, APP1), 0);
	a[1] = adapter(IOMODEL_PT_COM, "COM2");
	assert_int_equal(iomodel_assign(&q, APP2, "hmi", a, 2, NULL, 0, g, IOMODEL_MAX, err,
					sizeof(err)), 2);
	assert_string_equal(entry(&q, "COM2")->owner, APP2);
	assert_string_equal(entry(&q, "USB")->owner_name, "hmi");
}

static void
test_group_goes_whole(void **state)
{
	struct plan_adapter a = adapter(IOMODEL_PT_USB, "USB1");
	struct io_grant g[IOMODEL_MAX];
	char err[IOMODEL_ERR_MAX];
	struct plan_io cfg;

	(void)state;
	/* the host board's USB1 group has two ports */
	assert_int_equal(iomodel_assign(&host, APP1, "cam", &a, 1, NULL, 0, g, IOMODEL_MAX, err,
					sizeof(err)), 2);
	assert_string_equal(g[0].usbaddr, "1:2");
	assert_string_equal(g[1].usbaddr, "1:3");
	assert_int_equal(iomodel_release(&host, APP1), 2);
	/* one member taken by dom0: the whole group is refused */
	cfg = cfg_io(IOMODEL_PT_USB, "USB1:3", "USB1", IOMODEL_USAGE_MGMT_ONLY, false);
	assert_int_equal(iomodel_assign(&host, APP1, "cam", &a, 1, &cfg, 1, g, IOMODEL_MAX, err,
					sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "'USB1:3'"));
	assert_string_equal(entry(&host, "USB1:2")->owner, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boards_parse),
		cmocka_unit_test(test_hostile_json),
		cmocka_unit_test(test_check_config),
		cmocka_unit_test(test_assign_and_conflicts),
		cmocka_unit_test(test_group_goes_whole),
	};

	return cmocka_run_group_tests_name("iomodel", tests, NULL, NULL);
}
