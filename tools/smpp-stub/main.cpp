// smpp-stub: an SMSC gateway simulator speaking SMPP 3.4 (server side) for tests, demos and
// benchmarks. Accepts binds (checks system_id / password: ESME_RINVSYSID / ESME_RINVPASWD),
// answers submit_sm with message ids, records every part and every reassembled message as JSON
// lines, sends delivery receipts (Appendix B text + receipted_message_id / message_state TLVs)
// and simulated subscriber replies (MO deliver_sm), and injects faults on demand: throttling
// (fraction or periodic storms of ESME_RTHROTTLED / ESME_RMSGQFUL), slow responses, dropped
// connections. Dedup: a part whose (source, destination, user_message_reference, concat part)
// was already received is recorded with "dup":true and counted (see triggers/smpp outbox.hpp).
// One thread, epoll. References: SMPP v3.4 4.1, 4.3, 4.4, 4.6, 4.11, 5.1.3, Appendix B.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bssap/smpp/pdu.hpp"
#include "bssap/smpp/text.hpp"

namespace smpp = bssap::smpp;
using steady = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

struct options {
  std::string listen = "127.0.0.1";
  int port = 2775;
  std::string port_file;
  std::string system_id = "bssap";
  std::string password = "secret";
  std::string out;
  bool flush_each = false;
  bool record_parts = true;
  unsigned receipt_delay_ms = 0;
  double undeliv = 0, expired = 0;
  double reply_fraction = 0;
  std::string reply_keyword = "YES";
  unsigned reply_delay_ms = 0;
  double throttle_fraction = 0;
  unsigned storm_period_ms = 0, storm_length_ms = 0;
  std::string storm_status = "mixed";  // throttled | msgqful | mixed
  unsigned resp_delay_ms = 0;
  unsigned drop_after = 0;  // drop a connection after N submit_sm on it (0 = never)
  unsigned drop_max = 0;    // at most this many drops (0 = unlimited)
  double drop_probability = 0;
  unsigned enquire_link_ms = 0;
  std::string reject_prefix;  // destinations starting with it get ESME_RINVDSTADR
  std::uint64_t seed = 1;
};

struct connection {
  int fd = -1;
  std::uint64_t id = 0;
  bool bound = false;
  bool can_receive = false;  // transceiver or receiver: may get deliver_sm
  bool closing = false;
  std::vector<std::uint8_t> in;
  std::size_t in_len = 0;
  std::vector<std::uint8_t> out;
  std::size_t out_sent = 0;
  unsigned submits = 0;
  std::uint32_t seq = 1;
  std::string peer;
  std::uint32_t next_seq() {
    const auto s = seq;
    seq = seq >= 0x7FFFFFFF ? 1 : seq + 1;
    return s;
  }
};

// A deliver_sm to send later (receipt or MO) or a delayed submit_sm_resp.
struct timed {
  steady::time_point due;
  std::uint64_t order = 0;
  enum class kind : std::uint8_t { receipt, mo, resp } what = kind::receipt;
  std::uint64_t conn = 0;  // resp: this connection only; others: any receiving connection
  std::uint32_t seq = 0;
  std::uint32_t status = 0;
  std::string message_id;
  std::string src, dst;  // of the deliver_sm
  std::string text;
  smpp::message_state state = smpp::message_state::delivered;
  bool operator>(const timed& o) const { return std::tie(due, order) > std::tie(o.due, o.order); }
};

struct counters {
  std::uint64_t connections = 0, binds = 0, bind_rejected = 0, submit_sm = 0, parts_unique = 0, duplicates = 0,
                messages = 0, throttled = 0, msgqful = 0, receipts_sent = 0, mo_sent = 0, deliver_sm_resp = 0,
                drops = 0, generic_nacks = 0, rejected = 0, malformed = 0, enquire_links = 0, unbinds = 0;
};

volatile sig_atomic_t g_stop = 0;

std::string yymmddhhmm(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[16];
  std::strftime(b, sizeof b, "%y%m%d%H%M", &tm);
  return b;
}

class stub {
 public:
  explicit stub(options o) : _o(std::move(o)), _rng(_o.seed) {}

