/*
 * appfsm: the state machine of one app instance, as EVE's zedmanager runs
 * it, in one pure function.  The apps role gathers what it knows (the plan
 * entry, its volumes, the counters it already acted on, what the
 * hypervisor says about the domain) into a struct appfsm_in; appfsm_step
 * says which ZSwState to report and what to do next.  The role performs the
 * action and calls it again on the next event or tick: level-triggered, so
 * a restarted apps role (or a lost event) converges to the same answer.
 *
 *   not in the plan              -> destroy the domain; gone
 *   a config error               -> ERROR (domain destroyed)
 *   purge counter changed        -> destroy, then PURGE (volumes rebuilt), PURGING
 *   restart counter changed      -> destroy, then RESTART (acted), RESTARTING
 *   activate false               -> shutdown (HALTING, destroy after the grace
 *                                   period), then HALTED
 *   activate true                -> volumes not ready: their state (DOWNLOAD_STARTED,
 *                                   VERIFYING, CREATING_VOLUME, ...) or ERROR;
 *                                   I/O adapters refused: ERROR; start delay
 *                                   running: START_DELAYED; then CREATE -> BOOTING;
 *                                   domain running: RUNNING; stopped by the
 *                                   guest itself: HALTED (not restarted until a
 *                                   restart or activate toggle); crashed: ERROR
 *
 * Ownership: everything is the caller's; nothing is kept between calls.
 */
#ifndef EV_APPFSM_H
#define EV_APPFSM_H

#include <stdbool.h>
#include <stdint.h>

enum appfsm_dom { APPFSM_DOM_ABSENT, APPFSM_DOM_RUNNING, APPFSM_DOM_STOPPED, APPFSM_DOM_CRASHED };

enum appfsm_action {
	APPFSM_NONE,
	APPFSM_CREATE,      /* start the domain */
	APPFSM_SHUTDOWN,    /* ask the guest to stop (then APPFSM_DESTROY after grace) */
	APPFSM_DESTROY,     /* stop it now, release its devices */
	APPFSM_PURGE,       /* domain is gone: rebuild its volumes, then mark purge acted */
	APPFSM_RESTART,     /* domain is gone: mark restart acted (the next step creates) */
	APPFSM_FORGET,      /* not in the plan and nothing runs: drop the app's state */
};

struct appfsm_in {
	bool in_plan;
	bool config_error;       /* the plan entry carries an error */
	bool activate;
	bool purge_changed;      /* plan counter != the one acted on */
	bool restart_changed;
	bool volumes_ready;      /* every volume created */
	uint32_t volumes_state;  /* the least advanced volume's ZSwState when not ready */
	bool volumes_error;
	bool io_error;           /* adapters could not be assigned */
	bool delay_pending;      /* start_delay_in_seconds not yet elapsed */
	bool create_error;       /* the last create failed (cleared by a config change) */
	bool stopped_by_guest;   /* the guest powered itself off while activated */
	bool halt_timed_out;     /* a shutdown asked earlier went past its grace period */
	bool halt_requested;     /* a shutdown was asked and is pending */
	uint32_t dom;            /* enum appfsm_dom */
};

struct appfsm_out {
	uint32_t state;          /* ZSwState to report */
	uint32_t action;         /* enum appfsm_action */
};

void appfsm_step(const struct appfsm_in *in, struct appfsm_out *out);

/* appfsm_action as a word, for the log. */
const char *appfsm_action_name(uint32_t action);

#endif
