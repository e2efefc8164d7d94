/*
 * download: the role that fetches datastore content for the apps role
 * (DESIGN.md §3): it holds datastore sockets and the download folder, no
 * hypervisor handle and no key, and hands every finished file to apps as an
 * O_RDONLY descriptor (apps verifies it).
 *
 *   IPC_DL_REQ     queue (DL_QUEUED), start when fewer than dl_max_parallel
 *                  downloads run (DL_RUNNING), report progress, then DL_DONE
 *                  with the fd of PERSIST/downloads/<id>, or DL_FAILED with
 *                  rc and err.  A request for an id whose file is complete is
 *                  answered DL_DONE at once (no refetch); for an id in
 *                  progress, with its current status.
 *   IPC_DL_CANCEL  kill its worker if any, delete <id> and <id>.part.
 *
 * Each download runs in a forked worker (dlfetch_spawn) reporting over a
 * pipe, so this loop never blocks on the network.  A transient failure
 * (connection refused, reset, timed out, a body cut short, 5xx) keeps the
 * download DL_RUNNING with rc and err set and retries it after a capped
 * exponential backoff (backoff.h), resuming from the partial file; a
 * permanent one (4xx, over max_size, disk full, a TLS certificate
 * failure) is DL_FAILED.
 *
 * Trust: the request's cert_pem when given, else the device roots loaded at
 * start from CONFIG/root-certificate.pem and /etc/ssl/certs/ca-certificates.crt
 * (each when present).  Proxy: CONFIG/proxy ("host:port"), as the evc role.
 * Leftover files in the folder are kept at start: the apps role asks again
 * for what it still needs, and those downloads resume; a .part nobody asks
 * for stays until a CANCEL for its id.
 */
#include "eved.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomicfile.h"
#include "backoff.h"
#include "dlfetch.h"
#include "evloop.h"
#include "http_client.h"

#define DL_MAX 64                 /* downloads queued or running at once */
#define DL_RETRY_BASE_MS 1000
#define DL_RETRY_CAP_MS 60000
#define DL_SYSTEM_ROOTS "/etc/ssl/certs/ca-certificates.crt"

struct dlrole;

struct dl {
	struct dlrole *role;
	struct ipc_dl_req req;
	struct ipc_dl_status st;
	uint64_t seq;             /* arrival order */
	pid_t pid;                /* the worker; -1 none */
	int rfd;                  /* its pipe; -1 none */
	struct dlfetch_report end;
	bool have_end;
	bool waiting;             /* between attempts (st.state stays DL_RUNNING) */
	uint64_t next_try_ms;
	struct backoff bo;
};

struct dlrole {
	struct role_ctx *ctx;
	char dir[PATH_MAX];
	char proxy[300];
	struct tls_anchors roots;
	struct dl *dl[DL_MAX];
	unsigned running, max_running;
	uint64_t seq;
	struct evloop_timer timer;
};

static void schedule(struct dlrole *r);

static void
send_status(struct dlrole *r, struct dl *d, int fd)
{
	int rc = role_send_fd(r->ctx, IPC_DL_STATUS, &d->st, sizeof(d->st), fd);

	if (rc < 0)
		log_warn("download %s: status not sent: %s", d->st.id, strerror(-rc));
}

static void
dl_free(struct dlrole *r, struct dl *d)
{
	for (int i = 0; i < DL_MAX; i++)
		if (r->dl[i] == d)
			r->dl[i] = NULL;
	if (d->rfd >= 0) {
		evloop_del_fd(r->ctx->loop, d->rfd);
		close(d->rfd);
	}
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		while (waitpid(d->pid, NULL, 0) < 0 && errno == EINTR)
			;
		r->running--;
	}
	free(d);
}

static struct dl *
dl_find(struct dlrole *r, const char *id)
{
	for (int i = 0; i < DL_MAX; i++)
		if (r->dl[i] && strcmp(r->dl[i]->req.id, id) == 0)
			return r->dl[i];
	return NULL;
}

/* Sends DL_DONE with the file's fd if DIR/<id> is complete; 1 if so. */
static int
answer_done(struct dlrole *r, struct ipc_dl_status *st)
{
	char path[PATH_MAX + IPC_DL_ID + 2];
	struct stat sb;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", r->dir, st->id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return 0;
	}
	st->state = DL_DONE;
	st->rc = 0;
	st->done = st->total = (uint64_t)sb.st_size;
	st->err[0] = 0;
	rc = role_send_fd(r->ctx, IPC_DL_STATUS, st, sizeof(*st), fd);
	if (rc < 0)
		log_warn("download %s: DL_DONE not sent: %s", st->id, strerror(-rc));
	else
		log_info("download %s: done, %llu bytes", st->id, (unsigned long long)st->done);
	close(fd);
	return 1;
}

