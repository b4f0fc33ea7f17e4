// End to end: bssap-synth writes a capture and its ground truth (the events a perfect probe
// gives, probe/EVENTS.md); bssap-probe replays the capture; the two event logs must be equal,
// compared per subscriber in order (across subscribers the order may differ: threads, held
// connections). Also: split replays with --state, DPDK net_pcap vs replay, live capture on a
// veth pair in a network namespace, real third-party captures, the sample, user errors.
#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bssap/decoders/crc32c.hpp"
#include "bssap/decoders/m3ua.hpp"
#include "bssap/decoders/sccp.hpp"
#include "bssap/event.hpp"
#include "bssap/probe/event_fanout.hpp"
#include "bssap/probe/flow_decoder.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace bssap;

namespace {

const std::string home = "--home-plmns 460-00,460-02,460-07";

fs::path work_dir(const std::string& name) {
  return test::fresh_dir("bssap-probe-e2e-" + name);
}

int run(const std::string& cmd) {
  return test::run_command(cmd);
}

std::string synth() {
  return (test::bin_dir() / "bssap-synth").string();
}
std::string probe_bin() {
  return (test::bin_dir() / "bssap-probe").string();
}

struct comparison {
  std::size_t probe_events = 0, truth_events = 0, subscribers = 0, differing = 0;
  std::string first_difference;
};

// Key of an event's subscriber: the IMSI, else the TMSI (unresolved events).
std::string subscriber_key(const event& e) {
  if (e.has(f_imsi)) return std::string(e.imsi.view());
  if (e.has(f_tmsi)) return "tmsi:" + std::to_string(e.tmsi);
  return "-";
}

std::map<std::string, std::vector<std::string>> load(const fs::path& path, std::size_t& count, bool strip_time) {
  std::map<std::string, std::vector<std::string>> by_sub;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::string error;
    auto e = parse_json_line(line, &error);
    INFO(path.string() << ": " << line << ": " << error);
    REQUIRE(e);
    if (strip_time) {
      // Live capture stamps frames when they arrive, not when the file says.
      e->ts_us = 0;
      e->duration_ms = 0;
    }
    std::string canonical;
    append_json_line(*e, canonical);
    by_sub[subscriber_key(*e)].push_back(canonical);
    ++count;
  }
  return by_sub;
}

comparison compare(const fs::path& probe_events, const fs::path& truth, bool strip_time = false) {
  comparison c;
  const auto a = load(probe_events, c.probe_events, strip_time);
  const auto b = load(truth, c.truth_events, strip_time);
  std::map<std::string, int> keys;
  for (const auto& [k, v] : a) keys[k] = 1;
  for (const auto& [k, v] : b) keys[k] = 1;
  c.subscribers = keys.size();
  for (const auto& [k, unused] : keys) {
    const auto ia = a.find(k);
    const auto ib = b.find(k);
    const std::vector<std::string> none;
    const auto& va = ia == a.end() ? none : ia->second;
    const auto& vb = ib == b.end() ? none : ib->second;
    if (va == vb) continue;
    ++c.differing;
    if (c.first_difference.empty()) {
      for (std::size_t i = 0; i < std::max(va.size(), vb.size()); ++i) {
        const std::string x = i < va.size() ? va[i] : "(none)\n";
        const std::string y = i < vb.size() ? vb[i] : "(none)\n";
        if (x != y) {
          c.first_difference = "subscriber " + k + "\n probe: " + x + " truth: " + y;
          break;
        }
      }
    }
  }
  return c;
}

void require_equal(const fs::path& events, const fs::path& truth, std::size_t min_events, bool strip_time = false) {
  const auto c = compare(events, truth, strip_time);
  INFO(c.first_difference);
  CHECK(c.probe_events == c.truth_events);
  CHECK(c.differing == 0);
  CHECK(c.truth_events >= min_events);
  WARN("compared " << c.truth_events << " events of " << c.subscribers << " subscribers");
}

// One synth capture, replayed with 1 and 2 threads; each log must equal the truth.
void check_transport(const std::string& name, const std::string& synth_args, const std::string& probe_args = "") {
  const auto dir = work_dir(name);
  const auto pcap = dir / "capture.pcap";
  const auto truth = dir / "truth.jsonl";
  REQUIRE(run(synth() + " " + synth_args + " --quiet --out " + pcap.string() + " --truth " + truth.string()) == 0);
  for (const int threads : {1, 2}) {
    INFO(name << " threads=" << threads);
    const auto events = dir / ("events-" + std::to_string(threads) + ".jsonl");
    REQUIRE(run(probe_bin() + " replay " + pcap.string() + " --no-summary --threads " + std::to_string(threads) + " " +
                home + " " + probe_args + " --events " + events.string()) == 0);
    require_equal(events, truth, 400);
  }
  fs::remove_all(dir);
}

}  // namespace

TEST_CASE("replay equals the synth truth: M3UA over SCTP with IPv4 IPv6 and VLAN", "[e2e]") {
  check_transport("m3ua-1", "--transport m3ua --subscribers 1500 --duration 300 --seed 11 --packets 30000");
  check_transport(
      "m3ua-2",
      "--transport m3ua --subscribers 300 --duration 120 --seed 12 --packets 12000 --ipv6 --vlan 100 --bscs 3");
}

TEST_CASE("replay equals the synth truth: M3UA linksets and multi-homed associations (connections cross them)",
          "[e2e][linkset]") {
  // Each message takes one association of its BSC's linkset by SLS, the directions choosing
  // independently; multi-homed, the packets also move between two IP address pairs. Keyed by the
  // flow, most connections were unknown (1630 of 2505 events on the first capture).
  check_transport("m3ua-linkset-1",
                  "--transport m3ua --subscribers 1500 --duration 300 --seed 13 --packets 30000 "
                  "--associations 2 --multihome");
  check_transport("m3ua-linkset-2",
                  "--transport m3ua --subscribers 300 --duration 120 --seed 14 --packets 12000 "
                  "--associations 3 --ipv6 --bscs 2");
}

TEST_CASE("replay equals the synth truth: inter-BSC handovers during calls, with and without the IMSI",
          "[e2e][handover]") {
  // 60 % of the handovers during calls go to another BSC (a new connection the MSC opens), half
  // of their Handover Requests without the IMSI: the probe ties the connections by the Handover
  // Command's octets, so handover and call_end keep their IMSI, peer and duration.
  check_transport("handover-m3ua",
                  "--transport m3ua --subscribers 1500 --duration 600 --seed 17 --packets 40000 "
                  "--mix interbsc=60 --associations 2");
  check_transport("handover-ipa",
                  "--transport ipa --subscribers 800 --duration 600 --seed 18 --packets 25000 --mix interbsc=60");
  check_transport("handover-mtp3",
                  "--transport mtp3 --subscribers 800 --duration 600 --seed 19 --packets 25000 --mix interbsc=60");
}

TEST_CASE("replay equals the synth truth: everything real networks do at once", "[e2e][linkset][handover]") {
  // Linksets, multi-homing, inter-BSC handovers with and without the IMSI, CREF and the retry
  // (on by default), IMEI checks during LU, and the MSC's packets with CRC32c 0 (checksum
  // offload on the capturing host: decoded and counted, as Wireshark does).
  check_transport("all-at-once",
                  "--transport m3ua --subscribers 1500 --duration 600 --seed 23 --packets 40000 "
                  "--associations 2 --multihome --checksum-offload --mix interbsc=40,cref=40");
}

TEST_CASE("replay equals the synth truth: Iu-CS (RANAP) over M3UA and over SUA", "[e2e][iucs]") {
  // The same subscriber life on Iu-CS (bssap-synth --interface iucs): InitialUE-Message with LAI
  // and SAI (lac from the SAI, cell = its SAC), DirectTransfer, CommonID, Paging, Iu-Release, in
  // SCCP over M3UA (SSN 142) or in SUA (RFC 3868); then over SUA with linksets, multi-homing,
  // the MSC's checksums zeroed and refused connections.
  check_transport("iucs-m3ua",
                  "--interface iucs --transport m3ua --subscribers 3000 --duration 300 --seed 81 --packets 40000");
  check_transport("iucs-sua",
                  "--interface iucs --transport sua --subscribers 3000 --duration 300 --seed 82 --packets 40000");
  check_transport("iucs-sua-all",
                  "--interface iucs --transport sua --subscribers 2000 --duration 600 --seed 83 --packets 40000 "
                  "--associations 2 --multihome --checksum-offload --mix cref=40");
}

