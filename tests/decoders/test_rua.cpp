// RUA (TS 25.468) PDUs decoded as the SCCP messages they stand for. The Connect vector was
// checked with tshark 4.0.17 (text2pcap -S 29169,29169,19): id-Connect, Context-ID 123456, a
// RANAP InitialUE-Message carrying the CM Service Request of IMSI 123456780000000.
#include <catch2/catch.hpp>

#include "bssap/decoders/ranap.hpp"
#include "bssap/decoders/rua.hpp"
#include "test_support.hpp"

using namespace bssap::dec;
using bssap::test::hex;

TEST_CASE("RUA Connect: a CR whose source reference is the Context-ID, RANAP as its data", "[rua]") {
  const auto connect = hex(
      "00 01 00 5e 00 00 03 00 07 00 01 00 00 03 00 03 12 34 56 00 04 00 4b 4a 00 13 40 44 00 00 06 00 03 40 01 00 00"
      " 0f 40 06 00 62 f1 10 40 01 00 3a 40 08 00 62 f1 10 40 01 81 95 00 10 40 12 11 05 24 01 03 40 10 00 08 19 32"
      " 54 76 08 00 00 00 81 00 4f 40 03 20 06 03 00 56 40 05 62 f1 10 00 01 00 00");
  sccp_message out;
  bool ps = true;
  REQUIRE(decode_rua_into({connect.data(), connect.size()}, out, ps) == decode_error::none);
  CHECK_FALSE(ps);
  CHECK(out.type == sccp_msg_type::cr);
  REQUIRE(out.has_slr);
  CHECK(out.slr == 0x123456);
  CHECK(out.called.ssn == 142);
  REQUIRE(out.has_data);
  const auto ranap = decode_ranap(out.data);
  REQUIRE(ranap.ok());
  CHECK(ranap->procedure_code == ranap_procedure::initial_ue_message);
  CHECK(ranap->has_nas_pdu);
}

TEST_CASE("RUA DirectTransfer, Disconnect; the PS domain; malformed PDUs", "[rua]") {
  sccp_message out;
  bool ps = false;
  // DirectTransfer, PS domain, Context-ID 1, RANAP-Message of 4 octets.
  const auto dt = hex("00 02 40 18 00 00 03 00 07 00 01 80 00 03 00 03 00 00 01 00 04 00 05 04 05 24 01 03");
  REQUIRE(decode_rua_into({dt.data(), dt.size()}, out, ps) == decode_error::none);
  CHECK(ps);
  CHECK(out.type == sccp_msg_type::dt1);
  CHECK(out.dlr == 1);
  CHECK(out.data.size() == 4);
  // Disconnect with a Cause and no RANAP message.
  const auto dis = hex("00 03 40 15 00 00 03 00 07 00 01 00 00 03 00 03 00 00 01 00 01 40 02 00 00");
  REQUIRE(decode_rua_into({dis.data(), dis.size()}, out, ps) == decode_error::none);
  CHECK(out.type == sccp_msg_type::rlsd);
  CHECK(out.dlr == 1);
  CHECK_FALSE(out.has_data);
  decode_stats s;
  const auto no_context = hex("00 02 40 11 00 00 02 00 07 00 01 00 00 04 00 05 04 05 24 01 03");
  CHECK(decode_rua_into({no_context.data(), no_context.size()}, out, ps, &s) == decode_error::missing_ie);
  const auto cut = hex("00 02 40 18 00 00 03 00 07 00 01 00");
  CHECK(decode_rua_into({cut.data(), cut.size()}, out, ps, &s) == decode_error::bad_length);
  const auto error_indication = hex("00 05 40 03 00 00 00");
  CHECK(decode_rua_into({error_indication.data(), error_indication.size()}, out, ps, &s) == decode_error::unsupported);
  CHECK(s.get(layer::rua, decode_error::missing_ie) == 1);
}
