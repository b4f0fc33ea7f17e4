// The decision procedure of campaigns.md ("Decisions"), one engine per trigger shard.
//
// Per event: release the deferrals that are due by the engine's clock (the events' ts); skip an
// event already processed (per-subscriber watermark: the last ts and the event_ids seen at it,
// kept in the store, since events come in capture order per subscriber); find the candidates;
// run checks 1-9 on each against the state before the event; let priority pick the one to carry
// out; record the decisions; then add the event to the subscriber's history.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "bssap/campaign/engine.hpp"
#include "flat_map.hpp"
#include "rules.hpp"
#include "state_store.hpp"
#include "subscriber_states.hpp"

namespace bssap::campaign {

std::string_view to_string(outcome o) noexcept {
  static constexpr std::array<std::string_view, 4> names{"sent", "deferred", "suppressed", "rehearsed"};
  return names[static_cast<std::size_t>(o)];
}

std::string_view to_string(reason r) noexcept {
  static constexpr std::array<std::string_view, reason_count> names{
      "",           "no_msisdn", "test_numbers", "dnd",         "immune",        "cap",
      "global_cap", "budget",    "timing",       "quiet_hours", "control_group", "priority"};
  return names[static_cast<std::size_t>(r)];
}

namespace {
// FNV-1a-64 continued over more bytes (fnv1a64 of a concatenation without building it).
std::uint64_t fnv1a64_more(std::uint64_t h, std::string_view s) noexcept {
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}
}  // namespace

std::uint64_t fnv1a64(std::string_view s) noexcept {
  return fnv1a64_more(0xcbf29ce484222325ull, s);
}

namespace {

// The subscriber's identity as decisions and event_id write it: the IMSI, else the TMSI.
std::string identity_of(const event& e) {
  if (e.has(f_imsi)) return std::string(e.imsi.view());
  if (e.has(f_tmsi)) return fmt::format("{:08x}", e.tmsi);
  return {};
}

// Subscriber key: the IMSI's digits packed with their count, or bit 63 + the TMSI. 0 = none.
std::uint64_t key_of(const event& e) {
  if (e.has(f_imsi) && !e.imsi.empty()) {
    std::uint64_t v = 0;
    for (const char c : e.imsi.view()) v = v * 10 + static_cast<std::uint64_t>(c - '0');
    return v << 4 | e.imsi.view().size();
  }
  if (e.has(f_tmsi)) return 1ull << 63 | e.tmsi;
  return 0;
}

}  // namespace

namespace {
// append_rfc3339_us with the text of the last second kept: events come in time order, so most
// share their second with the one before and only the six digits of microseconds differ
// ("YYYY-MM-DDTHH:MM:SS.ffffffZ": those are the 7th to 2nd characters from the end).
struct second_text {
  std::int64_t second = std::numeric_limits<std::int64_t>::min();
  std::string text;         // append_rfc3339_us of `second` * 10^6
  std::uint64_t hash = 0;   // FNV-1a of text up to the microseconds
  std::int64_t micros = 0;  // of the last time asked for
};
second_text& text_of_second(std::int64_t ts_us) {
  thread_local second_text c;
  std::int64_t second = ts_us / 1'000'000, micros = ts_us % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    second -= 1;
  }
  if (second != c.second) {
    c.text.clear();
    append_rfc3339_us(second * 1'000'000, c.text);
    c.second = second;
    c.hash = fnv1a64(std::string_view(c.text).substr(0, c.text.size() - 7));
  }
  c.micros = micros;
  return c;
}

void put_micros(std::int64_t micros, char* digits) {
  for (int i = 5; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + micros % 10);
    micros /= 10;
  }
}

void append_time(std::int64_t ts_us, std::string& out) {
  const auto& c = text_of_second(ts_us);
  out += c.text;
  put_micros(c.micros, out.data() + out.size() - 7);
}

// The hash behind event_id: FNV-1a of "TS|TYPE|IDENTITY|PEER", continued from the hash of the
// second's text rather than run over a text built for it (every event needs the hash for the
// processed watermark; only a decision needs the text).
std::uint64_t event_hash_of(const event& e) {
  const auto& c = text_of_second(e.ts_us);
  char tail[8];
  put_micros(c.micros, tail);
  tail[6] = 'Z';
  tail[7] = '|';
  std::uint64_t h = fnv1a64_more(c.hash, std::string_view(tail, sizeof tail));
  h = fnv1a64_more(h, to_string(e.type));
  h = fnv1a64_more(h, "|");
  if (e.has(f_imsi)) {
    h = fnv1a64_more(h, e.imsi.view());
  } else if (e.has(f_tmsi)) {
    char tmsi[8];
    for (int i = 0; i < 8; ++i) tmsi[i] = "0123456789abcdef"[(e.tmsi >> (28 - 4 * i)) & 0xf];
    h = fnv1a64_more(h, std::string_view(tmsi, sizeof tmsi));
  }
  h = fnv1a64_more(h, "|");
  if (e.has(f_peer)) h = fnv1a64_more(h, e.peer.view());
  return h;
}
}  // namespace

std::string event_id_of(const event& e) {
  return fmt::format("{:016x}", event_hash_of(e));
}

namespace {

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", u);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

// campaigns.md "The decision log": fields in the table's order, absent ones omitted.
void append_json_line(const decision& d, std::string& out) {
  out += "{\"ts\":\"";
  append_time(d.ts_us, out);
  out += "\",\"campaign\":";
  append_json_string(out, d.campaign);
  out += ",\"event_id\":\"";
  out += d.event_id;
  out += "\",\"event_type\":\"";
  out += to_string(d.type);
  out += "\",\"imsi\":";
  append_json_string(out, d.imsi);
  if (!d.msisdn.empty()) {
    out += ",\"msisdn\":";
    append_json_string(out, d.msisdn);
  }
  out += ",\"action\":\"";
  out += to_string(d.action);
  out += "\",\"outcome\":\"";
  out += to_string(d.result);
  out += '"';
  if (d.result == outcome::suppressed) {
    out += ",\"reason\":\"";
    out += to_string(d.why);
    out += '"';
  }
  if ((d.result == outcome::sent || d.result == outcome::rehearsed) && d.action == channel_type::sms) {
    out += ",\"text\":";
    append_json_string(out, d.text);
  }
  out += "}\n";
}

namespace {

// A small binary form of subscriber_state for the store (little-endian host order; the store is
// local to the host that wrote it).
class reader {
 public:
  explicit reader(std::string_view in) : _in(in) {}
  template <class T>
  bool get(T& v) {
    if (_in.size() < sizeof v) return false;
    std::memcpy(&v, _in.data(), sizeof v);
    _in.remove_prefix(sizeof v);
    return true;
  }
  bool get_string(std::string& s) {
    std::uint32_t n = 0;
    if (!get(n) || _in.size() < n) return false;
    s.assign(_in.substr(0, n));
    _in.remove_prefix(n);
    return true;
  }
  template <class T>
  bool get_count(T& n, std::size_t limit) {
    return get(n) && n <= limit;
  }

