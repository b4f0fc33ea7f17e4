// RANAP (TS 25.413) encoder. Every message follows the clause or ASN.1 type cited beside it: TS 25.413 9.1 (message
// contents), 9.3.3 (PDU definitions), 9.3.4 (information element definitions), 9.3.6 (constants); X.691 for the aligned
// PER (aper.hpp).
#include "ranap.hpp"

#include <array>

#include "aper.hpp"
#include "encode.hpp"

namespace bssap::synth {
namespace {

// TS 25.413 9.3.6: procedure codes.
namespace proc {
constexpr std::uint32_t iu_release = 1, security_mode_control = 6, reset = 9, paging = 14, common_id = 15,
                        location_reporting_control = 17, location_report = 18, initial_ue_message = 19,
                        direct_transfer = 20;
}  // namespace proc
// TS 25.413 9.3.6: protocol IE ids.
namespace id {
constexpr std::uint32_t area_identity = 0, cn_domain_indicator = 3, cause = 4, chosen_encryption_algorithm = 5,
                        chosen_integrity_protection_algorithm = 6, encryption_information = 11,
                        integrity_protection_information = 12, lai = 15, nas_pdu = 16, paging_area_id = 21,
                        permanent_nas_ue_id = 23, request_type = 57, sai = 58, sapi = 59, temporary_ue_id = 64,
                        key_status = 75, iu_sig_con_id = 79, global_rnc_id = 86;
}  // namespace id

// RANAP-PDU CHOICE alternatives (9.3.2) and Criticality ::= ENUMERATED { reject, ignore, notify }.
enum class pdu_kind : std::uint32_t { initiating = 0, successful = 1 };
enum class crit : std::uint32_t { reject = 0, ignore = 1 };

using aper::writer;

// RANAP-PDU ::= CHOICE { initiatingMessage, successfulOutcome, unsuccessfulOutcome, outcome, ... }
// and InitiatingMessage / SuccessfulOutcome ::= SEQUENCE { procedureCode ProcedureCode
// (INTEGER (0..255)), criticality, value (open type) }. `body` writes the message's SEQUENCE.
template <class F>
void pdu(wbuf& out, pdu_kind kind, std::uint32_t procedure, crit criticality, F&& body) {
  writer w(out);
  w.index(static_cast<std::uint32_t>(kind), 4, true);
  w.constrained(procedure, 0, 255);
  w.index(static_cast<std::uint32_t>(criticality), 3, false);
  aper::open_type(w, body);
}

// The message SEQUENCE { protocolIEs ProtocolIE-Container, protocolExtensions OPTIONAL, ... }
// preamble and the container's count (SIZE (0..maxProtocolIEs = 65535)).
void begin_ies(writer& w, std::uint32_t count) {
  w.bit(false);  // extension bit
  w.bit(false);  // protocolExtensions absent
  w.constrained(count, 0, 65535);
}
// ProtocolIE-Field ::= SEQUENCE { id (INTEGER (0..65535)), criticality, value (open type) }.
template <class F>
void ie(writer& w, std::uint32_t ie_id, crit criticality, F&& value) {
  w.constrained(ie_id, 0, 65535);
  w.index(static_cast<std::uint32_t>(criticality), 3, false);
  aper::open_type(w, value);
}

std::array<std::uint8_t, 3> own_plmn(const world_view& w) {
  std::array<std::uint8_t, 3> p{};
  wbuf b(p.data(), p.size());
  put_plmn(b, {w.cfg->own_plmn.mcc, 3}, {w.cfg->own_plmn.mnc, w.cfg->own_plmn.mnc_len});
  return p;
}

void be16_octets(writer& w, std::uint16_t v) {
  const std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  w.fixed_octets(b, 2);
}

// LAI ::= SEQUENCE { pLMNidentity OCTET STRING (SIZE (3)), lAC OCTET STRING (SIZE (2)),
// iE-Extensions OPTIONAL, ... }; SAI ::= the same with sAC OCTET STRING (SIZE (2)) before the
// extensions (9.2.3.6, 9.2.3.9).
void put_area(writer& w, const world_view& wv, std::uint32_t cell, bool with_sac) {
  const auto p = own_plmn(wv);
  w.bit(false);
  w.bit(false);
  w.fixed_octets(p.data(), 3);
  be16_octets(w, wv.net->cells[cell].lac);
  if (with_sac) be16_octets(w, wv.net->cells[cell].ci);  // the cell's CI number is its service area code
}

// CN-DomainIndicator ::= ENUMERATED { cs-domain, ps-domain } (9.2.1.5).
void cs_domain(writer& w) {
  w.index(0, 2, false);
}

// GlobalRNC-ID ::= SEQUENCE { pLMNidentity, rNC-ID INTEGER (0..4095) } (9.2.1.39): RNC k is BSC k.
void global_rnc_id(writer& w, const world_view& wv, std::uint8_t rnc) {
  const auto p = own_plmn(wv);
  w.fixed_octets(p.data(), 3);
  w.constrained(static_cast<std::uint32_t>(rnc) + 1, 0, 4095);
}

// PermanentNAS-UE-ID ::= CHOICE { iMSI IMSI, ... }; IMSI ::= TBCD-STRING (SIZE (3..8)) (9.2.3.1):
// digits low nibble first, 0xF filler.
void permanent_id(writer& w, const world_view& wv, std::uint32_t sub) {
  const auto& s = (*wv.subs)[sub];
  std::array<std::uint8_t, 8> tbcd{};
  const std::size_t n = (s.imsi_len + 1u) / 2u;
  for (std::size_t i = 0; i < s.imsi_len; ++i) {
    const auto d = static_cast<std::uint8_t>(s.imsi[i] - '0');
    tbcd[i / 2] = static_cast<std::uint8_t>(i % 2 == 0 ? d : tbcd[i / 2] | d << 4);
  }
  if (s.imsi_len % 2 == 1) tbcd[n - 1] |= 0xF0;
  w.index(0, 1, true);
  w.constrained(static_cast<std::uint32_t>(n), 3, 8);
  w.align();
  for (std::size_t i = 0; i < n; ++i) w.bits(tbcd[i], 8);
}

// Cause ::= CHOICE { radioNetwork (1..64), transmissionNetwork (65..80), nAS (81..96),
// protocol (97..112), misc (113..128), non-Standard (129..256), ..., radioNetworkExtension }
// (9.2.1.4).
void cause_nas(writer& w, std::uint32_t value) {
  w.index(2, 6, true);
  w.constrained(value, 81, 96);
}
void cause_misc(writer& w, std::uint32_t value) {
  w.index(4, 6, true);
  w.constrained(value, 113, 128);
}
constexpr std::uint32_t cause_normal_release = 83, cause_om_intervention = 113;

// IntegrityProtectionInformation / EncryptionInformation ::= SEQUENCE { permittedAlgorithms
// SEQUENCE (SIZE (1..16)) OF INTEGER (0..15), key BIT STRING (SIZE (128)), iE-Extensions
// OPTIONAL } (9.2.1.11, 9.2.1.12; not extensible: no extension bit): one algorithm (UIA1 / UEA1),
// a key derived from `seed`.
void security_information(writer& w, std::uint32_t algorithm, std::uint64_t seed) {
  w.bit(false);  // iE-Extensions absent
  w.constrained(1, 1, 16);
  w.constrained(algorithm, 0, 15);
  w.align();
  std::uint64_t x = seed;
  for (int i = 0; i < 16; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    w.bits(static_cast<std::uint32_t>(x >> 56), 8);
  }
}

// InitialUE-Message (9.1.33): CN domain, LAI, SAI, NAS-PDU, IuSigConId (the RNC's SCCP
// reference, as real RNCs use it), GlobalRNC-ID.
void initial_ue(wbuf& out, const msg& m, const conn_ctx& c, const world_view& wv) {
  std::array<std::uint8_t, 512> nas{};
  wbuf l3(nas.data(), nas.size());
  put_layer3(m, c, wv, l3);
  pdu(out, pdu_kind::initiating, proc::initial_ue_message, crit::ignore, [&](writer& w) {
    begin_ies(w, 6);
    ie(w, id::cn_domain_indicator, crit::ignore, cs_domain);
    ie(w, id::lai, crit::ignore, [&](writer& v) { put_area(v, wv, c.cell, false); });
    ie(w, id::sai, crit::ignore, [&](writer& v) { put_area(v, wv, c.cell, true); });
    ie(w, id::nas_pdu, crit::ignore, [&](writer& v) { v.octets(nas.data(), l3.n); });
    ie(w, id::iu_sig_con_id, crit::ignore, [&](writer& v) {
      // IuSignallingConnectionIdentifier ::= BIT STRING (SIZE (24)): fixed, over 16 bits: aligned.
      v.align();
      v.bits(c.bsc_ref & 0xFFFFFF, 24);
    });
    ie(w, id::global_rnc_id, crit::ignore, [&](writer& v) { global_rnc_id(v, wv, c.bsc); });
  });
}

// DirectTransfer (9.1.34): the NAS-PDU; from the MSC also the SAPI (ENUMERATED { sapi-0, sapi-3,
// ... }), 3 for SMS.
void direct_transfer(wbuf& out, const msg& m, const conn_ctx& c, const world_view& wv) {
  std::array<std::uint8_t, 512> nas{};
  wbuf l3(nas.data(), nas.size());
  put_layer3(m, c, wv, l3);
  const bool with_sapi = m.d == dir::down;
  pdu(out, pdu_kind::initiating, proc::direct_transfer, crit::ignore, [&](writer& w) {
    begin_ies(w, with_sapi ? 2 : 1);
    ie(w, id::nas_pdu, crit::ignore, [&](writer& v) { v.octets(nas.data(), l3.n); });
    if (with_sapi) ie(w, id::sapi, crit::ignore, [&](writer& v) { v.index(is_sapi3(m.kind) ? 1 : 0, 2, true); });
  });
}

}  // namespace

void put_ranap(const msg& m, const conn_ctx& c, const world_view& wv, wbuf& out) noexcept {
  if (is_dtap(m.kind)) {
    direct_transfer(out, m, c, wv);
    return;
  }
  switch (m.kind) {
    case mk::cr:
      initial_ue(out, m, c, wv);
      return;
    case mk::common_id:  // 9.1.47
      pdu(out, pdu_kind::initiating, proc::common_id, crit::ignore, [&](writer& w) {
        begin_ies(w, 1);
        ie(w, id::permanent_nas_ue_id, crit::ignore, [&](writer& v) { permanent_id(v, wv, c.sub); });
      });
      return;
    case mk::cipher_cmd:  // SecurityModeCommand (9.1.11): integrity UIA1, ciphering UEA1, new keys
      pdu(out, pdu_kind::initiating, proc::security_mode_control, crit::reject, [&](writer& w) {
        begin_ies(w, 3);
        ie(w, id::integrity_protection_information, crit::reject,
           [&](writer& v) { security_information(v, 0, m.num); });
        ie(w, id::encryption_information, crit::ignore, [&](writer& v) { security_information(v, 1, ~m.num); });
        // KeyStatus ::= ENUMERATED { old, new, ... }
        ie(w, id::key_status, crit::reject, [](writer& v) { v.index(1, 2, true); });
      });
      return;
    case mk::cipher_complete:  // SecurityModeComplete (9.1.12): the chosen algorithms (INTEGER (0..15))
      pdu(out, pdu_kind::successful, proc::security_mode_control, crit::reject, [&](writer& w) {
        begin_ies(w, 2);
        ie(w, id::chosen_integrity_protection_algorithm, crit::reject, [](writer& v) { v.constrained(0, 0, 15); });
        ie(w, id::chosen_encryption_algorithm, crit::ignore, [](writer& v) { v.constrained(1, 0, 15); });
      });
      return;
    case mk::clear_cmd:  // Iu-ReleaseCommand (9.1.7): cause NAS normal-release
      pdu(out, pdu_kind::initiating, proc::iu_release, crit::reject, [&](writer& w) {
        begin_ies(w, 1);
        ie(w, id::cause, crit::ignore, [](writer& v) { cause_nas(v, cause_normal_release); });
      });
      return;
    case mk::clear_complete:  // Iu-ReleaseComplete (9.1.8): no optional IE
      pdu(out, pdu_kind::successful, proc::iu_release, crit::reject, [](writer& w) { begin_ies(w, 0); });
      return;
    case mk::paging:  // Paging (9.1.23): CS domain, IMSI, the TMSI when the mobile has one, the LA
      pdu(out, pdu_kind::initiating, proc::paging, crit::ignore, [&](writer& w) {
        const bool tmsi = m.id_type == static_cast<std::uint8_t>(id_kind::tmsi);
        begin_ies(w, tmsi ? 4 : 3);
        ie(w, id::cn_domain_indicator, crit::ignore, cs_domain);
        ie(w, id::permanent_nas_ue_id, crit::ignore, [&](writer& v) { permanent_id(v, wv, c.sub); });
        if (tmsi) {
          // TemporaryUE-ID ::= CHOICE { tMSI TMSI (OCTET STRING (SIZE (4))), p-TMSI, ... }
          ie(w, id::temporary_ue_id, crit::ignore, [&](writer& v) {
            v.index(0, 2, true);
            const std::uint8_t t[4] = {static_cast<std::uint8_t>(m.tmsi >> 24), static_cast<std::uint8_t>(m.tmsi >> 16),
                                       static_cast<std::uint8_t>(m.tmsi >> 8), static_cast<std::uint8_t>(m.tmsi)};
            v.fixed_octets(t, 4);
          });
        }
        // PagingAreaID ::= CHOICE { lAI LAI, rAI RAI, ... }
        ie(w, id::paging_area_id, crit::ignore, [&](writer& v) {
          v.index(0, 2, true);
          put_area(v, wv, c.cell, false);
        });
      });
      return;
    case mk::reset:  // Reset (9.1.39) from the RNC: cause O&M intervention, CS domain, the RNC
      pdu(out, pdu_kind::initiating, proc::reset, crit::reject, [&](writer& w) {
        begin_ies(w, 3);
        ie(w, id::cause, crit::ignore, [](writer& v) { cause_misc(v, cause_om_intervention); });
        ie(w, id::cn_domain_indicator, crit::reject, cs_domain);
        ie(w, id::global_rnc_id, crit::ignore, [&](writer& v) { global_rnc_id(v, wv, c.bsc); });
      });
      return;
    case mk::reset_ack:  // ResetAcknowledge (9.1.40): CS domain
      pdu(out, pdu_kind::successful, proc::reset, crit::reject, [&](writer& w) {
        begin_ies(w, 1);
        ie(w, id::cn_domain_indicator, crit::reject, cs_domain);
      });
      return;
    case mk::location_control:  // LocationReportingControl (9.1.44): report the service area directly
      pdu(out, pdu_kind::initiating, proc::location_reporting_control, crit::ignore, [&](writer& w) {
        begin_ies(w, 1);
        // RequestType ::= SEQUENCE { event ENUMERATED { stop-change-of-service-area, direct,
        // change-of-servicearea, stop-direct, ... }, reportArea ENUMERATED { service-area,
        // geographical-area, ... }, accuracyCode INTEGER (0..127) OPTIONAL, ... } (9.2.1.16)
        ie(w, id::request_type, crit::ignore, [](writer& v) {
          v.bit(false);
          v.bit(false);
          v.index(1, 4, true);
          v.index(0, 2, true);
        });
      });
      return;
    case mk::location_report:  // LocationReport (9.1.45): AreaIdentity ::= CHOICE { sAI, geographicalArea, ... }
      pdu(out, pdu_kind::initiating, proc::location_report, crit::ignore, [&](writer& w) {
        begin_ies(w, 1);
        ie(w, id::area_identity, crit::ignore, [&](writer& v) {
          v.index(0, 2, true);
          put_area(v, wv, c.cell, true);
        });
      });
      return;
    default:
      return;
  }
}

}  // namespace bssap::synth
