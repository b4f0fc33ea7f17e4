// The probe's side of the event bus: every event to NATS JetStream, subject
// <prefix>.<shard> (the probe's IMSI shard function, the stream's shard count), Nats-Msg-Id the
// event's event_id (campaigns.md "Exactly once"), so that the server drops what a duplicated span
// port or a resend after a reconnect publishes twice.
//
//   correlator --on_event--> SPSC queue --> publisher thread --js_PublishMsgAsync--> JetStream
//                                                   \--(live, servers unreachable)--> spool file
//
// The capture thread only copies the event into the queue. The publisher thread encodes
// (payload.hpp) and publishes asynchronously with at most `max_pending` messages unacknowledged;
// a message the server refuses or does not acknowledge within `ack_timeout_ms` is published again.
// When no server is reachable:
// - lossless (replay of files): the thread waits, the queue fills, the capture waits;
// - live: events go to a spool file in the state directory, up to `spool_max_bytes`; every event
//   beyond is dropped, counted and logged. The spool is sent (before any newer event) when a
//   server answers again, and a probe restarted with a spool left sends it too.
// Every 200 ms, and at the end of the input, the thread publishes to every shard a mark with the
// latest ts it has published (an end mark when the input is finished), so that trigger workers
// know how far this probe has got (see reorder.hpp). Live, the mark is at least the wall clock
// minus one second: the capture clock moves on when no event comes, and a quiet probe must not
// hold the workers' windows back.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bssap/event_sink.hpp"
#include "bssap/stream/jetstream.hpp"

namespace bssap::stream {

struct publisher_config {
  std::vector<std::string> servers;  // nats://HOST:PORT, a cluster's seeds
  stream_settings stream;
  std::string source;  // this probe's name in the payload (<= 64 bytes)
  bool lossless = false;
  std::size_t queue_capacity = 65536;
  std::int64_t max_pending = 4096;  // unacknowledged asynchronous publishes
  std::int64_t ack_timeout_ms = 5000;
  std::string spool_path;  // live: where events wait while no server is reachable
  std::uint64_t spool_max_bytes = 256ull << 20;
  // The probe's functions, so that this library needs neither probe/ nor the campaign engine:
  // the IMSI shard (event_fanout::shard_of) and the event_id (campaign::event_id_of).
  std::function<std::size_t(const event&, std::size_t)> shard_of;
  std::function<std::string(const event&)> event_id_of;
};

struct publisher_counters {
  std::uint64_t queued = 0;         // taken from the capture thread
  std::uint64_t queue_dropped = 0;  // live: the queue was full (the publisher thread fell behind)
  std::uint64_t published = 0;      // handed to the client (resends included)
  std::uint64_t acknowledged = 0;   // stored by the stream (duplicates included)
  std::uint64_t duplicates = 0;     // the server already had the Nats-Msg-Id
  std::uint64_t resent = 0;         // refused or unacknowledged, published again
  std::uint64_t spooled = 0;        // written to the spool
  std::uint64_t spool_sent = 0;     // read back from the spool and published
  std::uint64_t spool_dropped = 0;  // live: the spool was full
  std::uint64_t disconnects = 0;
};

class publisher final : public event_sink {
 public:
  explicit publisher(publisher_config config);
  ~publisher() override;
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  // Starts connecting and the publisher thread. False with `error` on bad settings or an
  // unusable spool file.
  bool start(std::string& error);
  void on_event(const event& e) noexcept override;  // the capture thread; never blocks live
  // Publishes what is queued (and, lossless, waits until the stream has acknowledged every
  // event); `input_ended`: the input is finished, end marks tell the workers. Then stops.
  // False with `error` when events could not be sent (lossless only: live counts drops instead).
  bool finish(bool input_ended, std::string& error);

  publisher_counters counters() const noexcept;
  std::string summary() const;

  struct impl;

 private:
  std::unique_ptr<impl> _impl;
};

}  // namespace bssap::stream
