/* iomodel: the board's I/O model and adapter assignment.  See iomodel.h. */
#include "iomodel.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "hv.h"
#include "pbjson.h"

#include "config/devconfig.pb-c.h"

typedef Org__Lfedge__Eve__Config__EdgeDevConfig EdgeDevConfig;
typedef Org__Lfedge__Eve__Config__PhysicalIO PhysicalIO;

const char *
iomodel_ptype_name(uint32_t ptype, char buf[16])
{
	switch (ptype) {
	case IOMODEL_PT_ETH: return "Eth";
	case IOMODEL_PT_USB: return "USB";
	case IOMODEL_PT_COM: return "COM";
	case 4: return "Audio";
	case IOMODEL_PT_WLAN: return "WLAN";
	case IOMODEL_PT_WWAN: return "WWAN";
	case 7: return "HDMI";
	case 9: return "NVMe";
	case 10: return "SATA";
	case 11: return "EthPF";
	case 12: return "EthVF";
	case 13: return "CAN";
	case 14: return "VCAN";
	case 15: return "LCAN";
	case IOMODEL_PT_OTHER: return "Other";
	default:
		snprintf(buf, 16, "type %u", ptype);
		return buf;
	}
}

/* DDDD:BB:DD.F (the long form only), normalised to lower case in place. */
static bool
pci_ok(char *s)
{
	unsigned d, b, v, f;

	if (strlen(s) != 12 || hv_bdf_parse(s, &d, &b, &v, &f) < 0)
		return false;
	for (char *c = s; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return true;
}

/* "bus:addr", decimal, each 1..3 digits */
static bool
usb_ok(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t a, b;

	if (!colon)
		return false;
	a = (size_t)(colon - s);
	b = strlen(colon + 1);
	if (a < 1 || a > 3 || b < 1 || b > 3)
		return false;
	for (const char *p = s; *p; p++)
		if (p != colon && !isdigit((unsigned char)*p))
			return false;
	return true;
}

static bool
serial_ok(const char *s)
{
	return strncmp(s, "/dev/", 5) == 0 && s[5] && !strstr(s, "/../") && !strstr(s, "//");
}

static int
copy(char *dst, size_t cap, const char *src)
{
	size_t l = src ? strlen(src) : 0;

	if (l >= cap)
		return -E2BIG;
	memcpy(dst, src ? src : "", l + 1);
	return 0;
}

static int
entry_from(const PhysicalIO *p, struct plan_io *io, char *why, size_t whysz)
{
	char tn[16];

	memset(io, 0, sizeof(*io));
	io->ptype = (uint32_t)p->ptype;
	io->usage = (uint32_t)p->usage;
	if (copy(io->phylabel, sizeof(io->phylabel), p->phylabel) < 0 ||
	    copy(io->logicallabel, sizeof(io->logicallabel), p->logicallabel) < 0 ||
	    copy(io->assigngrp, sizeof(io->assigngrp), p->assigngrp) < 0) {
		snprintf(why, whysz, "a label is longer than %d bytes", PLAN_LABEL - 1);
		return -E2BIG;
	}
	if (!io->phylabel[0]) {
		snprintf(why, whysz, "no phylabel");
		return -EINVAL;
	}
	if (!io->assigngrp[0]) {
		snprintf(why, whysz, "no assigngrp");
		return -EINVAL;
	}
	if (io->ptype == 0 || io->usage > IOMODEL_USAGE_MGMT_ONLY ||
	    !strncmp(iomodel_ptype_name(io->ptype, tn), "type", 4)) {
		snprintf(why, whysz, "ptype %u / usage %u is not a known value", io->ptype,
			 io->usage);
		return -EINVAL;
	}
	for (size_t i = 0; i < p->n_phyaddrs; i++) {
		const char *k = p->phyaddrs[i]->key, *v = p->phyaddrs[i]->value;
		char *dst = NULL;
		size_t cap = 0;

		if (!strcmp(k, "pcilong")) {
			dst = io->pcilong;
			cap = sizeof(io->pcilong);
		} else if (!strcmp(k, "ifname")) {
			dst = io->ifname;
			cap = sizeof(io->ifname);
		} else if (!strcmp(k, "serial")) {
			dst = io->serial;
			cap = sizeof(io->serial);
		} else if (!strcmp(k, "usbaddr")) {
			dst = io->usbaddr;
			cap = sizeof(io->usbaddr);
		} else {
			continue;  /* irq, ioports: not ours to check */
		}
		if (copy(dst, cap, v) < 0) {
			snprintf(why, whysz, "phyaddrs %.16s is longer than %zu bytes", k, cap - 1);
			return -E2BIG;
		}
	}
	if (io->pcilong[0] && !pci_ok(io->pcilong)) {
		snprintf(why, whysz, "pcilong '%.31s' is not DDDD:BB:DD.F", io->pcilong);
		return -EINVAL;
	}
	if (io->serial[0] && !serial_ok(io->serial)) {
		snprintf(why, whysz, "serial '%.63s' is not a /dev path", io->serial);
		return -EINVAL;
	}
	if (io->usbaddr[0] && !usb_ok(io->usbaddr)) {
		snprintf(why, whysz, "usbaddr '%.31s' is not bus:addr", io->usbaddr);
		return -EINVAL;
	}
	for (const char *c = io->ifname; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-_.", *c)) {
			snprintf(why, whysz, "ifname '%.31s' is not an interface name", io->ifname);
			return -EINVAL;
		}
	return 0;
}

int
iomodel_parse(const char *json, size_t len, struct iomodel *m, char *err, size_t errsz)
{
	ProtobufCMessage *msg = NULL;
	EdgeDevConfig *c;
	char e[PBJSON_ERR_LEN], why[200];
	size_t n;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len > IOMODEL_JSON_MAX) {
		snprintf(err, errsz, "io.json: larger than %d bytes", IOMODEL_JSON_MAX);
		return -E2BIG;
	}
	rc = pbjson_to_message(&org__lfedge__eve__config__edge_dev_config__descriptor, json, len,
			       NULL, &msg, e);
	if (rc < 0) {
		snprintf(err, errsz, "io.json: %s", e);
		return rc == -E2BIG ? -E2BIG : -EINVAL;
	}
	c = (EdgeDevConfig *)msg;
	n = c->n_deviceiolist;
	c->n_deviceiolist = 0;
	if (protobuf_c_message_get_packed_size(msg) != 0) {
		c->n_deviceiolist = n;
		snprintf(err, errsz, "io.json: only deviceIoList belongs in a board's I/O model");
		rc = -EINVAL;
		goto out;
	}
	c->n_deviceiolist = n;
	if (n > IOMODEL_MAX) {
		snprintf(err, errsz, "io.json: %zu deviceIoList entries, at most %d", n,
			 IOMODEL_MAX);
		rc = -E2BIG;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct plan_io *io = &m->e[i].io;

		rc = entry_from(c->deviceiolist[i], io, why, sizeof(why));
		if (rc == 0)
			for (size_t j = 0; j < i; j++)
				if (!strcmp(m->e[j].io.phylabel, io->phylabel)) {
					snprintf(why, sizeof(why), "phylabel named twice");
					rc = -EINVAL;
				}
		if (rc < 0) {
			snprintf(err, errsz, "io.json: deviceIoList[%zu] '%.63s': %s", i,
				 c->deviceiolist[i]->phylabel, why);
			goto out;
		}
		m->n++;
	}
	rc = 0;
out:
	protobuf_c_message_free_unpacked(msg, NULL);
	if (rc < 0)
		memset(m, 0, sizeof(*m));
	return rc;
}

