/*
 * evc_app: `evc app import` and `evc app list`, the I/O around app_import
 * (read the manifest and the image files, hash them, read and write the
 * device's config in the store).  See evc_cli.h and docs/apps.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "app_import.h"
#include "atomicfile.h"
#include "evc_cli.h"
#include "json.h"
#include "store.h"

#include "config/devconfig.pb-c.h"
#include "info/info.pb-c.h"

typedef Org__Lfedge__Eve__Config__EdgeDevConfig EdgeDevConfig;

static void
uuid_fresh(char out[37])
{
	uint8_t b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t r = getrandom(b + got, sizeof(b) - got, 0);

		if (r > 0)
			got += (size_t)r;
	}
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* SHA-256, size and probe of one image file. */
static int
image_file_read(const char *path, struct appimp_image_file *f, char *err, size_t errsz)
{
	static uint8_t buf[1 << 16];
	uint8_t head[APPIMP_PROBE_BYTES];
	br_sha256_context h;
	uint8_t sum[32];
	char perr[APPIMP_ERR];
	size_t hlen = 0;
	uint64_t total = 0;
	struct stat stt;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "--image %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &stt) < 0 || !S_ISREG(stt.st_mode)) {
		snprintf(err, errsz, "--image %s: not a regular file", path);
		rc = -EINVAL;
		goto out;
	}
	br_sha256_init(&h);
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			snprintf(err, errsz, "--image %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		br_sha256_update(&h, buf, (size_t)r);
		if (hlen < sizeof(head)) {
			size_t n = (size_t)r < sizeof(head) - hlen ? (size_t)r : sizeof(head) - hlen;

			memcpy(head + hlen, buf, n);
			hlen += n;
		}
		total += (uint64_t)r;
	}
	br_sha256_out(&h, sum);
	for (int i = 0; i < 32; i++)
		snprintf(f->sha256 + 2 * i, 3, "%02x", sum[i]);
	f->size = total;
	if ((rc = app_import_probe(head, hlen, total, &f->probe, perr)) < 0)
		snprintf(err, errsz, "--image %s: %s", path, perr);
out:
	close(fd);
	return rc;
}

struct find_serial {
	const char *serial;
	char uuid[37];
	int n;
};

static int
find_serial_one(const struct store_device *d, void *arg)
{
	struct find_serial *fs = arg;

	if (strcmp(d->serial, fs->serial) == 0) {
		memcpy(fs->uuid, d->uuid, sizeof(fs->uuid));
		fs->n++;
	}
	return 0;
}

/* --device: a device's UUID, or a serial that names exactly one device */
static int
device_resolve(struct store *st, const char *what, const char *dev, char uuid[37])
{
	struct store_device d;
	struct find_serial fs = { .serial = dev };

	if (store_device_by_uuid(st, dev, &d) == 0) {
		memcpy(uuid, d.uuid, 37);
		store_device_free(&d);
		return 0;
	}
	if (store_device_list(st, find_serial_one, &fs) < 0) {
		fprintf(stderr, "evc: %s: %s\n", what, st->err);
		return -EIO;
	}
	if (fs.n != 1) {
		fprintf(stderr, "evc: %s: --device %s: %s\n", what, dev,
			fs.n ? "this serial names more than one device (give the UUID)"
			     : "no device with this UUID or serial");
		return -ENOENT;
	}
	memcpy(uuid, fs.uuid, 37);
	return 0;
}

/* The device's config, or a fresh one naming the device if none was set. */
static int
config_load(struct store *st, const char *what, const char *uuid, EdgeDevConfig **out)
{
	EdgeDevConfig *c;
	uint8_t *pb = NULL;
	size_t len = 0;
	char hash[65];
	int rc;

	*out = NULL;
	rc = store_config_get(st, uuid, &pb, &len, hash);
	if (rc == -ENOENT) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		org__lfedge__eve__config__edge_dev_config__init(c);
		c->id = calloc(1, sizeof(*c->id));
		if (!c->id) {
			free(c);
			return -ENOMEM;
		}
		org__lfedge__eve__config__uuidand_version__init(c->id);
		c->id->uuid = strdup(uuid);
		c->id->version = strdup("0");
		if (!c->id->uuid || !c->id->version) {
			protobuf_c_message_free_unpacked(&c->pbc_base, NULL);
			return -ENOMEM;
		}
		*out = c;
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "evc: %s: %s\n", what, st->err);
		return rc;
	}
	c = org__lfedge__eve__config__edge_dev_config__unpack(NULL, len, pb);
	free(pb);
	if (!c) {
		fprintf(stderr, "evc: %s: the stored config of %s (%zu bytes) does not decode\n",
			what, uuid, len);
		return -EBADMSG;
	}
	*out = c;
	return 0;
}

