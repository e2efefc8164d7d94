#!/usr/bin/env bash
# Integration: the `evc` controller CLI and `evc serve`, as an operator uses them.
# - init: the PKI files, their modes, `openssl verify` of every certificate,
#   the server's DNS names, device-config/; a second init is refused;
# - onboard add / device add with the tenancy rules (one enterprise per
#   onboarding certificate, one enterprise per serial);
# - device list / show, text and --json;
# - config set (JSON, --binary) / get round trips; a bad JSON names the field
#   and changes nothing;
# - serve over TLS, probed with curl: ping, certs (an AuthContainer that
#   protoc decodes), 404, 400; a v2 device made of openssl + evc_v2.py
#   registers (201, then 200), asks for its uuid and config (replies checked
#   against the signing certificate) and sends info; v1 over mutual TLS;
# - info/metrics/logs of a device; an unknown command exits 2.
set -u
. "$(dirname "$0")/../lib.sh"
EVC=$(realpath "$EV_BUILD/evc")
V2PY="/usr/bin/python3 $(realpath "$(dirname "$0")")/evc_v2.py"
ROOT_DIR=$(pwd)
PROTOC_ARGS="--proto_path=$ROOT_DIR/proto --proto_path=/usr/include"
cd "$EV_TMP"

# evc_run NAME ARGS...: evc with stdout in NAME.out, stderr in NAME.err; sets RC
evc_run() {
	local name=$1; shift
	"$EVC" "$@" >"$name.out" 2>"$name.err"
	RC=$?
}
json_get() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$@"; }
export -f json_get
sha_of() { sha256sum < "$1" | cut -d' ' -f1; }
cert_sha() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
newcert() { # newcert NAME CN: a self-signed P-256 certificate NAME.pem, key NAME.key
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-out "$1.pem" -subj "/CN=$2" -days 30 2>/dev/null
}

# ---- init
C=ctl
evc_run init init --dir $C --name localhost --name evc.example --server evc.example:4443 --enterprise acme
check "init: exits 0" test "$RC" -eq 0
for f in root-certificate.pem server.cert.pem signing.cert.pem onboard.cert.pem evc.db \
	device-config/server device-config/root-certificate.pem device-config/onboard.cert.pem \
	device-config/onboard.key.pem; do
	check "init: $f is there" test -s "$C/$f"
done
check "init: the folder is mode 0700" test "$(stat -c %a $C)" = 700
for k in root server signing onboard; do
	check "init: $k.key.pem is mode 0600" test "$(stat -c %a $C/$k.key.pem)" = 600
done
check "init: device-config/onboard.key.pem is mode 0600" test "$(stat -c %a $C/device-config/onboard.key.pem)" = 600
check "init: certificates are mode 0644" test "$(stat -c %a $C/signing.cert.pem)" = 644
for c in server signing onboard; do
	check "init: openssl verify $c.cert.pem against the root" \
		bash -c "openssl verify -CAfile $C/root-certificate.pem $C/$c.cert.pem | grep -q ': OK'"
done
check "init: the root is a CA" bash -c "openssl x509 -in $C/root-certificate.pem -noout -text | grep -q 'CA:TRUE'"
check "init: server certificate names localhost and evc.example" bash -c \
	"openssl x509 -in $C/server.cert.pem -noout -ext subjectAltName | grep -q 'DNS:localhost, DNS:evc.example'"
check "init: server certificate is for TLS servers" bash -c \
	"openssl x509 -in $C/server.cert.pem -noout -ext extendedKeyUsage | grep -q 'TLS Web Server Authentication'"
