// BSSMAP (BSS Management Application Part) message decoder, driven by two constexpr tables in
// bssmap.cpp: one row per message type (name, direction, whether its IEs are stored, mandatory
// IEs) and one row per IEI (format, so unknown or uninteresting IEs are skipped by their real
// length, and where the IE is stored).
// References: 3GPP TS 48.008 3.2.1 (messages), 3.2.2 (information elements), 3.2.2.1 (message
// type codes), 3.2.2.2 table (IEI codes and formats), 3.2.2.17 (Cell Identifier), 3.2.2.27
// (Cell Identifier List), 3.2.2.5 (Cause).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "bssap/decoders/bssap.hpp"
#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/gsm48_ie.hpp"
#include "bssap/decoders/result.hpp"
#include "bssap/decoders/stats.hpp"

namespace bssap::dec {

// TS 48.008 3.2.2.1: message type codes (all of them, so every message is recognised by type).
enum class bssmap_msg_type : std::uint8_t {
  assignment_request = 0x01,
  assignment_complete = 0x02,
  assignment_failure = 0x03,
  vgcs_vbs_setup = 0x04,
  vgcs_vbs_setup_ack = 0x05,
  vgcs_vbs_setup_refuse = 0x06,
  vgcs_vbs_assignment_request = 0x07,
  channel_modify_request = 0x08,
  handover_request = 0x10,
  handover_required = 0x11,
  handover_request_acknowledge = 0x12,
  handover_command = 0x13,
  handover_complete = 0x14,
  handover_succeeded = 0x15,
  handover_failure = 0x16,
  handover_performed = 0x17,
  handover_candidate_enquire = 0x18,
  handover_candidate_response = 0x19,
  handover_required_reject = 0x1A,
  handover_detect = 0x1B,
  vgcs_vbs_assignment_result = 0x1C,
  vgcs_vbs_assignment_failure = 0x1D,
  vgcs_vbs_queuing_indication = 0x1E,
  uplink_request = 0x1F,
  clear_command = 0x20,
  clear_complete = 0x21,
  clear_request = 0x22,
  sapi_n_reject = 0x25,
  confusion = 0x26,
  uplink_request_acknowledge = 0x27,
  suspend = 0x28,
  resume = 0x29,
  connection_oriented_information = 0x2A,
  perform_location_request = 0x2B,
  lsa_information = 0x2C,
  perform_location_response = 0x2D,
  perform_location_abort = 0x2E,
  common_id = 0x2F,
  reset = 0x30,
  reset_acknowledge = 0x31,
  overload = 0x32,
  reset_circuit = 0x34,
  reset_circuit_acknowledge = 0x35,
  msc_invoke_trace = 0x36,
  bss_invoke_trace = 0x37,
  connectionless_information = 0x3A,
  reset_ip_resource = 0x3D,
  reset_ip_resource_acknowledge = 0x3E,
  block = 0x40,
  blocking_acknowledge = 0x41,
  unblock = 0x42,
  unblocking_acknowledge = 0x43,
  circuit_group_block = 0x44,
  circuit_group_blocking_acknowledge = 0x45,
  circuit_group_unblock = 0x46,
  circuit_group_unblocking_acknowledge = 0x47,
  unequipped_circuit = 0x48,
  uplink_request_confirmation = 0x49,
  uplink_release_indication = 0x4A,
  uplink_reject_command = 0x4B,
  uplink_release_command = 0x4C,
  uplink_seized_command = 0x4D,
  change_circuit = 0x4E,
  change_circuit_acknowledge = 0x4F,
  resource_request = 0x50,
  resource_indication = 0x51,
  paging = 0x52,
  cipher_mode_command = 0x53,
  classmark_update = 0x54,
  cipher_mode_complete = 0x55,
  queuing_indication = 0x56,
  complete_layer3_information = 0x57,
  classmark_request = 0x58,
  cipher_mode_reject = 0x59,
  load_indication = 0x5A,
  vgcs_additional_information = 0x60,
  vgcs_sms = 0x61,
  notification_data = 0x62,
  uplink_application_data = 0x63,
  internal_handover_required = 0x70,
  internal_handover_required_reject = 0x71,
  internal_handover_command = 0x72,
  internal_handover_enquiry = 0x73,
  lcls_connect_control = 0x74,
  lcls_connect_control_acknowledge = 0x75,
  lcls_notification = 0x76,
  reroute_command = 0x78,
  reroute_complete = 0x79,
};

// True for the values TS 48.008 3.2.2.1 defines.
bool is_known(bssmap_msg_type type) noexcept;
// "complete_layer3_information", ... ("unknown" for others).
std::string_view to_string(bssmap_msg_type type) noexcept;
// The direction the message type implies (TS 48.008 3.2.1, each message's "direction":
// BSS-MSC is uplink); `given` for messages sent either way (Reset, Confusion...) or unknown.
link_direction direction_of(bssmap_msg_type type, link_direction given) noexcept;

// TS 48.008 3.2.2.17 table 3.2.2.17.1 (also 3.2.2.27): cell identification discriminator.
enum class cell_id_discriminator : std::uint8_t {
  cgi = 0x0,           // MCC, MNC, LAC, CI
  lac_ci = 0x1,        // LAC, CI
  ci = 0x2,            // CI
  no_cell = 0x3,       // no cell associated with the transaction
  lai = 0x4,           // MCC, MNC, LAC
  lac = 0x5,           // LAC
  all_cells = 0x6,     // all cells on the BSS
  plmn_lac_rnc = 0x8,  // intersystem handover to UTRAN / cdma2000: MCC, MNC, LAC, RNC-ID
  rnc = 0x9,           // RNC-ID
  lac_rnc = 0xA,       // LAC, RNC-ID
  sai = 0xB,           // SAI: MCC, MNC, LAC, SAC
  lac_rnc_ext = 0xC,   // MCC, MNC, LAC, Extended RNC-ID
};

// One cell identification; the has_* flags say which fields the discriminator carried.
struct cell_identifier {
  cell_id_discriminator discriminator = cell_id_discriminator::no_cell;
  bool has_plmn = false;
  bool has_lac = false;
  bool has_ci = false;
  bool has_rnc = false;
  bool has_sac = false;
  plmn_id plmn;
  std::uint16_t lac = 0;
  std::uint16_t ci = 0;
  std::uint16_t rnc = 0;  // RNC-ID (12 bits) or Extended RNC-ID (16 bits)
  std::uint16_t sac = 0;
};

// Cell Identifier (3.2.2.17) value: discriminator octet + identification.
result<cell_identifier> decode_cell_identifier(bytes value) noexcept;

// Cell Identifier List (3.2.2.27): one discriminator, then a list of that form. The first
// `max_stored` cells are kept; `count` is the number the list held.
struct cell_identifier_list {
  static constexpr std::size_t max_stored = 8;
  cell_id_discriminator discriminator = cell_id_discriminator::no_cell;
  std::uint16_t count = 0;
  std::uint8_t stored = 0;
  std::array<cell_identifier, max_stored> cells{};
};
result<cell_identifier_list> decode_cell_identifier_list(bytes value) noexcept;
// Cell `index` (0-based, < count) of a Cell Identifier List value, for lists longer than
// max_stored (bssmap_message::cell_list_value keeps the whole value).
result<cell_identifier> cell_identifier_list_at(bytes value, std::size_t index) noexcept;

// BSSMAP cause (3.2.2.5). Extended (two-octet) causes: `value` = (octet1 & 0x7F) << 8 | octet2.
struct bssmap_cause {
  bool extended = false;
  std::uint16_t value = 0;
};

// A decoded BSSMAP message (the view; spans point into the input). Which IEs a message type
// carries is in bssmap.cpp's per-message tables; IEs of other messages are skipped by length.
struct bssmap_message {
  // User-provided, so that `bssmap_message{}` initialises member by member instead of clearing the
  // whole object first: fixed_string capacity stays untouched (see fixed_string).
  bssmap_message() noexcept {}  // NOLINT(modernize-use-equals-default)
  bssmap_msg_type type = bssmap_msg_type::reset;
  bool known_type = false;   // a type TS 48.008 defines
  bool decoded_ies = false;  // the type has an IE table here (else only the type is reported)

