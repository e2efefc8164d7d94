#!/usr/bin/env bash
# Integration: eved's supervisor in host mode, as a real process tree.
# - every role of DESIGN.md §3 runs as its own process, named eved-ROLE;
# - a killed role is restarted, with exponentially growing delays;
# - a hung role (SIGSTOP: it stops answering PINGs) is killed and restarted;
# - SIGTERM stops every role and eved exits 0, leaving no process behind,
#   even when a role ignores SIGTERM (SIGSTOP'd) until the stop timeout.
set -u
. "$(dirname "$0")/../lib.sh"

EVED=$EV_BUILD/eved
ROLES="evc download identity apps net baseos console"
mkdir -p "$EV_TMP/config" "$EV_TMP/persist"
LOG=$EV_TMP/eved.log

start_eved() {
	"$EVED" --host --config "$EV_TMP/config" --persist "$EV_TMP/persist" \
		--ping-interval-ms 200 --stop-timeout-ms 1500 \
		--backoff-min-ms 100 --backoff-max-ms 800 --backoff-reset-ms 60000 \
		--ready-fd 9 9>"$EV_TMP/ready.out" >"$LOG" 2>&1 &
	EVED_PID=$!
	at_exit "kill -KILL $EVED_PID 2>/dev/null; pkill -KILL -P $EVED_PID 2>/dev/null"
}

role_pid() { pgrep -P "$EVED_PID" -x "eved-$1"; }
all_roles_up() {
	local r
	for r in $ROLES; do role_pid "$r" >/dev/null || return 1; done
}
alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]; }

start_eved
if wait_for 10 grep -q ready "$EV_TMP/ready.out"; then
	ok "eved signals readiness once every role is up"
else
	not_ok "eved signals readiness once every role is up" "$(tail -n 20 "$LOG")"
fi
check "all seven roles run as separate processes" all_roles_up
n=$(pgrep -P "$EVED_PID" | wc -l)
check "exactly seven children (found $n)" test "$n" -eq 7

# Each role runs eved itself (fork+exec), not a fork sharing the parent's memory.
evc=$(role_pid evc)
check "roles are exec'd eved binaries" test "$(readlink /proc/"$evc"/exe)" = "$(readlink -f "$EVED")"
# Only stdin/out/err and the supervisor socket cross into a role: no other
# role's socket, nothing of the parent's (its own signalfd is its only other fd).
fds=$(for f in /proc/"$evc"/fd/*; do readlink "$f"; done | sed 's/\[.*//' | sort | tr '\n' ' ')
nsock=$(grep -o 'socket:' <<<"$fds" | wc -l)
check "a role holds one socket, to the supervisor (fds: $fds)" test "$nsock" -eq 1
net=$(role_pid net)
check "a role with no work of its own holds 5 fds: stdio, its socket, its signalfd" \
	test "$(ls /proc/"$net"/fd | wc -l)" -eq 5

# --- crash and restart with backoff
kill -KILL "$evc"
if wait_for 5 bash -c "p=\$(pgrep -P $EVED_PID -x eved-evc) && [ \"\$p\" != $evc ]"; then
	ok "killed evc role is restarted with a new pid"
else
	not_ok "killed evc role is restarted with a new pid" "$(tail -n 20 "$LOG")"
fi
for i in 2 3; do
	old=$(role_pid evc)
	kill -KILL "$old"
	wait_for 5 bash -c "p=\$(pgrep -P $EVED_PID -x eved-evc) && [ \"\$p\" != $old ]" ||
		not_ok "evc restart $i" "$(tail -n 10 "$LOG")"
done
delays=$(grep -o 'evc: died .* restart [0-9]* in [0-9]* ms' "$LOG" | grep -o 'in [0-9]* ms' | grep -o '[0-9]*' | tr '\n' ' ')
check "restart delays double: 100 200 400 (got: $delays)" test "$delays" = "100 200 400 "
check "the crash is logged with its cause" grep -q 'evc: died (signal 9 (Killed))' "$LOG"

# --- hang detection: a stopped role answers no PING
net=$(role_pid net)
kill -STOP "$net"
if wait_for 5 bash -c "p=\$(pgrep -P $EVED_PID -x eved-net) && [ \"\$p\" != $net ]"; then
	ok "hung net role is killed and restarted"
else
	not_ok "hung net role is killed and restarted" "$(tail -n 20 "$LOG")"
fi
check "the hang is logged" grep -q "net: no answer for .* (pid $net hung?)" "$LOG"
check "the other roles were not disturbed" test "$(grep -c ': died' "$LOG")" -eq 4

# role logs reach the supervisor's log with the role as source
check "role log entries are relayed under the role's name" grep -q ' identity: up (pid' "$LOG"

# --- clean stop; one role ignores SIGTERM (stopped) until the stop timeout
pids_before=$(pgrep -P "$EVED_PID" | tr '\n' ' ')
kill -STOP "$(role_pid apps)"
kill -TERM "$EVED_PID"
if wait_for 10 bash -c "! kill -0 $EVED_PID 2>/dev/null || [ \"\$(ps -o stat= -p $EVED_PID | cut -c1)\" = Z ]"; then
	wait "$EVED_PID"
	rc=$?
	check "eved exits 0 on SIGTERM (rc $rc)" test "$rc" -eq 0
else
	not_ok "eved exits after SIGTERM" "$(tail -n 20 "$LOG")"
fi
left=""
for p in $pids_before; do alive "$p" && left="$left $p"; done
check "no role process is left (${left:-none})" test -z "$left"
check "the stuck role was SIGKILLed after the stop timeout" grep -q 'apps: still running 1500 ms after SIGTERM; SIGKILL' "$LOG"
check "every role is reported stopped" test "$(grep -c ': stopped (' "$LOG")" -eq 7

# --- bad options are refused with a reason
out=$("$EVED" --ping-interval-ms nope 2>&1)
rc=$?
check "a bad option value exits 2 naming the option (rc $rc)" bash -c "[ $rc -eq 2 ] && grep -q -- '--ping-interval-ms: .nope. is not a number' <<<\"\$0\"" "$out"
out=$("$EVED" --role evc 2>&1 3>&-)
check "a role started by hand says roles are started by eved" grep -q 'roles are started by eved itself' <<<"$out"

done_testing
