// SUA (RFC 3868) messages decoded as the SCCP messages they stand for. Vectors built by hand
// from RFC 3868 3.1 (common header), 3.3.2/3.3.3/3.3.8 (CORE, COAK, CODT) and 3.10 (parameters).
#include <catch2/catch.hpp>

#include "bssap/decoders/sua.hpp"
#include "test_support.hpp"

using namespace bssap::dec;
using bssap::test::hex;

TEST_CASE("SUA CORE: a CR with its source reference, called SSN + PC and data", "[sua]") {
  // version 1, class 8 (CO), type 1 (CORE), length 56; Protocol Class 2; Source Reference
  // 0x200603; Destination Address: route on SSN+PC, SSN 142, PC 8192; Data 4 octets.
  const auto m =
      hex("01 00 08 01 00 00 00 38"
          " 01 15 00 08 00 00 00 02"
          " 01 04 00 08 00 20 06 03"
          " 01 03 00 18 00 02 00 03 80 03 00 08 00 00 00 8e 80 02 00 08 00 00 20 00"
          " 01 0b 00 08 00 13 40 44");
  sccp_message out;
  REQUIRE(decode_sua_into({m.data(), m.size()}, out) == decode_error::none);
  CHECK(out.type == sccp_msg_type::cr);
  REQUIRE(out.has_slr);
  CHECK(out.slr == 0x200603);
  CHECK_FALSE(out.has_dlr);
  REQUIRE(out.called.has_ssn);
  CHECK(out.called.ssn == 142);
  REQUIRE(out.called.has_pc);
  CHECK(out.called.pc == 8192);
  CHECK(out.called.route_on_ssn);
  CHECK(out.protocol_class == 2);
  REQUIRE(out.has_data);
  CHECK(out.data.size() == 4);
}

TEST_CASE("SUA CODT and COAK: references and data; CL and management classes", "[sua]") {
  const auto codt = hex("01 00 08 08 00 00 00 18  01 05 00 08 00 10 06 03  01 0b 00 06 05 21 00 00");
  sccp_message out;
  REQUIRE(decode_sua_into({codt.data(), codt.size()}, out) == decode_error::none);
  CHECK(out.type == sccp_msg_type::dt1);
  CHECK(out.dlr == 0x100603);
  REQUIRE(out.data.size() == 2);  // the length says 2 octets; the padding is not data
  const auto coak = hex("01 00 08 02 00 00 00 18  01 05 00 08 00 20 06 03  01 04 00 08 00 10 06 03");
  REQUIRE(decode_sua_into({coak.data(), coak.size()}, out) == decode_error::none);
  CHECK(out.type == sccp_msg_type::cc);
  CHECK(out.dlr == 0x200603);
  CHECK(out.slr == 0x100603);
  sua_header h;
  const auto aspup = hex("01 00 03 01 00 00 00 08");
  REQUIRE(decode_sua_header({aspup.data(), aspup.size()}, h) == decode_error::none);
  CHECK_FALSE(sua_carries_sccp(h));
  CHECK(decode_sua_into({aspup.data(), aspup.size()}, out) == decode_error::unsupported);
}

TEST_CASE("SUA: malformed messages are refused with a reason", "[sua]") {
  decode_stats s;
  sccp_message out;
  const auto version2 = hex("02 00 08 08 00 00 00 08");
  CHECK(decode_sua_into({version2.data(), version2.size()}, out, &s) == decode_error::bad_value);
  const auto too_long = hex("01 00 08 08 00 00 00 20  01 05 00 08 00 10 06 03");
  CHECK(decode_sua_into({too_long.data(), too_long.size()}, out, &s) == decode_error::bad_length);
  const auto param_past = hex("01 00 08 08 00 00 00 10  01 05 00 0c 00 10 06 03");
  CHECK(decode_sua_into({param_past.data(), param_past.size()}, out, &s) == decode_error::bad_length);
  const auto no_dlr = hex("01 00 08 08 00 00 00 10  01 0b 00 06 05 21 00 00");
  CHECK(decode_sua_into({no_dlr.data(), no_dlr.size()}, out, &s) == decode_error::missing_ie);
  const auto short_header = hex("01 00 08");
  CHECK(decode_sua_into({short_header.data(), short_header.size()}, out, &s) == decode_error::truncated);
  CHECK(s.get(layer::sua, decode_error::bad_length) == 2);
}
