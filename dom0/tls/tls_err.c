/* tls: names for BearSSL error codes, TLS alerts and cipher suites.  See tls.h. */
#include "tls.h"

#include <stdio.h>
#include <string.h>

struct br_err_desc {
	int code;
	const char *name;
	const char *text;
};

/* The BR_ERR_* values of bearssl_ssl.h and bearssl_x509.h (BearSSL 0.6). */
static const struct br_err_desc br_errs[] = {
	{ BR_ERR_OK, "BR_ERR_OK", "no error" },
	{ BR_ERR_BAD_PARAM, "BR_ERR_BAD_PARAM", "caller-provided parameter is incorrect" },
	{ BR_ERR_BAD_STATE, "BR_ERR_BAD_STATE", "operation requested in the wrong state" },
	{ BR_ERR_UNSUPPORTED_VERSION, "BR_ERR_UNSUPPORTED_VERSION",
	  "peer's protocol version is not TLS 1.2" },
	{ BR_ERR_BAD_VERSION, "BR_ERR_BAD_VERSION", "record version differs from the negotiated one" },
	{ BR_ERR_BAD_LENGTH, "BR_ERR_BAD_LENGTH", "invalid record length" },
	{ BR_ERR_TOO_LARGE, "BR_ERR_TOO_LARGE", "record too large for the buffer" },
	{ BR_ERR_BAD_MAC, "BR_ERR_BAD_MAC", "record decryption or MAC check failed" },
	{ BR_ERR_NO_RANDOM, "BR_ERR_NO_RANDOM", "no entropy for the random generator" },
	{ BR_ERR_UNKNOWN_TYPE, "BR_ERR_UNKNOWN_TYPE", "record of unknown content type" },
	{ BR_ERR_UNEXPECTED, "BR_ERR_UNEXPECTED", "unexpected message or record" },
	{ BR_ERR_BAD_CCS, "BR_ERR_BAD_CCS", "invalid ChangeCipherSpec" },
	{ BR_ERR_BAD_ALERT, "BR_ERR_BAD_ALERT", "invalid alert message" },
	{ BR_ERR_BAD_HANDSHAKE, "BR_ERR_BAD_HANDSHAKE", "malformed handshake message" },
	{ BR_ERR_OVERSIZED_ID, "BR_ERR_OVERSIZED_ID", "session ID longer than 32 bytes" },
	{ BR_ERR_BAD_CIPHER_SUITE, "BR_ERR_BAD_CIPHER_SUITE",
	  "no allowed cipher suite in common (allowed: ECDHE-ECDSA with AES-GCM or ChaCha20-Poly1305)" },
	{ BR_ERR_BAD_COMPRESSION, "BR_ERR_BAD_COMPRESSION", "unsupported compression" },
	{ BR_ERR_BAD_FRAGLEN, "BR_ERR_BAD_FRAGLEN", "invalid maximum fragment length" },
	{ BR_ERR_BAD_SECRENEG, "BR_ERR_BAD_SECRENEG", "secure renegotiation failed" },
	{ BR_ERR_EXTRA_EXTENSION, "BR_ERR_EXTRA_EXTENSION", "unsolicited extension from the server" },
	{ BR_ERR_BAD_SNI, "BR_ERR_BAD_SNI", "invalid server name indication" },
	{ BR_ERR_BAD_HELLO_DONE, "BR_ERR_BAD_HELLO_DONE", "invalid ServerHelloDone" },
	{ BR_ERR_LIMIT_EXCEEDED, "BR_ERR_LIMIT_EXCEEDED", "internal limit exceeded" },
	{ BR_ERR_BAD_FINISHED, "BR_ERR_BAD_FINISHED", "Finished message check failed" },
	{ BR_ERR_RESUME_MISMATCH, "BR_ERR_RESUME_MISMATCH", "session resumption mismatch" },
	{ BR_ERR_INVALID_ALGORITHM, "BR_ERR_INVALID_ALGORITHM",
	  "unsupported or disallowed algorithm (hash, curve or signature)" },
	{ BR_ERR_BAD_SIGNATURE, "BR_ERR_BAD_SIGNATURE", "invalid handshake signature" },
	{ BR_ERR_WRONG_KEY_USAGE, "BR_ERR_WRONG_KEY_USAGE",
	  "certificate key type or usage does not fit the cipher suite" },
	{ BR_ERR_NO_CLIENT_AUTH, "BR_ERR_NO_CLIENT_AUTH",
	  "client did not present a usable certificate" },
	{ BR_ERR_IO, "BR_ERR_IO", "I/O error on the connection" },
	{ BR_ERR_X509_OK, "BR_ERR_X509_OK", "valid" },
	{ BR_ERR_X509_INVALID_VALUE, "BR_ERR_X509_INVALID_VALUE", "invalid value in an ASN.1 structure" },
	{ BR_ERR_X509_TRUNCATED, "BR_ERR_X509_TRUNCATED", "truncated certificate" },
	{ BR_ERR_X509_EMPTY_CHAIN, "BR_ERR_X509_EMPTY_CHAIN", "empty certificate chain" },
	{ BR_ERR_X509_INNER_TRUNC, "BR_ERR_X509_INNER_TRUNC", "inner element extends beyond its container" },
	{ BR_ERR_X509_BAD_TAG_CLASS, "BR_ERR_X509_BAD_TAG_CLASS", "unsupported ASN.1 tag class" },
	{ BR_ERR_X509_BAD_TAG_VALUE, "BR_ERR_X509_BAD_TAG_VALUE", "unsupported ASN.1 tag value" },
	{ BR_ERR_X509_INDEFINITE_LENGTH, "BR_ERR_X509_INDEFINITE_LENGTH", "indefinite length (not DER)" },
	{ BR_ERR_X509_EXTRA_ELEMENT, "BR_ERR_X509_EXTRA_ELEMENT", "extraneous element" },
	{ BR_ERR_X509_UNEXPECTED, "BR_ERR_X509_UNEXPECTED", "unexpected element" },
	{ BR_ERR_X509_NOT_CONSTRUCTED, "BR_ERR_X509_NOT_CONSTRUCTED", "expected a constructed element" },
	{ BR_ERR_X509_NOT_PRIMITIVE, "BR_ERR_X509_NOT_PRIMITIVE", "expected a primitive element" },
	{ BR_ERR_X509_PARTIAL_BYTE, "BR_ERR_X509_PARTIAL_BYTE", "BIT STRING with a partial byte" },
	{ BR_ERR_X509_BAD_BOOLEAN, "BR_ERR_X509_BAD_BOOLEAN", "invalid BOOLEAN" },
	{ BR_ERR_X509_OVERFLOW, "BR_ERR_X509_OVERFLOW", "value out of range" },
	{ BR_ERR_X509_BAD_DN, "BR_ERR_X509_BAD_DN", "invalid distinguished name" },
	{ BR_ERR_X509_BAD_TIME, "BR_ERR_X509_BAD_TIME", "invalid date/time" },
	{ BR_ERR_X509_UNSUPPORTED, "BR_ERR_X509_UNSUPPORTED", "unsupported feature or algorithm" },
	{ BR_ERR_X509_LIMIT_EXCEEDED, "BR_ERR_X509_LIMIT_EXCEEDED", "internal limit exceeded" },
	{ BR_ERR_X509_WRONG_KEY_TYPE, "BR_ERR_X509_WRONG_KEY_TYPE", "key type does not match the signature" },
	{ BR_ERR_X509_BAD_SIGNATURE, "BR_ERR_X509_BAD_SIGNATURE", "invalid signature" },
	{ BR_ERR_X509_TIME_UNKNOWN, "BR_ERR_X509_TIME_UNKNOWN", "current time unknown" },
	{ BR_ERR_X509_EXPIRED, "BR_ERR_X509_EXPIRED", "expired or not yet valid" },
	{ BR_ERR_X509_DN_MISMATCH, "BR_ERR_X509_DN_MISMATCH", "issuer/subject name mismatch in the chain" },
	{ BR_ERR_X509_BAD_SERVER_NAME, "BR_ERR_X509_BAD_SERVER_NAME", "name mismatch" },
	{ BR_ERR_X509_CRITICAL_EXTENSION, "BR_ERR_X509_CRITICAL_EXTENSION", "unknown critical extension" },
	{ BR_ERR_X509_NOT_CA, "BR_ERR_X509_NOT_CA", "issuer is not a CA" },
	{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, "BR_ERR_X509_FORBIDDEN_KEY_USAGE", "key usage forbids this use" },
	{ BR_ERR_X509_WEAK_PUBLIC_KEY, "BR_ERR_X509_WEAK_PUBLIC_KEY", "public key too weak" },
	{ BR_ERR_X509_NOT_TRUSTED, "BR_ERR_X509_NOT_TRUSTED", "not signed by a trusted root (unknown root)" },
};

