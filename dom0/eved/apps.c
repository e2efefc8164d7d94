/*
 * apps: the role that turns the plan (what the config asks for) into
 * verified content, volumes and running domains, and reports their states
 * (DESIGN.md §3: it holds the hypervisor handle and the volumes; it never
 * sees the controller's bytes, a datastore socket or a key).
 *
 * Inputs: IPC_APPS_PLAN (a sealed memfd with a struct app_plan, from the evc
 * role's decoding of the config) and IPC_DL_STATUS (from the download role;
 * a finished download arrives as an fd, copied and hashed here by verify).
 * Outputs: IPC_DL_REQ / IPC_DL_CANCEL, IPC_APPS_STATUS (a sealed memfd with a
 * struct apps_status, after every change) and IPC_APPS_METRICS (periodic).
 *
 * One tick (a timer, faster while hashing or converting) reconciles every
 * object with the plan, level-triggered, so a lost event or a restart of
 * this role converges again:
 *   content  in the verified store? VERIFIED.  Else asked of download
 *            (DOWNLOAD_STARTED, progress), handed over (VERIFYING), hashed and
 *            its signature checked (VERIFIED) or refused (ERROR, never used).
 *   volume   its file exists for (uuid, generation)? CREATED_VOLUME.  Else once
 *            its content is verified (or blank): qemu-img job (CREATING_VOLUME).
 *   app      appfsm_step() decides from the plan, the volumes, the counters
 *            acted on and the hypervisor's view.
 *
 * State on /persist/apps: img/ (verified content by SHA-256, shared by the
 * volumes that use it), vol/ (volumes), app/ (per app: the restart and purge
 * counters acted on, statefiles).  Runtime in RUN_DIR/apps/<uuid>/ (the
 * backend's QMP socket, pid file, console log, VNC socket): a guest outlives
 * this role and eved, and is adopted again, not rebooted.
 */
#include "eved.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "appfsm.h"
#include "appplan.h"
#include "appstatus.h"
#include "atomicfile.h"
#include "evloop.h"
#include "hv.h"
#include "iomodel.h"
#include "statefile.h"
#include "verify.h"
#include "volume.h"

#define APPS_TICK_MS 1000
#define APPS_FAST_TICK_MS 50
#define APPS_VERIFY_BUDGET (8u << 20)   /* bytes hashed per fast tick */
#define APPS_DL_RESYNC_MS 15000         /* re-ask download when silent this long */
#define APPS_METRICS_MS 10000
#define APPS_DL_RETRY_MS 60000          /* a failed download is asked again after this */
#define APPS_HALT_GRACE_MS 30000
#define APPS_CERT_MAX (64u << 10)

/* ---- runtime objects ---- */

struct content_rt {
	bool used, seen;
	char uuid[PLAN_UUID];
	char sha[65];
	int64_t generation;
	struct status_content st;
	bool requested;
	uint64_t last_heard_ms;
	bool verifying;
	struct verify v;
	int vfd;                       /* our dup of the download's fd while verifying */
	uint64_t retry_at;             /* a failed download is asked again then (0: never) */
	bool hashed;                   /* the blob is in the store */
	/* signature: the signer and intermediate certificates, fetched too */
	bool need_sig;
	char *cert[2];                 /* 0 signer, 1 intermediates (NULL: not yet) */
	size_t cert_len[2];
	bool cert_asked[2];
};

struct volume_rt {
	bool used, seen;
	char uuid[PLAN_UUID];
	int64_t generation;
	struct status_volume st;
	bool job_running;
	struct volume_job job;
	char path[HV_PATH];
	bool failed;                   /* a job failed: no retry until the plan changes */
};

#define APP_CONSOLE_LINE 240         /* longer lines are cut */
#define APP_CONSOLE_CHUNK 4096       /* console bytes read per app per tick */
#define APP_CONSOLE_LINES 16         /* console lines logged per app per tick */

struct app_rt {
	bool used, seen;
	char uuid[PLAN_UUID];
	struct status_app st;
	bool counters_known;
	uint32_t restart_acted, purge_acted;
	bool stopped_by_guest;
	bool halt_requested;
	uint64_t halt_deadline;
	uint64_t delay_until;
	bool create_error;
	char create_err[PLAN_ERR];
	uint32_t plan_sig;             /* hash of its plan entry: a change clears errors */
	bool io_error;
	bool io_granted;
	struct hv_domain_spec spec;
	struct hv_domain_info info;
	uint32_t dom;                  /* enum appfsm_dom */
	bool adopt_tried;
	bool spec_built;               /* spec made from the current plan entry */
	/* the guest's console, forwarded to the log line by line */
	uint64_t console_off;
	bool console_skip;             /* adopted: what is there was forwarded before */
	char console_line[APP_CONSOLE_LINE];
	size_t console_len;
	/* a slow create runs in a child (hv_ops.slow_create): its pid and a
	 * memfd for its error sentence */
	pid_t starter;
	int starter_err;
};

struct apps {
	struct role_ctx *ctx;
	char img_dir[400], vol_dir[400], app_dir[400], run_dir[400], dl_roots[400];
	const struct hv_ops *hv_ops;
	struct hv *hv;
	char hv_err[HV_ERR];
	struct iomodel io;
	bool io_ok;
	struct app_plan *plan;         /* NULL until the first IPC_APPS_PLAN */
	struct content_rt contents[PLAN_MAX_CONTENTS];
	struct volume_rt volumes[PLAN_MAX_VOLUMES];
	struct app_rt apps[PLAN_MAX_APPS];
	struct apps_status status, sent;
	bool dirty;
	uint64_t seq;
	struct evloop_timer tick;
	bool fast;
	uint64_t next_metrics;
	struct apps_status gone;       /* only gone[] used: removed since the last send */
};

static struct apps *the_apps;      /* for the SIGCHLD callback */

