/*
 * Round trips for every top-level EVE API message we use: fill
 * representative fields (nested, repeated, enum, bytes, maps, oneofs),
 * pack, unpack, compare every field (descriptor-driven deep compare plus
 * spot checks by name), re-pack and require identical bytes; the unpack
 * uses a counting allocator, so freeing must leave nothing behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

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

/* short local names for the generated types */
typedef Google__Protobuf__Timestamp Timestamp;
typedef Org__Lfedge__Eve__Config__UUIDandVersion UUIDandVersion;
typedef Org__Lfedge__Eve__Config__EdgeDevConfig EdgeDevConfig;
typedef Org__Lfedge__Eve__Config__AppInstanceConfig AppInstanceConfig;
typedef Org__Lfedge__Eve__Config__VmConfig VmConfig;
typedef Org__Lfedge__Eve__Config__NetworkAdapter NetworkAdapter;
typedef Org__Lfedge__Eve__Config__ACE ACE;
typedef Org__Lfedge__Eve__Config__ACEMatch ACEMatch;
typedef Org__Lfedge__Eve__Config__ACEAction ACEAction;
typedef Org__Lfedge__Eve__Config__Adapter Adapter;
typedef Org__Lfedge__Eve__Config__InstanceOpsCmd InstanceOpsCmd;
typedef Org__Lfedge__Eve__Config__VolumeRef VolumeRef;
typedef Org__Lfedge__Eve__Config__NetworkConfig NetworkConfig;
typedef Org__Lfedge__Eve__Config__WirelessConfig WirelessConfig;
typedef Org__Lfedge__Eve__Config__WifiConfig WifiConfig;
typedef Org__Lfedge__Eve__Config__DatastoreConfig DatastoreConfig;
typedef Org__Lfedge__Eve__Config__ConfigItem ConfigItem;
typedef Org__Lfedge__Eve__Config__SystemAdapter SystemAdapter;
typedef Org__Lfedge__Eve__Config__PhysicalIO PhysicalIO;
typedef Org__Lfedge__Eve__Config__PhysicalIO__PhyaddrsEntry PhyaddrsEntry;
typedef Org__Lfedge__Eve__Config__NetworkInstanceConfig NetworkInstanceConfig;
typedef Org__Lfedge__Eve__Config__IPRoute IPRoute;
typedef Org__Lfedge__Eve__Config__ContentTree ContentTree;
typedef Org__Lfedge__Eve__Config__Volume Volume;
typedef Org__Lfedge__Eve__Config__VolumeContentOrigin VolumeContentOrigin;
typedef Org__Lfedge__Eve__Config__BaseOS BaseOS;
typedef Org__Lfedge__Eve__Config__BaseOSConfig BaseOSConfig;
typedef Org__Lfedge__Eve__Config__DeviceOpsCmd DeviceOpsCmd;
typedef Org__Lfedge__Eve__Config__BondAdapter BondAdapter;
typedef Org__Lfedge__Eve__Config__MIIMonitor MIIMonitor;
typedef Org__Lfedge__Eve__Config__VlanAdapter VlanAdapter;
typedef Org__Lfedge__Eve__Config__DisksConfig DisksConfig;
typedef Org__Lfedge__Eve__Config__DiskConfig DiskConfig;
typedef Org__Lfedge__Eve__Config__ConfigRequest ConfigRequest;
typedef Org__Lfedge__Eve__Config__ConfigResponse ConfigResponse;
typedef Org__Lfedge__Eve__Common__Ipspec Ipspec;
typedef Org__Lfedge__Eve__Common__IpRange IpRange;
typedef Org__Lfedge__Eve__Common__ProxyConfig ProxyConfig;
typedef Org__Lfedge__Eve__Common__ProxyServer ProxyServer;
typedef Org__Lfedge__Eve__Common__CipherContext CipherContext;
typedef Org__Lfedge__Eve__Common__CipherBlock CipherBlock;
typedef Org__Lfedge__Eve__Common__DiskDescription DiskDescription;

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BIN(s) ((ProtobufCBinaryData){ sizeof(s) - 1, (uint8_t *)(s) })

/* ---- the round trip itself ------------------------------------------------ */

struct rt {
	struct pt_alloc_stats st;
	ProtobufCAllocator alloc;
	ProtobufCMessage *back;   /* unpacked copy, owned until rt_done() */
	size_t len;               /* packed size */
};

/*
 * pack @orig -> unpack -> deep compare -> re-pack -> same bytes.
 * The unpacked copy stays in rt->back for spot checks; release it with rt_done().
 */
static void rt_run(struct rt *rt, const ProtobufCMessage *orig)
{
	size_t len = protobuf_c_message_get_packed_size(orig);
	uint8_t *buf1 = malloc(len + 1);
	uint8_t *buf2 = malloc(len + 1);

	assert_non_null(buf1);
	assert_non_null(buf2);
	assert_int_equal(protobuf_c_message_pack(orig, buf1), len);

	pt_alloc_init(&rt->alloc, &rt->st);
	rt->len = len;
	rt->back = protobuf_c_message_unpack(orig->descriptor, &rt->alloc, len, buf1);
	assert_non_null(rt->back);
	assert_true(pt_msg_equal(orig, rt->back));
	assert_true(protobuf_c_message_check(rt->back));

	assert_int_equal(protobuf_c_message_get_packed_size(rt->back), len);
	assert_int_equal(protobuf_c_message_pack(rt->back, buf2), len);
	assert_memory_equal(buf1, buf2, len);
	free(buf1);
	free(buf2);
}

static void rt_done(struct rt *rt)
{
	protobuf_c_message_free_unpacked(rt->back, &rt->alloc);
	rt->back = NULL;
	assert_int_equal(rt->st.live, 0);
}

/* ---- auth, register, uuid, certs ---------------------------------------- */

static void test_rt_auth_container(void **state)
{
	Org__Lfedge__Eve__Auth__AuthBody body = ORG__LFEDGE__EVE__AUTH__AUTH_BODY__INIT;
	Org__Lfedge__Eve__Auth__AuthContainer ac = ORG__LFEDGE__EVE__AUTH__AUTH_CONTAINER__INIT;
	Org__Lfedge__Eve__Auth__AuthContainer *b;
	uint8_t hash[32];
	uint8_t sig[64];
	struct rt rt;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hash); i++)
		hash[i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < sizeof(sig); i++)
		sig[i] = (uint8_t)i;
	body.payload = BIN("\x12\x04LS0t\x1a\x03SN1"); /* a ZRegisterMsg */
	ac.protectedpayload = &body;
	ac.algo = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES;
	ac.sendercerthash = (ProtobufCBinaryData){ sizeof(hash), hash };
	ac.signaturehash = (ProtobufCBinaryData){ sizeof(sig), sig };
	ac.sendercert = BIN("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t");

	rt_run(&rt, &ac.base);
	b = (Org__Lfedge__Eve__Auth__AuthContainer *)rt.back;
	assert_int_equal(b->algo, 2);
	assert_int_equal(b->sendercerthash.len, 32);
	assert_int_equal(b->sendercerthash.data[31], 0xa0 + 31);
	assert_int_equal(b->signaturehash.len, 64);
	assert_int_equal(b->protectedpayload->payload.len, body.payload.len);
	rt_done(&rt);
}

static void test_rt_register(void **state)
{
	Org__Lfedge__Eve__Register__ZRegisterMsg r = ORG__LFEDGE__EVE__REGISTER__ZREGISTER_MSG__INIT;
	Org__Lfedge__Eve__Register__ZRegisterMsg *b;
	struct rt rt;

	(void)state;
	r.onboardkey = "legacy";
	r.pemcert = BIN("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==");
	r.serial = "QEMU-0001";
	r.softserial = "4a2b9c1e-5d6f-4a8b-9c0d-1e2f3a4b5c6d";

	rt_run(&rt, &r.base);
	b = (Org__Lfedge__Eve__Register__ZRegisterMsg *)rt.back;
	assert_string_equal(b->onboardkey, "legacy");
	assert_string_equal(b->serial, "QEMU-0001");
	assert_string_equal(b->softserial, r.softserial);
	assert_memory_equal(b->pemcert.data, r.pemcert.data, r.pemcert.len);
	rt_done(&rt);
}

static void test_rt_uuid_request(void **state)
{
	Org__Lfedge__Eve__Uuid__UuidRequest q = ORG__LFEDGE__EVE__UUID__UUID_REQUEST__INIT;
	struct rt rt;

	(void)state;
	rt_run(&rt, &q.base);
	assert_int_equal(rt.len, 0); /* an empty message packs to nothing */
	rt_done(&rt);
}

static void test_rt_uuid_response(void **state)
{
	Org__Lfedge__Eve__Uuid__UuidResponse r = ORG__LFEDGE__EVE__UUID__UUID_RESPONSE__INIT;
	Org__Lfedge__Eve__Uuid__UuidResponse *b;
	struct rt rt;

	(void)state;
	r.uuid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
	r.manufacturer = "QEMU";
	r.product_name = "Standard PC (Q35 + ICH9, 2009)";

	rt_run(&rt, &r.base);
	b = (Org__Lfedge__Eve__Uuid__UuidResponse *)rt.back;
	assert_string_equal(b->uuid, r.uuid);
	assert_string_equal(b->manufacturer, "QEMU");
	assert_string_equal(b->product_name, r.product_name);
	rt_done(&rt);
}

