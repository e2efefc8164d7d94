/*
 * Unit tests: dom0/http/http_parse — golden responses and requests parsed
 * whole, split at every byte boundary and byte by byte (same result every
 * time); every hostile case with its exact error; bounds; body buffers that
 * grow or drain; the pure URL helpers of http_client.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "http_parse.h"

#define MAXB (1u << 20)

/* Feeds d[0..len) cut at cuts[] (increasing offsets), continuing through
 * HEAD_DONE; at the end of input calls finish() if eof.  *consumed = bytes
 * used.  Returns the last progress or error. */
static int
drive(struct http_msg *m, const char *d, size_t len, const size_t *cuts, size_t ncuts, bool eof,
      size_t *consumed)
{
	size_t pos = 0, ci = 0, used;
	int rc;

	for (;;) {
		size_t end = ci < ncuts ? cuts[ci] : len;

		if (end < pos)
			end = pos;
		rc = http_msg_feed(m, d + pos, end - pos, &used);
		assert_true(used <= end - pos);
		pos += used;
		if (rc < 0 || rc == HTTP_DONE || rc == HTTP_BODY_FULL)
			break;
		if (rc == HTTP_HEAD_DONE)
			continue;
		assert_int_equal(pos, end); /* NEED_MORE uses everything */
		if (end == len) {
			if (eof)
				rc = http_msg_finish(m);
			break;
		}
		ci++;
	}
	*consumed = pos;
	return rc;
}

struct hdr_expect {
	const char *name, *value;
};

struct golden {
	const char *name;
	enum http_kind kind;
	const char *req_method; /* responses */
	const char *in;
	size_t in_len;          /* 0: strlen */
	bool eof;
	/* expected */
	int status;
	const char *method, *target;
	const char *body;
	size_t consumed;        /* 0: all of in */
	bool keep_alive;
	bool tunnel;
	enum http_body_kind body_kind;
	struct hdr_expect hdrs[4];
	struct hdr_expect trailers[3];
	size_t body_n;          /* 0: strlen(body) */
};

