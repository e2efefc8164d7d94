/* sysinit: eved as PID 1 of dom0.  See sysinit.h. */
#include "sysinit.h"

#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SYSINIT_HOSTNAME "edgevisor"
#define PART_WAIT_MS 10000
#define XENSTORED_WAIT_MS 10000
#define XENCONSOLED_RESTARTS_MAX 10
#define XENSTORED_SOCKET "/var/run/xenstored/socket"

/* ---- pure parsers ---- */

static bool
has_ctl(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

static int
cmdline_word(const char *w, size_t n, struct sysinit_cmdline *out, char err[SYSINIT_ERR_MAX])
{
	static const char pfx[] = "edgevisor.";
	const char *eq, *v;
	size_t klen, vlen;

	if (n < sizeof(pfx) - 1 || memcmp(w, pfx, sizeof(pfx) - 1) != 0)
		return 0;
	eq = memchr(w, '=', n);
	klen = eq ? (size_t)(eq - w) : n;
	v = eq ? eq + 1 : w + n;
	vlen = eq ? n - klen - 1 : 0;
	if (klen == sizeof("edgevisor.slot") - 1 && memcmp(w, "edgevisor.slot", klen) == 0) {
		if (vlen == 4 && (memcmp(v, "IMGA", 4) == 0 || memcmp(v, "IMGB", 4) == 0)) {
			memcpy(out->slot, v, 4);
			out->slot[4] = '\0';
			return 0;
		}
		snprintf(err, SYSINIT_ERR_MAX, "kernel command line: edgevisor.slot='%.*s' is not "
			 "IMGA or IMGB", has_ctl(v, vlen) || vlen > 32 ? 3 : (int)vlen,
			 has_ctl(v, vlen) || vlen > 32 ? "..." : v);
		return -EINVAL;
	}
	out->unknown++;
	return 0;
}

int
sysinit_cmdline_parse(const char *buf, size_t len, struct sysinit_cmdline *out,
		      char err[SYSINIT_ERR_MAX])
{
	size_t i = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (len > SYSINIT_CMDLINE_MAX) {
		snprintf(err, SYSINIT_ERR_MAX, "kernel command line: %zu bytes, more than %d",
			 len, SYSINIT_CMDLINE_MAX);
		return -EINVAL;
	}
	while (i < len) {
		char word[SYSINIT_CMDLINE_MAX];
		size_t n = 0;
		bool quoted = false;

		while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\0'))
			i++;
		if (i == len)
			break;
		/* The kernel's rule: a double quote toggles, blanks inside quotes stay. */
		for (; i < len; i++) {
			char c = buf[i];

			if (c == '"') {
				quoted = !quoted;
				continue;
			}
			if (!quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\0'))
				break;
			word[n++] = c;
		}
		rc = cmdline_word(word, n, out, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Copies a uevent value: 1..cap-1 bytes, no '/', no control byte. */
static int
uevent_value(const char *v, size_t n, char *dst, size_t cap, const char *key,
	     char err[SYSINIT_ERR_MAX])
{
	if (n == 0 || n >= cap || memchr(v, '/', n) || has_ctl(v, n)) {
		snprintf(err, SYSINIT_ERR_MAX, "uevent: %s is empty, longer than %zu bytes or has "
			 "'/' or a control byte", key, cap - 1);
		return -EINVAL;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

int
sysinit_uevent_parse(const char *buf, size_t len, char devname[SYSINIT_DEVNAME_MAX],
		     char partname[SYSINIT_PARTNAME_MAX], char err[SYSINIT_ERR_MAX])
{
	size_t i = 0;
	int rc;

	devname[0] = partname[0] = '\0';
	err[0] = '\0';
	while (i < len) {
		const char *line = buf + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;

		i += n + (nl ? 1 : 0);
		if (n > 8 && memcmp(line, "DEVNAME=", 8) == 0)
			rc = uevent_value(line + 8, n - 8, devname, SYSINIT_DEVNAME_MAX, "DEVNAME", err);
		else if (n > 9 && memcmp(line, "PARTNAME=", 9) == 0)
			rc = uevent_value(line + 9, n - 9, partname, SYSINIT_PARTNAME_MAX, "PARTNAME",
					  err);
		else
			continue;
		if (rc < 0)
			return rc;
	}
	if (!devname[0] || strcmp(devname, ".") == 0 || strcmp(devname, "..") == 0) {
		snprintf(err, SYSINIT_ERR_MAX, "uevent: no DEVNAME");
		devname[0] = '\0';
		return -EINVAL;
	}
	return 0;
}

int
sysinit_modlist_next(const char *buf, size_t len, size_t *off,
		     char path[SYSINIT_MODULE_PATH_MAX], char err[SYSINIT_ERR_MAX])
{
	err[0] = '\0';
	while (*off < len) {
		const char *line = buf + *off, *nl = memchr(line, '\n', len - *off);
		size_t n = nl ? (size_t)(nl - line) : len - *off;

		*off += n + (nl ? 1 : 0);
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\r'))
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		if (n >= SYSINIT_MODULE_PATH_MAX || line[0] != '/' || n < 4 ||
		    memcmp(line + n - 3, ".ko", 3) != 0 || has_ctl(line, n)) {
			snprintf(err, SYSINIT_ERR_MAX, "module list: line '%.*s' is not an absolute "
				 "path to a .ko file (under %d bytes)",
				 has_ctl(line, n) || n > 64 ? 3 : (int)n,
				 has_ctl(line, n) || n > 64 ? "..." : line, SYSINIT_MODULE_PATH_MAX);
			return -EINVAL;
		}
		memcpy(path, line, n);
		path[n] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* ---- the running system ---- */

static double
uptime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define say(...) boot_say(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define say_err(...) boot_say(LOG_LEVEL_ERR, __VA_ARGS__)

static void __attribute__((format(printf, 2, 3)))
boot_say(enum log_level lvl, const char *fmt, ...)
{
	char text[LOG_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_msg(lvl, "[%7.2f s] %s", uptime_s(), text);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Reads at most cap-1 bytes of a small file, NUL-terminated; -errno. */
static ssize_t
read_small(const char *path, char *buf, size_t cap)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)got < cap - 1 && (n = read(fd, buf + got, cap - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

static void
mount_one(const char *src, const char *dir, const char *type, unsigned long flags,
	  const char *data)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, flags, data) < 0 && errno != EBUSY)
		say_err("mount %s on %s: %s", type, dir, strerror(errno));
}

/* The kernel gives init /dev/console as stdio only when the initramfs has
 * that node; ours has none, so take it from devtmpfs. */
static void
console_open(void)
{
	int fd = -1;

	for (int i = 0; i < 3; i++) {
		if (fcntl(i, F_GETFD) >= 0)
			continue;
		if (fd < 0)
			fd = open("/dev/console", O_RDWR | O_NOCTTY);
		if (fd < 0)
			return;
		if (fd != i)
			dup2(fd, i);
	}
	if (fd > 2)
		close(fd);
}

static void
mount_basics(void)
{
	const unsigned long safe = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	mount_one("proc", "/proc", "proc", safe, NULL);
	mount_one("sysfs", "/sys", "sysfs", safe, NULL);
	mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755");
	console_open();
	mount_one("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666");
	mount_one("tmpfs", "/dev/shm", "tmpfs", safe, "mode=1777");
	mount_one("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	mount_one("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	mkdir("/run/xen", 0755);
	mkdir("/run/edgevisor", 0700);
}

static void
cmdline_read(struct sysinit *si)
{
	char buf[SYSINIT_CMDLINE_MAX + 1], err[SYSINIT_ERR_MAX];
	ssize_t n = read_small("/proc/cmdline", buf, sizeof(buf));

	if (n < 0) {
		say_err("/proc/cmdline: %s", strerror((int)-n));
		return;
	}
	if (sysinit_cmdline_parse(buf, (size_t)n, &si->cmd, err) < 0)
		say_err("%s; ignored", err);
	say("kernel command line: slot %s%s", si->cmd.slot[0] ? si->cmd.slot : "(not given)",
	    si->cmd.unknown ? ", unknown edgevisor.* keys ignored" : "");
}

static void
modules_load(struct sysinit *si)
{
	static char buf[65536];
	char path[SYSINIT_MODULE_PATH_MAX], err[SYSINIT_ERR_MAX];
	unsigned skipped = 0, present = 0;
	size_t off = 0;
	ssize_t n = read_small(SYSINIT_MODULES_LIST, buf, sizeof(buf));
	int rc;

	if (n < 0) {
		say_err("module list %s: %s; no modules loaded", SYSINIT_MODULES_LIST,
			strerror((int)-n));
		return;
	}
	while ((rc = sysinit_modlist_next(buf, (size_t)n, &off, path, err)) != -ENOENT) {
		const char *name;
		int fd;

		if (rc < 0) {
			say_err("%s", err);
			si->modules_failed++;
			continue;
		}
		name = strrchr(path, '/') + 1;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			say_err("module %s: %s", name, strerror(errno));
			si->modules_failed++;
			continue;
		}
		if (syscall(SYS_finit_module, fd, "", 0) == 0) {
			si->modules_loaded++;
		} else if (errno == EEXIST) {
			present++;
		} else if (errno == ENODEV) {
			/* Xen's drivers refuse to load outside a Xen domain, as do
			 * drivers without their hardware: not an error. */
			skipped++;
			log_info("module %s: no such device here; skipped", name);
		} else if (errno == ENOENT && skipped) {
			/* unknown symbols: it needs a module skipped above */
			skipped++;
			log_info("module %s: needs a module skipped here; skipped", name);
		} else {
			say_err("module %s: %s", name, strerror(errno));
			si->modules_failed++;
		}
		close(fd);
	}
	say("modules: %u loaded, %u already present, %u not for this machine, %u failed",
	    si->modules_loaded, present, skipped, si->modules_failed);
}

/* Finds the block devices named CONFIG and PERSIST (GPT partition names). */
static void
partitions_find(char config[SYSINIT_DEVNAME_MAX], char persist[SYSINIT_DEVNAME_MAX])
{
	config[0] = persist[0] = '\0';
	for (unsigned waited = 0;; waited += 100) {
		DIR *d = opendir("/sys/class/block");
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char p[300], buf[1024], dev[SYSINIT_DEVNAME_MAX], part[SYSINIT_PARTNAME_MAX];
			char err[SYSINIT_ERR_MAX];
			ssize_t n;

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "/sys/class/block/%s/uevent", de->d_name);
			n = read_small(p, buf, sizeof(buf));
			if (n <= 0 || sysinit_uevent_parse(buf, (size_t)n, dev, part, err) < 0)
				continue;
			if (strcmp(part, "CONFIG") == 0 && !config[0])
				snprintf(config, SYSINIT_DEVNAME_MAX, "%s", dev);
			else if (strcmp(part, "PERSIST") == 0 && !persist[0])
				snprintf(persist, SYSINIT_DEVNAME_MAX, "%s", dev);
		}
		if (d)
			closedir(d);
		if ((config[0] && persist[0]) || waited >= PART_WAIT_MS)
			return;
		sleep_ms(100);
	}
}

static void
partitions_mount(struct sysinit *si)
{
	char config[SYSINIT_DEVNAME_MAX], persist[SYSINIT_DEVNAME_MAX], dev[64];

	partitions_find(config, persist);
	mkdir("/config", 0755);
	mkdir("/persist", 0755);
	if (!config[0]) {
		say_err("CONFIG: no partition named CONFIG; /config stays empty");
	} else {
		snprintf(dev, sizeof(dev), "/dev/%s", config);
		/* eved only reads /config: mounted read-only. */
		if (mount(dev, "/config", "vfat", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "umask=0077") < 0) {
			say_err("CONFIG: mount %s (vfat) on /config: %s; /config stays empty", dev,
				strerror(errno));
		} else {
			si->config_mounted = true;
			say("CONFIG: %s mounted read-only on /config", dev);
		}
	}
	if (persist[0]) {
		snprintf(dev, sizeof(dev), "/dev/%s", persist);
		if (mount(dev, "/persist", "ext4", MS_NOSUID | MS_NODEV, NULL) == 0) {
			si->persist_mounted = true;
			say("PERSIST: %s mounted on /persist", dev);
			return;
		}
		say_err("PERSIST: mount %s (ext4) on /persist: %s", dev, strerror(errno));
	} else {
		say_err("PERSIST: no partition named PERSIST");
	}
	say_err("PERSIST: using a tmpfs on /persist instead: NOTHING WRITTEN THERE SURVIVES A "
		"REBOOT (keys, certificates, volumes)");
	if (mount("tmpfs", "/persist", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		say_err("PERSIST: tmpfs on /persist: %s", strerror(errno));
}

/* First existing path among /usr/sbin/NAME and /usr/lib/xen-* /bin/NAME. */
static int
xen_tool(const char *name, char *out, size_t cap)
{
	char pat[128];
	glob_t g;
	int rc = -ENOENT;

	snprintf(out, cap, "/usr/sbin/%s", name);
	if (access(out, X_OK) == 0)
		return 0;
	snprintf(pat, sizeof(pat), "/usr/lib/xen-*/bin/%s", name);
	if (glob(pat, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
		snprintf(out, cap, "%s", g.gl_pathv[g.gl_pathc - 1]);
		rc = 0;
	}
	globfree(&g);
	return rc;
}

/* fork+exec argv with a clean signal mask and only stdio; the pid or -errno. */
static pid_t
spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close_range(3, ~0U, 0);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "eved: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static void
xenconsoled_start(struct sysinit *si)
{
	char path[256];
	char *argv[] = { path, "-i", "--log=guest", "--log-dir=/var/log/xen",
			 "--pid-file=/run/xen/xenconsoled.pid", NULL };
	pid_t pid;

	if (xen_tool("xenconsoled", path, sizeof(path)) < 0) {
		say_err("xenconsoled: not in the image; guest consoles are not logged");
		return;
	}
	pid = spawn(argv);
	if (pid < 0) {
		say_err("xenconsoled: %s", strerror((int)-pid));
		return;
	}
	si->xenconsoled = pid;
	say("xenconsoled: started, pid %d", (int)pid);
}

static void
xen_start(struct sysinit *si)
{
	char caps[256], path[256];
	char *sd_argv[] = { path, "--no-fork", "--pid-file", "/run/xen/xenstored.pid", NULL };
	char *init_argv[] = { path, NULL };
	pid_t pid;
	int status;
	ssize_t n;

	if (access("/proc/xen", F_OK) < 0) {
		say("no /proc/xen: not a Xen domain; no Xen daemons");
		return;
	}
	if (mount("xenfs", "/proc/xen", "xenfs", 0, NULL) < 0 && errno != EBUSY) {
		say_err("xenfs on /proc/xen: %s; no Xen daemons", strerror(errno));
		return;
	}
	n = read_small("/proc/xen/capabilities", caps, sizeof(caps));
	if (n < 0 || !strstr(caps, "control_d")) {
		say("Xen domain without control_d capability; no Xen daemons");
		return;
	}
	si->xen = true;
	mkdir("/var/log/xen", 0755);
	mkdir("/var/lib/xen", 0755);
	if (xen_tool("xenstored", path, sizeof(path)) < 0) {
		say_err("XENSTORED IS NOT IN THE IMAGE: no guest can run");
		return;
	}
	pid = spawn(sd_argv);
	if (pid < 0) {
		say_err("XENSTORED: %s", strerror((int)-pid));
		return;
	}
	si->xenstored = pid;
	for (unsigned w = 0; access(XENSTORED_SOCKET, F_OK) < 0; w += 50) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			si->xenstored = 0;
			say_err("XENSTORED EXITED AT START (status 0x%x): no guest can run", status);
			return;
		}
		if (w >= XENSTORED_WAIT_MS) {
			say_err("XENSTORED: no socket %s after %u ms", XENSTORED_SOCKET, w);
			break;
		}
		sleep_ms(50);
	}
	say("xenstored: started, pid %d", (int)pid);
	if (xen_tool("xen-init-dom0", path, sizeof(path)) == 0 && (pid = spawn(init_argv)) > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			say("xen-init-dom0: done");
		else
			say_err("xen-init-dom0: failed (status 0x%x)", status);
	} else {
		say_err("xen-init-dom0: cannot run");
	}
	xenconsoled_start(si);
}

/* dom0's memory as the boot leaves it (the policy is hv-config's dom0_mem) */
static void
memory_say(void)
{
	char buf[2048];
	unsigned long total = 0, avail = 0;
	ssize_t n;
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		sscanf(l, "MemTotal: %lu kB", &total);
		sscanf(l, "MemAvailable: %lu kB", &avail);
	}
	say("memory: %lu MiB in dom0, %lu MiB available", total / 1024, avail / 1024);
}

int
sysinit_boot(struct sysinit *si)
{
	memset(si, 0, sizeof(*si));
	si->halt_how = SYSINIT_POWEROFF;
	mount_basics();
	say("eved is PID %d: booting dom0", (int)getpid());
	if (sethostname(SYSINIT_HOSTNAME, strlen(SYSINIT_HOSTNAME)) < 0)
		say_err("hostname: %s", strerror(errno));
	/* ctrl-alt-del sends SIGINT to PID 1 instead of resetting at once */
	reboot(RB_DISABLE_CAD);
	cmdline_read(si);
	modules_load(si);
	partitions_mount(si);
	xen_start(si);
	memory_say();
	say("system ready; starting the roles");
	return 0;
}

bool
sysinit_reaped(struct sysinit *si, pid_t pid, int status)
{
	if (pid <= 0)
		return false;
	if (pid == si->xenstored) {
		si->xenstored = 0;
		say_err("XENSTORED DIED (status 0x%x): domains can no longer be managed", status);
		return true;
	}
	if (pid == si->xenconsoled) {
		si->xenconsoled = 0;
		if (si->xenconsoled_restarts >= XENCONSOLED_RESTARTS_MAX) {
			say_err("xenconsoled died (status 0x%x) %u times; not restarted again", status,
				si->xenconsoled_restarts + 1);
			return true;
		}
		si->xenconsoled_restarts++;
		say_err("xenconsoled died (status 0x%x); restart %u", status, si->xenconsoled_restarts);
		xenconsoled_start(si);
		return true;
	}
	return false;
}

void
sysinit_stop_signal(struct sysinit *si, int signo)
{
	si->halt_how = signo == SIGINT ? SYSINIT_REBOOT : SYSINIT_POWEROFF;
}

_Noreturn void
sysinit_halt(struct sysinit *si)
{
	bool reboot_it = si->halt_how == SYSINIT_REBOOT;

	say("stopping every process, then %s", reboot_it ? "rebooting" : "powering off");
	kill(-1, SIGTERM);
	for (unsigned w = 0; w < 3000; w += 50) {
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			break;
		sleep_ms(50);
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	sync();
	if (si->persist_mounted || access("/persist", F_OK) == 0) {
		if (umount("/persist") == 0)
			say("/persist unmounted");
		else if (mount(NULL, "/persist", NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0)
			say_err("/persist: unmount: %s; remounted read-only", strerror(errno));
		else
			say_err("/persist: unmount: %s", strerror(errno));
	}
	if (si->config_mounted)
		umount("/config");
	sync();
	say("%s", reboot_it ? "rebooting" : "powering off");
	reboot(reboot_it ? RB_AUTOBOOT : RB_POWER_OFF);
	say_err("reboot(2): %s; halting here", strerror(errno));
	for (;;)
		pause();
}
