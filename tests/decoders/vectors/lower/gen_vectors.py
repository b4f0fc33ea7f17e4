#!/usr/bin/env python3
"""Builds the lower-layer hex vectors (tests/decoders/vectors/lower/*.hex) by hand, field by field.

Each vector file holds one or more frames, separated by lines starting with "# --- frame".
Every file was cross-checked with tshark 4.0.17: `gen_vectors.py --check` writes one pcap per file
(with the file's link type) and prints tshark's one-line summary and the SCCP count; those lines are
pasted into each file's header as provenance. Regenerate only on purpose:
    python3 tests/decoders/vectors/lower/gen_vectors.py          # rewrite the .hex files
    python3 tests/decoders/vectors/lower/gen_vectors.py --check  # tshark summaries
    python3 tests/decoders/vectors/lower/gen_vectors.py --seeds  # tests/fuzz/corpus/packet/ seeds
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- checksums
def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def inet_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


# ---------------------------------------------------------------- SCCP / BSSAP payloads (upper layers, opaque here)
def sccp_udt(data: bytes, calling_pc=1, called_pc=2, pc_len=2) -> bytes:
    """Q.713 4.10 UDT, class 0, called/calling: AI 0x43 (route on SSN, PC and SSN present), SSN 254 (BSSAP)."""
    called = bytes([0x43]) + struct.pack("<I", called_pc)[:pc_len] + b"\xfe"
    calling = bytes([0x43]) + struct.pack("<I", calling_pc)[:pc_len] + b"\xfe"
    p1 = 3
    p2 = 2 + 1 + len(called)
    p3 = 1 + 1 + len(called) + 1 + len(calling)
    return bytes([0x09, 0x00, p1, p2, p3, len(called)]) + called + bytes([len(calling)]) + calling + bytes([len(data)]) + data


BSSMAP_RESET = bytes.fromhex("00 04 30 04 01 20")  # BSSMAP Reset, cause 0x20 (TS 48.008 3.2.1.23)


def bssmap_reset_udt(n=0, calling_pc=1, called_pc=2, pc_len=2):
    # vary the cause octet so messages are distinguishable
    return sccp_udt(bytes.fromhex("00 04 30 04 01") + bytes([0x20 + n]), calling_pc, called_pc, pc_len)


# ---------------------------------------------------------------- M3UA
def m3ua_data(sccp: bytes, opc=1, dpc=2, si=3, ni=2, mp=0, sls=5, rc=None) -> bytes:
    params = b""
    if rc is not None:
        params += struct.pack("!HHI", 0x0006, 8, rc)
    pd = struct.pack("!IIBBBB", opc, dpc, si, ni, mp, sls) + sccp
    plen = 4 + len(pd)
    params += struct.pack("!HH", 0x0210, plen) + pd + b"\0" * ((4 - plen % 4) % 4)
    return struct.pack("!BBBBI", 1, 0, 1, 1, 8 + len(params)) + params


def m3ua_msg(cls, typ, params=b"") -> bytes:
    return struct.pack("!BBBBI", 1, 0, cls, typ, 8 + len(params)) + params


# ---------------------------------------------------------------- SCTP
def sctp_data_chunk(tsn, user, stream=0, ssn=0, ppid=3, b=True, e=True, u=False) -> bytes:
    flags = (4 if u else 0) | (2 if b else 0) | (1 if e else 0)
    length = 16 + len(user)
    return struct.pack("!BBHIHHI", 0, flags, length, tsn, stream, ssn, ppid) + user + b"\0" * ((4 - length % 4) % 4)


def sctp_sack(cum_tsn) -> bytes:
    return struct.pack("!BBHIIHH", 3, 0, 16, cum_tsn, 65535, 0, 0)


def sctp_packet(sport, dport, vtag, chunks: bytes, bad_crc=False) -> bytes:
    hdr = struct.pack("!HHII", sport, dport, vtag, 0)
    crc = crc32c(hdr + chunks)
    if bad_crc:
        crc ^= 0x1
    return struct.pack("!HHI", sport, dport, vtag) + struct.pack("<I", crc) + chunks


# ---------------------------------------------------------------- TCP
def tcp_segment(sport, dport, seq, ack, flags, payload=b"", src=None, dst=None) -> bytes:
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    if src is not None:
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
        cs = inet_checksum(pseudo + hdr + payload)
        hdr = hdr[:16] + struct.pack("!H", cs) + hdr[18:]
    return hdr + payload


def ipa(stream, payload: bytes) -> bytes:
    return struct.pack("!HB", len(payload), stream) + payload


# ---------------------------------------------------------------- IP
A = bytes([10, 0, 0, 1])
B = bytes([10, 0, 0, 2])
A6 = bytes.fromhex("20010db8000000000000000000000001")
B6 = bytes.fromhex("20010db8000000000000000000000002")


def ipv4(proto, payload, src=A, dst=B, ident=0x1234, mf=False, frag_off=0, total_len=None) -> bytes:
    tl = total_len if total_len is not None else 20 + len(payload)
    flags = (0x2000 if mf else 0) | (frag_off // 8)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl, ident, flags, 64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", inet_checksum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(nh, payload, src=A6, dst=B6) -> bytes:
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, 64) + src + dst + payload


def tcp4(sport, dport, seq, ack, flags, payload=b"", src=A, dst=B):
    return ipv4(6, tcp_segment(sport, dport, seq, ack, flags, payload, src, dst), src, dst)


# ---------------------------------------------------------------- link
MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")


def eth(ethertype, payload, tags=()) -> bytes:
    out = MAC_B + MAC_A
    for tpid, vid in tags:
        out += struct.pack("!HH", tpid, vid)
    return out + struct.pack("!H", ethertype) + payload


def sll(proto, payload) -> bytes:
    # packet type 0 (to us), ARPHRD_ETHER 1, address length 6, address padded to 8
    return struct.pack("!HHH", 0, 1, 6) + MAC_A + b"\0\0" + struct.pack("!H", proto) + payload


def sll2(proto, payload) -> bytes:
    return struct.pack("!HHIHBB", proto, 0, 2, 1, 0, 6) + MAC_A + b"\0\0" + payload


def mtp3_itu(si, ni, dpc, opc, sls, payload) -> bytes:
    label = (dpc & 0x3FFF) | ((opc & 0x3FFF) << 14) | ((sls & 0xF) << 28)
    return bytes([(ni << 6) | si]) + struct.pack("<I", label) + payload


def mtp3_china(si, ni, dpc, opc, sls, payload) -> bytes:
    return bytes([(ni << 6) | si]) + struct.pack("<I", dpc)[:3] + struct.pack("<I", opc)[:3] + bytes([sls & 0xF]) + payload


def mtp2(bsn, fsn, msu=b"", li=None) -> bytes:
    li = min(len(msu), 63) if li is None else li
    return bytes([0x80 | bsn, 0x80 | fsn, li]) + msu


def mtp2_phdr(sent, annex_a, link, su) -> bytes:
    return bytes([sent, annex_a]) + struct.pack("!H", link) + su


# ---------------------------------------------------------------- vectors
VECTORS = {}  # name -> (linktype, [frames], description, tshark options)


def vec(name, lt, frames, desc, opts=()):
    VECTORS[name] = (lt, frames, desc, list(opts))


def m3ua_frame(chunks, vtag=0x0A0B0C0D, sport=2905, dport=2905, src=A, dst=B, bad_crc=False, tags=()):
    return eth(0x0800, ipv4(132, sctp_packet(sport, dport, vtag, chunks, bad_crc), src, dst), tags)


def one_data(tsn, n=0, vtag=0x0A0B0C0D, src=A, dst=B, sport=2905, dport=2905):
    return sctp_data_chunk(tsn, m3ua_data(bssmap_reset_udt(n)))


def build():
    # Link layer
    vec("eth_ipv4_sctp_m3ua", 1, [m3ua_frame(one_data(100))], "Ethernet II / IPv4 / SCTP DATA / M3UA DATA / SCCP UDT")
    vec("eth_vlan", 1, [m3ua_frame(one_data(100), tags=[(0x8100, 0x0064)])], "802.1Q VID 100")
    vec("eth_qinq", 1, [m3ua_frame(one_data(100), tags=[(0x88A8, 0x00C8), (0x8100, 0x0064)])],
        "802.1ad S-tag VID 200 + C-tag VID 100")
    vec("eth_qinq_9100", 1, [m3ua_frame(one_data(100), tags=[(0x9100, 0x012C), (0x8100, 0x0064)])],
        "0x9100 outer tag VID 300 + 802.1Q VID 100")
    sctp_ip = ipv4(132, sctp_packet(2905, 2905, 0x0A0B0C0D, one_data(100)))
    vec("sll", 113, [sll(0x0800, sctp_ip)], "Linux cooked SLL / IPv4 / SCTP / M3UA / SCCP")
    vec("sll2", 276, [sll2(0x0800, sctp_ip)], "Linux cooked SLL2 / IPv4 / SCTP / M3UA / SCCP")
    vec("raw_ipv4", 101, [sctp_ip], "raw IP (v4) / SCTP / M3UA / SCCP")
    vec("ipv4_dlt228", 228, [sctp_ip], "DLT 228 IPv4 / SCTP / M3UA / SCCP")
    sctp_ip6 = ipv6(132, sctp_packet(2905, 2905, 0x0A0B0C0D, one_data(100)))
    vec("raw_ipv6", 229, [sctp_ip6], "DLT 229 IPv6 / SCTP / M3UA / SCCP")
    # IPv6 with a destination options header (8 octets: next=SCTP, len 0, PadN 4)
    dopts = bytes([132, 0, 1, 4, 0, 0, 0, 0])
    vec("ipv6_destopts", 229, [ipv6(60, dopts + sctp_packet(2905, 2905, 0x0A0B0C0D, one_data(100)))],
        "IPv6 / Destination Options / SCTP / M3UA / SCCP")

    # MTP
    msu_itu = mtp3_itu(3, 2, dpc=0x0102, opc=0x0201, sls=7, payload=bssmap_reset_udt(0))
    vec("mtp3_itu", 141, [msu_itu], "MTP3 ITU 14-bit DPC 258 OPC 513 SLS 7 / SCCP UDT")
    msu_cn = mtp3_china(3, 2, dpc=0x123456, opc=0x654321, sls=9, payload=bssmap_reset_udt(0, 0x654321, 0x123456, 3))
    vec("mtp3_china", 141, [msu_cn], "MTP3 Chinese ITU 24-bit DPC 0x123456 OPC 0x654321 SLS 9 / SCCP UDT",
        ["-o", "mtp3.standard:Chinese ITU"])
    vec("mtp2", 140, [mtp2(1, 2), mtp2(1, 2, b"\x01"), mtp2(1, 3, msu_itu)],
        "MTP2 FISU, LSSU (SIO), MSU / MTP3 ITU / SCCP UDT")
    vec("mtp2_phdr", 139, [mtp2_phdr(1, 0, 7, mtp2(5, 6, msu_itu)), mtp2_phdr(0, 0, 7, mtp2(6, 6))],
        "MTP2 pseudo-header (sent, annex A not used, link 7) / MSU / MTP3 / SCCP UDT, then a FISU")

    # SCTP bundling: 3 DATA chunks (TSN 200..202) + a SACK in one packet
    bundle = sctp_sack(99) + one_data(200, 0) + one_data(201, 1) + one_data(202, 2)
    vec("sctp_bundle", 1, [m3ua_frame(bundle)], "SCTP SACK + 3 DATA chunks (TSN 200-202), each M3UA DATA / SCCP UDT")
    # SCTP fragmentation: one M3UA message split B / middle / E over TSN 300..302 in 3 packets
    big = m3ua_data(sccp_udt(bytes([0x00, 0xF0]) + bytes(range(240)) + bytes(range(0, 0))), sls=1)
    parts = [big[:100], big[100:200], big[200:]]
    frag = [
        m3ua_frame(sctp_data_chunk(300, parts[0], stream=1, ssn=4, b=True, e=False)),
        m3ua_frame(sctp_data_chunk(301, parts[1], stream=1, ssn=4, b=False, e=False)),
        m3ua_frame(sctp_data_chunk(302, parts[2], stream=1, ssn=4, b=False, e=True)),
    ]
    vec("sctp_fragments", 1, frag, "one M3UA DATA (%d octets) in 3 SCTP fragments B/-/E TSN 300-302" % len(big))
    # Retransmission: the same TSN 400 twice (second one is the retransmission), then TSN 401
    vec("sctp_retransmission", 1, [m3ua_frame(one_data(400, 0)), m3ua_frame(one_data(400, 0)), m3ua_frame(one_data(401, 1))],
        "DATA TSN 400, the same DATA again (retransmission), DATA TSN 401")
    vec("sctp_bad_crc", 1, [m3ua_frame(one_data(100), bad_crc=True)], "as eth_ipv4_sctp_m3ua with CRC32c off by one bit")
    # M3UA management: ASPUP (class 3 type 1), ASPAC (4/1), DAUD (2/3), then non-SCCP DATA (SI 5 ISUP)
    mgmt = (sctp_data_chunk(500, m3ua_msg(3, 1)) + sctp_data_chunk(501, m3ua_msg(4, 1, struct.pack("!HHI", 0x000B, 8, 2)))
            + sctp_data_chunk(502, m3ua_data(b"\x01\x02\x03\x04", si=5)))
    vec("m3ua_mgmt", 1, [m3ua_frame(mgmt)], "M3UA ASPUP, ASPAC (traffic mode override), DATA with SI 5 (ISUP)")
    # M3UA DATA with Routing Context before Protocol Data
    vec("m3ua_rc", 1, [m3ua_frame(sctp_data_chunk(600, m3ua_data(bssmap_reset_udt(0), rc=7)))],
        "M3UA DATA with Routing Context 7 then Protocol Data")

    # IPv4 fragments: an SCTP packet (1 DATA, big M3UA) split in 3 IPv4 fragments (offsets 0, 96, 192)
    sctp_big = sctp_packet(2905, 2905, 0x0A0B0C0D, sctp_data_chunk(700, big))
    f = [sctp_big[:96], sctp_big[96:192], sctp_big[192:]]
    vec("ipv4_fragments", 1, [
        eth(0x0800, ipv4(132, f[0], ident=0x4242, mf=True, frag_off=0)),
        eth(0x0800, ipv4(132, f[2], ident=0x4242, mf=False, frag_off=192)),
        eth(0x0800, ipv4(132, f[1], ident=0x4242, mf=True, frag_off=96)),
    ], "SCTP packet in 3 IPv4 fragments, sent first, last, middle")
    # IPv6 fragments: the same SCTP packet in 2 fragments
    def frag6(off, m, data):
        return ipv6(44, struct.pack("!BBHI", 132, 0, off | (1 if m else 0), 0x77) + data)
    vec("ipv6_fragments", 229, [frag6(0, True, sctp_big[:128]), frag6(128, False, sctp_big[128:])],
        "SCTP packet in 2 IPv6 fragments")

    # TCP / IPA: handshake, then from A (port 40000) to B (port 5000):
    #  seg1 (seq 1): two complete IPA SCCP messages + CCM PING
    #  seg2 (seq ..): first 10 octets of a third SCCP message
    #  seg4 sent before seg3 (out of order): a fourth SCCP message
    #  seg3: the rest of the third message
    #  seg3 again (retransmission)
    #  B->A: one SCCP message (direction 1)
    isn_a, isn_b = 1000, 5000
    m1, m2, m3, m4 = (ipa(0xFD, bssmap_reset_udt(i)) for i in range(4))
    ping = ipa(0xFE, b"\x00")
    seg1 = m1 + m2 + ping
    s = isn_a + 1
    frames = [
        eth(0x0800, tcp4(40000, 5000, isn_a, 0, 0x02)),
        eth(0x0800, tcp4(5000, 40000, isn_b, isn_a + 1, 0x12, src=B, dst=A)),
        eth(0x0800, tcp4(40000, 5000, s, isn_b + 1, 0x10)),
        eth(0x0800, tcp4(40000, 5000, s, isn_b + 1, 0x18, seg1)),
        eth(0x0800, tcp4(40000, 5000, s + len(seg1), isn_b + 1, 0x18, m3[:10])),
        eth(0x0800, tcp4(40000, 5000, s + len(seg1) + len(m3), isn_b + 1, 0x18, m4)),
        eth(0x0800, tcp4(40000, 5000, s + len(seg1) + 10, isn_b + 1, 0x18, m3[10:])),
        eth(0x0800, tcp4(40000, 5000, s + len(seg1) + 10, isn_b + 1, 0x18, m3[10:])),
        eth(0x0800, tcp4(5000, 40000, isn_b + 1, s + len(seg1) + len(m3) + len(m4), 0x18, ipa(0xFD, bssmap_reset_udt(9)),
                         src=B, dst=A)),
    ]
    vec("tcp_ipa", 1, frames, "TCP handshake; IPA: 2 SCCP + CCM PING in one segment, a message split over "
        "two segments with the next segment arriving first, a retransmission, one SCCP message B->A")
    # Mid-stream start: no SYN, capture starts with the tail of a message then two whole ones.
    tail = m1[-7:]
    vec("tcp_ipa_midstream", 1, [
        eth(0x0800, tcp4(40000, 5000, 77777, 1, 0x18, tail)),
        eth(0x0800, tcp4(40000, 5000, 77777 + len(tail), 1, 0x18, m2 + m3)),
    ], "TCP without SYN: a segment holding only the tail of a message, then two whole IPA SCCP messages")
    # IPA on a port that is not configured (3002) recognised by its framing
    vec("tcp_ipa_other_port", 1, [eth(0x0800, tcp4(41000, 3002, 1, 1, 0x18, m1 + ping))],
        "IPA SCCP + CCM on TCP port 3002, no handshake")


def frames_hex(frames):
    out = []
    for i, fr in enumerate(frames):
        out.append("# --- frame %d (%d octets)" % (i + 1, len(fr)))
        h = fr.hex()
        for j in range(0, len(h), 64):
            out.append(" ".join(h[k:k + 2] for k in range(j, min(j + 64, len(h)), 2)))
    return "\n".join(out) + "\n"


def write_pcap(path, lt, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, lt))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
            f.write(fr)


def tshark_summary(lt, frames, opts):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "v.pcap")
        write_pcap(p, lt, frames)
        lines = subprocess.run(["tshark", "-r", p, "-o", "tcp.analyze_sequence_numbers:TRUE", "-o", "sctp.checksum:CRC 32c"] + opts +
                               ["-T", "fields", "-e", "frame.protocols", "-e", "_ws.col.Info", "-e", "sccp.message_type",
                                "-e", "_ws.expert.message", "-e", "mtp3.opc", "-e", "mtp3.dpc", "-e", "mtp3.sls"], capture_output=True, text=True).stdout
        return lines.strip().splitlines()


SELECTOR = {1: 0, 101: 1, 113: 2, 139: 3, 140: 4, 141: 5, 228: 6, 229: 7, 276: 8}


def write_seeds():
    """Seeds for tests/fuzz/fuzz_packet.cpp (format: packet_fuzz_input.hpp), one per vector."""
    out_dir = os.path.join(HERE, "..", "..", "..", "fuzz", "corpus", "packet")
    os.makedirs(out_dir, exist_ok=True)
    for name, (lt, frames, _, opts) in VECTORS.items():
        config = 2 if any("Chinese" in o for o in opts) else 0
        data = bytes([config])
        for i, fr in enumerate(frames):
            data += bytes([SELECTOR[lt] | (0x10 if i else 0)]) + struct.pack("!H", len(fr)) + fr
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


def main():
    build()
    if "--seeds" in sys.argv:
        write_seeds()
        return
    check = "--check" in sys.argv
    for name, (lt, frames, desc, opts) in VECTORS.items():
        header = ["# %s: %s" % (name, desc), "# linktype %d. Built by gen_vectors.py (field by field); cross-checked with tshark 4.0.17%s:" %
                  (lt, (" " + " ".join(opts)) if opts else "")]
        for i, line in enumerate(tshark_summary(lt, frames, opts)):
            header.append("#   %d: %s" % (i + 1, line.replace("\t", " | ")))
        text = "\n".join(header) + "\n" + frames_hex(frames)
        if check:
            print(text)
        else:
            with open(os.path.join(HERE, name + ".hex"), "w") as f:
                f.write(text)
    if not check:
        with open(os.path.join(HERE, "linktypes.txt"), "w") as f:
            for name, (lt, _, _, _) in VECTORS.items():
                f.write("%s %d\n" % (name, lt))


if __name__ == "__main__":
    main()
