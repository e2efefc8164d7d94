/*
 * report_apps: the ZInfoMsg bodies for apps, volumes, content trees and
 * deleted objects, and the appMetric entries of ZMetricMsg, decoded back
 * with protobuf-c (fields asserted) and with Debian's protoc (golden text).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto_testutil.h"
#include "report.h"
#include "report_apps.h"

#include "info/info.pb-c.h"
#include "metrics/metrics.pb-c.h"

#define DEV "d0d0d0d0-0000-4000-8000-000000000000"
#define APP "e1e1e1e1-0000-4000-8000-0000000000aa"
#define VOL "a1000000-0000-4000-8000-000000000001"
#define VOL2 "a3000000-0000-4000-8000-000000000003"
#define CT "c1000000-0000-4000-8000-000000000001"
#define SHA "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"

typedef Org__Lfedge__Eve__Info__ZInfoMsg ZInfoMsg;

static ZInfoMsg *
unpack_info(const uint8_t *b, size_t n)
{
	ZInfoMsg *m = org__lfedge__eve__info__zinfo_msg__unpack(NULL, n, b);

	assert_non_null(m);
	assert_string_equal(m->devid, DEV);
	assert_non_null(m->attimestamp);
	assert_int_equal(m->attimestamp->seconds, 1700000000);
	return m;
}

static void
fill_app(struct status_app *a)
{
	memset(a, 0, sizeof(*a));
	strcpy(a->uuid, APP);
	strcpy(a->version, "3");
	strcpy(a->name, "web");
	a->state = ZSW_RUNNING;
	a->boot_time = 1699999000;
	a->n_volumes = 2;
	strcpy(a->volumes[0], VOL);
	strcpy(a->volumes[1], VOL2);
	a->n_adapters = 1;
	a->adapters[0].type = 3;
	strcpy(a->adapters[0].name, "COM1");
}

static void
test_app_info(void **state)
{
	struct status_app a;
	struct app_plan *plan = calloc(1, sizeof(*plan));
	uint8_t *b = NULL;
	size_t n = 0;
	ZInfoMsg *m;
	Org__Lfedge__Eve__Info__ZInfoApp *ai;

	(void)state;
	assert_non_null(plan);
	plan->n_io = 3;
	strcpy(plan->io[0].assigngrp, "COM1");
	strcpy(plan->io[0].phylabel, "COM1");
	strcpy(plan->io[1].assigngrp, "eth0");
	strcpy(plan->io[1].phylabel, "eth0");
	strcpy(plan->io[2].assigngrp, "COM1");
	strcpy(plan->io[2].phylabel, "COM1b");
	fill_app(&a);
	assert_int_equal(report_app_info(&a, plan, DEV, 1700000000, &b, &n), 0);
	m = unpack_info(b, n);
	assert_int_equal(m->ztype, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiApp);
	assert_int_equal(m->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO);
	ai = m->ainfo;
	assert_string_equal(ai->appid, APP);
	assert_string_equal(ai->appversion, "3");
	assert_string_equal(ai->appname, "web");
	assert_int_equal(ai->state, ORG__LFEDGE__EVE__INFO__ZSW_STATE__RUNNING);
	assert_non_null(ai->boottime);
	assert_int_equal(ai->boottime->seconds, 1699999000);
	assert_int_equal(ai->n_volumerefs, 2);
	assert_string_equal(ai->volumerefs[0], VOL);
	assert_string_equal(ai->volumerefs[1], VOL2);
	assert_int_equal(ai->n_assignedadapters, 1);
	assert_int_equal(ai->assignedadapters[0]->type, ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoCOM);
	assert_string_equal(ai->assignedadapters[0]->name, "COM1");
	assert_string_equal(ai->assignedadapters[0]->usedbyappuuid, APP);
	assert_int_equal(ai->assignedadapters[0]->n_members, 2);
	assert_string_equal(ai->assignedadapters[0]->members[0], "COM1");
	assert_string_equal(ai->assignedadapters[0]->members[1], "COM1b");
	assert_int_equal(ai->n_apperr, 0);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(b);

	/* an app in ERROR, never booted, no plan at hand */
	a.state = ZSW_ERROR;
	a.boot_time = 0;
	strcpy(a.err.text, "sha256 mismatch");
	a.err.time = 1699999500;
	assert_int_equal(report_app_info(&a, NULL, DEV, 1700000000, &b, &n), 0);
	m = unpack_info(b, n);
	ai = m->ainfo;
	assert_int_equal(ai->state, ORG__LFEDGE__EVE__INFO__ZSW_STATE__ERROR);
	assert_null(ai->boottime);
	assert_int_equal(ai->assignedadapters[0]->n_members, 0);
	assert_int_equal(ai->n_apperr, 1);
	assert_string_equal(ai->apperr[0]->description, "sha256 mismatch");
	assert_int_equal(ai->apperr[0]->timestamp->seconds, 1699999500);
	assert_int_equal(ai->apperr[0]->severity, ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_ERROR);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(b);
	free(plan);
}

