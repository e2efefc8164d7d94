/* stream: byte streams over file descriptors.  See stream.h. */
#include "stream.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>

#define SF(s) ((struct stream_fd *)((char *)(s) - offsetof(struct stream_fd, s)))

static int
wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r;

	do
		r = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	return 0;
}

static ssize_t
sfd_read(struct stream *s, void *buf, size_t len)
{
	struct stream_fd *sf = SF(s);
	ssize_t r;
	int rc;

	for (;;) {
		if ((rc = wait_fd(sf->fd, POLLIN, s->timeout_ms)) < 0)
			return rc;
		r = read(sf->fd, buf, len);
		if (r >= 0)
			return r;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

static ssize_t
sfd_write(struct stream *s, const void *buf, size_t len)
{
	struct stream_fd *sf = SF(s);
	const char *p = buf;
	size_t done = 0;
	ssize_t r;
	int rc;

	while (done < len) {
		if ((rc = wait_fd(sf->fd, POLLOUT, s->timeout_ms)) < 0)
			return rc;
		r = send(sf->fd, p + done, len - done, MSG_NOSIGNAL);
		if (r < 0 && errno == ENOTSOCK)
			r = write(sf->fd, p + done, len - done);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		done += (size_t)r;
	}
	return (ssize_t)len;
}

static int
sfd_flush(struct stream *s)
{
	(void)s;
	return 0;
}

static void
sfd_close(struct stream *s)
{
	struct stream_fd *sf = SF(s);

	if (sf->fd >= 0)
		close(sf->fd);
	sf->fd = -1;
}

void
stream_fd_init(struct stream_fd *sf, int fd, int timeout_ms)
{
	sf->s.read = sfd_read;
	sf->s.write = sfd_write;
	sf->s.flush = sfd_flush;
	sf->s.close = sfd_close;
	sf->s.timeout_ms = timeout_ms;
	sf->fd = fd;
}
