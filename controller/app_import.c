/* app_import: the seed's VMManifest into EdgeDevConfig objects.  See app_import.h. */
#include "app_import.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#include "config/devconfig.pb-c.h"

static int
fail(char *err, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, APPIMP_ERR, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- parsing ------------------------------------------------------------- */

struct name_val {
	const char *name;
	uint32_t val;
};

static const struct name_val targets[] = {
	{ "Disk", 1 }, { "Kernel", 2 }, { "Initrd", 3 }, { "RamDisk", 4 }, { "AppCustom", 5 },
	{ NULL, 0 },
};
static const struct name_val drvtypes[] = {
	{ "HDD", 2 }, { "CDROM", 1 }, { "HDD_EMPTY", 4 }, { NULL, 0 },
};
static const struct name_val vmmodes[] = {
	{ "HVM", 1 }, { "PV", 0 }, { "PVH", 2 }, { "FML", 3 }, { "NOHYPER", 4 }, { "LEGACY", 5 },
	{ NULL, 0 },
};
static const char *const units[] = { "KB", "MB", "GB", "TB", NULL };

static void
names_list(const struct name_val *t, const char *prefix, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; t->name && n < cap; t++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s%s", n ? ", " : "", prefix, t->name);
}

static const char *
type_of(const struct json_value *v)
{
	return json_type_name(v->type);
}

static int
want(const struct json_value *v, enum json_type t, const char *path, char *err)
{
	if (v->type != t)
		return fail(err, -EINVAL, "%s: expected %s, got %s", path, json_type_name(t),
			    type_of(v));
	return 0;
}

/* a string without NUL or control characters, 1..cap-1 bytes, copied to out */
static int
get_str(const struct json_value *v, const char *path, char *out, size_t cap, char *err)
{
	if (want(v, JSON_STRING, path, err) < 0)
		return -EINVAL;
	if (v->len == 0)
		return fail(err, -EINVAL, "%s: empty", path);
	if (v->len >= cap)
		return fail(err, -EINVAL, "%s: longer than %zu bytes", path, cap - 1);
	for (size_t i = 0; i < v->len; i++)
		if ((unsigned char)v->str[i] < 0x20 || v->str[i] == 0x7f)
			return fail(err, -EINVAL, "%s: holds a control character", path);
	memcpy(out, v->str, v->len);
	out[v->len] = '\0';
	return 0;
}

static int
get_bool(const struct json_value *v, const char *path, bool *out, char *err)
{
	if (want(v, JSON_BOOL, path, err) < 0)
		return -EINVAL;
	*out = v->boolean;
	return 0;
}

static int
get_i64(const struct json_value *v, const char *path, int64_t *out, char *err)
{
	int rc;

	if (want(v, JSON_NUMBER, path, err) < 0)
		return -EINVAL;
	rc = json_number_to_i64(v->str, v->len, out);
	if (rc == -EDOM)
		return fail(err, -EINVAL, "%s: %s is not an integer", path, v->str);
	if (rc < 0)
		return fail(err, -EINVAL, "%s: %s is out of range", path, v->str);
	return 0;
}

static int
get_enum(const struct json_value *v, const char *path, const struct name_val *t,
	 const char *what, uint32_t *out, char *err)
{
	char s[64], list[160];

	if (get_str(v, path, s, sizeof(s), err) < 0)
		return -EINVAL;
	for (const struct name_val *p = t; p->name; p++)
		if (strcmp(p->name, s) == 0) {
			*out = p->val;
			return 0;
		}
	names_list(t, "", list, sizeof(list));
	return fail(err, -EINVAL, "%s: '%s' is not %s one of %s", path, s, what, list);
}

static int
unknown(const struct json_value *mem, const char *path, char *err)
{
	return fail(err, -EINVAL, "%s%sunknown field \"%s\"", path, path[0] ? ": " : "",
		    mem->key);
}

/* "HV_HVM", "HV HVM" -> VmMode */
static int
parse_vmmode(const struct json_value *v, uint32_t *out, char *err)
{
	char s[32], list[200];

	if (get_str(v, "vmmode", s, sizeof(s), err) < 0)
		return -EINVAL;
	if (strncmp(s, "HV", 2) == 0 && (s[2] == '_' || s[2] == ' '))
		for (const struct name_val *p = vmmodes; p->name; p++)
			if (strcmp(p->name, s + 3) == 0) {
				*out = p->val;
				return 0;
			}
	names_list(vmmodes, "HV_", list, sizeof(list));
	return fail(err, -EINVAL, "vmmode: '%s' is not one of %s (or 'HV ' and the mode)", s,
		    list);
}

/* A path under the datastore: safe URL characters, relative, no "..", no "//". */
static bool
imagename_ok(const char *s)
{
	const char *seg = s;

	if (s[0] == '/')
		return false;
	for (const char *p = s;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - seg);

			if (n == 0 || (n == 1 && seg[0] == '.') ||
			    (n == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (*p == '\0')
				return true;
			seg = p + 1;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._-~+", *p)))
			return false;
	}
}

static bool
label_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._-", *s)))
			return false;
	return true;
}

static int
parse_image(const struct json_value *o, const char *path, struct appimp_image *im, char *err)
{
	char p[96], s[16];
	bool have_name = false, have_target = false, have_drv = false, have_size = false;
	int64_t n;

	if (want(o, JSON_OBJECT, path, err) < 0)
		return -EINVAL;
	for (const struct json_value *v = o->child; v; v = v->next) {
		snprintf(p, sizeof(p), "%s.%s", path, v->key);
		if (strcmp(v->key, "imagename") == 0) {
			if (get_str(v, p, im->imagename, sizeof(im->imagename), err) < 0)
				return -EINVAL;
			if (!imagename_ok(im->imagename))
				return fail(err, -EINVAL, "%s: '%s' is not a relative path of "
					    "letters, digits and ._-~+ (no '..', no '//')", p,
					    im->imagename);
			have_name = true;
		} else if (strcmp(v->key, "maxsize") == 0) {
			if (get_i64(v, p, &n, err) < 0)
				return -EINVAL;
			if (n < 0)
				return fail(err, -EINVAL, "%s: %lld is negative", p, (long long)n);
			if ((uint64_t)n > (UINT64_C(1) << 40))
				return fail(err, -EINVAL, "%s: %lld KiB is more than 1 PiB", p,
					    (long long)n);
			im->maxsize_kib = (uint64_t)n;
			have_size = true;
		} else if (strcmp(v->key, "maxsizeUnit") == 0 ||
			   strcmp(v->key, "maxsizeDisplayUnit") == 0) {
			size_t k;

			if (get_str(v, p, s, sizeof(s), err) < 0)
				return -EINVAL;
			for (k = 0; units[k] && strcmp(units[k], s) != 0; k++)
				;
			if (!units[k])
				return fail(err, -EINVAL, "%s: '%s' is not one of KB, MB, GB, TB",
					    p, s);
		} else if (strcmp(v->key, "readonly") == 0) {
			if (get_bool(v, p, &im->readonly, err) < 0)
				return -EINVAL;
		} else if (strcmp(v->key, "preserve") == 0) {
			if (get_bool(v, p, &im->preserve, err) < 0)
				return -EINVAL;
		} else if (strcmp(v->key, "target") == 0) {
			if (get_enum(v, p, targets, "a target:", &im->target, err) < 0)
				return -EINVAL;
			have_target = true;
		} else if (strcmp(v->key, "drvtype") == 0) {
			if (get_enum(v, p, drvtypes, "a drive type:", &im->drvtype, err) < 0)
				return -EINVAL;
			have_drv = true;
		} else {
			return unknown(v, path, err);
		}
	}
	if (!have_name)
		return fail(err, -EINVAL, "%s: imagename is missing", path);
	if (!have_target)
		im->target = 1;
	if (!have_drv)
		im->drvtype = 2;
	if (im->drvtype == 4 && (!have_size || im->maxsize_kib == 0))
		return fail(err, -EINVAL, "%s.maxsize: an HDD_EMPTY image needs a size above 0",
			    path);
	if (im->drvtype == 1 && im->target != 1)
		return fail(err, -EINVAL, "%s.target: a CDROM must have target Disk", path);
	return 0;
}

/* an IPv4 or IPv6 address with an optional /prefix */
static bool
ip_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	bool v6 = memchr(s, ':', n) != NULL;
	int dots = 0, colons = 0, digits = 0;
	long octet = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!v6) {
			if (c == '.') {
				if (digits == 0 || ++dots > 3)
					return false;
				digits = 0;
				octet = 0;
			} else if (c >= '0' && c <= '9') {
				if (digits > 0 && octet == 0)
					return false; /* leading zero */
				octet = octet * 10 + (c - '0');
				if (++digits > 3 || octet > 255)
					return false;
			} else {
				return false;
			}
		} else if (c == ':') {
			if (++colons > 7)
				return false;
		} else if (!strchr("0123456789abcdefABCDEF.", c)) {
			return false;
		}
	}
	if (!v6 && (dots != 3 || digits == 0))
		return false;
	if (v6 && colons < 2)
		return false;
	if (slash) {
		const char *q = slash + 1;
		long pfx = 0;

		if (!*q || strlen(q) > 3)
			return false;
		for (; *q; q++) {
			if (*q < '0' || *q > '9')
				return false;
			pfx = pfx * 10 + (*q - '0');
		}
		if (pfx > (v6 ? 128 : 32))
			return false;
	}
	return true;
}

