/*
 * dlfetch: the download engine of the download role.  Fetches one http or
 * https URL into DIR/<id>.part with the one HTTP client (http_client.h) and
 * renames it to DIR/<id> when complete.
 *
 *   dlfetch_run          one attempt, in the calling process (blocks)
 *   dlfetch_spawn        the same in a forked worker that reports progress
 *                        and its end over a pipe (struct dlfetch_report)
 *   dlfetch_anchors_load trust anchors from several PEM files, any number
 *                        of certificates (the system bundle has ~150)
 *   dlfetch_id_ok        the id rule of IPC_DL_REQ (pure)
 *
 * Resuming: an existing <id>.part is continued with "Range: bytes=N-"; a
 * 206 answer is appended (its Content-Range must start at N), a 200 answer
 * starts the file over, a 416 answer whose Content-Range total equals N means
 * the file was already complete.  Sizes (Content-Length, the Content-Range
 * total, and the bytes actually received) are checked against max_size
 * (-EFBIG); free space (statvfs) against what is still missing plus a margin
 * before the first body byte is written (-ENOSPC "disk full: URL needs N
 * bytes, DIR has M free"); a write failing with ENOSPC gives the same error
 * and keeps the partial file.  Redirects (301, 302, 303, 307, 308) are
 * followed up to DLFETCH_REDIRECTS times, to http or https URLs only.  The
 * proxy ("host:port", as /config/proxy) tunnels with CONNECT for both
 * schemes.  HTTPS checks the server's chain against the given anchors and
 * its name against the URL's host.
 *
 * Errors: a negative errno and res->err naming the URL and the reason
 * ("http://h/x: 404 Not Found"); res->transient tells whether a retry may
 * succeed (connection refused, reset, timed out, a body cut short, a 5xx,
 * 408 or 429 answer) or not (another 4xx: -ENOENT for 404/410, -EACCES for
 * 401/403; -EFBIG; -ENOSPC; a TLS certificate failure; a local I/O error).
 * The partial file is kept in every case.
 *
 * Ownership: every pointer of struct dlfetch_req is the caller's and only
 * read during the call (in the worker: the forked copy).  struct
 * tls_anchors from dlfetch_anchors_load is the caller's (tls_anchors_free).
 */
#ifndef EV_DLFETCH_H
#define EV_DLFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tls.h"

#define DLFETCH_ERR_MAX 256
#define DLFETCH_REDIRECTS 5
#define DLFETCH_ID_MAX 63
#define DLFETCH_MARGIN_DEFAULT (16u << 20) /* free bytes left over after a download */
#define DLFETCH_TIMEOUT_DEFAULT 30000      /* ms without progress */
#define DLFETCH_REPORT_MS 250              /* a worker's progress reports: at most 4/s */

struct dlfetch_req {
	const char *url;                   /* http:// or https:// */
	const char *dir;                   /* the download folder */
	const char *id;                    /* dlfetch_id_ok */
	uint64_t max_size;                 /* 0: no limit */
	const struct tls_anchors *anchors; /* https: required (n >= 1) */
	const char *proxy;                 /* "host:port"; NULL or "": direct */
	int timeout_ms;                    /* connect and no-progress limit; <= 0: default */
	uint64_t margin;                   /* free space to keep; 0: DLFETCH_MARGIN_DEFAULT */
	/* progress (optional): bytes in the file so far, total (0: unknown) */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *arg;
};

struct dlfetch_result {
	uint64_t done, total;              /* bytes in the file; total 0: unknown */
	bool transient;                    /* a retry may succeed */
	bool range_used;                   /* a Range request was answered 206 / 416 */
	char err[DLFETCH_ERR_MAX];         /* "" on success */
};

/* True when id is 1..63 of [A-Za-z0-9._-] and does not start with '.'. */
bool dlfetch_id_ok(const char *id);

/*
 * Parses a Content-Range value: "bytes A-B/T" (*first = A, *total = T, T may
 * be "*": 0) or "bytes * /T" without the space (*star, *total = T).  0 or
 * -EPROTO (also when B < A or a number overflows).  Pure.
 */
int dlfetch_content_range_parse(const char *v, uint64_t *first, uint64_t *total, bool *star);

/*
 * One attempt: 0 when DIR/<id> is complete (already there counts), else a
 * negative errno with res->err and res->transient set.
 */
int dlfetch_run(const struct dlfetch_req *r, struct dlfetch_result *res);

/* What a worker writes on its pipe: fixed size (< PIPE_BUF, so atomic). */
enum dlfetch_report_kind { DLFETCH_PROGRESS = 1, DLFETCH_END = 2 };
struct dlfetch_report {
	uint32_t kind;                     /* enum dlfetch_report_kind */
	int32_t rc;                        /* DLFETCH_END: dlfetch_run's result */
	uint64_t done, total;
	uint8_t transient;
	uint8_t range_used;
	uint8_t reserved[6];
	char err[DLFETCH_ERR_MAX];
};

/*
 * Forks a worker running dlfetch_run(r) (r->progress is replaced by pipe
 * reports, at most one per DLFETCH_REPORT_MS, then one DLFETCH_END).  The
 * worker keeps only its pipe of the parent's descriptors, unblocks every
 * signal, dies with its parent (PR_SET_PDEATHSIG SIGKILL) and logs to
 * stderr.  On success *pid is the worker and *rfd the non-blocking,
 * close-on-exec read end (the caller's).  -errno if fork or pipe fail.
 */
int dlfetch_spawn(const struct dlfetch_req *r, pid_t *pid, int *rfd);

/*
 * Reads one report from a worker's pipe: 1 with *rep filled, 0 when none is
 * waiting (-EAGAIN), -EPIPE at end of file (the worker is gone), -EPROTO on a
 * short record.
 */
int dlfetch_report_read(int rfd, struct dlfetch_report *rep);

/*
 * Loads the CERTIFICATE objects of every existing file of paths (NULL-
 * terminated; a missing file is skipped) as trust anchors; no bound on their
 * number.  -ENOENT when no file gave a certificate, or a parse error naming
 * the file.
 */
int dlfetch_anchors_load(struct tls_anchors *a, const char *const *paths,
			 char err[DLFETCH_ERR_MAX]);

#endif
