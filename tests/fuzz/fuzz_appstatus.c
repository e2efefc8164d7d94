/*
 * libFuzzer target: what the evc role receives from the apps role.
 *   first byte 'M': the rest (zero-padded) is a struct apps_metrics;
 *     accepted ones go through report_metrics();
 *   otherwise: the bytes (zero-padded) are a struct apps_status; accepted
 *     ones become info messages (report_app_info, report_volume_info,
 *     report_content_info, report_gone_info) that must unpack again.
 * Seeds: tests/fuzz/corpus/appstatus/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appstatus.h"
#include "report.h"
#include "report_apps.h"

#include "info/info.pb-c.h"

#define DEV "d0d0d0d0-0000-4000-8000-000000000000"

static void
roundtrip(int rc, uint8_t *b, size_t n)
{
	Org__Lfedge__Eve__Info__ZInfoMsg *m;

	if (rc < 0)
		return;
	m = org__lfedge__eve__info__zinfo_msg__unpack(NULL, n, b);
	if (!m)
		abort();  /* we produced bytes we cannot read back */
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	uint8_t *b = NULL;
	size_t n = 0;

	if (size >= 1 && data[0] == 'M') {
		struct apps_metrics *m = calloc(1, sizeof(*m));

		if (!m)
			return 0;
		memcpy(m, data + 1, size - 1 < sizeof(*m) ? size - 1 : sizeof(*m));
		if (appmetrics_check(m, sizeof(*m), err, sizeof(err)) == 0) {
			struct report_metrics rm = { .uuid = DEV, .now = 1700000000,
						     .apps = m->m, .n_apps = m->n };

			if (report_metrics(&rm, &b, &n) == 0)
				free(b);
		}
		free(m);
		return 0;
	}
	struct apps_status *s = calloc(1, sizeof(*s));

	if (!s)
		return 0;
	memcpy(s, data, size < sizeof(*s) ? size : sizeof(*s));
	if (appstatus_check(s, sizeof(*s), err, sizeof(err)) == 0) {
		int rc;

		for (uint32_t i = 0; i < s->n_apps; i++) {
			rc = report_app_info(&s->apps[i], NULL, DEV, 1, &b, &n);
			roundtrip(rc, b, n);
		}
		for (uint32_t i = 0; i < s->n_volumes; i++) {
			rc = report_volume_info(&s->volumes[i], DEV, 1, &b, &n);
			roundtrip(rc, b, n);
		}
		for (uint32_t i = 0; i < s->n_contents; i++) {
			rc = report_content_info(&s->contents[i], DEV, 1, &b, &n);
			roundtrip(rc, b, n);
		}
		for (uint32_t i = 0; i < s->n_gone; i++) {
			rc = report_gone_info(s->gone[i].ztype, s->gone[i].uuid, DEV, 1, &b, &n);
			roundtrip(rc, b, n);
		}
	}
	free(s);
	return 0;
}
