// The evaluation report (campaigns.md "Evaluation"): per campaign, from every engine store in
// state_dir, the SMPP outbox (acceptance and delivery receipts) and an optional orders file.
//
// Definitions (the spec leaves them to us; README.md of triggers/campaign repeats them):
//   candidates  decisions with a final line (one per candidate event)
//   responded   sent decisions followed by a response of the subscriber to the campaign's
//               sender within response_window
//   ordered     sent decisions followed, within the window, by a response containing an order
//               keyword, or by a row of the orders file for the subscriber's MSISDN (and the
//               campaign's offer.product, when the row names a product)
//   control     control_group decisions; their order rate counts orders file rows the same way
//   lift        order rate of the contacted minus order rate of the control group, in points
#include <fmt/format.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "bssap/campaign/engine.hpp"
#include "state_store.hpp"

namespace bssap::campaign {
namespace {

struct order_row {
  std::string msisdn, product;
  std::int64_t ts_us = 0;
};

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// msisdn,product,time; time as RFC 3339 (UTC) or "YYYY-MM-DD HH:MM[:SS]" local time. A header
// row and blank lines are skipped; other malformed rows are errors with their line number.
bool read_orders(const std::string& path, const probe_config& cfg, std::vector<order_row>& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = fmt::format("{}: cannot read", path);
    return false;
  }
  std::string err;
  const auto clock = local_clock::from_name(cfg.timezone, err);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= line.size(); ++i) {
      if (i == line.size() || line[i] == ',') {
        f.push_back(line.substr(start, i - start));
        start = i + 1;
      }
    }
    if (n == 1 && (f.empty() || f[0].empty() || f[0][0] < '0' || f[0][0] > '9')) continue;  // header
    if (f.size() != 3) {
      error = fmt::format("{}:{}: expected msisdn,product,time", path, n);
      return false;
    }
    order_row r{f[0], f[1], 0};
    const std::string& when = f[2];
    if (const auto t = parse_rfc3339_us(when)) {
      r.ts_us = *t;
    } else if (when.size() >= 20 && when[10] == 'T' &&
               (when.back() == 'Z' || when[when.size() - 6] == '+' || when[when.size() - 6] == '-')) {
      // RFC 3339 without the microseconds the event log writes: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM)
      const auto d = parse_date(std::string_view(when).substr(0, 10));
      int hh = 0, mm = 0, ss = 0, oh = 0, om = 0;
      if (!d || std::sscanf(when.c_str() + 11, "%d:%d:%d", &hh, &mm, &ss) != 3) {
        error = fmt::format("{}:{}: time: not RFC 3339", path, n);
        return false;
      }
      std::int64_t offset_s = 0;
      if (when.back() != 'Z' && std::sscanf(when.c_str() + when.size() - 5, "%d:%d", &oh, &om) == 2)
        offset_s = (when[when.size() - 6] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
      r.ts_us = (static_cast<std::int64_t>(*d) * 86400 + hh * 3600 + mm * 60 + ss - offset_s) * us_per_second;
    } else {
      const auto d = parse_date(std::string_view(f[2]).substr(0, 10));
      int hh = 0, mm = 0, ss = 0;
      if (!d || !clock || f[2].size() < 16 || std::sscanf(f[2].c_str() + 11, "%d:%d:%d", &hh, &mm, &ss) < 2) {
        error = fmt::format("{}:{}: time: not RFC 3339 or YYYY-MM-DD HH:MM[:SS]", path, n);
        return false;
      }
      const std::int64_t midnight = clock->utc_of_day_start(*d);
      r.ts_us = midnight + (static_cast<std::int64_t>(hh) * 3600 + mm * 60 + ss) * us_per_second;
    }
    out.push_back(std::move(r));
  }
  return true;
}

struct outbox_state {
  bool accepted = false, delivered = false, failed = false;
};

