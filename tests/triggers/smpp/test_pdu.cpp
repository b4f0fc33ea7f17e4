// SMPP 3.4 PDU codec: hex vectors laid out field by field after the spec's PDU tables
// (SMPP v3.4 Issue 1.2, 4.1.5 bind_transceiver, 4.4.1 submit_sm, 4.4.2 submit_sm_resp,
// 4.6.1 deliver_sm, 4.11 enquire_link), and one malformed sibling per defect.
#include <catch2/catch.hpp>

#include <string>

#include "bssap/smpp/pdu.hpp"
#include "bssap/smpp/text.hpp"
#include "test_support.hpp"

using namespace bssap::smpp;

namespace {
std::vector<std::uint8_t> bytes(std::string_view h) {
  std::vector<std::uint8_t> out;
  for (auto b : bssap::test::hex(h)) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}
std::span<const std::uint8_t> body_of(const std::vector<std::uint8_t>& pdu) {
  return std::span<const std::uint8_t>(pdu).subspan(header_size);
}
}  // namespace

TEST_CASE("bind_transceiver encodes as the 4.1.5 table") {
  // 4.1.5: system_id, password, system_type (C-strings), interface_version, addr_ton, addr_npi, address_range.
  const auto expected = bytes(R"(
    00000022 00000009 00000000 00000001   # command_length 34, bind_transceiver, status 0, sequence 1
    627373617000                          # system_id "bssap"
    73656372657400                        # password "secret"
    00                                    # system_type ""
    34 00 00                              # interface_version 3.4, addr_ton, addr_npi
    00                                    # address_range ""
  )");
  std::vector<std::uint8_t> out;
  encode_bind(out, cmd::bind_transceiver, 1, bind_body{"bssap", "secret", "", 0x34, 0, 0, {}});
  CHECK(out == expected);

  bind_body b;
  REQUIRE(decode_bind(body_of(expected), b) == decode_error::none);
  CHECK(b.system_id == "bssap");
  CHECK(b.password == "secret");
  CHECK(b.interface_version == 0x34);
}

TEST_CASE("bind body with an unterminated password is an error") {
  // password is at most 9 octets with its NUL (5.2.2): 9 non-NUL octets cannot be a password.
  const auto body = bytes("627373617000 414141414141414141 00 34 00 00 00");
  bind_body b;
  CHECK(decode_bind(body, b) == decode_error::unterminated);
  // Cut inside system_id: truncated, not unterminated.
  CHECK(decode_bind(bytes("6273"), b) == decode_error::truncated);
}

TEST_CASE("submit_sm encodes and decodes as the 4.4.1 table") {
  const auto expected = bytes(R"(
    00000033 00000004 00000000 0000002a   # command_length 51, submit_sm, sequence 42
    00                                    # service_type ""
    01 01 3130303000                      # source TON 1 NPI 1 "1000"
    01 01 31323300                        # dest TON 1 NPI 1 "123"
    00 00 00                              # esm_class, protocol_id, priority_flag
    00 00                                 # schedule_delivery_time, validity_period
    01 00 00 00                           # registered_delivery 1, replace, data_coding 0, sm_default_msg_id
    05 68656c6c6f                         # sm_length 5, "hello" (GSM septets == ASCII here)
    0204 0002 0007                        # user_message_reference 7 (5.3.2.17)
  )");
  const std::vector<std::uint8_t> text{0x68, 0x65, 0x6c, 0x6c, 0x6f};
  sm_body b;
  b.source = {1, 1, "1000"};
  b.destination = {1, 1, "123"};
  b.registered_delivery = 1;
  b.short_message = text;
  b.user_message_reference = 7;
  std::vector<std::uint8_t> out;
  encode_sm(out, cmd::submit_sm, 42, b);
  CHECK(out == expected);

  header h;
  REQUIRE(decode_header(expected, h) == decode_error::none);
  CHECK(h.command_length == 51);
  CHECK(h.command_id == cmd::submit_sm);
  CHECK(h.sequence_number == 42);
  sm_body d;
  REQUIRE(decode_sm(body_of(expected), d) == decode_error::none);
  CHECK(d.source.addr == "1000");
  CHECK(d.destination.addr == "123");
  CHECK(d.registered_delivery == 1);
  CHECK(d.short_message.size() == 5);
  REQUIRE(d.user_message_reference);
  CHECK(*d.user_message_reference == 7);
}

