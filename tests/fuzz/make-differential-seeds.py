#!/usr/bin/env python3
"""Writes fuzz_differential's seeds (tests/fuzz/fuzz_differential.cpp input format) from the
committed captures: windows of consecutive frames of each capture, one folder per transport
family under tests/fuzz/corpus/differential/. Run from the checkout root; same captures, same
seeds. Only classic pcap files are read."""
import os
import struct

# family -> [(capture, selector octet)]; selector: link type index (fuzz_differential.cpp
# link_types: 0 Ethernet, 1 MTP2 with pseudo-header, 3 MTP3), bit 7 = 24-bit point codes.
FAMILIES = {
    "m3ua": [("pcaps/m3ua.pcap", 0), ("pcaps/iucs-m3ua.pcap", 0)],
    "sua": [("pcaps/iucs-sua.pcap", 0)],
    "ipa": [("pcaps/ipa-split.pcap", 0), ("pcaps/ipa.pcap", 0)],
    "mtp": [("pcaps/mtp2.pcap", 1), ("pcaps/mtp3.pcap", 3), ("pcaps/mtp3-pc24.pcap", 0x83)],
}
WINDOW = 6  # frames per seed: enough for a handshake plus a CR / CC / DT1
WINDOWS = 10  # seeds per capture, spread over it


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    pos = 24
    out = []
    while pos + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[pos : pos + 16])
        pos += 16
        out.append(data[pos : pos + caplen])
        pos += caplen
    return out


def main():
    for family, captures in FAMILIES.items():
        folder = os.path.join("tests/fuzz/corpus/differential", family)
        os.makedirs(folder, exist_ok=True)
        for capture, selector in captures:
            fs = frames(capture)
            step = max(1, (len(fs) - WINDOW) // WINDOWS)
            for n, start in enumerate(range(0, len(fs) - WINDOW, step)[:WINDOWS]):
                seed = bytes([selector])
                for fr in fs[start : start + WINDOW]:
                    seed += struct.pack(">H", len(fr)) + fr
                name = "%s-%02d" % (os.path.splitext(os.path.basename(capture))[0], n)
                with open(os.path.join(folder, name), "wb") as f:
                    f.write(seed)


if __name__ == "__main__":
    main()
