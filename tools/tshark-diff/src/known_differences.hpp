// KNOWN_DIFFERENCES.md as code: decides whether a disagreement between our decoders and
// Wireshark on one field of one frame is a documented Wireshark behaviour (K1..K7), or a frame
// that is not A-interface / Iu traffic at all. tshark-diff and fuzz_differential both apply it.
#pragma once

#include <cstddef>
#include <set>
#include <string>

#include "fields.hpp"

namespace bssap::tshark_diff {

enum class verdict : std::uint8_t {
  disagreement,  // counted: a real difference
  explained,     // a known difference (reason says which Kn)
  not_a_iu,      // neither side saw A/Iu signalling in the frame: not compared
};

struct judgement {
  verdict what = verdict::disagreement;
  std::string reason;  // for explained / not_a_iu
};

// Field `i` of one frame differs: `ours`' values `a`, Wireshark's `b` (a != b).
judgement judge(std::size_t i, const frame_values& ours, const frame_values& theirs);

// The frame carries no A-interface / Iu signalling on either side: our stack delivered no SCCP
// or SUA unit, and Wireshark's protocol path has no sccp, sua or uma (GSUP to an HLR on IPA
// port 4222, GTP, RTP, H.248 ...).
bool not_a_iu_traffic(const frame_values& ours, const frame_values& theirs);

}  // namespace bssap::tshark_diff
