/* http_server: server side of HTTP/1.1 over streams.  See http_server.h. */
#include "http_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
http_server_conn_init(struct http_server_conn *c, struct stream *s)
{
	c->s = s;
	c->rb.off = c->rb.len = 0;
	c->nrequests = 0;
}

void
http_server_req_release(struct http_server_req *req)
{
	if (req->body_malloced)
		free(req->msg.body);
	req->msg.body = NULL;
	req->msg.body_len = 0;
	req->body_malloced = false;
}

int
http_server_read(struct http_server_conn *c, struct http_server_req *req, uint8_t *body_buf,
		 size_t body_max, int timeout_ms, char *err, size_t errsz)
{
	struct http_read_opts o = { .timeout_ms = timeout_ms, .grow = !body_buf, .continue_100 = true };
	int rc;

	if (body_buf)
		http_msg_init_request(&req->msg, body_buf, body_max, body_max);
	else
		http_msg_init_request(&req->msg, NULL, 0, body_max);
	req->body_malloced = false;
	rc = http_msg_read(c->s, &c->rb, &req->msg, &o, err, errsz);
	if (rc < 0) {
		if (!body_buf)
			free(req->msg.body);
		req->msg.body = NULL;
		req->msg.body_len = 0;
		return rc;
	}
	req->body_malloced = !body_buf && req->msg.body;
	c->nrequests++;
	return 0;
}

bool
http_server_keep_alive(const struct http_server_conn *c, const struct http_server_req *req,
		       unsigned max_requests)
{
	return req->msg.keep_alive && (max_requests == 0 || c->nrequests < max_requests);
}

static const char *const resp_reserved[] = {
	"Content-Length", "Transfer-Encoding", "Connection", NULL
};

int
http_response_write(struct stream *s, int status, const char *reason, const char *const *headers,
		    const void *body, size_t body_len, unsigned flags)
{
	struct http_head *h;
	bool no_body = status / 100 == 1 || status == 204 || status == 304;
	int rc;

	if (status < 100 || status > 599 || (no_body && body_len))
		return -EINVAL;
	if (!reason)
		reason = http_status_reason(status);
	for (const char *p = reason; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return -EINVAL;
	if (!(h = malloc(sizeof(*h))))
		return -ENOMEM;
	http_head_init(h);
	http_head_printf(h, "HTTP/1.1 %03d %s\r\n", status, reason);
	http_head_lines(h, headers, resp_reserved);
	if (!no_body)
		http_head_printf(h, "Content-Length: %zu\r\n", body_len);
	if (flags & HTTP_RESP_CLOSE)
		http_head_printf(h, "Connection: close\r\n");
	rc = http_head_send(h, s, body, (flags & HTTP_RESP_HEAD) ? 0 : body_len);
	free(h);
	return rc;
}

int
http_status_for_error(int rc)
{
	switch (rc) {
	case -EFBIG: return 413;
	case -EMSGSIZE: return 431;
	case -ENOTSUP: return 501;
	case -EPROTONOSUPPORT: return 505;
	case -ETIMEDOUT: return 408;
	default: return 400;
	}
}

int
http_server_reject(struct http_server_conn *c, int rc, const char *why)
{
	static const char *const hdrs[] = { "Content-Type: text/plain", NULL };
	char body[HTTP_ERR_MAX + 2];
	int status = http_status_for_error(rc), r;
	size_t n = 0;

	for (const char *p = why ? why : ""; *p && n < HTTP_ERR_MAX; p++)
		body[n++] = ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f) ? *p : '?';
	body[n++] = '\n';
	r = http_response_write(c->s, status, NULL, hdrs, body, n, HTTP_RESP_CLOSE);
	return r < 0 ? r : status;
}
