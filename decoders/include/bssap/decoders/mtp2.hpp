// MTP2 signal unit header (ITU-T Q.703 2.2): BSN/BIB, FSN/FIB, length indicator.
// LI = 0: fill-in signal unit (FISU); LI = 1 or 2: link status signal unit (LSSU); LI >= 3: message
// signal unit (MSU) carrying SIO + SIF for MTP3. LI counts the octets after it up to the CRC,
// saturating at 63 (Q.703 2.3.3), so a longer MSU has LI = 63.
// Q.703 Annex A (high speed links, extended sequence numbers): BSN 12 bits + BIB in 2 octets, FSN
// 12 bits + FIB in 2 octets, LI 9 bits in 2 octets (6-octet header).
// A trailing 2-octet CRC, when the capture keeps it, is ignored: the MSU is cut to LI octets.
#pragma once

#include <cstdint>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"

namespace bssap::dec {

enum class mtp2_unit : std::uint8_t { fisu, lssu, msu };

struct mtp2_view {
  mtp2_unit kind = mtp2_unit::fisu;
  std::uint16_t bsn = 0;
  std::uint16_t fsn = 0;
  bool bib = false;
  bool fib = false;
  std::uint16_t li = 0;
  bytes payload{};  // LSSU status field, or MSU SIO + SIF (MTP3 input); empty for FISU
};

// Errors: truncated (header cut, or fewer octets than a LI < 63 promises).
result<mtp2_view> decode_mtp2(bytes su, bool annex_a = false) noexcept;

}  // namespace bssap::dec
