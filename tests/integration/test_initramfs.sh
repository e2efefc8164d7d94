#!/usr/bin/env bash
# Integration: dom0/image/mkinitramfs.sh builds exactly the manifest.
# - the cpio's entries equal the manifest's, one for one;
# - no shell, no busybox; /init is eved (stripped);
# - every ELF's libraries are inside, and the ld.so;
# - the module load list names every module file, dependencies first;
# - a new library dependency (an /init that needs libsqlite3) fails the build
#   naming the library; a listed source that is missing fails naming it.
set -u
. "$(dirname "$0")/../lib.sh"

MK=dom0/image/mkinitramfs.sh
MAN=dom0/image/initramfs.manifest
OUT=$EV_TMP/initrd.gz
X=$EV_TMP/x

if "$MK" "$EV_BUILD" "$OUT" >"$EV_TMP/mk.log" 2>&1; then
	ok "mkinitramfs builds ($(tail -n 1 "$EV_TMP/mk.log"))"
else
	not_ok "mkinitramfs builds" "$(tail -n 5 "$EV_TMP/mk.log")"
fi
mkdir -p "$X"
(cd "$X" && zcat "$OUT" | cpio -id --quiet) 2>/dev/null
zcat "$OUT" | cpio -t --quiet 2>/dev/null | sed 's|^|/|' | sort >"$EV_TMP/listed.cpio"

# What the manifest promises, computed independently of the builder.
KV=$(dpkg-query -W -f='${Depends}' linux-image-amd64 | sed 's/^linux-image-\([^ ]*\).*/\1/')
XEN=$(ls -d /usr/lib/xen-[0-9]* | sort -V | tail -n 1)
sed 's/#.*//' "$MAN" | while read -r kind a b; do
	a=${a//@XEN@/$XEN}
	case $kind in
	dir | link | eved | file | board) echo "$a" ;;
	lib) echo "/lib/x86_64-linux-gnu/$a" ;;
	module) modprobe -S "$KV" --show-depends "$a" | tail -n 1 | awk '{print $2}' |
		sed 's|.*/|/lib/modules/|' ;;
	esac
done >"$EV_TMP/promised"
if grep -q '^file  *@XEN@' "$MAN"; then echo "$XEN" >>"$EV_TMP/promised"; echo "$XEN/bin" >>"$EV_TMP/promised"; fi
echo /lib/modules/modules.order.edgevisor >>"$EV_TMP/promised"
sort -u "$EV_TMP/promised" -o "$EV_TMP/promised"
d=$(diff "$EV_TMP/promised" "$EV_TMP/listed.cpio")
if [ -z "$d" ]; then ok "the cpio holds exactly the manifest ($(wc -l <"$EV_TMP/listed.cpio") entries)"
else not_ok "the cpio holds exactly the manifest" "$d"; fi

check "no /bin/sh in the image" test ! -e "$X/bin/sh"
check "no busybox anywhere in the image" test -z "$(find "$X" -iname '*busybox*')"
check "no shell of any name (sh, bash, dash, ash)" \
	test -z "$(find "$X" \( -name sh -o -name bash -o -name dash -o -name ash \))"
check "/init is eved, stripped" bash -c "strip -o '$EV_TMP/eved.s' '$EV_BUILD/eved' && cmp -s '$EV_TMP/eved.s' '$X/init'"
check "/init has no symbol table" bash -c "! readelf -S '$X/init' | grep -q '\.symtab'"

