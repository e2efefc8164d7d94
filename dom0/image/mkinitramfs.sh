#!/usr/bin/env bash
# mkinitramfs.sh BUILD_DIR OUT.cpio.gz [BOARD]
#
# dom0's initramfs from dom0/image/initramfs.manifest: /init = BUILD_DIR/eved
# (stripped), Xen's daemons, their libraries, the kernel modules of the
# installed Debian kernel (dependencies resolved here, loaded by eved in the
# order of /lib/modules/modules.order.edgevisor) and board/BOARD's files.
# No shell, no busybox.  Fails, naming the file, when
#   - a listed source is missing,
#   - an ELF of the image needs a library the manifest does not list,
#   - a module needs a module the manifest does not list (or lists after it),
#   - the assembled tree differs from the manifest in any other way.
# Environment: EV_MANIFEST (another manifest), EV_KVER (the kernel version;
# default: the one linux-image-amd64 depends on), EV_COMPRESS=gzip|xz.
set -euo pipefail

die() { echo "mkinitramfs: $*" >&2; exit 1; }
[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: mkinitramfs.sh BUILD_DIR OUT.cpio.gz [BOARD]"
BUILD=$1 OUT=$2 BOARD=${3:-qemu-x86_64}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
MANIFEST=${EV_MANIFEST:-$HERE/initramfs.manifest}
MULTIARCH=/lib/x86_64-linux-gnu
BOARD_DIR=$TOP/board/$BOARD

[ -f "$MANIFEST" ] || die "no manifest $MANIFEST"
[ -x "$BUILD/eved" ] || die "$BUILD/eved is missing: build it first (make build-all)"
[ -d "$BOARD_DIR" ] || die "no board folder $BOARD_DIR"

# The kernel: the version the installed linux-image-amd64 package depends on.
kver() {
	local dep
	dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null) ||
		die "linux-image-amd64 is not installed"
	dep=${dep%% *}
	echo "${dep#linux-image-}"
}
KV=${EV_KVER:-$(kver)}
[ -f "/lib/modules/$KV/modules.dep" ] || die "no modules for kernel $KV in /lib/modules/$KV"
XEN=$(ls -d /usr/lib/xen-[0-9]* 2>/dev/null | sort -V | tail -n 1)
[ -n "$XEN" ] || die "no Xen tools (/usr/lib/xen-*): install xen-utils"

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/mkinitramfs.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
ROOT=$STAGE/root
mkdir -p "$ROOT"
EXPECTED=$STAGE/expected      # every path the manifest promises, one a line
MODORDER=/lib/modules/modules.order.edgevisor
: >"$EXPECTED"
declare -A LISTED_MOD=()       # module file name -> its line number
MODS=()

expect() { echo "$1" >>"$EXPECTED"; }
put() {  # put SRC DST: copy a host file (following symlinks)
	[ -e "$1" ] || die "$MANIFEST:$ln: source $1 (for $2) is missing"
	[ -d "$(dirname "$ROOT$2")" ] || die "$MANIFEST:$ln: $2: its folder is not listed before it"
	cp -L "$1" "$ROOT$2"
	expect "$2"
}