static void
on_worker(struct evloop *l, int fd, short revents, void *arg);

static void
fail_now(struct dlrole *r, struct dl *d, int rc, const char *err)
{
	d->st.state = DL_FAILED;
	d->st.rc = rc;
	snprintf(d->st.err, sizeof(d->st.err), "%s", err);
	log_err("download %s: %s", d->st.id, d->st.err);
	send_status(r, d, -1);
	dl_free(r, d);
}

static void
start(struct dlrole *r, struct dl *d)
{
	struct tls_anchors own = { 0 };
	struct dlfetch_req fr = { .url = d->req.url, .dir = r->dir, .id = d->req.id,
				  .max_size = d->req.max_size, .proxy = r->proxy,
				  .anchors = r->roots.n ? &r->roots : NULL };
	char err[TLS_ERR_MAX], msg[IPC_DL_ERR];
	int rc;

	if (d->req.cert_len) {
		rc = tls_anchors_parse(&own, d->req.cert_pem, d->req.cert_len, "cert_pem", err);
		if (rc < 0) {
			snprintf(msg, sizeof(msg), "%.120s: datastore certificate: %s", d->req.url, err);
			fail_now(r, d, rc, msg);
			return;
		}
		fr.anchors = &own;
	}
	rc = dlfetch_spawn(&fr, &d->pid, &d->rfd);
	tls_anchors_free(&own); /* the worker has its copy */
	if (rc == 0 && (rc = evloop_add_fd(r->ctx->loop, d->rfd, POLLIN, on_worker, d)) < 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		close(d->rfd);
		d->pid = -1;
		d->rfd = -1;
	}
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "%.120s: cannot start a worker: %s", d->req.url,
			 strerror(-rc));
		fail_now(r, d, rc, msg);
		return;
	}
	r->running++;
	d->have_end = false;
	d->waiting = false;
	d->st.state = DL_RUNNING;
	log_info("download %s: started (worker %d) from %s", d->st.id, (int)d->pid, d->req.url);
	send_status(r, d, -1);
}

/* The worker is gone: DONE, FAILED, or a retry later. */
static void
worker_ended(struct dlrole *r, struct dl *d)
{
	struct dlfetch_report *e = &d->end;
	int wst = 0;

	evloop_del_fd(r->ctx->loop, d->rfd);
	close(d->rfd);
	d->rfd = -1;
	while (waitpid(d->pid, &wst, 0) < 0 && errno == EINTR)
		;
	d->pid = -1;
	r->running--;
	if (!d->have_end) {
		memset(e, 0, sizeof(*e));
		e->rc = -ECHILD;
		e->transient = 1;
		snprintf(e->err, sizeof(e->err), "%.120s: download worker died (%s %d)", d->req.url,
			 WIFSIGNALED(wst) ? "signal" : "exit status",
			 WIFSIGNALED(wst) ? WTERMSIG(wst) : WEXITSTATUS(wst));
	}
	d->st.done = e->done;
	d->st.total = e->total;
	if (e->rc == 0) {
		if (!answer_done(r, &d->st)) {
			e->rc = -ENOENT;
			e->transient = 1;
			snprintf(e->err, sizeof(e->err), "%s/%s: gone after the download", r->dir,
				 d->st.id);
		} else {
			dl_free(r, d);
			return;
		}
	}
	if (!e->transient) {
		fail_now(r, d, e->rc, e->err);
		return;
	}
	{
		uint32_t rnd = 0, delay;

		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) < 0)
			rnd = (uint32_t)d->seq * 2654435761u;
		delay = backoff_next(&d->bo, rnd);
		d->waiting = true;
		d->next_try_ms = evloop_now_ms() + delay;
		d->st.state = DL_RUNNING;
		d->st.rc = e->rc;
		snprintf(d->st.err, sizeof(d->st.err), "%s", e->err);
		log_warn("download %s: %s; retrying in %u ms", d->st.id, e->err, delay);
		send_status(r, d, -1);
	}
}

static void
on_worker(struct evloop *l, int fd, short revents, void *arg)
{
	struct dl *d = arg;
	struct dlrole *r = d->role;
	struct dlfetch_report rep;
	int rc;

	(void)l;
	(void)revents;
	for (;;) {
		rc = dlfetch_report_read(fd, &rep);
		if (rc == 0)
			return;
		if (rc < 0)
			break; /* end of file (or a broken record): the worker is done */
		if (rep.kind == DLFETCH_END) {
			d->end = rep;
			d->have_end = true;
			continue;
		}
		d->st.done = rep.done;
		d->st.total = rep.total;
		send_status(r, d, -1);
	}
	worker_ended(r, d);
	schedule(r);
}

