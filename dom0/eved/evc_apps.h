/*
 * evc_apps: the evc role's side of the apps (dom0/eved/evc_apps.c).
 *   - a new config becomes a plan (appplan_from_config) sent to the apps
 *     role as a sealed memfd (IPC_APPS_PLAN);
 *   - the apps role's status (IPC_APPS_STATUS) is compared, object by object,
 *     with what the controller acknowledged; each changed content tree,
 *     volume or app instance becomes one ZInfoMsg, sent until a 200 (info
 *     must be delivered), and a removed one the info of a deleted object;
 *   - the last app metrics (IPC_APPS_METRICS) go into the next ZMetricMsg.
 * Ownership: struct evc_apps is the evc role's; bodies are malloc'd for the
 * caller.
 */
#ifndef EV_EVC_APPS_H
#define EV_EVC_APPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appstatus.h"
#include "eved.h"

struct Org__Lfedge__Eve__Config__EdgeDevConfig;

struct evc_apps {
	struct apps_status *now;       /* the last status received; NULL none */
	struct apps_status *acked;     /* objects as the controller last got them */
	struct { uint32_t ztype; char uuid[PLAN_UUID]; } gone[64];
	size_t n_gone;
	struct apps_metrics metrics;   /* the last received */
	struct app_plan *plan;         /* the last sent */
};

/* Which object a body produced by evc_apps_next_info is about. */
struct evc_apps_token {
	uint32_t ztype;                /* 3 app, 7 volume, 8 content tree */
	uint32_t gone;                 /* 1: a removed object */
	char uuid[PLAN_UUID];
};

int evc_apps_init(struct evc_apps *ea);
void evc_apps_fini(struct evc_apps *ea);

/* Sends the plan of config c (hash: its hash) to the apps role. */
int evc_apps_send_plan(struct evc_apps *ea, struct role_ctx *ctx,
		       const struct Org__Lfedge__Eve__Config__EdgeDevConfig *c, const char *hash);

int evc_apps_take_status(struct evc_apps *ea, const struct ipc_msg *m);
int evc_apps_take_metrics(struct evc_apps *ea, const struct ipc_msg *m);

/* An object info still to deliver? */
bool evc_apps_pending(const struct evc_apps *ea);
/* The next one as ZInfoMsg bytes: 1 (body, tok set), 0 none, -errno. */
int evc_apps_next_info(struct evc_apps *ea, const char *devid, uint8_t **body, size_t *len,
		       struct evc_apps_token *tok);
/* The controller took it (200). */
void evc_apps_acked(struct evc_apps *ea, const struct evc_apps_token *tok);

#endif
