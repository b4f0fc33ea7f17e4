// Vectors: TS 23.038 6.1.2.1.1 packing example and the USSD "*100#" string as sent by handsets
// (DCS 0x0F, packed: aa 18 0c 36 02, as Wireshark shows for a USSD Register).
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "bssap/decoders/gsm7.hpp"

namespace gsm7 = bssap::dec::gsm7;

namespace {
std::string decode(std::span<const std::uint8_t> packed, std::size_t septets, unsigned fill = 0) {
  std::array<std::uint8_t, 256> s{};
  const auto n = gsm7::unpack(packed, septets, fill, s);
  REQUIRE(n != gsm7::npos);
  std::array<char, 512> u{};
  const auto m = gsm7::to_utf8(std::span<const std::uint8_t>(s.data(), n), u);
  REQUIRE(m != gsm7::npos);
  return {u.data(), m};
}
}  // namespace

TEST_CASE("gsm7 unpacks the USSD string *100#", "[gsm7]") {
  const std::array<std::uint8_t, 5> packed{0xaa, 0x18, 0x0c, 0x36, 0x02};
  CHECK(decode(packed, 5) == "*100#");
}

TEST_CASE("gsm7 packs 'hellohello' as in TS 23.038 6.1.2.1.1", "[gsm7]") {
  std::array<std::uint8_t, 16> septets{};
  const auto n = gsm7::from_utf8("hellohello", septets);
  REQUIRE(n == 10);
  std::array<std::uint8_t, 16> packed{};
  const auto m = gsm7::pack(std::span<const std::uint8_t>(septets.data(), n), 0, packed);
  REQUIRE(m == 9);
  const std::array<std::uint8_t, 9> expected{0xe8, 0x32, 0x9b, 0xfd, 0x46, 0x97, 0xd9, 0xec, 0x37};
  CHECK(std::equal(expected.begin(), expected.end(), packed.begin()));
  CHECK(decode(std::span<const std::uint8_t>(packed.data(), m), 10) == "hellohello");
}

TEST_CASE("gsm7 round-trips the extension table and accented letters", "[gsm7]") {
  const std::string text = "Price: 5\xE2\x82\xAC [x] {y} ~|^\\ \xC3\xA9t\xC3\xA9";
  std::array<std::uint8_t, 64> septets{};
  const auto n = gsm7::from_utf8(text, septets);
  REQUIRE(n != gsm7::npos);
  CHECK(n == gsm7::septet_length(text));
  std::array<std::uint8_t, 64> packed{};
  const auto m = gsm7::pack(std::span<const std::uint8_t>(septets.data(), n), 3, packed);
  REQUIRE(m != gsm7::npos);
  CHECK(decode(std::span<const std::uint8_t>(packed.data(), m), n, 3) == text);
}

TEST_CASE("gsm7 refuses characters it cannot encode and short input", "[gsm7]") {
  std::array<std::uint8_t, 16> septets{};
  CHECK(gsm7::from_utf8("\xE4\xBD\xA0\xE5\xA5\xBD", septets) == gsm7::npos);  // Chinese: needs UCS-2
  CHECK(gsm7::septet_length("\xE4\xBD\xA0") == gsm7::npos);
  CHECK(gsm7::from_utf8("\xC3", septets) == gsm7::npos);  // truncated UTF-8
  const std::array<std::uint8_t, 2> packed{0x41, 0x41};
  std::array<std::uint8_t, 8> out{};
  CHECK(gsm7::unpack(packed, 3, 0, out) == gsm7::npos);
}

TEST_CASE("gsm7 strips the USSD CR padding of 8n-1 septets", "[gsm7]") {
  // 7 septets packed in 7 octets leave 7 spare bits, filled with CR (TS 23.038 6.1.2.3.1).
  std::array<std::uint8_t, 8> septets{};
  REQUIRE(gsm7::from_utf8("*123*4#\r", septets) == 8);
  std::array<std::uint8_t, 8> packed{};
  REQUIRE(gsm7::pack(std::span<const std::uint8_t>(septets.data(), 8), 0, packed) == 7);
  std::array<std::uint8_t, 8> unpacked{};
  const auto n = gsm7::unpack(std::span<const std::uint8_t>(packed.data(), 7), gsm7::septets_in(7), 0, unpacked);
  REQUIRE(n == 8);
  CHECK(gsm7::strip_ussd_padding(std::span<const std::uint8_t>(unpacked.data(), n), 7) == 7);
}
