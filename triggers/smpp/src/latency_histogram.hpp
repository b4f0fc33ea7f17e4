// The client's latency figures (metrics_snapshot: event -> submit_sm_resp, and the SMSC leg
// alone, submit_sm written -> its response, SMPP 3.4 4.4.2). Lock-free: every session thread adds
// to it, metrics() reads it. Not a protocol matter; here so the sessions do not carry its maths.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace bssap::smpp {

// Log-linear histogram of microseconds: 16 sub-buckets per power of two (<= 6 % error).
class latency_histogram {
 public:
  void add(std::uint64_t us) noexcept {
    _buckets[index(us)].fetch_add(1, std::memory_order_relaxed);
    _sum.fetch_add(us, std::memory_order_relaxed);
    std::uint64_t prev = _max.load(std::memory_order_relaxed);
    while (us > prev && !_max.compare_exchange_weak(prev, us, std::memory_order_relaxed)) {
    }
  }
  void percentiles(double& p50, double& p99, double& max, std::uint64_t& n) const noexcept {
    n = 0;
    for (const auto& b : _buckets) n += b.load(std::memory_order_relaxed);
    max = static_cast<double>(_max.load(std::memory_order_relaxed));
    p50 = value_at(n, 0.50);
    p99 = value_at(n, 0.99);
  }
  // Cumulative counts at the powers of two 2^0 .. 2^24 microseconds (bucket edges, so exact),
  // then +Inf; and the sum: a Prometheus histogram.
  void cumulative(std::vector<std::pair<double, std::uint64_t>>& out, std::uint64_t& sum_us) const {
    out.clear();
    std::uint64_t seen = 0;
    std::size_t i = 0;
    for (int k = 0; k <= 24; ++k) {
      const double edge = std::ldexp(1.0, k);
      for (; i < bucket_count && lower_bound_of(i) < edge; ++i) seen += _buckets[i].load(std::memory_order_relaxed);
      out.emplace_back(edge, seen);
    }
    for (; i < bucket_count; ++i) seen += _buckets[i].load(std::memory_order_relaxed);
    out.emplace_back(std::numeric_limits<double>::infinity(), seen);
    sum_us = _sum.load(std::memory_order_relaxed);
  }

 private:
  static constexpr std::size_t sub = 16;
  static std::size_t index(std::uint64_t v) noexcept {
    if (v < sub) return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v);
    const std::size_t i = static_cast<std::size_t>(msb - 3) * sub + ((v >> (msb - 4)) & (sub - 1));
    return std::min(i, bucket_count - 1);
  }
  static double lower_bound_of(std::size_t i) noexcept {
    if (i < sub) return static_cast<double>(i);
    const std::size_t msb = i / sub + 3;
    const std::size_t frac = i % sub;
    return std::ldexp(1.0, static_cast<int>(msb)) +
           static_cast<double>(frac) * std::ldexp(1.0, static_cast<int>(msb - 4));
  }
  double value_at(std::uint64_t n, double q) const noexcept {
    if (n == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += _buckets[i].load(std::memory_order_relaxed);
      if (seen >= rank) return lower_bound_of(i);
    }
    return static_cast<double>(_max.load());
  }
  static constexpr std::size_t bucket_count = 64 * sub;
  std::array<std::atomic<std::uint64_t>, bucket_count> _buckets{};
  std::atomic<std::uint64_t> _max{0};
  std::atomic<std::uint64_t> _sum{0};
};

}  // namespace bssap::smpp
