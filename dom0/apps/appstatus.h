/*
 * appstatus: what the apps role tells the evc role about every content tree,
 * volume and app instance it handles (IPC_APPS_STATUS, in a memfd), and the
 * running guests' metrics (IPC_APPS_METRICS).  Fixed layout like appplan.h;
 * the evc role checks the bytes (appstatus_check) and turns each object into
 * a ZInfoMsg (ZiContentTree, ZiVolume, ZiApp) and appMetric entries
 * (dom0/evc/report_apps.c).
 *
 * States are EVE's ZSwState values (info.proto), names and numbers.
 * Ownership: caller-owned memory throughout.
 */
#ifndef EV_APPSTATUS_H
#define EV_APPSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appplan.h"

#define APPSTATUS_MAGIC 0x54535041u   /* "APST" */
#define APPSTATUS_VERSION 1

/* EVE's ZSwState (info.proto), values as they are on the wire */
enum zsw_state {
	ZSW_INVALID = 0, ZSW_INITIAL = 1, ZSW_DOWNLOAD_STARTED = 2, ZSW_DOWNLOADED = 3,
	ZSW_DELIVERED = 4, ZSW_INSTALLED = 5, ZSW_BOOTING = 6, ZSW_RUNNING = 7,
	ZSW_HALTING = 8, ZSW_HALTED = 9, ZSW_RESTARTING = 10, ZSW_PURGING = 11,
	ZSW_RESOLVING_TAG = 12, ZSW_RESOLVED_TAG = 13, ZSW_CREATING_VOLUME = 14,
	ZSW_CREATED_VOLUME = 15, ZSW_VERIFYING = 16, ZSW_VERIFIED = 17, ZSW_LOADING = 18,
	ZSW_LOADED = 19, ZSW_AWAITNETWORKINSTANCE = 20, ZSW_ERROR = 21, ZSW_START_DELAYED = 22,
	ZSW_PENDING = 23, ZSW_SCHEDULING = 24,
};
#define ZSW_MAX ZSW_SCHEDULING

/* "RUNNING" for ZSW_RUNNING; "?" out of range. */
const char *zsw_name(uint32_t state);

struct status_error {
	char text[PLAN_ERR];           /* "" = no error */
	int64_t time;                  /* unix seconds it was first seen */
};

struct status_content {
	char uuid[PLAN_UUID];
	char name[PLAN_NAME];
	char sha256[65];
	int64_t generation;
	uint32_t state;                /* DOWNLOAD_STARTED .. VERIFIED, LOADED, ERROR */
	uint32_t progress;             /* percent */
	uint64_t size;                 /* total bytes, 0 unknown */
	uint64_t done;                 /* bytes downloaded (or verified) */
	struct status_error err;
};

struct status_volume {
	char uuid[PLAN_UUID];
	char name[PLAN_NAME];
	char content_uuid[PLAN_UUID];
	int64_t generation;
	uint32_t state;                /* INITIAL, DOWNLOADING.., CREATING_VOLUME, CREATED_VOLUME, ERROR */
	uint32_t progress;
	uint64_t max_size;             /* bytes */
	uint64_t used;                 /* bytes allocated on /persist */
	struct status_error err;
};

struct status_app {
	char uuid[PLAN_UUID];
	char version[PLAN_LABEL];
	char name[PLAN_NAME];
	uint32_t state;                /* ZSwState */
	int64_t boot_time;             /* unix seconds, 0 = not running */
	uint32_t restart_counter, purge_counter;  /* the counters last acted upon */
	uint32_t n_volumes;
	char volumes[PLAN_MAX_APP_VOLUMES][PLAN_UUID];
	uint32_t n_adapters;
	struct plan_adapter adapters[PLAN_MAX_APP_ADAPTERS];  /* assigned to it */
	char console[128];             /* VNC endpoint in dom0 ("unix:/run/..", "127.0.0.1:5901") */
	struct status_error err;
};

struct apps_status {
	uint32_t magic, version, size; /* APPSTATUS_MAGIC, APPSTATUS_VERSION, sizeof */
	uint64_t seq;                  /* grows with every change */
	uint32_t n_contents, n_volumes, n_apps;
	struct status_content contents[PLAN_MAX_CONTENTS];
	struct status_volume volumes[PLAN_MAX_VOLUMES];
	struct status_app apps[PLAN_MAX_APPS];
	/* objects removed since the last status: evc reports them deleted (EVE
	 * sends an info message with only the id and state) */
	uint32_t n_gone;
	struct { uint32_t ztype; char uuid[PLAN_UUID]; } gone[PLAN_MAX_APPS + PLAN_MAX_VOLUMES +
							     PLAN_MAX_CONTENTS];
};

struct app_metric {
	char uuid[PLAN_UUID];
	char name[PLAN_NAME];
	uint64_t cpu_ns;               /* total CPU time of the guest since boot */
	int64_t boot_time;
	uint32_t mem_alloc_mib;        /* configured */
	uint32_t mem_used_mib;         /* in use (QEMU RSS or Xen's tot_pages) */
	uint64_t tx_bytes, rx_bytes, tx_pkts, rx_pkts;  /* all its vifs */
};

#define APPS_METRICS_MAX PLAN_MAX_APPS
struct apps_metrics {
	uint32_t n;
	struct app_metric m[APPS_METRICS_MAX];
};

/* Checks received bytes (magic, size, counts, NUL termination, state
 * ranges).  0 or -EBADMSG with a sentence. */
int appstatus_check(const void *buf, size_t len, char *err, size_t errsz);
int appmetrics_check(const void *buf, size_t len, char *err, size_t errsz);

#endif
