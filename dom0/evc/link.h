/*
 * link: the evc role's connection to the controller: TCP (through an HTTP
 * CONNECT proxy when /config/proxy names one), BearSSL TLS 1.2 checked
 * against /config/root-certificate.pem and the server's DNS name, then
 * HTTP/1.1 requests with keep-alive.  A kept-alive connection the server
 * closed meanwhile is reopened once, transparently.
 *
 * Every call is bounded by timeout_ms (connect, handshake, request); the
 * caller (one request per event-loop turn) stays responsive.
 *
 * Ownership: struct link is caller-owned (large: it embeds the TLS context);
 * it borrows the devconf.  Response bodies are malloc'd for the caller.
 */
#ifndef EV_LINK_H
#define EV_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devconf.h"
#include "tls.h"

#define LINK_ERR_MAX 512
#define LINK_MAX_BODY (16u << 20)

struct link {
	const struct devconf *conf;
	struct tls_anchors anchors;
	bool anchors_loaded;
	struct tls_ctx tls;
	bool open;
	int timeout_ms;
	unsigned connects;         /* connections made, for the metrics */
	const struct tls_chain *client_chain;  /* v1 mutual TLS, or NULL */
	struct signer *client_signer;
};

/* The TLS client certificate of the next connections (v1 mutual TLS):
 * a connection made with another one is closed.  NULL: none. */
void link_set_client(struct link *l, const struct tls_chain *chain, struct signer *signer);

int link_init(struct link *l, const struct devconf *conf, int timeout_ms, char err[LINK_ERR_MAX]);
void link_close(struct link *l);
void link_fini(struct link *l);

/*
 * One request: method, path, optional body (Content-Type
 * application/x-proto-binary).  0 with *status and the body (malloc'd, may
 * be NULL when empty), or -errno with err (connection, TLS or HTTP failure;
 * nothing is known about the request's fate).
 */
int link_request(struct link *l, const char *method, const char *path, const uint8_t *body,
		 size_t len, int *status, uint8_t **resp, size_t *resp_len, char err[LINK_ERR_MAX]);

#endif
