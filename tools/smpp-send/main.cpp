// smpp-send: submits the messages of a JSON-lines file through the SMPP client (durable
// outbox, window, TPS limit, reconnects) and waits until the SMSC has acknowledged them all
// (and, with --wait-receipts, until every part has a final delivery receipt).
//
// Input, one message per line:
//   {"id":"c1-42","src":"1000","dst":"8613800000001","text":"你好"}
// optional: "src_ton","src_npi","dst_ton","dst_npi" (default 1/1; an alphanumeric "src" gets
// TON 5 NPI 0), "receipt" (default true), "validity" (SMPP 5.2.16 time), "event_ns" (when the
// triggering event happened, CLOCK_REALTIME ns; default: when read).
// "id" makes acceptance idempotent: running again with the same --outbox and --in queues
// nothing twice, and resumes what a killed run left unacknowledged.
//
// Output (--events, default stdout): one JSON line per receipt, reply (MO) and failed part.
// A summary line goes to stderr. Exit: 0 all acknowledged (and receipted when asked),
// 1 timeout or some part failed, 2 bad arguments/config or credentials rejected.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bssap/smpp/client.hpp"

namespace smpp = bssap::smpp;
using json = nlohmann::json;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool is_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if ((c < '0' || c > '9') && c != '+') return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  smpp::client_config cfg;
  std::string input, events_path, mode = "trx";
  double timeout_s = 60;
  bool wait_receipts = false;
  std::size_t batch_size = 500;
  unsigned enquire_s = 30, response_timeout_ms = 10000;
  bool quiet = false;

  CLI::App app{"smpp-send: submit messages from a JSON-lines file over SMPP 3.4 and wait for the SMSC"};
  app.add_option("--host", cfg.host, "SMSC host")->capture_default_str();
  app.add_option("--port", cfg.port, "SMSC port")->capture_default_str();
  app.add_option("--system-id", cfg.system_id, "bind system_id")->required();
  app.add_option("--password", cfg.password, "bind password (never printed; or env SMPP_PASSWORD, kept out of ps)")
      ->envname("SMPP_PASSWORD");
  app.add_option("--system-type", cfg.system_type, "bind system_type");
  app.add_option("--mode", mode, "trx (bind_transceiver) | txrx (bind_transmitter + bind_receiver)")
      ->check(CLI::IsMember({"trx", "txrx"}))
      ->capture_default_str();
  app.add_option("--sessions", cfg.sessions, "parallel sessions")->capture_default_str();
  app.add_option("--window", cfg.window, "outstanding submit_sm per session")->capture_default_str();
  app.add_option("--tps", cfg.tps, "submit_sm per second over all sessions (0 = unlimited)")->capture_default_str();
  app.add_option("--outbox", cfg.outbox_path, "SQLite outbox file (durable; reuse it to resume)")->required();
  app.add_option("--sync", cfg.outbox_sync, "outbox fsync: full | normal | off")
      ->check(CLI::IsMember({"full", "normal", "off"}))
      ->capture_default_str();
  app.add_option("--in", input, "messages, JSON lines ('-' = stdin; omit to only resume the outbox)");
  app.add_option("--events", events_path, "receipts / replies / failures as JSON lines (default stdout)");
  app.add_flag("--wait-receipts", wait_receipts, "also wait for a final receipt for every part");
  app.add_option("--timeout", timeout_s, "give up after this many seconds")->capture_default_str();
  app.add_option("--batch", batch_size, "messages per outbox transaction")->capture_default_str();
  app.add_option("--enquire-link-s", enquire_s, "enquire_link interval on an idle session")->capture_default_str();
  app.add_option("--response-timeout-ms", response_timeout_ms, "wait this long for any response")
      ->capture_default_str();
  app.add_flag("--quiet", quiet, "log warnings and errors only");
  CLI11_PARSE(app, argc, argv);
  cfg.mode = mode == "txrx" ? smpp::bind_mode::transmitter_receiver : smpp::bind_mode::transceiver;
  cfg.enquire_link_interval = std::chrono::seconds(enquire_s);
  cfg.response_timeout = std::chrono::milliseconds(response_timeout_ms);

  FILE* events = stdout;
  if (!events_path.empty()) {
    events = std::fopen(events_path.c_str(), "a");
    if (!events) {
      std::fprintf(stderr, "smpp-send: cannot open %s\n", events_path.c_str());
      return 2;
    }
  }
  std::mutex events_mutex;
  auto emit = [&](const json& j) {
    std::lock_guard lock(events_mutex);
    const auto s = j.dump(-1, ' ', false, json::error_handler_t::replace);
    std::fprintf(events, "%s\n", s.c_str());
    std::fflush(events);
  };

  smpp::client c(cfg);
  c.on_log([quiet](smpp::log_level l, std::string_view text) {
    if (quiet && l < smpp::log_level::warn) return;
    if (l == smpp::log_level::debug) return;
    std::fprintf(stderr, "smpp-send: %.*s\n", static_cast<int>(text.size()), text.data());
  });
  c.on_receipt([&](const smpp::receipt_event& r) {
    emit({{"type", "receipt"},
          {"id", r.id},
          {"ref", r.client_ref},
          {"part", r.seq},
          {"parts", r.total},
          {"smsc_id", r.smsc_message_id},
          {"stat", smpp::stat_word(r.state)},
          {"err", r.err},
          {"final", r.message_final}});
  });
  c.on_mo([&](const smpp::mo_event& m) {
    emit({{"type", "mo"}, {"src", m.source.addr}, {"dst", m.destination.addr}, {"text", m.text}});
  });
  c.on_failure([&](const smpp::submit_failure& f) {
    emit({{"type", "failed"},
          {"id", f.id},
          {"ref", f.client_ref},
          {"part", f.seq},
          {"status", f.command_status},
          {"status_name", smpp::status_name(f.command_status)}});
  });
  if (auto err = c.open(); !err.empty()) {
    std::fprintf(stderr, "smpp-send: %s\n", err.c_str());
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  c.start();

  std::uint64_t rejected = 0, duplicates = 0, read = 0;
  if (!input.empty()) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (input != "-") {
      file.open(input);
      if (!file) {
        std::fprintf(stderr, "smpp-send: cannot read %s\n", input.c_str());
        c.stop(std::chrono::milliseconds(0));
        return 2;
      }
      in = &file;
    }
    std::vector<smpp::outgoing_message> batch;
    std::string line;
    std::uint64_t line_no = 0;
    auto flush_batch = [&] {
      if (batch.empty()) return;
      for (const auto& r : c.submit(batch)) {
        if (r.id == 0) ++rejected;
        if (r.duplicate) ++duplicates;
      }
      batch.clear();
    };
    while (!g_stop && std::getline(*in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const json j = json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("dst") || !j.contains("text")) {
        std::fprintf(stderr, "smpp-send: %s:%llu: not a message object, skipped\n", input.c_str(),
                     static_cast<unsigned long long>(line_no));
        ++rejected;
        continue;
      }
      smpp::outgoing_message m;
      m.client_ref = j.value("id", std::string());
      m.source.addr = j.value("src", std::string());
      if (!m.source.addr.empty() && !is_digits(m.source.addr)) m.source = {5, 0, m.source.addr};  // 5.2.5 alphanumeric
      m.source.ton = static_cast<std::uint8_t>(j.value("src_ton", int{m.source.ton}));
      m.source.npi = static_cast<std::uint8_t>(j.value("src_npi", int{m.source.npi}));
      m.destination.addr = j.value("dst", std::string());
      m.destination.ton = static_cast<std::uint8_t>(j.value("dst_ton", 1));
      m.destination.npi = static_cast<std::uint8_t>(j.value("dst_npi", 1));
      m.text = j.value("text", std::string());
      m.want_receipt = j.value("receipt", true);
      m.validity_period = j.value("validity", std::string());
      m.event_time_ns = j.value("event_ns", now_ns());
      ++read;
      batch.push_back(std::move(m));
      if (batch.size() >= batch_size) flush_batch();
    }
    flush_batch();
  }

  // Wait for the outbox to drain.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int rc = 1;
  bool seen_bound = false;  // success needs one accepted bind, even with nothing to send
  while (!g_stop && std::chrono::steady_clock::now() < deadline) {
    seen_bound = seen_bound || c.bound();
    if (c.credentials_rejected() && !c.bound()) {
      std::fprintf(stderr, "smpp-send: credentials rejected: %s\n", c.last_error().c_str());
      rc = 2;
      break;
    }
    const auto n = c.counts();
    if (seen_bound && n.pending == 0 && (!wait_receipts || n.submitted == 0)) {
      rc = n.failed == 0 ? 0 : 1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  c.stop(std::chrono::milliseconds(2000));
  const auto m = c.metrics();
  const auto n = c.counts();
  json failed_by = json::object();
  for (const auto& [st, count] : m.failed_by_status) failed_by[std::string(smpp::status_name(st))] = count;
  const json summary{
      {"type", "summary"},
      {"read", read},
      {"rejected", rejected},
      {"already_accepted", duplicates},
      {"submitted", m.submitted},
      {"acknowledged", m.acknowledged},
      {"failed", m.failed},
      {"failed_by_status", failed_by},
      {"retried", m.retried},
      {"throttled", m.throttled},
      {"delivered", m.delivered},
      {"unmatched_receipts", m.unmatched_receipts},
      {"mo", m.mo},
      {"reconnects", m.reconnects},
      {"resent_unanswered", m.resent_unanswered},
      {"recovered_from_outbox", m.recovered_from_outbox},
      {"latency_p50_us", m.latency_p50_us},
      {"latency_p99_us", m.latency_p99_us},
      {"outbox", {{"pending", n.pending}, {"submitted", n.submitted}, {"final", n.final}, {"failed", n.failed}}},
      {"result", rc == 0 ? "ok" : (rc == 2 ? "config" : "incomplete")}};
  std::fprintf(stderr, "%s\n", summary.dump().c_str());
  if (events != stdout) std::fclose(events);
  return rc;
}
