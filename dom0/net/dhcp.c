/* dhcp: DHCPv4 client codec and state machine.  See dhcp.h. */
#include "dhcp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BOOTREQUEST 1
#define BOOTREPLY 2
#define HTYPE_ETHER 1
#define MAGIC 0x63825363u
#define BCAST 0xffffffffu

/* option codes */
#define OPT_PAD 0
#define OPT_MASK 1
#define OPT_ROUTER 3
#define OPT_DNS 6
#define OPT_HOSTNAME 12
#define OPT_DOMAIN 15
#define OPT_REQ_IP 50
#define OPT_LEASE 51
#define OPT_OVERLOAD 52
#define OPT_MSGTYPE 53
#define OPT_SERVER_ID 54
#define OPT_PARAMS 55
#define OPT_MESSAGE 56
#define OPT_MAX_SIZE 57
#define OPT_T1 58
#define OPT_T2 59
#define OPT_CLIENT_ID 61
#define OPT_CLASSLESS 121
#define OPT_END 255

static const char *const type_names[] = {
	[DHCP_DISCOVER] = "DISCOVER", [DHCP_OFFER] = "OFFER", [DHCP_REQUEST] = "REQUEST",
	[DHCP_DECLINE] = "DECLINE", [DHCP_ACK] = "ACK", [DHCP_NAK] = "NAK",
	[DHCP_RELEASE] = "RELEASE", [DHCP_INFORM] = "INFORM",
};

const char *
dhcp_type_name(int type)
{
	if (type >= DHCP_DISCOVER && type <= DHCP_INFORM)
		return type_names[type];
	return "message";
}

const char *
dhcp_ntoa(uint32_t a, char *buf)
{
	const uint8_t *b = (const uint8_t *)&a;

	snprintf(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* network-order address <-> bytes */
static uint32_t
getaddr(const uint8_t *p)
{
	uint32_t a;

	memcpy(&a, p, 4);
	return a;
}

int
dhcp_mask_plen(uint32_t mask)
{
	uint32_t h = get32((const uint8_t *)&mask);
	int n = 0;

	while (n < 32 && (h & (0x80000000u >> n)))
		n++;
	if (n < 32 && (h << n) != 0)
		return -1;
	return n;
}

static uint32_t
plen_mask(unsigned plen)
{
	uint32_t h = plen ? 0xffffffffu << (32 - plen) : 0, m;

	put32((uint8_t *)&m, h);
	return m;
}

/* A DNS name: labels of [A-Za-z0-9_-] separated by dots, nothing else
 * (these go into resolv.conf and the log). */
static bool
name_ok(const uint8_t *s, size_t n)
{
	if (n == 0 || n >= DHCP_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || (c == '.' && i > 0 && s[i - 1] != '.')))
			return false;
	}
	return true;
}

/* ---- building ---- */

struct wbuf {
	uint8_t *p;
	size_t cap, len;
	bool full;
};

