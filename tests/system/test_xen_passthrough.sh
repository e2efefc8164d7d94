#!/usr/bin/env bash
# System test (make test-system): real PCI passthrough under Xen, through the
# controller's config.  The disk image boots on the QEMU board (q35 + the
# emulated Intel IOMMU, OVMF, TCG) as in smoke/test_xen_boot.sh; the board's
# spare PCI card ("fieldbus" in board/qemu-x86_64/io.json: QEMU's edu device,
# 1234:11e8 at 00:04.0) is then given to PV apps by their `adapters`:
#   v2: app "fieldbus1" takes the adapter: RUNNING; its guest (xen-pcifront,
#       the function bound to the guest's pci-stub) prints
#       "PCI <bdf> 1234:11e8 driver=pci-stub" and reads the card's id register
#       (0x010000ED) through BAR0; the lines reach `evc logs`; dom0 (eved)
#       logs the function as bound to xen-pciback, not to a driver of its own;
#   v3: app "fieldbus2" claims the same adapter while fieldbus1 runs: ERROR,
#       the reason ("adapter fieldbus is assigned to app ...") in `evc info`; fieldbus1 keeps running;
#   v4: both removed, app "fieldbus3" takes the adapter: RUNNING, its guest
#       sees the card; dom0 logs the function as assignable again after
#       fieldbus1's domain went.
# A boot that does not onboard (a TCG flake: the lab's dom0 segfaults) is
# retried once; the retry and its reason are printed as a TAP comment.
set -u
. "$(dirname "$0")/../lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
EVC=$EV_BUILD/evc
ROOT=$EV_TMP
A=$ROOT/evc
PY=/usr/bin/python3
MARKER=EDGEVISOR-PCI-GUEST
SERIAL_NO=SN-XEN-PCI
BDF=0000:00:04.0
APP1=5e0e5e0e-0000-4000-8000-0000000ba001
APP2=5e0e5e0e-0000-4000-8000-0000000ba002
APP3=5e0e5e0e-0000-4000-8000-0000000ba003

PORT=$(free_port)
DSPORT=$(free_port)
"$EVC" init --dir "$A" --server "10.0.2.2:$PORT" --name 10.0.2.2 --enterprise acme >/dev/null
"$EVC" onboard add --dir "$A" --cert "$A/onboard.cert.pem" --serial "$SERIAL_NO" --enterprise acme >/dev/null
"$EVC" serve --dir "$A" --listen "127.0.0.1:$PORT" >>"$A/serve.log" 2>&1 &
at_exit "kill $! 2>/dev/null"
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$PORT" 2>/dev/null

mkdir -p "$ROOT/config" "$ROOT/ds"
cp "$A/device-config/"* "$ROOT/config/"
echo "$SERIAL_NO" > "$ROOT/config/serial"
if ! "$TOP/board/qemu-x86_64/mkimage.sh" "$EV_BUILD" "$ROOT/disk.img" --config "$ROOT/config" \
	>"$ROOT/mkimage.log" 2>&1; then
	not_ok "the disk image builds" "$(tail -n 15 "$ROOT/mkimage.log")"
	done_testing; exit
fi
if "$TOP/tests/guest/mkguest.sh" "$ROOT/guest.img" --marker "$MARKER" --kernel-dir "$ROOT/ds" \
	--modules xen-pcifront --pci-stub 1234:11e8 >"$ROOT/mkguest.log" 2>&1; then
	ok "the PV guest (xen-pcifront, pci-stub in its initramfs) builds"
else
	not_ok "the PV guest builds" "$(tail -n 5 "$ROOT/mkguest.log")"
	done_testing; exit
fi
$PY "$TOP/tests/lib/datastore.py" --root "$ROOT/ds" --port "$DSPORT" --log "$ROOT/ds.log" >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null"

uuid_of() { "$EVC" device list --dir "$A" --json | $PY -c \
	"import json,sys; d=[x for x in json.load(sys.stdin) if x['serial']=='$1']; print(d[0]['uuid'] if d else '')"; }
