// Correlation semantics (probe/EVENTS.md) on hand-built records: each case is one rule.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "bssap/probe/correlator.hpp"

using namespace bssap;
using namespace bssap::probe;

namespace {

struct collect final : event_sink {
  std::vector<event> events;
  void on_event(const event& e) noexcept override { events.push_back(e); }
};

std::uint64_t g_seq = 0;

a_record rec(a_kind kind, std::uint64_t conn, std::int64_t ts_us, bool uplink = true) {
  a_record r;
  r.kind = kind;
  r.conn = conn;
  r.ts_us = ts_us;
  r.uplink = uplink;
  r.seq = ++g_seq;
  return r;
}

void cgi(a_record& r, std::string_view mcc, std::string_view mnc, std::uint16_t lac, std::uint32_t ci) {
  r.set(af_cl3);
  r.cell_mcc.assign(mcc);
  r.cell_mnc.assign(mnc);
  r.set(af_cell_plmn);
  r.cell_lac = lac;
  r.set(af_cell_lac);
  r.cell_ci = ci;
  r.set(af_cell_ci);
}

a_record lu(std::uint64_t conn, std::int64_t ts, std::uint8_t type, std::string_view imsi, std::uint32_t tmsi = 0) {
  a_record r = rec(a_kind::lu_request, conn, ts);
  r.lu_type = type;
  cgi(r, "460", "00", 100, 1001);
  r.lai_mcc.assign("460");
  r.lai_mnc.assign("00");
  r.lai_lac = 99;
  r.set(af_lai);
  if (!imsi.empty()) {
    r.imsi.assign(imsi);
    r.set(af_imsi);
  } else {
    r.tmsi = tmsi;
    r.set(af_tmsi);
  }
  return r;
}

std::string json(const event& e) {
  std::string s;
  append_json_line(e, s);
  return s;
}

// Location Updating Accept without LAI: ends the LU procedure, whose events are written then
// (EVENTS.md "LU procedure").
a_record accept(std::uint64_t conn, std::int64_t ts) {
  return rec(a_kind::lu_accept, conn, ts, false);
}

}  // namespace

TEST_CASE("attach of a foreign IMSI gives power_on then roaming_in with the same fields", "[correlator]") {
  collect out;
  correlator c({}, out);
  c.feed(lu(1, 1'000'000, 2, "262011234567890"));
  c.feed(rec(a_kind::conn_close, 1, 1'100'000));
  REQUIRE(out.events.size() == 2);
  CHECK(json(out.events[0]) ==
        "{\"ts\":\"1970-01-01T00:00:01.000000Z\",\"type\":\"power_on\",\"imsi\":\"262011234567890\",\"mcc\":\"460\","
        "\"mnc\":\"00\",\"lac\":100,\"cell\":1001}\n");
  event roam = out.events[0];
  roam.type = event_type::roaming_in;
  CHECK(out.events[1] == roam);
  // The second LU of the same IMSI is not a first one: no roaming_in, and prev_* from state.
  c.feed(lu(2, 2'000'000, 0, "262011234567890"));
  c.feed(accept(2, 2'100'000));
  REQUIRE(out.events.size() == 3);
  CHECK(out.events[2].type == event_type::location_update);
  CHECK(out.events[2].prev_lac == 100);
  CHECK(out.events[2].prev_cell == 1001);
}

TEST_CASE("home IMSIs: the cell's PLMN or a configured equivalent PLMN is not roaming", "[correlator]") {
  collect out;
  correlator_config cfg;
  cfg.home_plmns = {"460-02"};
  correlator c(cfg, out);
  c.feed(lu(1, 1, 2, "460001234567890"));  // same PLMN as the cell
  c.feed(accept(1, 1));
  c.feed(lu(2, 2, 2, "460021234567890"));  // configured equivalent
  c.feed(accept(2, 2));
  c.feed(lu(3, 3, 2, "460071234567890"));  // foreign
  c.feed(accept(3, 3));
  REQUIRE(out.events.size() == 4);
  CHECK(out.events[3].type == event_type::roaming_in);
  CHECK(out.events[3].imsi.view() == "460071234567890");
}

