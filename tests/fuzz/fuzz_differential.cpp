// Differential fuzzing: each input goes through our decoder stack (tools/tshark-diff ours.cpp)
// and through Wireshark's dissectors in process (tools/epan), and a field where both decode a
// message but disagree, outside the known differences (KNOWN_DIFFERENCES.md as code:
// tools/tshark-diff/src/known_differences.cpp), is a finding: abort with both sides printed.
//
// Input: octet 0 = link type selector (bits 0-2: index into link_types below; bit 7: 24-bit
// point codes), then records [length(2, big-endian) frame(length)], several frames per input
// into one fresh state on each side, so SCTP / TCP / SCCP state (reassembly, connections) is
// exercised. Seeds: corpus/differential/<family>/ (make-differential-seeds.py): one folder per
// transport family (m3ua, sua, ipa, mtp) so a run can be held to one family.
//
// A finding needs: Wireshark not malformed (its own decode failed, so its fields are no oracle),
// a field whose values differ with judge() saying "disagreement", and either values on both
// sides or the field's layer decoded alike on both sides (both_decoded_layer below).
#include <array>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "bssap/epan/dissector.hpp"
#include "fields.hpp"
#include "known_differences.hpp"

namespace {

using namespace bssap::tshark_diff;

// pcap link types: Ethernet, MTP2 with pseudo-header, MTP2, MTP3, raw IP, Linux SLL; the rest
// of the 8 slots repeat Ethernet (the most common transport).
constexpr std::array<int, 8> link_types{1, 139, 140, 141, 101, 113, 1, 1};

// The message-type fields of the layer a compared field belongs to. A field's difference is a
// finding only when both sides decoded that layer's message alike (same type): a message our
// decoder rejects as a whole (a decode error: a mandatory IE missing or cut, a length beyond the
// data) while Wireshark still names its type is not a semantic disagreement but a rejected
// frame, which bssap-probe --unknown reports (issue 13), and so is a message Wireshark fails on.
constexpr std::array<std::string_view, 1> sccp_types{"sccp.message_type"};
constexpr std::array<std::string_view, 1> bssmap_types{"gsm_a.bssmap.msgtype"};
constexpr std::array<std::string_view, 6> dtap_types{"gsm_a.dtap.msg_mm_type",  "gsm_a.dtap.msg_cc_type",
                                                     "gsm_a.dtap.msg_sms_type", "gsm_a.dtap.msg_ss_type",
                                                     "gsm_a.dtap.msg_rr_type",  "gsm_a.rp.msg_type"};
constexpr std::array<std::string_view, 7> any_a_types{
    "gsm_a.bssmap.msgtype",   "gsm_a.dtap.msg_mm_type", "gsm_a.dtap.msg_cc_type", "gsm_a.dtap.msg_sms_type",
    "gsm_a.dtap.msg_ss_type", "gsm_a.dtap.msg_rr_type", "gsm_a.rp.msg_type"};

std::span<const std::string_view> layer_types(std::string_view field) {
  if (field.rfind("sccp.", 0) == 0) return sccp_types;
  if (field.rfind("gsm_a.bssmap.", 0) == 0 || field == "gsm_a.tmsi") return bssmap_types;
  if (field == "e212.imsi") return any_a_types;  // BSSMAP IMSI IE, DTAP Mobile Identity, RANAP
  return dtap_types;
}

bool both_decoded_layer(std::string_view field, const frame_values& a, const frame_values& b) {
  for (const auto t : layer_types(field)) {
    const std::size_t i = field_index(t);
    if (!a.values[i].empty() && a.values[i] == b.values[i]) return true;
  }
  return false;
}

std::string join(const std::multiset<std::string>& s) {
  std::string out = "{";
  for (const auto& v : s) out += (out.size() > 1 ? ", " : "") + v;
  return out + "}";
}

// One session per process (libwireshark's dissection state is global); reset per input.
bssap::epan::session& wireshark() {
  static bssap::epan::session s;
  return s;
}

// Runs one input through a fresh stack of ours and Wireshark's session as it is; returns the
// first disagreement outside the known differences ("" if none).
std::string run_input(const std::uint8_t* data, std::size_t size, bssap::epan::session& theirs, int dlt, bool pc24) {
  run_options options;
  options.pc24 = pc24;
  options.small_tables = true;
  our_stack ours(options);
  std::size_t pos = 1;
  std::size_t frame = 0;
  static std::int64_t ts = 1'000'000;  // monotone across inputs: Wireshark's session is kept
  bssap::epan::dissection d;
  while (pos + 2 <= size) {
    std::size_t length = std::size_t{data[pos]} << 8 | data[pos + 1];
    pos += 2;
    if (length > size - pos) length = size - pos;
    const std::span<const std::uint8_t> bytes(data + pos, length);
    pos += length;
    ++frame;
    ts += 20'000;
    frame_values a;
    ours.decode(dlt, bytes, ts, static_cast<std::uint32_t>(length), a);
    theirs.dissect(dlt, bytes, ts, static_cast<std::uint32_t>(length), d);
    frame_values b;
    for (std::size_t i = 0; i < fields.size(); ++i)
      for (const auto& v : d.values.values[i]) b.values[i].insert(fields[i].numeric ? v : escape_like_tshark(v));
    classify_theirs(b, wireshark_frame{d.protocols, d.malformed, d.sctp_retransmission});
    if (d.malformed) continue;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (a.values[i] == b.values[i]) continue;
      // The message types themselves differ while both have one: always a finding.
      const bool both_typed = !a.values[i].empty() && !b.values[i].empty();
      if (!both_typed && !both_decoded_layer(fields[i].name, a, b)) continue;
      if (judge(i, a, b).what != verdict::disagreement) continue;
      return "dlt " + std::to_string(dlt) + " frame " + std::to_string(frame) + " " + std::string(fields[i].name) +
             ": ours " + join(a.values[i]) + " wireshark " + join(b.values[i]) + " (" + d.protocols +
             "; info: " + d.info + ")";
    }
  }
  return {};
}

}  // namespace

// A fresh libwireshark session (epan_new) costs about a second and does not give all its memory
// back, so the session is kept across inputs and renewed every `renew_every` inputs; state left
// by earlier inputs can only make Wireshark see less (a retransmission, an old TCP sequence), and
// a disagreement is confirmed on a fresh session before it is a finding.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr unsigned renew_every = 512;
  static unsigned inputs = 0;
  static bool session_pc24 = false;
  if (size < 4) return 0;
  const int dlt = link_types[data[0] & 7];
  const bool pc24 = (data[0] & 0x80) != 0;
  auto& theirs = wireshark();
  bssap::epan::options o;
  o.pc24 = pc24;
  if (pc24 != session_pc24 || ++inputs % renew_every == 0) {
    theirs.reset(o);
    session_pc24 = pc24;
  }
  if (run_input(data, size, theirs, dlt, pc24).empty()) return 0;
  theirs.reset(o);  // confirm with no earlier input's state
  const std::string finding = run_input(data, size, theirs, dlt, pc24);
  if (finding.empty()) return 0;
  std::fprintf(stderr, "fuzz_differential: finding: %s\n", finding.c_str());
  std::abort();
}
