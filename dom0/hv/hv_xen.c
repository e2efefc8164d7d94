/*
 * hv_xen: the libxl backend.  See hv.h.
 *
 * xen_config() turns a spec into a libxl_domain_config without a libxl
 * context (none can exist without Xen); hv_xen_config_json() renders it with
 * libxl's own generator (libxl_domain_config_gen_json on a yajl generator),
 * which is exactly what `xl -v create` logs.  Disks use QEMU's qdisk backend
 * (file-backed raw and qcow2 alike: no hotplug script runs for them).
 */
#include "hv.h"
#include "hv_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxl.h>
/* libxl_json.h speaks yajl 1 unless told (Debian ships yajl 2) */
#define HAVE_YAJL_V2 1
#define HAVE_YAJL_YAJL_VERSION_H 1
#include <libxl_json.h>
#include <libxl_utils.h>
#include <xentoollog.h>

#define XEN_PRIVCMD "/dev/xen/privcmd"
/* xenconsoled --log=guest --log-dir=XEN_LOG_DIR (started by eved's sysinit)
 * writes each guest's console to guest-<domain name>.log */
#define XEN_LOG_DIR "/var/log/xen"

static char *
dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s || !s[0])
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static void
vnc_set(libxl_vnc_info *v, const struct hv_domain_spec *s, bool *oom)
{
	libxl_defbool_set(&v->enable, true);
	v->listen = dup_or_null("127.0.0.1", oom);      /* loopback only, by construction */
	v->display = (int)s->vnc_display;
	libxl_defbool_set(&v->findunused, false);
}

static void
pci_set(libxl_device_pci *p, const char *bdf)
{
	unsigned d, b, v, f;

	hv_bdf_parse(bdf, &d, &b, &v, &f);   /* checked by hv_spec_check */
	libxl_device_pci_init(p);
	p->domain = (int)d;
	p->bus = (uint8_t)b;
	p->dev = (uint8_t)v;
	p->func = (uint8_t)f;
}

