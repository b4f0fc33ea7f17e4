// Visitor statistics per named area (visitors.hpp).
#include "bssap/console/visitors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "bssap/console/presence.hpp"

namespace bssap::console {

namespace {
constexpr std::int64_t hour_us = 3'600'000'000LL;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto comma = line.find(',');
    out.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) return out;
    line.remove_prefix(comma + 1);
  }
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
}  // namespace

std::optional<region_table> region_table::load(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = fmt::format("{}: cannot read", path);
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path, error);
}

std::optional<region_table> region_table::parse(std::string_view csv, const std::string& name, std::string& error) {
  region_table t;
  std::size_t line_no = 0, prefix_col = 0, region_col = 0;
  bool header = false;
  while (!csv.empty()) {
    const auto nl = csv.find('\n');
    std::string_view line = csv.substr(0, nl);
    csv = nl == std::string_view::npos ? std::string_view{} : csv.substr(nl + 1);
    ++line_no;
    if (trim(line).empty() || trim(line).front() == '#') continue;
    const auto f = split(line);
    if (!header) {
      const auto p = std::find(f.begin(), f.end(), "prefix"), r = std::find(f.begin(), f.end(), "region");
      if (p == f.end() || r == f.end()) {
        error = fmt::format("{}:{}: the header must name the columns prefix and region", name, line_no);
        return std::nullopt;
      }
      prefix_col = static_cast<std::size_t>(p - f.begin());
      region_col = static_cast<std::size_t>(r - f.begin());
      header = true;
      continue;
    }
    if (f.size() <= std::max(prefix_col, region_col)) {
      error = fmt::format("{}:{}: expected {} fields", name, line_no, std::max(prefix_col, region_col) + 1);
      return std::nullopt;
    }
    std::string_view prefix = f[prefix_col];
    if (!prefix.empty() && prefix.front() == '+') prefix.remove_prefix(1);
    if (prefix.empty() || prefix.size() > 15 ||
        !std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      error = fmt::format("{}:{}: prefix: \"{}\" is not 1 to 15 digits", name, line_no, f[prefix_col]);
      return std::nullopt;
    }
    if (f[region_col].empty()) {
      error = fmt::format("{}:{}: region: empty", name, line_no);
      return std::nullopt;
    }
    if (!t._by_prefix.emplace(std::string(prefix), std::string(f[region_col])).second) {
      error = fmt::format("{}:{}: prefix {} listed twice", name, line_no, prefix);
      return std::nullopt;
    }
    t._longest = std::max(t._longest, prefix.size());
  }
  if (!header) {
    error = fmt::format("{}: no header (prefix,region)", name);
    return std::nullopt;
  }
  return t;
}

std::string_view region_table::region_of(std::string_view msisdn) const noexcept {
  if (!msisdn.empty() && msisdn.front() == '+') msisdn.remove_prefix(1);
  for (std::size_t n = std::min(_longest, msisdn.size()); n > 0; --n) {
    const auto it = _by_prefix.find(std::string(msisdn.substr(0, n)));
    if (it != _by_prefix.end()) return it->second;
  }
  return {};
}

std::string plmn_of_imsi(std::string_view imsi) {
  if (imsi.size() < 5) return "unknown";
  static constexpr std::array<int, 25> three{302, 310, 311, 312, 313, 314, 315, 316, 334, 338, 342, 344, 346,
                                             348, 352, 354, 356, 358, 360, 365, 376, 405, 708, 722, 732};
  const int mcc = (imsi[0] - '0') * 100 + (imsi[1] - '0') * 10 + (imsi[2] - '0');
  const bool mnc3 = std::find(three.begin(), three.end(), mcc) != three.end() && imsi.size() >= 6;
  return fmt::format("{}-{}", imsi.substr(0, 3), imsi.substr(3, mnc3 ? 3 : 2));
}

visitor_stats::visitor_stats(tables_fn tables, std::optional<region_table> regions, std::vector<std::string> home_plmns,
                             campaign::local_clock clock, std::string timezone_name)
    : _tables_fn(std::move(tables)), _regions(std::move(regions)), _clock(clock), _tz_name(std::move(timezone_name)) {
  for (auto& p : home_plmns) {
    std::string digits;
    for (char c : p)
      if (c != '-') digits += c;
    _home.push_back(digits);
  }
  flush();
}

void visitor_stats::flush() noexcept {
  try {
    auto t = _tables_fn ? _tables_fn() : campaign::operator_tables{};
    std::lock_guard lock(_mutex);
    _tables = std::move(t);
    if (_tables.areas) _area_names = _tables.areas->names();
    resolve_sources_locked();
  } catch (...) {  // keeps the tables it had
  }
}

void visitor_stats::record_source(std::string area, std::string campaign) {
  std::lock_guard lock(_mutex);
  _record_by_name[std::move(area)] = std::move(campaign);
  resolve_sources_locked();
}

void visitor_stats::resolve_sources_locked() {
  _record_of_area.assign(_area_names.size(), std::string());
  for (std::size_t a = 0; a < _area_names.size(); ++a)
    if (const auto it = _record_by_name.find(_area_names[a]); it != _record_by_name.end())
      _record_of_area[a] = it->second;
}

std::uint16_t visitor_stats::origin_of(const event& e) {
  const std::string_view imsi = e.imsi.view();
  std::string origin;
  const bool home = std::any_of(_home.begin(), _home.end(), [&](const std::string& h) { return imsi.starts_with(h); });
  if (home) {
    std::string_view region;
    std::string msisdn;
    if (_tables.profiles)
      if (const auto row = _tables.profiles->find_imsi(imsi)) msisdn = _tables.profiles->msisdn(*row);
    if (_regions && !msisdn.empty()) region = _regions->region_of(msisdn);
    origin = fmt::format("home:{}", region.empty() ? std::string_view("unknown") : region);
  } else {
    origin = "roam:" + plmn_of_imsi(imsi);
  }
  const auto it = _origin_ids.find(origin);
  if (it != _origin_ids.end()) return it->second;
  const auto id = static_cast<std::uint16_t>(_origins.size());
  _origins.push_back(origin);
  _origin_ids.emplace(std::move(origin), id);
  return id;
}

