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

// --- one row per message type (TS 48.008 3.2.2.1 codes, 3.2.1 contents): its name, who sends
// it (each message's "direction" in 3.2.1; either: both, or not needed by the probe), and, for
// the messages whose IEs we store, the mandatory ones (optional IEs are taken wherever they
// appear). A type without `decoded` is recognised by type only. ---
enum class from : std::uint8_t { either, bss, msc };
constexpr bool decoded = true;
struct message_row {
  bssmap_msg_type type;
  std::string_view name;
  from sender = from::either;
  bool decode_ies = false;
  std::array<std::uint8_t, 4> mandatory{};  // IEIs, 0 = unused slot
  std::uint8_t cell_identifiers = 0;        // how many Cell Identifier IEs are mandatory
};

using t = bssmap_msg_type;
constexpr message_row message_rows[] = {
    {t::assignment_request, "assignment_request", from::msc, decoded, {iei::channel_type}, 0},  // 3.2.1.1
    {t::assignment_complete, "assignment_complete", from::bss, decoded, {}, 0},                 // 3.2.1.2
    {t::assignment_failure, "assignment_failure", from::bss, decoded, {iei::cause}, 0},         // 3.2.1.3
    {t::vgcs_vbs_setup, "vgcs_vbs_setup", from::either},
    {t::vgcs_vbs_setup_ack, "vgcs_vbs_setup_ack", from::either},
    {t::vgcs_vbs_setup_refuse, "vgcs_vbs_setup_refuse", from::either},
    {t::vgcs_vbs_assignment_request, "vgcs_vbs_assignment_request", from::either},
    {t::channel_modify_request, "channel_modify_request", from::either},
    {t::handover_request,
     "handover_request",
     from::msc,
     decoded,
     {iei::channel_type, iei::encryption_information},
     2},  // 3.2.1.8
    {t::handover_required,
     "handover_required",
     from::bss,
     decoded,
     {iei::cause, iei::cell_identifier_list},
     0},  // 3.2.1.9
    {t::handover_request_acknowledge,
     "handover_request_acknowledge",
     from::bss,
     decoded,
     {iei::layer3_information},
     0},                                                                                          // 3.2.1.10
    {t::handover_command, "handover_command", from::msc, decoded, {iei::layer3_information}, 0},  // 3.2.1.11
    {t::handover_complete, "handover_complete", from::bss, decoded, {}, 0},                       // 3.2.1.12
    {t::handover_succeeded, "handover_succeeded", from::msc, decoded, {}, 0},                     // 3.2.1.13
    {t::handover_failure, "handover_failure", from::bss, decoded, {iei::cause}, 0},               // 3.2.1.16
    {t::handover_performed, "handover_performed", from::bss, decoded, {iei::cause}, 1},           // 3.2.1.25
    {t::handover_candidate_enquire, "handover_candidate_enquire", from::either},
    {t::handover_candidate_response, "handover_candidate_response", from::either},
    {t::handover_required_reject, "handover_required_reject", from::msc, decoded, {iei::cause}, 0},  // 3.2.1.37
    {t::handover_detect, "handover_detect", from::bss, decoded, {}, 0},                              // 3.2.1.40
    {t::vgcs_vbs_assignment_result, "vgcs_vbs_assignment_result", from::either},
    {t::vgcs_vbs_assignment_failure, "vgcs_vbs_assignment_failure", from::either},
    {t::vgcs_vbs_queuing_indication, "vgcs_vbs_queuing_indication", from::either},
    {t::uplink_request, "uplink_request", from::either},
    {t::clear_command, "clear_command", from::msc, decoded, {iei::cause}, 0},     // 3.2.1.21
    {t::clear_complete, "clear_complete", from::bss, decoded, {}, 0},             // 3.2.1.22
    {t::clear_request, "clear_request", from::bss, decoded, {iei::cause}, 0},     // 3.2.1.20
    {t::sapi_n_reject, "sapi_n_reject", from::either, decoded, {iei::cause}, 0},  // 3.2.1.34
    {t::confusion, "confusion", from::either, decoded, {iei::cause}, 0},          // 3.2.1.45
    {t::uplink_request_acknowledge, "uplink_request_acknowledge", from::either},
    {t::suspend, "suspend", from::either},
    {t::resume, "resume", from::either},
    {t::connection_oriented_information, "connection_oriented_information", from::either},
    {t::perform_location_request, "perform_location_request", from::either},
    {t::lsa_information, "lsa_information", from::either},
    {t::perform_location_response, "perform_location_response", from::either},
    {t::perform_location_abort, "perform_location_abort", from::either},
    {t::common_id, "common_id", from::msc, decoded, {iei::imsi}, 0},            // 3.2.1.68
    {t::reset, "reset", from::either, decoded, {iei::cause}, 0},                // 3.2.1.23
    {t::reset_acknowledge, "reset_acknowledge", from::either, decoded, {}, 0},  // 3.2.1.24
    {t::overload, "overload", from::either},
    {t::reset_circuit, "reset_circuit", from::either},
    {t::reset_circuit_acknowledge, "reset_circuit_acknowledge", from::either},
    {t::msc_invoke_trace, "msc_invoke_trace", from::either},
    {t::bss_invoke_trace, "bss_invoke_trace", from::either},
    {t::connectionless_information, "connectionless_information", from::either},
    {t::reset_ip_resource, "reset_ip_resource", from::either},
    {t::reset_ip_resource_acknowledge, "reset_ip_resource_acknowledge", from::either},
    {t::block, "block", from::either},
    {t::blocking_acknowledge, "blocking_acknowledge", from::either},
    {t::unblock, "unblock", from::either},
    {t::unblocking_acknowledge, "unblocking_acknowledge", from::either},
    {t::circuit_group_block, "circuit_group_block", from::either},
    {t::circuit_group_blocking_acknowledge, "circuit_group_blocking_acknowledge", from::either},
    {t::circuit_group_unblock, "circuit_group_unblock", from::either},
    {t::circuit_group_unblocking_acknowledge, "circuit_group_unblocking_acknowledge", from::either},
    {t::unequipped_circuit, "unequipped_circuit", from::either},
    {t::uplink_request_confirmation, "uplink_request_confirmation", from::either},
    {t::uplink_release_indication, "uplink_release_indication", from::either},
    {t::uplink_reject_command, "uplink_reject_command", from::either},
    {t::uplink_release_command, "uplink_release_command", from::either},
    {t::uplink_seized_command, "uplink_seized_command", from::either},
    {t::change_circuit, "change_circuit", from::either},
    {t::change_circuit_acknowledge, "change_circuit_acknowledge", from::either},
    {t::resource_request, "resource_request", from::either},
    {t::resource_indication, "resource_indication", from::either},
    {t::paging, "paging", from::msc, decoded, {iei::imsi, iei::cell_identifier_list}, 0},                   // 3.2.1.19
    {t::cipher_mode_command, "cipher_mode_command", from::msc, decoded, {iei::encryption_information}, 0},  // 3.2.1.30
    {t::classmark_update, "classmark_update", from::bss, decoded, {iei::classmark2}, 0},                    // 3.2.1.29
    {t::cipher_mode_complete, "cipher_mode_complete", from::bss, decoded, {}, 0},                           // 3.2.1.31
    {t::queuing_indication, "queuing_indication", from::either},
    {t::complete_layer3_information,
     "complete_layer3_information",
     from::bss,
     decoded,
     {iei::layer3_information},
     1},                                                                                 // 3.2.1.32
    {t::classmark_request, "classmark_request", from::msc, decoded, {}, 0},              // 3.2.1.46
    {t::cipher_mode_reject, "cipher_mode_reject", from::bss, decoded, {iei::cause}, 0},  // 3.2.1.48
    {t::load_indication, "load_indication", from::either},
    {t::vgcs_additional_information, "vgcs_additional_information", from::either},
    {t::vgcs_sms, "vgcs_sms", from::either},
    {t::notification_data, "notification_data", from::either},
    {t::uplink_application_data, "uplink_application_data", from::either},
    {t::internal_handover_required, "internal_handover_required", from::either},
    {t::internal_handover_required_reject, "internal_handover_required_reject", from::either},
    {t::internal_handover_command, "internal_handover_command", from::either},
    {t::internal_handover_enquiry, "internal_handover_enquiry", from::either},
    {t::lcls_connect_control, "lcls_connect_control", from::either},
    {t::lcls_connect_control_acknowledge, "lcls_connect_control_acknowledge", from::either},
    {t::lcls_notification, "lcls_notification", from::either},
    {t::reroute_command, "reroute_command", from::either},
    {t::reroute_complete, "reroute_complete", from::either},
};