TEST_CASE("submit_sm malformed siblings") {
  sm_body d;
  // sm_length 9 but only 5 octets follow.
  CHECK(decode_sm(bytes("00 0101 3100 0101 3100 000000 00 00 01000000 09 68656c6c6f"), d) ==
        decode_error::bad_sm_length);
  // A TLV whose length runs past the PDU.
  CHECK(decode_sm(bytes("00 0101 3100 0101 3100 000000 00 00 01000000 00 0204 0009 0007"), d) == decode_error::bad_tlv);
  // user_message_reference with a wrong length (5.3.2.17: exactly 2 octets).
  CHECK(decode_sm(bytes("00 0101 3100 0101 3100 000000 00 00 01000000 00 0204 0001 07"), d) == decode_error::bad_tlv);
  // destination_addr of 21 non-NUL octets (max 21 with NUL, 5.2.9).
  CHECK(decode_sm(bytes("00 0101 3100 0101 414141414141414141414141414141414141414141 00"), d) ==
        decode_error::unterminated);
  // Cut after the addresses.
  CHECK(decode_sm(bytes("00 0101 3100 0101 3100 00"), d) == decode_error::truncated);
}

TEST_CASE("deliver_sm receipt with receipted_message_id and message_state TLVs") {
  const auto pdu = bytes(R"(
    00000000 00000005 00000000 00000003   # length patched below, deliver_sm, sequence 3
    00 0101 31323300 0101 3130303000       # service_type, source "123", dest "1000"
    04 00 00 00 00                         # esm_class 0x04 = SMSC delivery receipt (5.2.12)
    00 00 00 00                            # registered_delivery, replace, data_coding, default id
    12 69643a61622073746174 3a44454c49565244 # sm_length 18: "id:ab stat:DELIVRD"
    001e 0003 616200                       # receipted_message_id "ab" (5.3.2.12)
    0427 0001 02                           # message_state DELIVERED (5.3.2.35)
  )");
  sm_body d;
  REQUIRE(decode_sm(body_of(pdu), d) == decode_error::none);
  CHECK((d.esm_class & esm::type_mask) == esm::delivery_receipt);
  CHECK(d.receipted_message_id == "ab");
  REQUIRE(d.message_state);
  CHECK(*d.message_state == 2);
  receipt_text rt;
  REQUIRE(parse_receipt_text(std::string_view(reinterpret_cast<const char*>(d.short_message.data()), 18), rt));
  CHECK(rt.id == "ab");
  CHECK(rt.stat == "DELIVRD");
}

TEST_CASE("receipt text of Appendix B") {
  receipt_text rt;
  REQUIRE(
      parse_receipt_text("id:0123456789 sub:001 dlvrd:001 submit date:2611231200 done date:2611231201 "
                         "stat:UNDELIV err:004 text:hello",
                         rt));
  CHECK(rt.id == "0123456789");
  CHECK(rt.stat == "UNDELIV");
  CHECK(rt.err == "004");
  CHECK(state_from_stat(rt.stat) == message_state::undeliverable);
  CHECK(is_final(message_state::undeliverable));
  CHECK_FALSE(is_final(message_state::enroute));
  CHECK_FALSE(parse_receipt_text("hello there", rt));
  // "id:" must match at a word start only.
  REQUIRE(parse_receipt_text("msgid:zz id:X stat:DELIVRD", rt));
  CHECK(rt.id == "X");
}

TEST_CASE("submit_sm_resp and enquire_link") {
  // 4.4.2: message_id C-string; on error the body is not returned.
  std::vector<std::uint8_t> out;
  encode_resp_id(out, cmd::submit_sm_resp, status::ok, 9, "abc");
  CHECK(out == bytes("00000014 80000004 00000000 00000009 61626300"));
  out.clear();
  encode_resp_id(out, cmd::submit_sm_resp, status::throttled, 9, "abc");
  CHECK(out == bytes("00000010 80000004 00000058 00000009"));
  out.clear();
  encode_header_only(out, cmd::enquire_link, 0, 5);
  CHECK(out == bytes("00000010 00000015 00000000 00000005"));
  std::string_view id;
  const auto resp_body = bytes("61626300");
  CHECK(decode_resp_id(resp_body, 64, id) == decode_error::none);
  CHECK(id == "abc");
  CHECK(decode_resp_id(bytes("616263"), 64, id) == decode_error::truncated);
}

