/* Unit tests: dom0/net/rtnl — RTM_NEWLINK parsing of hand-built messages
 * (good, truncated, foreign), and a read-only dump of this machine's links. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtnl.h"

#include <errno.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>

struct msg {
	uint8_t b[512] __attribute__((aligned(4)));
	size_t len;
};

static struct rtattr *
put(struct msg *m, unsigned short type, const void *d, size_t n)
{
	struct rtattr *a = (struct rtattr *)(m->b + m->len);

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(n);
	if (d)
		memcpy(RTA_DATA(a), d, n);
	m->len += RTA_SPACE(n);
	return a;
}

static void
link_msg(struct msg *m, unsigned flags, const char *kind)
{
	struct nlmsghdr *n = (struct nlmsghdr *)m->b;
	struct ifinfomsg *ifi;

	memset(m, 0, sizeof(*m));
	n->nlmsg_type = RTM_NEWLINK;
	ifi = NLMSG_DATA(n);
	ifi->ifi_index = 7;
	ifi->ifi_type = ARPHRD_ETHER;
	ifi->ifi_flags = flags;
	m->len = NLMSG_LENGTH(sizeof(*ifi));
	put(m, IFLA_IFNAME, "eth0", 5);
	put(m, IFLA_ADDRESS, "\x52\x54\x00\x12\x34\x56", 6);
	if (kind) {
		size_t at = m->len;
		struct rtattr *li = put(m, IFLA_LINKINFO, NULL, 0);

		put(m, IFLA_INFO_KIND, kind, strlen(kind) + 1);
		li->rta_len = (unsigned short)(m->len - at);
	}
	n->nlmsg_len = (uint32_t)m->len;
}

static void
test_link_parse(void **state)
{
	struct msg m;
	struct rtnl_link l;

	(void)state;
	link_msg(&m, IFF_UP | IFF_LOWER_UP, NULL);
	assert_int_equal(rtnl_link_parse(m.b, m.len, &l), 0);
	assert_int_equal(l.index, 7);
	assert_string_equal(l.name, "eth0");
	assert_true(l.has_mac);
	assert_memory_equal(l.mac, "\x52\x54\x00\x12\x34\x56", 6);
	assert_true(l.up);
	assert_true(l.carrier);
	assert_string_equal(l.kind, "");

	link_msg(&m, IFF_UP, "veth");
	assert_int_equal(rtnl_link_parse(m.b, m.len, &l), 0);
	assert_false(l.carrier);
	assert_string_equal(l.kind, "veth");
	/* a veth, a bridge: never a physical port, whatever sysfs says */
	assert_false(rtnl_link_is_physical(&l, "/sys"));
	l.kind[0] = 0;
	l.type = ARPHRD_LOOPBACK;
	assert_false(rtnl_link_is_physical(&l, "/sys"));
	l.type = ARPHRD_ETHER;
	assert_false(rtnl_link_is_physical(&l, "/nonexistent"));
}

static void
test_link_parse_hostile(void **state)
{
	struct msg m;
	struct rtnl_link l;
	struct nlmsghdr *n = (struct nlmsghdr *)m.b;

	(void)state;
	link_msg(&m, 0, NULL);
	assert_int_equal(rtnl_link_parse(m.b, 8, &l), -EBADMSG);          /* short */
	assert_int_equal(rtnl_link_parse(m.b, m.len - 4, &l), -EBADMSG);   /* len beyond */
	n->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(rtnl_link_parse(m.b, m.len, &l), -ENOENT);
	/* no name */
	memset(&m, 0, sizeof(m));
	n->nlmsg_type = RTM_NEWLINK;
	m.len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	put(&m, IFLA_ADDRESS, "\x01\x02\x03\x04\x05\x06", 6);
	n->nlmsg_len = (uint32_t)m.len;
	assert_int_equal(rtnl_link_parse(m.b, m.len, &l), -EBADMSG);
	/* over-long name */
	memset(&m, 0, sizeof(m));
	n->nlmsg_type = RTM_NEWLINK;
	m.len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	put(&m, IFLA_IFNAME, "0123456789abcdefXYZ", 20);
	n->nlmsg_len = (uint32_t)m.len;
	assert_int_equal(rtnl_link_parse(m.b, m.len, &l), -EBADMSG);
}

/* Read-only against the kernel: every namespace has lo. */
static void
test_dump_has_lo(void **state)
{
	struct rtnl r;
	struct rtnl_link links[RTNL_LINKS_MAX], lo;
	size_t n = 0;
	bool found = false;

	(void)state;
	assert_int_equal(rtnl_open(&r, 0), 0);
	assert_int_equal(rtnl_links(&r, links, RTNL_LINKS_MAX, &n), 0);
	for (size_t i = 0; i < n; i++)
		found |= strcmp(links[i].name, "lo") == 0 && links[i].type == ARPHRD_LOOPBACK;
	assert_true(found);
	assert_int_equal(rtnl_link_by_name(&r, "lo", &lo), 0);
	assert_int_equal(lo.index, 1);
	assert_false(rtnl_link_is_physical(&lo, "/sys"));
	assert_int_equal(rtnl_link_by_name(&r, "no-such-if0", &lo), -ENODEV);
	rtnl_close(&r);
	assert_int_equal(r.fd, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_parse),
		cmocka_unit_test(test_link_parse_hostile),
		cmocka_unit_test(test_dump_has_lo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
