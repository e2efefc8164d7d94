/* devconf: /config for the evc role.  See devconf.h. */
#include "devconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"

static size_t
trim(const char *s, size_t len, const char **start)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	*start = s;
	return len;
}

int
devconf_parse_server(const char *text, size_t len, char host[256], uint16_t *port, char *err,
		     size_t errsz)
{
	const char *s, *colon = NULL, *h;
	size_t n, hl;
	unsigned long p = 443;

	n = trim(text, len, &s);
	if (n == 0 || n > 300 || memchr(s, '\n', n)) {
		snprintf(err, errsz, "server: expected one line \"host\" or \"host:port\"");
		return -EINVAL;
	}
	if (s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (!rb) {
			snprintf(err, errsz, "server: '[' without ']'");
			return -EINVAL;
		}
		h = s + 1;
		hl = (size_t)(rb - h);
		if ((size_t)(rb + 1 - s) < n) {
			if (rb[1] != ':') {
				snprintf(err, errsz, "server: junk after ']'");
				return -EINVAL;
			}
			colon = rb + 1;
		}
	} else {
		h = s;
		colon = memchr(s, ':', n);
		hl = colon ? (size_t)(colon - s) : n;
	}
	if (colon) {
		char buf[8] = "", *end;
		size_t pl = n - (size_t)(colon + 1 - s);

		if (pl == 0 || pl >= sizeof(buf)) {
			snprintf(err, errsz, "server: bad port");
			return -EINVAL;
		}
		memcpy(buf, colon + 1, pl);
		p = strtoul(buf, &end, 10);
		if (*end || p == 0 || p > 65535) {
			snprintf(err, errsz, "server: port '%s' is not 1..65535", buf);
			return -EINVAL;
		}
	}
	if (hl == 0 || hl >= 256) {
		snprintf(err, errsz, "server: empty or too long host name");
		return -EINVAL;
	}
	for (size_t i = 0; i < hl; i++) {
		unsigned char c = (unsigned char)h[i];

		if (!(isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':')) {
			snprintf(err, errsz, "server: host has character 0x%02x", c);
			return -EINVAL;
		}
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

/* Reads an optional one-line file into out; "" if absent. */
static int
read_line(const char *dir, const char *name, char *out, size_t cap, char *err, size_t errsz)
{
	char path[1024], *data, e[512];
	const char *s;
	size_t len, n;
	int rc;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = atomicfile_read(path, 4096, &data, &len, e, sizeof(e));
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		snprintf(err, errsz, "%s", e);
		return rc;
	}
	n = trim(data, len, &s);
	if (n >= cap || memchr(s, '\n', n) || memchr(s, '\0', n)) {
		snprintf(err, errsz, "%s: expected one short line", path);
		free(data);
		return -EINVAL;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	free(data);
	return 0;
}

int
devconf_load(struct devconf *c, const char *dir, char err[DEVCONF_ERR_MAX])
{
	char path[1024], e[512], line[300];
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = read_line(dir, "server", line, sizeof(line), err, DEVCONF_ERR_MAX)) < 0)
		return rc;
	if (!line[0]) {
		snprintf(err, DEVCONF_ERR_MAX, "%s/server: missing (the controller's host[:port])",
			 dir);
		return -ENOENT;
	}
	if ((rc = devconf_parse_server(line, strlen(line), c->host, &c->port, e, sizeof(e))) < 0) {
		snprintf(err, DEVCONF_ERR_MAX, "%s/%s", dir, e);
		return rc;
	}
	if ((rc = read_line(dir, "serial", c->serial, sizeof(c->serial), err, DEVCONF_ERR_MAX)) < 0 ||
	    (rc = read_line(dir, "soft_serial", c->soft_serial, sizeof(c->soft_serial), err,
			    DEVCONF_ERR_MAX)) < 0 ||
	    (rc = read_line(dir, "proxy", c->proxy, sizeof(c->proxy), err, DEVCONF_ERR_MAX)) < 0)
		return rc;
	if ((rc = read_line(dir, "api", line, sizeof(line), err, DEVCONF_ERR_MAX)) < 0)
		return rc;
	if (line[0] && strcmp(line, "v1") != 0 && strcmp(line, "v2") != 0) {
		snprintf(err, DEVCONF_ERR_MAX, "%s/api: '%s' is neither v1 nor v2", dir, line);
		return -EINVAL;
	}
	c->api_v1 = strcmp(line, "v1") == 0;
	snprintf(path, sizeof(path), "%s/require-cert-status", dir);
	c->require_cert_status = access(path, F_OK) == 0;
	if (!c->serial[0] &&
	    read_line("/sys/class/dmi/id", "product_serial", c->serial, sizeof(c->serial), e,
		      sizeof(e)) < 0)
		c->serial[0] = '\0';
	snprintf(path, sizeof(path), "%s/root-certificate.pem", dir);
	rc = atomicfile_read(path, 1 << 20, &c->root_pem, &c->root_pem_len, e, sizeof(e));
	if (rc < 0) {
		snprintf(err, DEVCONF_ERR_MAX, "%s", e);
		return rc;
	}
	rc = ctrlcerts_load_anchors(c->root_pem, c->root_pem_len, c->anchors_buf,
				    sizeof(c->anchors_buf), c->anchors, c->anchors_len, &c->n_anchors,
				    e, sizeof(e));
	if (rc < 0) {
		snprintf(err, DEVCONF_ERR_MAX, "%s: %s", path, e);
		return rc;
	}
	snprintf(path, sizeof(path), "%s/onboard.cert.pem", dir);
	rc = atomicfile_read(path, 1 << 20, &c->onboard_pem, &c->onboard_pem_len, e, sizeof(e));
	if (rc < 0 && rc != -ENOENT) {
		snprintf(err, DEVCONF_ERR_MAX, "%s", e);
		return rc;
	}
	return 0;
}

void
devconf_free(struct devconf *c)
{
	free(c->onboard_pem);
	free(c->root_pem);
	c->onboard_pem = c->root_pem = NULL;
}
