/*
 * http_client: the one HTTP/1.1 client of Edgevisor, over a struct stream
 * (plain TCP, a tunnel through an HTTP proxy, or TLS on either): the
 * controller link, downloads and connectivity tests all use it.
 *
 *   http_url_parse      "https://host:port/path" -> scheme, host, port, path (pure)
 *   http_tcp_connect    resolve and connect (IPv4 and IPv6) with a timeout
 *   http_proxy_connect  CONNECT host:port through a proxy; the stream is then
 *                       the tunnel (not one byte past the proxy's answer is read)
 *   http_request        write a request, read the response (keep-alive aware)
 *   http_msg_read       read one message with the parser (also used by http_server)
 *
 * Ownership: streams are the caller's (never closed here).  A response body
 * is in the caller's buffer or malloc'd here (struct http_resp.body_malloced);
 * http_resp_release() frees what was malloc'd.  Strings in a struct http_req
 * are the caller's and only read during the call.
 *
 * Errors are a negative errno plus a sentence in err (errsz bytes, may be
 * NULL/0).  Parser errors keep the parser's codes (http_parse.h); besides:
 * -ECONNRESET  the peer closed or reset the connection before any byte of the
 *              response (a keep-alive connection the server dropped: an
 *              idempotent request may be retried on a new connection); a
 *              reset later in the response is -EIO;
 * -ETIMEDOUT   no progress within the stream's timeout, or the response took
 *              longer than timeout_ms;
 * -EINVAL      a request field that would not make a valid message (a CR or
 *              LF in a header, a bad method or path): nothing was sent.
 */
#ifndef EV_HTTP_CLIENT_H
#define EV_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"
#include "stream.h"

#define HTTP_BODY_MAX_DEFAULT (1u << 20) /* 1 MiB */
#define HTTP_HOST_MAX 256
#define HTTP_PATH_MAX 2048

/* ---------------------------------------------------------------- URLs */

struct http_url {
	bool tls;                  /* https */
	char host[HTTP_HOST_MAX];  /* DNS name or address; IPv6 without brackets */
	uint16_t port;             /* as given, else 80 (http) / 443 (https) */
	char path[HTTP_PATH_MAX];  /* origin-form target: "/" or "/a/b?q" */
};

/*
 * Parses an absolute http or https URL.  Refused: other schemes, userinfo
 * ("user@"), an empty or malformed host, a bad port, a fragment, spaces and
 * control or non-ASCII bytes.  IPv6 literals go in brackets:
 * "https://[2001:db8::1]:8443/x".  0 or -EINVAL with a reason in err.
 */
int http_url_parse(const char *url, struct http_url *out, char *err, size_t errsz);

/*
 * Writes the authority "host", "host:port", "[v6]:port" into dst: the port
 * is left out when it equals default_port (pass 0 to always write it).
 * 0 or -ENAMETOOLONG.
 */
int http_authority(char *dst, size_t dstsz, const char *host, uint16_t port,
		   uint16_t default_port);

/* ---------------------------------------------------------------- sockets */

/*
 * Resolves host (name, IPv4 or IPv6 literal) and connects to the first
 * address that answers, trying each in turn; the addresses share timeout_ms
 * (<= 0: no limit), so one that never answers cannot starve the others.
 * On success *fd is a connected, non-blocking, close-on-exec TCP socket with
 * TCP_NODELAY (give it to stream_fd_init).  *fd is -1 on failure.
 * -ENOENT name unknown, -ETIMEDOUT, or the connect errno (-ECONNREFUSED, ...).
 * Resolution itself is the system resolver's (its own timeouts apply).
 */
int http_tcp_connect(const char *host, uint16_t port, int timeout_ms, int *fd,
		     char *err, size_t errsz);

/*
 * Over s, connected to the proxy named proxy (for messages only, e.g.
 * "10.1.1.1:3128"), asks "CONNECT host:port HTTP/1.1" with basic credentials
 * "user:password" when userpass is not NULL.  Succeeds only on a 2xx answer;
 * the answer is read byte by byte, so s is left exactly at the first byte of
 * the tunnel.  -EACCES on 407 or 401 (tinyproxy answers bad credentials
 * with 401), -ECONNREFUSED on any other status.
 */
int http_proxy_connect(struct stream *s, const char *proxy, const char *host, uint16_t port,
		       const char *userpass, int timeout_ms, char *err, size_t errsz);

/* ---------------------------------------------------------------- requests */

