/* Unit tests: dom0/net/dhcp — golden client messages, server replies built by
 * hand, every hostile reply, IPv4/UDP framing, and the state machine
 * (table-driven). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dhcp.h"

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
#define XID 0x1badcafeu

static uint32_t
A(const char *s)
{
	return inet_addr(s);
}

/* ---- a server reply, by hand ---- */

struct reply {
	uint8_t b[1024];
	size_t len;
};

static void
reply_start(struct reply *r, uint32_t xid, const char *yiaddr)
{
	memset(r, 0, sizeof(*r));
	r->b[0] = 2;       /* BOOTREPLY */
	r->b[1] = 1;
	r->b[2] = 6;
	r->b[4] = xid >> 24;
	r->b[5] = xid >> 16;
	r->b[6] = xid >> 8;
	r->b[7] = xid & 0xff;
	uint32_t y = A(yiaddr);
	memcpy(r->b + 16, &y, 4);
	memcpy(r->b + 28, MAC, 6);
	r->b[236] = 0x63;
	r->b[237] = 0x82;
	r->b[238] = 0x53;
	r->b[239] = 0x63;
	r->len = 240;
}

static void
opt(struct reply *r, uint8_t code, const void *d, uint8_t n)
{
	r->b[r->len++] = code;
	r->b[r->len++] = n;
	memcpy(r->b + r->len, d, n);
	r->len += n;
}

static void
opt_addr(struct reply *r, uint8_t code, const char *a)
{
	uint32_t v = A(a);

	opt(r, code, &v, 4);
}

static void
opt_u32(struct reply *r, uint8_t code, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v & 0xff };

	opt(r, code, b, 4);
}

static void
end(struct reply *r)
{
	r->b[r->len++] = 255;
}

/* A typical QEMU user-networking OFFER/ACK, unterminated. */
static void
slirp_reply(struct reply *r, uint8_t type)
{
	reply_start(r, XID, "10.0.2.15");
	opt(r, 53, &type, 1);
	opt_addr(r, 54, "10.0.2.2");
	opt_addr(r, 1, "255.255.255.0");
	opt_addr(r, 3, "10.0.2.2");
	opt_addr(r, 6, "10.0.2.3");
	opt_u32(r, 51, 86400);
}

static int
parse(const struct reply *r, struct dhcp_msg *m, char *err)
{
	return dhcp_parse(r->b, r->len, A("10.0.2.2"), XID, MAC, m, err, DHCP_ERR_MAX);
}

/* ---- building ---- */

static const uint8_t *
find_opt(const uint8_t *b, int len, uint8_t code)
{
	for (int i = 240; i < len;) {
		if (b[i] == 0) {
			i++;
			continue;
		}
		if (b[i] == 255)
			return NULL;
		if (b[i] == code)
			return b + i;
		i += 2 + b[i + 1];
	}
	return NULL;
}

static void
test_build_discover(void **state)
{
	struct dhcp_out o = { .type = DHCP_DISCOVER, .xid = XID, .secs = 3 };
	uint8_t b[DHCP_MSG_MAX];
	const uint8_t *p;
	int n;

	(void)state;
	memcpy(o.mac, MAC, 6);
	strcpy(o.hostname, "edge-1");
	n = dhcp_build(b, sizeof(b), &o);
	assert_true(n >= 300);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[1], 1);
	assert_int_equal(b[2], 6);
	assert_memory_equal(b + 4, "\x1b\xad\xca\xfe", 4);
	assert_memory_equal(b + 8, "\x00\x03\x80\x00", 4); /* secs, broadcast flag */
	assert_memory_equal(b + 12, "\0\0\0\0", 4);        /* ciaddr */
	assert_memory_equal(b + 28, MAC, 6);
	assert_memory_equal(b + 236, "\x63\x82\x53\x63", 4);
	assert_memory_equal(b + 240, "\x35\x01\x01", 3);  /* first: message type DISCOVER */
	p = find_opt(b, n, 61);
	assert_non_null(p);
	assert_memory_equal(p, "\x3d\x07\x01\x52\x54\x00\x12\x34\x56", 9);
	p = find_opt(b, n, 55);
	assert_non_null(p);
	assert_non_null(memchr(p + 2, 1, p[1]));
	assert_non_null(memchr(p + 2, 3, p[1]));
	assert_non_null(memchr(p + 2, 6, p[1]));
	assert_non_null(memchr(p + 2, 121, p[1]));
	p = find_opt(b, n, 12);
	assert_non_null(p);
	assert_memory_equal(p, "\x0c\x06" "edge-1", 8);
	assert_null(find_opt(b, n, 50));
	assert_null(find_opt(b, n, 54));
}

