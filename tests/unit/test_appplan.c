/*
 * appplan: an EdgeDevConfig (written as proto3 JSON, parsed with pbjson) ->
 * the plan the apps role runs; every hostile input lands as a sentence on
 * the right object; the plan bytes pass appplan_check and mutated bytes do
 * not.
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

#include "appplan.h"
#include "pbjson.h"

#include "config/devconfig.pb-c.h"

typedef Org__Lfedge__Eve__Config__EdgeDevConfig EdgeDevConfig;

#define DS1 "11111111-1111-4111-8111-111111111111"
#define DS2 "22222222-2222-4222-8222-222222222222"
#define CT1 "c1000000-0000-4000-8000-000000000001"
#define CT2 "c2000000-0000-4000-8000-000000000002"
#define V1 "a1000000-0000-4000-8000-000000000001"
#define V2 "a2000000-0000-4000-8000-000000000002"
#define V3 "a3000000-0000-4000-8000-000000000003"
#define APP1 "e1e1e1e1-0000-4000-8000-0000000000aa"
#define APP2 "e2e2e2e2-0000-4000-8000-0000000000bb"
#define NET1 "99999999-0000-4000-8000-000000000001"
#define SHA1U "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"
#define SHA1 "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
#define SHA2 "0000000000000000000000000000000000000000000000000000000000000002"

/* Two apps, three volumes, two content trees, two datastores (one usable). */
static const char base_json[] =
	"{"
	"\"datastores\":["
	" {\"id\":\"" DS1 "\",\"dType\":\"DsHttps\",\"fqdn\":\"https://Files.example.com:8443/\","
	"  \"dpath\":\"/images//v1/\","
	"  \"dsCertPEM\":[\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\",\"LS0tLS1FTkQtLS0tLQo=\"]},"
	" {\"id\":\"" DS2 "\",\"dType\":\"DsS3\",\"fqdn\":\"s3.example.com\"}],"
	"\"contentInfo\":["
	" {\"uuid\":\"" CT1 "\",\"dsId\":\"" DS1 "\",\"URL\":\"/disks//disk.qcow2\","
	"  \"iformat\":\"QCOW2\",\"sha256\":\"" SHA1U "\",\"maxSizeBytes\":\"1048576\","
	"  \"displayName\":\"disk\",\"generationCount\":\"4\","
	"  \"siginfo\":{\"signercerturl\":\"certs/signer.pem\",\"intercertsurl\":\"/certs/inter.pem\","
	"   \"signature\":\"AQIDBA==\"}},"
	" {\"uuid\":\"" CT2 "\",\"dsId\":\"" DS1 "\",\"URL\":\"vmlinuz\",\"iformat\":\"RAW\","
	"  \"sha256\":\"" SHA2 "\",\"displayName\":\"kernel\"}],"
	"\"volumes\":["
	" {\"uuid\":\"" V1 "\",\"origin\":{\"type\":\"VCOT_DOWNLOAD\",\"downloadContentTreeID\":\"" CT1 "\"},"
	"  \"generationCount\":\"2\",\"maxsizebytes\":\"10485760\",\"displayName\":\"root\",\"target\":\"Disk\"},"
	" {\"uuid\":\"" V2 "\",\"origin\":{\"type\":\"VCOT_DOWNLOAD\",\"downloadContentTreeID\":\"" CT2 "\"},"
	"  \"readonly\":true,\"target\":\"Kernel\",\"displayName\":\"k\"},"
	" {\"uuid\":\"" V3 "\",\"origin\":{\"type\":\"VCOT_BLANK\"},\"maxsizebytes\":\"1073741824\","
	"  \"displayName\":\"data\"}],"
	"\"deviceIoList\":["
	" {\"ptype\":\"PhyIoNetEth\",\"phylabel\":\"eth0\",\"logicallabel\":\"eth0\",\"assigngrp\":\"eth0\","
	"  \"phyaddrs\":{\"pcilong\":\"0000:02:00.0\",\"ifname\":\"eth0\"},\"usage\":\"PhyIoUsageMgmtAndApps\"},"
	" {\"ptype\":\"PhyIoNetEth\",\"phylabel\":\"eth1\",\"logicallabel\":\"eth1\",\"assigngrp\":\"eth1\","
	"  \"phyaddrs\":{\"pcilong\":\"0000:03:00.0\",\"ifname\":\"eth1\"}},"
	" {\"ptype\":\"PhyIoCOM\",\"phylabel\":\"COM1\",\"logicallabel\":\"COM1\",\"assigngrp\":\"COM1\","
	"  \"phyaddrs\":{\"serial\":\"/dev/ttyS1\",\"irq\":\"4\"}},"
	" {\"ptype\":\"PhyIoUSB\",\"phylabel\":\"USB1\",\"logicallabel\":\"USB1\",\"assigngrp\":\"USB\","
	"  \"phyaddrs\":{\"usbaddr\":\"1:2\"}}],"
	"\"systemAdapterList\":[{\"name\":\"uplink\",\"lowerLayerName\":\"eth0\",\"uplink\":true},"
	" {\"name\":\"eth1\",\"uplink\":false}],"
	"\"apps\":["
	" {\"uuidandversion\":{\"uuid\":\"E1E1E1E1-0000-4000-8000-0000000000AA\",\"version\":\"3\"},"
	"  \"displayname\":\"web\",\"activate\":true,\"restart\":{\"counter\":2},\"purge\":{\"counter\":1},"
	"  \"startDelayInSeconds\":10,"
	"  \"fixedresources\":{\"virtualizationMode\":\"HVM\",\"memory\":524288,\"vcpus\":0,"
	"   \"enableVnc\":true,\"vncDisplay\":1,\"bootMode\":\"VM_BOOT_MODE_UEFI\"},"
	"  \"volumeRefList\":[{\"uuid\":\"" V1 "\",\"generationCount\":\"2\"},{\"uuid\":\"" V3 "\"}],"
	"  \"adapters\":[{\"type\":\"PhyIoCOM\",\"name\":\"COM1\"},{\"type\":\"PhyIoNetEth\",\"name\":\"eth1\"}],"
	"  \"interfaces\":[{\"name\":\"nic0\",\"networkId\":\"" NET1 "\",\"macAddress\":\"02:AB:00:00:00:01\"}]},"
	" {\"uuidandversion\":{\"uuid\":\"" APP2 "\",\"version\":\"1\"},\"displayname\":\"pv\","
	"  \"fixedresources\":{\"virtualizationMode\":\"PV\",\"memory\":262144,\"maxmem\":524288,"
	"   \"vcpus\":2,\"kernel\":\"/boot/k\",\"ramdisk\":\"/boot/r\",\"extraargs\":\"console=hvc0\"},"
	"  \"volumeRefList\":[{\"uuid\":\"" V2 "\"}]}]"
	"}";

