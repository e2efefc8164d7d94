/*
 * identity: the role that holds the device key and the onboarding key and
 * signs with them for the other roles (DESIGN.md §3).  It has no network
 * socket.  At start it opens the device key (TPM at 0x817FFFFF, or a soft key
 * on /persist where there is no TPM: idkey_open_auto), makes sure the device
 * certificate on /persist matches that key (writing a new self-signed one,
 * EVE's kind, when it is missing or belongs to another key), loads the
 * onboarding key from /config if there is one, and publishes the public
 * identity (IPC_IDENTITY).  Then it answers IPC_SIGN_REQ.
 *
 * Files: PERSIST/certs/device.key.pem (soft key only), PERSIST/certs/device.cert.pem,
 *        CONFIG/onboard.key.pem (read only), CONFIG/soft_serial (the certificate's CN).
 */
#include "eved.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "idkey.h"
#include "pem.h"
#include "x509_read.h"
#include "x509_write.h"

struct identity {
	struct idkey device;
	struct idkey onboard;
	bool has_onboard;
	struct ipc_identity pub;
};

/* The CN of a new device certificate: /config/soft_serial, else the host name. */
static void
cert_cn(const struct eved_opts *o, char *cn, size_t cap)
{
	char path[512], buf[128], *serial = NULL, err[256];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/soft_serial", o->config_dir);
	if (atomicfile_read(path, 256, &serial, &n, err, sizeof(err)) == 0) {
		while (n && (serial[n - 1] == '\n' || serial[n - 1] == '\r' || serial[n - 1] == ' '))
			serial[--n] = '\0';
		if (n && n < X509_NAME_ATTR_MAX) {
			snprintf(cn, cap, "%s", serial);
			free(serial);
			return;
		}
	}
	free(serial);
	if (gethostname(buf, sizeof(buf)) == 0 && buf[0] && strlen(buf) < X509_NAME_ATTR_MAX) {
		snprintf(cn, cap, "%s", buf);
		return;
	}
	snprintf(cn, cap, "edgevisor");
}

/* Loads PERSIST/certs/device.cert.pem if it certifies our key; 0, or -ENOENT
 * when a new one must be made (the reason is logged). */
static int
cert_load(const char *path, const uint8_t pub[65], uint8_t *der, size_t cap, size_t *len)
{
	char err[X509_ERR_MAX], *pem = NULL;
	struct x509_cert c;
	size_t n;
	int rc;

	rc = atomicfile_read(path, 65536, &pem, &n, err, sizeof(err));
	if (rc == -ENOENT)
		return -ENOENT;
	if (rc < 0) {
		log_err("device certificate %s; making a new one", err);
		return -ENOENT;
	}
	rc = pem_decode_first(pem, n, "CERTIFICATE", der, cap, len, err, sizeof(err));
	free(pem);
	if (rc == 0)
		rc = x509_cert_parse(der, *len, &c, err, sizeof(err));
	if (rc < 0) {
		log_err("device certificate %s: %s; making a new one", path, err);
		return -ENOENT;
	}
	if (memcmp(c.pub, pub, 65) != 0) {
		log_warn("device certificate %s is for another key; making a new one", path);
		return -ENOENT;
	}
	return 0;
}

static int
cert_make(struct role_ctx *ctx, struct identity *id, const char *path, uint8_t *der, size_t cap,
	  size_t *len)
{
	static char pem[32768];
	uint8_t serial[X509_SERIAL_LEN];
	char cn[X509_NAME_ATTR_MAX + 1], err[X509_ERR_MAX];
	size_t pem_len;
	int rc;

	cert_cn(ctx->o, cn, sizeof(cn));
	if ((rc = x509_serial_random(serial)) < 0 ||
	    (rc = x509_device_cert_write(cn, time(NULL), serial, &id->device.signer, der, cap, len,
					 err, sizeof(err))) < 0) {
		log_err("device certificate: %s", rc == -EIO || err[0] ? err : strerror(-rc));
		return rc;
	}
	rc = pem_encode("CERTIFICATE", der, *len, pem, sizeof(pem), &pem_len);
	if (rc == 0)
		rc = atomicfile_write(path, pem, pem_len, 0644, 0, err, sizeof(err));
	if (rc < 0) {
		log_err("device certificate %s: %s", path, err[0] ? err : strerror(-rc));
		return rc;
	}
	log_notice("device certificate written to %s (CN=%s, key %s)", path, cn,
		   id->device.signer.in_tpm ? "in the TPM" : "soft");
	return 0;
}

