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
# guests outlive eved by design: whatever happens, none of this test's is left behind
at_exit "pkill -f 'qemu-syste[m].*$ROOT' 2>/dev/null"
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
  "networkInstances": [
    { "uuidandversion": { "uuid": "55555555-5555-4555-8555-000000000001", "version": "1" }, "displayname": "ni1",
      "instType": "ZnetInstLocal", "activate": true },
    { "uuidandversion": { "uuid": "55555555-5555-4555-8555-000000000002", "version": "1" }, "displayname": "ni2",
      "instType": "ZnetInstLocal", "activate": true } ],
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
              "adapters": [ { "type": "PhyIoCOM", "name": "COM1" } ] ${APP1_EXTRA:-} } ${2:-} ] }
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
if wait_for 60 bash -c "'$EVC' logs --dir '$ROOT/evc' '$DEV' | grep -q 'console: $MARKER'"; then
	ok "the guest's console lines reach the controller's logs"
else
	not_ok "the guest's console lines reach the controller's logs" \
		"$("$EVC" logs --dir "$ROOT/evc" "$DEV" | tail -n 5)"
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

# ---- 4b. restart and purge counters
APP1_EXTRA=', "restart": { "counter": 1 }'
config_json 11 > "$ROOT/c1r.json"
config_set "$ROOT/c1r.json"
if wait_for 60 bash -c "p=\$(qemu_pid $APP1); [ -n \"\$p\" ] && [ \"\$p\" != $PID1 ] && kill -0 \$p"; then
	ok "restart counter +1: the guest is restarted (new QEMU pid)"
else not_ok "restart counter +1 restarts the guest" "pid $(qemu_pid $APP1), was $PID1"; fi
PID1=$(qemu_pid $APP1)
VOLF=$ROOT/persist/apps/vol/$VOL1.1.qcow2
INO=$(stat -c %i "$VOLF")
APP1_EXTRA=', "restart": { "counter": 1 }, "purge": { "counter": 1 }'
config_json 12 > "$ROOT/c1p.json"
config_set "$ROOT/c1p.json"
if wait_for 90 bash -c "p=\$(qemu_pid $APP1); [ -n \"\$p\" ] && [ \"\$p\" != $PID1 ] && kill -0 \$p && [ \"\$(stat -c %i '$VOLF' 2>/dev/null)\" != $INO ]"; then
	ok "purge counter +1: the volume is rebuilt from its content and the guest restarted"
else not_ok "purge counter +1 rebuilds the volume" "pid $(qemu_pid $APP1) (was $PID1), inode $(stat -c %i "$VOLF" 2>&1) (was $INO)"; fi
check "purge: the content was not downloaded again (kept by hash)" test "$(grep -c '"path": "/guest.img"' "$ROOT/ds.log")" -eq 2
wait_for 60 bash -c "[ \"\$(app_state $APP1)\" = RUNNING ]"
PID1=$(qemu_pid $APP1)

# ---- 4c. signed content: siginfo checked against the device's roots
SIGD=$ROOT/sig; mkdir -p "$SIGD"
{ cat "$GUEST"; echo signed; } > "$ROOT/ds/guest-signed.img"
SHA8=$(sha256sum "$ROOT/ds/guest-signed.img" | cut -d' ' -f1)
openssl ecparam -name prime256v1 -genkey -noout -out "$SIGD/signer.key" 2>/dev/null
openssl req -new -key "$SIGD/signer.key" -subj "/CN=image signer" -out "$SIGD/signer.csr" 2>/dev/null
printf 'keyUsage=critical,digitalSignature\n' > "$SIGD/ext"
openssl x509 -req -in "$SIGD/signer.csr" -CA "$A/root-certificate.pem" -CAkey "$A/root.key.pem" \
	-CAcreateserial -days 30 -extfile "$SIGD/ext" -out "$ROOT/ds/signer.pem" 2>/dev/null
openssl req -x509 -new -key "$SIGD/signer.key" -subj "/CN=rogue signer" -days 30 \
	-out "$ROOT/ds/rogue.pem" 2>/dev/null
