// DTAP SS (TS 24.080): Register / Facility / Release Complete and USSD strings.
// Provenance: [osmo-msc] osmocom/osmo-msc tests/msc_vlr/msc_vlr_test_ss.c (FACILITY_IE_REQ "*#100#",
// FACILITY_IE_RSP); [built] by hand, checked with tshark 4.0.17 (gsm_map.ussd_string).
#include <catch2/catch.hpp>

#include "bssap/decoders/dtap.hpp"
#include "dtap_support.hpp"

using namespace bssap::dec;
using bssap::test::dtap;
using bssap::test::hex;

TEST_CASE("SS Register with processUnstructuredSS-Request *#100# (osmo-msc)", "[upper]") {
  const auto m = dtap("0b7b1c15a11302010102013b300b04010f0406aa510c061b017f0100", link_direction::uplink);
  REQUIRE(m.ok());
  CHECK(m->pd == protocol_discriminator::ss);
  CHECK(m->message_type == static_cast<std::uint8_t>(ss_msg::register_));  // 0x7b: N(SD) masked
  CHECK(m->ti_value == 0);
  CHECK(m->ss.component == ss_component::invoke);
  CHECK(m->ss.invoke_id == 1);
  CHECK(m->ss.opcode == ss_opcode::process_unstructured_ss_request);
  REQUIRE(m->ss.has_ussd);
  CHECK(m->ss.ussd_dcs == 0x0f);
  CHECK(m->ss.ussd_text_decoded);
  CHECK(m->ss.ussd_text == "*#100#");
}

TEST_CASE("SS Facility and Release Complete with a ReturnResult USSD string (osmo-msc)", "[upper]") {
  // tshark: "Your extension is 46071\r\r": 25 septets in 22 octets (1 spare bit), so the final CR
  // is a character, not the 6.1.2.3.1 padding (that needs 8n-1 septets and 7 spare bits): kept.
  const auto f = dtap("8b3a27a225020101302002013b301b04010f0416d9775d0e2ae3e965f73cfd7683d27310cd06bbc51a0d");
  REQUIRE(f.ok());
  CHECK(f->message_type == static_cast<std::uint8_t>(ss_msg::facility));
  CHECK(f->ti_flag);
  CHECK(f->ss.component == ss_component::return_result);
  CHECK(f->ss.opcode == ss_opcode::process_unstructured_ss_request);
  CHECK(f->ss.ussd_text == "Your extension is 46071\r\r");
  const auto rc = dtap("8b2a1c27a225020101302002013b301b04010f0416d9775d0e2ae3e965f73cfd7683d27310cd06bbc51a0d");
  REQUIRE(rc.ok());
  CHECK(rc->message_type == static_cast<std::uint8_t>(ss_msg::release_complete));
  CHECK(rc->ss.ussd_text == "Your extension is 46071\r\r");
  // Release Complete without anything.
  const auto bare = dtap("0b2a");
  REQUIRE(bare.ok());
  CHECK(bare->ss.component == ss_component::none);
}

TEST_CASE("USSD data coding: 7-bit CR padding, UCS-2, 8-bit [built]", "[upper]") {
  // 7 characters in 7 octets: the 8th septet is the CR filler (tshark keeps it: "0123456\r").
  const auto pad = dtap("0b3b1c16a11402010102013b300c04010f0407b0986c46abd91a");
  REQUIRE(pad.ok());
  CHECK(pad->ss.ussd_text == "0123456");
  // DCS 0x48: general data coding, UCS-2 (tshark: "*1# ").
  const auto ucs2 = dtap("0b3b1c17a11502010102013b300d0401480408002a003100230020");
  REQUIRE(ucs2.ok());
  CHECK(ucs2->ss.ussd_text_decoded);
  CHECK(ucs2->ss.ussd_text == "*1# ");
  // DCS 0x44: 8-bit data: recognised, not decoded as text.
  const auto data8 = dtap("0b3b1c11a10f02010102013b3007040144 0402 0102");
  REQUIRE(data8.ok());
  CHECK(data8->ss.has_ussd);
  CHECK_FALSE(data8->ss.ussd_text_decoded);
  // Direct: a UCS-2 string with a character outside the BMP (surrogate pair) -> 4 UTF-8 octets.
  ss_info info;
  const auto smile = hex("d83dde00");
  CHECK(decode_ussd_string(0x48, {smile.data(), smile.size()}, info) == decode_error::none);
  CHECK(info.ussd_text == "\xF0\x9F\x98\x80");
}

TEST_CASE("DTAP SS malformed: each defect gives its exact error", "[upper]") {
  decode_stats s;
  // Register without a Facility IE.
  CHECK(dtap("0b3b7f0100", link_direction::unknown, &s).error() == decode_error::missing_ie);
  // A component tag that is not a component.
  CHECK(dtap("0b3b1c03300100", link_direction::unknown, &s).error() == decode_error::bad_value);
  // A component whose BER length runs past the IE.
  CHECK(dtap("0b3b1c04a1090201", link_direction::unknown, &s).error() == decode_error::bad_length);
  // Invoke without an opcode.
  CHECK(dtap("0b3b1c05a103020101", link_direction::unknown, &s).error() == decode_error::bad_length);
  // ussd-DataCodingScheme of 2 octets.
  CHECK(dtap("0b3b1c15a11302010102013b300b04020f0f0405aa510c061b", link_direction::unknown, &s).error() ==
        decode_error::bad_length);
  // Facility message whose mandatory LV runs past the PDU.
  CHECK(dtap("8b3a27a225", link_direction::unknown, &s).error() == decode_error::bad_length);
  CHECK(s.get(layer::dtap, decode_error::missing_ie) == 1);
  CHECK(s.get(layer::dtap, decode_error::bad_value) == 1);
  CHECK(s.get(layer::dtap, decode_error::bad_length) == 4);
}