TEST_CASE("replay equals the synth truth: IPA SCCPlite over TCP", "[e2e]") {
  check_transport("ipa-1", "--transport ipa --subscribers 1500 --duration 300 --seed 21 --packets 30000");
  check_transport("ipa-2",
                  "--transport ipa --subscribers 300 --duration 120 --seed 22 --packets 12000 --ipv6 --bscs 2");
}

TEST_CASE("replay equals the synth truth: MTP2 links with retransmitted MSUs skipped", "[e2e]") {
  check_transport("mtp2-1", "--transport mtp2 --subscribers 1500 --duration 300 --seed 31 --packets 30000");
  check_transport("mtp2-2", "--transport mtp2 --subscribers 300 --duration 120 --seed 32 --packets 12000 --bscs 3");
}

TEST_CASE("replay equals the synth truth: MTP3 links with 14- and 24-bit point codes", "[e2e]") {
  check_transport("mtp3-1", "--transport mtp3 --subscribers 1500 --duration 300 --seed 41 --packets 30000");
  check_transport("mtp3-2", "--transport mtp3 --subscribers 300 --duration 120 --seed 42 --packets 12000 --pc24",
                  "--pc24");
}

TEST_CASE("trigger hand-off: the IMSI-sharded queues carry every event to its subscriber's shard", "[e2e][fanout]") {
  const auto dir = work_dir("trigger");
  const auto pcap = dir / "capture.pcap";
  const auto truth = dir / "truth.jsonl";
  REQUIRE(run(synth() + " --transport m3ua --subscribers 1500 --duration 300 --seed 51 --packets 30000 --quiet --out " +
              pcap.string() + " --truth " + truth.string()) == 0);
  const auto events = dir / "events.jsonl";
  const auto shards = dir / "shards";
  const auto summary = dir / "summary.txt";
  REQUIRE(run(probe_bin() + " replay " + pcap.string() + " --threads 2 " + home + " --events " + events.string() +
              " --trigger-shards 3 --trigger-out " + shards.string() + " 2>" + summary.string()) == 0);
  require_equal(events, truth, 400);
  // The shards together, per subscriber in order, are the truth too; and a subscriber's
  // events are all in the shard that shard_of() names.
  const auto all = dir / "all-shards.jsonl";
  {
    std::ofstream out(all);
    for (int k = 0; k < 3; ++k) {
      std::ifstream in(shards / ("shard-" + std::to_string(k) + ".jsonl"));
      REQUIRE(in.good());
      std::string line;
      std::size_t lines = 0;
      while (std::getline(in, line)) {
        const auto e = parse_json_line(line);
        REQUIRE(e);
        CHECK(probe::event_fanout::shard_of(*e, 3) == static_cast<std::size_t>(k));
        out << line << "\n";
        ++lines;
      }
      CHECK(lines > 0);
    }
  }
  require_equal(all, truth, 400);
  const std::string text = test::slurp(summary);
  INFO(text);
  CHECK(text.find("trigger    queue_drops                          0\n") != std::string::npos);
  CHECK(text.find("trigger    shards                               3\n") != std::string::npos);
  fs::remove_all(dir);
}

namespace {
// Copies each frame of `in` to `a` when `to_a(index, frame)` holds, else to `b` (0-based index).
template <class Predicate>
void split_pcap(const fs::path& in, const fs::path& a, const fs::path& b, Predicate to_a) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(in.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  REQUIRE(p != nullptr);
  pcap_dumper_t* da = pcap_dump_open(p, a.c_str());
  pcap_dumper_t* db = pcap_dump_open(p, b.c_str());
  REQUIRE(da != nullptr);
  REQUIRE(db != nullptr);
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  for (std::size_t i = 0; pcap_next_ex(p, &h, &data) == 1; ++i)
    pcap_dump(reinterpret_cast<u_char*>(to_a(i, std::span<const u_char>(data, h->caplen)) ? da : db), h, data);
  pcap_dump_close(da);
  pcap_dump_close(db);
  pcap_close(p);
}
// Splits `in` after frame `split_after` (0-based, inclusive) into two files.
void split_pcap(const fs::path& in, std::size_t split_after, const fs::path& a, const fs::path& b) {
  split_pcap(in, a, b, [split_after](std::size_t i, std::span<const u_char>) { return i <= split_after; });
}
// The frame nearest the middle after which no SCCP connection is open (so the second replay
// does not start inside a connection, which a probe restarted there could not follow).
std::size_t quiet_split_point(const fs::path& in, std::size_t& frames) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(in.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  REQUIRE(p != nullptr);
  const auto lt = static_cast<dec::linktype>(pcap_datalink(p));
  probe::flow_decoder decoder({}, 0);
  auto ignore = [](const probe::a_record&) noexcept {};
  std::vector<std::size_t> quiet;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  std::size_t i = 0;
  for (; pcap_next_ex(p, &h, &data) == 1; ++i) {
    decoder.decode(lt, {reinterpret_cast<const std::byte*>(data), h->caplen},
                   static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000 + h->ts.tv_usec, i + 1,
                   probe::make_record_sink(ignore));
    if (decoder.open_connections() == 0) quiet.push_back(i);
  }
  pcap_close(p);
  frames = i;
  std::size_t best = 0;
  for (const auto q : quiet)
    if (std::llabs(static_cast<long long>(q) - static_cast<long long>(i / 2)) <
        std::llabs(static_cast<long long>(best) - static_cast<long long>(i / 2)))
      best = q;
  return best;
}
}  // namespace

TEST_CASE("two replays split in time with --state restored between them equal one truth", "[e2e]") {
  const auto dir = work_dir("split");
  const auto pcap = dir / "capture.pcap";
  const auto truth = dir / "truth.jsonl";
  // Few subscribers, low procedure rate: the capture has moments without open connections.
  REQUIRE(run(synth() + " --transport m3ua --subscribers 100 --rate 0.1 --duration 3600 --seed 51 --quiet --out " +
              pcap.string() + " --truth " + truth.string()) == 0);
  std::size_t frames = 0;
  const std::size_t split = quiet_split_point(pcap, frames);
  INFO("split after frame " << split << " of " << frames);
  REQUIRE(split > frames / 4);
  REQUIRE(split < frames * 3 / 4);
  split_pcap(pcap, split, dir / "a.pcap", dir / "b.pcap");
  const auto state = dir / "state";
  for (const auto* part : {"a", "b"}) {
    REQUIRE(run(probe_bin() + " replay " + (dir / (std::string(part) + ".pcap")).string() + " --no-summary " + home +
                " --state " + state.string() + " --threads 2 --events " +
                (dir / (std::string(part) + ".jsonl")).string()) == 0);
  }
  REQUIRE(fs::exists(state / "subscribers.txt"));
  REQUIRE(run("cat " + (dir / "a.jsonl").string() + " " + (dir / "b.jsonl").string() + " > " +
              (dir / "ab.jsonl").string()) == 0);
  require_equal(dir / "ab.jsonl", truth, 300);
  // Without the state the second half alone differs (roaming_in, prev_*, TMSI resolution):
  // the state really carried something.
  REQUIRE(run(probe_bin() + " replay " + (dir / "b.pcap").string() + " --no-summary " + home + " --events " +
              (dir / "b-cold.jsonl").string()) == 0);
  REQUIRE(run("cat " + (dir / "a.jsonl").string() + " " + (dir / "b-cold.jsonl").string() + " > " +
              (dir / "ab-cold.jsonl").string()) == 0);
  CHECK(compare(dir / "ab-cold.jsonl", truth).differing > 0);
  // Several files on one command line are merged in time order (given here in reverse order,
  // the second one gzip-compressed): one replay of both equals the truth.
  REQUIRE(run("gzip -c " + (dir / "b.pcap").string() + " > " + (dir / "b.pcap.gz").string()) == 0);
  REQUIRE(run(probe_bin() + " replay " + (dir / "b.pcap.gz").string() + " " + (dir / "a.pcap").string() +
              " --no-summary " + home + " --events " + (dir / "merged.jsonl").string()) == 0);
  require_equal(dir / "merged.jsonl", truth, 300);
  fs::remove_all(dir);
}

