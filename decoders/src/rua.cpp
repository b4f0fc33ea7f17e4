// RUA-PDUs as SCCP messages (see rua.hpp). The outer PER structure is RANAP's (ranap.cpp): a
// CHOICE octet, the procedure code, criticality, an open-type length, then a SEQUENCE preamble
// octet, the IE count (16 bits) and each IE as id (16), criticality (octet), open-type length.
#include "bssap/decoders/rua.hpp"

#include "aper.hpp"
#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/dispatch.hpp"

namespace bssap::dec {

namespace {

constexpr std::uint16_t id_context_id = 3;
constexpr std::uint16_t id_ranap_message = 4;
constexpr std::uint16_t id_cn_domain_indicator = 7;
constexpr std::uint8_t proc_connect = 1, proc_direct_transfer = 2, proc_disconnect = 3,
                       proc_connectionless_transfer = 4;

using aper::length_determinant;

decode_error decode(bytes pdu, sccp_message& out, bool& ps_domain) noexcept {
  byte_cursor c(pdu);
  std::uint8_t choice = 0, procedure = 0, criticality = 0;
  if (!c.u8(choice) || !c.u8(procedure) || !c.u8(criticality)) return decode_error::truncated;
  if ((choice & 0x80) != 0) return decode_error::unsupported;
  std::size_t value_length = 0;
  if (const decode_error e = length_determinant(c, value_length); e != decode_error::none) return e;
  byte_cursor value;
  if (!c.sub(value_length, value)) return decode_error::bad_length;
  std::uint8_t preamble = 0;
  std::uint16_t count = 0;
  if (!value.u8(preamble) || !value.be16(count)) return decode_error::truncated;
  bool has_context = false;
  std::uint32_t context = 0;
  ps_domain = false;
  for (std::uint16_t i = 0; i < count; ++i) {
    std::uint16_t id = 0;
    std::uint8_t ie_criticality = 0;
    if (!value.be16(id) || !value.u8(ie_criticality)) return decode_error::truncated;
    std::size_t ie_length = 0;
    if (const decode_error e = length_determinant(value, ie_length); e != decode_error::none) return e;
    byte_cursor ie;
    if (!value.sub(ie_length, ie)) return decode_error::bad_length;
    switch (id) {
      case id_context_id: {  // BIT STRING (SIZE (24)): three aligned octets
        std::uint8_t a = 0, b = 0, d = 0;
        if (!ie.u8(a) || !ie.u8(b) || !ie.u8(d)) return decode_error::truncated;
        has_context = true;
        context = std::uint32_t{a} << 16 | std::uint32_t{b} << 8 | d;
        break;
      }
      case id_cn_domain_indicator: {  // ENUMERATED { cs-domain, ps-domain }: one bit
        std::uint8_t domain = 0;
        if (!ie.u8(domain)) return decode_error::truncated;
        ps_domain = (domain & 0x80) != 0;
        break;
      }
      case id_ranap_message: {  // OCTET STRING: its own length determinant
        std::size_t n = 0;
        if (const decode_error e = length_determinant(ie, n); e != decode_error::none) return e;
        if (!ie.take(n, out.data)) return decode_error::bad_length;
        out.has_data = true;
        break;
      }
      default:
        break;  // Establishment-Cause, IntraDomainNasNodeSelector, Cause, CSG membership...
    }
  }
  switch (procedure) {
    case proc_connect:
      out.type = sccp_msg_type::cr;
      out.has_slr = has_context;
      out.slr = context;
      out.called.present = out.called.has_ssn = true;
      out.called.ssn = ssn_of(sccp_user::ranap);
      if (!has_context || !out.has_data) return decode_error::missing_ie;
      return decode_error::none;
    case proc_direct_transfer:
      out.type = sccp_msg_type::dt1;
      out.has_dlr = has_context;
      out.dlr = context;
      if (!has_context || !out.has_data) return decode_error::missing_ie;
      return decode_error::none;
    case proc_disconnect:
      out.type = sccp_msg_type::rlsd;
      out.has_dlr = out.has_slr = has_context;
      out.dlr = out.slr = context;
      if (!has_context) return decode_error::missing_ie;
      return decode_error::none;
    case proc_connectionless_transfer:
      out.type = sccp_msg_type::udt;
      out.called.present = out.called.has_ssn = true;
      out.called.ssn = ssn_of(sccp_user::ranap);
      if (!out.has_data) return decode_error::missing_ie;
      return decode_error::none;
    default:
      return decode_error::unsupported;
  }
}

}  // namespace

decode_error decode_rua_into(bytes pdu, sccp_message& out, bool& ps_domain, decode_stats* stats) noexcept {
  ::new (&out) sccp_message{};
  const decode_error e = decode(pdu, out, ps_domain);
  if (e != decode_error::none && stats != nullptr) stats->count(layer::rua, e);
  return e;
}

}  // namespace bssap::dec
