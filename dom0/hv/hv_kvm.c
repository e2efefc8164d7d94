/*
 * hv_kvm: the QEMU backend.  See hv.h.
 *
 * Per domain, in spec->run_dir:
 *   qemu.pid     QEMU's pid (-pidfile; QEMU removes it when it exits)
 *   qmp.sock     the QMP server (state, system_powerdown, quit)
 *   console.log  the guest's first serial port
 *   vnc.sock     the VNC server unless vnc_tcp (then 127.0.0.1:5900+N)
 *   ovmf_vars.fd the guest's UEFI variable store (uefi only)
 *   qemu.log     QEMU's own stdout/stderr from start-up
 */
#include "evloop.h"
#include "hv.h"
#include "hv_int.h"
#include "hv_qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QEMU_DEFAULT "qemu-system-x86_64"
#define OVMF_CODE "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define OVMF_VARS "/usr/share/OVMF/OVMF_VARS_4M.fd"
#define START_TIMEOUT_MS 30000         /* QEMU's foreground process daemonizing */
#define QMP_TIMEOUT_MS 5000            /* one QMP exchange */
#define QUIT_WAIT_MS 3000              /* quit, then SIGKILL */
#define ARGV_MAX 160

struct hv {
	char qemu[HV_PATH];
	bool kvm_accel;
};

/* ------------------------------------------------------------ argv (pure) */

struct vec {
	char **v;
	size_t n;
	int rc;
};

