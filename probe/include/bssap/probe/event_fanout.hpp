// event_fanout: the hand-off from the capture side to the trigger side.
//
//   correlator --on_event--> event_fanout --spsc_queue[shard(imsi)]--> trigger worker k --> consumer k
//
// One boost::lockfree::spsc_queue per trigger shard, fed by the one thread that runs the
// correlator (the single producer) and drained by that shard's own worker thread (the single
// consumer). An event goes to the shard of its IMSI (events without an IMSI: of their TMSI), so
// every event of a subscriber reaches the same worker, in capture order: the trigger side can keep
// per-subscriber state (contact history, frequency caps) without locks, and a shard is also the
// natural partition key when the trigger side moves to other hosts behind an event bus
// (shard_of() is a fixed function of the IMSI digits, identical in every process and host).
//
// A full queue never blocks a live capture: the event is dropped and counted per shard. Replay of
// files (lossless) waits for room instead, so that a what-if replay of a campaign does not depend
// on how fast the machine happens to be.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "bssap/event.hpp"
#include "bssap/event_sink.hpp"
#include "bssap/probe/correlator.hpp"

namespace bssap::probe {

struct fanout_config {
  std::size_t queue_capacity = 65536;  // events per shard (about 330 bytes each)
  bool lossless = false;               // wait for room instead of dropping (replay of files)
};

struct shard_counters {
  std::uint64_t pushed = 0;    // entered the queue
  std::uint64_t dropped = 0;   // queue full (lossy mode)
  std::uint64_t waits = 0;     // times the producer waited for room (lossless mode)
  std::uint64_t consumed = 0;  // handed to the consumer
};

class event_fanout final : public event_sink {
 public:
  // One consumer per shard; the number of shards is consumers.size() (at least 1).
  event_fanout(fanout_config config, std::vector<std::unique_ptr<shard_consumer>> consumers);
  ~event_fanout() override;
  event_fanout(const event_fanout&) = delete;
  event_fanout& operator=(const event_fanout&) = delete;

  // Starts one worker thread per shard.
  void start();
  // Producer side (the correlator's thread): never blocks in lossy mode.
  void on_event(const event& e) noexcept override;
  // Lets the workers empty their queues, then joins them. Idempotent.
  void stop() noexcept;

  std::size_t shards() const noexcept { return _shards.size(); }
  // Safe to call while running (relaxed counters, for --stats lines).
  shard_counters counters(std::size_t shard) const noexcept;
  shard_counters totals() const noexcept;

  // The shard of a subscriber: FNV-1a (64-bit) of the IMSI digits, modulo the shard count.
  // Stable across processes and hosts; events without IMSI use the TMSI's decimal digits.
  static std::size_t shard_of(std::string_view key, std::size_t shards) noexcept;
  static std::size_t shard_of(const event& e, std::size_t shards) noexcept;

 private:
  struct shard;
  void run(shard& s) noexcept;

  fanout_config _config;
  std::vector<std::unique_ptr<shard>> _shards;
  std::atomic<bool> _stopping{false};
  bool _started = false;
};

}  // namespace bssap::probe
