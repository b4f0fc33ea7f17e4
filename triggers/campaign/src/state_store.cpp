// SQLite persistence of one engine shard (layout in state_store.hpp).
#include "state_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

namespace bssap::campaign {
namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions(
  campaign TEXT NOT NULL, event_id TEXT NOT NULL, line INTEGER NOT NULL, ts INTEGER NOT NULL,
  imsi TEXT NOT NULL, msisdn TEXT NOT NULL, event_type TEXT NOT NULL, action TEXT NOT NULL,
  outcome TEXT NOT NULL, reason TEXT NOT NULL, text TEXT NOT NULL, control INTEGER NOT NULL,
  handed INTEGER NOT NULL, PRIMARY KEY(campaign, event_id, line)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS decisions_unhanded ON decisions(handed) WHERE handed = 0;
CREATE TABLE IF NOT EXISTS subscribers(key INTEGER PRIMARY KEY, state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS pending(campaign TEXT NOT NULL, event_id TEXT NOT NULL, ts INTEGER NOT NULL,
  release_ts INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY(campaign, event_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS budgets(campaign TEXT NOT NULL, day INTEGER NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY(campaign, day)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS responses(campaign TEXT NOT NULL, imsi TEXT NOT NULL, msisdn TEXT NOT NULL,
  ts INTEGER NOT NULL, text TEXT NOT NULL, ordered INTEGER NOT NULL, opt_out INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS opt_outs(msisdn TEXT PRIMARY KEY, ts INTEGER NOT NULL) WITHOUT ROWID;
)sql";

void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
std::string column_text(sqlite3_stmt* s, int i) {
  const auto* p = sqlite3_column_text(s, i);
  return p == nullptr
             ? std::string()
             : std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
}

}  // namespace

state_store::~state_store() {
  close();
}

std::string state_store::sqlite_error(std::string_view what) const {
  return fmt::format("{}: {}: {}", _path, what, _db ? sqlite3_errmsg(_db) : "cannot open");
}

bool state_store::exec(const char* sql, std::string& error) {
  char* msg = nullptr;
  if (sqlite3_exec(_db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    error = fmt::format("{}: {}", _path, msg ? msg : "error");
    sqlite3_free(msg);
    return false;
  }
  return true;
}

sqlite3_stmt* state_store::prepare(const char* sql, std::string& error) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(_db, sql, -1, &s, nullptr) != SQLITE_OK) {
    error = sqlite_error("prepare");
    return nullptr;
  }
  return s;
}

bool state_store::open_read(const std::string& path, std::string& error) {
  _path = path;
  if (sqlite3_open_v2(path.c_str(), &_db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    error = sqlite_error("open");
    close();
    return false;
  }
  sqlite3_busy_timeout(_db, 5000);
  return true;
}

bool state_store::open(const std::string& path, std::size_t shard, std::size_t shards, std::string& error) {
  _path = path;
  if (sqlite3_open_v2(path.c_str(), &_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    error = sqlite_error("open");
    close();
    return false;
  }
  sqlite3_busy_timeout(_db, 5000);
  // WAL + synchronous=NORMAL: a committed batch survives a process crash (kill -9); only a power
  // loss may take the last batches, which the SMPP outbox then never saw either.
  // A large page cache and a memory map: a batch touches rows all over the decisions and
  // subscribers B-trees, and with SQLite's default 2 MiB cache every page was read and written
  // with a system call of its own (measured: pread/pwrite took most of the engine's time).
  if (!exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144; "
            "PRAGMA mmap_size=1073741824;",
            error) ||
      !exec(schema, error))
    return false;
  const std::string layout = fmt::format("{}/{}", shard, shards);
  sqlite3_stmt* get = prepare("SELECT value FROM meta WHERE key = 'shard'", error);
  if (get == nullptr) return false;
  std::string found;
  if (sqlite3_step(get) == SQLITE_ROW) found = column_text(get, 0);
  sqlite3_finalize(get);
  if (found.empty()) {
    const std::string sql = fmt::format("INSERT INTO meta VALUES('shard', '{}')", layout);
    if (!exec(sql.c_str(), error)) return false;
  } else if (found != layout) {
    error = fmt::format("{}: made for trigger shard {}, not {} (use the same --trigger-shards as before)", path, found,
                        layout);
    return false;
  }
  _put_decision =
      prepare("INSERT OR REPLACE INTO decisions VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", error);
  _put_subscriber = prepare("INSERT OR REPLACE INTO subscribers VALUES(?1, ?2)", error);
  _put_pending = prepare("INSERT OR REPLACE INTO pending VALUES(?1, ?2, ?3, ?4, ?5)", error);
  _delete_pending = prepare("DELETE FROM pending WHERE campaign = ?1 AND event_id = ?2", error);
  _put_budget = prepare("INSERT OR REPLACE INTO budgets VALUES(?1, ?2, ?3)", error);
  _put_response = prepare("INSERT INTO responses VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
  _put_opt_out = prepare("INSERT OR IGNORE INTO opt_outs VALUES(?1, ?2)", error);
  _mark_handed = prepare("UPDATE decisions SET handed = 1 WHERE campaign = ?1 AND event_id = ?2 AND line = 1", error);
  return _mark_handed != nullptr && _put_opt_out != nullptr && _put_response != nullptr && _put_budget != nullptr &&
         _delete_pending != nullptr && _put_pending != nullptr && _put_subscriber != nullptr &&
         _put_decision != nullptr;
}

void state_store::close() noexcept {
  for (auto* s : {_put_decision, _put_subscriber, _put_pending, _delete_pending, _put_budget, _put_response,
                  _put_opt_out, _mark_handed})
    if (s != nullptr) sqlite3_finalize(s);
  _put_decision = _put_subscriber = _put_pending = _delete_pending = _put_budget = _put_response = _put_opt_out =
      _mark_handed = nullptr;
  if (_db != nullptr) sqlite3_close(_db);
  _db = nullptr;
}

namespace {
template <class F>
bool each_row(sqlite3* db, const char* sql, const std::string& path, std::string& error, F&& f) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) {
    error = fmt::format("{}: {}", path, sqlite3_errmsg(db));
    return false;
  }
  int rc = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) f(s);
  const bool ok = rc == SQLITE_DONE;
  if (!ok) error = fmt::format("{}: {}", path, sqlite3_errmsg(db));
  sqlite3_finalize(s);
  return ok;
}

decision_row read_decision(sqlite3_stmt* s) {
  decision_row d;
  d.campaign = column_text(s, 0);
  d.event_id = column_text(s, 1);
  d.line = sqlite3_column_int(s, 2);
  d.ts_us = sqlite3_column_int64(s, 3);
  d.imsi = column_text(s, 4);
  d.msisdn = column_text(s, 5);
  d.event_type = column_text(s, 6);
  d.action = column_text(s, 7);
  d.outcome = column_text(s, 8);
  d.reason = column_text(s, 9);
  d.text = column_text(s, 10);
  d.control = sqlite3_column_int(s, 11) != 0;
  d.handed = sqlite3_column_int(s, 12) != 0;
  return d;
}
}  // namespace

bool state_store::each_subscriber(const std::function<void(std::uint64_t, std::string_view)>& f, std::string& error) {
  return each_row(_db, "SELECT key, state FROM subscribers", _path, error, [&](sqlite3_stmt* s) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s, 1));
    f(static_cast<std::uint64_t>(sqlite3_column_int64(s, 0)),
      std::string_view(p == nullptr ? "" : p, static_cast<std::size_t>(sqlite3_column_bytes(s, 1))));
  });
}