TEST_CASE("location_update without recorded location takes prev_lac from the request, not a reserved LAC",
          "[correlator]") {
  collect out;
  correlator c({}, out);
  c.feed(lu(1, 1, 0, "460001234567890"));
  c.feed(accept(1, 1));
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].has(f_prev_lac));
  CHECK(out.events[0].prev_lac == 99);
  CHECK_FALSE(out.events[0].has(f_prev_cell));
  a_record r = lu(2, 2, 0, "460001234567891");
  r.lai_lac = 0xFFFE;
  c.feed(r);
  c.feed(accept(2, 2));
  REQUIRE(out.events.size() == 2);
  CHECK_FALSE(out.events[1].has(f_prev_lac));
}

TEST_CASE("a TMSI-only connection is held until Identity Response, then processed as if known", "[correlator]") {
  collect out;
  correlator c({}, out);
  c.feed(lu(1, 10, 0, "", 0xdeadbeef));
  CHECK(out.events.empty());
  a_record id = rec(a_kind::identity_response, 1, 20);
  id.imsi.assign("460001111111111");
  id.set(af_imsi);
  c.feed(id);
  c.feed(accept(1, 25));
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].type == event_type::location_update);
  CHECK(out.events[0].ts_us == 10);
  CHECK(out.events[0].imsi.view() == "460001111111111");
  CHECK(out.events[0].tmsi == 0xdeadbeef);
  c.feed(rec(a_kind::conn_close, 1, 30));
  // The TMSI was learned: a later connection with it resolves at once.
  a_record cm = rec(a_kind::cm_service_request, 2, 40);
  cgi(cm, "460", "00", 100, 7);
  cm.tmsi = 0xdeadbeef;
  cm.set(af_tmsi);
  c.feed(cm);
  a_record setup = rec(a_kind::cc_setup, 2, 50);
  setup.peer.assign("12345");
  setup.set(af_peer);
  c.feed(setup);
  REQUIRE(out.events.size() == 2);
  CHECK(out.events[1].type == event_type::call_mo);
  CHECK(out.events[1].imsi.view() == "460001111111111");
  CHECK(out.events[1].peer.view() == "12345");
  CHECK(c.stats().tmsi_resolved == 1);
}

TEST_CASE("a connection released without an IMSI emits its events unresolved, without state fields", "[correlator]") {
  collect out;
  correlator c({}, out);
  c.feed(lu(1, 10, 1, "", 0x01020304));
  c.feed(rec(a_kind::conn_close, 1, 20));
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].type == event_type::periodic_update);
  CHECK_FALSE(out.events[0].has(f_imsi));
  CHECK(out.events[0].tmsi == 0x01020304);
  CHECK(c.stats().unresolved_events == 1);
}

TEST_CASE("calls: answered once, ended once, duration from Connect, TI normalised per call", "[correlator]") {
  collect out;
  correlator c({}, out);
  a_record cm = rec(a_kind::cm_service_request, 1, 0);
  cgi(cm, "460", "00", 1, 2);
  cm.imsi.assign("460001234567890");
  cm.set(af_imsi);
  c.feed(cm);
  a_record setup = rec(a_kind::cc_setup, 1, 1'000'000, false);
  setup.ti = 0x80;
  setup.peer.assign("13800138000");
  setup.set(af_peer);
  c.feed(setup);
  a_record conn1 = rec(a_kind::cc_connect, 1, 2'000'000, true);
  conn1.ti = 0x80;
  c.feed(conn1);
  c.feed(conn1);  // a repeated Connect does not answer twice
  a_record disc = rec(a_kind::cc_clearing, 1, 5'500'999, false);
  disc.ti = 0x80;
  disc.cause = 16;
  disc.set(af_cause);
  c.feed(disc);
  a_record rel = disc;
  rel.ts_us = 5'600'000;
  c.feed(rel);  // Release after Disconnect: no second call_end
  REQUIRE(out.events.size() == 3);
  CHECK(out.events[0].type == event_type::call_mt);
  CHECK(out.events[1].type == event_type::call_answered);
  CHECK(out.events[1].peer.view() == "13800138000");
  CHECK(out.events[2].type == event_type::call_end);
  CHECK(out.events[2].duration_ms == 3500);
  CHECK(out.events[2].cause == 16);
}

