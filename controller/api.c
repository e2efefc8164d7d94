/* api: the EVE-EVC API, controller side.  See api.h. */
#include "api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_logs.h"
#include "auth.h"
#include "base64.h"
#include "pem.h"
#include "x509_read.h"

#include "config/devconfig.pb-c.h"
#include "eveuuid/eveuuid.pb-c.h"
#include "info/info.pb-c.h"
#include "metrics/metrics.pb-c.h"
#include "register/register.pb-c.h"

#define CERT_MAX 16384

enum api_version { V1 = 1, V2 = 2 };

struct call {
	struct api_ctx *ctx;
	const struct api_request *req;
	struct api_response *resp;
	enum api_version v;
	const char *op;           /* "register", "config", ... */
	struct store_device dev;  /* the device, once known */
	bool have_dev;
	const uint8_t *payload;   /* the inner message (v2: checked; v1: the body) */
	size_t plen;
	uint8_t *owned;           /* payload copy to free */
};

static void
say(struct call *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!c->ctx->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->ctx->log(c->ctx->log_arg, "%s %s: %s", c->req->method, c->req->path, buf);
}

/* Ends the call with a status and a plain-text reason (logged too). */
__attribute__((format(printf, 3, 4))) static void
fail(struct call *c, int status, const char *fmt, ...)
{
	char buf[400];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	say(c, "%d %s", status, buf);
	c->resp->status = status;
	c->resp->content_type = "text/plain";
	c->resp->body = malloc((size_t)n + 2);
	if (c->resp->body) {
		memcpy(c->resp->body, buf, (size_t)n);
		c->resp->body[n] = '\n';
		c->resp->len = (size_t)n + 1;
	}
}

/* Ends the call with a protobuf reply: v2 signed, v1 bare. */
static void
reply(struct call *c, int status, const uint8_t *pb, size_t len)
{
	char err[AUTH_ERR_MAX];

	c->resp->status = status;
	c->resp->content_type = "application/x-proto-binary";
	if (c->v == V1) {
		c->resp->body = malloc(len ? len : 1);
		if (!c->resp->body) {
			fail(c, 500, "out of memory");
			return;
		}
		if (len)
			memcpy(c->resp->body, pb, len);
		c->resp->len = len;
		return;
	}
	if (auth_seal(pb, len, c->ctx->signer, c->ctx->signing_cert_hash, NULL, 0, &c->resp->body,
		      &c->resp->len, err) < 0)
		fail(c, 500, "signing the reply: %s", err);
}

static void
reply_empty(struct call *c, int status)
{
	c->resp->status = status;
	c->resp->content_type = NULL;
}

/* A certificate given as base64 of PEM (v2), PEM (v1), or DER: into DER. */
static int
cert_from_blob(const uint8_t *blob, size_t len, uint8_t *der, size_t *dlen, char *err,
	       size_t errsz)
{
	static char pem[CERT_MAX * 2];
	char e[256];
	long n;

	if (len >= 10 && memcmp(blob, "-----BEGIN", 10) == 0) {
		if (len >= sizeof(pem)) {
			snprintf(err, errsz, "certificate PEM of %zu bytes is too long", len);
			return -EMSGSIZE;
		}
		memcpy(pem, blob, len);
		n = (long)len;
	} else if (len && blob[0] == 0x30) {
		if (len > CERT_MAX) {
			snprintf(err, errsz, "certificate of %zu bytes is too long", len);
			return -EMSGSIZE;
		}
		memcpy(der, blob, len);
		*dlen = len;
		return 0;
	} else {
		n = base64_decode((const char *)blob, len, (uint8_t *)pem, sizeof(pem) - 1, e);
		if (n < 0) {
			snprintf(err, errsz, "certificate: not base64 of a PEM certificate (%s)",
				 n == -ENOSPC ? "too long" : e);
			return -EBADMSG;
		}
	}
	if (pem_decode_first(pem, (size_t)n, "CERTIFICATE", der, CERT_MAX, dlen, e, sizeof(e)) < 0) {
		snprintf(err, errsz, "certificate: %s", e);
		return -EBADMSG;
	}
	return 0;
}

