// The trigger hand-off: IMSI-sharded SPSC queues. Every event of a subscriber reaches one shard,
// in order; a stalled consumer makes a lossy producer drop and count, never wait; a lossless
// producer waits and loses nothing; stop() delivers everything pushed before it.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bssap/probe/event_fanout.hpp"

using namespace bssap;
using namespace bssap::probe;

namespace {

event make_event(const std::string& imsi, std::int64_t ts) {
  event e;
  e.ts_us = ts;
  e.type = event_type::location_update;
  e.imsi.assign(imsi);
  e.set(f_imsi);
  return e;
}

// Records what its shard received; can be held at its first event to simulate a stalled worker.
struct recording_consumer final : shard_consumer {
  std::vector<event>* out;
  std::atomic<bool>* hold;
  explicit recording_consumer(std::vector<event>* o, std::atomic<bool>* h = nullptr) : out(o), hold(h) {}
  void on_event(const event& e) noexcept override {
    while (hold != nullptr && hold->load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    out->push_back(e);
  }
};

std::vector<std::unique_ptr<shard_consumer>> consumers(std::vector<std::vector<event>>& outs,
                                                       std::atomic<bool>* hold = nullptr) {
  std::vector<std::unique_ptr<shard_consumer>> v;
  for (auto& o : outs) v.push_back(std::make_unique<recording_consumer>(&o, hold));
  return v;
}

std::string imsi_of(int i) {
  return "4600012345" + std::to_string(10000 + i);
}

}  // namespace

TEST_CASE("fanout: the shard is a fixed function of the IMSI digits", "[fanout]") {
  // FNV-1a 64 of "460001234567890" (computed independently: python3 -c
  // "h=0xcbf29ce484222325; [h:=((h^c)*0x100000001b3)%2**64 for c in b'460001234567890']; print(h%7)")
  CHECK(event_fanout::shard_of("460001234567890", 7) == 1);
  CHECK(event_fanout::shard_of("460001234567890", 1) == 0);
  event e = make_event("460001234567890", 1);
  CHECK(event_fanout::shard_of(e, 7) == 1);
  // Without an IMSI, the TMSI's decimal digits; without either, shard 0.
  event t;
  t.tmsi = 0x12345678;
  t.set(f_tmsi);
  CHECK(event_fanout::shard_of(t, 7) == event_fanout::shard_of(std::to_string(0x12345678u), 7));
  CHECK(event_fanout::shard_of(event{}, 7) == 0);
}

TEST_CASE("fanout: every event of a subscriber reaches its one shard, in order", "[fanout]") {
  std::vector<std::vector<event>> outs(3);
  event_fanout fan({.queue_capacity = 1024, .lossless = true}, consumers(outs));
  fan.start();
  constexpr int subscribers = 200, rounds = 50;
  for (int r = 0; r < rounds; ++r)
    for (int s = 0; s < subscribers; ++s) fan.on_event(make_event(imsi_of(s), r * 1000 + s));
  fan.stop();
  const auto t = fan.totals();
  CHECK(t.pushed == subscribers * rounds);
  CHECK(t.consumed == subscribers * rounds);
  CHECK(t.dropped == 0);
  std::map<std::string, std::size_t> shard_of_imsi;
  for (std::size_t k = 0; k < outs.size(); ++k) {
    CHECK(!outs[k].empty());  // 200 subscribers over 3 shards: none is empty
    std::map<std::string, std::int64_t> last_ts;
    for (const auto& e : outs[k]) {
      const std::string imsi(e.imsi.view());
      const auto [it, fresh] = shard_of_imsi.emplace(imsi, k);
      CHECK(it->second == k);  // one shard per subscriber
      CHECK(k == event_fanout::shard_of(imsi, 3));
      if (!fresh) CHECK(e.ts_us > last_ts[imsi]);  // capture order kept per subscriber
      last_ts[imsi] = e.ts_us;
    }
  }
  CHECK(shard_of_imsi.size() == subscribers);
}

TEST_CASE("fanout: a stalled trigger worker makes a live producer drop and count, never wait", "[fanout]") {
  std::vector<std::vector<event>> outs(1);
  std::atomic<bool> hold{true};
  event_fanout fan({.queue_capacity = 16, .lossless = false}, consumers(outs, &hold));
  fan.start();
  const auto t0 = std::chrono::steady_clock::now();
  constexpr int n = 10000;
  for (int i = 0; i < n; ++i) fan.on_event(make_event(imsi_of(i % 10), i));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  // The consumer is held for as long as the test wants: the producer finished without it.
  CHECK(elapsed < std::chrono::seconds(5));
  const auto before = fan.totals();
  CHECK(before.pushed + before.dropped == n);
  // At most the queue (16) plus one burst the worker took before it stalled (64) got through.
  CHECK(before.pushed <= 16 + 64);
  hold = false;
  fan.stop();
  const auto after = fan.totals();
  CHECK(after.consumed == after.pushed);
  CHECK(outs[0].size() == after.pushed);
  CHECK(after.waits == 0);
}

TEST_CASE("fanout: replay (lossless) waits for a slow worker and loses nothing", "[fanout]") {
  std::vector<std::vector<event>> outs(2);
  std::atomic<bool> hold{true};
  event_fanout fan({.queue_capacity = 8, .lossless = true}, consumers(outs, &hold));
  fan.start();
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    hold = false;
  });
  constexpr int n = 5000;
  for (int i = 0; i < n; ++i) fan.on_event(make_event(imsi_of(i % 37), i));
  release.join();
  fan.stop();
  const auto t = fan.totals();
  CHECK(t.dropped == 0);
  CHECK(t.pushed == n);
  CHECK(t.consumed == n);
  CHECK(t.waits > 0);
  CHECK(outs[0].size() + outs[1].size() == n);
}

TEST_CASE("fanout: events pushed after stop, or before start in lossless mode, are counted drops", "[fanout]") {
  std::vector<std::vector<event>> outs(1);
  event_fanout fan({.queue_capacity = 2, .lossless = true}, consumers(outs));
  // Not started: the queue fills, then the producer must not wait for a worker that is not there.
  for (int i = 0; i < 5; ++i) fan.on_event(make_event(imsi_of(1), i));
  CHECK(fan.totals().pushed == 2);
  CHECK(fan.totals().dropped == 3);
  fan.start();
  fan.stop();
  CHECK(outs[0].size() == 2);
  fan.on_event(make_event(imsi_of(1), 9));
  CHECK(fan.totals().dropped == 4);
  fan.stop();  // idempotent
}
