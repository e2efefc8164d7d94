#!/usr/bin/env bash
# Integration (issue 3): a device in host mode onboards to our controller over
# TLS, receives config and reports — every piece real: `evc serve` (BearSSL,
# SQLite), `eved` (identity role with swtpm or a soft key, evc role), on
# loopback.  Hostile cases are refused with a clear error and the last good
# config is kept.
set -u
. "$(dirname "$0")/../lib.sh"
EVED=$EV_BUILD/eved
EVC=$EV_BUILD/evc
ROOT=$EV_TMP

# ---- helpers
serve_start() { # DIR PORT
	"$EVC" serve --dir "$1" --listen "127.0.0.1:$2" >>"$1/serve.log" 2>&1 &
	SERVE_PID=$!
	at_exit "kill $SERVE_PID 2>/dev/null"
	wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$2" 2>/dev/null
}
serve_stop() { kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; }
device_config() { # PKI-DIR CONFIG-DIR SERIAL PORT [no-onboard]
	mkdir -p "$2"
	cp "$1/root-certificate.pem" "$1/device-config/require-cert-status" "$2/"
	if [ "${5:-}" != no-onboard ]; then cp "$1/onboard.cert.pem" "$1/onboard.key.pem" "$2/"; fi
	echo "localhost:$4" > "$2/server"
	echo "$3" > "$2/serial"
	echo "soft-$3" > "$2/soft_serial"
}
eved_start() { # NAME CONFIG PERSIST [ARGS...]
	local name=$1 c=$2 p=$3; shift 3
	mkdir -p "$p"
	"$EVED" --host --config "$c" --persist "$p" --evc-interval-ms 500 "$@" \
		>>"$ROOT/$name.log" 2>&1 &
	eval "PID_$name=$!"
	at_exit "kill \$PID_$name 2>/dev/null"
}
eved_stop() { local v="PID_$1"; kill "${!v}" 2>/dev/null; wait "${!v}" 2>/dev/null; }
uuid_of() { "$EVC" device list --dir "$1" --json | /usr/bin/python3 -c \
	"import json,sys; d=[x for x in json.load(sys.stdin) if x['serial']=='$2']; print(d[0]['uuid'] if d else '')"; }
