// MTP3 decoding. References: see mtp3.hpp.
#include "bssap/decoders/mtp3.hpp"

namespace bssap::dec {

result<mtp3_view> decode_mtp3(bytes msu, point_code_format format) noexcept {
  byte_cursor c{msu};
  mtp3_view v;
  if (!c.u8(v.sio)) return decode_error::truncated;
  v.si = v.sio & 0x0F;
  v.priority = (v.sio >> 4) & 0x03;
  v.ni = v.sio >> 6;
  if (format == point_code_format::itu14) {
    // Q.704 2.2.2: the label is sent least significant bit first, i.e. little-endian.
    std::uint32_t label = 0;
    if (!c.le32(label)) return decode_error::truncated;
    v.dpc = label & 0x3FFF;
    v.opc = (label >> 14) & 0x3FFF;
    v.sls = static_cast<std::uint8_t>(label >> 28);
  } else {
    std::uint8_t sls = 0;
    if (!c.le24(v.dpc) || !c.le24(v.opc) || !c.u8(sls)) return decode_error::truncated;
    v.sls = sls & 0x0F;
  }
  v.payload = c.rest();
  return v;
}

}  // namespace bssap::dec
