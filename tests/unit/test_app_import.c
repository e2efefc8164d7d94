/*
 * Unit tests: controller/app_import — the seed's example manifest becomes the
 * expected AppInstanceConfig, Volume, ContentTree and datastore; every
 * hostile or inconsistent manifest is refused with an error naming the field
 * and leaves the config untouched; the image probe tells qcow2, ISO and raw.
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

#include "app_import.h"

#include "config/devconfig.pb-c.h"

typedef Org__Lfedge__Eve__Config__EdgeDevConfig Cfg;

/* The seed deck's example (docs/examples/vm-manifest.json), reconstructed. */
static const char seed[] =
	"{\"acKind\": \"VMManifest\", \"acVersion\": \"1.1.1\", \"name\": \"xenial2intf\","
	" \"owner\": {}, \"enablevnc\": true, \"vmmode\": \"HV HVM\","
	" \"images\": [{\"imagename\": \"xenial-amd64-docker-20180725\", \"maxsize\": 1195376,"
	"   \"readonly\": false, \"preserve\": true, \"target\": \"Disk\", \"drvtype\": \"HDD\","
	"   \"maxsizeUnit\": \"GB\", \"maxsizeDisplayUnit\": \"GB\"}],"
	" \"interfaces\": ["
	"   {\"name\": \"indirect\", \"directattach\": false,"
	"    \"acls\": [{\"matches\": [{\"type\": \"host\", \"value\": \"amazonaws.com\"}]}]},"
	"   {\"name\": \"direct\", \"directattach\": false,"
	"    \"acls\": [{\"matches\": [{\"type\": \"ip\", \"value\": \"0.0.0.0/0\"}]}]}],"
	" \"resources\": [{\"name\": \"cpus\", \"value\": 2}, {\"name\": \"memory\", \"value\": 512000},"
	"   {\"name\": \"storage\", \"value\": 3145728}]}";

#define IMG "xenial-amd64-docker-20180725"
#define SHA "ba410bac0e2873efd550f7b1529b1acf9223f860b52939a05f5a6d58cfc86c4b"
#define NI "11111111-2222-4333-8444-555555555555"

static void
fill_uuids(struct app_import_input *in)
{
	for (int i = 0; i < APPIMP_UUIDS; i++)
		snprintf(in->uuids[i], 37, "00000000-0000-4000-8000-%012d", i + 1);
}

static Cfg *
cfg_new(void)
{
	Cfg *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	org__lfedge__eve__config__edge_dev_config__init(c);
	return c;
}

/* a config with one network instance NI, built through the wire format */
static Cfg *
cfg_with_network(void)
{
	Org__Lfedge__Eve__Config__NetworkInstanceConfig ni, *nip = &ni;
	Org__Lfedge__Eve__Config__UUIDandVersion uv;
	Cfg c, *out;
	uint8_t buf[256];
	size_t n;

	org__lfedge__eve__config__edge_dev_config__init(&c);
	org__lfedge__eve__config__network_instance_config__init(&ni);
	org__lfedge__eve__config__uuidand_version__init(&uv);
	uv.uuid = (char *)NI;
	ni.uuidandversion = &uv;
	c.networkinstances = &nip;
	c.n_networkinstances = 1;
	n = org__lfedge__eve__config__edge_dev_config__pack(&c, buf);
	out = org__lfedge__eve__config__edge_dev_config__unpack(NULL, n, buf);
	assert_non_null(out);
	return out;
}

static struct appimp_image_file seed_file = {
	.imagename = IMG, .sha256 = SHA, .size = 1000000,
	.probe = { .format = 1, .virtual_size = 1000000 },
};

