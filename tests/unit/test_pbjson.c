/*
 * pbjson: protobuf-c messages <-> canonical proto3 JSON.
 *
 *  - names: JSON names computed as protoc does; map fields recognised;
 *  - fixtures (tests/unit/data/pbjson/): a rich EdgeDevConfig (apps, volumes,
 *    networks, config items, enums, bytes, int64), a ZInfoMsg (Timestamps,
 *    oneof, maps of messages) and a ZMetricMsg (maps, oneofs, NaN/Infinity,
 *    uint64 extremes), each written with mixed spellings (*.in.json): parsed,
 *    checked field by field in the C structs, printed back exactly as the
 *    canonical *.json, and stable (JSON -> message -> JSON -> message packs
 *    to the same bytes);
 *  - output built from C structs (no parser involved) against exact text,
 *    with every output flag;
 *  - every accepted alternative spelling gives the same bytes as the
 *    canonical one;
 *  - hostile JSON for every error class: exact error text, naming the path;
 *    nothing left allocated (counting allocator), also when every single
 *    allocation fails in turn;
 *  - cross-check against python3-protobuf's json_format, both directions,
 *    on the fixtures and on random messages of every top-level type
 *    (tests/unit/data/pbjson_xcheck.py; PBJSON_XCHECK_SEED picks the seed).
 * Run from the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "pbjson.h"

#include "attest/attest.pb-c.h"
#include "auth/auth.pb-c.h"
#include "certs/certs.pb-c.h"
#include "config/devconfig.pb-c.h"
#include "eveuuid/eveuuid.pb-c.h"
#include "info/info.pb-c.h"
#include "logs/log.pb-c.h"
#include "metrics/metrics.pb-c.h"
#include "register/register.pb-c.h"

#include "proto_testutil.h"

typedef Org__Lfedge__Eve__Config__EdgeDevConfig EdgeDevConfig;
typedef Org__Lfedge__Eve__Info__ZInfoMsg ZInfoMsg;
typedef Org__Lfedge__Eve__Metrics__ZMetricMsg ZMetricMsg;
typedef Org__Lfedge__Eve__Logs__LogEntry LogEntry;
typedef Org__Lfedge__Eve__Logs__LogEntry__TagsEntry TagsEntry;
typedef Google__Protobuf__Timestamp Timestamp;

#define EDC (&org__lfedge__eve__config__edge_dev_config__descriptor)
#define ZINFO (&org__lfedge__eve__info__zinfo_msg__descriptor)
#define ZMETRIC (&org__lfedge__eve__metrics__zmetric_msg__descriptor)
#define LOGENTRY (&org__lfedge__eve__logs__log_entry__descriptor)
#define DATA "tests/unit/data/pbjson/"
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers --------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static void spill(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n + 1);

	assert_non_null(buf);
	assert_int_equal(protobuf_c_message_pack(m, buf), n);
	*len = n;
	return buf;
}

/* Parse @json as @d with the counting allocator @a; must succeed. */
static ProtobufCMessage *parse_ok(const ProtobufCMessageDescriptor *d, const char *json,
				  size_t len, ProtobufCAllocator *a)
{
	ProtobufCMessage *m = NULL;
	char err[PBJSON_ERR_LEN];
	int rc = pbjson_to_message(d, json, len, a, &m, err);

	if (rc != 0)
		fail_msg("pbjson_to_message: %d: %s\n  input: %.300s", rc, err, json);
	assert_non_null(m);
	assert_true(protobuf_c_message_check(m));
	return m;
}

static char *print_ok(const ProtobufCMessage *m, unsigned flags)
{
	char err[PBJSON_ERR_LEN];
	char *out = NULL;
	int rc = pbjson_from_message(m, flags, &out, err);

	if (rc != 0)
		fail_msg("pbjson_from_message: %d: %s", rc, err);
	assert_non_null(out);
	return out;
}

/* Packed bytes of @json parsed as @d (malloc'd). */
static uint8_t *bytes_of(const ProtobufCMessageDescriptor *d, const char *json, size_t *len)
{
	struct pt_alloc_stats st;
	ProtobufCAllocator a;
	ProtobufCMessage *m;
	uint8_t *b;

	pt_alloc_init(&a, &st);
	m = parse_ok(d, json, strlen(json), &a);
	b = pack(m, len);
	protobuf_c_message_free_unpacked(m, &a);
	assert_int_equal(st.live, 0);
	return b;
}

/* @json must be refused with @want_rc and exactly @want_err; nothing left allocated. */
static void expect_error(const ProtobufCMessageDescriptor *d, const char *json, unsigned flags,
			 int want_rc, const char *want_err)
{
	struct pt_alloc_stats st;
	ProtobufCAllocator a;
	ProtobufCMessage *m = (ProtobufCMessage *)&m;
	char err[PBJSON_ERR_LEN];
	int rc;

	pt_alloc_init(&a, &st);
	rc = pbjson_to_message_flags(d, json, strlen(json), flags, &a, &m, err);
	if (rc != want_rc || strcmp(err, want_err) != 0)
		fail_msg("input %s\n  want %d \"%s\"\n  got  %d \"%s\"", json, want_rc, want_err, rc, err);
	assert_null(m);
	assert_int_equal(st.live, 0);
}

/* The canonical text of a fixture, without its final newline. */
static char *canonical(const char *path)
{
	size_t n;
	char *s = slurp(path, &n);

	if (n > 0 && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}

/*
 * Parse @in_path, check with @spot, print (pretty) == @canon_path; print
 * compact, parse again: same bytes; parse the canonical file: same bytes.
 */
static void fixture_round_trip(const ProtobufCMessageDescriptor *d, const char *in_path,
			       const char *canon_path, void (*spot)(const ProtobufCMessage *))
{
	struct pt_alloc_stats st;
	ProtobufCAllocator a;
	ProtobufCMessage *m, *m2, *m3;
	size_t in_len, l1, l2, l3;
	char *in = slurp(in_path, &in_len);
	char *canon = canonical(canon_path);
	char *pretty, *compact;
	uint8_t *b1, *b2, *b3;

	pt_alloc_init(&a, &st);
	m = parse_ok(d, in, in_len, &a);
	spot(m);
	pretty = print_ok(m, PBJSON_PRETTY);
	if (strcmp(pretty, canon) != 0) {
		spill("build/pbjson-fixture-got.json", pretty, strlen(pretty));
		fail_msg("%s printed differently from %s (see build/pbjson-fixture-got.json)",
			 in_path, canon_path);
	}
	compact = print_ok(m, 0);
	assert_null(strchr(compact, '\n'));
	m2 = parse_ok(d, compact, strlen(compact), &a);
	spot(m2);
	m3 = parse_ok(d, canon, strlen(canon), &a);
	b1 = pack(m, &l1);
	b2 = pack(m2, &l2);
	b3 = pack(m3, &l3);
	assert_int_equal(l1, l2);
	assert_memory_equal(b1, b2, l1);
	assert_int_equal(l1, l3);
	assert_memory_equal(b1, b3, l1);
	assert_true(pt_msg_equal(m, m2));
	assert_true(l1 > 100);

	protobuf_c_message_free_unpacked(m, &a);
	protobuf_c_message_free_unpacked(m2, &a);
	protobuf_c_message_free_unpacked(m3, &a);
	assert_int_equal(st.live, 0);
	free(b1);
	free(b2);
	free(b3);
	free(pretty);
	free(compact);
	free(in);
	free(canon);
}

/* ---- names ------------------------------------------------------------------- */

static void test_json_names(void **state)
{
	static const char *const cases[][2] = {
		{ "controller_epoch", "controllerEpoch" },
		{ "controllercert_confighash", "controllercertConfighash" },
		{ "pemCert", "pemCert" },
		{ "HWAssistedVirtualization", "HWAssistedVirtualization" },
		{ "volume_u_u_i_d", "volumeUUID" },
		{ "foo__bar", "fooBar" },
		{ "_foo", "Foo" },
		{ "foo_", "foo" },
		{ "foo_1", "foo1" },
		{ "top10_input_sources", "top10InputSources" },
		{ "x", "x" },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		int n = pbjson_json_name(cases[i][0], buf, sizeof(buf));

		assert_int_equal(n, (int)strlen(cases[i][1]));
		assert_string_equal(buf, cases[i][1]);
	}
	assert_int_equal(pbjson_json_name("controller_epoch", buf, 15), -ENAMETOOLONG);
	assert_int_equal(pbjson_json_name("controller_epoch", buf, 16), 15);
}

static const ProtobufCFieldDescriptor *field_named(const ProtobufCMessageDescriptor *d,
						   const char *name)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);

	assert_non_null(f);
	return f;
}

static void test_map_detection(void **state)
{
	const ProtobufCMessageDescriptor *pio = &org__lfedge__eve__config__physical_io__descriptor;
	const ProtobufCMessageDescriptor *cis = &org__lfedge__eve__info__zinfo_config_item_status__descriptor;
	const ProtobufCMessageDescriptor *nl = &org__lfedge__eve__metrics__newlog_metric__descriptor;
	const ProtobufCMessageDescriptor *vi = &org__lfedge__eve__metrics__vlan_info__descriptor;

	(void)state;
	assert_true(pbjson_field_is_map(pio, field_named(pio, "phyaddrs")));
	assert_true(pbjson_field_is_map(pio, field_named(pio, "cbattr")));
	assert_false(pbjson_field_is_map(pio, field_named(pio, "vflist")));
	assert_true(pbjson_field_is_map(cis, field_named(cis, "configItems")));
	assert_true(pbjson_field_is_map(nl, field_named(nl, "top10_input_sources")));
	assert_true(pbjson_field_is_map(vi, field_named(vi, "vlan_counts")));
	assert_true(pbjson_field_is_map(LOGENTRY, field_named(LOGENTRY, "tags")));
	assert_false(pbjson_field_is_map(EDC, field_named(EDC, "apps")));
	assert_false(pbjson_field_is_map(EDC, field_named(EDC, "configItems")));
	/* right entry type, but seen from another parent: not a map there */
	assert_false(pbjson_field_is_map(cis, field_named(pio, "phyaddrs")));
}