TEST_CASE("dpdk with a net_pcap vdev gives the same events as replay of the same file", "[e2e][dpdk]") {
  const auto dir = work_dir("dpdk");
  const auto pcap = dir / "capture.pcap";
  const auto truth = dir / "truth.jsonl";
  REQUIRE(run(synth() + " --transport m3ua --subscribers 200 --duration 60 --seed 61 --packets 6000 --quiet --out " +
              pcap.string() + " --truth " + truth.string()) == 0);
  REQUIRE(run(probe_bin() + " replay " + pcap.string() + " --no-summary " + home + " --events " +
              (dir / "replay.jsonl").string()) == 0);
  const int rc =
      run(probe_bin() + " dpdk --no-huge --no-pci -m 256 --log-level=1 --file-prefix=bssap-e2e-" +
          std::to_string(::getpid()) + " --vdev=net_pcap0,rx_pcap=" + pcap.string() + " -- --no-summary " + home +
          " --idle-exit 1 --events " + (dir / "dpdk.jsonl").string() + " 2>" + (dir / "dpdk.err").string());
  if (rc != 0) {
    std::ifstream err(dir / "dpdk.err");
    std::stringstream s;
    s << err.rdbuf();
    FAIL("bssap-probe dpdk failed: " << s.str());
  }
  require_equal(dir / "dpdk.jsonl", dir / "replay.jsonl", 300);
  require_equal(dir / "dpdk.jsonl", truth, 300);
  fs::remove_all(dir);
}

namespace {
// Splits an Ethernet/IPv4 capture in two by association, as symmetric RSS would spread it over
// two RX queues: frames to or from `address` (network order) go to `a`, the others to `b`.
void split_by_address(const fs::path& in, const std::array<std::uint8_t, 4>& address, const fs::path& a,
                      const fs::path& b) {
  split_pcap(in, a, b, [&address](std::size_t, std::span<const u_char> f) {
    const bool ipv4 = f.size() >= 34 && f[12] == 0x08 && f[13] == 0x00;
    return ipv4 &&
           (std::memcmp(f.data() + 26, address.data(), 4) == 0 || std::memcmp(f.data() + 30, address.data(), 4) == 0);
  });
}
// Runs `bssap-probe dpdk` with DIR/a.pcap and DIR/b.pcap as the two RX queues of one net_pcap
// vdev, an lcore each (main + two, on the CPUs there are), events to DIR/dpdk.jsonl; returns its
// stderr (the summary). A failed run fails the test with that stderr.
std::string run_dpdk_on_two_queues(const fs::path& dir, const std::string& file_prefix) {
  const std::string lcores = std::thread::hardware_concurrency() >= 2 ? "0@0,1@1,2@1" : "0@0,1@0,2@0";
  const int rc = run(probe_bin() + " dpdk --no-huge --no-pci -m 256 --log-level=1 --lcores=" + lcores +
                     " --file-prefix=" + file_prefix + "-" + std::to_string(::getpid()) + " --vdev=net_pcap0,rx_pcap=" +
                     (dir / "a.pcap").string() + ",rx_pcap=" + (dir / "b.pcap").string() + " -- " + home +
                     " --idle-exit 1 --events " + (dir / "dpdk.jsonl").string() + " 2>" + (dir / "dpdk.err").string());
  std::ifstream err_in(dir / "dpdk.err");
  std::stringstream err;
  err << err_in.rdbuf();
  if (rc != 0) FAIL("bssap-probe dpdk failed: " << err.str());
  return err.str();
}
}  // namespace

TEST_CASE("dpdk with a net_pcap vdev gives the truth on Iu-CS over SUA and over M3UA", "[e2e][dpdk][iucs]") {
  const auto dir = work_dir("dpdk-iucs");
  for (const std::string transport : {"sua", "m3ua"}) {
    INFO(transport);
    const auto pcap = dir / "capture.pcap";
    const auto truth = dir / "truth.jsonl";
    REQUIRE(run(synth() + " --interface iucs --transport " + transport +
                " --subscribers 1000 --duration 300 --seed 63 --packets 15000 --associations 2 --multihome --quiet "
                "--out " +
                pcap.string() + " --truth " + truth.string()) == 0);
    const int rc =
        run(probe_bin() + " dpdk --no-huge --no-pci -m 256 --log-level=1 --file-prefix=bssap-e2e-iu-" +
            std::to_string(::getpid()) + " --vdev=net_pcap0,rx_pcap=" + pcap.string() + " -- --no-summary " + home +
            " --idle-exit 1 --events " + (dir / "dpdk.jsonl").string() + " 2>" + (dir / "dpdk.err").string());
    if (rc != 0) {
      std::ifstream err(dir / "dpdk.err");
      std::stringstream s;
      s << err.rdbuf();
      FAIL("bssap-probe dpdk failed: " << s.str());
    }
    require_equal(dir / "dpdk.jsonl", truth, 300);
  }
  fs::remove_all(dir);
}

TEST_CASE("dpdk with one lcore per RX queue (two net_pcap files, one per association group) merges to replay's events",
          "[e2e][dpdk]") {
  // Each rx_pcap file is one RX queue of the vdev; with a worker lcore per queue, each lcore
  // decodes its queue and the main lcore merges by capture time. The association split is what
  // symmetric RSS gives a real NIC: connections never cross queues.
  const auto dir = work_dir("dpdk2");
  const auto pcap = dir / "capture.pcap";
  const auto truth = dir / "truth.jsonl";
  REQUIRE(run(synth() + " --transport m3ua --subscribers 1000 --duration 120 --seed 67 --packets 40000 --quiet --out " +
              pcap.string() + " --truth " + truth.string()) == 0);
  split_by_address(pcap, {10, 92, 1, 1}, dir / "a.pcap", dir / "b.pcap");
  REQUIRE(fs::file_size(dir / "a.pcap") > 24);
  REQUIRE(fs::file_size(dir / "b.pcap") > 24);
  REQUIRE(run(probe_bin() + " replay " + pcap.string() + " --no-summary " + home + " --events " +
              (dir / "replay.jsonl").string()) == 0);
  const std::string err = run_dpdk_on_two_queues(dir, "bssap-e2e2");
  // The summary shows the shape: two lcores, nothing dropped.
  CHECK(err.find("rx_lcores                            2") != std::string::npos);
  CHECK(err.find("queue_drops                          0") != std::string::npos);
  require_equal(dir / "dpdk.jsonl", dir / "replay.jsonl", 300);
  require_equal(dir / "dpdk.jsonl", truth, 300);
  fs::remove_all(dir);
}

TEST_CASE("dpdk with one lcore per RX queue, the associations of one linkset on different queues, gives the truth",
          "[e2e][dpdk][linkset]") {
  // RSS spreads IP flows, not SS7 relations: here each BSC's second association (BSC port 2906)
  // reaches the second queue, so a connection's CR and CC often arrive on different lcores. The
  // connections are tracked after the merge and every event is still there.
  const auto dir = work_dir("dpdk-linkset");
  const auto pcap = dir / "capture.pcap";
  const auto truth = dir / "truth.jsonl";
  REQUIRE(run(synth() +
              " --transport m3ua --subscribers 1000 --duration 120 --seed 68 --packets 40000 "
              "--associations 2 --quiet --out " +
              pcap.string() + " --truth " + truth.string()) == 0);
  split_pcap(pcap, dir / "a.pcap", dir / "b.pcap", [](std::size_t, std::span<const u_char> f) {
    const bool sctp = f.size() >= 38 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 132;
    auto port = [&f](std::size_t at) { return static_cast<unsigned>(f[at] << 8 | f[at + 1]); };
    return sctp && port(34) != 2906 && port(36) != 2906;
  });
  REQUIRE(fs::file_size(dir / "a.pcap") > 24);
  REQUIRE(fs::file_size(dir / "b.pcap") > 24);
  const std::string err = run_dpdk_on_two_queues(dir, "bssap-e2e3");
  CHECK(err.find("rx_lcores                            2") != std::string::npos);
  CHECK(err.find("unknown_connection") == std::string::npos);
  require_equal(dir / "dpdk.jsonl", truth, 300);
  fs::remove_all(dir);
}

