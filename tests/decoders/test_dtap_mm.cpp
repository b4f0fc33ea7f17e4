// DTAP MM (TS 24.008 9.2) and RR (TS 44.018 9.1) messages.
// Provenance: [real] = NAS-PDUs of the osmo-iuh captures in ../shared/pcaps/real (frame numbers
// given; DTAP identical in BSSAP and RANAP), values as tshark 4.0.17 shows them.
// [built] = built by hand from the spec, wrapped in BSSAP DTAP / SCCP DT1 / MTP3 and checked with
// tshark (e212.imsi, 3gpp.tmsi, gsm_a.imei, gsm_a.lac, e212.mnc, gsm_a.dtap.rej_cause).
#include <catch2/catch.hpp>

#include "bssap/decoders/dtap.hpp"
#include "dtap_support.hpp"

using namespace bssap::dec;
using bssap::test::dtap;
using bssap::test::hex;
using bssap::test::type;

TEST_CASE("MM Location Updating Request: LU type, follow-on, CKSN, old LAI, identity", "[upper]") {
  // [real] UPP_RANAP frame 335: normal LU, IMSI 286015053212238, LAI 286-01 LAC 0xf3e2.
  const auto lu = dtap("05080082f610f3e25708296810053512228333035758a0");
  REQUIRE(lu.ok());
  CHECK(lu->pd == protocol_discriminator::mm);
  CHECK(lu->message_type == type(mm_msg::location_updating_request));
  CHECK(lu->direction == link_direction::uplink);
  CHECK(lu->lu == lu_type::normal);
  CHECK_FALSE(lu->follow_on_request);
  CHECK(lu->lai.plmn.mcc == "286");
  CHECK(lu->lai.plmn.mnc == "01");
  CHECK(lu->lai.lac == 0xf3e2);
  CHECK(lu->classmark1 == 0x57);
  CHECK(lu->identity.type == identity_type::imsi);
  CHECK(lu->identity.digits == "286015053212238");
  // [built] IMSI attach with follow-on request, CKSN 4, LAI 262-02 LAC 0x0017.
  const auto attach = dtap("05084a62f220001733082926100000000010");
  REQUIRE(attach.ok());
  CHECK(attach->lu == lu_type::imsi_attach);
  CHECK(attach->follow_on_request);
  CHECK(attach->cksn == 4);
  CHECK(attach->identity.digits == "262010000000001");
  // [built] periodic update with a 3-digit MNC (tshark: MCC 310 MNC 260 LAC 257) and a TMSI.
  const auto periodic = dtap("05084113006201015705f401020304");
  REQUIRE(periodic.ok());
  CHECK(periodic->lu == lu_type::periodic);
  CHECK(periodic->lai.plmn.mcc == "310");
  CHECK(periodic->lai.plmn.mnc == "260");
  CHECK(periodic->lai.lac == 0x0101);
  CHECK(periodic->identity.type == identity_type::tmsi);
  CHECK(periodic->identity.tmsi == 16909060);
}

TEST_CASE("MM Location Updating Accept / Reject, TMSI Reallocation, IMSI Detach", "[upper]") {
  // [built] LU Accept with the new TMSI 0xdeadbeef (3gpp.tmsi 3735928559).
  const auto acc = dtap("050262f22000171705f4deadbeef");
  REQUIRE(acc.ok());
  CHECK(acc->message_type == type(mm_msg::location_updating_accept));
  CHECK(acc->direction == link_direction::downlink);
  CHECK(acc->lai.lac == 0x0017);
  REQUIRE(acc->has_identity);
  CHECK(acc->identity.tmsi == 0xdeadbeef);
  // [real] UPP_RANAP frame 433: LU Accept, LAC 0xeaba, TMSI 1073753207 (0x40002c77).
  const auto real_acc = dtap("051a82f610eaba05f440002c77");
  REQUIRE(real_acc.ok());
  CHECK(real_acc->message_type == type(mm_msg::tmsi_reallocation_command));
  CHECK(real_acc->lai.lac == 0xeaba);
  CHECK(real_acc->identity.tmsi == 1073753207);
  // [built] LU Reject cause 11 (PLMN not allowed).
  const auto rej = dtap("05040b");
  REQUIRE(rej.ok());
  CHECK(rej->has_reject_cause);
  CHECK(rej->reject_cause == 11);
  // [built] TMSI Reallocation Command (TMSI 0xcafebabe = 3405691582).
  const auto realloc = dtap("051a62f230001705f4cafebabe");
  REQUIRE(realloc.ok());
  CHECK(realloc->identity.tmsi == 0xcafebabe);
  CHECK(realloc->lai.plmn.mnc == "03");
  // [built] IMSI Detach Indication with IMSI and with TMSI.
  const auto det = dtap("050157082926100000000010");
  REQUIRE(det.ok());
  CHECK(det->message_type == type(mm_msg::imsi_detach_indication));
  CHECK(det->identity.digits == "262010000000001");
  CHECK(dtap("05015705f401020304")->identity.tmsi == 0x01020304);
}