check "init: device-config/server is the --server address" test "$(cat $C/device-config/server)" = evc.example:4443
check "init: device-config has the same root" cmp -s $C/root-certificate.pem $C/device-config/root-certificate.pem
check "init: device-config has the onboarding key" cmp -s $C/onboard.key.pem $C/device-config/onboard.key.pem
check "init: says what goes into a device's /config" grep -q "device's /config gets the files in $C/device-config/" init.out
check "init: names every file" bash -c "grep -q root-certificate.pem init.out && grep -q signing.cert.pem init.out && grep -q onboard.cert.pem init.out"
check "init: the next step it suggests keeps the enterprise" grep -q "evc onboard add --dir $C --cert $C/onboard.cert.pem --serial '\*' --enterprise acme" init.out
root_sum=$(sha_of $C/root-certificate.pem)
evc_run init2 init --dir $C
check "init twice: refused (exit 1)" test "$RC" -eq 1
check "init twice: says why" grep -q 'a PKI is already there' init2.err
check "init twice: the root is untouched" test "$(sha_of $C/root-certificate.pem)" = "$root_sum"
evc_run init3 init --dir d2
check "init: default DNS name localhost" bash -c \
	"openssl x509 -in d2/server.cert.pem -noout -ext subjectAltName | grep -q 'DNS:localhost$'"
check "init: default device-config/server localhost:4443" test "$(cat d2/device-config/server)" = localhost:4443

# ---- onboarding and tenancy
evc_run ob1 onboard add --dir $C --cert $C/onboard.cert.pem --serial S-1 --enterprise acme --project plant1
check "onboard add: exits 0" test "$RC" -eq 0
check "onboard add: says what it allowed" grep -q 'enterprise acme, project plant1, serial S-1 allowed' ob1.out
evc_run ob2 onboard add --dir $C --cert $C/onboard.cert.pem --serial S-2 --enterprise acme --project plant1
check "onboard add: a second serial on the same certificate" test "$RC" -eq 0
newcert globex globex-onboard
evc_run ob3 onboard add --dir $C --cert globex.pem --serial S-1 --enterprise globex
check "onboard add: a serial claimed by another enterprise is refused" test "$RC" -eq 1
check "onboard add: ... naming the enterprise that has it" grep -q "serial 'S-1' is already claimed by enterprise 'acme'" ob3.err
evc_run ob4 onboard add --dir $C --cert $C/onboard.cert.pem --serial G-1 --enterprise globex
check "onboard add: an onboarding certificate belongs to one enterprise" test "$RC" -eq 1
check "onboard add: ... and says so" grep -q "already issued to enterprise 'acme'" ob4.err
evc_run ob5 onboard add --dir $C --cert globex.pem --serial '*' --enterprise globex
check "onboard add: globex's own certificate, any serial" test "$RC" -eq 0
evc_run ob6 onboard add --dir $C --cert $C/onboard.cert.pem
check "onboard add: without --serial is a usage error (2)" test "$RC" -eq 2
echo "not a certificate" > junk.pem
evc_run ob7 onboard add --dir $C --cert junk.pem --serial X
check "onboard add: a file that is no certificate is refused, named" bash -c "[ $RC -eq 1 ] && grep -q 'junk.pem' ob7.err"
evc_run ob8 onboard add --dir nowhere --cert globex.pem --serial X
check "onboard add: no controller folder: says to run init" bash -c "[ $RC -eq 1 ] && grep -q \"run 'evc init --dir nowhere'\" ob8.err"

# ---- variant (b): a pre-registered device
newcert dev1 dev1
evc_run da device add --dir $C --cert dev1.pem --serial D-1 --enterprise acme --project plant2
U1=$(cat da.out)
check "device add: exits 0 and prints the uuid ($U1)" bash -c \
	"[ $RC -eq 0 ] && [[ '$U1' =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]"
evc_run da2 device add --dir $C --cert dev1.pem
check "device add: the same certificate twice is refused" bash -c "[ $RC -eq 1 ] && grep -q \"already device $U1\" da2.err"
evc_run da3 device add --dir $C --cert $C/onboard.cert.pem
check "device add: the onboarding certificate is no device certificate" bash -c "[ $RC -eq 1 ] && grep -q 'onboarding certificate' da3.err"
newcert dev9 dev9
evc_run da4 device add --dir $C --cert dev9.pem --serial S-1 --enterprise globex
check "device add: a serial claimed by another enterprise is refused" bash -c "[ $RC -eq 1 ] && grep -q \"claimed by enterprise 'acme'\" da4.err"

