// Fault tests: throttling storms, SMSC restart mid-stream, dropped connections, the sending
// process killed (SIGKILL) with messages in flight and restarted on the same outbox; and the
// npm smpp ESME against smpp-stub.
//
// "Exactly once" here: every accepted message's parts reach the SMSC, and after dropping the
// copies the SMSC side recognises as resends -- same (destination, user_message_reference
// 0x0204, concatenation part) -- exactly one copy of each part remains, none is missing and
// none is unexpected. Resends happen only for parts sent but not acknowledged when a
// connection dropped or the client died (the at-least-once window); they are counted.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

#include "bssap/smpp/client.hpp"
#include "proc.hpp"

using namespace bssap::smpp;
using namespace std::chrono_literals;
namespace t = bssap::test;

namespace {

client_config config_for(int port, const std::string& outbox) {
  client_config c;
  c.port = static_cast<std::uint16_t>(port);
  c.system_id = "bssap";
  c.password = "secret";
  c.outbox_path = outbox;
  c.outbox_sync = "normal";
  c.reconnect_min = 50ms;
  c.reconnect_max = 400ms;
  c.throttle_backoff_min = 5ms;
  c.throttle_backoff_max = 50ms;
  c.response_timeout = 3s;
  return c;
}

// A campaign: short GSM, Chinese, and every 10th message long (2-3 parts).
struct campaign {
  std::vector<outgoing_message> messages;
  std::size_t parts = 0;
  explicit campaign(int n) {
    for (int i = 0; i < n; ++i) {
      outgoing_message m;
      m.client_ref = "c" + std::to_string(i);
      m.source = {1, 1, "10086"};
      m.destination = {1, 1, "86139" + std::to_string(1000000 + i)};
      if (i % 10 == 9) {
        m.text = std::string(170, 'L') + " #" + std::to_string(i) + " {end}";
      } else if (i % 10 == 4) {
        for (int k = 0; k < 20; ++k) m.text += "优惠活动";  // 80 UCS-2 chars: 2 parts
        m.text += std::to_string(i);
      } else if (i % 2) {
        m.text = "你好 " + std::to_string(i);
      } else {
        m.text = "Hello [" + std::to_string(i) + "] €";
      }
      std::vector<encoded_part> p;
      REQUIRE(encode_text(m.text, 0, p) == text_error::none);
      parts += p.size();
      m.event_time_ns = 1;
      messages.push_back(std::move(m));
    }
  }
  void write_jsonl(const std::filesystem::path& p) const {
    std::ofstream f(p);
    for (const auto& m : messages)
      f << nlohmann::json{{"id", m.client_ref}, {"src", m.source.addr}, {"dst", m.destination.addr}, {"text", m.text}}
               .dump()
        << "\n";
  }
};

struct dedup_result {
  std::size_t records = 0, unique = 0, duplicates = 0, missing = 0, wrong_text = 0, unexpected = 0;
};

// Part records from one or more SMSC output files: dedup by (dst, umr, part), rebuild each
// message from its unique parts and compare with what was accepted.
dedup_result account(const campaign& c, const std::vector<std::filesystem::path>& files) {
  std::map<std::tuple<std::string, int, int>, std::string> unique;
  dedup_result r;
  for (const auto& f : files) {
    for (const auto& j : t::read_jsonl(f)) {
      if (j.value("type", "") != "part") continue;
      ++r.records;
      const int seq = j.contains("concat") ? j["concat"].value("seq", 1) : 1;
      const auto key = std::tuple{j.value("dst", ""), j.value("umr", -1), seq};
      if (!unique.emplace(key, j.value("text", "")).second) ++r.duplicates;
    }
  }
  r.unique = unique.size();
  std::set<std::tuple<std::string, int, int>> expected;
  for (std::size_t i = 0; i < c.messages.size(); ++i) {
    const auto& m = c.messages[i];
    std::vector<encoded_part> p;
    (void)encode_text(m.text, 0, p);
    std::string rebuilt;
    bool complete = true;
    for (std::size_t k = 1; k <= p.size(); ++k) {
      // The outbox ids are 1..n in acceptance order: user_message_reference = id & 0xFFFF.
      const auto key = std::tuple{m.destination.addr, static_cast<int>((i + 1) & 0xFFFF), static_cast<int>(k)};
      expected.insert(key);
      auto it = unique.find(key);
      if (it == unique.end()) {
        complete = false;
        continue;
      }
      rebuilt += it->second;
    }
    if (!complete)
      ++r.missing;
    else if (rebuilt != m.text)
      ++r.wrong_text;
  }
  for (const auto& [k, v] : unique)
    if (!expected.count(k)) ++r.unexpected;
  return r;
}

std::size_t count_lines(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::size_t n = 0;
  std::string line;
  while (std::getline(f, line)) ++n;
  return n;
}

}  // namespace