static void
test_seed_manifest(void **state)
{
	static struct app_manifest m;
	struct app_import_input in = { .ds_url = "http://127.0.0.1:8080/images/",
				       .files = &seed_file, .n_files = 1 };
	struct appimp_network net = { "indirect", NI };
	struct app_import_result res;
	char err[APPIMP_ERR];
	Cfg *c = cfg_with_network();

	(void)state;
	assert_int_equal(app_import_parse(seed, strlen(seed), &m, err), 0);
	assert_string_equal(m.name, "xenial2intf");
	assert_string_equal(m.ac_version, "1.1.1");
	assert_true(m.enablevnc);
	assert_int_equal(m.vmmode, 1);
	assert_int_equal(m.cpus, 2);
	assert_int_equal(m.memory_kib, 512000);
	assert_int_equal(m.storage_kib, 3145728);
	assert_int_equal(m.n_images, 1);
	assert_int_equal(m.images[0].maxsize_kib, 1195376);
	assert_true(m.images[0].preserve);
	assert_int_equal(m.n_ifaces, 2);
	assert_int_equal(m.n_acls, 2);
	assert_int_equal(m.n_matches, 2);

	in.networks = &net;
	in.n_networks = 1;
	fill_uuids(&in);
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), 0);
	assert_string_equal(res.app_uuid, "00000000-0000-4000-8000-000000000001");
	assert_false(res.ds_reused);
	assert_int_equal(res.n_unattached, 1);

	assert_int_equal(c->n_datastores, 1);
	assert_int_equal(c->datastores[0]->dtype, ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttp);
	assert_string_equal(c->datastores[0]->fqdn, "127.0.0.1:8080");
	assert_string_equal(c->datastores[0]->dpath, "images");
	assert_string_equal(c->datastores[0]->id, "00000000-0000-4000-8000-000000000002");

	assert_int_equal(c->n_contentinfo, 1);
	assert_string_equal(c->contentinfo[0]->uuid, "00000000-0000-4000-8000-000000000003");
	assert_string_equal(c->contentinfo[0]->dsid, c->datastores[0]->id);
	assert_string_equal(c->contentinfo[0]->url, IMG);
	assert_string_equal(c->contentinfo[0]->sha256, SHA);
	assert_int_equal(c->contentinfo[0]->maxsizebytes, 1000000);
	assert_int_equal(c->contentinfo[0]->iformat, ORG__LFEDGE__EVE__CONFIG__FORMAT__RAW);

	assert_int_equal(c->n_volumes, 1);
	assert_string_equal(c->volumes[0]->uuid, "00000000-0000-4000-8000-000000000004");
	assert_int_equal(c->volumes[0]->origin->type,
			 ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_DOWNLOAD);
	assert_string_equal(c->volumes[0]->origin->downloadcontenttreeid,
			    c->contentinfo[0]->uuid);
	assert_int_equal(c->volumes[0]->maxsizebytes, 1195376LL * 1024);
	assert_false(c->volumes[0]->readonly);
	assert_int_equal(c->volumes[0]->target, ORG__LFEDGE__EVE__CONFIG__TARGET__Disk);

	assert_int_equal(c->n_apps, 1);
	Org__Lfedge__Eve__Config__AppInstanceConfig *a = c->apps[0];
	assert_string_equal(a->uuidandversion->uuid, res.app_uuid);
	assert_string_equal(a->displayname, "xenial2intf");
	assert_true(a->activate);
	assert_int_equal(a->fixedresources->memory, 512000);
	assert_int_equal(a->fixedresources->maxmem, 512000);
	assert_int_equal(a->fixedresources->vcpus, 2);
	assert_int_equal(a->fixedresources->virtualizationmode,
			 ORG__LFEDGE__EVE__CONFIG__VM_MODE__HVM);
	assert_true(a->fixedresources->enable_vnc);
	assert_int_equal(a->n_volumereflist, 1);
	assert_string_equal(a->volumereflist[0]->uuid, c->volumes[0]->uuid);
	assert_int_equal(a->n_interfaces, 2);
	assert_string_equal(a->interfaces[0]->name, "indirect");
	assert_string_equal(a->interfaces[0]->networkid, NI);
	assert_string_equal(a->interfaces[1]->networkid, "");
	assert_int_equal(a->interfaces[0]->n_acls, 1);
	assert_int_equal(a->interfaces[0]->acls[0]->id, 1);
	assert_string_equal(a->interfaces[0]->acls[0]->matches[0]->type, "host");
	assert_string_equal(a->interfaces[0]->acls[0]->matches[0]->value, "amazonaws.com");
	assert_string_equal(a->interfaces[1]->acls[0]->matches[0]->type, "ip");
	assert_string_equal(a->interfaces[1]->acls[0]->matches[0]->value, "0.0.0.0/0");
	assert_int_equal(a->n_adapters, 0);

	/* the result packs and reads back */
	size_t n = protobuf_c_message_get_packed_size(&c->pbc_base);
	uint8_t *buf = malloc(n);
	assert_non_null(buf);
	protobuf_c_message_pack(&c->pbc_base, buf);
	Cfg *back = org__lfedge__eve__config__edge_dev_config__unpack(NULL, n, buf);
	assert_non_null(back);
	assert_int_equal(back->n_apps, 1);
	org__lfedge__eve__config__edge_dev_config__free_unpacked(back, NULL);
	free(buf);

	/* a second app from the same datastore reuses it; the same name is refused */
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), -EINVAL);
	assert_non_null(strstr(err, "an app named 'xenial2intf' is already in the config"));
	assert_int_equal(c->n_apps, 1);
	snprintf(m.name, sizeof(m.name), "second");
	in.n_networks = 0;
	for (int i = 0; i < APPIMP_UUIDS; i++)
		snprintf(in.uuids[i], 37, "00000000-0000-4000-8000-%012d", i + 101);
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), 0);
	assert_true(res.ds_reused);
	assert_int_equal(c->n_datastores, 1);
	assert_int_equal(c->n_apps, 2);
	assert_int_equal(c->n_volumes, 2);
	assert_string_equal(c->contentinfo[1]->dsid, c->datastores[0]->id);
	protobuf_c_message_free_unpacked(&c->pbc_base, NULL);
}