 private:
  std::string_view _in;
};

// 3: 16-byte history records. 2 (24-byte records, with padding) is still read.
constexpr std::uint8_t state_version = 3;

// Appends the state's encoding to `out`: its size is computed first, then every field copied in
// place (one growth of `out`, not one per field).
void encode_state(const subscriber_states& all, std::uint64_t key, const subscriber_state& s, std::string& out) {
  static const contact_part unreached;
  const auto& history = all.history(s);
  const contact_part* reached = all.reach_of(s);
  const contact_part& r = reached != nullptr ? *reached : unreached;
  subscriber_states::ids_type ids{};
  const auto id_count = static_cast<std::uint8_t>(all.ids_of(key, s, ids));
  std::size_t n = sizeof state_version + sizeof s.last_ts + sizeof id_count + id_count * sizeof ids[0] + 4 +
                  history.size() * sizeof(history_record) + 4 + 4 + r.global_ts.size() * sizeof(std::int64_t);
  for (const auto& c : r.contacts)
    n += 4 + c.campaign.size() + 4 + c.cap_ts.size() * sizeof(std::int64_t) + sizeof c.unanswered +
         sizeof c.last_contact_us;
  const std::size_t start = out.size();
  out.resize(start + n);
  char* p = out.data() + start;
  auto put = [&p](const void* v, std::size_t bytes) {
    if (bytes == 0) return;  // (an empty vector's data() may be null)
    std::memcpy(p, v, bytes);
    p += bytes;
  };
  auto put_count = [&put](std::size_t count) {
    const auto c = static_cast<std::uint32_t>(count);
    put(&c, sizeof c);
  };
  put(&state_version, sizeof state_version);
  put(&s.last_ts, sizeof s.last_ts);
  put(&id_count, sizeof id_count);
  put(ids.data(), id_count * sizeof ids[0]);
  put_count(history.size());
  put(history.data(), history.size() * sizeof(history_record));
  put_count(r.contacts.size());
  for (const auto& c : r.contacts) {
    put_count(c.campaign.size());
    put(c.campaign.data(), c.campaign.size());
    put_count(c.cap_ts.size());
    put(c.cap_ts.data(), c.cap_ts.size() * sizeof(std::int64_t));
    put(&c.unanswered, sizeof c.unanswered);
    put(&c.last_contact_us, sizeof c.last_contact_us);
  }
  put_count(r.global_ts.size());
  put(r.global_ts.data(), r.global_ts.size() * sizeof(std::int64_t));
}

// The watermark at the front of a state or a delta: ts, id count, ids.
bool read_watermark(reader& r, subscriber_states& all, std::uint64_t key, subscriber_state& s) {
  std::int64_t ts = 0;
  std::uint8_t n = 0;
  subscriber_states::ids_type ids{};
  if (!r.get(ts) || !r.get_count(n, subscriber_state::max_ids)) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (!r.get(ids[i])) return false;
  all.set_watermark(key, s, ts, ids, n);
  return true;
}

// Replaces the subscriber's state with a stored one.
bool decode_state(std::string_view blob, subscriber_states& all, std::uint64_t key, subscriber_state& s) {
  reader r(blob);
  std::uint8_t version = 0;
  std::uint32_t n = 0;
  all.clear(key, s);
  if (!r.get(version) || (version != state_version && version != 2) || !read_watermark(r, all, key, s)) return false;
  if (!r.get_count(n, 1u << 20)) return false;
  if (n > 0) {
    auto& history = all.history_of(s);
    history.resize(n);
    for (auto& h : history) {
      if (version == state_version) {
        if (!r.get(h)) return false;
        continue;
      }
      // Version 2: ts_us at 0, type 8, has_lac 9, has_cell 10, lac 12, cell 16 (24 bytes).
      std::array<char, 24> old{};
      if (!r.get(old)) return false;
      std::memcpy(&h.ts_us, old.data(), 8);
      h.type = static_cast<std::uint8_t>(old[8]);
      h.located = static_cast<std::uint8_t>((old[9] != 0 ? history_record::has_lac : 0) |
                                            (old[10] != 0 ? history_record::has_cell : 0));
      std::memcpy(&h.lac, old.data() + 12, 2);
      std::memcpy(&h.cell, old.data() + 16, 4);
    }
  }
  contact_part reach;
  if (!r.get_count(n, 1u << 16)) return false;
  reach.contacts.resize(n);
  for (auto& c : reach.contacts) {
    std::uint32_t m = 0;
    if (!r.get_string(c.campaign) || !r.get_count(m, 1u << 20)) return false;
    c.cap_ts.resize(m);
    for (auto& t : c.cap_ts)
      if (!r.get(t)) return false;
    if (!r.get(c.unanswered) || !r.get(c.last_contact_us)) return false;
  }
  if (!r.get_count(n, 1u << 20)) return false;
  reach.global_ts.resize(n);
  for (auto& t : reach.global_ts)
    if (!r.get(t)) return false;
  if (!reach.contacts.empty() || !reach.global_ts.empty()) all.reach(s) = std::move(reach);
  return true;
}

// A state log entry may instead be a delta: what an event changed when it changed only the
// watermark and the history (most events: a location or a counted type recorded, no contact).
// Applied to the state before it: watermark replaced, the record appended (when there is one),
// then `dropped` records taken off the front (remember keeps a suffix; when it does not, the
// whole state is logged). A third of a whole state's bytes, and nothing but the hot event to
// encode.
constexpr std::uint8_t delta_version = 0x81;

void encode_delta(const subscriber_states& all, std::uint64_t key, const subscriber_state& s,
                  const history_record* added, std::uint32_t dropped, std::string& out) {
  subscriber_states::ids_type ids{};
  const auto id_count = static_cast<std::uint8_t>(all.ids_of(key, s, ids));
  const std::size_t n = 1 + sizeof s.last_ts + 1 + id_count * sizeof ids[0] + 4 + 1 + (added ? sizeof *added : 0);
  const std::size_t start = out.size();
  out.resize(start + n);
  char* p = out.data() + start;
  auto put = [&p](const void* v, std::size_t bytes) {
    if (bytes == 0) return;
    std::memcpy(p, v, bytes);
    p += bytes;
  };
  const std::uint8_t has_record = added != nullptr ? 1 : 0;
  put(&delta_version, 1);
  put(&s.last_ts, sizeof s.last_ts);
  put(&id_count, 1);
  put(ids.data(), id_count * sizeof ids[0]);
  put(&dropped, 4);
  put(&has_record, 1);
  if (added != nullptr) put(added, sizeof *added);
}

bool apply_delta(std::string_view blob, subscriber_states& all, std::uint64_t key, subscriber_state& s) {
  reader r(blob);
  std::uint8_t version = 0, has_record = 0;
  std::uint32_t dropped = 0;
  if (!r.get(version) || version != delta_version || !read_watermark(r, all, key, s)) return false;
  if (!r.get(dropped) || !r.get(has_record) || has_record > 1) return false;
  history_record added;
  if (has_record == 1 && !r.get(added)) return false;
  if (has_record == 0 && dropped == 0) return true;
  auto& h = all.history_of(s);
  if (has_record == 1) h.push_back(added);
  if (dropped > h.size()) return false;
  h.erase(h.begin(), h.begin() + dropped);
  return true;
}

// Counts the timestamps in the sliding window (now - per, now].
std::size_t in_window(const std::vector<std::int64_t>& ts, std::int64_t now, std::int64_t per) {
  std::size_t n = 0;
  for (const auto t : ts) n += t > now - per && t <= now ? 1 : 0;
  return n;
}
// Keeps what a window of `per` can still count at `now` or later.
void trim_window(std::vector<std::int64_t>& ts, std::int64_t now, std::int64_t per) {
  std::erase_if(ts, [&](std::int64_t t) { return t <= now - per; });
}

// Keywords (opt-out, order) compare without case; they are ASCII words such as TD, STOP, KT.
std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (auto& ch : out)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  return out;
}

struct budget_state {
  std::uint64_t total = 0;
  std::map<local_days, std::uint64_t> by_day;
  bool dirty_day_set = false;
  std::vector<local_days> dirty;
};

struct pending_deferral {
  std::string campaign;
  std::string event_id;
  std::int64_t deferred_at_us = 0;
  std::int64_t release_us = 0;
  event e;
};

// The verdict of checks 1-9 for one candidate.
struct check_result {
  reason why = reason::none;
  bool defer = false;
  bool control = false;
};

}  // namespace

struct engine::impl {
  engine_options options;
  engine_inputs inputs;
  channel* out = nullptr;
  decision_sink* log = nullptr;
  state_store store;
  bool opened = false;
  bool closed = false;

  std::int64_t clock_us = std::numeric_limits<std::int64_t>::min();
  subscriber_states subscribers;
  std::map<std::string, budget_state, std::less<>> budgets;
  std::multimap<std::int64_t, pending_deferral> pending;  // by release time, then arrival
  std::unordered_set<std::string> opted_out;

