// Command-line numbers for the benchmarks: a positive decimal count or a clear error, so that
// `bench_x --help` prints a usage line instead of running with a count of zero (= unbounded).
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bssap::bench {

// argv[index] as a positive count, or `fallback` when absent; exits 2 with `usage` otherwise.
inline std::uint64_t count_arg(int argc, char** argv, int index, std::uint64_t fallback, const char* usage) {
  if (argc <= index) return fallback;
  const char* text = argv[index];
  std::uint64_t value = 0;
  const char* end = text + std::strlen(text);
  const auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc{} || ptr != end || value == 0) {
    std::fprintf(stderr, "%s: '%s' is not a positive number\nusage: %s\n", argv[0], text, usage);
    std::exit(2);
  }
  return value;
}

}  // namespace bssap::bench
