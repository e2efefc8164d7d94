#!/usr/bin/env bash
# Integration: `evc app import` and `evc app list` against a real store.
# - evc init, device add; the seed's example manifest (docs/examples/
#   vm-manifest.json) imported with a real image file: config get --json
#   shows the app, its volume, its content tree (SHA-256 and size of the
#   file) and the datastore; the config hash and version change;
# - --device by serial; a second import reuses the datastore;
# - refused, with the stored config unchanged: no --image file, a bad
#   drvtype (error names the field), an unknown device, a bad datastore URL;
# - app list (text and --json) shows the apps, with the state of a ZInfoApp
#   the store holds for one of them.
set -u
. "$(dirname "$0")/../lib.sh"
EVC=$(realpath "$EV_BUILD/evc")
ROOT_DIR=$(pwd)
MANIFEST=$ROOT_DIR/docs/examples/vm-manifest.json
cd "$EV_TMP"
json_get() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$@"; }

"$EVC" init --dir c >/dev/null 2>&1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout d.key -out d.pem \
	-subj /CN=dev -days 30 2>/dev/null
DEV=$("$EVC" device add --dir c --cert d.pem --serial SN-APP 2>/dev/null)
check "setup: a device" test -n "$DEV"
head -c 300000 /dev/urandom > disk.img
SHA=$(sha256sum < disk.img | cut -d' ' -f1)
IMG=xenial-amd64-docker-20180725

"$EVC" app import --dir c "$MANIFEST" --device "$DEV" --datastore http://127.0.0.1:8099/images \
	--image "$IMG=disk.img" >imp.out 2>imp.err
check "import: the seed's manifest is imported (exit 0)" test $? -eq 0
check "import: says what it added" grep -q "'xenial2intf' added to the config of $DEV: 1 volume(s), 1 content tree(s)" imp.out
"$EVC" config get --dir c "$DEV" --json > cfg.json
"$EVC" config get --dir c "$DEV" > cfg.txt
check "config: one app named xenial2intf" test "$(json_get cfg.json 'd["apps"][0]["displayname"]')" = xenial2intf
check "config: 2 vcpus, 512000 KiB, HVM, VNC" test "$(json_get cfg.json 'str((d["apps"][0]["fixedresources"]["vcpus"], d["apps"][0]["fixedresources"]["memory"], d["apps"][0]["fixedresources"]["virtualizationMode"], d["apps"][0]["fixedresources"]["enableVnc"]))')" = "(2, 512000, 'HVM', True)"
check "config: the app is activated" test "$(json_get cfg.json 'd["apps"][0]["activate"]')" = True
check "config: the content tree has the file's SHA-256 and size" test "$(json_get cfg.json 'd["contentInfo"][0]["sha256"] + " " + d["contentInfo"][0]["maxSizeBytes"]')" = "$SHA 300000"
check "config: the content tree's URL is the imagename" test "$(json_get cfg.json 'd["contentInfo"][0]["URL"]')" = "$IMG"
check "config: the datastore is DsHttp 127.0.0.1:8099 images" test "$(json_get cfg.json 'd["datastores"][0]["dType"] + " " + d["datastores"][0]["fqdn"] + " " + d["datastores"][0]["dpath"]')" = "DsHttp 127.0.0.1:8099 images"
check "config: the volume downloads that content, maxsize in bytes" test "$(json_get cfg.json 'd["volumes"][0]["origin"]["downloadContentTreeID"] == d["contentInfo"][0]["uuid"] and d["volumes"][0]["maxsizebytes"] == str(1195376 * 1024)')" = True
check "config: the app refers to the volume" test "$(json_get cfg.json 'd["apps"][0]["volumeRefList"][0]["uuid"] == d["volumes"][0]["uuid"]')" = True
check "config: the ACLs of both interfaces" test "$(json_get cfg.json '[i["acls"][0]["matches"][0]["value"] for i in d["apps"][0]["interfaces"]]')" = "['amazonaws.com', '0.0.0.0/0']"
HASH1=$(awk '/^hash/ {print $2}' cfg.txt)

# refused imports leave the config as it was
sed 's/"drvtype": "HDD"/"drvtype": "FLOPPY"/; s/"xenial2intf"/"other"/' "$MANIFEST" > bad.json
"$EVC" app import --dir c bad.json --device "$DEV" --datastore http://127.0.0.1:8099/images \
	--image "$IMG=disk.img" >bad.out 2>bad.err
