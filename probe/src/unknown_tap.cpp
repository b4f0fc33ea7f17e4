// unknown_tap: see unknown_tap.hpp. The dissector protocol (bssap-dissect, tools/epan/):
//   start-up: the dissector writes one line `{"ready":true}` once Wireshark is initialised;
//   request:  u32 length, u32 linktype, i64 ts_us (little-endian), then `length` frame bytes;
//   answer:   one JSON line {"protocols":..., "info":..., "expert":[...]} per request.
// A socketpair, not pipes: send() with MSG_NOSIGNAL turns a dead dissector into an error code
// instead of a SIGPIPE for the whole probe.
#include "bssap/probe/unknown_tap.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bssap/decoders/result.hpp"
#include "bssap/event.hpp"
#include "bssap/probe/log.hpp"

extern char** environ;

namespace bssap::probe {

namespace {

// Wireshark's "upper PDU" link type (LINKTYPE_WIRESHARK_UPPER_PDU): a list of TLVs naming the
// dissector, then the PDU. Used for SCCP messages whose frame is no longer at hand.
constexpr std::uint16_t linktype_upper_pdu = 252;
constexpr std::uint16_t exp_pdu_tag_dissector_name = 12;

// What a ring item holds: a frame (ring_header::linktype is its link type) or an SCCP-level
// message (linktype = linktype_upper_pdu; the data starts with a unit_prefix).
struct unit_prefix {
  std::uint32_t opc = 0, dpc = 0;
  std::uint8_t transport = 0, si = 0, ni = 0, pad = 0;
};

std::string_view transport_name(std::uint8_t t) noexcept {
  switch (static_cast<dec::transport>(t)) {
    case dec::transport::m3ua:
      return "m3ua";
    case dec::transport::ipa:
      return "ipa";
    case dec::transport::mtp:
      return "mtp";
    case dec::transport::sua:
      return "sua";
    case dec::transport::rua:
      return "rua";
  }
  return "?";
}

// The Wireshark dissector that takes the unit's bytes as they are.
std::string_view dissector_of(std::uint8_t t) noexcept {
  switch (static_cast<dec::transport>(t)) {
    case dec::transport::sua:
      return "sua";
    case dec::transport::rua:
      return "rua";
    default:
      return "sccp";
  }
}

void append_hex(std::span<const std::byte> b, std::string& out) {
  static constexpr char digits[] = "0123456789abcdef";
  for (std::byte x : b) {
    out += digits[static_cast<unsigned>(x) >> 4];
    out += digits[static_cast<unsigned>(x) & 15];
  }
}

std::string find_dissector(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path() / "bssap-dissect";
    if (::access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  return "bssap-dissect";  // from PATH (posix_spawnp)
}

}  // namespace

std::string_view unknown_kind_name(std::uint8_t kind) noexcept {
  switch (kind) {
    case static_cast<std::uint8_t>(unknown_kind::unknown_ppid):
      return "unknown_ppid";
    case static_cast<std::uint8_t>(unknown_kind::unknown_si):
      return "unknown_si";
    case static_cast<std::uint8_t>(unknown_kind::unknown_ssn):
      return "unknown_ssn";
    default:
      return dec::to_string(static_cast<dec::decode_error>(kind));
  }
}

// ---- the dissector process

struct unknown_tap::dissector {
  enum class outcome { ok, crashed, timed_out, unavailable };

  std::string program;
  std::vector<std::string> args;
  int timeout_ms = 5000;
  int start_timeout_ms = 120000;
  pid_t pid = -1;
  int fd = -1;
  std::string pending;    // bytes read past the last line
  bool given_up = false;  // could not be started: every record goes without Wireshark's view
  int failed_starts = 0;
  std::chrono::steady_clock::time_point retry_at{};

  ~dissector() { kill(); }

  void kill() noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    pid = -1;
    pending.clear();
  }

