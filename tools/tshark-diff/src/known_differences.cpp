// KNOWN_DIFFERENCES.md as code (see known_differences.hpp). Each rule names its Kn and applies
// only in the direction the document gives.
#include "known_differences.hpp"

#include <algorithm>

namespace bssap::tshark_diff {

namespace {

bool contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}

bool is_subset(const std::multiset<std::string>& a, const std::multiset<std::string>& b) {
  return std::includes(b.begin(), b.end(), a.begin(), a.end());
}

// A field a DTAP / RR message can produce (not SCCP, not BSSMAP's own IEs).
bool is_layer3_field(std::string_view name) {
  return name.rfind("sccp.", 0) != 0 && name.rfind("gsm_a.bssmap.", 0) != 0 && name != "gsm_a.tmsi";
}

// K1: tshark keeps the USSD padding CR that TS 23.038 6.1.2.3.1 says to drop.
bool ussd_padding_only(const std::multiset<std::string>& ours, const std::multiset<std::string>& theirs) {
  if (ours.size() != theirs.size()) return false;
  std::multiset<std::string> padded;
  for (const auto& v : ours) padded.insert(v + "\\r");
  return padded == theirs;
}

// A frame-wide reason recorded by one side, if the direction of the difference fits it.
bool frame_wide_fits(const frame_values& side, std::size_t i, const std::multiset<std::string>& a,
                     const std::multiset<std::string>& b) {
  if (!side.any_explained_frame_wide) return false;
  switch (side.frame_wide) {
    case explanation::retransmission:
    case explanation::out_of_scope:
      return is_subset(a, b);  // tshark shows more
    case explanation::sai_cell_l3_as_rrc:
    case explanation::handover_l3_raw:
      return is_subset(b, a) && is_layer3_field(fields[i].name);  // we show more
    case explanation::ipa_split_malformed:
      return true;  // tshark's dissection of the frame is broken
    default:
      return false;
  }
}

}  // namespace

void classify_theirs(frame_values& fv, const wireshark_frame& w) {
  fv.protocols = std::string(w.protocols);
  if (w.sctp_retransmission) {  // K3 applies to this frame
    fv.any_explained_frame_wide = true;
    fv.frame_wide = explanation::retransmission;
  }
  const std::string_view protocols = w.protocols;
  // SUA (RFC 3868) carries the SCCP procedures over SCTP: in scope like SCCP itself.
  const bool has_sccp = contains(protocols, "sccp") || contains(protocols, ":sua");
  if (contains(protocols, ":tcp") && !contains(protocols, ":uma") && (w.malformed || !has_sccp)) {
    // K7: an IPA message split across TCP segments: tshark 4.0 dissects the head as a cut
    // (malformed) SCCP message and the tail as a bogus IPA header or as plain data (no SCCP).
    // judge() first sets aside frames that carry no A/Iu traffic on either side (GSUP ...).
    fv.any_explained_frame_wide = true;
    fv.frame_wide = explanation::ipa_split_malformed;
  } else if (contains(protocols, ":uma") || !has_sccp) {
    // K5: DTAP over UMA / GAN (TS 44.318), or a frame Wireshark sees without SCCP.
    fv.any_explained_frame_wide = true;
    fv.frame_wide = explanation::out_of_scope;
  }
}

bool not_a_iu_traffic(const frame_values& ours, const frame_values& theirs) {
  const std::string_view p = theirs.protocols;
  return !ours.carried_sccp && !p.empty() && !contains(p, "sccp") && !contains(p, ":sua") && !contains(p, ":uma");
}

judgement judge(std::size_t i, const frame_values& ours, const frame_values& theirs) {
  const auto& a = ours.values[i];
  const auto& b = theirs.values[i];
  if (not_a_iu_traffic(ours, theirs)) return {verdict::not_a_iu, "not A/Iu traffic (" + theirs.protocols + ")"};
  if (const auto per_field = ours.explained.find(i); per_field != ours.explained.end())
    return {verdict::explained, std::string(to_string(per_field->second))};
  if (fields[i].name == "gsm_map.ussd_string" && ussd_padding_only(a, b))
    return {verdict::explained, std::string(to_string(explanation::ussd_cr_padding))};
  if (frame_wide_fits(ours, i, a, b)) return {verdict::explained, std::string(to_string(ours.frame_wide))};
  if (frame_wide_fits(theirs, i, a, b)) return {verdict::explained, std::string(to_string(theirs.frame_wide))};
  return {};
}

std::string_view to_string(explanation e) {
  switch (e) {
    case explanation::ussd_cr_padding:
      return "K1 USSD CR padding (TS 23.038 6.1.2.3.1): tshark keeps the filler CR";
    case explanation::cc_cause_octet_3a:
      return "K2 cause octet 3a (TS 24.008 10.5.4.11): tshark reads the ext bit of octet 3a, not octet 3";
    case explanation::retransmission:
      return "K3 retransmission (SCTP TSN, TCP sequence, MTP2 FSN): our stack skips the copy (events.md), tshark "
             "dissects it again";
    case explanation::ipa_split_malformed:
      return "K7 IPA message split across TCP segments: tshark 4.0 does not reassemble it (malformed)";
    case explanation::sai_cell_l3_as_rrc:
      return "K4 SAI Cell Identifier (TS 48.008 3.2.2.17): tshark decodes the Layer 3 Information as RRC";
    case explanation::handover_l3_raw:
      return "K6 Handover Command / Request Acknowledge (TS 48.008 3.2.1.10-11): tshark leaves the RR Handover "
             "Command in Layer 3 Information undissected";
    case explanation::out_of_scope:
      return "K5 out of scope: GMM/SM (Iu-PS), UMA/GAN or a frame without SCCP (GTP), not decoded by bssap-probe";
  }
  return "?";
}

}  // namespace bssap::tshark_diff
