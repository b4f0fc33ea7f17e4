// tshark-diff: runs our decoder stack and tshark over the same captures and compares, frame by
// frame, the multiset of values of each field (SCCP types and references, BSSMAP/DTAP message
// types, identities, LAC/CI, numbers, causes, SMS addresses, USSD strings).
// Disagreements that are known Wireshark behaviours (KNOWN_DIFFERENCES.md) are printed as
// explained and not counted. Last line: "frames: N compared, M disagreements"; exit 1 if M > 0.
//
//   tshark-diff FILE... [--pc24] [--tshark PATH] [--quiet]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "fields.hpp"

using namespace bssap::tshark_diff;

namespace {

std::string join(const std::multiset<std::string>& s) {
  std::string out = "{";
  for (const auto& v : s) {
    if (out.size() > 1) out += ", ";
    out += v;
  }
  return out + "}";
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Compare our decoders with tshark, frame by frame"};
  std::vector<std::string> files;
  run_options options;
  bool quiet = false;
  app.add_option("files", files, "pcap / pcapng files")->required()->check(CLI::ExistingFile);
  app.add_flag("--pc24", options.pc24, "24-bit point codes (MTP3 and SCCP addresses)");
  app.add_option("--tshark", options.tshark, "tshark program to run")->capture_default_str();
  app.add_flag("--quiet", quiet, "print only the summary line and disagreements");
  CLI11_PARSE(app, argc, argv);

  std::size_t frames = 0;
  std::size_t disagreements = 0;
  std::size_t explained = 0;
  std::size_t agreeing_values = 0;
  for (const auto& file : files) {
    capture_values ours;
    capture_values theirs;
    std::string error;
    if (!run_ours(file, options, ours, error)) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), error.c_str());
      return 2;
    }
    if (!run_theirs(file, options, theirs, error)) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), error.c_str());
      return 2;
    }
    const std::size_t n = std::max(ours.size(), theirs.size());
    ours.resize(n);
    theirs.resize(n);
    for (std::size_t frame = 0; frame < n; ++frame) {
      ++frames;
      for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto& a = ours[frame].values[i];
        const auto& b = theirs[frame].values[i];
        if (a == b) {
          agreeing_values += a.size();
          continue;
        }
        // Why it may be explained: a per-field reason our decoder recorded, a frame-wide one
        // (ours or tshark's side), or the USSD padding rule.
        const auto per_field = ours[frame].explained.find(i);
        const char* why = nullptr;
        std::string reason;
        // A frame-wide reason from either side, if the direction of the difference fits it.
        auto frame_wide_fits = [&](const frame_values& side) {
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
        };
        if (per_field != ours[frame].explained.end()) {
          reason = std::string(to_string(per_field->second));
        } else if (fields[i].name == "gsm_map.ussd_string" && ussd_padding_only(a, b)) {
          reason = std::string(to_string(explanation::ussd_cr_padding));
        } else if (frame_wide_fits(ours[frame])) {
          reason = std::string(to_string(ours[frame].frame_wide));
        } else if (frame_wide_fits(theirs[frame])) {
          reason = std::string(to_string(theirs[frame].frame_wide));
        }
        why = reason.empty() ? nullptr : reason.c_str();
        if (why != nullptr) {
          ++explained;
          if (!quiet)
            std::printf("%s frame %zu %s: ours %s tshark %s: explained: %s\n", file.c_str(), frame + 1,
                        std::string(fields[i].name).c_str(), join(a).c_str(), join(b).c_str(), why);
          continue;
        }
        ++disagreements;
        std::printf("%s frame %zu %s: ours %s tshark %s\n", file.c_str(), frame + 1,
                    std::string(fields[i].name).c_str(), join(a).c_str(), join(b).c_str());
      }
    }
  }
  std::printf("values: %zu equal on both sides; explained: %zu (KNOWN_DIFFERENCES.md)\n", agreeing_values, explained);
  std::printf("frames: %zu compared, %zu disagreements\n", frames, disagreements);
  return disagreements > 0 ? 1 : 0;
}
