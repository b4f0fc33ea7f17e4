// SMPP 3.4 ESME client. References: SMPP v3.4 2.3 (sessions and binds), 2.6/2.8 (windowing:
// several outstanding requests per session), 4.1 bind, 4.2 unbind, 4.3 generic_nack,
// 4.4 submit_sm, 4.6 deliver_sm, 4.11 enquire_link, 5.1.3 (ESME_RTHROTTLED, ESME_RMSGQFUL),
// Appendix B (delivery receipt text).
//
// Threads: one I/O thread per session, each owning its socket, read/write buffers and window.
// Shared between them: the dispatcher (queue of encoded parts + token bucket), the tracker
// (message/part state, SMSC message id -> part) and the outbox (SQLite); each behind one mutex,
// taken once per poll iteration for a whole batch.
#include "bssap/smpp/client.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

namespace bssap::smpp {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

std::int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Log-linear histogram of microseconds: 16 sub-buckets per power of two (<= 6 % error).
class latency_histogram {
 public:
  void add(std::uint64_t us) noexcept {
    _buckets[index(us)].fetch_add(1, std::memory_order_relaxed);
    _sum.fetch_add(us, std::memory_order_relaxed);
    std::uint64_t prev = _max.load(std::memory_order_relaxed);
    while (us > prev && !_max.compare_exchange_weak(prev, us, std::memory_order_relaxed)) {
    }
  }
  void percentiles(double& p50, double& p99, double& max, std::uint64_t& n) const noexcept {
    n = 0;
    for (const auto& b : _buckets) n += b.load(std::memory_order_relaxed);
    max = static_cast<double>(_max.load(std::memory_order_relaxed));
    p50 = value_at(n, 0.50);
    p99 = value_at(n, 0.99);
  }
  // Cumulative counts at the powers of two 2^0 .. 2^(n-1) microseconds (bucket edges, so exact),
  // then +Inf; and the sum: a Prometheus histogram.
  void cumulative(std::vector<std::pair<double, std::uint64_t>>& out, std::uint64_t& sum_us) const {
    out.clear();
    std::uint64_t seen = 0;
    std::size_t i = 0;
    for (int k = 0; k <= 24; ++k) {
      const double edge = std::ldexp(1.0, k);
      for (; i < bucket_count && lower_bound_of(i) < edge; ++i) seen += _buckets[i].load(std::memory_order_relaxed);
      out.emplace_back(edge, seen);
    }
    for (; i < bucket_count; ++i) seen += _buckets[i].load(std::memory_order_relaxed);
    out.emplace_back(std::numeric_limits<double>::infinity(), seen);
    sum_us = _sum.load(std::memory_order_relaxed);
  }

 private:
  static constexpr std::size_t sub = 16;
  static std::size_t index(std::uint64_t v) noexcept {
    if (v < sub) return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v);
    const std::size_t i = static_cast<std::size_t>(msb - 3) * sub + ((v >> (msb - 4)) & (sub - 1));
    return std::min(i, bucket_count - 1);
  }
  static double lower_bound_of(std::size_t i) noexcept {
    if (i < sub) return static_cast<double>(i);
    const std::size_t msb = i / sub + 3;
    const std::size_t frac = i % sub;
    return std::ldexp(1.0, static_cast<int>(msb)) +
           static_cast<double>(frac) * std::ldexp(1.0, static_cast<int>(msb - 4));
  }
  double value_at(std::uint64_t n, double q) const noexcept {
    if (n == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += _buckets[i].load(std::memory_order_relaxed);
      if (seen >= rank) return lower_bound_of(i);
    }
    return static_cast<double>(_max.load());
  }
  static constexpr std::size_t bucket_count = 64 * sub;
  std::array<std::atomic<std::uint64_t>, bucket_count> _buckets{};
  std::atomic<std::uint64_t> _max{0};
  std::atomic<std::uint64_t> _sum{0};
};

// One part, encoded as a whole submit_sm PDU whose sequence number is set when it is sent.
struct part_job {
  std::uint64_t id = 0;
  std::uint8_t seq = 1;
  std::uint8_t total = 1;
  std::int64_t event_ns = 0;
  std::vector<std::uint8_t> pdu;
};

// The queue of parts waiting for a window slot, and the submit-rate token bucket.
class dispatcher {
 public:
  void set_rate(double tps) {
    _tps = tps;
    _burst = std::max(1.0, tps / 50);  // at most 20 ms worth of submits in one burst
    _tokens = _burst;
    _last = steady::now();
  }
  void push_back(std::vector<part_job>&& jobs) {
    std::lock_guard lock(_mutex);
    for (auto& j : jobs) _queue.push_back(std::move(j));
  }
  void push_front(std::vector<part_job>&& jobs) {
    std::lock_guard lock(_mutex);
    // Keep their relative order: insert the batch as a block at the front.
    _queue.insert(_queue.begin(), std::make_move_iterator(jobs.begin()), std::make_move_iterator(jobs.end()));
  }
  // Takes up to `max` parts the rate allows. `wait` says when the next token comes if none.
  std::size_t take(std::size_t max, std::vector<part_job>& out, steady::time_point now, steady::duration& wait) {
    std::lock_guard lock(_mutex);
    wait = steady::duration::zero();
    if (_queue.empty() || max == 0) return 0;
    std::size_t allowed = max;
    if (_tps > 0) {
      const double elapsed = std::chrono::duration<double>(now - _last).count();
      _last = now;
      _tokens = std::min(_burst, _tokens + elapsed * _tps);
      allowed = std::min<std::size_t>(max, static_cast<std::size_t>(_tokens));
      if (allowed == 0) {
        wait = std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>((1.0 - _tokens) / _tps));
        return 0;
      }
    }
    std::size_t n = 0;
    while (n < allowed && !_queue.empty()) {
      out.push_back(std::move(_queue.front()));
      _queue.pop_front();
      ++n;
    }
    if (_tps > 0) _tokens -= static_cast<double>(n);
    return n;
  }
  std::size_t size() const {
    std::lock_guard lock(_mutex);
    return _queue.size();
  }

 private:
  mutable std::mutex _mutex;
  std::deque<part_job> _queue;
  double _tps = 0, _burst = 1, _tokens = 1;
  steady::time_point _last = steady::now();
};

