#!/usr/bin/env bash
# Integration: the developer debug console, enabled only through the API.
# `evc serve` + `eved --host --debug-console-dev PTY` (the console role on a
# pty made here, standing in for dom0's /dev/hvc0):
# - off by default: the line answers nothing, device info says "false";
# - the config item debug.enable.console=true turns it on within a config
#   poll: help, ports, routes, logs 5, domains (an app with a config error:
#   name, state, error), controller (TCP+TLS: ok), ping 127.0.0.1, version;
#   an unknown command, `sh`, `; ls`, `/bin/sh` and an over-long line are
#   refused with one line each and nothing runs;
# - device info reports it "true"; on/off are logged at notice level;
# - removing the item turns it off again: it says so, closes, answers nothing.
set -u
. "$(dirname "$0")/../lib.sh"
EVED=$EV_BUILD/eved
EVC=$EV_BUILD/evc
ROOT=$EV_TMP
PY=/usr/bin/python3
A=$ROOT/evc

# ---- the pty: what the console writes goes to pty.out; lines for it go into pty.in
$PY - "$ROOT/pty" <<'EOF' &
import os, pty, select, sys, tty
m, s = pty.openpty()
tty.setraw(m)
open(sys.argv[1] + ".name", "w").write(os.ttyname(s))
os.close(s)
os.mkfifo(sys.argv[1] + ".in")
fin = os.open(sys.argv[1] + ".in", os.O_RDWR)
out = open(sys.argv[1] + ".out", "ab", 0)
while True:
    r, _, _ = select.select([m, fin], [], [], 1)
    if m in r:
        try:
            out.write(os.read(m, 4096))
        except OSError:      # EIO: nobody has the other side open right now
            select.select([], [], [], 0.2)
    if fin in r:
        d = os.read(fin, 4096)
        if d:
            os.write(m, d)
EOF
PTY_PID=$!
at_exit "kill $PTY_PID 2>/dev/null"
wait_for 5 test -s "$ROOT/pty.name"
PTS=$(cat "$ROOT/pty.name")
touch "$ROOT/pty.out"

say() { printf '%s\r' "$1" > "$ROOT/pty.in"; }
# how many times TEXT is in the transcript
seen() { grep -aoF -- "$1" "$ROOT/pty.out" | wc -l; }
more_than() { [ "$(seen "$1")" -gt "$2" ]; }
# ask: send LINE, wait until TEXT appears one more time than before
ask() { # LINE TEXT [SECONDS]
	local before
	before=$(seen "$2")
	say "$1"
	wait_for "${3:-10}" more_than "$2" "$before"
}
HELPLINE="a fixed set of commands, no shell"

# ---- controller and device
PORT=$(free_port)
"$EVC" init --dir "$A" --server "localhost:$PORT" --enterprise acme >/dev/null
"$EVC" onboard add --dir "$A" --cert "$A/onboard.cert.pem" --serial SN-DBG --enterprise acme >/dev/null
"$EVC" serve --dir "$A" --listen "127.0.0.1:$PORT" >>"$A/serve.log" 2>&1 &
SERVE_PID=$!
at_exit "kill $SERVE_PID 2>/dev/null"
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$PORT" 2>/dev/null
mkdir -p "$ROOT/config" "$ROOT/persist" "$ROOT/run"
cp "$A/root-certificate.pem" "$A/onboard.cert.pem" "$A/onboard.key.pem" "$ROOT/config/"
echo "localhost:$PORT" > "$ROOT/config/server"
echo SN-DBG > "$ROOT/config/serial"
"$EVED" --host --config "$ROOT/config" --persist "$ROOT/persist" --run-dir "$ROOT/run" \
	--hv kvm --evc-interval-ms 500 --debug-console-dev "$PTS" >>"$ROOT/eved.log" 2>&1 &
EVED_PID=$!
at_exit "kill $EVED_PID 2>/dev/null; wait $EVED_PID 2>/dev/null"

