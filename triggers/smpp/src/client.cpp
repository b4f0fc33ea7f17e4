// SMPP 3.4 ESME client: the public face (client.hpp). References: SMPP v3.4 2.2 (sessions and
// binds), 4.1 bind, 4.2 unbind, 4.3 generic_nack, 4.4 submit_sm, 4.6 deliver_sm, 4.11
// enquire_link, 5.1.3 (ESME_RTHROTTLED, ESME_RMSGQFUL), 5.1.4 (sequence_number), Appendix B
// (delivery receipt text).
//
// Threads: one I/O thread per session, each owning its socket, read/write buffers and window.
// Shared between them: the dispatcher (queue of encoded parts + token bucket), the tracker
// (message/part state, SMSC message id -> part) and the outbox (SQLite); each behind one mutex,
// taken once per poll iteration for a whole batch.
//
// Where the rest lives (triggers/smpp/src/):
//   client_impl.hpp        what the sessions share (client::impl)
//   outbox_feed.cpp        open() and submit(): outbox -> encoded submit_sm -> dispatcher
//   dispatcher.hpp/.cpp    the part queue and the TPS token bucket
//   session.hpp/.cpp       one session: connect, bind, bound loop, keep-alive, reconnect
//   session_responses.cpp  bind_resp, submit_sm_resp, generic_nack, throttling, enquire_link, unbind
//   session_deliver.cpp    deliver_sm: receipts and MO; the per-iteration commit
//   window.hpp             one session's outstanding submit_sm, by sequence number
//   tracker.hpp/.cpp       message and part state, receipt matching
//   backoff.hpp            the doubling back-off of reconnects and throttling
//   latency_histogram.hpp  the latency figures of metrics()
// This file: construction, callbacks, start/stop, metrics and state queries.
#include "bssap/smpp/client.hpp"

#include <array>
#include <cstdio>
#include <mutex>

#include "client_impl.hpp"
#include "session.hpp"

namespace bssap::smpp {

client::impl::impl(client_config c) : cfg(std::move(c)) {}
client::impl::~impl() = default;

void client::impl::log(log_level level, std::string_view text) {
  if (level >= log_level::warn) {
    std::lock_guard lock(misc_mutex);
    last_error = std::string(text);
  }
  if (log_cb) {
    log_cb(level, text);
  } else if (level >= log_level::info) {
    static constexpr std::array<const char*, 4> names{"debug", "info", "warn", "error"};
    std::fprintf(stderr, "smpp %s: %.*s\n", names[static_cast<int>(level)], static_cast<int>(text.size()), text.data());
  }
}

void client::impl::wake_senders() {
  for (auto& s : sessions)
    if (s->sends()) s->wake();
}

client::client(client_config cfg) : _impl(std::make_unique<impl>(std::move(cfg))) {}

client::~client() {
  stop(std::chrono::milliseconds(0));
}

void client::on_receipt(std::function<void(const receipt_event&)> f) {
  _impl->receipt_cb = std::move(f);
}
void client::on_mo(std::function<void(const mo_event&)> f) {
  _impl->mo_cb = std::move(f);
}
void client::on_failure(std::function<void(const submit_failure&)> f) {
  _impl->failure_cb = std::move(f);
}
void client::on_log(std::function<void(log_level, std::string_view)> f) {
  _impl->log_cb = std::move(f);
}

void client::start() {
  auto& c = *_impl;
  if (!c.sessions.empty()) return;
  for (unsigned i = 0; i < c.cfg.sessions; ++i)
    c.sessions.push_back(
        std::make_unique<session>(c, i, c.cfg.mode == bind_mode::transceiver ? role::transceiver : role::transmitter));
  if (c.cfg.mode == bind_mode::transmitter_receiver)
    c.sessions.push_back(std::make_unique<session>(c, c.cfg.sessions, role::receiver));
  for (auto& s : c.sessions) s->start();
}

void client::stop(std::chrono::milliseconds drain) {
  auto& c = *_impl;
  const auto deadline = steady::now() + drain;
  for (auto& s : c.sessions) s->request_stop(deadline);
  for (auto& s : c.sessions) s->join();
  c.sessions.clear();
}

metrics_snapshot client::metrics() const {
  const auto& c = *_impl;
  metrics_snapshot m;
  m.accepted = c.accepted.load();
  m.submitted = c.submitted.load();
  m.acknowledged = c.acknowledged.load();
  m.failed = c.failed.load();
  m.retried = c.retried.load();
  m.throttled = c.throttled.load();
  m.delivered = c.delivered.load();
  m.unmatched_receipts = c.unmatched.load();
  m.mo = c.mo.load();
  m.in_flight = c.in_flight.load();
  m.queued = c.queue.size();
  m.reconnects = c.reconnects.load();
  m.bind_failures = c.bind_failures.load();
  m.generic_nacks_sent = c.nacks.load();
  m.resent_unanswered = c.resent_unanswered.load();
  m.recovered_from_outbox = c.recovered.load();
  {
    std::lock_guard lock(c.misc_mutex);
    m.failed_by_status.assign(c.failed_by_status.begin(), c.failed_by_status.end());
  }
  c.latency.percentiles(m.latency_p50_us, m.latency_p99_us, m.latency_max_us, m.latency_samples);
  c.latency.cumulative(m.latency_buckets, m.latency_sum_us);
  c.smsc_latency.percentiles(m.smsc_p50_us, m.smsc_p99_us, m.smsc_max_us, m.smsc_samples);
  return m;
}

outbox_counts client::counts() {
  return _impl->store.counts();
}
bool client::credentials_rejected() const noexcept {
  return _impl->creds_rejected.load();
}
std::uint64_t client::in_flight() const noexcept {
  return _impl->in_flight.load(std::memory_order_relaxed);
}
bool client::bound() const noexcept {
  return _impl->bound_sessions.load() > 0;
}
std::string client::last_error() const {
  std::lock_guard lock(_impl->misc_mutex);
  return _impl->last_error;
}

}  // namespace bssap::smpp