ndevices() { "$EVC" device list --dir "$1" --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
latest_info_hash() { "$EVC" info --dir "$1" "$2" --json | tail -n 1 | /usr/bin/python3 -c \
	'import json,sys; d=json.loads(sys.stdin.read()); print(d["dinfo"]["configItemStatus"]["configItems"]["edgevisor.config.hash"]["value"])' 2>/dev/null; }

export EVC
export -f uuid_of ndevices latest_info_hash

A=$ROOT/evcA
PORT=$(free_port)
"$EVC" init --dir "$A" --server "localhost:$PORT" --enterprise acme >/dev/null
"$EVC" onboard add --dir "$A" --cert "$A/onboard.cert.pem" --serial SN-1 --enterprise acme >/dev/null
"$EVC" onboard add --dir "$A" --cert "$A/onboard.cert.pem" --serial SN-TPM --enterprise acme >/dev/null
serve_start "$A" "$PORT"

# ---- 1. onboarding
device_config "$A" "$ROOT/d1/config" SN-1 "$PORT"
eved_start d1 "$ROOT/d1/config" "$ROOT/d1/persist"
if wait_for 20 bash -c "[ -n \"\$(uuid_of '$A' SN-1)\" ]"; then ok "device registers and appears in evc device list"
else not_ok "device registers and appears in evc device list" "$(tail -n 20 "$ROOT/d1.log")"; fi
U1=$(uuid_of "$A" SN-1)
check "register answered 201 (new)" grep -q "registered with serial 'SN-1' (new)" "$ROOT/d1.log"
wait_for 10 grep -q "device uuid $U1" "$ROOT/d1.log"
check "the device learned the same uuid" grep -q "device uuid $U1" "$ROOT/d1.log"
check "the uuid is kept on /persist" bash -c "strings '$ROOT/d1/persist/status/uuid' | grep -q '$U1'"
eved_stop d1
eved_start d1 "$ROOT/d1/config" "$ROOT/d1/persist"
wait_for 20 grep -q "registered with serial 'SN-1' (known already)" "$ROOT/d1.log"
check "register again answers 200 (known already)" grep -q "(known already)" "$ROOT/d1.log"
check "no duplicate device" test "$(ndevices "$A")" -eq 1

# ---- 2. config
cat > "$ROOT/cfg.json" <<'EOF'
{ "id": { "uuid": "UUID", "version": "7" },
  "configItems": [ { "key": "timer.config.interval", "value": "1" },
                   { "key": "timer.metric.interval", "value": "1" } ] }
EOF
sed -i "s/UUID/$U1/" "$ROOT/cfg.json"
check "evc config set takes JSON" bash -c "'$EVC' config set --dir '$A' '$U1' '$ROOT/cfg.json' >/dev/null"
H=$("$EVC" config get --dir "$A" "$U1" | awk '/^hash/ {print $2}')
if wait_for 20 bash -c "[ \"\$(latest_info_hash '$A' '$U1')\" = '$H' ]"; then
	ok "the device applied the config: its info reports hash ${H:0:12}"
else not_ok "the device applied the config" "info hash: $(latest_info_hash "$A" "$U1"), want $H"; fi
check "the config items are in force (reported)" bash -c \
	"'$EVC' info --dir '$A' '$U1' --json | tail -n 1 | grep -q 'timer.config.interval'"
applied=$(grep -c "config applied from the controller: hash ${H:0:16}" "$ROOT/d1.log")
check "the config was applied once" test "$applied" -eq 1
check "what changed is reported (two config items added)" grep -q "hash ${H:0:16}; .*config items +2 -0 ~0" "$ROOT/d1.log"
"$EVC" config set --dir "$A" "$U1" "$ROOT/cfg.json" >/dev/null
sleep 3
check "the same config again is not re-applied" \
	test "$(grep -c "config applied from the controller: hash ${H:0:16}" "$ROOT/d1.log")" -eq 1
check "the controller saw unchanged-config polls" grep -q "config unchanged (hash ${H:0:12}" "$A/serve.log"

# ---- 3. info, metrics, logs
check "evc info shows device info" bash -c "'$EVC' info --dir '$A' '$U1' | grep -q 'ztype 1'"
check "evc metrics shows metrics" bash -c "[ \$('$EVC' metrics --dir '$A' '$U1' | wc -l) -ge 1 ]"
check "evc metrics --json decodes" bash -c "'$EVC' metrics --dir '$A' '$U1' --json | tail -n 1 | grep -q '\"devID\":\"$U1\"'"
wait_for 15 bash -c "'$EVC' logs --dir '$A' '$U1' | grep -q 'device uuid'"
check "evc logs shows the device's log entries" bash -c "'$EVC' logs --dir '$A' '$U1' | grep -q 'device uuid $U1'"
# a controller outage: entries logged meanwhile are spooled, then delivered
serve_stop
wait_for 15 bash -c "grep -q 'controller localhost:$PORT: .*refused' '$ROOT/d1.log'"
check "the device notices the outage" grep -q "controller localhost:$PORT: .*refused" "$ROOT/d1.log"
wait_for 15 bash -c "ls '$ROOT/d1/persist/newlog/' | grep -q '\.gz$'"
check "log batches are spooled on /persist while offline" bash -c "ls '$ROOT/d1/persist/newlog/' | grep -q '\.gz$'"
serve_start "$A" "$PORT"
if wait_for 30 bash -c "'$EVC' logs --dir '$A' '$U1' | grep -q 'refused'"; then
	ok "entries logged during the outage reach the controller"
else not_ok "entries logged during the outage reach the controller" "$(ls "$ROOT/d1/persist/newlog/")"; fi
wait_for 20 bash -c "[ -z \"\$(ls '$ROOT/d1/persist/newlog/' | grep '\.gz$')\" ]"
check "the spool empties once delivered" bash -c "[ -z \"\$(ls '$ROOT/d1/persist/newlog/' | grep '\.gz$')\" ]"
eved_stop d1

# ---- 4. hostile cases: refused with a reason, last good config kept
start_hostile() { # NAME: d1's persist copy with a changed /config
	rm -rf "$ROOT/$1"; mkdir -p "$ROOT/$1"
	cp -a "$ROOT/d1/persist" "$ROOT/$1/persist"
	cp -a "$ROOT/d1/config" "$ROOT/$1/config"
}
B=$ROOT/evcB
"$EVC" init --dir "$B" --server "localhost:$PORT" --enterprise other >/dev/null
# wrong root CA
start_hostile h1
cp "$B/root-certificate.pem" "$ROOT/h1/config/"
eved_start h1 "$ROOT/h1/config" "$ROOT/h1/persist"
wait_for 15 grep -q "TLS: server certificate" "$ROOT/h1.log"
check "wrong root CA: refused (unknown root)" grep -q "controller localhost:$PORT: TLS: server certificate: .*BR_ERR_X509_NOT_TRUSTED" "$ROOT/h1.log"
check "wrong root CA: last good config kept" grep -q "config applied from /persist (last good): hash ${H:0:16}" "$ROOT/h1.log"
eved_stop h1
# wrong server name (BearSSL matches DNS names only)
start_hostile h2
echo "127.0.0.1:$PORT" > "$ROOT/h2/config/server"
eved_start h2 "$ROOT/h2/config" "$ROOT/h2/persist"
wait_for 15 grep -q "BR_ERR_X509_BAD_SERVER_NAME" "$ROOT/h2.log"
check "wrong server name: refused" grep -q "BR_ERR_X509_BAD_SERVER_NAME" "$ROOT/h2.log"
eved_stop h2
# replies signed by another key: a controller whose signing cert is B's
C=$ROOT/evcC
cp -a "$A" "$C"; rm -f "$C/serve.log"
cp "$B/signing.cert.pem" "$B/signing.key.pem" "$C/"
PORT2=$(free_port)
"$EVC" serve --dir "$C" --listen "127.0.0.1:$PORT2" >"$C/serve.log" 2>&1 &
PC=$!; at_exit "kill $PC 2>/dev/null"
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$PORT2" 2>/dev/null
start_hostile h3
echo "localhost:$PORT2" > "$ROOT/h3/config/server"
eved_start h3 "$ROOT/h3/config" "$ROOT/h3/persist"
wait_for 15 grep -q "does not chain" "$ROOT/h3.log"
check "signed by another key: the signing certificate is refused" grep -q "certs: 'Edgevisor controller signing' does not chain to the root certificate in /config" "$ROOT/h3.log"
check "signed by another key: no config taken" bash -c "! grep -q 'config applied from the controller' '$ROOT/h3.log'"
eved_stop h3
kill $PC 2>/dev/null

# spoiled replies from a man in the middle holding the server's certificate:
# a new config waits on the controller; through the spoiler it never applies
sed -e 's/"version": "7"/"version": "8"/' -e 's/"value": "1" }, { "key": "timer.metric/"value": "2" }, { "key": "timer.metric/' "$ROOT/cfg.json" > "$ROOT/cfg2.json"
"$EVC" config set --dir "$A" "$U1" "$ROOT/cfg2.json" >/dev/null
H2=$("$EVC" config get --dir "$A" "$U1" | awk '/^hash/ {print $2}')
check "a second config is waiting (hash differs)" test "$H2" != "$H"
for mode in tamper truncate oversize garbage; do
	HP=$(free_port)
	/usr/bin/python3 "$(dirname "$0")/hostile_controller.py" "$HP" "$PORT" "$A/server.cert.pem" \
		"$A/server.key.pem" "$A/root-certificate.pem" "$mode" /config >"$ROOT/hostile-$mode.log" 2>&1 &
	HPID=$!; at_exit "kill $HPID 2>/dev/null"
	wait_for 10 grep -q listening "$ROOT/hostile-$mode.log"
	start_hostile m_$mode
	echo "localhost:$HP" > "$ROOT/m_$mode/config/server"
	eved_start m_$mode "$ROOT/m_$mode/config" "$ROOT/m_$mode/persist"
	case $mode in
	tamper) why="config: reply refused: AuthContainer: ECDSA signature does not verify" ;;
	truncate) why="config: HTTP response: .*(reset by peer|truncated|closed)" ;;
	oversize) why="config: .*over the 16777216-byte limit" ;;
	garbage) why="config: reply refused: AuthContainer: 40 bytes that are not a valid protobuf AuthContainer" ;;
	esac
	if wait_for 15 grep -qE "$why" "$ROOT/m_$mode.log"; then ok "$mode reply: refused with a reason"
	else not_ok "$mode reply: refused with a reason" "$(grep 'evc:' "$ROOT/m_$mode.log" | tail -n 5)"; fi
	check "$mode reply: the last good config is kept" bash -c \
		"grep -q 'config applied from /persist (last good): hash ${H:0:16}' '$ROOT/m_$mode.log' && ! grep -q 'config applied from the controller' '$ROOT/m_$mode.log'"
	eved_stop m_$mode
	kill $HPID 2>/dev/null
