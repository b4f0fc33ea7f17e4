// GSM 7-bit default alphabet and extension table, packing and unpacking.
// References: 3GPP TS 23.038 clause 6.1.2 (alphabet), 6.1.2.1.1 (packing),
// 6.1.2.3.1 (USSD: a final CR fills 7 spare bits), 6.2.1.1 (extension table).
// Used by DTAP (USSD, SMS text), bssap-synth and the SMPP client. No allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace bssap::dec::gsm7 {

constexpr std::size_t npos = static_cast<std::size_t>(-1);
constexpr std::uint8_t escape = 0x1B;

// Unpacks `septet_count` septets from `packed`, skipping `fill_bits` (0..6) leading bits
// (used after a UDH). Returns the number of septets written, or npos if `packed` is too
// short or `out` too small.
std::size_t unpack(std::span<const std::uint8_t> packed, std::size_t septet_count, unsigned fill_bits,
                   std::span<std::uint8_t> out) noexcept;

// Packs septets (each < 0x80) after `fill_bits` zero bits. Returns bytes written or npos.
std::size_t pack(std::span<const std::uint8_t> septets, unsigned fill_bits, std::span<std::uint8_t> out) noexcept;

// Number of octets `septet_count` septets occupy after `fill_bits` fill bits.
constexpr std::size_t packed_size(std::size_t septet_count, unsigned fill_bits = 0) noexcept {
  return (septet_count * 7 + fill_bits + 7) / 8;
}

// The number of septets that fit in `octets` packed octets (for USSD, where no count is sent).
constexpr std::size_t septets_in(std::size_t octets) noexcept {
  return octets * 8 / 7;
}

// Septets (with escape sequences) to UTF-8. Unknown extension codes map as TS 23.038
// 6.2.1.1 says: to the default-alphabet character. Returns bytes written or npos if `out`
// is too small.
std::size_t to_utf8(std::span<const std::uint8_t> septets, std::span<char> out) noexcept;

// UTF-8 to septets (using the extension table where needed). Returns septets written, or
// npos when a character has no GSM 7-bit form (the caller then uses UCS-2), when the UTF-8
// is invalid or when `out` is too small.
std::size_t from_utf8(std::string_view utf8, std::span<std::uint8_t> out) noexcept;

// Septet count of `utf8` in GSM 7-bit (escapes count two), or npos if not representable.
std::size_t septet_length(std::string_view utf8) noexcept;

// USSD (TS 23.038 6.1.2.3.1): when 8n-1 septets are sent the spare 7 bits hold CR, and a
// message that itself ends in CR then gets a second CR. Removes that padding CR.
std::size_t strip_ussd_padding(std::span<const std::uint8_t> septets, std::size_t packed_octets) noexcept;

}  // namespace bssap::dec::gsm7