// What a session saw in one poll iteration, applied to the tracker and outbox as one batch.
struct session_event {
  enum class kind : std::uint8_t { ack, fail, receipt } what = kind::ack;
  std::uint64_t id = 0;
  std::uint8_t seq = 0;
  std::string smsc_id;
  std::uint32_t command_status = 0;
  message_state state = message_state::unknown;
  std::string err;
};

enum class role : std::uint8_t { transceiver, transmitter, receiver };

}  // namespace

// Message and part state shared by the sessions (receipts may arrive on another session).
class tracker {
 public:
  struct track {
    std::string client_ref;
    std::uint8_t total = 1;
    bool want_receipt = true;
    std::vector<std::uint8_t> part;  // 0 waiting, 1 acked, 2 failed, 3 final receipt
    std::uint32_t fail_status = 0;
    std::uint8_t answered = 0, finals = 0;
  };

  void add(std::uint64_t id, std::string client_ref, std::uint8_t total, bool want_receipt) {
    std::lock_guard lock(_mutex);
    auto& t = _messages[id];
    t.client_ref = std::move(client_ref);
    t.total = total;
    t.want_receipt = want_receipt;
    t.part.assign(total, 0);
  }
  void restore_part(std::uint64_t id, const part_row& r) {
    std::lock_guard lock(_mutex);
    auto it = _messages.find(id);
    if (it == _messages.end() || r.seq == 0 || r.seq > it->second.total) return;
    auto& t = it->second;
    std::uint8_t& p = t.part[r.seq - 1];
    if (r.status != 0) {
      p = 2;
      t.fail_status = r.status;
      ++t.answered;
      return;
    }
    ++t.answered;
    if (r.receipt_state != 0 && is_final(static_cast<message_state>(r.receipt_state))) {
      p = 3;
      ++t.finals;
    } else {
      p = 1;
      if (!r.smsc_id.empty()) _by_smsc[r.smsc_id] = {id, r.seq};
    }
  }

  // Applies a batch: fills outbox updates and the callbacks to run once they are durable.
  void apply(std::vector<session_event>& events, std::vector<outbox_update>& updates,
             std::vector<receipt_event>& receipts, std::vector<submit_failure>& failures, std::uint64_t& unmatched) {
    std::lock_guard lock(_mutex);
    const auto now = steady::now();
    if (now - _last_purge > std::chrono::seconds(1)) {
      _last_purge = now;
      for (auto o = _orphans.begin(); o != _orphans.end();) {
        if (now - o->second.since > orphan_max_age) {
          ++unmatched;
          o = _orphans.erase(o);
        } else {
          ++o;
        }
      }
    }
    for (std::size_t i = 0; i < events.size(); ++i) {
      auto& e = events[i];
      if (e.what == session_event::kind::receipt) {
        auto it = _by_smsc.find(e.smsc_id);
        if (it == _by_smsc.end()) {
          // The submit_sm_resp may still be in another session's batch: keep it a while.
          // (A receipt for a copy whose ack was lost in a crash never matches: it ages out.)
          if (_orphans.size() >= orphan_limit) {
            ++unmatched;
          } else {
            const std::string key = e.smsc_id;
            _orphans.emplace(key, orphan{std::move(e), steady::now()});
          }
          continue;
        }
        const auto [id, seq] = it->second;
        auto mt = _messages.find(id);
        if (mt == _messages.end()) {
          _by_smsc.erase(it);
          ++unmatched;
          continue;
        }
        auto& t = mt->second;
        updates.push_back({outbox_update::kind::receipt, id, seq, {}, 0, static_cast<int>(e.state)});
        receipt_event r{id, t.client_ref, seq, t.total, e.smsc_id, e.state, e.err, false};
        if (is_final(e.state)) {
          _by_smsc.erase(it);
          if (t.part[seq - 1] != 3) {
            t.part[seq - 1] = 3;
            ++t.finals;
          }
        }
        if (t.finals == t.total) {
          r.message_final = true;
          updates.push_back({outbox_update::kind::message_state, id, 0, {}, 0, row_state::final});
          _messages.erase(mt);
        }
        receipts.push_back(std::move(r));
        continue;
      }
      // `events` may grow below (orphans re-queued): copy what is used after that.
      const std::uint64_t id = e.id;
      auto mt = _messages.find(id);
      if (mt == _messages.end() || e.seq == 0 || e.seq > mt->second.total) continue;
      auto& t = mt->second;
      auto& p = t.part[e.seq - 1];
      if (p != 0) continue;  // answered already (a resend acknowledged twice): first answer wins
      ++t.answered;
      if (e.what == session_event::kind::ack) {
        p = 1;
        updates.push_back({outbox_update::kind::ack, e.id, e.seq, e.smsc_id, 0, 0});
        if (t.want_receipt) {
          _by_smsc[e.smsc_id] = {e.id, e.seq};
          // A receipt that overtook this ack on another session can be matched now.
          if (auto o = _orphans.find(e.smsc_id); o != _orphans.end()) {
            events.push_back(std::move(o->second.event));  // invalidates `e`: not used below
            _orphans.erase(o);
          }
        }
      } else {
        p = 2;
        t.fail_status = e.command_status;
        updates.push_back({outbox_update::kind::fail, e.id, e.seq, {}, e.command_status, 0});
        failures.push_back({e.id, t.client_ref, e.seq, e.command_status});
      }
      if (t.answered == t.total) {
        const bool failed = t.fail_status != 0;
        const int state = failed ? row_state::failed : (t.want_receipt ? row_state::submitted : row_state::final);
        updates.push_back({outbox_update::kind::message_state, id, 0, {}, t.fail_status, state});
        if (state != row_state::submitted) {
          // Failed (or no receipt asked for): receipts for its acknowledged parts, if any
          // come, are counted as unmatched.
          _messages.erase(mt);
        }
      }
    }
  }

