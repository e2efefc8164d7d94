/* Fuzz target: a server's reply as the net role receives it.  Input byte 0
 * picks the layer: even = a BOOTP payload, odd = an IPv4/UDP packet around
 * one.  The xid and chaddr are taken from the input itself so the option
 * parser is reached; whatever parses is fed to a state machine that is
 * waiting for it, and the messages it then builds must build. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mac[6] = { 0 }, out[DHCP_MSG_MAX];
	const uint8_t *p;
	size_t len;
	uint32_t xid = 0, src = 0x0202000a;
	struct dhcp_msg m;
	struct dhcp_fsm f;
	struct dhcp_actions a;
	char err[DHCP_ERR_MAX];
	int rc;

	if (size < 1)
		return 0;
	p = data + 1;
	len = size - 1;
	if (data[0] & 1) {
		struct dhcp_udp u;

		rc = dhcp_ip_parse(p, len, DHCP_CLIENT_PORT, &u, err, sizeof(err));
		if (rc < 0) {
			if (rc == -EBADMSG && !err[0])
				abort();
			return 0;
		}
		if (u.payload < p || u.payload + u.len > p + len)
			abort();
		p = u.payload;
		len = u.len;
		src = u.src;
	}
	if (len >= 34) {
		xid = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
		memcpy(mac, p + 28, 6);
	}
	rc = dhcp_parse(p, len, src, xid, mac, &m, err, sizeof(err));
	if (rc == -EBADMSG && !err[0])
		abort();
	if (rc < 0)
		return 0;
	if (strnlen(m.domain, sizeof(m.domain)) == sizeof(m.domain) ||
	    strnlen(m.message, sizeof(m.message)) == sizeof(m.message) ||
	    m.ndns > DHCP_MAX_DNS || m.nrouters > DHCP_MAX_ROUTERS || m.nroutes > DHCP_MAX_ROUTES)
		abort();
	for (size_t i = 0; m.domain[i]; i++)
		if (m.domain[i] == '\n' || m.domain[i] == ' ')
			abort();

	/* A client waiting in each state gets it. */
	for (int st = 0; st < 3; st++) {
		dhcp_fsm_init(&f, mac, NULL, 1234);
		dhcp_fsm_event(&f, DHCP_EV_START, NULL, 1000, &a);
		if (st >= 1) {
			struct dhcp_msg offer = m;

			offer.type = DHCP_OFFER;
			offer.xid = f.xid;
			dhcp_fsm_event(&f, DHCP_EV_RX, &offer, 1100, &a);
		}
		m.xid = f.xid;
		dhcp_fsm_event(&f, DHCP_EV_RX, &m, 1200, &a);
		if (a.send && dhcp_build(out, sizeof(out), &a.out) < 0)
			abort();
		if (f.bound && f.lease.addr != m.yiaddr)
			abort();
		dhcp_fsm_event(&f, DHCP_EV_TIMER, NULL, f.t1_at ? f.t1_at : 5000, &a);
		if (a.send && dhcp_build(out, sizeof(out), &a.out) < 0)
			abort();
		dhcp_fsm_event(&f, DHCP_EV_STOP, NULL, 6000, &a);
		if (a.send && dhcp_build(out, sizeof(out), &a.out) < 0)
			abort();
	}
	return 0;
}
