/*
 * tls: the server side (the controller), with an X.509 "validator" for
 * client certificates that checks form only and records the end-entity
 * certificate for the application to judge.  See tls.h.
 */
#include "tls_int.h"

#include <errno.h>
#include <string.h>

/* ---- client chain recorder ------------------------------------------- */

#define PEER(ctx) ((struct tls_peer_x509 *)(void *)(ctx))

static void
px_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tls_peer_x509 *p = PEER(ctx);

	(void)server_name;
	p->ncerts = 0;
	p->err = 0;
	p->der_len = 0;
	p->der_ok = false;
	memset(&p->pkey, 0, sizeof(p->pkey));
}

static void
px_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tls_peer_x509 *p = PEER(ctx);

	if (p->ncerts == 0) {
		br_x509_decoder_init(&p->ee, NULL, NULL);
		if (length > TLS_PEER_CERT_MAX && !p->err)
			p->err = BR_ERR_X509_LIMIT_EXCEEDED;
	} else {
		br_x509_decoder_init(&p->next, NULL, NULL);
	}
}

static void
px_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct tls_peer_x509 *p = PEER(ctx);

	if (p->err)
		return;
	if (p->ncerts == 0) {
		br_x509_decoder_push(&p->ee, buf, len);
		if (len > sizeof(p->der) - p->der_len) {
			p->err = BR_ERR_X509_LIMIT_EXCEEDED;
			return;
		}
		memcpy(p->der + p->der_len, buf, len);
		p->der_len += len;
	} else {
		br_x509_decoder_push(&p->next, buf, len);
	}
}

static void
px_end_cert(const br_x509_class **ctx)
{
	struct tls_peer_x509 *p = PEER(ctx);
	int e;

	if (!p->err) {
		e = br_x509_decoder_last_error(p->ncerts == 0 ? &p->ee : &p->next);
		if (e)
			p->err = e;
	}
	p->ncerts++;
}

static unsigned
px_end_chain(const br_x509_class **ctx)
{
	struct tls_peer_x509 *p = PEER(ctx);
	const br_x509_pkey *pk;

	if (p->ncerts == 0)
		return p->optional ? 0 : BR_ERR_X509_EMPTY_CHAIN;
	if (p->err)
		return (unsigned)p->err;
	pk = br_x509_decoder_get_pkey(&p->ee);
	if (!pk || pk->key_type != BR_KEYTYPE_EC)
		return BR_ERR_X509_WRONG_KEY_TYPE;
	if (pk->key.ec.curve != BR_EC_secp256r1 && pk->key.ec.curve != BR_EC_secp384r1 &&
	    pk->key.ec.curve != BR_EC_secp521r1)
		return BR_ERR_X509_UNSUPPORTED;
	p->pkey = *pk; /* its bytes stay in p->ee */
	p->der_ok = true;
	return 0;
}

static const br_x509_pkey *
px_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct tls_peer_x509 *p = (const struct tls_peer_x509 *)(const void *)ctx;

	if (!p->der_ok)
		return NULL;
	if (usages)
		*usages = BR_KEYTYPE_SIGN;
	return &p->pkey;
}

static const br_x509_class px_vtable = {
	sizeof(struct tls_peer_x509),
	px_start_chain,
	px_start_cert,
	px_append,
	px_end_cert,
	px_end_chain,
	px_get_pkey,
};

/* The CertificateRequest must name at least one CA for BearSSL to send it;
 * we judge the chain ourselves, so the name is the empty DN (SEQUENCE {}). */
static unsigned char empty_dn[] = { 0x30, 0x00 };

/* ---- server sessions -------------------------------------------------- */

int
tls_server_open_opts(struct tls_ctx *ctx, int fd, const struct tls_server_opts *o,
		     char err[TLS_ERR_MAX])
{
	br_ssl_server_context *sc = &ctx->ssl.server;
	br_ssl_engine_context *eng = &sc->eng;
	const struct tls_key *k = o->key;
	int rc;

	tls_engine_bind(ctx, true, eng, o->timeout_ms);
	memset(&ctx->ccert, 0, sizeof(ctx->ccert));
	ctx->x509.peer.der_ok = false;
	ctx->x509.peer.der_len = 0;
	if (fd < 0 || !o->chain || o->chain->n == 0 || !k || !k->buf ||
	    (k->type != BR_KEYTYPE_EC && k->type != BR_KEYTYPE_RSA)) {
		tls_seterr(err, "TLS: server needs a socket, a certificate chain and a key");
		return -EINVAL;
	}

	br_ssl_server_zero(sc);
	tls_engine_setup(eng);
	if (k->type == BR_KEYTYPE_EC) {
		br_ssl_engine_set_suites(eng, tls_suites_ecdsa, 3);
		br_ssl_server_set_single_ec(sc, o->chain->certs, o->chain->n, &k->ec,
					    BR_KEYTYPE_SIGN, 0, br_ec_get_default(),
					    br_ecdsa_sign_asn1_get_default());
	} else {
		br_ssl_engine_set_suites(eng, tls_suites_rsa, 1);
		br_ssl_server_set_single_rsa(sc, o->chain->certs, o->chain->n, &k->rsa,
					     BR_KEYTYPE_SIGN, br_rsa_private_get_default(),
					     br_rsa_pkcs1_sign_get_default());
	}
	br_ssl_engine_add_flags(eng, BR_OPT_ENFORCE_SERVER_PREFERENCES);

	if (o->want_client_cert || o->client_cert_optional) {
		ctx->x509.peer.vtable = &px_vtable;
		ctx->x509.peer.optional = o->client_cert_optional;
		if (o->client_cert_optional)
			br_ssl_engine_add_flags(eng, BR_OPT_TOLERATE_NO_CLIENT_AUTH);
		br_ssl_engine_set_x509(eng, &ctx->x509.peer.vtable);
		/* the client's CertificateVerify is ECDSA */
		br_ssl_engine_set_default_ecdsa(eng);
		ctx->ca_name.data = empty_dn;
		ctx->ca_name.len = sizeof(empty_dn);
		br_ssl_server_set_trust_anchor_names(sc, &ctx->ca_name, 1);
	} else if (o->cache) {
		/* never with client certificates: a resumed session has none */
		br_ssl_server_set_cache(sc, &o->cache->lru.vtable);
	}

	br_ssl_engine_set_buffer(eng, ctx->iobuf, sizeof(ctx->iobuf), 1);
	if ((rc = tls_engine_seed(eng, err)) < 0)
		return rc;
	if (!br_ssl_server_reset(sc)) {
		tls_format_br_error(ctx->err, br_ssl_engine_last_error(eng), "client");
		tls_seterr(err, "%s", ctx->err);
		return -EPROTO;
	}
	ctx->fd = fd;
	rc = tls_engine_handshake(ctx, o->timeout_ms, err);
	if (rc < 0)
		ctx->fd = -1; /* the caller keeps fd */
	return rc;
}

int
tls_server_open(struct tls_ctx *ctx, int fd, const struct tls_chain *chain,
		const struct tls_key *key, bool want_client_cert, int timeout_ms,
		char err[TLS_ERR_MAX])
{
	struct tls_server_opts o = {
		.chain = chain,
		.key = key,
		.want_client_cert = want_client_cert,
		.timeout_ms = timeout_ms,
	};

	return tls_server_open_opts(ctx, fd, &o, err);
}
