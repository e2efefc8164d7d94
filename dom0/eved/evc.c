/*
 * evc: the network-facing role that talks to the controller (DESIGN.md §3,
 * §5): TLS, HTTP, protobuf decode.  It holds no key: signatures come from
 * the identity role through ipc_signers, and the device's public identity
 * arrives as IPC_IDENTITY.
 *
 * Phases, one request per event-loop turn (so PINGs are answered between):
 *   WAIT_ID   until IPC_IDENTITY
 *   CERTS     GET certs; check the chain to /config/root-certificate.pem
 *   REGISTER  POST register, signed with the onboarding key (skipped for a
 *             pre-registered device, which has no /config/onboard.cert.pem)
 *   UUID      POST uuid -> the device's UUID (kept on /persist)
 *   RUN       config poll with the last hash (applied only when it changed,
 *             kept atomically on /persist and used at start when the
 *             controller is unreachable); info when changed, retried until
 *             acknowledged; metrics every interval (may be lost); logs batched
 *             from the supervisor's log stream into gzip newlogs batches,
 *             spooled on /persist, sent oldest first.
 * Failures back off exponentially with jitter, capped at the interval.
 * Every reply is checked (AuthContainer signed by the controller's signing
 * certificate) before anything in it is used.
 *
 * State on /persist: status/uuid, checkpoint/lastconfig (statefiles),
 * newlog/ (spool).
 */
#include "eved.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "backoff.h"
#include "base64.h"
#include "cfgdiff.h"
#include "ctrlcerts.h"
#include "devconf.h"
#include "evc_apps.h"
#include "evloop.h"
#include "link.h"
#include "pem.h"
#include "report.h"
#include "spool.h"
#include "statefile.h"
#include "x509_read.h"

#include "config/devconfig.pb-c.h"
#include "eveuuid/eveuuid.pb-c.h"
#include "register/register.pb-c.h"

#define EVC_TIMEOUT_MS 10000       /* each request, all told */
#define EVC_LOG_BATCH 256          /* entries per newlogs batch */
#define EVC_SPOOL_BYTES (8u << 20)
#define EVC_SPOOL_FILES 512

enum phase { P_WAIT_ID, P_CERTS, P_REGISTER, P_UUID, P_RUN };
static const char *const phase_names[] = { "waiting for identity", "certs", "register", "uuid",
					   "run" };

struct evc {
	struct role_ctx *ctx;
	enum phase phase;
	struct ipc_identity id;
	bool have_id;
	uint8_t dev_hash[32];
	struct ipc_signer device_signer, onboard_signer;
	struct devconf conf;
	bool conf_ok;
	struct link *link;
	struct ctrlcerts certs;
	char uuid[37];
	struct evloop_timer step;
	struct backoff bo;
	unsigned interval_ms;          /* default for config and metrics */
	unsigned config_ms, metrics_ms;
	uint64_t next_config, next_metrics, next_logs;
	bool info_dirty;
	int last_task;                 /* enum task, for the round-robin */
	char config_hash[128];
	Org__Lfedge__Eve__Config__EdgeDevConfig *cfg;  /* the config in force */
	char items[REPORT_ITEMS_MAX][2][128];
	size_t n_items;
	struct log_entry batch[EVC_LOG_BATCH];
	size_t n_batch;
	struct spool spool;
	bool spool_ok;
	uint64_t log_bytes_sent;
	uint32_t log_4xx;
	bool log_failed;
	char persist_status[600], persist_checkpoint[600];
	struct tls_chain onboard_chain, device_chain;  /* v1: TLS client certificates */
	bool v1_ready;
	struct evc_apps apps;          /* plans sent, object infos to deliver */
	bool console_want;             /* debug.enable.console of the config in force */
	int console_sent;              /* the last IPC_CONSOLE_ENABLE sent; -1 none */
	struct ipc_console_state console;  /* what the console role last said */
};

static void step_soon(struct evc *e, uint64_t ms);

/* ---- persisted state ---- */

/* EVE's booleans (Go's strconv.ParseBool): 1 t T TRUE true True and the
 * false ones; anything else -EINVAL. */
static int
parse_bool(const char *v, bool *out)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < 6; i++) {
		if (strcmp(v, t[i]) == 0)
			return *out = true, 0;
		if (strcmp(v, f[i]) == 0)
			return *out = false, 0;
	}
	return -EINVAL;
}

/* The debug console follows debug.enable.console (off when absent). */
static void
console_update(struct evc *e)
{
	struct ipc_console_enable en = { .on = e->console_want };

	if (e->console_sent == (int)en.on)
		return;
	if (role_send(e->ctx, IPC_CONSOLE_ENABLE, &en, sizeof(en)) == 0)
		e->console_sent = (int)en.on;
}

