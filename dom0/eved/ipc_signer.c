/*
 * ipc_signer: a struct signer for roles that hold no key.  sign() sends the
 * hash to the supervisor, which relays it to the identity role, and waits
 * (bounded) for the matching IPC_SIGN_REP, handling whatever else arrives
 * meanwhile (PINGs) as the role's loop would.  Used synchronously, e.g. from
 * inside a TLS handshake or while sealing an AuthContainer.
 */
#include "eved.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"

static int
ipc_signer_sign(struct signer *s, const uint8_t hash[32], uint8_t sig[SIGNER_SIG_LEN])
{
	struct ipc_signer *is = (struct ipc_signer *)s;
	struct role_ctx *ctx = is->ctx;
	struct ipc_sign_req req = { .id = ++is->next_id, .key = is->key };
	uint8_t buf[sizeof(struct ipc_hdr) + IPC_MAX_PAYLOAD];
	uint64_t deadline = evloop_now_ms() + (uint64_t)is->timeout_ms;
	char err[IPC_ERR_MAX];
	struct ipc_msg m;
	struct ipc_sign_rep rep;
	int rc;

	memcpy(req.hash, hash, 32);
	if ((rc = role_send(ctx, IPC_SIGN_REQ, &req, sizeof(req))) < 0)
		return rc;
	for (;;) {
		struct pollfd p = { .fd = ctx->sock, .events = POLLIN };
		uint64_t now = evloop_now_ms();

		if (ctx->sock < 0)
			return -EPIPE;
		if (now >= deadline) {
			log_err("no signature from the identity role within %d ms", is->timeout_ms);
			return -ETIMEDOUT;
		}
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		rc = ipc_recv(ctx->sock, &eved_proto_to_role, &m, buf, sizeof(buf), err);
		if (rc == -EAGAIN)
			continue;
		if (rc == -EPIPE) {
			ctx->sock = -1;
			return -EPIPE;
		}
		if (rc < 0)
			fatal("%s", err);
		if (m.type == IPC_SIGN_REP) {
			memcpy(&rep, m.data, sizeof(rep));
			if (rep.id != req.id)
				continue; /* an answer to a request we gave up on */
			if (rep.rc < 0)
				return rep.rc;
			memcpy(sig, rep.sig, SIGNER_SIG_LEN);
			return 0;
		}
		rc = role_dispatch(ctx, &m);
		if (m.fd >= 0)
			close(m.fd);
		if (rc < 0)
			fatal("%s: message type %u: %s", ctx->rd->name, m.type, strerror(-rc));
	}
}

void
ipc_signer_init(struct ipc_signer *is, struct role_ctx *ctx, enum ipc_key key,
		const uint8_t pub[65], int timeout_ms)
{
	memset(is, 0, sizeof(*is));
	is->s.sign = ipc_signer_sign;
	if (pub)
		memcpy(is->s.pub, pub, 65);
	is->ctx = ctx;
	is->key = key;
	is->timeout_ms = timeout_ms;
}
