/*
 * idkey_tpm — the TPM key backend: the device key as a persistent ECC
 * P-256 primary key under the owner hierarchy, via tpm2-tss ESYS. See
 * idkey.h for the rules (what key at the handle is accepted, the template
 * of a created one, why a primary).
 */
#include "idkey_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bearssl/bearssl.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#define OWNER_PERSISTENT_FIRST 0x81000000u
#define OWNER_PERSISTENT_LAST  0x817FFFFFu

/* What the open-time self-test signs: any fixed 32 bytes do. */
static const uint8_t selftest_hash[32] = {
	'e', 'd', 'g', 'e', 'v', 'i', 's', 'o', 'r', ' ', 'i', 'd', 'k', 'e',
	'y', ' ', 's', 'e', 'l', 'f', '-', 't', 'e', 's', 't', 0, 0, 0, 0, 0,
	0, 1,
};

static const char *alg_name(TPM2_ALG_ID a)
{
	switch (a) {
	case TPM2_ALG_RSA: return "an RSA key";
	case TPM2_ALG_KEYEDHASH: return "a keyed-hash object";
	case TPM2_ALG_SYMCIPHER: return "a symmetric key";
	case TPM2_ALG_ECC: return "an ECC key";
	default: return "an object of unknown type";
	}
}

static const char *curve_name(TPMI_ECC_CURVE c)
{
	switch (c) {
	case TPM2_ECC_NIST_P192: return "NIST P-192";
	case TPM2_ECC_NIST_P224: return "NIST P-224";
	case TPM2_ECC_NIST_P256: return "NIST P-256";
	case TPM2_ECC_NIST_P384: return "NIST P-384";
	case TPM2_ECC_NIST_P521: return "NIST P-521";
	case TPM2_ECC_BN_P256: return "BN P-256";
	case TPM2_ECC_SM2_P256: return "SM2 P-256";
	default: return "an unknown curve";
	}
}

int idkey_tpm_check_public(const TPMT_PUBLIC *p, uint32_t handle,
			   uint8_t pub[SIGNER_PUB_LEN], char *err)
{
	const TPMS_ECC_PARMS *ecc;
	TPMA_OBJECT a;
	const char *why = NULL;

	if (!p || !pub)
		return idkey_fail(err, -EINVAL, "TPM key: no public area");
	if (p->type != TPM2_ALG_ECC)
		return idkey_fail(err, -EKEYREJECTED, "TPM key at 0x%08x is %s "
				  "(type 0x%04x), not ECC P-256; refusing to "
				  "use or replace it", handle,
				  alg_name(p->type), p->type);
	ecc = &p->parameters.eccDetail;
	if (ecc->curveID != TPM2_ECC_NIST_P256)
		return idkey_fail(err, -EKEYREJECTED, "TPM key at 0x%08x is on "
				  "%s (curve 0x%04x), not NIST P-256; refusing "
				  "to use or replace it", handle,
				  curve_name(ecc->curveID), ecc->curveID);
	a = p->objectAttributes;
	if (!(a & TPMA_OBJECT_SIGN_ENCRYPT))
		why = "is not a signing key (sign attribute clear)";
	else if (a & TPMA_OBJECT_RESTRICTED)
		why = "is a restricted signing key (it signs only "
		      "TPM-generated data)";
	else if (a & TPMA_OBJECT_X509SIGN)
		why = "may not be used with TPM2_Sign (x509sign set)";
	else if (!(a & TPMA_OBJECT_FIXEDTPM))
		why = "is not fixedTPM (its private part could leave the TPM)";
	else if (!(a & TPMA_OBJECT_USERWITHAUTH))
		why = "needs a policy session to sign (userWithAuth clear)";
	if (why)
		return idkey_fail(err, -EKEYREJECTED, "TPM key at 0x%08x %s "
				  "(attributes 0x%08x); refusing to use or "
				  "replace it", handle, why, (unsigned)a);
	if (ecc->scheme.scheme != TPM2_ALG_NULL &&
	    !(ecc->scheme.scheme == TPM2_ALG_ECDSA &&
	      ecc->scheme.details.ecdsa.hashAlg == TPM2_ALG_SHA256))
		return idkey_fail(err, -EKEYREJECTED, "TPM key at 0x%08x has "
				  "signing scheme 0x%04x with hash 0x%04x, not "
				  "ECDSA-SHA256 or null; refusing to use or "
				  "replace it", handle, ecc->scheme.scheme,
				  ecc->scheme.details.anySig.hashAlg);
	if (p->unique.ecc.x.size == 0 || p->unique.ecc.x.size > 32 ||
	    p->unique.ecc.y.size == 0 || p->unique.ecc.y.size > 32)
		return idkey_fail(err, -EKEYREJECTED, "TPM key at 0x%08x: "
				  "public point of %u+%u bytes is not a P-256 "
				  "point", handle, p->unique.ecc.x.size,
				  p->unique.ecc.y.size);
	memset(pub, 0, SIGNER_PUB_LEN);
	pub[0] = 0x04;
	memcpy(pub + 1 + 32 - p->unique.ecc.x.size, p->unique.ecc.x.buffer,
	       p->unique.ecc.x.size);
	memcpy(pub + 33 + 32 - p->unique.ecc.y.size, p->unique.ecc.y.buffer,
	       p->unique.ecc.y.size);
	return 0;
}

