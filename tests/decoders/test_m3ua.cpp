// M3UA: DATA with Protocol Data, other classes, malformed siblings.
// Valid message: the M3UA part of vectors/lower/raw_ipv4.hex (offset 20 IP + 12 SCTP + 16 DATA).
#include <catch2/catch.hpp>

#include "bssap/decoders/m3ua.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "test_support.hpp"
#include "vectors/lower/lower_vectors.hpp"

using namespace bssap::dec;
using bssap::test::frame;
using bssap::test::hex;
using bssap::test::lower_frames;
using bssap::test::span_of;

namespace {
frame m3ua_of_raw_vector() {
  const auto p = lower_frames("raw_ipv4")[0];
  return frame(p.begin() + 48, p.end());
}
}  // namespace

TEST_CASE("M3UA DATA Protocol Data fields (tshark: OPC 1 DPC 2 SLS 5)", "[m3ua]") {
  const auto m = m3ua_of_raw_vector();
  std::size_t consumed = 0;
  const auto v = decode_m3ua(span_of(m), consumed);
  REQUIRE(v);
  CHECK(consumed == 48);
  CHECK(v->is_data);
  CHECK(v->data.opc == 1);
  CHECK(v->data.dpc == 2);
  CHECK(v->data.si == 3);
  CHECK(v->data.ni == 2);
  CHECK(v->data.mp == 0);
  CHECK(v->data.sls == 5);
  CHECK(v->data.user_data.size() == 22);  // padding is not user data
}

TEST_CASE("M3UA Routing Context before Protocol Data (m3ua_rc vector)", "[m3ua]") {
  const auto p = lower_frames("m3ua_rc")[0];
  const frame m(p.begin() + 14 + 48, p.end());
  std::size_t consumed = 0;
  const auto v = decode_m3ua(span_of(m), consumed);
  REQUIRE(v);
  CHECK(v->has_routing_context);
  CHECK(v->routing_context == 7);
  CHECK(v->data.user_data.size() == 22);
}

TEST_CASE("M3UA malformed siblings: exact error and counter", "[m3ua]") {
  const auto good = m3ua_of_raw_vector();
  std::size_t consumed = 0;
  frame f = good;
  f[0] = std::byte{2};  // version 2
  CHECK(decode_m3ua(span_of(f), consumed).error() == decode_error::unsupported);
  CHECK(decode_m3ua(span_of(frame(good.begin(), good.begin() + 7)), consumed).error() == decode_error::truncated);
  f = good;
  f[7] = std::byte{4};  // message length 4 < 8
  CHECK(decode_m3ua(span_of(f), consumed).error() == decode_error::bad_length);
  f = good;
  f[7] = std::byte{52};  // message length past the chunk
  CHECK(decode_m3ua(span_of(f), consumed).error() == decode_error::truncated);
  f = good;
  f[10] = std::byte{0};
  f[11] = std::byte{2};  // Protocol Data parameter length 2 < 4
  CHECK(decode_m3ua(span_of(f), consumed).error() == decode_error::bad_length);
  f = good;
  f[11] = std::byte{12};  // Protocol Data of 8 octets: shorter than OPC..SLS
  CHECK(decode_m3ua(span_of(f), consumed).error() == decode_error::bad_length);
  f = good;
  f[9] = std::byte{0x11};  // tag 0x0211 (unknown): DATA without Protocol Data
  CHECK(decode_m3ua(span_of(f), consumed).error() == decode_error::missing_ie);

  // The same through packet_stack (SCTP CRC off since the bytes changed): counted at the M3UA layer.
  stack_config c;
  c.verify_sctp_crc = false;
  packet_stack stack(c);
  auto on = [](const sccp_unit&) noexcept {};
  auto raw = lower_frames("raw_ipv4")[0];
  raw[48 + 9] = std::byte{0x11};
  stack.decode(linktype::ipv4, span_of(raw), 0, make_sccp_sink(on));
  CHECK(stack.stats().get(layer::m3ua, decode_error::missing_ie) == 1);
}

TEST_CASE("M3UA: two messages in one DATA chunk are both decoded", "[m3ua]") {
  auto two = m3ua_of_raw_vector();
  const auto again = two;
  two.insert(two.end(), again.begin(), again.end());
  std::size_t consumed = 0;
  REQUIRE(decode_m3ua(span_of(two), consumed));
  CHECK(consumed == 48);
  REQUIRE(decode_m3ua(span_of(two).subspan(consumed), consumed));
  // Non-DATA classes: a header-only ASPUP Ack (class 3 type 4).
  const auto v = decode_m3ua(hex("01 00 03 04 00 00 00 08"), consumed);
  REQUIRE(v);
  CHECK_FALSE(v->is_data);
  CHECK(v->msg_class == 3);
  CHECK(v->msg_type == 4);
}
