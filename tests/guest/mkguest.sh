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
# --modules M1,M2 puts those modules of the guest's kernel (and what they
# depend on, from modules.dep) into the initramfs; /init insmods them first
# (busybox insmod: a guest is not dom0).  E.g. xen-pcifront: a Xen PV guest's
# PCI front end, =m in Debian's kernel.
# --pci-stub VVVV:DDDD binds the guest's PCI function with that id to the
# guest kernel's pci-stub driver (adds the module) and reads the first 32-bit
# register of its BAR0 (busybox devmem): the guest, not the host, drives it.
# With --modules or --pci-stub, /init prints once, before the marker,
#   PCI <bdf> <vendor>:<device> driver=<name|none>
# for each PCI function it sees (waiting up to 20 s for the first one: a
# PV front end finds its devices after the module loads), then
#   PCI <bdf> bar0[0]=0x........   for the --pci-stub function,
#   PCI count=<n>.
# --kernel-dir DIR also copies the guest's kernel and initramfs to
# DIR/vmlinuz and DIR/initrd.gz: a Xen PV or PVH guest boots them directly
# (console=hvc0 on its command line: the marker goes to the PV console).
# The result is cached under build/guest/ keyed by kernel version, marker,
# busybox and this script; the build itself uses fixed timestamps, volume id
# and file order, so two builds give the same bytes.
# Needs: linux-image-amd64, busybox-static, syslinux, mtools, dosfstools,
# cpio, gzip, qemu-utils (--qcow2 only).
set -euo pipefail

usage() { echo "usage: mkguest.sh OUT.img [--marker TEXT] [--qcow2] [--kernel-dir DIR] [--modules M1,M2] [--pci-stub VVVV:DDDD]" >&2; exit 2; }
OUT="" MARKER="EDGEVISOR-GUEST-OK" QCOW2=0 KDIR="" MODULES="" STUB=""
while [ $# -gt 0 ]; do
	case $1 in
	--marker) [ $# -ge 2 ] || usage; MARKER=$2; shift 2 ;;
	--qcow2) QCOW2=1; shift ;;
	--kernel-dir) [ $# -ge 2 ] || usage; KDIR=$2; shift 2 ;;
	--modules) [ $# -ge 2 ] || usage; MODULES=$2; shift 2 ;;
	--pci-stub) [ $# -ge 2 ] || usage; STUB=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "mkguest.sh: unknown option $1" >&2; usage ;;
	*) [ -z "$OUT" ] || usage; OUT=$1; shift ;;
	esac
done
[ -n "$OUT" ] || usage
case $MARKER in
*[!A-Za-z0-9._:=+-]*|"") echo "mkguest.sh: --marker '$MARKER': use letters, digits and ._:=+-" >&2; exit 2 ;;
esac
case $MODULES in
*[!A-Za-z0-9_,-]*) echo "mkguest.sh: --modules '$MODULES': use module names separated by commas" >&2; exit 2 ;;
esac
case $STUB in
""|[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
*) echo "mkguest.sh: --pci-stub '$STUB': use VVVV:DDDD in lower-case hex" >&2; exit 2 ;;
esac
[ -z "$STUB" ] || MODULES=${MODULES:+$MODULES,}pci-stub

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

MODDIR=/lib/modules/$KVER
# modules.dep order: NAME's dependencies (deepest first), then NAME
mod_paths() {
	local name=$1 line dep
	line=$(grep -E "(^|/)${name//[-_]/[-_]}\.ko(\.[a-z]+)?:" "$MODDIR/modules.dep" | head -n 1)
	[ -n "$line" ] || { echo "mkguest.sh: module $name is not in $MODDIR/modules.dep (built in?)" >&2; return 1; }
	for dep in $(echo "${line#*:}" | tr ' ' '\n' | tac); do echo "$dep"; done
	echo "${line%%:*}"
}
MODPATHS=()
if [ -n "$MODULES" ]; then
	for m in ${MODULES//,/ }; do
		while IFS= read -r p; do
			case " ${MODPATHS[*]:-} " in *" $p "*) ;; *) MODPATHS+=("$p") ;; esac
		done < <(mod_paths "$m" || echo FAIL)
	done
	case " ${MODPATHS[*]} " in *" FAIL "*) exit 1 ;; esac
	for p in "${MODPATHS[@]}"; do
		case $p in *.ko) ;; *) echo "mkguest.sh: $p is compressed; busybox insmod needs a plain .ko" >&2; exit 1 ;; esac
	done
fi

KEY=$( (echo "$KVER $MARKER $MODULES $STUB"; sha256sum "$0" "$BUSYBOX" "$KERNEL" | cut -d' ' -f1) | sha256sum | cut -c1-16)
CACHE=${EV_GUEST_CACHE:-$ROOT/build/guest}
CACHED=$CACHE/guest-$KVER-$KEY.img
mkdir -p "$CACHE"

build() {
	local W img
	W=$(mktemp -d "$CACHE/.build.XXXXXX")
	trap 'rm -rf "$W"' RETURN
	mkdir -p "$W/root"/{bin,dev,proc,sys}
	cp "$BUSYBOX" "$W/root/bin/busybox"
	for a in sh mount stty cat echo sleep insmod ls readlink devmem printf head cut; do
		ln -s busybox "$W/root/bin/$a"
	done
	local i=0 p
	if [ ${#MODPATHS[@]} -gt 0 ]; then
		mkdir -p "$W/root/lib/modules"
		for p in "${MODPATHS[@]}"; do   # numbered: the load order
			i=$((i + 1))
			cp "$MODDIR/$p" "$W/root/lib/modules/$(printf %02d "$i")-$(basename "$p")"
		done
	fi
	cat > "$W/root/init" <<SH
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
if [ -d /lib/modules ]; then
	for m in /lib/modules/*.ko; do insmod "\$m" || echo "insmod \$m failed"; done
	[ -z "$STUB" ] || echo "${STUB%:*} ${STUB#*:}" > /sys/bus/pci/drivers/pci-stub/new_id
	i=0
	while [ \$i -lt 40 ] && ! ls /sys/bus/pci/devices/* >/dev/null 2>&1; do sleep 0.5; i=\$((i + 1)); done
	sleep 1   # the front end's remaining functions and the stub's bind
	n=0
	for d in /sys/bus/pci/devices/*; do
		[ -e "\$d/vendor" ] || continue
		v=\$(cat \$d/vendor) id=\$(cat \$d/device) drv=\$(readlink \$d/driver)
		drv=\${drv##*/}
		echo "PCI \${d##*/} \${v#0x}:\${id#0x} driver=\${drv:-none}"
		n=\$((n + 1))
		if [ "\${v#0x}:\${id#0x}" = "$STUB" ]; then
			bar=\$(head -n 1 \$d/resource | cut -d' ' -f1)
			echo "PCI \${d##*/} bar0[0]=\$(devmem \$(printf 0x%x \$((bar))) 32)"
		fi
	done
	echo "PCI count=\$n"
fi
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