  int run() {
    if (!_o.out.empty()) {
      _out = std::fopen(_o.out.c_str(), "a");
      if (!_out) {
        std::fprintf(stderr, "smpp-stub: cannot open %s: %s\n", _o.out.c_str(), std::strerror(errno));
        return 2;
      }
      std::setvbuf(_out, nullptr, _IOFBF, 1 << 20);
    }
    _listen = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(_o.port));
    if (::inet_pton(AF_INET, _o.listen.c_str(), &a.sin_addr) != 1) {
      std::fprintf(stderr, "smpp-stub: --listen %s is not an IPv4 address\n", _o.listen.c_str());
      return 2;
    }
    if (::bind(_listen, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(_listen, 64) != 0) {
      std::fprintf(stderr, "smpp-stub: cannot listen on %s:%d: %s\n", _o.listen.c_str(), _o.port, std::strerror(errno));
      return 2;
    }
    socklen_t len = sizeof a;
    ::getsockname(_listen, reinterpret_cast<sockaddr*>(&a), &len);
    const int port = ntohs(a.sin_port);
    if (!_o.port_file.empty()) {
      // Written then renamed, so a reader never sees a half-written port.
      const std::string tmp = _o.port_file + ".tmp";
      if (FILE* f = std::fopen(tmp.c_str(), "w")) {
        std::fprintf(f, "%d\n", port);
        std::fclose(f);
        std::rename(tmp.c_str(), _o.port_file.c_str());
      }
    }
    std::printf("smpp-stub: listening on %s:%d\n", _o.listen.c_str(), port);
    std::fflush(stdout);

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    const int sfd = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    _ep = ::epoll_create1(EPOLL_CLOEXEC);
    add_fd(_listen, EPOLLIN, listen_key);
    add_fd(sfd, EPOLLIN, signal_key);
    _start = steady::now();
    _next_enquire = _start + std::chrono::milliseconds(_o.enquire_link_ms);

    std::vector<epoll_event> events(256);
    while (!g_stop) {
      int timeout = 200;
      const auto now = steady::now();
      if (!_timers.empty()) {
        const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(_timers.top().due - now).count();
        timeout = static_cast<int>(std::clamp<long long>(d, 0, 200));
      }
      const int n = ::epoll_wait(_ep, events.data(), static_cast<int>(events.size()), timeout);
      for (int i = 0; i < n; ++i) {
        const auto key = events[i].data.u64;
        if (key == listen_key) {
          accept_all();
        } else if (key == signal_key) {
          g_stop = 1;
        } else {
          auto it = _conns.find(key);
          if (it == _conns.end()) continue;
          if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(*it->second);
          if (_conns.count(key) && (events[i].events & EPOLLOUT)) flush(*it->second);
        }
      }
      run_timers();
      if (_o.enquire_link_ms && steady::now() >= _next_enquire) {
        for (auto& [k, c] : _conns)
          if (c->bound) smpp::encode_header_only(c->out, smpp::cmd::enquire_link, 0, c->next_seq());
        _next_enquire = steady::now() + std::chrono::milliseconds(_o.enquire_link_ms);
      }
      for (auto it = _conns.begin(); it != _conns.end();) {
        auto& c = *it->second;
        flush(c);
        if (c.closing && c.out_sent >= c.out.size()) {
          ::close(c.fd);
          it = _conns.erase(it);
        } else {
          ++it;
        }
      }
    }
    summary();
    return 0;
  }

 private:
  static constexpr std::uint64_t listen_key = 1, signal_key = 2;

  void add_fd(int fd, std::uint32_t ev, std::uint64_t key) {
    epoll_event e{};
    e.events = ev;
    e.data.u64 = key;
    ::epoll_ctl(_ep, EPOLL_CTL_ADD, fd, &e);
  }

