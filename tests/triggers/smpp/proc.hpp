// Child processes and peers for the SMPP tests: spawn with redirected output, signal, wait;
// the smpp-stub and the npm smpp peer SMSC started on a free loopback port.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

extern char** environ;

namespace bssap::test {

class child {
 public:
  child() = default;
  child(const std::vector<std::string>& argv, const std::filesystem::path& out, const std::filesystem::path& err) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawnp(&_pid, args[0], &fa, nullptr, args.data(), environ) != 0) _pid = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  child(child&& o) noexcept : _pid(o._pid), _status(o._status) { o._pid = -1; }
  child& operator=(child&& o) noexcept {
    std::swap(_pid, o._pid);
    std::swap(_status, o._status);
    return *this;
  }
  ~child() {
    if (_pid > 0) {
      ::kill(_pid, SIGKILL);
      ::waitpid(_pid, nullptr, 0);
    }
  }
  bool running() const { return _pid > 0; }
  void signal(int sig) const {
    if (_pid > 0) ::kill(_pid, sig);
  }
  // Exit code (or 128+signal); -1 on timeout (then still running).
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    if (_pid <= 0) return _status;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      int st = 0;
      const pid_t r = ::waitpid(_pid, &st, WNOHANG);
      if (r == _pid) {
        _pid = -1;
        _status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return _status;
      }
      if (std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  int stop(int sig = SIGTERM) {
    signal(sig);
    return wait();
  }

 private:
  pid_t _pid = -1;
  int _status = -1;
};

inline std::filesystem::path scratch(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("bssap-smpp-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;  // the folder is per test process: names are fresh
}

inline std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& p) {
  std::vector<nlohmann::json> out;
  std::ifstream f(p);
  std::string line;
  while (std::getline(f, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line, nullptr, false));
  return out;
}

// Polls `f` every 10 ms until it holds or `timeout` passes; its last answer.
template <typename F>
bool wait_until(F f, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return f();
}

// Waits for a file to hold a line; returns it (empty on timeout).
inline std::string wait_line(const std::filesystem::path& p, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream f(p);
    std::string line;
    if (std::getline(f, line) && !line.empty() && f.good()) return line;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {};
}

inline std::filesystem::path stub_bin() {
  return bin_dir() / "smpp-stub";
}
inline std::filesystem::path send_bin() {
  return bin_dir() / "smpp-send";
}
inline std::filesystem::path peers_dir() {
  return source_dir() / "tests" / "peers";
}
inline bool have_node_peers() {
  return std::filesystem::exists(peers_dir() / "node_modules" / "smpp" / "lib" / "smpp.js") &&
         std::system("node --version >/dev/null 2>&1") == 0;
}

// smpp-stub on a free port (0 = chosen by the kernel, read back from --port-file).
struct stub_process {
  child proc;
  int port = 0;
  std::filesystem::path out;
  std::filesystem::path log;
  static stub_process start(const std::string& name, std::vector<std::string> extra, int port = 0) {
    stub_process s;
    s.out = scratch(name + ".jsonl");
    s.log = scratch(name + ".log");
    const auto port_file = scratch(name + ".port");
    std::vector<std::string> argv{stub_bin().string(), "--port", std::to_string(port), "--port-file",
                                  port_file.string(),  "--out",  s.out.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    s.proc = child(argv, s.log, s.log);
    const auto line = wait_line(port_file, std::chrono::seconds(10));
    s.port = line.empty() ? 0 : std::stoi(line);
    return s;
  }
};

// The npm smpp peer SMSC (tests/peers/smsc.js); prints {"port":N} once listening.
struct node_smsc {
  child proc;
  int port = 0;
  std::filesystem::path out;
  static node_smsc start(const std::string& name, std::vector<std::string> extra) {
    node_smsc s;
    s.out = scratch(name + ".jsonl");
    const auto stdout_file = scratch(name + ".stdout");
    std::vector<std::string> argv{"node", (peers_dir() / "smsc.js").string(), "--out", s.out.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    s.proc = child(argv, stdout_file, scratch(name + ".stderr"));
    const auto line = wait_line(stdout_file, std::chrono::seconds(10));
    if (!line.empty()) s.port = nlohmann::json::parse(line, nullptr, false).value("port", 0);
    return s;
  }
};

}  // namespace bssap::test
