// Every example campaign (examples/campaigns/) on the bundled sample capture through smpp-stub:
// which subscribers were contacted and which were suppressed and why, checked against an oracle
// written here from campaigns.md alone and fed with the capture's ground truth
// (pcaps/sample.truth.jsonl): the candidates of each campaign (trigger, where, target, history),
// then each decision's reason (no_msisdn, dnd, control group, cap, priority), each message at the
// SMSC, each deferral's release; and across a restart on the same state_dir, nothing twice.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "../smpp/proc.hpp"
#include "bssap/campaign/config.hpp"
#include "bssap/campaign/engine.hpp"
#include "bssap/campaign/local_time.hpp"
#include "engine_support.hpp"

using namespace std::chrono_literals;
using namespace bssap;
namespace t = bssap::test;
using campaign::cmp_op;

namespace {

struct csv_table {
  std::vector<std::string> header;
  std::map<std::string, std::map<std::string, std::string>> rows;  // key column -> column -> value
};
csv_table read_csv(const std::filesystem::path& p, const std::string& key) {
  csv_table t;
  std::ifstream f(p);
  std::string line;
  std::getline(f, line);
  for (std::size_t s = 0, e = 0; e != std::string::npos; s = e + 1)
    t.header.push_back(line.substr(s, (e = line.find(',', s)) - s));
  while (std::getline(f, line)) {
    std::vector<std::string> v;
    for (std::size_t s = 0, e = 0; e != std::string::npos; s = e + 1)
      v.push_back(line.substr(s, (e = line.find(',', s)) - s));
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < t.header.size() && i < v.size(); ++i) row[t.header[i]] = v[i];
    t.rows[row[key]] = row;
  }
  return t;
}

std::optional<double> number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || s.find_first_not_of("+-.0123456789") != std::string::npos) return std::nullopt;
  return d;
}

// campaigns.md "Operators in a condition" on one value (areas: on each name, any/none).
bool compare(const std::string& v, cmp_op op, const std::vector<std::string>& values) {
  auto eq = [&](const std::string& w) {
    const auto a = number(v), b = number(w);
    return a && b ? *a == *b : v == w;
  };
  auto ord = [&](const std::string& w) {
    const auto a = number(v), b = number(w);
    return a && b ? (*a < *b ? -1 : *a > *b) : v.compare(w) < 0 ? -1 : v.compare(w) > 0;
  };
  auto any = [&](auto f) { return std::any_of(values.begin(), values.end(), f); };
  switch (op) {
    case cmp_op::eq:
    case cmp_op::in:
      return any(eq);
    case cmp_op::ne:
    case cmp_op::not_in:
      return !any(eq);
    case cmp_op::lt:
      return any([&](const std::string& w) { return ord(w) < 0; });
    case cmp_op::le:
      return any([&](const std::string& w) { return ord(w) <= 0; });
    case cmp_op::gt:
      return any([&](const std::string& w) { return ord(w) > 0; });
    case cmp_op::ge:
      return any([&](const std::string& w) { return ord(w) >= 0; });
    case cmp_op::prefix:
      return any([&](const std::string& w) { return v.rfind(w, 0) == 0; });
    case cmp_op::not_prefix:
      return !any([&](const std::string& w) { return v.rfind(w, 0) == 0; });
  }
  return false;
}

struct oracle {
  csv_table subscribers, tac;
  std::map<std::string, std::vector<std::string>> areas;  // name -> "LAC" or "LAC:CI" entries
  std::set<std::string> dnd;
  std::vector<std::string> home_prefixes;

