// The trigger worker (see worker.hpp).
#include "bssap/stream/worker.hpp"

#include <fmt/format.h>
#include <nats/nats.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bssap/campaign/runtime.hpp"
#include "bssap/stream/payload.hpp"

namespace bssap::stream {
namespace {

using clock_type = std::chrono::steady_clock;

struct shard_counters {
  std::atomic<std::uint64_t> messages{0}, events{0}, marks{0}, bad{0}, resyncs{0}, acked{0}, flushes{0};
};

class shard_runner {
 public:
  shard_runner(const worker_config& cfg, std::size_t shard, link& l, shard_consumer& engine,
               const campaign::runtime& runtime, std::string state_dir, std::atomic<bool>& failed)
      : _cfg(cfg),
        _shard(shard),
        _l(l),
        _engine(engine),
        _runtime(runtime),
        _window(cfg.reorder),
        _failed(failed),
        _subject(fmt::format("{}.{}", cfg.stream.subject_prefix, shard)),
        _durable(fmt::format("{}-{}", cfg.durable_prefix, shard)),
        _sources_path((std::filesystem::path(state_dir) / fmt::format("stream-shard-{}.sources", shard)).string()) {
    std::ifstream in(_sources_path);
    std::stringstream text;
    text << in.rdbuf();
    _window.load(text.str());
  }
  ~shard_runner() {
    drop_subscription();
    _window.clear([](held_event& h) { natsMsg_Destroy(static_cast<natsMsg*>(h.handle)); });
    for (auto* m : _released) natsMsg_Destroy(m);
  }

