// References: RFC 4960 Appendix B (CRC32c, reflected polynomial 0x82F63B78), RFC 1071.
#include "checksum.hpp"

#include <array>
#include <cstring>

namespace bssap::synth {
namespace {

// Slice-by-8 tables, built once at start-up.
struct crc_tables {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  crc_tables() {
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? 0x82F63B78u : 0u);
      t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i) {
      for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};
const crc_tables tables;

std::uint32_t crc32c_table(const std::uint8_t* p, std::size_t len) noexcept {
  std::uint32_t crc = 0xFFFFFFFFu;
  const auto& t = tables.t;
  while (len >= 8) {
    std::uint32_t lo = 0;
    std::uint32_t hi = 0;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;  // little-endian host (x86-64)
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^ t[3][hi & 0xFF] ^
          t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    p += 8;
    len -= 8;
  }
  while (len-- > 0) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
  return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_hw(const std::uint8_t* p, std::size_t len) noexcept {
  std::uint64_t crc = 0xFFFFFFFFu;
  while (len >= 8) {
    std::uint64_t v = 0;
    std::memcpy(&v, p, 8);
    crc = __builtin_ia32_crc32di(crc, v);
    p += 8;
    len -= 8;
  }
  auto c = static_cast<std::uint32_t>(crc);
  while (len-- > 0) c = __builtin_ia32_crc32qi(c, *p++);
  return ~c;
}
const bool have_sse42 = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

std::uint32_t crc32c(const std::uint8_t* data, std::size_t len) noexcept {
#if defined(__x86_64__)
  if (have_sse42) return crc32c_hw(data, len);
#endif
  return crc32c_table(data, len);
}

std::uint32_t ones_sum(const std::uint8_t* data, std::size_t len, std::uint32_t sum) noexcept {
  std::uint64_t s = sum;
  std::size_t i = 0;
  for (; i + 1 < len; i += 2) s += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
  if (i < len) s += static_cast<std::uint32_t>(data[i] << 8);
  while (s >> 32) s = (s & 0xFFFFFFFF) + (s >> 32);
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return static_cast<std::uint32_t>(s);
}

}  // namespace bssap::synth
