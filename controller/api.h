/*
 * api: the EVE-EVC API as the controller answers it, independent of the
 * transport (evc_serve.c carries it over TLS + HTTP).
 *
 * v2 (/api/v2/edgedevice/...): every request body and reply body is an
 * AuthContainer (auth.h).  register is signed by an onboarding key and
 * carries that certificate (senderCert = base64 of its PEM); every other
 * request is signed by a device key whose certificate we know (by
 * senderCertHash = SHA-256 of its DER).  Replies are signed by the
 * controller's signing key.
 *   register   201 new, 200 again, 403 not allowed, 409 conflict, 400/401 bad
 *   certs      ZControllerCert: signing cert (+ chain), revocation status
 *   uuid       UuidResponse{uuid}
 *   config     ConfigRequest{configHash} -> ConfigResponse{config, configHash};
 *              unchanged: ConfigResponse{configHash} without config
 *   info, metrics, logs (LogBundle), newlogs (gzip of JSON lines)   200
 *   ping       200
 * v1 (/api/v1/edgedevice/... and /api/v1/edgeDevice/...): bare protobuf; the
 * device is the TLS client certificate (mutual TLS): register (client cert =
 * onboarding cert), ping, config (GET: EdgeDevConfig; POST: ConfigRequest
 * -> ConfigResponse), info, metrics, logs.
 *
 * Ownership: the request is borrowed; resp->body is malloc'd (free it with
 * api_response_free).  The ctx borrows the store and the signer.
 */
#ifndef EV_API_H
#define EV_API_H

#include <stddef.h>
#include <stdint.h>

#include "signer.h"
#include "store.h"

#define API_MAX_BODY (8u << 20)

struct api_ctx {
	struct store *st;
	struct signer *signer;          /* the controller's signing key */
	uint8_t signing_cert_hash[32];  /* SHA-256 of the signing certificate DER */
	const uint8_t *certs_payload;   /* marshalled ZControllerCert for `certs` */
	size_t certs_len;
	/* when set, makes a fresh certs payload per request (certificate
	 * status with a current time); *payload is malloc'd */
	int (*certs_fn)(void *arg, uint8_t **payload, size_t *len);
	void *certs_arg;
	void (*log)(void *arg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	void *log_arg;
};

struct api_request {
	const char *method;             /* "GET", "POST", ... */
	const char *path;               /* without query string */
	const uint8_t *body;
	size_t len;
	const uint8_t *peer_cert;       /* v1: the TLS client certificate (DER), or NULL */
	size_t peer_cert_len;
};

struct api_response {
	int status;
	const char *content_type;       /* NULL: no body */
	uint8_t *body;
	size_t len;
	char uuid[37];                  /* the device it was, when known (for logs) */
};

void api_handle(struct api_ctx *ctx, const struct api_request *req, struct api_response *resp);
void api_response_free(struct api_response *resp);

#endif