static void
vec_add(struct vec *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
vec_add(struct vec *a, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (a->rc)
		return;
	if (a->n + 1 >= ARGV_MAX) {
		a->rc = -E2BIG;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		a->rc = -ENOMEM;
	}
	va_end(ap);
	if (s) {
		a->v[a->n++] = s;
		a->v[a->n] = NULL;
	}
}

static const char *
fmt_name(uint32_t f)
{
	return f == HV_DISK_QCOW2 ? "qcow2" : "raw";
}

int
hv_kvm_argv(const struct hv_domain_spec *s, const struct hv_opts *o, bool kvm_accel,
	    char ***argv, char *err)
{
	struct vec a = { 0 };
	const char *run = s->run_dir;
	int rc;

	*argv = NULL;
	if ((rc = hv_spec_check(s, true, err)))
		return rc;
	if (s->virt != HV_VIRT_HVM)
		return hv_errf(err, s, -EINVAL,
			       "kvm runs full virtualization only (virt mode %s is Xen's)",
			       s->virt == HV_VIRT_PV ? "PV" : "PVH");
	if (!s->kernel[0] && s->n_disks == 0)
		return hv_errf(err, s, -EINVAL, "nothing to boot: no kernel and no disk");
	a.v = calloc(ARGV_MAX, sizeof *a.v);
	if (!a.v)
		return hv_errf(err, s, -ENOMEM, "out of memory for the QEMU command line");
	if (kvm_accel && o && o->force_tcg)
		kvm_accel = false;

	vec_add(&a, "%s", o && o->qemu ? o->qemu : QEMU_DEFAULT);
	vec_add(&a, "-name");
	vec_add(&a, "%s", s->name);
	vec_add(&a, "-uuid");
	vec_add(&a, "%s", s->uuid);
	vec_add(&a, "-machine");
	vec_add(&a, "q35");
	vec_add(&a, "-accel");
	vec_add(&a, "%s", kvm_accel ? "kvm" : "tcg");
	vec_add(&a, "-cpu");
	vec_add(&a, "%s", kvm_accel ? "host" : "max");
	vec_add(&a, "-m");
	vec_add(&a, "%u", (s->memory_kib + 1023) / 1024);
	vec_add(&a, "-smp");
	vec_add(&a, "%u", s->vcpus);
	vec_add(&a, "-nodefaults");
	vec_add(&a, "-no-user-config");
	vec_add(&a, "-display");
	vec_add(&a, "none");
	vec_add(&a, "-daemonize");
	vec_add(&a, "-pidfile");
	vec_add(&a, "%s/qemu.pid", run);
	vec_add(&a, "-qmp");
	vec_add(&a, "unix:%s/qmp.sock,server=on,wait=off", run);
	/* the first serial port goes to a file */
	vec_add(&a, "-chardev");
	vec_add(&a, "file,id=con0,path=%s/console.log", run);
	vec_add(&a, "-serial");
	vec_add(&a, "chardev:con0");
	if (s->uefi) {
		vec_add(&a, "-drive");
		vec_add(&a, "if=pflash,format=raw,unit=0,readonly=on,file=%s", OVMF_CODE);
		vec_add(&a, "-drive");
		vec_add(&a, "if=pflash,format=raw,unit=1,file=%s/ovmf_vars.fd", run);
	}
	if (s->kernel[0]) {
		vec_add(&a, "-kernel");
		vec_add(&a, "%s", s->kernel);
		if (s->ramdisk[0]) {
			vec_add(&a, "-initrd");
			vec_add(&a, "%s", s->ramdisk);
		}
		if (s->extraargs[0]) {
			vec_add(&a, "-append");
			vec_add(&a, "%s", s->extraargs);
		}
	}
	for (uint32_t i = 0; i < s->n_disks; i++) {
		const struct hv_disk *d = &s->disks[i];
		bool ro = d->readonly || d->cdrom;

		vec_add(&a, "-drive");
		vec_add(&a, "file=%s,if=none,id=disk%u,format=%s%s%s", d->path, i, fmt_name(d->format),
			d->cdrom ? ",media=cdrom" : "", ro ? ",readonly=on" : "");
		vec_add(&a, "-device");
		vec_add(&a, "%s,drive=disk%u,bootindex=%u", d->cdrom ? "ide-cd" : "virtio-blk-pci", i,
			i + 1);
	}
	if (s->n_nics == 0) {
		vec_add(&a, "-nic");
		vec_add(&a, "none");
	}
	for (uint32_t i = 0; i < s->n_nics; i++) {
		const struct hv_nic *n = &s->nics[i];
		char mac[32] = "";

		if (n->mac[0])
			snprintf(mac, sizeof mac, ",mac=%s", n->mac);
		/* no bridge: a hub of its own, i.e. a NIC with no one on the wire */
		vec_add(&a, "-netdev");
		if (n->bridge[0])
			vec_add(&a, "bridge,id=net%u,br=%s", i, n->bridge);
		else
			vec_add(&a, "hubport,id=net%u,hubid=%u", i, i);
		vec_add(&a, "-device");
		vec_add(&a, "virtio-net-pci,netdev=net%u%s", i, mac);
	}
	for (uint32_t i = 0; i < s->n_pci; i++) {
		vec_add(&a, "-device");
		vec_add(&a, "vfio-pci,host=%s", s->pci[i].bdf);
	}
	for (uint32_t i = 0; i < s->n_serial; i++) {
		vec_add(&a, "-chardev");
		vec_add(&a, "serial,id=com%u,path=%s", i + 1, s->serial[i].host_dev);
		vec_add(&a, "-device");
		vec_add(&a, "isa-serial,chardev=com%u", i + 1);
	}
	if (s->n_usb) {
		vec_add(&a, "-device");
		vec_add(&a, "qemu-xhci,id=xhci");
	}
	for (uint32_t i = 0; i < s->n_usb; i++) {
		unsigned bus, addr;

		hv_usb_parse(s->usb[i].hostaddr, &bus, &addr);
		vec_add(&a, "-device");
		vec_add(&a, "usb-host,bus=xhci.0,hostbus=%u,hostaddr=%u", bus, addr);
	}
	if (s->vnc) {
		vec_add(&a, "-device");
		vec_add(&a, "VGA");
		vec_add(&a, "-vnc");
		if (s->vnc_tcp)
			vec_add(&a, "127.0.0.1:%u", s->vnc_display);
		else
			vec_add(&a, "unix:%s/vnc.sock", run);
	}
	if (a.rc) {
		rc = hv_errf(err, s, a.rc, "QEMU command line: %s", strerror(-a.rc));
		hv_argv_free(a.v);
		return rc;
	}
	*argv = a.v;
	return 0;
}

/* ------------------------------------------------------------ helpers */

static int64_t
now_ms(void)
{
	return (int64_t)evloop_now_ms();
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
run_path(char *dst, size_t cap, const struct hv_domain_spec *s, const char *leaf)
{
	snprintf(dst, cap, "%s/%s", s->run_dir, leaf);
}

/* reads a small file whole (NUL-terminated); -errno */
static int
read_small(const char *path, char *buf, size_t cap, size_t *got)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	int rc = 0;

	if (fd < 0)
		return -errno;
	while (n < cap - 1) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	if (got)
		*got = n;
	return rc;
}

static int
read_pidfile(const struct hv_domain_spec *s, int *pid)
{
	char path[HV_PATH + 16], buf[32];
	char *end;
	long v;
	int rc;

	run_path(path, sizeof path, s, "qemu.pid");
	if ((rc = read_small(path, buf, sizeof buf, NULL)))
		return rc;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v < 2 || v > 4194304)
		return -EINVAL;
	*pid = (int)v;
	return 0;
}

