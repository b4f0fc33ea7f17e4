// TCP header (RFC 9293 3.1) and per-direction stream reassembly for IPA (ipa.hpp) framing.
//
// Reassembly model (one tcp_stream per direction of a connection, a shared tcp_reassembler pool):
// - In-order data is parsed straight from the segment; only an incomplete trailing message or
//   out-of-order data is copied, into one fixed-size buffer taken from the pool (returned when
//   empty), so memory is bounded per flow (one buffer per direction) and in total (the pool).
// - Bytes before the next expected sequence number are retransmissions: trimmed or skipped, never
//   delivered twice. Data ahead of a hole is kept (up to 4 disjoint ranges) until the hole fills.
// - A hole that cannot fill (buffer full, too many ranges, or expire() after the reassembly
//   timeout) is skipped: buffered bytes are dropped and the stream resynchronises.
// - Without a SYN (capture started mid-connection, or after a skipped hole) the stream finds an
//   IPA message boundary heuristically (ipa_chain_plausible from the segment start, then each
//   later offset) and counts the resynchronisation.
// - An IPA message longer than the buffer is skipped by its length (counted) without storing it.
// The caller handles RST/FIN and connection lookup; see packet_stack.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"
#include "bssap/decoders/stats.hpp"

namespace bssap::dec {

constexpr std::uint8_t tcp_flag_fin = 0x01;
constexpr std::uint8_t tcp_flag_syn = 0x02;
constexpr std::uint8_t tcp_flag_rst = 0x04;
constexpr std::uint8_t tcp_flag_psh = 0x08;
constexpr std::uint8_t tcp_flag_ack = 0x10;

struct tcp_view {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t header_length = 0;  // data offset * 4
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  bytes payload{};

  constexpr bool syn() const noexcept { return (flags & tcp_flag_syn) != 0; }
  constexpr bool fin() const noexcept { return (flags & tcp_flag_fin) != 0; }
  constexpr bool rst() const noexcept { return (flags & tcp_flag_rst) != 0; }
};

// Errors: truncated (fewer than 20 octets or than the data offset), bad_value (data offset < 5).
result<tcp_view> decode_tcp(bytes segment) noexcept;

constexpr std::size_t tcp_max_ooo_ranges = 4;

// State of one direction of a connection. Small: lives in the connection table.
struct tcp_stream {
  std::uint32_t base_seq = 0;  // sequence number of buffer[0] (= next expected when nothing is held)
  std::uint32_t contig = 0;    // in-order octets held from base_seq (an incomplete message)
  std::uint32_t skip = 0;      // octets of an oversized message still to discard
  std::int32_t buffer = -1;    // pool buffer index, -1 when none
  std::array<std::uint32_t, 2 * tcp_max_ooo_ranges> ranges{};  // [start, end) offsets beyond contig, sorted
  std::uint8_t range_count = 0;
  bool synced = false;  // base_seq is at a message boundary we trust
  bool fin = false;
  bool have_isn = false;  // a SYN was seen: `isn` is its sequence number
  std::uint32_t isn = 0;
  std::int64_t ooo_since = 0;  // when data first waited behind a hole
};

struct tcp_reasm_counters {
  std::uint64_t retransmitted_segments = 0;
  std::uint64_t out_of_order_segments = 0;
  std::uint64_t midstream_resyncs = 0;
  std::uint64_t gaps_skipped = 0;
  std::uint64_t bytes_dropped = 0;
  std::uint64_t oversized_messages = 0;
};

// Consumes complete IPA messages from the front of a contiguous span; returns the octets
// consumed (whole messages only) and, for a message longer than the buffer can hold, how many
// octets past the span still belong to it (`skip_after`).
struct ipa_consumer {
  struct outcome {
    std::size_t consumed = 0;
    std::size_t skip_after = 0;
  };
  void* ctx = nullptr;
  outcome (*fn)(void*, bytes, std::size_t buffer_bytes) noexcept = nullptr;
};

class tcp_reassembler {
 public:
  tcp_reassembler(std::uint32_t buffers, std::uint32_t buffer_bytes);

  // Feeds one segment of one direction. SYN (re)starts the direction at seq + 1.
  // Buffer pool exhaustion is counted in stats as (tcp, out_of_memory).
  void segment(tcp_stream& s, const tcp_view& seg, std::int64_t ts_us, ipa_consumer consumer,
               decode_stats& stats) noexcept;

  // Gives the direction's buffer back (connection closed or forgotten).
  void release(tcp_stream& s) noexcept;
  // Drops data waiting behind a hole for longer than timeout_us; the stream resynchronises.
  void expire(tcp_stream& s, std::int64_t now_us, std::int64_t timeout_us) noexcept;

  const tcp_reasm_counters& counters() const noexcept { return _counters; }
  std::uint32_t buffers_in_use() const noexcept { return _buffer_count - _free_count; }
  std::uint32_t buffer_bytes() const noexcept { return _buffer_bytes; }

 private:
  bool acquire(tcp_stream& s) noexcept;
  std::byte* buf(const tcp_stream& s) noexcept { return &_arena[std::size_t(s.buffer) * _buffer_bytes]; }
  std::size_t drain(tcp_stream& s, bytes front, ipa_consumer consumer) noexcept;
  void compact(tcp_stream& s, std::size_t consumed) noexcept;
  void merge_ranges(tcp_stream& s) noexcept;
  bool add_range(tcp_stream& s, std::uint32_t start, std::uint32_t end) noexcept;
  std::uint32_t held_end(const tcp_stream& s) const noexcept;
  void drop_all(tcp_stream& s) noexcept;
  void unsynced(tcp_stream& s, std::uint32_t seq, bytes payload, ipa_consumer consumer, decode_stats& stats) noexcept;
  void in_order(tcp_stream& s, bytes payload, ipa_consumer consumer, decode_stats& stats) noexcept;

  std::uint32_t _buffer_count;
  std::uint32_t _buffer_bytes;
  std::unique_ptr<std::byte[]> _arena;
  std::unique_ptr<std::int32_t[]> _free;  // stack of free buffer indices
  std::uint32_t _free_count;
  tcp_reasm_counters _counters;
};

// Offset of the first IPA message boundary in `data`: the first offset from which a chain of
// plausible IPA messages fills `data` exactly, else the first from which it fills it up to a
// partial last message (ipa_chain_plausible), else data.size().
std::size_t find_ipa_boundary(bytes data) noexcept;

}  // namespace bssap::dec
