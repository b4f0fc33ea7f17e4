// Supplementary services (non call related): Register, Facility, Release Complete, and the
// Facility IE's component with its USSD operation.
// References: 3GPP TS 24.080 2.3-2.5 (message contents), 3.6 (Facility IE, components), 4.5 (ASN.1
// of USSD-Arg / USSD-Res as imported from TS 29.002 17.7.4: ussd-DataCodingScheme OCTET
// STRING (SIZE(1)), ussd-String OCTET STRING (SIZE(1..160))); ITU-T X.690 (BER tags and lengths);
// TS 23.038 clause 5 (CBS/USSD data coding scheme), 6.1.2.3.1 (USSD CR padding).
#include <array>

#include "bssap/decoders/gsm7.hpp"
#include "dtap_detail.hpp"

namespace bssap::dec {

namespace {

// A BER TLV inside an enclosing span: one-octet tags (all tags in these components are), short
// and long definite lengths; an indefinite length (0x80) extends to the end of the enclosing
// value (the end-of-contents octets then sit inside it, harmlessly).
struct ber_tlv {
  std::uint8_t tag = 0;
  bytes value{};
};

bool next_tlv(byte_cursor& c, ber_tlv& out) noexcept {
  std::uint8_t length = 0;
  if (!c.u8(out.tag) || !c.u8(length)) return false;
  if ((out.tag & 0x1F) == 0x1F) return false;  // multi-octet tags: not in these components
  std::size_t size = length;
  if (length == 0x80) {
    size = c.remaining();
  } else if (length > 0x80) {
    const std::size_t octets = length & 0x7F;
    if (octets > 2) return false;
    size = 0;
    for (std::size_t i = 0; i < octets; ++i) {
      std::uint8_t b = 0;
      if (!c.u8(b)) return false;
      size = size << 8 | b;
    }
  }
  return c.take(size, out.value);
}

// TS 23.038 clause 5: USSD data coding scheme -> decodable as GSM 7-bit, UCS-2, or not.
enum class ussd_alphabet : std::uint8_t { gsm7, ucs2, ucs2_with_language, other };

ussd_alphabet classify(std::uint8_t dcs) noexcept {
  const std::uint8_t group = dcs >> 4;
  switch (group) {
    case 0x0:  // languages, GSM 7-bit (0x0F: language unspecified)
    case 0x2:
    case 0x3:
      return ussd_alphabet::gsm7;
    case 0x1:
      if (dcs == 0x10) return ussd_alphabet::gsm7;  // GSM 7-bit preceded by a language indication
      if (dcs == 0x11) return ussd_alphabet::ucs2_with_language;
      return ussd_alphabet::gsm7;  // 0x12-0x1F reserved: default alphabet
    case 0x4:
    case 0x5:
    case 0x6:
    case 0x7:                                              // general data coding indication
      if ((dcs & 0x20) != 0) return ussd_alphabet::other;  // compressed
      switch (dcs >> 2 & 0x03) {
        case 0:
          return ussd_alphabet::gsm7;
        case 2:
          return ussd_alphabet::ucs2;
        default:
          return ussd_alphabet::other;
      }
    case 0x9:  // message with user data header: not for USSD
      return ussd_alphabet::other;
    case 0xF:
      return (dcs & 0x04) != 0 ? ussd_alphabet::other : ussd_alphabet::gsm7;
    default:
      return ussd_alphabet::gsm7;  // 1000, 1010-1110 reserved: "assumed GSM 7 bit default alphabet"
  }
}

// One UTF-16 code unit sequence (big endian) to UTF-8; surrogate pairs combined.
bool ucs2_to_utf8(bytes v, fixed_string<400>& out) noexcept {
  for (std::size_t i = 0; i + 1 < v.size(); i += 2) {
    std::uint32_t cp = static_cast<std::uint32_t>(u8_at(v, i) << 8 | u8_at(v, i + 1));
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < v.size()) {
      const std::uint32_t low = static_cast<std::uint32_t>(u8_at(v, i + 2) << 8 | u8_at(v, i + 3));
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 2;
      }
    }
    bool ok = true;
    if (cp < 0x80) {
      ok = out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      ok = out.push_back(static_cast<char>(0xC0 | cp >> 6)) && out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      ok = out.push_back(static_cast<char>(0xE0 | cp >> 12)) &&
           out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F))) &&
           out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      ok = out.push_back(static_cast<char>(0xF0 | cp >> 18)) &&
           out.push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F))) &&
           out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F))) &&
           out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    if (!ok) return false;
  }
  return true;
}

