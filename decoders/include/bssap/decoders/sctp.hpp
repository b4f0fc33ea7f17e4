// SCTP (RFC 4960): common header with CRC32c, chunk walking, DATA chunks, and the per-direction
// state used by packet_stack: TSN duplicate window and fragmented user message reassembly.
// Common header (3.1): source port, destination port, verification tag, checksum (CRC32c over the
// packet with the checksum field zeroed, Appendix B). Chunks (3.2): type(8) flags(8) length(16,
// including the 4-octet header, excluding padding), padded to 4 octets.
// DATA (3.3.1, type 0): flags U(bit 2) B(bit 1) E(bit 0); TSN(32) stream id(16) stream seq(16)
// PPID(32) user data. Fragments of one user message carry consecutive TSNs (6.9).
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"

namespace bssap::dec {

constexpr std::uint8_t sctp_chunk_data = 0;
constexpr std::uint8_t sctp_chunk_init = 1;
constexpr std::uint8_t sctp_chunk_init_ack = 2;
constexpr std::uint8_t sctp_chunk_sack = 3;
constexpr std::uint8_t sctp_chunk_abort = 6;
constexpr std::uint8_t sctp_chunk_shutdown = 7;
constexpr std::uint32_t sctp_ppid_m3ua = 3;

// Which checksum a packet carried (when verified). `bad`: neither matched, and the caller asked
// to decode such packets anyway (as Wireshark does by default: a capture taken on a host with
// checksum offload shows its own outgoing packets before the NIC fills the CRC in).
enum class sctp_checksum_kind : std::uint8_t { not_checked, crc32c, adler32, bad };

struct sctp_view {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t vtag = 0;
  std::uint32_t checksum = 0;
  sctp_checksum_kind checksum_kind = sctp_checksum_kind::not_checked;
  bytes chunks{};
};

// Errors: truncated (fewer than 12 octets), bad_checksum (verify_crc, drop_bad, and the checksum
// matches neither CRC32c nor, when accept_adler32, the Adler-32 of RFC 2960 Appendix B that RFC
// 3309 replaced: old stacks and simulators still send it, and tshark's "Automatic" accepts both).
// With drop_bad false such a packet is decoded with checksum_kind = bad (RFC 4960 6.8 tells an
// endpoint to discard it; a passive observer may decode it, as Wireshark does).
result<sctp_view> decode_sctp(bytes packet, bool verify_crc, bool accept_adler32 = true, bool drop_bad = true) noexcept;
// The same, into `out` (reset first): packet_stack's per-packet path (see decode_link_into).
decode_error decode_sctp_into(bytes packet, bool verify_crc, bool accept_adler32, bool drop_bad,
                              sctp_view& out) noexcept;

struct sctp_chunk_view {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint16_t length = 0;
  bytes value{};  // length - 4 octets
};

// Walks the chunks of one packet: while (!r.done()) { auto ch = r.next(); ... }.
// next() errors: bad_length (length < 4 or past the packet end); after an error done() is true.
class sctp_chunk_reader {
 public:
  explicit sctp_chunk_reader(bytes chunks) noexcept : _c(chunks) {}
  bool done() const noexcept { return _c.empty() || _failed; }
  result<sctp_chunk_view> next() noexcept;
  decode_error next_into(sctp_chunk_view& out) noexcept;  // the same, into `out` (per-chunk path)

 private:
  byte_cursor _c;
  bool _failed = false;
};

struct sctp_data_view {
  bool unordered = false;
  bool begin = false;
  bool end = false;
  std::uint32_t tsn = 0;
  std::uint16_t stream_id = 0;
  std::uint16_t stream_seq = 0;
  std::uint32_t ppid = 0;
  bytes user_data{};
};

// Errors: bad_length (DATA chunk shorter than 16 octets, or with no user data: 3.3.1).
result<sctp_data_view> decode_sctp_data(const sctp_chunk_view& chunk) noexcept;
// The same, into `out` (reset first): packet_stack's per-chunk path (see decode_link_into).
decode_error decode_sctp_data_into(const sctp_chunk_view& chunk, sctp_data_view& out) noexcept;

// The TSNs seen recently in one direction of an association: a bitmap over the `window` TSNs up
// to the highest one seen (serial number arithmetic, RFC 1982). accept() says whether a TSN is new
// (and marks it); a TSN already marked, or older than the window, is a retransmission.
class tsn_window {
 public:
  static constexpr std::uint32_t window = 1024;
  bool accept(std::uint32_t tsn) noexcept;
  // Whether accept(tsn) would move the window a whole window ahead or more (forgetting every TSN
  // seen): the caller refuses that from a packet whose checksum failed, whose TSN may be garbage.
  bool would_jump(std::uint32_t tsn) const noexcept {
    return _initialised && static_cast<std::int32_t>(tsn - _highest) >= static_cast<std::int32_t>(window);
  }
  void reset() noexcept { _initialised = false; }
  bool initialised() const noexcept { return _initialised; }
  std::uint32_t highest() const noexcept { return _highest; }

 private:
  void set(std::uint32_t tsn) noexcept { _bits[(tsn % window) / 64] |= std::uint64_t{1} << (tsn % 64); }
  void clear(std::uint32_t tsn) noexcept { _bits[(tsn % window) / 64] &= ~(std::uint64_t{1} << (tsn % 64)); }
  bool test(std::uint32_t tsn) const noexcept { return (_bits[(tsn % window) / 64] >> (tsn % 64)) & 1u; }

  std::array<std::uint64_t, window / 64> _bits{};
  std::uint32_t _highest = 0;
  bool _initialised = false;
};

// Identifies one fragmented user message being rebuilt: the sending direction (an id the
// caller gives, e.g. its direction-state index plus a generation), the stream and the U flag.
struct sctp_reasm_key {
  std::uint64_t direction_id = 0;
  std::uint16_t stream_id = 0;
  bool unordered = false;
  bool operator==(const sctp_reasm_key&) const noexcept = default;
};

struct sctp_reasm_counters {
  std::uint64_t reassembled = 0;
  std::uint64_t dropped = 0;  // sequences abandoned: gap, restart without E, too big, evicted
  std::uint64_t timed_out = 0;
};

// Rebuilds user messages from B/E fragments with consecutive TSNs, in `slots` fixed buffers of
// `max_bytes`, allocated in the constructor.
class sctp_reassembler {
 public:
  sctp_reassembler(std::uint32_t slots, std::uint32_t max_bytes);

  // Adds a DATA chunk that is a fragment (not both B and E). Returns the complete message when
  // the E fragment arrives (valid until the next add()), an empty span while incomplete, or:
  // truncated (a middle/end fragment without its predecessor: the sequence is dropped),
  // out_of_memory (message larger than max_bytes, or no slot free: dropped).
  result<bytes> add(const sctp_reasm_key& key, const sctp_data_view& chunk, std::int64_t ts_us) noexcept;

  void expire(std::int64_t now_us, std::int64_t timeout_us) noexcept;
  // Drops every sequence of one direction (its association was forgotten).
  void forget(std::uint64_t direction_id) noexcept;
  const sctp_reasm_counters& counters() const noexcept { return _counters; }

 private:
  struct slot {
    sctp_reasm_key key{};
    std::int64_t first_ts = 0;
    std::uint32_t next_tsn = 0;
    std::uint32_t size = 0;
    bool used = false;
  };
  std::uint32_t _slot_count;
  std::uint32_t _max_bytes;
  std::unique_ptr<slot[]> _slots;
  std::unique_ptr<std::byte[]> _arena;
  sctp_reasm_counters _counters;
};

}  // namespace bssap::dec
