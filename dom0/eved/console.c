/*
 * console: the developer debug console role (DESIGN.md §6: no shell, no
 * keyboard login; developer debug only through the API).
 *
 * Off by default.  The evc role turns it on and off with IPC_CONSOLE_ENABLE
 * (the controller's config item debug.enable.console); the supervisor keeps
 * the last one and gives it again to a restarted console role.  On: the
 * serial device (--debug-console-dev; /dev/hvc0 in dom0) is opened, a tty
 * put in canonical mode with echo (the kernel edits the line), and every
 * line is parsed by dbgcmd (dom0/console/) into one of a fixed set of
 * commands, each built in: nothing here can start a program.  Off: a last
 * line says so and the device is closed.  The role tells evc what it did
 * (IPC_CONSOLE_STATE: on/off, device, error) for the device info.
 *
 * Holds: the serial fd while on; for the commands, short-lived sockets
 * (a NETLINK_ROUTE dump, an ICMP socket, a TLS connection to the
 * controller) opened and closed within the command.  Data from elsewhere:
 * the apps role's status (IPC_APPS_STATUS, routed here too) and the
 * supervisor's log ring (IPC_CONSOLE_LOGS, asked on `logs N`).
 *
 * Every command is bounded in time (ping 3 s, the controller test 6 s), well
 * within the supervisor's liveness limit (3 pings).
 */
#include "eved.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "dbgcmd.h"
#include "devconf.h"
#include "evloop.h"
#include "link.h"

#define CONSOLE_OUT_MAX 32768
#define CONSOLE_WRITE_MS 2000      /* a stuck line loses output, never the role */
#define CONSOLE_REOPEN_MS 5000
#define CONSOLE_CTRL_TIMEOUT_MS 6000
#define CONSOLE_PING_COUNT 3
#define CONSOLE_PING_WAIT_MS 1000
#define CONSOLE_ROUTES_MAX 128
#define CONSOLE_PROMPT "dbg> "

struct console {
	struct role_ctx *ctx;
	const char *dev;           /* NULL: none configured */
	bool want;                 /* the controller asked for it */
	int fd;                    /* the serial line; -1 closed */
	bool is_tty;
	struct termios saved;
	struct dbgline line;
	struct evloop_timer reopen;
	struct apps_status *st;    /* the apps role's last status, NULL none */
	bool logs_pending;         /* a `logs N` waits for the supervisor */
	char err[IPC_CONSOLE_ERR];
	char out[CONSOLE_OUT_MAX];
};

/* ---- the serial line ---- */

static void
con_write(struct console *c, const char *s, size_t len)
{
	uint64_t until = evloop_now_ms() + CONSOLE_WRITE_MS;

	while (len && c->fd >= 0) {
		ssize_t r = write(c->fd, s, len);

		if (r > 0) {
			s += r;
			len -= (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = c->fd, .events = POLLOUT };
			uint64_t now = evloop_now_ms();

			if (now >= until || poll(&p, 1, (int)(until - now)) <= 0)
				break;
			continue;
		}
		break;
	}
}

static void
con_puts(struct console *c, const char *s)
{
	con_write(c, s, strlen(s));
}

static void
con_flush_out(struct console *c, struct dbgout *o)
{
	con_write(c, o->buf, o->len);
}

static void
send_state(struct console *c)
{
	struct ipc_console_state s = { .on = c->fd >= 0 };

	snprintf(s.dev, sizeof(s.dev), "%s", c->dev ? c->dev : "");
	snprintf(s.err, sizeof(s.err), "%s", c->err);
	role_send(c->ctx, IPC_CONSOLE_STATE, &s, sizeof(s));
}

static void on_serial(struct evloop *l, int fd, short revents, void *arg);