static const struct golden goldens[] = {
	{ "length, keep-alive, pipelined next", HTTP_RESPONSE, "POST",
	  "HTTP/1.1 200 OK\r\nContent-Type: application/x-proto-binary\r\n"
	  "Content-Length: 5\r\nX-Request-ID:  abc-123 \t\r\n\r\nhelloHTTP/1.1 204 No Content\r\n\r\n", 0,
	  false, 200, NULL, NULL, "hello", 111, true, false, HTTP_BODY_LENGTH,
	  { { "content-type", "application/x-proto-binary" }, { "x-request-id", "abc-123" },
	    { "CONTENT-LENGTH", "5" } },
	  { { NULL, NULL } }, 0 },
	{ "chunked with extensions and trailers", HTTP_RESPONSE, "GET",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: t\r\n\r\n"
	  "5;name=value\r\nhello\r\n6 ; ext ; q=\"x y\"\r\n world\r\n000A\r\n0123456789\r\n"
	  "0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n", 0,
	  false, 200, NULL, NULL, "hello world0123456789", 0, true, false, HTTP_BODY_CHUNKED,
	  { { "transfer-encoding", "chunked" }, { "server", "t" } },
	  { { "x-checksum", "abc" }, { "X-OTHER", "1" } }, 0 },
	{ "chunked, uppercase hex, empty trailers", HTTP_RESPONSE, NULL,
	  "HTTP/1.1 201 Created\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", 0,
	  false, 201, NULL, NULL, "0123456789", 0, true, false, HTTP_BODY_CHUNKED, { { NULL, NULL } },
	  { { NULL, NULL } }, 0 },
	{ "close-delimited HTTP/1.0", HTTP_RESPONSE, "GET",
	  "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6\r\n\r\nall of this until the end", 0, true,
	  200, NULL, NULL, "all of this until the end", 0, false, false, HTTP_BODY_CLOSE,
	  { { "server", "SimpleHTTP/0.6" } }, { { NULL, NULL } }, 0 },
	{ "HTTP/1.0 keep-alive with length", HTTP_RESPONSE, "GET",
	  "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", 0, false, 200,
	  NULL, NULL, "ok", 0, true, false, HTTP_BODY_LENGTH, { { NULL, NULL } }, { { NULL, NULL } }, 0 },
	{ "1.1 Connection: close", HTTP_RESPONSE, "GET",
	  "HTTP/1.1 404 Not Found\r\nConnection: foo, close\r\nContent-Length: 0\r\n\r\n", 0, false,
	  404, NULL, NULL, "", 0, false, false, HTTP_BODY_LENGTH, { { NULL, NULL } }, { { NULL, NULL } }, 0 },
	{ "HEAD: length but no body", HTTP_RESPONSE, "HEAD",
	  "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1", 0, false, 200, NULL, NULL, "",
	  41, true, false, HTTP_BODY_NONE, { { NULL, NULL } }, { { NULL, NULL } }, 0 },
	{ "204 has no body", HTTP_RESPONSE, "DELETE", "HTTP/1.1 204 No Content\r\n\r\nnext", 0, false,
	  204, NULL, NULL, "", 27, true, false, HTTP_BODY_NONE, { { NULL, NULL } }, { { NULL, NULL } }, 0 },
	{ "304 has no body", HTTP_RESPONSE, "GET",
	  "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", 0, false, 304, NULL, NULL, "",
	  0, true, false, HTTP_BODY_NONE, { { NULL, NULL } }, { { NULL, NULL } }, 0 },
	{ "100 Continue is a message of its own", HTTP_RESPONSE, "POST",
	  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 0, false, 100, NULL, NULL, "", 25,
	  true, false, HTTP_BODY_NONE, { { NULL, NULL } }, { { NULL, NULL } }, 0 },
	{ "CONNECT 200: tunnel bytes follow", HTTP_RESPONSE, "CONNECT",
	  "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01\x00", 43, false, 200, NULL, NULL,
	  "", 39, false, true, HTTP_BODY_NONE, { { NULL, NULL } }, { { NULL, NULL } }, 0 },
	{ "CONNECT 407 has a body", HTTP_RESPONSE, "CONNECT",
	  "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\nnope", 0, false,
	  407, NULL, NULL, "nope", 0, true, false, HTTP_BODY_LENGTH, { { NULL, NULL } },
	  { { NULL, NULL } }, 0 },
	{ "empty reason, duplicate equal lengths, empty value", HTTP_RESPONSE, "GET",
	  "HTTP/1.1 200 \r\nContent-Length: 3\r\nContent-Length: 3, 3\r\nX-Empty:\r\n\r\nabc", 0,
	  false, 200, NULL, NULL, "abc", 0, true, false, HTTP_BODY_LENGTH,
	  { { "x-empty", "" } }, { { NULL, NULL } }, 0 },
	{ "no reason at all, obs-text value", HTTP_RESPONSE, "GET",
	  "HTTP/1.1 200\r\nX-Name: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n", 0, false, 200, NULL,
	  NULL, "", 0, true, false, HTTP_BODY_LENGTH, { { "x-name", "caf\xc3\xa9" } },
	  { { NULL, NULL } }, 0 },
	{ "GET request, pipelined next", HTTP_REQUEST, NULL,
	  "GET /api/v2/edgedevice/ping HTTP/1.1\r\nHost: ctl.example:8443\r\nX-Request-ID: 7\r\n\r\n"
	  "GET / HTTP/1.1\r\n\r\n", 0, false, 0, "GET", "/api/v2/edgedevice/ping", "", 81, true,
	  false, HTTP_BODY_NONE, { { "host", "ctl.example:8443" } }, { { NULL, NULL } }, 0 },
	{ "POST request with a body", HTTP_REQUEST, NULL,
	  "POST /api/v2/edgedevice/register HTTP/1.1\r\nHost: c\r\n"
	  "Content-Type: application/x-proto-binary\r\nContent-Length: 4\r\n\r\n\x00\x01\x02\x03", 119,
	  false, 0, "POST", "/api/v2/edgedevice/register", "\x00\x01\x02\x03", 0, true, false,
	  HTTP_BODY_LENGTH, { { "content-type", "application/x-proto-binary" } }, { { NULL, NULL } }, 4 },
	{ "chunked POST request", HTTP_REQUEST, NULL,
	  "POST /logs HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 0,
	  false, 0, "POST", "/logs", "abc", 0, true, false, HTTP_BODY_CHUNKED, { { NULL, NULL } },
	  { { NULL, NULL } }, 0 },
	{ "HTTP/1.0 request closes", HTTP_REQUEST, NULL, "GET /x?y=1 HTTP/1.0\r\n\r\n", 0, false, 0,
	  "GET", "/x?y=1", "", 0, false, false, HTTP_BODY_NONE, { { NULL, NULL } }, { { NULL, NULL } }, 0 },
	{ "CONNECT request", HTTP_REQUEST, NULL,
	  "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n", 0, false, 0, "CONNECT",
	  "[::1]:443", "", 0, true, false, HTTP_BODY_NONE, { { NULL, NULL } }, { { NULL, NULL } }, 0 },
	{ "OPTIONS *", HTTP_REQUEST, NULL, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", 0, false, 0,
	  "OPTIONS", "*", "", 0, true, false, HTTP_BODY_NONE, { { NULL, NULL } }, { { NULL, NULL } }, 0 },
	{ "absolute-form target", HTTP_REQUEST, NULL,
	  "GET http://ctl.example/x HTTP/1.1\r\nHost: ctl.example\r\n\r\n", 0, false, 0, "GET",
	  "http://ctl.example/x", "", 0, true, false, HTTP_BODY_NONE, { { NULL, NULL } }, { { NULL, NULL } }, 0 },
};

