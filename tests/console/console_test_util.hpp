// Helpers for the console tests: the probe started with --http (its port read from its stderr),
// raw sockets for garbage, metric values out of the exposition text, summary lines.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../triggers/smpp/proc.hpp"
#include "loopback.hpp"
#include "test_support.hpp"

namespace bssap::test {

namespace fs = std::filesystem;

inline fs::path console_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("bssap-console-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline std::string probe_path() {
  return (bin_dir() / "bssap-probe").string();
}

// Waits for "console on http://ADDR:PORT/" in the probe's stderr; the port, or 0.
inline int wait_console_port(const fs::path& err, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const std::string marker = "console on http://";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = slurp(err);
    const auto at = text.find(marker);
    const auto slash = at == std::string::npos ? std::string::npos : text.find('/', at + marker.size());
    if (slash != std::string::npos) {
      const auto colon = text.rfind(':', slash);
      if (colon != std::string::npos && colon > at) return std::stoi(text.substr(colon + 1, slash - colon - 1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

// Sends `bytes` on a fresh connection and returns what came back up to the end of the response
// header (or until the server closes, or `timeout_s` passes).
inline std::string raw_exchange(int port, const std::string& bytes, int timeout_s = 8) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "connect failed";
  }
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  std::string out;
  char buf[4096];
  while (out.find("\r\n\r\n") == std::string::npos && out.size() < 65536) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// The value of one sample ("name" or "name{labels}" exactly as written) in exposition text.
// `promtool check metrics` (Debian prometheus) on a scrape, its files under `dir`: the exit status
// and what it printed; nullopt when promtool is not installed.
struct promtool_result {
  int status = 0;
  std::string output;
};
inline std::optional<promtool_result> promtool_check(const fs::path& dir, const std::string& scrape) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) return std::nullopt;
  std::ofstream(dir / "metrics.txt") << scrape;
  const int rc = std::system(
      ("promtool check metrics < " + (dir / "metrics.txt").string() + " > " + (dir / "promtool.txt").string() + " 2>&1")
          .c_str());
  return promtool_result{rc, slurp(dir / "promtool.txt")};
}

inline std::optional<double> metric(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

// "  capture    packets      1234" in the probe's summary: the last number of the line whose
// first two words are `section` and `name`.
inline std::optional<std::uint64_t> summary_value(const std::string& text, const std::string& section,
                                                  const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::vector<std::string> words;
    for (std::string w; l >> w;) words.push_back(w);
    if (words.size() < 3 || words[0] != section || words[1] != name) continue;
    return std::stoull(words.back());
  }
  return std::nullopt;
}

}  // namespace bssap::test
