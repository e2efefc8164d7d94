#!/usr/bin/python3
"""Drives `eved --role download` as the supervisor would: the role's socket
(SOCK_SEQPACKET, fd 3) speaks eved's IPC framing (struct ipc_hdr {u16 type,
u16 flags, u32 len} + payload, SCM_RIGHTS for fds; dom0/core/ipc.c), and
plays the apps role's part: IPC_DL_REQ / IPC_DL_CANCEL down, IPC_DL_STATUS up.

    dl_driver.py SCENARIO --eved BIN --config DIR --persist DIR --base URL
                 [--store-log FILE] [--control FILE] [--cert PEM] [--data DIR]

Exits 0 when the scenario's checks hold, else 1 with the reason on stderr.
The structures below mirror dom0/eved/eved.h (x86-64 layout).
"""
import argparse
import array
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

IPC_HELLO, IPC_PING, IPC_PONG, IPC_LOG, IPC_SHUTDOWN = 1, 2, 3, 4, 5
IPC_DL_REQ, IPC_DL_CANCEL, IPC_DL_STATUS = 12, 13, 14
DL_QUEUED, DL_RUNNING, DL_DONE, DL_FAILED = 0, 1, 2, 3
STATE = {0: "QUEUED", 1: "RUNNING", 2: "DONE", 3: "FAILED"}
ENOENT, EINVAL, ENOSPC = 2, 22, 28
REQ_FIXED = 64 + 1024 + 8 + 4           # offsetof(struct ipc_dl_req, cert_pem)
STATUS_FMT = "<64sIiQQ256s"             # struct ipc_dl_status (344 bytes)
STATUS_LEN = struct.calcsize(STATUS_FMT)
HDR = "<HHI"