int
iomodel_load(const char *path, struct iomodel *m, char *err, size_t errsz)
{
	char *data = NULL, e[IOMODEL_ERR_MAX];
	size_t len;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = atomicfile_read(path, IOMODEL_JSON_MAX, &data, &len, err, errsz);
	if (rc < 0)
		return rc;
	rc = iomodel_parse(data, len, m, e, sizeof(e));
	if (rc < 0)
		snprintf(err, errsz, "%s: %s", path, e + (strncmp(e, "io.json: ", 9) ? 0 : 9));
	free(data);
	return rc;
}

static const struct iomodel_entry *
find_label(const struct iomodel *m, const char *phylabel)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (!strcmp(m->e[i].io.phylabel, phylabel))
			return &m->e[i];
	return NULL;
}

int
iomodel_check_config(const struct iomodel *m, const struct plan_io *cfg, size_t n,
		     char (*errs)[PLAN_ERR])
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		const struct plan_io *c = &cfg[i];
		const struct iomodel_entry *b = find_label(m, c->phylabel);
		char t1[16], t2[16];
		const struct { const char *name, *cv, *bv; } addr[] = {
			{ "pcilong", c->pcilong, b ? b->io.pcilong : "" },
			{ "ifname", c->ifname, b ? b->io.ifname : "" },
			{ "serial", c->serial, b ? b->io.serial : "" },
			{ "usbaddr", c->usbaddr, b ? b->io.usbaddr : "" },
		};

		errs[i][0] = '\0';
		if (!b) {
			snprintf(errs[i], PLAN_ERR, "deviceIoList '%.63s': no such I/O on this board",
				 c->phylabel);
			bad++;
			continue;
		}
		if (c->ptype != b->io.ptype) {
			snprintf(errs[i], PLAN_ERR, "deviceIoList '%.63s': type %s, but %s on this "
				 "board", c->phylabel, iomodel_ptype_name(c->ptype, t1),
				 iomodel_ptype_name(b->io.ptype, t2));
			bad++;
			continue;
		}
		if (strcmp(c->assigngrp, b->io.assigngrp)) {
			snprintf(errs[i], PLAN_ERR, "deviceIoList '%.63s': assigngrp '%.63s', but "
				 "'%.63s' on this board", c->phylabel, c->assigngrp,
				 b->io.assigngrp);
			bad++;
			continue;
		}
		for (size_t k = 0; k < sizeof(addr) / sizeof(addr[0]); k++)
			if (addr[k].cv[0] && strcasecmp(addr[k].cv, addr[k].bv)) {
				snprintf(errs[i], PLAN_ERR, "deviceIoList '%.63s': %s '%.63s', but "
					 "'%.63s' on this board", c->phylabel, addr[k].name,
					 addr[k].cv, addr[k].bv[0] ? addr[k].bv : "none");
				bad++;
				break;
			}
	}
	return bad ? -ENODEV : 0;
}

