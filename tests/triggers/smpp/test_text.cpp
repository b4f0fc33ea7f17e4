// GSM 7-bit / UCS-2 encoding and concatenation (SMPP v3.4 5.2.19, 5.2.12; TS 23.038 6.2.1.1;
// TS 23.040 9.2.3.24.1: UDH 05 00 03 ref total seq).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "bssap/smpp/text.hpp"

using namespace bssap::smpp;

namespace {
std::string join_decoded(const std::vector<encoded_part>& parts) {
  std::vector<std::uint8_t> all;
  for (const auto& p : parts) {
    concat_info ci;
    std::span<const std::uint8_t> payload;
    REQUIRE(split_udh(p.esm_class, p.short_message, ci, payload));
    all.insert(all.end(), payload.begin(), payload.end());
  }
  std::string out;
  REQUIRE(decode_payload(parts.front().data_coding, all, out));
  return out;
}
}  // namespace

TEST_CASE("GSM 7-bit single part: unpacked septets, extension table escapes") {
  std::vector<encoded_part> parts;
  REQUIRE(encode_text("A{€}", 0, parts) == text_error::none);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].data_coding == coding::gsm7);
  CHECK(parts[0].esm_class == 0);
  // TS 23.038 6.2.1.1: { = 1B 28, EUR = 1B 65, } = 1B 29.
  CHECK(parts[0].short_message == std::vector<std::uint8_t>{0x41, 0x1B, 0x28, 0x1B, 0x65, 0x1B, 0x29});
  CHECK(join_decoded(parts) == "A{€}");
}

TEST_CASE("GSM 7-bit: 160 septets fit one part, 161 split 153 + 8 with a UDH") {
  std::vector<encoded_part> parts;
  REQUIRE(encode_text(std::string(160, 'a'), 7, parts) == text_error::none);
  CHECK(parts.size() == 1);
  REQUIRE(encode_text(std::string(161, 'a'), 7, parts) == text_error::none);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].esm_class == 0x40);
  CHECK(std::vector<std::uint8_t>(parts[0].short_message.begin(), parts[0].short_message.begin() + 6) ==
        std::vector<std::uint8_t>{0x05, 0x00, 0x03, 7, 2, 1});
  CHECK(parts[0].short_message.size() == 6 + 153);
  CHECK(parts[1].short_message.size() == 6 + 8);
  CHECK(parts[1].short_message[5] == 2);
}

TEST_CASE("GSM 7-bit: an escape pair is never split across parts") {
  // 152 'a' then '{' (2 septets): the escape would be septet 153, its character 154.
  std::string text(152, 'a');
  text += "{";
  text += std::string(20, 'b');
  std::vector<encoded_part> parts;
  REQUIRE(encode_text(text, 1, parts) == text_error::none);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].short_message.size() == 6 + 152);
  CHECK(parts[1].short_message[6] == 0x1B);
  CHECK(parts[1].short_message[7] == 0x28);
  CHECK(join_decoded(parts) == text);
}

TEST_CASE("UCS-2: Chinese, 70 characters in one part, 71 split 67 + 4") {
  std::string seventy;
  for (int i = 0; i < 70; ++i) seventy += "中";
  std::vector<encoded_part> parts;
  REQUIRE(encode_text(seventy, 0, parts) == text_error::none);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].data_coding == coding::ucs2);
  CHECK(parts[0].short_message.size() == 140);
  CHECK(parts[0].short_message[0] == 0x4E);  // U+4E2D big-endian
  CHECK(parts[0].short_message[1] == 0x2D);
  const std::string seventy_one = seventy + "文";
  REQUIRE(encode_text(seventy_one, 0, parts) == text_error::none);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].short_message.size() == 6 + 134);
  CHECK(parts[1].short_message.size() == 6 + 8);
  CHECK(join_decoded(parts) == seventy_one);
}

TEST_CASE("UCS-2: a surrogate pair is never split across parts") {
  std::string text;
  for (int i = 0; i < 66; ++i) text += "中";
  text += "😀";                                // U+1F600: D83D DE00, would straddle units 67/68
  for (int i = 0; i < 10; ++i) text += "文";  // 78 UTF-16 units: two parts
  std::vector<encoded_part> parts;
  REQUIRE(encode_text(text, 0, parts) == text_error::none);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].short_message.size() == 6 + 66 * 2);
  CHECK(parts[1].short_message[6] == 0xD8);
  CHECK(join_decoded(parts) == text);
}