  bool has_cause = false;  // 3.2.2.5
  bssmap_cause cause;
  // Cell Identifier (3.2.2.17): Complete Layer 3 Information (the MS's cell), Handover Performed
  // (the new cell), Handover Request (the serving cell), Assignment Complete, Handover Command.
  bool has_cell = false;
  cell_identifier cell;
  // Handover Request: the second Cell Identifier, Cell Identifier (Target) (3.2.1.8).
  bool has_target_cell = false;
  cell_identifier target_cell;
  // Cell Identifier List (3.2.2.27): Paging, Handover Required (Preferred), Reset...
  bool has_cell_list = false;
  cell_identifier_list cell_list;
  bytes cell_list_value{};  // the whole IE value (see cell_identifier_list_at)
  bool has_imsi = false;    // IMSI (3.2.2.6): Paging, Common ID, ...
  mobile_identity imsi;
  bool has_tmsi = false;  // TMSI (3.2.2.7): Paging
  std::uint32_t tmsi = 0;
  bool has_imei = false;  // IMEI (3.2.2.86)
  mobile_identity imei;
  // Layer 3 Information (3.2.2.24): Complete Layer 3 Information (the initial DTAP message, uplink),
  // Handover Request Acknowledge / Handover Command (RR Handover Command, downlink).
  bool has_layer3_information = false;
  bytes layer3_information{};
  // Layer 3 Message Contents (3.2.2.35): Cipher Mode Complete (RR Ciphering Mode Complete).
  bool has_layer3_message_contents = false;
  bytes layer3_message_contents{};
  bool has_classmark2 = false;  // Classmark Information Type 2 (3.2.2.19)
  bytes classmark2{};
  bool has_classmark3 = false;  // Classmark Information Type 3 (3.2.2.20)
  bytes classmark3{};
  bool has_encryption_information = false;  // 3.2.2.10 (Cipher Mode Command, Handover Request)
  bytes encryption_information{};
  bool has_channel_type = false;  // 3.2.2.11
  bytes channel_type{};
  bool has_chosen_encryption_algorithm = false;  // 3.2.2.44: 0x01 = A5/0 (none), 0x02 = A5/1...
  std::uint8_t chosen_encryption_algorithm = 0;
  bool has_rr_cause = false;  // 3.2.2.22
  std::uint8_t rr_cause = 0;
  bool has_cic = false;  // Circuit Identity Code (3.2.2.2)
  std::uint16_t cic = 0;
  bool has_chosen_channel = false;  // 3.2.2.33
  std::uint8_t chosen_channel = 0;
};

// Decodes a BSSMAP message: `message` starts with the message type octet (the BSSAP header is
// already removed: see decode_bssap_pdu). Errors (counted under layer::bssmap): truncated (the
// message ends inside an IE header or a fixed-length IE), bad_length (an IE length runs past
// the message or is wrong for the IE), bad_value (a malformed Cell Identifier, identity ...),
// missing_ie (a mandatory IE of the message type is absent), unsupported (empty message).
// Unknown message types decode successfully with known_type = false.
result<bssmap_message> decode_bssmap(bytes message, decode_stats* stats = nullptr) noexcept;
// The same, decoding into `out` (reset first) instead of returning a ~0.5 KiB value: a_message's
// hot path. On error `out` holds a partial decode and must not be used.
decode_error decode_bssmap_into(bytes message, bssmap_message& out, decode_stats* stats = nullptr) noexcept;

}  // namespace bssap::dec
