// A real Prometheus server (Debian's prometheus) on loopback scrapes a paced replay's /metrics;
// through its HTTP query API the counters it stored equal the replay's summary.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "bssap/event.hpp"
#include "console_test_util.hpp"

using namespace bssap;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The value of an instant query's single result (nullopt when empty or unreachable).
std::optional<double> query(int port, const std::string& promql) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(10, 0);
  auto r = c.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!r || r->status != 200) return std::nullopt;
  const auto j = json::parse(r->body, nullptr, false);
  if (j.is_discarded() || j["status"] != "success" || j["data"]["result"].size() != 1) return std::nullopt;
  return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
}

}  // namespace

TEST_CASE("prometheus scrapes a paced replay: its counters equal the summary", "[console][e2e][prometheus]") {
  if (std::system("command -v prometheus >/dev/null 2>&1") != 0)
    BSSAP_SKIP_OR_FAIL("prometheus (Debian prometheus) missing");
  const auto dir = test::console_dir("prometheus");
  // The campaign engines run (no campaigns: they keep their subscriber table all the same).
  const auto examples = test::source_dir() / "examples";
  std::ofstream(dir / "probe.yaml") << "home_plmns: [460-00, 460-02, 460-07]\nstate_dir: " << (dir / "state").string()
                                    << "\nsubscribers: " << (examples / "subscribers.csv").string() << "\n";
  // 578 s of capture at 40x: about 15 s, scraped every second.
  test::child probe({test::probe_path(), "replay", (test::source_dir() / "pcaps" / "sample.pcap").string(), "--speed",
                     "40", "--config", (dir / "probe.yaml").string(), "--http", "127.0.0.1:0", "--http-linger", "120",
                     "--events", (dir / "events.jsonl").string()},
                    dir / "out.txt", dir / "err.txt");
  const int port = test::wait_console_port(dir / "err.txt");
  REQUIRE(port > 0);
  // And a DPDK capture (two net_pcap RX queues), for the per-port and per-queue series; it
  // lingers so that its final figures are scraped.
  const auto pcaps = test::source_dir() / "pcaps";
  test::child dpdk(
      {test::probe_path(), "dpdk", "--no-huge", "--no-pci", "-m", "256", "--log-level=1",
       "--file-prefix=bssap-prom-" + std::to_string(::getpid()),
       "--vdev=net_pcap0,rx_pcap=" + (pcaps / "m3ua.pcap").string() + ",rx_pcap=" + (pcaps / "iucs-m3ua.pcap").string(),
       "--", "--idle-exit", "1", "--http", "127.0.0.1:0", "--http-linger", "120", "--events",
       (dir / "dpdk.jsonl").string()},
      dir / "dpdk.out", dir / "dpdk.err");
  const int dpdk_port = test::wait_console_port(dir / "dpdk.err");
  REQUIRE(dpdk_port > 0);
  const int prom_port = test::free_port();
  std::ofstream(dir / "prometheus.yml") << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                                        << "scrape_configs:\n  - job_name: bssap-probe\n    static_configs:\n"
                                        << "      - targets: ['127.0.0.1:" << port << "']\n"
                                        << "  - job_name: bssap-dpdk\n    static_configs:\n"
                                        << "      - targets: ['127.0.0.1:" << dpdk_port << "']\n";
  test::child prom({"prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
                    "--storage.tsdb.path=" + (dir / "tsdb").string(),
                    "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--log.level=warn"},
                   dir / "prom.out", dir / "prom.err");
  REQUIRE(prom.running());
  // Prometheus scraped the probe while the replay was running...
  REQUIRE(
      test::wait_until([&] { return query(prom_port, "up{job=\"bssap-probe\"}") == 1.0; }, std::chrono::seconds(60)));
  // ...and once more after it ended.
  INFO(test::slurp(dir / "prom.err"));
  REQUIRE(test::wait_until([&] { return query(prom_port, "bssap_finished{job=\"bssap-probe\"}") == 1.0; },
                           std::chrono::seconds(180)));
  REQUIRE(
      test::wait_until([&] { return test::slurp(dir / "err.txt").find("correl     subscribers") != std::string::npos; },
                       std::chrono::seconds(60)));
  const std::string summary = test::slurp(dir / "err.txt");
  INFO(summary);
  CHECK(query(prom_port, "bssap_capture_packets_total{job=\"bssap-probe\"}") ==
        static_cast<double>(*test::summary_value(summary, "capture", "packets")));
  CHECK(query(prom_port, "bssap_capture_bytes_total{job=\"bssap-probe\"}") ==
        static_cast<double>(*test::summary_value(summary, "capture", "bytes")));
  CHECK(query(prom_port, "sum(bssap_events_total{job=\"bssap-probe\"})") ==
        static_cast<double>(*test::summary_value(summary, "events", "total")));
  for (const auto t : {event_type::power_on, event_type::location_update, event_type::call_mo, event_type::sms_mo})
    CHECK(query(prom_port, "bssap_events_total{job=\"bssap-probe\",type=\"" + std::string(to_string(t)) + "\"}") ==
          static_cast<double>(test::summary_value(summary, "events", std::string(to_string(t))).value_or(0)));
  CHECK(query(prom_port, "bssap_events_unresolved_total{job=\"bssap-probe\"}") ==
        static_cast<double>(*test::summary_value(summary, "events", "unresolved")));
  CHECK(query(prom_port, "bssap_subscribers{job=\"bssap-probe\"}") ==
        static_cast<double>(*test::summary_value(summary, "correl", "subscribers")));
  // The engines' subscriber table, as the probe itself exposes it at the end.
  {
    httplib::Client c("127.0.0.1", port);
    auto r = c.Get("/metrics");
    REQUIRE(r);
    const auto subs = test::metric(r->body, "bssap_campaign_subscribers");
    REQUIRE(subs);
    CHECK(*subs > 100);
    CHECK(query(prom_port, "bssap_campaign_subscribers") == *subs);
    CHECK(query(prom_port, "bssap_campaign_state_bytes") == test::metric(r->body, "bssap_campaign_state_bytes"));
  }
  // The DPDK run's queues add up to its port and to its total, as Prometheus stored them.
  REQUIRE(test::wait_until([&] { return query(prom_port, "bssap_finished{job=\"bssap-dpdk\"}") == 1.0; },
                           std::chrono::seconds(60)));
  const std::string dpdk_summary = test::slurp(dir / "dpdk.err");
  INFO(dpdk_summary);
  const auto dpdk_packets = static_cast<double>(*test::summary_value(dpdk_summary, "capture", "packets"));
  CHECK(dpdk_packets > 0);
  CHECK(query(prom_port, "sum(bssap_capture_queue_packets_total{job=\"bssap-dpdk\"})") == dpdk_packets);
  CHECK(query(prom_port, "count(bssap_capture_queue_packets_total{job=\"bssap-dpdk\"})") == 2.0);
  CHECK(query(prom_port, "bssap_capture_interface_packets_total{job=\"bssap-dpdk\",interface=\"net_pcap0\"}") ==
        dpdk_packets);
  CHECK(query(prom_port, "sum(bssap_capture_queue_bytes_total{job=\"bssap-dpdk\"})") ==
        static_cast<double>(*test::summary_value(dpdk_summary, "capture", "bytes")));
  CHECK(query(prom_port, "sum(bssap_capture_queue_drops_total{job=\"bssap-dpdk\"})") == 0.0);
  CHECK(dpdk.stop(SIGTERM) == 0);
  // It saw the replay in progress: samples before the end, smaller than the final count.
  const auto first = query(prom_port, "min_over_time(bssap_capture_packets_total{job=\"bssap-probe\"}[10m])");
  REQUIRE(first);
  CHECK(*first < static_cast<double>(*test::summary_value(summary, "capture", "packets")));
  const auto samples = query(prom_port, "count_over_time(bssap_capture_packets_total{job=\"bssap-probe\"}[10m])");
  REQUIRE(samples);
  CHECK(*samples >= 5);
  CHECK(prom.stop(SIGTERM) == 0);
  CHECK(probe.stop(SIGTERM) == 0);
}
