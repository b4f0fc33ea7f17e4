// Checksums the transports need: CRC32c for SCTP (RFC 4960 Appendix B, RFC 3309) and the
// Internet checksum for IPv4 headers and TCP (RFC 1071). Written here, not shared with the
// decoders, so that a bug cannot hide in both sides of a test.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bssap::synth {

// CRC32c (Castagnoli) of `len` bytes; uses the SSE4.2 instruction when the CPU has it.
std::uint32_t crc32c(const std::uint8_t* data, std::size_t len) noexcept;

// One's complement sum of 16-bit big-endian words, not yet folded or inverted.
std::uint32_t ones_sum(const std::uint8_t* data, std::size_t len, std::uint32_t sum = 0) noexcept;
inline std::uint16_t fold(std::uint32_t sum) noexcept {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xFFFF);
}

}  // namespace bssap::synth
