/*
 * Unit tests: controller/api — the EVE API as the controller answers it,
 * with real crypto.  A PKI made by pki_init (root, signing, onboarding), a
 * second enterprise's PKI, device keys and EVE-style self-signed device
 * certificates (idkey_soft_open + x509_device_cert_write); requests sealed
 * with auth_seal exactly as a device seals them; every v2 reply with a body
 * is checked the way a device checks it: the certs reply against the root
 * (ctrlcerts_verify), then each reply with the key that gives (auth_open).
 * Each test gets a fresh store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <bearssl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "api.h"
#include "api_logs.h"
#include "atomicfile.h"
#include "auth.h"
#include "base64.h"
#include "ctrl_certs.h"
#include "ctrlcerts.h"
#include "idkey.h"
#include "pem.h"
#include "pki.h"
#include "store.h"
#include "x509_read.h"
#include "x509_write.h"

#include "auth/auth.pb-c.h"
#include "config/devconfig.pb-c.h"
#include "eveuuid/eveuuid.pb-c.h"
#include "info/info.pb-c.h"
#include "logs/log.pb-c.h"
#include "metrics/metrics.pb-c.h"
#include "register/register.pb-c.h"

#define V2 "/api/v2/edgedevice/"
#define V1 "/api/v1/edgedevice/"

/* A certificate and its key: a device, an onboarding cert, a stranger. */
struct ident {
	struct idkey k;
	uint8_t der[X509_DER_MAX];
	size_t len;
	uint8_t hash[32];
	char b64pem[4 * X509_DER_MAX]; /* base64 of the PEM, as EVE sends certs */
	size_t b64len;
};

static char dir[] = "/tmp/test-api.XXXXXX";
static struct {
	struct idkey signing;
	uint8_t *certs;
	size_t certs_len;
	uint8_t signing_hash[32];
	struct ident onboard;  /* acme's onboarding cert (pki_init's) */
	struct ident onboard2; /* globex's (a second pki_init) */
	struct ident rogue;    /* an onboarding cert nobody registered */
	struct ident dev[4];   /* device certificates */
	struct ctrlcerts cc;   /* the reply key, as a device learns it */
	struct store st;
	struct api_ctx ctx;
	int n_db;
	bool learning;         /* reply_key() is fetching certs */
} T;

/* ---- helpers ---- */

static void
b64pem_of(struct ident *id)
{
	char pem[2 * X509_DER_MAX];
	size_t plen;
	long n;

	assert_int_equal(pem_encode("CERTIFICATE", id->der, id->len, pem, sizeof(pem), &plen), 0);
	n = base64_encode((const uint8_t *)pem, plen, id->b64pem, sizeof(id->b64pem));
	assert_true(n > 0);
	id->b64len = (size_t)n;
}

/* A key file `name`.key.pem in dir, and EVE's kind of device certificate. */
static void
make_device(struct ident *id, const char *name)
{
	char path[128], err[512];
	uint8_t serial[X509_SERIAL_LEN];

	snprintf(path, sizeof(path), "%s/%s.key.pem", dir, name);
	assert_int_equal(idkey_soft_open(&id->k, path, true, err), 0);
	assert_int_equal(x509_serial_random(serial), 0);
	assert_int_equal(x509_device_cert_write(name, time(NULL), serial, &id->k.signer, id->der,
						sizeof(id->der), &id->len, err, sizeof(err)), 0);
	x509_der_sha256(id->der, id->len, id->hash);
	b64pem_of(id);
}

/* The first certificate of a pki_init file and its key. */
static void
load_ident(struct ident *id, const char *pkidir, const char *stem)
{
	char path[160], err[512], *text;
	size_t tlen;

	snprintf(path, sizeof(path), "%s/%s.cert.pem", pkidir, stem);
	assert_int_equal(atomicfile_read(path, 1 << 20, &text, &tlen, err, sizeof(err)), 0);
	assert_int_equal(pem_decode_first(text, tlen, "CERTIFICATE", id->der, sizeof(id->der),
					  &id->len, err, sizeof(err)), 0);
	free(text);
	snprintf(path, sizeof(path), "%s/%s.key.pem", pkidir, stem);
	assert_int_equal(idkey_soft_open(&id->k, path, false, err), 0);
	x509_der_sha256(id->der, id->len, id->hash);
	b64pem_of(id);
}

