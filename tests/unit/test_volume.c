/*
 * Unit tests: dom0/apps/volume with the real qemu-img in a temp dir: a
 * blank 1 GiB qcow2 and a sparse raw; raw content converted to qcow2 and
 * grown to max size (same bytes, per qemu-img compare); qcow2 content
 * (format detected) to raw; content larger than max refused; qemu-img's
 * own error text reported; a backing file refused; disk full (a small
 * tmpfs) refused before starting; list, remove, cancel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "volume.h"

#define U1 "aaaaaaaa-1111-2222-3333-444444444444"
#define U2 "bbbbbbbb-1111-2222-3333-444444444444"
#define MiB (1024ull * 1024)

static char dir[] = "/tmp/test-volume.XXXXXX";
static char vols[128];

static int
setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(vols, sizeof(vols), "%s/vols", dir);
	return mkdir(vols, 0700);
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static struct volume_req
req(const char *uuid, int64_t gen, uint32_t fmt, uint64_t max, const char *src, uint32_t sfmt)
{
	struct volume_req r;

	memset(&r, 0, sizeof(r));
	snprintf(r.dir, sizeof(r.dir), "%s", vols);
	snprintf(r.uuid, sizeof(r.uuid), "%s", uuid);
	r.generation = gen;
	r.format = fmt;
	r.max_size = max;
	if (src)
		snprintf(r.src, sizeof(r.src), "%s/%s", dir, src);
	r.src_format = sfmt;
	return r;
}

/* Runs a job to its end as an event loop would: reap, hand over, repeat. */
static int
run(const struct volume_req *r, struct volume_job *j, int *steps)
{
	char err[VOLUME_ERR_MAX];
	int rc, st;

	*steps = 0;
	rc = volume_job_start(j, r, err, sizeof(err));
	if (rc < 0) {
		snprintf(j->err, sizeof(j->err), "%s", err);
		return rc;
	}
	do {
		assert_true(j->pid > 0);
		assert_int_equal(waitpid(j->pid, &st, 0), j->pid);
		(*steps)++;
		rc = volume_job_reaped(j, st);
	} while (rc == 1);
	return rc;
}

static void
sh(const char *fmt, const char *a, const char *b)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	assert_int_equal(system(cmd), 0);
}

static uint64_t
vsize(const char *path)
{
	char cmd[1200], line[256];
	unsigned long long v = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "qemu-img info --output=json '%s'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "\"virtual-size\""))
			sscanf(strchr(line, ':') + 1, "%llu", &v);
	pclose(p);
	return v;
}

static void
test_blank_volumes(void **state)
{
	struct volume_req r = req(U1, 1, PLAN_FMT_QCOW2, 1024 * MiB, NULL, 0);
	struct volume_job j;
	struct stat st;
	int steps;

	(void)state;
	assert_int_equal(run(&r, &j, &steps), 0);
	assert_int_equal(steps, 1);
	assert_string_equal(strrchr(j.path, '/') + 1, U1 ".1.qcow2");
	assert_int_equal(vsize(j.path), 1024 * MiB);
	assert_true(volume_used_bytes(j.path) > 0);
	assert_true(volume_used_bytes(j.path) < (int64_t)MiB);

	r = req(U2, 0, PLAN_FMT_RAW, 256 * MiB, NULL, 0);
	assert_int_equal(run(&r, &j, &steps), 0);
	assert_int_equal(stat(j.path, &st), 0);
	assert_int_equal(st.st_size, 256 * MiB);
	assert_true(volume_used_bytes(j.path) < (int64_t)MiB);  /* sparse */

	/* no size: refused */
	r = req(U2, 3, PLAN_FMT_RAW, 0, NULL, 0);
	assert_int_equal(run(&r, &j, &steps), -EINVAL);
	assert_non_null(strstr(j.err, "blank volume needs maxsizebytes"));
	r = req("../../etc/passwd", 0, PLAN_FMT_RAW, MiB, NULL, 0);
	assert_int_equal(run(&r, &j, &steps), -EINVAL);
	r = req(U2, 0, PLAN_FMT_ISO, MiB, NULL, 0);
	assert_int_equal(run(&r, &j, &steps), -EINVAL);
}