SIG8=$(openssl dgst -sha256 -sign "$SIGD/signer.key" "$ROOT/ds/guest-signed.img" | base64 -w0)
check "a signer certificate issued by the controller's root is made for the test" test -s "$ROOT/ds/signer.pem"
APP8=11111111-1111-4111-8111-000000000008; VOL8=22222222-2222-4222-8222-000000000008; CT8=33333333-3333-4333-8333-000000000008
APP9=11111111-1111-4111-8111-000000000009; VOL9=22222222-2222-4222-8222-000000000009; CT9=33333333-3333-4333-8333-000000000009
sapp() { # UUID NAME VOL
	echo ", { \"uuidandversion\": { \"uuid\": \"$1\", \"version\": \"1\" }, \"displayname\": \"$2\",
	  \"fixedresources\": { \"memory\": 65536, \"maxmem\": 65536, \"vcpus\": 1, \"virtualizationMode\": \"HVM\" },
	  \"activate\": true, \"volumeRefList\": [ { \"uuid\": \"$3\", \"generationCount\": \"1\" } ] }"
}
sct() { # UUID SIGNER-URL
	echo ", { \"uuid\": \"$1\", \"dsId\": \"$DS1\", \"URL\": \"guest-signed.img\", \"iformat\": \"RAW\", \"sha256\": \"$SHA8\",
	  \"siginfo\": { \"signercerturl\": \"$2\", \"signature\": \"$SIG8\" } }"
}
svol() { echo ", { \"uuid\": \"$1\", \"origin\": { \"type\": \"VCOT_DOWNLOAD\", \"downloadContentTreeID\": \"$2\" }, \"generationCount\": \"1\", \"maxsizebytes\": \"134217728\" }"; }
# the rogue one first: its content tree is refused although the blob's hash is right
config_json 13 "$(sapp $APP9 rogue $VOL9)" "$(sct $CT9 rogue.pem)" "$(svol $VOL9 $CT9)" > "$ROOT/c4.json"
config_set "$ROOT/c4.json"
if wait_for 90 bash -c "[ \"\$(app_state $APP9)\" = ERROR ] && app_err $APP9 | grep -q 'signature refused'"; then
	ok "content signed by a certificate outside the device's roots: refused ($(app_err $APP9 | cut -c1-110))"
else not_ok "content signed outside the device's roots is refused" "state $(app_state $APP9) err $(app_err $APP9)"; fi
check "the refused signed content never boots" test ! -e "$ROOT/run/apps/$APP9/qemu.pid"
config_json 14 "$(sapp $APP8 signed $VOL8)" "$(sct $CT8 signer.pem)" "$(svol $VOL8 $CT8)" > "$ROOT/c5.json"
config_set "$ROOT/c5.json"
if wait_for 120 bash -c "[ \"\$(app_state $APP8)\" = RUNNING ]"; then
	ok "content whose signature chains to the device's roots is verified and boots"
else not_ok "correctly signed content boots" "state $(app_state $APP8) err $(app_err $APP8)"; fi
check "the signature check is logged" grep -q "content $CT8 (.*): signature verified" "$ROOT/eved.log"