static void
test_build_requests(void **state)
{
	static const struct {
		uint8_t type, kind;
		bool ciaddr, req_ip, server_id, bcast_flag;
	} t[] = {
		{ DHCP_REQUEST, DHCP_REQ_SELECTING, false, true, true, true },
		{ DHCP_REQUEST, DHCP_REQ_INIT_REBOOT, false, true, false, true },
		{ DHCP_REQUEST, DHCP_REQ_RENEWING, true, false, false, false },
		{ DHCP_REQUEST, DHCP_REQ_REBINDING, true, false, false, false },
		{ DHCP_RELEASE, 0, true, false, true, false },
	};
	uint8_t b[DHCP_MSG_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dhcp_out o = { .type = t[i].type, .kind = t[i].kind, .xid = XID,
				      .ciaddr = A("10.0.2.15"), .requested = A("10.0.2.15"),
				      .server_id = A("10.0.2.2") };
		const uint8_t *p;
		int n;

		memcpy(o.mac, MAC, 6);
		n = dhcp_build(b, sizeof(b), &o);
		assert_true(n > 240);
		assert_int_equal(b[242], t[i].type);
		assert_memory_equal(b + 12, t[i].ciaddr ? "\x0a\x00\x02\x0f" : "\0\0\0\0", 4);
		assert_int_equal(b[10], t[i].bcast_flag ? 0x80 : 0);
		p = find_opt(b, n, 50);
		assert_int_equal(p != NULL, t[i].req_ip);
		if (p)
			assert_memory_equal(p, "\x32\x04\x0a\x00\x02\x0f", 6);
		p = find_opt(b, n, 54);
		assert_int_equal(p != NULL, t[i].server_id);
		if (p)
			assert_memory_equal(p, "\x36\x04\x0a\x00\x02\x02", 6);
	}
}

static void
test_build_refused(void **state)
{
	struct dhcp_out o = { .type = DHCP_OFFER, .xid = XID };
	uint8_t b[DHCP_MSG_MAX];

	(void)state;
	assert_int_equal(dhcp_build(b, sizeof(b), &o), -EINVAL);
	o.type = DHCP_REQUEST;
	o.kind = 9;
	assert_int_equal(dhcp_build(b, sizeof(b), &o), -EINVAL);
	o.type = DHCP_DISCOVER;
	strcpy(o.hostname, "bad name\n");
	assert_int_equal(dhcp_build(b, sizeof(b), &o), -EINVAL);
	o.hostname[0] = 0;
	assert_int_equal(dhcp_build(b, 250, &o), -ENOSPC);
	assert_int_equal(dhcp_build(b, 299, &o), -ENOSPC);
}

/* ---- parsing ---- */

static void
test_parse_offer(void **state)
{
	struct reply r;
	struct dhcp_msg m;
	char err[DHCP_ERR_MAX], ip[16];

	(void)state;
	slirp_reply(&r, DHCP_OFFER);
	opt(&r, 15, "example.com", 11);
	end(&r);
	r.len += 20; /* padding after END is fine */
	assert_int_equal(parse(&r, &m, err), 0);
	assert_int_equal(m.type, DHCP_OFFER);
	assert_string_equal(dhcp_ntoa(m.yiaddr, ip), "10.0.2.15");
	assert_string_equal(dhcp_ntoa(m.server_id, ip), "10.0.2.2");
	assert_int_equal(m.plen, 24);
	assert_int_equal(m.nrouters, 1);
	assert_int_equal(m.routers[0], A("10.0.2.2"));
	assert_int_equal(m.ndns, 1);
	assert_int_equal(m.dns[0], A("10.0.2.3"));
	assert_int_equal(m.lease_s, 86400);
	assert_int_equal(m.t1_s, 43200);
	assert_int_equal(m.t2_s, 75600);
	assert_string_equal(m.domain, "example.com");
	assert_int_equal(m.nroutes, 0);
}

static void
test_parse_ack_full(void **state)
{
	/* 121: 0.0.0.0/0 via 10.0.2.1, 192.168.0.0/16 via 10.0.2.9, 10.1.2.128/25 on-link */
	static const uint8_t routes[] = { 0, 10, 0, 2, 1,
					  16, 192, 168, 10, 0, 2, 9,
					  25, 10, 1, 2, 128, 0, 0, 0, 0 };
	uint8_t pad = 0, type = DHCP_ACK;
	struct reply r;
	struct dhcp_msg m;
	char err[DHCP_ERR_MAX];

	(void)state;
	reply_start(&r, XID, "192.168.7.20");
	r.b[r.len++] = pad;
	opt(&r, 53, &type, 1);
	opt_addr(&r, 54, "192.168.7.1");
	opt_u32(&r, 51, 600);
	opt_u32(&r, 58, 100);
	opt_u32(&r, 59, 500);
	opt(&r, 6, "\x01\x01\x01\x01\x08\x08\x08\x08\x09\x09\x09\x09\x01\x00\x00\x01\x02\x00\x00\x02", 20);
	opt(&r, 121, routes, sizeof(routes));
	opt(&r, 12, "edge-7\0", 7);
	opt(&r, 200, "\xff\x00", 2); /* unknown: skipped */
	end(&r);
	assert_int_equal(parse(&r, &m, err), 0);
	assert_int_equal(m.type, DHCP_ACK);
	assert_int_equal(m.plen, 24); /* classful guess for 192.168/16 space: class C */
	assert_int_equal(m.t1_s, 100);
	assert_int_equal(m.t2_s, 500);
	assert_int_equal(m.ndns, DHCP_MAX_DNS); /* the fifth is left out */
	assert_int_equal(m.nroutes, 3);
	assert_int_equal(m.routes[0].plen, 0);
	assert_int_equal(m.routes[0].gw, A("10.0.2.1"));
	assert_int_equal(m.routes[1].dst, A("192.168.0.0"));
	assert_int_equal(m.routes[1].plen, 16);
	assert_int_equal(m.routes[2].dst, A("10.1.2.128"));
	assert_int_equal(m.routes[2].plen, 25);
	assert_int_equal(m.routes[2].gw, 0);
	assert_string_equal(m.hostname, "edge-7");
}