/* spec -> cfg (initialized here; the caller disposes of it on any return) */
static int
xen_config(const struct hv_domain_spec *s, libxl_domain_config *cfg, char *err)
{
	libxl_domain_create_info *c = &cfg->c_info;
	libxl_domain_build_info *b = &cfg->b_info;
	libxl_domain_type type;
	bool oom = false, hvm = s->virt == HV_VIRT_HVM;
	int rc;

	libxl_domain_config_init(cfg);
	if ((rc = hv_spec_check(s, false, err)))
		return rc;
	type = s->virt == HV_VIRT_PV ? LIBXL_DOMAIN_TYPE_PV :
	       s->virt == HV_VIRT_PVH ? LIBXL_DOMAIN_TYPE_PVH : LIBXL_DOMAIN_TYPE_HVM;
	if (!hvm && !s->kernel[0])
		return hv_errf(err, s, -EINVAL, "a %s guest needs a kernel (only HVM boots a disk)",
			       s->virt == HV_VIRT_PV ? "PV" : "PVH");
	if (!hvm && s->n_serial)
		return hv_errf(err, s, -EINVAL,
			       "COM passthrough needs an HVM guest (libxl has no host serial for PV/PVH)");
	if (!hvm && s->uefi)
		return hv_errf(err, s, -EINVAL, "UEFI needs an HVM guest");

	c->type = type;
	c->name = dup_or_null(s->name, &oom);
	if (libxl_uuid_from_string(&c->uuid, s->uuid))
		return hv_errf(err, s, -EINVAL, "uuid is not valid for libxl");
	if (s->n_pci)
		c->passthrough = LIBXL_PASSTHROUGH_ENABLED;

	libxl_domain_build_info_init_type(b, type);
	b->max_vcpus = (int)s->vcpus;
	/* the bitmap by hand: libxl_cpu_bitmap_alloc wants a context */
	b->avail_vcpus.size = (s->vcpus + 7) / 8;
	b->avail_vcpus.map = calloc(b->avail_vcpus.size, 1);
	if (!b->avail_vcpus.map)
		return hv_errf(err, s, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < s->vcpus; i++)
		libxl_bitmap_set(&b->avail_vcpus, (int)i);
	b->max_memkb = s->maxmem_kib ? s->maxmem_kib : s->memory_kib;
	b->target_memkb = s->memory_kib;
	b->kernel = dup_or_null(s->kernel, &oom);
	b->ramdisk = dup_or_null(s->ramdisk, &oom);
	b->cmdline = dup_or_null(s->extraargs, &oom);
	/* QEMU's emulated SVM (the lab) reports RDTSCP wrongly: native TSC */
	if (s->virt != HV_VIRT_PV)
		b->tsc_mode = LIBXL_TSC_MODE_NATIVE;
	if (hvm) {
		b->u.hvm.bios = s->uefi ? LIBXL_BIOS_TYPE_OVMF : LIBXL_BIOS_TYPE_SEABIOS;
		if (!s->kernel[0])
			b->u.hvm.boot = dup_or_null(s->n_disks && s->disks[0].cdrom ? "d" : "c", &oom);
		if (s->vnc) {
			vnc_set(&b->u.hvm.vnc, s, &oom);
			b->u.hvm.vga.kind = LIBXL_VGA_INTERFACE_TYPE_STD;
		} else {
			libxl_defbool_set(&b->u.hvm.vnc.enable, false);
			b->u.hvm.vga.kind = LIBXL_VGA_INTERFACE_TYPE_NONE;
		}
		libxl_defbool_set(&b->u.hvm.sdl.enable, false);
		if (s->n_serial) {
			b->u.hvm.serial_list = calloc(s->n_serial + 1, sizeof(char *));
			if (!b->u.hvm.serial_list)
				return hv_errf(err, s, -ENOMEM, "out of memory");
			for (uint32_t i = 0; i < s->n_serial; i++)
				b->u.hvm.serial_list[i] = dup_or_null(s->serial[i].host_dev, &oom);
		}
	}

	cfg->on_poweroff = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
	cfg->on_reboot = LIBXL_ACTION_ON_SHUTDOWN_RESTART;
	cfg->on_crash = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
	cfg->on_watchdog = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
	cfg->on_soft_reset = LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET;

	if (s->n_disks) {
		cfg->disks = calloc(s->n_disks, sizeof *cfg->disks);
		if (!cfg->disks)
			return hv_errf(err, s, -ENOMEM, "out of memory");
		cfg->num_disks = (int)s->n_disks;
	}
	/* HVM CD-ROMs are emulated IDE secondaries, hdc and hdd; the other
	 * disks are xvda, xvdb, xvde, ... (xvdc/xvdd would alias hdc/hdd) */
	uint32_t ncd = 0, next = 0;

	for (uint32_t i = 0; hvm && i < s->n_disks; i++)
		ncd += s->disks[i].cdrom;
	if (ncd > 2)
		return hv_errf(err, s, -E2BIG, "an HVM guest has at most 2 CD-ROMs (hdc, hdd), not %u",
			       ncd);
	ncd = 0;
	for (uint32_t i = 0; i < s->n_disks; i++) {
		libxl_device_disk *d = &cfg->disks[i];
		const struct hv_disk *sd = &s->disks[i];
		char vdev[8];

		libxl_device_disk_init(d);
		if (hvm && sd->cdrom) {
			snprintf(vdev, sizeof vdev, "hd%c", 'c' + (int)ncd++);
		} else {
			if (hvm && (next == 2 || next == 3))
				next = 4;
			snprintf(vdev, sizeof vdev, "xvd%c", 'a' + (int)next++);
		}
		d->pdev_path = dup_or_null(sd->path, &oom);
		d->vdev = dup_or_null(vdev, &oom);
		d->backend = LIBXL_DISK_BACKEND_QDISK;
		d->format = sd->format == HV_DISK_QCOW2 ? LIBXL_DISK_FORMAT_QCOW2 :
							    LIBXL_DISK_FORMAT_RAW;
		d->readwrite = !(sd->readonly || sd->cdrom);
		d->is_cdrom = sd->cdrom;
		d->removable = sd->cdrom;
	}
	if (s->n_nics) {
		cfg->nics = calloc(s->n_nics, sizeof *cfg->nics);
		if (!cfg->nics)
			return hv_errf(err, s, -ENOMEM, "out of memory");
		cfg->num_nics = (int)s->n_nics;
	}
	for (uint32_t i = 0; i < s->n_nics; i++) {
		libxl_device_nic *n = &cfg->nics[i];

		libxl_device_nic_init(n);
		n->devid = (libxl_devid)i;
		if (s->nics[i].mac[0])
			hv_mac_parse(s->nics[i].mac, n->mac);
		n->bridge = dup_or_null(s->nics[i].bridge, &oom);
	}
	if (s->vnc && !hvm) {
		cfg->vfbs = calloc(1, sizeof *cfg->vfbs);
		cfg->vkbs = calloc(1, sizeof *cfg->vkbs);
		if (!cfg->vfbs || !cfg->vkbs)
			return hv_errf(err, s, -ENOMEM, "out of memory");
		cfg->num_vfbs = 1;
		cfg->num_vkbs = 1;
		libxl_device_vfb_init(&cfg->vfbs[0]);
		libxl_device_vkb_init(&cfg->vkbs[0]);
		vnc_set(&cfg->vfbs[0].vnc, s, &oom);
		libxl_defbool_set(&cfg->vfbs[0].sdl.enable, false);
	}
	if (s->n_pci) {
		cfg->pcidevs = calloc(s->n_pci, sizeof *cfg->pcidevs);
		if (!cfg->pcidevs)
			return hv_errf(err, s, -ENOMEM, "out of memory");
		cfg->num_pcidevs = (int)s->n_pci;
	}
	for (uint32_t i = 0; i < s->n_pci; i++)
		pci_set(&cfg->pcidevs[i], s->pci[i].bdf);
	if (s->n_usb) {
		cfg->usbctrls = calloc(1, sizeof *cfg->usbctrls);
		cfg->usbdevs = calloc(s->n_usb, sizeof *cfg->usbdevs);
		if (!cfg->usbctrls || !cfg->usbdevs)
			return hv_errf(err, s, -ENOMEM, "out of memory");
		cfg->num_usbctrls = 1;
		libxl_device_usbctrl_init(&cfg->usbctrls[0]);
		cfg->usbctrls[0].type = LIBXL_USBCTRL_TYPE_AUTO;
		cfg->usbctrls[0].devid = 0;
		cfg->usbctrls[0].version = 2;
		cfg->usbctrls[0].ports = HV_MAX_USB;
		cfg->num_usbdevs = (int)s->n_usb;
		for (uint32_t i = 0; i < s->n_usb; i++) {
			libxl_device_usbdev *u = &cfg->usbdevs[i];
			unsigned bus, addr;

			hv_usb_parse(s->usb[i].hostaddr, &bus, &addr);
			libxl_device_usbdev_init_type(u, LIBXL_USBDEV_TYPE_HOSTDEV);
			u->ctrl = 0;
			u->port = (int)i + 1;
			u->u.hostdev.hostbus = (uint8_t)bus;
			u->u.hostdev.hostaddr = (uint8_t)addr;
		}
	}
	if (oom)
		return hv_errf(err, s, -ENOMEM, "out of memory");
	return 0;
}

