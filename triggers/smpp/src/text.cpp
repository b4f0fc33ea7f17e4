// References: SMPP v3.4 5.2.19, 5.2.12; 3GPP TS 23.038 6.2.1, 6.2.1.1; TS 23.040 9.2.3.24.1.
#include "bssap/smpp/text.hpp"

#include <algorithm>

#include "bssap/decoders/gsm7.hpp"

namespace bssap::smpp {
namespace {

// TS 23.040 9.2.3.24.1: UDHL=5, IEI 0x00 (8-bit reference), IEDL=3, ref, total, seq.
constexpr std::size_t udh_size = 6;

void put_udh(std::vector<std::uint8_t>& sm, std::uint8_t ref, std::uint8_t total, std::uint8_t seq) {
  sm.insert(sm.end(), {0x05, 0x00, 0x03, ref, total, seq});
}

bool is_high_surrogate(std::uint16_t u) noexcept {
  return u >= 0xD800 && u <= 0xDBFF;
}

}  // namespace

std::string_view to_string(text_error e) noexcept {
  switch (e) {
    case text_error::none:
      return "none";
    case text_error::empty:
      return "empty";
    case text_error::invalid_utf8:
      return "invalid_utf8";
    case text_error::too_long:
      return "too_long";
  }
  return "unknown";
}

bool utf8_to_utf16be(std::string_view s, std::vector<std::uint8_t>& out) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    char32_t cp = 0;
    std::size_t len = 0;
    if (b0 < 0x80) {
      cp = b0;
      len = 1;
    } else if ((b0 & 0xE0) == 0xC0) {
      cp = b0 & 0x1F;
      len = 2;
    } else if ((b0 & 0xF0) == 0xE0) {
      cp = b0 & 0x0F;
      len = 3;
    } else if ((b0 & 0xF8) == 0xF0) {
      cp = b0 & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3F);
    }
    // Reject overlong forms, surrogates and out-of-range code points (RFC 3629 3).
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
    auto put = [&out](std::uint16_t u) {
      out.push_back(static_cast<std::uint8_t>(u >> 8));
      out.push_back(static_cast<std::uint8_t>(u));
    };
    if (cp < 0x10000) {
      put(static_cast<std::uint16_t>(cp));
    } else {
      cp -= 0x10000;
      put(static_cast<std::uint16_t>(0xD800 | (cp >> 10)));
      put(static_cast<std::uint16_t>(0xDC00 | (cp & 0x3FF)));
    }
  }
  return true;
}

bool utf16be_to_utf8(std::span<const std::uint8_t> be, std::string& out) {
  bool ok = (be.size() % 2) == 0;
  const std::size_t units = be.size() / 2;
  for (std::size_t i = 0; i < units; ++i) {
    char32_t cp = static_cast<char32_t>(be[2 * i] << 8 | be[2 * i + 1]);
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < units) {
      const char32_t lo = static_cast<char32_t>(be[2 * i + 2] << 8 | be[2 * i + 3]);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        ++i;
      } else {
        cp = 0xFFFD;
        ok = false;
      }
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD;  // a lone surrogate: shown as the replacement character
      ok = false;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return ok;
}

text_error encode_text(std::string_view utf8, std::uint8_t concat_ref, std::vector<encoded_part>& out) {
  out.clear();
  if (utf8.empty()) return text_error::empty;
  const std::size_t septets = dec::gsm7::septet_length(utf8);
  if (septets != dec::gsm7::npos) {
    std::vector<std::uint8_t> s(septets);
    if (dec::gsm7::from_utf8(utf8, s) != septets) return text_error::invalid_utf8;
    if (septets <= gsm7_single) {
      out.push_back({coding::gsm7, 0, 1, 1, std::move(s)});
      return text_error::none;
    }
    // Cut at 153 septets, one earlier when the cut would separate an escape from its character.
    std::vector<std::pair<std::size_t, std::size_t>> cuts;
    for (std::size_t at = 0; at < septets;) {
      std::size_t n = std::min(gsm7_part, septets - at);
      if (at + n < septets) {
        // Count escapes from `at`: an escape at the last position would be orphaned.
        std::size_t i = at;
        while (i < at + n) i += s[i] == dec::gsm7::escape ? 2 : 1;
        if (i > at + n) --n;
      }
      cuts.emplace_back(at, n);
      at += n;
    }
    if (cuts.size() > max_parts) return text_error::too_long;
    const auto total = static_cast<std::uint8_t>(cuts.size());
    for (std::size_t k = 0; k < cuts.size(); ++k) {
      encoded_part p{coding::gsm7, 0x40, static_cast<std::uint8_t>(k + 1), total, {}};
      p.short_message.reserve(udh_size + cuts[k].second);
      put_udh(p.short_message, concat_ref, total, p.seq);
      p.short_message.insert(p.short_message.end(), s.begin() + static_cast<std::ptrdiff_t>(cuts[k].first),
                             s.begin() + static_cast<std::ptrdiff_t>(cuts[k].first + cuts[k].second));
      out.push_back(std::move(p));
    }
    return text_error::none;
  }
  std::vector<std::uint8_t> be;
  if (!utf8_to_utf16be(utf8, be)) return text_error::invalid_utf8;
  const std::size_t units = be.size() / 2;
  if (units <= ucs2_single) {
    out.push_back({coding::ucs2, 0, 1, 1, std::move(be)});
    return text_error::none;
  }
  std::vector<std::pair<std::size_t, std::size_t>> cuts;
  for (std::size_t at = 0; at < units;) {
    std::size_t n = std::min(ucs2_part, units - at);
    // A high surrogate as the last unit of a part would leave both halves undecodable alone.
    if (at + n < units &&
        is_high_surrogate(static_cast<std::uint16_t>(be[2 * (at + n - 1)] << 8 | be[2 * (at + n - 1) + 1])))
      --n;
    cuts.emplace_back(at, n);
    at += n;
  }
  if (cuts.size() > max_parts) return text_error::too_long;
  const auto total = static_cast<std::uint8_t>(cuts.size());
  for (std::size_t k = 0; k < cuts.size(); ++k) {
    encoded_part p{coding::ucs2, 0x40, static_cast<std::uint8_t>(k + 1), total, {}};
    put_udh(p.short_message, concat_ref, total, p.seq);
    p.short_message.insert(p.short_message.end(), be.begin() + static_cast<std::ptrdiff_t>(2 * cuts[k].first),
                           be.begin() + static_cast<std::ptrdiff_t>(2 * (cuts[k].first + cuts[k].second)));
    out.push_back(std::move(p));
  }
  return text_error::none;
}

