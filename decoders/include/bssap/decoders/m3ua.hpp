// M3UA (RFC 4666): common message header and the Transfer DATA message.
// Common header (3.1): version 1, reserved, message class, message type, length (32 bits, whole
// message including the header). Parameters (3.2): tag(16) length(16, including the 4-octet
// parameter header, excluding padding) value, padded to a multiple of 4 octets.
// DATA (3.3.1, class 1 type 1): Network Appearance 0x0200, Routing Context 0x0006, Protocol Data
// 0x0210 (mandatory), Correlation Id 0x0013. Protocol Data: OPC(32) DPC(32) SI(8) NI(8) MP(8)
// SLS(8), then the user part message (for SI = 3, one SCCP message).
#pragma once

#include <cstdint>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"

namespace bssap::dec {

// RFC 4666 3.1.2 message classes.
enum class m3ua_class : std::uint8_t {
  mgmt = 0,
  transfer = 1,
  ssnm = 2,
  aspsm = 3,
  asptm = 4,
  rkm = 9,
};
constexpr std::uint8_t m3ua_type_data = 1;
constexpr std::uint16_t m3ua_tag_network_appearance = 0x0200;
constexpr std::uint16_t m3ua_tag_routing_context = 0x0006;
constexpr std::uint16_t m3ua_tag_protocol_data = 0x0210;
constexpr std::uint16_t m3ua_tag_correlation_id = 0x0013;

struct m3ua_protocol_data {
  std::uint32_t opc = 0;
  std::uint32_t dpc = 0;
  std::uint8_t si = 0;
  std::uint8_t ni = 0;
  std::uint8_t mp = 0;
  std::uint8_t sls = 0;
  bytes user_data{};
};

struct m3ua_view {
  std::uint8_t version = 0;
  std::uint8_t msg_class = 0;
  std::uint8_t msg_type = 0;
  std::uint32_t length = 0;
  bytes parameters{};  // all parameters, for callers that want other messages' TLVs
  bool is_data = false;
  // DATA only:
  bool has_routing_context = false;
  std::uint32_t routing_context = 0;  // the first one when the parameter lists several
  bool has_network_appearance = false;
  std::uint32_t network_appearance = 0;
  m3ua_protocol_data data{};
};

constexpr bool m3ua_is_data(const m3ua_view& v) noexcept {
  return v.msg_class == static_cast<std::uint8_t>(m3ua_class::transfer) && v.msg_type == m3ua_type_data;
}

// Decodes one M3UA message from the front of `in`; `consumed` is set to its length, so an SCTP
// DATA chunk carrying several messages can be walked (RFC 4666 does not forbid it).
// Errors: truncated (header or message cut by the capture), bad_length (length < 8, a parameter
// length < 4 or past the message end, Protocol Data shorter than 12), unsupported (version != 1),
// missing_ie (DATA without Protocol Data).
result<m3ua_view> decode_m3ua(bytes in, std::size_t& consumed) noexcept;
// The same, into `out` (reset first): packet_stack's per-message path (see decode_link_into).
decode_error decode_m3ua_into(bytes in, std::size_t& consumed, m3ua_view& out) noexcept;

}  // namespace bssap::dec
