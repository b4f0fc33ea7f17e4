#!/usr/bin/env python3
"""Writes the seeds of fuzz_flow (corpus/flow/): the first frames of each classic pcap in pcaps/
in the fuzz_packet input format (tests/decoders/vectors/lower/packet_fuzz_input.hpp), so that
whole procedures (CR, CC, DT1s, RLSD) reach the flow decoder and the correlator together. The
time between frames is kept in whole seconds (selector >> 4, at most 15).
Run from the repository root: python3 tests/fuzz/gen_flow_seeds.py"""
import glob
import os
import struct

# pcap link types -> index of the link type table in packet_fuzz_input.hpp
LINKS = {1: 0, 101: 1, 113: 2, 139: 3, 140: 4, 141: 5, 228: 6, 229: 7, 276: 8}
MAX_FRAMES, MAX_BYTES = 48, 6000

os.makedirs("tests/fuzz/corpus/flow", exist_ok=True)
for path in sorted(glob.glob("pcaps/*.pcap")):
    raw = open(path, "rb").read()
    magic = struct.unpack("<I", raw[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack(endian + "I", raw[20:24])[0]
    if link not in LINKS:
        continue
    out, at, last, frames = bytearray([0]), 24, None, 0
    while at + 16 <= len(raw) and frames < MAX_FRAMES and len(out) < MAX_BYTES:
        sec, _, incl, _ = struct.unpack(endian + "IIII", raw[at:at + 16])
        frame = raw[at + 16:at + 16 + incl]
        at += 16 + incl
        step = 0 if last is None else max(0, min(15, sec - last))
        last = sec
        out += bytes([step << 4 | LINKS[link]]) + struct.pack(">H", len(frame)) + frame
        frames += 1
    with open(os.path.join("tests/fuzz/corpus/flow", os.path.basename(path)[:-5]), "wb") as f:
        f.write(out)