static void test_rt_controller_cert(void **state)
{
	Org__Lfedge__Eve__Certs__ZCertAttr attr = ORG__LFEDGE__EVE__CERTS__ZCERT_ATTR__INIT;
	Org__Lfedge__Eve__Certs__ZCertMetaData md = ORG__LFEDGE__EVE__CERTS__ZCERT_META_DATA__INIT;
	Org__Lfedge__Eve__Certs__ZCertMetaData *mds[] = { &md };
	Org__Lfedge__Eve__Certs__ZCert signing = ORG__LFEDGE__EVE__CERTS__ZCERT__INIT;
	Org__Lfedge__Eve__Certs__ZCert inter = ORG__LFEDGE__EVE__CERTS__ZCERT__INIT;
	Org__Lfedge__Eve__Certs__ZCert *certs[] = { &signing, &inter };
	Org__Lfedge__Eve__Certs__ZControllerCert zc = ORG__LFEDGE__EVE__CERTS__ZCONTROLLER_CERT__INIT;
	Org__Lfedge__Eve__Certs__ZControllerCert *b;
	struct rt rt;

	(void)state;
	attr.is_mutable = 1;
	attr.is_tpm = 0;
	md.type = ORG__LFEDGE__EVE__CERTS__ZCERT_META_DATA_TYPE__Z_CERT_META_DATA_TYPE_TPM2_PUBLIC;
	md.meta_data = BIN("\x00\x01\x02\x03");
	signing.hashalgo = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES;
	signing.certhash = BIN("0123456789abcdef0123456789abcdef");
	signing.type = ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING;
	signing.cert = BIN("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	signing.attributes = &attr;
	signing.n_meta_data_items = 1;
	signing.meta_data_items = mds;
	inter.hashalgo = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_16BYTES;
	inter.certhash = BIN("0123456789abcdef");
	inter.type = ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_INTERMEDIATE;
	inter.cert = BIN("-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n");
	zc.n_certs = ARRAY_LEN(certs);
	zc.certs = certs;

	rt_run(&rt, &zc.base);
	b = (Org__Lfedge__Eve__Certs__ZControllerCert *)rt.back;
	assert_int_equal(b->n_certs, 2);
	assert_int_equal(b->certs[0]->type, 1);
	assert_int_equal(b->certs[1]->type, 2);
	assert_int_equal(b->certs[1]->hashalgo, 1);
	assert_true(b->certs[0]->attributes->is_mutable);
	assert_int_equal(b->certs[0]->n_meta_data_items, 1);
	assert_int_equal(b->certs[0]->meta_data_items[0]->meta_data.len, 4);
	assert_null(b->certs[1]->attributes);
	rt_done(&rt);
}

/* ---- config ------------------------------------------------------------------ */

/*
 * Fill @c with a representative configuration. Everything lives in the
 * caller-provided struct edc_parts so that nothing needs freeing.
 */
struct edc_parts {
	UUIDandVersion id, app_uv, ni_uv, bos_uv;
	VmConfig vm;
	uint32_t irqs[2];
	char *dtdev[1];
	ACEMatch m_host, m_proto, m_lport;
	ACEMatch *acl1_m[1], *acl2_m[2];
	ACEAction a_portmap;
	ACEAction *acl2_a[1];
	ACE acl1, acl2;
	ACE *acls[2];
	NetworkAdapter nif;
	NetworkAdapter *nifs[1];
	Adapter com1;
	Adapter *adapters[1];
	InstanceOpsCmd restart, purge;
	VolumeRef vref;
	VolumeRef *vrefs[1];
	CipherBlock userdata_cipher;
	char *profiles[2];
	AppInstanceConfig app;
	AppInstanceConfig *apps[1];
	IpRange range;
	Ipspec net_ip, ni_ip;
	char *dns[2];
	ProxyServer proxy;
	ProxyServer *proxies[1];
	ProtobufCBinaryData proxy_pem[1];
	ProxyConfig proxycfg;
	WifiConfig wifi;
	WifiConfig *wifis[1];
	WirelessConfig wireless;
	NetworkConfig net;
	NetworkConfig *nets[1];
	DatastoreConfig ds;
	DatastoreConfig *dss[1];
	BaseOSConfig base_cfg;
	BaseOSConfig *bases[1];
	DeviceOpsCmd reboot, retry;
	ConfigItem ci1, ci2;
	ConfigItem *cis[2];
	SystemAdapter sa;
	char *labels[1];
	SystemAdapter *sas[1];
	PhyaddrsEntry pa_ifname, pa_pci;
	PhyaddrsEntry *pas[2];
	PhysicalIO pio;
	PhysicalIO *pios[1];
	Adapter ni_port;
	IPRoute route;
	IPRoute *routes[1];
	NetworkInstanceConfig ni;
	NetworkInstanceConfig *nis[1];
	CipherContext cctx;
	CipherContext *cctxs[1];
	ContentTree ct;
	ContentTree *cts[1];
	VolumeContentOrigin origin;
	Org__Lfedge__Eve__Config__VolumeAccessProtocols protocols[1];
	Volume vol;
	Volume *vols[1];
	BaseOS bos;
	VlanAdapter vlan;
	VlanAdapter *vlans[1];
	MIIMonitor mii;
	char *bond_lower[2];
	BondAdapter bond;
	BondAdapter *bonds[1];
	DiskDescription disk_desc;
	DiskConfig disk;
	DiskConfig *disks[1];
	DisksConfig disks_cfg;
	Timestamp ts;
};

static void edc_fill(EdgeDevConfig *c, struct edc_parts *p)
{
	static const EdgeDevConfig edc_init = ORG__LFEDGE__EVE__CONFIG__EDGE_DEV_CONFIG__INIT;
	static const UUIDandVersion uv_init = ORG__LFEDGE__EVE__CONFIG__UUIDAND_VERSION__INIT;
	static const VmConfig vm_init = ORG__LFEDGE__EVE__CONFIG__VM_CONFIG__INIT;
	static const ACEMatch m_init = ORG__LFEDGE__EVE__CONFIG__ACEMATCH__INIT;
	static const ACEAction a_init = ORG__LFEDGE__EVE__CONFIG__ACEACTION__INIT;
	static const ACE ace_init = ORG__LFEDGE__EVE__CONFIG__ACE__INIT;
	static const NetworkAdapter nif_init = ORG__LFEDGE__EVE__CONFIG__NETWORK_ADAPTER__INIT;
	static const Adapter ad_init = ORG__LFEDGE__EVE__CONFIG__ADAPTER__INIT;
	static const InstanceOpsCmd ops_init = ORG__LFEDGE__EVE__CONFIG__INSTANCE_OPS_CMD__INIT;
	static const VolumeRef vref_init = ORG__LFEDGE__EVE__CONFIG__VOLUME_REF__INIT;
	static const CipherBlock cb_init = ORG__LFEDGE__EVE__COMMON__CIPHER_BLOCK__INIT;
	static const AppInstanceConfig app_init = ORG__LFEDGE__EVE__CONFIG__APP_INSTANCE_CONFIG__INIT;
	static const IpRange range_init = ORG__LFEDGE__EVE__COMMON__IP_RANGE__INIT;
	static const Ipspec ip_init = ORG__LFEDGE__EVE__COMMON__IPSPEC__INIT;
	static const ProxyServer ps_init = ORG__LFEDGE__EVE__COMMON__PROXY_SERVER__INIT;
	static const ProxyConfig pc_init = ORG__LFEDGE__EVE__COMMON__PROXY_CONFIG__INIT;
	static const WifiConfig wifi_init = ORG__LFEDGE__EVE__CONFIG__WIFI_CONFIG__INIT;
	static const WirelessConfig wl_init = ORG__LFEDGE__EVE__CONFIG__WIRELESS_CONFIG__INIT;
	static const NetworkConfig net_init = ORG__LFEDGE__EVE__CONFIG__NETWORK_CONFIG__INIT;
	static const DatastoreConfig ds_init = ORG__LFEDGE__EVE__CONFIG__DATASTORE_CONFIG__INIT;
	static const BaseOSConfig boc_init = ORG__LFEDGE__EVE__CONFIG__BASE_OSCONFIG__INIT;
	static const DeviceOpsCmd dops_init = ORG__LFEDGE__EVE__CONFIG__DEVICE_OPS_CMD__INIT;
	static const ConfigItem ci_init = ORG__LFEDGE__EVE__CONFIG__CONFIG_ITEM__INIT;
	static const SystemAdapter sa_init = ORG__LFEDGE__EVE__CONFIG__SYSTEM_ADAPTER__INIT;
	static const PhyaddrsEntry pa_init = ORG__LFEDGE__EVE__CONFIG__PHYSICAL_IO__PHYADDRS_ENTRY__INIT;
	static const PhysicalIO pio_init = ORG__LFEDGE__EVE__CONFIG__PHYSICAL_IO__INIT;
	static const IPRoute route_init = ORG__LFEDGE__EVE__CONFIG__IPROUTE__INIT;
	static const NetworkInstanceConfig ni_init = ORG__LFEDGE__EVE__CONFIG__NETWORK_INSTANCE_CONFIG__INIT;
	static const CipherContext cc_init = ORG__LFEDGE__EVE__COMMON__CIPHER_CONTEXT__INIT;
	static const ContentTree ct_init = ORG__LFEDGE__EVE__CONFIG__CONTENT_TREE__INIT;
	static const VolumeContentOrigin vco_init = ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN__INIT;
	static const Volume vol_init = ORG__LFEDGE__EVE__CONFIG__VOLUME__INIT;
	static const BaseOS bos_init = ORG__LFEDGE__EVE__CONFIG__BASE_OS__INIT;
	static const VlanAdapter vlan_init = ORG__LFEDGE__EVE__CONFIG__VLAN_ADAPTER__INIT;
	static const MIIMonitor mii_init = ORG__LFEDGE__EVE__CONFIG__MIIMONITOR__INIT;
	static const BondAdapter bond_init = ORG__LFEDGE__EVE__CONFIG__BOND_ADAPTER__INIT;
	static const DiskDescription dd_init = ORG__LFEDGE__EVE__COMMON__DISK_DESCRIPTION__INIT;
	static const DiskConfig disk_init = ORG__LFEDGE__EVE__CONFIG__DISK_CONFIG__INIT;
	static const DisksConfig disks_init = ORG__LFEDGE__EVE__CONFIG__DISKS_CONFIG__INIT;
	static const Timestamp ts_init = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

	*c = edc_init;

	p->id = uv_init;
	p->id.uuid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
	p->id.version = "42";
	c->id = &p->id;

	/* one app: VM resources, a NIC with two ACEs, a COM port, a volume */
	p->vm = vm_init;
	p->vm.memory = 524288;
	p->vm.maxmem = 524288;
	p->vm.vcpus = 2;
	p->vm.virtualizationmode = ORG__LFEDGE__EVE__CONFIG__VM_MODE__HVM;
	p->vm.enable_vnc = 1;
	p->vm.vncdisplay = 1;
	p->vm.boot_mode = ORG__LFEDGE__EVE__CONFIG__VM_BOOT_MODE__VM_BOOT_MODE_UEFI;
	p->vm.cpu_policy = ORG__LFEDGE__EVE__CONFIG__CPU_POLICY__CPU_POLICY_DEDICATED;
	p->irqs[0] = 5;
	p->irqs[1] = 300; /* two-byte varint inside a packed array */
	p->vm.n_irqs = 2;
	p->vm.irqs = p->irqs;
	p->dtdev[0] = "/soc/serial@0";
	p->vm.n_dtdev = 1;
	p->vm.dtdev = p->dtdev;

	p->m_host = m_init;
	p->m_host.type = "host";
	p->m_host.value = "example.com";
	p->acl1_m[0] = &p->m_host;
	p->acl1 = ace_init;
	p->acl1.n_matches = 1;
	p->acl1.matches = p->acl1_m;
	p->acl1.id = 1;
	p->m_proto = m_init;
	p->m_proto.type = "protocol";
	p->m_proto.value = "tcp";
	p->m_lport = m_init;
	p->m_lport.type = "lport";
	p->m_lport.value = "8080";
	p->acl2_m[0] = &p->m_proto;
	p->acl2_m[1] = &p->m_lport;
	p->a_portmap = a_init;
	p->a_portmap.portmap = 1;
	p->a_portmap.appport = 80;
	p->acl2_a[0] = &p->a_portmap;
	p->acl2 = ace_init;
	p->acl2.n_matches = 2;
	p->acl2.matches = p->acl2_m;
	p->acl2.n_actions = 1;
	p->acl2.actions = p->acl2_a;
	p->acl2.name = "http-in";
	p->acl2.id = -2; /* negative int32: 10-byte varint */
	p->acl2.dir = ORG__LFEDGE__EVE__CONFIG__ACEDIRECTION__INGRESS;
	p->acls[0] = &p->acl1;
	p->acls[1] = &p->acl2;

	p->nif = nif_init;
	p->nif.name = "eth0";
	p->nif.networkid = "33333333-3333-3333-3333-333333333333";
	p->nif.macaddress = "02:16:3e:00:00:01";
	p->nif.n_acls = 2;
	p->nif.acls = p->acls;
	p->nif.access_vlan_id = 10;
	p->nif.interface_order = 1;
	p->nifs[0] = &p->nif;

	p->com1 = ad_init;
	p->com1.type = ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoCOM;
	p->com1.name = "COM1";
	p->adapters[0] = &p->com1;

	p->restart = ops_init;
	p->restart.counter = 2;
	p->purge = ops_init;
	p->purge.counter = 1;

	p->vref = vref_init;
	p->vref.uuid = "44444444-4444-4444-4444-444444444444";
	p->vref.generationcount = 1;
	p->vrefs[0] = &p->vref;

	p->userdata_cipher = cb_init;
	p->userdata_cipher.ciphercontextid = "ctx1";
	p->userdata_cipher.initialvalue = BIN("0123456789abcdef");
	p->userdata_cipher.cipherdata = BIN("\xde\xad\xbe\xef\x00\x01");
	p->userdata_cipher.cleartextsha256 = BIN("\x01\x02");

	p->profiles[0] = "day";
	p->profiles[1] = "night";

	p->app_uv = uv_init;
	p->app_uv.uuid = "11111111-1111-1111-1111-111111111111";
	p->app_uv.version = "1";
	p->app = app_init;
	p->app.uuidandversion = &p->app_uv;
	p->app.displayname = "plc-gateway";
	p->app.fixedresources = &p->vm;
	p->app.activate = 1;
	p->app.n_interfaces = 1;
	p->app.interfaces = p->nifs;
	p->app.n_adapters = 1;
	p->app.adapters = p->adapters;
	p->app.restart = &p->restart;
	p->app.purge = &p->purge;
	p->app.userdata = "I2Nsb3VkLWNvbmZpZw==";
	p->app.cipherdata = &p->userdata_cipher;
	p->app.n_volumereflist = 1;
	p->app.volumereflist = p->vrefs;
	p->app.metadatatype = ORG__LFEDGE__EVE__CONFIG__META_DATA_TYPE__MetaDataOpenStack;
	p->app.n_profile_list = 2;
	p->app.profile_list = p->profiles;
	p->app.start_delay_in_seconds = 30;
	p->app.designated_node_id = "node-1";
	p->apps[0] = &p->app;
	c->n_apps = 1;
	c->apps = p->apps;

	/* one port network: static IP, proxy, wifi */
	p->dns[0] = "1.1.1.1";
	p->dns[1] = "2606:4700:4700::1111";
	p->net_ip = ip_init;
	p->net_ip.dhcp = ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Static;
	p->net_ip.subnet = "192.168.1.0/24";
	p->net_ip.gateway = "192.168.1.1";
	p->net_ip.ntp = "pool.ntp.org";
	p->net_ip.n_dns = 2;
	p->net_ip.dns = p->dns;
	p->proxy = ps_init;
	p->proxy.proto = ORG__LFEDGE__EVE__COMMON__PROXY_PROTO__PROXY_OTHER; /* 255 */
	p->proxy.server = "proxy.local";
	p->proxy.port = 3128;
	p->proxies[0] = &p->proxy;
	p->proxy_pem[0] = BIN("-----BEGIN CERTIFICATE-----\n");
	p->proxycfg = pc_init;
	p->proxycfg.n_proxies = 1;
	p->proxycfg.proxies = p->proxies;
	p->proxycfg.exceptions = "localhost,10.0.0.0/8";
	p->proxycfg.n_proxycertpem = 1;
	p->proxycfg.proxycertpem = p->proxy_pem;
	p->wifi = wifi_init;
	p->wifi.wifissid = "plant";
	p->wifi.keyscheme = ORG__LFEDGE__EVE__COMMON__WI_FI_KEY_SCHEME__WPAPSK;
	p->wifi.priority = -1;
	p->wifis[0] = &p->wifi;
	p->wireless = wl_init;
	p->wireless.type = ORG__LFEDGE__EVE__COMMON__WIRELESS_TYPE__WiFi;
	p->wireless.n_wificfg = 1;
	p->wireless.wificfg = p->wifis;
	p->net = net_init;
	p->net.id = "77777777-7777-7777-7777-777777777777";
	p->net.type = ORG__LFEDGE__EVE__COMMON__NETWORK_TYPE__V4;
	p->net.ip = &p->net_ip;
	p->net.entproxy = &p->proxycfg;
	p->net.wireless = &p->wireless;
	p->net.mtu = 1500;
	p->nets[0] = &p->net;
	c->n_networks = 1;
	c->networks = p->nets;

	p->ds = ds_init;
	p->ds.id = "99999999-9999-9999-9999-999999999999";
	p->ds.dtype = ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttps;
	p->ds.fqdn = "https://images.example.com";
	p->ds.dpath = "edge";
	p->dss[0] = &p->ds;
	c->n_datastores = 1;
	c->datastores = p->dss;

	/* field 8, the legacy BaseOSConfig list (renamed C base, see devconfig.proto) */
	p->bos_uv = uv_init;
	p->bos_uv.uuid = "cccccccc-cccc-cccc-cccc-cccccccccccc";
	p->base_cfg = boc_init;
	p->base_cfg.uuidandversion = &p->bos_uv;
	p->base_cfg.baseosversion = "0.1.0";
	p->base_cfg.volumeid = "dddddddd-dddd-dddd-dddd-dddddddddddd";
	p->bases[0] = &p->base_cfg;
	c->n_base = 1;
	c->base = p->bases;

	p->reboot = dops_init;
	p->reboot.counter = 5;
	p->reboot.desiredstate = 1;
	c->reboot = &p->reboot;

	p->ci1 = ci_init;
	p->ci1.key = "timer.config.interval";
	p->ci1.value = "60";
	p->ci2 = ci_init;
	p->ci2.key = "timer.test.baseimage.update";
	p->ci2.value = "600";
	p->cis[0] = &p->ci1;
	p->cis[1] = &p->ci2;
	c->n_configitems = 2;
	c->configitems = p->cis;

	p->labels[0] = "backup";
	p->sa = sa_init;
	p->sa.name = "eth0";
	p->sa.uplink = 1;
	p->sa.networkuuid = p->net.id;
	p->sa.lowerlayername = "eth0";
	p->sa.cost = 255;
	p->sa.n_shared_labels = 1;
	p->sa.shared_labels = p->labels;
	p->sas[0] = &p->sa;
	c->n_systemadapterlist = 1;
	c->systemadapterlist = p->sas;

	/* a map<string,string> */
	p->pa_ifname = pa_init;
	p->pa_ifname.key = "ifname";
	p->pa_ifname.value = "eth0";
	p->pa_pci = pa_init;
	p->pa_pci.key = "pcilong";
	p->pa_pci.value = "0000:00:03.0";
	p->pas[0] = &p->pa_ifname;
	p->pas[1] = &p->pa_pci;
	p->pio = pio_init;
	p->pio.ptype = ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetEth;
	p->pio.phylabel = "eth0";
	p->pio.n_phyaddrs = 2;
	p->pio.phyaddrs = p->pas;
	p->pio.logicallabel = "eth0";
	p->pio.assigngrp = "eth0";
	p->pio.usage = ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageMgmtAndApps;
	p->pios[0] = &p->pio;
	c->n_deviceiolist = 1;
	c->deviceiolist = p->pios;

	c->manufacturer = "QEMU";

	p->range = range_init;
	p->range.start = "10.1.0.10";
	p->range.end = "10.1.0.200";
	p->ni_ip = ip_init;
	p->ni_ip.subnet = "10.1.0.0/24";
	p->ni_ip.gateway = "10.1.0.1";
	p->ni_ip.dhcprange = &p->range;
	p->ni_port = ad_init;
	p->ni_port.name = "uplink";
	p->route = route_init;
	p->route.destination_network = "10.2.0.0/16";
	p->route.gateway = "10.1.0.5";
	p->routes[0] = &p->route;
	p->ni_uv = uv_init;
	p->ni_uv.uuid = p->nif.networkid;
	p->ni_uv.version = "1";
	p->ni = ni_init;
	p->ni.uuidandversion = &p->ni_uv;
	p->ni.displayname = "local-nat";
	p->ni.insttype = ORG__LFEDGE__EVE__CONFIG__ZNETWORK_INST_TYPE__ZnetInstLocal;
	p->ni.activate = 1;
	p->ni.port = &p->ni_port;
	p->ni.iptype = ORG__LFEDGE__EVE__CONFIG__ADDRESS_TYPE__IPV4;
	p->ni.ip = &p->ni_ip;
	p->ni.n_static_routes = 1;
	p->ni.static_routes = p->routes;
	p->ni.mtu = 1400;
	p->nis[0] = &p->ni;
	c->n_networkinstances = 1;
	c->networkinstances = p->nis;

	p->cctx = cc_init;
	p->cctx.contextid = "ctx1";
	p->cctx.hashscheme = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES;
	p->cctx.keyexchangescheme = ORG__LFEDGE__EVE__COMMON__KEY_EXCHANGE_SCHEME__KEA_ECDH;
	p->cctx.encryptionscheme = ORG__LFEDGE__EVE__COMMON__ENCRYPTION_SCHEME__SA_AES_256_CFB;
	p->cctx.devicecerthash = BIN("\x01\x02\x03\x04");
	p->cctxs[0] = &p->cctx;
	c->n_ciphercontexts = 1;
	c->ciphercontexts = p->cctxs;

	p->ct = ct_init;
	p->ct.uuid = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
	p->ct.dsid = p->ds.id;
	p->ct.url = "plc.qcow2";
	p->ct.iformat = ORG__LFEDGE__EVE__CONFIG__FORMAT__QCOW2;
	p->ct.sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	p->ct.maxsizebytes = UINT64_C(1) << 33;
	p->ct.displayname = "plc";
	p->cts[0] = &p->ct;
	c->n_contentinfo = 1;
	c->contentinfo = p->cts;

	p->origin = vco_init;
	p->origin.type = ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_DOWNLOAD;
	p->origin.downloadcontenttreeid = p->ct.uuid;
	p->protocols[0] = ORG__LFEDGE__EVE__CONFIG__VOLUME_ACCESS_PROTOCOLS__VAP_9P;
	p->vol = vol_init;
	p->vol.uuid = p->vref.uuid;
	p->vol.origin = &p->origin;
	p->vol.n_protocols = 1;
	p->vol.protocols = p->protocols;
	p->vol.generationcount = 1;
	p->vol.maxsizebytes = INT64_C(2147483648);
	p->vol.displayname = "plc-root";
	p->vol.target = ORG__LFEDGE__EVE__CONFIG__TARGET__Disk;
	p->vols[0] = &p->vol;
	c->n_volumes = 1;
	c->volumes = p->vols;

	c->controllercert_confighash = "c0ffee";
	c->controller_epoch = -1; /* negative int64 */

	p->retry = dops_init;
	p->retry.counter = 3;
	p->bos = bos_init;
	p->bos.content_tree_uuid = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb";
	p->bos.retry_update = &p->retry;
	p->bos.activate = 1;
	c->baseos = &p->bos;
	c->global_profile = "day";

	p->vlan = vlan_init;
	p->vlan.logicallabel = "vlan10";
	p->vlan.interface_name = "eth0.10";
	p->vlan.lower_layer_name = "eth0";
	p->vlan.vlan_id = 10;
	p->vlans[0] = &p->vlan;
	c->n_vlans = 1;
	c->vlans = p->vlans;

	p->mii = mii_init;
	p->mii.interval = 100;
	p->bond_lower[0] = "eth1";
	p->bond_lower[1] = "eth2";
	p->bond = bond_init;
	p->bond.logicallabel = "bond0";
	p->bond.n_lower_layer_names = 2;
	p->bond.lower_layer_names = p->bond_lower;
	p->bond.bond_mode = ORG__LFEDGE__EVE__CONFIG__BOND_MODE__BOND_MODE_ACTIVE_BACKUP;
	p->bond.monitoring_case = ORG__LFEDGE__EVE__CONFIG__BOND_ADAPTER__MONITORING_MII;
	p->bond.mii = &p->mii;
	p->bonds[0] = &p->bond;
	c->n_bonds = 1;
	c->bonds = p->bonds;

	p->disk_desc = dd_init;
	p->disk_desc.name = "/dev/sdb";
	p->disk_desc.serial = "QM0001";
	p->disk = disk_init;
	p->disk.disk = &p->disk_desc;
	p->disk.disk_config = ORG__LFEDGE__EVE__CONFIG__DISK_CONFIG_TYPE__DISK_CONFIG_TYPE_ZFS_ONLINE;
	p->disks[0] = &p->disk;
	p->disks_cfg = disks_init;
	p->disks_cfg.n_disks = 1;
	p->disks_cfg.disks = p->disks;
	p->disks_cfg.array_type = ORG__LFEDGE__EVE__CONFIG__DISKS_ARRAY_TYPE__DISKS_ARRAY_TYPE_RAID1;
	c->disks = &p->disks_cfg;

	c->device_name = "line-3-edge";
	c->project_name = "factory";
	p->ts = ts_init;
	p->ts.seconds = 1700000123;
	p->ts.nanos = 500;
	c->config_timestamp = &p->ts;
}

static void check_edc_spots(const EdgeDevConfig *b)
{
	const AppInstanceConfig *app;

	assert_string_equal(b->id->version, "42");
	assert_int_equal(b->n_apps, 1);
	app = b->apps[0];
	assert_int_equal(app->fixedresources->vcpus, 2);
	assert_int_equal(app->fixedresources->virtualizationmode, ORG__LFEDGE__EVE__CONFIG__VM_MODE__HVM);
	assert_int_equal(app->fixedresources->n_irqs, 2);
	assert_int_equal(app->fixedresources->irqs[1], 300);
	assert_int_equal(app->interfaces[0]->n_acls, 2);
	assert_int_equal(app->interfaces[0]->acls[1]->id, -2);
	assert_string_equal(app->interfaces[0]->acls[1]->matches[1]->value, "8080");
	assert_int_equal(app->interfaces[0]->acls[1]->actions[0]->appport, 80);
	assert_int_equal(app->adapters[0]->type, ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoCOM);
	assert_int_equal(app->cipherdata->cipherdata.len, 6);
	assert_string_equal(app->profile_list[1], "night");
	assert_int_equal(b->networks[0]->ip->n_dns, 2);
	assert_int_equal(b->networks[0]->entproxy->proxies[0]->proto, 255);
	assert_int_equal(b->networks[0]->wireless->wificfg[0]->priority, -1);
	assert_int_equal(b->n_base, 1);
	assert_string_equal(b->base[0]->baseosversion, "0.1.0");
	assert_string_equal(b->deviceiolist[0]->phyaddrs[1]->value, "0000:00:03.0");
	assert_int_equal(b->systemadapterlist[0]->cost, 255);
	assert_string_equal(b->networkinstances[0]->static_routes[0]->gateway, "10.1.0.5");
	assert_int_equal(b->contentinfo[0]->maxsizebytes, UINT64_C(1) << 33);
	assert_int_equal(b->volumes[0]->protocols[0], ORG__LFEDGE__EVE__CONFIG__VOLUME_ACCESS_PROTOCOLS__VAP_9P);
	assert_int_equal(b->controller_epoch, -1);
	assert_int_equal(b->bonds[0]->monitoring_case, ORG__LFEDGE__EVE__CONFIG__BOND_ADAPTER__MONITORING_MII);
	assert_int_equal(b->bonds[0]->mii->interval, 100);
	assert_string_equal(b->disks->disks[0]->disk->serial, "QM0001");
	assert_int_equal(b->config_timestamp->nanos, 500);
}

static void test_rt_edge_dev_config(void **state)
{
	struct edc_parts *p = calloc(1, sizeof(*p));
	EdgeDevConfig c;
	struct rt rt;

	(void)state;
	assert_non_null(p);
	edc_fill(&c, p);
	rt_run(&rt, &c.pbc_base);
	check_edc_spots((const EdgeDevConfig *)rt.back);
	rt_done(&rt);
	free(p);
}

static void test_rt_config_request(void **state)
{
	ConfigRequest q = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
	ConfigRequest *b;
	struct rt rt;

	(void)state;
	q.confighash = "8c7dd922ad47494fc02c388e12c00eac";
	q.integrity_token = BIN("\x00\xff\x10token");

	rt_run(&rt, &q.base);
	b = (ConfigRequest *)rt.back;
	assert_string_equal(b->confighash, q.confighash);
	assert_int_equal(b->integrity_token.len, 8);
	assert_memory_equal(b->integrity_token.data, "\x00\xff\x10token", 8);
	rt_done(&rt);
}

static void test_rt_config_response(void **state)
{
	struct edc_parts *p = calloc(1, sizeof(*p));
	ConfigResponse r = ORG__LFEDGE__EVE__CONFIG__CONFIG_RESPONSE__INIT;
	EdgeDevConfig c;
	ConfigResponse *b;
	struct rt rt;

	(void)state;
	assert_non_null(p);
	edc_fill(&c, p);
	r.config = &c;
	r.confighash = "8c7dd922ad47494fc02c388e12c00eac";

	rt_run(&rt, &r.base);
	b = (ConfigResponse *)rt.back;
	assert_string_equal(b->confighash, r.confighash);
	check_edc_spots(b->config);
	rt_done(&rt);

	/* unchanged config: the hash alone */
	r.config = NULL;
	rt_run(&rt, &r.base);
	assert_null(((ConfigResponse *)rt.back)->config);
	rt_done(&rt);
	free(p);
}

/* ---- info ---------------------------------------------------------------------- */

typedef Org__Lfedge__Eve__Info__ZInfoMsg ZInfoMsg;
typedef Org__Lfedge__Eve__Info__ErrorInfo ErrorInfo;

static void test_rt_zinfo_device(void **state)
{
	Timestamp boot = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Timestamp at = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Org__Lfedge__Eve__Info__ZInfoManufacturer minfo = ORG__LFEDGE__EVE__INFO__ZINFO_MANUFACTURER__INIT;
	ErrorInfo swerr = ORG__LFEDGE__EVE__INFO__ERROR_INFO__INIT;
	Org__Lfedge__Eve__Info__ZInfoDevSW sw_a = ORG__LFEDGE__EVE__INFO__ZINFO_DEV_SW__INIT;
	Org__Lfedge__Eve__Info__ZInfoDevSW sw_b = ORG__LFEDGE__EVE__INFO__ZINFO_DEV_SW__INIT;
	Org__Lfedge__Eve__Info__ZInfoDevSW *sws[] = { &sw_a, &sw_b };
	Org__Lfedge__Eve__Info__DevicePort port = ORG__LFEDGE__EVE__INFO__DEVICE_PORT__INIT;
	Org__Lfedge__Eve__Info__DevicePort *ports[] = { &port };
	char *addrs[] = { "192.168.1.10/24", "fe80::1/64" };
	Org__Lfedge__Eve__Info__DevicePortStatus dps = ORG__LFEDGE__EVE__INFO__DEVICE_PORT_STATUS__INIT;
	Org__Lfedge__Eve__Info__DevicePortStatus *dpss[] = { &dps };
	Org__Lfedge__Eve__Info__SystemAdapterInfo sai = ORG__LFEDGE__EVE__INFO__SYSTEM_ADAPTER_INFO__INIT;
	Org__Lfedge__Eve__Info__ZInfoConfigItem civ = ORG__LFEDGE__EVE__INFO__ZINFO_CONFIG_ITEM__INIT;
	Org__Lfedge__Eve__Info__ZInfoConfigItemStatus__ConfigItemsEntry cie =
		ORG__LFEDGE__EVE__INFO__ZINFO_CONFIG_ITEM_STATUS__CONFIG_ITEMS_ENTRY__INIT;
	Org__Lfedge__Eve__Info__ZInfoConfigItemStatus__ConfigItemsEntry *cies[] = { &cie };
	Org__Lfedge__Eve__Info__ZInfoConfigItemStatus cis = ORG__LFEDGE__EVE__INFO__ZINFO_CONFIG_ITEM_STATUS__INIT;
	Org__Lfedge__Eve__Info__MaintenanceModeReason reasons[] = {
		ORG__LFEDGE__EVE__INFO__MAINTENANCE_MODE_REASON__MAINTENANCE_MODE_REASON_USER_REQUESTED,
		ORG__LFEDGE__EVE__INFO__MAINTENANCE_MODE_REASON__MAINTENANCE_MODE_REASON_LOW_DISK_SPACE,
	};
	Org__Lfedge__Eve__Info__ZInfoDevice dev = ORG__LFEDGE__EVE__INFO__ZINFO_DEVICE__INIT;
	ZInfoMsg msg = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	ZInfoMsg *b;
	struct rt rt;

	(void)state;
	boot.seconds = 1700000000;
	at.seconds = 1700000100;
	at.nanos = 999999999;
	minfo.manufacturer = "QEMU";
	minfo.productname = "Standard PC";
	minfo.serialnumber = "QEMU-0001";

	swerr.description = "image verification failed";
	swerr.timestamp = &at;
	swerr.severity = ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_ERROR;
	sw_a.activated = 1;
	sw_a.partitionlabel = "IMGA";
	sw_a.partitionstate = "active";
	sw_a.status = ORG__LFEDGE__EVE__INFO__ZSW_STATE__RUNNING;
	sw_a.shortversion = "0.1.0-kvm-amd64";
	sw_a.userstatus = ORG__LFEDGE__EVE__INFO__BASE_OS_STATUS__UPDATED;
	sw_b.partitionlabel = "IMGB";
	sw_b.partitionstate = "unused";
	sw_b.status = ORG__LFEDGE__EVE__INFO__ZSW_STATE__ERROR;
	sw_b.swerr = &swerr;
	sw_b.userstatus = ORG__LFEDGE__EVE__INFO__BASE_OS_STATUS__FAILED;
	sw_b.substatus = ORG__LFEDGE__EVE__INFO__BASE_OS_SUB_STATUS__UPDATE_TESTING;
	sw_b.substatusprogress = 600;

	port.ifname = "eth0";
	port.name = "eth0";
	port.ismgmt = 1;
	port.dhcptype = 4;
	port.n_ipaddrs = 2;
	port.ipaddrs = addrs;
	port.up = 1;
	port.usage = ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageMgmtAndApps;
	port.mtu = 1500;
	dps.version = 1;
	dps.key = "zedagent";
	dps.timepriority = &boot;
	dps.n_ports = 1;
	dps.ports = ports;
	sai.currentindex = 0;
	sai.n_status = 1;
	sai.status = dpss;

	civ.value = "60";
	cie.key = "timer.config.interval";
	cie.value = &civ;
	cis.n_configitems = 1;
	cis.configitems = cies;

	dev.machinearch = "x86_64";
	dev.cpuarch = "x86_64";
	dev.platform = "qemu";
	dev.ncpu = 4;
	dev.memory = 8192;
	dev.storage = 32768;
	dev.powercyclecounter = -1;
	dev.minfo = &minfo;
	dev.boottime = &boot;
	dev.n_swlist = 2;
	dev.swlist = sws;
	dev.hostname = "edge-1";
	dev.lastrebootreason = "power on";
	dev.systemadapter = &sai;
	dev.hsmstatus = ORG__LFEDGE__EVE__INFO__HW_SECURITY_MODULE_STATUS__ENABLED;
	dev.configitemstatus = &cis;
	dev.last_boot_reason = ORG__LFEDGE__EVE__INFO__BOOT_REASON__BOOT_REASON_PARSE_FAIL; /* 255 */
	dev.n_maintenance_mode_reasons = 2;
	dev.maintenance_mode_reasons = reasons;
	dev.state = ORG__LFEDGE__EVE__INFO__ZDEVICE_STATE__ZDEVICE_STATE_ONLINE;
	dev.api_capability = ORG__LFEDGE__EVE__INFO__APICAPABILITY__API_CAPABILITY_MTU;

	msg.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice;
	msg.devid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
	msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO;
	msg.dinfo = &dev;
	msg.attimestamp = &at;

	rt_run(&rt, &msg.base);
	b = (ZInfoMsg *)rt.back;
	assert_int_equal(b->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO);
	assert_int_equal(b->dinfo->n_swlist, 2);
	assert_string_equal(b->dinfo->swlist[1]->partitionlabel, "IMGB");
	assert_int_equal(b->dinfo->swlist[1]->status, ORG__LFEDGE__EVE__INFO__ZSW_STATE__ERROR);
	assert_string_equal(b->dinfo->swlist[1]->swerr->description, "image verification failed");
	assert_int_equal(b->dinfo->powercyclecounter, -1);
	assert_int_equal(b->dinfo->last_boot_reason, 255);
	assert_int_equal(b->dinfo->n_maintenance_mode_reasons, 2);
	assert_string_equal(b->dinfo->systemadapter->status[0]->ports[0]->ipaddrs[1], "fe80::1/64");
	assert_string_equal(b->dinfo->configitemstatus->configitems[0]->value->value, "60");
	assert_int_equal(b->attimestamp->nanos, 999999999);
	rt_done(&rt);
}

static void test_rt_zinfo_app(void **state)
{
	ErrorInfo err = ORG__LFEDGE__EVE__INFO__ERROR_INFO__INIT;
	ErrorInfo *errs[] = { &err };
	Org__Lfedge__Eve__Info__DeviceEntity ent = ORG__LFEDGE__EVE__INFO__DEVICE_ENTITY__INIT;
	Org__Lfedge__Eve__Info__DeviceEntity *ents[] = { &ent };
	Org__Lfedge__Eve__Info__ZInfoNetwork net = ORG__LFEDGE__EVE__INFO__ZINFO_NETWORK__INIT;
	Org__Lfedge__Eve__Info__ZInfoNetwork *nets[] = { &net };
	char *ips[] = { "10.1.0.10" };
	char *vols[] = { "44444444-4444-4444-4444-444444444444" };
	Org__Lfedge__Eve__Info__ZInfoApp app = ORG__LFEDGE__EVE__INFO__ZINFO_APP__INIT;
	ZInfoMsg msg = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	ZInfoMsg *b;
	struct rt rt;

	(void)state;
	ent.entity = ORG__LFEDGE__EVE__INFO__ENTITY__ENTITY_VOLUME;
	ent.entity_id = vols[0];
	err.description = "volume not ready";
	err.severity = ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_WARNING;
	err.n_entities = 1;
	err.entities = ents;
	err.retry_condition = "when the volume is created";
	net.macaddr = "02:16:3e:00:00:01";
	net.devname = "eth0";
	net.n_ipaddrs = 1;
	net.ipaddrs = ips;
	net.ipv4_up = 1;
	app.appid = "11111111-1111-1111-1111-111111111111";
	app.appversion = "1";
	app.appname = "plc-gateway";
	app.n_apperr = 1;
	app.apperr = errs;
	app.state = ORG__LFEDGE__EVE__INFO__ZSW_STATE__BOOTING;
	app.n_network = 1;
	app.network = nets;
	app.n_volumerefs = 1;
	app.volumerefs = vols;

	msg.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiApp;
	msg.devid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
	msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO;
	msg.ainfo = &app;

	rt_run(&rt, &msg.base);
	b = (ZInfoMsg *)rt.back;
	assert_int_equal(b->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO);
	assert_int_equal(b->ainfo->state, ORG__LFEDGE__EVE__INFO__ZSW_STATE__BOOTING);
	assert_int_equal(b->ainfo->apperr[0]->entities[0]->entity,
			 ORG__LFEDGE__EVE__INFO__ENTITY__ENTITY_VOLUME);
	assert_string_equal(b->ainfo->network[0]->ipaddrs[0], "10.1.0.10");
	assert_null(b->attimestamp);
	rt_done(&rt);
}

static void test_rt_zinfo_network_instance(void **state)
{
	Org__Lfedge__Eve__Info__ZmetIPAssignmentEntry ipa = ORG__LFEDGE__EVE__INFO__ZMET_IPASSIGNMENT_ENTRY__INIT;
	Org__Lfedge__Eve__Info__ZmetIPAssignmentEntry *ipas[] = { &ipa };
	char *ipa_ips[] = { "10.1.0.10" };
	Org__Lfedge__Eve__Info__ZmetVifInfo vif = ORG__LFEDGE__EVE__INFO__ZMET_VIF_INFO__INIT;
	Org__Lfedge__Eve__Info__ZmetVifInfo *vifs[] = { &vif };
	Org__Lfedge__Eve__Info__IPRoute route = ORG__LFEDGE__EVE__INFO__IPROUTE__INIT;
	Org__Lfedge__Eve__Info__IPRoute *routes[] = { &route };
	char *ports[] = { "eth0" };
	Org__Lfedge__Eve__Info__ZInfoNetworkInstance ni = ORG__LFEDGE__EVE__INFO__ZINFO_NETWORK_INSTANCE__INIT;
	ZInfoMsg msg = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	ZInfoMsg *b;
	struct rt rt;

	(void)state;
	ipa.macaddress = "02:16:3e:00:00:01";
	ipa.n_ipaddress = 1;
	ipa.ipaddress = ipa_ips;
	vif.vifname = "nbu1x1";
	vif.macaddress = ipa.macaddress;
	vif.appid = "11111111-1111-1111-1111-111111111111";
	route.destination_network = "0.0.0.0/0";
	route.gateway = "192.168.1.1";
	route.port = "eth0";
	ni.networkid = "33333333-3333-3333-3333-333333333333";
	ni.networkversion = "1";
	ni.insttype = 2;
	ni.displayname = "local-nat";
	ni.activated = 1;
	ni.n_ports = 1;
	ni.ports = ports;
	ni.bridgenum = 1;
	ni.bridgename = "bn1";
	ni.bridgeipaddr = "10.1.0.1";
	ni.n_ipassignments = 1;
	ni.ipassignments = ipas;
	ni.n_vifs = 1;
	ni.vifs = vifs;
	ni.state = ORG__LFEDGE__EVE__INFO__ZNETWORK_INSTANCE_STATE__ZNETINST_STATE_ONLINE;
	ni.mtu = 1500;
	ni.n_ip_routes = 1;
	ni.ip_routes = routes;

	msg.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiNetworkInstance;
	msg.devid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
	msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_NIINFO;
	msg.niinfo = &ni;

	rt_run(&rt, &msg.base);
	b = (ZInfoMsg *)rt.back;
	assert_int_equal(b->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_NIINFO);
	assert_string_equal(b->niinfo->bridgename, "bn1");
	assert_string_equal(b->niinfo->vifs[0]->vifname, "nbu1x1");
	assert_string_equal(b->niinfo->ip_routes[0]->port, "eth0");
	assert_int_equal(b->niinfo->info_content_case,
			 ORG__LFEDGE__EVE__INFO__ZINFO_NETWORK_INSTANCE__INFO_CONTENT__NOT_SET);
	rt_done(&rt);
}

static void test_rt_zinfo_volume(void **state)
{
	Timestamp created = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Org__Lfedge__Eve__Info__UsageInfo usage = ORG__LFEDGE__EVE__INFO__USAGE_INFO__INIT;
	Org__Lfedge__Eve__Info__VolumeResources res = ORG__LFEDGE__EVE__INFO__VOLUME_RESOURCES__INIT;
	Org__Lfedge__Eve__Info__ZInfoVolume vol = ORG__LFEDGE__EVE__INFO__ZINFO_VOLUME__INIT;
	ZInfoMsg msg = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	ZInfoMsg *b;
	struct rt rt;

	(void)state;
	created.seconds = 1700000000;
	usage.createtime = &created;
	usage.refcount = 1;
	res.maxsizebytes = UINT64_C(2147483648);
	res.cursizebytes = UINT64_C(1048576);
	vol.uuid = "44444444-4444-4444-4444-444444444444";
	vol.displayname = "plc-root";
	vol.usage = &usage;
	vol.resources = &res;
	vol.state = ORG__LFEDGE__EVE__INFO__ZSW_STATE__CREATED_VOLUME;
	vol.progresspercentage = 100;
	vol.generation_count = 1;

	msg.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiVolume;
	msg.devid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
	msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_VINFO;
	msg.vinfo = &vol;

	rt_run(&rt, &msg.base);
	b = (ZInfoMsg *)rt.back;
	assert_int_equal(b->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_VINFO);
	assert_int_equal(b->vinfo->state, ORG__LFEDGE__EVE__INFO__ZSW_STATE__CREATED_VOLUME);
	assert_int_equal(b->vinfo->resources->maxsizebytes, UINT64_C(2147483648));
	assert_int_equal(b->vinfo->usage->createtime->seconds, 1700000000);
	rt_done(&rt);
}

static void test_rt_zinfo_content_tree(void **state)
{
	Org__Lfedge__Eve__Info__ContentResources res = ORG__LFEDGE__EVE__INFO__CONTENT_RESOURCES__INIT;
	ErrorInfo err = ORG__LFEDGE__EVE__INFO__ERROR_INFO__INIT;
	char *shas[] = {
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9",
	};
	Org__Lfedge__Eve__Info__ZInfoContentTree ct = ORG__LFEDGE__EVE__INFO__ZINFO_CONTENT_TREE__INIT;
	ZInfoMsg msg = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	ZInfoMsg *b;
	struct rt rt;

	(void)state;
	res.cursizebytes = 123456789;
	err.description = "download interrupted";
	ct.uuid = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
	ct.displayname = "plc";
	ct.sha256 = shas[0];
	ct.resources = &res;
	ct.state = ORG__LFEDGE__EVE__INFO__ZSW_STATE__DOWNLOAD_STARTED;
	ct.progresspercentage = 42;
	ct.err = &err;
	ct.n_componentshalist = 2;
	ct.componentshalist = shas;
	ct.generation_count = 7;

	msg.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiContentTree;
	msg.devid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
	msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_CINFO;
	msg.cinfo = &ct;

	rt_run(&rt, &msg.base);
	b = (ZInfoMsg *)rt.back;
	assert_int_equal(b->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_CINFO);
	assert_int_equal(b->cinfo->progresspercentage, 42);
	assert_int_equal(b->cinfo->n_componentshalist, 2);
	assert_string_equal(b->cinfo->componentshalist[1], shas[1]);
	assert_string_equal(b->cinfo->err->description, "download interrupted");
	rt_done(&rt);
}

/* ---- metrics --------------------------------------------------------------------- */

static void test_rt_zmetric(void **state)
{
	Timestamp at = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Org__Lfedge__Eve__Metrics__NetworkMetric eth0 = ORG__LFEDGE__EVE__METRICS__NETWORK_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__NetworkMetric *dev_nets[] = { &eth0 };
	Org__Lfedge__Eve__Metrics__ZedcloudMetric zc = ORG__LFEDGE__EVE__METRICS__ZEDCLOUD_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__ZedcloudMetric *zcs[] = { &zc };
	Org__Lfedge__Eve__Metrics__AppCpuMetric dev_cpu = ORG__LFEDGE__EVE__METRICS__APP_CPU_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__DeviceMemoryMetric dev_mem = ORG__LFEDGE__EVE__METRICS__DEVICE_MEMORY_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__LogMetric__InputSourcesEntry src = ORG__LFEDGE__EVE__METRICS__LOG_METRIC__INPUT_SOURCES_ENTRY__INIT;
	Org__Lfedge__Eve__Metrics__LogMetric__InputSourcesEntry *srcs[] = { &src };
	Org__Lfedge__Eve__Metrics__LogMetric logm = ORG__LFEDGE__EVE__METRICS__LOG_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__MetricItem item = ORG__LFEDGE__EVE__METRICS__METRIC_ITEM__INIT;
	Org__Lfedge__Eve__Metrics__MetricItem *items[] = { &item };
	Org__Lfedge__Eve__Metrics__DeviceMetric dm = ORG__LFEDGE__EVE__METRICS__DEVICE_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__NetworkMetric vif = ORG__LFEDGE__EVE__METRICS__NETWORK_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__NetworkMetric *app_nets[] = { &vif };
	Org__Lfedge__Eve__Metrics__AppCpuMetric app_cpu = ORG__LFEDGE__EVE__METRICS__APP_CPU_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__AppMemoryMetric app_mem = ORG__LFEDGE__EVE__METRICS__APP_MEMORY_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__AppDiskMetric app_disk = ORG__LFEDGE__EVE__METRICS__APP_DISK_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__AppDiskMetric *app_disks[] = { &app_disk };
	Org__Lfedge__Eve__Metrics__AppMetric am = ORG__LFEDGE__EVE__METRICS__APP_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__AppMetric *ams[] = { &am };
	Org__Lfedge__Eve__Metrics__NetworkMetric bridge = ORG__LFEDGE__EVE__METRICS__NETWORK_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__NetworkMetric *ni_nets[] = { &bridge };
	Org__Lfedge__Eve__Metrics__ZMetricNone none = ORG__LFEDGE__EVE__METRICS__ZMETRIC_NONE__INIT;
	Org__Lfedge__Eve__Metrics__ZMetricNetworkInstance nm = ORG__LFEDGE__EVE__METRICS__ZMETRIC_NETWORK_INSTANCE__INIT;
	Org__Lfedge__Eve__Metrics__ZMetricNetworkInstance *nms[] = { &nm };
	Org__Lfedge__Eve__Metrics__ZMetricVolume vm = ORG__LFEDGE__EVE__METRICS__ZMETRIC_VOLUME__INIT;
	Org__Lfedge__Eve__Metrics__ZMetricVolume *vms[] = { &vm };
	Org__Lfedge__Eve__Metrics__ZMetricMsg msg = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__INIT;
	Org__Lfedge__Eve__Metrics__ZMetricMsg *b;
	struct rt rt;

	(void)state;
	at.seconds = 1700000200;
	eth0.iname = "eth0";
	eth0.txbytes = UINT64_C(1) << 40;
	eth0.rxbytes = 123456;
	eth0.rxdrops = 3;
	zc.ifname = "eth0";
	zc.success = 100;
	zc.failures = 2;
	zc.lastsuccess = &at;
	dev_cpu.total = 3600;
	dev_cpu.uptime = &at;
	dev_mem.memorymb = 8192;
	dev_mem.used_evemb = 96;
	src.key = "eved";
	src.value = 42;
	logm.numdeviceeventssent = 1000;
	logm.n_input_sources = 1;
	logm.input_sources = srcs;
	item.key = "lte-signal-strength";
	item.type = ORG__LFEDGE__EVE__METRICS__METRIC_ITEM_TYPE__MetricItemGauge;
	item.metric_item_value_case = ORG__LFEDGE__EVE__METRICS__METRIC_ITEM__METRIC_ITEM_VALUE_FLOAT_VALUE;
	item.floatvalue = -71.5f;
	dm.n_network = 1;
	dm.network = dev_nets;
	dm.n_zedcloud = 1;
	dm.zedcloud = zcs;
	dm.cpumetric = &dev_cpu;
	dm.n_metricitems = 1;
	dm.metricitems = items;
	dm.log = &logm;
	dm.devicememory = &dev_mem;
	dm.dormant_time_in_seconds = 300;

	vif.iname = "nbu1x1";
	vif.txpkts = 10;
	app_cpu.total_ns = UINT64_C(5000000000);
	app_mem.allocatedmb = 512;
	app_mem.usedmb = 200;
	app_disk.disk = "xvda";
	app_disk.provisioned = 2048;
	app_disk.disktype = "QCOW2";
	am.appid = "11111111-1111-1111-1111-111111111111";
	am.appname = "plc-gateway";
	am.cpu = &app_cpu;
	am.n_network = 1;
	am.network = app_nets;
	am.n_disk = 1;
	am.disk = app_disks;
	am.appmemory = &app_mem;

	bridge.iname = "local-nat";
	bridge.rxbytes = 77;
	nm.networkid = "33333333-3333-3333-3333-333333333333";
	nm.insttype = 2;
	nm.displayname = "local-nat";
	nm.activated = 1;
	nm.n_network = 1;
	nm.network = ni_nets;
	nm.instance_content_case = ORG__LFEDGE__EVE__METRICS__ZMETRIC_NETWORK_INSTANCE__INSTANCE_CONTENT_NONEM;
	nm.nonem = &none;

	vm.uuid = "44444444-4444-4444-4444-444444444444";
	vm.totalbytes = UINT64_C(2147483648);
	vm.usedbytes = UINT64_C(1048576);

	msg.devid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
	msg.attimestamp = &at;
	msg.metric_content_case = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__METRIC_CONTENT_DM;
	msg.dm = &dm;
	msg.n_am = 1;
	msg.am = ams;
	msg.n_nm = 1;
	msg.nm = nms;
	msg.n_vm = 1;
	msg.vm = vms;

	rt_run(&rt, &msg.base);
	b = (Org__Lfedge__Eve__Metrics__ZMetricMsg *)rt.back;
	assert_int_equal(b->metric_content_case, ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__METRIC_CONTENT_DM);
	assert_int_equal(b->dm->network[0]->txbytes, UINT64_C(1) << 40);
	assert_int_equal(b->dm->log->input_sources[0]->value, 42);
	assert_true(b->dm->metricitems[0]->floatvalue == -71.5f);
	assert_int_equal(b->am[0]->cpu->total_ns, UINT64_C(5000000000));
	assert_string_equal(b->am[0]->disk[0]->disktype, "QCOW2");
	assert_int_equal(b->nm[0]->instance_content_case,
			 ORG__LFEDGE__EVE__METRICS__ZMETRIC_NETWORK_INSTANCE__INSTANCE_CONTENT_NONEM);
	assert_non_null(b->nm[0]->nonem);
	assert_int_equal(b->vm[0]->usedbytes, UINT64_C(1048576));
	rt_done(&rt);
}

/* ---- logs ------------------------------------------------------------------------- */

typedef Org__Lfedge__Eve__Logs__LogEntry LogEntry;
typedef Org__Lfedge__Eve__Logs__LogEntry__TagsEntry TagsEntry;

static void log_entry_fill(LogEntry *e, Timestamp *ts, TagsEntry *tag, TagsEntry **tags,
			   const char *content, uint64_t msgid)
{
	static const LogEntry e_init = ORG__LFEDGE__EVE__LOGS__LOG_ENTRY__INIT;
	static const TagsEntry t_init = ORG__LFEDGE__EVE__LOGS__LOG_ENTRY__TAGS_ENTRY__INIT;

	*e = e_init;
	*tag = t_init;
	tag->key = "pid";
	tag->value = "1";
	tags[0] = tag;
	e->severity = "info";
	e->source = "eved";
	e->iid = "1";
	e->content = (char *)content;
	e->msgid = msgid;
	e->n_tags = 1;
	e->tags = tags;
	e->timestamp = ts;
	e->filename = "dom0/evc/evc.c:123";
	e->function = "evc_config_fetch";
}

static void test_rt_log_entry(void **state)
{
	Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	TagsEntry tag;
	TagsEntry *tags[1];
	LogEntry e;
	LogEntry *b;
	struct rt rt;

	(void)state;
	ts.seconds = 1700000300;
	ts.nanos = 123000000;
	log_entry_fill(&e, &ts, &tag, tags, "config applied: 3 apps, 2 volumes", UINT64_MAX);

	rt_run(&rt, &e.base);
	b = (LogEntry *)rt.back;
	assert_string_equal(b->content, "config applied: 3 apps, 2 volumes");
	assert_int_equal(b->msgid, UINT64_MAX);
	assert_int_equal(b->n_tags, 1);
	assert_string_equal(b->tags[0]->key, "pid");
	assert_int_equal(b->timestamp->nanos, 123000000);
	assert_string_equal(b->function, "evc_config_fetch");
	rt_done(&rt);
}

static void test_rt_log_bundle(void **state)
{
	Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	TagsEntry tag1, tag2;
	TagsEntry *tags1[1], *tags2[1];
	LogEntry e1, e2;
	LogEntry *entries[] = { &e1, &e2 };
	Org__Lfedge__Eve__Logs__LogBundle lb = ORG__LFEDGE__EVE__LOGS__LOG_BUNDLE__INIT;
	Org__Lfedge__Eve__Logs__LogBundle *b;
	struct rt rt;

	(void)state;
	ts.seconds = 1700000400;
	log_entry_fill(&e1, &ts, &tag1, tags1, "first", 1);
	log_entry_fill(&e2, &ts, &tag2, tags2, "second", 2);
	e2.severity = "err";
	lb.devid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
	lb.image = "IMGA";
	lb.n_log = 2;
	lb.log = entries;
	lb.timestamp = &ts;
	lb.eveversion = "0.1.0-kvm-amd64";

	rt_run(&rt, &lb.base);
	b = (Org__Lfedge__Eve__Logs__LogBundle *)rt.back;
	assert_int_equal(b->n_log, 2);
	assert_string_equal(b->log[1]->content, "second");
	assert_string_equal(b->log[1]->severity, "err");
	assert_int_equal(b->log[0]->msgid, 1);
	assert_string_equal(b->eveversion, "0.1.0-kvm-amd64");
	rt_done(&rt);
}

/* ---- attest ----------------------------------------------------------------------- */

static void test_rt_attest_req(void **state)
{
	Org__Lfedge__Eve__Attest__TpmPCRValue pcr0 = ORG__LFEDGE__EVE__ATTEST__TPM_PCRVALUE__INIT;
	Org__Lfedge__Eve__Attest__TpmPCRValue pcr7 = ORG__LFEDGE__EVE__ATTEST__TPM_PCRVALUE__INIT;
	Org__Lfedge__Eve__Attest__TpmPCRValue *pcrs[] = { &pcr0, &pcr7 };
	Org__Lfedge__Eve__Attest__AttestVersionInfo ver = ORG__LFEDGE__EVE__ATTEST__ATTEST_VERSION_INFO__INIT;
	Org__Lfedge__Eve__Attest__AttestVersionInfo *vers[] = { &ver };
	Org__Lfedge__Eve__Attest__AttestGPSCoordinates gps = ORG__LFEDGE__EVE__ATTEST__ATTEST_GPSCOORDINATES__INIT;
	Org__Lfedge__Eve__Attest__ZAttestQuote quote = ORG__LFEDGE__EVE__ATTEST__ZATTEST_QUOTE__INIT;
	Org__Lfedge__Eve__Certs__ZCert cert = ORG__LFEDGE__EVE__CERTS__ZCERT__INIT;
	Org__Lfedge__Eve__Certs__ZCert *certs[] = { &cert };
	Org__Lfedge__Eve__Attest__ZAttestReq req = ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ__INIT;
	Org__Lfedge__Eve__Attest__ZAttestReq *b;
	uint8_t digest[32];
	struct rt rt;

	(void)state;
	memset(digest, 0x5a, sizeof(digest));
	pcr0.index = 0;
	pcr0.hash_algo = ORG__LFEDGE__EVE__ATTEST__TPM_HASH_ALGO__TPM_HASH_ALGO_SHA256;
	pcr0.value = (ProtobufCBinaryData){ sizeof(digest), digest };
	pcr7.index = 7;
	pcr7.hash_algo = ORG__LFEDGE__EVE__ATTEST__TPM_HASH_ALGO__TPM_HASH_ALGO_SHA256;
	pcr7.value = (ProtobufCBinaryData){ sizeof(digest), digest };
	ver.version_type = ORG__LFEDGE__EVE__ATTEST__ATTEST_VERSION_TYPE__ATTEST_VERSION_TYPE_EVE;
	ver.version = "0.1.0-kvm-amd64";
	gps.gps_input = ORG__LFEDGE__EVE__ATTEST__ATTEST_GPSINPUT__ATTEST_GPS_INPUT_PRESENT;
	gps.latitude = 48.1351;
	gps.longitude = 11.582;
	quote.attestdata = BIN("\xff\x54\x43\x47\x80\x18");
	quote.signature = BIN("\x00\x18\x00\x0b");
	quote.n_pcr_values = 2;
	quote.pcr_values = pcrs;
	quote.n_versions = 1;
	quote.versions = vers;
	quote.gps_info = &gps;
	quote.tpm_binary_event_log = BIN("\x1f\x8b\x08\x00");
	cert.hashalgo = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES;
	cert.type = ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_DEVICE_RESTRICTED_SIGNING;
	cert.cert = BIN("-----BEGIN CERTIFICATE-----\n");
	req.reqtype = ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_QUOTE;
	req.quote = &quote;
	req.n_certs = 1;
	req.certs = certs;

	rt_run(&rt, &req.base);
	b = (Org__Lfedge__Eve__Attest__ZAttestReq *)rt.back;
	assert_int_equal(b->reqtype, ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_QUOTE);
	assert_int_equal(b->quote->n_pcr_values, 2);
	assert_int_equal(b->quote->pcr_values[1]->index, 7);
	assert_memory_equal(b->quote->pcr_values[1]->value.data, digest, sizeof(digest));
	assert_true(b->quote->gps_info->latitude == 48.1351);
	assert_string_equal(b->quote->versions[0]->version, "0.1.0-kvm-amd64");
	assert_int_equal(b->certs[0]->type,
			 ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_DEVICE_RESTRICTED_SIGNING);
	rt_done(&rt);
}

static void test_rt_attest_response(void **state)
{
	Org__Lfedge__Eve__Attest__ZAttestNonceResp nonce = ORG__LFEDGE__EVE__ATTEST__ZATTEST_NONCE_RESP__INIT;
	Org__Lfedge__Eve__Attest__AttestVolumeKey key = ORG__LFEDGE__EVE__ATTEST__ATTEST_VOLUME_KEY__INIT;
	Org__Lfedge__Eve__Attest__AttestVolumeKey *keys[] = { &key };
	Org__Lfedge__Eve__Attest__ZAttestQuoteResp qr = ORG__LFEDGE__EVE__ATTEST__ZATTEST_QUOTE_RESP__INIT;
	Org__Lfedge__Eve__Attest__ZAttestResponse resp = ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE__INIT;
	Org__Lfedge__Eve__Attest__ZAttestResponse *b;
	struct rt rt;

	(void)state;
	nonce.nonce = BIN("\x01\x02\x03\x04\x05\x06\x07\x08");
	key.key_type = ORG__LFEDGE__EVE__ATTEST__ATTEST_VOLUME_KEY_TYPE__ATTEST_VOLUME_KEY_TYPE_VSK;
	key.key = BIN("wrapped-vault-key");
	qr.response = ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_SUCCESS;
	qr.integrity_token = BIN("itoken");
	qr.n_keys = 1;
	qr.keys = keys;
	resp.resptype = ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESP_TYPE__ATTEST_RESP_QUOTE_RESP;
	resp.nonce = &nonce;
	resp.quoteresp = &qr;

	rt_run(&rt, &resp.base);
	b = (Org__Lfedge__Eve__Attest__ZAttestResponse *)rt.back;
	assert_int_equal(b->resptype, ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESP_TYPE__ATTEST_RESP_QUOTE_RESP);
	assert_int_equal(b->nonce->nonce.len, 8);
	assert_int_equal(b->quoteresp->response,
			 ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_SUCCESS);
	assert_memory_equal(b->quoteresp->integrity_token.data, "itoken", 6);
	assert_int_equal(b->quoteresp->keys[0]->key_type,
			 ORG__LFEDGE__EVE__ATTEST__ATTEST_VOLUME_KEY_TYPE__ATTEST_VOLUME_KEY_TYPE_VSK);
	assert_null(b->storage_keys_resp);
	rt_done(&rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rt_auth_container),
		cmocka_unit_test(test_rt_register),
		cmocka_unit_test(test_rt_uuid_request),
		cmocka_unit_test(test_rt_uuid_response),
		cmocka_unit_test(test_rt_controller_cert),
		cmocka_unit_test(test_rt_edge_dev_config),
		cmocka_unit_test(test_rt_config_request),
		cmocka_unit_test(test_rt_config_response),
		cmocka_unit_test(test_rt_zinfo_device),
		cmocka_unit_test(test_rt_zinfo_app),
		cmocka_unit_test(test_rt_zinfo_network_instance),
		cmocka_unit_test(test_rt_zinfo_volume),
		cmocka_unit_test(test_rt_zinfo_content_tree),
		cmocka_unit_test(test_rt_zmetric),
		cmocka_unit_test(test_rt_log_entry),
		cmocka_unit_test(test_rt_log_bundle),
		cmocka_unit_test(test_rt_attest_req),
		cmocka_unit_test(test_rt_attest_response),
	};

	return cmocka_run_group_tests_name("proto_roundtrip", tests, NULL, NULL);
}
