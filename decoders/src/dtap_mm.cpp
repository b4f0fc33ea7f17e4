// MM (mobility management) messages. References: 3GPP TS 24.008 9.2 (message contents, cited
// per message below), 10.5.3.3 (CM service type), 10.5.3.4 (identity type), 10.5.3.5 (location
// updating type), 10.5.3.6 (reject cause), 10.5.1.2 (CKSN), 10.5.1.3 (LAI), 10.5.1.4 (mobile
// identity).
#include "dtap_detail.hpp"

namespace bssap::dec::dtap_detail {

namespace {

decode_error take_lai(byte_cursor& c, dtap_message& m) noexcept {
  bytes v;
  if (!c.take(5, v)) return decode_error::truncated;
  const auto lai = decode_lai(v);
  if (!lai) return lai.error();
  m.has_lai = true;
  m.lai = *lai;
  return decode_error::none;
}

decode_error store_identity(bytes v, dtap_message& m) noexcept {
  if (m.has_identity) return decode_error::none;  // first occurrence wins (24.008 8.6.3)
  const auto id = decode_mobile_identity(v);
  if (!id) return id.error();
  m.has_identity = true;
  m.identity = *id;
  return decode_error::none;
}

decode_error take_identity_lv(byte_cursor& c, dtap_message& m) noexcept {
  bytes v;
  if (const decode_error e = take_lv(c, v); e != decode_error::none) return e;
  if (v.empty()) return decode_error::bad_length;  // 10.5.1.4: at least octet 3
  return store_identity(v, m);
}

decode_error take_reject_cause(byte_cursor& c, dtap_message& m) noexcept {
  if (!c.u8(m.reject_cause)) return decode_error::truncated;
  m.has_reject_cause = true;
  return decode_error::none;
}

// Skips an LV element (e.g. MS classmark 2) after checking it is there.
decode_error skip_lv(byte_cursor& c) noexcept {
  bytes v;
  return take_lv(c, v);
}

// The optional part of the messages below only ever needs the Mobile identity (IEI 0x17);
// everything else is skipped by the generic rules.
decode_error optional_part(byte_cursor& c, dtap_message& m, std::initializer_list<tv_ie> tv = {}) noexcept {
  return for_each_ie(c, tv, [&m](std::uint8_t iei, bytes v) noexcept {
    if (iei == 0x17) {
      if (v.empty()) return decode_error::bad_length;
      return store_identity(v, m);
    }
    return decode_error::none;
  });
}

}  // namespace

decode_error decode_mm(byte_cursor& c, dtap_message& m) noexcept {
  using d = link_direction;
  m.known_type = true;
  std::uint8_t octet = 0;
  switch (static_cast<mm_msg>(m.message_type)) {
    case mm_msg::location_updating_request: {  // 9.2.15
      m.direction = d::uplink;
      // Octet: CKSN (bits 7-5) | LU type (bit 4 follow-on request, bits 2-1 type).
      if (!c.u8(octet)) return decode_error::truncated;
      m.has_lu_type = true;
      m.lu = static_cast<lu_type>(octet & 0x03);
      m.follow_on_request = (octet & 0x08) != 0;
      m.has_cksn = true;
      m.cksn = octet >> 4 & 0x07;
      if (const decode_error e = take_lai(c, m); e != decode_error::none) return e;
      if (!c.u8(m.classmark1)) return decode_error::truncated;  // MS classmark 1 (10.5.1.5)
      m.has_classmark1 = true;
      if (const decode_error e = take_identity_lv(c, m); e != decode_error::none) return e;
      return optional_part(c, m);
    }
    case mm_msg::location_updating_accept:  // 9.2.13
      m.direction = d::downlink;
      if (const decode_error e = take_lai(c, m); e != decode_error::none) return e;
      return optional_part(c, m);           // 0x17 Mobile identity: the new TMSI (or IMSI)
    case mm_msg::location_updating_reject:  // 9.2.14
      m.direction = d::downlink;
      return take_reject_cause(c, m);
    case mm_msg::imsi_detach_indication:  // 9.2.12
      m.direction = d::uplink;
      if (!c.u8(m.classmark1)) return decode_error::truncated;
      m.has_classmark1 = true;
      return take_identity_lv(c, m);
    case mm_msg::cm_service_request: {  // 9.2.9
      m.direction = d::uplink;
      // Octet: CKSN (bits 7-5) | CM service type (bits 4-1).
      if (!c.u8(octet)) return decode_error::truncated;
      m.has_cm_service_type = true;
      m.cm_service = static_cast<cm_service_type>(octet & 0x0F);
      m.has_cksn = true;
      m.cksn = octet >> 4 & 0x07;
      if (const decode_error e = skip_lv(c); e != decode_error::none) return e;  // MS classmark 2
      if (const decode_error e = take_identity_lv(c, m); e != decode_error::none) return e;
      return optional_part(c, m);
    }
    case mm_msg::cm_reestablishment_request:  // 9.2.4
      m.direction = d::uplink;
      if (!c.u8(octet)) return decode_error::truncated;
      m.has_cksn = true;
      m.cksn = octet & 0x07;
      if (const decode_error e = skip_lv(c); e != decode_error::none) return e;
      if (const decode_error e = take_identity_lv(c, m); e != decode_error::none) return e;
      return for_each_ie(c, {{0x13, 5}}, [&m](std::uint8_t iei, bytes v) noexcept {
        if (iei == 0x13 && !m.has_lai) {  // LAI, TV
          const auto lai = decode_lai(v);
          if (!lai) return lai.error();
          m.has_lai = true;
          m.lai = *lai;
        }
        return decode_error::none;
      });
    case mm_msg::cm_service_accept:  // 9.2.5
      m.direction = d::downlink;
      return decode_error::none;
    case mm_msg::cm_service_reject:  // 9.2.6
    case mm_msg::abort:              // 9.2.8
      m.direction = d::downlink;
      return take_reject_cause(c, m);
    case mm_msg::mm_status:  // 9.2.16, both directions
      return take_reject_cause(c, m);
    case mm_msg::identity_request:  // 9.2.10: identity type (bits 3-1) + spare half octet
      m.direction = d::downlink;
      if (!c.u8(octet)) return decode_error::truncated;
      m.has_requested_identity = true;
      m.requested_identity = static_cast<identity_type>(octet & 0x07);
      return decode_error::none;
    case mm_msg::identity_response:  // 9.2.11
      m.direction = d::uplink;
      if (const decode_error e = take_identity_lv(c, m); e != decode_error::none) return e;
      return optional_part(c, m);
    case mm_msg::tmsi_reallocation_command:  // 9.2.17
      m.direction = d::downlink;
      if (const decode_error e = take_lai(c, m); e != decode_error::none) return e;
      return take_identity_lv(c, m);
    case mm_msg::tmsi_reallocation_complete:  // 9.2.18
      m.direction = d::uplink;
      return decode_error::none;
    case mm_msg::authentication_request:  // 9.2.2: CKSN + spare, RAND (16)
      m.direction = d::downlink;
      if (!c.u8(octet)) return decode_error::truncated;
      m.has_cksn = true;
      m.cksn = octet & 0x07;
      if (!c.skip(16)) return decode_error::truncated;
      return optional_part(c, m);
    case mm_msg::authentication_response:  // 9.2.3: SRES (4)
      m.direction = d::uplink;
      if (!c.skip(4)) return decode_error::truncated;
      return optional_part(c, m);
    case mm_msg::authentication_failure:  // 9.2.3a
      m.direction = d::uplink;
      return take_reject_cause(c, m);
    case mm_msg::mm_information:  // 9.2.15a: 0x46 local time zone and 0x47 universal time are TV
      m.direction = d::downlink;
      return optional_part(c, m, {{0x46, 1}, {0x47, 7}});
    case mm_msg::authentication_reject:
    case mm_msg::cm_service_prompt:
      m.direction = d::downlink;
      return decode_error::none;
    case mm_msg::cm_service_abort:
    case mm_msg::mm_null:
      m.direction = d::uplink;
      return decode_error::none;
  }
  m.known_type = false;
  return decode_error::none;
}

}  // namespace bssap::dec::dtap_detail
