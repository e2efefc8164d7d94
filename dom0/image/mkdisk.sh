#!/usr/bin/env bash
# mkdisk.sh OUT.img --bootx64 EFI --xen XEN.efi --kernel VMLINUZ --initrd INITRD.gz
#           --xen-cmdline FILE --dom0-cmdline FILE --config DIR [--size SIZE]
#           [--xen-as-bootx64]
#
# The GPT disk of docs/architecture.md ("dom0 image"), without loop mounts
# or root: every file system is made in a partition-sized file (mkfs.vfat +
# mtools, mkfs.ext4 -d) and written into the sparse disk with dd.
#   1 ESP      ef00   FAT 32 MiB   \EFI\BOOT\BOOTX64.EFI = --bootx64
#   2 IMGA     5dfbf5f4-...  FAT32 128 MiB  \xen.efi \xen.cfg \vmlinuz \initrd.gz
#   3 IMGB     5dfbf5f4-...  FAT32 128 MiB  empty
#   4 CONFIG   13307e62-...  FAT 16 MiB     the files of --config DIR
#   5 PERSIST  5f24425a-...  ext4, the rest empty
# Attributes: IMGA priority 2, tries 0, successful (0x102 in bits 48-63),
# IMGB 0 (unused).
# --xen-as-bootx64: until the boot selector exists, put xen.efi itself on the
# ESP as BOOTX64.EFI with BOOTX64.cfg, vmlinuz and initrd.gz beside it (xen.efi
# reads <its own name>.cfg from its own folder); --bootx64 is then not needed.
# --size: the whole disk (default 2G; sparse).
set -euo pipefail

die() { echo "mkdisk: $*" >&2; exit 1; }
OUT=${1:-}
[ -n "$OUT" ] && [[ $OUT != --* ]] || die "usage: mkdisk.sh OUT.img --bootx64 EFI --xen XEN.efi --kernel VMLINUZ --initrd INITRD --xen-cmdline FILE --dom0-cmdline FILE --config DIR [--size SIZE] [--xen-as-bootx64]"
shift
BOOTX64= XENEFI= KERNEL= INITRD= XENCMD= DOM0CMD= CONFIG= SIZE=2G XEN_AS_BOOT=0
while [ $# -gt 0 ]; do
	case $1 in
	--bootx64) BOOTX64=$2; shift 2 ;;
	--xen) XENEFI=$2; shift 2 ;;
	--kernel) KERNEL=$2; shift 2 ;;
	--initrd) INITRD=$2; shift 2 ;;
	--xen-cmdline) XENCMD=$2; shift 2 ;;
	--dom0-cmdline) DOM0CMD=$2; shift 2 ;;
	--config) CONFIG=$2; shift 2 ;;
	--size) SIZE=$2; shift 2 ;;
	--xen-as-bootx64) XEN_AS_BOOT=1; shift ;;
	*) die "unknown argument '$1'" ;;
	esac
done
for v in XENEFI KERNEL INITRD XENCMD DOM0CMD; do
	[ -n "${!v}" ] && [ -f "${!v}" ] || die "--$(tr A-Z a-z <<<"$v" | sed 's/xenefi/xen/;s/xencmd/xen-cmdline/;s/dom0cmd/dom0-cmdline/') '${!v}': no such file"
done
[ -n "$CONFIG" ] && [ -d "$CONFIG" ] || die "--config '$CONFIG': no such folder"
[ "$XEN_AS_BOOT" = 1 ] || { [ -n "$BOOTX64" ] && [ -f "$BOOTX64" ]; } ||
	die "--bootx64 '$BOOTX64': no such file (or --xen-as-bootx64)"

TYPE_IMG=5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6
TYPE_CONFIG=13307e62-cd9c-4920-8f9b-91b45828b798
TYPE_PERSIST=5f24425a-2dfa-11e8-a270-7b663faccc2c
MIB=2048                               # sectors of 512 bytes
ESP_MB=32 IMG_MB=128 CONFIG_MB=16
P1=$MIB
P2=$((P1 + ESP_MB * MIB))
P3=$((P2 + IMG_MB * MIB))
P4=$((P3 + IMG_MB * MIB))
P5=$((P4 + CONFIG_MB * MIB))

W=$(mktemp -d "${TMPDIR:-/tmp}/mkdisk.XXXXXX")
trap 'rm -rf "$W"' EXIT
export MTOOLS_SKIP_CHECK=1

