// The event bus end to end (issue 15): this program is the probe (bssap::stream::publisher with
// the probe's shard and event_id functions), nats-server runs JetStream in a temporary directory,
// and WORKERS `bssap-probe trigger` processes run the example campaigns (examples/probe.yaml,
// SMS to smpp-stub) on the stream's 4 shards.
//   bench_stream [EVENTS] [RATE] [WORKERS]
// 1. Throughput: EVENTS events (the sample capture's truth, cycled, stamped with the wall clock
//    as a live probe stamps them) published flat out; timed from the first publish until every
//    shard's consumer has acknowledged everything (the decisions committed): events/s from
//    publish to decision. The publish rate alone (until the stream acknowledged all) too.
// 2. Latency: RATE events/s for 10 s, the workers' capture-to-decision p50 / p99 (wall clock at
//    the commit of the decision minus the event's ts), with the reorder window at its default
//    2 s and at 0.1 s: the window is most of it, by design.
#include <fcntl.h>
#include <fmt/format.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../common/bench_args.hpp"
#include "bssap/campaign/engine.hpp"
#include "bssap/probe/event_fanout.hpp"
#include "bssap/stream/publisher.hpp"

extern char** environ;
namespace fs = std::filesystem;
using namespace bssap;
using clock_type = std::chrono::steady_clock;

