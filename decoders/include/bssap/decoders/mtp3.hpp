// MTP3 signalling information field: SIO, routing label, user part payload.
// ITU 14-bit label (Q.704 2.2): 32 bits little-endian, DPC bits 0-13, OPC bits 14-27, SLS 28-31.
// 24-bit label, Chinese national variant (GF 001-9001, as Wireshark packet-mtp3.c reads it):
// DPC 3 octets little-endian, OPC 3 octets little-endian, then one octet whose low 4 bits are SLS.
// SIO (Q.704 14.2): service indicator bits 0-3, network indicator bits 6-7 (bits 4-5 spare/priority).
#pragma once

#include <cstdint>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"

namespace bssap::dec {

enum class point_code_format : std::uint8_t { itu14, china24 };

// Service indicators (Q.704 14.2.1) we name.
constexpr std::uint8_t si_snm = 0;   // signalling network management
constexpr std::uint8_t si_sccp = 3;  // SCCP
constexpr std::uint8_t si_isup = 5;

struct mtp3_view {
  std::uint8_t sio = 0;
  std::uint8_t si = 0;        // service indicator
  std::uint8_t ni = 0;        // network indicator (0 international, 2 national, ...)
  std::uint8_t priority = 0;  // SIO bits 4-5 (national use)
  std::uint32_t dpc = 0;
  std::uint32_t opc = 0;
  std::uint8_t sls = 0;
  bytes payload{};  // after the routing label
};

constexpr std::size_t mtp3_header_length(point_code_format f) noexcept {
  return f == point_code_format::itu14 ? 5 : 8;
}

// Errors: truncated (shorter than SIO + routing label).
result<mtp3_view> decode_mtp3(bytes msu, point_code_format format) noexcept;

}  // namespace bssap::dec