rm -f "$OUT.tmp"
truncate -s "$SIZE" "$OUT.tmp"
total=$(( $(stat -c %s "$OUT.tmp") / 512 ))
[ "$total" -gt $((P5 + 64 * MIB)) ] || die "--size $SIZE: too small (PERSIST needs 64 MiB at least)"
sgdisk -Z "$OUT.tmp" >/dev/null 2>&1 || true
sgdisk -a 2048 \
	-n 1:$P1:$((P2 - 1)) -t 1:ef00 -c 1:ESP \
	-n 2:$P2:$((P3 - 1)) -t 2:$TYPE_IMG -c 2:IMGA \
	-n 3:$P3:$((P4 - 1)) -t 3:$TYPE_IMG -c 3:IMGB \
	-n 4:$P4:$((P5 - 1)) -t 4:$TYPE_CONFIG -c 4:CONFIG \
	-n 5:$P5:0 -t 5:$TYPE_PERSIST -c 5:PERSIST \
	-A 2:set:49 -A 2:set:56 \
	"$OUT.tmp" >/dev/null || die "sgdisk failed on $OUT.tmp"
P5_END=$(sgdisk -i 5 "$OUT.tmp" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p')
[ -n "$P5_END" ] || die "cannot read PERSIST's last sector"

# fat FILE MB LABEL [FAT bits]
fat() {
	truncate -s "$2M" "$1"
	mkfs.vfat ${4:+-F $4} -n "$3" "$1" >/dev/null || die "mkfs.vfat $3 failed"
}
# xen.cfg of a slot (xen.efi reads <its own name>.cfg)
xencfg() {
	printf '[global]\ndefault=edgevisor\n[edgevisor]\noptions=%s\nkernel=vmlinuz %s edgevisor.slot=%s\nramdisk=initrd.gz\n' \
		"$(tr '\n' ' ' <"$XENCMD" | sed 's/ *$//')" "$(tr '\n' ' ' <"$DOM0CMD" | sed 's/ *$//')" "$1"
}

# 1: the ESP
fat "$W/esp" $ESP_MB ESP
mmd -i "$W/esp" ::/EFI ::/EFI/BOOT
if [ "$XEN_AS_BOOT" = 1 ]; then
	xencfg IMGA >"$W/BOOTX64.cfg"
	mcopy -i "$W/esp" "$XENEFI" ::/EFI/BOOT/BOOTX64.EFI
	mcopy -i "$W/esp" "$W/BOOTX64.cfg" ::/EFI/BOOT/BOOTX64.cfg
	mcopy -i "$W/esp" "$KERNEL" ::/EFI/BOOT/vmlinuz
	mcopy -i "$W/esp" "$INITRD" ::/EFI/BOOT/initrd.gz
else
	mcopy -i "$W/esp" "$BOOTX64" ::/EFI/BOOT/BOOTX64.EFI
fi
# 2, 3: the slots (IMGB empty: a fresh image has one system)
fat "$W/imga" $IMG_MB IMGA 32
xencfg IMGA >"$W/xen.cfg"
mcopy -i "$W/imga" "$XENEFI" ::/xen.efi
mcopy -i "$W/imga" "$W/xen.cfg" ::/xen.cfg
mcopy -i "$W/imga" "$KERNEL" ::/vmlinuz
mcopy -i "$W/imga" "$INITRD" ::/initrd.gz
fat "$W/imgb" $IMG_MB IMGB 32
# 4: CONFIG
fat "$W/config" $CONFIG_MB CONFIG
if [ -n "$(ls -A "$CONFIG")" ]; then
	mcopy -s -i "$W/config" "$CONFIG"/* ::/
fi
# 5: PERSIST, empty ext4 (-d: no mount needed)
mkdir "$W/persist.d"
mkfs.ext4 -q -F -L PERSIST -d "$W/persist.d" "$W/persist" >/dev/null \
	"$(( (P5_END - P5 + 1) / 2 ))k" || die "mkfs.ext4 PERSIST failed"

put() { dd if="$1" of="$OUT.tmp" bs=512 seek="$2" conv=notrunc,sparse status=none; }
put "$W/esp" $P1
put "$W/imga" $P2
put "$W/imgb" $P3
put "$W/config" $P4
put "$W/persist" $P5
mv "$OUT.tmp" "$OUT"
echo "mkdisk: $OUT: $(( total / MIB )) MiB (sparse, $(du -k "$OUT" | cut -f1) KiB used)"
sgdisk -p "$OUT" | sed -n '/^Number/,$p' | sed 's/^/mkdisk:   /'
