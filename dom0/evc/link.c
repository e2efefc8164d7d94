/* link: the connection to the controller.  See link.h. */
#include "link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_client.h"
#include "stream.h"

int
link_init(struct link *l, const struct devconf *conf, int timeout_ms, char err[LINK_ERR_MAX])
{
	char e[TLS_ERR_MAX];
	int rc;

	memset(l, 0, sizeof(*l));
	l->conf = conf;
	l->timeout_ms = timeout_ms;
	rc = tls_anchors_parse(&l->anchors, conf->root_pem, conf->root_pem_len,
			       "root-certificate.pem", e);
	if (rc < 0) {
		snprintf(err, LINK_ERR_MAX, "%s", e);
		return rc;
	}
	l->anchors_loaded = true;
	return 0;
}

void
link_close(struct link *l)
{
	if (l->open)
		l->tls.s.close(&l->tls.s);
	l->open = false;
}

void
link_set_client(struct link *l, const struct tls_chain *chain, struct signer *signer)
{
	if (l->client_chain != chain || l->client_signer != signer)
		link_close(l);
	l->client_chain = chain;
	l->client_signer = signer;
}

void
link_fini(struct link *l)
{
	link_close(l);
	if (l->anchors_loaded)
		tls_anchors_free(&l->anchors);
	l->anchors_loaded = false;
}

static int
link_connect(struct link *l, char err[LINK_ERR_MAX])
{
	const struct devconf *c = l->conf;
	struct stream_fd sf;
	char e[TLS_ERR_MAX > 512 ? TLS_ERR_MAX : 512], phost[256];
	uint16_t pport;
	int fd = -1, rc;

	if (c->proxy[0]) {
		if ((rc = devconf_parse_server(c->proxy, strlen(c->proxy), phost, &pport, e,
					       sizeof(e))) < 0) {
			snprintf(err, LINK_ERR_MAX, "proxy: %s", e);
			return rc;
		}
		rc = http_tcp_connect(phost, pport, l->timeout_ms, &fd, e, sizeof(e));
		if (rc < 0) {
			snprintf(err, LINK_ERR_MAX, "proxy %s: %s", c->proxy, e);
			return rc;
		}
		stream_fd_init(&sf, fd, l->timeout_ms);
		rc = http_proxy_connect(&sf.s, c->proxy, c->host, c->port, NULL, l->timeout_ms, e,
					sizeof(e));
		if (rc < 0) {
			snprintf(err, LINK_ERR_MAX, "proxy %s: %s", c->proxy, e);
			close(fd);
			return rc;
		}
	} else {
		rc = http_tcp_connect(c->host, c->port, l->timeout_ms, &fd, e, sizeof(e));
		if (rc < 0) {
			snprintf(err, LINK_ERR_MAX, "controller %s:%u: %s", c->host, c->port, e);
			return rc;
		}
	}
	rc = tls_client_open(&l->tls, fd, c->host, &l->anchors, l->client_chain, l->client_signer,
			     l->timeout_ms, e);
	if (rc < 0) {
		snprintf(err, LINK_ERR_MAX, "controller %s:%u: %s", c->host, c->port, e);
		close(fd);
		return rc;
	}
	l->tls.s.timeout_ms = l->timeout_ms;
	l->open = true;
	l->connects++;
	return 0;
}

int
link_request(struct link *l, const char *method, const char *path, const uint8_t *body,
	     size_t len, int *status, uint8_t **resp, size_t *resp_len, char err[LINK_ERR_MAX])
{
	static const char *const hdrs[] = { "Content-Type: application/x-proto-binary", NULL };
	char host[300], e[512];
	struct http_req req = { .method = method, .host = host, .path = path,
				.headers = body ? hdrs : NULL, .body = body, .body_len = len,
				.timeout_ms = l->timeout_ms, .resp_max = LINK_MAX_BODY };
	struct http_resp *r;
	bool fresh;
	int rc;

	*resp = NULL;
	*resp_len = 0;
	*status = 0;
	r = calloc(1, sizeof(*r)); /* about 23 KiB */
	if (!r)
		return -ENOMEM;
	http_authority(host, sizeof(host), l->conf->host, l->conf->port, 443);
	for (int attempt = 0; attempt < 2; attempt++) {
		fresh = !l->open;
		if (!l->open && (rc = link_connect(l, err)) < 0)
			goto out;
		rc = http_request(&l->tls.s, &req, r, e, sizeof(e));
		if (rc == 0)
			break;
		link_close(l);
		/* a kept-alive connection the server had closed: once more, fresh */
		if (rc == -ECONNRESET && !fresh)
			continue;
		snprintf(err, LINK_ERR_MAX, "%s %s: %s", method, path, e);
		goto out;
	}
	*status = r->status;
	if (r->body_len) {
		if (r->body_malloced) {
			*resp = r->body;
			r->body = NULL;
			r->body_malloced = false;
		} else {
			*resp = malloc(r->body_len);
			if (!*resp) {
				rc = -ENOMEM;
				goto out;
			}
			memcpy(*resp, r->body, r->body_len);
		}
		*resp_len = r->body_len;
	}
	if (!r->reusable)
		link_close(l);
	rc = 0;
out:
	http_resp_release(r);
	free(r);
	return rc;
}
