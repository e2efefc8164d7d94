/*
 * Unit tests: dom0/auth — AuthContainer sealing and checking, with keys and
 * certificates made by the openssl CLI (a tool we did not write) and the
 * signatures we make checked by `openssl dgst -verify` too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <bearssl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "auth/auth.pb-c.h"

static char dir[] = "/tmp/test-auth.XXXXXX";

struct soft_signer {
	struct signer s;
	br_ec_private_key sk;
	uint8_t x[32];
};

static int
soft_sign(struct signer *s, const uint8_t hash[32], uint8_t sig[SIGNER_SIG_LEN])
{
	struct soft_signer *ss = (struct soft_signer *)s;
	size_t n = br_ecdsa_sign_raw_get_default()(br_ec_get_default(), &br_sha256_vtable, hash,
						   &ss->sk, sig);
	return n == 64 ? 0 : -EIO;
}

static uint8_t *
slurp(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	uint8_t *b = malloc(1 << 16);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	*len = fread(b, 1, 1 << 16, f);
	fclose(f);
	return b;
}

static void
spit(const char *name, const void *d, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(d, 1, len, f), len);
	fclose(f);
}

static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* An EC P-256 key and self-signed cert NAME.{key.der,cert.der} by openssl. */
static void
make_ec(const char *name)
{
	assert_int_equal(sh("cd %s && openssl ecparam -name prime256v1 -genkey -noout -out %s.key.pem "
			    "&& openssl ec -in %s.key.pem -outform DER -out %s.key.der 2>/dev/null "
			    "&& openssl req -new -x509 -key %s.key.pem -subj /CN=%s -days 2 "
			    "-outform DER -out %s.cert.der", dir, name, name, name, name, name, name), 0);
}

static void
load_signer(const char *name, struct soft_signer *ss)
{
	br_skey_decoder_context dc;
	const br_ec_private_key *k;
	size_t len;
	uint8_t *der;
	char file[64];

	snprintf(file, sizeof(file), "%s.key.der", name);
	der = slurp(file, &len);
	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	k = br_skey_decoder_get_ec(&dc);
	assert_non_null(k);
	assert_true(k->xlen <= 32);
	memcpy(ss->x, k->x, k->xlen);
	ss->sk = (br_ec_private_key){ k->curve, ss->x, k->xlen };
	ss->s.sign = soft_sign;
	free(der);
}

static void
load_key(const char *name, struct auth_key *k)
{
	char file[64], err[AUTH_ERR_MAX];
	size_t len;
	uint8_t *der;

	snprintf(file, sizeof(file), "%s.cert.der", name);
	der = slurp(file, &len);
	assert_int_equal(auth_key_from_cert(k, der, len, err), 0);
	free(der);
}

static int
setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	make_ec("a");
	make_ec("b");
	if (sh("cd %s && openssl req -new -x509 -newkey rsa:2048 -nodes -keyout r.key.pem -subj /CN=r "
	       "-days 2 -outform DER -out r.cert.der 2>/dev/null", dir) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sh("rm -rf %s", dir);
	return 0;
}

static const uint8_t msg[] = "an inner protobuf message, as bytes";

static void
seal(const char *who, const uint8_t *payload, size_t len, uint8_t **out, size_t *out_len)
{
	struct soft_signer ss;
	struct auth_key k;
	char err[AUTH_ERR_MAX];

	load_signer(who, &ss);
	load_key(who, &k);
	assert_int_equal(auth_seal(payload, len, &ss.s, k.cert_hash, NULL, 0, out, out_len, err), 0);
}

static void
test_seal_open_round_trip(void **state)
{
	struct auth_key keys[2];
	uint8_t *body, *payload;
	size_t blen, plen, which = 99;
	char err[AUTH_ERR_MAX];

	(void)state;
	load_key("b", &keys[0]);
	load_key("a", &keys[1]);
	seal("a", msg, sizeof(msg), &body, &blen);
	assert_int_equal(auth_open(body, blen, keys, 2, &payload, &plen, &which, err), 0);
	assert_int_equal(plen, sizeof(msg));
	assert_memory_equal(payload, msg, sizeof(msg));
	assert_int_equal(which, 1);
	free(payload);
	free(body);
	/* an empty payload is a valid message too */
	seal("a", (const uint8_t *)"", 0, &body, &blen);
	assert_int_equal(auth_open(body, blen, keys, 2, &payload, &plen, NULL, err), 0);
	assert_int_equal(plen, 0);
	free(payload);
	free(body);
}