class Fail(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Fail(why)


class Role:
    def __init__(self, a, parallel=2):
        self.a = a
        self.sock, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fd = child.fileno()
        args = [a.eved, "--role", "download", "--config", a.config, "--persist", a.persist,
                "--dl-max-parallel", str(parallel), "--log-level", "debug"]
        self.proc = subprocess.Popen(
            ["/bin/sh", "-c", 'exec "$0" "$@" 3<&%d' % fd] + args,
            pass_fds=(fd,), stderr=open(os.path.join(a.persist, "role.stderr"), "a"))
        child.close()
        self.logs = []
        t, data, _ = self.recv(10)
        need(t == IPC_HELLO, "no HELLO from the role (got %r)" % t)

    def close(self):
        try:
            self.send(IPC_SHUTDOWN, b"")
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.sock.close()

    def send(self, t, payload):
        self.sock.sendmsg([struct.pack(HDR, t, 0, len(payload)) + payload])

    def recv(self, timeout):
        """One message that is not a LOG: (type, payload, fd or None)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise Fail("nothing from the role within %s s; its last logs:\n  %s"
                           % (timeout, "\n  ".join(self.logs[-15:])))
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            fds = array.array("i")
            msg, anc, _, _ = self.sock.recvmsg(80000, socket.CMSG_LEN(4))
            need(msg, "the role closed its socket; logs:\n  " + "\n  ".join(self.logs[-15:]))
            fd = None
            for lvl, typ, d in anc:
                if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    fds.frombytes(d[:4])
                    fd = fds[0]
            t, _, n = struct.unpack_from(HDR, msg)
            data = msg[8:8 + n]
            if t == IPC_LOG:
                text = data[17 + 16:17 + 16 + 240].split(b"\0")[0].decode("utf-8", "replace")
                self.logs.append(text)
                continue
            return t, data, fd

    def req(self, dlid, url, max_size=0, cert=b""):
        p = struct.pack("<64s1024sQI", dlid.encode(), url.encode(), max_size, len(cert)) + cert
        self.send(IPC_DL_REQ, p)

    def cancel(self, dlid):
        self.send(IPC_DL_CANCEL, struct.pack("<64s", dlid.encode()))

    def status(self, timeout=20):
        t, data, fd = self.recv(timeout)
        need(t == IPC_DL_STATUS, "expected DL_STATUS, got type %d" % t)
        need(len(data) == STATUS_LEN, "DL_STATUS of %d bytes" % len(data))
        i, state, rc, done, total, err = struct.unpack(STATUS_FMT, data)
        return {"id": i.split(b"\0")[0].decode(), "state": state, "rc": rc, "done": done,
                "total": total, "err": err.split(b"\0")[0].decode(), "fd": fd}

    def until_end(self, dlid, timeout=60):
        """Statuses of dlid up to DONE or FAILED (others' are kept in self.other)."""
        seen = []
        end = time.monotonic() + timeout
        while True:
            s = self.status(max(0.1, end - time.monotonic()))
            if s["id"] != dlid:
                if s["fd"] is not None:
                    os.close(s["fd"])
                continue
            seen.append(s)
            if s["state"] in (DL_DONE, DL_FAILED):
                return seen


def fd_bytes(fd):
    os.lseek(fd, 0, 0)
    chunks = []
    while True:
        b = os.read(fd, 1 << 20)
        if not b:
            break
        chunks.append(b)
    os.close(fd)
    return b"".join(chunks)


def store_log(a):
    if not a.store_log or not os.path.exists(a.store_log):
        return []
    with open(a.store_log) as f:
        return [json.loads(l) for l in f if l.strip()]


def data(a, name):
    with open(os.path.join(a.data, name), "rb") as f:
        return f.read()


def done_ok(a, seen, name):
    last = seen[-1]
    need(last["state"] == DL_DONE, "ended %s rc %d: %s" % (STATE[last["state"]], last["rc"],
                                                           last["err"]))
    need(last["fd"] is not None, "DL_DONE without an fd")
    flags = os.fstat(last["fd"])
    need(flags.st_size == len(data(a, name)), "fd size %d" % flags.st_size)
    need(fd_bytes(last["fd"]) == data(a, name), "the fd's bytes differ from the source")


# ------------------------------------------------------------------ scenarios

def sc_good(a, r):
    r.req("good", a.base + "/big.bin")
    seen = r.until_end("good")
    done_ok(a, seen, "big.bin")
    need(seen[0]["state"] == DL_RUNNING, "first status %s" % STATE[seen[0]["state"]])
    need(os.path.exists(os.path.join(a.persist, "downloads", "good")), "no file in downloads")
    need(not os.path.exists(os.path.join(a.persist, "downloads", "good.part")), ".part left")
    n = len(store_log(a))
    # asked again: DONE at once, with an fd, no new request to the datastore
    r.req("good", a.base + "/big.bin")
    s = r.status()
    need(s["state"] == DL_DONE and s["fd"] is not None, "a repeated REQ: %r" % s)
    need(fd_bytes(s["fd"]) == data(a, "big.bin"), "repeated REQ: bytes differ")
    need(len(store_log(a)) == n, "a finished file was fetched again")
    st = os.stat(os.path.join(a.persist, "downloads"))
    need(st.st_mode & 0o777 == 0o700, "downloads folder mode %o" % (st.st_mode & 0o777))


def sc_progress(a, r):
    r.req("slow", a.base + "/slow.bin?rate=400000")
    seen = r.until_end("slow")
    done_ok(a, seen, "slow.bin")
    prog = [s["done"] for s in seen if s["state"] == DL_RUNNING and s["done"] > 0]
    need(len(prog) >= 2, "progress reports: %r" % prog)
    need(prog == sorted(prog), "progress went backwards: %r" % prog)
    need(all(s["total"] in (0, len(data(a, "slow.bin"))) for s in seen), "wrong totals")


def sc_resume(a, r):
    r.req("cut", a.base + "/big.bin?cutonce=1000000")
    seen = r.until_end("cut")
    done_ok(a, seen, "big.bin")
    retried = [s for s in seen if s["state"] == DL_RUNNING and s["rc"] != 0]
    need(retried, "no retried error reported while DL_RUNNING: %r" % seen)
    need("big.bin" in retried[0]["err"], "retried error does not name the URL: %r"
         % retried[0]["err"])
    ranges = [l["range"] for l in store_log(a) if l["path"] == "/big.bin" and l["range"]]
    need(ranges == ["bytes=1000000-"], "datastore saw ranges %r" % ranges)


def sc_404(a, r):
    url = a.base + "/missing.bin"
    r.req("nf", url)
    seen = r.until_end("nf")
    last = seen[-1]
    need(last["state"] == DL_FAILED, "state %s" % STATE[last["state"]])
    need(last["rc"] == -ENOENT, "rc %d" % last["rc"])
    need(last["err"] == url + ": 404 Not Found", "err %r" % last["err"])
    need(last["fd"] is None, "an fd with DL_FAILED")


def sc_diskfull(a, r):
    r.req("full", a.base + "/big.bin")
    seen = r.until_end("full")
    last = seen[-1]
    need(last["state"] == DL_FAILED, "state %s" % STATE[last["state"]])
    need(last["rc"] == -ENOSPC, "rc %d (want -ENOSPC)" % last["rc"])
    need(last["err"].startswith("disk full: " + a.base + "/big.bin needs "), "err %r"
         % last["err"])
    need("downloads has" in last["err"], "err does not name the folder: %r" % last["err"])


def sc_parallel(a, r):
    for i in range(3):
        r.req("p%d" % i, a.base + "/slow.bin?rate=300000")
    first = {}
    ended = set()
    while len(ended) < 3:
        s = r.status(60)
        first.setdefault(s["id"], s["state"])
        if s["state"] in (DL_DONE, DL_FAILED):
            need(s["state"] == DL_DONE, "%s failed: %s" % (s["id"], s["err"]))
            need(fd_bytes(s["fd"]) == data(a, "slow.bin"), "%s: bytes differ" % s["id"])
            ended.add(s["id"])
    need(first == {"p0": DL_RUNNING, "p1": DL_RUNNING, "p2": DL_QUEUED},
         "first states: %r" % {k: STATE[v] for k, v in first.items()})
    log = [l for l in store_log(a) if l["path"] == "/slow.bin"]
    need(len(log) == 3, "datastore requests: %r" % log)


def sc_cancel(a, r):
    r.req("c1", a.base + "/slow.bin?rate=100000")
    s = r.status()
    need(s["state"] == DL_RUNNING, "state %s" % STATE[s["state"]])
    part = os.path.join(a.persist, "downloads", "c1.part")
    end = time.monotonic() + 10
    while not (os.path.exists(part) and os.path.getsize(part) > 0):
        need(time.monotonic() < end, "no partial file")
        time.sleep(0.05)
    r.cancel("c1")
    # the role kills and reaps the worker, then deletes the files
    end = time.monotonic() + 10
    while os.path.exists(part):
        need(time.monotonic() < end, "the partial file survived the cancel")
        time.sleep(0.05)
    workers = subprocess.run(["pgrep", "-P", str(r.proc.pid)], capture_output=True, text=True)
    need(workers.stdout.strip() == "", "a worker survived the cancel: %r" % workers.stdout)


def sc_https(a, r):
    with open(a.cert, "rb") as f:
        pem = f.read()
    r.req("tls", a.base + "/big.bin", cert=pem)
    done_ok(a, r.until_end("tls"), "big.bin")
    with open(a.wrong_cert, "rb") as f:
        bad = f.read()
    r.req("tlsbad", a.base + "/big.bin", cert=bad)
    last = r.until_end("tlsbad")[-1]
    need(last["state"] == DL_FAILED, "wrong anchors: state %s" % STATE[last["state"]])
    need("NOT_TRUSTED" in last["err"] and a.base in last["err"], "err %r" % last["err"])


def sc_limits(a, r):
    r.req("../x", a.base + "/big.bin")
    s = r.status()
    need(s["state"] == DL_FAILED and s["rc"] == -EINVAL and "id" in s["err"], "bad id: %r" % s)
    r.req("ftp", "ftp://127.0.0.1/x")
    s = r.status()
    need(s["state"] == DL_FAILED and s["rc"] == -EINVAL and "ftp" in s["err"], "bad URL: %r" % s)
    r.req("small", a.base + "/big.bin", max_size=1000)
    last = r.until_end("small")[-1]
    need(last["state"] == DL_FAILED and "over the limit of 1000" in last["err"], "%r" % last)


def sc_outage(a, r):
    # the datastore answers 503 (control file) until the test removes the fault
    with open(a.control, "w") as f:
        json.dump({"status": 503}, f)
    try:
        r.req("outage", a.base + "/big.bin")
        while True:
            s = r.status()
            need(s["state"] == DL_RUNNING, "during the outage: %r" % s)
            if s["rc"] != 0:
                break
        need("503 Service Unavailable" in s["err"] and a.base in s["err"], "err %r" % s["err"])
    finally:
        os.unlink(a.control)
    done_ok(a, r.until_end("outage"), "big.bin")


def sc_killworker(a, r):
    r.req("kw", a.base + "/slow.bin?rate=300000")
    part = os.path.join(a.persist, "downloads", "kw.part")
    end = time.monotonic() + 10
    while not (os.path.exists(part) and os.path.getsize(part) > 100000):
        need(time.monotonic() < end, "no partial file")
        time.sleep(0.05)
    workers = subprocess.run(["pgrep", "-P", str(r.proc.pid)], capture_output=True, text=True)
    pids = workers.stdout.split()
    need(len(pids) == 1, "workers: %r" % pids)
    os.kill(int(pids[0]), 9)
    seen = r.until_end("kw")
    done_ok(a, seen, "slow.bin")
    died = [s for s in seen if "worker died (signal 9)" in s["err"]]
    need(died and died[0]["state"] == DL_RUNNING, "no retry after the worker died: %r" % seen)
    ranges = [l["range"] for l in store_log(a) if l["path"] == "/slow.bin"]
    need(len(ranges) == 2 and ranges[0] is None and ranges[1].startswith("bytes="),
         "datastore saw %r" % ranges)


SCENARIOS = {"good": sc_good, "progress": sc_progress, "resume": sc_resume, "404": sc_404,
             "diskfull": sc_diskfull, "parallel": sc_parallel, "cancel": sc_cancel,
             "https": sc_https, "limits": sc_limits, "outage": sc_outage,
             "killworker": sc_killworker}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--eved", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--persist", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--store-log")
    ap.add_argument("--control")
    ap.add_argument("--cert")
    ap.add_argument("--wrong-cert")
    ap.add_argument("--parallel", type=int, default=2)
    a = ap.parse_args()
    r = Role(a, a.parallel)
    try:
        SCENARIOS[a.scenario](a, r)
    except Fail as e:
        print("%s: %s" % (a.scenario, e), file=sys.stderr)
        print("role logs:\n  " + "\n  ".join(r.logs[-20:]), file=sys.stderr)
        return 1
    finally:
        r.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
