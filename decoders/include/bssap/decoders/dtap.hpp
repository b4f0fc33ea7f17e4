// DTAP (Direct Transfer Application Part): the layer-3 messages between mobile and MSC carried
// transparently over the A interface. One decoded value for every protocol, self-contained
// (digits and text are copied into fixed arrays; no spans), trivially copyable, so the probe can
// hold it after the packet is gone.
// References: 3GPP TS 24.007 11.2.3 (protocol discriminator, transaction identifier, message
// type, N(SD) bits 11.2.3.2.3), TS 24.008 9.2 / 10.5.3 (MM), 9.3 / 10.5.4 (CC), TS 24.011
// 7 / 8 (SMS CP and RP layers), TS 23.040 9.2 (TPDU), TS 24.080 (SS, Facility, USSD), TS 23.038
// clause 5 (data coding scheme), TS 44.018 9.1 (RR). One source file per spec: dtap_mm.cpp,
// dtap_cc.cpp, dtap_sms.cpp, dtap_ss.cpp, dtap_rr.cpp; dtap.cpp dispatches.
#pragma once

#include <cstdint>
#include <type_traits>

#include "bssap/decoders/bssap.hpp"
#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/gsm48_ie.hpp"
#include "bssap/decoders/result.hpp"
#include "bssap/decoders/stats.hpp"

