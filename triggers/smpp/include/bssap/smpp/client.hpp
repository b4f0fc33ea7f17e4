// SMPP 3.4 ESME client: several sessions to one SMSC, each on its own I/O thread (POSIX
// sockets + poll), a window of outstanding submit_sm, a TPS limit, back-off on
// ESME_RTHROTTLED / ESME_RMSGQFUL, reconnect with exponential back-off, and a durable outbox.
// Depends on nothing of the probe: plain values in, callbacks out.
//
// Usage (campaign side):
//   bssap::smpp::client c(cfg);
//   c.on_receipt([](const receipt_event& r) { ... });   // delivery receipts, per part
//   c.on_mo([](const mo_event& m) { ... });              // subscriber replies
//   if (auto err = c.open(); !err.empty()) ...           // opens the outbox, requeues what is left
//   c.start();
//   auto accepted = c.submit(batch);                      // durable once it returns
//   ...
//   c.stop(std::chrono::seconds(5));                      // drain the window, unbind
//
// Callbacks run on session threads: keep them short and thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bssap/smpp/outbox.hpp"
#include "bssap/smpp/pdu.hpp"
#include "bssap/smpp/text.hpp"

namespace bssap::smpp {

enum class bind_mode : std::uint8_t { transceiver, transmitter_receiver };

struct client_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 2775;
  std::string system_id;
  std::string password;  // sent in bind only; never logged
  std::string system_type;
  bind_mode mode = bind_mode::transceiver;
  unsigned sessions = 1;     // transceiver sessions (or transmitter sessions + one receiver)
  unsigned window = 64;      // outstanding submit_sm per session
  double tps = 0;            // submit_sm per second over all sessions; 0 = unlimited
  std::string service_type;  // 5.2.11, empty = SMSC default
  std::chrono::milliseconds enquire_link_interval{30000};
  std::chrono::milliseconds response_timeout{10000};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{10000};
  std::chrono::milliseconds throttle_backoff_min{20};
  std::chrono::milliseconds throttle_backoff_max{2000};
  std::size_t max_pdu_size = default_max_pdu_size;
  std::string outbox_path;             // SQLite file (":memory:" = not durable, tests only)
  std::string outbox_sync = "normal";  // normal (process crash safe) | full (+ power loss) | off
};

struct accept_result {
  std::uint64_t id = 0;  // outbox id (0 when rejected)
  text_error error = text_error::none;
  bool duplicate = false;  // client_ref already accepted earlier: not queued again
  std::uint8_t parts = 0;
};

struct receipt_event {
  std::uint64_t id = 0;
  std::string client_ref;
  std::uint8_t seq = 0;
  std::uint8_t total = 0;
  std::string smsc_message_id;
  message_state state = message_state::unknown;
  std::string err;
  bool message_final = false;  // every part of the message now has a final state
};

struct mo_event {
  address_value source;
  address_value destination;
  std::string text;
  std::uint8_t data_coding = 0;
  std::uint16_t concat_ref = 0;
  std::uint8_t seq = 1, total = 1;  // parts are handed over reassembled: seq == total == 1
};

struct submit_failure {
  std::uint64_t id = 0;
  std::string client_ref;
  std::uint8_t seq = 0;
  std::uint32_t command_status = 0;
};

enum class log_level : std::uint8_t { debug, info, warn, error };

struct metrics_snapshot {
  std::uint64_t accepted = 0;      // messages accepted into the outbox
  std::uint64_t submitted = 0;     // submit_sm PDUs written (parts, retries included)
  std::uint64_t acknowledged = 0;  // parts with submit_sm_resp ESME_ROK
  std::uint64_t failed = 0;        // parts rejected with a permanent status
  std::uint64_t retried = 0;       // parts re-queued (throttled, queue full, disconnect, timeout)
  std::uint64_t throttled = 0;     // ESME_RTHROTTLED + ESME_RMSGQFUL responses
  std::uint64_t delivered = 0;     // receipts matched to a part
  std::uint64_t unmatched_receipts = 0;
  std::uint64_t mo = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t queued = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t bind_failures = 0;
  std::uint64_t generic_nacks_sent = 0;
  // The parts the SMSC may see twice (SMPP 3.4 cannot tell whether it took a submit_sm that got
  // no response): sent again after the link dropped or a response was overdue, and, at start,
  // the parts a previous run left unacknowledged (those it had written but not seen answered are
  // among them; the outbox does not record which were written).
  std::uint64_t resent_unanswered = 0;
  std::uint64_t recovered_from_outbox = 0;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> failed_by_status;
  double latency_p50_us = 0, latency_p99_us = 0, latency_max_us = 0;  // event -> submit_sm_resp
  std::uint64_t latency_samples = 0;
  // The same latency as a histogram: (upper bound in microseconds, cumulative count), the last
  // +Inf; and the sum of the samples (Prometheus histogram).
  std::vector<std::pair<double, std::uint64_t>> latency_buckets;
  std::uint64_t latency_sum_us = 0;
  double smsc_p50_us = 0, smsc_p99_us = 0, smsc_max_us = 0;  // submit_sm written -> its response
  std::uint64_t smsc_samples = 0;
};

class client {
 public:
  explicit client(client_config cfg);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  void on_receipt(std::function<void(const receipt_event&)> f);
  void on_mo(std::function<void(const mo_event&)> f);
  void on_failure(std::function<void(const submit_failure&)> f);
  void on_log(std::function<void(log_level, std::string_view)> f);

  // Opens the outbox and queues every part not yet acknowledged. Error text, empty on success.
  std::string open();
  void start();
  // Stops sending, waits up to `drain` for outstanding responses, unbinds and joins.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(2000));

  // Stores the batch in the outbox in one transaction, then queues it. Durable on return.
  std::vector<accept_result> submit(std::span<const outgoing_message> batch);

  metrics_snapshot metrics() const;
  outbox_counts counts();
  // True once a bind was rejected with ESME_RINVPASWD / ESME_RINVSYSID / ESME_RBINDFAIL and
  // no bind has succeeded since: a configuration error, not a transient one.
  bool credentials_rejected() const noexcept;
  bool bound() const noexcept;               // at least one session bound now
  std::uint64_t in_flight() const noexcept;  // submit_sm awaiting their response now (one atomic load)
  std::string last_error() const;

  struct impl;

 private:
  std::unique_ptr<impl> _impl;
};

}  // namespace bssap::smpp
