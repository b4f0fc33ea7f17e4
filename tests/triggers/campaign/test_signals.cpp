// Signals of a running probe (issue 17): SIGHUP reopens the event and decision logs after
// logrotate has moved them, with no event lost; SIGTERM drains, flushes the logs, saves the state
// and exits 0 within a bounded time; a second SIGTERM exits at once.
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "../smpp/proc.hpp"
#include "engine_support.hpp"

using namespace std::chrono_literals;
namespace t = bssap::test;
namespace fs = std::filesystem;

namespace {

std::size_t count_lines(const fs::path& p) {
  std::ifstream f(p);
  std::size_t n = 0;
  std::string line;
  while (std::getline(f, line)) n += line.empty() ? 0 : 1;
  return n;
}

// Every line a complete JSON object (a log cut in the middle of a line is not flushed).
bool all_lines_json(const fs::path& p) {
  const std::string text = t::slurp(p);
  if (!text.empty() && text.back() != '\n') return false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (!nlohmann::json::accept(line)) return false;
  }
  return true;
}

t::world updates_world(const std::string& name, const std::string& extra = "") {
  t::world w(name, extra);
  w.campaign("updates", "trigger: {event: [location_update, periodic_update, power_on]}\nchannel: {type: record}\n");
  return w;
}

std::vector<std::string> replay_args(const t::world& w, const std::string& speed) {
  std::vector<std::string> a{(t::bin_dir() / "bssap-probe").string(),
                             "replay",
                             (t::source_dir() / "pcaps" / "sample.pcap").string(),
                             "--config",
                             w.config(),
                             "--decisions",
                             (w.dir / "decisions.jsonl").string(),
                             "--events",
                             (w.dir / "events.jsonl").string(),
                             "--no-summary"};
  if (speed.empty()) {
    a.push_back("--fast");
  } else {
    a.push_back("--speed");
    a.push_back(speed);
  }
  return a;
}

}  // namespace

TEST_CASE("SIGHUP after logrotate moved the logs: new files from then on, no event or decision lost") {
  const auto ref = updates_world("signals-hup-ref");
  {
    t::child p(replay_args(ref, ""), ref.dir / "out", ref.dir / "err");
    REQUIRE(p.wait(60s) == 0);
  }
  const std::size_t events = count_lines(ref.dir / "events.jsonl");
  const std::size_t decisions = count_lines(ref.dir / "decisions.jsonl");
  REQUIRE(decisions > 20);

  const auto w = updates_world("signals-hup");
  t::child p(replay_args(w, "30"), w.dir / "out", w.dir / "err");  // the 300 s sample in 10 s
  // Rotate once the writer has handed over its first events (once a second), however slowly a
  // loaded machine starts the probe: a fixed sleep renamed a file not yet written.
  const auto has_lines = [](const fs::path& f) {
    std::error_code ec;
    return fs::file_size(f, ec) > 0 && !ec;
  };
  REQUIRE(
      t::wait_until([&] { return has_lines(w.dir / "events.jsonl") && fs::exists(w.dir / "decisions.jsonl"); }, 8s));
  // What logrotate does: rename, then the postrotate SIGHUP.
  fs::rename(w.dir / "events.jsonl", w.dir / "events.jsonl.1");
  fs::rename(w.dir / "decisions.jsonl", w.dir / "decisions.jsonl.1");
  p.signal(SIGHUP);
  REQUIRE(
      t::wait_until([&] { return t::slurp(w.dir / "err").find("info: reopened the logs") != std::string::npos; }, 5s));
  REQUIRE(p.wait(60s) == 0);
  INFO(t::slurp(w.dir / "err"));
  const std::size_t before = count_lines(w.dir / "events.jsonl.1"), after = count_lines(w.dir / "events.jsonl");
  CHECK(before > 0);
  CHECK(after > 0);  // the new file took the events from the reopen on
  CHECK(before + after == events);
  CHECK(all_lines_json(w.dir / "events.jsonl.1"));
  CHECK(all_lines_json(w.dir / "events.jsonl"));
  // The old and the new decision log hold each decision once between them.
  CHECK(count_lines(w.dir / "decisions.jsonl.1") + count_lines(w.dir / "decisions.jsonl") == decisions);
}

