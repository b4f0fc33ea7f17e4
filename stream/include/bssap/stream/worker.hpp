// A trigger worker behind the event bus (bssap-probe trigger --consume ... --shards LIST):
//
//   JetStream BSSAP_EVENTS --durable pull consumer bssap-trigger-K (subject bssap.events.K)-->
//     reorder window K (reorder.hpp) --ts order--> campaign engine K --decisions, messages-->
//
// One thread, consumer, window and engine per shard it runs. A message is acknowledged only
// after the engine has committed the decisions of every event released up to it (engine
// flush(): its store's transaction), so a worker killed at any point loses nothing: its
// replacement (started with the same state_dir) resumes each shard from the consumer's ack
// floor. It does so by recreating the consumer at ack floor + 1 and holding everything until it
// has caught up with what the stream held then, so the window puts the redelivered events back
// in the same order; the engine skips the ones it had already committed (campaigns.md "Exactly
// once": a decision is (campaign, event_id), and an event it has processed is skipped). The same
// resync follows every reconnection to the servers, since acknowledgements and deliveries in
// flight may have been lost with the connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "bssap/stream/jetstream.hpp"
#include "bssap/stream/reorder.hpp"

namespace bssap::stream {

struct worker_config {
  std::vector<std::string> servers;
  stream_settings stream;
  std::vector<std::size_t> shards;  // the shards this worker runs
  std::string config_path;          // probe.yaml
  std::string decisions_path;       // "" none, "-" stdout
  reorder_config reorder;
  std::int64_t ack_wait_s = 120;  // a held message is redelivered after this (and dropped as a copy)
  std::string durable_prefix = "bssap-trigger";
  double idle_exit_s = 0;  // > 0: stop once every source has ended, nothing is held and the stream was quiet this long
  double stats_s = 0;      // > 0: a line per shard to stderr this often
  const std::atomic<bool>* stop = nullptr;
};

// Runs until `stop` (or the idle exit). Prints warnings and the summary to stderr. False with
// `error` on a fatal problem (bad configuration, a store that cannot commit).
bool run_worker(const worker_config& config, std::string& error);

// "0,2,5-7" -> {0, 2, 5, 6, 7}; false with `error` on a malformed list.
bool parse_shard_list(const std::string& text, std::vector<std::size_t>& out, std::string& error);

}  // namespace bssap::stream
