// Minimal RANAP reader (NAS-PDU of InitialUE-Message / DirectTransfer).
// Vector: osmo-iuh MobileOriginatingCall_AMR capture (../shared/pcaps/real), frame 2, the RANAP
// InitialUE-Message carrying a CM Service Request (tshark 4.0.17: ranap.NAS_PDU =
// 0524010340100008193254760800000081).
#include <catch2/catch.hpp>

#include "bssap/decoders/dtap.hpp"
#include "bssap/decoders/ranap.hpp"
#include "test_support.hpp"

using namespace bssap::dec;
using bssap::test::hex;

namespace {

const auto initial_ue =
    hex("00 13 40 44 00 00 06 00 03 40 01 00 00 0f 40 06 00 62 f1 10 40 01 00 3a 40 08 00 62 f1 10 40 01 81 95"
        " 00 10 40 12 11 05 24 01 03 40 10 00 08 19 32 54 76 08 00 00 00 81 00 4f 40 03 20 06 03 00 56 40 05"
        " 62 f1 10 00 01 00 00");

}  // namespace

TEST_CASE("RANAP InitialUE-Message: the NAS-PDU is the DTAP CM Service Request", "[upper]") {
  const auto r = decode_ranap({initial_ue.data(), initial_ue.size()});
  REQUIRE(r.ok());
  CHECK(r->kind == ranap_pdu_kind::initiating);
  CHECK(r->procedure_code == ranap_procedure::initial_ue_message);
  REQUIRE(r->has_nas_pdu);
  REQUIRE(r->nas_pdu.size() == 17);
  const auto d = decode_dtap(r->nas_pdu, link_direction::uplink);
  REQUIRE(d.ok());
  CHECK(d->identity.digits == "123456780000000");
}

TEST_CASE("RANAP InitialUE-Message: CN domain, LAI and SAI as tshark shows them", "[upper]") {
  // tshark 4.0.17 on the same frame: CN-DomainIndicator cs-domain (0); LAI 261-01 LAC 16385;
  // SAI 261-01 LAC 16385 SAC 33173.
  const auto r = decode_ranap({initial_ue.data(), initial_ue.size()});
  REQUIRE(r.ok());
  REQUIRE(r->has_domain);
  CHECK_FALSE(r->ps_domain);
  REQUIRE(r->has_lai);
  CHECK(r->lai.plmn.mcc == "261");
  CHECK(r->lai.plmn.mnc == "01");
  CHECK(r->lai.lac == 16385);
  REQUIRE(r->has_sai);
  CHECK(r->sai.plmn.mcc == "261");
  CHECK(r->sai.plmn.mnc == "01");
  CHECK(r->sai.lac == 16385);
  CHECK(r->sai.sac == 33173);
  // The same message for the PS domain (UPP_RANAP frame 207 has "00 03 40 01 80").
  auto ps = initial_ue;
  REQUIRE(ps[11] == std::byte{0x00});
  ps[11] = std::byte{0x80};
  const auto p = decode_ranap({ps.data(), ps.size()});
  REQUIRE(p.ok());
  CHECK(p->ps_domain);
  // An SAI whose open type holds 6 octets, not the 8 an SAI needs: truncated, never read past.
  auto cut = hex("00 13 40 0d 00 00 01 00 3a 40 06 00 62 f1 10 40 01");
  decode_stats s;
  CHECK(decode_ranap({cut.data(), cut.size()}, &s).error() == decode_error::truncated);
}

TEST_CASE("RANAP DirectTransfer and other procedures; malformed siblings", "[upper]") {
  // DirectTransfer (20) with one IE: NAS-PDU "0521" (CM Service Accept).
  const auto dt = hex("00 14 40 0a 00 00 01 00 10 40 03 02 05 21");
  const auto r = decode_ranap({dt.data(), dt.size()});
  REQUIRE(r.ok());
  CHECK(r->procedure_code == ranap_procedure::direct_transfer);
  REQUIRE(r->has_nas_pdu);
  CHECK(r->nas_pdu.size() == 2);
  // Iu Release Command (1): no NAS-PDU looked for.
  const auto rel = hex("00 01 00 03 00 00 00");
  const auto rr = decode_ranap({rel.data(), rel.size()});
  REQUIRE(rr.ok());
  CHECK_FALSE(rr->has_nas_pdu);
  decode_stats s;
  const auto cut = hex("00 14 40 0a 00 00 01 00 10 40 03 02 05");  // open type longer than the PDU
  CHECK(decode_ranap({cut.data(), cut.size()}, &s).error() == decode_error::bad_length);
  const auto nas_long = hex("00 14 40 09 00 00 01 00 10 40 02 05 21");  // NAS-PDU length 5 in 1 octet
  CHECK(decode_ranap({nas_long.data(), nas_long.size()}, &s).error() == decode_error::bad_length);
  const auto ext = hex("80 00");
  CHECK(decode_ranap({ext.data(), ext.size()}, &s).error() == decode_error::unsupported);
  CHECK(decode_ranap({}, &s).error() == decode_error::truncated);
}

TEST_CASE("RANAP Paging: IMSI, the temporary identity and its kind, the CN domain", "[upper]") {
  // ../shared/pcaps/real UPP_RANAP frame 491 (tshark: ps-domain, IMSI 286015215017435, p-TMSI
  // c5c97ff6), then the same with the CS domain and a TMSI.
  auto paging =
      hex("00 0e 40 33 00 00 06 00 03 40 01 80 00 17 40 09 50 82 06 51 12 05 71 34 f5 00 40 40 05 40 c5 c9 7f f6"
          " 00 15 40 07 40 82 f6 10 ea ba 01 00 16 40 01 20 00 11 40 01 80");
  auto r = decode_ranap({paging.data(), paging.size()});
  REQUIRE(r.ok());
  CHECK(r->procedure_code == ranap_procedure::paging);
  CHECK(r->ps_domain);
  CHECK(r->imsi == "286015215017435");
  REQUIRE(r->has_temporary_id);
  CHECK(r->temporary_id_is_ptmsi);
  CHECK(r->temporary_id == 0xc5c97ff6u);
  REQUIRE(paging[11] == std::byte{0x80});
  paging[11] = std::byte{0x00};  // cs-domain
  REQUIRE(paging[29] == std::byte{0x40});
  paging[29] = std::byte{0x00};  // tMSI
  r = decode_ranap({paging.data(), paging.size()});
  REQUIRE(r.ok());
  CHECK_FALSE(r->ps_domain);
  CHECK_FALSE(r->temporary_id_is_ptmsi);
  CHECK(r->temporary_id == 0xc5c97ff6u);
}
