/*
 * http_parse: a pure, incremental, bounded parser for HTTP/1.1 messages,
 * responses (what a client reads) and requests (what a server reads).
 *
 * Feed it bytes in any split; it answers when the head is complete and when
 * the message is complete, and never keeps more than its fixed bounds:
 * a head of at most HTTP_HEAD_MAX bytes with at most HTTP_HEADERS_MAX header
 * lines, trailers of at most HTTP_TRAILER_MAX bytes / HTTP_TRAILERS_MAX lines,
 * a chunk-size line of at most HTTP_CHUNK_LINE_MAX bytes, and a body of at
 * most body_max bytes.  It is strict where leniency lets two parsers disagree
 * about where a message ends (request smuggling): CR LF line ends only,
 * no obs-fold, header names must be tokens, Content-Length must be digits
 * (duplicates must agree), Transfer-Encoding must be exactly "chunked", and
 * Content-Length together with Transfer-Encoding is refused; an HTTP/1.1
 * request needs exactly one Host header (a 1.0 request at most one).
 *
 * Body framing (RFC 9112 §6.3): no body for responses to HEAD, for 1xx, 204,
 * 304 and for 2xx responses to CONNECT (the connection becomes a tunnel);
 * otherwise chunked, else Content-Length, else (responses only) everything
 * until the peer closes; a request without either has no body.
 *
 * Errors: a negative errno and a sentence in m->err naming the part and the
 * reason.  -EPROTO malformed; -EFBIG the body is over body_max; -EMSGSIZE the
 * head, the trailers or a chunk-size line is over its bound; -ENOTSUP a
 * transfer coding other than chunked; -EPROTONOSUPPORT not HTTP/1.x.  So a
 * server answers 400, 413, 431, 501 and 505 without reading the sentence.
 * Examples: "HTTP response body: chunk size 'zz' is not hex",
 * "HTTP response body: over the 1048576-byte limit".
 *
 * Pure: no I/O, no allocation, no globals.
 *
 * Ownership: struct http_msg is the caller's (about 23 KiB: put it on the
 * heap or a roomy stack).  Every string the parser hands out (method, target,
 * reason, header names and values) points into m->buf and lives as long as
 * m is not re-initialised.  The body buffer is the caller's; the parser only
 * writes body bytes into it.
 */
#ifndef EV_HTTP_PARSE_H
#define EV_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 16384        /* bytes of start line + headers + CRLFs */
#define HTTP_HEADERS_MAX 64        /* header lines */
#define HTTP_TRAILER_MAX 4096      /* bytes of the trailer section */
#define HTTP_TRAILERS_MAX 16       /* trailer lines */
#define HTTP_CHUNK_LINE_MAX 1024   /* chunk size + extensions + CRLF */
#define HTTP_ERR_MAX 200           /* error sentence with NUL */

enum http_kind {
	HTTP_RESPONSE,
	HTTP_REQUEST,
};

/* What a feed call reached. */
enum http_progress {
	HTTP_NEED_MORE = 0, /* all input used; feed more */
	HTTP_HEAD_DONE = 1, /* the head just completed (returned once); body next */
	HTTP_BODY_FULL = 2, /* the body buffer is full but the limit is not
			     * reached: give room with http_msg_set_body() */
	HTTP_DONE = 3,      /* the message is complete; later bytes not used */
};

enum http_body_kind {
	HTTP_BODY_NONE,
	HTTP_BODY_LENGTH,  /* Content-Length */
	HTTP_BODY_CHUNKED,
	HTTP_BODY_CLOSE,   /* until the connection closes (responses only) */
};

struct http_header {
	const char *name;  /* token, as received (compare case-insensitively) */
	const char *value; /* without leading/trailing blanks; may be "" */
};

struct http_msg {
	/* ---- results: valid once HTTP_HEAD_DONE was returned ---- */
	int minor;               /* HTTP/1.<minor>: 0 or 1 */
	int status;              /* responses: 100..599 */
	const char *reason;      /* responses: reason phrase, may be "" */
	const char *method;      /* requests */
	const char *target;      /* requests: as sent ("/path?q", "host:443", "*") */
	struct http_header headers[HTTP_HEADERS_MAX];
	size_t nheaders;
	struct http_header trailers[HTTP_TRAILERS_MAX]; /* valid at HTTP_DONE */
	size_t ntrailers;
	enum http_body_kind body_kind;
	uint64_t content_length; /* HTTP_BODY_LENGTH */
	bool keep_alive;         /* the connection may carry another message
				  * after this one (version, Connection, framing) */
	bool tunnel;             /* 2xx answer to CONNECT: bytes after the head
				  * belong to the tunnel */

