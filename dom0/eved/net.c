/*
 * net: the net role's DHCP client.  With --net-dhcp auto every physical
 * Ethernet port (rtnl_link_is_physical), else the ports named; none (the
 * host-mode default) does nothing at all.  Brings lo up; per port: link up,
 * an AF_PACKET SOCK_DGRAM socket for IPv4 with a BPF filter for UDP to port
 * 68 (no UDP socket: dom0 listens on no port), the pure dhcp_fsm driven by
 * received replies, one timerfd and the link monitor (carrier).  A lease
 * becomes the address (its lifetime the lease), the default route (metric
 * 100 + port slot) and <run-dir>/resolv.conf.  On stop: RELEASE.
 */
#include "eved.h"
#include "evloop.h"

#include "atomicfile.h"
#include "dhcp.h"
#include "rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define NET_PORTS_MAX 8
#define NET_METRIC_BASE 100

struct net_role;

struct port {
	bool used;
	struct net_role *nr;
	char name[IF_NAMESIZE];
	int index;
	uint8_t mac[6];
	int sock;                   /* AF_PACKET; -1 none */
	struct evloop_timer timer;
	bool timer_added;
	bool carrier;
	uint8_t server_mac[6];      /* for unicast RENEW / RELEASE */
	bool have_server_mac;
	struct dhcp_fsm fsm;
};

struct net_role {
	struct role_ctx *ctx;
	struct rtnl rt, mon;
	bool all_physical;          /* --net-dhcp auto */
	char names[NET_PORTS_MAX][IF_NAMESIZE];
	unsigned nnames;
	struct port port[NET_PORTS_MAX];
	char resolv[512];
};

static void port_actions(struct port *p, const struct dhcp_actions *a);

static uint64_t
now_ms(void)
{
	return evloop_now_ms();
}

/* "none", "auto", or IF[,IF]...: 0, or -EINVAL. */
static int
parse_spec(struct net_role *nr, const char *spec)
{
	const char *s = spec;

	if (strcmp(spec, "auto") == 0) {
		nr->all_physical = true;
		return 0;
	}
	while (*s) {
		size_t n = strcspn(s, ",");

		if (n == 0 || n >= IF_NAMESIZE || nr->nnames >= NET_PORTS_MAX)
			return -EINVAL;
		memcpy(nr->names[nr->nnames], s, n);
		nr->names[nr->nnames++][n] = 0;
		s += n;
		if (*s == ',')
			s++;
	}
	return nr->nnames ? 0 : -EINVAL;
}

static bool
wanted(struct net_role *nr, const struct rtnl_link *l)
{
	for (unsigned i = 0; i < nr->nnames; i++)
		if (strcmp(nr->names[i], l->name) == 0)
			return true;
	return nr->all_physical && rtnl_link_is_physical(l, "/sys");
}

static struct port *
port_by_index(struct net_role *nr, int index)
{
	for (int i = 0; i < NET_PORTS_MAX; i++)
		if (nr->port[i].used && nr->port[i].index == index)
			return &nr->port[i];
	return NULL;
}

static void
resolv_write(struct net_role *nr)
{
	char buf[1024], ip[16], err[256];
	size_t len = 0;
	unsigned ns = 0;
	bool search = false;
	int rc;

	len += (size_t)snprintf(buf, sizeof(buf), "# written by eved (net role, DHCP)\n");
	for (int i = 0; i < NET_PORTS_MAX; i++) {
		struct port *p = &nr->port[i];

		if (!p->used || !p->fsm.bound)
			continue;
		if (!search && p->fsm.lease.domain[0]) {
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "search %s\n",
						p->fsm.lease.domain);
			search = true;
		}
		for (unsigned k = 0; k < p->fsm.lease.ndns && ns < 3; k++, ns++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "nameserver %s\n",
						dhcp_ntoa(p->fsm.lease.dns[k], ip));
	}
	if (ns == 0 && !search) {
		if (unlink(nr->resolv) < 0 && errno != ENOENT)
			log_warn("%s: %s", nr->resolv, strerror(errno));
		return;
	}
	rc = atomicfile_write(nr->resolv, buf, len, 0644, 0, err, sizeof(err));
	if (rc < 0)
		log_warn("%s", err);
}

