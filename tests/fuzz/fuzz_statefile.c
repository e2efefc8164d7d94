/*
 * Fuzz target: statefile_read on hostile file content.  Input byte 0 picks
 * where the rest lands: the current copy (with a valid previous copy
 * present, so the fallback path runs) or the previous copy (with no current).
 * Whatever the bytes, the read must return a valid copy or a reasoned error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "statefile.h"

static char dir[64];

static void
put(const char *name, const uint8_t *d, size_t n)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (n && write(fd, d, n) != (ssize_t)n))
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char good[] = "previous good content";
	struct statefile_info info;
	char path[128];
	void *out = NULL;
	size_t len = 0;
	int rc;

	if (size < 1)
		return 0;
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-statefile.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/s", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/s.prev", dir);
	unlink(path);
	if (data[0] & 1) {
		put("s.prev", data + 1, size - 1);
	} else {
		/* a valid previous copy: write twice so the first becomes .prev */
		if (statefile_write(dir, "s", good, sizeof(good), NULL) < 0 ||
		    statefile_write(dir, "s", good, sizeof(good), NULL) < 0)
			abort();
		put("s", data + 1, size - 1);
	}
	rc = statefile_read(dir, "s", 1 << 20, &out, &len, &info);
	if (rc == 0) {
		if (!out)
			abort();
		/* a fallback must say why, and must give the good copy */
		if (info.from_prev && !info.fault[0])
			abort();
		if (info.from_prev && !(data[0] & 1) &&
		    (len != sizeof(good) || memcmp(out, good, len) != 0))
			abort();
	} else if (out || len || !info.fault[0]) {
		abort();
	}
	free(out);
	return 0;
}