evc_run dl device list --dir $C
check "device list: exits 0" test "$RC" -eq 0
check "device list: a header and the device" bash -c "head -1 dl.out | grep -q '^UUID' && grep -q '^$U1  *acme  *plant2  *D-1  *preregistered  *never' dl.out"
evc_run dlj device list --dir $C --json
check "device list --json: one device" test "$(json_get dlj.out 'len(d)')" = 1
check "device list --json: its uuid" test "$(json_get dlj.out 'd[0]["uuid"]')" = "$U1"
evc_run ds device show --dir $C "$U1"
check "device show: the device" bash -c "[ $RC -eq 0 ] && grep -q '^$U1 .*preregistered' ds.out"
evc_run dsj device show --dir $C "$U1" --json
check "device show --json: enterprise, project, serial, state" test \
	"$(json_get dsj.out 'd["enterprise"], d["project"], d["serial"], d["state"], d["lastSeen"]')" = \
	"('acme', 'plant2', 'D-1', 'preregistered', 'never')"
check "device show --json: certSha256 is the certificate's" test "$(json_get dsj.out 'd["certSha256"]')" = "$(cert_sha dev1.pem)"
evc_run ds2 device show --dir $C 00000000-0000-4000-8000-000000000000
check "device show: an unknown uuid exits 1, named" bash -c "[ $RC -eq 1 ] && grep -q 00000000-0000-4000-8000-000000000000 ds2.err"

# ---- config
cat > cfg.json <<EOF
{
  "id": {"uuid": "$U1", "version": "4"},
  "configItems": [{"key": "timer.config.interval", "value": "10"},
                  {"key": "debug.enable.ssh", "value": "false"}],
  "maintenanceMode": true,
  "controllerEpoch": "3",
  "deviceName": "press-1"
}
EOF
evc_run cs config set --dir $C "$U1" cfg.json
check "config set JSON: exits 0" bash -c "[ $RC -eq 0 ] && grep -q 'config of $U1 set' cs.out"
evc_run cg config get --dir $C "$U1" --json
check "config get --json: what was set, semantically" /usr/bin/python3 -c \
	'import json,sys; a=json.load(open("cfg.json")); b=json.load(open("cg.out")); sys.exit(a != b)'
evc_run cgt config get --dir $C "$U1"
check "config get: a summary with the hash" bash -c "grep -q '^hash  *[0-9a-f]\{64\}$' cgt.out && grep -q '^items  *2$' cgt.out && grep -q '^version  *4$' cgt.out"
"$EVC" config get --dir $C "$U1" --binary > cfg.pb
check "config get --binary: hash = SHA-256 of the bytes" test "$(grep '^hash' cgt.out | tr -s ' ' | cut -d' ' -f2)" = "$(sha_of cfg.pb)"
check "config get --binary: protoc decodes it" bash -c \
	"protoc --decode=org.lfedge.eve.config.EdgeDevConfig $PROTOC_ARGS config/devconfig.proto < cfg.pb | grep -q 'device_name: \"press-1\"'"
