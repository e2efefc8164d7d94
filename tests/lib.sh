# Shell helpers for integration and system tests: TAP output that
# tests/run.sh counts, waiting with a deadline, and cleanup on exit.
#   . "$(dirname "$0")/../lib.sh"
# Every check prints "ok N - what" or "not ok N - what" (plus "# why" lines).

TAP_N=0
TAP_FAILED=0
EV_BUILD=${EV_BUILD:-build/rel}
EV_TMP=$(mktemp -d /tmp/evtest.XXXXXX)
_cleanups=()

at_exit() { _cleanups+=("$*"); }
_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[i]}" || true; done
	[ -n "${EV_KEEP_TMP:-}" ] && { echo "# kept $EV_TMP"; return 0; }
	rm -rf "$EV_TMP"
}
trap _run_cleanups EXIT

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() {
	TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"; shift
	local l; for l in "$@"; do echo "# $l"; done
}
# check WHAT CMD...: ok when CMD exits 0.
check() {
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what" "command failed: $*"; fi
}
# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds; 1 on timeout.
wait_for() {
	local limit=$1; shift
	local end=$((SECONDS + limit))
	while ! "$@" 2>/dev/null; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.05
	done
}
# done_testing: exit status for run.sh (non-zero when a check failed).
done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

# free_port: a TCP port on 127.0.0.1 that is free, and so is the next one.
free_port() {
	/usr/bin/python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randint(20000, 60000)
    try:
        for q in (p, p + 1):
            s = socket.socket(); s.bind(("127.0.0.1", q)); s.close()
        print(p); break
    except OSError:
        pass
PY
}

# swtpm_start DIR: a software TPM 2.0 on free loopback ports, state in DIR;
# sets SWTPM_TCTI (for eved --tcti) and TPM2TOOLS_TCTI; stopped on exit.
swtpm_start() {
	local dir=$1 port
	mkdir -p "$dir"
	port=$(free_port)
	swtpm socket --tpm2 --server type=tcp,port="$port",bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
		--tpmstate dir="$dir" --flags not-need-init,startup-clear \
		--log file="$dir/swtpm.log" &
	SWTPM_PID=$!
	at_exit "kill $SWTPM_PID 2>/dev/null; wait $SWTPM_PID 2>/dev/null"
	SWTPM_TCTI="swtpm:host=127.0.0.1,port=$port"
	export TPM2TOOLS_TCTI=$SWTPM_TCTI
	wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$port" 2>/dev/null
}
