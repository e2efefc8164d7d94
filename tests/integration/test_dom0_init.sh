#!/usr/bin/env bash
# Integration: eved as dom0's /init, without Xen.  The Debian kernel boots
# our initramfs under QEMU (TCG) with a disk from mkdisk.sh (virtio-blk):
# - eved is PID 1, loads the modules (Xen's are skipped: no Xen), mounts
#   CONFIG (read-only) and PERSIST by GPT partition name, reads
#   edgevisor.slot, starts no Xen daemon, and every role says hello;
# - ctrl-alt-del (QEMU's sendkey: the kernel sends SIGINT to PID 1) stops
#   the roles, unmounts /persist and reboots: QEMU (-no-reboot) exits by
#   itself -- the clean shutdown path, end to end;
# - the device certificate eved writes under /persist survives a second
#   boot of the same disk, unchanged, and is not made again;
# - with PERSIST's superblock wiped, a tmpfs stands in (logged loudly) and
#   every role still comes up;
# - under Xen (QEMU -kernel xen, multiboot; the firmware path is the system
#   tier's): every module loads, xenstored, xen-init-dom0 and xenconsoled
#   run, the apps role opens libxl, and ctrl-alt-del still stops it cleanly.
# Every QEMU run is bounded by timeout and killed at exit.
set -u
. "$(dirname "$0")/../lib.sh"

KV=$(dpkg-query -W -f='${Depends}' linux-image-amd64 | sed 's/^linux-image-\([^ ]*\).*/\1/')
VMLINUZ=/boot/vmlinuz-$KV
XENEFI=$(ls /boot/xen-*.efi | sort -V | tail -n 1)
INITRD=$EV_TMP/initrd.gz
DISK=$EV_TMP/disk.img
ROLES="evc download identity apps net baseos console"

dom0/image/mkinitramfs.sh "$EV_BUILD" "$INITRD" >"$EV_TMP/mk.log" 2>&1 ||
	{ not_ok "initramfs builds" "$(tail -n 3 "$EV_TMP/mk.log")"; done_testing; exit; }
mkdir -p "$EV_TMP/config"
echo "DOM0-INIT-TEST" >"$EV_TMP/config/soft_serial"
echo "console=com1" >"$EV_TMP/xen.cmdline"
echo "console=hvc0" >"$EV_TMP/dom0.cmdline"
if dom0/image/mkdisk.sh "$DISK" --xen-as-bootx64 --xen "$XENEFI" \
	--kernel "$VMLINUZ" --initrd "$INITRD" --xen-cmdline "$EV_TMP/xen.cmdline" \
	--dom0-cmdline "$EV_TMP/dom0.cmdline" --config "$EV_TMP/config" --size 384M \
	>"$EV_TMP/disk.log" 2>&1; then
	ok "mkdisk builds the disk"
else
	not_ok "mkdisk builds the disk" "$(tail -n 5 "$EV_TMP/disk.log")"
	done_testing; exit