  void run() {
    auto quiet_since = clock_type::now();
    auto last_flush = clock_type::now();
    auto next_stats = clock_type::now();
    bool need_resync = true;
    while (!stopping()) {
      if (need_resync || _l.reconnects.load() != _seen_reconnects) {
        need_resync = !resync();
        if (need_resync) {
          std::this_thread::sleep_for(std::chrono::milliseconds(250));
          continue;
        }
      }
      natsMsgList list{};
      jsErrCode jerr = static_cast<jsErrCode>(0);
      const natsStatus s = natsSubscription_Fetch(&list, _sub, fetch_batch(), 200, &jerr);
      bool idle = false;
      if (s == NATS_OK) {
        for (int i = 0; i < list.Count; ++i) {
          handle(list.Msgs[i]);
          list.Msgs[i] = nullptr;
        }
        natsMsgList_Destroy(&list);
        quiet_since = clock_type::now();
      } else if (s == NATS_TIMEOUT) {
        idle = true;
        // Caught up as far as the stream goes now (messages can expire meanwhile).
        if (_catching_up) end_catch_up();
      } else {
        // The connection is down or the consumer is gone: start again from the ack floor.
        need_resync = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      if (_catching_up && _catch_up_left == 0) end_catch_up();
      _window.release([this](held_event& h) { to_engine(h); });
      const auto now = clock_type::now();
      if (_released.size() >= 4096 ||
          (!_released.empty() && (idle || now - last_flush > std::chrono::milliseconds(500)))) {
        if (!flush_and_ack()) return;
        last_flush = now;
      }
      if (_cfg.stats_s > 0 && now >= next_stats) {
        next_stats = now + std::chrono::milliseconds(static_cast<std::int64_t>(_cfg.stats_s * 1000));
        std::fprintf(stderr, "%s\n", summary().c_str());
      }
      if (_cfg.idle_exit_s > 0 && idle && _window.all_ended() && _window.held() == 0 && _released.empty() &&
          now - quiet_since > std::chrono::milliseconds(static_cast<std::int64_t>(_cfg.idle_exit_s * 1000)))
        break;
    }
    // Stopping: what the engine has is committed and acknowledged; what the window holds is not
    // (the next start has it redelivered).
    (void)flush_and_ack();
  }

  std::string summary() const {
    const auto& c = _window.counters();
    return fmt::format(
        "trigger shard {}: {} messages ({} events, {} marks, {} bad), {} released ({} late, {} forced), {} held, {} "
        "duplicates while held, {} acknowledged, {} resyncs",
        _shard, _counters.messages.load(), _counters.events.load(), _counters.marks.load(), _counters.bad.load(),
        c.released, c.late, c.forced, _window.held(), c.duplicates, _counters.acked.load(), _counters.resyncs.load());
  }
  // p50 and p99 of capture to decision, microseconds; empty when no event was live.
  std::string latency() const {
    if (_latency_us.empty()) return {};
    auto v = _latency_us;
    std::sort(v.begin(), v.end());
    return fmt::format(
        "trigger shard {}: capture to decision over {} live events: p50 {:.1f} ms, p99 {:.1f} ms, max "
        "{:.1f} ms",
        _shard, v.size(), static_cast<double>(v[v.size() / 2]) / 1000.0,
        static_cast<double>(v[v.size() * 99 / 100]) / 1000.0, static_cast<double>(v.back()) / 1000.0);
  }
  std::uint64_t bad() const { return _counters.bad.load(); }
  std::uint64_t late() const { return _window.counters().late; }

 private:
  bool stopping() const { return (_cfg.stop != nullptr && _cfg.stop->load()) || _failed.load(); }

  // libnats 3.4.1 (Debian 12) overruns natsSubscription_Fetch's message array. _fetch first
  // takes the p messages already queued on the subscription (left over from an earlier pull
  // request whose Fetch had returned), then asks the server for B - p more and stores that
  // smaller figure back into the request; its loop then runs "while count != req->Batch", so
  // with p >= B/2 the count is already past it and every further message is written beyond the
  // B-pointer array until the timeout: heap corruption (seen as glibc "corrupted double-linked
  // list" / "malloc(): invalid size" aborts under load, valgrind: "Invalid write of size 8 in
  // _fetch, 0 bytes after a block of size 4,096"). Later nats.c keeps the original batch for
  // that loop (reported to us as nats.c #637, fixed in 3.6; the fix is in nats.c's js.c _fetch).
  // Workaround: a batch of 1 while messages are queued (p <= 1 = B: the array is filled and no
  // request is sent), the full batch only when none are (p = 0: the loop is right). Left open:
  // B/2 = 256 messages arriving between this check and _fetch's own (microseconds); not seen.
  int fetch_batch() const {
    int pending = 0;
    if (natsSubscription_GetPending(_sub, &pending, nullptr) != NATS_OK || pending > 0) return 1;
    return 512;
  }

  void end_catch_up() {
    _catching_up = false;
    _window.hold(false);
  }

  void handle(natsMsg* msg) {
    _counters.messages.fetch_add(1, std::memory_order_relaxed);
    if (_catch_up_left > 0) --_catch_up_left;
    jsMsgMetaData* meta = nullptr;
    std::uint64_t seq = 0;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      seq = meta->Sequence.Stream;
      jsMsgMetaData_Destroy(meta);
    }
    std::string why;
    const auto m =
        decode(std::string_view(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))), &why);
    if (!m) {
      // Damaged or of a later version: counted and taken off the consumer (it would come back
      // forever otherwise).
      if (_counters.bad.fetch_add(1) < 5)
        std::fprintf(stderr, "bssap-probe: warning: trigger shard %zu: stream message %llu refused: %s\n", _shard,
                     static_cast<unsigned long long>(seq), why.c_str());
      natsMsg_Term(msg, nullptr);
      natsMsg_Destroy(msg);
      return;
    }
    if (m->kind != payload_kind::event) {
      _counters.marks.fetch_add(1, std::memory_order_relaxed);
      _window.progress(m->source, m->ev.ts_us, m->kind == payload_kind::end);
      natsMsg_Ack(msg, nullptr);
      natsMsg_Destroy(msg);
      return;
    }
    _counters.events.fetch_add(1, std::memory_order_relaxed);
    held_event h;
    h.ev = m->ev;
    h.event_id = campaign::event_id_of(m->ev);
    h.seq = seq;
    h.handle = msg;
    if (!_window.add(m->source, std::move(h))) natsMsg_Destroy(msg);  // a redelivered copy
  }

  void to_engine(held_event& h) {
    _engine.on_event(h.ev);
    _released.push_back(static_cast<natsMsg*>(h.handle));
    _released_ts.push_back(h.ev.ts_us);
  }