/* ---- small helpers ---- */

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static void
set_err(struct status_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_err(struct status_error *e, const char *fmt, ...)
{
	char text[PLAN_ERR];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (strcmp(text, e->text) != 0) {
		snprintf(e->text, sizeof(e->text), "%s", text);
		e->time = now_s();
		log_err("%s", text);
	}
}

static void
clear_err(struct status_error *e)
{
	e->text[0] = '\0';
	e->time = 0;
}

static int
mkdir_p(const char *path, mode_t mode)
{
	char tmp[512];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static uint32_t
fnv1a(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static void
send_dl(struct apps *a, uint16_t type, const void *msg, size_t len)
{
	int rc = role_send(a->ctx, type, msg, len);

	if (rc < 0 && rc != -EAGAIN)
		log_warn("to download: %s", strerror(-rc));
}

static void
dl_request(struct apps *a, const char *id, const char *url, uint64_t max,
	   const struct plan_datastore *ds)
{
	struct ipc_dl_req r;
	size_t len = offsetof(struct ipc_dl_req, cert_pem);

	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "%s", id);
	snprintf(r.url, sizeof(r.url), "%s", url);
	r.max_size = max;
	if (ds && ds->cert_len && ds->cert_len < sizeof(r.cert_pem)) {
		memcpy(r.cert_pem, ds->cert_pem, ds->cert_len);
		r.cert_len = ds->cert_len;
		len += ds->cert_len;
	}
	send_dl(a, IPC_DL_REQ, &r, len);
}

static void
dl_cancel(struct apps *a, const char *id)
{
	struct ipc_dl_id d;

	memset(&d, 0, sizeof(d));
	snprintf(d.id, sizeof(d.id), "%s", id);
	send_dl(a, IPC_DL_CANCEL, &d, sizeof(d));
}

/* ---- lookups ---- */

#define FIND(arr, n, key)                                                          \
	for (size_t i_ = 0; i_ < (n); i_++)                                        \
		if ((arr)[i_].used && strcmp((arr)[i_].uuid, (key)) == 0)          \
			return &(arr)[i_];                                         \
	return NULL

static struct content_rt *
content_find(struct apps *a, const char *uuid)
{
	FIND(a->contents, PLAN_MAX_CONTENTS, uuid);
}

static struct volume_rt *
volume_find(struct apps *a, const char *uuid)
{
	FIND(a->volumes, PLAN_MAX_VOLUMES, uuid);
}

static struct app_rt *
app_find(struct apps *a, const char *uuid)
{
	FIND(a->apps, PLAN_MAX_APPS, uuid);
}

#define ALLOC(arr, n)                                                              \
	for (size_t i_ = 0; i_ < (n); i_++)                                        \
		if (!(arr)[i_].used) {                                             \
			memset(&(arr)[i_], 0, sizeof((arr)[i_]));                  \
			(arr)[i_].used = true;                                     \
			return &(arr)[i_];                                         \
		}                                                                  \
	return NULL

static struct content_rt *
content_alloc(struct apps *a)
{
	ALLOC(a->contents, PLAN_MAX_CONTENTS);
}

static struct volume_rt *
volume_alloc(struct apps *a)
{
	ALLOC(a->volumes, PLAN_MAX_VOLUMES);
}

static struct app_rt *
app_alloc(struct apps *a)
{
	ALLOC(a->apps, PLAN_MAX_APPS);
}

static void
mark_gone(struct apps *a, uint32_t ztype, const char *uuid)
{
	struct apps_status *g = &a->gone;

	if (g->n_gone < sizeof(g->gone) / sizeof(g->gone[0])) {
		g->gone[g->n_gone].ztype = ztype;
		snprintf(g->gone[g->n_gone].uuid, PLAN_UUID, "%s", uuid);
		g->n_gone++;
	}
	a->dirty = true;
}

/* ---- content: download, hash, signature ---- */

static void
content_drop(struct apps *a, struct content_rt *c)
{
	char id[IPC_DL_ID];

	if (c->verifying) {
		verify_abort(&c->v);
		close(c->vfd);
	}
	if (c->requested || c->verifying)
		dl_cancel(a, c->uuid);
	for (int i = 0; i < 2; i++) {
		if (c->cert_asked[i]) {
			snprintf(id, sizeof(id), "%s.%s", c->uuid, i ? "inter" : "signer");
			dl_cancel(a, id);
		}
		free(c->cert[i]);
	}
	c->used = false;
}

static void
content_sig_check(struct apps *a, struct content_rt *c, const struct plan_content *pc)
{
	char err[PLAN_ERR], roots_path[512];
	uint8_t sha[32];
	char *roots = NULL;
	size_t roots_len = 0;
	int rc;

	if (!c->cert[0] || (pc->inter_url[0] && !c->cert[1]))
		return; /* certificates still coming */
	for (int i = 0; i < 32; i++) {
		unsigned v;

		sscanf(c->sha + 2 * i, "%2x", &v);
		sha[i] = (uint8_t)v;
	}
	snprintf(roots_path, sizeof(roots_path), "%s/root-certificate.pem",
		 a->ctx->o->config_dir);
	rc = atomicfile_read(roots_path, APPS_CERT_MAX, &roots, &roots_len, err, sizeof(err));
	if (rc < 0) {
		set_err(&c->st.err, "content %s: signature: the device roots: %s", c->uuid, err);
		c->st.state = ZSW_ERROR;
		return;
	}
	rc = verify_signature(sha, pc->sig, pc->sig_len, c->cert[0], c->cert_len[0], c->cert[1],
			      c->cert[1] ? c->cert_len[1] : 0, roots, roots_len, time(NULL), err,
			      sizeof(err));
	free(roots);
	if (rc < 0) {
		set_err(&c->st.err, "content %s (%s): signature refused: %s", c->uuid,
			pc->name, err);
		c->st.state = ZSW_ERROR;
		return;
	}
	c->need_sig = false;
	log_notice("content %s (%s): signature verified", c->uuid, pc->name);
}

/* One content tree of the plan, one step. */
static void
content_reconcile(struct apps *a, const struct plan_content *pc)
{
	struct content_rt *c = content_find(a, pc->uuid);
	const struct plan_datastore *ds = appplan_find_datastore(a->plan, pc->ds_id);

	if (c && (strcmp(c->sha, pc->sha256) != 0 || c->generation != pc->generation)) {
		content_drop(a, c); /* another blob now: start again */
		c = NULL;
	}
	if (!c) {
		c = content_alloc(a);
		if (!c)
			return;
		snprintf(c->uuid, sizeof(c->uuid), "%s", pc->uuid);
		snprintf(c->sha, sizeof(c->sha), "%s", pc->sha256);
		c->generation = pc->generation;
		c->need_sig = pc->has_sig;
		c->st.state = ZSW_INITIAL;
	}
	c->seen = true;
	snprintf(c->st.uuid, sizeof(c->st.uuid), "%s", pc->uuid);
	snprintf(c->st.name, sizeof(c->st.name), "%s", pc->name);
	snprintf(c->st.sha256, sizeof(c->st.sha256), "%s", pc->sha256);
	c->st.generation = pc->generation;
	c->st.size = pc->max_size;
	if (pc->error[0] || (ds && ds->error[0])) {
		set_err(&c->st.err, "%s", pc->error[0] ? pc->error : ds->error);
		c->st.state = ZSW_ERROR;
		return;
	}
	if (c->st.state == ZSW_ERROR) {
		/* a refused blob stays refused until the plan changes it; a failed
		 * download is asked again later (the datastore may be fixed) */
		if (!c->retry_at || evloop_now_ms() < c->retry_at)
			return;
		log_info("content %s (%s): asking the datastore again", c->uuid, pc->name);
		c->retry_at = 0;
		c->st.state = ZSW_INITIAL;
		c->requested = false;
	}
	if (!c->hashed && verify_have(a->img_dir, pc->sha256)) {
		c->hashed = true;
		c->st.progress = 100;
	}
	if (c->hashed) {
		if (c->need_sig) {
			for (int i = 0; i < 2; i++) {
				const char *url = i ? pc->inter_url : pc->signer_url;
				char id[IPC_DL_ID];

				if (!url[0] || c->cert[i] || c->cert_asked[i])
					continue;
				snprintf(id, sizeof(id), "%s.%s", c->uuid, i ? "inter" : "signer");
				dl_request(a, id, url, APPS_CERT_MAX, ds);
				c->cert_asked[i] = true;
			}
			content_sig_check(a, c, pc);
			if (c->need_sig) {
				if (c->st.state != ZSW_ERROR)
					c->st.state = ZSW_VERIFYING;
				return;
			}
		}
		c->st.state = ZSW_VERIFIED;
		clear_err(&c->st.err);
		return;
	}
	if (c->verifying)
		return;
	if (!c->requested || evloop_now_ms() - c->last_heard_ms > APPS_DL_RESYNC_MS) {
		if (!ds) {
			set_err(&c->st.err, "content %s: datastore %s is not in the config", c->uuid,
				pc->ds_id);
			c->st.state = ZSW_ERROR;
			return;
		}
		dl_request(a, c->uuid, pc->url, pc->max_size, ds);
		c->requested = true;
		c->last_heard_ms = evloop_now_ms();
		if (c->st.state == ZSW_INITIAL)
			c->st.state = ZSW_DOWNLOAD_STARTED;
	}
}

static void
content_verify_step(struct apps *a, struct content_rt *c)
{
	int rc = verify_step(&c->v, APPS_VERIFY_BUDGET);

	if (rc > 0) {
		c->st.done = c->v.done;
		return;
	}
	c->verifying = false;
	dl_cancel(a, c->uuid); /* copied into the store (or refused): download may forget it */
	c->requested = false;
	if (rc < 0) {
		set_err(&c->st.err, "content %s (%s): %s", c->uuid, c->st.name, c->v.err);
		c->st.state = ZSW_ERROR;
	} else {
		log_notice("content %s (%s): SHA-256 verified", c->uuid, c->st.name);
		c->hashed = true;
		c->st.progress = 100;
	}
	verify_abort(&c->v); /* releases what is left (no-op when done) */
	close(c->vfd);
	c->vfd = -1;
	a->dirty = true;
}

/* A download's news. */
static void
on_dl_status(struct apps *a, const struct ipc_msg *m)
{
	struct ipc_dl_status s;
	struct content_rt *c;
	char *dot;
	int idx = -1;

	memcpy(&s, m->data, sizeof(s));
	s.id[sizeof(s.id) - 1] = '\0';
	s.err[sizeof(s.err) - 1] = '\0';
	dot = strchr(s.id, '.');
	if (dot) {
		idx = strcmp(dot + 1, "signer") == 0 ? 0 : strcmp(dot + 1, "inter") == 0 ? 1 : -2;
		*dot = '\0';
	}
	c = content_find(a, s.id);
	if (!c || idx == -2) {
		if (s.state == DL_DONE) {
			if (dot)
				*dot = '.';
			dl_cancel(a, s.id); /* nobody wants it any more */
		}
		return;
	}
	c->last_heard_ms = evloop_now_ms();
	a->dirty = true;
	if (idx >= 0) { /* a certificate for the signature */
		if (s.state == DL_FAILED) {
			set_err(&c->st.err, "content %s: signature certificate: %s", c->uuid, s.err);
			c->st.state = ZSW_ERROR;
		} else if (s.state == DL_DONE && m->fd >= 0 && !c->cert[idx]) {
			void *buf = NULL;
			size_t len = 0;
			int rc = -EINVAL;
			struct stat st;

			if (fstat(m->fd, &st) == 0 && S_ISREG(st.st_mode) &&
			    (uint64_t)st.st_size <= APPS_CERT_MAX) {
				buf = malloc((size_t)st.st_size + 1);
				rc = buf ? 0 : -ENOMEM;
				if (rc == 0 && pread(m->fd, buf, (size_t)st.st_size, 0) != st.st_size)
					rc = -EIO;
				len = (size_t)st.st_size;
			}
			if (rc < 0) {
				free(buf);
				set_err(&c->st.err, "content %s: signature certificate unreadable or over %u bytes",
					c->uuid, APPS_CERT_MAX);
				c->st.state = ZSW_ERROR;
			} else {
				((char *)buf)[len] = '\0';
				c->cert[idx] = buf;
				c->cert_len[idx] = len;
			}
			if (dot)
				*dot = '.';
			dl_cancel(a, s.id);
		}
		return;
	}
	switch (s.state) {
	case DL_QUEUED:
	case DL_RUNNING:
		if (c->st.state == ZSW_ERROR || c->hashed || c->verifying)
			return;
		c->st.state = ZSW_DOWNLOAD_STARTED;
		c->st.done = s.done;
		if (s.total)
			c->st.size = s.total;
		c->st.progress = s.total ? (uint32_t)(s.done * 100 / s.total) : 0;
		if (s.err[0])
			set_err(&c->st.err, "content %s: %s (retrying)", c->uuid, s.err);
		else
			clear_err(&c->st.err);
		break;
	case DL_FAILED:
		set_err(&c->st.err, "content %s (%s): download failed: %s", c->uuid, c->st.name,
			s.err);
		c->st.state = ZSW_ERROR;
		c->requested = false;
		c->retry_at = evloop_now_ms() + APPS_DL_RETRY_MS;
		break;
	case DL_DONE: {
		char err[PLAN_ERR];
		const struct plan_content *pc = a->plan ? appplan_find_content(a->plan, c->uuid)
							 : NULL;
		int rc;

		if (c->verifying || c->hashed || c->st.state == ZSW_ERROR || m->fd < 0)
			return;
		/* the message's fd is closed once this returns: verify reads a dup */
		c->vfd = fcntl(m->fd, F_DUPFD_CLOEXEC, 3);
		rc = c->vfd < 0 ? -errno : 0;
		if (rc < 0)
			snprintf(err, sizeof(err), "the download's file: %s", strerror(-rc));
		else
			rc = verify_begin(&c->v, c->vfd, a->img_dir, c->sha, pc ? pc->max_size : 0,
					  err, sizeof(err));
		if (rc < 0) {
			if (c->vfd >= 0)
				close(c->vfd);
			c->vfd = -1;
			set_err(&c->st.err, "content %s: %s", c->uuid, err);
			c->st.state = ZSW_ERROR;
			dl_cancel(a, c->uuid);
			return;
		}
		c->verifying = true;
		c->st.state = ZSW_VERIFYING;
		c->st.done = 0;
		log_info("content %s (%s): downloaded %" PRIu64 " bytes; verifying", c->uuid,
			 c->st.name, s.done);
		break;
	}
	}
}

/* ---- volumes ---- */

/* PLAN_FMT_RAW or PLAN_FMT_QCOW2: ISO content stays raw (a CD-ROM);
 * everything else becomes qcow2. */
static uint32_t
volume_format_for(const struct plan_volume *pv, const struct plan_content *pc)
{
	(void)pv;
	return pc && pc->format == PLAN_FMT_ISO ? PLAN_FMT_RAW : PLAN_FMT_QCOW2;
}

static void
volume_reconcile(struct apps *a, const struct plan_volume *pv)
{
	struct volume_rt *v = volume_find(a, pv->uuid);
	const struct plan_content *pc =
		pv->origin == PLAN_ORIGIN_DOWNLOAD ? appplan_find_content(a->plan, pv->content_uuid)
						   : NULL;
	struct content_rt *c = pc ? content_find(a, pc->uuid) : NULL;
	struct volume_req req;
	char err[PLAN_ERR];
	uint32_t fmt = volume_format_for(pv, pc);

	if (v && v->generation != pv->generation) {
		if (v->job_running)
			return; /* let the job end first */
		log_notice("volume %s: generation %" PRId64 " -> %" PRId64 "; rebuilt", v->uuid,
			   v->generation, pv->generation);
		volume_remove(a->vol_dir, v->uuid, v->generation);
		v->used = false;
		v = NULL;
	}
	if (!v) {
		v = volume_alloc(a);
		if (!v)
			return;
		snprintf(v->uuid, sizeof(v->uuid), "%s", pv->uuid);
		v->generation = pv->generation;
		v->st.state = ZSW_INITIAL;
	}
	v->seen = true;
	snprintf(v->st.uuid, sizeof(v->st.uuid), "%s", pv->uuid);
	snprintf(v->st.name, sizeof(v->st.name), "%s", pv->name);
	snprintf(v->st.content_uuid, sizeof(v->st.content_uuid), "%s", pv->content_uuid);
	v->st.generation = pv->generation;
	v->st.max_size = pv->max_size;
	volume_path(a->vol_dir, v->uuid, v->generation, fmt, v->path, sizeof(v->path));
	if (pv->error[0]) {
		set_err(&v->st.err, "%s", pv->error);
		v->st.state = ZSW_ERROR;
		return;
	}
	if (v->job_running)
		return;
	if (access(v->path, F_OK) == 0) {
		if (v->st.state != ZSW_CREATED_VOLUME)
			a->dirty = true;
		v->st.state = ZSW_CREATED_VOLUME;
		v->st.progress = 100;
		v->st.used = volume_used_bytes(v->path);
		clear_err(&v->st.err);
		return;
	}
	if (v->failed)
		return;
	if (pv->origin == PLAN_ORIGIN_DOWNLOAD) {
		if (!pc || !c) {
			set_err(&v->st.err, "volume %s: content tree %s is not in the config",
				v->uuid, pv->content_uuid);
			v->st.state = ZSW_ERROR;
			return;
		}
		if (c->st.state != ZSW_VERIFIED) {
			v->st.state = c->st.state == ZSW_ERROR ? ZSW_ERROR : c->st.state;
			v->st.progress = c->st.progress;
			if (c->st.state == ZSW_ERROR)
				set_err(&v->st.err, "volume %s: %s", v->uuid, c->st.err.text);
			return;
		}
	}
	if (pv->origin == PLAN_ORIGIN_DOWNLOAD && pc && pv->target >= 2 && pv->target <= 4) {
		/* a kernel, initrd or ramdisk is booted from the verified store
		 * itself (app_spec): no disk file, no qemu-img */
		if (v->st.state != ZSW_CREATED_VOLUME) {
			log_notice("volume %s (%s): the verified %s is used as it is", v->uuid,
				   pv->name, pv->target == 2 ? "kernel" : "initrd");
			a->dirty = true;
		}
		v->st.state = ZSW_CREATED_VOLUME;
		v->st.progress = 100;
		clear_err(&v->st.err);
		return;
	}
	memset(&req, 0, sizeof(req));
	snprintf(req.dir, sizeof(req.dir), "%s", a->vol_dir);
	snprintf(req.uuid, sizeof(req.uuid), "%s", v->uuid);
	req.generation = v->generation;
	req.format = fmt;
	req.max_size = pv->max_size;
	if (pc) {
		verify_path(a->img_dir, pc->sha256, req.src, sizeof(req.src));
		req.src_format = pc->format == PLAN_FMT_QCOW2 || pc->format == PLAN_FMT_QCOW
					 ? PLAN_FMT_QCOW2
					 : pc->format == PLAN_FMT_RAW || pc->format == PLAN_FMT_ISO
					 ? PLAN_FMT_RAW : PLAN_FMT_UNKNOWN;
	}
	if (volume_job_start(&v->job, &req, err, sizeof(err)) < 0) {
		set_err(&v->st.err, "volume %s (%s): %s", v->uuid, pv->name, err);
		v->st.state = ZSW_ERROR;
		v->failed = true;
		return;
	}
	v->job_running = true;
	v->st.state = ZSW_CREATING_VOLUME;
	a->dirty = true;
	log_info("volume %s (%s): creating %s", v->uuid, pv->name, v->path);
}

static void
volumes_reap(struct apps *a)
{
	for (size_t i = 0; i < PLAN_MAX_VOLUMES; i++) {
		struct volume_rt *v = &a->volumes[i];
		char err[PLAN_ERR];
		int status, rc;
		pid_t r;

		if (!v->used || !v->job_running)
			continue;
		if (v->job.pid <= 0)
			continue;
		r = waitpid(v->job.pid, &status, WNOHANG);
		if (r <= 0)
			continue;
		rc = volume_job_reaped(&v->job, status);
		snprintf(err, sizeof(err), "%s", v->job.err);
		if (rc > 0)
			continue; /* its next step runs */
		v->job_running = false;
		a->dirty = true;
		if (rc < 0) {
			set_err(&v->st.err, "volume %s (%s): %s", v->uuid, v->st.name, err);
			v->st.state = ZSW_ERROR;
			v->failed = true;
		} else {
			log_notice("volume %s (%s): created", v->uuid, v->st.name);
		}
	}
}

/* ---- apps ---- */

static void
app_counters_load(struct apps *a, struct app_rt *ar, const struct plan_app *pa)
{
	uint32_t *buf = NULL;
	size_t len = 0;

	if (statefile_read(a->app_dir, ar->uuid, 64, (void **)&buf, &len, NULL) == 0 &&
	    len == 2 * sizeof(uint32_t)) {
		ar->restart_acted = buf[0];
		ar->purge_acted = buf[1];
	} else {
		/* first sight: the counters as they are now are not commands */
		ar->restart_acted = pa->restart_counter;
		ar->purge_acted = pa->purge_counter;
	}
	free(buf);
	ar->counters_known = true;
}

static void
app_counters_save(struct apps *a, struct app_rt *ar)
{
	uint32_t buf[2] = { ar->restart_acted, ar->purge_acted };
	struct statefile_info info;

	if (statefile_write(a->app_dir, ar->uuid, buf, sizeof(buf), &info) < 0)
		log_err("app %s: saving its counters: %s", ar->uuid, info.fault);
}

static void
app_run_dir(struct apps *a, const char *uuid, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", a->run_dir, uuid);
}

static void
mac_for(const char *uuid, unsigned idx, char out[18])
{
	uint32_t h = fnv1a(uuid, strlen(uuid)) ^ (idx * 0x9e3779b9u);

	/* locally administered, unicast */
	snprintf(out, 18, "02:16:3e:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff,
		 h & 0xff);
}

/* The hypervisor's spec for an app whose volumes are ready: 0 or -errno with
 * the reason in err. */
static int
app_spec(struct apps *a, struct app_rt *ar, const struct plan_app *pa, char *err, size_t errsz)
{
	struct hv_domain_spec *s = &ar->spec;
	struct io_grant grants[PLAN_MAX_APP_ADAPTERS * 4];
	size_t n_grants = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(s->uuid, sizeof(s->uuid), "%s", pa->uuid);
	snprintf(s->name, sizeof(s->name), "%.63s", pa->name[0] ? pa->name : pa->uuid);
	for (char *p = s->name; *p; p++) /* hypervisors take a restricted set */
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			*p = '-';
	switch (pa->virt) {
	case PLAN_VIRT_PV:
		s->virt = HV_VIRT_PV;
		break;
	case PLAN_VIRT_PVH:
		s->virt = HV_VIRT_PVH;
		break;
	default:
		s->virt = HV_VIRT_HVM;
		break;
	}
	s->vcpus = pa->vcpus ? pa->vcpus : 1;
	s->memory_kib = pa->memory_kib;
	s->maxmem_kib = pa->maxmem_kib > pa->memory_kib ? pa->maxmem_kib : pa->memory_kib;
	snprintf(s->extraargs, sizeof(s->extraargs), "%s", pa->extraargs);
	s->uefi = pa->uefi;
	for (uint32_t i = 0; i < pa->n_volumes; i++) {
		const struct plan_volume *pv = appplan_find_volume(a->plan, pa->volumes[i].uuid);
		struct volume_rt *v = pv ? volume_find(a, pv->uuid) : NULL;
		const struct plan_content *pc =
			pv ? appplan_find_content(a->plan, pv->content_uuid) : NULL;

		if (!pv || !v) {
			snprintf(err, errsz, "volume %s is not in the config", pa->volumes[i].uuid);
			return -ENOENT;
		}
		if (pc && pv->target == 2 /* Kernel */) {
			verify_path(a->img_dir, pc->sha256, s->kernel, sizeof(s->kernel));
			continue;
		}
		if (pc && (pv->target == 3 || pv->target == 4) /* Initrd, RamDisk */) {
			verify_path(a->img_dir, pc->sha256, s->ramdisk, sizeof(s->ramdisk));
			continue;
		}
		if (s->n_disks == HV_MAX_DISKS) {
			snprintf(err, errsz, "more than %d disks", HV_MAX_DISKS);
			return -E2BIG;
		}
		snprintf(s->disks[s->n_disks].path, sizeof(s->disks[0].path), "%s", v->path);
		s->disks[s->n_disks].format =
			volume_format_for(pv, pc) == PLAN_FMT_QCOW2 ? HV_DISK_QCOW2 : HV_DISK_RAW;
		s->disks[s->n_disks].readonly = pv->readonly;
		s->disks[s->n_disks].cdrom = pc && pc->format == PLAN_FMT_ISO;
		s->n_disks++;
	}
	for (uint32_t i = 0; i < pa->n_nics && i < HV_MAX_NICS; i++) {
		if (pa->nics[i].mac[0])
			snprintf(s->nics[i].mac, sizeof(s->nics[i].mac), "%s", pa->nics[i].mac);
		else
			mac_for(pa->uuid, i, s->nics[i].mac);
		s->n_nics++;
	}
	if (pa->n_adapters) {
		if (!a->io_ok) {
			snprintf(err, errsz, "adapters asked but this device has no I/O model (board)");
			return -ENODEV;
		}
		iomodel_release(&a->io, pa->uuid);
		rc = iomodel_assign(&a->io, pa->uuid, pa->name, pa->adapters, pa->n_adapters,
				    a->plan->io, a->plan->n_io, grants,
				    sizeof(grants) / sizeof(grants[0]), err, errsz);
		if (rc < 0)
			return rc;
		n_grants = (size_t)rc;
		ar->io_granted = true;
		for (size_t i = 0; i < n_grants; i++) {
			const struct io_grant *g = &grants[i];

			if (g->pcilong[0] && s->n_pci < HV_MAX_PCI)
				snprintf(s->pci[s->n_pci++].bdf, sizeof(s->pci[0].bdf), "%s",
					 g->pcilong);
			else if (g->serial[0] && s->n_serial < HV_MAX_SERIAL)
				snprintf(s->serial[s->n_serial++].host_dev,
					 sizeof(s->serial[0].host_dev), "%s", g->serial);
			else if (g->usbaddr[0] && s->n_usb < HV_MAX_USB)
				snprintf(s->usb[s->n_usb++].hostaddr, sizeof(s->usb[0].hostaddr),
					 "%s", g->usbaddr);
		}
	}
	s->vnc = pa->enable_vnc;
	s->vnc_display = pa->vnc_display;
	app_run_dir(a, pa->uuid, s->run_dir, sizeof(s->run_dir));
	return 0;
}

static void
console_emit(struct app_rt *ar)
{
	size_t n = ar->console_len;

	while (n && (ar->console_line[n - 1] == '\r' || ar->console_line[n - 1] == '\n'))
		n--;
	if (n)
		log_info("app %s console: %.*s", ar->st.name[0] ? ar->st.name : ar->uuid, (int)n,
			 ar->console_line);
	ar->console_len = 0;
}

/* Forwards what the guest printed on its console since the last tick to the
 * log (and so to the controller), a bounded amount per tick.  A file that
 * shrank is a new boot: read it from the start. */
static void
app_console_forward(struct app_rt *ar)
{
	char buf[APP_CONSOLE_CHUNK];
	struct stat st;
	unsigned lines = 0;
	ssize_t n;
	int fd;

	if (!ar->info.console_log[0])
		return;
	fd = open(ar->info.console_log, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	if (ar->console_skip) {
		ar->console_skip = false;
		ar->console_off = (uint64_t)st.st_size;
	}
	if ((uint64_t)st.st_size < ar->console_off) {
		ar->console_off = 0;
		ar->console_len = 0;
	}
	n = pread(fd, buf, sizeof(buf), (off_t)ar->console_off);
	for (ssize_t i = 0; i < n && lines < APP_CONSOLE_LINES; i++) {
		ar->console_off++;
		if (buf[i] == '\n') {
			console_emit(ar);
			lines++;
			continue;
		}
		if (buf[i] == '\r')
			continue;
		if (ar->console_len < sizeof(ar->console_line))
			ar->console_line[ar->console_len++] =
				(buf[i] >= 0x20 && buf[i] < 0x7f) || buf[i] == '\t' ? buf[i] : '.';
	}
out:
	close(fd);
}

static void
app_observe(struct apps *a, struct app_rt *ar)
{
	char err[HV_ERR] = "";
	struct hv_domain_info info;
	int rc;

	if (!a->hv) {
		ar->dom = APPFSM_DOM_ABSENT;
		return;
	}
	if (!ar->spec.vcpus) {
		/* not built from the plan (yet): enough to find and stop it */
		memset(&ar->spec, 0, sizeof(ar->spec));
		snprintf(ar->spec.uuid, sizeof(ar->spec.uuid), "%s", ar->uuid);
		snprintf(ar->spec.name, sizeof(ar->spec.name), "%s", ar->uuid);
		ar->spec.vcpus = 1;
		ar->spec.memory_kib = ar->spec.maxmem_kib = 65536;
		app_run_dir(a, ar->uuid, ar->spec.run_dir, sizeof(ar->spec.run_dir));
	}
	memset(&info, 0, sizeof(info));
	if (!ar->adopt_tried) {
		ar->adopt_tried = true;
		rc = a->hv_ops->adopt(a->hv, &ar->spec, &info, err);
		if (rc == 0) {
			log_notice("app %s: domain found running (pid %d, domid %d): adopted",
				   ar->uuid, info.pid, info.domid);
			ar->console_skip = true;
		}
	} else {
		rc = a->hv_ops->info(a->hv, &ar->spec, &info, err);
	}
	if (rc < 0) {
		ar->dom = APPFSM_DOM_ABSENT;
		memset(&ar->info, 0, sizeof(ar->info));
		return;
	}
	ar->info = info;
	if (info.state == HV_RUNNING || info.state == HV_PAUSED)
		app_console_forward(ar);
	switch (info.state) {
	case HV_RUNNING:
	case HV_PAUSED:
		ar->dom = APPFSM_DOM_RUNNING;
		break;
	case HV_SHUTDOWN:
		ar->dom = APPFSM_DOM_STOPPED;
		break;
	case HV_CRASHED:
		ar->dom = APPFSM_DOM_CRASHED;
		break;
	default:
		ar->dom = APPFSM_DOM_ABSENT;
		break;
	}
}

/* Under Xen, what dom0 sees of each PCI function of ar's domain (after
 * start, after destroy): bound to xen-pciback = assignable. */
static void
app_pci_log(struct apps *a, const struct app_rt *ar, const char *when)
{
	if (strcmp(a->hv_ops->name, "xen") != 0)
		return;
	for (uint32_t i = 0; i < ar->spec.n_pci; i++) {
		char drv[64];
		int rc = hv_pci_driver("/sys", ar->spec.pci[i].bdf, drv, sizeof(drv));

		if (rc)
			log_warn("PCI %s: %s (app %s)", ar->spec.pci[i].bdf, strerror(-rc), ar->uuid);
		else if (strcmp(drv, "pciback") == 0)
			log_notice("PCI %s: assignable (xen-pciback), %s app %s (%s)",
				   ar->spec.pci[i].bdf, when, ar->uuid, ar->st.name);
		else
			log_warn("PCI %s: driver '%s' in dom0, not xen-pciback, %s app %s",
				 ar->spec.pci[i].bdf, drv[0] ? drv : "none", when, ar->uuid);
	}
}

static void
app_destroy(struct apps *a, struct app_rt *ar)
{
	char err[HV_ERR] = "";

	if (a->hv && a->hv_ops->destroy(a->hv, &ar->spec, err) < 0)
		log_err("app %s: destroy: %s", ar->uuid, err);
	else if (a->hv && ar->spec_built)
		app_pci_log(a, ar, "released by");
	if (ar->io_granted) {
		iomodel_release(&a->io, ar->uuid);
		ar->io_granted = false;
	}
	ar->halt_requested = false;
	ar->spec_built = false;        /* its adapters are free again */
	ar->dom = APPFSM_DOM_ABSENT;
	memset(&ar->info, 0, sizeof(ar->info));
	ar->console_off = 0;           /* the next boot writes a new console log */
	ar->console_len = 0;
}

static void
app_purge_volumes(struct apps *a, const struct plan_app *pa)
{
	for (uint32_t i = 0; i < pa->n_volumes; i++) {
		struct volume_rt *v = volume_find(a, pa->volumes[i].uuid);

		if (!v || v->job_running)
			continue;
		volume_remove(a->vol_dir, v->uuid, v->generation);
		v->failed = false;
		v->st.state = ZSW_INITIAL;
		log_notice("app %s: volume %s purged", pa->uuid, v->uuid);
	}
}

/* The least advanced state of the app's volumes, and whether all are ready. */
static void
app_volumes(struct apps *a, const struct plan_app *pa, bool *ready, uint32_t *state,
	    bool *error, char *err, size_t errsz)
{
	static const uint32_t order[] = { ZSW_INITIAL,	     ZSW_DOWNLOAD_STARTED, ZSW_DOWNLOADED,
					  ZSW_VERIFYING,     ZSW_VERIFIED,	   ZSW_CREATING_VOLUME,
					  ZSW_CREATED_VOLUME };
	size_t best = sizeof(order) / sizeof(order[0]) - 1;

	*ready = true;
	*error = false;
	*state = ZSW_CREATED_VOLUME;
	for (uint32_t i = 0; i < pa->n_volumes; i++) {
		struct volume_rt *v = volume_find(a, pa->volumes[i].uuid);

		if (!v) {
			*ready = false;
			best = 0;
			continue;
		}
		if (v->st.state == ZSW_ERROR) {
			*error = true;
			snprintf(err, errsz, "%s", v->st.err.text);
		}
		if (v->st.state != ZSW_CREATED_VOLUME)
			*ready = false;
		for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
			if (order[k] == v->st.state && k < best)
				best = k;
	}
	*state = order[best];
}

/* A slow create runs in a child process with a hypervisor handle of its own
 * (libxl contexts do not survive fork); the domain outlives the child, which
 * exits 0 once it runs, or 1 with the error sentence in a memfd. */
static int
app_starter_spawn(struct apps *a, struct app_rt *ar, char *err)
{
	sigset_t none;
	pid_t pid;
	int fd;

	fd = memfd_create("app-starter-err", MFD_CLOEXEC);
	if (fd < 0) {
		snprintf(err, HV_ERR, "memfd: %s", strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, HV_ERR, "fork: %s", strerror(errno));
		close(fd);
		return -EAGAIN;
	}
	if (pid == 0) {
		struct hv_opts hvo = { 0 };
		struct hv *h = NULL;
		char e[HV_ERR] = "";
		int rc;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		rc = a->hv_ops->open(&h, &hvo, e);
		if (rc == 0)
			rc = a->hv_ops->create(h, &ar->spec, e);
		if (h)
			a->hv_ops->close(h);
		if (rc < 0 && write(fd, e, strnlen(e, sizeof(e))) < 0)
			_exit(2);
		_exit(rc < 0 ? 1 : 0);
	}
	ar->starter = pid;
	ar->starter_err = fd;
	return 0;
}

static void app_create_failed(struct apps *a, struct app_rt *ar, const char *err);

static bool
app_starter_busy(const struct apps *a)
{
	for (size_t i = 0; i < PLAN_MAX_APPS; i++)
		if (a->apps[i].used && a->apps[i].starter > 0)
			return true;
	return false;
}

static void
app_starters_reap(struct apps *a)
{
	for (size_t i = 0; i < PLAN_MAX_APPS; i++) {
		struct app_rt *ar = &a->apps[i];
		char err[HV_ERR] = "";
		int status;
		ssize_t n;

		if (!ar->used || ar->starter <= 0 || waitpid(ar->starter, &status, WNOHANG) <= 0)
			continue;
		ar->starter = 0;
		n = pread(ar->starter_err, err, sizeof(err) - 1, 0);
		close(ar->starter_err);
		ar->starter_err = -1;
		a->dirty = true;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			log_notice("app %s (%s): domain started", ar->uuid, ar->st.name);
			app_pci_log(a, ar, "attached to");
			continue;
		}
		if (n <= 0)
			snprintf(err, sizeof(err), "the domain builder %s %d",
				 WIFSIGNALED(status) ? "died of signal" : "exited with",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		app_create_failed(a, ar, err);
		/* a builder that died leaves its half-built domain behind */
		if (a->hv && a->hv_ops->destroy(a->hv, &ar->spec, err) < 0)
			log_err("app %s: destroy after a failed build: %s", ar->uuid, err);
	}
}

static void
app_create_failed(struct apps *a, struct app_rt *ar, const char *err)
{
	ar->create_error = true;
	snprintf(ar->create_err, sizeof(ar->create_err), "cannot start the domain: %s",
		 err[0] ? err : "unknown error");
	log_err("app %s (%s): %s", ar->uuid, ar->st.name, ar->create_err);
	if (ar->io_granted) {
		iomodel_release(&a->io, ar->uuid);
		ar->io_granted = false;
	}
	a->dirty = true;
}

static void
app_reconcile(struct apps *a, struct app_rt *ar, const struct plan_app *pa)
{
	struct appfsm_in in = { .in_plan = pa != NULL };
	struct appfsm_out out;
	char verr[PLAN_ERR] = "";
	uint32_t sig;
	uint64_t now = evloop_now_ms();

	if (pa) {
		sig = fnv1a(pa, sizeof(*pa));
		if (sig != ar->plan_sig) {
			/* a new config for it: errors from the last one no longer hold */
			if (ar->plan_sig)
				ar->create_error = false;
			ar->plan_sig = sig;
			ar->stopped_by_guest = false;
			ar->io_error = false;
			ar->spec_built = false;
		}
		if (!ar->counters_known)
			app_counters_load(a, ar, pa);
		snprintf(ar->st.uuid, sizeof(ar->st.uuid), "%s", pa->uuid);
		snprintf(ar->st.version, sizeof(ar->st.version), "%s", pa->version);
		snprintf(ar->st.name, sizeof(ar->st.name), "%s", pa->name);
		ar->st.n_volumes = pa->n_volumes;
		for (uint32_t i = 0; i < pa->n_volumes; i++)
			snprintf(ar->st.volumes[i], PLAN_UUID, "%s", pa->volumes[i].uuid);
		in.config_error = pa->error[0] != '\0';
		in.activate = pa->activate;
		in.purge_changed = pa->purge_counter != ar->purge_acted;
		in.restart_changed = pa->restart_counter != ar->restart_acted;
		app_volumes(a, pa, &in.volumes_ready, &in.volumes_state, &in.volumes_error, verr,
			    sizeof(verr));
		in.io_error = ar->io_error;
		if (!ar->delay_until)
			ar->delay_until = now + (uint64_t)pa->start_delay_s * 1000;
		in.delay_pending = now < ar->delay_until;
		in.create_error = ar->create_error;
	}
	if (pa && in.volumes_ready && !ar->spec_built && !in.config_error && a->hv) {
		/* the whole spec (adapters granted) before looking for a running
		 * guest: an adopted guest keeps what it holds */
		char err[HV_ERR] = "";

		if (app_spec(a, ar, pa, err, sizeof(err)) < 0) {
			ar->io_error = true;
			snprintf(ar->create_err, sizeof(ar->create_err), "%s", err);
			memset(&ar->spec, 0, sizeof(ar->spec));
			in.io_error = true;
		} else {
			ar->spec_built = true;
		}
	}
	app_observe(a, ar);
	in.dom = ar->dom;
	in.stopped_by_guest = ar->stopped_by_guest;
	in.halt_requested = ar->halt_requested;
	in.halt_timed_out = ar->halt_requested && now > ar->halt_deadline;
	appfsm_step(&in, &out);

	if (out.state != ar->st.state) {
		log_info("app %s (%s): %s -> %s%s%s", ar->uuid, ar->st.name, zsw_name(ar->st.state),
			 zsw_name(out.state), out.action ? "; " : "",
			 out.action ? appfsm_action_name(out.action) : "");
		ar->st.state = out.state;
		a->dirty = true;
	}
	if (out.state != ZSW_ERROR)
		clear_err(&ar->st.err);
	else if (pa && pa->error[0])
		set_err(&ar->st.err, "%s", pa->error);
	else if (in.volumes_error)
		set_err(&ar->st.err, "%s", verr);
	else if (ar->create_error || ar->io_error)
		set_err(&ar->st.err, "%s", ar->create_err);
	else if (ar->dom == APPFSM_DOM_CRASHED)
		set_err(&ar->st.err, "the guest crashed");

	if (ar->starter > 0)
		out.action = APPFSM_NONE;      /* being built: act once the builder is done */
	switch (out.action) {
	case APPFSM_CREATE: {
		char err[HV_ERR] = "";
		int rc;

		if (!a->hv) {
			ar->create_error = true;
			snprintf(ar->create_err, sizeof(ar->create_err), "no hypervisor: %s", a->hv_err);
			break;
		}
		rc = ar->spec_built ? 0 : app_spec(a, ar, pa, err, sizeof(err));
		if (rc < 0) {
			ar->io_error = true;
			snprintf(ar->create_err, sizeof(ar->create_err), "%s", err);
			break;
		}
		ar->spec_built = true;
		if (ar->starter > 0)
			break;          /* being created */
		if (mkdir_p(ar->spec.run_dir, 0700) < 0) {
			snprintf(err, sizeof(err), "%s: %s", ar->spec.run_dir, strerror(errno));
			app_create_failed(a, ar, err);
			break;
		}
		ar->st.boot_time = now_s();
		ar->adopt_tried = true;
		if (a->hv_ops->slow_create) {
			/* one builder at a time: each needs dom0 memory for the
			 * guest kernel it unpacks (about 80 MB for Debian's) */
			if (app_starter_busy(a)) {
				ar->adopt_tried = true;
				break;
			}
			if (app_starter_spawn(a, ar, err) < 0)
				app_create_failed(a, ar, err);
			else
				log_info("app %s (%s): building the domain", ar->uuid, ar->st.name);
			break;
		}
		if (a->hv_ops->create(a->hv, &ar->spec, err) < 0) {
			app_create_failed(a, ar, err);
			break;
		}
		log_notice("app %s (%s): domain started", ar->uuid, ar->st.name);
		app_pci_log(a, ar, "attached to");
		a->dirty = true;
		break;
	}
	case APPFSM_SHUTDOWN: {
		char err[HV_ERR] = "";

		if (a->hv_ops->shutdown(a->hv, &ar->spec, err) < 0)
			log_warn("app %s: shutdown: %s", ar->uuid, err);
		ar->halt_requested = true;
		ar->halt_deadline = now + APPS_HALT_GRACE_MS;
		break;
	}
	case APPFSM_DESTROY:
		if (pa && pa->activate && ar->dom == APPFSM_DOM_STOPPED && !in.restart_changed &&
		    !in.purge_changed)
			ar->stopped_by_guest = true;
		app_destroy(a, ar);
		a->dirty = true;
		break;
	case APPFSM_PURGE:
		app_purge_volumes(a, pa);
		ar->purge_acted = pa->purge_counter;
		ar->restart_acted = pa->restart_counter;
		ar->st.purge_counter = ar->purge_acted;
		ar->stopped_by_guest = false;
		ar->create_error = false;
		app_counters_save(a, ar);
		a->dirty = true;
		break;
	case APPFSM_RESTART:
		ar->restart_acted = pa->restart_counter;
		ar->st.restart_counter = ar->restart_acted;
		ar->stopped_by_guest = false;
		ar->create_error = false;
		app_counters_save(a, ar);
		a->dirty = true;
		break;
	case APPFSM_FORGET: {
		char path[600];

		snprintf(path, sizeof(path), "%s/%s", a->app_dir, ar->uuid);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s.prev", a->app_dir, ar->uuid);
		unlink(path);
		log_notice("app %s (%s): removed", ar->uuid, ar->st.name);
		mark_gone(a, 3 /* ZiApp */, ar->uuid);
		ar->used = false;
		break;
	}
	default:
		break;
	}
	if (ar->used) {
		ar->st.boot_time = ar->dom == APPFSM_DOM_RUNNING
					   ? (ar->info.boot_time ? ar->info.boot_time : ar->st.boot_time)
					   : 0;
		snprintf(ar->st.console, sizeof(ar->st.console), "%s", ar->info.vnc);
		ar->st.restart_counter = ar->restart_acted;
		ar->st.purge_counter = ar->purge_acted;
		ar->st.n_adapters = 0;
		if (ar->io_granted && pa)
			for (uint32_t i = 0; i < pa->n_adapters; i++)
				ar->st.adapters[ar->st.n_adapters++] = pa->adapters[i];
	}
}

/* ---- the whole picture ---- */

static void
status_send(struct apps *a)
{
	struct apps_status *s = &a->status;
	uint64_t size = sizeof(*s);
	int fd, rc;

	memset(s, 0, sizeof(*s));
	s->magic = APPSTATUS_MAGIC;
	s->version = APPSTATUS_VERSION;
	s->size = sizeof(*s);
	for (size_t i = 0; i < PLAN_MAX_CONTENTS; i++)
		if (a->contents[i].used)
			s->contents[s->n_contents++] = a->contents[i].st;
	for (size_t i = 0; i < PLAN_MAX_VOLUMES; i++)
		if (a->volumes[i].used)
			s->volumes[s->n_volumes++] = a->volumes[i].st;
	for (size_t i = 0; i < PLAN_MAX_APPS; i++)
		if (a->apps[i].used)
			s->apps[s->n_apps++] = a->apps[i].st;
	s->n_gone = a->gone.n_gone;
	memcpy(s->gone, a->gone.gone, sizeof(s->gone));
	s->seq = a->seq; /* compared without seq below */
	if (memcmp(s, &a->sent, sizeof(*s)) == 0)
		return;
	s->seq = ++a->seq;
	rc = ipc_blob_make("apps-status", s, sizeof(*s), &fd);
	if (rc < 0) {
		log_err("status: %s", strerror(-rc));
		return;
	}
	rc = role_send_fd(a->ctx, IPC_APPS_STATUS, &size, sizeof(size), fd);
	close(fd);
	if (rc < 0) {
		log_warn("status: %s", strerror(-rc));
		return;
	}
	a->sent = *s;
	a->sent.seq = s->seq - 1; /* so the next comparison ignores seq */
	a->gone.n_gone = 0;
}

static void
metrics_send(struct apps *a)
{
	struct apps_metrics m;
	size_t len;

	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < PLAN_MAX_APPS && m.n < APPS_METRICS_MAX; i++) {
		struct app_rt *ar = &a->apps[i];
		struct app_metric *am;

		if (!ar->used || ar->dom != APPFSM_DOM_RUNNING)
			continue;
		am = &m.m[m.n++];
		snprintf(am->uuid, sizeof(am->uuid), "%s", ar->uuid);
		snprintf(am->name, sizeof(am->name), "%s", ar->st.name);
		am->cpu_ns = ar->info.cpu_ns;
		am->boot_time = ar->st.boot_time;
		am->mem_alloc_mib = ar->spec.memory_kib / 1024;
		am->mem_used_mib = ar->info.mem_used_mib;
	}
	len = offsetof(struct apps_metrics, m) + m.n * sizeof(m.m[0]);
	role_send(a->ctx, IPC_APPS_METRICS, &m, len);
}

static void
tick_arm(struct apps *a, bool fast)
{
	if (fast == a->fast)
		return;
	a->fast = fast;
	evloop_timer_arm(&a->tick, fast ? APPS_FAST_TICK_MS : APPS_TICK_MS,
			 fast ? APPS_FAST_TICK_MS : APPS_TICK_MS);
}

static void
sweep(struct apps *a)
{
	for (size_t i = 0; i < PLAN_MAX_CONTENTS; i++) {
		struct content_rt *c = &a->contents[i];

		if (c->used && !c->seen) {
			log_notice("content %s (%s): no longer in the config", c->uuid, c->st.name);
			mark_gone(a, 8 /* ZiContentTree */, c->uuid);
			content_drop(a, c);
		}
	}
	for (size_t i = 0; i < PLAN_MAX_VOLUMES; i++) {
		struct volume_rt *v = &a->volumes[i];

		if (!v->used || v->seen || v->job_running)
			continue;
		volume_remove(a->vol_dir, v->uuid, v->generation);
		log_notice("volume %s (%s): no longer in the config; removed", v->uuid, v->st.name);
		mark_gone(a, 7 /* ZiVolume */, v->uuid);
		v->used = false;
	}
}

static void
reconcile(struct apps *a)
{
	const struct app_plan *p = a->plan;
	bool fast = false;

	volumes_reap(a);
	if (!p)
		return; /* nothing is decided before the first plan (a guest may wait to be adopted) */
	for (size_t i = 0; i < PLAN_MAX_CONTENTS; i++)
		a->contents[i].seen = false;
	for (size_t i = 0; i < PLAN_MAX_VOLUMES; i++)
		a->volumes[i].seen = false;
	for (size_t i = 0; i < PLAN_MAX_APPS; i++)
		a->apps[i].seen = false;
	for (uint32_t i = 0; i < p->n_contents; i++)
		content_reconcile(a, &p->contents[i]);
	for (uint32_t i = 0; i < p->n_volumes; i++)
		volume_reconcile(a, &p->volumes[i]);
	for (uint32_t i = 0; i < p->n_apps; i++) {
		const struct plan_app *pa = &p->apps[i];
		struct app_rt *ar = app_find(a, pa->uuid);

		if (!ar && (ar = app_alloc(a)) != NULL) {
			snprintf(ar->uuid, sizeof(ar->uuid), "%s", pa->uuid);
			ar->st.state = ZSW_INITIAL;
			a->dirty = true;
		}
		if (!ar) {
			log_err("app %s: more than %d apps", pa->uuid, PLAN_MAX_APPS);
			continue;
		}
		ar->seen = true;
		app_reconcile(a, ar, pa);
	}
	for (size_t i = 0; i < PLAN_MAX_APPS; i++)
		if (a->apps[i].used && !a->apps[i].seen)
			app_reconcile(a, &a->apps[i], NULL);
	sweep(a);
	for (size_t i = 0; i < PLAN_MAX_CONTENTS; i++)
		fast |= a->contents[i].used && a->contents[i].verifying;
	for (size_t i = 0; i < PLAN_MAX_VOLUMES; i++)
		fast |= a->volumes[i].used && a->volumes[i].job_running;
	tick_arm(a, fast);
}

static void
on_tick(struct evloop *l, void *arg)
{
	struct apps *a = arg;

	(void)l;
	for (size_t i = 0; i < PLAN_MAX_CONTENTS; i++)
		if (a->contents[i].used && a->contents[i].verifying)
			content_verify_step(a, &a->contents[i]);
	reconcile(a);
	if (a->plan && evloop_now_ms() >= a->next_metrics) {
		a->next_metrics = evloop_now_ms() + APPS_METRICS_MS;
		metrics_send(a);
	}
	status_send(a);
}

static void
on_sigchld(struct evloop *l, int signo, void *arg)
{
	(void)l;
	(void)signo;
	volumes_reap(arg);
	app_starters_reap(arg);
}

static void
gc_store(struct apps *a)
{
	const char *keep[PLAN_MAX_CONTENTS];
	size_t n = 0;

	for (uint32_t i = 0; i < a->plan->n_contents; i++)
		if (a->plan->contents[i].sha256[0])
			keep[n++] = a->plan->contents[i].sha256;
	verify_store_gc(a->img_dir, keep, n);
}

static int
take_plan(struct apps *a, const struct ipc_msg *m)
{
	char err[256];
	void *buf = NULL;
	size_t len = 0;
	int rc;

	rc = ipc_blob_read(m->fd, sizeof(struct app_plan), &buf, &len);
	if (rc < 0) {
		log_err("plan from evc: %s", rc == -EPERM ? "not a sealed memfd" : strerror(-rc));
		return rc;
	}
	rc = appplan_check(buf, len, err, sizeof(err));
	if (rc < 0) {
		log_err("plan from evc refused: %s", err);
		free(buf);
		return rc;
	}
	free(a->plan);
	a->plan = buf;
	log_info("plan for config %.16s: %u apps, %u volumes, %u content trees, %u datastores%s%s",
		 a->plan->config_hash, a->plan->n_apps, a->plan->n_volumes, a->plan->n_contents,
		 a->plan->n_datastores, a->plan->error[0] ? "; " : "", a->plan->error);
	if (a->io_ok) {
		static char ioerr[PLAN_MAX_IO][PLAN_ERR];

		if (iomodel_check_config(&a->io, a->plan->io, a->plan->n_io, ioerr) < 0)
			for (uint32_t i = 0; i < a->plan->n_io; i++)
				if (ioerr[i][0])
					log_err("the config's I/O list does not match the board: %s",
						ioerr[i]);
	}
	gc_store(a);
	reconcile(a);
	status_send(a);
	return 0;
}

int
apps_on_msg(struct role_ctx *ctx, const struct ipc_msg *m)
{
	struct apps *a = ctx->state;

	switch (m->type) {
	case IPC_APPS_PLAN:
		return take_plan(a, m);
	case IPC_DL_STATUS:
		on_dl_status(a, m);
		if (a->plan)
			status_send(a);
		return 0;
	default:
		log_err("apps does not take message type %u", m->type);
		return -EBADMSG;
	}
}

/* Apps whose state files exist but which no plan names yet: remembered, so
 * a domain left running by a previous eved is found again (adopted, or
 * destroyed once the plan says it is gone). */
static void
load_known_apps(struct apps *a)
{
	DIR *d = opendir(a->app_dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		struct app_rt *ar;

		if (strlen(de->d_name) != 36 || app_find(a, de->d_name))
			continue;
		ar = app_alloc(a);
		if (!ar)
			break;
		snprintf(ar->uuid, sizeof(ar->uuid), "%s", de->d_name);
		snprintf(ar->st.uuid, sizeof(ar->st.uuid), "%s", de->d_name);
		ar->st.state = ZSW_INITIAL;
	}
	closedir(d);
}

int
apps_init(struct role_ctx *ctx)
{
	const struct eved_opts *o = ctx->o;
	struct apps *a = calloc(1, sizeof(*a));
	struct hv_opts hvo = { 0 };
	const char *run = o->run_dir ? o->run_dir : "/run/edgevisor";
	char err[512], persist[PATH_MAX], run_abs[PATH_MAX];
	int rc;

	if (!a)
		return -ENOMEM;
	a->ctx = ctx;
	ctx->state = a;
	the_apps = a;
	/* absolute: these paths go to QEMU and qemu-img, which run elsewhere */
	if (!realpath(o->persist_dir, persist)) {
		log_err("apps: persist folder %s: %s", o->persist_dir, strerror(errno));
		return -errno;
	}
	if (mkdir_p(run, 0700) < 0 || !realpath(run, run_abs)) {
		log_err("apps: run folder %s: %s", run, strerror(errno));
		return -errno;
	}
	snprintf(a->img_dir, sizeof(a->img_dir), "%s/apps/img", persist);
	snprintf(a->vol_dir, sizeof(a->vol_dir), "%s/apps/vol", persist);
	snprintf(a->app_dir, sizeof(a->app_dir), "%s/apps/app", persist);
	snprintf(a->run_dir, sizeof(a->run_dir), "%s/apps", run_abs);
	if ((rc = mkdir_p(a->img_dir, 0700)) < 0 || (rc = mkdir_p(a->vol_dir, 0700)) < 0 ||
	    (rc = mkdir_p(a->app_dir, 0700)) < 0 || (rc = mkdir_p(a->run_dir, 0700)) < 0) {
		log_err("apps: cannot make its folders under %s and %s: %s", o->persist_dir,
			a->run_dir, strerror(-rc));
		return rc;
	}
	a->hv_ops = hv_choose(o->hv);
	if (!a->hv_ops) {
		snprintf(a->hv_err, sizeof(a->hv_err), "unknown hypervisor backend '%s'", o->hv);
		log_err("%s", a->hv_err);
	} else if (a->hv_ops->open(&a->hv, &hvo, a->hv_err) < 0) {
		log_err("hypervisor %s: %s; apps cannot start until this is fixed", a->hv_ops->name,
			a->hv_err);
		a->hv = NULL;
	} else {
		log_notice("hypervisor backend: %s", a->hv_ops->name);
	}
	if (o->board_io) {
		rc = iomodel_load(o->board_io, &a->io, err, sizeof(err));
		if (rc < 0)
			log_err("board I/O model %s: %s; no adapter can be assigned", o->board_io, err);
		else
			a->io_ok = true;
	}
	load_known_apps(a);
	if ((rc = evloop_timer_add(ctx->loop, &a->tick, on_tick, a)) < 0 ||
	    (rc = evloop_signal_add(ctx->loop, SIGCHLD, on_sigchld, a)) < 0)
		return rc;
	a->fast = true;
	tick_arm(a, false);
	return 0;
}

void
apps_fini(struct role_ctx *ctx)
{
	struct apps *a = ctx->state;

	if (!a)
		return;
	/* Guests keep running: the next apps process adopts them. */
	for (size_t i = 0; i < PLAN_MAX_CONTENTS; i++)
		if (a->contents[i].used) {
			if (a->contents[i].verifying) {
				verify_abort(&a->contents[i].v);
				close(a->contents[i].vfd);
			}
			free(a->contents[i].cert[0]);
			free(a->contents[i].cert[1]);
		}
	if (a->hv)
		a->hv_ops->close(a->hv);
	free(a->plan);
	free(a);
	ctx->state = NULL;
	the_apps = NULL;
}
