/* appplan: EdgeDevConfig -> struct app_plan, and the receiver's check.  See appplan.h. */
#include "appplan.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config/devconfig.pb-c.h"

typedef Org__Lfedge__Eve__Config__EdgeDevConfig EdgeDevConfig;
typedef Org__Lfedge__Eve__Config__DatastoreConfig DatastoreConfig;
typedef Org__Lfedge__Eve__Config__ContentTree ContentTree;
typedef Org__Lfedge__Eve__Config__Volume Volume;
typedef Org__Lfedge__Eve__Config__AppInstanceConfig AppInstanceConfig;
typedef Org__Lfedge__Eve__Config__PhysicalIO PhysicalIO;
typedef Org__Lfedge__Eve__Config__SystemAdapter SystemAdapter;

#define PLAN_MAX_MEMORY_KIB (64u * 1024 * 1024)  /* 64 GiB */
#define PLAN_MAX_VCPUS 64u

/* ------------------------------------------------------------ helpers */

/* The first error of an object wins; later ones would only repeat it. */
static void
seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(err, PLAN_ERR, fmt, ap);
	va_end(ap);
}

/* Appends to the config-wide error, "; " separated, as long as it fits. */
static void
addwide(struct app_plan *p, const char *fmt, ...)
{
	size_t n = strlen(p->error);
	va_list ap;

	if (n + 3 >= sizeof(p->error))
		return;
	if (n) {
		memcpy(p->error + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(p->error + n, sizeof(p->error) - n, fmt, ap);
	va_end(ap);
}

/* A hostile string made printable and short for an error sentence. */
static const char *
q(char *buf, size_t cap, const char *s)
{
	size_t i = 0;

	if (!s)
		s = "";
	for (; *s && i + 4 < cap; s++)
		buf[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (*s)
		buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
	buf[i] = 0;
	return buf;
}

/* Copies s (NULL = "") into dst[cap]; -E2BIG (dst "") when it does not fit. */
static int
cpy(char *dst, size_t cap, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= cap) {
		dst[0] = 0;
		return -E2BIG;
	}
	memcpy(dst, s ? s : "", n + 1);
	return 0;
}

/* Canonical UUID: 8-4-4-4-12 hex digits, lower-cased into out[PLAN_UUID]. */
static int
uuid_norm(char *out, const char *in)
{
	if (!in || strlen(in) != 36)
		return -EINVAL;
	for (int i = 0; i < 36; i++) {
		char c = in[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return -EINVAL;
		} else if (!isxdigit((unsigned char)c)) {
			return -EINVAL;
		}
		out[i] = (char)tolower((unsigned char)c);
	}
	out[36] = 0;
	return 0;
}

static bool
uuid_ok(const char *s)
{
	char tmp[PLAN_UUID];

	return uuid_norm(tmp, s) == 0 && strcmp(tmp, s) == 0;
}

/* Copies a uuid into dst or sets *err; returns 0 or -EINVAL. */
static int
take_uuid(char *dst, const char *in, char *err, const char *what)
{
	char b[64];

	if (uuid_norm(dst, in) == 0)
		return 0;
	dst[0] = 0;
	if (!in || !*in)
		seterr(err, "%s is missing", what);
	else
		seterr(err, "%s '%s' is not a canonical UUID", what, q(b, sizeof(b), in));
	return -EINVAL;
}

/* Copies a string field or records "<what> longer than N bytes". */
static void
take_str(char *dst, size_t cap, const char *s, char *err, const char *what)
{
	if (cpy(dst, cap, s) < 0)
		seterr(err, "%s longer than %zu bytes", what, cap - 1);
}

static const char *
enum_name(const ProtobufCEnumDescriptor *d, int v, char *buf, size_t cap)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);

	if (ev)
		return ev->name;
	snprintf(buf, cap, "%d", v);
	return buf;
}

/* Appends path s to dst (a path without leading or trailing '/', single
 * slashes).  -E2BIG when it does not fit. */
static int
path_join(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(dst);
	bool sep = n > 0;  /* the next segment follows one already there */

	for (; s && *s; s++) {
		if (*s == '/') {
			sep = n > 0;
			continue;
		}
		if (n + 2 >= cap)
			return -E2BIG;
		if (sep)
			dst[n++] = '/';
		sep = false;
		dst[n++] = *s;
		dst[n] = 0;
	}
	return 0;
}