  // The engine commits what it was given; only then are those messages acknowledged.
  bool flush_and_ack() {
    const auto errors_before = _runtime.totals().store_errors;
    _engine.flush();
    if (_runtime.totals().store_errors != errors_before) {
      std::fprintf(stderr, "bssap-probe: error: trigger shard %zu: the engine's store did not commit: stopping\n",
                   _shard);
      _failed.store(true);
      return false;
    }
    _counters.flushes.fetch_add(1, std::memory_order_relaxed);
    // Capture to decision: the wall clock now (decisions durable) minus the event's ts, for
    // events stamped within the last hour (a live capture; a replay's old times say nothing).
    const std::int64_t now_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    for (const auto ts : _released_ts)
      if (now_us - ts >= 0 && now_us - ts < 3'600'000'000 && _latency_us.size() < (1u << 22))
        _latency_us.push_back(now_us - ts);
    _released_ts.clear();
    save_sources();
    for (auto* m : _released) {
      natsMsg_Ack(m, nullptr);
      natsMsg_Destroy(m);
    }
    _counters.acked.fetch_add(_released.size(), std::memory_order_relaxed);
    _released.clear();
    return true;
  }

  void save_sources() {
    const std::string tmp = _sources_path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << _window.save();
      if (!out) return;
    }
    std::error_code ec;
    std::filesystem::rename(tmp, _sources_path, ec);
  }

  void drop_subscription() {
    if (_sub == nullptr) return;
    natsSubscription_Unsubscribe(_sub);
    natsSubscription_Destroy(_sub);
    _sub = nullptr;
  }

  // The consumer again at ack floor + 1, the window emptied and holding until caught up.
  bool resync() {
    if (!_l.connected()) return false;
    _counters.resyncs.fetch_add(1, std::memory_order_relaxed);
    _seen_reconnects = _l.reconnects.load();
    if (!flush_and_ack()) return false;
    _window.clear([](held_event& h) { natsMsg_Destroy(static_cast<natsMsg*>(h.handle)); });
    _window.reset_released();
    drop_subscription();
    jsConsumerInfo* ci = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    std::uint64_t floor = 0;
    natsStatus s = js_GetConsumerInfo(&ci, _l.js(), _cfg.stream.name.c_str(), _durable.c_str(), nullptr, &jerr);
    if (s == NATS_OK && ci != nullptr) {
      floor = ci->AckFloor.Stream;
      jsConsumerInfo_Destroy(ci);
      ci = nullptr;
      s = js_DeleteConsumer(_l.js(), _cfg.stream.name.c_str(), _durable.c_str(), nullptr, &jerr);
      if (s != NATS_OK && s != NATS_NOT_FOUND) return warn("delete consumer", s, jerr);
    } else if (s != NATS_NOT_FOUND) {
      return warn("consumer info", s, jerr);
    }
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = _durable.c_str();
    cc.FilterSubject = _subject.c_str();
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = _cfg.ack_wait_s * 1'000'000'000;
    cc.MaxAckPending = static_cast<std::int64_t>(_cfg.reorder.max_held) * 2 + 8192;
    if (floor > 0) {
      cc.DeliverPolicy = js_DeliverByStartSequence;
      cc.OptStartSeq = floor + 1;
    } else {
      cc.DeliverPolicy = js_DeliverAll;
    }
    s = js_AddConsumer(&ci, _l.js(), _cfg.stream.name.c_str(), &cc, nullptr, &jerr);
    if (s != NATS_OK) return warn("create consumer", s, jerr);
    _catch_up_left = ci->NumPending;
    jsConsumerInfo_Destroy(ci);
    _catching_up = _catch_up_left > 0;
    _window.hold(_catching_up);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = _cfg.stream.name.c_str();
    so.Consumer = _durable.c_str();
    s = js_PullSubscribe(&_sub, _l.js(), _subject.c_str(), _durable.c_str(), nullptr, &so, &jerr);
    if (s != NATS_OK) {
      _sub = nullptr;
      return warn("subscribe", s, jerr);
    }
    return true;
  }

  bool warn(const char* what, natsStatus s, jsErrCode jerr) {
    std::fprintf(stderr, "bssap-probe: warning: trigger shard %zu: %s: %s (JetStream error %d), trying again\n", _shard,
                 what, natsStatus_GetText(s), static_cast<int>(jerr));
    return false;
  }

