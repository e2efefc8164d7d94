/*
 * Unit tests: dom0/hv kvm backend — golden QEMU command lines, hostile specs,
 * the QMP reply parser, hv_choose, and a live QEMU (TCG) domain: create,
 * adopt (same pid), info (RUNNING, cpu time, memory), console log, VNC unix
 * socket banner, QMP powerdown, destroy, and a stale pid file not adopted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hv.h"
#include "hv_golden.h"
#include "hv_qmp.h"

#define UUID "6ba7b810-9dad-11d1-80b4-00c04fd430c8"

static void
base_spec(struct hv_domain_spec *s)
{
	memset(s, 0, sizeof *s);
	snprintf(s->uuid, sizeof s->uuid, "%s", UUID);
	snprintf(s->name, sizeof s->name, "web-1");
	s->virt = HV_VIRT_HVM;
	s->vcpus = 2;
	s->memory_kib = 256 * 1024;
	snprintf(s->run_dir, sizeof s->run_dir, "/run/edgevisor/apps/%s", UUID);
	snprintf(s->kernel, sizeof s->kernel, "/persist/img/vmlinuz");
	snprintf(s->ramdisk, sizeof s->ramdisk, "/persist/img/initrd.gz");
	snprintf(s->extraargs, sizeof s->extraargs, "console=ttyS0 root=/dev/vda, quiet");
}

static char *
argv_text(char **argv)
{
	size_t n = 1;
	char *t, *p;

	for (char **a = argv; *a; a++)
		n += strlen(*a) + 1;
	t = malloc(n);
	assert_non_null(t);
	p = t;
	for (char **a = argv; *a; a++)
		p += sprintf(p, "%s\n", *a);
	*p = 0;
	return t;
}

static void
golden_argv(const struct hv_domain_spec *s, bool kvm, const char *name)
{
	char err[HV_ERR] = "", **argv = NULL, *t;
	struct hv_opts o = { 0 };

	assert_int_equal(hv_kvm_argv(s, &o, kvm, &argv, err), 0);
	t = argv_text(argv);
	hv_golden_check(name, t);
	free(t);
	hv_argv_free(argv);
}

static void
test_argv_minimal_tcg(void **state)
{
	struct hv_domain_spec s;

	(void)state;
	base_spec(&s);
	golden_argv(&s, false, "kvm_minimal_tcg.argv");
}

static void
full_spec(struct hv_domain_spec *s)
{
	base_spec(s);
	s->kernel[0] = s->ramdisk[0] = s->extraargs[0] = 0;
	s->uefi = true;
	s->vcpus = 4;
	s->memory_kib = 1024 * 1024 + 1; /* rounds up to 1025 MiB */
	s->n_disks = 3;
	snprintf(s->disks[0].path, HV_PATH, "/persist/vol/root.qcow2");
	s->disks[0].format = HV_DISK_QCOW2;
	snprintf(s->disks[1].path, HV_PATH, "/persist/vol/data.img");
	s->disks[1].readonly = true;
	snprintf(s->disks[2].path, HV_PATH, "/persist/vol/tools.iso");
	s->disks[2].cdrom = true;
	s->n_nics = 2;
	snprintf(s->nics[0].mac, sizeof s->nics[0].mac, "02:16:3e:00:00:01");
	snprintf(s->nics[0].bridge, sizeof s->nics[0].bridge, "bn1");
	s->n_pci = 2;
	snprintf(s->pci[0].bdf, sizeof s->pci[0].bdf, "0000:03:00.0");
	snprintf(s->pci[1].bdf, sizeof s->pci[1].bdf, "04:1f.7");
	s->n_serial = 1;
	snprintf(s->serial[0].host_dev, sizeof s->serial[0].host_dev, "/dev/ttyS1");
	s->n_usb = 2;
	snprintf(s->usb[0].hostaddr, sizeof s->usb[0].hostaddr, "1:4");
	snprintf(s->usb[1].hostaddr, sizeof s->usb[1].hostaddr, "3:127");
	s->vnc = true;
}

static void
test_argv_full_kvm(void **state)
{
	struct hv_domain_spec s;

	(void)state;
	full_spec(&s);
	golden_argv(&s, true, "kvm_full_kvm.argv");
}

