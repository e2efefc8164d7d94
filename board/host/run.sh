#!/usr/bin/env bash
# `make run` on a host without the Xen image yet: eved in host mode.
# Starts the supervisor with /config and /persist under build/run/, waits
# until every role is up, shows the process tree, kills one role to show the
# restart, then stops everything with SIGTERM and says what happened.
#   board/host/run.sh BUILD_DIR        (RUN_SECONDS=N keeps it up N s first)
set -u
B=${1:-build/rel}
RUN=build/run
mkdir -p "$RUN/config" "$RUN/persist"
rm -f "$RUN/ready" "$RUN/eved.log"

echo "run: starting $B/eved --host (config $RUN/config, persist $RUN/persist)"
"$B/eved" --host --config "$RUN/config" --persist "$RUN/persist" \
	--ready-fd 9 9>"$RUN/ready" 2>"$RUN/eved.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' INT TERM
for _ in $(seq 100); do grep -q ready "$RUN/ready" 2>/dev/null && break; sleep 0.1; done
if ! grep -q ready "$RUN/ready"; then
	echo "run: eved did not become ready in 10 s; see $RUN/eved.log" >&2
	kill -KILL $pid 2>/dev/null
	exit 1
fi
echo "run: eved is up (pid $pid); its roles:"
ps -o pid=,comm= --ppid $pid | sed 's/^/run:   /'
sleep "${RUN_SECONDS:-1}"
victim=$(pgrep -P $pid -x eved-evc)
echo "run: killing the evc role (pid $victim) to show the supervisor restart it"
kill -KILL "$victim"
sleep 1
echo "run: evc is now pid $(pgrep -P $pid -x eved-evc)"
echo "run: stopping eved with SIGTERM"
kill -TERM $pid
wait $pid
rc=$?
echo "run: eved exited with status $rc; its log ($RUN/eved.log):"
sed 's/^/run: | /' "$RUN/eved.log"
echo "run: not yet here: the controller (issue 3), apps (issue 4), the Xen image (issue 5)"
exit $rc
