// A minimal RANAP reader: finds the NAS-PDU that carries DTAP in Iu-CS / Iu-PS signalling, so the
// DTAP decoder can be checked against tshark on real captures (RANAP over SCCP, SSN 142).
// References: 3GPP TS 25.413 9.3 (ASN.1: RANAP-PDU, InitiatingMessage, ProtocolIE-Container,
// id-NAS-PDU = 16, id-InitialUE-Message = 19, id-DirectTransfer = 20), ITU-T X.691 (aligned PER:
// extensible CHOICE index, constrained integers, open types with length determinants).
// Only the outer structure is read; everything else is skipped by its open-type length.
#pragma once

#include <cstdint>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/gsm48_ie.hpp"
#include "bssap/decoders/result.hpp"
#include "bssap/decoders/stats.hpp"

namespace bssap::dec {

enum class ranap_pdu_kind : std::uint8_t { initiating = 0, successful = 1, unsuccessful = 2, outcome = 3 };

namespace ranap_procedure {
constexpr std::uint8_t initial_ue_message = 19;
constexpr std::uint8_t direct_transfer = 20;
}  // namespace ranap_procedure

struct ranap_message {
  ranap_pdu_kind kind = ranap_pdu_kind::initiating;
  std::uint8_t procedure_code = 0;
  bool has_nas_pdu = false;
  bytes nas_pdu{};  // the DTAP layer-3 message (points into the input)
  // PermanentNAS-UE-ID (IE id 23: CommonID, Paging...): the IMSI, TBCD digits (TS 25.413 9.2.3.1).
  bool has_imsi = false;
  fixed_string<16> imsi;
};

// Decodes the RANAP-PDU header and, for an initiating message, finds the NAS-PDU IE (id 16) and
// the PermanentNAS-UE-ID IE (id 23). Errors (counted under layer::dtap, the layer RANAP feeds here): truncated (ends
// inside a header), bad_length (an open-type or IE length runs past the PDU), unsupported (extension CHOICE, fragmented
// lengths >= 16K).
result<ranap_message> decode_ranap(bytes pdu, decode_stats* stats = nullptr) noexcept;

}  // namespace bssap::dec