static void
test_argv_vnc_tcp_loopback(void **state)
{
	struct hv_domain_spec s;
	char err[HV_ERR], **argv = NULL, want[32];

	(void)state;
	base_spec(&s);
	s.vnc = true;
	s.vnc_tcp = true;
	s.vnc_display = 3;
	golden_argv(&s, false, "kvm_vnc_tcp.argv");
	/* every display: the VNC argument is 127.0.0.1:N, nothing else */
	for (uint32_t d = 0; d <= 99; d++) {
		size_t i;

		s.vnc_display = d;
		assert_int_equal(hv_kvm_argv(&s, NULL, false, &argv, err), 0);
		for (i = 0; argv[i] && strcmp(argv[i], "-vnc") != 0; i++)
			;
		assert_non_null(argv[i]);
		snprintf(want, sizeof want, "127.0.0.1:%u", d);
		assert_string_equal(argv[i + 1], want);
		hv_argv_free(argv);
	}
}

static void
test_force_tcg(void **state)
{
	struct hv_domain_spec s;
	struct hv_opts o = { .force_tcg = true, .qemu = "/opt/q/qemu-system-x86_64" };
	char err[HV_ERR], **argv = NULL, *t;

	(void)state;
	base_spec(&s);
	assert_int_equal(hv_kvm_argv(&s, &o, true, &argv, err), 0);
	t = argv_text(argv);
	assert_string_equal(argv[0], "/opt/q/qemu-system-x86_64");
	assert_non_null(strstr(t, "-accel\ntcg\n-cpu\nmax\n"));
	free(t);
	hv_argv_free(argv);
}

static void
expect_refused(const struct hv_domain_spec *s, int want_rc, const char *want_text)
{
	char err[HV_ERR] = "", **argv = (char **)1;

	assert_int_equal(hv_kvm_argv(s, NULL, false, &argv, err), want_rc);
	assert_null(argv);
	if (!strstr(err, want_text))
		fail_msg("error '%s' does not mention '%s'", err, want_text);
}

static void
test_hostile_specs(void **state)
{
	struct hv_domain_spec s;

	(void)state;
	base_spec(&s);
	s.n_disks = 1;
	snprintf(s.disks[0].path, HV_PATH, "/persist/a,file=/etc/shadow");
	expect_refused(&s, -EINVAL, "comma");

	base_spec(&s);
	s.n_serial = 1;
	snprintf(s.serial[0].host_dev, sizeof s.serial[0].host_dev, "/dev/pts/1,mux=on");
	expect_refused(&s, -EINVAL, "comma");

	base_spec(&s);
	snprintf(s.kernel, sizeof s.kernel, "/persist/k\n-device");
	expect_refused(&s, -EINVAL, "control character");

	base_spec(&s);
	snprintf(s.extraargs, sizeof s.extraargs, "a\nb");
	expect_refused(&s, -EINVAL, "extraargs");

	base_spec(&s);
	snprintf(s.kernel, sizeof s.kernel, "vmlinuz");
	expect_refused(&s, -EINVAL, "not an absolute path");

	base_spec(&s);
	memset(s.run_dir, 'a', sizeof s.run_dir); /* not terminated */
	expect_refused(&s, -E2BIG, "run_dir");

	base_spec(&s);
	s.run_dir[0] = 0;
	expect_refused(&s, -EINVAL, "run_dir is empty");

	base_spec(&s);
	s.n_disks = HV_MAX_DISKS + 1;
	for (int i = 0; i < HV_MAX_DISKS; i++)
		snprintf(s.disks[i].path, HV_PATH, "/d%d", i);
	expect_refused(&s, -E2BIG, "too many devices");

	base_spec(&s);
	s.n_usb = 1000;
	expect_refused(&s, -E2BIG, "too many devices");

	base_spec(&s);
	s.memory_kib = 0;
	expect_refused(&s, -EINVAL, "memory 0 KiB");

	base_spec(&s);
	s.vcpus = 0;
	expect_refused(&s, -EINVAL, "vcpus 0");

	base_spec(&s);
	s.maxmem_kib = 1024;
	expect_refused(&s, -EINVAL, "maxmem");

	base_spec(&s);
	snprintf(s.name, sizeof s.name, "a,b");
	expect_refused(&s, -EINVAL, "domain name holds ','");

	base_spec(&s);
	s.uuid[8] = 'x';
	expect_refused(&s, -EINVAL, "uuid");

	base_spec(&s);
	s.n_pci = 1;
	snprintf(s.pci[0].bdf, sizeof s.pci[0].bdf, "0000:03:00.0,x-vga=on");
	expect_refused(&s, -EINVAL, "pci 0");

	base_spec(&s);
	s.n_pci = 1;
	snprintf(s.pci[0].bdf, sizeof s.pci[0].bdf, "0000:03:20.0"); /* device > 0x1f */
	expect_refused(&s, -EINVAL, "pci 0");

	base_spec(&s);
	s.n_usb = 1;
	snprintf(s.usb[0].hostaddr, sizeof s.usb[0].hostaddr, "1:128");
	expect_refused(&s, -EINVAL, "usb 0");

	base_spec(&s);
	s.n_nics = 1;
	snprintf(s.nics[0].mac, sizeof s.nics[0].mac, "01:00:5e:00:00:01");
	expect_refused(&s, -EINVAL, "multicast");

	base_spec(&s);
	s.n_nics = 1;
	snprintf(s.nics[0].bridge, sizeof s.nics[0].bridge, "br0,script=x");
	expect_refused(&s, -EINVAL, "bridge");

	base_spec(&s);
	s.vnc = true;
	s.vnc_tcp = true;
	s.vnc_display = 100;
	expect_refused(&s, -EINVAL, "VNC display 100");

	base_spec(&s);
	s.virt = HV_VIRT_PV;
	expect_refused(&s, -EINVAL, "PV");

	base_spec(&s);
	s.kernel[0] = s.ramdisk[0] = 0;
	expect_refused(&s, -EINVAL, "nothing to boot");

	base_spec(&s);
	s.kernel[0] = 0;
	s.n_disks = 1;
	snprintf(s.disks[0].path, HV_PATH, "/persist/d.img");
	expect_refused(&s, -EINVAL, "ramdisk needs a kernel");
}

