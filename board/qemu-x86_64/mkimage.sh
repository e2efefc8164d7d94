#!/usr/bin/env bash
# board/qemu-x86_64/mkimage.sh BUILD_DIR OUT.img --config DIR [--size SIZE]
# The QEMU board's disk image (what `make image` builds):
#   dom0's initramfs  dom0/image/mkinitramfs.sh (the manifest; /init = eved)
#   the disk          dom0/image/mkdisk.sh (GPT: ESP with edgeboot, IMGA with
#                     Xen + dom0, IMGB unused, CONFIG from --config, PERSIST)
#   Xen               Debian's /boot/xen-4.17-amd64.efi
#   dom0's kernel     Debian's vmlinuz (the version linux-image-amd64 names)
#   command lines     hv-config/qemu-x86_64/{xen,dom0}.cmdline
# Prints the sizes: dom0 kernel + initramfs (the control domain), IMGA's files.
set -euo pipefail
die() { echo "mkimage: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: mkimage.sh BUILD_DIR OUT.img --config DIR [--size SIZE]"
B=$1 OUT=$2; shift 2
CONFIG="" SIZE=2G
while [ $# -gt 0 ]; do
	case $1 in
	--config) CONFIG=$2; shift 2 ;;
	--size) SIZE=$2; shift 2 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
[ -d "$CONFIG" ] || die "--config DIR: '$CONFIG' is not a folder"
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BOARD=qemu-x86_64
HV=$TOP/hv-config/$BOARD
XENEFI=/boot/xen-4.17-amd64.efi
[ -r "$XENEFI" ] || die "$XENEFI missing (install xen-hypervisor-4.17-amd64)"
KVER=${EV_KVER:-$(dpkg-query -W -f='${Depends}' linux-image-amd64 | grep -o 'linux-image-[0-9][^ ,]*' | head -n 1 | sed 's/^linux-image-//')}
KERNEL=/boot/vmlinuz-$KVER
[ -r "$KERNEL" ] || die "$KERNEL missing (install linux-image-amd64)"
[ -r "$B/bootloader/BOOTX64.EFI" ] || die "$B/bootloader/BOOTX64.EFI missing: build it first (make build-all)"
W=$(mktemp -d "${TMPDIR:-/tmp}/mkimage.XXXXXX")
trap 'rm -rf "$W"' EXIT
"$TOP/dom0/image/mkinitramfs.sh" "$B" "$W/initrd.gz" "$BOARD"
"$TOP/dom0/image/mkdisk.sh" "$OUT" --bootx64 "$B/bootloader/BOOTX64.EFI" --xen "$XENEFI" \
	--kernel "$KERNEL" --initrd "$W/initrd.gz" --xen-cmdline "$HV/xen.cmdline" \
	--dom0-cmdline "$HV/dom0.cmdline" --config "$CONFIG" --size "$SIZE"
k=$(stat -c %s "$KERNEL") i=$(stat -c %s "$W/initrd.gz") x=$(stat -c %s "$XENEFI")
echo "mkimage: $OUT: control domain (kernel $KVER + initramfs) $(( (k + i) / 1024 )) KiB" \
	"(kernel $((k / 1024)) KiB, initramfs $((i / 1024)) KiB); IMGA files $(( (k + i + x) / 1024 )) KiB with xen.efi"
