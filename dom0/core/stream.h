/*
 * stream: the byte-stream interface that protocol clients (HTTP) run over,
 * whatever carries the bytes: a plain TCP socket, a socket after an HTTP
 * CONNECT through a proxy, or a BearSSL TLS session on either.
 *
 * Ownership: a struct stream is embedded in its implementation's context
 * (container_of style) and owned by whoever created that context; close()
 * releases what the implementation holds (for stream_fd: the fd).
 */
#ifndef EV_STREAM_H
#define EV_STREAM_H

#include <stddef.h>
#include <sys/types.h>

struct stream {
	/* Reads up to len bytes: > 0 bytes read, 0 at end of stream, or -errno
	 * (-ETIMEDOUT after timeout_ms without progress). */
	ssize_t (*read)(struct stream *s, void *buf, size_t len);
	/* Writes all len bytes (or fails): len, or -errno. */
	ssize_t (*write)(struct stream *s, const void *buf, size_t len);
	/* Pushes buffered bytes out (TLS records): 0 or -errno. */
	int (*flush)(struct stream *s);
	void (*close)(struct stream *s);
	int timeout_ms; /* per read/write wait; <= 0: wait forever */
};

/* A stream over a connected socket or pipe. */
struct stream_fd {
	struct stream s;
	int fd;
};

/* Takes ownership of fd (closed by s.close). */
void stream_fd_init(struct stream_fd *sf, int fd, int timeout_ms);

#endif
