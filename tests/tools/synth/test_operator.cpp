// The operator's side of the world (--operator-out): subscribers.csv and tac.csv agree with the
// capture's truth, are deterministic and never change the capture; and the behaviour classes
// (airport stayers, train riders, scenic-spot and outlet visitors, flaky and silent phones) show in
// the truth as the campaigns of examples/ need them.
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "synth_test_util.hpp"

using namespace synth_test;

namespace {

struct world_files {
  generated g;
  std::string subscribers;
  std::string tac;
};

world_files generate_world(const bs::config& cfg) {
  world_files w;
  bs::string_sink cap;
  bs::string_sink truth;
  bs::operator_world world;
  w.g.st = bs::generate(cfg, cap, &truth, &world);
  w.g.capture = std::move(cap.bytes);
  w.g.truth = std::move(truth.bytes);
  bs::string_sink subs;
  bs::string_sink tac;
  bs::write_operator_files(world, cfg.seed, subs, tac);
  w.subscribers = std::move(subs.bytes);
  w.tac = std::move(tac.bytes);
  return w;
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::size_t start = 0;
    for (;;) {
      const std::size_t comma = line.find(',', start);
      f.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    rows.push_back(std::move(f));
  }
  return rows;
}

bs::config sample_like() {
  bs::config c = bs::default_config();
  c.subscribers = 300;
  c.duration_s = 300;
  c.seed = 42;
  return c;
}

}  // namespace

TEST_CASE("operator files: columns, home and roaming rows, gaps, handsets of the truth", "[synth][operator]") {
  const auto cfg = sample_like();
  const auto w = generate_world(cfg);
  const auto subs = csv_rows(w.subscribers);
  const auto tacs = csv_rows(w.tac);
  REQUIRE(subs.size() > 200);
  CHECK(subs[0] ==
        std::vector<std::string>{"imsi", "msisdn", "brand", "plan", "region", "arpu", "seed_user", "data_4g"});
  REQUIRE(tacs.size() > 1);
  CHECK(tacs[0] == std::vector<std::string>{"tac", "brand", "model", "mms", "data_4g", "os"});

  std::set<std::string> home_brands;
  std::set<std::string> imsis;
  std::set<std::string> msisdns;
  int no_msisdn = 0;
  int roamers = 0;
  int seed_users = 0;
  int homes = 0;
  for (std::size_t i = 1; i < subs.size(); ++i) {
    const auto& r = subs[i];
    REQUIRE(r.size() == 8);
    CHECK(r[0].size() == 15);
    CHECK(imsis.insert(r[0]).second);
    const bool home = r[0].rfind("46000", 0) == 0 || r[0].rfind("46002", 0) == 0 || r[0].rfind("46007", 0) == 0;
    if (home) {
      ++homes;
      home_brands.insert(r[2]);
      if (r[1].empty()) {
        ++no_msisdn;
      } else {
        CHECK(msisdns.insert(r[1]).second);  // numbers are unique
        CHECK(r[1].size() == 11);
        CHECK(r[1][0] == '1');
      }
      CHECK_FALSE(r[4].empty());
      CHECK(std::stod(r[5]) > 0);
      CHECK((r[6] == "yes" || r[6] == "no"));
      seed_users += r[6] == "yes" ? 1 : 0;
    } else {
      ++roamers;
      CHECK(r[2].empty());     // not our brand
      CHECK(r[1].size() > 8);  // with its foreign country code
      CHECK(r[1].rfind("86", 0) != 0);
      CHECK_FALSE(r[4].empty());           // home country
      CHECK(r[0].rfind("52501", 0) != 0);  // barred roamers never reach the VLR
      CHECK(r[0].rfind("46692", 0) != 0);
    }
  }
  CHECK(home_brands == std::set<std::string>{"GoTone", "M-Zone", "Easyown"});
  CHECK(no_msisdn == 2);
  CHECK(roamers > 10);
  CHECK(seed_users > 3);
  CHECK(seed_users < homes / 8);

  // Some home subscribers of the capture have no row.
  std::set<std::string> truth_home;
  std::set<std::string> truth_tacs;
  for (const auto& e : parse_truth(w.g.truth)) {
    const std::string imsi(e.imsi.view());
    if (imsi.rfind("460", 0) == 0) truth_home.insert(imsi);
    if (e.has(bssap::f_imei)) truth_tacs.insert(std::string(e.imei.view().substr(0, 8)));
  }
  int missing = 0;
  for (const auto& i : truth_home) missing += imsis.count(i) == 0 ? 1 : 0;
  CHECK(missing > 0);
  CHECK(missing < static_cast<int>(truth_home.size()) / 10);

  // Every TAC the truth shows is in the table, each once; MMS yes and no both occur.
  std::set<std::string> table;
  std::set<std::string> mms;
  for (std::size_t i = 1; i < tacs.size(); ++i) {
    REQUIRE(tacs[i].size() == 6);
    CHECK(tacs[i][0].size() == 8);
    CHECK(table.insert(tacs[i][0]).second);
    mms.insert(tacs[i][3]);
  }
  for (const auto& t : truth_tacs) CHECK(table.count(t) == 1);
  CHECK(mms == std::set<std::string>{"yes", "no"});
}

