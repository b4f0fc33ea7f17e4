// The probe's JetStream publisher against a real nats-server (stream/include/bssap/stream/publisher.hpp):
// live capture spools while no server answers and sends the spool when one does (also after a
// restart of the probe), a full spool drops and counts, and a republished event is dropped by the
// server by its Nats-Msg-Id.
#include <arpa/inet.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <catch2/catch.hpp>

#include <string>

#include "../triggers/smpp/proc.hpp"
#include "bssap/stream/publisher.hpp"
#include "loopback.hpp"

namespace fs = std::filesystem;
using namespace bssap;
using namespace bssap::test;
using namespace std::chrono_literals;

namespace {

event numbered(int i) {
  event e;
  e.ts_us = 1'800'000'000'000'000 + i * 1000;
  e.type = event_type::periodic_update;
  e.imsi.assign("46000" + std::to_string(1000000000 + i));
  e.set(f_imsi);
  return e;
}

stream::publisher_config live_config(int port, const fs::path& spool) {
  stream::publisher_config c;
  c.servers = {"nats://127.0.0.1:" + std::to_string(port)};
  c.source = "test";
  c.lossless = false;
  c.spool_path = spool.string();
  c.stream.shards = 2;
  c.ack_timeout_ms = 1000;
  c.shard_of = [](const event& e, std::size_t n) { return static_cast<std::size_t>(e.ts_us / 1000) % n; };
  c.event_id_of = [](const event& e) { return std::to_string(e.ts_us); };
  return c;
}

// Events (not marks) in the stream: the messages on its subjects minus the marks, read here as
// the stream's message count of payloads with kind 1 would need a consumer; the test publishes
// events whose count it knows, so the stream's total against the marks' upper bound is enough.
std::uint64_t stream_messages(int port) {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  jsStreamInfo* si = nullptr;
  std::uint64_t n = 0;
  const std::string url = "nats://127.0.0.1:" + std::to_string(port);
  if (natsConnection_ConnectTo(&nc, url.c_str()) == NATS_OK && natsConnection_JetStream(&js, nc, nullptr) == NATS_OK &&
      js_GetStreamInfo(&si, js, "BSSAP_EVENTS", nullptr, nullptr) == NATS_OK) {
    n = si->State.Msgs;
    jsStreamInfo_Destroy(si);
  }
  if (js != nullptr) jsCtx_Destroy(js);
  if (nc != nullptr) natsConnection_Destroy(nc);
  return n;
}

}  // namespace

TEST_CASE("publisher: live spools while no server answers, sends the spool when one does", "[stream][nats]") {
  if (std::system("nats-server --version >/dev/null 2>&1") != 0)
    BSSAP_SKIP_OR_FAIL("nats-server is not installed (scripts/setup.sh)");
  const fs::path dir = scratch("publisher-spool");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const int port = free_port();
  const fs::path spool = dir / "publish-spool.bin";

  // 1. No server: a live probe goes on, its events wait in the spool; it stops with them there.
  {
    stream::publisher p(live_config(port, spool));
    std::string error;
    REQUIRE(p.start(error));
    for (int i = 0; i < 300; ++i) p.on_event(numbered(i));
    REQUIRE(wait_until([&] { return p.counters().spooled == 300; }, 10s));
    REQUIRE(p.finish(false, error));
    CHECK(p.counters().published == 0);
  }
  REQUIRE(fs::file_size(spool) > 0);

  // 2. Restarted, with a server: the spool goes first, then new events; a repeat is dropped by
  // the server (same Nats-Msg-Id).
  child server({"nats-server", "-js", "-sd", (dir / "js").string(), "-a", "127.0.0.1", "-p", std::to_string(port)},
               dir / "nats.log", dir / "nats.log");
  REQUIRE(wait_until([&] { return port_open(port); }, 10s));
  {
    stream::publisher p(live_config(port, spool));
    std::string error;
    REQUIRE(p.start(error));
    for (int i = 300; i < 400; ++i) p.on_event(numbered(i));
    p.on_event(numbered(0));  // sent once from the spool already
    REQUIRE(wait_until([&] { return p.counters().spool_sent == 300 && p.counters().acknowledged >= 401; }, 20s));
    REQUIRE(p.finish(true, error));
    const auto c = p.counters();
    CHECK(c.spool_dropped == 0);
    CHECK(c.queue_dropped == 0);
    CHECK(c.duplicates == 1);
    CHECK(c.acknowledged == c.published - c.resent);
  }
  CHECK(fs::file_size(spool) == 0);
  // 400 events and, per shard (2), at most one mark per 200 ms and an end mark.
  const auto stored = stream_messages(port);
  CHECK(stored >= 400 + 2);
  CHECK(stored <= 400 + 2 * 60);

  // 3. A full spool: every event beyond it dropped and counted.
  server.stop(SIGTERM);
  {
    auto cfg = live_config(port, dir / "small-spool.bin");
    cfg.spool_max_bytes = 1000;
    stream::publisher p(cfg);
    std::string error;
    REQUIRE(p.start(error));
    for (int i = 0; i < 200; ++i) p.on_event(numbered(i));
    REQUIRE(wait_until([&] { return p.counters().spooled + p.counters().spool_dropped == 200; }, 10s));
    const auto c = p.counters();
    CHECK(c.spooled > 0);
    CHECK(c.spool_dropped > 0);
    CHECK(fs::file_size(dir / "small-spool.bin") <= 1000);
    REQUIRE(p.finish(false, error));
  }
}
