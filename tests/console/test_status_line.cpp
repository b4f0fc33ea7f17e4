// The live / dpdk status line (issue 14): on a terminal a line redrawn in place with packets and
// events per second, drops, open connections (and the SMPP window with an sms channel); nothing
// of it when stderr is a pipe. `dpdk` over a net_pcap vdev runs the same capture-side code as
// `live` (status_reporter, enabled by main when stderr is a tty) without needing an interface.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "console_test_util.hpp"

using namespace bssap;
namespace fs = std::filesystem;

namespace {

std::string dpdk_command(const fs::path& dir, const std::string& prefix) {
  return test::probe_path() + " dpdk --no-huge --no-pci -m 256 --log-level=1 --file-prefix=" + prefix + "-" +
         std::to_string(::getpid()) +
         " --vdev=net_pcap0,rx_pcap=" + (test::source_dir() / "pcaps" / "sample.pcap").string() +
         " -- --idle-exit 1.5 --no-summary --events " + (dir / (prefix + ".jsonl")).string();
}

}  // namespace

TEST_CASE("dpdk status line: redrawn in place on a terminal, absent on a pipe", "[console][e2e][dpdk]") {
  if (std::system("command -v script >/dev/null 2>&1") != 0) BSSAP_SKIP_OR_FAIL("script (util-linux) missing");
  const auto dir = test::console_dir("status");
  // A pseudo-terminal: script(1) runs the probe with its stdio on a pty and copies what it wrote.
  const auto tty_out = dir / "tty.txt";
  const std::string in_pty =
      "script -q -e -c '" + dpdk_command(dir, "tty") + "' /dev/null > " + tty_out.string() + " 2>&1 < /dev/null";
  REQUIRE(std::system(in_pty.c_str()) == 0);
  const std::string tty = test::slurp(tty_out);
  INFO(tty);
  const auto first = tty.find("\r\033[Klive ");
  REQUIRE(first != std::string::npos);
  CHECK(tty.find("\r\033[Klive ", first + 1) != std::string::npos);  // redrawn, not printed once
  CHECK(tty.find(" pkt/s ") != std::string::npos);
  CHECK(tty.find(" ev/s | drops kernel 0 interface 0 queue 0 | ") != std::string::npos);
  CHECK(tty.find(" conns") != std::string::npos);

  // A pipe: the same run, nothing of the line.
  const auto pipe_out = dir / "pipe.txt";
  const std::string piped = dpdk_command(dir, "pipe") + " 2>&1 < /dev/null | cat > " + pipe_out.string();
  REQUIRE(std::system(piped.c_str()) == 0);
  const std::string plain = test::slurp(pipe_out);
  INFO(plain);
  CHECK(plain.find("\033[K") == std::string::npos);
  CHECK(plain.find("pkt/s") == std::string::npos);
  CHECK(plain.find('\r') == std::string::npos);
  CHECK(test::slurp(dir / "pipe.jsonl") == test::slurp(dir / "tty.jsonl"));  // the line changes nothing else
  CHECK(!test::slurp(dir / "pipe.jsonl").empty());
}

TEST_CASE("live status line: on a pty, not on a pipe", "[console][e2e][live]") {
  if (::geteuid() != 0) BSSAP_SKIP_OR_FAIL("live capture on lo needs root (CAP_NET_RAW)");
  if (std::system("command -v script >/dev/null 2>&1") != 0) BSSAP_SKIP_OR_FAIL("script (util-linux) missing");
  const auto dir = test::console_dir("status-live");
  // Two seconds of lo, then SIGINT (a clean stop: drained, flushed).
  const std::string live =
      "timeout -s INT 2 " + test::probe_path() + " live -i lo --no-summary --events " + (dir / "live.jsonl").string();
  (void)std::system(
      ("script -q -c '" + live + "' /dev/null > " + (dir / "tty.txt").string() + " 2>&1 < /dev/null").c_str());
  const std::string tty = test::slurp(dir / "tty.txt");
  INFO(tty);
  const auto first = tty.find("\r\033[Klive ");
  REQUIRE(first != std::string::npos);
  CHECK(tty.find("\r\033[Klive ", first + 1) != std::string::npos);
  CHECK(tty.find(" conns") != std::string::npos);
  (void)std::system((live + " 2>&1 < /dev/null | cat > " + (dir / "pipe.txt").string()).c_str());
  const std::string plain = test::slurp(dir / "pipe.txt");
  INFO(plain);
  // It ran (the line comes before the capture loop; a SIGINT that arrives before the probe's
  // handlers are installed, on a loaded machine, ends it without "stopping").
  CHECK(plain.find("capture open") != std::string::npos);
  CHECK(plain.find("\033[K") == std::string::npos);
  CHECK(plain.find("pkt/s") == std::string::npos);
}
