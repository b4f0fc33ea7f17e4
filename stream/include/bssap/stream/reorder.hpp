// The trigger worker's reorder window: one shard's events from several probes back in `ts` order.
//
// Events reach the stream in the order the probes published them, and a subscriber moving
// between BSCs has events from two probes, each with its own delay. Per shard, the worker holds
// events in a heap by (ts, event_id) and releases one only when no probe can still send an older
// one: every probe reports how far it has got (its events' ts, and marks every 200 ms; see
// publisher.hpp), and an event is released once its ts is at most
//
//     release point = (the slowest source's latest ts) - window
//
// over the sources that have not ended and are not more than `max_lag` behind the fastest. The
// window covers one probe's own disorder (an event is written when its procedure ends, stamped
// with its start). A source further than `max_lag` behind (a probe cut off, or stopped) is not
// waited for; when every source has ended, everything is released. Until `expected_sources`
// sources are known nothing is released (a worker started before the second probe).
//
// An event older than the latest ts already released of its shard is late: counted, and released
// at once (the campaign engine skips it when it is older than its subscriber's last event). A
// heap beyond `max_held` events releases its oldest (counted as forced). A message redelivered
// while still held (same stream sequence) is a duplicate and is not added twice.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <queue>
#include <string>
#include <unordered_set>
#include <vector>

#include "bssap/event.hpp"

namespace bssap::stream {

struct reorder_config {
  std::int64_t window_us = 2'000'000;
  std::int64_t max_lag_us = 30'000'000;
  std::size_t expected_sources = 1;
  std::size_t max_held = 500'000;
};

struct reorder_counters {
  std::uint64_t added = 0, released = 0, late = 0, forced = 0, duplicates = 0;
};

struct held_event {
  event ev;
  std::string event_id;
  std::uint64_t seq = 0;   // stream sequence
  void* handle = nullptr;  // the caller's (the NATS message to acknowledge later)
};

class reorder_window {
 public:
  explicit reorder_window(reorder_config config) : _config(config) {}

  // False when a message of that stream sequence is held already (the caller drops the copy).
  bool add(const std::string& source, held_event h);
  // A mark (or an end) from a source: it has published everything up to `ts` (end: and stops).
  void progress(const std::string& source, std::int64_t ts, bool ended);
  // Hands every event that may go, in (ts, event_id) order, to `out`.
  void release(const std::function<void(held_event&)>& out);
  // Everything now, in order (the worker stops), or nothing kept (before a resync: the caller
  // destroys the handles, the messages come again).
  void release_all(const std::function<void(held_event&)>& out);
  void clear(const std::function<void(held_event&)>& dispose);
  // Forget what was released (after a resync the redelivered history is not late).
  void reset_released() noexcept { _released_ts = std::numeric_limits<std::int64_t>::min(); }
  // Hold everything until told otherwise (catching up after a resync).
  void hold(bool on) noexcept { _holding = on; }

  std::size_t held() const noexcept { return _heap.size(); }
  bool all_ended() const noexcept;
  std::size_t sources() const noexcept { return _sources.size(); }
  std::int64_t release_point() const noexcept;
  const reorder_counters& counters() const noexcept { return _counters; }

  // The sources' progress, as text lines "TS ENDED NAME", to keep across restarts.
  std::string save() const;
  void load(const std::string& text);

 private:
  struct source_state {
    std::int64_t ts = std::numeric_limits<std::int64_t>::min();
    bool ended = false;
  };
  struct later {
    bool operator()(const held_event& a, const held_event& b) const noexcept {
      if (a.ev.ts_us != b.ev.ts_us) return a.ev.ts_us > b.ev.ts_us;
      return a.event_id > b.event_id;
    }
  };
  void saw(const std::string& source, std::int64_t ts);
  void pop_to(const std::function<void(held_event&)>& out);

  reorder_config _config;
  std::map<std::string, source_state> _sources;
  std::priority_queue<held_event, std::vector<held_event>, later> _heap;
  std::unordered_set<std::uint64_t> _seqs;
  std::int64_t _released_ts = std::numeric_limits<std::int64_t>::min();
  bool _holding = false;
  reorder_counters _counters;
};

}  // namespace bssap::stream
