// One session's window: the submit_sm PDUs written and not yet answered, keyed by the sequence
// number they were sent with: SMPP 3.4 lets an ESME keep several requests outstanding and
// matches each response to its request by sequence_number (5.1.4: the response preserves it).
// client_config::window bounds its size. A response (submit_sm_resp 4.4.2 or generic_nack 4.3)
// takes its part out; an answer overdue beyond response_timeout, or a lost connection, sends
// every part still in it back to the dispatcher, in the order they were sent (the at-least-once
// window, client.hpp).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dispatcher.hpp"

namespace bssap::smpp {

class submit_window {
 public:
  struct inflight {
    part_job job;
    steady::time_point sent;
  };

  std::size_t size() const noexcept { return _parts.size(); }
  bool empty() const noexcept { return _parts.empty(); }
  void add(std::uint32_t sequence, part_job&& job, steady::time_point sent) {
    _parts.emplace(sequence, inflight{std::move(job), sent});
  }
  // Takes out the part sent with `sequence`; false when none is outstanding with it.
  bool take(std::uint32_t sequence, inflight& out) {
    auto it = _parts.find(sequence);
    if (it == _parts.end()) return false;
    out = std::move(it->second);
    _parts.erase(it);
    return true;
  }
  // The sequence number of a part unanswered for longer than `timeout`, if any.
  std::optional<std::uint32_t> overdue(steady::time_point now, steady::duration timeout) const {
    for (const auto& [s, f] : _parts)
      if (now - f.sent > timeout) return s;
    return std::nullopt;
  }
  // Empties the window: its parts in sequence-number order.
  std::vector<part_job> take_all() {
    std::vector<std::pair<std::uint32_t, inflight>> v(std::make_move_iterator(_parts.begin()),
                                                      std::make_move_iterator(_parts.end()));
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<part_job> jobs;
    jobs.reserve(v.size());
    for (auto& [seq, f] : v) jobs.push_back(std::move(f.job));
    _parts.clear();
    return jobs;
  }

 private:
  std::unordered_map<std::uint32_t, inflight> _parts;
};

}  // namespace bssap::smpp
