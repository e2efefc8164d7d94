/*
 * Fuzz target: the AuthContainer checking path (auth_open, auth_sender_cert)
 * on hostile bodies.  Byte 0 picks the mode: even — the rest is the body as
 * received; odd — the rest is XORed over a validly sealed container, so the
 * mutations reach the signature and hash checks.  Invariant: whatever is
 * accepted carries the exact payload that was signed.
 */
#include <bearssl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

static const uint8_t payload[] = "the signed payload";
static struct {
	struct signer s;
	br_ec_private_key sk;
	uint8_t x[BR_EC_KBUF_PRIV_MAX_SIZE];
} key;
static struct auth_key trusted;
static uint8_t *sealed;
static size_t sealed_len;

static int
sign(struct signer *s, const uint8_t hash[32], uint8_t sig[SIGNER_SIG_LEN])
{
	(void)s;
	return br_ecdsa_sign_raw_get_default()(br_ec_get_default(), &br_sha256_vtable, hash,
					       &key.sk, sig) == 64 ? 0 : -1;
}

static void
init(void)
{
	br_hmac_drbg_context rng;
	br_ec_public_key pk;
	uint8_t pub[BR_EC_KBUF_PUB_MAX_SIZE];
	char err[AUTH_ERR_MAX];

	/* a fixed key, so runs are reproducible */
	br_hmac_drbg_init(&rng, &br_sha256_vtable, "edgevisor-fuzz-auth", 19);
	if (!br_ec_keygen(&rng.vtable, br_ec_get_default(), &key.sk, key.x, BR_EC_secp256r1) ||
	    br_ec_compute_pub(br_ec_get_default(), &pk, pub, &key.sk) != 65)
		abort();
	key.s.sign = sign;
	trusted.type = BR_KEYTYPE_EC;
	memcpy(trusted.ec_q, pub, 65);
	memset(trusted.cert_hash, 0x5a, 32);
	if (auth_seal(payload, sizeof(payload), &key.s, trusted.cert_hash, NULL, 0, &sealed,
		      &sealed_len, err) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *body, *out = NULL, *cert = NULL;
	size_t blen, olen, clen;
	char err[AUTH_ERR_MAX];
	int rc;

	if (!sealed)
		init();
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		blen = sealed_len;
		body = malloc(blen);
		memcpy(body, sealed, blen);
		for (size_t i = 1; i < size && i - 1 < blen; i++)
			body[i - 1] ^= data[i];
	} else {
		blen = size - 1;
		body = malloc(blen ? blen : 1);
		memcpy(body, data + 1, blen);
	}
	rc = auth_open(body, blen, &trusted, 1, &out, &olen, NULL, err);
	if (rc == 0 && (olen != sizeof(payload) || memcmp(out, payload, olen) != 0))
		abort(); /* accepted something that was never signed */
	if (rc != 0 && (out || !err[0]))
		abort();
	free(out);
	if (auth_sender_cert(body, blen, &cert, &clen, err) == 0 && !cert)
		abort();
	free(cert);
	free(body);
	return 0;
}
