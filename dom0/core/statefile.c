/*
 * statefile — atomic, checksummed state files. See statefile.h.
 */
#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fdio.h"

#define HDR            STATEFILE_HEADER_SIZE
#define HDR_CRC_OFFSET 28
#define WHY_MAX        160
#define SUFFIX_MAX     5 /* strlen(".prev") */

static const uint8_t magic[4] = { 'E', 'V', 'S', 'F' };

static void (*step_hook)(enum statefile_step step, void *arg);
static void *step_hook_arg;

void statefile_set_step_hook(void (*fn)(enum statefile_step step, void *arg),
			     void *arg)
{
	step_hook = fn;
	step_hook_arg = arg;
}

static void step(enum statefile_step s)
{
	if (step_hook)
		step_hook(s, step_hook_arg);
}

__attribute__((format(printf, 3, 4)))
static void say(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* zlib returns the initial value, not crc, for a NULL buffer: never pass one. */
static uint32_t crc_add(uint32_t crc, const void *p, size_t n)
{
	return n ? (uint32_t)crc32_z(crc, p, n) : crc;
}

static bool valid_name(const char *name)
{
	size_t n;

	if (!name)
		return false;
	n = strlen(name);
	if (n == 0 || n > NAME_MAX - SUFFIX_MAX || strchr(name, '/'))
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	if (n >= 4 && !strcmp(name + n - 4, ".tmp"))
		return false;
	if (n >= 5 && !strcmp(name + n - 5, ".prev"))
		return false;
	return true;
}

static const char *sep(const char *dir)
{
	size_t n = strlen(dir);

	return n && dir[n - 1] == '/' ? "" : "/";
}

/*
 * Check one copy, DIR/fname. On success returns 0, the generation, and,
 * when out != NULL, the payload (malloc'd, NUL-terminated) and its length.
 * Otherwise returns -ENOENT if missing, -EBADMSG if the content is bad, or
 * another -errno, and describes the problem in why[WHY_MAX].
 * Nothing larger than max is ever allocated.
 */
static int load(int dirfd, const char *fname, size_t max, uint8_t **out,
		size_t *out_len, uint64_t *gen, char *why)
{
	uint8_t hb[HDR];
	uint8_t chunk[16384];
	uint8_t *buf = NULL;
	struct stat st;
	uint64_t length, size;
	uint32_t stored, crc;
	uint16_t version, flags;
	size_t got;
	int fd = -1;
	int rc;

	/* O_NONBLOCK: a FIFO planted under the name must not hang us. */
	fd = openat(dirfd, fname,
		    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			say(why, WHY_MAX, "missing");
		else if (rc == -ELOOP)
			say(why, WHY_MAX, "is a symbolic link");
		else
			say(why, WHY_MAX, "cannot open: %s", strerror(-rc));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		say(why, WHY_MAX, "cannot stat: %s", strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EBADMSG;
		say(why, WHY_MAX, "not a regular file");
		goto out;
	}
	size = (uint64_t)st.st_size;
	if (size < HDR) {
		rc = -EBADMSG;
		say(why, WHY_MAX, "truncated (%llu bytes, shorter than the "
		    "%d-byte header)", (unsigned long long)size, HDR);
		goto out;
	}
	rc = fdio_read_all(fd, hb, HDR, &got);
	if (rc < 0) {
		say(why, WHY_MAX, "read error: %s", strerror(-rc));
		goto out;
	}
	if (got < HDR) {
		rc = -EBADMSG;
		say(why, WHY_MAX, "truncated (%zu bytes, shorter than the "
		    "%d-byte header)", got, HDR);
		goto out;
	}
	rc = -EBADMSG;
	if (memcmp(hb, magic, sizeof(magic)) != 0) {
		say(why, WHY_MAX, "bad magic (not a state file)");
		goto out;
	}
	version = get16(hb + 4);
	flags = get16(hb + 6);
	length = get64(hb + 16);
	stored = get32(hb + HDR_CRC_OFFSET);
	if (version != STATEFILE_VERSION) {
		say(why, WHY_MAX, "unsupported format version %u", version);
		goto out;
	}
	if (length > max) {
		say(why, WHY_MAX, "payload length %llu exceeds the limit %zu",
		    (unsigned long long)length, max);
		goto out;
	}
	if (size - HDR < length) {
		say(why, WHY_MAX, "truncated (%llu bytes, header says %llu)",
		    (unsigned long long)size,
		    (unsigned long long)(HDR + length));
		goto out;
	}
	if (size - HDR > length) {
		say(why, WHY_MAX, "%llu trailing bytes after the payload",
		    (unsigned long long)(size - HDR - length));
		goto out;
	}

	crc = crc_add(0, hb, HDR_CRC_OFFSET);
	if (out) {
		buf = malloc((size_t)length + 1);
		if (!buf) {
			rc = -ENOMEM;
			say(why, WHY_MAX, "out of memory");
			goto out;
		}
		rc = fdio_read_all(fd, buf, (size_t)length, &got);
		if (rc < 0) {
			say(why, WHY_MAX, "read error: %s", strerror(-rc));
			goto out;
		}
		buf[got] = '\0';
		crc = crc_add(crc, buf, got);
	} else {
		uint64_t left = length;

		got = 0;
		while (left) {
			size_t want = left < sizeof(chunk) ? (size_t)left
							   : sizeof(chunk);
			size_t n;

			rc = fdio_read_all(fd, chunk, want, &n);
			if (rc < 0) {
				say(why, WHY_MAX, "read error: %s",
				    strerror(-rc));
				goto out;
			}
			crc = crc_add(crc, chunk, n);
			got += n;
			left -= n;
			if (n < want)
				break;
		}
	}
	rc = -EBADMSG;
	if (got < length) { /* shrank since fstat */
		say(why, WHY_MAX, "truncated (%llu bytes, header says %llu)",
		    (unsigned long long)(HDR + got),
		    (unsigned long long)(HDR + length));
		goto out;
	}
	if (crc != stored) {
		say(why, WHY_MAX, "checksum mismatch (stored 0x%08x, "
		    "computed 0x%08x)", (unsigned)stored, (unsigned)crc);
		goto out;
	}
	/* Covered by the checksum: a writer newer than us set these. */
	if (flags != 0 || get32(hb + 24) != 0) {
		say(why, WHY_MAX, "unsupported flags 0x%04x or reserved field "
		    "0x%08x", flags, (unsigned)get32(hb + 24));
		goto out;
	}

	*gen = get64(hb + 8);
	if (out) {
		*out = buf;
		*out_len = (size_t)length;
		buf = NULL;
	}
	why[0] = '\0';
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int statefile_read(const char *dir, const char *name, size_t max_len,
		   void **data, size_t *len, struct statefile_info *info)
{
	struct statefile_info local;
	char prev[NAME_MAX + 1];
	char why[WHY_MAX], why_prev[WHY_MAX];
	uint8_t *buf = NULL;
	size_t n = 0;
	uint64_t gen = 0;
	int dirfd = -1;
	int rc, rc_prev;

	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	if (data)
		*data = NULL;
	if (len)
		*len = 0;
	if (!dir || !data || !len || !valid_name(name)) {
		say(info->fault, sizeof(info->fault),
		    "state file %s/%s: invalid argument", dir ? dir : "(null)",
		    name ? name : "(null)");
		return -EINVAL;
	}
	if (max_len == 0 || max_len > STATEFILE_MAX_PAYLOAD)
		max_len = STATEFILE_MAX_PAYLOAD;
	say(prev, sizeof(prev), "%s.prev", name);

	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		rc = -errno;
		say(info->fault, sizeof(info->fault),
		    "state file %s%s%s: cannot open folder: %s", dir, sep(dir),
		    name, strerror(-rc));
		goto out;
	}

	rc = load(dirfd, name, max_len, &buf, &n, &gen, why);
	if (rc == 0)
		goto done;

	rc_prev = load(dirfd, prev, max_len, &buf, &n, &gen, why_prev);
	if (rc_prev == 0) {
		info->from_prev = true;
		say(info->fault, sizeof(info->fault),
		    "state file %s%s%s: %s; using previous copy %s (generation "
		    "%llu)", dir, sep(dir), name, why, prev,
		    (unsigned long long)gen);
		rc = 0;
		goto done;
	}
	say(info->fault, sizeof(info->fault),
	    "state file %s%s%s: %s; previous copy %s: %s", dir, sep(dir), name,
	    why, prev, why_prev);
	/* The more telling error: a missing copy says less than a bad one. */
	if (rc == -ENOENT)
		rc = rc_prev;
	goto out;

done:
	info->generation = gen;
	*data = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	if (dirfd >= 0)
		close(dirfd);
	return rc;
}

int statefile_write(const char *dir, const char *name, const void *data,
		    size_t len, struct statefile_info *info)
{
	struct statefile_info local;
	char tmp[NAME_MAX + 1], prev[NAME_MAX + 1];
	char why[WHY_MAX];
	uint8_t hb[HDR];
	const uint8_t *p = data;
	const char *what = NULL;
	uint64_t gen = 0, newgen = 1;
	bool rotate = false, tmp_made = false, cur_moved = false;
	size_t half;
	uint32_t crc;
	int dirfd = -1, fd = -1;
	int rc;

	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	if (!dir || !valid_name(name) || (!data && len)) {
		say(info->fault, sizeof(info->fault),
		    "state file %s/%s: invalid argument", dir ? dir : "(null)",
		    name ? name : "(null)");
		return -EINVAL;
	}
	if (len > STATEFILE_MAX_PAYLOAD) {
		say(info->fault, sizeof(info->fault),
		    "state file %s%s%s: payload of %zu bytes exceeds the limit "
		    "%zu", dir, sep(dir), name, len, STATEFILE_MAX_PAYLOAD);
		return -EMSGSIZE;
	}
	say(tmp, sizeof(tmp), "%s.tmp", name);
	say(prev, sizeof(prev), "%s.prev", name);

	what = "open folder";
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		rc = -errno;
		goto out;
	}

	/* Keep the current copy as NAME.prev only if it is good. */
	rc = load(dirfd, name, STATEFILE_MAX_PAYLOAD, NULL, NULL, &gen, why);
	if (rc == 0) {
		rotate = true;
		newgen = gen + 1;
	} else {
		if (rc != -ENOENT)
			say(info->fault, sizeof(info->fault),
			    "state file %s%s%s: %s; not kept as previous copy",
			    dir, sep(dir), name, why);
		if (load(dirfd, prev, STATEFILE_MAX_PAYLOAD, NULL, NULL, &gen,
			 why) == 0)
			newgen = gen + 1;
	}

	/* A stale NAME.tmp from a crash is simply replaced. */
	what = "remove stale temporary file";
	if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT) {
		rc = -errno;
		goto out;
	}
	what = "create temporary file";
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	tmp_made = true;
	step(STATEFILE_STEP_TMP_CREATED);

	memcpy(hb, magic, sizeof(magic));
	put16(hb + 4, STATEFILE_VERSION);
	put16(hb + 6, 0);
	put64(hb + 8, newgen);
	put64(hb + 16, len);
	put32(hb + 24, 0);
	crc = crc_add(crc_add(0, hb, HDR_CRC_OFFSET), p, len);
	put32(hb + HDR_CRC_OFFSET, crc);

	what = "write temporary file";
	half = len / 2;
	rc = fdio_write_all(fd, hb, HDR);
	if (rc < 0)
		goto out;
	rc = fdio_write_all(fd, p, half);
	if (rc < 0)
		goto out;
	step(STATEFILE_STEP_HALF_WRITTEN);
	rc = fdio_write_all(fd, p + half, len - half);
	if (rc < 0)
		goto out;
	step(STATEFILE_STEP_WRITTEN);

	what = "fsync temporary file";
	if (fsync(fd) < 0) {
		rc = -errno;
		goto out;
	}
	step(STATEFILE_STEP_FILE_SYNCED);
	what = "close temporary file";
	rc = close(fd) < 0 ? -errno : 0;
	fd = -1;
	if (rc < 0)
		goto out;

	if (rotate) {
		what = "remove previous copy";
		if (unlinkat(dirfd, prev, 0) < 0 && errno != ENOENT) {
			rc = -errno;
			goto out;
		}
	}
	step(STATEFILE_STEP_PREV_UNLINKED);
	if (rotate) {
		what = "link current copy as previous";
		if (linkat(dirfd, name, dirfd, prev, 0) < 0) {
			if (errno != EPERM && errno != EOPNOTSUPP &&
			    errno != EMLINK) {
				rc = -errno;
				goto out;
			}
			/* No hard links here (vfat): move it instead. */
			what = "rename current copy to previous";
			if (renameat(dirfd, name, dirfd, prev) < 0) {
				rc = -errno;
				goto out;
			}
			cur_moved = true;
		}
	}
	step(STATEFILE_STEP_PREV_LINKED);

	what = "rename temporary file";
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		rc = -errno;
		goto out;
	}
	tmp_made = false;
	cur_moved = false;
	step(STATEFILE_STEP_RENAMED);

	what = "fsync folder";
	if (fsync(dirfd) < 0) {
		rc = -errno;
		goto out;
	}
	step(STATEFILE_STEP_DIR_SYNCED);
	info->generation = newgen;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp_made)
		(void)unlinkat(dirfd, tmp, 0);
	if (cur_moved)
		(void)renameat(dirfd, prev, dirfd, name);
	if (dirfd >= 0)
		close(dirfd);
	if (rc < 0)
		say(info->fault, sizeof(info->fault),
		    "state file %s%s%s: %s failed: %s", dir, sep(dir), name,
		    what, strerror(-rc));
	return rc;
}
