/* volume: app volumes made by qemu-img as async jobs.  See volume.h. */
#include "volume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"

static const char *
fmt_name(uint32_t f)
{
	switch (f) {
	case PLAN_FMT_QCOW2: return "qcow2";
	case PLAN_FMT_RAW: return "raw";
	default: return NULL;
	}
}

static bool
uuid_ok(const char *u)
{
	for (int i = 0; i < 36; i++) {
		char c = u[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return false;
		}
	}
	return u[36] == '\0';
}

int
volume_path(const char *dir, const char *uuid, int64_t generation, uint32_t format,
	    char *out, size_t cap)
{
	const char *f = fmt_name(format);
	int n;

	if (!f || !uuid_ok(uuid) || generation < 0)
		return -EINVAL;
	n = snprintf(out, cap, "%s/%s.%" PRId64 ".%s", dir, uuid, generation, f);
	return n < 0 || (size_t)n + 4 >= cap ? -ENAMETOOLONG : 0;  /* room for ".tmp" */
}

int64_t
volume_used_bytes(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	return (int64_t)st.st_blocks * 512;
}

/* Parses "<uuid>.<gen>.<fmt>[.tmp]": true with the parts. */
static bool
parse_name(const char *name, struct volume_ent *e, bool *tmp)
{
	const char *p = name + 37, *dot;
	char *end;

	if (strlen(name) < 37 || name[36] != '.')
		return false;
	memcpy(e->uuid, name, 36);
	e->uuid[36] = '\0';
	if (!uuid_ok(e->uuid) || *p < '0' || *p > '9')
		return false;
	errno = 0;
	long long g = strtoll(p, &end, 10);
	if (errno || *end != '.' || (end - p > 1 && *p == '0'))
		return false;
	e->generation = g;
	dot = end + 1;
	if (!strncmp(dot, "qcow2", 5)) {
		e->format = PLAN_FMT_QCOW2;
		dot += 5;
	} else if (!strncmp(dot, "raw", 3)) {
		e->format = PLAN_FMT_RAW;
		dot += 3;
	} else {
		return false;
	}
	*tmp = !strcmp(dot, ".tmp");
	return *tmp || *dot == '\0';
}

int
volume_list(const char *dir, struct volume_ent *out, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct volume_ent e;
		bool tmp;
		struct stat st;

		if (!parse_name(de->d_name, &e, &tmp) || tmp)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		e.used_bytes = (uint64_t)st.st_blocks * 512;
		if ((size_t)n < cap)
			out[n] = e;
		n++;
	}
	closedir(d);
	return n;
}

int
volume_remove(const char *dir, const char *uuid, int64_t generation)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (!uuid_ok(uuid))
		return -EINVAL;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct volume_ent e;
		bool tmp;

		if (!parse_name(de->d_name, &e, &tmp) || strcmp(e.uuid, uuid) ||
		    (generation >= 0 && e.generation != generation))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	if (n)
		fsync(dirfd(d));
	closedir(d);
	return n;
}

/* ---- jobs ---- */

static void
job_close(struct volume_job *j)
{
	if (j->out_fd >= 0)
		close(j->out_fd);
	if (j->err_fd >= 0)
		close(j->err_fd);
	j->out_fd = j->err_fd = -1;
	j->step = VOLUME_IDLE;
	j->pid = -1;
}

static int
job_fail(struct volume_job *j, int rc)
{
	if (j->tmp[0])
		unlink(j->tmp);
	job_close(j);
	return rc;
}

/* The first VOLUME_OUT_MAX - 1 bytes a child wrote to fd, NUL-terminated. */
static size_t
read_out(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return (size_t)n;
}

/* stderr as one line: control bytes to spaces, trimmed. */
static void
one_line(char *s)
{
	size_t n;

	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	n = strlen(s);
	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
}

static int
spawn(struct volume_job *j, enum volume_step step, char *const argv[])
{
	posix_spawn_file_actions_t fa;
	char *const envp[] = { "LC_ALL=C", NULL };
	const char *prog = j->req.qemu_img[0] ? j->req.qemu_img : VOLUME_QEMU_IMG;
	int r;

	if (ftruncate(j->out_fd, 0) < 0 || ftruncate(j->err_fd, 0) < 0)
		return -errno;
	if ((r = posix_spawn_file_actions_init(&fa)) != 0)
		return -r;
	r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, j->out_fd, 1);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, j->err_fd, 2);
	if (!r)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (!r)
		r = posix_spawn(&j->pid, prog, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (r) {
		j->pid = -1;
		snprintf(j->err, sizeof(j->err), "volume %s: cannot run %s: %s", j->req.uuid, prog,
			 strerror(r));
		return -r;
	}
	j->step = step;
	return 0;
}

