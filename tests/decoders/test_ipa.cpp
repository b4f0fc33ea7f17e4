// IPA framing and the IPA recognition heuristic.
// Message layout (libosmocore ipaccess.h): length(16 BE) stream(8) payload.
#include <catch2/catch.hpp>

#include "bssap/decoders/ipa.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "test_support.hpp"
#include "vectors/lower/lower_vectors.hpp"

using namespace bssap::dec;
using bssap::test::hex;
using bssap::test::span_of;

TEST_CASE("IPA message decoding", "[ipa]") {
  // CCM PING (tshark: "IPA PING?" in vectors/lower/tcp_ipa.hex frame 4)
  std::size_t consumed = 0;
  const auto v = decode_ipa(hex("00 01 fe 00 ff"), consumed);
  REQUIRE(v);
  CHECK(v->length == 1);
  CHECK(v->stream_id == ipa_stream_ccm);
  CHECK(v->payload.size() == 1);
  CHECK(consumed == 4);
  CHECK(decode_ipa(hex("00 05 fd 09 00"), consumed).error() == decode_error::truncated);
  CHECK(consumed == 0);
  CHECK(decode_ipa(hex("00 05"), consumed).error() == decode_error::truncated);
}

TEST_CASE("IPA chain heuristic", "[ipa]") {
  CHECK(ipa_chain_plausible(hex("00 01 fe 00  00 03 fd 09 00 03"), false));
  CHECK_FALSE(ipa_chain_plausible(hex("00 01 fe 00  00 03 fd 09 00"), false));  // cut
  CHECK(ipa_chain_plausible(hex("00 01 fe 00  00 03 fd 09 00"), true));
  CHECK_FALSE(ipa_chain_plausible(hex("00 01 42 00"), false));          // stream 0x42 unknown
  CHECK_FALSE(ipa_chain_plausible(hex("00 00 fd"), false));             // empty message
  CHECK_FALSE(ipa_chain_plausible(hex("00 01 fd 00"), false));          // SCCP type 0
  CHECK_FALSE(ipa_chain_plausible(hex("00 01 fe 42"), false));          // CCM type 0x42
  CHECK_FALSE(ipa_chain_plausible(hex("47 45 54 20 2f 20 48"), true));  // "GET / H": HTTP
}

TEST_CASE("IPA malformed siblings through the stack: empty SCCP, oversized message", "[ipa][tcp]") {
  // One segment (port 5000, no SYN) carrying an IPA SCCP message of length 0, then a CCM PING.
  auto seg = bssap::test::lower_frames("tcp_ipa_other_port")[0];
  stack_config c;
  c.ipa_ports[0] = 3002;
  packet_stack stack(c);
  auto on = [](const sccp_unit&) noexcept {};
  // A SYN first (so no resynchronisation heuristic), then the payload after Ethernet 14 + IP 20 +
  // TCP 20 replaced with "00 00 fd" + "00 01 fe 00".
  auto syn = seg;
  syn.resize(54);
  syn[14 + 2] = std::byte{0};
  syn[14 + 3] = std::byte{40};
  syn[14 + 20 + 13] = std::byte{0x02};
  syn[14 + 20 + 7] = std::byte{0};  // seq 0 -> data at 1 (the vector's segment has seq 1)
  stack.decode(linktype::ethernet, span_of(syn), 0, make_sccp_sink(on));
  seg.resize(54);
  for (const auto b : hex("00 00 fd 00 01 fe 00")) seg.push_back(b);
  seg[14 + 2] = std::byte{0};
  seg[14 + 3] = std::byte(seg.size() - 14);
  stack.decode(linktype::ethernet, span_of(seg), 0, make_sccp_sink(on));
  CHECK(stack.stats().get(layer::ipa, decode_error::bad_length) == 1);
  CHECK(stack.counters().ipa_non_sccp_by_stream[0xFE] == 1);
  CHECK(stack.counters().ipa_messages == 2);
}
