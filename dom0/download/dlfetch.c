/* dlfetch: the download engine.  See dlfetch.h. */
#include "dlfetch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "devconf.h"
#include "fdio.h"
#include "http_client.h"
#include "log.h"
#include "stream.h"

bool
dlfetch_id_ok(const char *id)
{
	size_t n = 0;

	if (!id || !id[0] || id[0] == '.')
		return false;
	for (; id[n]; n++) {
		char c = id[n];

		if (n >= DLFETCH_ID_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- one attempt */

/* What one request is doing with the body. */
enum body_use { BODY_DISCARD, BODY_WRITE };

struct fetch {
	const struct dlfetch_req *r;
	struct dlfetch_result *res;
	int fd;                 /* the .part file */
	enum body_use use;
	int status;
	bool complete416;       /* 416 and the file is already whole */
	char location[HTTP_PATH_MAX + HTTP_HOST_MAX + 16];
	int rc;                 /* a failure detected in a callback */
	bool rc_transient;
	char qurl[160];         /* the URL for messages */
};

static void __attribute__((format(printf, 3, 4)))
fail(struct fetch *f, bool transient, const char *fmt, ...)
{
	char why[DLFETCH_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(f->res->err, sizeof(f->res->err), "%s: %s", f->qurl, why);
	f->res->transient = transient;
}

int
dlfetch_content_range_parse(const char *v, uint64_t *first, uint64_t *total, bool *star)
{
	uint64_t last = 0;
	char *end;

	*first = 0;
	*total = 0;
	*star = false;
	if (!v || strncmp(v, "bytes ", 6) != 0)
		return -EPROTO;
	v += 6;
	if (*v == '*') {
		*star = true;
		v++;
	} else {
		if (*v < '0' || *v > '9')
			return -EPROTO;
		errno = 0;
		*first = strtoull(v, &end, 10);
		if (errno || *end != '-' || end[1] < '0' || end[1] > '9')
			return -EPROTO;
		last = strtoull(end + 1, &end, 10);
		if (errno || last < *first)
			return -EPROTO;
		v = end;
	}
	if (*v != '/')
		return -EPROTO;
	v++;
	if (strcmp(v, "*") == 0)
		return *star ? -EPROTO : 0;
	if (*v < '0' || *v > '9')
		return -EPROTO;
	errno = 0;
	*total = strtoull(v, &end, 10);
	if (errno || *end || (!*star && last >= *total))
		return -EPROTO;
	return 0;
}

static int
space_check(struct fetch *f, uint64_t need)
{
	uint64_t margin = f->r->margin ? f->r->margin : DLFETCH_MARGIN_DEFAULT;
	struct statvfs sv;
	uint64_t avail;

	if (fstatvfs(f->fd, &sv) < 0)
		return 0; /* no answer: the writes will tell */
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (need + margin > avail) {
		snprintf(f->res->err, sizeof(f->res->err),
			 "disk full: %s needs %" PRIu64 " bytes, %s has %" PRIu64 " free", f->qurl,
			 need + margin, f->r->dir, avail);
		f->res->transient = false;
		return -ENOSPC;
	}
	return 0;
}

static int
on_head(void *arg, const struct http_msg *m)
{
	struct fetch *f = arg;
	struct dlfetch_result *res = f->res;
	const char *cr = http_msg_header(m, "Content-Range");
	uint64_t first, total;
	bool star;
	int rc;

	f->status = m->status;
	f->use = BODY_DISCARD;
	switch (m->status) {
	case 200:
		if (res->done > 0) {
			/* the server ignored the Range: start over */
			if (ftruncate(f->fd, 0) < 0 || lseek(f->fd, 0, SEEK_SET) < 0) {
				fail(f, false, "%s/%s.part: truncating: %s", f->r->dir, f->r->id,
				     strerror(errno));
				return f->rc = -errno;
			}
			res->done = 0;
		}
		res->total = m->body_kind == HTTP_BODY_LENGTH ? m->content_length : 0;
		break;
	case 206:
		if (dlfetch_content_range_parse(cr, &first, &total, &star) < 0 || star) {
			fail(f, true, "206 with a bad Content-Range '%.60s'", cr ? cr : "");
			return f->rc = -EPROTO;
		}
		if (first != res->done) {
			fail(f, true, "206 from byte %" PRIu64 ", asked from %" PRIu64, first,
			     res->done);
			return f->rc = -EPROTO;
		}
		res->range_used = true;
		res->total = total;
		break;
	case 416:
		if (dlfetch_content_range_parse(cr, &first, &total, &star) == 0 && star && total &&
		    total == res->done) {
			res->range_used = true;
			res->total = total;
			f->complete416 = true;
		}
		return 0;
	case 301: case 302: case 303: case 307: case 308: {
		const char *loc = http_msg_header(m, "Location");

		snprintf(f->location, sizeof(f->location), "%s", loc ? loc : "");
		return 0;
	}
	default:
		return 0;
	}
	if (f->r->max_size && res->total > f->r->max_size) {
		fail(f, false, "%" PRIu64 " bytes, over the limit of %" PRIu64, res->total,
		     f->r->max_size);
		return f->rc = -EFBIG;
	}
	if (res->total && (rc = space_check(f, res->total - res->done)) < 0)
		return f->rc = rc;
	f->use = BODY_WRITE;
	return 0;
}

static int
sink(void *arg, const uint8_t *p, size_t n)
{
	struct fetch *f = arg;
	struct dlfetch_result *res = f->res;
	int rc;

	if (f->use == BODY_DISCARD)
		return 0;
	if (f->r->max_size && res->done + n > f->r->max_size) {
		fail(f, false, "over the limit of %" PRIu64 " bytes", f->r->max_size);
		return f->rc = -EFBIG;
	}
	if ((rc = fdio_write_all(f->fd, p, n)) < 0) {
		if (rc == -ENOSPC || rc == -EDQUOT || rc == -EFBIG) {
			struct statvfs sv;
			uint64_t avail = 0;

			if (fstatvfs(f->fd, &sv) == 0)
				avail = (uint64_t)sv.f_bavail * sv.f_frsize;
			snprintf(f->res->err, sizeof(f->res->err),
				 "disk full: %s needs %" PRIu64 " bytes, %s has %" PRIu64
				 " free (writing: %s)", f->qurl,
				 res->total > res->done ? res->total - res->done : n,
				 f->r->dir, avail, strerror(ENOSPC));
			f->res->transient = false;
			return f->rc = -ENOSPC;
		}
		fail(f, false, "%s/%s.part: writing: %s", f->r->dir, f->r->id, strerror(-rc));
		return f->rc = rc;
	}
	res->done += n;
	if (f->r->progress)
		f->r->progress(f->r->arg, res->done, res->total);
	return 0;
}

/* Connects to u (through the proxy if any); *tls is used for https. */
static int
connect_to(struct fetch *f, const struct http_url *u, struct tls_ctx *tls, struct stream_fd *sf,
	   struct stream **s)
{
	const struct dlfetch_req *r = f->r;
	int tmo = r->timeout_ms > 0 ? r->timeout_ms : DLFETCH_TIMEOUT_DEFAULT;
	char e[512], phost[256];
	uint16_t pport;
	int fd = -1, rc;

	if (r->proxy && r->proxy[0]) {
		if ((rc = devconf_parse_server(r->proxy, strlen(r->proxy), phost, &pport, e,
					       sizeof(e))) < 0) {
			fail(f, false, "proxy: %s", e);
			return rc;
		}
		if ((rc = http_tcp_connect(phost, pport, tmo, &fd, e, sizeof(e))) < 0) {
			fail(f, true, "proxy %s: %s", r->proxy, e);
			return rc;
		}
		stream_fd_init(sf, fd, tmo);
		rc = http_proxy_connect(&sf->s, r->proxy, u->host, u->port, NULL, tmo, e, sizeof(e));
		if (rc < 0) {
			fail(f, true, "%s", e);
			close(fd);
			return rc;
		}
	} else {
		if ((rc = http_tcp_connect(u->host, u->port, tmo, &fd, e, sizeof(e))) < 0) {
			fail(f, true, "%s", e);
			return rc;
		}
		stream_fd_init(sf, fd, tmo);
	}
	if (!u->tls) {
		*s = &sf->s;
		return 0;
	}
	if (!r->anchors || !r->anchors->n) {
		fail(f, false, "no trust anchors for https");
		close(fd);
		return -EPROTO;
	}
	rc = tls_client_open(tls, fd, u->host, r->anchors, NULL, NULL, tmo, e);
	if (rc < 0) {
		/* a certificate or protocol failure will not mend by itself */
		fail(f, rc != -EPROTO && rc != -EINVAL, "%s", e);
		close(fd);
		return rc;
	}
	tls->s.timeout_ms = tmo;
	*s = &tls->s;
	return 0;
}

/* A Location value against the URL it came from: absolute, or "/path". */
static int
redirect_url(char *dst, size_t dstsz, const struct http_url *from, const char *loc)
{
	char auth[HTTP_HOST_MAX + 16];

	if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0)
		return snprintf(dst, dstsz, "%s", loc) < (int)dstsz ? 0 : -ENAMETOOLONG;
	if (loc[0] != '/' || loc[1] == '/')
		return -EINVAL;
	if (strchr(from->host, ':'))
		snprintf(auth, sizeof(auth), "[%s]:%u", from->host, from->port);
	else
		snprintf(auth, sizeof(auth), "%s:%u", from->host, from->port);
	return snprintf(dst, dstsz, "%s://%s%s", from->tls ? "https" : "http", auth, loc) <
			       (int)dstsz ? 0 : -ENAMETOOLONG;
}

static int
status_errno(int status, bool *transient)
{
	*transient = status >= 500 || status == 408 || status == 429;
	if (status == 404 || status == 410)
		return -ENOENT;
	if (status == 401 || status == 403 || status == 407)
		return -EACCES;
	return *transient ? -EAGAIN : -EPROTO;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	fsync(fd);
	close(fd);
	return 0;
}

int
dlfetch_run(const struct dlfetch_req *r, struct dlfetch_result *res)
{
	struct fetch f = { .r = r, .res = res, .fd = -1 };
	struct tls_ctx *tls = NULL;
	struct http_resp *resp = NULL;
	struct http_url *u = NULL;
	char final[PATH_MAX], part[PATH_MAX], url[HTTP_PATH_MAX + HTTP_HOST_MAX + 16];
	char e[512], auth[HTTP_HOST_MAX + 16], range[64];
	struct stat st;
	int rc;

	memset(res, 0, sizeof(*res));
	snprintf(f.qurl, sizeof(f.qurl), "%s", r->url ? r->url : "(no URL)");
	if (strlen(r->url ? r->url : "") >= sizeof(f.qurl))
		memcpy(f.qurl + sizeof(f.qurl) - 4, "...", 4);
	if (!r->url || !dlfetch_id_ok(r->id) || !r->dir) {
		fail(&f, false, "bad request (id '%.64s')", r->id ? r->id : "");
		return -EINVAL;
	}
	if (snprintf(final, sizeof(final), "%s/%s", r->dir, r->id) >= (int)sizeof(final) ||
	    snprintf(part, sizeof(part), "%s/%s.part", r->dir, r->id) >= (int)sizeof(part) ||
	    snprintf(url, sizeof(url), "%s", r->url) >= (int)sizeof(url)) {
		fail(&f, false, "path or URL too long");
		return -ENAMETOOLONG;
	}
	if (stat(final, &st) == 0 && S_ISREG(st.st_mode)) {
		res->done = res->total = (uint64_t)st.st_size;
		return 0;
	}
	if (!(tls = malloc(sizeof(*tls))) || !(resp = calloc(1, sizeof(*resp))) ||
	    !(u = malloc(sizeof(*u)))) {
		fail(&f, true, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	f.fd = open(part, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f.fd < 0 || fstat(f.fd, &st) < 0) {
		rc = -errno;
		fail(&f, false, "%s: %s", part, strerror(errno));
		goto out;
	}
	res->done = (uint64_t)st.st_size;
	if (lseek(f.fd, 0, SEEK_END) < 0) {
		rc = -errno;
		fail(&f, false, "%s: %s", part, strerror(errno));
		goto out;
	}
	for (int hop = 0;; hop++) {
		const char *hdrs[3] = { "Accept-Encoding: identity", NULL, NULL };
		struct http_req req = { .method = "GET", .host = auth, .path = u->path,
					.headers = hdrs, .close = true, .on_head = on_head,
					.sink = sink, .sink_arg = &f };
		struct stream_fd sf;
		struct stream *s = NULL;
		bool transient;

		if ((rc = http_url_parse(url, u, e, sizeof(e))) < 0) {
			fail(&f, false, "%s", e);
			goto out;
		}
		http_authority(auth, sizeof(auth), u->host, u->port, u->tls ? 443 : 80);
		if (res->done > 0) {
			snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-", res->done);
			hdrs[1] = range;
		}
		if ((rc = connect_to(&f, u, tls, &sf, &s)) < 0)
			goto out;
		f.rc = 0;
		f.status = 0;
		f.location[0] = 0;
		f.complete416 = false;
		rc = http_request(s, &req, resp, e, sizeof(e));
		s->close(s);
		http_resp_release(resp);
		if (rc < 0) {
			if (f.rc < 0) /* our callback stopped it; its message is set */
				goto out;
			/* connection trouble or a body cut short: resume later */
			fail(&f, true, "%s", e);
			goto out;
		}
		if (f.rc < 0) {
			rc = f.rc;
			goto out;
		}
		if (f.status == 200 || f.status == 206)
			break;
		if (f.status == 416 && f.complete416)
			break;
		if (f.status == 416) {
			/* what we have does not fit the file any more: start over next time */
			if (ftruncate(f.fd, 0) == 0)
				res->done = 0;
			rc = -EAGAIN;
			fail(&f, true, "416 Range Not Satisfiable (partial file dropped)");
			goto out;
		}
		if (f.location[0] && f.status / 100 == 3) {
			if (hop >= DLFETCH_REDIRECTS) {
				rc = -ELOOP;
				fail(&f, false, "more than %d redirects", DLFETCH_REDIRECTS);
				goto out;
			}
			if ((rc = redirect_url(url, sizeof(url), u, f.location)) < 0) {
				fail(&f, false, "redirect to '%.80s': not an http(s) URL", f.location);
				goto out;
			}
			continue;
		}
		rc = status_errno(f.status, &transient);
		fail(&f, transient, "%d %s", f.status, http_status_reason(f.status));
		goto out;
	}
	if (res->total && res->done != res->total) {
		rc = -EIO;
		fail(&f, true, "got %" PRIu64 " of %" PRIu64 " bytes", res->done, res->total);
		goto out;
	}
	res->total = res->done;
	if (fsync(f.fd) < 0 || rename(part, final) < 0) {
		rc = -errno;
		fail(&f, errno == EIO, "%s: %s", final, strerror(errno));
		goto out;
	}
	fsync_dir(r->dir);
	res->err[0] = 0;
	res->transient = false;
	rc = 0;
out:
	if (f.fd >= 0)
		close(f.fd);
	free(tls);
	free(resp);
	free(u);
	return rc;
}

/* ---------------------------------------------------------------- workers */

struct worker {
	int wfd;
	uint64_t last_ms;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
worker_progress(void *arg, uint64_t done, uint64_t total)
{
	struct worker *w = arg;
	struct dlfetch_report rep = { .kind = DLFETCH_PROGRESS, .done = done, .total = total };
	uint64_t now = mono_ms();

	if (now - w->last_ms < DLFETCH_REPORT_MS)
		return;
	w->last_ms = now;
	if (write(w->wfd, &rep, sizeof(rep)) < 0)
		_exit(1); /* the role is gone */
}

static void __attribute__((noreturn))
worker_main(const struct dlfetch_req *r0, int wfd, pid_t parent)
{
	struct dlfetch_req r = *r0;
	struct worker w = { .wfd = 3, .last_ms = mono_ms() };
	struct dlfetch_report *rep = calloc(1, sizeof(*rep));
	struct dlfetch_result res;
	sigset_t all;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(1); /* the parent died before the line above */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_set_sink(NULL, NULL);
	if (wfd != 3 && dup2(wfd, 3) < 0)
		_exit(1);
	close_range(4, ~0U, 0);
	r.progress = worker_progress;
	r.arg = &w;
	prctl(PR_SET_NAME, "eved-dlworker", 0, 0, 0);
	rep->rc = dlfetch_run(&r, &res);
	rep->kind = DLFETCH_END;
	rep->done = res.done;
	rep->total = res.total;
	rep->transient = res.transient;
	rep->range_used = res.range_used;
	memcpy(rep->err, res.err, sizeof(rep->err));
	_exit(write(3, rep, sizeof(*rep)) == (ssize_t)sizeof(*rep) ? 0 : 1);
}

int
dlfetch_spawn(const struct dlfetch_req *r, pid_t *pid, int *rfd)
{
	pid_t child, self = getpid();
	int p[2];

	*pid = -1;
	*rfd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (child == 0) {
		close(p[0]);
		worker_main(r, p[1], self);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	*pid = child;
	*rfd = p[0];
	return 0;
}

int
dlfetch_report_read(int rfd, struct dlfetch_report *rep)
{
	ssize_t n = read(rfd, rep, sizeof(*rep));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	if ((size_t)n != sizeof(*rep))
		return -EPROTO;
	rep->err[sizeof(rep->err) - 1] = 0;
	return 1;
}

/* ---------------------------------------------------------------- anchors */

/* Moves b's anchors to the end of a's (each anchor is one allocation). */
static int
anchors_append(struct tls_anchors *a, struct tls_anchors *b)
{
	br_x509_trust_anchor *n = realloc(a->ta, (a->n + b->n) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	memcpy(n + a->n, b->ta, b->n * sizeof(*n));
	a->ta = n;
	a->n += b->n;
	free(b->ta);
	b->ta = NULL;
	b->n = 0;
	return 0;
}

/* Parses text in pieces of at most TLS_ANCHORS_MAX certificates. */
static int
anchors_add_text(struct tls_anchors *a, const char *text, size_t len, const char *name,
		 char err[DLFETCH_ERR_MAX])
{
	static const char endm[] = "-----END CERTIFICATE-----";
	char e[TLS_ERR_MAX];
	size_t off = 0;
	int rc;

	while (off < len) {
		size_t end = off;
		unsigned count = 0;
		struct tls_anchors b = { 0 };

		while (count < TLS_ANCHORS_MAX) {
			const char *m = memmem(text + end, len - end, endm, sizeof(endm) - 1);

			if (!m)
				break;
			end = (size_t)(m - text) + sizeof(endm) - 1;
			count++;
		}
		if (!count)
			break;
		rc = tls_anchors_parse(&b, text + off, end - off, name, e);
		if (rc < 0) {
			snprintf(err, DLFETCH_ERR_MAX, "%s", e);
			return rc;
		}
		if ((rc = anchors_append(a, &b)) < 0) {
			tls_anchors_free(&b);
			snprintf(err, DLFETCH_ERR_MAX, "%s: out of memory", name);
			return rc;
		}
		off = end;
	}
	return 0;
}

int
dlfetch_anchors_load(struct tls_anchors *a, const char *const *paths, char err[DLFETCH_ERR_MAX])
{
	int rc = 0;

	a->ta = NULL;
	a->n = 0;
	for (; paths && *paths; paths++) {
		int fd = open(*paths, O_RDONLY | O_CLOEXEC);
		struct stat st;
		char *buf;
		size_t got;

		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			rc = -errno;
			snprintf(err, DLFETCH_ERR_MAX, "%s: %s", *paths, strerror(errno));
			goto out;
		}
		if (fstat(fd, &st) < 0 || st.st_size > (off_t)(16u << 20) ||
		    !(buf = malloc((size_t)st.st_size + 1))) {
			rc = -EFBIG;
			snprintf(err, DLFETCH_ERR_MAX, "%s: unreadable or over 16 MiB", *paths);
			close(fd);
			goto out;
		}
		rc = fdio_read_all(fd, buf, (size_t)st.st_size, &got);
		close(fd);
		if (rc == 0)
			rc = anchors_add_text(a, buf, got, *paths, err);
		else
			snprintf(err, DLFETCH_ERR_MAX, "%s: %s", *paths, strerror(-rc));
		free(buf);
		if (rc < 0)
			goto out;
	}
	if (!a->n) {
		snprintf(err, DLFETCH_ERR_MAX, "no trust anchors in any of the root files");
		rc = -ENOENT;
	}
out:
	if (rc < 0)
		tls_anchors_free(a);
	return rc;
}
