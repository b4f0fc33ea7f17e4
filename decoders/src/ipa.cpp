// IPA framing. References: see ipa.hpp.
#include "bssap/decoders/ipa.hpp"

namespace bssap::dec {

result<ipa_view> decode_ipa(bytes in, std::size_t& consumed) noexcept {
  consumed = 0;
  byte_cursor c{in};
  ipa_view v;
  if (!c.be16(v.length) || !c.u8(v.stream_id)) return decode_error::truncated;
  if (!c.take(v.length, v.payload)) return decode_error::truncated;
  consumed = ipa_header_length + v.length;
  return v;
}

bool ipa_chain_plausible(bytes in, bool allow_partial_tail) noexcept {
  if (in.size() < ipa_header_length) return false;
  std::size_t pos = 0;
  while (pos < in.size()) {
    if (in.size() - pos < ipa_header_length) return allow_partial_tail;
    const std::size_t length = std::size_t{u8_at(in, pos)} << 8 | u8_at(in, pos + 1);
    const std::uint8_t stream = u8_at(in, pos + 2);
    if (length == 0 || !ipa_known_stream(stream)) return false;
    // A CCM message's first payload octet is its message type (0..7 in practice).
    if (stream == ipa_stream_ccm && pos + 3 < in.size() && u8_at(in, pos + 3) > 0x07) return false;
    // An SCCP message's first octet is its message type (Q.713 2.1: 0x01 CR .. 0x14 LUDTS).
    if (stream == ipa_stream_sccp && pos + 3 < in.size() && (u8_at(in, pos + 3) == 0 || u8_at(in, pos + 3) > 0x14))
      return false;
    pos += ipa_header_length + length;
    if (pos > in.size()) return allow_partial_tail;
  }
  return true;
}

}  // namespace bssap::dec
