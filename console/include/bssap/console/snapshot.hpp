// What the capture side publishes for the console: a value, swapped whole, never shared with
// the thread that made it. The capture thread builds one a few times a second (from
// pipeline::figures(), which reads the workers' own published copies) and hands it to
// console::server::publish(); HTTP threads only ever read the latest one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "bssap/probe/capture.hpp"
#include "bssap/probe/event_fanout.hpp"
#include "bssap/probe/pipeline.hpp"

namespace bssap::console {

struct capture_snapshot {
  std::shared_ptr<const probe::pipeline_figures> pipeline;
  probe::capture_counters capture;
  std::optional<probe::shard_counters> trigger;   // the campaign / shard hand-off, when there is one
  std::optional<probe::shard_counters> presence;  // the presence index's hand-off
  std::int64_t wall_us = 0;                       // when it was taken (system clock)
  bool finished = false;                          // the capture has ended: these are the final figures
};

}  // namespace bssap::console
