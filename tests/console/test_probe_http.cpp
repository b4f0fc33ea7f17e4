// bssap-probe with --http end to end: /metrics against the summary (and promtool), presence and
// visitor answers against what the capture's ground truth implies, the token, report --visitors.
#include <fmt/format.h>
#include <httplib.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "bssap/campaign/local_time.hpp"
#include "bssap/campaign/tables.hpp"
#include "bssap/console/visitors.hpp"
#include "bssap/event.hpp"
#include "console_test_util.hpp"

using namespace bssap;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path sample() {
  return test::source_dir() / "pcaps" / "sample.pcap";
}
fs::path sample_truth() {
  return test::source_dir() / "pcaps" / "sample.truth.jsonl";
}
fs::path examples() {
  return test::source_dir() / "examples";
}

std::string get(int port, const std::string& path, const httplib::Headers& h = {}) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  auto r = c.Get(path, h);
  return r ? r->body : std::string();
}

int get_status(int port, const std::string& path, const httplib::Headers& h = {}) {
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get(path, h);
  return r ? r->status : 0;
}

// Waits until the replay has ended and its summary is printed (the final figures are published
// before it).
bool wait_summary(const fs::path& err) {
  return test::wait_until([&] { return test::slurp(err).find("correl     subscribers") != std::string::npos; },
                          std::chrono::seconds(300));
}

// A probe.yaml with the sample's tables and no campaigns.
fs::path write_config(const fs::path& dir) {
  const auto p = dir / "probe.yaml";
  std::ofstream(p) << "home_plmns: [460-00, 460-02, 460-07]\n"
                   << "timezone: \"+08:00\"\n"
                   << "state_dir: " << (dir / "state").string() << "\n"
                   << "subscribers: " << (examples() / "subscribers.csv").string() << "\n"
                   << "tac: " << (examples() / "tac.csv").string() << "\n"
                   << "areas: " << (examples() / "areas.yaml").string() << "\n";
  return p;
}

// The sample's number segments (bssap-synth new_msisdn) by region, partly: the rest is unknown.
fs::path write_regions(const fs::path& dir) {
  const auto p = dir / "regions.csv";
  std::ofstream(p) << "prefix,region\n134,北京\n135,广州\n136,深圳\n1380,上海\n139,武汉\n150,广州\n";
  return p;
}

std::vector<event> truth_events() {
  std::vector<event> out;
  std::ifstream in(sample_truth());
  std::string line, error;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto e = parse_json_line(line, &error);
    REQUIRE(e);
    out.push_back(*e);
  }
  return out;
}

}  // namespace

TEST_CASE("probe --http: /metrics after a replay equals its summary and passes promtool", "[console][e2e]") {
  const auto dir = test::console_dir("metrics");
  test::child probe({test::probe_path(), "replay", sample().string(), "--threads", "2", "--http", "127.0.0.1:0",
                     "--http-linger", "120", "--events", (dir / "events.jsonl").string()},
                    dir / "out.txt", dir / "err.txt");
  const int port = test::wait_console_port(dir / "err.txt");
  REQUIRE(port > 0);
  REQUIRE(wait_summary(dir / "err.txt"));
  const std::string text = get(port, "/metrics");
  const std::string summary = test::slurp(dir / "err.txt");
  INFO(summary);
  CHECK(test::metric(text, "bssap_finished") == 1);
  CHECK(test::metric(text, "bssap_capture_packets_total") == test::summary_value(summary, "capture", "packets"));
  CHECK(test::metric(text, "bssap_capture_bytes_total") == test::summary_value(summary, "capture", "bytes"));
  CHECK(test::metric(text, "bssap_capture_drops_total{kind=\"queue\"}") ==
        test::summary_value(summary, "capture", "queue_drops"));
  CHECK(test::metric(text, "bssap_sccp_connections_opened_total") ==
        test::summary_value(summary, "sccp", "connections_opened"));
  CHECK(test::metric(text, "bssap_sccp_messages_total") == test::summary_value(summary, "stack", "sccp_messages"));
  CHECK(test::metric(text, "bssap_events_unresolved_total") == test::summary_value(summary, "events", "unresolved"));
  CHECK(test::metric(text, "bssap_subscribers") == test::summary_value(summary, "correl", "subscribers"));
  double total = 0;
  for (std::size_t t = 0; t < event_type_count; ++t) {
    const std::string name(to_string(static_cast<event_type>(t)));
    const auto v = test::metric(text, "bssap_events_total{type=\"" + name + "\"}");
    REQUIRE(v);
    total += *v;
    CHECK(*v == static_cast<double>(test::summary_value(summary, "events", name).value_or(0)));
  }
  CHECK(total == test::summary_value(summary, "events", "total"));
  CHECK(total > 500);

  const auto promtool = test::promtool_check(dir, text);
  if (!promtool) BSSAP_SKIP_OR_FAIL("promtool (Debian prometheus) missing");
  INFO(promtool->output);
  CHECK(promtool->status == 0);
  CHECK(probe.stop(SIGTERM) == 0);
}