static EdgeDevConfig *
parse(const char *json)
{
	ProtobufCMessage *m = NULL;
	char err[PBJSON_ERR_LEN] = "";
	int rc = pbjson_to_message(&org__lfedge__eve__config__edge_dev_config__descriptor, json,
				   strlen(json), NULL, &m, err);

	if (rc < 0)
		fail_msg("test config does not parse: %s", err);
	return (EdgeDevConfig *)m;
}

static void
cfg_free(EdgeDevConfig *c)
{
	protobuf_c_message_free_unpacked(&c->pbc_base, NULL);
}

static struct app_plan *
plan_new(void)
{
	struct app_plan *p = malloc(sizeof(*p));

	assert_non_null(p);
	memset(p, 0x5a, sizeof(*p));  /* appplan_from_config must zero it */
	return p;
}

/* a malloc'd copy: parsed strings are malloc'd, the free walks them */
static void
set_str(char **field, const char *v)
{
	free(*field);
	*field = strdup(v);
	assert_non_null(*field);
}

static void
test_plan_fields(void **state)
{
	EdgeDevConfig *c = parse(base_json);
	struct app_plan *p = plan_new();
	const struct plan_datastore *d;
	const struct plan_content *t;
	const struct plan_volume *v;
	const struct plan_app *a;
	const struct plan_io *o;

	(void)state;
	assert_int_equal(appplan_from_config(c, p), 0);
	assert_int_equal(p->magic, APPPLAN_MAGIC);
	assert_int_equal(p->version, APPPLAN_VERSION);
	assert_int_equal(p->size, sizeof(*p));
	assert_string_equal(p->error, "");
	assert_string_equal(p->config_hash, "");
	assert_int_equal(p->n_datastores, 2);
	assert_int_equal(p->n_contents, 2);
	assert_int_equal(p->n_volumes, 3);
	assert_int_equal(p->n_apps, 2);
	assert_int_equal(p->n_io, 4);

	d = appplan_find_datastore(p, DS1);
	assert_non_null(d);
	assert_int_equal(d->type, PLAN_DS_HTTPS);
	assert_string_equal(d->fqdn, "Files.example.com:8443");
	assert_string_equal(d->dpath, "images/v1");
	assert_string_equal(d->cert_pem, "-----BEGIN CERTIFICATE-----\n-----END-----\n");
	assert_int_equal(d->cert_len, strlen(d->cert_pem));
	assert_string_equal(d->error, "");
	d = appplan_find_datastore(p, DS2);
	assert_non_null(d);
	assert_string_equal(d->error, "datastore " DS2 ": type DsS3 is not supported");

	t = appplan_find_content(p, CT1);
	assert_non_null(t);
	assert_string_equal(t->name, "disk");
	assert_string_equal(t->ds_id, DS1);
	assert_string_equal(t->url, "https://Files.example.com:8443/images/v1/disks/disk.qcow2");
	assert_int_equal(t->format, PLAN_FMT_QCOW2);
	assert_string_equal(t->sha256, SHA1);
	assert_int_equal(t->max_size, 1048576);
	assert_int_equal(t->generation, 4);
	assert_true(t->has_sig);
	assert_int_equal(t->sig_len, 4);
	assert_memory_equal(t->sig, "\x01\x02\x03\x04", 4);
	assert_string_equal(t->signer_url, "https://Files.example.com:8443/images/v1/certs/signer.pem");
	assert_string_equal(t->inter_url, "https://Files.example.com:8443/images/v1/certs/inter.pem");
	assert_string_equal(t->error, "");
	t = appplan_find_content(p, CT2);
	assert_non_null(t);
	assert_string_equal(t->url, "https://Files.example.com:8443/images/v1/vmlinuz");
	assert_int_equal(t->format, PLAN_FMT_RAW);
	assert_false(t->has_sig);
	assert_string_equal(t->signer_url, "");

	v = appplan_find_volume(p, V1);
	assert_non_null(v);
	assert_int_equal(v->origin, PLAN_ORIGIN_DOWNLOAD);
	assert_string_equal(v->content_uuid, CT1);
	assert_int_equal(v->generation, 2);
	assert_int_equal(v->max_size, 10485760);
	assert_int_equal(v->target, 1);
	assert_string_equal(v->name, "root");
	assert_false(v->readonly);
	assert_string_equal(v->error, "");
	v = appplan_find_volume(p, V2);
	assert_true(v->readonly);
	assert_int_equal(v->target, 2);
	v = appplan_find_volume(p, V3);
	assert_int_equal(v->origin, PLAN_ORIGIN_BLANK);
	assert_int_equal(v->max_size, 1073741824ull);
	assert_string_equal(v->content_uuid, "");
	assert_string_equal(v->error, "");

	a = &p->apps[0];
	assert_string_equal(a->uuid, APP1);  /* lower-cased */
	assert_string_equal(a->version, "3");
	assert_string_equal(a->name, "web");
	assert_true(a->activate);
	assert_int_equal(a->restart_counter, 2);
	assert_int_equal(a->purge_counter, 1);
	assert_int_equal(a->start_delay_s, 10);
	assert_int_equal(a->virt, PLAN_VIRT_HVM);
	assert_int_equal(a->memory_kib, 524288);
	assert_int_equal(a->maxmem_kib, 524288);
	assert_int_equal(a->vcpus, 1);
	assert_true(a->enable_vnc);
	assert_int_equal(a->vnc_display, 1);
	assert_true(a->uefi);
	assert_string_equal(a->kernel, "");
	assert_int_equal(a->n_volumes, 2);
	assert_string_equal(a->volumes[0].uuid, V1);
	assert_int_equal(a->volumes[0].generation, 2);
	assert_string_equal(a->volumes[1].uuid, V3);
	assert_int_equal(a->n_adapters, 2);
	assert_int_equal(a->adapters[0].type, 3);
	assert_string_equal(a->adapters[0].name, "COM1");
	assert_string_equal(a->adapters[1].name, "eth1");
	assert_int_equal(a->n_nics, 1);
	assert_string_equal(a->nics[0].name, "nic0");
	assert_string_equal(a->nics[0].network_uuid, NET1);
	assert_string_equal(a->nics[0].mac, "02:ab:00:00:00:01");
	assert_string_equal(a->error, "");

	a = &p->apps[1];
	assert_string_equal(a->uuid, APP2);
	assert_false(a->activate);
	assert_int_equal(a->virt, PLAN_VIRT_PV);
	assert_int_equal(a->memory_kib, 262144);
	assert_int_equal(a->maxmem_kib, 524288);
	assert_int_equal(a->vcpus, 2);
	assert_false(a->uefi);
	assert_string_equal(a->kernel, "/boot/k");
	assert_string_equal(a->ramdisk, "/boot/r");
	assert_string_equal(a->extraargs, "console=hvc0");
	assert_int_equal(a->n_volumes, 1);
	assert_string_equal(a->error, "");

	o = appplan_find_io(p, "eth0");
	assert_non_null(o);
	assert_int_equal(o->ptype, 1);
	assert_string_equal(o->pcilong, "0000:02:00.0");
	assert_string_equal(o->ifname, "eth0");
	assert_int_equal(o->usage, 1);
	assert_true(o->mgmt);   /* named by the uplink's lowerLayerName */
	o = appplan_find_io(p, "eth1");
	assert_false(o->mgmt);  /* a system adapter, but not an uplink */
	o = appplan_find_io(p, "COM1");
	assert_string_equal(o->serial, "/dev/ttyS1");
	assert_false(o->mgmt);
	o = appplan_find_io(p, "USB");
	assert_string_equal(o->usbaddr, "1:2");
	assert_string_equal(o->phylabel, "USB1");
	assert_null(appplan_find_io(p, "USB1"));
	assert_null(appplan_find_volume(p, "a9000000-0000-4000-8000-000000000009"));

	free(p);
	cfg_free(c);
}

