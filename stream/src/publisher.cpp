// The probe's JetStream publisher (see publisher.hpp).
#include "bssap/stream/publisher.hpp"

#include <fmt/format.h>
#include <nats/nats.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "bssap/stream/payload.hpp"

namespace bssap::stream {
namespace {

using clock_type = std::chrono::steady_clock;

void pause_for(std::chrono::microseconds d) {
  std::this_thread::sleep_for(d);
}

}  // namespace

struct publisher::impl {
  explicit impl(publisher_config c) : cfg(std::move(c)), queue(cfg.queue_capacity) {}

  publisher_config cfg;
  boost::lockfree::spsc_queue<event> queue;
  link l;
  jsOptions js_options{};
  jsPubOptions pub_options{};
  std::thread thread;
  std::atomic<bool> stopping{false}, input_ended{false}, done{false};
  std::atomic<bool> failed{false};
  std::size_t shards = 0;
  bool stream_ready = false;
  clock_type::time_point next_stream_try{};
  std::mutex retry_mutex;
  std::vector<natsMsg*> retries;  // refused or unacknowledged: published again
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::uint64_t> queued{0}, queue_dropped{0}, published{0}, acknowledged{0}, duplicates{0}, resent{0},
      spooled{0}, spool_sent{0}, spool_dropped{0};
  std::FILE* spool = nullptr;
  std::uint64_t spool_bytes = 0;
  std::int64_t latest_ts = 0;
  bool have_ts = false;
  std::int64_t marked_ts = 0;
  bool marked = false;
  clock_type::time_point next_mark{};
  std::mutex error_mutex;
  std::string last_error;
  std::uint64_t errors_logged = 0;
  std::string payload, subject;

  void log_error(const std::string& what) {
    std::lock_guard lock(error_mutex);
    last_error = what;
    // The first few, then one in a thousand: a long outage does not flood stderr.
    if (errors_logged++ < 5 || errors_logged % 1000 == 0)
      std::fprintf(stderr, "bssap-probe: warning: publish: %s\n", what.c_str());
  }

  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto& m = *static_cast<impl*>(closure);
    if (pa != nullptr) {
      m.acknowledged.fetch_add(1, std::memory_order_relaxed);
      if (pa->Duplicate) m.duplicates.fetch_add(1, std::memory_order_relaxed);
      natsMsg_Destroy(msg);
    } else {
      if (pae != nullptr)
        m.log_error(fmt::format("{} (JetStream error {}), published again",
                                pae->ErrText != nullptr ? pae->ErrText : natsStatus_GetText(pae->Err),
                                static_cast<int>(pae->ErrCode)));
      std::lock_guard lock(m.retry_mutex);
      m.retries.push_back(msg);  // ours now (the handler's contract): published again later
    }
    m.in_flight.fetch_sub(1, std::memory_order_acq_rel);
  }