ln=0
while IFS= read -r line || [ -n "$line" ]; do
	ln=$((ln + 1))
	line=${line%%#*}
	read -r kind a b rest <<<"$line" || true
	[ -z "${kind:-}" ] && continue
	[ -z "${rest:-}" ] || die "$MANIFEST:$ln: too many fields"
	a=${a//@XEN@/$XEN}
	b=${b//@XEN@/$XEN}
	case $kind in
	dir)
		[ -n "$a" ] && [ -z "$b" ] || die "$MANIFEST:$ln: dir PATH"
		mkdir -p "$ROOT$a"
		expect "$a" ;;
	link)
		[ -n "$b" ] || die "$MANIFEST:$ln: link PATH TARGET"
		ln -s "$b" "$ROOT$a"
		expect "$a" ;;
	eved)
		strip -o "$ROOT$a" "$BUILD/eved"
		expect "$a" ;;
	file)
		if [ "$a" = "${XEN}/bin/${a##*/}" ]; then   # the Xen tools' folders
			mkdir -p "$ROOT$XEN/bin"
			grep -qx "$XEN" "$EXPECTED" || { expect "$XEN"; expect "$XEN/bin"; }
		fi
		put "${b:-$a}" "$a" ;;
	lib)
		[ -n "$a" ] && [ -z "$b" ] || die "$MANIFEST:$ln: lib NAME"
		put "$MULTIARCH/$a" "$MULTIARCH/$a" ;;
	board)
		put "$BOARD_DIR/$b" "$a" ;;
	module)
		[ -z "$b" ] || die "$MANIFEST:$ln: module NAME"
		deps=$(modprobe -S "$KV" --show-depends "$a" 2>&1) ||
			die "$MANIFEST:$ln: module $a: $deps"
		grep -q '^builtin ' <<<"$deps" && grep -q "^builtin ${a//-/[-_]} *$" <<<"$deps" &&
			die "$MANIFEST:$ln: module $a is built into kernel $KV: remove it from the manifest"
		self=$(grep '^insmod ' <<<"$deps" | tail -n 1 | awk '{print $2}')
		[ -n "$self" ] || die "$MANIFEST:$ln: module $a: no module file for kernel $KV"
		# every dependency must already be listed (and so loaded before it)
		while read -r _ path _; do
			f=${path##*/}
			[ "$path" = "$self" ] && continue
			[ -n "${LISTED_MOD[$f]:-}" ] ||
				die "module ${f%.ko} (needed by $a) is not in the manifest before it:" \
				    "add 'module ${f%.ko}' above line $ln of $MANIFEST"
		done < <(grep '^insmod ' <<<"$deps")
		f=${self##*/}
		[ -z "${LISTED_MOD[$f]:-}" ] || die "$MANIFEST:$ln: module $a listed twice"
		LISTED_MOD[$f]=$ln
		put "$self" "/lib/modules/$f"
		MODS+=("/lib/modules/$f") ;;
	*)
		die "$MANIFEST:$ln: unknown kind '$kind'" ;;
	esac
done <"$MANIFEST"

if [ ${#MODS[@]} -gt 0 ]; then
	[ -d "$ROOT/lib/modules" ] || die "modules listed but not the folder /lib/modules"
	printf '%s\n' "${MODS[@]}" >"$ROOT$MODORDER"
	expect "$MODORDER"
fi

# Every ELF's libraries must be in the image (and so in the manifest).
interp=/lib64/ld-linux-x86-64.so.2
while IFS= read -r -d '' f; do
	head -c 4 "$f" | grep -q $'^\x7fELF' || continue
	rel=${f#"$ROOT"}
	[[ $rel == /lib/modules/* ]] && continue
	for need in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ "$need" = "${interp##*/}" ] && need=$interp
		[[ $need == /* ]] || need=$MULTIARCH/$need
		[ -e "$ROOT$need" ] ||
			die "$rel needs $need, which the manifest does not list: add 'lib ${need##*/}' to $MANIFEST"
	done
done < <(find "$ROOT" -type f -print0)

# The tree is exactly the manifest.
(cd "$ROOT" && find . -mindepth 1 | sed 's|^\.||' | sort) >"$STAGE/actual"
sort -u "$EXPECTED" >"$STAGE/expected.sorted"
extra=$(comm -23 "$STAGE/actual" "$STAGE/expected.sorted")
missing=$(comm -13 "$STAGE/actual" "$STAGE/expected.sorted")
[ -z "$extra" ] || die "the image holds what the manifest does not list: $(echo $extra)"
[ -z "$missing" ] || die "the manifest lists what the image lacks: $(echo $missing)"
for bad in /bin/sh /bin/busybox /usr/bin/busybox /sbin/getty; do
	[ ! -e "$ROOT$bad" ] || die "$bad must not be in the image"
done

case ${EV_COMPRESS:-gzip} in
gzip) comp=(gzip -9 -n) ;;
xz) comp=(xz --check=crc32 -9) ;;
*) die "EV_COMPRESS: '$EV_COMPRESS' is not gzip or xz" ;;
esac
mkdir -p "$(dirname "$OUT")"
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet | "${comp[@]}") >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
n=$(wc -l <"$STAGE/actual")
echo "mkinitramfs: $OUT: $n entries, ${#MODS[@]} modules (kernel $KV)," \
	"$(du -sk "$ROOT" | cut -f1) KiB unpacked, $(stat -c %s "$OUT") bytes compressed (${comp[0]})"
