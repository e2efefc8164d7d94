/* rtnl: NETLINK_ROUTE helpers.  See rtnl.h. */
#include "rtnl.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define RTNL_BUF 32768

int
rtnl_open(struct rtnl *r, unsigned groups)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	int fd, rc;

	r->fd = -1;
	r->seq = 1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | (groups ? SOCK_NONBLOCK : 0),
		    NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	r->fd = fd;
	return 0;
}

void
rtnl_close(struct rtnl *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* msg: a whole request buffer of cap bytes starting with its nlmsghdr. */
static void
attr_put(void *msg, size_t cap, unsigned short type, const void *d, size_t len)
{
	struct nlmsghdr *n = msg;
	uint8_t *base = msg;
	size_t need = NLMSG_ALIGN(n->nlmsg_len) + RTA_SPACE(len);
	struct rtattr *a = (struct rtattr *)(base + NLMSG_ALIGN(n->nlmsg_len));

	if (need > cap)
		return; /* our own requests are tiny; never happens */
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), d, len);
	n->nlmsg_len = (uint32_t)need;
}

/*
 * Sends n and reads replies until the ACK (or DONE of a dump).  each: called
 * for every data message of the answer (a dump), may be NULL.
 */
static int
rtnl_talk(struct rtnl *r, struct nlmsghdr *n, int (*each)(struct nlmsghdr *m, void *arg),
	  void *arg)
{
	static __thread uint8_t buf[RTNL_BUF] __attribute__((aligned(4)));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	uint32_t seq = ++r->seq;
	int rc = 0;

	n->nlmsg_seq = seq;
	n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (sendto(r->fd, n, n->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		ssize_t got = recv(r->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *m;
		size_t left;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left = (size_t)got;
		for (m = (struct nlmsghdr *)buf; NLMSG_OK(m, left); m = NLMSG_NEXT(m, left)) {
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_DONE)
				return rc;
			if (m->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(m);

				if (m->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EBADMSG;
				if (e->error)
					return e->error;
				return rc;
			}
			if (each && rc == 0)
				rc = each(m, arg);
		}
	}
}

int
rtnl_link_parse(const void *p, size_t len, struct rtnl_link *out)
{
	const struct nlmsghdr *n = p;
	const struct ifinfomsg *ifi;
	const struct rtattr *a;
	size_t alen;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(*n) || n->nlmsg_len > len || n->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -EBADMSG;
	if (n->nlmsg_type != RTM_NEWLINK && n->nlmsg_type != RTM_DELLINK)
		return -ENOENT;
	ifi = NLMSG_DATA(n);
	out->index = ifi->ifi_index;
	out->type = ifi->ifi_type;
	out->up = ifi->ifi_flags & IFF_UP;
	out->carrier = ifi->ifi_flags & IFF_LOWER_UP;
	alen = n->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	for (a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		size_t dl = RTA_PAYLOAD(a);

		switch (a->rta_type) {
		case IFLA_IFNAME:
			if (dl == 0 || dl > IF_NAMESIZE)
				return -EBADMSG;
			memcpy(out->name, RTA_DATA(a), dl);
			out->name[IF_NAMESIZE - 1] = 0;
			break;
		case IFLA_ADDRESS:
			if (dl == 6) {
				memcpy(out->mac, RTA_DATA(a), 6);
				out->has_mac = true;
			}
			break;
		case IFLA_LINKINFO: {
			const struct rtattr *b;
			size_t blen = dl;

			for (b = RTA_DATA(a); RTA_OK(b, blen); b = RTA_NEXT(b, blen)) {
				size_t kl = RTA_PAYLOAD(b);

				if (b->rta_type != IFLA_INFO_KIND)
					continue;
				if (kl >= sizeof(out->kind))
					kl = sizeof(out->kind) - 1;
				memcpy(out->kind, RTA_DATA(b), kl);
				out->kind[kl] = 0;
			}
			break;
		}
		default:
			break;
		}
	}
	if (!out->name[0])
		return -EBADMSG;
	return 0;
}

struct link_acc {
	struct rtnl_link *out;
	size_t max, n;
};

static int
link_each(struct nlmsghdr *m, void *arg)
{
	struct link_acc *acc = arg;
	struct rtnl_link l;

	if (rtnl_link_parse(m, m->nlmsg_len, &l) < 0)
		return 0;
	if (acc->n < acc->max)
		acc->out[acc->n++] = l;
	return 0;
}

int
rtnl_links(struct rtnl *r, struct rtnl_link *out, size_t max, size_t *n)
{
	struct {
		struct nlmsghdr n;
		struct ifinfomsg i;
	} req = { .n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
			 .nlmsg_type = RTM_GETLINK, .nlmsg_flags = NLM_F_DUMP },
		  .i = { .ifi_family = AF_UNSPEC } };
	struct link_acc acc = { out, max, 0 };
	int rc = rtnl_talk(r, &req.n, link_each, &acc);

	*n = acc.n;
	return rc;
}

int
rtnl_link_by_name(struct rtnl *r, const char *name, struct rtnl_link *out)
{
	struct rtnl_link all[RTNL_LINKS_MAX];
	size_t n;
	int rc = rtnl_links(r, all, RTNL_LINKS_MAX, &n);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].name, name) == 0) {
			*out = all[i];
			return 0;
		}
	return -ENODEV;
}

