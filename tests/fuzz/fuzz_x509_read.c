/*
 * Fuzz target: the X.509 certificate reader on hostile bytes, taken three
 * ways: as certificate DER, as PEM text holding a CERTIFICATE block (decoded,
 * then parsed), and through the generic DER structure check.  Whatever the
 * bytes: a refusal carries a reason; an accepted certificate points only
 * inside its input, has a P-256 key, and its signature and time checks give
 * an answer with a reason; PEM re-encoding gives back the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "der.h"
#include "pem.h"
#include "x509_read.h"

static void
inside(const struct x509_bytes *b, const uint8_t *d, size_t n)
{
	if (b->len && (b->p < d || b->p + b->len > d + n))
		abort();
}

static void
check_cert(const uint8_t *d, size_t n)
{
	char err[X509_ERR_MAX];
	struct x509_cert c;
	int rc;

	err[0] = '\0';
	rc = x509_cert_parse(d, n, &c, err, sizeof(err));
	if (rc < 0) {
		if (!err[0])
			abort();
		return;
	}
	inside(&c.der, d, n);
	inside(&c.tbs, d, n);
	inside(&c.serial, d, n);
	inside(&c.issuer_dn, d, n);
	inside(&c.subject_dn, d, n);
	inside(&c.ski, d, n);
	inside(&c.aki, d, n);
	inside(&c.sig, d, n);
	if (c.n_dns > X509_DNS_MAX)
		abort();
	for (size_t i = 0; i < c.n_dns; i++)
		inside(&c.dns[i], d, n);
	if ((c.version != 1 && c.version != 3) || strlen(c.subject_cn) > X509_CN_MAX ||
	    strlen(c.issuer_cn) > X509_CN_MAX || !x509_p256_point_valid(c.pub))
		abort();
	err[0] = '\0';
	if (x509_cert_check_issued_by(&c, &c, err, sizeof(err)) < 0 && !err[0])
		abort();
	err[0] = '\0';
	if (x509_cert_verify(&c, c.pub, err, sizeof(err)) < 0 && !err[0])
		abort();
	if (c.not_before <= c.not_after &&
	    x509_cert_check_time(&c, c.not_before, err, sizeof(err)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t der[X509_DER_MAX], back[X509_DER_MAX];
	static char pem[3 * X509_DER_MAX];
	char err[X509_ERR_MAX];
	struct der_reader r;
	size_t n = 0, pn, bn;
	int rc;

	check_cert(data, size);

	der_reader_init(&r, data, size, "input", err, sizeof(err));
	if (der_check(&r, DER_MAX_DEPTH) < 0 && !err[0])
		abort();

	err[0] = '\0';
	rc = pem_decode_first((const char *)data, size, "CERTIFICATE", der, sizeof(der), &n, err,
			      sizeof(err));
	if (rc < 0) {
		if (!err[0])
			abort();
		return 0;
	}
	if (n == 0 || n > sizeof(der))
		abort();
	check_cert(der, n);
	if (pem_encode("CERTIFICATE", der, n, pem, sizeof(pem), &pn) != 0 ||
	    pem_decode_first(pem, pn, "CERTIFICATE", back, sizeof(back), &bn, err, sizeof(err)) != 0 ||
	    bn != n || memcmp(back, der, n) != 0)
		abort();
	return 0;
}