TEST_CASE("throttling storms: back off and retry, nothing lost or duplicated") {
  const campaign c(400);
  auto stub = t::stub_process::start(
      "storm", {"--storm-period-ms", "150", "--storm-length-ms", "60", "--throttle-fraction", "0.05", "--seed", "7"});
  REQUIRE(stub.port > 0);
  auto cfg = config_for(stub.port, t::scratch("storm.db").string());
  cfg.window = 32;
  client cl(cfg);
  cl.on_log([](log_level, std::string_view) {});
  REQUIRE(cl.open().empty());
  cl.start();
  cl.submit(c.messages);
  const bool drained = t::wait_until([&] { return cl.counts().pending == 0; }, 30s);
  cl.stop(1s);
  stub.proc.stop();
  CHECK(drained);
  const auto m = cl.metrics();
  CHECK(m.throttled > 0);
  CHECK(m.acknowledged == c.parts);
  CHECK(m.failed == 0);
  const auto r = account(c, {stub.out});
  INFO("records " << r.records << " unique " << r.unique << " throttled " << m.throttled);
  CHECK(r.unique == c.parts);
  CHECK(r.duplicates == 0);  // throttled submits were refused, so a retry is not a resend
  CHECK(r.missing == 0);
  CHECK(r.wrong_text == 0);
  CHECK(r.unexpected == 0);
}

TEST_CASE("SMSC restarts mid-stream and drops connections: every message exactly once after dedup") {
  const campaign c(500);
  auto stub1 = t::stub_process::start("restart-1", {"--drop-after", "120", "--drop-max", "2", "--flush"});
  REQUIRE(stub1.port > 0);
  auto cfg = config_for(stub1.port, t::scratch("restart.db").string());
  cfg.tps = 2500;  // spread the campaign so the restart lands in the middle
  cfg.window = 16;
  client cl(cfg);
  cl.on_log([](log_level, std::string_view) {});
  REQUIRE(cl.open().empty());
  cl.start();
  cl.submit(c.messages);
  // Stop the SMSC once a good part of the campaign went through, then start it again.
  REQUIRE(t::wait_until([&] { return count_lines(stub1.out) >= 300; }, 20s));
  stub1.proc.stop(SIGTERM);
  std::this_thread::sleep_for(200ms);
  auto stub2 = t::stub_process::start("restart-2", {}, stub1.port);
  REQUIRE(stub2.port == stub1.port);
  const bool drained = t::wait_until([&] { return cl.counts().pending == 0; }, 30s);
  cl.stop(1s);
  stub2.proc.stop();
  CHECK(drained);
  const auto m = cl.metrics();
  CHECK(m.reconnects >= 3);  // two drops and one restart
  CHECK(m.acknowledged >= c.parts);
  const auto r = account(c, {stub1.out, stub2.out});
  WARN("SMSC restart: " << c.parts << " parts, " << r.records << " received, " << r.duplicates
                        << " resent copies dropped by dedup, reconnects " << m.reconnects);
  CHECK(r.unique == c.parts);
  CHECK(r.missing == 0);
  CHECK(r.wrong_text == 0);
  CHECK(r.unexpected == 0);
}