/* vmmode spellings, qcow2/ISO/blank images, direct attach, https with a cert */
static void
test_mapping_variants(void **state)
{
	static struct app_manifest m;
	static const char js[] =
		"{\"acKind\":\"VMManifest\",\"acVersion\":\"1.0\",\"name\":\"plc\",\"vmmode\":\"HV_PVH\","
		"\"images\":[{\"imagename\":\"os/plc.qcow2\",\"maxsize\":0,\"readonly\":true},"
		"{\"imagename\":\"tools.iso\",\"drvtype\":\"CDROM\"},"
		"{\"imagename\":\"data\",\"drvtype\":\"HDD_EMPTY\",\"maxsize\":2048,\"target\":\"AppCustom\"}],"
		"\"interfaces\":[{\"name\":\"eth1\",\"directattach\":true}],"
		"\"resources\":[{\"name\":\"memory\",\"value\":65536},{\"name\":\"cpus\",\"value\":1}]}";
	struct appimp_image_file files[2] = {
		{ .imagename = "os/plc.qcow2", .sha256 = SHA, .size = 4096,
		  .probe = { .format = 3, .virtual_size = 1 << 30 } },
		{ .imagename = "tools.iso", .sha256 = SHA, .size = 40960,
		  .probe = { .format = 9, .virtual_size = 40960 } },
	};
	static const char pem[] = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
	struct app_import_input in = { .ds_url = "https://ds.example:8443", .files = files,
				       .n_files = 2, .ds_cert_pem = pem,
				       .ds_cert_len = sizeof(pem) - 1 };
	struct app_import_result res;
	char err[APPIMP_ERR];
	Cfg *c = cfg_new();

	(void)state;
	assert_int_equal(app_import_parse(js, strlen(js), &m, err), 0);
	assert_int_equal(m.vmmode, 2);
	fill_uuids(&in);
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), 0);
	assert_int_equal(c->datastores[0]->dtype, ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttps);
	assert_string_equal(c->datastores[0]->fqdn, "ds.example:8443");
	assert_string_equal(c->datastores[0]->dpath, "");
	assert_int_equal(c->datastores[0]->n_dscertpem, 1);
	assert_memory_equal(c->datastores[0]->dscertpem[0].data, pem, sizeof(pem) - 1);
	assert_int_equal(c->n_contentinfo, 2);
	assert_int_equal(c->contentinfo[0]->iformat, ORG__LFEDGE__EVE__CONFIG__FORMAT__QCOW2);
	assert_int_equal(c->contentinfo[1]->iformat, ORG__LFEDGE__EVE__CONFIG__FORMAT__ISO);
	assert_int_equal(c->n_volumes, 3);
	assert_int_equal(c->volumes[0]->maxsizebytes, 1 << 30); /* maxsize 0: the virtual size */
	assert_true(c->volumes[0]->readonly);
	assert_int_equal(c->volumes[2]->origin->type,
			 ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_BLANK);
	assert_int_equal(c->volumes[2]->maxsizebytes, 2048 * 1024);
	assert_int_equal(c->volumes[2]->target, ORG__LFEDGE__EVE__CONFIG__TARGET__AppCustom);
	assert_int_equal(c->apps[0]->fixedresources->virtualizationmode,
			 ORG__LFEDGE__EVE__CONFIG__VM_MODE__Filler);
	assert_int_equal(c->apps[0]->n_volumereflist, 3);
	assert_int_equal(c->apps[0]->n_interfaces, 0);
	assert_int_equal(c->apps[0]->n_adapters, 1);
	assert_int_equal(c->apps[0]->adapters[0]->type,
			 ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetEth);
	assert_string_equal(c->apps[0]->adapters[0]->name, "eth1");
	protobuf_c_message_free_unpacked(&c->pbc_base, NULL);
}

