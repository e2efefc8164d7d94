/* Unit tests: dom0/core/evloop — fds, timerfd timers, signalfd signals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"

struct counts {
	int reads, timer, sig, last_sig;
	int pipe_r, other_fd;
	struct evloop_timer *t;
	uint64_t fired_at[8];
};

static void
on_read(struct evloop *l, int fd, short revents, void *arg)
{
	struct counts *c = arg;
	char b[16];

	assert_true(revents & POLLIN);
	assert_true(read(fd, b, sizeof(b)) > 0);
	if (++c->reads == 2)
		evloop_stop(l, 7);
}

static void
read_one_and_stop(struct evloop *l, int fd, short revents, void *arg)
{
	char *got = arg;

	assert_true(revents & POLLIN);
	assert_int_equal(read(fd, got, 1), 1);
	evloop_stop(l, 7);
}

static void
test_fd_readiness_and_stop_code(void **state)
{
	struct evloop l;
	char got = 0;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	evloop_init(&l);
	assert_int_equal(evloop_add_fd(&l, p[0], POLLIN, read_one_and_stop, &got), 0);
	assert_int_equal(evloop_add_fd(&l, p[0], POLLIN, read_one_and_stop, &got), -EEXIST);
	assert_int_equal(evloop_set_events(&l, p[1], POLLOUT), -ENOENT);
	assert_int_equal(write(p[1], "a", 1), 1);
	assert_int_equal(evloop_run(&l), 7);
	assert_int_equal(got, 'a');
	evloop_fini(&l);
	close(p[0]);
	close(p[1]);
}

static void
writer_timer(struct evloop *l, void *arg)
{
	struct counts *c = arg;

	(void)l;
	c->fired_at[c->timer < 8 ? c->timer : 7] = evloop_now_ms();
	c->timer++;
	if (c->pipe_r >= 0 && write(c->other_fd, "x", 1) != 1)
		fail();
}

static void
test_two_reads_then_stop(void **state)
{
	struct evloop l;
	struct evloop_timer t;
	struct counts c = { 0 };
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	c.pipe_r = p[0];
	c.other_fd = p[1];
	evloop_init(&l);
	assert_int_equal(evloop_add_fd(&l, p[0], POLLIN, on_read, &c), 0);
	assert_int_equal(evloop_timer_add(&l, &t, writer_timer, &c), 0);
	assert_int_equal(evloop_timer_arm(&t, 5, 5), 0);
	assert_int_equal(evloop_run(&l), 7);
	assert_int_equal(c.reads, 2);
	assert_true(c.timer >= 2);
	evloop_timer_del(&t);
	assert_int_equal(t.fd, -1);
	evloop_fini(&l);
	close(p[0]);
	close(p[1]);
}

static void
stop_after_three(struct evloop *l, void *arg)
{
	struct counts *c = arg;

	c->fired_at[c->timer] = evloop_now_ms();
	if (++c->timer == 3)
		evloop_stop(l, 0);
}

static void
test_periodic_timer_spacing(void **state)
{
	struct evloop l;
	struct evloop_timer t;
	struct counts c = { 0 };
	uint64_t start;

	(void)state;
	evloop_init(&l);
	assert_int_equal(evloop_timer_add(&l, &t, stop_after_three, &c), 0);
	start = evloop_now_ms();
	assert_int_equal(evloop_timer_arm(&t, 20, 20), 0);
	assert_int_equal(evloop_run(&l), 0);
	assert_int_equal(c.timer, 3);
	/* a timer never fires early (lateness is the machine's business) */
	assert_true(c.fired_at[0] >= start + 20);
	assert_true(c.fired_at[2] >= start + 60);
	evloop_timer_del(&t);
	evloop_fini(&l);
}

static void
never(struct evloop *l, void *arg)
{
	(void)l;
	(void)arg;
	fail_msg("a disarmed timer fired");
}

static void
stop_now(struct evloop *l, void *arg)
{
	(void)arg;
	evloop_stop(l, 3);
}

static void
test_disarm_and_oneshot(void **state)
{
	struct evloop l;
	struct evloop_timer a, b;

	(void)state;
	evloop_init(&l);
	assert_int_equal(evloop_timer_add(&l, &a, never, NULL), 0);
	assert_int_equal(evloop_timer_add(&l, &b, stop_now, NULL), 0);
	assert_int_equal(evloop_timer_arm(&a, 10, 0), 0);
	assert_int_equal(evloop_timer_arm(&a, 0, 0), 0); /* disarm */
	assert_int_equal(evloop_timer_arm(&b, 40, 0), 0);
	assert_int_equal(evloop_run(&l), 3);
	evloop_timer_del(&a);
	evloop_timer_del(&b);
	evloop_fini(&l);
}

/* Re-arming forgets an expiry counted before it (timerfd_settime does), and
 * an expiry after it is never eaten by the arming itself: a one-shot timer
 * re-armed while its old expiry is pending fires once, at its new time. */