TEST_CASE("probe --http: presence and visitors equal what the capture's truth implies", "[console][e2e]") {
  const auto dir = test::console_dir("presence");
  const auto config = write_config(dir);
  const auto regions = write_regions(dir);
  constexpr double fresh_s = 300;
  test::child probe({test::probe_path(), "replay", sample().string(), "--config", config.string(), "--http",
                     "127.0.0.1:0", "--http-linger", "300", "--presence-fresh", "300", "--regions", regions.string(),
                     "--events", (dir / "events.jsonl").string()},
                    dir / "out.txt", dir / "err.txt");
  const int port = test::wait_console_port(dir / "err.txt");
  REQUIRE(port > 0);
  REQUIRE(wait_summary(dir / "err.txt"));

  // What the truth implies: each IMSI's newest event; attached unless it was power_off or
  // lu_reject; the location of its newest event with a LAC; "now" = the newest event of all.
  struct expect {
    event last;
    std::optional<event> located;
  };
  std::map<std::string, expect> want;
  std::int64_t clock = 0;
  const auto truth = truth_events();
  for (const auto& e : truth) {
    clock = std::max(clock, e.ts_us);
    if (!e.has(f_imsi)) continue;
    auto [it, fresh] = want.try_emplace(std::string(e.imsi.view()), expect{e, std::nullopt});
    if (!fresh && e.ts_us >= it->second.last.ts_us) it->second.last = e;
    if ((e.has(f_lai) || e.has(f_lac)) && (!it->second.located || e.ts_us >= it->second.located->ts_us))
      it->second.located = e;
  }
  REQUIRE(want.size() > 100);

  std::vector<std::string> imsis;
  for (const auto& [imsi, x] : want) imsis.push_back(imsi);
  std::size_t powered = 0, checked = 0;
  for (std::size_t from = 0; from < imsis.size(); from += 10000) {
    json numbers = json::array();
    for (std::size_t i = from; i < std::min(imsis.size(), from + 10000); ++i) numbers.push_back(imsis[i]);
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60, 0);
    auto r = c.Post("/api/v1/presence", json{{"numbers", numbers}}.dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    const auto j = json::parse(r->body);
    for (const auto& item : j["results"]) {
      const auto& x = want.at(item["number"].get<std::string>());
      const bool attached = x.last.type != event_type::power_off && x.last.type != event_type::lu_reject;
      const bool on = attached && static_cast<double>(clock - x.last.ts_us) <= fresh_s * 1e6;
      INFO(item.dump());
      CHECK(item["known"] == true);
      CHECK(item["powered_on"] == on);
      powered += on ? 1 : 0;
      if (x.located) CHECK(item["where"]["lac"] == x.located->lac);
      if (x.located && x.located->has(f_cell)) CHECK(item["where"]["cell"] == x.located->cell);
      ++checked;
    }
  }
  CHECK(checked == imsis.size());
  CHECK(powered > 0);
  CHECK(powered < checked);

  // By MSISDN (the subscriber table), with the details.
  std::string error;
  campaign::load_report lr;
  const auto profiles = campaign::profile_table::load((examples() / "subscribers.csv").string(), lr, error);
  REQUIRE(profiles);
  std::size_t by_msisdn = 0;
  for (const auto& imsi : imsis) {
    const auto row = profiles->find_imsi(imsi);
    if (!row || profiles->msisdn(*row).empty()) continue;
    const auto j = json::parse(get(port, "/api/v1/subscribers/" + profiles->msisdn(*row)));
    const auto& x = want.at(imsi);
    INFO(j.dump());
    CHECK(j["imsi"] == imsi);
    CHECK(j["msisdn"] == profiles->msisdn(*row));
    CHECK(j["last_event"] == std::string(to_string(x.last.type)));
    CHECK(j["roaming"] == !(imsi.starts_with("46000") || imsi.starts_with("46002") || imsi.starts_with("46007")));
    if (++by_msisdn == 100) break;
  }
  CHECK(by_msisdn == 100);

  // Visitors of every area: distinct IMSIs per local hour (+08:00) and day, by origin.
  const auto areas = campaign::area_table::load((examples() / "areas.yaml").string(), error);
  REQUIRE(areas);
  auto region_table = console::region_table::load(regions.string(), error);
  REQUIRE(region_table);
  const auto tz = campaign::local_clock::from_name("+08:00", error);
  REQUIRE(tz);
  std::size_t areas_with_visitors = 0;
  for (std::size_t a = 0; a < areas->names().size(); ++a) {
    // hour label -> imsi -> origin
    std::map<std::string, std::map<std::string, std::string>> hours, days;
    for (const auto& e : truth) {
      if (!e.has(f_imsi) || !(e.has(f_lai) || e.has(f_lac))) continue;
      if (!areas->contains(static_cast<campaign::area_id>(a), e.lac,
                           e.has(f_cell) ? std::optional<std::uint32_t>(e.cell) : std::nullopt))
        continue;
      const std::string imsi(e.imsi.view());
      std::string origin;
      if (imsi.starts_with("46000") || imsi.starts_with("46002") || imsi.starts_with("46007")) {
        const auto row = profiles->find_imsi(imsi);
        const std::string region(row ? region_table->region_of(profiles->msisdn(*row)) : std::string_view());
        origin = "home:" + (region.empty() ? std::string("unknown") : region);
      } else {
        origin = "roam:" + console::plmn_of_imsi(imsi);
      }
      const std::int64_t local = tz->to_local_us(e.ts_us);
      const std::int64_t hour = local / 3'600'000'000LL;
      const std::string date = campaign::format_date(static_cast<campaign::local_days>(hour / 24));
      hours[fmt::format("{}T{:02}:00", date, hour % 24)][imsi] = origin;
      days[date][imsi] = origin;
    }
    auto summarize = [](const std::map<std::string, std::string>& seen) {
      json home = json::object(), roam = json::object();
      for (const auto& [imsi, o] : seen) {
        json& j = o.starts_with("home:") ? home : roam;
        const std::string k = o.substr(5);
        j[k] = j.value(k, 0) + 1;
      }
      return std::pair{home, roam};
    };
    const auto got = json::parse(get(port, "/api/v1/areas/" + areas->names()[a] + "/visitors"));
    INFO(areas->names()[a] << ": " << got.dump());
    REQUIRE(got["hours"].size() == hours.size());
    std::size_t i = 0;
    for (const auto& [label, seen] : hours) {
      const auto& h = got["hours"][i++];
      CHECK(h["start"] == label);
      CHECK(h["visitors"] == seen.size());
      const auto [home, roam] = summarize(seen);
      CHECK(h["home"] == home);
      CHECK(h["roamers"] == roam);
    }
    REQUIRE(got["days"].size() == days.size());
    i = 0;
    for (const auto& [label, seen] : days) {
      const auto& d = got["days"][i++];
      CHECK(d["start"] == label);
      CHECK(d["visitors"] == seen.size());
    }
    if (!hours.empty()) ++areas_with_visitors;

    // The same from the event log, offline.
    const auto cmd = test::probe_path() + " report --config " + config.string() + " --visitors " +
                     (dir / "events.jsonl").string() + " --regions " + regions.string() + " --area " +
                     areas->names()[a] + " --json > " + (dir / "report.json").string() + " 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    const auto offline = json::parse(test::slurp(dir / "report.json"), nullptr, false);
    CHECK(offline == got);
  }
  CHECK(areas_with_visitors >= 2);
  CHECK(get_status(port, "/api/v1/areas/no-such-area/visitors") == 404);
  CHECK(get_status(port, "/api/v1/areas/airport/visitors?from=yesterday") == 400);
  CHECK(probe.stop(SIGTERM) == 0);
}

