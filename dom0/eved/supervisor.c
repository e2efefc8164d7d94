/*
 * supervisor: the parent process.  It starts one process per role, watches
 * them (exit through SIGCHLD, hangs through unanswered PINGs, protocol
 * violations), restarts a dead role with exponential backoff, and on SIGTERM
 * stops them all (SIGTERM, then SIGKILL after stop_timeout_ms) before exiting.
 *
 * Each role's lifecycle is the table fsm[state][event] below, in the manner
 * of s6: every (state, event) pair is either an action or explicitly ignored.
 */
#include "eved.h"
#include "evloop.h"
#include "sysinit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

enum child_state { CH_DOWN, CH_STARTING, CH_UP, CH_BACKOFF, CH_STOPPING, CH_NSTATES };
enum child_event { EV_START, EV_HELLO, EV_EXIT, EV_TIMER, EV_STOP, EV_FAULT, EV_NEVENTS };

static const char *const state_names[CH_NSTATES] = {
	"down", "starting", "up", "backoff", "stopping",
};
static const char *const event_names[EV_NEVENTS] = {
	"start", "hello", "exit", "timer", "stop", "fault",
};

struct supervisor;

struct child {
	struct supervisor *sup;
	const struct role_desc *rd;
	enum child_state state;
	pid_t pid;
	int sock;
	struct evloop_timer timer;  /* backoff delay, or stop timeout */
	unsigned backoff_ms;        /* the next restart delay */
	uint64_t started_ms;
	uint64_t last_pong_ms;
	uint64_t cookie;
	unsigned restarts;
	int exit_status;            /* from waitpid, for the log */
};

#define SIGN_PENDING_MAX 64

/* A signature request relayed to the identity role, awaiting its answer. */
struct sign_pending {
	bool used;
	int from;                   /* enum role_id of the asker */
	pid_t from_pid;             /* so an answer never reaches a restarted asker */
	uint32_t orig_id;
};

struct supervisor {
	const struct eved_opts *o;
	struct evloop loop;
	struct evloop_timer ping;
	struct child child[ROLE_COUNT];
	bool stopping;
	bool ready_sent;
	struct sign_pending pending[SIGN_PENDING_MAX];
	struct ipc_identity identity;  /* the identity role's last IPC_IDENTITY */
	size_t identity_len;           /* 0: none yet */
	uint64_t logs_dropped;         /* entries evc could not take (busy) */
	struct kept_msg {              /* per eved_routes[] entry with keep */
		bool have;
		uint8_t data[64];
		size_t len;
		int fd;                /* ours (a dup); -1 none */
	} kept[16];
};

/* Which role may have which key sign (enum ipc_key bits). */
static const unsigned sign_allowed[ROLE_COUNT] = {
	[ROLE_EVC] = 1u << IPC_KEY_DEVICE | 1u << IPC_KEY_ONBOARD,
};

static void child_event(struct child *c, enum child_event ev);
static void fail_pending_signatures(struct supervisor *s);
static void on_child_sock(struct evloop *l, int fd, short revents, void *arg);

static struct supervisor *
sup_of(struct child *c)
{
	return c->sup;
}

/* ---- actions ---- */

