// Capture sources: pcap/pcapng files (replay), libpcap live interfaces, DPDK ports. Each runs the
// capture loop in the calling thread and hands frames to a pipeline.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bssap/probe/event_fanout.hpp"
#include "bssap/probe/pipeline.hpp"

namespace bssap::probe {

// Set by the signal handler: the capture loop stops, the caller drains and flushes.
extern std::atomic<bool> g_stop_requested;

struct capture_counters;

// The SMPP window for the status line (the campaign runtime's, when it sends SMS).
struct status_window {
  std::uint64_t in_flight = 0, size = 0;
};

// Periodic one-line statistics (--stats), the replay progress bar and the live status line, all
// on stderr. The bar (replay) and the status line (live, dpdk) are redrawn in place ("\r" and
// erase-line) and are only for a terminal: the caller enables them when stderr is a tty, so that
// a log file or a pipe gets the --stats lines and nothing else.
class status_reporter {
 public:
  status_reporter(double stats_interval_s, bool progress_bar, bool status_line = false);
  // Called from the capture loop; cheap unless a line is due. `done`/`total` in bytes for the
  // progress bar (total 0: no bar).
  void tick(const pipeline& p, std::uint64_t done_bytes, std::uint64_t total_bytes,
            std::uint64_t kernel_drops) noexcept;
  void finish() noexcept;
  // The trigger hand-off whose drops the statistics line reports (none: not shown).
  void watch(const event_fanout* trigger) noexcept { _trigger = trigger; }
  // The capture's drop counters (read on the capture thread, which owns them) and the SMPP
  // window (a lock-free read; none: not shown), for the status line.
  void watch(const capture_counters* counters) noexcept { _counters = counters; }
  void watch_window(std::function<std::optional<status_window>()> f) { _window = std::move(f); }
  // Called from tick() at most every `interval_s` (the console's snapshots, --http).
  void on_publish(std::function<void(const pipeline&)> f, double interval_s = 0.25) {
    _publish = std::move(f);
    _publish_interval = interval_s;
  }

 private:
  std::function<void(const pipeline&)> _publish;
  double _publish_interval = 0.25, _last_publish = 0;
  void draw_status_line(const pipeline& p, double t) noexcept;
  const event_fanout* _trigger = nullptr;
  const capture_counters* _counters = nullptr;
  std::function<std::optional<status_window>()> _window;
  double _interval;
  bool _bar;
  bool _line;
  bool _bar_drawn = false;  // the bar or the status line is on screen (the cursor is after it)
  double _last_status = 0;
  std::uint64_t _status_packets = 0, _status_events = 0;
  double _start = 0, _last_line = 0, _last_bar = 0;
  std::uint64_t _last_packets = 0;
};

// One interface's (live: a libpcap interface; DPDK: a port) or one DPDK RX queue's figures, for
// the console's per-interface and per-queue series. Sized once when the capture opens, updated in
// place by the capture thread (no allocation per packet), copied whole into the console's snapshot.
struct capture_source {
  std::string interface;  // live: the interface name; DPDK: the port's device name (net_pcap0, 0000:3b:00.0)
  int port = -1;          // DPDK: the port id; -1 for libpcap
  int queue = -1;         // DPDK: the RX queue of a queue's figures; -1 for an interface's
  std::uint64_t packets = 0, bytes = 0;
  std::uint64_t kernel_drops = 0;     // pcap ps_drop / DPDK imissed (per port only: DPDK counts no imissed per queue)
  std::uint64_t interface_drops = 0;  // pcap ps_ifdrop / DPDK rx_nombuf + ierrors per port, q_errors per queue
  std::uint64_t queue_drops = 0;      // frames of this source the pipeline refused (a full ring, lossy mode)
};

struct capture_counters {
  std::uint64_t kernel_drops = 0;          // pcap_stats ps_drop / DPDK imissed
  std::uint64_t interface_drops = 0;       // pcap_stats ps_ifdrop / DPDK rx_nombuf + ierrors
  std::vector<capture_source> interfaces;  // live and DPDK: one per interface or port (replay: none)
  std::vector<capture_source> queues;      // DPDK: one per RX queue
  std::uint64_t truncated_frames = 0;      // caplen < len (snaplen cut), decoded as far as they go
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
