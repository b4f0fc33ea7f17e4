// SMPP client benchmark against smpp-stub on loopback (one session).
// Phase 1, throughput: a whole campaign accepted at once (outbox batches of 1000), time from
// the first accept to the last submit_sm_resp. Phase 2, latency: a steady offered load below
// capacity (--rate), event time = accept time, p50/p99 of event -> submit_sm_resp.
// Prints "| name | metric | value | unit |" lines (bench/run.sh).
// Usage: bench_smpp [--messages N] [--rate R] [--seconds S] [--window W] [--sync off|normal|full]
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../common/bench_args.hpp"
#include "bssap/smpp/client.hpp"

extern char** environ;
namespace smpp = bssap::smpp;
using namespace std::chrono_literals;

namespace {

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct stub {
  pid_t pid = -1;
  int port = 0;
  ~stub() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

bool start_stub(stub& s, const std::filesystem::path& dir) {
  const auto exe = std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() / "smpp-stub";
  const auto port_file = dir / "port";
  const std::vector<std::string> argv{exe.string(), "--port", "0", "--port-file", port_file.string(), "--no-parts"};
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  const int rc = posix_spawn(&s.pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    std::fprintf(stderr, "bench_smpp: cannot start %s\n", exe.c_str());
    return false;
  }
  for (int i = 0; i < 500 && s.port == 0; ++i) {
    std::ifstream f(port_file);
    int p = 0;
    if (f >> p) s.port = p;
    std::this_thread::sleep_for(10ms);
  }
  return s.port > 0;
}

std::vector<smpp::outgoing_message> make(std::size_t n, std::size_t offset) {
  std::vector<smpp::outgoing_message> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& m = v[i];
    m.source = {1, 1, "10086"};
    m.destination = {1, 1, "8613" + std::to_string(900000000 + offset + i)};
    m.text = (i % 2) ? "Your bonus is ready: reply YES to claim [code " + std::to_string(i) + "]"
                     : "您的流量包已到账，回复YES领取";
    m.want_receipt = false;
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t messages = 200000;
  double rate = 10000, seconds = 3;
  unsigned window = 256;
  std::string sync = "normal";
  constexpr const char* usage =
      "bench_smpp [--messages N] [--rate MSG_PER_S] [--seconds S] [--window N] [--sync normal|full]";
  for (int i = 1; i < argc; i += 2) {
    const std::string k = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_smpp: %s needs a value\nusage: %s\n", k.c_str(), usage);
      return 2;
    }
    // Numbers through count_arg: a clear error instead of an uncaught std::stoul exception.
    if (k == "--messages")
      messages = bssap::bench::count_arg(argc, argv, i + 1, 0, usage);
    else if (k == "--rate")
      rate = static_cast<double>(bssap::bench::count_arg(argc, argv, i + 1, 0, usage));
    else if (k == "--seconds")
      seconds = static_cast<double>(bssap::bench::count_arg(argc, argv, i + 1, 0, usage));
    else if (k == "--window")
      window = static_cast<unsigned>(bssap::bench::count_arg(argc, argv, i + 1, 0, usage));
    else if (k == "--sync" && (std::string(argv[i + 1]) == "normal" || std::string(argv[i + 1]) == "full"))
      sync = argv[i + 1];
    else {
      std::fprintf(stderr, "bench_smpp: bad option %s\nusage: %s\n", k.c_str(), usage);
      return 2;
    }
  }
  const auto dir = std::filesystem::temp_directory_path() / ("bench-smpp-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  stub s;
  if (!start_stub(s, dir)) return 1;

  smpp::client_config cfg;
  cfg.port = static_cast<std::uint16_t>(s.port);
  cfg.system_id = "bssap";
  cfg.password = "secret";
  cfg.window = window;
  cfg.outbox_path = (dir / "outbox.db").string();
  cfg.outbox_sync = sync;

  // Phase 1: throughput.
  double throughput = 0;
  {
    smpp::client c(cfg);
    c.on_log([](smpp::log_level, std::string_view) {});
    if (auto e = c.open(); !e.empty()) {
      std::fprintf(stderr, "bench_smpp: %s\n", e.c_str());
      return 1;
    }
    c.start();
    while (!c.bound()) std::this_thread::sleep_for(1ms);
    const auto all = make(messages, 0);
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t at = 0; at < all.size(); at += 1000) {
      const std::size_t n = std::min<std::size_t>(1000, all.size() - at);
      c.submit(std::span(all).subspan(at, n));
    }
    while (c.metrics().acknowledged < messages) std::this_thread::sleep_for(200us);
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    throughput = static_cast<double>(messages) / el;
    c.stop(1s);
  }
  std::filesystem::remove(dir / "outbox.db");
  std::filesystem::remove(dir / "outbox.db-wal");
  std::filesystem::remove(dir / "outbox.db-shm");

  // Phase 2: latency at a steady offered load, batches every millisecond.
  smpp::metrics_snapshot lat;
  {
    smpp::client c(cfg);
    c.on_log([](smpp::log_level, std::string_view) {});
    if (auto e = c.open(); !e.empty()) return 1;
    c.start();
    while (!c.bound()) std::this_thread::sleep_for(1ms);
    const auto total = static_cast<std::size_t>(rate * seconds);
    auto all = make(total, messages);
    const auto t0 = std::chrono::steady_clock::now();
    std::size_t sent = 0;
    while (sent < total) {
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const auto due = std::min(total, static_cast<std::size_t>(el * rate));
      if (due > sent) {
        const std::int64_t t = now_ns();
        for (std::size_t i = sent; i < due; ++i) all[i].event_time_ns = t;
        c.submit(std::span(all).subspan(sent, due - sent));
        sent = due;
      }
      std::this_thread::sleep_for(1ms);
    }
    while (c.metrics().acknowledged < total) std::this_thread::sleep_for(1ms);
    lat = c.metrics();
    c.stop(1s);
  }
  std::filesystem::remove_all(dir);

  std::printf("| smpp submit, 1 session, window %u, outbox sync=%s | throughput | %.0f | submits/s |\n", window,
              sync.c_str(), throughput);
  std::printf("| smpp event->submit_sm_resp at %.0f msg/s | latency p50 | %.2f | ms |\n", rate,
              lat.latency_p50_us / 1000.0);
  std::printf("| smpp event->submit_sm_resp at %.0f msg/s | latency p99 | %.2f | ms |\n", rate,
              lat.latency_p99_us / 1000.0);
  // The SMSC leg alone (submit_sm written -> response read): separates our queueing from the
  // peer's and the scheduler's share.
  std::printf("| smpp submit_sm->submit_sm_resp (SMSC leg) at %.0f msg/s | latency p99 | %.2f | ms |\n", rate,
              lat.smsc_p99_us / 1000.0);
  std::printf("| smpp event->submit_sm_resp at %.0f msg/s | latency max | %.2f | ms |\n", rate,
              lat.latency_max_us / 1000.0);
  return 0;
}