/* the process is gone or a zombie */
static bool
pid_gone(int pid)
{
	char path[64], buf[512];
	const char *p;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof buf, NULL))
		return true;
	p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

/* /proc/PID/cmdline is a QEMU started with -uuid s->uuid */
static bool
pid_is_ours(int pid, const struct hv_domain_spec *s)
{
	char path[64];
	char buf[16384];
	size_t n = 0;
	const char *arg, *end, *base;
	bool qemu = false;

	snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
	if (read_small(path, buf, sizeof buf, &n) || n == 0 || pid_gone(pid))
		return false;
	end = buf + n;
	base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	qemu = strncmp(base, "qemu-system-", 12) == 0 || strncmp(base, "qemu-kvm", 8) == 0;
	if (!qemu)
		return false;
	for (arg = buf; arg < end; arg += strlen(arg) + 1) {
		if (strcmp(arg, "-uuid") == 0) {
			const char *val = arg + strlen(arg) + 1;

			return val < end && strcmp(val, s->uuid) == 0;
		}
	}
	return false;
}

/* ------------------------------------------------------------ QMP client */

struct qmp {
	int fd;
	char buf[HV_QMP_MAX + 1];
	size_t len;
};

static int
qmp_read_msg(struct qmp *q, struct hv_qmp_msg *m, int64_t deadline, const struct hv_domain_spec *s,
	     char *err)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		char perr[HV_ERR];
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		int64_t left;
		ssize_t r;

		if (nl) {
			size_t mlen = (size_t)(nl - q->buf);
			int rc = hv_qmp_parse(q->buf, mlen, m, perr);

			memmove(q->buf, nl + 1, q->len - mlen - 1);
			q->len -= mlen + 1;
			if (rc)
				return hv_errf(err, s, rc, "%s", perr);
			return 0;
		}
		if (q->len >= HV_QMP_MAX)
			return hv_errf(err, s, -E2BIG, "QMP message longer than %d bytes", HV_QMP_MAX);
		left = deadline - now_ms();
		if (left <= 0)
			return hv_errf(err, s, -ETIMEDOUT, "QMP: no reply within %d ms", QMP_TIMEOUT_MS);
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return hv_errf(err, s, -errno, "QMP poll: %s", strerror(errno));
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = read(q->fd, q->buf + q->len, HV_QMP_MAX - q->len);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return hv_errf(err, s, -errno, "QMP read: %s", strerror(errno));
		}
		if (r == 0)
			return hv_errf(err, s, -ECONNRESET, "QMP: QEMU closed the socket");
		q->len += (size_t)r;
	}
}

/* sends one command and waits for its return (events are skipped) */
static int
qmp_exec(struct qmp *q, const char *cmd, struct hv_qmp_msg *m, const struct hv_domain_spec *s,
	 char *err)
{
	char line[128];
	int n = snprintf(line, sizeof line, "{\"execute\":\"%s\"}\n", cmd);
	int64_t deadline = now_ms() + QMP_TIMEOUT_MS;
	int rc;

	if (send(q->fd, line, (size_t)n, MSG_NOSIGNAL) != n)
		return hv_errf(err, s, -EIO, "QMP %s: send: %s", cmd, strerror(errno));
	for (;;) {
		if ((rc = qmp_read_msg(q, m, deadline, s, err)))
			return rc;
		if (m->kind == HV_QMP_RETURN)
			return 0;
		if (m->kind == HV_QMP_ERROR)
			return hv_errf(err, s, -EIO, "QMP %s: %s: %s", cmd, m->error_class,
				       m->error_desc);
	}
}

static void
qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	free(q);
}

/* connects and negotiates capabilities; *out is freed with qmp_close */
static int
qmp_open(const struct hv_domain_spec *s, struct qmp **out, char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct hv_qmp_msg m;
	struct qmp *q;
	int rc;

	*out = NULL;
	q = calloc(1, sizeof *q);
	if (!q)
		return hv_errf(err, s, -ENOMEM, "out of memory for QMP");
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/qmp.sock", s->run_dir);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0) {
		rc = hv_errf(err, s, -errno, "QMP socket: %s", strerror(errno));
		goto out;
	}
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		rc = hv_errf(err, s, -errno, "QMP connect %s: %s", sa.sun_path, strerror(errno));
		goto out;
	}
	if ((rc = qmp_read_msg(q, &m, now_ms() + QMP_TIMEOUT_MS, s, err)))
		goto out;
	if (m.kind != HV_QMP_GREETING) {
		rc = hv_errf(err, s, -EPROTO, "QMP: no greeting from QEMU");
		goto out;
	}
	if ((rc = qmp_exec(q, "qmp_capabilities", &m, s, err)))
		goto out;
	*out = q;
	q = NULL;