// The type octet to its row, by direct index (1-based, 0 = not a 3.2.2.1 type): the lookup runs
// for every BSSMAP message, and a scan of the ~90 rows was a visible share of decoding.
constexpr std::array<std::uint8_t, 256> make_row_index() {
  static_assert(std::size(message_rows) < 255);
  std::array<std::uint8_t, 256> index{};
  for (std::size_t i = 0; i < std::size(message_rows); ++i) {
    if (message_rows[i].name.empty()) throw "a message row without a name";  // not a constant: fails the build
    index[static_cast<std::uint8_t>(message_rows[i].type)] = static_cast<std::uint8_t>(i + 1);
  }
  return index;
}
constexpr std::array<std::uint8_t, 256> row_index = make_row_index();

constexpr const message_row* find_row(bssmap_msg_type type) noexcept {
  const std::uint8_t i = row_index[static_cast<std::uint8_t>(type)];
  return i == 0 ? nullptr : &message_rows[i - 1];
}
static_assert(find_row(t::handover_request)->cell_identifiers == 2 && find_row(t::paging)->sender == from::msc &&
              find_row(t::reset)->sender == from::either && find_row(static_cast<t>(0x00)) == nullptr);

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
  return find_row(type) != nullptr;
}

std::string_view to_string(bssmap_msg_type type) noexcept {
  const message_row* row = find_row(type);
  return row == nullptr ? std::string_view{"unknown"} : row->name;
}

