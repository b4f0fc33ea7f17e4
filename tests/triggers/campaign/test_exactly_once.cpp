// Exactly once, end to end (campaigns.md "Exactly once"; issue 11 "Done when"): bssap-probe
// replays a bssap-synth capture with SMS campaigns through smpp-stub; killed with SIGKILL at
// random points and rerun on the same state_dir, the SMSC ends up with the messages of an
// uninterrupted run, none missing. Copies the SMSC may see twice are only those whose submit_sm
// had no response when the process died: the stub recognises them (same destination,
// user_message_reference and part) and the test bounds them by the window. Replaying the same
// capture again sends nothing; two runs with empty state give byte-identical decision logs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include "../smpp/proc.hpp"
#include "engine_support.hpp"

using namespace std::chrono_literals;
namespace t = bssap::test;

namespace {

const std::filesystem::path& capture_dir() {
  static const std::filesystem::path dir = [] {
    auto d = t::scratch("exactly-once-capture");
    std::filesystem::create_directories(d);
    t::child synth(
        {(t::bin_dir() / "bssap-synth").string(), "--subscribers", "300", "--duration", "600", "--seed", "11",
         "--transport", "m3ua", "--out", (d / "cap.pcap").string(), "--operator-out", d.string(), "--quiet"},
        d / "synth.out", d / "synth.err");
    REQUIRE(synth.wait(60s) == 0);
    return d;
  }();
  return dir;
}

// A world for the capture: its subscribers and TAC table, two SMS campaigns (one in UCS-2, long
// enough to be concatenated), pointing at an SMSC on `port`.
t::world sms_world(const std::string& name, int port) {
  const auto cap = capture_dir();
  t::world w(name,
             "smpp: {host: 127.0.0.1, port: " + std::to_string(port) +
                 ", system_id: bssap, password_env: BSSAP_TEST_SMPP_PASSWORD, window: 16}\n",
             t::slurp(cap / "subscribers.csv"));
  t::write_file(w.dir / "tac.csv", t::slurp(cap / "tac.csv"));
  w.campaign("a-welcome",
             "priority: 5\ntrigger: {event: [location_update, power_on]}\n"
             "channel: {type: sms, sender: \"10086\", text: \"Welcome {msisdn}, you are in area {lac} "
             "cell {cell}.\"}\nstrategy: {cap: {count: 1, per: 1d}}\n");
  w.campaign("b-roamer",
             "trigger: {event: roaming_in}\n"
             "channel: {type: sms, sender: \"10086\", text: \"欢迎来到中国！{msisdn} 拨打 10086 "
             "获取帮助，发送 CX 查询话费，发送 LL 订购流量包，祝您旅途愉快。这是一条较长的短信，"
             "会被拆成多条发送。\"}\n");
  return w;
}

std::vector<std::string> probe_argv(const t::world& w, const std::string& speed, const std::string& decisions) {
  std::vector<std::string> argv{(t::bin_dir() / "bssap-probe").string(),
                                "replay",
                                (capture_dir() / "cap.pcap").string(),
                                "--config",
                                w.config(),
                                "--decisions",
                                decisions,
                                "--no-summary"};
  if (speed.empty()) {
    argv.push_back("--fast");
  } else {
    argv.push_back("--speed");
    argv.push_back(speed);
  }
  return argv;
}

// The stub's reassembled messages as "dst|text", with multiplicity.
std::multiset<std::string> messages_at(const std::filesystem::path& out) {
  std::multiset<std::string> m;
  for (const auto& j : t::read_jsonl(out))
    if (j.value("type", "") == "message") m.insert(j["dst"].get<std::string>() + "|" + j["text"].get<std::string>());
  return m;
}
std::size_t parts_at(const std::filesystem::path& out, bool dup) {
  std::size_t n = 0;
  for (const auto& j : t::read_jsonl(out)) n += j.value("type", "") == "part" && j.value("dup", false) == dup ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("SIGKILL at random points of a replay: the SMSC gets the uninterrupted run's messages, once") {
  ::setenv("BSSAP_TEST_SMPP_PASSWORD", "secret", 1);
  // The uninterrupted run.
  auto stub_a = t::stub_process::start("eo-a", {"--flush"});
  REQUIRE(stub_a.port > 0);
  const auto wa = sms_world("eo-a", stub_a.port);
  {
    t::child p(probe_argv(wa, "", (wa.dir / "decisions.jsonl").string()), wa.dir / "out", wa.dir / "err");
    REQUIRE(p.wait(120s) == 0);
  }
  const auto expected = messages_at(stub_a.out);
  REQUIRE(expected.size() > 50);
  INFO("uninterrupted: " << expected.size() << " messages");

  // Killed three times at random instants, then run to its end, all on one state_dir.
  auto stub_b = t::stub_process::start("eo-b", {"--flush", "--resp-delay-ms", "5"});
  REQUIRE(stub_b.port > 0);
  const auto wb = sms_world("eo-b", stub_b.port);
  std::random_device rd;
  const unsigned seed = rd();
  std::mt19937 rng(seed);
  INFO("kill points seed " << seed);
  constexpr int kills = 3;
  for (int k = 0; k < kills; ++k) {
    const auto after = std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 2500)(rng));
    INFO("kill " << k << " after " << after.count() << " ms");
    t::child p(probe_argv(wb, "150", (wb.dir / ("decisions-" + std::to_string(k) + ".jsonl")).string()), wb.dir / "out",
               wb.dir / "err");
    std::this_thread::sleep_for(after);
    p.signal(SIGKILL);
    CHECK(p.wait(10s) == 128 + SIGKILL);
  }
  // The last run prints its summary: the SMSC's resent copies since it started are parts it
  // counted as recovered from the outbox or resent unanswered.
  const std::size_t dups_before_final = parts_at(stub_b.out, true);
  {
    auto argv = probe_argv(wb, "", (wb.dir / "decisions-final.jsonl").string());
    argv.erase(std::find(argv.begin(), argv.end(), std::string("--no-summary")));
    t::child p(argv, wb.dir / "out", wb.dir / "err-final");
    REQUIRE(p.wait(120s) == 0);
  }
  {
    const std::string err = t::slurp(wb.dir / "err-final");
    const auto at = err.find(" parts resent unanswered, ");
    REQUIRE(at != std::string::npos);
    const auto begin = err.rfind(' ', at - 1) + 1;
    const std::size_t resent = std::stoul(err.substr(begin, at - begin));
    const std::size_t recovered = std::stoul(err.substr(at + std::strlen(" parts resent unanswered, ")));
    INFO("final run: " << recovered << " recovered, " << resent << " resent unanswered");
    CHECK(parts_at(stub_b.out, true) - dups_before_final <= recovered + resent);
  }
  const auto got = messages_at(stub_b.out);
  std::vector<std::string> missing, extra;
  std::set_difference(expected.begin(), expected.end(), got.begin(), got.end(), std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), expected.begin(), expected.end(), std::back_inserter(extra));
  CHECK(missing.empty());
  CHECK(extra.empty());
  // Resent copies: only parts in flight (at most the window of 16) when a process died.
  const std::size_t dups = parts_at(stub_b.out, true);
  INFO("copies recognised as resends: " << dups);
  CHECK(dups <= static_cast<std::size_t>(kills) * 16);

  // The same capture again on the same state: nothing new reaches the SMSC.
  const std::size_t parts_before = parts_at(stub_b.out, false) + parts_at(stub_b.out, true);
  {
    t::child p(probe_argv(wb, "", (wb.dir / "decisions-again.jsonl").string()), wb.dir / "out", wb.dir / "err");
    REQUIRE(p.wait(120s) == 0);
  }
  std::this_thread::sleep_for(300ms);
  CHECK(parts_at(stub_b.out, false) + parts_at(stub_b.out, true) == parts_before);
  CHECK(t::slurp(wb.dir / "decisions-again.jsonl").empty());
}

TEST_CASE("two runs with empty state give byte-identical decision logs (1 and 2 trigger shards)") {
  ::setenv("BSSAP_TEST_SMPP_PASSWORD", "secret", 1);
  auto stub = t::stub_process::start("eo-det", {});
  REQUIRE(stub.port > 0);
  for (const char* shards : {"1", "2"}) {
    std::string first;
    for (int run = 0; run < 2; ++run) {
      const auto w = sms_world(std::string("eo-det-") + shards + "-" + std::to_string(run), stub.port);
      auto argv = probe_argv(w, "", (w.dir / "decisions.jsonl").string());
      argv.push_back("--trigger-shards");
      argv.push_back(shards);
      t::child p(argv, w.dir / "out", w.dir / "err");
      REQUIRE(p.wait(120s) == 0);
      const auto log = t::slurp(w.dir / "decisions.jsonl");
      REQUIRE(!log.empty());
      if (run == 0)
        first = log;
      else
        CHECK(log == first);
    }
  }
}