/* a DNS name or domain: labels of letters, digits and '-', '.'-separated */
static bool
host_ok(const char *s)
{
	size_t lab = 0;

	for (; *s; s++) {
		if (*s == '.') {
			if (lab == 0)
				return false;
			lab = 0;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			   (*s >= '0' && *s <= '9') || *s == '-' || *s == '_') {
			if (++lab > 63)
				return false;
		} else {
			return false;
		}
	}
	return lab > 0;
}

static int
parse_match(const struct json_value *o, const char *path, struct appimp_match *mt, char *err)
{
	const struct json_value *t = NULL, *val = NULL;
	char p[128], ty[16];

	if (want(o, JSON_OBJECT, path, err) < 0)
		return -EINVAL;
	for (const struct json_value *v = o->child; v; v = v->next) {
		if (strcmp(v->key, "type") == 0)
			t = v;
		else if (strcmp(v->key, "value") == 0)
			val = v;
		else
			return unknown(v, path, err);
	}
	if (!t || !val)
		return fail(err, -EINVAL, "%s: %s is missing", path, !t ? "type" : "value");
	snprintf(p, sizeof(p), "%s.type", path);
	if (get_str(t, p, ty, sizeof(ty), err) < 0)
		return -EINVAL;
	if (strcmp(ty, "host") == 0)
		mt->type = APPIMP_MATCH_HOST;
	else if (strcmp(ty, "ip") == 0)
		mt->type = APPIMP_MATCH_IP;
	else
		return fail(err, -EINVAL, "%s: '%s' is not one of host, ip", p, ty);
	snprintf(p, sizeof(p), "%s.value", path);
	if (get_str(val, p, mt->value, sizeof(mt->value), err) < 0)
		return -EINVAL;
	if (mt->type == APPIMP_MATCH_HOST && !host_ok(mt->value))
		return fail(err, -EINVAL, "%s: '%s' is not a host name", p, mt->value);
	if (mt->type == APPIMP_MATCH_IP && !ip_ok(mt->value))
		return fail(err, -EINVAL, "%s: '%s' is not an IP address or prefix", p,
			    mt->value);
	return 0;
}

