/*
 * idkey_impl — what the idkey backends (idkey.c, idkey_soft.c, idkey_tpm.c)
 * share and nobody else uses. See idkey.h for the API.
 */
#ifndef EV_IDKEY_IMPL_H
#define EV_IDKEY_IMPL_H

#include <stddef.h>

#include "idkey.h"

/* The idkey a signer is embedded in. */
static inline struct idkey *idkey_of(struct signer *s)
{
	return (struct idkey *)(void *)((char *)s - offsetof(struct idkey, signer));
}

/* snprintf into err[IDKEY_ERR_MAX] (err may be NULL); returns rc. */
int idkey_fail(char *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Opens the key at `handle` over an initialised TCTI, which it takes over
 * (finalised on failure too). `tcti_conf` only names the TPM in errors. */
int idkey_tpm_open_tcti(struct idkey *k, TSS2_TCTI_CONTEXT *tcti,
			const char *tcti_conf, uint32_t handle,
			bool create_if_missing, char *err);

void idkey_tpm_close(struct idkey *k);
void idkey_soft_close(struct idkey *k);

#endif