TEST_CASE("live capture on a veth pair in a network namespace fed by tcpreplay gives the replay's events",
          "[e2e][live]") {
  if (::geteuid() != 0) {
    BSSAP_SKIP_OR_FAIL("live capture test needs root (network namespaces, veth)");
    return;
  }
  if (run("command -v tcpreplay >/dev/null && command -v ip >/dev/null") != 0) {
    BSSAP_SKIP_OR_FAIL("tcpreplay or iproute2 missing");
    return;
  }
  const std::string ns = "bssap-e2e-" + std::to_string(::getpid());
  if (run("ip netns add " + ns + " 2>/dev/null") != 0) {
    BSSAP_SKIP_OR_FAIL("cannot create a network namespace here");
    return;
  }
  const auto dir = work_dir("live");
  const auto pcap = dir / "capture.pcap";
  const auto truth = dir / "truth.jsonl";
  const std::string in_ns = "ip netns exec " + ns + " ";
  REQUIRE(run(in_ns + "ip link add va type veth peer name vb") == 0);
  REQUIRE(run(in_ns + "ip link set va up && " + in_ns + "ip link set vb up") == 0);
  REQUIRE(run(synth() + " --transport m3ua --subscribers 200 --duration 60 --seed 71 --packets 5000 --quiet --out " +
              pcap.string() + " --truth " + truth.string()) == 0);
  REQUIRE(run(probe_bin() + " replay " + pcap.string() + " --no-summary " + home + " --events " +
              (dir / "replay.jsonl").string()) == 0);
  const auto pidfile = dir / "probe.pid";
  REQUIRE(run(in_ns + probe_bin() + " live -i vb --no-summary " + home + " --state " + (dir / "state").string() +
              " --events " + (dir / "live.jsonl").string() + " 2>" + (dir / "live.err").string() + " & echo $! > " +
              pidfile.string()) == 0);
  ::sleep(2);  // let the capture start (pcap_activate) before sending
  const int sent = run(in_ns + "tcpreplay -q --pps 2000 -i va " + pcap.string() + " >/dev/null 2>&1");
  ::sleep(1);
  run("kill -INT $(cat " + pidfile.string() + ")");
  for (int i = 0; i < 50 && run("kill -0 $(cat " + pidfile.string() + ") 2>/dev/null") == 0; ++i) ::usleep(100000);
  run("ip netns del " + ns);
  REQUIRE(sent == 0);
  // SIGINT drained the queues, flushed the log (compared below) and wrote the snapshot.
  CHECK(fs::exists(dir / "state" / "subscribers.txt"));
  require_equal(dir / "live.jsonl", dir / "replay.jsonl", 200, true);
  fs::remove_all(dir);
}

TEST_CASE("real third-party captures run cleanly and report statistics", "[e2e][real]") {
  const auto real = test::real_pcaps_dir();
  if (!fs::exists(real)) BSSAP_SKIP_OR_FAIL(real.string() << " not present");
  const auto dir = work_dir("real");
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(real)) {
    const auto ext = entry.path().extension().string();
    if (ext != ".pcap" && ext != ".cap" && ext != ".pcapng") continue;
    ++files;
    const auto err = dir / "summary.txt";
    INFO(entry.path().string());
    CHECK(run(probe_bin() + " replay '" + entry.path().string() + "' --threads 2 --events " +
              (dir / "e.jsonl").string() + " 2>" + err.string()) == 0);
    std::ifstream in(err);
    std::stringstream s;
    s << in.rdbuf();
    CHECK(s.str().find("== bssap-probe summary") != std::string::npos);
    CHECK(s.str().find("sccp_messages") != std::string::npos);
    if (entry.path().filename().string().find("MobileOriginatingCall") == std::string::npos) continue;
    // Iu-CS: DTAP inside RANAP NAS-PDUs is correlated too. The MO call's IMSI and called
    // number must be what tshark shows.
    const auto shark = dir / "tshark.txt";
    if (run("tshark -r '" + entry.path().string() +
            "' -Y gsm_a.dtap.cld_party_bcd_num -T fields -e gsm_a.dtap.cld_party_bcd_num > " + shark.string() +
            " 2>/dev/null && tshark -r '" + entry.path().string() + "' -Y e212.imsi -T fields -e e212.imsi >> " +
            shark.string() + " 2>/dev/null") != 0) {
      BSSAP_SKIP_OR_FAIL("tshark not available: MO call fields not cross-checked");
    }
    std::ifstream sh(shark);
    std::string called, imsi;
    std::getline(sh, called);
    std::getline(sh, imsi);
    REQUIRE_FALSE(called.empty());
    REQUIRE_FALSE(imsi.empty());
    std::ifstream ev(dir / "e.jsonl");
    std::string line;
    bool found = false;
    while (std::getline(ev, line)) {
      const auto e = parse_json_line(line);
      REQUIRE(e);
      if (e->type != event_type::call_mo) continue;
      found = true;
      CHECK(e->peer.view() == called);
      CHECK(e->imsi.view() == imsi);
    }
    CHECK(found);
  }
  CHECK(files > 0);
  fs::remove_all(dir);
}

namespace {
// Copies `in` to `out`, zeroing the SCTP checksum (RFC 4960 3.1) of every IPv4/IPv6 SCTP packet
// sent from the source address of the capture's first SCTP packet: what a capture taken on that
// host with checksum offload shows (its outgoing packets leave the stack before the NIC computes
// the CRC32c). Returns how many packets were changed.
std::size_t zero_one_side_sctp_checksums(const fs::path& in, const fs::path& out) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(in.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  REQUIRE(p != nullptr);
  const auto lt = static_cast<dec::linktype>(pcap_datalink(p));
  pcap_dumper_t* d = pcap_dump_open(p, out.c_str());
  REQUIRE(d != nullptr);
  std::vector<u_char> side;  // the offloading host's address
  std::size_t changed = 0;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(p, &h, &data) == 1) {
    std::vector<u_char> f(data, data + h->caplen);
    const auto link = dec::decode_link(lt, std::as_bytes(std::span(f)));
    if (link && (link->next == dec::network_proto::ipv4 || link->next == dec::network_proto::ipv6)) {
      const auto ip = static_cast<std::size_t>(reinterpret_cast<const u_char*>(link->payload.data()) - f.data());
      const bool v4 = link->next == dec::network_proto::ipv4;
      const std::size_t header = v4 ? (f[ip] & 0x0F) * 4u : 40u;
      const std::size_t src = ip + (v4 ? 12 : 8), len = v4 ? 4 : 16;
      const bool sctp = f[ip + (v4 ? 9 : 6)] == 132 && f.size() >= ip + header + 12;
      if (sctp) {
        std::vector<u_char> from(f.begin() + static_cast<long>(src), f.begin() + static_cast<long>(src + len));
        if (side.empty()) side = from;
        if (from == side) {
          std::memset(&f[ip + header + 8], 0, 4);
          ++changed;
        }
      }
    }
    pcap_dump(reinterpret_cast<u_char*>(d), h, f.data());
  }
  pcap_dump_close(d);
  pcap_close(p);
  return changed;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// "  section    name      value" of the summary -> value (npos when absent).
std::size_t summary_value(const std::string& summary, const std::string& section, const std::string& name) {
  std::istringstream in(summary);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string sec, rest;
    l >> sec;
    if (sec != section) continue;
    std::getline(l, rest);
    const auto last = rest.find_last_of(' ');
    if (last == std::string::npos) continue;
    std::string key = rest.substr(0, last);
    key.erase(0, key.find_first_not_of(' '));
    key.erase(key.find_last_not_of(' ') + 1);
    if (key == name) return std::stoul(rest.substr(last + 1));
  }
  return std::string::npos;
}
}  // namespace

