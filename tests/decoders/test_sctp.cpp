// SCTP: CRC32c, chunk walking, DATA chunks, TSN window, fragment reassembler, and malformed
// siblings. Valid packets: vectors/lower/raw_ipv4.hex (IPv4 header 20 octets, then SCTP).
#include <catch2/catch.hpp>

#include "bssap/decoders/crc32c.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "bssap/decoders/sctp.hpp"
#include "test_support.hpp"
#include "vectors/lower/lower_vectors.hpp"

using namespace bssap::dec;
using bssap::test::frame;
using bssap::test::hex;
using bssap::test::lower_frames;
using bssap::test::span_of;

TEST_CASE("CRC32c check values (RFC 3720 B.4)", "[sctp][crc32c]") {
  const frame zeros(32, std::byte{0x00});
  const frame ones(32, std::byte{0xFF});
  frame incrementing(32);
  for (int i = 0; i < 32; ++i) incrementing[i] = std::byte(i);
  CHECK(crc32c(span_of(zeros)) == 0x8A9136AAu);
  CHECK(crc32c(span_of(ones)) == 0x62A8AB43u);
  CHECK(crc32c(span_of(incrementing)) == 0x46DD794Eu);
  CHECK(crc32c(hex("31 32 33 34 35 36 37 38 39")) == 0xE3069283u);  // "123456789"
}

