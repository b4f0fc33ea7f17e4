// Doubling back-off, the one shape behind two waits of the client: a session that lost its
// connection or its bind waits before reconnecting (client_config reconnect_min..max), and a
// session answered ESME_RTHROTTLED or ESME_RMSGQFUL (SMPP 3.4 5.1.3: the SMSC did not take the
// message) pauses its submits (throttle_backoff_min..max).
// Each wait is the current step; the next one is twice as long, up to the maximum; success
// resets it to the minimum.
#pragma once

#include <algorithm>
#include <chrono>

namespace bssap::smpp {

class doubling_backoff {
 public:
  doubling_backoff(std::chrono::milliseconds min, std::chrono::milliseconds max) noexcept
      : _min(min), _max(max), _step(min) {}
  // The wait to make now; the one after it doubles (capped).
  std::chrono::milliseconds next() noexcept {
    const auto s = _step;
    _step = std::min(_max, _step * 2);
    return s;
  }
  void reset() noexcept { _step = _min; }

 private:
  std::chrono::milliseconds _min, _max, _step;
};

}  // namespace bssap::smpp