bool state_store::each_pending(const std::function<void(pending_row&&)>& f, std::string& error) {
  return each_row(
      _db, "SELECT campaign, event_id, ts, release_ts, event FROM pending ORDER BY release_ts, ts, campaign, event_id",
      _path, error, [&](sqlite3_stmt* s) {
        pending_row p;
        p.campaign = column_text(s, 0);
        p.event_id = column_text(s, 1);
        p.ts_us = sqlite3_column_int64(s, 2);
        p.release_us = sqlite3_column_int64(s, 3);
        p.event_json = column_text(s, 4);
        f(std::move(p));
      });
}

bool state_store::each_budget(const std::function<void(std::string_view, std::int32_t, std::uint64_t)>& f,
                              std::string& error) {
  return each_row(_db, "SELECT campaign, day, count FROM budgets", _path, error, [&](sqlite3_stmt* s) {
    f(column_text(s, 0), sqlite3_column_int(s, 1), static_cast<std::uint64_t>(sqlite3_column_int64(s, 2)));
  });
}

bool state_store::each_opt_out(const std::function<void(std::string_view)>& f, std::string& error) {
  return each_row(_db, "SELECT msisdn FROM opt_outs", _path, error, [&](sqlite3_stmt* s) { f(column_text(s, 0)); });
}

bool state_store::each_unhanded(const std::function<void(decision_row&&)>& f, std::string& error) {
  return each_row(_db, "SELECT * FROM decisions WHERE handed = 0 ORDER BY ts, campaign, event_id", _path, error,
                  [&](sqlite3_stmt* s) { f(read_decision(s)); });
}

bool state_store::each_decision(const std::function<void(decision_row&&)>& f, std::string& error) {
  return each_row(_db, "SELECT * FROM decisions ORDER BY ts, campaign, event_id, line", _path, error,
                  [&](sqlite3_stmt* s) { f(read_decision(s)); });
}