# app_field APP state|err: the app's last reported state, or its error text
app_field() { "$EVC" info --dir "$A" "$DEV" --json | $PY -c "
import json,sys
v=''
for l in sys.stdin:
    l=l.strip()
    if not l: continue
    a=json.loads(l).get('ainfo')
    if a and a.get('AppID')=='$1':
        v=a.get('state','INVALID') if '$2'=='state' else ' '.join(x.get('description','') for x in a.get('appErr',[]))
print(v)"; }
logs_have() { "$EVC" logs --dir "$A" "$DEV" | grep -qE "$1"; }
export -f uuid_of app_field logs_have
export EVC A PY

QPID=""
boot() { # N: boots the image; the serial console goes to $ROOT/serial.N
	"$TOP/board/qemu-x86_64/qemu.sh" "$ROOT/disk.img" --serial "$ROOT/serial.$1" \
		--pidfile "$ROOT/qemu.pid" --timeout 1500 >"$ROOT/qemu.$1.log" 2>&1 &
	QPID=$!
}
stop_qemu() { [ -n "$QPID" ] && { kill "$(cat "$ROOT/qemu.pid" 2>/dev/null)" "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; }; QPID=""; }
at_exit "kill \$(cat '$ROOT/qemu.pid' 2>/dev/null) 2>/dev/null"
FLAKE='segfault|Kernel panic|Panic on CPU|general protection'

RETRIES=0
T0=$SECONDS
boot 1
N=1
if ! wait_for 300 bash -c "[ -n \"\$(uuid_of $SERIAL_NO)\" ]"; then
	# a flake by its signature, or a role that went silent (seen once: evc
	# stopped after fetching the controller's certificates)
	WHY=$(grep -aE "$FLAKE" "$ROOT/serial.1" | head -n 1 | cut -c1-120)
	[ -n "$WHY" ] || WHY="no onboarding in 300 s; last line: $(tail -n 1 "$ROOT/serial.1" | cut -c1-120)"
	echo "# RETRY: boot 1 failed ($WHY); booting once more"
	RETRIES=1
	stop_qemu
	boot 2
	N=2
	wait_for 300 bash -c "[ -n \"\$(uuid_of $SERIAL_NO)\" ]"
fi
S=$ROOT/serial.$N
check "Xen boots with the IOMMU (I/O virtualisation enabled)" grep -aq "I/O virtualisation enabled" "$S"
DEV=$(uuid_of $SERIAL_NO)
export DEV
if [ -n "$DEV" ]; then
	ok "the device onboards to the host controller ($((SECONDS - T0)) s after QEMU started)"
else
	not_ok "the device onboards to the host controller" "$(grep -aE 'eved|net:|evc' "$S" | tail -n 25)"
	stop_qemu; done_testing; exit
fi

sha() { sha256sum "$ROOT/ds/$1" | cut -d' ' -f1; }
# app UUID NAME N: an app taking the fieldbus adapter, its volumes bN1/bN2
app() { cat <<JSON
    { "uuidandversion": { "uuid": "$1", "version": "1" }, "displayname": "$2", "activate": true,
      "fixedresources": { "memory": 131072, "maxmem": 131072, "vcpus": 1, "virtualizationMode": "PV",
                          "extraargs": "console=hvc0 quiet" },
      "volumeRefList": [ { "uuid": "5e0e5e0e-0000-4000-8000-0000000000$3$3", "generationCount": "1" },
                         { "uuid": "5e0e5e0e-0000-4000-8000-0000000000$3f", "generationCount": "1" } ],
      "adapters": [ { "type": "PhyIoOther", "name": "fieldbus" } ] }
JSON
}
vols() { for n in "$@"; do cat <<JSON
    { "uuid": "5e0e5e0e-0000-4000-8000-0000000000$n$n", "generationCount": "1", "target": "Kernel",
      "origin": { "type": "VCOT_DOWNLOAD", "downloadContentTreeID": "5e0e5e0e-0000-4000-8000-0000000000c1" } },
    { "uuid": "5e0e5e0e-0000-4000-8000-0000000000${n}f", "generationCount": "1", "target": "Initrd",
      "origin": { "type": "VCOT_DOWNLOAD", "downloadContentTreeID": "5e0e5e0e-0000-4000-8000-0000000000c2" } },
JSON
done; }
# config VERSION "APPS JSON" VOLS...
config() { cat > "$ROOT/app.$1.json" <<JSON
{ "id": { "uuid": "$DEV", "version": "$1" },
  "configItems": [ { "key": "timer.config.interval", "value": "5" } ],
  "deviceIoList": [
    { "ptype": "PhyIoOther", "phylabel": "fieldbus", "logicallabel": "fieldbus", "assigngrp": "fieldbus",
      "phyaddrs": { "pcilong": "$BDF" }, "usage": "PhyIoUsageDedicated" } ],
  "datastores": [ { "id": "5e0e5e0e-0000-4000-8000-0000000000d1", "dType": "DsHttp", "fqdn": "10.0.2.2:$DSPORT" } ],
  "contentInfo": [
    { "uuid": "5e0e5e0e-0000-4000-8000-0000000000c1", "dsId": "5e0e5e0e-0000-4000-8000-0000000000d1",
      "URL": "vmlinuz", "iformat": "RAW", "sha256": "$(sha vmlinuz)", "displayName": "guest-kernel" },
    { "uuid": "5e0e5e0e-0000-4000-8000-0000000000c2", "dsId": "5e0e5e0e-0000-4000-8000-0000000000d1",
      "URL": "initrd.gz", "iformat": "RAW", "sha256": "$(sha initrd.gz)", "displayName": "guest-initrd" } ],
  "volumes": [
$(shift 2; vols "$@" | sed '$ s/},$/}/') ],
  "apps": [
$2 ] }
JSON
	"$EVC" config set --dir "$A" "$DEV" "$ROOT/app.$1.json" >>"$ROOT/config-set.log" 2>&1
}

# ---- v2: fieldbus1 takes the card
config 2 "$(app $APP1 fieldbus1 a)" a
if wait_for 400 bash -c "[ \"\$(app_field $APP1 state)\" = RUNNING ]"; then
	ok "fieldbus1 (the fieldbus adapter) runs under Xen: RUNNING in evc info"
else
	not_ok "fieldbus1 runs: RUNNING in evc info" "state '$(app_field $APP1 state)' err '$(app_field $APP1 err)'" \
		"$(grep -aE 'apps|PCI|libxl|app ' "$S" | tail -n 25)"
fi
check "the guest sees the card: 'PCI <bdf> 1234:11e8 driver=pci-stub' in evc logs" \
	wait_for 200 logs_have "app fieldbus1 console: PCI [0-9a-f:.]+ 1234:11e8 driver=pci-stub"
check "the guest reads the card's id register through BAR0 (0x010000ED)" \
	wait_for 30 logs_have "app fieldbus1 console: PCI [0-9a-f:.]+ bar0\[0\]=0x010000ED"
check "the guest's console marker follows" wait_for 60 logs_have "app fieldbus1 console: $MARKER"
check "dom0 (eved) reports $BDF bound to xen-pciback, attached to fieldbus1" \
	wait_for 30 logs_have "PCI $BDF: assignable \(xen-pciback\), attached to app $APP1"
check "the serial console shows it too (dom0's view, not the guest's)" \
	grep -aqE "PCI $BDF: assignable \(xen-pciback\), attached to app $APP1" "$S"
"$EVC" logs --dir "$A" "$DEV" | grep -aE "fieldbus1 console: PCI" | sed 's/^/# guest: /'

# ---- v3: fieldbus2 claims the same adapter
config 3 "$(app $APP1 fieldbus1 a),$(app $APP2 fieldbus2 b)" a b
if wait_for 300 bash -c "[ \"\$(app_field $APP2 state)\" = ERROR ]"; then
	ok "a second app claiming the fieldbus adapter is refused: ERROR in evc info"
else
	not_ok "a second app claiming the fieldbus adapter is refused: ERROR" \
		"state '$(app_field $APP2 state)' err '$(app_field $APP2 err)'"
fi
E2=$(app_field $APP2 err)
echo "# fieldbus2's error: $E2"
check "the reason names the adapter and its holder" \
	bash -c "echo \"\$0\" | grep -qE \"adapter '?fieldbus'? is (already )?assigned to app $APP1\"" "$E2"
check "fieldbus1 keeps running" test "$(app_field $APP1 state)" = RUNNING
check "fieldbus2's guest never started (no console line)" bash -c "! logs_have 'app fieldbus2 console:'"

# ---- v4: both gone, fieldbus3 takes the card
config 4 "$(app $APP3 fieldbus3 c)" c
check "with fieldbus1 removed, dom0 keeps $BDF assignable (xen-pciback)" \
	wait_for 300 logs_have "PCI $BDF: assignable \(xen-pciback\), released by app $APP1"
if wait_for 400 bash -c "[ \"\$(app_field $APP3 state)\" = RUNNING ]"; then
	ok "a third app then takes the adapter: RUNNING"
else
	not_ok "a third app then takes the adapter: RUNNING" \
		"state '$(app_field $APP3 state)' err '$(app_field $APP3 err)'" \
		"$(grep -aE 'apps|PCI|libxl|app ' "$S" | tail -n 25)"
fi
check "fieldbus3's guest sees the card (1234:11e8, pci-stub)" \
	wait_for 200 logs_have "app fieldbus3 console: PCI [0-9a-f:.]+ 1234:11e8 driver=pci-stub"
check "fieldbus3's guest reads the id register" \
	wait_for 30 logs_have "app fieldbus3 console: PCI [0-9a-f:.]+ bar0\[0\]=0x010000ED"
check "no dom0 process crashed (segfault) during the run" bash -c "! grep -aq segfault '$S'"
stop_qemu
echo "# boot retries: $RETRIES; total $((SECONDS - T0)) s"
done_testing