out:
	if (q)
		qmp_close(q);
	return rc;
}

/* one command on a fresh connection */
static int
qmp_run(const struct hv_domain_spec *s, const char *cmd, struct hv_qmp_msg *m, char *err)
{
	struct qmp *q;
	int rc = qmp_open(s, &q, err);

	if (rc)
		return rc;
	rc = qmp_exec(q, cmd, m, s, err);
	qmp_close(q);
	return rc;
}

static uint32_t
status_state(const struct hv_qmp_msg *m)
{
	static const char *const crashed[] = { "guest-panicked", "internal-error", "io-error" };

	if (m->running)
		return HV_RUNNING;
	if (strcmp(m->status, "shutdown") == 0)
		return HV_SHUTDOWN;
	for (size_t i = 0; i < sizeof crashed / sizeof *crashed; i++)
		if (strcmp(m->status, crashed[i]) == 0)
			return HV_CRASHED;
	return HV_PAUSED;
}

/* ------------------------------------------------------------ runtime */

/* /dev/kvm usable and the CPU has hardware virtualization: some sandboxes
 * offer a /dev/kvm whose vCPUs QEMU cannot even initialize */
static bool
kvm_usable(void)
{
	static char buf[1 << 16];
	FILE *f;
	bool hw = false;

	if (access("/dev/kvm", R_OK | W_OK) != 0)
		return false;
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return false;
	while (!hw && fgets(buf, sizeof buf, f))
		if (strncmp(buf, "flags", 5) == 0 && (strstr(buf, " vmx") || strstr(buf, " svm")))
			hw = true;
	fclose(f);
	return hw;
}

static int
kvm_open(struct hv **out, const struct hv_opts *o, char *err)
{
	struct hv *h;
	const char *q = o && o->qemu ? o->qemu : QEMU_DEFAULT;
	bool found = false;

	*out = NULL;
	if (strchr(q, '/')) {
		found = access(q, X_OK) == 0;
	} else {
		const char *path = getenv("PATH");
		char dir[HV_PATH + 64];

		if (!path || !*path)
			path = "/usr/local/bin:/usr/bin:/bin";
		while (*path && !found) {
			size_t n = strcspn(path, ":");

			if (n > 0 && n < HV_PATH) {
				snprintf(dir, sizeof dir, "%.*s/%s", (int)n, path, q);
				found = access(dir, X_OK) == 0;
			}
			path += n + (path[n] == ':');
		}
	}
	if (!found)
		return hv_errf(err, NULL, -ENOENT,
			       "kvm: QEMU binary %s not found (install qemu-system-x86)", q);
	h = calloc(1, sizeof *h);
	if (!h)
		return hv_errf(err, NULL, -ENOMEM, "kvm: out of memory");
	snprintf(h->qemu, sizeof h->qemu, "%s", q);
	h->kvm_accel = !(o && o->force_tcg) && kvm_usable();
	*out = h;
	return 0;
}

static void
kvm_close(struct hv *h)
{
	free(h);
}

static int
copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		ssize_t r = read(in, buf, sizeof buf), w;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : 0;
			break;
		}
		w = write(out, buf, (size_t)r);
		if (w != r) {
			rc = w < 0 ? -errno : -EIO;
			break;
		}
	}
	if (!rc && fsync(out) < 0)
		rc = -errno;
out:
	if (out >= 0)
		close(out);
	close(in);
	if (rc)
		unlink(to);
	return rc;
}

/* the last line of QEMU's start-up log, for an error message */
static void
log_tail(const struct hv_domain_spec *s, char *dst, size_t cap)
{
	char path[HV_PATH + 16], buf[4096];
	size_t n = 0;
	char *p;

	dst[0] = 0;
	run_path(path, sizeof path, s, "qemu.log");
	if (read_small(path, buf, sizeof buf, &n) || n == 0)
		return;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	p = strrchr(buf, '\n');
	snprintf(dst, cap, "%s", p ? p + 1 : buf);
}