  // The current batch.
  std::string decision_batch;  // append_decision encodings
  std::size_t batch_decisions = 0;
  std::vector<unhanded_row> unhanded;  // sent decisions the channel has yet to take
  std::string state_batch, state_buf;  // append_state_entry encodings; one state
  std::size_t state_entries = 0;       // in state_batch
  std::uint64_t last_fold_bytes = 0;   // states written by the last fold
  // A batch's state entries were lost to a failed commit: a delta logged now would apply to a
  // state without them, so whole states are logged until a fold rewrites every one.
  bool whole_states = false;
  std::vector<pending_row> pending_added;
  std::vector<std::pair<std::string, std::string>> pending_released;
  std::vector<response_row> responses;
  std::vector<std::pair<std::string, std::int64_t>> new_opt_outs;
  std::vector<outgoing> messages;
  std::vector<std::pair<std::string, std::string>> to_mark_handed;
  std::string lines;
  std::size_t batch_events = 0;

  // Work posted from other threads.
  std::mutex posted_mutex;
  std::optional<engine_inputs> posted_inputs;
  std::vector<reply> posted_replies;
  std::atomic<bool> posted{false};

  // Counters (written by the worker, read by anyone).
  struct atomic_counters {
    std::atomic<std::uint64_t> events{0}, duplicates{0}, no_subscriber{0}, candidates{0}, sent{0}, deferred{0},
        released{0}, rehearsed{0}, recorded{0}, responses{0}, orders{0}, opt_outs{0}, handed_over{0},
        hand_over_failures{0}, commits{0}, store_errors{0}, reports{0}, alarms{0};
    std::atomic<std::uint64_t> subscribers{0}, subscribers_with_history{0}, state_bytes{0};  // as of the last batch
    std::array<std::atomic<std::uint64_t>, reason_count> suppressed{};
  } counts;
  // Decisions per campaign (the same outcomes as counts, split by campaign id). Tallies are never
  // removed (a campaign dropped by a reload keeps its figures), so a pointer cached by the worker
  // stays valid; the mutex guards only the map's shape.
  struct campaign_tally {
    std::atomic<std::uint64_t> sent{0}, recorded{0}, deferred{0}, rehearsed{0};
    std::array<std::atomic<std::uint64_t>, reason_count> suppressed{};
  };
  mutable std::mutex tallies_mutex;
  std::map<std::string, std::unique_ptr<campaign_tally>, std::less<>> tallies;
  std::unordered_map<std::string_view, campaign_tally*> tally_of;  // worker only; keys in tallies
  campaign_tally& tally(std::string_view id) {
    if (const auto it = tally_of.find(id); it != tally_of.end()) return *it->second;
    std::lock_guard lock(tallies_mutex);
    auto [at, added] = tallies.try_emplace(std::string(id));
    if (added) at->second = std::make_unique<campaign_tally>();
    tally_of.emplace(at->first, at->second.get());
    return *at->second;
  }
  // Today's figures (the local day of the clock), read by the other shards' reporters.
  std::atomic<local_days> fig_day{std::numeric_limits<local_days>::min()};
  std::atomic<std::uint64_t> fig_sent{0}, fig_suppressed{0}, fig_responses{0}, fig_orders{0}, fig_opt_outs{0};
  local_days reported_day = std::numeric_limits<local_days>::min();  // daily report handed over for
  local_days alarmed_day = std::numeric_limits<local_days>::min();   // capacity alarm handed over for
  mutable std::mutex error_mutex;
  std::string error;

  std::vector<area_id> areas_buf;  // the current view's areas and MSISDN
  std::string msisdn_buf;
  std::string identity;    // the current subscriber's IMSI (or TMSI) as decisions write it
  bool contacted = false;  // the current event changed contacts or cap times (no delta then)

  static void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void fail(std::string message) {
    bump(counts.store_errors);
    std::lock_guard lock(error_mutex);
    error = std::move(message);
  }

  const rule_set& rules() const { return *inputs.rules; }
  const probe_config& config() const { return *inputs.config; }

  // --- the event's context -------------------------------------------------------------------
  // `with_msisdn` false: v.msisdn is left empty for fill_msisdn (no condition reads it; only
  // checks, decisions and texts do, so most events never need it).
  event_view view_of(const event& e, bool with_msisdn = true) {
    event_view v;
    v.e = &e;
    v.tables = &inputs.tables;
    const auto& t = inputs.tables;
    if (t.profiles && e.has(f_imsi)) v.profile = t.profiles->find_imsi(e.imsi.view());
    if (with_msisdn) fill_msisdn(v);
    if (t.tac && e.has(f_imei)) v.handset = t.tac->find(e.imei.view());
    if (t.tac && e.has(f_prev_imei)) v.prev_handset = t.tac->find(e.prev_imei.view());
    areas_buf.clear();
    if (t.areas)
      t.areas->areas_of(e.has(f_lai) || e.has(f_lac) ? std::optional<std::uint16_t>(e.lac) : std::nullopt,
                        e.has(f_cell) ? std::optional<std::uint32_t>(e.cell) : std::nullopt, areas_buf);
    v.areas = areas_buf;
    if (e.has(f_imsi))
      for (const auto& p : rules().home_prefixes) v.home = v.home || e.imsi.view().starts_with(p);
    return v;
  }

  // compiled_condition::holds, once per event for each distinct condition (verdicts of the
  // current event: stamped with its number).
  std::vector<std::uint64_t> verdict_event;
  std::vector<bool> verdict;
  std::uint64_t event_number = 0;
  bool holds(const compiled_condition& c, const event_view& v) {
    if (c.id >= verdict.size()) {
      verdict.resize(std::max<std::size_t>(rules().distinct_conditions, c.id + 1));
      verdict_event.resize(verdict.size(), 0);
    }
    if (verdict_event[c.id] != event_number) {
      verdict[c.id] = c.holds(v);
      verdict_event[c.id] = event_number;
    }
    return verdict[c.id];
  }

  void fill_msisdn(event_view& v) {
    msisdn_buf.clear();
    if (v.profile) msisdn_buf = inputs.tables.profiles->msisdn(*v.profile);
    v.msisdn = msisdn_buf;
  }

  bool in_area(area_id a, const history_record& h) const {
    if (!h.with(history_record::has_lac) || !inputs.tables.areas) return false;
    return inputs.tables.areas->contains(
        a, h.lac, h.with(history_record::has_cell) ? std::optional<std::uint32_t>(h.cell) : std::nullopt);
  }

  static history_record record_of(const event& e) {
    history_record h;
    h.ts_us = e.ts_us;
    h.type = static_cast<std::uint8_t>(e.type);
    h.located = static_cast<std::uint8_t>((e.has(f_lai) || e.has(f_lac) ? history_record::has_lac : 0) |
                                          (e.has(f_cell) ? history_record::has_cell : 0));
    h.lac = e.lac;
    h.cell = e.cell;
    return h;
  }

  // trigger.history on the subscriber's history plus the current event ("the current event
  // included"); every condition must hold.
  // Each distinct condition once per event, its verdict reused by every campaign that has it.
  bool history_holds(const compiled_campaign& c, const subscriber_state& s, const history_record& now) {
    for (const auto& hc : c.history) {
      if (hc.id >= history_verdict.size()) {
        history_verdict.resize(std::max<std::size_t>(rules().distinct_history, hc.id + 1));
        history_verdict_event.resize(history_verdict.size(), 0);
      }
      if (history_verdict_event[hc.id] != event_number) {
        history_verdict[hc.id] = history_condition_holds(hc, s, now);
        history_verdict_event[hc.id] = event_number;
      }
      if (!history_verdict[hc.id]) return false;
    }
    return true;
  }
  std::vector<std::uint64_t> history_verdict_event;
  std::vector<bool> history_verdict;