TEST_CASE("smpp-send killed (SIGKILL) with messages in flight, restarted on the same outbox") {
  const campaign c(600);
  const auto in = t::scratch("kill-in.jsonl");
  c.write_jsonl(in);
  auto stub = t::stub_process::start("kill", {"--flush", "--resp-delay-ms", "15"});
  REQUIRE(stub.port > 0);
  const auto outbox = t::scratch("kill.db");
  const std::vector<std::string> argv{t::send_bin().string(),
                                      "--port",
                                      std::to_string(stub.port),
                                      "--system-id",
                                      "bssap",
                                      "--password",
                                      "secret",
                                      "--outbox",
                                      outbox.string(),
                                      "--in",
                                      in.string(),
                                      "--tps",
                                      "3000",
                                      "--window",
                                      "64",
                                      "--batch",
                                      "100",
                                      "--timeout",
                                      "40",
                                      "--quiet"};
  {
    t::child sender(argv, t::scratch("kill-send1.out"), t::scratch("kill-send1.err"));
    REQUIRE(t::wait_until([&] { return count_lines(stub.out) >= 250; }, 20s));
    sender.signal(SIGKILL);
    CHECK(sender.wait() == 128 + SIGKILL);
  }
  const auto before = count_lines(stub.out);
  t::child again(argv, t::scratch("kill-send2.out"), t::scratch("kill-send2.err"));
  const int rc = again.wait(45s);
  stub.proc.stop();
  CHECK(rc == 0);
  nlohmann::json summary;
  for (const auto& j : t::read_jsonl(t::scratch("kill-send2.err").string()))
    if (j.is_object() && j.value("type", "") == "summary") summary = j;
  INFO(t::slurp(t::scratch("kill-send2.err")));
  // The restarted run re-read the input: everything accepted before the kill was recognised.
  CHECK(summary.value("already_accepted", 0) > 0);
  CHECK(summary["outbox"].value("pending", -1) == 0);
  const auto r = account(c, {stub.out});
  WARN("SIGKILL: " << c.parts << " parts, " << before << " records before the kill, " << r.records
                   << " received in all, " << r.duplicates << " resent copies dropped by dedup");
  CHECK(r.unique == c.parts);
  CHECK(r.missing == 0);
  CHECK(r.wrong_text == 0);
  CHECK(r.unexpected == 0);
}

TEST_CASE("npm smpp ESME against smpp-stub: Chinese and long messages reassembled") {
  if (!t::have_node_peers()) {
    WARN("SKIPPED: node or tests/peers/node_modules missing (run scripts/setup.sh)");
    return;
  }
  auto stub = t::stub_process::start("node-esme", {"--reply-fraction", "1", "--reply-keyword", "OK"});
  REQUIRE(stub.port > 0);
  const std::vector<std::pair<std::string, std::string>> msgs{{"8613900000001", "Plain GSM with {braces} and €"},
                                                              {"8613900000002", "中文短信测试：你好！"},
                                                              {"8613900000003", std::string(200, 'G') + " [tail]"},
                                                              {"8613900000004", [] {
                                                                 std::string s;
                                                                 for (int i = 0; i < 25; ++i) s += "长短信分段";
                                                                 return s;
                                                               }()}};
  const auto in = t::scratch("node-esme-in.jsonl");
  {
    std::ofstream f(in);
    for (const auto& [dst, text] : msgs)
      f << nlohmann::json{{"src", "10086"}, {"dst", dst}, {"text", text}}.dump() << "\n";
  }
  t::child esme(
      {"node", (t::peers_dir() / "esme.js").string(), "--port", std::to_string(stub.port), "--in", in.string()},
      t::scratch("node-esme.out"), t::scratch("node-esme.err"));
  const int rc = esme.wait(20s);
  INFO(t::slurp(t::scratch("node-esme.out")) << t::slurp(t::scratch("node-esme.err")));
  CHECK(rc == 0);
  const auto result = nlohmann::json::parse(t::slurp(t::scratch("node-esme.out")), nullptr, false);
  CHECK(result.value("receipts", 0) == result.value("parts", -1));
  // Wrong password: the stub refuses with ESME_RINVPASWD (0x0E).
  t::child bad({"node", (t::peers_dir() / "esme.js").string(), "--port", std::to_string(stub.port), "--in", in.string(),
                "--password", "nope"},
               t::scratch("node-esme-bad.out"), t::scratch("node-esme-bad.err"));
  CHECK(bad.wait(20s) == 3);
  CHECK(nlohmann::json::parse(t::slurp(t::scratch("node-esme-bad.out")), nullptr, false).value("bind_status", 0) ==
        0x0E);
  stub.proc.stop();
  std::map<std::string, nlohmann::json> got;
  nlohmann::json summary;
  for (const auto& j : t::read_jsonl(stub.out)) {
    if (j.value("type", "") == "message") got[j.value("dst", "")] = j;
    if (j.value("type", "") == "summary") summary = j;
  }
  for (const auto& [dst, text] : msgs) {
    INFO(dst);
    CHECK(got[dst].value("text", "") == text);
  }
  CHECK(got["8613900000003"].value("parts", 0) == 2);
  CHECK(got["8613900000004"].value("parts", 0) == 2);
  CHECK(summary.value("bind_rejected", 0) == 1);
  CHECK(summary.value("mo_sent", 0) == 4);
}