  const worker_config& _cfg;
  std::size_t _shard;
  link& _l;
  shard_consumer& _engine;
  const campaign::runtime& _runtime;
  reorder_window _window;
  std::atomic<bool>& _failed;
  std::string _subject, _durable, _sources_path;
  natsSubscription* _sub = nullptr;
  std::vector<natsMsg*> _released;  // given to the engine, acknowledged at its next commit
  std::vector<std::int64_t> _released_ts;
  std::vector<std::int64_t> _latency_us;
  std::uint64_t _seen_reconnects = 0;
  std::uint64_t _catch_up_left = 0;
  bool _catching_up = false;
  shard_counters _counters;
};

}  // namespace

bool parse_shard_list(const std::string& text, std::vector<std::size_t>& out, std::string& error) {
  out.clear();
  std::string_view rest = text;
  auto number = [&](std::string_view s, std::size_t& v) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
  };
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const auto dash = item.find('-');
    std::size_t a = 0, b = 0;
    if (dash == std::string_view::npos
            ? !number(item, a)
            : !number(item.substr(0, dash), a) || !number(item.substr(dash + 1), b) || b < a) {
      error = fmt::format("--shards: \"{}\" is not a shard or a range A-B", item);
      return false;
    }
    if (dash == std::string_view::npos) b = a;
    for (std::size_t k = a; k <= b; ++k) {
      if (std::find(out.begin(), out.end(), k) != out.end()) {
        error = fmt::format("--shards: shard {} given twice", k);
        return false;
      }
      out.push_back(k);
    }
  }
  if (out.empty()) {
    error = "--shards: empty list";
    return false;
  }
  return true;
}

bool run_worker(const worker_config& cfg, std::string& error) {
  link l;
  if (cfg.servers.empty()) {
    error = "--consume: no server";
    return false;
  }
  for (const auto& s : cfg.servers) {
    error = check_server_url(s);
    if (!error.empty()) return false;
  }
  if (!l.open(cfg.servers, "bssap-probe trigger", nullptr, error)) return false;
  // The shard count is the stream's: wait for a server, then read it (or create the stream).
  std::size_t shards = 0;
  for (auto next_warning = clock_type::now();;) {
    if (cfg.stop != nullptr && cfg.stop->load()) return true;
    std::string why;
    if (l.connected() && ensure_stream(l, cfg.stream, shards, why)) break;
    if (clock_type::now() >= next_warning) {
      std::fprintf(stderr, "bssap-probe: warning: trigger: waiting for the stream %s: %s\n", cfg.stream.name.c_str(),
                   why.empty() ? "no server reachable" : why.c_str());
      next_warning = clock_type::now() + std::chrono::seconds(10);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (const auto k : cfg.shards)
    if (k >= shards) {
      error = fmt::format("--shards: shard {} is not one of the stream's 0..{}", k, shards - 1);
      return false;
    }
  campaign::runtime rt;
  campaign::runtime_options ro;
  ro.config_path = cfg.config_path;
  ro.shards = shards;
  ro.owned_shards = cfg.shards;
  ro.decisions_path = cfg.decisions_path;
  ro.ordered_log = false;  // a worker runs until stopped: lines as each batch commits
  std::vector<std::string> warnings;
  const bool started = rt.start(ro, warnings, error);
  for (const auto& w : warnings) std::fprintf(stderr, "bssap-probe: warning: %s\n", w.c_str());
  if (!started) return false;
  auto consumers = rt.consumers();
  std::atomic<bool> failed{false};
  std::vector<std::unique_ptr<shard_runner>> runners;
  for (std::size_t i = 0; i < cfg.shards.size(); ++i)
    runners.push_back(
        std::make_unique<shard_runner>(cfg, cfg.shards[i], l, *consumers[i], rt, rt.config().state_dir, failed));
  std::vector<std::thread> threads;
  for (auto& r : runners) threads.emplace_back([p = r.get()] { p->run(); });
  for (auto& t : threads) t.join();
  for (const auto& r : runners) {
    std::fprintf(stderr, "%s\n", r->summary().c_str());
    if (const auto l = r->latency(); !l.empty()) std::fprintf(stderr, "%s\n", l.c_str());
  }
  std::string finish_error;
  const bool finished = rt.finish(finish_error);
  std::fprintf(stderr, "%s\n", rt.summary().c_str());
  runners.clear();
  l.close();
  if (failed.load()) {
    error = "trigger: an engine's store failed (see above); unacknowledged events come again at the next start";
    return false;
  }
  if (!finished) {
    error = finish_error;
    return false;
  }
  return true;
}

}  // namespace bssap::stream