static void
config_items_apply(struct evc *e, const Org__Lfedge__Eve__Config__EdgeDevConfig *c)
{
	e->config_ms = e->metrics_ms = e->interval_ms;
	e->n_items = 0;
	e->console_want = false;
	for (size_t i = 0; i < c->n_configitems; i++) {
		const char *k = c->configitems[i]->key, *v = c->configitems[i]->value;
		char *end;
		unsigned long s = strtoul(v, &end, 10);
		bool num = *v && !*end && s >= 1 && s <= 86400;

		if (strcmp(k, "debug.enable.console") == 0) {
			if (parse_bool(v, &e->console_want) < 0)
				log_warn("config item debug.enable.console: '%.64s' is not a "
					 "boolean; the debug console stays off", v);
			continue; /* reported as the console's actual state */
		}
		if (strcmp(k, "timer.config.interval") == 0 && num)
			e->config_ms = (unsigned)s * 1000;
		else if (strcmp(k, "timer.metric.interval") == 0 && num)
			e->metrics_ms = (unsigned)s * 1000;
		else
			continue;
		if (e->n_items < REPORT_ITEMS_MAX) {
			snprintf(e->items[e->n_items][0], 128, "%s", k);
			snprintf(e->items[e->n_items][1], 128, "%s", v);
			e->n_items++;
		}
	}
}

/* Applies config bytes (already checked to come from the controller, or
 * from our own last-good copy): what this device does with them is
 * to take its timers and report the hash; apps and networks come later. */
static int
config_apply(struct evc *e, const uint8_t *pb, size_t len, const char *hash, const char *from)
{
	Org__Lfedge__Eve__Config__EdgeDevConfig *c =
		org__lfedge__eve__config__edge_dev_config__unpack(NULL, len, pb);
	struct cfgdiff d;

	if (!c) {
		log_err("config from %s: %zu bytes that are not an EdgeDevConfig; kept the last "
			"good one (%s)", from, len, e->config_hash[0] ? e->config_hash : "none");
		return -EBADMSG;
	}
	config_items_apply(e, c);
	console_update(e);
	if (cfgdiff_compute(e->cfg, c, &d) == 0)
		log_notice("config applied from %s: hash %.16s; apps +%u -%u ~%u, network instances "
			   "+%u -%u ~%u, volumes +%u -%u ~%u, config items +%u -%u ~%u", from, hash,
			   d.apps.added, d.apps.removed, d.apps.changed, d.networks.added,
			   d.networks.removed, d.networks.changed, d.volumes.added, d.volumes.removed,
			   d.volumes.changed, d.items.added, d.items.removed, d.items.changed);
	if (e->cfg)
		org__lfedge__eve__config__edge_dev_config__free_unpacked(e->cfg, NULL);
	e->cfg = c;
	snprintf(e->config_hash, sizeof(e->config_hash), "%s", hash);
	e->info_dirty = true;
	evc_apps_send_plan(&e->apps, e->ctx, c, hash);
	return 0;
}

/* checkpoint/lastconfig: "<hash>\n" then the EdgeDevConfig bytes. */
static void
config_save(struct evc *e, const uint8_t *pb, size_t len, const char *hash)
{
	struct statefile_info info;
	size_t hl = strlen(hash);
	uint8_t *buf = malloc(hl + 1 + len);
	int rc;

	if (!buf)
		return;
	memcpy(buf, hash, hl);
	buf[hl] = '\n';
	memcpy(buf + hl + 1, pb, len);
	rc = statefile_write(e->persist_checkpoint, "lastconfig", buf, hl + 1 + len, &info);
	if (rc < 0)
		log_err("saving the config: %s", info.fault[0] ? info.fault : strerror(-rc));
	free(buf);
}

static void
config_load(struct evc *e)
{
	struct statefile_info info;
	uint8_t *buf = NULL, *nl;
	size_t len;
	int rc;

	rc = statefile_read(e->persist_checkpoint, "lastconfig", 0, (void **)&buf, &len, &info);
	if (info.fault[0] && rc != -ENOENT)
		log_warn("%s", info.fault);
	if (rc < 0) {
		if (rc != -ENOENT)
			log_err("no usable last config on /persist");
		return;
	}
	nl = memchr(buf, '\n', len);
	if (!nl || nl - buf >= (long)sizeof(e->config_hash)) {
		log_err("last config on /persist is malformed; ignored");
	} else {
		*nl = '\0';
		config_apply(e, nl + 1, len - (size_t)(nl + 1 - buf), (char *)buf,
			     "/persist (last good)");
	}
	free(buf);
}

static void
uuid_load(struct evc *e)
{
	struct statefile_info info;
	char *buf = NULL;
	size_t len;

	if (statefile_read(e->persist_status, "uuid", 64, (void **)&buf, &len, &info) == 0 &&
	    len == 36)
		memcpy(e->uuid, buf, 37);
	free(buf);
}

/* ---- requests ---- */