static int kvm_info(struct hv *h, const struct hv_domain_spec *s, struct hv_domain_info *info,
		    char *err);

static int
kvm_create(struct hv *h, const struct hv_domain_spec *s, char *err)
{
	char **argv = NULL, path[HV_PATH + 16], tail[160];
	struct hv_domain_info info;
	int64_t deadline;
	pid_t child;
	int pid, rc, status = 0;

	if ((rc = hv_kvm_argv(s, &(struct hv_opts){ .qemu = h->qemu }, h->kvm_accel, &argv, err)))
		return rc;
	if (read_pidfile(s, &pid) == 0 && pid_is_ours(pid, s)) {
		rc = hv_errf(err, s, -EEXIST, "already running as QEMU pid %d", pid);
		goto out;
	}
	run_path(path, sizeof path, s, "qemu.pid");
	unlink(path);
	if (s->uefi) {
		run_path(path, sizeof path, s, "ovmf_vars.fd");
		if (access(path, F_OK) != 0 && (rc = copy_file(OVMF_VARS, path))) {
			rc = hv_errf(err, s, rc, "UEFI variables %s from %s: %s (install ovmf)", path,
				     OVMF_VARS, strerror(-rc));
			goto out;
		}
	}
	run_path(path, sizeof path, s, "qemu.log");
	child = fork();
	if (child < 0) {
		rc = hv_errf(err, s, -errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (child == 0) {
		int null = open("/dev/null", O_RDWR);
		int logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (null < 0 || logfd < 0 || dup2(null, 0) < 0 || dup2(logfd, 1) < 0 ||
		    dup2(logfd, 2) < 0)
			_exit(126);
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}
	/* the foreground QEMU exits once the daemon is set up */
	deadline = now_ms() + START_TIMEOUT_MS;
	for (;;) {
		pid_t w = waitpid(child, &status, WNOHANG);

		if (w == child)
			break;
		if (w < 0 && errno == ECHILD) { /* SIGCHLD ignored: reaped for us */
			status = 0;
			break;
		}
		if (w < 0 && errno != EINTR) {
			rc = hv_errf(err, s, -errno, "waitpid: %s", strerror(errno));
			goto out;
		}
		if (now_ms() > deadline) {
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
			rc = hv_errf(err, s, -ETIMEDOUT, "QEMU did not start within %d ms",
				     START_TIMEOUT_MS);
			goto out;
		}
		sleep_ms(10);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_tail(s, tail, sizeof tail);
		rc = hv_errf(err, s, -EIO, "QEMU failed to start (%s %d): %s",
			     WIFEXITED(status) ? "exit" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			     tail[0] ? tail : "no message");
		goto out;
	}
	if ((rc = read_pidfile(s, &pid))) {
		rc = hv_errf(err, s, rc, "QEMU started but wrote no pid file: %s", strerror(-rc));
		goto out;
	}
	if ((rc = kvm_info(h, s, &info, err)))
		goto out;
	if (info.state != HV_RUNNING) {
		rc = hv_errf(err, s, -EIO, "QEMU pid %d is not running the guest (state %u)", pid,
			     info.state);
		goto out;
	}
out:
	hv_argv_free(argv);
	return rc;
}

/* utime+stime in ns and start time (unix seconds) from /proc/PID/stat */
static int
proc_stat(int pid, uint64_t *cpu_ns, int64_t *boot_time)
{
	char path[64], buf[1024], sbuf[8192];
	unsigned long long utime = 0, stime = 0, start = 0, btime = 0;
	const char *p, *bt;
	long tck = sysconf(_SC_CLK_TCK);
	int field = 3;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof buf, NULL))
		return -ESRCH;
	p = strrchr(buf, ')');
	if (!p || tck <= 0)
		return -EINVAL;
	/* fields after the command: 3 state, ... 14 utime, 15 stime, ... 22 starttime */
	for (p += 2; *p && field <= 22; field++) {
		if (field == 14)
			utime = strtoull(p, NULL, 10);
		else if (field == 15)
			stime = strtoull(p, NULL, 10);
		else if (field == 22)
			start = strtoull(p, NULL, 10);
		p = strchr(p, ' ');
		if (!p)
			break;
		p++;
	}
	if (field <= 22)
		return -EINVAL;
	*cpu_ns = (utime + stime) * (1000000000ULL / (unsigned long long)tck);
	*boot_time = 0;
	if (read_small("/proc/stat", sbuf, sizeof sbuf, NULL) == 0 &&
	    (bt = strstr(sbuf, "\nbtime ")))
		btime = strtoull(bt + 7, NULL, 10);
	if (btime)
		*boot_time = (int64_t)(btime + start / (unsigned long long)tck);
	return 0;
}

