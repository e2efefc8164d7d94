/*
 * tls: the client side (the device towards its controller), with the client
 * certificate of v1 mutual TLS signed through a struct signer.  See tls.h.
 */
#include "tls_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

const uint16_t tls_suites_ecdsa[3] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
};
const uint16_t tls_suites_rsa[1] = {
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
};

/* Why the client certificate handler sent or signed nothing. */
enum {
	CC_OK = 0,
	CC_NO_ECDSA_SHA256, /* the server accepts no ECDSA-SHA256 client signature */
	CC_BAD_HASH,        /* asked to sign with another hash than SHA-256 */
	CC_SIGNER_FAILED,
	CC_SIG_TOO_LONG,
};

/* ---- client certificate through a struct signer ----------------------- */

#define CCERT(pctx) ((struct tls_client_cert *)(void *)(pctx))

static void
cc_start_name_list(const br_ssl_client_certificate_class **pctx)
{
	(void)pctx;
}

static void
cc_start_name(const br_ssl_client_certificate_class **pctx, size_t len)
{
	(void)pctx;
	(void)len;
}

static void
cc_append_name(const br_ssl_client_certificate_class **pctx, const unsigned char *data,
	       size_t len)
{
	(void)pctx;
	(void)data;
	(void)len;
}

static void
cc_end_name(const br_ssl_client_certificate_class **pctx)
{
	(void)pctx;
}

static void
cc_end_name_list(const br_ssl_client_certificate_class **pctx)
{
	(void)pctx;
}

/* The device key is P-256, so the signature hash is SHA-256: offered by the
 * server or no certificate is sent (the server then refuses us, and our
 * message says why). */
static void
cc_choose(const br_ssl_client_certificate_class **pctx, const br_ssl_client_context *cc,
	  uint32_t auth_types, br_ssl_client_certificate *choices)
{
	struct tls_client_cert *c = CCERT(pctx);

	(void)cc;
	memset(choices, 0, sizeof(*choices));
	if (!((auth_types >> 8) & (1u << br_sha256_ID))) {
		c->refused = CC_NO_ECDSA_SHA256;
		choices->chain = NULL;
		choices->chain_len = 0;
		return;
	}
	choices->auth_type = BR_AUTH_ECDSA;
	choices->hash_id = br_sha256_ID;
	choices->chain = c->chain->certs;
	choices->chain_len = c->chain->n;
}

static uint32_t
cc_do_keyx(const br_ssl_client_certificate_class **pctx, unsigned char *data, size_t *len)
{
	/* static ECDH is never chosen (hash_id is never -1) */
	(void)pctx;
	(void)data;
	(void)len;
	return 0;
}

static size_t
cc_do_sign(const br_ssl_client_certificate_class **pctx, int hash_id, size_t hv_len,
	   unsigned char *data, size_t len)
{
	struct tls_client_cert *c = CCERT(pctx);
	unsigned char sig[SIGNER_SIG_LEN + 16]; /* room for the ASN.1 form */
	uint8_t hash[32];
	size_t n;
	int rc;

	if (hash_id != br_sha256_ID || hv_len != sizeof(hash)) {
		c->refused = CC_BAD_HASH;
		return 0;
	}
	memcpy(hash, data, sizeof(hash));
	if ((rc = c->signer->sign(c->signer, hash, sig)) < 0) {
		c->refused = CC_SIGNER_FAILED;
		c->sign_rc = rc;
		return 0;
	}
	n = br_ecdsa_raw_to_asn1(sig, SIGNER_SIG_LEN);
	if (n == 0 || n > len) {
		c->refused = CC_SIG_TOO_LONG;
		return 0;
	}
	memcpy(data, sig, n);
	return n;
}

static const br_ssl_client_certificate_class cc_vtable = {
	sizeof(struct tls_client_cert),
	cc_start_name_list,
	cc_start_name,
	cc_append_name,
	cc_end_name,
	cc_end_name_list,
	cc_choose,
	cc_do_keyx,
	cc_do_sign,
};

/* The chain's end-entity key must be the signer's. */
static int
check_client_cert(const struct tls_chain *chain, const struct signer *signer,
		  char err[TLS_ERR_MAX])
{
	unsigned char kbuf[BR_X509_BUFSIZE_KEY];
	br_x509_pkey pk;
	int e;

	if (!signer || !signer->sign) {
		tls_seterr(err, "TLS: a client certificate needs a signer");
		return -EINVAL;
	}
	if (chain->n == 0) {
		tls_seterr(err, "TLS: client certificate chain is empty");
		return -EINVAL;
	}
	e = tls_cert_pubkey(chain->certs[0].data, chain->certs[0].data_len, &pk, kbuf,
			    sizeof(kbuf));
	if (e != 0) {
		tls_seterr(err, "TLS: client certificate: %s (%s)", tls_br_error_text(e),
			   tls_br_error_name(e));
		return -EINVAL;
	}
	if (pk.key_type != BR_KEYTYPE_EC || pk.key.ec.curve != BR_EC_secp256r1 ||
	    pk.key.ec.qlen != SIGNER_PUB_LEN ||
	    memcmp(pk.key.ec.q, signer->pub, SIGNER_PUB_LEN) != 0) {
		tls_seterr(err, "TLS: client certificate: its key is not the signer's P-256 key");
		return -EINVAL;
	}
	return 0;
}

