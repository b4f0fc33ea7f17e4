#!/usr/bin/env python3
"""A stand-in for bssap-dissect that misbehaves on purpose (tests/probe/test_unknown.cpp).

Speaks bssap-dissect's protocol (probe/src/unknown_tap.cpp): a {"ready":true} line, then per
request (u32 length, u32 linktype, i64 ts_us, little-endian, then the frame) one JSON line.
FAKE_DISSECTOR_STATE names a file counting requests across restarts; FAKE_DISSECTOR_CRASH and
FAKE_DISSECTOR_HANG list the request numbers (1-based, comma separated) on which it exits with
SIGSEGV's status or stops answering.
"""
import json
import os
import struct
import sys
import time

state = os.environ["FAKE_DISSECTOR_STATE"]
crash = {int(x) for x in os.environ.get("FAKE_DISSECTOR_CRASH", "").split(",") if x}
hang = {int(x) for x in os.environ.get("FAKE_DISSECTOR_HANG", "").split(",") if x}
out = sys.stdout.buffer
inp = sys.stdin.buffer
out.write(b'{"ready":true}\n')
out.flush()


def read_exact(n):
    data = b""
    while len(data) < n:
        chunk = inp.read(n - len(data))
        if not chunk:
            sys.exit(0)
        data += chunk
    return data


while True:
    length, linktype, ts = struct.unpack("<IIq", read_exact(16))
    frame = read_exact(length)
    n = int(open(state).read() or 0) + 1 if os.path.exists(state) else 1
    with open(state, "w") as f:
        f.write(str(n))
    if n in crash:
        os.kill(os.getpid(), 11)
    if n in hang:
        time.sleep(3600)
    out.write(json.dumps({"protocols": "fake:%d" % linktype, "info": "request %d" % n, "expert": [],
                          "bytes": length}).encode() + b"\n")
    out.flush()
