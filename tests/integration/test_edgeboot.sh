#!/usr/bin/env bash
# Integration: the boot selector (build/rel/bootloader/BOOTX64.EFI) booted by
# OVMF under QEMU/TCG from a GPT disk built without loop mounts (mkfs.vfat on
# files, mtools, dd).  IMGA and IMGB hold a test payload as \xen.efi that
# prints "EDGEBOOT-PAYLOAD A|B cfg=<first line of its xen.cfg>" and powers off.
# Cases: A active boots A; B updating boots B and tries go down on disk
# (gptctl and cgpt agree) until B runs out and A boots; a corrupt primary GPT
# is repaired and A boots; copies that differ are reconciled, primary first; a slot without \xen.efi gets priority 0 and the
# other boots.  Every QEMU run is bounded by timeout and killed on exit.
set -u
. "$(dirname "$0")/../lib.sh"
B=$(realpath "$EV_BUILD")
GPTCTL=$B/gptctl
IMG_TYPE=5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6
export MTOOLS_SKIP_CHECK=1
cd "$EV_TMP"

# ---- the disk: ESP 8 MiB, IMGA and IMGB 40 MiB FAT32 each
ESP_MB=8 IMG_MB=40
mkfat() { # FILE MB LABEL
	truncate -s "$2M" "$1"
	mkfs.vfat ${4:-} -n "$3" "$1" >/dev/null
}
mkfat esp.fat $ESP_MB EDGEESP
mmd -i esp.fat ::/EFI ::/EFI/BOOT
mcopy -i esp.fat "$B/bootloader/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
for s in A B; do
	mkfat img$s.fat $IMG_MB IMG$s "-F 32"
	mcopy -i img$s.fat "$B/bootloader/payload-$s.efi" ::/xen.efi
	printf 'slot-%s-config\n[global]\n' $s > xen$s.cfg
	mcopy -i img$s.fat xen$s.cfg ::/xen.cfg
done
truncate -s $((ESP_MB + 2 * IMG_MB + 2))M base.img
sgdisk -n 1:2048:+${ESP_MB}M -t 1:ef00 -c 1:ESP \
	-n 2:0:+${IMG_MB}M -t 2:$IMG_TYPE -c 2:IMGA \
	-n 3:0:+${IMG_MB}M -t 3:$IMG_TYPE -c 3:IMGB base.img >/dev/null
put() { # DISK INDEX FATFILE
	local start
	start=$(sgdisk -i "$2" "$1" | awk '/^First sector:/ { print $3 }')
	dd if="$3" of="$1" bs=512 seek="$start" conv=notrunc,sparse status=none
}
put base.img 1 esp.fat
put base.img 2 imgA.fat
put base.img 3 imgB.fat
"$GPTCTL" set base.img IMGA --priority 2 --tries 0 --successful 1 >/dev/null
check "disk: GPT with ESP, IMGA active, IMGB unused" bash -c \
	"'$GPTCTL' show base.img | grep -q '^2 IMGA .* attrs=0x0102000000000000 ' && '$GPTCTL' show base.img | grep -q '^3 IMGB .* attrs=0x0000000000000000 '"

# boot DISK LOG: one boot through OVMF; the payload powers off (-no-reboot)
boot() {
	cp /usr/share/OVMF/OVMF_VARS.fd vars.fd
	timeout 120 qemu-system-x86_64 -machine q35 -cpu max,-smap -m 256 -nographic -no-reboot \
		-monitor none -serial stdio \
		-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd \
		-drive if=pflash,format=raw,file=vars.fd \
		-drive file="$1",format=raw,if=virtio -nic none </dev/null >"$2" 2>&1 &
	local pid=$!
	at_exit "kill $pid 2>/dev/null"
	wait $pid
	tr -d '\r' < "$2" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' > "$2.txt"
}
saw() { grep -q -- "$2" "$1.txt"; }
cgpt_is() { # DISK INDEX PRIO TRIES SUCC
	[ "$(cgpt show -i "$2" -P "$1")" = "$3" ] && [ "$(cgpt show -i "$2" -T "$1")" = "$4" ] &&
		[ "$(cgpt show -i "$2" -S "$1")" = "$5" ]
}
why() { echo "# log $1:"; grep -a -E 'edgeboot|EDGEBOOT' "$1.txt" | sed 's/^/#   /'; }

# ---- 1. A active
cp --sparse=always base.img d1.img
boot d1.img b1.log
if saw b1.log 'EDGEBOOT-PAYLOAD A cfg=slot-A-config'; then ok "A active: A's xen.efi runs and reads its own xen.cfg"
else not_ok "A active: A's xen.efi runs" "$(why b1.log)"; fi
check "  edgeboot's line names the choice and the other slot" saw b1.log \
	'edgeboot: IMGA (priority 2 tries 0 successful 1); IMGB priority 0 tries 0 successful 0'
check "  nothing changed on disk (A is successful)" cmp -s d1.img base.img

# ---- 2. B updating: priority 3, tries 2
cp --sparse=always base.img d2.img
"$GPTCTL" set d2.img IMGB --priority 3 --tries 2 --successful 0 >/dev/null
boot d2.img b2.log
if saw b2.log 'EDGEBOOT-PAYLOAD B cfg=slot-B-config'; then ok "B updating: B boots"
else not_ok "B updating: B boots" "$(why b2.log)"; fi
check "  the line shows tries 2->1" saw b2.log 'edgeboot: IMGB (priority 3 tries 2->1 successful 0); IMGA priority 2 tries 0 successful 1'
check "  on disk: cgpt sees IMGB tries 1" cgpt_is d2.img 3 3 1 0
check "  gptctl agrees and both copies are valid" bash -c \
	"'$GPTCTL' show d2.img 2>err.txt | grep -q '^3 IMGB .* priority=3 tries=1 successful=0' && ! [ -s err.txt ] && sgdisk -v d2.img | grep -q 'No problems found'"
