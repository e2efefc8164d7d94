/* ipc: typed, bounded messages over SEQPACKET socketpairs.  See ipc.h. */
#include "ipc.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int
ipc_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	return 0;
}

const struct ipc_type_desc *
ipc_type_find(const struct ipc_proto *p, uint16_t type)
{
	for (size_t i = 0; i < p->ntypes; i++)
		if (p->types[i].type == type)
			return &p->types[i];
	return NULL;
}

int
ipc_validate(const struct ipc_proto *p, const struct ipc_hdr *h, size_t datagram_len,
	     int has_fd, char err[IPC_ERR_MAX])
{
	const struct ipc_type_desc *d;

	if (datagram_len < sizeof(*h)) {
		snprintf(err, IPC_ERR_MAX, "%s: truncated message: %zu bytes, header needs %zu",
			 p->name, datagram_len, sizeof(*h));
		return -EBADMSG;
	}
	d = ipc_type_find(p, h->type);
	if (!d) {
		snprintf(err, IPC_ERR_MAX, "%s: unknown message type %u (%u payload bytes)",
			 p->name, h->type, h->len);
		return -EBADMSG;
	}
	if (h->len > IPC_MAX_PAYLOAD || h->len > d->max_len) {
		snprintf(err, IPC_ERR_MAX, "%s: %s oversized: %u payload bytes, at most %u",
			 p->name, d->name, h->len,
			 d->max_len < IPC_MAX_PAYLOAD ? d->max_len : IPC_MAX_PAYLOAD);
		return -EBADMSG;
	}
	if (datagram_len - sizeof(*h) < h->len) {
		snprintf(err, IPC_ERR_MAX, "%s: %s truncated: header says %u payload bytes, got %zu",
			 p->name, d->name, h->len, datagram_len - sizeof(*h));
		return -EBADMSG;
	}
	if (datagram_len - sizeof(*h) > h->len) {
		snprintf(err, IPC_ERR_MAX, "%s: %s has %zu bytes past its %u-byte payload",
			 p->name, d->name, datagram_len - sizeof(*h) - h->len, h->len);
		return -EBADMSG;
	}
	if (h->len < d->min_len) {
		snprintf(err, IPC_ERR_MAX, "%s: %s too short: %u payload bytes, at least %u",
			 p->name, d->name, h->len, d->min_len);
		return -EBADMSG;
	}
	if (!!(h->flags & IPC_F_FD) != !!has_fd) {
		snprintf(err, IPC_ERR_MAX, "%s: %s: header and ancillary data disagree on an fd",
			 p->name, d->name);
		return -EBADMSG;
	}
	if (h->flags & ~IPC_F_FD) {
		snprintf(err, IPC_ERR_MAX, "%s: %s: unknown flags 0x%x", p->name, d->name,
			 h->flags & ~IPC_F_FD);
		return -EBADMSG;
	}
	if (has_fd && d->fd == IPC_FD_NEVER) {
		snprintf(err, IPC_ERR_MAX, "%s: %s must not carry an fd", p->name, d->name);
		return -EBADMSG;
	}
	if (!has_fd && d->fd == IPC_FD_REQUIRED) {
		snprintf(err, IPC_ERR_MAX, "%s: %s needs an fd and came without one", p->name,
			 d->name);
		return -EBADMSG;
	}
	return 0;
}

int
ipc_send(int sock, const struct ipc_proto *p, uint16_t type, const void *data, size_t len,
	 int fd, char err[IPC_ERR_MAX])
{
	struct ipc_hdr h = { .type = type, .flags = fd >= 0 ? IPC_F_FD : 0,
			     .len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, len } };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	int rc;
	ssize_t r;

	err[0] = '\0';
	rc = ipc_validate(p, &h, sizeof(h) + len, fd >= 0, err);
	if (rc < 0)
		return rc;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		rc = -errno;
		snprintf(err, IPC_ERR_MAX, "%s: sending %s: %s", p->name,
			 ipc_type_find(p, type)->name, strerror(errno));
		return rc == -ECONNRESET ? -EPIPE : rc;
	}
	return 0;
}

int
ipc_recv(int sock, const struct ipc_proto *p, struct ipc_msg *msg, void *buf, size_t bufsz,
	 char err[IPC_ERR_MAX])
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct iovec iov = { buf, bufsz };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf) };
	struct ipc_hdr h = { 0, 0, 0 };
	struct cmsghdr *c;
	int fds[4], nfd = 0, rc = 0;
	ssize_t r;

	err[0] = '\0';
	msg->fd = -1;
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -EAGAIN;
		if (errno == ECONNRESET)
			return -EPIPE;
		rc = -errno;
		snprintf(err, IPC_ERR_MAX, "%s: receive: %s", p->name, strerror(errno));
		return rc;
	}
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n && nfd < 4; i++)
			memcpy(&fds[nfd++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if (r == 0 && nfd == 0)
		return -EPIPE; /* SEQPACKET: a zero-length read is the peer closing */
	if (mh.msg_flags & MSG_TRUNC) {
		snprintf(err, IPC_ERR_MAX, "%s: oversized message: more than %zu bytes", p->name,
			 bufsz);
		rc = -EBADMSG;
		goto out;
	}
	if (mh.msg_flags & MSG_CTRUNC || nfd > 1) {
		snprintf(err, IPC_ERR_MAX, "%s: message carries more than one fd", p->name);
		rc = -EBADMSG;
		goto out;
	}
	if ((size_t)r >= sizeof(h))
		memcpy(&h, buf, sizeof(h));
	rc = ipc_validate(p, &h, (size_t)r, nfd == 1, err);
	if (rc < 0)
		goto out;
	msg->type = h.type;
	msg->len = h.len;
	msg->data = (const uint8_t *)buf + sizeof(h);
	if (nfd == 1) {
		msg->fd = fds[0];
		nfd = 0;
	}
out:
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	return rc;
}

/* ---- sealed memfd blobs ---- */

#define IPC_BLOB_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int
ipc_blob_make(const char *name, const void *data, size_t len, int *out)
{
	int fd, rc;

	*out = -1;
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	rc = fdio_write_all(fd, data, len);
	if (rc < 0)
		goto out;
	if (fcntl(fd, F_ADD_SEALS, IPC_BLOB_SEALS) < 0) {
		rc = -errno;
		goto out;
	}
	*out = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int
ipc_blob_read(int fd, size_t max, void **data, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int seals, rc;

	*data = NULL;
	*len = 0;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & IPC_BLOB_SEALS) != IPC_BLOB_SEALS)
		return -EPERM;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t r = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			free(buf);
			return rc;
		}
		got += (size_t)r;
	}
	*data = buf;
	*len = got;
	return 0;
}