 private:
  struct orphan {
    session_event event;
    steady::time_point since;
  };
  static constexpr std::size_t orphan_limit = 65536;
  static constexpr auto orphan_max_age = std::chrono::seconds(30);
  steady::time_point _last_purge = steady::now();
  std::mutex _mutex;
  std::unordered_map<std::uint64_t, track> _messages;
  std::unordered_map<std::string, std::pair<std::uint64_t, std::uint8_t>> _by_smsc;
  std::unordered_map<std::string, orphan> _orphans;
};

class session;

struct client::impl {
  explicit impl(client_config c) : cfg(std::move(c)) {}

  client_config cfg;
  outbox store;
  dispatcher queue;
  tracker tracks;
  std::vector<std::unique_ptr<session>> sessions;
  std::function<void(const receipt_event&)> receipt_cb;
  std::function<void(const mo_event&)> mo_cb;
  std::function<void(const submit_failure&)> failure_cb;
  std::function<void(log_level, std::string_view)> log_cb;

  std::atomic<std::uint64_t> accepted{0}, submitted{0}, acknowledged{0}, failed{0}, retried{0}, throttled{0},
      delivered{0}, unmatched{0}, mo{0}, in_flight{0}, reconnects{0}, bind_failures{0}, nacks{0}, resent_unanswered{0},
      recovered{0};
  std::atomic<int> bound_sessions{0};
  std::atomic<bool> creds_rejected{false};
  latency_histogram latency;
  latency_histogram smsc_latency;
  mutable std::mutex misc_mutex;
  std::map<std::uint32_t, std::uint64_t> failed_by_status;
  std::string last_error;

  void log(log_level level, std::string_view text) {
    if (level >= log_level::warn) {
      std::lock_guard lock(misc_mutex);
      last_error = std::string(text);
    }
    if (log_cb) {
      log_cb(level, text);
    } else if (level >= log_level::info) {
      static constexpr std::array<const char*, 4> names{"debug", "info", "warn", "error"};
      std::fprintf(stderr, "smpp %s: %.*s\n", names[static_cast<int>(level)], static_cast<int>(text.size()),
                   text.data());
    }
  }
  void wake_senders();
  void count_failure(std::uint32_t status) {
    std::lock_guard lock(misc_mutex);
    ++failed_by_status[status];
  }
  // Encodes the parts of message `id` that still need sending.
  void build_jobs(std::uint64_t id, const outgoing_message& m, std::vector<encoded_part>& parts,
                  const std::vector<bool>& skip, std::vector<part_job>& out) const {
    for (auto& p : parts) {
      if (p.total > 1) p.short_message[3] = static_cast<std::uint8_t>(id);  // UDH concat reference
      if (p.seq - 1 < static_cast<int>(skip.size()) && skip[p.seq - 1]) continue;
      sm_body b;
      b.service_type = cfg.service_type;
      b.source = {m.source.ton, m.source.npi, m.source.addr};
      b.destination = {m.destination.ton, m.destination.npi, m.destination.addr};
      b.esm_class = p.esm_class;
      b.validity_period = m.validity_period;
      b.registered_delivery = m.want_receipt ? 1 : 0;
      b.data_coding = p.data_coding;
      b.short_message = p.short_message;
      // The dedup key the SMSC side can use for resends (see outbox.hpp).
      b.user_message_reference = static_cast<std::uint16_t>(id & 0xFFFF);
      part_job j{id, p.seq, p.total, m.event_time_ns, {}};
      j.pdu.reserve(64 + p.short_message.size() + m.source.addr.size() + m.destination.addr.size());
      encode_sm(j.pdu, cmd::submit_sm, 0, b);
      out.push_back(std::move(j));
    }
  }
};

namespace {

std::string_view bind_name(std::uint32_t id) {
  switch (id & ~cmd::response_bit) {
    case cmd::bind_transmitter:
      return "bind_transmitter";
    case cmd::bind_receiver:
      return "bind_receiver";
    default:
      return "bind_transceiver";
  }
}

}  // namespace

