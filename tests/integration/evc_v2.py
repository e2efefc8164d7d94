#!/usr/bin/env python3
"""A minimal EVE API v2 device for tests of `evc serve`, with only the Python
standard library and the openssl CLI (no generated protobuf code).

  evc_v2.py register-msg DEVCERT SERIAL [SOFTSERIAL]   ZRegisterMsg -> stdout
  evc_v2.py config-req HASH                            ConfigRequest -> stdout
  evc_v2.py info-msg DEVID                             ZInfoMsg (ZiDevice) -> stdout
  evc_v2.py seal KEY CERT [--sender-cert] < PAYLOAD    AuthContainer -> stdout
  evc_v2.py open SIGNINGCERT < BODY                    the payload -> stdout, after
                                                       checking the signature and
                                                       senderCertHash (exit 1 if not)
  evc_v2.py field N < MESSAGE                          field N (bytes/string) -> stdout

Signatures as EVE makes them: ECDSA P-256 over SHA-256 of the payload, raw
r||s; senderCertHash = SHA-256 of the certificate DER; senderCert = base64
of the PEM.
"""
import base64
import hashlib
import os
import subprocess
import sys
import tempfile


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(n, value):
    """A length-delimited field, or a varint one for an int."""
    if isinstance(value, int):
        return varint(n << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint((n << 3) | 2) + varint(len(value)) + value


def parse(msg):
    """{field number: [values]}: bytes for length-delimited, int for varint."""
    out, i = {}, 0
    while i < len(msg):
        key, i = read_varint(msg, i)
        n, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(msg, i)
        elif wt == 2:
            ln, i = read_varint(msg, i)
            v, i = msg[i:i + ln], i + ln
            if len(v) != ln:
                raise ValueError("truncated field %d" % n)
        elif wt == 1:
            v, i = msg[i:i + 8], i + 8
        elif wt == 5:
            v, i = msg[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(n, []).append(v)
    return out


def read_varint(b, i):
    v, shift = 0, 0
    while True:
        if i >= len(b):
            raise ValueError("truncated varint")
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def der_of(cert_pem_path):
    return subprocess.run(["openssl", "x509", "-in", cert_pem_path, "-outform", "DER"],
                          check=True, capture_output=True).stdout


def pem_of(cert_pem_path):
    return subprocess.run(["openssl", "x509", "-in", cert_pem_path],
                          check=True, capture_output=True).stdout


def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b


def raw_to_der(sig):
    body = der_int(sig[:32]) + der_int(sig[32:])
    return b"\x30" + bytes([len(body)]) + body


def der_to_raw(der):
    assert der[0] == 0x30
    i = 2
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        ln = der[i + 1]
        out += der[i + 2:i + 2 + ln].lstrip(b"\0").rjust(32, b"\0")
        i += 2 + ln
    return out


def openssl_dgst(args, payload):
    with tempfile.NamedTemporaryFile() as f:
        f.write(payload)
        f.flush()
        return subprocess.run(["openssl", "dgst", "-sha256"] + args + [f.name],
                              capture_output=True)


def seal(key, cert, sender_cert):
    payload = sys.stdin.buffer.read()
    r = openssl_dgst(["-sign", key], payload)
    if r.returncode != 0:
        sys.exit("seal: openssl: " + r.stderr.decode())
    body = (field(1, field(1, payload)) + field(2, 2) +
            field(3, hashlib.sha256(der_of(cert)).digest()) + field(4, der_to_raw(r.stdout)))
    if sender_cert:
        body += field(5, base64.b64encode(pem_of(cert)))
    sys.stdout.buffer.write(body)


def open_(signing_cert):
    ac = parse(sys.stdin.buffer.read())
    payload = parse(ac[1][0]).get(1, [b""])[0] if 1 in ac else b""
    if ac.get(2, [0])[0] != 2:
        sys.exit("open: algo is not SHA256_32BYTES")
    if ac.get(3, [b""])[0] != hashlib.sha256(der_of(signing_cert)).digest():
        sys.exit("open: senderCertHash is not the signing certificate's")
    sig = ac.get(4, [b""])[0]
    if len(sig) != 64:
        sys.exit("open: signature of %d bytes, not raw r||s" % len(sig))
    with tempfile.TemporaryDirectory() as d:
        pub, sigf = os.path.join(d, "pub.pem"), os.path.join(d, "sig.der")
        subprocess.run(["openssl", "x509", "-in", signing_cert, "-noout", "-pubkey", "-out", pub],
                       check=True)
        with open(sigf, "wb") as f:
            f.write(raw_to_der(sig))
        r = openssl_dgst(["-verify", pub, "-signature", sigf], payload)
    if r.returncode != 0:
        sys.exit("open: signature does not verify: " + r.stdout.decode() + r.stderr.decode())
    sys.stdout.buffer.write(payload)


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    cmd = a[0]
    if cmd == "register-msg":
        msg = field(2, base64.b64encode(pem_of(a[1]))) + field(3, a[2])
        if len(a) > 3:
            msg += field(4, a[3])
        sys.stdout.buffer.write(msg)
    elif cmd == "config-req":
        sys.stdout.buffer.write(field(1, a[1]) if a[1] else b"")
    elif cmd == "info-msg":
        sys.stdout.buffer.write(field(1, 1) + field(2, a[1]))
    elif cmd == "seal":
        seal(a[1], a[2], "--sender-cert" in a[3:])
    elif cmd == "open":
        open_(a[1])
    elif cmd == "field":
        v = parse(sys.stdin.buffer.read()).get(int(a[1]), [b""])[0]
        sys.stdout.buffer.write(v if isinstance(v, bytes) else str(v).encode())
    else:
        sys.exit("evc_v2.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
