/* dbgcmd: the debug console's parser and formatters.  See dbgcmd.h. */
#include "dbgcmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- lines ---- */

void
dbgline_init(struct dbgline *l)
{
	memset(l, 0, sizeof(*l));
}

int
dbgline_push(struct dbgline *l, uint8_t c)
{
	bool cr = c == '\r';

	if (c == '\n' && l->last_cr) {
		l->last_cr = false;
		return 0;
	}
	l->last_cr = cr;
	if (l->taken) {         /* a new line starts once the last one was taken */
		l->len = 0;
		l->taken = false;
	}
	if (cr || c == '\n') {
		bool over = l->overflow;

		l->buf[l->len] = '\0';
		l->overflow = false;
		l->taken = true;
		if (over) {
			l->len = 0;
			l->buf[0] = '\0';
			return -E2BIG;
		}
		return 1;
	}
	if (c == 0x08 || c == 0x7f) {
		if (l->len && !l->overflow)
			l->len--;
		return 0;
	}
	if (l->overflow)
		return 0;
	if (l->len >= DBGCMD_LINE_MAX) {
		l->overflow = true;
		return 0;
	}
	l->buf[l->len++] = (char)c;
	return 0;
}

/* ---- commands ---- */

static const struct {
	const char *name;
	enum dbgcmd_id id;
	int args;               /* 0 none, 1 optional, 2 required */
	const char *help;
} cmds[] = {
	{ "help", DBG_HELP, 0, "this list" },
	{ "ports", DBG_PORTS, 0, "network ports: link, carrier, MAC, IPv4 addresses" },
	{ "routes", DBG_ROUTES, 0, "IPv4 routes of the main table" },
	{ "domains", DBG_DOMAINS, 0, "apps as the apps role reports them: name, state, error" },
	{ "logs", DBG_LOGS, 1, "logs [N]: the last N log entries (default 20, at most 500)" },
	{ "ping", DBG_PING, 2, "ping A.B.C.D: 3 ICMP echoes, 1 s each" },
	{ "controller", DBG_CONTROLLER, 0, "TCP + TLS test to the configured controller" },
	{ "version", DBG_VERSION, 0, "eved's version and build" },
	{ "exit", DBG_EXIT, 0, "end this session (the console stays enabled)" },
};

const char *
dbgcmd_name(enum dbgcmd_id id)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].id == id)
			return cmds[i].name;
	return "";
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Strict dotted quad: four decimal numbers 0..255, no leading zeros. */
static int
parse_ipv4(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned n = 0, digits = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -EINVAL;
			i++;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && n == 0)
				return -EINVAL;
			n = n * 10 + (unsigned)(s[i] - '0');
			if (++digits > 3 || n > 255)
				return -EINVAL;
			i++;
		}
		if (!digits)
			return -EINVAL;
		v = v << 8 | n;
	}
	if (i != len)
		return -EINVAL;
	*out = htonl(v);
	return 0;
}

/* "tok" for an error message: the token, bounded, printable (it is). */
#define TOK_SHOW 40

