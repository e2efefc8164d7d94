/*
 * fdio: whole reads and writes on a file descriptor, through short counts
 * and EINTR.  Used by the file modules (atomicfile, statefile).
 */
#ifndef EV_FDIO_H
#define EV_FDIO_H

#include <stddef.h>

/* Writes all n bytes: 0, or -errno (-EIO if write made no progress). */
int fdio_write_all(int fd, const void *buf, size_t n);
/* Reads up to n bytes, stopping early only at end of file: 0 and *got, or
 * -errno (with *got what was read before the error). */
int fdio_read_all(int fd, void *buf, size_t n, size_t *got);

#endif
