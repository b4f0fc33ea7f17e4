// Least privilege of `live` (issue 17): run as bssap-probe@.service runs it, an unprivileged user
// with CAP_NET_RAW and CAP_NET_ADMIN as ambient capabilities, the probe opens the interface and
// then holds no capability at all (privileges.hpp); without them it cannot open it.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "test_support.hpp"

extern char** environ;

namespace fs = std::filesystem;
using namespace std::chrono_literals;
namespace t = bssap::test;

namespace {

// posix_spawn with stderr to a file; exit status after wait (128 + signal), -1 on timeout.
struct process {
  pid_t pid = -1;
  process(const std::vector<std::string>& argv, const fs::path& err) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~process() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  int wait(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (pid > 0) {
      int st = 0;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      if (std::chrono::steady_clock::now() > until) return -1;
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }
};

// "CapEff:\t0000000000000000" -> the hex field of /proc/PID/status.
std::string cap_field(pid_t pid, const std::string& name) {
  const std::string status = t::slurp(fs::path("/proc") / std::to_string(pid) / "status");
  const auto at = status.find(name + ":\t");
  if (at == std::string::npos) return "?";
  const auto start = at + name.size() + 2;
  return status.substr(start, status.find('\n', start) - start);
}

bool wait_for(const fs::path& file, const std::string& text, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (t::slurp(file).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("live as the unit runs it: ambient capture capabilities open the interface, then none is held") {
  if (::geteuid() != 0) BSSAP_SKIP_OR_FAIL("changing user and capabilities needs root");
  if (std::system("command -v setpriv >/dev/null") != 0) BSSAP_SKIP_OR_FAIL("setpriv (util-linux) is missing");
  const fs::path dir = fs::temp_directory_path() / ("bssap-privileges-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::all);  // nobody writes its event log here
  const std::string probe = (t::bin_dir() / "bssap-probe").string();
  const std::vector<std::string> as_nobody{"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"};

  // Without the capabilities: the open is refused, one line.
  {
    auto argv = as_nobody;
    argv.insert(argv.end(), {probe, "live", "-i", "lo", "--no-summary", "--events", (dir / "none.jsonl").string()});
    process p(argv, dir / "none.err");
    CHECK(p.wait(20s) == 1);
    CHECK_THAT(t::slurp(dir / "none.err"), Catch::Contains("permission denied"));
  }
  // With them, as AmbientCapabilities= gives them.
  auto argv = as_nobody;
  argv.insert(argv.end(), {"--inh-caps=+net_raw,+net_admin", "--ambient-caps=+net_raw,+net_admin", probe, "live", "-i",
                           "lo", "--no-summary", "--events", (dir / "events.jsonl").string()});
  process p(argv, dir / "live.err");
  REQUIRE(p.pid > 0);
  INFO(t::slurp(dir / "live.err"));
  REQUIRE(wait_for(dir / "live.err", "capabilities dropped", 20s));
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapAmb"}) {
    INFO(set);
    CHECK(cap_field(p.pid, set) == "0000000000000000");
  }
  ::kill(p.pid, SIGTERM);
  CHECK(p.wait(20s) == 0);
  CHECK(fs::exists(dir / "events.jsonl"));
  fs::remove_all(dir);
}