TEST_CASE("imei_change: the first IMEI is recorded silently, a different one is reported", "[correlator]") {
  collect out;
  correlator c({}, out);
  c.feed(lu(1, 1, 2, "460001234567890"));
  a_record id = rec(a_kind::identity_response, 1, 2);
  id.imei.assign("35123456789012");
  id.set(af_imei);
  c.feed(id);
  c.feed(accept(1, 2));
  CHECK(out.events.size() == 1);
  a_record ci = rec(a_kind::cipher_complete, 1, 3);
  ci.imei.assign("35123456789013");
  ci.set(af_imei);
  c.feed(ci);
  REQUIRE(out.events.size() == 2);
  CHECK(out.events[1].type == event_type::imei_change);
  CHECK(out.events[1].imei.view() == "35123456789013");
  CHECK(out.events[1].prev_imei.view() == "35123456789012");
}

TEST_CASE("handover performed: new cell in the event, previous cell in prev_*", "[correlator]") {
  collect out;
  correlator c({}, out);
  c.feed(lu(1, 1, 2, "460001234567890"));
  c.feed(accept(1, 1));
  a_record ho = rec(a_kind::handover_performed, 1, 2);
  ho.cell_mcc.assign("460");
  ho.cell_mnc.assign("00");
  ho.set(af_cell_plmn);
  ho.cell_lac = 200;
  ho.set(af_cell_lac);
  ho.cell_ci = 2002;
  ho.set(af_cell_ci);
  c.feed(ho);
  REQUIRE(out.events.size() == 2);
  CHECK(out.events[1].type == event_type::handover);
  CHECK(out.events[1].lac == 200);
  CHECK(out.events[1].cell == 2002);
  CHECK(out.events[1].prev_lac == 100);
  CHECK(out.events[1].prev_cell == 1001);
}

TEST_CASE("subscriber state survives a save and a load: no second roaming_in, TMSI map restored", "[correlator]") {
  const auto dir = std::filesystem::temp_directory_path() / "bssap-probe-test-state";
  std::filesystem::remove_all(dir);
  {
    collect out;
    correlator c({}, out);
    c.feed(lu(1, 1, 2, "262011234567890"));
    a_record acc = rec(a_kind::lu_accept, 1, 2, false);
    acc.tmsi = 0xabcdef01;
    acc.set(af_tmsi);
    c.feed(acc);
    c.feed(rec(a_kind::conn_close, 1, 3));
    std::string error;
    REQUIRE(c.save_state(dir, error));
  }
  collect out;
  correlator c({}, out);
  std::string error;
  REQUIRE(c.load_state(dir, error));
  c.feed(lu(5, 10, 0, "", 0xabcdef01));
  c.feed(accept(5, 11));
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].imsi.view() == "262011234567890");
  CHECK(out.events[0].prev_cell == 1001);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a corrupt state file is refused with a message", "[correlator]") {
  const auto dir = std::filesystem::temp_directory_path() / "bssap-probe-test-bad-state";
  std::filesystem::create_directories(dir);
  {
    std::FILE* f = std::fopen((dir / "subscribers.txt").c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("# bssap-probe subscriber state v1\n123 x\n", f);
    std::fclose(f);
  }
  collect out;
  correlator c({}, out);
  std::string error;
  CHECK_FALSE(c.load_state(dir, error));
  CHECK(error.find("malformed") != std::string::npos);
  std::filesystem::remove_all(dir);
}