/* replace the first occurrence of `from` in the seed by `to` */
static char *
seed_with(const char *from, const char *to)
{
	const char *p = strstr(seed, from);
	char *out;

	assert_non_null(p);
	out = malloc(sizeof(seed) + strlen(to));
	assert_non_null(out);
	snprintf(out, sizeof(seed) + strlen(to), "%.*s%s%s", (int)(p - seed), seed, to,
		 p + strlen(from));
	return out;
}

static void
test_hostile_manifests(void **state)
{
	static const struct {
		const char *from, *to, *err;
	} cases[] = {
		{ "\"HV HVM\"", "\"HV_QUANTUM\"", "vmmode: 'HV_QUANTUM' is not one of HV_HVM, HV_PV, HV_PVH" },
		{ "\"drvtype\": \"HDD\"", "\"drvtype\": \"FLOPPY\"",
		  "images[0].drvtype: 'FLOPPY' is not a drive type: one of HDD, CDROM, HDD_EMPTY" },
		{ "\"target\": \"Disk\"", "\"target\": \"Tape\"",
		  "images[0].target: 'Tape' is not a target: one of Disk, Kernel" },
		{ "\"value\": 512000", "\"value\": 0", "resources[1].value: memory 0 KiB is not within" },
		{ "\"value\": 2}", "\"value\": 0}", "resources[0].value: 0 cpus is not within 1..128" },
		{ "\"maxsize\": 1195376", "\"maxsize\": -5", "images[0].maxsize: -5 is negative" },
		{ "\"maxsize\": 1195376", "\"maxsize\": 1.5", "images[0].maxsize: 1.5 is not an integer" },
		{ "\"maxsize\": 1195376", "\"maxsize\": \"big\"", "images[0].maxsize: expected a number, got a string" },
		{ "\"maxsizeUnit\": \"GB\"", "\"maxsizeUnit\": \"PB\"", "images[0].maxsizeUnit: 'PB' is not one of KB, MB, GB, TB" },
		{ "\"type\": \"host\"", "\"type\": \"mac\"",
		  "interfaces[0].acls[0].matches[0].type: 'mac' is not one of host, ip" },
		{ "\"0.0.0.0/0\"", "\"300.1.1.1/8\"",
		  "interfaces[1].acls[0].matches[0].value: '300.1.1.1/8' is not an IP address or prefix" },
		{ "\"amazonaws.com\"", "\"amazon aws\"",
		  "interfaces[0].acls[0].matches[0].value: 'amazon aws' is not a host name" },
		{ "\"name\": \"direct\"", "\"name\": \"indirect\"",
		  "interfaces[1].name: 'indirect' is already interfaces[0]" },
		{ "\"acKind\": \"VMManifest\"", "\"acKind\": \"PodManifest\"", "acKind: 'PodManifest' is not \"VMManifest\"" },
		{ "\"acVersion\": \"1.1.1\"", "\"acVersion\": \"2.0\"", "acVersion: '2.0' is not a version 1 manifest" },
		{ "\"enablevnc\": true", "\"enablevnc\": \"yes\"", "enablevnc: expected a boolean, got a string" },
		{ "\"enablevnc\": true", "\"enablevnc\": true, \"gpu\": 1", "unknown field \"gpu\"" },
		{ "\"preserve\": true", "\"preserve\": true, \"format\": \"raw\"", "images[0]: unknown field \"format\"" },
		{ "\"owner\": {}", "\"owner\": {\"boss\": \"x\"}", "owner: unknown field \"boss\"" },
		{ "{\"name\": \"storage\", \"value\": 3145728}", "{\"name\": \"gpus\", \"value\": 1}",
		  "resources[2].name: 'gpus' is not one of cpus, memory, storage" },
		{ "{\"name\": \"storage\", \"value\": 3145728}", "{\"name\": \"cpus\", \"value\": 1}",
		  "resources[2].name: 'cpus' is given twice" },
		{ "\"value\": 3145728", "\"value\": 1024", "resources: storage 1024 KiB is less than the images' maxsize total, 1195376 KiB" },
		{ "\"imagename\": \"xenial-amd64-docker-20180725\"", "\"imagename\": \"../etc/passwd\"",
		  "images[0].imagename: '../etc/passwd' is not a relative path" },
		{ "\"directattach\": false,    \"acls\"", "\"directattach\": true, \"acls\"",
		  "interfaces[0].acls: a direct-attached interface" },
		{ "\"name\": \"xenial2intf\",", "", "name is missing" },
		{ "\"resources\": [{\"name\": \"cpus\", \"value\": 2}, ", "\"resources\": [",
		  "resources: 'cpus' is missing" },
		{ "\"readonly\": false,", "\"readonly\": false,\"readonly\": true,", "JSON: line 1" },
		{ "\"matches\": [{\"type\": \"host\", \"value\": \"amazonaws.com\"}]", "\"matches\": []",
		  "interfaces[0].acls[0].matches: empty" },
	};
	static struct app_manifest m;
	char err[APPIMP_ERR];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *js = seed_with(cases[i].from, cases[i].to);
		int rc = app_import_parse(js, strlen(js), &m, err);

		if (rc == 0 || !strstr(err, cases[i].err))
			print_error("case %zu: rc %d, err '%s', wanted '%s'\n", i, rc, err, cases[i].err), fail();
		assert_int_equal(m.n_images, 0); /* nothing left behind */
		free(js);
	}
	/* a duplicated image name */
	{
		static const char js[] =
			"{\"acKind\":\"VMManifest\",\"acVersion\":\"1\",\"name\":\"x\","
			"\"images\":[{\"imagename\":\"a\"},{\"imagename\":\"a\"}],"
			"\"resources\":[{\"name\":\"cpus\",\"value\":1},{\"name\":\"memory\",\"value\":4096}]}";
		assert_int_equal(app_import_parse(js, strlen(js), &m, err), -EINVAL);
		assert_string_equal(err, "images[1].imagename: 'a' is already images[0]");
	}
	/* not an object at all */
	assert_int_equal(app_import_parse("[1]", 3, &m, err), -EINVAL);
	assert_string_equal(err, "expected an object, got an array");
	assert_int_equal(app_import_parse("{", 1, &m, err), -EINVAL);
	assert_non_null(strstr(err, "JSON: line 1"));
}

