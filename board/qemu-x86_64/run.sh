#!/usr/bin/env bash
# `make run`: the whole system on this machine: a controller on the host and
# the device as it ships, a disk image booted on the QEMU board (Xen + dom0 =
# eved; KVM when /dev/kvm works, TCG otherwise).
#   1. `evc init` a controller PKI in build/run/evc for the name 10.0.2.2 (the
#      host as QEMU's user network shows it), allow the device's serial,
#      `evc serve` it on 127.0.0.1:PORT;
#   2. build the image with that controller's device config on CONFIG
#      (board/qemu-x86_64/mkimage.sh), boot it (board/qemu-x86_64/qemu.sh),
#      serial console in build/run/serial.log;
#   3. wait until the device has onboarded; configure a demo app: a PV guest
#      (kernel + initrd built by tests/guest/mkguest.sh, served by a local
#      datastore); wait until it runs and its console shows up in the logs;
#   4. print where to watch, and stay up until Ctrl-C (RUN_SECONDS=N: N s),
#      then stop QEMU, the datastore and the controller.
#   board/qemu-x86_64/run.sh BUILD_DIR
set -u
B=${1:-build/rel}
RUN=build/run
PORT=${EVC_PORT:-14443}
DSPORT=$((PORT + 1))
SERIAL_NO=QEMU-0001
APP=0d1e2f30-4152-4637-8899-aabbccddeeff
TOP=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$RUN"
mkdir -p "$RUN/config" "$RUN/ds"
pids=()
say() { echo "run: $*"; }
stop_all() {
	[ -f "$RUN/qemu.pid" ] && kill "$(cat "$RUN/qemu.pid")" 2>/dev/null
	kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
}
die() { say "$*"; stop_all; exit 1; }
trap 'say "stopping"; stop_all; exit 0' INT TERM

say "controller: evc init --dir $RUN/evc --server 10.0.2.2:$PORT"
"$B/evc" init --dir "$RUN/evc" --server "10.0.2.2:$PORT" --name 10.0.2.2 >/dev/null || exit 1
"$B/evc" onboard add --dir "$RUN/evc" --cert "$RUN/evc/onboard.cert.pem" --serial "$SERIAL_NO" | sed 's/^/run:   /'
"$B/evc" serve --dir "$RUN/evc" --listen "127.0.0.1:$PORT" 2>"$RUN/evc-serve.log" &
pids+=($!)
say "controller serving the EVE API on 127.0.0.1:$PORT (the device reaches it as 10.0.2.2:$PORT)"

cp "$RUN/evc/device-config/"* "$RUN/config/"
echo "$SERIAL_NO" > "$RUN/config/serial"
say "image: board/qemu-x86_64/mkimage.sh -> $RUN/disk.img"
"$TOP/board/qemu-x86_64/mkimage.sh" "$B" "$RUN/disk.img" --config "$RUN/config" >"$RUN/mkimage.log" 2>&1 \
	|| die "the image did not build; see $RUN/mkimage.log"
grep '^mkimage:' "$RUN/mkimage.log" | sed 's/^/run:   /'
say "demo app: a PV guest's kernel and initrd (tests/guest/mkguest.sh)"
"$TOP/tests/guest/mkguest.sh" "$RUN/guest.img" --marker EDGEVISOR-RUN-GUEST --kernel-dir "$RUN/ds" \
	>"$RUN/mkguest.log" 2>&1 || die "mkguest.sh failed; see $RUN/mkguest.log"
/usr/bin/python3 "$TOP/tests/lib/datastore.py" --root "$RUN/ds" --port "$DSPORT" >/dev/null 2>&1 &
pids+=($!)

say "booting the image on the QEMU board; serial console: $RUN/serial.log"
"$TOP/board/qemu-x86_64/qemu.sh" "$RUN/disk.img" --serial "$RUN/serial.log" --pidfile "$RUN/qemu.pid" \
	>"$RUN/qemu.log" 2>&1 &
pids+=($!)
T0=$SECONDS
uuid=""
for _ in $(seq 600); do
	uuid=$("$B/evc" device list --dir "$RUN/evc" --json | sed -n 's/.*"uuid":"\([^"]*\)".*/\1/p')
	[ -n "$uuid" ] && break
	sleep 0.5
