// Wireshark as the oracle: tshark must dissect every frame of a small capture of each
// transport without malformed packets or expert errors/warnings, and the identities, numbers,
// causes, location areas and cells it shows in the frames at each truth event's timestamp must
// be the ones the truth reports. Skipped (with a warning) when tshark is not installed.
// ipa is checked with --no-split: tshark 4.0 cannot reassemble an IPA message across TCP
// segments. 24-bit MTP3 needs -o mtp3.standard:"Chinese ITU".
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "synth_test_util.hpp"

using namespace synth_test;

namespace {

// Fields read from tshark, in this order after frame.time_epoch.
const std::vector<std::string> fields{"e212.imsi",
                                      "3gpp.tmsi",
                                      "gsm_a.dtap.updating_type",
                                      "gsm_a.bssmap.cell_lac",
                                      "gsm_a.bssmap.cell_ci",
                                      "gsm_a.dtap.cld_party_bcd_num",
                                      "gsm_a.dtap.clg_party_bcd_num",
                                      "gsm_a.dtap.cause",
                                      "gsm_a.dtap.rej_cause",
                                      "gsm_sms.tp-da",
                                      "gsm_sms.tp-oa",
                                      "gsm_map.ussd_string",
                                      "gsm_a.imei",
                                      "gsm_a.imeisv",
                                      "gsm_a.dtap.msg_mm_type",
                                      "gsm_a.dtap.msg_cc_type",
                                      "ranap.lAC",
                                      "ranap.sAC"};
enum field_index {
  fi_imsi,
  fi_tmsi,
  fi_lu_type,
  fi_lac,
  fi_ci,
  fi_called,
  fi_calling,
  fi_cc_cause,
  fi_rej_cause,
  fi_tp_da,
  fi_tp_oa,
  fi_ussd,
  fi_imei,
  fi_imeisv,
  fi_mm_type,
  fi_cc_type,
  fi_ranap_lac,  // Iu-CS: the InitialUE-Message's LAI / SAI (its SAC is the event's cell)
  fi_ranap_sac
};

using value_set = std::set<std::string>;
// Field values of every frame at one capture timestamp (frames of a bundle, a retransmission
// or a SACK at the same time are merged).
using frame_fields = std::vector<value_set>;

std::int64_t epoch_us(const std::string& s) {
  const std::size_t dot = s.find('.');
  const std::int64_t sec = std::stoll(s.substr(0, dot));
  const std::string frac = (s.substr(dot + 1) + "000000").substr(0, 6);
  return sec * 1000000 + std::stoll(frac);
}

std::set<long> numbers(const value_set& v) {
  std::set<long> out;
  for (const auto& s : v) out.insert(std::strtol(s.c_str(), nullptr, 0));
  return out;
}

std::map<std::int64_t, frame_fields> tshark_fields(const std::string& file, const std::string& opts) {
  std::string cmd = "tshark -n " + opts + " -r " + file + " -T fields -E separator=/t -e frame.time_epoch";
  for (const auto& f : fields) cmd += " -e " + f;
  cmd += " 2>/dev/null";
  const auto r = run(cmd);
  REQUIRE(r.status == 0);
  std::map<std::int64_t, frame_fields> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::size_t pos = 0;
    while (true) {
      const std::size_t tab = line.find('\t', pos);
      cols.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
      if (tab == std::string::npos) break;
      pos = tab + 1;
    }
    REQUIRE(cols.size() == fields.size() + 1);
    auto& ff = out[epoch_us(cols[0])];
    ff.resize(fields.size());
    for (std::size_t i = 0; i < fields.size(); ++i) {
      std::size_t p = 0;
      const std::string& c = cols[i + 1];
      while (p < c.size()) {  // several occurrences are comma-separated
        const std::size_t comma = c.find(',', p);
        ff[i].insert(c.substr(p, comma == std::string::npos ? std::string::npos : comma - p));
        if (comma == std::string::npos) break;
        p = comma + 1;
      }
    }
  }
  return out;
}

std::string hex_tmsi_to_dec(std::uint32_t tmsi) {
  return std::to_string(tmsi);
}

