/* appfsm: the app instance state machine, case by case. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "appfsm.h"
#include "appstatus.h"

static struct appfsm_out
step(struct appfsm_in in)
{
	struct appfsm_out out = { 999, 999 };

	appfsm_step(&in, &out);
	return out;
}

#define ACTIVE .in_plan = true, .activate = true

static void
test_happy_path(void **state)
{
	struct appfsm_out o;

	(void)state;
	/* volumes still downloading: their state, nothing to do */
	o = step((struct appfsm_in){ ACTIVE, .volumes_state = ZSW_DOWNLOAD_STARTED });
	assert_int_equal(o.state, ZSW_DOWNLOAD_STARTED);
	assert_int_equal(o.action, APPFSM_NONE);
	o = step((struct appfsm_in){ ACTIVE, .volumes_state = ZSW_CREATING_VOLUME });
	assert_int_equal(o.state, ZSW_CREATING_VOLUME);
	/* ready: boot */
	o = step((struct appfsm_in){ ACTIVE, .volumes_ready = true });
	assert_int_equal(o.state, ZSW_BOOTING);
	assert_int_equal(o.action, APPFSM_CREATE);
	/* running */
	o = step((struct appfsm_in){ ACTIVE, .volumes_ready = true, .dom = APPFSM_DOM_RUNNING });
	assert_int_equal(o.state, ZSW_RUNNING);
	assert_int_equal(o.action, APPFSM_NONE);
}

static void
test_start_delay(void **state)
{
	struct appfsm_out o;

	(void)state;
	o = step((struct appfsm_in){ ACTIVE, .volumes_ready = true, .delay_pending = true });
	assert_int_equal(o.state, ZSW_START_DELAYED);
	assert_int_equal(o.action, APPFSM_NONE);
	/* the delay does not stop an already running guest */
	o = step((struct appfsm_in){ ACTIVE, .volumes_ready = true, .delay_pending = true,
				     .dom = APPFSM_DOM_RUNNING });
	assert_int_equal(o.state, ZSW_RUNNING);
}

static void
test_errors(void **state)
{
	struct appfsm_out o;

	(void)state;
	o = step((struct appfsm_in){ ACTIVE, .config_error = true, .dom = APPFSM_DOM_RUNNING });
	assert_int_equal(o.state, ZSW_ERROR);
	assert_int_equal(o.action, APPFSM_DESTROY);
	o = step((struct appfsm_in){ ACTIVE, .config_error = true });
	assert_int_equal(o.state, ZSW_ERROR);
	assert_int_equal(o.action, APPFSM_NONE);
	o = step((struct appfsm_in){ ACTIVE, .volumes_error = true });
	assert_int_equal(o.state, ZSW_ERROR);
	o = step((struct appfsm_in){ ACTIVE, .volumes_ready = true, .io_error = true });
	assert_int_equal(o.state, ZSW_ERROR);
	assert_int_equal(o.action, APPFSM_NONE);
	o = step((struct appfsm_in){ ACTIVE, .volumes_ready = true, .create_error = true });
	assert_int_equal(o.state, ZSW_ERROR);
	assert_int_equal(o.action, APPFSM_NONE);
	o = step((struct appfsm_in){ ACTIVE, .volumes_ready = true, .dom = APPFSM_DOM_CRASHED });
	assert_int_equal(o.state, ZSW_ERROR);
}

static void
test_halt(void **state)
{
	struct appfsm_out o;

	(void)state;
	o = step((struct appfsm_in){ .in_plan = true, .volumes_ready = true,
				     .dom = APPFSM_DOM_RUNNING });
	assert_int_equal(o.state, ZSW_HALTING);
	assert_int_equal(o.action, APPFSM_SHUTDOWN);
	o = step((struct appfsm_in){ .in_plan = true, .volumes_ready = true, .halt_requested = true,
				     .dom = APPFSM_DOM_RUNNING });
	assert_int_equal(o.action, APPFSM_NONE);
	o = step((struct appfsm_in){ .in_plan = true, .volumes_ready = true, .halt_requested = true,
				     .halt_timed_out = true, .dom = APPFSM_DOM_RUNNING });
	assert_int_equal(o.action, APPFSM_DESTROY);
	o = step((struct appfsm_in){ .in_plan = true, .volumes_ready = true });
	assert_int_equal(o.state, ZSW_HALTED);
	assert_int_equal(o.action, APPFSM_NONE);
	/* not activated and volumes not there yet: the volume state */
	o = step((struct appfsm_in){ .in_plan = true, .volumes_state = ZSW_VERIFYING });
	assert_int_equal(o.state, ZSW_VERIFYING);
	/* the guest powered off by itself: HALTED, not rebooted */
	o = step((struct appfsm_in){ ACTIVE, .volumes_ready = true, .dom = APPFSM_DOM_STOPPED });
	assert_int_equal(o.state, ZSW_HALTED);
	assert_int_equal(o.action, APPFSM_DESTROY);
	o = step((struct appfsm_in){ ACTIVE, .volumes_ready = true, .stopped_by_guest = true });
	assert_int_equal(o.state, ZSW_HALTED);
	assert_int_equal(o.action, APPFSM_NONE);
}

static void
test_counters(void **state)
{
	struct appfsm_out o;

	(void)state;
	o = step((struct appfsm_in){ ACTIVE, .volumes_ready = true, .restart_changed = true,
				     .dom = APPFSM_DOM_RUNNING });
	assert_int_equal(o.state, ZSW_RESTARTING);
	assert_int_equal(o.action, APPFSM_DESTROY);
	o = step((struct appfsm_in){ ACTIVE, .volumes_ready = true, .restart_changed = true });
	assert_int_equal(o.action, APPFSM_RESTART);
	/* a restart also clears a guest's own poweroff (the caller clears the flag
	 * when it acts); purge wins over restart */
	o = step((struct appfsm_in){ ACTIVE, .volumes_ready = true, .restart_changed = true,
				     .purge_changed = true });
	assert_int_equal(o.state, ZSW_PURGING);
	assert_int_equal(o.action, APPFSM_PURGE);
	o = step((struct appfsm_in){ ACTIVE, .purge_changed = true, .dom = APPFSM_DOM_RUNNING });
	assert_int_equal(o.action, APPFSM_DESTROY);
}

static void
test_removed(void **state)
{
	struct appfsm_out o;

	(void)state;
	o = step((struct appfsm_in){ .activate = true, .dom = APPFSM_DOM_RUNNING });
	assert_int_equal(o.state, ZSW_HALTING);
	assert_int_equal(o.action, APPFSM_DESTROY);
	o = step((struct appfsm_in){ .activate = true });
	assert_int_equal(o.action, APPFSM_FORGET);
	assert_string_equal(appfsm_action_name(APPFSM_FORGET), "forget");
	assert_string_equal(appfsm_action_name(77), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_happy_path), cmocka_unit_test(test_start_delay),
		cmocka_unit_test(test_errors),     cmocka_unit_test(test_halt),
		cmocka_unit_test(test_counters),   cmocka_unit_test(test_removed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