static void
check_golden(const struct golden *g, const struct http_msg *m, int rc, size_t consumed, size_t len)
{
	size_t blen = g->body_n ? g->body_n : strlen(g->body);

	if (rc != HTTP_DONE)
		fail_msg("%s: rc %d (%s)", g->name, rc, m->err);
	assert_int_equal(consumed, g->consumed ? g->consumed : len);
	if (g->kind == HTTP_RESPONSE) {
		assert_int_equal(m->status, g->status);
	} else {
		assert_string_equal(m->method, g->method);
		assert_string_equal(m->target, g->target);
	}
	assert_int_equal(m->body_len, blen);
	assert_int_equal(m->body_total, blen);
	if (blen)
		assert_memory_equal(m->body, g->body, blen);
	assert_int_equal(m->keep_alive, g->keep_alive);
	assert_int_equal(m->tunnel, g->tunnel);
	assert_int_equal(m->body_kind, g->body_kind);
	for (size_t i = 0; i < 4 && g->hdrs[i].name; i++) {
		const char *v = http_msg_header(m, g->hdrs[i].name);

		if (!v)
			fail_msg("%s: no header %s", g->name, g->hdrs[i].name);
		assert_string_equal(v, g->hdrs[i].value);
	}
	for (size_t i = 0; i < 3 && g->trailers[i].name; i++) {
		const char *v = http_msg_trailer(m, g->trailers[i].name);

		if (!v)
			fail_msg("%s: no trailer %s", g->name, g->trailers[i].name);
		assert_string_equal(v, g->trailers[i].value);
	}
	assert_string_equal(m->err, "");
}

static void
init_for(struct http_msg *m, enum http_kind kind, const char *method, uint8_t *body, size_t max)
{
	if (kind == HTTP_RESPONSE)
		http_msg_init_response(m, method, body, max, max);
	else
		http_msg_init_request(m, body, max, max);
}

static void
test_goldens_every_split(void **state)
{
	struct http_msg *m = malloc(sizeof(*m));
	uint8_t *body = malloc(4096);
	size_t consumed, *cuts = malloc(1024 * sizeof(size_t));

	(void)state;
	for (size_t gi = 0; gi < sizeof(goldens) / sizeof(goldens[0]); gi++) {
		const struct golden *g = &goldens[gi];
		size_t len = g->in_len ? g->in_len : strlen(g->in);
		int rc;

		/* whole */
		init_for(m, g->kind, g->req_method, body, 4096);
		rc = drive(m, g->in, len, NULL, 0, g->eof, &consumed);
		check_golden(g, m, rc, consumed, len);
		/* every single cut */
		for (size_t cut = 0; cut <= len; cut++) {
			init_for(m, g->kind, g->req_method, body, 4096);
			rc = drive(m, g->in, len, &cut, 1, g->eof, &consumed);
			check_golden(g, m, rc, consumed, len);
		}
		/* byte by byte */
		assert_true(len < 1024);
		for (size_t i = 0; i < len; i++)
			cuts[i] = i + 1;
		init_for(m, g->kind, g->req_method, body, 4096);
		rc = drive(m, g->in, len, cuts, len, g->eof, &consumed);
		check_golden(g, m, rc, consumed, len);
	}
	free(cuts);
	free(body);
	free(m);
}

struct hostile {
	enum http_kind kind;
	const char *in;
	size_t max;       /* body limit; 0: 1 MiB */
	bool eof;
	int rc;
	const char *err;
};