int
hv_xen_config_json(const struct hv_domain_spec *s, char **json, char *err)
{
	libxl_domain_config cfg;
	yajl_gen g = NULL;
	const unsigned char *buf;
	size_t len;
	int rc;

	*json = NULL;
	if ((rc = xen_config(s, &cfg, err)))
		goto out;
	g = yajl_gen_alloc(NULL);
	if (!g) {
		rc = hv_errf(err, s, -ENOMEM, "out of memory for the JSON generator");
		goto out;
	}
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	if (libxl_domain_config_gen_json(g, &cfg) != yajl_gen_status_ok ||
	    yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		rc = hv_errf(err, s, -EIO, "libxl could not render the configuration as JSON");
		goto out;
	}
	*json = strndup((const char *)buf, len);
	if (!*json)
		rc = hv_errf(err, s, -ENOMEM, "out of memory");
out:
	if (g)
		yajl_gen_free(g);
	libxl_domain_config_dispose(&cfg);
	return rc;
}

/* ------------------------------------------------------------ runtime */

struct hv {
	libxl_ctx *ctx;
	xentoollog_logger_stdiostream *log;
};

static int
xen_open(struct hv **out, const struct hv_opts *o, char *err)
{
	struct hv *h;
	int rc;

	(void)o;
	*out = NULL;
	if (access(XEN_PRIVCMD, F_OK) != 0)
		return hv_errf(err, NULL, -ENODEV, "xen: no Xen: %s missing", XEN_PRIVCMD);
	h = calloc(1, sizeof *h);
	if (!h)
		return hv_errf(err, NULL, -ENOMEM, "xen: out of memory");
	h->log = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
	if (!h->log) {
		rc = hv_errf(err, NULL, -ENOMEM, "xen: cannot create the libxl logger");
		goto out;
	}
	if (libxl_ctx_alloc(&h->ctx, LIBXL_VERSION, 0, (xentoollog_logger *)h->log)) {
		rc = hv_errf(err, NULL, -EIO, "xen: libxl_ctx_alloc failed (is xenstored running?)");
		goto out;
	}
	*out = h;
	h = NULL;
	rc = 0;
out:
	if (h) {
		if (h->log)
			xtl_logger_destroy((xentoollog_logger *)h->log);
		free(h);
	}
	return rc;
}

