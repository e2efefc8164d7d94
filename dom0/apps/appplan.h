/*
 * appplan: what the device should run, as the evc role hands it to the apps
 * role (DESIGN.md §3: the code that parses controller input never shares an
 * address space with the hypervisor handle).  The evc role decodes the
 * EdgeDevConfig (protobuf) and flattens its apps, volumes, content trees,
 * datastores and I/O model into one fixed-layout struct app_plan; the apps
 * role receives those bytes in a memfd (IPC_APPS_PLAN) and checks them with
 * appplan_check() before it reads a field.  No pointer, no variable length:
 * every string is a NUL-terminated array, every count is bounded.
 *
 *   appplan_from_config  EdgeDevConfig -> plan (pure).  Problems with one
 *                        object (a bad URL, an unknown datastore, a missing
 *                        volume, resources out of range, a name too long)
 *                        are written into that object's `error` field and
 *                        reported in its info; they never drop the others.
 *   appplan_check        bytes received -> a plan that is safe to read, or
 *                        -EBADMSG with a sentence (pure).
 *   appplan_find_*       lookup by uuid (pure).
 *
 * Ownership: every function works on caller-owned memory; nothing is kept.
 */
#ifndef EV_APPPLAN_H
#define EV_APPPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APPPLAN_MAGIC 0x4e4c5041u   /* "APLN" */
#define APPPLAN_VERSION 1

#define PLAN_MAX_DATASTORES 16
#define PLAN_MAX_CONTENTS 64
#define PLAN_MAX_VOLUMES 64
#define PLAN_MAX_APPS 32
#define PLAN_MAX_IO 64
#define PLAN_MAX_APP_VOLUMES 8
#define PLAN_MAX_APP_ADAPTERS 8
#define PLAN_MAX_APP_NICS 4

#define PLAN_UUID 37          /* 36 chars + NUL, lower case */
#define PLAN_NAME 128
#define PLAN_LABEL 64
#define PLAN_URL 1024
#define PLAN_ERR 256
#define PLAN_CERTS 8192       /* dsCertPEM, concatenated PEM */
#define PLAN_SIG 256

/* values are EVE's (storage.proto Format, Target; vm.proto VmMode) */
enum plan_format { PLAN_FMT_UNKNOWN = 0, PLAN_FMT_RAW = 1, PLAN_FMT_QCOW = 2, PLAN_FMT_QCOW2 = 3,
		   PLAN_FMT_ISO = 9 };
enum plan_virt { PLAN_VIRT_PV = 0, PLAN_VIRT_HVM = 1, PLAN_VIRT_PVH = 2 /* EVE's "Filler" */,
		 PLAN_VIRT_FML = 3, PLAN_VIRT_NOHYPER = 4, PLAN_VIRT_LEGACY = 5 };
enum plan_origin { PLAN_ORIGIN_BLANK = 1, PLAN_ORIGIN_DOWNLOAD = 2 };
enum plan_ds_type { PLAN_DS_HTTP = 1, PLAN_DS_HTTPS = 2 };

struct plan_datastore {
	char id[PLAN_UUID];
	uint32_t type;                 /* enum plan_ds_type */
	char fqdn[256];                /* "host" or "host:port" (a URL prefix is stripped) */
	char dpath[512];               /* path prefix on the server, may be "" */
	uint32_t cert_len;
	char cert_pem[PLAN_CERTS];     /* dsCertPEM: extra trust anchors for HTTPS; "" = device roots */
	char error[PLAN_ERR];          /* unsupported type, bad fqdn, ... */
};

struct plan_content {
	char uuid[PLAN_UUID];
	char name[PLAN_NAME];          /* displayName */
	char ds_id[PLAN_UUID];
	char url[PLAN_URL];            /* the full URL: scheme://fqdn/dpath/URL */
	uint32_t format;               /* enum plan_format */
	char sha256[65];               /* lower-case hex of the blob; "" = unknown (refused) */
	uint64_t max_size;             /* maxSizeBytes; 0 = unknown */
	int64_t generation;
	/* siginfo: ECDSA P-256 signature of the SHA-256 of the blob, by the
	 * certificate at signer_url (chained through inter_url to the device's
	 * roots).  has_sig false: SHA-256 only. */
	bool has_sig;
	uint32_t sig_len;
	uint8_t sig[PLAN_SIG];         /* DER or raw r||s */
	char signer_url[PLAN_URL];     /* full URLs, as url */
	char inter_url[PLAN_URL];
	char error[PLAN_ERR];
};

