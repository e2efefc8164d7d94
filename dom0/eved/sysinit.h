/*
 * sysinit: what eved does first when it is PID 1 of dom0 (the initramfs's
 * /init), before the supervisor starts the roles, and last, after it stopped
 * them.  There is no shell and no other init: this is the whole boot.
 *
 *   1. mount /proc, /sys, /dev (devtmpfs), /dev/pts, /dev/shm, /run, /tmp;
 *      stdio onto /dev/console when the kernel found none; the host name
 *   2. /proc/cmdline: the edgevisor.* keys (sysinit_cmdline_parse)
 *   3. kernel modules with finit_module(2), in the order of the list file
 *      written at image build time (SYSINIT_MODULES_LIST); a failure is
 *      logged with the module and the errno and the boot goes on
 *   4. the GPT partitions by name (PARTNAME= in /sys/class/block/X/uevent,
 *      waiting up to 10 s for them): CONFIG (vfat, read-only: eved never
 *      writes there) at /config, PERSIST (ext4) at /persist; a PERSIST that
 *      does not mount is replaced by a tmpfs, loudly, so the device still
 *      reaches its controller
 *   5. with /proc/xen (Xen dom0): xenfs, xenstored, xen-init-dom0,
 *      xenconsoled -- children of PID 1 the supervisor hands back through
 *      sysinit_reaped(): a dead xenconsoled is restarted, a dead xenstored
 *      logged loudly
 *   6. at the end (sysinit_halt): every remaining process gets SIGTERM then
 *      SIGKILL, sync, /persist and /config unmounted, reboot(2)
 *
 * The parsers (cmdline, uevent, module list) are pure: bytes in, structures
 * out, no I/O.  Everything else acts on the running system and is exercised
 * by booting the initramfs (tests/integration/test_dom0_init.sh).
 *
 * Ownership: struct sysinit is the caller's (eved's main, static storage);
 * sysinit keeps no pointer into anything else.
 */
#ifndef EV_SYSINIT_H
#define EV_SYSINIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SYSINIT_ERR_MAX 160
#define SYSINIT_CMDLINE_MAX 4096      /* bytes of /proc/cmdline looked at */
#define SYSINIT_SLOT_MAX 8            /* "IMGA", "IMGB" with NUL */
#define SYSINIT_PARTNAME_MAX 72       /* GPT names are 36 UTF-16 units */
#define SYSINIT_DEVNAME_MAX 32
#define SYSINIT_MODULE_PATH_MAX 256

/* Written by dom0/image/mkinitramfs.sh: one absolute module path a line,
 * dependencies first. */
#define SYSINIT_MODULES_LIST "/lib/modules/modules.order.edgevisor"

/* The edgevisor.* keys of the kernel command line. */
struct sysinit_cmdline {
	char slot[SYSINIT_SLOT_MAX];  /* edgevisor.slot: "IMGA", "IMGB" or "" (not given) */
	unsigned unknown;             /* edgevisor.* keys we do not know (ignored) */
};

/* Parses a kernel command line (len bytes, need not be NUL-terminated):
 * words separated by blanks, double quotes group; every word not starting
 * with "edgevisor." is ignored.  0, or -EINVAL with err naming the word and
 * the reason (then *out holds what was parsed before it).  Pure. */
int sysinit_cmdline_parse(const char *buf, size_t len, struct sysinit_cmdline *out,
			  char err[SYSINIT_ERR_MAX]);

/* From the text of /sys/class/block/X/uevent (len bytes): its DEVNAME= and
 * PARTNAME= values (partname "" when the line is absent).  0, or -EINVAL
 * when DEVNAME is missing or a value is too long or has a '/' or a control
 * byte.  Pure. */
int sysinit_uevent_parse(const char *buf, size_t len, char devname[SYSINIT_DEVNAME_MAX],
			 char partname[SYSINIT_PARTNAME_MAX], char err[SYSINIT_ERR_MAX]);

/* The next module path of a list file (buf, len bytes) at *off: blank lines
 * and "#" comments skipped; the path must be absolute, end in ".ko" and have
 * no control bytes.  0 with path filled and *off advanced; -ENOENT at the
 * end; -EINVAL (err naming the line) for a bad line, *off past it.  Pure. */
int sysinit_modlist_next(const char *buf, size_t len, size_t *off,
			 char path[SYSINIT_MODULE_PATH_MAX], char err[SYSINIT_ERR_MAX]);

enum sysinit_halt_how { SYSINIT_POWEROFF, SYSINIT_REBOOT };

struct sysinit {
	struct sysinit_cmdline cmd;
	unsigned modules_loaded, modules_failed;
	bool config_mounted;
	bool persist_mounted;         /* the PERSIST partition (false: a tmpfs stands in) */
	bool xen;                     /* /proc/xen/capabilities says control_d */
	pid_t xenstored, xenconsoled; /* 0: not running */
	unsigned xenconsoled_restarts;
	enum sysinit_halt_how halt_how;  /* set from the signal that stopped eved */
};

/* Steps 1-5 above.  Never fails the boot: problems are logged; returns 0. */
int sysinit_boot(struct sysinit *si);

/* The supervisor reaped pid (not one of its roles): true when it was a
 * daemon of ours (then handled: restarted or logged); false for any other
 * orphan. */
bool sysinit_reaped(struct sysinit *si, pid_t pid, int status);

/* The supervisor stopped on signo: SIGINT (ctrl-alt-del) reboots, the
 * others (SIGTERM, SIGPWR) power off. */
void sysinit_stop_signal(struct sysinit *si, int signo);

/* Step 6: never returns. */
_Noreturn void sysinit_halt(struct sysinit *si);

#endif
