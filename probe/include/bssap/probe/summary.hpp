// The final summary printed at exit: decode errors per layer and reason, message counts by type,
// events by type, unresolved identities, retransmissions skipped, queue and capture drops.
#pragma once

#include <cstdio>

#include "bssap/probe/capture.hpp"
#include "bssap/probe/pipeline.hpp"

namespace bssap::probe {

void print_summary(std::FILE* out, const pipeline& p, const capture_counters& counters);

}  // namespace bssap::probe
