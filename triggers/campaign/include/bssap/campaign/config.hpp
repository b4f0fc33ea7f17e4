// The operator's configuration: probe.yaml and one campaign file per campaign, loaded into plain
// typed values. The contract is ../shared/spec/campaigns.md ("Files"): every key it names keeps
// its name and meaning. A mistake is reported as `FILE:LINE: key: what is wrong`, before any
// packet is read.
//
// Loading is two steps, because some checks need the operator's tables:
//   1. load_config(): YAML structure, types, durations, times, event types, operators, ids,
//      placeholders syntax, duplicate campaign ids; relative paths resolved against the file
//      that names them; campaign globs expanded (sorted by path).
//   2. validate_against_tables(): profile columns (target, profile.X fields and placeholders),
//      TAC columns (handset.X, prev_handset.X), area names (dwell, area conditions), compare_by.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bssap/event.hpp"

namespace bssap::campaign {

// Where a value was written, for `FILE:LINE: key: ...` messages (line is 1-based).
struct source_pos {
  std::string file;
  int line = 0;
};

// Microseconds, like event::ts_us.
using duration_us = std::int64_t;
constexpr duration_us us_per_second = 1'000'000;

// Condition operators (spec: "Operators in a condition").
enum class cmp_op : std::uint8_t { eq, ne, in, not_in, lt, le, gt, ge, prefix, not_prefix };
std::string_view to_string(cmp_op op) noexcept;

// One condition of `target` (key = a profile column) or `trigger.where` (key = an event field:
// an events.md field name, `area`, `home`, `handset.COL`, `prev_handset.COL`, `profile.COL`).
struct condition {
  std::string key;
  cmp_op op = cmp_op::eq;
  std::vector<std::string> values;  // one value for every operator but in / not_in (one or more)
  source_pos pos;
};

// trigger.history (spec: "Stateful conditions"). Windows are (now - D, now].
struct history_condition {
  enum class kind : std::uint8_t { count, silent_for, dwell, cell_changes } what = kind::count;
  event_type type = event_type::power_on;  // count: which events
  std::uint32_t at_least = 0;              // count: N events; cell_changes: N changes
  duration_us window = 0;                  // count/cell_changes: within; silent_for: D; dwell: at_least
  std::string area;                        // dwell
  source_pos pos;
};

// A range of local time of day, minutes since midnight; end <= start wraps past midnight
// ("21:00-09:00"). start == end is the whole day.
struct day_range {
  std::uint16_t start_min = 0;
  std::uint16_t end_min = 0;
  bool contains(std::uint32_t minute_of_day) const noexcept {
    if (start_min == end_min) return true;
    if (start_min < end_min) return minute_of_day >= start_min && minute_of_day < end_min;
    return minute_of_day >= start_min || minute_of_day < end_min;
  }
};

struct timing_def {
  std::uint8_t days = 0x7f;      // bit 0 = Monday ... bit 6 = Sunday
  std::vector<day_range> hours;  // empty: all day
  bool defer = false;            // outside: defer | drop (default drop)
  duration_us delay = 0;
};

enum class channel_type : std::uint8_t { sms, worklist, record };
std::string_view to_string(channel_type t) noexcept;

struct channel_def {
  channel_type type = channel_type::sms;
  std::string sender;                     // sms: source address; also the response address
  std::string text;                       // placeholders checked at load
  std::vector<std::string> test_numbers;  // non-empty: only these MSISDNs (or IMSIs) are contacted
  std::string dir;                        // worklist: output folder (default <state_dir>/worklists)
  source_pos text_pos;                    // where `text` was written (step 2 checks its placeholders)
};

// {count: N, per: D}; count 0 = no cap.
struct cap_def {
  std::uint32_t count = 0;
  duration_us per = 0;
};

struct strategy_def {
  cap_def cap;
  std::optional<std::uint64_t> budget_daily;
  std::optional<std::uint64_t> budget_total;
  std::uint32_t control_per_10000 = 0;  // control_group: 10% -> 1000, 2.5% -> 250
  std::uint32_t immune_after = 0;       // 0: never immune
  duration_us response_window = 72LL * 3600 * us_per_second;
};

struct evaluation_def {
  std::vector<std::string> order_keywords;
  std::optional<double> verdict_response_rate;  // fractions: 5% -> 0.05
  std::optional<double> verdict_order_rate;
  std::string compare_by;  // a profile column, empty = none
  source_pos compare_by_pos;
};

// A local calendar date as days since 1970-01-01.
using local_days = std::int32_t;

struct campaign_def {
  std::string id;  // [a-z0-9-]+
  std::string name;
  bool enabled = true;
  bool rehearsal = false;  // mode: rehearsal
  std::int32_t priority = 0;
  std::optional<local_days> period_start, period_end;  // inclusive
  std::vector<condition> target;
  std::uint32_t trigger_types = 0;  // bit (1 << event_type)
  std::vector<condition> where;
  std::vector<history_condition> history;
  timing_def timing;
  std::vector<std::pair<std::string, std::string>> offer;  // in file order
  channel_def channel;
  strategy_def strategy;
  evaluation_def evaluation;
  source_pos pos;  // the campaign file, line 1

