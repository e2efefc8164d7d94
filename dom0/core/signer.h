/*
 * signer: the one interface through which code asks for an ECDSA P-256
 * signature without holding the private key.  The identity role implements
 * it over the TPM (tpm2-tss) or a soft key; other roles reach it through IPC
 * and get a signer whose sign() sends the hash to the identity role.  X.509
 * and CSR writing, AuthContainer signing and the TLS client certificate all
 * take a struct signer.
 *
 * Ownership: a struct signer is embedded in its implementation's context and
 * owned by whoever created it; callers only borrow it.
 */
#ifndef EV_SIGNER_H
#define EV_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGNER_PUB_LEN 65  /* uncompressed P-256 point: 0x04 || X || Y */
#define SIGNER_SIG_LEN 64  /* raw r || s, each 32 bytes big-endian, left-padded */

struct signer {
	/* Signs a SHA-256 hash: 0 and sig filled, or -errno. */
	int (*sign)(struct signer *s, const uint8_t hash[32], uint8_t sig[SIGNER_SIG_LEN]);
	uint8_t pub[SIGNER_PUB_LEN];  /* the public key, always P-256 */
	bool in_tpm;                  /* the private key lives in a TPM */
};

#endif
