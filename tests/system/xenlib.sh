# Shared by the Xen system tests (tests/system/**.sh), after tests/lib.sh:
# booting the image on the QEMU board with a serial socket and a monitor
# socket, and waiting for a stage with at most one retry per test.
#
# A TCG run of Xen can stall for good (lab notes: dom0 segfaults; seen here:
# the whole system silent, both CPUs halted in Xen's idle loop, dom0's vCPU
# runnable but never scheduled).  wait_stage gives a stage its deadline; on
# a miss, and only once per test, it prints "# RETRY" with the reason (a
# crash line from the console, or "no progress" with the last console line
# and Xen's run queue and domain dump), power-cycles the board and waits for
# the same stage again.  The retry is printed, counted in RETRIES, and the
# test prints "# boot retries: N" at its end: never hidden.
#   XL_BOOT_ARGS: extra qemu.sh arguments (e.g. --net tap:IF); XL_IN: a
#   command prefix to run QEMU with (e.g. "ip netns exec NS").
RETRIES=0
XL_N=0
XL_QPID=""
XL_FLAKE='segfault|Kernel panic|Panic on CPU|general protection'

# xl_boot: boots $ROOT/disk.img; the console goes to $ROOT/serial.N
xl_boot() {
	XL_N=$((XL_N + 1))
	XL_SERIAL=$ROOT/serial.$XL_N
	${XL_IN:-} "$TOP/board/qemu-x86_64/qemu.sh" "$ROOT/disk.img" --serial "$XL_SERIAL" \
		--serial-sock "$ROOT/serial.$XL_N.sock" --monitor "$ROOT/monitor.$XL_N.sock" \
		--pidfile "$ROOT/qemu.pid" --timeout 1500 ${XL_BOOT_ARGS:-} >"$ROOT/qemu.$XL_N.log" 2>&1 &
	XL_QPID=$!
}
# xl_power_cut: QEMU killed at once (a power cut for the device)
xl_power_cut() {
	kill -9 "$(cat "$ROOT/qemu.pid" 2>/dev/null)" 2>/dev/null
	[ -n "$XL_QPID" ] && wait "$XL_QPID" 2>/dev/null
	XL_QPID=""
}
# xl_xen_keys KEYS: sends Xen debug keys on the serial line; prints what Xen said
xl_xen_keys() {
	local sock=$ROOT/serial.$XL_N.sock before k
	[ -S "$sock" ] || return 0
	before=$(wc -c < "$XL_SERIAL")
	printf '\001\001\001' | timeout 3 socat - "UNIX-CONNECT:$sock" 2>/dev/null
	for k in $1; do printf '%s' "$k" | timeout 3 socat - "UNIX-CONNECT:$sock" 2>/dev/null; sleep 1; done
	tail -c +"$((before + 1))" "$XL_SERIAL" | grep -aE '\[0\.0\]|current=|pause_flags|upcall_pend|CPU\[0' | head -n 12
}
# wait_stage SECONDS WHAT CMD...: 0 once CMD succeeds; retries the boot once
wait_stage() {
	local limit=$1 what=$2 why
	shift 2
	wait_for "$limit" "$@" && return 0
	[ "$RETRIES" = 0 ] || return 1
	why=$(grep -aE "$XL_FLAKE" "$XL_SERIAL" | head -n 1 | cut -c1-120)
	if [ -n "$why" ]; then
		echo "# RETRY: boot $XL_N hit a TCG flake before '$what': $why"
	else
		echo "# RETRY: boot $XL_N made no progress towards '$what' in $limit s; last console line:" \
			"$(grep -av '^(XEN)' "$XL_SERIAL" | tail -n 1 | cut -c1-120)"
		xl_xen_keys "r q" | sed 's/^/#   /'
	fi
	RETRIES=$((RETRIES + 1))
	xl_power_cut
	xl_boot
	wait_for "$limit" "$@"
}
