/* evloop: poll() loop with timerfd timers and signalfd signals.  See evloop.h. */
#include "evloop.h"

#include <errno.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int
evloop_init(struct evloop *l)
{
	memset(l, 0, sizeof(*l));
	l->sigfd = -1;
	sigemptyset(&l->sigmask);
	sigemptyset(&l->oldmask);
	for (int i = 0; i < EVLOOP_MAX_FDS; i++)
		l->slot[i].fd = -1;
	return 0;
}

void
evloop_fini(struct evloop *l)
{
	if (l->sigfd >= 0) {
		close(l->sigfd);
		l->sigfd = -1;
		sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
	}
	l->n = 0;
}

static int
slot_find(const struct evloop *l, int fd)
{
	for (int i = 0; i < l->n; i++)
		if (l->slot[i].fd == fd)
			return i;
	return -1;
}

static void
compact(struct evloop *l)
{
	int o = 0;

	for (int i = 0; i < l->n; i++) {
		if (l->slot[i].fd < 0)
			continue;
		l->slot[o] = l->slot[i];
		l->pfd[o] = l->pfd[i];
		o++;
	}
	for (int i = o; i < l->n; i++)
		l->slot[i].fd = -1;
	l->n = o;
	l->dirty = false;
}

int
evloop_add_fd(struct evloop *l, int fd, short events, evloop_fd_cb cb, void *arg)
{
	if (fd < 0 || !cb)
		return -EINVAL;
	if (slot_find(l, fd) >= 0)
		return -EEXIST;
	if (l->n == EVLOOP_MAX_FDS && l->dirty && !l->dispatching)
		compact(l);
	if (l->n == EVLOOP_MAX_FDS)
		return -ENOSPC;
	l->slot[l->n] = (struct evloop_slot){ fd, cb, arg };
	l->pfd[l->n] = (struct pollfd){ .fd = fd, .events = events };
	l->n++;
	return 0;
}

int
evloop_set_events(struct evloop *l, int fd, short events)
{
	int i = slot_find(l, fd);

	if (i < 0)
		return -ENOENT;
	l->pfd[i].events = events;
	return 0;
}

int
evloop_del_fd(struct evloop *l, int fd)
{
	int i = slot_find(l, fd);

	if (i < 0)
		return -ENOENT;
	/* Removed in place; compaction happens between poll rounds, so a
	 * callback may delete fds while the dispatch loop walks the array. */
	l->slot[i].fd = -1;
	l->pfd[i].fd = -1;
	l->dirty = true;
	return 0;
}

static void
timer_ready(struct evloop *l, int fd, short revents, void *arg)
{
	struct evloop_timer *t = arg;
	uint64_t expirations;

	(void)l;
	(void)revents;
	if (read(fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return; /* EAGAIN: disarmed or re-armed since poll returned */
	t->cb(t->loop, t->arg);
}

int
evloop_timer_add(struct evloop *l, struct evloop_timer *t, evloop_timer_cb cb, void *arg)
{
	int rc;

	t->loop = l;
	t->cb = cb;
	t->arg = arg;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0)
		return -errno;
	rc = evloop_add_fd(l, t->fd, POLLIN, timer_ready, t);
	if (rc < 0) {
		close(t->fd);
		t->fd = -1;
	}
	return rc;
}

int
evloop_timer_arm(struct evloop_timer *t, uint64_t first_ms, uint64_t interval_ms)
{
	struct itimerspec its = {
		.it_value = { first_ms / 1000, (first_ms % 1000) * 1000000 },
		.it_interval = { interval_ms / 1000, (interval_ms % 1000) * 1000000 },
	};
	if (t->fd < 0)
		return -EBADF;
	/* timerfd_settime() itself forgets the expiries counted before it
	 * (timerfd_create(2)).  No read may follow it: a short timer can
	 * expire between the two calls when this process is preempted
	 * (dom0 under TCG while a guest is built), and that read would eat
	 * the new expiry and leave a one-shot timer silently disarmed for
	 * ever: the evc role stopped polling its controller that way. */
	if (timerfd_settime(t->fd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

void
evloop_timer_del(struct evloop_timer *t)
{
	if (t->fd < 0)
		return;
	evloop_del_fd(t->loop, t->fd);
	close(t->fd);
	t->fd = -1;
}

static void
signal_ready(struct evloop *l, int fd, short revents, void *arg)
{
	struct signalfd_siginfo si;

	(void)revents;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		int s = (int)si.ssi_signo;
		if (s > 0 && s < 65 && l->sigcb[s])
			l->sigcb[s](l, s, l->sigarg[s]);
	}
}

int
evloop_signal_add(struct evloop *l, int signo, evloop_signal_cb cb, void *arg)
{
	sigset_t one;
	int rc, fd;

	if (signo <= 0 || signo >= 65 || !cb)
		return -EINVAL;
	sigemptyset(&one);
	sigaddset(&one, signo);
	if (l->sigfd < 0) {
		if (sigprocmask(SIG_BLOCK, &one, &l->oldmask) < 0)
			return -errno;
	} else if (sigprocmask(SIG_BLOCK, &one, NULL) < 0) {
		return -errno;
	}
	sigaddset(&l->sigmask, signo);
	l->sigcb[signo] = cb;
	l->sigarg[signo] = arg;
	fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (l->sigfd < 0) {
		l->sigfd = fd;
		rc = evloop_add_fd(l, fd, POLLIN, signal_ready, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void
evloop_stop(struct evloop *l, int code)
{
	l->stopping = true;
	l->exit_code = code;
}

int
evloop_run(struct evloop *l)
{
	l->stopping = false;
	while (!l->stopping) {
		int n, r;

		if (l->dirty)
			compact(l);
		n = l->n;
		r = poll(l->pfd, (nfds_t)n, -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		l->dispatching = true;
		for (int i = 0; i < n && !l->stopping; i++) {
			short re = l->pfd[i].revents;

			if (!re || l->slot[i].fd < 0)
				continue;
			l->pfd[i].revents = 0;
			l->slot[i].cb(l, l->slot[i].fd, re, l->slot[i].arg);
		}
		l->dispatching = false;
	}
	return l->exit_code;
}

uint64_t
evloop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