  std::string id_of(const nlohmann::json& e) const {
    return e.contains("imsi") ? e["imsi"].get<std::string>() : e.value("tmsi", std::string());
  }
  std::string msisdn_of(const nlohmann::json& e) const {
    const auto it = subscribers.rows.find(e.value("imsi", std::string("-")));
    return it == subscribers.rows.end() ? std::string() : it->second.at("msisdn");
  }
  std::vector<std::string> areas_of(const nlohmann::json& e) const {
    std::vector<std::string> out;
    if (!e.contains("lac")) return out;
    const std::string lac = std::to_string(e["lac"].get<int>());
    const std::string cell = e.contains("cell") ? lac + ":" + std::to_string(e["cell"].get<int>()) : "";
    for (const auto& [name, entries] : areas)
      for (const auto& x : entries)
        if (x == lac || (!cell.empty() && x == cell)) {
          out.push_back(name);
          break;
        }
    return out;
  }
  bool inside(const nlohmann::json& e, const std::string& area) const {
    const auto a = areas_of(e);
    return std::find(a.begin(), a.end(), area) != a.end();
  }
  std::optional<std::string> field(const nlohmann::json& e, const std::string& key) const {
    auto column = [&](const csv_table& t, const std::string& k, const std::string& col) -> std::optional<std::string> {
      const auto it = t.rows.find(k);
      if (it == t.rows.end() || !it->second.contains(col) || it->second.at(col).empty()) return std::nullopt;
      return it->second.at(col);
    };
    if (key == "home") {
      const auto imsi = e.value("imsi", std::string());
      bool home = false;
      for (const auto& p : home_prefixes) home = home || (!imsi.empty() && imsi.rfind(p, 0) == 0);
      return home ? "true" : "false";
    }
    if (key.rfind("handset.", 0) == 0)
      return e.contains("imei") ? column(tac, e["imei"].get<std::string>().substr(0, 8), key.substr(8)) : std::nullopt;
    if (key.rfind("profile.", 0) == 0) return column(subscribers, e.value("imsi", std::string("-")), key.substr(8));
    if (!e.contains(key)) return std::nullopt;
    return e[key].is_string() ? e[key].get<std::string>() : e[key].dump();
  }
  bool holds(const nlohmann::json& e, const campaign::condition& c, bool target) const {
    if (!target && c.key == "area") {
      const auto names = areas_of(e);
      if (names.empty()) return false;
      const bool negative = c.op == cmp_op::ne || c.op == cmp_op::not_in || c.op == cmp_op::not_prefix;
      const cmp_op positive = c.op == cmp_op::ne           ? cmp_op::eq
                              : c.op == cmp_op::not_in     ? cmp_op::in
                              : c.op == cmp_op::not_prefix ? cmp_op::prefix
                                                           : c.op;
      const bool one =
          std::any_of(names.begin(), names.end(), [&](const auto& n) { return compare(n, positive, c.values); });
      return negative ? !one : one;
    }
    const auto v = target ? field(e, "profile." + c.key) : field(e, c.key);
    return v && compare(*v, c.op, c.values);
  }
  // trigger.history over the subscriber's events before `i` (and event i itself).
  bool history(const std::vector<const nlohmann::json*>& mine, std::size_t i,
               const campaign::history_condition& h) const {
    const auto now = *parse_rfc3339_us((*mine[i])["ts"].get<std::string>());
    auto ts = [&](std::size_t k) { return *parse_rfc3339_us((*mine[k])["ts"].get<std::string>()); };
    using kind = campaign::history_condition::kind;
    if (h.what == kind::count) {
      std::uint32_t n = 0;
      for (std::size_t k = 0; k <= i; ++k)
        n += (*mine[k])["type"] == std::string(to_string(h.type)) && ts(k) > now - h.window ? 1 : 0;
      return n >= h.at_least;
    }
    if (h.what == kind::silent_for) return i > 0 && now - ts(i - 1) >= h.window;
    if (h.what == kind::dwell) {
      for (std::size_t k = i + 1; k-- > 0;) {
        if (!inside(*mine[k], h.area)) return false;
        if (k < i && ts(k) <= now - h.window) return true;
      }
      return false;
    }
    std::uint32_t changes = 0;
    std::optional<int> prev;
    for (std::size_t k = 0; k <= i; ++k) {
      if (!mine[k]->contains("cell") || ts(k) <= now - h.window) continue;
      const int cell = (*mine[k])["cell"].get<int>();
      if (prev && *prev != cell) ++changes;
      prev = cell;
    }
    return changes >= h.at_least;
  }
};

}  // namespace