done

# 403: a device without an onboarding certificate the controller does not know
rm -rf "$ROOT/h4"; device_config "$A" "$ROOT/h4/config" SN-UNKNOWN "$PORT" no-onboard
eved_start h4 "$ROOT/h4/config" "$ROOT/h4/persist"
wait_for 15 grep -q "not known to the controller (403)" "$ROOT/h4.log"
check "unknown device: 403 with a reason" grep -q "uuid: this device is not known to the controller (403)" "$ROOT/h4.log"
eved_stop h4

# ---- 6. variant (b): pre-registered by its certificate, no onboarding cert
"$EVC" device add --dir "$A" --cert "$ROOT/h4/persist/certs/device.cert.pem" --serial SN-FACTORY \
	--enterprise acme --project factory > "$ROOT/u4"
eved_start h4 "$ROOT/h4/config" "$ROOT/h4/persist"
if wait_for 20 grep -q "device uuid $(cat "$ROOT/u4")" "$ROOT/h4.log"; then
	ok "a pre-registered device is accepted without an onboarding certificate"
else not_ok "a pre-registered device is accepted without an onboarding certificate" "$(tail -n 5 "$ROOT/h4.log")"; fi
eved_stop h4

# 409: serial SN-B claimed by enterprise acme; registering it with other's onboarding cert
"$EVC" onboard add --dir "$A" --cert "$A/onboard.cert.pem" --serial SN-B --enterprise acme >/dev/null
"$EVC" onboard add --dir "$A" --cert "$B/onboard.cert.pem" --serial '*' --enterprise other >/dev/null
rm -rf "$ROOT/h5"; device_config "$B" "$ROOT/h5/config" SN-B "$PORT"
cp "$A/root-certificate.pem" "$ROOT/h5/config/"
eved_start h5 "$ROOT/h5/config" "$ROOT/h5/persist"
wait_for 15 grep -q "conflict (409)" "$ROOT/h5.log"
check "serial of enterprise A with B's onboarding cert: 409" grep -q "register: conflict (409)" "$ROOT/h5.log"
check "... and it lands in no enterprise" test -z "$(uuid_of "$A" SN-B)"
eved_stop h5