static void
test_wire_fields_as_eve_expects(void **state)
{
	Org__Lfedge__Eve__Auth__AuthContainer *ac;
	struct auth_key k;
	uint8_t *body;
	size_t blen;

	(void)state;
	load_key("a", &k);
	seal("a", msg, sizeof(msg), &body, &blen);
	ac = org__lfedge__eve__auth__auth_container__unpack(NULL, blen, body);
	assert_non_null(ac);
	assert_int_equal(ac->algo, 2); /* HASH_ALGORITHM_SHA256_32BYTES */
	assert_int_equal(ac->sendercerthash.len, 32);
	assert_memory_equal(ac->sendercerthash.data, k.cert_hash, 32);
	assert_int_equal(ac->signaturehash.len, 64); /* raw r||s, not ASN.1 */
	assert_int_equal(ac->sendercert.len, 0);
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	free(body);
	/* senderCertHash is SHA-256 of the certificate DER, as openssl computes it */
	assert_int_equal(sh("cd %s && openssl dgst -sha256 -binary a.cert.der > a.hash", dir), 0);
	size_t hl;
	uint8_t *h = slurp("a.hash", &hl);
	assert_int_equal(hl, 32);
	assert_memory_equal(h, k.cert_hash, 32);
	free(h);
}

static void
test_signature_checked_by_openssl(void **state)
{
	Org__Lfedge__Eve__Auth__AuthContainer *ac;
	uint8_t *body, der[80];
	size_t blen, dlen;

	(void)state;
	seal("a", msg, sizeof(msg), &body, &blen);
	ac = org__lfedge__eve__auth__auth_container__unpack(NULL, blen, body);
	assert_non_null(ac);
	memcpy(der, ac->signaturehash.data, 64);
	dlen = br_ecdsa_raw_to_asn1(der, 64);
	assert_true(dlen > 0);
	spit("sig.der", der, dlen);
	spit("payload", ac->protectedpayload->payload.data, ac->protectedpayload->payload.len);
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	free(body);
	assert_int_equal(sh("cd %s && openssl ec -in a.key.pem -pubout -out a.pub.pem 2>/dev/null && "
			    "openssl dgst -sha256 -verify a.pub.pem -signature sig.der payload "
			    ">/dev/null", dir), 0);
}

static void
test_unknown_signer_refused(void **state)
{
	struct auth_key kb;
	uint8_t *body, *payload;
	size_t blen, plen;
	char err[AUTH_ERR_MAX];

	(void)state;
	load_key("b", &kb);
	seal("a", msg, sizeof(msg), &body, &blen);
	assert_int_equal(auth_open(body, blen, &kb, 1, &payload, &plen, NULL, err), -EKEYREJECTED);
	assert_non_null(strstr(err, "signed by an unknown certificate"));
	assert_null(payload);
	free(body);
}

/* Re-packs a container after fn changed it. */
static void
mutate(uint8_t **body, size_t *blen, void (*fn)(Org__Lfedge__Eve__Auth__AuthContainer *, void *),
       void *arg)
{
	Org__Lfedge__Eve__Auth__AuthContainer *ac;
	uint8_t *nb;

	ac = org__lfedge__eve__auth__auth_container__unpack(NULL, *blen, *body);
	assert_non_null(ac);
	fn(ac, arg);
	nb = malloc(org__lfedge__eve__auth__auth_container__get_packed_size(ac) + 1);
	*blen = org__lfedge__eve__auth__auth_container__pack(ac, nb);
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	free(*body);
	*body = nb;
}

static void
flip_payload(Org__Lfedge__Eve__Auth__AuthContainer *ac, void *arg)
{
	(void)arg;
	ac->protectedpayload->payload.data[3] ^= 1;
}

static void
set_hash_to(Org__Lfedge__Eve__Auth__AuthContainer *ac, void *arg)
{
	memcpy(ac->sendercerthash.data, arg, 32);
}

static void
set_algo_invalid(Org__Lfedge__Eve__Auth__AuthContainer *ac, void *arg)
{
	(void)arg;
	ac->algo = 0;
}

static void
set_algo_16(Org__Lfedge__Eve__Auth__AuthContainer *ac, void *arg)
{
	(void)arg;
	ac->algo = 1;
	ac->sendercerthash.len = 16;
}