uuid_of() { "$EVC" device list --dir "$A" --json | $PY -c \
	"import json,sys; d=[x for x in json.load(sys.stdin) if x['serial']=='$1']; print(d[0]['uuid'] if d else '')"; }
# the last device info's debug.enable.console value ("" when none)
info_console() { "$EVC" info --dir "$A" "$DEV" --json | $PY -c '
import json,sys
v=""
for l in sys.stdin:
    l=l.strip()
    if not l: continue
    d=json.loads(l).get("dinfo")
    if d: v=d.get("configItemStatus",{}).get("configItems",{}).get("debug.enable.console",{}).get("value","")
print(v)' 2>/dev/null; }
export -f info_console uuid_of
export EVC A PY

wait_for 30 bash -c "[ -n \"\$(uuid_of SN-DBG)\" ]"
DEV=$(uuid_of SN-DBG)
export DEV
check "the device onboards" test -n "$DEV"
check "eved runs a console role" wait_for 10 bash -c "pgrep -P $EVED_PID -x eved-console >/dev/null"

config() { # VERSION [ITEM-JSON]
	cat > "$ROOT/c$1.json" <<EOF
{ "id": { "uuid": "$DEV", "version": "$1" },
  "configItems": [ { "key": "timer.config.interval", "value": "1" } ${2:-} ],
  "apps": [ { "uuidandversion": { "uuid": "11111111-1111-4111-8111-111111111111", "version": "1" },
              "displayname": "broken-app",
              "fixedresources": { "memory": 131072, "maxmem": 131072, "vcpus": 1,
                                  "virtualizationMode": "HVM" },
              "activate": true,
              "volumeRefList": [ { "uuid": "99999999-9999-4999-8999-999999999999",
                                   "generationCount": "1" } ] } ] }
EOF
	"$EVC" config set --dir "$A" "$DEV" "$ROOT/c$1.json" >>"$ROOT/evc-cli.log" 2>&1
}

# ---- 1. off by default
check "a config without the item is taken" config 1
if wait_for 20 bash -c '[ "$(info_console)" = false ]'; then
	ok "device info reports debug.enable.console false by default"
else
	not_ok "device info reports debug.enable.console false by default" "value: '$(info_console)'"
fi
say "help"
sleep 2
check "off by default: the serial line answers nothing" test "$(seen "$HELPLINE")" -eq 0
check "off by default: nothing was ever written to the line" test ! -s "$ROOT/pty.out"

# ---- 2. on through the config item
check "a config with debug.enable.console=true is taken" \
	config 2 ', { "key": "debug.enable.console", "value": "true" }'
if wait_for 15 grep -qaF "edgevisor debug console, enabled by the controller" "$ROOT/pty.out"; then
	ok "the item turns the console on within a config poll (banner on the line)"
else
	not_ok "the item turns the console on within a config poll" "$(tail -n 5 "$ROOT/eved.log")"
fi
check "turning on is logged at notice level" \
	grep -qE "notice +console: debug console on $PTS: enabled by the controller" "$ROOT/eved.log"
if wait_for 20 bash -c '[ "$(info_console)" = true ]'; then
	ok "device info reports debug.enable.console true"
else
	not_ok "device info reports debug.enable.console true" "value: '$(info_console)'"
fi

check "help lists the fixed commands" ask help "$HELPLINE"
check "help names every command (ports routes domains logs ping controller version exit)" \
	bash -c "for c in ports routes domains logs ping controller version exit; do grep -qaE \"^  \$c +\" '$ROOT/pty.out' || exit 1; done"

check "ports answers" ask ports "carrier"
check "ports shows lo up with 127.0.0.1/8" grep -qaE "^[0-9]+ +lo +up +yes .*127\.0\.0\.1/8" "$ROOT/pty.out"

check "routes answers with a table" ask routes "destination"

check "logs 5 answers" ask "logs 5" "debug console: logs"
# the 5 lines printed before the prompt: each "TIME LEVEL source: text"
LOGS5=$(awk '/dbg> logs 5/{f=1; n=0; next} f && /^dbg> /{exit} f{print}' "$ROOT/pty.out" | tr -d '\r')
N5=$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z (err|warn|notice|info|debug) [a-z]+: ' <<<"$LOGS5")
check "logs 5 prints exactly 5 entries from the supervisor's ring (got $N5)" test "$N5" -eq 5

if wait_for 20 bash -c "grep -q 'broken-app' <(\"$EVC\" info --dir '$A' '$DEV' --json)"; then :; fi
check "domains answers" ask domains "broken-app"
check "domains shows the app's name, state and error" \
	grep -qaE "^11111111-1111-4111-8111-111111111111 +broken-app +ERROR +.*99999999" "$ROOT/pty.out"

check "controller answers" ask controller "controller:" 15
check "controller: TCP + TLS + certificate ok" grep -qaF "controller: ok" "$ROOT/pty.out"
check "controller: the handshake and certificate check are reported" \
	bash -c "grep -qaF 'tls: handshake ok, TLS 1.2 TLS_ECDHE_ECDSA' '$ROOT/pty.out' && grep -qaF 'certificate: verified' '$ROOT/pty.out'"

check "ping 127.0.0.1 answers" ask "ping 127.0.0.1" "ping 127.0.0.1:" 10
check "ping 127.0.0.1: 3 sent, 3 received" grep -qaF "ping 127.0.0.1: 3 sent, 3 received" "$ROOT/pty.out"
check "ping shows each reply" grep -qaF "reply from 127.0.0.1: icmp_seq=3" "$ROOT/pty.out"

check "version answers" ask version "eved (edgevisor"

# ---- 3. what is refused
check "an unknown command is one error line" ask frobnicate "error: unknown command 'frobnicate' (type help)"
check "sh is refused" ask sh "error: unknown command 'sh' (type help)"
check "'; ls' is refused as shell syntax" ask "; ls" "error: '; ls': shell syntax is not understood: there is no shell here"
check "/bin/sh is refused" ask "/bin/sh" "error: unknown command '/bin/sh'"
check "ping of a name with shell syntax is refused" ask 'ping $(reboot)' "shell syntax is not understood"
LONG=$(head -c 300 /dev/zero | tr '\0' a)
check "a line over 256 bytes is refused" ask "$LONG" "error: line longer than 256 bytes: ignored"
check "no process was started by the console role" \
	test -z "$(pgrep -P "$(pgrep -P "$EVED_PID" -x eved-console)")"
check "the console role is still the same process" test "$(grep -c 'console: up, pid' "$ROOT/eved.log")" -eq 1

# ---- 4. off again when the item is removed
check "a config without the item is taken" config 3
if wait_for 15 grep -qaF "debug console disabled by the controller; closing" "$ROOT/pty.out"; then
	ok "removing the item turns the console off within a config poll, and it says so"
else
	not_ok "removing the item turns the console off" "$(tail -n 5 "$ROOT/eved.log")"
fi
check "turning off is logged at notice level" \
	grep -qE "notice +console: debug console on $PTS: disabled by the controller" "$ROOT/eved.log"
if wait_for 20 bash -c '[ "$(info_console)" = false ]'; then
	ok "device info reports debug.enable.console false again"
else
	not_ok "device info reports debug.enable.console false again" "value: '$(info_console)'"
fi
N=$(seen "$HELPLINE")
say "help"
sleep 2
check "off again: help is not answered" test "$(seen "$HELPLINE")" -eq "$N"
check "the console role no longer holds the pty" \
	bash -c "! ls -l /proc/$(pgrep -P "$EVED_PID" -x eved-console)/fd | grep -qF '$PTS'"

done_testing
