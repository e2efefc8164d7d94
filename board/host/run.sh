#!/usr/bin/env bash
# `make run` on a host, until the Xen image exists: controller + device in
# host mode, on loopback.
#   1. `evc init` a controller PKI in build/run/evc, allow any serial on its
#      onboarding certificate, `evc serve` it on 127.0.0.1:PORT;
#   2. give a device its /config from the controller's device-config/ and
#      start `eved --host` (soft device key; no TPM here);
#   3. wait until the device has onboarded, received its config and reported;
#      show what the controller knows; kill the device's evc role to show the
#      supervisor restart it;
#   4. deploy an app: a tiny guest disk (tests/guest/mkguest.sh) served by a
#      local HTTP datastore; the device downloads, verifies, makes its volume
#      and boots it under QEMU (TCG without KVM); show its state and console;
#      remove it again; stop everything and say what happened.
#   board/host/run.sh BUILD_DIR        (RUN_SECONDS=N keeps it up N s more)
set -u
B=${1:-build/rel}
RUN=build/run
PORT=${EVC_PORT:-14443}
rm -rf "$RUN"
mkdir -p "$RUN/config" "$RUN/persist"

say() { echo "run: $*"; }
die() { say "$*"; kill "$spid" "$pid" ${dspid:-} 2>/dev/null; exit 1; }

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
	--run-dir "$PWD/$RUN/run" --hv kvm \
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
# ---- an app
DSPORT=$((PORT + 1))
mkdir -p "$RUN/ds"
say "app: building a tiny guest disk (tests/guest/mkguest.sh; cached under build/guest)"
tests/guest/mkguest.sh "$RUN/ds/guest.img" --marker EDGEVISOR-RUN-GUEST >"$RUN/mkguest.log" 2>&1 \
	|| die "mkguest.sh failed; see $RUN/mkguest.log"
/usr/bin/python3 tests/lib/datastore.py --root "$RUN/ds" --port "$DSPORT" >/dev/null 2>&1 &
dspid=$!
sha=$(sha256sum "$RUN/ds/guest.img" | cut -d' ' -f1)
APP=0d1e2f30-4152-4637-8899-aabbccddeeff
app_config() { # VERSION WITH-APP(0|1)
	local apps=""
	[ "$2" = 1 ] && apps=',
  "datastores": [ { "id": "5a1b2c3d-0000-4000-8000-000000000001", "dType": "DsHttp", "fqdn": "127.0.0.1:'$DSPORT'" } ],
  "contentInfo": [ { "uuid": "5a1b2c3d-0000-4000-8000-000000000002", "dsId": "5a1b2c3d-0000-4000-8000-000000000001",
                     "URL": "guest.img", "iformat": "RAW", "sha256": "'$sha'", "displayName": "guest" } ],
  "volumes": [ { "uuid": "5a1b2c3d-0000-4000-8000-000000000003", "generationCount": "1", "maxsizebytes": "67108864",
                 "origin": { "type": "VCOT_DOWNLOAD", "downloadContentTreeID": "5a1b2c3d-0000-4000-8000-000000000002" } } ],
  "apps": [ { "uuidandversion": { "uuid": "'$APP'", "version": "1" }, "displayname": "demo", "activate": true,
              "fixedresources": { "memory": 262144, "maxmem": 262144, "vcpus": 1, "virtualizationMode": "HVM",
                                  "enable_vnc": true },
              "volumeRefList": [ { "uuid": "5a1b2c3d-0000-4000-8000-000000000003", "generationCount": "1" } ] } ]'
	echo "{ \"id\": { \"uuid\": \"$uuid\", \"version\": \"$1\" },
  \"configItems\": [ { \"key\": \"timer.config.interval\", \"value\": \"2\" } ]$apps }"
}
app_config 2 1 > "$RUN/app.json"
"$B/evc" config set --dir "$RUN/evc" "$uuid" "$RUN/app.json" | sed 's/^/run:   /'
say "app: a datastore, a content tree, a volume and an app are in the config; waiting for it to run"
state=""
for _ in $(seq 240); do
	state=$("$B/evc" app list --dir "$RUN/evc" --device "$uuid" --json | sed -n 's/.*"state":"\([A-Z_]*\)".*/\1/p')
	[ "$state" = RUNNING ] && break
	sleep 0.5
done
"$B/evc" app list --dir "$RUN/evc" --device "$uuid" | sed 's/^/run:   /'
[ "$state" = RUNNING ] || say "app: not running (state '$state'); see $RUN/eved.log"
for _ in $(seq 120); do grep -qa EDGEVISOR-RUN-GUEST "$RUN/run/apps/$APP/console.log" 2>/dev/null && break; sleep 0.5; done
say "app: the guest's console ($RUN/run/apps/$APP/console.log), last line:"
tail -n 1 "$RUN/run/apps/$APP/console.log" 2>/dev/null | tr -d '\r' | sed 's/^/run:   /'
say "app: its VNC is the unix socket $RUN/run/apps/$APP/vnc.sock (never a TCP port)"
app_config 3 0 > "$RUN/noapp.json"
"$B/evc" config set --dir "$RUN/evc" "$uuid" "$RUN/noapp.json" >/dev/null
for _ in $(seq 60); do [ -e "$RUN/run/apps/$APP/qemu.pid" ] || break; sleep 0.5; done
say "app: removed from the config; its guest is $([ -e "$RUN/run/apps/$APP/qemu.pid" ] && echo "still running" || echo "stopped and its volume purged")"
kill "$dspid" 2>/dev/null

say "stopping eved with SIGTERM"
kill -TERM $pid
wait $pid
rc=$?
say "eved exited with status $rc"
kill -TERM $spid
wait $spid 2>/dev/null
say "device log: $RUN/eved.log; controller: $RUN/evc, $RUN/evc-serve.log"
say "not yet here: the Xen image (issue 5); the app ran under QEMU in host mode"
exit $rc