static int
parse_iface(const struct json_value *o, const char *path, struct app_manifest *m,
	    struct appimp_iface *ifc, char *err)
{
	const struct json_value *acls = NULL;
	bool have_name = false;
	char p[96], q[128];
	uint32_t i = 0;

	if (want(o, JSON_OBJECT, path, err) < 0)
		return -EINVAL;
	for (const struct json_value *v = o->child; v; v = v->next) {
		snprintf(p, sizeof(p), "%s.%s", path, v->key);
		if (strcmp(v->key, "name") == 0) {
			if (get_str(v, p, ifc->name, sizeof(ifc->name), err) < 0)
				return -EINVAL;
			if (!label_ok(ifc->name))
				return fail(err, -EINVAL, "%s: '%s' is not letters, digits and ._-",
					    p, ifc->name);
			have_name = true;
		} else if (strcmp(v->key, "directattach") == 0) {
			if (get_bool(v, p, &ifc->directattach, err) < 0)
				return -EINVAL;
		} else if (strcmp(v->key, "acls") == 0) {
			if (want(v, JSON_ARRAY, p, err) < 0)
				return -EINVAL;
			acls = v;
		} else {
			return unknown(v, path, err);
		}
	}
	if (!have_name)
		return fail(err, -EINVAL, "%s: name is missing", path);
	ifc->first_acl = m->n_acls;
	if (!acls)
		return 0;
	if (ifc->directattach && acls->count)
		return fail(err, -EINVAL, "%s.acls: a direct-attached interface (a passed-through "
			    "adapter) cannot filter traffic, so it takes no ACLs", path);
	for (const struct json_value *a = acls->child; a; a = a->next, i++) {
		struct appimp_acl *acl;
		const struct json_value *matches = NULL;
		uint32_t j = 0;

		snprintf(p, sizeof(p), "%s.acls[%u]", path, i);
		if (want(a, JSON_OBJECT, p, err) < 0)
			return -EINVAL;
		if (m->n_acls == APPIMP_MAX_ACLS)
			return fail(err, -E2BIG, "%s: more than %d ACLs in the manifest", p,
				    APPIMP_MAX_ACLS);
		for (const struct json_value *v = a->child; v; v = v->next) {
			if (strcmp(v->key, "matches") != 0)
				return unknown(v, p, err);
			matches = v;
		}
		snprintf(q, sizeof(q), "%s.matches", p);
		if (!matches)
			return fail(err, -EINVAL, "%s: missing", q);
		if (want(matches, JSON_ARRAY, q, err) < 0)
			return -EINVAL;
		if (matches->count == 0)
			return fail(err, -EINVAL, "%s: empty (an ACL needs at least one match)", q);
		acl = &m->acls[m->n_acls++];
		acl->first_match = m->n_matches;
		for (const struct json_value *mv = matches->child; mv; mv = mv->next, j++) {
			snprintf(q, sizeof(q), "%s.matches[%u]", p, j);
			if (m->n_matches == APPIMP_MAX_MATCHES)
				return fail(err, -E2BIG, "%s: more than %d ACL matches in the "
					    "manifest", q, APPIMP_MAX_MATCHES);
			if (parse_match(mv, q, &m->matches[m->n_matches], err) < 0)
				return -EINVAL;
			m->n_matches++;
			acl->n_matches++;
		}
		ifc->n_acls++;
	}
	return 0;
}

static int
parse_resources(const struct json_value *arr, struct app_manifest *m, char *err)
{
	bool seen[3] = { false, false, false };
	static const char *const rnames[] = { "cpus", "memory", "storage" };
	char p[64];
	uint32_t i = 0;

	if (want(arr, JSON_ARRAY, "resources", err) < 0)
		return -EINVAL;
	for (const struct json_value *o = arr->child; o; o = o->next, i++) {
		const struct json_value *name = NULL, *value = NULL;
		char n[16];
		int64_t x;
		int k;

		snprintf(p, sizeof(p), "resources[%u]", i);
		if (want(o, JSON_OBJECT, p, err) < 0)
			return -EINVAL;
		for (const struct json_value *v = o->child; v; v = v->next) {
			if (strcmp(v->key, "name") == 0)
				name = v;
			else if (strcmp(v->key, "value") == 0)
				value = v;
			else
				return unknown(v, p, err);
		}
		if (!name || !value)
			return fail(err, -EINVAL, "%s: %s is missing", p, !name ? "name" : "value");
		snprintf(p, sizeof(p), "resources[%u].name", i);
		if (get_str(name, p, n, sizeof(n), err) < 0)
			return fail(err, -EINVAL, "%s: not one of cpus, memory, storage", p);
		for (k = 0; k < 3 && strcmp(rnames[k], n) != 0; k++)
			;
		if (k == 3)
			return fail(err, -EINVAL, "%s: '%s' is not one of cpus, memory, storage", p,
				    n);
		if (seen[k])
			return fail(err, -EINVAL, "%s: '%s' is given twice", p, n);
		seen[k] = true;
		snprintf(p, sizeof(p), "resources[%u].value", i);
		if (get_i64(value, p, &x, err) < 0)
			return -EINVAL;
		if (k == 0 && (x < 1 || x > APPIMP_MAX_VCPUS))
			return fail(err, -EINVAL, "%s: %lld cpus is not within 1..%d", p,
				    (long long)x, APPIMP_MAX_VCPUS);
		if (k == 1 && (x < 1024 || x > UINT32_MAX))
			return fail(err, -EINVAL, "%s: memory %lld KiB is not within 1024..%u KiB",
				    p, (long long)x, UINT32_MAX);
		if (k == 2 && (x < 1 || (uint64_t)x > (UINT64_C(1) << 40)))
			return fail(err, -EINVAL, "%s: storage %lld KiB is not within 1 KiB..1 PiB",
				    p, (long long)x);
		if (k == 0)
			m->cpus = (uint32_t)x;
		else if (k == 1)
			m->memory_kib = (uint32_t)x;
		else
			m->storage_kib = (uint64_t)x;
	}
	if (!seen[0] || !seen[1])
		return fail(err, -EINVAL, "resources: '%s' is missing", !seen[0] ? "cpus" : "memory");
	return 0;
}

