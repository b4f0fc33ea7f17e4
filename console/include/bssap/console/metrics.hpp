// /metrics: the probe's figures in the Prometheus text exposition format (version 0.0.4,
// https://prometheus.io/docs/instrumenting/exposition_formats/). Counters end in _total, sizes
// are gauges, the SMPP submit latency is a histogram in seconds. Labels name layers, kinds,
// types, outcomes and reasons: never a subscriber (no IMSI, MSISDN, IMEI or cell is a label).
#pragma once

#include <string>

#include "bssap/campaign/runtime.hpp"
#include "bssap/console/presence.hpp"
#include "bssap/console/snapshot.hpp"

namespace bssap::console {

// Any of the three may be null (no capture snapshot yet, no campaigns, no presence index).
std::string prometheus_text(const capture_snapshot* capture, const campaign::runtime* campaigns,
                            const presence_index* presence);

}  // namespace bssap::console