/* ---- fixtures ---------------------------------------------------------------- */

static void spot_edc(const ProtobufCMessage *msg)
{
	const EdgeDevConfig *c = (const EdgeDevConfig *)msg;
	const Org__Lfedge__Eve__Config__AppInstanceConfig *a0, *a1;
	const Org__Lfedge__Eve__Config__NetworkAdapter *ifc;
	static const uint8_t iv[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const uint8_t sha[16] = { 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
					 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00 };

	assert_string_equal(c->id->uuid, "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
	assert_string_equal(c->id->version, "42");
	assert_int_equal(c->n_apps, 2);
	a0 = c->apps[0];
	a1 = c->apps[1];
	assert_string_equal(a0->displayname, "plc-gateway");
	assert_int_equal(a0->fixedresources->memory, 524288);
	assert_int_equal(a0->fixedresources->maxmem, 1048576);
	assert_int_equal(a0->fixedresources->vcpus, 2);
	assert_int_equal(a0->fixedresources->n_irqs, 3);
	assert_int_equal(a0->fixedresources->irqs[2], 4294967295u);
	assert_int_equal(a0->fixedresources->n_dtdev, 2);
	assert_string_equal(a0->fixedresources->dtdev[1], "/soc/i2c@2");
	assert_int_equal(a0->fixedresources->virtualizationmode, ORG__LFEDGE__EVE__CONFIG__VM_MODE__HVM);
	assert_true(a0->fixedresources->enable_vnc);
	assert_int_equal(a0->fixedresources->cpu_policy,
			 ORG__LFEDGE__EVE__CONFIG__CPU_POLICY__CPU_POLICY_DEDICATED);
	assert_true(a0->activate);
	assert_int_equal(a0->n_interfaces, 1);
	ifc = a0->interfaces[0];
	assert_int_equal(ifc->pemcert.len, 27);
	assert_memory_equal(ifc->pemcert.data, "-----BEGIN CERTIFICATE-----", 27);
	assert_int_equal(ifc->pemprivatekey.len, 0);
	assert_int_equal(ifc->n_acls, 2);
	assert_int_equal(ifc->acls[0]->n_matches, 2);
	assert_string_equal(ifc->acls[0]->matches[1]->value, "tcp");
	assert_true(ifc->acls[0]->actions[0]->portmap);
	assert_int_equal(ifc->acls[0]->actions[0]->appport, 8080);
	assert_int_equal(ifc->acls[0]->dir, ORG__LFEDGE__EVE__CONFIG__ACEDIRECTION__INGRESS);
	assert_true(ifc->acls[1]->actions[0]->drop);
	assert_int_equal(ifc->acls[1]->id, 2);
	assert_int_equal(ifc->access_vlan_id, 100);
	assert_int_equal(a0->n_adapters, 2);
	assert_int_equal(a0->adapters[1]->type, ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoCOM);
	assert_int_equal(a0->restart->counter, 3);
	assert_null(a0->purge);
	assert_int_equal(a0->cipherdata->initialvalue.len, 16);
	assert_memory_equal(a0->cipherdata->initialvalue.data, iv, 16);
	assert_int_equal(a0->cipherdata->cipherdata.len, 4);
	assert_memory_equal(a0->cipherdata->cipherdata.data, "\xde\xad\xbe\xef", 4);
	assert_memory_equal(a0->cipherdata->cleartextsha256.data, sha, 16);
	assert_int_equal(a0->volumereflist[0]->generationcount, 9007199254740993LL);
	assert_string_equal(a0->volumereflist[0]->mount_dir, "/data");
	assert_int_equal(a0->metadatatype, ORG__LFEDGE__EVE__CONFIG__META_DATA_TYPE__MetaDataOpenStack);
	assert_int_equal(a0->n_profile_list, 2);
	assert_int_equal(a0->start_delay_in_seconds, 30);
	assert_string_equal(a1->displayname, "historian \"v2\" \xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
	assert_int_equal(a1->fixedresources->virtualizationmode, ORG__LFEDGE__EVE__CONFIG__VM_MODE__FML);
	assert_int_equal(a1->volumereflist[0]->generationcount, -1);
	assert_false(a1->activate);
	assert_int_equal(c->networks[0]->type, ORG__LFEDGE__EVE__COMMON__NETWORK_TYPE__V4);
	assert_int_equal(c->networks[0]->ip->dhcp, ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Client);
	assert_int_equal(c->networks[0]->ip->n_dns, 2);
	assert_string_equal(c->networks[0]->ip->dns[1], "9.9.9.9");
	assert_int_equal(c->datastores[0]->n_dscertpem, 2);
	assert_int_equal(c->datastores[0]->dscertpem[1].len, 1);
	assert_int_equal(c->datastores[0]->dscertpem[1].data[0], 0);
	assert_int_equal(c->n_configitems, 3);
	assert_string_equal(c->configitems[1]->key, "debug.enable.ssh");
	assert_string_equal(c->configitems[1]->value, "false");
	assert_int_equal(c->deviceiolist[0]->n_phyaddrs, 2);
	assert_string_equal(c->deviceiolist[0]->phyaddrs[1]->key, "pcilong");
	assert_string_equal(c->deviceiolist[0]->phyaddrs[1]->value, "0000:00:03.0");
	assert_int_equal(c->networkinstances[0]->insttype, ORG__LFEDGE__EVE__CONFIG__ZNETWORK_INST_TYPE__ZnetInstLocal);
	assert_string_equal(c->networkinstances[0]->ip->dhcprange->end, "10.1.0.200");
	assert_int_equal(c->ciphercontexts[0]->controllercerthash.len, 3);
	assert_int_equal(c->contentinfo[0]->maxsizebytes, UINT64_MAX);
	assert_int_equal(c->contentinfo[0]->iformat, ORG__LFEDGE__EVE__CONFIG__FORMAT__QCOW2);
	assert_int_equal(c->volumes[0]->n_protocols, 3);
	assert_int_equal(c->volumes[0]->protocols[1], 5); /* no name: kept (open enum) */
	assert_int_equal(c->volumes[0]->maxsizebytes, 10737418240LL);
	assert_int_equal(c->volumes[1]->maxsizebytes, INT64_MIN);
	assert_true(c->volumes[1]->readonly);
	assert_string_equal(c->controllercert_confighash, "c3f6a2");
	assert_true(c->maintenance_mode);
	assert_int_equal(c->controller_epoch, INT64_MAX);
	assert_true(c->baseos->retry_update->desiredstate);
	assert_int_equal(c->config_timestamp->seconds, 1709251199);
	assert_int_equal(c->config_timestamp->nanos, 123456789);
	assert_string_equal(c->loc_config->loc_url, "https://loc.example.com");
	assert_null(c->reboot);
	assert_int_equal(c->n_base, 0);
}

static void test_fixture_edgedevconfig(void **state)
{
	(void)state;
	fixture_round_trip(EDC, DATA "edgedevconfig.in.json", DATA "edgedevconfig.json", spot_edc);
}

static void spot_zinfo(const ProtobufCMessage *msg)
{
	const ZInfoMsg *z = (const ZInfoMsg *)msg;
	const Org__Lfedge__Eve__Info__ZInfoDevice *d;
	const Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *cis;

	assert_int_equal(z->ztype, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice);
	assert_int_equal(z->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO);
	d = z->dinfo;
	assert_int_equal(d->ncpu, 2);
	assert_int_equal(d->storage, UINT64_MAX);
	assert_int_equal(d->powercyclecounter, -3);
	assert_string_equal(d->minfo->uuid, "00000000-0000-0000-0000-000000000001");
	assert_int_equal(d->assignableadapters[0]->err->timestamp->seconds, -1);
	assert_int_equal(d->assignableadapters[0]->err->timestamp->nanos, 0);
	assert_int_equal(d->boottime->seconds, 1714550400);
	assert_int_equal(d->boottime->nanos, 500000000);
	assert_int_equal(d->swlist[1]->swerr->timestamp->seconds, -62135596800LL);
	assert_int_equal(d->lastreboottime->seconds, 253402300799LL);
	assert_int_equal(d->lastreboottime->nanos, 999999999);
	assert_int_equal(d->n_metricitems, 4);
	assert_int_equal(d->metricitems[0]->metric_item_value_case,
			 ORG__LFEDGE__EVE__INFO__DEPRECATED_METRIC_ITEM__METRIC_ITEM_VALUE_FLOAT_VALUE);
	assert_true(d->metricitems[0]->floatvalue == 41.5f);
	/* oneof members set to their default value are still set */
	assert_int_equal(d->metricitems[1]->metric_item_value_case,
			 ORG__LFEDGE__EVE__INFO__DEPRECATED_METRIC_ITEM__METRIC_ITEM_VALUE_BOOL_VALUE);
	assert_false(d->metricitems[1]->boolvalue);
	assert_int_equal(d->metricitems[2]->metric_item_value_case,
			 ORG__LFEDGE__EVE__INFO__DEPRECATED_METRIC_ITEM__METRIC_ITEM_VALUE_UINT64_VALUE);
	assert_int_equal(d->metricitems[3]->metric_item_value_case,
			 ORG__LFEDGE__EVE__INFO__DEPRECATED_METRIC_ITEM__METRIC_ITEM_VALUE_STRING_VALUE);
	assert_string_equal(d->metricitems[3]->stringvalue, "");
	cis = d->configitemstatus;
	assert_int_equal(cis->n_configitems, 2);
	assert_string_equal(cis->configitems[1]->key, "debug.enable.ssh");
	assert_string_equal(cis->configitems[1]->value->error, "not allowed");
	assert_int_equal(cis->n_unknownconfigitems, 1);
	assert_true(d->capabilities->hwassistedvirtualization);
	assert_int_equal(d->last_boot_reason, ORG__LFEDGE__EVE__INFO__BOOT_REASON__BOOT_REASON_FALLBACK);
	/* 08:00:20.021 at +02:00 */
	assert_int_equal(z->attimestamp->seconds, 1714543220);
	assert_int_equal(z->attimestamp->nanos, 21000000);
}

static void test_fixture_zinfomsg(void **state)
{
	(void)state;
	fixture_round_trip(ZINFO, DATA "zinfomsg.in.json", DATA "zinfomsg.json", spot_zinfo);
}

static void spot_zmetric(const ProtobufCMessage *msg)
{
	const ZMetricMsg *z = (const ZMetricMsg *)msg;
	const Org__Lfedge__Eve__Metrics__DeviceMetric *dm;
	const Org__Lfedge__Eve__Metrics__VlanInfo *vi;

	assert_int_equal(z->metric_content_case, ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__METRIC_CONTENT_DM);
	dm = z->dm;
	assert_true(dm->memory->usedpercentage == 25.0);
	assert_true(dm->memory->availpercentage == 0.1);
	assert_int_equal(dm->network[0]->txbytes, UINT64_MAX);
	assert_int_equal(dm->network[0]->rxbytes, 123456789012ULL);
	assert_int_equal(dm->zedcloud[0]->lastfailure->nanos, 1000);
	assert_int_equal(dm->zedcloud[0]->lastsuccess->nanos, 100000000);
	assert_int_equal(dm->zedcloud[0]->urlmetrics[0]->trymsgcount, INT64_MIN);
	assert_int_equal(dm->n_metricitems, 7);
	assert_true(isnan(dm->metricitems[0]->floatvalue));
	assert_true(isinf(dm->metricitems[1]->floatvalue) && dm->metricitems[1]->floatvalue > 0);
	assert_true(isinf(dm->metricitems[2]->floatvalue) && dm->metricitems[2]->floatvalue < 0);
	assert_true(dm->metricitems[3]->floatvalue == 1.4e-45f);
	assert_true(dm->metricitems[4]->floatvalue == FLT_MAX);
	assert_true(dm->metricitems[5]->floatvalue == 1.0f / 3.0f);
	assert_int_equal(dm->metricitems[6]->uint32value, UINT32_MAX);
	assert_int_equal(dm->log->n_input_sources, 3);
	assert_string_equal(dm->log->input_sources[1]->key, "eved");
	assert_int_equal(dm->log->input_sources[1]->value, UINT64_MAX);
	assert_string_equal(dm->log->input_sources[2]->key, "");
	assert_true(dm->newlog->currentcpuloadpct == 12.5f);
	assert_int_equal(dm->newlog->top10_input_sources[1]->value, UINT32_MAX);
	assert_true(z->am[0]->memory->availpercentage == DBL_MAX);
	assert_true(z->am[0]->memory->usedpercentage == 1e-300);
	assert_int_equal(z->nm[0]->instance_content_case,
			 ORG__LFEDGE__EVE__METRICS__ZMETRIC_NETWORK_INSTANCE__INSTANCE_CONTENT_NONEM);
	assert_non_null(z->nm[0]->nonem);
	vi = z->nm[0]->vlan_info;
	assert_int_equal(vi->n_vlan_counts, 3);
	assert_int_equal(vi->vlan_counts[1]->key, 4094);
	assert_int_equal(vi->vlan_counts[1]->value, 1);
	assert_int_equal(vi->vlan_counts[2]->key, 0);
	assert_int_equal(z->attimestamp->seconds, 1714550700);
}

static void test_fixture_zmetricmsg(void **state)
{
	(void)state;
	fixture_round_trip(ZMETRIC, DATA "zmetricmsg.in.json", DATA "zmetricmsg.json", spot_zmetric);
}

/* ---- output from C structs ----------------------------------------------------- */

static void test_print_from_c(void **state)
{
	LogEntry e = ORG__LFEDGE__EVE__LOGS__LOG_ENTRY__INIT;
	TagsEntry t1 = ORG__LFEDGE__EVE__LOGS__LOG_ENTRY__TAGS_ENTRY__INIT;
	TagsEntry t2 = ORG__LFEDGE__EVE__LOGS__LOG_ENTRY__TAGS_ENTRY__INIT;
	TagsEntry *tags[] = { &t1, &t2 };
	Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	char *s;

	(void)state;
	/* an empty message is {} */
	s = print_ok(&e.base, 0);
	assert_string_equal(s, "{}");
	free(s);
	s = print_ok(&e.base, PBJSON_PRETTY);
	assert_string_equal(s, "{}");
	free(s);

	e.severity = "info";
	e.source = "eved";
	e.content = "line1\nq\"b\\s\x01\x1f\x7f \xc3\xa9";
	e.msgid = UINT64_MAX;
	t1.key = "role";
	t1.value = "evc";
	t2.key = "pid";
	t2.value = "42";
	e.n_tags = 2;
	e.tags = tags;
	ts.seconds = 63108020; /* 1972-01-01T10:00:20Z */
	ts.nanos = 21000000;
	e.timestamp = &ts;
	e.function = "main";
	s = print_ok(&e.base, 0);
	assert_string_equal(s, "{\"severity\":\"info\",\"source\":\"eved\","
			       "\"content\":\"line1\\nq\\\"b\\\\s\\u0001\\u001f\x7f \xc3\xa9\","
			       "\"msgid\":\"18446744073709551615\",\"tags\":{\"role\":\"evc\",\"pid\":\"42\"},"
			       "\"timestamp\":\"1972-01-01T10:00:20.021Z\",\"function\":\"main\"}");
	free(s);
	s = print_ok(&e.base, PBJSON_PRETTY);
	assert_string_equal(s, "{\n"
			       "  \"severity\": \"info\",\n"
			       "  \"source\": \"eved\",\n"
			       "  \"content\": \"line1\\nq\\\"b\\\\s\\u0001\\u001f\x7f \xc3\xa9\",\n"
			       "  \"msgid\": \"18446744073709551615\",\n"
			       "  \"tags\": {\n"
			       "    \"role\": \"evc\",\n"
			       "    \"pid\": \"42\"\n"
			       "  },\n"
			       "  \"timestamp\": \"1972-01-01T10:00:20.021Z\",\n"
			       "  \"function\": \"main\"\n"
			       "}");
	free(s);

	/* a repeated map key: the last one wins, as in every protobuf runtime */
	t2.key = "role";
	t2.value = "apps";
	e.content = "";
	e.severity = "";
	e.source = "";
	e.function = "";
	e.msgid = 0;
	e.timestamp = NULL;
	s = print_ok(&e.base, 0);
	assert_string_equal(s, "{\"tags\":{\"role\":\"apps\"}}");
	free(s);
}

static void test_print_flags(void **state)
{
	Org__Lfedge__Eve__Config__Volume v = ORG__LFEDGE__EVE__CONFIG__VOLUME__INIT;
	Org__Lfedge__Eve__Config__VolumeContentOrigin o = ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN__INIT;
	Org__Lfedge__Eve__Config__VolumeAccessProtocols prot[] = {
		ORG__LFEDGE__EVE__CONFIG__VOLUME_ACCESS_PROTOCOLS__VAP_9P,
		(Org__Lfedge__Eve__Config__VolumeAccessProtocols)9,
	};
	Org__Lfedge__Eve__Info__ZInfoConfigItemStatus cis = ORG__LFEDGE__EVE__INFO__ZINFO_CONFIG_ITEM_STATUS__INIT;
	char *s;

	(void)state;
	v.uuid = "u1";
	v.generationcount = 3;
	v.target = ORG__LFEDGE__EVE__CONFIG__TARGET__Disk;
	v.origin = &o; /* a message set to all defaults is printed as {} */
	s = print_ok(&v.base, 0);
	assert_string_equal(s, "{\"uuid\":\"u1\",\"origin\":{},\"generationCount\":\"3\",\"target\":\"Disk\"}");
	free(s);
	s = print_ok(&v.base, PBJSON_ENUMS_AS_INTS | PBJSON_PROTO_NAMES);
	assert_string_equal(s, "{\"uuid\":\"u1\",\"origin\":{},\"generationCount\":\"3\",\"target\":1}");
	free(s);
	v.origin = NULL;
	v.n_protocols = 2;
	v.protocols = prot;
	v.designated_node_id = "n7";
	s = print_ok(&v.base, PBJSON_EMIT_DEFAULTS);
	assert_string_equal(s, "{\"uuid\":\"u1\",\"protocols\":[\"VAP_9P\",9],\"generationCount\":\"3\","
			       "\"maxsizebytes\":\"0\",\"readonly\":false,\"displayName\":\"\","
			       "\"clearText\":false,\"target\":\"Disk\",\"designatedNodeId\":\"n7\"}");
	free(s);
	s = print_ok(&v.base, PBJSON_EMIT_DEFAULTS | PBJSON_PROTO_NAMES);
	assert_non_null(strstr(s, "\"clear_text\":false,"));
	assert_non_null(strstr(s, "\"designated_node_id\":\"n7\""));
	free(s);
	/* maps and repeated fields print as {} and [] with defaults */
	s = print_ok(&cis.base, PBJSON_EMIT_DEFAULTS);
	assert_string_equal(s, "{\"configItems\":{},\"unknownConfigItems\":{}}");
	free(s);
	s = print_ok(&cis.base, PBJSON_EMIT_DEFAULTS | PBJSON_PRETTY);
	assert_string_equal(s, "{\n  \"configItems\": {},\n  \"unknownConfigItems\": {}\n}");
	free(s);
}

static void test_print_timestamps_and_floats(void **state)
{
	static const struct {
		int64_t sec;
		int32_t ns;
		const char *text;
	} ts[] = {
		{ 0, 0, "1970-01-01T00:00:00Z" },
		{ -1, 0, "1969-12-31T23:59:59Z" },
		{ -1, 999999999, "1969-12-31T23:59:59.999999999Z" },
		{ 63108020, 21000000, "1972-01-01T10:00:20.021Z" },
		{ 63108020, 21500000, "1972-01-01T10:00:20.021500Z" },
		{ 63108020, 21500001, "1972-01-01T10:00:20.021500001Z" },
		{ 951825600, 0, "2000-02-29T12:00:00Z" },
		{ -62135596800LL, 0, "0001-01-01T00:00:00Z" },
		{ 253402300799LL, 999999999, "9999-12-31T23:59:59.999999999Z" },
		{ 4102444800LL, 1000, "2100-01-01T00:00:00.000001Z" },
	};
	static const struct {
		double d;
		const char *text;
	} dbl[] = {
		{ 0.1, "0.1" }, { -2.5, "-2.5" }, { 1e300, "1e+300" }, { 5e-324, "5e-324" }, { -0.0, "-0" },
		{ 1.0 / 3.0, "0.3333333333333333" }, { 100, "100" }, { 123456789012345678.0, "1.2345678901234568e+17" },
		{ NAN, "\"NaN\"" }, { INFINITY, "\"Infinity\"" }, { -INFINITY, "\"-Infinity\"" },
	};
	Org__Lfedge__Eve__Logs__LogBundle lb = ORG__LFEDGE__EVE__LOGS__LOG_BUNDLE__INIT;
	Org__Lfedge__Eve__Metrics__MemoryMetric mm = ORG__LFEDGE__EVE__METRICS__MEMORY_METRIC__INIT;
	Org__Lfedge__Eve__Logs__ServerMetrics sm = ORG__LFEDGE__EVE__LOGS__SERVER_METRICS__INIT;
	Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	char want[128], *s;
	size_t i;

	(void)state;
	lb.timestamp = &t;
	for (i = 0; i < ARRAY_LEN(ts); i++) {
		uint8_t *b1, *b2;
		size_t l1, l2;

		t.seconds = ts[i].sec;
		t.nanos = ts[i].ns;
		snprintf(want, sizeof(want), "{\"timestamp\":\"%s\"}", ts[i].text);
		s = print_ok(&lb.base, 0);
		assert_string_equal(s, want);
		/* and back */
		b1 = pack(&lb.base, &l1);
		b2 = bytes_of(&org__lfedge__eve__logs__log_bundle__descriptor, s, &l2);
		assert_int_equal(l1, l2);
		assert_memory_equal(b1, b2, l1);
		free(b1);
		free(b2);
		free(s);
	}
	for (i = 0; i < ARRAY_LEN(dbl); i++) {
		mm.usedpercentage = dbl[i].d;
		snprintf(want, sizeof(want), "{\"usedPercentage\":%s}", dbl[i].text);
		s = print_ok(&mm.base, 0);
		assert_string_equal(s, want);
		free(s);
	}
	sm.cpu_percentage = 0.1f;
	s = print_ok(&sm.base, 0);
	assert_string_equal(s, "{\"cpuPercentage\":0.1}");
	free(s);
	sm.cpu_percentage = FLT_MAX; /* shortest float text reads above FLT_MAX as a double */
	s = print_ok(&sm.base, 0);
	assert_string_equal(s, "{\"cpuPercentage\":3.4028234663852886e+38}");
	free(s);
	sm.cpu_percentage = 16777216.0f;
	s = print_ok(&sm.base, 0);
	assert_string_equal(s, "{\"cpuPercentage\":16777216}");
	free(s);
}

/* ---- accepted spellings ---------------------------------------------------------- */

static void test_accepted_spellings(void **state)
{
	static const struct {
		const ProtobufCMessageDescriptor *d;
		const char *variant;
		const char *canonical;
	} cases[] = {
		/* field names: JSON name or proto name */
		{ EDC, "{\"controller_epoch\":\"5\"}", "{\"controllerEpoch\":\"5\"}" },
		{ EDC, "{\"maintenance_mode\":true}", "{\"maintenanceMode\":true}" },
		/* 64-bit integers as numbers, exponents when integral */
		{ EDC, "{\"controllerEpoch\":5}", "{\"controllerEpoch\":\"5\"}" },
		{ EDC, "{\"controllerEpoch\":-9223372036854775808}", "{\"controllerEpoch\":\"-9223372036854775808\"}" },
		{ EDC, "{\"controllerEpoch\":\"5e2\"}", "{\"controllerEpoch\":\"500\"}" },
		{ EDC, "{\"controllerEpoch\":1.5e1}", "{\"controllerEpoch\":\"15\"}" },
		{ EDC, "{\"controllerEpoch\":\"-0\"}", "{}" },
		/* 32-bit integers as strings and integral numbers */
		{ EDC, "{\"apps\":[{\"fixedresources\":{\"memory\":\"1024\"}}]}",
		  "{\"apps\":[{\"fixedresources\":{\"memory\":1024}}]}" },
		{ EDC, "{\"apps\":[{\"fixedresources\":{\"memory\":1024.0}}]}",
		  "{\"apps\":[{\"fixedresources\":{\"memory\":1024}}]}" },
		{ EDC, "{\"apps\":[{\"fixedresources\":{\"memory\":1.024e3}}]}",
		  "{\"apps\":[{\"fixedresources\":{\"memory\":1024}}]}" },
		{ EDC, "{\"apps\":[{\"fixedresources\":{\"memory\":102400e-2}}]}",
		  "{\"apps\":[{\"fixedresources\":{\"memory\":1024}}]}" },
		/* enums as numbers or numeric strings */
		{ EDC, "{\"apps\":[{\"metaDataType\":2}]}", "{\"apps\":[{\"metaDataType\":\"MetaDataOpenStack\"}]}" },
		{ EDC, "{\"apps\":[{\"metaDataType\":\"2\"}]}", "{\"apps\":[{\"metaDataType\":\"MetaDataOpenStack\"}]}" },
		/* bytes: URL-safe alphabet, no padding */
		{ EDC, "{\"cipherContexts\":[{\"deviceCertHash\":\"_-7d\"}]}",
		  "{\"cipherContexts\":[{\"deviceCertHash\":\"/+7d\"}]}" },
		{ EDC, "{\"cipherContexts\":[{\"deviceCertHash\":\"AQI\"}]}",
		  "{\"cipherContexts\":[{\"deviceCertHash\":\"AQI=\"}]}" },
		{ EDC, "{\"cipherContexts\":[{\"deviceCertHash\":\"AQ\"}]}",
		  "{\"cipherContexts\":[{\"deviceCertHash\":\"AQ==\"}]}" },
		/* null: the field keeps its default, for every kind of field */
		{ EDC, "{\"id\":null,\"apps\":null,\"manufacturer\":null,\"controllerEpoch\":null,"
		       "\"maintenanceMode\":null,\"configTimestamp\":null,\"deviceIoList\":[{\"phyaddrs\":null}]}",
		  "{\"deviceIoList\":[{}]}" },
		/* a null oneof member does not select the oneof */
		{ ZINFO, "{\"dinfo\":null,\"ainfo\":{\"AppID\":\"x\"}}", "{\"ainfo\":{\"AppID\":\"x\"}}" },
		/* strings: escapes, surrogate pairs */
		{ EDC, "{\"manufacturer\":\"\\u0041\\u00e9\\ud83d\\ude00\\/\\t\"}",
		  "{\"manufacturer\":\"A\xc3\xa9\xf0\x9f\x98\x80/\\t\"}" },
		/* floats: strings, exponents */
		{ ZMETRIC, "{\"dm\":{\"memory\":{\"usedPercentage\":\"2.5\"}}}",
		  "{\"dm\":{\"memory\":{\"usedPercentage\":2.5}}}" },
		{ ZMETRIC, "{\"dm\":{\"memory\":{\"usedPercentage\":25E-1}}}",
		  "{\"dm\":{\"memory\":{\"usedPercentage\":2.5}}}" },
		{ ZMETRIC, "{\"dm\":{\"memory\":{\"usedPercentage\":1e-400}}}", "{\"dm\":{\"memory\":{}}}" },
		/* timestamps: offsets, 1 to 9 fractional digits */
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01T11:30:20.021+01:30\"}",
		  "{\"timestamp\":\"1972-01-01T10:00:20.021Z\"}" },
		{ LOGENTRY, "{\"timestamp\":\"1971-12-31T23:00:20.0210-11:00\"}",
		  "{\"timestamp\":\"1972-01-01T10:00:20.021Z\"}" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01T10:00:20.5Z\"}",
		  "{\"timestamp\":\"1972-01-01T10:00:20.500Z\"}" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01T10:00:20.000000001Z\"}",
		  "{\"timestamp\":\"1972-01-01T10:00:20.000000001Z\"}" },
		/* maps with integer keys */
		{ ZMETRIC, "{\"nm\":[{\"vlan_info\":{\"vlan_counts\":{\"7\":1}}}]}",
		  "{\"nm\":[{\"vlanInfo\":{\"vlanCounts\":{\"7\":1}}}]}" },
		/* whitespace anywhere between tokens */
		{ LOGENTRY, " \t\r\n{ \"msgid\" : \"1\" ,\n\"tags\":{ } } \n", "{\"msgid\":\"1\"}" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		size_t la, lb;
		uint8_t *a = bytes_of(cases[i].d, cases[i].variant, &la);
		uint8_t *b = bytes_of(cases[i].d, cases[i].canonical, &lb);

		if (la != lb || memcmp(a, b, la) != 0)
			fail_msg("case %zu: %s and %s differ", i, cases[i].variant, cases[i].canonical);
		free(a);
		free(b);
	}
}

/* ---- errors ----------------------------------------------------------------------- */

static void test_errors(void **state)
{
	static const struct {
		const ProtobufCMessageDescriptor *d;
		const char *json;
		int rc;
		const char *err;
	} cases[] = {
		/* not JSON at all: the JSON layer's message, with line and column */
		{ EDC, "", -EINVAL, "JSON: line 1, column 1: expected a value, got end of input" },
		{ EDC, "{\"apps\":[{},]}", -EINVAL, "JSON: line 1, column 12: trailing comma before ']'" },
		{ EDC, "{\n  \"manufacturer\": \"a\",\n  \"manufacturer\": \"b\"\n}", -EINVAL,
		  "JSON: line 3, column 3: object member \"manufacturer\" appears twice" },
		/* top level */
		{ EDC, "[]", -EINVAL, "expected an object (org.lfedge.eve.config.EdgeDevConfig), got an array" },
		{ EDC, "null", -EINVAL, "expected an object (org.lfedge.eve.config.EdgeDevConfig), got null" },
		{ EDC, "{\"foo\":1}", -EINVAL, "unknown field \"foo\" in org.lfedge.eve.config.EdgeDevConfig" },
		{ EDC, "{\"Manufacturer\":\"x\"}", -EINVAL,
		  "unknown field \"Manufacturer\" in org.lfedge.eve.config.EdgeDevConfig" },
		{ EDC, "{\"configItems\":[{\"key\":\"a\",\"foo\":1}]}", -EINVAL,
		  "configItems[0]: unknown field \"foo\" in org.lfedge.eve.config.ConfigItem" },
		{ EDC, "{\"controllerEpoch\":\"1\",\"controller_epoch\":\"2\"}", -EINVAL,
		  "\"controllerEpoch\" and \"controller_epoch\" name the same field of org.lfedge.eve.config.EdgeDevConfig" },
		/* integers */
		{ EDC, "{\"apps\":[{},{},{\"fixedresources\":{\"memory\":\"12x\"}}]}", -EINVAL,
		  "apps[2].fixedresources.memory: expected an integer, got \"12x\"" },
		{ EDC, "{\"apps\":[{\"fixedresources\":{\"memory\":1.5}}]}", -EINVAL,
		  "apps[0].fixedresources.memory: expected an integer, got 1.5" },
		{ EDC, "{\"apps\":[{\"fixedresources\":{\"memory\":true}}]}", -EINVAL,
		  "apps[0].fixedresources.memory: expected an integer, got true" },
		{ EDC, "{\"apps\":[{\"fixedresources\":{\"memory\":-1}}]}", -EINVAL,
		  "apps[0].fixedresources.memory: -1 is out of range for uint32" },
		{ EDC, "{\"apps\":[{\"fixedresources\":{\"memory\":4294967296}}]}", -EINVAL,
		  "apps[0].fixedresources.memory: 4294967296 is out of range for uint32" },
		{ EDC, "{\"apps\":[{\"fixedresources\":{\"irqs\":[1,\" 2\"]}}]}", -EINVAL,
		  "apps[0].fixedresources.irqs[1]: expected an integer, got \" 2\"" },
		{ EDC, "{\"apps\":[{\"interfaces\":[{\"acls\":[{\"id\":2147483648}]}]}]}", -EINVAL,
		  "apps[0].interfaces[0].acls[0].id: 2147483648 is out of range for int32" },
		{ EDC, "{\"controllerEpoch\":\"9223372036854775808\"}", -EINVAL,
		  "controllerEpoch: \"9223372036854775808\" is out of range for int64" },
		{ EDC, "{\"controllerEpoch\":1e19}", -EINVAL, "controllerEpoch: 1e19 is out of range for int64" },
		{ EDC, "{\"controllerEpoch\":\"0x10\"}", -EINVAL,
		  "controllerEpoch: expected an integer, got \"0x10\"" },
		{ EDC, "{\"controllerEpoch\":\"\"}", -EINVAL, "controllerEpoch: expected an integer, got \"\"" },
		{ EDC, "{\"contentInfo\":[{\"maxSizeBytes\":\"-1\"}]}", -EINVAL,
		  "contentInfo[0].maxSizeBytes: \"-1\" is out of range for uint64" },
		{ EDC, "{\"contentInfo\":[{\"maxSizeBytes\":18446744073709551616}]}", -EINVAL,
		  "contentInfo[0].maxSizeBytes: 18446744073709551616 is out of range for uint64" },
		/* floats */
		{ ZMETRIC, "{\"dm\":{\"memory\":{\"usedPercentage\":\"abc\"}}}", -EINVAL,
		  "dm.memory.usedPercentage: expected a number, got \"abc\"" },
		{ ZMETRIC, "{\"dm\":{\"memory\":{\"usedPercentage\":\"nan\"}}}", -EINVAL,
		  "dm.memory.usedPercentage: expected a number, got \"nan\"" },
		{ ZMETRIC, "{\"dm\":{\"memory\":{\"usedPercentage\":1e400}}}", -EINVAL,
		  "dm.memory.usedPercentage: 1e400 is out of range for double" },
		{ ZMETRIC, "{\"dm\":{\"newlog\":{\"currentCPULoadPct\":3.5e38}}}", -EINVAL,
		  "dm.newlog.currentCPULoadPct: 3.5e38 is out of range for float" },
		{ ZMETRIC, "{\"dm\":{\"memory\":{\"usedPercentage\":[1]}}}", -EINVAL,
		  "dm.memory.usedPercentage: expected a number, got an array" },
		/* bools, strings */
		{ EDC, "{\"maintenanceMode\":\"true\"}", -EINVAL,
		  "maintenanceMode: expected true or false, got \"true\"" },
		{ EDC, "{\"maintenanceMode\":1}", -EINVAL, "maintenanceMode: expected true or false, got 1" },
		{ EDC, "{\"manufacturer\":12}", -EINVAL, "manufacturer: expected a string, got 12" },
		{ EDC, "{\"manufacturer\":\"a\\u0000b\"}", -EINVAL,
		  "manufacturer: string contains U+0000, which protobuf-c strings cannot hold" },
		/* enums */
		{ EDC, "{\"apps\":[{\"metaDataType\":\"MetaDataFoo\"}]}", -EINVAL,
		  "apps[0].metaDataType: unknown value \"MetaDataFoo\" for enum org.lfedge.eve.config.MetaDataType" },
		{ EDC, "{\"apps\":[{\"metaDataType\":1.5}]}", -EINVAL,
		  "apps[0].metaDataType: expected a value of enum org.lfedge.eve.config.MetaDataType, got 1.5" },
		{ EDC, "{\"apps\":[{\"metaDataType\":{}}]}", -EINVAL,
		  "apps[0].metaDataType: expected a value of enum org.lfedge.eve.config.MetaDataType, got an object" },
		/* bytes */
		{ EDC, "{\"cipherContexts\":[{\"deviceCertHash\":\"AQ*D\"}]}", -EINVAL,
		  "cipherContexts[0].deviceCertHash: invalid base64 character at offset 2: \"AQ*D\"" },
		{ EDC, "{\"cipherContexts\":[{\"deviceCertHash\":\"AQIDB\"}]}", -EINVAL,
		  "cipherContexts[0].deviceCertHash: invalid base64 (bad length or padding): \"AQIDB\"" },
		{ EDC, "{\"cipherContexts\":[{\"deviceCertHash\":\"AQ=\"}]}", -EINVAL,
		  "cipherContexts[0].deviceCertHash: invalid base64 (bad length or padding): \"AQ=\"" },
		{ EDC, "{\"cipherContexts\":[{\"deviceCertHash\":\"A=Q=\"}]}", -EINVAL,
		  "cipherContexts[0].deviceCertHash: invalid base64 character at offset 1: \"A=Q=\"" },
		{ EDC, "{\"cipherContexts\":[{\"deviceCertHash\":[1,2]}]}", -EINVAL,
		  "cipherContexts[0].deviceCertHash: expected a base64 string, got an array" },
		/* messages, repeated fields, maps */
		{ EDC, "{\"id\":\"x\"}", -EINVAL,
		  "id: expected an object (org.lfedge.eve.config.UUIDandVersion), got \"x\"" },
		{ EDC, "{\"apps\":{}}", -EINVAL, "apps: expected an array, got an object" },
		{ EDC, "{\"apps\":[null]}", -EINVAL, "apps[0]: null is not allowed in a repeated field" },
		{ EDC, "{\"apps\":[{\"profile_list\":[\"a\",null]}]}", -EINVAL,
		  "apps[0].profile_list[1]: null is not allowed in a repeated field" },
		{ EDC, "{\"deviceIoList\":[{\"phyaddrs\":[]}]}", -EINVAL,
		  "deviceIoList[0].phyaddrs: expected an object (map), got an array" },
		{ EDC, "{\"deviceIoList\":[{\"phyaddrs\":{\"ifname\":null}}]}", -EINVAL,
		  "deviceIoList[0].phyaddrs[\"ifname\"]: null is not allowed as a map value" },
		{ EDC, "{\"deviceIoList\":[{\"phyaddrs\":{\"ifname\":3}}]}", -EINVAL,
		  "deviceIoList[0].phyaddrs[\"ifname\"]: expected a string, got 3" },
		{ ZMETRIC, "{\"nm\":[{\"vlanInfo\":{\"vlanCounts\":{\"07\":1}}}]}", -EINVAL,
		  "nm[0].vlanInfo.vlanCounts[\"07\"]: map key \"07\" is not a canonical uint32" },
		{ ZMETRIC, "{\"nm\":[{\"vlanInfo\":{\"vlanCounts\":{\"-1\":1}}}]}", -EINVAL,
		  "nm[0].vlanInfo.vlanCounts[\"-1\"]: map key \"-1\" is not a canonical uint32" },
		{ ZMETRIC, "{\"nm\":[{\"vlanInfo\":{\"vlanCounts\":{\"4294967296\":1}}}]}", -EINVAL,
		  "nm[0].vlanInfo.vlanCounts[\"4294967296\"]: map key \"4294967296\" is not a canonical uint32" },
		{ ZINFO, "{\"dinfo\":{\"configItemStatus\":{\"configItems\":{\"a\":{\"value\":1}}}}}", -EINVAL,
		  "dinfo.configItemStatus.configItems[\"a\"].value: expected a string, got 1" },
		/* oneofs */
		{ ZINFO, "{\"dinfo\":{},\"ainfo\":{}}", -EINVAL,
		  "\"dinfo\" and \"ainfo\" are members of the same oneof of org.lfedge.eve.info.ZInfoMsg" },
		{ ZMETRIC, "{\"dm\":{\"metricItems\":[{\"boolValue\":true,\"uint32Value\":1}]}}", -EINVAL,
		  "dm.metricItems[0]: \"boolValue\" and \"uint32Value\" are members of the same oneof of org.lfedge.eve.metrics.MetricItem" },
		/* timestamps */
		{ LOGENTRY, "{\"timestamp\":12}", -EINVAL, "timestamp: expected an RFC 3339 timestamp string, got 12" },
		{ LOGENTRY, "{\"timestamp\":{\"seconds\":\"1\"}}", -EINVAL,
		  "timestamp: expected an RFC 3339 timestamp string, got an object" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01 10:00:20Z\"}", -EINVAL,
		  "timestamp: expected an RFC 3339 timestamp like \"1972-01-01T10:00:20.021Z\": \"1972-01-01 10:00:20Z\"" },
		{ LOGENTRY, "{\"timestamp\":\"1972-13-01T10:00:20Z\"}", -EINVAL,
		  "timestamp: date or time out of range: \"1972-13-01T10:00:20Z\"" },
		{ LOGENTRY, "{\"timestamp\":\"1900-02-29T10:00:20Z\"}", -EINVAL,
		  "timestamp: date or time out of range: \"1900-02-29T10:00:20Z\"" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01T24:00:00Z\"}", -EINVAL,
		  "timestamp: date or time out of range: \"1972-01-01T24:00:00Z\"" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01T10:00:60Z\"}", -EINVAL,
		  "timestamp: date or time out of range: \"1972-01-01T10:00:60Z\"" },
		{ LOGENTRY, "{\"timestamp\":\"0000-12-31T10:00:00Z\"}", -EINVAL,
		  "timestamp: date or time out of range: \"0000-12-31T10:00:00Z\"" },
		{ LOGENTRY, "{\"timestamp\":\"0001-01-01T00:00:00+00:01\"}", -EINVAL,
		  "timestamp: timestamp out of range (years 0001 to 9999): \"0001-01-01T00:00:00+00:01\"" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01T10:00:20.0123456789Z\"}", -EINVAL,
		  "timestamp: more than 9 fractional digits: \"1972-01-01T10:00:20.0123456789Z\"" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01T10:00:20.Z\"}", -EINVAL,
		  "timestamp: no digits after the decimal point: \"1972-01-01T10:00:20.Z\"" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01T10:00:20\"}", -EINVAL,
		  "timestamp: missing UTC offset (Z, +HH:MM or -HH:MM): \"1972-01-01T10:00:20\"" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01T10:00:20z\"}", -EINVAL,
		  "timestamp: missing UTC offset (Z, +HH:MM or -HH:MM): \"1972-01-01T10:00:20z\"" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01T10:00:20+0100\"}", -EINVAL,
		  "timestamp: bad UTC offset (expected Z, +HH:MM or -HH:MM): \"1972-01-01T10:00:20+0100\"" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01T10:00:20+24:00\"}", -EINVAL,
		  "timestamp: UTC offset out of range: \"1972-01-01T10:00:20+24:00\"" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01T10:00:20ZZ\"}", -EINVAL,
		  "timestamp: trailing characters after the timestamp: \"1972-01-01T10:00:20ZZ\"" },
		{ LOGENTRY, "{\"timestamp\":\"1972-01-01t10:00:20Z\"}", -EINVAL,
		  "timestamp: expected an RFC 3339 timestamp like \"1972-01-01T10:00:20.021Z\": \"1972-01-01t10:00:20Z\"" },
		/* hostile names are shown sanitised and cut */
		{ EDC, "{\"\\u0001\\\"x\\\\\":1}", -EINVAL,
		  "unknown field \"?\\\"x\\\\\" in org.lfedge.eve.config.EdgeDevConfig" },
		{ EDC, "{\"manufacturer\":1,\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":1}",
		  -EINVAL, "manufacturer: expected a string, got 1" },
		{ EDC, "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":1}", -EINVAL,
		  "unknown field \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" in org.lfedge.eve.config.EdgeDevConfig" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		expect_error(cases[i].d, cases[i].json, 0, cases[i].rc, cases[i].err);
}

static void test_error_long_path(void **state)
{
	/* a path longer than the error buffer keeps its end (where the error is) */
	char json[4096], err[PBJSON_ERR_LEN];
	ProtobufCMessage *m = NULL;
	size_t o = 0;
	int i, rc;

	(void)state;
	o += (size_t)snprintf(json + o, sizeof(json) - o, "{\"apps\":[");
	for (i = 0; i < 40; i++)
		o += (size_t)snprintf(json + o, sizeof(json) - o, "{},");
	o += (size_t)snprintf(json + o, sizeof(json) - o,
			      "{\"interfaces\":[{},{},{\"acls\":[{},{\"matches\":[{},{\"value\":7}]}]}]}]}");
	rc = pbjson_to_message(EDC, json, o, NULL, &m, err);
	assert_int_equal(rc, -EINVAL);
	assert_null(m);
	assert_string_equal(err, "apps[40].interfaces[2].acls[1].matches[1].value: expected a string, got 7");

	/* DisksConfig nests itself: 30 levels make a path longer than the buffer */
	o = (size_t)snprintf(json, sizeof(json), "{\"disks\":");
	for (i = 0; i < 30; i++)
		o += (size_t)snprintf(json + o, sizeof(json) - o, "{\"children\":[");
	o += (size_t)snprintf(json + o, sizeof(json) - o, "{\"array_type\":\"bad\"}");
	for (i = 0; i < 30; i++)
		o += (size_t)snprintf(json + o, sizeof(json) - o, "]}");
	o += (size_t)snprintf(json + o, sizeof(json) - o, "}");
	rc = pbjson_to_message(EDC, json, o, NULL, &m, err);
	assert_int_equal(rc, -EINVAL);
	assert_int_equal(strlen(err), PBJSON_ERR_LEN - 1);
	assert_memory_equal(err, "...", 3);
	assert_non_null(strstr(err, "].children[0].array_type: unknown value \"bad\" for enum "
				    "org.lfedge.eve.config.DisksArrayType"));
}

static void test_limits(void **state)
{
	struct pt_alloc_stats st;
	ProtobufCAllocator a;
	ProtobufCMessage *m = NULL;
	char err[PBJSON_ERR_LEN];
	size_t n = (size_t)JSON_MAX_BYTES + 1, i;
	char *big = malloc(n);
	char deep[400];
	int rc;

	(void)state;
	pt_alloc_init(&a, &st);
	/* too large: refused before parsing */
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	rc = pbjson_to_message(EDC, big, n, &a, &m, err);
	assert_int_equal(rc, -E2BIG);
	assert_null(m);
	assert_non_null(strstr(err, "more than the limit"));
	/* the same at the limit is fine */
	rc = pbjson_to_message(EDC, big + 1, n - 1, &a, &m, err);
	assert_int_equal(rc, -EINVAL); /* starts with spaces then '}' */
	assert_non_null(strstr(err, "expected a value, got '}'"));
	free(big);

	/* JSON nesting deeper than 64 */
	for (i = 0; i < 65; i++)
		deep[i] = '[';
	for (i = 65; i < 130; i++)
		deep[i] = ']';
	rc = pbjson_to_message(EDC, deep, 130, &a, &m, err);
	assert_int_equal(rc, -E2BIG);
	assert_string_equal(err, "JSON: line 1, column 65: nesting deeper than 64");
	assert_int_equal(st.live, 0);
}

static void test_ignore_unknown(void **state)
{
	struct pt_alloc_stats st;
	ProtobufCAllocator a;
	ProtobufCMessage *m = NULL;
	const EdgeDevConfig *c;
	char err[PBJSON_ERR_LEN];
	const char *json = "{\"newField\":{\"x\":[1,2]},\"manufacturer\":\"QEMU\","
			   "\"configItems\":[{\"key\":\"k\",\"future\":true}]}";
	int rc;

	(void)state;
	expect_error(EDC, json, 0, -EINVAL, "unknown field \"newField\" in org.lfedge.eve.config.EdgeDevConfig");
	pt_alloc_init(&a, &st);
	rc = pbjson_to_message_flags(EDC, json, strlen(json), PBJSON_IGNORE_UNKNOWN, &a, &m, err);
	assert_int_equal(rc, 0);
	c = (const EdgeDevConfig *)m;
	assert_string_equal(c->manufacturer, "QEMU");
	assert_int_equal(c->n_configitems, 1);
	assert_string_equal(c->configitems[0]->key, "k");
	protobuf_c_message_free_unpacked(m, &a);
	assert_int_equal(st.live, 0);
	/* still an error: a known field with a bad value */
	expect_error(EDC, "{\"x\":1,\"manufacturer\":1}", PBJSON_IGNORE_UNKNOWN, -EINVAL,
		     "manufacturer: expected a string, got 1");
}

/* ---- memory ----------------------------------------------------------------------- */

struct failing {
	long left;                    /* allocations that still succeed */
	long live;
};

static void *failing_alloc(void *ad, size_t size)
{
	struct failing *f = ad;
	void *p;

	if (f->left <= 0)
		return NULL;
	f->left--;
	p = malloc(size);
	if (p != NULL)
		f->live++;
	return p;
}

static void failing_free(void *ad, void *p)
{
	struct failing *f = ad;

	if (p != NULL)
		f->live--;
	free(p);
}

/* Every allocation failing in turn: -ENOMEM, and everything freed. */
static void test_allocation_failures(void **state)
{
	static const struct {
		const ProtobufCMessageDescriptor *d;
		const char *path;
	} files[] = {
		{ EDC, DATA "edgedevconfig.in.json" },
		{ ZINFO, DATA "zinfomsg.in.json" },
		{ ZMETRIC, DATA "zmetricmsg.in.json" },
	};
	size_t k;

	(void)state;
	for (k = 0; k < ARRAY_LEN(files); k++) {
		size_t len;
		char *json = slurp(files[k].path, &len);
		struct failing f;
		ProtobufCAllocator a = { failing_alloc, failing_free, &f };
		long budget;

		for (budget = 0;; budget++) {
			ProtobufCMessage *m = NULL;
			char err[PBJSON_ERR_LEN];
			int rc;

			f.left = budget;
			f.live = 0;
			rc = pbjson_to_message(files[k].d, json, len, &a, &m, err);
			if (rc == 0) {
				assert_true(budget > 50);
				protobuf_c_message_free_unpacked(m, &a);
				assert_int_equal(f.live, 0);
				break;
			}
			assert_int_equal(rc, -ENOMEM);
			assert_null(m);
			assert_non_null(strstr(err, "out of memory"));
			assert_int_equal(f.live, 0);
		}
		free(json);
	}
}

static void test_default_allocator(void **state)
{
	ProtobufCMessage *m = NULL;
	char err[PBJSON_ERR_LEN];
	size_t len;
	char *json = slurp(DATA "edgedevconfig.in.json", &len);
	int rc;

	(void)state;
	/* alloc NULL: malloc/free, freed by protobuf-c's default allocator */
	rc = pbjson_to_message(EDC, json, len, NULL, &m, err);
	assert_int_equal(rc, 0);
	assert_int_equal(((EdgeDevConfig *)m)->n_apps, 2);
	protobuf_c_message_free_unpacked(m, NULL);
	free(json);
}

/* ---- output errors ------------------------------------------------------------------ */

static void expect_print_error(const ProtobufCMessage *m, const char *want)
{
	char err[PBJSON_ERR_LEN];
	char *out = (char *)&out;
	int rc = pbjson_from_message(m, 0, &out, err);

	assert_int_equal(rc, -EINVAL);
	assert_null(out);
	assert_string_equal(err, want);
}

static void test_print_errors(void **state)
{
	EdgeDevConfig c = ORG__LFEDGE__EVE__CONFIG__EDGE_DEV_CONFIG__INIT;
	Org__Lfedge__Eve__Config__ConfigItem ci = ORG__LFEDGE__EVE__CONFIG__CONFIG_ITEM__INIT;
	Org__Lfedge__Eve__Config__ConfigItem *cis[] = { &ci };
	Org__Lfedge__Eve__Config__AppInstanceConfig *apps[] = { NULL };
	Org__Lfedge__Eve__Common__CipherContext cc = ORG__LFEDGE__EVE__COMMON__CIPHER_CONTEXT__INIT;
	Org__Lfedge__Eve__Common__CipherContext *ccs[] = { &cc };
	Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

	(void)state;
	ci.key = "k";
	ci.value = "bad \xff utf-8";
	c.n_configitems = 1;
	c.configitems = cis;
	expect_print_error(&c.pbc_base, "configItems[0].value: string is not valid UTF-8");
	ci.value = "ok";
	c.config_timestamp = &t;
	t.seconds = 253402300800LL;
	expect_print_error(&c.pbc_base,
			   "configTimestamp: timestamp out of range (seconds 253402300800, nanos 0)");
	t.seconds = 0;
	t.nanos = -1;
	expect_print_error(&c.pbc_base, "configTimestamp: timestamp out of range (seconds 0, nanos -1)");
	t.nanos = 1000000000;
	expect_print_error(&c.pbc_base,
			   "configTimestamp: timestamp out of range (seconds 0, nanos 1000000000)");
	c.config_timestamp = NULL;
	c.n_apps = 1;
	c.apps = apps;
	expect_print_error(&c.pbc_base, "apps[0]: NULL element in a repeated message field");
	c.n_apps = 0;
	cc.devicecerthash.len = 3;
	c.n_ciphercontexts = 1;
	c.ciphercontexts = ccs;
	expect_print_error(&c.pbc_base, "cipherContexts[0].deviceCertHash: bytes of length 3 without data");
}

/* A hand-made descriptor named like a well-known type we do not map. */
struct fake_duration {
	ProtobufCMessage base;
	int64_t seconds;
};

static void fake_duration_init(ProtobufCMessage *m);

static const ProtobufCFieldDescriptor fake_duration_fields[] = {
	{ "seconds", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_INT64, 0,
	  offsetof(struct fake_duration, seconds), NULL, NULL, 0, 0, NULL, NULL },
};
static const unsigned fake_duration_by_name[] = { 0 };
static const ProtobufCIntRange fake_duration_ranges[] = { { 1, 0 }, { 0, 1 } };
static const ProtobufCMessageDescriptor fake_duration_desc = {
	PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "google.protobuf.Duration", "Duration",
	"Google__Protobuf__Duration", "google.protobuf", sizeof(struct fake_duration),
	1, fake_duration_fields, fake_duration_by_name, 1, fake_duration_ranges,
	fake_duration_init, NULL, NULL, NULL,
};

static void fake_duration_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(struct fake_duration));
	m->descriptor = &fake_duration_desc;
}

static void test_unsupported_well_known_types(void **state)
{
	struct fake_duration d;
	ProtobufCMessage *m = NULL;
	char err[PBJSON_ERR_LEN];
	char *out = NULL;

	(void)state;
	assert_int_equal(pbjson_to_message(&fake_duration_desc, "\"1s\"", 4, NULL, &m, err), -EINVAL);
	assert_string_equal(err, "well-known type google.protobuf.Duration is not supported");
	assert_null(m);
	memset(&d, 0, sizeof(d));
	fake_duration_init(&d.base);
	assert_int_equal(pbjson_from_message(&d.base, 0, &out, err), -EINVAL);
	assert_string_equal(err, "well-known type google.protobuf.Duration is not supported");
	assert_null(out);
}

/* ---- cross-check with python3-protobuf ---------------------------------------------- */

static const ProtobufCMessageDescriptor *const top_level[] = {
	&org__lfedge__eve__config__edge_dev_config__descriptor,
	&org__lfedge__eve__config__config_request__descriptor,
	&org__lfedge__eve__config__config_response__descriptor,
	&org__lfedge__eve__config__bootstrap_config__descriptor,
	&org__lfedge__eve__info__zinfo_msg__descriptor,
	&org__lfedge__eve__metrics__zmetric_msg__descriptor,
	&org__lfedge__eve__logs__log_entry__descriptor,
	&org__lfedge__eve__logs__log_bundle__descriptor,
	&org__lfedge__eve__auth__auth_container__descriptor,
	&org__lfedge__eve__register__zregister_msg__descriptor,
	&org__lfedge__eve__certs__zcontroller_cert__descriptor,
	&org__lfedge__eve__uuid__uuid_response__descriptor,
	&org__lfedge__eve__attest__zattest_req__descriptor,
	&org__lfedge__eve__attest__zattest_response__descriptor,
};

static const ProtobufCMessageDescriptor *descriptor_named(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(top_level); i++)
		if (strcmp(top_level[i]->name, name) == 0)
			return top_level[i];
	return NULL;
}