int
rtnl_link_set_up(struct rtnl *r, int index)
{
	struct {
		struct nlmsghdr n;
		struct ifinfomsg i;
	} req = { .n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
			 .nlmsg_type = RTM_NEWLINK },
		  .i = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP,
			 .ifi_change = IFF_UP } };

	return rtnl_talk(r, &req.n, NULL, NULL);
}

bool
rtnl_link_is_physical(const struct rtnl_link *l, const char *sysfs)
{
	char path[256];
	struct stat st;

	if (l->type != ARPHRD_ETHER || l->kind[0])
		return false;
	snprintf(path, sizeof(path), "%s/class/net/%s/device", sysfs, l->name);
	return stat(path, &st) == 0;
}

struct addr_req {
	struct nlmsghdr n;
	struct ifaddrmsg a;
	uint8_t attrs[128];
};

static int
addr_op(struct rtnl *r, int type, unsigned flags, int index, uint32_t addr, unsigned plen,
	uint32_t valid_s)
{
	struct addr_req req = { .n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
				       .nlmsg_type = (unsigned short)type,
				       .nlmsg_flags = (unsigned short)flags },
				.a = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)plen,
				       .ifa_index = (unsigned)index } };

	if (plen > 32)
		return -EINVAL;
	attr_put(&req, sizeof(req), IFA_LOCAL, &addr, 4);
	attr_put(&req, sizeof(req), IFA_ADDRESS, &addr, 4);
	if (type == RTM_NEWADDR && plen < 31) {
		uint32_t host = plen ? 0xffffffffu >> plen : 0xffffffffu;
		uint32_t b = addr | htonl(host);

		attr_put(&req, sizeof(req), IFA_BROADCAST, &b, 4);
	}
	if (type == RTM_NEWADDR && valid_s) {
		struct ifa_cacheinfo ci = { .ifa_prefered = valid_s, .ifa_valid = valid_s };

		attr_put(&req, sizeof(req), IFA_CACHEINFO, &ci, sizeof(ci));
	}
	return rtnl_talk(r, &req.n, NULL, NULL);
}

int
rtnl_addr_replace(struct rtnl *r, int index, uint32_t addr, unsigned plen, uint32_t valid_s)
{
	return addr_op(r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, index, addr, plen, valid_s);
}

int
rtnl_addr_del(struct rtnl *r, int index, uint32_t addr, unsigned plen)
{
	return addr_op(r, RTM_DELADDR, 0, index, addr, plen, 0);
}

struct addr_acc {
	int index;
	uint32_t *addr;
	uint8_t *plen;
	size_t max, n;
};

