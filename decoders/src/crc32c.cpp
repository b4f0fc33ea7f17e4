// CRC32c. References: see crc32c.hpp.
#include "bssap/decoders/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define BSSAP_CRC32C_X86 1
#endif

namespace bssap::dec {
namespace {

constexpr std::array<std::array<std::uint32_t, 256>, 8> make_tables() noexcept {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t s = 1; s < 8; ++s)
    for (std::size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  return t;
}

constexpr auto tables = make_tables();

}  // namespace

namespace detail {

std::uint32_t crc32c_update_table(std::uint32_t crc, bytes data) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  while (n >= 8) {
    // Slice-by-8 over a little-endian load (x86, arm64 little-endian).
    std::uint32_t lo = 0, hi = 0;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;
    crc = tables[7][lo & 0xFF] ^ tables[6][(lo >> 8) & 0xFF] ^ tables[5][(lo >> 16) & 0xFF] ^ tables[4][lo >> 24] ^
          tables[3][hi & 0xFF] ^ tables[2][(hi >> 8) & 0xFF] ^ tables[1][(hi >> 16) & 0xFF] ^ tables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = (crc >> 8) ^ tables[0][(crc ^ *p++) & 0xFF];
    --n;
  }
  return crc;
}

#if defined(BSSAP_CRC32C_X86)
// Compiled for SSE4.2 whatever the build's -march, so that every build (the sanitizer ones in CI
// included) carries and tests it; crc32c_update() calls it only on a CPU that has it.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_update_sse42(std::uint32_t crc, bytes data) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  std::uint64_t c64 = crc;
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    c64 = _mm_crc32_u64(c64, w);
    p += 8;
    n -= 8;
  }
  crc = static_cast<std::uint32_t>(c64);
  // The 0-7 octet tail in at most three steps, not one per octet: each step waits ~3 cycles for
  // the previous one, and SCTP's checksum runs over three pieces of every packet.
  if (n >= 4) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    crc = _mm_crc32_u32(crc, w);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t w;
    std::memcpy(&w, p, 2);
    crc = _mm_crc32_u16(crc, w);
    p += 2;
    n -= 2;
  }
  if (n > 0) crc = _mm_crc32_u8(crc, *p);
  return crc;
}

bool crc32c_have_sse42() noexcept {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#endif

}  // namespace detail

std::uint32_t crc32c_update(std::uint32_t crc, bytes data) noexcept {
#if defined(__SSE4_2__)
  return detail::crc32c_update_sse42(crc, data);  // the build targets SSE4.2 (release: x86-64-v2)
#elif defined(BSSAP_CRC32C_X86)
  return detail::crc32c_have_sse42() ? detail::crc32c_update_sse42(crc, data) : detail::crc32c_update_table(crc, data);
#else
  return detail::crc32c_update_table(crc, data);
#endif
}

}  // namespace bssap::dec