/* Every message reachable from the top-level types, each once. */
static size_t reachable(const ProtobufCMessageDescriptor **out, size_t cap)
{
	size_t n = 0, i, k;
	unsigned f;

	for (i = 0; i < ARRAY_LEN(top_level); i++)
		out[n++] = top_level[i];
	for (i = 0; i < n; i++) {
		for (f = 0; f < out[i]->n_fields; f++) {
			const ProtobufCMessageDescriptor *sub;

			if (out[i]->fields[f].type != PROTOBUF_C_TYPE_MESSAGE)
				continue;
			sub = out[i]->fields[f].descriptor;
			for (k = 0; k < n && out[k] != sub; k++)
				;
			if (k == n) {
				assert_true(n < cap);
				out[n++] = sub;
			}
		}
	}
	return n;
}

static void write_fields_txt(const char *dir)
{
	const ProtobufCMessageDescriptor *all[1024];
	size_t n = reachable(all, ARRAY_LEN(all)), i, lines = 0;
	char path[512], jn[256];
	FILE *f;
	unsigned k;

	snprintf(path, sizeof(path), "%s/fields.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < n; i++) {
		for (k = 0; k < all[i]->n_fields; k++) {
			const ProtobufCFieldDescriptor *fd = &all[i]->fields[k];

			assert_true(pbjson_json_name(fd->name, jn, sizeof(jn)) > 0);
			fprintf(f, "%s %s %s %s\n", all[i]->name, fd->name, jn,
				pbjson_field_is_map(all[i], fd) ? "map" : "-");
			lines++;
		}
	}
	assert_int_equal(fclose(f), 0);
	assert_true(n > 100 && lines > 500);
}