  // --- the spool: [u32 little-endian length][payload] records ----------------------------------
  bool open_spool(std::string& error) {
    if (cfg.lossless || cfg.spool_path.empty()) return true;
    spool = std::fopen(cfg.spool_path.c_str(), "a+b");
    if (spool == nullptr) {
      error = fmt::format("{}: cannot open the publish spool: {}", cfg.spool_path, std::strerror(errno));
      return false;
    }
    std::fseek(spool, 0, SEEK_END);
    spool_bytes = static_cast<std::uint64_t>(std::ftell(spool));
    return true;
  }
  void to_spool(const void* data, std::size_t size) {
    if (spool == nullptr || spool_bytes + size + 4 > cfg.spool_max_bytes) {
      if (spool_dropped.fetch_add(1, std::memory_order_relaxed) % 10000 == 0)
        std::fprintf(stderr,
                     "bssap-probe: warning: publish: no server reachable and the spool is full (%llu bytes): "
                     "events dropped (%llu so far)\n",
                     static_cast<unsigned long long>(spool_bytes),
                     static_cast<unsigned long long>(spool_dropped.load()));
      return;
    }
    const auto n = static_cast<std::uint32_t>(size);
    const unsigned char len[4] = {static_cast<unsigned char>(n), static_cast<unsigned char>(n >> 8),
                                  static_cast<unsigned char>(n >> 16), static_cast<unsigned char>(n >> 24)};
    if (std::fwrite(len, 1, 4, spool) != 4 || std::fwrite(data, 1, size, spool) != size) {
      log_error(fmt::format("{}: spool write error", cfg.spool_path));
      spool_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    spool_bytes += 4 + size;
    spooled.fetch_add(1, std::memory_order_relaxed);
  }
  // Reads the spool back and empties it; the records go out before any newer event.
  std::vector<std::string> take_spool() {
    std::vector<std::string> out;
    if (spool == nullptr || spool_bytes == 0) return out;
    std::fflush(spool);
    std::rewind(spool);
    unsigned char len[4];
    while (std::fread(len, 1, 4, spool) == 4) {
      const std::uint32_t n = len[0] | (len[1] << 8) | (len[2] << 16) | (static_cast<std::uint32_t>(len[3]) << 24);
      if (n > (1u << 20)) break;  // a torn record at the end of a crashed run's spool
      std::string p(n, '\0');
      if (std::fread(p.data(), 1, n, spool) != n) break;
      out.push_back(std::move(p));
    }
    if (ftruncate(fileno(spool), 0) != 0) log_error(fmt::format("{}: cannot empty the spool", cfg.spool_path));
    std::fseek(spool, 0, SEEK_END);
    spool_bytes = 0;
    return out;
  }

  // --- publishing -------------------------------------------------------------------------------
  natsMsg* message_for(const event& e) {
    payload.clear();
    encode_event(cfg.source, e, payload);
    subject = fmt::format("{}.{}", cfg.stream.subject_prefix, cfg.shard_of(e, shards));
    natsMsg* msg = nullptr;
    if (natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(), static_cast<int>(payload.size())) != NATS_OK)
      return nullptr;
    const std::string id = cfg.event_id_of(e);
    natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str());
    return msg;
  }
  natsMsg* mark_message(std::size_t shard, payload_kind kind, std::int64_t ts) {
    payload.clear();
    encode_progress(kind, cfg.source, ts, payload);
    subject = fmt::format("{}.{}", cfg.stream.subject_prefix, shard);
    natsMsg* msg = nullptr;
    if (natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(), static_cast<int>(payload.size())) != NATS_OK)
      return nullptr;
    return msg;
  }
  // Hands `msg` to the client (which then owns it). False when no server is connected: `msg`
  // stays the caller's.
  bool publish(natsMsg*& msg) {
    for (;;) {
      if (!l.connected()) return false;
      in_flight.fetch_add(1, std::memory_order_acq_rel);
      const natsStatus s = js_PublishMsgAsync(l.js(), &msg, &pub_options);
      if (s == NATS_OK) {
        published.fetch_add(1, std::memory_order_relaxed);
        return true;
      }
      in_flight.fetch_sub(1, std::memory_order_acq_rel);
      if (s == NATS_TIMEOUT) continue;  // max_pending unacknowledged: the stall wait ended, try again
      log_error(fmt::format("publish: {}", natsStatus_GetText(s)));
      pause_for(std::chrono::milliseconds(50));
      return false;
    }
  }
  // A message we hold (a retry) that cannot go now: live spools its payload, lossless keeps it.
  void keep(natsMsg* msg, std::vector<natsMsg*>& kept) {
    if (cfg.lossless) {
      kept.push_back(msg);
      return;
    }
    // Marks are not spooled: a later mark says more.
    const char* data = natsMsg_GetData(msg);
    const int size = natsMsg_GetDataLength(msg);
    const auto m = decode(std::string_view(data, static_cast<std::size_t>(size)));
    if (m && m->kind == payload_kind::event) to_spool(data, static_cast<std::size_t>(size));
    natsMsg_Destroy(msg);
  }

  bool ready() {
    if (!l.connected()) return false;
    if (stream_ready) return true;
    const auto now = clock_type::now();
    if (now < next_stream_try) return false;
    std::string error;
    std::size_t n = 0;
    if (!ensure_stream(l, cfg.stream, n, error)) {
      log_error(error);
      next_stream_try = now + std::chrono::milliseconds(500);
      return false;
    }
    shards = n;
    stream_ready = true;
    return true;
  }

  // Returns true when it did some work.
  bool step() {
    bool worked = false;
    const bool up = ready();
    if (up && l.reconnected.exchange(false)) {
      // What was in flight when the connection dropped: acknowledged now, or timed out into the
      // retries, before anything newer goes (keeps a probe's events in order in the stream).
      jsPubOptions wait;
      jsPubOptions_Init(&wait);
      wait.MaxWait = cfg.ack_timeout_ms + 1000;
      (void)js_PublishAsyncComplete(l.js(), &wait);
    }
    std::vector<natsMsg*> again;
    {
      std::lock_guard lock(retry_mutex);
      again.swap(retries);
    }
    std::vector<natsMsg*> kept;
    // A refusal comes back at once (no responders while a cluster elects the stream's leader):
    // a short pause per round of resends instead of a busy loop.
    if (!again.empty()) pause_for(std::chrono::milliseconds(50));
    for (auto* msg : again) {
      worked = true;
      if (up && publish(msg)) {
        resent.fetch_add(1, std::memory_order_relaxed);
      } else {
        keep(msg, kept);
      }
    }
    if (!kept.empty()) {
      std::lock_guard lock(retry_mutex);
      retries.insert(retries.begin(), kept.begin(), kept.end());
      pause_for(std::chrono::milliseconds(20));
      return true;  // lossless and not connected: nothing newer goes before these
    }
    if (up && spool_bytes > 0) {
      auto records = take_spool();
      for (std::size_t i = 0; i < records.size(); ++i) {
        const auto m = decode(records[i]);
        if (!m || m->kind != payload_kind::event) continue;
        natsMsg* msg = message_for(m->ev);
        if (msg == nullptr) continue;
        if (publish(msg)) {
          spool_sent.fetch_add(1, std::memory_order_relaxed);
        } else {
          natsMsg_Destroy(msg);
          for (std::size_t j = i; j < records.size(); ++j) to_spool(records[j].data(), records[j].size());
          break;
        }
      }
      worked = true;
    }
    if (!up && cfg.lossless) return false;  // replay waits for a server (the queue backs up)
    for (int n = 0; n < 256; ++n) {
      event e;
      if (!queue.pop(e)) break;
      worked = true;
      if (!have_ts || e.ts_us > latest_ts) latest_ts = e.ts_us;
      have_ts = true;
      if (!up) {
        payload.clear();
        encode_event(cfg.source, e, payload);
        to_spool(payload.data(), payload.size());
        continue;
      }
      natsMsg* msg = message_for(e);
      if (msg == nullptr) continue;
      if (!publish(msg)) {
        if (cfg.lossless) {
          std::lock_guard lock(retry_mutex);
          retries.push_back(msg);
          break;
        }
        keep(msg, kept);
      }
    }
    if (spool != nullptr) std::fflush(spool);
    const auto now = clock_type::now();
    if (!cfg.lossless) {
      // Live: the capture clock moves on without events (packets are stamped with the wall
      // clock), so a quiet probe does not hold the workers back. One second behind it, for what
      // is still between the capture and this thread.
      const std::int64_t live_ts =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count() -
          1'000'000;
      if (!have_ts || live_ts > latest_ts) latest_ts = live_ts;
      have_ts = true;
    }
    if (up && have_ts && now >= next_mark && (!marked || marked_ts != latest_ts)) {
      next_mark = now + std::chrono::milliseconds(200);
      send_marks(payload_kind::mark);
    }
    return worked;
  }

  void send_marks(payload_kind kind) {
    for (std::size_t k = 0; k < shards; ++k) {
      natsMsg* msg = mark_message(k, kind, have_ts ? latest_ts : 0);
      if (msg != nullptr && !publish(msg)) natsMsg_Destroy(msg);
    }
    marked = true;
    marked_ts = latest_ts;
  }

  bool settled() {
    std::lock_guard lock(retry_mutex);
    return retries.empty() && in_flight.load() == 0;
  }

  void run() {
    while (!stopping.load(std::memory_order_acquire)) {
      if (!step()) pause_for(std::chrono::microseconds(500));
    }
    // Stopping: what is queued goes (lossless: until the stream has acknowledged everything).
    const auto deadline = clock_type::now() + std::chrono::milliseconds(cfg.ack_timeout_ms * 2);
    for (;;) {
      const bool worked = step();
      const bool empty = queue.read_available() == 0 && spool_bytes == 0;
      if (empty && settled()) break;
      if (!cfg.lossless && clock_type::now() > deadline) break;
      if (!worked) pause_for(std::chrono::milliseconds(1));
    }
    if (input_ended.load() && ready()) {
      send_marks(payload_kind::end);
      const auto end_deadline = clock_type::now() + std::chrono::milliseconds(cfg.ack_timeout_ms * 2);
      while (!settled() && (cfg.lossless || clock_type::now() < end_deadline)) {
        (void)step();
        pause_for(std::chrono::milliseconds(1));
      }
    }
    if (!cfg.lossless) {
      // Live: what the stream has not acknowledged waits in the spool for the next start.
      natsMsgList pending{};
      // (libnats 3.4 crashes in this call when nothing was ever published asynchronously.)
      if (l.js() != nullptr && published.load() > 0 && in_flight.load() > 0 &&
          js_PublishAsyncGetPendingList(&pending, l.js()) == NATS_OK) {
        for (int i = 0; i < pending.Count; ++i) {
          std::vector<natsMsg*> unused;
          keep(pending.Msgs[i], unused);
          pending.Msgs[i] = nullptr;
        }
        natsMsgList_Destroy(&pending);
      }
      std::lock_guard lock(retry_mutex);
      for (auto* msg : retries) {
        std::vector<natsMsg*> unused;
        keep(msg, unused);
      }
      retries.clear();
      event e;
      while (queue.pop(e)) {
        payload.clear();
        encode_event(cfg.source, e, payload);
        to_spool(payload.data(), payload.size());
      }
    }
    if (spool != nullptr) std::fflush(spool);
    done.store(true);
  }
};