# ---- 5. hostile apps: each refused with its reason, never booted; the first keeps running
zero=0000000000000000000000000000000000000000000000000000000000000000
cp "$GUEST" "$ROOT/ds/guest2.img"
APP2=11111111-1111-4111-8111-000000000002; VOL2=22222222-2222-4222-8222-000000000002; CT2=33333333-3333-4333-8333-000000000002
APP3=11111111-1111-4111-8111-000000000003; VOL3=22222222-2222-4222-8222-000000000003; CT3=33333333-3333-4333-8333-000000000003
APP4=11111111-1111-4111-8111-000000000004; VOL4=22222222-2222-4222-8222-000000000004
APP5=11111111-1111-4111-8111-000000000005; VOL5=22222222-2222-4222-8222-000000000005
APP6=11111111-1111-4111-8111-000000000006; VOL6=22222222-2222-4222-8222-000000000006
APP7=11111111-1111-4111-8111-000000000007; VOL7=22222222-2222-4222-8222-000000000007; CT7=33333333-3333-4333-8333-000000000007
app() { # UUID NAME VOL MEMORY-KIB [ADAPTER]
	local ad=""
	[ -n "${5:-}" ] && ad=", \"adapters\": [ { \"type\": \"PhyIoCOM\", \"name\": \"$5\" } ]"
	echo ", { \"uuidandversion\": { \"uuid\": \"$1\", \"version\": \"1\" }, \"displayname\": \"$2\",
	  \"fixedresources\": { \"memory\": $4, \"maxmem\": $4, \"vcpus\": 1, \"virtualizationMode\": \"HVM\" },
	  \"activate\": true, \"volumeRefList\": [ { \"uuid\": \"$3\", \"generationCount\": \"1\" } ] $ad }"
}
ct() { # UUID URL SHA
	echo ", { \"uuid\": \"$1\", \"dsId\": \"$DS1\", \"URL\": \"$2\", \"iformat\": \"RAW\", \"sha256\": \"$3\", \"displayName\": \"$2\" }"
}
vol() { # UUID [CONTENT]
	if [ -n "${2:-}" ]; then
		echo ", { \"uuid\": \"$1\", \"origin\": { \"type\": \"VCOT_DOWNLOAD\", \"downloadContentTreeID\": \"$2\" }, \"generationCount\": \"1\", \"maxsizebytes\": \"134217728\" }"
	else
		echo ", { \"uuid\": \"$1\", \"origin\": { \"type\": \"VCOT_BLANK\" }, \"generationCount\": \"1\", \"maxsizebytes\": \"1048576\" }"
	fi
}
# content is shared by hash: each hostile blob needs a hash the store does not hold yet
{ cat "$GUEST"; echo pad3; } > "$ROOT/ds/guest3.img"
SHA3=$(sha256sum "$ROOT/ds/guest3.img" | cut -d' ' -f1)
SHA404=$(echo "never uploaded" | sha256sum | cut -d' ' -f1)
EXTRA_APPS="$(app $APP2 badsha $VOL2 65536)$(app $APP3 missing $VOL3 65536)$(app $APP4 huge $VOL4 104857600)"
EXTRA_APPS="$EXTRA_APPS$(app $APP5 nosuchport $VOL5 65536 NOSUCH)$(app $APP6 stealer $VOL6 65536 COM1)"
EXTRA_CT="$(ct $CT2 guest2.img $zero)$(ct $CT3 nothere.img $SHA404)"
EXTRA_VOL="$(vol $VOL2 $CT2)$(vol $VOL3 $CT3)$(vol $VOL4)$(vol $VOL5)$(vol $VOL6)"
config_json 15 "$EXTRA_APPS" "$EXTRA_CT" "$EXTRA_VOL" > "$ROOT/c2.json"
check "a config with five hostile apps is accepted by the controller" config_set "$ROOT/c2.json"
expect_error() { # UUID WHAT PATTERN
	if wait_for 90 bash -c "[ \"\$(app_state $1)\" = ERROR ] && app_err $1 | grep -q -- '$3'"; then
		ok "$2: ERROR, reason reported ($(app_err $1 | cut -c1-100))"
	else not_ok "$2: ERROR with '$3'" "state $(app_state $1), err: $(app_err $1)"; fi
	check "$2: never booted" test ! -e "$ROOT/run/apps/$1/qemu.pid"
}
expect_error $APP2 "wrong SHA-256" "SHA-256 mismatch"
check "wrong SHA-256: nothing of it is kept in the store" test ! -e "$ROOT/persist/apps/img/$zero"
expect_error $APP3 "a 404 datastore path" "404"
expect_error $APP4 "impossible resources (100 GiB)" "impossible resources"
expect_error $APP5 "an adapter that does not exist" "NOSUCH"
expect_error $APP6 "an adapter another app holds" "COM1"
# a full disk: the downloads folder on a 2 MiB tmpfs, then a new 11 MB blob
mkdir -p "$ROOT/persist/downloads"
if mount -t tmpfs -o size=2m tmpfs "$ROOT/persist/downloads"; then
	at_exit "umount '$ROOT/persist/downloads' 2>/dev/null"
	config_json 16 "$EXTRA_APPS$(app $APP7 diskfull $VOL7 65536)" "$EXTRA_CT$(ct $CT7 guest3.img $SHA3)" \
		"$EXTRA_VOL$(vol $VOL7 $CT7)" > "$ROOT/c2b.json"
	config_set "$ROOT/c2b.json"
	expect_error $APP7 "a full disk" "disk full"
	umount "$ROOT/persist/downloads"