static void
test_tampering_refused(void **state)
{
	struct auth_key ka, kb;
	uint8_t *body, *payload;
	size_t blen, plen;
	char err[AUTH_ERR_MAX];

	(void)state;
	load_key("a", &ka);
	load_key("b", &kb);
	/* payload changed after signing */
	seal("a", msg, sizeof(msg), &body, &blen);
	mutate(&body, &blen, flip_payload, NULL);
	assert_int_equal(auth_open(body, blen, &ka, 1, &payload, &plen, NULL, err), -EBADE);
	assert_non_null(strstr(err, "does not verify"));
	free(body);
	/* signed by b, claiming to be a */
	seal("b", msg, sizeof(msg), &body, &blen);
	mutate(&body, &blen, set_hash_to, ka.cert_hash);
	assert_int_equal(auth_open(body, blen, &ka, 1, &payload, &plen, NULL, err), -EBADE);
	free(body);
	/* unsupported hash algorithm */
	seal("a", msg, sizeof(msg), &body, &blen);
	mutate(&body, &blen, set_algo_invalid, NULL);
	assert_int_equal(auth_open(body, blen, &ka, 1, &payload, &plen, NULL, err), -EBADMSG);
	assert_non_null(strstr(err, "unsupported hash algorithm 0"));
	free(body);
	/* the 16-byte hash form EVE also knows is accepted */
	seal("a", msg, sizeof(msg), &body, &blen);
	mutate(&body, &blen, set_algo_16, NULL);
	assert_int_equal(auth_open(body, blen, &ka, 1, &payload, &plen, NULL, err), 0);
	free(payload);
	free(body);
}

static void
test_missing_payload(void **state)
{
	struct auth_key ka;
	uint8_t *body, *payload;
	size_t blen, plen;
	char err[AUTH_ERR_MAX];
	Org__Lfedge__Eve__Auth__AuthContainer *ac;
	uint8_t nb[256];

	(void)state;
	load_key("a", &ka);
	seal("a", msg, sizeof(msg), &body, &blen);
	ac = org__lfedge__eve__auth__auth_container__unpack(NULL, blen, body);
	Org__Lfedge__Eve__Auth__AuthBody *keep = ac->protectedpayload;
	ac->protectedpayload = NULL;
	blen = org__lfedge__eve__auth__auth_container__pack(ac, nb);
	ac->protectedpayload = keep;
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	assert_int_equal(auth_open(nb, blen, &ka, 1, &payload, &plen, NULL, err), -EBADMSG);
	assert_string_equal(err, "AuthContainer: no protectedPayload");
	free(body);
}

static void
test_truncated_and_garbage(void **state)
{
	struct auth_key ka;
	uint8_t *body, *payload;
	size_t blen, plen;
	char err[AUTH_ERR_MAX];
	uint8_t junk[64];

	(void)state;
	load_key("a", &ka);
	seal("a", msg, sizeof(msg), &body, &blen);
	for (size_t n = 0; n < blen; n++) {
		int rc = auth_open(body, n, &ka, 1, &payload, &plen, NULL, err);
		if (rc == 0)
			fail_msg("a %zu-byte prefix of a %zu-byte container was accepted", n, blen);
		assert_null(payload);
		assert_true(err[0] != '\0');
	}
	memset(junk, 0xff, sizeof(junk));
	assert_int_equal(auth_open(junk, sizeof(junk), &ka, 1, &payload, &plen, NULL, err),
			 -EBADMSG);
	assert_non_null(strstr(err, "not a valid protobuf AuthContainer"));
	assert_int_equal(auth_open(body, AUTH_MAX_BODY + 1, &ka, 1, &payload, &plen, NULL, err),
			 -EMSGSIZE);
	free(body);
}

