// BSSAP distribution. References: 3GPP TS 48.006 9.3.1 (discrimination), 9.3.2 (DLCI),
// 9.3.3 (length indicator); TS 48.008 3.1.
#include "bssap/decoders/bssap.hpp"

namespace bssap::dec {

namespace {

decode_error split(bytes data, bssap_pdu& pdu) noexcept {
  byte_cursor c(data);
  std::uint8_t discriminator = 0;
  if (!c.u8(discriminator)) return decode_error::truncated;
  // Bit 1 is the discrimination bit; bits 2-8 are transparent-message spare bits, always 0 on
  // the A interface (TS 48.006 9.3.1): anything else is not BSSAP as we know it.
  if (discriminator > 0x01) return decode_error::unsupported;
  pdu.discriminator = static_cast<bssap_discriminator>(discriminator);
  if (pdu.discriminator == bssap_discriminator::dtap && !c.u8(pdu.dlci)) return decode_error::truncated;
  std::uint8_t length = 0;
  if (!c.u8(length)) return decode_error::truncated;
  if (length == 0) return decode_error::bad_length;  // a message has at least its type octet
  // SCCP has already delimited the user data, so a length beyond it is a lying length field.
  if (!c.take(length, pdu.payload)) return decode_error::bad_length;
  pdu.trailing = c.remaining();
  return decode_error::none;
}

}  // namespace

result<bssap_pdu> decode_bssap_pdu(bytes sccp_user_data, decode_stats* stats) noexcept {
  bssap_pdu pdu;
  const decode_error e = split(sccp_user_data, pdu);
  if (e != decode_error::none) {
    if (stats != nullptr) stats->count(layer::bssap, e);
    return e;
  }
  return pdu;
}

}  // namespace bssap::dec