TEST_CASE("probe --http-token-env: the token guards the API and never reaches the logs", "[console][e2e]") {
  const auto dir = test::console_dir("token");
  const std::string token = "tok-" + std::to_string(::getpid()) + "-Zq9";
  ::setenv("BSSAP_CONSOLE_TEST_TOKEN", token.c_str(), 1);
  test::child probe({test::probe_path(), "replay", sample().string(), "--http", "127.0.0.1:0", "--http-token-env",
                     "BSSAP_CONSOLE_TEST_TOKEN", "--http-linger", "120", "--stats", "1"},
                    dir / "out.txt", dir / "err.txt");
  const int port = test::wait_console_port(dir / "err.txt");
  REQUIRE(port > 0);
  REQUIRE(wait_summary(dir / "err.txt"));
  CHECK(get_status(port, "/metrics") == 200);
  CHECK(get_status(port, "/") == 200);  // the page itself carries no data
  CHECK(get_status(port, "/api/v1/status") == 401);
  CHECK(get_status(port, "/api/v1/subscribers/460001000298202") == 401);
  CHECK(get_status(port, "/api/v1/subscribers/460001000298202", {{"Authorization", "Bearer " + token}}) == 200);
  CHECK(get_status(port, "/api/v1/status", {{"Authorization", "Bearer " + token}}) == 200);
  CHECK(probe.stop(SIGTERM) == 0);
  const std::string logs = test::slurp(dir / "err.txt") + test::slurp(dir / "out.txt");
  CHECK(logs.find(token) == std::string::npos);
  // A missing variable is a user error.
  ::unsetenv("BSSAP_CONSOLE_TEST_TOKEN");
  test::child bad({test::probe_path(), "replay", sample().string(), "--http", "127.0.0.1:0", "--http-token-env",
                   "BSSAP_CONSOLE_TEST_TOKEN"},
                  dir / "out2.txt", dir / "err2.txt");
  CHECK(bad.wait() == 1);
  CHECK(test::slurp(dir / "err2.txt").find("BSSAP_CONSOLE_TEST_TOKEN is not set") != std::string::npos);
}