static int run_program(const char *const argv[])
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Our side of a case: parse BASE.json as the type in TYPEFILE, write BASE.c.bin and BASE.c.json. */
static void c_side(const char *base, const char *typefile)
{
	char path[600], type[256];
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *m = NULL;
	char err[PBJSON_ERR_LEN];
	size_t n, blen;
	char *t, *json, *out;
	uint8_t *b;
	int rc;

	t = slurp(typefile, NULL);
	snprintf(type, sizeof(type), "%s", t);
	free(t);
	d = descriptor_named(type);
	assert_non_null(d);
	snprintf(path, sizeof(path), "%.500s.json", base);
	json = slurp(path, &n);
	rc = pbjson_to_message(d, json, n, NULL, &m, err);
	if (rc != 0) {
		print_message("# %s: pbjson refused python's JSON: %s\n", path, err);
		free(json);
		return; /* no .c.bin: the python side reports the case as failed */
	}
	b = pack(m, &blen);
	snprintf(path, sizeof(path), "%.500s.c.bin", base);
	spill(path, b, blen);
	out = print_ok(m, (blen & 1) ? PBJSON_PRETTY : 0);
	snprintf(path, sizeof(path), "%.500s.c.json", base);
	spill(path, out, strlen(out));
	free(out);
	free(b);
	free(json);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void write_ours(const char *dir, int idx, const ProtobufCMessageDescriptor *d,
		       const char *fixture)
{
	char path[600];
	size_t n, blen;
	char *json = slurp(fixture, &n);
	ProtobufCMessage *m = parse_ok(d, json, n, NULL);
	uint8_t *b = pack(m, &blen);
	char *out = print_ok(m, 0);

	snprintf(path, sizeof(path), "%s/ours_%04d.type", dir, idx);
	spill(path, d->name, strlen(d->name));
	snprintf(path, sizeof(path), "%s/ours_%04d.json", dir, idx);
	spill(path, out, strlen(out));
	snprintf(path, sizeof(path), "%s/ours_%04d.bin", dir, idx);
	spill(path, b, blen);
	free(out);
	free(b);
	free(json);
	protobuf_c_message_free_unpacked(m, NULL);
}

/*
 * Both sides of the cross-check, run once for all the xcheck tests: our
 * fixtures (as printed by us) and python's random messages (as printed by
 * python) go through the other side; python compares and prints one line
 * per comparison, tagged (a) to (d), which the tests below count.
 */
struct xcheck {
	bool ran;
	int ok[4], failed[4];
	int byte_equal;
};

static struct xcheck *xcheck_run(void)
{
	static struct xcheck x;
	static const char py[] = "/usr/bin/python3";
	static const char script[] = "tests/unit/data/pbjson_xcheck.py";
	static const char pyout[] = "build/gen/py";
	const char *seed_env = getenv("PBJSON_XCHECK_SEED");
	char dir[] = "/tmp/pbjson-xcheck.XXXXXX";
	char seed[32], count[] = "12", line[1024];
	int cases = 0, failed = 0, fds[2];
	struct dirent *de;
	pid_t pid;
	FILE *p;
	DIR *dd;

	if (x.ran)
		return &x;
	x.ran = true;
	if (access(py, X_OK) != 0)
		fail_msg("%s not found: install python3-protobuf (make deps)", py);
	snprintf(seed, sizeof(seed), "%s", seed_env ? seed_env : "20240501");
	assert_non_null(mkdtemp(dir));
	write_ours(dir, 0, EDC, DATA "edgedevconfig.json");
	write_ours(dir, 1, ZINFO, DATA "zinfomsg.json");
	write_ours(dir, 2, ZMETRIC, DATA "zmetricmsg.json");
	write_fields_txt(dir);
	{
		const char *const argv[] = { py, script, "gen", pyout, dir, seed, count, NULL };

		assert_int_equal(run_program(argv), 0);
	}
	/* our parser (and printer) over every JSON python wrote */
	dd = opendir(dir);
	assert_non_null(dd);
	while ((de = readdir(dd)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > 5 && l < 64 && strcmp(de->d_name + l - 5, ".type") == 0) {
			char base[128], typefile[140];

			snprintf(base, sizeof(base), "%.40s/%.*s", dir, (int)(l - 5), de->d_name);
			snprintf(typefile, sizeof(typefile), "%.128s.type", base);
			/* py_N: python's JSON; ours_N.py: python's JSON of our message */
			if (strncmp(de->d_name, "ours_", 5) == 0)
				strcat(base, ".py");
			c_side(base, typefile);
			cases++;
		}
	}
	closedir(dd);
	assert_int_equal(cases, 3 + 12 * (int)ARRAY_LEN(top_level));

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(py, py, script, "check", pyout, dir, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	p = fdopen(fds[0], "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		const char *tag = strstr(line, " (");
		int k = tag != NULL && tag[2] >= 'a' && tag[2] <= 'd' ? tag[2] - 'a' : -1;

		if (strncmp(line, "ok ", 3) == 0 && k >= 0) {
			x.ok[k]++;
			if (k == 1 && strstr(line, " bytes equal") != NULL &&
			    strstr(line, "deterministic") == NULL)
				x.byte_equal++;
		} else {
			if (k >= 0)
				x.failed[k]++;
			failed++;
			print_message("# %s", line);
		}
	}
	fclose(p);
	{
		int status = 0;

		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	print_message("# python cross-check (seed %s): a %d, b %d, c %d, d %d ok (b: %d byte-identical), "
		      "%d failed\n", seed, x.ok[0], x.ok[1], x.ok[2], x.ok[3], x.byte_equal, failed);
	if (failed == 0) {
		const char *const argv[] = { "/bin/rm", "-rf", dir, NULL };

		assert_int_equal(run_program(argv), 0);
	} else {
		print_message("# work folder kept: %s\n", dir);
	}
	return &x;
}

/* (a) our JSON of the fixtures -> json_format.Parse -> bytes equal protobuf-c's */
static void test_xcheck_our_json_in_python(void **state)
{
	struct xcheck *x = xcheck_run();

	(void)state;
	assert_int_equal(x->failed[0], 0);
	assert_int_equal(x->ok[0], 3);
}

/* (b) python's JSON (random messages of every type, fixtures) -> pbjson -> python's bytes */
static void test_xcheck_python_json_in_pbjson(void **state)
{
	struct xcheck *x = xcheck_run();

	(void)state;
	assert_int_equal(x->failed[1], 0);
	assert_int_equal(x->ok[1], 12 * (int)ARRAY_LEN(top_level) + 3);
	assert_true(x->byte_equal > x->ok[1] / 2);
}

/* (c) pbjson's JSON of what it read from python -> json_format.Parse -> same message */
static void test_xcheck_our_reprint_in_python(void **state)
{
	struct xcheck *x = xcheck_run();

	(void)state;
	assert_int_equal(x->failed[2], 0);
	assert_int_equal(x->ok[2], 12 * (int)ARRAY_LEN(top_level) + 3);
}

/* (d) JSON names and map fields of every reachable field agree with protoc's */
static void test_xcheck_names_and_maps(void **state)
{
	struct xcheck *x = xcheck_run();

	(void)state;
	assert_int_equal(x->failed[3], 0);
	assert_int_equal(x->ok[3], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_names),
		cmocka_unit_test(test_map_detection),
		cmocka_unit_test(test_fixture_edgedevconfig),
		cmocka_unit_test(test_fixture_zinfomsg),
		cmocka_unit_test(test_fixture_zmetricmsg),
		cmocka_unit_test(test_print_from_c),
		cmocka_unit_test(test_print_flags),
		cmocka_unit_test(test_print_timestamps_and_floats),
		cmocka_unit_test(test_accepted_spellings),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_long_path),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_ignore_unknown),
		cmocka_unit_test(test_allocation_failures),
		cmocka_unit_test(test_default_allocator),
		cmocka_unit_test(test_print_errors),
		cmocka_unit_test(test_unsupported_well_known_types),
		cmocka_unit_test(test_xcheck_our_json_in_python),
		cmocka_unit_test(test_xcheck_python_json_in_pbjson),
		cmocka_unit_test(test_xcheck_our_reprint_in_python),
		cmocka_unit_test(test_xcheck_names_and_maps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
