// DPDK source: every available port, several RX queues with RSS where the device has them,
// rte_eth_rx_burst of 32.
// Threads: when the EAL gives a worker lcore for every RX queue (-l / --lcores), each queue is
// polled by its own lcore, which also decodes its frames (pipeline producer mode); the main lcore
// merges the records by capture time and correlates. RSS uses a symmetric Toeplitz key, so both
// directions of an association reach the same queue and SCCP connections never cross lcores.
// With fewer worker lcores than queues, the main lcore polls every queue and hands the frames
// to the --threads flow workers, which spread them with the symmetric flow hash.
// Timestamps: net_pcap (the vdev used in tests) stores the file's capture time in the mbuf
// timestamp dynamic field, in microseconds; we use it so that `dpdk` and `replay` of one file
// give identical events. Other drivers: the wall clock at reception (their hardware clock units
// differ per device).
// net_pcap: each rx_pcap=FILE of a vdev is one RX queue; all of them are read. Reading a file is
// lossless (a full unit queue waits); a NIC is lossy (a full queue drops the SCCP unit, counted).
// End of input: net_pcap keeps returning 0 packets after its file, so with only net_pcap ports
// the loop stops after 2 s without a packet (--idle-exit S overrides; 0 = never); in producer
// mode each lcore stops on its own queue's silence.
#include <fmt/format.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <span>
#include <thread>
#include <vector>

#include "bssap/probe/capture.hpp"