  bool history_condition_holds(const compiled_history& hc, const subscriber_state& s, const history_record& now) const {
    {
      const auto& h = hc.def;
      switch (h.what) {
        case history_condition::kind::count: {
          std::uint32_t n = now.type == static_cast<std::uint8_t>(h.type) ? 1 : 0;
          for (const auto& r : subscribers.history(s))
            n += r.type == static_cast<std::uint8_t>(h.type) && r.ts_us > now.ts_us - h.window ? 1 : 0;
          if (n < h.at_least) return false;
          break;
        }
        case history_condition::kind::silent_for:
          if (s.last_ts == std::numeric_limits<std::int64_t>::min() || now.ts_us - s.last_ts < h.window) return false;
          break;
        case history_condition::kind::dwell: {
          if (!in_area(*hc.area, now)) return false;
          bool reached = false;
          for (auto it = subscribers.history(s).rbegin(); it != subscribers.history(s).rend(); ++it) {
            if (!in_area(*hc.area, *it)) return false;
            if (it->ts_us <= now.ts_us - h.window) {
              reached = true;
              break;
            }
          }
          if (!reached) return false;
          break;
        }
        case history_condition::kind::cell_changes: {
          // Changes between consecutive cell-carrying events, both inside the window.
          std::uint32_t changes = 0;
          const history_record* prev = nullptr;
          for (const auto& r : subscribers.history(s)) {
            if (!r.with(history_record::has_cell) || r.ts_us <= now.ts_us - h.window) continue;
            if (prev != nullptr && prev->cell != r.cell) ++changes;
            prev = &r;
          }
          if (now.with(history_record::has_cell) && prev != nullptr && prev->cell != now.cell) ++changes;
          if (changes < h.at_least) return false;
          break;
        }
      }
    }
    return true;
  }

  // What remember did to the history.
  enum class remembered { nothing, appended, other };

  // Adds the event to the history when a configured condition needs it. `appended`: the record
  // was added and `dropped` records taken off the front (a delta says that); `other`: the
  // history changed some other way (the whole state must be stored).
  remembered remember(subscriber_state& s, const event& e, std::uint32_t& dropped) {
    const auto& need = rules().history;
    dropped = 0;
    if (!need.locations && !((need.types >> static_cast<unsigned>(e.type)) & 1u)) {
      if (!need.any() && subscribers.has_history(s)) {  // no condition reads history now
        subscribers.history_of(s).clear();
        return remembered::other;
      }
      return remembered::nothing;
    }
    auto& h = subscribers.history_of(s);
    h.push_back(record_of(e));
    // Keep what a condition can still read: a record of a counted type inside its type's window;
    // with location conditions, every record inside the location window plus the newest one
    // older than it (dwell needs the event "at least D before"); never more than max_entries.
    const std::int64_t location_horizon = e.ts_us - need.location_window_us;
    std::size_t newest_old = h.size();  // the newest record at or before the location horizon
    if (need.locations)
      for (std::size_t i = h.size(); i-- > 0;)
        if (h[i].ts_us <= location_horizon) {
          newest_old = i;
          break;
        }
    std::size_t kept = 0;
    bool suffix = true;  // every record dropped is older than every record kept
    for (std::size_t i = 0; i < h.size(); ++i) {
      const auto& r = h[i];
      const bool counted = ((need.types >> r.type) & 1u) != 0 && r.ts_us > e.ts_us - need.type_window_us[r.type];
      const bool located = need.locations && (r.ts_us > location_horizon || i == newest_old);
      if (counted || located)
        h[kept++] = r;
      else if (kept > 0)
        suffix = false;
    }
    dropped = static_cast<std::uint32_t>(h.size() - kept);
    h.resize(kept);
    if (h.size() > need.max_entries) {
      dropped += static_cast<std::uint32_t>(h.size() - need.max_entries);
      h.erase(h.begin(), h.end() - static_cast<std::ptrdiff_t>(need.max_entries));
    }
    return suffix ? remembered::appended : remembered::other;
  }

  // --- checks --------------------------------------------------------------------------------
  std::uint64_t share(std::uint64_t budget) const {
    const std::uint64_t n = options.shards;
    return budget / n + (options.shard < budget % n ? 1 : 0);
  }

  bool allowed_at(const campaign_def& def, std::int64_t ts, reason& why) const {
    const auto& clock = rules().clock;
    const unsigned wd = clock.weekday(ts);
    const std::uint32_t minute = clock.minute_of_day(ts);
    bool inside = ((def.timing.days >> wd) & 1u) != 0;
    if (inside && !def.timing.hours.empty()) {
      inside = false;
      for (const auto& r : def.timing.hours) inside = inside || r.contains(minute);
    }
    if (!inside) {
      why = reason::timing;
      return false;
    }
    for (const auto& q : config().quiet_hours) {
      if (q.contains(minute)) {
        why = reason::quiet_hours;
        return false;
      }
    }
    return true;
  }

  // The first instant at or after `from` inside the campaign's timing and outside quiet hours,
  // looked for minute by minute over eight days (every weekday and hour range recurs in that).
  std::optional<std::int64_t> release_time(const campaign_def& def, std::int64_t from) const {
    reason why = reason::none;
    if (allowed_at(def, from, why)) return from;
    constexpr std::int64_t minute_us = 60 * us_per_second;
    std::int64_t t = (from / minute_us + 1) * minute_us;
    for (int i = 0; i < 8 * 24 * 60; ++i, t += minute_us)
      if (allowed_at(def, t, why)) return t;
    return std::nullopt;
  }

  bool on_dnd(std::string_view msisdn, std::string_view imsi) const {
    const auto& dnd = inputs.tables.dnd;
    if (dnd && ((!msisdn.empty() && dnd->contains(msisdn)) || (!imsi.empty() && dnd->contains(imsi)))) return true;
    return !msisdn.empty() && opted_out.contains(std::string(msisdn));
  }

  // Checks 3-7 (also run again when a deferral is released).
  reason recheck(const compiled_campaign& c, const subscriber_state& s, std::string_view msisdn, std::string_view imsi,
                 std::int64_t now) const {
    const auto& def = *c.def;
    if (on_dnd(msisdn, imsi)) return reason::dnd;
    const auto* contact = subscribers.find_contact(s, def.id);
    if (def.strategy.immune_after > 0 && contact != nullptr && contact->unanswered >= def.strategy.immune_after)
      return reason::immune;
    if (def.strategy.cap.count > 0 && contact != nullptr &&
        in_window(contact->cap_ts, now, def.strategy.cap.per) >= def.strategy.cap.count)
      return reason::cap;
    if (config().global_cap.count > 0 &&
        in_window(subscribers.global_ts(s), now, config().global_cap.per) >= config().global_cap.count)
      return reason::global_cap;
    if (def.strategy.budget_daily || def.strategy.budget_total) {
      const auto it = budgets.find(def.id);
      const std::uint64_t total = it == budgets.end() ? 0 : it->second.total;
      std::uint64_t today = 0;
      if (it != budgets.end()) {
        const auto d = it->second.by_day.find(rules().clock.day(now));
        today = d == it->second.by_day.end() ? 0 : d->second;
      }
      if (def.strategy.budget_total && total >= share(*def.strategy.budget_total)) return reason::budget;
      if (def.strategy.budget_daily && today >= share(*def.strategy.budget_daily)) return reason::budget;
    }
    return reason::none;
  }

  check_result check(const compiled_campaign& c, const subscriber_state& s, const event_view& v, std::string_view imsi,
                     std::int64_t now) const {
    const auto& def = *c.def;
    check_result r;
    const bool addressed = def.channel.type == channel_type::sms || def.channel.type == channel_type::worklist;
    if (addressed && v.msisdn.empty()) return {reason::no_msisdn};
    if (!c.test_numbers.empty() && !std::binary_search(c.test_numbers.begin(), c.test_numbers.end(), v.msisdn) &&
        !std::binary_search(c.test_numbers.begin(), c.test_numbers.end(), imsi))
      return {reason::test_numbers};
    if (const auto why = recheck(c, s, v.msisdn, imsi, now); why != reason::none) return {why};
    reason timing_why = reason::none;
    if (!allowed_at(def, now, timing_why)) {
      if (!def.timing.defer) return {timing_why};
      r.defer = true;
    }
    if (def.timing.delay > 0) r.defer = true;
    if (def.strategy.control_per_10000 > 0 &&
        fnv1a64_more(fnv1a64_more(fnv1a64(def.id), ":"), imsi) % 10000 < def.strategy.control_per_10000)
      return {reason::control_group, false, true};
    return r;
  }

