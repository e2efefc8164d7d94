/*
 * tls: Edgevisor's TLS layer on BearSSL 0.6, for the device's controller
 * client and the controller's server (`evc serve`).  A TLS session is a
 * struct stream (stream.h), so the HTTP code runs over it unchanged.
 *
 * Policy (DESIGN.md §6), not configurable:
 *   - TLS 1.2 only (BearSSL has no 1.3; anything older is refused);
 *   - cipher suites ECDHE-ECDSA with AES-128-GCM, AES-256-GCM or
 *     ChaCha20-Poly1305; a server with an RSA key offers only
 *     ECDHE-RSA-AES128-GCM-SHA256;
 *   - no renegotiation;
 *   - the client checks the server's chain against trust anchors loaded from
 *     a PEM file, with the current time, and the server name against the
 *     certificate's DNS names (BearSSL matches DNS names only, never IP
 *     SANs: use a DNS name such as "localhost");
 *   - the client certificate (v1 mutual TLS) is signed through a struct
 *     signer (signer.h): the private key never enters this code;
 *   - a server that wants a client certificate accepts any well-formed EC
 *     chain, proves the client holds the key (CertificateVerify), records the
 *     end-entity certificate (tls_peer_cert) and leaves the decision to the
 *     application (the controller looks the device up by its certificate).
 *
 * Entropy: BearSSL seeds its PRNG from the system (getrandom or
 * /dev/urandom); every open also injects 32 bytes from getrandom(2).
 *
 * Errors: functions return 0 or a negative errno value and fill err
 * (TLS_ERR_MAX bytes, may be NULL) with a message that names the input and
 * the reason; BearSSL failures name BearSSL's code, e.g.
 *   "TLS: server certificate: name mismatch (BR_ERR_X509_BAD_SERVER_NAME)".
 * The message of the last failure of an open session is tls_error(ctx).
 *
 * Ownership:
 *   - tls_anchors, tls_chain, tls_key own heap memory released by their
 *     _free function (the key is wiped); a session only borrows them, so
 *     they must outlive every session that uses them.
 *   - struct tls_ctx is caller-owned memory (about 65 KB: it embeds the
 *     record buffers; BearSSL never allocates).  On success the session owns
 *     fd: ctx->s.close() sends close_notify and closes it.  On failure fd is
 *     left open for the caller and ctx holds nothing to release.
 *   - the signer and the session cache are borrowed for the session's life.
 *   - pointers from tls_peer_cert() point into ctx, valid until the next
 *     open on that ctx.
 *
 * Blocking: every call blocks with poll() on fd; each wait is bounded by the
 * stream's timeout_ms (the whole handshake by timeout_ms too); fd may be
 * blocking or not.  Records are gathered and written a flight at a time, and
 * TCP_NODELAY is set on fd (data goes out when flushed, never held by
 * Nagle).  One session is used by one thread at a time.
 */
#ifndef EV_TLS_H
#define EV_TLS_H

#include <bearssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "signer.h"
#include "stream.h"

#define TLS_ERR_MAX 256
#define TLS_PEM_FILE_MAX (256 * 1024) /* bytes of one PEM file */
#define TLS_DER_MAX 16384             /* bytes of one decoded PEM object */
#define TLS_ANCHORS_MAX 64            /* certificates in a trust anchor file */
#define TLS_CHAIN_MAX 8               /* certificates in a chain */
#define TLS_PEER_CERT_MAX 8192        /* recorded client certificate (DER) */
#define TLS_DN_MAX 1024               /* a subject DN, DER */

/* ---- trust anchors, certificate chains, private keys ---------------- */

struct tls_anchors {
	br_x509_trust_anchor *ta; /* n entries; owned */
	size_t n;
};

struct tls_chain {
	br_x509_certificate *certs; /* n entries, end-entity first; owned */
	size_t n;
};

struct tls_key {
	int type;               /* BR_KEYTYPE_EC or BR_KEYTYPE_RSA */
	br_ec_private_key ec;   /* when EC: curve, x into buf */
	br_rsa_private_key rsa; /* when RSA: components into buf */
	unsigned char *buf;     /* owned; wiped by tls_key_free */
	size_t buflen;
};