# ---- 5. the device key in a TPM: the controller hears it
swtpm_start "$ROOT/tpm"
rm -rf "$ROOT/t1"; device_config "$A" "$ROOT/t1/config" SN-TPM "$PORT"
eved_start t1 "$ROOT/t1/config" "$ROOT/t1/persist" --tcti "$SWTPM_TCTI"
wait_for 20 bash -c "[ -n \"\$(uuid_of '$A' SN-TPM)\" ]"
UT=$(uuid_of "$A" SN-TPM)
wait_for 15 bash -c "'$EVC' info --dir '$A' '$UT' --json 2>/dev/null | grep -q HSMStatus"
check "device info says the key is in the TPM (HSMStatus ENABLED)" \
	bash -c "'$EVC' info --dir '$A' '$UT' --json | tail -n 1 | grep -q '\"HSMStatus\":\"ENABLED\"'"
tpm2_readpublic -c 0x817FFFFF -f pem -o "$ROOT/tpm.pub.pem" >/dev/null 2>&1
check "the registered device certificate holds the TPM's key" bash -c \
	"[ \"\$(openssl pkey -pubin -in '$ROOT/tpm.pub.pem' -outform DER | sha256sum)\" = \"\$(openssl x509 -in '$ROOT/t1/persist/certs/device.cert.pem' -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)\" ]"
eved_stop t1

# ---- through an enterprise proxy (HTTP CONNECT), tinyproxy as the proxy
PP=$(free_port)
mkdir -p "$ROOT/tp"
printf 'Port %s\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nAllow 127.0.0.1\nLogLevel Connect\n' \
	"$PP" > "$ROOT/tp/tinyproxy.conf"
