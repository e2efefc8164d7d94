#!/usr/bin/env bash
# Integration: the download role for real (`eved --role download`, driven on
# its socket by tests/integration/dl_driver.py as the supervisor and the apps
# role would) against the test datastore (tests/lib/datastore.py):
# - a file arrives, the DL_DONE fd's bytes match, a repeated request answers
#   DL_DONE again without a new fetch; the folder is 0700;
# - progress reports while a slow download runs;
# - a body cut short is retried and resumed (the datastore logs the Range);
# - 404 is DL_FAILED with the URL in err; bad ids, schemes and max_size;
# - a full disk (small tmpfs) is DL_FAILED naming ENOSPC ("disk full: ...");
# - 3 slow downloads with --dl-max-parallel 2: the third is QUEUED first;
# - cancel kills the worker and deletes the partial file;
# - a 503 outage (datastore control file) is retried until it ends; a
#   killed worker is retried and its download resumed;
# - HTTPS with the request's cert_pem, and refused with the wrong one.
set -u
. "$(dirname "$0")/../lib.sh"

EVED=$EV_BUILD/eved
PY=/usr/bin/python3
DRIVER=tests/integration/dl_driver.py
DATA=$EV_TMP/data
mkdir -p "$DATA" "$EV_TMP/config" "$EV_TMP/persist"
head -c 4194304 /dev/urandom >"$DATA/big.bin"
head -c 1048576 /dev/urandom >"$DATA/slow.bin"

# start_store NAME [datastore args]: sets STORE_PORT; log in $EV_TMP/NAME.log
start_store() {
	local name=$1; shift
	$PY tests/lib/datastore.py --root "$DATA" --log "$EV_TMP/$name.log" "$@" \
		>"$EV_TMP/$name.out" 2>"$EV_TMP/$name.err" &
	local pid=$!
	at_exit "kill $pid 2>/dev/null"
	wait_for 10 grep -q '^port ' "$EV_TMP/$name.out" || { echo "# datastore $name did not start"; cat "$EV_TMP/$name.err"; return 1; }
	STORE_PORT=$(sed -n 's/^port //p' "$EV_TMP/$name.out")
}

start_store http --control "$EV_TMP/control.json" || exit 1
HTTP=http://127.0.0.1:$STORE_PORT

# a self-signed server certificate for localhost (the request's cert_pem) and another one
( cd "$EV_TMP" &&
  for n in srv other; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $n.key \
		-out $n.pem -subj /CN=localhost -days 30 -addext subjectAltName=DNS:localhost \
		>/dev/null 2>&1 || exit 1
  done ) || { not_ok "openssl makes the test certificates"; done_testing; exit 1; }
start_store https --cert "$EV_TMP/srv.pem" --key "$EV_TMP/srv.key" || exit 1
HTTPS=https://localhost:$STORE_PORT

# scenario NAME WHAT [driver args]: a fresh store log, then the driver
scenario() {
	local name=$1 what=$2; shift 2
	: >"$EV_TMP/http.log"; : >"$EV_TMP/https.log"
	if $PY "$DRIVER" "$name" --eved "$EVED" --config "$EV_TMP/config" --data "$DATA" "$@" \
		2>"$EV_TMP/driver-$name.err"; then
		ok "$what"
	else
		local lines=()
		mapfile -t lines < <(tail -n 25 "$EV_TMP/driver-$name.err")
		not_ok "$what" "${lines[@]}"
	fi
}

P=(--persist "$EV_TMP/persist" --base "$HTTP" --store-log "$EV_TMP/http.log")
scenario good "a file arrives; DL_DONE's fd matches; a repeated REQ answers DONE without refetching" "${P[@]}"
scenario progress "progress reports while a slow download runs" "${P[@]}"
scenario resume "a body cut short is retried (DL_RUNNING with err) and resumed with a Range" "${P[@]}"
scenario 404 "404: DL_FAILED, -ENOENT, err 'URL: 404 Not Found'" "${P[@]}"
scenario limits "bad id, bad scheme, over max_size: DL_FAILED with reasons" "${P[@]}"
scenario parallel "3 slow downloads with max 2 in parallel: the third is QUEUED, all finish" "${P[@]}"
scenario cancel "cancel kills the worker and deletes the partial file" "${P[@]}"
scenario outage "a 503 outage: DL_RUNNING with the error, retried, done once it ends" "${P[@]}" \
	--control "$EV_TMP/control.json"
scenario killworker "a killed worker: retried, resumed with a Range, done" "${P[@]}"
scenario https "HTTPS with the request's cert_pem; the wrong certificate is refused" \
	--persist "$EV_TMP/persist" --base "$HTTPS" --store-log "$EV_TMP/https.log" \
	--cert "$EV_TMP/srv.pem" --wrong-cert "$EV_TMP/other.pem"

# a full disk: the persist folder on a 2 MiB tmpfs
SMALL=$EV_TMP/small
mkdir -p "$SMALL"
if mount -t tmpfs -o size=2m tmpfs "$SMALL" 2>"$EV_TMP/mount.err"; then
	at_exit "umount -l '$SMALL'"
	scenario diskfull "a full disk: DL_FAILED, -ENOSPC, 'disk full: URL needs N bytes, DIR has M free'" \
		--persist "$SMALL" --base "$HTTP" --store-log "$EV_TMP/http.log"
else
	not_ok "a tmpfs for the full-disk case" "$(cat "$EV_TMP/mount.err")"
fi

done_testing
