// The campaign runtime: inputs, engines, channels and the decision log of one process.
#include "bssap/campaign/runtime.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <thread>
#include <unordered_set>

#include "bssap/smpp/client.hpp"
#include "rules.hpp"

namespace bssap::campaign {

std::optional<engine_inputs> load_inputs(const std::string& config_path, std::vector<std::string>& warnings,
                                         std::string& error) {
  auto cfg = load_config(config_path, error);
  if (!cfg) return std::nullopt;
  engine_inputs in;
  auto keep_report = [&](const load_report& r) {
    for (const auto& m : r.messages) warnings.push_back(m);
    if (r.bad_rows > r.messages.size()) warnings.push_back(fmt::format("... {} bad rows in all", r.bad_rows));
  };
  table_columns columns;
  if (!cfg->subscribers.empty()) {
    load_report r;
    in.tables.profiles = profile_table::load(cfg->subscribers, r, error);
    keep_report(r);
    if (!in.tables.profiles) return std::nullopt;
    columns.profile = in.tables.profiles->columns();
  }
  if (!cfg->dnd.empty()) {
    load_report r;
    in.tables.dnd = dnd_list::load(cfg->dnd, r, error);
    keep_report(r);
    if (!in.tables.dnd) return std::nullopt;
  }
  if (!cfg->tac.empty()) {
    load_report r;
    in.tables.tac = tac_table::load(cfg->tac, r, error);
    keep_report(r);
    if (!in.tables.tac) return std::nullopt;
    columns.tac = in.tables.tac->columns();
  }
  if (!cfg->areas.empty()) {
    in.tables.areas = area_table::load(cfg->areas, error);
    if (!in.tables.areas) return std::nullopt;
    columns.areas = in.tables.areas->names();
  }
  error = validate_against_tables(*cfg, columns);
  if (!error.empty()) return std::nullopt;
  in.config = std::make_shared<const probe_config>(std::move(*cfg));
  in.rules = compile_rules(in.config, in.tables, error);
  if (!in.rules) return std::nullopt;
  return in;
}

bool smpp_password(const probe_config& cfg, std::string& password, std::string& error) {
  if (const char* v = std::getenv(cfg.smpp.password_env.c_str()); v != nullptr) {
    password = v;
    return true;
  }
  // systemd.exec(5) "Credentials": LoadCredential=smpp-password puts the file here, readable by
  // the service only; the trailing newline an editor leaves is not part of the password.
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr) {
    const auto path = std::filesystem::path(dir) / "smpp-password";
    std::ifstream f(path, std::ios::binary);
    if (f) {
      std::getline(f, password);
      if (!password.empty() && password.back() == '\r') password.pop_back();
      return true;
    }
  }
  error = fmt::format("{}: smpp.password_env: ${} is not set (nor the systemd credential smpp-password)", cfg.file,
                      cfg.smpp.password_env);
  return false;
}

std::optional<start_check> check_start(const std::string& config_path, std::vector<std::string>& warnings,
                                       std::string& error) {
  start_check out;
  out.inputs = load_inputs(config_path, warnings, error);
  if (!out.inputs) return std::nullopt;
  const auto& cfg = *out.inputs->config;
  if (cfg.state_dir.empty()) {
    error = fmt::format("{}: state_dir: required (contact history, caps and the SMPP outbox live there)", cfg.file);
    return std::nullopt;
  }
  out.needs_smpp = out.inputs->rules->any_sms;
  if (out.needs_smpp) {
    if (!cfg.smpp.configured) {
      error = fmt::format("{}: smpp: required by the live sms campaigns", cfg.file);
      return std::nullopt;
    }
    if (!smpp_password(cfg, out.smpp_password, error)) return std::nullopt;
  }
  return out;
}

namespace {

// SMPP addresses: digits are numbers (TON unknown, NPI E.164: the SMSC applies its own
// numbering plan, as for the operator's own short codes), anything else is alphanumeric (TON 5).
smpp::address_value address_of(std::string_view a) {
  const bool digits = !a.empty() && std::all_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; });
  return digits ? smpp::address_value{0, 1, std::string(a)} : smpp::address_value{5, 0, std::string(a)};
}

