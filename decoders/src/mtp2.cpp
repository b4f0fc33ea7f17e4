// MTP2 decoding. References: see mtp2.hpp.
#include "bssap/decoders/mtp2.hpp"

namespace bssap::dec {

result<mtp2_view> decode_mtp2(bytes su, bool annex_a) noexcept {
  byte_cursor c{su};
  mtp2_view v;
  std::uint16_t li_max = 63;
  if (!annex_a) {
    std::uint8_t b = 0, f = 0, li = 0;
    if (!c.u8(b) || !c.u8(f) || !c.u8(li)) return decode_error::truncated;
    v.bsn = b & 0x7F;
    v.bib = (b & 0x80) != 0;
    v.fsn = f & 0x7F;
    v.fib = (f & 0x80) != 0;
    v.li = li & 0x3F;
  } else {
    // Q.703 A.2: each field little-endian in 2 octets, the indicator bit in bit 15.
    std::uint16_t b = 0, f = 0, li = 0;
    if (!c.le16(b) || !c.le16(f) || !c.le16(li)) return decode_error::truncated;
    v.bsn = b & 0x0FFF;
    v.bib = (b & 0x8000) != 0;
    v.fsn = f & 0x0FFF;
    v.fib = (f & 0x8000) != 0;
    v.li = li & 0x01FF;
    li_max = 0x1FF;
  }
  v.kind = v.li == 0 ? mtp2_unit::fisu : v.li < 3 ? mtp2_unit::lssu : mtp2_unit::msu;
  if (v.li < li_max) {
    if (!c.take(v.li, v.payload)) return decode_error::truncated;
  } else {
    v.payload = c.rest();
  }
  return v;
}

}  // namespace bssap::dec