namespace bssap::dec {

// TS 24.007 11.2.3.1.1 table 11.2.
enum class protocol_discriminator : std::uint8_t {
  gcc = 0x0,
  bcc = 0x1,
  eps_sm = 0x2,
  cc = 0x3,  // call control, call related SS
  gttp = 0x4,
  mm = 0x5,  // mobility management (circuit switched)
  rr = 0x6,  // radio resources management
  eps_mm = 0x7,
  gmm = 0x8,
  sms = 0x9,  // SMS CP layer (TS 24.011)
  sm = 0xA,
  ss = 0xB,  // non call related SS (TS 24.080)
  lcs = 0xC,
  extension = 0xE,
  test = 0xF,
};

// TS 24.008 10.4 table 10.2: MM message types (bits 6-1; N(SD) masked).
enum class mm_msg : std::uint8_t {
  imsi_detach_indication = 0x01,
  location_updating_accept = 0x02,
  location_updating_reject = 0x04,
  location_updating_request = 0x08,
  authentication_reject = 0x11,
  authentication_request = 0x12,
  authentication_response = 0x14,
  identity_request = 0x18,
  identity_response = 0x19,
  tmsi_reallocation_command = 0x1A,
  tmsi_reallocation_complete = 0x1B,
  authentication_failure = 0x1C,
  cm_service_accept = 0x21,
  cm_service_reject = 0x22,
  cm_service_abort = 0x23,
  cm_service_request = 0x24,
  cm_service_prompt = 0x25,
  cm_reestablishment_request = 0x28,
  abort = 0x29,
  mm_null = 0x30,
  mm_status = 0x31,
  mm_information = 0x32,
};

// TS 24.008 10.4 table 10.3: CC message types (bits 6-1; N(SD) masked).
enum class cc_msg : std::uint8_t {
  alerting = 0x01,
  call_proceeding = 0x02,
  progress = 0x03,
  cc_establishment = 0x04,
  setup = 0x05,
  cc_establishment_confirmed = 0x06,
  connect = 0x07,
  call_confirmed = 0x08,
  start_cc = 0x09,
  recall = 0x0B,
  emergency_setup = 0x0E,
  connect_acknowledge = 0x0F,
  user_information = 0x10,
  modify_reject = 0x13,
  modify = 0x17,
  hold = 0x18,
  hold_acknowledge = 0x19,
  hold_reject = 0x1A,
  retrieve = 0x1C,
  retrieve_acknowledge = 0x1D,
  retrieve_reject = 0x1E,
  modify_complete = 0x1F,
  disconnect = 0x25,
  release_complete = 0x2A,
  release = 0x2D,
  stop_dtmf = 0x31,
  stop_dtmf_acknowledge = 0x32,
  status_enquiry = 0x34,
  start_dtmf = 0x35,
  start_dtmf_acknowledge = 0x36,
  start_dtmf_reject = 0x37,
  congestion_control = 0x39,
  facility = 0x3A,
  status = 0x3D,
  notify = 0x3E,
};

// TS 24.011 8.1.3 table 8.1: CP message types.
enum class cp_msg : std::uint8_t { cp_data = 0x01, cp_ack = 0x04, cp_error = 0x10 };

// TS 24.011 8.2.2 table 8.3: RP-MTI (3 bits). Even = MS to network, odd = network to MS.
enum class rp_mti : std::uint8_t {
  data_ms_to_net = 0,
  data_net_to_ms = 1,
  ack_ms_to_net = 2,
  ack_net_to_ms = 3,
  error_ms_to_net = 4,
  error_net_to_ms = 5,
  smma_ms_to_net = 6,
};

// TS 24.080 3.2 / table 3.1: SS message types (bits 6-1; N(SD) masked).
enum class ss_msg : std::uint8_t { release_complete = 0x2A, facility = 0x3A, register_ = 0x3B };

// TS 44.018 10.4 table 10.4.1: RR message types (the ones on the A interface in DTAP and in
// BSSMAP Layer 3 Information / Message Contents are the ones decoded; all are recognised).
enum class rr_msg : std::uint8_t {
  channel_release = 0x0D,
  classmark_enquiry = 0x13,
  classmark_change = 0x16,
  paging_response = 0x27,
  handover_failure = 0x28,
  assignment_complete = 0x29,
  handover_command = 0x2B,
  handover_complete = 0x2C,
  assignment_command = 0x2E,
  assignment_failure = 0x2F,
  ciphering_mode_complete = 0x32,
  gprs_suspension_request = 0x34,
  ciphering_mode_command = 0x35,
  application_information = 0x38,
  rr_status = 0x12,
  utran_classmark_change = 0x60,
};

// TS 24.008 10.5.3.5 table 10.5.93: location updating type (bits 2-1) + follow-on request (bit 4).
enum class lu_type : std::uint8_t { normal = 0, periodic = 1, imsi_attach = 2, reserved = 3 };

// TS 24.008 10.5.3.3 table 10.5.91: CM service type.
enum class cm_service_type : std::uint8_t {
  mo_call = 0x1,  // mobile originating call establishment or packet mode connection
  emergency_call = 0x2,
  sms = 0x4,
  ss_activation = 0x8,
  voice_group_call = 0x9,
  voice_broadcast_call = 0xA,
  location_service = 0xB,
};

// TS 24.008 10.5.4.11: cause (CC).
struct cc_cause {
  std::uint8_t coding_standard = 0;  // octet 3 bits 7-6
  std::uint8_t location = 0;         // octet 3 bits 4-1
  bool has_recommendation = false;   // octet 3a present (octet 3 bit 8 = 0)
  std::uint8_t recommendation = 0;   // octet 3a bits 7-1
  std::uint8_t value = 0;            // octet 4 bits 7-1 (e.g. 16 normal call clearing)
};

// TS 23.040 9.2.3.1: TP-MTI (2 bits). Its meaning depends on the direction: the RP-MTI of the
// carrying RP-DATA says which one.
enum class tpdu_kind : std::uint8_t {
  none = 0,
  sms_deliver,         // SC -> MS, TP-MTI 0
  sms_deliver_report,  // MS -> SC, TP-MTI 0
  sms_submit,          // MS -> SC, TP-MTI 1
  sms_submit_report,   // SC -> MS, TP-MTI 1
  sms_status_report,   // SC -> MS, TP-MTI 2
  sms_command,         // MS -> SC, TP-MTI 2
  reserved,
};

// TP-OA / TP-DA (TS 23.040 9.1.2.5): digits, or (TON 5, alphanumeric) the GSM 7-bit text
// converted to UTF-8 in `text`.
struct sms_address {
  std::uint8_t ton = 0;
  std::uint8_t npi = 0;
  bool alphanumeric = false;
  fixed_string<20> digits;  // at most 20 semi-octets
  fixed_string<48> text;    // at most 11 septets (10 octets), each <= 3 UTF-8 bytes
};

// SMS: CP layer (TS 24.011 7.2), RP layer (7.3) and TPDU (TS 23.040 9.2) of one DTAP message.
struct sms_info {
  cp_msg cp_type = cp_msg::cp_ack;
  bool has_cp_cause = false;  // CP-ERROR (8.1.4.2)
  std::uint8_t cp_cause = 0;
  bool has_rp = false;  // CP-DATA carried a decodable RP message
  rp_mti rp_type = rp_mti::data_ms_to_net;
  std::uint8_t rp_message_reference = 0;
  bool has_rp_originator = false;  // RP-Originator Address (8.2.5.1): the SC on network->MS RP-DATA
  bcd_number rp_originator;
  bool has_rp_destination = false;  // RP-Destination Address (8.2.5.2): the SC on MS->network RP-DATA
  bcd_number rp_destination;
  bool has_rp_cause = false;  // RP-ERROR (8.2.5.4)
  std::uint8_t rp_cause = 0;
  tpdu_kind tpdu = tpdu_kind::none;       // RP-User-Data held a TPDU of this kind
  std::uint8_t tp_message_reference = 0;  // SMS-SUBMIT TP-MR
  bool has_tp_address = false;
  sms_address tp_address;  // TP-DA of an SMS-SUBMIT, TP-OA of an SMS-DELIVER
  std::uint8_t tp_pid = 0;
  std::uint8_t tp_dcs = 0;
  bool tp_udhi = false;
  std::uint8_t tp_user_data_length = 0;  // TP-UDL: septets (7-bit DCS) or octets
};

// TS 24.080 3.6.1 / TS 29.002 Component: the first component of a Facility IE.
enum class ss_component : std::uint8_t {
  none = 0,
  invoke = 0xA1,
  return_result = 0xA2,
  return_error = 0xA3,
  reject = 0xA4,
};

// TS 24.080 4.5 / TS 29.002 MAP operation codes of interest.
namespace ss_opcode {
constexpr std::uint8_t process_unstructured_ss_request = 59;
constexpr std::uint8_t unstructured_ss_request = 60;
constexpr std::uint8_t unstructured_ss_notify = 61;
}  // namespace ss_opcode

struct ss_info {
  ss_component component = ss_component::none;
  bool has_invoke_id = false;
  std::uint8_t invoke_id = 0;
  bool has_opcode = false;
  std::uint8_t opcode = 0;  // Invoke: its opcode; ReturnResult: the opcode of its result, if sent
  bool has_ussd = false;    // a ussd-DataCodingScheme + ussd-String pair was found
  std::uint8_t ussd_dcs = 0;
  bool ussd_text_decoded = false;  // the DCS was GSM 7-bit or UCS-2 and `ussd_text` holds UTF-8
  fixed_string<400> ussd_text;     // maxUSSD-StringLength 160 octets: <= 182 septets / 80 UCS-2
  bool has_cause = false;          // Release Complete cause (10.5.4.11)
  cc_cause cause;
};

// The decoded DTAP message. `direction` is the caller's direction, replaced by the one the
// message type implies when it has only one (e.g. Location Updating Request is uplink).
struct dtap_message {
  // User-provided, so that `dtap_message{}` initialises member by member instead of clearing the
  // whole object first: fixed_string capacity stays untouched (see fixed_string).
  dtap_message() noexcept {}  // NOLINT(modernize-use-equals-default)
  protocol_discriminator pd = protocol_discriminator::mm;
  std::uint8_t message_type = 0;  // N(SD) bits masked for MM, CC and SS
  bool known_type = false;        // a type the spec of `pd` defines
  link_direction direction = link_direction::unknown;
  // TS 24.007 11.2.3.1.3: transaction identifier (CC, SS, SMS). flag = 0: the message is sent
  // from the side that originated the TI; 1: sent to it. value 0..6, or extended (octet 2) 0..127.
  bool has_ti = false;
  bool ti_flag = false;
  std::uint8_t ti_value = 0;
  bool ti_extended = false;