/* one mutation of the base config -> the plan's error on one object */
typedef void (*mutate_fn)(EdgeDevConfig *c);

static struct app_plan *
plan_mut(mutate_fn f, int want_rc)
{
	EdgeDevConfig *c = parse(base_json);
	struct app_plan *p = plan_new();
	char err[PLAN_ERR];

	f(c);
	assert_int_equal(appplan_from_config(c, p), want_rc);
	cfg_free(c);
	/* whatever the config said, the result is a plan the receiver accepts */
	assert_int_equal(appplan_check(p, sizeof(*p), err, sizeof(err)), 0);
	return p;
}

static void m_ds_s3(EdgeDevConfig *c) { set_str(&c->contentinfo[1]->dsid, DS2); }
static void m_ds_unknown(EdgeDevConfig *c)
{
	set_str(&c->contentinfo[1]->dsid, "33333333-3333-4333-8333-333333333333");
}
static void m_fqdn_bad(EdgeDevConfig *c) { set_str(&c->datastores[0]->fqdn, "ftp://x y"); }
static void m_fqdn_scheme(EdgeDevConfig *c) { set_str(&c->datastores[0]->fqdn, "http://h:80"); }
static void m_fqdn_plain(EdgeDevConfig *c)
{
	set_str(&c->datastores[0]->fqdn, "h.example:8080/base/");
	c->datastores[0]->dtype = ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttp;
}
static void m_sha_short(EdgeDevConfig *c) { set_str(&c->contentinfo[0]->sha256, "abc"); }
static void m_sha_nonhex(EdgeDevConfig *c)
{
	c->contentinfo[0]->sha256[10] = 'g';
}
static void m_url_abs(EdgeDevConfig *c) { set_str(&c->contentinfo[1]->url, "http://evil/x"); }
static void m_url_empty(EdgeDevConfig *c) { set_str(&c->contentinfo[1]->url, ""); }
static void m_format(EdgeDevConfig *c)
{
	c->contentinfo[1]->iformat = ORG__LFEDGE__EVE__CONFIG__FORMAT__CONTAINER;
}
static void m_sig_big(EdgeDevConfig *c)
{
	ProtobufCBinaryData *s = &c->contentinfo[0]->siginfo->signature;

	free(s->data);
	s->len = PLAN_SIG + 1;
	s->data = calloc(1, s->len);
}
static void m_sig_nosigner(EdgeDevConfig *c)
{
	set_str(&c->contentinfo[0]->siginfo->signercerturl, "");
}
static void m_vol_missing_ct(EdgeDevConfig *c)
{
	set_str(&c->volumes[1]->origin->downloadcontenttreeid,
		"c9000000-0000-4000-8000-000000000009");
}
static void m_vol_blank_nosize(EdgeDevConfig *c) { c->volumes[2]->maxsizebytes = 0; }
static void m_vol_noorigin(EdgeDevConfig *c) { c->volumes[2]->origin->type = 0; }
static void m_app_volref(EdgeDevConfig *c)
{
	set_str(&c->apps[1]->volumereflist[0]->uuid, "a9000000-0000-4000-8000-000000000009");
}
static void m_app_mem0(EdgeDevConfig *c) { c->apps[1]->fixedresources->memory = 0; }
static void m_app_mem_big(EdgeDevConfig *c)
{
	c->apps[1]->fixedresources->memory = 64u * 1024 * 1024 + 1;
	c->apps[1]->fixedresources->maxmem = 0;
}
static void m_app_vcpus(EdgeDevConfig *c) { c->apps[1]->fixedresources->vcpus = 65; }
static void m_app_name_long(EdgeDevConfig *c)
{
	char n[201];

	memset(n, 'n', 200);
	n[200] = 0;
	set_str(&c->apps[1]->displayname, n);
}
static void m_app_uuid(EdgeDevConfig *c)
{
	set_str(&c->apps[1]->uuidandversion->uuid, "e2e2e2e2-0000-4000-8000-0000000000bZ");
}
static void m_app_adapter_unknown(EdgeDevConfig *c)
{
	set_str(&c->apps[0]->adapters[0]->name, "COM9");
}
static void m_app_adapter_taken(EdgeDevConfig *c)
{
	Org__Lfedge__Eve__Config__AppInstanceConfig *a = c->apps[1];

	a->adapters = malloc(sizeof(*a->adapters));
	a->adapters[0] = malloc(sizeof(*a->adapters[0]));
	org__lfedge__eve__config__adapter__init(a->adapters[0]);
	a->adapters[0]->type = ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoCOM;
	a->adapters[0]->name = strdup("COM1");
	a->n_adapters = 1;
}
static void m_app_mac(EdgeDevConfig *c) { set_str(&c->apps[0]->interfaces[0]->macaddress, "02:ab"); }
static void m_app_virt(EdgeDevConfig *c) { c->apps[1]->fixedresources->virtualizationmode = 9; }
static void m_app_kernel_long(EdgeDevConfig *c)
{
	char n[300];

	memset(n, 'k', sizeof(n) - 1);
	n[sizeof(n) - 1] = 0;
	set_str(&c->apps[1]->fixedresources->kernel, n);
}
static void m_ds_dup(EdgeDevConfig *c)
{
	set_str(&c->datastores[1]->id, DS1);
}
static void m_app_dup(EdgeDevConfig *c)
{
	set_str(&c->apps[1]->uuidandversion->uuid, APP1);
}

