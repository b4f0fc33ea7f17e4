// IPv4 header checks and the fragment reassembler. Valid packet: vectors/lower/raw_ipv4.hex.
#include <catch2/catch.hpp>

#include "bssap/decoders/ipv4.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "test_support.hpp"
#include "vectors/lower/lower_vectors.hpp"

using namespace bssap::dec;
using bssap::test::frame;
using bssap::test::hex;
using bssap::test::lower_frames;
using bssap::test::span_of;

TEST_CASE("IPv4 header fields of the raw_ipv4 vector", "[ipv4]") {
  const auto p = lower_frames("raw_ipv4")[0];
  const auto v = decode_ipv4(span_of(p));
  REQUIRE(v);
  CHECK(v->header_length == 20);
  CHECK(v->total_length == 96);
  CHECK(v->id == 0x1234);
  CHECK(v->protocol == ip_proto_sctp);
  CHECK(v->src == 0x0A000001);
  CHECK(v->dst == 0x0A000002);
  CHECK_FALSE(v->is_fragment());
  CHECK(v->payload.size() == 76);
}

TEST_CASE("IPv4 malformed siblings: exact error and counter", "[ipv4]") {
  const auto good = lower_frames("raw_ipv4")[0];
  packet_stack stack;
  auto on = [](const sccp_unit&) noexcept {};
  const auto sink = make_sccp_sink(on);
  auto check = [&](const frame& f, decode_error e) {
    CHECK(decode_ipv4(span_of(f)).error() == e);
    // Through the stack: a frame captured whole that runs out of octets claims what it does not
    // have (bad_length); only a frame the capture cut (wire length > captured) is truncated.
    const decode_error whole = e == decode_error::truncated ? decode_error::bad_length : e;
    const auto before = stack.stats().get(layer::ipv4, whole);
    stack.decode(linktype::ipv4, span_of(f), 0, sink);
    CHECK(stack.stats().get(layer::ipv4, whole) == before + 1);
    const auto before_cut = stack.stats().get(layer::ipv4, e);
    stack.decode(linktype::ipv4, span_of(f), 0, sink, f.size() + 100);
    CHECK(stack.stats().get(layer::ipv4, e) == before_cut + 1);
  };
  check(frame(good.begin(), good.begin() + 19), decode_error::truncated);  // shorter than 20
  frame f = good;
  f[0] = std::byte{0x65};  // version 6 in an IPv4 link type
  check(f, decode_error::bad_value);
  f = good;
  f[0] = std::byte{0x44};  // IHL 4
  check(f, decode_error::bad_value);
  f = good;
  f[2] = std::byte{0x00};
  f[3] = std::byte{0x10};  // total length 16 < IHL*4
  check(f, decode_error::bad_length);
  f = good;
  f[3] = std::byte{0x61};  // total length 97 > 96 captured (snaplen cut or lying length)
  check(f, decode_error::truncated);
  f = good;
  f[0] = std::byte{0x4F};  // IHL 15 = 60 octets, fine against 96 captured: options are skipped
  CHECK(decode_ipv4(span_of(f))->payload.size() == 36);
}

TEST_CASE("IPv4 trailing Ethernet padding is cut at total length", "[ipv4]") {
  auto p = lower_frames("raw_ipv4")[0];
  p.resize(p.size() + 6);
  const auto v = decode_ipv4(span_of(p));
  REQUIRE(v);
  CHECK(v->payload.size() == 76);
}

TEST_CASE("ip_reassembler: any order, overlap, size limits", "[ipv4]") {
  ip_frag_key key;
  key.id = 7;
  key.protocol = ip_proto_sctp;
  const frame a(16, std::byte{0xAA}), b(16, std::byte{0xBB}), c(5, std::byte{0xCC});
  {
    ip_reassembler r(2, 1024);
    auto x = r.add(key, 32, false, span_of(c), 0);  // last first
    REQUIRE(x);
    CHECK(x->empty());
    x = r.add(key, 0, true, span_of(a), 0);
    REQUIRE(x);
    CHECK(x->empty());
    x = r.add(key, 16, true, span_of(b), 0);
    REQUIRE(x);
    REQUIRE(x->size() == 37);
    CHECK((*x)[0] == std::byte{0xAA});
    CHECK((*x)[16] == std::byte{0xBB});
    CHECK((*x)[36] == std::byte{0xCC});
    CHECK(r.counters().reassembled == 1);
    CHECK(r.in_progress() == 0);
  }
  {
    ip_reassembler r(2, 1024);
    REQUIRE(r.add(key, 0, true, span_of(a), 0));
    CHECK(r.add(key, 8, true, span_of(b), 0).error() == decode_error::bad_value);  // overlaps 8..15
    CHECK(r.counters().overlaps == 1);
    CHECK(r.in_progress() == 0);
  }
  {
    ip_reassembler r(2, 1024);
    CHECK(r.add(key, 0, true, span_of(c), 0).error() == decode_error::bad_length);  // 5 octets, not a multiple of 8
    CHECK(r.add(key, 65528, false, span_of(a), 0).error() == decode_error::bad_length);    // ends past 65535
    CHECK(r.add(key, 1024, false, span_of(a), 0).error() == decode_error::out_of_memory);  // past max_bytes
  }
  {
    ip_reassembler r(2, 1024);
    REQUIRE(r.add(key, 0, false, span_of(a), 0));  // wait: offset 0, last, 16 octets = complete at once
    REQUIRE(r.add(key, 0, true, span_of(a), 0));
    CHECK(r.add(key, 8, false, span_of(c), 0).error() == decode_error::bad_value);  // overlaps
    REQUIRE(r.add(key, 32, false, span_of(c), 0));
    CHECK(r.add(key, 48, false, span_of(c), 0).error() == decode_error::bad_length);  // a second, different end
  }
}