/* The path of an operation: v2 device operations name the device. */
static const char *
api_path(struct evc *e, const char *op, char *buf, size_t cap)
{
	if (e->conf.api_v1)
		snprintf(buf, cap, "/api/v1/edgedevice/%s", op);
	else if (strcmp(op, "register") == 0 || strcmp(op, "uuid") == 0 || strcmp(op, "certs") == 0)
		snprintf(buf, cap, "/api/v2/edgedevice/%s", op);
	else
		snprintf(buf, cap, "/api/v2/edgedevice/id/%s/%s", e->uuid, op);
	return buf;
}

/* POST a signed payload, check the signed reply.  0 with *status and the
 * reply's inner payload (NULL when the reply has no body); -errno when the
 * request failed or the reply is not the controller's. */
static int
call(struct evc *e, const char *path, struct ipc_signer *signer, const uint8_t hash[32],
     const uint8_t *sender_cert, size_t sc_len, const uint8_t *payload, size_t plen, int *status,
     uint8_t **reply, size_t *rlen)
{
	char err[LINK_ERR_MAX > AUTH_ERR_MAX ? LINK_ERR_MAX : AUTH_ERR_MAX];
	uint8_t *body = NULL, *resp = NULL;
	size_t blen, resp_len;
	int rc;

	*reply = NULL;
	*rlen = 0;
	if (e->conf.api_v1) {
		/* v1: bare protobuf; who we are is the TLS client certificate */
		link_set_client(e->link, signer == &e->onboard_signer ? &e->onboard_chain
								       : &e->device_chain, &signer->s);
		rc = link_request(e->link, "POST", path, payload, plen, status, &resp, &resp_len,
				  err);
		if (rc < 0) {
			log_warn("%s", err);
			return rc;
		}
		if (*status >= 300)
			log_warn("%s: controller answered %d", path, *status);
		*reply = resp;
		*rlen = resp_len;
		return 0;
	}
	(void)sc_len;
	rc = auth_seal(payload, plen, &signer->s, hash, sender_cert, sc_len, &body, &blen, err);
	if (rc < 0) {
		log_err("%s: %s", path, err);
		return rc;
	}
	rc = link_request(e->link, "POST", path, body, blen, status, &resp, &resp_len, err);
	free(body);
	if (rc < 0) {
		log_warn("%s", err);
		return rc;
	}
	if (*status >= 200 && *status < 300 && resp_len) {
		rc = auth_open(resp, resp_len, e->certs.keys, e->certs.nkeys, reply, rlen, NULL, err);
		if (rc < 0) {
			log_err("%s: reply refused: %s", path, err);
			*status = 0;
		}
	} else if (*status >= 300) {
		log_warn("%s: controller answered %d%s%.*s", path, *status, resp_len ? ": " : "",
			 (int)(resp_len > 200 ? 200 : resp_len), resp ? (const char *)resp : "");
	}
	free(resp);
	return rc;
}

static bool
do_certs(struct evc *e)
{
	char err[LINK_ERR_MAX > CTRLCERTS_ERR_MAX ? LINK_ERR_MAX : CTRLCERTS_ERR_MAX];
	uint8_t *resp = NULL;
	size_t len;
	int status, rc;

	rc = link_request(e->link, "GET", "/api/v2/edgedevice/certs", NULL, 0, &status, &resp,
			  &len, err);
	if (rc < 0) {
		log_warn("%s", err);
		return false;
	}
	if (status != 200) {
		log_warn("certs: controller answered %d", status);
		free(resp);
		return false;
	}
	rc = ctrlcerts_verify(resp, len, e->conf.anchors, e->conf.anchors_len, e->conf.n_anchors,
			      time(NULL), e->conf.require_cert_status, &e->certs, err);
	free(resp);
	if (rc < 0) {
		log_err("%s", err);
		return false;
	}
	log_info("controller signing certificate '%s' checked against the root", e->certs.signer_cn);
	return true;
}

