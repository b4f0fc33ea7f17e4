// visitor_stats: the scenic-spot report. For each named area (areas.yaml), the distinct
// subscribers seen inside it per local hour and per local day, by origin:
//   home subscribers by region: their MSISDN (from the subscriber table) against the operator's
//     MSISDN-prefix -> region table (CSV `prefix,region`, longest prefix wins; "unknown" when no
//     MSISDN or no prefix matches);
//   roamers by their home network: the IMSI's MCC-MNC (TS 23.003 2.2; the MNC has 3 digits for
//     the MCCs that use 3, E.212 practice: 302, 310-316, 334, 338, 342-358 (even), 360, 365,
//     376, 405, 708, 722, 732, else 2).
// Fed with events (inside the probe on the presence thread, or from an event log for `report
// --visitors`); an event is inside an area when its LAC (or LAC:CI) is listed there. Events
// without an IMSI are not counted (nobody to tell apart).
// Or, per area, from the record channel (campaigns.md: `record` campaigns only count): an area
// given a record campaign (record_source) counts only the events of that campaign's `sent`
// decisions (on_record(), from the campaign shards' threads, or from a decision log joined to
// the event log by event_id), so that the campaign's trigger, `where`, `history` and `target`
// say who is a visitor (say, a dwell of 30 minutes instead of anyone passing by).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bssap/campaign/local_time.hpp"
#include "bssap/campaign/tables.hpp"
#include "bssap/event.hpp"
#include "bssap/event_sink.hpp"

namespace bssap::console {

// MSISDN prefix -> region. CSV with a header naming `prefix` and `region`.
class region_table {
 public:
  static std::optional<region_table> load(const std::string& path, std::string& error);
  static std::optional<region_table> parse(std::string_view csv, const std::string& name, std::string& error);
  std::string_view region_of(std::string_view msisdn) const noexcept;  // "" when no prefix matches
  std::size_t size() const noexcept { return _by_prefix.size(); }

 private:
  std::unordered_map<std::string, std::string> _by_prefix;
  std::size_t _longest = 0;
};

// "460-00" style MCC-MNC of a foreign IMSI (see above).
std::string plmn_of_imsi(std::string_view imsi);

struct visitor_bucket {
  std::string start;  // local "YYYY-MM-DDTHH:00" (hours) or "YYYY-MM-DD" (days)
  std::uint64_t visitors = 0;
  std::map<std::string, std::uint64_t> home;     // region -> distinct subscribers
  std::map<std::string, std::uint64_t> roamers;  // MCC-MNC -> distinct subscribers
};
struct visitor_report {
  std::string area;
  std::string timezone;
  std::vector<visitor_bucket> hours, days;
};
nlohmann::json to_json(const visitor_report& r);
std::string to_text(const visitor_report& r);

class visitor_stats final : public shard_consumer {
 public:
  using tables_fn = std::function<campaign::operator_tables()>;
  visitor_stats(tables_fn tables, std::optional<region_table> regions, std::vector<std::string> home_plmns,
                campaign::local_clock clock, std::string timezone_name);

  // Before the first event: the area `area` counts the record decisions of `campaign` instead
  // of events. Several areas may name one campaign.
  void record_source(std::string area, std::string campaign);
  const std::map<std::string, std::string>& record_sources() const noexcept { return _record_by_name; }

  void on_event(const event& e) noexcept override;
  void flush() noexcept override;  // takes the tables again (they may have been reloaded)
  // Any thread (the campaign shards): a `sent` decision of the record campaign `campaign`.
  void on_record(std::string_view campaign, const event& e) noexcept;

  // Any thread. nullopt: no such area. Hours whose start lies in [from_us, to_us), and the days
  // of those hours.
  std::optional<visitor_report> report(std::string_view area, std::int64_t from_us, std::int64_t to_us) const;
  std::vector<std::string> areas() const;

 private:
  std::uint16_t origin_of(const event& e);
  // Counts `e` in the areas that take it from `campaign` ("": the areas fed by events). Locked.
  void count_locked(const event& e, std::string_view campaign) noexcept;
  void resolve_sources_locked();
  std::map<std::string, std::string> _record_by_name;  // area name -> record campaign id
  std::vector<std::string> _record_of_area;            // by area id: its record campaign, "" = events
  tables_fn _tables_fn;
  campaign::operator_tables _tables;
  std::optional<region_table> _regions;
  std::vector<std::string> _home;  // MCC+MNC digit prefixes
  campaign::local_clock _clock;
  std::string _tz_name;
  std::vector<campaign::area_id> _scratch;

  mutable std::mutex _mutex;  // the feeding thread vs readers; never the capture thread
  std::vector<std::string> _area_names;
  std::vector<std::string> _origins;  // "home:REGION" or "roam:MCC-MNC"
  std::unordered_map<std::string, std::uint16_t> _origin_ids;
  // (area, local hour index) -> IMSI key -> origin id
  std::map<std::pair<campaign::area_id, std::int64_t>, std::unordered_map<std::uint64_t, std::uint16_t>> _seen;
};

}  // namespace bssap::console