static void
test_hostile_objects(void **state)
{
	struct app_plan *p;

	(void)state;
	p = plan_mut(m_ds_s3, 0);
	assert_string_equal(p->contents[1].error, "datastore " DS2 ": type DsS3 is not supported");
	assert_string_equal(p->contents[0].error, "");  /* the others are untouched */
	assert_string_equal(p->contents[1].url, "");
	free(p);

	p = plan_mut(m_ds_unknown, 0);
	assert_string_equal(p->contents[1].error,
			    "datastore 33333333-3333-4333-8333-333333333333 is not in the config");
	free(p);

	p = plan_mut(m_fqdn_bad, 0);
	assert_string_equal(p->datastores[0].error,
			    "datastore " DS1 ": fqdn 'ftp://x y' is not host[:port]");
	assert_string_equal(p->contents[0].error, p->datastores[0].error);
	free(p);

	p = plan_mut(m_fqdn_scheme, 0);
	assert_string_equal(p->datastores[0].error,
			    "datastore " DS1 ": fqdn 'http://h:80' does not match type DsHttps");
	free(p);

	p = plan_mut(m_fqdn_plain, 0);
	assert_string_equal(p->datastores[0].error, "");
	assert_string_equal(p->datastores[0].fqdn, "h.example:8080");
	assert_string_equal(p->contents[1].url, "http://h.example:8080/base/images/v1/vmlinuz");
	free(p);

	p = plan_mut(m_sha_short, 0);
	assert_string_equal(p->contents[0].error, "sha256 'abc' is not 64 hex digits");
	assert_string_equal(p->contents[0].sha256, "");
	free(p);
	p = plan_mut(m_sha_nonhex, 0);
	assert_non_null(strstr(p->contents[0].error, "is not 64 hex digits"));
	free(p);

	p = plan_mut(m_url_abs, 0);
	assert_string_equal(p->contents[1].error,
			    "URL must be a path on datastore " DS1 ", not a URL");
	free(p);
	p = plan_mut(m_url_empty, 0);
	assert_string_equal(p->contents[1].error, "URL is empty");
	free(p);
	p = plan_mut(m_format, 0);
	assert_string_equal(p->contents[1].error, "format CONTAINER is not supported");
	free(p);
	p = plan_mut(m_sig_big, 0);
	assert_string_equal(p->contents[0].error, "siginfo: signature longer than 256 bytes");
	free(p);
	p = plan_mut(m_sig_nosigner, 0);
	assert_string_equal(p->contents[0].error, "siginfo: signercerturl is empty");
	free(p);

	p = plan_mut(m_vol_missing_ct, 0);
	assert_string_equal(p->volumes[1].error,
			    "content tree c9000000-0000-4000-8000-000000000009 is not in the config");
	free(p);
	p = plan_mut(m_vol_blank_nosize, 0);
	assert_string_equal(p->volumes[2].error, "a blank volume needs maxsizebytes");
	free(p);
	p = plan_mut(m_vol_noorigin, 0);
	assert_string_equal(p->volumes[2].error, "origin type VCOT_UNKNOWN is not supported");
	free(p);

	p = plan_mut(m_app_volref, 0);
	assert_string_equal(p->apps[1].error,
			    "volume a9000000-0000-4000-8000-000000000009 is not in the config");
	assert_string_equal(p->apps[0].error, "");
	free(p);
	p = plan_mut(m_app_mem0, 0);
	assert_string_equal(p->apps[1].error, "impossible resources: memory is 0");
	free(p);
	p = plan_mut(m_app_mem_big, 0);
	assert_string_equal(p->apps[1].error,
			    "impossible resources: memory 67108865 KiB is over 64 GiB");
	free(p);
	p = plan_mut(m_app_vcpus, 0);
	assert_string_equal(p->apps[1].error, "impossible resources: 65 vcpus (at most 64)");
	free(p);
	p = plan_mut(m_app_name_long, 0);
	assert_string_equal(p->apps[1].error, "displayname longer than 127 bytes");
	assert_string_equal(p->apps[1].name, "");  /* never silently truncated */
	free(p);
	p = plan_mut(m_app_uuid, 0);
	assert_string_equal(p->apps[1].error,
			    "uuid 'e2e2e2e2-0000-4000-8000-0000000000bZ' is not a canonical UUID");
	assert_string_equal(p->apps[1].uuid, "");
	free(p);
	p = plan_mut(m_app_adapter_unknown, 0);
	assert_string_equal(p->apps[0].error, "adapter 'COM9' is not in the deviceIoList");
	free(p);
	p = plan_mut(m_app_adapter_taken, 0);
	assert_string_equal(p->apps[1].error, "adapter 'COM1' is already assigned to app " APP1);
	free(p);
	p = plan_mut(m_app_mac, 0);
	assert_string_equal(p->apps[0].error,
			    "interface macAddress '02:ab' is not xx:xx:xx:xx:xx:xx");
	free(p);
	p = plan_mut(m_app_virt, 0);
	assert_string_equal(p->apps[1].error, "virtualizationMode 9 is unknown");
	free(p);
	p = plan_mut(m_app_kernel_long, 0);
	assert_string_equal(p->apps[1].error, "kernel longer than 255 bytes");
	free(p);
	p = plan_mut(m_ds_dup, 0);
	assert_int_equal(p->n_datastores, 1);
	assert_string_equal(p->error, "datastore " DS1 " is repeated");
	assert_int_equal(p->datastores[0].type, PLAN_DS_HTTPS);  /* the first one */
	free(p);
	p = plan_mut(m_app_dup, 0);
	assert_int_equal(p->n_apps, 1);
	assert_string_equal(p->error, "app " APP1 " is repeated");
	free(p);
}