// Found writing fuzz_state (issue 13): the reader cut what did not fit (a LAC of 70000 became
// 4464, a 5-digit MCC its first 3, a TMSI "zz" 0) and took an IMSI twice, leaving the first
// line's TMSI map entry behind. Each field is now checked; the message names line and field.
TEST_CASE("a state line whose field does not fit is refused, naming it", "[correlator]") {
  const auto dir = std::filesystem::temp_directory_path() / "bssap-probe-test-strict-state";
  std::filesystem::create_directories(dir);
  const std::string good = "262011234567890 1 1 1 1 1 262 01 4660 1001 35209900176148 abcdef01 abcdef01 1";
  auto load = [&](const std::string& body, std::string& error) {
    std::FILE* f = std::fopen((dir / "subscribers.txt").c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs(("# bssap-probe subscriber state v1\n" + body + "\n").c_str(), f);
    std::fclose(f);
    collect out;
    correlator c({}, out);
    error.clear();
    return c.load_state(dir, error);
  };
  std::string error;
  CHECK(load(good, error));
  const std::pair<std::string, std::string> bad[] = {
      {"262011234567890 1 1 1 1 1 262 01 70000 1001 - - - 1", "bad LAC"},
      {"262011234567890 3 1 1 1 1 262 01 4660 1001 - - - 1", "bad attach state"},
      {"262011234567890 1 2 1 1 1 262 01 4660 1001 - - - 1", "bad flag"},
      {"262011234567890 1 1 1 1 1 26201 01 4660 1001 - - - 1", "bad MCC"},
      {"262011234567890 1 1 1 1 1 262 0 4660 1001 - - - 1", "bad MNC"},
      {"262011234567890 1 1 1 1 1 262 01 4660 1001 - zz - 1", "bad TMSI"},
      {"262011234567890 1 1 1 1 1 262 01 4660 1001 - - 123456789 1", "bad TMSI map"},
      {"262011234567890 1 1 1 1 1 262 01 4660 1001 3520990017614899 - - 1", "bad IMEI"},
      {"262011234567890 1 1 1 1 1 262 01 4660 1001 - - - 1 extra", "more than 14 fields"},
      {good + "\n" + good, "IMSI listed twice"},
  };
  for (const auto& [line, why] : bad) {
    INFO(line);
    CHECK_FALSE(load(line, error));
    CHECK(error.find(why) != std::string::npos);
    CHECK(error.find("subscribers.txt:") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a CR answered by CREF yields no event and changes no state; the retry counts once", "[correlator][cref]") {
  collect out;
  correlator c({}, out);
  // The mobile's first attach: the CR's Location Updating Request, refused (Q.714 3.2.2).
  a_record first = lu(1, 1'000'000, 2, "262011234567890");
  first.set(af_in_cr);
  c.feed(first);
  CHECK(out.events.empty());  // held until the connection is confirmed
  c.feed(rec(a_kind::conn_refused, 1, 1'010'000, false));
  CHECK(out.events.empty());
  CHECK(c.stats().refused_records == 1);
  CHECK(c.open_connections() == 0);
  // The retry, confirmed: power_on and roaming_in (still the first LU seen for this IMSI), with
  // the retry's CR time, written when its procedure ends (the Accept).
  a_record retry = lu(2, 5'000'000, 2, "262011234567890");
  retry.set(af_in_cr);
  c.feed(retry);
  CHECK(out.events.empty());
  c.feed(rec(a_kind::conn_confirm, 2, 5'020'000, false));
  c.feed(accept(2, 5'100'000));
  REQUIRE(out.events.size() == 2);
  CHECK(out.events[0].type == event_type::power_on);
  CHECK(out.events[0].ts_us == 5'000'000);
  CHECK(out.events[1].type == event_type::roaming_in);
  c.feed(rec(a_kind::conn_close, 2, 6'000'000));
  CHECK(out.events.size() == 2);
  CHECK(c.stats().refused_records == 1);
}

TEST_CASE("an unconfirmed CR that ends without CREF (capture cut, timeout) still counts", "[correlator][cref]") {
  collect out;
  correlator c({}, out);
  a_record r = lu(1, 1'000'000, 1, "460001234567890");
  r.set(af_in_cr);
  c.feed(r);
  CHECK(out.events.empty());
  c.close_all();
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].type == event_type::periodic_update);
  CHECK(out.events[0].has(f_imsi));
  CHECK(c.stats().refused_records == 0);
  CHECK(c.stats().unresolved_events == 0);
}

TEST_CASE("a confirmed CR by unknown TMSI stays held until the IMSI is learned", "[correlator][cref]") {
  collect out;
  correlator c({}, out);
  a_record r = lu(1, 1'000'000, 0, "", 0xA1B2C3D4);
  r.set(af_in_cr);
  c.feed(r);
  c.feed(rec(a_kind::conn_confirm, 1, 1'010'000, false));
  CHECK(out.events.empty());  // confirmed, but no IMSI yet
  a_record id = rec(a_kind::identity_response, 1, 1'300'000);
  id.imsi.assign("460001234567890");
  id.set(af_imsi);
  c.feed(id);
  c.feed(accept(1, 1'400'000));
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].imsi.view() == "460001234567890");
  CHECK(out.events[0].ts_us == 1'000'000);
}

