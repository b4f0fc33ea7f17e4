#include <catch2/catch.hpp>

#include <string>

#include "bssap/event.hpp"

using namespace bssap;

TEST_CASE("event JSON follows the spec's field order and omits unknown fields", "[event]") {
  event e;
  e.ts_us = 1'700'000'000'123'456;
  e.type = event_type::call_end;
  e.imsi.assign("460001234567890");
  e.set(f_imsi);
  e.tmsi = 0x0a1b2c3d;
  e.set(f_tmsi);
  e.mcc.assign("460");
  e.mnc.assign("00");
  e.lac = 4097;
  e.set(f_lai);
  e.cell = 12345;
  e.set(f_cell);
  e.cause = 16;
  e.set(f_cause);
  e.duration_ms = 65000;
  e.set(f_duration);
  std::string line;
  append_json_line(e, line);
  CHECK(line ==
        "{\"ts\":\"2023-11-14T22:13:20.123456Z\",\"type\":\"call_end\",\"imsi\":\"460001234567890\","
        "\"tmsi\":\"0a1b2c3d\",\"mcc\":\"460\",\"mnc\":\"00\",\"lac\":4097,\"cell\":12345,\"cause\":16,"
        "\"duration_ms\":65000}\n");
  const auto back = parse_json_line(line);
  REQUIRE(back);
  CHECK(*back == e);
}

TEST_CASE("event JSON escapes peer strings and round-trips UTF-8", "[event]") {
  event e;
  e.ts_us = 0;
  e.type = event_type::ussd;
  e.peer.assign("*100#\"\\\n\xE2\x82\xAC");
  e.set(f_peer);
  std::string line;
  append_json_line(e, line);
  CHECK(line ==
        "{\"ts\":\"1970-01-01T00:00:00.000000Z\",\"type\":\"ussd\",\"peer\":\"*100#\\\"\\\\\\n\xE2\x82\xAC\"}\n");
  const auto back = parse_json_line(line);
  REQUIRE(back);
  CHECK(back->peer.view() == e.peer.view());
}

TEST_CASE("event JSON parser rejects what the spec does not allow", "[event]") {
  std::string err;
  CHECK_FALSE(parse_json_line("not json", &err));
  CHECK_FALSE(parse_json_line(R"({"ts":"2023-11-14T22:13:20.123456Z","type":"teleport"})", &err));
  CHECK_FALSE(parse_json_line(R"({"ts":"2023-11-14T22:13:20Z","type":"power_on"})", &err));
  CHECK_FALSE(parse_json_line(R"({"ts":"2023-11-14T22:13:20.123456Z","type":"power_on","colour":"red"})", &err));
  CHECK(err.find("colour") != std::string::npos);
  CHECK_FALSE(parse_json_line(R"({"ts":"2023-11-14T22:13:20.123456Z","type":"power_on","mcc":"460","lac":5})", &err));
  CHECK(err.find("mcc and mnc go together") != std::string::npos);
  CHECK_FALSE(
      parse_json_line(R"({"ts":"2023-11-14T22:13:20.123456Z","type":"power_on","mcc":"460","mnc":"00"})", &err));
  CHECK_FALSE(parse_json_line(R"({"ts":"2023-11-14T22:13:20.123456Z","type":"power_on","tmsi":"xyz"})", &err));
}

TEST_CASE("event JSON: a lac without its PLMN is written and read alone (spec: Location from the cell)", "[event]") {
  event e;
  e.ts_us = 1'700'000'000'123'456;
  e.type = event_type::location_update;
  e.lac = 9504;
  e.set(f_lac);
  e.cell = 10201;
  e.set(f_cell);
  std::string s;
  append_json_line(e, s);
  CHECK(s == "{\"ts\":\"2023-11-14T22:13:20.123456Z\",\"type\":\"location_update\",\"lac\":9504,\"cell\":10201}\n");
  const auto back = parse_json_line(s);
  REQUIRE(back);
  CHECK(*back == e);
}

TEST_CASE("RFC 3339 timestamps round-trip across dates", "[event]") {
  for (const std::int64_t ts : {0LL, 951'782'400'000'001LL, 1'798'761'599'999'999LL, 4'102'444'800'000'000LL}) {
    std::string s;
    append_rfc3339_us(ts, s);
    const auto back = parse_rfc3339_us(s);
    REQUIRE(back);
    CHECK(*back == ts);
  }
  std::string s;
  append_rfc3339_us(951'782'400'000'001LL, s);
  CHECK(s == "2000-02-29T00:00:00.000001Z");
}