int
identity_init(struct role_ctx *ctx)
{
	const struct eved_opts *o = ctx->o;
	struct identity *id;
	struct idkey_auto_conf conf = { 0 };
	struct idkey_choice choice;
	char soft[512], certs[512], cert[512], ob[512], err[IDKEY_ERR_MAX];
	size_t len;
	int rc;

	/* before any tpm2-tss call: its log level is read once */
	idkey_tss_log_quiet();
	id = calloc(1, sizeof(*id));
	if (!id)
		return -ENOMEM;
	ctx->state = id;
	if ((size_t)snprintf(certs, sizeof(certs), "%s/certs", o->persist_dir) >= sizeof(certs) ||
	    (size_t)snprintf(soft, sizeof(soft), "%s/certs/device.key.pem", o->persist_dir) >=
		    sizeof(soft) ||
	    (size_t)snprintf(cert, sizeof(cert), "%s/certs/device.cert.pem", o->persist_dir) >=
		    sizeof(cert) ||
	    (size_t)snprintf(ob, sizeof(ob), "%s/onboard.key.pem", o->config_dir) >= sizeof(ob)) {
		log_err("--persist or --config path too long");
		return -ENAMETOOLONG;
	}
	if (mkdir(certs, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		log_err("%s: %s", certs, strerror(errno));
		return rc;
	}
	conf.soft_path = soft;
	conf.tcti_conf = o->tcti;
	conf.create_if_missing = true;
	rc = idkey_open_auto(&id->device, &conf, &choice, err);
	if (rc < 0) {
		log_err("device key: %s (%s)", err, choice.reason);
		return rc;
	}
	log_notice("device key: %s%s (%s)", choice.backend == IDKEY_TPM ? "TPM" : "soft key",
		   id->device.created ? ", created now" : "", choice.reason);

	if (access(ob, F_OK) == 0) {
		rc = idkey_soft_open(&id->onboard, ob, false, err);
		if (rc < 0)
			log_err("onboarding key: %s; registering is not possible", err);
		else
			id->has_onboard = true;
	}

	memcpy(id->pub.pub, id->device.signer.pub, 65);
	id->pub.in_tpm = id->device.signer.in_tpm;
	id->pub.has_onboard = id->has_onboard;
	rc = cert_load(cert, id->device.signer.pub, id->pub.cert, sizeof(id->pub.cert), &len);
	if (rc == -ENOENT)
		rc = cert_make(ctx, id, cert, id->pub.cert, sizeof(id->pub.cert), &len);
	if (rc < 0)
		return rc;
	id->pub.cert_len = (uint32_t)len;
	return role_send(ctx, IPC_IDENTITY, &id->pub, IPC_IDENTITY_FIXED + len);
}

int
identity_on_msg(struct role_ctx *ctx, const struct ipc_msg *m)
{
	struct identity *id = ctx->state;
	struct ipc_sign_req req;
	struct ipc_sign_rep rep = { 0 };
	struct idkey *k;

	if (m->type != IPC_SIGN_REQ) {
		log_err("identity does not take message type %u", m->type);
		return -EBADMSG;
	}
	memcpy(&req, m->data, sizeof(req));
	rep.id = req.id;
	if (req.key == IPC_KEY_DEVICE) {
		k = &id->device;
	} else if (req.key == IPC_KEY_ONBOARD && id->has_onboard) {
		k = &id->onboard;
	} else {
		rep.rc = -ENOKEY;
		log_warn("signature asked of key %u, which is not loaded", req.key);
		return role_send(ctx, IPC_SIGN_REP, &rep, sizeof(rep));
	}
	rep.rc = k->signer.sign(&k->signer, req.hash, rep.sig);
	if (rep.rc < 0)
		log_err("signing with the %s key: %s",
			req.key == IPC_KEY_DEVICE ? "device" : "onboarding", k->last_err);
	return role_send(ctx, IPC_SIGN_REP, &rep, sizeof(rep));
}

void
identity_fini(struct role_ctx *ctx)
{
	struct identity *id = ctx->state;

	if (!id)
		return;
	idkey_close(&id->device);
	if (id->has_onboard)
		idkey_close(&id->onboard);
	free(id);
	ctx->state = NULL;
}

/*
 * `eved --print-csr`: a PKCS#10 request for the device key (CN as the
 * device certificate's), PEM on stdout, for a factory or a CA that issues
 * device certificates.  Runs the identity code in this one process; the key
 * must exist already (the identity role creates it on first start).
 */
int
identity_print_csr(const struct eved_opts *o)
{
	static char pem[32768];
	struct idkey_auto_conf conf = { 0 };
	struct idkey_choice choice;
	struct idkey k;
	struct x509_name subject = { 0 };
	uint8_t der[X509_DER_MAX];
	char soft[512], cn[X509_NAME_ATTR_MAX + 1], err[IDKEY_ERR_MAX];
	size_t len, pem_len;
	int rc;

	idkey_tss_log_quiet();
	log_init("identity", o->log_level);
	if ((size_t)snprintf(soft, sizeof(soft), "%s/certs/device.key.pem", o->persist_dir) >=
	    sizeof(soft))
		return 2;
	conf.soft_path = soft;
	conf.tcti_conf = o->tcti;
	conf.create_if_missing = false;
	rc = idkey_open_auto(&k, &conf, &choice, err);
	if (rc < 0) {
		log_err("device key: %s (%s)", err, choice.reason);
		return 1;
	}
	cert_cn(o, cn, sizeof(cn));
	subject.cn = cn;
	rc = x509_csr_write(&subject, NULL, 0, &k.signer, der, sizeof(der), &len, err, sizeof(err));
	if (rc == 0)
		rc = pem_encode("CERTIFICATE REQUEST", der, len, pem, sizeof(pem), &pem_len);
	idkey_close(&k);
	if (rc < 0) {
		log_err("certificate request: %s", err[0] ? err : strerror(-rc));
		return 1;
	}
	fwrite(pem, 1, pem_len, stdout);
	return 0;
}
