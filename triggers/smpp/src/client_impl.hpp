// What the sessions of one client share (client::impl): the configuration, the outbox, the
// dispatcher (parts waiting for a window slot), the tracker (message state, receipt matching),
// the counters behind metrics(), the callbacks and the log. Each shared piece guards itself;
// the counters are atomics. SMPP 3.4 2.2: each session is one connection with its own bind;
// everything here is above the sessions and outlives their reconnects.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bssap/smpp/client.hpp"
#include "dispatcher.hpp"
#include "latency_histogram.hpp"
#include "tracker.hpp"

namespace bssap::smpp {

class session;

struct client::impl {
  explicit impl(client_config c);
  ~impl();

  client_config cfg;
  outbox store;
  dispatcher queue;
  tracker tracks;
  // Held across tracker::apply and outbox::apply: the tracker orders a part's ack before its
  // receipt, and the outbox must see the updates in that same order. Without it a receiver
  // session could write "final" before the transmitter that matched the ack writes "submitted".
  std::mutex apply_order;
  std::vector<std::unique_ptr<session>> sessions;
  std::function<void(const receipt_event&)> receipt_cb;
  std::function<void(const mo_event&)> mo_cb;
  std::function<void(const submit_failure&)> failure_cb;
  std::function<void(log_level, std::string_view)> log_cb;

  std::atomic<std::uint64_t> accepted{0}, submitted{0}, acknowledged{0}, failed{0}, retried{0}, throttled{0},
      delivered{0}, unmatched{0}, mo{0}, in_flight{0}, reconnects{0}, bind_failures{0}, nacks{0}, resent_unanswered{0},
      recovered{0};
  std::atomic<int> bound_sessions{0};
  std::atomic<bool> creds_rejected{false};
  latency_histogram latency;
  latency_histogram smsc_latency;
  mutable std::mutex misc_mutex;
  std::map<std::uint32_t, std::uint64_t> failed_by_status;
  std::string last_error;

  // Warnings and errors also become last_error(); without on_log, info and above go to stderr.
  void log(log_level level, std::string_view text);
  // New parts queued (or parts back from a session): wake the sessions that transmit.
  void wake_senders();
  void count_failure(std::uint32_t status) {
    std::lock_guard lock(misc_mutex);
    ++failed_by_status[status];
  }
  // Encodes the parts of message `id` that still need sending (outbox_feed.cpp).
  void build_jobs(std::uint64_t id, const outgoing_message& m, std::vector<encoded_part>& parts,
                  const std::vector<bool>& skip, std::vector<part_job>& out) const;
};

}  // namespace bssap::smpp
