/*
 * iomodel: the board's I/O model and who holds which adapter.
 *
 * board/<board>/io.json describes the board's physical I/O as an
 * EdgeDevConfig in canonical proto JSON holding only `deviceIoList`
 * (PhysicalIO: ptype, phylabel, logicallabel, assigngrp, phyaddrs {pcilong,
 * ifname, serial, usbaddr}, usage) — the form EVE's controllers already
 * know.  iomodel_parse() reads it (dom0/pbjson, pure) into fixed arrays.
 *
 *   iomodel_check_config  every deviceIoList entry of a config must be on
 *                         the board: same type, group and addresses (one
 *                         error per bad entry).
 *   iomodel_assign        an app's Adapter list -> grants: every member of
 *                         a named assignment group goes to the app, or
 *                         nothing of the whole list does.  Refused with a
 *                         clear error: unknown group, type mismatch, a
 *                         member dom0 uses (usage MgmtOnly, or a management
 *                         port: MgmtAndApps with mgmt set, or an Eth/WLAN/
 *                         WWAN uplink, which a driver stub domain owns), or
 *                         a member already granted to another app.
 *   iomodel_release       an app's grants back.
 *
 * Grants carry what a hypervisor backend needs: the PCI BDF, the host
 * serial device, the USB bus:addr.
 *
 * Ownership: struct iomodel and every output buffer are caller-owned;
 * inputs are borrowed for the call.  Nothing is allocated that outlives a
 * call.
 */
#ifndef EV_IOMODEL_H
#define EV_IOMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "appplan.h"

#define IOMODEL_MAX PLAN_MAX_IO
#define IOMODEL_JSON_MAX (256 * 1024)
#define IOMODEL_ERR_MAX 512

/* the PhyIoType values we name (devmodelcommon.proto) */
enum iomodel_ptype {
	IOMODEL_PT_ETH = 1, IOMODEL_PT_USB = 2, IOMODEL_PT_COM = 3, IOMODEL_PT_WLAN = 5,
	IOMODEL_PT_WWAN = 6, IOMODEL_PT_OTHER = 255,
};
/* PhyIoMemberUsage */
enum iomodel_usage {
	IOMODEL_USAGE_NONE = 0, IOMODEL_USAGE_MGMT_AND_APPS = 1, IOMODEL_USAGE_SHARED = 2,
	IOMODEL_USAGE_DEDICATED = 3, IOMODEL_USAGE_DISABLED = 4, IOMODEL_USAGE_MGMT_ONLY = 5,
};

struct iomodel_entry {
	struct plan_io io;             /* as the board describes it (mgmt false) */
	char owner[PLAN_UUID];         /* app holding it, "" = free */
	char owner_name[PLAN_NAME];
};

struct iomodel {
	uint32_t n;
	struct iomodel_entry e[IOMODEL_MAX];
};

struct io_grant {
	uint32_t ptype;                /* PhyIoType */
	char phylabel[PLAN_LABEL];
	char assigngrp[PLAN_LABEL];
	char pcilong[32];              /* "0000:00:04.0", "" = not PCI */
	char serial[64];               /* "/dev/ttyS1", "" */
	char usbaddr[32];              /* "1:4", "" */
	char ifname[32];
};

/*
 * Parses an io.json (len bytes, at most IOMODEL_JSON_MAX).  0, or -EINVAL
 * / -E2BIG with err ("io.json: deviceIoList[2] 'COM1': serial 'ttyS1' is
 * not a /dev path").  Refused: other EdgeDevConfig fields, an empty or
 * duplicated phylabel, an entry without assigngrp, a malformed pcilong
 * (DDDD:BB:DD.F), serial (/dev/...) or usbaddr (bus:addr), a value too
 * long, more than IOMODEL_MAX entries.
 */
int iomodel_parse(const char *json, size_t len, struct iomodel *m, char *err, size_t errsz);

/* Reads and parses a file (board/<board>/io.json): as iomodel_parse. */
int iomodel_load(const char *path, struct iomodel *m, char *err, size_t errsz);

/*
 * Checks a config's deviceIoList (n entries) against the board: errs[i] =
 * "" or why entry i does not match.  0 when all match, else -ENODEV.
 */
int iomodel_check_config(const struct iomodel *m, const struct plan_io *cfg, size_t n,
			 char (*errs)[PLAN_ERR]);

/*
 * Grants the members of every group in a[] (n adapters) to owner_uuid
 * (owner_name for messages), into out (cap entries): the number of grants,
 * or -ENOENT (no such group), -EINVAL (type mismatch), -EPERM (dom0 or a
 * stub domain uses a member), -EBUSY (another app holds a member), -ENOSPC
 * (cap too small), with err; then nothing was granted.  Members already
 * granted to owner_uuid are granted again (idempotent).  cfg_io (n_cfg,
 * the config's deviceIoList) gives each member's usage and mgmt flag; a
 * member not listed there keeps the board's usage, mgmt false.
 */
int iomodel_assign(struct iomodel *m, const char *owner_uuid, const char *owner_name,
		   const struct plan_adapter *a, size_t n, const struct plan_io *cfg_io,
		   size_t n_cfg, struct io_grant *out, size_t cap, char *err, size_t errsz);

/* Releases everything owner_uuid holds: the number released. */
int iomodel_release(struct iomodel *m, const char *owner_uuid);

/* "Eth", "COM", "USB", ... or "type N" (into buf) for messages. */
const char *iomodel_ptype_name(uint32_t ptype, char buf[16]);

#endif
