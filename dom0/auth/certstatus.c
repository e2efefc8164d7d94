/* certstatus: signed certificate status.  See certstatus.h. */
#include "certstatus.h"

#include <bearssl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x509_read.h"
#include "x509_write.h"

#include "edgevisor/certstatus.pb-c.h"

typedef Edgevisor__Certstatus__CertStatusTbs Tbs;
typedef Edgevisor__Certstatus__SignedCertStatus Signed;

int
certstatus_make(const uint8_t cert_hash[32], enum certstatus status, time_t this_update,
		time_t next_update, time_t revocation_time, struct signer *responder,
		const uint8_t *responder_der, size_t responder_len, uint8_t **out, size_t *out_len,
		char err[CERTSTATUS_ERR_MAX])
{
	Tbs tbs = EDGEVISOR__CERTSTATUS__CERT_STATUS_TBS__INIT;
	Signed sg = EDGEVISOR__CERTSTATUS__SIGNED_CERT_STATUS__INIT;
	uint8_t tbuf[128], hash[32], sig[SIGNER_SIG_LEN];
	size_t tlen;
	int rc;

	*out = NULL;
	*out_len = 0;
	tbs.cert_hash.data = (uint8_t *)cert_hash;
	tbs.cert_hash.len = 32;
	tbs.status = status == CERTSTATUS_REVOKED ? EDGEVISOR__CERTSTATUS__CERT_STATUS_VALUE__CERT_STATUS_REVOKED
						  : EDGEVISOR__CERTSTATUS__CERT_STATUS_VALUE__CERT_STATUS_GOOD;
	tbs.this_update = this_update;
	tbs.next_update = next_update;
	tbs.revocation_time = revocation_time;
	tlen = edgevisor__certstatus__cert_status_tbs__pack(&tbs, tbuf);
	x509_der_sha256(tbuf, tlen, hash);
	if ((rc = responder->sign(responder, hash, sig)) < 0) {
		snprintf(err, CERTSTATUS_ERR_MAX, "certificate status: signing failed: %s",
			 strerror(-rc));
		return rc;
	}
	sg.tbs.data = tbuf;
	sg.tbs.len = tlen;
	sg.signature.data = sig;
	sg.signature.len = sizeof(sig);
	sg.responder_cert.data = (uint8_t *)responder_der;
	sg.responder_cert.len = responder_len;
	*out_len = edgevisor__certstatus__signed_cert_status__get_packed_size(&sg);
	*out = malloc(*out_len);
	if (!*out)
		return -ENOMEM;
	edgevisor__certstatus__signed_cert_status__pack(&sg, *out);
	return 0;
}

int
certstatus_check(const uint8_t *signed_status, size_t len, const uint8_t cert_hash[32],
		 const uint8_t *const *anchors, const size_t *anchors_len, size_t n_anchors,
		 time_t now, char err[CERTSTATUS_ERR_MAX])
{
	Signed *sg;
	Tbs *tbs = NULL;
	struct x509_cert resp, anchor;
	uint8_t hash[32];
	char e[256];
	bool issued = false;
	int rc = 0;

	sg = edgevisor__certstatus__signed_cert_status__unpack(NULL, len, signed_status);
	if (!sg) {
		snprintf(err, CERTSTATUS_ERR_MAX, "certificate status: not a SignedCertStatus");
		return -EBADMSG;
	}
	if (x509_cert_parse(sg->responder_cert.data, sg->responder_cert.len, &resp, e,
			    sizeof(e)) < 0) {
		snprintf(err, CERTSTATUS_ERR_MAX, "certificate status: responder certificate: %s", e);
		rc = -EBADMSG;
		goto out;
	}
	for (size_t i = 0; i < n_anchors && !issued; i++)
		issued = x509_cert_parse(anchors[i], anchors_len[i], &anchor, e, sizeof(e)) == 0 &&
			 x509_cert_check_issued_by(&resp, &anchor, e, sizeof(e)) == 0;
	if (!issued || !(resp.ext_key_usage & X509_EKU_OCSP_SIGNING) ||
	    x509_cert_check_time(&resp, now, e, sizeof(e)) < 0) {
		snprintf(err, CERTSTATUS_ERR_MAX, "certificate status: responder '%s' is not a "
			 "current status signer issued by the root", resp.subject_cn);
		rc = -EKEYREJECTED;
		goto out;
	}
	x509_der_sha256(sg->tbs.data, sg->tbs.len, hash);
	if (sg->signature.len != 64 ||
	    !br_ecdsa_vrfy_raw_get_default()(br_ec_get_default(), hash, 32,
					     &(br_ec_public_key){ BR_EC_secp256r1, resp.pub, 65 },
					     sg->signature.data, 64)) {
		snprintf(err, CERTSTATUS_ERR_MAX, "certificate status: signature does not verify");
		rc = -EKEYREJECTED;
		goto out;
	}
	tbs = edgevisor__certstatus__cert_status_tbs__unpack(NULL, sg->tbs.len, sg->tbs.data);
	if (!tbs || tbs->cert_hash.len != 32 || memcmp(tbs->cert_hash.data, cert_hash, 32) != 0) {
		snprintf(err, CERTSTATUS_ERR_MAX, "certificate status: about another certificate");
		rc = -EBADMSG;
		goto out;
	}
	if (tbs->status == EDGEVISOR__CERTSTATUS__CERT_STATUS_VALUE__CERT_STATUS_REVOKED) {
		snprintf(err, CERTSTATUS_ERR_MAX, "certificate status: REVOKED (at %lld)",
			 (long long)tbs->revocation_time);
		rc = -EKEYREVOKED;
		goto out;
	}
	if (tbs->status != EDGEVISOR__CERTSTATUS__CERT_STATUS_VALUE__CERT_STATUS_GOOD) {
		snprintf(err, CERTSTATUS_ERR_MAX, "certificate status: unknown status %d",
			 (int)tbs->status);
		rc = -EBADMSG;
		goto out;
	}
	if (tbs->this_update > now + CERTSTATUS_SKEW || now >= tbs->next_update + CERTSTATUS_SKEW) {
		snprintf(err, CERTSTATUS_ERR_MAX, "certificate status: stale (valid %lld..%lld, now "
			 "%lld)", (long long)tbs->this_update, (long long)tbs->next_update,
			 (long long)now);
		rc = -ESTALE;
		goto out;
	}
out:
	if (tbs)
		edgevisor__certstatus__cert_status_tbs__free_unpacked(tbs, NULL);
	edgevisor__certstatus__signed_cert_status__free_unpacked(sg, NULL);
	return rc;
}