static uint32_t
port_metric(const struct port *p)
{
	return NET_METRIC_BASE + (uint32_t)(p - p->nr->port);
}

static void
lease_unapply(struct port *p, const struct dhcp_lease *l)
{
	struct net_role *nr = p->nr;
	char ip[16];
	int rc;

	if (l->router)
		rtnl_route_del(&nr->rt, p->index, 0, 0, l->router, port_metric(p));
	for (unsigned i = 0; i < l->nroutes; i++)
		rtnl_route_del(&nr->rt, p->index, l->routes[i].dst, l->routes[i].plen,
			       l->routes[i].gw, port_metric(p));
	rc = rtnl_addr_del(&nr->rt, p->index, l->addr, l->plen);
	if (rc < 0 && rc != -EADDRNOTAVAIL)
		log_warn("%s: removing %s/%u: %s", p->name, dhcp_ntoa(l->addr, ip), l->plen,
			 strerror(-rc));
	log_notice("%s: address %s/%u removed", p->name, dhcp_ntoa(l->addr, ip), l->plen);
}

static void
lease_apply(struct port *p, bool renewed)
{
	struct net_role *nr = p->nr;
	const struct dhcp_lease *l = &p->fsm.lease;
	char ip[16], gw[16], dns[80] = "", *d = dns;
	uint32_t valid = l->lease_s == UINT32_MAX ? 0 : l->lease_s;
	int rc;

	rc = rtnl_addr_replace(&nr->rt, p->index, l->addr, l->plen, valid);
	if (rc < 0)
		log_err("%s: setting %s/%u: %s", p->name, dhcp_ntoa(l->addr, ip), l->plen,
			strerror(-rc));
	for (unsigned i = 0; i < l->nroutes; i++) {
		rc = rtnl_route_replace(&nr->rt, p->index, l->routes[i].dst, l->routes[i].plen,
					l->routes[i].gw, port_metric(p));
		if (rc < 0)
			log_warn("%s: route %s/%u via %s: %s", p->name,
				 dhcp_ntoa(l->routes[i].dst, ip), l->routes[i].plen,
				 dhcp_ntoa(l->routes[i].gw, gw), strerror(-rc));
	}
	if (l->router) {
		rc = rtnl_route_replace(&nr->rt, p->index, 0, 0, l->router, port_metric(p));
		if (rc < 0)
			log_warn("%s: default route via %s: %s", p->name, dhcp_ntoa(l->router, gw),
				 strerror(-rc));
	}
	resolv_write(nr);
	for (unsigned k = 0; k < l->ndns; k++)
		d += snprintf(d, sizeof(dns) - (size_t)(d - dns), "%s%s", k ? "," : "",
			      dhcp_ntoa(l->dns[k], ip));
	if (l->lease_s == UINT32_MAX)
		log_notice("%s %s %s/%u router %s dns %s lease infinite", p->name,
			   renewed ? "renewed" : "bound", dhcp_ntoa(l->addr, ip), l->plen,
			   l->router ? dhcp_ntoa(l->router, gw) : "none", dns[0] ? dns : "none");
	else
		log_notice("%s %s %s/%u router %s dns %s lease %u s", p->name,
			   renewed ? "renewed" : "bound", dhcp_ntoa(l->addr, ip), l->plen,
			   l->router ? dhcp_ntoa(l->router, gw) : "none", dns[0] ? dns : "none",
			   l->lease_s);
}