int
dbgcmd_parse(const char *line, size_t len, struct dbgcmd *out, char *err, size_t errsz)
{
	const char *tok[3];
	size_t toklen[3], ntok = 0, i = 0, c;

	memset(out, 0, sizeof(*out));
	if (len > DBGCMD_LINE_MAX) {
		snprintf(err, errsz, "line of %zu bytes is longer than %d", len, DBGCMD_LINE_MAX);
		return -E2BIG;
	}
	for (i = 0; i < len; i++) {
		unsigned char b = (unsigned char)line[i];

		if ((b < 0x20 && b != '\t') || b > 0x7e) {
			snprintf(err, errsz, "byte 0x%02x at column %zu is not printable ASCII",
				 b, i + 1);
			return -EINVAL;
		}
	}
	for (i = 0; i < len;) {
		while (i < len && is_blank(line[i]))
			i++;
		if (i == len)
			break;
		if (ntok == 3)
			break;
		tok[ntok] = line + i;
		while (i < len && !is_blank(line[i]))
			i++;
		toklen[ntok] = (size_t)(line + i - tok[ntok]);
		ntok++;
	}
	if (ntok == 0) {
		out->id = DBG_EMPTY;
		return 0;
	}
	/* Shell syntax anywhere: say plainly that there is no shell. */
	for (i = 0; i < len; i++)
		if (strchr(";|&`$<>(){}*?!~\\'\"", line[i])) {
			snprintf(err, errsz, "'%.*s': shell syntax is not understood: there is no "
				 "shell here (type help)", (int)(len < TOK_SHOW ? len : TOK_SHOW),
				 line);
			return -EINVAL;
		}
	for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (strlen(cmds[c].name) == toklen[0] &&
		    memcmp(cmds[c].name, tok[0], toklen[0]) == 0)
			break;
	if (c == sizeof(cmds) / sizeof(cmds[0])) {
		snprintf(err, errsz, "unknown command '%.*s' (type help)",
			 (int)(toklen[0] < TOK_SHOW ? toklen[0] : TOK_SHOW), tok[0]);
		return -EINVAL;
	}
	out->id = cmds[c].id;
	if (ntok > 2 || (ntok == 2 && cmds[c].args == 0)) {
		snprintf(err, errsz, "%s: too many arguments (type help)", cmds[c].name);
		return -EINVAL;
	}
	if (ntok == 1 && cmds[c].args == 2) {
		snprintf(err, errsz, "%s: an argument is required (type help)", cmds[c].name);
		return -EINVAL;
	}
	if (out->id == DBG_LOGS) {
		unsigned n = 0;

		out->n = DBGCMD_LOGS_DEFAULT;
		if (ntok == 1)
			return 0;
		for (i = 0; i < toklen[1]; i++) {
			if (tok[1][i] < '0' || tok[1][i] > '9' || i >= 4) {
				n = 0;
				break;
			}
			n = n * 10 + (unsigned)(tok[1][i] - '0');
		}
		if (n < 1 || n > DBGCMD_LOGS_MAX) {
			snprintf(err, errsz, "logs: '%.*s' is not a number in 1..%d",
				 (int)(toklen[1] < TOK_SHOW ? toklen[1] : TOK_SHOW), tok[1],
				 DBGCMD_LOGS_MAX);
			return -EINVAL;
		}
		out->n = n;
	} else if (out->id == DBG_PING) {
		if (toklen[1] >= sizeof(out->host) || parse_ipv4(tok[1], toklen[1], &out->addr) < 0) {
			snprintf(err, errsz, "ping: '%.*s' is not an IPv4 address (A.B.C.D)",
				 (int)(toklen[1] < TOK_SHOW ? toklen[1] : TOK_SHOW), tok[1]);
			return -EINVAL;
		}
		memcpy(out->host, tok[1], toklen[1]);
		out->host[toklen[1]] = '\0';
	}
	return 0;
}

/* ---- output ---- */

void
dbgout_init(struct dbgout *o, char *buf, size_t cap)
{
	o->buf = buf;
	o->cap = cap;
	o->len = 0;
	o->cut = false;
	if (cap)
		buf[0] = '\0';
}

static void
dbgout_mark_cut(struct dbgout *o)
{
	static const char mark[] = "...\n";

	o->cut = true;
	if (o->cap < sizeof(mark))
		return;
	memcpy(o->buf + o->cap - sizeof(mark), mark, sizeof(mark));
	o->len = o->cap - 1;
}

void
dbgout_printf(struct dbgout *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->cut || o->cap == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= o->cap - o->len) {
		dbgout_mark_cut(o);
		return;
	}
	o->len += (size_t)n;
}