check "refused: a bad drvtype (exit 1)" test $? -eq 1
check "refused: the error names the field" grep -q "bad.json: images\[0\].drvtype: 'FLOPPY' is not a drive type: one of HDD, CDROM, HDD_EMPTY" bad.err
sed 's/"xenial2intf"/"other"/' "$MANIFEST" > other.json
"$EVC" app import --dir c other.json --device SN-APP --datastore http://127.0.0.1:8099/images >nofile.out 2>nofile.err
check "refused: no --image file, so no SHA-256" grep -q "no local file for '$IMG'" nofile.err
"$EVC" app import --dir c other.json --device SN-NONE --datastore http://127.0.0.1:8099/images \
	--image "$IMG=disk.img" >nodev.out 2>nodev.err
check "refused: an unknown device" grep -q "no device with this UUID or serial" nodev.err
"$EVC" app import --dir c other.json --device SN-APP --datastore ftp://x/y --image "$IMG=disk.img" >nods.out 2>nods.err
check "refused: an ftp datastore" grep -q "not an http:// or https:// URL" nods.err
"$EVC" app import --dir c other.json --device SN-APP --datastore http://127.0.0.1:8099/images \
	--image "$IMG=missing.img" >nofile2.out 2>nofile2.err
check "refused: a missing image file" grep -q "missing.img: No such file" nofile2.err
"$EVC" app import --dir c "$MANIFEST" --device SN-APP --datastore http://127.0.0.1:8099/images \
	--image "$IMG=disk.img" >dup.out 2>dup.err
check "refused: the same app name twice" grep -q "an app named 'xenial2intf' is already in the config" dup.err
check "refused imports left the config as it was" test "$("$EVC" config get --dir c "$DEV" | awk '/^hash/ {print $2}')" = "$HASH1"

# by serial, and the datastore is shared
"$EVC" app import --dir c other.json --device SN-APP --datastore http://127.0.0.1:8099/images/ \
	--image "$IMG=disk.img" >imp2.out 2>imp2.err
check "import by serial: exit 0, the datastore reused" grep -q "(already there)" imp2.out
"$EVC" config get --dir c "$DEV" --json > cfg2.json
check "config: two apps, one datastore, two volumes" test "$(json_get cfg2.json 'str((len(d["apps"]), len(d["datastores"]), len(d["volumes"])))')" = "(2, 1, 2)"
check "config: a new hash" test "$("$EVC" config get --dir c "$DEV" | awk '/^hash/ {print $2}')" != "$HASH1"

# app list, with a ZInfoApp for the first app in the store
APP1=$(json_get cfg2.json 'd["apps"][0]["uuidandversion"]["uuid"]')
/usr/bin/python3 - "$ROOT_DIR" "$APP1" "$DEV" c/evc.db <<'PY'
import sqlite3, subprocess, sys
root, app, dev, db = sys.argv[1:]
txt = 'ztype: ZiApp devId: "%s" ainfo { AppID: "%s" AppName: "xenial2intf" state: RUNNING }' % (dev, app)
pb = subprocess.run(["protoc", "--encode=org.lfedge.eve.info.ZInfoMsg", "--proto_path=" + root + "/proto",
                     "--proto_path=/usr/include", "info/info.proto"], input=txt.encode(),
                    capture_output=True, check=True).stdout
open("info.pb", "wb").write(pb)
# stored as `evc serve` stores a received ZInfoMsg (store_record_add: kind 0 = info)
con = sqlite3.connect(db)
con.execute("INSERT INTO record(uuid, kind, at, data) VALUES(?, 0, 1795600000, ?)", (dev, pb))
con.commit()
PY
check "setup: a ZInfoApp in the store" test -s info.pb
"$EVC" app list --dir c --device "$DEV" > list.txt 2>list.err
check "app list: exit 0, both apps" bash -c "grep -q xenial2intf list.txt && grep -q ' other ' list.txt"
check "app list: the first is RUNNING, the second never reported" bash -c \
	"grep xenial2intf list.txt | grep -q RUNNING && grep ' other ' list.txt | grep -q never"
"$EVC" app list --dir c --device SN-APP --json > list.json
check "app list --json: names and states" test "$(json_get list.json 'str([(a["name"], a["state"]) for a in d])')" = "[('xenial2intf', 'RUNNING'), ('other', None)]"
done_testing
