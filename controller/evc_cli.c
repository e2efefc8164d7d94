/* evc_cli: the commands of `evc`.  See evc_cli.h. */
#include "evc_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "pem.h"
#include "pki.h"
#include "store.h"
#include "x509_read.h"
#include "x509_write.h"

#define CERT_FILE_MAX (64 * 1024)

int
evc_read_cert(const char *path, unsigned char **der, size_t *len, char *err, size_t errsz)
{
	struct x509_cert c;
	char *text = NULL, perr[256];
	size_t n;
	int rc;

	*der = NULL;
	rc = atomicfile_read(path, CERT_FILE_MAX, &text, &n, err, errsz);
	if (rc < 0)
		return rc;
	*der = malloc(n ? n : 1);
	if (!*der) {
		free(text);
		return -ENOMEM;
	}
	rc = pem_decode_first(text, n, "CERTIFICATE", *der, n, len, perr, sizeof(perr));
	if (rc == -ENOENT) {
		/* not PEM: take the bytes as DER */
		memcpy(*der, text, n);
		*len = n;
		rc = 0;
	} else if (rc < 0) {
		snprintf(err, errsz, "%s: %s", path, perr);
	}
	free(text);
	if (rc == 0 && (rc = x509_cert_parse(*der, *len, &c, perr, sizeof(perr))) < 0)
		snprintf(err, errsz, "%s: %s", path, perr);
	if (rc < 0) {
		free(*der);
		*der = NULL;
	}
	return rc;
}

int
evc_store_open(const struct evc_args *a, struct store *st)
{
	char path[1024];

	if ((size_t)snprintf(path, sizeof(path), "%s/evc.db", a->dir) >= sizeof(path)) {
		fprintf(stderr, "evc: --dir %s: path too long\n", a->dir);
		return -ENAMETOOLONG;
	}
	if (access(a->dir, F_OK) < 0) {
		fprintf(stderr, "evc: %s: no such controller folder (run 'evc init --dir %s')\n",
			a->dir, a->dir);
		return -ENOENT;
	}
	if (store_open(st, path) < 0) {
		fprintf(stderr, "evc: %s\n", st->err);
		return -EIO;
	}
	return 0;
}

static int
cmd_init(const struct evc_args *a)
{
	struct pki_params p = { .dir = a->dir, .server = a->server,
				.enterprise = a->enterprise };
	struct store st;
	char err[PKI_ERR_MAX];
	int rc;

	for (size_t i = 0; i < a->n_names; i++)
		p.names[i] = a->names[i];
	p.n_names = a->n_names;
	rc = pki_init(&p, err);
	if (rc < 0) {
		fprintf(stderr, "evc init: %s\n", err);
		return 1;
	}
	if (evc_store_open(a, &st) < 0)
		return 1;
	store_close(&st);
	printf("Controller PKI in %s:\n"
	       "  root CA            %s/root-certificate.pem (key root.key.pem: keep it offline)\n"
	       "  TLS server         %s/server.cert.pem, server.key.pem (DNS: %s%s)\n"
	       "  signing            %s/signing.cert.pem, signing.key.pem\n"
	       "  onboarding         %s/onboard.cert.pem, onboard.key.pem\n"
	       "  store              %s/evc.db\n"
	       "A device's /config gets the files in %s/device-config/:\n"
	       "  server, root-certificate.pem, onboard.cert.pem, onboard.key.pem\n"
	       "Next: evc onboard add --dir %s --cert %s/onboard.cert.pem --serial '*' "
	       "--enterprise %s\n"
	       "      evc serve --dir %s --listen 127.0.0.1:4443\n",
	       a->dir, a->dir, a->dir, a->n_names ? a->names[0] : "localhost",
	       a->n_names > 1 ? ", ..." : "", a->dir, a->dir, a->dir, a->dir, a->dir, a->dir,
	       a->enterprise, a->dir);
	return 0;
}

