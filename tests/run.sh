#!/usr/bin/env bash
# Runs test tiers and prints one closing line "N passed, N failed[, N skipped]".
#
#   tests/run.sh TIER...     TIER: unit unit-san integration system-smoke system
#
# EV_BUILD names the build folder (build/rel or build/san).  Every test binary
# or script is run from the repository root.  A cmocka binary reports per test
# in TAP (CMOCKA_MESSAGE_OUTPUT=TAP); an integration or system script prints
# TAP lines "ok - what" / "not ok - what" itself (tests/lib.sh).  A binary or
# script that exits non-zero without reporting a failure counts one failure
# (a crash, a sanitizer report, a timeout), so nothing is lost silently.
# Skipped tests are counted as skipped, never as passed.
set -u
cd "$(dirname "$0")/.."
B=${EV_BUILD:-build/rel}
LOGDIR=build/test-logs
mkdir -p "$LOGDIR"

pass=0 fail=0 skip=0
failed_names=()

# run_tap NAME TIMEOUT CMD... : run CMD, parse TAP from its stdout.
run_tap() {
	local name=$1 limit=$2; shift 2
	local log="$LOGDIR/${name//\//_}.log"
	local p=0 f=0 s=0 rc
	timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"not ok "*"# SKIP"*) s=$((s + 1)) ;;
		"ok "*"# SKIP"*) s=$((s + 1)) ;;
		"not ok "*) f=$((f + 1)); failed_names+=("$name: ${line#not ok }") ;;
		"ok "*) p=$((p + 1)) ;;
		esac
	done <"$log"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			failed_names+=("$name: timed out after $limit")
		else
			failed_names+=("$name: exited $rc without reporting a failure (crash or sanitizer?)")
		fi
	fi
	if [ "$f" -ne 0 ]; then
		echo "  FAIL $name ($p passed, $f failed, $s skipped) — log: $log"
		sed -n '1,200p' "$log" | grep -v '^ok ' | sed 's/^/    | /' | tail -n 60
	else
		printf '  ok   %-40s %d passed%s\n' "$name" "$p" "$([ "$s" -gt 0 ] && echo ", $s skipped")"
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

# replay NAME BIN DIR: every corpus file through a fuzz target; one test per file.
replay() {
	local name=$1 bin=$2 dir=$3 f
	[ -d "$dir" ] || return 0
	run_tap "$name" 300 bash -c '
		bin=$1; shift; n=0; err=$(mktemp)
		for f in "$@"; do
			n=$((n + 1))
			if "$bin" "$f" >/dev/null 2>"$err"; then echo "ok $n - $f"
			else echo "not ok $n - $f"; sed "s/^/# /" "$err"; fi
		done
		rm -f "$err"' _ "$bin" $(find "$dir" -type f | sort)
}

tier_unit() {
	local b=$1 label=$2 t
	echo "$label ($b):"
	for t in "$b"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		CMOCKA_MESSAGE_OUTPUT=TAP run_tap "$label/$(basename "$t")" 300 "$t"
	done
	for t in "$b"/tests/fuzz/replay_*; do
		[ -x "$t" ] || continue
		local n=${t##*/replay_}
		replay "$label/fuzz-replay-$n" "$t" "tests/fuzz/corpus/$n"
	done
}

tier_scripts() {
	local dir=$1 label=$2 limit=$3 t
	echo "$label:"
	for t in "$dir"/test_*.sh; do
		[ -f "$t" ] || continue
		EV_BUILD=$B run_tap "$label/$(basename "$t" .sh)" "$limit" bash "$t"
	done
}

for tier in "$@"; do
	case "$tier" in
	unit) tier_unit "$B" unit ;;
	unit-san) tier_unit build/san unit-san ;;
	integration) tier_scripts tests/integration integration 600 ;;
	system-smoke) tier_scripts tests/system/smoke system-smoke 900 ;;
	system) tier_scripts tests/system/smoke system-smoke 900
		tier_scripts tests/system system 3600 ;;
	*) echo "run.sh: unknown tier '$tier'" >&2; exit 2 ;;
	esac
done

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failures:"
	printf '  %s\n' "${failed_names[@]}"
fi
total=$((pass + fail))
if [ "$total" -eq 0 ]; then
	echo "run.sh: no test ran for: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
