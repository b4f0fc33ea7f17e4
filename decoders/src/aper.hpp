// Aligned PER pieces shared by the RANAP and RUA readers (ranap.cpp, rua.cpp), which read the
// same outer structure: ITU-T X.691.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"

namespace bssap::dec::aper {

// X.691 10.9.3.5-10.9.3.8: an aligned length determinant, single octet (< 128) or two octets
// (10xxxxxx xxxxxxxx, < 16K). Fragmented lengths (11xxxxxx) are not used by these messages.
inline decode_error length_determinant(byte_cursor& c, std::size_t& length) noexcept {
  std::uint8_t first = 0;
  if (!c.u8(first)) return decode_error::truncated;
  if ((first & 0x80) == 0) {
    length = first;
    return decode_error::none;
  }
  if ((first & 0xC0) == 0x80) {
    std::uint8_t second = 0;
    if (!c.u8(second)) return decode_error::truncated;
    length = static_cast<std::size_t>((first & 0x3F) << 8 | second);
    return decode_error::none;
  }
  return decode_error::unsupported;
}

// The outer structure RANAP and RUA share (TS 25.413 9.3.2, TS 25.468 9.3.2): a CHOICE of
// initiating / successful / unsuccessful / outcome (extension bit and a 2-bit index, padded to
// the octet), the procedureCode (one aligned octet), the criticality (2 bits, padded), then the
// message as an open type (a length determinant and that many octets).
struct elementary_pdu {
  std::uint8_t kind = 0;  // the CHOICE index: 0 initiating, 1 successful, 2 unsuccessful, 3 outcome
  std::uint8_t procedure_code = 0;
  byte_cursor value;
};
inline decode_error read_pdu(bytes pdu, elementary_pdu& out) noexcept {
  byte_cursor c(pdu);
  std::uint8_t choice = 0, criticality = 0;
  if (!c.u8(choice)) return decode_error::truncated;
  if ((choice & 0x80) != 0) return decode_error::unsupported;  // an extension alternative
  out.kind = static_cast<std::uint8_t>(choice >> 5 & 0x03);
  if (!c.u8(out.procedure_code) || !c.u8(criticality)) return decode_error::truncated;
  std::size_t length = 0;
  if (const decode_error e = length_determinant(c, length); e != decode_error::none) return e;
  if (!c.sub(length, out.value)) return decode_error::bad_length;
  return decode_error::none;
}

// The message's SEQUENCE { protocolIEs ProtocolIE-Container, protocolExtensions OPTIONAL, ... }:
// its preamble bits in one octet, the IE count as a 16-bit constrained number, then each IE as
// its id (16 bits), criticality (2 bits, padded) and value (an open type). Calls
// f(id, byte_cursor& value) -> decode_error for each; stops at the first error.
template <class F>
decode_error for_each_protocol_ie(byte_cursor value, F&& f) noexcept {
  std::uint8_t preamble = 0;
  std::uint16_t count = 0;
  if (!value.u8(preamble) || !value.be16(count)) return decode_error::truncated;
  for (std::uint16_t i = 0; i < count; ++i) {
    std::uint16_t id = 0;
    std::uint8_t criticality = 0;
    if (!value.be16(id) || !value.u8(criticality)) return decode_error::truncated;
    std::size_t length = 0;
    if (const decode_error e = length_determinant(value, length); e != decode_error::none) return e;
    byte_cursor ie;
    if (!value.sub(length, ie)) return decode_error::bad_length;
    if (const decode_error e = f(id, ie); e != decode_error::none) return e;
  }
  return decode_error::none;
}

// An unconstrained OCTET STRING inside an open type (NAS-PDU, RANAP-Message): its own length
// determinant, then the octets.
inline decode_error octet_string(byte_cursor& c, bytes& out) noexcept {
  std::size_t length = 0;
  if (const decode_error e = length_determinant(c, length); e != decode_error::none) return e;
  return c.take(length, out) ? decode_error::none : decode_error::bad_length;
}

}  // namespace bssap::dec::aper
