// SQLite persistence of one engine shard (layout in state_store.hpp).
#include "state_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <tuple>
#include <vector>

namespace bssap::campaign {
namespace {

// 'format' 3: decisions and subscriber states appended per batch (format 2, a row per decision
// and per subscriber, is refused: its tables are not read). 4: the fold writes every state into
// `snapshot` chunks; a format 3 store is read (its `subscribers` rows first) and marked 4 when
// opened for writing, so that a version reading only 3 refuses it rather than miss the chunks.
constexpr const char* store_format = "4";
constexpr const char* upgradable_format = "3";
constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decision_batches(seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS unhanded(campaign TEXT NOT NULL, event_id TEXT NOT NULL, ts INTEGER NOT NULL,
  data BLOB NOT NULL, PRIMARY KEY(campaign, event_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subscribers(key INTEGER PRIMARY KEY, state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS state_log(seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS snapshot(seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS pending(campaign TEXT NOT NULL, event_id TEXT NOT NULL, ts INTEGER NOT NULL,
  release_ts INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY(campaign, event_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS budgets(campaign TEXT NOT NULL, day INTEGER NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY(campaign, day)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS responses(campaign TEXT NOT NULL, imsi TEXT NOT NULL, msisdn TEXT NOT NULL,
  ts INTEGER NOT NULL, text TEXT NOT NULL, ordered INTEGER NOT NULL, opt_out INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS opt_outs(msisdn TEXT PRIMARY KEY, ts INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// The batch encodings: LEB128 lengths and integers (little-endian fixed width for timestamps
// and keys), strings as length + bytes. Local to the host that wrote them, like the rest.
void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}
template <class T>
void put_fixed(std::string& out, T v) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  out.append(b, sizeof v);
}

class blob_reader {
 public:
  explicit blob_reader(std::string_view in) : _in(in) {}
  bool empty() const { return _in.empty(); }
  bool varint(std::uint64_t& v) {
    v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (_in.empty()) return false;
      const auto b = static_cast<std::uint8_t>(_in.front());
      _in.remove_prefix(1);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool string(std::string_view& s) {
    std::uint64_t n = 0;
    if (!varint(n) || n > _in.size()) return false;
    s = _in.substr(0, n);
    _in.remove_prefix(n);
    return true;
  }
  bool string(std::string& s) {
    std::string_view v;
    if (!string(v)) return false;
    s.assign(v);
    return true;
  }
  template <class T>
  bool fixed(T& v) {
    if (_in.size() < sizeof v) return false;
    std::memcpy(&v, _in.data(), sizeof v);
    _in.remove_prefix(sizeof v);
    return true;
  }

 private:
  std::string_view _in;
};

bool read_decision(blob_reader& r, decision_row& d) {
  std::uint64_t line = 0, flags = 0;
  return r.string(d.campaign) && r.string(d.event_id) && r.varint(line) && r.fixed(d.ts_us) && r.string(d.imsi) &&
         r.string(d.msisdn) && r.string(d.event_type) && r.string(d.action) && r.string(d.outcome) &&
         r.string(d.reason) && r.string(d.text) && r.varint(flags) &&
         ((d.line = static_cast<int>(line)), (d.control = (flags & 1) != 0), (d.handed = (flags & 2) != 0), true);
}

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

void append_decision(std::string& batch, const decision_ref& d) {
  put_string(batch, d.campaign);
  put_string(batch, d.event_id);
  put_varint(batch, static_cast<std::uint64_t>(d.line));
  put_fixed(batch, d.ts_us);
  put_string(batch, d.imsi);
  put_string(batch, d.msisdn);
  put_string(batch, d.event_type);
  put_string(batch, d.action);
  put_string(batch, d.outcome);
  put_string(batch, d.reason);
  put_string(batch, d.text);
  put_varint(batch, (d.control ? 1u : 0u) | (d.handed ? 2u : 0u));
}

void append_state_entry(std::string& batch, std::uint64_t key, std::string_view state) {
  put_fixed(batch, key);
  put_string(batch, state);
}

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

std::optional<std::string> state_store::meta_value(const char* key, std::string& error) {
  sqlite3_stmt* get = prepare("SELECT value FROM meta WHERE key = ?1", error);
  if (get == nullptr) return std::nullopt;
  bind_text(get, 1, key);
  std::string found;
  if (sqlite3_step(get) == SQLITE_ROW) found = column_text(get, 0);
  sqlite3_finalize(get);
  return found;
}

// A store of another format is refused rather than misread: its tables hold another layout.
bool state_store::check_format(std::string& error) {
  const auto format = meta_value("format", error);
  if (!format) return false;
  if (*format != store_format && *format != upgradable_format) {
    error = fmt::format("{}: a store of format {} (this version reads format {}); move it away to start afresh", _path,
                        format->empty() ? "2 or older" : *format, store_format);
    return false;
  }
  return true;
}

bool state_store::open_read(const std::string& path, std::string& error) {
  _path = path;
  if (sqlite3_open_v2(path.c_str(), &_db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    error = sqlite_error("open");
    close();
    return false;
  }
  sqlite3_busy_timeout(_db, 5000);
  return check_format(error);
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
  // A 16 MiB page cache and no memory map: every write appends (batch rows, snapshot chunks),
  // so nothing is gained by keeping pages; the 256 MiB cache and 1 GiB map that the fold into a
  // B-tree of subscriber rows needed held most of the store resident (1.2 GiB at a million
  // subscribers), counted against the engine's memory.
  // 16 KiB pages for a new store (an existing one keeps its own): every big row is a blob of a
  // batch or a snapshot chunk, tens of KiB to 1 MiB, and each page is a WAL frame, a checkpoint
  // copy and a link of an overflow chain (bench_campaign: 4 KiB 0.75-0.81, 16 KiB 0.82-0.88,
  // 64 KiB 0.83-0.85 M events/s; larger pages cost the small commits of a quiet probe more).
  if (!exec("PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384; "
            "PRAGMA mmap_size=0;",
            error))
    return false;
  // A new store gets its format; one without `format` but with the tables of format 2 is older.
  sqlite3_stmt* probe = prepare("SELECT count(*) FROM sqlite_master WHERE name = 'meta'", error);
  if (probe == nullptr) return false;
  const bool fresh = sqlite3_step(probe) == SQLITE_ROW && sqlite3_column_int(probe, 0) == 0;
  sqlite3_finalize(probe);
  if (!exec(schema, error)) return false;
  if (fresh) {
    const std::string sql = fmt::format("INSERT INTO meta VALUES('format', '{}')", store_format);
    if (!exec(sql.c_str(), error)) return false;
  }
  if (!check_format(error)) return false;
  {
    const std::string sql = fmt::format("UPDATE meta SET value = '{}' WHERE key = 'format'", store_format);
    if (!exec(sql.c_str(), error)) return false;
  }
  const std::string layout = fmt::format("{}/{}", shard, shards);
  const auto found = meta_value("shard", error);
  if (!found) return false;
  if (found->empty()) {
    const std::string sql = fmt::format("INSERT INTO meta VALUES('shard', '{}')", layout);
    if (!exec(sql.c_str(), error)) return false;
  } else if (*found != layout) {
    error = fmt::format("{}: made for trigger shard {}, not {} (use the same --trigger-shards as before)", path, *found,
                        layout);
    return false;
  }
  sqlite3_stmt* log_size = prepare("SELECT coalesce(sum(length(data)), 0) FROM state_log", error);
  if (log_size == nullptr) return false;
  if (sqlite3_step(log_size) == SQLITE_ROW)
    _state_log_bytes = static_cast<std::uint64_t>(sqlite3_column_int64(log_size, 0));
  sqlite3_finalize(log_size);
  _put_decisions = prepare("INSERT INTO decision_batches(data) VALUES(?1)", error);
  _put_unhanded = prepare("INSERT OR REPLACE INTO unhanded VALUES(?1, ?2, ?3, ?4)", error);
  _put_states = prepare("INSERT INTO state_log(data) VALUES(?1)", error);
  _put_snapshot = prepare("INSERT INTO snapshot(data) VALUES(?1)", error);
  _put_pending = prepare("INSERT OR REPLACE INTO pending VALUES(?1, ?2, ?3, ?4, ?5)", error);
  _delete_pending = prepare("DELETE FROM pending WHERE campaign = ?1 AND event_id = ?2", error);
  _put_budget = prepare("INSERT OR REPLACE INTO budgets VALUES(?1, ?2, ?3)", error);
  _put_response = prepare("INSERT INTO responses VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
  _put_opt_out = prepare("INSERT OR IGNORE INTO opt_outs VALUES(?1, ?2)", error);
  _mark_handed = prepare("DELETE FROM unhanded WHERE campaign = ?1 AND event_id = ?2", error);
  return _mark_handed != nullptr && _put_opt_out != nullptr && _put_response != nullptr && _put_budget != nullptr &&
         _delete_pending != nullptr && _put_pending != nullptr && _put_snapshot != nullptr && _put_states != nullptr &&
         _put_unhanded != nullptr && _put_decisions != nullptr;
}

void state_store::close() noexcept {
  for (auto* s : {_put_decisions, _put_unhanded, _put_states, _put_snapshot, _put_pending, _delete_pending, _put_budget,
                  _put_response, _put_opt_out, _mark_handed})
    if (s != nullptr) sqlite3_finalize(s);
  _put_decisions = _put_unhanded = _put_states = _put_snapshot = _put_pending = _delete_pending = _put_budget =
      _put_response = _put_opt_out = _mark_handed = nullptr;
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
  bool ok = true;
  while (ok && (rc = sqlite3_step(s)) == SQLITE_ROW) ok = f(s);
  if (ok && rc != SQLITE_DONE) {
    error = fmt::format("{}: {}", path, sqlite3_errmsg(db));
    ok = false;
  }
  sqlite3_finalize(s);
  return ok;
}

std::string_view column_blob(sqlite3_stmt* s, int i) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
  return {p == nullptr ? "" : p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))};
}

bool decisions_of(std::string_view blob, std::vector<decision_row>& out) {
  blob_reader r(blob);
  while (!r.empty()) {
    decision_row d;
    if (!read_decision(r, d)) return false;
    out.push_back(std::move(d));
  }
  return true;
}
}  // namespace

bool state_store::each_subscriber(const std::function<void(std::uint64_t, std::string_view, bool)>& f,
                                  std::string& error) {
  if (!each_row(_db, "SELECT key, state FROM subscribers", _path, error, [&](sqlite3_stmt* s) {
        f(static_cast<std::uint64_t>(sqlite3_column_int64(s, 0)), column_blob(s, 1), false);
        return true;
      }))
    return false;
  // Snapshot chunks and state log rows: append_state_entry encodings.
  auto entries = [&](const char* table, bool logged) {
    return [&, table, logged](sqlite3_stmt* s) {
      blob_reader r(column_blob(s, 0));
      while (!r.empty()) {
        std::uint64_t key = 0;
        std::string_view state;
        if (!r.fixed(key) || !r.string(state)) {
          error = fmt::format("{}: a {} row does not decode", _path, table);
          return false;
        }
        f(key, state, logged);
      }
      return true;
    };
  };
  return each_row(_db, "SELECT data FROM snapshot ORDER BY seq", _path, error, entries("snapshot", false)) &&
         each_row(_db, "SELECT data FROM state_log ORDER BY seq", _path, error, entries("state_log", true));
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
        return true;
      });
}

bool state_store::each_budget(const std::function<void(std::string_view, std::int32_t, std::uint64_t)>& f,
                              std::string& error) {
  return each_row(_db, "SELECT campaign, day, count FROM budgets", _path, error, [&](sqlite3_stmt* s) {
    f(column_text(s, 0), sqlite3_column_int(s, 1), static_cast<std::uint64_t>(sqlite3_column_int64(s, 2)));
    return true;
  });
}

bool state_store::each_opt_out(const std::function<void(std::string_view)>& f, std::string& error) {
  return each_row(_db, "SELECT msisdn FROM opt_outs", _path, error, [&](sqlite3_stmt* s) {
    f(column_text(s, 0));
    return true;
  });
}

bool state_store::each_unhanded(const std::function<void(decision_row&&)>& f, std::string& error) {
  return each_row(_db, "SELECT data FROM unhanded ORDER BY ts, campaign, event_id", _path, error, [&](sqlite3_stmt* s) {
    std::vector<decision_row> one;
    if (!decisions_of(column_blob(s, 0), one) || one.size() != 1) {
      error = fmt::format("{}: an unhanded row does not decode", _path);
      return false;
    }
    f(std::move(one.front()));
    return true;
  });
}

bool state_store::each_decision(const std::function<void(decision_row&&)>& f, std::string& error) {
  std::vector<decision_row> all;
  if (!each_row(_db, "SELECT data FROM decision_batches ORDER BY seq", _path, error, [&](sqlite3_stmt* s) {
        if (decisions_of(column_blob(s, 0), all)) return true;
        error = fmt::format("{}: a decision batch does not decode", _path);
        return false;
      }))
    return false;
  std::stable_sort(all.begin(), all.end(), [](const decision_row& a, const decision_row& b) {
    return std::tie(a.ts_us, a.campaign, a.event_id, a.line) < std::tie(b.ts_us, b.campaign, b.event_id, b.line);
  });
  for (auto& d : all) f(std::move(d));
  return true;
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
                    return true;
                  });
}

bool state_store::begin(std::string& error) {
  if (_in_batch) return true;
  _in_batch = exec("BEGIN IMMEDIATE", error);
  _batch_log_bytes = 0;
  _batch_folded = false;
  return _in_batch;
}

bool state_store::commit(std::string& error) {
  if (!_in_batch) return true;
  _in_batch = false;
  if (!exec("COMMIT", error)) {
    rollback();
    return false;
  }
  if (_batch_folded) _state_log_bytes = 0;
  _state_log_bytes += _batch_log_bytes;
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

bool state_store::put_decisions(std::string_view batch, std::span<const unhanded_row> unhanded, std::string& error) {
  if (!batch.empty()) {
    sqlite3_bind_blob(_put_decisions, 1, batch.data(), static_cast<int>(batch.size()), SQLITE_STATIC);
    if (!step_done(_db, _put_decisions, _path, error)) return false;
  }
  for (const auto& u : unhanded) {
    bind_text(_put_unhanded, 1, u.campaign);
    bind_text(_put_unhanded, 2, u.event_id);
    sqlite3_bind_int64(_put_unhanded, 3, u.ts_us);
    sqlite3_bind_blob(_put_unhanded, 4, u.data.data(), static_cast<int>(u.data.size()), SQLITE_STATIC);
    if (!step_done(_db, _put_unhanded, _path, error)) return false;
  }
  return true;
}

bool state_store::put_states(std::string_view batch, std::string& error) {
  if (batch.empty()) return true;
  sqlite3_bind_blob(_put_states, 1, batch.data(), static_cast<int>(batch.size()), SQLITE_STATIC);
  if (!step_done(_db, _put_states, _path, error)) return false;
  _batch_log_bytes += batch.size();
  return true;
}

bool state_store::fold(const std::function<bool(std::string&)>& next_chunk, std::string& error) {
  if (!exec("DELETE FROM subscribers; DELETE FROM snapshot;", error)) return false;
  std::string chunk;
  while (next_chunk(chunk)) {
    if (chunk.empty()) continue;
    sqlite3_bind_blob(_put_snapshot, 1, chunk.data(), static_cast<int>(chunk.size()), SQLITE_STATIC);
    if (!step_done(_db, _put_snapshot, _path, error)) return false;
  }
  if (!exec("DELETE FROM state_log", error)) return false;
  _batch_folded = true;
  _batch_log_bytes = 0;
  return true;
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