publisher::publisher(publisher_config config) : _impl(std::make_unique<impl>(std::move(config))) {}

publisher::~publisher() {
  std::string ignored;
  (void)finish(false, ignored);
}

bool publisher::start(std::string& error) {
  auto& m = *_impl;
  if (m.cfg.servers.empty()) {
    error = "--publish: no server";
    return false;
  }
  for (const auto& s : m.cfg.servers) {
    error = check_server_url(s);
    if (!error.empty()) return false;
  }
  if (!m.cfg.shard_of || !m.cfg.event_id_of) {
    error = "publisher: shard and event_id functions are required";
    return false;
  }
  if (!m.open_spool(error)) return false;
  jsOptions_Init(&m.js_options);
  m.js_options.PublishAsync.MaxPending = m.cfg.max_pending;
  m.js_options.PublishAsync.AckHandler = &impl::on_ack;
  m.js_options.PublishAsync.AckHandlerClosure = &m;
  m.js_options.PublishAsync.StallWait = 200;
  jsPubOptions_Init(&m.pub_options);
  m.pub_options.MaxWait = m.cfg.ack_timeout_ms;  // an unacknowledged publish times out into the retries
  if (!m.l.open(m.cfg.servers, "bssap-probe " + m.cfg.source, &m.js_options, error)) return false;
  m.thread = std::thread([&m] { m.run(); });
  return true;
}

