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
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc.h"
#include "log.h"
#include "signer.h"

/* fd on which a role process finds its socket to the supervisor */
#define EVED_ROLE_FD 3

enum ipc_type {
	IPC_HELLO = 1,   /* role -> parent: struct ipc_hello; the role is ready */
	IPC_PING,        /* parent -> role: uint64 cookie */
	IPC_PONG,        /* role -> parent: the same uint64 cookie */
	IPC_LOG,         /* role -> parent: struct log_entry, into the parent's ring;
			  * parent -> evc: every entry of the device, for newlogs */
	IPC_SHUTDOWN,    /* parent -> role: no payload; exit cleanly */
	IPC_SIGN_REQ,    /* role -> parent -> identity: struct ipc_sign_req */
	IPC_SIGN_REP,    /* identity -> parent -> role: struct ipc_sign_rep */
	IPC_IDENTITY,    /* identity -> parent -> evc: struct ipc_identity */
	IPC_APPS_PLAN,   /* evc -> parent -> apps: memfd holding a struct app_plan
			  * (appplan.h); the parent keeps the last one for a
			  * restarted apps role */
	IPC_APPS_STATUS, /* apps -> parent -> evc: memfd holding a struct apps_status
			  * (appstatus.h); kept for a restarted evc role */
	IPC_APPS_METRICS,/* apps -> parent -> evc: struct apps_metrics */
	IPC_DL_REQ,      /* apps -> parent -> download: struct ipc_dl_req */
	IPC_DL_CANCEL,   /* apps -> parent -> download: struct ipc_dl_id; stop, delete
			  * the file (also: "verified, forget it") */
	IPC_DL_STATUS,   /* download -> parent -> apps: struct ipc_dl_status; with
			  * DL_DONE comes an O_RDONLY fd of the finished file */
	IPC_CONSOLE_ENABLE, /* evc -> parent -> console: struct ipc_console_enable
			  * (config item debug.enable.console); kept */
	IPC_CONSOLE_STATE, /* console -> parent -> evc: struct ipc_console_state; kept */
	IPC_CONSOLE_LOGS,  /* console -> parent: uint32 n; parent -> console: uint64
			  * size + a sealed memfd of the last <= n struct log_entry
			  * of the supervisor's ring, oldest first */
};

enum role_id {
	ROLE_EVC,        /* controller client: TLS, HTTP, protobuf decode */
	ROLE_DOWNLOAD,   /* datastore downloads */
	ROLE_IDENTITY,   /* device and onboarding keys (TPM or soft), signing */
	ROLE_APPS,       /* libxl / QEMU, volumes, verification */
	ROLE_NET,        /* netlink, nftables, port drivers */
	ROLE_BASEOS,     /* the A/B partitions */
	ROLE_CONSOLE,    /* the debug console on the serial line (off by default) */
	ROLE_COUNT
};

struct ipc_hello {
	uint32_t role;   /* enum role_id */
	int32_t pid;
};

/* Which key a signature is asked of. */
enum ipc_key { IPC_KEY_DEVICE = 0, IPC_KEY_ONBOARD = 1 };

struct ipc_sign_req {
	uint32_t id;     /* the asker's; the parent substitutes its own on the way */
	uint32_t key;    /* enum ipc_key */
	uint8_t hash[32];
};

struct ipc_sign_rep {
	uint32_t id;
	int32_t rc;      /* 0 or -errno */
	uint8_t sig[64]; /* raw r || s */
};

#define IPC_IDENTITY_CERT_MAX 16384
/* The device's public identity; cert_len bytes of DER follow the fixed part. */
struct ipc_identity {
	uint8_t in_tpm;       /* the device key lives in a TPM */
	uint8_t has_onboard;  /* an onboarding key is loaded */
	uint8_t reserved[2];
	uint32_t cert_len;
	uint8_t pub[65];      /* the device key */
	uint8_t cert[IPC_IDENTITY_CERT_MAX];
};
#define IPC_IDENTITY_FIXED offsetof(struct ipc_identity, cert)

/* Downloads (apps -> download -> apps).  id names the download and its
 * file in the download folder: 1..63 of [A-Za-z0-9._-], not starting with
 * '.'; the apps role uses the content tree uuid ("UUID", "UUID.signer",
 * "UUID.inter"). */
#define IPC_DL_ID 64
#define IPC_DL_URL 1024
#define IPC_DL_CERTS 8192
#define IPC_DL_ERR 256

struct ipc_dl_id {
	char id[IPC_DL_ID];
};

struct ipc_dl_req {
	char id[IPC_DL_ID];
	char url[IPC_DL_URL];          /* http:// or https:// */
	uint64_t max_size;             /* refused (and stopped) beyond this; 0 = no limit */
	uint32_t cert_len;             /* extra trust anchors (dsCertPEM), PEM; 0 = device roots */
	char cert_pem[IPC_DL_CERTS];
};

enum dl_state { DL_QUEUED, DL_RUNNING, DL_DONE, DL_FAILED };

struct ipc_dl_status {
	char id[IPC_DL_ID];
	uint32_t state;                /* enum dl_state */
	int32_t rc;                    /* DL_FAILED (or a retried error in DL_RUNNING): -errno */
	uint64_t done, total;          /* bytes; total 0 = unknown yet */
	char err[IPC_DL_ERR];          /* the last error, naming the URL and the reason */
};