static int
addr_each(struct nlmsghdr *m, void *arg)
{
	struct addr_acc *acc = arg;
	struct ifaddrmsg *ifa;
	struct rtattr *a;
	size_t alen;

	if (m->nlmsg_type != RTM_NEWADDR || m->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return 0;
	ifa = NLMSG_DATA(m);
	if (ifa->ifa_family != AF_INET || (int)ifa->ifa_index != acc->index)
		return 0;
	alen = m->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa));
	for (a = IFA_RTA(ifa); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if (a->rta_type == IFA_LOCAL && RTA_PAYLOAD(a) == 4 && acc->n < acc->max) {
			memcpy(&acc->addr[acc->n], RTA_DATA(a), 4);
			acc->plen[acc->n++] = ifa->ifa_prefixlen;
		}
	return 0;
}

int
rtnl_addrs(struct rtnl *r, int index, uint32_t *addr, uint8_t *plen, size_t max, size_t *n)
{
	struct {
		struct nlmsghdr n;
		struct ifaddrmsg a;
	} req = { .n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
			 .nlmsg_type = RTM_GETADDR, .nlmsg_flags = NLM_F_DUMP },
		  .a = { .ifa_family = AF_INET } };
	struct addr_acc acc = { index, addr, plen, max, 0 };
	int rc = rtnl_talk(r, &req.n, addr_each, &acc);

	*n = acc.n;
	return rc;
}

int
rtnl_addr_flush(struct rtnl *r, int index)
{
	uint32_t addr[16];
	uint8_t plen[16];
	size_t n;
	int rc = rtnl_addrs(r, index, addr, plen, 16, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = rtnl_addr_del(r, index, addr[i], plen[i]);
		if (rc == -EADDRNOTAVAIL)
			rc = 0;
	}
	return rc;
}

static int
route_op(struct rtnl *r, int type, unsigned flags, int index, uint32_t dst, unsigned plen,
	 uint32_t gw, uint32_t metric)
{
	struct {
		struct nlmsghdr n;
		struct rtmsg m;
		uint8_t attrs[128];
	} req = { .n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
			 .nlmsg_type = (unsigned short)type, .nlmsg_flags = (unsigned short)flags },
		  .m = { .rtm_family = AF_INET, .rtm_dst_len = (unsigned char)plen,
			 .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_DHCP,
			 .rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
			 .rtm_type = RTN_UNICAST } };
	uint32_t oif = (uint32_t)index;

	if (plen > 32)
		return -EINVAL;
	if (type == RTM_DELROUTE)
		req.m.rtm_scope = RT_SCOPE_NOWHERE;
	if (plen)
		attr_put(&req, sizeof(req), RTA_DST, &dst, 4);
	if (gw)
		attr_put(&req, sizeof(req), RTA_GATEWAY, &gw, 4);
	attr_put(&req, sizeof(req), RTA_OIF, &oif, 4);
	attr_put(&req, sizeof(req), RTA_PRIORITY, &metric, 4);
	return rtnl_talk(r, &req.n, NULL, NULL);
}

int
rtnl_route_replace(struct rtnl *r, int index, uint32_t dst, unsigned plen, uint32_t gw,
		   uint32_t metric)
{
	return route_op(r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, index, dst, plen, gw, metric);
}

int
rtnl_route_del(struct rtnl *r, int index, uint32_t dst, unsigned plen, uint32_t gw,
	       uint32_t metric)
{
	return route_op(r, RTM_DELROUTE, 0, index, dst, plen, gw, metric);
}

int
rtnl_monitor_read(struct rtnl *r, void (*cb)(const struct rtnl_link *l, bool deleted, void *arg),
		  void *arg)
{
	static __thread uint8_t buf[RTNL_BUF] __attribute__((aligned(4)));

	for (;;) {
		ssize_t got = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct nlmsghdr *m;
		size_t left;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		left = (size_t)got;
		for (m = (struct nlmsghdr *)buf; NLMSG_OK(m, left); m = NLMSG_NEXT(m, left)) {
			struct rtnl_link l;

			if (rtnl_link_parse(m, m->nlmsg_len, &l) == 0)
				cb(&l, m->nlmsg_type == RTM_DELLINK, arg);
		}
	}
}