class session {
 public:
  session(client::impl& c, unsigned index, role r) : _c(c), _index(index), _role(r) {
    _wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    _in.resize(65536);
  }
  ~session() {
    if (_thread.joinable()) _thread.join();
    if (_wake_fd >= 0) ::close(_wake_fd);
    close_socket();
  }
  void start() {
    _thread = std::thread([this] { run(); });
  }
  void request_stop(steady::time_point drain_deadline) {
    _drain_deadline_ns.store(drain_deadline.time_since_epoch().count());
    _stopping.store(true);
    wake();
  }
  void join() {
    if (_thread.joinable()) _thread.join();
  }
  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(_wake_fd, &one, sizeof one);
  }
  bool sends() const noexcept { return _role != role::receiver; }

 private:
  struct inflight {
    part_job job;
    steady::time_point sent;
  };

  void run() {
    auto backoff = _c.cfg.reconnect_min;
    bool first = true;
    while (!_stopping.load()) {
      if (!first) _c.reconnects.fetch_add(1);
      first = false;
      std::string err;
      if (!connect_socket(err)) {
        _c.log(log_level::error, fmt::format("session {}: {}", _index, err));
      } else {
        const bool was_bound = serve();
        if (was_bound) backoff = _c.cfg.reconnect_min;
        close_socket();
      }
      requeue_inflight();
      if (_stopping.load()) break;
      // Exponential back-off, interruptible by stop().
      pollfd p{_wake_fd, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(backoff.count()));
      drain_wake();
      backoff = std::min(_c.cfg.reconnect_max, backoff * 2);
    }
  }

  void drain_wake() {
    std::uint64_t v = 0;
    while (::read(_wake_fd, &v, sizeof v) > 0) {
    }
  }

  bool connect_socket(std::string& err) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(_c.cfg.port);
    if (const int rc = ::getaddrinfo(_c.cfg.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
      err = fmt::format("cannot resolve SMSC host '{}': {}", _c.cfg.host, gai_strerror(rc));
      return false;
    }
    err.clear();
    for (addrinfo* a = res; a; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
      if (rc != 0 && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        rc = ::poll(&p, 1, static_cast<int>(_c.cfg.connect_timeout.count()));
        if (rc == 1) {
          int so = 0;
          socklen_t len = sizeof so;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len);
          rc = so == 0 ? 0 : -1;
          errno = so;
        } else {
          rc = -1;
          errno = ETIMEDOUT;
        }
      }
      if (rc == 0) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        _fd = fd;
        ::freeaddrinfo(res);
        return true;
      }
      err = fmt::format("cannot connect to SMSC {}:{}: {}", _c.cfg.host, _c.cfg.port, std::strerror(errno));
      ::close(fd);
    }
    ::freeaddrinfo(res);
    if (err.empty()) err = fmt::format("cannot create a socket for {}:{}", _c.cfg.host, _c.cfg.port);
    return false;
  }

  void close_socket() {
    if (_fd >= 0) ::close(_fd);
    _fd = -1;
    _in_len = 0;
    _out.clear();
    _out_sent = 0;
  }

  void requeue_inflight() {
    if (_inflight.empty()) return;
    // Sent but unanswered: the SMSC may have accepted them (the at-least-once window).
    std::vector<std::pair<std::uint32_t, inflight>> v(std::make_move_iterator(_inflight.begin()),
                                                      std::make_move_iterator(_inflight.end()));
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<part_job> jobs;
    jobs.reserve(v.size());
    for (auto& [seq, f] : v) jobs.push_back(std::move(f.job));
    _c.retried.fetch_add(jobs.size());
    _c.resent_unanswered.fetch_add(jobs.size());
    _c.in_flight.fetch_sub(jobs.size());
    _inflight.clear();
    _c.queue.push_front(std::move(jobs));
    _c.wake_senders();
  }

  std::uint32_t next_seq() {
    const std::uint32_t s = _seq;
    _seq = _seq >= 0x7FFFFFFF ? 1 : _seq + 1;  // 5.1.4 (sequence_number 0x00000001..0x7FFFFFFF)
    return s;
  }

  // Serves one connection: bind, then traffic until disconnect or stop. True if it was bound.
  bool serve() {
    enum class st { binding, bound, unbinding } state = st::binding;
    const std::uint32_t bind_id = _role == role::transceiver   ? cmd::bind_transceiver
                                  : _role == role::transmitter ? cmd::bind_transmitter
                                                               : cmd::bind_receiver;
    _bind_seq = next_seq();
    encode_bind(_out, bind_id, _bind_seq,
                bind_body{_c.cfg.system_id, _c.cfg.password, _c.cfg.system_type, 0x34, 0, 0, {}});
    auto now = steady::now();
    const auto bind_deadline = now + _c.cfg.response_timeout;
    steady::time_point unbind_deadline{};
    _last_rx = now;
    _enquire_sent = {};
    bool was_bound = false;
    bool alive = true;
    _throttle_until = {};
    _throttle_backoff = _c.cfg.throttle_backoff_min;
    std::vector<part_job> batch;

    while (alive) {
      now = steady::now();
      const bool stopping = _stopping.load();
      if (stopping && state != st::unbinding) {
        const steady::time_point drain{steady::duration(_drain_deadline_ns.load())};
        if (state == st::binding || _inflight.empty() || now >= drain) {
          if (state == st::binding) return was_bound;
          encode_header_only(_out, cmd::unbind, 0, next_seq());
          state = st::unbinding;
          unbind_deadline = now + 1s;
        }
      }
      if (state == st::unbinding && now >= unbind_deadline) break;
      if (state == st::binding && now >= bind_deadline) {
        _c.log(log_level::error, fmt::format("session {}: no {}_resp within {} ms", _index, bind_name(bind_id),
                                             _c.cfg.response_timeout.count()));
        return was_bound;
      }

      // Fill the window.
      steady::duration token_wait{};
      if (state == st::bound && !stopping && sends() && now >= _throttle_until && _inflight.size() < _c.cfg.window) {
        batch.clear();
        _c.queue.take(_c.cfg.window - _inflight.size(), batch, now, token_wait);
        for (auto& j : batch) {
          const std::uint32_t s = next_seq();
          set_sequence(j.pdu, s);
          _out.insert(_out.end(), j.pdu.begin(), j.pdu.end());
          _inflight.emplace(s, inflight{std::move(j), now});
        }
        _c.submitted.fetch_add(batch.size(), std::memory_order_relaxed);
        _c.in_flight.fetch_add(batch.size(), std::memory_order_relaxed);
      }

      // Keep-alive (4.11): probe an idle link; an unanswered probe means a dead link.
      if (state == st::bound) {
        if (_enquire_sent != steady::time_point{} && now - _enquire_sent > _c.cfg.response_timeout) {
          _c.log(log_level::warn, fmt::format("session {}: enquire_link unanswered, reconnecting", _index));
          break;
        }
        if (_enquire_sent == steady::time_point{} && now - _last_rx >= _c.cfg.enquire_link_interval) {
          encode_header_only(_out, cmd::enquire_link, 0, next_seq());
          _enquire_sent = now;
        }
        // A response that never comes would hold a window slot for ever.
        for (const auto& [s, f] : _inflight) {
          if (now - f.sent > _c.cfg.response_timeout) {
            _c.log(log_level::warn,
                   fmt::format("session {}: submit_sm_resp for sequence {} overdue, reconnecting", _index, s));
            alive = false;
            break;
          }
        }
        if (!alive) break;
      }

      if (!flush()) break;

      int timeout_ms = 100;
      if (state == st::bound && _c.queue.size() != 0 && _inflight.size() < _c.cfg.window) {
        if (now < _throttle_until)
          timeout_ms = static_cast<int>(
              std::chrono::duration_cast<std::chrono::milliseconds>(_throttle_until - now).count() + 1);
        else if (token_wait > steady::duration::zero())
          timeout_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(token_wait).count());
      }
      std::array<pollfd, 2> p{pollfd{_fd, static_cast<short>(POLLIN | (pending_out() ? POLLOUT : 0)), 0},
                              pollfd{_wake_fd, POLLIN, 0}};
      const int rc = ::poll(p.data(), p.size(), std::max(timeout_ms, 0));
      if (rc < 0 && errno != EINTR) break;
      if (p[1].revents & POLLIN) drain_wake();
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        const int r = read_frames(state == st::binding, bind_id, was_bound);
        if (r == read_bound) {
          state = st::bound;
          was_bound = true;
        } else if (r == read_closed) {
          alive = false;
        } else if (r == read_unbound) {
          alive = false;
        }
      }
      commit();
      if (!flush()) break;
    }
    if (was_bound) _c.bound_sessions.fetch_sub(1);
    commit();
    flush();
    return was_bound;
  }

  bool pending_out() const noexcept { return _out_sent < _out.size(); }

  // Non-blocking write of what is buffered; false when the connection is gone.
  bool flush() {
    while (_out_sent < _out.size()) {
      const ssize_t n = ::send(_fd, _out.data() + _out_sent, _out.size() - _out_sent, MSG_NOSIGNAL);
      if (n > 0) {
        _out_sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n < 0 && errno == EINTR) continue;
      _c.log(log_level::warn, fmt::format("session {}: send failed: {}", _index, std::strerror(errno)));
      return false;
    }
    _out.clear();
    _out_sent = 0;
    return true;
  }

  static constexpr int read_ok = 0, read_bound = 1, read_closed = 2, read_unbound = 3;

  int read_frames(bool binding, std::uint32_t bind_id, bool& was_bound) {
    int result = read_ok;
    while (true) {
      if (_in_len == _in.size()) _in.resize(std::min(_in.size() * 2, _c.cfg.max_pdu_size + 65536));
      const ssize_t n = ::recv(_fd, _in.data() + _in_len, _in.size() - _in_len, 0);
      if (n == 0) {
        _c.log(log_level::warn, fmt::format("session {}: SMSC closed the connection", _index));
        return read_closed;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        _c.log(log_level::warn, fmt::format("session {}: receive failed: {}", _index, std::strerror(errno)));
        return read_closed;
      }
      _in_len += static_cast<std::size_t>(n);
      _last_rx = steady::now();
      // Parse every whole PDU.
      std::size_t at = 0;
      while (true) {
        const auto f = peek_frame(std::span<const std::uint8_t>(_in.data() + at, _in_len - at), _c.cfg.max_pdu_size);
        if (f.state == frame::kind::need_more) break;
        if (f.state == frame::kind::bad_length) {
          // 3.2: the stream cannot be re-framed: nack (4.3) then disconnect cleanly.
          encode_header_only(_out, cmd::generic_nack, status::invcmdlen, f.hdr.sequence_number);
          _c.nacks.fetch_add(1);
          _c.log(log_level::error, fmt::format("session {}: invalid command_length {} from SMSC, disconnecting", _index,
                                               f.hdr.command_length));
          flush();
          ::shutdown(_fd, SHUT_RDWR);
          return read_closed;
        }
        const std::span<const std::uint8_t> pdu(_in.data() + at, f.hdr.command_length);
        at += f.hdr.command_length;
        const int r = handle(f.hdr, pdu.subspan(header_size), binding, bind_id);
        if (r == read_bound) {
          binding = false;
          was_bound = true;
          result = read_bound;
        } else if (r != read_ok) {
          return r;
        }
      }
      if (at > 0) {
        std::memmove(_in.data(), _in.data() + at, _in_len - at);
        _in_len -= at;
      }
      // Keep the batch bounded: commit and answer every ~window PDUs.
      if (_events.size() >= 1024) break;
    }
    (void)was_bound;
    return result;
  }

  int handle(const header& h, std::span<const std::uint8_t> body, bool binding, std::uint32_t bind_id) {
    switch (h.command_id) {
      case cmd::bind_transceiver_resp:
      case cmd::bind_transmitter_resp:
      case cmd::bind_receiver_resp: {
        if (!binding || h.sequence_number != _bind_seq) return read_ok;
        if (h.command_status != status::ok) {
          _c.bind_failures.fetch_add(1);
          if (h.command_status == status::invpaswd || h.command_status == status::invsysid ||
              h.command_status == status::bindfail)
            _c.creds_rejected.store(true);
          _c.log(log_level::error,
                 fmt::format("session {}: {} as '{}' rejected by SMSC: {} (0x{:08X})", _index, bind_name(bind_id),
                             _c.cfg.system_id, status_name(h.command_status), h.command_status));
          return read_closed;
        }
        std::string_view smsc;
        (void)decode_resp_id(body, 15, smsc);
        _c.creds_rejected.store(false);
        _c.bound_sessions.fetch_add(1);
        _c.log(log_level::info, fmt::format("session {}: {} to {}:{} accepted by '{}'", _index, bind_name(bind_id),
                                            _c.cfg.host, _c.cfg.port, smsc));
        return read_bound;
      }
      case cmd::submit_sm_resp:
      case cmd::generic_nack: {
        auto it = _inflight.find(h.sequence_number);
        if (it == _inflight.end()) {
          if (h.command_id == cmd::generic_nack)
            _c.log(log_level::warn, fmt::format("session {}: generic_nack {} for sequence {}", _index,
                                                status_name(h.command_status), h.sequence_number));
          return read_ok;
        }
        part_job job = std::move(it->second.job);
        _c.smsc_latency.add(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - it->second.sent).count()));
        _inflight.erase(it);
        _c.in_flight.fetch_sub(1, std::memory_order_relaxed);
        if (h.command_status == status::ok && h.command_id == cmd::submit_sm_resp) {
          std::string_view id;
          (void)decode_resp_id(body, 64, id);
          if (job.event_ns > 0) {
            const std::int64_t d = realtime_ns() - job.event_ns;
            _c.latency.add(d > 0 ? static_cast<std::uint64_t>(d / 1000) : 0);
          }
          _c.acknowledged.fetch_add(1, std::memory_order_relaxed);
          _throttle_backoff = _c.cfg.throttle_backoff_min;
          _events.push_back({session_event::kind::ack, job.id, job.seq, std::string(id), 0, {}, {}});
        } else if (h.command_status == status::throttled || h.command_status == status::msgqful) {
          // 5.1.3: transient; the SMSC did not take the message. Pause this session and retry.
          _c.throttled.fetch_add(1, std::memory_order_relaxed);
          _c.retried.fetch_add(1, std::memory_order_relaxed);
          _throttle_until = steady::now() + _throttle_backoff;
          _throttle_backoff = std::min(_c.cfg.throttle_backoff_max, _throttle_backoff * 2);
          _requeue.push_back(std::move(job));
        } else {
          _c.failed.fetch_add(1, std::memory_order_relaxed);
          _c.count_failure(h.command_status);
          _events.push_back({session_event::kind::fail, job.id, job.seq, {}, h.command_status, {}, {}});
        }
        return read_ok;
      }
      case cmd::deliver_sm: {
        handle_deliver(h, body);
        return read_ok;
      }
      case cmd::enquire_link:
        encode_header_only(_out, cmd::enquire_link_resp, status::ok, h.sequence_number);
        return read_ok;
      case cmd::enquire_link_resp:
        _enquire_sent = {};
        return read_ok;
      case cmd::unbind:
        encode_header_only(_out, cmd::unbind_resp, status::ok, h.sequence_number);
        flush();
        _c.log(log_level::warn, fmt::format("session {}: SMSC unbound", _index));
        return read_unbound;
      case cmd::unbind_resp:
        return read_unbound;
      default:
        // 4.3: unknown or unsupported command: generic_nack, never for a generic_nack itself.
        encode_header_only(_out, cmd::generic_nack, status::invcmdid, h.sequence_number);
        _c.nacks.fetch_add(1);
        return read_ok;
    }
  }

  void handle_deliver(const header& h, std::span<const std::uint8_t> body) {
    sm_body sm;
    const auto err = decode_sm(body, sm);
    if (err != decode_error::none) {
      _c.log(log_level::warn, fmt::format("session {}: malformed deliver_sm ({})", _index, to_string(err)));
      // Answered (4.6.2) with a permanent application error: a resend would fail the same way.
      _responses.push_back({h.sequence_number, 0x65});
      return;
    }
    if ((sm.esm_class & esm::type_mask) == esm::delivery_receipt) {
      receipt_text rt;
      const std::string_view text(reinterpret_cast<const char*>(sm.short_message.data()), sm.short_message.size());
      const bool has_text = parse_receipt_text(text, rt);
      std::string_view id = !sm.receipted_message_id.empty() ? sm.receipted_message_id : rt.id;
      message_state state = sm.message_state ? static_cast<message_state>(*sm.message_state)
                                             : (has_text ? state_from_stat(rt.stat) : message_state::unknown);
      if (!id.empty()) {
        _events.push_back({session_event::kind::receipt, 0, 0, std::string(id), 0, state, std::string(rt.err)});
      } else {
        _c.unmatched.fetch_add(1);
      }
      _responses.push_back({h.sequence_number, status::ok});
      return;
    }
    concat_info ci;
    std::span<const std::uint8_t> payload;
    if (!split_udh(sm.esm_class, sm.short_message.empty() ? sm.message_payload : sm.short_message, ci, payload)) {
      _responses.push_back({h.sequence_number, 0x65});
      return;
    }
    reassembler::complete done;
    if (_mo_parts.add(sm.source.addr, sm.destination.addr, sm.data_coding, ci, payload, done)) {
      mo_event m{{sm.source.ton, sm.source.npi, std::string(sm.source.addr)},
                 {sm.destination.ton, sm.destination.npi, std::string(sm.destination.addr)},
                 std::move(done.text),
                 sm.data_coding,
                 ci.ref,
                 1,
                 1};
      _mo.push_back(std::move(m));
    }
    _responses.push_back({h.sequence_number, status::ok});
  }

  // Applies this iteration's answers: tracker, one outbox transaction, callbacks, then the
  // deliver_sm_resp (so a receipt is durable before the SMSC forgets it).
  void commit() {
    if (!_requeue.empty()) {
      _c.queue.push_front(std::move(_requeue));
      _requeue.clear();
    }
    if (_events.empty() && _responses.empty() && _mo.empty()) return;
    _updates.clear();
    _receipts.clear();
    _failures.clear();
    std::uint64_t unmatched = 0;
    _c.tracks.apply(_events, _updates, _receipts, _failures, unmatched);
    _events.clear();
    if (unmatched) _c.unmatched.fetch_add(unmatched);
    if (!_c.store.apply(_updates))
      _c.log(log_level::error, fmt::format("session {}: outbox write failed: {}", _index, _c.store.last_error()));
    _c.delivered.fetch_add(_receipts.size(), std::memory_order_relaxed);
    if (_c.receipt_cb)
      for (const auto& r : _receipts) _c.receipt_cb(r);
    if (_c.failure_cb)
      for (const auto& f : _failures) _c.failure_cb(f);
    _c.mo.fetch_add(_mo.size());
    if (_c.mo_cb)
      for (const auto& m : _mo) _c.mo_cb(m);
    _mo.clear();
    for (const auto& [seq, st] : _responses) encode_resp_id(_out, cmd::deliver_sm_resp, st, seq, {});
    _responses.clear();
  }

  client::impl& _c;
  unsigned _index;
  role _role;
  int _fd = -1;
  int _wake_fd = -1;
  std::thread _thread;
  std::atomic<bool> _stopping{false};
  std::atomic<steady::rep> _drain_deadline_ns{0};
  std::vector<std::uint8_t> _in;
  std::size_t _in_len = 0;
  std::vector<std::uint8_t> _out;
  std::size_t _out_sent = 0;
  std::unordered_map<std::uint32_t, inflight> _inflight;
  std::uint32_t _seq = 1;
  std::uint32_t _bind_seq = 0;
  steady::time_point _last_rx{}, _enquire_sent{}, _throttle_until{};
  std::chrono::milliseconds _throttle_backoff{20};
  std::vector<session_event> _events;
  std::vector<part_job> _requeue;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> _responses;  // deliver_sm seq, status
  std::vector<mo_event> _mo;
  std::vector<outbox_update> _updates;
  std::vector<receipt_event> _receipts;
  std::vector<submit_failure> _failures;
  reassembler _mo_parts;
};