void visitor_stats::on_event(const event& e) noexcept {
  std::lock_guard lock(_mutex);
  count_locked(e, {});
}

void visitor_stats::on_record(std::string_view campaign, const event& e) noexcept {
  if (campaign.empty()) return;
  std::lock_guard lock(_mutex);
  count_locked(e, campaign);
}

void visitor_stats::count_locked(const event& e, std::string_view campaign) noexcept {
  if (!e.has(f_imsi) || !_tables.areas || !(e.has(f_lai) || e.has(f_lac))) return;
  const auto key = pack_imsi(e.imsi.view());
  if (!key) return;
  try {
    _scratch.clear();
    _tables.areas->areas_of(e.lac, e.has(f_cell) ? std::optional<std::uint32_t>(e.cell) : std::nullopt, _scratch);
    // Only the areas this source feeds: an event for the areas without a record campaign, a
    // record decision for the areas that name its campaign.
    std::erase_if(_scratch, [&](campaign::area_id a) {
      const std::string_view want = a < _record_of_area.size() ? std::string_view(_record_of_area[a]) : "";
      return want != campaign;
    });
    if (_scratch.empty()) return;
    const std::int64_t hour = floor_div(_clock.to_local_us(e.ts_us), hour_us);
    const std::uint16_t origin = origin_of(e);
    for (const auto a : _scratch) _seen[{a, hour}].emplace(*key, origin);
  } catch (...) {  // no memory: this event is not counted
  }
}

std::vector<std::string> visitor_stats::areas() const {
  std::lock_guard lock(_mutex);
  return _area_names;
}

std::optional<visitor_report> visitor_stats::report(std::string_view area, std::int64_t from_us,
                                                    std::int64_t to_us) const {
  std::lock_guard lock(_mutex);
  const auto it = std::find(_area_names.begin(), _area_names.end(), area);
  if (it == _area_names.end()) return std::nullopt;
  const auto id = static_cast<campaign::area_id>(it - _area_names.begin());
  visitor_report r;
  r.area = std::string(area);
  r.timezone = _tz_name;
  auto add = [&](visitor_bucket& b, std::uint16_t origin) {
    b.visitors += 1;
    const std::string& o = _origins[origin];
    if (o.starts_with("home:"))
      b.home[o.substr(5)] += 1;
    else
      b.roamers[o.substr(5)] += 1;
  };
  auto local_label = [](std::int64_t local_hour, bool day) {
    const std::int64_t days = floor_div(local_hour, 24);
    const std::string date = campaign::format_date(static_cast<campaign::local_days>(days));
    return day ? date : fmt::format("{}T{:02}:00", date, local_hour - days * 24);
  };
  std::map<std::int64_t, std::unordered_map<std::uint64_t, std::uint16_t>> by_day;
  for (auto s = _seen.lower_bound({id, std::numeric_limits<std::int64_t>::min()});
       s != _seen.end() && s->first.first == id; ++s) {
    const std::int64_t local_hour = s->first.second;
    const std::int64_t local_start = local_hour * hour_us;
    const std::int64_t utc_start = local_start - std::int64_t{_clock.offset_s(local_start)} * 1'000'000LL;
    if (utc_start < from_us || utc_start >= to_us) continue;
    visitor_bucket b;
    b.start = local_label(local_hour, false);
    for (const auto& [imsi, origin] : s->second) add(b, origin);
    r.hours.push_back(std::move(b));
    auto& day = by_day[floor_div(local_hour, 24)];
    for (const auto& [imsi, origin] : s->second) day.emplace(imsi, origin);
  }
  for (const auto& [d, seen] : by_day) {
    visitor_bucket b;
    b.start = local_label(d * 24, true);
    for (const auto& [imsi, origin] : seen) add(b, origin);
    r.days.push_back(std::move(b));
  }
  return r;
}

nlohmann::json to_json(const visitor_report& r) {
  auto bucket = [](const visitor_bucket& b) {
    return nlohmann::json{{"start", b.start}, {"visitors", b.visitors}, {"home", b.home}, {"roamers", b.roamers}};
  };
  nlohmann::json hours = nlohmann::json::array(), days = nlohmann::json::array();
  for (const auto& b : r.hours) hours.push_back(bucket(b));
  for (const auto& b : r.days) days.push_back(bucket(b));
  return {{"area", r.area}, {"timezone", r.timezone}, {"hours", hours}, {"days", days}};
}

std::string to_text(const visitor_report& r) {
  std::string s = fmt::format("== visitors of {} ({})\n", r.area, r.timezone);
  auto line = [&](const visitor_bucket& b) {
    fmt::format_to(std::back_inserter(s), "  {:<16} {:>7} visitors:", b.start, b.visitors);
    for (const auto& [region, n] : b.home) fmt::format_to(std::back_inserter(s), " home {} {},", region, n);
    for (const auto& [plmn, n] : b.roamers) fmt::format_to(std::back_inserter(s), " roamers {} {},", plmn, n);
    if (s.back() == ',') s.pop_back();
    s += '\n';
  };
  for (const auto& b : r.days) line(b);
  if (!r.hours.empty()) s += "  by hour:\n";
  for (const auto& b : r.hours) line(b);
  return s;
}

}  // namespace bssap::console