static void
port_send(struct port *p, const struct dhcp_actions *a)
{
	uint8_t msg[DHCP_MSG_MAX], pkt[DHCP_MSG_MAX + DHCP_IP_HDRS];
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
				  .sll_ifindex = p->index, .sll_halen = 6 };
	int n, len;

	n = dhcp_build(msg, sizeof(msg), &a->out);
	if (n < 0) {
		log_err("%s: building DHCP %s: %s", p->name, dhcp_type_name(a->out.type),
			strerror(-n));
		return;
	}
	len = dhcp_ip_build(pkt, sizeof(pkt), a->src, a->dst, DHCP_CLIENT_PORT, DHCP_SERVER_PORT,
			    msg, (size_t)n);
	if (len < 0)
		return;
	if (a->dst != INADDR_BROADCAST && p->have_server_mac)
		memcpy(to.sll_addr, p->server_mac, 6);
	else
		memset(to.sll_addr, 0xff, 6);
	if (sendto(p->sock, pkt, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		log_warn("%s: sending DHCP %s: %s", p->name, dhcp_type_name(a->out.type),
			 strerror(errno));
	else
		log_debug("%s: sent DHCP %s xid %08x", p->name, dhcp_type_name(a->out.type),
			  a->out.xid);
}

static void
port_actions(struct port *p, const struct dhcp_actions *a)
{
	uint64_t now = now_ms();

	if (a->note && !a->apply)
		log_info("%s: %s", p->name, a->note);
	if (a->unapply) {
		lease_unapply(p, &a->old);
		resolv_write(p->nr);
	}
	if (a->apply)
		lease_apply(p, a->renewed);
	if (a->send && p->sock >= 0)
		port_send(p, a);
	if (a->timer_at != DHCP_TIMER_KEEP && p->timer_added)
		evloop_timer_arm(&p->timer, a->timer_at ? (a->timer_at > now ? a->timer_at - now : 1)
							: 0, 0);
}

static void
port_event(struct port *p, enum dhcp_event ev, const struct dhcp_msg *m)
{
	struct dhcp_actions a;
	enum dhcp_state before = p->fsm.state;

	dhcp_fsm_event(&p->fsm, ev, m, now_ms(), &a);
	if (before != p->fsm.state)
		log_debug("%s: DHCP %s -> %s", p->name, dhcp_state_name(before),
			  dhcp_state_name(p->fsm.state));
	port_actions(p, &a);
}

static void
on_timer(struct evloop *l, void *arg)
{
	(void)l;
	port_event(arg, DHCP_EV_TIMER, NULL);
}

static void
on_packet(struct evloop *l, int fd, short revents, void *arg)
{
	struct port *p = arg;
	uint8_t buf[2048];

	(void)l;
	(void)revents;
	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		struct dhcp_udp u;
		struct dhcp_msg m;
		char err[DHCP_ERR_MAX];
		int rc;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("%s: receiving: %s", p->name, strerror(errno));
			return;
		}
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		rc = dhcp_ip_parse(buf, (size_t)n, DHCP_CLIENT_PORT, &u, err, sizeof(err));
		if (rc == -EBADMSG)
			log_debug("%s: %s", p->name, err);
		if (rc < 0)
			continue;
		rc = dhcp_parse(u.payload, u.len, u.src, p->fsm.xid, p->mac, &m, err, sizeof(err));
		if (rc == -EBADMSG)
			log_warn("%s: %s", p->name, err);
		if (rc < 0)
			continue;
		if (m.type == DHCP_NAK)
			log_notice("%s: DHCP NAK from server %s%s%s", p->name,
				   dhcp_ntoa(m.server_id, err), m.message[0] ? ": " : "", m.message);
		if (m.type != DHCP_NAK && fl >= sizeof(from) - sizeof(from.sll_addr) + 6 &&
		    from.sll_halen == 6) {
			memcpy(p->server_mac, from.sll_addr, 6);
			p->have_server_mac = true;
		}
		port_event(p, DHCP_EV_RX, &m);
	}
}

/* Only UDP to port 68 in unfragmented IPv4 reaches us (classic BPF over the
 * IP header, as SOCK_DGRAM delivers it). */
static int
attach_filter(int fd)
{
	static struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),             /* protocol */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 6),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),             /* flags + fragment offset */
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 4, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),            /* X = header length */
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),             /* UDP destination port */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCP_CLIENT_PORT, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return -errno;
	return 0;
}

static void
port_close(struct port *p)
{
	if (p->sock >= 0) {
		evloop_del_fd(p->nr->ctx->loop, p->sock);
		close(p->sock);
	}
	if (p->timer_added)
		evloop_timer_del(&p->timer);
	p->used = false;
	p->sock = -1;
	p->timer_added = false;
}

