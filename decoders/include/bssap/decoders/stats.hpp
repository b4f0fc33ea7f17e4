// Per-layer, per-reason decode counters. One instance per thread (no atomics on the hot
// path); threads' copies are summed for reporting.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "bssap/decoders/result.hpp"

namespace bssap::dec {

// Every layer that can refuse input. Append only: the numbers appear in statistics output.
enum class layer : std::uint8_t {
  link = 0,  // Ethernet / VLAN / SLL / SLL2 / raw IP framing
  ipv4,
  ipv6,
  sctp,
  tcp,
  ipa,
  m3ua,
  mtp2,
  mtp3,
  sccp,
  bssap,
  bssmap,
  dtap,
  ranap,  // Iu RANAP: NAS-PDU, CN domain, IMSI, LAI/SAI (TS 25.413)
  sua,    // SUA (RFC 3868): SCCP over SCTP without M3UA
  rua,    // RUA (TS 25.468): RANAP over SCTP on Iuh
  count_
};

constexpr std::size_t layer_count = static_cast<std::size_t>(layer::count_);

constexpr std::string_view to_string(layer l) noexcept {
  constexpr std::array<std::string_view, layer_count> names{"link", "ipv4",  "ipv6", "sctp", "tcp",   "ipa",
                                                            "m3ua", "mtp2",  "mtp3", "sccp", "bssap", "bssmap",
                                                            "dtap", "ranap", "sua",  "rua"};
  const auto i = static_cast<std::size_t>(l);
  return i < layer_count ? names[i] : std::string_view{"?"};
}

struct decode_stats {
  std::array<std::array<std::uint64_t, decode_error_count>, layer_count> errors{};
  // Refusals of input (every error but a retransmission's duplicate and a full table's
  // out_of_memory, which say nothing about the bytes) and the last one: how `--unknown` tells,
  // at the cost of one compare per frame, that a frame was refused and why.
  std::uint64_t refusals = 0;
  layer last_layer = layer::link;
  decode_error last_error = decode_error::none;

  void count(layer l, decode_error e) noexcept {
    errors[static_cast<std::size_t>(l)][static_cast<std::size_t>(e)] += 1;
    if (e != decode_error::duplicate && e != decode_error::out_of_memory) {
      refusals += 1;
      last_layer = l;
      last_error = e;
    }
  }
  std::uint64_t get(layer l, decode_error e) const noexcept {
    return errors[static_cast<std::size_t>(l)][static_cast<std::size_t>(e)];
  }
  decode_stats& operator+=(const decode_stats& o) noexcept {
    for (std::size_t l = 0; l < layer_count; ++l)
      for (std::size_t e = 0; e < decode_error_count; ++e) errors[l][e] += o.errors[l][e];
    refusals += o.refusals;
    return *this;
  }
};

}  // namespace bssap::dec
