// --unknown (probe/include/bssap/probe/unknown_tap.hpp): a synthetic capture with injected
// frames our decoders refuse or do not understand (an M3UA user part other than SCCP, an SCTP
// PPID we do not decode, an SCCP message type that does not exist, an M3UA length that lies)
// gives one record per injected frame, with the reason; the rate limit counts what it drops; a
// dissector that crashes or hangs is restarted and never stops the capture; and the events are
// those of a run without --unknown.
#include <pcap/pcap.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bssap/decoders/crc32c.hpp"
#include "bssap/decoders/m3ua.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace bssap;

namespace {

fs::path work_dir(const std::string& name) {
  return test::fresh_dir("bssap-probe-unknown-" + name);
}

std::string probe_bin() {
  return (test::bin_dir() / "bssap-probe").string();
}
std::string fake_dissector() {
  return (test::source_dir() / "tests" / "probe" / "unknown" / "fake_dissector.py").string();
}

// What each injected frame should be reported as: "layer/kind".
struct injected {
  std::map<std::string, std::size_t> by_reason;
  std::size_t total = 0;
};

// Copies `in` (Ethernet/IPv4/SCTP/M3UA) to `out`, spoiling the first M3UA DATA chunk with SCCP of
// every `every`-th such packet, in turn: SI 5 (ISUP, Q.704 14.2.1), PPID 46 (RFC 4960 3.3.1),
// SCCP message type 0x7f (no such type, Q.713 Table 1), an M3UA message length 64 octets past the
// chunk (RFC 4666 3.1). The SCTP CRC32c is recomputed, so nothing else is wrong with the packet.
injected inject(const fs::path& in, const fs::path& out, std::size_t every) {
  injected result;
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(in.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  REQUIRE(p != nullptr);
  pcap_dumper_t* d = pcap_dump_open(p, out.c_str());
  REQUIRE(d != nullptr);
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  std::size_t seen = 0;
  std::set<std::vector<u_char>> tsns;  // addresses, ports and TSN of every DATA chunk so far
  static const char* const reasons[] = {"m3ua/unknown_si", "sctp/unknown_ppid", "sccp/", "m3ua/bad_length"};
  while (pcap_next_ex(p, &h, &data) == 1) {
    std::vector<u_char> f(data, data + h->caplen);
    const bool sctp = f.size() >= 34 + 12 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 132;
    if (sctp) {
      const std::size_t ip = 14, ihl = (f[ip] & 0x0F) * 4u, sh = ip + ihl;
      bool picked = false;  // the first DATA chunk with SCCP of the packet has been looked at
      for (std::size_t at = sh + 12; at + 4 <= f.size();) {
        const std::size_t len = static_cast<std::size_t>(f[at + 2] << 8 | f[at + 3]);
        if (len < 4 || at + len > f.size()) break;
        if (f[at] == 0 && len > 16 + 8 && f[at + 15] == 3) {
          std::size_t consumed = 0;
          const auto m3 = dec::decode_m3ua({reinterpret_cast<const std::byte*>(&f[at + 16]), len - 16}, consumed);
          // A retransmission (RFC 4960 6.2: a TSN already received) is discarded before its
          // payload is looked at: spoiling one would report nothing. Every chunk's TSN is
          // recorded, also those after the chunk picked: a later bundle may retransmit them.
          std::vector<u_char> tsn(f.begin() + ip + 12, f.begin() + ip + 20);
          tsn.insert(tsn.end(), f.begin() + static_cast<long>(sh), f.begin() + static_cast<long>(sh + 4));
          tsn.insert(tsn.end(), f.begin() + static_cast<long>(at + 4), f.begin() + static_cast<long>(at + 8));
          const bool first_time = tsns.insert(tsn).second;
          if (!picked && first_time && m3 && m3->is_data && m3->data.si == 3 && !m3->data.user_data.empty()) {
            picked = true;
            if (seen++ % every == 0) {
              const auto sccp =
                  static_cast<std::size_t>(reinterpret_cast<const u_char*>(m3->data.user_data.data()) - f.data());
              const std::size_t kind = (result.total) % 4;
              switch (kind) {
                case 0:
                  f[sccp - 4] = 5;  // SI (Protocol Data: OPC, DPC, SI, NI, MP, SLS)
                  break;
                case 1:
                  f[at + 12] = f[at + 13] = f[at + 14] = 0;
                  f[at + 15] = 46;
                  break;
                case 2:
                  f[sccp] = 0x7f;
                  break;
                case 3: {
                  const std::uint32_t lie = static_cast<std::uint32_t>(len - 16 + 64);
                  for (int i = 0; i < 4; ++i)
                    f[at + 16 + 4 + static_cast<std::size_t>(i)] = static_cast<u_char>(lie >> (8 * (3 - i)));
                  break;
                }
              }
              result.by_reason[reasons[kind]] += 1;
              result.total += 1;
              std::memset(&f[sh + 8], 0, 4);
              const std::uint32_t crc = dec::crc32c({reinterpret_cast<const std::byte*>(&f[sh]), f.size() - sh});
              for (int i = 0; i < 4; ++i) f[sh + 8 + static_cast<std::size_t>(i)] = static_cast<u_char>(crc >> (8 * i));
            }
          }
        }
        at += (len + 3) & ~std::size_t{3};
      }
    }
    pcap_dump(reinterpret_cast<u_char*>(d), h, f.data());
  }
  pcap_dump_close(d);
  pcap_close(p);
  return result;
}

std::vector<nlohmann::json> records_of(const fs::path& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    out.push_back(std::move(j));
  }
  return out;
}

// "layer/kind" of a record; SCCP's kind is left out (which error a bad type is, is the
// decoder's business: bad_value or unsupported).
std::string reason_of(const nlohmann::json& r) {
  const std::string layer = r.at("error").at("layer").get<std::string>();
  if (layer == "sccp") return "sccp/";
  return layer + "/" + r.at("error").at("kind").get<std::string>();
}

std::string text_of(const std::map<std::string, std::size_t>& m) {
  std::string s;
  for (const auto& [k, v] : m) s += k + "=" + std::to_string(v) + " ";
  return s;
}

std::size_t summary_value(const std::string& summary, const std::string& name) {
  std::istringstream in(summary);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("  unknown ", 0) != 0) continue;
    const auto last = line.find_last_of(' ');
    std::string key = line.substr(10, last - 10);
    key.erase(0, key.find_first_not_of(' '));
    key.erase(key.find_last_not_of(' ') + 1);
    if (key == name) return std::stoul(line.substr(last + 1));
  }
  FAIL("no \"unknown " << name << "\" in the summary:\n" << summary);
  return 0;
}

}  // namespace