// Looks in a USSD-Arg / USSD-Res SEQUENCE for ussd-DataCodingScheme then ussd-String (the first
// two OCTET STRINGs, X.690 universal tag 4).
decode_error find_ussd(bytes sequence, ss_info& out) noexcept {
  byte_cursor c(sequence);
  ber_tlv t;
  bool has_dcs = false;
  std::uint8_t dcs = 0;
  while (!c.empty()) {
    if (!next_tlv(c, t)) return decode_error::bad_length;
    if (t.tag != 0x04) continue;
    if (!has_dcs) {
      if (t.value.size() != 1) return decode_error::bad_length;
      dcs = u8_at(t.value, 0);
      has_dcs = true;
      continue;
    }
    return decode_ussd_string(dcs, t.value, out);
  }
  return decode_error::none;  // no USSD in this parameter
}

}  // namespace

decode_error decode_ussd_string(std::uint8_t dcs, bytes s, ss_info& out) noexcept {
  if (s.size() > 160) return decode_error::bad_length;  // maxUSSD-StringLength (TS 29.002)
  out.has_ussd = true;
  out.ussd_dcs = dcs;
  out.ussd_text.clear();
  out.ussd_text_decoded = false;
  switch (classify(dcs)) {
    case ussd_alphabet::gsm7: {
      std::array<std::uint8_t, 160> packed{};
      for (std::size_t i = 0; i < s.size(); ++i) packed[i] = u8_at(s, i);
      std::array<std::uint8_t, 183> septets{};
      const std::size_t count = gsm7::septets_in(s.size());
      if (gsm7::unpack(std::span(packed.data(), s.size()), count, 0, septets) == gsm7::npos)
        return decode_error::bad_length;
      const std::size_t kept = gsm7::strip_ussd_padding(std::span(septets.data(), count), s.size());
      std::array<char, 400> utf8{};
      const std::size_t n = gsm7::to_utf8(std::span(septets.data(), kept), utf8);
      if (n == gsm7::npos || !out.ussd_text.append(std::string_view(utf8.data(), n))) return decode_error::bad_length;
      out.ussd_text_decoded = true;
      return decode_error::none;
    }
    case ussd_alphabet::ucs2:
      if (s.size() % 2 != 0) return decode_error::bad_length;
      if (!ucs2_to_utf8(s, out.ussd_text)) return decode_error::bad_length;
      out.ussd_text_decoded = true;
      return decode_error::none;
    case ussd_alphabet::ucs2_with_language:
      // TS 23.038 5: two octets of language (GSM 7-bit packed) then UCS-2.
      if (s.size() < 2 || s.size() % 2 != 0) return decode_error::bad_length;
      if (!ucs2_to_utf8(s.subspan(2), out.ussd_text)) return decode_error::bad_length;
      out.ussd_text_decoded = true;
      return decode_error::none;
    case ussd_alphabet::other:
      return decode_error::none;  // 8-bit data / compressed: kept as not decoded
  }
  return decode_error::none;
}

