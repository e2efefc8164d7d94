/* ctrlcerts: the controller's certificate chain, device side.  See ctrlcerts.h. */
#include "ctrlcerts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certstatus.h"
#include "pem.h"
#include "x509_chain.h"
#include "x509_read.h"

#include "certs/certs.pb-c.h"

typedef Org__Lfedge__Eve__Certs__ZCert ZCert;

int
ctrlcerts_load_anchors(const char *pem, size_t len, uint8_t *storage, size_t cap,
		       const uint8_t *der[CTRLCERTS_ANCHORS_MAX],
		       size_t der_len[CTRLCERTS_ANCHORS_MAX], size_t *n, char *err, size_t errsz)
{
	int rc = x509_chain_load_pem(pem, len, storage, cap, der, der_len,
				     CTRLCERTS_ANCHORS_MAX, n, err, errsz);

	if (rc < 0)
		return rc;
	if (*n == 0) {
		snprintf(err, errsz, "no CERTIFICATE in the root certificate file");
		return -ENOENT;
	}
	return 0;
}

/* Decodes a ZCert's PEM into der (X509_DER_MAX) and checks its certHash. */
static int
zcert_der(const ZCert *z, uint8_t *der, size_t *dlen, struct x509_cert *xc, char *err,
	  size_t errsz)
{
	uint8_t hd[32], hp[32];
	char e[256];

	if (pem_decode_first((const char *)z->cert.data, z->cert.len, "CERTIFICATE", der,
			     X509_DER_MAX, dlen, e, sizeof(e)) < 0 ||
	    x509_cert_parse(der, *dlen, xc, e, sizeof(e)) < 0) {
		snprintf(err, errsz, "controller certificate (type %d): %s", (int)z->type, e);
		return -EBADMSG;
	}
	if (z->certhash.len) {
		size_t hl = z->certhash.len;

		x509_der_sha256(der, *dlen, hd);
		x509_der_sha256(z->cert.data, z->cert.len, hp);
		if ((hl != 16 && hl != 32) ||
		    (memcmp(z->certhash.data, hd, hl) != 0 && memcmp(z->certhash.data, hp, hl) != 0)) {
			snprintf(err, errsz, "controller certificate '%s': certHash does not match "
				 "the certificate", xc->subject_cn);
			return -EBADMSG;
		}
	}
	return 0;
}

/* The status items of a ZCert, checked: 0, or -errno with err. */
static int
zcert_status(const ZCert *z, const uint8_t *der, size_t dlen, const uint8_t *const *anchors,
	     const size_t *anchors_len, size_t n_anchors, time_t now, bool require,
	     const char *cn, char *err, size_t errsz)
{
	char e[CERTSTATUS_ERR_MAX];
	uint8_t hash[32];
	int rc, seen = 0;

	x509_der_sha256(der, dlen, hash);
	for (size_t i = 0; i < z->n_meta_data_items; i++) {
		const Org__Lfedge__Eve__Certs__ZCertMetaData *m = z->meta_data_items[i];

		if (m->type != ORG__LFEDGE__EVE__CERTS__ZCERT_META_DATA_TYPE__Z_CERT_META_DATA_TYPE_EDGEVISOR_CERT_STATUS)
			continue;
		seen++;
		rc = certstatus_check(m->meta_data.data, m->meta_data.len, hash, anchors,
				      anchors_len, n_anchors, now, e);
		if (rc == -EKEYREVOKED || (rc < 0 && require)) {
			snprintf(err, errsz, "certs: '%s': %s", cn, e);
			return rc;
		}
		if (rc == 0)
			return 0;
	}
	if (require) {
		snprintf(err, errsz, "certs: '%s': %s, and /config requires one", cn,
			 seen ? "no usable certificate status" : "no certificate status");
		return -ENODATA;
	}
	return 0;
}

int
ctrlcerts_verify(const uint8_t *body, size_t len, const uint8_t *const *anchors,
		 const size_t *anchors_len, size_t n_anchors, time_t now, bool require_status,
		 struct ctrlcerts *out, char err[CTRLCERTS_ERR_MAX])
{
	static uint8_t der[CTRLCERTS_MAX][X509_DER_MAX];
	Org__Lfedge__Eve__Certs__ZControllerCert *zc = NULL;
	struct x509_cert xc[CTRLCERTS_MAX];
	size_t dlen[CTRLCERTS_MAX], n = 0, plen;
	uint8_t *payload = NULL;
	char e[AUTH_ERR_MAX], ce[400];
	int signing = -1, rc;
	const ZCert *signing_z = NULL;

	memset(out, 0, sizeof(*out));
	rc = auth_payload_unchecked(body, len, &payload, &plen, e);
	if (rc < 0) {
		snprintf(err, CTRLCERTS_ERR_MAX, "certs: %s", e);
		return rc;
	}
	zc = org__lfedge__eve__certs__zcontroller_cert__unpack(NULL, plen, payload);
	free(payload);
	if (!zc) {
		snprintf(err, CTRLCERTS_ERR_MAX, "certs: payload is not a ZControllerCert");
		return -EBADMSG;
	}
	for (size_t i = 0; i < zc->n_certs; i++) {
		const ZCert *z = zc->certs[i];

		if (z->type != ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING &&
		    z->type != ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_INTERMEDIATE)
			continue; /* ECDH and others: not for checking signatures */
		if (n == CTRLCERTS_MAX) {
			snprintf(err, CTRLCERTS_ERR_MAX, "certs: more than %d certificates",
				 CTRLCERTS_MAX);
			rc = -E2BIG;
			goto out;
		}
		rc = zcert_der(z, der[n], &dlen[n], &xc[n], err, CTRLCERTS_ERR_MAX);
		if (rc < 0)
			goto out;
		rc = zcert_status(z, der[n], dlen[n], anchors, anchors_len, n_anchors, now,
				  require_status, xc[n].subject_cn, err, CTRLCERTS_ERR_MAX);
		if (rc < 0)
			goto out;
		if (z->type == ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING &&
		    signing < 0) {
			signing = (int)n;
			signing_z = z;
		}
		n++;
	}
	if (signing < 0) {
		snprintf(err, CTRLCERTS_ERR_MAX, "certs: no controller signing certificate");
		rc = -ENOENT;
		goto out;
	}
	/* walk up from the signing certificate to an anchor */
	rc = x509_chain_check(&xc[signing], xc, n, anchors, anchors_len, n_anchors, now, ce,
			      sizeof(ce));
	if (rc < 0) {
		snprintf(err, CTRLCERTS_ERR_MAX, "certs: %s", ce);
		goto out;
	}
	/* the container must be signed by that signing certificate */
	if ((rc = auth_key_from_cert(&out->keys[0], der[signing], dlen[signing], e)) < 0) {
		snprintf(err, CTRLCERTS_ERR_MAX, "certs: %s", e);
		goto out;
	}
	out->keys[1] = out->keys[0];
	x509_der_sha256(signing_z->cert.data, signing_z->cert.len, out->keys[1].cert_hash);
	out->nkeys = 2;
	rc = auth_open(body, len, out->keys, 2, &payload, &plen, NULL, e);
	free(payload);
	if (rc < 0) {
		snprintf(err, CTRLCERTS_ERR_MAX, "certs: %s", e);
		memset(out, 0, sizeof(*out));
		goto out;
	}
	snprintf(out->signer_cn, sizeof(out->signer_cn), "%s", xc[signing].subject_cn);
	out->not_after = xc[signing].not_after;
out:
	org__lfedge__eve__certs__zcontroller_cert__free_unpacked(zc, NULL);
	return rc;
}
