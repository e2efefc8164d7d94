/*
 * Unit tests: dom0/evc/ctrlcerts (device) against controller/ctrl_certs
 * (controller), with real PKIs made by pki_init: the device accepts exactly
 * a certs reply signed by a signing certificate that chains to its root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atomicfile.h"
#include "auth.h"
#include "ctrl_certs.h"
#include "ctrlcerts.h"
#include "idkey.h"
#include "pki.h"
#include "x509_read.h"

#include "certs/certs.pb-c.h"

static char dir[] = "/tmp/test-ctrlcerts.XXXXXX";
static char pa[64], pb[64];

static int
setup(void **state)
{
	struct pki_params p = { .enterprise = "e" };
	char err[PKI_ERR_MAX];

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	p.dir = pa;
	if (pki_init(&p, err) < 0)
		return -1;
	p.dir = pb;
	return pki_init(&p, err) < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static char *
slurp(const char *d, const char *f, size_t *len)
{
	char path[128], *data, err[256];

	snprintf(path, sizeof(path), "%s/%s", d, f);
	assert_int_equal(atomicfile_read(path, 1 << 20, &data, len, err, sizeof(err)), 0);
	return data;
}

/* A certs reply from PKI `d`'s signing chain, sealed with key file `keyf`. */
static void
reply(const char *d, const char *keyd, const char *keyf, uint8_t **body, size_t *blen)
{
	struct idkey k;
	uint8_t *payload, hash[32];
	size_t plen, clen;
	char *chain, err[512], path[128];

	chain = slurp(d, "signing.cert.pem", &clen);
	assert_int_equal(ctrl_certs_build(chain, clen, NULL, &payload, &plen, hash, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/%s", keyd, keyf);
	assert_int_equal(idkey_soft_open(&k, path, false, err), 0);
	assert_int_equal(auth_seal(payload, plen, &k.signer, hash, NULL, 0, body, blen, err), 0);
	idkey_close(&k);
	free(payload);
	free(chain);
}

static int
verify_with_root(const char *rootd, const uint8_t *body, size_t blen, time_t now,
		 struct ctrlcerts *cc, char *err)
{
	static uint8_t storage[65536];
	const uint8_t *der[CTRLCERTS_ANCHORS_MAX];
	size_t dl[CTRLCERTS_ANCHORS_MAX], n, len;
	char *root = slurp(rootd, "root-certificate.pem", &len);
	int rc;

	assert_int_equal(ctrlcerts_load_anchors(root, len, storage, sizeof(storage), der, dl, &n,
						err, 256), 0);
	free(root);
	rc = ctrlcerts_verify(body, blen, der, dl, n, now, false, cc, err);
	return rc;
}

static void
test_good_reply_gives_the_signing_key(void **state)
{
	struct ctrlcerts cc;
	uint8_t *body, *reply2, *payload;
	size_t blen, r2len, plen;
	char err[CTRLCERTS_ERR_MAX];

	(void)state;
	reply(pa, pa, "signing.key.pem", &body, &blen);
	assert_int_equal(verify_with_root(pa, body, blen, time(NULL), &cc, err), 0);
	assert_string_equal(cc.signer_cn, "Edgevisor controller signing");
	assert_int_equal(cc.nkeys, 2);
	/* the key then checks any later reply of that controller */
	reply(pa, pa, "signing.key.pem", &reply2, &r2len);
	assert_int_equal(auth_open(reply2, r2len, cc.keys, cc.nkeys, &payload, &plen, NULL, err), 0);
	free(payload);
	free(reply2);
	free(body);
}

static void
test_wrong_root_refused(void **state)
{
	struct ctrlcerts cc;
	uint8_t *body;
	size_t blen;
	char err[CTRLCERTS_ERR_MAX];

	(void)state;
	reply(pb, pb, "signing.key.pem", &body, &blen);
	assert_int_equal(verify_with_root(pa, body, blen, time(NULL), &cc, err), -EKEYREJECTED);
	assert_non_null(strstr(err, "does not chain to the root"));
	free(body);
}

static void
test_signed_by_another_key_refused(void **state)
{
	struct ctrlcerts cc;
	uint8_t *body;
	size_t blen;
	char err[CTRLCERTS_ERR_MAX];

	(void)state;
	/* the right chain inside, sealed by the TLS server key instead */
	reply(pa, pa, "server.key.pem", &body, &blen);
	assert_true(verify_with_root(pa, body, blen, time(NULL), &cc, err) < 0);
	assert_non_null(strstr(err, "does not verify"));
	assert_int_equal(cc.nkeys, 0);
	free(body);
}

static void
test_expired_refused(void **state)
{
	struct ctrlcerts cc;
	uint8_t *body;
	size_t blen;
	char err[CTRLCERTS_ERR_MAX];

	(void)state;
	reply(pa, pa, "signing.key.pem", &body, &blen);
	assert_int_equal(verify_with_root(pa, body, blen, time(NULL) + 30LL * 365 * 86400, &cc, err),
			 -EKEYEXPIRED);
	free(body);
}

static void
tamper_hash(Org__Lfedge__Eve__Certs__ZControllerCert *zc)
{
	zc->certs[0]->certhash.data[0] ^= 1;
}

static void
drop_signing(Org__Lfedge__Eve__Certs__ZControllerCert *zc)
{
	zc->certs[0]->type = ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_ECDH_EXCHANGE;
}

static void
with_changed_payload(void (*fn)(Org__Lfedge__Eve__Certs__ZControllerCert *), int want,
		     const char *needle)
{
	Org__Lfedge__Eve__Certs__ZControllerCert *zc;
	struct idkey k;
	struct ctrlcerts cc;
	uint8_t *payload, *np, *body, hash[32];
	size_t plen, clen, blen, nlen;
	char *chain, err[CTRLCERTS_ERR_MAX], path[128];

	chain = slurp(pa, "signing.cert.pem", &clen);
	assert_int_equal(ctrl_certs_build(chain, clen, NULL, &payload, &plen, hash, err, 256), 0);
	zc = org__lfedge__eve__certs__zcontroller_cert__unpack(NULL, plen, payload);
	fn(zc);
	nlen = org__lfedge__eve__certs__zcontroller_cert__get_packed_size(zc);
	np = malloc(nlen);
	org__lfedge__eve__certs__zcontroller_cert__pack(zc, np);
	org__lfedge__eve__certs__zcontroller_cert__free_unpacked(zc, NULL);
	snprintf(path, sizeof(path), "%s/signing.key.pem", pa);
	assert_int_equal(idkey_soft_open(&k, path, false, err), 0);
	assert_int_equal(auth_seal(np, nlen, &k.signer, hash, NULL, 0, &body, &blen, err), 0);
	idkey_close(&k);
	assert_int_equal(verify_with_root(pa, body, blen, time(NULL), &cc, err), want);
	if (!strstr(err, needle))
		fail_msg("'%s' does not say '%s'", err, needle);
	free(body);
	free(np);
	free(payload);
	free(chain);
}

static void
test_bad_cert_hash_refused(void **state)
{
	(void)state;
	with_changed_payload(tamper_hash, -EBADMSG, "certHash does not match");
}

static void
test_no_signing_cert(void **state)
{
	(void)state;
	with_changed_payload(drop_signing, -ENOENT, "no controller signing certificate");
}

static void
test_garbage(void **state)
{
	struct ctrlcerts cc;
	uint8_t junk[40];
	char err[CTRLCERTS_ERR_MAX];

	(void)state;
	memset(junk, 0xee, sizeof(junk));
	assert_true(verify_with_root(pa, junk, sizeof(junk), time(NULL), &cc, err) < 0);
	assert_non_null(strstr(err, "certs:"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_reply_gives_the_signing_key),
		cmocka_unit_test(test_wrong_root_refused),
		cmocka_unit_test(test_signed_by_another_key_refused),
		cmocka_unit_test(test_expired_refused),
		cmocka_unit_test(test_bad_cert_hash_refused),
		cmocka_unit_test(test_no_signing_cert),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests_name("ctrlcerts", tests, setup, teardown);
}