TEST_CASE("SIGTERM mid-replay: the queues drained, the logs flushed, the state saved, exit 0") {
  const auto w = updates_world("signals-term");
  t::child p(replay_args(w, "30"), w.dir / "out", w.dir / "err");  // 10 s of replay
  std::this_thread::sleep_for(2000ms);
  const auto sent = std::chrono::steady_clock::now();
  p.signal(SIGTERM);
  const int rc = p.wait(30s);
  const auto took = std::chrono::steady_clock::now() - sent;
  INFO(t::slurp(w.dir / "err"));
  REQUIRE(rc == 0);
  CHECK(took < 8s);  // no SMSC to wait for: the receipt wait is the longest bound (5 s)
  CHECK_THAT(t::slurp(w.dir / "err"), Catch::Contains("info: stopping: draining") && Catch::Contains("info: stopped"));
  const std::size_t events = count_lines(w.dir / "events.jsonl");
  CHECK(events > 0);
  CHECK(all_lines_json(w.dir / "events.jsonl"));
  CHECK(count_lines(w.dir / "decisions.jsonl") > 0);
  CHECK(all_lines_json(w.dir / "decisions.jsonl"));
  // The probe's subscriber state (beside the engine's) and the engine's store.
  CHECK(fs::file_size(w.dir / "state" / "probe" / "subscribers.txt") > 0);
  std::size_t store_files = 0;
  for (const auto& e : fs::directory_iterator(w.dir / "state")) store_files += e.is_regular_file() ? 1 : 0;
  CHECK(store_files > 0);
  // Stopped early: fewer events than the whole capture, and a restart on the same state works.
  const auto ref = updates_world("signals-term-ref");
  t::child full(replay_args(ref, ""), ref.dir / "out", ref.dir / "err");
  REQUIRE(full.wait(60s) == 0);
  CHECK(events < count_lines(ref.dir / "events.jsonl"));
}

TEST_CASE("A second SIGTERM while the first drains exits at once") {
  // An SMSC that accepts the TCP connection and never answers: the first SIGTERM waits for its
  // answers (the drain, up to 10 s); the second does not wait.
  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(lfd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(lfd, 16) == 0);
  socklen_t len = sizeof a;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  ::setenv("BSSAP_TEST_SMPP_PASSWORD", "secret", 1);
  // The sample's own subscribers (with MSISDNs), so that messages are handed to the SMSC.
  t::world w("signals-term-twice",
             "smpp: {host: 127.0.0.1, port: " + std::to_string(port) +
                 ", system_id: bssap, password_env: BSSAP_TEST_SMPP_PASSWORD}\n",
             t::slurp(t::source_dir() / "examples" / "subscribers.csv"));
  w.campaign("welcome",
             "trigger: {event: [location_update, periodic_update, power_on]}\n"
             "channel: {type: sms, sender: \"10658\", text: \"hello\"}\n");
  t::child p(replay_args(w, "30"), w.dir / "out", w.dir / "err");
  std::this_thread::sleep_for(2000ms);
  p.signal(SIGTERM);
  REQUIRE(t::wait_until([&] { return t::slurp(w.dir / "err").find("info: stopping") != std::string::npos; }, 10s));
  std::this_thread::sleep_for(300ms);
  REQUIRE(p.wait(0ms) == -1);  // still draining: the SMSC never answers
  const auto sent = std::chrono::steady_clock::now();
  p.signal(SIGTERM);
  const int rc = p.wait(5s);
  const auto took = std::chrono::steady_clock::now() - sent;
  ::close(lfd);
  INFO(t::slurp(w.dir / "err"));
  CHECK(rc == 130);
  CHECK(took < 1s);
}
