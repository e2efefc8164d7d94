/* evc_apps: plans out, object infos back.  See evc_apps.h. */
#include "evc_apps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appplan.h"
#include "log.h"
#include "report_apps.h"

#include "config/devconfig.pb-c.h"

#define ZI_APP 3
#define ZI_VOLUME 7
#define ZI_CONTENT 8

int
evc_apps_init(struct evc_apps *ea)
{
	memset(ea, 0, sizeof(*ea));
	ea->acked = calloc(1, sizeof(*ea->acked));
	return ea->acked ? 0 : -ENOMEM;
}

void
evc_apps_fini(struct evc_apps *ea)
{
	free(ea->now);
	free(ea->acked);
	free(ea->plan);
	memset(ea, 0, sizeof(*ea));
}

int
evc_apps_send_plan(struct evc_apps *ea, struct role_ctx *ctx,
		   const Org__Lfedge__Eve__Config__EdgeDevConfig *c, const char *hash)
{
	struct app_plan *p = calloc(1, sizeof(*p));
	uint64_t size = sizeof(*p);
	int fd = -1, rc;

	if (!p)
		return -ENOMEM;
	rc = appplan_from_config(c, p);
	if (rc < 0 && rc != -E2BIG)
		goto out;
	if (rc == -E2BIG)
		log_err("config %.16s: %s", hash, p->error);
	snprintf(p->config_hash, sizeof(p->config_hash), "%s", hash);
	for (uint32_t i = 0; i < p->n_apps; i++)
		if (p->apps[i].error[0])
			log_err("app %s (%s): %s", p->apps[i].uuid, p->apps[i].name, p->apps[i].error);
	rc = ipc_blob_make("apps-plan", p, sizeof(*p), &fd);
	if (rc < 0)
		goto out;
	rc = role_send_fd(ctx, IPC_APPS_PLAN, &size, sizeof(size), fd);
	free(ea->plan);
	ea->plan = p; /* the adapters' members in app info come from it */
	p = NULL;
out:
	if (rc < 0)
		log_err("plan for the apps role: %s", strerror(-rc));
	if (fd >= 0)
		close(fd);
	free(p);
	return rc;
}

int
evc_apps_take_status(struct evc_apps *ea, const struct ipc_msg *m)
{
	char err[256];
	void *buf = NULL;
	size_t len = 0;
	int rc;

	rc = ipc_blob_read(m->fd, sizeof(struct apps_status), &buf, &len);
	if (rc < 0) {
		log_err("status from apps: %s", rc == -EPERM ? "not a sealed memfd" : strerror(-rc));
		return rc;
	}
	rc = appstatus_check(buf, len, err, sizeof(err));
	if (rc < 0) {
		log_err("status from apps refused: %s", err);
		free(buf);
		return rc;
	}
	free(ea->now);
	ea->now = buf;
	for (uint32_t i = 0; i < ea->now->n_gone; i++) {
		size_t k;

		for (k = 0; k < ea->n_gone; k++)
			if (strcmp(ea->gone[k].uuid, ea->now->gone[i].uuid) == 0)
				break;
		if (k == ea->n_gone && ea->n_gone < sizeof(ea->gone) / sizeof(ea->gone[0])) {
			ea->gone[k].ztype = ea->now->gone[i].ztype;
			snprintf(ea->gone[k].uuid, PLAN_UUID, "%s", ea->now->gone[i].uuid);
			ea->n_gone++;
		}
	}
	return 0;
}

int
evc_apps_take_metrics(struct evc_apps *ea, const struct ipc_msg *m)
{
	struct apps_metrics tmp;
	char err[256];

	/* the message carries n entries; checked as a whole, aligned struct */
	memset(&tmp, 0, sizeof(tmp));
	memcpy(&tmp, m->data, m->len < sizeof(tmp) ? m->len : sizeof(tmp));
	if (tmp.n > APPS_METRICS_MAX ||
	    m->len != offsetof(struct apps_metrics, m) + tmp.n * sizeof(tmp.m[0])) {
		log_err("metrics from apps refused: %u entries in %u bytes", tmp.n, m->len);
		return -EBADMSG;
	}
	if (appmetrics_check(&tmp, sizeof(tmp), err, sizeof(err)) < 0) {
		log_err("metrics from apps refused: %s", err);
		return -EBADMSG;
	}
	ea->metrics = tmp;
	return 0;
}

/* The acknowledged copy of an object, by uuid (NULL: never sent). */
#define ACKED(arr, n, uuid)                                                       \
	for (uint32_t i_ = 0; i_ < (n); i_++)                                     \
		if (strcmp((arr)[i_].uuid, (uuid)) == 0)                          \
			return &(arr)[i_];                                        \
	return NULL

static struct status_content *
acked_content(struct apps_status *s, const char *uuid)
{
	ACKED(s->contents, s->n_contents, uuid);
}

static struct status_volume *
acked_volume(struct apps_status *s, const char *uuid)
{
	ACKED(s->volumes, s->n_volumes, uuid);
}

