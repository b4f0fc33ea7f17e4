// BSSMAP decoder. References: 3GPP TS 48.008 3.2.1 (message contents: the IE tables below cite
// the clause of each message), 3.2.2.1 (message types), 3.2.2.2 and table 3.2.2.1 (IEI codes;
// formats per the IE's own clause), 3.2.2.5 (Cause), 3.2.2.17 (Cell Identifier), 3.2.2.27 (Cell
// Identifier List).
#include "bssap/decoders/bssmap.hpp"

#include <array>
#include <iterator>
#include <new>

namespace bssap::dec {

namespace {

// --- IE formats (TS 48.008 3.2.2) ---

// T: type only; TV: type + fixed value of `size` octets; TLV: type + 1-octet length + value.
enum class ie_format : std::uint8_t { tlv = 0, t, tv };
struct ie_format_entry {
  ie_format format = ie_format::tlv;
  std::uint8_t size = 0;  // value octets for tv
};

// Every IEI not listed here is TLV (the format of all recent BSSMAP IEs).
constexpr std::array<ie_format_entry, 256> make_ie_formats() {
  std::array<ie_format_entry, 256> t{};
  auto tv = [&t](std::uint8_t iei, std::uint8_t size) { t[iei] = {ie_format::tv, size}; };
  auto t_only = [&t](std::uint8_t iei) { t[iei] = {ie_format::t, 0}; };
  tv(0x01, 2);   // 3.2.2.2 Circuit Identity Code
  tv(0x03, 21);  // 3.2.2.4 Resource Available
  tv(0x0C, 1);   // 3.2.2.12 Periodicity
  tv(0x0D, 1);   // 3.2.2.13 Extended Resource Indicator
  tv(0x0E, 1);   // 3.2.2.8 Number Of MSs
  tv(0x14, 1);   // 3.2.2.21 Interference Band To Be Used
  tv(0x15, 1);   // 3.2.2.22 RR Cause
  tv(0x18, 1);   // 3.2.2.25 DLCI
  tv(0x19, 1);   // 3.2.2.26 Downlink DTX Flag
  t_only(0x1B);  // 3.2.2.28 Response Request
  tv(0x1C, 1);   // 3.2.2.29 Resource Indication Method
  tv(0x1D, 1);   // 3.2.2.30 Classmark Information Type 1
  tv(0x21, 1);   // 3.2.2.33 Chosen Channel
  tv(0x22, 4);   // 3.2.2.14 Total Resource Accessible
  tv(0x23, 1);   // 3.2.2.34 Cipher Response Mode
  tv(0x24, 1);   // 3.2.2.36 Channel Needed
  tv(0x25, 1);   // 3.2.2.37 Trace Type
  tv(0x27, 2);   // 3.2.2.39 Trace Reference
  tv(0x2B, 1);   // 3.2.2.43 Forward Indicator
  tv(0x2C, 1);   // 3.2.2.44 Chosen Encryption Algorithm
  tv(0x2D, 1);   // 3.2.2.45 Circuit Pool
  tv(0x2F, 1);   // 3.2.2.47 Time Indication
  tv(0x31, 1);   // 3.2.2.49 Current Channel Type 1
  tv(0x32, 1);   // 3.2.2.50 Queueing Indicator
  tv(0x33, 1);   // 3.2.2.52 Assignment Requirement
  t_only(0x35);  // 3.2.2.54 Talker Flag
  tv(0x36, 1);   // 3.2.2.3 Connection Release Requested
  tv(0x38, 1);   // 3.2.2.56 eMLPP Priority
  tv(0x39, 1);   // 3.2.2.57 Configuration Evolution Indication
  tv(0x3F, 1);   // 3.2.2.61 LSA Access Control Suppression
  tv(0x40, 1);   // 3.2.2.51 Speech Version
  tv(0x67, 1);   // 3.2.2.85 Paging Information
  tv(0x6A, 1);   // 3.2.2.89 Talker Priority
  t_only(0x6B);  // 3.2.2.90 Emergency Set Indication
  tv(0x7F, 4);   // 3.2.2.105 Call Identifier
  tv(0x81, 1);   // 3.2.2.107 A-Interface Selector for RESET
  tv(0x83, 16);  // 3.2.2.109 Kc128
  t_only(0x85);  // 3.2.2.111 Redirect Attempt Flag
  tv(0x86, 1);   // 3.2.2.113 Reroute Reject Cause
  tv(0x87, 1);   // 3.2.2.114 Send Sequence Number
  tv(0x88, 1);   // 3.2.2.115 Reroute complete outcome
  tv(0x8A, 1);   // 3.2.2.116 LCLS-Configuration
  tv(0x8B, 1);   // 3.2.2.117 LCLS-Connection-Status-Control
  t_only(0x8C);  // 3.2.2.118 LCLS-Correlation-Not-Needed (type only)
  tv(0x8D, 1);   // 3.2.2.119 LCLS-BSS-Status
  tv(0x8E, 1);   // 3.2.2.120 LCLS-Break-Request
  t_only(0x8F);  // 3.2.2.121 CSFB Indication
  t_only(0x90);  // 3.2.2.122 CS to PS SRVCC
  t_only(0x92);  // 3.2.2.124 CS to PS SRVCC Indication
  tv(0x94, 3);   // 3.2.2.126 Selected PLMN ID
  tv(0x95, 3);   // 3.2.2.127 Last used E-UTRAN PLMN ID
  t_only(0xF0);  // Osmocom extension: Osmux support
  tv(0xF1, 1);   // Osmocom extension: Osmux CID
  return t;
}
constexpr std::array<ie_format_entry, 256> ie_formats = make_ie_formats();

namespace iei {
constexpr std::uint8_t cic = 0x01;
constexpr std::uint8_t cause = 0x04;
constexpr std::uint8_t cell_identifier = 0x05;
constexpr std::uint8_t imsi = 0x08;
constexpr std::uint8_t tmsi = 0x09;
constexpr std::uint8_t encryption_information = 0x0A;
constexpr std::uint8_t channel_type = 0x0B;
constexpr std::uint8_t classmark2 = 0x12;
constexpr std::uint8_t classmark3 = 0x13;
constexpr std::uint8_t rr_cause = 0x15;
constexpr std::uint8_t layer3_information = 0x17;
constexpr std::uint8_t cell_identifier_list = 0x1A;
constexpr std::uint8_t layer3_message_contents = 0x20;
constexpr std::uint8_t chosen_channel = 0x21;
constexpr std::uint8_t chosen_encryption_algorithm = 0x2C;
constexpr std::uint8_t imei = 0x68;
}  // namespace iei

// --- per-message IE tables (TS 48.008 3.2.1): the mandatory IEs of each message we decode.
// Optional IEs are taken wherever they appear; the table says which must be there. ---
struct message_ies {
  bssmap_msg_type type;
  std::array<std::uint8_t, 4> mandatory;  // IEIs, 0 = unused slot
  std::uint8_t cell_identifiers = 0;      // how many Cell Identifier IEs are mandatory
};

using t = bssmap_msg_type;
constexpr message_ies message_tables[] = {
    {t::assignment_request, {iei::channel_type}},                                // 3.2.1.1
    {t::assignment_complete, {}},                                                // 3.2.1.2
    {t::assignment_failure, {iei::cause}},                                       // 3.2.1.3
    {t::handover_request, {iei::channel_type, iei::encryption_information}, 2},  // 3.2.1.8
    {t::handover_required, {iei::cause, iei::cell_identifier_list}},             // 3.2.1.9
    {t::handover_request_acknowledge, {iei::layer3_information}},                // 3.2.1.10
    {t::handover_command, {iei::layer3_information}},                            // 3.2.1.11
    {t::handover_complete, {}},                                                  // 3.2.1.12
    {t::handover_failure, {iei::cause}},                                         // 3.2.1.16
    {t::handover_performed, {iei::cause}, 1},                                    // 3.2.1.25
    {t::clear_command, {iei::cause}},                                            // 3.2.1.21
    {t::clear_complete, {}},                                                     // 3.2.1.22
    {t::clear_request, {iei::cause}},                                            // 3.2.1.20
    {t::reset, {iei::cause}},                                                    // 3.2.1.23
    {t::reset_acknowledge, {}},                                                  // 3.2.1.24
    {t::paging, {iei::imsi, iei::cell_identifier_list}},                         // 3.2.1.19
    {t::cipher_mode_command, {iei::encryption_information}},                     // 3.2.1.30
    {t::cipher_mode_complete, {}},                                               // 3.2.1.31
    {t::cipher_mode_reject, {iei::cause}},                                       // 3.2.1.48
    {t::classmark_update, {iei::classmark2}},                                    // 3.2.1.29
    {t::complete_layer3_information, {iei::layer3_information}, 1},              // 3.2.1.32
    {t::common_id, {iei::imsi}},                                                 // 3.2.1.68
    {t::sapi_n_reject, {iei::cause}},                                            // 3.2.1.34
    {t::confusion, {iei::cause}},                                                // 3.2.1.45
    {t::classmark_request, {}},                                                  // 3.2.1.46
    {t::handover_detect, {}},                                                    // 3.2.1.40
    {t::handover_succeeded, {}},                                                 // 3.2.1.13
    {t::handover_required_reject, {iei::cause}},                                 // 3.2.1.37
};

struct type_name {
  bssmap_msg_type type;
  std::string_view name;
};
constexpr type_name type_names[] = {
    {t::assignment_request, "assignment_request"},
    {t::assignment_complete, "assignment_complete"},
    {t::assignment_failure, "assignment_failure"},
    {t::vgcs_vbs_setup, "vgcs_vbs_setup"},
    {t::vgcs_vbs_setup_ack, "vgcs_vbs_setup_ack"},
    {t::vgcs_vbs_setup_refuse, "vgcs_vbs_setup_refuse"},
    {t::vgcs_vbs_assignment_request, "vgcs_vbs_assignment_request"},
    {t::channel_modify_request, "channel_modify_request"},
    {t::handover_request, "handover_request"},
    {t::handover_required, "handover_required"},
    {t::handover_request_acknowledge, "handover_request_acknowledge"},
    {t::handover_command, "handover_command"},
    {t::handover_complete, "handover_complete"},
    {t::handover_succeeded, "handover_succeeded"},
    {t::handover_failure, "handover_failure"},
    {t::handover_performed, "handover_performed"},
    {t::handover_candidate_enquire, "handover_candidate_enquire"},
    {t::handover_candidate_response, "handover_candidate_response"},
    {t::handover_required_reject, "handover_required_reject"},
    {t::handover_detect, "handover_detect"},
    {t::vgcs_vbs_assignment_result, "vgcs_vbs_assignment_result"},
    {t::vgcs_vbs_assignment_failure, "vgcs_vbs_assignment_failure"},
    {t::vgcs_vbs_queuing_indication, "vgcs_vbs_queuing_indication"},
    {t::uplink_request, "uplink_request"},
    {t::clear_command, "clear_command"},
    {t::clear_complete, "clear_complete"},
    {t::clear_request, "clear_request"},
    {t::sapi_n_reject, "sapi_n_reject"},
    {t::confusion, "confusion"},
    {t::uplink_request_acknowledge, "uplink_request_acknowledge"},
    {t::suspend, "suspend"},
    {t::resume, "resume"},
    {t::connection_oriented_information, "connection_oriented_information"},
    {t::perform_location_request, "perform_location_request"},
    {t::lsa_information, "lsa_information"},
    {t::perform_location_response, "perform_location_response"},
    {t::perform_location_abort, "perform_location_abort"},
    {t::common_id, "common_id"},
    {t::reset, "reset"},
    {t::reset_acknowledge, "reset_acknowledge"},
    {t::overload, "overload"},
    {t::reset_circuit, "reset_circuit"},
    {t::reset_circuit_acknowledge, "reset_circuit_acknowledge"},
    {t::msc_invoke_trace, "msc_invoke_trace"},
    {t::bss_invoke_trace, "bss_invoke_trace"},
    {t::connectionless_information, "connectionless_information"},
    {t::reset_ip_resource, "reset_ip_resource"},
    {t::reset_ip_resource_acknowledge, "reset_ip_resource_acknowledge"},
    {t::block, "block"},
    {t::blocking_acknowledge, "blocking_acknowledge"},
    {t::unblock, "unblock"},
    {t::unblocking_acknowledge, "unblocking_acknowledge"},
    {t::circuit_group_block, "circuit_group_block"},
    {t::circuit_group_blocking_acknowledge, "circuit_group_blocking_acknowledge"},
    {t::circuit_group_unblock, "circuit_group_unblock"},
    {t::circuit_group_unblocking_acknowledge, "circuit_group_unblocking_acknowledge"},
    {t::unequipped_circuit, "unequipped_circuit"},
    {t::uplink_request_confirmation, "uplink_request_confirmation"},
    {t::uplink_release_indication, "uplink_release_indication"},
    {t::uplink_reject_command, "uplink_reject_command"},
    {t::uplink_release_command, "uplink_release_command"},
    {t::uplink_seized_command, "uplink_seized_command"},
    {t::change_circuit, "change_circuit"},
    {t::change_circuit_acknowledge, "change_circuit_acknowledge"},
    {t::resource_request, "resource_request"},
    {t::resource_indication, "resource_indication"},
    {t::paging, "paging"},
    {t::cipher_mode_command, "cipher_mode_command"},
    {t::classmark_update, "classmark_update"},
    {t::cipher_mode_complete, "cipher_mode_complete"},
    {t::queuing_indication, "queuing_indication"},
    {t::complete_layer3_information, "complete_layer3_information"},
    {t::classmark_request, "classmark_request"},
    {t::cipher_mode_reject, "cipher_mode_reject"},
    {t::load_indication, "load_indication"},
    {t::vgcs_additional_information, "vgcs_additional_information"},
    {t::vgcs_sms, "vgcs_sms"},
    {t::notification_data, "notification_data"},
    {t::uplink_application_data, "uplink_application_data"},
    {t::internal_handover_required, "internal_handover_required"},
    {t::internal_handover_required_reject, "internal_handover_required_reject"},
    {t::internal_handover_command, "internal_handover_command"},
    {t::internal_handover_enquiry, "internal_handover_enquiry"},
    {t::lcls_connect_control, "lcls_connect_control"},
    {t::lcls_connect_control_acknowledge, "lcls_connect_control_acknowledge"},
    {t::lcls_notification, "lcls_notification"},
    {t::reroute_command, "reroute_command"},
    {t::reroute_complete, "reroute_complete"},
};

// The type octet to its IE table and its name, by direct index (1-based, 0 = none): the lookup
// runs for every BSSMAP message, and a scan of the ~90 names was a visible share of decoding.
struct type_lookup {
  std::array<std::uint8_t, 256> table{};
  std::array<std::uint8_t, 256> name{};
};
constexpr type_lookup make_type_lookup() {
  static_assert(std::size(message_tables) < 255 && std::size(type_names) < 255);
  type_lookup l;
  for (std::size_t i = 0; i < std::size(message_tables); ++i)
    l.table[static_cast<std::uint8_t>(message_tables[i].type)] = static_cast<std::uint8_t>(i + 1);
  for (std::size_t i = 0; i < std::size(type_names); ++i)
    l.name[static_cast<std::uint8_t>(type_names[i].type)] = static_cast<std::uint8_t>(i + 1);
  return l;
}
constexpr type_lookup type_lookups = make_type_lookup();

const message_ies* find_table(bssmap_msg_type type) noexcept {
  const std::uint8_t i = type_lookups.table[static_cast<std::uint8_t>(type)];
  return i == 0 ? nullptr : &message_tables[i - 1];
}

// Octets of one cell identification of the given form (3.2.2.17 / 3.2.2.27); -1 if not a form.
constexpr int cell_id_size(std::uint8_t discriminator) noexcept {
  switch (discriminator) {
    case 0x0:
      return 7;  // MCC MNC LAC CI
    case 0x1:
      return 4;  // LAC CI
    case 0x2:
      return 2;  // CI
    case 0x3:
    case 0x6:
      return 0;  // no cell / all cells
    case 0x4:
      return 5;  // MCC MNC LAC
    case 0x5:
      return 2;  // LAC
    case 0x8:
      return 7;  // MCC MNC LAC RNC-ID
    case 0x9:
      return 2;  // RNC-ID
    case 0xA:
      return 4;  // LAC RNC-ID
    case 0xB:
      return 7;  // MCC MNC LAC SAC
    case 0xC:
      return 7;  // MCC MNC LAC Extended RNC-ID
    default:
      return -1;
  }
}

// One identification of form `discriminator` from exactly cell_id_size() octets.
decode_error decode_cell_fields(std::uint8_t discriminator, bytes v, cell_identifier& out) noexcept {
  out.discriminator = static_cast<cell_id_discriminator>(discriminator);
  auto be16_at = [v](std::size_t i) noexcept { return static_cast<std::uint16_t>(u8_at(v, i) << 8 | u8_at(v, i + 1)); };
  std::size_t pos = 0;
  const bool with_plmn = discriminator == 0x0 || discriminator == 0x4 || discriminator == 0x8 || discriminator == 0xB ||
                         discriminator == 0xC;
  if (with_plmn) {
    const auto plmn = decode_plmn_id(v.first(3));
    if (!plmn) return decode_error::bad_value;
    out.plmn = *plmn;
    out.has_plmn = true;
    pos = 3;
  }
  switch (discriminator) {
    case 0x0:
    case 0x1:
      out.has_lac = out.has_ci = true;
      out.lac = be16_at(pos);
      out.ci = be16_at(pos + 2);
      break;
    case 0x2:
      out.has_ci = true;
      out.ci = be16_at(0);
      break;
    case 0x4:
    case 0x5:
      out.has_lac = true;
      out.lac = be16_at(pos);
      break;
    case 0x8:
    case 0xA:
    case 0xC:
      out.has_lac = out.has_rnc = true;
      out.lac = be16_at(pos);
      out.rnc = be16_at(pos + 2);
      break;
    case 0x9:
      out.has_rnc = true;
      out.rnc = be16_at(0);
      break;
    case 0xB:
      out.has_lac = out.has_sac = true;
      out.lac = be16_at(pos);
      out.sac = be16_at(pos + 2);
      break;
    default:
      break;  // no cell / all cells: no fields
  }
  return decode_error::none;
}

}  // namespace

bool is_known(bssmap_msg_type type) noexcept {
  return type_lookups.name[static_cast<std::uint8_t>(type)] != 0;
}

std::string_view to_string(bssmap_msg_type type) noexcept {
  const std::uint8_t i = type_lookups.name[static_cast<std::uint8_t>(type)];
  return i == 0 ? std::string_view{"unknown"} : type_names[i - 1].name;
}

// 3.2.2.17: octet 3 = spare (bits 8-5) | cell identification discriminator (bits 4-1).
result<cell_identifier> decode_cell_identifier(bytes value) noexcept {
  if (value.empty()) return decode_error::bad_length;
  const std::uint8_t discriminator = u8_at(value, 0) & 0x0F;
  const int size = cell_id_size(discriminator);
  if (size < 0) return decode_error::bad_value;
  if (value.size() != static_cast<std::size_t>(size) + 1) return decode_error::bad_length;
  cell_identifier cell;
  const decode_error e = decode_cell_fields(discriminator, value.subspan(1), cell);
  if (e != decode_error::none) return e;
  return cell;
}

// 3.2.2.27: one discriminator, then a whole number of identifications of that form.
result<cell_identifier_list> decode_cell_identifier_list(bytes value) noexcept {
  if (value.empty()) return decode_error::bad_length;
  const std::uint8_t discriminator = u8_at(value, 0) & 0x0F;
  const int size = cell_id_size(discriminator);
  if (size < 0) return decode_error::bad_value;
  cell_identifier_list list;
  list.discriminator = static_cast<cell_id_discriminator>(discriminator);
  const bytes cells = value.subspan(1);
  if (size == 0) {
    if (!cells.empty()) return decode_error::bad_length;
    return list;
  }
  if (cells.size() % static_cast<std::size_t>(size) != 0) return decode_error::bad_length;
  const std::size_t count = cells.size() / static_cast<std::size_t>(size);
  list.count = static_cast<std::uint16_t>(count);
  for (std::size_t i = 0; i < count; ++i) {
    cell_identifier cell;
    const decode_error e =
        decode_cell_fields(discriminator, cells.subspan(i * static_cast<std::size_t>(size), size), cell);
    if (e != decode_error::none) return e;
    if (list.stored < list.max_stored) list.cells[list.stored++] = cell;
  }
  return list;
}

result<cell_identifier> cell_identifier_list_at(bytes value, std::size_t index) noexcept {
  const auto list = decode_cell_identifier_list(value);  // validates the whole list
  if (!list) return list.error();
  if (index >= list->count) return decode_error::bad_value;
  const auto size = static_cast<std::size_t>(cell_id_size(u8_at(value, 0) & 0x0F));
  cell_identifier cell;
  const decode_error e = decode_cell_fields(u8_at(value, 0) & 0x0F, value.subspan(1 + index * size, size), cell);
  if (e != decode_error::none) return e;
  return cell;
}

namespace {

// 3.2.2.5: one octet, or two when bit 8 (extension) of the first is set.
decode_error decode_cause(bytes v, bssmap_cause& out) noexcept {
  if (v.empty()) return decode_error::bad_length;
  const std::uint8_t o1 = u8_at(v, 0);
  if ((o1 & 0x80) != 0) {
    if (v.size() != 2) return decode_error::bad_length;
    out.extended = true;
    out.value = static_cast<std::uint16_t>((o1 & 0x7F) << 8 | u8_at(v, 1));
  } else {
    if (v.size() != 1) return decode_error::bad_length;
    out.value = o1;
  }
  return decode_error::none;
}

// Stores one IE in the view. First occurrence wins, except the Cell Identifier of a Handover
// Request, whose second occurrence is Cell Identifier (Target) (3.2.1.8).
decode_error store_ie(std::uint8_t tag, bytes v, bssmap_message& m, std::uint8_t& cell_ids) noexcept {
  switch (tag) {
    case iei::cause:
      if (m.has_cause) return decode_error::none;
      m.has_cause = true;
      return decode_cause(v, m.cause);
    case iei::cell_identifier: {
      ++cell_ids;
      const bool target = cell_ids == 2 && m.type == bssmap_msg_type::handover_request;
      if (cell_ids > 1 && !target) return decode_error::none;
      const auto cell = decode_cell_identifier(v);
      if (!cell) return cell.error();
      (target ? m.target_cell : m.cell) = *cell;
      (target ? m.has_target_cell : m.has_cell) = true;
      return decode_error::none;
    }
    case iei::cell_identifier_list: {
      if (m.has_cell_list) return decode_error::none;
      const auto list = decode_cell_identifier_list(v);
      if (!list) return list.error();
      m.cell_list = *list;
      m.cell_list_value = v;
      m.has_cell_list = true;
      return decode_error::none;
    }
    case iei::imsi: {
      if (m.has_imsi) return decode_error::none;
      const auto id = decode_mobile_identity(v);
      if (!id) return id.error();
      if (id->type != identity_type::imsi) return decode_error::bad_value;  // 3.2.2.6: an IMSI
      m.imsi = *id;
      m.has_imsi = true;
      return decode_error::none;
    }
    case iei::tmsi:
      if (m.has_tmsi) return decode_error::none;
      if (v.size() != 4) return decode_error::bad_length;  // 3.2.2.7: the TMSI, 4 octets
      m.tmsi = std::uint32_t{u8_at(v, 0)} << 24 | std::uint32_t{u8_at(v, 1)} << 16 | std::uint32_t{u8_at(v, 2)} << 8 |
               std::uint32_t{u8_at(v, 3)};
      m.has_tmsi = true;
      return decode_error::none;
    case iei::imei: {
      if (m.has_imei) return decode_error::none;
      const auto id = decode_mobile_identity(v);
      if (!id) return id.error();
      m.imei = *id;
      m.has_imei = true;
      return decode_error::none;
    }
    case iei::layer3_information:
      if (m.has_layer3_information) return decode_error::none;
      if (v.empty()) return decode_error::bad_length;
      m.has_layer3_information = true;
      m.layer3_information = v;
      return decode_error::none;
    case iei::layer3_message_contents:
      if (m.has_layer3_message_contents) return decode_error::none;
      if (v.empty()) return decode_error::bad_length;
      m.has_layer3_message_contents = true;
      m.layer3_message_contents = v;
      return decode_error::none;
    case iei::classmark2:
      if (!m.has_classmark2) m.classmark2 = v;
      m.has_classmark2 = true;
      return decode_error::none;
    case iei::classmark3:
      if (!m.has_classmark3) m.classmark3 = v;
      m.has_classmark3 = true;
      return decode_error::none;
    case iei::encryption_information:
      if (!m.has_encryption_information) m.encryption_information = v;
      m.has_encryption_information = true;
      return decode_error::none;
    case iei::channel_type:
      if (!m.has_channel_type) m.channel_type = v;
      m.has_channel_type = true;
      return decode_error::none;
    case iei::chosen_encryption_algorithm:
      if (!m.has_chosen_encryption_algorithm) m.chosen_encryption_algorithm = u8_at(v, 0);
      m.has_chosen_encryption_algorithm = true;
      return decode_error::none;
    case iei::rr_cause:
      if (!m.has_rr_cause) m.rr_cause = u8_at(v, 0);
      m.has_rr_cause = true;
      return decode_error::none;
    case iei::chosen_channel:
      if (!m.has_chosen_channel) m.chosen_channel = u8_at(v, 0);
      m.has_chosen_channel = true;
      return decode_error::none;
    case iei::cic:
      if (!m.has_cic) m.cic = static_cast<std::uint16_t>(u8_at(v, 0) << 8 | u8_at(v, 1));
      m.has_cic = true;
      return decode_error::none;
    default:
      return decode_error::none;
  }
}

bool has_ie(const bssmap_message& m, std::uint8_t tag) noexcept {
  switch (tag) {
    case iei::cause:
      return m.has_cause;
    case iei::cell_identifier_list:
      return m.has_cell_list;
    case iei::imsi:
      return m.has_imsi;
    case iei::layer3_information:
      return m.has_layer3_information;
    case iei::classmark2:
      return m.has_classmark2;
    case iei::encryption_information:
      return m.has_encryption_information;
    case iei::channel_type:
      return m.has_channel_type;
    default:
      return true;
  }
}

decode_error decode_message(bytes message, bssmap_message& m) noexcept {
  byte_cursor c(message);
  std::uint8_t type = 0;
  if (!c.u8(type)) return decode_error::unsupported;
  m.type = static_cast<bssmap_msg_type>(type);
  m.known_type = is_known(m.type);
  const message_ies* table = find_table(m.type);
  m.decoded_ies = table != nullptr;
  if (table == nullptr) return decode_error::none;  // recognised by type only

  std::uint8_t cell_ids = 0;
  while (!c.empty()) {
    std::uint8_t tag = 0;
    if (!c.u8(tag)) return decode_error::truncated;
    const ie_format_entry f = ie_formats[tag];
    bytes value;
    if (f.format == ie_format::t) continue;
    if (f.format == ie_format::tv) {
      if (!c.take(f.size, value)) return decode_error::truncated;
    } else {
      std::uint8_t length = 0;
      if (!c.u8(length)) return decode_error::truncated;
      if (!c.take(length, value)) return decode_error::bad_length;
    }
    const decode_error e = store_ie(tag, value, m, cell_ids);
    if (e != decode_error::none) return e;
  }

  for (const std::uint8_t tag : table->mandatory)
    if (tag != 0 && !has_ie(m, tag)) return decode_error::missing_ie;
  if (table->cell_identifiers >= 1 && !m.has_cell) return decode_error::missing_ie;
  if (table->cell_identifiers >= 2 && !m.has_target_cell) return decode_error::missing_ie;
  return decode_error::none;
}

}  // namespace

decode_error decode_bssmap_into(bytes message, bssmap_message& out, decode_stats* stats) noexcept {
  ::new (&out) bssmap_message{};  // in place: no temporary to copy (see decode_dtap_into)
  const decode_error e = decode_message(message, out);
  if (e != decode_error::none && stats != nullptr) stats->count(layer::bssmap, e);
  return e;
}

result<bssmap_message> decode_bssmap(bytes message, decode_stats* stats) noexcept {
  return result_from<bssmap_message>([&](bssmap_message& m) { return decode_bssmap_into(message, m, stats); });
}

}  // namespace bssap::dec