/*
 * Parse every CERTIFICATE object of a PEM text (other objects are skipped)
 * into trust anchors: the subject DN and public key (EC or RSA) of each, CA
 * flag from its Basic Constraints (a non-CA anchor trusts exactly that
 * end-entity key).  name is used in messages.  -EINVAL on malformed input,
 * -ENOENT when there is no certificate, -E2BIG past the bounds.  Pure.
 */
int tls_anchors_parse(struct tls_anchors *a, const void *pem, size_t len,
		      const char *name, char err[TLS_ERR_MAX]);
int tls_anchors_load(struct tls_anchors *a, const char *path, char err[TLS_ERR_MAX]);
void tls_anchors_free(struct tls_anchors *a);

/* Every CERTIFICATE object, in order (end-entity first); each must decode. */
int tls_chain_parse(struct tls_chain *c, const void *pem, size_t len,
		    const char *name, char err[TLS_ERR_MAX]);
int tls_chain_load(struct tls_chain *c, const char *path, char err[TLS_ERR_MAX]);
void tls_chain_free(struct tls_chain *c);

/*
 * Exactly one private key object ("EC PRIVATE KEY" (SEC1), "PRIVATE KEY"
 * (PKCS#8) or "RSA PRIVATE KEY"); certificates and "EC PARAMETERS" are
 * skipped, an encrypted key is refused.  EC keys must be on P-256, P-384 or
 * P-521.
 */
int tls_key_parse(struct tls_key *k, const void *pem, size_t len,
		  const char *name, char err[TLS_ERR_MAX]);
int tls_key_load(struct tls_key *k, const char *path, char err[TLS_ERR_MAX]);
void tls_key_free(struct tls_key *k);

/* 0 when the chain's end-entity public key is the key's; -EINVAL otherwise. */
int tls_key_check_chain(const struct tls_key *k, const struct tls_chain *c,
			char err[TLS_ERR_MAX]);

/* ---- server session cache (optional) --------------------------------- */

/* An LRU cache of session parameters shared by the sessions of one process
 * (not thread-safe).  Not used for sessions that want a client certificate:
 * a resumed session carries none, and the controller needs it every time. */
struct tls_session_cache {
	br_ssl_session_cache_lru lru;
	unsigned char *store; /* owned; wiped by tls_session_cache_free */
	size_t size;
};

/* bytes: storage (about 100 bytes per session); at least 1024. */
int tls_session_cache_init(struct tls_session_cache *c, size_t bytes,
			   char err[TLS_ERR_MAX]);
void tls_session_cache_free(struct tls_session_cache *c);

/* ---- sessions --------------------------------------------------------- */

/* The server side's X.509 "validator": records the client's chain. */
struct tls_peer_x509 {
	const br_x509_class *vtable;
	br_x509_decoder_context ee;   /* end-entity certificate */
	br_x509_decoder_context next; /* the others: well-formedness only */
	unsigned ncerts;
	int err;                      /* first BR_ERR_X509_* seen, 0 if none */
	br_x509_pkey pkey;            /* end-entity key, valid after end_chain */
	unsigned char der[TLS_PEER_CERT_MAX];
	size_t der_len;
	bool der_ok;                  /* the whole end-entity cert was recorded */
	bool optional;                /* an empty chain is accepted */
};

/* The client certificate handler: asks a struct signer for signatures. */
struct tls_client_cert {
	const br_ssl_client_certificate_class *vtable;
	const struct tls_chain *chain;
	struct signer *signer;
	int refused; /* why no certificate was sent or signed (tls_client.c) */
	int sign_rc;
};

struct tls_ctx {
	struct stream s;     /* the session as a stream: read/write/flush/close */
	int fd;
	bool server;
	bool open;           /* handshake done, not closed */
	bool eof;            /* the peer's close_notify was received */
	int rc;              /* sticky failure (-errno), 0 if none */
	char err[TLS_ERR_MAX];
	br_ssl_engine_context *eng;
	union {
		br_ssl_client_context client;
		br_ssl_server_context server;
	} ssl;
	union {
		br_x509_minimal_context minimal; /* client: server chain check */
		struct tls_peer_x509 peer;       /* server: client chain record */
	} x509;
	struct tls_client_cert ccert;
	br_x500_name ca_name;                    /* server: CertificateRequest */
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	unsigned char stash[BR_SSL_BUFSIZE_OUTPUT]; /* records gathered for one send */
};