void
dbgout_str(struct dbgout *o, const char *s, size_t max)
{
	char c[LOG_TEXT_MAX], raw[LOG_TEXT_MAX];
	size_t n = strnlen(s, max < sizeof(raw) - 1 ? max : sizeof(raw) - 1);

	memcpy(raw, s, n);
	raw[n] = '\0';
	log_sanitize(c, sizeof(c), raw);
	dbgout_printf(o, "%s", c);
}

/* src (at most max bytes) sanitised into dst: printable, bounded. */
static const char *
clean(char *dst, size_t dstsz, const char *src, size_t max)
{
	char raw[LOG_TEXT_MAX];
	size_t n = strnlen(src, max < sizeof(raw) - 1 ? max : sizeof(raw) - 1);

	memcpy(raw, src, n);
	raw[n] = '\0';
	log_sanitize(dst, dstsz, raw);
	return dst;
}

void
dbgcmd_help(struct dbgout *o)
{
	dbgout_printf(o, "edgevisor debug console: a fixed set of commands, no shell\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		dbgout_printf(o, "  %-10s %s\n", cmds[i].name, cmds[i].help);
}

static void
fmt_ipv4(char buf[16], uint32_t a)
{
	inet_ntop(AF_INET, &a, buf, 16);
}

void
dbgcmd_fmt_ports(struct dbgout *o, const struct dbg_port *p, size_t n)
{
	dbgout_printf(o, "%-3s %-15s %-4s %-7s %-17s %-8s %s\n", "#", "name", "link", "carrier",
		      "mac", "kind", "ipv4");
	for (size_t i = 0; i < n; i++) {
		const struct rtnl_link *l = &p[i].link;
		char mac[18] = "-", a[16], name[IF_NAMESIZE + 4], kind[24];

		if (l->has_mac)
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0],
				 l->mac[1], l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
		clean(name, sizeof(name), l->name, sizeof(l->name));
		clean(kind, sizeof(kind), l->kind[0] ? l->kind :
		      l->type == ARPHRD_LOOPBACK ? "loopback" : "-", sizeof(l->kind));
		dbgout_printf(o, "%-3d %-15s %-4s %-7s %-17s %-8s ", l->index, name,
			      l->up ? "up" : "down", l->carrier ? "yes" : "no", mac, kind);
		if (p[i].naddr == 0)
			dbgout_printf(o, "-");
		for (size_t k = 0; k < p[i].naddr && k < DBG_PORT_ADDRS; k++) {
			fmt_ipv4(a, p[i].addr[k]);
			dbgout_printf(o, "%s%s/%u", k ? " " : "", a, p[i].plen[k]);
		}
		dbgout_printf(o, "\n");
	}
	if (n == 0)
		dbgout_printf(o, "no ports\n");
}

int
dbgroute_parse(const void *buf, size_t len, struct dbg_route *out)
{
	const struct nlmsghdr *nlh = buf;
	const struct rtmsg *rtm;
	const struct rtattr *rta;
	size_t alen;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
		return -EBADMSG;
	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return -ENOENT;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return -EBADMSG;
	rtm = NLMSG_DATA(nlh);
	if (rtm->rtm_family != AF_INET)
		return -ENOENT;
	if (rtm->rtm_dst_len > 32)
		return -EBADMSG;
	out->plen = rtm->rtm_dst_len;
	out->proto = rtm->rtm_protocol;
	out->type = rtm->rtm_type;
	out->table = rtm->rtm_table;
	alen = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm));
	for (rta = RTM_RTA(rtm); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		size_t pl = RTA_PAYLOAD(rta);

		switch (rta->rta_type) {
		case RTA_DST:
			if (pl != 4)
				return -EBADMSG;
			memcpy(&out->dst, RTA_DATA(rta), 4);
			break;
		case RTA_GATEWAY:
			if (pl != 4)
				return -EBADMSG;
			memcpy(&out->gw, RTA_DATA(rta), 4);
			break;
		case RTA_OIF:
			if (pl != 4)
				return -EBADMSG;
			memcpy(&out->oif, RTA_DATA(rta), 4);
			break;
		case RTA_PRIORITY:
			if (pl != 4)
				return -EBADMSG;
			memcpy(&out->metric, RTA_DATA(rta), 4);
			break;
		case RTA_TABLE:
			if (pl != 4)
				return -EBADMSG;
			memcpy(&out->table, RTA_DATA(rta), 4);
			break;
		default:
			break;
		}
	}
	return 0;
}

