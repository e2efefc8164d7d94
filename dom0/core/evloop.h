/*
 * evloop: a plain poll() event loop where timers (timerfd) and signals
 * (signalfd) are file descriptors like any other.
 *
 * Ownership: struct evloop and every struct evloop_timer are caller-owned
 * memory; the loop never allocates.  The loop owns the timerfds it creates
 * (closed by evloop_timer_del / evloop_fini) and its signalfd; fds added with
 * evloop_add_fd stay the caller's (the loop never closes them).
 * Callbacks may add or remove any fd or timer, including their own.
 *
 * Signals: evloop_signal_add blocks the signal for the process and receives
 * it through the signalfd; evloop_fini restores the previous mask.  A child
 * about to exec must restore the mask too (evloop_fini, or sigprocmask).
 */
#ifndef EV_EVLOOP_H
#define EV_EVLOOP_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define EVLOOP_MAX_FDS 64

struct evloop;
typedef void (*evloop_fd_cb)(struct evloop *l, int fd, short revents, void *arg);
typedef void (*evloop_timer_cb)(struct evloop *l, void *arg);
typedef void (*evloop_signal_cb)(struct evloop *l, int signo, void *arg);

struct evloop_timer {
	struct evloop *loop;
	int fd;                 /* timerfd, -1 when not added */
	evloop_timer_cb cb;
	void *arg;
};

struct evloop_slot {
	int fd;                 /* -1: free or removed */
	evloop_fd_cb cb;
	void *arg;
};

struct evloop {
	struct pollfd pfd[EVLOOP_MAX_FDS];
	struct evloop_slot slot[EVLOOP_MAX_FDS];
	int n;                  /* slots in use, including removed ones until compaction */
	bool dirty;             /* some slot was removed */
	int sigfd;              /* -1 until the first signal is added */
	sigset_t sigmask, oldmask;
	evloop_signal_cb sigcb[65];
	void *sigarg[65];
	bool dispatching;       /* inside the callback walk: no compaction */
	bool stopping;
	int exit_code;
};

int evloop_init(struct evloop *l);
void evloop_fini(struct evloop *l);

/* events: POLLIN / POLLOUT.  -EEXIST if fd is already in, -ENOSPC when full. */
int evloop_add_fd(struct evloop *l, int fd, short events, evloop_fd_cb cb, void *arg);
int evloop_set_events(struct evloop *l, int fd, short events);
int evloop_del_fd(struct evloop *l, int fd);

/* A timer starts disarmed. */
int evloop_timer_add(struct evloop *l, struct evloop_timer *t, evloop_timer_cb cb, void *arg);
/* Fires after first_ms, then every interval_ms (0: once).  first_ms 0 disarms. */
int evloop_timer_arm(struct evloop_timer *t, uint64_t first_ms, uint64_t interval_ms);
void evloop_timer_del(struct evloop_timer *t);

int evloop_signal_add(struct evloop *l, int signo, evloop_signal_cb cb, void *arg);

/* Runs until evloop_stop; returns its code.  -errno if poll fails. */
int evloop_run(struct evloop *l);
void evloop_stop(struct evloop *l, int code);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t evloop_now_ms(void);

#endif