void client::impl::wake_senders() {
  for (auto& s : sessions)
    if (s->sends()) s->wake();
}

client::client(client_config cfg) : _impl(std::make_unique<impl>(std::move(cfg))) {}

client::~client() {
  stop(std::chrono::milliseconds(0));
}

void client::on_receipt(std::function<void(const receipt_event&)> f) {
  _impl->receipt_cb = std::move(f);
}
void client::on_mo(std::function<void(const mo_event&)> f) {
  _impl->mo_cb = std::move(f);
}
void client::on_failure(std::function<void(const submit_failure&)> f) {
  _impl->failure_cb = std::move(f);
}
void client::on_log(std::function<void(log_level, std::string_view)> f) {
  _impl->log_cb = std::move(f);
}

std::string client::open() {
  auto& c = *_impl;
  if (c.cfg.system_id.empty()) return "SMPP system_id is empty";
  if (c.cfg.system_id.size() > 15) return "SMPP system_id longer than 15 characters (SMPP 3.4 5.2.1)";
  if (c.cfg.password.size() > 8) return "SMPP password longer than 8 characters (SMPP 3.4 5.2.2)";
  if (c.cfg.system_type.size() > 12) return "SMPP system_type longer than 12 characters (SMPP 3.4 5.2.3)";
  if (c.cfg.port == 0) return "SMPP port is 0";
  if (c.cfg.sessions == 0 || c.cfg.window == 0) return "SMPP sessions and window must be at least 1";
  if (c.cfg.outbox_path.empty()) return "SMPP outbox path is empty";
  if (auto err = c.store.open(c.cfg.outbox_path, c.cfg.outbox_sync); !err.empty()) return err;
  c.queue.set_rate(c.cfg.tps);
  // Requeue what the previous run left: parts without an answer are sent again.
  std::vector<part_job> jobs;
  std::vector<encoded_part> parts;
  for (auto& m : c.store.load_open()) {
    c.tracks.add(m.id, m.msg.client_ref, m.parts, m.msg.want_receipt);
    std::vector<bool> skip(m.parts, false);
    for (const auto& r : m.rows) {
      c.tracks.restore_part(m.id, r);
      if (r.seq >= 1 && r.seq <= m.parts) skip[r.seq - 1] = true;
    }
    if (m.state != row_state::pending) continue;
    if (encode_text(m.msg.text, static_cast<std::uint8_t>(m.id), parts) != text_error::none) continue;
    c.build_jobs(m.id, m.msg, parts, skip, jobs);
  }
  if (!jobs.empty())
    c.log(log_level::info, fmt::format("outbox: {} unacknowledged part(s) from a previous run queued", jobs.size()));
  c.recovered.fetch_add(jobs.size());
  c.queue.push_back(std::move(jobs));
  return {};
}