  // --- outcomes ------------------------------------------------------------------------------
  void emit(const compiled_campaign& c, const event& e, std::string_view event_id, std::string_view identity,
            std::string_view msisdn, std::int64_t ts, int line, outcome o, reason why, bool control, std::string text) {
    decision d;
    d.ts_us = ts;
    d.campaign = c.def->id;
    d.event_id = std::string(event_id);
    d.type = e.type;
    d.imsi = std::string(identity);
    d.msisdn = std::string(msisdn);
    d.action = c.def->channel.type;
    d.result = o;
    d.why = why;
    d.text = std::move(text);
    append_json_line(d, lines);
    const decision_ref row{d.campaign,
                           d.event_id,
                           line,
                           ts,
                           d.imsi,
                           d.msisdn,
                           to_string(e.type),
                           to_string(d.action),
                           to_string(o),
                           to_string(why),
                           d.text,
                           control,
                           !(o == outcome::sent && d.action != channel_type::record)};
    append_decision(decision_batch, row);
    ++batch_decisions;
    if (!row.handed) {
      unhanded_row u{d.campaign, d.event_id, ts, {}};
      append_decision(u.data, row);
      unhanded.push_back(std::move(u));
    }
    roll_day(ts);
    if (o == outcome::sent && d.action == channel_type::record && options.on_record) options.on_record(d.campaign, e);
    if (o == outcome::sent && d.action != channel_type::record) bump(fig_sent);
    if (o == outcome::suppressed) bump(fig_suppressed);
    auto& by_campaign = tally(d.campaign);
    switch (o) {
      case outcome::sent:
        bump(d.action == channel_type::record ? counts.recorded : counts.sent);
        bump(d.action == channel_type::record ? by_campaign.recorded : by_campaign.sent);
        break;
      case outcome::deferred:
        bump(counts.deferred);
        bump(by_campaign.deferred);
        break;
      case outcome::rehearsed:
        bump(counts.rehearsed);
        bump(by_campaign.rehearsed);
        break;
      case outcome::suppressed:
        bump(counts.suppressed[static_cast<std::size_t>(why)]);
        bump(by_campaign.suppressed[static_cast<std::size_t>(why)]);
        break;
    }
  }

  void spend_budget(const campaign_def& def, std::int64_t ts) {
    if (!def.strategy.budget_daily && !def.strategy.budget_total) return;
    auto& b = budgets[def.id];
    const local_days day = rules().clock.day(ts);
    ++b.total;
    ++b.by_day[day];
    b.dirty.push_back(day);
  }

  // Carries out a candidate now: sent (or rehearsed), with its effects on caps, budgets and
  // contacts, and the message for its channel.
  void carry_out(const compiled_campaign& c, subscriber_state& s, const event& e, const event_view& v,
                 std::string_view event_id, std::int64_t ts) {
    const auto& def = *c.def;
    const bool rehearsal = def.rehearsal;
    contacted = true;
    std::string text;
    if (def.channel.type == channel_type::sms) render_text(c, v, text);
    if (def.channel.type != channel_type::record) {  // record: counted only, no contact state
      auto& contact = subscribers.contact(s, def.id);
      contact.cap_ts.push_back(ts);
      if (def.strategy.cap.count > 0)
        trim_window(contact.cap_ts, ts, def.strategy.cap.per);
      else
        contact.cap_ts.clear();
      ++contact.unanswered;
      contact.last_contact_us = ts;
      spend_budget(def, ts);
    }
    const bool addressed = def.channel.type == channel_type::sms || def.channel.type == channel_type::worklist;
    if (addressed && !rehearsal) {
      auto& g = subscribers.reach(s).global_ts;
      g.push_back(ts);
      if (config().global_cap.count > 0)
        trim_window(g, ts, config().global_cap.per);
      else
        g.clear();
    }
    const outcome o = rehearsal ? outcome::rehearsed : outcome::sent;
    if (o == outcome::sent && def.channel.type != channel_type::record) {
      outgoing m;
      m.id = fmt::format("{}:{}", def.id, event_id);
      m.campaign = def.id;
      m.action = def.channel.type;
      m.ts_us = ts;
      m.local_day = format_date(rules().clock.day(ts));
      m.imsi = identity;
      m.msisdn = std::string(v.msisdn);
      m.sender = def.channel.sender;
      m.text = text;
      std::string piece;
      if (field_text(field::lac, 0, v, piece)) m.lac = piece;
      if (field_text(field::cell, 0, v, piece)) m.cell = piece;
      if (field_text(field::area, 0, v, piece)) m.area = piece;
      m.offer = c.offer_summary;
      messages.push_back(std::move(m));
    }
    emit(c, e, event_id, identity, v.msisdn, ts, 1, o, reason::none, false, std::move(text));
  }

  void control(const compiled_campaign& c, subscriber_state& s, const event& e, const event_view& v,
               std::string_view event_id, std::int64_t ts) {
    contacted = true;
    auto& contact = subscribers.contact(s, c.def->id);
    contact.cap_ts.push_back(ts);  // the control group sees the same frequency
    if (c.def->strategy.cap.count > 0)
      trim_window(contact.cap_ts, ts, c.def->strategy.cap.per);
    else
      contact.cap_ts.clear();
    emit(c, e, event_id, identity, v.msisdn, ts, 1, outcome::suppressed, reason::control_group, true, {});
  }

  const compiled_campaign* campaign_by_id(std::string_view id) const {
    for (const auto& c : rules().campaigns)
      if (c.def->id == id) return &c;
    return nullptr;
  }

  subscriber_state& subscriber(std::uint64_t key) { return subscribers[key]; }
  // The subscriber's durable state changed: its encoding joins the batch now, while the state is
  // in cache (encoded at commit, thousands of events later, every state was a cache miss again).
  // A subscriber changed twice in a batch has two entries; the later one holds on restore.
  void changed(std::uint64_t key, subscriber_state& s) {
    state_buf.clear();
    encode_state(subscribers, key, s, state_buf);
    append_state_entry(state_batch, key, state_buf);
    ++state_entries;
    s.set_stored();
  }
  // Only the watermark and the history changed: a delta (the record added, when `added`).
  void changed_by_event(std::uint64_t key, subscriber_state& s, const history_record* added, std::uint32_t dropped) {
    state_buf.clear();
    encode_delta(subscribers, key, s, added, dropped, state_buf);
    append_state_entry(state_batch, key, state_buf);
    ++state_entries;
    s.set_stored();
  }

  // Releases every deferral due at or before `now`, each at its own release instant.
  void release_due(std::int64_t now) {
    while (!pending.empty() && pending.begin()->first <= now) {
      pending_deferral p = std::move(pending.begin()->second);
      pending.erase(pending.begin());
      pending_released.emplace_back(p.campaign, p.event_id);
      bump(counts.released);
      const auto* c = campaign_by_id(p.campaign);
      const std::uint64_t key = key_of(p.e);
      auto& s = subscriber(key);
      identity = identity_of(p.e);
      const event_view v = view_of(p.e);
      if (c == nullptr || !c->def->enabled) {  // removed or disabled by a reload while waiting
        changed(key, s);
        continue;
      }
      const reason why = recheck(*c, s, v.msisdn, identity, p.release_us);
      if (why != reason::none)
        emit(*c, p.e, p.event_id, identity, v.msisdn, p.release_us, 1, outcome::suppressed, why, false, {});
      else
        carry_out(*c, s, p.e, v, p.event_id, p.release_us);
      changed(key, s);
    }
  }

  void defer(const compiled_campaign& c, const event& e, const event_view& v, const std::string& event_id) {
    const auto release = release_time(*c.def, e.ts_us + c.def->timing.delay);
    if (!release) {  // the timing never opens outside quiet hours: nothing to wait for
      emit(c, e, event_id, identity, v.msisdn, e.ts_us, 1, outcome::suppressed, reason::timing, false, {});
      return;
    }
    emit(c, e, event_id, identity, v.msisdn, e.ts_us, 0, outcome::deferred, reason::none, false, {});
    pending_deferral p{c.def->id, event_id, e.ts_us, *release, e};
    pending_row row{p.campaign, p.event_id, p.deferred_at_us, p.release_us, {}};
    bssap::append_json_line(e, row.event_json);
    pending_added.push_back(std::move(row));
    pending.emplace(*release, std::move(p));
  }

