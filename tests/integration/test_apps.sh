#!/usr/bin/env bash
# Integration (issue 4): app instances end to end in host mode with the kvm
# backend (QEMU; TCG when there is no usable KVM).  Every piece is real: the
# controller (`evc serve`), `eved --host` (evc, download, apps roles), a local
# HTTP datastore (tests/lib/datastore.py), qemu-img, QEMU, a guest disk built
# by tests/guest/mkguest.sh (Debian kernel + busybox initramfs + syslinux).
# What this machine cannot do and is therefore not exercised here: PCI
# passthrough (no VFIO: only the QEMU command line is unit-tested), USB
# host devices, Xen (libxl config unit-tested; real runs in the system tier).
set -u
. "$(dirname "$0")/../lib.sh"
EVED=$EV_BUILD/eved
EVC=$EV_BUILD/evc
ROOT=$EV_TMP
PY=/usr/bin/python3
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MARKER=EDGEVISOR-GUEST-UP

# ---- helpers
serve_start() { # DIR PORT
	"$EVC" serve --dir "$1" --listen "127.0.0.1:$2" >>"$1/serve.log" 2>&1 &
	SERVE_PID=$!
	at_exit "kill $SERVE_PID 2>/dev/null"
	wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$2" 2>/dev/null
}
eved_start() {
	"$EVED" --host --config "$ROOT/config" --persist "$ROOT/persist" --run-dir "$ROOT/run" \
		--board "$ROOT/io.json" --hv kvm --evc-interval-ms 500 >>"$ROOT/eved.log" 2>&1 &
	EVED_PID=$!
	at_exit "kill \$EVED_PID 2>/dev/null"
}
eved_stop() { kill "$EVED_PID" 2>/dev/null; wait "$EVED_PID" 2>/dev/null; }
uuid_of() { "$EVC" device list --dir "$A" --json | $PY -c \
	"import json,sys; d=[x for x in json.load(sys.stdin) if x['serial']=='$1']; print(d[0]['uuid'] if d else '')"; }
