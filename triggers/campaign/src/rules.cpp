// Compiling campaigns against the tables, and evaluating conditions and texts on an event.
// campaigns.md: "Operators in a condition", "Event fields", "Text placeholders", and the rule
// that a condition on a missing value never holds.
#include "rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <tuple>

#include "bssap/campaign/engine.hpp"

namespace bssap::campaign {
namespace {

// A decimal number: optional sign, digits, optional fraction. Nothing else (no exponent, no
// spaces), so that "1e3" and "0x10" stay text.
std::optional<double> as_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::size_t i = s[0] == '-' || s[0] == '+' ? 1 : 0;
  bool digits = false, dot = false;
  for (std::size_t k = i; k < s.size(); ++k) {
    if (s[k] >= '0' && s[k] <= '9') {
      digits = true;
    } else if (s[k] == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  // from_chars rounds as strtod does, without a NUL-terminated copy (it takes no '+').
  if (s[0] == '+') s.remove_prefix(1);
  double v = 0;
  if (std::from_chars(s.data(), s.data() + s.size(), v).ec == std::errc()) return v;
  return std::strtod(std::string(s).c_str(), nullptr);  // out of range: strtod's HUGE_VAL or 0
}

struct field_name {
  std::string_view name;
  field what;
};
// Plain event fields (events.md "Format of the event log") plus `area` and `home`.
constexpr std::array<field_name, 18> plain_fields{{
    {"ts", field::ts},
    {"type", field::type},
    {"imsi", field::imsi},
    {"tmsi", field::tmsi},
    {"imei", field::imei},
    {"mcc", field::mcc},
    {"mnc", field::mnc},
    {"lac", field::lac},
    {"cell", field::cell},
    {"peer", field::peer},
    {"cause", field::cause},
    {"duration_ms", field::duration_ms},
    {"prev_imei", field::prev_imei},
    {"prev_lac", field::prev_lac},
    {"prev_cell", field::prev_cell},
    {"link", field::link},
    {"area", field::area},
    {"home", field::home},
}};

std::string at(const source_pos& p) {
  return fmt::format("{}:{}", p.file, p.line);
}

// Resolves an event-field key ("peer", "handset.mms", "profile.brand") to an accessor.
bool resolve_field(std::string_view key, const operator_tables& t, field& what, std::size_t& column, std::string& why) {
  for (const auto& f : plain_fields) {
    if (f.name == key) {
      what = f.what;
      return true;
    }
  }
  auto with_column = [&](std::string_view prefix, field kind, auto table, std::string_view table_name) {
    const std::string_view col = key.substr(prefix.size());
    if (table == nullptr) {
      why = fmt::format("no {} table configured", table_name);
      return false;
    }
    const auto c = table->column(col);
    if (!c) {
      why = fmt::format("unknown {} column \"{}\"", table_name, col);
      return false;
    }
    what = kind;
    column = *c;
    return true;
  };
  if (key.starts_with("handset.")) return with_column("handset.", field::handset, t.tac.get(), "tac");
  if (key.starts_with("prev_handset.")) return with_column("prev_handset.", field::prev_handset, t.tac.get(), "tac");
  if (key.starts_with("profile.")) return with_column("profile.", field::profile, t.profiles.get(), "subscribers");
  why = fmt::format("unknown event field \"{}\"", key);
  return false;
}

bool compile_condition(const condition& c, bool is_target, const operator_tables& t, compiled_condition& out,
                       std::string& error, std::string_view section) {
  out.op = c.op;
  out.texts = c.values;
  for (const auto& v : c.values) out.numbers.push_back(as_number(v));
  std::string why;
  if (is_target) {
    if (t.profiles == nullptr) {
      error = fmt::format("{}: {}: no subscribers table configured", at(c.pos), section);
      return false;
    }
    const auto col = t.profiles->column(c.key);
    if (!col) {
      error = fmt::format("{}: {}: unknown subscribers column \"{}\"", at(c.pos), section, c.key);
      return false;
    }
    out.what = field::profile;
    out.column = *col;
    return true;
  }
  if (!resolve_field(c.key, t, out.what, out.column, why)) {
    error = fmt::format("{}: {}: {}", at(c.pos), section, why);
    return false;
  }
  if (out.what == field::area) {
    for (const auto& v : c.values) {
      const auto id = t.areas ? t.areas->find(v) : std::nullopt;
      if (!id && c.op != cmp_op::prefix && c.op != cmp_op::not_prefix) {
        error = fmt::format("{}: {}: unknown area \"{}\"", at(c.pos), section, v);
        return false;
      }
      if (id) out.area_ids.push_back(*id);
    }
  }
  return true;
}

// Splits a channel text into pieces; `{{` / `}}` are literal braces (config.cpp checked syntax).
bool compile_text(const campaign_def& def, const operator_tables& t, std::vector<text_piece>& out, std::string& error) {
  const std::string& s = def.channel.text;
  std::string literal;
  auto push_literal = [&] {
    if (!literal.empty()) out.push_back({field::literal, 0, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{' && i + 1 < s.size() && s[i + 1] == '{') {
      literal.push_back('{');
      ++i;
      continue;
    }
    if (s[i] == '}' && i + 1 < s.size() && s[i + 1] == '}') {
      literal.push_back('}');
      ++i;
      continue;
    }
    if (s[i] != '{') {
      literal.push_back(s[i]);
      continue;
    }
    const auto end = s.find('}', i);
    if (end == std::string::npos) {
      error = fmt::format("{}: channel.text: unclosed placeholder", at(def.pos));
      return false;
    }
    const std::string_view name(s.data() + i + 1, end - i - 1);
    i = end;
    push_literal();
    text_piece p;
    if (name == "msisdn") {
      p.what = field::msisdn;
    } else if (name == "imsi" || name == "lac" || name == "cell" || name == "area" || name == "peer") {
      std::string why;
      resolve_field(name, t, p.what, p.column, why);
    } else if (name.starts_with("offer.")) {
      const auto key = name.substr(6);
      const auto it = std::find_if(def.offer.begin(), def.offer.end(), [&](const auto& kv) { return kv.first == key; });
      if (it == def.offer.end()) {
        error = fmt::format("{}: channel.text: unknown placeholder {{{}}}", at(def.pos), name);
        return false;
      }
      p.what = field::offer;
      p.literal = it->second;
    } else if (name.starts_with("profile.")) {
      std::string why;
      if (!resolve_field(name, t, p.what, p.column, why)) {
        error = fmt::format("{}: channel.text: {{{}}}: {}", at(def.pos), name, why);
        return false;
      }
    } else {
      error = fmt::format("{}: channel.text: unknown placeholder {{{}}}", at(def.pos), name);
      return false;
    }
    out.push_back(std::move(p));
  }
  push_literal();
  return true;
}

bool text_matches(cmp_op op, std::string_view value, std::optional<double> number, const compiled_condition& c) {
  auto equal_at = [&](std::size_t i) {
    if (number && c.numbers[i]) return *number == *c.numbers[i];
    return value == c.texts[i];
  };
  auto order_at = [&](std::size_t i) -> int {  // value <=> texts[i]
    if (number && c.numbers[i]) return *number < *c.numbers[i] ? -1 : (*number > *c.numbers[i] ? 1 : 0);
    const int r = value.compare(c.texts[i]);
    return r < 0 ? -1 : (r > 0 ? 1 : 0);
  };
  const std::size_t n = c.texts.size();
  auto any = [&](auto pred) {
    for (std::size_t i = 0; i < n; ++i)
      if (pred(i)) return true;
    return false;
  };
  switch (op) {
    case cmp_op::eq:
    case cmp_op::in:
      return any(equal_at);
    case cmp_op::ne:
    case cmp_op::not_in:
      return !any(equal_at);
    case cmp_op::lt:
      return any([&](std::size_t i) { return order_at(i) < 0; });
    case cmp_op::le:
      return any([&](std::size_t i) { return order_at(i) <= 0; });
    case cmp_op::gt:
      return any([&](std::size_t i) { return order_at(i) > 0; });
    case cmp_op::ge:
      return any([&](std::size_t i) { return order_at(i) >= 0; });
    case cmp_op::prefix:
      return any([&](std::size_t i) { return value.starts_with(c.texts[i]); });
    case cmp_op::not_prefix:
      return !any([&](std::size_t i) { return value.starts_with(c.texts[i]); });
  }
  return false;
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  out.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
}

}  // namespace

bool field_text(field f, std::size_t column, const event_view& v, std::string& out) {
  const event& e = *v.e;
  out.clear();
  switch (f) {
    case field::ts:
      append_rfc3339_us(e.ts_us, out);
      return true;
    case field::type:
      out = to_string(e.type);
      return true;
    case field::imsi:
      if (!e.has(f_imsi)) return false;
      out = e.imsi.view();
      return true;
    case field::tmsi:
      if (!e.has(f_tmsi)) return false;
      fmt::format_to(std::back_inserter(out), "{:08x}", e.tmsi);
      return true;
    case field::imei:
      if (!e.has(f_imei)) return false;
      out = e.imei.view();
      return true;
    case field::mcc:
      if (!e.has(f_lai)) return false;
      out = e.mcc.view();
      return true;
    case field::mnc:
      if (!e.has(f_lai)) return false;
      out = e.mnc.view();
      return true;
    case field::lac:  // with its PLMN (f_lai) or alone (f_lac: a Cell Identifier without PLMN)
      if (!e.has(f_lai) && !e.has(f_lac)) return false;
      append_int(out, e.lac);
      return true;
    case field::cell:
      if (!e.has(f_cell)) return false;
      append_int(out, e.cell);
      return true;
    case field::peer:
      if (!e.has(f_peer)) return false;
      out = e.peer.view();
      return true;
    case field::cause:
      if (!e.has(f_cause)) return false;
      append_int(out, e.cause);
      return true;
    case field::duration_ms:
      if (!e.has(f_duration)) return false;
      append_int(out, e.duration_ms);
      return true;
    case field::prev_imei:
      if (!e.has(f_prev_imei)) return false;
      out = e.prev_imei.view();
      return true;
    case field::prev_lac:
      if (!e.has(f_prev_lac)) return false;
      append_int(out, e.prev_lac);
      return true;
    case field::prev_cell:
      if (!e.has(f_prev_cell)) return false;
      append_int(out, e.prev_cell);
      return true;
    case field::link:
      if (!e.has(f_link)) return false;
      out = e.link.view();
      return true;
    case field::area: {  // placeholders: the names, comma separated
      if (v.areas.empty() || v.tables == nullptr || v.tables->areas == nullptr) return false;
      const auto& names = v.tables->areas->names();
      for (std::size_t i = 0; i < v.areas.size(); ++i) {
        if (i > 0) out.push_back(',');
        out += names[v.areas[i]];
      }
      return true;
    }
    case field::home:
      out = v.home ? "true" : "false";
      return true;
    case field::handset:
    case field::prev_handset: {
      const auto& row = f == field::handset ? v.handset : v.prev_handset;
      if (!row || v.tables == nullptr || v.tables->tac == nullptr) return false;
      out = v.tables->tac->value(*row, column);
      return !out.empty();
    }
    case field::profile:
      if (!v.profile || v.tables == nullptr || v.tables->profiles == nullptr) return false;
      out = v.tables->profiles->value(*v.profile, column);
      return !out.empty();
    case field::msisdn:
      out = v.msisdn;
      return !out.empty();
    case field::offer:
    case field::literal:
      return false;
  }
  return false;
}

bool compiled_condition::holds(const event_view& v) const {
  // The value as a number only where it can matter: an operator that compares, and a value
  // written as a number (prefixes and texts compare as text whatever the value looks like).
  const bool numeric = op != cmp_op::prefix && op != cmp_op::not_prefix &&
                       std::any_of(numbers.begin(), numbers.end(), [](const auto& n) { return n.has_value(); });
  if (what == field::area) {
    if (v.areas.empty()) return false;  // no location: the value is missing
    if (op == cmp_op::prefix || op == cmp_op::not_prefix) {
      bool one = false;
      for (const auto a : v.areas) {
        const auto& name = v.tables->areas->names()[a];
        for (const auto& t : texts) one = one || std::string_view(name).starts_with(t);
      }
      return op == cmp_op::prefix ? one : !one;
    }
    bool one = false;
    for (const auto a : v.areas) one = one || std::find(area_ids.begin(), area_ids.end(), a) != area_ids.end();
    switch (op) {
      case cmp_op::ne:
      case cmp_op::not_in:
        return !one;
      default:
        return one;  // eq, in (and order operators: one of the names matches)
    }
  }
  thread_local std::string value;
  if (!field_text(what, column, v, value)) return false;
  return text_matches(op, value, numeric ? as_number(value) : std::nullopt, *this);
}

void render_text(const compiled_campaign& c, const event_view& v, std::string& out) {
  out.clear();
  thread_local std::string piece;
  for (const auto& p : c.text) {
    if (p.what == field::literal || p.what == field::offer) {
      out += p.literal;
    } else if (field_text(p.what, p.column, v, piece)) {
      out += piece;
    }
  }
}

std::shared_ptr<const rule_set> compile_rules(std::shared_ptr<const probe_config> cfg, const operator_tables& t,
                                              std::string& error) {
  auto rules = std::make_shared<rule_set>();
  rules->config = cfg;
  const auto clock = local_clock::from_name(cfg->timezone, error);
  if (!clock) {
    error = fmt::format("{}: timezone: {}", at(cfg->pos_timezone), error);
    return nullptr;
  }
  rules->clock = *clock;
  for (const auto& plmn : cfg->home_plmns.value_or(std::vector<std::string>{})) {
    std::string digits;
    for (const char ch : plmn)
      if (ch >= '0' && ch <= '9') digits.push_back(ch);
    rules->home_prefixes.push_back(digits);
  }
  const std::filesystem::path state_dir(cfg->state_dir);
  for (const auto& def : cfg->campaigns) {
    compiled_campaign c;
    c.def = &def;
    for (const auto& cond : def.target) {
      compiled_condition cc;
      if (!compile_condition(cond, true, t, cc, error, "target")) return nullptr;
      c.target.push_back(std::move(cc));
    }
    for (const auto& cond : def.where) {
      compiled_condition cc;
      if (!compile_condition(cond, false, t, cc, error, "trigger.where")) return nullptr;
      c.where.push_back(std::move(cc));
    }
    for (const auto& h : def.history) {
      compiled_history ch{h, std::nullopt};
      auto& need = rules->history;
      switch (h.what) {
        case history_condition::kind::count: {
          need.types |= 1u << static_cast<unsigned>(h.type);
          auto& window = need.type_window_us[static_cast<std::size_t>(h.type)];
          window = std::max(window, h.window);
          need.max_entries = std::max<std::size_t>(need.max_entries, h.at_least + 1);
          break;
        }
        case history_condition::kind::silent_for:
          need.last_seen = true;  // the previous event's time, kept for every subscriber
          break;
        case history_condition::kind::dwell:
          need.locations = true;
          need.location_window_us = std::max(need.location_window_us, h.window);
          ch.area = t.areas ? t.areas->find(h.area) : std::nullopt;
          if (!ch.area) {
            error = fmt::format("{}: trigger.history: unknown area \"{}\"", at(h.pos), h.area);
            return nullptr;
          }
          break;
        case history_condition::kind::cell_changes:
          need.locations = true;
          need.location_window_us = std::max(need.location_window_us, h.window);
          break;
      }
      c.history.push_back(std::move(ch));
    }
    if (!compile_text(def, t, c.text, error)) return nullptr;
    if (!def.evaluation.compare_by.empty()) {
      const auto col = t.profiles ? t.profiles->column(def.evaluation.compare_by) : std::nullopt;
      if (!col) {
        error = fmt::format("{}: evaluation.compare_by: unknown subscribers column \"{}\"", at(def.pos),
                            def.evaluation.compare_by);
        return nullptr;
      }
      c.compare_column = col;
    }
    c.test_numbers = def.channel.test_numbers;
    std::sort(c.test_numbers.begin(), c.test_numbers.end());
    c.worklist_dir = def.channel.dir.empty() ? (state_dir / "worklists").string() : def.channel.dir;
    for (const auto& [k, v] : def.offer) {
      if (k == "keyword") continue;
      if (!c.offer_summary.empty()) c.offer_summary.push_back(' ');
      c.offer_summary += v;
    }
    rules->any_sms = rules->any_sms || (def.enabled && !def.rehearsal && def.channel.type == channel_type::sms);
    rules->campaigns.push_back(std::move(c));
  }
  // Condition ids: equal field, column, operator and values, equal id (the values' numbers and
  // area ids follow from their texts).
  {
    // (a map, not a scan of those seen: thousands of campaigns compile in one pass)
    using shape = std::tuple<field, std::size_t, cmp_op, std::vector<std::string>>;
    std::map<shape, std::uint32_t> ids;
    for (auto& c : rules->campaigns)
      for (auto* list : {&c.target, &c.where})
        for (auto& cond : *list)
          cond.id = ids.try_emplace(shape(cond.what, cond.column, cond.op, cond.texts),
                                    static_cast<std::uint32_t>(ids.size()))
                        .first->second;
    rules->distinct_conditions = static_cast<std::uint32_t>(ids.size());
    using history_shape = std::tuple<history_condition::kind, event_type, std::uint32_t, duration_us, int>;
    std::map<history_shape, std::uint32_t> history_ids;
    for (auto& c : rules->campaigns)
      for (auto& h : c.history)
        h.id = history_ids
                   .try_emplace(history_shape(h.def.what, h.def.type, h.def.at_least, h.def.window,
                                              h.area ? static_cast<int>(*h.area) : -1),
                                static_cast<std::uint32_t>(history_ids.size()))
                   .first->second;
    rules->distinct_history = static_cast<std::uint32_t>(history_ids.size());
  }
  for (std::size_t i = 0; i < rules->campaigns.size(); ++i) {
    const auto& c = rules->campaigns[i];
    const auto& def = *c.def;
    for (std::size_t t = 0; t < event_type_count; ++t)
      if (def.enabled && def.triggered_by(static_cast<event_type>(t)))
        rules->by_type[t].push_back(static_cast<std::uint32_t>(i));
    if (!def.enabled) continue;
    auto read = [&](field f, std::size_t column) {
      auto& cols = rules->profile_columns;
      if (f == field::profile && std::find(cols.begin(), cols.end(), column) == cols.end()) cols.push_back(column);
    };
    for (const auto& cond : c.target) read(cond.what, cond.column);
    for (const auto& cond : c.where) read(cond.what, cond.column);
    for (const auto& p : c.text) read(p.what, p.column);
  }
  return rules;
}

}  // namespace bssap::campaign
