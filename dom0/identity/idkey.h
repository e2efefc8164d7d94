/*
 * idkey — the key backends of the identity role: the device key (ECDSA
 * P-256, in the TPM at persistent handle 0x817FFFFF, or a soft key on
 * /persist only where there is no TPM) and the onboarding key (a soft P-256
 * key in /config/onboard.key.pem). Each open key is a struct signer
 * (signer.h): sign(SHA-256 hash) → raw r||s, pub = 04||X||Y, in_tpm. The
 * private key never leaves this process, and never the TPM when there is one.
 *
 * TPM backend (idkey_tpm.c, tpm2-tss ESYS over Tss2_TctiLdr_Initialize):
 * - A key already at the handle is used as it is, if it is an ECC NIST P-256
 *   signing key that is not restricted, may be used by TPM2_Sign (x509sign
 *   clear), is fixedTPM (its private part can never leave this TPM), accepts
 *   password authorisation (userWithAuth) and whose scheme is ECDSA-SHA256
 *   or null. Anything else is refused with -EKEYREJECTED and a reason; it is
 *   never replaced: clearing the handle is an operator's decision
 *   (tpm2_evictcontrol -C o -c 0x817FFFFF).
 * - With no key at the handle (and create_if_missing), a primary key is
 *   created under the owner hierarchy (as EVE does), with template: ECC
 *   NIST P-256, nameAlg SHA-256, scheme ECDSA-SHA256, attributes
 *   fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|noDA|sign, empty
 *   authValue, and made persistent with TPM2_EvictControl. A primary rather
 *   than a child of an SRK: no SRK has to exist, be persistent or be
 *   trusted, there is one handle to manage, and a primary is derived from
 *   the owner seed and the template, so should the handle ever be evicted
 *   the same key (and so the same device certificate) comes back, until the
 *   owner seed changes (TPM2_Clear), which is exactly when the identity
 *   must be lost. noDA: with an empty authValue there is nothing to guess,
 *   and a dictionary-attack lockout caused by anything else on the TPM must
 *   not make the device key unusable. The owner hierarchy's auth is assumed
 *   empty (as on a fresh TPM); otherwise creation fails with a clear error.
 * - Whether the handle is occupied is asked with TPM2_GetCapability
 *   (HANDLES), not by trying to load it, so an expected miss makes tpm2-tss
 *   log nothing. Genuine failures are still logged by tpm2-tss itself on
 *   stderr (at its default level, WARNING) besides our `err` text;
 *   idkey_tss_log_quiet() silences that for the process (see below).
 * - At open, the key signs a fixed hash once and the signature is checked
 *   against the public key with BearSSL: a key that cannot sign for us (an
 *   authValue we do not know, a policy) is refused at open, not at first use.
 * - A TPM that reports TPM2_RC_INITIALIZE (never started up) gets
 *   TPM2_Startup(CLEAR) once.
 *
 * Soft backend (idkey_soft.c, BearSSL): the key file is PEM, "EC PRIVATE
 * KEY" (RFC 5915) or unencrypted "PRIVATE KEY" (PKCS#8), readable by
 * openssl; at most IDKEY_SOFT_MAX_FILE bytes; other PEM objects (EC
 * PARAMETERS, certificates) are skipped. A missing file is created (if
 * create_if_missing) from br_ec_keygen with an HMAC-DRBG seeded by
 * getrandom(), written as "EC PRIVATE KEY" with mode 0600 atomically and
 * never over an existing file (atomicfile_write, ATOMICFILE_NOREPLACE).
 * Signatures are deterministic (RFC 6979, br_ecdsa_i31_sign_raw). Key bytes
 * and every buffer that held them are wiped (explicit_bzero) after use and
 * at idkey_close().
 *
 * Errors: functions return 0 or a negative errno and fill `err` (at least
 * IDKEY_ERR_MAX bytes) with a sentence naming the key and the reason:
 *   -EINVAL        bad arguments (e.g. a handle outside 0x81000000-0x817FFFFF)
 *   -ENOENT        no key (handle empty or file missing) and !create_if_missing
 *   -ENODEV        the TPM cannot be reached (TCTI initialisation failed)
 *   -EBADMSG       a key file that is not a well-formed PEM/DER private key
 *   -EKEYREJECTED  a well-formed key of the wrong kind (RSA, another curve,
 *                  restricted, not fixedTPM, ...) or one that does not sign
 *   -EIO           the TPM failed a command (the TSS error is in `err`)
 *   other          the errno of a failed system call (file access)
 * Once open, sign() returns 0, -EINVAL (key closed) or -EIO (the TPM failed;
 * the reason is in k->last_err).
 *
 * Ownership: struct idkey is caller-owned storage; an open key owns its
 * ESYS and TCTI contexts or its key bytes until idkey_close(). Callers
 * borrow &k->signer (valid until idkey_close). All strings are borrowed for
 * the call only. Not thread-safe: one key, one thread at a time.
 */
#ifndef EV_IDKEY_H
#define EV_IDKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_esys.h>

#include "signer.h"

#define IDKEY_TPM_HANDLE    0x817FFFFFu  /* EVE's device key handle */
#define IDKEY_DEVICE_TPM    "/dev/tpmrm0"
#define IDKEY_ERR_MAX       256
#define IDKEY_SOFT_MAX_FILE 16384        /* bytes of a PEM key file */
#define IDKEY_PEM_MAX       512          /* what idkey_soft_encode writes */