  void accept_all() {
    while (true) {
      sockaddr_in a{};
      socklen_t len = sizeof a;
      const int fd = ::accept4(_listen, reinterpret_cast<sockaddr*>(&a), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<connection>();
      c->fd = fd;
      c->id = _next_conn++;
      c->in.resize(65536);
      char ip[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
      c->peer = fmt::format("{}:{}", ip, ntohs(a.sin_port));
      add_fd(fd, EPOLLIN | EPOLLOUT | EPOLLET, c->id);
      ++_n.connections;
      _conns.emplace(c->id, std::move(c));
    }
  }

  void drop(connection& c, const char* why) {
    std::fprintf(stderr, "smpp-stub: closing %s: %s\n", c.peer.c_str(), why);
    ::shutdown(c.fd, SHUT_RDWR);
    c.closing = true;
    c.out.clear();
    c.out_sent = 0;
  }

  void flush(connection& c) {
    while (c.out_sent < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      c.closing = true;
      c.out.clear();
      c.out_sent = 0;
      return;
    }
    c.out.clear();
    c.out_sent = 0;
  }

  void on_readable(connection& c) {
    if (c.closing) return;
    while (true) {
      if (c.in_len == c.in.size()) c.in.resize(c.in.size() * 2);
      const ssize_t n = ::recv(c.fd, c.in.data() + c.in_len, c.in.size() - c.in_len, 0);
      if (n == 0) {
        c.closing = true;
        break;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) c.closing = true;
        break;
      }
      c.in_len += static_cast<std::size_t>(n);
      std::size_t at = 0;
      while (!c.closing) {
        const auto f = smpp::peek_frame({c.in.data() + at, c.in_len - at});
        if (f.state == smpp::frame::kind::need_more) break;
        if (f.state == smpp::frame::kind::bad_length) {
          // 3.2: unframeable: nack then close.
          smpp::encode_header_only(c.out, smpp::cmd::generic_nack, smpp::status::invcmdlen, f.hdr.sequence_number);
          ++_n.generic_nacks;
          flush(c);
          drop(c, "invalid command_length");
          return;
        }
        handle(c, f.hdr, {c.in.data() + at + smpp::header_size, f.hdr.command_length - smpp::header_size});
        at += f.hdr.command_length;
      }
      if (c.closing) return;
      std::memmove(c.in.data(), c.in.data() + at, c.in_len - at);
      c.in_len -= at;
    }
  }

  void handle(connection& c, const smpp::header& h, std::span<const std::uint8_t> body) {
    using namespace smpp;
    switch (h.command_id) {
      case cmd::bind_transceiver:
      case cmd::bind_transmitter:
      case cmd::bind_receiver: {
        bind_body b;
        std::uint32_t st = status::ok;
        if (decode_bind(body, b) != decode_error::none) {
          st = status::invcmdlen;
          ++_n.malformed;
        } else if (c.bound) {
          st = status::alybnd;
        } else if (b.system_id != _o.system_id) {
          st = status::invsysid;
        } else if (b.password != _o.password) {
          st = status::invpaswd;
        }
        encode_bind_resp(c.out, h.command_id | cmd::response_bit, st, h.sequence_number, "bssap-stub");
        if (st == status::ok) {
          c.bound = true;
          c.can_receive = h.command_id != cmd::bind_transmitter;
          ++_n.binds;
          deliver_waiting();
        } else {
          ++_n.bind_rejected;
          std::fprintf(stderr, "smpp-stub: bind from %s rejected: %s\n", c.peer.c_str(),
                       std::string(status_name(st)).c_str());
          flush(c);
          c.closing = true;
        }
        return;
      }
      case cmd::submit_sm:
        on_submit(c, h, body);
        return;
      case cmd::deliver_sm_resp:
        ++_n.deliver_sm_resp;
        return;
      case cmd::enquire_link:
        ++_n.enquire_links;
        encode_header_only(c.out, cmd::enquire_link_resp, status::ok, h.sequence_number);
        return;
      case cmd::enquire_link_resp:
      case cmd::generic_nack:
        return;
      case cmd::unbind:
        ++_n.unbinds;
        encode_header_only(c.out, cmd::unbind_resp, status::ok, h.sequence_number);
        c.bound = false;
        flush(c);
        c.closing = true;
        return;
      case cmd::unbind_resp:
        c.closing = true;
        return;
      default:
        encode_header_only(c.out, cmd::generic_nack, status::invcmdid, h.sequence_number);
        ++_n.generic_nacks;
        return;
    }
  }

  bool in_storm() const {
    if (!_o.storm_period_ms || !_o.storm_length_ms) return false;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - _start).count();
    return static_cast<unsigned>(ms % _o.storm_period_ms) < _o.storm_length_ms;
  }

  void respond(connection& c, std::uint32_t seq, std::uint32_t st, const std::string& id) {
    if (_o.resp_delay_ms) {
      timed t;
      t.due = steady::now() + std::chrono::milliseconds(_o.resp_delay_ms);
      t.order = _order++;
      t.what = timed::kind::resp;
      t.conn = c.id;
      t.seq = seq;
      t.status = st;
      t.message_id = id;
      _timers.push(std::move(t));
      return;
    }
    smpp::encode_resp_id(c.out, smpp::cmd::submit_sm_resp, st, seq, id);
  }

