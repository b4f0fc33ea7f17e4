// IPv6 header (RFC 8200 3) with extension headers skipped (4.3 hop-by-hop, 4.4 routing, 4.6
// destination options, 4.5 fragment, RFC 4302 authentication header), fragment header decoded so
// the caller can reassemble with ip_reassembler (ipv4.hpp).
#pragma once

#include <cstdint>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"

namespace bssap::dec {

constexpr std::uint8_t ipv6_ext_hop_by_hop = 0;
constexpr std::uint8_t ipv6_ext_routing = 43;
constexpr std::uint8_t ipv6_ext_fragment = 44;
constexpr std::uint8_t ipv6_ext_auth = 51;
constexpr std::uint8_t ipv6_no_next = 59;
constexpr std::uint8_t ipv6_ext_dest_opts = 60;

// At most this many extension headers are walked; more is refused (bad_value).
constexpr std::size_t ipv6_max_extension_headers = 8;

struct ipv6_view {
  std::uint16_t payload_length = 0;
  std::uint8_t hop_limit = 0;
  bytes src_addr{};  // 16 octets
  bytes dst_addr{};
  // The upper-layer protocol and its bytes, after the extension headers. For a fragment, the
  // protocol named by the fragment header and the fragment's data (starting right after it).
  std::uint8_t next_header = 0;
  bytes payload{};
  bool is_fragment = false;
  std::uint32_t fragment_id = 0;
  std::uint16_t fragment_offset = 0;  // octets
  bool more_fragments = false;
};

// Errors: truncated (fewer than 40 octets, than payload length, or an extension header cut),
// bad_value (version != 6, too many extension headers), bad_length (extension header longer than
// the payload), unsupported (jumbogram: payload length 0 with a hop-by-hop header).
result<ipv6_view> decode_ipv6(bytes packet) noexcept;

// Walks the extension headers (not fragment) at the front of a reassembled payload.
// Errors: as decode_ipv6.
result<bytes> ipv6_skip_extensions(std::uint8_t& next_header, bytes payload) noexcept;

}  // namespace bssap::dec