namespace {
a_record identity_imei(std::uint64_t conn, std::int64_t ts, std::string_view imei) {
  a_record r = rec(a_kind::identity_response, conn, ts);
  r.imei.assign(imei);
  r.set(af_imei);
  return r;
}
a_record lu_accept(std::uint64_t conn, std::int64_t ts, std::string_view mcc = "", std::string_view mnc = "",
                   std::uint16_t lac = 0) {
  a_record r = rec(a_kind::lu_accept, conn, ts, false);
  if (!mcc.empty()) {
    r.lai_mcc.assign(mcc);
    r.lai_mnc.assign(mnc);
    r.lai_lac = lac;
    r.set(af_lai);
  }
  return r;
}
}  // namespace

TEST_CASE("LU family: the IMEI revealed in the procedure, written at its end with the request's ts",
          "[correlator][lu_imei]") {
  collect out;
  correlator c({}, out);
  // First attach of a foreign IMSI; the MSC asks for the IMEI before the Accept.
  c.feed(lu(1, 1'000'000, 2, "262011234567890"));
  c.feed(identity_imei(1, 1'400'000, "35000011111111"));
  CHECK(out.events.empty());  // the procedure is still open
  c.feed(lu_accept(1, 1'600'000));
  REQUIRE(out.events.size() == 2);
  CHECK(out.events[0].type == event_type::power_on);
  CHECK(out.events[0].ts_us == 1'000'000);
  CHECK(out.events[0].imei.view() == "35000011111111");
  CHECK(out.events[1].type == event_type::roaming_in);
  CHECK(out.events[1].imei.view() == "35000011111111");
  c.feed(rec(a_kind::conn_close, 1, 1'700'000));

  // Re-attach from another handset: power_on has the new IMEI, then imei_change (its own ts).
  c.feed(lu(2, 5'000'000, 2, "262011234567890"));
  a_record cipher = rec(a_kind::cipher_complete, 2, 5'300'000);
  cipher.imei.assign("35999922222222");
  cipher.set(af_imei);
  c.feed(cipher);
  CHECK(out.events.size() == 2);
  c.feed(lu_accept(2, 5'500'000));
  REQUIRE(out.events.size() == 4);
  CHECK(out.events[2].type == event_type::power_on);
  CHECK(out.events[2].ts_us == 5'000'000);
  CHECK(out.events[2].imei.view() == "35999922222222");
  CHECK(out.events[3].type == event_type::imei_change);
  CHECK(out.events[3].ts_us == 5'300'000);
  CHECK(out.events[3].prev_imei.view() == "35000011111111");
  c.feed(rec(a_kind::conn_close, 2, 5'600'000));

  // A periodic update that reveals nothing carries the IMEI recorded before.
  c.feed(lu(3, 9'000'000, 1, "262011234567890"));
  c.feed(lu_accept(3, 9'100'000));
  REQUIRE(out.events.size() == 5);
  CHECK(out.events[4].imei.view() == "35999922222222");
}

