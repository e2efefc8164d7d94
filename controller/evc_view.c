/*
 * evc_view: configs in and telemetry out for the `evc` CLI.  JSON is
 * protobuf's canonical JSON mapping (dom0/pbjson), the format EVE's tools
 * use; binary is the protobuf itself.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evc_cli.h"
#include "pbjson.h"
#include "store.h"

#include "config/devconfig.pb-c.h"
#include "info/info.pb-c.h"
#include "metrics/metrics.pb-c.h"

static bool
looks_like_json(const char *d, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n')
			continue;
		return d[i] == '{';
	}
	return false;
}

int
evc_config_parse(const struct evc_args *a, const char *name, char **data, size_t *len,
		 char *err, size_t errsz)
{
	const ProtobufCMessageDescriptor *d = &org__lfedge__eve__config__edge_dev_config__descriptor;
	ProtobufCMessage *m = NULL;
	char perr[PBJSON_ERR_LEN];
	uint8_t *pb;
	size_t n;

	if (!a->binary && !looks_like_json(*data, *len)) {
		/* text that happens to decode as protobuf must not become a config */
		snprintf(err, errsz, "%s: %s", name, *len ? "not a JSON object (for a binary "
			 "EdgeDevConfig, add --binary)" : "empty file");
		return -EBADMSG;
	}
	if (a->binary) {
		m = protobuf_c_message_unpack(d, NULL, *len, (const uint8_t *)*data);
		if (!m) {
			snprintf(err, errsz, "%s: not a binary EdgeDevConfig (%zu bytes)", name,
				 *len);
			return -EBADMSG;
		}
		protobuf_c_message_free_unpacked(m, NULL);
		return 0; /* stored as given: the device gets these very bytes */
	}
	if (pbjson_to_message(d, *data, *len, NULL, &m, perr) < 0) {
		snprintf(err, errsz, "%s: %s", name, perr);
		return -EBADMSG;
	}
	n = protobuf_c_message_get_packed_size(m);
	pb = malloc(n ? n : 1);
	if (!pb) {
		protobuf_c_message_free_unpacked(m, NULL);
		return -ENOMEM;
	}
	protobuf_c_message_pack(m, pb);
	protobuf_c_message_free_unpacked(m, NULL);
	free(*data);
	*data = (char *)pb;
	*len = n;
	return 0;
}

static int
print_json(const ProtobufCMessageDescriptor *d, const unsigned char *pb, size_t len, bool pretty,
	   const char *what)
{
	ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, len, pb);
	char *json = NULL, err[PBJSON_ERR_LEN];
	int rc;

	if (!m) {
		fprintf(stderr, "evc: stored %s of %zu bytes does not decode\n", what, len);
		return 1;
	}
	rc = pbjson_from_message(m, pretty ? PBJSON_PRETTY : 0, &json, err);
	protobuf_c_message_free_unpacked(m, NULL);
	if (rc < 0) {
		fprintf(stderr, "evc: %s: %s\n", what, err);
		return 1;
	}
	printf("%s\n", json);
	free(json);
	return 0;
}

int
evc_config_print(const struct evc_args *a, const unsigned char *pb, size_t len,
		 const char hash[65])
{
	Org__Lfedge__Eve__Config__EdgeDevConfig *c;

	if (a->binary)
		return fwrite(pb, 1, len, stdout) == len ? 0 : 1;
	if (a->json)
		return print_json(&org__lfedge__eve__config__edge_dev_config__descriptor, pb, len,
				  true, "config");
	c = org__lfedge__eve__config__edge_dev_config__unpack(NULL, len, pb);
	if (!c) {
		fprintf(stderr, "evc: stored config of %zu bytes does not decode\n", len);
		return 1;
	}
	printf("hash     %s\nbytes    %zu\nversion  %s\napps     %zu\nvolumes  %zu\n"
	       "networks %zu\nitems    %zu\n", hash, len, c->id && c->id->version ? c->id->version : "",
	       c->n_apps, c->n_volumes, c->n_networks, c->n_configitems);
	for (size_t i = 0; i < c->n_apps; i++)
		printf("app      %s %s\n", c->apps[i]->uuidandversion ?
		       c->apps[i]->uuidandversion->uuid : "-", c->apps[i]->displayname);
	org__lfedge__eve__config__edge_dev_config__free_unpacked(c, NULL);
	return 0;
}

struct tele {
	const struct evc_args *a;
	enum store_kind kind;
	unsigned n;
	int rc;
};

static int
tele_one(int64_t id, int64_t when, const uint8_t *data, size_t len, void *arg)
{
	struct tele *t = arg;
	char ts[32];
	struct tm tm;
	time_t tt = (time_t)when;

	t->n++;
	if (t->kind == STORE_LOGS) {
		/* stored as canonical JSON LogEntry, one per record */
		if (t->a->json)
			printf("%.*s\n", (int)len, (const char *)data);
		else {
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
			printf("%s %.*s\n", ts, (int)len, (const char *)data);
		}
		fflush(stdout);
		return 0;
	}
	if (t->a->json) {
		if (print_json(t->kind == STORE_INFO ? &org__lfedge__eve__info__zinfo_msg__descriptor
						     : &org__lfedge__eve__metrics__zmetric_msg__descriptor,
			       data, len, false, t->kind == STORE_INFO ? "info" : "metrics"))
			t->rc = 1;
		return 0;
	}
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
	if (t->kind == STORE_INFO) {
		Org__Lfedge__Eve__Info__ZInfoMsg *m =
			org__lfedge__eve__info__zinfo_msg__unpack(NULL, len, data);
		printf("%-6lld %s  %zu bytes  ztype %d\n", (long long)id, ts, len, m ? (int)m->ztype : -1);
		if (m)
			org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	} else {
		printf("%-6lld %s  %zu bytes\n", (long long)id, ts, len);
	}
	return 0;
}

static volatile sig_atomic_t follow_stop;

static void
on_stop(int sig)
{
	(void)sig;
	follow_stop = 1;
}

int
evc_telemetry_print(const struct evc_args *a)
{
	struct tele t = { .a = a };
	struct store st;
	struct store_device d;
	char path[1024];
	int64_t last = 0;
	int rc;

	if (a->argc < 2) {
		fprintf(stderr, "evc: %s needs a UUID\n", a->argv[0]);
		return 2;
	}
	t.kind = strcmp(a->argv[0], "info") == 0 ? STORE_INFO :
		 strcmp(a->argv[0], "metrics") == 0 ? STORE_METRICS : STORE_LOGS;
	snprintf(path, sizeof(path), "%s/evc.db", a->dir);
	if (access(path, F_OK) < 0) {
		fprintf(stderr, "evc: %s: no controller store (run 'evc init --dir %s')\n", path,
			a->dir);
		return 1;
	}
	if (store_open(&st, path) < 0) {
		fprintf(stderr, "evc: %s\n", st.err);
		return 1;
	}
	if (store_device_by_uuid(&st, a->argv[1], &d) < 0) {
		fprintf(stderr, "evc: %s %s: %s\n", a->argv[0], a->argv[1], st.err);
		store_close(&st);
		return 1;
	}
	store_device_free(&d);
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	do {
		rc = store_record_list(&st, a->argv[1], t.kind, last, 0, tele_one, &t, &last);
		if (rc < 0)
			break;
		if (a->follow && t.kind == STORE_LOGS)
			usleep(200000);
	} while (a->follow && t.kind == STORE_LOGS && !follow_stop);
	store_close(&st);
	return rc < 0 || t.rc ? 1 : 0;
}