static void
xen_close(struct hv *h)
{
	if (!h)
		return;
	libxl_ctx_free(h->ctx);
	xtl_logger_destroy((xentoollog_logger *)h->log);
	free(h);
}

/* the domid of s's domain: 0, -ENOENT, -errno */
static int
xen_find(struct hv *h, const struct hv_domain_spec *s, libxl_dominfo *out)
{
	libxl_uuid u;
	libxl_dominfo *list;
	int n = 0, rc = -ENOENT;

	if (libxl_uuid_from_string(&u, s->uuid))
		return -EINVAL;
	list = libxl_list_domain(h->ctx, &n);
	if (!list)
		return -EIO;
	for (int i = 0; i < n; i++) {
		if (libxl_uuid_compare(&list[i].uuid, &u) == 0) {
			libxl_dominfo_init(out);
			libxl_dominfo_copy(h->ctx, out, &list[i]);
			rc = 0;
			break;
		}
	}
	libxl_dominfo_list_free(list, n);
	return rc;
}

static void
fill_info(struct hv *h, const libxl_dominfo *d, struct hv_domain_info *info)
{
	memset(info, 0, sizeof *info);
	info->domid = (int)d->domid;
	if (d->shutdown || d->dying)
		info->state = d->shutdown_reason == LIBXL_SHUTDOWN_REASON_CRASH ? HV_CRASHED :
										  HV_SHUTDOWN;
	else if (d->paused)
		info->state = HV_PAUSED;
	else
		info->state = HV_RUNNING;
	info->cpu_ns = d->cpu_time;
	info->mem_used_mib = (uint32_t)(d->current_memkb / 1024);
	info->boot_time = libxl_vm_get_start_time(h->ctx, d->domid);
}

static int
xen_info(struct hv *h, const struct hv_domain_spec *s, struct hv_domain_info *info, char *err)
{
	libxl_dominfo d;
	char *name;
	int rc;

	memset(info, 0, sizeof *info);
	info->domid = -1;
	if ((rc = hv_spec_check(s, false, err)))
		return rc;
	rc = xen_find(h, s, &d);
	if (rc == -ENOENT) {
		info->state = HV_ABSENT;
		return 0;
	}
	if (rc)
		return hv_errf(err, s, rc, "libxl_list_domain failed");
	fill_info(h, &d, info);
	/* xenconsoled names the file after the running domain (which, for an
	 * adopted one, may predate this spec) */
	name = libxl_domid_to_name(h->ctx, d.domid);
	snprintf(info->console_log, sizeof info->console_log, XEN_LOG_DIR "/guest-%s.log",
		 name ? name : s->name);
	free(name);
	if (s->vnc)
		snprintf(info->vnc, sizeof info->vnc, "127.0.0.1:%u", 5900 + s->vnc_display);
	libxl_dominfo_dispose(&d);
	return 0;
}

static int
xen_adopt(struct hv *h, const struct hv_domain_spec *s, struct hv_domain_info *info, char *err)
{
	int rc = xen_info(h, s, info, err);

	if (rc)
		return rc;
	if (info->state == HV_ABSENT)
		return hv_errf(err, s, -ENOENT, "no Xen domain has this uuid");
	return 0;
}

