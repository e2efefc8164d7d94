/*
 * dhcp: a DHCPv4 client's codec and state machine (RFC 2131, 2132, 3442).
 * Pure: bytes in, structures out; no I/O, no clock, no globals (the caller
 * passes the time and seeds the random numbers), so all of it is unit-tested
 * and fuzzed.  The net role (dom0/eved/net.c) owns the sockets and timers.
 *
 *   dhcp_build      a DISCOVER, REQUEST (selecting, init-reboot, renewing,
 *                   rebinding) or RELEASE message (the BOOTP payload)
 *   dhcp_parse      an OFFER, ACK or NAK: op, htype, xid and chaddr must
 *                   match; cookie; every option bounded and length-checked
 *   dhcp_ip_build / dhcp_ip_parse
 *                   the IPv4 + UDP headers around it (checksums), for the
 *                   AF_PACKET SOCK_DGRAM socket the role uses
 *   dhcp_fsm_*      INIT -> SELECTING -> REQUESTING -> BOUND -> RENEWING ->
 *                   REBINDING -> INIT; INIT-REBOOT after a link flap; events
 *                   in, actions (send, apply, unapply, timer) out
 *
 * Addresses are IPv4 in network byte order (as in struct in_addr).  Errors
 * name the input and the reason: "DHCP OFFER from 10.0.2.2: subnet mask
 * option length 3".
 *
 * Ownership: every buffer and structure is the caller's; nothing here
 * allocates or keeps a pointer past the call.
 */
#ifndef EV_DHCP_H
#define EV_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

#define DHCP_FIXED_LEN 240       /* BOOTP header + magic cookie */
#define DHCP_MSG_MAX 1024        /* what dhcp_build may produce; buffers this big suffice */
#define DHCP_IP_HDRS 28          /* IPv4 (no options) + UDP header */
#define DHCP_MAX_ROUTERS 4
#define DHCP_MAX_DNS 4
#define DHCP_MAX_ROUTES 16       /* classless static routes (option 121) */
#define DHCP_NAME_MAX 64         /* domain name, host name (with NUL) */
#define DHCP_ERR_MAX 160

enum dhcp_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

/* "DISCOVER", "OFFER", ...; "message type N" (static) otherwise. */
const char *dhcp_type_name(int type);

/* Which REQUEST (RFC 2131 table 4 / section 4.3.2). */
enum dhcp_req_kind {
	DHCP_REQ_SELECTING,   /* ciaddr 0; requested IP + server id; broadcast */
	DHCP_REQ_INIT_REBOOT, /* ciaddr 0; requested IP, no server id; broadcast */
	DHCP_REQ_RENEWING,    /* ciaddr set; unicast to the server */
	DHCP_REQ_REBINDING,   /* ciaddr set; broadcast */
};

/* What to put in a client message. */
struct dhcp_out {
	uint8_t type;          /* DHCP_DISCOVER, DHCP_REQUEST or DHCP_RELEASE */
	uint8_t kind;          /* enum dhcp_req_kind, for DHCP_REQUEST */
	uint32_t xid;
	uint16_t secs;         /* seconds since the exchange began */
	uint8_t mac[6];        /* chaddr; also the client identifier (type 1) */
	uint32_t ciaddr;       /* RENEWING, REBINDING, RELEASE */
	uint32_t requested;    /* option 50: SELECTING, INIT-REBOOT, optional in DISCOVER */
	uint32_t server_id;    /* option 54: SELECTING, RELEASE */
	char hostname[DHCP_NAME_MAX]; /* option 12 when not empty */
};

/* Builds the BOOTP message into buf: its length, or -ENOSPC (cap too
 * small; DHCP_MSG_MAX always suffices), -EINVAL (a type or kind this
 * client never sends, a host name that is not a DNS label). */
int dhcp_build(uint8_t *buf, size_t cap, const struct dhcp_out *o);

struct dhcp_route {
	uint32_t dst;          /* network byte order, host bits zero */
	uint8_t plen;          /* 0..32 */
	uint32_t gw;           /* 0: on-link */
};

/* A server's reply, parsed. */
struct dhcp_msg {
	uint8_t type;          /* DHCP_OFFER, DHCP_ACK or DHCP_NAK */
	uint32_t xid;
	uint32_t yiaddr;       /* the address offered (0 in a NAK) */
	uint32_t server_id;    /* option 54 (required) */
	uint32_t mask;         /* option 1; 0 when absent (then a classful guess) */
	uint8_t plen;          /* prefix length from mask (or the guess) */
	uint32_t routers[DHCP_MAX_ROUTERS];
	unsigned nrouters;
	uint32_t dns[DHCP_MAX_DNS];
	unsigned ndns;
	uint32_t lease_s;      /* option 51; UINT32_MAX = infinite */
	uint32_t t1_s, t2_s;   /* options 58/59, else 0.5 and 0.875 of the lease */
	struct dhcp_route routes[DHCP_MAX_ROUTES]; /* option 121 */
	unsigned nroutes;
	char domain[DHCP_NAME_MAX];   /* option 15, "" when absent */
	char hostname[DHCP_NAME_MAX]; /* option 12, "" when absent */
	char message[DHCP_NAME_MAX];  /* option 56 (a NAK's reason), sanitised */
};

/*
 * Parses a server's BOOTP payload (len bytes at p).  src (network order) is
 * the IP source, for the error text.  xid and mac: what this client sent;
 * a reply to someone else is -ENOENT ("not ours", expected on a shared
 * segment).  Bad input is -EBADMSG with err filled (errsz bytes).  Extra
 * options beyond DHCP_MAX_* are ignored; names must be DNS-safe (they go
 * into resolv.conf); overloaded options (52) and split options are refused.
 */