static bool
do_register(struct evc *e)
{
	Org__Lfedge__Eve__Register__ZRegisterMsg m = ORG__LFEDGE__EVE__REGISTER__ZREGISTER_MSG__INIT;
	static char dev_pem[IPC_IDENTITY_CERT_MAX * 2], dev_b64[IPC_IDENTITY_CERT_MAX * 3],
		ob_b64[IPC_IDENTITY_CERT_MAX * 3];
	uint8_t ob_der[X509_DER_MAX], ob_hash[32], *payload, *reply;
	size_t pem_len, ob_len, plen, rlen;
	char err[256], path[128];
	long b1, b2;
	int status = 0, rc;

	if (pem_encode("CERTIFICATE", e->id.cert, e->id.cert_len, dev_pem, sizeof(dev_pem),
		       &pem_len) < 0 ||
	    (b1 = base64_encode((const uint8_t *)dev_pem, pem_len, dev_b64, sizeof(dev_b64))) < 0 ||
	    pem_decode_first(e->conf.onboard_pem, e->conf.onboard_pem_len, "CERTIFICATE", ob_der,
			     sizeof(ob_der), &ob_len, err, sizeof(err)) < 0 ||
	    (b2 = base64_encode((const uint8_t *)e->conf.onboard_pem, e->conf.onboard_pem_len,
				ob_b64, sizeof(ob_b64))) < 0) {
		log_err("register: onboarding certificate: %s", err);
		return false;
	}
	x509_der_sha256(ob_der, ob_len, ob_hash);
	if (e->conf.api_v1) { /* v1: the PEM itself */
		m.pemcert.data = (uint8_t *)dev_pem;
		m.pemcert.len = pem_len;
	} else {
		m.pemcert.data = (uint8_t *)dev_b64;
		m.pemcert.len = (size_t)b1;
	}
	m.serial = e->conf.serial;
	m.softserial = e->conf.soft_serial;
	plen = org__lfedge__eve__register__zregister_msg__get_packed_size(&m);
	payload = malloc(plen);
	if (!payload)
		return false;
	org__lfedge__eve__register__zregister_msg__pack(&m, payload);
	rc = call(e, api_path(e, "register", path, sizeof(path)), &e->onboard_signer, ob_hash,
		  (const uint8_t *)ob_b64, (size_t)b2, payload, plen, &status, &reply, &rlen);
	free(payload);
	free(reply);
	if (rc < 0)
		return false;
	if (status == 201 || status == 200) {
		log_notice("registered with serial '%s' (%s)", e->conf.serial,
			   status == 201 ? "new" : "known already");
		return true;
	}
	if (status == 403)
		log_err("register: refused (403): this serial is not allowed for the onboarding "
			"certificate");
	else if (status == 409)
		log_err("register: conflict (409): the serial is claimed elsewhere or registered "
			"with another device certificate");
	return false;
}

static bool
do_uuid(struct evc *e)
{
	Org__Lfedge__Eve__Uuid__UuidRequest rq = ORG__LFEDGE__EVE__UUID__UUID_REQUEST__INIT;
	Org__Lfedge__Eve__Uuid__UuidResponse *r;
	struct statefile_info info;
	uint8_t buf[16], *reply;
	size_t n, rlen;
	char path[128];
	int status = 0;

	n = org__lfedge__eve__uuid__uuid_request__pack(&rq, buf);
	if (call(e, api_path(e, "uuid", path, sizeof(path)), &e->device_signer, e->dev_hash, NULL, 0, buf, n,
		 &status, &reply, &rlen) < 0)
		return false;
	if (status == 403)
		log_err("uuid: this device is not known to the controller (403): register it, or "
			"pre-register its certificate with 'evc device add'");
	if (status != 200 || !reply) {
		free(reply);
		return false;
	}
	r = org__lfedge__eve__uuid__uuid_response__unpack(NULL, rlen, reply);
	free(reply);
	if (!r || strlen(r->uuid) != 36) {
		log_err("uuid: reply is not a UuidResponse with a uuid");
		if (r)
			org__lfedge__eve__uuid__uuid_response__free_unpacked(r, NULL);
		return false;
	}
	if (strcmp(e->uuid, r->uuid) != 0) {
		memcpy(e->uuid, r->uuid, 37);
		if (statefile_write(e->persist_status, "uuid", e->uuid, 36, &info) < 0)
			log_err("saving the uuid: %s", info.fault);
	}
	org__lfedge__eve__uuid__uuid_response__free_unpacked(r, NULL);
	log_notice("device uuid %s", e->uuid);
	return true;
}

/* Splits a ConfigResponse into the raw config bytes and the hash. */
static int
config_response_split(const uint8_t *p, size_t len, const uint8_t **cfg, size_t *clen,
		      const uint8_t **hash, size_t *hlen)
{
	size_t o = 0;

	*cfg = *hash = NULL;
	*clen = *hlen = 0;
	while (o < len) {
		uint64_t tag = 0, l = 0;
		int shift = 0;

		do {
			if (o >= len || shift > 63)
				return -EBADMSG;
			tag |= (uint64_t)(p[o] & 0x7f) << shift;
			shift += 7;
		} while (p[o++] & 0x80);
		if ((tag & 7) != 2)
			return -EBADMSG;
		shift = 0;
		do {
			if (o >= len || shift > 63)
				return -EBADMSG;
			l |= (uint64_t)(p[o] & 0x7f) << shift;
			shift += 7;
		} while (p[o++] & 0x80);
		if (l > len - o)
			return -EBADMSG;
		if (tag >> 3 == 1) {
			*cfg = p + o;
			*clen = (size_t)l;
		} else if (tag >> 3 == 2) {
			*hash = p + o;
			*hlen = (size_t)l;
		}
		o += (size_t)l;
	}
	return 0;
}