void check_with_tshark(const bs::config& cfg, const std::string& name, const std::string& opts) {
  const bool iu = cfg.iface == bs::interface_kind::iucs;
  const auto g = generate(cfg);
  REQUIRE(g.st.unresolved == 0);
  const auto path = temp_path(name + ".pcap");
  write_file(path, g.capture);

  // 1. No malformed packets, no expert errors or warnings.
  const auto expert = run("tshark -n " + opts + " -r " + path.string() + " -q -z expert 2>/dev/null");
  REQUIRE(expert.status == 0);
  INFO(expert.out);
  CHECK(expert.out.find("Errors (") == std::string::npos);
  CHECK(expert.out.find("Warnings (") == std::string::npos);
  CHECK(expert.out.find("Malformed") == std::string::npos);

  // 2. Every truth event matches what tshark shows in the frames at its timestamp.
  const auto frames = tshark_fields(path.string(), opts);
  std::set<std::string> imsis_on_wire;
  for (const auto& [ts, ff] : frames) imsis_on_wire.insert(ff[fi_imsi].begin(), ff[fi_imsi].end());
  const auto events = parse_truth(g.truth);
  REQUIRE(events.size() > 50);
  std::size_t checked = 0;
  for (const auto& e : events) {
    std::string line;
    bssap::append_json_line(e, line);
    INFO(name << ": " << line);
    const auto it = frames.find(e.ts_us);
    REQUIRE(it != frames.end());
    const frame_fields& f = it->second;
    const std::string imsi(e.imsi.view());
    CHECK(imsis_on_wire.count(imsi) == 1);  // a probe can learn every IMSI from the wire
    const std::string peer(e.peer.view());
    const bool identity_here =
        f[fi_imsi].count(imsi) > 0 || (e.has(bssap::f_tmsi) && f[fi_tmsi].count(hex_tmsi_to_dec(e.tmsi)) > 0);
    switch (e.type) {
      case bssap::event_type::power_on:
      case bssap::event_type::location_update:
      case bssap::event_type::periodic_update:
      case bssap::event_type::roaming_in:
      case bssap::event_type::power_off:
        CHECK(identity_here);
        if (e.type == bssap::event_type::power_off) {
          CHECK(numbers(f[fi_mm_type]).count(0x01) == 1);
        } else if (e.type != bssap::event_type::roaming_in) {
          const long lt = e.type == bssap::event_type::power_on          ? 2
                          : e.type == bssap::event_type::periodic_update ? 1
                                                                         : 0;
          CHECK(numbers(f[fi_lu_type]).count(lt) == 1);
        }
        CHECK(numbers(f[iu ? fi_ranap_lac : fi_lac]).count(e.lac) == 1);
        CHECK(numbers(f[iu ? fi_ranap_sac : fi_ci]).count(static_cast<long>(e.cell)) == 1);
        break;
      case bssap::event_type::lu_reject:
        CHECK(numbers(f[fi_rej_cause]).count(e.cause) == 1);
        break;
      case bssap::event_type::imei_change: {
        bool found = false;
        for (const auto* v : {&f[fi_imei], &f[fi_imeisv]}) {
          for (const auto& s : *v) found = found || s.rfind(std::string(e.imei.view()), 0) == 0;
        }
        CHECK(found);
        break;
      }
      case bssap::event_type::call_mo:
        CHECK(f[fi_called].count(peer) == 1);
        break;
      case bssap::event_type::call_mt:
        if (e.has(bssap::f_peer)) {
          CHECK(f[fi_calling].count(peer) == 1);
        } else {
          CHECK(f[fi_calling].empty());
        }
        break;
      case bssap::event_type::call_answered:
        CHECK(numbers(f[fi_cc_type]).count(0x07) == 1);
        break;
      case bssap::event_type::call_end:
        if (e.has(bssap::f_cause)) CHECK(numbers(f[fi_cc_cause]).count(e.cause) == 1);
        break;
      case bssap::event_type::sms_mo:
        CHECK(f[fi_tp_da].count(peer) == 1);
        break;
      case bssap::event_type::sms_mt:
        CHECK(f[fi_tp_oa].count(peer) == 1);
        break;
      case bssap::event_type::ussd: {
        // tshark shows the CR that fills 7 spare bits (TS 23.038 6.1.2.3.1), escaped as "\r";
        // the event does not carry it.
        value_set ussd;
        for (auto s : f[fi_ussd]) {
          if (s.size() >= 2 && s.compare(s.size() - 2, 2, "\\r") == 0) s.resize(s.size() - 2);
          ussd.insert(s);
        }
        CHECK(ussd.count(peer) == 1);
        break;
      }
      case bssap::event_type::handover:
        CHECK(numbers(f[fi_lac]).count(e.lac) == 1);
        CHECK(numbers(f[fi_ci]).count(static_cast<long>(e.cell)) == 1);
        break;
      default:
        break;
    }
    ++checked;
  }
  CHECK(checked == events.size());
  std::filesystem::remove(path);
}

}  // namespace