namespace {

pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

int stop(pid_t pid, int sig) {
  if (pid <= 0) return -1;
  ::kill(pid, sig);
  int st = 0;
  ::waitpid(pid, &st, 0);
  return st;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<event> templates() {
  std::vector<event> out;
  std::ifstream in(std::string(BSSAP_SOURCE_DIR) + "/pcaps/sample.truth.jsonl");
  std::string line;
  while (std::getline(in, line))
    if (auto e = parse_json_line(line)) out.push_back(*e);
  return out;
}

// Every consumer of the stream has acknowledged everything it was given.
bool drained(const std::string& url, const std::string& stream, int shards) {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  bool all = true;
  if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK || natsConnection_JetStream(&js, nc, nullptr) != NATS_OK)
    all = false;
  for (int k = 0; all && k < shards; ++k) {
    jsConsumerInfo* ci = nullptr;
    const std::string durable = fmt::format("bssap-trigger-{}", k);
    if (js_GetConsumerInfo(&ci, js, stream.c_str(), durable.c_str(), nullptr, nullptr) != NATS_OK) {
      all = false;
      break;
    }
    all = ci->NumPending == 0 && ci->NumAckPending == 0;
    jsConsumerInfo_Destroy(ci);
  }
  if (js != nullptr) jsCtx_Destroy(js);
  if (nc != nullptr) natsConnection_Destroy(nc);
  return all;
}

stream::publisher_config publisher_for(const std::string& url, const std::string& stream_name) {
  stream::publisher_config c;
  c.servers = {url};
  c.stream.name = stream_name;
  c.stream.subject_prefix = "bench." + stream_name;
  c.stream.shards = 4;
  c.source = "bench";
  c.lossless = true;
  c.shard_of = [](const event& e, std::size_t n) { return probe::event_fanout::shard_of(e, n); };
  c.event_id_of = [](const event& e) { return campaign::event_id_of(e); };
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const char* usage = "bench_stream [EVENTS] [RATE] [WORKERS]";
  const auto events = bench::count_arg(argc, argv, 1, 200000, usage);
  const auto rate = bench::count_arg(argc, argv, 2, 2000, usage);
  const auto workers = bench::count_arg(argc, argv, 3, 2, usage);
  const fs::path bin = fs::canonical(fs::path(argv[0])).parent_path().parent_path();
  if (std::system("nats-server --version >/dev/null 2>&1") != 0) {
    std::fprintf(stderr, "bench_stream: nats-server is not installed (scripts/setup.sh)\n");
    return 1;
  }
  const fs::path dir = fs::temp_directory_path() / fmt::format("bench-stream-{}", ::getpid());
  fs::create_directories(dir);
  const int port = free_port();
  const std::string url = fmt::format("nats://127.0.0.1:{}", port);
  const pid_t server =
      spawn({"nats-server", "-js", "-sd", (dir / "js").string(), "-a", "127.0.0.1", "-p", std::to_string(port)},
            dir / "nats.log");
  const pid_t smsc = spawn({(bin / "smpp-stub").string(), "--port", "0", "--port-file", (dir / "smsc.port").string(),
                            "--system-id", "bssap", "--password", "bench-pw"},
                           dir / "smsc.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  std::string smsc_port;
  std::ifstream(dir / "smsc.port") >> smsc_port;
  const auto base = templates();
  if (base.empty() || smsc_port.empty()) {
    std::fprintf(stderr, "bench_stream: no sample truth or no smpp-stub\n");
    return 1;
  }
  ::setenv("SMPP_PASSWORD", "bench-pw", 1);
  std::printf("| bench_stream | events, workers, shards | %llu, %llu, 4 | |\n", static_cast<unsigned long long>(events),
              static_cast<unsigned long long>(workers));

  bool worker_failed = false;
  // A phase whose worker died gives no figures: the bench stops there, its files kept.
  auto give_up = [&] {
    stop(smsc, SIGINT);
    stop(server, SIGTERM);
    std::fprintf(stderr, "bench_stream: a worker failed; its files are kept in %s\n", dir.c_str());
    return 1;
  };
  // Runs one phase: workers on a fresh stream, `publish` feeding it; returns the workers' logs.
  auto phase = [&](const std::string& stream_name, double window, const auto& publish) {
    std::vector<pid_t> pids;
    std::vector<fs::path> logs;
    const std::vector<std::string> shard_lists = workers == 1   ? std::vector<std::string>{"0-3"}
                                                 : workers == 2 ? std::vector<std::string>{"0,1", "2,3"}
                                                                : std::vector<std::string>{"0", "1", "2", "3"};
    for (std::size_t w = 0; w < shard_lists.size(); ++w) {
      const fs::path cfg_dir = dir / fmt::format("{}-w{}", stream_name, w);
      fs::copy(fs::path(BSSAP_SOURCE_DIR) / "examples", cfg_dir, fs::copy_options::recursive);
      std::string yaml;
      {
        std::ifstream in(cfg_dir / "probe.yaml");
        yaml.assign(std::istreambuf_iterator<char>(in), {});
      }
      yaml.replace(yaml.find("port: 2775"), 10, "port: " + smsc_port);
      std::ofstream(cfg_dir / "probe.yaml") << yaml;
      logs.push_back(cfg_dir / "worker.log");
      pids.push_back(spawn(
          {(bin / "bssap-probe").string(), "trigger", "--consume", url, "--shards", shard_lists[w], "--config",
           (cfg_dir / "probe.yaml").string(), "--stream", stream_name, "--stream-subject-prefix",
           "bench." + stream_name, "--stream-shards", "4", "--window", fmt::format("{}", window), "--max-lag", "5"},
          logs.back()));
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    publish(stream_name);
    const auto until = clock_type::now() + std::chrono::minutes(10);
    // A worker that dies (a crash) is reported with its log's last lines and fails the bench:
    // its shards would never drain.
    auto died = [&](std::size_t w, int st) {
      worker_failed = true;
      std::fprintf(stderr, "bench_stream: %s worker %zu %s %d; its log ends:\n", stream_name.c_str(), w,
                   WIFSIGNALED(st) ? "killed by signal" : "exited with status",
                   WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
      std::ifstream in(logs[w]);
      std::vector<std::string> lines;
      for (std::string line; std::getline(in, line);) lines.push_back(line);
      for (std::size_t i = lines.size() > 5 ? lines.size() - 5 : 0; i < lines.size(); ++i)
        std::fprintf(stderr, "  %s\n", lines[i].c_str());
    };
    bool all_alive = true;
    while (all_alive && !drained(url, stream_name, 4) && clock_type::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      for (std::size_t w = 0; w < pids.size(); ++w) {
        int st = 0;
        if (pids[w] > 0 && ::waitpid(pids[w], &st, WNOHANG) == pids[w]) {
          pids[w] = -1;
          died(w, st);
          all_alive = false;
        }
      }
    }
    const auto drained_at = clock_type::now();
    for (std::size_t w = 0; w < pids.size(); ++w) {
      if (pids[w] <= 0) continue;
      const int st = stop(pids[w], SIGTERM);
      if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) died(w, st);
    }
    return std::pair{logs, drained_at};
  };

  // 1. Throughput.
  {
    clock_type::time_point t0, published_at;
    auto [logs, drained_at] = phase("BENCH_TPUT", 0.1, [&](const std::string& name) {
      stream::publisher p(publisher_for(url, name));
      std::string error;
      p.start(error);
      t0 = clock_type::now();
      for (std::uint64_t i = 0; i < events; ++i) {
        event e = base[i % base.size()];
        e.ts_us = wall_us();
        p.on_event(e);
      }
      p.finish(true, error);
      published_at = clock_type::now();
    });
    if (worker_failed) return give_up();
    const double publish_s = std::chrono::duration<double>(published_at - t0).count();
    const double total_s = std::chrono::duration<double>(drained_at - t0).count();
    std::printf("| bench_stream | publish (to the stream's acknowledgement) | %.0f | events/s |\n",
                static_cast<double>(events) / publish_s);
    std::printf("| bench_stream | publish to decision committed (all shards) | %.0f | events/s |\n",
                static_cast<double>(events) / total_s);
  }
  // 2. Latency at a steady rate.
  for (const double window : {2.0, 0.1}) {
    const std::string name = window > 1 ? "BENCH_LAT2" : "BENCH_LAT01";
    auto [logs, drained_at] = phase(name, window, [&](const std::string& stream_name) {
      auto cfg = publisher_for(url, stream_name);
      cfg.lossless = false;  // a live probe: its marks follow the wall clock
      stream::publisher p(cfg);
      std::string error;
      p.start(error);
      const auto start = clock_type::now();
      const std::uint64_t n = rate * 10;
      for (std::uint64_t i = 0; i < n; ++i) {
        std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1'000'000 / rate));
        event e = base[i % base.size()];
        e.ts_us = wall_us();
        p.on_event(e);
      }
      // No end mark: a live probe goes on (its marks every 200 ms move the window).
      std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(window * 1000) + 1500));
      p.finish(false, error);
    });
    (void)drained_at;
    if (worker_failed) return give_up();
    for (const auto& log : logs) {
      std::ifstream in(log);
      std::string line;
      while (std::getline(in, line))
        if (line.find("capture to decision") != std::string::npos)
          std::printf("| bench_stream | %llu events/s, window %.1f s: %s | | |\n",
                      static_cast<unsigned long long>(rate), window, line.c_str());
    }
  }
  stop(smsc, SIGINT);
  stop(server, SIGTERM);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