/* inputs that do not fit the manifest: refused, the config untouched */
static void
test_hostile_inputs(void **state)
{
	static struct app_manifest m;
	struct appimp_image_file f = seed_file;
	struct appimp_network net = { "indirect", "99999999-2222-4333-8444-555555555555" };
	struct app_import_input in = { .ds_url = "http://ds/x", .files = &f, .n_files = 1 };
	struct app_import_result res;
	char err[APPIMP_ERR];
	Cfg *c = cfg_with_network();
	size_t before = protobuf_c_message_get_packed_size(&c->pbc_base);

	(void)state;
	assert_int_equal(app_import_parse(seed, strlen(seed), &m, err), 0);
	fill_uuids(&in);

	in.n_files = 0; /* no file, no SHA-256: refused */
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), -EINVAL);
	assert_non_null(strstr(err, "images[0].imagename: no local file for '" IMG "'"));
	in.n_files = 1;

	f.probe.virtual_size = 2ULL << 40; /* bigger than maxsize */
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), -EINVAL);
	assert_non_null(strstr(err, "images[0].maxsize: 1195376 KiB is less than the image"));
	f = seed_file;

	f.imagename = "other";
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), -EINVAL);
	assert_non_null(strstr(err, "no local file"));
	f = seed_file;

	snprintf(f.sha256, sizeof(f.sha256), "XYZ");
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), -EINVAL);
	assert_non_null(strstr(err, "is not 64 lower-case hex digits"));
	f = seed_file;

	static const char *const bad_urls[] = { "ftp://ds/x", "http://", "http://us er@h/",
						"http://h/../x", "" };
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		in.ds_url = bad_urls[i];
		assert_int_equal(app_import_to_config(&m, &in, c, &res, err), -EINVAL);
		assert_non_null(strstr(err, "datastore '"));
	}
	in.ds_url = "http://ds/x";
	in.ds_cert_pem = "-----BEGIN";
	in.ds_cert_len = 10;
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), -EINVAL);
	assert_non_null(strstr(err, "only https:// uses one"));
	in.ds_cert_pem = NULL;

	in.networks = &net;
	in.n_networks = 1;
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), -EINVAL);
	assert_non_null(strstr(err, "the config has no network instance 99999999"));
	net.iface = "eth9";
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), -EINVAL);
	assert_non_null(strstr(err, "network for 'eth9': the manifest has no interface"));
	in.n_networks = 0;

	snprintf(in.uuids[3], 37, "not-a-uuid");
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), -EINVAL);
	fill_uuids(&in);

	assert_int_equal(c->n_apps, 0);
	assert_int_equal(c->n_volumes, 0);
	assert_int_equal(c->n_contentinfo, 0);
	assert_int_equal(c->n_datastores, 0);
	assert_int_equal(protobuf_c_message_get_packed_size(&c->pbc_base), before);
	/* and with everything right it goes in */
	assert_int_equal(app_import_to_config(&m, &in, c, &res, err), 0);
	assert_int_equal(c->n_apps, 1);
	protobuf_c_message_free_unpacked(&c->pbc_base, NULL);
}

