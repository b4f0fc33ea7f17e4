// pipeline producer mode (DPDK's one lcore per RX queue, without DPDK): producers decode in their
// own threads and the caller's thread merges by capture time. The merged events must equal those
// of one thread fed every frame in order; a lossy producer must never wait, and count each drop.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bssap/event.hpp"
#include "bssap/probe/pipeline.hpp"
#include "bssap/synth/synth.hpp"

using namespace bssap;
using namespace bssap::probe;

namespace {

struct frame {
  std::int64_t ts_us;
  std::span<const std::byte> data;
};

// Classic little-endian microsecond pcap, as bssap-synth writes it.
std::vector<frame> index_pcap(const std::string& file) {
  std::vector<frame> out;
  auto rd32 = [&](std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, file.data() + at, 4);
    return v;
  };
  REQUIRE(file.size() >= 24);
  REQUIRE(rd32(0) == 0xa1b2c3d4);
  std::size_t pos = 24;
  while (pos + 16 <= file.size()) {
    const std::uint32_t caplen = rd32(pos + 8);
    const std::int64_t ts = std::int64_t{rd32(pos)} * 1000000 + rd32(pos + 4);
    pos += 16;
    REQUIRE(caplen <= file.size() - pos);
    out.push_back({ts, {reinterpret_cast<const std::byte*>(file.data() + pos), caplen}});
    pos += caplen;
  }
  return out;
}

// Frames to or from the BSC at 10.92.1.1 (Ethernet + IPv4): one "RX queue" of two.
bool first_queue(const frame& f) {
  static constexpr std::byte bsc[4] = {std::byte{10}, std::byte{92}, std::byte{1}, std::byte{1}};
  if (f.data.size() < 34) return false;
  return std::memcmp(f.data.data() + 26, bsc, 4) == 0 || std::memcmp(f.data.data() + 30, bsc, 4) == 0;
}

struct collect final : event_sink {
  std::vector<std::string> lines;
  void on_event(const event& e) noexcept override {
    std::string s;
    append_json_line(e, s);
    lines.push_back(std::move(s));
  }
};

std::string synth_capture(unsigned subscribers, double seconds, std::uint64_t seed, std::uint32_t associations = 1) {
  synth::config cfg = synth::default_config();
  cfg.associations = associations;
  cfg.subscribers = subscribers;
  cfg.duration_s = seconds;
  cfg.seed = seed;
  cfg.link = synth::transport::m3ua;
  synth::string_sink capture;
  (void)synth::generate(cfg, capture, nullptr);
  return capture.bytes;
}

pipeline_config base_config() {
  pipeline_config cfg;
  cfg.correlation.home_plmns = {"460-00", "460-02", "460-07"};
  return cfg;
}

}  // namespace

// The BSC side's SCTP port is 2905 + k for its k-th association (bssap-synth --associations).
bool second_association(const frame& f) {
  if (f.data.size() < 38) return false;
  auto port = [&f](std::size_t at) {
    return static_cast<unsigned>(std::to_integer<unsigned>(f.data[at]) << 8 |
                                 std::to_integer<unsigned>(f.data[at + 1]));
  };
  return port(34) == 2906 || port(36) == 2906;
}

