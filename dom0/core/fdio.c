/* fdio: whole reads and writes.  See fdio.h. */
#include "fdio.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

int
fdio_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, p + done, n - done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		done += (size_t)w;
	}
	return 0;
}

int
fdio_read_all(int fd, void *buf, size_t n, size_t *got)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, p + done, n - done);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			*got = done;
			return -errno;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}
