// Capture sources: pcap/pcapng files (replay), libpcap live interfaces, DPDK ports. Each runs the
// capture loop in the calling thread and hands frames to a pipeline.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
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
  // Called from tick() at most every `interval_s` (the console's snapshots, --http).
  void on_publish(std::function<void(const pipeline&)> f, double interval_s = 0.25) {
    _publish = std::move(f);
    _publish_interval = interval_s;
  }

 private:
  std::function<void(const pipeline&)> _publish;
  double _publish_interval = 0.25, _last_publish = 0;
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
  std::uint64_t event_log_drops = 0;  // live: events the event log's writer could not take in time
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
  // Called once every interface is open, before the first packet: the program drops its
  // capabilities there (privileges.hpp). False with the error stops the capture.
  std::function<bool(std::string&)> after_open;
};
bool run_live(const live_options& options, pipeline& p, status_reporter& status, capture_counters& counters,
              std::string& error);

struct dpdk_options {
  double idle_exit_s = -1;  // stop after this long without packets; <0: 2 s on net_pcap only, else never
  unsigned rx_queues = 0;  // NIC ports: 0 = one per worker lcore or --threads, whichever is more (capped by the device)
  unsigned burst = 32;
};

// The EAL and the ports, set up before the pipeline exists, because the pipeline's shape depends
// on them: with a worker lcore for every RX queue, producers() > 0 and the pipeline must be built
// with that many producers (one lcore per queue); else 0 and the main lcore polls every queue.
class dpdk_session {
 public:
  dpdk_session();
  ~dpdk_session();  // stops the ports, cleans the EAL up
  dpdk_session(const dpdk_session&) = delete;
  dpdk_session& operator=(const dpdk_session&) = delete;
  // `eal_argv` starts with the program name; the EAL consumes it. `threads`: --threads.
  bool open(std::vector<char*> eal_argv, const dpdk_options& options, unsigned threads, std::string& error);
  unsigned producers() const noexcept;
  unsigned queues() const noexcept;
  bool all_pcap() const noexcept;  // only net_pcap ports: files, read lossless

 private:
  friend bool run_dpdk(dpdk_session&, const dpdk_options&, pipeline&, status_reporter&, capture_counters&,
                       std::string&);
  struct state;
  std::unique_ptr<state> _state;
};
bool run_dpdk(dpdk_session& session, const dpdk_options& options, pipeline& p, status_reporter& status,
              capture_counters& counters, std::string& error);

}  // namespace bssap::probe