  // Reads one line within `ms`; false on EOF, error or timeout (`timed_out` says which).
  bool read_line(std::string& line, int ms, bool& timed_out) {
    timed_out = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      const auto nl = pending.find('\n');
      if (nl != std::string::npos) {
        line.assign(pending, 0, nl);
        pending.erase(0, nl + 1);
        return true;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        return false;
      }
      pollfd p{fd, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) continue;  // the deadline check above ends it
      char buf[65536];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      if (pending.size() + static_cast<std::size_t>(n) > (16u << 20)) return false;  // no line ends: broken
      pending.append(buf, static_cast<std::size_t>(n));
    }
  }

  bool start() {
    if (given_up) return false;
    if (std::chrono::steady_clock::now() < retry_at) return false;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, sv[1], 0);
    posix_spawn_file_actions_adddup2(&actions, sv[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::vector<char*> argv;
    argv.push_back(program.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t child = -1;
    const int rc = ::posix_spawnp(&child, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(sv[1]);
    if (rc != 0) {
      ::close(sv[0]);
      log(log_level::warning, "--unknown: cannot start {}: {}; records are written without Wireshark's view", program,
          std::strerror(rc));
      given_up = true;
      return false;
    }
    pid = child;
    fd = sv[0];
    std::string line;
    bool timed_out = false;
    if (!read_line(line, start_timeout_ms, timed_out) || line.find("\"ready\"") == std::string::npos) {
      kill();
      failed_starts += 1;
      log(log_level::warning, "--unknown: {} did not start ({}){}", program, timed_out ? "no answer" : "exited",
          failed_starts >= 3 ? "; giving up, records are written without Wireshark's view" : "");
      if (failed_starts >= 3) given_up = true;
      retry_at = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      return false;
    }
    failed_starts = 0;
    return true;
  }

  // False when the dissector is gone (`timed_out` false) or stopped reading (`timed_out` true).
  bool send_all(const void* data, std::size_t n, bool& timed_out) {
    timed_out = false;
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      pollfd pf{fd, POLLOUT, 0};
      const int r = ::poll(&pf, 1, timeout_ms);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) timed_out = true;
      if (r <= 0) return false;
      const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }

  // Dissects one frame. `restarted` says whether a new process had to be started first.
  outcome dissect(std::uint16_t linktype, std::int64_t ts_us, std::span<const std::byte> frame, std::string& answer,
                  bool& restarted) {
    restarted = false;
    if (pid < 0) {
      if (!start()) return outcome::unavailable;
      restarted = true;
    }
    unsigned char head[16];
    const auto len = static_cast<std::uint32_t>(frame.size());
    const std::uint32_t lt = linktype;
    std::memcpy(head, &len, 4);  // little-endian hosts only (x86-64, arm64): see the protocol above
    std::memcpy(head + 4, &lt, 4);
    std::memcpy(head + 8, &ts_us, 8);
    bool timed_out = false;
    if (!send_all(head, sizeof head, timed_out) || !send_all(frame.data(), frame.size(), timed_out) ||
        !read_line(answer, timeout_ms, timed_out)) {
      // Died (its end of the socket closed) or hung on this frame: the frame goes without
      // Wireshark's view, the next one gets a new process.
      kill();
      return timed_out ? outcome::timed_out : outcome::crashed;
    }
    return outcome::ok;
  }
};

// ---- ports (the producing threads)

// Counts the offer; false, counted as rate-limited, once this capture second has had `rate`.
bool unknown_port::admit(std::int64_t ts_us) noexcept {
  _tap._offered.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t second = static_cast<std::uint64_t>(ts_us < 0 ? 0 : ts_us / 1'000'000) & ((1ull << 40) - 1);
  std::uint64_t cur = _tap._window.load(std::memory_order_relaxed);
  for (;;) {
    const std::uint64_t cur_second = cur >> 24, taken = cur & 0xffffff;
    std::uint64_t next;
    if (second > cur_second)
      next = (second << 24) | 1;  // a new second
    else if (taken < _tap._config.rate)
      next = cur + 1;  // this second (or a late frame of an earlier one: counted in the current)
    else {
      _tap._rate_limited.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (_tap._window.compare_exchange_weak(cur, next, std::memory_order_relaxed)) return true;
  }
}

static std::uint64_t reason_code(unknown_reason why) noexcept {
  return (static_cast<std::uint64_t>(why.layer) << 8) | why.kind;
}

void unknown_port::offer_frame(dec::linktype lt, std::int64_t ts_us, std::span<const std::byte> frame,
                               unknown_reason why) noexcept {
  if (!admit(ts_us)) return;
  if (!_ring.try_push(ring_item::packet, static_cast<std::uint16_t>(lt), reason_code(why), ts_us, frame))
    _tap._queue_full.fetch_add(1, std::memory_order_relaxed);
}

void unknown_port::offer_unit(const dec::sccp_unit& u, unknown_reason why) noexcept {
  if (!admit(u.ts_us)) return;
  unit_prefix prefix;
  prefix.opc = u.opc;
  prefix.dpc = u.dpc;
  prefix.transport = static_cast<std::uint8_t>(u.kind);
  prefix.si = u.si;
  prefix.ni = u.ni;
  const std::span<const std::byte> head{reinterpret_cast<const std::byte*>(&prefix), sizeof prefix};
  if (!_ring.try_push(ring_item::unit, linktype_upper_pdu, reason_code(why), u.ts_us, head, u.sccp))
    _tap._queue_full.fetch_add(1, std::memory_order_relaxed);
}

// ---- the tap

unknown_tap::unknown_tap(unknown_tap_config config)
    : _config(std::move(config)), _dissector(std::make_unique<dissector>()) {
  _dissector->args = _config.dissector_args;
  _dissector->timeout_ms = static_cast<int>(_config.dissector_timeout_s * 1000);
  _dissector->start_timeout_ms = static_cast<int>(_config.dissector_start_timeout_s * 1000);
  if (_config.dissector == "none")
    _dissector->given_up = true;
  else
    _dissector->program = find_dissector(_config.dissector);
  _line.reserve(1u << 16);
}

unknown_tap::~unknown_tap() {
  stop();
}

unknown_port& unknown_tap::add_port() {
  _ports.push_back(std::make_unique<unknown_port>(*this, _config.port_bytes));
  return *_ports.back();
}

bool unknown_tap::start(std::string& error) {
  _fd = ::open(_config.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (_fd < 0) {
    error = fmt::format("--unknown {}: cannot write: {}", _config.path, std::strerror(errno));
    return false;
  }
  _writer = std::thread([this] { run(); });
  return true;
}

void unknown_tap::stop() noexcept {
  if (_writer.joinable()) {
    _stop.store(true, std::memory_order_release);
    _writer.join();
  }
  _dissector->kill();
  if (_fd >= 0) ::close(_fd);
  _fd = -1;
}

void unknown_tap::run() noexcept {
  for (;;) {
    // Read the flag first: once it is set, one more full pass takes everything queued before.
    const bool stopping = _stop.load(std::memory_order_acquire);
    bool any = false;
    for (auto& port : _ports) {
      while (const ring_header* h = port->_ring.peek()) {
        if (!write_one(*h)) _write_errors.fetch_add(1, std::memory_order_relaxed);
        port->_ring.pop();
        any = true;
      }
    }
    if (stopping && !any) return;
    if (!any) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool unknown_tap::write_one(const ring_header& h) noexcept {
  try {
    const auto data = h.data();
    const unknown_reason why{static_cast<dec::layer>((h.seq >> 8) & 0xff), static_cast<std::uint8_t>(h.seq & 0xff)};
    std::span<const std::byte> payload = data;
    std::vector<std::byte> upper;  // the frame handed to Wireshark
    std::span<const std::byte> to_dissect = data;
    unit_prefix prefix;
    const bool is_unit = h.kind == ring_item::unit;
    if (is_unit) {
      if (data.size() < sizeof prefix) return false;
      std::memcpy(&prefix, data.data(), sizeof prefix);
      payload = data.subspan(sizeof prefix);
      const std::string_view name = dissector_of(prefix.transport);
      upper.reserve(payload.size() + 16 + name.size());
      auto put16 = [&](std::uint16_t v) {
        upper.push_back(static_cast<std::byte>(v >> 8));
        upper.push_back(static_cast<std::byte>(v & 0xff));
      };
      put16(exp_pdu_tag_dissector_name);
      put16(static_cast<std::uint16_t>(name.size()));
      for (char c : name) upper.push_back(static_cast<std::byte>(c));
      put16(0);  // EXP_PDU_TAG_END_OF_OPT
      put16(0);
      upper.insert(upper.end(), payload.begin(), payload.end());
      to_dissect = upper;
    }
    std::string answer;
    bool restarted = false;
    const auto result = _dissector->dissect(h.linktype, h.ts_us, to_dissect, answer, restarted);
    if (restarted) {
      if (_dissector_started) _restarts.fetch_add(1, std::memory_order_relaxed);
      _dissector_started = true;
    }
    nlohmann::json wireshark;  // null unless dissected
    std::string_view status;
    switch (result) {
      case dissector::outcome::ok:
        wireshark = nlohmann::json::parse(answer, nullptr, false);
        if (wireshark.is_discarded()) {
          wireshark = nullptr;
          status = "bad_answer";
        } else {
          _dissected.fetch_add(1, std::memory_order_relaxed);
        }
        break;
      case dissector::outcome::crashed:
        status = "crashed";
        _crashes.fetch_add(1, std::memory_order_relaxed);
        break;
      case dissector::outcome::timed_out:
        status = "timed_out";
        _timeouts.fetch_add(1, std::memory_order_relaxed);
        break;
      case dissector::outcome::unavailable:
        status = "unavailable";
        break;
    }
    _line.clear();
    _line += "{\"ts\":\"";
    append_rfc3339_us(h.ts_us, _line);
    _line += "\",\"error\":{\"layer\":\"";
    _line += dec::to_string(why.layer);
    _line += "\",\"kind\":\"";
    _line += unknown_kind_name(why.kind);
    _line += "\"},\"data\":\"";
    if (is_unit) {
      _line += dissector_of(prefix.transport);
      fmt::format_to(std::back_inserter(_line), "\",\"transport\":\"{}\",\"opc\":{},\"dpc\":{}",
                     transport_name(prefix.transport), prefix.opc, prefix.dpc);
    } else {
      fmt::format_to(std::back_inserter(_line), "frame\",\"linktype\":{}", h.linktype);
    }
    _line += ",\"wireshark\":";
    _line += wireshark.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (!status.empty()) {
      _line += ",\"dissector\":\"";
      _line += status;
      _line += '"';
    }
    _line += ",\"hex\":\"";
    append_hex(payload, _line);
    _line += "\"}\n";
    const char* p = _line.data();
    std::size_t n = _line.size();
    while (n > 0) {
      const ssize_t w = ::write(_fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    _written.fetch_add(1, std::memory_order_relaxed);
    return true;
  } catch (const std::exception&) {  // out of memory for one record: counted, capture goes on
    return false;
  }
}

unknown_counters unknown_tap::counters() const noexcept {
  unknown_counters c;
  c.offered = _offered.load();
  c.rate_limited = _rate_limited.load();
  c.queue_full = _queue_full.load();
  c.written = _written.load();
  c.dissected = _dissected.load();
  c.dissector_crashes = _crashes.load();
  c.dissector_timeouts = _timeouts.load();
  c.dissector_restarts = _restarts.load();
  c.write_errors = _write_errors.load();
  return c;
}

std::string unknown_tap::summary() const {
  const auto c = counters();
  std::string s;
  auto line = [&](std::string_view name, std::uint64_t value) {
    fmt::format_to(std::back_inserter(s), "  {:<10} {:<36} {}\n", "unknown", name, value);
  };
  line("frames_offered", c.offered);
  line("rate_limited (counted only)", c.rate_limited);
  line("queue_full (counted only)", c.queue_full);
  line("records_written", c.written);
  line("records_dissected", c.dissected);
  line("dissector_crashes", c.dissector_crashes);
  line("dissector_timeouts", c.dissector_timeouts);
  line("dissector_restarts", c.dissector_restarts);
  if (c.write_errors) line("write_errors", c.write_errors);
  if (!s.empty()) s.pop_back();
  return s;
}

}  // namespace bssap::probe