namespace bssap::probe {

namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A symmetric Toeplitz key (0x6D5A repeated; S. Woo and K. Park, "Scalable TCP session
// monitoring with symmetric receive-side scaling", 2012): hash(src, dst) == hash(dst, src).
constexpr std::array<std::uint8_t, 40> symmetric_rss_key = {0x6D, 0x5A, 0x6D, 0x5A, 0x6D, 0x5A, 0x6D, 0x5A, 0x6D, 0x5A,
                                                            0x6D, 0x5A, 0x6D, 0x5A, 0x6D, 0x5A, 0x6D, 0x5A, 0x6D, 0x5A,
                                                            0x6D, 0x5A, 0x6D, 0x5A, 0x6D, 0x5A, 0x6D, 0x5A, 0x6D, 0x5A,
                                                            0x6D, 0x5A, 0x6D, 0x5A, 0x6D, 0x5A, 0x6D, 0x5A, 0x6D, 0x5A};

struct rx_queue {
  std::uint16_t port = 0;
  std::uint16_t queue = 0;
  bool pcap = false;  // net_pcap: capture time from the file
};

struct rx_timestamps {
  int offset = -1;
  std::uint64_t flag = 0;
};

std::int64_t frame_time(const rte_mbuf* m, bool pcap, const rx_timestamps& t, std::int64_t now) noexcept {
  if (!pcap) return now;
  if (t.offset >= 0 && (m->ol_flags & t.flag) != 0)
    return static_cast<std::int64_t>(*RTE_MBUF_DYNFIELD(m, t.offset, const rte_mbuf_timestamp_t*));
  return wall_us();
}

// Hands each frame of a received burst, in order, to `take(frame, capture time)`, linearising
// chained mbufs into `linear` (frames are cut at 64 KiB), and frees the mbufs. Returns the
// capture time of the last frame.
template <class Take>
std::int64_t take_burst(rte_mbuf* const* burst, std::uint16_t n, bool pcap, const rx_timestamps& t,
                        std::vector<std::uint8_t>& linear, Take&& take) {
  const std::int64_t now = pcap ? 0 : wall_us();
  std::int64_t ts = now;
  for (std::uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = burst[i];
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(burst[i + 1], void*));
    ts = frame_time(m, pcap, t, now);
    const std::uint32_t len = std::min<std::uint32_t>(rte_pktmbuf_pkt_len(m), 65536);
    const void* data = rte_pktmbuf_read(m, 0, len, linear.data());
    if (data != nullptr) take(std::span<const std::byte>(static_cast<const std::byte*>(data), len), ts);
    rte_pktmbuf_free(m);
  }
  return ts;
}

// One worker lcore: polls one RX queue and decodes its frames as pipeline producer `index`.
struct rx_lcore {
  pipeline* p = nullptr;
  unsigned index = 0;
  rx_queue q;
  rx_timestamps ts;
  double idle_exit_s = 0;
  unsigned burst = 32;
  const std::atomic<bool>* stop = nullptr;
  // Frames of this queue the pipeline refused (lossy, unit queue full): written by this lcore
  // only, read by the main lcore for the queue's figures.
  std::atomic<std::uint64_t> queue_drops{0};
};

int rx_lcore_main(void* arg) {
  auto& c = *static_cast<rx_lcore*>(arg);
  std::vector<rte_mbuf*> burst(c.burst);
  std::vector<std::uint8_t> linear(65536);
  double last_packet = now_s();
  std::int64_t last_mark = 0;
  unsigned empty_polls = 0;
  while (!c.stop->load(std::memory_order_relaxed) && !g_stop_requested.load(std::memory_order_relaxed)) {
    const std::uint16_t n =
        rte_eth_rx_burst(c.q.port, c.q.queue, burst.data(), static_cast<std::uint16_t>(burst.size()));
    if (n == 0) {
      if (c.q.pcap) {
        // The file is over once it stays silent (net_pcap returns nothing after its end).
        if (c.idle_exit_s > 0 && now_s() - last_packet >= c.idle_exit_s) break;
      } else {
        // Frames not yet received will be stamped later than now: let the merge move on.
        const std::int64_t now = wall_us();
        if (now - last_mark >= 1000) {
          c.p->watermark(c.index, now);
          last_mark = now;
        }
      }
      // Poll hard while traffic flows; an idle queue must not take a core the merge needs.
      if (++empty_polls < 1024)
        rte_pause();
      else
        std::this_thread::sleep_for(std::chrono::microseconds(20));
      continue;
    }
    empty_polls = 0;
    last_packet = now_s();
    // A refused SCCP unit (lossy, unit queue full) is counted by the pipeline as a queue drop.
    const std::int64_t ts = take_burst(burst.data(), n, c.q.pcap, c.ts, linear, [&](auto frame, std::int64_t t) {
      if (!c.p->produce(c.index, dec::linktype::ethernet, frame, t))
        c.queue_drops.store(c.queue_drops.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    });
    c.p->watermark(c.index, ts);  // the queue's frames come in time order
    last_mark = ts;
  }
  c.p->end(c.index);
  return 0;
}

// The ports' and queues' figures from the devices' own counters (rte_eth_stats: per port
// imissed, rx_nombuf, ierrors; per queue q_ipackets, q_ibytes, q_errors for the first
// RTE_ETHDEV_QUEUE_STAT_CNTRS queues), into `counters`, sized by init_sources(). The queue drops
// (frames the pipeline refused) are counted by whoever polls the queue; an interface's are the
// sum of its queues'.
void read_port_drops(const std::vector<std::uint16_t>& ports, const std::vector<rx_queue>& queues,
                     capture_counters& counters) {
  std::uint64_t missed = 0, nombuf = 0;
  for (std::size_t pi = 0; pi < ports.size(); ++pi) {
    rte_eth_stats st{};
    if (rte_eth_stats_get(ports[pi], &st) != 0) continue;
    missed += st.imissed;
    nombuf += st.rx_nombuf + st.ierrors;
    auto& port = counters.interfaces[pi];
    port.packets = st.ipackets;
    port.bytes = st.ibytes;
    port.kernel_drops = st.imissed;
    port.interface_drops = st.rx_nombuf + st.ierrors;
    port.queue_drops = 0;
    for (std::size_t qi = 0; qi < queues.size(); ++qi) {
      if (queues[qi].port != ports[pi]) continue;
      auto& q = counters.queues[qi];
      port.queue_drops += q.queue_drops;
      if (queues[qi].queue >= RTE_ETHDEV_QUEUE_STAT_CNTRS) continue;
      q.packets = st.q_ipackets[queues[qi].queue];
      q.bytes = st.q_ibytes[queues[qi].queue];
      q.interface_drops = st.q_errors[queues[qi].queue];
    }
  }
  counters.kernel_drops = missed;
  counters.interface_drops = nombuf;
}

void init_sources(const std::vector<std::uint16_t>& ports, const std::vector<rx_queue>& queues,
                  capture_counters& counters) {
  auto name_of = [](std::uint16_t port) {
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    if (rte_eth_dev_get_name_by_port(port, name) != 0) return fmt::format("port{}", port);
    return std::string(name);
  };
  counters.interfaces.clear();
  for (const auto port : ports) counters.interfaces.push_back(capture_source{.interface = name_of(port), .port = port});
  counters.queues.clear();
  for (const auto& q : queues)
    counters.queues.push_back(capture_source{.interface = name_of(q.port), .port = q.port, .queue = q.queue});
}

}  // namespace

struct dpdk_session::state {
  std::vector<std::uint16_t> ports;
  std::vector<rx_queue> queues;
  std::vector<unsigned> lcores;  // one worker lcore per queue, or empty: the main lcore polls all
  bool all_pcap = true;
  rx_timestamps ts;
};

dpdk_session::dpdk_session() = default;
dpdk_session::~dpdk_session() {
  if (!_state) return;
  for (const auto port : _state->ports) {
    (void)rte_eth_dev_stop(port);
    (void)rte_eth_dev_close(port);
  }
  rte_eal_cleanup();
}
unsigned dpdk_session::producers() const noexcept {
  return _state ? static_cast<unsigned>(_state->lcores.size()) : 0;
}
unsigned dpdk_session::queues() const noexcept {
  return _state ? static_cast<unsigned>(_state->queues.size()) : 0;
}
bool dpdk_session::all_pcap() const noexcept {
  return _state && _state->all_pcap;
}

bool dpdk_session::open(std::vector<char*> eal_argv, const dpdk_options& options, unsigned threads,
                        std::string& error) {
  const int consumed = rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data());
  if (consumed < 0) {
    error = fmt::format("DPDK EAL initialisation failed: {}", rte_strerror(rte_errno));
    return false;
  }
  _state = std::make_unique<state>();  // from here on the destructor cleans the EAL up
  state& s = *_state;
  const std::uint16_t nb_ports = rte_eth_dev_count_avail();
  if (nb_ports == 0) {
    error = "DPDK: no Ethernet port available (bind a NIC or give --vdev=net_pcap0,rx_pcap=FILE)";
    return false;
  }
  rte_mempool* pool =
      rte_pktmbuf_pool_create("bssap_rx", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
  if (pool == nullptr) {
    error = fmt::format("DPDK: cannot create the mbuf pool: {}", rte_strerror(rte_errno));
    return false;
  }
  const unsigned worker_lcores = rte_lcore_count() > 0 ? rte_lcore_count() - 1 : 0;
  std::uint16_t port_id = 0;
  RTE_ETH_FOREACH_DEV(port_id) {
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port_id, &info) != 0) {
      error = fmt::format("DPDK: port {}: cannot read device info", port_id);
      return false;
    }
    const bool is_pcap = info.driver_name != nullptr && std::strstr(info.driver_name, "pcap") != nullptr;
    s.all_pcap = s.all_pcap && is_pcap;
    unsigned want = 0;
    if (is_pcap) {
      want = info.max_rx_queues;  // one per rx_pcap file: every file is read
    } else {
      want = options.rx_queues != 0 ? options.rx_queues : std::max(threads, worker_lcores);
      if (want > info.max_rx_queues) want = info.max_rx_queues;
    }
    if (want == 0) want = 1;
    rte_eth_conf conf{};
    std::array<std::uint8_t, 40> key = symmetric_rss_key;
    if (want > 1 && !is_pcap) {
      // RSS on IP addresses only: the A interface runs over few SCTP/TCP associations, and
      // addresses alone keep all IP fragments of a flow together; the key makes it symmetric.
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
      if (info.hash_key_size == key.size()) {
        conf.rx_adv_conf.rss_conf.rss_key = key.data();
        conf.rx_adv_conf.rss_conf.rss_key_len = static_cast<std::uint8_t>(key.size());
      }
    }
    const std::uint16_t nq = static_cast<std::uint16_t>(want);
    if (rte_eth_dev_configure(port_id, nq, is_pcap ? 1 : 0, &conf) != 0) {
      error = fmt::format("DPDK: port {}: cannot configure {} RX queues", port_id, nq);
      return false;
    }
    for (std::uint16_t q = 0; q < nq; ++q) {
      if (rte_eth_rx_queue_setup(port_id, q, 1024, rte_eth_dev_socket_id(port_id), nullptr, pool) != 0) {
        error = fmt::format("DPDK: port {}: cannot set up RX queue {}", port_id, q);
        return false;
      }
    }
    if (is_pcap && rte_eth_tx_queue_setup(port_id, 0, 64, rte_eth_dev_socket_id(port_id), nullptr) != 0) {
      error = fmt::format("DPDK: port {}: cannot set up the TX queue", port_id);
      return false;
    }
    if (rte_eth_dev_start(port_id) != 0) {
      error = fmt::format("DPDK: port {}: cannot start", port_id);
      return false;
    }
    s.ports.push_back(port_id);
    (void)rte_eth_promiscuous_enable(port_id);
    for (std::uint16_t q = 0; q < nq; ++q) s.queues.push_back({port_id, q, is_pcap});
  }
  // net_pcap registers the timestamp field when it is probed; look it up after the ports start.
  s.ts.offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
  const int flag_bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr);
  if (flag_bit >= 0) s.ts.flag = std::uint64_t{1} << flag_bit;
  if (worker_lcores >= s.queues.size()) {
    unsigned lcore = 0;
    RTE_LCORE_FOREACH_WORKER(lcore) {
      if (s.lcores.size() == s.queues.size()) break;
      s.lcores.push_back(lcore);
    }
  }
  return true;
}

