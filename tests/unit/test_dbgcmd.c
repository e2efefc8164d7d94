/*
 * Unit tests: dom0/console/dbgcmd — the debug console's line assembly,
 * command parser (good, hostile, long lines, control bytes), netlink route
 * parsing and the output formatting (bounded, sanitised).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbgcmd.h"

static int
parse(const char *line, struct dbgcmd *c, char *err)
{
	return dbgcmd_parse(line, strlen(line), c, err, DBGCMD_ERR_MAX);
}

static void
test_parse_good(void **state)
{
	struct dbgcmd c;
	char err[DBGCMD_ERR_MAX];
	static const struct { const char *line; enum dbgcmd_id id; } good[] = {
		{ "help", DBG_HELP }, { "ports", DBG_PORTS }, { "routes", DBG_ROUTES },
		{ "domains", DBG_DOMAINS }, { "controller", DBG_CONTROLLER },
		{ "version", DBG_VERSION }, { "exit", DBG_EXIT }, { "  \thelp \t ", DBG_HELP },
		{ "", DBG_EMPTY }, { "   \t", DBG_EMPTY },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(parse(good[i].line, &c, err), 0);
		assert_int_equal(c.id, good[i].id);
	}
	assert_int_equal(parse("logs", &c, err), 0);
	assert_int_equal(c.id, DBG_LOGS);
	assert_int_equal(c.n, DBGCMD_LOGS_DEFAULT);
	assert_int_equal(parse("logs 5", &c, err), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(parse("logs 500", &c, err), 0);
	assert_int_equal(c.n, 500);
	assert_int_equal(parse("ping 127.0.0.1", &c, err), 0);
	assert_int_equal(c.id, DBG_PING);
	assert_int_equal(c.addr, htonl(0x7f000001));
	assert_string_equal(c.host, "127.0.0.1");
	assert_int_equal(parse("ping 255.255.255.0", &c, err), 0);
	assert_int_equal(c.addr, htonl(0xffffff00));
	assert_string_equal(dbgcmd_name(DBG_CONTROLLER), "controller");
}

static void
test_parse_hostile(void **state)
{
	static const struct { const char *line; const char *err; } bad[] = {
		{ "sh", "unknown command 'sh' (type help)" },
		{ "bash -i", "unknown command 'bash' (type help)" },
		{ "/bin/sh", "unknown command '/bin/sh' (type help)" },
		{ "HELP", "unknown command 'HELP' (type help)" },
		{ "; ls", "'; ls': shell syntax is not understood: there is no shell here (type help)" },
		{ "help; sh", "'help; sh': shell syntax is not understood: there is no shell here (type help)" },
		{ "ping `id`", "'ping `id`': shell syntax is not understood: there is no shell here (type help)" },
		{ "ping $(reboot)", "'ping $(reboot)': shell syntax is not understood: there is no shell here (type help)" },
		{ "ports | nc", "'ports | nc': shell syntax is not understood: there is no shell here (type help)" },
		{ "logs > /dev/sda", "'logs > /dev/sda': shell syntax is not understood: there is no shell here (type help)" },
		{ "help me", "help: too many arguments (type help)" },
		{ "logs 1 2", "logs: too many arguments (type help)" },
		{ "ping", "ping: an argument is required (type help)" },
		{ "logs 0", "logs: '0' is not a number in 1..500" },
		{ "logs 501", "logs: '501' is not a number in 1..500" },
		{ "logs 99999999999", "logs: '99999999999' is not a number in 1..500" },
		{ "logs -1", "logs: '-1' is not a number in 1..500" },
		{ "logs 5x", "logs: '5x' is not a number in 1..500" },
		{ "ping 1.2.3", "ping: '1.2.3' is not an IPv4 address (A.B.C.D)" },
		{ "ping 1.2.3.4.5", "ping: '1.2.3.4.5' is not an IPv4 address (A.B.C.D)" },
		{ "ping 256.1.1.1", "ping: '256.1.1.1' is not an IPv4 address (A.B.C.D)" },
		{ "ping 01.1.1.1", "ping: '01.1.1.1' is not an IPv4 address (A.B.C.D)" },
		{ "ping example.com", "ping: 'example.com' is not an IPv4 address (A.B.C.D)" },
		{ "ping -f 1.1.1.1", "ping: too many arguments (type help)" },
	};
	struct dbgcmd c;
	char err[DBGCMD_ERR_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].line, &c, err), -EINVAL);
		assert_string_equal(err, bad[i].err);
	}
}

static void
test_parse_control_and_long(void **state)
{
	struct dbgcmd c;
	char err[DBGCMD_ERR_MAX], line[DBGCMD_LINE_MAX + 2];

	(void)state;
	assert_int_equal(dbgcmd_parse("help\x1b[2J", 8, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "byte 0x1b at column 5 is not printable ASCII");
	assert_int_equal(dbgcmd_parse("he\0lp", 5, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "byte 0x00 at column 3 is not printable ASCII");
	assert_int_equal(dbgcmd_parse("h\xc3\xa9lp", 5, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "byte 0xc3 at column 2 is not printable ASCII");
	memset(line, 'a', sizeof(line));
	assert_int_equal(dbgcmd_parse(line, DBGCMD_LINE_MAX + 1, &c, err, sizeof(err)), -E2BIG);
	assert_string_equal(err, "line of 257 bytes is longer than 256");
	/* an unknown command that is long is named, cut */
	assert_int_equal(dbgcmd_parse(line, DBGCMD_LINE_MAX, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown command 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (type help)");
	/* a tiny error buffer is filled, never overrun */
	assert_int_equal(dbgcmd_parse("sh", 2, &c, err, 8), -EINVAL);
	assert_string_equal(err, "unknown");
}

static int
push_all(struct dbgline *l, const char *s, size_t n, char lines[][DBGCMD_LINE_MAX + 1],
	 int *nlines, int *ntoolong)
{
	for (size_t i = 0; i < n; i++) {
		int rc = dbgline_push(l, (uint8_t)s[i]);

		if (rc == 1)
			memcpy(lines[(*nlines)++], l->buf, l->len + 1);
		else if (rc == -E2BIG)
			(*ntoolong)++;
		else if (rc != 0)
			return rc;
	}
	return 0;
}

static void
test_lines(void **state)
{
	struct dbgline l;
	char lines[8][DBGCMD_LINE_MAX + 1];
	int n = 0, toolong = 0;
	char big[600];
	static const char in[] = "help\rports\nlogs 5\r\nhelx\bp\r\rdomaint\x7fs\n";

	(void)state;
	dbgline_init(&l);
	/* CR, LF and CRLF each end one line; backspace and DEL erase */
	assert_int_equal(push_all(&l, in, sizeof(in) - 1, lines, &n, &toolong), 0);
	assert_int_equal(n, 6);
	assert_string_equal(lines[0], "help");
	assert_string_equal(lines[1], "ports");
	assert_string_equal(lines[2], "logs 5");
	assert_string_equal(lines[3], "help");
	assert_string_equal(lines[4], "");
	assert_string_equal(lines[5], "domains");
	/* a line over the bound is dropped whole, and the next one is fine */
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	n = toolong = 0;
	assert_int_equal(push_all(&l, big, sizeof(big), lines, &n, &toolong), 0);
	assert_int_equal(n, 0);
	assert_int_equal(toolong, 1);
	assert_true(l.len <= DBGCMD_LINE_MAX);
	assert_int_equal(push_all(&l, "help\n", 5, lines, &n, &toolong), 0);
	assert_int_equal(n, 1);
	assert_string_equal(lines[0], "help");
	/* exactly the bound is a line */
	memset(big, 'y', DBGCMD_LINE_MAX);
	big[DBGCMD_LINE_MAX] = '\r';
	n = toolong = 0;
	assert_int_equal(push_all(&l, big, DBGCMD_LINE_MAX + 1, lines, &n, &toolong), 0);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(lines[0]), DBGCMD_LINE_MAX);
}