static const struct br_err_desc *
br_err_find(int code)
{
	for (size_t i = 0; i < sizeof(br_errs) / sizeof(br_errs[0]); i++)
		if (br_errs[i].code == code)
			return &br_errs[i];
	return NULL;
}

const char *
tls_br_error_name(int code)
{
	const struct br_err_desc *d;

	if (code >= BR_ERR_SEND_FATAL_ALERT && code < BR_ERR_SEND_FATAL_ALERT + 256)
		return "BR_ERR_SEND_FATAL_ALERT";
	if (code >= BR_ERR_RECV_FATAL_ALERT && code < BR_ERR_RECV_FATAL_ALERT + 256)
		return "BR_ERR_RECV_FATAL_ALERT";
	d = br_err_find(code);
	return d ? d->name : NULL;
}

const char *
tls_br_error_text(int code)
{
	const struct br_err_desc *d;

	if (code >= BR_ERR_SEND_FATAL_ALERT && code < BR_ERR_SEND_FATAL_ALERT + 256)
		return "sent a fatal alert";
	if (code >= BR_ERR_RECV_FATAL_ALERT && code < BR_ERR_RECV_FATAL_ALERT + 256)
		return "received a fatal alert";
	d = br_err_find(code);
	return d ? d->text : NULL;
}