/* BearSSL counts days from 1 January of year 0 (proleptic Gregorian);
 * 1970-01-01 is day 719528. */
static void
set_time(br_x509_minimal_context *xc, time_t now)
{
	int64_t t = (int64_t)now;
	int64_t days = t / 86400, secs = t % 86400;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	br_x509_minimal_set_time(xc, (uint32_t)(days + 719528), (uint32_t)secs);
}

static void
explain_refusal(struct tls_ctx *ctx)
{
	char prev[TLS_ERR_MAX];
	const char *why = NULL;

	switch (ctx->ccert.refused) {
	case CC_NO_ECDSA_SHA256:
		why = "the server accepts no ECDSA signature with SHA-256 for the client "
		      "certificate, so none was sent";
		break;
	case CC_BAD_HASH:
		why = "asked to sign with a hash other than SHA-256 (refused)";
		break;
	case CC_SIGNER_FAILED:
		why = "the signer failed";
		break;
	case CC_SIG_TOO_LONG:
		why = "signature does not fit the handshake buffer";
		break;
	default:
		return;
	}
	memcpy(prev, ctx->err, sizeof(prev));
	if (ctx->ccert.refused == CC_SIGNER_FAILED)
		tls_seterr(ctx->err, "TLS: client certificate: %s (%s); then: %.120s", why,
			   strerror(-ctx->ccert.sign_rc), prev);
	else
		tls_seterr(ctx->err, "TLS: client certificate: %s; then: %.120s", why, prev);
}

int
tls_client_open_opts(struct tls_ctx *ctx, int fd, const struct tls_client_opts *o,
		     char err[TLS_ERR_MAX])
{
	br_ssl_client_context *cc = &ctx->ssl.client;
	br_x509_minimal_context *xc = &ctx->x509.minimal;
	int rc;

	tls_engine_bind(ctx, false, &cc->eng, o->timeout_ms);
	if (fd < 0 || !o->server_name || !o->server_name[0] || !o->anchors ||
	    o->anchors->n == 0) {
		tls_seterr(err, "TLS: client needs a socket, a server name and trust anchors");
		return -EINVAL;
	}
	if (o->client_chain && (rc = check_client_cert(o->client_chain, o->client_signer, err)) < 0)
		return rc;

	br_ssl_client_zero(cc);
	tls_engine_setup(&cc->eng);
	br_ssl_engine_set_suites(&cc->eng, tls_suites_ecdsa, 3);
	/* the server's ServerKeyExchange is ECDSA-signed */
	br_ssl_engine_set_default_ecdsa(&cc->eng);

	br_x509_minimal_init(xc, &br_sha256_vtable, o->anchors->ta, o->anchors->n);
	br_x509_minimal_set_hash(xc, br_sha224_ID, &br_sha224_vtable);
	br_x509_minimal_set_hash(xc, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_hash(xc, br_sha384_ID, &br_sha384_vtable);
	br_x509_minimal_set_hash(xc, br_sha512_ID, &br_sha512_vtable);
	br_x509_minimal_set_rsa(xc, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(xc, br_ec_get_default(), br_ecdsa_vrfy_asn1_get_default());
	set_time(xc, o->now ? o->now : time(NULL));
	br_ssl_engine_set_x509(&cc->eng, &xc->vtable);

	memset(&ctx->ccert, 0, sizeof(ctx->ccert));
	if (o->client_chain) {
		ctx->ccert.vtable = &cc_vtable;
		ctx->ccert.chain = o->client_chain;
		ctx->ccert.signer = o->client_signer;
		br_ssl_client_set_client_certificate(cc, &ctx->ccert.vtable);
	}

	br_ssl_engine_set_buffer(&cc->eng, ctx->iobuf, sizeof(ctx->iobuf), 1);
	if ((rc = tls_engine_seed(&cc->eng, err)) < 0)
		return rc;
	if (!br_ssl_client_reset(cc, o->server_name, 0)) {
		tls_format_br_error(ctx->err, br_ssl_engine_last_error(&cc->eng), "server");
		tls_seterr(err, "%s", ctx->err);
		return -EPROTO;
	}
	ctx->fd = fd;
	rc = tls_engine_handshake(ctx, o->timeout_ms, err);
	if (rc < 0) {
		explain_refusal(ctx);
		tls_seterr(err, "%s", ctx->err);
		ctx->fd = -1; /* the caller keeps fd */
	}
	return rc;
}

int
tls_client_open(struct tls_ctx *ctx, int fd, const char *server_name,
		const struct tls_anchors *anchors, const struct tls_chain *client_chain,
		struct signer *client_signer, int timeout_ms, char err[TLS_ERR_MAX])
{
	struct tls_client_opts o = {
		.server_name = server_name,
		.anchors = anchors,
		.client_chain = client_chain,
		.client_signer = client_signer,
		.timeout_ms = timeout_ms,
	};

	return tls_client_open_opts(ctx, fd, &o, err);
}