static int
disk_check(struct volume_job *j, uint64_t need)
{
	struct statvfs sv;
	uint64_t avail;

	if (statvfs(j->req.dir, &sv) < 0) {
		int r = -errno;

		snprintf(j->err, sizeof(j->err), "volume %s: %s: %s", j->req.uuid, j->req.dir,
			 strerror(-r));
		return r;
	}
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	need += VOLUME_SLACK;
	if (avail < need) {
		snprintf(j->err, sizeof(j->err), "volume %s: not enough space in %s: need %" PRIu64
			 " bytes, %" PRIu64 " free", j->req.uuid, j->req.dir, need, avail);
		return -ENOSPC;
	}
	return 0;
}

static int
start_convert(struct volume_job *j)
{
	char *argv[] = { "qemu-img", "convert", "-q", "-f", j->src_fmt, "-O",
			 (char *)fmt_name(j->req.format), j->req.src, j->tmp, NULL };

	return spawn(j, VOLUME_CONVERT, argv);
}

static int
start_resize(struct volume_job *j)
{
	char size[32];
	char *argv[] = { "qemu-img", "resize", "-q", "-f", (char *)fmt_name(j->req.format),
			 j->tmp, size, NULL };

	snprintf(size, sizeof(size), "%" PRIu64, j->req.max_size);
	return spawn(j, VOLUME_RESIZE, argv);
}

int
volume_job_start(struct volume_job *j, const struct volume_req *r, char *err, size_t errsz)
{
	struct volume_req *q;
	char size[32];
	int rc;

	memset(j, 0, sizeof(*j));
	j->pid = -1;
	j->out_fd = j->err_fd = -1;
	j->req = *r;
	q = &j->req;
	if (!memchr(r->uuid, 0, sizeof(r->uuid)) || !uuid_ok(r->uuid) || r->generation < 0 ||
	    !fmt_name(r->format) || !memchr(r->dir, 0, sizeof(r->dir)) || !r->dir[0] ||
	    !memchr(r->src, 0, sizeof(r->src)) || !memchr(r->qemu_img, 0, sizeof(r->qemu_img))) {
		snprintf(err, errsz, "volume '%.36s': bad request (uuid, generation, format %u "
			 "or folder)", memchr(r->uuid, 0, sizeof(r->uuid)) ? r->uuid : "?",
			 r->format);
		return -EINVAL;
	}
	if (!q->src[0] && q->max_size == 0) {
		snprintf(err, errsz, "volume %s: a blank volume needs maxsizebytes", q->uuid);
		return -EINVAL;
	}
	switch (q->src_format) {
	case PLAN_FMT_UNKNOWN: j->src_fmt[0] = '\0'; break;
	case PLAN_FMT_RAW: case PLAN_FMT_ISO: snprintf(j->src_fmt, sizeof(j->src_fmt), "raw"); break;
	case PLAN_FMT_QCOW2: snprintf(j->src_fmt, sizeof(j->src_fmt), "qcow2"); break;
	default:
		snprintf(err, errsz, "volume %s: content format %u is not raw or qcow2", q->uuid,
			 q->src_format);
		return -EINVAL;
	}
	rc = volume_path(q->dir, q->uuid, q->generation, q->format, j->path, sizeof(j->path));
	if (rc < 0) {
		snprintf(err, errsz, "volume %s: folder name too long", q->uuid);
		return rc;
	}
	snprintf(j->tmp, sizeof(j->tmp), "%s.tmp", j->path);
	j->out_fd = memfd_create("qemu-img-out", MFD_CLOEXEC);
	j->err_fd = memfd_create("qemu-img-err", MFD_CLOEXEC);
	if (j->out_fd < 0 || j->err_fd < 0) {
		rc = -errno;
		snprintf(err, errsz, "volume %s: memfd: %s", q->uuid, strerror(-rc));
		j->tmp[0] = '\0';
		return job_fail(j, rc);
	}
	unlink(j->tmp);  /* left by a job that died */
	if (q->src[0]) {
		char *argv[] = { "qemu-img", "info", "--output=json", "-f", j->src_fmt, q->src,
				 NULL };

		if (!j->src_fmt[0]) {  /* let qemu-img detect: no -f */
			argv[3] = q->src;
			argv[4] = NULL;
		}
		rc = spawn(j, VOLUME_INFO, argv);
	} else {
		char *argv[] = { "qemu-img", "create", "-q", "-f", (char *)fmt_name(q->format),
				 j->tmp, size, NULL };

		snprintf(size, sizeof(size), "%" PRIu64, q->max_size);
		rc = disk_check(j, 1u << 20);
		if (rc == 0)
			rc = spawn(j, VOLUME_CREATE, argv);
	}
	if (rc < 0) {
		snprintf(err, errsz, "%s", j->err);
		return job_fail(j, rc);
	}
	return 0;
}

