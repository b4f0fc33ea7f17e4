// event_writer: the event log written off the correlating thread. Lossless: every event, in
// order. Lossy (live): a writer that cannot keep up makes events drop, counted, and the producer
// never waits (this case would hang otherwise). Write errors reach close().
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "bssap/event.hpp"
#include "bssap/probe/event_writer.hpp"

using namespace bssap;
using namespace bssap::probe;

namespace {
event numbered(std::uint64_t i) {
  event e;
  e.ts_us = 1795420800LL * 1000000 + static_cast<std::int64_t>(i);
  e.type = event_type::sms_mo;
  e.imsi.assign(std::to_string(460000000000000ULL + i));
  e.set(f_imsi);
  return e;
}
}  // namespace

TEST_CASE("event_writer, lossless: every event in order, across many buffers", "[event_writer]") {
  const auto path = std::filesystem::temp_directory_path() / ("bssap-writer-" + std::to_string(::getpid()));
  constexpr std::uint64_t n = 200'000;  // about 20 buffers of 1 MiB: the pool goes round
  {
    event_writer w(true);
    std::string error;
    REQUIRE(w.open(path.string(), error));
    for (std::uint64_t i = 0; i < n; ++i) w.on_event(numbered(i));
    REQUIRE(w.close());
    CHECK(w.dropped() == 0);
  }
  std::ifstream in(path);
  std::string line;
  std::uint64_t i = 0;
  while (std::getline(in, line)) {
    std::string expected;
    append_json_line(numbered(i), expected);
    expected.pop_back();  // the newline
    REQUIRE(line == expected);
    ++i;
  }
  CHECK(i == n);
  std::filesystem::remove(path);
}

TEST_CASE("event_writer, lossy: a stalled disk drops events, counted, and never makes the producer wait",
          "[event_writer]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  event_writer w(false);
  std::string error;
  // The pipe's write end stands for a disk that stalls: nobody reads until the producer is done.
  REQUIRE(w.open("/proc/self/fd/" + std::to_string(fds[1]), error));
  constexpr std::uint64_t n = 400'000;  // far more than 16 buffers of 1 MiB
  for (std::uint64_t i = 0; i < n; ++i) w.on_event(numbered(i));
  CHECK(w.dropped() > 0);
  CHECK(w.dropped() < n);
  // Now drain the pipe so that close() can finish writing what was taken.
  std::atomic<bool> done{false};
  std::uint64_t bytes = 0;
  std::thread reader([&] {
    char buf[65536];
    for (;;) {
      const auto got = ::read(fds[0], buf, sizeof buf);
      if (got <= 0) break;
      bytes += static_cast<std::uint64_t>(got);
    }
    done = true;
  });
  CHECK(w.close());
  ::close(fds[1]);
  reader.join();
  std::string one;
  append_json_line(numbered(0), one);
  // What was not dropped was written, whole lines only.
  CHECK(bytes >= (n - w.dropped()) * (one.size() - 2));
}

TEST_CASE("event_writer: a write error is reported by close()", "[event_writer]") {
  event_writer w(true);
  std::string error;
  REQUIRE(w.open("/dev/full", error));
  for (std::uint64_t i = 0; i < 20'000; ++i) w.on_event(numbered(i));
  CHECK_FALSE(w.close());
  event_writer bad(true);
  CHECK_FALSE(bad.open("/nonexistent-dir/events.jsonl", error));
  CHECK(error.find("cannot write") != std::string::npos);
}