namespace {

// Frames and octets (caplen) of a classic little-endian pcap file.
std::pair<std::uint64_t, std::uint64_t> pcap_frames(const fs::path& p) {
  const std::string d = test::slurp(p);
  REQUIRE(d.size() >= 24);
  auto u32 = [&](std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, d.data() + at, 4);
    return v;
  };
  REQUIRE(u32(0) == 0xa1b2c3d4u);
  std::uint64_t frames = 0, bytes = 0;
  for (std::size_t at = 24; at + 16 <= d.size();) {
    const std::uint32_t caplen = u32(at + 8);
    frames += 1;
    bytes += caplen;
    at += 16 + caplen;
  }
  return {frames, bytes};
}

// What the truth implies for one area: local hour label -> IMSI -> origin, and the same by day,
// over the truth events `keep` accepts.
struct visitor_truth {
  std::map<std::string, std::map<std::string, std::string>> hours, days;
};
visitor_truth expected_visitors(const std::vector<event>& truth, const campaign::area_table& areas, campaign::area_id a,
                                const campaign::profile_table& profiles, const console::region_table& regions,
                                const campaign::local_clock& tz, const std::function<bool(const event&)>& keep) {
  visitor_truth v;
  for (const auto& e : truth) {
    if (!e.has(f_imsi) || !(e.has(f_lai) || e.has(f_lac)) || !keep(e)) continue;
    if (!areas.contains(a, e.lac, e.has(f_cell) ? std::optional<std::uint32_t>(e.cell) : std::nullopt)) continue;
    const std::string imsi(e.imsi.view());
    std::string origin;
    if (imsi.starts_with("46000") || imsi.starts_with("46002") || imsi.starts_with("46007")) {
      const auto row = profiles.find_imsi(imsi);
      const std::string region(row ? regions.region_of(profiles.msisdn(*row)) : std::string_view());
      origin = "home:" + (region.empty() ? std::string("unknown") : region);
    } else {
      origin = "roam:" + console::plmn_of_imsi(imsi);
    }
    const std::int64_t hour = tz.to_local_us(e.ts_us) / 3'600'000'000LL;
    const std::string date = campaign::format_date(static_cast<campaign::local_days>(hour / 24));
    v.hours[fmt::format("{}T{:02}:00", date, hour % 24)][imsi] = origin;
    v.days[date][imsi] = origin;
  }
  return v;
}

