// smpp-stub: an SMSC gateway simulator speaking SMPP 3.4 (server side) for tests, demos and
// benchmarks; see stub.hpp for where each job lives and ../README.md for adding a fault mode.
// This file: the command line (options, their ranges and defaults) and main.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "stub.hpp"

int main(int argc, char** argv) {
  smpp_stub::options o;
  CLI::App app{"smpp-stub: SMSC gateway simulator (SMPP 3.4) for tests, demos and benchmarks"};
  app.add_option("--port", o.port, "TCP port to listen on (0 = any free port, printed)")->capture_default_str();
  app.add_option("--listen", o.listen, "IPv4 address to listen on")->capture_default_str();
  app.add_option("--port-file", o.port_file, "write the port number to this file once listening");
  app.add_option("--system-id", o.system_id, "system_id ESMEs must bind with")->capture_default_str();
  app.add_option("--password", o.password, "password ESMEs must bind with")->capture_default_str();
  app.add_option("--out", o.out, "JSON lines: every part and every reassembled message received, then a summary");
  app.add_flag("--flush", o.flush_each, "flush --out after every record (default: buffered, fast)");
  app.add_flag("!--no-parts", o.record_parts, "record only reassembled messages, not each part");
  app.add_option("--receipt-delay-ms", o.receipt_delay_ms, "delay before a delivery receipt")->capture_default_str();
  app.add_option("--undeliv", o.undeliv, "fraction of receipts with stat:UNDELIV")->check(CLI::Range(0.0, 1.0));
  app.add_option("--expired", o.expired, "fraction of receipts with stat:EXPIRED")->check(CLI::Range(0.0, 1.0));
  app.add_option("--reply-fraction", o.reply_fraction, "fraction of messages answered by a subscriber reply (MO)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--reply-keyword", o.reply_keyword, "text of the simulated replies")->capture_default_str();
  app.add_option("--reply-delay-ms", o.reply_delay_ms, "delay before a reply")->capture_default_str();
  app.add_option("--throttle-fraction", o.throttle_fraction, "fraction of submit_sm answered ESME_RTHROTTLED/RMSGQFUL")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--storm-period-ms", o.storm_period_ms, "throttling storm: period");
  app.add_option("--storm-length-ms", o.storm_length_ms, "throttling storm: length at the start of each period");
  app.add_option("--storm-status", o.storm_status, "throttled | msgqful | mixed")
      ->check(CLI::IsMember({"throttled", "msgqful", "mixed"}))
      ->capture_default_str();
  app.add_option("--resp-delay-ms", o.resp_delay_ms, "delay every submit_sm_resp (slow SMSC)");
  app.add_option("--drop-after", o.drop_after, "drop a connection at its Nth submit_sm (left unanswered)");
  app.add_option("--drop-max", o.drop_max, "at most this many dropped connections (0 = unlimited)");
  app.add_option("--drop-probability", o.drop_probability, "probability per submit_sm of dropping the connection")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--enquire-link-ms", o.enquire_link_ms, "send enquire_link to bound ESMEs this often (0 = never)");
  app.add_option("--reject-prefix", o.reject_prefix, "answer ESME_RINVDSTADR to destinations starting with this");
  app.add_option("--seed", o.seed, "random seed (outcomes, throttling, drops)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.undeliv + o.expired > 1.0) {
    std::fprintf(stderr, "smpp-stub: --undeliv + --expired exceed 1\n");
    return 2;
  }
  smpp_stub::stub s(o);
  return s.run();
}
