#!/usr/bin/python3
"""Cross-check of dom0/pbjson against python3-protobuf's json_format.

Driven by tests/unit/test_pbjson.c (test_python_crosscheck), in two steps
over one work folder WORK:

  pbjson_xcheck.py gen  PYOUT WORK SEED COUNT
      Generates Python modules for proto/ into PYOUT (protoc --python_out),
      then writes COUNT random messages of every top-level type as
      py_NNNN.{type,bin,json}: the type name, SerializeToString() and
      MessageToJson() with varying options (JSON or proto names, enum names
      or numbers, defaults or not, indented or compact, ASCII-escaped or not).
      For every ours_NNNN.{type,json,bin} the C side wrote (its JSON and its
      protobuf-c bytes), writes ours_NNNN.py.{json,bin}: MessageToJson of
      the message parsed from our bytes, and its bytes.

  pbjson_xcheck.py check PYOUT WORK
      Compares, printing one line per comparison, "ok NAME [how]" or
      "FAIL NAME: why":
       (a) our JSON -> json_format.Parse -> SerializeToString() equals our
           protobuf-c bytes (or, where byte order differs, e.g. in maps, the
           parsed message equals the one parsed from our bytes);
       (b) python's JSON -> our parser -> protobuf-c bytes (*.c.bin, written
           by the C side) equal python's bytes, or parse to an equal message;
       (c) our JSON for python's message (*.c.json) parses in python to a
           message equal to the original;
       (d) fields.txt (the C side's JSON name and map/not-map for every field
           of every message reachable from the top-level types) matches
           python's descriptors (json_name, map_entry).
Exit status 0 when the steps ran (the C side counts the FAIL lines).
"""
import math
import os
import random
import struct
import subprocess
import sys

TOP_LEVEL = [
    "org.lfedge.eve.config.EdgeDevConfig",
    "org.lfedge.eve.config.ConfigRequest",
    "org.lfedge.eve.config.ConfigResponse",
    "org.lfedge.eve.config.BootstrapConfig",
    "org.lfedge.eve.info.ZInfoMsg",
    "org.lfedge.eve.metrics.ZMetricMsg",
    "org.lfedge.eve.logs.LogEntry",
    "org.lfedge.eve.logs.LogBundle",
    "org.lfedge.eve.auth.AuthContainer",
    "org.lfedge.eve.register.ZRegisterMsg",
    "org.lfedge.eve.certs.ZControllerCert",
    "org.lfedge.eve.uuid.UuidResponse",
    "org.lfedge.eve.attest.ZAttestReq",
    "org.lfedge.eve.attest.ZAttestResponse",
]


def gen_modules(pyout):
    protos = []
    for root, _, files in os.walk("proto"):
        for f in files:
            if f.endswith(".proto"):
                protos.append(os.path.relpath(os.path.join(root, f), "proto"))
    os.makedirs(pyout, exist_ok=True)
    subprocess.run(["protoc", "--python_out=" + pyout, "--proto_path=proto",
                    "--proto_path=/usr/include"] + sorted(protos) +
                   ["protobuf-c/protobuf-c.proto"], check=True)


def load(pyout):
    sys.path.insert(0, pyout)
    import importlib
    for root, _, files in os.walk(pyout):
        for f in files:
            if f.endswith("_pb2.py"):
                rel = os.path.relpath(os.path.join(root, f), pyout)[:-3]
                importlib.import_module(rel.replace(os.sep, "."))
    from google.protobuf import descriptor_pool, json_format, message_factory
    pool = descriptor_pool.Default()
    factory = message_factory.MessageFactory(pool)

    def cls(name):
        return factory.GetPrototype(pool.FindMessageTypeByName(name))
    return cls, json_format, pool


# ---------------------------------------------------------------- random values

INT32 = [0, 1, -1, 2**31 - 1, -2**31, 127, 128, 300]
UINT32 = [0, 1, 2**32 - 1, 2**31, 255, 65536]
INT64 = [0, 1, -1, 2**63 - 1, -2**63, 2**53 + 1, -(2**53) - 1, 10**15]
UINT64 = [0, 1, 2**64 - 1, 2**63, 2**53 + 1]
FLOATS = [0.0, 1.0, -1.5, 0.1, 3.4028234663852886e38, 1.401298464324817e-45,
          1.1754943508222875e-38, float("inf"), float("-inf"), 16777216.0, -0.0]
DOUBLES = [0.0, 0.1, -2.5, 1e300, 5e-324, 2.2250738585072014e-308,
           1.7976931348623157e308, float("inf"), float("-inf"), 2.0**53 + 2, -0.0]
CHARS = ("abcXYZ019 _-./:" + '"\\' + "\b\f\n\r\t\x01\x1f\x7f" +
         "\u00e9\u00df\u0394\u4e2d\u2028\u2029\ufeff\uffff\U0001f600\U0010ffff")


def rand_string(rnd):
    return "".join(rnd.choice(CHARS) for _ in range(rnd.randint(0, 12)))