static void
test_app_info_golden(void **state)
{
	struct status_app a;
	uint8_t *b = NULL;
	size_t n = 0;
	char out[4096];
	static const char want[] =
		"ztype: ZiApp\n"
		"devId: \"" DEV "\"\n"
		"ainfo {\n"
		"  AppID: \"" APP "\"\n"
		"  appVersion: \"3\"\n"
		"  AppName: \"web\"\n"
		"  bootTime {\n"
		"    seconds: 1699999000\n"
		"  }\n"
		"  assignedAdapters {\n"
		"    type: PhyIoCOM\n"
		"    name: \"COM1\"\n"
		"    usedByAppUUID: \"" APP "\"\n"
		"  }\n"
		"  appErr {\n"
		"    description: \"halted by the guest\"\n"
		"    timestamp {\n"
		"      seconds: 1699999500\n"
		"    }\n"
		"    severity: SEVERITY_ERROR\n"
		"  }\n"
		"  state: HALTED\n"
		"  volumeRefs: \"" VOL "\"\n"
		"  volumeRefs: \"" VOL2 "\"\n"
		"}\n"
		"atTimeStamp {\n"
		"  seconds: 1700000000\n"
		"}\n";
	int rc;

	(void)state;
	fill_app(&a);
	a.state = ZSW_HALTED;
	strcpy(a.err.text, "halted by the guest");
	a.err.time = 1699999500;
	assert_int_equal(report_app_info(&a, NULL, DEV, 1700000000, &b, &n), 0);
	rc = pt_protoc_decode("org.lfedge.eve.info.ZInfoMsg", "info/info.proto", b, n, out,
			      sizeof(out));
	if (rc != 0)
		fail_msg("protoc --decode failed (rc %d); is protoc installed?", rc);
	assert_string_equal(out, want);
	free(b);
}

static void
test_volume_content_info(void **state)
{
	struct status_volume v;
	struct status_content c;
	uint8_t *b = NULL;
	size_t n = 0;
	ZInfoMsg *m;

	(void)state;
	memset(&v, 0, sizeof(v));
	strcpy(v.uuid, VOL);
	strcpy(v.name, "root");
	strcpy(v.content_uuid, CT);
	v.generation = 2;
	v.state = ZSW_CREATED_VOLUME;
	v.progress = 100;
	v.max_size = 10485760;
	v.used = 4096;
	assert_int_equal(report_volume_info(&v, DEV, 1700000000, &b, &n), 0);
	m = unpack_info(b, n);
	assert_int_equal(m->ztype, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiVolume);
	assert_int_equal(m->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_VINFO);
	assert_string_equal(m->vinfo->uuid, VOL);
	assert_string_equal(m->vinfo->displayname, "root");
	assert_int_equal(m->vinfo->state, ORG__LFEDGE__EVE__INFO__ZSW_STATE__CREATED_VOLUME);
	assert_int_equal(m->vinfo->progresspercentage, 100);
	assert_int_equal(m->vinfo->generation_count, 2);
	assert_int_equal(m->vinfo->resources->maxsizebytes, 10485760);
	assert_int_equal(m->vinfo->resources->cursizebytes, 4096);
	assert_null(m->vinfo->volumeerr);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(b);

	strcpy(v.err.text, "disk full: 10485760 bytes needed");
	v.state = ZSW_ERROR;
	assert_int_equal(report_volume_info(&v, DEV, 1700000000, &b, &n), 0);
	m = unpack_info(b, n);
	assert_string_equal(m->vinfo->volumeerr->description, "disk full: 10485760 bytes needed");
	assert_int_equal(m->vinfo->volumeerr->severity, ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_ERROR);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(b);

	memset(&c, 0, sizeof(c));
	strcpy(c.uuid, CT);
	strcpy(c.name, "disk");
	strcpy(c.sha256, SHA);
	c.generation = 4;
	c.state = ZSW_DOWNLOAD_STARTED;
	c.progress = 40;
	c.done = 400;
	assert_int_equal(report_content_info(&c, DEV, 1700000000, &b, &n), 0);
	m = unpack_info(b, n);
	assert_int_equal(m->ztype, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiContentTree);
	assert_int_equal(m->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_CINFO);
	assert_string_equal(m->cinfo->uuid, CT);
	assert_string_equal(m->cinfo->displayname, "disk");
	assert_string_equal(m->cinfo->sha256, SHA);
	assert_int_equal(m->cinfo->state, ORG__LFEDGE__EVE__INFO__ZSW_STATE__DOWNLOAD_STARTED);
	assert_int_equal(m->cinfo->progresspercentage, 40);
	assert_int_equal(m->cinfo->generation_count, 4);
	assert_int_equal(m->cinfo->resources->cursizebytes, 400);  /* size unknown yet */
	assert_null(m->cinfo->err);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(b);

	c.size = 1000;
	c.state = ZSW_ERROR;
	strcpy(c.err.text, "sha256 of the download is 00.., expected ab..");
	assert_int_equal(report_content_info(&c, DEV, 1700000000, &b, &n), 0);
	m = unpack_info(b, n);
	assert_int_equal(m->cinfo->resources->cursizebytes, 1000);
	assert_string_equal(m->cinfo->err->description, c.err.text);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(b);
}