fi
P5=$(sgdisk -i 5 "$DISK" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')

QPID=
qemu_kill() { [ -n "$QPID" ] && kill -KILL "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; QPID=; }
at_exit qemu_kill
# boot LOG: starts QEMU in the background; $QPID
boot() {
	rm -f "$EV_TMP/mon"
	timeout 180 qemu-system-x86_64 -machine q35 -cpu max,-smap -m 512 -nographic -no-reboot \
		-kernel "$VMLINUZ" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 edgevisor.slot=IMGA edgevisor.future_key=1" \
		-drive file="$DISK",if=virtio,format=raw \
		-monitor unix:"$EV_TMP/mon",server,nowait -serial stdio -display none \
		-nic none </dev/null >"$1" 2>&1 &
	QPID=$!
}
all_up() {
	local r
	for r in $ROLES; do grep -q "eved: $r: up, pid" "$1" || return 1; done
}
ctrl_alt_del() {
	/usr/bin/python3 - "$EV_TMP/mon" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(0.3)
s.sendall(b"sendkey ctrl-alt-delete\n")
time.sleep(0.5)
s.close()
PY
}
qemu_gone() { ! kill -0 "$QPID" 2>/dev/null; }
# persist_cert: the device certificate on the PERSIST partition of the disk
persist_cert() {
	dd if="$DISK" of="$EV_TMP/persist.img" bs=512 skip="$P5" conv=sparse status=none &&
		debugfs -R "cat /certs/device.cert.pem" "$EV_TMP/persist.img" 2>/dev/null
}

# ---- first boot
L1=$EV_TMP/boot1.log
boot "$L1"
if wait_for 170 all_up "$L1"; then ok "first boot: every role said hello"
else not_ok "first boot: every role said hello" "$(grep -a 'eved\|Kernel panic' "$L1" | tail -n 20)"; fi
check "eved is PID 1" grep -aq "eved is PID 1: booting dom0" "$L1"
mods=$(grep -a "eved: .*modules: " "$L1" | sed 's/.*modules: \([0-9]*\) loaded.*/\1/')
check "modules loaded: ${mods:-none} (>= 20), none failed" \
	bash -c "[ '${mods:-0}' -ge 20 ] && grep -aq 'modules: .* 0 failed' '$L1'"
check "Xen's modules skipped (no Xen here), not failed" grep -aq "module xen-evtchn.ko: no such device here" "$L1"
check "CONFIG mounted read-only from its GPT name" grep -aq "CONFIG: /dev/vda4 mounted read-only on /config" "$L1"
check "PERSIST mounted from its GPT name" grep -aq "PERSIST: /dev/vda5 mounted on /persist" "$L1"
check "the kernel command line's slot is read" grep -aq "kernel command line: slot IMGA, unknown edgevisor.\* keys ignored" "$L1"
check "no Xen daemon attempted" bash -c "grep -aq 'no /proc/xen: not a Xen domain' '$L1' && ! grep -aqi 'xenstored\|xenconsoled' '$L1'"
check "the device certificate is made from /config's serial" grep -aq "device certificate written to /persist/certs/device.cert.pem (CN=DOM0-INIT-TEST" "$L1"
check "no role died" bash -c "! grep -aq ': died (' '$L1'"
# the clean stop: ctrl-alt-del -> SIGINT to PID 1 -> roles stopped, reboot
wait_for 5 test -S "$EV_TMP/mon"
ctrl_alt_del
if wait_for 60 qemu_gone; then ok "ctrl-alt-del: eved stops and reboots, QEMU exits by itself"
else not_ok "ctrl-alt-del: eved stops and reboots, QEMU exits by itself" "$(tail -n 10 "$L1")"; fi
qemu_kill
check "every role was stopped cleanly" test "$(grep -ac 'eved: [a-z]*: stopped (exit status 0)' "$L1")" -eq 7
check "/persist was unmounted before the reboot" grep -aq "/persist unmounted" "$L1"
check "no kernel panic (PID 1 never exited)" bash -c "! grep -aq 'Kernel panic' '$L1'"
cert1=$(persist_cert)
check "the device certificate is on the PERSIST partition" grep -q "BEGIN CERTIFICATE" <<<"$cert1"

# ---- second boot of the same disk
L2=$EV_TMP/boot2.log
boot "$L2"
if wait_for 170 all_up "$L2"; then ok "second boot: every role said hello"
else not_ok "second boot: every role said hello" "$(grep -a 'eved' "$L2" | tail -n 20)"; fi
check "second boot: the certificate was kept, not made again" \
	bash -c "! grep -aq 'device certificate written' '$L2'"
ctrl_alt_del
wait_for 60 qemu_gone || true
qemu_kill
cert2=$(persist_cert)
check "the certificate on PERSIST survived the reboot unchanged" \
	test -n "$cert1" -a "$cert1" = "$cert2"

# ---- third boot: PERSIST's superblock wiped; the device must still come up
dd if=/dev/zero of="$DISK" bs=512 seek="$P5" count=8 conv=notrunc status=none
L3=$EV_TMP/boot3.log
boot "$L3"
if wait_for 170 all_up "$L3"; then ok "broken PERSIST: every role still says hello"
else not_ok "broken PERSIST: every role still says hello" "$(grep -a 'eved' "$L3" | tail -n 20)"; fi
check "broken PERSIST: the mount error is logged" grep -aq "PERSIST: mount /dev/vda5 (ext4) on /persist:" "$L3"
check "broken PERSIST: a tmpfs stands in, said loudly" \
	grep -aq "PERSIST: using a tmpfs on /persist instead: NOTHING WRITTEN THERE SURVIVES A REBOOT" "$L3"
ctrl_alt_del
wait_for 60 qemu_gone || true
qemu_kill

# ---- fourth boot: under Xen, on a fresh PERSIST
dom0/image/mkdisk.sh "$DISK" --xen-as-bootx64 --xen "$XENEFI" \
	--kernel "$VMLINUZ" --initrd "$INITRD" --xen-cmdline "$EV_TMP/xen.cmdline" \
	--dom0-cmdline "$EV_TMP/dom0.cmdline" --config "$EV_TMP/config" --size 384M >/dev/null 2>&1
XENGZ=$(ls /boot/xen-*-amd64.gz | sort -V | tail -n 1)
zcat "$XENGZ" >"$EV_TMP/xen"
L4=$EV_TMP/boot4.log
rm -f "$EV_TMP/mon"
# QEMU's -initrd separates multiboot modules with commas (none in these arguments).
timeout 180 qemu-system-x86_64 -machine q35 -cpu max,-smap -m 1024 -smp 2 -nographic -no-reboot \
	-kernel "$EV_TMP/xen" \
	-append "console=com1 com1=115200,8n1 dom0_mem=512M,max:512M dom0_max_vcpus=1 dom0_vcpus_pin noreboot" \
	-initrd "$VMLINUZ console=hvc0 earlyprintk=xen edgevisor.slot=IMGA,$INITRD" \
	-drive file="$DISK",if=virtio,format=raw \
	-monitor unix:"$EV_TMP/mon",server,nowait -serial stdio -display none -nic none \
	</dev/null >"$L4" 2>&1 &
QPID=$!
if wait_for 170 all_up "$L4"; then ok "Xen dom0: every role said hello"
else not_ok "Xen dom0: every role said hello" "$(grep -a 'eved\|(XEN)\|panic' "$L4" | tail -n 20)"; fi
check "Xen dom0: every module loaded" grep -aq "modules: [0-9]* loaded, 0 already present, 0 not for this machine, 0 failed" "$L4"
check "Xen dom0: xenstored started" grep -aq "xenstored: started, pid" "$L4"
check "Xen dom0: xen-init-dom0 done" grep -aq "xen-init-dom0: done" "$L4"
check "Xen dom0: xenconsoled started" grep -aq "xenconsoled: started, pid" "$L4"
check "Xen dom0: the apps role opened the xen backend (libxl)" grep -aq "apps: hypervisor backend: xen" "$L4"
wait_for 5 test -S "$EV_TMP/mon"
ctrl_alt_del
if wait_for 60 qemu_gone; then ok "Xen dom0: ctrl-alt-del stops eved, Xen resets, QEMU exits"
else not_ok "Xen dom0: ctrl-alt-del stops eved, Xen resets, QEMU exits" "$(tail -n 10 "$L4")"; fi
qemu_kill
check "Xen dom0: /persist was unmounted before the reboot" grep -aq "/persist unmounted" "$L4"

done_testing