/* An authorisation failure on a command with one password session. */
static bool is_auth_failure(TSS2_RC r)
{
	if ((r & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER ||
	    !(r & TPM2_RC_FMT1))
		return false;
	r &= 0xbf; /* drop the parameter/handle/session number */
	return r == TPM2_RC_AUTH_FAIL || r == TPM2_RC_BAD_AUTH;
}

/* Signs with the TPM; on failure -EIO, with the TSS code in *tss. */
static int tpm_sign_raw(struct idkey *k, const uint8_t hash[32],
			uint8_t sig[SIGNER_SIG_LEN], TSS2_RC *tss, char *err)
{
	TPM2B_DIGEST digest = { .size = 32 };
	TPMT_SIG_SCHEME scheme = {
		.scheme = TPM2_ALG_ECDSA,
		.details.ecdsa.hashAlg = TPM2_ALG_SHA256,
	};
	/* A non-restricted key needs no ticket: the NULL hierarchy's. */
	TPMT_TK_HASHCHECK validation = {
		.tag = TPM2_ST_HASHCHECK,
		.hierarchy = TPM2_RH_NULL,
		.digest.size = 0,
	};
	TPMT_SIGNATURE *out = NULL;
	const TPMS_SIGNATURE_ECC *e;
	TSS2_RC r;
	int rc;

	memcpy(digest.buffer, hash, 32);
	*tss = TSS2_RC_SUCCESS;
	r = Esys_Sign(k->u.tpm.esys, k->u.tpm.obj, ESYS_TR_PASSWORD,
		      ESYS_TR_NONE, ESYS_TR_NONE, &digest, &scheme,
		      &validation, &out);
	if (r != TSS2_RC_SUCCESS) {
		*tss = r;
		rc = idkey_fail(err, -EIO, "TPM key at 0x%08x: TPM2_Sign "
				"failed: %s%s", k->u.tpm.handle,
				Tss2_RC_Decode(r), is_auth_failure(r) ?
				" (the key has an authValue we do not know)" :
				"");
		goto out;
	}
	e = &out->signature.ecdsa;
	if (out->sigAlg != TPM2_ALG_ECDSA || e->signatureR.size == 0 ||
	    e->signatureR.size > 32 || e->signatureS.size == 0 ||
	    e->signatureS.size > 32) {
		rc = idkey_fail(err, -EIO, "TPM key at 0x%08x: TPM2_Sign "
				"returned a malformed signature", k->u.tpm.handle);
		goto out;
	}
	memset(sig, 0, SIGNER_SIG_LEN);
	memcpy(sig + 32 - e->signatureR.size, e->signatureR.buffer,
	       e->signatureR.size);
	memcpy(sig + 64 - e->signatureS.size, e->signatureS.buffer,
	       e->signatureS.size);
	rc = 0;
out:
	Esys_Free(out);
	return rc;
}

static int tpm_sign(struct signer *s, const uint8_t hash[32],
		    uint8_t sig[SIGNER_SIG_LEN])
{
	struct idkey *k = idkey_of(s);
	TSS2_RC tss;

	if (k->backend != IDKEY_TPM) {
		snprintf(k->last_err, sizeof(k->last_err), "key is closed");
		return -EINVAL;
	}
	return tpm_sign_raw(k, hash, sig, &tss, k->last_err);
}

/*
 * Is something at `handle`? Asked with GetCapability so that a miss is not
 * an error tpm2-tss would log. Starts up a TPM that was never started.
 */
static int handle_present(ESYS_CONTEXT *esys, const char *conf,
			  uint32_t handle, bool *present, char *err)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = 0;
	TSS2_RC r;

	r = Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
			       TPM2_CAP_HANDLES, handle, 1, &more, &cap);
	if (r == TPM2_RC_INITIALIZE) {
		r = Esys_Startup(esys, TPM2_SU_CLEAR);
		if (r != TSS2_RC_SUCCESS)
			return idkey_fail(err, -EIO, "TPM (TCTI \"%s\"): not "
					  "started, and TPM2_Startup failed: %s",
					  conf, Tss2_RC_Decode(r));
		r = Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE,
				       ESYS_TR_NONE, TPM2_CAP_HANDLES, handle,
				       1, &more, &cap);
	}
	if (r != TSS2_RC_SUCCESS)
		return idkey_fail(err, -EIO, "TPM (TCTI \"%s\"): listing "
				  "persistent handles failed: %s", conf,
				  Tss2_RC_Decode(r));
	*present = cap->capability == TPM2_CAP_HANDLES &&
		   cap->data.handles.count >= 1 &&
		   cap->data.handles.handle[0] == handle;
	Esys_Free(cap);
	return 0;
}

