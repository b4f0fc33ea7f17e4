// The hashes of the probe's tables and dispatch, in one place. None is cryptographic: they
// spread flows, relations and keys over threads and buckets, and no adversary gains from a
// collision beyond sharing a bucket chain. Values are stable across runs and hosts (no seed
// from the process): equal flows hash alike in every thread, and the IMSI shard function
// (fnv1a64) is a contract between hosts.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace bssap::dec {

// splitmix64's finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over octets.
constexpr std::uint64_t fnv1a64(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}
inline std::uint64_t fnv1a64(std::span<const std::byte> b) noexcept {
  return fnv1a64(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

// Word-at-a-time multiply-xorshift for multi-field keys (flows, fragments, MSU contents),
// finished with mix64. done() is never 0: 0 means "unknown" to flow_hash.
class hasher {
 public:
  explicit hasher(std::uint64_t seed) noexcept : _h(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
  void add(std::uint64_t w) noexcept {
    _h ^= w;
    _h *= 0xBF58476D1CE4E5B9ull;
    _h ^= _h >> 31;
  }
  void add_bytes(const std::uint8_t* p, std::size_t n) noexcept {
    while (n >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      add(w);
      p += 8;
      n -= 8;
    }
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    add(w ^ (std::uint64_t{n} << 56));
  }
  std::uint64_t done() const noexcept {
    const std::uint64_t z = mix64(_h);
    return z == 0 ? 1 : z;
  }

 private:
  std::uint64_t _h;
};

}  // namespace bssap::dec
