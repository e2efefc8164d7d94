/* hv: backend choice and the checks both backends share.  See hv.h. */
#include "hv.h"
#include "hv_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VCPUS_MAX 128u
#define MEM_MIN_KIB 1024u              /* 1 MiB: QEMU's -m is in MiB */
#define MEM_MAX_KIB (1024u * 1024u * 1024u) /* 1 TiB */

int
hv_errf(char *err, const struct hv_domain_spec *s, int rc, const char *fmt, ...)
{
	char msg[HV_ERR];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (err) {
		if (s && memchr(s->name, 0, sizeof s->name) && s->name[0])
			snprintf(err, HV_ERR, "hv domain %s: %s", s->name, msg);
		else
			snprintf(err, HV_ERR, "hv: %s", msg);
	}
	return rc;
}

const struct hv_ops *
hv_choose(const char *name)
{
	char buf[256];
	ssize_t n;
	int fd;

	if (name) {
		if (strcmp(name, "xen") == 0)
			return &hv_ops_xen;
		if (strcmp(name, "kvm") == 0)
			return &hv_ops_kvm;
		if (strcmp(name, "auto") != 0)
			return NULL;
	}
	fd = open("/proc/xen/capabilities", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return &hv_ops_kvm;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		if (strstr(buf, "control_d"))
			return &hv_ops_xen;
	}
	return &hv_ops_kvm;
}

void
hv_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

static bool
terminated(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

static bool
has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

static int
check_path(const struct hv_domain_spec *s, const char *what, const char *p, size_t cap,
	   bool optional, char *err)
{
	if (!terminated(p, cap))
		return hv_errf(err, s, -E2BIG, "%s is not terminated within %zu bytes", what, cap);
	if (!p[0]) {
		if (optional)
			return 0;
		return hv_errf(err, s, -EINVAL, "%s is empty", what);
	}
	if (p[0] != '/')
		return hv_errf(err, s, -EINVAL, "%s '%s' is not an absolute path", what, p);
	if (has_ctl(p))
		return hv_errf(err, s, -EINVAL, "%s holds a control character (newline?)", what);
	if (strchr(p, ','))
		return hv_errf(err, s, -EINVAL,
			       "%s '%s' holds a comma (QEMU's option syntax would split it)", what, p);
	return 0;
}

int
hv_bdf_parse(const char *bdf, unsigned *dom, unsigned *bus, unsigned *dev, unsigned *fn)
{
	unsigned d = 0, b, v, f;
	int n = 0;
	size_t len = strlen(bdf);

	for (const char *c = bdf; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') ||
		      (*c >= 'A' && *c <= 'F') || *c == ':' || *c == '.'))
			return -EINVAL;
	if (len == 12) {
		if (sscanf(bdf, "%4x:%2x:%2x.%1x%n", &d, &b, &v, &f, &n) != 4 || n != 12 ||
		    bdf[4] != ':' || bdf[7] != ':' || bdf[10] != '.')
			return -EINVAL;
	} else if (len == 7) {
		if (sscanf(bdf, "%2x:%2x.%1x%n", &b, &v, &f, &n) != 3 || n != 7 ||
		    bdf[2] != ':' || bdf[5] != '.')
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (v > 0x1f || f > 7)
		return -EINVAL;
	*dom = d;
	*bus = b;
	*dev = v;
	*fn = f;
	return 0;
}

int
hv_pci_driver(const char *sysfs, const char *bdf, char *drv, size_t drvsz)
{
	char path[HV_PATH], link[HV_PATH];
	unsigned d, b, v, f;
	const char *name;
	struct stat st;
	ssize_t n;
	int len;

	if (drvsz)
		drv[0] = '\0';
	if (hv_bdf_parse(bdf, &d, &b, &v, &f))
		return -EINVAL;
	len = snprintf(path, sizeof(path), "%s/bus/pci/devices/%04x:%02x:%02x.%x", sysfs, d, b, v,
		       f);
	if (len < 0 || (size_t)len + sizeof("/driver") > sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st) != 0)
		return -errno;
	strcat(path, "/driver");
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	link[n] = '\0';
	name = strrchr(link, '/');
	name = name ? name + 1 : link;
	if (strlen(name) >= drvsz)
		return -ENAMETOOLONG;
	memcpy(drv, name, strlen(name) + 1);
	return 0;
}

static int
dec(const char **p, unsigned max, unsigned *v)
{
	unsigned x = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	while (*s >= '0' && *s <= '9') {
		x = x * 10 + (unsigned)(*s - '0');
		if (x > max)
			return -EINVAL;
		s++;
	}
	*p = s;
	*v = x;
	return 0;
}

int
hv_usb_parse(const char *s, unsigned *bus, unsigned *addr)
{
	if (dec(&s, 255, bus) || *s++ != ':' || dec(&s, 127, addr) || *s)
		return -EINVAL;
	if (*bus == 0 || *addr == 0)
		return -EINVAL;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hv_mac_parse(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
check_uuid(const char *u)
{
	if (strlen(u) != 36)
		return -EINVAL;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return -EINVAL;
		} else if (hexval(u[i]) < 0) {
			return -EINVAL;
		}
	}
	return 0;
}

