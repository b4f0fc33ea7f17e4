// Capture sources: pcap/pcapng files (replay), libpcap live interfaces, DPDK ports. Each runs the
// capture loop in the calling thread and hands frames to a pipeline.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "bssap/probe/event_fanout.hpp"
#include "bssap/probe/pipeline.hpp"

namespace bssap::probe {

// Set by the signal handler: the capture loop stops, the caller drains and flushes.
extern std::atomic<bool> g_stop_requested;

// Periodic one-line statistics (--stats) and the replay progress bar, both on stderr.
class status_reporter {
 public:
  status_reporter(double stats_interval_s, bool progress_bar);
  // Called from the capture loop; cheap unless a line is due. `done`/`total` in bytes for the
  // progress bar (total 0: no bar).
  void tick(const pipeline& p, std::uint64_t done_bytes, std::uint64_t total_bytes,
            std::uint64_t kernel_drops) noexcept;
  void finish() noexcept;
  // The trigger hand-off whose drops the statistics line reports (none: not shown).
  void watch(const event_fanout* trigger) noexcept { _trigger = trigger; }

 private:
  const event_fanout* _trigger = nullptr;
  double _interval;
  bool _bar;
  bool _bar_drawn = false;
  double _start = 0, _last_line = 0, _last_bar = 0;
  std::uint64_t _last_packets = 0;
};

struct capture_counters {
  std::uint64_t kernel_drops = 0;      // pcap_stats ps_drop / DPDK imissed
  std::uint64_t interface_drops = 0;   // pcap_stats ps_ifdrop / DPDK rx_nombuf + ierrors
  std::uint64_t truncated_frames = 0;  // caplen < len (snaplen cut), decoded as far as they go
  std::uint64_t unsupported_linktype = 0;
};

struct replay_options {
  std::vector<std::string> files;
  double speed = 0;  // 0: as fast as possible; 1: paced at capture time; 2: twice as fast...
};
// Returns false with a one-line `error` for what a user can get wrong (missing file, not a pcap).
bool run_replay(const replay_options& options, pipeline& p, status_reporter& status, capture_counters& counters,
                std::string& error);

struct live_options {
  std::vector<std::string> interfaces;
  std::string filter;
  int snaplen = 65535;
  int buffer_mb = 64;
};
bool run_live(const live_options& options, pipeline& p, status_reporter& status, capture_counters& counters,
              std::string& error);

struct dpdk_options {
  double idle_exit_s = -1;  // stop after this long without packets; <0: 2 s on net_pcap only, else never
  unsigned rx_queues = 0;   // 0: one per worker thread (capped by the device)
  unsigned burst = 32;
};
// `eal_argv` starts with the program name; the EAL consumes it.
bool run_dpdk(std::vector<char*> eal_argv, const dpdk_options& options, pipeline& p, status_reporter& status,
              capture_counters& counters, std::string& error);

}  // namespace bssap::probe