struct plan_volume {
	char uuid[PLAN_UUID];
	char name[PLAN_NAME];
	uint32_t origin;               /* enum plan_origin */
	char content_uuid[PLAN_UUID];  /* PLAN_ORIGIN_DOWNLOAD */
	int64_t generation;            /* a change means purge and rebuild */
	uint64_t max_size;             /* maxsizebytes; blank volumes need it */
	bool readonly;
	uint32_t target;               /* EVE's Target: 1 disk, 2 kernel, 3 initrd, ... */
	char error[PLAN_ERR];
};

struct plan_app_volume {
	char uuid[PLAN_UUID];
	int64_t generation;
};

struct plan_adapter {
	uint32_t type;                 /* PhyIoType */
	char name[PLAN_LABEL];         /* assigngrp of the PhysicalIO (EVE: Adapter.name) */
};

struct plan_nic {
	char name[PLAN_LABEL];
	char network_uuid[PLAN_UUID];
	char mac[18];                  /* "" = generated */
};

struct plan_app {
	char uuid[PLAN_UUID];
	char version[PLAN_LABEL];
	char name[PLAN_NAME];
	bool activate;
	uint32_t restart_counter;      /* InstanceOpsCmd counters */
	uint32_t purge_counter;
	uint32_t start_delay_s;
	uint32_t virt;                 /* enum plan_virt */
	uint32_t memory_kib, maxmem_kib;
	uint32_t vcpus;
	bool enable_vnc;
	uint32_t vnc_display;
	bool uefi;                     /* boot_mode VM_BOOT_MODE_UEFI */
	char kernel[256], ramdisk[256], extraargs[512];  /* VmConfig, "" = boot the disk */
	uint32_t n_volumes;
	struct plan_app_volume volumes[PLAN_MAX_APP_VOLUMES];  /* first = boot disk */
	uint32_t n_adapters;
	struct plan_adapter adapters[PLAN_MAX_APP_ADAPTERS];
	uint32_t n_nics;
	struct plan_nic nics[PLAN_MAX_APP_NICS];
	char error[PLAN_ERR];
};

/* A PhysicalIO of the config's deviceIoList (checked against the board). */
struct plan_io {
	uint32_t ptype;                /* PhyIoType */
	char phylabel[PLAN_LABEL];
	char logicallabel[PLAN_LABEL];
	char assigngrp[PLAN_LABEL];
	uint32_t usage;                /* PhyIoMemberUsage */
	char pcilong[32];              /* phyaddrs["pcilong"], "0000:03:00.0" */
	char ifname[32];               /* phyaddrs["ifname"] */
	char serial[64];               /* phyaddrs["serial"], "/dev/ttyS1" */
	char usbaddr[32];              /* phyaddrs["usbaddr"], "bus:port" */
	bool mgmt;                     /* a systemAdapterList entry names it as uplink */
};

struct app_plan {
	uint32_t magic, version, size; /* APPPLAN_MAGIC, APPPLAN_VERSION, sizeof */
	char config_hash[65];          /* of the config this came from (for the log) */
	uint32_t n_datastores, n_contents, n_volumes, n_apps, n_io;
	struct plan_datastore datastores[PLAN_MAX_DATASTORES];
	struct plan_content contents[PLAN_MAX_CONTENTS];
	struct plan_volume volumes[PLAN_MAX_VOLUMES];
	struct plan_app apps[PLAN_MAX_APPS];
	struct plan_io io[PLAN_MAX_IO];
	char error[PLAN_ERR];          /* config-wide: too many objects (the rest left out) */
};

struct Org__Lfedge__Eve__Config__EdgeDevConfig;

/* Fills *p (zeroed first) from c.  0; -E2BIG when some object did not fit
 * (the plan is still usable, p->error says what was left out). */
int appplan_from_config(const struct Org__Lfedge__Eve__Config__EdgeDevConfig *c,
			struct app_plan *p);

/* Checks len bytes received as a plan: magic, version, size, counts, NUL
 * termination of every string, enum ranges.  0 or -EBADMSG. */
int appplan_check(const void *buf, size_t len, char *err, size_t errsz);

const struct plan_content *appplan_find_content(const struct app_plan *p, const char *uuid);
const struct plan_volume *appplan_find_volume(const struct app_plan *p, const char *uuid);
const struct plan_datastore *appplan_find_datastore(const struct app_plan *p, const char *id);
const struct plan_io *appplan_find_io(const struct app_plan *p, const char *assigngrp);

#endif