  // A response to a contacted campaign: an sms_mo to the sender, or a reply through the SMSC.
  void respond(subscriber_state& s, std::string_view msisdn, std::string_view to, std::string_view text,
               std::int64_t ts) {
    std::string upper = ascii_upper(text);
    std::erase_if(upper, [](char ch) { return ch == ' ' || ch == '\r' || ch == '\n' || ch == '\t'; });
    bool opt_out = false;
    for (const auto& k : config().opt_out_keywords) opt_out = opt_out || (!upper.empty() && upper == ascii_upper(k));
    std::vector<contact_state> none;
    contact_part* reached = subscribers.reach_of(s);
    for (auto& contact : reached != nullptr ? reached->contacts : none) {
      const auto* c = campaign_by_id(contact.campaign);
      if (c == nullptr || c->def->channel.sender != to ||
          contact.last_contact_us == std::numeric_limits<std::int64_t>::min())
        continue;
      if (ts - contact.last_contact_us > c->def->strategy.response_window || ts < contact.last_contact_us) continue;
      bool ordered = false;
      for (const auto& k : c->def->evaluation.order_keywords)
        ordered = ordered || (!k.empty() && upper.find(ascii_upper(k)) != std::string::npos);
      contact.unanswered = 0;
      contacted = true;
      responses.push_back({contact.campaign, identity, std::string(msisdn), ts, std::string(text), ordered, opt_out});
      bump(counts.responses);
      roll_day(ts);
      bump(fig_responses);
      if (ordered) {
        bump(counts.orders);
        bump(fig_orders);
      }
    }
    if (opt_out && !msisdn.empty() && opted_out.insert(std::string(msisdn)).second) {
      new_opt_outs.emplace_back(std::string(msisdn), ts);
      bump(counts.opt_outs);
      bump(fig_opt_outs);
    }
  }

  void take_posted() {
    if (!posted.load(std::memory_order_acquire)) return;
    std::optional<engine_inputs> next;
    std::vector<reply> replies;
    {
      std::lock_guard lock(posted_mutex);
      next.swap(posted_inputs);
      replies.swap(posted_replies);
      posted.store(false, std::memory_order_release);
    }
    if (next) inputs = std::move(*next);
    for (const auto& r : replies) {
      const auto& profiles = inputs.tables.profiles;
      const auto row = profiles ? profiles->find_msisdn(r.msisdn) : std::nullopt;
      if (!row) continue;
      event probe_key;
      const std::string imsi = profiles->imsi(*row);
      probe_key.imsi.assign(imsi);
      probe_key.set(f_imsi);
      const std::uint64_t key = key_of(probe_key);
      auto* s = subscribers.find(key);
      if (s == nullptr) continue;
      identity = imsi;
      respond(*s, r.msisdn, r.to, r.text, clock_us);
      changed(key, *s);
    }
  }

  // --- the day's figures: daily report and capacity alarm (campaigns.md "Evaluation") -------
  void roll_day(std::int64_t ts) {
    const local_days d = rules().clock.day(ts);
    if (d <= fig_day.load(std::memory_order_relaxed)) return;
    for (auto* c : {&fig_sent, &fig_suppressed, &fig_responses, &fig_orders, &fig_opt_outs})
      c->store(0, std::memory_order_relaxed);
    fig_day.store(d, std::memory_order_relaxed);
  }

  day_figures figures(local_days d) const {
    if (fig_day.load(std::memory_order_relaxed) != d) return {};
    return {fig_sent.load(std::memory_order_relaxed), fig_suppressed.load(std::memory_order_relaxed),
            fig_responses.load(std::memory_order_relaxed), fig_orders.load(std::memory_order_relaxed),
            fig_opt_outs.load(std::memory_order_relaxed)};
  }

  day_figures all_figures(local_days d) const { return options.all_shards ? options.all_shards(d) : figures(d); }

  // An operator message (report, alarm): through the sms channel, its id unique per day and
  // recipient so that the outbox sends it once, whichever shard or restart hands it over.
  void notify(const std::string& kind, local_days d, const std::vector<std::string>& to, const std::string& text,
              std::int64_t ts) {
    for (const auto& number : to) {
      outgoing m;
      m.id = fmt::format("{}:{}:{}", kind, format_date(d), number);
      m.campaign = kind;
      m.action = channel_type::sms;
      m.ts_us = ts;
      m.local_day = format_date(d);
      m.msisdn = number;
      m.sender = config().report_sender;
      m.text = text;
      messages.push_back(std::move(m));
    }
  }

  // Shard 0 sends the daily report when the clock passes reports.daily_at; any shard may find
  // the day's messages past capacity.daily_messages (the outbox keeps the alarm to one a day).
  void check_reports(std::int64_t now) {
    const auto& cfg = config();
    const auto& clock = rules().clock;
    const local_days today = clock.day(now);
    if (options.shard == 0 && cfg.reports_daily_at_min && !cfg.reports_to.empty() && reported_day < today &&
        clock.minute_of_day(now) >= *cfg.reports_daily_at_min) {
      reported_day = today;
      const auto f = all_figures(today);
      notify("report", today, cfg.reports_to,
             fmt::format("bssap-probe {}: {} messages sent, {} suppressed, {} responses, {} orders, {} opt-outs",
                         format_date(today), f.sent, f.suppressed, f.responses, f.orders, f.opt_outs),
             now);
      bump(counts.reports);
    }
    if (cfg.capacity_daily_messages > 0 && !cfg.capacity_alarm_to.empty() && alarmed_day < today) {
      const auto f = all_figures(today);
      if (f.sent > cfg.capacity_daily_messages) {
        alarmed_day = today;
        notify("capacity", today, cfg.capacity_alarm_to,
               fmt::format("bssap-probe {}: {} messages sent today, past the daily capacity of {}", format_date(today),
                           f.sent, cfg.capacity_daily_messages),
               now);
        bump(counts.alarms);
      }
    }
  }

  // --- arrival: a few events of lookahead ---------------------------------------------------
  // An event is decided `lookahead` events after it arrives: on arrival its subscriber's slot
  // and profile index slot start loading, half-way its state and profile row (the slot is in
  // cache by then), so that deciding it finds them in cache instead of missing five times in a
  // row. Events are decided in arrival order all the same, and flush() decides those waiting
  // before it commits; posted work (reload, replies) is taken between two events as before:
  // every event that arrived before it is decided first.
  static constexpr std::size_t lookahead = 8;
  std::array<event, lookahead> waiting;
  std::size_t waiting_first = 0, waiting_count = 0;

  void arrive(const event& e) {
    if (posted.load(std::memory_order_acquire)) {
      drain();
      take_posted();
    }
    if (waiting_count == lookahead) decide_first();
    const std::size_t at = (waiting_first + waiting_count++) % lookahead;
    waiting[at] = e;
    prefetch(waiting[at], 0);
    if (waiting_count > lookahead / 2) prefetch(waiting[(at + lookahead - lookahead / 2) % lookahead], 1);
  }

  void drain() {
    while (waiting_count > 0) decide_first();
  }

  void decide_first() {
    const event& e = waiting[waiting_first];  // not overwritten before the next arrival
    waiting_first = (waiting_first + 1) % lookahead;
    --waiting_count;
    try {
      process(e);
    } catch (const std::exception& ex) {
      fail(fmt::format("event at {}: {}", e.ts_us, ex.what()));
    }
  }

  void prefetch(const event& e, int stage) const {
    const std::uint64_t key = key_of(e);
    if (key == 0) return;
    const auto& profiles = inputs.tables.profiles;
    if (profiles && e.has(f_imsi)) profiles->prefetch_imsi(e.imsi.view(), stage, rules().profile_columns);
    if (stage == 0) {
      subscribers.prefetch(key);
    } else if (const auto* s = subscribers.find(key); s != nullptr) {
      subscribers.prefetch_extra(*s);
    }
  }