// Worklist rows (campaigns.md: one CSV file per campaign and local date, with a header row). A
// row carries its decision id, so that a hand-over repeated after a crash is recognised and not
// written twice.
class worklist_writer {
 public:
  bool write(const outgoing& m, const std::string& dir, std::string& error) {
    std::lock_guard lock(_mutex);
    const auto path = (std::filesystem::path(dir) / fmt::format("{}-{}.csv", m.campaign, m.local_day)).string();
    auto& ids = _written[path];
    if (!_scanned.contains(path)) {
      _scanned.insert(path);
      std::ifstream in(path);
      std::string line;
      while (std::getline(in, line)) {
        const auto comma = line.rfind(',');
        if (comma != std::string::npos) ids.insert(line.substr(comma + 1));
      }
    }
    if (ids.contains(m.id)) return true;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const bool fresh = !std::filesystem::exists(path);
    std::FILE* f = std::fopen(path.c_str(), "a");
    if (f == nullptr) {
      error = fmt::format("{}: cannot write: {}", path, std::strerror(errno));
      return false;
    }
    std::string row;
    if (fresh) row += "ts,campaign,msisdn,imsi,lac,cell,area,offer,decision\n";
    std::string ts;
    append_rfc3339_us(m.ts_us, ts);
    auto field = [&](std::string_view v) {
      const bool quote = v.find_first_of(",\"\n") != std::string_view::npos;
      if (!quote) {
        row += v;
        return;
      }
      row.push_back('"');
      for (const char c : v) {
        if (c == '"') row.push_back('"');
        row.push_back(c);
      }
      row.push_back('"');
    };
    for (const std::string_view v :
         {std::string_view(ts), std::string_view(m.campaign), std::string_view(m.msisdn), std::string_view(m.imsi),
          std::string_view(m.lac), std::string_view(m.cell), std::string_view(m.area), std::string_view(m.offer)}) {
      field(v);
      row.push_back(',');
    }
    row += m.id;
    row.push_back('\n');
    const bool ok =
        std::fwrite(row.data(), 1, row.size(), f) == row.size() && std::fflush(f) == 0 && fsync(fileno(f)) == 0;
    std::fclose(f);
    if (!ok) {
      error = fmt::format("{}: write error", path);
      return false;
    }
    ids.insert(m.id);
    return true;
  }

 private:
  std::mutex _mutex;
  std::unordered_set<std::string> _scanned;
  std::map<std::string, std::unordered_set<std::string>> _written;
};

// The decision log: streamed under a lock, or held per shard and written shard by shard at the
// end (ordered_log) so that runs are byte-identical whatever the threads' timing.
class decision_file final : public decision_sink {
 public:
  bool open(const std::string& path, std::size_t shards, bool ordered, bool append, std::string& error) {
    _ordered = ordered && shards > 1;
    _held.resize(shards);
    if (path == "-") {
      _file = stdout;
      return true;
    }
    _path = path;
    _file = std::fopen(path.c_str(), append ? "a" : "w");
    if (_file == nullptr) {
      error = fmt::format("{}: cannot write: {}", path, std::strerror(errno));
      return false;
    }
    _owned = true;
    return true;
  }
  void write(std::size_t shard, std::string_view lines) override {
    std::lock_guard lock(_mutex);
    if (_ordered) {
      _held[shard].append(lines);
      return;
    }
    if (_file != nullptr && std::fwrite(lines.data(), 1, lines.size(), _file) != lines.size()) _error = true;
    if (_file != nullptr) std::fflush(_file);
  }
  // After logrotate moved the file: the path opened again (appending), between two writes.
  bool reopen(std::string& error) {
    std::lock_guard lock(_mutex);
    if (!_owned || _file == nullptr) return true;
    std::FILE* f = std::fopen(_path.c_str(), "a");
    if (f == nullptr) {
      error = fmt::format("{}: cannot reopen, writing on to the old file: {}", _path, std::strerror(errno));
      return false;
    }
    if (std::fclose(_file) != 0) _error = true;
    _file = f;
    return true;
  }
  bool close() {
    std::lock_guard lock(_mutex);
    for (const auto& h : _held)
      if (_file != nullptr && !h.empty() && std::fwrite(h.data(), 1, h.size(), _file) != h.size()) _error = true;
    _held.clear();
    if (_file != nullptr && std::fflush(_file) != 0) _error = true;
    if (_owned && _file != nullptr && std::fclose(_file) != 0) _error = true;
    _file = nullptr;
    return !_error;
  }

 private:
  std::mutex _mutex;
  std::FILE* _file = nullptr;
  bool _owned = false, _ordered = false, _error = false;
  std::string _path;
  std::vector<std::string> _held;
};

// Forwards a fan-out shard to the engine the runtime owns.
class engine_consumer final : public shard_consumer {
 public:
  explicit engine_consumer(engine& e) : _engine(e) {}
  void on_event(const event& e) noexcept override { _engine.on_event(e); }
  void flush() noexcept override { _engine.flush(); }

 private:
  engine& _engine;
};

}  // namespace

