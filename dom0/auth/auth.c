/* auth: EVE's signed AuthContainer envelope.  See auth.h. */
#include "auth.h"
#include "x509_read.h"

#include <bearssl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.pb-c.h"

typedef Org__Lfedge__Eve__Auth__AuthContainer AuthContainer;
typedef Org__Lfedge__Eve__Auth__AuthBody AuthBody;

static void
hex8(const uint8_t *h, char out[17])
{
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void
dn_discard(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
}

int
auth_key_from_cert(struct auth_key *k, const uint8_t *der, size_t len, char err[AUTH_ERR_MAX])
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	int e;

	memset(k, 0, sizeof(*k));
	br_x509_decoder_init(&dc, dn_discard, NULL);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (!pk) {
		e = br_x509_decoder_last_error(&dc);
		snprintf(err, AUTH_ERR_MAX, "signing certificate: not a decodable X.509 "
			 "certificate (%zu bytes, BearSSL error %d)", len, e);
		return -EBADMSG;
	}
	x509_der_sha256(der, len, k->cert_hash);
	k->type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_EC) {
		if (pk->key.ec.curve != BR_EC_secp256r1 || pk->key.ec.qlen != 65) {
			snprintf(err, AUTH_ERR_MAX, "signing certificate: EC key on curve %d, "
				 "only P-256 is accepted", pk->key.ec.curve);
			return -EBADMSG;
		}
		memcpy(k->ec_q, pk->key.ec.q, 65);
		return 0;
	}
	if (pk->key_type == BR_KEYTYPE_RSA) {
		if (pk->key.rsa.nlen > sizeof(k->rsa_n) || pk->key.rsa.elen > sizeof(k->rsa_e) ||
		    pk->key.rsa.nlen < 256) {
			snprintf(err, AUTH_ERR_MAX, "signing certificate: RSA modulus of %zu bits "
				 "(2048 to 4096 accepted)", pk->key.rsa.nlen * 8);
			return -EBADMSG;
		}
		memcpy(k->rsa_n, pk->key.rsa.n, pk->key.rsa.nlen);
		k->rsa_nlen = pk->key.rsa.nlen;
		memcpy(k->rsa_e, pk->key.rsa.e, pk->key.rsa.elen);
		k->rsa_elen = pk->key.rsa.elen;
		return 0;
	}
	snprintf(err, AUTH_ERR_MAX, "signing certificate: key type %d is neither EC nor RSA",
		 pk->key_type);
	return -EBADMSG;
}

int
auth_seal(const uint8_t *payload, size_t len, struct signer *s, const uint8_t cert_hash[32],
	  const uint8_t *sender_cert, size_t sender_cert_len, uint8_t **out, size_t *out_len,
	  char err[AUTH_ERR_MAX])
{
	AuthContainer ac = ORG__LFEDGE__EVE__AUTH__AUTH_CONTAINER__INIT;
	AuthBody body = ORG__LFEDGE__EVE__AUTH__AUTH_BODY__INIT;
	uint8_t hash[32], sig[SIGNER_SIG_LEN];
	size_t n;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (len > AUTH_MAX_BODY) {
		snprintf(err, AUTH_ERR_MAX, "AuthContainer: payload of %zu bytes over the %u limit",
			 len, AUTH_MAX_BODY);
		return -EMSGSIZE;
	}
	x509_der_sha256(payload, len, hash);
	rc = s->sign(s, hash, sig);
	if (rc < 0) {
		snprintf(err, AUTH_ERR_MAX, "AuthContainer: signing failed: %s", strerror(-rc));
		return rc;
	}
	body.payload.data = (uint8_t *)payload;
	body.payload.len = len;
	ac.protectedpayload = &body;
	ac.algo = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES;
	ac.sendercerthash.data = (uint8_t *)cert_hash;
	ac.sendercerthash.len = 32;
	ac.signaturehash.data = sig;
	ac.signaturehash.len = sizeof(sig);
	if (sender_cert) {
		ac.sendercert.data = (uint8_t *)sender_cert;
		ac.sendercert.len = sender_cert_len;
	}
	n = org__lfedge__eve__auth__auth_container__get_packed_size(&ac);
	*out = malloc(n ? n : 1);
	if (!*out)
		return -ENOMEM;
	*out_len = org__lfedge__eve__auth__auth_container__pack(&ac, *out);
	return 0;
}

static int
unpack(const uint8_t *body, size_t len, AuthContainer **ac, char err[AUTH_ERR_MAX])
{
	if (len > AUTH_MAX_BODY) {
		snprintf(err, AUTH_ERR_MAX, "AuthContainer: %zu bytes, over the %u-byte limit", len,
			 AUTH_MAX_BODY);
		return -EMSGSIZE;
	}
	*ac = org__lfedge__eve__auth__auth_container__unpack(NULL, len, body);
	if (!*ac) {
		snprintf(err, AUTH_ERR_MAX, "AuthContainer: %zu bytes that are not a valid "
			 "protobuf AuthContainer", len);
		return -EBADMSG;
	}
	return 0;
}