static void
test_parse_nak(void **state)
{
	uint8_t type = DHCP_NAK;
	struct reply r;
	struct dhcp_msg m;
	char err[DHCP_ERR_MAX];

	(void)state;
	reply_start(&r, XID, "0.0.0.0");
	opt(&r, 53, &type, 1);
	opt_addr(&r, 54, "10.0.2.2");
	opt(&r, 56, "wrong\nnetwork", 13);
	end(&r);
	assert_int_equal(parse(&r, &m, err), 0);
	assert_int_equal(m.type, DHCP_NAK);
	assert_string_equal(m.message, "wrong?network");
}

static void
test_parse_not_ours(void **state)
{
	struct reply r;
	struct dhcp_msg m;
	char err[DHCP_ERR_MAX];
	uint8_t other[6] = { 2, 0, 0, 0, 0, 1 };

	(void)state;
	slirp_reply(&r, DHCP_ACK);
	end(&r);
	assert_int_equal(dhcp_parse(r.b, r.len, 0, XID + 1, MAC, &m, err, sizeof(err)), -ENOENT);
	assert_int_equal(dhcp_parse(r.b, r.len, 0, XID, other, &m, err, sizeof(err)), -ENOENT);
	r.b[0] = 1; /* another client's request */
	assert_int_equal(parse(&r, &m, err), -ENOENT);
}

/* Every hostile reply: -EBADMSG and an error naming it and the reason. */
enum mut {
	M_SHORT, M_HTYPE, M_COOKIE, M_NO_END, M_OVERRUN, M_REPEAT, M_OVERLOAD, M_NO_TYPE,
	M_TYPE_LEN, M_TYPE_DISCOVER, M_NO_SERVER, M_SERVER_LEN, M_MASK_LEN, M_MASK_HOLE,
	M_ROUTER_LEN, M_DNS_EMPTY, M_NO_LEASE, M_LEASE_ZERO, M_LEASE_LEN, M_T1_LEN, M_DOMAIN_NL,
	M_DOMAIN_SPACE, M_HOST_DOTS, M_YI_ZERO, M_YI_MCAST, M_YI_LOOP, M_CL_WIDTH, M_CL_TRUNC,
	M_CL_HOSTBITS, M_COUNT
};

static const char *const want_err[M_COUNT] = {
	[M_SHORT] = "DHCP message from 10.0.2.2: 100 bytes, shorter than the 240 of a BOOTP header",
	[M_HTYPE] = "DHCP message from 10.0.2.2: hardware type 6 length 6, not Ethernet",
	[M_COOKIE] = "DHCP message from 10.0.2.2: no DHCP magic cookie",
	[M_NO_END] = "DHCP message from 10.0.2.2: options end without an END option",
	[M_OVERRUN] = "DHCP message from 10.0.2.2: option 15 overruns the message",
	[M_REPEAT] = "DHCP message from 10.0.2.2: option 3 repeated (split options are not supported)",
	[M_OVERLOAD] = "DHCP message from 10.0.2.2: option overload (52) is not supported",
	[M_NO_TYPE] = "DHCP message from 10.0.2.2: no message type option",
	[M_TYPE_LEN] = "DHCP message from 10.0.2.2: message type option length 2",
	[M_TYPE_DISCOVER] = "DHCP DISCOVER from 10.0.2.2: message type 1 is not a reply to a client",
	[M_NO_SERVER] = "DHCP OFFER from 10.0.2.2: no server identifier",
	[M_SERVER_LEN] = "DHCP OFFER from 10.0.2.2: server identifier option length 3",
	[M_MASK_LEN] = "DHCP OFFER from 10.0.2.2: subnet mask option length 3",
	[M_MASK_HOLE] = "DHCP OFFER from 10.0.2.2: subnet mask 255.0.255.0 is not a prefix",
	[M_ROUTER_LEN] = "DHCP OFFER from 10.0.2.2: router option length 5",
	[M_DNS_EMPTY] = "DHCP OFFER from 10.0.2.2: DNS server option length 0",
	[M_NO_LEASE] = "DHCP OFFER from 10.0.2.2: no lease time",
	[M_LEASE_ZERO] = "DHCP OFFER from 10.0.2.2: lease time 0",
	[M_LEASE_LEN] = "DHCP OFFER from 10.0.2.2: lease time option length 2",
	[M_T1_LEN] = "DHCP OFFER from 10.0.2.2: renewal time option length 8",
	[M_DOMAIN_NL] = "DHCP OFFER from 10.0.2.2: domain name is not a DNS name",
	[M_DOMAIN_SPACE] = "DHCP OFFER from 10.0.2.2: domain name is not a DNS name",
	[M_HOST_DOTS] = "DHCP OFFER from 10.0.2.2: host name is not a DNS name",
	[M_YI_ZERO] = "DHCP OFFER from 10.0.2.2: offered address 0.0.0.0 is not a unicast address",
	[M_YI_MCAST] = "DHCP OFFER from 10.0.2.2: offered address 224.0.0.1 is not a unicast address",
	[M_YI_LOOP] = "DHCP OFFER from 10.0.2.2: offered address 127.0.0.1 is not a unicast address",
	[M_CL_WIDTH] = "DHCP OFFER from 10.0.2.2: classless route prefix length 33",
	[M_CL_TRUNC] = "DHCP OFFER from 10.0.2.2: classless route option truncated",
	[M_CL_HOSTBITS] = "DHCP OFFER from 10.0.2.2: classless route 10.1.0.0/9 has host bits set",
};