before=$(sha_of cfg.pb)
sed 's/"deviceName"/"deviceNmae"/' cfg.json > bad.json
evc_run cb config set --dir $C "$U1" bad.json
check "config set bad JSON: exits 1" test "$RC" -eq 1
check "config set bad JSON: names the file and the field" grep -q 'bad.json: unknown field "deviceNmae"' cb.err
sed 's/"controllerEpoch": "3"/"controllerEpoch": "three"/' cfg.json > bad2.json
evc_run cb2 config set --dir $C "$U1" bad2.json
check "config set bad value: names the field and the value" bash -c "[ $RC -eq 1 ] && grep -q 'controllerEpoch: expected an integer, got \"three\"' cb2.err"
printf 'deviceName: press-1\n' > cfg.yaml
evc_run cb3 config set --dir $C "$U1" cfg.yaml
check "config set: a text file that is not JSON is refused" bash -c "[ $RC -eq 1 ] && grep -q 'not a JSON object' cb3.err"
"$EVC" config get --dir $C "$U1" --binary > after.pb
check "config set refused: the config is unchanged" test "$(sha_of after.pb)" = "$before"
protoc --encode=org.lfedge.eve.config.EdgeDevConfig $PROTOC_ARGS config/devconfig.proto > cfg2.pb <<EOF
id { uuid: "$U1" version: "5" }
device_name: "press-2"
configItems { key: "timer.metric.interval" value: "30" }
EOF
evc_run cs2 config set --dir $C "$U1" cfg2.pb --binary
check "config set --binary: exits 0" test "$RC" -eq 0
"$EVC" config get --dir $C "$U1" --binary > got2.pb
check "config set --binary: stored byte for byte" cmp -s cfg2.pb got2.pb
evc_run cg2 config get --dir $C "$U1" --json
check "config get --json after --binary" test "$(json_get cg2.out 'd["deviceName"], d["id"]["version"], d["configItems"][0]["value"]')" = "('press-2', '5', '30')"
evc_run cs3 config set --dir $C 00000000-0000-4000-8000-000000000000 cfg.json
check "config set: an unknown device is refused" bash -c "[ $RC -eq 1 ] && grep -q 'no device' cs3.err"

# ---- telemetry of a device with none
for k in info metrics logs; do
	evc_run t$k $k --dir $C "$U1"
	check "$k: no records: nothing printed, exit 0" bash -c "[ $RC -eq 0 ] && [ ! -s t$k.out ]"
	evc_run tj$k $k --dir $C "$U1" --json
	check "$k --json: no records: nothing printed, exit 0" bash -c "[ $RC -eq 0 ] && [ ! -s tj$k.out ]"
done
evc_run tu info --dir $C 00000000-0000-4000-8000-000000000000
check "info: an unknown device exits 1" test "$RC" -eq 1

# ---- usage
evc_run u1 frobnicate
check "an unknown command exits 2" bash -c "[ $RC -eq 2 ] && grep -q \"unknown command 'frobnicate'\" u1.err"
evc_run u2
check "no command exits 2 with the usage" bash -c "[ $RC -eq 2 ] && grep -q '^usage: evc' u2.err"
evc_run u3 device list --bogus
check "an unknown option exits 2" test "$RC" -eq 2
evc_run u4 --help
check "--help exits 0 with the usage" bash -c "[ $RC -eq 0 ] && grep -q 'onboard add' u4.out"

# ---- serve
PORT=$(free_port)
"$EVC" serve --dir $C --listen 127.0.0.1:$PORT > serve.log 2>&1 &
SERVE_PID=$!
at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
URL=https://localhost:$PORT/api
CURL="curl -sS --cacert $C/root-certificate.pem -o body -w %{http_code}"
wait_for 10 bash -c "[ \"\$($CURL $URL/v2/edgedevice/ping)\" = 200 ]"
check "serve: GET ping is 200 over TLS checked against the root" test "$($CURL $URL/v2/edgedevice/ping)" = 200
check "serve: GET certs is 200" test "$($CURL $URL/v2/edgedevice/certs)" = 200
check "serve: certs is an AuthContainer protoc decodes" bash -c \
	"protoc --decode=org.lfedge.eve.auth.AuthContainer $PROTOC_ARGS auth/auth.proto < body > certs.txt && grep -q '^algo: HASH_ALGORITHM_SHA256_32BYTES' certs.txt && grep -q '^signatureHash:' certs.txt"