bool split_udh(std::uint8_t esm_class, std::span<const std::uint8_t> sm, concat_info& concat,
               std::span<const std::uint8_t>& payload) noexcept {
  concat = {};
  payload = sm;
  if ((esm_class & 0x40) == 0) return true;
  if (sm.empty()) return false;
  const std::size_t udhl = sm[0];
  if (1 + udhl > sm.size()) return false;
  // TS 23.040 9.2.3.24: a sequence of IEI, IEDL, data; unknown IEs skipped.
  for (std::size_t i = 1; i + 2 <= 1 + udhl;) {
    const std::uint8_t iei = sm[i];
    const std::size_t iedl = sm[i + 1];
    if (i + 2 + iedl > 1 + udhl) return false;
    if (!concat.present && iei == 0x00 && iedl == 3) {
      concat = {true, sm[i + 2], sm[i + 3], sm[i + 4]};
    } else if (!concat.present && iei == 0x08 && iedl == 4) {
      concat = {true, static_cast<std::uint16_t>(sm[i + 2] << 8 | sm[i + 3]), sm[i + 4], sm[i + 5]};
    }
    i += 2 + iedl;
  }
  payload = sm.subspan(1 + udhl);
  return true;
}

bool decode_payload(std::uint8_t data_coding, std::span<const std::uint8_t> payload, std::string& utf8) {
  utf8.clear();
  if (data_coding == coding::gsm7 || data_coding == 0x01) {
    // Septets one per octet; a stray top bit is masked (some ESMEs send 8-bit ASCII as 0x01).
    std::vector<std::uint8_t> septets(payload.begin(), payload.end());
    for (auto& s : septets) s &= 0x7F;
    std::string buf(payload.size() * 3 + 4, '\0');
    const std::size_t n = dec::gsm7::to_utf8(septets, std::span<char>(buf.data(), buf.size()));
    if (n == dec::gsm7::npos) return false;
    buf.resize(n);
    utf8 = std::move(buf);
    return true;
  }
  if (data_coding == coding::ucs2) return utf16be_to_utf8(payload, utf8);
  // Latin-1 (0x03) and anything else: byte -> code point.
  for (const auto b : payload) {
    if (b < 0x80) {
      utf8.push_back(static_cast<char>(b));
    } else {
      utf8.push_back(static_cast<char>(0xC0 | (b >> 6)));
      utf8.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    }
  }
  return data_coding == 0x03;
}

bool reassembler::evict_oldest(const entry* keep) {
  auto oldest = _pending.end();
  for (auto it = _pending.begin(); it != _pending.end(); ++it)
    if (&it->second != keep && (oldest == _pending.end() || it->second.order < oldest->second.order)) oldest = it;
  if (oldest == _pending.end()) return false;
  _bytes -= oldest->second.bytes;
  _pending.erase(oldest);
  ++_evicted;
  return true;
}

bool reassembler::add(std::string_view source, std::string_view destination, std::uint8_t data_coding,
                      const concat_info& concat, std::span<const std::uint8_t> payload, complete& out) {
  if (!concat.present || concat.total <= 1) {
    out.total = 1;
    decode_payload(data_coding, payload, out.text);
    return true;
  }
  if (concat.seq == 0 || concat.seq > concat.total) return false;
  key k{std::string(source), std::string(destination), concat.ref, concat.total};
  auto it = _pending.find(k);
  if (it == _pending.end()) {
    if (_pending.size() >= _max_pending) evict_oldest(nullptr);
    it = _pending.emplace(std::move(k), entry{}).first;
    auto& fresh = it->second;
    fresh.parts.resize(concat.total);
    fresh.have.assign(concat.total, false);
    fresh.data_coding = data_coding;
    fresh.order = _next_order++;
  }
  auto& e = it->second;
  const std::size_t i = concat.seq - 1;
  if (e.have[i]) return false;  // a repeated part (resend): the first copy wins
  while (_bytes + payload.size() > _max_bytes && evict_oldest(&e)) {
  }
  if (_bytes + payload.size() > _max_bytes) {
    // This message alone would pass the bound: it is dropped, with what it had.
    _bytes -= e.bytes;
    _pending.erase(it);
    ++_evicted;
    return false;
  }
  e.have[i] = true;
  e.parts[i].assign(payload.begin(), payload.end());
  e.bytes += payload.size();
  _bytes += payload.size();
  if (++e.count < concat.total) return false;
  std::vector<std::uint8_t> joined;
  joined.reserve(e.bytes);
  for (const auto& p : e.parts) joined.insert(joined.end(), p.begin(), p.end());
  out.total = concat.total;
  decode_payload(e.data_coding, joined, out.text);
  _bytes -= e.bytes;
  _pending.erase(it);
  return true;
}

}  // namespace bssap::smpp
