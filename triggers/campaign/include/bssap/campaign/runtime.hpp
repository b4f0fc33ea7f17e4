// Everything a process needs to run campaigns behind a trigger fan-out: the configuration and
// tables, one engine per shard, the channels (SMPP client with its durable outbox in
// <state_dir>/outbox.db, worklist CSV files), the decision log, replies routed to the
// subscriber's shard, and SIGHUP reloads. The probe's `replay`, `live` and `dpdk` use it; so can
// a trigger worker fed from elsewhere.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bssap/campaign/engine.hpp"
#include "bssap/smpp/client.hpp"

namespace bssap::campaign {

struct runtime_options {
  std::string config_path;
  std::size_t shards = 1;
  // The shards this process runs (a trigger worker behind the event bus runs some of them, with
  // `shards` the stream's count so that budgets are shared out as in one process); empty: all.
  std::vector<std::size_t> owned_shards;
  std::string decisions_path;  // "" = none, "-" = stdout
  // Replay: decision lines of several shards are written shard by shard at the end, so that two
  // runs give byte-identical logs. Live: lines are written as each batch commits.
  bool ordered_log = false;
  std::chrono::milliseconds drain{10000};  // at the end: wait for the SMSC's responses this long
  // Then for the delivery receipts of acknowledged messages this long, so that a replay's report
  // counts them (those still missing stay in the outbox and count when they arrive, on a later
  // run). 0: do not wait.
  std::chrono::milliseconds receipt_wait{0};
  bool append_log = false;  // the decision log keeps what it holds (a live service restarting)
};

// The SMSC password: $<smpp.password_env>, else the systemd credential smpp-password
// ($CREDENTIALS_DIRECTORY/smpp-password: LoadCredential= in bssap-probe@.service). False with the
// error when neither is there.
bool smpp_password(const probe_config& cfg, std::string& password, std::string& error);

// What start() checks before it opens anything: the inputs (load_inputs), state_dir set, and
// when a live campaign sends SMS the smpp section and its password. Also `check-config`'s.
struct start_check {
  std::optional<engine_inputs> inputs;
  bool needs_smpp = false;  // a live sms campaign (or reports, alarms) needs the SMSC
  std::string smpp_password;
};
std::optional<start_check> check_start(const std::string& config_path, std::vector<std::string>& warnings,
                                       std::string& error);

// The SMPP channel's figures at one moment (for the console's /metrics).
struct sms_figures {
  smpp::metrics_snapshot metrics;
  smpp::outbox_counts outbox;  // zero once the client has stopped
  bool bound = false;
};

// The SMPP window now, for the probe's terminal status line: cheap enough for the capture
// thread (no lock, no store query).
struct sms_window {
  std::uint64_t in_flight = 0;  // submit_sm awaiting their response, over every session
  std::uint64_t size = 0;       // smpp.window x smpp.sessions
};

class runtime {
 public:
  runtime();
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  // Loads and validates everything, opens the stores and the channels. Warnings (bad table rows
  // skipped) are returned; a fatal problem is one line in `error`.
  bool start(const runtime_options& options, std::vector<std::string>& warnings, std::string& error);
  const probe_config& config() const;

  // One consumer per shard run here (every shard, or owned_shards in their order), for
  // event_fanout or a trigger worker (they forward to the engines this runtime owns).
  std::vector<std::unique_ptr<shard_consumer>> consumers();

  // Loads the configuration and tables again; on success every engine takes them before its next
  // event. On failure the old ones stay and `error` says why.
  bool reload(std::string& error);
  // SIGHUP after logrotate: the decision log opened again under its name. Any thread.
  bool reopen_logs(std::string& error);

  // After the fan-out has stopped: final commits, the SMSC's answers awaited up to `drain`, the
  // SMPP client stopped, the decision log closed. Returns false on a write or store error.
  bool finish(std::string& error);

  // Lines for the probe's summary (decisions by outcome and reason, channel figures).
  std::string summary() const;
  engine_counters totals() const;
  // Decisions by campaign over every shard, ordered by campaign id. Any thread.
  std::vector<campaign_decisions> decisions_by_campaign() const;
  // Thread-safe, for the console: the current tables (swapped on reload) and the SMPP channel's
  // figures (nullopt without an sms channel).
  operator_tables tables() const;
  std::optional<sms_figures> sms() const;
  // Each `sent` decision of a `record` campaign, on the shard's thread, with its event (the
  // console's visitor statistics from the record channel). Set before the first event.
  void on_record(std::function<void(std::string_view campaign, const event& e)> f);
  // Lock-free (an atomic shared_ptr to the client): nullopt without an sms channel or once
  // finish() has stopped it.
  std::optional<sms_window> window() const noexcept;

  struct impl;

 private:
  std::unique_ptr<impl> _impl;
};

}  // namespace bssap::campaign
