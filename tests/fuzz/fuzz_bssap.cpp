// libFuzzer target: BSSAP user data -> BSSMAP / DTAP (all protocols) in both directions, plus
// the DTAP decoder on the raw input (as a RANAP NAS-PDU would reach it), and the RANAP reader.
// Input: [1 octet direction selector][BSSAP user data].
#include <cstddef>
#include <cstdint>

#include "bssap/decoders/a_message.hpp"
#include "bssap/decoders/dtap.hpp"
#include "bssap/decoders/ranap.hpp"

using namespace bssap::dec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static a_message message;
  decode_stats stats;
  const auto direction = static_cast<link_direction>(data[0] % 3);
  const bytes payload = as_bytes(data + 1, size - 1);
  (void)decode_bssap_into(payload, direction, message, &stats);
  (void)decode_dtap(payload, direction, &stats);
  const auto ranap = decode_ranap(payload, &stats);
  if (ranap && ranap->has_nas_pdu) (void)decode_dtap(ranap->nas_pdu, direction, &stats);
  return 0;
}
