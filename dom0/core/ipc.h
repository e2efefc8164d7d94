/*
 * ipc: typed, length-prefixed, size-bounded messages between eved's roles,
 * over AF_UNIX SOCK_SEQPACKET socketpairs (one datagram = one message), with
 * at most one file descriptor passed per message (SCM_RIGHTS).
 *
 * Wire form of a message (host byte order: both ends are the same binary):
 *     struct ipc_hdr { uint16 type; uint16 flags; uint32 len; }  then len bytes
 *
 * Each peer validates every message on receipt against a table of the types
 * it accepts (struct ipc_proto): payload length bounds, and whether an fd must,
 * may or must not come with it.  A datagram shorter than its header says
 * (truncated), longer than the table allows or than IPC_MAX_PAYLOAD
 * (oversized), of an unknown type, or carrying an fd it should not is
 * rejected with -EBADMSG and a sentence naming the message and the reason;
 * any fd it carried is closed.  DESIGN.md §3: such a message is fatal for a
 * role, which the supervisor restarts.
 *
 * Ownership: ipc_recv fills a caller-owned struct ipc_msg whose data points
 * into the caller's buffer; a received fd becomes the caller's (close it).
 * ipc_send never takes ownership of the fd it passes.
 */
#ifndef EV_IPC_H
#define EV_IPC_H

#include <stddef.h>
#include <stdint.h>

#define IPC_MAX_PAYLOAD (64 * 1024) /* bulk data travels as a memfd */

struct ipc_hdr {
	uint16_t type;
	uint16_t flags;  /* IPC_F_* */
	uint32_t len;    /* payload bytes after the header */
};

#define IPC_F_FD 0x1     /* an fd rides with this message */

enum ipc_fd_rule { IPC_FD_NEVER, IPC_FD_OPTIONAL, IPC_FD_REQUIRED };

struct ipc_type_desc {
	uint16_t type;
	const char *name;
	uint32_t min_len, max_len;
	enum ipc_fd_rule fd;
};

struct ipc_proto {
	const char *name;                   /* "supervisor<-evc", for errors */
	const struct ipc_type_desc *types;
	size_t ntypes;
};

struct ipc_msg {
	uint16_t type;
	uint32_t len;
	const uint8_t *data; /* into the caller's buffer */
	int fd;              /* -1 if none */
};

#define IPC_ERR_MAX 160

/* Creates a SOCK_SEQPACKET socketpair, close-on-exec. */
int ipc_pair(int sv[2]);

/* Looks a type up in a table; NULL if unknown. */
const struct ipc_type_desc *ipc_type_find(const struct ipc_proto *p, uint16_t type);

/*
 * Sends one message.  The message is checked against p first (a sender bug
 * is reported the same way a receiver would).  fd < 0: none.
 * Returns 0, -EAGAIN (non-blocking socket full), -EPIPE (peer gone),
 * -EBADMSG (invalid against p; err says why) or another -errno.
 */
int ipc_send(int sock, const struct ipc_proto *p, uint16_t type, const void *data,
	     size_t len, int fd, char err[IPC_ERR_MAX]);

/*
 * Receives one message into buf (bufsz >= sizeof(struct ipc_hdr) +
 * the largest max_len in p).  Returns 0, -EAGAIN (nothing waiting on a
 * non-blocking socket), -EPIPE (peer closed), -EBADMSG (rejected; err says
 * why; any fd closed) or another -errno.
 */
int ipc_recv(int sock, const struct ipc_proto *p, struct ipc_msg *msg, void *buf,
	     size_t bufsz, char err[IPC_ERR_MAX]);

/* Validates a message already split into header + payload; pure. */
int ipc_validate(const struct ipc_proto *p, const struct ipc_hdr *h, size_t datagram_len,
		 int has_fd, char err[IPC_ERR_MAX]);

/*
 * Bulk data between roles: a sealed memfd.  ipc_blob_make copies len bytes
 * into a new memfd and seals it (no write, grow, shrink, or further seals),
 * so a receiver reads exactly what was sent, however many times it is
 * passed on.  ipc_blob_read refuses an fd that is not such a sealed memfd
 * (-EPERM) or is larger than max (-EFBIG), and reads it from offset 0 with
 * pread (the file offset is shared by every holder of the fd) into a
 * malloc'd buffer (the caller's, free()).  Both return 0 or -errno.
 */
int ipc_blob_make(const char *name, const void *data, size_t len, int *fd);
int ipc_blob_read(int fd, size_t max, void **data, size_t *len);

#endif
