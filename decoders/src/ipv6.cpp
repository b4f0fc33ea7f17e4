// IPv6 decoding. References: see ipv6.hpp.
#include "bssap/decoders/ipv6.hpp"

namespace bssap::dec {
namespace {

constexpr bool is_skippable_extension(std::uint8_t nh) noexcept {
  return nh == ipv6_ext_hop_by_hop || nh == ipv6_ext_routing || nh == ipv6_ext_dest_opts || nh == ipv6_ext_auth;
}

// Skips one non-fragment extension header at the front of `c`; updates `nh`.
decode_error skip_one(byte_cursor& c, std::uint8_t& nh) noexcept {
  std::uint8_t next = 0, len = 0;
  if (!c.u8(next) || !c.u8(len)) return decode_error::truncated;
  // RFC 8200 4.3: length in 8-octet units not counting the first 8; RFC 4302 2.2 (AH): in
  // 4-octet units minus 2.
  const std::size_t total = nh == ipv6_ext_auth ? (std::size_t{len} + 2) * 4 : (std::size_t{len} + 1) * 8;
  if (!c.skip(total - 2)) return decode_error::bad_length;
  nh = next;
  return decode_error::none;
}

}  // namespace

result<bytes> ipv6_skip_extensions(std::uint8_t& next_header, bytes payload) noexcept {
  byte_cursor c{payload};
  for (std::size_t n = 0; is_skippable_extension(next_header); ++n) {
    if (n == ipv6_max_extension_headers) return decode_error::bad_value;
    const auto e = skip_one(c, next_header);
    if (e != decode_error::none) return e;
  }
  return c.rest();
}

result<ipv6_view> decode_ipv6(bytes packet) noexcept {
  byte_cursor c{packet};
  ipv6_view v;
  std::uint32_t first_word = 0;
  if (!c.be32(first_word) || !c.be16(v.payload_length) || !c.u8(v.next_header) || !c.u8(v.hop_limit) ||
      !c.take(16, v.src_addr) || !c.take(16, v.dst_addr))
    return decode_error::truncated;
  if ((first_word >> 28) != 6) return decode_error::bad_value;
  if (v.payload_length == 0 && v.next_header == ipv6_ext_hop_by_hop) return decode_error::unsupported;
  byte_cursor body;
  if (!c.sub(v.payload_length, body)) return decode_error::truncated;
  for (std::size_t n = 0;; ++n) {
    if (n == ipv6_max_extension_headers) return decode_error::bad_value;
    if (v.next_header == ipv6_ext_fragment) {
      // RFC 8200 4.5: next header(8) reserved(8) offset(13) res(2) M(1) identification(32)
      std::uint8_t next = 0, reserved = 0;
      std::uint16_t offset_flags = 0;
      if (!body.u8(next) || !body.u8(reserved) || !body.be16(offset_flags) || !body.be32(v.fragment_id))
        return decode_error::truncated;
      v.next_header = next;
      v.fragment_offset = static_cast<std::uint16_t>(offset_flags & 0xFFF8);
      v.more_fragments = (offset_flags & 1) != 0;
      // An atomic fragment (offset 0, M 0, RFC 6946) is a whole packet: keep walking.
      if (v.fragment_offset != 0 || v.more_fragments) {
        v.is_fragment = true;
        break;
      }
      continue;
    }
    if (!is_skippable_extension(v.next_header)) break;
    const auto e = skip_one(body, v.next_header);
    if (e != decode_error::none) return e;
  }
  v.payload = body.rest();
  return v;
}

}  // namespace bssap::dec
