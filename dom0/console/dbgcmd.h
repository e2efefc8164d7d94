/*
 * dbgcmd: the developer debug console's pure half (the console role,
 * dom0/eved/console.c, does the I/O).  The console has a fixed command set
 * built into eved and no shell: a line is parsed into one of the commands
 * below or refused with a one-line error; nothing in a line can name a
 * program, a file or shell syntax.
 *
 *   dbgline    bytes from the serial line -> bounded lines (CR, LF or CRLF
 *              end a line; backspace/DEL erase; an over-long line is
 *              dropped whole and reported)
 *   dbgcmd     one line -> struct dbgcmd (command + checked arguments)
 *   dbgout     a bounded output buffer; the formatters write the answers of
 *              help, ports, routes, domains and logs into it, every string
 *              from outside (names, errors, log text) sanitised first
 *   dbgroute   one RTM_NEWROUTE netlink message -> struct dbg_route
 *
 * All pure: no I/O, no globals, caller-owned memory throughout.
 */
#ifndef EV_DBGCMD_H
#define EV_DBGCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appstatus.h"
#include "log.h"
#include "rtnl.h"

#define DBGCMD_LINE_MAX 256     /* bytes of a command line, without its end */
#define DBGCMD_LOGS_DEFAULT 20
#define DBGCMD_LOGS_MAX 500
#define DBGCMD_ERR_MAX 160

/* ---- lines ---- */

struct dbgline {
	char buf[DBGCMD_LINE_MAX + 1];
	size_t len;
	bool overflow;          /* the current line went past DBGCMD_LINE_MAX */
	bool last_cr;           /* an LF right after a CR ends nothing */
	bool taken;             /* the last call ended a line: the next starts anew */
};

void dbgline_init(struct dbgline *l);
/*
 * Takes one byte: 0 more to come; 1 a line is complete (l->buf, l->len,
 * NUL-terminated after len; it may hold any byte, NUL too: the parser
 * judges); -E2BIG a line longer than DBGCMD_LINE_MAX ended (dropped).
 * The next call starts a new line.
 */
int dbgline_push(struct dbgline *l, uint8_t byte);

/* ---- commands ---- */

enum dbgcmd_id {
	DBG_EMPTY,              /* blank line: just a new prompt */
	DBG_HELP,
	DBG_PORTS,
	DBG_ROUTES,
	DBG_DOMAINS,
	DBG_LOGS,
	DBG_PING,
	DBG_CONTROLLER,
	DBG_VERSION,
	DBG_EXIT,
};

struct dbgcmd {
	enum dbgcmd_id id;
	unsigned n;             /* logs: how many entries (1..DBGCMD_LOGS_MAX) */
	uint32_t addr;          /* ping: IPv4, network byte order */
	char host[16];          /* ping: the address as given, dotted quad */
};

/*
 * Parses one line (len bytes; need not be NUL-terminated): 0 and *out, or
 * -EINVAL / -E2BIG with err ("unknown command 'sh' (type help)", "byte 0x1b
 * at column 4 is not printable ASCII", "'; ls': shell syntax is not
 * understood: there is no shell here", "logs: '0' is not a number in
 * 1..500", "ping: '1.2.3' is not an IPv4 address" ...).
 */
int dbgcmd_parse(const char *line, size_t len, struct dbgcmd *out, char *err, size_t errsz);
const char *dbgcmd_name(enum dbgcmd_id id);

/* ---- output ---- */

struct dbgout {
	char *buf;              /* caller's, cap bytes; always NUL-terminated */
	size_t cap, len;
	bool cut;               /* something did not fit (the text ends "...\n") */
};

void dbgout_init(struct dbgout *o, char *buf, size_t cap);
void dbgout_printf(struct dbgout *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s sanitised (control bytes and bad UTF-8 -> '?', at most max bytes). */
void dbgout_str(struct dbgout *o, const char *s, size_t max);

void dbgcmd_help(struct dbgout *o);

/* One port: its link and IPv4 addresses. */
#define DBG_PORT_ADDRS 8
struct dbg_port {
	struct rtnl_link link;
	uint32_t addr[DBG_PORT_ADDRS];   /* network byte order */
	uint8_t plen[DBG_PORT_ADDRS];
	size_t naddr;
};
void dbgcmd_fmt_ports(struct dbgout *o, const struct dbg_port *p, size_t n);

struct dbg_route {
	uint32_t dst, gw;       /* network byte order; gw 0: on-link */
	uint8_t plen;
	uint8_t proto;          /* RTPROT_* */
	uint8_t type;           /* RTN_* */
	uint32_t table;
	int oif;
	uint32_t metric;
};
/*
 * Parses one netlink message of type RTM_NEWROUTE (IPv4): 0; -ENOENT for
 * another type or family; -EBADMSG malformed.
 */
int dbgroute_parse(const void *nlh, size_t len, struct dbg_route *out);
/* ifname(index) names a port for the table (NULL: by number). */
void dbgcmd_fmt_routes(struct dbgout *o, const struct dbg_route *r, size_t n,
		       const struct dbg_port *ports, size_t nports);

/* The apps role's last status (NULL: none received yet). */
void dbgcmd_fmt_domains(struct dbgout *o, const struct apps_status *st);
/* One log entry per line: "2024-05-01T10:00:00Z notice evc: text". */
void dbgcmd_fmt_log(struct dbgout *o, const struct log_entry *e);

#endif
