// DTAP dispatch: protocol discriminator, skip indicator / transaction identifier, message type.
// References: 3GPP TS 24.007 11.2.3.1.1 (PD), 11.2.3.1.2 (skip indicator), 11.2.3.1.3 (TI and
// extended TI), 11.2.3.2.3 (N(SD) in bits 7-8 of the message type of MM, CC and SS messages
// from the mobile station).
#include "bssap/decoders/dtap.hpp"

#include <new>

#include "dtap_detail.hpp"

namespace bssap::dec {

namespace dtap_detail {

decode_error decode_cc_cause(bytes value, cc_cause& out) noexcept {
  // Octet 3: ext | coding standard (2) | spare | location (4); octet 3a (recommendation) when
  // octet 3's ext bit is 0; octet 4: ext | cause value (7); then diagnostics.
  if (value.size() < 2) return decode_error::bad_length;
  const std::uint8_t o3 = u8_at(value, 0);
  out.coding_standard = static_cast<std::uint8_t>(o3 >> 5 & 0x03);
  out.location = static_cast<std::uint8_t>(o3 & 0x0F);
  std::size_t pos = 1;
  if ((o3 & 0x80) == 0) {
    if (value.size() < 3) return decode_error::bad_length;
    out.has_recommendation = true;
    out.recommendation = u8_at(value, 1) & 0x7F;
    pos = 2;
  }
  if (value.size() <= pos) return decode_error::bad_length;
  out.value = u8_at(value, pos) & 0x7F;
  return decode_error::none;
}

}  // namespace dtap_detail

namespace {

decode_error decode(bytes pdu, link_direction direction, dtap_message& m) noexcept {
  byte_cursor c(pdu);
  std::uint8_t octet1 = 0;
  if (!c.u8(octet1)) return decode_error::truncated;
  m.pd = static_cast<protocol_discriminator>(octet1 & 0x0F);
  m.direction = direction;
  const std::uint8_t high = octet1 >> 4;
  switch (m.pd) {
    case protocol_discriminator::mm:
    case protocol_discriminator::rr:
      // Skip indicator: a message with a non-zero value shall be ignored (24.007 11.2.3.1.2).
      if (high != 0) return decode_error::bad_value;
      break;
    case protocol_discriminator::cc:
    case protocol_discriminator::ss:
    case protocol_discriminator::sms:
      m.has_ti = true;
      m.ti_flag = (high & 0x08) != 0;
      m.ti_value = high & 0x07;
      if (m.ti_value == 7) {
        // Extended TI (24.007 11.2.3.1.3): octet 2 = ext (1) | TI value (7 bits).
        std::uint8_t octet2 = 0;
        if (!c.u8(octet2)) return decode_error::truncated;
        if ((octet2 & 0x80) == 0) return decode_error::bad_value;
        m.ti_extended = true;
        m.ti_value = octet2 & 0x7F;
      }
      break;
    default:
      return decode_error::unsupported;  // GMM, SM, GCC, BCC, LCS...: not decoded here
  }
  std::uint8_t type = 0;
  if (!c.u8(type)) return decode_error::truncated;
  switch (m.pd) {
    case protocol_discriminator::mm:
      m.message_type = type & 0x3F;  // N(SD)
      return dtap_detail::decode_mm(c, m);
    case protocol_discriminator::cc:
      m.message_type = type & 0x3F;
      return dtap_detail::decode_cc(c, m);
    case protocol_discriminator::ss:
      m.message_type = type & 0x3F;
      return dtap_detail::decode_ss(c, m);
    case protocol_discriminator::sms:
      m.message_type = type;
      return dtap_detail::decode_sms_cp(c, m);
    case protocol_discriminator::rr:
      m.message_type = type;
      return dtap_detail::decode_rr(c, m);
    default:
      return decode_error::unsupported;
  }
}

}  // namespace

decode_error decode_dtap_into(bytes pdu, link_direction direction, dtap_message& out, decode_stats* stats) noexcept {
  // Reset in place: `out = dtap_message{}` would build a temporary and copy all ~940 octets.
  // List-initialisation (not `()`) keeps fixed_string capacity untouched (see gsm48_ie.hpp).
  ::new (&out) dtap_message{};
  const decode_error e = decode(pdu, direction, out);
  if (e != decode_error::none && stats != nullptr) stats->count(layer::dtap, e);
  return e;
}

result<dtap_message> decode_dtap(bytes pdu, link_direction direction, decode_stats* stats) noexcept {
  return result_from<dtap_message>([&](dtap_message& m) { return decode_dtap_into(pdu, direction, m, stats); });
}

}  // namespace bssap::dec
