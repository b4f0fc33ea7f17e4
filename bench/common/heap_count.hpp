// Process CPU time and a count of every heap allocation, for the in-process benchmarks.
// Including this header replaces the global operator new/delete: include it in exactly one
// source file of a benchmark program (each benchmark is one file).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <new>

namespace bssap::bench {

inline std::atomic<std::uint64_t> heap_allocations{0};

// CPU time of the whole process: other jobs on a shared machine do not distort rates.
inline double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace bssap::bench

void* operator new(std::size_t n) {
  bssap::bench::heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
