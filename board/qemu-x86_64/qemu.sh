#!/usr/bin/env bash
# board/qemu-x86_64/qemu.sh: boots an Edgevisor disk image on the QEMU board,
# through the firmware path a real device takes (OVMF -> the ESP's
# \EFI\BOOT\BOOTX64.EFI).  The machine:
#   q35 with the emulated Intel IOMMU (intremap: Xen's VT-d, PCI passthrough),
#   OVMF (CODE read-only pflash + a private copy of VARS), -cpu max,-smap
#   (plain `max` crashes a PV dom0 under TCG), 1 GiB, 2 vCPUs,
#   00:03.0 eth0  virtio-net on QEMU user networking (the host is 10.0.2.2),
#   00:04.0 the spare "fieldbus" card (QEMU's edu device, 1234:11e8),
#   00:05.0 a USB controller (qemu-xhci, a dedicated adapter),
#   00:06.0 the disk (virtio-blk, the only boot device),
#   an i6300esb watchdog, the serial console (COM1) on stdout or a file.
# The PCI addresses are the board's device model: board/qemu-x86_64/io.json.
# KVM when /dev/kvm works, TCG otherwise (single-threaded: see README.md).
#
#   qemu.sh DISK [--serial FILE] [--serial-sock PATH] [--monitor PATH]
#               [--pidfile FILE] [--vars FILE] [--mem MIB]
#               [--timeout SECONDS] [--net user|none|tap:IFNAME] [--daemonize]
# --net tap:IFNAME puts eth0 on an existing tap interface (a test network in
# a namespace) instead of QEMU's user networking.
# The VARS copy defaults to DISK.vars (made once from OVMF_VARS.fd).
# --serial-sock PATH: the serial line is also a unix socket (input too: Xen's
# debug keys after three Ctrl-A, the device's debug console when enabled);
# its output still goes to --serial FILE.  --monitor PATH: QEMU's monitor on
# a unix socket (info registers, sendkey) for debugging a hung system.
set -euo pipefail
usage() { echo "usage: qemu.sh DISK [--serial FILE] [--pidfile FILE] [--vars FILE] [--mem MIB] [--timeout S] [--net user|none|tap:IF] [--daemonize]" >&2; exit 2; }
DISK="" SERIAL="" SSOCK="" MONITOR="" PIDFILE="" VARS="" MEM=1024 TMO=0 NET=user DAEMON=0
while [ $# -gt 0 ]; do
	case $1 in
	--serial) SERIAL=$2; shift 2 ;;
	--serial-sock) SSOCK=$2; shift 2 ;;
	--monitor) MONITOR=$2; shift 2 ;;
	--pidfile) PIDFILE=$2; shift 2 ;;
	--vars) VARS=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--timeout) TMO=$2; shift 2 ;;
	--net) NET=$2; shift 2 ;;
	--daemonize) DAEMON=1; shift ;;
	-*) usage ;;
	*) [ -z "$DISK" ] || usage; DISK=$1; shift ;;
	esac
done
[ -r "$DISK" ] || { echo "qemu.sh: disk image '$DISK' is not readable" >&2; exit 1; }
CODE=/usr/share/OVMF/OVMF_CODE.fd
[ -r "$CODE" ] || { echo "qemu.sh: $CODE missing (install ovmf)" >&2; exit 1; }
VARS=${VARS:-$DISK.vars}
[ -s "$VARS" ] || cp /usr/share/OVMF/OVMF_VARS.fd "$VARS"
ACCEL=tcg,thread=single CPU=max,-smap
if [ -w /dev/kvm ] && grep -qE 'vmx|svm' /proc/cpuinfo; then ACCEL=kvm CPU=host; fi
args=(-machine q35 -accel "$ACCEL" -cpu "$CPU" -m "$MEM" -smp 2
	-device intel-iommu,intremap=on
	-nographic -vga none -no-reboot
	-drive if=pflash,format=raw,readonly=on,file="$CODE"
	-drive if=pflash,format=raw,file="$VARS"
	-drive if=none,id=disk0,format=raw,file="$DISK",cache=unsafe
	-device virtio-blk-pci,drive=disk0,addr=06.0,bootindex=0
	-device qemu-xhci,addr=05.0
	-device edu,addr=04.0
	-device i6300esb -action watchdog=reset)
if [ "$NET" = user ]; then
	args+=(-netdev user,id=eth0 -device virtio-net-pci,netdev=eth0,addr=03.0,romfile=)
elif [ "${NET#tap:}" != "$NET" ]; then
	args+=(-netdev "tap,id=eth0,ifname=${NET#tap:},script=no,downscript=no"
		-device virtio-net-pci,netdev=eth0,addr=03.0,romfile=)
else
	args+=(-nic none)
fi
if [ -n "$SSOCK" ]; then
	[ -n "$SERIAL" ] || { echo "qemu.sh: --serial-sock needs --serial FILE (the log)" >&2; exit 2; }
	args+=(-chardev "socket,id=ser0,path=$SSOCK,server=on,wait=off,logfile=$SERIAL" -serial chardev:ser0)
elif [ -n "$SERIAL" ]; then args+=(-serial "file:$SERIAL"); else args+=(-serial stdio); fi
if [ -n "$MONITOR" ]; then args+=(-monitor "unix:$MONITOR,server=on,wait=off"); else args+=(-monitor none); fi
[ -n "$PIDFILE" ] && args+=(-pidfile "$PIDFILE")
if [ "$DAEMON" = 1 ]; then
	[ -n "$SERIAL" ] || { echo "qemu.sh: --daemonize needs --serial" >&2; exit 2; }
	args+=(-daemonize)
fi
if [ "$TMO" != 0 ]; then exec timeout "$TMO" qemu-system-x86_64 "${args[@]}" </dev/null; fi
exec qemu-system-x86_64 "${args[@]}" </dev/null