static int
con_open(struct console *c)
{
	struct termios t;
	int fd, rc;

	c->err[0] = '\0';
	if (!c->dev) {
		snprintf(c->err, sizeof(c->err), "no serial device for the debug console "
			 "(eved --debug-console-dev)");
		return -ENODEV;
	}
	fd = open(c->dev, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(c->err, sizeof(c->err), "%s: %s", c->dev, strerror(errno));
		return rc;
	}
	c->is_tty = tcgetattr(fd, &c->saved) == 0;
	if (c->is_tty) {
		/* canonical input with echo and erase (the kernel edits the line),
		 * CR -> NL, no signals, no flow control; NL -> CRLF on output */
		t = c->saved;
		t.c_iflag &= ~(unsigned)(IXON | IXOFF | INLCR | IGNCR | ISTRIP);
		t.c_iflag |= ICRNL;
		t.c_oflag |= OPOST | ONLCR;
		t.c_lflag = ICANON | ECHO | ECHOE | ECHOK;
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(fd, TCSANOW, &t);
		tcflush(fd, TCIFLUSH);  /* nothing typed before it was on */
	}
	rc = evloop_add_fd(c->ctx->loop, fd, POLLIN, on_serial, c);
	if (rc < 0) {
		snprintf(c->err, sizeof(c->err), "event loop: %s", strerror(-rc));
		close(fd);
		return rc;
	}
	c->fd = fd;
	dbgline_init(&c->line);
	con_puts(c, "\nedgevisor debug console, enabled by the controller "
		    "(debug.enable.console); type help\n" CONSOLE_PROMPT);
	log_notice("debug console on %s: enabled by the controller (debug.enable.console)",
		   c->dev);
	return 0;
}

static void
con_close(struct console *c, const char *why)
{
	if (c->fd < 0)
		return;
	if (why)
		con_puts(c, why);
	if (c->is_tty) {
		tcdrain(c->fd);
		tcsetattr(c->fd, TCSANOW, &c->saved);
	}
	evloop_del_fd(c->ctx->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	c->logs_pending = false;
}

/* ---- commands ---- */

static void
cmd_ports(struct console *c, struct dbgout *o, struct dbg_port *ports, size_t *np)
{
	struct rtnl_link links[RTNL_LINKS_MAX];
	struct rtnl r;
	size_t n = 0;
	int rc;

	*np = 0;
	if ((rc = rtnl_open(&r, 0)) < 0) {
		dbgout_printf(o, "ports: netlink: %s\n", strerror(-rc));
		return;
	}
	if ((rc = rtnl_links(&r, links, RTNL_LINKS_MAX, &n)) < 0) {
		dbgout_printf(o, "ports: netlink: %s\n", strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		memset(&ports[i], 0, sizeof(ports[i]));
		ports[i].link = links[i];
		if (rtnl_addrs(&r, links[i].index, ports[i].addr, ports[i].plen, DBG_PORT_ADDRS,
			       &ports[i].naddr) < 0)
			ports[i].naddr = 0;
	}
	*np = n;
out:
	rtnl_close(&r);
	(void)c;
}

/* A RTM_GETROUTE dump of IPv4 routes, each parsed by dbgroute_parse. */
static int
dump_routes(struct dbg_route *out, size_t max, size_t *n)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg m;
	} req = { .h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETROUTE,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		  .m = { .rtm_family = AF_INET } };
	struct timeval tv = { .tv_sec = 2 };
	static uint8_t buf[32768];
	int fd, rc = 0;

	*n = 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, &req, sizeof(req), 0) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		size_t left;
		struct nlmsghdr *h;

		if (len < 0) {
			rc = -errno;
			goto out;
		}
		left = (size_t)len;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_DONE)
				goto out;
			if (h->nlmsg_type == NLMSG_ERROR) {
				rc = -EPROTO;
				goto out;
			}
			if (*n < max && dbgroute_parse(h, h->nlmsg_len, &out[*n]) == 0)
				(*n)++;
		}
	}
out:
	close(fd);
	return rc;
}

static uint16_t
icmp_sum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* 3 echoes to one IPv4 address, each waited for at most 1 s: an ICMP
 * datagram socket when net.ipv4.ping_group_range allows it, else raw. */