link_direction direction_of(bssmap_msg_type type, link_direction given) noexcept {
  const message_row* row = find_row(type);
  if (row == nullptr || row->sender == from::either) return given;
  return row->sender == from::bss ? link_direction::uplink : link_direction::downlink;
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

// --- one row per IE (TS 48.008 3.2.2; table 3.2.2.1 gives the IEIs): its format and, for the
// IEs the probe keeps, where it is stored. First occurrence wins, except the Cell Identifier of a
// Handover Request, whose second occurrence is Cell Identifier (Target) (3.2.1.8). ---

decode_error store_cause(bytes v, bssmap_message& m, std::uint8_t&) noexcept {
  if (m.has_cause) return decode_error::none;
  m.has_cause = true;
  return decode_cause(v, m.cause);
}

decode_error store_cell_identifier(bytes v, bssmap_message& m, std::uint8_t& cell_ids) noexcept {
  ++cell_ids;
  const bool target = cell_ids == 2 && m.type == bssmap_msg_type::handover_request;
  if (cell_ids > 1 && !target) return decode_error::none;
  const auto cell = decode_cell_identifier(v);
  if (!cell) return cell.error();
  (target ? m.target_cell : m.cell) = *cell;
  (target ? m.has_target_cell : m.has_cell) = true;
  return decode_error::none;
}

decode_error store_cell_identifier_list(bytes v, bssmap_message& m, std::uint8_t&) noexcept {
  if (m.has_cell_list) return decode_error::none;
  const auto list = decode_cell_identifier_list(v);
  if (!list) return list.error();
  m.cell_list = *list;
  m.cell_list_value = v;
  m.has_cell_list = true;
  return decode_error::none;
}

// A Mobile Identity IE: the IMSI IE (3.2.2.6) must hold an IMSI; the IMEI IE (IEI 0x68) any form.
template <mobile_identity bssmap_message::*value, bool bssmap_message::*present, bool imsi_only>
decode_error store_identity(bytes v, bssmap_message& m, std::uint8_t&) noexcept {
  if (m.*present) return decode_error::none;
  const auto id = decode_mobile_identity(v);
  if (!id) return id.error();
  if (imsi_only && id->type != identity_type::imsi) return decode_error::bad_value;
  m.*value = *id;
  m.*present = true;
  return decode_error::none;
}

decode_error store_tmsi(bytes v, bssmap_message& m, std::uint8_t&) noexcept {
  if (m.has_tmsi) return decode_error::none;
  if (v.size() != 4) return decode_error::bad_length;  // 3.2.2.7: the TMSI, 4 octets
  m.tmsi = std::uint32_t{u8_at(v, 0)} << 24 | std::uint32_t{u8_at(v, 1)} << 16 | std::uint32_t{u8_at(v, 2)} << 8 |
           std::uint32_t{u8_at(v, 3)};
  m.has_tmsi = true;
  return decode_error::none;
}

decode_error store_cic(bytes v, bssmap_message& m, std::uint8_t&) noexcept {
  if (!m.has_cic) m.cic = static_cast<std::uint16_t>(u8_at(v, 0) << 8 | u8_at(v, 1));
  m.has_cic = true;
  return decode_error::none;
}

// An IE kept as its octets; `non_empty`: an empty value is a bad length (the layer 3 IEs).
template <bytes bssmap_message::*value, bool bssmap_message::*present, bool non_empty = false>
decode_error store_octets(bytes v, bssmap_message& m, std::uint8_t&) noexcept {
  if (m.*present) return decode_error::none;
  if (non_empty && v.empty()) return decode_error::bad_length;
  m.*value = v;
  m.*present = true;
  return decode_error::none;
}

// A one-octet TV IE kept as its value.
template <std::uint8_t bssmap_message::*value, bool bssmap_message::*present>
decode_error store_octet(bytes v, bssmap_message& m, std::uint8_t&) noexcept {
  if (!(m.*present)) m.*value = u8_at(v, 0);
  m.*present = true;
  return decode_error::none;
}

// T: type only; TV: type + fixed value of `size` octets; TLV: type + 1-octet length + value.
enum class ie_format : std::uint8_t { tlv = 0, t, tv };
using ie_store = decode_error (*)(bytes value, bssmap_message& m, std::uint8_t& cell_ids) noexcept;
struct ie_row {
  ie_format format = ie_format::tlv;
  std::uint8_t size = 0;     // value octets for tv
  ie_store store = nullptr;  // null: skipped
  bool stored = false;       // store is set (a constant the build can check; see below)
};

// Every IEI not given a format here is TLV (the format of all recent BSSMAP IEs).
constexpr std::array<ie_row, 256> make_ie_rows() {
  std::array<ie_row, 256> t{};
  auto tv = [&t](std::uint8_t iei, std::uint8_t size) { t[iei].format = ie_format::tv, t[iei].size = size; };
  auto t_only = [&t](std::uint8_t iei) { t[iei].format = ie_format::t; };
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
  using m = bssmap_message;
  auto keep = [&t](std::uint8_t iei, ie_store store) { t[iei].store = store, t[iei].stored = true; };
  keep(iei::cause, store_cause);
  keep(iei::cell_identifier, store_cell_identifier);
  keep(iei::cell_identifier_list, store_cell_identifier_list);
  keep(iei::imsi, store_identity<&m::imsi, &m::has_imsi, true>);
  keep(iei::tmsi, store_tmsi);
  keep(iei::imei, store_identity<&m::imei, &m::has_imei, false>);
  keep(iei::cic, store_cic);
  keep(iei::layer3_information, store_octets<&m::layer3_information, &m::has_layer3_information, true>);
  keep(iei::layer3_message_contents, store_octets<&m::layer3_message_contents, &m::has_layer3_message_contents, true>);
  keep(iei::classmark2, store_octets<&m::classmark2, &m::has_classmark2>);
  keep(iei::classmark3, store_octets<&m::classmark3, &m::has_classmark3>);
  keep(iei::encryption_information, store_octets<&m::encryption_information, &m::has_encryption_information>);
  keep(iei::channel_type, store_octets<&m::channel_type, &m::has_channel_type>);
  keep(iei::chosen_encryption_algorithm,
       store_octet<&m::chosen_encryption_algorithm, &m::has_chosen_encryption_algorithm>);
  keep(iei::rr_cause, store_octet<&m::rr_cause, &m::has_rr_cause>);
  keep(iei::chosen_channel, store_octet<&m::chosen_channel, &m::has_chosen_channel>);
  return t;
}
constexpr std::array<ie_row, 256> ie_rows = make_ie_rows();

// Every mandatory IE of every row is one the decoder stores (else its presence is never known).
constexpr bool mandatory_ies_are_stored() {
  for (const message_row& row : message_rows)
    for (const std::uint8_t iei : row.mandatory)
      if (iei != 0 && !ie_rows[iei].stored) return false;
  return true;
}
static_assert(mandatory_ies_are_stored());

decode_error decode_message(bytes message, bssmap_message& m) noexcept {
  byte_cursor c(message);
  std::uint8_t type = 0;
  if (!c.u8(type)) return decode_error::unsupported;
  m.type = static_cast<bssmap_msg_type>(type);
  const message_row* row = find_row(m.type);
  m.known_type = row != nullptr;
  m.decoded_ies = row != nullptr && row->decode_ies;
  if (!m.decoded_ies) return decode_error::none;  // recognised by type only

  std::uint8_t cell_ids = 0;
  std::array<std::uint64_t, 4> seen{};  // IEIs present (for the mandatory check)
  while (!c.empty()) {
    std::uint8_t tag = 0;
    if (!c.u8(tag)) return decode_error::truncated;
    const ie_row& ie = ie_rows[tag];
    bytes value;
    if (ie.format == ie_format::t) continue;
    if (ie.format == ie_format::tv) {
      if (!c.take(ie.size, value)) return decode_error::truncated;
    } else {
      std::uint8_t length = 0;
      if (!c.u8(length)) return decode_error::truncated;
      if (!c.take(length, value)) return decode_error::bad_length;
    }
    seen[tag >> 6] |= std::uint64_t{1} << (tag & 63);
    if (ie.store == nullptr) continue;
    const decode_error e = ie.store(value, m, cell_ids);
    if (e != decode_error::none) return e;
  }

  for (const std::uint8_t tag : row->mandatory)
    if (tag != 0 && (seen[tag >> 6] >> (tag & 63) & 1) == 0) return decode_error::missing_ie;
  if (row->cell_identifiers >= 1 && !m.has_cell) return decode_error::missing_ie;
  if (row->cell_identifiers >= 2 && !m.has_target_cell) return decode_error::missing_ie;
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