missing=""
nelf=0
while IFS= read -r -d '' f; do
	head -c 4 "$f" | grep -q $'^\x7fELF' || continue
	[[ $f == */lib/modules/* ]] && continue
	nelf=$((nelf + 1))
	for need in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		# ld.so is loaded already: it satisfies its soname from /lib64
		[ "$need" = ld-linux-x86-64.so.2 ] && [ -e "$X/lib64/$need" ] && continue
		[ -e "$X/lib/x86_64-linux-gnu/$need" ] || missing="$missing ${f#"$X"}:$need"
	done
	interp=$(readelf -l "$f" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
	[ -z "$interp" ] || [ -e "$X$interp" ] || missing="$missing ${f#"$X"}:$interp"
done < <(find "$X" -type f -print0)
if [ -z "$missing" ] && [ "$nelf" -ge 10 ]; then ok "every ELF's libraries are inside ($nelf ELF files)"
else not_ok "every ELF's libraries are inside ($nelf ELF files)" "missing:$missing"; fi
check "libgcc_s.so.1 (dlopened by glibc) is inside" test -f "$X/lib/x86_64-linux-gnu/libgcc_s.so.1"
for t in xenstored xenconsoled xen-init-dom0; do
	check "Xen's $t is inside" test -x "$X$XEN/bin/$t"
done
check "no xl (eved uses libxl itself)" test -z "$(find "$X" -name xl)"

order=$X/lib/modules/modules.order.edgevisor
nko=$(find "$X/lib/modules" -name '*.ko' | wc -l)
if [ "$(sort "$order" | tr '\n' ' ')" = "$(find "$X/lib/modules" -name '*.ko' | sed "s|^$X||" | sort | tr '\n' ' ')" ] &&
	[ "$nko" -ge 20 ]; then
	ok "the load list names every module file ($nko)"
else
	not_ok "the load list names every module file" "$(cat "$order")"
fi
# dependencies first: each module's dependencies (modules.dep) come earlier
bad=""
n=0
while read -r p; do
	n=$((n + 1))
	name=${p##*/}
	for dep in $(modprobe -S "$KV" --show-depends "${name%.ko}" | awk '{print $2}' | sed 's|.*/||'); do
		[ "$dep" = "$name" ] && continue
		pos=$(grep -n "/$dep\$" "$order" | cut -d: -f1)
		[ -n "$pos" ] && [ "$pos" -lt "$n" ] || bad="$bad $name<-$dep"
	done
done <"$order"
check "every module's dependencies load before it${bad:+ (bad:$bad)}" test -z "$bad"

# --- failures: a copy of the sources with a new library dependency
B2=$EV_TMP/build2
mkdir -p "$B2"
printf '#include <sqlite3.h>\nint main(void) { return sqlite3_libversion_number() == 0; }\n' >"$EV_TMP/new.c"
gcc -o "$B2/eved" "$EV_TMP/new.c" -lsqlite3
if "$MK" "$B2" "$EV_TMP/bad.gz" >"$EV_TMP/bad.log" 2>&1; then
	not_ok "an /init needing an unlisted library fails the build" "it built"
else
	check "an /init needing an unlisted library fails the build, naming it" \
		grep -q 'needs /lib/x86_64-linux-gnu/libsqlite3.so.0, which the manifest does not list' "$EV_TMP/bad.log"
fi
check "a failed build leaves no output" test ! -e "$EV_TMP/bad.gz"

# --- a manifest listing a source that is missing
sed 's|^lib    libc.so.6|lib    libc.so.6\nlib    libedgevisor-nonexistent.so.9|' "$MAN" >"$EV_TMP/m2"
if EV_MANIFEST=$EV_TMP/m2 "$MK" "$EV_BUILD" "$EV_TMP/bad2.gz" >"$EV_TMP/bad2.log" 2>&1; then
	not_ok "a listed source that is missing fails the build" "it built"
else
	check "a listed source that is missing fails the build, naming it" \
		grep -q 'libedgevisor-nonexistent.so.9.*is missing' "$EV_TMP/bad2.log"
fi
# --- a module whose dependency is not listed
grep -v '^module jbd2' "$MAN" >"$EV_TMP/m3"
if EV_MANIFEST=$EV_TMP/m3 "$MK" "$EV_BUILD" "$EV_TMP/bad3.gz" >"$EV_TMP/bad3.log" 2>&1; then
	not_ok "a module's unlisted dependency fails the build" "it built"
else
	check "a module's unlisted dependency fails the build, naming it" \
		grep -q 'module jbd2 (needed by ext4) is not in the manifest' "$EV_TMP/bad3.log"
fi

done_testing