static void
cmd_ping(struct console *c, struct dbgout *o, const struct dbgcmd *cmd)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = cmd->addr };
	uint16_t ident;
	unsigned got = 0;
	bool raw = false;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0 && (errno == EACCES || errno == EPERM)) {
		fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
		raw = true;
	}
	if (fd < 0) {
		dbgout_printf(o, "ping: ICMP socket: %s\n", strerror(errno));
		return;
	}
	if (getrandom(&ident, sizeof(ident), 0) != sizeof(ident))
		ident = (uint16_t)getpid();
	for (unsigned seq = 1; seq <= CONSOLE_PING_COUNT; seq++) {
		struct icmphdr req = { .type = ICMP_ECHO };
		uint8_t pkt[sizeof(req) + 16], rbuf[1500];
		uint64_t sent_ms = evloop_now_ms(), until = sent_ms + CONSOLE_PING_WAIT_MS;
		struct timespec t0, t1;
		bool answered = false;

		req.un.echo.id = htons(ident);
		req.un.echo.sequence = htons((uint16_t)seq);
		memcpy(pkt, &req, sizeof(req));
		memcpy(pkt + sizeof(req), "edgevisor-dbgcon", 16);
		((struct icmphdr *)pkt)->checksum = icmp_sum(pkt, sizeof(pkt));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			dbgout_printf(o, "icmp_seq=%u: send: %s\n", seq, strerror(errno));
			continue;
		}
		while (!answered) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			uint64_t now = evloop_now_ms();
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			const struct icmphdr *rep;
			ssize_t r;
			size_t off = 0;

			if (now >= until || poll(&p, 1, (int)(until - now)) <= 0)
				break;
			r = recvfrom(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT, (struct sockaddr *)&from,
				     &fl);
			if (r <= 0)
				continue;
			if (raw) {
				const struct iphdr *ip = (const struct iphdr *)rbuf;

				if ((size_t)r < sizeof(*ip))
					continue;
				off = (size_t)ip->ihl * 4;
			}
			if ((size_t)r < off + sizeof(*rep))
				continue;
			rep = (const struct icmphdr *)(rbuf + off);
			if (rep->type != ICMP_ECHOREPLY || ntohs(rep->un.echo.sequence) != seq ||
			    (raw && ntohs(rep->un.echo.id) != ident) ||
			    from.sin_addr.s_addr != cmd->addr)
				continue;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			dbgout_printf(o, "reply from %s: icmp_seq=%u time=%.2f ms\n", cmd->host, seq,
				      (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
				      (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
			answered = true;
			got++;
		}
		if (!answered)
			dbgout_printf(o, "no reply from %s: icmp_seq=%u (1 s)\n", cmd->host, seq);
	}
	close(fd);
	dbgout_printf(o, "ping %s: %u sent, %u received\n", cmd->host, CONSOLE_PING_COUNT, got);
	(void)c;
}

/* TCP + TLS to the controller of /config (the evc role's link code): the
 * connection, the handshake and the certificate check against
 * root-certificate.pem and the server name, then an unsigned GET ping. */
static void
cmd_controller(struct console *c, struct dbgout *o)
{
	struct devconf *conf = calloc(1, sizeof(*conf));
	struct link *l = malloc(sizeof(*l));
	char err[LINK_ERR_MAX > DEVCONF_ERR_MAX ? LINK_ERR_MAX : DEVCONF_ERR_MAX];
	uint8_t *resp = NULL;
	size_t rlen;
	int status = 0, rc;
	bool linked = false, loaded = false;

	if (!conf || !l) {
		dbgout_printf(o, "controller: out of memory\n");
		goto out;
	}
	if ((rc = devconf_load(conf, c->ctx->o->config_dir, err)) < 0) {
		dbgout_printf(o, "controller: FAILED: configuration: ");
		dbgout_str(o, err, sizeof(err));
		dbgout_printf(o, "\n");
		goto out;
	}
	loaded = true;
	dbgout_printf(o, "controller %s:%u (%s)\n", conf->host, conf->port,
		      conf->proxy[0] ? "through the proxy" : "direct");
	if ((rc = link_init(l, conf, CONSOLE_CTRL_TIMEOUT_MS, err)) < 0) {
		dbgout_printf(o, "controller: FAILED: root-certificate.pem: ");
		dbgout_str(o, err, sizeof(err));
		dbgout_printf(o, "\n");
		goto out;
	}
	linked = true;
	rc = link_request(l, "GET", conf->api_v1 ? "/api/v1/edgedevice/ping"
						 : "/api/v2/edgedevice/ping",
			  NULL, 0, &status, &resp, &rlen, err);
	if (rc < 0) {
		dbgout_printf(o, "controller: FAILED: ");
		dbgout_str(o, err, sizeof(err));
		dbgout_printf(o, "\n");
		goto out;
	}
	dbgout_printf(o, "tcp: connected\ntls: handshake ok, TLS 1.2 %s\n",
		      tls_suite_name(tls_suite(&l->tls)) ? tls_suite_name(tls_suite(&l->tls))
							   : "?");
	dbgout_printf(o, "certificate: verified (chain to root-certificate.pem, name %s)\n",
		      conf->host);
	dbgout_printf(o, "ping: HTTP %d\ncontroller: ok\n", status);
out:
	free(resp);
	if (linked)
		link_fini(l);
	if (loaded)
		devconf_free(conf);
	free(l);
	free(conf);
}

