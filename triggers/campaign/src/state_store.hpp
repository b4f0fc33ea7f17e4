// One engine shard's durable state: <state_dir>/engine-K.db, SQLite in WAL mode, written in one
// transaction per batch (campaigns.md "Exactly once": decisions, contacts, caps, budgets,
// immunity and waiting deferrals are written before the message leaves).
//
// Tables
//   meta(key, value)                      shard, shards (a store belongs to one shard layout)
//   decisions(campaign, event_id, line,   every decision line; line 0 = the `deferred` line,
//     ts, imsi, msisdn, event_type,       1 = the final one; handed = 0 while a sent message has
//     action, outcome, reason, text,      not been taken by its channel
//     control, handed)
//   subscribers(key, state)               per-subscriber history, contacts, processed watermark
//   pending(campaign, event_id, ts,       waiting deferrals: the event as a JSON line
//     release_ts, event)
//   budgets(campaign, day, count)         spent budget per local date
//   responses(campaign, imsi, msisdn,     responses, orders and opt-outs (for the report)
//     ts, text, ordered, opt_out)
//   opt_outs(msisdn, ts)                  do-not-disturb for good
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace bssap::campaign {

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

  // Restore at start.
  bool each_subscriber(const std::function<void(std::uint64_t, std::string_view)>& f, std::string& error);
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
  bool put_decision(const decision_row& d, std::string& error);
  bool put_subscriber(std::uint64_t key, std::string_view state, std::string& error);
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

  sqlite3* _db = nullptr;
  std::string _path;
  sqlite3_stmt* _put_decision = nullptr;
  sqlite3_stmt* _put_subscriber = nullptr;
  sqlite3_stmt* _put_pending = nullptr;
  sqlite3_stmt* _delete_pending = nullptr;
  sqlite3_stmt* _put_budget = nullptr;
  sqlite3_stmt* _put_response = nullptr;
  sqlite3_stmt* _put_opt_out = nullptr;
  sqlite3_stmt* _mark_handed = nullptr;
  bool _in_batch = false;
};

}  // namespace bssap::campaign
