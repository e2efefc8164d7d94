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