static bool
do_config(struct evc *e)
{
	Org__Lfedge__Eve__Config__ConfigRequest rq = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
	uint8_t buf[256], *reply = NULL;
	const uint8_t *cfg, *hash;
	size_t n, rlen, clen, hlen;
	char path[128], h[128];
	int status = 0;
	bool ok = false;

	rq.confighash = e->config_hash;
	n = org__lfedge__eve__config__config_request__pack(&rq, buf);
	api_path(e, "config", path, sizeof(path));
	if (call(e, path, &e->device_signer, e->dev_hash, NULL, 0, buf, n, &status, &reply,
		 &rlen) < 0 || status != 200 || !reply)
		goto out;
	if (config_response_split(reply, rlen, &cfg, &clen, &hash, &hlen) < 0 ||
	    hlen >= sizeof(h)) {
		log_err("config: reply is not a ConfigResponse; kept config %.16s", e->config_hash);
		goto out;
	}
	memcpy(h, hash, hlen);
	h[hlen] = '\0';
	if (!cfg) {
		log_debug("config unchanged (hash %.16s)", h);
		ok = true;
		goto out;
	}
	if (strcmp(h, e->config_hash) == 0) {
		ok = true; /* the same config sent again: not re-applied */
		goto out;
	}
	if (config_apply(e, cfg, clen, h, "the controller") == 0) {
		config_save(e, cfg, clen, h);
		ok = true;
		/* v1 has no uuid request: the config names the device */
		if (e->conf.api_v1 && e->cfg->id && strlen(e->cfg->id->uuid) == 36 &&
		    strcmp(e->uuid, e->cfg->id->uuid) != 0) {
			struct statefile_info info;

			memcpy(e->uuid, e->cfg->id->uuid, 37);
			statefile_write(e->persist_status, "uuid", e->uuid, 36, &info);
			log_notice("device uuid %s (from the config)", e->uuid);
		}
	}
out:
	free(reply);
	return ok;
}

static void
host_facts(struct report_device *d, struct utsname *u, char *host, size_t hcap)
{
	struct sysinfo si;

	if (uname(u) == 0)
		d->arch = u->machine;
	if (gethostname(host, hcap) == 0)
		d->hostname = host;
	d->ncpu = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	if (sysinfo(&si) == 0) {
		d->memory_mib = (uint64_t)si.totalram * si.mem_unit >> 20;
		d->boot_time = time(NULL) - si.uptime;
	}
}

/* One app, volume or content tree info (the device's own goes first). */
static bool
do_object_info(struct evc *e)
{
	struct evc_apps_token tok;
	uint8_t *body = NULL, *reply = NULL;
	size_t len, rlen;
	char path[128];
	int status = 0, rc;

	rc = evc_apps_next_info(&e->apps, e->uuid, &body, &len, &tok);
	if (rc <= 0)
		return rc == 0;
	api_path(e, "info", path, sizeof(path));
	call(e, path, &e->device_signer, e->dev_hash, NULL, 0, body, len, &status, &reply, &rlen);
	free(body);
	free(reply);
	if (status != 200)
		return false;
	evc_apps_acked(&e->apps, &tok);
	log_debug("info sent: %s %s%s", tok.ztype == 3 ? "app" : tok.ztype == 7 ? "volume" : "content tree",
		  tok.uuid, tok.gone ? " (deleted)" : "");
	return true;
}

static bool
do_info(struct evc *e)
{
	struct report_device d = { .uuid = e->uuid, .config_hash = e->config_hash,
				   .key_in_tpm = e->id.in_tpm, .arch = "", .hostname = "" };
	struct utsname u;
	char host[256], path[128];
	uint8_t *body, *reply;
	size_t len, rlen;
	int status = 0;

	if (!e->info_dirty)
		return do_object_info(e);
	d.key_info = e->id.in_tpm ? "TPM 2.0: device key at persistent handle 0x817FFFFF"
				  : "no TPM: soft device key on /persist";
	host_facts(&d, &u, host, sizeof(host));
	d.now = time(NULL);
	for (size_t i = 0; i < e->n_items; i++) {
		d.items[i][0] = e->items[i][0];
		d.items[i][1] = e->items[i][1];
	}
	d.n_items = e->n_items;
	if (d.n_items < REPORT_ITEMS_MAX) {
		d.items[d.n_items][0] = "debug.enable.console";
		d.items[d.n_items][1] = e->console.on ? "true" : "false";
		d.n_items++;
	}
	if (report_device_info(&d, &body, &len) < 0)
		return false;
	api_path(e, "info", path, sizeof(path));
	call(e, path, &e->device_signer, e->dev_hash, NULL, 0, body, len, &status, &reply, &rlen);
	free(body);
	free(reply);
	if (status != 200)
		return false;
	e->info_dirty = false;
	log_info("info sent (config %.16s)", e->config_hash[0] ? e->config_hash : "none");
	return true;
}