static void
test_raw_content_to_qcow2_grown(void **state)
{
	struct volume_req r;
	struct volume_job j;
	char src[256];
	int steps;

	(void)state;
	snprintf(src, sizeof(src), "%s/disk.raw", dir);
	sh("head -c 3145728 /dev/urandom > '%s'%s", src, "");
	r = req(U1, 2, PLAN_FMT_QCOW2, 64 * MiB, "disk.raw", PLAN_FMT_RAW);
	assert_int_equal(run(&r, &j, &steps), 0);
	assert_int_equal(steps, 3);  /* info, convert, resize */
	assert_int_equal(vsize(j.path), 64 * MiB);
	sh("qemu-img compare -q -f raw -F qcow2 '%s' '%s'", src, j.path);

	/* max size equal to the content: no resize step */
	r = req(U1, 3, PLAN_FMT_RAW, 3 * MiB, "disk.raw", PLAN_FMT_UNKNOWN);
	assert_int_equal(run(&r, &j, &steps), 0);
	assert_int_equal(steps, 2);
	sh("cmp -s '%s' '%s'", src, j.path);
}

static void
test_qcow2_content_to_raw(void **state)
{
	struct volume_req r;
	struct volume_job j;
	char src[256];
	int steps;

	(void)state;
	snprintf(src, sizeof(src), "%s/disk.qcow2", dir);
	sh("qemu-img convert -q -f raw -O qcow2 '%s/disk.raw' '%s'", dir, src);
	r = req(U2, 1, PLAN_FMT_RAW, 8 * MiB, "disk.qcow2", PLAN_FMT_UNKNOWN);
	assert_int_equal(run(&r, &j, &steps), 0);
	assert_string_equal(j.src_fmt, "qcow2");
	assert_int_equal(vsize(j.path), 8 * MiB);
	sh("qemu-img compare -q -f qcow2 -F raw '%s' '%s'", src, j.path);
}

static void
test_refusals(void **state)
{
	struct volume_req r;
	struct volume_job j;
	char path[VOLUME_PATH_MAX];
	struct stat st;
	int steps;

	(void)state;
	/* larger than max: never shrunk */
	r = req(U1, 9, PLAN_FMT_QCOW2, 1 * MiB, "disk.raw", PLAN_FMT_RAW);
	assert_int_equal(run(&r, &j, &steps), -EFBIG);
	assert_non_null(strstr(j.err, "larger than maxsizebytes 1048576"));
	assert_int_equal(volume_path(vols, U1, 9, PLAN_FMT_QCOW2, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), -1);
	strcat(path, ".tmp");
	assert_int_equal(stat(path, &st), -1);

	/* qemu-img fails: its message is in the error */
	r = req(U1, 9, PLAN_FMT_QCOW2, 8 * MiB, "disk.raw", PLAN_FMT_QCOW2);
	assert_int_equal(run(&r, &j, &steps), -EIO);
	assert_non_null(strstr(j.err, "qemu-img info failed (exit 1)"));
	assert_non_null(strstr(j.err, "qcow2"));
	r = req(U1, 9, PLAN_FMT_QCOW2, 8 * MiB, "missing.raw", PLAN_FMT_UNKNOWN);
	assert_int_equal(run(&r, &j, &steps), -EIO);
	assert_non_null(strstr(j.err, "No such file"));

	/* a qcow2 with a backing file would read a device file: refused */
	sh("cd '%s' && qemu-img create -q -f qcow2 -b disk.raw -F raw backed.qcow2%s", dir, "");
	r = req(U1, 9, PLAN_FMT_QCOW2, 8 * MiB, "backed.qcow2", PLAN_FMT_UNKNOWN);
	assert_int_equal(run(&r, &j, &steps), -EBADMSG);
	assert_non_null(strstr(j.err, "backing file"));

	/* no qemu-img */
	r = req(U1, 9, PLAN_FMT_QCOW2, 8 * MiB, NULL, 0);
	snprintf(r.qemu_img, sizeof(r.qemu_img), "/nonexistent/qemu-img");
	assert_int_equal(run(&r, &j, &steps), -ENOENT);
	assert_non_null(strstr(j.err, "cannot run /nonexistent/qemu-img"));
}

