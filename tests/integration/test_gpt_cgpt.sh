#!/usr/bin/env bash
# Integration: gptctl (dom0/core/gpt) against the reference tools.
# - a disk made by sgdisk with two IMG partitions; attributes set with
#   gptctl read back the same with `cgpt show -P/-T/-S`, and attributes set
#   with `cgpt add -P/-T/-S` read back the same with gptctl show;
# - gptctl select decrements tries as cgpt sees it, --dry-run does not;
# - a corrupt primary header (dd) or backup header is repaired by
#   gptctl repair, after which cgpt and `sgdisk -v` find no problem;
# - bad arguments and a non-GPT file are refused with a message.
set -u
. "$(dirname "$0")/../lib.sh"
GPTCTL=$(realpath "$EV_BUILD/gptctl")
IMG_TYPE=5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6
cd "$EV_TMP"

truncate -s 64M d.img
sgdisk -n 1:2048:+8M -t 1:ef00 -c 1:ESP \
	-n 2:0:+16M -t 2:$IMG_TYPE -c 2:IMGA \
	-n 3:0:+16M -t 3:$IMG_TYPE -c 3:IMGB d.img >/dev/null
check "sgdisk: made the disk" bash -c "sgdisk -v d.img >/dev/null"

# field N of gptctl show for a partition index (1-based)
show_field() { "$GPTCTL" show d.img | awk -v i="$1" -v k="$2" '$1 == i { for (f = 5; f <= NF; f++) { split($f, kv, "="); if (kv[1] == k) print kv[2] } }'; }
cgpt_is() { # INDEX PRIO TRIES SUCC
	[ "$(cgpt show -i "$1" -P d.img)" = "$2" ] && [ "$(cgpt show -i "$1" -T d.img)" = "$3" ] &&
		[ "$(cgpt show -i "$1" -S d.img)" = "$4" ]
}
gptctl_is() { # INDEX PRIO TRIES SUCC
	[ "$(show_field "$1" priority)" = "$2" ] && [ "$(show_field "$1" tries)" = "$3" ] &&
		[ "$(show_field "$1" successful)" = "$4" ]
}

check "gptctl show: three partitions with names and type GUIDs" bash -c \
	"'$GPTCTL' show d.img > show.txt && [ \$(wc -l < show.txt) = 3 ] && grep -q '^2 IMGA $IMG_TYPE ' show.txt && grep -q '^3 IMGB $IMG_TYPE ' show.txt"
"$GPTCTL" set d.img IMGA --priority 2 --successful 1 >/dev/null
"$GPTCTL" set d.img IMGB --priority 3 --tries 2 --successful 0 >/dev/null
check "gptctl set IMGA active: cgpt shows priority 2 tries 0 successful 1" cgpt_is 2 2 0 1
check "gptctl set IMGB updating: cgpt shows priority 3 tries 2 successful 0" cgpt_is 3 3 2 0
check "gptctl show: IMGA attrs 0x0102000000000000" bash -c "'$GPTCTL' show d.img | grep -q '^2 IMGA .* attrs=0x0102000000000000 '"
check "sgdisk -v: the table gptctl wrote is valid" bash -c "sgdisk -v d.img | grep -q 'No problems found'"

cgpt add -i 3 -P 5 -T 7 -S 1 d.img
check "cgpt add -P 5 -T 7 -S 1: gptctl shows the same" gptctl_is 3 5 7 1
cgpt add -i 3 -P 3 -T 2 -S 0 d.img
check "cgpt add -P 3 -T 2 -S 0: gptctl shows the same" gptctl_is 3 3 2 0

check "gptctl select --dry-run: IMGB, nothing written" bash -c \
	"'$GPTCTL' select d.img --dry-run | grep -q '^IMGB partition=3 priority=3 tries=2 '"
