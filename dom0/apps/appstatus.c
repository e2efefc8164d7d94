/* appstatus: the receiver's checks of apps -> evc bytes.  See appstatus.h. */
#include "appstatus.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const zsw_names[ZSW_MAX + 1] = {
	[ZSW_INVALID] = "INVALID",
	[ZSW_INITIAL] = "INITIAL",
	[ZSW_DOWNLOAD_STARTED] = "DOWNLOAD_STARTED",
	[ZSW_DOWNLOADED] = "DOWNLOADED",
	[ZSW_DELIVERED] = "DELIVERED",
	[ZSW_INSTALLED] = "INSTALLED",
	[ZSW_BOOTING] = "BOOTING",
	[ZSW_RUNNING] = "RUNNING",
	[ZSW_HALTING] = "HALTING",
	[ZSW_HALTED] = "HALTED",
	[ZSW_RESTARTING] = "RESTARTING",
	[ZSW_PURGING] = "PURGING",
	[ZSW_RESOLVING_TAG] = "RESOLVING_TAG",
	[ZSW_RESOLVED_TAG] = "RESOLVED_TAG",
	[ZSW_CREATING_VOLUME] = "CREATING_VOLUME",
	[ZSW_CREATED_VOLUME] = "CREATED_VOLUME",
	[ZSW_VERIFYING] = "VERIFYING",
	[ZSW_VERIFIED] = "VERIFIED",
	[ZSW_LOADING] = "LOADING",
	[ZSW_LOADED] = "LOADED",
	[ZSW_AWAITNETWORKINSTANCE] = "AWAITNETWORKINSTANCE",
	[ZSW_ERROR] = "ERROR",
	[ZSW_START_DELAYED] = "START_DELAYED",
	[ZSW_PENDING] = "PENDING",
	[ZSW_SCHEDULING] = "SCHEDULING",
};

const char *
zsw_name(uint32_t state)
{
	return state <= ZSW_MAX ? zsw_names[state] : "?";
}

/* ZInfoTypes values a removed object may carry (info.proto) */
#define ZI_APP 3
#define ZI_VOLUME 7
#define ZI_CONTENT_TREE 8

struct chk {
	const char *what;
	char *err;
	size_t errsz;
	int rc;
};