enum idkey_backend {
	IDKEY_CLOSED = 0,
	IDKEY_SOFT,
	IDKEY_TPM,
};

struct idkey {
	struct signer signer;         /* what callers borrow */
	enum idkey_backend backend;
	bool created;                 /* this open generated the key */
	char last_err[IDKEY_ERR_MAX]; /* why the last sign() failed */
	union {
		struct {
			TSS2_TCTI_CONTEXT *tcti;
			ESYS_CONTEXT *esys;
			ESYS_TR obj;
			uint32_t handle;
		} tpm;
		struct {
			uint8_t x[32];        /* big-endian scalar */
		} soft;
	} u;
};

/*
 * Opens the TPM key at persistent `handle` (normally IDKEY_TPM_HANDLE) via
 * the TCTI `tcti_conf` ("device:/dev/tpmrm0", "swtpm:host=127.0.0.1,
 * port=2321"), creating it when the handle is empty and create_if_missing.
 * On failure *k is closed (idkey_close is harmless).
 */
int idkey_tpm_open(struct idkey *k, const char *tcti_conf, uint32_t handle,
		   bool create_if_missing, char *err);

/*
 * Opens the soft key in PEM file `path`, creating it (mode 0600) when
 * missing and create_if_missing. On failure *k is closed.
 */
int idkey_soft_open(struct idkey *k, const char *path, bool create_if_missing,
		    char *err);

/* Releases the key: wipes soft key bytes, closes the TPM connection (the
 * persistent key stays in the TPM). Safe on a closed key; idempotent. */
void idkey_close(struct idkey *k);

/* ---- choosing the device key backend ---- */

struct idkey_auto_conf {
	const char *soft_path;   /* the soft key file, e.g.
				    "/persist/certs/device.key.pem" */
	const char *tpm_device;  /* NULL: IDKEY_DEVICE_TPM */
	const char *tcti_conf;   /* NULL: "device:<tpm_device>" */
	uint32_t handle;         /* 0: IDKEY_TPM_HANDLE */
	bool create_if_missing;
};

struct idkey_choice {
	enum idkey_backend backend;  /* what was chosen (also on failure) */
	char reason[IDKEY_ERR_MAX];  /* why, for the caller to log */
};

/*
 * Opens the device key where it lives (the rule EVE follows):
 *  1. the soft key file exists → the soft key: the device was given its
 *     identity without a TPM, and that identity (and its certificate) stays;
 *  2. else a TPM is present → the TPM key. Present means: with tcti_conf
 *     NULL, tpm_device exists; with tcti_conf set (tests, development), the
 *     TCTI initialises (connects). Once a TPM is present, a failure to open
 *     its key is an error: there is no silent fall back to a soft key;
 *  3. else → the soft key (created when create_if_missing).
 * `why` (may be NULL) says which and why. On failure *k is closed.
 */
int idkey_open_auto(struct idkey *k, const struct idkey_auto_conf *c,
		    struct idkey_choice *why, char *err);

/*
 * Sets TSS2_LOG=all+none unless TSS2_LOG is already set (an operator
 * debugging with TSS2_LOG=all+debug keeps it). tpm2-tss reads TSS2_LOG once
 * per library module, at that module's first log call, and offers no API
 * for the level: call this at process start, before any tpm2-tss call.
 * Process-wide (it edits the environment): for the identity role's main(),
 * not for library code. Our own `err` texts carry every failure anyway.
 */
void idkey_tss_log_quiet(void);

/* ---- pure helpers (bytes in, structures out; no I/O) ---- */

/*
 * Parses a PEM private key file's content (`what` names it in errors):
 * the first "EC PRIVATE KEY" or "PRIVATE KEY" object must be an EC key on
 * P-256 with a scalar in [1, n-1]. Fills x (big-endian, 32 bytes) and pub
 * (04||X||Y). Returns 0, -EBADMSG or -EKEYREJECTED with `err` set. x is
 * written only on success; intermediate buffers are wiped.
 */
int idkey_soft_parse(const char *what, const void *pem, size_t len,
		     uint8_t x[32], uint8_t pub[SIGNER_PUB_LEN], char *err);

/*
 * Encodes scalar x (with its public point pub) as PEM "EC PRIVATE KEY"
 * (RFC 5915 DER with the curve OID and the public key) into pem[pemsz],
 * NUL-terminated. Returns the length (without the NUL) or -EINVAL
 * (bad key) / -ENOSPC (pemsz < IDKEY_PEM_MAX is always enough).
 */
int idkey_soft_encode(const uint8_t x[32], const uint8_t pub[SIGNER_PUB_LEN],
		      char *pem, size_t pemsz);

/*
 * Checks that a TPM public area is a key we may use as the device key (see
 * the rules above). Returns 0 or -EKEYREJECTED with `err` naming the handle
 * and the reason. On success copies the point into pub (04||X||Y).
 */
int idkey_tpm_check_public(const TPMT_PUBLIC *p, uint32_t handle,
			   uint8_t pub[SIGNER_PUB_LEN], char *err);

#endif
