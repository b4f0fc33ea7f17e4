// The fields tshark-diff compares, and the per-frame value sets on each side.
// A value is a string normalised so that both sides print it alike: numbers in decimal,
// digit strings as they are, text with tshark's escapes (\r, \n, \t, \\).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bssap::tshark_diff {

struct field {
  std::string_view name;  // the tshark field name (-e)
  bool numeric;           // tshark prints it as a number (decimal or 0x hex)
};

// Order = the tshark -e order after frame.number. Names checked with `tshark -G fields`
// (tshark 4.0.17).
inline constexpr std::array<field, 26> fields{{
    {"sccp.message_type", true},
    {"sccp.slr", true},
    {"sccp.dlr", true},
    {"gsm_a.bssmap.msgtype", true},
    {"gsm_a.dtap.msg_mm_type", true},
    {"gsm_a.dtap.msg_cc_type", true},
    {"gsm_a.dtap.msg_sms_type", true},
    {"gsm_a.dtap.msg_ss_type", true},
    {"gsm_a.dtap.msg_rr_type", true},
    {"gsm_a.rp.msg_type", true},
    {"e212.imsi", false},
    {"gsm_a.tmsi", true},  // BSSMAP TMSI IE
    {"3gpp.tmsi", true},   // TMSI in a DTAP Mobile Identity
    {"gsm_a.imei", false},
    {"gsm_a.imeisv", false},
    {"gsm_a.lac", true},  // LAI in DTAP
    {"gsm_a.bssmap.cell_lac", true},
    {"gsm_a.bssmap.cell_ci", true},
    {"gsm_a.dtap.cld_party_bcd_num", false},
    {"gsm_a.dtap.clg_party_bcd_num", false},
    {"gsm_sms.tp-da", false},
    {"gsm_sms.tp-oa", false},
    {"gsm_a.dtap.cause", true},
    {"gsm_a.bssmap.cause", true},
    {"gsm_a.dtap.rej_cause", true},
    {"gsm_map.ussd_string", false},
}};

constexpr std::size_t field_index(std::string_view name) {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == name) return i;
  return fields.size();
}

// Why a disagreement is a known Wireshark behaviour (KNOWN_DIFFERENCES.md, by id).
enum class explanation : std::uint8_t {
  ussd_cr_padding,      // K1
  cc_cause_octet_3a,    // K2
  retransmission,       // K3: SCTP DATA / TCP segment / MTP2 MSU sent again
  sai_cell_l3_as_rrc,   // K4
  out_of_scope,         // K5: GMM/SM (Iu-PS) or UMA/GAN, which bssap-probe does not decode
  handover_l3_raw,      // K6: tshark shows Handover Command's Layer 3 Information as raw bytes
  ipa_split_malformed,  // K7: tshark 4.0 does not reassemble IPA messages split over TCP segments
};
std::string_view to_string(explanation e);

struct frame_values {
  std::array<std::multiset<std::string>, fields.size()> values;
  // Fields (by index) of this frame whose disagreement is explained, and why.
  std::map<std::size_t, explanation> explained;
  bool any_explained_frame_wide = false;  // K3 / K4 apply to every field of the frame
  explanation frame_wide{};
  // Our side: the stack delivered an SCCP / SUA unit in this frame (A-interface or Iu traffic).
  bool carried_sccp = false;
  // Wireshark's side: frame.protocols (e.g. eth:ethertype:ip:tcp:gsm_ipa:gsup), empty on ours.
  std::string protocols;
};

using capture_values = std::vector<frame_values>;  // index = frame number - 1

struct run_options {
  bool pc24 = false;
  // Tables of a few entries (fuzzing: a stack per input is cheap to build; the default tables
  // preallocate tens of MiB). Captures of more than a few flows need the defaults.
  bool small_tables = false;
  std::string tshark = "tshark";
};

// Wireshark's view of one frame, as either engine (tshark subprocess or libwireshark) sees it.
struct wireshark_frame {
  std::string_view protocols;  // frame.protocols
  bool malformed = false;      // _ws.malformed present
  bool sctp_retransmission = false;
};
// Records on `fv` the frame-wide known differences (K3, K5, K7) that Wireshark's own view of the
// frame shows (known_differences.cpp), and keeps the protocol path.
void classify_theirs(frame_values& fv, const wireshark_frame& w);

// Our decoder stack frame by frame, with one capture's state (SCTP/TCP/MTP2 flows, SCCP
// connections and reassembly). `dlt` is the pcap link type.
class our_stack {
 public:
  explicit our_stack(const run_options& options);
  ~our_stack();
  our_stack(const our_stack&) = delete;
  our_stack& operator=(const our_stack&) = delete;
  void decode(int dlt, std::span<const std::uint8_t> frame, std::int64_t ts_us, std::uint32_t wire_len,
              frame_values& out);

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

// Our side: the decoder stack over the capture. Returns false (with a message) if unreadable.
bool run_ours(const std::string& file, const run_options& options, capture_values& out, std::string& error);
// tshark's side. Returns false (with a message) if tshark failed.
bool run_theirs(const std::string& file, const run_options& options, capture_values& out, std::string& error);

// libwireshark in process (tools/epan), the same fields and classification as run_theirs.
// Only when built with BSSAP_EPAN.
bool run_epan(const std::string& file, const run_options& options, capture_values& out, std::string& error);

// tshark's escaping of a string field (epan/strutil format_text style for the characters we
// meet): \r \n \t and backslash.
std::string escape_like_tshark(std::string_view s);

}  // namespace bssap::tshark_diff
