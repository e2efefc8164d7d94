/* appfsm: one app instance's state machine, pure.  See appfsm.h. */
#include "appfsm.h"

#include "appstatus.h"

static bool
dom_present(const struct appfsm_in *in)
{
	return in->dom == APPFSM_DOM_RUNNING || in->dom == APPFSM_DOM_CRASHED ||
	       in->dom == APPFSM_DOM_STOPPED;
}

static void
set(struct appfsm_out *out, uint32_t state, uint32_t action)
{
	out->state = state;
	out->action = action;
}

void
appfsm_step(const struct appfsm_in *in, struct appfsm_out *out)
{
	bool present = dom_present(in);

	if (!in->in_plan) {
		set(out, ZSW_HALTING, present ? APPFSM_DESTROY : APPFSM_FORGET);
		return;
	}
	if (in->config_error) {
		set(out, ZSW_ERROR, present ? APPFSM_DESTROY : APPFSM_NONE);
		return;
	}
	if (in->purge_changed) {
		set(out, ZSW_PURGING, present ? APPFSM_DESTROY : APPFSM_PURGE);
		return;
	}
	if (in->restart_changed) {
		set(out, ZSW_RESTARTING, present ? APPFSM_DESTROY : APPFSM_RESTART);
		return;
	}
	if (!in->activate) {
		if (in->dom == APPFSM_DOM_RUNNING)
			set(out, ZSW_HALTING,
			    in->halt_timed_out ? APPFSM_DESTROY
					       : in->halt_requested ? APPFSM_NONE : APPFSM_SHUTDOWN);
		else if (present)
			set(out, ZSW_HALTING, APPFSM_DESTROY); /* stopped or crashed: clean up */
		else if (in->volumes_error)
			set(out, ZSW_ERROR, APPFSM_NONE);
		else
			set(out, in->volumes_ready ? ZSW_HALTED : in->volumes_state, APPFSM_NONE);
		return;
	}
	switch (in->dom) {
	case APPFSM_DOM_RUNNING:
		set(out, ZSW_RUNNING, APPFSM_NONE);
		return;
	case APPFSM_DOM_CRASHED:
		set(out, ZSW_ERROR, APPFSM_NONE); /* kept for a look; destroyed on restart */
		return;
	case APPFSM_DOM_STOPPED:
		set(out, ZSW_HALTED, APPFSM_DESTROY);
		return;
	default:
		break;
	}
	if (in->stopped_by_guest)
		set(out, ZSW_HALTED, APPFSM_NONE);
	else if (in->volumes_error || in->io_error || in->create_error)
		set(out, ZSW_ERROR, APPFSM_NONE);
	else if (!in->volumes_ready)
		set(out, in->volumes_state, APPFSM_NONE);
	else if (in->delay_pending)
		set(out, ZSW_START_DELAYED, APPFSM_NONE);
	else
		set(out, ZSW_BOOTING, APPFSM_CREATE);
}

const char *
appfsm_action_name(uint32_t action)
{
	static const char *const names[] = { "none", "create", "shutdown", "destroy",
					     "purge", "restart", "forget" };

	return action < sizeof(names) / sizeof(names[0]) ? names[action] : "?";
}