static void
hostile(struct reply *r, enum mut k)
{
	uint8_t type = k == M_TYPE_DISCOVER ? DHCP_DISCOVER : DHCP_OFFER;

	reply_start(r, XID, k == M_YI_ZERO ? "0.0.0.0" : k == M_YI_MCAST ? "224.0.0.1"
			   : k == M_YI_LOOP ? "127.0.0.1" : "10.0.2.15");
	if (k == M_HTYPE)
		r->b[1] = 6;
	if (k == M_COOKIE)
		r->b[239] = 0x64;
	if (k == M_TYPE_LEN)
		opt(r, 53, "\x02\x02", 2);
	else if (k != M_NO_TYPE)
		opt(r, 53, &type, 1);
	if (k == M_SERVER_LEN)
		opt(r, 54, "\x0a\x00\x02", 3);
	else if (k != M_NO_SERVER)
		opt_addr(r, 54, "10.0.2.2");
	if (k == M_MASK_LEN)
		opt(r, 1, "\xff\xff\xff", 3);
	else if (k == M_MASK_HOLE)
		opt_addr(r, 1, "255.0.255.0");
	else
		opt_addr(r, 1, "255.255.255.0");
	if (k == M_ROUTER_LEN)
		opt(r, 3, "\x0a\x00\x02\x02\x01", 5);
	else
		opt_addr(r, 3, "10.0.2.2");
	if (k == M_REPEAT)
		opt_addr(r, 3, "10.0.2.3");
	if (k == M_DNS_EMPTY)
		opt(r, 6, "", 0);
	if (k == M_LEASE_ZERO)
		opt_u32(r, 51, 0);
	else if (k == M_LEASE_LEN)
		opt(r, 51, "\x01\x00", 2);
	else if (k != M_NO_LEASE)
		opt_u32(r, 51, 3600);
	if (k == M_T1_LEN)
		opt(r, 58, "\0\0\0\0\0\0\0\1", 8);
	if (k == M_OVERLOAD)
		opt(r, 52, "\x03", 1);
	if (k == M_DOMAIN_NL)
		opt(r, 15, "evil.com\nnameserver 6.6.6.6", 27);
	if (k == M_DOMAIN_SPACE)
		opt(r, 15, "a b", 3);
	if (k == M_HOST_DOTS)
		opt(r, 12, "a..b", 4);
	if (k == M_CL_WIDTH)
		opt(r, 121, "\x21\x0a\x00\x00\x00\x00\x0a\x00\x02\x01", 10);
	if (k == M_CL_TRUNC)
		opt(r, 121, "\x18\x0a\x00\x00\x0a\x00\x02", 7);
	if (k == M_CL_HOSTBITS)
		opt(r, 121, "\x09\x0a\x01\x0a\x00\x02\x01", 7); /* 10.1.0.0/9 */
	if (k == M_OVERRUN) {
		r->b[r->len++] = 15;
		r->b[r->len++] = 200;
		memcpy(r->b + r->len, "abc", 3);
		r->len += 3;
		return;
	}
	if (k != M_NO_END)
		end(r);
	if (k == M_SHORT)
		r->len = 100;
}

static void
test_parse_hostile(void **state)
{
	(void)state;
	for (int k = 0; k < M_COUNT; k++) {
		struct reply r;
		struct dhcp_msg m;
		char err[DHCP_ERR_MAX];

		hostile(&r, (enum mut)k);
		if (parse(&r, &m, err) != -EBADMSG)
			fail_msg("case %d: accepted", k);
		if (strcmp(err, want_err[k]) != 0)
			fail_msg("case %d: got \"%s\"\nwant \"%s\"", k, err, want_err[k]);
	}
}

static void
test_parse_timer_sanity(void **state)
{
	struct reply r;
	struct dhcp_msg m;
	char err[DHCP_ERR_MAX];

	(void)state;
	/* T1 beyond the lease, T2 below T1: the defaults instead. */
	slirp_reply(&r, DHCP_ACK);
	opt_u32(&r, 58, 90000);
	opt_u32(&r, 59, 10);
	end(&r);
	assert_int_equal(parse(&r, &m, err), 0);
	assert_int_equal(m.t1_s, 43200);
	assert_int_equal(m.t2_s, 75600);
	/* infinite */
	slirp_reply(&r, DHCP_ACK);
	r.len -= 6;
	opt_u32(&r, 51, 0xffffffffu);
	end(&r);
	assert_int_equal(parse(&r, &m, err), 0);
	assert_int_equal(m.lease_s, UINT32_MAX);
	assert_int_equal(m.t1_s, UINT32_MAX);
}

