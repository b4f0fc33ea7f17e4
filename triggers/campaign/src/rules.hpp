// Campaigns compiled against the operator's tables: conditions with their field resolved to an
// accessor and their values pre-parsed as numbers, texts split into literal and placeholder
// pieces. Private to the engine. Semantics: campaigns.md ("Operators in a condition",
// "Conditions on a value that is missing ...").
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bssap/campaign/config.hpp"
#include "bssap/campaign/local_time.hpp"
#include "bssap/campaign/tables.hpp"
#include "bssap/event.hpp"

namespace bssap::campaign {

// What a condition or a placeholder reads.
enum class field : std::uint8_t {
  ts,
  type,
  imsi,
  tmsi,
  imei,
  mcc,
  mnc,
  lac,
  cell,
  peer,
  cause,
  duration_ms,
  prev_imei,
  prev_lac,
  prev_cell,
  link,
  area,
  home,
  handset,       // TAC column of imei
  prev_handset,  // TAC column of prev_imei
  profile,       // profile column
  msisdn,        // placeholder only
  offer,         // placeholder only
  literal,       // placeholder only: text as written
};

// Everything a condition may look at for one event.
struct event_view {
  const event* e = nullptr;
  std::optional<row_id> profile;
  std::optional<row_id> handset, prev_handset;
  std::span<const area_id> areas;
  bool home = false;
  std::string_view msisdn;
  const operator_tables* tables = nullptr;
};

struct compiled_condition {
  field what = field::profile;
  std::size_t column = 0;  // profile / TAC column
  cmp_op op = cmp_op::eq;
  std::vector<std::string> texts;
  std::vector<std::optional<double>> numbers;  // texts[i] as a decimal number, when it is one
  std::vector<area_id> area_ids;               // field::area: the values' ids (unknown: none)
  // The same for every condition of the rule set with the same field, column, operator and
  // values (campaigns often share targets and triggers): an event's verdict is computed once.
  std::uint32_t id = 0;

  bool holds(const event_view& v) const;
};

struct text_piece {
  field what = field::literal;
  std::size_t column = 0;
  std::string literal;  // field::literal text, or field::offer value
};

struct compiled_history {
  history_condition def;
  std::optional<area_id> area;  // dwell
  std::uint32_t id = 0;         // equal for equal conditions of the rule set (as compiled_condition::id)
};

struct compiled_campaign {
  const campaign_def* def = nullptr;
  std::vector<compiled_condition> target, where;
  std::vector<compiled_history> history;
  std::vector<text_piece> text;
  std::optional<std::size_t> compare_column;
  std::vector<std::string> test_numbers;  // sorted
  std::string worklist_dir;
  std::string offer_summary;  // "product price" for worklist rows
};

// Kept per subscriber for trigger.history: which events, and for how long.
struct history_needs {
  std::uint32_t types = 0;  // bit per event_type recorded
  bool locations = false;   // dwell / cell_changes: every event with its location
  // How far back each kind of record is read: a type's records by its count conditions, the
  // location records by dwell and cell_changes (kept apart: a 7-day count must not keep a week
  // of every subscriber's location updates for a 10-minute cell_changes).
  std::array<std::int64_t, event_type_count> type_window_us{};
  std::int64_t location_window_us = 0;
  std::size_t max_entries = 256;  // per subscriber, oldest dropped first
  bool last_seen = false;         // silent_for: every event's time must survive a restart
  bool any() const noexcept { return types != 0 || locations; }
};

struct rule_set {
  std::shared_ptr<const probe_config> config;
  local_clock clock;
  std::vector<compiled_campaign> campaigns;  // config order
  // The enabled campaigns each event type triggers (indexes, config order): an event looks at
  // the few campaigns it can start, not at all of them.
  std::array<std::vector<std::uint32_t>, event_type_count> by_type;
  history_needs history;
  std::vector<std::string> home_prefixes;    // "46000"
  std::vector<std::size_t> profile_columns;  // read by the enabled campaigns (prefetched per event)
  std::uint32_t distinct_conditions = 0;     // compiled_condition::id < this
  std::uint32_t distinct_history = 0;        // compiled_history::id < this
  bool any_sms = false;
};

// The text of a placeholder-free result, written into `out`.
void render_text(const compiled_campaign& c, const event_view& v, std::string& out);
// A value of an event field as text ("" + false when missing).
bool field_text(field f, std::size_t column, const event_view& v, std::string& out);

}  // namespace bssap::campaign