TEST_CASE("real captures give exactly the committed events, and only the explained unknown connections",
          "[e2e][real]") {
  // tests/probe/real_events/README.md: how each file's events were derived from tshark's decode,
  // and the frames of every SCCP message on an unknown connection.
  const auto real = test::real_pcaps_dir();
  if (!fs::exists(real)) BSSAP_SKIP_OR_FAIL(real.string() << " not present");
  const std::map<std::string, std::size_t> unknown_connections{
      {"osmo-iuh_3GDT_example__iups-m3ua", 4},
      {"osmo-iuh_IuPS_PS_call_flow__iups-m3ua", 0},
      {"osmo-iuh_UPP_RANAP__iucs-m3ua_gan-tcp", 25},
      {"osmo-iuh_ranap-linkbit_ETH__iucs-m3ua", 10},
      {"osmo-iuh_MobileOriginatingCall_AMR__iucs-m3ua", 0},
      {"osmo-iuh_MobileTerminatingCall_AMR__iucs-m3ua", 0},
  };
  const auto dir = work_dir("real-events");
  for (const auto& [stem, unknown] : unknown_connections) {
    fs::path capture = real / (stem + ".pcap");
    if (!fs::exists(capture)) capture = real / (stem + ".cap");
    if (!fs::exists(capture)) BSSAP_SKIP_OR_FAIL(capture.string() << " not present");
    const auto expected = read_text(test::source_dir() / "tests" / "probe" / "real_events" / (stem + ".jsonl"));
    for (const int threads : {1, 2}) {
      INFO(stem << " threads=" << threads);
      const auto events = dir / "e.jsonl";
      const auto err = dir / "summary.txt";
      REQUIRE(run(probe_bin() + " replay '" + capture.string() + "' --threads " + std::to_string(threads) +
                  " --events " + events.string() + " 2>" + err.string()) == 0);
      CHECK(read_text(events) == expected);
      const std::size_t counted = summary_value(read_text(err), "sccp", "unknown_connection");
      CHECK((counted == std::string::npos ? 0 : counted) == unknown);
    }
  }
  fs::remove_all(dir);
}