  // --- MM (TS 24.008 9.2) and RR identities ---
  bool has_lu_type = false;  // Location Updating Request
  lu_type lu = lu_type::normal;
  bool follow_on_request = false;
  bool has_cksn = false;  // ciphering key sequence number (10.5.1.2): LU request, CM service request...
  std::uint8_t cksn = 0;
  bool has_lai = false;  // LU Request (old LAI), LU Accept, TMSI Reallocation Command
  location_area_id lai;
  // Mobile Identity (10.5.1.4): LU Request, LU Accept (new TMSI), IMSI Detach, CM Service Request,
  // CM Re-establishment Request, Identity Response, TMSI Reallocation Command, RR Paging Response,
  // RR Ciphering Mode Complete (IMEISV).
  bool has_identity = false;
  mobile_identity identity;
  bool has_reject_cause = false;  // MM cause (10.5.3.6): LU Reject, CM Service Reject, Abort...
  std::uint8_t reject_cause = 0;
  bool has_cm_service_type = false;
  cm_service_type cm_service = cm_service_type::mo_call;
  bool has_requested_identity = false;  // Identity Request: type of identity (10.5.3.4)
  identity_type requested_identity = identity_type::no_identity;
  bool has_classmark1 = false;  // LU Request / IMSI Detach: Mobile Station Classmark 1 octet
  std::uint8_t classmark1 = 0;