TEST_CASE("the example campaigns on the sample: contacted, suppressed and why, against an oracle") {
  const auto examples = t::source_dir() / "examples";
  const auto truth = t::source_dir() / "pcaps" / "sample.truth.jsonl";
  REQUIRE(std::filesystem::exists(examples / "probe.yaml"));
  // Receipts a second after each message: the replay's end waits for them (--receipt-wait), so
  // the report right after counts every accepted message delivered.
  auto stub = t::stub_process::start(
      "examples", {"--flush", "--system-id", "bssap", "--password", "secret", "--receipt-delay-ms", "1000"});
  REQUIRE(stub.port > 0);
  const auto dir = t::campaign_scratch("examples");
  std::filesystem::remove_all(dir);
  std::filesystem::copy(examples, dir, std::filesystem::copy_options::recursive);
  std::string yaml = t::slurp(dir / "probe.yaml");
  const auto port_at = yaml.find("port: 2775");
  REQUIRE(port_at != std::string::npos);
  yaml.replace(port_at, 10, "port: " + std::to_string(stub.port));
  t::write_file(dir / "probe.yaml", yaml);
  ::setenv("SMPP_PASSWORD", "secret", 1);
  auto run = [&](const std::string& name) {
    t::child p(
        {(t::bin_dir() / "bssap-probe").string(), "replay", (t::source_dir() / "pcaps" / "sample.pcap").string(),
         "--fast", "--config", (dir / "probe.yaml").string(), "--decisions", (dir / name).string(), "--no-summary"},
        dir / "out", dir / "err");
    REQUIRE(p.wait(120s) == 0);
  };
  run("decisions.jsonl");
  {
    t::child report(
        {(t::bin_dir() / "bssap-probe").string(), "report", "--config", (dir / "probe.yaml").string(), "--json"},
        dir / "report.json", dir / "report.err");
    REQUIRE(report.wait(60s) == 0);
    const auto campaigns = nlohmann::json::parse(t::slurp(dir / "report.json"));
    std::set<std::string> by_sms;  // worklist campaigns are accepted when written, never delivered
    for (const auto& d : t::read_jsonl(dir / "decisions.jsonl"))
      if (d.value("action", "") == "sms") by_sms.insert(d["campaign"].get<std::string>());
    std::uint64_t accepted = 0, delivered = 0;
    for (const auto& c : campaigns) {
      if (by_sms.count(c.value("campaign", "")) == 0) continue;
      INFO("campaign " << c.value("campaign", ""));
      CHECK(c["delivered"].get<std::uint64_t>() == c["accepted"].get<std::uint64_t>());
      accepted += c["accepted"].get<std::uint64_t>();
      delivered += c["delivered"].get<std::uint64_t>();
    }
    CHECK(accepted > 0);
    CHECK(delivered == accepted);
  }

  std::string error;
  const auto cfg = campaign::load_config((dir / "probe.yaml").string(), error);
  REQUIRE(cfg);
  REQUIRE(cfg->campaigns.size() >= 13);
  std::string tz_error;
  const auto clock = campaign::local_clock::from_name(cfg->timezone, tz_error);
  REQUIRE(clock);
  oracle o;
  o.subscribers = read_csv(cfg->subscribers, "imsi");
  o.tac = read_csv(cfg->tac, "tac");
  for (const auto& p : cfg->home_plmns.value_or(std::vector<std::string>{}))
    o.home_prefixes.push_back(p.substr(0, 3) + p.substr(4));
  {
    std::ifstream f(cfg->dnd);
    std::string line;
    while (std::getline(f, line)) {
      line = line.substr(0, line.find('#'));
      line.erase(std::remove(line.begin(), line.end(), ' '), line.end());
      if (!line.empty()) o.dnd.insert(line);
    }
    std::ifstream a(cfg->areas);
    while (std::getline(a, line)) {
      line = line.substr(0, line.find('#'));
      const auto colon = line.find(':');
      const auto open = line.find('['), close = line.find(']');
      if (colon == std::string::npos || open == std::string::npos || close == std::string::npos) continue;
      auto& entries = o.areas[line.substr(0, colon)];
      std::string list = line.substr(open + 1, close - open - 1);
      list.erase(std::remove(list.begin(), list.end(), '"'), list.end());
      list.erase(std::remove(list.begin(), list.end(), ' '), list.end());
      for (std::size_t s = 0, e = 0; e != std::string::npos; s = e + 1)
        entries.push_back(list.substr(s, (e = list.find(',', s)) - s));
    }
  }
  // The truth per subscriber, in time order.
  const auto events = t::read_jsonl(truth);
  std::map<std::string, std::vector<const nlohmann::json*>> by_subscriber;
  for (const auto& e : events) by_subscriber[o.id_of(e)].push_back(&e);
  for (auto& [id, v] : by_subscriber)
    std::stable_sort(v.begin(), v.end(), [](const auto* a, const auto* b) { return (*a)["ts"] < (*b)["ts"]; });

  const auto decisions = t::read_jsonl(dir / "decisions.jsonl");
  REQUIRE(!decisions.empty());
  std::multiset<std::string> at_smsc;
  for (const auto& j : t::read_jsonl(stub.out))
    if (j.value("type", "") == "message")
      at_smsc.insert(j["dst"].get<std::string>() + "|" + j["text"].get<std::string>());

  std::map<std::string, std::size_t> reasons_seen;
  std::size_t sms_sent = 0;
  for (const auto& def : cfg->campaigns) {
    INFO("campaign " << def.id);
    // Oracle: the candidates.
    std::set<std::string> expected;
    for (const auto& [id, mine] : by_subscriber) {
      for (std::size_t i = 0; i < mine.size(); ++i) {
        const auto& e = *mine[i];
        const auto type = event_type_from_string(e["type"].get<std::string>());
        if (!type || !def.enabled || !def.triggered_by(*type)) continue;
        const auto day = clock->day(*parse_rfc3339_us(e["ts"].get<std::string>()));
        if ((def.period_start && day < *def.period_start) || (def.period_end && day > *def.period_end)) continue;
        bool ok = true;
        for (const auto& c : def.where) ok = ok && o.holds(e, c, false);
        for (const auto& c : def.target) ok = ok && o.holds(e, c, true);
        for (const auto& h : def.history) ok = ok && o.history(mine, i, h);
        if (!ok) continue;
        const auto parsed = parse_json_line(e.dump());
        REQUIRE(parsed);
        expected.insert(campaign::event_id_of(*parsed));
      }
    }
    std::set<std::string> decided;
    for (const auto& d : decisions) {
      if (d["campaign"] != def.id) continue;
      const std::string outcome = d["outcome"];
      if (outcome == "deferred") continue;  // its final line follows (checked below)
      decided.insert(d["event_id"].get<std::string>());
      const std::string msisdn = d.value("msisdn", std::string());
      const std::string imsi = d["imsi"];
      const std::string reason = d.value("reason", std::string());
      if (!reason.empty()) ++reasons_seen[reason];
      const bool addressed = def.channel.type != campaign::channel_type::record;
      INFO("decision " << d.dump());
      if (!addressed) {
        CHECK(outcome == "sent");
        CHECK(d["action"] == "record");
        continue;
      }
      // Check 1 and 3 from the tables themselves.
      CHECK((reason == "no_msisdn") == msisdn.empty());
      if (!msisdn.empty() && def.channel.test_numbers.empty())
        CHECK((reason == "dnd") == (o.dnd.contains(msisdn) || o.dnd.contains(imsi)));
      // Check 9: the fixed control-group function.
      const bool control = campaign::fnv1a64(def.id + ":" + imsi) % 10000 < def.strategy.control_per_10000;
      if (reason == "control_group") CHECK(control);
      if (outcome == "sent" || outcome == "rehearsed") CHECK(!control);
      if (outcome == "sent" && d["action"] == "sms") {
        ++sms_sent;
        const auto it = at_smsc.find(msisdn + "|" + d["text"].get<std::string>());
        CHECK(it != at_smsc.end());
        if (it != at_smsc.end()) at_smsc.erase(it);
      }
      // Check 10: another campaign carried this event out.
      if (reason == "priority") {
        bool other = false;
        for (const auto& x : decisions)
          other = other || (x["event_id"] == d["event_id"] && x["campaign"] != def.id &&
                            (x["outcome"] == "sent" || x["outcome"] == "deferred" || x["outcome"] == "rehearsed"));
        CHECK(other);
      }
    }
    CHECK(!expected.empty());  // the sample gives every example campaign something to decide
    CHECK(decided == expected);
  }
  // Every deferral has its final line or still waits; every message at the SMSC was decided.
  for (const auto& d : decisions) {
    if (d["outcome"] != "deferred") continue;
    std::size_t finals = 0;
    for (const auto& x : decisions) finals += x["event_id"] == d["event_id"] && x["campaign"] == d["campaign"] ? 1 : 0;
    CHECK(finals <= 2);
  }
  CHECK(at_smsc.empty());
  CHECK(sms_sent > 0);
  // The sample exercises the suppression paths the operators' policies imply.
  for (const char* r : {"no_msisdn", "dnd", "control_group", "priority"}) {
    INFO("reason " << r);
    CHECK(reasons_seen[r] > 0);
  }

  // A restart on the same state_dir with the same capture: nothing decided, nothing sent again.
  const std::size_t messages_before = t::read_jsonl(stub.out).size();
  run("decisions-again.jsonl");
  CHECK(t::slurp(dir / "decisions-again.jsonl").empty());
  std::this_thread::sleep_for(300ms);
  std::size_t new_parts = 0;
  const auto after = t::read_jsonl(stub.out);
  for (std::size_t i = messages_before; i < after.size(); ++i)
    new_parts += after[i].value("type", "") == "part" ? 1 : 0;
  CHECK(new_parts == 0);
}