static int
cmd_cert_add(const struct evc_args *a, bool onboard)
{
	struct store st;
	unsigned char *der = NULL;
	uint8_t hash[32];
	char err[512], uuid[37];
	size_t len;
	int rc;

	if (!a->cert) {
		fprintf(stderr, "evc: %s add needs --cert FILE\n", onboard ? "onboard" : "device");
		return 2;
	}
	if (onboard && !a->serial) {
		fprintf(stderr, "evc: onboard add needs --serial SERIAL (or '*' for any)\n");
		return 2;
	}
	if (evc_read_cert(a->cert, &der, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "evc: --cert %s\n", err);
		return 1;
	}
	x509_der_sha256(der, len, hash);
	if (evc_store_open(a, &st) < 0) {
		free(der);
		return 1;
	}
	if (onboard)
		rc = store_onboard_add(&st, a->enterprise, a->project, der, len, hash, a->serial);
	else
		rc = store_device_add(&st, a->enterprise, a->project, der, len, hash,
				      a->serial ? a->serial : "", uuid);
	if (rc < 0)
		fprintf(stderr, "evc: %s add: %s\n", onboard ? "onboard" : "device", st.err);
	else if (onboard)
		printf("onboarding certificate %s: enterprise %s, project %s, serial %s allowed\n",
		       a->cert, a->enterprise, a->project, a->serial);
	else
		printf("%s\n", uuid);
	store_close(&st);
	free(der);
	return rc < 0 ? 1 : 0;
}

static void
fmt_time(int64_t t, char *buf, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || !gmtime_r(&tt, &tm))
		snprintf(buf, cap, "never");
	else
		strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
device_print(const struct store_device *d, bool json, bool first)
{
	char seen[32], created[32], hash[65];

	fmt_time(d->last_seen, seen, sizeof(seen));
	fmt_time(d->created, created, sizeof(created));
	for (int i = 0; i < 32; i++)
		snprintf(hash + 2 * i, 3, "%02x", d->cert_hash[i]);
	if (!json) {
		printf("%-36s  %-12s %-12s %-16s %-13s %s\n", d->uuid, d->enterprise, d->project,
		       d->serial[0] ? d->serial : "-",
		       d->state == STORE_DEV_ONBOARDED ? "onboarded" : "preregistered", seen);
		return;
	}
	printf("%s{\"uuid\":", first ? "" : ",");
	json_str(stdout, d->uuid);
	printf(",\"enterprise\":");
	json_str(stdout, d->enterprise);
	printf(",\"project\":");
	json_str(stdout, d->project);
	printf(",\"serial\":");
	json_str(stdout, d->serial);
	printf(",\"softSerial\":");
	json_str(stdout, d->soft_serial);
	printf(",\"state\":\"%s\",\"certSha256\":\"%s\",\"created\":\"%s\",\"lastSeen\":\"%s\"}",
	       d->state == STORE_DEV_ONBOARDED ? "onboarded" : "preregistered", hash, created,
	       seen);
}

struct list_ctx {
	bool json;
	int n;
};

static int
list_one(const struct store_device *d, void *arg)
{
	struct list_ctx *lc = arg;

	device_print(d, lc->json, lc->n == 0);
	lc->n++;
	return 0;
}

static int
cmd_device_list(const struct evc_args *a)
{
	struct list_ctx lc = { a->json, 0 };
	struct store st;
	int rc;

	if (evc_store_open(a, &st) < 0)
		return 1;
	if (a->json)
		printf("[");
	else
		printf("%-36s  %-12s %-12s %-16s %-13s %s\n", "UUID", "ENTERPRISE", "PROJECT",
		       "SERIAL", "STATE", "LAST SEEN");
	rc = store_device_list(&st, list_one, &lc);
	if (a->json)
		printf("]\n");
	if (rc < 0)
		fprintf(stderr, "evc: device list: %s\n", st.err);
	store_close(&st);
	return rc < 0 ? 1 : 0;
}

static int
cmd_device_show(const struct evc_args *a)
{
	struct store_device d;
	struct store st;
	int rc;

	if (a->argc < 3) {
		fprintf(stderr, "evc: device show needs a UUID\n");
		return 2;
	}
	if (evc_store_open(a, &st) < 0)
		return 1;
	rc = store_device_by_uuid(&st, a->argv[2], &d);
	if (rc < 0) {
		fprintf(stderr, "evc: device %s: %s\n", a->argv[2], st.err);
	} else {
		device_print(&d, a->json, true);
		if (a->json)
			printf("\n");
		store_device_free(&d);
	}
	store_close(&st);
	return rc < 0 ? 1 : 0;
}