static void
test_mask_plen(void **state)
{
	(void)state;
	assert_int_equal(dhcp_mask_plen(A("255.255.255.0")), 24);
	assert_int_equal(dhcp_mask_plen(A("255.255.255.255")), 32);
	assert_int_equal(dhcp_mask_plen(A("0.0.0.0")), 0);
	assert_int_equal(dhcp_mask_plen(A("255.255.128.0")), 17);
	assert_int_equal(dhcp_mask_plen(A("255.255.0.255")), -1);
}

/* ---- IPv4 / UDP ---- */

static void
test_ip_roundtrip(void **state)
{
	uint8_t pay[5] = "hello", pkt[128];
	struct dhcp_udp u;
	char err[DHCP_ERR_MAX];
	int n;

	(void)state;
	n = dhcp_ip_build(pkt, sizeof(pkt), 0, 0xffffffffu, 68, 67, pay, sizeof(pay));
	assert_int_equal(n, 28 + 5);
	/* header fields as the wire has them */
	assert_memory_equal(pkt, "\x45\x00\x00\x21\x00\x00\x00\x00\x40\x11", 10);
	assert_memory_equal(pkt + 20, "\x00\x44\x00\x43\x00\x0d", 6);
	/* known-good header checksum of this header (RFC 1071 by hand) */
	assert_memory_equal(pkt + 10, "\x7a\xcd", 2);
	assert_int_equal(dhcp_ip_parse(pkt, (size_t)n, 67, &u, err, sizeof(err)), 0);
	assert_int_equal(u.sport, 68);
	assert_int_equal(u.len, 5);
	assert_memory_equal(u.payload, "hello", 5);
	/* link padding after the datagram */
	memset(pkt + n, 0, 20);
	assert_int_equal(dhcp_ip_parse(pkt, (size_t)n + 20, 67, &u, err, sizeof(err)), 0);
	assert_int_equal(u.len, 5);
	/* another port, another protocol, a fragment: not ours */
	assert_int_equal(dhcp_ip_parse(pkt, (size_t)n, 68, &u, err, sizeof(err)), -ENOENT);
	/* UDP checksum 0 means none */
	pkt[26] = pkt[27] = 0;
	assert_int_equal(dhcp_ip_parse(pkt, (size_t)n, 67, &u, err, sizeof(err)), 0);
}

