/*
 * Fuzz target: an IPC datagram as a hostile peer could send it, through
 * ipc_recv's validation against eved's real tables (both directions).
 * Input: byte 0 selects the table; the rest is the datagram.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eved.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[sizeof(struct ipc_hdr) + IPC_MAX_PAYLOAD];
	static int sv[2] = { -1, -1 };
	const struct ipc_proto *p;
	char err[IPC_ERR_MAX];
	struct ipc_msg m;
	int rc;

	if (size < 1 || size > sizeof(buf))
		return 0;
	if (sv[0] < 0 && ipc_pair(sv) < 0)
		abort();
	p = data[0] & 1 ? &eved_proto_to_parent : &eved_proto_to_role;
	if (send(sv[0], data + 1, size - 1, 0) < 0)
		return 0;
	rc = ipc_recv(sv[1], p, &m, buf, sizeof(buf), err);
	if (rc == 0) {
		const struct ipc_type_desc *d = ipc_type_find(p, m.type);
		/* what validation accepted must fit the table */
		if (!d || m.len < d->min_len || m.len > d->max_len || m.fd != -1 ||
		    m.len != size - 1 - sizeof(struct ipc_hdr))
			abort();
	} else if (rc == -EBADMSG && err[0] == '\0') {
		abort(); /* every rejection says why */
	}
	return 0;
}