static int
verify(const struct auth_key *k, const uint8_t hash[32], const uint8_t *sig, size_t siglen,
       char err[AUTH_ERR_MAX])
{
	if (k->type == BR_KEYTYPE_EC) {
		br_ec_public_key pk = { BR_EC_secp256r1, (unsigned char *)k->ec_q, 65 };

		if (siglen != 64) {
			snprintf(err, AUTH_ERR_MAX, "AuthContainer: ECDSA signature of %zu bytes, "
				 "expected 64 (raw r||s)", siglen);
			return -EBADE;
		}
		if (!br_ecdsa_vrfy_raw_get_default()(br_ec_get_default(), hash, 32, &pk, sig, 64)) {
			snprintf(err, AUTH_ERR_MAX, "AuthContainer: ECDSA signature does not "
				 "verify (payload altered or wrong key)");
			return -EBADE;
		}
		return 0;
	} else {
		br_rsa_public_key pk = { (unsigned char *)k->rsa_n, k->rsa_nlen,
					 (unsigned char *)k->rsa_e, k->rsa_elen };
		uint8_t got[32];

		if (siglen != k->rsa_nlen ||
		    !br_rsa_pkcs1_vrfy_get_default()(sig, siglen, BR_HASH_OID_SHA256, 32, &pk, got) ||
		    memcmp(got, hash, 32) != 0) {
			snprintf(err, AUTH_ERR_MAX, "AuthContainer: RSA signature (%zu bytes) does "
				 "not verify (payload altered or wrong key)", siglen);
			return -EBADE;
		}
		return 0;
	}
}

int
auth_open(const uint8_t *body, size_t len, const struct auth_key *keys, size_t nkeys,
	  uint8_t **payload, size_t *payload_len, size_t *which, char err[AUTH_ERR_MAX])
{
	AuthContainer *ac = NULL;
	const struct auth_key *k = NULL;
	uint8_t hash[32];
	size_t hlen, i;
	char hx[17];
	int rc;

	*payload = NULL;
	*payload_len = 0;
	rc = unpack(body, len, &ac, err);
	if (rc < 0)
		return rc;
	if (!ac->protectedpayload) {
		snprintf(err, AUTH_ERR_MAX, "AuthContainer: no protectedPayload");
		rc = -EBADMSG;
		goto out;
	}
	switch (ac->algo) {
	case ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES:
		hlen = 32;
		break;
	case ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_16BYTES:
		hlen = 16;
		break;
	default:
		snprintf(err, AUTH_ERR_MAX, "AuthContainer: unsupported hash algorithm %d",
			 (int)ac->algo);
		rc = -EBADMSG;
		goto out;
	}
	if (ac->sendercerthash.len != hlen) {
		snprintf(err, AUTH_ERR_MAX, "AuthContainer: senderCertHash of %zu bytes, algorithm "
			 "%d wants %zu", ac->sendercerthash.len, (int)ac->algo, hlen);
		rc = -EBADMSG;
		goto out;
	}
	for (i = 0; i < nkeys; i++)
		if (memcmp(keys[i].cert_hash, ac->sendercerthash.data, hlen) == 0) {
			k = &keys[i];
			break;
		}
	if (!k) {
		hex8(ac->sendercerthash.data, hx);
		snprintf(err, AUTH_ERR_MAX, "AuthContainer: signed by an unknown certificate "
			 "(senderCertHash %s...)", hx);
		rc = -EKEYREJECTED;
		goto out;
	}
	x509_der_sha256(ac->protectedpayload->payload.data, ac->protectedpayload->payload.len, hash);
	rc = verify(k, hash, ac->signaturehash.data, ac->signaturehash.len, err);
	if (rc < 0)
		goto out;
	*payload_len = ac->protectedpayload->payload.len;
	*payload = malloc(*payload_len ? *payload_len : 1);
	if (!*payload) {
		*payload_len = 0;
		rc = -ENOMEM;
		goto out;
	}
	if (*payload_len)
		memcpy(*payload, ac->protectedpayload->payload.data, *payload_len);
	if (which)
		*which = i;
out:
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	return rc;
}

int
auth_sender_cert(const uint8_t *body, size_t len, uint8_t **cert, size_t *cert_len,
		 char err[AUTH_ERR_MAX])
{
	AuthContainer *ac = NULL;
	int rc;

	*cert = NULL;
	*cert_len = 0;
	rc = unpack(body, len, &ac, err);
	if (rc < 0)
		return rc;
	if (ac->sendercert.len == 0) {
		snprintf(err, AUTH_ERR_MAX, "AuthContainer: no senderCert");
		rc = -ENOENT;
		goto out;
	}
	*cert = malloc(ac->sendercert.len);
	if (!*cert) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(*cert, ac->sendercert.data, ac->sendercert.len);
	*cert_len = ac->sendercert.len;
out:
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	return rc;
}

int
auth_sender_hash(const uint8_t *body, size_t len, uint8_t hash[32], size_t *hlen,
		 char err[AUTH_ERR_MAX])
{
	AuthContainer *ac = NULL;
	int rc;

	*hlen = 0;
	rc = unpack(body, len, &ac, err);
	if (rc < 0)
		return rc;
	if (ac->sendercerthash.len != 32 && ac->sendercerthash.len != 16) {
		snprintf(err, AUTH_ERR_MAX, "AuthContainer: senderCertHash of %zu bytes",
			 ac->sendercerthash.len);
		rc = -EBADMSG;
	} else {
		memcpy(hash, ac->sendercerthash.data, ac->sendercerthash.len);
		*hlen = ac->sendercerthash.len;
	}
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	return rc;
}

int
auth_payload_unchecked(const uint8_t *body, size_t len, uint8_t **payload, size_t *plen,
		       char err[AUTH_ERR_MAX])
{
	AuthContainer *ac = NULL;
	int rc;

	*payload = NULL;
	*plen = 0;
	rc = unpack(body, len, &ac, err);
	if (rc < 0)
		return rc;
	if (!ac->protectedpayload) {
		snprintf(err, AUTH_ERR_MAX, "AuthContainer: no protectedPayload");
		rc = -EBADMSG;
		goto out;
	}
	*plen = ac->protectedpayload->payload.len;
	*payload = malloc(*plen ? *plen : 1);
	if (!*payload) {
		*plen = 0;
		rc = -ENOMEM;
		goto out;
	}
	if (*plen)
		memcpy(*payload, ac->protectedpayload->payload.data, *plen);
out:
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	return rc;
}
