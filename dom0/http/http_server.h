/*
 * http_server: the server side of HTTP/1.1 over a struct stream, for the
 * controller (evc serve) and test peers: read requests with the same parser
 * the client uses (http_parse), write responses, keep connections alive.
 *
 * A connection's loop:
 *
 *	struct http_server_conn c;
 *	struct http_server_req *rq = malloc(sizeof(*rq));
 *	http_server_conn_init(&c, stream);
 *	for (;;) {
 *		rc = http_server_read(&c, rq, NULL, limit, timeout_ms, err, sizeof(err));
 *		if (rc == -ECONNRESET || rc == -ETIMEDOUT)
 *			break;                      // client gone, or idle
 *		if (rc < 0) {
 *			http_server_reject(&c, rc, err); // 400/413/431/501/505, close
 *			break;
 *		}
 *		keep = http_server_keep_alive(&c, rq, 100);
 *		http_response_write(stream, 200, NULL, hdrs, body, n,
 *				    (keep ? 0 : HTTP_RESP_CLOSE) | head_flag);
 *		http_server_req_release(rq);
 *		if (!keep)
 *			break;
 *	}
 *
 * Ownership: the stream is the caller's (never closed here).  A request body
 * is in the caller's buffer or malloc'd (http_server_req_release frees it).
 * Strings of a request point into its struct http_msg.
 */
#ifndef EV_HTTP_SERVER_H
#define EV_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_client.h"
#include "http_parse.h"
#include "stream.h"

struct http_server_conn {
	struct stream *s;      /* not owned */
	struct http_rbuf rb;   /* bytes read past the last request (pipelining) */
	unsigned nrequests;    /* requests read so far */
};

struct http_server_req {
	struct http_msg msg;   /* method, target, headers; body: msg.body, msg.body_len */
	bool body_malloced;
};

void http_server_conn_init(struct http_server_conn *c, struct stream *s);

/*
 * Reads the next request on c: its head (HTTP_HEAD_MAX, HTTP_HEADERS_MAX)
 * and its body (at most body_max bytes: into body_buf if not NULL, else
 * malloc'd as it grows), within timeout_ms in all (<= 0: only the stream's
 * per-read timeout).  A request with "Expect: 100-continue" is answered
 * "100 Continue" before its body is read.
 * 0; -ECONNRESET when the client closed or reset the connection before a new
 * request (the normal end of a keep-alive connection); -ETIMEDOUT; or a
 * parser error (http_parse.h codes) with the reason in err: answer it with
 * http_server_reject().  On error nothing is left allocated.
 */
int http_server_read(struct http_server_conn *c, struct http_server_req *req,
		     uint8_t *body_buf, size_t body_max, int timeout_ms, char *err, size_t errsz);

/* Frees a malloc'd request body; safe to call twice. */
void http_server_req_release(struct http_server_req *req);

/* Whether the connection stays open after answering req: the request allows
 * it (HTTP/1.1 without "Connection: close", or HTTP/1.0 with keep-alive) and
 * fewer than max_requests (0: no cap) have been read on c. */
bool http_server_keep_alive(const struct http_server_conn *c, const struct http_server_req *req,
			    unsigned max_requests);

#define HTTP_RESP_CLOSE 1u /* send "Connection: close" (the caller then closes) */
#define HTTP_RESP_HEAD 2u  /* answer to HEAD: Content-Length of body_len, no body */

/*
 * Writes "HTTP/1.1 status reason", the caller's headers (NULL-terminated
 * "Name: value" lines, or NULL; Content-Length, Transfer-Encoding and
 * Connection are set here), Content-Length (not for 1xx, 204, 304, which
 * must have no body) and the body, then flushes.  reason NULL: the standard
 * phrase.  0, -EINVAL (bad status, reason or header: nothing written), or
 * the stream's error.
 */
int http_response_write(struct stream *s, int status, const char *reason,
			const char *const *headers, const void *body, size_t body_len,
			unsigned flags);

/* The status a request that failed with rc deserves: 413 (-EFBIG), 431
 * (-EMSGSIZE), 501 (-ENOTSUP), 505 (-EPROTONOSUPPORT), 408 (-ETIMEDOUT),
 * else 400. */
int http_status_for_error(int rc);

/* Answers a request that http_server_read refused with
 * http_status_for_error(rc), "Connection: close" and why as a text/plain
 * body (the parser's sentence: printable ASCII).  Returns the status sent,
 * or the stream's error.  The caller closes the connection. */
int http_server_reject(struct http_server_conn *c, int rc, const char *why);

#endif