static const char *
proto_name(uint8_t p)
{
	switch (p) {
	case RTPROT_KERNEL: return "kernel";
	case RTPROT_BOOT: return "boot";
	case RTPROT_STATIC: return "static";
	case RTPROT_DHCP: return "dhcp";
	default: return "other";
	}
}

void
dbgcmd_fmt_routes(struct dbgout *o, const struct dbg_route *r, size_t n,
		  const struct dbg_port *ports, size_t nports)
{
	size_t shown = 0;

	dbgout_printf(o, "%-18s %-15s %-15s %-7s %s\n", "destination", "gateway", "port", "proto",
		      "metric");
	for (size_t i = 0; i < n; i++) {
		char d[16], g[16] = "-", dst[24], port[IF_NAMESIZE + 4] = "";

		if (r[i].table != RT_TABLE_MAIN || r[i].type != RTN_UNICAST)
			continue;
		fmt_ipv4(d, r[i].dst);
		if (r[i].plen == 0)
			snprintf(dst, sizeof(dst), "default");
		else
			snprintf(dst, sizeof(dst), "%s/%u", d, r[i].plen);
		if (r[i].gw)
			fmt_ipv4(g, r[i].gw);
		for (size_t k = 0; k < nports; k++)
			if (ports[k].link.index == r[i].oif)
				clean(port, sizeof(port), ports[k].link.name, IF_NAMESIZE);
		if (!port[0])
			snprintf(port, sizeof(port), "#%d", r[i].oif);
		dbgout_printf(o, "%-18s %-15s %-15s %-7s %u\n", dst, g, port, proto_name(r[i].proto),
			      r[i].metric);
		shown++;
	}
	if (!shown)
		dbgout_printf(o, "no IPv4 routes\n");
}

void
dbgcmd_fmt_domains(struct dbgout *o, const struct apps_status *st)
{
	if (!st) {
		dbgout_printf(o, "no status from the apps role yet\n");
		return;
	}
	if (st->n_apps == 0) {
		dbgout_printf(o, "no apps\n");
		return;
	}
	dbgout_printf(o, "%-36s %-20s %-16s %s\n", "uuid", "name", "state", "error");
	for (uint32_t i = 0; i < st->n_apps && i < PLAN_MAX_APPS; i++) {
		const struct status_app *a = &st->apps[i];
		char uuid[PLAN_UUID + 4], name[64];

		clean(uuid, sizeof(uuid), a->uuid, sizeof(a->uuid));
		clean(name, sizeof(name), a->name, sizeof(a->name));
		dbgout_printf(o, "%-36s %-20s %-16s ", uuid, name, zsw_name(a->state));
		if (a->err.text[0])
			dbgout_str(o, a->err.text, sizeof(a->err.text));
		else
			dbgout_printf(o, "-");
		dbgout_printf(o, "\n");
	}
}

void
dbgcmd_fmt_log(struct dbgout *o, const struct log_entry *e)
{
	time_t t = (time_t)(e->time_ns / 1000000000);
	struct tm tm;
	char when[32] = "?";

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	dbgout_printf(o, "%s %s ", when, log_level_name(e->level));
	dbgout_str(o, e->source, sizeof(e->source));
	dbgout_printf(o, ": ");
	dbgout_str(o, e->text, sizeof(e->text));
	dbgout_printf(o, "\n");
}