/* ---- register ---- */

static void
do_register(struct call *c, const uint8_t *onboard_der, size_t onboard_len,
	    const uint8_t *pem_text, size_t pem_len)
{
	Org__Lfedge__Eve__Register__ZRegisterMsg *m = NULL;
	struct store_onboard ob;
	struct x509_cert xc;
	uint8_t hash[32], dev[CERT_MAX], dhash[32];
	size_t dlen;
	char err[400], uuid[37];
	int rc;

	x509_der_sha256(onboard_der, onboard_len, hash);
	if (store_onboard_find(c->ctx->st, hash, &ob) < 0) {
		fail(c, 403, "onboarding certificate not known to this controller");
		return;
	}
	if (c->v == V2) {
		/* the signature, by that onboarding certificate (hash of DER, or of
		 * the PEM as sent, which some EVE versions use) */
		struct auth_key keys[2];

		if (auth_key_from_cert(&keys[0], onboard_der, onboard_len, err) < 0) {
			fail(c, 400, "%s", err);
			goto out;
		}
		keys[1] = keys[0];
		x509_der_sha256(pem_text, pem_len, keys[1].cert_hash);
		rc = auth_open(c->req->body, c->req->len, keys, 2, &c->owned, &c->plen, NULL, err);
		if (rc < 0) {
			fail(c, rc == -EBADMSG ? 400 : 401, "%s", err);
			goto out;
		}
		c->payload = c->owned;
	}
	m = org__lfedge__eve__register__zregister_msg__unpack(NULL, c->plen, c->payload);
	if (!m) {
		fail(c, 400, "body is not a ZRegisterMsg (%zu bytes)", c->plen);
		goto out;
	}
	if (!m->serial[0]) {
		fail(c, 400, "ZRegisterMsg without a serial");
		goto out;
	}
	if (cert_from_blob(m->pemcert.data, m->pemcert.len, dev, &dlen, err, sizeof(err)) < 0 ||
	    x509_cert_parse(dev, dlen, &xc, err, sizeof(err)) < 0) {
		fail(c, 400, "ZRegisterMsg.pemCert: %s", err);
		goto out;
	}
	x509_der_sha256(dev, dlen, dhash);
	rc = store_device_register(c->ctx->st, ob.id, dev, dlen, dhash, m->serial, m->softserial,
				   uuid);
	if (rc == 1 || rc == 0) {
		snprintf(c->resp->uuid, sizeof(c->resp->uuid), "%s", uuid);
		say(c, "%s serial %s in %s/%s: device %s", rc ? "registered" : "registered again",
		    m->serial, ob.enterprise, ob.project, uuid);
		reply_empty(c, rc ? 201 : 200);
	} else if (rc == -EACCES) {
		fail(c, 403, "%s", c->ctx->st->err);
	} else if (rc == -EADDRINUSE) {
		fail(c, 409, "%s", c->ctx->st->err);
	} else if (rc == -EINVAL) {
		fail(c, 400, "ZRegisterMsg.pemCert: %s", c->ctx->st->err);
	} else {
		fail(c, 500, "%s", c->ctx->st->err);
	}
out:
	if (m)
		org__lfedge__eve__register__zregister_msg__free_unpacked(m, NULL);
	store_onboard_free(&ob);
}