bool read_outbox(const std::string& path, std::map<std::string, outbox_state, std::less<>>& out, std::string& error) {
  if (!std::filesystem::exists(path)) return true;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    error = fmt::format("{}: cannot open", path);
    sqlite3_close(db);
    return false;
  }
  sqlite3_busy_timeout(db, 5000);
  // Message states (outbox.hpp row_state): 0 pending, 1 submitted, 2 final, 3 failed. Receipt
  // states (SMPP 5.2.28): 2 DELIVERED; 3, 4, 5, 8 final failures.
  const char* sql =
      "SELECT m.client_ref, m.state, MIN(p.receipt_state = 2), MAX(p.receipt_state IN (3, 4, 5, 8)) "
      "FROM message m LEFT JOIN part p ON p.id = m.id WHERE m.client_ref IS NOT NULL GROUP BY m.id";
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) {
    error = fmt::format("{}: {}", path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return false;
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    const auto* ref = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    const int state = sqlite3_column_int(s, 1);
    outbox_state o;
    o.accepted = state == 1 || state == 2;
    o.delivered = sqlite3_column_int(s, 2) == 1 && o.accepted;
    o.failed = state == 3 || sqlite3_column_int(s, 3) == 1;
    out.emplace(ref == nullptr ? "" : ref, o);
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return true;
}

struct figures {
  std::uint64_t candidates = 0, sent = 0, recorded = 0, rehearsed = 0, deferred_waiting = 0;
  std::uint64_t accepted = 0, delivered = 0, failed = 0, responded = 0, ordered = 0, opt_outs = 0;
  std::uint64_t control = 0, control_ordered = 0;
  std::map<std::string, std::uint64_t> suppressed;

  double rate(std::uint64_t n, std::uint64_t of) const { return of == 0 ? 0.0 : static_cast<double>(n) / of; }
  double response_rate() const { return rate(responded, sent); }
  double order_rate() const { return rate(ordered, sent); }
  double control_order_rate() const { return rate(control_ordered, control); }
  double lift() const { return order_rate() - control_order_rate(); }
};

nlohmann::json to_json(const figures& f) {
  nlohmann::json j{{"candidates", f.candidates},
                   {"sent", f.sent},
                   {"recorded", f.recorded},
                   {"rehearsed", f.rehearsed},
                   {"accepted", f.accepted},
                   {"delivered", f.delivered},
                   {"failed", f.failed},
                   {"responded", f.responded},
                   {"ordered", f.ordered},
                   {"response_rate", f.response_rate()},
                   {"order_rate", f.order_rate()},
                   {"opt_outs", f.opt_outs},
                   {"control_group", f.control},
                   {"control_order_rate", f.control_order_rate()},
                   {"lift", f.lift()},
                   {"suppressed", f.suppressed}};
  return j;
}

std::string pct(double r) {
  return fmt::format("{:.1f}%", r * 100);
}

}  // namespace

