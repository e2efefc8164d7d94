/*
 * idkey — closing keys and choosing the device key backend. See idkey.h.
 */
#include "idkey_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

int idkey_fail(char *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		(void)vsnprintf(err, IDKEY_ERR_MAX, fmt, ap);
		va_end(ap);
	}
	return rc;
}

void idkey_close(struct idkey *k)
{
	if (!k)
		return;
	if (k->backend == IDKEY_TPM)
		idkey_tpm_close(k);
	else if (k->backend == IDKEY_SOFT)
		idkey_soft_close(k);
	explicit_bzero(k, sizeof(*k));
}

void idkey_tss_log_quiet(void)
{
	(void)setenv("TSS2_LOG", "all+none", 0);
}

__attribute__((format(printf, 3, 4)))
static void choose(struct idkey_choice *why, enum idkey_backend b,
		   const char *fmt, ...)
{
	va_list ap;

	why->backend = b;
	va_start(ap, fmt);
	(void)vsnprintf(why->reason, sizeof(why->reason), fmt, ap);
	va_end(ap);
}

int idkey_open_auto(struct idkey *k, const struct idkey_auto_conf *c,
		    struct idkey_choice *why, char *err)
{
	struct idkey_choice local;
	TSS2_TCTI_CONTEXT *tcti = NULL;
	const char *dev;
	char conf[IDKEY_ERR_MAX];
	struct stat st;
	uint32_t handle;
	TSS2_RC r;

	if (!why)
		why = &local;
	memset(why, 0, sizeof(*why));
	if (!k)
		return idkey_fail(err, -EINVAL, "device key: no key structure");
	memset(k, 0, sizeof(*k));
	if (!c || !c->soft_path || !c->soft_path[0])
		return idkey_fail(err, -EINVAL, "device key: no soft key path "
				  "configured");
	dev = c->tpm_device ? c->tpm_device : IDKEY_DEVICE_TPM;
	handle = c->handle ? c->handle : IDKEY_TPM_HANDLE;

	/* 1. An existing soft key is the device's identity. */
	if (lstat(c->soft_path, &st) == 0) {
		choose(why, IDKEY_SOFT, "soft key %s exists: this device's "
		       "identity was made without a TPM", c->soft_path);
		return idkey_soft_open(k, c->soft_path, false, err);
	}
	if (errno != ENOENT)
		return idkey_fail(err, -errno, "device key: cannot check soft "
				  "key %s: %s", c->soft_path, strerror(errno));

	/* 2. A TPM, if there is one. */
	if (c->tcti_conf) {
		r = Tss2_TctiLdr_Initialize(c->tcti_conf, &tcti);
		if (r == TSS2_RC_SUCCESS) {
			choose(why, IDKEY_TPM, "TPM reached via TCTI \"%s\"",
			       c->tcti_conf);
			return idkey_tpm_open_tcti(k, tcti, c->tcti_conf,
						   handle,
						   c->create_if_missing, err);
		}
		choose(why, IDKEY_SOFT, "no TPM: TCTI \"%s\" does not answer "
		       "(%s); soft key %s", c->tcti_conf, Tss2_RC_Decode(r),
		       c->soft_path);
	} else if (stat(dev, &st) == 0) {
		snprintf(conf, sizeof(conf), "device:%s", dev);
		choose(why, IDKEY_TPM, "TPM device %s present", dev);
		return idkey_tpm_open(k, conf, handle, c->create_if_missing,
				      err);
	} else if (errno == ENOENT) {
		choose(why, IDKEY_SOFT, "no TPM: %s does not exist; soft key "
		       "%s", dev, c->soft_path);
	} else {
		return idkey_fail(err, -errno, "device key: cannot check TPM "
				  "device %s: %s", dev, strerror(errno));
	}

	/* 3. No TPM: the soft key. */
	return idkey_soft_open(k, c->soft_path, c->create_if_missing, err);
}
