// RR (radio resources) messages seen on the A interface: in DTAP (Paging Response, Ciphering
// Mode Complete, Classmark Change...) and inside BSSMAP (Complete Layer 3 Information, Cipher
// Mode Complete's Layer 3 Message Contents, Handover Command).
// References: 3GPP TS 44.018 9.1.25 (Paging Response), 9.1.10 (Ciphering Mode Complete),
// 9.1.11 (Classmark Change), 10.4 (message types), 10.5.1.4 via TS 24.008 (mobile identity).
#include "dtap_detail.hpp"

namespace bssap::dec::dtap_detail {

namespace {

constexpr std::uint8_t iei_mobile_equipment_identity = 0x17;

decode_error store_identity(bytes v, dtap_message& m) noexcept {
  if (m.has_identity) return decode_error::none;
  if (v.empty()) return decode_error::bad_length;
  const auto id = decode_mobile_identity(v);
  if (!id) return id.error();
  m.has_identity = true;
  m.identity = *id;
  return decode_error::none;
}

}  // namespace

decode_error decode_rr(byte_cursor& c, dtap_message& m) noexcept {
  using d = link_direction;
  m.known_type = true;
  switch (static_cast<rr_msg>(m.message_type)) {
    case rr_msg::paging_response: {  // 9.1.25: CKSN + spare half octet, classmark 2 (LV), identity (LV)
      m.direction = d::uplink;
      std::uint8_t octet = 0;
      if (!c.u8(octet)) return decode_error::truncated;
      m.has_cksn = true;
      m.cksn = octet & 0x07;
      bytes v;
      if (const decode_error e = take_lv(c, v); e != decode_error::none) return e;  // MS classmark 2
      if (const decode_error e = take_lv(c, v); e != decode_error::none) return e;
      if (const decode_error e = store_identity(v, m); e != decode_error::none) return e;
      return for_each_ie(c, {}, [](std::uint8_t, bytes) noexcept { return decode_error::none; });
    }
    case rr_msg::ciphering_mode_complete:  // 9.1.10: Mobile Equipment Identity 0x17 TLV (O)
      m.direction = d::uplink;
      return for_each_ie(c, {}, [&m](std::uint8_t iei, bytes v) noexcept {
        return iei == iei_mobile_equipment_identity ? store_identity(v, m) : decode_error::none;
      });
    case rr_msg::classmark_change: {  // 9.1.11: classmark 2 (LV), classmark 3 0x20 (O)
      m.direction = d::uplink;
      bytes v;
      return take_lv(c, v);
    }
    case rr_msg::ciphering_mode_command:
    case rr_msg::classmark_enquiry:
    case rr_msg::channel_release:
    case rr_msg::handover_command:
    case rr_msg::assignment_command:
      m.direction = d::downlink;
      return decode_error::none;
    case rr_msg::handover_complete:
    case rr_msg::handover_failure:
    case rr_msg::assignment_complete:
    case rr_msg::assignment_failure:
    case rr_msg::gprs_suspension_request:
    case rr_msg::utran_classmark_change:
      m.direction = d::uplink;
      return decode_error::none;
    case rr_msg::application_information:
    case rr_msg::rr_status:
      return decode_error::none;
  }
  m.known_type = false;
  return decode_error::none;
}

}  // namespace bssap::dec::dtap_detail