static void
cmd_version(struct console *c, struct dbgout *o)
{
	struct utsname u;

	dbgout_printf(o, "eved (edgevisor 0.1), %s mode", c->ctx->o->host_mode ? "host" : "dom0");
	if (c->ctx->o->slot)
		dbgout_printf(o, ", slot %s", c->ctx->o->slot);
	if (uname(&u) == 0)
		dbgout_printf(o, ", kernel %s %s", u.release, u.machine);
	dbgout_printf(o, "\n");
}

static void
run_line(struct console *c, const char *line, size_t len)
{
	static struct dbg_port ports[RTNL_LINKS_MAX];
	static struct dbg_route routes[CONSOLE_ROUTES_MAX];
	struct dbgcmd cmd;
	struct dbgout o;
	char err[DBGCMD_ERR_MAX];
	size_t np = 0, nr = 0;
	uint32_t n;
	int rc;

	dbgout_init(&o, c->out, sizeof(c->out));
	rc = dbgcmd_parse(line, len, &cmd, err, sizeof(err));
	if (rc < 0) {
		dbgout_printf(&o, "error: %s\n", err);
		log_info("debug console: refused: %s", err);
		goto prompt;
	}
	if (cmd.id != DBG_EMPTY)
		log_info("debug console: %s", dbgcmd_name(cmd.id));
	switch (cmd.id) {
	case DBG_EMPTY:
		break;
	case DBG_HELP:
		dbgcmd_help(&o);
		break;
	case DBG_PORTS:
		cmd_ports(c, &o, ports, &np);
		dbgcmd_fmt_ports(&o, ports, np);
		break;
	case DBG_ROUTES:
		cmd_ports(c, &o, ports, &np);
		if ((rc = dump_routes(routes, CONSOLE_ROUTES_MAX, &nr)) < 0)
			dbgout_printf(&o, "routes: netlink: %s\n", strerror(-rc));
		else
			dbgcmd_fmt_routes(&o, routes, nr, ports, np);
		break;
	case DBG_DOMAINS:
		dbgcmd_fmt_domains(&o, c->st);
		break;
	case DBG_LOGS:
		n = cmd.n;
		if (role_send(c->ctx, IPC_CONSOLE_LOGS, &n, sizeof(n)) < 0) {
			dbgout_printf(&o, "logs: the supervisor did not take the request\n");
			break;
		}
		c->logs_pending = true;
		return; /* the answer comes as IPC_CONSOLE_LOGS, then the prompt */
	case DBG_PING:
		cmd_ping(c, &o, &cmd);
		break;
	case DBG_CONTROLLER:
		cmd_controller(c, &o);
		break;
	case DBG_VERSION:
		cmd_version(c, &o);
		break;
	case DBG_EXIT:
		dbgout_printf(&o, "session ended (the console stays enabled until the "
				  "controller turns it off)\n\nedgevisor debug console; type help\n");
		break;
	}
prompt:
	con_flush_out(c, &o);
	con_puts(c, CONSOLE_PROMPT);
}

static void
on_serial(struct evloop *l, int fd, short revents, void *arg)
{
	struct console *c = arg;
	uint8_t buf[512];
	ssize_t r;

	(void)l;
	(void)fd;
	r = read(c->fd, buf, sizeof(buf));
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0 || (revents & (POLLHUP | POLLERR) && r <= 0)) {
		/* a hung-up line (a pty whose other side went): try again later */
		snprintf(c->err, sizeof(c->err), "%s: %s", c->dev,
			 r < 0 ? strerror(errno) : "hung up");
		log_warn("debug console: %s; reopening in %d s", c->err, CONSOLE_REOPEN_MS / 1000);
		con_close(c, NULL);
		send_state(c);
		evloop_timer_arm(&c->reopen, CONSOLE_REOPEN_MS, 0);
		return;
	}
	for (ssize_t i = 0; i < r && c->fd >= 0; i++) {
		int rc = dbgline_push(&c->line, buf[i]);

		if (rc == 1) {
			run_line(c, c->line.buf, c->line.len);
		} else if (rc == -E2BIG) {
			char msg[96];

			snprintf(msg, sizeof(msg), "error: line longer than %d bytes: ignored\n"
				 CONSOLE_PROMPT, DBGCMD_LINE_MAX);
			con_puts(c, msg);
		}
	}
}