struct runtime::impl final : channel {
  runtime_options options;
  std::shared_ptr<const probe_config> config;
  std::vector<std::unique_ptr<engine>> engines;  // the shards run here, in owned order
  std::vector<engine*> by_shard;                 // every shard; nullptr when run elsewhere
  std::shared_ptr<smpp::client> sms;
  // The same client for window(), which takes no lock: cleared before finish() stops the client.
  std::atomic<std::shared_ptr<const smpp::client>> sms_view;
  std::uint64_t sms_window_size = 0;
  std::function<void(std::string_view, const event&)> on_record;  // runtime::on_record()
  worklist_writer worklists;
  decision_file decisions;
  bool have_decisions = false;
  std::mutex inputs_mutex;
  operator_tables tables;  // the current ones, for routing replies
  std::shared_ptr<const rule_set> rules;
  std::optional<smpp::metrics_snapshot> final_metrics;  // the client's figures when it stopped
  mutable std::mutex sms_mutex;         // sms reset and final_metrics vs channel_figures() from other threads
  std::uint64_t awaiting_receipts = 0;  // acknowledged messages without a receipt at the end

  bool deliver(std::span<const outgoing> batch, std::string& error) override {
    std::vector<smpp::outgoing_message> texts;
    for (const auto& m : batch) {
      if (m.action == channel_type::worklist) {
        std::shared_ptr<const rule_set> r;
        {
          std::lock_guard lock(inputs_mutex);
          r = rules;
        }
        std::string dir = (std::filesystem::path(config->state_dir) / "worklists").string();
        for (const auto& c : r->campaigns)
          if (c.def->id == m.campaign) dir = c.worklist_dir;
        if (!worklists.write(m, dir, error)) return false;
        continue;
      }
      smpp::outgoing_message s;
      s.client_ref = m.id;
      s.source = address_of(m.sender);
      s.destination = address_of(m.msisdn);
      s.text = m.text;
      s.want_receipt = true;
      texts.push_back(std::move(s));
    }
    if (texts.empty()) return true;
    if (!sms) {
      error = "sms: no smpp connection configured";
      return false;
    }
    const auto results = sms->submit(texts);
    for (std::size_t i = 0; i < results.size(); ++i) {
      // A text the codec refuses can never be sent: that is a configuration problem, not a
      // reason to hold the batch back forever.
      if (results[i].id == 0 && !results[i].duplicate)
        error = fmt::format("{}: text not accepted: {}", texts[i].client_ref, smpp::to_string(results[i].error));
    }
    return true;
  }

  void route_reply(const smpp::mo_event& m) {
    std::shared_ptr<const profile_table> profiles;
    {
      std::lock_guard lock(inputs_mutex);
      profiles = tables.profiles;
    }
    const auto row = profiles ? profiles->find_msisdn(m.source.addr) : std::nullopt;
    if (!row) return;
    const std::size_t shard = fnv1a64(profiles->imsi(*row)) % by_shard.size();
    // A reply for a shard another trigger worker runs is not ours to take (that worker's own
    // SMPP session receives the subscriber's replies only when the SMSC routes them there).
    if (by_shard[shard] != nullptr) by_shard[shard]->post_reply({m.source.addr, m.destination.addr, m.text});
  }
};

runtime::runtime() : _impl(std::make_unique<impl>()) {}
runtime::~runtime() {
  std::string ignored;
  finish(ignored);
}

const probe_config& runtime::config() const {
  return *_impl->config;
}

