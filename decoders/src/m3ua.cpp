// M3UA decoding. References: see m3ua.hpp.
#include "bssap/decoders/m3ua.hpp"

namespace bssap::dec {

decode_error decode_m3ua_into(bytes in, std::size_t& consumed, m3ua_view& v) noexcept {
  consumed = 0;
  byte_cursor c{in};
  v = m3ua_view{};
  // The header goes through locals: testing the view's own fields right after their one-octet
  // stores made the CPU wait for store forwarding on every message.
  std::uint8_t version = 0, reserved = 0, msg_class = 0, msg_type = 0;
  std::uint32_t length = 0;
  if (!c.u8(version) || !c.u8(reserved) || !c.u8(msg_class) || !c.u8(msg_type) || !c.be32(length))
    return decode_error::truncated;
  v.version = version;
  v.msg_class = msg_class;
  v.msg_type = msg_type;
  v.length = length;
  if (version != 1) return decode_error::unsupported;
  if (length < 8) return decode_error::bad_length;
  byte_cursor params;
  if (!c.sub(length - 8, params)) return decode_error::truncated;
  v.parameters = params.whole();
  consumed = length;
  v.is_data = msg_class == static_cast<std::uint8_t>(m3ua_class::transfer) && msg_type == m3ua_type_data;
  if (!v.is_data) return decode_error::none;

  bool have_pd = false;
  while (!params.empty()) {
    std::uint16_t tag = 0, length = 0;
    if (!params.be16(tag) || !params.be16(length)) return decode_error::bad_length;
    if (length < 4) return decode_error::bad_length;
    byte_cursor value;
    if (!params.sub(length - 4u, value)) return decode_error::bad_length;
    // 3.2: padding to 4 octets; the last parameter's padding is inside the message length too,
    // but be lenient when a sender leaves it out.
    const std::size_t pad = (4 - length % 4) % 4;
    if (!params.skip(pad)) (void)params.skip(params.remaining());
    switch (tag) {
      case m3ua_tag_protocol_data: {
        if (have_pd) break;  // the first occurrence wins
        auto& pd = v.data;
        if (!value.be32(pd.opc) || !value.be32(pd.dpc) || !value.u8(pd.si) || !value.u8(pd.ni) || !value.u8(pd.mp) ||
            !value.u8(pd.sls))
          return decode_error::bad_length;
        pd.user_data = value.rest();
        have_pd = true;
        break;
      }
      case m3ua_tag_routing_context:
        if (!v.has_routing_context && value.be32(v.routing_context)) v.has_routing_context = true;
        break;
      case m3ua_tag_network_appearance:
        if (!v.has_network_appearance && value.be32(v.network_appearance)) v.has_network_appearance = true;
        break;
      default:
        break;  // unknown parameters are skipped by their length
    }
  }
  if (!have_pd) return decode_error::missing_ie;
  return decode_error::none;
}

result<m3ua_view> decode_m3ua(bytes in, std::size_t& consumed) noexcept {
  return result_from<m3ua_view>([&](m3ua_view& v) { return decode_m3ua_into(in, consumed, v); });
}

}  // namespace bssap::dec