TEST_CASE("text errors") {
  std::vector<encoded_part> parts;
  CHECK(encode_text("", 0, parts) == text_error::empty);
  CHECK(encode_text("\xC3", 0, parts) == text_error::invalid_utf8);
  CHECK(encode_text("\xED\xA0\x80", 0, parts) == text_error::invalid_utf8);  // encoded surrogate
  CHECK(encode_text(std::string(153 * 256, 'a'), 0, parts) == text_error::too_long);
}

TEST_CASE("UDH parsing: 8-bit and 16-bit concatenation IEs, malformed UDH") {
  concat_info ci;
  std::span<const std::uint8_t> payload;
  const std::vector<std::uint8_t> udh16{0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x02, 0x41};
  REQUIRE(split_udh(0x40, udh16, ci, payload));
  CHECK(ci.present);
  CHECK(ci.ref == 0x1234);
  CHECK(ci.total == 3);
  CHECK(ci.seq == 2);
  CHECK(payload.size() == 1);
  // Another IE first (0x24 national shift), then concatenation.
  const std::vector<std::uint8_t> two{0x08, 0x24, 0x01, 0x00, 0x00, 0x03, 0x09, 0x02, 0x01, 0x41};
  REQUIRE(split_udh(0x40, two, ci, payload));
  CHECK(ci.ref == 9);
  CHECK(ci.seq == 1);
  // UDHL longer than the message.
  const std::vector<std::uint8_t> bad{0x09, 0x00, 0x03, 0x01};
  CHECK_FALSE(split_udh(0x40, bad, ci, payload));
  // IE length running past the UDH.
  const std::vector<std::uint8_t> bad_ie{0x03, 0x00, 0x05, 0x01, 0x41};
  CHECK_FALSE(split_udh(0x40, bad_ie, ci, payload));
  // No UDHI: everything is payload.
  REQUIRE(split_udh(0x00, bad, ci, payload));
  CHECK_FALSE(ci.present);
  CHECK(payload.size() == 4);
}

TEST_CASE("reassembler joins parts in any order and ignores a repeated part") {
  reassembler r;
  std::vector<encoded_part> parts;
  const std::string text = std::string(200, 'x') + "€";
  REQUIRE(encode_text(text, 5, parts) == text_error::none);
  REQUIRE(parts.size() == 2);
  reassembler::complete done;
  auto add = [&](const encoded_part& p) {
    concat_info ci;
    std::span<const std::uint8_t> payload;
    REQUIRE(split_udh(p.esm_class, p.short_message, ci, payload));
    return r.add("1000", "123", p.data_coding, ci, payload, done);
  };
  CHECK_FALSE(add(parts[1]));
  CHECK_FALSE(add(parts[1]));  // repeated: first copy wins, not counted twice
  CHECK(r.pending() == 1);
  REQUIRE(add(parts[0]));
  CHECK(done.text == text);
  CHECK(done.total == 2);
  CHECK(r.pending() == 0);
}

// Found writing fuzz_smpp_client (issue 13): concatenations that never complete (a lost part, a
// hostile peer) grew the reassembler for ever. It now keeps at most max_pending messages and
// max_bytes of parts, dropping the oldest incomplete one (counted).
TEST_CASE("reassembler is bounded: the oldest incomplete message goes first") {
  reassembler r(3, 100);
  reassembler::complete done;
  const std::vector<std::uint8_t> ten(10, 'a');
  auto part = [&](std::uint16_t ref, std::uint8_t seq, const std::vector<std::uint8_t>& payload) {
    return r.add("1000", "123", 0, concat_info{true, ref, 2, seq}, payload, done);
  };
  CHECK_FALSE(part(1, 1, ten));
  CHECK_FALSE(part(2, 1, ten));
  CHECK_FALSE(part(3, 1, ten));
  CHECK(r.pending() == 3);
  CHECK_FALSE(part(4, 1, ten));  // a fourth message: ref 1, the oldest, is dropped
  CHECK(r.pending() == 3);
  CHECK(r.evicted() == 1);
  CHECK_FALSE(part(1, 2, ten));  // its second part starts it again, alone: no message
  CHECK(r.evicted() == 2);       // and pushes out ref 2
  REQUIRE(part(3, 2, ten));      // ref 3 survived both and completes
  CHECK(done.text == std::string(20, 'a'));
  // Bytes: 95 octets for a new message pushes out everything older to stay within 100.
  const std::vector<std::uint8_t> big(95, 'b');
  CHECK_FALSE(part(9, 1, big));
  CHECK(r.pending_bytes() <= 100);
  CHECK(r.pending() == 1);
  // A part that alone passes the bound drops its message.
  const std::vector<std::uint8_t> huge(101, 'c');
  CHECK_FALSE(part(10, 1, huge));
  CHECK(r.pending_bytes() <= 100);
}