# app_state UUID: the last ZInfoApp state name the controller has for the app
app_state() { "$EVC" info --dir "$A" "$DEV" --json | $PY -c "
import json,sys
st=''
for l in sys.stdin:
    l=l.strip()
    if not l: continue
    d=json.loads(l)
    a=d.get('ainfo')
    if a and a.get('AppID')=='$1': st=a.get('state','INVALID')
print(st)"; }
app_err() { "$EVC" info --dir "$A" "$DEV" --json | $PY -c "
import json,sys
e=''
for l in sys.stdin:
    l=l.strip()
    if not l: continue
    d=json.loads(l)
    a=d.get('ainfo')
    if a and a.get('AppID')=='$1': e=' '.join(x.get('description','') for x in a.get('appErr',[]))
print(e)"; }
qemu_pid() { cat "$ROOT/run/apps/$1/qemu.pid" 2>/dev/null; }
export -f app_state app_err uuid_of qemu_pid
export EVC A DEV PY ROOT

# ---- the guest image, the datastore
GUEST=$ROOT/ds/guest.img
mkdir -p "$ROOT/ds"
if "$TOP/tests/guest/mkguest.sh" "$GUEST" --marker "$MARKER" >"$ROOT/mkguest.log" 2>&1; then
	ok "a test guest disk is built (Debian kernel, busybox initramfs, syslinux)"
else
	not_ok "a test guest disk is built" "$(tail -n 20 "$ROOT/mkguest.log")"
	done_testing; exit 1
fi
SHA=$(sha256sum "$GUEST" | cut -d' ' -f1)
SIZE=$(stat -c %s "$GUEST")
DSPORT=$(free_port)
$PY "$TOP/tests/lib/datastore.py" --root "$ROOT/ds" --port "$DSPORT" --log "$ROOT/ds.log" \
	>"$ROOT/ds.out" 2>&1 &
DS_PID=$!
at_exit "kill $DS_PID 2>/dev/null"
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$DSPORT" 2>/dev/null

# ---- a pty the guest's COM port is passed through to (the board's COM1)
$PY - "$ROOT/pty" <<'EOF' &
import os, pty, sys, time
m, s = pty.openpty()
name = os.ttyname(s)
open(sys.argv[1] + ".name", "w").write(name)
# echo what the guest says on COM1 into a file; send it lines from a fifo
import select, tty
tty.setraw(m)
os.mkfifo(sys.argv[1] + ".in")
fin = os.open(sys.argv[1] + ".in", os.O_RDWR)  # RDWR: never EOF, never EAGAIN after select
out = open(sys.argv[1] + ".out", "ab", 0)
while True:
    r, _, _ = select.select([m, fin], [], [], 1)
    if m in r:
        out.write(os.read(m, 4096))
    if fin in r:
        d = os.read(fin, 4096)
        if d:
            os.write(m, d)
EOF
PTY_PID=$!
at_exit "kill $PTY_PID 2>/dev/null"
wait_for 5 test -s "$ROOT/pty.name"
PTS=$(cat "$ROOT/pty.name")
cat > "$ROOT/io.json" <<EOF
{ "deviceIoList": [
  { "ptype": "PhyIoNetEth", "phylabel": "eth0", "logicallabel": "eth0", "assigngrp": "eth0",
    "phyaddrs": { "ifname": "eth0", "pcilong": "0000:00:03.0" }, "usage": "PhyIoUsageMgmtAndApps" },
  { "ptype": "PhyIoCOM", "phylabel": "COM1", "logicallabel": "COM1", "assigngrp": "COM1",
    "phyaddrs": { "serial": "$PTS" }, "usage": "PhyIoUsageDedicated" },
  { "ptype": "PhyIoOther", "phylabel": "fieldbus", "logicallabel": "fieldbus", "assigngrp": "fieldbus",
    "phyaddrs": { "pcilong": "0000:00:05.0" }, "usage": "PhyIoUsageDedicated" } ] }
EOF

# ---- controller and device
A=$ROOT/evc
PORT=$(free_port)
"$EVC" init --dir "$A" --server "localhost:$PORT" --enterprise acme >/dev/null
"$EVC" onboard add --dir "$A" --cert "$A/onboard.cert.pem" --serial SN-APPS --enterprise acme >/dev/null
serve_start "$A" "$PORT"
mkdir -p "$ROOT/config" "$ROOT/persist" "$ROOT/run"
cp "$A/root-certificate.pem" "$A/onboard.cert.pem" "$A/onboard.key.pem" "$ROOT/config/"
echo "localhost:$PORT" > "$ROOT/config/server"
echo SN-APPS > "$ROOT/config/serial"
eved_start
wait_for 30 bash -c "[ -n \"\$(uuid_of SN-APPS)\" ]"
DEV=$(uuid_of SN-APPS)
check "the device onboards" test -n "$DEV"

APP1=11111111-1111-4111-8111-111111111111
VOL1=22222222-2222-4222-8222-222222222222
CT1=33333333-3333-4333-8333-333333333333
DS1=44444444-4444-4444-8444-444444444444
# config_json VERSION [EXTRA-APPS-JSON] [EXTRA-CT-JSON] [EXTRA-VOL-JSON]
config_json() {
	cat <<EOF
{ "id": { "uuid": "$DEV", "version": "$1" },
  "configItems": [ { "key": "timer.config.interval", "value": "1" },
                   { "key": "timer.metric.interval", "value": "2" } ],
  "deviceIoList": [
    { "ptype": "PhyIoCOM", "phylabel": "COM1", "logicallabel": "COM1", "assigngrp": "COM1",
      "phyaddrs": { "serial": "$PTS" }, "usage": "PhyIoUsageDedicated" } ],
  "datastores": [ { "id": "$DS1", "dType": "DsHttp", "fqdn": "http://127.0.0.1:$DSPORT", "dpath": "" } ],
  "contentInfo": [ { "uuid": "$CT1", "dsId": "$DS1", "URL": "guest.img?cutonce=1500000", "iformat": "RAW",
                     "sha256": "$SHA", "maxSizeBytes": "$SIZE", "displayName": "guest" } ${3:-} ],
  "volumes": [ { "uuid": "$VOL1", "origin": { "type": "VCOT_DOWNLOAD", "downloadContentTreeID": "$CT1" },
                 "generationCount": "1", "maxsizebytes": "134217728", "displayName": "guest-disk" } ${4:-} ],
  "apps": [ { "uuidandversion": { "uuid": "$APP1", "version": "1" }, "displayname": "guest1",
              "fixedresources": { "memory": 262144, "maxmem": 262144, "vcpus": 1,
                                  "virtualizationMode": "HVM", "enable_vnc": true },
              "activate": true,
              "volumeRefList": [ { "uuid": "$VOL1", "generationCount": "1" } ],
              "adapters": [ { "type": "PhyIoCOM", "name": "COM1" } ] } ${2:-} ] }
EOF
}
config_set() { # FILE
	"$EVC" config set --dir "$A" "$DEV" "$1" >>"$ROOT/evc-cli.log" 2>&1
}

# ---- 1. download, verify, volume, boot
config_json 1 > "$ROOT/c1.json"
check "evc config set takes an app, a volume, a content tree and a datastore" config_set "$ROOT/c1.json"
if wait_for 240 bash -c "[ \"\$(app_state $APP1)\" = RUNNING ]"; then
	ok "the app reaches RUNNING in the controller's info"
else
	not_ok "the app reaches RUNNING in the controller's info" \
		"state: $(app_state $APP1) err: $(app_err $APP1); $(grep -E 'apps|download' "$ROOT/eved.log" | tail -n 15)"
fi
check "the content was verified by SHA-256" grep -q "content $CT1 (guest): SHA-256 verified" "$ROOT/eved.log"
check "the verified content is in the store by hash" test -f "$ROOT/persist/apps/img/$SHA"
check "the interrupted download resumed with a Range request" grep -q '"range": "bytes=1500000-' "$ROOT/ds.log"
check "the volume is a qcow2 on /persist" bash -c "ls '$ROOT/persist/apps/vol/' | grep -q '^$VOL1\.1\.qcow2$'"
if wait_for 180 grep -qa "$MARKER" "$ROOT/run/apps/$APP1/console.log"; then
	ok "the guest boots: its console prints the marker"
else
	not_ok "the guest boots: its console prints the marker" "$(tail -c 600 "$ROOT/run/apps/$APP1/console.log" 2>&1)"
fi
PID1=$(qemu_pid $APP1)
check "QEMU runs for the app" bash -c "[ -n '$PID1' ] && kill -0 $PID1"

# ---- 2. COM passthrough through the pty, VNC on a unix socket only
com_roundtrip() {
	for i in $(seq 1 30); do
		echo "ping-from-host-42" > "$ROOT/pty.in"
		sleep 1
		grep -qa "ping-from-host-42" "$ROOT/pty.out" && return 0
	done
	return 1
}
if com_roundtrip; then
	ok "COM passthrough: bytes round-trip between the host pty and the guest"
else not_ok "COM passthrough round-trips bytes" "$(tail -c 300 "$ROOT/pty.out" | od -c | tail -n 5)"; fi
VNC=$ROOT/run/apps/$APP1/vnc.sock
check "VNC answers with an RFB banner on its unix socket" bash -c \
	"$PY -c \"import socket;s=socket.socket(socket.AF_UNIX);s.connect('$VNC');print(s.recv(12).decode())\" | grep -q '^RFB 003'"
check "QEMU listens on no TCP port (no external VNC)" bash -c "! ss -ltnp 2>/dev/null | grep -q 'pid=$PID1,'"

# ---- 3. metrics
if wait_for 30 bash -c "'$EVC' metrics --dir '$A' '$DEV' --json | tail -n 1 | grep -q '\"AppID\":\"$APP1\"'"; then
	ok "app metrics reach the controller"
else not_ok "app metrics reach the controller" "$("$EVC" metrics --dir "$A" "$DEV" --json | tail -n 1 | head -c 400)"; fi
"$EVC" metrics --dir "$A" "$DEV" --json | tail -n 1 > "$ROOT/metrics.json"
check "app metrics report CPU time and memory in use" $PY -c "
import json
d=json.load(open('$ROOT/metrics.json'))
am=[a for a in d.get('am',[]) if a.get('AppID')=='$APP1'][0]
cpu=int(am.get('cpu',{}).get('total',0)); mem=int(am.get('memory',{}).get('usedMem',0))
assert cpu>0 and mem>0, (cpu, mem)"

# ---- 4. eved restarts: the guest keeps running and is adopted
eved_stop
check "the guest survives eved stopping" kill -0 "$PID1"
eved_start
if wait_for 30 grep -q "app $APP1: domain found running (pid $PID1" "$ROOT/eved.log"; then
	ok "the restarted eved adopts the running guest (same QEMU pid)"
else not_ok "the restarted eved adopts the running guest" "$(grep "$APP1" "$ROOT/eved.log" | tail -n 5)"; fi
sleep 3
check "the guest was not rebooted (same pid, still running)" bash -c "[ \"\$(qemu_pid $APP1)\" = '$PID1' ] && kill -0 $PID1"
check "only one domain was ever started for the app" test "$(grep -c "app $APP1 (guest1): domain started" "$ROOT/eved.log")" -eq 1

done_testing