  // --- CC (TS 24.008 9.3) ---
  bool has_called = false;  // Setup (MS -> network): Called party BCD number (10.5.4.7)
  bcd_number called;
  bool has_calling = false;  // Setup (network -> MS): Calling party BCD number (10.5.4.9)
  bcd_number calling;
  bool has_cc_cause = false;  // Disconnect, Release, Release Complete (10.5.4.11): first cause
  cc_cause cause;

  // --- SMS (TS 24.011 / 23.040) ---
  sms_info sms;
  // --- SS (TS 24.080) ---
  ss_info ss;
};
static_assert(std::is_trivially_copyable_v<dtap_message>);

// Decodes one DTAP layer-3 PDU (octet 1 = skip indicator or TI + protocol discriminator).
// `direction` is what the transport knows (unknown is fine). Errors (counted under layer::dtap):
// truncated (the PDU ends inside its header or a fixed part), bad_length (an IE length runs
// past the PDU, or exceeds its maximum, e.g. a called number > 43 octets), bad_value (a
// forbidden value: a bad identity, a non-BCD MCC, TI 7 without extension...), missing_ie (a
// mandatory IE of the message is absent), unsupported (a protocol discriminator we do not
// decode, such as GMM: the message is still recognised in the error count only).
// Message types that are recognised but whose IEs are not needed decode with known_type = true
// and no fields; unknown types decode with known_type = false.
result<dtap_message> decode_dtap(bytes pdu, link_direction direction, decode_stats* stats = nullptr) noexcept;
// The same, decoding into `out` (reset first) instead of returning a ~1 KiB value: the probe's and
// a_message's hot path. On error `out` holds a partial decode and must not be used.
decode_error decode_dtap_into(bytes pdu, link_direction direction, dtap_message& out,
                              decode_stats* stats = nullptr) noexcept;

// The parts, usable on their own (the same errors, counted under layer::dtap).
// TS 23.040 9.2: a TPDU as carried in RP-User-Data; `ms_to_network` chooses SUBMIT vs DELIVER.
decode_error decode_tpdu(bytes tpdu, bool ms_to_network, sms_info& out) noexcept;
// TS 24.080 3.6 Facility IE value (the BER component): fills component, opcode and USSD.
decode_error decode_ss_facility(bytes facility_value, ss_info& out) noexcept;
// USSD string (TS 23.038 clause 5 DCS; 6.1.2.3.1 CR padding) to UTF-8 in out.ussd_text.
decode_error decode_ussd_string(std::uint8_t dcs, bytes ussd_string, ss_info& out) noexcept;

}  // namespace bssap::dec