bool run_dpdk(dpdk_session& session, const dpdk_options& options, pipeline& p, status_reporter& status,
              capture_counters& counters, std::string& error) {
  if (!session._state) {
    error = "DPDK: not initialised";
    return false;
  }
  auto& s = *session._state;
  const double idle_exit = options.idle_exit_s >= 0 ? options.idle_exit_s : (s.all_pcap ? 2.0 : 0.0);

  if (!s.lcores.empty()) {
    if (p.producers() != s.lcores.size()) {
      error = "DPDK: internal error: the pipeline was not set up for one producer per RX queue";
      for (unsigned i = 0; i < p.producers(); ++i) p.end(i);
      return false;
    }
    init_sources(s.ports, s.queues, counters);
    std::atomic<bool> stop{false};
    std::vector<rx_lcore> lcores(s.lcores.size());
    auto read_figures = [&] {
      for (std::size_t i = 0; i < lcores.size(); ++i)
        counters.queues[i].queue_drops = lcores[i].queue_drops.load(std::memory_order_relaxed);
      read_port_drops(s.ports, s.queues, counters);
    };
    for (std::size_t i = 0; i < lcores.size(); ++i) {
      auto& c = lcores[i];
      c.p = &p;
      c.index = static_cast<unsigned>(i);
      c.q = s.queues[i];
      c.ts = s.ts;
      c.idle_exit_s = idle_exit;
      c.burst = options.burst == 0 ? 32 : options.burst;
      c.stop = &stop;
    }
    for (std::size_t i = 0; i < lcores.size(); ++i) {
      if (rte_eal_remote_launch(rx_lcore_main, &lcores[i], s.lcores[i]) != 0) {
        error = fmt::format("DPDK: cannot start lcore {}", s.lcores[i]);
        stop.store(true);
        rte_eal_mp_wait_lcore();
        for (std::size_t j = i; j < lcores.size(); ++j) p.end(static_cast<unsigned>(j));  // never launched
        return false;
      }
    }
    double last_stats = 0;
    while (!p.producers_ended()) {
      if (g_stop_requested.load(std::memory_order_relaxed)) stop.store(true, std::memory_order_relaxed);
      p.idle();  // merge and correlate what the lcores queued
      const double t = now_s();
      if (t - last_stats >= 0.5) {
        last_stats = t;
        read_figures();
        status.tick(p, 0, 0, counters.kernel_drops);
        p.maybe_snapshot();
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    rte_eal_mp_wait_lcore();
    read_figures();
    return true;
  }

  init_sources(s.ports, s.queues, counters);
  std::vector<std::uint8_t> linear(65536);
  std::vector<rte_mbuf*> burst(options.burst == 0 ? 32 : options.burst);
  double last_packet = now_s();
  double last_stats = 0;
  while (!g_stop_requested.load(std::memory_order_relaxed)) {
    bool any = false;
    for (std::size_t qi = 0; qi < s.queues.size(); ++qi) {
      const auto& q = s.queues[qi];
      const std::uint16_t n = rte_eth_rx_burst(q.port, q.queue, burst.data(), static_cast<std::uint16_t>(burst.size()));
      if (n == 0) continue;
      any = true;
      auto& drops = counters.queues[qi].queue_drops;
      (void)take_burst(burst.data(), n, q.pcap, s.ts, linear, [&](auto frame, std::int64_t t) {
        if (!p.push_packet(dec::linktype::ethernet, frame, t)) drops += 1;
      });
    }
    const double t = now_s();
    if (any) {
      last_packet = t;
    } else {
      p.idle();
      if (idle_exit > 0 && t - last_packet >= idle_exit) break;
    }
    if (t - last_stats < 0.5) continue;
    last_stats = t;
    read_port_drops(s.ports, s.queues, counters);
    status.tick(p, 0, 0, counters.kernel_drops);
    p.maybe_snapshot();
  }
  read_port_drops(s.ports, s.queues, counters);
  return true;
}

}  // namespace bssap::probe