TEST_CASE("pipeline producer mode: two producer threads merge by capture time to the events of one thread",
          "[pipeline]") {
  // By BSC (each producer sees whole associations), and by association of a linkset (a
  // connection's messages reach both producers: connections are tracked after the merge).
  const bool by_association = GENERATE(false, true);
  INFO("split by association: " << by_association);
  const std::string file = synth_capture(2000, 120, 71, by_association ? 2 : 1);
  const auto frames = index_pcap(file);
  std::vector<frame> queue[2];
  for (const auto& f : frames) queue[(by_association ? second_association(f) : first_queue(f)) ? 0 : 1].push_back(f);
  REQUIRE(!queue[0].empty());
  REQUIRE(!queue[1].empty());

  collect inline_events;
  {
    pipeline p(base_config(), inline_events);
    std::string error;
    REQUIRE(p.start(error));
    for (const auto& f : frames) REQUIRE(p.push_packet(dec::linktype::ethernet, f.data, f.ts_us));
    REQUIRE(p.finish(error));
  }
  REQUIRE(inline_events.lines.size() > 500);

  collect merged;
  auto cfg = base_config();
  cfg.producers = 2;
  cfg.ring_bytes = 1;  // the smallest ring (64 KiB): the producers often wait for the merge
  pipeline p(cfg, merged);
  std::string error;
  REQUIRE(p.start(error));
  std::vector<std::thread> producers;
  for (unsigned i = 0; i < 2; ++i) {
    producers.emplace_back([&p, &queue, i] {
      std::size_t n = 0;
      for (const auto& f : queue[i]) {
        (void)p.produce(i, dec::linktype::ethernet, f.data, f.ts_us);
        if (++n % 32 == 0) p.watermark(i, f.ts_us);  // as an lcore does after each burst
      }
      p.end(i);
    });
  }
  while (!p.producers_ended()) p.idle();
  for (auto& t : producers) t.join();
  REQUIRE(p.finish(error));
  CHECK(p.totals().packets == frames.size());
  CHECK(p.totals().queue_drops == 0);
  REQUIRE(merged.lines.size() == inline_events.lines.size());
  for (std::size_t i = 0; i < merged.lines.size(); ++i) {
    INFO("event " << i);
    REQUIRE(merged.lines[i] == inline_events.lines[i]);
  }
}

TEST_CASE("pipeline producer mode, lossy: a full unit ring drops SCCP units, counted, and never waits", "[pipeline]") {
  const std::string file = synth_capture(500, 60, 73);
  const auto frames = index_pcap(file);
  collect events;
  auto cfg = base_config();
  cfg.producers = 1;
  cfg.lossless = false;
  cfg.ring_bytes = 1;  // the smallest ring (64 KiB): the capture's units do not fit
  pipeline p(cfg, events);
  std::string error;
  REQUIRE(p.start(error));
  // Nobody merges while the producer runs: it must come through anyway, dropping.
  std::uint64_t refused = 0;
  std::atomic<bool> produced{false};
  std::thread producer([&] {
    for (const auto& f : frames)
      if (!p.produce(0, dec::linktype::ethernet, f.data, f.ts_us)) ++refused;
    produced = true;
    p.end(0);  // waits for room for its end marker only: the merge below makes it
  });
  while (!produced) std::this_thread::yield();
  while (!p.producers_ended()) p.idle();
  producer.join();
  REQUIRE(p.finish(error));
  CHECK(refused > 0);
  CHECK(p.totals().queue_drops >= refused);
  CHECK(p.totals().packets == frames.size());
}

TEST_CASE("pipeline: a state snapshot that cannot be written is counted and logged, and capture goes on",
          "[pipeline][state]") {
  const std::string file = synth_capture(300, 60, 75);
  const auto frames = index_pcap(file);
  // A regular file where the state directory should be: every write fails.
  const auto blocker = std::filesystem::temp_directory_path() / ("bssap-state-blocker-" + std::to_string(::getpid()));
  { std::ofstream(blocker) << "x"; }
  collect events;
  auto cfg = base_config();
  cfg.state_dir = blocker / "state";
  cfg.snapshot_interval_s = 0;  // a snapshot at every chance
  pipeline p(cfg, events);
  std::string error;
  REQUIRE(p.start(error));
  for (const auto& f : frames) {
    REQUIRE(p.push_packet(dec::linktype::ethernet, f.data, f.ts_us));
    p.maybe_snapshot();
  }
  CHECK_FALSE(p.finish(error));  // the last snapshot, written at the end, fails too
  CHECK(error.find("cannot create state directory") != std::string::npos);
  const auto s = p.snapshots();
  CHECK(s.failed >= 1);
  CHECK(s.written == 0);
  CHECK(events.lines.size() > 100);  // the events all came through meanwhile
  std::filesystem::remove(blocker);
}