void check_visitors(const json& got, const visitor_truth& want) {
  auto summarize = [](const std::map<std::string, std::string>& seen) {
    json home = json::object(), roam = json::object();
    for (const auto& [imsi, o] : seen) {
      json& j = o.starts_with("home:") ? home : roam;
      const std::string k = o.substr(5);
      j[k] = j.value(k, 0) + 1;
    }
    return std::pair{home, roam};
  };
  INFO(got.dump());
  REQUIRE(got["hours"].size() == want.hours.size());
  std::size_t i = 0;
  for (const auto& [label, seen] : want.hours) {
    const auto& h = got["hours"][i++];
    CHECK(h["start"] == label);
    CHECK(h["visitors"] == seen.size());
    const auto [home, roam] = summarize(seen);
    CHECK(h["home"] == home);
    CHECK(h["roamers"] == roam);
  }
  REQUIRE(got["days"].size() == want.days.size());
  i = 0;
  for (const auto& [label, seen] : want.days) {
    const auto& d = got["days"][i++];
    CHECK(d["start"] == label);
    CHECK(d["visitors"] == seen.size());
    const auto [home, roam] = summarize(seen);
    CHECK(d["home"] == home);
    CHECK(d["roamers"] == roam);
  }
}

}  // namespace

TEST_CASE("probe --http --visitors-record: an area's visitors from a record campaign equal the truth's",
          "[console][e2e]") {
  const auto dir = test::console_dir("record");
  const auto config = write_config(dir);
  // The example record campaign: registrations (location_update, periodic_update) in scenic-spot.
  std::ofstream(config, std::ios::app) << "campaigns: [" << (examples() / "campaigns" / "scenic-visitors.yaml").string()
                                       << "]\n";
  const auto regions = write_regions(dir);
  test::child probe(
      {test::probe_path(), "replay", sample().string(), "--config", config.string(), "--http", "127.0.0.1:0",
       "--http-linger", "300", "--regions", regions.string(), "--visitors-record", "scenic-spot=scenic-visitors",
       "--decisions", (dir / "decisions.jsonl").string(), "--events", (dir / "events.jsonl").string()},
      dir / "out.txt", dir / "err.txt");
  const int port = test::wait_console_port(dir / "err.txt");
  REQUIRE(port > 0);
  REQUIRE(wait_summary(dir / "err.txt"));
  INFO(test::slurp(dir / "err.txt"));

  std::string error;
  const auto areas = campaign::area_table::load((examples() / "areas.yaml").string(), error);
  REQUIRE(areas);
  campaign::load_report lr;
  const auto profiles = campaign::profile_table::load((examples() / "subscribers.csv").string(), lr, error);
  REQUIRE(profiles);
  const auto region_table = console::region_table::load(regions.string(), error);
  REQUIRE(region_table);
  const auto tz = campaign::local_clock::from_name("+08:00", error);
  REQUIRE(tz);
  const auto truth = truth_events();
  const auto& names = areas->names();
  std::size_t scenic = names.size();
  for (std::size_t a = 0; a < names.size(); ++a)
    if (names[a] == "scenic-spot") scenic = a;
  REQUIRE(scenic < names.size());

  // scenic-spot: only the campaign's registrations; every other area: every event, as before.
  auto registrations = [](const event& e) {
    return e.type == event_type::location_update || e.type == event_type::periodic_update;
  };
  auto any = [](const event&) { return true; };
  std::size_t fewer_hours_or_visitors = 0;
  for (std::size_t a = 0; a < names.size(); ++a) {
    const auto want = expected_visitors(truth, *areas, static_cast<campaign::area_id>(a), *profiles, *region_table, *tz,
                                        a == scenic ? std::function<bool(const event&)>(registrations) : any);
    const auto got = json::parse(get(port, "/api/v1/areas/" + names[a] + "/visitors"));
    check_visitors(got, want);
    if (a == scenic) {
      REQUIRE(!want.hours.empty());
      // The record source is not the events source in disguise: every event would count more.
      const auto all =
          expected_visitors(truth, *areas, static_cast<campaign::area_id>(a), *profiles, *region_table, *tz, any);
      std::size_t n_rec = 0, n_all = 0;
      for (const auto& [d, s] : want.days) n_rec += s.size();
      for (const auto& [d, s] : all.days) n_all += s.size();
      if (n_rec < n_all || want.hours.size() < all.hours.size()) ++fewer_hours_or_visitors;
    }
    // The same offline from the two logs: events joined to the record decisions by event_id.
    const auto cmd = test::probe_path() + " report --config " + config.string() + " --visitors " +
                     (dir / "events.jsonl").string() + " --regions " + regions.string() +
                     " --visitors-record scenic-spot=scenic-visitors --visitors-decisions " +
                     (dir / "decisions.jsonl").string() + " --area " + names[a] + " --json > " +
                     (dir / "report.json").string() + " 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    CHECK(json::parse(test::slurp(dir / "report.json"), nullptr, false) == got);
  }
  CHECK(fewer_hours_or_visitors == 1);

  // The engines' subscriber table, now summed over the shards.
  const std::string text = get(port, "/metrics");
  const auto subs = test::metric(text, "bssap_campaign_subscribers");
  REQUIRE(subs);
  CHECK(*subs > 100);
  CHECK(*test::metric(text, "bssap_campaign_subscribers_with_history") <= *subs);
  CHECK(*test::metric(text, "bssap_campaign_state_bytes") > *subs);
  CHECK(test::metric(text, "bssap_campaign_recorded_total") > 0);

  // Mistakes are one line at start.
  CHECK(std::system((test::probe_path() + " replay " + sample().string() + " --config " + config.string() +
                     " --http 127.0.0.1:0 --visitors-record nowhere=scenic-visitors > /dev/null 2>&1")
                        .c_str()) != 0);
  CHECK(std::system((test::probe_path() + " replay " + sample().string() + " --config " + config.string() +
                     " --http 127.0.0.1:0 --visitors-record scenic-spot=no-such > /dev/null 2>&1")
                        .c_str()) != 0);
  CHECK(probe.stop(SIGTERM) == 0);
}

