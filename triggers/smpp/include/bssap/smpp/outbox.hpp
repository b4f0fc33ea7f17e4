// Durable outbox of the SMPP client: every message accepted from the trigger side is stored
// (SQLite, WAL, one transaction per batch) before it is sent, and stays until the SMSC has
// acknowledged every part (submit_sm_resp ESME_ROK). Receipts update the same rows.
//
// Delivery guarantee: at least once towards the SMSC. A part whose submit_sm was written to the
// socket but whose submit_sm_resp was not yet committed here when the process died (or when the
// connection dropped) is sent again after restart/reconnect. Every copy carries the same
// user_message_reference TLV (0x0204, low 16 bits of the outbox id) and the same concatenation
// reference, so the SMSC side can drop the copy: "exactly once" = exactly one copy per
// (source, destination, user_message_reference, part) after that dedup.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace bssap::smpp {

struct address_value {
  std::uint8_t ton = 1;  // international
  std::uint8_t npi = 1;  // E.164
  std::string addr;
};

// One message as the campaign side hands it over.
struct outgoing_message {
  std::string client_ref;  // caller's id; when non-empty it is unique: accepting it again is a no-op
  address_value source;
  address_value destination;
  std::string text;                // UTF-8
  bool want_receipt = true;        // registered_delivery = 1 (5.2.17: receipt on final outcome)
  std::string validity_period;     // 5.2.16 absolute or relative ("000001000000000R"), empty = SMSC default
  std::int64_t event_time_ns = 0;  // when the triggering event happened (CLOCK_REALTIME ns)
};

// A part the SMSC answered: acknowledged (status 0, smsc_id set) or rejected (status != 0).
struct part_row {
  std::uint8_t seq = 0;  // 1-based
  std::string smsc_id;
  std::uint32_t status = 0;
  int receipt_state = 0;  // message_state of the last receipt, 0 = none yet
};

struct stored_message {
  std::uint64_t id = 0;
  outgoing_message msg;
  std::uint8_t parts = 1;
  int state = 0;
  std::vector<part_row> rows;
};

// Message states in the outbox.
namespace row_state {
constexpr int pending = 0;    // some part not yet acknowledged
constexpr int submitted = 1;  // every part acknowledged, waiting for receipts
constexpr int final = 2;      // every part has a final receipt (or none was asked for)
constexpr int failed = 3;     // a part was rejected with a permanent error
}  // namespace row_state

struct outbox_update {
  enum class kind : std::uint8_t { ack, fail, receipt, message_state } what = kind::ack;
  std::uint64_t id = 0;
  std::uint8_t seq = 0;
  std::string smsc_id;
  std::uint32_t command_status = 0;
  int state = 0;  // receipt: message_state value; message_state: row_state
};

struct outbox_counts {
  std::uint64_t pending = 0, submitted = 0, final = 0, failed = 0;
};

class outbox {
 public:
  outbox() = default;
  ~outbox();
  outbox(const outbox&) = delete;
  outbox& operator=(const outbox&) = delete;

  // sync: "full" (an accepted message survives power loss), "normal" (survives a process
  // crash: WAL), "off". Acks and receipts are always committed without fsync (see apply).
  // Returns an error text, empty on success.
  std::string open(const std::string& path, std::string_view sync = "full");
  // One transaction. ids[i] = the stored id; duplicate[i] when client_ref was already there.
  // parts[i] is stored with the message (the count its text splits into).
  bool accept(std::span<const outgoing_message> batch, std::span<const std::uint8_t> parts,
              std::vector<std::uint64_t>& ids, std::vector<bool>& duplicate);
  bool apply(std::span<const outbox_update> updates);  // one transaction
  // Messages still pending or waiting for receipts, with the parts the SMSC has answered.
  std::vector<stored_message> load_open();
  outbox_counts counts();
  std::string last_error() const;

 private:
  bool exec(const char* sql);
  bool set_full_sync(bool full);  // caller holds _mutex
  bool _sync_full = false;        // "full" asked: accepts are fsynced
  bool _in_full = true;           // the connection's current setting
  sqlite3* _db = nullptr;
  sqlite3_stmt* _insert = nullptr;
  sqlite3_stmt* _find_ref = nullptr;
  sqlite3_stmt* _part_ack = nullptr;
  sqlite3_stmt* _part_fail = nullptr;
  sqlite3_stmt* _part_receipt = nullptr;
  sqlite3_stmt* _msg_state = nullptr;
  mutable std::mutex _mutex;
  std::string _error;
  std::thread _checkpointer;
  std::mutex _ck_mutex;
  std::condition_variable _ck_cv;
  bool _ck_stop = false;
};

}  // namespace bssap::smpp