/* After `info`: sizes, format, no backing file; then convert. */
static int
after_info(struct volume_job *j)
{
	char out[VOLUME_OUT_MAX];
	const struct json_value *root, *v;
	struct json_doc *doc = NULL;
	char e[JSON_ERR_LEN];
	uint64_t actual = 0;
	size_t n = read_out(j->out_fd, out, sizeof(out));
	int rc = -EBADMSG;

	if (json_parse(out, n, NULL, &doc, e) < 0) {
		snprintf(j->err, sizeof(j->err), "volume %s: qemu-img info: %s", j->req.uuid, e);
		return -EBADMSG;
	}
	root = json_doc_root(doc);
	v = json_object_get(root, "virtual-size");
	if (!v || v->type != JSON_NUMBER ||
	    json_number_to_u64(v->str, v->len, &j->virtual_size) < 0) {
		snprintf(j->err, sizeof(j->err), "volume %s: qemu-img info gave no virtual-size",
			 j->req.uuid);
		goto out;
	}
	v = json_object_get(root, "format");
	if (!v || v->type != JSON_STRING ||
	    (strcmp(v->str, "raw") != 0 && strcmp(v->str, "qcow2") != 0)) {
		snprintf(j->err, sizeof(j->err), "volume %s: content %s is %.32s, not raw or qcow2",
			 j->req.uuid, j->req.src, v && v->type == JSON_STRING ? v->str : "unknown");
		goto out;
	}
	snprintf(j->src_fmt, sizeof(j->src_fmt), "%s", v->str);
	if (json_object_get(root, "backing-filename") ||
	    json_object_get(root, "full-backing-filename")) {
		snprintf(j->err, sizeof(j->err), "volume %s: content %s has a backing file "
			 "(refused: it would read a file of the device)", j->req.uuid, j->req.src);
		goto out;
	}
	v = json_object_get(root, "format-specific");
	v = v ? json_object_get(v, "data") : NULL;
	if (v && json_object_get(v, "data-file")) {
		snprintf(j->err, sizeof(j->err), "volume %s: content %s has an external data file "
			 "(refused)", j->req.uuid, j->req.src);
		goto out;
	}
	if (j->req.max_size && j->virtual_size > j->req.max_size) {
		snprintf(j->err, sizeof(j->err), "volume %s: content is %" PRIu64 " bytes, larger "
			 "than maxsizebytes %" PRIu64 " (a volume is never shrunk)", j->req.uuid,
			 j->virtual_size, j->req.max_size);
		rc = -EFBIG;
		goto out;
	}
	v = json_object_get(root, "actual-size");
	if (!v || v->type != JSON_NUMBER || json_number_to_u64(v->str, v->len, &actual) < 0) {
		struct stat st;

		actual = stat(j->req.src, &st) == 0 ? (uint64_t)st.st_size : j->virtual_size;
	}
	rc = disk_check(j, actual);
	if (rc == 0)
		rc = start_convert(j);
out:
	json_doc_free(doc);
	return rc;
}

static int
finish(struct volume_job *j)
{
	char *slash;
	int fd = open(j->tmp, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		int r = -errno;

		if (fd >= 0)
			close(fd);
		snprintf(j->err, sizeof(j->err), "volume %s: %s: %s", j->req.uuid, j->tmp,
			 strerror(-r));
		return job_fail(j, r == -ENOSPC ? -ENOSPC : r);
	}
	close(fd);
	if (rename(j->tmp, j->path) < 0) {
		int r = -errno;

		snprintf(j->err, sizeof(j->err), "volume %s: rename to %s: %s", j->req.uuid,
			 j->path, strerror(-r));
		return job_fail(j, r);
	}
	slash = strrchr(j->path, '/');
	if (slash) {
		*slash = '\0';
		fd = open(j->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	j->tmp[0] = '\0';
	job_close(j);
	return 0;
}

static const char *const step_names[] = {
	[VOLUME_IDLE] = "?", [VOLUME_INFO] = "info", [VOLUME_CONVERT] = "convert",
	[VOLUME_RESIZE] = "resize", [VOLUME_CREATE] = "create",
};

int
volume_job_reaped(struct volume_job *j, int wait_status)
{
	char errout[VOLUME_OUT_MAX];
	int rc;

	if (j->step == VOLUME_IDLE) {
		snprintf(j->err, sizeof(j->err), "volume %s: no job running", j->req.uuid);
		return -EINVAL;
	}
	j->pid = -1;
	if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
		char how[48];

		read_out(j->err_fd, errout, sizeof(errout));
		one_line(errout);
		if (WIFEXITED(wait_status))
			snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(wait_status));
		else
			snprintf(how, sizeof(how), "signal %d",
				 WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0);
		snprintf(j->err, sizeof(j->err), "volume %s: qemu-img %s failed (%s): %.800s",
			 j->req.uuid, step_names[j->step], how, errout[0] ? errout : "no message");
		return job_fail(j, strstr(errout, "No space left") ? -ENOSPC : -EIO);
	}
	switch (j->step) {
	case VOLUME_INFO:
		rc = after_info(j);
		break;
	case VOLUME_CONVERT:
		if (j->req.max_size > j->virtual_size) {
			rc = start_resize(j);
			break;
		}
		return finish(j);
	default:
		return finish(j);
	}
	return rc < 0 ? job_fail(j, rc) : 1;
}

pid_t
volume_job_cancel(struct volume_job *j)
{
	pid_t pid = j->pid;

	if (pid > 0)
		kill(pid, SIGKILL);
	if (j->step != VOLUME_IDLE)
		job_fail(j, 0);
	return pid > 0 ? pid : -1;
}