static void
op_register(struct call *c)
{
	static uint8_t der[CERT_MAX];
	static char pem[CERT_MAX * 2];
	uint8_t *blob = NULL;
	size_t blen, dlen;
	char err[400];
	long n;

	if (c->v == V1) {
		if (!c->req->peer_cert) {
			fail(c, 401, "v1 register needs the onboarding certificate as TLS client "
				     "certificate");
			return;
		}
		c->payload = c->req->body;
		c->plen = c->req->len;
		do_register(c, c->req->peer_cert, c->req->peer_cert_len, NULL, 0);
		return;
	}
	if (auth_sender_cert(c->req->body, c->req->len, &blob, &blen, err) < 0) {
		fail(c, 400, "%s", err);
		return;
	}
	if (cert_from_blob(blob, blen, der, &dlen, err, sizeof(err)) < 0) {
		fail(c, 400, "senderCert: %s", err);
		free(blob);
		return;
	}
	n = base64_decode((const char *)blob, blen, (uint8_t *)pem, sizeof(pem), NULL);
	free(blob);
	do_register(c, der, dlen, (const uint8_t *)pem, n > 0 ? (size_t)n : 0);
}

/* ---- device requests ---- */

/* Finds and checks the device; sets c->payload.  false: already answered. */
static bool
authenticate(struct call *c)
{
	uint8_t hash[32];
	size_t hlen;
	struct auth_key k;
	char err[AUTH_ERR_MAX];
	int rc;

	if (c->v == V1) {
		if (!c->req->peer_cert) {
			fail(c, 401, "v1 needs the device certificate as TLS client certificate");
			return false;
		}
		x509_der_sha256(c->req->peer_cert, c->req->peer_cert_len, hash);
		if (store_device_by_cert(c->ctx->st, hash, &c->dev) < 0) {
			fail(c, 403, "device certificate not known (not registered)");
			return false;
		}
		c->have_dev = true;
		c->payload = c->req->body;
		c->plen = c->req->len;
		goto known;
	}
	rc = auth_sender_hash(c->req->body, c->req->len, hash, &hlen, err);
	if (rc < 0) {
		fail(c, 400, "%s", err);
		return false;
	}
	if (hlen != 32 || store_device_by_cert(c->ctx->st, hash, &c->dev) < 0) {
		fail(c, 403, "signed by a device certificate not known here (not registered)");
		return false;
	}
	c->have_dev = true;
	if (auth_key_from_cert(&k, c->dev.cert_der, c->dev.cert_len, err) < 0) {
		fail(c, 500, "stored device certificate: %s", err);
		return false;
	}
	rc = auth_open(c->req->body, c->req->len, &k, 1, &c->owned, &c->plen, NULL, err);
	if (rc < 0) {
		fail(c, rc == -EBADMSG ? 400 : 401, "%s", err);
		return false;
	}
	c->payload = c->owned;
known:
	snprintf(c->resp->uuid, sizeof(c->resp->uuid), "%s", c->dev.uuid);
	store_device_touch(c->ctx->st, c->dev.uuid);
	return true;
}

static void
op_uuid(struct call *c)
{
	Org__Lfedge__Eve__Uuid__UuidResponse r = ORG__LFEDGE__EVE__UUID__UUID_RESPONSE__INIT;
	uint8_t buf[128];
	size_t n;

	r.uuid = c->dev.uuid;
	n = org__lfedge__eve__uuid__uuid_response__pack(&r, buf);
	reply(c, 200, buf, n);
}

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

/* ConfigResponse{config = the stored bytes exactly, configHash}, encoded by
 * hand so the device gets the very bytes the hash is of. */
