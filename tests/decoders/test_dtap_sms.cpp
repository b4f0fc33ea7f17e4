// DTAP SMS: CP (TS 24.011 7.2), RP (7.3) and TPDU (TS 23.040 9.2).
// Provenance: [real] NAS-PDUs of the osmo-iuh UPP_RANAP capture (frame numbers given), values as
// tshark 4.0.17 shows them; [built] by hand, checked with tshark (gsm_sms.tp-da, gsm_sms.tp-oa,
// gsm_a.rp.msg_type, gsm_sms.sms_text).
#include <catch2/catch.hpp>

#include "bssap/decoders/dtap.hpp"
#include "dtap_support.hpp"

using namespace bssap::dec;
using bssap::test::dtap;
using bssap::test::hex;

TEST_CASE("SMS CP-DATA / RP-DATA network to MS / SMS-DELIVER (real, UPP frame 95)", "[upper]") {
  const auto m = dtap(
      "09014f010107910935921000000043040c9109356904341400004130726150758036d43a1a0dd29d502077393f2f83c4617"
      "91af43ecbcbee76b90d3a97e5e575d9cd2ecb41ecf49c5e9ea741617d984d4e03");
  REQUIRE(m.ok());
  CHECK(m->pd == protocol_discriminator::sms);
  CHECK(m->sms.cp_type == cp_msg::cp_data);
  REQUIRE(m->sms.has_rp);
  CHECK(m->sms.rp_type == rp_mti::data_net_to_ms);
  CHECK(m->direction == link_direction::downlink);
  CHECK(m->sms.rp_message_reference == 1);
  REQUIRE(m->sms.has_rp_originator);
  CHECK(m->sms.rp_originator.digits == "905329010000");
  CHECK_FALSE(m->sms.has_rp_destination);
  CHECK(m->sms.tpdu == tpdu_kind::sms_deliver);
  REQUIRE(m->sms.has_tp_address);
  CHECK(m->sms.tp_address.digits == "905396404341");
  CHECK(m->sms.tp_address.ton == 1);
  CHECK_FALSE(m->sms.tp_address.alphanumeric);
  CHECK(m->sms.tp_dcs == 0);
  CHECK(m->sms.tp_user_data_length == 54);
}

TEST_CASE("SMS CP-ACK, RP-ACK, CP-DATA ack from the real capture", "[upper]") {
  // [real] UPP frames 105 (CP-ACK), 117 (CP-DATA with RP-ACK MS->network, MR 2), 119 (CP-ACK).
  const auto cp_ack = dtap("8904");
  REQUIRE(cp_ack.ok());
  CHECK(cp_ack->sms.cp_type == cp_msg::cp_ack);
  CHECK(cp_ack->ti_flag);
  const auto rp_ack = dtap("8901020201");
  REQUIRE(rp_ack.ok());
  CHECK(rp_ack->sms.rp_type == rp_mti::ack_ms_to_net);
  CHECK(rp_ack->sms.rp_message_reference == 1);
  CHECK(rp_ack->direction == link_direction::uplink);
  // [built] RP-ACK network to MS, MR 7.
  CHECK(dtap("8901020307")->sms.rp_type == rp_mti::ack_net_to_ms);
}

TEST_CASE("SMS-SUBMIT: TP-DA, TP-MR, DCS, VP skipped, UDL [built]", "[upper]") {
  // RP-DATA MS->network MR 1, RP-DA (SC) +447785016005, TPDU SUBMIT VPF relative, MR 10,
  // TP-DA 01234567890 (TON 0 NPI 1), DCS 0, UDL 4 ("Test").
  const auto m = dtap("09011e000100079144775810065012110a0b811032547698f00000ff04d4f29c0e");
  REQUIRE(m.ok());
  CHECK(m->sms.rp_type == rp_mti::data_ms_to_net);
  CHECK(m->direction == link_direction::uplink);
  REQUIRE(m->sms.has_rp_destination);
  CHECK(m->sms.rp_destination.digits == "447785016005");
  CHECK(m->sms.rp_destination.ton == 1);
  CHECK(m->sms.tpdu == tpdu_kind::sms_submit);
  CHECK(m->sms.tp_message_reference == 10);
  CHECK(m->sms.tp_address.digits == "01234567890");
  CHECK(m->sms.tp_address.npi == 1);
  CHECK(m->sms.tp_user_data_length == 4);
}

TEST_CASE("SMS-DELIVER with an alphanumeric TP-OA (TON 5, GSM 7-bit) [built]", "[upper]") {
  const auto m = dtap("890125010507914477581006500019040ed04f78591ea6bfe500005240112143004005e8329bfd06");
  REQUIRE(m.ok());
  CHECK(m->sms.tpdu == tpdu_kind::sms_deliver);
  REQUIRE(m->sms.tp_address.alphanumeric);
  CHECK(m->sms.tp_address.ton == 5);
  CHECK(m->sms.tp_address.text == "Operator");  // tshark gsm_sms.tp-oa
  CHECK(m->sms.tp_address.digits.empty());
  CHECK(m->sms.tp_user_data_length == 5);
}

TEST_CASE("SMS RP-ERROR and CP-ERROR causes [built]", "[upper]") {
  const auto rpe = dtap("0901050407026f00");  // RP-ERROR MS->net, MR 7, cause 111
  REQUIRE(rpe.ok());
  CHECK(rpe->sms.rp_type == rp_mti::error_ms_to_net);
  CHECK(rpe->sms.rp_cause == 111);
  const auto cpe = dtap("091051");
  REQUIRE(cpe.ok());
  CHECK(cpe->sms.cp_type == cp_msg::cp_error);
  CHECK(cpe->sms.cp_cause == 0x51);
}

TEST_CASE("DTAP SMS malformed: each defect gives its exact error", "[upper]") {
  decode_stats s;
  // CP-DATA whose CP-User-Data length runs past the PDU.
  CHECK(dtap("09011e0001", link_direction::unknown, &s).error() == decode_error::bad_length);
  // RP-MTI 7 (reserved).
  CHECK(dtap("0901020701", link_direction::unknown, &s).error() == decode_error::bad_value);
  // SUBMIT whose TP-UDL promises 10 septets with 4 octets of user data.
  CHECK(
      dtap("09011e000100079144775810065012110a0b811032547698f00000ff0ad4f29c0e", link_direction::unknown, &s).error() ==
      decode_error::bad_length);
  // TP-DA length of 21 semi-octets (more than 20).
  CHECK(dtap("09010f0001000791447758100650 05 110a 15 81 10", link_direction::unknown, &s).error() ==
        decode_error::bad_length);
  // SUBMIT cut before TP-PID.
  CHECK(dtap("090112 000100 0791447758100650 06 110a038121f3", link_direction::unknown, &s).error() ==
        decode_error::truncated);
  // CP-ERROR without its cause.
  CHECK(dtap("0910", link_direction::unknown, &s).error() == decode_error::truncated);
  CHECK(s.get(layer::dtap, decode_error::bad_length) == 3);
  CHECK(s.get(layer::dtap, decode_error::bad_value) == 1);
  CHECK(s.get(layer::dtap, decode_error::truncated) == 2);
}
