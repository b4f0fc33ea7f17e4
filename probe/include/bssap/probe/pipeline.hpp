// pipeline: capture -> transport -> SCCP connections -> correlation -> event sink.
//
//   capture thread: frame -> transport half (flow_decoder::decode_transport: IP, SCTP, TCP, MTP)
//     --packet_ring of SCCP units (SPSC, by dec::relation_of % N)--> worker i: SCCP half
//     (flow_decoder::decode_unit: connections, BSSAP) --spsc_queue<a_record>--> merge (by
//     sequence) --> correlator --> sink
//
// The split follows what each half must see: the transport half every frame of a flow (one
// packet_stack sees every association and every IP path, so a multi-homed association keeps its
// TSN order and dedup across paths), the SCCP half every unit of an SS7 relation, whichever
// association, path or link carried it (events.md "One SCCP connection, many paths").
// The capture side calls push_packet() for each frame (and idle() when it has nothing), and
// finish() at the end. It never blocks on a worker in `lossy` mode (live capture: a full ring is
// a counted drop); in lossless mode (replay of files) it waits for room, draining meanwhile.
// Merge: every record carries the sequence number of its SCCP unit; workers forward the capture's
// tick markers, so the merge always knows how far each worker has got and hands the correlator
// records in exactly the capture order, whatever the number of workers. With threads == 1 there
// are no worker threads: frames are decoded and correlated inline in the caller's thread.
//
// Producer mode (producers > 0; DPDK with one lcore per RX queue): there is no capture thread.
// Each producer thread runs the transport half on its own frames (produce()) and queues the SCCP
// units; the caller's thread merges them by capture time, runs the SCCP half on all of them (RSS
// spreads IP flows over the queues, not SS7 relations) and correlates (idle()). A producer's
// watermark says that none of its later frames is older, so the merge hands on units up to the
// smallest watermark; equal times go in producer order. An IP flow must stay on one queue
// (symmetric RSS); the paths of a multi-homed association may not, and then each queue's
// transport half sees only its own path.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bssap/decoders/link.hpp"
#include "bssap/probe/correlator.hpp"
#include "bssap/probe/flow_decoder.hpp"
#include "bssap/probe/unknown_tap.hpp"

namespace bssap::probe {

struct pipeline_config {
  unsigned threads = 1;
  unsigned producers = 0;  // > 0: producer mode with this many producers (threads is ignored)
  bool lossless = true;
  std::size_t ring_bytes = 8u << 20;  // per worker or producer
  std::size_t record_queue = 16384;   // records per worker -> merge queue
  flow_decoder_config decoder;
  correlator_config correlation;
  std::optional<std::filesystem::path> state_dir;
  double snapshot_interval_s = 60.0;
  // Publish counter copies for other threads (the console, --http): each thread that owns
  // counters copies them at most every `figures_interval_s`; false costs nothing.
  bool publish_figures = false;
  double figures_interval_s = 0.25;
  // --unknown: frames the decoders refuse or do not understand are offered to this tap (a port
  // per thread that decodes, added by the constructor, before the tap starts). Off: one branch
  // per frame.
  unknown_tap* unknown = nullptr;
};

struct pipeline_totals {
  std::uint64_t packets = 0;  // frames handed to push_packet
  std::uint64_t bytes = 0;
  std::uint64_t queue_drops = 0;  // SCCP units dropped because a worker's ring was full (lossy mode)
  std::uint64_t records = 0;
  std::int64_t first_ts_us = 0, last_ts_us = 0;
};

// The counters of one flow decoder, copied by the thread that owns it.
struct decoder_figures {
  dec::decode_stats errors;  // transport and upper layers together
  dec::stack_counters stack;
  flow_decoder_stats fd;
  std::size_t open_connections = 0;
  decoder_figures& operator+=(const decoder_figures& o) noexcept;
};

// Everything the pipeline counts, as one value that another thread may read (pipeline::figures).
struct pipeline_figures {
  pipeline_totals totals;
  decoder_figures decoders;  // summed over every decoder
  correlator_stats correlation;
  std::size_t subscribers = 0, correlator_connections = 0, tmsi_map = 0;
  std::uint64_t snapshots_written = 0, snapshots_failed = 0;
  unsigned threads = 1, producers = 0;
};

class pipeline {
 public:
  pipeline(pipeline_config config, event_sink& sink);
  ~pipeline();
  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;