tinyproxy -d -c "$ROOT/tp/tinyproxy.conf" >"$ROOT/tp/log" 2>&1 &
TPP=$!; at_exit "kill $TPP 2>/dev/null"
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$PP" 2>/dev/null
start_hostile p1
echo "127.0.0.1:$PP" > "$ROOT/p1/config/proxy"
eved_start p1 "$ROOT/p1/config" "$ROOT/p1/persist"
wait_for 15 grep -q "device uuid $U1" "$ROOT/p1.log"
check "the device reaches the controller through the proxy" grep -q "through proxy 127.0.0.1:$PP" "$ROOT/p1.log"
check "... and onboards that way" grep -q "device uuid $U1" "$ROOT/p1.log"
check "the proxy carried a CONNECT to the controller" grep -q "CONNECT.*localhost:$PORT" "$ROOT/tp/log"
eved_stop p1
kill $TPP 2>/dev/null

# ---- v1: the original design's API, bare protobuf over mutual TLS
"$EVC" onboard add --dir "$A" --cert "$A/onboard.cert.pem" --serial SN-V1 --enterprise acme >/dev/null
rm -rf "$ROOT/v1"; device_config "$A" "$ROOT/v1/config" SN-V1 "$PORT"
echo v1 > "$ROOT/v1/config/api"
eved_start v1 "$ROOT/v1/config" "$ROOT/v1/persist"
wait_for 20 bash -c "[ -n \"\$(uuid_of '$A' SN-V1)\" ]"
UV1=$(uuid_of "$A" SN-V1)
check "v1: the device registers over mutual TLS (onboarding certificate as client certificate)" test -n "$UV1"
check "v1: the controller saw v1 requests" grep -q "POST /api/v1/edgedevice/register" "$A/serve.log"
wait_for 15 grep -q "device uuid $UV1 (from the config)" "$ROOT/v1.log"
check "v1: the device learns its uuid from its config" grep -q "device uuid $UV1 (from the config)" "$ROOT/v1.log"
wait_for 15 bash -c "'$EVC' info --dir '$A' '$UV1' | grep -q 'ztype 1'"
check "v1: info arrives (device certificate as client certificate)" bash -c "'$EVC' info --dir '$A' '$UV1' | grep -q 'ztype 1'"
wait_for 20 bash -c "[ -n \"\$('$EVC' logs --dir '$A' '$UV1')\" ]"
check "v1: logs arrive as a LogBundle" bash -c "[ -n \"\$('$EVC' logs --dir '$A' '$UV1')\" ]"
eved_stop v1

# ---- revocation (docs/revocation.md)
check "our devices require a certificate status" test -e "$ROOT/d1/config/require-cert-status"
check "the controller signs statuses" grep -q "certificate status signed by status.cert.pem" "$A/serve.log"
# a controller that sends none, as EVE's controllers do
D=$ROOT/evcD
cp -a "$A" "$D"; rm -f "$D/serve.log" "$D/status.key.pem"
PORT3=$(free_port)
"$EVC" serve --dir "$D" --listen "127.0.0.1:$PORT3" >"$D/serve.log" 2>&1 &
PD=$!; at_exit "kill $PD 2>/dev/null"
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$PORT3" 2>/dev/null
start_hostile r1
echo "localhost:$PORT3" > "$ROOT/r1/config/server"
eved_start r1 "$ROOT/r1/config" "$ROOT/r1/persist"
wait_for 15 grep -q "requires one" "$ROOT/r1.log"
check "no status where /config requires one: refused" grep -q "no certificate status, and /config requires one" "$ROOT/r1.log"
eved_stop r1
rm -f "$ROOT/r1/config/require-cert-status"
eved_start r1 "$ROOT/r1/config" "$ROOT/r1/persist"
wait_for 15 grep -q "device uuid $U1" "$ROOT/r1.log"
check "no status and none required (EVE interop): accepted" grep -q "device uuid $U1" "$ROOT/r1.log"
eved_stop r1
kill $PD 2>/dev/null
# the signing certificate revoked
out=$("$EVC" cert revoke --dir "$A" --cert "$A/signing.cert.pem")
check "evc cert revoke says what it did" grep -q "revoked" <<<"$out"
start_hostile r2
eved_start r2 "$ROOT/r2/config" "$ROOT/r2/persist"
wait_for 15 grep -q "REVOKED" "$ROOT/r2.log"
check "a revoked signing certificate is refused" grep -q "certs: 'Edgevisor controller signing': certificate status: REVOKED" "$ROOT/r2.log"
check "... and nothing from that controller is used" bash -c "! grep -q 'config applied from the controller' '$ROOT/r2.log'"
eved_stop r2
serve_stop

done_testing