  void on_submit(connection& c, const smpp::header& h, std::span<const std::uint8_t> body) {
    using namespace smpp;
    if (!c.bound) {
      encode_resp_id(c.out, cmd::submit_sm_resp, status::invbndsts, h.sequence_number, {});
      return;
    }
    ++_n.submit_sm;
    ++c.submits;
    if ((_o.drop_after && c.submits >= _o.drop_after) ||
        (_o.drop_probability > 0 && std::uniform_real_distribution<>(0, 1)(_rng) < _o.drop_probability)) {
      if (!_o.drop_max || _n.drops < _o.drop_max) {
        // Simulated crash: this submit_sm is lost unanswered, the connection goes.
        ++_n.drops;
        drop(c, "fault injection (dropped connection)");
        return;
      }
    }
    sm_body sm;
    if (const auto e = decode_sm(body, sm); e != decode_error::none) {
      ++_n.malformed;
      encode_resp_id(c.out, cmd::submit_sm_resp, e == decode_error::bad_sm_length ? status::invmsglen : status::syserr,
                     h.sequence_number, {});
      return;
    }
    if (!_o.reject_prefix.empty() && sm.destination.addr.substr(0, _o.reject_prefix.size()) == _o.reject_prefix) {
      ++_n.rejected;
      respond(c, h.sequence_number, status::invdstadr, {});
      return;
    }
    const bool storm = in_storm();
    if (storm || (_o.throttle_fraction > 0 && std::uniform_real_distribution<>(0, 1)(_rng) < _o.throttle_fraction)) {
      std::uint32_t st = status::throttled;
      if (_o.storm_status == "msgqful" || (_o.storm_status == "mixed" && (_n.throttled + _n.msgqful) % 2))
        st = status::msgqful;
      ++(st == status::throttled ? _n.throttled : _n.msgqful);
      respond(c, h.sequence_number, st, {});
      return;
    }
    const std::string id = fmt::format("{:x}", _id_base + _next_msg++);
    respond(c, h.sequence_number, status::ok, id);

    concat_info ci;
    std::span<const std::uint8_t> payload;
    const bool udh_ok = split_udh(sm.esm_class, sm.short_message, ci, payload);
    std::string part_text;
    decode_payload(sm.data_coding, payload, part_text);
    const std::string src(sm.source.addr), dst(sm.destination.addr);
    bool dup = false;
    if (sm.user_message_reference) {
      dup = !_seen.emplace(src, dst, *sm.user_message_reference, ci.present ? ci.seq : 1).second;
    }
    dup ? ++_n.duplicates : ++_n.parts_unique;
    if (_out && _o.record_parts) {
      json j{{"type", "part"},
             {"conn", c.id},
             {"message_id", id},
             {"src", src},
             {"dst", dst},
             {"data_coding", sm.data_coding},
             {"esm_class", sm.esm_class},
             {"text", part_text},
             {"dup", dup},
             {"registered_delivery", sm.registered_delivery}};
      if (sm.user_message_reference) j["umr"] = *sm.user_message_reference;
      if (ci.present) j["concat"] = {{"ref", ci.ref}, {"total", ci.total}, {"seq", ci.seq}};
      if (!sm.validity_period.empty()) j["validity"] = std::string(sm.validity_period);
      if (!udh_ok) j["bad_udh"] = true;
      write(j);
    }
    if (!dup) {
      auto& ids = _message_ids[{src, dst, ci.ref, ci.total}];
      ids.push_back(id);
      reassembler::complete done;
      if (_parts.add(src, dst, sm.data_coding, ci, payload, done)) {
        ++_n.messages;
        if (_out) {
          json j{{"type", "message"},
                 {"src", src},
                 {"dst", dst},
                 {"text", done.text},
                 {"parts", done.total},
                 {"message_ids", ids},
                 {"data_coding", sm.data_coding}};
          if (sm.user_message_reference) j["umr"] = *sm.user_message_reference;
          write(j);
        }
        _message_ids.erase({src, dst, ci.ref, ci.total});
        if (_o.reply_fraction > 0 && std::uniform_real_distribution<>(0, 1)(_rng) < _o.reply_fraction) {
          timed t;
          t.due = steady::now() + std::chrono::milliseconds(_o.reply_delay_ms);
          t.order = _order++;
          t.what = timed::kind::mo;
          t.src = dst;
          t.dst = src;
          t.text = _o.reply_keyword;
          _timers.push(std::move(t));
        }
      }
    }
    if (sm.registered_delivery & 0x03) {
      // 5.2.17: bits 1..0 = 01 receipt on final outcome, 10 on failure only.
      const double r = std::uniform_real_distribution<>(0, 1)(_rng);
      message_state st = message_state::delivered;
      if (r < _o.undeliv)
        st = message_state::undeliverable;
      else if (r < _o.undeliv + _o.expired)
        st = message_state::expired;
      if ((sm.registered_delivery & 0x03) == 2 && st == message_state::delivered) return;
      timed t;
      t.due = steady::now() + std::chrono::milliseconds(_o.receipt_delay_ms);
      t.order = _order++;
      t.what = timed::kind::receipt;
      t.message_id = id;
      t.src = dst;
      t.dst = src;
      t.text = part_text.substr(0, 20);
      t.state = st;
      _timers.push(std::move(t));
    }
  }