TEST_CASE("operator files are deterministic and do not change the capture", "[synth][operator]") {
  const auto cfg = sample_like();
  const auto a = generate_world(cfg);
  const auto b = generate_world(cfg);
  CHECK(a.subscribers == b.subscribers);
  CHECK(a.tac == b.tac);
  const auto plain = generate(cfg);
  CHECK(plain.capture == a.g.capture);
  CHECK(plain.truth == a.g.truth);
  auto other = cfg;
  other.seed = 43;
  CHECK(generate_world(other).subscribers != a.subscribers);
}

TEST_CASE("behaviour classes show in the truth", "[synth][operator]") {
  const auto cfg = sample_like();
  const auto events = parse_truth(generate(cfg).truth);
  std::map<std::string, std::vector<const bssap::event*>> by;
  for (const auto& e : events) by[std::string(e.imsi.view())].push_back(&e);
  int flaky = 0;    // three power_off or more
  int riders = 0;   // four cell changes within 5 minutes
  int stayers = 0;  // at the airport (CI 10220/10221) over two minutes
  int silent = 0;   // power_on three minutes after the previous event
  int outlet = 0;   // a location update into the outlet's cell (CI 10213)
  int scenic = 0;   // events at the scenic spots (CI 10015/10115)
  for (const auto& [imsi, v] : by) {
    int offs = 0;
    std::vector<std::pair<std::int64_t, std::uint32_t>> cells;
    std::int64_t airport_since = -1;
    bool stayed = false;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const auto& e = *v[i];
      offs += e.type == bssap::event_type::power_off ? 1 : 0;
      if (e.type == bssap::event_type::power_on && i > 0 && e.ts_us - v[i - 1]->ts_us >= 180000000) ++silent;
      if (e.type == bssap::event_type::location_update && e.cell == 10213) ++outlet;
      if (e.has(bssap::f_cell) && (e.cell == 10015 || e.cell == 10115)) ++scenic;
      if (e.has(bssap::f_cell)) {
        cells.emplace_back(e.ts_us, e.cell);
        const bool at_airport = e.cell == 10220 || e.cell == 10221;
        if (!at_airport) airport_since = -1;
        if (at_airport && airport_since < 0) airport_since = e.ts_us;
        if (at_airport && e.ts_us - airport_since >= 120000000) stayed = true;
      }
    }
    flaky += offs >= 3 ? 1 : 0;
    stayers += stayed ? 1 : 0;
    int best = 0;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      int changes = 0;
      for (std::size_t j = 1; j <= i; ++j) {
        if (cells[j].first > cells[i].first - 300000000 && cells[j].second != cells[j - 1].second) ++changes;
      }
      best = std::max(best, changes);
    }
    riders += best >= 4 ? 1 : 0;
  }
  CHECK(flaky >= 1);
  CHECK(riders >= 1);
  CHECK(stayers >= 1);
  CHECK(silent >= 1);
  CHECK(outlet >= 1);
  CHECK(scenic >= 1);
}

TEST_CASE("the numbers the campaigns look for are dialled", "[synth][operator]") {
  auto cfg = sample_like();
  cfg.subscribers = 2000;
  std::set<std::string> kinds;
  for (const auto& e : parse_truth(generate(cfg).truth)) {
    if (e.type != bssap::event_type::call_mo) continue;
    const std::string p(e.peer.view());
    if (p == "10086" || p == "12580" || p == "1860") kinds.insert(p);
    if (p.rfind("125930", 0) == 0) kinds.insert("12593 0");
    if (p.rfind("0", 0) == 0 && p.rfind("00", 0) != 0) kinds.insert("0 area");
    if (p.size() == 11 && p.rfind("1860", 0) == 0) kinds.insert("1860xxxxxxx");
  }
  CHECK(kinds == std::set<std::string>{"10086", "12580", "1860", "12593 0", "0 area", "1860xxxxxxx"});
}

TEST_CASE("the mix (--mix) takes the behaviour classes, at most 100 per cent together", "[synth][operator]") {
  bs::scenario_mix m;
  std::string error;
  CHECK(bs::parse_mix("stayer=10,rider=0,silent=5", m, error));
  CHECK(m.stayer == 10);
  CHECK(m.rider == 0);
  CHECK(m.silent == 5);
  CHECK(m.tourist == 3);
  CHECK_FALSE(bs::parse_mix("stayer=60,rider=41", m, error));
  CHECK(error.find("more than 100") != std::string::npos);
  CHECK(m.stayer == 10);  // unchanged on error

  // No class at all: nobody lives at the airport.
  auto cfg = sample_like();
  CHECK(bs::parse_mix("stayer=0,rider=0,tourist=0,shopper=0,flaky=0,silent=0", cfg.mix, error));
  int at_airport = 0;
  for (const auto& e : parse_truth(generate(cfg).truth)) at_airport += e.cell == 10220 || e.cell == 10221 ? 1 : 0;
  CHECK(at_airport < 20);
}
