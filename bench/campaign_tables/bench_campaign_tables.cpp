// Subscriber-profile load: writes a CSV of N rows (imsi, msisdn, brand, region, arpu, seed_user,
// plan) to a temporary directory, loads it with profile_table::load, and prints load seconds,
// rows/s, memory_bytes()/row, resident memory (VmRSS / VmHWM) and IMSI lookups/s.
// usage: bench_campaign_tables [rows (default 10000000)]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "../common/bench_args.hpp"
#include "bssap/campaign/tables.hpp"

namespace {

// VmRSS / VmHWM of this process, in KiB.
long status_kib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(key) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::strtol(line.c_str() + prefix.size(), nullptr, 10);
  }
  return -1;
}

std::string imsi_of(std::uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "46000%010llu", static_cast<unsigned long long>(i * 7919 % 10000000000ull));
  return buf;
}

// CPU seconds of this process (user + system): the figure that holds on a loaded machine.
double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t rows = bssap::bench::count_arg(argc, argv, 1, 10'000'000, "bench_campaign_tables [rows]");
  char dir_template[] = "/tmp/bench_campaign_tables.XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (dir == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string path = std::string(dir) + "/subscribers.csv";
  {
    static const char* brands[] = {"GoTone", "M-Zone", "Easyown"};
    static const char* plans[] = {"basic", "data-5g", "family", "senior", "student", "\"night, weekend\""};
    std::FILE* out = std::fopen(path.c_str(), "w");
    if (out == nullptr) {
      std::perror(path.c_str());
      return 1;
    }
    std::setvbuf(out, nullptr, _IOFBF, 1 << 20);
    std::fputs("imsi,msisdn,brand,region,arpu,seed_user,plan\n", out);
    std::mt19937_64 rng(42);
    for (std::uint64_t i = 0; i < rows; ++i) {
      const std::uint64_t r = rng();
      std::fprintf(out, "%s,%s1%010llu,%s,region-%02u,%u,%s,%s\n", imsi_of(i).c_str(), i % 10 == 0 ? "+86" : "",
                   static_cast<unsigned long long>(3800000000ull + i), brands[r % 3],
                   static_cast<unsigned>((r >> 8) % 34), static_cast<unsigned>((r >> 16) % 300),
                   (r >> 32) % 2 ? "yes" : "no", plans[(r >> 40) % 6]);
    }
    std::fclose(out);
  }
  const long rss_before = status_kib("VmRSS");
  bssap::campaign::load_report report;
  std::string error;
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  const auto table = bssap::campaign::profile_table::load(path, report, error);
  const double load_s = seconds_since(t0);
  const double load_cpu = cpu_seconds() - cpu0;
  std::remove(path.c_str());
  ::rmdir(dir);
  if (!table) {
    std::fprintf(stderr, "load failed: %s\n", error.c_str());
    return 1;
  }
  if (table->size() != rows || report.bad_rows != 0) {
    std::fprintf(stderr, "loaded %zu rows, %llu bad (want %llu)\n", table->size(),
                 static_cast<unsigned long long>(report.bad_rows), static_cast<unsigned long long>(rows));
    return 1;
  }
  const long rss = status_kib("VmRSS");
  const long hwm = status_kib("VmHWM");

  // Lookups: random known IMSIs (hits) and unknown ones (misses), strings prepared beforehand.
  constexpr std::size_t lookups = 4'000'000;
  std::vector<std::string> keys;
  keys.reserve(1 << 16);
  std::mt19937_64 rng(7);
  for (std::size_t i = 0; i < (1 << 16); ++i) {
    keys.push_back(i % 8 == 0 ? "46001" + imsi_of(rng() % rows).substr(5) : imsi_of(rng() % rows));
  }
  const double cpu1 = cpu_seconds();
  const auto t1 = std::chrono::steady_clock::now();
  std::uint64_t found = 0;
  for (std::size_t i = 0; i < lookups; ++i) found += table->find_imsi(keys[i & (keys.size() - 1)]).has_value();
  const double lookup_s = seconds_since(t1);
  const double lookup_cpu = cpu_seconds() - cpu1;
  const double n = static_cast<double>(rows);
  std::printf("| bench_campaign_tables | rows | %llu | rows |\n", static_cast<unsigned long long>(rows));
  std::printf("| bench_campaign_tables | load (wall / CPU) | %.2f / %.2f | s |\n", load_s, load_cpu);
  std::printf("| bench_campaign_tables | load rate (wall / CPU) | %.2f / %.2f | M rows/s |\n", n / load_s / 1e6,
              n / load_cpu / 1e6);
  std::printf("| bench_campaign_tables | memory_bytes() | %.1f | bytes/row |\n",
              static_cast<double>(table->memory_bytes()) / n);
  std::printf("| bench_campaign_tables | VmRSS after load - before | %.1f | bytes/row |\n",
              static_cast<double>(rss - rss_before) * 1024.0 / n);
  std::printf("| bench_campaign_tables | VmRSS / VmHWM | %ld / %ld | MiB |\n", rss / 1024, hwm / 1024);
  std::printf("| bench_campaign_tables | find_imsi, 7/8 hits (wall / CPU) | %.2f / %.2f | M lookups/s |\n",
              static_cast<double>(lookups) / lookup_s / 1e6, static_cast<double>(lookups) / lookup_cpu / 1e6);
  return found == 0 ? 1 : 0;
}
