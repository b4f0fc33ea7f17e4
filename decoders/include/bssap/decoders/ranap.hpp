// A minimal RANAP reader: finds the NAS-PDU that carries DTAP in Iu-CS / Iu-PS signalling, and
// the identity, domain and location IEs around it (RANAP over SCCP, SSN 142).
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

// TS 25.413 9.3.6 (Constant definitions): the procedure codes the probe reads.
namespace ranap_procedure {
constexpr std::uint8_t iu_release = 1;  // Iu-Release Command (initiating) / Complete (successful)
constexpr std::uint8_t paging = 14;
constexpr std::uint8_t common_id = 15;
constexpr std::uint8_t location_report = 18;
constexpr std::uint8_t initial_ue_message = 19;
constexpr std::uint8_t direct_transfer = 20;
}  // namespace ranap_procedure

// Service Area Identifier (TS 25.413 9.2.3.9): PLMN, LAC, SAC.
struct service_area_id {
  plmn_id plmn;
  std::uint16_t lac = 0;
  std::uint16_t sac = 0;
};

struct ranap_message {
  ranap_pdu_kind kind = ranap_pdu_kind::initiating;
  std::uint8_t procedure_code = 0;
  bool has_nas_pdu = false;
  bytes nas_pdu{};  // the DTAP layer-3 message (points into the input)
  // PermanentNAS-UE-ID (IE id 23: CommonID, Paging...): the IMSI, TBCD digits (TS 25.413 9.2.3.1).
  bool has_imsi = false;
  fixed_string<16> imsi;
  // TemporaryUE-ID (IE id 64: Paging, TS 25.413 9.2.3.2): a TMSI (CS) or a P-TMSI (PS).
  bool has_temporary_id = false;
  bool temporary_id_is_ptmsi = false;
  std::uint32_t temporary_id = 0;
  // CN-DomainIndicator (IE id 3: InitialUE-Message, Paging): Iu-CS or Iu-PS (TS 25.413 9.2.1.5).
  bool has_domain = false;
  bool ps_domain = false;
  // LAI (IE id 15) and SAI (IE id 58) of InitialUE-Message (TS 25.413 9.1.33).
  bool has_lai = false;
  location_area_id lai;
  bool has_sai = false;
  service_area_id sai;
};

// Decodes the RANAP-PDU header and, for an initiating message, finds the NAS-PDU IE (id 16), the
// PermanentNAS-UE-ID IE (id 23), the CN domain (id 3), the LAI (id 15) and the SAI (id 58). Errors (counted under
// layer::dtap, the layer RANAP feeds here): truncated (ends inside a header), bad_length (an open-type or IE length
// runs past the PDU), unsupported (extension CHOICE, fragmented lengths >= 16K).
result<ranap_message> decode_ranap(bytes pdu, decode_stats* stats = nullptr) noexcept;

}  // namespace bssap::dec
