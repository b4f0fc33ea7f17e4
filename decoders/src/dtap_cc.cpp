// CC (call control) messages. References: 3GPP TS 24.008 9.3 (message contents), 10.5.4.7
// (called party BCD number), 10.5.4.9 (calling party BCD number), 10.5.4.11 (cause).
// Format exceptions to the TLV default in CC: Signal (0x34, 10.5.4.23) is TV with one octet.
#include "dtap_detail.hpp"

namespace bssap::dec::dtap_detail {

namespace {

constexpr std::uint8_t iei_cause = 0x08;
constexpr std::uint8_t iei_calling_party = 0x5C;
constexpr std::uint8_t iei_called_party = 0x5E;
constexpr std::uint8_t iei_signal = 0x34;

// Called party BCD number: max 43 octets in all (IEI + length + 41) (10.5.4.7).
constexpr std::size_t max_called_value = 41;
// Calling party BCD number: max 14 octets in all (10.5.4.9).
constexpr std::size_t max_calling_value = 12;

decode_error store_cc_ie(std::uint8_t iei, bytes v, dtap_message& m) noexcept {
  switch (iei) {
    case iei_called_party: {
      if (m.has_called) return decode_error::none;
      if (v.empty() || v.size() > max_called_value) return decode_error::bad_length;
      const auto n = decode_bcd_number(v, false);
      if (!n) return n.error();
      m.has_called = true;
      m.called = *n;
      return decode_error::none;
    }
    case iei_calling_party: {
      if (m.has_calling) return decode_error::none;
      if (v.empty() || v.size() > max_calling_value) return decode_error::bad_length;
      const auto n = decode_bcd_number(v, true);
      if (!n) return n.error();
      m.has_calling = true;
      m.calling = *n;
      return decode_error::none;
    }
    case iei_cause:
      if (m.has_cc_cause) return decode_error::none;  // the first cause; a second one is ignored
      m.has_cc_cause = true;
      return decode_cc_cause(v, m.cause);
    default:
      return decode_error::none;
  }
}

decode_error optional_part(byte_cursor& c, dtap_message& m) noexcept {
  return for_each_ie(c, {{iei_signal, 1}}, [&m](std::uint8_t iei, bytes v) noexcept { return store_cc_ie(iei, v, m); });
}

}  // namespace

decode_error decode_cc(byte_cursor& c, dtap_message& m) noexcept {
  using d = link_direction;
  m.known_type = true;
  switch (static_cast<cc_msg>(m.message_type)) {
    case cc_msg::setup:  // 9.3.23.1 (network to MS) / 9.3.23.2 (MS to network): all TLV / T
      return optional_part(c, m);
    case cc_msg::emergency_setup:  // 9.3.8
      m.direction = d::uplink;
      return optional_part(c, m);
    case cc_msg::disconnect: {  // 9.3.7: Cause, mandatory LV
      bytes v;
      if (const decode_error e = take_lv(c, v); e != decode_error::none) return e;
      m.has_cc_cause = true;
      if (const decode_error e = decode_cc_cause(v, m.cause); e != decode_error::none) return e;
      return optional_part(c, m);
    }
    case cc_msg::release:           // 9.3.18: Cause 0x08 optional (TLV)
    case cc_msg::release_complete:  // 9.3.19
    case cc_msg::alerting:          // 9.3.1
    case cc_msg::call_proceeding:   // 9.3.3
    case cc_msg::connect:           // 9.3.5
    case cc_msg::connect_acknowledge:
    case cc_msg::progress:
    case cc_msg::call_confirmed:
    case cc_msg::facility:
    case cc_msg::notify:
    case cc_msg::status:
    case cc_msg::status_enquiry:
    case cc_msg::hold:
    case cc_msg::hold_acknowledge:
    case cc_msg::hold_reject:
    case cc_msg::retrieve:
    case cc_msg::retrieve_acknowledge:
    case cc_msg::retrieve_reject:
    case cc_msg::start_dtmf:
    case cc_msg::start_dtmf_acknowledge:
    case cc_msg::start_dtmf_reject:
    case cc_msg::stop_dtmf:
    case cc_msg::stop_dtmf_acknowledge:
    case cc_msg::modify:
    case cc_msg::modify_complete:
    case cc_msg::modify_reject:
    case cc_msg::user_information:
    case cc_msg::congestion_control:
    case cc_msg::cc_establishment:
    case cc_msg::cc_establishment_confirmed:
    case cc_msg::start_cc:
    case cc_msg::recall:
      // Only Release / Release Complete carry fields we need (the cause); the others are
      // recognised by type. Their bodies have mandatory V/LV parts we do not walk.
      if (m.message_type == static_cast<std::uint8_t>(cc_msg::release) ||
          m.message_type == static_cast<std::uint8_t>(cc_msg::release_complete))
        return optional_part(c, m);
      if (m.message_type == static_cast<std::uint8_t>(cc_msg::call_proceeding)) m.direction = d::downlink;
      if (m.message_type == static_cast<std::uint8_t>(cc_msg::call_confirmed)) m.direction = d::uplink;
      return decode_error::none;
  }
  m.known_type = false;
  return decode_error::none;
}

}  // namespace bssap::dec::dtap_detail