#define R HTTP_RESPONSE
#define Q HTTP_REQUEST
#define OK200 "HTTP/1.1 200 OK\r\n"
static const struct hostile hostiles[] = {
	{ R, "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: bare LF (a line feed without a carriage return)" },
	{ R, OK200 "A: b\rc\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: bare CR (a carriage return not followed by a line feed)" },
	{ R, OK200 "Content-Length: 0\r\n\n", 0, false, -EPROTO,
	  "HTTP response head: bare LF (a line feed without a carriage return)" },
	{ R, OK200 "X-A: 1\r\n continued\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response header: line ' continued' starts with whitespace (obs-fold is not accepted)" },
	{ R, OK200 "\tX-A: 1\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response header: line '?X-A: 1' starts with whitespace (obs-fold is not accepted)" },
	{ Q, "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 0, false, -EPROTO,
	  "HTTP request header: name 'Host ' is not a token" },
	{ Q, "GET / HTTP/1.1\r\nX(y): x\r\n\r\n", 0, false, -EPROTO,
	  "HTTP request header: name 'X(y)' is not a token" },
	{ R, OK200 "no colon here\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response header: line 'no colon here' has no colon" },
	{ R, OK200 ": value\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response header: line ': value' has an empty name" },
	{ R, OK200 "X: a\x01" "b\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response header: 'X' has a control byte 0x01 in its value" },
	{ R, OK200 "X: a\x7f\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response header: 'X' has a control byte 0x7f in its value" },
	{ R, OK200 "Content-Length: 12a\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Content-Length '12a' is not a decimal number" },
	{ R, OK200 "Content-Length: -1\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Content-Length '-1' is not a decimal number" },
	{ R, OK200 "Content-Length: +5\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Content-Length '+5' is not a decimal number" },
	{ R, OK200 "Content-Length: 0x10\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Content-Length '0x10' is not a decimal number" },
	{ R, OK200 "Content-Length:\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Content-Length '' is not a decimal number" },
	{ R, OK200 "Content-Length: 1 2\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Content-Length '1 2' is not a decimal number" },
	{ R, OK200 "Content-Length: 5,,5\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Content-Length '' is not a decimal number" },
	{ R, OK200 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Content-Length values '5' and '6' disagree" },
	{ R, OK200 "Content-Length: 5, 6\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Content-Length values '5' and '6' disagree" },
	{ R, OK200 "Content-Length: 18446744073709551616\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Content-Length '18446744073709551616' is too large" },
	{ R, OK200 "Content-Length: 99999999999999999999999999\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Content-Length '99999999999999999999999999' is too large" },
	{ R, OK200 "Content-Length: 18446744073709551615\r\n\r\n", 0, false, -EFBIG,
	  "HTTP response body: over the 1048576-byte limit" },
	{ R, OK200 "Content-Length: 2000000\r\n\r\n", 0, false, -EFBIG,
	  "HTTP response body: over the 1048576-byte limit" },
	{ Q, "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 10, false, -EFBIG,
	  "HTTP request body: over the 10-byte limit" },
	{ R, OK200 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: both Content-Length and Transfer-Encoding (refused: request smuggling)" },
	{ Q, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 0, false,
	  -EPROTO,
	  "HTTP request head: both Content-Length and Transfer-Encoding (refused: request smuggling)" },
	{ R, OK200 "Transfer-Encoding: gzip\r\n\r\n", 0, false, -ENOTSUP,
	  "HTTP response head: Transfer-Encoding 'gzip' is not supported (only chunked)" },
	{ R, OK200 "Transfer-Encoding: gzip, chunked\r\n\r\n", 0, false, -ENOTSUP,
	  "HTTP response head: Transfer-Encoding 'gzip, chunked' is not supported (only chunked)" },
	{ Q, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
	  0, false, -ENOTSUP,
	  "HTTP request head: Transfer-Encoding 'identity' is not supported (only chunked)" },
	{ R, OK200 "Transfer-Encoding: chunked, chunked\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Transfer-Encoding names chunked more than once" },
	{ R, OK200 "Transfer-Encoding: \r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Transfer-Encoding is empty" },
	{ R, "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response head: Transfer-Encoding in an HTTP/1.0 message" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 0, false, -EPROTO,
	  "HTTP response body: chunk size 'zz' is not hex" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n1g\r\n", 0, false, -EPROTO,
	  "HTTP response body: chunk size '1g' is not hex" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response body: chunk size '' is not hex" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n-1\r\n", 0, false, -EPROTO,
	  "HTTP response body: chunk size '-1' is not hex" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n5 x\r\n", 0, false, -EPROTO,
	  "HTTP response body: chunk size '5' is followed by junk" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 0, false, -EPROTO,
	  "HTTP response body: chunk size '10000000000000000' is too large" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n", 0, false, -EFBIG,
	  "HTTP response body: over the 1048576-byte limit" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n3\r\n", 10, false, -EFBIG,
	  "HTTP response body: over the 10-byte limit" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n", 0, false, -EPROTO,
	  "HTTP response body: chunk data is not followed by CRLF" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n", 0, false, -EPROTO,
	  "HTTP response body: bare LF in a chunk-size line" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n5\rhello\r\n", 0, false, -EPROTO,
	  "HTTP response body: bare CR in a chunk-size line" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n5;a=\x01\r\nhello\r\n", 0, false, -EPROTO,
	  "HTTP response body: control byte 0x01 in a chunk extension" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n folded\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response trailer: line ' folded' starts with whitespace (obs-fold is not accepted)" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n0\r\nX: 1\n\r\n", 0, false, -EPROTO,
	  "HTTP response trailers: bare LF (a line feed without a carriage return)" },
	{ R, "HTTP/1.1 20 OK\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response status line 'HTTP/1.1 20 OK': status code is not three digits" },
	{ R, "HTTP/1.1 2000 OK\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response status line 'HTTP/1.1 2000 OK': status code is not three digits" },
	{ R, "HTTP/1.1 099 Low\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response status line 'HTTP/1.1 099 Low': status code 99 is out of range" },
	{ R, "HTTP/1.1 600 High\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response status line 'HTTP/1.1 600 High': status code 600 is out of range" },
	{ R, "HTTP/2.0 200 OK\r\n\r\n", 0, false, -EPROTONOSUPPORT,
	  "HTTP response status line 'HTTP/2.0 200 OK': version 'HTTP/2.0' is not supported" },
	{ R, "ICY 200 OK\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response status line 'ICY 200 OK': no HTTP/1.x version" },
	{ R, "HTTP/1.1\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response status line 'HTTP/1.1': not 'HTTP/1.x NNN reason'" },
	{ R, "HTTP/1.1  200 OK\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response status line 'HTTP/1.1  200 OK': status code is not three digits" },
	{ R, "http/1.1 200 OK\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response status line 'http/1.1 200 OK': no HTTP/1.x version" },
	{ R, "HTTP/1.1 200 O\x01K\r\n\r\n", 0, false, -EPROTO,
	  "HTTP response status line 'HTTP/1.1 200 O?K': control byte 0x01 in the reason" },
	{ R, "\r\nHTTP/1.1 200 OK\r\n\r\n", 0, false, -EPROTO, "HTTP response: empty first line" },
	{ Q, "\r\nGET / HTTP/1.1\r\n\r\n", 0, false, -EPROTO, "HTTP request: empty first line" },
	{ Q, "GET /a HTTP/1.1 extra\r\n\r\n", 0, false, -EPROTO,
	  "HTTP request line 'GET /a HTTP/1.1 extra': no HTTP/1.x version" },
	{ Q, "GET  /a HTTP/1.1\r\n\r\n", 0, false, -EPROTO,
	  "HTTP request line 'GET  /a HTTP/1.1': empty target" },
	{ Q, "GET /a\r\n\r\n", 0, false, -EPROTO,
	  "HTTP request line 'GET /a': not 'METHOD target HTTP/1.x'" },
	{ Q, "G(T / HTTP/1.1\r\n\r\n", 0, false, -EPROTO,
	  "HTTP request line 'G(T / HTTP/1.1': method is not a token" },
	{ Q, " / HTTP/1.1\r\n\r\n", 0, false, -EPROTO, "HTTP request line ' / HTTP/1.1': empty method" },
	{ Q, "GET a HTTP/1.1\r\n\r\n", 0, false, -EPROTO,
	  "HTTP request line 'GET a HTTP/1.1': target is not a path or an absolute URL" },
	{ Q, "GET /\xff HTTP/1.1\r\n\r\n", 0, false, -EPROTO,
	  "HTTP request line 'GET /? HTTP/1.1': byte 0xff in the target" },
	{ Q, "CONNECT /x HTTP/1.1\r\n\r\n", 0, false, -EPROTO,
	  "HTTP request line 'CONNECT /x HTTP/1.1': CONNECT target is not host:port" },
	{ Q, "GET / HTTP/3.0\r\n\r\n", 0, false, -EPROTONOSUPPORT,
	  "HTTP request line 'GET / HTTP/3.0': version 'HTTP/3.0' is not supported" },
	{ Q, "GET / HTTP/1.1\r\n\r\n", 0, false, -EPROTO,
	  "HTTP request head: no Host header (required in HTTP/1.1)" },
	{ Q, "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 0, false, -EPROTO,
	  "HTTP request head: more than one Host header" },
	{ Q, "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 0, false, -EPROTO,
	  "HTTP request head: more than one Host header" },
	{ Q, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n", 3, false, -EFBIG,
	  "HTTP request body: over the 3-byte limit" },
	/* the connection closes early */
	{ R, "", 0, true, -EPROTO, "HTTP response: connection closed before the message" },
	{ R, "HTTP/1.1 200 OK\r\nContent-Le", 0, true, -EPROTO,
	  "HTTP response head: connection closed inside the head" },
	{ R, OK200 "Content-Length: 5\r\n\r\nabc", 0, true, -EPROTO,
	  "HTTP response body: connection closed after 3 of 5 bytes" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n5\r\nab", 0, true, -EPROTO,
	  "HTTP response body: connection closed inside the chunked body" },
	{ R, OK200 "Transfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n", 0, true, -EPROTO,
	  "HTTP response body: connection closed inside the chunked body" },
	{ R, OK200 "\r\n0123456789A", 10, true, -EFBIG, "HTTP response body: over the 10-byte limit" },
};

static void
test_hostile_exact_errors(void **state)
{
	struct http_msg *m = malloc(sizeof(*m));
	uint8_t *body = malloc(MAXB);
	size_t consumed, *cuts = malloc(512 * sizeof(size_t));

	(void)state;
	for (size_t hi = 0; hi < sizeof(hostiles) / sizeof(hostiles[0]); hi++) {
		const struct hostile *h = &hostiles[hi];
		size_t len = strlen(h->in), max = h->max ? h->max : MAXB;
		int rc;

		for (size_t cut = 0; cut <= len + 1; cut++) {
			if (cut == len + 1) { /* byte by byte */
				for (size_t i = 0; i < len; i++)
					cuts[i] = i + 1;
			}
			init_for(m, h->kind, "GET", body, max);
			rc = drive(m, h->in, len, cut <= len ? &cut : cuts, cut <= len ? 1 : len, h->eof,
				   &consumed);
			if (rc != h->rc || strcmp(m->err, h->err) != 0)
				fail_msg("case %zu cut %zu: got %d '%s', want %d '%s'", hi, cut, rc, m->err,
					 h->rc, h->err);
			/* dead: the same error again, nothing used */
			rc = http_msg_feed(m, "x", 1, &consumed);
			assert_int_equal(rc, h->rc);
			assert_int_equal(consumed, 0);
			assert_true(m->body_len <= max);
		}
	}
	free(cuts);
	free(body);
	free(m);
}

/* a head of exactly n bytes: status line, filler header, CRLF */
static char *
head_of(size_t n, const char *first)
{
	char *s = malloc(n + 1);
	size_t fl = strlen(first);

	memcpy(s, first, fl);
	memcpy(s + fl, "X-Fill: ", 8);
	memset(s + fl + 8, 'a', n - fl - 8 - 4);
	memcpy(s + n - 4, "\r\n\r\n", 4);
	s[n] = '\0';
	return s;
}

static void
test_head_bounds(void **state)
{
	struct http_msg *m = malloc(sizeof(*m));
	char *s, big[64 * 16 + 64];
	size_t used, o;
	int rc;

	(void)state;
	s = head_of(HTTP_HEAD_MAX, OK200);
	http_msg_init_response(m, "GET", NULL, 0, 0);
	assert_int_equal(http_msg_feed(m, s, strlen(s), &used), HTTP_HEAD_DONE);
	assert_int_equal(used, HTTP_HEAD_MAX);
	assert_int_equal(strlen(http_msg_header(m, "x-fill")), HTTP_HEAD_MAX - 17 - 8 - 4);
	free(s);
	s = head_of(HTTP_HEAD_MAX + 1, OK200);
	http_msg_init_response(m, "GET", NULL, 0, 0);
	assert_int_equal(http_msg_feed(m, s, strlen(s), &used), -EMSGSIZE);
	assert_string_equal(m->err, "HTTP response head: over the 16384-byte limit");
	free(s);
	s = head_of(HTTP_HEAD_MAX + 1, "GET / HTTP/1.1\r\n");
	http_msg_init_request(m, NULL, 0, 0);
	assert_int_equal(http_msg_feed(m, s, strlen(s), &used), -EMSGSIZE);
	assert_string_equal(m->err, "HTTP request head: over the 16384-byte limit");
	free(s);

	/* 64 header lines pass, 65 do not */
	for (int n = 64; n <= 65; n++) {
		o = (size_t)sprintf(big, OK200);
		for (int i = 0; i < n; i++)
			o += (size_t)sprintf(big + o, "H%d: %d\r\n", i, i);
		o += (size_t)sprintf(big + o, "\r\n");
		http_msg_init_response(m, "HEAD", NULL, 0, 0);
		rc = http_msg_feed(m, big, o, &used);
		if (n == 64) {
			assert_int_equal(rc, HTTP_HEAD_DONE);
			assert_int_equal(m->nheaders, 64);
			assert_string_equal(http_msg_header(m, "h63"), "63");
		} else {
			assert_int_equal(rc, -EMSGSIZE);
			assert_string_equal(m->err, "HTTP response head: more than 64 header lines");
		}
	}
	free(m);
}

static void
test_trailer_and_chunk_line_bounds(void **state)
{
	struct http_msg *m = malloc(sizeof(*m));
	char *s = malloc(16384);
	uint8_t body[16];
	size_t used, o;
	int rc;

	(void)state;
	/* 16 trailers pass, 17 do not */
	for (int n = 16; n <= 17; n++) {
		o = (size_t)sprintf(s, OK200 "Transfer-Encoding: chunked\r\n\r\n0\r\n");
		for (int i = 0; i < n; i++)
			o += (size_t)sprintf(s + o, "T%d: %d\r\n", i, i);
		o += (size_t)sprintf(s + o, "\r\n");
		http_msg_init_response(m, "GET", body, sizeof(body), sizeof(body));
		assert_int_equal(http_msg_feed(m, s, o, &used), HTTP_HEAD_DONE);
		rc = http_msg_feed(m, s + used, o - used, &used);
		if (n == 16) {
			assert_int_equal(rc, HTTP_DONE);
			assert_int_equal(m->ntrailers, 16);
			assert_string_equal(http_msg_trailer(m, "t15"), "15");
		} else {
			assert_int_equal(rc, -EMSGSIZE);
			assert_string_equal(m->err, "HTTP response trailers: more than 16 trailer lines");
		}
	}
	/* trailer section over 4096 bytes */
	o = (size_t)sprintf(s, OK200 "Transfer-Encoding: chunked\r\n\r\n0\r\nBig: ");
	memset(s + o, 'b', 4100);
	o += 4100;
	o += (size_t)sprintf(s + o, "\r\n\r\n");
	http_msg_init_response(m, "GET", body, sizeof(body), sizeof(body));
	assert_int_equal(http_msg_feed(m, s, o, &used), HTTP_HEAD_DONE);
	assert_int_equal(http_msg_feed(m, s + used, o - used, &used), -EMSGSIZE);
	assert_string_equal(m->err, "HTTP response trailers: over the 4096-byte limit");
	/* chunk-size line with a 2000-byte extension */
	o = (size_t)sprintf(s, OK200 "Transfer-Encoding: chunked\r\n\r\n1;e=");
	memset(s + o, 'e', 2000);
	o += 2000;
	o += (size_t)sprintf(s + o, "\r\nx\r\n0\r\n\r\n");
	http_msg_init_response(m, "GET", body, sizeof(body), sizeof(body));
	assert_int_equal(http_msg_feed(m, s, o, &used), HTTP_HEAD_DONE);
	assert_int_equal(http_msg_feed(m, s + used, o - used, &used), -EMSGSIZE);
	assert_string_equal(m->err, "HTTP response body: chunk-size line is over the 1024-byte limit");
	free(s);
	free(m);
}

/* A body buffer smaller than the limit: BODY_FULL, then grow or drain. */
static void
test_body_full_grow_and_drain(void **state)
{
	static const char in[] = OK200 "Transfer-Encoding: chunked\r\n\r\n"
				       "a\r\n0123456789\r\n6\r\nABCDEF\r\n0\r\n\r\n";
	struct http_msg *m = malloc(sizeof(*m));
	uint8_t small[4], big[32], got[32];
	size_t pos = 0, used, n = 0;
	int rc, fulls = 0;

	(void)state;
	/* grow: start with 4 bytes, move to 32 keeping what is there */
	http_msg_init_response(m, "GET", small, sizeof(small), 100);
	for (;;) {
		rc = http_msg_feed(m, in + pos, sizeof(in) - 1 - pos, &used);
		pos += used;
		assert_true(rc >= 0);
		if (rc == HTTP_DONE)
			break;
		if (rc == HTTP_BODY_FULL) {
			fulls++;
			assert_int_equal(m->body_len, 4);
			memcpy(big, small, 4);
			http_msg_set_body(m, big, sizeof(big), 4);
		}
	}
	assert_int_equal(fulls, 1);
	assert_int_equal(m->body_len, 16);
	assert_memory_equal(big, "0123456789ABCDEF", 16);

	/* drain: a 4-byte window streams the whole body (download style) */
	pos = 0;
	fulls = 0;
	http_msg_init_response(m, "GET", small, sizeof(small), 100);
	for (;;) {
		rc = http_msg_feed(m, in + pos, sizeof(in) - 1 - pos, &used);
		pos += used;
		assert_true(rc >= 0);
		if (rc == HTTP_BODY_FULL || rc == HTTP_DONE) {
			memcpy(got + n, small, m->body_len);
			n += m->body_len;
			http_msg_set_body(m, small, sizeof(small), 0);
			fulls += rc == HTTP_BODY_FULL;
		}
		if (rc == HTTP_DONE)
			break;
	}
	assert_int_equal(fulls, 3);
	assert_int_equal(n, 16);
	assert_int_equal(m->body_total, 16);
	assert_memory_equal(got, "0123456789ABCDEF", 16);
	assert_int_equal(pos, sizeof(in) - 1);

	/* the limit counts every byte, drained or not */
	pos = 0;
	http_msg_init_response(m, "GET", small, sizeof(small), 15);
	for (;;) {
		rc = http_msg_feed(m, in + pos, sizeof(in) - 1 - pos, &used);
		pos += used;
		if (rc == HTTP_BODY_FULL)
			http_msg_set_body(m, small, sizeof(small), 0);
		else if (rc != HTTP_HEAD_DONE)
			break;
	}
	assert_int_equal(rc, -EFBIG);
	assert_string_equal(m->err, "HTTP response body: over the 15-byte limit");
	free(m);
}

static void
test_done_is_sticky_and_untouched(void **state)
{
	static const char in[] = "HTTP/1.1 204 No Content\r\n\r\n";
	struct http_msg *m = malloc(sizeof(*m));
	size_t used;

	(void)state;
	http_msg_init_response(m, "GET", NULL, 0, 0);
	assert_true(http_msg_untouched(m));
	assert_int_equal(http_msg_feed(m, in, 3, &used), HTTP_NEED_MORE);
	assert_false(http_msg_untouched(m));
	assert_int_equal(http_msg_feed(m, in + 3, sizeof(in) - 4, &used), HTTP_HEAD_DONE);
	assert_int_equal(http_msg_feed(m, "more", 4, &used), HTTP_DONE);
	assert_int_equal(used, 0);
	assert_int_equal(http_msg_finish(m), HTTP_DONE);
	free(m);
}

static void
test_helpers(void **state)
{
	(void)state;
	assert_true(http_list_has("keep-alive, Upgrade", "upgrade"));
	assert_true(http_list_has(" close ", "close"));
	assert_false(http_list_has("closed", "close"));
	assert_false(http_list_has("", "close"));
	assert_false(http_list_has(NULL, "close"));
	assert_true(http_token_ok("X-Request-ID"));
	assert_false(http_token_ok("a b"));
	assert_false(http_token_ok(""));
	assert_true(http_field_line_ok("Content-Type: application/x-proto-binary"));
	assert_true(http_field_line_ok("X-Empty:"));
	assert_false(http_field_line_ok("X-Inject: a\r\nEvil: 1"));
	assert_false(http_field_line_ok("No colon"));
	assert_false(http_field_line_ok(": v"));
	assert_false(http_field_line_ok("Bad Name: v"));
	assert_string_equal(http_status_reason(404), "Not Found");
	assert_string_equal(http_status_reason(799), "Unknown");
}

struct url_case {
	const char *in;
	int rc;
	bool tls;
	const char *host;
	unsigned port;
	const char *path;
	const char *err;
};

static void
test_url_parse(void **state)
{
	static const struct url_case cases[] = {
		{ "https://ctl.example/", 0, true, "ctl.example", 443, "/", NULL },
		{ "https://ctl.example", 0, true, "ctl.example", 443, "/", NULL },
		{ "HTTP://a.b:8080/x/y?z=1&w", 0, false, "a.b", 8080, "/x/y?z=1&w", NULL },
		{ "http://10.0.0.1?q", 0, false, "10.0.0.1", 80, "/?q", NULL },
		{ "https://[2001:db8::1]:8443/api", 0, true, "2001:db8::1", 8443, "/api", NULL },
		{ "http://[::1]/", 0, false, "::1", 80, "/", NULL },
		{ "http://h:65535", 0, false, "h", 65535, "/", NULL },
		{ "ftp://x/", -EINVAL, false, NULL, 0, NULL,
		  "URL 'ftp://x/': scheme is not http:// or https://" },
		{ "https://user:pw@host/", -EINVAL, false, NULL, 0, NULL,
		  "URL 'https://user:pw@host/': userinfo (user@) is not accepted" },
		{ "https://host/a b", -EINVAL, false, NULL, 0, NULL,
		  "URL 'https://host/a b': space, control or non-ASCII byte" },
		{ "https:///x", -EINVAL, false, NULL, 0, NULL, "URL 'https:///x': no host" },
		{ "https://:443/", -EINVAL, false, NULL, 0, NULL, "URL 'https://:443/': no host" },
		{ "https://host:0/", -EINVAL, false, NULL, 0, NULL, "URL 'https://host:0/': bad port" },
		{ "https://host:65536/", -EINVAL, false, NULL, 0, NULL,
		  "URL 'https://host:65536/': bad port" },
		{ "https://host:/", -EINVAL, false, NULL, 0, NULL, "URL 'https://host:/': bad port" },
		{ "https://host:44x/", -EINVAL, false, NULL, 0, NULL, "URL 'https://host:44x/': bad port" },
		{ "https://host:000443/", -EINVAL, false, NULL, 0, NULL,
		  "URL 'https://host:000443/': bad port" },
		{ "https://ho$t/", -EINVAL, false, NULL, 0, NULL,
		  "URL 'https://ho$t/': bad byte '$' in the host" },
		{ "https://[::1/", -EINVAL, false, NULL, 0, NULL, "URL 'https://[::1/': bad IPv6 literal" },
		{ "https://[zz::1]/", -EINVAL, false, NULL, 0, NULL,
		  "URL 'https://[zz::1]/': bad IPv6 literal" },
		{ "https://[::1]x/", -EINVAL, false, NULL, 0, NULL,
		  "URL 'https://[::1]x/': junk after the IPv6 literal" },
		{ "https://h/#frag", -EINVAL, false, NULL, 0, NULL,
		  "URL 'https://h/#frag': a fragment (#) is not accepted" },
		{ "https://h/\xc3\xa9", -EINVAL, false, NULL, 0, NULL,
		  "URL 'https://h/?" "?': space, control or non-ASCII byte" },
		{ "", -EINVAL, false, NULL, 0, NULL, "URL '': scheme is not http:// or https://" },
	};
	struct http_url u;
	char err[HTTP_ERR_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct url_case *c = &cases[i];
		int rc;

		err[0] = '\0';
		rc = http_url_parse(c->in, &u, err, sizeof(err));
		if (rc != c->rc)
			fail_msg("%s: rc %d (%s)", c->in, rc, err);
		if (rc == 0) {
			assert_int_equal(u.tls, c->tls);
			assert_string_equal(u.host, c->host);
			assert_int_equal(u.port, c->port);
			assert_string_equal(u.path, c->path);
		} else {
			assert_string_equal(err, c->err);
		}
	}
	assert_int_equal(http_url_parse(NULL, &u, err, sizeof(err)), -EINVAL);
}

static void
test_authority(void **state)
{
	char a[64];

	(void)state;
	assert_int_equal(http_authority(a, sizeof(a), "ctl.example", 443, 443), 0);
	assert_string_equal(a, "ctl.example");
	assert_int_equal(http_authority(a, sizeof(a), "ctl.example", 8443, 443), 0);
	assert_string_equal(a, "ctl.example:8443");
	assert_int_equal(http_authority(a, sizeof(a), "::1", 443, 0), 0);
	assert_string_equal(a, "[::1]:443");
	assert_int_equal(http_authority(a, sizeof(a), "::1", 80, 80), 0);
	assert_string_equal(a, "[::1]");
	assert_int_equal(http_authority(a, 8, "long.example", 1, 0), -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goldens_every_split),
		cmocka_unit_test(test_hostile_exact_errors),
		cmocka_unit_test(test_head_bounds),
		cmocka_unit_test(test_trailer_and_chunk_line_bounds),
		cmocka_unit_test(test_body_full_grow_and_drain),
		cmocka_unit_test(test_done_is_sticky_and_untouched),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_authority),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
