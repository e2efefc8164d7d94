/* http_client: HTTP/1.1 client over streams.  See http_client.h. */
#include "http_client.h"

#include "base64.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void
seterr(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* printable-ASCII copy of s, cut at 60 bytes with "..." */
static void
quote(char *dst, size_t dstsz, const char *s)
{
	size_t i, o = 0;

	for (i = 0; s[i] && i < 60 && o + 1 < dstsz; i++)
		dst[o++] = ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f) ? s[i] : '?';
	if (s[i] && o + 4 < dstsz) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- URLs */

static bool
host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

int
http_url_parse(const char *url, struct http_url *out, char *err, size_t errsz)
{
	char q[80];
	const char *p, *a, *ae, *h, *he, *port = NULL, *pe;
	size_t n;

	memset(out, 0, sizeof(*out));
	quote(q, sizeof(q), url ? url : "");
	if (!url)
		goto bad_scheme;
	for (p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			seterr(err, errsz, "URL '%s': space, control or non-ASCII byte", q);
			return -EINVAL;
		}
	if (strncasecmp(url, "http://", 7) == 0) {
		a = url + 7;
		out->port = 80;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		a = url + 8;
		out->tls = true;
		out->port = 443;
	} else {
		goto bad_scheme;
	}
	ae = a + strcspn(a, "/?#");
	if (memchr(a, '@', (size_t)(ae - a))) {
		seterr(err, errsz, "URL '%s': userinfo (user@) is not accepted", q);
		return -EINVAL;
	}
	if (*a == '[') {
		char v6[INET6_ADDRSTRLEN];
		struct in6_addr addr;

		h = a + 1;
		he = memchr(h, ']', (size_t)(ae - h));
		n = he ? (size_t)(he - h) : 0;
		if (!he || n == 0 || n >= sizeof(v6)) {
			seterr(err, errsz, "URL '%s': bad IPv6 literal", q);
			return -EINVAL;
		}
		memcpy(v6, h, n);
		v6[n] = '\0';
		if (inet_pton(AF_INET6, v6, &addr) != 1) {
			seterr(err, errsz, "URL '%s': bad IPv6 literal", q);
			return -EINVAL;
		}
		p = he + 1;
		if (p < ae && *p != ':') {
			seterr(err, errsz, "URL '%s': junk after the IPv6 literal", q);
			return -EINVAL;
		}
	} else {
		h = a;
		he = memchr(a, ':', (size_t)(ae - a));
		if (!he)
			he = ae;
		p = he;
		n = (size_t)(he - h);
		if (n == 0) {
			seterr(err, errsz, "URL '%s': no host", q);
			return -EINVAL;
		}
		for (const char *c = h; c < he; c++)
			if (!host_char((unsigned char)*c)) {
				seterr(err, errsz, "URL '%s': bad byte '%c' in the host", q, *c);
				return -EINVAL;
			}
		if (n > 253 || n >= sizeof(out->host)) {
			seterr(err, errsz, "URL '%s': host name too long", q);
			return -EINVAL;
		}
	}
	if (p < ae) { /* ":port" */
		unsigned long v = 0;

		port = p + 1;
		for (pe = port; pe < ae; pe++) {
			if (*pe < '0' || *pe > '9' || pe - port >= 5) {
				seterr(err, errsz, "URL '%s': bad port", q);
				return -EINVAL;
			}
			v = v * 10 + (unsigned long)(*pe - '0');
		}
		if (pe == port || v == 0 || v > 65535) {
			seterr(err, errsz, "URL '%s': bad port", q);
			return -EINVAL;
		}
		out->port = (uint16_t)v;
	}
	memcpy(out->host, h, n);
	out->host[n] = '\0';
	p = ae;
	if (strchr(p, '#')) {
		seterr(err, errsz, "URL '%s': a fragment (#) is not accepted", q);
		return -EINVAL;
	}
	n = strlen(p);
	if (n + 2 > sizeof(out->path)) {
		seterr(err, errsz, "URL '%s': path over %d bytes", q, HTTP_PATH_MAX - 2);
		return -EINVAL;
	}
	if (*p == '/')
		memcpy(out->path, p, n + 1);
	else
		snprintf(out->path, sizeof(out->path), "/%s", p); /* "" or "?q" */
	return 0;

bad_scheme:
	seterr(err, errsz, "URL '%s': scheme is not http:// or https://", q);
	return -EINVAL;
}

int
http_authority(char *dst, size_t dstsz, const char *host, uint16_t port, uint16_t default_port)
{
	bool v6 = strchr(host, ':') != NULL;
	int r;

	if (port == default_port && default_port)
		r = snprintf(dst, dstsz, v6 ? "[%s]" : "%s", host);
	else
		r = snprintf(dst, dstsz, v6 ? "[%s]:%u" : "%s:%u", host, (unsigned)port);
	return (r < 0 || (size_t)r >= dstsz) ? -ENAMETOOLONG : 0;
}

/* ---------------------------------------------------------------- sockets */

/* connect one address within ms (< 0: forever).  0, or -errno. */
static int
connect_one(const struct addrinfo *ai, int ms, int *fdp)
{
	struct pollfd pfd;
	socklen_t sl = sizeof(int);
	int fd, r, soerr = 0, one = 1, rc;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		goto ok;
	if (errno != EINPROGRESS && errno != EINTR) {
		rc = -errno;
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		r = poll(&pfd, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		rc = -errno;
		goto out;
	}
	if (r == 0) {
		rc = -ETIMEDOUT;
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) {
		rc = -errno;
		goto out;
	}
	if (soerr) {
		rc = -soerr;
		goto out;
	}
ok:
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fdp = fd;
	return 0;
out:
	close(fd);
	return rc;
}

int
http_tcp_connect(const char *host, uint16_t port, int timeout_ms, int *fd, char *err, size_t errsz)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	char portstr[8], q[80], addr[INET6_ADDRSTRLEN] = "?";
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	int r, rc = -EHOSTUNREACH, left = 0;

	*fd = -1;
	quote(q, sizeof(q), host ? host : "");
	if (!host || !*host || port == 0) {
		seterr(err, errsz, "HTTP connect: bad host '%s' or port %u", q, (unsigned)port);
		return -EINVAL;
	}
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	r = getaddrinfo(host, portstr, &hints, &res);
	if (r != 0) {
		seterr(err, errsz, "HTTP connect: host '%s' not found: %s", q,
		       r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		rc = r == EAI_AGAIN ? -EAGAIN : -ENOENT;
		goto out;
	}
	for (ai = res; ai; ai = ai->ai_next)
		left++;
	for (ai = res; ai; ai = ai->ai_next, left--) {
		int ms = -1;

		if (deadline) {
			int64_t rem = deadline - now_ms();

			if (rem <= 0) {
				rc = -ETIMEDOUT;
				break;
			}
			ms = (int)(rem / left);
			if (ms < 1)
				ms = 1;
		}
		if (ai->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr, sizeof(addr));
		else if (ai->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, addr,
				  sizeof(addr));
		rc = connect_one(ai, ms, fd);
		if (rc == 0)
			goto out;
	}
	if (rc == -ETIMEDOUT)
		seterr(err, errsz, "HTTP connect to %s port %u (%s): no answer within %d ms", q,
		       (unsigned)port, addr, timeout_ms);
	else
		seterr(err, errsz, "HTTP connect to %s port %u (%s): %s", q, (unsigned)port, addr,
		       strerror(-rc));
out:
	if (res)
		freeaddrinfo(res);
	return rc;
}

/* ---------------------------------------------------------------- heads */

void
http_head_init(struct http_head *h)
{
	h->len = 0;
	h->rc = 0;
	h->err[0] = '\0';
}

static void
head_fail(struct http_head *h, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
head_fail(struct http_head *h, int rc, const char *fmt, ...)
{
	va_list ap;

	if (h->rc)
		return;
	h->rc = rc;
	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
}

void
http_head_printf(struct http_head *h, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (h->rc)
		return;
	va_start(ap, fmt);
	r = vsnprintf(h->buf + h->len, sizeof(h->buf) - h->len, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(h->buf) - h->len) {
		head_fail(h, -EMSGSIZE, "HTTP head to send: over the %d-byte limit", HTTP_HEAD_MAX);
		return;
	}
	h->len += (size_t)r;
}

void
http_head_lines(struct http_head *h, const char *const *lines, const char *const *reserved)
{
	char q[80];

	for (; lines && *lines; lines++) {
		const char *l = *lines;
		size_t nl = strcspn(l, ":");

		quote(q, sizeof(q), l);
		if (!http_field_line_ok(l)) {
			head_fail(h, -EINVAL, "HTTP header to send '%s': not 'Name: value' "
				  "(or a control byte in it)", q);
			return;
		}
		for (const char *const *r = reserved; r && *r; r++)
			if (strlen(*r) == nl && strncasecmp(l, *r, nl) == 0) {
				head_fail(h, -EINVAL, "HTTP header to send '%s': %s is set by the writer",
					  q, *r);
				return;
			}
		http_head_printf(h, "%s\r\n", l);
	}
}

int
http_head_send(struct http_head *h, struct stream *s, const void *body, size_t len)
{
	ssize_t w;
	int rc;

	http_head_printf(h, "\r\n");
	if (h->rc)
		return h->rc;
	w = s->write(s, h->buf, h->len);
	if (w < 0)
		return (int)w;
	if (len) {
		w = s->write(s, body, len);
		if (w < 0)
			return (int)w;
	}
	rc = s->flush(s);
	return rc;
}

/* ---------------------------------------------------------------- reading */

static const char *
msg_what(const struct http_msg *m)
{
	return m->kind == HTTP_RESPONSE ? "HTTP response" : "HTTP request";
}

/* Room for a malloc'd body: at least want bytes (capped at body_max). */
static int
body_grow(struct http_msg *m, uint64_t want)
{
	size_t cap = m->body_cap ? m->body_cap : 16384;
	uint8_t *nb;

	while ((uint64_t)cap < want && cap < m->body_max)
		cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
	if (cap > m->body_max)
		cap = m->body_max;
	if (cap <= m->body_cap)
		return -EFBIG;
	nb = realloc(m->body, cap);
	if (!nb)
		return -ENOMEM;
	http_msg_set_body(m, nb, cap, m->body_len);
	return 0;
}

/* Hands the buffered body bytes to the sink and empties the buffer. */
static int
sink_drain(struct http_msg *m, const struct http_read_opts *o)
{
	int rc = 0;

	if (!o->sink || !m->body_len)
		return 0;
	rc = o->sink(o->sink_arg, m->body, m->body_len);
	http_msg_set_body(m, m->body, m->body_cap, 0);
	return rc < 0 ? rc : 0;
}

int
http_msg_read(struct stream *s, struct http_rbuf *rb, struct http_msg *m,
	      const struct http_read_opts *o, char *err, size_t errsz)
{
	bool stopped = false;
	int64_t deadline = o->timeout_ms > 0 ? now_ms() + o->timeout_ms : 0;
	int saved_timeout = s->timeout_ms, eff_timeout;
	size_t used;
	ssize_t r;
	int rc;

	for (;;) {
		rc = http_msg_feed(m, rb->data + rb->off, rb->len - rb->off, &used);
		rb->off += used;
		if (rc < 0) {
			seterr(err, errsz, "%s", m->err);
			goto out;
		}
		if (rc == HTTP_DONE) {
			if ((rc = sink_drain(m, o)) < 0)
				goto stop;
			rc = 0;
			goto out;
		}
		if (rc == HTTP_HEAD_DONE) {
			if (o->on_head && !(m->kind == HTTP_RESPONSE && m->status < 200 &&
					    m->status != 101) &&
			    (rc = o->on_head(o->sink_arg, m)) < 0)
				goto stop;
			if (o->head_only) {
				rc = 0;
				goto out;
			}
			if (o->continue_100 && m->kind == HTTP_REQUEST && m->minor == 1 &&
			    m->body_kind != HTTP_BODY_NONE && !(m->body_kind == HTTP_BODY_LENGTH &&
								m->content_length == 0) &&
			    http_list_has(http_msg_header(m, "Expect"), "100-continue") &&
			    rb->off == rb->len) {
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

				if ((r = s->write(s, cont, sizeof(cont) - 1)) < 0 ||
				    (r = s->flush(s)) < 0) {
					rc = (int)r;
					seterr(err, errsz, "HTTP 100 Continue: writing: %s", strerror(-rc));
					goto out;
				}
			}
			if (o->grow && m->body_kind == HTTP_BODY_LENGTH && m->content_length > 0) {
				/* known size (<= body_max, the parser checked): exactly that */
				uint8_t *nb = malloc((size_t)m->content_length);

				if (!nb) {
					rc = -ENOMEM;
					goto nomem;
				}
				http_msg_set_body(m, nb, (size_t)m->content_length, 0);
			}
			continue;
		}
		if (rc == HTTP_BODY_FULL && o->sink) {
			if ((rc = sink_drain(m, o)) < 0)
				goto stop;
			continue;
		}
		if (rc == HTTP_BODY_FULL) {
			if (!o->grow)
				rc = -EFBIG;
			if (rc < 0 || (rc = body_grow(m, (uint64_t)m->body_cap + 1)) < 0)
				goto nomem;
			continue;
		}
		/* HTTP_NEED_MORE: everything buffered was used */
		rb->off = rb->len = 0;
		if (deadline) {
			int64_t rem = deadline - now_ms();

			if (rem <= 0) {
				rc = -ETIMEDOUT;
				seterr(err, errsz, "%s: not complete within %d ms", msg_what(m), o->timeout_ms);
				goto out;
			}
			if (saved_timeout <= 0 || rem < saved_timeout)
				s->timeout_ms = (int)rem;
		}
		eff_timeout = s->timeout_ms;
		r = s->read(s, rb->data, o->byte_by_byte ? 1 : sizeof(rb->data));
		s->timeout_ms = saved_timeout;
		if (r > 0) {
			rb->len = (size_t)r;
			continue;
		}
		if (r == 0) {
			bool untouched = http_msg_untouched(m);

			rc = http_msg_finish(m);
			if (rc == HTTP_DONE) {
				if ((rc = sink_drain(m, o)) < 0)
					goto stop;
				rc = 0;
				goto out;
			}
			seterr(err, errsz, "%s", m->err);
			if (untouched)
				rc = -ECONNRESET;
			goto out;
		}
		rc = (int)r;
		if (rc == -ETIMEDOUT && eff_timeout != saved_timeout)
			seterr(err, errsz, "%s: not complete within %d ms", msg_what(m), o->timeout_ms);
		else if (rc == -ETIMEDOUT)
			seterr(err, errsz, "%s: no data within %d ms", msg_what(m), saved_timeout);
		else
			seterr(err, errsz, "%s: reading: %s", msg_what(m), strerror(-rc));
		/* -ECONNRESET means "before the first byte" (a retry may be safe) */
		if (rc == -EPIPE && http_msg_untouched(m))
			rc = -ECONNRESET;
		else if (rc == -ECONNRESET && !http_msg_untouched(m))
			rc = -EIO;
		goto out;
	}
nomem:
	if (rc == -ENOMEM)
		seterr(err, errsz, "%s body: out of memory", msg_what(m));
	else
		seterr(err, errsz, "%s body: over the %zu-byte limit", msg_what(m), m->body_max);
	goto out;
stop:
	stopped = true;
	seterr(err, errsz, "%s body: stopped: %s", msg_what(m), strerror(-rc));
out:
	/* what arrived before a failure is the sink's too (a resumable download) */
	if (rc < 0 && !stopped)
		sink_drain(m, o);
	s->timeout_ms = saved_timeout;
	return rc;
}

/* ---------------------------------------------------------------- requests */

static const char *const req_reserved[] = {
	"Host", "Content-Length", "Transfer-Encoding", "Connection", NULL
};

static int
check_target(const char *path)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	for (; *path; path++)
		if ((unsigned char)*path <= 0x20 || (unsigned char)*path >= 0x7f)
			return -EINVAL;
	return 0;
}

static int
check_host(const char *host)
{
	if (!host || !*host)
		return -EINVAL;
	for (; *host; host++)
		if ((unsigned char)*host <= 0x20 || (unsigned char)*host >= 0x7f || *host == '/' ||
		    *host == '@')
			return -EINVAL;
	return 0;
}

void
http_resp_release(struct http_resp *resp)
{
	if (resp->body_malloced)
		free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	resp->body_malloced = false;
}

int
http_request(struct stream *s, const struct http_req *req, struct http_resp *resp, char *err,
	     size_t errsz)
{
	struct http_head *h = NULL;
	struct http_rbuf *rb = NULL;
	struct http_read_opts o = { .timeout_ms = req->timeout_ms,
				    .grow = !req->resp_buf && !req->sink,
				    .on_head = req->sink ? req->on_head : NULL,
				    .sink = req->sink, .sink_arg = req->sink_arg };
	size_t max = req->resp_max ? req->resp_max :
		     req->sink ? SIZE_MAX : HTTP_BODY_MAX_DEFAULT;
	uint8_t *chunk = NULL;
	char q[80];
	int rc, interim = 0;
	bool with_length, inited = false;

	resp->body = NULL;
	resp->body_len = 0;
	resp->body_malloced = false;
	resp->reusable = false;
	resp->status = 0;
	if (!http_token_ok(req->method)) {
		quote(q, sizeof(q), req->method ? req->method : "");
		seterr(err, errsz, "HTTP request to send: method '%s' is not a token", q);
		return -EINVAL;
	}
	if (check_target(req->path) < 0 || check_host(req->host) < 0) {
		quote(q, sizeof(q), req->path ? req->path : "");
		seterr(err, errsz, "HTTP request to send: bad path '%s' or host", q);
		return -EINVAL;
	}
	if (!(h = malloc(sizeof(*h))) || !(rb = malloc(sizeof(*rb))) ||
	    (req->sink && !(chunk = malloc(HTTP_SINK_CHUNK)))) {
		rc = -ENOMEM;
		seterr(err, errsz, "HTTP request: out of memory");
		goto out;
	}
	http_head_init(h);
	http_head_printf(h, "%s %s HTTP/1.1\r\nHost: %s\r\n", req->method, req->path, req->host);
	with_length = req->body_len > 0 || strcmp(req->method, "POST") == 0 ||
		      strcmp(req->method, "PUT") == 0 || strcmp(req->method, "PATCH") == 0;
	if (with_length)
		http_head_printf(h, "Content-Length: %zu\r\n", req->body_len);
	if (req->close)
		http_head_printf(h, "Connection: close\r\n");
	http_head_lines(h, req->headers, req_reserved);
	if (h->rc) {
		rc = h->rc;
		seterr(err, errsz, "%s", h->err);
		goto out;
	}
	rc = http_head_send(h, s, req->body, req->body_len);
	if (rc < 0) {
		seterr(err, errsz, "HTTP request: writing: %s", strerror(-rc));
		if (rc == -EPIPE)
			rc = -ECONNRESET;
		goto out;
	}
	rb->off = rb->len = 0;
	for (;;) {
		if (chunk)
			http_msg_init_response(&resp->msg, req->method, chunk, HTTP_SINK_CHUNK, max);
		else if (req->resp_buf)
			http_msg_init_response(&resp->msg, req->method, req->resp_buf, max, max);
		else
			http_msg_init_response(&resp->msg, req->method, NULL, 0, max);
		inited = true;
		rc = http_msg_read(s, rb, &resp->msg, &o, err, errsz);
		if (rc < 0)
			goto out;
		if (resp->msg.status >= 200 || resp->msg.status == 101)
			break;
		if (++interim > 8) {
			rc = -EPROTO;
			seterr(err, errsz, "HTTP response: more than 8 interim (1xx) responses");
			goto out;
		}
	}
	resp->status = resp->msg.status;
	resp->body = chunk ? NULL : resp->msg.body;
	resp->body_len = chunk ? 0 : resp->msg.body_len;
	resp->body_malloced = !chunk && !req->resp_buf && resp->body;
	resp->reusable = resp->msg.keep_alive && !req->close && rb->off == rb->len;
	rc = 0;
out:
	if (rc < 0 && !req->resp_buf && !chunk && inited) {
		free(resp->msg.body);
		resp->msg.body = NULL;
	}
	if (chunk)
		resp->msg.body = NULL;
	free(chunk);
	free(h);
	free(rb);
	return rc;
}

/* ---------------------------------------------------------------- proxies */

int
http_proxy_connect(struct stream *s, const char *proxy, const char *host, uint16_t port,
		   const char *userpass, int timeout_ms, char *err, size_t errsz)
{
	struct http_head *h = NULL;
	struct http_msg *m = NULL;
	struct http_rbuf *rb = NULL;
	struct http_read_opts o = { .timeout_ms = timeout_ms, .head_only = true, .byte_by_byte = true };
	char auth[HTTP_HOST_MAX + 8], qp[80], why[HTTP_ERR_MAX], reason[80];
	int rc, interim = 0;

	quote(qp, sizeof(qp), proxy ? proxy : "?");
	if (check_host(host) < 0 || port == 0 || http_authority(auth, sizeof(auth), host, port, 0) < 0) {
		seterr(err, errsz, "HTTP proxy %s: bad CONNECT target", qp);
		return -EINVAL;
	}
	if (!(h = malloc(sizeof(*h))) || !(m = malloc(sizeof(*m))) || !(rb = malloc(sizeof(*rb)))) {
		rc = -ENOMEM;
		seterr(err, errsz, "HTTP proxy %s: out of memory", qp);
		goto out;
	}
	http_head_init(h);
	http_head_printf(h, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n", auth, auth);
	if (userpass) {
		size_t n = strlen(userpass);
		char *b64;

		for (const char *c = userpass; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				rc = -EINVAL;
				seterr(err, errsz, "HTTP proxy %s: control byte in the credentials", qp);
				goto out;
			}
		if (n > 1024 || !(b64 = malloc(BASE64_ENCODED_LEN(n) + 1))) {
			rc = n > 1024 ? -EINVAL : -ENOMEM;
			seterr(err, errsz, "HTTP proxy %s: credentials too long", qp);
			goto out;
		}
		base64_encode((const uint8_t *)userpass, n, b64, BASE64_ENCODED_LEN(n) + 1);
		http_head_printf(h, "Proxy-Authorization: Basic %s\r\n", b64);
		explicit_bzero(b64, strlen(b64));
		free(b64);
	}
	rc = http_head_send(h, s, NULL, 0);
	explicit_bzero(h->buf, h->len);
	if (rc < 0) {
		seterr(err, errsz, "HTTP proxy %s: writing CONNECT: %s", qp, strerror(-rc));
		goto out;
	}
	rb->off = rb->len = 0;
	do {
		http_msg_init_response(m, "CONNECT", NULL, 0, 0);
		rc = http_msg_read(s, rb, m, &o, why, sizeof(why));
		if (rc < 0) {
			seterr(err, errsz, "HTTP proxy %s: CONNECT %s: %s", qp, auth, why);
			goto out;
		}
	} while (m->status < 200 && m->status != 101 && ++interim <= 8);
	if (m->status / 100 == 2) {
		rc = 0;
		goto out;
	}
	quote(reason, sizeof(reason), m->reason);
	rc = (m->status == 407 || m->status == 401) ? -EACCES : -ECONNREFUSED;
	seterr(err, errsz, "HTTP proxy %s: CONNECT %s refused: %d %s", qp, auth, m->status, reason);
out:
	if (h)
		explicit_bzero(h, sizeof(*h));
	free(h);
	free(m);
	free(rb);
	return rc;
}
