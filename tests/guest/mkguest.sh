#!/usr/bin/env bash
# mkguest.sh OUT.img [--marker TEXT] [--qcow2]: a tiny bootable guest disk for
# the app tests, built without loop mounts or root:
#   - a FAT image (mkfs.vfat, mtools) holding the host's Debian kernel
#     (/boot/vmlinuz-*) and a busybox-static initramfs (cpio newc + gzip),
#   - syslinux installed into its boot sector (syslinux --install works on an
#     image file through mtools), syslinux.cfg booting the kernel with
#     console=ttyS0; the disk has no partition table (SeaBIOS boots its
#     first sector, from virtio-blk too).
# The guest's /init mounts proc, sys and dev, prints TEXT (default
# EDGEVISOR-GUEST-OK) on the console (ttyS0) once a second, echoes back every
# line it reads on ttyS1 (raw, no echo: the COM passthrough test).  It does
# not react to the ACPI power button (Debian builds button and evdev as
# modules; loading them and busybox acpid was tried and did not power off):
# stop it with QMP "quit" or a signal.
# --qcow2 writes OUT as qcow2 (qemu-img convert) instead of raw.
# --kernel-dir DIR also copies the guest's kernel and initramfs to
# DIR/vmlinuz and DIR/initrd.gz: a Xen PV or PVH guest boots them directly
# (console=hvc0 on its command line: the marker goes to the PV console).
# The result is cached under build/guest/ keyed by kernel version, marker,
# busybox and this script; the build itself uses fixed timestamps, volume id
# and file order, so two builds give the same bytes.
# Needs: linux-image-amd64, busybox-static, syslinux, mtools, dosfstools,
# cpio, gzip, qemu-utils (--qcow2 only).
set -euo pipefail

usage() { echo "usage: mkguest.sh OUT.img [--marker TEXT] [--qcow2] [--kernel-dir DIR]" >&2; exit 2; }
OUT="" MARKER="EDGEVISOR-GUEST-OK" QCOW2=0 KDIR=""
while [ $# -gt 0 ]; do
	case $1 in
	--marker) [ $# -ge 2 ] || usage; MARKER=$2; shift 2 ;;
	--qcow2) QCOW2=1; shift ;;
	--kernel-dir) [ $# -ge 2 ] || usage; KDIR=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "mkguest.sh: unknown option $1" >&2; usage ;;
	*) [ -z "$OUT" ] || usage; OUT=$1; shift ;;
	esac
done
[ -n "$OUT" ] || usage
case $MARKER in
*[!A-Za-z0-9._:=+-]*|"") echo "mkguest.sh: --marker '$MARKER': use letters, digits and ._:=+-" >&2; exit 2 ;;
esac

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1 || true)
[ -r "$KERNEL" ] || { echo "mkguest.sh: no readable /boot/vmlinuz-* (install linux-image-amd64)" >&2; exit 1; }
KVER=${KERNEL#/boot/vmlinuz-}
BUSYBOX=/bin/busybox
"$BUSYBOX" --list 2>/dev/null | grep -qx stty || { echo "mkguest.sh: $BUSYBOX is not busybox-static" >&2; exit 1; }
for t in mkfs.vfat mcopy syslinux cpio gzip; do
	command -v $t >/dev/null || { echo "mkguest.sh: $t is missing" >&2; exit 1; }
done

KEY=$( (echo "$KVER $MARKER"; sha256sum "$0" "$BUSYBOX" "$KERNEL" | cut -d' ' -f1) | sha256sum | cut -c1-16)
CACHE=${EV_GUEST_CACHE:-$ROOT/build/guest}
CACHED=$CACHE/guest-$KVER-$KEY.img
mkdir -p "$CACHE"

build() {
	local W img
	W=$(mktemp -d "$CACHE/.build.XXXXXX")
	trap 'rm -rf "$W"' RETURN
	mkdir -p "$W/root"/{bin,dev,proc,sys}
	cp "$BUSYBOX" "$W/root/bin/busybox"
	for a in sh mount stty cat echo sleep; do
		ln -s busybox "$W/root/bin/$a"
	done
	cat > "$W/root/init" <<SH
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
if stty -F /dev/ttyS1 raw -echo 2>/dev/null; then
	( while IFS= read -r line; do echo "\$line"; done < /dev/ttyS1 > /dev/ttyS1 ) &
fi
n=0
while :; do
	echo "$MARKER \$n"
	n=\$((n + 1))
	sleep 1
done
SH
	chmod 755 "$W/root/init"
	find "$W/root" -exec touch -h -d @946684800 {} +
	(cd "$W/root" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible --owner=0:0 --quiet) |
		gzip -9 -n > "$W/initrd.gz"
	cp "$KERNEL" "$W/vmlinuz"
	cat > "$W/syslinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT guest
PROMPT 0
TIMEOUT 0
LABEL guest
  LINUX /vmlinuz
  INITRD /initrd.gz
  APPEND console=ttyS0,115200 panic=-1 quiet
CFG
	touch -d @946684800 "$W/vmlinuz" "$W/initrd.gz" "$W/syslinux.cfg"
	local kib=$(( ($(stat -c %s "$W/vmlinuz") + $(stat -c %s "$W/initrd.gz")) / 1024 + 2048 ))
	img=$W/disk.img
	truncate -s "${kib}K" "$img"
	mkfs.vfat --invariant -i 45564755 -n EVGUEST "$img" >/dev/null
	export MTOOLS_SKIP_CHECK=1
	syslinux --install "$img"
	mcopy -m -i "$img" "$W/vmlinuz" "$W/initrd.gz" "$W/syslinux.cfg" ::/
	# syslinux stamps ldlinux.* with the current time: fix every root entry's
	# times to 2000-01-01 00:00 so that the image is the same on every build
	/usr/bin/python3 - "$img" <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b"); b = f.read(512)
bps, spc, rsv, nfats, nroot = struct.unpack_from("<HBHBH", b, 11)
spf = struct.unpack_from("<H", b, 22)[0]
assert spf and nroot, "expected FAT12/16 with a fixed root directory"
off = (rsv + nfats * spf) * bps
f.seek(off); d = bytearray(f.read(nroot * 32))
date = (2000 - 1980) << 9 | 1 << 5 | 1
for i in range(0, len(d), 32):
    if d[i] in (0, 0xE5) or d[i + 11] == 0x0F:
        continue
    d[i + 13] = 0
    struct.pack_into("<HHH", d, i + 14, 0, date, date)
    struct.pack_into("<HH", d, i + 22, 0, date)
f.seek(off); f.write(d); f.close()
PY
	mv "$img" "$CACHED"
}

[ -s "$CACHED" ] || build
if [ "$QCOW2" = 1 ]; then
	qemu-img convert -f raw -O qcow2 "$CACHED" "$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
else
	cp "$CACHED" "$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
fi
if [ -n "$KDIR" ]; then
	mkdir -p "$KDIR"
	MTOOLS_SKIP_CHECK=1 mcopy -n -o -i "$CACHED" ::/vmlinuz ::/initrd.gz "$KDIR/"
fi
