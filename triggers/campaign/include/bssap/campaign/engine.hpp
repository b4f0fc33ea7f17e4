// The campaign engine: the trigger table that turns behaviour events into decisions and
// messages, exactly once. Contract: ../shared/spec/campaigns.md ("Decisions", "The decision log",
// "Exactly once", "Evaluation").
//
//   event_fanout --shard k--> engine k --decisions--> decision_log
//                                      \--messages--> channel (SMPP outbox | worklist CSV | record)
//
// One engine per trigger shard, shared-nothing: each owns its subscribers' history, counters and
// durable store (<state_dir>/engine-K.db, SQLite WAL), and runs in its shard's worker thread.
// Events are processed in batches: a batch's decisions and state are committed in one
// transaction (flush(), when the shard's queue runs dry, or every `batch_events`), and only then
// handed to the channel, whose idempotency key is the decision's identity (campaign:event_id).
// A kill -9 before the commit loses the batch's decisions and the messages they would have sent
// together; the rerun decides them again, identically. After the commit and before the hand-off,
// the next start finds the decisions not yet handed over and hands them over again (the SMPP
// outbox ignores an id it already holds).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bssap/campaign/config.hpp"
#include "bssap/campaign/local_time.hpp"
#include "bssap/campaign/tables.hpp"
#include "bssap/event.hpp"
#include "bssap/event_sink.hpp"

namespace bssap::campaign {

enum class outcome : std::uint8_t { sent, deferred, suppressed, rehearsed };
std::string_view to_string(outcome o) noexcept;

// Reasons, in the order of the checks (campaigns.md "Decisions").
enum class reason : std::uint8_t {
  none,
  no_msisdn,
  test_numbers,
  dnd,
  immune,
  cap,
  global_cap,
  budget,
  timing,
  quiet_hours,
  control_group,
  priority,
  count_
};
std::string_view to_string(reason r) noexcept;
constexpr std::size_t reason_count = static_cast<std::size_t>(reason::count_);

// event_id: 16 lowercase hex digits of FNV-1a-64 over "TS|TYPE|ID|PEER" (campaigns.md "Exactly
// once"), TS as the event log writes it, ID the IMSI or else the TMSI (8 hex digits).
std::string event_id_of(const event& e);
std::uint64_t fnv1a64(std::string_view s) noexcept;

// One line of the decision log.
struct decision {
  std::int64_t ts_us = 0;
  std::string campaign;
  std::string event_id;
  event_type type = event_type::power_on;
  std::string imsi;  // or the TMSI when no IMSI is known
  std::string msisdn;
  channel_type action = channel_type::sms;
  outcome result = outcome::sent;
  reason why = reason::none;
  std::string text;  // sent / rehearsed sms
};
void append_json_line(const decision& d, std::string& out);

// A message leaving the engine after its decision is durable.
struct outgoing {
  std::string id;  // campaign:event_id: the channel's idempotency key
  std::string campaign;
  channel_type action = channel_type::sms;
  std::int64_t ts_us = 0;
  std::string local_day;  // YYYY-MM-DD of ts_us in the configured timezone (worklist file name)
  std::string imsi, msisdn, sender, text;
  // worklist columns
  std::string lac, cell, area, offer;
};

// Where decisions' messages go. Implementations are shared by every shard (thread-safe).
class channel {
 public:
  virtual ~channel() = default;
  // The batch is durable in the engine's store. Returns false when the channel could not take it
  // (the engine keeps the decisions marked as not handed over, for the next start).
  virtual bool deliver(std::span<const outgoing> batch, std::string& error) = 0;
};

// Where decision lines go (the --decisions file), shared by every shard.
class decision_sink {
 public:
  virtual ~decision_sink() = default;
  virtual void write(std::size_t shard, std::string_view json_lines) = 0;
};

// What an engine reads, swapped whole on SIGHUP.
struct rule_set;  // the compiled campaigns (rules.hpp, private)
struct engine_inputs {
  std::shared_ptr<const probe_config> config;
  operator_tables tables;
  std::shared_ptr<const rule_set> rules;
};
// Compiles campaigns against the tables. nullptr + `FILE:LINE: key: ...` error when invalid.
std::shared_ptr<const rule_set> compile_rules(std::shared_ptr<const probe_config> cfg, const operator_tables& tables,
                                              std::string& error);
// Loads probe.yaml, every table it names and compiles the campaigns: everything a start needs.
// Table load problems go to `warnings` (bad rows skipped), fatal ones to `error`.
std::optional<engine_inputs> load_inputs(const std::string& config_path, std::vector<std::string>& warnings,
                                         std::string& error);

struct engine_counters {
  std::uint64_t events = 0;
  std::uint64_t duplicates = 0;     // already processed (event_id remembered in state_dir)
  std::uint64_t no_subscriber = 0;  // neither IMSI nor TMSI: nobody to decide for
  std::uint64_t candidates = 0;
  std::uint64_t sent = 0, deferred = 0, released = 0, rehearsed = 0, recorded = 0;
  std::array<std::uint64_t, reason_count> suppressed{};
  std::uint64_t responses = 0, orders = 0, opt_outs = 0;
  std::uint64_t handed_over = 0, hand_over_failures = 0;
  std::uint64_t reports = 0, alarms = 0;  // daily report and capacity alarm SMS handed over
  std::uint64_t commits = 0;
  std::uint64_t store_errors = 0;
  // The subscriber table as of the last batch: subscribers seen, those with an extra part (history
  // or contacts), and the bytes of the table and its parts (subscriber_states.hpp).
  std::uint64_t subscribers = 0, subscribers_with_history = 0, state_bytes = 0;
};

// One campaign's decisions by outcome and, when suppressed, reason (for /metrics: the operator
// graphs each campaign's sends and why the rest were not sent).
struct campaign_decisions {
  std::string campaign;  // the campaign's id
  std::uint64_t sent = 0, recorded = 0, deferred = 0, rehearsed = 0;
  std::array<std::uint64_t, reason_count> suppressed{};
};

// One local day's figures over every shard (the daily report SMS and the capacity alarm).
struct day_figures {
  std::uint64_t sent = 0, suppressed = 0, responses = 0, orders = 0, opt_outs = 0;
};

struct engine_options {
  std::size_t shard = 0;
  std::size_t shards = 1;
  std::size_t batch_events = 4096;  // commit at least this often
  // The store's state log is folded into its subscriber table past this size (tests make it small).
  std::uint64_t fold_bytes = 64ull << 20;
  // The day's figures of all shards (the runtime sums them); empty: this shard's own.
  std::function<day_figures(local_days)> all_shards;
  // Called on the shard's thread for each `sent` decision of a `record` campaign, with the event
  // that made it (the console counts visitors from it); empty: nothing is called.
  std::function<void(std::string_view campaign, const event& e)> on_record;
};

// A reply from a subscriber (SMPP deliver_sm), routed to the subscriber's shard.
struct reply {
  std::string msisdn;
  std::string to;  // the destination address: a campaign's sender
  std::string text;
};

class engine final : public shard_consumer {
 public:
  engine(engine_options options, engine_inputs inputs, channel* out, decision_sink* log);
  ~engine() override;
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Opens <state_dir>/engine-K.db, restores subscriber state and pending deferrals, and hands
  // over decisions that were committed but not handed over before a crash. Error text or "".
  std::string open();