void publisher::on_event(const event& e) noexcept {
  auto& m = *_impl;
  if (m.queue.push(e)) {
    m.queued.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!m.cfg.lossless) {
    m.queue_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  while (!m.queue.push(e)) pause_for(std::chrono::microseconds(200));  // replay: wait for room
  m.queued.fetch_add(1, std::memory_order_relaxed);
}

bool publisher::finish(bool input_ended, std::string& error) {
  auto& m = *_impl;
  if (!m.thread.joinable()) return true;
  m.input_ended.store(input_ended);
  m.stopping.store(true, std::memory_order_release);
  m.thread.join();
  m.l.close();
  if (m.spool != nullptr) std::fclose(m.spool);
  m.spool = nullptr;
  if (m.cfg.lossless && m.acknowledged.load() < m.published.load() - m.resent.load()) {
    error = "publish: events not acknowledged by the stream";
    return false;
  }
  return true;
}

publisher_counters publisher::counters() const noexcept {
  const auto& m = *_impl;
  publisher_counters c;
  c.queued = m.queued.load();
  c.queue_dropped = m.queue_dropped.load();
  c.published = m.published.load();
  c.acknowledged = m.acknowledged.load();
  c.duplicates = m.duplicates.load();
  c.resent = m.resent.load();
  c.spooled = m.spooled.load();
  c.spool_sent = m.spool_sent.load();
  c.spool_dropped = m.spool_dropped.load();
  c.disconnects = m.l.disconnects.load();
  return c;
}

std::string publisher::summary() const {
  const auto c = counters();
  return fmt::format(
      "publish: {} events queued, {} messages published ({} again after a refusal or timeout), {} acknowledged "
      "({} duplicates dropped by the server); spool: {} in, {} sent, {} dropped; {} queue drops; {} disconnects",
      c.queued, c.published, c.resent, c.acknowledged, c.duplicates, c.spooled, c.spool_sent, c.spool_dropped,
      c.queue_dropped, c.disconnects);
}

}  // namespace bssap::stream
