// SQLite outbox: WAL journal, prepared statements, one transaction per batch.
#include "bssap/smpp/outbox.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>

namespace bssap::smpp {
namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS message(
  id INTEGER PRIMARY KEY,
  client_ref TEXT,
  src_ton INTEGER, src_npi INTEGER, src TEXT,
  dst_ton INTEGER, dst_npi INTEGER, dst TEXT,
  text TEXT NOT NULL,
  want_receipt INTEGER NOT NULL,
  validity TEXT,
  event_ns INTEGER,
  parts INTEGER NOT NULL DEFAULT 1,
  state INTEGER NOT NULL DEFAULT 0,
  status INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS message_ref ON message(client_ref) WHERE client_ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS message_state ON message(state);
CREATE TABLE IF NOT EXISTS part(
  id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  smsc_id TEXT,
  status INTEGER NOT NULL DEFAULT 0,
  receipt_state INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(id, seq)) WITHOUT ROWID;
)sql";

struct stmt_reset {
  sqlite3_stmt* s;
  ~stmt_reset() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
std::string column_text(sqlite3_stmt* s, int i) {
  const auto* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

}  // namespace

outbox::~outbox() {
  if (_checkpointer.joinable()) {
    {
      std::lock_guard lock(_ck_mutex);
      _ck_stop = true;
    }
    _ck_cv.notify_all();
    _checkpointer.join();
  }
  for (auto* s : {_insert, _find_ref, _part_ack, _part_fail, _part_receipt, _msg_state}) sqlite3_finalize(s);
  if (_db) sqlite3_close(_db);
}

bool outbox::set_full_sync(bool full) {
  if (!_sync_full || full == _in_full) return true;
  _in_full = full;
  return exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

bool outbox::exec(const char* sql) {
  if (!_db) {
    _error = "outbox not open";
    return false;
  }
  char* err = nullptr;
  if (sqlite3_exec(_db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    _error = std::string("sqlite: ") + (err ? err : "error") + " in: " + std::string(sql).substr(0, 60);
    sqlite3_free(err);
    return false;
  }
  return true;
}

std::string outbox::open(const std::string& path, std::string_view sync) {
  std::lock_guard lock(_mutex);
  if (sqlite3_open_v2(path.c_str(), &_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    _error = "cannot open outbox " + path + ": " + (_db ? sqlite3_errmsg(_db) : "out of memory");
    return _error;
  }
  sqlite3_busy_timeout(_db, 5000);
  // WAL: a commit is one append to the log; a crashed writer leaves the last committed state.
  if (!exec("PRAGMA journal_mode=WAL")) return _error;
  const std::string pragma = sync == "off"      ? "PRAGMA synchronous=OFF"
                             : sync == "normal" ? "PRAGMA synchronous=NORMAL"
                                                : "PRAGMA synchronous=FULL";
  if (!exec(pragma.c_str()) || !exec(schema)) return _error;
  _sync_full = sync != "off" && sync != "normal";
  if (path != ":memory:" && !path.empty()) {
    // Checkpoints copy the WAL back into the database: done by the writer that crosses the
    // threshold they stall a submit or an ack batch for milliseconds. A background connection
    // runs them instead (PASSIVE: never blocks writers, WAL section 2.3 of sqlite.org/wal.html).
    if (!exec("PRAGMA wal_autocheckpoint=0")) return _error;
    sqlite3* ck = nullptr;
    if (sqlite3_open_v2(path.c_str(), &ck, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK) {
      sqlite3_busy_timeout(ck, 100);
      _checkpointer = std::thread([this, ck] {
        std::unique_lock lock(_ck_mutex);
        while (!_ck_stop) {
          _ck_cv.wait_for(lock, std::chrono::milliseconds(250));
          if (_ck_stop) break;
          lock.unlock();
          sqlite3_wal_checkpoint_v2(ck, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
          lock.lock();
        }
        sqlite3_close(ck);
      });
    } else {
      sqlite3_close(ck);
      exec("PRAGMA wal_autocheckpoint=1000");
    }
  }
  auto prep = [this](const char* sql, sqlite3_stmt** s) {
    if (sqlite3_prepare_v3(_db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, nullptr) != SQLITE_OK) {
      _error = std::string("sqlite prepare: ") + sqlite3_errmsg(_db);
      return false;
    }
    return true;
  };
  if (!prep("INSERT INTO message(client_ref,src_ton,src_npi,src,dst_ton,dst_npi,dst,text,want_receipt,validity,"
            "event_ns,parts) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
            &_insert) ||
      !prep("SELECT id FROM message WHERE client_ref=?", &_find_ref) ||
      !prep("INSERT OR REPLACE INTO part(id,seq,smsc_id,status,receipt_state) VALUES(?,?,?,0,0)", &_part_ack) ||
      !prep("INSERT OR REPLACE INTO part(id,seq,smsc_id,status,receipt_state) VALUES(?,?,NULL,?,0)", &_part_fail) ||
      !prep("UPDATE part SET receipt_state=? WHERE id=? AND seq=?", &_part_receipt) ||
      !prep("UPDATE message SET state=?, status=? WHERE id=?", &_msg_state))
    return _error;
  return {};
}

bool outbox::accept(std::span<const outgoing_message> batch, std::span<const std::uint8_t> parts,
                    std::vector<std::uint64_t>& ids, std::vector<bool>& duplicate) {
  std::lock_guard lock(_mutex);
  ids.assign(batch.size(), 0);
  duplicate.assign(batch.size(), false);
  if (!set_full_sync(true) || !exec("BEGIN IMMEDIATE")) return false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& m = batch[i];
    if (!m.client_ref.empty()) {
      stmt_reset r{_find_ref};
      bind_text(_find_ref, 1, m.client_ref);
      if (sqlite3_step(_find_ref) == SQLITE_ROW) {
        ids[i] = static_cast<std::uint64_t>(sqlite3_column_int64(_find_ref, 0));
        duplicate[i] = true;
        continue;
      }
    }
    stmt_reset r{_insert};
    if (m.client_ref.empty()) {
      sqlite3_bind_null(_insert, 1);
    } else {
      bind_text(_insert, 1, m.client_ref);
    }
    sqlite3_bind_int(_insert, 2, m.source.ton);
    sqlite3_bind_int(_insert, 3, m.source.npi);
    bind_text(_insert, 4, m.source.addr);
    sqlite3_bind_int(_insert, 5, m.destination.ton);
    sqlite3_bind_int(_insert, 6, m.destination.npi);
    bind_text(_insert, 7, m.destination.addr);
    bind_text(_insert, 8, m.text);
    sqlite3_bind_int(_insert, 9, m.want_receipt ? 1 : 0);
    bind_text(_insert, 10, m.validity_period);
    sqlite3_bind_int64(_insert, 11, m.event_time_ns);
    sqlite3_bind_int(_insert, 12, i < parts.size() ? parts[i] : 1);
    if (sqlite3_step(_insert) != SQLITE_DONE) {
      _error = std::string("sqlite insert: ") + sqlite3_errmsg(_db);
      exec("ROLLBACK");
      return false;
    }
    ids[i] = static_cast<std::uint64_t>(sqlite3_last_insert_rowid(_db));
  }
  return exec("COMMIT");
}

bool outbox::apply(std::span<const outbox_update> updates) {
  if (updates.empty()) return true;
  std::lock_guard lock(_mutex);
  // Acks and receipts need not survive a power loss: losing one means a resend (deduplicated
  // by the SMSC side) or a receipt matched again. So they skip the fsync even in "full" mode,
  // and the I/O thread that commits them never waits for the disk.
  if (!set_full_sync(false) || !exec("BEGIN IMMEDIATE")) return false;
  for (const auto& u : updates) {
    sqlite3_stmt* s = nullptr;
    switch (u.what) {
      case outbox_update::kind::ack:
        s = _part_ack;
        sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(u.id));
        sqlite3_bind_int(s, 2, u.seq);
        bind_text(s, 3, u.smsc_id);
        break;
      case outbox_update::kind::fail:
        s = _part_fail;
        sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(u.id));
        sqlite3_bind_int(s, 2, u.seq);
        sqlite3_bind_int64(s, 3, u.command_status);
        break;
      case outbox_update::kind::receipt:
        s = _part_receipt;
        sqlite3_bind_int(s, 1, u.state);
        sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(u.id));
        sqlite3_bind_int(s, 3, u.seq);
        break;
      case outbox_update::kind::message_state:
        s = _msg_state;
        sqlite3_bind_int(s, 1, u.state);
        sqlite3_bind_int64(s, 2, u.command_status);
        sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(u.id));
        break;
    }
    stmt_reset r{s};
    if (sqlite3_step(s) != SQLITE_DONE) {
      _error = std::string("sqlite update: ") + sqlite3_errmsg(_db);
      exec("ROLLBACK");
      return false;
    }
  }
  return exec("COMMIT");
}

std::vector<stored_message> outbox::load_open() {
  std::lock_guard lock(_mutex);
  std::vector<stored_message> out;
  if (!_db) return out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(_db,
                         "SELECT id,client_ref,src_ton,src_npi,src,dst_ton,dst_npi,dst,text,want_receipt,validity,"
                         "event_ns,parts,state FROM message WHERE state IN (0,1) ORDER BY id",
                         -1, &s, nullptr) != SQLITE_OK)
    return out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    stored_message m;
    m.id = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    m.msg.client_ref = column_text(s, 1);
    m.msg.source = {static_cast<std::uint8_t>(sqlite3_column_int(s, 2)),
                    static_cast<std::uint8_t>(sqlite3_column_int(s, 3)), column_text(s, 4)};
    m.msg.destination = {static_cast<std::uint8_t>(sqlite3_column_int(s, 5)),
                         static_cast<std::uint8_t>(sqlite3_column_int(s, 6)), column_text(s, 7)};
    m.msg.text = column_text(s, 8);
    m.msg.want_receipt = sqlite3_column_int(s, 9) != 0;
    m.msg.validity_period = column_text(s, 10);
    m.msg.event_time_ns = sqlite3_column_int64(s, 11);
    m.parts = static_cast<std::uint8_t>(sqlite3_column_int(s, 12));
    m.state = sqlite3_column_int(s, 13);
    out.push_back(std::move(m));
  }
  sqlite3_finalize(s);
  if (sqlite3_prepare_v2(_db,
                         "SELECT p.id,p.seq,p.smsc_id,p.status,p.receipt_state FROM part p JOIN message m ON "
                         "m.id=p.id WHERE m.state IN (0,1)",
                         -1, &s, nullptr) != SQLITE_OK)
    return out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    const auto id = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    // `out` is ordered by id: binary search.
    auto it =
        std::lower_bound(out.begin(), out.end(), id, [](const stored_message& m, std::uint64_t v) { return m.id < v; });
    if (it == out.end() || it->id != id) continue;
    it->rows.push_back({static_cast<std::uint8_t>(sqlite3_column_int(s, 1)), column_text(s, 2),
                        static_cast<std::uint32_t>(sqlite3_column_int64(s, 3)), sqlite3_column_int(s, 4)});
  }
  sqlite3_finalize(s);
  return out;
}

outbox_counts outbox::counts() {
  std::lock_guard lock(_mutex);
  outbox_counts c;
  if (!_db) return c;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(_db, "SELECT state,count(*) FROM message GROUP BY state", -1, &s, nullptr) != SQLITE_OK)
    return c;
  while (sqlite3_step(s) == SQLITE_ROW) {
    const auto n = static_cast<std::uint64_t>(sqlite3_column_int64(s, 1));
    switch (sqlite3_column_int(s, 0)) {
      case row_state::pending:
        c.pending = n;
        break;
      case row_state::submitted:
        c.submitted = n;
        break;
      case row_state::final:
        c.final = n;
        break;
      case row_state::failed:
        c.failed = n;
        break;
      default:
        break;
    }
  }
  sqlite3_finalize(s);
  return c;
}

std::string outbox::last_error() const {
  std::lock_guard lock(_mutex);
  return _error;
}

}  // namespace bssap::smpp
