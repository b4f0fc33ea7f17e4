// The console's server in process: presence answers, limits, authentication, garbage.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "bssap/console/metrics.hpp"
#include "bssap/console/presence.hpp"
#include "bssap/console/server.hpp"
#include "console_test_util.hpp"

using namespace bssap;
using json = nlohmann::json;

namespace {

event make_event(std::string_view imsi, event_type t, std::int64_t ts_s, std::uint16_t lac, std::uint32_t cell) {
  event e;
  e.ts_us = ts_s * 1'000'000;
  e.type = t;
  e.imsi.assign(imsi);
  e.set(f_imsi);
  e.mcc.assign("460");
  e.mnc.assign("00");
  e.lac = lac;
  e.set(f_lai);
  e.cell = cell;
  e.set(f_cell);
  return e;
}

struct fixture {
  console::presence_index presence{{"460-00", "460-02"}};
  std::unique_ptr<console::server> http;
  explicit fixture(console::server_options o = {}) {
    auto a = make_event("460001234567890", event_type::power_on, 1'795'000'000, 9472, 10005);
    a.imei.assign("35209900123456");
    a.set(f_imei);
    presence.apply(a);
    presence.apply(make_event("460001234567890", event_type::location_update, 1'795'000'100, 9473, 10015));
    presence.apply(make_event("460021111111111", event_type::power_on, 1'795'000'000, 9474, 10022));
    presence.apply(make_event("460021111111111", event_type::power_off, 1'795'000'200, 9474, 10022));
    presence.apply(make_event("234150000000001", event_type::roaming_in, 1'795'000'300, 9506, 10220));
    o.port = 0;
    o.fresh_s = 3600;
    http = std::make_unique<console::server>(o, nullptr, &presence, nullptr);
    std::string error;
    REQUIRE(http->start(error));
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", http->port());
    c.set_read_timeout(10, 0);
    return c;
  }
};

}  // namespace

TEST_CASE("console: [ADDR:]PORT is parsed, loopback by default", "[console]") {
  std::string a, error;
  int p = 0;
  REQUIRE(console::parse_listen("9100", a, p, error));
  CHECK(a == "127.0.0.1");
  CHECK(p == 9100);
  REQUIRE(console::parse_listen("0.0.0.0:8080", a, p, error));
  CHECK(a == "0.0.0.0");
  CHECK(p == 8080);
  REQUIRE(console::parse_listen("[::1]:81", a, p, error));
  CHECK(a == "::1");
  CHECK_FALSE(console::parse_listen("host:", a, p, error));
  CHECK_FALSE(console::parse_listen("70000", a, p, error));
  CHECK_FALSE(console::parse_listen("x:12y", a, p, error));
  CHECK_FALSE(console::parse_listen(":80", a, p, error));
}

TEST_CASE("console: a subscriber by IMSI: attached, last event, location, device, roaming", "[console]") {
  fixture f;
  auto c = f.client();
  auto r = c.Get("/api/v1/subscribers/460001234567890");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const auto j = json::parse(r->body);
  CHECK(j["imsi"] == "460001234567890");
  CHECK(j["attached"] == true);
  CHECK(j["powered_on"] == true);  // 200 s before the newest event, fresh within 3600 s
  CHECK(j["last_event"] == "location_update");
  CHECK(j["last_seen"] == "2026-11-18T11:08:20.000000Z");
  CHECK(j["location"]["lac"] == 9473);
  CHECK(j["location"]["cell"] == 10015);
  CHECK(j["location"]["mcc"] == "460");
  CHECK(j["location"]["mnc"] == "00");
  CHECK(j["device"]["imei"] == "35209900123456");
  CHECK(j["device"]["tac"] == "35209900");
  CHECK(j["roaming"] == false);

  r = c.Get("/api/v1/subscribers/460021111111111");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["attached"] == false);  // power_off
  CHECK(json::parse(r->body)["powered_on"] == false);

  r = c.Get("/api/v1/subscribers/234150000000001");
  REQUIRE(r);
  CHECK(json::parse(r->body)["roaming"] == true);

  r = c.Get("/api/v1/subscribers/460009999999999");
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(json::parse(r->body)["known"] == false);
  for (const char* bad : {"/api/v1/subscribers/abc", "/api/v1/subscribers/1234567890123456", "/api/v1/subscribers/"}) {
    r = c.Get(bad);
    REQUIRE(r);
    CHECK(r->status == 400);
  }
}

TEST_CASE("console: POST /api/v1/presence answers each number, bounds and bad bodies are 4xx", "[console]") {
  fixture f;
  auto c = f.client();
  auto r = c.Post("/api/v1/presence", R"({"numbers":["460001234567890","+460021111111111","460009999999999","x1"]})",
                  "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const auto j = json::parse(r->body);
  REQUIRE(j["results"].size() == 4);
  CHECK(j["results"][0]["powered_on"] == true);
  CHECK(j["results"][0]["where"]["lac"] == 9473);
  CHECK(j["results"][1]["known"] == true);
  CHECK(j["results"][1]["powered_on"] == false);
  CHECK(j["results"][2]["known"] == false);
  CHECK(j["results"][3].contains("error"));

  // 10,000 numbers are allowed, 10,001 are not.
  json many = json::array();
  for (int i = 0; i < 10000; ++i) many.push_back(std::to_string(460000000000000LL + i));
  r = c.Post("/api/v1/presence", json{{"numbers", many}}.dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["results"].size() == 10000);
  many.push_back("460001234567890");
  r = c.Post("/api/v1/presence", json{{"numbers", many}}.dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 413);

  for (const char* body : {"not json", "{\"numbers\": 5}", "[1, 2]", "", "{\"numbers\": [\"1\""}) {
    r = c.Post("/api/v1/presence", body, "application/json");
    REQUIRE(r);
    CHECK(r->status == 400);
  }
  r = c.Post("/api/v1/presence", std::string(2u << 20, '['), "application/json");  // over the body limit
  REQUIRE(r);
  CHECK(r->status == 413);
  r = c.Get("/no/such/path");
  REQUIRE(r);
  CHECK(r->status == 404);
}

TEST_CASE("console: with a token every path but /metrics needs it", "[console]") {
  console::server_options o;
  o.token = "s3cret-token";
  fixture f(o);
  auto c = f.client();
  auto r = c.Get("/api/v1/subscribers/460001234567890");
  REQUIRE(r);
  CHECK(r->status == 401);
  r = c.Get("/api/v1/subscribers/460001234567890", {{"Authorization", "Bearer wrong"}});
  REQUIRE(r);
  CHECK(r->status == 401);
  r = c.Get("/api/v1/subscribers/460001234567890", {{"Authorization", "Bearer s3cret-token"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  r = c.Get("/api/v1/status", {{"Authorization", "Bearer s3cret-tokenX"}});
  REQUIRE(r);
  CHECK(r->status == 401);
  r = c.Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("console: requests beyond the rate get 429", "[console]") {
  console::server_options o;
  o.requests_per_s = 5;
  fixture f(o);
  auto c = f.client();
  int limited = 0, ok = 0;
  for (int i = 0; i < 30; ++i) {
    auto r = c.Get("/metrics");
    REQUIRE(r);
    if (r->status == 429) ++limited;
    if (r->status == 200) ++ok;
  }
  CHECK(ok >= 5);
  CHECK(limited >= 20);
}

TEST_CASE("console: garbage HTTP gets a 4xx or a closed connection, never a crash", "[console]") {
  console::server_options o;
  o.read_timeout_s = 0.3;  // a request that never completes is dropped after this long
  fixture f(o);
  const int port = f.http->port();
  auto status_of = [](const std::string& reply) {
    return reply.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(reply.substr(9, 3)) : 0;
  };
  CHECK(status_of(test::raw_exchange(port, "GARBAGE\r\n\r\n")) == 400);
  CHECK(status_of(test::raw_exchange(port, "GET\r\n\r\n")) == 400);
  CHECK(status_of(test::raw_exchange(port, "GET /metrics HTTP/9.9\r\n\r\n")) / 100 == 4);
  CHECK(status_of(test::raw_exchange(port, "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n")) / 100 == 4);
  CHECK(status_of(test::raw_exchange(port, "POST /api/v1/presence HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n")) /
            100 ==
        4);
  CHECK(status_of(
            test::raw_exchange(port, "POST /api/v1/presence HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")) /
            100 ==
        4);
  // Mutations of valid requests: random bytes flipped, inserted, cut.
  const std::vector<std::string> seeds{
      "GET /api/v1/subscribers/460001234567890 HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST /api/v1/presence HTTP/1.1\r\nHost: x\r\nContent-Length: 29\r\n\r\n{\"numbers\":[\"460001234567890\"]}",
      "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"};
  std::mt19937 rng(14);
  int answered = 0;
  for (int i = 0; i < 150; ++i) {
    std::string req = seeds[i % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits && !req.empty(); ++k) {
      const std::size_t at = rng() % req.size();
      switch (rng() % 3) {
        case 0:
          req[at] = static_cast<char>(rng());
          break;
        case 1:
          req.insert(at, 1, static_cast<char>(rng()));
          break;
        default:
          req.erase(at, 1 + rng() % 8);
      }
    }
    const int s = status_of(test::raw_exchange(port, req, 3));
    INFO("request " << i);
    CHECK(s < 500);
    if (s > 0) ++answered;
  }
  CHECK(answered > 50);
  auto c = f.client();
  auto r = c.Get("/metrics");  // still serving
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("console: /metrics shows a published snapshot and passes promtool", "[console]") {
  fixture f;
  auto figures = std::make_shared<probe::pipeline_figures>();
  figures->totals.packets = 1234;
  figures->totals.bytes = 99999;
  figures->totals.queue_drops = 7;
  figures->correlation.events[static_cast<std::size_t>(event_type::power_on)] = 11;
  figures->correlation.unresolved_events = 3;
  figures->decoders.errors.errors[static_cast<std::size_t>(dec::layer::sctp)][1] = 5;
  figures->tmsi_map = 42;
  figures->subscribers = 43;
  auto snap = std::make_shared<console::capture_snapshot>();
  snap->pipeline = figures;
  snap->capture.kernel_drops = 2;
  snap->finished = true;
  f.http->publish(snap);
  auto c = f.client();
  auto r = c.Get("/metrics");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const std::string& t = r->body;
  CHECK(test::metric(t, "bssap_capture_packets_total") == 1234);
  CHECK(test::metric(t, "bssap_capture_bytes_total") == 99999);
  CHECK(test::metric(t, "bssap_capture_drops_total{kind=\"queue\"}") == 7);
  CHECK(test::metric(t, "bssap_capture_drops_total{kind=\"kernel\"}") == 2);
  CHECK(test::metric(t, "bssap_events_total{type=\"power_on\"}") == 11);
  CHECK(test::metric(t, "bssap_events_total{type=\"handover\"}") == 0);
  CHECK(test::metric(t, "bssap_events_unresolved_total") == 3);
  CHECK(test::metric(t, "bssap_tmsi_map_entries") == 42);
  CHECK(test::metric(t, "bssap_subscribers") == 43);
  CHECK(test::metric(t, "bssap_presence_subscribers") == 3);
  CHECK(test::metric(t, "bssap_finished") == 1);
  CHECK(t.find("bssap_decode_errors_total{layer=\"sctp\"") != std::string::npos);
  CHECK(t.find("460001234567890") == std::string::npos);  // no subscriber identity anywhere

  const auto promtool = test::promtool_check(test::console_dir("promtool-unit"), t);
  if (!promtool) BSSAP_SKIP_OR_FAIL("promtool (Debian prometheus) missing");
  INFO(promtool->output);
  CHECK(promtool->status == 0);
}
