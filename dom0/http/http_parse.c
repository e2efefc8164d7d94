/* http_parse: incremental, bounded HTTP/1.1 message parser.  See http_parse.h. */
#include "http_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
	ST_HEAD,
	ST_LENGTH,      /* Content-Length body */
	ST_CHUNK_SIZE,  /* reading a chunk-size line into cline */
	ST_CHUNK_DATA,
	ST_CHUNK_CR,    /* CR after chunk data */
	ST_CHUNK_LF,    /* LF after chunk data */
	ST_TRAILER,
	ST_CLOSE,       /* close-delimited body */
	ST_DONE,
	ST_ERROR,
};

enum { METHOD_OTHER, METHOD_HEAD, METHOD_CONNECT };

#define SNIPPET_MAX 40

static const char *
what(const struct http_msg *m)
{
	return m->kind == HTTP_RESPONSE ? "HTTP response" : "HTTP request";
}

/* Copies up to n bytes of s as printable ASCII ('?' for others), cut with
 * "..." beyond SNIPPET_MAX: safe to put in an error sentence. */
static void
snippet(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t i, o = 0, lim = n > SNIPPET_MAX ? SNIPPET_MAX : n;

	for (i = 0; i < lim && o + 1 < dstsz; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (n > lim && o + 4 < dstsz) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

static int
fail(struct http_msg *m, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct http_msg *m, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	m->state = ST_ERROR;
	m->error = rc;
	return rc;
}

static int
over_limit(struct http_msg *m)
{
	return fail(m, -EFBIG, "%s body: over the %zu-byte limit", what(m), m->body_max);
}

/* tchar (RFC 9110 §5.6.2) */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar / SP / HTAB (obs-text allowed) */
static bool
is_field_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool
is_hex(unsigned char c, unsigned *v)
{
	if (c >= '0' && c <= '9')
		*v = c - '0';
	else if (c >= 'a' && c <= 'f')
		*v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		*v = c - 'A' + 10;
	else
		return false;
	return true;
}

static void
init_common(struct http_msg *m, enum http_kind kind, uint8_t *body, size_t cap, size_t max)
{
	memset(m, 0, offsetof(struct http_msg, cline));
	m->kind = kind;
	m->state = ST_HEAD;
	m->body = body;
	m->body_cap = body ? cap : 0;
	m->body_max = max;
	m->buf[0] = '\0';
}

void
http_msg_init_response(struct http_msg *m, const char *req_method, uint8_t *body,
		       size_t body_cap, size_t body_max)
{
	init_common(m, HTTP_RESPONSE, body, body_cap, body_max);
	if (req_method && strcmp(req_method, "HEAD") == 0)
		m->req_method = METHOD_HEAD;
	else if (req_method && strcmp(req_method, "CONNECT") == 0)
		m->req_method = METHOD_CONNECT;
	else
		m->req_method = METHOD_OTHER;
}

void
http_msg_init_request(struct http_msg *m, uint8_t *body, size_t body_cap, size_t body_max)
{
	init_common(m, HTTP_REQUEST, body, body_cap, body_max);
}

void
http_msg_set_body(struct http_msg *m, uint8_t *body, size_t cap, size_t len)
{
	m->body = body;
	m->body_cap = body ? cap : 0;
	m->body_len = len <= m->body_cap ? len : m->body_cap;
}

bool
http_msg_untouched(const struct http_msg *m)
{
	return m->state == ST_HEAD && m->head_bytes == 0;
}

static const char *
find_field(const struct http_header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

const char *
http_msg_header(const struct http_msg *m, const char *name)
{
	return find_field(m->headers, m->nheaders, name);
}

const char *
http_msg_trailer(const struct http_msg *m, const char *name)
{
	return find_field(m->trailers, m->ntrailers, name);
}

/* Next element of a comma-separated list: *s advances; [*b, *e) is the
 * element without blanks.  False at the end. */
static bool
list_next(const char **s, const char **b, const char **e)
{
	const char *p = *s;

	if (!*p)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	*b = p;
	while (*p && *p != ',')
		p++;
	*e = p;
	while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
	*s = *p == ',' ? p + 1 : p;
	return true;
}

bool
http_list_has(const char *list, const char *token)
{
	const char *b, *e;
	size_t n = strlen(token);

	if (!list)
		return false;
	while (list_next(&list, &b, &e))
		if ((size_t)(e - b) == n && strncasecmp(b, token, n) == 0)
			return true;
	return false;
}

const char *
http_status_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

bool
http_token_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return false;
	return true;
}

bool
http_field_line_ok(const char *line)
{
	const char *p;

	if (!line)
		return false;
	for (p = line; *p && *p != ':'; p++)
		if (!is_tchar((unsigned char)*p))
			return false;
	if (p == line || *p != ':')
		return false;
	for (p++; *p; p++)
		if (!is_field_byte((unsigned char)*p))
			return false;
	return true;
}

/* ---------------------------------------------------------------- lines */

/*
 * One byte of the head or the trailer section, stored into buf with the CR
 * replaced by NUL.  Returns 1 when a line is complete (buf[line_start..] is a
 * NUL-terminated line), 0 for more, or an error.
 */
static int
line_byte(struct http_msg *m, unsigned char c, size_t limit, const char *part)
{
	if (++m->head_bytes > limit)
		return fail(m, -EMSGSIZE, "%s %s: over the %zu-byte limit", what(m), part, limit);
	if (m->cr) {
		if (c != '\n')
			return fail(m, -EPROTO, "%s %s: bare CR (a carriage return not followed by a line feed)",
				    what(m), part);
		m->cr = false;
		return 1;
	}
	if (c == '\n')
		return fail(m, -EPROTO, "%s %s: bare LF (a line feed without a carriage return)",
			    what(m), part);
	if (c == '\r') {
		m->cr = true;
		c = '\0';
	}
	m->buf[m->buflen++] = (char)c;
	return 0;
}

/* A header or trailer line "name: value" (len bytes at line, NUL after). */
static int
field_line(struct http_msg *m, char *line, size_t len, struct http_header *out, const char *part)
{
	char snip[SNIPPET_MAX + 8];
	char *colon, *v, *end;
	size_t i;

	if (line[0] == ' ' || line[0] == '\t') {
		snippet(snip, sizeof(snip), line, len);
		return fail(m, -EPROTO, "%s %s: line '%s' starts with whitespace (obs-fold is not accepted)",
			    what(m), part, snip);
	}
	colon = memchr(line, ':', len);
	if (!colon) {
		snippet(snip, sizeof(snip), line, len);
		return fail(m, -EPROTO, "%s %s: line '%s' has no colon", what(m), part, snip);
	}
	if (colon == line) {
		snippet(snip, sizeof(snip), line, len);
		return fail(m, -EPROTO, "%s %s: line '%s' has an empty name", what(m), part, snip);
	}
	for (i = 0; line + i < colon; i++)
		if (!is_tchar((unsigned char)line[i])) {
			snippet(snip, sizeof(snip), line, (size_t)(colon - line));
			return fail(m, -EPROTO, "%s %s: name '%s' is not a token", what(m), part, snip);
		}
	*colon = '\0';
	end = line + len;
	for (v = colon + 1; v < end; v++)
		if (!is_field_byte((unsigned char)*v)) {
			snippet(snip, sizeof(snip), line, (size_t)(colon - line));
			return fail(m, -EPROTO, "%s %s: '%s' has a control byte 0x%02x in its value",
				    what(m), part, snip, (unsigned char)*v);
		}
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	out->name = line;
	out->value = v;
	return 0;
}

/* "HTTP/1.x" at s (8 bytes available?) -> minor, or an error. */
static int
version(struct http_msg *m, const char *s, size_t n, const char *part, const char *snip)
{
	if (n == 8 && memcmp(s, "HTTP/", 5) == 0 && s[5] >= '0' && s[5] <= '9' && s[6] == '.' &&
	    s[7] >= '0' && s[7] <= '9') {
		if (s[5] != '1')
			return fail(m, -EPROTONOSUPPORT, "%s %s '%s': version '%.8s' is not supported",
				    what(m), part, snip, s);
		m->minor = s[7] == '0' ? 0 : 1; /* 1.x above 1.1 is handled as 1.1 */
		return 0;
	}
	return fail(m, -EPROTO, "%s %s '%s': no HTTP/1.x version", what(m), part, snip);
}

static int
status_line(struct http_msg *m, char *line, size_t len)
{
	char snip[SNIPPET_MAX + 8];
	const char *part = "status line";
	size_t i;
	int rc;

	snippet(snip, sizeof(snip), line, len);
	if (len < 12 || line[8] != ' ') {
		if (len >= 8 && (rc = version(m, line, 8, part, snip)) < 0)
			return rc;
		return fail(m, -EPROTO, "%s %s '%s': not 'HTTP/1.x NNN reason'", what(m), part, snip);
	}
	if ((rc = version(m, line, 8, part, snip)) < 0)
		return rc;
	for (i = 9; i < 12; i++)
		if (line[i] < '0' || line[i] > '9')
			return fail(m, -EPROTO, "%s %s '%s': status code is not three digits",
				    what(m), part, snip);
	if (len > 12 && line[12] != ' ')
		return fail(m, -EPROTO, "%s %s '%s': status code is not three digits",
			    what(m), part, snip);
	m->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	if (m->status < 100 || m->status > 599)
		return fail(m, -EPROTO, "%s %s '%s': status code %d is out of range",
			    what(m), part, snip, m->status);
	for (i = 13; i < len; i++)
		if (!is_field_byte((unsigned char)line[i]))
			return fail(m, -EPROTO, "%s %s '%s': control byte 0x%02x in the reason",
				    what(m), part, snip, (unsigned char)line[i]);
	m->reason = len > 12 ? line + 13 : "";
	return 0;
}

static int
request_line(struct http_msg *m, char *line, size_t len)
{
	char snip[SNIPPET_MAX + 8];
	const char *part = "line";
	char *sp1, *sp2, *end = line + len, *p;
	int rc;

	snippet(snip, sizeof(snip), line, len);
	sp1 = memchr(line, ' ', len);
	if (!sp1 || !(sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1))))
		return fail(m, -EPROTO, "%s %s '%s': not 'METHOD target HTTP/1.x'", what(m), part, snip);
	if (sp1 == line)
		return fail(m, -EPROTO, "%s %s '%s': empty method", what(m), part, snip);
	for (p = line; p < sp1; p++)
		if (!is_tchar((unsigned char)*p))
			return fail(m, -EPROTO, "%s %s '%s': method is not a token", what(m), part, snip);
	if (sp2 == sp1 + 1)
		return fail(m, -EPROTO, "%s %s '%s': empty target", what(m), part, snip);
	for (p = sp1 + 1; p < sp2; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return fail(m, -EPROTO, "%s %s '%s': byte 0x%02x in the target",
				    what(m), part, snip, (unsigned char)*p);
	if ((rc = version(m, sp2 + 1, (size_t)(end - sp2 - 1), part, snip)) < 0)
		return rc;
	*sp1 = '\0';
	*sp2 = '\0';
	m->method = line;
	m->target = sp1 + 1;
	if (strcmp(m->method, "CONNECT") == 0) {
		if (m->target[0] == '/' || !strchr(m->target, ':'))
			return fail(m, -EPROTO, "%s %s '%s': CONNECT target is not host:port",
				    what(m), part, snip);
	} else if (m->target[0] != '/' && !strstr(m->target, "://") &&
		   !(strcmp(m->target, "*") == 0 && strcmp(m->method, "OPTIONS") == 0)) {
		return fail(m, -EPROTO, "%s %s '%s': target is not a path or an absolute URL",
			    what(m), part, snip);
	}
	return 0;
}

/* Decimal Content-Length element [b, e) -> *v. */
static int
parse_length(struct http_msg *m, const char *b, const char *e, uint64_t *v)
{
	char snip[SNIPPET_MAX + 8];
	uint64_t x = 0;

	snippet(snip, sizeof(snip), b, (size_t)(e - b));
	if (b == e)
		return fail(m, -EPROTO, "%s head: Content-Length '%s' is not a decimal number", what(m), snip);
	for (const char *p = b; p < e; p++) {
		if (*p < '0' || *p > '9')
			return fail(m, -EPROTO, "%s head: Content-Length '%s' is not a decimal number",
				    what(m), snip);
		uint64_t d = (uint64_t)(*p - '0');

		if (x > UINT64_MAX / 10 || (x == UINT64_MAX / 10 && d > UINT64_MAX % 10))
			return fail(m, -EPROTO, "%s head: Content-Length '%s' is too large", what(m), snip);
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

/* The head is complete: decide the framing. */
static int
head_finish(struct http_msg *m)
{
	char s1[SNIPPET_MAX + 8], s2[SNIPPET_MAX + 8];
	bool have_cl = false, have_te = false, conn_close = false, conn_keep = false;
	unsigned hosts = 0;
	const char *first_b = NULL, *first_e = NULL;
	unsigned chunked = 0;
	uint64_t cl = 0, v;
	int rc;

	for (size_t i = 0; i < m->nheaders; i++) {
		const char *name = m->headers[i].name, *val = m->headers[i].value, *s, *b, *e;

		if (strcasecmp(name, "Content-Length") == 0) {
			s = val;
			if (!*s)
				return parse_length(m, s, s, &v);
			while (list_next(&s, &b, &e)) {
				if ((rc = parse_length(m, b, e, &v)) < 0)
					return rc;
				if (have_cl && v != cl) {
					snippet(s1, sizeof(s1), first_b, (size_t)(first_e - first_b));
					snippet(s2, sizeof(s2), b, (size_t)(e - b));
					return fail(m, -EPROTO, "%s head: Content-Length values '%s' and '%s' disagree",
						    what(m), s1, s2);
				}
				if (!have_cl) {
					first_b = b;
					first_e = e;
				}
				have_cl = true;
				cl = v;
			}
		} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
			have_te = true;
			s = val;
			while (list_next(&s, &b, &e)) {
				if (b == e)
					continue;
				if ((size_t)(e - b) == 7 && strncasecmp(b, "chunked", 7) == 0) {
					chunked++;
					continue;
				}
				snippet(s1, sizeof(s1), val, strlen(val));
				return fail(m, -ENOTSUP, "%s head: Transfer-Encoding '%s' is not supported (only chunked)",
					    what(m), s1);
			}
		} else if (strcasecmp(name, "Host") == 0) {
			hosts++;
		} else if (strcasecmp(name, "Connection") == 0) {
			conn_close |= http_list_has(val, "close");
			conn_keep |= http_list_has(val, "keep-alive");
		}
	}
	if (have_te && chunked != 1)
		return fail(m, -EPROTO, chunked ? "%s head: Transfer-Encoding names chunked more than once"
					        : "%s head: Transfer-Encoding is empty", what(m));
	if (have_te && m->minor == 0)
		return fail(m, -EPROTO, "%s head: Transfer-Encoding in an HTTP/1.0 message", what(m));
	if (have_te && have_cl)
		return fail(m, -EPROTO,
			    "%s head: both Content-Length and Transfer-Encoding (refused: request smuggling)",
			    what(m));
	m->keep_alive = m->minor == 1 ? !conn_close : (conn_keep && !conn_close);
	if (have_cl)
		m->content_length = cl;

	if (m->kind == HTTP_RESPONSE) {
		if (m->req_method == METHOD_CONNECT && m->status / 100 == 2) {
			m->tunnel = true;
			m->keep_alive = false;
			m->body_kind = HTTP_BODY_NONE;
			return 0;
		}
		if (m->status == 101)
			m->keep_alive = false;
		if (m->req_method == METHOD_HEAD || m->status / 100 == 1 || m->status == 204 ||
		    m->status == 304) {
			m->body_kind = HTTP_BODY_NONE;
			return 0;
		}
	}
	if (have_te) {
		m->body_kind = HTTP_BODY_CHUNKED;
	} else if (have_cl) {
		m->body_kind = HTTP_BODY_LENGTH;
		if (cl > m->body_max)
			return over_limit(m);
		m->remaining = cl;
	} else if (m->kind == HTTP_RESPONSE) {
		m->body_kind = HTTP_BODY_CLOSE;
		m->keep_alive = false;
	} else {
		m->body_kind = HTTP_BODY_NONE;
	}
	/* RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in 1.0 */
	if (m->kind == HTTP_REQUEST && hosts > 1)
		return fail(m, -EPROTO, "%s head: more than one Host header", what(m));
	if (m->kind == HTTP_REQUEST && hosts == 0 && m->minor == 1)
		return fail(m, -EPROTO, "%s head: no Host header (required in HTTP/1.1)", what(m));
	return 0;
}

/* A complete head line.  Returns 1 at the end of the head. */
static int
head_line(struct http_msg *m)
{
	char *line = m->buf + m->line_start;
	size_t len = m->buflen - 1 - m->line_start;
	int rc;

	m->line_start = m->buflen;
	if (m->nlines++ == 0) {
		if (len == 0)
			return fail(m, -EPROTO, "%s: empty first line", what(m));
		return m->kind == HTTP_RESPONSE ? status_line(m, line, len) : request_line(m, line, len);
	}
	if (len == 0)
		return 1;
	if (m->nheaders == HTTP_HEADERS_MAX)
		return fail(m, -EMSGSIZE, "%s head: more than %d header lines", what(m), HTTP_HEADERS_MAX);
	if ((rc = field_line(m, line, len, &m->headers[m->nheaders], "header")) < 0)
		return rc;
	m->nheaders++;
	return 0;
}

static int
trailer_line(struct http_msg *m)
{
	char *line = m->buf + m->line_start;
	size_t len = m->buflen - 1 - m->line_start;
	int rc;

	m->line_start = m->buflen;
	if (len == 0)
		return 1;
	if (m->ntrailers == HTTP_TRAILERS_MAX)
		return fail(m, -EMSGSIZE, "%s trailers: more than %d trailer lines", what(m),
			    HTTP_TRAILERS_MAX);
	if ((rc = field_line(m, line, len, &m->trailers[m->ntrailers], "trailer")) < 0)
		return rc;
	m->ntrailers++;
	return 0;
}

/* A complete chunk-size line in cline[0..clen) (CR LF stripped). */
static int
chunk_line(struct http_msg *m)
{
	char snip[SNIPPET_MAX + 8];
	const char *p = m->cline, *end = m->cline + m->clen, *tok_end;
	uint64_t size = 0;
	unsigned v;
	size_t digits = 0;

	for (tok_end = p; tok_end < end && *tok_end != ';' && *tok_end != ' ' && *tok_end != '\t';)
		tok_end++;
	snippet(snip, sizeof(snip), p, (size_t)(tok_end - p));
	for (; p < end && is_hex((unsigned char)*p, &v); p++, digits++) {
		if (size >> 60)
			return fail(m, -EPROTO, "%s body: chunk size '%s' is too large", what(m), snip);
		size = size << 4 | v;
	}
	if (digits == 0 || p != tok_end)
		return fail(m, -EPROTO, "%s body: chunk size '%s' is not hex", what(m), snip);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && *p != ';')
		return fail(m, -EPROTO, "%s body: chunk size '%s' is followed by junk", what(m), snip);
	/* chunk extensions are skipped; only control bytes are refused */
	for (; p < end; p++)
		if (!is_field_byte((unsigned char)*p))
			return fail(m, -EPROTO, "%s body: control byte 0x%02x in a chunk extension",
				    what(m), (unsigned char)*p);
	if (size == 0) {
		m->state = ST_TRAILER;
		m->head_bytes = 0;
		m->line_start = m->buflen;
		return 0;
	}
	if (size > (uint64_t)m->body_max - m->body_total)
		return over_limit(m);
	m->remaining = size;
	m->state = ST_CHUNK_DATA;
	return 0;
}

/* Copies up to n body bytes; *took how many.  HTTP_BODY_FULL when the buffer
 * has no room, else 0. */
static int
body_take(struct http_msg *m, const uint8_t *p, size_t n, size_t *took)
{
	size_t room;

	*took = 0;
	if (n == 0)
		return 0;
	/* up to the limit, then an error at the first byte past it, wherever
	 * the input was split */
	if (m->body_total >= (uint64_t)m->body_max)
		return over_limit(m);
	if ((uint64_t)n > (uint64_t)m->body_max - m->body_total)
		n = (size_t)((uint64_t)m->body_max - m->body_total);
	room = m->body_cap - m->body_len;
	if (room == 0)
		return HTTP_BODY_FULL;
	if (n > room)
		n = room;
	memcpy(m->body + m->body_len, p, n);
	m->body_len += n;
	m->body_total += n;
	*took = n;
	return 0;
}

int
http_msg_feed(struct http_msg *m, const void *data, size_t len, size_t *used)
{
	const uint8_t *p = data;
	size_t i = 0, n, took;
	int rc;

	*used = 0;
	for (;;) {
		switch (m->state) {
		case ST_ERROR:
			return m->error;
		case ST_DONE:
			*used = i;
			return HTTP_DONE;
		case ST_HEAD:
			if (i == len)
				goto more;
			rc = line_byte(m, p[i++], HTTP_HEAD_MAX, "head");
			if (rc == 1)
				rc = head_line(m);
			if (rc < 0)
				return rc;
			if (rc == 1) {
				if ((rc = head_finish(m)) < 0)
					return rc;
				switch (m->body_kind) {
				case HTTP_BODY_NONE: m->state = ST_DONE; break;
				case HTTP_BODY_LENGTH: m->state = ST_LENGTH; break;
				case HTTP_BODY_CHUNKED: m->state = ST_CHUNK_SIZE; break;
				case HTTP_BODY_CLOSE: m->state = ST_CLOSE; break;
				}
				*used = i;
				return HTTP_HEAD_DONE;
			}
			break;
		case ST_TRAILER:
			if (i == len)
				goto more;
			rc = line_byte(m, p[i++], HTTP_TRAILER_MAX, "trailers");
			if (rc == 1)
				rc = trailer_line(m);
			if (rc < 0)
				return rc;
			if (rc == 1)
				m->state = ST_DONE;
			break;
		case ST_LENGTH:
		case ST_CHUNK_DATA:
			if (m->remaining == 0) {
				m->state = m->state == ST_LENGTH ? ST_DONE : ST_CHUNK_CR;
				break;
			}
			if (i == len)
				goto more;
			n = len - i;
			if ((uint64_t)n > m->remaining)
				n = (size_t)m->remaining;
			rc = body_take(m, p + i, n, &took);
			if (rc < 0)
				return rc;
			i += took;
			m->remaining -= took;
			if (rc == HTTP_BODY_FULL) {
				*used = i;
				return rc;
			}
			break;
		case ST_CLOSE:
			if (i == len)
				goto more;
			rc = body_take(m, p + i, len - i, &took);
			if (rc < 0)
				return rc;
			i += took;
			if (rc == HTTP_BODY_FULL) {
				*used = i;
				return rc;
			}
			break;
		case ST_CHUNK_CR:
		case ST_CHUNK_LF:
			if (i == len)
				goto more;
			if (p[i++] != (m->state == ST_CHUNK_CR ? '\r' : '\n'))
				return fail(m, -EPROTO, "%s body: chunk data is not followed by CRLF", what(m));
			if (m->state == ST_CHUNK_CR) {
				m->state = ST_CHUNK_LF;
			} else {
				m->state = ST_CHUNK_SIZE;
				m->clen = 0;
				m->cr = false;
			}
			break;
		case ST_CHUNK_SIZE:
			if (i == len)
				goto more;
			if (m->cr) {
				if (p[i++] != '\n')
					return fail(m, -EPROTO, "%s body: bare CR in a chunk-size line", what(m));
				m->cr = false;
				if ((rc = chunk_line(m)) < 0)
					return rc;
				m->clen = 0;
				break;
			}
			if (p[i] == '\n')
				return fail(m, -EPROTO, "%s body: bare LF in a chunk-size line", what(m));
			if (m->clen + 2 >= HTTP_CHUNK_LINE_MAX)
				return fail(m, -EMSGSIZE, "%s body: chunk-size line is over the %d-byte limit",
					    what(m), HTTP_CHUNK_LINE_MAX);
			if (p[i] == '\r')
				m->cr = true;
			else
				m->cline[m->clen++] = (char)p[i];
			i++;
			break;
		}
	}
more:
	*used = i;
	return HTTP_NEED_MORE;
}

int
http_msg_finish(struct http_msg *m)
{
	switch (m->state) {
	case ST_ERROR:
		return m->error;
	case ST_DONE:
		return HTTP_DONE;
	case ST_CLOSE:
		m->state = ST_DONE;
		return HTTP_DONE;
	case ST_HEAD:
		if (m->head_bytes == 0)
			return fail(m, -EPROTO, "%s: connection closed before the message", what(m));
		return fail(m, -EPROTO, "%s head: connection closed inside the head", what(m));
	case ST_LENGTH:
		return fail(m, -EPROTO, "%s body: connection closed after %llu of %llu bytes", what(m),
			    (unsigned long long)m->body_total, (unsigned long long)m->content_length);
	default:
		return fail(m, -EPROTO, "%s body: connection closed inside the chunked body", what(m));
	}
}
