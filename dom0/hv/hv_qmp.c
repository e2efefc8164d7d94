/* hv_qmp: QMP message classification.  See hv_qmp.h. */
#include "hv_qmp.h"
#include "hv.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* copies a JSON string value, refusing embedded NULs and control bytes */
static int
copy_str(const struct json_value *v, char *dst, size_t cap)
{
	size_t n;

	if (!v || v->type != JSON_STRING || memchr(v->str, 0, v->len))
		return -EINVAL;
	n = v->len < cap - 1 ? v->len : cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = (unsigned char)v->str[i] < 0x20 ? '?' : v->str[i];
	dst[n] = 0;
	return 0;
}

int
hv_qmp_parse(const char *msg, size_t len, struct hv_qmp_msg *m, char *err)
{
	struct json_limits lim = { .max_bytes = HV_QMP_MAX, .max_depth = 16, .max_values = 4096 };
	char jerr[JSON_ERR_LEN];
	struct json_doc *doc = NULL;
	const struct json_value *root, *v;
	int rc = 0;

	memset(m, 0, sizeof *m);
	if (len > HV_QMP_MAX) {
		snprintf(err, HV_ERR, "QMP message: %zu bytes is over the %d byte bound", len,
			 HV_QMP_MAX);
		return -E2BIG;
	}
	rc = json_parse(msg, len, &lim, &doc, jerr);
	if (rc) {
		snprintf(err, HV_ERR, "QMP message: %s", jerr);
		goto out;
	}
	root = json_doc_root(doc);
	if (root->type != JSON_OBJECT) {
		snprintf(err, HV_ERR, "QMP message: %s, not an object", json_type_name(root->type));
		rc = -EINVAL;
		goto out;
	}
	if ((v = json_object_get(root, "return"))) {
		const struct json_value *st, *run;

		m->kind = HV_QMP_RETURN;
		if (v->type == JSON_OBJECT && (st = json_object_get(v, "status"))) {
			run = json_object_get(v, "running");
			if (copy_str(st, m->status, sizeof m->status) || !run ||
			    run->type != JSON_BOOL) {
				snprintf(err, HV_ERR,
					 "QMP message: status reply without a string status and a boolean running");
				rc = -EINVAL;
				goto out;
			}
			m->has_status = true;
			m->running = run->boolean;
		}
	} else if ((v = json_object_get(root, "error"))) {
		m->kind = HV_QMP_ERROR;
		if (v->type != JSON_OBJECT ||
		    copy_str(json_object_get(v, "class"), m->error_class, sizeof m->error_class) ||
		    copy_str(json_object_get(v, "desc"), m->error_desc, sizeof m->error_desc)) {
			snprintf(err, HV_ERR, "QMP message: error without a string class and desc");
			rc = -EINVAL;
			goto out;
		}
	} else if ((v = json_object_get(root, "event"))) {
		m->kind = HV_QMP_EVENT;
		if (copy_str(v, m->event, sizeof m->event)) {
			snprintf(err, HV_ERR, "QMP message: event name is not a string");
			rc = -EINVAL;
			goto out;
		}
	} else if ((v = json_object_get(root, "QMP")) && v->type == JSON_OBJECT) {
		m->kind = HV_QMP_GREETING;
	} else {
		snprintf(err, HV_ERR, "QMP message: none of return, error, event or QMP");
		rc = -EINVAL;
	}
out:
	json_doc_free(doc);
	return rc;
}