static void
test_ip_hostile(void **state)
{
	uint8_t pay[8] = "DHCPDHCP", pkt[128], bad[128];
	struct dhcp_udp u;
	char err[DHCP_ERR_MAX];
	int n;

	(void)state;
	n = dhcp_ip_build(pkt, sizeof(pkt), A("10.0.2.2"), A("10.0.2.15"), 67, 68, pay, 8);
	assert_true(n > 0);
	assert_int_equal(dhcp_ip_build(pkt, 30, 0, 0, 1, 2, pay, 8), -ENOSPC);

	memcpy(bad, pkt, (size_t)n);
	bad[8] = 1; /* TTL changed: the header checksum no longer matches */
	assert_int_equal(dhcp_ip_parse(bad, (size_t)n, 68, &u, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "IPv4 packet from 10.0.2.2: bad header checksum");

	memcpy(bad, pkt, (size_t)n);
	bad[n - 1] ^= 1;
	assert_int_equal(dhcp_ip_parse(bad, (size_t)n, 68, &u, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "IPv4 packet from 10.0.2.2: bad UDP checksum");

	assert_int_equal(dhcp_ip_parse(pkt, (size_t)n - 1, 68, &u, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "IPv4 packet: header length 20, total length 36 in 35 bytes");
	assert_int_equal(dhcp_ip_parse(pkt, 10, 68, &u, err, sizeof(err)), -EBADMSG);

	/* UDP length beyond the IP payload (checksums fixed up so only that is wrong) */
	memcpy(bad, pkt, (size_t)n);
	bad[25] = 40;
	bad[26] = bad[27] = 0;
	assert_int_equal(dhcp_ip_parse(bad, (size_t)n, 68, &u, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "IPv4 packet from 10.0.2.2: UDP length 40 in 16 bytes");

	/* a fragment is not ours (more-fragments flag; fix the checksum) */
	n = dhcp_ip_build(bad, sizeof(bad), A("10.0.2.2"), A("10.0.2.15"), 67, 68, pay, 8);
	bad[6] = 0x20;
	bad[10] = bad[11] = 0;
	{
		uint32_t s = 0;
		for (int i = 0; i < 20; i += 2)
			s += (uint32_t)bad[i] << 8 | bad[i + 1];
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		bad[10] = (uint8_t)(~s >> 8);
		bad[11] = (uint8_t)~s;
	}
	assert_int_equal(dhcp_ip_parse(bad, (size_t)n, 68, &u, err, sizeof(err)), -ENOENT);
	/* IPv6 is not ours */
	bad[0] = 0x60;
	assert_int_equal(dhcp_ip_parse(bad, (size_t)n, 68, &u, err, sizeof(err)), -ENOENT);
}

/* ---- state machine ---- */

static struct dhcp_msg
reply_msg(struct dhcp_fsm *f, uint8_t type, const char *yiaddr, uint32_t lease)
{
	struct dhcp_msg m = { .type = type, .xid = f->xid, .yiaddr = A(yiaddr),
			      .server_id = A("10.0.2.2"), .plen = 24, .nrouters = 1,
			      .routers = { A("10.0.2.2") }, .ndns = 1, .dns = { A("10.0.2.3") },
			      .lease_s = lease, .t1_s = lease / 2,
			      .t2_s = (uint32_t)((uint64_t)lease * 7 / 8) };
	return m;
}

static void
test_fsm_happy_path(void **state)
{
	struct dhcp_fsm f;
	struct dhcp_actions a;
	struct dhcp_msg m;
	uint32_t xid;

	(void)state;
	dhcp_fsm_init(&f, MAC, "edge", 42);
	dhcp_fsm_event(&f, DHCP_EV_START, NULL, 1000, &a);
	assert_int_equal(f.state, DHCP_S_SELECTING);
	assert_true(a.send);
	assert_int_equal(a.out.type, DHCP_DISCOVER);
	assert_int_equal(a.dst, 0xffffffffu);
	assert_int_equal(a.src, 0);
	assert_in_range(a.timer_at, 1000 + 3000, 1000 + 5000);
	xid = a.out.xid;

	/* retransmission: same xid, doubled delay, secs counting */
	dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, 5000, &a);
	assert_int_equal(f.state, DHCP_S_SELECTING);
	assert_int_equal(a.out.type, DHCP_DISCOVER);
	assert_int_equal(a.out.xid, xid);
	assert_int_equal(a.out.secs, 4);
	assert_in_range(a.timer_at, 5000 + 7000, 5000 + 9000);

	/* an OFFER of another exchange is ignored, the timer kept */
	m = reply_msg(&f, DHCP_OFFER, "10.0.2.15", 86400);
	m.xid ^= 1;
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 5100, &a);
	assert_false(a.send);
	assert_int_equal(a.timer_at, DHCP_TIMER_KEEP);
	assert_int_equal(f.state, DHCP_S_SELECTING);

	m.xid = xid;
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 5200, &a);
	assert_int_equal(f.state, DHCP_S_REQUESTING);
	assert_int_equal(a.out.type, DHCP_REQUEST);
	assert_int_equal(a.out.kind, DHCP_REQ_SELECTING);
	assert_int_equal(a.out.xid, xid);
	assert_int_equal(a.out.requested, A("10.0.2.15"));
	assert_int_equal(a.out.server_id, A("10.0.2.2"));
	assert_string_equal(a.out.hostname, "edge");

	/* an OFFER now (a second server) changes nothing */
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 5250, &a);
	assert_false(a.send);
	assert_int_equal(f.state, DHCP_S_REQUESTING);

	m = reply_msg(&f, DHCP_ACK, "10.0.2.15", 100);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 5300, &a);
	assert_int_equal(f.state, DHCP_S_BOUND);
	assert_true(a.apply);
	assert_false(a.renewed);
	assert_false(a.unapply);
	assert_false(a.send);
	assert_int_equal(f.lease.addr, A("10.0.2.15"));
	assert_int_equal(f.lease.router, A("10.0.2.2"));
	/* times count from the REQUEST that got the lease */
	assert_int_equal(a.timer_at, 5200 + 50000);
	assert_int_equal(f.t2_at, 5200 + 87000);
	assert_int_equal(f.expire_at, 5200 + 100000);

	/* T1: unicast renewal from our address */
	dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, 55200, &a);
	assert_int_equal(f.state, DHCP_S_RENEWING);
	assert_int_equal(a.out.kind, DHCP_REQ_RENEWING);
	assert_int_equal(a.out.ciaddr, A("10.0.2.15"));
	assert_int_equal(a.dst, A("10.0.2.2"));
	assert_int_equal(a.src, A("10.0.2.15"));
	assert_true(a.out.xid != xid);
	/* half the time left to T2 (37 s) */
	assert_int_equal(a.timer_at, 55200 + 18500);
	m = reply_msg(&f, DHCP_ACK, "10.0.2.15", 100);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 55300, &a);
	assert_int_equal(f.state, DHCP_S_BOUND);
	assert_true(a.apply);
	assert_true(a.renewed);
	assert_false(a.unapply);
	assert_int_equal(a.timer_at, 55200 + 50000);
}