static struct status_app *
acked_app(struct apps_status *s, const char *uuid)
{
	ACKED(s->apps, s->n_apps, uuid);
}

/* The first object that differs from what was acknowledged: 1 and tok. */
static int
first_pending(const struct evc_apps *ea, struct evc_apps_token *tok)
{
	struct apps_status *n = ea->now, *a = ea->acked;

	if (ea->n_gone) {
		tok->ztype = ea->gone[0].ztype;
		tok->gone = 1;
		snprintf(tok->uuid, sizeof(tok->uuid), "%s", ea->gone[0].uuid);
		return 1;
	}
	if (!n)
		return 0;
	tok->gone = 0;
	for (uint32_t i = 0; i < n->n_contents; i++) {
		const struct status_content *x = acked_content(a, n->contents[i].uuid);

		if (!x || memcmp(x, &n->contents[i], sizeof(*x)) != 0) {
			tok->ztype = ZI_CONTENT;
			snprintf(tok->uuid, sizeof(tok->uuid), "%s", n->contents[i].uuid);
			return 1;
		}
	}
	for (uint32_t i = 0; i < n->n_volumes; i++) {
		const struct status_volume *x = acked_volume(a, n->volumes[i].uuid);

		if (!x || memcmp(x, &n->volumes[i], sizeof(*x)) != 0) {
			tok->ztype = ZI_VOLUME;
			snprintf(tok->uuid, sizeof(tok->uuid), "%s", n->volumes[i].uuid);
			return 1;
		}
	}
	for (uint32_t i = 0; i < n->n_apps; i++) {
		const struct status_app *x = acked_app(a, n->apps[i].uuid);

		if (!x || memcmp(x, &n->apps[i], sizeof(*x)) != 0) {
			tok->ztype = ZI_APP;
			snprintf(tok->uuid, sizeof(tok->uuid), "%s", n->apps[i].uuid);
			return 1;
		}
	}
	return 0;
}

bool
evc_apps_pending(const struct evc_apps *ea)
{
	struct evc_apps_token tok;

	return first_pending(ea, &tok) == 1;
}

int
evc_apps_next_info(struct evc_apps *ea, const char *devid, uint8_t **body, size_t *len,
		   struct evc_apps_token *tok)
{
	int rc;

	if (first_pending(ea, tok) != 1)
		return 0;
	time_t now = time(NULL);

	if (tok->gone)
		rc = report_gone_info(tok->ztype, tok->uuid, devid, now, body, len);
	else if (tok->ztype == ZI_CONTENT)
		rc = report_content_info(acked_content(ea->now, tok->uuid), devid, now, body, len);
	else if (tok->ztype == ZI_VOLUME)
		rc = report_volume_info(acked_volume(ea->now, tok->uuid), devid, now, body, len);
	else
		rc = report_app_info(acked_app(ea->now, tok->uuid), ea->plan, devid, now, body, len);
	return rc < 0 ? rc : 1;
}

/* Copies the current object into the acknowledged set (or removes it). */
void
evc_apps_acked(struct evc_apps *ea, const struct evc_apps_token *tok)
{
	struct apps_status *a = ea->acked, *n = ea->now;

	if (tok->gone) {
		for (size_t k = 0; k < ea->n_gone; k++)
			if (strcmp(ea->gone[k].uuid, tok->uuid) == 0) {
				memmove(&ea->gone[k], &ea->gone[k + 1],
					(ea->n_gone - k - 1) * sizeof(ea->gone[0]));
				ea->n_gone--;
				break;
			}
		/* forget the acknowledged copy: a re-added object is sent again */
#define DROP(arr, cnt)                                                                 \
	for (uint32_t i = 0; i < a->cnt; i++)                                          \
		if (strcmp(a->arr[i].uuid, tok->uuid) == 0) {                          \
			a->arr[i] = a->arr[--a->cnt];                                  \
			break;                                                         \
		}
		DROP(contents, n_contents)
		DROP(volumes, n_volumes)
		DROP(apps, n_apps)
#undef DROP
		return;
	}
	if (!n)
		return;
#define KEEP(arr, cnt, find, max)                                                      \
	do {                                                                           \
		for (uint32_t i = 0; i < n->cnt; i++) {                                \
			if (strcmp(n->arr[i].uuid, tok->uuid) != 0)                    \
				continue;                                              \
			__typeof__(&a->arr[0]) x = find(a, tok->uuid);                 \
			if (!x && a->cnt < (max))                                      \
				x = &a->arr[a->cnt++];                                 \
			if (x)                                                         \
				*x = n->arr[i];                                        \
			break;                                                         \
		}                                                                      \
	} while (0)
	if (tok->ztype == ZI_CONTENT)
		KEEP(contents, n_contents, acked_content, PLAN_MAX_CONTENTS);
	else if (tok->ztype == ZI_VOLUME)
		KEEP(volumes, n_volumes, acked_volume, PLAN_MAX_VOLUMES);
	else
		KEEP(apps, n_apps, acked_app, PLAN_MAX_APPS);
#undef KEEP
}