static void
op_config(struct call *c)
{
	Org__Lfedge__Eve__Config__ConfigRequest *rq = NULL;
	Org__Lfedge__Eve__Config__EdgeDevConfig dflt = ORG__LFEDGE__EVE__CONFIG__EDGE_DEV_CONFIG__INIT;
	Org__Lfedge__Eve__Config__UUIDandVersion id = ORG__LFEDGE__EVE__CONFIG__UUIDAND_VERSION__INIT;
	uint8_t *cfg = NULL, *out = NULL;
	size_t clen = 0, o = 0;
	char hash[65];
	bool unchanged, get = strcmp(c->req->method, "GET") == 0;
	int rc;

	if (!get && c->plen) {
		rq = org__lfedge__eve__config__config_request__unpack(NULL, c->plen, c->payload);
		if (!rq) {
			fail(c, 400, "body is not a ConfigRequest (%zu bytes)", c->plen);
			return;
		}
	}
	rc = store_config_get(c->ctx->st, c->dev.uuid, &cfg, &clen, hash);
	if (rc == -ENOENT) {
		/* nothing set yet: an empty config naming the device */
		id.uuid = c->dev.uuid;
		id.version = "0";
		dflt.id = &id;
		clen = org__lfedge__eve__config__edge_dev_config__get_packed_size(&dflt);
		cfg = malloc(clen + 1);
		if (cfg)
			org__lfedge__eve__config__edge_dev_config__pack(&dflt, cfg);
		hash[0] = '\0';
		strcpy(hash, "0");
	} else if (rc < 0) {
		fail(c, 500, "%s", c->ctx->st->err);
		goto out;
	}
	if (!cfg) {
		fail(c, 500, "out of memory");
		goto out;
	}
	if (get && c->v == V1) {
		reply(c, 200, cfg, clen); /* the seed's GET form: the bare EdgeDevConfig */
		goto out;
	}
	unchanged = rq && rq->confighash && strcmp(rq->confighash, hash) == 0;
	out = malloc(clen + 96);
	if (!out) {
		fail(c, 500, "out of memory");
		goto out;
	}
	if (!unchanged) {
		out[o++] = 0x0a; /* field 1 config, length-delimited */
		o += put_varint(out + o, clen);
		memcpy(out + o, cfg, clen);
		o += clen;
	}
	out[o++] = 0x12; /* field 2 configHash */
	o += put_varint(out + o, strlen(hash));
	memcpy(out + o, hash, strlen(hash));
	o += strlen(hash);
	say(c, "device %s: config %s (hash %.12s)", c->dev.uuid, unchanged ? "unchanged" : "sent",
	    hash);
	reply(c, 200, out, o);
out:
	free(out);
	free(cfg);
	if (rq)
		org__lfedge__eve__config__config_request__free_unpacked(rq, NULL);
}

static void
op_record(struct call *c, enum store_kind kind)
{
	ProtobufCMessage *m;

	if (kind == STORE_INFO)
		m = (ProtobufCMessage *)org__lfedge__eve__info__zinfo_msg__unpack(NULL, c->plen,
										  c->payload);
	else
		m = (ProtobufCMessage *)org__lfedge__eve__metrics__zmetric_msg__unpack(NULL, c->plen,
										       c->payload);
	if (!m) {
		fail(c, 400, "body is not a %s (%zu bytes)",
		     kind == STORE_INFO ? "ZInfoMsg" : "ZMetricMsg", c->plen);
		return;
	}
	protobuf_c_message_free_unpacked(m, NULL);
	if (store_record_add(c->ctx->st, c->dev.uuid, kind, c->payload, c->plen) < 0) {
		fail(c, 500, "%s", c->ctx->st->err);
		return;
	}
	reply_empty(c, 200);
}

static void
op_logs(struct call *c, bool gz)
{
	char err[400];
	size_t n = 0;
	int rc;

	rc = gz ? api_logs_newlogs(c->ctx->st, c->dev.uuid, c->payload, c->plen, &n, err,
				   sizeof(err))
		: api_logs_bundle(c->ctx->st, c->dev.uuid, c->payload, c->plen, &n, err,
				  sizeof(err));
	if (rc < 0) {
		fail(c, rc == -EIO || rc == -ENOMEM ? 500 : 400, "%s", err);
		return;
	}
	say(c, "device %s: %zu log entries", c->dev.uuid, n);
	reply_empty(c, 200);
}

/* ---- routing ---- */