check "  and cgpt still sees tries 2" cgpt_is 3 3 2 0
check "gptctl select: IMGB with tries decremented" bash -c \
	"'$GPTCTL' select d.img | grep -q '^IMGB partition=3 priority=3 tries=1 successful=0 (tries decremented)'"
check "  cgpt sees tries 1" cgpt_is 3 3 1 0
"$GPTCTL" select d.img >/dev/null
check "gptctl select twice more: IMGA once IMGB has no tries" bash -c \
	"'$GPTCTL' select d.img | grep -q '^IMGA partition=2 priority=2 tries=0 successful=1$'"
check "  cgpt: IMGB tries 0, IMGA untouched" bash -c "$(declare -f cgpt_is); cgpt_is 3 3 0 0 && cgpt_is 2 2 0 1"

# corrupt the primary header (LBA 1): gptctl reads the backup, repair rewrites it
cp d.img good.img
printf 'XXXXXXXX' | dd of=d.img bs=1 seek=512 conv=notrunc status=none
check "corrupt primary: gptctl show still works (from the backup) and says so" bash -c \
	"'$GPTCTL' show d.img 2>err.txt | grep -q '^3 IMGB ' && grep -q 'primary GPT header: no \"EFI PART\" signature; using the backup' err.txt"
check "corrupt primary: gptctl repair rewrites it from the backup" bash -c \
	"'$GPTCTL' repair d.img 2>/dev/null | grep -q 'rewrote the primary GPT from the backup'"
check "  sgdisk -v finds no problem" bash -c "sgdisk -v d.img | grep -q 'No problems found'"
check "  cgpt show agrees (IMGB priority 3 tries 0)" cgpt_is 3 3 0 0
check "  the disk is byte for byte what it was" cmp -s d.img good.img
check "gptctl repair on a clean disk: nothing to do" bash -c \
	"'$GPTCTL' repair d.img | grep -q 'both GPT copies valid and identical'"

# corrupt the backup header (last LBA): CRC flip
last=$(( $(stat -c %s d.img) / 512 - 1 ))
printf '\xff' | dd of=d.img bs=1 seek=$((last * 512 + 40)) conv=notrunc status=none
check "corrupt backup: gptctl repair rewrites it from the primary" bash -c \
	"'$GPTCTL' repair d.img 2>err.txt | grep -q 'rewrote the backup GPT from the primary' && grep -q 'backup GPT header: header CRC mismatch' err.txt"
check "  sgdisk -v finds no problem" bash -c "sgdisk -v d.img | grep -q 'No problems found'"
check "  the disk is byte for byte what it was" cmp -s d.img good.img

# corrupt the primary entry array: entries CRC
printf '\x01' | dd of=d.img bs=1 seek=$((2 * 512 + 128 + 60)) conv=notrunc status=none
check "corrupt primary entries: repaired from the backup" bash -c \
	"'$GPTCTL' repair d.img 2>err.txt | grep -q 'rewrote the primary' && grep -q 'primary GPT entries: entry array CRC mismatch' err.txt && cmp -s d.img good.img"

# refusals
truncate -s 1M plain.img
"$GPTCTL" show plain.img 2>err.txt
check "a disk without GPT: exit 1 naming both copies" bash -c \
	"[ $? = 1 ] && grep -q 'no valid GPT: primary GPT header: no \"EFI PART\" signature; backup GPT header' err.txt"
"$GPTCTL" set d.img IMGC --priority 1 2>err.txt
check "set on an unknown name: exit 1" bash -c "[ $? = 1 ] && grep -q \"no partition named 'IMGC'\" err.txt"
"$GPTCTL" set d.img IMGA --priority 16 2>err.txt
check "priority 16: exit 2" bash -c "[ $? = 2 ] && grep -q 'not a number from 0 to 15' err.txt"
"$GPTCTL" set d.img IMGA 2>/dev/null
check "set without a field: usage, exit 2" test $? -eq 2
check "  nothing written by refused commands" cmp -s d.img good.img

done_testing