check "serve: certs is signed by the signing certificate" bash -c "$V2PY open $C/signing.cert.pem < body > certs.pb"
check "serve: certs carries the signing certificate (ZControllerCert)" bash -c \
	"protoc --decode=org.lfedge.eve.certs.ZControllerCert $PROTOC_ARGS certs/certs.proto < certs.pb | grep -q 'type: CERT_TYPE_CONTROLLER_SIGNING'"
check "serve: a wrong path is 404" test "$($CURL $URL/v2/edgedevice/nosuch)" = 404
check "serve: a GET of a wrong path is 404 too" test "$($CURL $URL/v3/x)" = 404
check "serve: garbage register is 400" test "$($CURL --data-binary 'garbage!' -H 'Content-Type: application/x-proto-binary' $URL/v2/edgedevice/register)" = 400
check "serve: ... with a reason" grep -q 'not a valid protobuf AuthContainer' body

# a v2 device (variant a): the onboarding certificate, serial S-1
newcert dev2 S-1
$V2PY register-msg dev2.pem S-1 soft-1 > reg.pb
$V2PY seal $C/onboard.key.pem $C/onboard.cert.pem --sender-cert < reg.pb > reg.body
POST="--data-binary @- -H Content-Type:application/x-proto-binary"
check "serve: v2 register is 201" test "$($CURL $POST $URL/v2/edgedevice/register < reg.body)" = 201
check "serve: v2 register again is 200" test "$($CURL $POST $URL/v2/edgedevice/register < reg.body)" = 200
U2=$("$EVC" device list --dir $C --json | /usr/bin/python3 -c 'import json,sys; print([d["uuid"] for d in json.load(sys.stdin) if d["serial"] == "S-1"][0])')
check "serve: the device is onboarded in acme/plant1" bash -c "\"$EVC\" device show --dir $C $U2 | grep -q 'acme  *plant1  *S-1  *onboarded'"
check "serve: ... once" test "$("$EVC" device list --dir $C --json | json_get /dev/stdin 'len(d)')" = 2
$V2PY register-msg dev9.pem S-9 > reg9.pb
$V2PY seal $C/onboard.key.pem $C/onboard.cert.pem --sender-cert < reg9.pb > reg9.body
check "serve: a serial not allowed is 403" test "$($CURL $POST $URL/v2/edgedevice/register < reg9.body)" = 403
$V2PY register-msg dev9.pem S-1 > reg9.pb
$V2PY seal globex.key globex.pem --sender-cert < reg9.pb > reg9.body
check "serve: another enterprise's device with acme's serial is 409" test "$($CURL $POST $URL/v2/edgedevice/register < reg9.body)" = 409
: > empty
$V2PY seal dev2.key dev2.pem < empty > uuid.body
check "serve: v2 uuid is 200" test "$($CURL $POST $URL/v2/edgedevice/uuid < uuid.body)" = 200
check "serve: the uuid reply verifies and names the device" bash -c \
	"$V2PY open $C/signing.cert.pem < body | $V2PY field 1 | grep -qx $U2"
$V2PY seal dev9.key dev9.pem < empty > uuid9.body
check "serve: an unknown device is 403" test "$($CURL $POST $URL/v2/edgedevice/uuid < uuid9.body)" = 403
"$EVC" config set --dir $C "$U2" cfg.json > /dev/null
$V2PY config-req "" | $V2PY seal dev2.key dev2.pem > cfg.body
check "serve: v2 config is 200" test "$($CURL $POST $URL/v2/edgedevice/id/$U2/config < cfg.body)" = 200
$V2PY open $C/signing.cert.pem < body > cfgresp.pb
H=$($V2PY field 2 < cfgresp.pb)
check "serve: the config reply carries the config and its hash" bash -c \
	"protoc --decode=org.lfedge.eve.config.ConfigResponse $PROTOC_ARGS config/devconfig.proto < cfgresp.pb | grep -q 'device_name: \"press-1\"' && [ ${#H} -eq 64 ]"