/* over the PLAN_MAX_* bounds: left out, p->error says what, -E2BIG */
static void
test_bounds(void **state)
{
	EdgeDevConfig *c = parse(base_json);
	struct app_plan *p = plan_new();
	Org__Lfedge__Eve__Config__AppInstanceConfig **apps, **old = c->apps;
	size_t n_old = c->n_apps;
	char err[PLAN_ERR];

	(void)state;
	/* 33 apps: copies of the second one with fresh uuids */
	apps = calloc(PLAN_MAX_APPS + 1, sizeof(*apps));
	for (int i = 0; i < PLAN_MAX_APPS + 1; i++) {
		char u[64];

		apps[i] = calloc(1, sizeof(*apps[i]));
		org__lfedge__eve__config__app_instance_config__init(apps[i]);
		apps[i]->uuidandversion = calloc(1, sizeof(*apps[i]->uuidandversion));
		org__lfedge__eve__config__uuidand_version__init(apps[i]->uuidandversion);
		snprintf(u, sizeof(u), "f0000000-0000-4000-8000-%012d", i);
		apps[i]->uuidandversion->uuid = strdup(u);
		apps[i]->fixedresources = calloc(1, sizeof(*apps[i]->fixedresources));
		org__lfedge__eve__config__vm_config__init(apps[i]->fixedresources);
		apps[i]->fixedresources->memory = 1024;
	}
	c->apps = apps;
	c->n_apps = PLAN_MAX_APPS + 1;
	assert_int_equal(appplan_from_config(c, p), -E2BIG);
	assert_int_equal(p->n_apps, PLAN_MAX_APPS);
	assert_string_equal(p->error, "33 apps, the last 1 left out");
	assert_string_equal(p->apps[31].uuid, "f0000000-0000-4000-8000-000000000031");
	assert_string_equal(p->apps[31].error, "");
	assert_int_equal(appplan_check(p, sizeof(*p), err, sizeof(err)), 0);
	c->apps = old;
	c->n_apps = n_old;
	for (int i = 0; i < PLAN_MAX_APPS + 1; i++)
		protobuf_c_message_free_unpacked(&apps[i]->base, NULL);
	free(apps);

	/* 9 volume refs on one app */
	{
		Org__Lfedge__Eve__Config__AppInstanceConfig *a = c->apps[0];
		Org__Lfedge__Eve__Config__VolumeRef **refs = realloc(a->volumereflist,
								      9 * sizeof(*refs));

		assert_non_null(refs);
		for (int i = 2; i < 9; i++) {
			refs[i] = calloc(1, sizeof(*refs[i]));
			org__lfedge__eve__config__volume_ref__init(refs[i]);
			refs[i]->uuid = strdup(V3);
		}
		a->volumereflist = refs;
		a->n_volumereflist = 9;
	}
	/* an I/O with a label that does not fit */
	{
		char l[100];

		memset(l, 'L', 99);
		l[99] = 0;
		set_str(&c->deviceiolist[3]->phylabel, l);
	}
	assert_int_equal(appplan_from_config(c, p), -E2BIG);
	assert_int_equal(p->apps[0].n_volumes, PLAN_MAX_APP_VOLUMES);
	assert_string_equal(p->apps[0].error, "9 volumes (at most 8)");
	assert_non_null(strstr(p->error, "app " APP1 ": 9 volumes, the last 1 left out"));
	assert_non_null(strstr(p->error, "deviceIoList 'LLLL"));
	assert_non_null(strstr(p->error, "left out: phylabel longer than 63 bytes"));
	assert_int_equal(p->n_io, 3);
	assert_null(appplan_find_io(p, "USB"));
	assert_int_equal(appplan_check(p, sizeof(*p), err, sizeof(err)), 0);
	free(p);
	cfg_free(c);
}