int dhcp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t xid, const uint8_t mac[6],
	       struct dhcp_msg *out, char *err, size_t errsz);

/*
 * IPv4 + UDP around a payload: writes DHCP_IP_HDRS + len bytes to buf
 * (both checksums computed, TTL 64, DF clear); the total, or -ENOSPC.
 */
int dhcp_ip_build(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst, uint16_t sport,
		  uint16_t dport, const uint8_t *payload, size_t len);

struct dhcp_udp {
	uint32_t src, dst;
	uint16_t sport, dport;
	const uint8_t *payload;  /* points into the packet */
	size_t len;
};

/*
 * Parses an IPv4 packet (as an AF_PACKET SOCK_DGRAM socket gives it: from
 * the IP header, maybe with link padding after it) carrying UDP to dport:
 * 0 and *out; -ENOENT when it is another protocol, port or a fragment (not
 * ours); -EBADMSG with err for a malformed header or a bad checksum.
 */
int dhcp_ip_parse(const uint8_t *pkt, size_t len, uint16_t dport, struct dhcp_udp *out,
		  char *err, size_t errsz);

/* "10.0.2.15" of a network-order address into buf (>= 16 bytes). */
const char *dhcp_ntoa(uint32_t a, char *buf);
/* The prefix length of a contiguous netmask, or -1. */
int dhcp_mask_plen(uint32_t mask);

/* ---- the client state machine ---- */

enum dhcp_state {
	DHCP_S_INIT,         /* before the first event, after STOP */
	DHCP_S_SELECTING,    /* DISCOVER sent, waiting for an OFFER */
	DHCP_S_REQUESTING,   /* REQUEST (selecting) sent */
	DHCP_S_REBOOTING,    /* REQUEST (init-reboot) sent for the old address */
	DHCP_S_BOUND,
	DHCP_S_RENEWING,     /* T1 passed: unicast REQUESTs */
	DHCP_S_REBINDING,    /* T2 passed: broadcast REQUESTs */
	DHCP_S_LINKDOWN,     /* no carrier: no lease, waiting */
	DHCP_S_STOPPED,
};

enum dhcp_event {
	DHCP_EV_START,       /* begin: INIT-REBOOT if fsm->prev_addr is set, else DISCOVER */
	DHCP_EV_RX,          /* a parsed reply (dhcp_parse with fsm->xid) */
	DHCP_EV_TIMER,       /* the timer the last actions asked for fired */
	DHCP_EV_LINK_DOWN,
	DHCP_EV_LINK_UP,
	DHCP_EV_STOP,        /* clean stop: RELEASE a lease */
};

const char *dhcp_state_name(enum dhcp_state s);

/* The lease in use. */
struct dhcp_lease {
	uint32_t addr, server_id;
	uint8_t plen;
	uint32_t router;       /* 0: none (the default route from option 121 or none) */
	uint32_t dns[DHCP_MAX_DNS];
	unsigned ndns;
	struct dhcp_route routes[DHCP_MAX_ROUTES];
	unsigned nroutes;
	uint32_t lease_s, t1_s, t2_s;
	char domain[DHCP_NAME_MAX];
};

struct dhcp_fsm {
	enum dhcp_state state;
	uint8_t mac[6];
	char hostname[DHCP_NAME_MAX];
	uint32_t rnd;          /* xorshift state: xids and jitter */
	uint32_t xid;          /* of the current exchange */
	unsigned tries;        /* retransmissions in this state */
	uint64_t began_ms;     /* when the exchange began (secs field) */
	uint64_t sent_ms;      /* when the REQUEST that got the lease was sent */
	uint32_t prev_addr;    /* for INIT-REBOOT; 0 none */
	struct dhcp_msg offer; /* the OFFER being requested */
	bool bound;            /* lease is in use (applied) */
	struct dhcp_lease lease;
	uint64_t t1_at, t2_at, expire_at; /* ms, the caller's clock */
};

#define DHCP_TIMER_KEEP UINT64_MAX

/* What the caller must do, in this order: unapply, apply, send, arm. */
struct dhcp_actions {
	bool unapply;          /* remove old (address, routes, DNS) */
	struct dhcp_lease old;
	bool apply;            /* install fsm->lease */
	bool renewed;          /* apply of the same address (a renewal) */
	bool send;             /* send `out` */
	struct dhcp_out out;
	uint32_t dst;          /* INADDR_BROADCAST, or the server (unicast) */
	uint32_t src;          /* the IP source: 0, or our address */
	uint64_t timer_at;     /* absolute ms to fire DHCP_EV_TIMER; 0: disarm;
				* DHCP_TIMER_KEEP: leave it as it is */
	const char *note;      /* what happened, for the log; NULL: nothing */
};

/* seed: any non-zero random value. */
void dhcp_fsm_init(struct dhcp_fsm *f, const uint8_t mac[6], const char *hostname, uint32_t seed);
/* msg: the reply for DHCP_EV_RX (else NULL); now_ms: the caller's monotonic clock. */
void dhcp_fsm_event(struct dhcp_fsm *f, enum dhcp_event ev, const struct dhcp_msg *msg,
		    uint64_t now_ms, struct dhcp_actions *a);

/* Retransmission delay of try n (0, 1, ...): 4 s, 8 s, ... capped at 64 s,
 * +- 1 s of jitter from rnd. */
uint64_t dhcp_retransmit_ms(unsigned n, uint32_t rnd);

#endif