static void
test_output_bounded(void **state)
{
	char buf[32];
	struct dbgout o;

	(void)state;
	dbgout_init(&o, buf, sizeof(buf));
	dbgout_printf(&o, "%s", "0123456789");
	assert_int_equal(o.len, 10);
	assert_false(o.cut);
	dbgout_printf(&o, "%s", "0123456789012345678901234567890123456789");
	assert_true(o.cut);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_string_equal(buf + strlen(buf) - 4, "...\n");
	dbgout_printf(&o, "more"); /* ignored once cut */
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	/* control bytes from outside never reach the line raw */
	dbgout_init(&o, buf, sizeof(buf));
	dbgout_str(&o, "a\x1b[2Jb\x07", 64);
	assert_string_equal(buf, "a?[2Jb?");
}

static void
test_help(void **state)
{
	char buf[2048];
	struct dbgout o;

	(void)state;
	dbgout_init(&o, buf, sizeof(buf));
	dbgcmd_help(&o);
	assert_false(o.cut);
	assert_non_null(strstr(buf, "no shell"));
	for (int id = DBG_HELP; id <= DBG_EXIT; id++) {
		char want[32];

		snprintf(want, sizeof(want), "\n  %s ", dbgcmd_name(id));
		assert_non_null(strstr(buf, want));
	}
}

