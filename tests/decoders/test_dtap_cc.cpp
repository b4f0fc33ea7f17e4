// DTAP CC (TS 24.008 9.3): numbers, causes, transaction identifiers.
// Provenance: [real] NAS-PDUs of the osmo-iuh captures (frame numbers given), values as tshark
// 4.0.17 shows them; [built] by hand, checked with tshark (gsm_a.dtap.cld_party_bcd_num,
// clg_party_bcd_num, gsm_a.dtap.cause, gsm_a.dtap.tie).
#include <catch2/catch.hpp>

#include "bssap/decoders/dtap.hpp"
#include "dtap_support.hpp"

using namespace bssap::dec;
using bssap::test::dtap;
using bssap::test::hex;
using bssap::test::type;

TEST_CASE("CC Setup MS to network: called party BCD number, bearer capability skipped", "[upper]") {
  // [real] MobileOriginatingCall frame 10: called number "5", TI 0 flag 0.
  const auto s = dtap("03450401a05e0281f54007040504040106ff", link_direction::uplink);
  REQUIRE(s.ok());
  CHECK(s->pd == protocol_discriminator::cc);
  CHECK(s->message_type == type(cc_msg::setup));  // 0x45: N(SD) = 1 masked
  CHECK(s->has_ti);
  CHECK(s->ti_value == 0);
  CHECK_FALSE(s->ti_flag);
  REQUIRE(s->has_called);
  CHECK(s->called.digits == "5");
  CHECK(s->called.ton == 0);  // unknown
  CHECK(s->direction == link_direction::uplink);
  // [real] linkbit frame 3: called 13408007927, international (TON 1... 0x81 = unknown/ISDN).
  const auto lb = dtap("03450401a05e07813104087029f7400404026000");
  REQUIRE(lb.ok());
  CHECK(lb->called.digits == "13408007927");
  CHECK(lb->called.npi == 1);
  // [built] international number 1234567890 with N(SD) bits set (0xc5).
  const auto intl = dtap("03c50401a05e06912143658709");
  REQUIRE(intl.ok());
  CHECK(intl->called.ton == 1);
  CHECK(intl->called.digits == "1234567890");
  // [built] * # a b c digits.
  CHECK(dtap("0305 5e04 81 ab dc f0")->called.digits == "#*ab0");  // 10.5.118: a=*, b=#, c=a, d=b
}

TEST_CASE("CC Setup network to MS: calling party BCD number with octet 3a; extended TI", "[upper]") {
  // [built] calling 1234567890, octet 3a = 0x83 (presentation allowed, network provided).
  const auto s = dtap("03050401a05c0701832143658709", link_direction::downlink);
  REQUIRE(s.ok());
  REQUIRE(s->has_calling);
  CHECK(s->calling.has_octet_3a);
  CHECK(s->calling.screening == 3);
  CHECK(s->calling.presentation == 0);
  CHECK(s->calling.digits == "1234567890");
  CHECK_FALSE(s->has_called);
  // [real] MobileTerminatingCall frame 9: Setup without calling number.
  const auto no_cli = dtap("0305");
  REQUIRE(no_cli.ok());
  CHECK_FALSE(no_cli->has_calling);
  // [built] extended TI (value 7 in octet 1 -> octet 2): TI 5 (tshark gsm_a.dtap.tie 5), called "123".
  const auto ext = dtap("7385055e038121f3");
  REQUIRE(ext.ok());
  CHECK(ext->ti_extended);
  CHECK(ext->ti_value == 5);
  CHECK(ext->called.digits == "123");
}

TEST_CASE("CC clearing: Disconnect / Release / Release Complete causes, and the other types", "[upper]") {
  // [real] MOC frame 282: Disconnect cause 16 (normal call clearing), location 0 (user), coding GSM.
  const auto d = dtap("03e502e090");
  REQUIRE(d.ok());
  CHECK(d->message_type == type(cc_msg::disconnect));
  REQUIRE(d->has_cc_cause);
  CHECK(d->cause.value == 16);
  CHECK(d->cause.coding_standard == 3);
  CHECK(d->cause.location == 0);
  // [real] linkbit frame 5: Disconnect from the network (TI flag 1), cause 0x29 = 41.
  const auto d2 = dtap("832502e2a9");
  REQUIRE(d2.ok());
  CHECK(d2->ti_flag);
  CHECK(d2->cause.value == 41);
  CHECK(d2->cause.location == 2);
  // [real] MOC frames 285 / 287: Release and Release Complete without cause.
  const auto rel = dtap("832d");
  REQUIRE(rel.ok());
  CHECK(rel->message_type == type(cc_msg::release));
  CHECK_FALSE(rel->has_cc_cause);
  CHECK(dtap("032a")->message_type == type(cc_msg::release_complete));
  // [built] Release with cause 16.
  CHECK(dtap("832d0802e090")->cause.value == 16);
  // [built] Release Complete with octet 3a (ext bit of octet 3 = 0): cause 31. tshark 4.0 reads
  // 0 here: it looks at the ext bit of octet 3a itself (KNOWN_DIFFERENCES.md); 24.008 10.5.4.11
  // says octet 3's ext bit announces octet 3a.
  CHECK(dtap("032a080361809f")->cause.value == 31);
  // [real] frames 12, 33, 39, 42: Call Proceeding, Alerting, Connect, Connect Acknowledge.
  CHECK(dtap("8302")->message_type == type(cc_msg::call_proceeding));
  CHECK(dtap("8302")->direction == link_direction::downlink);
  CHECK(dtap("8301")->message_type == type(cc_msg::alerting));
  CHECK(dtap("8307")->message_type == type(cc_msg::connect));
  CHECK(dtap("038f")->message_type == type(cc_msg::connect_acknowledge));
  // [real] MTC frame 11: Call Confirmed.
  CHECK(dtap("83080401a04007040504040106ff")->message_type == type(cc_msg::call_confirmed));
}

TEST_CASE("DTAP CC malformed: each defect gives its exact error", "[upper]") {
  decode_stats s;
  // Disconnect without its mandatory cause; with a cause shorter than 2 octets.
  CHECK(dtap("0325", link_direction::unknown, &s).error() == decode_error::truncated);
  CHECK(dtap("032501e0", link_direction::unknown, &s).error() == decode_error::bad_length);
  // Called party number IE longer than the PDU; longer than 43 octets in all.
  CHECK(dtap("03055e0981f5", link_direction::unknown, &s).error() == decode_error::bad_length);
  CHECK(dtap("03055e2a81"
             "1111111111111111111111111111111111111111111111111111111111111111111111111111111111",
             link_direction::unknown, &s)
            .error() == decode_error::bad_length);
  // Extended TI without the extension bit in octet 2.
  CHECK(dtap("730505", link_direction::unknown, &s).error() == decode_error::bad_value);
  // Signal IE (TV, 0x34) cut.
  CHECK(dtap("030534", link_direction::unknown, &s).error() == decode_error::truncated);
  CHECK(s.get(layer::dtap, decode_error::truncated) == 2);
  CHECK(s.get(layer::dtap, decode_error::bad_length) == 3);
  CHECK(s.get(layer::dtap, decode_error::bad_value) == 1);
}
