// bssap-synth: writes a GSM A-interface or Iu-CS capture and, with --truth, the behaviour events
// a perfect probe would report for it. Same options and seed: same bytes.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "bssap/event.hpp"
#include "bssap/synth/synth.hpp"

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "bssap-synth: error: %s\n", message.c_str());
  return 2;
}

struct file_closer {
  void operator()(std::FILE* f) const noexcept {
    if (f != nullptr && f != stdout) std::fclose(f);
  }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

file_ptr open_out(const std::string& path) {
  if (path == "-") return file_ptr(stdout);
  return file_ptr(std::fopen(path.c_str(), "wb"));
}

}  // namespace

int main(int argc, char** argv) {
  namespace bs = bssap::synth;
  bs::config cfg = bs::default_config();
  std::string transport = "m3ua";
  std::string iface = "a";
  std::string out_path;
  std::string truth_path;
  std::string operator_dir;
  std::string start_text;
  std::string mix_text;
  std::string home_text;
  bool no_split = false;
  bool no_retransmit = false;
  bool no_handshake = false;
  bool quiet = false;

  CLI::App app{"bssap-synth: synthetic GSM A-interface (BSSAP) and Iu-CS (RANAP) captures with ground-truth events"};
  app.add_option("--subscribers", cfg.subscribers, "number of subscribers")->check(CLI::Range(1u, 10000000u));
  app.add_option("--duration", cfg.duration_s, "capture period in seconds (running procedures finish after it)")
      ->check(CLI::Range(0.001, 86400.0 * 366));
  app.add_option("--seed", cfg.seed, "random seed (same seed, same bytes)");
  app.add_option("--transport", transport, "m3ua | ipa | mtp2 | mtp3 | sua (sua: Iu-CS only)")
      ->check(CLI::IsMember({"m3ua", "ipa", "mtp2", "mtp3", "sua"}));
  app.add_option("--interface", iface,
                 "a: BSSAP (BSC <-> MSC, SSN 254); iucs: RANAP (RNC <-> MSC, SSN 142) over m3ua or sua")
      ->check(CLI::IsMember({"a", "iucs"}));
  app.add_option("--out", out_path, "capture file to write ('-': stdout)")->required();
  app.add_option("--truth", truth_path, "ground-truth events, JSON lines");
  app.add_option("--operator-out", operator_dir,
                 "directory for the operator's files: subscribers.csv (profiles, VLR roamers) and tac.csv");
  app.add_option("--vlan", cfg.vlan, "802.1Q VLAN id (m3ua, ipa)")->check(CLI::Range(0, 4094));
  app.add_flag("--ipv6", cfg.ipv6, "IPv6 instead of IPv4 (m3ua, ipa)");
  app.add_flag("--pcapng", cfg.pcapng, "write pcapng instead of pcap");
  app.add_option("--packets", cfg.max_packets, "stop after this many packets (0: no limit)");
  app.add_option("--rate", cfg.rate, "procedures per second over all subscribers (default: subscribers / 300)")
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--start", start_text, "capture start: RFC 3339 UTC (2026-11-23T08:00:00Z) or Unix seconds");
  app.add_option("--mix", mix_text,
                 "procedure weights, e.g. lu=14,periodic=26,attach=5,call_mo=12,call_mt=10,sms_mo=8,sms_mt=10,"
                 "ussd=4,handset=3,reject=3 (reject: per cent of location updates); behaviour classes, per cent of "
                 "subscribers: stayer=2,rider=2,tourist=3,shopper=2,flaky=2,silent=3");
  app.add_option("--home-plmns", home_text, "equivalent home PLMNs, default 460-00,460-02,460-07");
  app.add_flag("--pc24", cfg.pc24, "24-bit point codes (Chinese ITU MTP3; tshark: -o mtp3.standard:\"Chinese ITU\")");
  app.add_flag("--no-split", no_split, "ipa: never split an IPA message across TCP segments");
  app.add_flag("--no-retransmit", no_retransmit, "no retransmitted SCTP chunks / TCP segments / MSUs");
  app.add_flag("--no-handshake", no_handshake, "no SCTP INIT / TCP SYN / M3UA ASP exchange at the start");
  app.add_option("--bscs", cfg.bscs, "number of BSCs (one association / connection / link each)")
      ->check(CLI::Range(1u, 250u));
  app.add_option("--sctp-fragment", cfg.sctp_fragment, "m3ua: largest user data per SCTP DATA chunk, bytes")
      ->check(CLI::Range(32u, 60000u));
  app.add_option("--associations", cfg.associations,
                 "m3ua: SCTP associations per BSC, an M3UA linkset: each message takes one by its SLS, the two "
                 "directions choosing independently")
      ->check(CLI::Range(1u, 16u));
  app.add_flag("--multihome", cfg.multihome,
               "m3ua: multi-homed associations, two IP address pairs each, traffic moving between them");
  app.add_flag("--checksum-offload", cfg.checksum_offload,
               "m3ua: the MSC's SCTP packets carry CRC32c 0 (a capture on the MSC host with checksum offload)");
  app.add_flag("--quiet", quiet, "no summary on stderr");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (auto& ch : what) {
      if (ch == '\n') ch = ' ';
    }
    return fail(what);
  }

  if (transport == "ipa") cfg.link = bs::transport::ipa;
  if (transport == "mtp2") cfg.link = bs::transport::mtp2;
  if (transport == "mtp3") cfg.link = bs::transport::mtp3;
  if (transport == "sua") cfg.link = bs::transport::sua;
  if (iface == "iucs") cfg.iface = bs::interface_kind::iucs;
  const bool sctp = cfg.link == bs::transport::m3ua || cfg.link == bs::transport::sua;
  const bool ip_based = sctp || cfg.link == bs::transport::ipa;
  if (cfg.link == bs::transport::sua && cfg.iface != bs::interface_kind::iucs)
    return fail("--transport sua needs --interface iucs");
  if (cfg.iface == bs::interface_kind::iucs && !sctp) return fail("--interface iucs needs --transport m3ua or sua");
  if (!ip_based && (cfg.ipv6 || cfg.vlan >= 0)) return fail("--ipv6 and --vlan need --transport m3ua, sua or ipa");
  if (!sctp && (cfg.associations > 1 || cfg.multihome || cfg.checksum_offload))
    return fail("--associations, --multihome and --checksum-offload need --transport m3ua or sua");
  cfg.split = !no_split;
  cfg.retransmit = !no_retransmit;
  cfg.handshake = !no_handshake;
  if (!start_text.empty()) {
    if (auto t = bssap::parse_rfc3339_us(start_text)) {
      cfg.start_us = *t;
    } else {
      char* end = nullptr;
      const double secs = std::strtod(start_text.c_str(), &end);
      if (end == start_text.c_str() || *end != '\0' || secs < 0 || secs > 4e9) {
        return fail("--start '" + start_text + "' is neither RFC 3339 (2026-11-23T08:00:00Z) nor Unix seconds");
      }
      cfg.start_us = static_cast<std::int64_t>(secs * 1e6);
    }
  }
  if (!mix_text.empty()) {
    std::string error;
    if (!bs::parse_mix(mix_text, cfg.mix, error)) return fail("--mix: " + error);
    if (cfg.iface == bs::interface_kind::iucs && cfg.mix.interbsc > 0)
      return fail("--mix interbsc: no handovers on --interface iucs (relocation is not generated)");
  }
  if (!home_text.empty()) {
    cfg.home_plmns.clear();
    std::string_view rest = home_text;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      bs::plmn p;
      if (!bs::parse_plmn(item, p)) return fail("--home-plmns: '" + std::string(item) + "' is not MCC-MNC (460-00)");
      cfg.home_plmns.push_back(p);
    }
  }

  file_ptr out = open_out(out_path);
  if (!out) return fail("cannot write " + out_path + ": " + std::strerror(errno));
  file_ptr truth;
  if (!truth_path.empty()) {
    truth = open_out(truth_path);
    if (!truth) return fail("cannot write " + truth_path + ": " + std::strerror(errno));
  }
  file_ptr subs_csv;
  file_ptr tac_csv;
  if (!operator_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(operator_dir, ec);
    const std::string subs_path = operator_dir + "/subscribers.csv";
    const std::string tac_path = operator_dir + "/tac.csv";
    subs_csv = open_out(subs_path);
    if (!subs_csv) return fail("cannot write " + subs_path + ": " + std::strerror(errno));
    tac_csv = open_out(tac_path);
    if (!tac_csv) return fail("cannot write " + tac_path + ": " + std::strerror(errno));
  }
  // Large stdio buffers on top of the generator's own: one write call per few MB.
  std::setvbuf(out.get(), nullptr, _IOFBF, 1 << 22);
  bs::file_sink capture(out.get());
  bs::file_sink truth_sink(truth.get());
  bs::operator_world world;
  const bs::stats st = bs::generate(cfg, capture, truth ? &truth_sink : nullptr, subs_csv ? &world : nullptr);
  bool operator_ok = true;
  if (subs_csv) {
    bs::file_sink subs_sink(subs_csv.get());
    bs::file_sink tac_sink(tac_csv.get());
    bs::write_operator_files(world, cfg.seed, subs_sink, tac_sink);
    operator_ok = std::fflush(subs_csv.get()) == 0 && std::fflush(tac_csv.get()) == 0 && !std::ferror(subs_csv.get()) &&
                  !std::ferror(tac_csv.get());
  }
  const bool flushed = std::fflush(out.get()) == 0 && (!truth || std::fflush(truth.get()) == 0) && operator_ok;
  if (!st.write_ok || !flushed) return fail("write failed: " + std::string(std::strerror(errno)));
  if (!quiet) {
    std::fprintf(stderr,
                 "bssap-synth: %llu packets, %llu messages, %llu events, %llu retransmissions, %llu split, "
                 "%llu bundled, %llu control, %llu unresolved, %llu bytes\n",
                 static_cast<unsigned long long>(st.packets), static_cast<unsigned long long>(st.messages),
                 static_cast<unsigned long long>(st.events), static_cast<unsigned long long>(st.retransmissions),
                 static_cast<unsigned long long>(st.split_messages), static_cast<unsigned long long>(st.bundled_frames),
                 static_cast<unsigned long long>(st.control_frames), static_cast<unsigned long long>(st.unresolved),
                 static_cast<unsigned long long>(st.bytes));
  }
  return 0;
}
