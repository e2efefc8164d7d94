/*
 * Fuzz target: api_handle, the controller's EVE API, on hostile requests.
 *
 * Prepared once per process, in a temporary folder removed at exit: a PKI
 * (pki_init), a store where acme's onboarding certificate may onboard serial
 * FUZZ-1, and one device registered with it.  Keys are made at start, so the
 * harness seals bodies itself rather than keeping signatures in the corpus.
 *
 * Byte 0 chooses the request:
 *   bits 0-3  the path, PATHS[(b & 15) % N_PATHS]
 *   bit 4     GET (else POST)
 *   bit 5     v1 (else v2)
 *   bits 6-7  v2: 0 the rest is the body as sent;
 *                 1 the rest is the payload, sealed by the device key (for
 *                   register: by the onboarding key, with its senderCert; a
 *                   ZRegisterMsg without pemCert gets the device's);
 *                 2 the rest is XORed over a validly sealed empty payload
 *                   (reaches the hash and signature checks);
 *                 3 as 1, on the id/{uuid}/ path of the device itself;
 *             v1: the rest is the body; the TLS client certificate is
 *                 0 none, 1 the device's (onboarding for register),
 *                 2 the onboarding certificate, 3 one nobody knows.
 * FUZZ_API_TRACE=1 in the environment prints each request and its answer.
 * Invariants: the status is 200..599; an error reply is text; a v2 2xx
 * reply with a body (and every certs reply) verifies with the controller's
 * signing key; nothing crashes or leaks.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "api.h"
#include "atomicfile.h"
#include "auth.h"
#include "base64.h"
#include "ctrl_certs.h"
#include "idkey.h"
#include "pem.h"
#include "pki.h"
#include "store.h"
#include "x509_read.h"
#include "x509_write.h"

#include "register/register.pb-c.h"

struct ident {
	struct idkey k;
	uint8_t der[X509_DER_MAX];
	size_t len;
	uint8_t hash[32];
	char b64pem[4 * X509_DER_MAX];
	size_t b64len;
};

static const char *const PATHS[] = {
	"register", "ping", "certs", "uuid", "config", "info", "metrics", "logs", "newlogs",
	"attest", "id/00000000-0000-4000-8000-000000000000/config", "nosuch",
};
#define N_PATHS (sizeof(PATHS) / sizeof(PATHS[0]))

static struct {
	bool ready;
	char dir[64];
	struct store st;
	struct api_ctx ctx;
	struct idkey signing;
	uint8_t *certs;
	size_t certs_len;
	struct auth_key reply_key;
	struct ident onboard, dev, stranger;
	char uuid[37];
	uint8_t *empty_sealed;
	size_t empty_sealed_len;
} F;

static void
die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_api: %s: %s\n", what, err);
	abort();
}

static void
b64pem_of(struct ident *id)
{
	char pem[2 * X509_DER_MAX];
	size_t plen;
	long n;

	if (pem_encode("CERTIFICATE", id->der, id->len, pem, sizeof(pem), &plen) < 0 ||
	    (n = base64_encode((const uint8_t *)pem, plen, id->b64pem, sizeof(id->b64pem))) < 0)
		die("base64 of PEM", "encoding");
	id->b64len = (size_t)n;
	x509_der_sha256(id->der, id->len, id->hash);
}

static void
make_device(struct ident *id, const char *name)
{
	char path[128], err[512];
	uint8_t serial[X509_SERIAL_LEN];

	snprintf(path, sizeof(path), "%s/%s.key.pem", F.dir, name);
	if (idkey_soft_open(&id->k, path, true, err) < 0)
		die(path, err);
	if (x509_serial_random(serial) < 0 ||
	    x509_device_cert_write(name, time(NULL), serial, &id->k.signer, id->der,
				   sizeof(id->der), &id->len, err, sizeof(err)) < 0)
		die("device certificate", err);
	b64pem_of(id);
}

static void
cleanup(void)
{
	char cmd[128];

	store_close(&F.st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_api: could not remove %s\n", F.dir);
}

static void
init(void)
{
	struct pki_params p = { .enterprise = "acme" };
	char path[128], pki[96], err[PKI_ERR_MAX], *text;
	size_t tlen;
	struct store_onboard ob;

	snprintf(F.dir, sizeof(F.dir), "/tmp/fuzz-api.XXXXXX");
	if (!mkdtemp(F.dir))
		die("mkdtemp", "failed");
	atexit(cleanup);
	snprintf(pki, sizeof(pki), "%s/pki", F.dir);
	p.dir = pki;
	if (pki_init(&p, err) < 0)
		die("pki_init", err);
	snprintf(path, sizeof(path), "%s/signing.key.pem", pki);
	if (idkey_soft_open(&F.signing, path, false, err) < 0)
		die(path, err);
	snprintf(path, sizeof(path), "%s/signing.cert.pem", pki);
	if (atomicfile_read(path, 1 << 20, &text, &tlen, err, sizeof(err)) < 0 ||
	    ctrl_certs_build(text, tlen, NULL, &F.certs, &F.certs_len, F.ctx.signing_cert_hash, err,
			     sizeof(err)) < 0)
		die(path, err);
	{
		uint8_t der[X509_DER_MAX];
		size_t dl;

		if (pem_decode_first(text, tlen, "CERTIFICATE", der, sizeof(der), &dl, err,
				     sizeof(err)) < 0 ||
		    auth_key_from_cert(&F.reply_key, der, dl, err) < 0)
			die("signing certificate", err);
	}
	free(text);
	snprintf(path, sizeof(path), "%s/onboard.cert.pem", pki);
	if (atomicfile_read(path, 1 << 20, &text, &tlen, err, sizeof(err)) < 0 ||
	    pem_decode_first(text, tlen, "CERTIFICATE", F.onboard.der, sizeof(F.onboard.der),
			     &F.onboard.len, err, sizeof(err)) < 0)
		die(path, err);
	free(text);
	b64pem_of(&F.onboard);
	snprintf(path, sizeof(path), "%s/onboard.key.pem", pki);
	if (idkey_soft_open(&F.onboard.k, path, false, err) < 0)
		die(path, err);
	make_device(&F.dev, "FUZZ-1");
	make_device(&F.stranger, "stranger");

	snprintf(path, sizeof(path), "%s/evc.db", F.dir);
	if (store_open(&F.st, path) < 0)
		die("store", F.st.err);
	sqlite3_exec(F.st.db, "PRAGMA synchronous=OFF", NULL, NULL, NULL);
	F.st.history = 20;
	if (store_onboard_add(&F.st, "acme", "p1", F.onboard.der, F.onboard.len, F.onboard.hash,
			      "FUZZ-1") < 0 ||
	    store_onboard_find(&F.st, F.onboard.hash, &ob) < 0 ||
	    store_device_register(&F.st, ob.id, F.dev.der, F.dev.len, F.dev.hash, "FUZZ-1", "",
				  F.uuid) != 1)
		die("store", F.st.err);
	store_onboard_free(&ob);

	F.ctx.st = &F.st;
	F.ctx.signer = &F.signing.signer;
	F.ctx.certs_payload = F.certs;
	F.ctx.certs_len = F.certs_len;
	if (auth_seal((const uint8_t *)"", 0, &F.dev.k.signer, F.dev.hash, NULL, 0,
		      &F.empty_sealed, &F.empty_sealed_len, err) < 0)
		die("seal", err);
	F.ready = true;
}

/* A ZRegisterMsg from the fuzzer without pemCert gets the device's. */
static uint8_t *
with_device_cert(const uint8_t *d, size_t n, size_t *out_len)
{
	Org__Lfedge__Eve__Register__ZRegisterMsg *m;
	uint8_t *out, *orig;

	m = org__lfedge__eve__register__zregister_msg__unpack(NULL, n, d);
	if (!m || m->pemcert.len) {
		if (m)
			org__lfedge__eve__register__zregister_msg__free_unpacked(m, NULL);
		return NULL;
	}
	orig = m->pemcert.data;
	m->pemcert.data = (uint8_t *)F.dev.b64pem;
	m->pemcert.len = F.dev.b64len;
	*out_len = org__lfedge__eve__register__zregister_msg__get_packed_size(m);
	out = malloc(*out_len + 1);
	if (out)
		org__lfedge__eve__register__zregister_msg__pack(m, out);
	m->pemcert.data = orig; /* F.dev's is not the message's to free */
	m->pemcert.len = 0;
	org__lfedge__eve__register__zregister_msg__free_unpacked(m, NULL);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_request rq = { 0 };
	struct api_response r;
	const char *op;
	char path[160], err[AUTH_ERR_MAX];
	uint8_t *body = NULL, *filled = NULL, *payload;
	size_t blen = 0, plen, flen;
	bool v1, reg;
	int mode;

	if (!F.ready)
		init();
	if (size < 1)
		return 0;
	op = PATHS[(data[0] & 15) % N_PATHS];
	reg = strcmp(op, "register") == 0;
	v1 = data[0] & 0x20;
	mode = data[0] >> 6;
	rq.method = data[0] & 0x10 ? "GET" : "POST";
	data++;
	size--;
	if (v1) {
		const struct ident *peer[] = { NULL, reg ? &F.onboard : &F.dev, &F.onboard,
					       &F.stranger };

		snprintf(path, sizeof(path), "/api/v1/edgedevice/%s", op);
		if (peer[mode]) {
			rq.peer_cert = peer[mode]->der;
			rq.peer_cert_len = peer[mode]->len;
		}
		rq.body = data;
		rq.len = size;
	} else {
		if (mode == 3 && strncmp(op, "id/", 3) != 0)
			snprintf(path, sizeof(path), "/api/v2/edgedevice/id/%s/%s", F.uuid, op);
		else
			snprintf(path, sizeof(path), "/api/v2/edgedevice/%s", op);
		if (mode == 0) {
			rq.body = data;
			rq.len = size;
		} else if (mode == 2) {
			blen = F.empty_sealed_len;
			body = malloc(blen);
			memcpy(body, F.empty_sealed, blen);
			for (size_t i = 0; i < size && i < blen; i++)
				body[i] ^= data[i];
		} else if (reg) {
			const uint8_t *p = data;

			if ((filled = with_device_cert(data, size, &flen))) {
				p = filled;
				size = flen;
			}
			if (auth_seal(p, size, &F.onboard.k.signer, F.onboard.hash,
				      (const uint8_t *)F.onboard.b64pem, F.onboard.b64len, &body,
				      &blen, err) < 0)
				die("seal", err);
		} else if (auth_seal(data, size, &F.dev.k.signer, F.dev.hash, NULL, 0, &body, &blen,
				     err) < 0) {
			die("seal", err);
		}
		if (body) {
			rq.body = body;
			rq.len = blen;
		}
	}
	rq.path = path;

	api_handle(&F.ctx, &rq, &r);
	if (getenv("FUZZ_API_TRACE")) /* to see where a corpus file lands */
		fprintf(stderr, "%s %s (%zu bytes)%s -> %d %.*s\n", rq.method, rq.path, rq.len,
			rq.peer_cert ? " with client cert" : "", r.status,
			r.status >= 300 ? (int)r.len : 0, r.body ? (const char *)r.body : "");
	if (r.status < 200 || r.status > 599)
		abort();
	if (r.status >= 300 && (!r.content_type || strcmp(r.content_type, "text/plain") != 0))
		abort();
	if (r.status < 300 && r.body && (!v1 || strcmp(op, "certs") == 0)) {
		if (auth_open(r.body, r.len, &F.reply_key, 1, &payload, &plen, NULL, err) < 0)
			die("a v2 reply that does not verify", err);
		free(payload);
	}
	api_response_free(&r);
	free(body);
	free(filled);
	return 0;
}
