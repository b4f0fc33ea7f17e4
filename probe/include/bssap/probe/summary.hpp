// The final summary printed at exit: decode errors per layer and reason, message counts by type,
// events by type, unresolved identities, retransmissions skipped, queue and capture drops.
#pragma once

#include <cstdio>

#include "bssap/probe/capture.hpp"
#include "bssap/probe/event_fanout.hpp"
#include "bssap/probe/pipeline.hpp"

namespace bssap::probe {

// `trigger`: the trigger hand-off, when the run had one (its queue counters are printed).
void print_summary(std::FILE* out, const pipeline& p, const capture_counters& counters,
                   const event_fanout* trigger = nullptr);

}  // namespace bssap::probe
