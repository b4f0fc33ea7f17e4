// Where events go: the interface between whoever produces behaviour events (the probe's
// correlator, a NATS subscriber, a test reading an event log) and whoever consumes them (the
// event log, the trigger fan-out, a campaign engine shard). It lives with the event value so that
// triggers/ can implement it without depending on the probe.
#pragma once

#include "bssap/event.hpp"

namespace bssap {

// Called in capture order per subscriber.
class event_sink {
 public:
  virtual ~event_sink() = default;
  virtual void on_event(const event& e) noexcept = 0;
};

// What a trigger worker runs for each event of its shard (on_event, in that worker's thread):
// an event sink that is also told when its queue runs dry.
class shard_consumer : public event_sink {
 public:
  // The queue is empty for now (the worker is about to idle) or the fan-out is stopping.
  virtual void flush() noexcept {}
};

}  // namespace bssap