TEST_CASE("tshark agrees: m3ua", "[synth][tshark]") {
  if (!have_tshark()) {
    WARN("tshark not installed: skipped");
    return;
  }
  auto cfg = small_config(bs::transport::m3ua, 31);
  check_with_tshark(cfg, "m3ua", "-o sctp.checksum:CRC-32C");
  // And the SCTP checksums are right (tshark reports a bad one as an expert error).
}

TEST_CASE("tshark agrees: ipa (no split), IPv6 + VLAN, pcapng", "[synth][tshark]") {
  if (!have_tshark()) {
    WARN("tshark not installed: skipped");
    return;
  }
  auto cfg = small_config(bs::transport::ipa, 32);
  cfg.split = false;
  check_with_tshark(cfg, "ipa", "");
  cfg.ipv6 = true;
  cfg.vlan = 42;
  cfg.pcapng = true;
  cfg.subscribers = 30;
  check_with_tshark(cfg, "ipa6", "");
}

TEST_CASE("tshark agrees: mtp2", "[synth][tshark]") {
  if (!have_tshark()) {
    WARN("tshark not installed: skipped");
    return;
  }
  check_with_tshark(small_config(bs::transport::mtp2, 33), "mtp2", "");
}

TEST_CASE("tshark agrees: mtp3, 14-bit and 24-bit point codes", "[synth][tshark]") {
  if (!have_tshark()) {
    WARN("tshark not installed: skipped");
    return;
  }
  check_with_tshark(small_config(bs::transport::mtp3, 34), "mtp3", "");
  auto cfg = small_config(bs::transport::mtp3, 35);
  cfg.pc24 = true;
  cfg.subscribers = 30;
  check_with_tshark(cfg, "mtp3pc24", "-o 'mtp3.standard:Chinese ITU'");
}

TEST_CASE("tshark agrees: Iu-CS RANAP over M3UA and over SUA", "[synth][tshark][iucs]") {
  // Our aligned-PER RANAP (and the SUA around it) as Wireshark's dissectors read it: no
  // malformed packet, no expert warning, and the LAI/SAI, identities, numbers and causes of the
  // truth in the frames at each event's timestamp.
  if (!have_tshark()) {
    WARN("tshark not installed: skipped");
    return;
  }
  auto cfg = small_config(bs::transport::m3ua, 36);
  cfg.iface = bs::interface_kind::iucs;
  check_with_tshark(cfg, "iucs-m3ua", "-o sctp.checksum:CRC-32C");
  cfg = small_config(bs::transport::sua, 37);
  cfg.iface = bs::interface_kind::iucs;
  cfg.associations = 2;
  check_with_tshark(cfg, "iucs-sua", "-o sctp.checksum:CRC-32C");
}

TEST_CASE("tshark verifies every IPv4, TCP and SCTP (CRC32c) checksum", "[synth][tshark]") {
  if (!have_tshark()) {
    WARN("tshark not installed: skipped");
    return;
  }
  for (const auto t : {bs::transport::m3ua, bs::transport::ipa}) {
    for (const bool v6 : {false, true}) {
      auto cfg = small_config(t, 40);
      cfg.subscribers = 25;
      cfg.ipv6 = v6;
      const auto g = generate(cfg);
      const auto path = temp_path("checksum.pcap");
      write_file(path, g.capture);
      const auto r = run("tshark -n -o sctp.checksum:CRC-32C -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -r " +
                         path.string() +
                         " -T fields -E separator=/t -e ip.checksum.status -e tcp.checksum.status"
                         " -e sctp.checksum.status 2>/dev/null");
      REQUIRE(r.status == 0);
      // Wireshark's checksum status: 0 bad, 1 good, 2 unverified.
      std::size_t good = 0;
      std::size_t lines = 0;
      std::istringstream in(r.out);
      std::string line;
      while (std::getline(in, line)) {
        ++lines;
        INFO(line);
        CHECK(line.find('0') == std::string::npos);
        CHECK(line.find('2') == std::string::npos);
        good += line.find('1') != std::string::npos;
      }
      CHECK(lines == g.st.packets);
      CHECK(good == lines);
      std::filesystem::remove(path);
    }
  }
}
