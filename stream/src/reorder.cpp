// The reorder window (see reorder.hpp).
#include "bssap/stream/reorder.hpp"

#include <fmt/format.h>

#include <sstream>

namespace bssap::stream {

void reorder_window::saw(const std::string& source, std::int64_t ts) {
  auto& s = _sources[source];
  if (ts > s.ts) {
    // Progress past what a source said at its end: it runs again (a restarted live probe).
    s.ended = false;
    s.ts = ts;
  }
}

bool reorder_window::add(const std::string& source, held_event h) {
  if (_seqs.contains(h.seq)) {
    ++_counters.duplicates;
    return false;
  }
  saw(source, h.ev.ts_us);
  ++_counters.added;
  _seqs.insert(h.seq);
  _heap.push(std::move(h));
  return true;
}

void reorder_window::progress(const std::string& source, std::int64_t ts, bool ended) {
  auto& s = _sources[source];
  if (ts > s.ts) s.ts = ts;
  if (ended) s.ended = true;
}

bool reorder_window::all_ended() const noexcept {
  if (_sources.size() < _config.expected_sources) return false;
  for (const auto& [name, s] : _sources)
    if (!s.ended) return false;
  return true;
}

std::int64_t reorder_window::release_point() const noexcept {
  constexpr auto lowest = std::numeric_limits<std::int64_t>::min();
  constexpr auto highest = std::numeric_limits<std::int64_t>::max();
  if (_holding || _sources.size() < _config.expected_sources) return lowest;
  std::int64_t newest = lowest;
  for (const auto& [name, s] : _sources)
    if (!s.ended && s.ts > newest) newest = s.ts;
  if (newest == lowest) return highest;  // every source has ended
  std::int64_t slowest = highest;
  for (const auto& [name, s] : _sources)
    if (!s.ended && s.ts >= newest - _config.max_lag_us && s.ts < slowest) slowest = s.ts;
  return slowest - _config.window_us;
}

void reorder_window::pop_to(const std::function<void(held_event&)>& out) {
  held_event h = _heap.top();
  _heap.pop();
  _seqs.erase(h.seq);
  if (h.ev.ts_us < _released_ts) ++_counters.late;
  if (h.ev.ts_us > _released_ts) _released_ts = h.ev.ts_us;
  ++_counters.released;
  out(h);
}

void reorder_window::release(const std::function<void(held_event&)>& out) {
  // A late event (older than what this shard has released) goes at once: holding it would not
  // put it back in order.
  const std::int64_t point = release_point();
  while (!_heap.empty()) {
    const auto& top = _heap.top();
    const bool late = top.ev.ts_us < _released_ts && !_holding;
    if (top.ev.ts_us <= point || late) {
      pop_to(out);
    } else if (_heap.size() > _config.max_held) {
      ++_counters.forced;
      pop_to(out);
    } else {
      break;
    }
  }
}

void reorder_window::release_all(const std::function<void(held_event&)>& out) {
  while (!_heap.empty()) pop_to(out);
}

void reorder_window::clear(const std::function<void(held_event&)>& dispose) {
  while (!_heap.empty()) {
    held_event h = _heap.top();
    _heap.pop();
    dispose(h);
  }
  _seqs.clear();
}

std::string reorder_window::save() const {
  std::string out;
  for (const auto& [name, s] : _sources) out += fmt::format("{} {} {}\n", s.ts, s.ended ? 1 : 0, name);
  return out;
}

void reorder_window::load(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::int64_t ts = 0;
    int ended = 0;
    std::string name;
    if (!(fields >> ts >> ended)) continue;
    std::getline(fields >> std::ws, name);
    if (name.empty()) continue;
    progress(name, ts, ended != 0);
  }
}

}  // namespace bssap::stream