static bool
do_metrics(struct evc *e)
{
	struct report_metrics m = { .uuid = e->uuid, .now = time(NULL),
				    .log_bytes_sent = e->log_bytes_sent, .log_4xx = e->log_4xx,
				    .log_failed = e->log_failed, .apps = e->apps.metrics.m,
				    .n_apps = e->apps.metrics.n };
	struct sysinfo si;
	uint8_t *body, *reply;
	size_t len, rlen;
	char path[128];
	int status = 0;

	if (sysinfo(&si) == 0) {
		m.mem_avail_mib = (uint32_t)(((uint64_t)si.freeram * si.mem_unit) >> 20);
		m.mem_used_mib = (uint32_t)(((uint64_t)(si.totalram - si.freeram) * si.mem_unit) >> 20);
	}
	if (report_metrics(&m, &body, &len) < 0)
		return false;
	api_path(e, "metrics", path, sizeof(path));
	call(e, path, &e->device_signer, e->dev_hash, NULL, 0, body, len, &status, &reply, &rlen);
	free(body);
	free(reply);
	return status == 200; /* metrics may be lost: no retry */
}

/* The in-memory batch into a spooled gzip file. */
static void
logs_flush(struct evc *e)
{
	char err[SPOOL_ERR_MAX];
	uint8_t *gz;
	size_t len;

	if (!e->n_batch || !e->spool_ok)
		return;
	if (e->conf.api_v1 ? report_logbundle(e->batch, e->n_batch, e->uuid, "edgevisor", "0.1",
					      &gz, &len) < 0
			   : report_newlogs(e->batch, e->n_batch, e->uuid[0] ? e->uuid : "unknown",
					    "edgevisor", "0.1", &gz, &len, err, sizeof(err)) < 0) {
		log_sink_stderr(&(struct log_entry){ .level = LOG_LEVEL_ERR,
						     .text = "newlogs batch lost" }, NULL);
		e->n_batch = 0;
		return;
	}
	if (spool_put(&e->spool, gz, len, err) < 0)
		log_sink_stderr(&(struct log_entry){ .level = LOG_LEVEL_ERR,
						     .text = "newlogs: cannot spool a batch" }, NULL);
	free(gz);
	e->n_batch = 0;
}

/* Sends the oldest spooled batch: true when there was none or it went. */
static bool
do_logs(struct evc *e)
{
	char err[SPOOL_ERR_MAX], path[128];
	uint8_t *gz, *reply;
	size_t len, rlen;
	uint64_t seq;
	int status = 0, rc;

	rc = spool_oldest(&e->spool, &seq, &gz, &len, err);
	if (rc == -ENOENT)
		return true;
	if (rc < 0)
		return false;
	api_path(e, e->conf.api_v1 ? "logs" : "newlogs", path, sizeof(path));
	call(e, path, &e->device_signer, e->dev_hash, NULL, 0, gz, len, &status, &reply, &rlen);
	free(reply);
	if (status == 200) {
		spool_remove(&e->spool, seq);
		e->log_bytes_sent += len;
		e->log_failed = false;
	} else {
		e->log_failed = true;
		if (status >= 400 && status < 500) {
			e->log_4xx++;
			/* refused as malformed: resending it would never succeed */
			if (status == 400) {
				log_err("newlogs batch %llu refused as malformed; dropped",
					(unsigned long long)seq);
				spool_remove(&e->spool, seq);
			}
		}
	}
	free(gz);
	return status == 200;
}

/* ---- the step ---- */

static uint32_t
jitter(void)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)evloop_now_ms();
	return r;
}

static void
fail_later(struct evc *e)
{
	uint32_t d = backoff_next(&e->bo, jitter());

	link_close(e->link);
	log_debug("%s: retry in %u ms", phase_names[e->phase], d);
	step_soon(e, d);
}

static void
ok_next(struct evc *e, enum phase next)
{
	backoff_reset(&e->bo);
	if (next != e->phase)
		log_debug("evc: %s -> %s", phase_names[e->phase], phase_names[next]);
	e->phase = next;
	step_soon(e, 1);
}

/* The tasks of RUN, served round-robin among those due, so that none of
 * them starves the others on a slow link (each is one request). */
enum task { T_CONFIG, T_INFO, T_METRICS, T_LOGS, T_COUNT };

static bool
task_due(struct evc *e, enum task t, uint64_t now)
{
	unsigned files = 0;
	size_t bytes;

	switch (t) {
	case T_CONFIG: return now >= e->next_config;
	case T_INFO: return e->uuid[0] && (e->info_dirty || evc_apps_pending(&e->apps));
	case T_METRICS: return e->uuid[0] && now >= e->next_metrics;
	default:
		return e->uuid[0] && e->spool_ok && spool_stat(&e->spool, &files, &bytes) == 0 &&
		       files;
	}
}

