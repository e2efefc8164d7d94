#!/usr/bin/env bash
# Integration: tests/guest/mkguest.sh, the test guest the app tests boot.
# - it builds a raw image (and a qcow2 one) without root or loop mounts; two
#   builds from scratch give the same bytes; the cache is reused;
# - the raw image boots under QEMU/TCG from virtio-blk (SeaBIOS + syslinux)
#   and prints the marker on ttyS0 (bound: 240 s, functional, not a timing
#   assert; the time is printed as a diagnostic);
# - a line written to the guest's ttyS1 comes back (the COM passthrough echo);
# - QMP quit stops it.
set -u
. "$(dirname "$0")/../lib.sh"
MKGUEST=$(realpath "$(dirname "$0")/../guest/mkguest.sh")
cd "$EV_TMP"

MARK=EVTEST-$$
EV_GUEST_CACHE=$EV_TMP/c1 "$MKGUEST" g.img --marker "$MARK" 2>mk.err
check "mkguest: builds a raw image" test -s g.img
check "mkguest: a FAT file system with the kernel, initramfs and syslinux.cfg" bash -c \
	"MTOOLS_SKIP_CHECK=1 mdir -a -i g.img ::/ > dir.txt && grep -q vmlinuz dir.txt && grep -qi 'initrd *gz' dir.txt && grep -qi 'ldlinux *sys' dir.txt"
check "mkguest: the boot sector is syslinux's" bash -c "head -c 512 g.img | grep -aq SYSLINUX"
EV_GUEST_CACHE=$EV_TMP/c2 "$MKGUEST" g2.img --marker "$MARK" 2>>mk.err
check "mkguest: two builds from scratch give the same bytes" cmp -s g.img g2.img
t0=$(stat -c %Y c1/guest-*.img)
EV_GUEST_CACHE=$EV_TMP/c1 "$MKGUEST" g3.img --marker "$MARK" --qcow2 2>>mk.err
check "mkguest: --qcow2 writes qcow2" bash -c "qemu-img info --output=json g3.img | grep -q '\"format\": \"qcow2\"'"
check "mkguest: the qcow2 holds the same disk" qemu-img compare -q -f raw -F qcow2 g.img g3.img
check "mkguest: the cache is reused (one cached image)" test "$(ls c1/guest-*.img | wc -l)" = 1 -a "$(stat -c %Y c1/guest-*.img)" = "$t0"
EV_GUEST_CACHE=$EV_TMP/c1 "$MKGUEST" bad.img --marker 'a b' 2>bad.err
check "mkguest: a marker with a space is refused (exit 2)" test $? -eq 2

# --modules / --pci-stub: the modules go into the initramfs in load order
EV_GUEST_CACHE=$EV_TMP/c1 "$MKGUEST" p.img --marker "$MARK" --modules xen-pcifront \
	--pci-stub 1234:11e8 --kernel-dir pk 2>>mk.err
mkdir -p pi && (cd pi && zcat ../pk/initrd.gz | cpio -id --quiet 2>/dev/null)
check "mkguest --modules: xen-pcifront then pci-stub in the initramfs, numbered in load order" \
	bash -c "[ \"\$(ls pi/lib/modules | tr '\n' ' ')\" = '01-xen-pcifront.ko 02-pci-stub.ko ' ]"
check "mkguest --pci-stub: /init binds 1234:11e8 to pci-stub and prints PCI lines" \
	bash -c "grep -q 'echo \"1234 11e8\" > /sys/bus/pci/drivers/pci-stub/new_id' pi/init && grep -q 'driver=' pi/init"
EV_GUEST_CACHE=$EV_TMP/c1 "$MKGUEST" bad.img --pci-stub 1234:XYZ 2>bad.err
check "mkguest: --pci-stub with a bad id is refused (exit 2)" test $? -eq 2
EV_GUEST_CACHE=$EV_TMP/c1 "$MKGUEST" bad.img --modules no-such-module 2>bad.err
check "mkguest: an unknown module is refused, naming it" grep -q "module no-such-module is not in" bad.err

start=$SECONDS
qemu-system-x86_64 -accel tcg -m 256 -display none -no-reboot \
	-drive file=g.img,format=raw,if=virtio \
	-serial file:console.log -serial unix:com1.sock,server=on,wait=off \
	-qmp unix:qmp.sock,server=on,wait=off >qemu.out 2>&1 &
QPID=$!
at_exit "kill $QPID 2>/dev/null; wait $QPID 2>/dev/null"
if wait_for 240 grep -q "$MARK 0" console.log; then
	ok "guest: boots from virtio-blk under TCG and prints the marker"
	echo "# boot to marker under TCG: $((SECONDS - start)) s"
else
	not_ok "guest: boots from virtio-blk under TCG and prints the marker" "$(tail -c 400 console.log)"
fi
check "guest: the marker repeats" wait_for 30 grep -q "$MARK 2" console.log
/usr/bin/python3 - com1.sock > com.out 2>&1 <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(1)
got = b""; end = time.time() + 60
while time.time() < end and b"ping-1234" not in got:
    s.sendall(b"ping-1234\n")
    try:
        got += s.recv(4096)
    except socket.timeout:
        pass
print(got.decode(errors="replace"))
sys.exit(0 if b"ping-1234" in got else 1)
PY
check "guest: a line sent to ttyS1 comes back" test $? -eq 0
/usr/bin/python3 - qmp.sock > qmp.out 2>&1 <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
f.readline()
for cmd in ({"execute": "qmp_capabilities"}, {"execute": "quit"}):
    f.write(json.dumps(cmd) + "\n"); f.flush(); print(f.readline().strip())
PY
check "guest: QMP quit stops it" wait_for 30 bash -c "! kill -0 $QPID"
done_testing