  // Restores --state (if configured). Returns false with `error` on a corrupt snapshot.
  bool start(std::string& error);
  // Capture side. Returns false when the frame was dropped (lossy mode, ring full). `wire_length`:
  // the frame's length on the wire (pcap's `len`; 0: as captured), which tells a snaplen cut from
  // a lying length field.
  bool push_packet(dec::linktype lt, std::span<const std::byte> frame, std::int64_t ts_us,
                   std::size_t wire_length = 0) noexcept;
  // Producer mode, from producer `i`'s own thread (one thread per producer). produce() returns
  // false when the frame was dropped (lossy mode, the producer's record queue is full); in
  // lossless mode it waits for the merge instead. end() is the producer's last call.
  bool produce(unsigned i, dec::linktype lt, std::span<const std::byte> frame, std::int64_t ts_us) noexcept;
  void watermark(unsigned i, std::int64_t ts_us) noexcept;
  void end(unsigned i) noexcept;
  // Producer mode, from the caller's thread: true once every producer has called end().
  bool producers_ended() const noexcept;
  // Capture side, nothing arrived for a while: lets workers report progress, drains.
  void idle() noexcept;
  // End of input: drains everything, ends open connections, writes the snapshot.
  bool finish(std::string& error);
  // Takes a snapshot of the subscriber state now if the interval has passed (called from the
  // capture side): copied in memory here, written by a thread of its own (no file I/O on the
  // capture thread). A failed write is counted and logged; one still being written when the next
  // is due makes that one wait for the next interval (counted as skipped).
  void maybe_snapshot() noexcept;
  struct snapshot_counts {
    std::uint64_t written = 0, failed = 0, skipped = 0;
  };
  snapshot_counts snapshots() const noexcept {
    return {_snapshots_written.load(), _snapshots_failed.load(), _snapshots_skipped.load()};
  }

  // From the capture thread (the one that calls push_packet/idle): a copy of every counter, the
  // workers' as they last published them (publish_figures; directly once finish() has joined
  // them). Allocates; meant for a few calls per second.
  std::shared_ptr<pipeline_figures> figures() const;

  const pipeline_totals& totals() const noexcept { return _totals; }
  const correlator& correlation() const noexcept { return *_correlator; }
  // Valid after finish(): the workers' decoders (summed in the summary).
  const std::vector<std::unique_ptr<flow_decoder>>& decoders() const noexcept { return _decoders; }
  unsigned threads() const noexcept { return _config.threads; }
  unsigned producers() const noexcept { return _config.producers; }

 private:
  struct worker;
  void dispatch_ticks(bool all) noexcept;
  bool drain() noexcept;        // merges what it can; true when every worker has finished
  bool drain_units() noexcept;  // drain() of producer mode
  void feed(const a_record& r) noexcept;
  void collect_producer_totals() noexcept;

  pipeline_config _config;
  event_sink& _sink;
  std::unique_ptr<correlator> _correlator;
  std::vector<std::unique_ptr<flow_decoder>> _decoders;
  std::vector<std::unique_ptr<worker>> _workers;
  pipeline_totals _totals;
  std::uint64_t _seq = 0;
  std::vector<std::uint64_t> _last_sent;  // per worker: last sequence given to it
  std::chrono::steady_clock::time_point _last_snapshot;
  std::thread _snapshot_writer;
  std::atomic<bool> _snapshot_busy{false};
  std::atomic<std::uint64_t> _snapshots_written{0}, _snapshots_failed{0}, _snapshots_skipped{0};
  bool _finished = false;
  // --unknown ports (null without it): the transport half's (capture thread, or one per
  // producer), and the SCCP half's (one per worker; producer mode: the merge side's).
  std::vector<unknown_port*> _unknown_transport, _unknown_units;
};

}  // namespace bssap::probe
