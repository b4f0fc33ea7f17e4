// tshark-diff end to end: our decoders and tshark agree on every capture we have.
// upper_vectors.pcap: the upper-layer test vectors (tests/decoders/test_*.cpp [built] vectors:
// SCCP CR/UDT/XUDT, BSSMAP, DTAP MM/CC/SMS/SS/RR) wrapped in MTP3 frames (DLT 141) by text2pcap;
// it holds one case of each known Wireshark difference K1, K2, K4, K6 (KNOWN_DIFFERENCES.md).
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>

#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

struct run_result {
  int status = -1;
  std::string output;
};

run_result run(const std::string& args) {
  const std::string cmd = (bssap::test::bin_dir() / "tshark-diff").string() + " " + args + " 2>&1";
  run_result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string last_line(const std::string& s) {
  auto end = s.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  const auto start = s.rfind('\n', end);
  return s.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

bool have_tshark() {
  return std::system("tshark -v > /dev/null 2>&1") == 0;
}

}  // namespace

TEST_CASE("tshark-diff: upper-layer vectors agree, the known differences are explained", "[upper]") {
  if (!have_tshark()) {
    WARN("tshark not installed: skipped");
    return;
  }
  const auto file = bssap::test::source_dir() / "tests/tools/tshark_diff/upper_vectors.pcap";
  const auto r = run("'" + file.string() + "'");
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(last_line(r.output) == "frames: 52 compared, 0 disagreements");
  for (const char* k : {"K1 ", "K2 ", "K4 ", "K6 "})
    CHECK(r.output.find(std::string("explained: ") + k) != std::string::npos);
}

TEST_CASE("tshark-diff: a disagreement is reported with frame and field, and fails the run", "[upper]") {
  if (!have_tshark()) {
    WARN("tshark not installed: skipped");
    return;
  }
  const auto dir = bssap::test::source_dir() / "tests/tools/tshark_diff";
  const auto r =
      run("'" + (dir / "upper_vectors.pcap").string() + "' --tshark '" + (dir / "fake_tshark.sh").string() + "'");
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("frame 1 gsm_a.lac: ours {8221} tshark {8222}") != std::string::npos);
  CHECK(last_line(r.output) == "frames: 52 compared, 1 disagreements");
}

TEST_CASE("tshark-diff: the committed captures in pcaps/ agree with tshark", "[upper]") {
  if (!have_tshark()) {
    WARN("tshark not installed: skipped");
    return;
  }
  // The 24-bit point code captures (named *pc24*, pcaps/README.md) are run with --pc24.
  std::string files;
  std::string pc24_files;
  for (const auto& e : fs::directory_iterator(bssap::test::source_dir() / "pcaps")) {
    const auto ext = e.path().extension();
    if (ext != ".pcap" && ext != ".pcapng" && ext != ".cap") continue;
    (e.path().filename().string().find("pc24") != std::string::npos ? pc24_files : files) +=
        " '" + e.path().string() + "'";
  }
  if (files.empty() && pc24_files.empty()) {
    WARN("no capture in pcaps/: skipped");
    return;
  }
  for (const auto& [list, option] : {std::pair{files, ""}, std::pair{pc24_files, " --pc24"}}) {
    if (list.empty()) continue;
    const auto r = run(list + option + " --quiet");
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(last_line(r.output).find(", 0 disagreements") != std::string::npos);
  }
}

TEST_CASE("tshark-diff: the real third-party captures agree with tshark", "[upper]") {
  if (!have_tshark()) {
    WARN("tshark not installed: skipped");
    return;
  }
  const auto dir = bssap::test::real_pcaps_dir();
  if (!fs::exists(dir)) {
    WARN("no " << dir << " (real captures): skipped");
    return;
  }
  std::string files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto ext = e.path().extension();
    if (ext == ".pcap" || ext == ".pcapng" || ext == ".cap") files += " '" + e.path().string() + "'";
  }
  if (files.empty()) {
    WARN("no capture in " << dir << ": skipped");
    return;
  }
  const auto r = run(files + " --quiet");
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(last_line(r.output).find(", 0 disagreements") != std::string::npos);
}

TEST_CASE("tshark-diff: --engine epan and --engine tshark print the same on the committed captures", "[upper]") {
  if (!have_tshark()) BSSAP_SKIP_OR_FAIL("tshark not installed");
  const auto probe =
      run("'" + (bssap::test::source_dir() / "pcaps" / "mtp3.pcap").string() + "' --engine epan --quiet");
  if (probe.output.find("built without libwireshark") != std::string::npos)
    BSSAP_SKIP_OR_FAIL("tshark-diff built without libwireshark (BSSAP_EPAN=OFF)");
  std::size_t compared = 0;
  for (const auto& e : fs::directory_iterator(bssap::test::source_dir() / "pcaps")) {
    const auto ext = e.path().extension();
    if (ext != ".pcap" && ext != ".pcapng" && ext != ".cap") continue;
    const std::string option = e.path().filename().string().find("pc24") != std::string::npos ? " --pc24" : "";
    const std::string args = "'" + e.path().string() + "'" + option;
    // Not --quiet: every explained difference and its reason must match as well.
    const auto epan = run(args + " --engine epan");
    const auto tshark = run(args + " --engine tshark");
    INFO(e.path());
    CHECK(epan.status == tshark.status);
    CHECK(epan.output == tshark.output);
    CHECK(last_line(epan.output).find(" compared, ") != std::string::npos);
    ++compared;
  }
  CHECK(compared > 0);
}

// gsup_hlr.pcap (text2pcap, TCP port 4222): one IPA message of the Osmocom GSUP extension (0xEE
// 0x05), an UpdateLocation Request with an IMSI, sent to an HLR. Not A-interface or Iu traffic:
// it must be counted as such, not put down to K7 (a split IPA message) or any other Kn.
TEST_CASE("tshark-diff: GSUP to an HLR is reported as not A/Iu traffic, not as a known difference", "[upper]") {
  if (!have_tshark()) BSSAP_SKIP_OR_FAIL("tshark not installed");
  const auto file = "'" + (bssap::test::source_dir() / "tests/tools/tshark_diff/gsup_hlr.pcap").string() + "'";
  for (const char* engine : {"tshark", "epan"}) {
    const auto r = run(file + " --engine " + engine);
    if (r.output.find("built without libwireshark") != std::string::npos) continue;
    INFO(engine << ": " << r.output);
    CHECK(r.status == 0);
    CHECK(r.output.find(
              "e212.imsi: ours {} tshark {262400000000001}: not A/Iu traffic (eth:ethertype:ip:tcp:gsm_ipa:gsup)") !=
          std::string::npos);
    CHECK(r.output.find("not A/Iu traffic: 1 frames") != std::string::npos);
    CHECK(r.output.find("explained: 0 ") != std::string::npos);
    CHECK(r.output.find("K7") == std::string::npos);
  }
}
