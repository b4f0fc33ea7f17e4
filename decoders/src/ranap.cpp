// Minimal RANAP (TS 25.413) reader for the NAS-PDU. References: TS 25.413 9.3.2 (elementary
// procedure definitions), 9.3.4 (ProtocolIE-Container), 9.3.6 (constants); X.691 10.9 (length
// determinants), 10.5 (constrained whole numbers), 22 (CHOICE), 10.2 (open types).
#include "bssap/decoders/ranap.hpp"

#include "aper.hpp"

namespace bssap::dec {

namespace {

constexpr std::uint16_t id_cn_domain_indicator = 3;
constexpr std::uint16_t id_lai = 15;
constexpr std::uint16_t id_nas_pdu = 16;
constexpr std::uint16_t id_permanent_nas_ue_id = 23;
constexpr std::uint16_t id_sai = 58;
constexpr std::uint16_t id_temporary_ue_id = 64;

// LAI ::= SEQUENCE { pLMNidentity OCTET STRING (SIZE (3)), lAC OCTET STRING (SIZE (2)),
// iE-Extensions OPTIONAL, ... }; SAI adds sAC OCTET STRING (SIZE (2)). Aligned PER: one octet
// with the extension and optional bits (padded), then the fixed-size octet strings
// (X.691 17.6, 17.7: 3 octets aligned, the 2-octet ones follow already aligned). The PLMN is
// TBCD as in TS 24.008 10.5.1.3.
decode_error decode_area(byte_cursor ie, bool with_sac, plmn_id& plmn, std::uint16_t& lac,
                         std::uint16_t* sac) noexcept {
  std::uint8_t preamble = 0;
  bytes plmn_octets;
  if (!ie.u8(preamble) || !ie.take(3, plmn_octets) || !ie.be16(lac)) return decode_error::truncated;
  if ((preamble & 0x80) != 0) return decode_error::unsupported;  // an extension: not in Rel-99..17
  if (with_sac && (sac == nullptr || !ie.be16(*sac))) return decode_error::truncated;
  const auto p = decode_plmn_id(plmn_octets);
  if (!p) return p.error();
  plmn = *p;
  return decode_error::none;
}

// PermanentNAS-UE-ID ::= CHOICE { iMSI IMSI, ... }; IMSI ::= TBCD-STRING (SIZE (3..8)).
// Aligned PER: extension bit, (no index: one root alternative), the size - 3 in 3 bits, padding
// to the octet, then the octets. TBCD: digits low nibble first, 0xF filler (TS 29.002 17.7.8).
decode_error decode_imsi(byte_cursor ie, ranap_message& out) noexcept {
  std::uint8_t head = 0;
  if (!ie.u8(head)) return decode_error::truncated;
  if ((head & 0x80) != 0) return decode_error::none;  // an extension alternative: not an IMSI
  const std::size_t size = static_cast<std::size_t>((head >> 4 & 0x07) + 3);
  bytes tbcd;
  if (size > 8 || !ie.take(size, tbcd)) return decode_error::bad_length;
  for (std::size_t i = 0; i < tbcd.size(); ++i) {
    const std::uint8_t o = u8_at(tbcd, i);
    for (const std::uint8_t nibble : {static_cast<std::uint8_t>(o & 0x0F), static_cast<std::uint8_t>(o >> 4)}) {
      if (nibble == 0x0F) break;
      if (nibble > 9) return decode_error::bad_value;
      if (!out.imsi.push_back(static_cast<char>('0' + nibble))) return decode_error::bad_length;
    }
  }
  out.has_imsi = true;
  return decode_error::none;
}

decode_error decode(bytes pdu, ranap_message& out) noexcept {
  aper::elementary_pdu p;
  if (const decode_error e = aper::read_pdu(pdu, p); e != decode_error::none) return e;
  out.kind = static_cast<ranap_pdu_kind>(p.kind);
  out.procedure_code = p.procedure_code;
  if (out.kind != ranap_pdu_kind::initiating) return decode_error::none;
  return aper::for_each_protocol_ie(p.value, [&out](std::uint16_t id, byte_cursor& ie) noexcept {
    if (id == id_permanent_nas_ue_id && !out.has_imsi) return decode_imsi(ie, out);
    if (id == id_cn_domain_indicator) {
      // CN-DomainIndicator ::= ENUMERATED { cs-domain, ps-domain }: one bit, padded.
      std::uint8_t domain = 0;
      if (!ie.u8(domain)) return decode_error::truncated;
      out.has_domain = true;
      out.ps_domain = (domain & 0x80) != 0;
      return decode_error::none;
    }
    if (id == id_temporary_ue_id && !out.has_temporary_id) {
      // TemporaryUE-ID ::= CHOICE { tMSI TMSI, p-TMSI P-TMSI, ... }: extension bit and 1-bit
      // index in one octet, then OCTET STRING (SIZE (4)).
      std::uint8_t choice = 0;
      std::uint32_t v = 0;
      if (!ie.u8(choice) || !ie.be32(v)) return decode_error::truncated;
      if ((choice & 0x80) != 0) return decode_error::none;  // an extension alternative
      out.has_temporary_id = true;
      out.temporary_id_is_ptmsi = (choice & 0x40) != 0;
      out.temporary_id = v;
      return decode_error::none;
    }
    if (id == id_lai && !out.has_lai) {
      const decode_error e = decode_area(ie, false, out.lai.plmn, out.lai.lac, nullptr);
      out.has_lai = e == decode_error::none;
      return e;
    }
    if (id == id_sai && !out.has_sai) {
      const decode_error e = decode_area(ie, true, out.sai.plmn, out.sai.lac, &out.sai.sac);
      out.has_sai = e == decode_error::none;
      return e;
    }
    if (id != id_nas_pdu || out.has_nas_pdu) return decode_error::none;
    // NAS-PDU ::= OCTET STRING: its own length determinant inside the open type.
    const decode_error e = aper::octet_string(ie, out.nas_pdu);
    out.has_nas_pdu = e == decode_error::none;
    return e;
  });
}

}  // namespace

result<ranap_message> decode_ranap(bytes pdu, decode_stats* stats) noexcept {
  ranap_message m;
  const decode_error e = decode(pdu, m);
  if (e != decode_error::none) {
    if (stats != nullptr) stats->count(layer::ranap, e);
    return e;
  }
  return m;
}

}  // namespace bssap::dec