def rand_scalar(rnd, f):
    from google.protobuf.descriptor import FieldDescriptor as F
    t = f.type
    if t in (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32):
        return rnd.choice(INT32 + [rnd.randint(-2**31, 2**31 - 1)])
    if t in (F.TYPE_UINT32, F.TYPE_FIXED32):
        return rnd.choice(UINT32 + [rnd.randint(0, 2**32 - 1)])
    if t in (F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64):
        return rnd.choice(INT64 + [rnd.randint(-2**63, 2**63 - 1)])
    if t in (F.TYPE_UINT64, F.TYPE_FIXED64):
        return rnd.choice(UINT64 + [rnd.randint(0, 2**64 - 1)])
    if t == F.TYPE_FLOAT:
        x = rnd.choice(FLOATS + [rnd.uniform(-1e6, 1e6), rnd.uniform(-1, 1) * 10**rnd.randint(-40, 38)])
        return struct.unpack("f", struct.pack("f", x))[0] if math.isfinite(x) and abs(x) < 3.4e38 else x
    if t == F.TYPE_DOUBLE:
        return rnd.choice(DOUBLES + [rnd.uniform(-1e9, 1e9), rnd.uniform(-1, 1) * 10**rnd.randint(-300, 300)])
    if t == F.TYPE_BOOL:
        return rnd.random() < 0.5
    if t == F.TYPE_STRING:
        return rand_string(rnd)
    if t == F.TYPE_BYTES:
        return bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 20)))
    if t == F.TYPE_ENUM:
        if rnd.random() < 0.15:
            return rnd.choice([77, 1000, -5])   # proto3: open enum, no name
        return rnd.choice(f.enum_type.values).number
    raise ValueError(t)


def is_map(f):
    return (f.message_type is not None and f.message_type.GetOptions().map_entry)


def fill(rnd, msg, depth):
    d = msg.DESCRIPTOR
    if d.full_name == "google.protobuf.Timestamp":
        msg.seconds = rnd.choice([0, 63115220, -1, 253402300799, -62135596800,
                                  rnd.randint(-62135596800, 253402300799)])
        msg.nanos = rnd.choice([0, 21000000, 123456000, 999999999, rnd.randint(0, 999999999)])
        return
    oneof_fields = set()
    for o in d.oneofs:
        oneof_fields.update(f.name for f in o.fields)
        if rnd.random() < 0.6:
            f = rnd.choice(o.fields)
            if f.message_type is not None:
                if depth < 5:
                    sub = getattr(msg, f.name)
                    sub.SetInParent()
                    fill(rnd, sub, depth + 1)
            else:
                setattr(msg, f.name, rand_scalar(rnd, f))
    for f in d.fields:
        if f.name in oneof_fields or rnd.random() < 0.45:
            continue
        if is_map(f):
            kf = f.message_type.fields_by_name["key"]
            vf = f.message_type.fields_by_name["value"]
            for _ in range(rnd.randint(0, 3)):
                k = rand_scalar(rnd, kf)
                if vf.message_type is not None:
                    if depth < 5:
                        fill(rnd, getattr(msg, f.name)[k], depth + 1)
                else:
                    getattr(msg, f.name)[k] = rand_scalar(rnd, vf)
        elif f.label == f.LABEL_REPEATED:
            for _ in range(rnd.randint(0, 3 if depth < 4 else 1)):
                if f.message_type is not None:
                    if depth < 5:
                        fill(rnd, getattr(msg, f.name).add(), depth + 1)
                else:
                    getattr(msg, f.name).append(rand_scalar(rnd, f))
        elif f.message_type is not None:
            if depth < 5:
                sub = getattr(msg, f.name)
                sub.SetInParent()
                fill(rnd, sub, depth + 1)
        else:
            setattr(msg, f.name, rand_scalar(rnd, f))


def write(path, data):
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def cmd_gen(pyout, work, seed, count):
    gen_modules(pyout)
    cls, jf, _ = load(pyout)
    rnd = random.Random(seed)
    n = 0
    for name in TOP_LEVEL:
        for i in range(count):
            m = cls(name)()
            fill(rnd, m, 0)
            opts = dict(including_default_value_fields=rnd.random() < 0.25,
                        preserving_proto_field_name=rnd.random() < 0.3,
                        use_integers_for_enums=rnd.random() < 0.2,
                        indent=rnd.choice([None, 2, 0]),
                        ensure_ascii=rnd.random() < 0.5)
            if i == 0:  # the plain canonical form at least once per type
                opts = dict(preserving_proto_field_name=False)
            base = os.path.join(work, "py_%04d" % n)
            write(base + ".type", name)
            write(base + ".bin", m.SerializeToString())
            write(base + ".json", jf.MessageToJson(m, **opts))
            n += 1
    for f in sorted(os.listdir(work)):
        if f.startswith("ours_") and f.endswith(".type"):
            base = os.path.join(work, f[:-5])
            m = cls(read(base + ".type").decode())()
            m.ParseFromString(read(base + ".bin"))
            write(base + ".py.json", jf.MessageToJson(m))
            write(base + ".py.bin", m.SerializeToString())