static void
child_spawn(struct child *c)
{
	struct supervisor *s = sup_of(c);
	char *argv[32];
	char lvl[8], interval[16], parallel[16];
	int sv[2] = { -1, -1 }, rc, n = 0;
	pid_t pid;

	rc = ipc_pair(sv);
	if (rc < 0) {
		log_err("%s: socketpair: %s; retrying", c->rd->name, strerror(-rc));
		goto fail;
	}
	snprintf(lvl, sizeof(lvl), "%s", log_level_name(s->o->log_level));
	argv[n++] = "eved";
	argv[n++] = "--role";
	argv[n++] = (char *)c->rd->name;
	argv[n++] = "--config";
	argv[n++] = (char *)s->o->config_dir;
	argv[n++] = "--persist";
	argv[n++] = (char *)s->o->persist_dir;
	argv[n++] = "--log-level";
	argv[n++] = lvl;
	if (s->o->host_mode)
		argv[n++] = "--host";
	if (s->o->tcti) {
		argv[n++] = "--tcti";
		argv[n++] = (char *)s->o->tcti;
	}
	if (s->o->evc_interval_ms) {
		snprintf(interval, sizeof(interval), "%u", s->o->evc_interval_ms);
		argv[n++] = "--evc-interval-ms";
		argv[n++] = interval;
	}
	if (s->o->run_dir) {
		argv[n++] = "--run-dir";
		argv[n++] = (char *)s->o->run_dir;
	}
	if (s->o->board_io) {
		argv[n++] = "--board";
		argv[n++] = (char *)s->o->board_io;
	}
	if (s->o->hv) {
		argv[n++] = "--hv";
		argv[n++] = (char *)s->o->hv;
	}
	if (s->o->slot) {
		argv[n++] = "--slot";
		argv[n++] = (char *)s->o->slot;
	}
	snprintf(parallel, sizeof(parallel), "%u", s->o->dl_max_parallel ? s->o->dl_max_parallel : 2);
	argv[n++] = "--dl-max-parallel";
	argv[n++] = parallel;
	if (s->o->net_dhcp) {
		argv[n++] = "--net-dhcp";
		argv[n++] = (char *)s->o->net_dhcp;
	}
	if (s->o->debug_console_dev && c->rd->id == ROLE_CONSOLE) {
		argv[n++] = "--debug-console-dev";
		argv[n++] = (char *)s->o->debug_console_dev;
	}
	argv[n] = NULL;

	pid = fork();
	if (pid < 0) {
		log_err("%s: fork: %s; retrying", c->rd->name, strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		sigset_t none;

		/* Only stdin/out/err and our own socket cross into the role. */
		if (sv[1] == EVED_ROLE_FD) {
			fcntl(sv[1], F_SETFD, 0);
		} else if (dup2(sv[1], EVED_ROLE_FD) < 0) {
			_exit(127);
		}
		close_range(EVED_ROLE_FD + 1, ~0U, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv("/proc/self/exe", argv);
		dprintf(STDERR_FILENO, "eved: exec of role %s: %s\n", c->rd->name, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	c->pid = pid;
	c->sock = sv[0];
	c->started_ms = c->last_pong_ms = evloop_now_ms();
	c->state = CH_STARTING;
	rc = evloop_add_fd(&s->loop, c->sock, POLLIN, on_child_sock, c);
	if (rc < 0)
		fatal("%s: event loop: %s", c->rd->name, strerror(-rc));
	log_debug("%s: started, pid %d", c->rd->name, (int)pid);
	return;
fail:
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	c->state = CH_BACKOFF;
	evloop_timer_arm(&c->timer, c->backoff_ms, 0);
}

static void
relay_role_log(struct child *c, const struct ipc_msg *m)
{
	struct log_entry e;

	memcpy(&e, m->data, sizeof(e));
	/* A role speaks only for itself. */
	snprintf(e.source, sizeof(e.source), "%s", c->rd->name);
	log_relay(&e);
}

static void
child_close_sock(struct child *c)
{
	/* as large as any message of the table (ipc_recv requires it) */
	static uint8_t buf[sizeof(struct ipc_hdr) + IPC_MAX_PAYLOAD];
	char err[IPC_ERR_MAX];
	struct ipc_msg m;

	if (c->sock < 0)
		return;
	/* Keep the last words of a dying role: relay the log entries still
	 * queued; anything else left in the socket no longer matters. */
	for (int i = 0; i < 64; i++) {
		int rc = ipc_recv(c->sock, &eved_proto_to_parent, &m, buf, sizeof(buf), err);

		if (rc == -EAGAIN || rc == -EPIPE)
			break;
		if (rc == 0 && m.type == IPC_LOG)
			relay_role_log(c, &m);
		if (rc == 0 && m.fd >= 0)
			close(m.fd);
	}
	evloop_del_fd(&sup_of(c)->loop, c->sock);
	close(c->sock);
	c->sock = -1;
}

static void
maybe_ready(struct supervisor *s)
{
	if (s->ready_sent || s->o->ready_fd < 0)
		return;
	for (int i = 0; i < ROLE_COUNT; i++)
		if (s->child[i].state != CH_UP)
			return;
	s->ready_sent = true;
	if (write(s->o->ready_fd, "ready\n", 6) != 6)
		log_warn("readiness fd %d: %s", s->o->ready_fd, strerror(errno));
	close(s->o->ready_fd);
}

static void
act_start(struct child *c)
{
	child_spawn(c);
}

static void
act_up(struct child *c)
{
	c->state = CH_UP;
	log_info("%s: up, pid %d%s", c->rd->name, (int)c->pid,
		 c->restarts ? " (restarted)" : "");
	maybe_ready(sup_of(c));
}

static void
describe_status(int status, char *buf, size_t sz)
{
	if (WIFEXITED(status))
		snprintf(buf, sz, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sz, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, sz, "status 0x%x", status);
}

static void
act_died(struct child *c)
{
	struct supervisor *s = sup_of(c);
	uint64_t up = evloop_now_ms() - c->started_ms;
	char how[64];
	unsigned delay;

	child_close_sock(c);
	if (c->rd->id == ROLE_IDENTITY)
		fail_pending_signatures(s);
	describe_status(c->exit_status, how, sizeof(how));
	if (up >= s->o->backoff_reset_ms)
		c->backoff_ms = s->o->backoff_min_ms;
	delay = c->backoff_ms;
	c->backoff_ms = delay >= s->o->backoff_max_ms / 2 ? s->o->backoff_max_ms : delay * 2;
	c->restarts++;
	c->pid = 0;
	c->state = CH_BACKOFF;
	log_err("%s: died (%s) after %llu ms; restart %u in %u ms", c->rd->name, how,
		(unsigned long long)up, c->restarts, delay);
	evloop_timer_arm(&c->timer, delay, 0);
}

static void
act_kill(struct child *c)
{
	/* A hung or misbehaving role: kill it; EV_EXIT follows through SIGCHLD. */
	if (c->pid > 0)
		kill(c->pid, SIGKILL);
	child_close_sock(c);
}

static void
act_stop(struct child *c)
{
	struct supervisor *s = sup_of(c);

	c->state = CH_STOPPING;
	kill(c->pid, SIGTERM);
	evloop_timer_arm(&c->timer, s->o->stop_timeout_ms, 0);
}

static void
act_stop_waiting(struct child *c)
{
	evloop_timer_arm(&c->timer, 0, 0);
	c->state = CH_DOWN;
}

static void
act_stopped(struct child *c)
{
	char how[64];

	child_close_sock(c);
	evloop_timer_arm(&c->timer, 0, 0);
	describe_status(c->exit_status, how, sizeof(how));
	log_info("%s: stopped (%s)", c->rd->name, how);
	c->pid = 0;
	c->state = CH_DOWN;
}

static void
act_stop_timeout(struct child *c)
{
	log_warn("%s: still running %u ms after SIGTERM; SIGKILL", c->rd->name,
		 sup_of(c)->o->stop_timeout_ms);
	kill(c->pid, SIGKILL);
}

typedef void (*child_action)(struct child *);
#define IGNORE NULL

/* fsm[state][event]: what happens; IGNORE where the event means nothing. */
static const child_action fsm[CH_NSTATES][EV_NEVENTS] = {
	/*                START      HELLO   EXIT          TIMER             STOP              FAULT */
	[CH_DOWN]     = { act_start, IGNORE, IGNORE,       IGNORE,           IGNORE,           IGNORE },
	[CH_STARTING] = { IGNORE,    act_up, act_died,     IGNORE,           act_stop,         act_kill },
	[CH_UP]       = { IGNORE,    IGNORE, act_died,     IGNORE,           act_stop,         act_kill },
	[CH_BACKOFF]  = { IGNORE,    IGNORE, IGNORE,       act_start,        act_stop_waiting, IGNORE },
	[CH_STOPPING] = { IGNORE,    IGNORE, act_stopped,  act_stop_timeout, IGNORE,           IGNORE },
};

static void
child_event(struct child *c, enum child_event ev)
{
	child_action a = fsm[c->state][ev];

	log_debug("%s: %s + %s%s", c->rd->name, state_names[c->state], event_names[ev],
		  a ? "" : " (ignored)");
	if (a)
		a(c);
}

/* ---- relays between roles ---- */

static int
send_to(struct child *c, uint16_t type, const void *data, size_t len)
{
	char err[IPC_ERR_MAX];
	int rc;

	if (c->sock < 0)
		return -EPIPE;
	rc = ipc_send(c->sock, &eved_proto_to_role, type, data, len, -1, err);
	if (rc < 0)
		log_warn("%s: %s", c->rd->name, err);
	return rc;
}

static void
sign_answer(struct child *c, uint32_t id, int rc)
{
	struct ipc_sign_rep rep = { .id = id, .rc = rc };

	send_to(c, IPC_SIGN_REP, &rep, sizeof(rep));
}

/* A role asks for a signature: check the policy, pass it to identity. */
static int
relay_sign_req(struct supervisor *s, struct child *c, const struct ipc_msg *m)
{
	struct child *id = &s->child[ROLE_IDENTITY];
	struct ipc_sign_req req;
	uint32_t slot;

	memcpy(&req, m->data, sizeof(req));
	if (req.key > IPC_KEY_ONBOARD || !(sign_allowed[c->rd->id] & (1u << req.key))) {
		log_err("%s asked for a signature with key %u, which it may not use; killing it",
			c->rd->name, req.key);
		return -EPERM;
	}
	if ((id->state != CH_UP && id->state != CH_STARTING) || id->sock < 0) {
		sign_answer(c, req.id, -EAGAIN);
		return 0;
	}
	for (slot = 0; slot < SIGN_PENDING_MAX && s->pending[slot].used; slot++)
		;
	if (slot == SIGN_PENDING_MAX) {
		sign_answer(c, req.id, -EBUSY);
		return 0;
	}
	s->pending[slot] = (struct sign_pending){ true, c->rd->id, c->pid, req.id };
	req.id = slot;
	if (send_to(id, IPC_SIGN_REQ, &req, sizeof(req)) < 0) {
		s->pending[slot].used = false;
		sign_answer(c, s->pending[slot].orig_id, -EAGAIN);
	}
	return 0;
}

static void
relay_sign_rep(struct supervisor *s, const struct ipc_msg *m)
{
	struct ipc_sign_rep rep;
	struct sign_pending *p;
	struct child *to;

	memcpy(&rep, m->data, sizeof(rep));
	if (rep.id >= SIGN_PENDING_MAX || !s->pending[rep.id].used) {
		log_warn("identity answered signature request %u, which nobody waits for", rep.id);
		return;
	}
	p = &s->pending[rep.id];
	p->used = false;
	to = &s->child[p->from];
	if (to->pid != p->from_pid)
		return; /* the asker restarted meanwhile */
	rep.id = p->orig_id;
	send_to(to, IPC_SIGN_REP, &rep, sizeof(rep));
}

/* The identity role went away: nobody will answer what is pending. */
static void
fail_pending_signatures(struct supervisor *s)
{
	for (int i = 0; i < SIGN_PENDING_MAX; i++) {
		struct sign_pending *p = &s->pending[i];

		if (!p->used)
			continue;
		p->used = false;
		if (s->child[p->from].pid == p->from_pid)
			sign_answer(&s->child[p->from], p->orig_id, -EPIPE);
	}
}

static int
take_identity(struct supervisor *s, const struct ipc_msg *m)
{
	struct ipc_identity *id = &s->identity;

	memset(id, 0, sizeof(*id));
	memcpy(id, m->data, m->len);
	if (id->cert_len != m->len - IPC_IDENTITY_FIXED) {
		log_err("identity: IDENTITY says %u certificate bytes, carries %zu; killing it",
			id->cert_len, (size_t)(m->len - IPC_IDENTITY_FIXED));
		s->identity_len = 0;
		return -EBADMSG;
	}
	s->identity_len = m->len;
	log_info("identity: device key %s, certificate of %u bytes%s",
		 id->in_tpm ? "in the TPM" : "soft", id->cert_len,
		 id->has_onboard ? ", onboarding key loaded" : "");
	send_to(&s->child[ROLE_EVC], IPC_IDENTITY, id, s->identity_len);
	return 0;
}

/* ---- relayed messages (eved_routes[]) ---- */

static int
send_fd_to(struct child *c, uint16_t type, const void *data, size_t len, int fd)
{
	char err[IPC_ERR_MAX];
	int rc;

	if (c->sock < 0 || (c->state != CH_UP && c->state != CH_STARTING))
		return -EPIPE;
	rc = ipc_send(c->sock, &eved_proto_to_role, type, data, len, fd, err);
	if (rc < 0)
		log_warn("%s: %s", c->rd->name, err);
	return rc;
}

/* Passes m on to its route's destination (dropped while that role is down:
 * the kept ones are given again when it says HELLO; the others are
 * re-asked by their sender).  -EPERM: c may not send it. */
static int
relay_route(struct supervisor *s, struct child *c, const struct ipc_msg *m)
{
	const struct eved_route *r;
	bool sent = false;

	for (size_t idx = 0; idx < eved_nroutes; idx++) {
		r = &eved_routes[idx];
		if (r->type != m->type || r->from != (int)c->rd->id)
			continue;
		sent = true;
		if (r->keep && idx < sizeof(s->kept) / sizeof(s->kept[0]) &&
		    m->len <= sizeof(s->kept[0].data)) {
			struct kept_msg *k = &s->kept[idx];

			if (k->have && k->fd >= 0)
				close(k->fd);
			k->have = true;
			memcpy(k->data, m->data, m->len);
			k->len = m->len;
			k->fd = m->fd >= 0 ? fcntl(m->fd, F_DUPFD_CLOEXEC, 3) : -1;
		}
		send_fd_to(&s->child[r->to], m->type, m->data, m->len, m->fd);
	}
	if (!sent) {
		log_err("%s sent %s, which it may not send; killing it", c->rd->name,
			ipc_type_find(&eved_proto_to_parent, m->type)->name);
		return -EPERM;
	}
	return 0;
}

/* The console role asks for the last n entries of our ring (`logs N`). */
static int
answer_console_logs(struct child *c, const struct ipc_msg *m)
{
	struct log_ring *ring = log_ring_global();
	struct log_entry *out;
	uint64_t cursor, lost, size;
	uint32_t n;
	size_t k = 0;
	int fd = -1, rc;

	if (c->rd->id != ROLE_CONSOLE) {
		log_err("%s sent CONSOLE_LOGS, which only console may send; killing it",
			c->rd->name);
		return -EPERM;
	}
	memcpy(&n, m->data, sizeof(n));
	if (n == 0 || n > ring->nslots)
		n = (uint32_t)ring->nslots;
	out = calloc(n, sizeof(*out));
	if (!out)
		return 0;
	cursor = ring->next_seq > 1 + n ? ring->next_seq - 1 - n : 0;
	while (k < n && log_ring_read(ring, &cursor, &out[k], &lost) == 0)
		k++;
	size = k * sizeof(*out);
	rc = ipc_blob_make("eved-logs", out, size ? size : 1, &fd);
	free(out);
	if (rc < 0) {
		log_warn("console: logs: %s", strerror(-rc));
		return 0;
	}
	send_fd_to(c, IPC_CONSOLE_LOGS, &size, sizeof(size), fd);
	close(fd);
	return 0;
}

/* A role said HELLO: give it what was kept for it. */
static void
resend_kept(struct supervisor *s, struct child *c)
{
	for (size_t i = 0; i < eved_nroutes && i < sizeof(s->kept) / sizeof(s->kept[0]); i++) {
		const struct kept_msg *k = &s->kept[i];

		if (k->have && eved_routes[i].to == (int)c->rd->id)
			send_fd_to(c, eved_routes[i].type, k->data, k->len, k->fd);
	}
}

/* ---- event sources ---- */

static void
on_child_sock(struct evloop *l, int fd, short revents, void *arg)
{
	struct child *c = arg;
	uint8_t buf[sizeof(struct ipc_hdr) + IPC_MAX_PAYLOAD];
	char err[IPC_ERR_MAX];
	struct ipc_msg m;
	struct ipc_hello hello;
	int rc;

	(void)l;
	(void)revents;
	for (;;) {
		rc = ipc_recv(fd, &eved_proto_to_parent, &m, buf, sizeof(buf), err);
		if (rc == -EAGAIN)
			return;
		if (rc == -EPIPE) {
			child_close_sock(c); /* the exit itself arrives via SIGCHLD */
			return;
		}
		if (rc < 0) {
			log_err("%s: %s; killing it", c->rd->name, err[0] ? err : strerror(-rc));
			child_event(c, EV_FAULT);
			return;
		}
		switch (m.type) {
		case IPC_HELLO:
			memcpy(&hello, m.data, sizeof(hello));
			if (hello.role != (uint32_t)c->rd->id || hello.pid != c->pid) {
				log_err("%s: HELLO claims role %u pid %d; killing it", c->rd->name,
					hello.role, hello.pid);
				child_event(c, EV_FAULT);
				return;
			}
			child_event(c, EV_HELLO);
			if (c->rd->id == ROLE_EVC && c->sup->identity_len)
				send_to(c, IPC_IDENTITY, &c->sup->identity, c->sup->identity_len);
			resend_kept(c->sup, c);
			break;
		case IPC_PONG:
			c->last_pong_ms = evloop_now_ms();
			break;
		case IPC_LOG:
			relay_role_log(c, &m);
			break;
		case IPC_SIGN_REQ:
			if (c->rd->id == ROLE_IDENTITY || relay_sign_req(c->sup, c, &m) < 0) {
				child_event(c, EV_FAULT);
				return;
			}
			break;
		case IPC_CONSOLE_LOGS:
			if (answer_console_logs(c, &m) < 0) {
				child_event(c, EV_FAULT);
				return;
			}
			break;
		case IPC_SIGN_REP:
		case IPC_IDENTITY:
			if (c->rd->id != ROLE_IDENTITY) {
				log_err("%s sent %s, which only identity may send; killing it",
					c->rd->name, ipc_type_find(&eved_proto_to_parent, m.type)->name);
				child_event(c, EV_FAULT);
				return;
			}
			if (m.type == IPC_SIGN_REP)
				relay_sign_rep(c->sup, &m);
			else if (take_identity(c->sup, &m) < 0) {
				child_event(c, EV_FAULT);
				return;
			}
			break;
		default:
			rc = relay_route(c->sup, c, &m);
			if (m.fd >= 0)
				close(m.fd);
			if (rc < 0) {
				child_event(c, EV_FAULT);
				return;
			}
			break;
		}
		if (c->sock < 0)
			return;
	}
}

static void
on_child_timer(struct evloop *l, void *arg)
{
	(void)l;
	child_event(arg, EV_TIMER);
}

static void
on_ping_timer(struct evloop *l, void *arg)
{
	struct supervisor *s = arg;
	uint64_t now = evloop_now_ms(), limit = 3ull * s->o->ping_interval_ms;
	char err[IPC_ERR_MAX];

	(void)l;
	for (int i = 0; i < ROLE_COUNT; i++) {
		struct child *c = &s->child[i];

		if (c->state != CH_UP && c->state != CH_STARTING)
			continue;
		if (now - c->last_pong_ms > limit) {
			log_err("%s: no answer for %llu ms (pid %d hung?); killing it",
				c->rd->name, (unsigned long long)(now - c->last_pong_ms),
				(int)c->pid);
			child_event(c, EV_FAULT);
			continue;
		}
		if (c->sock < 0)
			continue;
		c->cookie++;
		if (ipc_send(c->sock, &eved_proto_to_role, IPC_PING, &c->cookie,
			     sizeof(c->cookie), -1, err) < 0)
			log_debug("%s: ping: %s", c->rd->name, err);
	}
}

static void
on_sigchld(struct evloop *l, int signo, void *arg)
{
	struct supervisor *s = arg;
	int status;
	pid_t pid;

	(void)l;
	(void)signo;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		bool role = false;

		for (int i = 0; i < ROLE_COUNT; i++) {
			struct child *c = &s->child[i];

			if (c->pid == pid) {
				c->exit_status = status;
				child_event(c, EV_EXIT);
				role = true;
				break;
			}
		}
		/* PID 1: the Xen daemons sysinit started (restarted or reported
		 * there); any other pid is an orphan reaped because we are PID 1
		 * or a subreaper. */
		if (!role && s->o->sysinit)
			sysinit_reaped(s->o->sysinit, pid, status);
	}
	if (s->stopping) {
		for (int i = 0; i < ROLE_COUNT; i++)
			if (s->child[i].state != CH_DOWN)
				return;
		evloop_stop(&s->loop, 0);
	}
}

static void
on_term(struct evloop *l, int signo, void *arg)
{
	struct supervisor *s = arg;
	bool any = false;

	(void)l;
	if (s->stopping)
		return;
	log_notice("%s: stopping every role", strsignal(signo));
	s->stopping = true;
	if (s->o->sysinit)
		sysinit_stop_signal(s->o->sysinit, signo);
	evloop_timer_arm(&s->ping, 0, 0);
	for (int i = 0; i < ROLE_COUNT; i++) {
		child_event(&s->child[i], EV_STOP);
		if (s->child[i].state != CH_DOWN)
			any = true;
	}
	if (!any)
		evloop_stop(&s->loop, 0);
}

/* Every log entry of the device: on stderr, in our ring, and to evc for
 * the controller (newlogs).  A busy evc loses entries; they are counted. */
static void
supervisor_log_sink(const struct log_entry *e, void *arg)
{
	struct supervisor *s = arg;
	struct child *c = &s->child[ROLE_EVC];
	char err[IPC_ERR_MAX];

	log_sink_stderr(e, NULL);
	if (c->sock < 0 || c->state != CH_UP)
		return;
	if (ipc_send(c->sock, &eved_proto_to_role, IPC_LOG, e, sizeof(*e), -1, err) < 0)
		s->logs_dropped++;
}

int
supervisor_main(const struct eved_opts *o)
{
	static struct supervisor s;
	int rc;

	s.o = o;
	log_init("eved", o->log_level);
	log_set_sink(supervisor_log_sink, &s);
	/* Orphans of our roles (their helpers) are reparented to us. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	evloop_init(&s.loop);
	if ((rc = evloop_signal_add(&s.loop, SIGCHLD, on_sigchld, &s)) < 0 ||
	    (rc = evloop_signal_add(&s.loop, SIGTERM, on_term, &s)) < 0 ||
	    (rc = evloop_signal_add(&s.loop, SIGINT, on_term, &s)) < 0 ||
	    (rc = evloop_timer_add(&s.loop, &s.ping, on_ping_timer, &s)) < 0 ||
	    (o->sysinit && (rc = evloop_signal_add(&s.loop, SIGPWR, on_term, &s)) < 0))
		fatal("event loop: %s", strerror(-rc));
	signal(SIGPIPE, SIG_IGN);

	log_notice("eved starting (%s mode): config %s, persist %s",
		   o->host_mode ? "host" : "dom0", o->config_dir, o->persist_dir);
	for (int i = 0; i < ROLE_COUNT; i++) {
		struct child *c = &s.child[i];

		c->sup = &s;
		c->rd = &eved_roles[i];
		c->sock = -1;
		c->backoff_ms = o->backoff_min_ms;
		c->state = CH_DOWN;
		if ((rc = evloop_timer_add(&s.loop, &c->timer, on_child_timer, c)) < 0)
			fatal("event loop: %s", strerror(-rc));
	}
	for (int i = 0; i < ROLE_COUNT; i++)
		child_event(&s.child[i], EV_START);
	evloop_timer_arm(&s.ping, o->ping_interval_ms, o->ping_interval_ms);

	rc = evloop_run(&s.loop);
	log_notice("eved stopped");
	log_set_sink(NULL, NULL);
	evloop_fini(&s.loop);
	return rc < 0 ? 1 : rc;
}
