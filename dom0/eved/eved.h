/*
 * eved: the control-domain program.  One binary; the supervisor (PID 1 in
 * dom0) fork+execs itself once per role (DESIGN.md §3), so every role starts
 * from a fresh address space and holds only what its role holds.
 *
 *   eved.c        options, main(): supervisor or a role (--role NAME)
 *   supervisor.c  the parent: starts, pings, restarts and stops the roles
 *   role.c        what every role process runs: its link to the supervisor,
 *                 log forwarding, liveness answers, clean exit
 *
 * Every message between processes is listed in enum ipc_type below and in
 * the two validation tables (what a role may send up, what it accepts down).
 */
#ifndef EV_EVED_H
#define EV_EVED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc.h"
#include "log.h"

/* fd on which a role process finds its socket to the supervisor */
#define EVED_ROLE_FD 3

enum ipc_type {
	IPC_HELLO = 1,   /* role -> parent: struct ipc_hello; the role is ready */
	IPC_PING,        /* parent -> role: uint64 cookie */
	IPC_PONG,        /* role -> parent: the same uint64 cookie */
	IPC_LOG,         /* role -> parent: struct log_entry, into the parent's ring */
	IPC_SHUTDOWN,    /* parent -> role: no payload; exit cleanly */
};

enum role_id {
	ROLE_EVC,        /* controller client: TLS, HTTP, protobuf decode */
	ROLE_DOWNLOAD,   /* datastore downloads */
	ROLE_IDENTITY,   /* device and onboarding keys (TPM or soft), signing */
	ROLE_APPS,       /* libxl / QEMU, volumes, verification */
	ROLE_NET,        /* netlink, nftables, port drivers */
	ROLE_BASEOS,     /* the A/B partitions */
	ROLE_COUNT
};

struct ipc_hello {
	uint32_t role;   /* enum role_id */
	int32_t pid;
};

struct eved_opts {
	const char *config_dir;     /* /config */
	const char *persist_dir;    /* /persist */
	bool host_mode;             /* a service on a Linux host, not dom0 */
	enum log_level log_level;
	unsigned ping_interval_ms;  /* liveness ping; 3 missed answers = hung */
	unsigned stop_timeout_ms;   /* SIGTERM to SIGKILL on shutdown */
	unsigned backoff_min_ms;    /* first restart delay, doubled per crash */
	unsigned backoff_max_ms;
	unsigned backoff_reset_ms;  /* up this long: the next crash starts at min again */
	int ready_fd;               /* written "ready\n" once every role is up; -1 none */
	const char *role;           /* set in a role process */
	char *const *argv;          /* for re-exec of the roles */
};

struct role_desc {
	enum role_id id;
	const char *name;           /* also the process name "eved-NAME" */
	const char *holds;          /* what this role holds, for the log */
};

extern const struct role_desc eved_roles[ROLE_COUNT];
extern const struct ipc_proto eved_proto_to_parent; /* what a role may send */
extern const struct ipc_proto eved_proto_to_role;   /* what the parent may send */

const struct role_desc *eved_role_find(const char *name);

int supervisor_main(const struct eved_opts *o);
int role_main(const struct role_desc *rd, const struct eved_opts *o);

#endif