/* Creates the primary key and makes it persistent at `handle`. */
static int create_key(ESYS_CONTEXT *esys, uint32_t handle, ESYS_TR *obj,
		      char *err)
{
	const TPM2B_SENSITIVE_CREATE sens = { 0 };
	const TPM2B_PUBLIC tmpl = {
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM |
				TPMA_OBJECT_FIXEDPARENT |
				TPMA_OBJECT_SENSITIVEDATAORIGIN |
				TPMA_OBJECT_USERWITHAUTH |
				TPMA_OBJECT_NODA |
				TPMA_OBJECT_SIGN_ENCRYPT,
			.parameters.eccDetail = {
				.symmetric.algorithm = TPM2_ALG_NULL,
				.scheme = {
					.scheme = TPM2_ALG_ECDSA,
					.details.ecdsa.hashAlg = TPM2_ALG_SHA256,
				},
				.curveID = TPM2_ECC_NIST_P256,
				.kdf.scheme = TPM2_ALG_NULL,
			},
		},
	};
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_PUBLIC *opub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ctick = NULL;
	ESYS_TR transient = ESYS_TR_NONE;
	TSS2_RC r;
	int rc;

	r = Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
			       ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
			       &outside, &pcrs, &transient, &opub, &cdata,
			       &chash, &ctick);
	if (r != TSS2_RC_SUCCESS) {
		rc = idkey_fail(err, -EIO, "TPM key at 0x%08x: creating the "
				"primary key failed: %s%s", handle,
				Tss2_RC_Decode(r), is_auth_failure(r) ?
				" (the owner hierarchy has a password)" : "");
		goto out;
	}
	r = Esys_EvictControl(esys, ESYS_TR_RH_OWNER, transient,
			      ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
			      handle, obj);
	if (r != TSS2_RC_SUCCESS) {
		rc = idkey_fail(err, -EIO, "TPM key at 0x%08x: making the key "
				"persistent failed: %s", handle,
				Tss2_RC_Decode(r));
		goto out;
	}
	rc = 0;
out:
	if (transient != ESYS_TR_NONE)
		(void)Esys_FlushContext(esys, transient);
	Esys_Free(opub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ctick);
	return rc;
}