void
api_handle(struct api_ctx *ctx, const struct api_request *req, struct api_response *resp)
{
	struct call c = { .ctx = ctx, .req = req, .resp = resp };
	const char *p = req->path, *op;
	bool post = strcmp(req->method, "POST") == 0, get = strcmp(req->method, "GET") == 0;

	memset(resp, 0, sizeof(*resp));
	if (strncmp(p, "/api/v2/edgedevice/", 19) == 0) {
		c.v = V2;
		op = p + 19;
		if (strncmp(op, "id/", 3) == 0) {
			/* id/{uuid}/{op}: the uuid in the path must be the signer's */
			const char *slash = strchr(op + 3, '/');

			if (!slash || slash - (op + 3) != 36) {
				fail(&c, 404, "no such path");
				return;
			}
			op = slash + 1;
		}
	} else if (strncmp(p, "/api/v1/edgedevice/", 19) == 0 ||
		   strncmp(p, "/api/v1/edgeDevice/", 19) == 0) {
		c.v = V1;
		op = p + 19;
	} else {
		fail(&c, 404, "no such path");
		return;
	}
	c.op = op;
	if (req->len > API_MAX_BODY) {
		fail(&c, 413, "body of %zu bytes is over the %u limit", req->len, API_MAX_BODY);
		return;
	}
	if (strcmp(op, "ping") == 0) {
		if (get || post)
			reply_empty(&c, 200);
		else
			fail(&c, 405, "ping takes GET or POST");
		return;
	}
	if (strcmp(op, "certs") == 0) {
		uint8_t *fresh = NULL;
		size_t flen;

		c.v = V2; /* certs is always signed: it is what the device checks */
		if (!get) {
			fail(&c, 405, "certs takes GET");
			return;
		}
		if (ctx->certs_fn) {
			if (ctx->certs_fn(ctx->certs_arg, &fresh, &flen) < 0) {
				fail(&c, 500, "cannot make the certs reply");
				return;
			}
			reply(&c, 200, fresh, flen);
			free(fresh);
			return;
		}
		reply(&c, 200, ctx->certs_payload, ctx->certs_len);
		return;
	}
	if (strcmp(op, "register") == 0) {
		if (!post)
			fail(&c, 405, "register takes POST");
		else
			op_register(&c);
		goto out;
	}
	/* an unknown path is 404 whatever the method; a known one 405 */
	if (strcmp(op, "uuid") != 0 && strcmp(op, "config") != 0 && strcmp(op, "info") != 0 &&
	    strcmp(op, "metrics") != 0 && strcmp(op, "logs") != 0 && strcmp(op, "newlogs") != 0) {
		fail(&c, 404, "no such path");
		return;
	}
	if (!(post || (get && c.v == V1 && strcmp(op, "config") == 0))) {
		fail(&c, 405, "%s takes POST%s", op,
		     c.v == V1 && strcmp(op, "config") == 0 ? " or GET" : "");
		return;
	}
	if (get) {
		c.payload = req->body;
		c.plen = 0;
	}
	if (!authenticate(&c))
		goto out;
	if (c.v == V2 && strncmp(p + 19, "id/", 3) == 0 && strncmp(p + 22, c.dev.uuid, 36) != 0) {
		fail(&c, 403, "path names device %.36s, the signature is by %s", p + 22, c.dev.uuid);
		goto out;
	}
	if (strcmp(op, "uuid") == 0)
		op_uuid(&c);
	else if (strcmp(op, "config") == 0)
		op_config(&c);
	else if (strcmp(op, "info") == 0)
		op_record(&c, STORE_INFO);
	else if (strcmp(op, "metrics") == 0)
		op_record(&c, STORE_METRICS);
	else
		op_logs(&c, strcmp(op, "newlogs") == 0);
out:
	free(c.owned);
	if (c.have_dev)
		store_device_free(&c.dev);
}

void
api_response_free(struct api_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}
