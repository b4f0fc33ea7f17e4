// The part queue and TPS token bucket shared by the sessions (see dispatcher.hpp).
#include "dispatcher.hpp"

#include <algorithm>
#include <iterator>

namespace bssap::smpp {

void dispatcher::set_rate(double tps) {
  _tps = tps;
  _burst = std::max(1.0, tps / 50);  // at most 20 ms worth of submits in one burst
  _tokens = _burst;
  _last = steady::now();
}

void dispatcher::push_back(std::vector<part_job>&& jobs) {
  std::lock_guard lock(_mutex);
  for (auto& j : jobs) _queue.push_back(std::move(j));
}

void dispatcher::push_front(std::vector<part_job>&& jobs) {
  std::lock_guard lock(_mutex);
  _queue.insert(_queue.begin(), std::make_move_iterator(jobs.begin()), std::make_move_iterator(jobs.end()));
}

std::size_t dispatcher::take(std::size_t max, std::vector<part_job>& out, steady::time_point now,
                             steady::duration& wait) {
  std::lock_guard lock(_mutex);
  wait = steady::duration::zero();
  if (_queue.empty() || max == 0) return 0;
  std::size_t allowed = max;
  if (_tps > 0) {
    const double elapsed = std::chrono::duration<double>(now - _last).count();
    _last = now;
    _tokens = std::min(_burst, _tokens + elapsed * _tps);
    allowed = std::min<std::size_t>(max, static_cast<std::size_t>(_tokens));
    if (allowed == 0) {
      wait = std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>((1.0 - _tokens) / _tps));
      return 0;
    }
  }
  std::size_t n = 0;
  while (n < allowed && !_queue.empty()) {
    out.push_back(std::move(_queue.front()));
    _queue.pop_front();
    ++n;
  }
  if (_tps > 0) _tokens -= static_cast<double>(n);
  return n;
}

std::size_t dispatcher::size() const {
  std::lock_guard lock(_mutex);
  return _queue.size();
}

}  // namespace bssap::smpp
