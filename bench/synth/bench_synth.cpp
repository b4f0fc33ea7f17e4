// Generator speed: packets per second for each transport, capture and truth written to a
// counting sink (no disk), so the figure is the generator's own cost. Target: >= 1 million
// packets per second on one core (issue 3). The rate is taken over the process's CPU time,
// so that other jobs on a shared machine do not distort it; wall time is printed beside it.
// Usage: bench_synth [packets per run] (default 3000000).
#include <chrono>
#include <cstdio>

#include "../common/bench_args.hpp"
#include "../common/heap_count.hpp"
#include "bssap/synth/synth.hpp"

// Every operator new in the process is counted (heap_count.hpp): allocations per packet must
// stay near zero (buffers grow to their working size, then are reused).
using bssap::bench::cpu_seconds;

int main(int argc, char** argv) {
  namespace bs = bssap::synth;
  const std::uint64_t packets = bssap::bench::count_arg(argc, argv, 1, 3000000, "bench_synth [packets per run]");
  struct run {
    const char* name;
    bs::transport link;
    std::uint32_t subscribers;
  };
  const run runs[] = {{"m3ua 10k subs", bs::transport::m3ua, 10000},
                      {"m3ua 200k subs", bs::transport::m3ua, 200000},
                      {"ipa 10k subs", bs::transport::ipa, 10000},
                      {"mtp2 10k subs", bs::transport::mtp2, 10000},
                      {"mtp3 10k subs", bs::transport::mtp3, 10000}};
  for (const auto& r : runs) {
    bs::config cfg = bs::default_config();
    cfg.subscribers = r.subscribers;
    cfg.duration_s = 7 * 86400;  // long enough: the packet count ends the run
    cfg.seed = 7;
    cfg.link = r.link;
    cfg.max_packets = packets;
    bs::null_sink capture;
    bs::null_sink truth;
    const std::uint64_t a0 = bssap::bench::heap_allocations.load();
    const double c0 = cpu_seconds();
    const auto w0 = std::chrono::steady_clock::now();
    const bs::stats st = bs::generate(cfg, capture, &truth);
    const double cpu = cpu_seconds() - c0;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    const auto n = static_cast<double>(st.packets);
    const auto allocs = static_cast<double>(bssap::bench::heap_allocations.load() - a0);
    std::printf("| bssap-synth %s | packets/s (CPU time) | %.0f | packets/s |\n", r.name, n / cpu);
    std::printf("| bssap-synth %s | ns/packet (CPU time) | %.1f | ns |\n", r.name, cpu * 1e9 / n);
    std::printf("| bssap-synth %s | packets/s (wall) | %.0f | packets/s |\n", r.name, n / wall);
    std::printf("| bssap-synth %s | allocations/packet | %.5f | allocations |\n", r.name, allocs / n);
    std::printf("| bssap-synth %s | truth events/s (CPU time) | %.0f | events/s |\n", r.name,
                static_cast<double>(st.events) / cpu);
  }
  return 0;
}