	/* ---- body: caller-owned buffer ---- */
	uint8_t *body;           /* where body bytes go (may be NULL if body_cap 0) */
	size_t body_cap;         /* size of body */
	size_t body_len;         /* bytes in body */
	size_t body_max;         /* limit on the whole body of this message */
	uint64_t body_total;     /* body bytes seen in all (>= body_len when drained) */

	char err[HTTP_ERR_MAX];  /* the reason of the last error, "" if none */

	/* ---- private parser state ---- */
	enum http_kind kind;
	uint8_t req_method;      /* responses: what the request was (HEAD, CONNECT) */
	uint8_t state;
	int error;               /* the error every later call returns */
	bool cr;                 /* previous byte was CR */
	size_t head_bytes;       /* head (or trailer) bytes seen, CRLFs included */
	size_t line_start;       /* offset in buf of the line being read */
	size_t nlines;
	size_t buflen;
	uint64_t remaining;      /* body bytes left (length or current chunk) */
	size_t clen;
	char cline[HTTP_CHUNK_LINE_MAX];
	char buf[HTTP_HEAD_MAX + HTTP_TRAILER_MAX];
};

/* Starts parsing a response to a request with method req_method ("GET",
 * "HEAD", "CONNECT", ...; NULL means GET).  The body goes into body (body_cap
 * bytes, may be NULL/0 and set later with http_msg_set_body) and may be at
 * most body_max bytes in all. */
void http_msg_init_response(struct http_msg *m, const char *req_method,
			    uint8_t *body, size_t body_cap, size_t body_max);
/* Starts parsing a request. */
void http_msg_init_request(struct http_msg *m, uint8_t *body, size_t body_cap,
			   size_t body_max);

/*
 * Gives the body a (new) buffer of cap bytes of which the first len are
 * already body (e.g. after realloc: the old bytes; after draining: 0).
 * Call it at HTTP_HEAD_DONE or HTTP_BODY_FULL.  len <= cap.
 */
void http_msg_set_body(struct http_msg *m, uint8_t *body, size_t cap, size_t len);

/*
 * Parses up to len bytes of data; *used is set to how many were consumed.
 * Returns an enum http_progress, or a negative errno with m->err set (the
 * message is then dead; further calls return the same error).
 * At HTTP_HEAD_DONE, HTTP_BODY_FULL and HTTP_DONE, *used may be < len: feed
 * the rest again (HEAD_DONE, BODY_FULL) or keep it as the next message's
 * (DONE).  Once HTTP_DONE, further calls use nothing and return HTTP_DONE.
 */
int http_msg_feed(struct http_msg *m, const void *data, size_t len, size_t *used);

/*
 * The peer closed the connection: completes a close-delimited body
 * (returns HTTP_DONE), or fails with -EPROTO and a reason (closed inside the
 * head or the body).  Returns HTTP_DONE if the message was already complete.
 */
int http_msg_finish(struct http_msg *m);

/* True while no byte of the message has been fed (a closed keep-alive
 * connection before a new message is not an error for a server). */
bool http_msg_untouched(const struct http_msg *m);

/* The value of the first header named name (case-insensitive), or NULL. */
const char *http_msg_header(const struct http_msg *m, const char *name);
/* The same for trailers. */
const char *http_msg_trailer(const struct http_msg *m, const char *name);

/* True if the comma-separated list has the element token (case-insensitive),
 * e.g. http_list_has("keep-alive, Upgrade", "upgrade").  Pure. */
bool http_list_has(const char *list, const char *token);

/* For writers, by the same rules the parser applies: s is a non-empty
 * token; line is "Name: value" with a token name and a value without
 * control bytes (so no CR/LF header injection).  Pure. */
bool http_token_ok(const char *s);
bool http_field_line_ok(const char *line);

/* The standard reason phrase of a status code ("Not Found"), or "Unknown". */
const char *http_status_reason(int status);

#endif