static int
xen_create(struct hv *h, const struct hv_domain_spec *s, char *err)
{
	libxl_domain_config cfg;
	libxl_device_pci *pcis = NULL;
	uint32_t domid = 0;
	int npci = 0, rc;
	bool created = false;

	if ((rc = xen_config(s, &cfg, err)))
		goto out;
	/* PCI devices are attached after creation, to a paused domain: under
	 * OVMF a PV guest created with pci=[...] gets e820_host and too
	 * little low memory (see the lab README) */
	pcis = cfg.pcidevs;
	npci = cfg.num_pcidevs;
	cfg.pcidevs = NULL;
	cfg.num_pcidevs = 0;
	for (int i = 0; i < npci; i++) {
		char drv[64];

		/* a function an earlier app had stays with xen-pciback (below) */
		if (hv_pci_driver("/sys", s->pci[i].bdf, drv, sizeof(drv)) == 0 &&
		    strcmp(drv, "pciback") == 0)
			continue;
		if (libxl_device_pci_assignable_add(h->ctx, &pcis[i], 1)) {
			rc = hv_errf(err, s, -EBUSY, "PCI %s: libxl pci assignable add failed",
				     s->pci[i].bdf);
			goto out;
		}
		rc = hv_pci_driver("/sys", s->pci[i].bdf, drv, sizeof(drv));
		if (rc || strcmp(drv, "pciback") != 0) {
			rc = hv_errf(err, s, -EIO, "PCI %s: not bound to xen-pciback after assignable "
				     "add (driver '%s'%s)", s->pci[i].bdf, rc ? "?" : drv,
				     rc ? ", no such function in sysfs" : "");
			goto out;
		}
	}
	if (libxl_domain_create_new(h->ctx, &cfg, &domid, NULL, NULL)) {
		rc = hv_errf(err, s, -EIO, "libxl_domain_create_new failed");
		goto out;
	}
	created = true;
	for (int i = 0; i < npci; i++) {
		if (libxl_device_pci_add(h->ctx, domid, &pcis[i], NULL)) {
			rc = hv_errf(err, s, -EIO, "PCI %s: attach to domain %u failed",
				     s->pci[i].bdf, domid);
			goto out;
		}
	}
	if (libxl_domain_unpause(h->ctx, domid, NULL)) {
		rc = hv_errf(err, s, -EIO, "unpausing domain %u failed", domid);
		goto out;
	}
	rc = 0;
out:
	/* the functions stay assignable (with xen-pciback, quarantined): a
	 * dedicated adapter never goes back to a dom0 driver */
	if (rc && created)
		libxl_domain_destroy(h->ctx, domid, NULL);
	cfg.pcidevs = pcis;
	cfg.num_pcidevs = npci;
	libxl_domain_config_dispose(&cfg);
	return rc;
}

static int
xen_shutdown(struct hv *h, const struct hv_domain_spec *s, char *err)
{
	libxl_dominfo d;
	int rc;

	if ((rc = hv_spec_check(s, false, err)))
		return rc;
	if ((rc = xen_find(h, s, &d)))
		return hv_errf(err, s, rc, "no Xen domain has this uuid");
	rc = libxl_domain_shutdown(h->ctx, d.domid, NULL);
	libxl_dominfo_dispose(&d);
	if (rc)
		return hv_errf(err, s, -EIO, "libxl_domain_shutdown failed (no PV drivers?)");
	return 0;
}

static int
xen_destroy(struct hv *h, const struct hv_domain_spec *s, char *err)
{
	libxl_dominfo d;
	int rc;

	if ((rc = hv_spec_check(s, false, err)))
		return rc;
	rc = xen_find(h, s, &d);
	if (rc == 0) {
		rc = libxl_domain_destroy(h->ctx, d.domid, NULL);
		libxl_dominfo_dispose(&d);
		if (rc)
			return hv_errf(err, s, -EIO, "libxl_domain_destroy failed");
	} else if (rc != -ENOENT) {
		return hv_errf(err, s, rc, "libxl_list_domain failed");
	}
	/* libxl took the PCI functions back from the domain: they stay with
	 * xen-pciback, assignable to the next app (see xen_create) */
	return 0;
}

const struct hv_ops hv_ops_xen = {
	.name = "xen",
	.slow_create = true,
	.open = xen_open,
	.create = xen_create,
	.adopt = xen_adopt,
	.info = xen_info,
	.shutdown = xen_shutdown,
	.destroy = xen_destroy,
	.close = xen_close,
};
