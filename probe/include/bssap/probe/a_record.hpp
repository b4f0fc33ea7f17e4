// a_record: one A-interface message reduced to the facts correlation needs, the value flow
// workers hand to the correlation stage. Trivially copyable so it moves through lock-free
// queues as bytes; it owns no pointers into the packet (the packet buffer is reused).
// References: ../../../EVENTS.md (which facts make which events), TS 48.008 (BSSMAP),
// TS 24.008 (MM/CC), TS 24.011 (CP/RP), TS 24.080 (SS).
#pragma once

#include <cstdint>
#include <type_traits>

#include "bssap/event.hpp"

namespace bssap::probe {

// What the message is, as far as events and identities are concerned. Messages that matter
// to neither are not forwarded at all.
enum class a_kind : std::uint8_t {
  tick = 0,              // no message: a worker passed sequence number `seq` (merge progress)
  conn_close,            // RLSD, RLC, BSSMAP Clear Complete or an idle timeout ended the connection
  conn_confirm,          // the connection was accepted: SCCP CC (Q.713 4.3), or a DT1 where the CC was not seen
  conn_refused,          // SCCP CREF (Q.713 4.4): the CR was refused; its records (af_in_cr) are void
  lu_request,            // MM Location Updating Request (TS 24.008 9.2.15): lu_type, lai, identity
  lu_accept,             // MM Location Updating Accept (9.2.13): tmsi when one is allocated
  lu_reject,             // MM Location Updating Reject (9.2.14): cause
  imsi_detach,           // MM IMSI Detach Indication (9.2.12): identity
  identity_response,     // MM Identity Response (9.2.11): imsi / imei
  tmsi_realloc,          // MM TMSI Reallocation Command (9.2.17): tmsi
  cm_service_request,    // MM CM Service Request (9.2.9) / CM Re-establishment (9.2.4): identity
  paging_response,       // RR Paging Response (TS 44.018 9.1.25): identity
  common_id,             // BSSMAP Common ID (TS 48.008 3.2.1.68): imsi
  cipher_complete,       // BSSMAP Cipher Mode Complete / RR Ciphering Mode Complete: imei (IMEISV)
  cc_setup,              // CC Setup (24.008 9.3.23): ti, peer (called or calling number)
  cc_connect,            // CC Connect (9.3.5): ti
  cc_clearing,           // CC Disconnect / Release / Release Complete: ti, cause when present
  sms_mo,                // CP-DATA / RP-DATA (MS->net) / SMS-SUBMIT: peer = TP-DA
  sms_mt,                // CP-DATA / RP-DATA (net->MS) / SMS-DELIVER: peer = TP-OA
  ussd,                  // SS Register / Facility from the MS with a USSD string: peer
  handover_performed,    // BSSMAP Handover Performed (3.2.1.25): cell = new cell
  handover_request,      // BSSMAP Handover Request (3.2.1.8) on a new connection: cell = target
  handover_complete,     // BSSMAP Handover Complete (3.2.1.12) on the new connection
  handover_request_ack,  // BSSMAP Handover Request Acknowledge (3.2.1.10), new connection: ho_key
  handover_command,      // BSSMAP Handover Command (3.2.1.11), old connection: ho_key
  paging,                // BSSMAP Paging (3.2.1.19), connectionless: imsi + tmsi (teaches the map)
  other,                 // anything else on a connection (keeps it alive, no event)
  count_
};

// Presence bits of a_record fields.
enum a_field : std::uint16_t {
  af_imsi = 1u << 0,
  af_tmsi = 1u << 1,
  af_imei = 1u << 2,
  af_lai = 1u << 3,        // lai_mcc/lai_mnc/lai_lac: the LAI inside the L3 message
  af_cell_plmn = 1u << 4,  // cell_mcc/cell_mnc
  af_cell_lac = 1u << 5,
  af_cell_ci = 1u << 6,
  af_cause = 1u << 7,
  af_peer = 1u << 8,
  af_cl3 = 1u << 9,  // the message came in BSSMAP Complete Layer 3 Information: cell = its cell
  af_ti = 1u << 10,
  // The message travelled in an SCCP Connection Request: it counts only once the connection is
  // confirmed (conn_confirm), and never when it is refused (conn_refused, ../shared/spec/events.md
  // "Refused connections").
  af_in_cr = 1u << 11,
};

struct a_record {
  std::uint64_t seq = 0;   // capture order of the packet that carried it (global, from 1)
  std::int64_t ts_us = 0;  // capture time
  std::uint64_t conn = 0;  // connection id, unique per run; 0 for connectionless messages
  std::uint64_t link = 0;  // flow id of the link/association (for --link-field)
  // handover_request_ack / handover_command: a hash of the Layer 3 Information, the RR Handover
  // Command that the MSC relays verbatim from the new BSC's acknowledge to the old BSC
  // (TS 48.008 3.2.1.10, 3.2.1.11): equal keys tie the two connections of one handover.
  std::uint64_t ho_key = 0;
  a_kind kind = a_kind::tick;
  bool uplink = false;       // sent by the BSC side (from the mobile)
  std::uint8_t lu_type = 0;  // TS 24.008 10.5.3.5: 0 normal, 1 periodic, 2 IMSI attach
  std::uint8_t ti = 0;       // CC TI value normalised: bit 7 = 1 when the network originated the call
  std::uint16_t present = 0;
  std::uint16_t lai_lac = 0;
  std::uint16_t cell_lac = 0;
  std::uint32_t tmsi = 0;
  std::uint32_t cell_ci = 0;
  std::int32_t cause = 0;
  fixed_string<15> imsi;
  fixed_string<14> imei;
  fixed_string<3> lai_mcc, lai_mnc, cell_mcc, cell_mnc;
  fixed_string<184> peer;

  constexpr bool has(a_field f) const noexcept { return (present & f) != 0; }
  constexpr void set(a_field f) noexcept { present = static_cast<std::uint16_t>(present | f); }
};

static_assert(std::is_trivially_copyable_v<a_record>, "records cross lock-free queues as bytes");

}  // namespace bssap::probe
