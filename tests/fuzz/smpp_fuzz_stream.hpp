// What fuzz_smpp_client and fuzz_smpp_stub share: the input as a TCP byte stream cut into the
// reads the peer would see, written one at a time into a socketpair whose other end the code
// under test reads (with its own recv loop), and a check that everything it wrote back is
// framed whole SMPP PDUs (SMPP 3.4 3.2).
// Input: an options octet (each target reads its own bits), then chunks of
// [length(2, big-endian) bytes(length)]; a length past the end takes what is left. One chunk is
// one write: a PDU may span chunks, and one chunk may hold several PDUs or an absurd
// command_length.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "bssap/smpp/pdu.hpp"

namespace bssap::test {

struct smpp_chunks {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t pos = 1;  // after the options octet
  // The next chunk, or false at the end of the input.
  bool next(std::span<const std::uint8_t>& chunk) noexcept {
    if (pos + 2 > size) return false;
    std::size_t n = std::size_t{data[pos]} << 8 | data[pos + 1];
    pos += 2;
    if (n > size - pos) n = size - pos;
    chunk = {data + pos, n};
    pos += n;
    return true;
  }
};

// A non-blocking socketpair: [0] for the code under test, [1] the peer this harness plays.
struct smpp_pipe {
  int fd[2] = {-1, -1};
  std::vector<std::uint8_t> received;  // what the code under test wrote, not yet framed
  smpp_pipe() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) != 0) std::abort();
    // Room for the largest chunk plus what a response burst writes, so that a write never
    // blocks the single-threaded harness.
    const int big = 1 << 20;
    ::setsockopt(fd[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    ::setsockopt(fd[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  }
  ~smpp_pipe() {
    if (fd[1] >= 0) ::close(fd[1]);
    // fd[0] belongs to the code under test once handed over (it closes it).
  }
  smpp_pipe(const smpp_pipe&) = delete;
  smpp_pipe& operator=(const smpp_pipe&) = delete;

  // The peer sends one chunk. False when the other side is gone.
  bool send(std::span<const std::uint8_t> chunk) noexcept {
    std::size_t at = 0;
    while (at < chunk.size()) {
      const ssize_t n = ::send(fd[1], chunk.data() + at, chunk.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return false;
      at += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads what the code under test wrote and checks that it frames: every PDU has a
  // command_length within [16, max] (the encoders never emit anything else). Returns the
  // number of whole PDUs seen.
  std::size_t drain_and_check() {
    std::uint8_t buf[65536];
    while (true) {
      const ssize_t n = ::recv(fd[1], buf, sizeof buf, 0);
      if (n <= 0) break;
      received.insert(received.end(), buf, buf + n);
    }
    std::size_t pdus = 0, at = 0;
    while (true) {
      const auto f = smpp::peek_frame(std::span<const std::uint8_t>(received).subspan(at));
      if (f.state == smpp::frame::kind::need_more) break;
      if (f.state == smpp::frame::kind::bad_length) std::abort();  // we wrote an unframeable PDU
      at += f.hdr.command_length;
      ++pdus;
    }
    received.erase(received.begin(), received.begin() + static_cast<std::ptrdiff_t>(at));
    return pdus;
  }
};

}  // namespace bssap::test
