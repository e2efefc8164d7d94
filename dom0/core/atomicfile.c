/*
 * atomicfile — write a plain file atomically. See atomicfile.h.
 */
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"

static void (*step_hook)(enum atomicfile_step step, void *arg);
static void *step_hook_arg;

void atomicfile_set_step_hook(void (*fn)(enum atomicfile_step step, void *arg),
			      void *arg)
{
	step_hook = fn;
	step_hook_arg = arg;
}

static void step(enum atomicfile_step s)
{
	if (step_hook)
		step_hook(s, step_hook_arg);
}

__attribute__((format(printf, 3, 4)))
static void say(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !size)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* Moves tmp to name in dirfd without replacing an existing name. */
static int rename_noreplace(int dirfd, const char *tmp, const char *name)
{
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	/* The filesystem lacks RENAME_NOREPLACE: link fails on EEXIST too. */
	if (linkat(dirfd, tmp, dirfd, name, 0) < 0)
		return -errno;
	(void)unlinkat(dirfd, tmp, 0);
	return 0;
}

int atomicfile_write(const char *path, const void *data, size_t len,
		     mode_t mode, unsigned flags, char *err, size_t errsz)
{
	char dir[PATH_MAX], tmp[NAME_MAX + 1];
	const char *base, *slash, *what = NULL;
	const uint8_t *p = data;
	bool tmp_made = false;
	size_t n, half;
	int dirfd = -1, fd = -1;
	int rc;

	say(err, errsz, "%s", "");
	if (!path || (!data && len) || (flags & ~ATOMICFILE_NOREPLACE) ||
	    (mode & ~(mode_t)07777)) {
		say(err, errsz, "file %s: invalid argument",
		    path ? path : "(null)");
		return -EINVAL;
	}
	if (len > ATOMICFILE_MAX_LEN) {
		say(err, errsz, "file %s: %zu bytes exceed the limit %zu",
		    path, len, ATOMICFILE_MAX_LEN);
		return -EMSGSIZE;
	}
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	n = strlen(base);
	if (n == 0 || n > NAME_MAX - 4 || !strcmp(base, ".") ||
	    !strcmp(base, "..")) {
		say(err, errsz, "file %s: not a valid file name", path);
		return -EINVAL;
	}
	if (!slash) {
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == path) {
		snprintf(dir, sizeof(dir), "/");
	} else {
		if ((size_t)(slash - path) >= sizeof(dir)) {
			say(err, errsz, "file %s: path too long", path);
			return -ENAMETOOLONG;
		}
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", base);

	what = "open folder";
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		rc = -errno;
		goto out;
	}
	what = "remove stale temporary file";
	if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT) {
		rc = -errno;
		goto out;
	}
	what = "create temporary file";
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW | O_NOCTTY, mode & 0700);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	tmp_made = true;
	what = "set mode of temporary file";
	if (fchmod(fd, mode) < 0) {
		rc = -errno;
		goto out;
	}
	step(ATOMICFILE_STEP_TMP_CREATED);

	what = "write temporary file";
	half = len / 2;
	rc = fdio_write_all(fd, p, half);
	if (rc < 0)
		goto out;
	step(ATOMICFILE_STEP_HALF_WRITTEN);
	rc = fdio_write_all(fd, p + half, len - half);
	if (rc < 0)
		goto out;
	what = "fsync temporary file";
	if (fsync(fd) < 0) {
		rc = -errno;
		goto out;
	}
	what = "close temporary file";
	rc = close(fd) < 0 ? -errno : 0;
	fd = -1;
	if (rc < 0)
		goto out;
	step(ATOMICFILE_STEP_FILE_SYNCED);

	what = "rename temporary file";
	if (flags & ATOMICFILE_NOREPLACE) {
		rc = rename_noreplace(dirfd, tmp, base);
		if (rc < 0)
			goto out;
	} else if (renameat(dirfd, tmp, dirfd, base) < 0) {
		rc = -errno;
		goto out;
	}
	tmp_made = false;
	step(ATOMICFILE_STEP_RENAMED);

	what = "fsync folder";
	if (fsync(dirfd) < 0) {
		rc = -errno;
		goto out;
	}
	step(ATOMICFILE_STEP_DIR_SYNCED);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp_made)
		(void)unlinkat(dirfd, tmp, 0);
	if (dirfd >= 0)
		close(dirfd);
	if (rc == -EEXIST && (flags & ATOMICFILE_NOREPLACE))
		say(err, errsz, "file %s: already exists; not replaced", path);
	else if (rc < 0)
		say(err, errsz, "file %s: %s failed: %s", path, what,
		    strerror(-rc));
	return rc;
}

int
atomicfile_read(const char *path, size_t max, char **data, size_t *len, char *err, size_t errsz)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd, rc = 0;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(err, errsz, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		rc = -EFBIG;
		snprintf(err, errsz, "%s: %lld bytes, more than the %zu allowed", path,
			 (long long)st.st_size, max);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, errsz, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			snprintf(err, errsz, "%s: read: %s", path, r < 0 ? strerror(errno) :
				 "file shrank while reading");
			goto out;
		}
		got += (size_t)r;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}