$V2PY config-req "$H" | $V2PY seal dev2.key dev2.pem > cfg2.body
$CURL $POST $URL/v2/edgedevice/id/$U2/config < cfg2.body > /dev/null
check "serve: the same hash again: no config in the reply" bash -c \
	"$V2PY open $C/signing.cert.pem < body > same.pb && ! $V2PY field 1 < same.pb | grep -q . && [ \"\$($V2PY field 2 < same.pb)\" = $H ]"
check "serve: another device's uuid in the path is 403" test "$($CURL $POST $URL/v2/edgedevice/id/$U1/config < cfg.body)" = 403
$V2PY info-msg "$U2" | $V2PY seal dev2.key dev2.pem > info.body
check "serve: v2 info is 200" test "$($CURL $POST $URL/v2/edgedevice/id/$U2/info < info.body)" = 200
evc_run ti info --dir $C "$U2"
check "info: one record listed" bash -c "[ $RC -eq 0 ] && [ \$(wc -l < ti.out) -eq 1 ] && grep -q 'ztype 1' ti.out"
evc_run tij info --dir $C "$U2" --json
check "info --json: the ZInfoMsg as JSON" test "$(json_get tij.out 'd["ztype"], d["devId"]')" = "('ZiDevice', '$U2')"
printf '{"severity":"info","source":"test","content":"hello from the device"}\n{"content":"second"}\n' | gzip -c > logs.gz
$V2PY seal dev2.key dev2.pem < logs.gz > logs.body
check "serve: v2 newlogs is 200" test "$($CURL $POST $URL/v2/edgedevice/id/$U2/newlogs < logs.body)" = 200
evc_run tl logs --dir $C "$U2" --json
check "logs --json: both entries, as JSON" bash -c "[ $RC -eq 0 ] && [ \$(wc -l < tl.out) -eq 2 ] && head -1 tl.out | json_get /dev/stdin 'd[\"content\"]' | grep -qx 'hello from the device'"
evc_run tl2 logs --dir $C "$U2"
check "logs: each entry with its time" grep -q '^[0-9-]*T[0-9:]*Z {"severity":"info","source":"test","content":"hello from the device"}$' tl2.out
evc_run tm metrics --dir $C "$U2"
check "metrics: none sent, none printed" bash -c "[ $RC -eq 0 ] && [ ! -s tm.out ]"
check "serve: the device was seen" bash -c "\"$EVC\" device show --dir $C $U2 --json | json_get /dev/stdin 'd[\"lastSeen\"]' | grep -q T"

# v1: mutual TLS, bare protobuf
V1="--cert $C/onboard.cert.pem --key $C/onboard.key.pem"
newcert dev3 S-2
$V2PY register-msg dev3.pem S-2 > reg3.pb
check "serve: v1 register without a client certificate is 401" test "$($CURL $POST $URL/v1/edgedevice/register < reg3.pb)" = 401
check "serve: v1 register with the onboarding certificate is 201" test "$($CURL $V1 $POST $URL/v1/edgedevice/register < reg3.pb)" = 201
check "serve: v1 config GET with the device certificate is 200" test "$($CURL --cert dev3.pem --key dev3.key $URL/v1/edgeDevice/config)" = 200
check "serve: ... a bare EdgeDevConfig" bash -c \
	"protoc --decode=org.lfedge.eve.config.EdgeDevConfig $PROTOC_ARGS config/devconfig.proto < body | grep -q '^id {'"

kill -TERM $SERVE_PID
wait $SERVE_PID
check "serve: stops on SIGTERM with exit 0" test $? -eq 0
check "serve: logged the requests" grep -q 'registered serial S-1 in acme/plant1' serve.log
check "serve: no connection child left" wait_for 5 bash -c "! pgrep -f '[e]vc serve --dir $C --listen 127.0.0.1:$PORT' >/dev/null"

done_testing
