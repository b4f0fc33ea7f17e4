// Common layer-3 information elements shared by BSSMAP and DTAP: fixed-capacity strings, PLMN
// identity, location area identification, mobile identity and BCD numbers.
// References: 3GPP TS 24.008 10.5.1.3 (LAI), 10.5.1.4 (Mobile identity), 10.5.4.7 (Called party
// BCD number), 10.5.4.9 (Calling party BCD number); TS 23.003 (MCC/MNC digits).
// Every decoded value is copied into the view (digits in small fixed arrays), so views built
// from these stay valid after the packet buffer is gone. No allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"

namespace bssap::dec {

// A string with a fixed capacity that lives inside a view (trivially copyable). Only the first
// `length` chars are ever read (view()), so construction sets the length alone: the decoded views
// that hold these strings (a DTAP message holds ~800 octets of them) are reset for every message
// on the hot path, and zeroing their unused capacity was most of that cost. Because the default
// constructor is user-provided, even value-initialisation (`T{}`, `T()`) leaves `chars` alone.
template <std::size_t N>
struct fixed_string {
  static_assert(N < 65535);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-member-init): see above
  constexpr fixed_string() noexcept {}
  std::array<char, N> chars;
  std::uint16_t length = 0;

  constexpr std::string_view view() const noexcept { return {chars.data(), length}; }
  constexpr bool empty() const noexcept { return length == 0; }
  constexpr std::size_t size() const noexcept { return length; }
  static constexpr std::size_t capacity() noexcept { return N; }
  constexpr void clear() noexcept { length = 0; }
  // False (and nothing stored) when full.
  [[nodiscard]] constexpr bool push_back(char c) noexcept {
    if (length >= N) return false;
    chars[length++] = c;
    return true;
  }
  [[nodiscard]] constexpr bool append(std::string_view s) noexcept {
    if (s.size() > N - length) return false;
    for (const char c : s) chars[length++] = c;
    return true;
  }
  friend constexpr bool operator==(const fixed_string& a, std::string_view b) noexcept { return a.view() == b; }
};

// MCC (3 digits) and MNC (2 or 3 digits) as decimal strings, e.g. "262" / "01" or "310" / "260".
// TS 24.008 10.5.1.3 figure 10.5.3: MNC digit 3 = 0xF means a 2-digit MNC.
struct plmn_id {
  fixed_string<3> mcc;
  fixed_string<3> mnc;
};

// Location area identification (TS 24.008 10.5.1.3): PLMN + LAC.
struct location_area_id {
  plmn_id plmn;
  std::uint16_t lac = 0;
};

// TS 24.008 10.5.1.4 table 10.5.4: type of identity (the 3 low bits of the first value octet).
enum class identity_type : std::uint8_t {
  no_identity = 0,
  imsi = 1,
  imei = 2,
  imeisv = 3,
  tmsi = 4,  // TMSI / P-TMSI / M-TMSI
  tmgi = 5,
};

// A decoded Mobile Identity. For IMSI/IMEI/IMEISV `digits` holds the decimal digits (filler
// removed); for TMSI `tmsi` holds the 32-bit value and `digits` is empty.
struct mobile_identity {
  identity_type type = identity_type::no_identity;
  fixed_string<16> digits;  // IMSI <= 15, IMEI 15, IMEISV 16 digits
  std::uint32_t tmsi = 0;
};

// A BCD number (TS 24.008 10.5.4.7 / 10.5.4.9, also TS 24.011 8.2.5.1/8.2.5.2 RP addresses):
// type of number, numbering plan, the optional octet 3a (calling party only) and the digits
// 0-9 * # a b c. Capacity: the called party BCD number IE is at most 43 octets (80 digits).
struct bcd_number {
  std::uint8_t ton = 0;  // type of number (3 bits)
  std::uint8_t npi = 0;  // numbering plan identification (4 bits)
  bool has_octet_3a = false;
  std::uint8_t presentation = 0;  // octet 3a bits 7-6 (calling party only)
  std::uint8_t screening = 0;     // octet 3a bits 2-1
  fixed_string<80> digits;
};

// --- decoders over the VALUE part of an IE (no IEI, no length octet) ---

// 3 octets of MCC/MNC (TS 24.008 10.5.1.3 octets 2-4). bad_value for a non-decimal digit.
result<plmn_id> decode_plmn_id(bytes value) noexcept;
// 5 octets: PLMN + LAC (TS 24.008 10.5.1.3).
result<location_area_id> decode_lai(bytes value) noexcept;
// Mobile identity value (TS 24.008 10.5.1.4), odd/even indicator and 0xF filler honoured.
result<mobile_identity> decode_mobile_identity(bytes value) noexcept;
// BCD number value. `octet_3a_allowed`: the calling party BCD number (10.5.4.9) has an octet 3a
// when bit 8 of octet 3 is 0; the called party number (10.5.4.7) and RP addresses never do.
result<bcd_number> decode_bcd_number(bytes value, bool octet_3a_allowed) noexcept;

// Appends the BCD digits of `packed` (low nibble first; 0xF ends the number) using the
// TS 24.008 table 10.5.118 alphabet 0-9 * # a b c. False when `out` is full.
template <std::size_t N>
[[nodiscard]] bool append_bcd_digits(bytes packed, fixed_string<N>& out) noexcept;

// The digit of one BCD nibble ('0'..'9', '*', '#', 'a', 'b', 'c'), '\0' for 0xF (end mark).
constexpr char bcd_digit(std::uint8_t nibble) noexcept {
  constexpr std::string_view alphabet = "0123456789*#abc";
  return nibble < alphabet.size() ? alphabet[nibble] : '\0';
}

template <std::size_t N>
bool append_bcd_digits(bytes packed, fixed_string<N>& out) noexcept {
  for (std::size_t i = 0; i < packed.size(); ++i) {
    const std::uint8_t octet = u8_at(packed, i);
    for (const std::uint8_t nibble : {static_cast<std::uint8_t>(octet & 0x0F), static_cast<std::uint8_t>(octet >> 4)}) {
      if (nibble == 0x0F) return true;  // filler: end of the number
      if (!out.push_back(bcd_digit(nibble))) return false;
    }
  }
  return true;
}

}  // namespace bssap::dec