/* the receiver's check: the plan round-trips; every mutation is refused */
static void
test_check(void **state)
{
	EdgeDevConfig *c = parse(base_json);
	struct app_plan *p = plan_new(), *m = malloc(sizeof(*m));
	char err[PLAN_ERR];

	(void)state;
	assert_non_null(m);
	assert_int_equal(appplan_from_config(c, p), 0);
	cfg_free(c);
	assert_int_equal(appplan_check(p, sizeof(*p), err, sizeof(err)), 0);
	assert_string_equal(err, "");

	assert_int_equal(appplan_check(p, sizeof(*p) - 1, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "bytes, expected"));

#define MUT(stmt, text)                                                                   \
	do {                                                                               \
		memcpy(m, p, sizeof(*p));                                                  \
		stmt;                                                                      \
		assert_int_equal(appplan_check(m, sizeof(*m), err, sizeof(err)), -EBADMSG); \
		assert_non_null(strstr(err, text));                                        \
	} while (0)

	MUT(m->magic ^= 1, "magic");
	MUT(m->version = 2, "version 2");
	MUT(m->size = 1, "size 1");
	MUT(m->n_apps = PLAN_MAX_APPS + 1, "33 apps");
	MUT(m->n_io = 1000, "1000 io are over the bounds");
	MUT(memset(m->apps[1].name, 'A', sizeof(m->apps[1].name)), "app 1: name has no NUL");
	MUT(memset(m->error, 'A', sizeof(m->error)), "plan 0: error has no NUL");
	MUT(memset(m->datastores[0].fqdn, 'A', sizeof(m->datastores[0].fqdn)), "fqdn has no NUL");
	MUT(m->datastores[0].cert_len = PLAN_CERTS, "cert_len");
	MUT(m->datastores[0].cert_len = 3, "cert_len 3");
	MUT(m->apps[0].virt = 6, "app 0: virt 6 is out of range");
	MUT(m->apps[0].n_nics = 5, "is over the bounds");
	MUT(*(uint8_t *)&m->apps[0].activate = 2, "app 0: activate is not a bool");
	MUT(m->apps[0].uuid[0] = 'X', "app 0: uuid is not a canonical UUID");
	MUT(strcpy(m->volumes[0].content_uuid, "../../etc/passwd"), "content_uuid is not a canonical");
	MUT(m->volumes[0].origin = 7, "volume 0: origin 7");
	MUT(m->contents[0].format = 4, "content 0: format 4");
	MUT(m->contents[0].sig_len = PLAN_SIG + 1, "sig_len 257");
	MUT(memset(m->io[2].serial, 'S', sizeof(m->io[2].serial)), "io 2: serial has no NUL");
	MUT(memset(m->apps[0].nics[0].mac, 'M', sizeof(m->apps[0].nics[0].mac)), "mac has no NUL");
#undef MUT
	/* beyond the counts, nothing is looked at */
	memcpy(m, p, sizeof(*p));
	memset(m->apps[5].name, 'A', sizeof(m->apps[5].name));
	assert_int_equal(appplan_check(m, sizeof(*m), err, sizeof(err)), 0);
	/* misaligned bytes are refused, not read */
	{
		char *raw = malloc(sizeof(*p) + 1);

		assert_non_null(raw);
		memcpy(raw + 1, p, sizeof(*p));
		assert_int_equal(appplan_check(raw + 1, sizeof(*p), err, sizeof(err)), -EBADMSG);
		assert_non_null(strstr(err, "aligned"));
		free(raw);
	}
	assert_int_equal(appplan_check(NULL, 0, err, sizeof(err)), -EBADMSG);
	free(m);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_fields),
		cmocka_unit_test(test_hostile_objects),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests_name("appplan", tests, NULL, NULL);
}