def zap_negative_zero(msg):
    """Clear proto3 float/double fields holding -0.0 (outside oneofs): protobuf-c
    packs those fields only when they differ from 0.0, so -0.0 never reaches
    its bytes (C++ and python do send it).  Returns True if anything changed."""
    from google.protobuf.descriptor import FieldDescriptor as F
    changed = False
    for f, v in msg.ListFields():
        if f.label == F.LABEL_REPEATED:
            if f.message_type is not None:
                vals = v.values() if is_map(f) else v
                for sub in vals:
                    if not isinstance(sub, (int, float, str, bytes)):
                        changed |= zap_negative_zero(sub)
        elif f.message_type is not None:
            changed |= zap_negative_zero(v)
        elif (f.cpp_type in (F.CPPTYPE_FLOAT, F.CPPTYPE_DOUBLE) and f.containing_oneof is None
              and v == 0 and math.copysign(1.0, v) < 0):
            msg.ClearField(f.name)
            changed = True
    return changed


def same(cls, name, a, b, ref_is_b=True):
    """How our bytes/message @a and the reference @b agree, or None."""
    if a == b:
        return "bytes"
    ma, mb = cls(name)(), cls(name)()
    ma.ParseFromString(a)
    mb.ParseFromString(b)
    if ma == mb:
        return "message"
    if ma.SerializeToString(deterministic=True) == mb.SerializeToString(deterministic=True):
        return "deterministic bytes"  # NaN != NaN, so == fails; bytes agree
    if zap_negative_zero(mb) and (ma == mb or ma.SerializeToString(deterministic=True)
                                  == mb.SerializeToString(deterministic=True)):
        return "message (but for -0.0, which protobuf-c does not pack)"
    return None


def walk_messages(pool):
    seen, order = set(), []

    def visit(d):
        if d.full_name in seen:
            return
        seen.add(d.full_name)
        order.append(d)
        for f in d.fields:
            if f.message_type is not None:
                visit(f.message_type)
    for name in TOP_LEVEL:
        visit(pool.FindMessageTypeByName(name))
    return order


def cmd_check(pyout, work):
    cls, jf, pool = load(pyout)
    for f in sorted(os.listdir(work)):
        if not f.endswith(".type"):
            continue
        base = os.path.join(work, f[:-5])
        tag = f[:-5]
        name = read(base + ".type").decode()
        if tag.startswith("ours_"):
            # (a) our JSON -> python -> bytes == protobuf-c bytes
            try:
                m = jf.Parse(read(base + ".json"), cls(name)())
                how = same(cls, name, m.SerializeToString(), read(base + ".bin"))
                print(("ok %s (a) our JSON parsed by python, %s equal" % (tag, how)) if how
                      else "FAIL %s (a): python's parse of our JSON differs from our bytes" % tag)
            except Exception as e:  # noqa: BLE001 - report, do not stop
                print("FAIL %s (a): python refused our JSON: %s" % (tag, str(e).replace("\n", " ")))
        for side, js, cbin in ((tag, base + ".json", base + ".c.bin"),
                               (tag + ".py", base + ".py.json", base + ".py.c.bin")):
            if tag.startswith("ours_") and side == tag:
                continue
            if not os.path.exists(js):
                continue
            ref = read(base + (".bin" if side == tag else ".py.bin"))
            # (b) python's JSON -> our parser -> bytes == python's bytes
            if not os.path.exists(cbin):
                print("FAIL %s (b): the C side did not parse python's JSON" % side)
            else:
                how = same(cls, name, read(cbin), ref)
                print(("ok %s (b) python's JSON parsed by pbjson, %s equal" % (side, how)) if how
                      else "FAIL %s (b): our parse of python's JSON differs from python's bytes" % side)
            # (c) our JSON of that message -> python -> same message
            cjs = cbin[:-4] + ".json"
            if os.path.exists(cjs):
                try:
                    m = jf.Parse(read(cjs), cls(name)())
                    how = same(cls, name, m.SerializeToString(), ref)
                    print(("ok %s (c) our JSON re-parsed by python, %s equal" % (side, how)) if how
                          else "FAIL %s (c): python's parse of our JSON differs" % side)
                except Exception as e:  # noqa: BLE001
                    print("FAIL %s (c): python refused our JSON: %s" % (side, str(e).replace("\n", " ")))
    # (d) field names and map fields, as protoc and python see them
    want = []
    for d in walk_messages(pool):
        for f in d.fields:
            want.append("%s %s %s %s" % (d.full_name, f.name, f.json_name,
                                         "map" if is_map(f) else "-"))
    got = read(os.path.join(work, "fields.txt")).decode().splitlines()
    if sorted(want) == sorted(got):
        print("ok fields.txt (d) %d fields: JSON names and map fields agree" % len(want))
    else:
        diff = sorted(set(want) ^ set(got))[:6]
        print("FAIL fields.txt (d): %d python, %d C lines; differences: %s"
              % (len(want), len(got), "; ".join(diff)))


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "gen":
        cmd_gen(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        cmd_check(sys.argv[2], sys.argv[3])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
