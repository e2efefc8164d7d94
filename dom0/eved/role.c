/*
 * role: the runtime every role process shares.  The supervisor exec'd us
 * with our socket on EVED_ROLE_FD; we say HELLO, answer PINGs, forward our
 * log entries up, and exit cleanly on SHUTDOWN, SIGTERM or the supervisor's
 * death.  Any message the supervisor's table does not allow is fatal: the
 * supervisor sees the exit and restarts us.
 */
#include "eved.h"
#include "evloop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* Log sink of a role: the entry goes to the supervisor's ring. */
static void
role_log_sink(const struct log_entry *e, void *arg)
{
	struct role_ctx *ctx = arg;
	char err[IPC_ERR_MAX];

	if (ctx->sock < 0 ||
	    ipc_send(ctx->sock, &eved_proto_to_parent, IPC_LOG, e, sizeof(*e), -1, err) < 0)
		log_sink_stderr(e, NULL);
}

int
role_send(struct role_ctx *ctx, uint16_t type, const void *data, size_t len)
{
	return role_send_fd(ctx, type, data, len, -1);
}

int
role_send_fd(struct role_ctx *ctx, uint16_t type, const void *data, size_t len, int fd)
{
	char err[IPC_ERR_MAX];
	int rc;

	if (ctx->sock < 0)
		return -EPIPE;
	rc = ipc_send(ctx->sock, &eved_proto_to_parent, type, data, len, fd, err);
	if (rc == -EBADMSG)
		fatal("%s", err); /* our own bug: never send what the table forbids */
	return rc;
}

int
role_dispatch(struct role_ctx *ctx, const struct ipc_msg *m)
{
	uint64_t cookie;
	int rc;

	switch (m->type) {
	case IPC_PING:
		memcpy(&cookie, m->data, sizeof(cookie));
		rc = role_send(ctx, IPC_PONG, &cookie, sizeof(cookie));
		return rc == -EAGAIN ? 0 : rc;
	case IPC_SHUTDOWN:
		log_info("shutdown requested");
		evloop_stop(ctx->loop, 0);
		return 0;
	default:
		if (ctx->rd->on_msg)
			return ctx->rd->on_msg(ctx, m);
		log_err("supervisor->role: %s does not take message type %u", ctx->rd->name,
			m->type);
		return -EBADMSG;
	}
}

static void
role_on_parent(struct evloop *l, int fd, short revents, void *arg)
{
	struct role_ctx *ctx = arg;
	uint8_t buf[sizeof(struct ipc_hdr) + IPC_MAX_PAYLOAD];
	char err[IPC_ERR_MAX];
	struct ipc_msg m;
	int rc;

	(void)revents;
	for (;;) {
		rc = ipc_recv(fd, &eved_proto_to_role, &m, buf, sizeof(buf), err);
		if (rc == -EAGAIN)
			return;
		if (rc == -EPIPE) {
			ctx->sock = -1;
			log_sink_stderr(&(struct log_entry){ .level = LOG_LEVEL_NOTICE,
				.text = "supervisor gone; exiting" }, NULL);
			evloop_stop(l, 0);
			return;
		}
		if (rc < 0)
			fatal("%s", err);
		rc = role_dispatch(ctx, &m);
		if (m.fd >= 0)
			close(m.fd);
		if (rc < 0)
			fatal("%s: message type %u: %s", ctx->rd->name, m.type, strerror(-rc));
		if (ctx->sock < 0)
			return;
	}
}

static void
role_on_signal(struct evloop *l, int signo, void *arg)
{
	(void)arg;
	log_info("%s: exiting", strsignal(signo));
	evloop_stop(l, 0);
}

static bool
supervisor_gone(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLRDHUP };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

int
role_main(const struct role_desc *rd, const struct eved_opts *o)
{
	struct evloop loop;
	struct role_ctx ctx = { .rd = rd, .o = o, .loop = &loop, .sock = EVED_ROLE_FD };
	struct ipc_hello hello = { .role = (uint32_t)rd->id, .pid = (int32_t)getpid() };
	char name[16], err[IPC_ERR_MAX];
	int rc, fl;

	log_init(rd->name, o->log_level);
	fl = fcntl(ctx.sock, F_GETFL);
	if (fl < 0) {
		fprintf(stderr, "eved --role %s: no supervisor socket on fd %d; "
				"roles are started by eved itself\n", rd->name, EVED_ROLE_FD);
		return 2;
	}
	fcntl(ctx.sock, F_SETFL, fl | O_NONBLOCK);
	fcntl(ctx.sock, F_SETFD, FD_CLOEXEC);
	snprintf(name, sizeof(name), "eved-%s", rd->name);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	/* The supervisor's death must not leave an orphan role behind. */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	/* Reparented to PID 1 with the supervisor's end of the socket closed:
	 * it died before PDEATHSIG was set.  (A supervisor that is PID 1 --
	 * dom0's /init -- keeps its end open.) */
	if (getppid() == 1 && getpid() != 1 && supervisor_gone(ctx.sock)) {
		fprintf(stderr, "eved-%s: supervisor already gone\n", rd->name);
		return 1;
	}
	log_set_sink(role_log_sink, &ctx);

	evloop_init(&loop);
	if ((rc = evloop_signal_add(&loop, SIGTERM, role_on_signal, NULL)) < 0 ||
	    (rc = evloop_signal_add(&loop, SIGINT, role_on_signal, NULL)) < 0 ||
	    (rc = evloop_add_fd(&loop, ctx.sock, POLLIN, role_on_parent, &ctx)) < 0)
		fatal("event loop: %s", strerror(-rc));
	if (rd->init && (rc = rd->init(&ctx)) < 0)
		fatal("%s: cannot start: %s", rd->name, strerror(-rc));

	rc = ipc_send(ctx.sock, &eved_proto_to_parent, IPC_HELLO, &hello, sizeof(hello), -1, err);
	if (rc < 0)
		fatal("%s", err);
	log_info("up (pid %d); holds: %s", (int)getpid(), rd->holds);

	rc = evloop_run(&loop);
	if (rd->fini)
		rd->fini(&ctx);
	log_set_sink(NULL, NULL);
	evloop_fini(&loop);
	return rc < 0 ? 1 : rc;
}
