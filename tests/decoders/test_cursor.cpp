#include <catch2/catch.hpp>

#include "bssap/decoders/cursor.hpp"
#include "test_support.hpp"

using namespace bssap::dec;

TEST_CASE("cursor reads big- and little-endian integers in order", "[cursor]") {
  const auto data = bssap::test::hex("01 0203 040506 0708090a 0b0c");
  byte_cursor c{data};
  std::uint8_t a = 0;
  std::uint16_t b = 0, f = 0;
  std::uint32_t d = 0, e = 0;
  REQUIRE(c.u8(a));
  REQUIRE(c.be16(b));
  REQUIRE(c.be24(d));
  REQUIRE(c.be32(e));
  REQUIRE(c.le16(f));
  CHECK(a == 0x01);
  CHECK(b == 0x0203);
  CHECK(d == 0x040506);
  CHECK(e == 0x0708090a);
  CHECK(f == 0x0c0b);
  CHECK(c.empty());
}

TEST_CASE("cursor refuses to read past the end and does not move", "[cursor]") {
  const auto data = bssap::test::hex("aa bb cc");
  byte_cursor c{data};
  std::uint32_t v = 0;
  CHECK_FALSE(c.be32(v));
  CHECK(c.position() == 0);
  bytes b;
  CHECK_FALSE(c.take(4, b));
  REQUIRE(c.take(3, b));
  CHECK(b.size() == 3);
  std::uint8_t x = 0;
  CHECK_FALSE(c.u8(x));
}

TEST_CASE("a sub-cursor cannot see past its enclosing length", "[cursor]") {
  const auto data = bssap::test::hex("02 11 22 33 44");
  byte_cursor c{data};
  std::uint8_t len = 0;
  REQUIRE(c.u8(len));
  byte_cursor inner;
  REQUIRE(c.sub(len, inner));
  std::uint16_t v = 0;
  REQUIRE(inner.be16(v));
  CHECK(v == 0x1122);
  std::uint8_t x = 0;
  CHECK_FALSE(inner.u8(x));
  CHECK(c.remaining() == 2);
}

TEST_CASE("result carries a value or an error", "[result]") {
  result<int> ok{42};
  result<int> bad{decode_error::truncated};
  REQUIRE(ok);
  CHECK(*ok == 42);
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == decode_error::truncated);
  CHECK(to_string(bad.error()) == "truncated");
}