static int
parse_owner(const struct json_value *o, char *err)
{
	static const char *const keys[] = { "user", "group", "company", "website", "email", NULL };
	char p[64], s[256];

	if (want(o, JSON_OBJECT, "owner", err) < 0)
		return -EINVAL;
	for (const struct json_value *v = o->child; v; v = v->next) {
		size_t k;

		for (k = 0; keys[k] && strcmp(keys[k], v->key) != 0; k++)
			;
		if (!keys[k])
			return unknown(v, "owner", err);
		snprintf(p, sizeof(p), "owner.%s", v->key);
		if (v->type == JSON_STRING && v->len == 0)
			continue;
		if (get_str(v, p, s, sizeof(s), err) < 0)
			return -EINVAL;
	}
	return 0;
}

static int
parse_root(const struct json_value *root, struct app_manifest *m, char *err)
{
	const struct json_value *kind = NULL, *images = NULL, *ifaces = NULL, *res = NULL;
	bool have_version = false, have_name = false;
	char p[64], s[32];
	uint32_t i;

	if (root->type != JSON_OBJECT)
		return fail(err, -EINVAL, "expected an object, got %s", type_of(root));
	m->vmmode = 1;
	for (const struct json_value *v = root->child; v; v = v->next) {
		if (strcmp(v->key, "acKind") == 0) {
			kind = v;
		} else if (strcmp(v->key, "acVersion") == 0) {
			if (get_str(v, "acVersion", m->ac_version, sizeof(m->ac_version), err) < 0)
				return -EINVAL;
			have_version = true;
		} else if (strcmp(v->key, "name") == 0) {
			if (get_str(v, "name", m->name, sizeof(m->name), err) < 0)
				return -EINVAL;
			have_name = true;
		} else if (strcmp(v->key, "owner") == 0) {
			if (parse_owner(v, err) < 0)
				return -EINVAL;
		} else if (strcmp(v->key, "enablevnc") == 0) {
			if (get_bool(v, "enablevnc", &m->enablevnc, err) < 0)
				return -EINVAL;
		} else if (strcmp(v->key, "vmmode") == 0) {
			if (parse_vmmode(v, &m->vmmode, err) < 0)
				return -EINVAL;
		} else if (strcmp(v->key, "images") == 0) {
			images = v;
		} else if (strcmp(v->key, "interfaces") == 0) {
			ifaces = v;
		} else if (strcmp(v->key, "resources") == 0) {
			res = v;
		} else {
			return unknown(v, "", err);
		}
	}
	if (!kind)
		return fail(err, -EINVAL, "acKind is missing (expected \"VMManifest\")");
	if (get_str(kind, "acKind", s, sizeof(s), err) < 0)
		return -EINVAL;
	if (strcmp(s, "VMManifest") != 0)
		return fail(err, -EINVAL, "acKind: '%s' is not \"VMManifest\"", s);
	if (!have_version)
		return fail(err, -EINVAL, "acVersion is missing");
	{
		const char *q = m->ac_version;
		char *end;
		unsigned long major = strtoul(q, &end, 10);

		if (end == q || (*end && *end != '.') || strspn(q, "0123456789.") != strlen(q))
			return fail(err, -EINVAL, "acVersion: '%s' is not a version number",
				    m->ac_version);
		if (major != 1)
			return fail(err, -EINVAL, "acVersion: '%s' is not a version 1 manifest "
				    "(this reads 1.x)", m->ac_version);
	}
	if (!have_name)
		return fail(err, -EINVAL, "name is missing");
	if (!images)
		return fail(err, -EINVAL, "images is missing");
	if (want(images, JSON_ARRAY, "images", err) < 0)
		return -EINVAL;
	if (images->count == 0)
		return fail(err, -EINVAL, "images: empty (an app needs at least one image)");
	if (images->count > APPIMP_MAX_IMAGES)
		return fail(err, -E2BIG, "images: %zu images, at most %d", images->count,
			    APPIMP_MAX_IMAGES);
	i = 0;
	for (const struct json_value *v = images->child; v; v = v->next, i++) {
		snprintf(p, sizeof(p), "images[%u]", i);
		if (parse_image(v, p, &m->images[i], err) < 0)
			return -EINVAL;
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(m->images[j].imagename, m->images[i].imagename) == 0)
				return fail(err, -EINVAL, "%s.imagename: '%s' is already images[%u]",
					    p, m->images[i].imagename, j);
	}
	m->n_images = i;
	if (m->images[0].drvtype != 2 || m->images[0].target != 1) {
		bool disk = false;

		for (i = 0; i < m->n_images; i++)
			disk |= m->images[i].target == 1;
		if (!disk && m->vmmode == 1)
			return fail(err, -EINVAL, "images: an HVM guest needs an image with target "
				    "Disk to boot from");
	}
	if (ifaces) {
		if (want(ifaces, JSON_ARRAY, "interfaces", err) < 0)
			return -EINVAL;
		if (ifaces->count > APPIMP_MAX_IFACES)
			return fail(err, -E2BIG, "interfaces: %zu interfaces, at most %d",
				    ifaces->count, APPIMP_MAX_IFACES);
		i = 0;
		for (const struct json_value *v = ifaces->child; v; v = v->next, i++) {
			snprintf(p, sizeof(p), "interfaces[%u]", i);
			if (parse_iface(v, p, m, &m->ifaces[i], err) < 0)
				return -EINVAL;
			for (uint32_t j = 0; j < i; j++)
				if (strcmp(m->ifaces[j].name, m->ifaces[i].name) == 0)
					return fail(err, -EINVAL, "%s.name: '%s' is already "
						    "interfaces[%u]", p, m->ifaces[i].name, j);
		}
		m->n_ifaces = i;
	}
	if (!res)
		return fail(err, -EINVAL, "resources is missing (cpus and memory are needed)");
	if (parse_resources(res, m, err) < 0)
		return -EINVAL;
	if (m->storage_kib) {
		uint64_t sum = 0;

		for (i = 0; i < m->n_images; i++)
			sum += m->images[i].maxsize_kib;
		if (sum > m->storage_kib)
			return fail(err, -EINVAL, "resources: storage %llu KiB is less than the "
				    "images' maxsize total, %llu KiB",
				    (unsigned long long)m->storage_kib, (unsigned long long)sum);
	}
	return 0;
}

