// Local time: fixed offsets and IANA zones from TZif files (RFC 8536, the 64-bit section of
// version 2+ files). Dates are proleptic Gregorian days since 1970-01-01 (H. Hinnant's
// days_from_civil / civil_from_days).
#include "bssap/campaign/local_time.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace bssap::campaign {
namespace {

constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t y;
  unsigned m, d;
};
constexpr civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// "+08:00", "-05:30", "+0800", "+08" -> seconds; nullopt otherwise.
std::optional<std::int32_t> parse_fixed_offset(std::string_view s) noexcept {
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  const int sign = s[0] == '-' ? -1 : 1;
  s.remove_prefix(1);
  if (!is_digit(s[0]) || !is_digit(s[1])) return std::nullopt;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = 0;
  s.remove_prefix(2);
  if (!s.empty() && s[0] == ':') s.remove_prefix(1);
  if (!s.empty()) {
    if (s.size() != 2 || !is_digit(s[0]) || !is_digit(s[1])) return std::nullopt;
    m = (s[0] - '0') * 10 + (s[1] - '0');
  }
  if (h > 14 || m > 59) return std::nullopt;
  return sign * (h * 3600 + m * 60);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

struct be_reader {
  const std::string& data;
  std::size_t at = 0;
  bool ok = true;
  bool has(std::size_t n) const noexcept { return ok && data.size() >= at && data.size() - at >= n; }
  std::uint64_t be(std::size_t n) noexcept {
    if (!has(n)) {
      ok = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v << 8 | static_cast<unsigned char>(data[at + i]);
    at += n;
    return v;
  }
  void skip(std::uint64_t n) noexcept {
    if (!has(n)) {
      ok = false;
      return;
    }
    at += n;
  }
};

}  // namespace

std::optional<local_clock> local_clock::from_name(std::string_view tz, std::string& error) {
  local_clock c;
  if (tz == "UTC" || tz == "Z" || tz == "GMT") return c;
  if (!tz.empty() && (tz[0] == '+' || tz[0] == '-')) {
    const auto off = parse_fixed_offset(tz);
    if (!off) {
      error = "bad UTC offset \"" + std::string(tz) + "\" (+HH:MM or -HH:MM)";
      return std::nullopt;
    }
    c._fixed_offset_s = *off;
    c._initial_offset_s = *off;
    return c;
  }
  // An IANA name: letters, digits, '_', '-', '+', '/' between components; no "..", no leading '/'.
  bool name_ok = !tz.empty() && tz.size() < 200 && tz.front() != '/' && tz.back() != '/';
  for (char ch : tz) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '_' || ch == '-' ||
                    ch == '+' || ch == '/';
    if (!ok) name_ok = false;
  }
  if (tz.find("..") != std::string_view::npos || tz.find("//") != std::string_view::npos) name_ok = false;
  if (!name_ok) {
    error = "unknown time zone \"" + std::string(tz) + "\"";
    return std::nullopt;
  }
  const char* tzdir = std::getenv("TZDIR");
  const std::string path = std::string(tzdir && *tzdir ? tzdir : "/usr/share/zoneinfo") + "/" + std::string(tz);
  std::ifstream f(path, std::ios::binary);
  std::string data;
  if (f) {
    // A TZif file is a few kilobytes; read at most 1 MiB.
    char buf[4096];
    while (data.size() < (1u << 20)) {
      f.read(buf, sizeof buf);
      if (f.gcount() <= 0) break;
      data.append(buf, static_cast<std::size_t>(f.gcount()));
    }
  }
  if (data.size() < 44 || data.compare(0, 4, "TZif") != 0) {
    error = "unknown time zone \"" + std::string(tz) + "\" (no TZif file " + path + ")";
    return std::nullopt;
  }
  const auto bad = [&] {
    error = "time zone \"" + std::string(tz) + "\": unreadable TZif file " + path;
    return std::nullopt;
  };
  be_reader r{data};
  auto read_header = [&](std::uint64_t counts[6]) {
    r.skip(4);
    const auto version = r.be(1);
    r.skip(15);
    for (int i = 0; i < 6; ++i) counts[i] = r.be(4);
    return version;
  };
  std::uint64_t n[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  const auto version = read_header(n);
  if (!r.ok || version < '2') return bad();  // v1 files (32-bit only) are not supported
  r.skip(n[3] * 5 + n[4] * 6 + n[5] + n[2] * 8 + n[1] + n[0]);
  if (!r.ok || !r.has(4) || data.compare(r.at, 4, "TZif") != 0) return bad();
  read_header(n);
  const std::uint64_t timecnt = n[3], typecnt = n[4];
  if (!r.ok || typecnt == 0 || typecnt > 256 || timecnt > 100000) return bad();
  std::vector<std::int64_t> times(timecnt);
  std::vector<std::uint8_t> idx(timecnt);
  std::vector<std::int32_t> type_off(typecnt);
  for (auto& t : times) t = static_cast<std::int64_t>(r.be(8));
  for (auto& i : idx) i = static_cast<std::uint8_t>(r.be(1));
  for (auto& o : type_off) {
    o = static_cast<std::int32_t>(static_cast<std::uint32_t>(r.be(4)));
    r.skip(2);  // isdst, abbreviation index
  }
  if (!r.ok) return bad();
  for (std::size_t i = 0; i < timecnt; ++i) {
    if (idx[i] >= typecnt || (i > 0 && times[i] <= times[i - 1])) return bad();
    c._transitions.push_back(times[i]);
    c._offsets.push_back(type_off[idx[i]]);
  }
  c._initial_offset_s = type_off[0];  // RFC 8536 3.2: type 0 before the first transition
  c._fixed_offset_s = c._offsets.empty() ? type_off[0] : c._offsets.back();
  return c;
}

std::int32_t local_clock::offset_s(std::int64_t utc_us) const noexcept {
  if (_transitions.empty()) return _fixed_offset_s;
  const std::int64_t s = floor_div(utc_us, 1'000'000);
  const auto it = std::upper_bound(_transitions.begin(), _transitions.end(), s);
  if (it == _transitions.begin()) return _initial_offset_s;
  return _offsets[static_cast<std::size_t>(it - _transitions.begin() - 1)];
}

local_days local_clock::day(std::int64_t utc_us) const noexcept {
  return static_cast<local_days>(floor_div(to_local_us(utc_us), 86'400LL * 1'000'000));
}

std::uint32_t local_clock::minute_of_day(std::int64_t utc_us) const noexcept {
  const std::int64_t local_s = floor_div(to_local_us(utc_us), 1'000'000);
  return static_cast<std::uint32_t>((local_s - floor_div(local_s, 86400) * 86400) / 60);
}

unsigned local_clock::weekday(std::int64_t utc_us) const noexcept {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  const std::int64_t d = day(utc_us);
  return static_cast<unsigned>((d + 3 - floor_div(d + 3, 7) * 7));
}

std::int64_t local_clock::utc_of_day_start(local_days d) const noexcept {
  // The first UTC second whose local date is d: offsets are within +-26 h, so search that span.
  std::int64_t lo = static_cast<std::int64_t>(d) * 86400 - 26 * 3600;
  std::int64_t hi = static_cast<std::int64_t>(d) * 86400 + 26 * 3600;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (day(mid * 1'000'000) >= d) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo * 1'000'000;
}

std::optional<local_days> parse_date(std::string_view s) noexcept {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (!is_digit(s[i])) return std::nullopt;
  const int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  const unsigned m = static_cast<unsigned>((s[5] - '0') * 10 + (s[6] - '0'));
  const unsigned d = static_cast<unsigned>((s[8] - '0') * 10 + (s[9] - '0'));
  if (y < 1900 || m < 1 || m > 12 || d < 1) return std::nullopt;
  static constexpr unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > mdays[m - 1] + (m == 2 && leap ? 1u : 0u)) return std::nullopt;
  return static_cast<local_days>(days_from_civil(y, m, d));
}

std::string format_date(local_days d) {
  const civil c = civil_from_days(d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(c.y), c.m, c.d);
  return buf;
}

}  // namespace bssap::campaign