static void
test_fmt_ports(void **state)
{
	struct dbg_port p[2];
	char buf[1024];
	struct dbgout o;

	(void)state;
	memset(p, 0, sizeof(p));
	p[0].link = (struct rtnl_link){ .index = 1, .name = "lo", .type = ARPHRD_LOOPBACK,
					.has_mac = true, .up = true, .carrier = true };
	p[0].addr[0] = htonl(0x7f000001);
	p[0].plen[0] = 8;
	p[0].naddr = 1;
	p[1].link = (struct rtnl_link){ .index = 2, .name = "eth\x1b" "0", .type = ARPHRD_ETHER,
					.has_mac = true, .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 } };
	p[1].addr[0] = htonl(0x0a00020f);
	p[1].plen[0] = 24;
	p[1].addr[1] = htonl(0x0a000310);
	p[1].plen[1] = 16;
	p[1].naddr = 2;
	dbgout_init(&o, buf, sizeof(buf));
	dbgcmd_fmt_ports(&o, p, 2);
	assert_string_equal(buf,
		"#   name            link carrier mac               kind     ipv4\n"
		"1   lo              up   yes     00:00:00:00:00:00 loopback 127.0.0.1/8\n"
		"2   eth?0           down no      52:54:00:12:34:56 -        10.0.2.15/24 10.0.3.16/16\n");
	dbgout_init(&o, buf, sizeof(buf));
	dbgcmd_fmt_ports(&o, p, 0);
	assert_non_null(strstr(buf, "no ports\n"));
}

/* One RTM_NEWROUTE message built by hand. */
static size_t
route_msg(uint8_t *buf, uint8_t plen, uint32_t dst, uint32_t gw, int oif, uint32_t metric,
	  uint8_t proto)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct rtmsg *m = NLMSG_DATA(h);
	struct rtattr *a;
	size_t len = NLMSG_LENGTH(sizeof(*m));

	memset(buf, 0, 256);
	m->rtm_family = AF_INET;
	m->rtm_dst_len = plen;
	m->rtm_table = RT_TABLE_MAIN;
	m->rtm_protocol = proto;
	m->rtm_type = RTN_UNICAST;
#define ADD(t, v) do { a = (struct rtattr *)(buf + len); a->rta_type = (t); \
		a->rta_len = RTA_LENGTH(4); memcpy(RTA_DATA(a), &(v), 4); len += RTA_SPACE(4); } while (0)
	if (plen)
		ADD(RTA_DST, dst);
	if (gw)
		ADD(RTA_GATEWAY, gw);
	ADD(RTA_OIF, oif);
	ADD(RTA_PRIORITY, metric);
#undef ADD
	h->nlmsg_len = (uint32_t)len;
	h->nlmsg_type = RTM_NEWROUTE;
	return len;
}