int
app_import_parse(const char *json, size_t len, struct app_manifest *m, char err[APPIMP_ERR])
{
	struct json_limits lim = { .max_bytes = APPIMP_MAX_JSON, .max_depth = 8,
				   .max_values = 4096 };
	struct json_doc *doc = NULL;
	char jerr[JSON_ERR_LEN];
	int rc;

	memset(m, 0, sizeof(*m));
	err[0] = '\0';
	rc = json_parse(json, len, &lim, &doc, jerr);
	if (rc < 0)
		return fail(err, rc == -ENOMEM ? -ENOMEM : rc == -E2BIG ? -E2BIG : -EINVAL, "%s",
			    jerr);
	rc = parse_root(json_doc_root(doc), m, err);
	json_doc_free(doc);
	if (rc < 0)
		memset(m, 0, sizeof(*m));
	return rc;
}

/* ---- probing ------------------------------------------------------------- */

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

int
app_import_probe(const uint8_t *head, size_t len, uint64_t file_size, struct appimp_file *f,
		 char err[APPIMP_ERR])
{
	memset(f, 0, sizeof(*f));
	err[0] = '\0';
	if (len >= 4 && memcmp(head, "QFI\xfb", 4) == 0) {
		uint32_t version;

		if (len < 32)
			return fail(err, -EINVAL, "qcow2 header cut short (%zu bytes)", len);
		version = (uint32_t)head[4] << 24 | (uint32_t)head[5] << 16 |
			  (uint32_t)head[6] << 8 | head[7];
		if (version != 2 && version != 3)
			return fail(err, -EINVAL, "qcow2 version %u is not 2 or 3", version);
		f->virtual_size = be64(head + 24);
		if (f->virtual_size == 0 || f->virtual_size > (UINT64_C(1) << 62))
			return fail(err, -EINVAL, "qcow2 virtual size %llu is out of range",
				    (unsigned long long)f->virtual_size);
		f->format = 3;
		return 0;
	}
	f->virtual_size = file_size;
	f->format = len >= 32774 && memcmp(head + 32769, "CD001", 5) == 0 ? 9 : 1;
	return 0;
}

/* ---- into the config ----------------------------------------------------- */

struct ds_url {
	uint32_t type;          /* DsHttp 1, DsHttps 2 */
	char fqdn[256];         /* host[:port] */
	char dpath[512];
};

static int
parse_ds_url(const char *url, struct ds_url *d, char *err)
{
	const char *p, *slash;
	size_t n;

	memset(d, 0, sizeof(*d));
	if (strncmp(url, "http://", 7) == 0) {
		d->type = 1;
		p = url + 7;
	} else if (strncmp(url, "https://", 8) == 0) {
		d->type = 2;
		p = url + 8;
	} else {
		return fail(err, -EINVAL, "datastore '%s': not an http:// or https:// URL", url);
	}
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	if (n == 0 || n >= sizeof(d->fqdn))
		return fail(err, -EINVAL, "datastore '%s': no host or a host too long", url);
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || strchr(".-:[]", p[i])))
			return fail(err, -EINVAL, "datastore '%s': '%c' in the host (user "
				    "names, queries and the like are not taken)", url, p[i]);
	memcpy(d->fqdn, p, n);
	if (slash) {
		const char *q = slash + 1;
		size_t m = strlen(q);

		while (m && q[m - 1] == '/')
			m--;
		if (m >= sizeof(d->dpath))
			return fail(err, -EINVAL, "datastore '%s': path too long", url);
		memcpy(d->dpath, q, m);
		if (m && !imagename_ok(d->dpath))
			return fail(err, -EINVAL, "datastore '%s': the path is not letters, digits "
				    "and ._-~+ separated by '/'", url);
	}
	return 0;
}

static char *
xstrdup(const char *s, int *rc)
{
	char *d = strdup(s);

	if (!d)
		*rc = -ENOMEM;
	return d;
}