static void
test_gone_info(void **state)
{
	uint8_t *b = NULL;
	size_t n = 0;
	ZInfoMsg *m;

	(void)state;
	assert_int_equal(report_gone_info(3, APP, DEV, 1700000000, &b, &n), 0);
	m = unpack_info(b, n);
	assert_int_equal(m->ztype, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiApp);
	assert_string_equal(m->ainfo->appid, APP);
	assert_string_equal(m->ainfo->appname, "");
	assert_int_equal(m->ainfo->state, 0);
	assert_null(m->ainfo->boottime);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(b);

	assert_int_equal(report_gone_info(7, VOL, DEV, 1700000000, &b, &n), 0);
	m = unpack_info(b, n);
	assert_int_equal(m->ztype, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiVolume);
	assert_string_equal(m->vinfo->uuid, VOL);
	assert_null(m->vinfo->resources);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(b);

	assert_int_equal(report_gone_info(8, CT, DEV, 1700000000, &b, &n), 0);
	m = unpack_info(b, n);
	assert_int_equal(m->ztype, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiContentTree);
	assert_string_equal(m->cinfo->uuid, CT);
	assert_string_equal(m->cinfo->sha256, "");
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(b);

	assert_int_equal(report_gone_info(1, CT, DEV, 1700000000, &b, &n), -EINVAL);
	assert_null(b);
}

static void
test_app_metrics(void **state)
{
	struct app_metric am[2];
	struct report_metrics rm = { .uuid = DEV, .now = 1700000000, .mem_used_mib = 100,
				     .mem_avail_mib = 300, .log_bytes_sent = 5 };
	uint8_t *b0 = NULL, *b = NULL;
	size_t n0 = 0, n = 0;
	Org__Lfedge__Eve__Metrics__ZMetricMsg *m;
	Org__Lfedge__Eve__Metrics__AppMetric *a;

	(void)state;
	/* no apps: exactly the device metrics, no am */
	assert_int_equal(report_metrics(&rm, &b0, &n0), 0);
	m = org__lfedge__eve__metrics__zmetric_msg__unpack(NULL, n0, b0);
	assert_non_null(m);
	assert_int_equal(m->n_am, 0);
	assert_int_equal(m->dm->memory->usedmem, 100);
	org__lfedge__eve__metrics__zmetric_msg__free_unpacked(m, NULL);

	memset(am, 0, sizeof(am));
	strcpy(am[0].uuid, APP);
	strcpy(am[0].name, "web");
	am[0].cpu_ns = 2500000000ull;
	am[0].boot_time = 1699999000;
	am[0].mem_alloc_mib = 512;
	am[0].mem_used_mib = 128;
	am[0].tx_bytes = 1000;
	am[0].rx_bytes = 2000;
	am[0].tx_pkts = 10;
	am[0].rx_pkts = 20;
	strcpy(am[1].uuid, VOL);
	rm.apps = am;
	rm.n_apps = 2;
	assert_int_equal(report_metrics(&rm, &b, &n), 0);
	/* the device part is the same bytes, the apps follow (field 5) */
	assert_true(n > n0);
	assert_memory_equal(b, b0, n0);
	m = org__lfedge__eve__metrics__zmetric_msg__unpack(NULL, n, b);
	assert_non_null(m);
	assert_int_equal(m->n_am, 2);
	a = m->am[0];
	assert_string_equal(a->appid, APP);
	assert_string_equal(a->appname, "web");
	assert_int_equal(a->cpu->total_ns, 2500000000ull);
	assert_int_equal(a->cpu->total, 2);
	assert_non_null(a->cpu->uptime);
	assert_int_equal(a->cpu->uptime->seconds, 1000);
	assert_int_equal(a->appmemory->allocatedmb, 512);
	assert_int_equal(a->appmemory->usedmb, 128);
	assert_int_equal(a->memory->usedmem, 128);
	assert_int_equal(a->memory->availmem, 384);
	assert_true(a->memory->usedpercentage > 24.9 && a->memory->usedpercentage < 25.1);
	assert_true(a->memory->availpercentage > 74.9 && a->memory->availpercentage < 75.1);
	assert_int_equal(a->n_network, 1);
	assert_int_equal(a->network[0]->txbytes, 1000);
	assert_int_equal(a->network[0]->rxbytes, 2000);
	assert_int_equal(a->network[0]->txpkts, 10);
	assert_int_equal(a->network[0]->rxpkts, 20);
	a = m->am[1];
	assert_string_equal(a->appid, VOL);
	assert_null(a->cpu->uptime);  /* not booted */
	assert_int_equal(a->memory->usedpercentage, 0);
	org__lfedge__eve__metrics__zmetric_msg__free_unpacked(m, NULL);
	free(b);
	free(b0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_app_info),
		cmocka_unit_test(test_app_info_golden),
		cmocka_unit_test(test_volume_content_info),
		cmocka_unit_test(test_gone_info),
		cmocka_unit_test(test_app_metrics),
	};

	return cmocka_run_group_tests_name("report_apps", tests, NULL, NULL);
}
