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

decode_error decode(bytes pdu, sccp_message& out, bool& ps_domain) noexcept {
  aper::elementary_pdu p;
  if (const decode_error e = aper::read_pdu(pdu, p); e != decode_error::none) return e;
  const std::uint8_t procedure = p.procedure_code;
  bool has_context = false;
  std::uint32_t context = 0;
  ps_domain = false;
  const decode_error ies = aper::for_each_protocol_ie(p.value, [&](std::uint16_t id, byte_cursor& ie) noexcept {
    switch (id) {
      case id_context_id: {  // BIT STRING (SIZE (24)): three aligned octets
        std::uint8_t a = 0, b = 0, d = 0;
        if (!ie.u8(a) || !ie.u8(b) || !ie.u8(d)) return decode_error::truncated;
        has_context = true;
        context = std::uint32_t{a} << 16 | std::uint32_t{b} << 8 | d;
        return decode_error::none;
      }
      case id_cn_domain_indicator: {  // ENUMERATED { cs-domain, ps-domain }: one bit
        std::uint8_t domain = 0;
        if (!ie.u8(domain)) return decode_error::truncated;
        ps_domain = (domain & 0x80) != 0;
        return decode_error::none;
      }
      case id_ranap_message: {  // OCTET STRING: its own length determinant
        const decode_error e = aper::octet_string(ie, out.data);
        out.has_data = e == decode_error::none;
        return e;
      }
      default:
        return decode_error::none;  // Establishment-Cause, IntraDomainNasNodeSelector, Cause...
    }
  });
  if (ies != decode_error::none) return ies;
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