void client::start() {
  auto& c = *_impl;
  if (!c.sessions.empty()) return;
  for (unsigned i = 0; i < c.cfg.sessions; ++i)
    c.sessions.push_back(
        std::make_unique<session>(c, i, c.cfg.mode == bind_mode::transceiver ? role::transceiver : role::transmitter));
  if (c.cfg.mode == bind_mode::transmitter_receiver)
    c.sessions.push_back(std::make_unique<session>(c, c.cfg.sessions, role::receiver));
  for (auto& s : c.sessions) s->start();
}

void client::stop(std::chrono::milliseconds drain) {
  auto& c = *_impl;
  const auto deadline = steady::now() + drain;
  for (auto& s : c.sessions) s->request_stop(deadline);
  for (auto& s : c.sessions) s->join();
  c.sessions.clear();
}

std::vector<accept_result> client::submit(std::span<const outgoing_message> batch) {
  auto& c = *_impl;
  std::vector<accept_result> results(batch.size());
  std::vector<std::vector<encoded_part>> encoded(batch.size());
  std::vector<outgoing_message> ok;
  std::vector<std::uint8_t> part_counts;
  std::vector<std::size_t> index;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    results[i].error = encode_text(batch[i].text, 0, encoded[i]);
    if (results[i].error == text_error::none && batch[i].destination.addr.empty()) results[i].error = text_error::empty;
    if (results[i].error != text_error::none) continue;
    results[i].parts = static_cast<std::uint8_t>(encoded[i].size());
    ok.push_back(batch[i]);
    part_counts.push_back(results[i].parts);
    index.push_back(i);
  }
  std::vector<std::uint64_t> ids;
  std::vector<bool> dup;
  if (!c.store.accept(ok, part_counts, ids, dup)) {
    c.log(log_level::error, "outbox: accept failed: " + c.store.last_error());
    for (auto i : index) results[i].id = 0;
    return results;
  }
  std::vector<part_job> jobs;
  for (std::size_t k = 0; k < ok.size(); ++k) {
    auto& r = results[index[k]];
    r.id = ids[k];
    r.duplicate = dup[k];
    if (dup[k]) continue;
    c.tracks.add(ids[k], ok[k].client_ref, r.parts, ok[k].want_receipt);
    c.build_jobs(ids[k], ok[k], encoded[index[k]], {}, jobs);
  }
  c.accepted.fetch_add(ok.size());
  c.queue.push_back(std::move(jobs));
  c.wake_senders();
  return results;
}