TEST_CASE("MM CM Service Request / Accept / Reject, Identity Request / Response, Auth, MM Information", "[upper]") {
  // [real] MobileOriginatingCall frame 2: MO call, IMSI 123456780000000, trailing priority IE.
  const auto moc = dtap("0524010340100008193254760800000081");
  REQUIRE(moc.ok());
  CHECK(moc->cm_service == cm_service_type::mo_call);
  CHECK(moc->identity.digits == "123456780000000");
  // [real] linkbit frame 1: IMSI 460098004807827, CKSN 7.
  const auto lb = dtap("05247103000000084906900840088772");
  REQUIRE(lb.ok());
  CHECK(lb->identity.digits == "460098004807827");
  CHECK(lb->cksn == 7);
  // [built] SMS and SS service types.
  CHECK(dtap("05241403575886082926100000000010")->cm_service == cm_service_type::sms);
  CHECK(dtap("0524080357588605f412345678")->cm_service == cm_service_type::ss_activation);
  // [real] frame 8: CM Service Accept; [built] CM Service Reject cause 17.
  CHECK(dtap("0521")->message_type == type(mm_msg::cm_service_accept));
  CHECK(dtap("052211")->reject_cause == 17);
  // [real] UPP frame 85: Identity Request for IMSI... type 3 = IMEISV.
  const auto idreq = dtap("051803");
  REQUIRE(idreq.ok());
  CHECK(idreq->requested_identity == identity_type::imeisv);
  // [real] UPP frame 93: Identity Response IMEISV 3597020517987201.
  const auto imeisv = dtap("0559093395070215977802f1");
  REQUIRE(imeisv.ok());
  CHECK(imeisv->identity.type == identity_type::imeisv);
  CHECK(imeisv->identity.digits == "3597020517987201");
  // [real] UPP frame 561: Identity Response IMSI 286015757200819.
  CHECK(dtap("0559082968107575028091")->identity.digits == "286015757200819");
  // [built] Identity Response IMEI 353495061234561 (gsm_a.imei).
  const auto imei = dtap("0559083a35940516325416");
  REQUIRE(imei.ok());
  CHECK(imei->identity.type == identity_type::imei);
  CHECK(imei->identity.digits == "353495061234561");
  // [real] UPP frames 47 / 69: Authentication Request / Response; frame 377 MM Null with N(SD).
  CHECK(dtap("051202dfd34010339fc67100030ea8dc599f52")->message_type == type(mm_msg::authentication_request));
  CHECK(dtap("05148db707f6")->message_type == type(mm_msg::authentication_response));
  CHECK(dtap("05945df6f289")->message_type == type(mm_msg::authentication_response));  // N(SD) = 2
  // [real] UPP frame 465 (first PDU): MM Information with time zone TV IEs.
  CHECK(dtap("0532430880d4aa74392c32994741307241603180490100")->known_type);
  CHECK(dtap("0532430880d4aa74392c32994741307261600018490100")->known_type);
  // Unknown MM type: decoded, flagged.
  const auto unknown = dtap("053f");
  REQUIRE(unknown.ok());
  CHECK_FALSE(unknown->known_type);
}

TEST_CASE("RR Paging Response, Ciphering Mode Complete, Classmark Change", "[upper]") {
  // [real] UPP frame 43: Paging Response with TMSI 805317247 (0x30002a7f).
  const auto pr = dtap("0627010357589205f430002a7f");
  REQUIRE(pr.ok());
  CHECK(pr->pd == protocol_discriminator::rr);
  CHECK(pr->message_type == static_cast<std::uint8_t>(rr_msg::paging_response));
  CHECK(pr->identity.tmsi == 805317247);
  // [real] MobileTerminatingCall frame 5: Paging Response with IMSI 123456780020000.
  CHECK(dtap("06270003401000081932547608200000")->identity.digits == "123456780020000");
  // [built] Ciphering Mode Complete without identity; Classmark Change.
  const auto cmc = dtap("0632");
  REQUIRE(cmc.ok());
  CHECK_FALSE(cmc->has_identity);
  CHECK(dtap("061603575886")->message_type == static_cast<std::uint8_t>(rr_msg::classmark_change));
}

TEST_CASE("DTAP MM/RR malformed: each defect gives its exact error, counted under dtap", "[upper]") {
  decode_stats s;
  CHECK(dtap("", link_direction::unknown, &s).error() == decode_error::truncated);
  CHECK(dtap("05", link_direction::unknown, &s).error() == decode_error::truncated);
  // LU Request cut inside the LAI; identity LV longer than the PDU.
  CHECK(dtap("05080082f610", link_direction::unknown, &s).error() == decode_error::truncated);
  CHECK(dtap("05080082f610f3e2570929681005351222", link_direction::unknown, &s).error() == decode_error::bad_length);
  // A skip indicator other than 0 (24.007 11.2.3.1.2).
  CHECK(dtap("1518 01", link_direction::unknown, &s).error() == decode_error::bad_value);
  // An IMSI digit above 9; an MCC digit above 9.
  CHECK(dtap("0559 02 29a8", link_direction::unknown, &s).error() == decode_error::bad_value);
  CHECK(dtap("05080082fa10f3e2570829681005351222", link_direction::unknown, &s).error() == decode_error::bad_value);
  // IMSI with 17 digits (bad length), TMSI with 3 octets.
  CHECK(dtap("0559 09 2926100000000010 11", link_direction::unknown, &s).error() == decode_error::bad_length);
  CHECK(dtap("0559 04 f4010203", link_direction::unknown, &s).error() == decode_error::bad_length);
  // A protocol we do not decode (GMM).
  CHECK(dtap("0801", link_direction::unknown, &s).error() == decode_error::unsupported);
  CHECK(s.get(layer::dtap, decode_error::truncated) == 3);
  CHECK(s.get(layer::dtap, decode_error::bad_length) == 3);
  CHECK(s.get(layer::dtap, decode_error::bad_value) == 3);
  CHECK(s.get(layer::dtap, decode_error::unsupported) == 1);
}
