#!/usr/bin/env python3
"""Writes the seeds of fuzz_smpp_client (corpus/smpp_client/) and fuzz_smpp_stub
(corpus/smpp_stub/): SMPP 3.4 PDUs as each side's peer would send them, in the chunked format of
smpp_fuzz_stream.hpp (an options octet, then [length(2, big-endian) bytes] writes). Run from the
repository root: python3 tests/fuzz/gen_smpp_seeds.py"""
import os
import struct


def pdu(cmd, status, seq, body=b""):
    return struct.pack(">IIII", 16 + len(body), cmd, status, seq) + body


def cstr(s):
    return s.encode() + b"\0"


def sm(src, dst, text, esm=0, dc=0, reg=0, tlvs=b""):
    # 4.4.1 / 4.6.1 layout: service_type, src ton npi addr, dst ton npi addr, esm_class,
    # protocol_id, priority, schedule, validity, registered_delivery, replace, data_coding,
    # sm_default_msg_id, sm_length, short_message, TLVs.
    return (cstr("") + bytes([1, 1]) + cstr(src) + bytes([1, 1]) + cstr(dst) + bytes([esm, 0, 0]) + cstr("") +
            cstr("") + bytes([reg, 0, dc, 0, len(text)]) + text + tlvs)


def chunks(options, *writes):
    out = bytes([options])
    for w in writes:
        out += struct.pack(">H", len(w)) + w
    return out


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


client = "tests/fuzz/corpus/smpp_client"
bind_resp = pdu(0x80000009, 0, 1, cstr("smsc"))
receipt = pdu(0x00000005, 0, 7, sm("8613800000001", "Operator", b"id:1a2b sub:001 dlvrd:001 submit date:2611231035 "
                                   b"done date:2611231036 stat:DELIVRD err:000 text:", esm=0x04,
                                   tlvs=struct.pack(">HH", 0x001E, 5) + b"1a2b\0" + struct.pack(">HHB", 0x0427, 1, 2)))
mo = pdu(0x00000005, 0, 8, sm("8613800000001", "10086", b"YES"))
udh1 = bytes([5, 0, 3, 0x42, 2, 1])
udh2 = bytes([5, 0, 3, 0x42, 2, 2])
mo1 = pdu(0x00000005, 0, 9, sm("8613800000001", "10086", udh1 + b"Hello ", esm=0x40))
mo2 = pdu(0x00000005, 0, 10, sm("8613800000001", "10086", udh2 + b"world", esm=0x40))
write(client, "bind_resp_then_traffic", chunks(1, bind_resp, receipt, mo))
write(client, "submit_resps", chunks(8, pdu(0x80000004, 0, 1, cstr("id1")), pdu(0x80000004, 0x58, 2),
                                     pdu(0x80000000, 0x03, 3), pdu(0x80000004, 0x14, 4)))
whole = receipt + mo1 + mo2
write(client, "split_across_reads", chunks(0, whole[:5], whole[5:40], whole[40:]))
write(client, "enquire_unbind", chunks(0, pdu(0x00000015, 0, 3), pdu(0x80000015, 0, 4), pdu(0x00000006, 0, 5)))
write(client, "absurd_length", chunks(0, struct.pack(">IIII", 0xFFFFFFF0, 5, 0, 1)))
write(client, "short_length", chunks(0, struct.pack(">IIII", 8, 5, 0, 1)))
write(client, "unknown_command", chunks(0, pdu(0x00000103, 0, 11, b"\1\2\3")))
write(client, "ucs2_mo", chunks(4, pdu(0x00000005, 0, 12, sm("8613800000001", "10086", "您好".encode("utf-16-be"),
                                                                dc=8))))

stub = "tests/fuzz/corpus/smpp_stub"
bind = pdu(0x00000009, 0, 1, cstr("bssap") + cstr("secret") + cstr("") + bytes([0x34, 0, 0]) + cstr(""))
sub1 = pdu(0x00000004, 0, 2, sm("10086", "8613800000001", udh1 + b"Hello ", esm=0x40, reg=1,
                                tlvs=struct.pack(">HHH", 0x0204, 2, 7)))
sub2 = pdu(0x00000004, 0, 3, sm("10086", "8613800000001", udh2 + b"world", esm=0x40, reg=1,
                                tlvs=struct.pack(">HHH", 0x0204, 2, 7)))
single = pdu(0x00000004, 0, 4, sm("10086", "4915112345678", b"hi", reg=1))
write(stub, "bind_submit_receipts", chunks(0x24, bind, sub1 + sub2, single, pdu(0x80000005, 0, 1)))
write(stub, "bind_submit_faults", chunks(0x1F, bind, single, sub1, sub2, single, pdu(0x00000015, 0, 9)))
write(stub, "submit_unbound", chunks(0, single, bind + pdu(0x00000006, 0, 5)))
write(stub, "bad_password", chunks(0, pdu(0x00000002, 0, 1, cstr("bssap") + cstr("nope") + cstr("") +
                                            bytes([0x34, 0, 0]) + cstr(""))))
whole = bind + sub1 + sub2
write(stub, "split_across_reads", chunks(0x40, whole[:3], whole[3:17], whole[17:60], whole[60:]))
write(stub, "absurd_length", chunks(0, bind, struct.pack(">IIII", 0x7FFFFFFF, 4, 0, 2)))
write(stub, "unknown_command", chunks(0, bind, pdu(0x00000103, 0, 11)))
