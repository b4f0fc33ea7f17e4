// Issue 15's end-to-end checks, with real processes on loopback, all started and stopped here:
// nats-server with JetStream in a temporary directory (one server, or a three-server cluster
// with replicas 3), two probes replaying the two halves of pcaps/sample.pcap split by BSC (so
// subscribers move between probes), three trigger workers with the example SMS campaigns against
// smpp-stub. Mid-run a worker is killed with SIGKILL and started again, nats-server is
// restarted (or, in the cluster, one server killed), and one probe is stopped and started again.
// The merged decision log must equal the one-process reference (`trigger --events` on the same
// events), and smpp-stub must have received the same messages, each once.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../triggers/smpp/proc.hpp"
#include "loopback.hpp"

namespace fs = std::filesystem;
using namespace bssap::test;
using namespace std::chrono_literals;

namespace {

bool have_nats_server() {
  return std::system("nats-server --version >/dev/null 2>&1") == 0;
}

// Writes the packets of the lowest BSC address to `a`, the others' to `b` (Ethernet, IPv4: the
// MSC is the address that every packet carries).
void split_by_bsc(const fs::path& in, const fs::path& a, const fs::path& b) {
  char err[PCAP_ERRBUF_SIZE];
  struct packet {
    std::vector<std::uint8_t> bytes;
    pcap_pkthdr header;
  };
  std::vector<packet> packets;
  pcap_t* p = pcap_open_offline(in.c_str(), err);
  REQUIRE(p != nullptr);
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  std::map<std::uint32_t, std::size_t> seen;
  bool ipv4 = true;
  while (pcap_next_ex(p, &h, &data) == 1) {
    packets.push_back({std::vector<std::uint8_t>(data, data + h->caplen), *h});
    ipv4 = ipv4 && h->caplen >= 34 && data[12] == 0x08 && data[13] == 0x00;  // the sample: m3ua, no VLAN
  }
  REQUIRE(ipv4);
  auto addr = [](const std::vector<std::uint8_t>& d, std::size_t at) {
    return std::uint32_t{d[at]} << 24 | std::uint32_t{d[at + 1]} << 16 | std::uint32_t{d[at + 2]} << 8 | d[at + 3];
  };
  for (const auto& k : packets) {
    ++seen[addr(k.bytes, 26)];
    ++seen[addr(k.bytes, 30)];
  }
  std::uint32_t msc = 0;
  std::size_t most = 0;
  for (const auto& [ip, n] : seen)
    if (n > most) {
      most = n;
      msc = ip;
    }
  std::uint32_t first_bsc = UINT32_MAX;
  for (const auto& [ip, n] : seen)
    if (ip != msc) first_bsc = std::min(first_bsc, ip);
  REQUIRE(seen.size() >= 3);  // the MSC and at least two BSCs
  pcap_dumper_t* da = pcap_dump_open(p, a.c_str());
  pcap_dumper_t* db = pcap_dump_open(p, b.c_str());
  REQUIRE((da != nullptr && db != nullptr));
  std::size_t na = 0, nb = 0;
  for (auto& k : packets) {
    const std::uint32_t src = addr(k.bytes, 26), dst = addr(k.bytes, 30);
    const std::uint32_t bsc = src == msc ? dst : src;
    const bool to_a = bsc == first_bsc;
    pcap_dump(reinterpret_cast<u_char*>(to_a ? da : db), &k.header, k.bytes.data());
    ++(to_a ? na : nb);
  }
  pcap_dump_close(da);
  pcap_dump_close(db);
  pcap_close(p);
  REQUIRE(na > 100);
  REQUIRE(nb > 100);
}

std::vector<std::string> lines_of(const std::vector<fs::path>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The SMSC's messages as "dst|text", sorted (smpp-stub writes one "message" per message it
// accepted, a resent copy with the same user_message_reference only as a "part" marked dup).
std::vector<std::string> smsc_messages(const fs::path& out) {
  std::vector<std::string> m;
  for (const auto& j : read_jsonl(out))
    if (j.is_object() && j.value("type", "") == "message") m.push_back(j.value("dst", "") + "|" + j.value("text", ""));
  std::sort(m.begin(), m.end());
  return m;
}

// A copy of examples/ with its own state_dir and the SMSC's port.
fs::path config_copy(const fs::path& dir, const std::string& name, int smsc_port) {
  const fs::path to = dir / name;
  fs::copy(source_dir() / "examples", to, fs::copy_options::recursive);
  std::string yaml = slurp(to / "probe.yaml");
  const auto at = yaml.find("port: 2775");
  REQUIRE(at != std::string::npos);
  yaml.replace(at, 10, "port: " + std::to_string(smsc_port));
  std::ofstream(to / "probe.yaml") << yaml;
  return to / "probe.yaml";
}

struct nats_node {
  child proc;
  int port = 0, cluster_port = 0;
  fs::path store, log;
  std::vector<std::string> extra;
  void start() {
    std::vector<std::string> argv{"nats-server", "-js",       "-sd", store.string(),
                                  "-a",          "127.0.0.1", "-p",  std::to_string(port)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc = child(argv, log, log);
    REQUIRE(wait_until([&] { return port_open(port); }, 10s));
  }
};

std::string summary_line(const fs::path& log, const std::string& prefix) {
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) last = line;
  return last;
}

void run_scale_out(bool cluster) {
  if (!have_nats_server()) BSSAP_SKIP_OR_FAIL("nats-server is not installed (scripts/setup.sh)");
  const fs::path dir = scratch(cluster ? "scale-out-cluster" : "scale-out");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string probe = (bin_dir() / "bssap-probe").string();
  const fs::path a_pcap = dir / "a.pcap", b_pcap = dir / "b.pcap";
  split_by_bsc(source_dir() / "pcaps" / "sample.pcap", a_pcap, b_pcap);

  // The reference: each half's events (what the probes publish), decided in one process.
  for (const auto& [pcap, events] : {std::pair{a_pcap, dir / "a.jsonl"}, std::pair{b_pcap, dir / "b.jsonl"}}) {
    child c({probe, "replay", pcap.string(), "--events", events.string(), "--no-summary"}, dir / "ref.log",
            dir / "ref.log");
    REQUIRE(c.wait(60s) == 0);
  }
  REQUIRE(lines_of({dir / "a.jsonl"}).size() > 100);
  REQUIRE(lines_of({dir / "b.jsonl"}).size() > 100);
  constexpr int shards = 4;
  {
    auto stub = stub_process::start("scale-ref-smsc", {"--system-id", "bssap", "--password", "pw-scale"});
    REQUIRE(stub.port > 0);
    const auto cfg = config_copy(dir, "ref", stub.port);
    ::setenv("SMPP_PASSWORD", "pw-scale", 1);
    child c({probe, "trigger", "--events", (dir / "a.jsonl").string(), (dir / "b.jsonl").string(), "--trigger-shards",
             std::to_string(shards), "--config", cfg.string(), "--decisions", (dir / "ref-decisions.jsonl").string()},
            dir / "ref.log", dir / "ref.log");
    REQUIRE(c.wait(120s) == 0);
    stub.proc.stop(SIGINT);
    fs::copy_file(stub.out, dir / "ref-smsc.jsonl");
  }
  const auto reference = lines_of({dir / "ref-decisions.jsonl"});
  const auto reference_sms = smsc_messages(dir / "ref-smsc.jsonl");
  REQUIRE(reference.size() > 100);
  REQUIRE(reference_sms.size() > 50);

  // The distributed run.
  std::vector<nats_node> nodes(cluster ? 3 : 1);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].port = free_port();
    nodes[i].cluster_port = free_port();
    nodes[i].store = dir / ("js-" + std::to_string(i));
    nodes[i].log = dir / ("nats-" + std::to_string(i) + ".log");
  }
  if (cluster) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      std::string routes;
      for (std::size_t j = 0; j < nodes.size(); ++j)
        if (j != i)
          routes +=
              (routes.empty() ? "" : ",") + std::string("nats://127.0.0.1:") + std::to_string(nodes[j].cluster_port);
      nodes[i].extra = {"-n",
                        "s" + std::to_string(i),
                        "--cluster_name",
                        "bssap",
                        "--cluster",
                        "nats://127.0.0.1:" + std::to_string(nodes[i].cluster_port),
                        "--routes",
                        routes};
    }
    // A cluster needs its peers to elect a JetStream meta leader: start all, then wait.
    for (auto& n : nodes) {
      std::vector<std::string> argv{"nats-server", "-js",       "-sd", n.store.string(),
                                    "-a",          "127.0.0.1", "-p",  std::to_string(n.port)};
      argv.insert(argv.end(), n.extra.begin(), n.extra.end());
      n.proc = child(argv, n.log, n.log);
    }
    for (auto& n : nodes) REQUIRE(wait_until([&] { return port_open(n.port); }, 10s));
  } else {
    nodes[0].start();
  }
  std::vector<std::string> seeds;
  for (const auto& n : nodes) {
    seeds.push_back("--consume");
    seeds.push_back("nats://127.0.0.1:" + std::to_string(n.port));
  }
  std::vector<std::string> publish;
  for (const auto& n : nodes) {
    publish.push_back("--publish");
    publish.push_back("nats://127.0.0.1:" + std::to_string(n.port));
  }
  const std::vector<std::string> stream_opts{"--stream-shards", std::to_string(shards), "--stream-replicas",
                                             cluster ? "3" : "1"};
  auto stub =
      stub_process::start(cluster ? "scale-c-smsc" : "scale-smsc", {"--system-id", "bssap", "--password", "pw-scale"});
  REQUIRE(stub.port > 0);
  const std::vector<std::string> shard_lists{"0,1", "2", "3"};
  std::vector<fs::path> worker_cfgs;
  for (std::size_t w = 0; w < shard_lists.size(); ++w)
    worker_cfgs.push_back(config_copy(dir, "w" + std::to_string(w), stub.port));
  std::vector<fs::path> decision_files;
  auto start_worker = [&](std::size_t w) {
    const fs::path out = dir / ("w" + std::to_string(w) + "-" + std::to_string(decision_files.size()) + ".jsonl");
    decision_files.push_back(out);
    std::vector<std::string> argv{probe,         "trigger",
                                  "--shards",    shard_lists[w],
                                  "--config",    worker_cfgs[w].string(),
                                  "--decisions", out.string(),
                                  "--sources",   "2",
                                  "--window",    "2",
                                  "--max-lag",   "100000",
                                  "--idle-exit", "4"};
    argv.insert(argv.end(), seeds.begin(), seeds.end());
    argv.insert(argv.end(), stream_opts.begin(), stream_opts.end());
    return child(argv, dir / ("w" + std::to_string(w) + ".log"), dir / ("w" + std::to_string(w) + ".log"));
  };
  auto start_probe = [&](const fs::path& pcap, const std::string& name) {
    std::vector<std::string> argv{probe, "replay", pcap.string(), "--speed", "30", "--source-name", name};
    argv.insert(argv.end(), publish.begin(), publish.end());
    argv.insert(argv.end(), stream_opts.begin(), stream_opts.end());
    return child(argv, dir / ("probe-" + name + ".log"), dir / ("probe-" + name + ".log"));
  };
  std::vector<child> workers;
  for (std::size_t w = 0; w < shard_lists.size(); ++w) workers.push_back(start_worker(w));
  child probe_a = start_probe(a_pcap, "a");
  child probe_b = start_probe(b_pcap, "b");

  std::this_thread::sleep_for(2s);
  workers[1].signal(SIGKILL);  // mid-run: its shard resumes from the last acknowledgement
  REQUIRE(workers[1].wait(10s) == 128 + SIGKILL);
  std::this_thread::sleep_for(500ms);
  workers[1] = start_worker(1);

  std::this_thread::sleep_for(1500ms);
  if (cluster) {
    nodes[1].proc.signal(SIGKILL);  // one of three servers lost: replicas 3 keep everything
    REQUIRE(nodes[1].proc.wait(10s) == 128 + SIGKILL);
  } else {
    REQUIRE(nodes[0].proc.stop(SIGTERM) >= 0);  // nats-server leaves with status 1 on SIGTERM
    std::this_thread::sleep_for(1s);
    nodes[0].start();
  }

  std::this_thread::sleep_for(1500ms);
  REQUIRE(probe_b.stop(SIGTERM) == 0);  // stopped mid-capture, started again: replays from the start
  std::this_thread::sleep_for(500ms);
  probe_b = start_probe(b_pcap, "b");

  CHECK(probe_a.wait(120s) == 0);
  CHECK(probe_b.wait(120s) == 0);
  for (auto& w : workers) CHECK(w.wait(180s) == 0);
  stub.proc.stop(SIGINT);
  for (auto& n : nodes)
    if (n.proc.running()) n.proc.stop(SIGTERM);

  INFO("logs in " << dir.string());
  // The restarted probe's events were already in the stream: the server dropped them by Nats-Msg-Id.
  const std::string b_summary = summary_line(dir / "probe-b.log", "publish:");
  INFO(b_summary);
  CHECK(b_summary.find(" 0 duplicates dropped") == std::string::npos);
  const auto merged = lines_of(decision_files);
  CHECK(merged.size() == reference.size());
  CHECK(merged == reference);
  const auto sms = smsc_messages(stub.out);
  CHECK(sms.size() == reference_sms.size());
  CHECK(sms == reference_sms);
}

}  // namespace

TEST_CASE("scale-out: probes, JetStream and trigger workers survive kills and equal one process", "[stream][nats]") {
  run_scale_out(false);
}

TEST_CASE("scale-out: a three-server JetStream cluster with replicas 3 loses a server, nothing lost or twice",
          "[stream][nats]") {
  run_scale_out(true);
}