  bool triggered_by(event_type t) const noexcept { return (trigger_types >> static_cast<unsigned>(t)) & 1u; }
};

struct smpp_def {
  std::string host = "127.0.0.1";
  std::uint16_t port = 2775;
  std::string system_id;
  std::string password_env = "SMPP_PASSWORD";  // the password is read from this variable at start
  std::string system_type;
  std::uint32_t window = 64;
  double tps = 0;  // 0: unlimited
  std::uint32_t sessions = 1;
  bool configured = false;  // the key is present
};

struct probe_config {
  std::string file;                                    // absolute path of probe.yaml
  std::optional<std::vector<std::string>> home_plmns;  // "460-00"
  std::string timezone = "UTC";                        // as written: "+08:00", "UTC", "Asia/Shanghai"
  std::string state_dir;                               // absolute; empty = not set
  std::string subscribers, dnd, tac, areas, orders;    // absolute paths, empty = not set
  std::vector<std::string> campaign_files;             // absolute, sorted, globs expanded
  // contact_policy
  cap_def global_cap;
  std::vector<day_range> quiet_hours;
  std::vector<std::string> opt_out_keywords{"TD", "T", "STOP", "退订"};
  smpp_def smpp;
  std::uint64_t capacity_daily_messages = 0;  // 0: no alarm
  std::vector<std::string> capacity_alarm_to;
  std::optional<std::uint16_t> reports_daily_at_min;  // minutes since local midnight
  std::vector<std::string> reports_to;
  std::string report_sender = "10086";  // reports.from: source address of report and alarm SMS
  std::vector<campaign_def> campaigns;  // in campaign_files order
  // Where each top-level key was written (for errors found after loading).
  source_pos pos_subscribers, pos_tac, pos_areas, pos_timezone;
};

// Loads probe.yaml and every campaign file it names. On error returns nullopt and sets `error`
// to one line `FILE:LINE: key: what is wrong` (the first error found).
std::optional<probe_config> load_config(const std::string& path, std::string& error);

// The same from text (fuzz targets, tests): `name` is used as FILE in messages and relative
// paths resolve against `dir`. Campaign files named by the text are read from disk.
std::optional<probe_config> parse_config(std::string_view yaml, const std::string& name, const std::string& dir,
                                         std::string& error);

// One campaign file's text (fuzz targets, tests). Errors as above.
std::optional<campaign_def> parse_campaign(std::string_view yaml, const std::string& name, std::string& error);

// What the tables offer, for the checks of step 2.
struct table_columns {
  std::vector<std::string> profile;  // subscriber CSV header (imsi, msisdn, ...); empty: no file
  std::vector<std::string> tac;      // TAC CSV header (tac, ...); empty: no file
  std::vector<std::string> areas;    // area names
};
// Returns "" or the first `FILE:LINE: key: ...` error (unknown column, unknown area, ...).
std::string validate_against_tables(const probe_config& cfg, const table_columns& tables);

// Parses "30s", "45m", "72h", "7d" (a positive integer and a unit). nullopt when malformed.
std::optional<duration_us> parse_duration(std::string_view s) noexcept;
// "HH:MM-HH:MM" -> day_range.
std::optional<day_range> parse_day_range(std::string_view s) noexcept;

// The placeholders of a text ({msisdn}, {imsi}, {lac}, {cell}, {area}, {peer}, {profile.COL},
// {offer.KEY}); `{{` and `}}` are literal braces. Returns "" or what is wrong.
std::string check_placeholders(std::string_view text, const std::vector<std::pair<std::string, std::string>>& offer);

}  // namespace bssap::campaign
