/*
 * devconf: what the evc role reads from /config (DESIGN.md §4):
 *   server                 controller "host" or "host:port" (port 443 by default)
 *   root-certificate.pem   the controller's root(s)
 *   onboard.cert.pem       the onboarding certificate (absent: pre-registered device)
 *   soft_serial            the soft serial (optional)
 *   serial                 the serial to register with, overriding the hardware
 *                          serial (/sys/class/dmi/id/product_serial) — for hosts
 *                          and tests without one
 *   proxy                  "host:port" of an enterprise HTTP proxy (CONNECT), optional
 *   require-cert-status    present: the controller's certificates must come with a
 *                          current signed status (docs/revocation.md)
 *   api                    "v2" (default) or "v1": the original design's API, bare
 *                          protobuf over mutual TLS (the onboarding certificate to
 *                          register, the device certificate after)
 * Every file is optional except server and root-certificate.pem; a file that
 * is there but malformed is an error naming it.
 *
 * Ownership: struct devconf owns its buffers (devconf_free).
 */
#ifndef EV_DEVCONF_H
#define EV_DEVCONF_H

#include <stddef.h>
#include <stdint.h>

#include "ctrlcerts.h"

#define DEVCONF_ERR_MAX 512

struct devconf {
	char host[256];
	uint16_t port;
	char serial[128];
	char soft_serial[128];
	char proxy[300];             /* "" when none */
	bool require_cert_status;
	bool api_v1;
	char *onboard_pem;           /* NULL when none */
	size_t onboard_pem_len;
	char *root_pem;
	size_t root_pem_len;
	uint8_t anchors_buf[65536];  /* DER of the roots */
	const uint8_t *anchors[CTRLCERTS_ANCHORS_MAX];
	size_t anchors_len[CTRLCERTS_ANCHORS_MAX];
	size_t n_anchors;
};

/* Parses a `server` file's text: "host" or "host:port", IPv6 in brackets.  Pure. */
int devconf_parse_server(const char *text, size_t len, char host[256], uint16_t *port,
			 char *err, size_t errsz);

int devconf_load(struct devconf *c, const char *config_dir, char err[DEVCONF_ERR_MAX]);
void devconf_free(struct devconf *c);

#endif
