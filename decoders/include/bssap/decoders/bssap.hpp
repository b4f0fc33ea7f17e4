// BSSAP framing on the A interface: the discriminator octet that splits BSSMAP from DTAP.
// References: 3GPP TS 48.006 9.3 (distribution function: discrimination parameter, DLCI,
// length indicator), TS 48.008 3.1 / 3.2.
#pragma once

#include <cstdint>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"
#include "bssap/decoders/stats.hpp"

namespace bssap::dec {

// Which way a message travels on the A interface. uplink = from the BSC / mobile station side
// towards the MSC; downlink = from the MSC. The transport (point codes, IPA/TCP direction) tells
// the caller; messages whose type fixes the direction override `unknown` in the decoded views.
enum class link_direction : std::uint8_t { unknown = 0, uplink = 1, downlink = 2 };

// TS 48.006 9.3.1: discrimination octet. Bit 1 = 0 BSSMAP, 1 DTAP; bits 2-8 are spare (0)
// (a non-zero "transparency" bit pattern is refused as unsupported).
enum class bssap_discriminator : std::uint8_t { bssmap = 0x00, dtap = 0x01 };

struct bssap_pdu {
  bssap_discriminator discriminator = bssap_discriminator::bssmap;
  std::uint8_t dlci = 0;     // DTAP only (TS 48.006 9.3.2): bits 8-7 C2 C1 channel, bits 3-1 SAPI
  bytes payload{};           // the BSSMAP message (type octet first) or the DTAP layer-3 PDU
  std::size_t trailing = 0;  // bytes after the length-delimited payload (ignored, reported)
};

// Splits the SCCP user data into discriminator, DLCI and payload. Errors (counted under
// layer::bssap): truncated (the user data ends inside the 2- or 3-octet header), bad_length
// (the length indicator is zero or claims more octets than the SCCP user data holds: SCCP
// already delimited the data, so this is a lying length, not a capture cut), unsupported (an
// unknown discriminator).
result<bssap_pdu> decode_bssap_pdu(bytes sccp_user_data, decode_stats* stats = nullptr) noexcept;

}  // namespace bssap::dec