static void
test_routes(void **state)
{
	uint8_t buf[256];
	struct dbg_route r[3];
	struct dbg_port p;
	char out[1024];
	struct dbgout o;
	size_t len;

	(void)state;
	len = route_msg(buf, 0, 0, htonl(0x0a000202), 2, 100, RTPROT_DHCP);
	assert_int_equal(dbgroute_parse(buf, len, &r[0]), 0);
	assert_int_equal(r[0].gw, htonl(0x0a000202));
	assert_int_equal(r[0].oif, 2);
	assert_int_equal(r[0].metric, 100);
	len = route_msg(buf, 24, htonl(0x0a000200), 0, 2, 0, RTPROT_KERNEL);
	assert_int_equal(dbgroute_parse(buf, len, &r[1]), 0);
	len = route_msg(buf, 16, htonl(0xc0a80000), 0, 7, 5, RTPROT_STATIC);
	assert_int_equal(dbgroute_parse(buf, len, &r[2]), 0);
	memset(&p, 0, sizeof(p));
	p.link.index = 2;
	strcpy(p.link.name, "eth0");
	dbgout_init(&o, out, sizeof(out));
	dbgcmd_fmt_routes(&o, r, 3, &p, 1);
	assert_string_equal(out,
		"destination        gateway         port            proto   metric\n"
		"default            10.0.2.2        eth0            dhcp    100\n"
		"10.0.2.0/24        -               eth0            kernel  0\n"
		"192.168.0.0/16     -               #7              static  5\n");

	/* hostile messages */
	len = route_msg(buf, 0, 0, htonl(1), 2, 1, RTPROT_DHCP);
	assert_int_equal(dbgroute_parse(buf, len - 1, &r[0]), -EBADMSG);    /* nlmsg_len > len */
	assert_int_equal(dbgroute_parse(buf, 10, &r[0]), -EBADMSG);
	((struct rtmsg *)NLMSG_DATA((struct nlmsghdr *)buf))->rtm_dst_len = 33;
	assert_int_equal(dbgroute_parse(buf, len, &r[0]), -EBADMSG);
	len = route_msg(buf, 0, 0, htonl(1), 2, 1, RTPROT_DHCP);
	((struct rtmsg *)NLMSG_DATA((struct nlmsghdr *)buf))->rtm_family = AF_INET6;
	assert_int_equal(dbgroute_parse(buf, len, &r[0]), -ENOENT);
	len = route_msg(buf, 0, 0, htonl(1), 2, 1, RTPROT_DHCP);
	((struct nlmsghdr *)buf)->nlmsg_type = RTM_NEWLINK;
	assert_int_equal(dbgroute_parse(buf, len, &r[0]), -ENOENT);
	/* a gateway attribute of the wrong size */
	len = route_msg(buf, 0, 0, htonl(1), 2, 1, RTPROT_DHCP);
	((struct rtattr *)(buf + NLMSG_LENGTH(sizeof(struct rtmsg))))->rta_len = RTA_LENGTH(2);
	assert_int_equal(dbgroute_parse(buf, len, &r[0]), -EBADMSG);
}

static void
test_fmt_domains(void **state)
{
	struct apps_status *st = calloc(1, sizeof(*st));
	char out[2048];
	struct dbgout o;

	(void)state;
	assert_non_null(st);
	dbgout_init(&o, out, sizeof(out));
	dbgcmd_fmt_domains(&o, NULL);
	assert_string_equal(out, "no status from the apps role yet\n");
	dbgout_init(&o, out, sizeof(out));
	dbgcmd_fmt_domains(&o, st);
	assert_string_equal(out, "no apps\n");
	st->n_apps = 2;
	strcpy(st->apps[0].uuid, "11111111-1111-4111-8111-111111111111");
	strcpy(st->apps[0].name, "web");
	st->apps[0].state = ZSW_RUNNING;
	strcpy(st->apps[1].uuid, "22222222-2222-4222-8222-222222222222");
	strcpy(st->apps[1].name, "evil\x1b]0;x\x07");
	st->apps[1].state = ZSW_ERROR;
	strcpy(st->apps[1].err.text, "volume v is not in the config\x1b[2J");
	dbgout_init(&o, out, sizeof(out));
	dbgcmd_fmt_domains(&o, st);
	assert_string_equal(out,
		"uuid                                 name                 state            error\n"
		"11111111-1111-4111-8111-111111111111 web                  RUNNING          -\n"
		"22222222-2222-4222-8222-222222222222 evil?]0;x?           ERROR            "
		"volume v is not in the config?[2J\n");
	free(st);
}

static void
test_fmt_log(void **state)
{
	struct log_entry e = { .seq = 1, .time_ns = 1700000000LL * 1000000000LL,
			       .level = LOG_LEVEL_NOTICE, .source = "evc",
			       .text = "config applied\x1b[31m" };
	char out[512];
	struct dbgout o;

	(void)state;
	dbgout_init(&o, out, sizeof(out));
	dbgcmd_fmt_log(&o, &e);
	assert_string_equal(out, "2023-11-14T22:13:20Z notice evc: config applied?[31m\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_parse_control_and_long),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_output_bounded),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_fmt_ports),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_fmt_domains),
		cmocka_unit_test(test_fmt_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