static void
on_reopen(struct evloop *l, void *arg)
{
	struct console *c = arg;

	(void)l;
	if (!c->want || c->fd >= 0)
		return;
	if (con_open(c) < 0)
		evloop_timer_arm(&c->reopen, CONSOLE_REOPEN_MS, 0);
	send_state(c);
}

/* ---- messages ---- */

static int
take_enable(struct console *c, const struct ipc_msg *m)
{
	struct ipc_console_enable en;

	memcpy(&en, m->data, sizeof(en));
	if (en.on > 1) {
		log_err("CONSOLE_ENABLE: on = %u is not 0 or 1", en.on);
		return -EBADMSG;
	}
	c->want = en.on;
	if (c->want && c->fd < 0) {
		if (con_open(c) < 0)
			log_err("debug console: cannot enable: %s", c->err);
	} else if (!c->want) {
		evloop_timer_arm(&c->reopen, 0, 0);
		c->err[0] = '\0';
		if (c->fd >= 0) {
			con_close(c, "\ndebug console disabled by the controller; closing\n");
			log_notice("debug console on %s: disabled by the controller", c->dev);
		}
	}
	send_state(c);
	return 0;
}

static int
take_status(struct console *c, const struct ipc_msg *m)
{
	uint64_t size;
	void *data = NULL;
	size_t len;
	char err[256];
	int rc;

	memcpy(&size, m->data, sizeof(size));
	rc = ipc_blob_read(m->fd, sizeof(struct apps_status), &data, &len);
	if (rc < 0) {
		log_err("APPS_STATUS: %s", strerror(-rc));
		return rc;
	}
	if (len != size || appstatus_check(data, len, err, sizeof(err)) < 0) {
		log_err("APPS_STATUS: %s", len != size ? "size differs from the memfd's" : err);
		free(data);
		return -EBADMSG;
	}
	free(c->st);
	c->st = data;
	return 0;
}

static int
take_logs(struct console *c, const struct ipc_msg *m)
{
	struct log_entry *e = NULL;
	uint64_t size;
	size_t len;
	struct dbgout o;
	int rc;

	memcpy(&size, m->data, sizeof(size));
	rc = ipc_blob_read(m->fd, 1024 * sizeof(struct log_entry), (void **)&e, &len);
	if (rc < 0) {
		log_err("CONSOLE_LOGS: %s", strerror(-rc));
		return rc;
	}
	if (size > len || size % sizeof(struct log_entry)) {
		log_err("CONSOLE_LOGS: %llu bytes are not whole log entries",
			(unsigned long long)size);
		free(e);
		return -EBADMSG;
	}
	if (c->fd >= 0 && c->logs_pending) {
		dbgout_init(&o, c->out, sizeof(c->out));
		for (size_t i = 0; i < size / sizeof(*e); i++) {
			e[i].source[sizeof(e[i].source) - 1] = '\0';
			e[i].text[sizeof(e[i].text) - 1] = '\0';
			dbgcmd_fmt_log(&o, &e[i]);
		}
		if (size == 0)
			dbgout_printf(&o, "no log entries\n");
		con_flush_out(c, &o);
		con_puts(c, CONSOLE_PROMPT);
	}
	c->logs_pending = false;
	free(e);
	return 0;
}

int
console_on_msg(struct role_ctx *ctx, const struct ipc_msg *m)
{
	struct console *c = ctx->state;

	switch (m->type) {
	case IPC_CONSOLE_ENABLE:
		return take_enable(c, m);
	case IPC_APPS_STATUS:
		return take_status(c, m);
	case IPC_CONSOLE_LOGS:
		return take_logs(c, m);
	default:
		log_err("console does not take message type %u", m->type);
		return -EBADMSG;
	}
}

int
console_init(struct role_ctx *ctx)
{
	struct console *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	c->ctx = ctx;
	c->fd = -1;
	c->dev = ctx->o->debug_console_dev;
	if ((rc = evloop_timer_add(ctx->loop, &c->reopen, on_reopen, c)) < 0) {
		free(c);
		return rc;
	}
	ctx->state = c;
	return 0;
}

void
console_fini(struct role_ctx *ctx)
{
	struct console *c = ctx->state;

	if (!c)
		return;
	con_close(c, "\ndebug console: eved is stopping; closing\n");
	evloop_timer_del(&c->reopen);
	free(c->st);
	free(c);
	ctx->state = NULL;
}
