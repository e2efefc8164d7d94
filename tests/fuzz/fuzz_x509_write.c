/*
 * Fuzz target: the X.509 writer.  The input chooses the parameters (names,
 * DNS names, validity, constraints, key usages, issuer); whatever the writer
 * accepts must parse back with our reader to the same values and verify with
 * the signing key; whatever it refuses must say why.
 */
#include <bearssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x509_read.h"
#include "x509_write.h"

static struct {
	struct signer s;
	br_ec_private_key sk;
	uint8_t x[BR_EC_KBUF_PRIV_MAX_SIZE];
} key;

static int
sign(struct signer *s, const uint8_t hash[32], uint8_t sig[SIGNER_SIG_LEN])
{
	(void)s;
	return br_ecdsa_sign_raw_get_default()(br_ec_get_default(), &br_sha256_vtable, hash,
					       &key.sk, sig) == 64 ? 0 : -1;
}

static void
init(void)
{
	br_hmac_drbg_context rng;
	br_ec_public_key pk;

	br_hmac_drbg_init(&rng, &br_sha256_vtable, "edgevisor-fuzz-x509w", 20);
	if (!br_ec_keygen(&rng.vtable, br_ec_get_default(), &key.sk, key.x, BR_EC_secp256r1) ||
	    br_ec_compute_pub(br_ec_get_default(), &pk, key.s.pub, &key.sk) != 65)
		abort();
	key.s.sign = sign;
}

/* Takes a NUL-terminated string of up to max bytes from the input. */
static const char *
take(const uint8_t **d, size_t *n, size_t max, char *buf)
{
	size_t l = *n ? (*d)[0] % (max + 1) : 0;

	if (*n)
		(*d)++, (*n)--;
	if (l > *n)
		l = *n;
	memcpy(buf, *d, l);
	buf[l] = '\0';
	*d += l;
	*n -= l;
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t der[X509_DER_MAX];
	char cn[80], o[80], dns[4][80], err[X509_ERR_MAX];
	const char *dnsp[4];
	struct x509_cert_params p;
	struct x509_cert c;
	size_t len;
	uint8_t flags;

	if (!key.s.sign)
		init();
	if (size < 12)
		return 0;
	memset(&p, 0, sizeof(p));
	memcpy(p.serial, data, 8);
	p.serial[0] = (uint8_t)(p.serial[0] | 1);
	flags = data[8];
	p.not_before = (time_t)((uint32_t)data[9] << 24) * 4;
	p.not_after = p.not_before + (time_t)data[10] * 86400 * 30 + 1;
	p.key_usage = data[11] & 0x75u;
	data += 12;
	size -= 12;
	p.subject.cn = take(&data, &size, 70, cn);
	p.subject.o = flags & 1 ? take(&data, &size, 70, o) : NULL;
	p.n_dns = (flags >> 1) & 3;
	for (size_t i = 0; i < p.n_dns; i++)
		dnsp[i] = take(&data, &size, 70, dns[i]);
	p.dns = dnsp;
	p.subject_pub = key.s.pub;
	p.basic_constraints = flags & 8;
	p.ca = flags & 16;
	p.path_len = flags & 32 ? 0 : -1;
	p.ext_key_usage = flags & 64 ? X509_EKU_SERVER_AUTH | X509_EKU_CLIENT_AUTH : 0;
	err[0] = '\0';
	if (x509_cert_write(&p, &key.s, der, sizeof(der), &len, err, sizeof(err)) < 0) {
		if (!err[0])
			abort(); /* every refusal names its reason */
		return 0;
	}
	if (x509_cert_parse(der, len, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "wrote what we cannot read: %s\n", err);
		abort();
	}
	if (strcmp(c.subject_cn, cn) != 0 || memcmp(c.pub, key.s.pub, 65) != 0 ||
	    c.n_dns != p.n_dns || x509_cert_verify(&c, key.s.pub, err, sizeof(err)) < 0) {
		fprintf(stderr, "read back differs: cn '%s' vs '%s', dns %zu vs %zu\n", c.subject_cn,
			cn, c.n_dns, p.n_dns);
		abort();
	}
	return 0;
}
