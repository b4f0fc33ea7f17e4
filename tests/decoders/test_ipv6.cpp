// IPv6 header, extension headers and fragments. Valid packets: vectors/lower/raw_ipv6.hex,
// ipv6_destopts.hex, ipv6_fragments.hex (tshark-checked).
#include <catch2/catch.hpp>

#include "bssap/decoders/ipv4.hpp"
#include "bssap/decoders/ipv6.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "test_support.hpp"
#include "vectors/lower/lower_vectors.hpp"

using namespace bssap::dec;
using bssap::test::frame;
using bssap::test::lower_frames;
using bssap::test::span_of;

TEST_CASE("IPv6 fixed header, destination options skipped, fragment header read", "[ipv6]") {
  const auto plain = lower_frames("raw_ipv6")[0];
  auto v = decode_ipv6(span_of(plain));
  REQUIRE(v);
  CHECK(v->next_header == ip_proto_sctp);
  CHECK(v->payload.size() == plain.size() - 40);
  CHECK(std::to_integer<int>(v->src_addr[15]) == 1);

  const auto opts = lower_frames("ipv6_destopts")[0];  // tshark: ipv6:ipv6.dstopts:sctp
  v = decode_ipv6(span_of(opts));
  REQUIRE(v);
  CHECK(v->next_header == ip_proto_sctp);
  CHECK(v->payload.size() == opts.size() - 48);

  const auto frags = lower_frames("ipv6_fragments");  // tshark: off=0 more=y ident=0x77 nxt=132
  v = decode_ipv6(span_of(frags[0]));
  REQUIRE(v);
  CHECK(v->is_fragment);
  CHECK(v->more_fragments);
  CHECK(v->fragment_offset == 0);
  CHECK(v->fragment_id == 0x77);
  CHECK(v->next_header == ip_proto_sctp);
  CHECK(v->payload.size() == 128);
  v = decode_ipv6(span_of(frags[1]));
  REQUIRE(v);
  CHECK(v->fragment_offset == 128);
  CHECK_FALSE(v->more_fragments);
}

TEST_CASE("IPv6 malformed siblings: exact error and counter", "[ipv6]") {
  const auto good = lower_frames("ipv6_destopts")[0];
  packet_stack stack;
  auto on = [](const sccp_unit&) noexcept {};
  const auto sink = make_sccp_sink(on);
  auto check = [&](const frame& f, decode_error e) {
    CHECK(decode_ipv6(span_of(f)).error() == e);
    // Through the stack: a frame captured whole that runs out of octets claims what it does not
    // have (bad_length); only a frame the capture cut (wire length > captured) is truncated.
    const decode_error whole = e == decode_error::truncated ? decode_error::bad_length : e;
    const auto before = stack.stats().get(layer::ipv6, whole);
    stack.decode(linktype::ipv6, span_of(f), 0, sink);
    CHECK(stack.stats().get(layer::ipv6, whole) == before + 1);
    const auto before_cut = stack.stats().get(layer::ipv6, e);
    stack.decode(linktype::ipv6, span_of(f), 0, sink, f.size() + 100);
    CHECK(stack.stats().get(layer::ipv6, e) == before_cut + 1);
  };
  check(frame(good.begin(), good.begin() + 39), decode_error::truncated);
  frame f = good;
  f[0] = std::byte{0x40};  // version 4
  check(f, decode_error::bad_value);
  f = good;
  f[5] = std::byte(std::to_integer<int>(f[5]) + 1);  // payload length one past the capture
  check(f, decode_error::truncated);
  f = good;
  f[41] = std::byte{0xFF};  // destination options length 2048 octets: past the payload
  check(f, decode_error::bad_length);
  f = good;
  f[6] = std::byte{0x00};  // hop-by-hop next, payload length 0: a jumbogram
  f[4] = std::byte{0x00};
  f[5] = std::byte{0x00};
  check(f, decode_error::unsupported);
  // Nine chained destination options headers: more than ipv6_max_extension_headers.
  frame chain(good.begin(), good.begin() + 40);
  for (int i = 0; i < 9; ++i) {
    const auto h = bssap::test::hex("3c 00 01 04 00 00 00 00");
    chain.insert(chain.end(), h.begin(), h.end());
  }
  chain[5] = std::byte{72};
  chain[6] = std::byte{60};
  check(chain, decode_error::bad_value);
}
