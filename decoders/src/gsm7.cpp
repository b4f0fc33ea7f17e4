// References: 3GPP TS 23.038 clauses 6.1.2, 6.1.2.1.1, 6.1.2.3.1, 6.2.1, 6.2.1.1.
#include "bssap/decoders/gsm7.hpp"

#include <array>

namespace bssap::dec::gsm7 {
namespace {

// TS 23.038 6.2.1: default alphabet, septet -> Unicode code point.
constexpr std::array<char32_t, 128> default_alphabet{
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,  // 0x00
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,  // 0x08
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,  // 0x10
    0x03A3, 0x0398, 0x039E, 0x00A0, 0x00C6, 0x00E6, 0x00DF, 0x00C9,  // 0x18 (0x1B: escape)
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,  // 0x20
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,  // 0x28
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,  // 0x30
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,  // 0x38
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,  // 0x40
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,  // 0x48
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,  // 0x50
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,  // 0x58
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,  // 0x60
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,  // 0x68
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,  // 0x70
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,  // 0x78
};

// TS 23.038 6.2.1.1: the extension table of the default alphabet (after escape 0x1B).
struct extension_entry {
  std::uint8_t septet;
  char32_t code_point;
};
constexpr std::array<extension_entry, 10> extension_table{{
    {0x0A, 0x000C},  // form feed (page break)
    {0x14, 0x005E},  // ^
    {0x28, 0x007B},  // {
    {0x29, 0x007D},  // }
    {0x2F, 0x005C},  // backslash
    {0x3C, 0x005B},  // [
    {0x3D, 0x007E},  // ~
    {0x3E, 0x005D},  // ]
    {0x40, 0x007C},  // |
    {0x65, 0x20AC},  // euro sign
}};

std::size_t put_utf8(char32_t cp, std::span<char> out, std::size_t at) noexcept {
  std::array<char, 4> buf{};
  std::size_t n = 0;
  if (cp < 0x80) {
    buf[n++] = static_cast<char>(cp);
  } else if (cp < 0x800) {
    buf[n++] = static_cast<char>(0xC0 | (cp >> 6));
    buf[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    buf[n++] = static_cast<char>(0xE0 | (cp >> 12));
    buf[n++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  }
  if (at + n > out.size()) return npos;
  for (std::size_t i = 0; i < n; ++i) out[at + i] = buf[i];
  return at + n;
}

// Decodes one UTF-8 code point at s[i]; returns its length or 0 when invalid.
std::size_t next_code_point(std::string_view s, std::size_t i, char32_t& cp) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  return len;
}

// One code point to one or two septets (escape + code). Returns septets needed (0: none).
std::size_t encode_code_point(char32_t cp, std::uint8_t& first, std::uint8_t& second) noexcept {
  for (std::size_t s = 0; s < default_alphabet.size(); ++s) {
    if (s == escape) continue;
    if (default_alphabet[s] == cp) {
      first = static_cast<std::uint8_t>(s);
      return 1;
    }
  }
  for (const auto& e : extension_table) {
    if (e.code_point == cp) {
      first = escape;
      second = e.septet;
      return 2;
    }
  }
  return 0;
}

}  // namespace

std::size_t unpack(std::span<const std::uint8_t> packed, std::size_t septet_count, unsigned fill_bits,
                   std::span<std::uint8_t> out) noexcept {
  if (fill_bits > 6 || septet_count > out.size() || packed_size(septet_count, fill_bits) > packed.size()) return npos;
  for (std::size_t i = 0; i < septet_count; ++i) {
    const std::size_t bit = i * 7 + fill_bits;
    const std::size_t byte = bit / 8;
    const unsigned shift = bit % 8;
    unsigned v = packed[byte] >> shift;
    if (shift > 1) v |= static_cast<unsigned>(packed[byte + 1]) << (8 - shift);
    out[i] = static_cast<std::uint8_t>(v & 0x7F);
  }
  return septet_count;
}

std::size_t pack(std::span<const std::uint8_t> septets, unsigned fill_bits, std::span<std::uint8_t> out) noexcept {
  const std::size_t n = packed_size(septets.size(), fill_bits);
  if (fill_bits > 6 || n > out.size()) return npos;
  for (std::size_t i = 0; i < n; ++i) out[i] = 0;
  for (std::size_t i = 0; i < septets.size(); ++i) {
    if (septets[i] > 0x7F) return npos;
    const std::size_t bit = i * 7 + fill_bits;
    const std::size_t byte = bit / 8;
    const unsigned shift = bit % 8;
    out[byte] = static_cast<std::uint8_t>(out[byte] | (septets[i] << shift));
    if (shift > 1) out[byte + 1] = static_cast<std::uint8_t>(out[byte + 1] | (septets[i] >> (8 - shift)));
  }
  return n;
}

std::size_t to_utf8(std::span<const std::uint8_t> septets, std::span<char> out) noexcept {
  std::size_t at = 0;
  for (std::size_t i = 0; i < septets.size(); ++i) {
    const std::uint8_t s = septets[i] & 0x7F;
    char32_t cp = default_alphabet[s];
    if (s == escape && i + 1 < septets.size()) {
      const std::uint8_t x = septets[++i] & 0x7F;
      cp = default_alphabet[x];  // 6.2.1.1: an unknown extension shows the default character
      for (const auto& e : extension_table)
        if (e.septet == x) cp = e.code_point;
    }
    at = put_utf8(cp, out, at);
    if (at == npos) return npos;
  }
  return at;
}

std::size_t from_utf8(std::string_view utf8, std::span<std::uint8_t> out) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    char32_t cp = 0;
    const std::size_t len = next_code_point(utf8, i, cp);
    if (len == 0) return npos;
    i += len;
    std::uint8_t a = 0;
    std::uint8_t b = 0;
    const std::size_t k = encode_code_point(cp, a, b);
    if (k == 0 || n + k > out.size()) return npos;
    out[n++] = a;
    if (k == 2) out[n++] = b;
  }
  return n;
}

std::size_t septet_length(std::string_view utf8) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    char32_t cp = 0;
    const std::size_t len = next_code_point(utf8, i, cp);
    if (len == 0) return npos;
    i += len;
    std::uint8_t a = 0;
    std::uint8_t b = 0;
    const std::size_t k = encode_code_point(cp, a, b);
    if (k == 0) return npos;
    n += k;
  }
  return n;
}

std::size_t strip_ussd_padding(std::span<const std::uint8_t> septets, std::size_t packed_octets) noexcept {
  std::size_t n = septets.size();
  // 8n-1 septets were sent with a CR in the last 7 bits: that CR is padding.
  if (n > 0 && packed_octets * 8 / 7 == n && (packed_octets * 8) % 7 == 0 && septets[n - 1] == 0x0D) --n;
  return n;
}

}  // namespace bssap::dec::gsm7
