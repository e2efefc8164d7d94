#!/usr/bin/env bash
# Integration: the net role's DHCP client against a real server (busybox
# udhcpd) on a veth pair between two network namespaces; the real kernel.
# - eved --host --net-dhcp veth1 gets an address, a default route and
#   <run-dir>/resolv.conf from the lease;
# - a short lease is renewed (the log shows it);
# - with the server gone, the lease expires and the address is dropped;
# - carrier down drops the lease; carrier up asks for the old address
#   (INIT-REBOOT), a server with another pool answers NAK, discovery starts
#   again and an address of the new pool is bound;
# - SIGTERM releases the lease (the server's lease file forgets it).
set -u
. "$(dirname "$0")/../lib.sh"

EVED=$(readlink -f "$EV_BUILD/eved")
SRV=evsrv$$
CLI=evcli$$
LOG=$EV_TMP/eved.log
RUN=$EV_TMP/run
mkdir -p "$EV_TMP/config" "$EV_TMP/persist" "$RUN"

if ! ip netns add "$SRV" 2>/dev/null; then
	echo "1..0 # SKIP cannot create network namespaces (not root?)"
	exit 0
fi
at_exit "ip netns del $SRV"
ip netns add "$CLI"
at_exit "ip netns del $CLI"
ip link add evv0$$ type veth peer name evv1$$
ip link set evv0$$ netns "$SRV" name veth0
ip link set evv1$$ netns "$CLI" name veth1
ip -n "$SRV" addr add 10.99.0.1/24 dev veth0
ip -n "$SRV" link set veth0 up

# start_udhcpd FIRST LAST: serves FIRST..LAST with an 8 s lease.
start_udhcpd() {
	cat >"$EV_TMP/udhcpd.conf" <<EOF
start $1
end $2
interface veth0
max_leases 20
lease_file $EV_TMP/udhcpd.leases
pidfile $EV_TMP/udhcpd.pid
min_lease 4
option subnet 255.255.255.0
option router 10.99.0.1
option dns 10.99.0.53 10.99.0.54
option domain test.example
option lease 8
EOF
	rm -f "$EV_TMP/udhcpd.leases"
	touch "$EV_TMP/udhcpd.leases"
	ip netns exec "$SRV" busybox udhcpd -f -a 100 "$EV_TMP/udhcpd.conf" \
		>>"$EV_TMP/udhcpd.log" 2>&1 &
	UDHCPD_PID=$!
}
stop_udhcpd() {
	kill "$UDHCPD_PID" 2>/dev/null
	wait "$UDHCPD_PID" 2>/dev/null
}
at_exit 'stop_udhcpd'

start_udhcpd 10.99.0.100 10.99.0.110
ip netns exec "$CLI" "$EVED" --host --config "$EV_TMP/config" --persist "$EV_TMP/persist" \
	--run-dir "$RUN" --net-dhcp veth1 --log-level debug >"$LOG" 2>&1 &
EVED_PID=$!
at_exit "kill -KILL $EVED_PID 2>/dev/null; pkill -KILL -P $EVED_PID 2>/dev/null"

cli_addr() { ip -n "$CLI" -4 -o addr show dev veth1 | awk '{print $4}'; }
has_addr_in() { cli_addr | grep -q "^$1"; }
no_addr() { [ -z "$(cli_addr)" ]; }

if wait_for 20 has_addr_in '10\.99\.0\.1[01][0-9]/24'; then
	ok "veth1 bound an address of the pool: $(cli_addr)"
else
	not_ok "veth1 bound an address of the pool" "$(tail -n 30 "$LOG")" "$(cat "$EV_TMP/udhcpd.log")"
fi
ADDR1=$(cli_addr)
route=$(ip -n "$CLI" -4 route show default)
check "default route via the router, metric 100 ($route)" \
	grep -q 'default via 10.99.0.1 dev veth1 proto dhcp metric 100' <<<"$route"
check "lo is up" grep -q "state UNKNOWN\|state UP" <<<"$(ip -n "$CLI" link show lo up)"
check "the lease is logged" grep -q "net: veth1 bound ${ADDR1} router 10.99.0.1 dns 10.99.0.53,10.99.0.54 lease 8 s" "$LOG"
if wait_for 5 test -s "$RUN/resolv.conf"; then
	want=$'search test.example\nnameserver 10.99.0.53\nnameserver 10.99.0.54'
	check "resolv.conf has the domain and both servers" \
		test "$(grep -v '^#' "$RUN/resolv.conf")" = "$want"
else
	not_ok "resolv.conf written" "$(ls -l "$RUN")"
fi
valid=$(ip -n "$CLI" -4 -o addr show dev veth1 | grep -o 'valid_lft [0-9a-z]*')
check "the address lives no longer than the lease ($valid)" \
	bash -c "[[ '$valid' =~ ^valid_lft\ [0-8]sec$ ]]"

# --- renewal (T1 = 4 s)
if wait_for 15 grep -q "net: veth1 renewed ${ADDR1}" "$LOG"; then
	ok "the short lease is renewed"
else
	not_ok "the short lease is renewed" "$(tail -n 20 "$LOG")"
fi
check "still the same address after renewal" test "$(cli_addr)" = "$ADDR1"

# --- server gone: rebinding, then expiry drops the address
stop_udhcpd
if wait_for 20 no_addr; then
	ok "with the server gone the lease expires and the address is dropped"
else
	not_ok "lease expiry drops the address" "$(cli_addr)" "$(tail -n 20 "$LOG")"
fi
check "rebinding was tried before expiry" grep -q "net: veth1: rebinding" "$LOG"
check "the expiry is logged" grep -q "net: veth1: lease expired: discovering" "$LOG"
check "no default route left" test -z "$(ip -n "$CLI" -4 route show default)"
check "resolv.conf removed with the last lease" test ! -e "$RUN/resolv.conf"

# --- the server comes back; bound again
start_udhcpd 10.99.0.100 10.99.0.110
if wait_for 40 has_addr_in '10\.99\.0\.1[01][0-9]/24'; then
	ok "bound again once the server is back: $(cli_addr)"
else
	not_ok "bound again once the server is back" "$(tail -n 20 "$LOG")"
fi

# --- carrier down drops the lease; a new pool NAKs the old address
ip -n "$SRV" link set veth0 down
if wait_for 10 no_addr; then
	ok "carrier down drops the lease"
else
	not_ok "carrier down drops the lease" "$(cli_addr)" "$(tail -n 20 "$LOG")"
fi
stop_udhcpd
start_udhcpd 10.99.0.150 10.99.0.160
ip -n "$SRV" link set veth0 up
if wait_for 30 has_addr_in '10\.99\.0\.15[0-9]/24'; then
	ok "after the NAK an address of the new pool is bound: $(cli_addr)"
else
	not_ok "after a NAK, the new pool" "$(cli_addr)" "$(tail -n 20 "$LOG")"
fi
check "carrier up asked for the old address (init-reboot)" \
	grep -q "net: veth1: asking for the previous address again (init-reboot)" "$LOG"
check "the NAK restarted discovery" grep -q "net: veth1: refused (NAK): discovering" "$LOG"

# --- SIGTERM: RELEASE
kill -TERM "$EVED_PID"
wait "$EVED_PID"
rc=$?
check "eved exits 0 on SIGTERM (rc $rc)" test "$rc" -eq 0
check "the lease was released" grep -q "net: veth1: released" "$LOG"
check "the address is removed on stop" no_addr
done_testing
