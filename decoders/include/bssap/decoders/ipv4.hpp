// IPv4 header (RFC 791 3.1) and bounded IP fragment reassembly (RFC 791 3.2, RFC 815), shared
// with IPv6 (RFC 8200 4.5).
// The header checksum is not verified (captures of offloading NICs carry garbage there), but
// version, IHL and total length are: a packet whose claimed length contradicts its header is
// refused; Ethernet padding beyond total length is cut off.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"

namespace bssap::dec {

constexpr std::uint8_t ip_proto_tcp = 6;
constexpr std::uint8_t ip_proto_udp = 17;
constexpr std::uint8_t ip_proto_sctp = 132;

struct ipv4_view {
  std::uint8_t header_length = 0;  // IHL * 4
  std::uint8_t tos = 0;
  std::uint16_t total_length = 0;
  std::uint16_t id = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;  // in octets (the field times 8)
  std::uint8_t ttl = 0;
  std::uint8_t protocol = 0;
  std::uint32_t src = 0;
  std::uint32_t dst = 0;
  bytes src_addr{};  // the 4 address octets in the packet
  bytes dst_addr{};
  bytes payload{};  // total_length - header_length octets

  constexpr bool is_fragment() const noexcept { return more_fragments || fragment_offset != 0; }
};

// Errors: truncated (fewer than 20 octets, than IHL*4, or than total length), bad_value
// (version != 4, IHL < 5), bad_length (total length < IHL*4).
result<ipv4_view> decode_ipv4(bytes packet) noexcept;
// The same, into `out` (reset first): packet_stack's per-frame path (see decode_link_into).
decode_error decode_ipv4_into(bytes packet, ipv4_view& out) noexcept;

// Identifies one datagram in reassembly: addresses (IPv4 in the first 4 octets), identification,
// upper protocol, IP version.
struct ip_frag_key {
  std::array<std::uint8_t, 16> src{};
  std::array<std::uint8_t, 16> dst{};
  std::uint32_t id = 0;
  std::uint8_t protocol = 0;
  std::uint8_t version = 4;

  bool operator==(const ip_frag_key&) const noexcept = default;
};

struct ip_reasm_counters {
  std::uint64_t fragments = 0;
  std::uint64_t reassembled = 0;
  std::uint64_t evicted = 0;    // oldest datagram dropped to make room
  std::uint64_t timed_out = 0;  // dropped by expire()
  std::uint64_t overlaps = 0;   // dropped because two fragments covered the same octets
};

// Fixed table of `slots` datagrams, each with a `max_bytes` arena slice and an 8-octet-block
// coverage bitmap, all allocated in the constructor. add() never allocates.
class ip_reassembler {
 public:
  ip_reassembler(std::uint32_t slots, std::uint32_t max_bytes);

  // Adds one fragment (payload octets at `offset`; `more` = MF flag).
  // Returns the whole datagram payload once complete (valid until the next add()), an empty
  // span with ok() while incomplete, or an error: bad_length (non-final fragment not a multiple
  // of 8 octets, end beyond 65535, or contradicting the final fragment), bad_value (overlapping
  // fragments: the datagram is dropped, RFC 5722 style), out_of_memory (datagram larger than
  // max_bytes: dropped).
  result<bytes> add(const ip_frag_key& key, std::uint32_t offset, bool more, bytes data, std::int64_t ts_us) noexcept;

  void expire(std::int64_t now_us, std::int64_t timeout_us) noexcept;
  const ip_reasm_counters& counters() const noexcept { return _counters; }
  std::size_t in_progress() const noexcept;

 private:
  struct slot {
    ip_frag_key key{};
    std::int64_t first_ts = 0;
    std::uint32_t total = 0;  // 0 until the final fragment is seen
    std::uint32_t received = 0;
    bool used = false;
  };
  void release(slot& s) noexcept { s.used = false; }

  std::uint32_t _slot_count;
  std::uint32_t _max_bytes;
  std::uint32_t _bitmap_words;  // per slot
  std::unique_ptr<slot[]> _slots;
  std::unique_ptr<std::byte[]> _arena;
  std::unique_ptr<std::uint64_t[]> _bitmap;
  ip_reasm_counters _counters;
};

}  // namespace bssap::dec
