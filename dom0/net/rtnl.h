/*
 * rtnl: small synchronous NETLINK_ROUTE helpers for the net role: list
 * links, set a link up, add/replace/delete an IPv4 address, add/replace/
 * delete an IPv4 route, flush a port's IPv4 addresses; and a monitor socket
 * for link changes (carrier).  Every request asks for an ACK and waits for
 * it: 0 or the kernel's -errno.
 *
 * rtnl_link_parse is pure (one RTM_NEWLINK message -> struct rtnl_link) and
 * is what both the dump and the monitor use.
 *
 * Addresses are IPv4 in network byte order.  Ownership: struct rtnl is the
 * caller's; it owns its socket (closed by rtnl_close).  Output arrays are the
 * caller's.
 */
#ifndef EV_RTNL_H
#define EV_RTNL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rtnl {
	int fd;              /* -1 when closed */
	uint32_t seq;
};

struct rtnl_link {
	int index;
	char name[IF_NAMESIZE];
	unsigned type;       /* ARPHRD_* */
	uint8_t mac[6];
	bool has_mac;
	bool up;             /* IFF_UP */
	bool carrier;        /* IFF_LOWER_UP */
	char kind[16];       /* IFLA_INFO_KIND ("bridge", "veth", ...), "" for hardware */
};

#define RTNL_LINKS_MAX 64

/* groups: 0 for a request socket, RTMGRP_LINK (or more) for a monitor. */
int rtnl_open(struct rtnl *r, unsigned groups);
void rtnl_close(struct rtnl *r);

/* Every link (up to max): *n set.  -E2BIG never: extra links are left out. */
int rtnl_links(struct rtnl *r, struct rtnl_link *out, size_t max, size_t *n);
/* One link by name: 0, -ENODEV. */
int rtnl_link_by_name(struct rtnl *r, const char *name, struct rtnl_link *out);
int rtnl_link_set_up(struct rtnl *r, int index);

/* A physical Ethernet port: ARPHRD_ETHER, no link kind (not a bridge, veth,
 * vif, vlan ...) and a device behind it (<sysfs>/class/net/NAME/device);
 * sysfs is normally "/sys". */
bool rtnl_link_is_physical(const struct rtnl_link *l, const char *sysfs);

/* valid_s: the address lifetime (the kernel removes it when it runs out);
 * 0 = forever. */
int rtnl_addr_replace(struct rtnl *r, int index, uint32_t addr, unsigned plen, uint32_t valid_s);
int rtnl_addr_del(struct rtnl *r, int index, uint32_t addr, unsigned plen);
/* The IPv4 addresses of a link (up to max). */
int rtnl_addrs(struct rtnl *r, int index, uint32_t *addr, uint8_t *plen, size_t max, size_t *n);
/* Deletes every IPv4 address of the link. */
int rtnl_addr_flush(struct rtnl *r, int index);

/* dst/plen via gw (0: on-link) out of index with the given metric; replace. */
int rtnl_route_replace(struct rtnl *r, int index, uint32_t dst, unsigned plen, uint32_t gw,
		       uint32_t metric);
int rtnl_route_del(struct rtnl *r, int index, uint32_t dst, unsigned plen, uint32_t gw,
		   uint32_t metric);

/*
 * Parses one netlink message (len bytes at nlh) of type RTM_NEWLINK or
 * RTM_DELLINK: 0 and *out; -ENOENT for another type; -EBADMSG malformed.
 */
int rtnl_link_parse(const void *nlh, size_t len, struct rtnl_link *out);

/*
 * Reads what a monitor socket has (non-blocking): calls cb for every link
 * message (deleted: true for RTM_DELLINK).  0, or -errno of recv.
 */
int rtnl_monitor_read(struct rtnl *r,
		      void (*cb)(const struct rtnl_link *l, bool deleted, void *arg), void *arg);

#endif
