#!/usr/bin/python3
"""A test datastore: serves a folder over HTTP or HTTPS with Range support
and fault injection, for the download tests and bench.

    datastore.py --root DIR [--port N] [--cert PEM --key PEM] [--log FILE]
                 [--control FILE]

Prints "port N" on stdout once it listens (--bind, default 127.0.0.1; N chosen when 0).

GET /NAME serves DIR/NAME: 200 with Content-Length, or with
"Range: bytes=A-" / "bytes=A-B" 206 with Content-Range (416 with
"Content-Range: bytes */SIZE" past the end).  HEAD too.

Faults, by query string (?...) or, for every request, by the JSON control
file (re-read on each request, e.g. {"cut": 1000} ):
    cut=N         send N body bytes, then close the connection (truncated)
    cutonce=N     the same, only for the first request of that URL
    status=404    answer that status with a short body
    rate=B        at most B body bytes per second (slow)
    norange=1     ignore Range (always 200)
Every request is logged (one JSON object a line) to --log: path, range,
status; the tests assert that a resume used a Range.
"""
import argparse
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

LOCK = threading.Lock()
SEEN = {}  # URL (path and query) -> number of requests


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "datastore/1"

    def log_message(self, fmt, *args):
        pass

    def _faults(self, query):
        f = {}
        ctl = self.server.control
        if ctl and os.path.exists(ctl):
            try:
                with open(ctl) as c:
                    f.update(json.load(c))
            except (OSError, ValueError):
                pass
        for k, v in urllib.parse.parse_qsl(query):
            f[k] = v
        return f

    def _log(self, rec):
        if self.server.logfile:
            with LOCK, open(self.server.logfile, "a") as lf:
                lf.write(json.dumps(rec) + "\n")

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    def _serve(self, head):
        u = urllib.parse.urlsplit(self.path)
        name = urllib.parse.unquote(u.path).lstrip("/")
        faults = self._faults(u.query)
        rng = self.headers.get("Range")
        with LOCK:
            SEEN[self.path] = SEEN.get(self.path, 0) + 1
            nth = SEEN[self.path]
        rec = {"path": u.path, "range": rng, "n": nth}
        if "status" in faults:
            st = int(faults["status"])
            body = (b"%d\n" % st)
            rec["status"] = st
            self._log(rec)
            self.send_response(st)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            return
        full = os.path.realpath(os.path.join(self.server.root, name))
        if not full.startswith(self.server.root + os.sep) or not os.path.isfile(full):
            rec["status"] = 404
            self._log(rec)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        size = os.path.getsize(full)
        start, end = 0, size - 1
        status = 200
        if rng and not faults.get("norange") and rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            start = int(a) if a else 0
            end = min(int(b), size - 1) if b else size - 1
            if start >= size:
                rec["status"] = 416
                self._log(rec)
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % size)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        n = end - start + 1
        rec["status"] = status
        self._log(rec)
        self.send_response(status)
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
        self.send_header("Content-Length", str(n))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if head:
            return
        cut = None
        if "cut" in faults:
            cut = int(faults["cut"])
        if "cutonce" in faults and nth == 1:
            cut = int(faults["cutonce"])
        rate = float(faults.get("rate", 0))
        sent = 0
        t0 = time.monotonic()
        with open(full, "rb") as f:
            f.seek(start)
            while sent < n:
                want = min(256 * 1024, n - sent)
                if rate:
                    want = min(want, max(1, int(rate / 10)))
                if cut is not None:
                    want = min(want, cut - sent)
                    if want <= 0:
                        break
                chunk = f.read(want)
                if not chunk:
                    break
                try:
                    self.wfile.write(chunk)
                except OSError:
                    return
                sent += len(chunk)
                if rate:
                    ahead = sent / rate - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)
        if sent < n:
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--log")
    ap.add_argument("--control")
    a = ap.parse_args()
    srv = Server((a.bind, a.port), Handler)
    srv.root = os.path.realpath(a.root)
    srv.logfile = a.log
    srv.control = a.control
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("port %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