TEST_CASE("probe dpdk --http: packets, bytes and drops per port and per RX queue, promtool clean",
          "[console][e2e][dpdk]") {
  const auto dir = test::console_dir("dpdk");
  const auto a = sample(), b = test::source_dir() / "pcaps" / "m3ua.pcap";
  test::child probe({test::probe_path(), "dpdk", "--no-huge", "--no-pci", "-m", "256", "--log-level=1",
                     "--file-prefix=bssap-console-" + std::to_string(::getpid()),
                     "--vdev=net_pcap0,rx_pcap=" + a.string() + ",rx_pcap=" + b.string(), "--", "--idle-exit", "1",
                     "--http", "127.0.0.1:0", "--http-linger", "120", "--events", (dir / "events.jsonl").string()},
                    dir / "out.txt", dir / "err.txt");
  const int port = test::wait_console_port(dir / "err.txt");
  REQUIRE(port > 0);
  REQUIRE(wait_summary(dir / "err.txt"));
  const std::string text = get(port, "/metrics");
  INFO(test::slurp(dir / "err.txt"));
  INFO(text);
  const auto [fa, ba] = pcap_frames(a);
  const auto [fb, bb] = pcap_frames(b);
  const std::string q0 = "{interface=\"net_pcap0\",port=\"0\",queue=\"0\"}",
                    q1 = "{interface=\"net_pcap0\",port=\"0\",queue=\"1\"}";
  // net_pcap: each rx_pcap file is one queue, in order.
  CHECK(test::metric(text, "bssap_capture_queue_packets_total" + q0) == static_cast<double>(fa));
  CHECK(test::metric(text, "bssap_capture_queue_packets_total" + q1) == static_cast<double>(fb));
  CHECK(test::metric(text, "bssap_capture_queue_bytes_total" + q0) == static_cast<double>(ba));
  CHECK(test::metric(text, "bssap_capture_queue_bytes_total" + q1) == static_cast<double>(bb));
  const std::string port0 = "interface=\"net_pcap0\",port=\"0\"";
  CHECK(test::metric(text, "bssap_capture_interface_packets_total{" + port0 + "}") == static_cast<double>(fa + fb));
  CHECK(test::metric(text, "bssap_capture_interface_bytes_total{" + port0 + "}") == static_cast<double>(ba + bb));
  CHECK(test::metric(text, "bssap_capture_packets_total") == static_cast<double>(fa + fb));
  for (const char* kind : {"kernel", "interface", "queue"})
    CHECK(test::metric(text, "bssap_capture_interface_drops_total{" + port0 + ",kind=\"" + kind + "\"}") == 0);
  for (const auto& q : {q0, q1})
    for (const char* kind : {"interface", "queue"})
      CHECK(test::metric(
                text, "bssap_capture_queue_drops_total" + q.substr(0, q.size() - 1) + ",kind=\"" + kind + "\"}") == 0);
  const auto promtool = test::promtool_check(dir, text);
  if (!promtool) BSSAP_SKIP_OR_FAIL("promtool (Debian prometheus) missing");
  INFO(promtool->output);
  CHECK(promtool->status == 0);
  CHECK(probe.stop(SIGTERM) == 0);
}