  void process(const event& e) {
    bump(counts.events);
    const std::uint64_t key = key_of(e);
    if (key == 0) {
      bump(counts.no_subscriber);
      return;
    }
    if (e.ts_us > clock_us) clock_us = e.ts_us;
    release_due(clock_us);
    roll_day(clock_us);
    const std::uint64_t hash = event_hash_of(e);
    const auto id = static_cast<std::uint32_t>(hash);
    subscriber_state& s = subscriber(key);
    if (subscribers.seen(key, s, e.ts_us, id)) {
      bump(counts.duplicates);
      return;
    }
    identity = identity_of(e);
    contacted = false;
    const std::size_t decisions_before = batch_decisions, responses_before = responses.size();
    event_view v = view_of(e, false);
    ++event_number;  // a new event: no verdict of a condition yet
    bool have_msisdn = false;
    const history_record now = record_of(e);
    const auto& clock = rules().clock;
    const local_days today = clock.day(e.ts_us);

    // Candidates and checks 1-9, all against the state before this event.
    struct candidate {
      const compiled_campaign* c;
      check_result r;
    };
    thread_local std::vector<candidate> found;
    found.clear();
    for (const auto index : rules().by_type[static_cast<std::size_t>(e.type)]) {
      const auto& c = rules().campaigns[index];
      const auto& def = *c.def;
      if ((def.period_start && today < *def.period_start) || (def.period_end && today > *def.period_end)) continue;
      bool ok = true;
      for (const auto& w : c.where) ok = ok && holds(w, v);
      for (const auto& t : c.target) ok = ok && holds(t, v);
      if (!ok || !history_holds(c, s, now)) continue;
      if (!have_msisdn) {
        fill_msisdn(v);
        have_msisdn = true;
      }
      bump(counts.candidates);
      candidate k{&c, {}};
      if (def.channel.type != channel_type::record) k.r = check(c, s, v, identity, e.ts_us);
      found.push_back(k);
    }
    const std::string event_id = found.empty() ? std::string() : fmt::format("{:016x}", hash);
    // Check 10: of those that passed 1-9, the highest priority (ties: the lower id) is carried out.
    const compiled_campaign* winner = nullptr;
    for (const auto& k : found) {
      if (k.c->def->channel.type == channel_type::record || k.r.why != reason::none) continue;
      const auto& d = *k.c->def;
      if (winner == nullptr || d.priority > winner->def->priority ||
          (d.priority == winner->def->priority && d.id < winner->def->id))
        winner = k.c;
    }
    for (const auto& k : found) {
      const auto& c = *k.c;
      if (c.def->channel.type == channel_type::record) {
        carry_out(c, s, e, v, event_id, e.ts_us);
      } else if (k.r.why == reason::control_group) {
        control(c, s, e, v, event_id, e.ts_us);
      } else if (k.r.why != reason::none) {
        emit(c, e, event_id, identity, v.msisdn, e.ts_us, 1, outcome::suppressed, k.r.why, false, {});
      } else if (&c != winner) {
        emit(c, e, event_id, identity, v.msisdn, e.ts_us, 1, outcome::suppressed, reason::priority, false, {});
      } else if (k.r.defer) {
        defer(c, e, v, event_id);
      } else {
        carry_out(c, s, e, v, event_id, e.ts_us);
      }
    }
    if (e.type == event_type::sms_mo && e.has(f_peer)) {
      if (!have_msisdn) fill_msisdn(v);
      respond(s, v.msisdn, e.peer.view(), {}, e.ts_us);
    }
    std::uint32_t dropped = 0;
    const remembered history = remember(s, e, dropped);
    subscribers.mark(key, s, e.ts_us, id);
    // Stored only when something durable changed: an event that left no decision and no history
    // is decided the same way again after a restart (nothing), so its watermark can stay in memory.
    if (history != remembered::nothing || batch_decisions != decisions_before || responses.size() != responses_before ||
        rules().history.last_seen) {
      if (contacted || history == remembered::other || whole_states)
        changed(key, s);
      else
        changed_by_event(key, s, history == remembered::appended ? &now : nullptr, dropped);
    }
    check_reports(clock_us);
    if (++batch_events >= options.batch_events) commit_batch();
  }

  // --- durability ----------------------------------------------------------------------------
  void commit_batch() {
    batch_events = 0;
    counts.subscribers.store(subscribers.size(), std::memory_order_relaxed);
    counts.subscribers_with_history.store(subscribers.extra_count(), std::memory_order_relaxed);
    counts.state_bytes.store(subscribers.memory_bytes(), std::memory_order_relaxed);
    const bool work = batch_decisions > 0 || state_entries > 0 || !pending_added.empty() || !pending_released.empty() ||
                      !responses.empty() || !new_opt_outs.empty() || !to_mark_handed.empty();
    if (!work || !opened) return;
    std::string err;
    bool ok = store.begin(err);
    for (const auto& [campaign, event_id] : to_mark_handed) ok = ok && store.mark_handed(campaign, event_id, err);
    ok = ok && store.put_decisions(decision_batch, unhanded, err);
    // Added first: a deferral added and released within one batch must not stay stored.
    for (const auto& p : pending_added) ok = ok && store.put_pending(p, err);
    for (const auto& [campaign, event_id] : pending_released) ok = ok && store.delete_pending(campaign, event_id, err);
    bool folded = false;
    std::uint64_t fold_bytes = 0;
    ok = ok && store_states(folded, fold_bytes, err);
    for (auto& [id, b] : budgets) {
      for (const auto day : b.dirty) ok = ok && store.put_budget(id, day, b.by_day[day], err);
      b.dirty.clear();
    }
    for (const auto& r : responses) ok = ok && store.put_response(r, err);
    for (const auto& [msisdn, ts] : new_opt_outs) ok = ok && store.put_opt_out(msisdn, ts, err);
    ok = ok && store.commit(err);
    if (!ok) {
      // The batch's decisions are not durable: send none of them (a rerun decides them again).
      store.rollback();
      fail(err);
      messages.clear();
      whole_states = whole_states || state_entries > 0;
    } else {
      bump(counts.commits);
      to_mark_handed.clear();
      if (folded) {
        last_fold_bytes = fold_bytes;
        whole_states = false;
      }
    }
    decision_batch.clear();
    batch_decisions = 0;
    unhanded.clear();
    state_batch.clear();  // (not stored when an earlier write failed)
    state_entries = 0;
    pending_added.clear();
    pending_released.clear();
    responses.clear();
    new_opt_outs.clear();
    if (log != nullptr && !lines.empty()) log->write(options.shard, lines);
    lines.clear();
    hand_over();
  }

  // The batch's changed subscribers go to the state log, one row; once the log outgrows both
  // fold_bytes and twice the last snapshot, every stored state is written into a new snapshot
  // instead and the log emptied.
  bool store_states(bool& folded, std::uint64_t& fold_bytes, std::string& err) {
    if (state_entries == 0) return true;
    // The snapshot is every state, so a fold waits until the log holds twice what the last one
    // wrote: the states rewritten stay at most half the bytes logged, however many subscribers
    // there are (with a fixed 64 MiB, a shard of millions of subscribers rewrote most of them
    // every 64 MiB). The log on disk stays within fold_bytes + twice the snapshot.
    const std::uint64_t fold_at = std::max(options.fold_bytes, 2 * last_fold_bytes);
    if (store.state_log_bytes() + state_batch.size() <= fold_at) return store.put_states(state_batch, err);
    // Slot by slot (a sequential scan), each state's extra part and vectors prefetched a few
    // slots ahead; chunks of about 1 MiB.
    fold_bytes = 0;
    const std::size_t slots = subscribers.slot_count();
    std::size_t at = 0;
    auto stored_at = [&](std::size_t i) -> const subscriber_state* {
      if (i >= slots || subscribers.key_at(i) == 0) return nullptr;
      const auto& st = subscribers.value_at(i);
      return st.stored() ? &st : nullptr;
    };
    folded = store.fold(
        [&](std::string& chunk) {
          chunk.clear();
          while (at < slots && chunk.size() < (1u << 20)) {
            if (const auto* st = stored_at(at + 8)) subscribers.prefetch_extra(*st);
            if (const auto* st = stored_at(at + 4)) {
              if (const auto* r = subscribers.reach_of(*st)) __builtin_prefetch(r);
              if (subscribers.history(*st).size() > 3) __builtin_prefetch(subscribers.history(*st).data());
            }
            if (const auto* st = stored_at(at + 2)) {
              if (const auto* r = subscribers.reach_of(*st)) {
                __builtin_prefetch(r->contacts.data());
                __builtin_prefetch(r->global_ts.data());
              }
            }
            const std::uint64_t key = subscribers.key_at(at);
            const auto& st = subscribers.value_at(at);
            ++at;
            if (key == 0 || !st.stored()) continue;
            state_buf.clear();
            encode_state(subscribers, key, st, state_buf);
            append_state_entry(chunk, key, state_buf);
          }
          fold_bytes += chunk.size();
          return !chunk.empty();
        },
        err);
    return folded;
  }

