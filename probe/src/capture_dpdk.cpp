// DPDK source: every available port, several RX queues with RSS where the device has them,
// rte_eth_rx_burst of 32, frames handed to the pipeline (which spreads them over the flow
// workers with the symmetric flow hash).
// Timestamps: net_pcap (the vdev used in tests) stores the file's capture time in the mbuf
// timestamp dynamic field, in microseconds; we use it so that `dpdk` and `replay` of one file
// give identical events. Other drivers: the wall clock at reception (their hardware clock units
// differ per device).
// End of input: net_pcap keeps returning 0 packets after its file, so with only net_pcap ports
// the loop stops after 2 s without a packet (--idle-exit S overrides; 0 = never).
#include <fmt/format.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include <chrono>
#include <cstring>
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
}  // namespace

bool run_dpdk(std::vector<char*> eal_argv, const dpdk_options& options, pipeline& p, status_reporter& status,
              capture_counters& counters, std::string& error) {
  const int consumed = rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data());
  if (consumed < 0) {
    error = fmt::format("DPDK EAL initialisation failed: {}", rte_strerror(rte_errno));
    return false;
  }
  const std::uint16_t nb_ports = rte_eth_dev_count_avail();
  if (nb_ports == 0) {
    error = "DPDK: no Ethernet port available (bind a NIC or give --vdev=net_pcap0,rx_pcap=FILE)";
    rte_eal_cleanup();
    return false;
  }
  rte_mempool* pool =
      rte_pktmbuf_pool_create("bssap_rx", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
  if (pool == nullptr) {
    error = fmt::format("DPDK: cannot create the mbuf pool: {}", rte_strerror(rte_errno));
    rte_eal_cleanup();
    return false;
  }
  int ts_offset = -1;
  std::uint64_t ts_flag = 0;
  struct port_queues {
    std::uint16_t port;
    std::uint16_t queues;
    bool pcap_timestamps;
  };
  std::vector<port_queues> ports;
  bool all_pcap = true;
  std::uint16_t port_id = 0;
  RTE_ETH_FOREACH_DEV(port_id) {
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port_id, &info) != 0) {
      error = fmt::format("DPDK: port {}: cannot read device info", port_id);
      return false;
    }
    const bool is_pcap = info.driver_name != nullptr && std::strstr(info.driver_name, "pcap") != nullptr;
    all_pcap = all_pcap && is_pcap;
    unsigned want = options.rx_queues != 0 ? options.rx_queues : p.threads();
    if (want > info.max_rx_queues) want = info.max_rx_queues;
    if (want == 0) want = 1;
    rte_eth_conf conf{};
    if (want > 1) {
      // RSS on IP addresses only: the A interface runs over few SCTP/TCP associations, and
      // addresses alone keep both directions and all IP fragments of a flow on one queue when
      // the device uses a symmetric key; the pipeline re-hashes anyway.
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
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
    (void)rte_eth_promiscuous_enable(port_id);
    ports.push_back({port_id, nq, is_pcap});
  }
  // net_pcap registers the timestamp field when it is probed; look it up after the ports start.
  ts_offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
  const int flag_bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr);
  if (flag_bit >= 0) ts_flag = std::uint64_t{1} << flag_bit;
  const double idle_exit = options.idle_exit_s >= 0 ? options.idle_exit_s : (all_pcap ? 2.0 : 0.0);

  std::vector<std::uint8_t> linear(65536);
  std::vector<rte_mbuf*> burst(options.burst == 0 ? 32 : options.burst);
  double last_packet = now_s();
  double last_stats = 0;
  while (!g_stop_requested.load(std::memory_order_relaxed)) {
    bool any = false;
    for (const auto& pq : ports) {
      for (std::uint16_t q = 0; q < pq.queues; ++q) {
        const std::uint16_t n = rte_eth_rx_burst(pq.port, q, burst.data(), static_cast<std::uint16_t>(burst.size()));
        if (n == 0) continue;
        any = true;
        const std::int64_t now = pq.pcap_timestamps ? 0 : wall_us();
        for (std::uint16_t i = 0; i < n; ++i) {
          rte_mbuf* m = burst[i];
          if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(burst[i + 1], void*));
          std::int64_t ts = now;
          if (pq.pcap_timestamps && ts_offset >= 0 && (m->ol_flags & ts_flag) != 0)
            ts = static_cast<std::int64_t>(*RTE_MBUF_DYNFIELD(m, ts_offset, rte_mbuf_timestamp_t*));
          else if (pq.pcap_timestamps)
            ts = wall_us();
          const std::uint32_t len = rte_pktmbuf_pkt_len(m);
          const void* data = rte_pktmbuf_read(m, 0, std::min<std::uint32_t>(len, 65536), linear.data());
          if (data != nullptr)
            p.push_packet(dec::linktype::ethernet,
                          {static_cast<const std::byte*>(data), std::min<std::uint32_t>(len, 65536)}, ts);
          rte_pktmbuf_free(m);
        }
      }
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
    std::uint64_t missed = 0, nombuf = 0;
    for (const auto& pq : ports) {
      rte_eth_stats st{};
      if (rte_eth_stats_get(pq.port, &st) == 0) {
        missed += st.imissed;
        nombuf += st.rx_nombuf + st.ierrors;
      }
    }
    counters.kernel_drops = missed;
    counters.interface_drops = nombuf;
    status.tick(p, 0, 0, missed);
    p.maybe_snapshot();
  }
  for (const auto& pq : ports) {
    (void)rte_eth_dev_stop(pq.port);
    (void)rte_eth_dev_close(pq.port);
  }
  rte_eal_cleanup();
  return true;
}

}  // namespace bssap::probe