/* Why dom0 or a stub domain keeps this member: NULL when an app may have it. */
static const char *
dom0_use(const struct iomodel_entry *e, const struct plan_io *cfg_io, size_t n_cfg)
{
	uint32_t usage = e->io.usage;
	bool mgmt = false;

	for (size_t i = 0; i < n_cfg; i++)
		if (!strcmp(cfg_io[i].phylabel, e->io.phylabel)) {
			usage = cfg_io[i].usage;
			mgmt = cfg_io[i].mgmt;
			break;
		}
	if (usage == IOMODEL_USAGE_MGMT_ONLY)
		return "is reserved for management (usage MgmtOnly)";
	if (!mgmt)
		return NULL;
	if (e->io.ptype == IOMODEL_PT_ETH || e->io.ptype == IOMODEL_PT_WLAN ||
	    e->io.ptype == IOMODEL_PT_WWAN)
		return "is a management uplink, held by a driver stub domain";
	return "is used by dom0 for management";
}

int
iomodel_assign(struct iomodel *m, const char *owner_uuid, const char *owner_name,
	       const struct plan_adapter *a, size_t n, const struct plan_io *cfg_io,
	       size_t n_cfg, struct io_grant *out, size_t cap, char *err, size_t errsz)
{
	bool take[IOMODEL_MAX] = { false };
	size_t ng = 0;
	char t1[16];

	/* check everything first: all or nothing */
	for (size_t k = 0; k < n; k++) {
		bool any = false, typed = false;

		for (uint32_t i = 0; i < m->n; i++) {
			const struct iomodel_entry *e = &m->e[i];
			const char *why;

			if (strcmp(e->io.assigngrp, a[k].name))
				continue;
			any = true;
			typed |= e->io.ptype == a[k].type;
			why = dom0_use(e, cfg_io, n_cfg);
			if (why) {
				snprintf(err, errsz, "adapter %.63s: '%.63s' %s", a[k].name,
					 e->io.phylabel, why);
				return -EPERM;
			}
			if (e->owner[0] && strcmp(e->owner, owner_uuid)) {
				snprintf(err, errsz, "adapter %.63s is assigned to app %s (%.127s)",
					 a[k].name, e->owner, e->owner_name);
				return -EBUSY;
			}
			take[i] = true;
		}
		if (!any) {
			snprintf(err, errsz, "adapter %.63s: no such assignment group on this board",
				 a[k].name);
			return -ENOENT;
		}
		if (!typed) {
			snprintf(err, errsz, "adapter %.63s: no member of type %s", a[k].name,
				 iomodel_ptype_name(a[k].type, t1));
			return -EINVAL;
		}
	}
	for (uint32_t i = 0; i < m->n; i++)
		ng += take[i];
	if (ng > cap) {
		snprintf(err, errsz, "adapters: %zu devices, room for %zu", ng, cap);
		return -ENOSPC;
	}
	ng = 0;
	for (uint32_t i = 0; i < m->n; i++) {
		struct iomodel_entry *e = &m->e[i];
		struct io_grant *g;

		if (!take[i])
			continue;
		snprintf(e->owner, sizeof(e->owner), "%s", owner_uuid);
		snprintf(e->owner_name, sizeof(e->owner_name), "%s", owner_name ? owner_name : "");
		g = &out[ng++];
		memset(g, 0, sizeof(*g));
		g->ptype = e->io.ptype;
		memcpy(g->phylabel, e->io.phylabel, sizeof(g->phylabel));
		memcpy(g->assigngrp, e->io.assigngrp, sizeof(g->assigngrp));
		memcpy(g->pcilong, e->io.pcilong, sizeof(g->pcilong));
		memcpy(g->serial, e->io.serial, sizeof(g->serial));
		memcpy(g->usbaddr, e->io.usbaddr, sizeof(g->usbaddr));
		memcpy(g->ifname, e->io.ifname, sizeof(g->ifname));
	}
	return (int)ng;
}

int
iomodel_release(struct iomodel *m, const char *owner_uuid)
{
	int n = 0;

	for (uint32_t i = 0; i < m->n; i++)
		if (m->e[i].owner[0] && !strcmp(m->e[i].owner, owner_uuid)) {
			memset(m->e[i].owner, 0, sizeof(m->e[i].owner));
			memset(m->e[i].owner_name, 0, sizeof(m->e[i].owner_name));
			n++;
		}
	return n;
}