static void
on_timer(struct evloop *l, void *arg)
{
	(void)l;
	schedule(arg);
}

/* Starts what may start (oldest first), then arms the timer for the next retry. */
static void
schedule(struct dlrole *r)
{
	uint64_t now = evloop_now_ms(), next = 0;

	for (;;) {
		struct dl *best = NULL;

		if (r->running >= r->max_running)
			break;
		for (int i = 0; i < DL_MAX; i++) {
			struct dl *d = r->dl[i];

			if (!d || d->pid > 0)
				continue;
			if (d->st.state != DL_QUEUED && !(d->waiting && d->next_try_ms <= now))
				continue;
			if (!best || d->seq < best->seq)
				best = d;
		}
		if (!best)
			break;
		start(r, best);
	}
	for (int i = 0; i < DL_MAX; i++) {
		struct dl *d = r->dl[i];

		if (d && d->waiting && d->pid <= 0 && d->next_try_ms > now &&
		    (!next || d->next_try_ms < next))
			next = d->next_try_ms;
	}
	evloop_timer_arm(&r->timer, next ? next - now : 0, 0);
}

/* Copies a request and checks it; 0, or -EINVAL with the reason in err. */
static int
req_check(const struct ipc_msg *m, struct ipc_dl_req *q, char *err, size_t errsz)
{
	struct http_url *u;
	char e[HTTP_ERR_MAX];
	int rc;

	memset(q, 0, sizeof(*q));
	memcpy(q, m->data, m->len < sizeof(*q) ? m->len : sizeof(*q));
	if (!memchr(q->id, 0, sizeof(q->id))) {
		q->id[sizeof(q->id) - 1] = 0;
		snprintf(err, errsz, "download request: id is not NUL-terminated");
		return -EINVAL;
	}
	if (!dlfetch_id_ok(q->id)) {
		snprintf(err, errsz, "download request: id '%.64s' is not 1..63 of "
			 "[A-Za-z0-9._-] not starting with '.'", q->id);
		return -EINVAL;
	}
	if (!memchr(q->url, 0, sizeof(q->url))) {
		snprintf(err, errsz, "download request %s: URL is not NUL-terminated", q->id);
		return -EINVAL;
	}
	if (q->cert_len > IPC_DL_CERTS ||
	    offsetof(struct ipc_dl_req, cert_pem) + q->cert_len > m->len) {
		snprintf(err, errsz, "download request %s: cert_len %u past the message", q->id,
			 q->cert_len);
		return -EINVAL;
	}
	if (!(u = malloc(sizeof(*u))))
		return -ENOMEM;
	rc = http_url_parse(q->url, u, e, sizeof(e));
	free(u);
	if (rc < 0) {
		snprintf(err, errsz, "download request %s: %s", q->id, e);
		return -EINVAL;
	}
	return 0;
}

static int
on_req(struct dlrole *r, const struct ipc_msg *m)
{
	struct ipc_dl_req *q = malloc(sizeof(*q));
	struct ipc_dl_status st = { 0 };
	struct dl *d;
	int rc, slot = -1;

	if (!q)
		return -ENOMEM;
	rc = req_check(m, q, st.err, sizeof(st.err));
	memcpy(st.id, q->id, sizeof(st.id));
	st.id[sizeof(st.id) - 1] = 0;
	if (rc < 0) {
		log_err("%s", st.err);
		st.state = DL_FAILED;
		st.rc = rc;
		role_send(r->ctx, IPC_DL_STATUS, &st, sizeof(st));
		goto out;
	}
	if ((d = dl_find(r, q->id))) {
		send_status(r, d, -1); /* in progress: where it is */
		goto out;
	}
	if (answer_done(r, &st))
		goto out;
	for (int i = 0; i < DL_MAX && slot < 0; i++)
		if (!r->dl[i])
			slot = i;
	if (slot < 0 || !(d = calloc(1, sizeof(*d)))) {
		st.state = DL_FAILED;
		st.rc = slot < 0 ? -EBUSY : -ENOMEM;
		snprintf(st.err, sizeof(st.err), "%.120s: more than %d downloads at once", q->url,
			 DL_MAX);
		log_err("download %s: %s", st.id, st.err);
		role_send(r->ctx, IPC_DL_STATUS, &st, sizeof(st));
		goto out;
	}
	d->role = r;
	d->req = *q;
	d->st = st;
	d->st.state = DL_QUEUED;
	d->seq = ++r->seq;
	d->pid = -1;
	d->rfd = -1;
	backoff_init(&d->bo, DL_RETRY_BASE_MS, DL_RETRY_CAP_MS);
	r->dl[slot] = d;
	log_info("download %s: queued (%s)", d->st.id, d->req.url);
	if (r->running >= r->max_running)
		send_status(r, d, -1);
	schedule(r);
out:
	free(q);
	return 0;
}

