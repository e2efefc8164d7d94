/*
 * evc: the network-facing role that talks to the controller (DESIGN.md §3):
 * TLS, HTTP, protobuf decode.  It holds no key: signatures come from the
 * identity role through an ipc_signer, and the device's public identity
 * (certificate, key location) arrives as IPC_IDENTITY.
 */
#include "eved.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct evc {
	struct ipc_identity id;
	bool have_id;
	struct ipc_signer device_signer;
	struct ipc_signer onboard_signer;
};

int
evc_init(struct role_ctx *ctx)
{
	struct evc *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	ctx->state = e;
	return 0;
}

static int
evc_take_identity(struct role_ctx *ctx, const struct ipc_msg *m)
{
	struct evc *e = ctx->state;

	memset(&e->id, 0, sizeof(e->id));
	memcpy(&e->id, m->data, m->len);
	if (e->id.cert_len != m->len - IPC_IDENTITY_FIXED) {
		log_err("IDENTITY: %u certificate bytes announced, %zu carried", e->id.cert_len,
			(size_t)(m->len - IPC_IDENTITY_FIXED));
		return -EBADMSG;
	}
	e->have_id = true;
	ipc_signer_init(&e->device_signer, ctx, IPC_KEY_DEVICE, e->id.pub, 10000);
	e->device_signer.s.in_tpm = e->id.in_tpm;
	ipc_signer_init(&e->onboard_signer, ctx, IPC_KEY_ONBOARD, NULL, 10000);
	log_info("device identity: certificate of %u bytes, key %s", e->id.cert_len,
		 e->id.in_tpm ? "in the TPM" : "soft");
	return 0;
}

int
evc_on_msg(struct role_ctx *ctx, const struct ipc_msg *m)
{
	switch (m->type) {
	case IPC_IDENTITY:
		return evc_take_identity(ctx, m);
	default:
		log_err("evc does not take message type %u", m->type);
		return -EBADMSG;
	}
}

void
evc_fini(struct role_ctx *ctx)
{
	free(ctx->state);
	ctx->state = NULL;
}
