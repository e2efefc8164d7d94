/*
 * pki: the controller's certificates, made by `evc init --dir DIR`.
 *
 *   DIR/root.key.pem, DIR/root-certificate.pem   root CA (P-256, 20 years)
 *   DIR/server.key.pem, DIR/server.cert.pem      TLS server, issued by the root,
 *                                                 DNS names from --name (default localhost)
 *   DIR/signing.key.pem, DIR/signing.cert.pem    signs every v2 reply (AuthContainer)
 *   DIR/onboard.key.pem, DIR/onboard.cert.pem    onboarding certificate for devices
 *   DIR/status.key.pem, DIR/status.cert.pem      signs certificate status (OCSPSigning)
 *   DIR/device-config/                           what goes into a device's /config:
 *       server, root-certificate.pem, onboard.cert.pem, onboard.key.pem,
 *       require-cert-status
 *
 * Keys are P-256 soft keys (mode 0600) written atomically; an existing PKI is
 * never overwritten.  The certificate files hold the chain up to the root
 * (leaf first), so `evc serve` can present it whole.
 *
 * Ownership: every pointer is borrowed for the call.
 */
#ifndef EV_PKI_H
#define EV_PKI_H

#include <stddef.h>

#define PKI_ERR_MAX 512
#define PKI_NAMES_MAX 8

struct pki_params {
	const char *dir;
	const char *names[PKI_NAMES_MAX]; /* DNS names of the server certificate */
	size_t n_names;
	const char *server;               /* host:port devices dial, for device-config/server */
	const char *enterprise;           /* O= of the onboarding certificate */
};

int pki_init(const struct pki_params *p, char err[PKI_ERR_MAX]);

#endif
