/*
 * tls_int: what the tls_*.c files share and nobody else uses: the common
 * engine configuration, the I/O pump that runs a BearSSL engine over a file
 * descriptor, and error helpers.  Ownership as in tls.h.
 */
#ifndef EV_TLS_INT_H
#define EV_TLS_INT_H

#include <stdarg.h>

#include "tls.h"

/* snprintf into err when err is not NULL. */
void tls_seterr(char err[TLS_ERR_MAX], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Hash functions, PRFs, AEADs and the EC implementation both sides use. */
void tls_engine_setup(br_ssl_engine_context *eng);

/* Resets ctx's session fields and binds ctx->s to the TLS stream (no fd
 * yet: close() does nothing until the handshake succeeds). */
void tls_engine_bind(struct tls_ctx *ctx, bool server, br_ssl_engine_context *eng,
		     int timeout_ms);

/*
 * Runs the handshake (the engine must have been reset) until application data may
 * flow.  0 or -errno with
 * ctx->err and err set.
 */
int tls_engine_handshake(struct tls_ctx *ctx, int timeout_ms, char err[TLS_ERR_MAX]);

/* 32 bytes from getrandom(2) into the engine: 0 or -errno. */
int tls_engine_seed(br_ssl_engine_context *eng, char err[TLS_ERR_MAX]);

/* The decoded public key of one certificate (DER) into pk, with its key
 * bytes in kbuf (BR_X509_BUFSIZE_KEY): 0 or a BR_ERR_X509_* code. */
int tls_cert_pubkey(const unsigned char *der, size_t len, br_x509_pkey *pk,
		    unsigned char *kbuf, size_t kbuflen);

#endif