else
	not_ok "a 2 MiB tmpfs for the disk-full case" "mount failed (needs root)"
fi
check "the first app kept running through all that" bash -c "kill -0 $PID1 && [ \"\$(app_state $APP1)\" = RUNNING ]"

# ---- 6. the seed's Edge Container manifest, imported and booted
cp "$GUEST" "$ROOT/ds/xenial-amd64-docker-20180725"
NET1=55555555-5555-4555-8555-000000000001; NET2=55555555-5555-4555-8555-000000000002
if "$EVC" app import --dir "$A" "$TOP/docs/examples/vm-manifest.json" --device "$DEV" \
	--datastore "http://127.0.0.1:$DSPORT" --image "xenial-amd64-docker-20180725=$ROOT/ds/xenial-amd64-docker-20180725" \
	--network indirect=$NET1 --network direct=$NET2 >"$ROOT/import.log" 2>&1; then
	ok "evc app import takes the seed's example manifest"
else not_ok "evc app import takes the seed's example manifest" "$(cat "$ROOT/import.log")"; fi
APPM=$("$EVC" app list --dir "$A" --device "$DEV" --json | $PY -c "
import json,sys
d=json.load(sys.stdin)
print([a['uuid'] for a in d if a.get('name')=='xenial2intf'][0])" 2>>"$ROOT/import.log")
if wait_for 240 bash -c "[ \"\$(app_state '$APPM')\" = RUNNING ]"; then
	ok "the imported app runs (state RUNNING)"
else not_ok "the imported app runs" "uuid '$APPM' state $(app_state "$APPM") err $(app_err "$APPM")"; fi
if wait_for 180 grep -qa "$MARKER" "$ROOT/run/apps/$APPM/console.log"; then
	ok "the imported app's guest boots (marker on its console)"
else not_ok "the imported app's guest boots" "$(tail -c 300 "$ROOT/run/apps/$APPM/console.log" 2>&1)"; fi
check "its two interfaces became two NICs" bash -c "tr '\\0' ' ' < /proc/\$(qemu_pid $APPM)/cmdline | grep -o 'virtio-net' | wc -l | grep -qx 2"

# ---- 7. removing the apps halts and purges them
$PY - "$ROOT/c1.json" "$ROOT/c3.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["id"]["version"] = "20"
c["apps"] = []; c["volumes"] = []; c["contentInfo"] = []
json.dump(c, open(sys.argv[2], "w"))
EOF
check "a config without apps is accepted" config_set "$ROOT/c3.json"
if wait_for 60 bash -c "! kill -0 $PID1 2>/dev/null"; then ok "the removed app's QEMU is stopped"
else not_ok "the removed app's QEMU is stopped" "pid $PID1 still there"; fi
wait_for 30 bash -c "[ -z \"\$(ls '$ROOT/persist/apps/vol/')\" ]"
check "its volumes are purged from /persist" bash -c "[ -z \"\$(ls '$ROOT/persist/apps/vol/')\" ]"
check "the imported app's QEMU is stopped too" bash -c "! pgrep -f 'qemu-syste[m].*-uuid $APPM' >/dev/null"
check "the verified store is emptied of unused content" bash -c "[ -z \"\$(ls '$ROOT/persist/apps/img/')\" ]"
wait_for 20 bash -c "st=\$(app_state $APP1); [ -z \"\$st\" ] || [ \"\$st\" = INVALID ]"
check "the controller got the app's deletion" bash -c "st=\$(app_state $APP1); [ -z \"\$st\" ] || [ \"\$st\" = INVALID ]"

done_testing