bool state_store::each_response(const std::function<void(response_row&&)>& f, std::string& error) {
  return each_row(_db, "SELECT campaign, imsi, msisdn, ts, text, ordered, opt_out FROM responses ORDER BY rowid", _path,
                  error, [&](sqlite3_stmt* s) {
                    response_row r;
                    r.campaign = column_text(s, 0);
                    r.imsi = column_text(s, 1);
                    r.msisdn = column_text(s, 2);
                    r.ts_us = sqlite3_column_int64(s, 3);
                    r.text = column_text(s, 4);
                    r.ordered = sqlite3_column_int(s, 5) != 0;
                    r.opt_out = sqlite3_column_int(s, 6) != 0;
                    f(std::move(r));
                  });
}

bool state_store::begin(std::string& error) {
  if (_in_batch) return true;
  _in_batch = exec("BEGIN IMMEDIATE", error);
  return _in_batch;
}

bool state_store::commit(std::string& error) {
  if (!_in_batch) return true;
  _in_batch = false;
  if (!exec("COMMIT", error)) {
    rollback();
    return false;
  }
  return true;
}

void state_store::rollback() noexcept {
  if (_db != nullptr) sqlite3_exec(_db, "ROLLBACK", nullptr, nullptr, nullptr);
  _in_batch = false;
}

namespace {
bool step_done(sqlite3* db, sqlite3_stmt* s, const std::string& path, std::string& error) {
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (rc != SQLITE_DONE) {
    error = fmt::format("{}: {}", path, sqlite3_errmsg(db));
    return false;
  }
  return true;
}
}  // namespace

bool state_store::put_decision(const decision_row& d, std::string& error) {
  auto* s = _put_decision;
  bind_text(s, 1, d.campaign);
  bind_text(s, 2, d.event_id);
  sqlite3_bind_int(s, 3, d.line);
  sqlite3_bind_int64(s, 4, d.ts_us);
  bind_text(s, 5, d.imsi);
  bind_text(s, 6, d.msisdn);
  bind_text(s, 7, d.event_type);
  bind_text(s, 8, d.action);
  bind_text(s, 9, d.outcome);
  bind_text(s, 10, d.reason);
  bind_text(s, 11, d.text);
  sqlite3_bind_int(s, 12, d.control ? 1 : 0);
  sqlite3_bind_int(s, 13, d.handed ? 1 : 0);
  return step_done(_db, s, _path, error);
}

bool state_store::put_subscriber(std::uint64_t key, std::string_view state, std::string& error) {
  sqlite3_bind_int64(_put_subscriber, 1, static_cast<sqlite3_int64>(key));
  sqlite3_bind_blob(_put_subscriber, 2, state.data(), static_cast<int>(state.size()), SQLITE_TRANSIENT);
  return step_done(_db, _put_subscriber, _path, error);
}

bool state_store::put_pending(const pending_row& p, std::string& error) {
  bind_text(_put_pending, 1, p.campaign);
  bind_text(_put_pending, 2, p.event_id);
  sqlite3_bind_int64(_put_pending, 3, p.ts_us);
  sqlite3_bind_int64(_put_pending, 4, p.release_us);
  bind_text(_put_pending, 5, p.event_json);
  return step_done(_db, _put_pending, _path, error);
}

bool state_store::delete_pending(std::string_view campaign, std::string_view event_id, std::string& error) {
  bind_text(_delete_pending, 1, campaign);
  bind_text(_delete_pending, 2, event_id);
  return step_done(_db, _delete_pending, _path, error);
}

bool state_store::put_budget(std::string_view campaign, std::int32_t day, std::uint64_t count, std::string& error) {
  bind_text(_put_budget, 1, campaign);
  sqlite3_bind_int(_put_budget, 2, day);
  sqlite3_bind_int64(_put_budget, 3, static_cast<sqlite3_int64>(count));
  return step_done(_db, _put_budget, _path, error);
}

bool state_store::put_response(const response_row& r, std::string& error) {
  bind_text(_put_response, 1, r.campaign);
  bind_text(_put_response, 2, r.imsi);
  bind_text(_put_response, 3, r.msisdn);
  sqlite3_bind_int64(_put_response, 4, r.ts_us);
  bind_text(_put_response, 5, r.text);
  sqlite3_bind_int(_put_response, 6, r.ordered ? 1 : 0);
  sqlite3_bind_int(_put_response, 7, r.opt_out ? 1 : 0);
  return step_done(_db, _put_response, _path, error);
}

bool state_store::put_opt_out(std::string_view msisdn, std::int64_t ts_us, std::string& error) {
  bind_text(_put_opt_out, 1, msisdn);
  sqlite3_bind_int64(_put_opt_out, 2, ts_us);
  return step_done(_db, _put_opt_out, _path, error);
}

bool state_store::mark_handed(std::string_view campaign, std::string_view event_id, std::string& error) {
  bind_text(_mark_handed, 1, campaign);
  bind_text(_mark_handed, 2, event_id);
  return step_done(_db, _mark_handed, _path, error);
}

}  // namespace bssap::campaign