static void
run_step(struct evc *e)
{
	uint64_t now = evloop_now_ms(), next;
	int t = -1;
	bool ok = true;

	if (e->n_batch && now >= e->next_logs) {
		logs_flush(e);
		e->next_logs = now + (e->interval_ms < 5000 ? e->interval_ms : 5000);
	}
	for (int i = 1; i <= T_COUNT; i++) {
		int c = (e->last_task + i) % T_COUNT;

		if (task_due(e, (enum task)c, now)) {
			t = c;
			break;
		}
	}
	switch (t) {
	case T_CONFIG:
		ok = do_config(e);
		if (ok)
			e->next_config = now + e->config_ms;
		break;
	case T_INFO:
		ok = do_info(e);
		break;
	case T_METRICS:
		do_metrics(e); /* may be lost: no retry */
		e->next_metrics = now + e->metrics_ms;
		break;
	case T_LOGS:
		ok = do_logs(e);
		break;
	}
	if (t >= 0)
		e->last_task = t;
	if (!ok)
		return fail_later(e);
	backoff_reset(&e->bo);
	now = evloop_now_ms();
	for (int c = 0; c < T_COUNT; c++)
		if (c != T_CONFIG && c != T_METRICS && task_due(e, (enum task)c, now)) {
			step_soon(e, 1);
			return;
		}
	next = e->next_config < e->next_metrics ? e->next_config : e->next_metrics;
	if (e->n_batch && e->next_logs < next)
		next = e->next_logs;
	step_soon(e, next > now ? next - now : 1);
}

static void
on_step(struct evloop *l, void *arg)
{
	struct evc *e = arg;

	(void)l;
	switch (e->phase) {
	case P_WAIT_ID:
		return;
	case P_CERTS:
		if (!do_certs(e))
			return fail_later(e);
		return ok_next(e, e->conf.onboard_pem ? P_REGISTER : P_UUID);
	case P_REGISTER:
		if (!do_register(e))
			return fail_later(e);
		if (e->conf.api_v1) { /* no uuid request in v1: config comes next */
			e->next_config = e->next_metrics = evloop_now_ms();
			return ok_next(e, P_RUN);
		}
		return ok_next(e, P_UUID);
	case P_UUID:
		if (!do_uuid(e))
			return fail_later(e);
		e->info_dirty = true;
		e->next_config = e->next_metrics = evloop_now_ms();
		return ok_next(e, P_RUN);
	case P_RUN:
		return run_step(e);
	}
}

static void
step_soon(struct evc *e, uint64_t ms)
{
	evloop_timer_arm(&e->step, ms ? ms : 1, 0);
}

/* ---- the role ---- */

int
evc_init(struct role_ctx *ctx)
{
	const struct eved_opts *o = ctx->o;
	char err[DEVCONF_ERR_MAX > LINK_ERR_MAX ? DEVCONF_ERR_MAX : LINK_ERR_MAX], path[600];
	struct evc *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	ctx->state = e;
	e->ctx = ctx;
	e->console_sent = -1;
	if ((rc = evc_apps_init(&e->apps)) < 0)
		return rc;
	e->interval_ms = o->evc_interval_ms ? o->evc_interval_ms : 60000;
	e->config_ms = e->metrics_ms = e->interval_ms;
	backoff_init(&e->bo, 500, e->interval_ms);
	snprintf(e->persist_status, sizeof(e->persist_status), "%s/status", o->persist_dir);
	snprintf(e->persist_checkpoint, sizeof(e->persist_checkpoint), "%s/checkpoint",
		 o->persist_dir);
	mkdir(e->persist_status, 0700);
	mkdir(e->persist_checkpoint, 0700);
	snprintf(path, sizeof(path), "%s/newlog", o->persist_dir);
	e->spool_ok = spool_open(&e->spool, path, EVC_SPOOL_BYTES, EVC_SPOOL_FILES, err) == 0;
	if (!e->spool_ok)
		log_err("%s; logs will not survive an outage", err);
	if ((rc = evloop_timer_add(ctx->loop, &e->step, on_step, e)) < 0)
		return rc;
	uuid_load(e);
	config_load(e);
	rc = devconf_load(&e->conf, o->config_dir, err);
	if (rc < 0) {
		/* without /config there is no controller to talk to: say so, stay up */
		log_err("controller settings: %s; not connecting", err);
		return 0;
	}
	e->conf_ok = true;
	e->link = calloc(1, sizeof(*e->link));
	if (!e->link)
		return -ENOMEM;
	if ((rc = link_init(e->link, &e->conf, EVC_TIMEOUT_MS, err)) < 0) {
		log_err("%s; not connecting", err);
		e->conf_ok = false;
		return 0;
	}
	log_info("controller %s:%u%s%s, %s", e->conf.host, e->conf.port,
		 e->conf.proxy[0] ? " through proxy " : "", e->conf.proxy,
		 e->conf.onboard_pem ? "onboarding certificate present" :
				       "no onboarding certificate (pre-registered device)");
	return 0;
}