static void
wput(struct wbuf *w, const void *d, size_t n)
{
	if (w->full || w->cap - w->len < n) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void
wopt(struct wbuf *w, uint8_t code, const void *d, uint8_t n)
{
	uint8_t h[2] = { code, n };

	wput(w, h, 2);
	wput(w, d, n);
}

int
dhcp_build(uint8_t *buf, size_t cap, const struct dhcp_out *o)
{
	static const uint8_t params[] = { OPT_MASK, OPT_ROUTER, OPT_DNS, OPT_HOSTNAME, OPT_DOMAIN,
					  OPT_LEASE, OPT_SERVER_ID, OPT_T1, OPT_T2, OPT_CLASSLESS };
	uint8_t hdr[DHCP_FIXED_LEN] = { 0 }, cid[7], v[4], end = OPT_END;
	struct wbuf w = { buf, cap, 0, false };
	size_t hl = strnlen(o->hostname, sizeof(o->hostname));
	bool ciaddr;

	if (o->type == DHCP_REQUEST) {
		if (o->kind > DHCP_REQ_REBINDING)
			return -EINVAL;
		ciaddr = o->kind == DHCP_REQ_RENEWING || o->kind == DHCP_REQ_REBINDING;
	} else if (o->type == DHCP_DISCOVER) {
		ciaddr = false;
	} else if (o->type == DHCP_RELEASE) {
		ciaddr = true;
	} else {
		return -EINVAL;
	}
	if (hl && !name_ok((const uint8_t *)o->hostname, hl))
		return -EINVAL;
	hdr[0] = BOOTREQUEST;
	hdr[1] = HTYPE_ETHER;
	hdr[2] = 6;
	put32(hdr + 4, o->xid);
	hdr[8] = (uint8_t)(o->secs >> 8);
	hdr[9] = (uint8_t)o->secs;
	/* No address yet: ask for broadcast replies (RFC 2131 4.1). */
	if (!ciaddr)
		hdr[10] = 0x80;
	else
		memcpy(hdr + 12, &o->ciaddr, 4);
	memcpy(hdr + 28, o->mac, 6);
	put32(hdr + 236, MAGIC);
	wput(&w, hdr, sizeof(hdr));
	wopt(&w, OPT_MSGTYPE, &o->type, 1);
	cid[0] = HTYPE_ETHER;
	memcpy(cid + 1, o->mac, 6);
	wopt(&w, OPT_CLIENT_ID, cid, sizeof(cid));
	if (o->type == DHCP_RELEASE) {
		wopt(&w, OPT_SERVER_ID, &o->server_id, 4);
		wput(&w, &end, 1);
		return w.full ? -ENOSPC : (int)w.len;
	}
	if ((o->type == DHCP_DISCOVER && o->requested) ||
	    (o->type == DHCP_REQUEST &&
	     (o->kind == DHCP_REQ_SELECTING || o->kind == DHCP_REQ_INIT_REBOOT)))
		wopt(&w, OPT_REQ_IP, &o->requested, 4);
	if (o->type == DHCP_REQUEST && o->kind == DHCP_REQ_SELECTING)
		wopt(&w, OPT_SERVER_ID, &o->server_id, 4);
	put32(v, 0);
	v[2] = DHCP_MSG_MAX >> 8 & 0xff;
	v[3] = DHCP_MSG_MAX & 0xff;
	wopt(&w, OPT_MAX_SIZE, v + 2, 2);
	wopt(&w, OPT_PARAMS, params, sizeof(params));
	if (hl)
		wopt(&w, OPT_HOSTNAME, o->hostname, (uint8_t)hl);
	wput(&w, &end, 1);
	/* BOOTP relays expect at least 300 bytes. */
	while (!w.full && w.len < 300) {
		uint8_t pad = OPT_PAD;

		wput(&w, &pad, 1);
	}
	return w.full ? -ENOSPC : (int)w.len;
}

/* ---- parsing ---- */

struct perr {
	char *buf;
	size_t sz;
	char what[48];      /* "DHCP OFFER from 10.0.2.2" */
};

static int __attribute__((format(printf, 2, 3)))
fail(struct perr *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!e->buf || !e->sz)
		return -EBADMSG;
	n = snprintf(e->buf, e->sz, "%s: ", e->what);
	if (n >= 0 && (size_t)n < e->sz) {
		va_start(ap, fmt);
		vsnprintf(e->buf + n, e->sz - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

static int
parse_routes(struct perr *e, const uint8_t *p, size_t n, struct dhcp_msg *m)
{
	size_t i = 0;

	while (i < n) {
		unsigned w = p[i], sig;
		uint8_t dst[4] = { 0 };
		struct dhcp_route r;

		if (w > 32)
			return fail(e, "classless route prefix length %u", w);
		sig = (w + 7) / 8;
		if (n - i - 1 < sig + 4)
			return fail(e, "classless route option truncated");
		memcpy(dst, p + i + 1, sig);
		r.dst = getaddr(dst);
		r.plen = (uint8_t)w;
		if ((r.dst & ~plen_mask(w)) != 0)
			return fail(e, "classless route %u.%u.%u.%u/%u has host bits set", dst[0],
				    dst[1], dst[2], dst[3], w);
		r.gw = getaddr(p + i + 1 + sig);
		if (m->nroutes < DHCP_MAX_ROUTES)
			m->routes[m->nroutes++] = r;
		i += 1 + sig + 4;
	}
	return 0;
}

static int
parse_name(struct perr *e, const char *what, const uint8_t *p, size_t n, char *out)
{
	/* Some servers count a trailing NUL. */
	if (n > 0 && p[n - 1] == 0)
		n--;
	if (!name_ok(p, n))
		return fail(e, "%s is not a DNS name", what);
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

static int
parse_addrs(struct perr *e, const char *what, const uint8_t *p, size_t n, uint32_t *out,
	    unsigned max, unsigned *count)
{
	if (n == 0 || n % 4)
		return fail(e, "%s option length %zu", what, n);
	for (size_t i = 0; i < n; i += 4)
		if (*count < max)
			out[(*count)++] = getaddr(p + i);
	return 0;
}

static int
parse_u32(struct perr *e, const char *what, const uint8_t *p, size_t n, uint32_t *out)
{
	if (n != 4)
		return fail(e, "%s option length %zu", what, n);
	*out = get32(p);
	return 0;
}

int
dhcp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t xid, const uint8_t mac[6],
	   struct dhcp_msg *out, char *err, size_t errsz)
{
	struct perr e = { err, errsz, "" };
	const uint8_t *opt[256] = { NULL };
	uint8_t optlen[256] = { 0 };
	char ip[16];
	size_t i;
	int rc;
	bool have_lease = false, have_t1 = false, have_t2 = false;

	memset(out, 0, sizeof(*out));
	if (err && errsz)
		err[0] = 0;
	snprintf(e.what, sizeof(e.what), "DHCP message from %s", dhcp_ntoa(src, ip));
	if (len < DHCP_FIXED_LEN)
		return fail(&e, "%zu bytes, shorter than the %d of a BOOTP header", len,
			    DHCP_FIXED_LEN);
	if (p[0] != BOOTREPLY)
		return -ENOENT; /* another client's request: not ours */
	if (get32(p + 4) != xid || memcmp(p + 28, mac, 6) != 0)
		return -ENOENT;
	if (p[1] != HTYPE_ETHER || p[2] != 6)
		return fail(&e, "hardware type %u length %u, not Ethernet", p[1], p[2]);
	if (get32(p + 236) != MAGIC)
		return fail(&e, "no DHCP magic cookie");
	/* Collect the options; each must fit, appear once, end with END. */
	for (i = DHCP_FIXED_LEN;;) {
		uint8_t code, n;

		if (i >= len)
			return fail(&e, "options end without an END option");
		code = p[i];
		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (code == OPT_END)
			break;
		if (len - i < 2 || len - i - 2 < p[i + 1])
			return fail(&e, "option %u overruns the message", code);
		n = p[i + 1];
		if (opt[code])
			return fail(&e, "option %u repeated (split options are not supported)",
				    code);
		opt[code] = p + i + 2;
		optlen[code] = n;
		i += 2 + (size_t)n;
	}
	if (opt[OPT_OVERLOAD])
		return fail(&e, "option overload (52) is not supported");
	if (!opt[OPT_MSGTYPE])
		return fail(&e, "no message type option");
	if (optlen[OPT_MSGTYPE] != 1)
		return fail(&e, "message type option length %u", optlen[OPT_MSGTYPE]);
	out->type = opt[OPT_MSGTYPE][0];
	out->xid = xid;
	snprintf(e.what, sizeof(e.what), "DHCP %s from %s", dhcp_type_name(out->type), ip);
	if (out->type != DHCP_OFFER && out->type != DHCP_ACK && out->type != DHCP_NAK)
		return fail(&e, "message type %u is not a reply to a client", out->type);
	if (!opt[OPT_SERVER_ID])
		return fail(&e, "no server identifier");
	if (optlen[OPT_SERVER_ID] != 4)
		return fail(&e, "server identifier option length %u", optlen[OPT_SERVER_ID]);
	out->server_id = getaddr(opt[OPT_SERVER_ID]);
	snprintf(e.what, sizeof(e.what), "DHCP %s from %s", dhcp_type_name(out->type),
		 dhcp_ntoa(out->server_id, ip));
	if (opt[OPT_MESSAGE] && optlen[OPT_MESSAGE]) {
		size_t n = optlen[OPT_MESSAGE] < DHCP_NAME_MAX - 1 ? optlen[OPT_MESSAGE]
								   : DHCP_NAME_MAX - 1;

		for (size_t k = 0; k < n; k++) {
			uint8_t c = opt[OPT_MESSAGE][k];

			out->message[k] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
		}
	}
	if (out->type == DHCP_NAK)
		return 0;

	out->yiaddr = getaddr(p + 16);
	{
		uint8_t b0 = p[16];

		if (out->yiaddr == 0 || out->yiaddr == BCAST || b0 == 127 || b0 >= 224)
			return fail(&e, "offered address %s is not a unicast address",
				    dhcp_ntoa(out->yiaddr, ip));
	}
	if (opt[OPT_MASK]) {
		int pl;

		if (optlen[OPT_MASK] != 4)
			return fail(&e, "subnet mask option length %u", optlen[OPT_MASK]);
		out->mask = getaddr(opt[OPT_MASK]);
		pl = dhcp_mask_plen(out->mask);
		if (pl < 1 || pl > 32)
			return fail(&e, "subnet mask %s is not a prefix", dhcp_ntoa(out->mask, ip));
		out->plen = (uint8_t)pl;
	} else {
		uint8_t b0 = p[16];

		out->plen = b0 < 128 ? 8 : b0 < 192 ? 16 : 24;
		out->mask = plen_mask(out->plen);
	}
	if (opt[OPT_ROUTER] &&
	    (rc = parse_addrs(&e, "router", opt[OPT_ROUTER], optlen[OPT_ROUTER], out->routers,
			      DHCP_MAX_ROUTERS, &out->nrouters)) < 0)
		return rc;
	if (opt[OPT_DNS] &&
	    (rc = parse_addrs(&e, "DNS server", opt[OPT_DNS], optlen[OPT_DNS], out->dns,
			      DHCP_MAX_DNS, &out->ndns)) < 0)
		return rc;
	if (opt[OPT_LEASE]) {
		if ((rc = parse_u32(&e, "lease time", opt[OPT_LEASE], optlen[OPT_LEASE],
				    &out->lease_s)) < 0)
			return rc;
		have_lease = true;
	}
	if (opt[OPT_T1]) {
		if ((rc = parse_u32(&e, "renewal time", opt[OPT_T1], optlen[OPT_T1], &out->t1_s)) < 0)
			return rc;
		have_t1 = true;
	}
	if (opt[OPT_T2]) {
		if ((rc = parse_u32(&e, "rebinding time", opt[OPT_T2], optlen[OPT_T2],
				    &out->t2_s)) < 0)
			return rc;
		have_t2 = true;
	}
	if (!have_lease)
		return fail(&e, "no lease time");
	if (out->lease_s == 0)
		return fail(&e, "lease time 0");
	if (out->lease_s != UINT32_MAX) {
		/* Defaults (RFC 2131 4.4.5), and never an order that makes no sense. */
		if (!have_t1 || out->t1_s >= out->lease_s)
			out->t1_s = out->lease_s / 2;
		if (!have_t2 || out->t2_s >= out->lease_s || out->t2_s < out->t1_s)
			out->t2_s = (uint32_t)((uint64_t)out->lease_s * 7 / 8);
		if (out->t1_s > out->t2_s)
			out->t1_s = out->t2_s;
	} else {
		out->t1_s = out->t2_s = UINT32_MAX;
	}
	if (opt[OPT_CLASSLESS] &&
	    (rc = parse_routes(&e, opt[OPT_CLASSLESS], optlen[OPT_CLASSLESS], out)) < 0)
		return rc;
	if (opt[OPT_DOMAIN] &&
	    (rc = parse_name(&e, "domain name", opt[OPT_DOMAIN], optlen[OPT_DOMAIN],
			     out->domain)) < 0)
		return rc;
	if (opt[OPT_HOSTNAME] &&
	    (rc = parse_name(&e, "host name", opt[OPT_HOSTNAME], optlen[OPT_HOSTNAME],
			     out->hostname)) < 0)
		return rc;
	return 0;
}

/* ---- IPv4 / UDP ---- */

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t
udp_pseudo(uint32_t src, uint32_t dst, size_t ulen)
{
	uint8_t ph[12];

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = 17;
	ph[10] = (uint8_t)(ulen >> 8);
	ph[11] = (uint8_t)ulen;
	return csum_add(0, ph, sizeof(ph));
}

int
dhcp_ip_build(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst, uint16_t sport,
	      uint16_t dport, const uint8_t *payload, size_t len)
{
	size_t tot = DHCP_IP_HDRS + len, ulen = 8 + len;
	uint8_t *ip = buf, *udp = buf + 20;
	uint16_t c;

	if (cap < tot || tot > 65535)
		return -ENOSPC;
	memset(buf, 0, DHCP_IP_HDRS);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	c = csum_fold(csum_add(0, ip, 20));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	memmove(udp + 8, payload, len);
	c = csum_fold(csum_add(udp_pseudo(src, dst, ulen), udp, ulen));
	if (c == 0)
		c = 0xffff;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	return (int)tot;
}

int
dhcp_ip_parse(const uint8_t *pkt, size_t len, uint16_t dport, struct dhcp_udp *out,
	      char *err, size_t errsz)
{
	struct perr e = { err, errsz, "IPv4 packet" };
	size_t ihl, tot, ulen;
	const uint8_t *udp;
	char ip[16];

	memset(out, 0, sizeof(*out));
	if (err && errsz)
		err[0] = 0;
	if (len < 20)
		return fail(&e, "%zu bytes, shorter than an IPv4 header", len);
	if (pkt[0] >> 4 != 4)
		return -ENOENT;
	ihl = (size_t)(pkt[0] & 0xf) * 4;
	tot = (size_t)pkt[2] << 8 | pkt[3];
	if (ihl < 20 || tot < ihl || tot > len)
		return fail(&e, "header length %zu, total length %zu in %zu bytes", ihl, tot, len);
	memcpy(&out->src, pkt + 12, 4);
	memcpy(&out->dst, pkt + 16, 4);
	snprintf(e.what, sizeof(e.what), "IPv4 packet from %s", dhcp_ntoa(out->src, ip));
	if (csum_fold(csum_add(0, pkt, ihl)) != 0)
		return fail(&e, "bad header checksum");
	if (pkt[9] != 17)
		return -ENOENT;
	if ((pkt[6] & 0x3f) || pkt[7])
		return -ENOENT; /* a fragment: DHCP replies never are */
	if (tot - ihl < 8)
		return fail(&e, "UDP header truncated");
	udp = pkt + ihl;
	out->sport = (uint16_t)(udp[0] << 8 | udp[1]);
	out->dport = (uint16_t)(udp[2] << 8 | udp[3]);
	if (out->dport != dport)
		return -ENOENT;
	ulen = (size_t)udp[4] << 8 | udp[5];
	if (ulen < 8 || ulen > tot - ihl)
		return fail(&e, "UDP length %zu in %zu bytes", ulen, tot - ihl);
	if ((udp[6] || udp[7]) &&
	    csum_fold(csum_add(udp_pseudo(out->src, out->dst, ulen), udp, ulen)) != 0)
		return fail(&e, "bad UDP checksum");
	out->payload = udp + 8;
	out->len = ulen - 8;
	return 0;
}

/* ---- state machine ---- */

static const char *const state_names[] = {
	[DHCP_S_INIT] = "init", [DHCP_S_SELECTING] = "selecting",
	[DHCP_S_REQUESTING] = "requesting", [DHCP_S_REBOOTING] = "rebooting",
	[DHCP_S_BOUND] = "bound", [DHCP_S_RENEWING] = "renewing",
	[DHCP_S_REBINDING] = "rebinding", [DHCP_S_LINKDOWN] = "link down",
	[DHCP_S_STOPPED] = "stopped",
};

const char *
dhcp_state_name(enum dhcp_state s)
{
	return (unsigned)s <= DHCP_S_STOPPED ? state_names[s] : "?";
}

static uint32_t
rnd_next(struct dhcp_fsm *f)
{
	uint32_t x = f->rnd;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	f->rnd = x;
	return x;
}

uint64_t
dhcp_retransmit_ms(unsigned n, uint32_t rnd)
{
	uint64_t d = n >= 4 ? 64000 : 4000ull << n;

	return d - 1000 + rnd % 2001;
}

void
dhcp_fsm_init(struct dhcp_fsm *f, const uint8_t mac[6], const char *hostname, uint32_t seed)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->mac, mac, 6);
	if (hostname)
		snprintf(f->hostname, sizeof(f->hostname), "%s", hostname);
	f->rnd = seed ? seed : 0x9e3779b9u;
	f->state = DHCP_S_INIT;
}

static uint16_t
secs_since(const struct dhcp_fsm *f, uint64_t now)
{
	uint64_t s = now > f->began_ms ? (now - f->began_ms) / 1000 : 0;

	return s > 0xffff ? 0xffff : (uint16_t)s;
}

static void
out_base(struct dhcp_fsm *f, struct dhcp_actions *a, uint8_t type, uint64_t now)
{
	a->send = true;
	memset(&a->out, 0, sizeof(a->out));
	a->out.type = type;
	a->out.xid = f->xid;
	a->out.secs = secs_since(f, now);
	memcpy(a->out.mac, f->mac, 6);
	memcpy(a->out.hostname, f->hostname, sizeof(a->out.hostname));
	a->dst = BCAST;
	a->src = 0;
}

static void
new_exchange(struct dhcp_fsm *f, uint64_t now)
{
	f->xid = rnd_next(f);
	f->tries = 0;
	f->began_ms = now;
}

static void
send_discover(struct dhcp_fsm *f, struct dhcp_actions *a, uint64_t now)
{
	out_base(f, a, DHCP_DISCOVER, now);
	a->out.requested = f->prev_addr;
	a->timer_at = now + dhcp_retransmit_ms(f->tries, rnd_next(f));
}

static void
start_discovery(struct dhcp_fsm *f, struct dhcp_actions *a, uint64_t now)
{
	f->state = DHCP_S_SELECTING;
	new_exchange(f, now);
	send_discover(f, a, now);
}

static void
send_request(struct dhcp_fsm *f, struct dhcp_actions *a, uint64_t now)
{
	out_base(f, a, DHCP_REQUEST, now);
	f->sent_ms = now;
	switch (f->state) {
	case DHCP_S_REQUESTING:
		a->out.kind = DHCP_REQ_SELECTING;
		a->out.requested = f->offer.yiaddr;
		a->out.server_id = f->offer.server_id;
		a->timer_at = now + dhcp_retransmit_ms(f->tries, rnd_next(f));
		break;
	case DHCP_S_REBOOTING:
		a->out.kind = DHCP_REQ_INIT_REBOOT;
		a->out.requested = f->prev_addr;
		a->timer_at = now + dhcp_retransmit_ms(f->tries, rnd_next(f));
		break;
	case DHCP_S_RENEWING:
	case DHCP_S_REBINDING: {
		uint64_t until = f->state == DHCP_S_RENEWING ? f->t2_at : f->expire_at;
		uint64_t left = until > now ? until - now : 0, wait = left / 2;
		uint64_t floor = left < 60000 ? (left < 4000 ? left : 4000) : 60000;

		/* RFC 2131 4.4.5: half the time left, at least 60 s; a short
		 * lease at least 4 s; never past the deadline. */
		if (wait < floor)
			wait = floor;
		a->out.kind = f->state == DHCP_S_RENEWING ? DHCP_REQ_RENEWING : DHCP_REQ_REBINDING;
		a->out.ciaddr = f->lease.addr;
		a->src = f->lease.addr;
		if (f->state == DHCP_S_RENEWING)
			a->dst = f->lease.server_id;
		a->timer_at = now + (wait ? wait : 1);
		break;
	}
	default:
		a->send = false;
		break;
	}
}

static void
drop_lease(struct dhcp_fsm *f, struct dhcp_actions *a)
{
	if (!f->bound)
		return;
	a->unapply = true;
	a->old = f->lease;
	f->bound = false;
}

static void
take_lease(struct dhcp_fsm *f, const struct dhcp_msg *m, struct dhcp_actions *a, uint64_t now)
{
	struct dhcp_lease l = { 0 };
	uint64_t base = f->sent_ms ? f->sent_ms : now;

	l.addr = m->yiaddr;
	l.server_id = m->server_id;
	l.plen = m->plen;
	/* With classless routes the router option is ignored (RFC 3442). */
	if (m->nroutes) {
		for (unsigned i = 0; i < m->nroutes; i++) {
			if (m->routes[i].plen == 0 && !l.router)
				l.router = m->routes[i].gw;
			else if (l.nroutes < DHCP_MAX_ROUTES)
				l.routes[l.nroutes++] = m->routes[i];
		}
	} else if (m->nrouters) {
		l.router = m->routers[0];
	}
	memcpy(l.dns, m->dns, sizeof(l.dns));
	l.ndns = m->ndns;
	l.lease_s = m->lease_s;
	l.t1_s = m->t1_s;
	l.t2_s = m->t2_s;
	memcpy(l.domain, m->domain, sizeof(l.domain));

	if (f->bound && f->lease.addr != l.addr)
		drop_lease(f, a);
	a->renewed = f->bound;
	a->apply = true;
	f->lease = l;
	f->bound = true;
	f->prev_addr = l.addr;
	if (l.lease_s == UINT32_MAX) {
		f->t1_at = f->t2_at = f->expire_at = 0;
	} else {
		f->t1_at = base + (uint64_t)l.t1_s * 1000;
		f->t2_at = base + (uint64_t)l.t2_s * 1000;
		f->expire_at = base + (uint64_t)l.lease_s * 1000;
	}
	f->state = DHCP_S_BOUND;
	f->tries = 0;
	a->timer_at = f->t1_at;
}

void
dhcp_fsm_event(struct dhcp_fsm *f, enum dhcp_event ev, const struct dhcp_msg *m,
	       uint64_t now, struct dhcp_actions *a)
{
	memset(a, 0, sizeof(*a));
	if (now == 0)
		now = 1;
	if (f->state == DHCP_S_STOPPED && ev != DHCP_EV_START)
		return;

	switch (ev) {
	case DHCP_EV_START:
	case DHCP_EV_LINK_UP:
		if (ev == DHCP_EV_LINK_UP && f->state != DHCP_S_LINKDOWN) {
			a->timer_at = DHCP_TIMER_KEEP; /* keep the timer as it is */
			return;
		}
		if (f->prev_addr) {
			f->state = DHCP_S_REBOOTING;
			new_exchange(f, now);
			send_request(f, a, now);
			a->note = "asking for the previous address again (init-reboot)";
		} else {
			start_discovery(f, a, now);
			a->note = "discovering";
		}
		return;

	case DHCP_EV_LINK_DOWN:
		a->note = f->bound ? "no carrier: lease dropped" : "no carrier";
		drop_lease(f, a);
		f->state = DHCP_S_LINKDOWN;
		return;

	case DHCP_EV_STOP:
		if (f->bound) {
			new_exchange(f, now);
			out_base(f, a, DHCP_RELEASE, now);
			a->out.ciaddr = f->lease.addr;
			a->out.server_id = f->lease.server_id;
			a->src = f->lease.addr;
			a->dst = f->lease.server_id;
			a->note = "released";
		}
		drop_lease(f, a);
		f->state = DHCP_S_STOPPED;
		f->prev_addr = 0;
		return;

	case DHCP_EV_TIMER:
		switch (f->state) {
		case DHCP_S_SELECTING:
			f->tries++;
			send_discover(f, a, now);
			return;
		case DHCP_S_REQUESTING:
		case DHCP_S_REBOOTING:
			/* Four REQUESTs (about a minute) without an answer: start over. */
			if (++f->tries >= (f->state == DHCP_S_REQUESTING ? 4u : 2u)) {
				a->note = f->state == DHCP_S_REQUESTING
						  ? "no answer to REQUEST: discovering again"
						  : "no answer for the previous address: discovering";
				f->prev_addr = 0;
				start_discovery(f, a, now);
				return;
			}
			send_request(f, a, now);
			return;
		case DHCP_S_BOUND:
		case DHCP_S_RENEWING:
		case DHCP_S_REBINDING:
			if (f->expire_at && now >= f->expire_at) {
				drop_lease(f, a);
				f->prev_addr = 0;
				start_discovery(f, a, now);
				a->note = "lease expired: discovering";
				return;
			}
			if (f->state != DHCP_S_REBINDING && f->t2_at && now >= f->t2_at) {
				f->state = DHCP_S_REBINDING;
				new_exchange(f, now);
				a->note = "rebinding";
			} else if (f->state == DHCP_S_BOUND) {
				if (!f->t1_at || now < f->t1_at) {
					a->timer_at = f->t1_at;
					return;
				}
				f->state = DHCP_S_RENEWING;
				new_exchange(f, now);
				a->note = "renewing";
			} else {
				f->tries++;
			}
			send_request(f, a, now);
			return;
		default:
			return;
		}

	case DHCP_EV_RX:
		a->timer_at = DHCP_TIMER_KEEP; /* ignored messages leave the timer alone */
		if (!m || m->xid != f->xid)
			return;
		switch (f->state) {
		case DHCP_S_SELECTING:
			if (m->type != DHCP_OFFER)
				return;
			f->offer = *m;
			f->state = DHCP_S_REQUESTING;
			f->tries = 0;
			a->timer_at = 0;
			send_request(f, a, now);
			a->note = "offered";
			return;
		case DHCP_S_REQUESTING:
		case DHCP_S_REBOOTING:
		case DHCP_S_RENEWING:
		case DHCP_S_REBINDING:
			if (m->type == DHCP_ACK) {
				take_lease(f, m, a, now);
				return;
			}
			if (m->type == DHCP_NAK) {
				drop_lease(f, a);
				f->prev_addr = 0;
				a->timer_at = 0;
				start_discovery(f, a, now);
				a->note = "refused (NAK): discovering";
			}
			return;
		default:
			return;
		}
	}
}
