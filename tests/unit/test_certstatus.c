/* Unit tests: dom0/auth/certstatus and its use in the certs reply
 * (controller/ctrl_certs -> dom0/evc/ctrlcerts), with PKIs from pki_init. */
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
#include "certstatus.h"
#include "ctrl_certs.h"
#include "ctrlcerts.h"
#include "idkey.h"
#include "pem.h"
#include "pki.h"
#include "store.h"
#include "x509_read.h"

static char dir[] = "/tmp/test-certstatus.XXXXXX";
static char pa[64];
static uint8_t root_der[X509_DER_MAX], status_der[X509_DER_MAX], signing_der[X509_DER_MAX];
static size_t root_len, status_len, signing_len;

static void
der_of(const char *file, uint8_t *der, size_t *len)
{
	char path[128], *pem, err[256];
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", pa, file);
	assert_int_equal(atomicfile_read(path, 1 << 20, &pem, &n, err, sizeof(err)), 0);
	assert_int_equal(pem_decode_first(pem, n, "CERTIFICATE", der, X509_DER_MAX, len, err,
					  sizeof(err)), 0);
	free(pem);
}

static void
key_of(const char *file, struct idkey *k)
{
	char path[128], err[256];

	snprintf(path, sizeof(path), "%s/%s", pa, file);
	assert_int_equal(idkey_soft_open(k, path, false, err), 0);
}

static int
setup(void **state)
{
	struct pki_params p = { .enterprise = "e" };
	char err[PKI_ERR_MAX];

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(pa, sizeof(pa), "%s/a", dir);
	p.dir = pa;
	if (pki_init(&p, err) < 0)
		return -1;
	der_of("root-certificate.pem", root_der, &root_len);
	der_of("status.cert.pem", status_der, &status_len);
	der_of("signing.cert.pem", signing_der, &signing_len);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int
check(const uint8_t *st, size_t len, const uint8_t hash[32], time_t now, char *err)
{
	const uint8_t *a[1] = { root_der };
	size_t al[1] = { root_len };

	return certstatus_check(st, len, hash, a, al, 1, now, err);
}

static void
test_good_revoked_stale(void **state)
{
	struct idkey k;
	uint8_t h[32], *st;
	size_t len;
	time_t now = time(NULL);
	char err[CERTSTATUS_ERR_MAX];

	(void)state;
	key_of("status.key.pem", &k);
	x509_der_sha256(signing_der, signing_len, h);
	assert_int_equal(certstatus_make(h, CERTSTATUS_GOOD, now, now + 3600, 0, &k.signer,
					 status_der, status_len, &st, &len, err), 0);
	assert_int_equal(check(st, len, h, now, err), 0);
	/* stale an hour (and the skew) later; not yet valid long before */
	assert_int_equal(check(st, len, h, now + 3600 + CERTSTATUS_SKEW, err), -ESTALE);
	assert_non_null(strstr(err, "stale"));
	assert_int_equal(check(st, len, h, now - CERTSTATUS_SKEW - 10, err), -ESTALE);
	/* about another certificate */
	uint8_t other[32];
	memset(other, 1, 32);
	assert_int_equal(check(st, len, other, now, err), -EBADMSG);
	/* tampered: flip a byte of the signed part */
	st[4] ^= 1;
	assert_true(check(st, len, h, now, err) < 0);
	free(st);
	assert_int_equal(certstatus_make(h, CERTSTATUS_REVOKED, now, now + 3600, now - 5, &k.signer,
					 status_der, status_len, &st, &len, err), 0);
	assert_int_equal(check(st, len, h, now, err), -EKEYREVOKED);
	assert_non_null(strstr(err, "REVOKED"));
	free(st);
	idkey_close(&k);
}

static void
test_responder_must_be_a_status_signer(void **state)
{
	struct idkey k;
	uint8_t h[32], *st;
	size_t len;
	time_t now = time(NULL);
	char err[CERTSTATUS_ERR_MAX];

	(void)state;
	/* the signing certificate chains to the root but is no status signer */
	key_of("signing.key.pem", &k);
	x509_der_sha256(signing_der, signing_len, h);
	assert_int_equal(certstatus_make(h, CERTSTATUS_GOOD, now, now + 3600, 0, &k.signer,
					 signing_der, signing_len, &st, &len, err), 0);
	assert_int_equal(check(st, len, h, now, err), -EKEYREJECTED);
	assert_non_null(strstr(err, "not a current status signer"));
	free(st);
	/* the status certificate, but signed with another key */
	assert_int_equal(certstatus_make(h, CERTSTATUS_GOOD, now, now + 3600, 0, &k.signer,
					 status_der, status_len, &st, &len, err), 0);
	assert_int_equal(check(st, len, h, now, err), -EKEYREJECTED);
	free(st);
	idkey_close(&k);
	uint8_t junk[20] = { 0xff };
	assert_int_equal(check(junk, sizeof(junk), h, now, err), -EBADMSG);
}

/* The whole path: controller's certs reply with statuses, device's check. */
static int
reply_and_verify(bool with_status, bool revoke, bool require, char *err)
{
	struct idkey sk, stk;
	struct store st;
	struct ctrlcerts cc;
	struct ctrl_certs_status cs;
	uint8_t *payload, *body, hash[32];
	size_t plen, blen, clen;
	char *chain, path[128], e[512];
	const uint8_t *a[1] = { root_der };
	size_t al[1] = { root_len };
	int rc;

	snprintf(path, sizeof(path), "%s/evc.db", pa);
	assert_int_equal(store_open(&st, path), 0);
	if (revoke) {
		x509_der_sha256(signing_der, signing_len, hash);
		assert_int_equal(store_cert_revoke(&st, hash), 0);
	}
	key_of("status.key.pem", &stk);
	cs = (struct ctrl_certs_status){ &stk.signer, status_der, status_len, &st, time(NULL), 600 };
	snprintf(path, sizeof(path), "%s/signing.cert.pem", pa);
	assert_int_equal(atomicfile_read(path, 1 << 20, &chain, &clen, e, sizeof(e)), 0);
	assert_int_equal(ctrl_certs_build(chain, clen, with_status ? &cs : NULL, &payload, &plen,
					  hash, e, sizeof(e)), 0);
	key_of("signing.key.pem", &sk);
	assert_int_equal(auth_seal(payload, plen, &sk.signer, hash, NULL, 0, &body, &blen, e), 0);
	rc = ctrlcerts_verify(body, blen, a, al, 1, time(NULL), require, &cc, err);
	free(body);
	free(payload);
	free(chain);
	idkey_close(&sk);
	idkey_close(&stk);
	store_close(&st);
	return rc;
}

static void
test_certs_reply_with_status(void **state)
{
	char err[CTRLCERTS_ERR_MAX];

	(void)state;
	assert_int_equal(reply_and_verify(true, false, true, err), 0);
	/* a controller that sends no status (EVE's): fine unless required */
	assert_int_equal(reply_and_verify(false, false, false, err), 0);
	assert_int_equal(reply_and_verify(false, false, true, err), -ENODATA);
	assert_non_null(strstr(err, "no certificate status, and /config requires one"));
	/* revoked: refused whether required or not */
	assert_int_equal(reply_and_verify(true, true, false, err), -EKEYREVOKED);
	assert_non_null(strstr(err, "REVOKED"));
	assert_int_equal(reply_and_verify(true, true, true, err), -EKEYREVOKED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_revoked_stale),
		cmocka_unit_test(test_responder_must_be_a_status_signer),
		cmocka_unit_test(test_certs_reply_with_status),
	};
	return cmocka_run_group_tests_name("certstatus", tests, setup, teardown);
}
