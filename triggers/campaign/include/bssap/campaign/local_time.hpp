// Local time for campaigns (spec: `timezone`, "all local times use it"): a fixed offset
// ("+08:00", "UTC") or an IANA name read from the system's TZif files (/usr/share/zoneinfo,
// RFC 8536), so that a replay decides with the offsets in force at each event's time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bssap/campaign/config.hpp"

namespace bssap::campaign {

class local_clock {
 public:
  // "UTC", "Z", "+08:00", "-05:30", "+0800", or an IANA name. nullopt + error when unknown.
  static std::optional<local_clock> from_name(std::string_view tz, std::string& error);

  // UTC offset in force at a UTC instant, seconds.
  std::int32_t offset_s(std::int64_t utc_us) const noexcept;
  std::int64_t to_local_us(std::int64_t utc_us) const noexcept { return utc_us + offset_s(utc_us) * 1'000'000LL; }
  local_days day(std::int64_t utc_us) const noexcept;               // local date
  std::uint32_t minute_of_day(std::int64_t utc_us) const noexcept;  // 0..1439
  unsigned weekday(std::int64_t utc_us) const noexcept;             // 0 = Monday ... 6 = Sunday
  // The UTC instant of local midnight starting `d` (the first instant whose local date is d).
  std::int64_t utc_of_day_start(local_days d) const noexcept;

 private:
  std::int32_t _fixed_offset_s = 0;
  std::vector<std::int64_t> _transitions;  // UTC seconds, ascending
  std::vector<std::int32_t> _offsets;      // offset in force from _transitions[i] on
  std::int32_t _initial_offset_s = 0;      // before the first transition
};

// "2026-11-01" -> days since 1970-01-01; nullopt when not a valid date.
std::optional<local_days> parse_date(std::string_view s) noexcept;
// days -> "2026-11-01"
std::string format_date(local_days d);

}  // namespace bssap::campaign