/* Printable ASCII without spaces: what we pass on in a URL. */
static bool
url_chars_ok(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* host, host:port or [v6]:port */
static bool
hostport_ok(const char *h)
{
	const char *colon;

	if (!*h)
		return false;
	if (*h == '[') {
		const char *e = strchr(h, ']');

		if (!e || e == h + 1)
			return false;
		for (const char *c = h + 1; c < e; c++)
			if (!isxdigit((unsigned char)*c) && *c != ':' && *c != '.')
				return false;
		colon = e[1] ? e + 1 : NULL;
		if (colon && *colon != ':')
			return false;
	} else {
		colon = strchr(h, ':');
		for (const char *c = h; *c && c != colon; c++)
			if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.' && *c != '_')
				return false;
		if (colon == h)
			return false;
	}
	if (colon) {
		unsigned long port = 0;
		const char *c = colon + 1;

		if (!*c)
			return false;
		for (; *c; c++) {
			if (!isdigit((unsigned char)*c))
				return false;
			port = port * 10 + (unsigned long)(*c - '0');
			if (port > 65535)
				return false;
		}
		if (port == 0)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ datastores */

static void
plan_datastore(const DatastoreConfig *c, struct plan_datastore *d)
{
	char b[64], nb[32];
	const char *f = c->fqdn ? c->fqdn : "", *slash;
	const char *want = c->dtype == ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttps ? "https" : "http";
	size_t hl;

	if (uuid_norm(d->id, c->id) < 0) {
		d->id[0] = 0;
		snprintf(d->error, sizeof(d->error), "datastore '%s': id is not a canonical UUID",
			 q(b, sizeof(b), c->id));
		return;
	}
	if (c->dtype != ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttp &&
	    c->dtype != ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttps) {
		seterr(d->error, "datastore %s: type %s is not supported", d->id,
		       enum_name(&org__lfedge__eve__config__ds_type__descriptor, (int)c->dtype, nb,
				 sizeof(nb)));
		return;
	}
	d->type = c->dtype == ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttps ? PLAN_DS_HTTPS
									 : PLAN_DS_HTTP;
	/* EVE's controllers write fqdn as "https://host:port" or "host" */
	if (strncasecmp(f, "http://", 7) == 0 || strncasecmp(f, "https://", 8) == 0) {
		size_t sl = f[4] == ':' ? 4 : 5;

		if (strncasecmp(f, want, strlen(want)) != 0 || sl != strlen(want)) {
			seterr(d->error, "datastore %s: fqdn '%s' does not match type %s", d->id,
			       q(b, sizeof(b), f),
			       enum_name(&org__lfedge__eve__config__ds_type__descriptor,
					 (int)c->dtype, nb, sizeof(nb)));
			return;
		}
		f += sl + 3;
	}
	slash = strchr(f, '/');
	hl = slash ? (size_t)(slash - f) : strlen(f);
	if (hl >= sizeof(d->fqdn)) {
		seterr(d->error, "datastore %s: fqdn longer than %zu bytes", d->id,
		       sizeof(d->fqdn) - 1);
		return;
	}
	memcpy(d->fqdn, f, hl);
	d->fqdn[hl] = 0;
	if (!hostport_ok(d->fqdn)) {
		seterr(d->error, "datastore %s: fqdn '%s' is not host[:port]", d->id,
		       q(b, sizeof(b), c->fqdn));
		d->fqdn[0] = 0;
		return;
	}
	/* a path after the host is a prefix of dpath */
	if (!url_chars_ok(slash) || !url_chars_ok(c->dpath)) {
		seterr(d->error, "datastore %s: dpath has a space or a control byte", d->id);
		return;
	}
	if (path_join(d->dpath, sizeof(d->dpath), slash) < 0 ||
	    path_join(d->dpath, sizeof(d->dpath), c->dpath) < 0) {
		d->dpath[0] = 0;
		seterr(d->error, "datastore %s: dpath longer than %zu bytes", d->id,
		       sizeof(d->dpath) - 1);
		return;
	}
	for (size_t i = 0; i < c->n_dscertpem; i++) {
		const ProtobufCBinaryData *pem = &c->dscertpem[i];
		bool nl = pem->len && pem->data[pem->len - 1] != '\n';

		if (pem->len && memchr(pem->data, 0, pem->len)) {
			seterr(d->error, "datastore %s: dsCertPEM %zu has a NUL byte", d->id, i);
			goto bad;
		}
		if (d->cert_len + pem->len + nl >= sizeof(d->cert_pem)) {
			seterr(d->error, "datastore %s: dsCertPEM longer than %zu bytes", d->id,
			       sizeof(d->cert_pem) - 1);
			goto bad;
		}
		memcpy(d->cert_pem + d->cert_len, pem->data, pem->len);
		d->cert_len += (uint32_t)pem->len;
		if (nl)
			d->cert_pem[d->cert_len++] = '\n';
	}
	d->cert_pem[d->cert_len] = 0;
	return;
bad:
	d->cert_len = 0;
	memset(d->cert_pem, 0, sizeof(d->cert_pem));
}

/* ------------------------------------------------------------ contents */

/* scheme://fqdn/dpath/rel into dst[PLAN_URL]; error text into err. */
static int
url_build(char *dst, const struct plan_datastore *d, const char *rel, char *err, const char *what)
{
	char path[PLAN_URL] = "";
	int n;

	if (!rel || !*rel) {
		seterr(err, "%s is empty", what);
		return -EINVAL;
	}
	if (strstr(rel, "://")) {
		seterr(err, "%s must be a path on datastore %s, not a URL", what, d->id);
		return -EINVAL;
	}
	if (!url_chars_ok(rel)) {
		seterr(err, "%s has a space or a control byte", what);
		return -EINVAL;
	}
	if (path_join(path, sizeof(path), d->dpath) < 0 || path_join(path, sizeof(path), rel) < 0)
		goto big;
	n = snprintf(dst, PLAN_URL, "%s://%s/%s", d->type == PLAN_DS_HTTPS ? "https" : "http",
		     d->fqdn, path);
	if (n < 0 || n >= PLAN_URL)
		goto big;
	return 0;
big:
	dst[0] = 0;
	seterr(err, "%s: the full URL is longer than %d bytes", what, PLAN_URL - 1);
	return -E2BIG;
}

static void
plan_content(const ContentTree *c, const struct app_plan *p, struct plan_content *t)
{
	const struct plan_datastore *d;
	char b[64], nb[32];
	const char *h = c->sha256 ? c->sha256 : "";

	take_uuid(t->uuid, c->uuid, t->error, "content tree uuid");
	take_str(t->name, sizeof(t->name), c->displayname, t->error, "displayName");
	t->max_size = c->maxsizebytes;
	t->generation = c->generation_count;
	switch (c->iformat) {
	case ORG__LFEDGE__EVE__CONFIG__FORMAT__FmtUnknown:
	case ORG__LFEDGE__EVE__CONFIG__FORMAT__RAW:
	case ORG__LFEDGE__EVE__CONFIG__FORMAT__QCOW:
	case ORG__LFEDGE__EVE__CONFIG__FORMAT__QCOW2:
	case ORG__LFEDGE__EVE__CONFIG__FORMAT__ISO:
		t->format = (uint32_t)c->iformat;
		break;
	default:
		seterr(t->error, "format %s is not supported",
		       enum_name(&org__lfedge__eve__config__format__descriptor, (int)c->iformat, nb,
				 sizeof(nb)));
	}
	if (strlen(h) != 64 || strspn(h, "0123456789abcdefABCDEF") != 64)
		seterr(t->error, "sha256 '%s' is not 64 hex digits", q(b, sizeof(b), h));
	else
		for (int i = 0; i <= 64; i++)
			t->sha256[i] = (char)tolower((unsigned char)h[i]);
	if (take_uuid(t->ds_id, c->dsid, t->error, "dsId") < 0)
		return;
	d = appplan_find_datastore(p, t->ds_id);
	if (!d) {
		seterr(t->error, "datastore %s is not in the config", t->ds_id);
		return;
	}
	if (d->error[0]) {
		seterr(t->error, "%s", d->error);
		return;
	}
	url_build(t->url, d, c->url, t->error, "URL");
	if (c->siginfo && c->siginfo->signature.len) {
		const Org__Lfedge__Eve__Config__SignatureInfo *s = c->siginfo;

		if (s->signature.len > sizeof(t->sig)) {
			seterr(t->error, "siginfo: signature longer than %zu bytes", sizeof(t->sig));
			return;
		}
		t->has_sig = true;
		t->sig_len = (uint32_t)s->signature.len;
		memcpy(t->sig, s->signature.data, s->signature.len);
		url_build(t->signer_url, d, s->signercerturl, t->error, "siginfo: signercerturl");
		if (s->intercertsurl && *s->intercertsurl)
			url_build(t->inter_url, d, s->intercertsurl, t->error,
				  "siginfo: intercertsurl");
	}
}

/* ------------------------------------------------------------ volumes */

static void
plan_volume(const Volume *c, const struct app_plan *p, struct plan_volume *v)
{
	char nb[32];
	int ot = c->origin ? (int)c->origin->type : 0;

	take_uuid(v->uuid, c->uuid, v->error, "volume uuid");
	take_str(v->name, sizeof(v->name), c->displayname, v->error, "displayName");
	v->generation = c->generationcount;
	v->readonly = c->readonly;
	if (c->maxsizebytes < 0)
		seterr(v->error, "maxsizebytes %lld is negative", (long long)c->maxsizebytes);
	else
		v->max_size = (uint64_t)c->maxsizebytes;
	if ((int)c->target < 0 || c->target > ORG__LFEDGE__EVE__CONFIG__TARGET__AppCustom)
		seterr(v->error, "target %d is unknown", (int)c->target);
	else
		v->target = (uint32_t)c->target;
	switch (ot) {
	case ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_BLANK:
		v->origin = PLAN_ORIGIN_BLANK;
		if (v->max_size == 0)
			seterr(v->error, "a blank volume needs maxsizebytes");
		break;
	case ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_DOWNLOAD:
		v->origin = PLAN_ORIGIN_DOWNLOAD;
		if (take_uuid(v->content_uuid, c->origin->downloadcontenttreeid, v->error,
			      "downloadContentTreeID") == 0 &&
		    !appplan_find_content(p, v->content_uuid))
			seterr(v->error, "content tree %s is not in the config", v->content_uuid);
		break;
	default:
		seterr(v->error, "origin type %s is not supported",
		       enum_name(&org__lfedge__eve__config__volume_content_origin_type__descriptor,
				 ot, nb, sizeof(nb)));
	}
}

/* ------------------------------------------------------------ device I/O */

static bool
names_port(const EdgeDevConfig *c, const char *lower, const char *label, int depth)
{
	if (!lower || !*lower || !label || !*label || depth > 2)
		return false;
	if (strcmp(lower, label) == 0)
		return true;
	for (size_t i = 0; i < c->n_vlans; i++)
		if (c->vlans[i]->logicallabel && strcmp(c->vlans[i]->logicallabel, lower) == 0)
			return names_port(c, c->vlans[i]->lower_layer_name, label, depth + 1);
	for (size_t i = 0; i < c->n_bonds; i++) {
		const Org__Lfedge__Eve__Config__BondAdapter *b = c->bonds[i];

		if (!b->logicallabel || strcmp(b->logicallabel, lower) != 0)
			continue;
		for (size_t j = 0; j < b->n_lower_layer_names; j++)
			if (names_port(c, b->lower_layer_names[j], label, depth + 1))
				return true;
	}
	return false;
}

static bool
io_is_mgmt(const EdgeDevConfig *c, const char *label)
{
	for (size_t i = 0; i < c->n_systemadapterlist; i++) {
		const SystemAdapter *s = c->systemadapterlist[i];
		const char *lower = s->lowerlayername && *s->lowerlayername ? s->lowerlayername
									    : s->name;

		if ((s->uplink || s->freeuplink) && names_port(c, lower, label, 0))
			return true;
	}
	return false;
}

/* 0, or -E2BIG with why[] filled (the I/O is left out: it has no error field). */
static int
plan_io(const EdgeDevConfig *c, const PhysicalIO *x, struct plan_io *o, char *why, size_t whysz)
{
	struct { const char *key; char *dst; size_t cap; } addrs[] = {
		{ "pcilong", o->pcilong, sizeof(o->pcilong) },
		{ "ifname", o->ifname, sizeof(o->ifname) },
		{ "serial", o->serial, sizeof(o->serial) },
		{ "usbaddr", o->usbaddr, sizeof(o->usbaddr) },
	};

	o->ptype = (uint32_t)x->ptype;
	o->usage = (uint32_t)x->usage;
	if (cpy(o->phylabel, sizeof(o->phylabel), x->phylabel) < 0) {
		snprintf(why, whysz, "phylabel longer than %zu bytes", sizeof(o->phylabel) - 1);
		return -E2BIG;
	}
	if (cpy(o->logicallabel, sizeof(o->logicallabel), x->logicallabel) < 0) {
		snprintf(why, whysz, "logicallabel longer than %zu bytes",
			 sizeof(o->logicallabel) - 1);
		return -E2BIG;
	}
	if (cpy(o->assigngrp, sizeof(o->assigngrp), x->assigngrp) < 0) {
		snprintf(why, whysz, "assigngrp longer than %zu bytes", sizeof(o->assigngrp) - 1);
		return -E2BIG;
	}
	for (size_t i = 0; i < x->n_phyaddrs; i++) {
		const Org__Lfedge__Eve__Config__PhysicalIO__PhyaddrsEntry *e = x->phyaddrs[i];

		for (size_t k = 0; k < sizeof(addrs) / sizeof(addrs[0]); k++) {
			if (!e->key || strcmp(e->key, addrs[k].key) != 0)
				continue;
			if (cpy(addrs[k].dst, addrs[k].cap, e->value) < 0) {
				snprintf(why, whysz, "phyaddrs[%s] longer than %zu bytes",
					 addrs[k].key, addrs[k].cap - 1);
				return -E2BIG;
			}
		}
	}
	o->mgmt = io_is_mgmt(c, o->logicallabel);
	return 0;
}

/* ------------------------------------------------------------ apps */

static bool
mac_norm(char *out, const char *in)
{
	if (strlen(in) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (in[i] != ':')
				return false;
		} else if (!isxdigit((unsigned char)in[i])) {
			return false;
		}
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[17] = 0;
	return true;
}

static int
plan_app(const EdgeDevConfig *cfg, const AppInstanceConfig *c, struct app_plan *p,
	 struct plan_app *a)
{
	const Org__Lfedge__Eve__Config__VmConfig *vm = c->fixedresources;
	char b[64];
	int rc = 0;

	take_uuid(a->uuid, c->uuidandversion ? c->uuidandversion->uuid : NULL, a->error, "uuid");
	take_str(a->version, sizeof(a->version),
		 c->uuidandversion ? c->uuidandversion->version : NULL, a->error, "version");
	take_str(a->name, sizeof(a->name), c->displayname, a->error, "displayname");
	a->activate = c->activate;
	a->restart_counter = c->restart ? c->restart->counter : 0;
	a->purge_counter = c->purge ? c->purge->counter : 0;
	a->start_delay_s = c->start_delay_in_seconds;
	if (!vm) {
		seterr(a->error, "fixedresources is missing");
	} else {
		if ((int)vm->virtualizationmode < 0 ||
		    vm->virtualizationmode > ORG__LFEDGE__EVE__CONFIG__VM_MODE__LEGACY)
			seterr(a->error, "virtualizationMode %d is unknown",
			       (int)vm->virtualizationmode);
		else
			a->virt = (uint32_t)vm->virtualizationmode;
		a->memory_kib = vm->memory;
		a->maxmem_kib = vm->maxmem > vm->memory ? vm->maxmem : vm->memory;
		a->vcpus = vm->vcpus ? vm->vcpus : 1;
		if (vm->memory == 0)
			seterr(a->error, "impossible resources: memory is 0");
		else if (vm->memory > PLAN_MAX_MEMORY_KIB || a->maxmem_kib > PLAN_MAX_MEMORY_KIB)
			seterr(a->error, "impossible resources: memory %u KiB is over 64 GiB",
			       a->maxmem_kib);
		if (a->vcpus > PLAN_MAX_VCPUS)
			seterr(a->error, "impossible resources: %u vcpus (at most %u)", a->vcpus,
			       PLAN_MAX_VCPUS);
		a->enable_vnc = vm->enable_vnc;
		a->vnc_display = vm->vncdisplay;
		a->uefi = vm->boot_mode == ORG__LFEDGE__EVE__CONFIG__VM_BOOT_MODE__VM_BOOT_MODE_UEFI;
		take_str(a->kernel, sizeof(a->kernel), vm->kernel, a->error, "kernel");
		take_str(a->ramdisk, sizeof(a->ramdisk), vm->ramdisk, a->error, "ramdisk");
		take_str(a->extraargs, sizeof(a->extraargs), vm->extraargs, a->error, "extraargs");
	}

	if (c->n_volumereflist > PLAN_MAX_APP_VOLUMES) {
		seterr(a->error, "%zu volumes (at most %d)", c->n_volumereflist,
		       PLAN_MAX_APP_VOLUMES);
		addwide(p, "app %s: %zu volumes, the last %zu left out", a->uuid,
			c->n_volumereflist, c->n_volumereflist - PLAN_MAX_APP_VOLUMES);
		rc = -E2BIG;
	}
	for (size_t i = 0; i < c->n_volumereflist && a->n_volumes < PLAN_MAX_APP_VOLUMES; i++) {
		const Org__Lfedge__Eve__Config__VolumeRef *r = c->volumereflist[i];
		struct plan_app_volume *v = &a->volumes[a->n_volumes];
		bool in_cfg = false;

		if (take_uuid(v->uuid, r->uuid, a->error, "volumeRefList uuid") < 0)
			continue;
		for (size_t k = 0; k < cfg->n_volumes && !in_cfg; k++) {
			char u[PLAN_UUID];

			in_cfg = uuid_norm(u, cfg->volumes[k]->uuid) == 0 && !strcmp(u, v->uuid);
		}
		if (!in_cfg)
			seterr(a->error, "volume %s is not in the config", v->uuid);
		else if (!appplan_find_volume(p, v->uuid))
			seterr(a->error, "volume %s was left out of the plan", v->uuid);
		v->generation = r->generationcount;
		a->n_volumes++;
	}

	if (c->n_adapters > PLAN_MAX_APP_ADAPTERS) {
		seterr(a->error, "%zu adapters (at most %d)", c->n_adapters, PLAN_MAX_APP_ADAPTERS);
		addwide(p, "app %s: %zu adapters, the last %zu left out", a->uuid, c->n_adapters,
			c->n_adapters - PLAN_MAX_APP_ADAPTERS);
		rc = -E2BIG;
	}
	for (size_t i = 0; i < c->n_adapters && a->n_adapters < PLAN_MAX_APP_ADAPTERS; i++) {
		const Org__Lfedge__Eve__Config__Adapter *x = c->adapters[i];
		struct plan_adapter *ad = &a->adapters[a->n_adapters];

		if (cpy(ad->name, sizeof(ad->name), x->name) < 0) {
			seterr(a->error, "adapter name longer than %zu bytes", sizeof(ad->name) - 1);
			continue;
		}
		if (!ad->name[0]) {
			seterr(a->error, "adapter %zu has no name", i);
			continue;
		}
		ad->type = (uint32_t)x->type;
		if (!appplan_find_io(p, ad->name))
			seterr(a->error, "adapter '%s' is not in the deviceIoList",
			       q(b, sizeof(b), ad->name));
		for (uint32_t k = 0; k < p->n_apps; k++)
			for (uint32_t j = 0; j < p->apps[k].n_adapters; j++)
				if (!strcmp(p->apps[k].adapters[j].name, ad->name))
					seterr(a->error, "adapter '%s' is already assigned to app %s",
					       q(b, sizeof(b), ad->name), p->apps[k].uuid);
		a->n_adapters++;
	}

	if (c->n_interfaces > PLAN_MAX_APP_NICS) {
		seterr(a->error, "%zu interfaces (at most %d)", c->n_interfaces, PLAN_MAX_APP_NICS);
		addwide(p, "app %s: %zu interfaces, the last %zu left out", a->uuid,
			c->n_interfaces, c->n_interfaces - PLAN_MAX_APP_NICS);
		rc = -E2BIG;
	}
	for (size_t i = 0; i < c->n_interfaces && a->n_nics < PLAN_MAX_APP_NICS; i++) {
		const Org__Lfedge__Eve__Config__NetworkAdapter *x = c->interfaces[i];
		struct plan_nic *n = &a->nics[a->n_nics++];

		take_str(n->name, sizeof(n->name), x->name, a->error, "interface name");
		take_uuid(n->network_uuid, x->networkid, a->error, "interface networkId");
		if (x->macaddress && *x->macaddress && !mac_norm(n->mac, x->macaddress))
			seterr(a->error, "interface macAddress '%s' is not xx:xx:xx:xx:xx:xx",
			       q(b, sizeof(b), x->macaddress));
	}
	return rc;
}

/* ------------------------------------------------------------ the plan */

int
appplan_from_config(const EdgeDevConfig *c, struct app_plan *p)
{
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->magic = APPPLAN_MAGIC;
	p->version = APPPLAN_VERSION;
	p->size = sizeof(*p);

	for (size_t i = 0; i < c->n_datastores; i++) {
		struct plan_datastore *d;
		char u[PLAN_UUID];

		if (p->n_datastores == PLAN_MAX_DATASTORES) {
			addwide(p, "%zu datastores, the last %zu left out", c->n_datastores,
				c->n_datastores - i);
			rc = -E2BIG;
			break;
		}
		if (uuid_norm(u, c->datastores[i]->id) == 0 && appplan_find_datastore(p, u)) {
			addwide(p, "datastore %s is repeated", u);  /* the first one counts */
			continue;
		}
		d = &p->datastores[p->n_datastores++];
		plan_datastore(c->datastores[i], d);
	}
	for (size_t i = 0; i < c->n_contentinfo; i++) {
		struct plan_content *t;
		char u[PLAN_UUID];

		if (p->n_contents == PLAN_MAX_CONTENTS) {
			addwide(p, "%zu content trees, the last %zu left out", c->n_contentinfo,
				c->n_contentinfo - i);
			rc = -E2BIG;
			break;
		}
		t = &p->contents[p->n_contents];
		if (uuid_norm(u, c->contentinfo[i]->uuid) == 0 && appplan_find_content(p, u)) {
			addwide(p, "content tree %s is repeated", u);
			continue;
		}
		p->n_contents++;
		plan_content(c->contentinfo[i], p, t);
	}
	for (size_t i = 0; i < c->n_volumes; i++) {
		char u[PLAN_UUID];

		if (p->n_volumes == PLAN_MAX_VOLUMES) {
			addwide(p, "%zu volumes, the last %zu left out", c->n_volumes,
				c->n_volumes - i);
			rc = -E2BIG;
			break;
		}
		if (uuid_norm(u, c->volumes[i]->uuid) == 0 && appplan_find_volume(p, u)) {
			addwide(p, "volume %s is repeated", u);
			continue;
		}
		plan_volume(c->volumes[i], p, &p->volumes[p->n_volumes++]);
	}
	for (size_t i = 0; i < c->n_deviceiolist; i++) {
		char why[128], b[64];

		if (p->n_io == PLAN_MAX_IO) {
			addwide(p, "%zu deviceIoList entries, the last %zu left out",
				c->n_deviceiolist, c->n_deviceiolist - i);
			rc = -E2BIG;
			break;
		}
		memset(&p->io[p->n_io], 0, sizeof(p->io[0]));
		if (plan_io(c, c->deviceiolist[i], &p->io[p->n_io], why, sizeof(why)) < 0) {
			memset(&p->io[p->n_io], 0, sizeof(p->io[0]));
			addwide(p, "deviceIoList '%s' left out: %s",
				q(b, sizeof(b), c->deviceiolist[i]->phylabel), why);
			rc = -E2BIG;
			continue;
		}
		p->n_io++;
	}
	for (size_t i = 0; i < c->n_apps; i++) {
		struct plan_app *a;
		int r;

		if (p->n_apps == PLAN_MAX_APPS) {
			addwide(p, "%zu apps, the last %zu left out", c->n_apps, c->n_apps - i);
			rc = -E2BIG;
			break;
		}
		a = &p->apps[p->n_apps];
		r = plan_app(c, c->apps[i], p, a);
		if (a->uuid[0]) {
			for (uint32_t k = 0; k < p->n_apps; k++)
				if (!strcmp(p->apps[k].uuid, a->uuid)) {
					addwide(p, "app %s is repeated", a->uuid);
					memset(a, 0, sizeof(*a));
					a = NULL;
					break;
				}
		}
		if (!a)
			continue;
		p->n_apps++;
		if (r < 0)
			rc = r;
	}
	return rc;
}

/* ------------------------------------------------------------ lookups */

const struct plan_content *
appplan_find_content(const struct app_plan *p, const char *uuid)
{
	for (uint32_t i = 0; i < p->n_contents && i < PLAN_MAX_CONTENTS; i++)
		if (p->contents[i].uuid[0] && !strcmp(p->contents[i].uuid, uuid))
			return &p->contents[i];
	return NULL;
}

const struct plan_volume *
appplan_find_volume(const struct app_plan *p, const char *uuid)
{
	for (uint32_t i = 0; i < p->n_volumes && i < PLAN_MAX_VOLUMES; i++)
		if (p->volumes[i].uuid[0] && !strcmp(p->volumes[i].uuid, uuid))
			return &p->volumes[i];
	return NULL;
}

const struct plan_datastore *
appplan_find_datastore(const struct app_plan *p, const char *id)
{
	for (uint32_t i = 0; i < p->n_datastores && i < PLAN_MAX_DATASTORES; i++)
		if (p->datastores[i].id[0] && !strcmp(p->datastores[i].id, id))
			return &p->datastores[i];
	return NULL;
}

const struct plan_io *
appplan_find_io(const struct app_plan *p, const char *assigngrp)
{
	for (uint32_t i = 0; i < p->n_io && i < PLAN_MAX_IO; i++)
		if (p->io[i].assigngrp[0] && !strcmp(p->io[i].assigngrp, assigngrp))
			return &p->io[i];
	return NULL;
}

/* ------------------------------------------------------------ the check */

struct chk {
	char *err;
	size_t errsz;
	int rc;
};

static bool
chk_fail(struct chk *k, const char *fmt, ...)
{
	va_list ap;

	if (k->rc == 0) {
		va_start(ap, fmt);
		vsnprintf(k->err, k->errsz, fmt, ap);
		va_end(ap);
		k->rc = -EBADMSG;
	}
	return false;
}

/* a NUL-terminated string inside its array */
#define STR(k, obj, field, what, i)                                                         \
	(memchr((obj)->field, 0, sizeof((obj)->field)) ||                                   \
	 chk_fail((k), "app plan: %s %u: " #field " has no NUL", (what), (unsigned)(i)))
/* "" or a canonical lower-case UUID */
#define UUID(k, obj, field, what, i)                                                        \
	(STR(k, obj, field, what, i) && (!(obj)->field[0] || uuid_ok((obj)->field) ||       \
					 chk_fail((k), "app plan: %s %u: " #field           \
						  " is not a canonical UUID", (what),       \
						  (unsigned)(i))))
/* a bool is one byte, 0 or 1: anything else must not be loaded as a bool */
#define BOOL(k, obj, field, what, i)                                                        \
	(*(const uint8_t *)&(obj)->field <= 1 ||                                            \
	 chk_fail((k), "app plan: %s %u: " #field " is not a bool", (what), (unsigned)(i)))

static void
check_plan(const struct app_plan *p, struct chk *k)
{
	if (!STR(k, p, config_hash, "plan", 0) || !STR(k, p, error, "plan", 0))
		return;
	for (uint32_t i = 0; i < p->n_datastores; i++) {
		const struct plan_datastore *d = &p->datastores[i];

		if (!UUID(k, d, id, "datastore", i) || !STR(k, d, fqdn, "datastore", i) ||
		    !STR(k, d, dpath, "datastore", i) || !STR(k, d, error, "datastore", i))
			return;
		if (d->type != PLAN_DS_HTTP && d->type != PLAN_DS_HTTPS && !d->error[0]) {
			chk_fail(k, "app plan: datastore %u: type %u is out of range", i, d->type);
			return;
		}
		if (d->cert_len >= sizeof(d->cert_pem) || d->cert_pem[d->cert_len]) {
			chk_fail(k, "app plan: datastore %u: cert_len %u is out of range", i,
				 d->cert_len);
			return;
		}
	}
	for (uint32_t i = 0; i < p->n_contents; i++) {
		const struct plan_content *t = &p->contents[i];

		if (!UUID(k, t, uuid, "content", i) || !STR(k, t, name, "content", i) ||
		    !UUID(k, t, ds_id, "content", i) || !STR(k, t, url, "content", i) ||
		    !STR(k, t, sha256, "content", i) || !STR(k, t, signer_url, "content", i) ||
		    !STR(k, t, inter_url, "content", i) || !STR(k, t, error, "content", i) ||
		    !BOOL(k, t, has_sig, "content", i))
			return;
		if (t->format > PLAN_FMT_QCOW2 && t->format != PLAN_FMT_ISO) {
			chk_fail(k, "app plan: content %u: format %u is out of range", i, t->format);
			return;
		}
		if (t->sig_len > sizeof(t->sig)) {
			chk_fail(k, "app plan: content %u: sig_len %u is over %zu", i, t->sig_len,
				 sizeof(t->sig));
			return;
		}
	}
	for (uint32_t i = 0; i < p->n_volumes; i++) {
		const struct plan_volume *v = &p->volumes[i];

		if (!UUID(k, v, uuid, "volume", i) || !STR(k, v, name, "volume", i) ||
		    !UUID(k, v, content_uuid, "volume", i) || !STR(k, v, error, "volume", i) ||
		    !BOOL(k, v, readonly, "volume", i))
			return;
		if (v->origin > PLAN_ORIGIN_DOWNLOAD || (v->origin == 0 && !v->error[0])) {
			chk_fail(k, "app plan: volume %u: origin %u is out of range", i, v->origin);
			return;
		}
		if (v->target > ORG__LFEDGE__EVE__CONFIG__TARGET__AppCustom) {
			chk_fail(k, "app plan: volume %u: target %u is out of range", i, v->target);
			return;
		}
	}
	for (uint32_t i = 0; i < p->n_apps; i++) {
		const struct plan_app *a = &p->apps[i];

		if (!UUID(k, a, uuid, "app", i) || !STR(k, a, version, "app", i) ||
		    !STR(k, a, name, "app", i) || !STR(k, a, kernel, "app", i) ||
		    !STR(k, a, ramdisk, "app", i) || !STR(k, a, extraargs, "app", i) ||
		    !STR(k, a, error, "app", i) || !BOOL(k, a, activate, "app", i) ||
		    !BOOL(k, a, enable_vnc, "app", i) || !BOOL(k, a, uefi, "app", i))
			return;
		if (a->virt > PLAN_VIRT_LEGACY) {
			chk_fail(k, "app plan: app %u: virt %u is out of range", i, a->virt);
			return;
		}
		if (a->n_volumes > PLAN_MAX_APP_VOLUMES || a->n_adapters > PLAN_MAX_APP_ADAPTERS ||
		    a->n_nics > PLAN_MAX_APP_NICS) {
			chk_fail(k, "app plan: app %u: %u volumes, %u adapters, %u nics is over the "
				 "bounds", i, a->n_volumes, a->n_adapters, a->n_nics);
			return;
		}
		for (uint32_t j = 0; j < a->n_volumes; j++)
			if (!UUID(k, &a->volumes[j], uuid, "app volume", j))
				return;
		for (uint32_t j = 0; j < a->n_adapters; j++)
			if (!STR(k, &a->adapters[j], name, "app adapter", j))
				return;
		for (uint32_t j = 0; j < a->n_nics; j++)
			if (!STR(k, &a->nics[j], name, "app nic", j) ||
			    !UUID(k, &a->nics[j], network_uuid, "app nic", j) ||
			    !STR(k, &a->nics[j], mac, "app nic", j))
				return;
	}
	for (uint32_t i = 0; i < p->n_io; i++) {
		const struct plan_io *o = &p->io[i];

		if (!STR(k, o, phylabel, "io", i) || !STR(k, o, logicallabel, "io", i) ||
		    !STR(k, o, assigngrp, "io", i) || !STR(k, o, pcilong, "io", i) ||
		    !STR(k, o, ifname, "io", i) || !STR(k, o, serial, "io", i) ||
		    !STR(k, o, usbaddr, "io", i) || !BOOL(k, o, mgmt, "io", i))
			return;
	}
}

int
appplan_check(const void *buf, size_t len, char *err, size_t errsz)
{
	const struct app_plan *p = buf;
	struct chk k = { err, errsz, 0 };

	if (errsz)
		err[0] = 0;
	if (!buf || len != sizeof(*p)) {
		chk_fail(&k, "app plan: %zu bytes, expected %zu", len, sizeof(*p));
		return k.rc;
	}
	if ((uintptr_t)buf % _Alignof(struct app_plan)) {
		chk_fail(&k, "app plan: buffer is not aligned");
		return k.rc;
	}
	if (p->magic != APPPLAN_MAGIC || p->version != APPPLAN_VERSION || p->size != sizeof(*p)) {
		chk_fail(&k, "app plan: magic %08x version %u size %u, expected %08x %u %zu",
			 p->magic, p->version, p->size, APPPLAN_MAGIC, APPPLAN_VERSION, sizeof(*p));
		return k.rc;
	}
	if (p->n_datastores > PLAN_MAX_DATASTORES || p->n_contents > PLAN_MAX_CONTENTS ||
	    p->n_volumes > PLAN_MAX_VOLUMES || p->n_apps > PLAN_MAX_APPS || p->n_io > PLAN_MAX_IO) {
		chk_fail(&k, "app plan: counts %u datastores, %u contents, %u volumes, %u apps, "
			 "%u io are over the bounds", p->n_datastores, p->n_contents,
			 p->n_volumes, p->n_apps, p->n_io);
		return k.rc;
	}
	check_plan(p, &k);
	return k.rc;
}