  void hand_over() {
    if (messages.empty()) return;
    std::string err;
    if (out != nullptr && out->deliver(messages, err)) {
      bump(counts.handed_over, messages.size());
      for (const auto& m : messages)
        if (m.campaign != "report" && m.campaign != "capacity")  // operator messages are no decisions
          to_mark_handed.emplace_back(m.campaign, m.id.substr(m.campaign.size() + 1));
    } else {
      bump(counts.hand_over_failures, messages.size());
      fail(out == nullptr ? "no channel for sent messages" : err);
    }
    messages.clear();
  }

  std::string open() {
    if (config().state_dir.empty()) return "state_dir: not set (the engine's contact history lives there)";
    std::error_code ec;
    std::filesystem::create_directories(config().state_dir, ec);
    if (ec) return fmt::format("{}: cannot create: {}", config().state_dir, ec.message());
    const auto path = (std::filesystem::path(config().state_dir) / fmt::format("engine-{}.db", options.shard)).string();
    std::string err;
    if (!store.open(path, options.shard, options.shards, err)) return err;
    // The shard's part of the profile table (IMSIs spread evenly over shards), and a margin for
    // roamers and subscribers missing from it: sized once, so that the table never holds its old
    // and new slots at once while it grows.
    if (const auto& profiles = inputs.tables.profiles) {
      const std::size_t part = profiles->size() / std::max<std::size_t>(options.shards, 1);
      subscribers.reserve(part + part / 8);
    }
    bool decoded = true;
    if (!store.each_subscriber(
            [&](std::uint64_t key, std::string_view blob, bool from_log) {
              if (!blob.empty() && static_cast<std::uint8_t>(blob[0]) == delta_version) {
                if (!from_log || !apply_delta(blob, subscribers, key, subscribers[key]))
                  decoded = false;                                                   // onto the one before
              } else if (!decode_state(blob, subscribers, key, subscribers[key])) {  // a later entry replaces
                decoded = false;
                return;
              }
              subscribers[key].set_stored();
            },
            err))
      return err;
    if (!decoded) return fmt::format("{}: a subscriber state does not decode (written by another version?)", path);
    if (!store.each_budget(
            [&](std::string_view id, local_days day, std::uint64_t n) {
              auto& b = budgets[std::string(id)];
              b.by_day[day] = n;
              b.total += n;
            },
            err))
      return err;
    if (!store.each_opt_out([&](std::string_view m) { opted_out.insert(std::string(m)); }, err)) return err;
    std::string bad_event;
    if (!store.each_pending(
            [&](pending_row&& p) {
              std::string why;
              const auto e = parse_json_line(p.event_json, &why);
              if (!e) {
                bad_event = why;
                return;
              }
              pending.emplace(p.release_us, pending_deferral{p.campaign, p.event_id, p.ts_us, p.release_us, *e});
            },
            err))
      return err;
    if (!bad_event.empty()) return fmt::format("{}: a waiting deferral does not decode: {}", path, bad_event);
    subscribers.each([&](std::uint64_t, const subscriber_state& st) { clock_us = std::max(clock_us, st.last_ts); });
    // Decisions committed before a crash whose messages the channel may not have taken.
    if (!store.each_unhanded(
            [&](decision_row&& d) {
              const auto* c = campaign_by_id(d.campaign);
              outgoing m;
              m.id = fmt::format("{}:{}", d.campaign, d.event_id);
              m.campaign = d.campaign;
              m.action = d.action == "worklist" ? channel_type::worklist : channel_type::sms;
              m.ts_us = d.ts_us;
              m.local_day = format_date(rules().clock.day(d.ts_us));
              m.imsi = d.imsi;
              m.msisdn = d.msisdn;
              m.sender = c != nullptr ? c->def->channel.sender : std::string();
              m.text = d.text;
              if (c != nullptr) m.offer = c->offer_summary;
              messages.push_back(std::move(m));
            },
            err))
      return err;
    opened = true;
    hand_over();
    return {};
  }
};

engine::engine(engine_options options, engine_inputs inputs, channel* out, decision_sink* log)
    : _impl(std::make_unique<impl>()) {
  _impl->options = options;
  if (_impl->options.shards == 0) _impl->options.shards = 1;
  _impl->inputs = std::move(inputs);
  _impl->out = out;
  _impl->log = log;
}

engine::~engine() {
  close();
}

std::string engine::open() {
  return _impl->open();
}

void engine::on_event(const event& e) noexcept {
  try {
    _impl->arrive(e);
  } catch (const std::exception& ex) {
    _impl->fail(fmt::format("event at {}: {}", e.ts_us, ex.what()));
  }
}

void engine::flush() noexcept {
  try {
    _impl->drain();
    _impl->take_posted();
    _impl->commit_batch();
  } catch (const std::exception& ex) {
    _impl->fail(ex.what());
  }
}

void engine::reload(engine_inputs inputs) {
  std::lock_guard lock(_impl->posted_mutex);
  _impl->posted_inputs = std::move(inputs);
  _impl->posted.store(true, std::memory_order_release);
}

void engine::post_reply(reply r) {
  std::lock_guard lock(_impl->posted_mutex);
  _impl->posted_replies.push_back(std::move(r));
  _impl->posted.store(true, std::memory_order_release);
}

void engine::close() noexcept {
  if (_impl == nullptr || _impl->closed) return;
  flush();
  if (!_impl->to_mark_handed.empty()) flush();  // the hand-over marks of the last batch
  _impl->closed = true;
  _impl->store.close();
}

engine_counters engine::counters() const noexcept {
  const auto& c = _impl->counts;
  engine_counters r;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  r.events = get(c.events);
  r.duplicates = get(c.duplicates);
  r.no_subscriber = get(c.no_subscriber);
  r.candidates = get(c.candidates);
  r.sent = get(c.sent);
  r.deferred = get(c.deferred);
  r.released = get(c.released);
  r.rehearsed = get(c.rehearsed);
  r.recorded = get(c.recorded);
  for (std::size_t i = 0; i < reason_count; ++i) r.suppressed[i] = get(c.suppressed[i]);
  r.responses = get(c.responses);
  r.orders = get(c.orders);
  r.opt_outs = get(c.opt_outs);
  r.handed_over = get(c.handed_over);
  r.hand_over_failures = get(c.hand_over_failures);
  r.commits = get(c.commits);
  r.reports = get(c.reports);
  r.alarms = get(c.alarms);
  r.store_errors = get(c.store_errors);
  r.subscribers = get(c.subscribers);
  r.subscribers_with_history = get(c.subscribers_with_history);
  r.state_bytes = get(c.state_bytes);
  return r;
}

std::vector<campaign_decisions> engine::decisions_by_campaign() const {
  std::vector<campaign_decisions> out;
  std::lock_guard lock(_impl->tallies_mutex);
  out.reserve(_impl->tallies.size());
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  for (const auto& [id, t] : _impl->tallies) {
    campaign_decisions c;
    c.campaign = id;
    c.sent = get(t->sent);
    c.recorded = get(t->recorded);
    c.deferred = get(t->deferred);
    c.rehearsed = get(t->rehearsed);
    for (std::size_t i = 0; i < reason_count; ++i) c.suppressed[i] = get(t->suppressed[i]);
    out.push_back(std::move(c));
  }
  return out;
}

day_figures engine::figures(local_days day) const noexcept {
  return _impl->figures(day);
}

std::string engine::last_error() const {
  std::lock_guard lock(_impl->error_mutex);
  return _impl->error;
}

}  // namespace bssap::campaign