struct http_req {
	const char *method;         /* "GET", "POST", ... (a token) */
	const char *host;           /* Host header: an authority (http_authority) */
	const char *path;           /* origin-form target, "/..." */
	const char *const *headers; /* NULL-terminated "Name: value" lines, or NULL;
				     * Host, Content-Length, Transfer-Encoding and
				     * Connection are set here, not by the caller */
	const void *body;           /* body_len bytes, or NULL */
	size_t body_len;            /* Content-Length is sent when > 0 or for
				     * POST / PUT / PATCH */
	bool close;                 /* send "Connection: close": no reuse */
	int timeout_ms;             /* limit on reading the whole response; <= 0:
				     * only the stream's per-operation timeout
				     * (which also bounds each write).  Applied by
				     * lowering s->timeout_ms for each read: a
				     * stream must honour its own timeout_ms */
	uint8_t *resp_buf;          /* where the response body goes: a caller buffer
				     * of resp_max bytes, or NULL to malloc it */
	size_t resp_max;            /* body limit; 0: HTTP_BODY_MAX_DEFAULT (with
				     * sink: no limit) */
	/* Streaming (downloads): with sink set, body bytes are handed to sink
	 * as they arrive, in pieces of at most HTTP_SINK_CHUNK bytes, instead
	 * of being kept; resp_buf is ignored and resp->body stays NULL.
	 * on_head (optional) sees the final response's head (status,
	 * headers) before any body byte.  Body bytes received before a
	 * failure (a connection closed inside the body) reach the sink
	 * before http_request returns the error, so a download can resume
	 * after them.  A negative return from either callback stops the
	 * request with that error (err: "HTTP response body: stopped: ...").
	 * A Range request is an ordinary header line ("Range: bytes=N-"). */
	int (*on_head)(void *arg, const struct http_msg *m);
	int (*sink)(void *arg, const uint8_t *p, size_t n);
	void *sink_arg;
};

#define HTTP_SINK_CHUNK (64 * 1024)

struct http_resp {
	struct http_msg msg;  /* status, reason, headers, trailers (http_msg_header) */
	int status;           /* = msg.status */
	uint8_t *body;        /* the caller's resp_buf, or malloc'd (NULL if empty) */
	size_t body_len;
	bool body_malloced;   /* body is ours: http_resp_release frees it */
	bool reusable;        /* the connection may carry the next request */
};

/*
 * Sends req over s and reads the final response (interim 1xx answers other
 * than 101 are skipped) into *resp.  Returns 0 for any complete response
 * whatever its status, or an error (see above); on error nothing is left
 * allocated in *resp and the connection must not be reused.
 * resp->reusable is true only if both sides keep the connection alive, the
 * body was framed by length or chunks and no stray byte followed it.
 */
int http_request(struct stream *s, const struct http_req *req, struct http_resp *resp,
		 char *err, size_t errsz);

/* Frees a malloc'd body; safe to call twice. */
void http_resp_release(struct http_resp *resp);

/* ---------------------------------------------------------------- shared I/O */

/* Bytes read from a connection but not yet parsed: what a message's reader
 * read past its end belongs to the next message (pipelining). */
struct http_rbuf {
	uint8_t data[8192];
	size_t off, len;
};

struct http_read_opts {
	int timeout_ms;      /* limit on the whole message; <= 0: none */
	bool grow;           /* m has no body buffer: malloc and grow it up to
			      * m->body_max (the caller frees m->body) */
	bool head_only;      /* stop at the end of the head */
	bool byte_by_byte;   /* never read past the message (CONNECT answers) */
	bool continue_100;   /* a request with "Expect: 100-continue" and a body
			      * gets "HTTP/1.1 100 Continue" before its body */
	/* streaming (see struct http_req): m's body buffer is drained into
	 * sink whenever it fills, at the end, and before an error return */
	int (*on_head)(void *arg, const struct http_msg *m);
	int (*sink)(void *arg, const uint8_t *p, size_t n);
	void *sink_arg;
};

/*
 * Reads one message from s (through rb) into m, which the caller has
 * initialised (http_msg_init_*).  0 when complete (or when the head is,
 * with head_only), else an error; -ECONNRESET when the peer closed or reset
 * the connection before the first byte.
 */
int http_msg_read(struct stream *s, struct http_rbuf *rb, struct http_msg *m,
		  const struct http_read_opts *o, char *err, size_t errsz);

/* A message head under construction (start line, headers) for writers. */
struct http_head {
	char buf[HTTP_HEAD_MAX];
	size_t len;
	int rc;              /* first error: -EMSGSIZE (too long) or -EINVAL */
	char err[HTTP_ERR_MAX];
};

void http_head_init(struct http_head *h);
/* Appends formatted text as is (the caller vouches for it). */
void http_head_printf(struct http_head *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends caller-supplied "Name: value" lines after checking each one
 * (http_field_line_ok) and that none is named in reserved (a NULL-terminated
 * list of names the writer sets itself). */
void http_head_lines(struct http_head *h, const char *const *lines, const char *const *reserved);
/* Ends the head (empty line), writes head and body to s and flushes.
 * 0, h->rc (nothing written) or the stream's error. */
int http_head_send(struct http_head *h, struct stream *s, const void *body, size_t len);

#endif
