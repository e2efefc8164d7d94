/*
 * roles: the table of eved's roles and the validation tables of every IPC
 * message between them (see eved.h).  Kept apart from main() so tests and
 * fuzz targets link the very tables eved uses.
 */
#include "eved.h"

#include "appstatus.h"

#include <string.h>

const struct role_desc eved_roles[ROLE_COUNT] = {
	[ROLE_EVC] = { ROLE_EVC, "evc", "controller sockets, TLS, HTTP, protobuf decode",
		       evc_init, evc_on_msg, evc_fini },
	[ROLE_DOWNLOAD] = { ROLE_DOWNLOAD, "download", "datastore sockets, the download folder",
			    download_init, download_on_msg, download_fini },
	[ROLE_IDENTITY] = { ROLE_IDENTITY, "identity", "device and onboarding keys, signing",
			    identity_init, identity_on_msg, identity_fini },
	[ROLE_APPS] = { ROLE_APPS, "apps", "hypervisor handle, volumes, image verification",
			apps_init, apps_on_msg, apps_fini },
	[ROLE_NET] = { ROLE_NET, "net", "netlink, packet sockets of the DHCP ports",
		       net_init, NULL, net_fini },
	[ROLE_BASEOS] = { ROLE_BASEOS, "baseos", "the A/B partitions" },
	[ROLE_CONSOLE] = { ROLE_CONSOLE, "console", "the debug console's serial line (when enabled)",
			   console_init, console_on_msg, console_fini },
};

/* Messages relayed between roles (eved_routes[]): the same bounds on the
 * way up to the supervisor and on the way down to the destination. */
#define ROUTED_TYPES \
	{ IPC_APPS_PLAN, "APPS_PLAN", sizeof(uint64_t), sizeof(uint64_t), IPC_FD_REQUIRED }, \
	{ IPC_APPS_STATUS, "APPS_STATUS", sizeof(uint64_t), sizeof(uint64_t), IPC_FD_REQUIRED }, \
	{ IPC_APPS_METRICS, "APPS_METRICS", offsetof(struct apps_metrics, m), \
	  sizeof(struct apps_metrics), IPC_FD_NEVER }, \
	{ IPC_DL_REQ, "DL_REQ", offsetof(struct ipc_dl_req, cert_pem), sizeof(struct ipc_dl_req), \
	  IPC_FD_NEVER }, \
	{ IPC_DL_CANCEL, "DL_CANCEL", sizeof(struct ipc_dl_id), sizeof(struct ipc_dl_id), \
	  IPC_FD_NEVER }, \
	{ IPC_DL_STATUS, "DL_STATUS", sizeof(struct ipc_dl_status), sizeof(struct ipc_dl_status), \
	  IPC_FD_OPTIONAL }, \
	{ IPC_CONSOLE_ENABLE, "CONSOLE_ENABLE", sizeof(struct ipc_console_enable), \
	  sizeof(struct ipc_console_enable), IPC_FD_NEVER }, \
	{ IPC_CONSOLE_STATE, "CONSOLE_STATE", sizeof(struct ipc_console_state), \
	  sizeof(struct ipc_console_state), IPC_FD_NEVER },

static const struct ipc_type_desc to_parent_types[] = {
	{ IPC_HELLO, "HELLO", sizeof(struct ipc_hello), sizeof(struct ipc_hello), IPC_FD_NEVER },
	{ IPC_PONG, "PONG", sizeof(uint64_t), sizeof(uint64_t), IPC_FD_NEVER },
	{ IPC_LOG, "LOG", sizeof(struct log_entry), sizeof(struct log_entry), IPC_FD_NEVER },
	{ IPC_SIGN_REQ, "SIGN_REQ", sizeof(struct ipc_sign_req), sizeof(struct ipc_sign_req),
	  IPC_FD_NEVER },
	{ IPC_SIGN_REP, "SIGN_REP", sizeof(struct ipc_sign_rep), sizeof(struct ipc_sign_rep),
	  IPC_FD_NEVER },
	{ IPC_IDENTITY, "IDENTITY", IPC_IDENTITY_FIXED, sizeof(struct ipc_identity), IPC_FD_NEVER },
	{ IPC_CONSOLE_LOGS, "CONSOLE_LOGS", sizeof(uint32_t), sizeof(uint32_t), IPC_FD_NEVER },
	ROUTED_TYPES
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
	{ IPC_CONSOLE_LOGS, "CONSOLE_LOGS", sizeof(uint64_t), sizeof(uint64_t), IPC_FD_REQUIRED },
	ROUTED_TYPES
};
const struct ipc_proto eved_proto_to_parent = {
	"role->supervisor", to_parent_types, sizeof(to_parent_types) / sizeof(to_parent_types[0])
};
const struct ipc_proto eved_proto_to_role = {
	"supervisor->role", to_role_types, sizeof(to_role_types) / sizeof(to_role_types[0])
};

/* Messages the supervisor passes from one role to another as they are
 * (with their fd); `keep`: the last one is kept and given again to the
 * destination whenever it (re)starts.  A type listed more than once from
 * the same sender goes to every destination listed. */
const struct eved_route eved_routes[] = {
	{ IPC_APPS_PLAN, ROLE_EVC, ROLE_APPS, true },
	{ IPC_APPS_STATUS, ROLE_APPS, ROLE_EVC, true },
	{ IPC_APPS_METRICS, ROLE_APPS, ROLE_EVC, false },
	{ IPC_DL_REQ, ROLE_APPS, ROLE_DOWNLOAD, false },
	{ IPC_DL_CANCEL, ROLE_APPS, ROLE_DOWNLOAD, false },
	{ IPC_DL_STATUS, ROLE_DOWNLOAD, ROLE_APPS, false },
	{ IPC_APPS_STATUS, ROLE_APPS, ROLE_CONSOLE, true },  /* for `domains` */
	{ IPC_CONSOLE_ENABLE, ROLE_EVC, ROLE_CONSOLE, true },
	{ IPC_CONSOLE_STATE, ROLE_CONSOLE, ROLE_EVC, true },
};
const size_t eved_nroutes = sizeof(eved_routes) / sizeof(eved_routes[0]);

const struct eved_route *
eved_route_find(uint16_t type)
{
	for (size_t i = 0; i < eved_nroutes; i++)
		if (eved_routes[i].type == type)
			return &eved_routes[i];
	return NULL;
}

const struct role_desc *
eved_role_find(const char *name)
{
	for (int i = 0; i < ROLE_COUNT; i++)
		if (strcmp(eved_roles[i].name, name) == 0)
			return &eved_roles[i];
	return NULL;
}
