// tshark-diff: runs our decoder stack and tshark over the same captures and compares, frame by
// frame, the multiset of values of each field (SCCP types and references, BSSMAP/DTAP message
// types, identities, LAC/CI, numbers, causes, SMS addresses, USSD strings).
// Disagreements that are known Wireshark behaviours (KNOWN_DIFFERENCES.md) are printed as
// explained and not counted. Last line: "frames: N compared, M disagreements"; exit 1 if M > 0.
//
// Frames that carry no A-interface / Iu signalling on either side (GSUP, GTP ...) are printed as
// "not A/Iu traffic" and counted apart. Wireshark's side is libwireshark in process (--engine
// epan, the default when built with it) or a tshark subprocess (--engine tshark); both print
// the same.
//
//   tshark-diff FILE... [--pc24] [--engine epan|tshark] [--tshark PATH] [--quiet]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "fields.hpp"
#include "known_differences.hpp"

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
#ifdef BSSAP_HAVE_EPAN
  std::string engine = "epan";
#else
  std::string engine = "tshark";
#endif
  app.add_option("--engine", engine, "Wireshark's side: epan (libwireshark in process) or tshark (subprocess)")
      ->check(CLI::IsMember({"epan", "tshark"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  // --tshark PATH alone means the subprocess engine (a tshark given is a tshark to run).
  if (app.count("--tshark") > 0 && app.count("--engine") == 0) engine = "tshark";
#ifndef BSSAP_HAVE_EPAN
  if (engine == "epan") {
    std::fprintf(stderr, "tshark-diff: built without libwireshark (BSSAP_EPAN=OFF): use --engine tshark\n");
    return 2;
  }
#endif
#ifdef BSSAP_HAVE_EPAN
  auto run_wireshark = engine == "epan" ? run_epan : run_theirs;
#else
  auto run_wireshark = run_theirs;
#endif

  std::size_t frames = 0;
  std::size_t disagreements = 0;
  std::size_t explained = 0;
  std::size_t agreeing_values = 0;
  std::size_t not_a_iu_frames = 0;
  for (const auto& file : files) {
    capture_values ours;
    capture_values theirs;
    std::string error;
    if (!run_ours(file, options, ours, error)) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), error.c_str());
      return 2;
    }
    if (!run_wireshark(file, options, theirs, error)) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), error.c_str());
      return 2;
    }
    const std::size_t n = std::max(ours.size(), theirs.size());
    ours.resize(n);
    theirs.resize(n);
    for (std::size_t frame = 0; frame < n; ++frame) {
      ++frames;
      bool counted_not_a_iu = false;
      for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto& a = ours[frame].values[i];
        const auto& b = theirs[frame].values[i];
        if (a == b) {
          agreeing_values += a.size();
          continue;
        }
        const judgement j = judge(i, ours[frame], theirs[frame]);
        if (j.what == verdict::not_a_iu) {
          if (!counted_not_a_iu) ++not_a_iu_frames;
          counted_not_a_iu = true;
          if (!quiet)
            std::printf("%s frame %zu %s: ours %s tshark %s: %s\n", file.c_str(), frame + 1,
                        std::string(fields[i].name).c_str(), join(a).c_str(), join(b).c_str(), j.reason.c_str());
          continue;
        }
        if (j.what == verdict::explained) {
          ++explained;
          if (!quiet)
            std::printf("%s frame %zu %s: ours %s tshark %s: explained: %s\n", file.c_str(), frame + 1,
                        std::string(fields[i].name).c_str(), join(a).c_str(), join(b).c_str(), j.reason.c_str());
          continue;
        }
        ++disagreements;
        std::printf("%s frame %zu %s: ours %s tshark %s\n", file.c_str(), frame + 1,
                    std::string(fields[i].name).c_str(), join(a).c_str(), join(b).c_str());
      }
    }
  }
  std::printf("values: %zu equal on both sides; explained: %zu (KNOWN_DIFFERENCES.md)\n", agreeing_values, explained);
  std::printf("not A/Iu traffic: %zu frames (no SCCP/SUA on either side: GSUP, GTP, ...; not compared)\n",
              not_a_iu_frames);
  std::printf("frames: %zu compared, %zu disagreements\n", frames, disagreements);
  return disagreements > 0 ? 1 : 0;
}
