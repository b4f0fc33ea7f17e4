// The keys packet_stack tracks flows by: IP addresses (IPv4 zero-padded to 16 octets), the
// canonical (lower endpoint first) address/port pair of a TCP connection or SCTP path, and the
// direction-free hashes of an address pair or a point-code pair that dispatch frames and SS7
// relations (relation.cpp). Private to decoders/src.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/hash.hpp"

namespace bssap::dec::detail {

using address = std::array<std::uint8_t, 16>;

// IPv4 (4 octets) or IPv6 (16) source/destination, zero-padded. Fixed-size copies: a generic
// fill + memcpy of a run-time length became two libc calls per address per packet.
inline void copy_address(address& out, bytes in) noexcept {
  if (in.size() == 16) {
    std::memcpy(out.data(), in.data(), 16);
  } else if (in.size() == 4) {
    std::uint64_t low = 0;
    std::memcpy(&low, in.data(), 4);
    const std::uint64_t high = 0;
    std::memcpy(out.data(), &low, 8);
    std::memcpy(out.data() + 8, &high, 8);
  } else {
    out.fill(0);
    std::memcpy(out.data(), in.data(), std::min(in.size(), out.size()));
  }
}

inline bool same_address(const address& a, const address& b) noexcept {
  std::uint64_t a0, a1, b0, b1;
  std::memcpy(&a0, a.data(), 8);
  std::memcpy(&a1, a.data() + 8, 8);
  std::memcpy(&b0, b.data(), 8);
  std::memcpy(&b1, b.data() + 8, 8);
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

// Canonical (lower endpoint first) address/port pair of a connection or association.
struct flow_key {
  address a{};
  address b{};
  std::uint16_t port_a = 0;
  std::uint16_t port_b = 0;
  std::uint8_t version = 0;
  bool operator==(const flow_key&) const noexcept = default;

  std::uint64_t hash(std::uint64_t protocol) const noexcept {
    hasher h(protocol);
    h.add_bytes(a.data(), a.size());
    h.add_bytes(b.data(), b.size());
    h.add(std::uint64_t{port_a} << 24 | std::uint64_t{port_b} << 8 | version);
    return h.done();
  }
};

// Which endpoint sent: 0 when (src, sport) is the lower one.
inline flow_key make_flow_key(const address& src, const address& dst, std::uint16_t sport, std::uint16_t dport,
                              std::uint8_t version, std::uint8_t& direction) noexcept {
  const int c = std::memcmp(src.data(), dst.data(), src.size());
  const bool src_first = c < 0 || (c == 0 && sport <= dport);
  direction = src_first ? 0 : 1;
  flow_key k;
  k.version = version;
  if (src_first) {
    k.a = src, k.b = dst, k.port_a = sport, k.port_b = dport;
  } else {
    k.a = dst, k.b = src, k.port_a = dport, k.port_b = sport;
  }
  return k;
}

inline std::uint64_t address_pair_hash(bytes x, bytes y) noexcept {
  address a{}, b{};
  copy_address(a, x);
  copy_address(b, y);
  if (std::memcmp(a.data(), b.data(), a.size()) > 0) std::swap(a, b);
  hasher h(0x49);
  h.add_bytes(a.data(), a.size());
  h.add_bytes(b.data(), b.size());
  return h.done();
}

inline std::uint64_t point_code_pair_hash(std::uint32_t opc, std::uint32_t dpc) noexcept {
  hasher h(0x4D);
  h.add(std::uint64_t{std::min(opc, dpc)} << 32 | std::max(opc, dpc));
  return h.done();
}

}  // namespace bssap::dec::detail
