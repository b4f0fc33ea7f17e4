// User-space instructions retired by this thread, from the kernel's hardware counter
// (perf_event_open, PERF_COUNT_HW_INSTRUCTIONS). Instructions do not move with the machine's
// load as time does, so they compare builds on a shared machine. available() is false where the
// kernel or the VM gives no counter (perf_event_paranoid, no PMU): callers print "n/a" then.
#pragma once

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace bssap::bench {

class instruction_counter {
 public:
  instruction_counter() noexcept {
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = PERF_COUNT_HW_INSTRUCTIONS;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    _fd = static_cast<int>(::syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  }
  ~instruction_counter() {
    if (_fd >= 0) ::close(_fd);
  }
  instruction_counter(const instruction_counter&) = delete;
  instruction_counter& operator=(const instruction_counter&) = delete;

  bool available() const noexcept { return _fd >= 0; }
  void start() noexcept {
    if (_fd < 0) return;
    ::ioctl(_fd, PERF_EVENT_IOC_RESET, 0);
    ::ioctl(_fd, PERF_EVENT_IOC_ENABLE, 0);
  }
  // Instructions since start(), or 0 when unavailable.
  std::uint64_t stop() noexcept {
    if (_fd < 0) return 0;
    ::ioctl(_fd, PERF_EVENT_IOC_DISABLE, 0);
    std::uint64_t n = 0;
    if (::read(_fd, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) return 0;
    return n;
  }

 private:
  int _fd = -1;
};

}  // namespace bssap::bench
