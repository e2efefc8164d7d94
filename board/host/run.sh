#!/usr/bin/env bash
# `make run` on a host, until the Xen image exists: controller + device in
# host mode, on loopback.
#   1. `evc init` a controller PKI in build/run/evc, allow any serial on its
#      onboarding certificate, `evc serve` it on 127.0.0.1:PORT;
#   2. give a device its /config from the controller's device-config/ and
#      start `eved --host` (soft device key; no TPM here);
#   3. wait until the device has onboarded, received its config and reported;
#      show what the controller knows; kill the device's evc role to show the
#      supervisor restart it; stop everything and say what happened.
#   board/host/run.sh BUILD_DIR        (RUN_SECONDS=N keeps it up N s more)
set -u
B=${1:-build/rel}
RUN=build/run
PORT=${EVC_PORT:-14443}
rm -rf "$RUN"
mkdir -p "$RUN/config" "$RUN/persist"

say() { echo "run: $*"; }
die() { say "$*"; kill "$spid" "$pid" 2>/dev/null; exit 1; }

say "controller: evc init --dir $RUN/evc"
"$B/evc" init --dir "$RUN/evc" --server "localhost:$PORT" >/dev/null || exit 1
"$B/evc" onboard add --dir "$RUN/evc" --cert "$RUN/evc/onboard.cert.pem" --serial '*' | sed 's/^/run:   /'
"$B/evc" serve --dir "$RUN/evc" --listen "127.0.0.1:$PORT" 2>"$RUN/evc-serve.log" &
spid=$!
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done
say "controller serving EVE API v2/v1 on 127.0.0.1:$PORT (log $RUN/evc-serve.log)"

cp "$RUN/evc/device-config/"* "$RUN/config/"
echo "RUN-0001" > "$RUN/config/serial"
echo "run-soft-0001" > "$RUN/config/soft_serial"
say "device: $B/eved --host (config $RUN/config, persist $RUN/persist)"
"$B/eved" --host --config "$RUN/config" --persist "$RUN/persist" --evc-interval-ms 2000 \
	--ready-fd 9 9>"$RUN/ready" 2>"$RUN/eved.log" &
pid=$!
trap 'kill -TERM $pid $spid 2>/dev/null' INT TERM
for _ in $(seq 100); do grep -q ready "$RUN/ready" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$RUN/ready" || die "eved did not become ready in 10 s; see $RUN/eved.log"
say "eved is up (pid $pid); its roles:"
ps -o pid=,comm= --ppid $pid | sed 's/^/run:   /'

for _ in $(seq 100); do grep -q "info sent" "$RUN/eved.log" && break; sleep 0.2; done
grep -q "info sent" "$RUN/eved.log" || die "the device did not onboard in 20 s; see $RUN/eved.log"
say "the device onboarded; evc device list:"
"$B/evc" device list --dir "$RUN/evc" | sed 's/^/run:   /'
uuid=$("$B/evc" device list --dir "$RUN/evc" --json | sed -n 's/.*"uuid":"\([^"]*\)".*/\1/p')
say "its latest info (evc info --json):"
"$B/evc" info --dir "$RUN/evc" "$uuid" --json | tail -n 1 | cut -c1-300 | sed 's/^/run:   /'
for _ in $(seq 50); do [ -n "$("$B/evc" logs --dir "$RUN/evc" "$uuid")" ] && break; sleep 0.2; done
say "log entries the controller has received from the device so far: $("$B/evc" logs --dir "$RUN/evc" "$uuid" | wc -l)"
sleep "${RUN_SECONDS:-1}"

victim=$(pgrep -P $pid -x eved-evc)
say "killing the evc role (pid $victim) to show the supervisor restart it"
kill -KILL "$victim"
sleep 1
say "evc is now pid $(pgrep -P $pid -x eved-evc)"
say "stopping eved with SIGTERM"
kill -TERM $pid
wait $pid
rc=$?
say "eved exited with status $rc"
kill -TERM $spid
wait $spid 2>/dev/null
say "device log: $RUN/eved.log; controller: $RUN/evc, $RUN/evc-serve.log"
say "not yet here: apps (issue 4), the Xen image (issue 5)"
exit $rc