bool runtime::start(const runtime_options& options, std::vector<std::string>& warnings, std::string& error) {
  auto& m = *_impl;
  m.options = options;
  if (m.options.shards == 0) m.options.shards = 1;
  auto checked = check_start(options.config_path, warnings, error);
  if (!checked) return false;
  const engine_inputs& in = *checked->inputs;
  m.config = in.config;
  m.tables = in.tables;
  m.rules = in.rules;
  std::error_code ec;
  std::filesystem::create_directories(m.config->state_dir, ec);
  if (ec) {
    error = fmt::format("{}: cannot create: {}", m.config->state_dir, ec.message());
    return false;
  }
  if (checked->needs_smpp) {
    const auto& s = m.config->smpp;
    smpp::client_config c;
    c.host = s.host;
    c.port = s.port;
    c.system_id = s.system_id;
    c.password = checked->smpp_password;
    c.system_type = s.system_type;
    c.window = s.window;
    c.tps = s.tps;
    c.sessions = s.sessions;
    c.outbox_path = (std::filesystem::path(m.config->state_dir) / "outbox.db").string();
    m.sms = std::make_shared<smpp::client>(c);
    m.sms_window_size = std::uint64_t{s.window} * std::max<std::uint32_t>(1, s.sessions);
    m.sms->on_mo([&m](const smpp::mo_event& mo) { m.route_reply(mo); });
    if (auto err = m.sms->open(); !err.empty()) {
      error = err;
      return false;
    }
  }
  if (!options.decisions_path.empty()) {
    if (!m.decisions.open(options.decisions_path, m.options.shards, options.ordered_log, options.append_log, error))
      return false;
    m.have_decisions = true;
  }
  std::vector<std::size_t> owned = m.options.owned_shards;
  if (owned.empty())
    for (std::size_t k = 0; k < m.options.shards; ++k) owned.push_back(k);
  m.by_shard.assign(m.options.shards, nullptr);
  for (const std::size_t k : owned) {
    if (k >= m.options.shards || m.by_shard[k] != nullptr) {
      error = fmt::format("shard {}: not one of 0..{} or given twice", k, m.options.shards - 1);
      return false;
    }
    engine_options eo;
    eo.shard = k;
    eo.shards = m.options.shards;
    eo.all_shards = [&m](local_days d) {
      day_figures sum;
      for (const auto& e : m.engines) {
        const auto f = e->figures(d);
        sum.sent += f.sent;
        sum.suppressed += f.suppressed;
        sum.responses += f.responses;
        sum.orders += f.orders;
        sum.opt_outs += f.opt_outs;
      }
      return sum;
    };
    eo.on_record = [&m](std::string_view campaign, const event& ev) {
      if (m.on_record) m.on_record(campaign, ev);
    };
    auto e = std::make_unique<engine>(std::move(eo), in, &m, m.have_decisions ? &m.decisions : nullptr);
    m.by_shard[k] = e.get();
    m.engines.push_back(std::move(e));
  }
  if (m.sms) {
    m.sms->start();  // before the engines hand over what a crash left
    m.sms_view.store(m.sms);
  }
  for (auto& e : m.engines) {
    error = e->open();
    if (!error.empty()) return false;
  }
  return true;
}

std::vector<std::unique_ptr<shard_consumer>> runtime::consumers() {
  std::vector<std::unique_ptr<shard_consumer>> out;
  for (auto& e : _impl->engines) out.push_back(std::make_unique<engine_consumer>(*e));
  return out;
}

bool runtime::reopen_logs(std::string& error) {
  return !_impl->have_decisions || _impl->decisions.reopen(error);
}

bool runtime::reload(std::string& error) {
  std::vector<std::string> warnings;
  auto in = load_inputs(_impl->options.config_path, warnings, error);
  if (!in) return false;
  {
    std::lock_guard lock(_impl->inputs_mutex);
    _impl->tables = in->tables;
    _impl->rules = in->rules;
  }
  for (auto& e : _impl->engines) e->reload(*in);
  return true;
}

bool runtime::finish(std::string& error) {
  auto& m = *_impl;
  bool ok = true;
  for (auto& e : m.engines) {
    e->close();
    if (const auto err = e->last_error(); !err.empty()) {
      error = err;
      ok = false;
    }
  }
  if (m.sms) {
    // Give the SMSC time to answer what is in flight, so that a replay ends with its messages
    // acknowledged (what is not stays in the outbox for the next start).
    const auto until = std::chrono::steady_clock::now() + m.options.drain;
    while (std::chrono::steady_clock::now() < until && m.sms->counts().pending > 0 && !m.sms->credentials_rejected())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // Then the receipts (SMPP 3.4 5.2.17: asked for with registered_delivery), for as long as
    // the user allows: a replay's report reads delivered from the outbox right after.
    const auto receipts_until = std::chrono::steady_clock::now() + m.options.receipt_wait;
    std::uint64_t awaiting = m.sms->counts().submitted;
    while (awaiting > 0 && std::chrono::steady_clock::now() < receipts_until && m.sms->bound()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      awaiting = m.sms->counts().submitted;
    }
    m.awaiting_receipts = awaiting;
    m.sms_view.store(nullptr);
    m.sms->stop(std::chrono::milliseconds(2000));
    std::lock_guard lock(m.sms_mutex);
    m.final_metrics = m.sms->metrics();
    m.sms.reset();
  }
  if (m.have_decisions) {
    m.have_decisions = false;
    if (!m.decisions.close()) {
      error = fmt::format("{}: write error", m.options.decisions_path);
      ok = false;
    }
  }
  return ok;
}