static int
group_setup(void **state)
{
	struct pki_params p = { .enterprise = "acme" };
	char pa[96], pb[96], path[160], err[CTRLCERTS_ERR_MAX], *chain;
	size_t clen;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(pa, sizeof(pa), "%s/pki", dir);
	snprintf(pb, sizeof(pb), "%s/pki2", dir);
	p.dir = pa;
	if (pki_init(&p, err) < 0)
		return -1;
	p.dir = pb;
	p.enterprise = "globex";
	if (pki_init(&p, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/signing.key.pem", pa);
	if (idkey_soft_open(&T.signing, path, false, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/signing.cert.pem", pa);
	if (atomicfile_read(path, 1 << 20, &chain, &clen, err, sizeof(err)) < 0)
		return -1;
	if (ctrl_certs_build(chain, clen, NULL, &T.certs, &T.certs_len, T.signing_hash, err,
			     sizeof(err)) < 0)
		return -1;
	free(chain);
	load_ident(&T.onboard, pa, "onboard");
	load_ident(&T.onboard2, pb, "onboard");
	make_device(&T.rogue, "rogue");
	make_device(&T.dev[0], "dev0");
	make_device(&T.dev[1], "dev1");
	make_device(&T.dev[2], "dev2");
	make_device(&T.dev[3], "dev3");
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	idkey_close(&T.signing);
	idkey_close(&T.onboard.k);
	idkey_close(&T.onboard2.k);
	idkey_close(&T.rogue.k);
	for (int i = 0; i < 4; i++)
		idkey_close(&T.dev[i].k);
	free(T.certs);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* A fresh store: acme/p1 onboards S-1..S-3; globex/pg onboards any serial
 * and has claimed G-1. */
static int
setup(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/evc-%d.db", dir, T.n_db++);
	if (store_open(&T.st, path) < 0)
		return -1;
	if (store_onboard_add(&T.st, "acme", "p1", T.onboard.der, T.onboard.len, T.onboard.hash,
			      "S-1") < 0 ||
	    store_onboard_add(&T.st, "acme", "p1", T.onboard.der, T.onboard.len, T.onboard.hash,
			      "S-2") < 0 ||
	    store_onboard_add(&T.st, "acme", "p1", T.onboard.der, T.onboard.len, T.onboard.hash,
			      "S-3") < 0 ||
	    store_onboard_add(&T.st, "globex", "pg", T.onboard2.der, T.onboard2.len,
			      T.onboard2.hash, "*") < 0 ||
	    store_onboard_add(&T.st, "globex", "pg", T.onboard2.der, T.onboard2.len,
			      T.onboard2.hash, "G-1") < 0)
		return -1;
	memset(&T.ctx, 0, sizeof(T.ctx));
	T.ctx.st = &T.st;
	T.ctx.signer = &T.signing.signer;
	memcpy(T.ctx.signing_cert_hash, T.signing_hash, 32);
	T.ctx.certs_payload = T.certs;
	T.ctx.certs_len = T.certs_len;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(&T.st);
	return 0;
}

static uint8_t *opened(const struct api_response *r, size_t *plen);

static void
call(const char *method, const char *path, const uint8_t *body, size_t len,
     const struct ident *peer, struct api_response *r)
{
	struct api_request rq = { .method = method, .path = path, .body = body, .len = len };

	if (peer) {
		rq.peer_cert = peer->der;
		rq.peer_cert_len = peer->len;
	}
	api_handle(&T.ctx, &rq, r);
	assert_true(r->status >= 200 && r->status <= 599);
	if (r->status >= 300) /* errors are a sentence, never a protobuf */
		assert_string_equal(r->content_type, "text/plain");
	/* every v2 reply with a body is signed by the controller's signing key */
	if (r->status < 300 && r->body && !T.learning &&
	    (strncmp(path, V2, strlen(V2)) == 0 || strstr(path, "/certs")))
		free(opened(r, &(size_t){ 0 }));
}

static void
expect(const char *method, const char *path, const uint8_t *body, size_t len,
       const struct ident *peer, int status, const char *needle)
{
	struct api_response r;

	call(method, path, body, len, peer, &r);
	if (r.status != status || (needle && !memmem(r.body, r.len, needle, strlen(needle))))
		fail_msg("%s %s: got %d '%.*s', wanted %d '%s'", method, path, r.status,
			 (int)r.len, r.body ? (const char *)r.body : "", status,
			 needle ? needle : "");
	api_response_free(&r);
}

/* The device's view: learn the signing key from `certs` (checked up to the
 * root in DIR/pki), once per process. */
static const struct ctrlcerts *
reply_key(void)
{
	static uint8_t storage[65536];
	const uint8_t *der[CTRLCERTS_ANCHORS_MAX];
	size_t dl[CTRLCERTS_ANCHORS_MAX], n, len;
	struct api_response r;
	char path[128], err[CTRLCERTS_ERR_MAX], *root;

	if (T.cc.nkeys)
		return &T.cc;
	snprintf(path, sizeof(path), "%s/pki/root-certificate.pem", dir);
	assert_int_equal(atomicfile_read(path, 1 << 20, &root, &len, err, sizeof(err)), 0);
	assert_int_equal(ctrlcerts_load_anchors(root, len, storage, sizeof(storage), der, dl, &n,
						err, sizeof(err)), 0);
	free(root);
	T.learning = true;
	call("GET", V2 "certs", NULL, 0, NULL, &r);
	T.learning = false;
	assert_int_equal(r.status, 200);
	if (ctrlcerts_verify(r.body, r.len, der, dl, n, time(NULL), false, &T.cc, err) < 0)
		fail_msg("certs reply: %s", err);
	api_response_free(&r);
	return &T.cc;
}

/* A v2 reply body: must verify with the controller's signing key; returns
 * the payload (malloc'd). */
static uint8_t *
opened(const struct api_response *r, size_t *plen)
{
	const struct ctrlcerts *cc = reply_key();
	uint8_t *p;
	char err[AUTH_ERR_MAX];

	assert_string_equal(r->content_type, "application/x-proto-binary");
	if (auth_open(r->body, r->len, cc->keys, cc->nkeys, &p, plen, NULL, err) < 0)
		fail_msg("reply does not verify with the signing key: %s", err);
	return p;
}

static void
seal(const struct ident *signer, const struct ident *claimed, bool with_cert,
     const uint8_t *payload, size_t plen, uint8_t **body, size_t *blen)
{
	char err[AUTH_ERR_MAX];

	assert_int_equal(auth_seal(payload, plen, (struct signer *)&signer->k.signer,
				   claimed->hash, with_cert ? (const uint8_t *)claimed->b64pem : NULL,
				   with_cert ? claimed->b64len : 0, body, blen, err), 0);
}

static uint8_t *
register_msg(const struct ident *dev, const char *serial, const char *soft, size_t *len)
{
	Org__Lfedge__Eve__Register__ZRegisterMsg m = ORG__LFEDGE__EVE__REGISTER__ZREGISTER_MSG__INIT;
	uint8_t *out;

	m.pemcert.data = (uint8_t *)dev->b64pem;
	m.pemcert.len = dev->b64len;
	m.serial = (char *)serial;
	m.softserial = (char *)soft;
	*len = org__lfedge__eve__register__zregister_msg__get_packed_size(&m);
	out = malloc(*len + 1);
	org__lfedge__eve__register__zregister_msg__pack(&m, out);
	return out;
}

/* POST register (v2), onboarding cert `ob`, device `dev`: the status. */
static int
register_v2(const struct ident *ob, const struct ident *dev, const char *serial, char uuid[37])
{
	struct api_response r;
	uint8_t *m, *body;
	size_t mlen, blen;
	int status;

	m = register_msg(dev, serial, "soft", &mlen);
	seal(ob, ob, true, m, mlen, &body, &blen);
	call("POST", V2 "register", body, blen, NULL, &r);
	status = r.status;
	if (uuid)
		snprintf(uuid, 37, "%s", r.uuid);
	if (status == 200 || status == 201)
		assert_null(r.body); /* register answers with its status alone */
	api_response_free(&r);
	free(body);
	free(m);
	return status;
}

/* A device request: `payload` sealed by `dev`; the reply's status. */
static int
device_call(const struct ident *dev, const char *method, const char *path, const uint8_t *payload,
	    size_t plen, struct api_response *r)
{
	uint8_t *body;
	size_t blen;

	seal(dev, dev, false, payload, plen, &body, &blen);
	call(method, path, body, blen, NULL, r);
	free(body);
	return r->status;
}

static int
count_one(const struct store_device *d, void *arg)
{
	(void)d;
	(*(int *)arg)++;
	return 0;
}

static int
n_devices(void)
{
	int n = 0;

	assert_int_equal(store_device_list(&T.st, count_one, &n), 0);
	return n;
}

struct recs {
	int n;
	char last[4096];
	size_t last_len;
};

static int
rec_one(int64_t id, int64_t when, const uint8_t *data, size_t len, void *arg)
{
	struct recs *r = arg;

	(void)id;
	(void)when;
	r->n++;
	r->last_len = len < sizeof(r->last) - 1 ? len : sizeof(r->last) - 1;
	memcpy(r->last, data, r->last_len);
	r->last[r->last_len] = '\0';
	return 0;
}

static struct recs
records(const char *uuid, enum store_kind kind)
{
	struct recs r = { 0 };

	assert_int_equal(store_record_list(&T.st, uuid, kind, 0, 0, rec_one, &r, NULL), 0);
	return r;
}

static void
id_path(char *out, size_t cap, const char *uuid, const char *op)
{
	snprintf(out, cap, V2 "id/%s/%s", uuid, op);
}

/* A registered device: dev[i] with serial S-(i+1) through acme. */
static void
registered(int i, char uuid[37])
{
	char serial[8];

	snprintf(serial, sizeof(serial), "S-%d", i + 1);
	assert_int_equal(register_v2(&T.onboard, &T.dev[i], serial, uuid), 201);
}

/* gzip (with a header comment, as EVE writes one) of len bytes. */
static uint8_t *
gzip_of(const void *data, size_t len, size_t *out_len)
{
	gz_header h = { 0 };
	z_stream z = { 0 };
	uint8_t *out;
	size_t cap = deflateBound(&z, len) + 256;

	out = malloc(cap);
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	h.comment = (Bytef *)"devId: test, image: IMGA, eveVersion: 0.0.0";
	assert_int_equal(deflateSetHeader(&z, &h), Z_OK);
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

/* ---- certs, ping ---- */

static void
test_certs_chain_to_root_and_ping(void **state)
{
	const struct ctrlcerts *cc;
	struct api_response r;

	(void)state;
	cc = reply_key();
	assert_int_equal(cc->nkeys, 2);
	assert_string_equal(cc->signer_cn, "Edgevisor controller signing");
	/* certs is signed on v1 too (it is what the device checks) */
	call("GET", V1 "certs", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	free(opened(&r, &(size_t){ 0 }));
	api_response_free(&r);
	expect("GET", V2 "ping", NULL, 0, NULL, 200, NULL);
	expect("POST", V2 "ping", NULL, 0, NULL, 200, NULL);
	expect("GET", V1 "ping", NULL, 0, NULL, 200, NULL);
	expect("GET", "/api/v1/edgeDevice/ping", NULL, 0, NULL, 200, NULL);
	expect("POST", V2 "certs", NULL, 0, NULL, 405, NULL);
}

/* ---- register ---- */

static void
test_register_201_then_200(void **state)
{
	struct store_device d;
	char u1[37], u2[37];

	(void)state;
	assert_int_equal(register_v2(&T.onboard, &T.dev[0], "S-1", u1), 201);
	assert_int_equal(strlen(u1), 36);
	assert_int_equal(register_v2(&T.onboard, &T.dev[0], "S-1", u2), 200);
	assert_string_equal(u1, u2);
	assert_int_equal(n_devices(), 1);
	assert_int_equal(store_device_by_cert(&T.st, T.dev[0].hash, &d), 0);
	assert_string_equal(d.uuid, u1);
	assert_string_equal(d.enterprise, "acme");
	assert_string_equal(d.project, "p1");
	assert_string_equal(d.serial, "S-1");
	assert_string_equal(d.soft_serial, "soft");
	assert_int_equal(d.state, STORE_DEV_ONBOARDED);
	assert_memory_equal(d.cert_der, T.dev[0].der, T.dev[0].len);
	store_device_free(&d);
	/* globex's wildcard takes a serial nobody claimed; the device is globex's */
	assert_int_equal(register_v2(&T.onboard2, &T.dev[1], "G-77", u2), 201);
	assert_int_equal(store_device_by_uuid(&T.st, u2, &d), 0);
	assert_string_equal(d.enterprise, "globex");
	store_device_free(&d);
}

static void
test_register_refused(void **state)
{
	struct store_device d;
	char u[37];

	(void)state;
	/* an onboarding certificate this controller does not know */
	assert_int_equal(register_v2(&T.rogue, &T.dev[0], "S-1", NULL), 403);
	/* a serial acme did not list */
	assert_int_equal(register_v2(&T.onboard, &T.dev[0], "S-9", NULL), 403);
	assert_int_equal(n_devices(), 0);
	/* a serial claimed by another enterprise: 409 either way, and the
	 * device lands in no enterprise */
	assert_int_equal(register_v2(&T.onboard2, &T.dev[0], "S-1", NULL), 409);
	assert_int_equal(register_v2(&T.onboard, &T.dev[0], "G-1", NULL), 409);
	assert_int_equal(store_device_by_cert(&T.st, T.dev[0].hash, &d), -ENOENT);
	assert_int_equal(n_devices(), 0);
	/* a serial already registered with another device certificate */
	assert_int_equal(register_v2(&T.onboard, &T.dev[0], "S-1", u), 201);
	assert_int_equal(register_v2(&T.onboard, &T.dev[1], "S-1", NULL), 409);
	assert_int_equal(store_device_by_cert(&T.st, T.dev[1].hash, &d), -ENOENT);
	/* the same device certificate under another serial */
	assert_int_equal(register_v2(&T.onboard, &T.dev[0], "S-2", NULL), 409);
	/* ... or through another enterprise */
	assert_int_equal(register_v2(&T.onboard2, &T.dev[0], "G-5", NULL), 409);
	assert_int_equal(n_devices(), 1);
	expect("GET", V2 "register", NULL, 0, NULL, 405, NULL);
}

static void
test_register_bad_bodies(void **state)
{
	Org__Lfedge__Eve__Auth__AuthContainer *ac;
	Org__Lfedge__Eve__Register__ZRegisterMsg m = ORG__LFEDGE__EVE__REGISTER__ZREGISTER_MSG__INIT;
	uint8_t *msg, *body, *t, junk[64];
	size_t mlen, blen, tlen;

	(void)state;
	msg = register_msg(&T.dev[0], "S-1", "", &mlen);
	/* payload tampered after signing: 401 */
	seal(&T.onboard, &T.onboard, true, msg, mlen, &body, &blen);
	ac = org__lfedge__eve__auth__auth_container__unpack(NULL, blen, body);
	assert_non_null(ac);
	ac->protectedpayload->payload.data[ac->protectedpayload->payload.len - 1] ^= '1' ^ '2';
	tlen = org__lfedge__eve__auth__auth_container__get_packed_size(ac);
	t = malloc(tlen);
	org__lfedge__eve__auth__auth_container__pack(ac, t);
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	expect("POST", V2 "register", t, tlen, NULL, 401, "does not verify");
	free(t);
	/* truncated container: 400 */
	expect("POST", V2 "register", body, blen - 10, NULL, 400, "AuthContainer");
	expect("POST", V2 "register", body, 3, NULL, 400, NULL);
	free(body);
	/* signed by another key than the onboarding cert it carries: 401 */
	{
		uint8_t *b2;
		size_t b2len;
		char err[AUTH_ERR_MAX];

		assert_int_equal(auth_seal(msg, mlen, &T.dev[0].k.signer, T.onboard.hash,
					   (const uint8_t *)T.onboard.b64pem, T.onboard.b64len,
					   &b2, &b2len, err), 0);
		expect("POST", V2 "register", b2, b2len, NULL, 401, "does not verify");
		free(b2);
	}
	/* garbage, empty */
	memset(junk, 0xff, sizeof(junk));
	expect("POST", V2 "register", junk, sizeof(junk), NULL, 400, "AuthContainer");
	expect("POST", V2 "register", NULL, 0, NULL, 400, "senderCert");
	/* no senderCert */
	seal(&T.onboard, &T.onboard, false, msg, mlen, &body, &blen);
	expect("POST", V2 "register", body, blen, NULL, 400, "senderCert");
	free(body);
	free(msg);
	/* signed well, but not a ZRegisterMsg / no serial / no certificate */
	seal(&T.onboard, &T.onboard, true, junk, sizeof(junk), &body, &blen);
	expect("POST", V2 "register", body, blen, NULL, 400, "not a ZRegisterMsg");
	free(body);
	msg = register_msg(&T.dev[0], "", "", &mlen);
	seal(&T.onboard, &T.onboard, true, msg, mlen, &body, &blen);
	expect("POST", V2 "register", body, blen, NULL, 400, "serial");
	free(body);
	free(msg);
	m.serial = "S-1";
	m.pemcert.data = (uint8_t *)"bm90IGEgY2VydA==";
	m.pemcert.len = 16;
	mlen = org__lfedge__eve__register__zregister_msg__get_packed_size(&m);
	msg = malloc(mlen);
	org__lfedge__eve__register__zregister_msg__pack(&m, msg);
	seal(&T.onboard, &T.onboard, true, msg, mlen, &body, &blen);
	expect("POST", V2 "register", body, blen, NULL, 400, "pemCert");
	free(body);
	free(msg);
	assert_int_equal(n_devices(), 0);
}

static void
test_onboarding_cert_is_no_device_cert(void **state)
{
	char uuid[37];

	(void)state;
	/* every device holds the onboarding key: a device registered with the
	 * onboarding certificate as its own could be spoken for by any */
	assert_int_equal(register_v2(&T.onboard, &T.onboard, "S-1", NULL), 400);
	assert_int_equal(n_devices(), 0);
	assert_int_equal(store_device_add(&T.st, "acme", "p1", T.onboard.der, T.onboard.len,
					  T.onboard.hash, "", uuid), -EEXIST);
	assert_non_null(strstr(T.st.err, "onboarding certificate"));
	/* nor can a device's certificate become an onboarding certificate */
	registered(0, uuid);
	assert_int_equal(store_onboard_add(&T.st, "acme", "p1", T.dev[0].der, T.dev[0].len,
					   T.dev[0].hash, "*"), -EEXIST);
	assert_non_null(strstr(T.st.err, uuid));
	assert_int_equal(n_devices(), 1);
}

/* ---- device requests ---- */

static void
test_preregistered_device_needs_no_register(void **state)
{
	Org__Lfedge__Eve__Uuid__UuidResponse *ur;
	Org__Lfedge__Eve__Config__ConfigResponse *cr;
	struct api_response r;
	struct store_device d;
	uint8_t *p;
	size_t plen;
	char uuid[37], u2[37];

	(void)state;
	assert_int_equal(store_device_add(&T.st, "acme", "p1", T.dev[2].der, T.dev[2].len,
					  T.dev[2].hash, "", uuid), 0);
	assert_int_equal(device_call(&T.dev[2], "POST", V2 "uuid", NULL, 0, &r), 200);
	p = opened(&r, &plen);
	ur = org__lfedge__eve__uuid__uuid_response__unpack(NULL, plen, p);
	assert_non_null(ur);
	assert_string_equal(ur->uuid, uuid);
	org__lfedge__eve__uuid__uuid_response__free_unpacked(ur, NULL);
	free(p);
	api_response_free(&r);
	assert_int_equal(device_call(&T.dev[2], "POST", V2 "config", NULL, 0, &r), 200);
	p = opened(&r, &plen);
	cr = org__lfedge__eve__config__config_response__unpack(NULL, plen, p);
	assert_non_null(cr);
	assert_non_null(cr->config);
	assert_string_equal(cr->config->id->uuid, uuid);
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
	free(p);
	api_response_free(&r);
	/* it was seen; registering it later (variant b device calling register
	 * anyway) keeps its uuid and learns its serial */
	assert_int_equal(store_device_by_uuid(&T.st, uuid, &d), 0);
	assert_true(d.last_seen > 0);
	store_device_free(&d);
	assert_int_equal(register_v2(&T.onboard, &T.dev[2], "S-3", u2), 200);
	assert_string_equal(u2, uuid);
	assert_int_equal(store_device_by_uuid(&T.st, uuid, &d), 0);
	assert_string_equal(d.serial, "S-3");
	store_device_free(&d);
	assert_int_equal(n_devices(), 1);
}

static void
test_unknown_or_forged_device(void **state)
{
	struct api_response r;
	uint8_t *body, junk[32];
	size_t blen;
	char uuid[37], u1[37], path[128];

	(void)state;
	/* never registered */
	assert_int_equal(device_call(&T.dev[3], "POST", V2 "uuid", NULL, 0, &r), 403);
	api_response_free(&r);
	registered(0, uuid);
	/* claims to be dev0 (its cert hash) but is signed by dev1's key */
	seal(&T.dev[1], &T.dev[0], false, (const uint8_t *)"", 0, &body, &blen);
	expect("POST", V2 "uuid", body, blen, NULL, 401, "does not verify");
	free(body);
	/* garbage, truncated */
	memset(junk, 0xee, sizeof(junk));
	expect("POST", V2 "uuid", junk, sizeof(junk), NULL, 400, NULL);
	seal(&T.dev[0], &T.dev[0], false, (const uint8_t *)"x", 1, &body, &blen);
	expect("POST", V2 "uuid", body, blen - 5, NULL, 400, NULL);
	expect("POST", V2 "uuid", body, blen, NULL, 200, NULL);
	free(body);
	/* a device speaking for another one's uuid */
	registered(1, u1);
	id_path(path, sizeof(path), uuid, "info");
	assert_int_equal(device_call(&T.dev[1], "POST", path, NULL, 0, &r), 403);
	api_response_free(&r);
	assert_int_equal(records(uuid, STORE_INFO).n, 0);
	id_path(path, sizeof(path), uuid, "config");
	assert_int_equal(device_call(&T.dev[1], "POST", path, NULL, 0, &r), 403);
	api_response_free(&r);
	/* its own uuid is fine */
	assert_int_equal(device_call(&T.dev[0], "POST", path, NULL, 0, &r), 200);
	free(opened(&r, &(size_t){ 0 }));
	api_response_free(&r);
}

static Org__Lfedge__Eve__Config__ConfigResponse *
get_config(const struct ident *dev, const char *uuid, const char *hash)
{
	Org__Lfedge__Eve__Config__ConfigRequest rq = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
	Org__Lfedge__Eve__Config__ConfigResponse *cr;
	struct api_response r;
	uint8_t buf[256], *p;
	size_t n, plen;
	char path[128];

	rq.confighash = (char *)hash;
	n = org__lfedge__eve__config__config_request__pack(&rq, buf);
	id_path(path, sizeof(path), uuid, "config");
	assert_int_equal(device_call(dev, "POST", path, buf, n, &r), 200);
	p = opened(&r, &plen);
	cr = org__lfedge__eve__config__config_response__unpack(NULL, plen, p);
	assert_non_null(cr);
	free(p);
	api_response_free(&r);
	return cr;
}

static void
test_config_flow(void **state)
{
	Org__Lfedge__Eve__Config__EdgeDevConfig c = ORG__LFEDGE__EVE__CONFIG__EDGE_DEV_CONFIG__INIT;
	Org__Lfedge__Eve__Config__UUIDandVersion id = ORG__LFEDGE__EVE__CONFIG__UUIDAND_VERSION__INIT;
	Org__Lfedge__Eve__Config__ConfigResponse *cr;
	struct api_response r;
	br_sha256_context sc;
	uint8_t pb[512], h[32], *got;
	size_t n;
	char uuid[37], hex[65], first[65];

	(void)state;
	registered(0, uuid);
	/* nothing set: an empty config naming the device, with a hash */
	cr = get_config(&T.dev[0], uuid, "");
	assert_non_null(cr->config);
	assert_non_null(cr->config->id);
	assert_string_equal(cr->config->id->uuid, uuid);
	assert_int_equal(cr->config->n_apps, 0);
	assert_true(cr->confighash && cr->confighash[0]);
	snprintf(first, sizeof(first), "%s", cr->confighash);
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
	/* asked again with that hash: unchanged */
	cr = get_config(&T.dev[0], uuid, first);
	assert_null(cr->config);
	assert_string_equal(cr->confighash, first);
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);

	/* the operator sets one */
	id.uuid = uuid;
	id.version = "7";
	c.id = &id;
	c.device_name = "press-1";
	c.controller_epoch = 3;
	n = org__lfedge__eve__config__edge_dev_config__pack(&c, pb);
	assert_int_equal(store_config_set(&T.st, uuid, pb, n), 0);
	br_sha256_init(&sc);
	br_sha256_update(&sc, pb, n);
	br_sha256_out(&sc, h);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	cr = get_config(&T.dev[0], uuid, first);
	assert_non_null(cr->config);
	assert_string_equal(cr->confighash, hex);
	assert_string_equal(cr->config->device_name, "press-1");
	assert_string_equal(cr->config->id->version, "7");
	assert_int_equal(cr->config->controller_epoch, 3);
	/* the very bytes that were set (the hash is of them) */
	got = malloc(n);
	assert_int_equal(org__lfedge__eve__config__edge_dev_config__pack(cr->config, got), n);
	assert_memory_equal(got, pb, n);
	free(got);
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
	/* the same hash again: a ConfigResponse without config */
	cr = get_config(&T.dev[0], uuid, hex);
	assert_null(cr->config);
	assert_string_equal(cr->confighash, hex);
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
	/* an empty body (no ConfigRequest) gets the config */
	assert_int_equal(device_call(&T.dev[0], "POST", V2 "config", NULL, 0, &r), 200);
	got = opened(&r, &n);
	cr = org__lfedge__eve__config__config_response__unpack(NULL, n, got);
	assert_non_null(cr->config);
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
	free(got);
	api_response_free(&r);
	/* a body that is no ConfigRequest */
	assert_int_equal(device_call(&T.dev[0], "POST", V2 "config", (const uint8_t *)"\xff\xff",
				     2, &r), 400);
	api_response_free(&r);
	/* config is POST in v2 */
	expect("GET", V2 "config", NULL, 0, NULL, 405, NULL);
}

static void
test_info_and_metrics_stored(void **state)
{
	Org__Lfedge__Eve__Info__ZInfoMsg im = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	Org__Lfedge__Eve__Metrics__ZMetricMsg mm = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__INIT;
	struct api_response r;
	uint8_t buf[256];
	size_t n;
	char uuid[37], path[128];
	struct recs rc;

	(void)state;
	registered(0, uuid);
	im.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice;
	im.devid = uuid;
	n = org__lfedge__eve__info__zinfo_msg__pack(&im, buf);
	id_path(path, sizeof(path), uuid, "info");
	assert_int_equal(device_call(&T.dev[0], "POST", path, buf, n, &r), 200);
	assert_null(r.body);
	api_response_free(&r);
	rc = records(uuid, STORE_INFO);
	assert_int_equal(rc.n, 1);
	assert_int_equal(rc.last_len, n);
	assert_memory_equal(rc.last, buf, n);
	/* not a ZInfoMsg: 400, nothing stored */
	assert_int_equal(device_call(&T.dev[0], "POST", path, (const uint8_t *)"\x0a\x05" "ab", 4,
				     &r), 400);
	assert_non_null(memmem(r.body, r.len, "ZInfoMsg", 8));
	api_response_free(&r);
	assert_int_equal(records(uuid, STORE_INFO).n, 1);

	mm.devid = uuid;
	n = org__lfedge__eve__metrics__zmetric_msg__pack(&mm, buf);
	id_path(path, sizeof(path), uuid, "metrics");
	assert_int_equal(device_call(&T.dev[0], "POST", path, buf, n, &r), 200);
	api_response_free(&r);
	assert_int_equal(device_call(&T.dev[0], "POST", path, (const uint8_t *)"\xff", 1, &r), 400);
	api_response_free(&r);
	rc = records(uuid, STORE_METRICS);
	assert_int_equal(rc.n, 1);
	assert_memory_equal(rc.last, buf, n);
	assert_int_equal(records(uuid, STORE_INFO).n, 1);
}

static void
test_logbundle_stored_as_json(void **state)
{
	Org__Lfedge__Eve__Logs__LogBundle b = ORG__LFEDGE__EVE__LOGS__LOG_BUNDLE__INIT;
	Org__Lfedge__Eve__Logs__LogEntry e[2], *ep[2] = { &e[0], &e[1] };
	struct api_response r;
	uint8_t buf[512];
	size_t n;
	char uuid[37], path[128];
	struct recs rc;

	(void)state;
	registered(0, uuid);
	for (int i = 0; i < 2; i++) {
		org__lfedge__eve__logs__log_entry__init(&e[i]);
		e[i].severity = "info";
		e[i].source = "zedagent";
	}
	e[0].content = "first";
	e[1].content = "second";
	e[1].msgid = 42;
	b.devid = uuid;
	b.n_log = 2;
	b.log = ep;
	n = org__lfedge__eve__logs__log_bundle__pack(&b, buf);
	id_path(path, sizeof(path), uuid, "logs");
	assert_int_equal(device_call(&T.dev[0], "POST", path, buf, n, &r), 200);
	api_response_free(&r);
	rc = records(uuid, STORE_LOGS);
	assert_int_equal(rc.n, 2);
	assert_string_equal(rc.last,
			    "{\"severity\":\"info\",\"source\":\"zedagent\",\"content\":\"second\","
			    "\"msgid\":\"42\"}");
	/* an entry that has no JSON form (a string that is not UTF-8): the
	 * whole bundle is refused, nothing of it stored */
	e[0].content = "third";
	e[1].content = "bad \xff utf-8";
	n = org__lfedge__eve__logs__log_bundle__pack(&b, buf);
	assert_int_equal(device_call(&T.dev[0], "POST", path, buf, n, &r), 400);
	api_response_free(&r);
	assert_int_equal(records(uuid, STORE_LOGS).n, 2);
	/* not a LogBundle */
	assert_int_equal(device_call(&T.dev[0], "POST", path, (const uint8_t *)"\x1a\x09", 2, &r),
			 400);
	api_response_free(&r);
	assert_int_equal(records(uuid, STORE_LOGS).n, 2);
}

static int
post_newlogs(const char *uuid, const void *gz, size_t len, struct api_response *r)
{
	char path[128];

	id_path(path, sizeof(path), uuid, "newlogs");
	return device_call(&T.dev[0], "POST", path, gz, len, r);
}

static void
test_newlogs(void **state)
{
	static const char good[] =
		"{\"severity\":\"info\",\"source\":\"zedagent\",\"content\":\"hello\","
		"\"timestamp\":\"2024-05-01T10:00:00Z\",\"tags\":{\"k\":\"v\"}}\n"
		"\n"
		"{\"severity\":\"err\",\"content\":\"boom\",\"msgid\":\"7\"}\r\n"
		"{\"content\":\"last, no newline\"}";
	static const char bad[] =
		"{\"content\":\"ok 1\"}\n"
		"{\"content\":\"ok 2\"}\n"
		"{\"content\":\"ok 3\",\"severity\":5}\n"
		"{\"content\":\"ok 4\"}\n";
	struct api_response r;
	uint8_t *gz;
	size_t gzlen;
	char uuid[37];
	struct recs rc;

	(void)state;
	registered(0, uuid);
	gz = gzip_of(good, strlen(good), &gzlen);
	assert_int_equal(post_newlogs(uuid, gz, gzlen, &r), 200);
	api_response_free(&r);
	rc = records(uuid, STORE_LOGS);
	assert_int_equal(rc.n, 3);
	assert_string_equal(rc.last, "{\"content\":\"last, no newline\"}");
	/* truncated gzip: refused, nothing stored */
	assert_int_equal(post_newlogs(uuid, gz, gzlen - 6, &r), 400);
	assert_non_null(memmem(r.body, r.len, "gzip", 4));
	api_response_free(&r);
	assert_int_equal(post_newlogs(uuid, gz, 12, &r), 400);
	api_response_free(&r);
	free(gz);
	/* not gzip at all */
	assert_int_equal(post_newlogs(uuid, good, strlen(good), &r), 400);
	api_response_free(&r);
	assert_int_equal(records(uuid, STORE_LOGS).n, 3);
	/* one bad line: the batch is refused whole, the line named */
	gz = gzip_of(bad, strlen(bad), &gzlen);
	assert_int_equal(post_newlogs(uuid, gz, gzlen, &r), 400);
	assert_non_null(memmem(r.body, r.len, "line 3", 6));
	api_response_free(&r);
	free(gz);
	assert_int_equal(records(uuid, STORE_LOGS).n, 3);
	/* an empty batch is fine */
	gz = gzip_of("", 0, &gzlen);
	assert_int_equal(post_newlogs(uuid, gz, gzlen, &r), 200);
	api_response_free(&r);
	free(gz);
	assert_int_equal(records(uuid, STORE_LOGS).n, 3);
}

static void
test_newlogs_gzip_bomb(void **state)
{
	static uint8_t zeros[1 << 20];
	struct api_response r;
	z_stream z = { 0 };
	size_t cap = 1 << 20;
	uint8_t *out = malloc(cap);
	char uuid[37];

	(void)state;
	registered(0, uuid);
	/* 100 MB of zeros, about 100 KB compressed */
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	for (int i = 0; i < 100; i++) {
		z.next_in = zeros;
		z.avail_in = sizeof(zeros);
		assert_int_equal(deflate(&z, i == 99 ? Z_FINISH : Z_NO_FLUSH),
				 i == 99 ? Z_STREAM_END : Z_OK);
		assert_int_equal(z.avail_in, 0);
	}
	assert_true(z.total_out < cap);
	assert_true(z.total_out < API_MAX_BODY);
	assert_int_equal(post_newlogs(uuid, out, z.total_out, &r), 400);
	assert_non_null(memmem(r.body, r.len, "inflates to more than", 21));
	api_response_free(&r);
	deflateEnd(&z);
	free(out);
	assert_int_equal(records(uuid, STORE_LOGS).n, 0);
}

/* ---- v1 ---- */

static void
test_v1_paths(void **state)
{
	Org__Lfedge__Eve__Config__EdgeDevConfig *c;
	Org__Lfedge__Eve__Config__ConfigResponse *cr;
	Org__Lfedge__Eve__Config__ConfigRequest rq = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
	Org__Lfedge__Eve__Info__ZInfoMsg im = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	struct api_response r;
	struct store_device d;
	uint8_t *m, buf[256];
	size_t mlen, n;
	char uuid[37], hash[65];

	(void)state;
	m = register_msg(&T.dev[0], "S-1", "", &mlen);
	/* register: the onboarding certificate is the TLS client certificate */
	call("POST", V1 "register", m, mlen, &T.onboard, &r);
	assert_int_equal(r.status, 201);
	snprintf(uuid, sizeof(uuid), "%s", r.uuid);
	api_response_free(&r);
	expect("POST", "/api/v1/edgeDevice/register", m, mlen, &T.onboard, 200, NULL);
	expect("POST", V1 "register", m, mlen, NULL, 401, "client certificate");
	expect("POST", V1 "register", m, mlen, &T.rogue, 403, NULL);
	/* a v1 body must be bare: a sealed one is not a ZRegisterMsg */
	expect("POST", V1 "register", (const uint8_t *)"\xff\xff\xff", 3, &T.onboard, 400, NULL);
	free(m);
	assert_int_equal(store_device_by_cert(&T.st, T.dev[0].hash, &d), 0);
	assert_string_equal(d.uuid, uuid);
	store_device_free(&d);

	/* config GET: the bare EdgeDevConfig (the seed's form) */
	call("GET", V1 "config", NULL, 0, &T.dev[0], &r);
	assert_int_equal(r.status, 200);
	c = org__lfedge__eve__config__edge_dev_config__unpack(NULL, r.len, r.body);
	assert_non_null(c);
	assert_string_equal(c->id->uuid, uuid);
	org__lfedge__eve__config__edge_dev_config__free_unpacked(c, NULL);
	api_response_free(&r);
	/* config POST: a bare ConfigResponse; then unchanged by hash */
	call("POST", "/api/v1/edgeDevice/config", NULL, 0, &T.dev[0], &r);
	assert_int_equal(r.status, 200);
	cr = org__lfedge__eve__config__config_response__unpack(NULL, r.len, r.body);
	assert_non_null(cr);
	assert_non_null(cr->config);
	snprintf(hash, sizeof(hash), "%s", cr->confighash);
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
	api_response_free(&r);
	rq.confighash = hash;
	n = org__lfedge__eve__config__config_request__pack(&rq, buf);
	call("POST", V1 "config", buf, n, &T.dev[0], &r);
	assert_int_equal(r.status, 200);
	cr = org__lfedge__eve__config__config_response__unpack(NULL, r.len, r.body);
	assert_non_null(cr);
	assert_null(cr->config);
	assert_string_equal(cr->confighash, hash);
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
	api_response_free(&r);

	/* info: bare, stored */
	im.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiApp;
	n = org__lfedge__eve__info__zinfo_msg__pack(&im, buf);
	expect("POST", V1 "info", buf, n, &T.dev[0], 200, NULL);
	assert_int_equal(records(uuid, STORE_INFO).n, 1);
	/* no client certificate, or one we do not know */
	expect("POST", V1 "info", buf, n, NULL, 401, NULL);
	expect("POST", V1 "info", buf, n, &T.dev[3], 403, NULL);
	expect("GET", V1 "config", NULL, 0, &T.dev[3], 403, NULL);
	assert_int_equal(records(uuid, STORE_INFO).n, 1);
	/* a pre-registered device on v1 */
	assert_int_equal(store_device_add(&T.st, "acme", "p1", T.dev[3].der, T.dev[3].len,
					  T.dev[3].hash, "", uuid), 0);
	expect("POST", V1 "uuid", NULL, 0, &T.dev[3], 200, NULL);
}

/* ---- routing ---- */

static void
test_404_405_413(void **state)
{
	static const char *const nowhere[] = {
		"/", "/api", "/api/v3/edgedevice/ping", "/api/v2/edgeDevice/ping",
		"/api/v2/edgedevice", V2 "nosuch", V2 "id/1234/config", V2 "attest",
		V2 "id/00000000-0000-0000-0000-000000000000", V2 "config/more", V1 "nosuch",
		V1 "id/00000000-0000-0000-0000-000000000000/config",
	};
	uint8_t *big;

	(void)state;
	for (size_t i = 0; i < sizeof(nowhere) / sizeof(nowhere[0]); i++) {
		expect("POST", nowhere[i], NULL, 0, NULL, 404, NULL);
		/* an unknown path is 404 whatever the method */
		expect("GET", nowhere[i], NULL, 0, NULL, 404, NULL);
	}
	expect("GET", V2 "register", NULL, 0, NULL, 405, "POST");
	expect("GET", V2 "uuid", NULL, 0, NULL, 405, "POST");
	expect("PUT", V2 "info", NULL, 0, NULL, 405, NULL);
	expect("DELETE", V2 "id/00000000-0000-0000-0000-000000000000/newlogs", NULL, 0, NULL,
	       405, NULL);
	expect("GET", V1 "info", NULL, 0, NULL, 405, NULL);
	expect("PUT", V2 "ping", NULL, 0, NULL, 405, NULL);
	big = calloc(1, API_MAX_BODY + 1);
	assert_non_null(big);
	expect("POST", V2 "info", big, API_MAX_BODY + 1, NULL, 413, NULL);
	expect("POST", V2 "register", big, API_MAX_BODY + 1, NULL, 413, NULL);
	expect("POST", V1 "logs", big, API_MAX_BODY + 1, &T.dev[0], 413, NULL);
	free(big);
}

int
main(void)
{
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T_(test_certs_chain_to_root_and_ping),
		T_(test_register_201_then_200),
		T_(test_register_refused),
		T_(test_register_bad_bodies),
		T_(test_onboarding_cert_is_no_device_cert),
		T_(test_preregistered_device_needs_no_register),
		T_(test_unknown_or_forged_device),
		T_(test_config_flow),
		T_(test_info_and_metrics_stored),
		T_(test_logbundle_stored_as_json),
		T_(test_newlogs),
		T_(test_newlogs_gzip_bomb),
		T_(test_v1_paths),
		T_(test_404_405_413),
	};
#undef T_
	return cmocka_run_group_tests_name("api", tests, group_setup, group_teardown);
}
