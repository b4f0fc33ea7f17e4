// End-to-end replay throughput of the bssap-probe program: a bssap-synth capture of >= 5 M
// packets is generated into /tmp, then `bssap-probe replay --fast --threads N --events FILE` runs
// on it for N = 1 and 2. Prints wall-clock and CPU-time rates in the bench/run.sh table form:
//   | name | metric | value | unit |
// Usage: bench_replay [PACKETS] [SUBSCRIBERS] [TRANSPORT]
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "../common/bench_args.hpp"

namespace fs = std::filesystem;

namespace {

double child_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int run(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

std::uint64_t count_lines(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::uint64_t n = 0;
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    for (std::streamsize i = 0; i < in.gcount(); ++i) n += buf[i] == '\n';
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  constexpr const char* usage = "bench_replay [packets] [subscribers] [m3ua|ipa|mtp2|mtp3]";
  const std::uint64_t packets = bssap::bench::count_arg(argc, argv, 1, 5'000'000, usage);
  const std::uint64_t subscribers = bssap::bench::count_arg(argc, argv, 2, 200'000, usage);
  const std::string transport = argc > 3 ? argv[3] : "m3ua";
  const fs::path bin = fs::canonical("/proc/self/exe").parent_path().parent_path();
  const fs::path dir = fs::temp_directory_path() / fmt::format("bssap-bench-replay-{}", ::getpid());
  fs::create_directories(dir);
  const fs::path pcap = dir / "capture.pcap";
  const std::string gen =
      fmt::format("{} --transport {} --subscribers {} --duration 86400 --seed 7 --packets {} --quiet --out {}",
                  (bin / "bssap-synth").string(), transport, subscribers, packets, pcap.string());
  if (run(gen) != 0) {
    std::fprintf(stderr, "bench_replay: bssap-synth failed\n");
    fs::remove_all(dir);
    return 1;
  }
  for (const int threads : {1, 2}) {
    const fs::path events = dir / "events.jsonl";
    const double cpu0 = child_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = run(fmt::format("{} replay {} --fast --no-summary --threads {} --events {}",
                                   (bin / "bssap-probe").string(), pcap.string(), threads, events.string()));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = child_cpu_seconds() - cpu0;
    if (rc != 0) {
      std::fprintf(stderr, "bench_replay: bssap-probe failed\n");
      fs::remove_all(dir);
      return 1;
    }
    const std::uint64_t n_events = count_lines(events);
    const std::string name = fmt::format("replay_{}_{}thread{}", transport, threads, threads > 1 ? "s" : "");
    std::printf("| %s | packets/s (wall, %llu packets) | %.0f | pkt/s |\n", name.c_str(),
                static_cast<unsigned long long>(packets), static_cast<double>(packets) / wall);
    std::printf("| %s | events/s (wall, %llu events) | %.0f | ev/s |\n", name.c_str(),
                static_cast<unsigned long long>(n_events), static_cast<double>(n_events) / wall);
    std::printf("| %s | packets per CPU-second | %.0f | pkt/s |\n", name.c_str(), static_cast<double>(packets) / cpu);
    std::printf("| %s | ns per packet (CPU) | %.0f | ns |\n", name.c_str(), cpu * 1e9 / static_cast<double>(packets));
    fs::remove(events);
  }
  fs::remove_all(dir);
  return 0;
}
