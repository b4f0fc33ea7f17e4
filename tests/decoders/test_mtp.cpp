// MTP2 and MTP3 (ITU 14-bit, Chinese 24-bit) and malformed siblings.
// Valid frames: vectors/lower/mtp2.hex, mtp2_phdr.hex, mtp3_itu.hex, mtp3_china.hex (tshark-checked).
#include <catch2/catch.hpp>

#include "bssap/decoders/mtp2.hpp"
#include "bssap/decoders/mtp3.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "test_support.hpp"
#include "vectors/lower/lower_vectors.hpp"

using namespace bssap::dec;
using bssap::test::frame;
using bssap::test::hex;
using bssap::test::lower_frames;
using bssap::test::span_of;

TEST_CASE("MTP3 ITU routing label (tshark: DPC 258 OPC 513 SLS 7)", "[mtp]") {
  const auto m = lower_frames("mtp3_itu")[0];
  const auto v = decode_mtp3(span_of(m), point_code_format::itu14);
  REQUIRE(v);
  CHECK(v->si == si_sccp);
  CHECK(v->ni == 2);
  CHECK(v->dpc == 258);
  CHECK(v->opc == 513);
  CHECK(v->sls == 7);
  CHECK(v->payload.size() == m.size() - 5);
}

TEST_CASE("MTP3 Chinese 24-bit routing label (tshark -o 'mtp3.standard:Chinese ITU')", "[mtp]") {
  const auto m = lower_frames("mtp3_china")[0];
  const auto v = decode_mtp3(span_of(m), point_code_format::china24);
  REQUIRE(v);
  CHECK(v->dpc == 1193046);
  CHECK(v->opc == 6636321);
  CHECK(v->sls == 9);
  CHECK(v->payload.size() == m.size() - 8);
}

TEST_CASE("MTP2 FISU, LSSU, MSU, Annex A", "[mtp]") {
  const auto f = lower_frames("mtp2");  // tshark: FISU, SIN, MSU
  auto v = decode_mtp2(span_of(f[0]));
  REQUIRE(v);
  CHECK(v->kind == mtp2_unit::fisu);
  CHECK(v->bsn == 1);
  CHECK(v->bib);
  CHECK(v->fsn == 2);
  v = decode_mtp2(span_of(f[1]));
  REQUIRE(v);
  CHECK(v->kind == mtp2_unit::lssu);
  v = decode_mtp2(span_of(f[2]));
  REQUIRE(v);
  CHECK(v->kind == mtp2_unit::msu);
  CHECK(v->li == 27);
  CHECK(v->payload.size() == 27);
  // A trailing CRC-16 kept by the capture is not part of the MSU.
  frame with_fcs = f[2];
  with_fcs.push_back(std::byte{0x12});
  with_fcs.push_back(std::byte{0x34});
  CHECK(decode_mtp2(span_of(with_fcs))->payload.size() == 27);
  // LI = 63 means "63 or more": the rest of the unit.
  frame long_msu = hex("81 82 3f");
  long_msu.resize(3 + 100, std::byte{0x03});
  CHECK(decode_mtp2(span_of(long_msu))->payload.size() == 100);
  // Q.703 Annex A: 12-bit BSN/FSN, 9-bit LI, little-endian pairs.
  v = decode_mtp2(hex("05 80 06 80 03 00 83 aa bb"), true);
  REQUIRE(v);
  CHECK(v->bsn == 5);
  CHECK(v->fsn == 6);
  CHECK(v->li == 3);
  CHECK(v->payload.size() == 3);
}

TEST_CASE("MTP malformed siblings: exact error and counter", "[mtp]") {
  packet_stack stack;
  auto on = [](const sccp_unit&) noexcept {};
  const auto sink = make_sccp_sink(on);
  // MTP2 header cut.
  CHECK(decode_mtp2(hex("81 82")).error() == decode_error::truncated);
  stack.decode(linktype::mtp2, hex("81 82"), 0, sink, 8);  // cut by the capture
  CHECK(stack.stats().get(layer::mtp2, decode_error::truncated) == 1);
  stack.decode(linktype::mtp2, hex("81 82"), 0, sink);  // captured whole: a runt
  CHECK(stack.stats().get(layer::mtp2, decode_error::bad_length) == 1);
  // LI 10 but 4 octets follow.
  CHECK(decode_mtp2(hex("81 82 0a 83 01 02 03")).error() == decode_error::truncated);
  // MTP3 label cut: ITU needs 5 octets, Chinese 8.
  CHECK(decode_mtp3(hex("83 02 01 40 80"), point_code_format::itu14));
  CHECK(decode_mtp3(hex("83 02 01 40"), point_code_format::itu14).error() == decode_error::truncated);
  CHECK(decode_mtp3(hex("83 56 34 12 21 43 65"), point_code_format::china24).error() == decode_error::truncated);
  stack.decode(linktype::mtp3, hex("83 02 01 40"), 0, sink, 20);  // cut by the capture
  CHECK(stack.stats().get(layer::mtp3, decode_error::truncated) == 1);
  // SCCP SI with nothing after the label.
  stack.decode(linktype::mtp3, hex("83 02 01 40 80"), 0, sink);
  CHECK(stack.stats().get(layer::mtp3, decode_error::bad_length) == 1);
  // ISUP (SI 5) and SNM (SI 0) are counted, not handed on.
  stack.decode(linktype::mtp3, hex("85 02 01 40 80 01 00"), 0, sink);
  stack.decode(linktype::mtp3, hex("80 02 01 40 80 11"), 0, sink);
  CHECK(stack.counters().non_sccp_by_si[5] == 1);
  CHECK(stack.counters().non_sccp_by_si[0] == 1);
  CHECK(stack.counters().mtp3_msus == 3);  // the cut label is an error, not an MSU
}

TEST_CASE("MTP2: a retransmitted MSU (same FSN, same content) is skipped, counted", "[mtp]") {
  const auto f = lower_frames("mtp2_phdr")[0];  // MSU FSN 6 on link 7
  packet_stack stack;
  std::size_t n = 0;
  auto on = [&](const sccp_unit&) noexcept { ++n; };
  const auto sink = make_sccp_sink(on);
  stack.decode(linktype::mtp2_phdr, span_of(f), 0, sink);
  stack.decode(linktype::mtp2_phdr, span_of(f), 1, sink);
  CHECK(n == 1);
  CHECK(stack.counters().mtp2_retransmissions_skipped == 1);
  CHECK(stack.stats().get(layer::mtp2, decode_error::duplicate) == 1);
  // Same FSN, other content (the FSN wrapped): a new MSU.
  frame other = f;
  other.back() = std::byte{0x77};
  stack.decode(linktype::mtp2_phdr, span_of(other), 2, sink);
  CHECK(n == 2);
  // Same MSU on another link number: not a retransmission.
  frame link8 = f;
  link8[3] = std::byte{8};
  stack.decode(linktype::mtp2_phdr, span_of(link8), 3, sink);
  CHECK(n == 3);
  // DLT 141 has no FSN: the same MSU twice is two messages.
  const auto m = lower_frames("mtp3_itu")[0];
  stack.decode(linktype::mtp3, span_of(m), 4, sink);
  stack.decode(linktype::mtp3, span_of(m), 5, sink);
  CHECK(n == 5);
}
