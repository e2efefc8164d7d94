#!/usr/bin/python3
"""A man in the middle for tests: a TLS server with the controller's own
server certificate (so TLS passes) that relays requests to the real
controller and spoils its replies to one path, the way a compromised network
or a broken controller would.  Only loopback.

    hostile_controller.py PORT UPSTREAM_PORT CERT KEY ROOT MODE PATH_PART
MODE: tamper   flip a byte inside the reply body (the signature must fail)
      truncate announce the whole body, send half of it, close
      oversize announce a 64 MiB body, send a little, close
      garbage  replace the body with bytes that are no AuthContainer
"""
import http.client
import socket
import ssl
import sys
import threading

port, up_port, cert, key, root, mode, part = sys.argv[1:8]
port, up_port = int(port), int(up_port)

server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
server_ctx.maximum_version = ssl.TLSVersion.TLSv1_2
server_ctx.load_cert_chain(cert, key)
client_ctx = ssl.create_default_context(cafile=root)


def read_request(f):
    line = f.readline()
    if not line:
        return None
    method, target, _ = line.decode().split(" ", 2)
    headers = {}
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, v = h.decode().split(":", 1)
        headers[k.strip().lower()] = v.strip()
    body = f.read(int(headers.get("content-length", "0")))
    return method, target, headers, body


def serve(conn):
    f = conn.makefile("rb")
    try:
        while True:
            req = read_request(f)
            if req is None:
                return
            method, target, headers, body = req
            up = http.client.HTTPSConnection("localhost", up_port, context=client_ctx, timeout=10)
            up.request(method, target, body=body,
                       headers={"Content-Type": "application/x-proto-binary"})
            r = up.getresponse()
            data = r.read()
            up.close()
            head = "HTTP/1.1 %d %s\r\nContent-Type: application/x-proto-binary\r\n" % (
                r.status, r.reason)
            if part in target and data:
                if mode == "tamper":
                    b = bytearray(data)
                    b[len(b) // 2] ^= 0x01
                    data = bytes(b)
                elif mode == "garbage":
                    data = b"\xff" * 40
                elif mode == "truncate":
                    conn.sendall((head + "Content-Length: %d\r\n\r\n" % len(data)).encode()
                                 + data[:len(data) // 2])
                    return
                elif mode == "oversize":
                    conn.sendall((head + "Content-Length: %d\r\n\r\n" % (64 << 20)).encode()
                                 + data)
                    return
            conn.sendall((head + "Content-Length: %d\r\n\r\n" % len(data)).encode() + data)
    except Exception as e:  # a test peer: report and drop the connection
        print("hostile:", e, file=sys.stderr, flush=True)
    finally:
        conn.close()


lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", port))
lsock.listen(16)
print("listening", flush=True)
while True:
    c, _ = lsock.accept()
    try:
        tc = server_ctx.wrap_socket(c, server_side=True)
    except Exception as e:
        print("hostile: handshake:", e, file=sys.stderr, flush=True)
        c.close()
        continue
    threading.Thread(target=serve, args=(tc,), daemon=True).start()