namespace {
// ---- M3UA + SCCP -> SUA (RFC 3868), to replay a real capture as if its links ran SUA ----
void put16(std::vector<u_char>& v, unsigned x) {
  v.push_back(static_cast<u_char>(x >> 8));
  v.push_back(static_cast<u_char>(x));
}
void put32(std::vector<u_char>& v, std::uint32_t x) {
  for (int i = 3; i >= 0; --i) v.push_back(static_cast<u_char>(x >> (8 * i)));
}
void sua_param(std::vector<u_char>& v, unsigned tag, std::span<const u_char> value) {
  put16(v, tag);
  put16(v, static_cast<unsigned>(4 + value.size()));
  v.insert(v.end(), value.begin(), value.end());
  while (v.size() % 4 != 0) v.push_back(0);
}
void sua_u32(std::vector<u_char>& v, unsigned tag, std::uint32_t x) {
  std::vector<u_char> b;
  put32(b, x);
  sua_param(v, tag, b);
}
// 3.10.2: routing on SSN + PC (2), then the SSN and the point code.
void sua_address(std::vector<u_char>& v, unsigned tag, const dec::sccp_address& a, std::uint32_t pc) {
  std::vector<u_char> b;
  put16(b, 2);
  put16(b, 0x0003);  // address indicator: SSN and PC present
  std::vector<u_char> x;
  put32(x, a.has_ssn ? a.ssn : 0);
  sua_param(b, 0x8003, x);
  x.clear();
  put32(x, pc);
  sua_param(b, 0x8002, x);
  sua_param(v, tag, b);
}
// The SUA message for one SCCP message (empty when there is none the test needs).
std::vector<u_char> sua_of(std::span<const std::byte> sccp, std::uint32_t opc, std::uint32_t dpc) {
  const auto m = dec::decode_sccp(sccp);
  if (!m) return {};
  std::uint8_t cls = 8, type = 0;
  std::vector<u_char> p;
  auto data = [&] {
    if (m->has_data) sua_param(p, 0x010B, {reinterpret_cast<const u_char*>(m->data.data()), m->data.size()});
  };
  switch (m->type) {
    case dec::sccp_msg_type::cr:
      type = 1;
      sua_u32(p, 0x0115, 2);
      sua_u32(p, 0x0104, m->slr);
      sua_address(p, 0x0103, m->called, dpc);
      data();
      break;
    case dec::sccp_msg_type::cc:
      type = 2;
      sua_u32(p, 0x0115, 2);
      sua_u32(p, 0x0105, m->dlr);
      sua_u32(p, 0x0104, m->slr);
      data();
      break;
    case dec::sccp_msg_type::cref:
      type = 3;
      sua_u32(p, 0x0105, m->dlr);
      sua_u32(p, 0x0106, 0x0300u | m->cause);
      break;
    case dec::sccp_msg_type::rlsd:
      type = 4;
      sua_u32(p, 0x0105, m->dlr);
      sua_u32(p, 0x0104, m->slr);
      sua_u32(p, 0x0106, 0x0300u | m->cause);
      data();
      break;
    case dec::sccp_msg_type::rlc:
      type = 5;
      sua_u32(p, 0x0105, m->dlr);
      sua_u32(p, 0x0104, m->slr);
      break;
    case dec::sccp_msg_type::dt1:
      type = 8;
      sua_u32(p, 0x0105, m->dlr);
      data();
      break;
    case dec::sccp_msg_type::udt:
      cls = 7;
      type = 1;
      sua_u32(p, 0x0115, 0);
      sua_address(p, 0x0102, m->calling, opc);
      sua_address(p, 0x0103, m->called, dpc);
      data();
      break;
    default:
      return {};
  }
  std::vector<u_char> out{1, 0, cls, type};
  put32(out, static_cast<std::uint32_t>(8 + p.size()));
  out.insert(out.end(), p.begin(), p.end());
  return out;
}

// The RUA-PDU (TS 25.468) for one SCCP message of an Iu-CS connection, as a home NodeB's
// gateway would carry it: CR -> Connect, DT1 -> DirectTransfer, RLSD -> Disconnect, UDT ->
// ConnectionlessTransfer; CC and RLC have no RUA counterpart (empty). The Context-ID is the
// CR's source reference; `msc_to_rnc` maps the MSC's references (learned from CCs) back to it.
std::vector<u_char> rua_of(std::span<const std::byte> sccp, std::map<std::uint32_t, std::uint32_t>& msc_to_rnc) {
  const auto m = dec::decode_sccp(sccp);
  if (!m) return {};
  auto ie = [](std::vector<u_char>& v, unsigned id, u_char criticality, const std::vector<u_char>& value) {
    put16(v, id);
    v.push_back(criticality);
    if (value.size() >= 128) {
      v.push_back(static_cast<u_char>(0x80 | value.size() >> 8));
      v.push_back(static_cast<u_char>(value.size()));
    } else {
      v.push_back(static_cast<u_char>(value.size()));
    }
    v.insert(v.end(), value.begin(), value.end());
  };
  auto octets = [](std::span<const std::byte> b) {
    std::vector<u_char> v;
    if (b.size() >= 128) {
      v.push_back(static_cast<u_char>(0x80 | b.size() >> 8));
      v.push_back(static_cast<u_char>(b.size()));
    } else {
      v.push_back(static_cast<u_char>(b.size()));
    }
    for (const auto x : b) v.push_back(static_cast<u_char>(x));
    return v;
  };
  std::uint8_t procedure = 0;
  std::uint32_t context = 0;
  bool with_context = true;
  switch (m->type) {
    case dec::sccp_msg_type::cr:
      procedure = 1;
      context = m->slr;
      break;
    case dec::sccp_msg_type::cc:
      msc_to_rnc[m->slr] = m->dlr;
      return {};
    case dec::sccp_msg_type::dt1:
      procedure = 2;
      context = msc_to_rnc.count(m->dlr) ? msc_to_rnc[m->dlr] : m->dlr;
      break;
    case dec::sccp_msg_type::rlsd:
      procedure = 3;
      context = msc_to_rnc.count(m->dlr) ? msc_to_rnc[m->dlr] : m->dlr;
      break;
    case dec::sccp_msg_type::udt:
      procedure = 4;
      with_context = false;
      break;
    default:
      return {};
  }
  std::vector<u_char> ies;
  std::uint16_t count = 0;
  ie(ies, 7, 0x00, {0x00});  // CN domain: CS
  ++count;
  if (with_context) {
    ie(ies, 3, 0x00,
       {static_cast<u_char>(context >> 16), static_cast<u_char>(context >> 8), static_cast<u_char>(context)});
    ++count;
  }
  if (m->has_data) {
    ie(ies, 4, 0x00, octets(m->data));
    ++count;
  }
  if (procedure == 3) {
    ie(ies, 1, 0x40, {0x00, 0x00});  // Cause: radio network, normal
    ++count;
  }
  std::vector<u_char> value{0x00};
  put16(value, count);
  value.insert(value.end(), ies.begin(), ies.end());
  std::vector<u_char> pdu{0x00, procedure, 0x00};
  if (value.size() >= 128) {
    pdu.push_back(static_cast<u_char>(0x80 | value.size() >> 8));
    pdu.push_back(static_cast<u_char>(value.size()));
  } else {
    pdu.push_back(static_cast<u_char>(value.size()));
  }
  pdu.insert(pdu.end(), value.begin(), value.end());
  return pdu;
}

enum class iu_transport { sua, rua };

// Copies an Ethernet/IPv4 capture, replacing every SCTP DATA chunk that holds one M3UA DATA
// message with SCCP by a chunk holding the SUA message (PPID 4) or RUA-PDU (PPID 19) for it, or
// by nothing where RUA has no counterpart (lengths, SCTP CRC32c and the IPv4 header checksum
// recomputed; a packet left without chunks is dropped). Returns how many chunks were converted.
std::size_t m3ua_to(iu_transport to, const fs::path& in, const fs::path& out) {
  std::map<std::uint32_t, std::uint32_t> msc_to_rnc;
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(in.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  REQUIRE(p != nullptr);
  pcap_dumper_t* d = pcap_dump_open(p, out.c_str());
  REQUIRE(d != nullptr);
  std::size_t converted = 0;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(p, &h, &data) == 1) {
    std::vector<u_char> f(data, data + h->caplen);
    const bool sctp = f.size() >= 34 + 12 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 132;
    if (!sctp) {
      pcap_dump(reinterpret_cast<u_char*>(d), h, f.data());
      continue;
    }
    const std::size_t ip = 14, ihl = (f[ip] & 0x0F) * 4u, sh = ip + ihl;
    std::vector<u_char> chunks;
    for (std::size_t at = sh + 12; at + 4 <= f.size();) {
      const std::size_t len = static_cast<std::size_t>(f[at + 2] << 8 | f[at + 3]);
      if (len < 4 || at + len > f.size()) break;
      const std::size_t padded = std::min((len + 3) & ~std::size_t{3}, f.size() - at);
      std::vector<u_char> chunk(f.begin() + static_cast<long>(at), f.begin() + static_cast<long>(at + padded));
      const bool m3ua_data = f[at] == 0 && len >= 16 + 24 && (f[at + 1] & 0x03) == 0x03 && f[at + 15] == 3 &&
                             f[at + 16 + 2] == 1 && f[at + 16 + 3] == 1;
      if (m3ua_data) {
        std::size_t consumed = 0;
        const auto m3 = dec::decode_m3ua({reinterpret_cast<const std::byte*>(&f[at + 16]), len - 16}, consumed);
        if (m3 && m3->is_data && m3->data.si == 3) {
          const auto msg = to == iu_transport::sua ? sua_of(m3->data.user_data, m3->data.opc, m3->data.dpc)
                                                   : rua_of(m3->data.user_data, msc_to_rnc);
          if (!msg.empty()) {
            chunk.assign(f.begin() + static_cast<long>(at), f.begin() + static_cast<long>(at + 16));
            chunk.insert(chunk.end(), msg.begin(), msg.end());
            chunk[2] = static_cast<u_char>((16 + msg.size()) >> 8);
            chunk[3] = static_cast<u_char>(16 + msg.size());
            chunk[15] = to == iu_transport::sua ? 4 : 19;  // PPID 4: SUA; 19: RUA
            while (chunk.size() % 4 != 0) chunk.push_back(0);
            ++converted;
          } else if (to == iu_transport::rua) {
            chunk.clear();  // CC, RLC: RUA has none
          }
        }
      }
      chunks.insert(chunks.end(), chunk.begin(), chunk.end());
      at += padded;
    }
    if (chunks.empty()) continue;
    f.resize(sh + 12);
    f.insert(f.end(), chunks.begin(), chunks.end());
    std::memset(&f[sh + 8], 0, 4);
    const std::uint32_t crc = dec::crc32c({reinterpret_cast<const std::byte*>(&f[sh]), f.size() - sh});
    for (int i = 0; i < 4; ++i) f[sh + 8 + static_cast<std::size_t>(i)] = static_cast<u_char>(crc >> (8 * i));
    const std::size_t total = f.size() - ip;
    f[ip + 2] = static_cast<u_char>(total >> 8);
    f[ip + 3] = static_cast<u_char>(total);
    f[ip + 10] = f[ip + 11] = 0;
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < ihl; i += 2) sum += static_cast<std::uint32_t>(f[ip + i] << 8 | f[ip + i + 1]);
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    f[ip + 10] = static_cast<u_char>(~sum >> 8);
    f[ip + 11] = static_cast<u_char>(~sum);
    pcap_pkthdr nh = *h;
    nh.caplen = nh.len = static_cast<bpf_u_int32>(f.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &nh, f.data());
  }
  pcap_dump_close(d);
  pcap_close(p);
  return converted;
}
// Replays a rewritten real capture with 1 and 2 threads: the events committed for the original
// (tests/probe/real_events/STEM.jsonl), at least `min_units` units of the new transport, no M3UA
// left and no unknown connection beyond the original's.
void replay_gives_committed_events(const fs::path& pcap, const std::string& stem, const fs::path& dir,
                                   const std::string& counter, std::size_t min_units) {
  const std::size_t unknown = stem.find("UPP_RANAP") != std::string::npos ? 25 : 0;  // real_events/README.md
  const auto expected = read_text(test::source_dir() / "tests" / "probe" / "real_events" / (stem + ".jsonl"));
  for (const int threads : {1, 2}) {
    INFO("threads=" << threads);
    REQUIRE(run(probe_bin() + " replay " + pcap.string() + " --threads " + std::to_string(threads) + " --events " +
                (dir / "e.jsonl").string() + " 2>" + (dir / "s.txt").string()) == 0);
    const auto summary = read_text(dir / "s.txt");
    const std::size_t units = summary_value(summary, "stack", counter);
    CHECK((units != std::string::npos && units >= min_units));
    CHECK(summary_value(summary, "stack", "m3ua_data") == std::string::npos);
    const std::size_t counted = summary_value(summary, "sccp", "unknown_connection");
    CHECK((counted == std::string::npos ? 0 : counted) == unknown);
    CHECK(read_text(dir / "e.jsonl") == expected);
  }
}
}  // namespace

TEST_CASE("SUA: the real Iu-CS calls carried over SUA instead of M3UA + SCCP give the same events",
          "[e2e][real][sua]") {
  // RFC 3868 carries the SCCP procedures over SCTP directly: each real capture's M3UA/SCCP
  // messages are rewritten as SUA CORE/COAK/CODT/RELRE/RELCO/CLDT (PPID 4) and must give the
  // events committed for the original (tests/probe/real_events/).
  const auto real = test::real_pcaps_dir();
  if (!fs::exists(real)) BSSAP_SKIP_OR_FAIL(real.string() << " not present");
  const auto dir = work_dir("sua");
  for (const std::string stem :
       {"osmo-iuh_MobileOriginatingCall_AMR__iucs-m3ua", "osmo-iuh_MobileTerminatingCall_AMR__iucs-m3ua",
        "osmo-iuh_UPP_RANAP__iucs-m3ua_gan-tcp"}) {
    INFO(stem);
    fs::path capture = real / (stem + ".cap");
    if (!fs::exists(capture)) capture = real / (stem + ".pcap");
    if (!fs::exists(capture)) BSSAP_SKIP_OR_FAIL(capture.string() << " not present");
    const auto sua = dir / "sua.pcap";
    CHECK(m3ua_to(iu_transport::sua, capture, sua) >= 15);
    replay_gives_committed_events(sua, stem, dir, "sua_messages (SCCP over SUA)", 15);
  }
  fs::remove_all(dir);
}

