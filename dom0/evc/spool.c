/* spool: batches on /persist waiting for the controller.  See spool.h. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"

/* A batch file name: 16 digits then ".gz". */
static int
parse_name(const char *n, uint64_t *seq)
{
	uint64_t v = 0;

	if (strlen(n) != 19 || strcmp(n + 16, ".gz") != 0)
		return -1;
	for (int i = 0; i < 16; i++) {
		if (n[i] < '0' || n[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(n[i] - '0');
	}
	*seq = v;
	return 0;
}

/* Walks the folder: count, bytes, oldest and newest sequence numbers. */
static int
scan(struct spool *s, unsigned *files, size_t *bytes, uint64_t *oldest, uint64_t *newest)
{
	DIR *d = opendir(s->dir);
	struct dirent *de;
	struct stat st;
	char path[600];
	uint64_t seq;

	*files = 0;
	*bytes = 0;
	*oldest = UINT64_MAX;
	*newest = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (parse_name(de->d_name, &seq) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
		if (stat(path, &st) < 0)
			continue;
		(*files)++;
		*bytes += (size_t)st.st_size;
		if (seq < *oldest)
			*oldest = seq;
		if (seq > *newest)
			*newest = seq;
	}
	closedir(d);
	return 0;
}

int
spool_open(struct spool *s, const char *dir, size_t max_bytes, unsigned max_files,
	   char err[SPOOL_ERR_MAX])
{
	unsigned files;
	size_t bytes;
	uint64_t oldest, newest;
	int rc;

	memset(s, 0, sizeof(*s));
	if (strlen(dir) >= sizeof(s->dir) - 32) {
		snprintf(err, SPOOL_ERR_MAX, "spool %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->max_bytes = max_bytes;
	s->max_files = max_files ? max_files : 1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, SPOOL_ERR_MAX, "spool %s: %s", dir, strerror(errno));
		return rc;
	}
	if ((rc = scan(s, &files, &bytes, &oldest, &newest)) < 0) {
		snprintf(err, SPOOL_ERR_MAX, "spool %s: %s", dir, strerror(-rc));
		return rc;
	}
	s->next_seq = files ? newest + 1 : 1;
	return 0;
}

int
spool_put(struct spool *s, const uint8_t *data, size_t len, char err[SPOOL_ERR_MAX])
{
	char path[600];
	unsigned files;
	size_t bytes;
	uint64_t oldest, newest;
	int rc;

	/* make room first: drop the oldest batches beyond the bounds */
	while (scan(s, &files, &bytes, &oldest, &newest) == 0 && files &&
	       (files + 1 > s->max_files || bytes + len > s->max_bytes)) {
		spool_remove(s, oldest);
		s->dropped++;
	}
	snprintf(path, sizeof(path), "%s/%016" PRIu64 ".gz", s->dir, s->next_seq);
	rc = atomicfile_write(path, data, len, 0600, ATOMICFILE_NOREPLACE, err, SPOOL_ERR_MAX);
	if (rc < 0)
		return rc;
	s->next_seq++;
	return 0;
}

int
spool_oldest(struct spool *s, uint64_t *seq, uint8_t **data, size_t *len, char err[SPOOL_ERR_MAX])
{
	unsigned files;
	size_t bytes;
	uint64_t oldest, newest;
	char path[600];
	int rc;

	*data = NULL;
	*len = 0;
	if ((rc = scan(s, &files, &bytes, &oldest, &newest)) < 0) {
		snprintf(err, SPOOL_ERR_MAX, "spool %s: %s", s->dir, strerror(-rc));
		return rc;
	}
	if (!files)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/%016" PRIu64 ".gz", s->dir, oldest);
	rc = atomicfile_read(path, 64u << 20, (char **)data, len, err, SPOOL_ERR_MAX);
	if (rc < 0)
		return rc;
	*seq = oldest;
	return 0;
}

int
spool_remove(struct spool *s, uint64_t seq)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%016" PRIu64 ".gz", s->dir, seq);
	return unlink(path) < 0 ? -errno : 0;
}

int
spool_stat(struct spool *s, unsigned *files, size_t *bytes)
{
	uint64_t o, n;

	return scan(s, files, bytes, &o, &n);
}
