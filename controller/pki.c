/* pki: the controller's certificates.  See pki.h. */
#include "pki.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "idkey.h"
#include "pem.h"
#include "x509_write.h"

#define DAY 86400

struct issued {
	const char *name;          /* file stem */
	struct x509_name subject;
	bool ca;
	uint32_t ku, eku;
	int years;
	bool server;               /* gets the DNS names */
};

static int
path_of(char *out, size_t cap, const char *dir, const char *file, char err[PKI_ERR_MAX])
{
	if ((size_t)snprintf(out, cap, "%s/%s", dir, file) >= cap) {
		snprintf(err, PKI_ERR_MAX, "%s/%s: path too long", dir, file);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Writes PEM of the DER certificates (leaf first) to path. */
static int
write_chain(const char *path, const uint8_t *const *ders, const size_t *lens, size_t n,
	    char err[PKI_ERR_MAX])
{
	static char pem[4 * 8192];
	size_t off = 0, l;
	int rc;

	for (size_t i = 0; i < n; i++) {
		rc = pem_encode("CERTIFICATE", ders[i], lens[i], pem + off, sizeof(pem) - off, &l);
		if (rc < 0) {
			snprintf(err, PKI_ERR_MAX, "%s: encoding: %s", path, strerror(-rc));
			return rc;
		}
		off += l;
	}
	return atomicfile_write(path, pem, off, 0644, ATOMICFILE_NOREPLACE, err, PKI_ERR_MAX);
}

static int
copy_file(const char *from, const char *to, mode_t mode, char err[PKI_ERR_MAX])
{
	char *data;
	size_t len;
	int rc;

	rc = atomicfile_read(from, 1 << 20, &data, &len, err, PKI_ERR_MAX);
	if (rc < 0)
		return rc;
	rc = atomicfile_write(to, data, len, mode, ATOMICFILE_NOREPLACE, err, PKI_ERR_MAX);
	explicit_bzero(data, len);
	free(data);
	return rc;
}

int
pki_init(const struct pki_params *p, char err[PKI_ERR_MAX])
{
	static const char *const default_names[] = { "localhost" };
	const struct x509_name root_name = { .cn = "Edgevisor root CA", .o = "Edgevisor" };
	const struct issued leaves[] = {
		{ "server", { .cn = p->n_names ? p->names[0] : "localhost", .o = "Edgevisor" },
		  false, X509_KU_DIGITAL_SIGNATURE, X509_EKU_SERVER_AUTH, 10, true },
		{ "signing", { .cn = "Edgevisor controller signing", .o = "Edgevisor" },
		  false, X509_KU_DIGITAL_SIGNATURE, 0, 10, false },
		{ "onboard", { .cn = "Edgevisor onboarding", .o = p->enterprise },
		  false, X509_KU_DIGITAL_SIGNATURE, X509_EKU_CLIENT_AUTH, 20, false },
		{ "status", { .cn = "Edgevisor certificate status", .o = "Edgevisor" },
		  false, X509_KU_DIGITAL_SIGNATURE, X509_EKU_OCSP_SIGNING, 10, false },
	};
	static uint8_t root_der[X509_DER_MAX], der[X509_DER_MAX];
	const char *const *names = p->n_names ? p->names : default_names;
	size_t n_names = p->n_names ? p->n_names : 1;
	struct idkey root = { 0 }, k = { 0 };
	struct x509_cert_params cp;
	char path[1024], path2[1024], kerr[IDKEY_ERR_MAX];
	size_t root_len, len;
	time_t now = time(NULL);
	int rc;

	err[0] = '\0';
	if (mkdir(p->dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, PKI_ERR_MAX, "%s: %s", p->dir, strerror(errno));
		return rc;
	}
	if ((rc = path_of(path, sizeof(path), p->dir, "root.key.pem", err)) < 0)
		return rc;
	if (access(path, F_OK) == 0) {
		snprintf(err, PKI_ERR_MAX, "%.150s: a PKI is already there (%.300s exists); not "
			 "overwriting it", p->dir, path);
		return -EEXIST;
	}
	rc = idkey_soft_open(&root, path, true, kerr);
	if (rc < 0) {
		snprintf(err, PKI_ERR_MAX, "root key: %s", kerr);
		return rc;
	}
	memset(&cp, 0, sizeof(cp));
	if ((rc = x509_serial_random(cp.serial)) < 0)
		goto out;
	cp.subject = root_name;
	cp.not_before = now - DAY;
	cp.not_after = x509_add_years(now, 20);
	cp.subject_pub = root.signer.pub;
	cp.basic_constraints = true;
	cp.ca = true;
	cp.path_len = 0;
	cp.key_usage = X509_KU_KEY_CERT_SIGN | X509_KU_CRL_SIGN | X509_KU_DIGITAL_SIGNATURE;
	rc = x509_cert_write(&cp, &root.signer, root_der, sizeof(root_der), &root_len, err,
			     PKI_ERR_MAX);
	if (rc < 0)
		goto out;
	if ((rc = path_of(path, sizeof(path), p->dir, "root-certificate.pem", err)) < 0 ||
	    (rc = write_chain(path, (const uint8_t *const[]){ root_der }, &root_len, 1, err)) < 0)
		goto out;

	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		const struct issued *l = &leaves[i];
		char file[64];

		snprintf(file, sizeof(file), "%s.key.pem", l->name);
		if ((rc = path_of(path, sizeof(path), p->dir, file, err)) < 0)
			goto out;
		rc = idkey_soft_open(&k, path, true, kerr);
		if (rc < 0) {
			snprintf(err, PKI_ERR_MAX, "%s key: %s", l->name, kerr);
			goto out;
		}
		memset(&cp, 0, sizeof(cp));
		if ((rc = x509_serial_random(cp.serial)) < 0)
			goto out;
		cp.subject = l->subject;
		cp.issuer = &root_name;
		cp.not_before = now - DAY;
		cp.not_after = x509_add_years(now, l->years);
		cp.subject_pub = k.signer.pub;
		cp.basic_constraints = true;
		cp.ca = l->ca;
		cp.path_len = -1;
		cp.key_usage = l->ku;
		cp.ext_key_usage = l->eku;
		if (l->server) {
			cp.dns = names;
			cp.n_dns = n_names;
		}
		rc = x509_cert_write(&cp, &root.signer, der, sizeof(der), &len, err, PKI_ERR_MAX);
		idkey_close(&k);
		if (rc < 0)
			goto out;
		snprintf(file, sizeof(file), "%s.cert.pem", l->name);
		if ((rc = path_of(path, sizeof(path), p->dir, file, err)) < 0 ||
		    (rc = write_chain(path, (const uint8_t *const[]){ der, root_der },
				      (const size_t[]){ len, root_len }, 2, err)) < 0)
			goto out;
	}

	/* what a device's /config needs */
	if ((rc = path_of(path, sizeof(path), p->dir, "device-config", err)) < 0)
		goto out;
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, PKI_ERR_MAX, "%.300s: %s", path, strerror(errno));
		goto out;
	}
	{
		static const char *const files[][2] = {
			{ "root-certificate.pem", "device-config/root-certificate.pem" },
			{ "onboard.cert.pem", "device-config/onboard.cert.pem" },
			{ "onboard.key.pem", "device-config/onboard.key.pem" },
		};
		char line[300];
		int n;

		for (size_t i = 0; i < 3; i++) {
			if ((rc = path_of(path, sizeof(path), p->dir, files[i][0], err)) < 0 ||
			    (rc = path_of(path2, sizeof(path2), p->dir, files[i][1], err)) < 0 ||
			    (rc = copy_file(path, path2, i == 2 ? 0600 : 0644, err)) < 0)
				goto out;
		}
		/* our own devices insist on a current status of the controller's
		 * certificates (docs/revocation.md) */
		if ((rc = path_of(path, sizeof(path), p->dir, "device-config/require-cert-status",
				  err)) < 0 ||
		    (rc = atomicfile_write(path, "yes\n", 4, 0644, ATOMICFILE_NOREPLACE, err,
					   PKI_ERR_MAX)) < 0)
			goto out;
		n = snprintf(line, sizeof(line), "%s\n", p->server ? p->server : "localhost:4443");
		if ((rc = path_of(path, sizeof(path), p->dir, "device-config/server", err)) < 0 ||
		    (rc = atomicfile_write(path, line, (size_t)n, 0644, ATOMICFILE_NOREPLACE, err,
					   PKI_ERR_MAX)) < 0)
			goto out;
	}
out:
	idkey_close(&root);
	if (rc < 0 && !err[0])
		snprintf(err, PKI_ERR_MAX, "%s", strerror(-rc));
	return rc;
}
