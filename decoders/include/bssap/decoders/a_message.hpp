// One A-interface message (the user data of an SCCP message, SSN 254 BSSAP) decoded all the way:
// BSSAP framing, then BSSMAP or DTAP, and for BSSMAP the embedded layer-3 message (Complete
// Layer 3 Information's Layer 3 Information = the initial DTAP message; Cipher Mode Complete's
// Layer 3 Message Contents = RR Ciphering Mode Complete; Handover Command / Handover Request
// Acknowledge's Layer 3 Information = RR Handover Command) decoded as DTAP too.
// The value is self-contained and trivially copyable: no spans or pointers, so the probe may
// queue or hold it after the packet buffer is gone.
// References: TS 48.006 9.3, TS 48.008 3.2, TS 24.008, TS 24.011, TS 23.040, TS 24.080, TS 44.018.
#pragma once

#include <cstdint>
#include <type_traits>

#include "bssap/decoders/bssap.hpp"
#include "bssap/decoders/bssmap.hpp"
#include "bssap/decoders/dtap.hpp"
#include "bssap/decoders/gsm48_ie.hpp"
#include "bssap/decoders/result.hpp"
#include "bssap/decoders/stats.hpp"

namespace bssap::dec {

enum class a_kind : std::uint8_t { bssmap = 0, dtap = 1 };

// The BSSMAP fields the probe needs, copied out of the bssmap_message view.
struct bssmap_summary {
  // User-provided, so that `bssmap_summary{}` initialises member by member instead of clearing the
  // whole object first: fixed_string capacity stays untouched (see fixed_string).
  bssmap_summary() noexcept {}  // NOLINT(modernize-use-equals-default)
  bssmap_msg_type type = bssmap_msg_type::reset;
  bool known_type = false;
  bool has_cause = false;
  bssmap_cause cause;
  // Complete Layer 3 Information: the MS's cell; Handover Performed: the new cell; Handover
  // Request: the serving cell; Assignment Complete / Handover Command: the cell, when sent.
  bool has_cell = false;
  cell_identifier cell;
  bool has_target_cell = false;  // Handover Request: Cell Identifier (Target) = the new cell
  cell_identifier target_cell;
  bool has_cell_list = false;  // Paging, Handover Required
  cell_identifier_list cell_list;
  bool has_imsi = false;  // Paging, Common ID
  mobile_identity imsi;
  bool has_tmsi = false;  // Paging
  std::uint32_t tmsi = 0;
  bool has_imei = false;
  mobile_identity imei;
  bool has_chosen_encryption_algorithm = false;
  std::uint8_t chosen_encryption_algorithm = 0;
  bool has_rr_cause = false;
  std::uint8_t rr_cause = 0;
  bool has_cic = false;
  std::uint16_t cic = 0;
  // The raw Layer 3 Information (or Layer 3 Message Contents) octets, pointing into the input:
  // Handover Request Acknowledge and Handover Command carry the same RR Handover Command,
  // relayed verbatim by the MSC (TS 48.008 3.2.1.10, 3.2.1.11), which ties their connections.
  bytes layer3{};
};

struct a_message {
  a_message() noexcept {}  // NOLINT(modernize-use-equals-default): see bssmap_summary
  a_kind kind = a_kind::bssmap;
  link_direction direction = link_direction::unknown;  // as given, or as the message type implies
  std::uint8_t dlci = 0;                               // DTAP only
  bssmap_summary bssmap;                               // kind == bssmap
  // kind == dtap: the DTAP message. kind == bssmap: the embedded layer-3 message, when the
  // BSSMAP message carried one and it decoded (has_l3). When it did not decode, l3_error says
  // why (also counted under layer::dtap) and the BSSMAP part is still returned.
  bool has_l3 = false;
  decode_error l3_error = decode_error::none;
  dtap_message l3;
};
static_assert(std::is_trivially_copyable_v<a_message>);

// Decodes the SCCP user data of a BSSAP message. Errors are those of decode_bssap_pdu (layer
// bssap), decode_bssmap (layer bssmap) and, for a DTAP message, decode_dtap (layer dtap); each
// counted once in `stats` when given. `a_message` is about 1.3 KiB: decode into a reused object
// where that matters (decode_bssap_into).
result<a_message> decode_bssap(bytes sccp_user_data, link_direction direction, decode_stats* stats = nullptr) noexcept;
// The same, writing into `out` (no large return value); returns the error (none on success).
decode_error decode_bssap_into(bytes sccp_user_data, link_direction direction, a_message& out,
                               decode_stats* stats = nullptr) noexcept;

}  // namespace bssap::dec