/* Appends @item to the repeated field (*arr, *n): 0 or -ENOMEM. */
static int
append(void ***arr, size_t *n, void *item)
{
	void **a = realloc(*arr, (*n + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	a[*n] = item;
	*arr = a;
	(*n)++;
	return 0;
}

#define APPEND(arr, n, item) append((void ***)&(arr), &(n), (item))

typedef Org__Lfedge__Eve__Config__EdgeDevConfig EdgeDevConfig;
typedef Org__Lfedge__Eve__Config__AppInstanceConfig AppInstanceConfig;

static void
free_msg(void *m)
{
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
}

static int
build_app(const struct app_manifest *m, const struct app_import_input *in,
	  char vol_uuids[][37], AppInstanceConfig **out, uint32_t *unattached)
{
	AppInstanceConfig *app = calloc(1, sizeof(*app));
	int rc = 0;

	*out = NULL;
	if (!app)
		return -ENOMEM;
	org__lfedge__eve__config__app_instance_config__init(app);
	app->uuidandversion = calloc(1, sizeof(*app->uuidandversion));
	app->fixedresources = calloc(1, sizeof(*app->fixedresources));
	if (!app->uuidandversion || !app->fixedresources) {
		rc = -ENOMEM;
		goto out;
	}
	org__lfedge__eve__config__uuidand_version__init(app->uuidandversion);
	org__lfedge__eve__config__vm_config__init(app->fixedresources);
	app->uuidandversion->uuid = xstrdup(in->uuids[0], &rc);
	app->uuidandversion->version = xstrdup("1", &rc);
	app->displayname = xstrdup(m->name, &rc);
	if (rc < 0)
		goto out;
	app->fixedresources->memory = m->memory_kib;
	app->fixedresources->maxmem = m->memory_kib;
	app->fixedresources->vcpus = m->cpus;
	app->fixedresources->virtualizationmode = (Org__Lfedge__Eve__Config__VmMode)m->vmmode;
	app->fixedresources->enable_vnc = m->enablevnc;
	app->activate = true;
	for (uint32_t i = 0; i < m->n_images; i++) {
		Org__Lfedge__Eve__Config__VolumeRef *vr = calloc(1, sizeof(*vr));

		if (!vr || APPEND(app->volumereflist, app->n_volumereflist, vr) < 0) {
			free(vr);
			rc = -ENOMEM;
			goto out;
		}
		org__lfedge__eve__config__volume_ref__init(vr);
		if (!(vr->uuid = xstrdup(vol_uuids[i], &rc)))
			goto out;
	}
	for (uint32_t i = 0; i < m->n_ifaces; i++) {
		const struct appimp_iface *ifc = &m->ifaces[i];

		if (ifc->directattach) {
			Org__Lfedge__Eve__Config__Adapter *ad = calloc(1, sizeof(*ad));

			if (!ad || APPEND(app->adapters, app->n_adapters, ad) < 0) {
				free(ad);
				rc = -ENOMEM;
				goto out;
			}
			org__lfedge__eve__config__adapter__init(ad);
			ad->type = ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetEth;
			if (!(ad->name = xstrdup(ifc->name, &rc)))
				goto out;
			continue;
		}
		Org__Lfedge__Eve__Config__NetworkAdapter *na = calloc(1, sizeof(*na));
		const char *net = NULL;

		if (!na || APPEND(app->interfaces, app->n_interfaces, na) < 0) {
			free(na);
			rc = -ENOMEM;
			goto out;
		}
		org__lfedge__eve__config__network_adapter__init(na);
		if (!(na->name = xstrdup(ifc->name, &rc)))
			goto out;
		for (size_t k = 0; k < in->n_networks; k++)
			if (strcmp(in->networks[k].iface, ifc->name) == 0)
				net = in->networks[k].network_uuid;
		if (net) {
			if (!(na->networkid = xstrdup(net, &rc)))
				goto out;
		} else {
			(*unattached)++;
		}
		for (uint32_t a = 0; a < ifc->n_acls; a++) {
			const struct appimp_acl *acl = &m->acls[ifc->first_acl + a];
			Org__Lfedge__Eve__Config__ACE *ace = calloc(1, sizeof(*ace));

			if (!ace || APPEND(na->acls, na->n_acls, ace) < 0) {
				free(ace);
				rc = -ENOMEM;
				goto out;
			}
			org__lfedge__eve__config__ace__init(ace);
			ace->id = (int32_t)a + 1;
			for (uint32_t k = 0; k < acl->n_matches; k++) {
				const struct appimp_match *mt = &m->matches[acl->first_match + k];
				Org__Lfedge__Eve__Config__ACEMatch *am = calloc(1, sizeof(*am));

				if (!am || APPEND(ace->matches, ace->n_matches, am) < 0) {
					free(am);
					rc = -ENOMEM;
					goto out;
				}
				org__lfedge__eve__config__acematch__init(am);
				am->type = xstrdup(mt->type == APPIMP_MATCH_HOST ? "host" : "ip",
						   &rc);
				am->value = xstrdup(mt->value, &rc);
				if (rc < 0)
					goto out;
			}
		}
	}
out:
	if (rc < 0) {
		free_msg(app);
		return rc;
	}
	*out = app;
	return 0;
}

static const struct appimp_image_file *
find_file(const struct app_import_input *in, const char *name)
{
	for (size_t i = 0; i < in->n_files; i++)
		if (in->files[i].imagename && strcmp(in->files[i].imagename, name) == 0)
			return &in->files[i];
	return NULL;
}

static bool
hex64_ok(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

static bool
uuid_ok(const char *s)
{
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return s[36] == '\0';
}

/* every check that can fail on input, before anything is added */
static int
check_input(const struct app_manifest *m, const struct app_import_input *in,
	    const EdgeDevConfig *cfg, const struct ds_url *du, char *err)
{
	for (size_t i = 0; i < APPIMP_UUIDS; i++)
		if (!uuid_ok(in->uuids[i]))
			return fail(err, -EINVAL, "internal: UUID %zu '%.36s' is not a lower-case "
				    "UUID", i, in->uuids[i]);
	if (m->n_images == 0 || m->n_images > APPIMP_MAX_IMAGES || m->n_ifaces > APPIMP_MAX_IFACES)
		return fail(err, -EINVAL, "manifest: no image, or too many images or interfaces");
	if (in->ds_cert_pem && du->type != 2)
		return fail(err, -EINVAL, "datastore certificate given for an http:// datastore "
			    "(only https:// uses one)");
	for (size_t i = 0; i < cfg->n_apps; i++) {
		const AppInstanceConfig *a = cfg->apps[i];

		if (a->displayname && strcmp(a->displayname, m->name) == 0)
			return fail(err, -EINVAL, "name: an app named '%s' is already in the config "
				    "(%s)", m->name, a->uuidandversion && a->uuidandversion->uuid ?
				    a->uuidandversion->uuid : "no uuid");
	}
	for (uint32_t i = 0; i < m->n_images; i++) {
		const struct appimp_image *im = &m->images[i];
		const struct appimp_image_file *f = find_file(in, im->imagename);

		if (im->drvtype == 4) {
			if (f)
				return fail(err, -EINVAL, "images[%u]: '%s' is HDD_EMPTY (a blank "
					    "volume), but a file was given for it", i, im->imagename);
			continue;
		}
		if (!f)
			return fail(err, -EINVAL, "images[%u].imagename: no local file for '%s' "
				    "(give --image %s=FILE, so that its SHA-256 can be checked "
				    "on the device)", i, im->imagename, im->imagename);
		if (!hex64_ok(f->sha256))
			return fail(err, -EINVAL, "images[%u]: the SHA-256 of '%s' is not 64 "
				    "lower-case hex digits", i, im->imagename);
		if (f->size == 0)
			return fail(err, -EINVAL, "images[%u]: the file for '%s' is empty", i,
				    im->imagename);
		if (im->maxsize_kib && im->maxsize_kib * 1024 < f->probe.virtual_size)
			return fail(err, -EINVAL, "images[%u].maxsize: %llu KiB is less than the "
				    "image '%s' (%llu bytes)", i,
				    (unsigned long long)im->maxsize_kib, im->imagename,
				    (unsigned long long)f->probe.virtual_size);
		if (im->drvtype == 1 && f->probe.format == 3)
			return fail(err, -EINVAL, "images[%u].drvtype: a CDROM cannot be the qcow2 "
				    "image '%s'", i, im->imagename);
	}
	for (size_t k = 0; k < in->n_files; k++) {
		uint32_t i;

		for (i = 0; i < m->n_images; i++)
			if (in->files[k].imagename &&
			    strcmp(m->images[i].imagename, in->files[k].imagename) == 0)
				break;
		if (i == m->n_images)
			return fail(err, -EINVAL, "image file for '%s': the manifest has no image "
				    "of that name", in->files[k].imagename ? in->files[k].imagename :
				    "(null)");
	}
	for (size_t k = 0; k < in->n_networks; k++) {
		uint32_t i;
		size_t j;

		for (i = 0; i < m->n_ifaces; i++)
			if (strcmp(m->ifaces[i].name, in->networks[k].iface) == 0)
				break;
		if (i == m->n_ifaces)
			return fail(err, -EINVAL, "network for '%s': the manifest has no interface "
				    "of that name", in->networks[k].iface);
		if (m->ifaces[i].directattach)
			return fail(err, -EINVAL, "network for '%s': interfaces[%u] is direct-"
				    "attached (a passed-through adapter), not on a network",
				    in->networks[k].iface, i);
		for (j = 0; j < cfg->n_networkinstances; j++) {
			const Org__Lfedge__Eve__Config__NetworkInstanceConfig *ni =
				cfg->networkinstances[j];

			if (ni->uuidandversion && ni->uuidandversion->uuid &&
			    strcmp(ni->uuidandversion->uuid, in->networks[k].network_uuid) == 0)
				break;
		}
		if (j == cfg->n_networkinstances)
			return fail(err, -EINVAL, "network for '%s': the config has no network "
				    "instance %s", in->networks[k].iface,
				    in->networks[k].network_uuid);
	}
	return 0;
}

int
app_import_to_config(const struct app_manifest *m, const struct app_import_input *in,
		     EdgeDevConfig *cfg, struct app_import_result *res, char err[APPIMP_ERR])
{
	Org__Lfedge__Eve__Config__DatastoreConfig *ds = NULL;
	Org__Lfedge__Eve__Config__ContentTree *cts[APPIMP_MAX_IMAGES] = { 0 };
	Org__Lfedge__Eve__Config__Volume *vols[APPIMP_MAX_IMAGES] = { 0 };
	AppInstanceConfig *app = NULL;
	char vol_uuids[APPIMP_MAX_IMAGES][37];
	const char *ds_id = NULL;
	struct ds_url du;
	size_t next = 1;
	int rc;

	memset(res, 0, sizeof(*res));
	err[0] = '\0';
	if ((rc = parse_ds_url(in->ds_url ? in->ds_url : "", &du, err)) < 0)
		return rc;
	if ((rc = check_input(m, in, cfg, &du, err)) < 0)
		return rc;
	for (size_t i = 0; i < cfg->n_datastores && !in->ds_cert_pem; i++) {
		const Org__Lfedge__Eve__Config__DatastoreConfig *d = cfg->datastores[i];

		if ((uint32_t)d->dtype == du.type && d->fqdn && strcmp(d->fqdn, du.fqdn) == 0 &&
		    strcmp(d->dpath ? d->dpath : "", du.dpath) == 0 && d->n_dscertpem == 0 &&
		    d->id && d->id[0]) {
			ds_id = d->id;
			res->ds_reused = true;
			break;
		}
	}
	if (!ds_id) {
		ds = calloc(1, sizeof(*ds));
		if (!ds)
			return -ENOMEM;
		org__lfedge__eve__config__datastore_config__init(ds);
		ds->id = xstrdup(in->uuids[next++], &rc);
		ds->dtype = (Org__Lfedge__Eve__Config__DsType)du.type;
		ds->fqdn = xstrdup(du.fqdn, &rc);
		ds->dpath = xstrdup(du.dpath, &rc);
		if (rc < 0)
			goto out;
		if (in->ds_cert_pem) {
			ds->dscertpem = calloc(1, sizeof(*ds->dscertpem));
			if (!ds->dscertpem || !(ds->dscertpem[0].data = malloc(in->ds_cert_len + 1))) {
				rc = -ENOMEM;
				goto out;
			}
			ds->n_dscertpem = 1;
			memcpy(ds->dscertpem[0].data, in->ds_cert_pem, in->ds_cert_len);
			ds->dscertpem[0].len = in->ds_cert_len;
		}
		ds_id = ds->id;
	} else {
		next++;
	}
	snprintf(res->ds_id, sizeof(res->ds_id), "%s", ds_id);
	for (uint32_t i = 0; i < m->n_images; i++) {
		const struct appimp_image *im = &m->images[i];
		const struct appimp_image_file *f = find_file(in, im->imagename);
		const char *ct_uuid = in->uuids[next++];
		Org__Lfedge__Eve__Config__Volume *v;

		snprintf(vol_uuids[i], 37, "%s", in->uuids[next++]);
		v = vols[i] = calloc(1, sizeof(*v));
		if (!v) {
			rc = -ENOMEM;
			goto out;
		}
		org__lfedge__eve__config__volume__init(v);
		v->uuid = xstrdup(vol_uuids[i], &rc);
		v->displayname = xstrdup(im->imagename, &rc);
		v->readonly = im->readonly;
		v->target = (Org__Lfedge__Eve__Config__Target)im->target;
		v->origin = calloc(1, sizeof(*v->origin));
		if (rc < 0 || !v->origin) {
			rc = -ENOMEM;
			goto out;
		}
		org__lfedge__eve__config__volume_content_origin__init(v->origin);
		if (im->drvtype == 4) {
			v->origin->type = ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_BLANK;
			v->maxsizebytes = (int64_t)(im->maxsize_kib * 1024);
			continue;
		}
		Org__Lfedge__Eve__Config__ContentTree *ct = cts[i] = calloc(1, sizeof(*ct));

		if (!ct) {
			rc = -ENOMEM;
			goto out;
		}
		org__lfedge__eve__config__content_tree__init(ct);
		ct->uuid = xstrdup(ct_uuid, &rc);
		ct->dsid = xstrdup(ds_id, &rc);
		ct->url = xstrdup(im->imagename, &rc);
		ct->sha256 = xstrdup(f->sha256, &rc);
		ct->displayname = xstrdup(im->imagename, &rc);
		if (rc < 0)
			goto out;
		ct->iformat = im->drvtype == 1 ? ORG__LFEDGE__EVE__CONFIG__FORMAT__ISO
						: (Org__Lfedge__Eve__Config__Format)f->probe.format;
		ct->maxsizebytes = f->size;
		v->origin->type = ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_DOWNLOAD;
		if (!(v->origin->downloadcontenttreeid = xstrdup(ct_uuid, &rc)))
			goto out;
		v->maxsizebytes = (int64_t)(im->maxsize_kib ? im->maxsize_kib * 1024
							    : f->probe.virtual_size);
	}
	if ((rc = build_app(m, in, vol_uuids, &app, &res->n_unattached)) < 0)
		goto out;
	/* reserve room in every array first, so that the appends cannot fail halfway */
	{
		void *p;

		if (!(p = realloc(cfg->apps, (cfg->n_apps + 1) * sizeof(*cfg->apps))))
			goto nomem;
		cfg->apps = p;
		if (!(p = realloc(cfg->datastores, (cfg->n_datastores + 1) * sizeof(*cfg->datastores))))
			goto nomem;
		cfg->datastores = p;
		if (!(p = realloc(cfg->contentinfo, (cfg->n_contentinfo + m->n_images) *
				  sizeof(*cfg->contentinfo))))
			goto nomem;
		cfg->contentinfo = p;
		if (!(p = realloc(cfg->volumes, (cfg->n_volumes + m->n_images) * sizeof(*cfg->volumes))))
			goto nomem;
		cfg->volumes = p;
	}
	if (ds)
		cfg->datastores[cfg->n_datastores++] = ds;
	for (uint32_t i = 0; i < m->n_images; i++) {
		if (cts[i]) {
			cfg->contentinfo[cfg->n_contentinfo++] = cts[i];
			res->n_contents++;
		}
		cfg->volumes[cfg->n_volumes++] = vols[i];
		res->n_volumes++;
	}
	cfg->apps[cfg->n_apps++] = app;
	snprintf(res->app_uuid, sizeof(res->app_uuid), "%s", in->uuids[0]);
	return 0;
nomem:
	rc = -ENOMEM;
out:
	free_msg(app);
	free_msg(ds);
	for (uint32_t i = 0; i < APPIMP_MAX_IMAGES; i++) {
		free_msg(cts[i]);
		free_msg(vols[i]);
	}
	if (rc == -ENOMEM && !err[0])
		fail(err, rc, "out of memory");
	return rc;
}