TEST_CASE("RUA: the real Iu-CS calls carried over Iuh (RUA) instead of M3UA + SCCP give the same events",
          "[e2e][real][rua]") {
  // TS 25.468: a home NodeB's gateway carries the same RANAP per UE Context-ID. Each real call is
  // rewritten as RUA Connect / DirectTransfer / Disconnect (PPID 19) and must give the events
  // committed for the original. (UPP_RANAP's connections span multi-homed paths, which an Iuh
  // association does not: it is left out here.)
  const auto real = test::real_pcaps_dir();
  if (!fs::exists(real)) BSSAP_SKIP_OR_FAIL(real.string() << " not present");
  const auto dir = work_dir("rua");
  for (const std::string stem :
       {"osmo-iuh_MobileOriginatingCall_AMR__iucs-m3ua", "osmo-iuh_MobileTerminatingCall_AMR__iucs-m3ua"}) {
    INFO(stem);
    const fs::path capture = real / (stem + ".cap");
    if (!fs::exists(capture)) BSSAP_SKIP_OR_FAIL(capture.string() << " not present");
    const auto rua = dir / "rua.pcap";
    CHECK(m3ua_to(iu_transport::rua, capture, rua) >= 12);
    // tshark decodes the rewritten capture as RUA carrying RANAP, nothing malformed: the
    // rewriting is RUA as an independent dissector reads it.
    const auto decoded = dir / "rua-frames.txt", malformed = dir / "malformed.txt";
    if (run("tshark -r " + rua.string() + " -Y 'rua && ranap' -T fields -e frame.number > " + decoded.string() +
            " 2>/dev/null && tshark -r " + rua.string() + " -Y _ws.malformed -T fields -e frame.number > " +
            malformed.string() + " 2>/dev/null") != 0)
      BSSAP_SKIP_OR_FAIL("tshark not available: the RUA rewriting not cross-checked");
    auto lines = [](const fs::path& f) {
      std::ifstream in(f);
      std::string line;
      std::size_t n = 0;
      while (std::getline(in, line)) n += line.empty() ? 0 : 1;
      return n;
    };
    const std::size_t rua_frames = lines(decoded);
    CHECK(lines(malformed) == 0);
    CHECK(rua_frames >= 10);
    replay_gives_committed_events(rua, stem, dir, "rua_messages (Iuh)", 12);
  }
  fs::remove_all(dir);
}

TEST_CASE("a CR answered by CREF yields no event; the mobile's retry does (probe == truth == tshark)", "[e2e][cref]") {
  const auto dir = work_dir("cref");
  const auto pcap = dir / "capture.pcap";
  const auto truth = dir / "truth.jsonl";
  // MTP3 without retransmissions: one SCCP message per frame, so tshark's frames count messages.
  REQUIRE(run(synth() + " --transport mtp3 --no-retransmit --mix cref=300 --subscribers 400 --duration 300 --seed 51 " +
              "--quiet --out " + pcap.string() + " --truth " + truth.string()) == 0);
  const auto events = dir / "events.jsonl";
  const auto summary = dir / "summary.txt";
  REQUIRE(run(probe_bin() + " replay " + pcap.string() + " " + home + " --events " + events.string() + " 2>" +
              summary.string()) == 0);
  require_equal(events, truth, 400);
  const auto text = read_text(summary);
  const std::size_t refused = summary_value(text, "sccp", "connections_refused (CREF)");
  REQUIRE(refused != std::string::npos);
  CHECK(refused > 20);
  CHECK(summary_value(text, "correl", "refused_records (CR answered by CREF)") == refused);
  std::size_t lu_events = 0;
  {
    std::ifstream in(truth);
    std::string line;
    while (std::getline(in, line)) {
      const auto e = parse_json_line(line);
      REQUIRE(e);
      lu_events += e->type == event_type::power_on || e->type == event_type::location_update ||
                   e->type == event_type::periodic_update;
    }
  }
  // Independently of both models: tshark's CREFs, and its CRs carrying a Location Updating Request.
  const auto count = [&](const std::string& filter) -> std::size_t {
    const auto out = dir / "tshark.txt";
    if (run("tshark -r " + pcap.string() + " -Y '" + filter + "' -T fields -e frame.number > " + out.string() +
            " 2>/dev/null") != 0)
      return std::string::npos;
    std::ifstream in(out);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) n += !line.empty();
    return n;
  };
  const std::size_t crefs = count("sccp.message_type == 0x03");
  if (crefs == std::string::npos) BSSAP_SKIP_OR_FAIL("tshark not available: CREF counts not cross-checked");
  const std::size_t lu_crs = count("sccp.message_type == 0x01 && gsm_a.dtap.msg_mm_type == 0x08");
  CHECK(crefs == refused);
  CHECK(lu_events == lu_crs - crefs);
  fs::remove_all(dir);
}