// TS 24.080 3.6.1: Component = Invoke [1] | ReturnResult [2] | ReturnError [3] | Reject [4].
// Invoke ::= SEQUENCE { invokeID INTEGER, linkedID [0] OPTIONAL, opCode INTEGER, parameter ANY }
// ReturnResult ::= SEQUENCE { invokeID INTEGER, SEQUENCE { opCode INTEGER, parameter ANY } OPTIONAL }
decode_error decode_ss_facility(bytes facility, ss_info& out) noexcept {
  byte_cursor c(facility);
  ber_tlv component;
  if (!next_tlv(c, component)) return decode_error::bad_length;
  if (component.tag < 0xA1 || component.tag > 0xA4) return decode_error::bad_value;
  out.component = static_cast<ss_component>(component.tag);
  byte_cursor body(component.value);
  ber_tlv t;
  if (!next_tlv(body, t)) return decode_error::bad_length;
  if (t.tag == 0x02 && t.value.size() == 1) {  // invokeID (a one-octet INTEGER in practice)
    out.has_invoke_id = true;
    out.invoke_id = u8_at(t.value, 0);
  } else if (t.tag != 0x02 && t.tag != 0x05) {  // Reject may carry NULL instead of an ID
    return decode_error::bad_value;
  }
  auto opcode_from = [&out](const ber_tlv& op) noexcept {
    if (op.tag == 0x02 && op.value.size() == 1) {  // local operation code (X.880), one octet
      out.has_opcode = true;
      out.opcode = u8_at(op.value, 0);
    }
  };
  if (out.component == ss_component::invoke) {
    if (!next_tlv(body, t)) return decode_error::bad_length;
    if (t.tag == 0x80 && !next_tlv(body, t)) return decode_error::bad_length;  // linkedID
    opcode_from(t);
    if (!out.has_opcode) return decode_error::bad_value;
    if (body.empty()) return decode_error::none;
    if (!next_tlv(body, t)) return decode_error::bad_length;
    const std::uint8_t op = out.opcode;
    if (t.tag == 0x30 && (op == ss_opcode::process_unstructured_ss_request ||
                          op == ss_opcode::unstructured_ss_request || op == ss_opcode::unstructured_ss_notify))
      return find_ussd(t.value, out);
    return decode_error::none;
  }
  if (out.component == ss_component::return_result) {
    if (body.empty()) return decode_error::none;  // a result without parameter
    if (!next_tlv(body, t)) return decode_error::bad_length;
    if (t.tag != 0x30) return decode_error::bad_value;
    byte_cursor result_seq(t.value);
    ber_tlv op;
    if (!next_tlv(result_seq, op)) return decode_error::bad_length;
    opcode_from(op);
    if (result_seq.empty()) return decode_error::none;
    ber_tlv parameter;
    if (!next_tlv(result_seq, parameter)) return decode_error::bad_length;
    if (parameter.tag == 0x30) return find_ussd(parameter.value, out);
    return decode_error::none;
  }
  return decode_error::none;  // ReturnError / Reject: component kind only
}

namespace dtap_detail {

namespace {

constexpr std::uint8_t iei_cause = 0x08;
constexpr std::uint8_t iei_facility = 0x1C;

decode_error store_ss_ie(std::uint8_t iei, bytes v, dtap_message& m) noexcept {
  if (iei == iei_facility && m.ss.component == ss_component::none) return decode_ss_facility(v, m.ss);
  if (iei == iei_cause && !m.ss.has_cause) {
    m.ss.has_cause = true;
    return decode_cc_cause(v, m.ss.cause);
  }
  return decode_error::none;
}

}  // namespace

decode_error decode_ss(byte_cursor& c, dtap_message& m) noexcept {
  m.known_type = true;
  auto walk = [&m](std::uint8_t iei, bytes v) noexcept { return store_ss_ie(iei, v, m); };
  switch (static_cast<ss_msg>(m.message_type)) {
    case ss_msg::register_: {  // 24.080 2.4: Facility 0x1C TLV (M), SS version 0x7F TLV (O)
      if (const decode_error e = for_each_ie(c, {}, walk); e != decode_error::none) return e;
      if (m.ss.component == ss_component::none) return decode_error::missing_ie;
      return decode_error::none;
    }
    case ss_msg::facility: {  // 2.3: Facility, mandatory LV (no IEI)
      bytes v;
      if (const decode_error e = take_lv(c, v); e != decode_error::none) return e;
      if (const decode_error e = decode_ss_facility(v, m.ss); e != decode_error::none) return e;
      return for_each_ie(c, {}, walk);
    }
    case ss_msg::release_complete:  // 2.5: Cause 0x08 (O), Facility 0x1C (O)
      return for_each_ie(c, {}, walk);
  }
  m.known_type = false;
  return decode_error::none;
}

}  // namespace dtap_detail

}  // namespace bssap::dec