TEST_CASE("sequence numbers stay within 0x00000001..0x7FFFFFFF across the wrap (5.1.4)") {
  // The counter the client's sessions and smpp-stub number their requests with.
  sequence_counter c;
  CHECK(c.next() == 1);
  CHECK(c.next() == 2);

  // Near the top: 0x7FFFFFFF is the last one, then 1 again (never 0, never 0x80000000 and up).
  sequence_counter top(0x7FFFFFFD);
  CHECK(top.next() == 0x7FFFFFFDu);
  CHECK(top.next() == 0x7FFFFFFEu);
  CHECK(top.next() == 0x7FFFFFFFu);
  CHECK(top.next() == 1u);
  CHECK(top.next() == 2u);

  // 100,000 steps across the wrap: every value in range, each the successor of the one before.
  sequence_counter lap(0x7FFFFF00);
  std::uint32_t prev = lap.next();
  for (int i = 0; i < 100000; ++i) {
    const std::uint32_t s = lap.next();
    REQUIRE(s >= 0x00000001u);
    REQUIRE(s <= 0x7FFFFFFFu);
    REQUIRE(s == (prev == 0x7FFFFFFFu ? 1u : prev + 1));
    prev = s;
  }

  // A start outside the range is not used: numbering starts at 1.
  CHECK(sequence_counter(0).next() == 1u);
  CHECK(sequence_counter(0x80000000u).next() == 1u);
  CHECK(sequence_counter(0xFFFFFFFFu).next() == 1u);

  // The number goes on the wire as the header's fourth word.
  std::vector<std::uint8_t> out;
  encode_header_only(out, cmd::enquire_link, 0, top.next());
  CHECK(out == bytes("00000010 00000015 00000000 00000003"));
  set_sequence(out, 0x7FFFFFFF);
  CHECK(out == bytes("00000010 00000015 00000000 7FFFFFFF"));
}

TEST_CASE("framing: garbage command_length is unframeable") {
  // 3.2: command_length includes the header: below 16 is impossible.
  auto f = peek_frame(bytes("0000000f 00000015 00000000 00000001"));
  CHECK(f.state == frame::kind::bad_length);
  // Above the configured bound: refused before any buffer grows.
  f = peek_frame(bytes("7fffffff 00000004 00000000 00000001"), 4096);
  CHECK(f.state == frame::kind::bad_length);
  CHECK(f.hdr.sequence_number == 1);
  // Partial header / partial body: wait.
  CHECK(peek_frame(bytes("000000")).state == frame::kind::need_more);
  CHECK(peek_frame(bytes("00000011 00000015 00000000 00000001")).state == frame::kind::need_more);
  f = peek_frame(bytes("00000010 00000015 00000000 00000001 ffff"));
  CHECK(f.state == frame::kind::ready);
  CHECK(f.hdr.command_id == cmd::enquire_link);
}

TEST_CASE("status names") {
  CHECK(status_name(status::throttled) == "ESME_RTHROTTLED");
  CHECK(status_name(status::msgqful) == "ESME_RMSGQFUL");
  CHECK(status_name(status::invpaswd) == "ESME_RINVPASWD");
}

TEST_CASE("random and mutated bodies never read out of bounds") {
  // Deterministic mutation of a valid deliver_sm (flipped lengths, cut tails) and pure noise:
  // every outcome is a typed error or a value inside the buffer (ASan checks the reads).
  std::vector<std::uint8_t> valid;
  sm_body b;
  b.source = {1, 1, "123"};
  b.destination = {1, 1, "456"};
  b.esm_class = 0x40;
  const std::vector<std::uint8_t> sm{0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 0x41, 0x42};
  b.short_message = sm;
  b.receipted_message_id = "abc";
  b.message_state = 2;
  encode_sm(valid, cmd::deliver_sm, 1, b);
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::size_t errors = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::uint8_t> body(valid.begin() + header_size, valid.end());
    if (round % 2) {
      body.resize(next() % 80);
      for (auto& v : body) v = static_cast<std::uint8_t>(next());
    } else {
      body[next() % body.size()] = static_cast<std::uint8_t>(next());
      body.resize(next() % (body.size() + 1));
    }
    sm_body d;
    if (decode_sm(body, d) != decode_error::none) {
      ++errors;
      continue;
    }
    concat_info ci;
    std::span<const std::uint8_t> payload;
    if (split_udh(d.esm_class, d.short_message, ci, payload)) {
      std::string text;
      (void)decode_payload(d.data_coding, payload, text);
    }
    (void)peek_frame(body, 256);
  }
  CHECK(errors > 1000);  // most mutations are caught as errors, not silently accepted
}
