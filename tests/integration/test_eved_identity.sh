#!/usr/bin/env bash
# Integration: the identity role of eved, host mode.
# - without a TPM: a soft device key on PERSIST (0600) and EVE's kind of
#   self-signed device certificate, which openssl accepts; reused on restart;
# - with a TPM (swtpm): the key is created at 0x817FFFFF and never leaves it;
#   the certificate's key is the TPM's (tpm2_readpublic); reused on restart;
# - a corrupt certificate file is replaced, the key kept;
# - `eved --print-csr` gives a PKCS#10 request that openssl verifies.
set -u
. "$(dirname "$0")/../lib.sh"
EVED=$EV_BUILD/eved

# run_eved NAME ARGS...: eved until every role is up, then SIGTERM; log in $EV_TMP/NAME.log
run_eved() {
	local name=$1; shift
	rm -f "$EV_TMP/ready"
	"$EVED" --host --ready-fd 9 "$@" 9>"$EV_TMP/ready" >"$EV_TMP/$name.log" 2>&1 &
	local pid=$!
	wait_for 20 grep -q ready "$EV_TMP/ready"
	sleep 0.3
	kill -TERM $pid
	wait $pid
}

pubkey_of_cert() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum; }

# ---- soft key
C=$EV_TMP/soft/config P=$EV_TMP/soft/persist
mkdir -p "$C" "$P"
echo "SN-SOFT-1" > "$C/soft_serial"
run_eved soft1 --config "$C" --persist "$P"
check "soft: device key file created" test -s "$P/certs/device.key.pem"
check "soft: key file is mode 0600" test "$(stat -c %a "$P/certs/device.key.pem")" = 600
check "soft: the log names the soft key" grep -q 'device key: soft key, created now' "$EV_TMP/soft1.log"
cert=$P/certs/device.cert.pem
text=$(openssl x509 -in "$cert" -noout -text 2>&1)
check "soft: openssl x509 -text reads the certificate" grep -q 'Signature Algorithm: ecdsa-with-SHA256' <<<"$text"
check "soft: CN is the soft serial" grep -q 'Subject: CN = SN-SOFT-1' <<<"$text"
check "soft: CA:TRUE, keyCertSign, client+server auth" bash -c \
	'grep -q "CA:TRUE" <<<"$0" && grep -q "Certificate Sign" <<<"$0" && grep -q "TLS Web Client Authentication, TLS Web Server Authentication" <<<"$0"' "$text"
nb=$(date -d "$(openssl x509 -in "$cert" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2)" +%s)
years=$(( (na - nb) / 86400 / 365 ))
check "soft: valid for 20 years (got $years)" test "$years" -eq 20
check "soft: openssl verify with itself as anchor" bash -c "openssl verify -CAfile '$cert' '$cert' >/dev/null"
k1=$(openssl pkey -in "$P/certs/device.key.pem" -pubout -outform DER | sha256sum)
check "soft: the certificate holds the key's public half" test "$k1" = "$(pubkey_of_cert "$cert")"
sum1=$(sha256sum < "$cert")
run_eved soft2 --config "$C" --persist "$P"
check "soft: restart reuses key and certificate" test "$sum1" = "$(sha256sum < "$cert")"
check "soft: restart creates nothing" bash -c "! grep -q 'created now' '$EV_TMP/soft2.log'"
check "soft: evc received the identity" grep -q 'evc: device identity: certificate of [0-9]* bytes, key soft' "$EV_TMP/soft2.log"

# a corrupt certificate is replaced; the key is kept
echo "garbage" > "$cert"
run_eved soft3 --config "$C" --persist "$P"
check "soft: a corrupt certificate is reported" grep -q "device certificate $cert: .*making a new one" "$EV_TMP/soft3.log"
check "soft: ... and replaced by a valid one for the same key" test "$k1" = "$(pubkey_of_cert "$cert")"

# the CSR
openssl_out=$("$EVED" --print-csr --config "$C" --persist "$P" 2>&1 > "$EV_TMP/dev.csr")
check "soft: --print-csr writes a request ($openssl_out)" grep -q 'BEGIN CERTIFICATE REQUEST' "$EV_TMP/dev.csr"
check "soft: openssl req -verify accepts it" bash -c "openssl req -in '$EV_TMP/dev.csr' -noout -verify 2>&1 | grep -q 'verify OK'"
csrkey=$(openssl req -in "$EV_TMP/dev.csr" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)
check "soft: the request is for the device key" test "$csrkey" = "$k1"

# ---- TPM (swtpm)
swtpm_start "$EV_TMP/tpm"
C=$EV_TMP/tpm1/config P=$EV_TMP/tpm1/persist
mkdir -p "$C" "$P"
run_eved tpm1 --config "$C" --persist "$P" --tcti "$SWTPM_TCTI"
check "tpm: the log names the TPM" grep -q 'device key: TPM, created now' "$EV_TMP/tpm1.log"
check "tpm: no soft key file" test ! -e "$P/certs/device.key.pem"
check "tpm: key persisted at 0x817FFFFF" bash -c 'tpm2_getcap handles-persistent | grep -qi 0x817FFFFF'
tpm2_readpublic -c 0x817FFFFF -f pem -o "$EV_TMP/tpm.pub.pem" >/dev/null 2>&1
tk=$(openssl pkey -pubin -in "$EV_TMP/tpm.pub.pem" -outform DER | sha256sum)
check "tpm: the certificate's key is the TPM's persistent key" test "$tk" = "$(pubkey_of_cert "$P/certs/device.cert.pem")"
check "tpm: evc hears the key is in the TPM" grep -q 'evc: device identity: .*key in the TPM' "$EV_TMP/tpm1.log"
sum1=$(sha256sum < "$P/certs/device.cert.pem")
run_eved tpm2 --config "$C" --persist "$P" --tcti "$SWTPM_TCTI"
check "tpm: restart reuses the TPM key and the certificate" test "$sum1" = "$(sha256sum < "$P/certs/device.cert.pem")"
check "tpm: restart creates no key" bash -c "grep -q 'device key: TPM (' '$EV_TMP/tpm2.log'"
"$EVED" --print-csr --config "$C" --persist "$P" --tcti "$SWTPM_TCTI" > "$EV_TMP/tpm.csr" 2>/dev/null
check "tpm: the CSR is signed by the TPM key and verifies" bash -c "openssl req -in '$EV_TMP/tpm.csr' -noout -verify 2>&1 | grep -q 'verify OK'"

done_testing
