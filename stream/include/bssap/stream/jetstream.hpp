// What the probe's publisher and the trigger worker share about NATS JetStream: one connection
// to a list of seed servers that never gives up (reconnects forever, and a first connect that
// fails keeps trying in the background), and the stream BSSAP_EVENTS, whose shard count is a
// property of the stream (kept in its description as "bssap shards=N").
// The NATS C client (libnats 3.4) is thread-safe; its callbacks run in its own threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

struct __natsConnection;
struct __jsCtx;
struct jsOptions;

namespace bssap::stream {

struct stream_settings {
  std::string name = "BSSAP_EVENTS";
  std::string subject_prefix = "bssap.events";  // subjects <prefix>.<shard>
  std::size_t shards = 8;                       // only when the stream is created
  int replicas = 1;
  std::string retention = "limits";  // limits | interest | workqueue
  std::int64_t max_bytes = -1;       // -1: no limit
  std::int64_t max_age_s = 7 * 86400;
  std::int64_t duplicate_window_s = 120;  // the server drops a Nats-Msg-Id it saw this recently
};

// "nats://HOST:PORT" (or HOST:PORT): "" when usable, else what is wrong.
std::string check_server_url(const std::string& url);

class link {
 public:
  link() = default;
  ~link();
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  // Starts connecting (returns at once; the connection comes up when a server answers). The
  // jsOptions (publish-async settings) may be null. False with `error` on bad options.
  bool open(const std::vector<std::string>& servers, const std::string& name, jsOptions* js_options,
            std::string& error);
  bool connected() const noexcept;
  // Set by the client when a connection came back after a loss (the caller clears it).
  std::atomic<bool> reconnected{false};
  std::atomic<std::uint64_t> reconnects{0};   // every connection regained after a loss
  std::atomic<std::uint64_t> disconnects{0};  // losses (not counting close())
  std::atomic<bool> closing{false};
  __natsConnection* connection() const noexcept { return _nc; }
  __jsCtx* js() const noexcept { return _js; }
  void close() noexcept;

 private:
  __natsConnection* _nc = nullptr;
  __jsCtx* _js = nullptr;
};

// Creates the stream when missing (subjects <prefix>.*, file storage); returns its shard count
// through `shards` (from an existing stream's description, else settings.shards). False with
// `error` when the server refuses or does not answer.
bool ensure_stream(link& l, const stream_settings& settings, std::size_t& shards, std::string& error);

}  // namespace bssap::stream
