/*
 * Shared by fuzz_http_response.c and fuzz_http_request.c: parse one input
 * three ways (whole, split at a byte the input chooses, byte by byte) and
 * abort unless all three agree and every bound holds.
 *
 * Input: byte 0 = options (bits 0-1: the request method a response answers:
 * GET, HEAD, CONNECT, POST; bit 2: the peer closes after the input; bits 3-4:
 * body limit 0 / 16 / 1000 / 65536; bit 5: drain the body through a 5-byte
 * window instead of a buffer as large as the limit); bytes 1-2 = split point
 * (little-endian, modulo the message length); the rest = the message.
 */
#ifndef EV_HTTP_FUZZ_H
#define EV_HTTP_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

struct fz_result {
	int rc;
	size_t used;
	uint8_t *body; /* everything the body delivered, in order */
	size_t body_n;
};

static const size_t fz_limits[4] = { 0, 16, 1000, 65536 };
static const char *const fz_methods[4] = { "GET", "HEAD", "CONNECT", "POST" };

static int
fz_in_buf(const struct http_msg *m, const char *p)
{
	return p >= m->buf && p < m->buf + sizeof(m->buf);
}

static void
fz_check_fields(const struct http_msg *m, const struct http_header *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!fz_in_buf(m, h[i].name) || !fz_in_buf(m, h[i].value) || !h[i].name[0] ||
		    !http_token_ok(h[i].name) || strpbrk(h[i].value, "\r\n"))
			abort();
	}
}

/* Parses msg[0..len) cut at the given offsets. */
static void
fz_run(enum http_kind kind, uint8_t opt, const uint8_t *msg, size_t len, const size_t *cuts,
       size_t ncuts, struct http_msg *m, struct fz_result *r)
{
	size_t limit = fz_limits[(opt >> 3) & 3], pos = 0, ci = 0, used;
	int drain = (opt >> 5) & 1, eof = (opt >> 2) & 1, rc;
	uint8_t window[5], *buf = malloc(limit + 1);

	r->body = malloc(limit + 1);
	r->body_n = 0;
	if (kind == HTTP_RESPONSE)
		http_msg_init_response(m, fz_methods[opt & 3], drain ? window : buf,
				       drain ? sizeof(window) : limit, limit);
	else
		http_msg_init_request(m, drain ? window : buf, drain ? sizeof(window) : limit, limit);
	for (;;) {
		size_t end = ci < ncuts ? cuts[ci] : len;

		if (end < pos)
			end = pos;
		rc = http_msg_feed(m, msg + pos, end - pos, &used);
		if (used > end - pos)
			abort();
		pos += used;
		if (m->body_len > m->body_cap || m->body_total > limit)
			abort();
		if (rc == HTTP_BODY_FULL && (!drain || m->body_len != sizeof(window)))
			abort(); /* a buffer as large as the limit never fills early */
		if (drain && (rc == HTTP_BODY_FULL || rc == HTTP_DONE)) {
			memcpy(r->body + r->body_n, window, m->body_len);
			r->body_n += m->body_len;
			http_msg_set_body(m, window, sizeof(window), 0);
		}
		if (rc < 0 || rc == HTTP_DONE)
			break;
		if (rc == HTTP_HEAD_DONE || rc == HTTP_BODY_FULL)
			continue;
		if (pos != end)
			abort();
		if (end == len) {
			if (eof)
				rc = http_msg_finish(m);
			break;
		}
		ci++;
	}
	if (r->body_n + m->body_len > limit)
		abort();
	memcpy(r->body + r->body_n, drain ? window : buf, m->body_len); /* not yet taken */
	r->body_n += m->body_len;
	r->rc = rc;
	r->used = pos;
	/* invariants */
	if (r->body_n > limit || r->body_n != m->body_total)
		abort();
	if (rc < 0) {
		if (!m->err[0] || strlen(m->err) >= sizeof(m->err))
			abort();
	} else if (m->err[0]) {
		abort();
	}
	if (rc == HTTP_DONE) {
		if (m->body_kind == HTTP_BODY_LENGTH && m->body_total != m->content_length)
			abort();
		if (m->nheaders > HTTP_HEADERS_MAX || m->ntrailers > HTTP_TRAILERS_MAX)
			abort();
		fz_check_fields(m, m->headers, m->nheaders);
		fz_check_fields(m, m->trailers, m->ntrailers);
		if (kind == HTTP_RESPONSE && (m->status < 100 || m->status > 599))
			abort();
		if (kind == HTTP_REQUEST && (!fz_in_buf(m, m->method) || !http_token_ok(m->method) ||
					     !fz_in_buf(m, m->target) || !m->target[0]))
			abort();
		if (m->body_kind == HTTP_BODY_CLOSE && (kind == HTTP_REQUEST || m->keep_alive))
			abort();
	}
	free(buf);
}

static void
fz_same(const struct http_msg *a, const struct fz_result *ra, const struct http_msg *b,
	const struct fz_result *rb)
{
	if (ra->rc != rb->rc || (ra->rc >= 0 && ra->used != rb->used) || ra->body_n != rb->body_n ||
	    memcmp(ra->body, rb->body, ra->body_n) != 0 || strcmp(a->err, b->err) != 0)
		abort();
	if (ra->rc != HTTP_DONE)
		return;
	if (a->status != b->status || a->nheaders != b->nheaders || a->ntrailers != b->ntrailers ||
	    a->keep_alive != b->keep_alive || a->tunnel != b->tunnel || a->body_kind != b->body_kind)
		abort();
	for (size_t i = 0; i < a->nheaders; i++)
		if (strcmp(a->headers[i].name, b->headers[i].name) ||
		    strcmp(a->headers[i].value, b->headers[i].value))
			abort();
}

static void
fz_one(enum http_kind kind, const uint8_t *data, size_t size)
{
	static struct http_msg m1, m2;
	struct fz_result r1, r2;
	const uint8_t *msg;
	size_t len, cut, *cuts;
	uint8_t opt;

	if (size < 3)
		return;
	opt = data[0];
	msg = data + 3;
	len = size - 3;
	cut = len ? (size_t)(data[1] | data[2] << 8) % (len + 1) : 0;
	fz_run(kind, opt, msg, len, NULL, 0, &m1, &r1);
	fz_run(kind, opt, msg, len, &cut, 1, &m2, &r2);
	fz_same(&m1, &r1, &m2, &r2);
	free(r2.body);
	if (len <= 4096) {
		cuts = malloc((len + 1) * sizeof(*cuts));
		for (size_t i = 0; i < len; i++)
			cuts[i] = i + 1;
		fz_run(kind, opt, msg, len, cuts, len, &m2, &r2);
		fz_same(&m1, &r1, &m2, &r2);
		free(r2.body);
		free(cuts);
	}
	free(r1.body);
}

#endif