std::vector<campaign_decisions> runtime::decisions_by_campaign() const {
  std::map<std::string, campaign_decisions, std::less<>> sum;
  for (const auto& e : _impl->engines) {
    for (const auto& c : e->decisions_by_campaign()) {
      auto& t = sum[c.campaign];
      t.campaign = c.campaign;
      t.sent += c.sent;
      t.recorded += c.recorded;
      t.deferred += c.deferred;
      t.rehearsed += c.rehearsed;
      for (std::size_t i = 0; i < reason_count; ++i) t.suppressed[i] += c.suppressed[i];
    }
  }
  std::vector<campaign_decisions> out;
  out.reserve(sum.size());
  for (auto& [id, c] : sum) out.push_back(std::move(c));
  return out;
}

engine_counters runtime::totals() const {
  engine_counters t;
  for (const auto& e : _impl->engines) {
    const auto c = e->counters();
    t.events += c.events;
    t.duplicates += c.duplicates;
    t.no_subscriber += c.no_subscriber;
    t.candidates += c.candidates;
    t.sent += c.sent;
    t.deferred += c.deferred;
    t.released += c.released;
    t.rehearsed += c.rehearsed;
    t.recorded += c.recorded;
    for (std::size_t i = 0; i < reason_count; ++i) t.suppressed[i] += c.suppressed[i];
    t.responses += c.responses;
    t.orders += c.orders;
    t.opt_outs += c.opt_outs;
    t.handed_over += c.handed_over;
    t.hand_over_failures += c.hand_over_failures;
    t.commits += c.commits;
    t.reports += c.reports;
    t.alarms += c.alarms;
    t.store_errors += c.store_errors;
    t.subscribers += c.subscribers;  // shards own disjoint subscribers (event_fanout::shard_of)
    t.subscribers_with_history += c.subscribers_with_history;
    t.state_bytes += c.state_bytes;
  }
  return t;
}

operator_tables runtime::tables() const {
  std::lock_guard lock(_impl->inputs_mutex);
  return _impl->tables;
}

std::optional<sms_figures> runtime::sms() const {
  std::lock_guard lock(_impl->sms_mutex);
  sms_figures f;
  if (_impl->sms) {
    f.metrics = _impl->sms->metrics();
    f.outbox = _impl->sms->counts();
    f.bound = _impl->sms->bound();
  } else if (_impl->final_metrics) {
    f.metrics = *_impl->final_metrics;
  } else {
    return std::nullopt;
  }
  return f;
}

void runtime::on_record(std::function<void(std::string_view, const event&)> f) {
  _impl->on_record = std::move(f);
}

std::optional<sms_window> runtime::window() const noexcept {
  const auto c = _impl->sms_view.load();
  if (!c) return std::nullopt;
  return sms_window{c->in_flight(), _impl->sms_window_size};
}

std::string runtime::summary() const {
  const auto t = totals();
  std::string s = fmt::format(
      "campaigns: {} events ({} already processed), {} candidates: {} sent, {} recorded, {} rehearsed, {} deferred "
      "({} released)",
      t.events, t.duplicates, t.candidates, t.sent, t.recorded, t.rehearsed, t.deferred, t.released);
  std::string why;
  for (std::size_t i = 1; i < reason_count; ++i)
    if (t.suppressed[i] > 0)
      why += fmt::format("{}{} {}", why.empty() ? "" : ", ", t.suppressed[i], to_string(static_cast<reason>(i)));
  if (!why.empty()) s += fmt::format("; suppressed: {}", why);
  s += fmt::format(
      "\ncampaigns: {} responses, {} orders, {} opt-outs; {} messages handed over, {} not; {} daily "
      "reports, {} capacity alarms",
      t.responses, t.orders, t.opt_outs, t.handed_over, t.hand_over_failures, t.reports, t.alarms);
  if (_impl->sms || _impl->final_metrics) {
    const auto mtr = _impl->sms ? _impl->sms->metrics() : *_impl->final_metrics;
    s += fmt::format(
        "; smpp: {} accepted, {} acknowledged, {} failed, {} delivered, {} replies; {} parts resent unanswered, {} "
        "recovered from the outbox (the SMSC may have seen these twice)",
        mtr.accepted, mtr.acknowledged, mtr.failed, mtr.delivered, mtr.mo, mtr.resent_unanswered,
        mtr.recovered_from_outbox);
    if (_impl->awaiting_receipts > 0)
      s += fmt::format("; {} messages still awaiting their receipt at the end (kept: counted when it arrives)",
                       _impl->awaiting_receipts);
  }
  if (t.store_errors > 0) s += fmt::format("\ncampaigns: {} store errors", t.store_errors);
  return s;
}

}  // namespace bssap::campaign