static void
test_probe(void **state)
{
	static uint8_t head[APPIMP_PROBE_BYTES];
	struct appimp_file f;
	char err[APPIMP_ERR];

	(void)state;
	memset(head, 0, sizeof(head));
	assert_int_equal(app_import_probe(head, sizeof(head), 123456, &f, err), 0);
	assert_int_equal(f.format, 1);
	assert_int_equal(f.virtual_size, 123456);

	memcpy(head + 32769, "CD001", 5);
	assert_int_equal(app_import_probe(head, sizeof(head), 1 << 20, &f, err), 0);
	assert_int_equal(f.format, 9);

	memset(head, 0, sizeof(head));
	memcpy(head, "QFI\xfb\0\0\0\3", 8);
	head[24 + 4] = 0x40; /* 1 GiB, big-endian */
	assert_int_equal(app_import_probe(head, 512, 196624, &f, err), 0);
	assert_int_equal(f.format, 3);
	assert_int_equal(f.virtual_size, 1ULL << 30);

	head[7] = 9;
	assert_int_equal(app_import_probe(head, 512, 196624, &f, err), -EINVAL);
	assert_string_equal(err, "qcow2 version 9 is not 2 or 3");
	head[7] = 3;
	assert_int_equal(app_import_probe(head, 16, 16, &f, err), -EINVAL);
	assert_non_null(strstr(err, "cut short"));
	memset(head + 24, 0, 8);
	assert_int_equal(app_import_probe(head, 512, 512, &f, err), -EINVAL);
	assert_non_null(strstr(err, "virtual size 0"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_manifest),
		cmocka_unit_test(test_mapping_variants),
		cmocka_unit_test(test_hostile_manifests),
		cmocka_unit_test(test_hostile_inputs),
		cmocka_unit_test(test_probe),
	};
	return cmocka_run_group_tests_name("app_import", tests, NULL, NULL);
}