boot d2.img b3.log
check "B again: B boots with its last try" bash -c "grep -q 'EDGEBOOT-PAYLOAD B' b3.log.txt && grep -q 'IMGB (priority 3 tries 1->0' b3.log.txt"
check "  cgpt sees IMGB tries 0" cgpt_is d2.img 3 3 0 0
boot d2.img b4.log
if saw b4.log 'EDGEBOOT-PAYLOAD A cfg=slot-A-config'; then ok "B out of tries (never marked successful): falls back to A"
else not_ok "B out of tries: falls back to A" "$(why b4.log)"; fi
check "  the line says so" saw b4.log 'edgeboot: IMGA (priority 2 tries 0 successful 1); IMGB priority 3 tries 0 successful 0'

# ---- 3. corrupt primary header.  OVMF's partition driver (EDK2 Gpt.c)
# already restores a corrupt copy from the valid one before any EFI program
# runs; edgeboot repairs it itself on firmware that does not.  Either way:
cp --sparse=always base.img d3.img
printf 'XXXXXXXX' | dd of=d3.img bs=1 seek=512 conv=notrunc status=none
boot d3.img b5.log
if saw b5.log 'EDGEBOOT-PAYLOAD A'; then ok "corrupt primary: A boots"
else not_ok "corrupt primary: A boots" "$(why b5.log)"; fi
check "  the primary is repaired (sgdisk -v clean, the disk as built)" bash -c \
	"sgdisk -v d3.img | grep -q 'No problems found' && cmp -s d3.img base.img"

# ---- 3b. both copies valid but different (a commit that stopped after
# the primary): the firmware does not notice; edgeboot takes the primary
# (the newer), rewrites the backup, and boots by the primary's attributes.
cp --sparse=always base.img d5.img
"$GPTCTL" set d5.img IMGB --priority 3 --tries 2 --successful 0 >/dev/null
last=$(( $(stat -c %s d5.img) / 512 - 1 ))
dd if=base.img of=d5.img bs=512 skip=$((last - 32)) seek=$((last - 32)) count=33 conv=notrunc status=none
check "differ: set up (backup holds the old table, both valid)" bash -c \
	"'$GPTCTL' show d5.img 2>&1 | grep -q 'GPT copies differ; using the primary'"
boot d5.img b7.log
check "differ: edgeboot reports it and rewrites the backup from the primary" bash -c \
	"grep -q 'edgeboot: GPT copies differ; repairing it from the primary' b7.log.txt && grep -q 'edgeboot: GPT repaired' b7.log.txt"
if saw b7.log 'EDGEBOOT-PAYLOAD B'; then ok "  the primary wins: B boots"
else not_ok "  the primary wins: B boots" "$(why b7.log)"; fi
check "  both copies now identical, IMGB tries 1 (cgpt)" bash -c \
	"$(declare -f cgpt_is); '$GPTCTL' repair d5.img | grep -q 'valid and identical' && cgpt_is d5.img 3 3 1 0"

# ---- 4. the chosen slot has no \xen.efi
cp --sparse=always base.img d4.img
cp imgB.fat imgB-empty.fat
mdel -i imgB-empty.fat ::/xen.efi
put d4.img 3 imgB-empty.fat
"$GPTCTL" set d4.img IMGB --priority 3 --tries 2 --successful 0 >/dev/null
boot d4.img b6.log
check "missing xen.efi: edgeboot chose IMGB, the load failed, it marked it" bash -c \
	"grep -q 'edgeboot: IMGB (priority 3 tries 2->1' b6.log.txt && grep -q 'edgeboot: IMGB: .xen.efi failed: .*; marking it priority 0' b6.log.txt"
if saw b6.log 'EDGEBOOT-PAYLOAD A'; then ok "  and A boots"
else not_ok "  and A boots" "$(why b6.log)"; fi
check "  on disk: IMGB priority 0 tries 1 (cgpt), IMGA untouched" bash -c \
	"$(declare -f cgpt_is); cgpt_is d4.img 3 0 1 0 && cgpt_is d4.img 2 2 0 1"

# ---- 5. nothing loads: both slots lose their \xen.efi
cp --sparse=always base.img d6.img
cp imgA.fat imgA-empty.fat
mdel -i imgA-empty.fat ::/xen.efi
put d6.img 2 imgA-empty.fat
put d6.img 3 imgB-empty.fat
boot d6.img b8.log
check "nothing bootable: A fails, B tried as the last resort, fails, then a reset" bash -c \
	"grep -q 'edgeboot: IMGA: .xen.efi failed' b8.log.txt && grep -q 'edgeboot: last resort IMGB' b8.log.txt && grep -q 'edgeboot: nothing bootable; resetting in 10 s' b8.log.txt && ! grep -q EDGEBOOT-PAYLOAD b8.log.txt"
check "  both marked priority 0 on disk" bash -c "$(declare -f cgpt_is); cgpt_is d6.img 2 0 0 1 && cgpt_is d6.img 3 0 0 0"

done_testing
