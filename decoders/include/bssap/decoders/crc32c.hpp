// CRC32c (Castagnoli, polynomial 0x1EDC6F41 reflected 0x82F63B78), as SCTP uses it
// (RFC 4960 6.8 and Appendix B; RFC 3309). Uses the SSE4.2 crc32 instruction when the build
// targets it (release: x86-64-v2) or, in other x86 builds, when the CPU has it; else a
// slice-by-8 table.
#pragma once

#include <cstdint>

#include "bssap/decoders/cursor.hpp"

namespace bssap::dec {

// Continues a CRC over `data`: start with crc = 0xFFFFFFFF, finish by xoring with 0xFFFFFFFF
// (crc32c() below does both).
std::uint32_t crc32c_update(std::uint32_t crc, bytes data) noexcept;

// The implementations behind crc32c_update, for tests that check each against the definition.
namespace detail {
std::uint32_t crc32c_update_table(std::uint32_t crc, bytes data) noexcept;
#if defined(__x86_64__) || defined(__i386__)
std::uint32_t crc32c_update_sse42(std::uint32_t crc, bytes data) noexcept;  // needs SSE4.2
bool crc32c_have_sse42() noexcept;
#endif
}  // namespace detail

inline std::uint32_t crc32c(bytes data) noexcept {
  return crc32c_update(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;
}

}  // namespace bssap::dec