static int
on_cancel(struct dlrole *r, const struct ipc_msg *m)
{
	struct ipc_dl_id id;
	char path[PATH_MAX + IPC_DL_ID + 8];
	struct dl *d;

	memcpy(&id, m->data, sizeof(id));
	if (!memchr(id.id, 0, sizeof(id.id)) || !dlfetch_id_ok(id.id)) {
		id.id[sizeof(id.id) - 1] = 0;
		log_err("download cancel: bad id '%.64s'", id.id);
		return 0;
	}
	if ((d = dl_find(r, id.id)))
		dl_free(r, d);
	snprintf(path, sizeof(path), "%s/%s", r->dir, id.id);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s.part", r->dir, id.id);
	unlink(path);
	log_info("download %s: cancelled, files deleted", id.id);
	schedule(r);
	return 0;
}

int
download_on_msg(struct role_ctx *ctx, const struct ipc_msg *m)
{
	struct dlrole *r = ctx->state;

	switch (m->type) {
	case IPC_DL_REQ:
		return on_req(r, m);
	case IPC_DL_CANCEL:
		return on_cancel(r, m);
	default:
		log_err("download: does not take message type %u", m->type);
		return -EBADMSG;
	}
}

static void
load_proxy(struct dlrole *r)
{
	char path[PATH_MAX], err[256], *text = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/proxy", r->ctx->o->config_dir);
	if (atomicfile_read(path, sizeof(r->proxy) - 1, &text, &n, err, sizeof(err)) < 0)
		return;
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	memcpy(r->proxy, text, n);
	r->proxy[n] = 0;
	free(text);
	if (r->proxy[0])
		log_info("datastores through the proxy %s", r->proxy);
}

int
download_init(struct role_ctx *ctx)
{
	const struct eved_opts *o = ctx->o;
	struct dlrole *r = calloc(1, sizeof(*r));
	char roots[PATH_MAX], err[DLFETCH_ERR_MAX];
	const char *paths[3] = { roots, DL_SYSTEM_ROOTS, NULL };
	unsigned parts = 0;
	DIR *dir;
	int rc;

	if (!r)
		return -ENOMEM;
	r->ctx = ctx;
	ctx->state = r;
	r->max_running = o->dl_max_parallel ? o->dl_max_parallel : 2;
	if (mkdir(o->persist_dir, 0755) < 0 && errno != EEXIST) {
		log_err("%s: %s", o->persist_dir, strerror(errno));
		return -errno;
	}
	snprintf(r->dir, sizeof(r->dir), "%s/downloads", o->persist_dir);
	if (mkdir(r->dir, 0700) < 0 && errno != EEXIST) {
		log_err("%s: %s", r->dir, strerror(errno));
		return -errno;
	}
	chmod(r->dir, 0700);
	snprintf(roots, sizeof(roots), "%s/root-certificate.pem", o->config_dir);
	rc = dlfetch_anchors_load(&r->roots, paths, err);
	if (rc < 0)
		log_notice("device roots: %s; https datastores need their own certificate", err);
	else
		log_info("device roots: %zu trust anchors", r->roots.n);
	load_proxy(r);
	if ((rc = evloop_timer_add(ctx->loop, &r->timer, on_timer, r)) < 0)
		return rc;
	if ((dir = opendir(r->dir))) {
		struct dirent *e;

		while ((e = readdir(dir))) {
			size_t n = strlen(e->d_name);

			if (n > 5 && strcmp(e->d_name + n - 5, ".part") == 0)
				parts++;
		}
		closedir(dir);
	}
	log_info("download folder %s; up to %u at once; %u partial files kept for resume",
		 r->dir, r->max_running, parts);
	return 0;
}

void
download_fini(struct role_ctx *ctx)
{
	struct dlrole *r = ctx->state;

	if (!r)
		return;
	for (int i = 0; i < DL_MAX; i++)
		if (r->dl[i])
			dl_free(r, r->dl[i]);
	evloop_timer_del(&r->timer);
	tls_anchors_free(&r->roots);
	free(r);
	ctx->state = NULL;
}