static int
cmd_config_set(const struct evc_args *a)
{
	struct store st;
	char *data, err[512];
	size_t len;
	int rc;

	if (a->argc < 4) {
		fprintf(stderr, "evc: config set needs UUID FILE\n");
		return 2;
	}
	rc = atomicfile_read(a->argv[3], 64u << 20, &data, &len, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "evc: config set: %s\n", err);
		return 1;
	}
	rc = evc_config_parse(a, a->argv[3], &data, &len, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "evc: config set: %s\n", err);
		free(data);
		return 1;
	}
	if (evc_store_open(a, &st) < 0) {
		free(data);
		return 1;
	}
	rc = store_config_set(&st, a->argv[2], (const uint8_t *)data, len);
	if (rc < 0)
		fprintf(stderr, "evc: config set %s: %s\n", a->argv[2], st.err);
	else
		printf("config of %s set (%zu bytes)\n", a->argv[2], len);
	store_close(&st);
	free(data);
	return rc < 0 ? 1 : 0;
}

static int
cmd_config_get(const struct evc_args *a)
{
	struct store st;
	uint8_t *pb;
	size_t len;
	char hash[65];
	int rc;

	if (a->argc < 3) {
		fprintf(stderr, "evc: config get needs a UUID\n");
		return 2;
	}
	if (evc_store_open(a, &st) < 0)
		return 1;
	rc = store_config_get(&st, a->argv[2], &pb, &len, hash);
	store_close(&st);
	if (rc < 0) {
		fprintf(stderr, "evc: config get %s: %s\n", a->argv[2], st.err);
		return 1;
	}
	rc = evc_config_print(a, pb, len, hash);
	free(pb);
	return rc;
}

/* evc cert revoke --cert FILE: from now on, statuses say REVOKED. */
static int
cmd_cert_revoke(const struct evc_args *a)
{
	struct store st;
	unsigned char *der = NULL;
	uint8_t hash[32];
	char err[512];
	size_t len;
	int rc;

	if (!a->cert) {
		fprintf(stderr, "evc: cert revoke needs --cert FILE\n");
		return 2;
	}
	if (evc_read_cert(a->cert, &der, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "evc: --cert %s\n", err);
		return 1;
	}
	x509_der_sha256(der, len, hash);
	free(der);
	if (evc_store_open(a, &st) < 0)
		return 1;
	rc = store_cert_revoke(&st, hash);
	if (rc < 0)
		fprintf(stderr, "evc: cert revoke: %s\n", st.err);
	else
		printf("%s revoked: certs replies now carry a REVOKED status for it\n", a->cert);
	store_close(&st);
	return rc < 0 ? 1 : 0;
}

int
evc_cli_run(const struct evc_args *a)
{
	const char *cmd = a->argv[0], *sub = a->argc > 1 ? a->argv[1] : "";

	if (strcmp(cmd, "init") == 0)
		return cmd_init(a);
	if (strcmp(cmd, "serve") == 0)
		return evc_serve(a);
	if (strcmp(cmd, "onboard") == 0 && strcmp(sub, "add") == 0)
		return cmd_cert_add(a, true);
	if (strcmp(cmd, "device") == 0 && strcmp(sub, "add") == 0)
		return cmd_cert_add(a, false);
	if (strcmp(cmd, "device") == 0 && strcmp(sub, "list") == 0)
		return cmd_device_list(a);
	if (strcmp(cmd, "device") == 0 && strcmp(sub, "show") == 0)
		return cmd_device_show(a);
	if (strcmp(cmd, "cert") == 0 && strcmp(sub, "revoke") == 0)
		return cmd_cert_revoke(a);
	if (strcmp(cmd, "config") == 0 && strcmp(sub, "set") == 0)
		return cmd_config_set(a);
	if (strcmp(cmd, "config") == 0 && strcmp(sub, "get") == 0)
		return cmd_config_get(a);
	if (strcmp(cmd, "app") == 0 && strcmp(sub, "import") == 0)
		return evc_app_import(a);
	if (strcmp(cmd, "app") == 0 && strcmp(sub, "list") == 0)
		return evc_app_list(a);
	if (strcmp(cmd, "info") == 0 || strcmp(cmd, "metrics") == 0 || strcmp(cmd, "logs") == 0)
		return evc_telemetry_print(a);
	fprintf(stderr, "evc: unknown command '%s%s%s' (evc --help)\n", cmd, sub[0] ? " " : "", sub);
	return 2;
}