TEST_CASE("probe live --http: packets, bytes and drops per interface", "[console][e2e][live]") {
  if (::geteuid() != 0) BSSAP_SKIP_OR_FAIL("live capture on lo needs root (CAP_NET_RAW)");
  if (std::system("command -v tcpreplay >/dev/null 2>&1") != 0) BSSAP_SKIP_OR_FAIL("tcpreplay missing");
  const auto dir = test::console_dir("live");
  test::child probe(
      {test::probe_path(), "live", "-i", "lo", "--http", "127.0.0.1:0", "--events", (dir / "events.jsonl").string()},
      dir / "out.txt", dir / "err.txt");
  const int port = test::wait_console_port(dir / "err.txt");
  REQUIRE(port > 0);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the capture is open (pcap_activate)
  const auto [frames, bytes] = pcap_frames(sample());
  REQUIRE(std::system(("tcpreplay -q --pps 20000 -i lo " + sample().string() + " > /dev/null 2>&1").c_str()) == 0);
  const std::string lo = "{interface=\"lo\"}";
  std::string text;
  // lo also carries our own HTTP requests: at least the replayed frames, and the per-interface
  // count equals the total (one interface; both counted in the same callback, snapshot whole).
  REQUIRE(test::wait_until(
      [&] {
        text = get(port, "/metrics");
        const auto n = test::metric(text, "bssap_capture_interface_packets_total" + lo);
        return n && *n >= static_cast<double>(frames);
      },
      std::chrono::seconds(60)));
  INFO(text);
  CHECK(test::metric(text, "bssap_capture_interface_packets_total" + lo) ==
        test::metric(text, "bssap_capture_packets_total"));
  CHECK(test::metric(text, "bssap_capture_interface_bytes_total" + lo) ==
        test::metric(text, "bssap_capture_bytes_total"));
  CHECK(*test::metric(text, "bssap_capture_interface_bytes_total" + lo) >= static_cast<double>(bytes));
  for (const char* kind : {"kernel", "interface", "queue"}) {
    const auto per =
        test::metric(text, "bssap_capture_interface_drops_total{interface=\"lo\",kind=\"" + std::string(kind) + "\"}");
    REQUIRE(per);
    CHECK(per == test::metric(text, "bssap_capture_drops_total{kind=\"" + std::string(kind) + "\"}"));
  }
  CHECK(test::metric(text, "bssap_events_total{type=\"location_update\"}") > 0);
  CHECK(probe.stop(SIGTERM) == 0);
}