  connection* receiver() {
    // Round-robin over bound connections that may receive deliver_sm.
    if (_conns.empty()) return nullptr;
    for (std::size_t k = 0; k < _conns.size(); ++k) {
      auto it = _conns.upper_bound(_rr);
      if (it == _conns.end()) it = _conns.begin();
      _rr = it->first;
      if (it->second->bound && it->second->can_receive && !it->second->closing) return it->second.get();
    }
    return nullptr;
  }

  void send_deliver(connection& c, const timed& t) {
    using namespace smpp;
    sm_body b;
    b.source = {1, 1, t.src};
    b.destination = {1, 1, t.dst};
    std::string text;
    if (t.what == timed::kind::receipt) {
      // Appendix B receipt text, plus the TLVs (5.3.2.12, 5.3.2.35) for ESMEs that prefer them.
      const auto now = std::time(nullptr);
      const bool ok = t.state == message_state::delivered;
      text =
          fmt::format("id:{} sub:001 dlvrd:{} submit date:{} done date:{} stat:{} err:{} text:{}", t.message_id,
                      ok ? "001" : "000", yymmddhhmm(now), yymmddhhmm(now), stat_word(t.state), ok ? "000" : "001", "");
      b.esm_class = esm::delivery_receipt;
      b.receipted_message_id = t.message_id;
      b.message_state = static_cast<std::uint8_t>(t.state);
      ++_n.receipts_sent;
    } else {
      text = t.text;
      ++_n.mo_sent;
    }
    std::vector<encoded_part> parts;
    std::vector<std::uint8_t> raw(text.begin(), text.end());
    if (t.what == timed::kind::mo && encode_text(text, 0, parts) == text_error::none && parts.size() == 1) {
      b.data_coding = parts[0].data_coding;
      b.short_message = parts[0].short_message;
      encode_sm(c.out, cmd::deliver_sm, c.next_seq(), b);
      return;
    }
    b.short_message = raw;  // receipt text is ASCII
    encode_sm(c.out, cmd::deliver_sm, c.next_seq(), b);
  }

  void deliver_waiting() {
    while (!_waiting.empty()) {
      connection* c = receiver();
      if (!c) return;
      send_deliver(*c, _waiting.front());
      _waiting.pop_front();
    }
  }

  void run_timers() {
    const auto now = steady::now();
    while (!_timers.empty() && _timers.top().due <= now) {
      timed t = _timers.top();
      _timers.pop();
      if (t.what == timed::kind::resp) {
        auto it = _conns.find(t.conn);
        if (it != _conns.end() && !it->second->closing)
          smpp::encode_resp_id(it->second->out, smpp::cmd::submit_sm_resp, t.status, t.seq, t.message_id);
        continue;
      }
      // A receipt or reply waits (like a real SMSC's store) until some ESME can receive it.
      _waiting.push_back(std::move(t));
    }
    deliver_waiting();
  }

  void write(const json& j) {
    const std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
    std::fwrite(s.data(), 1, s.size(), _out);
    std::fputc('\n', _out);
    if (_o.flush_each) std::fflush(_out);
  }

  void summary() {
    json j{{"type", "summary"},
           {"connections", _n.connections},
           {"binds", _n.binds},
           {"bind_rejected", _n.bind_rejected},
           {"submit_sm", _n.submit_sm},
           {"parts_unique", _n.parts_unique},
           {"duplicates", _n.duplicates},
           {"messages", _n.messages},
           {"throttled", _n.throttled},
           {"msgqful", _n.msgqful},
           {"receipts_sent", _n.receipts_sent},
           {"mo_sent", _n.mo_sent},
           {"deliver_sm_resp", _n.deliver_sm_resp},
           {"receipts_waiting", _waiting.size() + _timers.size()},
           {"drops", _n.drops},
           {"rejected", _n.rejected},
           {"generic_nacks", _n.generic_nacks},
           {"malformed", _n.malformed},
           {"enquire_links", _n.enquire_links},
           {"unbinds", _n.unbinds}};
    if (_out) {
      write(j);
      std::fclose(_out);
      _out = nullptr;
    }
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }

