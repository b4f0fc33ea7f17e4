// Aligned PER pieces shared by the RANAP and RUA readers (ranap.cpp, rua.cpp), which read the
// same outer structure: ITU-T X.691.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"

namespace bssap::dec::aper {

// X.691 10.9.3.5-10.9.3.8: an aligned length determinant, single octet (< 128) or two octets
// (10xxxxxx xxxxxxxx, < 16K). Fragmented lengths (11xxxxxx) are not used by these messages.
inline decode_error length_determinant(byte_cursor& c, std::size_t& length) noexcept {
  std::uint8_t first = 0;
  if (!c.u8(first)) return decode_error::truncated;
  if ((first & 0x80) == 0) {
    length = first;
    return decode_error::none;
  }
  if ((first & 0xC0) == 0x80) {
    std::uint8_t second = 0;
    if (!c.u8(second)) return decode_error::truncated;
    length = static_cast<std::size_t>((first & 0x3F) << 8 | second);
    return decode_error::none;
  }
  return decode_error::unsupported;
}

}  // namespace bssap::dec::aper