TEST_CASE("LU family: a Reject or the connection's end also ends the procedure", "[correlator][lu_imei]") {
  collect out;
  correlator c({}, out);
  c.feed(lu(1, 1'000'000, 0, "460001234567890"));
  c.feed(identity_imei(1, 1'200'000, "35000011111111"));
  a_record reject = rec(a_kind::lu_reject, 1, 1'300'000, false);
  reject.cause = 13;
  reject.set(af_cause);
  c.feed(reject);
  REQUIRE(out.events.size() == 2);
  CHECK(out.events[0].type == event_type::location_update);
  CHECK(out.events[0].imei.view() == "35000011111111");
  CHECK(out.events[1].type == event_type::lu_reject);
  c.feed(rec(a_kind::conn_close, 1, 1'400'000));
  c.feed(lu(2, 2'000'000, 1, "460001234567890"));
  CHECK(out.events.size() == 2);
  c.feed(rec(a_kind::conn_close, 2, 2'500'000));  // no Accept: the connection's end
  REQUIRE(out.events.size() == 3);
  CHECK(out.events[2].type == event_type::periodic_update);
  CHECK(out.events[2].ts_us == 2'000'000);
}

TEST_CASE("a LAC+CI cell gives lac whatever the LAI; mcc/mnc from the LU Accept's LAI with that LAC",
          "[correlator][cell_lac]") {
  collect out;
  correlator_config cfg;
  cfg.home_plmns = {"460-00"};  // the cell's PLMN is not always known here: no roaming_in
  correlator c(cfg, out);
  auto lac_ci = [](a_record& r, std::uint16_t lac, std::uint32_t ci) {
    r.present = static_cast<std::uint16_t>(r.present & ~af_cell_plmn);
    r.cell_lac = lac;
    r.cell_ci = ci;
  };
  // A normal LU from LA 99 (the request's LAI) into a cell of LA 100, Cell Identifier LAC+CI.
  a_record req = lu(1, 1'000'000, 0, "460001234567890");
  lac_ci(req, 100, 1001);
  c.feed(req);
  c.feed(lu_accept(1, 1'200'000, "460", "00", 100));
  a_record sms = rec(a_kind::sms_mo, 1, 1'300'000);
  c.feed(sms);
  REQUIRE(out.events.size() == 2);
  CHECK(json(out.events[0]) ==
        "{\"ts\":\"1970-01-01T00:00:01.000000Z\",\"type\":\"location_update\",\"imsi\":\"460001234567890\","
        "\"mcc\":\"460\",\"mnc\":\"00\",\"lac\":100,\"cell\":1001,\"prev_lac\":99}\n");
  CHECK(out.events[1].type == event_type::sms_mo);
  CHECK(out.events[1].has(f_lai));
  CHECK(out.events[1].lac == 100);
  c.feed(rec(a_kind::conn_close, 1, 1'400'000));

  // An Accept whose LAI has another LAC does not lend its PLMN: lac alone.
  a_record req2 = lu(2, 2'000'000, 0, "460001234567891");
  lac_ci(req2, 101, 1011);
  c.feed(req2);
  c.feed(lu_accept(2, 2'200'000, "460", "00", 102));
  REQUIRE(out.events.size() == 3);
  CHECK(json(out.events[2]) ==
        "{\"ts\":\"1970-01-01T00:00:02.000000Z\",\"type\":\"location_update\",\"imsi\":\"460001234567891\","
        "\"lac\":101,\"cell\":1011,\"prev_lac\":99}\n");
  c.feed(rec(a_kind::conn_close, 2, 2'300'000));

  // A CM Service Request (no LAI at all) in a LAC+CI cell: lac and cell, no PLMN.
  a_record cm = rec(a_kind::cm_service_request, 3, 3'000'000);
  cm.set(af_cl3);
  cm.cell_lac = 100;
  cm.set(af_cell_lac);
  cm.cell_ci = 1002;
  cm.set(af_cell_ci);
  cm.imsi.assign("460001234567890");
  cm.set(af_imsi);
  c.feed(cm);
  a_record setup = rec(a_kind::cc_setup, 3, 3'100'000);
  setup.peer.assign("10086");
  setup.set(af_peer);
  c.feed(setup);
  REQUIRE(out.events.size() == 4);
  CHECK(out.events[3].type == event_type::call_mo);
  CHECK(out.events[3].has(f_lac));
  CHECK_FALSE(out.events[3].has(f_lai));
  CHECK(out.events[3].lac == 100);
  CHECK(out.events[3].cell == 1002u);
}

