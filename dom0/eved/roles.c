/*
 * roles: the table of eved's roles and the validation tables of every IPC
 * message between them (see eved.h).  Kept apart from main() so tests and
 * fuzz targets link the very tables eved uses.
 */
#include "eved.h"

#include <string.h>

const struct role_desc eved_roles[ROLE_COUNT] = {
	[ROLE_EVC] = { ROLE_EVC, "evc", "controller sockets, TLS, HTTP, protobuf decode",
		       evc_init, evc_on_msg, evc_fini },
	[ROLE_DOWNLOAD] = { ROLE_DOWNLOAD, "download", "datastore sockets, the download folder" },
	[ROLE_IDENTITY] = { ROLE_IDENTITY, "identity", "device and onboarding keys, signing",
			    identity_init, identity_on_msg, identity_fini },
	[ROLE_APPS] = { ROLE_APPS, "apps", "hypervisor handle, volumes, image verification" },
	[ROLE_NET] = { ROLE_NET, "net", "netlink, nftables, port drivers" },
	[ROLE_BASEOS] = { ROLE_BASEOS, "baseos", "the A/B partitions" },
};

static const struct ipc_type_desc to_parent_types[] = {
	{ IPC_HELLO, "HELLO", sizeof(struct ipc_hello), sizeof(struct ipc_hello), IPC_FD_NEVER },
	{ IPC_PONG, "PONG", sizeof(uint64_t), sizeof(uint64_t), IPC_FD_NEVER },
	{ IPC_LOG, "LOG", sizeof(struct log_entry), sizeof(struct log_entry), IPC_FD_NEVER },
	{ IPC_SIGN_REQ, "SIGN_REQ", sizeof(struct ipc_sign_req), sizeof(struct ipc_sign_req),
	  IPC_FD_NEVER },
	{ IPC_SIGN_REP, "SIGN_REP", sizeof(struct ipc_sign_rep), sizeof(struct ipc_sign_rep),
	  IPC_FD_NEVER },
	{ IPC_IDENTITY, "IDENTITY", IPC_IDENTITY_FIXED, sizeof(struct ipc_identity), IPC_FD_NEVER },
};
static const struct ipc_type_desc to_role_types[] = {
	{ IPC_PING, "PING", sizeof(uint64_t), sizeof(uint64_t), IPC_FD_NEVER },
	{ IPC_SHUTDOWN, "SHUTDOWN", 0, 0, IPC_FD_NEVER },
	{ IPC_LOG, "LOG", sizeof(struct log_entry), sizeof(struct log_entry), IPC_FD_NEVER },
	{ IPC_SIGN_REQ, "SIGN_REQ", sizeof(struct ipc_sign_req), sizeof(struct ipc_sign_req),
	  IPC_FD_NEVER },
	{ IPC_SIGN_REP, "SIGN_REP", sizeof(struct ipc_sign_rep), sizeof(struct ipc_sign_rep),
	  IPC_FD_NEVER },
	{ IPC_IDENTITY, "IDENTITY", IPC_IDENTITY_FIXED, sizeof(struct ipc_identity), IPC_FD_NEVER },
};
const struct ipc_proto eved_proto_to_parent = {
	"role->supervisor", to_parent_types, sizeof(to_parent_types) / sizeof(to_parent_types[0])
};
const struct ipc_proto eved_proto_to_role = {
	"supervisor->role", to_role_types, sizeof(to_role_types) / sizeof(to_role_types[0])
};

const struct role_desc *
eved_role_find(const char *name)
{
	for (int i = 0; i < ROLE_COUNT; i++)
		if (strcmp(eved_roles[i].name, name) == 0)
			return &eved_roles[i];
	return NULL;
}
