// The queue between the outbox and the sessions: submit_sm PDUs encoded once (SMPP 3.4 4.4.1)
// when a message is accepted or recovered from the outbox, waiting for a window slot on any
// transmitting session, and the token bucket that keeps all sessions together under
// client_config::tps (SMSCs answer a faster ESME with ESME_RTHROTTLED, 5.1.3). Parts that were
// not taken (throttled, connection lost) go back to the front in their order, so a resend never
// waits behind new traffic. One mutex, taken once per batch.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace bssap::smpp {

using steady = std::chrono::steady_clock;

// One part, encoded as a whole submit_sm PDU whose sequence number is set when it is sent.
struct part_job {
  std::uint64_t id = 0;
  std::uint8_t seq = 1;
  std::uint8_t total = 1;
  std::int64_t event_ns = 0;
  std::vector<std::uint8_t> pdu;
};

// The queue of parts waiting for a window slot, and the submit-rate token bucket.
class dispatcher {
 public:
  void set_rate(double tps);
  void push_back(std::vector<part_job>&& jobs);
  // Keeps their relative order: the batch goes in as a block at the front.
  void push_front(std::vector<part_job>&& jobs);
  // Takes up to `max` parts the rate allows. `wait` says when the next token comes if none.
  std::size_t take(std::size_t max, std::vector<part_job>& out, steady::time_point now, steady::duration& wait);
  std::size_t size() const;

 private:
  mutable std::mutex _mutex;
  std::deque<part_job> _queue;
  double _tps = 0, _burst = 1, _tokens = 1;
  steady::time_point _last = steady::now();
};

}  // namespace bssap::smpp
