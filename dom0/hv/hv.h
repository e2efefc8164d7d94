/*
 * hv: the hypervisor backends behind one interface, chosen at start
 * (eved --hv xen|kvm|auto).  The apps role is the only user; it holds the
 * backend (the libxl context, or the QEMU processes) and nothing
 * network-facing (DESIGN.md §3).
 *
 *   hv_xen.c  libxl: PV, PVH, HVM; disks, vifs, VNC, PCI passthrough
 *             (pci assignable add, then attach), COM ports, USB
 *   hv_kvm.c  QEMU (-enable-kvm when /dev/kvm exists, else TCG): the same
 *             features; vfio-pci for PCI, a host serial device for COM,
 *             usb-host for USB, a QMP socket for state and clean shutdown.
 *             QEMU is daemonized, so a guest outlives eved and is re-adopted
 *             (same PID) by the next apps role: hv_adopt().
 *
 * A domain is named by its app instance uuid.  Everything a backend keeps
 * about a running domain lives in spec->run_dir (QMP socket, pid file,
 * console log, VNC socket), so a new apps process can find it again.
 *
 * Every VNC server listens on loopback or a unix socket in run_dir, never on
 * an external address (DESIGN.md §6).
 *
 * Pure parts, unit-tested with golden outputs:
 *   hv_kvm_argv    spec -> QEMU command line
 *   hv_xen_config  spec -> libxl_domain_config (hv_xen_config_json: as JSON)
 *
 * Errors: int rc 0 or -errno, with a sentence in err (HV_ERR bytes) naming
 * the domain and the reason.  Ownership: specs are the caller's; struct hv
 * is the backend's until hv_close().
 */
#ifndef EV_HV_H
#define EV_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_ERR 256
#define HV_PATH 512            /* every path in a spec */
#define HV_MAX_DISKS 8
#define HV_MAX_NICS 4
#define HV_MAX_PCI 8
#define HV_MAX_SERIAL 4
#define HV_MAX_USB 8

enum hv_virt { HV_VIRT_PV, HV_VIRT_PVH, HV_VIRT_HVM };
enum hv_disk_format { HV_DISK_RAW, HV_DISK_QCOW2 };

struct hv_disk {
	char path[HV_PATH];
	uint32_t format;               /* enum hv_disk_format */
	bool readonly;
	bool cdrom;
};

struct hv_nic {
	char mac[18];                  /* "02:..." */
	char bridge[16];               /* host bridge to attach to; "" = no backend (isolated) */
};

struct hv_pci { char bdf[16]; };           /* "0000:03:00.0" */
struct hv_serial { char host_dev[128]; };  /* "/dev/ttyS1", "/dev/pts/3" */
struct hv_usb { char hostaddr[32]; };      /* "bus:addr" e.g. "1:4" */

struct hv_domain_spec {
	char uuid[37];
	char name[64];                 /* shown by the hypervisor */
	uint32_t virt;                 /* enum hv_virt */
	uint32_t vcpus;
	uint32_t memory_kib, maxmem_kib;
	char kernel[HV_PATH];         /* "" = boot from the first disk */
	char ramdisk[HV_PATH];
	char extraargs[512];
	bool uefi;
	uint32_t n_disks;
	struct hv_disk disks[HV_MAX_DISKS];
	uint32_t n_nics;
	struct hv_nic nics[HV_MAX_NICS];
	uint32_t n_pci;
	struct hv_pci pci[HV_MAX_PCI];
	uint32_t n_serial;
	struct hv_serial serial[HV_MAX_SERIAL];
	uint32_t n_usb;
	struct hv_usb usb[HV_MAX_USB];
	bool vnc;
	uint32_t vnc_display;          /* kvm: TCP 127.0.0.1:5900+N when vnc_tcp, else unix socket */
	bool vnc_tcp;
	char run_dir[HV_PATH];        /* per-domain runtime folder (created by the caller, 0700) */
};

enum hv_dstate { HV_ABSENT, HV_RUNNING, HV_PAUSED, HV_SHUTDOWN, HV_CRASHED };

struct hv_domain_info {
	uint32_t state;                /* enum hv_dstate */
	int pid;                       /* kvm: QEMU's pid */
	int domid;                     /* xen */
	int64_t boot_time;             /* unix seconds */
	uint64_t cpu_ns;
	uint32_t mem_used_mib;
	char console_log[HV_PATH];    /* the guest's first serial port, as a file */
	char vnc[128];                 /* "unix:PATH" or "127.0.0.1:5901"; "" = none */
};

struct hv_opts {
	const char *qemu;              /* kvm: QEMU binary; NULL = qemu-system-x86_64 */
	bool force_tcg;                /* kvm: never -enable-kvm */
};

struct hv;

struct hv_ops {
	const char *name;              /* "xen", "kvm" */
	/* create can take long (xen: libxl unpacks and builds the guest kernel
	 * in dom0, 10-20 s under TCG): the caller runs it in a child process
	 * with a handle of its own, so that its event loop stays responsive */
	bool slow_create;
	int (*open)(struct hv **out, const struct hv_opts *o, char *err);
	/* starts the domain; returns once it runs (or failed) */
	int (*create)(struct hv *h, const struct hv_domain_spec *s, char *err);
	/* finds a domain a previous apps process started: 0 (running, info
	 * filled), -ENOENT (none: create it), other -errno */
	int (*adopt)(struct hv *h, const struct hv_domain_spec *s, struct hv_domain_info *info,
		     char *err);
	int (*info)(struct hv *h, const struct hv_domain_spec *s, struct hv_domain_info *info,
		    char *err);
	/* asks the guest to stop (ACPI power button / PV shutdown); no wait */
	int (*shutdown)(struct hv *h, const struct hv_domain_spec *s, char *err);
	/* stops it now and releases its devices (PCI back to assignable) */
	int (*destroy)(struct hv *h, const struct hv_domain_spec *s, char *err);
	void (*close)(struct hv *h);
};

extern const struct hv_ops hv_ops_kvm;
extern const struct hv_ops hv_ops_xen;

/* "xen" when running as Xen's dom0 (/proc/xen/capabilities says control_d),
 * else "kvm"; name "xen" or "kvm" forces one; NULL for an unknown name. */
const struct hv_ops *hv_choose(const char *name);

/* A PCI address "DDDD:BB:DD.F" (or "BB:DD.F"), hex, device <= 0x1f, function
 * <= 7: 0 and its parts, or -EINVAL (pure; also the board model's check). */
int hv_bdf_parse(const char *bdf, unsigned *dom, unsigned *bus, unsigned *dev, unsigned *fn);

/*
 * The driver bound to PCI function bdf ("0000:00:04.0" or "00:04.0") in the
 * sysfs tree at sysfs ("/sys"; a test's own tree): 0 with its name in drv
 * ("pciback" for xen-pciback, "" when none is bound), -EINVAL (bdf is not a
 * BDF), -ENOENT (no such function), -ENAMETOOLONG, or -errno.
 */
int hv_pci_driver(const char *sysfs, const char *bdf, char *drv, size_t drvsz);

/* kvm: the QEMU argv for s (NULL-terminated, malloc'd: hv_argv_free). */
int hv_kvm_argv(const struct hv_domain_spec *s, const struct hv_opts *o, bool kvm_accel,
		char ***argv, char *err);
void hv_argv_free(char **argv);

/* xen: the libxl configuration of s as libxl's JSON (malloc'd), for tests and
 * the log. */
int hv_xen_config_json(const struct hv_domain_spec *s, char **json, char *err);

#endif