/* The debug console (evc <-> console). */
struct ipc_console_enable {
	uint32_t on;                   /* 0 or 1 */
};

#define IPC_CONSOLE_DEV 64
#define IPC_CONSOLE_ERR 192
struct ipc_console_state {
	uint32_t on;                   /* the console is open and answering */
	char dev[IPC_CONSOLE_DEV];     /* its device ("" none configured) */
	char err[IPC_CONSOLE_ERR];     /* why it is not on although asked ("" none) */
};

struct sysinit;

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
	unsigned evc_interval_ms;   /* controller polling default (config, metrics); 0: 60 s */
	const char *tcti;           /* TPM access (tpm2-tss TCTI); NULL: /dev/tpmrm0 if present */
	const char *run_dir;        /* runtime state (QMP sockets, pid files): /run/edgevisor */
	const char *board_io;       /* the board's I/O model (board/<board>/io.json); NULL: none */
	const char *hv;             /* "xen", "kvm" or NULL (auto) */
	unsigned dl_max_parallel;   /* concurrent downloads; 0: 2 */
	const char *net_dhcp;       /* "none", "auto" or IF[,IF]...; NULL: none */
	const char *debug_console_dev; /* the debug console's serial device; NULL: none */
	const char *role;           /* set in a role process */
	const char *slot;           /* the boot slot, "IMGA" or "IMGB" (edgevisor.slot); NULL unknown */
	struct sysinit *sysinit;    /* PID 1 only: the boot's state (sysinit.h); NULL otherwise */
	char *const *argv;          /* for re-exec of the roles */
};

struct role_ctx;

struct role_desc {
	enum role_id id;
	const char *name;           /* also the process name "eved-NAME" */
	const char *holds;          /* what this role holds, for the log */
	/* The role's own work; NULL for none.  init runs before HELLO (a
	 * negative return is fatal); on_msg gets every message the common
	 * runtime does not handle (a negative return is fatal). */
	int (*init)(struct role_ctx *ctx);
	int (*on_msg)(struct role_ctx *ctx, const struct ipc_msg *m);
	void (*fini)(struct role_ctx *ctx);
};

/* What a role process runs with (role.c). */
struct role_ctx {
	const struct role_desc *rd;
	const struct eved_opts *o;
	struct evloop *loop;
	int sock;                   /* to the supervisor; -1 once it is gone */
	void *state;                /* the role's own */
};

/* Sends a message to the supervisor; fatal on a broken link. */
int role_send(struct role_ctx *ctx, uint16_t type, const void *data, size_t len);
/* The same with an fd passed along (not taken: the caller still closes it);
 * fd < 0: none.  The message (m->fd) a role's on_msg gets is closed after
 * on_msg returns: dup it to keep it. */
int role_send_fd(struct role_ctx *ctx, uint16_t type, const void *data, size_t len, int fd);
/* Handles one message as the role's loop would (for code that waits for a
 * particular reply, such as the IPC signer). */
int role_dispatch(struct role_ctx *ctx, const struct ipc_msg *m);

/* A struct signer whose key is held by the identity role (dom0/eved/ipc_signer.c). */
struct ipc_signer {
	struct signer s;
	struct role_ctx *ctx;
	uint32_t key;               /* enum ipc_key */
	uint32_t next_id;
	int timeout_ms;
};
void ipc_signer_init(struct ipc_signer *is, struct role_ctx *ctx, enum ipc_key key,
		     const uint8_t pub[65], int timeout_ms);

int evc_init(struct role_ctx *ctx);
int evc_on_msg(struct role_ctx *ctx, const struct ipc_msg *m);
void evc_fini(struct role_ctx *ctx);
int identity_init(struct role_ctx *ctx);
int identity_on_msg(struct role_ctx *ctx, const struct ipc_msg *m);
void identity_fini(struct role_ctx *ctx);
int identity_print_csr(const struct eved_opts *o);
int download_init(struct role_ctx *ctx);
int download_on_msg(struct role_ctx *ctx, const struct ipc_msg *m);
void download_fini(struct role_ctx *ctx);
int apps_init(struct role_ctx *ctx);
int apps_on_msg(struct role_ctx *ctx, const struct ipc_msg *m);
void apps_fini(struct role_ctx *ctx);
int net_init(struct role_ctx *ctx);
void net_fini(struct role_ctx *ctx);
int console_init(struct role_ctx *ctx);
int console_on_msg(struct role_ctx *ctx, const struct ipc_msg *m);
void console_fini(struct role_ctx *ctx);

extern const struct role_desc eved_roles[ROLE_COUNT];

/* A message the supervisor relays from one role to another (roles.c). */
struct eved_route {
	uint16_t type;
	int from, to;               /* enum role_id */
	bool keep;                  /* keep the last; resend when `to` restarts */
};
extern const struct eved_route eved_routes[];
extern const size_t eved_nroutes;
const struct eved_route *eved_route_find(uint16_t type);
extern const struct ipc_proto eved_proto_to_parent; /* what a role may send */
extern const struct ipc_proto eved_proto_to_role;   /* what the parent may send */

const struct role_desc *eved_role_find(const char *name);

int supervisor_main(const struct eved_opts *o);
int role_main(const struct role_desc *rd, const struct eved_opts *o);

#endif