static bool
fail(struct chk *k, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (k->rc)
		return false;
	k->rc = -EBADMSG;
	if (!k->errsz)
		return false;
	n = (size_t)snprintf(k->err, k->errsz, "%s: ", k->what);
	if (n < k->errsz) {
		va_start(ap, fmt);
		vsnprintf(k->err + n, k->errsz - n, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool
uuid_ok(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f')) {
			return false;
		}
	}
	return true;
}

#define STR(k, obj, field, what, i)                                                         \
	(memchr((obj)->field, 0, sizeof((obj)->field)) ||                                   \
	 fail((k), "%s %u: " #field " has no NUL", (what), (unsigned)(i)))
#define UUID(k, obj, field, what, i)                                                        \
	(STR(k, obj, field, what, i) &&                                                     \
	 (uuid_ok((obj)->field) ||                                                          \
	  fail((k), "%s %u: " #field " is not a canonical UUID", (what), (unsigned)(i))))
#define STATE(k, obj, what, i)                                                              \
	((obj)->state <= ZSW_MAX ||                                                         \
	 fail((k), "%s %u: state %u is out of range", (what), (unsigned)(i), (obj)->state))

int
appstatus_check(const void *buf, size_t len, char *err, size_t errsz)
{
	const struct apps_status *s = buf;
	struct chk k = { "app status", err, errsz, 0 };

	if (errsz)
		err[0] = 0;
	if (!buf || len != sizeof(*s))
		return fail(&k, "%zu bytes, expected %zu", len, sizeof(*s)), k.rc;
	if ((uintptr_t)buf % _Alignof(struct apps_status))
		return fail(&k, "buffer is not aligned"), k.rc;
	if (s->magic != APPSTATUS_MAGIC || s->version != APPSTATUS_VERSION || s->size != sizeof(*s))
		return fail(&k, "magic %08x version %u size %u, expected %08x %u %zu", s->magic,
			    s->version, s->size, APPSTATUS_MAGIC, APPSTATUS_VERSION, sizeof(*s)),
		       k.rc;
	if (s->n_contents > PLAN_MAX_CONTENTS || s->n_volumes > PLAN_MAX_VOLUMES ||
	    s->n_apps > PLAN_MAX_APPS || s->n_gone > sizeof(s->gone) / sizeof(s->gone[0]))
		return fail(&k, "counts %u contents, %u volumes, %u apps, %u gone are over the bounds",
			    s->n_contents, s->n_volumes, s->n_apps, s->n_gone),
		       k.rc;
	for (uint32_t i = 0; i < s->n_contents; i++) {
		const struct status_content *c = &s->contents[i];

		if (!UUID(&k, c, uuid, "content", i) || !STR(&k, c, name, "content", i) ||
		    !STR(&k, c, sha256, "content", i) || !STR(&k, c, err.text, "content", i) ||
		    !STATE(&k, c, "content", i))
			return k.rc;
		if (c->progress > 100)
			return fail(&k, "content %u: progress %u is over 100", i, c->progress), k.rc;
	}
	for (uint32_t i = 0; i < s->n_volumes; i++) {
		const struct status_volume *v = &s->volumes[i];

		if (!UUID(&k, v, uuid, "volume", i) || !STR(&k, v, name, "volume", i) ||
		    !STR(&k, v, content_uuid, "volume", i) || !STR(&k, v, err.text, "volume", i) ||
		    !STATE(&k, v, "volume", i))
			return k.rc;
		if (v->content_uuid[0] && !uuid_ok(v->content_uuid))
			return fail(&k, "volume %u: content_uuid is not a canonical UUID", i), k.rc;
		if (v->progress > 100)
			return fail(&k, "volume %u: progress %u is over 100", i, v->progress), k.rc;
	}
	for (uint32_t i = 0; i < s->n_apps; i++) {
		const struct status_app *a = &s->apps[i];

		if (!UUID(&k, a, uuid, "app", i) || !STR(&k, a, version, "app", i) ||
		    !STR(&k, a, name, "app", i) || !STR(&k, a, console, "app", i) ||
		    !STR(&k, a, err.text, "app", i) || !STATE(&k, a, "app", i))
			return k.rc;
		if (a->n_volumes > PLAN_MAX_APP_VOLUMES || a->n_adapters > PLAN_MAX_APP_ADAPTERS)
			return fail(&k, "app %u: %u volumes, %u adapters are over the bounds", i,
				    a->n_volumes, a->n_adapters),
			       k.rc;
		for (uint32_t j = 0; j < a->n_volumes; j++)
			if (!memchr(a->volumes[j], 0, PLAN_UUID) || !uuid_ok(a->volumes[j]))
				return fail(&k, "app %u: volume %u is not a canonical UUID", i, j),
				       k.rc;
		for (uint32_t j = 0; j < a->n_adapters; j++)
			if (!STR(&k, &a->adapters[j], name, "app adapter", j))
				return k.rc;
	}
	for (uint32_t i = 0; i < s->n_gone; i++) {
		if (!UUID(&k, &s->gone[i], uuid, "gone", i))
			return k.rc;
		if (s->gone[i].ztype != ZI_APP && s->gone[i].ztype != ZI_VOLUME &&
		    s->gone[i].ztype != ZI_CONTENT_TREE)
			return fail(&k, "gone %u: ztype %u is not ZiApp, ZiVolume or ZiContentTree", i,
				    s->gone[i].ztype),
			       k.rc;
	}
	return 0;
}

int
appmetrics_check(const void *buf, size_t len, char *err, size_t errsz)
{
	const struct apps_metrics *m = buf;
	struct chk k = { "app metrics", err, errsz, 0 };

	if (errsz)
		err[0] = 0;
	if (!buf || len != sizeof(*m))
		return fail(&k, "%zu bytes, expected %zu", len, sizeof(*m)), k.rc;
	if ((uintptr_t)buf % _Alignof(struct apps_metrics))
		return fail(&k, "buffer is not aligned"), k.rc;
	if (m->n > APPS_METRICS_MAX)
		return fail(&k, "%u entries, at most %d", m->n, APPS_METRICS_MAX), k.rc;
	for (uint32_t i = 0; i < m->n; i++)
		if (!UUID(&k, &m->m[i], uuid, "metric", i) || !STR(&k, &m->m[i], name, "metric", i))
			return k.rc;
	return 0;
}
