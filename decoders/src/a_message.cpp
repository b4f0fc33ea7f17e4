// The combined A-interface decoder: BSSAP framing, BSSMAP or DTAP, and the layer-3 message that
// a BSSMAP message embeds. References: TS 48.006 9.3; TS 48.008 3.2.1.32 (Complete Layer 3
// Information: Layer 3 Information), 3.2.1.31 (Cipher Mode Complete: Layer 3 Message Contents),
// 3.2.1.10 / 3.2.1.11 (Handover Request Acknowledge / Handover Command: Layer 3 Information).
#include "bssap/decoders/a_message.hpp"

#include <new>

namespace bssap::dec {

namespace {

void summarise(const bssmap_message& b, bssmap_summary& s) noexcept {
  s.type = b.type;
  s.known_type = b.known_type;
  s.has_cause = b.has_cause;
  s.cause = b.cause;
  s.has_cell = b.has_cell;
  s.cell = b.cell;
  s.has_target_cell = b.has_target_cell;
  s.target_cell = b.target_cell;
  s.has_cell_list = b.has_cell_list;
  s.cell_list = b.cell_list;
  s.has_imsi = b.has_imsi;
  s.imsi = b.imsi;
  s.has_tmsi = b.has_tmsi;
  s.tmsi = b.tmsi;
  s.has_imei = b.has_imei;
  s.imei = b.imei;
  s.has_chosen_encryption_algorithm = b.has_chosen_encryption_algorithm;
  s.chosen_encryption_algorithm = b.chosen_encryption_algorithm;
  s.has_rr_cause = b.has_rr_cause;
  s.rr_cause = b.rr_cause;
  s.has_cic = b.has_cic;
  s.cic = b.cic;
}

decode_error decode_into(bytes data, link_direction direction, a_message& out, decode_stats* stats) noexcept {
  // Reset everything but `l3`, in place: decode_dtap_into resets `l3` itself, and the other paths
  // below reset it when they leave no layer 3, so clearing its ~940 octets here too
  // would be done twice for every message. Keep this list in step with a_message's fields.
  out.kind = a_kind::bssmap;
  out.direction = direction;
  out.dlci = 0;
  ::new (&out.bssmap) bssmap_summary{};
  out.has_l3 = false;
  out.l3_error = decode_error::none;
  static_assert(sizeof(a_message) == 1320, "a field was added to a_message: reset it above, then update the size");
  const auto pdu = decode_bssap_pdu(data, stats);
  if (!pdu) {
    ::new (&out.l3) dtap_message{};
    return pdu.error();
  }
  if (pdu->discriminator == bssap_discriminator::dtap) {
    out.kind = a_kind::dtap;
    out.dlci = pdu->dlci;
    const decode_error e = decode_dtap_into(pdu->payload, direction, out.l3, stats);
    if (e != decode_error::none) return e;
    out.has_l3 = true;
    out.direction = out.l3.direction;
    return decode_error::none;
  }
  bssmap_message map;
  const decode_error map_error = decode_bssmap_into(pdu->payload, map, stats);
  if (map_error == decode_error::none) {
    summarise(map, out.bssmap);
    out.direction = direction_of(map.type, direction);
    bytes l3{};
    if (map.has_layer3_information) l3 = map.layer3_information;
    if (map.has_layer3_message_contents) l3 = map.layer3_message_contents;
    out.bssmap.layer3 = l3;
    if (!l3.empty()) {
      const decode_error e = decode_dtap_into(l3, out.direction, out.l3, stats);
      if (e == decode_error::none)
        out.has_l3 = true;
      else
        out.l3_error = e;
    }
  }
  // No layer 3, or a partial one beside l3_error: leave none behind.
  if (!out.has_l3) ::new (&out.l3) dtap_message{};
  return map_error;
}

}  // namespace

decode_error decode_bssap_into(bytes sccp_user_data, link_direction direction, a_message& out,
                               decode_stats* stats) noexcept {
  return decode_into(sccp_user_data, direction, out, stats);
}

result<a_message> decode_bssap(bytes sccp_user_data, link_direction direction, decode_stats* stats) noexcept {
  return result_from<a_message>([&](a_message& m) { return decode_into(sccp_user_data, direction, m, stats); });
}

}  // namespace bssap::dec
