// Common layer-3 IEs. References: 3GPP TS 24.008 10.5.1.3, 10.5.1.4, 10.5.4.7, 10.5.4.9.
#include "bssap/decoders/gsm48_ie.hpp"

namespace bssap::dec {

namespace {

// One decimal digit of a PLMN semi-octet; false for anything else.
bool push_decimal(std::uint8_t nibble, fixed_string<3>& out) noexcept {
  if (nibble > 9) return false;
  return out.push_back(static_cast<char>('0' + nibble));
}

}  // namespace

// TS 24.008 10.5.1.3 figure 10.5.3: octet 2 = MCC2|MCC1, octet 3 = MNC3|MCC3, octet 4 = MNC2|MNC1.
result<plmn_id> decode_plmn_id(bytes value) noexcept {
  if (value.size() < 3) return decode_error::truncated;
  const std::uint8_t o1 = u8_at(value, 0);
  const std::uint8_t o2 = u8_at(value, 1);
  const std::uint8_t o3 = u8_at(value, 2);
  plmn_id p;
  if (!push_decimal(o1 & 0x0F, p.mcc) || !push_decimal(o1 >> 4, p.mcc) || !push_decimal(o2 & 0x0F, p.mcc))
    return decode_error::bad_value;
  if (!push_decimal(o3 & 0x0F, p.mnc) || !push_decimal(o3 >> 4, p.mnc)) return decode_error::bad_value;
  // MNC digit 3 = 0xF: a two-digit MNC (TS 24.008 10.5.1.3 NOTE; TS 23.003 2.2).
  if ((o2 >> 4) != 0x0F && !push_decimal(o2 >> 4, p.mnc)) return decode_error::bad_value;
  return p;
}

result<location_area_id> decode_lai(bytes value) noexcept {
  if (value.size() < 5) return decode_error::truncated;
  const auto plmn = decode_plmn_id(value.first(3));
  if (!plmn) return plmn.error();
  location_area_id lai;
  lai.plmn = *plmn;
  lai.lac = static_cast<std::uint16_t>(u8_at(value, 3) << 8 | u8_at(value, 4));
  return lai;
}

// TS 24.008 10.5.1.4: octet 3 = digit 1 | odd/even (bit 4) | type (bits 3-1); then digit pairs,
// the last high nibble 0xF when the count is even. TMSI: octet 3 = 0xF4, then 4 octets.
result<mobile_identity> decode_mobile_identity(bytes value) noexcept {
  if (value.empty()) return decode_error::truncated;
  const std::uint8_t first = u8_at(value, 0);
  const auto type = static_cast<std::uint8_t>(first & 0x07);
  const bool odd = (first & 0x08) != 0;
  mobile_identity id;
  switch (type) {
    case 0:  // No Identity (e.g. IMSI Detach of an MS without identity): the digits are filler.
      id.type = identity_type::no_identity;
      return id;
    case 4: {
      // TMSI/P-TMSI: exactly 4 octets after octet 3 (TS 24.008 10.5.1.4 "bits 5-8 1111").
      if (value.size() < 5) return decode_error::bad_length;
      id.type = identity_type::tmsi;
      id.tmsi = std::uint32_t{u8_at(value, 1)} << 24 | std::uint32_t{u8_at(value, 2)} << 16 |
                std::uint32_t{u8_at(value, 3)} << 8 | std::uint32_t{u8_at(value, 4)};
      return id;
    }
    case 1:
    case 2:
    case 3: {
      id.type = static_cast<identity_type>(type);
      // Digit 1 is octet 3's high nibble; digits 2.. follow two per octet, low nibble first.
      // With an even count the last high nibble is the 0xF filler (its value is not checked).
      // A filler in the last nibble is accepted whatever the odd/even bit says; anywhere else it
      // is an error, as is any non-decimal nibble.
      const std::size_t nibbles = value.size() * 2 - 1;
      if (nibbles - (odd ? 0 : 1) > id.digits.capacity()) return decode_error::bad_length;
      std::size_t written = 0;
      for (std::size_t k = 0; k < nibbles; ++k) {
        const std::size_t bit_pos = k + 1;  // nibble index over the whole value (0 = type)
        const std::uint8_t octet = u8_at(value, bit_pos / 2);
        const auto nibble = static_cast<std::uint8_t>(bit_pos % 2 == 1 ? octet >> 4 : octet & 0x0F);
        const bool last = k + 1 == nibbles;
        if (last && (!odd || nibble == 0x0F)) break;  // the filler position
        if (nibble > 9) return decode_error::bad_value;
        if (!id.digits.push_back(static_cast<char>('0' + nibble))) return decode_error::bad_length;
        ++written;
      }
      // IMSI is at most 15 digits; IMEI 15 (14 + check digit); IMEISV 16 (TS 23.003 6.2).
      if (id.type == identity_type::imsi && (written < 5 || written > 15)) return decode_error::bad_length;
      if (id.type == identity_type::imei && written != 15 && written != 14) return decode_error::bad_length;
      if (id.type == identity_type::imeisv && written != 16) return decode_error::bad_length;
      return id;
    }
    default:
      // TMGI (5) and the reserved values: not an identity we decode.
      id.type = static_cast<identity_type>(type);
      return id;
  }
}

// TS 24.008 10.5.4.7 / 10.5.4.9: octet 3 = ext | TON (3) | NPI (4); octet 3a (calling party,
// when octet 3's ext bit is 0) = ext | presentation (2) | spare (3) | screening (2); then digits.
result<bcd_number> decode_bcd_number(bytes value, bool octet_3a_allowed) noexcept {
  if (value.empty()) return decode_error::truncated;
  bcd_number n;
  const std::uint8_t o3 = u8_at(value, 0);
  n.ton = static_cast<std::uint8_t>(o3 >> 4 & 0x07);
  n.npi = static_cast<std::uint8_t>(o3 & 0x0F);
  std::size_t pos = 1;
  if ((o3 & 0x80) == 0) {
    if (!octet_3a_allowed) return decode_error::bad_value;
    if (value.size() < 2) return decode_error::truncated;
    const std::uint8_t o3a = u8_at(value, 1);
    n.has_octet_3a = true;
    n.presentation = static_cast<std::uint8_t>(o3a >> 5 & 0x03);
    n.screening = static_cast<std::uint8_t>(o3a & 0x03);
    pos = 2;
  }
  if (!append_bcd_digits(value.subspan(pos), n.digits)) return decode_error::bad_length;
  return n;
}

}  // namespace bssap::dec