/* id.version + 1 when it is a number, so that the change shows in the version too */
static int
config_bump_version(EdgeDevConfig *c)
{
	char *end, buf[24], *v;
	unsigned long long n;

	if (!c->id || !c->id->version)
		return 0;
	n = strtoull(c->id->version, &end, 10);
	if (end == c->id->version || *end || n >= (1ull << 62))
		return 0;
	snprintf(buf, sizeof(buf), "%llu", n + 1);
	if (!(v = strdup(buf)))
		return -ENOMEM;
	if (c->id->version != protobuf_c_empty_string)
		free(c->id->version);
	c->id->version = v;
	return 0;
}

int
evc_app_import(const struct evc_args *a)
{
	struct appimp_image_file files[EVC_IMAGES_MAX];
	struct appimp_network nets[EVC_NETWORKS_MAX];
	char *spec_copy[EVC_IMAGES_MAX + EVC_NETWORKS_MAX] = { 0 };
	struct app_import_input in = { 0 };
	struct app_import_result res;
	struct app_manifest *m = NULL;
	EdgeDevConfig *cfg = NULL;
	struct store st = { 0 };
	bool st_open = false;
	char *text = NULL, *pem = NULL, err[512], ierr[APPIMP_ERR], dev[37];
	uint8_t *pb = NULL;
	size_t len, pem_len = 0, n_copy = 0, pblen;
	const char *manifest;
	int rc = 1, r;

	if (a->argc < 3 || !a->device || !a->datastore) {
		fprintf(stderr, "evc: app import needs MANIFEST.json --device UUID|SERIAL "
			"--datastore URL [--image NAME=FILE]...\n");
		return 2;
	}
	manifest = a->argv[2];
	if (atomicfile_read(manifest, APPIMP_MAX_JSON, &text, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "evc: app import: %s\n", err);
		return 1;
	}
	if (!(m = malloc(sizeof(*m))))
		goto out;
	if (app_import_parse(text, len, m, ierr) < 0) {
		fprintf(stderr, "evc: app import: %s: %s\n", manifest, ierr);
		goto out;
	}
	for (size_t i = 0; i < a->n_images; i++) {
		char *s = strdup(a->images[i]), *eq;

		if (!s)
			goto out;
		spec_copy[n_copy++] = s;
		eq = strchr(s, '=');
		if (!eq || eq == s || !eq[1]) {
			fprintf(stderr, "evc: app import: --image '%s': expected NAME=FILE\n", s);
			goto out;
		}
		*eq = '\0';
		memset(&files[i], 0, sizeof(files[i]));
		files[i].imagename = s;
		for (size_t j = 0; j < i; j++)
			if (strcmp(files[j].imagename, s) == 0) {
				fprintf(stderr, "evc: app import: --image %s is given twice\n", s);
				goto out;
			}
		if (image_file_read(eq + 1, &files[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "evc: app import: %s\n", err);
			goto out;
		}
	}
	for (size_t i = 0; i < a->n_networks; i++) {
		char *s = strdup(a->networks[i]), *eq;

		if (!s)
			goto out;
		spec_copy[n_copy++] = s;
		eq = strchr(s, '=');
		if (!eq || eq == s || !eq[1]) {
			fprintf(stderr, "evc: app import: --network '%s': expected IFACE=UUID\n", s);
			goto out;
		}
		*eq = '\0';
		nets[i].iface = s;
		nets[i].network_uuid = eq + 1;
	}
	if (a->ds_cert) {
		unsigned char *der = NULL;
		size_t dlen;

		/* one certificate at least, checked; the whole PEM goes to the device */
		if (evc_read_cert(a->ds_cert, &der, &dlen, err, sizeof(err)) < 0) {
			fprintf(stderr, "evc: app import: --ds-cert %s\n", err);
			goto out;
		}
		free(der);
		if (atomicfile_read(a->ds_cert, 64 * 1024, &pem, &pem_len, err, sizeof(err)) < 0) {
			fprintf(stderr, "evc: app import: %s\n", err);
			goto out;
		}
		if (pem_len == 0 || pem[0] != '-') {
			fprintf(stderr, "evc: app import: --ds-cert %s: give a PEM file (the device "
				"reads dsCertPEM as PEM)\n", a->ds_cert);
			goto out;
		}
	}
	if (evc_store_open(a, &st) < 0)
		goto out;
	st_open = true;
	if (device_resolve(&st, "app import", a->device, dev) < 0)
		goto out;
	if (config_load(&st, "app import", dev, &cfg) < 0)
		goto out;
	in.ds_url = a->datastore;
	in.ds_cert_pem = pem;
	in.ds_cert_len = pem_len;
	in.files = files;
	in.n_files = a->n_images;
	in.networks = nets;
	in.n_networks = a->n_networks;
	for (size_t i = 0; i < APPIMP_UUIDS; i++)
		uuid_fresh(in.uuids[i]);
	r = app_import_to_config(m, &in, cfg, &res, ierr);
	if (r < 0) {
		fprintf(stderr, "evc: app import: %s: %s\n", manifest, ierr);
		goto out;
	}
	if (config_bump_version(cfg) < 0)
		goto out;
	pblen = protobuf_c_message_get_packed_size(&cfg->pbc_base);
	if (!(pb = malloc(pblen ? pblen : 1)))
		goto out;
	protobuf_c_message_pack(&cfg->pbc_base, pb);
	if (store_config_set(&st, dev, pb, pblen) < 0) {
		fprintf(stderr, "evc: app import: config of %s: %s\n", dev, st.err);
		goto out;
	}
	printf("app %s '%s' added to the config of %s: %u volume(s), %u content tree(s), "
	       "datastore %s%s\n", res.app_uuid, m->name, dev, res.n_volumes, res.n_contents,
	       res.ds_id, res.ds_reused ? " (already there)" : " (new)");
	if (res.n_unattached)
		printf("note: %u interface(s) on no network instance (give --network IFACE=UUID "
		       "to attach them)\n", res.n_unattached);
	rc = 0;
out:
	if (rc && !m)
		fprintf(stderr, "evc: app import: out of memory\n");
	if (cfg)
		protobuf_c_message_free_unpacked(&cfg->pbc_base, NULL);
	if (st_open)
		store_close(&st);
	for (size_t i = 0; i < n_copy; i++)
		free(spec_copy[i]);
	free(pb);
	free(pem);
	free(text);
	free(m);
	return rc;
}

/* ---- app list ----------------------------------------------------------- */

#define APPLIST_MAX 256

struct app_seen {
	char uuid[37];
	int state;             /* ZSwState, -1 = never reported */
	int64_t when;
	char err[160];
};

struct list_state {
	struct app_seen *apps;
	size_t n;
};

static int
info_one(int64_t id, int64_t when, const uint8_t *data, size_t len, void *arg)
{
	struct list_state *ls = arg;
	Org__Lfedge__Eve__Info__ZInfoMsg *msg;
	const Org__Lfedge__Eve__Info__ZInfoApp *ai;

	(void)id;
	msg = org__lfedge__eve__info__zinfo_msg__unpack(NULL, len, data);
	if (!msg)
		return 0;
	ai = msg->info_content_case == ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO
		     ? msg->ainfo : NULL;
	if (ai && ai->appid) {
		for (size_t i = 0; i < ls->n; i++) {
			if (strcmp(ls->apps[i].uuid, ai->appid) != 0)
				continue;
			ls->apps[i].state = (int)ai->state;
			ls->apps[i].when = when;
			ls->apps[i].err[0] = '\0';
			if (ai->n_apperr && ai->apperr[0]->description)
				snprintf(ls->apps[i].err, sizeof(ls->apps[i].err), "%s",
					 ai->apperr[0]->description);
		}
	}
	org__lfedge__eve__info__zinfo_msg__free_unpacked(msg, NULL);
	return 0;
}

static const char *
state_name(int s)
{
	const ProtobufCEnumValue *v;

	if (s < 0)
		return "-";
	v = protobuf_c_enum_descriptor_get_value(&org__lfedge__eve__info__zsw_state__descriptor, s);
	return v ? v->name : "?";
}

int
evc_app_list(const struct evc_args *a)
{
	struct list_state ls = { 0 };
	EdgeDevConfig *cfg = NULL;
	struct json_writer w;
	struct store st;
	char dev[37], ts[32];
	int64_t last = 0;
	int rc = 1;

	if (!a->device) {
		fprintf(stderr, "evc: app list needs --device UUID|SERIAL\n");
		return 2;
	}
	if (evc_store_open(a, &st) < 0)
		return 1;
	if (device_resolve(&st, "app list", a->device, dev) < 0 ||
	    config_load(&st, "app list", dev, &cfg) < 0)
		goto out;
	ls.n = cfg->n_apps < APPLIST_MAX ? cfg->n_apps : APPLIST_MAX;
	ls.apps = calloc(ls.n ? ls.n : 1, sizeof(*ls.apps));
	if (!ls.apps)
		goto out;
	for (size_t i = 0; i < ls.n; i++) {
		const Org__Lfedge__Eve__Config__AppInstanceConfig *ap = cfg->apps[i];

		snprintf(ls.apps[i].uuid, 37, "%s", ap->uuidandversion && ap->uuidandversion->uuid
						    ? ap->uuidandversion->uuid : "");
		ls.apps[i].state = -1;
	}
	/* the info history, oldest first: the last ZInfoApp of each app wins */
	if (store_record_list(&st, dev, STORE_INFO, 0, 0, info_one, &ls, &last) < 0) {
		fprintf(stderr, "evc: app list: %s\n", st.err);
		goto out;
	}
	if (a->json) {
		char *txt = NULL;

		json_writer_init(&w, false, 0);
		json_write_array_begin(&w);
		for (size_t i = 0; i < ls.n; i++) {
			const Org__Lfedge__Eve__Config__AppInstanceConfig *ap = cfg->apps[i];
			const Org__Lfedge__Eve__Config__VmConfig *vm = ap->fixedresources;
			const char *nm = ap->displayname ? ap->displayname : "";

			json_write_object_begin(&w);
			json_write_key(&w, "uuid", 4);
			json_write_string(&w, ls.apps[i].uuid, strlen(ls.apps[i].uuid));
			json_write_key(&w, "name", 4);
			json_write_string(&w, nm, strlen(nm));
			json_write_key(&w, "activate", 8);
			json_write_bool(&w, ap->activate);
			json_write_key(&w, "vcpus", 5);
			json_write_u64(&w, vm ? vm->vcpus : 0);
			json_write_key(&w, "memoryKiB", 9);
			json_write_u64(&w, vm ? vm->memory : 0);
			json_write_key(&w, "volumes", 7);
			json_write_u64(&w, ap->n_volumereflist);
			json_write_key(&w, "state", 5);
			if (ls.apps[i].state < 0) {
				json_write_null(&w);
			} else {
				const char *sn = state_name(ls.apps[i].state);

				json_write_string(&w, sn, strlen(sn));
			}
			json_write_key(&w, "reported", 8);
			if (ls.apps[i].state < 0) {
				json_write_null(&w);
			} else {
				struct tm tm;
				time_t tt = (time_t)ls.apps[i].when;

				strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
				json_write_string(&w, ts, strlen(ts));
			}
			if (ls.apps[i].err[0]) {
				json_write_key(&w, "error", 5);
				json_write_string(&w, ls.apps[i].err, strlen(ls.apps[i].err));
			}
			json_write_object_end(&w);
		}
		json_write_array_end(&w);
		if (json_writer_finish(&w, &txt, NULL) < 0) {
			fprintf(stderr, "evc: app list: a name is not UTF-8\n");
			goto out;
		}
		printf("%s\n", txt);
		free(txt);
	} else {
		printf("%-36s  %-20s %-5s %-10s %-4s %-16s %s\n", "UUID", "NAME", "VCPUS",
		       "MEMORY", "VOLS", "STATE", "REPORTED");
		for (size_t i = 0; i < ls.n; i++) {
			const Org__Lfedge__Eve__Config__AppInstanceConfig *ap = cfg->apps[i];
			const Org__Lfedge__Eve__Config__VmConfig *vm = ap->fixedresources;
			char mem[24];
			struct tm tm;
			time_t tt = (time_t)ls.apps[i].when;

			snprintf(mem, sizeof(mem), "%uKiB", vm ? vm->memory : 0);
			if (ls.apps[i].state < 0)
				snprintf(ts, sizeof(ts), "never");
			else
				strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
			printf("%-36s  %-20s %-5u %-10s %-4zu %-16s %s%s%s\n", ls.apps[i].uuid,
			       ap->displayname ? ap->displayname : "", vm ? vm->vcpus : 0, mem,
			       ap->n_volumereflist,
			       state_name(ls.apps[i].state), ts,
			       ls.apps[i].err[0] ? "  " : "", ls.apps[i].err);
		}
	}
	rc = 0;
out:
	free(ls.apps);
	if (cfg)
		protobuf_c_message_free_unpacked(&cfg->pbc_base, NULL);
	store_close(&st);
	return rc;
}
