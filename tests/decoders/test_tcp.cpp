// TCP header checks and stream reassembly for IPA: bounds, holes, retransmissions, RST/FIN,
// oversized messages, eviction. Segments are built here (raw IPv4 link type; TCP checksums are not
// verified by the decoder); the handshake/out-of-order/retransmission capture case is
// vectors/lower/tcp_ipa.hex (tshark-checked), run in test_packet_stack.cpp.
#include <catch2/catch.hpp>

#include "bssap/decoders/packet_stack.hpp"
#include "bssap/decoders/tcp.hpp"
#include "test_support.hpp"
#include "vectors/lower/lower_vectors.hpp"

using namespace bssap::dec;
using bssap::test::frame;
using bssap::test::hex;
using bssap::test::span_of;

namespace {

// IPv4 10.0.0.<src> -> 10.0.0.<dst>, TCP sport -> dport, seq, flags, payload.
frame segment(int src, int dst, std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint8_t flags,
              const frame& payload = {}) {
  frame f = hex("45 00 00 00 00 01 00 00 40 06 00 00 0a 00 00 00 0a 00 00 00");
  f[15] = std::byte(src);
  f[19] = std::byte(dst);
  const frame tcp{std::byte(sport >> 8), std::byte(sport & 0xFF),
                  std::byte(dport >> 8), std::byte(dport & 0xFF),
                  std::byte(seq >> 24),  std::byte(seq >> 16),
                  std::byte(seq >> 8),   std::byte(seq),
                  std::byte{0},          std::byte{0},
                  std::byte{0},          std::byte{0},
                  std::byte{0x50},       std::byte(flags),
                  std::byte{0xff},       std::byte{0xff},
                  std::byte{0},          std::byte{0},
                  std::byte{0},          std::byte{0}};
  f.insert(f.end(), tcp.begin(), tcp.end());
  f.insert(f.end(), payload.begin(), payload.end());
  f[2] = std::byte(f.size() >> 8);
  f[3] = std::byte(f.size() & 0xFF);
  return f;
}

// An IPA SCCP message whose last octet is n (first SCCP octet 0x09 UDT for the heuristic).
frame msg(int n) {
  return frame{std::byte{0}, std::byte{4}, std::byte{0xFD}, std::byte{0x09}, std::byte{1}, std::byte{2}, std::byte(n)};
}
frame cat(std::initializer_list<frame> parts) {
  frame out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct harness {
  packet_stack stack;
  std::vector<int> seen;  // last SCCP octet of each unit, in order
  std::int64_t ts = 0;
  explicit harness(const stack_config& c) : stack(c) {}
  void feed(const frame& f) {
    auto on = [&](const sccp_unit& u) noexcept { seen.push_back(std::to_integer<int>(u.sccp.back())); };
    stack.decode(linktype::ipv4, span_of(f), ts += 1000, make_sccp_sink(on));
  }
};

stack_config config() {
  stack_config c;
  c.tcp_max_flows = 4;
  c.tcp_buffers = 2;
  c.tcp_buffer_bytes = 64;
  return c;
}

constexpr std::uint8_t syn = tcp_flag_syn, ack = tcp_flag_ack, psh_ack = tcp_flag_psh | tcp_flag_ack,
                       fin_ack = tcp_flag_fin | tcp_flag_ack, rst = tcp_flag_rst;

}  // namespace

TEST_CASE("TCP header malformed siblings: exact error and counter", "[tcp]") {
  const auto good = segment(1, 2, 40000, 5000, 1, ack);
  CHECK(decode_tcp(span_of(good).subspan(20)));
  CHECK(decode_tcp(span_of(good).subspan(20, 19)).error() == decode_error::truncated);
  frame f = good;
  f[20 + 12] = std::byte{0x40};  // data offset 4
  CHECK(decode_tcp(span_of(f).subspan(20)).error() == decode_error::bad_value);
  packet_stack stack;
  auto on = [](const sccp_unit&) noexcept {};
  stack.decode(linktype::ipv4, span_of(f), 0, make_sccp_sink(on));
  CHECK(stack.stats().get(layer::tcp, decode_error::bad_value) == 1);
  f[20 + 12] = std::byte{0xF0};  // data offset 15 = 60 octets, 20 present
  CHECK(decode_tcp(span_of(f).subspan(20)).error() == decode_error::truncated);
}

TEST_CASE("TCP: a retransmission overlapping new data delivers only the new part", "[tcp]") {
  harness h(config());
  h.feed(segment(1, 2, 40000, 5000, 100, syn));
  const auto both = cat({msg(1), msg(2)});
  h.feed(segment(1, 2, 40000, 5000, 101, psh_ack, msg(1)));
  h.feed(segment(1, 2, 40000, 5000, 101, psh_ack, both));  // msg(1) again + msg(2)
  CHECK(h.seen == std::vector<int>{1, 2});
  h.feed(segment(1, 2, 40000, 5000, 100, syn));  // the SYN again (same ISN): no reset
  h.feed(segment(1, 2, 40000, 5000, 115, psh_ack, msg(3)));
  CHECK(h.seen == std::vector<int>{1, 2, 3});
  h.feed(segment(1, 2, 40000, 5000, 101, psh_ack, both));  // all old
  CHECK(h.seen.size() == 3);
  CHECK(h.stack.counters().tcp_retransmitted_segments == 1);
}

TEST_CASE("TCP: holes fill in any order; too many holes are skipped and the stream resyncs", "[tcp]") {
  harness h(config());
  h.feed(segment(1, 2, 40000, 5000, 0, syn));
  // Messages of 7 octets at seq 1, 8, 15, 22, 29, 36: send 2, 4, 6 first, then 1, 3, 5.
  for (int i : {2, 4, 6}) h.feed(segment(1, 2, 40000, 5000, 1 + 7 * (i - 1), psh_ack, msg(i)));
  CHECK(h.seen.empty());
  CHECK(h.stack.counters().tcp_out_of_order_segments == 3);
  for (int i : {1, 3, 5}) h.feed(segment(1, 2, 40000, 5000, 1 + 7 * (i - 1), psh_ack, msg(i)));
  CHECK(h.seen == std::vector<int>{1, 2, 3, 4, 5, 6});

  // Five disjoint ranges behind a hole: more than tcp_max_ooo_ranges.
  const std::uint32_t base = 1 + 7 * 6;
  for (int i : {2, 4, 6, 8}) h.feed(segment(1, 2, 40000, 5000, base + 7 * (i - 1), psh_ack, msg(10 + i)));
  CHECK(h.stack.counters().tcp_gaps_skipped == 0);
  h.feed(segment(1, 2, 40000, 5000, base + 7 * 9, psh_ack, msg(20)));  // the 5th range
  CHECK(h.stack.counters().tcp_gaps_skipped == 1);
  CHECK(h.stack.counters().tcp_midstream_resyncs == 1);
  CHECK(h.seen.back() == 20);  // picked up again at the segment that did not fit
}

TEST_CASE("TCP: a hole older than the reassembly timeout is skipped by expire()", "[tcp]") {
  harness h(config());
  h.feed(segment(1, 2, 40000, 5000, 0, syn));
  h.feed(segment(1, 2, 40000, 5000, 8, psh_ack, msg(2)));  // seq 1..7 never arrives
  h.stack.expire(h.ts + h.stack.config().reassembly_timeout_us + 1);
  CHECK(h.stack.counters().tcp_gaps_skipped == 1);
  h.ts += h.stack.config().reassembly_timeout_us + 2;
  h.feed(segment(1, 2, 40000, 5000, 15, psh_ack, msg(3)));  // resync on a message boundary
  CHECK(h.seen == std::vector<int>{3});
}

TEST_CASE("TCP: buffer pool exhaustion and flow eviction are counted", "[tcp]") {
  auto c = config();
  c.tcp_buffers = 1;
  c.tcp_max_flows = 2;
  harness h(c);
  const auto whole = msg(1);
  const frame half(whole.begin(), whole.begin() + 4);
  h.feed(segment(1, 2, 40001, 5000, 0, syn));
  h.feed(segment(1, 2, 40001, 5000, 1, psh_ack, half));  // takes the only buffer
  h.feed(segment(1, 2, 40002, 5000, 0, syn));
  h.feed(segment(1, 2, 40002, 5000, 1, psh_ack, half));  // no buffer left
  CHECK(h.stack.stats().get(layer::tcp, decode_error::out_of_memory) == 1);
  CHECK(h.stack.counters().tcp_bytes_dropped == 4);
  h.feed(segment(1, 2, 40003, 5000, 0, syn));  // a third connection evicts the oldest
  CHECK(h.stack.counters().tcp_flows_evicted == 1);
}

TEST_CASE("TCP: an IPA message larger than a buffer is skipped by its length", "[tcp][ipa]") {
  harness h(config());  // 64-octet buffers
  // Built at full size: growing a 3-octet vector trips GCC 12's -Warray-bounds at -O3 (a false positive).
  frame big(103, std::byte{0x09});
  big[0] = std::byte{0};
  big[1] = std::byte{100};
  big[2] = std::byte{0xFD};
  h.feed(segment(1, 2, 40000, 5000, 0, syn));
  h.feed(segment(1, 2, 40000, 5000, 1, psh_ack, frame(big.begin(), big.begin() + 50)));
  h.feed(segment(1, 2, 40000, 5000, 51, psh_ack, cat({frame(big.begin() + 50, big.end()), msg(7)})));
  CHECK(h.seen == std::vector<int>{7});
  CHECK(h.stack.counters().ipa_oversized == 1);
  CHECK(h.stack.stats().get(layer::ipa, decode_error::out_of_memory) == 1);
  // The same message in one segment is complete: it is delivered.
  h.feed(segment(1, 2, 40000, 5000, 1 + 103 + 7, psh_ack, big));
  CHECK(h.seen.size() == 2);
}

TEST_CASE("TCP: RST and FIN close a connection; a new SYN reopens it", "[tcp]") {
  harness h(config());
  h.feed(segment(1, 2, 40000, 5000, 0, syn));
  h.feed(segment(1, 2, 40000, 5000, 1, psh_ack, msg(1)));
  h.feed(segment(1, 2, 40000, 5000, 8, fin_ack));
  h.feed(segment(2, 1, 5000, 40000, 0, fin_ack));
  h.feed(segment(1, 2, 40000, 5000, 1, psh_ack, msg(1)));  // late retransmission after close
  CHECK(h.seen == std::vector<int>{1});
  CHECK(h.stack.counters().tcp_retransmitted_segments == 1);
  CHECK(h.stack.counters().tcp_fin == 2);
  h.feed(segment(1, 2, 40000, 5000, 1000, syn));
  h.feed(segment(1, 2, 40000, 5000, 1001, psh_ack, msg(2)));
  CHECK(h.seen == std::vector<int>{1, 2});
  h.feed(segment(2, 1, 5000, 40000, 0, rst));
  h.feed(segment(1, 2, 40000, 5000, 1008, psh_ack, msg(3)));  // after RST: ignored
  CHECK(h.seen.size() == 2);
  CHECK(h.stack.counters().tcp_rst == 1);
}
