// Wireshark's side in process (--engine epan): libwireshark through tools/epan, the same fields
// and the same frame-wide classification as the tshark subprocess (theirs.cpp).
#include "bssap/epan/dissector.hpp"
#include "fields.hpp"

namespace bssap::tshark_diff {

bool run_epan(const std::string& file, const run_options& options, capture_values& out, std::string& error) {
  std::vector<bssap::epan::dissection> frames;
  bssap::epan::options o;
  o.pc24 = options.pc24;
  if (!bssap::epan::dissect_file(file, o, frames, error)) return false;
  if (frames.empty()) {
    error = "libwireshark: no frame in " + file;
    return false;
  }
  out.clear();
  out.reserve(frames.size());
  for (auto& d : frames) {
    frame_values fv;
    // tshark -T fields escapes text (-E escape, default on: \r \n \t \\); libwireshark gives it raw.
    for (std::size_t i = 0; i < fields.size(); ++i)
      for (const auto& v : d.values.values[i]) fv.values[i].insert(fields[i].numeric ? v : escape_like_tshark(v));
    classify_theirs(fv, wireshark_frame{d.protocols, d.malformed, d.sctp_retransmission});
    out.push_back(std::move(fv));
  }
  return true;
}

}  // namespace bssap::tshark_diff