std::string report_text(const probe_config& cfg, const operator_tables& tables, const std::string& orders_csv,
                        bool json, std::string& error) {
  std::vector<decision_row> decisions;
  std::vector<response_row> responses;
  std::error_code ec;
  if (!std::filesystem::is_directory(cfg.state_dir, ec)) {
    error = fmt::format("{}: no state directory (run the probe with this configuration first)", cfg.state_dir);
    return {};
  }
  std::vector<std::string> stores;
  for (const auto& entry : std::filesystem::directory_iterator(cfg.state_dir, ec)) {
    const auto name = entry.path().filename().string();
    if (name.starts_with("engine-") && name.ends_with(".db")) stores.push_back(entry.path().string());
  }
  std::sort(stores.begin(), stores.end());
  for (const auto& path : stores) {
    state_store s;
    if (!s.open_read(path, error) ||
        !s.each_decision([&](decision_row&& d) { decisions.push_back(std::move(d)); }, error) ||
        !s.each_response([&](response_row&& r) { responses.push_back(std::move(r)); }, error))
      return {};
  }
  std::map<std::string, outbox_state, std::less<>> outbox;
  if (!read_outbox((std::filesystem::path(cfg.state_dir) / "outbox.db").string(), outbox, error)) return {};
  std::vector<order_row> orders;
  const std::string orders_path = orders_csv.empty() ? cfg.orders : orders_csv;
  if (!orders_path.empty() && !read_orders(orders_path, cfg, orders, error)) return {};

  // Responses and orders by (campaign, subscriber), for the window look-ups.
  std::map<std::pair<std::string, std::string>, std::vector<const response_row*>> by_subscriber;
  for (const auto& r : responses) by_subscriber[{r.campaign, r.imsi}].push_back(&r);
  std::map<std::string, std::vector<const order_row*>> orders_by_msisdn;
  for (const auto& o : orders) orders_by_msisdn[o.msisdn].push_back(&o);

  nlohmann::json out_json = nlohmann::json::array();
  std::string text;
  for (const auto& def : cfg.campaigns) {
    figures all;
    std::map<std::string, figures> groups;
    std::optional<std::size_t> group_column;
    if (!def.evaluation.compare_by.empty() && tables.profiles)
      group_column = tables.profiles->column(def.evaluation.compare_by);
    std::string product;
    for (const auto& [k, v] : def.offer)
      if (k == "product") product = lower(v);
    const std::int64_t window = def.strategy.response_window;
    auto order_in_window = [&](const decision_row& d) {
      const auto it = orders_by_msisdn.find(d.msisdn);
      if (d.msisdn.empty() || it == orders_by_msisdn.end()) return false;
      for (const auto* o : it->second)
        if (o->ts_us >= d.ts_us && o->ts_us <= d.ts_us + window &&
            (o->product.empty() || product.empty() || lower(o->product) == product))
          return true;
      return false;
    };
    std::map<std::string, bool> opted;
    for (const auto& d : decisions) {
      if (d.campaign != def.id) continue;
      if (d.line == 0) continue;  // the deferred line; its final line follows
      std::string group = "(none)";
      if (group_column) {
        const auto row = tables.profiles->find_imsi(d.imsi);
        if (row && !tables.profiles->value(*row, *group_column).empty())
          group = std::string(tables.profiles->value(*row, *group_column));
      }
      for (figures* f : {&all, group_column ? &groups[group] : nullptr}) {
        if (f == nullptr) continue;
        ++f->candidates;
        if (d.outcome == "suppressed") {
          ++f->suppressed[d.reason];
          if (d.control) {
            ++f->control;
            if (order_in_window(d)) ++f->control_ordered;
          }
          continue;
        }
        if (d.outcome == "rehearsed") {
          ++f->rehearsed;
          continue;
        }
        if (d.action == "record") {
          ++f->recorded;
          continue;
        }
        ++f->sent;
        const auto ob = outbox.find(fmt::format("{}:{}", d.campaign, d.event_id));
        if (d.action == "worklist" || (ob != outbox.end() && ob->second.accepted)) ++f->accepted;
        if (ob != outbox.end() && ob->second.delivered) ++f->delivered;
        if (ob != outbox.end() && ob->second.failed) ++f->failed;
        bool responded = false, ordered = order_in_window(d);
        const auto rs = by_subscriber.find({d.campaign, d.imsi});
        if (rs != by_subscriber.end()) {
          for (const auto* r : rs->second) {
            if (r->ts_us < d.ts_us || r->ts_us > d.ts_us + window) continue;
            responded = true;
            ordered = ordered || r->ordered;
            if (r->opt_out && f == &all) opted[r->msisdn] = true;
          }
        }
        f->responded += responded ? 1 : 0;
        f->ordered += ordered ? 1 : 0;
      }
    }
    all.opt_outs = opted.size();
    const bool effective =
        (def.evaluation.verdict_response_rate && all.response_rate() >= *def.evaluation.verdict_response_rate &&
         all.sent > 0) ||
        (def.evaluation.verdict_order_rate && all.order_rate() >= *def.evaluation.verdict_order_rate && all.sent > 0);
    const std::string verdict = effective ? "effective" : "not effective";
    if (json) {
      auto j = to_json(all);
      j["campaign"] = def.id;
      j["name"] = def.name;
      j["verdict"] = verdict;
      if (group_column) {
        j["compare_by"] = def.evaluation.compare_by;
        for (const auto& [g, f] : groups) j["groups"][g] = to_json(f);
      }
      out_json.push_back(std::move(j));
      continue;
    }
    text += fmt::format("== {} ({}): {}\n", def.id, def.name, verdict);
    text += fmt::format(
        "   candidates {}  sent {}  accepted {}  delivered {}  failed {}  responded {}  ordered {}  response rate {}  "
        "order rate {}  opt-outs {}\n",
        all.candidates, all.sent, all.accepted, all.delivered, all.failed, all.responded, all.ordered,
        pct(all.response_rate()), pct(all.order_rate()), all.opt_outs);
    if (all.recorded + all.rehearsed > 0)
      text += fmt::format("   recorded {}  rehearsed {}\n", all.recorded, all.rehearsed);
    text += fmt::format("   control group {}  control order rate {}  lift {:+.1f} points\n", all.control,
                        pct(all.control_order_rate()), all.lift() * 100);
    if (!all.suppressed.empty()) {
      text += "   suppressed:";
      for (const auto& [r, n] : all.suppressed) text += fmt::format(" {} {}", r, n);
      text += "\n";
    }
    for (const auto& [g, f] : groups)
      text += fmt::format(
          "   {} = {}: candidates {}  sent {}  responded {}  ordered {}  response rate {}  order rate {}  "
          "control {}  lift {:+.1f} points\n",
          def.evaluation.compare_by, g, f.candidates, f.sent, f.responded, f.ordered, pct(f.response_rate()),
          pct(f.order_rate()), f.control, f.lift() * 100);
  }
  return json ? out_json.dump(2) + "\n" : text;
}

}  // namespace bssap::campaign