int idkey_tpm_open_tcti(struct idkey *k, TSS2_TCTI_CONTEXT *tcti,
			const char *tcti_conf, uint32_t handle,
			bool create_if_missing, char *err)
{
	ESYS_CONTEXT *esys = NULL;
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR obj = ESYS_TR_NONE;
	br_ec_public_key pk;
	uint8_t sig[SIGNER_SIG_LEN];
	bool present = false, created = false;
	TSS2_RC r;
	int rc;

	memset(k, 0, sizeof(*k));
	if (handle < OWNER_PERSISTENT_FIRST || handle > OWNER_PERSISTENT_LAST) {
		rc = idkey_fail(err, -EINVAL, "TPM key: handle 0x%08x is not "
				"an owner persistent handle (0x%08x-0x%08x)",
				handle, OWNER_PERSISTENT_FIRST,
				OWNER_PERSISTENT_LAST);
		goto out;
	}
	r = Esys_Initialize(&esys, tcti, NULL);
	if (r != TSS2_RC_SUCCESS) {
		rc = idkey_fail(err, -EIO, "TPM (TCTI \"%s\"): ESYS "
				"initialisation failed: %s", tcti_conf,
				Tss2_RC_Decode(r));
		goto out;
	}
	rc = handle_present(esys, tcti_conf, handle, &present, err);
	if (rc < 0)
		goto out;
	if (present) {
		r = Esys_TR_FromTPMPublic(esys, handle, ESYS_TR_NONE,
					  ESYS_TR_NONE, ESYS_TR_NONE, &obj);
		if (r != TSS2_RC_SUCCESS) {
			rc = idkey_fail(err, -EIO, "TPM key at 0x%08x: cannot "
					"load it: %s", handle,
					Tss2_RC_Decode(r));
			goto out;
		}
	} else if (!create_if_missing) {
		rc = idkey_fail(err, -ENOENT, "TPM key at 0x%08x: none (the "
				"handle is empty)", handle);
		goto out;
	} else {
		rc = create_key(esys, handle, &obj, err);
		if (rc < 0)
			goto out;
		created = true;
	}
	r = Esys_ReadPublic(esys, obj, ESYS_TR_NONE, ESYS_TR_NONE,
			    ESYS_TR_NONE, &pub, NULL, NULL);
	if (r != TSS2_RC_SUCCESS) {
		rc = idkey_fail(err, -EIO, "TPM key at 0x%08x: reading its "
				"public part failed: %s", handle,
				Tss2_RC_Decode(r));
		goto out;
	}
	rc = idkey_tpm_check_public(&pub->publicArea, handle, k->signer.pub,
				    err);
	if (rc < 0)
		goto out;

	k->u.tpm.tcti = tcti;
	k->u.tpm.esys = esys;
	k->u.tpm.obj = obj;
	k->u.tpm.handle = handle;
	k->backend = IDKEY_TPM;
	k->signer.sign = tpm_sign;
	k->signer.in_tpm = true;
	k->created = created;

	/* Self-test: the key signs for us, and with the key it reports. */
	rc = tpm_sign_raw(k, selftest_hash, sig, &r, err);
	if (rc < 0) {
		/* The TPM refused to sign with it: the key is unusable to us.
		 * Anything else (the link failed): an I/O error. */
		if ((r & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER &&
		    r != TSS2_RC_SUCCESS)
			rc = -EKEYREJECTED;
		goto fail_open;
	}
	pk.curve = BR_EC_secp256r1;
	pk.q = k->signer.pub;
	pk.qlen = SIGNER_PUB_LEN;
	if (!br_ecdsa_i31_vrfy_raw(br_ec_get_default(), selftest_hash,
				   sizeof(selftest_hash), &pk, sig,
				   sizeof(sig))) {
		rc = idkey_fail(err, -EKEYREJECTED, "TPM key at 0x%08x: its "
				"signature does not verify with its public key",
				handle);
		goto fail_open;
	}
	if (err)
		err[0] = '\0';
	Esys_Free(pub);
	return 0;

fail_open:
	memset(k, 0, sizeof(*k));
out:
	Esys_Free(pub);
	if (esys)
		Esys_Finalize(&esys);
	if (tcti)
		Tss2_TctiLdr_Finalize(&tcti);
	return rc;
}

int idkey_tpm_open(struct idkey *k, const char *tcti_conf, uint32_t handle,
		   bool create_if_missing, char *err)
{
	TSS2_TCTI_CONTEXT *tcti = NULL;
	TSS2_RC r;

	if (!k)
		return idkey_fail(err, -EINVAL, "TPM key: no key structure");
	memset(k, 0, sizeof(*k));
	if (!tcti_conf || !tcti_conf[0])
		return idkey_fail(err, -EINVAL, "TPM key: no TCTI configured");
	if (handle < OWNER_PERSISTENT_FIRST || handle > OWNER_PERSISTENT_LAST)
		return idkey_fail(err, -EINVAL, "TPM key: handle 0x%08x is not "
				  "an owner persistent handle (0x%08x-0x%08x)",
				  handle, OWNER_PERSISTENT_FIRST,
				  OWNER_PERSISTENT_LAST);
	/* Checked before connecting, so a bad handle costs no TPM round. */
	r = Tss2_TctiLdr_Initialize(tcti_conf, &tcti);
	if (r != TSS2_RC_SUCCESS)
		return idkey_fail(err, -ENODEV, "TPM (TCTI \"%s\"): cannot "
				  "reach it: %s", tcti_conf, Tss2_RC_Decode(r));
	return idkey_tpm_open_tcti(k, tcti, tcti_conf, handle,
				   create_if_missing, err);
}

void idkey_tpm_close(struct idkey *k)
{
	if (k->u.tpm.esys)
		Esys_Finalize(&k->u.tpm.esys);
	if (k->u.tpm.tcti)
		Tss2_TctiLdr_Finalize(&k->u.tpm.tcti);
}