static int
evc_take_identity(struct role_ctx *ctx, const struct ipc_msg *m)
{
	struct evc *e = ctx->state;

	memset(&e->id, 0, sizeof(e->id));
	memcpy(&e->id, m->data, m->len);
	if (e->id.cert_len != m->len - IPC_IDENTITY_FIXED) {
		log_err("IDENTITY: %u certificate bytes announced, %zu carried", e->id.cert_len,
			(size_t)(m->len - IPC_IDENTITY_FIXED));
		return -EBADMSG;
	}
	e->have_id = true;
	x509_der_sha256(e->id.cert, e->id.cert_len, e->dev_hash);
	ipc_signer_init(&e->device_signer, ctx, IPC_KEY_DEVICE, e->id.pub, EVC_TIMEOUT_MS);
	e->device_signer.s.in_tpm = e->id.in_tpm;
	ipc_signer_init(&e->onboard_signer, ctx, IPC_KEY_ONBOARD, NULL, EVC_TIMEOUT_MS);
	if (e->conf_ok && e->conf.onboard_pem) {
		/* the onboarding key signs the v1 handshake of register: its
		 * signer must know its public key */
		uint8_t ob[X509_DER_MAX];
		struct x509_cert xc;
		char perr[256];
		size_t obl;

		if (pem_decode_first(e->conf.onboard_pem, e->conf.onboard_pem_len, "CERTIFICATE", ob,
				     sizeof(ob), &obl, perr, sizeof(perr)) == 0 &&
		    x509_cert_parse(ob, obl, &xc, perr, sizeof(perr)) == 0)
			memcpy(e->onboard_signer.s.pub, xc.pub, 65);
	}
	log_info("device identity: certificate of %u bytes, key %s", e->id.cert_len,
		 e->id.in_tpm ? "in the TPM" : "soft");
	if (e->conf_ok && e->conf.api_v1 && !e->v1_ready) {
		static char pem[IPC_IDENTITY_CERT_MAX * 2];
		char terr[TLS_ERR_MAX] = "cannot encode the device certificate";
		size_t pl;

		if (pem_encode("CERTIFICATE", e->id.cert, e->id.cert_len, pem, sizeof(pem), &pl) < 0 ||
		    tls_chain_parse(&e->device_chain, pem, pl, "device certificate", terr) < 0 ||
		    (e->conf.onboard_pem &&
		     tls_chain_parse(&e->onboard_chain, e->conf.onboard_pem, e->conf.onboard_pem_len,
				     "onboard.cert.pem", terr) < 0)) {
			log_err("v1 client certificates: %s; not connecting", terr);
			e->conf_ok = false;
		} else {
			e->v1_ready = true;
		}
	}
	if (e->conf_ok && e->phase == P_WAIT_ID) {
		/* v1 has no signed replies, so no certs to fetch */
		e->phase = e->conf.api_v1 ? (e->conf.onboard_pem ? P_REGISTER : P_RUN) : P_CERTS;
		if (e->phase == P_RUN)
			e->next_config = e->next_metrics = evloop_now_ms();
		step_soon(e, 1);
	}
	return 0;
}

static int
evc_take_log(struct evc *e, const struct ipc_msg *m)
{
	if (e->n_batch == EVC_LOG_BATCH)
		logs_flush(e);
	memcpy(&e->batch[e->n_batch++], m->data, sizeof(struct log_entry));
	if (e->phase == P_RUN && e->next_logs == 0)
		e->next_logs = evloop_now_ms() + (e->interval_ms < 5000 ? e->interval_ms : 5000);
	return 0;
}

int
evc_on_msg(struct role_ctx *ctx, const struct ipc_msg *m)
{
	switch (m->type) {
	case IPC_IDENTITY:
		return evc_take_identity(ctx, m);
	case IPC_LOG:
		return evc_take_log(ctx->state, m);
	case IPC_APPS_STATUS: {
		struct evc *e = ctx->state;
		int rc = evc_apps_take_status(&e->apps, m);

		if (rc == 0 && e->phase == P_RUN && evc_apps_pending(&e->apps))
			step_soon(e, 1);
		return rc;
	}
	case IPC_APPS_METRICS:
		return evc_apps_take_metrics(&((struct evc *)ctx->state)->apps, m);
	case IPC_CONSOLE_STATE: {
		struct evc *e = ctx->state;

		memcpy(&e->console, m->data, sizeof(e->console));
		e->console.dev[sizeof(e->console.dev) - 1] = '\0';
		e->console.err[sizeof(e->console.err) - 1] = '\0';
		e->info_dirty = true;
		if (e->phase == P_RUN)
			step_soon(e, 1);
		return 0;
	}
	default:
		log_err("evc does not take message type %u", m->type);
		return -EBADMSG;
	}
}

void
evc_fini(struct role_ctx *ctx)
{
	struct evc *e = ctx->state;

	if (!e)
		return;
	logs_flush(e); /* what is in memory goes to /persist, not lost */
	if (e->link) {
		link_fini(e->link);
		free(e->link);
	}
	if (e->v1_ready) {
		tls_chain_free(&e->device_chain);
		if (e->conf.onboard_pem)
			tls_chain_free(&e->onboard_chain);
	}
	devconf_free(&e->conf);
	evc_apps_fini(&e->apps);
	if (e->cfg)
		org__lfedge__eve__config__edge_dev_config__free_unpacked(e->cfg, NULL);
	evloop_timer_del(&e->step);
	free(e);
	ctx->state = NULL;
}