struct tls_client_opts {
	const char *server_name;               /* DNS name; required */
	const struct tls_anchors *anchors;     /* required, n >= 1 */
	const struct tls_chain *client_chain;  /* optional (v1 mutual TLS) */
	struct signer *client_signer;          /* required with client_chain */
	int timeout_ms;                        /* <= 0: no limit */
	time_t now;                            /* 0: the system clock */
};

/*
 * Connects a TLS client session over the connected socket fd and completes
 * the handshake.  0 and ctx->s ready, or -errno and err (and tls_error(ctx))
 * set: -ETIMEDOUT, -ECONNRESET (peer closed), -EPROTO (TLS failure, message
 * names the BearSSL error), -EINVAL (bad arguments, e.g. a client
 * certificate whose key is not the signer's).
 */
int tls_client_open(struct tls_ctx *ctx, int fd, const char *server_name,
		    const struct tls_anchors *anchors,
		    const struct tls_chain *client_chain, struct signer *client_signer,
		    int timeout_ms, char err[TLS_ERR_MAX]);
int tls_client_open_opts(struct tls_ctx *ctx, int fd, const struct tls_client_opts *o,
			 char err[TLS_ERR_MAX]);

struct tls_server_opts {
	const struct tls_chain *chain;           /* required */
	const struct tls_key *key;               /* EC (P-256...) or RSA */
	bool want_client_cert;                   /* require a client EC cert */
	bool client_cert_optional;               /* ask for one, accept none too
						  * (tls_peer_cert: -ENOENT) */
	struct tls_session_cache *cache;         /* optional; see above */
	int timeout_ms;
};

/*
 * Accepts a TLS server session on the connected socket fd and completes the
 * handshake.  With want_client_cert the client must present a well-formed
 * EC chain and prove its key; its end-entity certificate is then
 * tls_peer_cert().  Returns as tls_client_open().
 */
int tls_server_open(struct tls_ctx *ctx, int fd, const struct tls_chain *chain,
		    const struct tls_key *key, bool want_client_cert, int timeout_ms,
		    char err[TLS_ERR_MAX]);
int tls_server_open_opts(struct tls_ctx *ctx, int fd, const struct tls_server_opts *o,
			 char err[TLS_ERR_MAX]);

/* The client's end-entity certificate (DER) recorded by a server session:
 * 0, or -ENOENT when none was presented. */
int tls_peer_cert(const struct tls_ctx *ctx, const uint8_t **der, size_t *len);

/* The negotiated cipher suite (0 before the handshake) and its IANA name
 * ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"); an unknown number gives
 * NULL. */
uint16_t tls_suite(const struct tls_ctx *ctx);
const char *tls_suite_name(uint16_t suite);
/* The suites this layer ever offers or accepts (client: the first 3). */
extern const uint16_t tls_suites_ecdsa[3];
extern const uint16_t tls_suites_rsa[1];

/* The message of the session's last failure ("" if none). */
const char *tls_error(const struct tls_ctx *ctx);

/* BearSSL error code → "BR_ERR_X509_BAD_SERVER_NAME" / "name mismatch";
 * NULL for an unknown code (alerts: BR_ERR_RECV_FATAL_ALERT + n and
 * BR_ERR_SEND_FATAL_ALERT + n give the base name). */
const char *tls_br_error_name(int code);
const char *tls_br_error_text(int code);
/* TLS alert number → "handshake_failure"; NULL if unknown. */
const char *tls_alert_name(int alert);
/* Formats "TLS: <peer> certificate: <text> (<NAME>)" and friends for a
 * BearSSL error code; peer is "server" or "client" (the other side). */
void tls_format_br_error(char err[TLS_ERR_MAX], int code, const char *peer);

#endif