TEST_CASE("unknown: one record per injected frame, with its reason, in both threading modes", "[unknown]") {
  const auto dir = work_dir("records");
  const auto pcap = test::source_dir() / "pcaps" / "m3ua.pcap";
  const auto spoiled = dir / "spoiled.pcap";
  const auto inj = inject(pcap, spoiled, 40);
  REQUIRE(inj.total >= 40);
  const std::string env = "FAKE_DISSECTOR_STATE=" + (dir / "state").string() + " ";

  // The clean capture gives no record: every record below comes from an injected frame.
  REQUIRE(test::run_command(env + probe_bin() + " replay " + pcap.string() + " --events " +
                            (dir / "clean.jsonl").string() + " --unknown " + (dir / "clean-unknown.jsonl").string() +
                            " --unknown-dissector " + fake_dissector() + " 2>" + (dir / "clean.txt").string()) == 0);
  CHECK(records_of(dir / "clean-unknown.jsonl").empty());

  REQUIRE(test::run_command(probe_bin() + " replay " + spoiled.string() + " --events " +
                            (dir / "plain.jsonl").string() + " --no-summary") == 0);
  for (const unsigned threads : {1u, 2u}) {
    DYNAMIC_SECTION("threads " << threads) {
      const auto events = dir / ("events-" + std::to_string(threads) + ".jsonl");
      const auto unknown = dir / ("unknown-" + std::to_string(threads) + ".jsonl");
      const auto summary = dir / ("summary-" + std::to_string(threads) + ".txt");
      fs::remove(dir / "state");
      REQUIRE(test::run_command(env + probe_bin() + " replay " + spoiled.string() + " --threads " +
                                std::to_string(threads) + " --events " + events.string() + " --unknown " +
                                unknown.string() + " --unknown-rate 1000000" + " --unknown-dissector " +
                                fake_dissector() + " 2>" + summary.string()) == 0);
      const auto records = records_of(unknown);
      std::map<std::string, std::size_t> by_reason;
      for (const auto& r : records) {
        by_reason[reason_of(r)] += 1;
        CHECK(r.at("ts").get<std::string>().size() == 27);  // YYYY-MM-DDTHH:MM:SS.ffffffZ
        CHECK_FALSE(r.at("hex").get<std::string>().empty());
        CHECK(r.at("wireshark").at("protocols").get<std::string>().rfind("fake:", 0) == 0);
        // The SCCP half runs on a worker with 2 threads: the frame is gone, the SCCP message is
        // handed over as Wireshark's upper PDU (link type 252).
        if (threads == 2 && reason_of(r) == "sccp/") {
          CHECK(r.at("data") == "sccp");
          CHECK(r.at("wireshark").at("protocols") == "fake:252");
        } else {
          CHECK(r.at("data") == "frame");
          CHECK(r.at("linktype") == 1);
        }
      }
      CHECK(text_of(by_reason) == text_of(inj.by_reason));
      const std::string text = test::slurp(summary);
      INFO(text);
      CHECK(summary_value(text, "frames_offered") == inj.total);
      CHECK(summary_value(text, "records_written") == inj.total);
      CHECK(summary_value(text, "records_dissected") == inj.total);
      CHECK(summary_value(text, "rate_limited (counted only)") == 0);
      // The tap only watches: the events are those of a run without it.
      CHECK(test::slurp(events) == test::slurp(dir / "plain.jsonl"));
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("unknown: at most R records per second of capture time, the rest counted", "[unknown]") {
  const auto dir = work_dir("rate");
  const auto spoiled = dir / "spoiled.pcap";
  // Every SCCP packet spoiled: several per capture second.
  const auto inj = inject(test::source_dir() / "pcaps" / "m3ua.pcap", spoiled, 1);
  REQUIRE(inj.total > 1000);
  const auto unknown = dir / "unknown.jsonl";
  const auto summary = dir / "summary.txt";
  REQUIRE(test::run_command(probe_bin() + " replay " + spoiled.string() + " --events /dev/null --unknown " +
                            unknown.string() + " --unknown-rate 2 --unknown-dissector none 2>" + summary.string()) ==
          0);
  const auto records = records_of(unknown);
  std::map<std::string, std::size_t> per_second;
  for (const auto& r : records) {
    per_second[r.at("ts").get<std::string>().substr(0, 19)] += 1;
    CHECK(r.at("dissector") == "unavailable");
    CHECK(r.at("wireshark").is_null());
  }
  for (const auto& [second, n] : per_second) {
    INFO(second);
    CHECK(n <= 2);
  }
  const std::string text = test::slurp(summary);
  INFO(text);
  // Every injected frame is offered, and written or counted as rate-limited.
  const std::size_t offered = summary_value(text, "frames_offered");
  CHECK(offered == inj.total);
  CHECK(summary_value(text, "records_written") == records.size());
  CHECK(summary_value(text, "rate_limited (counted only)") == offered - records.size());
  CHECK(records.size() < inj.total / 2);
  CHECK(records.size() >= per_second.size());
  fs::remove_all(dir);
}

TEST_CASE("unknown: a dissector that crashes or hangs is restarted; capture goes on", "[unknown]") {
  const auto dir = work_dir("crash");
  const auto spoiled = dir / "spoiled.pcap";
  const auto inj = inject(test::source_dir() / "pcaps" / "m3ua.pcap", spoiled, 200);
  REQUIRE(inj.total >= 10);
  const auto unknown = dir / "unknown.jsonl";
  const auto summary = dir / "summary.txt";
  const std::string env =
      "FAKE_DISSECTOR_STATE=" + (dir / "state").string() + " FAKE_DISSECTOR_CRASH=2,5 FAKE_DISSECTOR_HANG=3 ";
  REQUIRE(test::run_command(probe_bin() + " replay " + spoiled.string() + " --events " +
                            (dir / "plain.jsonl").string() + " --no-summary") == 0);
  REQUIRE(test::run_command(env + probe_bin() + " replay " + spoiled.string() + " --events " +
                            (dir / "events.jsonl").string() + " --unknown " + unknown.string() +
                            " --unknown-dissector " + fake_dissector() + " --unknown-timeout 0.5 2>" +
                            summary.string()) == 0);
  const auto records = records_of(unknown);
  REQUIRE(records.size() == inj.total);
  std::map<std::string, std::size_t> status;
  for (const auto& r : records) status[r.contains("dissector") ? r.at("dissector").get<std::string>() : "ok"] += 1;
  CHECK(status["crashed"] == 2);
  CHECK(status["timed_out"] == 1);
  CHECK(status["ok"] == inj.total - 3);
  // Requests 2, 3 and 5 failed: records 2, 3, 5 (in order, one writer) have no Wireshark view.
  CHECK(records[1].at("dissector") == "crashed");
  CHECK(records[2].at("dissector") == "timed_out");
  CHECK(records[4].at("dissector") == "crashed");
  CHECK(records[5].at("wireshark").at("info") == "request 6");
  const std::string text = test::slurp(summary);
  INFO(text);
  CHECK(summary_value(text, "dissector_crashes") == 2);
  CHECK(summary_value(text, "dissector_timeouts") == 1);
  CHECK(summary_value(text, "dissector_restarts") == 3);
  CHECK(test::slurp(dir / "events.jsonl") == test::slurp(dir / "plain.jsonl"));
  fs::remove_all(dir);
}

TEST_CASE("unknown: user errors", "[unknown]") {
  const auto dir = work_dir("errors");
  const auto pcap = (test::source_dir() / "pcaps" / "m3ua.pcap").string();
  CHECK(test::run_command(probe_bin() + " replay " + pcap +
                          " --events /dev/null --unknown /nonexistent/dir/u.jsonl 2>" + (dir / "e1.txt").string()) ==
        1);
  CHECK(test::slurp(dir / "e1.txt").find("--unknown /nonexistent/dir/u.jsonl: cannot write") != std::string::npos);
  CHECK(test::run_command(probe_bin() + " replay " + pcap + " --events /dev/null --unknown-dissector none 2>" +
                          (dir / "e2.txt").string()) != 0);
  CHECK(test::slurp(dir / "e2.txt").find("--unknown-dissector needs --unknown") != std::string::npos);
  // A dissector that cannot be started: records are still written, without Wireshark's view.
  const auto spoiled = dir / "spoiled.pcap";
  const auto inj = inject(pcap, spoiled, 100);
  REQUIRE(test::run_command(probe_bin() + " replay " + spoiled.string() + " --events /dev/null --unknown " +
                            (dir / "u.jsonl").string() + " --unknown-dissector /nonexistent/bssap-dissect 2>" +
                            (dir / "e3.txt").string()) == 0);
  const auto records = records_of(dir / "u.jsonl");
  CHECK(records.size() == inj.total);
  for (const auto& r : records) CHECK(r.at("dissector") == "unavailable");
  CHECK(test::slurp(dir / "e3.txt").find("cannot start /nonexistent/bssap-dissect") != std::string::npos);
  fs::remove_all(dir);
}