/* RFC 5246 §7.2, RFC 8446 §6 */
static const struct {
	int n;
	const char *name;
} alerts[] = {
	{ 0, "close_notify" },
	{ 10, "unexpected_message" },
	{ 20, "bad_record_mac" },
	{ 21, "decryption_failed" },
	{ 22, "record_overflow" },
	{ 30, "decompression_failure" },
	{ 40, "handshake_failure" },
	{ 41, "no_certificate" },
	{ 42, "bad_certificate" },
	{ 43, "unsupported_certificate" },
	{ 44, "certificate_revoked" },
	{ 45, "certificate_expired" },
	{ 46, "certificate_unknown" },
	{ 47, "illegal_parameter" },
	{ 48, "unknown_ca" },
	{ 49, "access_denied" },
	{ 50, "decode_error" },
	{ 51, "decrypt_error" },
	{ 60, "export_restriction" },
	{ 70, "protocol_version" },
	{ 71, "insufficient_security" },
	{ 80, "internal_error" },
	{ 86, "inappropriate_fallback" },
	{ 90, "user_canceled" },
	{ 100, "no_renegotiation" },
	{ 109, "missing_extension" },
	{ 110, "unsupported_extension" },
	{ 112, "unrecognized_name" },
	{ 113, "bad_certificate_status_response" },
	{ 115, "unknown_psk_identity" },
	{ 116, "certificate_required" },
	{ 120, "no_application_protocol" },
};

const char *
tls_alert_name(int alert)
{
	for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (alerts[i].n == alert)
			return alerts[i].name;
	return NULL;
}

/* What a fatal alert we sent most likely means. */
static const char *
sent_alert_hint(int alert)
{
	switch (alert) {
	case 40:
		return ": no cipher suite, curve or signature algorithm in common";
	case 70:
		return ": the peer does not speak TLS 1.2";
	default:
		return "";
	}
}

/* What an alert from the peer most likely means for us. */
static const char *
alert_hint(int alert)
{
	switch (alert) {
	case 40:
		return ": no cipher suite, curve or signature algorithm in common "
		       "(we speak TLS 1.2 with ECDHE-ECDSA and AES-GCM or ChaCha20-Poly1305)";
	case 70:
		return ": the peer does not speak TLS 1.2";
	case 42: case 43: case 45: case 46: case 48:
		return ": the peer refused our certificate";
	case 116:
		return ": the peer requires a client certificate";
	default:
		return "";
	}
}

void
tls_format_br_error(char err[TLS_ERR_MAX], int code, const char *peer)
{
	const char *name, *text, *an;
	int alert;

	if (!err)
		return;
	name = tls_br_error_name(code);
	text = tls_br_error_text(code);
	if (code >= BR_ERR_RECV_FATAL_ALERT && code < BR_ERR_SEND_FATAL_ALERT + 256) {
		bool recv = code < BR_ERR_SEND_FATAL_ALERT;

		alert = code - (recv ? BR_ERR_RECV_FATAL_ALERT : BR_ERR_SEND_FATAL_ALERT);
		an = tls_alert_name(alert);
		if (recv)
			snprintf(err, TLS_ERR_MAX, "TLS: %s sent fatal alert %d (%s)%s (%s)",
				 peer, alert, an ? an : "unknown", alert_hint(alert), name);
		else
			snprintf(err, TLS_ERR_MAX, "TLS: we sent fatal alert %d (%s) to the %s%s (%s)",
				 alert, an ? an : "unknown", peer, sent_alert_hint(alert), name);
		return;
	}
	if (!name) {
		snprintf(err, TLS_ERR_MAX, "TLS: unknown BearSSL error %d", code);
		return;
	}
	if (code >= BR_ERR_X509_OK && code < BR_ERR_RECV_FATAL_ALERT)
		snprintf(err, TLS_ERR_MAX, "TLS: %s certificate: %s (%s)", peer, text, name);
	else
		snprintf(err, TLS_ERR_MAX, "TLS: handshake with the %s: %s (%s)", peer, text, name);
}

static const struct {
	uint16_t suite;
	const char *name;
} suites[] = {
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ BR_TLS_RSA_WITH_AES_128_GCM_SHA256, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, "TLS_RSA_WITH_AES_128_CBC_SHA" },
};

const char *
tls_suite_name(uint16_t suite)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].suite == suite)
			return suites[i].name;
	return NULL;
}
