/*
 * Fuzz target: the PEM loaders of dom0/tls on hostile bytes, the way
 * /config/root-certificate.pem, a server chain or a key file reaches them:
 * tls_anchors_parse, tls_chain_parse and tls_key_parse on the same input,
 * then tls_key_check_chain when a chain and a key both came out.  Whatever
 * the bytes, each returns a result within its bounds or an error with a
 * message, and frees what it made.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_anchors a;
	struct tls_chain c;
	struct tls_key k;
	char err[TLS_ERR_MAX];
	volatile size_t sink = 0;
	int ra, rc, rk;

	err[0] = 0;
	ra = tls_anchors_parse(&a, data, size, "fuzz", err);
	if (ra == 0) {
		if (a.n == 0 || a.n > TLS_ANCHORS_MAX)
			abort();
		for (size_t i = 0; i < a.n; i++) {
			const br_x509_trust_anchor *t = &a.ta[i];

			if (t->dn.len > TLS_DN_MAX || (t->flags & ~BR_X509_TA_CA))
				abort();
			if (t->pkey.key_type == BR_KEYTYPE_EC)
				sink += t->pkey.key.ec.q[0] + t->pkey.key.ec.qlen;
			else if (t->pkey.key_type == BR_KEYTYPE_RSA)
				sink += t->pkey.key.rsa.n[0] + t->pkey.key.rsa.e[0];
			else
				abort();
		}
		tls_anchors_free(&a);
	} else if (!err[0] || a.ta || a.n) {
		abort();
	}

	err[0] = 0;
	rc = tls_chain_parse(&c, data, size, "fuzz", err);
	if (rc == 0) {
		if (c.n == 0 || c.n > TLS_CHAIN_MAX)
			abort();
		for (size_t i = 0; i < c.n; i++)
			if (c.certs[i].data_len == 0 || c.certs[i].data_len > TLS_DER_MAX)
				abort();
	} else if (!err[0] || c.certs || c.n) {
		abort();
	}

	err[0] = 0;
	rk = tls_key_parse(&k, data, size, "fuzz", err);
	if (rk == 0) {
		if (!k.buf || (k.type != BR_KEYTYPE_EC && k.type != BR_KEYTYPE_RSA))
			abort();
	} else if (!err[0] || k.buf) {
		abort();
	}

	if (rc == 0 && rk == 0) {
		err[0] = 0;
		if (tls_key_check_chain(&k, &c, err) < 0 && !err[0])
			abort();
	}
	if (rc == 0)
		tls_chain_free(&c);
	if (rk == 0)
		tls_key_free(&k);
	(void)sink;
	return 0;
}
