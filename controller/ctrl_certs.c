/* ctrl_certs: the `certs` reply.  See ctrl_certs.h. */
#include "ctrl_certs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certstatus.h"
#include "pem.h"
#include "store.h"
#include "x509_read.h"

#include "certs/certs.pb-c.h"

#define CHAIN_MAX 8

int
ctrl_certs_build(const char *chain_pem, size_t len, const struct ctrl_certs_status *status,
		 uint8_t **out, size_t *out_len, uint8_t signing_hash[32], char *err, size_t errsz)
{
	Org__Lfedge__Eve__Certs__ZCertMetaData md[CHAIN_MAX], *mdp[CHAIN_MAX];
	uint8_t *sts[CHAIN_MAX] = { NULL };
	static uint8_t der[CHAIN_MAX][X509_DER_MAX];
	Org__Lfedge__Eve__Certs__ZControllerCert zc = ORG__LFEDGE__EVE__CERTS__ZCONTROLLER_CERT__INIT;
	Org__Lfedge__Eve__Certs__ZCert z[CHAIN_MAX], *zp[CHAIN_MAX];
	uint8_t hash[CHAIN_MAX][32];
	const char *p = chain_pem, *end = chain_pem + len;
	size_t n = 0, dl;
	struct x509_cert xc;
	int rc;

	*out = NULL;
	*out_len = 0;
	while (p < end && n < CHAIN_MAX) {
		const char *b = strstr(p, "-----BEGIN CERTIFICATE-----");
		const char *e = b ? strstr(b, "-----END CERTIFICATE-----") : NULL;

		if (!e)
			break;
		e += strlen("-----END CERTIFICATE-----");
		rc = pem_decode_first(b, (size_t)(e - b), "CERTIFICATE", der[n], X509_DER_MAX, &dl,
				      err, errsz);
		if (rc < 0)
			goto out;
		if ((rc = x509_cert_parse(der[n], dl, &xc, err, errsz)) < 0)
			goto out;
		if (n > 0 && xc.issuer_dn.len == xc.subject_dn.len &&
		    memcmp(xc.issuer_dn.p, xc.subject_dn.p, xc.subject_dn.len) == 0)
			break; /* the root: devices have it */
		org__lfedge__eve__certs__zcert__init(&z[n]);
		z[n].hashalgo = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES;
		x509_der_sha256(der[n], dl, hash[n]);
		z[n].certhash.data = hash[n];
		z[n].certhash.len = 32;
		z[n].type = n == 0 ? ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING
				   : ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_INTERMEDIATE;
		z[n].cert.data = (uint8_t *)b;
		z[n].cert.len = (size_t)(e - b);
		if (status) {
			int64_t when = 0;
			size_t sl;
			bool revoked = store_cert_revoked(status->st, hash[n], &when) == 0;
			char serr[CERTSTATUS_ERR_MAX];

			rc = certstatus_make(hash[n], revoked ? CERTSTATUS_REVOKED : CERTSTATUS_GOOD,
					     status->now, status->now + status->validity_s,
					     revoked ? (time_t)when : 0, status->signer, status->der,
					     status->len, &sts[n], &sl, serr);
			if (rc < 0) {
				snprintf(err, errsz, "%s", serr);
				goto out;
			}
			org__lfedge__eve__certs__zcert_meta_data__init(&md[n]);
			md[n].type = ORG__LFEDGE__EVE__CERTS__ZCERT_META_DATA_TYPE__Z_CERT_META_DATA_TYPE_EDGEVISOR_CERT_STATUS;
			md[n].meta_data.data = sts[n];
			md[n].meta_data.len = sl;
			mdp[n] = &md[n];
			z[n].n_meta_data_items = 1;
			z[n].meta_data_items = &mdp[n];
		}
		zp[n] = &z[n];
		n++;
		p = e;
	}
	if (n == 0) {
		snprintf(err, errsz, "signing certificate file: no CERTIFICATE");
		rc = -ENOENT;
		goto out;
	}
	memcpy(signing_hash, hash[0], 32);
	zc.n_certs = n;
	zc.certs = zp;
	*out_len = org__lfedge__eve__certs__zcontroller_cert__get_packed_size(&zc);
	*out = malloc(*out_len + 1);
	if (!*out) {
		rc = -ENOMEM;
		goto out;
	}
	org__lfedge__eve__certs__zcontroller_cert__pack(&zc, *out);
	rc = 0;
out:
	for (size_t i = 0; i < CHAIN_MAX; i++)
		free(sts[i]);
	return rc;
}