TEST_CASE("SCTP packets with a wrong CRC32c (checksum offload) are decoded, counted and warned about",
          "[e2e][checksum]") {
  const auto dir = work_dir("checksum");
  const auto pcap = dir / "capture.pcap";
  const auto bad = dir / "offload.pcap";
  const auto truth = dir / "truth.jsonl";
  // Retransmissions on (the default): a corrupted copy and its retransmission, both corrupted.
  REQUIRE(run(synth() + " --transport m3ua --subscribers 300 --duration 120 --seed 41 --packets 8000 --quiet --out " +
              pcap.string() + " --truth " + truth.string()) == 0);
  const std::size_t corrupted = zero_one_side_sctp_checksums(pcap, bad);
  REQUIRE(corrupted > 500);
  for (const int threads : {1, 2}) {
    INFO("threads=" << threads);
    const auto events = dir / "events.jsonl";
    const auto summary = dir / "summary.txt";
    REQUIRE(run(probe_bin() + " replay " + bad.string() + " --threads " + std::to_string(threads) + " " + home +
                " --events " + events.string() + " 2>" + summary.string()) == 0);
    require_equal(events, truth, 400);
    const auto text = read_text(summary);
    CHECK(summary_value(text, "stack", "sctp_bad_checksum_decoded") == corrupted);
    CHECK(summary_value(text, "error", "sctp.bad_checksum") == std::string::npos);
    // The summary ends with one warning naming the likely cause and the option.
    REQUIRE(text.size() > 1);
    const auto last_line = text.substr(text.rfind('\n', text.size() - 2) + 1);
    CHECK(last_line.rfind("warning: " + std::to_string(corrupted) + " SCTP packets had a wrong CRC32c", 0) == 0);
    CHECK(last_line.find("checksum offload") != std::string::npos);
    CHECK(last_line.find("--strict-checksums") != std::string::npos);
    CHECK(text.find("warning") == text.rfind("warning"));
  }
  SECTION("--strict-checksums drops them, counted as errors, and the events are lost") {
    const auto events = dir / "strict.jsonl";
    const auto summary = dir / "strict.txt";
    REQUIRE(run(probe_bin() + " replay " + bad.string() + " --strict-checksums " + home + " --events " +
                events.string() + " 2>" + summary.string()) == 0);
    const auto text = read_text(summary);
    CHECK(summary_value(text, "error", "sctp.bad_checksum") == corrupted);
    CHECK(summary_value(text, "stack", "sctp_bad_checksum_decoded") == std::string::npos);
    CHECK(text.find("warning") == std::string::npos);
    const auto c = compare(events, truth);
    CHECK(c.differing > 0);
  }
  SECTION("a capture with good checksums has neither the counter nor the warning") {
    const auto summary = dir / "good.txt";
    REQUIRE(run(probe_bin() + " replay " + pcap.string() + " " + home + " --events " + (dir / "g.jsonl").string() +
                " 2>" + summary.string()) == 0);
    const auto text = read_text(summary);
    CHECK(summary_value(text, "stack", "sctp_bad_checksum_decoded") == std::string::npos);
    CHECK(text.find("warning") == std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("real Iu-CS captures: one side's checksums zeroed decode exactly as the original", "[e2e][real][checksum]") {
  const auto real = test::real_pcaps_dir();
  if (!fs::exists(real)) BSSAP_SKIP_OR_FAIL(real.string() << " not present");
  const auto dir = work_dir("real-checksum");
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(real)) {
    const auto ext = entry.path().extension().string();
    if (ext != ".pcap" && ext != ".cap") continue;
    INFO(entry.path().filename().string());
    const auto bad = dir / "offload.pcap";
    const std::size_t corrupted = zero_one_side_sctp_checksums(entry.path(), bad);
    if (corrupted == 0) continue;
    ++files;
    REQUIRE(run(probe_bin() + " replay '" + entry.path().string() + "' --events " + (dir / "a.jsonl").string() + " 2>" +
                (dir / "a.txt").string()) == 0);
    REQUIRE(run(probe_bin() + " replay " + bad.string() + " --events " + (dir / "b.jsonl").string() + " 2>" +
                (dir / "b.txt").string()) == 0);
    CHECK(read_text(dir / "a.jsonl") == read_text(dir / "b.jsonl"));
    const auto a = read_text(dir / "a.txt"), b = read_text(dir / "b.txt");
    CHECK(summary_value(b, "stack", "sctp_bad_checksum_decoded") == corrupted);
    for (const char* name : {"sccp_messages", "sctp_retransmissions_skipped"})
      CHECK(summary_value(a, "stack", name) == summary_value(b, "stack", name));
    CHECK(summary_value(a, "sccp", "ranap_nas_pdus (Iu-CS DTAP)") ==
          summary_value(b, "sccp", "ranap_nas_pdus (Iu-CS DTAP)"));
    REQUIRE(run(probe_bin() + " replay " + bad.string() + " --strict-checksums --events " + (dir / "c.jsonl").string() +
                " 2>" + (dir / "c.txt").string()) == 0);
    CHECK(summary_value(read_text(dir / "c.txt"), "error", "sctp.bad_checksum") == corrupted);
  }
  CHECK(files >= 5);
  fs::remove_all(dir);
}

TEST_CASE("every committed capture in pcaps/ replays to its truth with 1 and 2 threads", "[e2e]") {
  const auto dir_in = test::source_dir() / "pcaps";
  const auto sample = dir_in / "sample.pcap";
  if (!fs::exists(sample)) BSSAP_SKIP_OR_FAIL("pcaps/sample.pcap not committed");
  const auto dir = work_dir("pcaps");
  std::size_t captures = 0;
  for (const auto& entry : fs::directory_iterator(dir_in)) {
    const auto ext = entry.path().extension().string();
    if (ext != ".pcap" && ext != ".pcapng") continue;
    const auto truth = dir_in / (entry.path().stem().string() + ".truth.jsonl");
    if (!fs::exists(truth)) continue;
    ++captures;
    const bool pc24 = entry.path().filename().string().find("pc24") != std::string::npos;
    for (const int threads : {1, 2}) {
      INFO(entry.path().filename().string() << " threads=" << threads);
      const auto events = dir / "e.jsonl";
      REQUIRE(run(probe_bin() + " replay " + entry.path().string() + " --fast --no-summary --threads " +
                  std::to_string(threads) + (pc24 ? " --pc24 " : " ") + home + " --events " + events.string()) == 0);
      require_equal(events, truth, 100);
    }
  }
  CHECK(captures >= 2);
  fs::remove_all(dir);
}

namespace {
// Rewrites a classic pcap in the other byte order with nanosecond timestamps (magic a1b23c4d
// written big-endian), record by record, as another machine's capture tool would.
void write_swapped_nanosecond(const fs::path& in, const fs::path& out) {
  const std::string b = test::slurp(in);
  REQUIRE(b.size() >= 24);
  auto le32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24;
  };
  REQUIRE(le32(0) == 0xa1b2c3d4u);
  std::string o;
  auto be32 = [&](std::uint32_t v) {
    for (int sh = 24; sh >= 0; sh -= 8) o.push_back(static_cast<char>((v >> sh) & 0xFF));
  };
  auto be16 = [&](std::uint32_t v) {
    o.push_back(static_cast<char>((v >> 8) & 0xFF));
    o.push_back(static_cast<char>(v & 0xFF));
  };
  be32(0xa1b23c4du);
  be16(le32(4) & 0xFFFF);
  be16(le32(4) >> 16);
  be32(le32(8));
  be32(le32(12));
  be32(le32(16));
  be32(le32(20));
  for (std::size_t at = 24; at + 16 <= b.size();) {
    const std::uint32_t caplen = le32(at + 8);
    be32(le32(at));
    be32(le32(at + 4) * 1000 + 999);  // microseconds -> nanoseconds, truncated back on reading
    be32(caplen);
    be32(le32(at + 12));
    o.append(b, at + 16, caplen);
    at += 16 + caplen;
  }
  std::ofstream(out, std::ios::binary) << o;
}
}  // namespace

TEST_CASE("classic pcap of the other byte order with nanosecond times replays to the same events", "[e2e]") {
  const auto sample = test::source_dir() / "pcaps" / "sample.pcap";
  const auto dir = work_dir("swapped");
  const auto swapped = dir / "swapped.pcap";
  write_swapped_nanosecond(sample, swapped);
  const auto a = dir / "a.jsonl", b = dir / "b.jsonl";
  REQUIRE(run(probe_bin() + " replay " + sample.string() + " --no-summary " + home + " --events " + a.string()) == 0);
  REQUIRE(run(probe_bin() + " replay " + swapped.string() + " --no-summary " + home + " --events " + b.string()) == 0);
  const std::string ta = test::slurp(a), tb = test::slurp(b);
  CHECK(ta.size() > 1000);
  CHECK(ta == tb);
  fs::remove_all(dir);
}

TEST_CASE("a capture cut inside a record: events up to the cut, then one error line and status 1", "[e2e]") {
  const auto sample = test::source_dir() / "pcaps" / "sample.pcap";
  const auto dir = work_dir("cut");
  for (const std::size_t cut : {std::size_t{7}, std::size_t{100}}) {  // inside the data; inside a record header
    const auto part = dir / ("cut-" + std::to_string(cut) + ".pcap");
    {
      std::string b = test::slurp(sample);
      b.resize(b.size() - cut);
      std::ofstream(part, std::ios::binary) << b;
    }
    const auto events = dir / "events.jsonl", err = dir / "err.txt";
    const int rc = run(probe_bin() + " replay " + part.string() + " " + home + " --events " + events.string() + " 2>" +
                       err.string());
    std::ifstream e(err);
    std::string first;
    std::getline(e, first);
    INFO(first);
    CHECK(rc == 1);
    CHECK(first.rfind("bssap-probe: error: " + part.string() + ": truncated dump file", 0) == 0);
    std::size_t lines = 0;
    std::ifstream ev(events);
    for (std::string l; std::getline(ev, l);) ++lines;
    CHECK(lines > 700);  // the sample has 772 events; the last frames are lost, not the rest
  }
  fs::remove_all(dir);
}

TEST_CASE("user errors end with one line and a non-zero status", "[e2e]") {
  const auto dir = work_dir("errors");
  const auto err = dir / "err.txt";
  auto one_line = [&](const std::string& args) {
    const int rc = run(probe_bin() + " " + args + " 2>" + err.string() + " >/dev/null");
    std::ifstream in(err);
    std::string line, first;
    int lines = 0;
    while (std::getline(in, line)) {
      if (lines == 0) first = line;
      ++lines;
    }
    INFO(args << " -> " << first);
    CHECK(rc != 0);
    CHECK(lines == 1);
    CHECK(first.rfind("bssap-probe: error:", 0) == 0);
  };
  const auto out = (dir / "e.jsonl").string();
  one_line("replay /nonexistent.pcap --events " + out);
  {
    std::ofstream junk(dir / "junk.pcap");
    junk << "this is not a capture";
  }
  one_line("replay " + (dir / "junk.pcap").string() + " --events " + out);
  one_line("live -i bssap-no-such-if0 --events " + out);
  one_line("replay --bogus-option x.pcap --events " + out);
  one_line("replay x.pcap --events " + out + " --home-plmns 46000");
  one_line("replay " + (dir / "junk.pcap").string() + " --events " + out + " --trigger-shards 2");
  one_line("replay " + (dir / "junk.pcap").string() + " --events " + out + " --trigger-shards 2 --trigger-out " +
           "/proc/bssap-no-such-dir");
  fs::remove_all(dir);
}