metrics_snapshot client::metrics() const {
  const auto& c = *_impl;
  metrics_snapshot m;
  m.accepted = c.accepted.load();
  m.submitted = c.submitted.load();
  m.acknowledged = c.acknowledged.load();
  m.failed = c.failed.load();
  m.retried = c.retried.load();
  m.throttled = c.throttled.load();
  m.delivered = c.delivered.load();
  m.unmatched_receipts = c.unmatched.load();
  m.mo = c.mo.load();
  m.in_flight = c.in_flight.load();
  m.queued = c.queue.size();
  m.reconnects = c.reconnects.load();
  m.bind_failures = c.bind_failures.load();
  m.generic_nacks_sent = c.nacks.load();
  m.resent_unanswered = c.resent_unanswered.load();
  m.recovered_from_outbox = c.recovered.load();
  {
    std::lock_guard lock(c.misc_mutex);
    m.failed_by_status.assign(c.failed_by_status.begin(), c.failed_by_status.end());
  }
  c.latency.percentiles(m.latency_p50_us, m.latency_p99_us, m.latency_max_us, m.latency_samples);
  c.latency.cumulative(m.latency_buckets, m.latency_sum_us);
  c.smsc_latency.percentiles(m.smsc_p50_us, m.smsc_p99_us, m.smsc_max_us, m.smsc_samples);
  return m;
}

outbox_counts client::counts() {
  return _impl->store.counts();
}
bool client::credentials_rejected() const noexcept {
  return _impl->creds_rejected.load();
}
bool client::bound() const noexcept {
  return _impl->bound_sessions.load() > 0;
}
std::string client::last_error() const {
  std::lock_guard lock(_impl->misc_mutex);
  return _impl->last_error;
}

}  // namespace bssap::smpp
