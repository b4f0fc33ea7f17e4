// Internals shared by the DTAP decoders (dtap*.cpp): the IE iterator and the per-protocol
// entry points. Not part of the public API.
// References: TS 24.007 11.2.4 (IE formats: bit 8 of the IEI set = a one-octet IE of type 1 or
// 2; otherwise TLV unless the message defines the IEI as TV).
#pragma once

#include <initializer_list>

#include "bssap/decoders/dtap.hpp"

namespace bssap::dec::dtap_detail {

// An IEI that a message defines as TV (format exception to the TLV default), with its value size.
struct tv_ie {
  std::uint8_t iei;
  std::uint8_t value_size;
};

// Walks the non-imperative part: calls on_ie(iei, value) for each IE. One-octet IEs (bit 8 set)
// are reported with an empty value and the IEI octet as is (type 1 IEs keep their value nibble
// in it). truncated when a TV ends early, bad_length when a TLV length runs past the PDU.
template <class F>
decode_error for_each_ie(byte_cursor& c, std::initializer_list<tv_ie> tv, F&& on_ie) noexcept {
  while (!c.empty()) {
    std::uint8_t iei = 0;
    if (!c.u8(iei)) return decode_error::truncated;
    bytes value{};
    if ((iei & 0x80) == 0) {
      int fixed = -1;
      for (const tv_ie& t : tv)
        if (t.iei == iei) fixed = t.value_size;
      if (fixed >= 0) {
        if (!c.take(static_cast<std::size_t>(fixed), value)) return decode_error::truncated;
      } else {
        std::uint8_t length = 0;
        if (!c.u8(length)) return decode_error::truncated;
        if (!c.take(length, value)) return decode_error::bad_length;
      }
    }
    const decode_error e = on_ie(iei, value);
    if (e != decode_error::none) return e;
  }
  return decode_error::none;
}

// A mandatory LV element of the imperative part.
inline decode_error take_lv(byte_cursor& c, bytes& value) noexcept {
  std::uint8_t length = 0;
  if (!c.u8(length)) return decode_error::truncated;
  if (!c.take(length, value)) return decode_error::bad_length;
  return decode_error::none;
}

// TS 24.008 10.5.4.11 value part (after the length).
decode_error decode_cc_cause(bytes value, cc_cause& out) noexcept;

// Each decodes the body after the header (octet 1 and the message type), with m.pd,
// m.message_type and the TI already set.
decode_error decode_mm(byte_cursor& c, dtap_message& m) noexcept;
decode_error decode_cc(byte_cursor& c, dtap_message& m) noexcept;
decode_error decode_sms_cp(byte_cursor& c, dtap_message& m) noexcept;
decode_error decode_ss(byte_cursor& c, dtap_message& m) noexcept;
decode_error decode_rr(byte_cursor& c, dtap_message& m) noexcept;

}  // namespace bssap::dec::dtap_detail