static void
test_rearm_forgets_old_expiry_keeps_new(void **state)
{
	struct evloop l;
	struct evloop_timer a, b;
	uint64_t n;
	struct timespec ms20 = { 0, 20 * 1000000 };

	(void)state;
	evloop_init(&l);
	assert_int_equal(evloop_timer_add(&l, &a, never, NULL), 0);
	assert_int_equal(evloop_timer_add(&l, &b, stop_now, NULL), 0);
	assert_int_equal(evloop_timer_arm(&a, 1, 0), 0);
	nanosleep(&ms20, NULL);                 /* a's expiry is pending now */
	assert_int_equal(evloop_timer_arm(&a, 0, 0), 0);
	assert_int_equal(read(a.fd, &n, sizeof(n)), -1); /* forgotten by the disarm */
	assert_int_equal(evloop_timer_arm(&b, 1, 0), 0);
	nanosleep(&ms20, NULL);                 /* b expired after its arming */
	assert_int_equal(evloop_run(&l), 3);    /* ... and that expiry is delivered */
	evloop_timer_del(&a);
	evloop_timer_del(&b);
	evloop_fini(&l);
}

static void
on_signal(struct evloop *l, int signo, void *arg)
{
	struct counts *c = arg;

	c->sig++;
	c->last_sig = signo;
	if (c->sig == 2)
		evloop_stop(l, 0);
}

static void
test_signals_arrive_as_events(void **state)
{
	struct evloop l;
	struct counts c = { 0 };
	sigset_t cur;

	(void)state;
	evloop_init(&l);
	assert_int_equal(evloop_signal_add(&l, SIGUSR1, on_signal, &c), 0);
	assert_int_equal(evloop_signal_add(&l, SIGUSR2, on_signal, &c), 0);
	assert_int_equal(evloop_signal_add(&l, 0, on_signal, &c), -EINVAL);
	/* blocked now: raising does not kill us, it queues on the signalfd */
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(raise(SIGUSR2), 0);
	assert_int_equal(evloop_run(&l), 0);
	assert_int_equal(c.sig, 2);
	evloop_fini(&l);
	/* the mask is restored */
	sigprocmask(SIG_SETMASK, NULL, &cur);
	assert_false(sigismember(&cur, SIGUSR1));
	assert_false(sigismember(&cur, SIGUSR2));
}

struct selfdel {
	struct evloop *l;
	int fds[2][2];
	int calls;
};

static void
del_both(struct evloop *l, int fd, short revents, void *arg)
{
	struct selfdel *s = arg;

	(void)fd;
	(void)revents;
	s->calls++;
	/* removing ourselves and the other ready fd inside a callback */
	evloop_del_fd(l, s->fds[0][0]);
	evloop_del_fd(l, s->fds[1][0]);
	evloop_stop(l, 0);
}

static void
test_delete_inside_callback(void **state)
{
	struct evloop l;
	struct selfdel s = { 0 };

	(void)state;
	assert_int_equal(pipe(s.fds[0]), 0);
	assert_int_equal(pipe(s.fds[1]), 0);
	evloop_init(&l);
	assert_int_equal(evloop_add_fd(&l, s.fds[0][0], POLLIN, del_both, &s), 0);
	assert_int_equal(evloop_add_fd(&l, s.fds[1][0], POLLIN, del_both, &s), 0);
	assert_int_equal(write(s.fds[0][1], "a", 1), 1);
	assert_int_equal(write(s.fds[1][1], "b", 1), 1);
	assert_int_equal(evloop_run(&l), 0);
	assert_int_equal(s.calls, 1); /* the second, deleted, never ran */
	assert_int_equal(evloop_del_fd(&l, s.fds[0][0]), -ENOENT);
	/* the freed places are reusable */
	assert_int_equal(evloop_add_fd(&l, s.fds[0][0], POLLIN, del_both, &s), 0);
	evloop_fini(&l);
	for (int i = 0; i < 2; i++) {
		close(s.fds[i][0]);
		close(s.fds[i][1]);
	}
}

static void
noop(struct evloop *l, int fd, short revents, void *arg)
{
	(void)l; (void)fd; (void)revents; (void)arg;
}

static void
test_capacity_bound(void **state)
{
	struct evloop l;
	int i;

	(void)state;
	evloop_init(&l);
	for (i = 0; i < EVLOOP_MAX_FDS; i++)
		assert_int_equal(evloop_add_fd(&l, 1000 + i, POLLIN, noop, NULL), 0);
	assert_int_equal(evloop_add_fd(&l, 5000, POLLIN, noop, NULL), -ENOSPC);
	assert_int_equal(evloop_del_fd(&l, 1000), 0);
	assert_int_equal(evloop_add_fd(&l, 5000, POLLIN, noop, NULL), 0);
	assert_int_equal(evloop_add_fd(&l, -1, POLLIN, noop, NULL), -EINVAL);
	evloop_fini(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_readiness_and_stop_code),
		cmocka_unit_test(test_two_reads_then_stop),
		cmocka_unit_test(test_periodic_timer_spacing),
		cmocka_unit_test(test_disarm_and_oneshot),
		cmocka_unit_test(test_rearm_forgets_old_expiry_keeps_new),
		cmocka_unit_test(test_signals_arrive_as_events),
		cmocka_unit_test(test_delete_inside_callback),
		cmocka_unit_test(test_capacity_bound),
	};
	return cmocka_run_group_tests_name("evloop", tests, NULL, NULL);
}