static void
test_choose(void **state)
{
	(void)state;
	assert_ptr_equal(hv_choose("xen"), &hv_ops_xen);
	assert_ptr_equal(hv_choose("kvm"), &hv_ops_kvm);
	assert_null(hv_choose("vmware"));
	/* this machine is not Xen's dom0 */
	if (access("/proc/xen/capabilities", F_OK) != 0) {
		assert_ptr_equal(hv_choose(NULL), &hv_ops_kvm);
		assert_ptr_equal(hv_choose("auto"), &hv_ops_kvm);
	}
	assert_string_equal(hv_ops_kvm.name, "kvm");
	assert_string_equal(hv_ops_xen.name, "xen");
}

static int
qparse(const char *msg, struct hv_qmp_msg *m, char *err)
{
	return hv_qmp_parse(msg, strlen(msg), m, err);
}

static void
test_qmp_parse(void **state)
{
	struct hv_qmp_msg m;
	char err[HV_ERR];
	char *big;

	(void)state;
	assert_int_equal(qparse("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
				"\"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}",
				&m, err), 0);
	assert_int_equal(m.kind, HV_QMP_GREETING);
	assert_int_equal(qparse("{\"return\": {}}", &m, err), 0);
	assert_int_equal(m.kind, HV_QMP_RETURN);
	assert_false(m.has_status);
	assert_int_equal(qparse("{\"return\": {\"status\": \"running\", \"singlestep\": false, "
				"\"running\": true}}", &m, err), 0);
	assert_true(m.has_status);
	assert_true(m.running);
	assert_string_equal(m.status, "running");
	assert_int_equal(qparse("{\"return\": {\"status\": \"paused\", \"running\": false}}", &m,
				err), 0);
	assert_false(m.running);
	assert_string_equal(m.status, "paused");
	assert_int_equal(qparse("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
				"\"The command x has not been found\"}}", &m, err), 0);
	assert_int_equal(m.kind, HV_QMP_ERROR);
	assert_string_equal(m.error_class, "CommandNotFound");
	assert_int_equal(qparse("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
				"\"event\": \"POWERDOWN\"}", &m, err), 0);
	assert_int_equal(m.kind, HV_QMP_EVENT);
	assert_string_equal(m.event, "POWERDOWN");

	assert_int_equal(qparse("{\"return\": {\"status\": 1, \"running\": true}}", &m, err),
			 -EINVAL);
	assert_non_null(strstr(err, "status"));
	assert_int_equal(qparse("{\"error\": 5}", &m, err), -EINVAL);
	assert_int_equal(qparse("{\"event\": \"A\\u0000B\"}", &m, err), -EINVAL);
	assert_int_equal(qparse("[1]", &m, err), -EINVAL);
	assert_non_null(strstr(err, "not an object"));
	assert_int_equal(qparse("{\"foo\": 1}", &m, err), -EINVAL);
	assert_int_equal(qparse("{\"return\": ", &m, err), -EINVAL);
	assert_non_null(strstr(err, "QMP message: JSON"));
	big = calloc(1, HV_QMP_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', HV_QMP_MAX + 1);
	assert_int_equal(qparse(big, &m, err), -E2BIG);
	free(big);
}

static void
test_open_missing_qemu(void **state)
{
	struct hv *h = NULL;
	struct hv_opts o = { .qemu = "/nonexistent/qemu-system-x86_64" };
	char err[HV_ERR] = "";

	(void)state;
	assert_int_equal(hv_ops_kvm.open(&h, &o, err), -ENOENT);
	assert_null(h);
	assert_non_null(strstr(err, "qemu-system-x86"));
}

/* ------------------------------------------------------------ live */

struct live {
	struct hv *h;
	struct hv_domain_spec s;
	char dir[64];
};

static bool
in_path(const char *prog)
{
	char buf[512];
	const char *p = getenv("PATH");

	if (!p)
		return false;
	while (*p) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, prog);
		if (access(buf, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static bool
proc_alive(int pid)
{
	char path[64], buf[512];
	FILE *f;
	const char *p;
	bool alive = false;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		alive = p[2] != 'Z' && p[2] != 'X';
	fclose(f);
	return alive;
}

static bool
file_has(const char *path, const char *needle)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return memmem(buf, n, needle, strlen(needle)) != NULL;
}

static struct live L;

/* a failed assertion leaves no QEMU behind */
static int
live_teardown(void **state)
{
	char err[HV_ERR];

	(void)state;
	if (L.h) {
		hv_ops_kvm.destroy(L.h, &L.s, err);
		hv_ops_kvm.close(L.h);
		L.h = NULL;
	}
	return 0;
}

static void
test_live_domain(void **state)
{
	struct hv_domain_info info, info2;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[HV_ERR] = "", path[HV_PATH + 32], banner[13] = "";
	glob_t g = { 0 };
	FILE *f;
	int fd, pid, spins;
	ssize_t got = 0;

	(void)state;
	memset(&L, 0, sizeof L);
	if (!in_path("qemu-system-x86_64"))
		fail_msg("qemu-system-x86_64 is missing: install Debian package qemu-system-x86 (make deps)");
	if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0 || g.gl_pathc == 0)
		fail_msg("/boot/vmlinuz-* is missing: install Debian package linux-image-amd64 (make deps)");

	snprintf(L.dir, sizeof L.dir, "/tmp/hvk.XXXXXX");
	assert_non_null(mkdtemp(L.dir));
	base_spec(&L.s);
	snprintf(L.s.run_dir, sizeof L.s.run_dir, "%s", L.dir);
	snprintf(L.s.kernel, sizeof L.s.kernel, "%s", g.gl_pathv[0]);
	L.s.ramdisk[0] = 0;
	snprintf(L.s.extraargs, sizeof L.s.extraargs, "console=ttyS0 panic=-1 earlyprintk=ttyS0");
	L.s.vcpus = 1;
	L.s.memory_kib = 192 * 1024;
	L.s.vnc = true;
	globfree(&g);

	assert_int_equal(hv_ops_kvm.open(&L.h, NULL, err), 0);
	if (hv_ops_kvm.create(L.h, &L.s, err) != 0)
		fail_msg("create: %s", err);

	/* adopt finds the running QEMU, same pid as its pid file */
	memset(&info, 0, sizeof info);
	if (hv_ops_kvm.adopt(L.h, &L.s, &info, err) != 0)
		fail_msg("adopt: %s", err);
	snprintf(path, sizeof path, "%s/qemu.pid", L.dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	assert_int_equal(info.pid, pid);
	assert_int_equal(info.state, HV_RUNNING);
	assert_true(proc_alive(pid));
	assert_true(info.boot_time > 0);
	snprintf(path, sizeof path, "unix:%s/vnc.sock", L.dir);
	assert_string_equal(info.vnc, path);
	snprintf(path, sizeof path, "%s/console.log", L.dir);
	assert_string_equal(info.console_log, path);

	/* a second create of the same domain is refused */
	assert_int_equal(hv_ops_kvm.create(L.h, &L.s, err), -EEXIST);

	/* info: cpu time grows while the guest boots (bounded polling, no clock assert) */
	for (spins = 0; spins < 400; spins++) {
		assert_int_equal(hv_ops_kvm.info(L.h, &L.s, &info2, err), 0);
		if (info2.cpu_ns > 0 && info2.mem_used_mib > 0)
			break;
		sleep_ms(50);
	}
	assert_int_equal(info2.state, HV_RUNNING);
	assert_true(info2.cpu_ns > 0);
	assert_true(info2.mem_used_mib > 0);
	assert_int_equal(info2.pid, pid);

	/* the guest's first serial port is the console log */
	for (spins = 0; spins < 600 && !file_has(info.console_log, "Linux version"); spins++)
		sleep_ms(50);
	if (!file_has(info.console_log, "Linux version"))
		fail_msg("no 'Linux version' in %s", info.console_log);

	/* VNC on the unix socket answers with the RFB banner */
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/vnc.sock", L.dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	while (got < 12) {
		ssize_t r = read(fd, banner + got, (size_t)(12 - got));

		assert_true(r > 0);
		got += r;
	}
	close(fd);
	assert_string_equal(banner, "RFB 003.008\n");

	/* ACPI power button goes through QMP */
	if (hv_ops_kvm.shutdown(L.h, &L.s, err) != 0)
		fail_msg("shutdown: %s", err);

	/* destroy: no process, no pid file; adopt then finds nothing */
	if (hv_ops_kvm.destroy(L.h, &L.s, err) != 0)
		fail_msg("destroy: %s", err);
	assert_false(proc_alive(pid));
	snprintf(path, sizeof path, "%s/qemu.pid", L.dir);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(hv_ops_kvm.adopt(L.h, &L.s, &info, err), -ENOENT);
	assert_int_equal(hv_ops_kvm.info(L.h, &L.s, &info, err), 0);
	assert_int_equal(info.state, HV_ABSENT);
	assert_int_equal(hv_ops_kvm.shutdown(L.h, &L.s, err), -ENOENT);

	/* a stale pid file naming a live process that is not this QEMU (us) */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	assert_int_equal(hv_ops_kvm.adopt(L.h, &L.s, &info, err), -ENOENT);
	assert_int_equal(hv_ops_kvm.destroy(L.h, &L.s, err), 0);
	assert_true(proc_alive(getpid()));

	/* QEMU's own start-up error reaches the caller */
	L.s.n_disks = 1;
	snprintf(L.s.disks[0].path, HV_PATH, "%s/no-such-disk.img", L.dir);
	assert_int_equal(hv_ops_kvm.create(L.h, &L.s, err), -EIO);
	if (!strstr(err, "no-such-disk.img"))
		fail_msg("QEMU's error not reported: %s", err);

	hv_ops_kvm.close(L.h);
	L.h = NULL;
	{
		static const char *const leaves[] = { "console.log", "qemu.log", "qemu.pid",
						      "qmp.sock", "vnc.sock" };

		for (size_t i = 0; i < sizeof leaves / sizeof *leaves; i++) {
			snprintf(path, sizeof path, "%s/%s", L.dir, leaves[i]);
			unlink(path);
		}
		assert_int_equal(rmdir(L.dir), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_minimal_tcg),
		cmocka_unit_test(test_argv_full_kvm),
		cmocka_unit_test(test_argv_vnc_tcp_loopback),
		cmocka_unit_test(test_force_tcg),
		cmocka_unit_test(test_hostile_specs),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_qmp_parse),
		cmocka_unit_test(test_open_missing_qemu),
		cmocka_unit_test_teardown(test_live_domain, live_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