static int
port_open(struct net_role *nr, const struct rtnl_link *l)
{
	struct port *p = NULL;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
				   .sll_ifindex = l->index };
	uint32_t seed = 0, addrs[4];
	uint8_t plens[4];
	size_t naddr = 0;
	char ip[16];
	int rc;

	for (int i = 0; i < NET_PORTS_MAX && !p; i++)
		if (!nr->port[i].used)
			p = &nr->port[i];
	if (!p) {
		log_warn("%s: more than %d ports; not managed", l->name, NET_PORTS_MAX);
		return -ENOSPC;
	}
	if (!l->has_mac) {
		log_warn("%s: no Ethernet address; not managed", l->name);
		return -EINVAL;
	}
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->nr = nr;
	p->sock = -1;
	snprintf(p->name, sizeof(p->name), "%s", l->name);
	p->index = l->index;
	memcpy(p->mac, l->mac, 6);
	if ((rc = rtnl_link_set_up(&nr->rt, l->index)) < 0) {
		log_err("%s: setting the link up: %s", p->name, strerror(-rc));
		goto out;
	}
	p->sock = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (p->sock < 0) {
		rc = -errno;
		log_err("%s: packet socket: %s", p->name, strerror(-rc));
		goto out;
	}
	if ((rc = attach_filter(p->sock)) < 0 ||
	    (bind(p->sock, (struct sockaddr *)&sll, sizeof(sll)) < 0 && (rc = -errno))) {
		log_err("%s: packet socket filter/bind: %s", p->name, strerror(-rc));
		goto out;
	}
	if ((rc = evloop_add_fd(nr->ctx->loop, p->sock, POLLIN, on_packet, p)) < 0 ||
	    (rc = evloop_timer_add(nr->ctx->loop, &p->timer, on_timer, p)) < 0) {
		log_err("%s: event loop: %s", p->name, strerror(-rc));
		goto out;
	}
	p->timer_added = true;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint32_t)now_ms() ^ (uint32_t)getpid();
	dhcp_fsm_init(&p->fsm, p->mac, NULL, seed);
	/* An address left by a previous run of this role is asked for again
	 * (INIT-REBOOT) and removed meanwhile: a NAK must not leave it behind. */
	if (rtnl_addrs(&nr->rt, p->index, addrs, plens, 4, &naddr) == 0 && naddr) {
		p->fsm.prev_addr = addrs[0];
		log_info("%s: found %s/%u from before", p->name, dhcp_ntoa(addrs[0], ip), plens[0]);
		rtnl_addr_flush(&nr->rt, p->index);
	}
	log_info("%s: DHCP on %02x:%02x:%02x:%02x:%02x:%02x (index %d)", p->name, p->mac[0],
		 p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5], p->index);
	p->carrier = l->carrier;
	if (p->carrier) {
		port_event(p, DHCP_EV_START, NULL);
	} else {
		port_event(p, DHCP_EV_LINK_DOWN, NULL);
	}
	return 0;
out:
	port_close(p);
	return rc;
}

static void
on_link(const struct rtnl_link *l, bool deleted, void *arg)
{
	struct net_role *nr = arg;
	struct port *p = port_by_index(nr, l->index);

	if (!p) {
		if (!deleted && wanted(nr, l))
			port_open(nr, l);
		return;
	}
	if (deleted) {
		struct dhcp_actions a;

		log_notice("%s: link removed", p->name);
		dhcp_fsm_event(&p->fsm, DHCP_EV_LINK_DOWN, NULL, now_ms(), &a);
		if (a.unapply)
			resolv_write(nr); /* the kernel took the address with the link */
		port_close(p);
		return;
	}
	if (l->carrier == p->carrier)
		return;
	p->carrier = l->carrier;
	log_notice("%s: carrier %s", p->name, l->carrier ? "up" : "down");
	if (l->carrier)
		port_event(p, DHCP_EV_LINK_UP, NULL);
	else
		port_event(p, DHCP_EV_LINK_DOWN, NULL);
}