  options _o;
  std::mt19937_64 _rng;
  FILE* _out = nullptr;
  int _listen = -1, _ep = -1;
  std::map<std::uint64_t, std::unique_ptr<connection>> _conns;
  std::uint64_t _next_conn = 16, _rr = 0, _order = 0;
  std::uint64_t _id_base = static_cast<std::uint64_t>(std::time(nullptr)) << 24, _next_msg = 0;
  std::priority_queue<timed, std::vector<timed>, std::greater<>> _timers;
  std::deque<timed> _waiting;
  std::set<std::tuple<std::string, std::string, std::uint16_t, std::uint8_t>> _seen;
  std::map<std::tuple<std::string, std::string, std::uint16_t, std::uint8_t>, std::vector<std::string>> _message_ids;
  smpp::reassembler _parts;
  counters _n;
  steady::time_point _start, _next_enquire;
};

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"smpp-stub: SMSC gateway simulator (SMPP 3.4) for tests, demos and benchmarks"};
  app.add_option("--port", o.port, "TCP port to listen on (0 = any free port, printed)")->capture_default_str();
  app.add_option("--listen", o.listen, "IPv4 address to listen on")->capture_default_str();
  app.add_option("--port-file", o.port_file, "write the port number to this file once listening");
  app.add_option("--system-id", o.system_id, "system_id ESMEs must bind with")->capture_default_str();
  app.add_option("--password", o.password, "password ESMEs must bind with")->capture_default_str();
  app.add_option("--out", o.out, "JSON lines: every part and every reassembled message received, then a summary");
  app.add_flag("--flush", o.flush_each, "flush --out after every record (default: buffered, fast)");
  app.add_flag("!--no-parts", o.record_parts, "record only reassembled messages, not each part");
  app.add_option("--receipt-delay-ms", o.receipt_delay_ms, "delay before a delivery receipt")->capture_default_str();
  app.add_option("--undeliv", o.undeliv, "fraction of receipts with stat:UNDELIV")->check(CLI::Range(0.0, 1.0));
  app.add_option("--expired", o.expired, "fraction of receipts with stat:EXPIRED")->check(CLI::Range(0.0, 1.0));
  app.add_option("--reply-fraction", o.reply_fraction, "fraction of messages answered by a subscriber reply (MO)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--reply-keyword", o.reply_keyword, "text of the simulated replies")->capture_default_str();
  app.add_option("--reply-delay-ms", o.reply_delay_ms, "delay before a reply")->capture_default_str();
  app.add_option("--throttle-fraction", o.throttle_fraction, "fraction of submit_sm answered ESME_RTHROTTLED/RMSGQFUL")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--storm-period-ms", o.storm_period_ms, "throttling storm: period");
  app.add_option("--storm-length-ms", o.storm_length_ms, "throttling storm: length at the start of each period");
  app.add_option("--storm-status", o.storm_status, "throttled | msgqful | mixed")
      ->check(CLI::IsMember({"throttled", "msgqful", "mixed"}))
      ->capture_default_str();
  app.add_option("--resp-delay-ms", o.resp_delay_ms, "delay every submit_sm_resp (slow SMSC)");
  app.add_option("--drop-after", o.drop_after, "drop a connection at its Nth submit_sm (left unanswered)");
  app.add_option("--drop-max", o.drop_max, "at most this many dropped connections (0 = unlimited)");
  app.add_option("--drop-probability", o.drop_probability, "probability per submit_sm of dropping the connection")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--enquire-link-ms", o.enquire_link_ms, "send enquire_link to bound ESMEs this often (0 = never)");
  app.add_option("--reject-prefix", o.reject_prefix, "answer ESME_RINVDSTADR to destinations starting with this");
  app.add_option("--seed", o.seed, "random seed (outcomes, throttling, drops)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.undeliv + o.expired > 1.0) {
    std::fprintf(stderr, "smpp-stub: --undeliv + --expired exceed 1\n");
    return 2;
  }
  stub s(o);
  return s.run();
}