static uint32_t
proc_rss_mib(int pid)
{
	char path[64], buf[4096];
	const char *p;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if (read_small(path, buf, sizeof buf, NULL) || !(p = strstr(buf, "\nVmRSS:")))
		return 0;
	return (uint32_t)(strtoull(p + 7, NULL, 10) / 1024);
}

static int
kvm_info(struct hv *h, const struct hv_domain_spec *s, struct hv_domain_info *info, char *err)
{
	struct hv_qmp_msg m;
	int pid, rc;

	(void)h;
	memset(info, 0, sizeof *info);
	info->domid = -1;
	if ((rc = hv_spec_check(s, true, err)))
		return rc;
	run_path(info->console_log, sizeof info->console_log, s, "console.log");
	if (read_pidfile(s, &pid) || !pid_is_ours(pid, s)) {
		info->state = HV_ABSENT;
		return 0;
	}
	info->pid = pid;
	if (s->vnc) {
		if (s->vnc_tcp)
			snprintf(info->vnc, sizeof info->vnc, "127.0.0.1:%u", 5900 + s->vnc_display);
		else
			snprintf(info->vnc, sizeof info->vnc, "unix:%.100s/vnc.sock", s->run_dir);
	}
	if ((rc = qmp_run(s, "query-status", &m, err)))
		return rc;
	if (!m.has_status)
		return hv_errf(err, s, -EPROTO, "QMP query-status: reply without a status");
	info->state = status_state(&m);
	if (proc_stat(pid, &info->cpu_ns, &info->boot_time))
		info->state = HV_ABSENT;
	info->mem_used_mib = proc_rss_mib(pid);
	return 0;
}

static int
kvm_adopt(struct hv *h, const struct hv_domain_spec *s, struct hv_domain_info *info, char *err)
{
	int rc = kvm_info(h, s, info, err);

	if (rc)
		return rc;
	if (info->state == HV_ABSENT)
		return hv_errf(err, s, -ENOENT, "no QEMU of this domain is running");
	return 0;
}

static int
kvm_shutdown(struct hv *h, const struct hv_domain_spec *s, char *err)
{
	struct hv_qmp_msg m;
	int pid, rc;

	(void)h;
	if ((rc = hv_spec_check(s, true, err)))
		return rc;
	if (read_pidfile(s, &pid) || !pid_is_ours(pid, s))
		return hv_errf(err, s, -ENOENT, "no QEMU of this domain is running");
	return qmp_run(s, "system_powerdown", &m, err);
}

static bool
wait_gone(int pid, int ms)
{
	int64_t deadline = now_ms() + ms;

	while (!pid_gone(pid)) {
		if (now_ms() > deadline)
			return false;
		sleep_ms(10);
	}
	return true;
}

static int
kvm_destroy(struct hv *h, const struct hv_domain_spec *s, char *err)
{
	static const char *const leaves[] = { "qemu.pid", "qmp.sock", "vnc.sock" };
	char path[HV_PATH + 16], qerr[HV_ERR];
	struct hv_qmp_msg m;
	int pid, rc;

	(void)h;
	if ((rc = hv_spec_check(s, true, err)))
		return rc;
	if (read_pidfile(s, &pid) == 0 && pid_is_ours(pid, s)) {
		/* a failing quit (QEMU hung or already leaving) falls through to SIGKILL */
		qmp_run(s, "quit", &m, qerr);
		if (!wait_gone(pid, QUIT_WAIT_MS)) {
			if (pid_is_ours(pid, s))
				kill(pid, SIGKILL);
			if (!wait_gone(pid, QUIT_WAIT_MS))
				return hv_errf(err, s, -EBUSY, "QEMU pid %d survived SIGKILL", pid);
		}
	}
	for (size_t i = 0; i < sizeof leaves / sizeof *leaves; i++) {
		run_path(path, sizeof path, s, leaves[i]);
		unlink(path);
	}
	return 0;
}

const struct hv_ops hv_ops_kvm = {
	.name = "kvm",
	.open = kvm_open,
	.create = kvm_create,
	.adopt = kvm_adopt,
	.info = kvm_info,
	.shutdown = kvm_shutdown,
	.destroy = kvm_destroy,
	.close = kvm_close,
};