static void
test_rsa_controller_key(void **state)
{
	Org__Lfedge__Eve__Auth__AuthContainer ac = ORG__LFEDGE__EVE__AUTH__AUTH_CONTAINER__INIT;
	Org__Lfedge__Eve__Auth__AuthBody ab = ORG__LFEDGE__EVE__AUTH__AUTH_BODY__INIT;
	struct auth_key kr;
	uint8_t *payload, *sig, nb[1024];
	size_t siglen, blen, plen;
	char err[AUTH_ERR_MAX];

	(void)state;
	load_key("r", &kr);
	assert_int_equal(kr.type, BR_KEYTYPE_RSA);
	/* openssl makes the PKCS#1 v1.5 SHA-256 signature */
	spit("rmsg", msg, sizeof(msg));
	assert_int_equal(sh("cd %s && openssl dgst -sha256 -sign r.key.pem -out rsig rmsg", dir), 0);
	sig = slurp("rsig", &siglen);
	assert_int_equal(siglen, 256);
	ab.payload.data = (uint8_t *)msg;
	ab.payload.len = sizeof(msg);
	ac.protectedpayload = &ab;
	ac.algo = 2;
	ac.sendercerthash.data = kr.cert_hash;
	ac.sendercerthash.len = 32;
	ac.signaturehash.data = sig;
	ac.signaturehash.len = siglen;
	blen = org__lfedge__eve__auth__auth_container__pack(&ac, nb);
	assert_int_equal(auth_open(nb, blen, &kr, 1, &payload, &plen, NULL, err), 0);
	assert_memory_equal(payload, msg, sizeof(msg));
	free(payload);
	sig[10] ^= 0x40;
	blen = org__lfedge__eve__auth__auth_container__pack(&ac, nb);
	assert_int_equal(auth_open(nb, blen, &kr, 1, &payload, &plen, NULL, err), -EBADE);
	free(sig);
}

static void
test_sender_cert(void **state)
{
	struct soft_signer ss;
	struct auth_key k;
	uint8_t *body, *cert;
	size_t blen, clen;
	char err[AUTH_ERR_MAX];
	static const uint8_t pem_b64[] = "LS0tLS1CRUdJTi...";

	(void)state;
	load_signer("a", &ss);
	load_key("a", &k);
	assert_int_equal(auth_seal(msg, sizeof(msg), &ss.s, k.cert_hash, pem_b64, sizeof(pem_b64),
				   &body, &blen, err), 0);
	assert_int_equal(auth_sender_cert(body, blen, &cert, &clen, err), 0);
	assert_int_equal(clen, sizeof(pem_b64));
	assert_memory_equal(cert, pem_b64, clen);
	free(cert);
	free(body);
	seal("a", msg, sizeof(msg), &body, &blen);
	assert_int_equal(auth_sender_cert(body, blen, &cert, &clen, err), -ENOENT);
	free(body);
}

static void
test_sender_hash_peek(void **state)
{
	struct auth_key k;
	uint8_t *body, h[32];
	size_t blen, hl;
	char err[AUTH_ERR_MAX];

	(void)state;
	load_key("a", &k);
	seal("a", msg, sizeof(msg), &body, &blen);
	assert_int_equal(auth_sender_hash(body, blen, h, &hl, err), 0);
	assert_int_equal(hl, 32);
	assert_memory_equal(h, k.cert_hash, 32);
	assert_int_equal(auth_sender_hash(body, 3, h, &hl, err), -EBADMSG);
	free(body);
}

static void
test_bad_certificates(void **state)
{
	struct auth_key k;
	char err[AUTH_ERR_MAX];
	uint8_t junk[100] = { 0x30, 0x10 };

	(void)state;
	assert_int_equal(auth_key_from_cert(&k, junk, sizeof(junk), err), -EBADMSG);
	assert_non_null(strstr(err, "not a decodable X.509"));
	/* a P-384 key is refused by name */
	assert_int_equal(sh("cd %s && openssl req -new -x509 -newkey ec -pkeyopt "
			    "ec_paramgen_curve:P-384 -nodes -keyout p384.key -subj /CN=p "
			    "-days 2 -outform DER -out p384.cert.der 2>/dev/null", dir), 0);
	size_t len;
	uint8_t *der = slurp("p384.cert.der", &len);
	assert_int_equal(auth_key_from_cert(&k, der, len, err), -EBADMSG);
	assert_non_null(strstr(err, "only P-256"));
	free(der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_open_round_trip),
		cmocka_unit_test(test_wire_fields_as_eve_expects),
		cmocka_unit_test(test_signature_checked_by_openssl),
		cmocka_unit_test(test_unknown_signer_refused),
		cmocka_unit_test(test_tampering_refused),
		cmocka_unit_test(test_missing_payload),
		cmocka_unit_test(test_truncated_and_garbage),
		cmocka_unit_test(test_rsa_controller_key),
		cmocka_unit_test(test_sender_cert),
		cmocka_unit_test(test_sender_hash_peek),
		cmocka_unit_test(test_bad_certificates),
	};
	return cmocka_run_group_tests_name("auth", tests, setup, teardown);
}