namespace {
// An MO call on connection 1 (BSC A), answered at 2 s; then an inter-BSC handover onto
// connection 2 (BSC B) opened by the MSC. `with_imsi`: the Handover Request carries the IMSI.
void call_then_inter_bsc_handover(correlator& c, bool with_imsi, std::uint64_t command_key) {
  a_record cm = rec(a_kind::cm_service_request, 1, 0);
  cgi(cm, "460", "00", 100, 1001);
  cm.imsi.assign("460001234567890");
  cm.set(af_imsi);
  c.feed(cm);
  a_record setup = rec(a_kind::cc_setup, 1, 1'000'000, true);
  setup.ti = 0x01;
  setup.peer.assign("10086");
  setup.set(af_peer);
  c.feed(setup);
  a_record answer = rec(a_kind::cc_connect, 1, 2'000'000, false);
  answer.ti = 0x01;
  c.feed(answer);
  // New connection: CR with Handover Request (target cell), CC with the acknowledge.
  a_record request = rec(a_kind::handover_request, 2, 10'000'000, false);
  request.set(af_in_cr);
  request.cell_lac = 300;
  request.set(af_cell_lac);
  request.cell_ci = 3003;
  request.set(af_cell_ci);
  if (with_imsi) {
    request.imsi.assign("460001234567890");
    request.set(af_imsi);
  }
  c.feed(request);
  c.feed(rec(a_kind::conn_confirm, 2, 10'050'000));
  a_record ack = rec(a_kind::handover_request_ack, 2, 10'050'000);
  ack.ho_key = 0x1234567;
  c.feed(ack);
  // Old connection: the Command relays the acknowledge's Layer 3 Information.
  a_record command = rec(a_kind::handover_command, 1, 10'100'000, false);
  command.ho_key = command_key;
  c.feed(command);
  c.feed(rec(a_kind::handover_complete, 2, 10'400'000));
  c.feed(rec(a_kind::conn_close, 1, 10'500'000));
  a_record disc = rec(a_kind::cc_clearing, 2, 32'000'000, true);
  disc.ti = 0x01;
  disc.cause = 16;
  disc.set(af_cause);
  c.feed(disc);
  c.feed(rec(a_kind::conn_close, 2, 33'000'000));
}
}  // namespace

TEST_CASE("inter-BSC handover: the new connection is the old one's subscriber and carries its calls",
          "[correlator][handover]") {
  const bool with_imsi = GENERATE(false, true);
  INFO("Handover Request with IMSI: " << with_imsi);
  collect out;
  correlator c({}, out);
  call_then_inter_bsc_handover(c, with_imsi, 0x1234567);
  REQUIRE(out.events.size() == 4);
  CHECK(out.events[0].type == event_type::call_mo);
  CHECK(out.events[1].type == event_type::call_answered);
  const event& ho = out.events[2];
  CHECK(ho.type == event_type::handover);
  CHECK(ho.imsi.view() == "460001234567890");
  CHECK(ho.lac == 300);
  CHECK(ho.cell == 3003);
  CHECK(ho.prev_lac == 100);
  CHECK(ho.prev_cell == 1001);
  const event& end = out.events[3];
  CHECK(end.type == event_type::call_end);
  CHECK(end.imsi.view() == "460001234567890");
  CHECK(end.peer.view() == "10086");
  CHECK(end.duration_ms == 30'000);
  CHECK(end.cause == 16);
  CHECK(c.stats().handovers_linked == 1);
  CHECK(c.stats().unresolved_events == 0);
}

TEST_CASE("inter-BSC handover: a Command that matches no acknowledge ties nothing, counted", "[correlator][handover]") {
  collect out;
  correlator c({}, out);
  call_then_inter_bsc_handover(c, false, 0x7654321);
  CHECK(c.stats().handovers_linked == 0);
  CHECK(c.stats().handover_unmatched == 1);
  // The new connection never learns who it is: its handover goes out unresolved, and its
  // Disconnect belongs to no known call.
  REQUIRE(out.events.size() == 3);
  CHECK(out.events[2].type == event_type::handover);
  CHECK(out.events[2].imsi.empty());
  CHECK(c.stats().unresolved_events == 1);
}