static void
scan_links(struct net_role *nr)
{
	struct rtnl_link links[RTNL_LINKS_MAX];
	size_t n = 0;
	int rc = rtnl_links(&nr->rt, links, RTNL_LINKS_MAX, &n);

	if (rc < 0) {
		log_err("listing links: %s", strerror(-rc));
		return;
	}
	for (size_t i = 0; i < n; i++)
		on_link(&links[i], false, nr);
}

static void
on_monitor(struct evloop *l, int fd, short revents, void *arg)
{
	struct net_role *nr = arg;
	int rc;

	(void)l;
	(void)fd;
	(void)revents;
	rc = rtnl_monitor_read(&nr->mon, on_link, nr);
	if (rc == -ENOBUFS) {
		log_warn("link monitor overflowed; listing links again");
		scan_links(nr);
	} else if (rc < 0) {
		log_warn("link monitor: %s", strerror(-rc));
	}
}

int
net_init(struct role_ctx *ctx)
{
	const char *spec = ctx->o->net_dhcp ? ctx->o->net_dhcp : "none";
	struct net_role *nr;
	struct rtnl_link lo;
	int rc;

	if (strcmp(spec, "none") == 0)
		return 0; /* nothing to hold */
	nr = calloc(1, sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	nr->ctx = ctx;
	nr->rt.fd = nr->mon.fd = -1;
	for (int i = 0; i < NET_PORTS_MAX; i++)
		nr->port[i].sock = -1;
	if (parse_spec(nr, spec) < 0) {
		log_err("--net-dhcp: '%s' is not none, auto or IF[,IF]...", spec);
		rc = -EINVAL;
		goto out;
	}
	snprintf(nr->resolv, sizeof(nr->resolv), "%s/resolv.conf",
		 ctx->o->run_dir ? ctx->o->run_dir : "/run/edgevisor");
	if (ctx->o->run_dir && mkdir(ctx->o->run_dir, 0755) < 0 && errno != EEXIST)
		log_warn("%s: %s", ctx->o->run_dir, strerror(errno));
	if ((rc = rtnl_open(&nr->rt, 0)) < 0 || (rc = rtnl_open(&nr->mon, RTMGRP_LINK)) < 0) {
		log_err("netlink: %s", strerror(-rc));
		goto out;
	}
	if ((rc = evloop_add_fd(ctx->loop, nr->mon.fd, POLLIN, on_monitor, nr)) < 0)
		goto out;
	if (rtnl_link_by_name(&nr->rt, "lo", &lo) == 0 && (rc = rtnl_link_set_up(&nr->rt, lo.index)) < 0)
		log_warn("lo: setting up: %s", strerror(-rc));
	ctx->state = nr;
	log_info("DHCP on %s", nr->all_physical ? "every physical Ethernet port" : spec);
	scan_links(nr);
	for (unsigned i = 0; i < nr->nnames; i++) {
		bool found = false;

		for (int k = 0; k < NET_PORTS_MAX; k++)
			found |= nr->port[k].used && strcmp(nr->port[k].name, nr->names[i]) == 0;
		if (!found)
			log_notice("%s: no such link yet; waiting for it", nr->names[i]);
	}
	return 0;
out:
	if (nr->mon.fd >= 0)
		evloop_del_fd(ctx->loop, nr->mon.fd);
	rtnl_close(&nr->mon);
	rtnl_close(&nr->rt);
	free(nr);
	ctx->state = NULL;
	return rc;
}

void
net_fini(struct role_ctx *ctx)
{
	struct net_role *nr = ctx->state;

	if (!nr)
		return;
	for (int i = 0; i < NET_PORTS_MAX; i++) {
		struct port *p = &nr->port[i];

		if (!p->used)
			continue;
		port_event(p, DHCP_EV_STOP, NULL);
		port_close(p);
	}
	evloop_del_fd(ctx->loop, nr->mon.fd);
	rtnl_close(&nr->mon);
	rtnl_close(&nr->rt);
	free(nr);
	ctx->state = NULL;
}