static void
test_disk_full(void **state)
{
	struct volume_req r;
	struct volume_job j;
	char small[160];
	int steps, rc1, rc2;

	(void)state;
	snprintf(small, sizeof(small), "%s/small", dir);
	assert_int_equal(mkdir(small, 0700), 0);
	if (mount("tmpfs", small, "tmpfs", 0, "size=6m") < 0) {
		print_message("cannot mount a tmpfs (%s): disk-full case not run\n", strerror(errno));
		skip();
	}
	r = req(U1, 1, PLAN_FMT_QCOW2, 8 * MiB, "disk.raw", PLAN_FMT_RAW);
	snprintf(r.dir, sizeof(r.dir), "%s", small);
	rc1 = run(&r, &j, &steps);  /* 3 MiB of content + slack > 6 MiB */
	r = req(U1, 1, PLAN_FMT_QCOW2, 8 * MiB, NULL, 0);
	snprintf(r.dir, sizeof(r.dir), "%s", small);
	rc2 = run(&r, &j, &steps);  /* a blank one fits */
	assert_int_equal(umount(small), 0);
	assert_int_equal(rc1, -ENOSPC);
	assert_int_equal(rc2, 0);
}

static void
test_list_remove_cancel(void **state)
{
	struct volume_ent e[16];
	struct volume_req r;
	struct volume_job j;
	char err[VOLUME_ERR_MAX], path[VOLUME_PATH_MAX];
	int n, st, found = 0;
	pid_t pid;

	(void)state;
	/* from the tests above: U1 gen 1, 2, 3; U2 gen 0, 1 */
	n = volume_list(vols, e, 16);
	assert_int_equal(n, 5);
	for (int i = 0; i < n; i++)
		if (!strcmp(e[i].uuid, U1) && e[i].generation == 2) {
			assert_int_equal(e[i].format, PLAN_FMT_QCOW2);
			assert_true(e[i].used_bytes > 0);
			found++;
		}
	assert_int_equal(found, 1);
	assert_int_equal(volume_list(vols, e, 2), 5);  /* counted beyond cap */
	assert_int_equal(volume_remove(vols, U1, 2), 1);
	assert_int_equal(volume_remove(vols, U1, -1), 2);
	assert_int_equal(volume_list(vols, e, 16), 2);
	assert_int_equal(volume_remove(vols, "nope", -1), -EINVAL);

	/* cancel a running job: its tmp goes */
	r = req(U1, 7, PLAN_FMT_RAW, 4 * MiB, NULL, 0);
	assert_int_equal(volume_job_start(&j, &r, err, sizeof(err)), 0);
	pid = volume_job_cancel(&j);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(volume_job_cancel(&j), -1);
	assert_int_equal(volume_path(vols, U1, 7, PLAN_FMT_RAW, path, sizeof(path)), 0);
	strcat(path, ".tmp");
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(volume_job_reaped(&j, 0), -EINVAL);
	assert_int_equal(volume_list("/nonexistent-x", e, 16), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blank_volumes),
		cmocka_unit_test(test_raw_content_to_qcow2_grown),
		cmocka_unit_test(test_qcow2_content_to_raw),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_list_remove_cancel),
	};

	return cmocka_run_group_tests_name("volume", tests, setup, teardown);
}
