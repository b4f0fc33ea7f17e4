// event_fanout: IMSI-sharded SPSC queues from the correlator to the trigger workers.
// Design and guarantees: event_fanout.hpp and ../README.md ("Trigger hand-off").
#include "bssap/probe/event_fanout.hpp"

#include "bssap/decoders/hash.hpp"

#include <boost/lockfree/spsc_queue.hpp>

#include <array>
#include <charconv>
#include <chrono>

namespace bssap::probe {

struct event_fanout::shard {
  shard(std::size_t capacity, std::unique_ptr<shard_consumer> c) : queue(capacity), consumer(std::move(c)) {}
  boost::lockfree::spsc_queue<event> queue;
  std::unique_ptr<shard_consumer> consumer;
  std::thread worker;
  // Producer-side counters (written by the correlator's thread only) and the consumer's, on
  // separate cache lines so the two threads do not share one.
  alignas(64) std::atomic<std::uint64_t> pushed{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> waits{0};
  alignas(64) std::atomic<std::uint64_t> consumed{0};
};

namespace {

// One writer per counter: a relaxed load and store, no locked read-modify-write on the hot path.
void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace

event_fanout::event_fanout(fanout_config config, std::vector<std::unique_ptr<shard_consumer>> consumers)
    : _config(config) {
  if (_config.queue_capacity < 2) _config.queue_capacity = 2;
  _shards.reserve(consumers.size());
  for (auto& c : consumers) _shards.push_back(std::make_unique<shard>(_config.queue_capacity, std::move(c)));
}

event_fanout::~event_fanout() {
  stop();
}

void event_fanout::start() {
  if (_started) return;
  _started = true;
  for (auto& s : _shards) s->worker = std::thread([this, p = s.get()] { run(*p); });
}

std::size_t event_fanout::shard_of(std::string_view key, std::size_t shards) noexcept {
  if (shards <= 1) return 0;
  return static_cast<std::size_t>(dec::fnv1a64(key) % shards);  // FNV-1a 64: the shard contract
}

std::size_t event_fanout::shard_of(const event& e, std::size_t shards) noexcept {
  if (e.has(f_imsi)) return shard_of(e.imsi.view(), shards);
  if (e.has(f_tmsi)) {
    std::array<char, 16> digits{};
    const auto r = std::to_chars(digits.data(), digits.data() + digits.size(), e.tmsi);
    return shard_of(std::string_view(digits.data(), static_cast<std::size_t>(r.ptr - digits.data())), shards);
  }
  return 0;
}

void event_fanout::on_event(const event& e) noexcept {
  if (_shards.empty()) return;
  shard& s = *_shards[shard_of(e, _shards.size())];
  if (_stopping.load(std::memory_order_relaxed)) {  // no worker left to take it
    bump(s.dropped);
    return;
  }
  if (s.queue.push(e)) {
    bump(s.pushed);
    return;
  }
  if (!_config.lossless || !_started) {
    bump(s.dropped);
    return;
  }
  // Replay: the worker is behind; wait for it rather than lose the event.
  bump(s.waits);
  while (!s.queue.push(e)) std::this_thread::yield();
  bump(s.pushed);
}

void event_fanout::run(shard& s) noexcept {
  constexpr std::size_t burst = 64;
  std::array<event, burst> batch;
  unsigned idle_rounds = 0;
  for (;;) {
    const std::size_t n = s.queue.pop(batch.data(), burst);
    if (n > 0) {
      for (std::size_t i = 0; i < n; ++i) s.consumer->on_event(batch[i]);
      bump(s.consumed, n);
      idle_rounds = 0;
      continue;
    }
    // Everything pushed before stop() is visible once _stopping is (release/acquire): empty the
    // queue one last time, then leave.
    if (_stopping.load(std::memory_order_acquire)) {
      std::size_t m = 0;
      while ((m = s.queue.pop(batch.data(), burst)) > 0) {
        for (std::size_t i = 0; i < m; ++i) s.consumer->on_event(batch[i]);
        bump(s.consumed, m);
      }
      break;
    }
    if (idle_rounds == 0) s.consumer->flush();
    // Spin briefly (bursts arrive close together), then sleep: an idle probe costs no CPU, and a
    // trigger's reaction time is measured in milliseconds, not microseconds.
    if (++idle_rounds < 64)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  s.consumer->flush();
}

void event_fanout::stop() noexcept {
  if (_stopping.exchange(true, std::memory_order_acq_rel)) return;
  for (auto& s : _shards)
    if (s->worker.joinable()) s->worker.join();
}

shard_counters event_fanout::counters(std::size_t i) const noexcept {
  shard_counters c;
  if (i >= _shards.size()) return c;
  const shard& s = *_shards[i];
  c.pushed = s.pushed.load(std::memory_order_relaxed);
  c.dropped = s.dropped.load(std::memory_order_relaxed);
  c.waits = s.waits.load(std::memory_order_relaxed);
  c.consumed = s.consumed.load(std::memory_order_relaxed);
  return c;
}

shard_counters event_fanout::totals() const noexcept {
  shard_counters t;
  for (std::size_t i = 0; i < _shards.size(); ++i) {
    const auto c = counters(i);
    t.pushed += c.pushed;
    t.dropped += c.dropped;
    t.waits += c.waits;
    t.consumed += c.consumed;
  }
  return t;
}

}  // namespace bssap::probe
