// SMS over the A interface: CP layer (TS 24.011 7.2, 8.1), RP layer (7.3, 8.2) and the TPDU
// (TS 23.040 9.2.2.1 SMS-DELIVER, 9.2.2.2 SMS-SUBMIT, 9.1.2.5 address fields, 9.2.3.16 TP-UDL)
// with the data coding scheme of TS 23.038 clause 4.
#include <array>

#include "bssap/decoders/gsm7.hpp"
#include "dtap_detail.hpp"

namespace bssap::dec {

namespace {

enum class alphabet : std::uint8_t { gsm7, eight_bit, ucs2 };

// TS 23.038 clause 4: SMS data coding scheme -> character set (reserved codings are GSM 7-bit).
alphabet sms_alphabet(std::uint8_t dcs) noexcept {
  const std::uint8_t group = dcs >> 4;
  if (group <= 0x7) {                                   // 00xx general data coding, 01xx automatic deletion group
    if ((dcs & 0x20) != 0) return alphabet::eight_bit;  // compressed: octets
    switch (dcs >> 2 & 0x03) {
      case 1:
        return alphabet::eight_bit;
      case 2:
        return alphabet::ucs2;
      default:
        return alphabet::gsm7;
    }
  }
  if (group == 0xE) return alphabet::ucs2;  // message waiting indication, UCS-2
  if (group == 0xF) return (dcs & 0x04) != 0 ? alphabet::eight_bit : alphabet::gsm7;
  return alphabet::gsm7;  // 1100/1101 MWI GSM 7-bit; 1000-1011 reserved
}

// TS 23.040 9.1.2.5: length (useful semi-octets), type of address, value.
decode_error decode_tp_address(byte_cursor& c, sms_address& out) noexcept {
  std::uint8_t semi_octets = 0;
  std::uint8_t toa = 0;
  if (!c.u8(semi_octets) || !c.u8(toa)) return decode_error::truncated;
  if (semi_octets > 20) return decode_error::bad_length;  // address value at most 10 octets
  bytes value;
  if (!c.take((semi_octets + 1u) / 2u, value)) return decode_error::truncated;
  out.ton = static_cast<std::uint8_t>(toa >> 4 & 0x07);
  out.npi = static_cast<std::uint8_t>(toa & 0x0F);
  if (out.ton == 5) {
    // Alphanumeric (TS 23.038 GSM 7-bit, packed): the semi-octet count gives the bits used.
    out.alphanumeric = true;
    std::array<std::uint8_t, 12> packed{};
    for (std::size_t i = 0; i < value.size(); ++i) packed[i] = u8_at(value, i);
    const std::size_t septet_count = semi_octets * 4u / 7u;
    std::array<std::uint8_t, 12> septets{};
    if (gsm7::unpack(std::span(packed.data(), value.size()), septet_count, 0, septets) == gsm7::npos)
      return decode_error::bad_length;
    std::array<char, 48> utf8{};
    const std::size_t n = gsm7::to_utf8(std::span(septets.data(), septet_count), utf8);
    if (n == gsm7::npos || !out.text.append(std::string_view(utf8.data(), n))) return decode_error::bad_length;
    return decode_error::none;
  }
  // Digits: semi_octets of them; an odd count ends with the 0xF filler.
  for (std::size_t i = 0; i < semi_octets; ++i) {
    const std::uint8_t octet = u8_at(value, i / 2);
    const auto nibble = static_cast<std::uint8_t>(i % 2 == 0 ? octet & 0x0F : octet >> 4);
    if (nibble == 0x0F) break;
    if (!out.digits.push_back(bcd_digit(nibble))) return decode_error::bad_length;
  }
  return decode_error::none;
}

// TP-UDL and TP-UD (9.2.3.16, 9.2.3.24): the user data must hold what TP-UDL promises.
decode_error user_data(byte_cursor& c, sms_info& out) noexcept {
  if (!c.u8(out.tp_user_data_length)) return decode_error::truncated;
  const std::size_t needed =
      sms_alphabet(out.tp_dcs) == alphabet::gsm7 ? gsm7::packed_size(out.tp_user_data_length) : out.tp_user_data_length;
  if (c.remaining() < needed) return decode_error::bad_length;
  return decode_error::none;
}

}  // namespace

decode_error decode_tpdu(bytes tpdu, bool ms_to_network, sms_info& out) noexcept {
  byte_cursor c(tpdu);
  std::uint8_t first = 0;
  if (!c.u8(first)) return decode_error::truncated;
  const std::uint8_t mti = first & 0x03;
  out.tp_udhi = (first & 0x40) != 0;
  if (ms_to_network) {
    out.tpdu = mti == 0   ? tpdu_kind::sms_deliver_report
               : mti == 1 ? tpdu_kind::sms_submit
               : mti == 2 ? tpdu_kind::sms_command
                          : tpdu_kind::reserved;
  } else {
    out.tpdu = mti == 0   ? tpdu_kind::sms_deliver
               : mti == 1 ? tpdu_kind::sms_submit_report
               : mti == 2 ? tpdu_kind::sms_status_report
                          : tpdu_kind::reserved;
  }
  if (out.tpdu == tpdu_kind::sms_submit) {
    // 9.2.2.2: MTI RD VPF SRR UDHI RP | TP-MR | TP-DA | TP-PID | TP-DCS | TP-VP | TP-UDL | TP-UD
    if (!c.u8(out.tp_message_reference)) return decode_error::truncated;
    if (const decode_error e = decode_tp_address(c, out.tp_address); e != decode_error::none) return e;
    out.has_tp_address = true;
    if (!c.u8(out.tp_pid) || !c.u8(out.tp_dcs)) return decode_error::truncated;
    // TP-VPF (bits 4-3): 00 absent, 10 relative (1 octet), 01 enhanced / 11 absolute (7 octets).
    const std::uint8_t vpf = first >> 3 & 0x03;
    const std::size_t vp = vpf == 0 ? 0 : vpf == 2 ? 1 : 7;
    if (!c.skip(vp)) return decode_error::truncated;
    return user_data(c, out);
  }
  if (out.tpdu == tpdu_kind::sms_deliver) {
    // 9.2.2.1: MTI MMS LP SRI UDHI RP | TP-OA | TP-PID | TP-DCS | TP-SCTS (7) | TP-UDL | TP-UD
    if (const decode_error e = decode_tp_address(c, out.tp_address); e != decode_error::none) return e;
    out.has_tp_address = true;
    if (!c.u8(out.tp_pid) || !c.u8(out.tp_dcs)) return decode_error::truncated;
    if (!c.skip(7)) return decode_error::truncated;
    return user_data(c, out);
  }
  return decode_error::none;  // reports, commands: recognised by kind only
}

namespace dtap_detail {

namespace {

// RP address (24.011 8.2.5.1 / 8.2.5.2): LV, length 0 when absent; at most 11 octets of value.
decode_error rp_address(byte_cursor& c, bool& has, bcd_number& out) noexcept {
  bytes v;
  if (const decode_error e = take_lv(c, v); e != decode_error::none) return e;
  if (v.empty()) return decode_error::none;
  if (v.size() > 11) return decode_error::bad_length;
  const auto n = decode_bcd_number(v, false);
  if (!n) return n.error();
  has = true;
  out = *n;
  return decode_error::none;
}

decode_error decode_rp(bytes rp, dtap_message& m) noexcept {
  sms_info& s = m.sms;
  byte_cursor c(rp);
  std::uint8_t mti = 0;
  if (!c.u8(mti)) return decode_error::truncated;
  mti &= 0x07;
  if (mti == 7) return decode_error::bad_value;  // 8.2.2: reserved
  s.rp_type = static_cast<rp_mti>(mti);
  if (!c.u8(s.rp_message_reference)) return decode_error::truncated;
  s.has_rp = true;
  const bool ms_to_network = mti % 2 == 0;
  m.direction = ms_to_network ? link_direction::uplink : link_direction::downlink;
  switch (s.rp_type) {
    case rp_mti::data_ms_to_net:
    case rp_mti::data_net_to_ms: {  // 7.3.1: RP-OA, RP-DA, RP-User-Data (all LV)
      if (const decode_error e = rp_address(c, s.has_rp_originator, s.rp_originator); e != decode_error::none) return e;
      if (const decode_error e = rp_address(c, s.has_rp_destination, s.rp_destination); e != decode_error::none)
        return e;
      bytes tpdu;
      if (const decode_error e = take_lv(c, tpdu); e != decode_error::none) return e;
      return decode_tpdu(tpdu, ms_to_network, s);
    }
    case rp_mti::error_ms_to_net:
    case rp_mti::error_net_to_ms: {  // 7.3.4: RP-Cause (LV: cause value, diagnostic), RP-UD opt
      bytes v;
      if (const decode_error e = take_lv(c, v); e != decode_error::none) return e;
      if (v.empty()) return decode_error::bad_length;
      s.has_rp_cause = true;
      s.rp_cause = u8_at(v, 0) & 0x7F;
      return decode_error::none;
    }
    default:  // RP-ACK (optional RP-User-Data), RP-SMMA
      return decode_error::none;
  }
}

}  // namespace

decode_error decode_sms_cp(byte_cursor& c, dtap_message& m) noexcept {
  m.known_type = true;
  m.sms.cp_type = static_cast<cp_msg>(m.message_type);
  switch (m.sms.cp_type) {
    case cp_msg::cp_data: {  // 24.011 7.2.1: CP-User-Data, LV (the RP message)
      bytes rp;
      if (const decode_error e = take_lv(c, rp); e != decode_error::none) return e;
      return decode_rp(rp, m);
    }
    case cp_msg::cp_ack:
      return decode_error::none;
    case cp_msg::cp_error:  // 7.2.3: CP-Cause, V
      if (!c.u8(m.sms.cp_cause)) return decode_error::truncated;
      m.sms.has_cp_cause = true;
      return decode_error::none;
  }
  m.known_type = false;
  return decode_error::none;
}

}  // namespace dtap_detail

}  // namespace bssap::dec