namespace {
// The definition, one bit at a time (RFC 3309 / RFC 4960 Appendix B, reflected polynomial).
std::uint32_t crc32c_bitwise(std::uint32_t crc, const frame& data, std::size_t from, std::size_t n) {
  for (std::size_t i = from; i < from + n; ++i) {
    crc ^= std::to_integer<std::uint8_t>(data[i]);
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return crc;
}
}  // namespace

TEST_CASE("CRC32c implementations agree with the bitwise definition at every length and alignment", "[sctp][crc32c]") {
  // Every tail length (0-7 after the 8-octet steps) and start alignment, for the table and the
  // SSE4.2 code alike: a release build uses the latter, the sanitizer builds the former by default.
  frame data(96 + 8);
  std::uint32_t x = 12345;
  for (auto& b : data) {
    x = x * 1103515245u + 12345u;
    b = std::byte(x >> 24);
  }
  for (std::size_t from = 0; from < 8; ++from) {
    for (std::size_t n = 0; n <= 96; ++n) {
      INFO("offset " << from << " length " << n);
      const bytes piece = span_of(data).subspan(from, n);
      const std::uint32_t want = crc32c_bitwise(0xFFFFFFFFu, data, from, n);
      CHECK(detail::crc32c_update_table(0xFFFFFFFFu, piece) == want);
      CHECK(crc32c_update(0xFFFFFFFFu, piece) == want);
#if defined(__x86_64__) || defined(__i386__)
      if (detail::crc32c_have_sse42()) CHECK(detail::crc32c_update_sse42(0xFFFFFFFFu, piece) == want);
#endif
    }
  }
#if defined(__x86_64__) || defined(__i386__)
  if (!detail::crc32c_have_sse42()) WARN("this CPU has no SSE4.2: the crc32 instruction path was not tested");
#endif
}

TEST_CASE("SCTP header and DATA chunk of the raw_ipv4 vector", "[sctp]") {
  const auto p = lower_frames("raw_ipv4")[0];
  const auto sctp = span_of(p).subspan(20);
  const auto h = decode_sctp(sctp, true);
  REQUIRE(h);
  CHECK(h->src_port == 2905);
  CHECK(h->dst_port == 2905);
  CHECK(h->vtag == 0x0A0B0C0D);
  CHECK(h->checksum_kind == sctp_checksum_kind::crc32c);
  sctp_chunk_reader r(h->chunks);
  const auto ch = r.next();
  REQUIRE(ch);
  CHECK(ch->type == sctp_chunk_data);
  CHECK(ch->flags == 0x03);
  CHECK(r.done());
  const auto d = decode_sctp_data(*ch);
  REQUIRE(d);
  CHECK(d->tsn == 100);
  CHECK(d->ppid == sctp_ppid_m3ua);
  CHECK(d->begin);
  CHECK(d->end);
  CHECK(d->user_data.size() == 48);  // M3UA: 8 header + 4 + 12 + 22 SCCP + 2 padding
}

TEST_CASE("SCTP malformed siblings: exact error and counter", "[sctp]") {
  const auto good = lower_frames("raw_ipv4")[0];
  auto c = stack_config{};
  c.verify_sctp_crc = false;  // the siblings below change bytes; checksum failures are tested apart
  packet_stack stack(c);
  auto on = [](const sccp_unit&) noexcept {};
  const auto sink = make_sccp_sink(on);
  auto feed = [&](const frame& f) { stack.decode(linktype::ipv4, span_of(f), 0, sink); };
  auto with_ip_length = [](frame f) {
    f[2] = std::byte(f.size() >> 8);
    f[3] = std::byte(f.size() & 0xFF);
    return f;
  };

  // 11 octets of SCTP.
  frame f = with_ip_length(frame(good.begin(), good.begin() + 31));
  CHECK(decode_sctp(span_of(f).subspan(20), false).error() == decode_error::truncated);
  // The IP datagram is whole (its total length fits), so SCTP's missing octet is the sender's,
  // even when the capture cut the frame after it.
  feed(f);
  CHECK(stack.stats().get(layer::sctp, decode_error::bad_length) == 1);
  stack.decode(linktype::ipv4, span_of(f), 0, sink, f.size() + 40);
  CHECK(stack.stats().get(layer::sctp, decode_error::bad_length) == 2);

  // Checksum flipped.
  f = good;
  f[28] ^= std::byte{0x01};
  CHECK(decode_sctp(span_of(f).subspan(20), true).error() == decode_error::bad_checksum);
  CHECK(decode_sctp(span_of(f).subspan(20), false));

  // Chunk length 3 (< 4).
  f = good;
  f[34] = std::byte{0x00};
  f[35] = std::byte{0x03};
  sctp_chunk_reader r1(span_of(f).subspan(32));
  CHECK(r1.next().error() == decode_error::bad_length);
  CHECK(r1.done());
  feed(f);
  CHECK(stack.stats().get(layer::sctp, decode_error::bad_length) == 3);

  // Chunk length past the packet end.
  f = good;
  f[34] = std::byte{0x01};
  sctp_chunk_reader r2(span_of(f).subspan(32));
  CHECK(r2.next().error() == decode_error::bad_length);
  feed(f);
  CHECK(stack.stats().get(layer::sctp, decode_error::bad_length) == 4);

  // DATA chunk of 16 octets: no user data (RFC 4960 3.3.1).
  const auto empty_value = hex("00 00 00 01 00 00 00 00 00 00 00 03");
  const auto short_value = hex("00 00 00 01 00 00");
  const sctp_chunk_view empty_data{sctp_chunk_data, 3, 16, span_of(empty_value)};
  CHECK(decode_sctp_data(empty_data).error() == decode_error::bad_length);
  const sctp_chunk_view short_data{sctp_chunk_data, 3, 10, span_of(short_value)};
  CHECK(decode_sctp_data(short_data).error() == decode_error::bad_length);

  // PPID 46 (Diameter) is counted, not decoded.
  f = good;
  f[47] = std::byte{46};
  feed(f);
  CHECK(stack.counters().sctp_ppid_other == 1);
}

TEST_CASE("TSN window: duplicates, wrap-around, too old", "[sctp]") {
  tsn_window w;
  CHECK(w.accept(0xFFFFFFFE));
  CHECK(w.accept(0xFFFFFFFF));
  CHECK(w.accept(0));  // wraps (serial arithmetic)
  CHECK(w.accept(1));
  CHECK_FALSE(w.accept(0xFFFFFFFF));
  CHECK_FALSE(w.accept(0));
  CHECK(w.accept(5));
  CHECK(w.accept(3));  // late but new (a hole filled)
  CHECK_FALSE(w.accept(3));
  CHECK(w.accept(5 + tsn_window::window));           // the window slides
  CHECK_FALSE(w.accept(5));                          // now older than the window: taken as a retransmission
  CHECK(w.accept(5 + tsn_window::window + 100000));  // a big jump clears the window
  CHECK_FALSE(w.accept(5 + tsn_window::window + 100000));
}

TEST_CASE("SCTP reassembler: bounds and sequencing", "[sctp]") {
  sctp_reassembler r(1, 32);
  const auto data = hex("01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14");
  sctp_data_view b{false, true, false, 10, 1, 0, 3, data};
  sctp_data_view e{false, false, true, 11, 1, 0, 3, data};
  // Too big: 40 > 32.
  REQUIRE(r.add({1, 1, false}, b, 0));
  CHECK(r.add({1, 1, false}, e, 0).error() == decode_error::out_of_memory);
  // Only one slot: a second message in progress on another stream is refused.
  const frame small(data.begin(), data.begin() + 4);
  sctp_data_view b_small{false, true, false, 20, 1, 0, 3, span_of(small)};
  REQUIRE(r.add({1, 1, false}, b_small, 0));
  CHECK(r.add({1, 2, false}, b_small, 0).error() == decode_error::out_of_memory);
  // A gap in the TSNs drops the message.
  sctp_data_view e_gap{false, false, true, 22, 1, 0, 3, span_of(small)};
  CHECK(r.add({1, 1, false}, e_gap, 0).error() == decode_error::truncated);
  // Timeout.
  REQUIRE(r.add({1, 1, false}, b_small, 0));
  r.expire(100, 50);
  CHECK(r.counters().timed_out == 1);
  sctp_data_view e_ok{false, false, true, 21, 1, 0, 3, span_of(small)};
  CHECK(r.add({1, 1, false}, e_ok, 200).error() == decode_error::truncated);
}