  // shard_consumer: runs in the shard's worker thread. An event is decided a few events after
  // it arrives (its state is prefetched meanwhile), in arrival order; flush() decides the ones
  // still waiting first, so counters() and the decision log cover every event only after it.
  void on_event(const event& e) noexcept override;
  void flush() noexcept override;  // commit the batch, hand messages over, write decision lines

  // Thread-safe: applied by the worker between two events, after every event that arrived
  // before it (or at the next flush).
  void reload(engine_inputs inputs);
  void post_reply(reply r);

  // Final commit (deferrals still waiting stay in the store). Idempotent.
  void close() noexcept;

  engine_counters counters() const noexcept;  // safe from other threads (relaxed)
  // Every campaign that has decided here since the engine was made, ordered by id; safe from other
  // threads (the worker takes a lock only the first time a campaign decides).
  std::vector<campaign_decisions> decisions_by_campaign() const;
  day_figures figures(local_days day) const noexcept;  // this shard's, for `day` (0 when another day)
  std::string last_error() const;

  struct impl;

 private:
  std::unique_ptr<impl> _impl;
};

// The evaluation report (campaigns.md "Evaluation"), read from a state_dir's stores and the SMPP
// outbox. `orders_csv` (msisdn,product,time) may be empty.
std::string report_text(const probe_config& cfg, const operator_tables& tables, const std::string& orders_csv,
                        bool json, std::string& error);

}  // namespace bssap::campaign
