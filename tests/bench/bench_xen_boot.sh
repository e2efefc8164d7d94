#!/usr/bin/env bash
# bench_xen_boot.sh BUILD_DIR OUT_DIR: the Xen system's sizes, boot time and
# dom0 memory, on the QEMU board (TCG here), each boot through the same
# firmware path (OVMF -> edgeboot -> xen.efi -> dom0):
#   - sizes: the control domain (dom0 kernel + initramfs, compressed; goal
#     <= 16 MB) and IMGA's files;
#   - reference: a bare Xen + dom0 boot to /init: the same disk layout with an
#     initramfs holding only tests/bench/bare_init.c (prints a marker, powers
#     off); time from QEMU start to its marker;
#   - ours: time from QEMU start to onboarded (the host `evc` lists the
#     device), goal <= bare + 5 s; dom0 memory used at steady state (the
#     device's own metric, 40 s after onboarding).
# Prints "bench ..." lines; asserts nothing.
set -u
B=${1:-build/rel}
OUT=${2:-build/bench}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/bench-xen.XXXXXX)
QP=""
cleanup() { [ -f "$W/qemu.pid" ] && kill "$(cat "$W/qemu.pid")" 2>/dev/null; kill $QP ${SPID:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
EVC=$B/evc
KVER=$(dpkg-query -W -f='${Depends}' linux-image-amd64 | grep -o 'linux-image-[0-9][^ ,]*' | head -n 1 | sed 's/^linux-image-//')
HV=$TOP/hv-config/qemu-x86_64
ms() { date +%s%3N; }

# ---- the reference: bare /init
mkdir -p "$W/bare/proc" "$W/bare/dev" "$W/cfg"
gcc -static -O2 -o "$W/bare/init" "$TOP/tests/bench/bare_init.c" || { echo "bench xen_boot: cannot build bare_init (static glibc)"; exit 0; }
(cd "$W/bare" && find . | cpio -o -H newc --quiet | gzip -9) > "$W/bare.gz"
echo BENCH > "$W/cfg/serial"
"$TOP/dom0/image/mkdisk.sh" "$W/bare.img" --bootx64 "$B/bootloader/BOOTX64.EFI" --xen /boot/xen-4.17-amd64.efi \
	--kernel "/boot/vmlinuz-$KVER" --initrd "$W/bare.gz" --xen-cmdline "$HV/xen.cmdline" \
	--dom0-cmdline "$HV/dom0.cmdline" --config "$W/cfg" >"$W/mkdisk-bare.log" 2>&1 \
	|| { echo "bench xen_boot: mkdisk failed: $(tail -n 3 "$W/mkdisk-bare.log")"; exit 0; }
t0=$(ms)
"$TOP/board/qemu-x86_64/qemu.sh" "$W/bare.img" --serial "$W/bare.serial" --pidfile "$W/qemu.pid" --net none --timeout 300 >/dev/null 2>&1 &
QP=$!
bare=""
for _ in $(seq 3000); do
	grep -aq EDGEVISOR-BARE-INIT "$W/bare.serial" 2>/dev/null && { bare=$(( $(ms) - t0 )); break; }
	kill -0 $QP 2>/dev/null || break
	sleep 0.1
done
wait $QP 2>/dev/null; QP=""
[ -n "$bare" ] || { echo "bench xen_boot: the bare boot did not reach /init"; exit 0; }

# ---- ours: the image, onboarding to a host controller
PORT=$(( 20000 + RANDOM % 20000 ))
"$EVC" init --dir "$W/evc" --server "10.0.2.2:$PORT" --name 10.0.2.2 >/dev/null
"$EVC" onboard add --dir "$W/evc" --cert "$W/evc/onboard.cert.pem" --serial BENCH >/dev/null
"$EVC" serve --dir "$W/evc" --listen "127.0.0.1:$PORT" >"$W/serve.log" 2>&1 &
SPID=$!
cp "$W/evc/device-config/"* "$W/cfg/"
"$TOP/board/qemu-x86_64/mkimage.sh" "$B" "$W/disk.img" --config "$W/cfg" >"$W/mkimage.log" 2>&1 \
	|| { echo "bench xen_boot: mkimage failed: $(tail -n 3 "$W/mkimage.log")"; exit 0; }
sizes=$(grep '^mkimage:' "$W/mkimage.log")
cd_kib=$(echo "$sizes" | sed -n 's/.*initramfs) \([0-9]*\) KiB.*/\1/p')
imga_kib=$(echo "$sizes" | sed -n 's/.*IMGA files \([0-9]*\) KiB.*/\1/p')
echo "bench image_size: control domain (dom0 kernel + initramfs, compressed) $cd_kib KiB (goal <= 16384 KiB);" \
	"IMGA files $imga_kib KiB"
t0=$(ms)
"$TOP/board/qemu-x86_64/qemu.sh" "$W/disk.img" --serial "$W/disk.serial" --pidfile "$W/qemu.pid" --timeout 600 >/dev/null 2>&1 &
QP=$!
onb="" init=""
for _ in $(seq 3000); do
	[ -z "$init" ] && grep -aq "eved is PID 1" "$W/disk.serial" 2>/dev/null && init=$(( $(ms) - t0 ))
	if "$EVC" device list --dir "$W/evc" --json 2>/dev/null | grep -q '"uuid"'; then onb=$(( $(ms) - t0 )); break; fi
	kill -0 $QP 2>/dev/null || break
	sleep 0.1
done
if [ -z "$onb" ]; then echo "bench xen_boot: the image did not onboard (see a rerun's serial log)"; exit 0; fi
awk -v b="$bare" -v i="${init:-0}" -v o="$onb" 'BEGIN {
	printf "bench xen_boot_to_onboarded: %.1f s from QEMU start (eved PID 1 at %.1f s); bare Xen+dom0 to /init %.1f s; extra %.1f s (goal <= 5 s), ratio %.2f\n",
		o / 1000, i / 1000, b / 1000, (o - b) / 1000, b / o }'
sleep 40
UUID=$("$EVC" device list --dir "$W/evc" --json | sed -n 's/.*"uuid":"\([^"]*\)".*/\1/p')
mem=$("$EVC" metrics --dir "$W/evc" "$UUID" --json 2>/dev/null | tail -n 1 | /usr/bin/python3 -c "
import json,sys
d=json.loads(sys.stdin.read() or '{}'); m=(d.get('dm') or {}).get('memory') or {}
print(m.get('usedMem', '?'), m.get('availMem', '?'))")
boot_mem=$(grep -ao 'memory: [0-9]* MiB in dom0, [0-9]* MiB available' "$W/disk.serial" | head -n 1)
echo "bench dom0_memory: steady state (device metric 40 s after onboarding) used/available MiB: $mem; at boot: ${boot_mem:-?}"
