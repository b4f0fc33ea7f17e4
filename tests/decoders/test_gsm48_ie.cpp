// Common layer-3 IEs (TS 24.008 10.5.1.3, 10.5.1.4, 10.5.4.7/9) on their own.
// Vectors: osmocom/libosmocore tests/gsm0408/gsm0408_test.c style identities and the real
// captures' values (see test_dtap_*.cpp), edge cases built from the spec.
#include <catch2/catch.hpp>

#include "bssap/decoders/gsm48_ie.hpp"
#include "test_support.hpp"

using namespace bssap::dec;
using bssap::test::hex;

namespace {

bytes span_of(const std::vector<std::byte>& v) {
  return {v.data(), v.size()};
}

}  // namespace

TEST_CASE("Mobile identity: IMSI odd/even, TMSI, IMEI, IMEISV, filler", "[upper]") {
  const auto odd = hex("29 26 10 00 00 00 00 10");
  CHECK(decode_mobile_identity(span_of(odd))->digits == "262010000000001");
  // An even IMSI of 14 digits: the last high nibble is the 0xF filler.
  const auto even = hex("21 26 10 00 00 00 00 f0");
  const auto e = decode_mobile_identity(span_of(even));
  REQUIRE(e.ok());
  CHECK(e->digits == "26201000000000");
  // Odd flag but a filler in the last nibble: accepted, the filler dropped.
  const auto sloppy = hex("29 26 10 00 00 00 00 f0");
  CHECK(decode_mobile_identity(span_of(sloppy))->digits == "26201000000000");
  const auto tmsi = hex("f4 12 34 56 78");
  CHECK(decode_mobile_identity(span_of(tmsi))->tmsi == 0x12345678);
  const auto none = hex("f0");
  CHECK(decode_mobile_identity(span_of(none))->type == identity_type::no_identity);
  // Errors: empty; filler in the middle; IMSI of 4 digits; IMEISV with 15 digits.
  CHECK(decode_mobile_identity({}).error() == decode_error::truncated);
  const auto mid = hex("29 f6 10");
  CHECK(decode_mobile_identity(span_of(mid)).error() == decode_error::bad_value);
  const auto short_imsi = hex("19 32 54");  // 5 digits: ok; 4 digits: bad
  CHECK(decode_mobile_identity(span_of(short_imsi)).ok());
  const auto four = hex("11 32 f4");
  CHECK(decode_mobile_identity(span_of(four)).error() == decode_error::bad_length);
  const auto imeisv15 = hex("3b 35 94 05 16 32 54 06");
  CHECK(decode_mobile_identity(span_of(imeisv15)).error() == decode_error::bad_length);
}

TEST_CASE("LAI and PLMN: 2- and 3-digit MNC, bad digits", "[upper]") {
  const auto two = hex("62 f2 20 00 17");
  const auto l2 = decode_lai(span_of(two));
  REQUIRE(l2.ok());
  CHECK(l2->plmn.mcc == "262");
  CHECK(l2->plmn.mnc == "02");
  CHECK(l2->lac == 0x17);
  const auto three = hex("13 00 62 01 01");
  CHECK(decode_lai(span_of(three))->plmn.mnc == "260");
  const auto bad = hex("6a f2 20 00 17");
  CHECK(decode_lai(span_of(bad)).error() == decode_error::bad_value);
  const auto cut = hex("62 f2 20 00");
  CHECK(decode_lai(span_of(cut)).error() == decode_error::truncated);
}

TEST_CASE("BCD numbers: TON/NPI, octet 3a, * # a b c, end mark", "[upper]") {
  const auto called = hex("91 21 43 65 87 09");
  const auto c = decode_bcd_number(span_of(called), false);
  REQUIRE(c.ok());
  CHECK(c->ton == 1);
  CHECK(c->npi == 1);
  CHECK(c->digits == "1234567890");
  const auto with_3a = hex("01 a3 21 f3");
  const auto w = decode_bcd_number(span_of(with_3a), true);
  REQUIRE(w.ok());
  CHECK(w->has_octet_3a);
  CHECK(w->presentation == 1);  // restricted
  CHECK(w->screening == 3);
  CHECK(w->digits == "123");
  // Octet 3a where the IE does not allow one (called party number).
  CHECK(decode_bcd_number(span_of(with_3a), false).error() == decode_error::bad_value);
  const auto symbols = hex("81 ba dc fe");
  CHECK(decode_bcd_number(span_of(symbols), false)->digits == "*#abc");
}
