// One session's connection (see session.hpp): connect (TCP), bind (SMPP 3.4 4.1) and
// the session states of 2.2 (binding, bound, unbinding), the bound loop that fills the window
// from the dispatcher and stamps each submit_sm with its sequence number (5.1.4), the
// enquire_link keep-alive (4.11), response timeouts, unbind (4.2), framing of what the SMSC sends
// (3.2: an unframeable stream is answered with generic_nack and dropped), and reconnecting with
// a doubling back-off, handing the window's unanswered parts back to the dispatcher.
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
#include <cstring>

#include <fmt/format.h>

#include "session.hpp"

namespace bssap::smpp {

using namespace std::chrono_literals;

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

session::session(client::impl& c, unsigned index, role r)
    : _c(c), _index(index), _role(r), _throttle(c.cfg.throttle_backoff_min, c.cfg.throttle_backoff_max) {
  _wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  _in.resize(65536);
}

session::~session() {
  if (_thread.joinable()) _thread.join();
  if (_wake_fd >= 0) ::close(_wake_fd);
  close_socket();
}

void session::start() {
  _thread = std::thread([this] { run(); });
}

void session::request_stop(steady::time_point drain_deadline) {
  _drain_deadline_ns.store(drain_deadline.time_since_epoch().count());
  _stopping.store(true);
  wake();
}

void session::join() {
  if (_thread.joinable()) _thread.join();
}

void session::run() {
  doubling_backoff reconnect(_c.cfg.reconnect_min, _c.cfg.reconnect_max);
  bool first = true;
  while (!_stopping.load()) {
    if (!first) _c.reconnects.fetch_add(1);
    first = false;
    std::string err;
    if (!connect_socket(err)) {
      _c.log(log_level::error, fmt::format("session {}: {}", _index, err));
    } else {
      const bool was_bound = serve();
      if (was_bound) reconnect.reset();
      close_socket();
    }
    requeue_inflight();
    if (_stopping.load()) break;
    // Exponential back-off, interruptible by stop().
    pollfd p{_wake_fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(reconnect.next().count()));
    drain_wake();
  }
}

void session::drain_wake() {
  std::uint64_t v = 0;
  while (::read(_wake_fd, &v, sizeof v) > 0) {
  }
}

bool session::connect_socket(std::string& err) {
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

void session::close_socket() {
  if (_fd >= 0) ::close(_fd);
  _fd = -1;
  _in_len = 0;
  _out.clear();
  _out_sent = 0;
}

void session::requeue_inflight() {
  if (_inflight.empty()) return;
  // Sent but unanswered: the SMSC may have accepted them (the at-least-once window).
  std::vector<part_job> jobs = _inflight.take_all();
  _c.retried.fetch_add(jobs.size());
  _c.resent_unanswered.fetch_add(jobs.size());
  _c.in_flight.fetch_sub(jobs.size());
  _c.queue.push_front(std::move(jobs));
  _c.wake_senders();
}

bool session::serve() {
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
  _throttle.reset();
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
        _inflight.add(s, std::move(j), now);
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
      if (const auto s = _inflight.overdue(now, _c.cfg.response_timeout)) {
        _c.log(log_level::warn,
               fmt::format("session {}: submit_sm_resp for sequence {} overdue, reconnecting", _index, *s));
        break;
      }
    }

    if (!flush()) break;

    int timeout_ms = 100;
    if (state == st::bound && _c.queue.size() != 0 && _inflight.size() < _c.cfg.window) {
      if (now < _throttle_until)
        timeout_ms =
            static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(_throttle_until - now).count() + 1);
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

bool session::flush() {
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

int session::read_frames(bool binding, std::uint32_t bind_id, bool& was_bound) {
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

}  // namespace bssap::smpp
