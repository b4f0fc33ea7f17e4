// One engine shard's durable state: <state_dir>/engine-K.db, SQLite in WAL mode, written in one
// transaction per batch (campaigns.md "Exactly once": decisions, contacts, caps, budgets,
// immunity and waiting deferrals are written before the message leaves).
//
// A batch is thousands of events, so what every event touches is appended as one row per batch
// (the decisions, the changed subscriber states) rather than a row per decision or subscriber:
// row-per-item updates hit a random B-tree page each, and that write traffic was 60 % of the
// engine's time (bench/README.md, bench_campaign).
//
// Tables
//   meta(key, value)                      shard layout ('shard' = K/N) and 'format'
//   decision_batches(seq, data)           every decision line of a batch, encoded (append_decision);
//                                         line 0 = the `deferred` line, 1 = the final one
//   unhanded(campaign, event_id, ts, data)  sent decisions whose message the channel has not taken
//   subscribers(key, state)               per-subscriber history, contacts, processed watermark,
//                                         as of the last fold of a format 3 store (emptied by
//                                         the next fold)
//   snapshot(seq, data)                   every subscriber's state as of the last fold, in
//                                         chunks of (key, state) entries (append_state_entry)
//   state_log(seq, data)                  states changed since the fold: (key, state) entries per
//                                         batch, later ones replacing earlier (or, for an entry
//                                         the engine marks as a delta, applied to the one
//                                         before); folded into `snapshot` when it outgrows
//                                         fold_bytes and twice the last snapshot
//   pending(campaign, event_id, ts,       waiting deferrals: the event as a JSON line
//     release_ts, event)
//   budgets(campaign, day, count)         spent budget per local date
//   responses(campaign, imsi, msisdn,     responses, orders and opt-outs (for the report)
//     ts, text, ordered, opt_out)
//   opt_outs(msisdn, ts)                  do-not-disturb for good
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace bssap::campaign {

// A decision line as stored (and as the report reads it).
struct decision_row {
  std::string campaign, event_id;
  int line = 1;
  std::int64_t ts_us = 0;
  std::string imsi, msisdn, event_type, action, outcome, reason, text;
  bool control = false;
  bool handed = true;
};

struct pending_row {
  std::string campaign, event_id;
  std::int64_t ts_us = 0;  // the deferred decision's time
  std::int64_t release_us = 0;
  std::string event_json;
};

struct response_row {
  std::string campaign, imsi, msisdn;
  std::int64_t ts_us = 0;
  std::string text;
  bool ordered = false, opt_out = false;
};

// The fields of one decision line, appended to a batch's encoding without copies.
struct decision_ref {
  std::string_view campaign, event_id;
  int line = 1;
  std::int64_t ts_us = 0;
  std::string_view imsi, msisdn, event_type, action, outcome, reason, text;
  bool control = false;
  bool handed = true;
};
void append_decision(std::string& batch, const decision_ref& d);

// A sent decision whose message the channel has yet to take: its line, encoded alone.
struct unhanded_row {
  std::string campaign, event_id;
  std::int64_t ts_us = 0;
  std::string data;  // append_decision
};
// Appends one subscriber's entry to a batch's state_log encoding (`state` written by the engine).
void append_state_entry(std::string& batch, std::uint64_t key, std::string_view state);

class state_store {
 public:
  state_store() = default;
  ~state_store();
  state_store(const state_store&) = delete;
  state_store& operator=(const state_store&) = delete;

  // Opens (creating) the store of `shard` of `shards`; a store made for another shard count is
  // refused (its subscribers would belong to other shards now).
  bool open(const std::string& path, std::size_t shard, std::size_t shards, std::string& error);
  // Read-only, any layout (the report).
  bool open_read(const std::string& path, std::string& error);
  void close() noexcept;

  // Restore at start. Subscribers: the folded table, then the state log in order (a key can
  // come more than once; the last one holds).
  // `logged`: read from the state log (its key must be passed to the next fold).
  bool each_subscriber(const std::function<void(std::uint64_t, std::string_view, bool logged)>& f, std::string& error);
  bool each_pending(const std::function<void(pending_row&&)>& f, std::string& error);
  bool each_budget(const std::function<void(std::string_view, std::int32_t, std::uint64_t)>& f, std::string& error);
  bool each_opt_out(const std::function<void(std::string_view)>& f, std::string& error);
  bool each_unhanded(const std::function<void(decision_row&&)>& f, std::string& error);
  // The report.
  bool each_decision(const std::function<void(decision_row&&)>& f, std::string& error);
  bool each_response(const std::function<void(response_row&&)>& f, std::string& error);

  // A batch: begin, puts, commit. A failed put or commit rolls the batch back (error set).
  bool begin(std::string& error);
  bool commit(std::string& error);
  void rollback() noexcept;
  // A batch's decisions (append_decision); those not handed over are kept apart until
  // mark_handed, for the next start to hand over again.
  bool put_decisions(std::string_view batch, std::span<const unhanded_row> unhanded, std::string& error);
  // A batch's changed subscribers (append_state_entry).
  bool put_states(std::string_view batch, std::string& error);
  // Bytes in the state log since the last fold; fold replaces the snapshot (and any format 3
  // subscriber rows) with the chunks next_chunk fills (append_state_entry encodings of every
  // subscriber's state; false when there are no more) and empties the log. Chunks are written
  // as they come: a snapshot of tens of millions of states is never in memory whole, and no
  // row per subscriber is rewritten at a random place in a B-tree.
  std::uint64_t state_log_bytes() const noexcept { return _state_log_bytes; }
  bool fold(const std::function<bool(std::string& chunk)>& next_chunk, std::string& error);
  bool put_pending(const pending_row& p, std::string& error);
  bool delete_pending(std::string_view campaign, std::string_view event_id, std::string& error);
  bool put_budget(std::string_view campaign, std::int32_t day, std::uint64_t count, std::string& error);
  bool put_response(const response_row& r, std::string& error);
  bool put_opt_out(std::string_view msisdn, std::int64_t ts_us, std::string& error);
  bool mark_handed(std::string_view campaign, std::string_view event_id, std::string& error);

 private:
  bool exec(const char* sql, std::string& error);
  sqlite3_stmt* prepare(const char* sql, std::string& error);
  std::string sqlite_error(std::string_view what) const;
  std::optional<std::string> meta_value(const char* key, std::string& error);
  bool check_format(std::string& error);

  sqlite3* _db = nullptr;
  std::string _path;
  sqlite3_stmt* _put_decisions = nullptr;
  sqlite3_stmt* _put_unhanded = nullptr;
  sqlite3_stmt* _put_states = nullptr;
  sqlite3_stmt* _put_snapshot = nullptr;
  sqlite3_stmt* _put_pending = nullptr;
  sqlite3_stmt* _delete_pending = nullptr;
  sqlite3_stmt* _put_budget = nullptr;
  sqlite3_stmt* _put_response = nullptr;
  sqlite3_stmt* _put_opt_out = nullptr;
  sqlite3_stmt* _mark_handed = nullptr;
  bool _in_batch = false;
  std::uint64_t _state_log_bytes = 0;  // committed
  std::uint64_t _batch_log_bytes = 0;  // added by the open batch
  bool _batch_folded = false;
};

}  // namespace bssap::campaign