done
[ -n "$uuid" ] || die "the device did not onboard in 300 s; see $RUN/serial.log"
say "the device onboarded $((SECONDS - T0)) s after QEMU started; evc device list:"
"$B/evc" device list --dir "$RUN/evc" | sed 's/^/run:   /'
sha() { sha256sum "$RUN/ds/$1" | cut -d' ' -f1; }
cat > "$RUN/app.json" <<JSON
{ "id": { "uuid": "$uuid", "version": "2" },
  "configItems": [ { "key": "timer.config.interval", "value": "5" } ],
  "datastores": [ { "id": "5a1b2c3d-0000-4000-8000-000000000001", "dType": "DsHttp", "fqdn": "10.0.2.2:$DSPORT" } ],
  "contentInfo": [
    { "uuid": "5a1b2c3d-0000-4000-8000-0000000000c1", "dsId": "5a1b2c3d-0000-4000-8000-000000000001",
      "URL": "vmlinuz", "iformat": "RAW", "sha256": "$(sha vmlinuz)", "displayName": "demo-kernel" },
    { "uuid": "5a1b2c3d-0000-4000-8000-0000000000c2", "dsId": "5a1b2c3d-0000-4000-8000-000000000001",
      "URL": "initrd.gz", "iformat": "RAW", "sha256": "$(sha initrd.gz)", "displayName": "demo-initrd" } ],
  "volumes": [
    { "uuid": "5a1b2c3d-0000-4000-8000-0000000000b1", "generationCount": "1", "target": "Kernel",
      "origin": { "type": "VCOT_DOWNLOAD", "downloadContentTreeID": "5a1b2c3d-0000-4000-8000-0000000000c1" } },
    { "uuid": "5a1b2c3d-0000-4000-8000-0000000000b2", "generationCount": "1", "target": "Initrd",
      "origin": { "type": "VCOT_DOWNLOAD", "downloadContentTreeID": "5a1b2c3d-0000-4000-8000-0000000000c2" } } ],
  "apps": [ { "uuidandversion": { "uuid": "$APP", "version": "1" }, "displayname": "demo", "activate": true,
              "fixedresources": { "memory": 131072, "maxmem": 131072, "vcpus": 1, "virtualizationMode": "PV",
                                  "extraargs": "console=hvc0 quiet" },
              "volumeRefList": [ { "uuid": "5a1b2c3d-0000-4000-8000-0000000000b1", "generationCount": "1" },
                                 { "uuid": "5a1b2c3d-0000-4000-8000-0000000000b2", "generationCount": "1" } ] } ] }
JSON
"$B/evc" config set --dir "$RUN/evc" "$uuid" "$RUN/app.json" | sed 's/^/run:   /'
say "demo app configured (a PV guest); waiting for it to run"
state=""
for _ in $(seq 600); do
	state=$("$B/evc" app list --dir "$RUN/evc" --device "$uuid" --json | sed -n 's/.*"state":"\([A-Z_]*\)".*/\1/p')
	[ "$state" = RUNNING ] && break
	sleep 0.5
done
"$B/evc" app list --dir "$RUN/evc" --device "$uuid" | sed 's/^/run:   /'
[ "$state" = RUNNING ] || say "demo app: not running (state '$state'); see $RUN/serial.log"
for _ in $(seq 120); do "$B/evc" logs --dir "$RUN/evc" "$uuid" | grep -q 'console: EDGEVISOR-RUN-GUEST' && break; sleep 1; done
say "the demo guest's console, as the controller's logs have it:"
"$B/evc" logs --dir "$RUN/evc" "$uuid" | grep 'console:' | tail -n 3 | sed 's/^/run:   /'
say "watch: $B/evc device list --dir $RUN/evc"
say "       $B/evc info --dir $RUN/evc $uuid"
say "       $B/evc logs --dir $RUN/evc $uuid"
say "       tail -f $RUN/serial.log     (Xen and dom0's console)"
if [ -n "${RUN_SECONDS:-}" ]; then
	sleep "$RUN_SECONDS"
	say "stopping after RUN_SECONDS=$RUN_SECONDS"
	stop_all
	[ "$state" = RUNNING ] && exit 0 || exit 1
fi
say "Ctrl-C stops QEMU, the datastore and the controller"
wait