static void
test_fsm_expiry(void **state)
{
	struct dhcp_fsm f;
	struct dhcp_actions a;
	struct dhcp_msg m;

	(void)state;
	dhcp_fsm_init(&f, MAC, NULL, 7);
	dhcp_fsm_event(&f, DHCP_EV_START, NULL, 1, &a);
	m = reply_msg(&f, DHCP_OFFER, "10.0.2.15", 8);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 1, &a);
	m = reply_msg(&f, DHCP_ACK, "10.0.2.15", 8);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 1, &a);
	assert_int_equal(a.timer_at, 1 + 4000);
	dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, 4001, &a);
	assert_int_equal(f.state, DHCP_S_RENEWING);
	/* 3 s to T2: one try, then T2 */
	assert_int_equal(a.timer_at, 7001);
	dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, 7001, &a);
	assert_int_equal(f.state, DHCP_S_REBINDING);
	assert_int_equal(a.out.kind, DHCP_REQ_REBINDING);
	assert_int_equal(a.dst, 0xffffffffu);
	assert_int_equal(a.src, A("10.0.2.15"));
	assert_int_equal(a.timer_at, 8001);
	dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, 8001, &a);
	assert_int_equal(f.state, DHCP_S_SELECTING);
	assert_true(a.unapply);
	assert_int_equal(a.old.addr, A("10.0.2.15"));
	assert_false(f.bound);
	assert_int_equal(a.out.type, DHCP_DISCOVER);
	assert_int_equal(a.out.requested, 0);
	assert_string_equal(a.note, "lease expired: discovering");
}

static void
test_fsm_nak_and_retries(void **state)
{
	struct dhcp_fsm f;
	struct dhcp_actions a;
	struct dhcp_msg m;
	uint64_t t = 10;

	(void)state;
	dhcp_fsm_init(&f, MAC, NULL, 99);
	dhcp_fsm_event(&f, DHCP_EV_START, NULL, t, &a);
	m = reply_msg(&f, DHCP_OFFER, "10.0.2.15", 3600);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, t, &a);
	/* REQUEST unanswered: 3 retransmissions, then discovery again */
	for (int i = 0; i < 3; i++) {
		t = a.timer_at;
		dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, t, &a);
		assert_int_equal(f.state, DHCP_S_REQUESTING);
		assert_int_equal(a.out.kind, DHCP_REQ_SELECTING);
	}
	t = a.timer_at;
	dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, t, &a);
	assert_int_equal(f.state, DHCP_S_SELECTING);
	assert_int_equal(a.out.type, DHCP_DISCOVER);

	m = reply_msg(&f, DHCP_OFFER, "10.0.2.15", 3600);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, t, &a);
	m = reply_msg(&f, DHCP_NAK, "0.0.0.0", 0);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, t, &a);
	assert_int_equal(f.state, DHCP_S_SELECTING);
	assert_false(a.unapply);
	assert_int_equal(a.out.type, DHCP_DISCOVER);
	assert_string_equal(a.note, "refused (NAK): discovering");
}

static void
test_fsm_link_flap_reboot(void **state)
{
	struct dhcp_fsm f;
	struct dhcp_actions a;
	struct dhcp_msg m;

	(void)state;
	dhcp_fsm_init(&f, MAC, NULL, 5);
	dhcp_fsm_event(&f, DHCP_EV_START, NULL, 1, &a);
	m = reply_msg(&f, DHCP_OFFER, "10.0.2.15", 3600);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 1, &a);
	m = reply_msg(&f, DHCP_ACK, "10.0.2.15", 3600);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 1, &a);

	dhcp_fsm_event(&f, DHCP_EV_LINK_DOWN, NULL, 100, &a);
	assert_int_equal(f.state, DHCP_S_LINKDOWN);
	assert_true(a.unapply);
	assert_int_equal(a.timer_at, 0);
	assert_false(a.send);
	/* timers and replies while down do nothing */
	dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, 200, &a);
	assert_false(a.send);
	assert_false(a.apply);

	dhcp_fsm_event(&f, DHCP_EV_LINK_UP, NULL, 300, &a);
	assert_int_equal(f.state, DHCP_S_REBOOTING);
	assert_int_equal(a.out.type, DHCP_REQUEST);
	assert_int_equal(a.out.kind, DHCP_REQ_INIT_REBOOT);
	assert_int_equal(a.out.requested, A("10.0.2.15"));
	assert_int_equal(a.out.ciaddr, 0);
	assert_int_equal(a.dst, 0xffffffffu);
	/* LINK_UP again (duplicate notification) changes nothing */
	dhcp_fsm_event(&f, DHCP_EV_LINK_UP, NULL, 310, &a);
	assert_false(a.send);
	assert_int_equal(a.timer_at, DHCP_TIMER_KEEP);

	/* ACK of another address than the old one is taken */
	m = reply_msg(&f, DHCP_ACK, "10.0.2.16", 3600);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 400, &a);
	assert_int_equal(f.state, DHCP_S_BOUND);
	assert_true(a.apply);
	assert_false(a.renewed);
	assert_int_equal(f.lease.addr, A("10.0.2.16"));

	/* link flap, NAK: discovery without the old address */
	dhcp_fsm_event(&f, DHCP_EV_LINK_DOWN, NULL, 500, &a);
	dhcp_fsm_event(&f, DHCP_EV_LINK_UP, NULL, 600, &a);
	m = reply_msg(&f, DHCP_NAK, "0.0.0.0", 0);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 700, &a);
	assert_int_equal(f.state, DHCP_S_SELECTING);
	assert_int_equal(f.prev_addr, 0);
	assert_int_equal(a.out.type, DHCP_DISCOVER);
	assert_int_equal(a.out.requested, 0);

	/* init-reboot unanswered twice: discovery */
	dhcp_fsm_init(&f, MAC, NULL, 5);
	f.prev_addr = A("10.0.2.15");
	dhcp_fsm_event(&f, DHCP_EV_START, NULL, 1, &a);
	assert_int_equal(f.state, DHCP_S_REBOOTING);
	dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, a.timer_at, &a);
	assert_int_equal(f.state, DHCP_S_REBOOTING);
	dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, a.timer_at, &a);
	assert_int_equal(f.state, DHCP_S_SELECTING);
}