int
hv_spec_check(const struct hv_domain_spec *s, bool need_run_dir, char *err)
{
	int rc;

	if (!terminated(s->name, sizeof s->name) || !s->name[0])
		return hv_errf(err, NULL, -EINVAL, "domain name is empty or not terminated");
	for (const char *c = s->name; *c; c++)
		if (!name_char(*c))
			return hv_errf(err, NULL, -EINVAL,
				       "domain name holds '%c' (allowed: letters, digits, - _ .)",
				       *c >= 0x20 && *c < 0x7f ? *c : '?');
	if (!terminated(s->uuid, sizeof s->uuid) || check_uuid(s->uuid))
		return hv_errf(err, s, -EINVAL, "uuid is not of the form 8-4-4-4-12 hex digits");
	if (s->virt > HV_VIRT_HVM)
		return hv_errf(err, s, -EINVAL, "virtualization mode %u is unknown", s->virt);
	if (s->vcpus < 1 || s->vcpus > VCPUS_MAX)
		return hv_errf(err, s, -EINVAL, "vcpus %u is outside 1..%u", s->vcpus, VCPUS_MAX);
	if (s->memory_kib < MEM_MIN_KIB || s->memory_kib > MEM_MAX_KIB)
		return hv_errf(err, s, -EINVAL, "memory %u KiB is outside %u..%u KiB", s->memory_kib,
			       MEM_MIN_KIB, MEM_MAX_KIB);
	if (s->maxmem_kib && (s->maxmem_kib < s->memory_kib || s->maxmem_kib > MEM_MAX_KIB))
		return hv_errf(err, s, -EINVAL, "maxmem %u KiB is below memory %u KiB or too large",
			       s->maxmem_kib, s->memory_kib);
	if ((rc = check_path(s, "kernel", s->kernel, sizeof s->kernel, true, err)) ||
	    (rc = check_path(s, "ramdisk", s->ramdisk, sizeof s->ramdisk, true, err)))
		return rc;
	if (s->ramdisk[0] && !s->kernel[0])
		return hv_errf(err, s, -EINVAL, "a ramdisk needs a kernel");
	if (!terminated(s->extraargs, sizeof s->extraargs) || has_ctl(s->extraargs))
		return hv_errf(err, s, -EINVAL,
			       "extraargs is not terminated or holds a control character");
	if ((rc = check_path(s, "run_dir", s->run_dir, sizeof s->run_dir, !need_run_dir, err)))
		return rc;
	/* sun_path is 108 bytes: RUN/qmp.sock and RUN/vnc.sock must fit */
	if (strlen(s->run_dir) > 90)
		return hv_errf(err, s, -E2BIG, "run_dir is longer than 90 bytes (unix sockets in it)");
	if (s->n_disks > HV_MAX_DISKS || s->n_nics > HV_MAX_NICS || s->n_pci > HV_MAX_PCI ||
	    s->n_serial > HV_MAX_SERIAL || s->n_usb > HV_MAX_USB)
		return hv_errf(err, s, -E2BIG,
			       "too many devices (disks %u/%d, nics %u/%d, pci %u/%d, serial %u/%d, usb %u/%d)",
			       s->n_disks, HV_MAX_DISKS, s->n_nics, HV_MAX_NICS, s->n_pci, HV_MAX_PCI,
			       s->n_serial, HV_MAX_SERIAL, s->n_usb, HV_MAX_USB);
	for (uint32_t i = 0; i < s->n_disks; i++) {
		char what[32];

		snprintf(what, sizeof what, "disk %u", i);
		if ((rc = check_path(s, what, s->disks[i].path, sizeof s->disks[i].path, false, err)))
			return rc;
		if (s->disks[i].format > HV_DISK_QCOW2)
			return hv_errf(err, s, -EINVAL, "disk %u: format %u is unknown", i,
				       s->disks[i].format);
	}
	for (uint32_t i = 0; i < s->n_nics; i++) {
		const struct hv_nic *n = &s->nics[i];
		uint8_t mac[6];

		if (!terminated(n->mac, sizeof n->mac) ||
		    (n->mac[0] && hv_mac_parse(n->mac, mac)))
			return hv_errf(err, s, -EINVAL, "nic %u: MAC is not xx:xx:xx:xx:xx:xx", i);
		if (n->mac[0] && (mac[0] & 1))
			return hv_errf(err, s, -EINVAL, "nic %u: MAC %s is multicast", i, n->mac);
		if (!terminated(n->bridge, sizeof n->bridge))
			return hv_errf(err, s, -EINVAL, "nic %u: bridge name is too long", i);
		for (const char *c = n->bridge; *c; c++)
			if (!name_char(*c))
				return hv_errf(err, s, -EINVAL,
					       "nic %u: bridge name holds a character other than letters, digits, - _ .",
					       i);
	}
	for (uint32_t i = 0; i < s->n_pci; i++) {
		unsigned d, b, v, f;

		if (!terminated(s->pci[i].bdf, sizeof s->pci[i].bdf) ||
		    hv_bdf_parse(s->pci[i].bdf, &d, &b, &v, &f))
			return hv_errf(err, s, -EINVAL,
				       "pci %u: address is not DDDD:BB:DD.F (hex)", i);
	}
	for (uint32_t i = 0; i < s->n_serial; i++) {
		char what[32];

		snprintf(what, sizeof what, "serial %u host device", i);
		if ((rc = check_path(s, what, s->serial[i].host_dev, sizeof s->serial[i].host_dev,
				     false, err)))
			return rc;
	}
	for (uint32_t i = 0; i < s->n_usb; i++) {
		unsigned b, a;

		if (!terminated(s->usb[i].hostaddr, sizeof s->usb[i].hostaddr) ||
		    hv_usb_parse(s->usb[i].hostaddr, &b, &a))
			return hv_errf(err, s, -EINVAL, "usb %u: host address is not BUS:ADDR", i);
	}
	if (s->vnc && s->vnc_display > 99)
		return hv_errf(err, s, -EINVAL, "VNC display %u is outside 0..99", s->vnc_display);
	return 0;
}
