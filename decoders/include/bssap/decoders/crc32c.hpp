// CRC32c (Castagnoli, polynomial 0x1EDC6F41 reflected 0x82F63B78), as SCTP uses it
// (RFC 4960 6.8 and Appendix B; RFC 3309). Uses the SSE4.2 crc32 instruction when the build
// enables it, else a slice-by-8 table.
#pragma once

#include <cstdint>

#include "bssap/decoders/cursor.hpp"

namespace bssap::dec {

// Continues a CRC over `data`: start with crc = 0xFFFFFFFF, finish by xoring with 0xFFFFFFFF
// (crc32c() below does both).
std::uint32_t crc32c_update(std::uint32_t crc, bytes data) noexcept;

inline std::uint32_t crc32c(bytes data) noexcept {
  return crc32c_update(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;
}

}  // namespace bssap::dec
