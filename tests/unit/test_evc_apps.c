/* evc_apps: the evc role's bookkeeping of object infos — what is pending,
 * what the controller acknowledged, deleted objects, hostile status bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evc_apps.h"
#include "info/info.pb-c.h"

#define DEV "6dc9b2c2-a860-4201-9f68-c6530ee0a323"

static struct apps_status *
status_new(void)
{
	struct apps_status *s = calloc(1, sizeof(*s));

	s->magic = APPSTATUS_MAGIC;
	s->version = APPSTATUS_VERSION;
	s->size = sizeof(*s);
	s->n_contents = s->n_volumes = s->n_apps = 1;
	snprintf(s->contents[0].uuid, PLAN_UUID, "33333333-3333-4333-8333-333333333333");
	s->contents[0].state = ZSW_DOWNLOAD_STARTED;
	snprintf(s->volumes[0].uuid, PLAN_UUID, "22222222-2222-4222-8222-222222222222");
	s->volumes[0].state = ZSW_INITIAL;
	snprintf(s->apps[0].uuid, PLAN_UUID, "11111111-1111-4111-8111-111111111111");
	snprintf(s->apps[0].name, PLAN_NAME, "guest");
	s->apps[0].state = ZSW_DOWNLOAD_STARTED;
	return s;
}

static int
take(struct evc_apps *ea, const struct apps_status *s)
{
	struct ipc_msg m = { .type = IPC_APPS_STATUS, .len = 8 };
	int fd, rc;

	assert_int_equal(ipc_blob_make("t", s, sizeof(*s), &fd), 0);
	m.fd = fd;
	rc = evc_apps_take_status(ea, &m);
	close(fd);
	return rc;
}

/* the next pending object: its ztype, and the decoded ZInfoMsg's type */
static uint32_t
next(struct evc_apps *ea, struct evc_apps_token *tok)
{
	uint8_t *body = NULL;
	size_t len = 0;
	Org__Lfedge__Eve__Info__ZInfoMsg *z;
	int rc = evc_apps_next_info(ea, DEV, &body, &len, tok);

	if (rc == 0)
		return 0;
	assert_int_equal(rc, 1);
	z = org__lfedge__eve__info__zinfo_msg__unpack(NULL, len, body);
	assert_non_null(z);
	assert_int_equal((uint32_t)z->ztype, tok->ztype);
	assert_string_equal(z->devid, DEV);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(z, NULL);
	free(body);
	return tok->ztype;
}

static void
test_pending_and_acked(void **state)
{
	struct evc_apps ea;
	struct evc_apps_token tok;
	struct apps_status *s = status_new();

	(void)state;
	assert_int_equal(evc_apps_init(&ea), 0);
	assert_false(evc_apps_pending(&ea));
	assert_int_equal(take(&ea, s), 0);
	assert_true(evc_apps_pending(&ea));
	/* content, volume, app, each until acknowledged */
	assert_int_equal(next(&ea, &tok), 8);
	assert_int_equal(next(&ea, &tok), 8); /* not acked: the same again */
	evc_apps_acked(&ea, &tok);
	assert_int_equal(next(&ea, &tok), 7);
	evc_apps_acked(&ea, &tok);
	assert_int_equal(next(&ea, &tok), 3);
	assert_string_equal(tok.uuid, "11111111-1111-4111-8111-111111111111");
	evc_apps_acked(&ea, &tok);
	assert_false(evc_apps_pending(&ea));
	/* the same status again: nothing to send */
	assert_int_equal(take(&ea, s), 0);
	assert_false(evc_apps_pending(&ea));
	/* only what changed is sent */
	s->apps[0].state = ZSW_RUNNING;
	assert_int_equal(take(&ea, s), 0);
	assert_int_equal(next(&ea, &tok), 3);
	evc_apps_acked(&ea, &tok);
	assert_false(evc_apps_pending(&ea));
	/* a removed app: its deletion, once */
	s->n_apps = 0;
	s->n_gone = 1;
	s->gone[0].ztype = 3;
	snprintf(s->gone[0].uuid, PLAN_UUID, "11111111-1111-4111-8111-111111111111");
	assert_int_equal(take(&ea, s), 0);
	assert_int_equal(next(&ea, &tok), 3);
	assert_int_equal(tok.gone, 1);
	evc_apps_acked(&ea, &tok);
	s->n_gone = 0;
	assert_int_equal(take(&ea, s), 0);
	assert_false(evc_apps_pending(&ea));
	free(s);
	evc_apps_fini(&ea);
}

static void
test_hostile(void **state)
{
	struct evc_apps ea;
	struct apps_status *s = status_new();
	struct apps_metrics mt;
	struct ipc_msg m = { .type = IPC_APPS_STATUS, .len = 8 };
	char path[] = "/tmp/ev-evc-apps-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(evc_apps_init(&ea), 0);
	/* a plain file, not a sealed memfd */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, s, sizeof(*s)), (ssize_t)sizeof(*s));
	m.fd = fd;
	assert_int_equal(evc_apps_take_status(&ea, &m), -EPERM);
	close(fd);
	/* a state out of range */
	s->apps[0].state = 99;
	assert_int_equal(take(&ea, s), -EBADMSG);
	assert_false(evc_apps_pending(&ea));
	/* metrics: a count that does not match the length */
	memset(&mt, 0, sizeof(mt));
	mt.n = 3;
	m = (struct ipc_msg){ .type = IPC_APPS_METRICS, .data = (const uint8_t *)&mt,
			      .len = offsetof(struct apps_metrics, m) + sizeof(mt.m[0]), .fd = -1 };
	assert_int_equal(evc_apps_take_metrics(&ea, &m), -EBADMSG);
	mt.n = 1;
	snprintf(mt.m[0].uuid, PLAN_UUID, "11111111-1111-4111-8111-111111111111");
	assert_int_equal(evc_apps_take_metrics(&ea, &m), 0);
	assert_int_equal(ea.metrics.n, 1);
	free(s);
	evc_apps_fini(&ea);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pending_and_acked),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