static void
test_fsm_renew_moves_address_and_stop_releases(void **state)
{
	struct dhcp_fsm f;
	struct dhcp_actions a;
	struct dhcp_msg m;

	(void)state;
	dhcp_fsm_init(&f, MAC, NULL, 11);
	/* STOP before any lease sends nothing */
	dhcp_fsm_event(&f, DHCP_EV_START, NULL, 1, &a);
	m = reply_msg(&f, DHCP_OFFER, "10.0.2.15", 1000);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 1, &a);
	m = reply_msg(&f, DHCP_ACK, "10.0.2.15", 1000);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 1, &a);
	dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, 500001, &a);
	assert_int_equal(f.state, DHCP_S_RENEWING);
	m = reply_msg(&f, DHCP_ACK, "10.0.2.99", 1000);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 500002, &a);
	assert_true(a.unapply);
	assert_int_equal(a.old.addr, A("10.0.2.15"));
	assert_true(a.apply);
	assert_false(a.renewed);
	assert_int_equal(f.lease.addr, A("10.0.2.99"));

	dhcp_fsm_event(&f, DHCP_EV_STOP, NULL, 600000, &a);
	assert_int_equal(f.state, DHCP_S_STOPPED);
	assert_true(a.send);
	assert_int_equal(a.out.type, DHCP_RELEASE);
	assert_int_equal(a.out.ciaddr, A("10.0.2.99"));
	assert_int_equal(a.out.server_id, A("10.0.2.2"));
	assert_int_equal(a.dst, A("10.0.2.2"));
	assert_true(a.unapply);
	assert_int_equal(a.timer_at, 0);
	/* stopped: nothing more */
	dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, 700000, &a);
	assert_false(a.send);

	dhcp_fsm_init(&f, MAC, NULL, 11);
	dhcp_fsm_event(&f, DHCP_EV_START, NULL, 1, &a);
	dhcp_fsm_event(&f, DHCP_EV_STOP, NULL, 2, &a);
	assert_false(a.send);
	assert_false(a.unapply);
}

static void
test_fsm_infinite_lease(void **state)
{
	struct dhcp_fsm f;
	struct dhcp_actions a;
	struct dhcp_msg m;

	(void)state;
	dhcp_fsm_init(&f, MAC, NULL, 3);
	dhcp_fsm_event(&f, DHCP_EV_START, NULL, 1, &a);
	m = reply_msg(&f, DHCP_OFFER, "10.0.2.15", UINT32_MAX);
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 1, &a);
	m = reply_msg(&f, DHCP_ACK, "10.0.2.15", UINT32_MAX);
	m.t1_s = m.t2_s = UINT32_MAX;
	dhcp_fsm_event(&f, DHCP_EV_RX, &m, 1, &a);
	assert_int_equal(f.state, DHCP_S_BOUND);
	assert_int_equal(a.timer_at, 0);
}

static void
test_retransmit_bounds(void **state)
{
	(void)state;
	for (uint32_t r = 0; r < 5000; r += 97) {
		assert_in_range(dhcp_retransmit_ms(0, r), 3000, 5000);
		assert_in_range(dhcp_retransmit_ms(1, r), 7000, 9000);
		assert_in_range(dhcp_retransmit_ms(3, r), 31000, 33000);
		assert_in_range(dhcp_retransmit_ms(4, r), 63000, 65000);
		assert_in_range(dhcp_retransmit_ms(40, r), 63000, 65000);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_discover),
		cmocka_unit_test(test_build_requests),
		cmocka_unit_test(test_build_refused),
		cmocka_unit_test(test_parse_offer),
		cmocka_unit_test(test_parse_ack_full),
		cmocka_unit_test(test_parse_nak),
		cmocka_unit_test(test_parse_not_ours),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_parse_timer_sanity),
		cmocka_unit_test(test_mask_plen),
		cmocka_unit_test(test_ip_roundtrip),
		cmocka_unit_test(test_ip_hostile),
		cmocka_unit_test(test_fsm_happy_path),
		cmocka_unit_test(test_fsm_expiry),
		cmocka_unit_test(test_fsm_nak_and_retries),
		cmocka_unit_test(test_fsm_link_flap_reboot),
		cmocka_unit_test(test_fsm_renew_moves_address_and_stop_releases),
		cmocka_unit_test(test_fsm_infinite_lease),
		cmocka_unit_test(test_retransmit_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
