// smpp-stub's server (see stub.hpp): the listening socket (--listen, --port, --port-file), the
// epoll loop with its timers and SIGINT / SIGTERM, accepting ESME connections, reading and
// framing their PDUs (SMPP 3.4 3.2: a command_length that cannot be framed gets generic_nack
// ESME_RINVCMDLEN, 4.3, and the connection is closed), writing, and the periodic enquire_link
// (4.11, --enquire-link-ms) to bound ESMEs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "stub.hpp"

namespace smpp_stub {

int stub::run() {
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
  bool stop = false;  // SIGINT or SIGTERM read from the signalfd
  while (!stop) {
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
        stop = true;
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

void stub::add_fd(int fd, std::uint32_t ev, std::uint64_t key) {
  epoll_event e{};
  e.events = ev;
  e.data.u64 = key;
  ::epoll_ctl(_ep, EPOLL_CTL_ADD, fd, &e);
}

void stub::accept_all() {
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

void stub::drop(connection& c, const char* why) {
  std::fprintf(stderr, "smpp-stub: closing %s: %s\n", c.peer.c_str(), why);
  ::shutdown(c.fd, SHUT_RDWR);
  c.closing = true;
  c.out.clear();
  c.out_sent = 0;
}

void stub::flush(connection& c) {
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

void stub::on_readable(connection& c) {
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

}  // namespace smpp_stub
