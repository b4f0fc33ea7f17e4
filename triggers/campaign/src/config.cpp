// probe.yaml and campaign files -> probe_config / campaign_def (campaigns.md, "Files").
// Every mistake is a `config_error` thrown at the node where it was written and turned into one
// line `FILE:LINE: key: what is wrong` by the entry points; key paths are dotted, with [i] for
// list items (`trigger.where[0].op`). See ../README.md.
#include "bssap/campaign/config.hpp"

#include <glob.h>

#include <yaml-cpp/yaml.h>
#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>

#include "bssap/campaign/local_time.hpp"

namespace bssap::campaign {
namespace {

namespace fs = std::filesystem;

struct config_error {
  int line;
  std::string key;
  std::string what;
};

int line_of(const YAML::Node& n) {
  const int l = n.Mark().line;
  return l < 0 ? 1 : l + 1;
}

[[noreturn]] void fail(const YAML::Node& n, const std::string& key, std::string what) {
  throw config_error{line_of(n), key, std::move(what)};
}

std::string join_key(const std::string& prefix, const std::string& k) {
  return prefix.empty() ? k : prefix + "." + k;
}
std::string item_key(const std::string& prefix, std::size_t i) {
  return prefix + "[" + std::to_string(i) + "]";
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 80)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += '?';
    } else {
      out += c;
    }
  }
  if (s.size() > 80) out += "...";
  return out + "\"";
}

// A mapping whose keys are checked against the allowed set when it is opened.
class map_reader {
 public:
  map_reader(const YAML::Node& n, std::string prefix, std::initializer_list<std::string_view> allowed)
      : _node(n), _prefix(std::move(prefix)) {
    if (!n.IsMap()) fail(n, _prefix.empty() ? "document" : _prefix, "expected a mapping");
    std::set<std::string> seen;
    for (const auto& kv : n) {
      const YAML::Node& k = kv.first;
      if (!k.IsScalar()) fail(k, _prefix.empty() ? "document" : _prefix, "a key must be a plain word");
      const std::string& name = k.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
        fail(k, join_key(_prefix, name), "unknown key");
      if (!seen.insert(name).second) fail(k, join_key(_prefix, name), "key written twice");
      _keys.emplace_back(name, kv.second);
    }
  }
  // The value of `name`, or an undefined node when absent.
  YAML::Node get(std::string_view name) const {
    for (const auto& [k, v] : _keys)
      if (k == name) return v;
    return YAML::Node(YAML::NodeType::Undefined);
  }
  bool has(std::string_view name) const {
    for (const auto& kv : _keys)
      if (kv.first == name) return true;
    return false;
  }
  YAML::Node require(std::string_view name) const {
    if (!has(name)) fail(_node, join_key(_prefix, std::string(name)), "missing (required)");
    return get(name);
  }
  std::string key(std::string_view name) const { return join_key(_prefix, std::string(name)); }
  const YAML::Node& node() const { return _node; }
  const std::vector<std::pair<std::string, YAML::Node>>& items() const { return _keys; }

 private:
  YAML::Node _node;
  std::string _prefix;
  std::vector<std::pair<std::string, YAML::Node>> _keys;
};

std::string scalar(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) fail(n, key, "expected a single value");
  return n.Scalar();
}

std::string text_value(const YAML::Node& n, const std::string& key) {
  std::string s = scalar(n, key);
  if (s.empty()) fail(n, key, "empty");
  return s;
}

std::uint64_t uint_value(const YAML::Node& n, const std::string& key, std::uint64_t max) {
  const std::string s = scalar(n, key);
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    fail(n, key, "expected a whole number, not " + quote(s));
  if (v > max) fail(n, key, quote(s) + " is too large (at most " + std::to_string(max) + ")");
  return v;
}

std::int32_t int_value(const YAML::Node& n, const std::string& key) {
  const std::string s = scalar(n, key);
  std::int32_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    fail(n, key, "expected a whole number, not " + quote(s));
  return v;
}

bool bool_value(const YAML::Node& n, const std::string& key) {
  const std::string s = scalar(n, key);
  if (s == "true") return true;
  if (s == "false") return false;
  fail(n, key, "expected true or false, not " + quote(s));
}

duration_us duration_value(const YAML::Node& n, const std::string& key, bool zero_ok) {
  const std::string s = scalar(n, key);
  const auto d = parse_duration(s);
  if (!d) fail(n, key, "bad duration " + quote(s) + " (a number and s, m, h or d: 30s, 45m, 72h, 7d)");
  if (*d == 0 && !zero_ok) fail(n, key, "must be more than 0");
  return *d;
}

// "10%", "2.5%" -> hundredths of a percent (1000, 250).
std::uint32_t percent_value(const YAML::Node& n, const std::string& key) {
  const std::string s = scalar(n, key);
  const auto bad = [&]() -> std::uint32_t {
    fail(n, key, "bad percentage " + quote(s) + " (0% to 100%, at most two decimals: 10%, 2.5%)");
  };
  if (s.size() < 2 || s.back() != '%') return bad();
  std::size_t i = 0;
  std::uint32_t whole = 0;
  std::size_t digits = 0;
  while (i < s.size() - 1 && s[i] >= '0' && s[i] <= '9') {
    if (++digits > 3) return bad();
    whole = whole * 10 + static_cast<std::uint32_t>(s[i++] - '0');
  }
  if (digits == 0) return bad();
  std::uint32_t frac = 0;
  if (s[i] == '.') {
    ++i;
    std::size_t fd = 0;
    while (i < s.size() - 1 && s[i] >= '0' && s[i] <= '9') {
      if (++fd > 2) return bad();
      frac = frac * 10 + static_cast<std::uint32_t>(s[i++] - '0');
    }
    if (fd == 0) return bad();
    if (fd == 1) frac *= 10;
  }
  if (i != s.size() - 1) return bad();
  const std::uint32_t v = whole * 100 + frac;
  if (v > 10000) return bad();
  return v;
}

day_range range_value(const YAML::Node& n, const std::string& key) {
  const std::string s = scalar(n, key);
  const auto r = parse_day_range(s);
  if (!r) fail(n, key, "bad time range " + quote(s) + " (HH:MM-HH:MM, e.g. 09:00-21:00)");
  return *r;
}

std::optional<std::uint16_t> parse_hhmm(std::string_view s, bool allow_24) noexcept {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (std::size_t i : {0u, 1u, 3u, 4u})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24))) return std::nullopt;
  return static_cast<std::uint16_t>(h * 60 + m);
}

std::uint16_t time_value(const YAML::Node& n, const std::string& key) {
  const std::string s = scalar(n, key);
  const auto t = parse_hhmm(s, false);
  if (!t) fail(n, key, "bad time " + quote(s) + " (HH:MM)");
  return *t;
}

local_days date_value(const YAML::Node& n, const std::string& key) {
  const std::string s = scalar(n, key);
  const auto d = parse_date(s);
  if (!d) fail(n, key, "bad date " + quote(s) + " (YYYY-MM-DD)");
  return *d;
}

// A list; a null value (`key:` with nothing after it) is an empty list.
std::vector<YAML::Node> list_value(const YAML::Node& n, const std::string& key) {
  std::vector<YAML::Node> out;
  if (n.IsNull()) return out;
  if (!n.IsSequence()) fail(n, key, "expected a list");
  for (const auto& item : n) out.push_back(item);
  return out;
}

std::vector<std::string> text_list(const YAML::Node& n, const std::string& key) {
  std::vector<std::string> out;
  const auto items = list_value(n, key);
  for (std::size_t i = 0; i < items.size(); ++i) out.push_back(text_value(items[i], item_key(key, i)));
  return out;
}

std::string resolve_path(const std::string& dir, const std::string& p) {
  fs::path path(p);
  if (path.is_relative()) path = fs::path(dir) / path;
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  if (ec) abs = path;
  return abs.lexically_normal().string();
}

std::string path_value(const YAML::Node& n, const std::string& key, const std::string& dir) {
  const std::string s = text_value(n, key);
  if (s.find('\0') != std::string::npos) fail(n, key, "a path cannot hold a NUL character");
  return resolve_path(dir, s);
}

const std::vector<std::string_view>& event_fields() {
  static const std::vector<std::string_view> fields{
      "ts",   "type",  "imsi",        "tmsi",      "imei",     "mcc",       "mnc",  "lac",  "cell",
      "peer", "cause", "duration_ms", "prev_imei", "prev_lac", "prev_cell", "link", "area", "home"};
  return fields;
}

bool has_prefix(std::string_view s, std::string_view p) {
  return s.size() > p.size() && s.substr(0, p.size()) == p;
}

const std::vector<std::string_view> op_names = {"eq", "ne", "in", "not_in", "lt",
                                                "le", "gt", "ge", "prefix", "not_prefix"};

condition parse_condition(const YAML::Node& n, const std::string& key, const std::string& file, bool is_where) {
  const std::string subject = is_where ? "field" : "column";
  if (!n.IsMap()) fail(n, key, "expected a mapping {" + subject + ": ..., OPERATOR: VALUE}");
  condition c;
  c.pos = {file, line_of(n)};
  bool have_subject = false, have_op = false;
  std::string op_seen;
  std::set<std::string> seen;
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) fail(kv.first, key, "a key must be a plain word");
    const std::string k = kv.first.Scalar();
    const std::string kk = join_key(key, k);
    if (!seen.insert(k).second) fail(kv.first, kk, "key written twice");
    if (k == subject) {
      c.key = text_value(kv.second, kk);
      have_subject = true;
      if (is_where) {
        const auto& f = event_fields();
        const bool known = std::find(f.begin(), f.end(), c.key) != f.end() || has_prefix(c.key, "handset.") ||
                           has_prefix(c.key, "prev_handset.") || has_prefix(c.key, "profile.");
        if (!known) fail(kv.second, kk, "unknown event field " + quote(c.key));
      }
      continue;
    }
    const auto it = std::find(op_names.begin(), op_names.end(), k);
    if (it == op_names.end()) {
      if (k == (is_where ? "column" : "field"))
        fail(kv.first, kk,
             "unknown key (a " + std::string(is_where ? "where" : "target") + " condition names a " + subject + ")");
      fail(kv.first, kk, "unknown operator (eq, ne, in, not_in, lt, le, gt, ge, prefix, not_prefix)");
    }
    if (have_op) fail(kv.first, kk, "a second operator (" + op_seen + " already given): one per condition");
    have_op = true;
    op_seen = k;
    c.op = static_cast<cmp_op>(it - op_names.begin());
    if (c.op == cmp_op::in || c.op == cmp_op::not_in) {
      const auto items = list_value(kv.second, kk);
      if (items.empty()) fail(kv.second, kk, "empty list");
      for (std::size_t i = 0; i < items.size(); ++i) c.values.push_back(scalar(items[i], item_key(kk, i)));
    } else {
      c.values.push_back(scalar(kv.second, kk));
    }
  }
  if (!have_subject) fail(n, join_key(key, subject), "missing (required)");
  if (!have_op) fail(n, key, "no operator (one of eq, ne, in, not_in, lt, le, gt, ge, prefix, not_prefix)");
  return c;
}

history_condition parse_history(const YAML::Node& n, const std::string& key, const std::string& file) {
  history_condition h;
  if (!n.IsMap())
    fail(n, key, "expected a mapping ({count: ...}, {silent_for: ...}, {dwell: ...}, {cell_changes: ...})");
  h.pos = {file, line_of(n)};
  if (n["count"]) {
    map_reader m(n, key, {"count", "at_least", "within"});
    h.what = history_condition::kind::count;
    const std::string t = text_value(m.get("count"), m.key("count"));
    const auto type = event_type_from_string(t);
    if (!type) fail(m.get("count"), m.key("count"), "unknown event type " + quote(t));
    h.type = *type;
    h.at_least = static_cast<std::uint32_t>(uint_value(m.require("at_least"), m.key("at_least"), 1'000'000));
    if (h.at_least == 0) fail(m.get("at_least"), m.key("at_least"), "must be more than 0");
    h.window = duration_value(m.require("within"), m.key("within"), false);
  } else if (n["silent_for"]) {
    map_reader m(n, key, {"silent_for"});
    h.what = history_condition::kind::silent_for;
    h.window = duration_value(m.get("silent_for"), m.key("silent_for"), false);
  } else if (n["dwell"]) {
    map_reader m(n, key, {"dwell", "at_least"});
    h.what = history_condition::kind::dwell;
    h.area = text_value(m.get("dwell"), m.key("dwell"));
    h.window = duration_value(m.require("at_least"), m.key("at_least"), false);
  } else if (n["cell_changes"]) {
    map_reader m(n, key, {"cell_changes", "within"});
    h.what = history_condition::kind::cell_changes;
    h.at_least = static_cast<std::uint32_t>(uint_value(m.get("cell_changes"), m.key("cell_changes"), 1'000'000));
    if (h.at_least == 0) fail(m.get("cell_changes"), m.key("cell_changes"), "must be more than 0");
    h.window = duration_value(m.require("within"), m.key("within"), false);
  } else {
    fail(n, key, "not a history condition (count, silent_for, dwell or cell_changes)");
  }
  return h;
}

cap_def parse_cap(const YAML::Node& n, const std::string& key) {
  map_reader m(n, key, {"count", "per"});
  cap_def c;
  c.count = static_cast<std::uint32_t>(uint_value(m.require("count"), m.key("count"), 1'000'000'000));
  c.per = duration_value(m.require("per"), m.key("per"), false);
  return c;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

campaign_def campaign_from(const YAML::Node& root, const std::string& file) {
  const std::string dir = fs::path(file).parent_path().string();
  map_reader top(root, "",
                 {"id", "name", "enabled", "mode", "priority", "period", "target", "trigger", "timing", "offer",
                  "channel", "strategy", "evaluation"});
  campaign_def c;
  c.pos = {file, 1};
  {
    const YAML::Node n = top.require("id");
    c.id = scalar(n, "id");
    if (!valid_id(c.id)) fail(n, "id", "bad campaign id " + quote(c.id) + " (lowercase letters, digits and -)");
  }
  if (top.has("name")) c.name = scalar(top.get("name"), "name");
  if (top.has("enabled")) c.enabled = bool_value(top.get("enabled"), "enabled");
  if (top.has("mode")) {
    const std::string m = scalar(top.get("mode"), "mode");
    if (m == "rehearsal") {
      c.rehearsal = true;
    } else if (m != "live") {
      fail(top.get("mode"), "mode", "expected live or rehearsal, not " + quote(m));
    }
  }
  if (top.has("priority")) c.priority = int_value(top.get("priority"), "priority");
  if (top.has("period")) {
    map_reader p(top.get("period"), "period", {"start", "end"});
    if (p.has("start")) c.period_start = date_value(p.get("start"), "period.start");
    if (p.has("end")) c.period_end = date_value(p.get("end"), "period.end");
    if (c.period_start && c.period_end && *c.period_end < *c.period_start)
      fail(p.get("end"), "period.end",
           format_date(*c.period_end) + " is before period.start " + format_date(*c.period_start));
  }
  if (top.has("target")) {
    const auto items = list_value(top.get("target"), "target");
    for (std::size_t i = 0; i < items.size(); ++i)
      c.target.push_back(parse_condition(items[i], item_key("target", i), file, false));
  }
  {
    map_reader t(top.require("trigger"), "trigger", {"event", "where", "history"});
    const YAML::Node ev = t.require("event");
    const auto add = [&](const YAML::Node& n, const std::string& key) {
      const std::string name = text_value(n, key);
      const auto type = event_type_from_string(name);
      if (!type) fail(n, key, "unknown event type " + quote(name));
      c.trigger_types |= 1u << static_cast<unsigned>(*type);
    };
    if (ev.IsSequence()) {
      std::size_t i = 0;
      for (const auto& item : ev) add(item, item_key("trigger.event", i++));
      if (i == 0) fail(ev, "trigger.event", "empty list");
    } else {
      add(ev, "trigger.event");
    }
    if (t.has("where")) {
      const auto items = list_value(t.get("where"), "trigger.where");
      for (std::size_t i = 0; i < items.size(); ++i)
        c.where.push_back(parse_condition(items[i], item_key("trigger.where", i), file, true));
    }
    if (t.has("history")) {
      const auto items = list_value(t.get("history"), "trigger.history");
      for (std::size_t i = 0; i < items.size(); ++i)
        c.history.push_back(parse_history(items[i], item_key("trigger.history", i), file));
    }
  }
  if (top.has("timing")) {
    map_reader t(top.get("timing"), "timing", {"days", "hours", "outside", "delay"});
    if (t.has("days")) {
      static constexpr std::string_view names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
      c.timing.days = 0;
      const auto items = list_value(t.get("days"), "timing.days");
      for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string d = scalar(items[i], item_key("timing.days", i));
        const auto it = std::find(std::begin(names), std::end(names), d);
        if (it == std::end(names))
          fail(items[i], item_key("timing.days", i), "unknown day " + quote(d) + " (mon, tue, ..., sun)");
        c.timing.days |= static_cast<std::uint8_t>(1u << (it - std::begin(names)));
      }
      if (c.timing.days == 0) fail(t.get("days"), "timing.days", "no day given");
    }
    if (t.has("hours")) {
      const auto items = list_value(t.get("hours"), "timing.hours");
      for (std::size_t i = 0; i < items.size(); ++i)
        c.timing.hours.push_back(range_value(items[i], item_key("timing.hours", i)));
    }
    if (t.has("outside")) {
      const std::string o = scalar(t.get("outside"), "timing.outside");
      if (o == "defer") {
        c.timing.defer = true;
      } else if (o != "drop") {
        fail(t.get("outside"), "timing.outside", "expected defer or drop, not " + quote(o));
      }
    }
    if (t.has("delay")) c.timing.delay = duration_value(t.get("delay"), "timing.delay", true);
  }
  if (top.has("offer")) {
    const YAML::Node o = top.get("offer");
    if (!o.IsNull()) {
      if (!o.IsMap()) fail(o, "offer", "expected a mapping");
      for (const auto& kv : o) {
        if (!kv.first.IsScalar() || kv.first.Scalar().empty()) fail(kv.first, "offer", "a key must be a plain word");
        const std::string k = kv.first.Scalar();
        for (const auto& [prev, v] : c.offer)
          if (prev == k) fail(kv.first, "offer." + k, "key written twice");
        c.offer.emplace_back(k, scalar(kv.second, "offer." + k));
      }
    }
  }
  {
    map_reader ch(top.require("channel"), "channel", {"type", "sender", "text", "test_numbers", "dir"});
    const std::string type = scalar(ch.require("type"), "channel.type");
    if (type == "sms") {
      c.channel.type = channel_type::sms;
    } else if (type == "worklist") {
      c.channel.type = channel_type::worklist;
    } else if (type == "record") {
      c.channel.type = channel_type::record;
    } else {
      fail(ch.get("type"), "channel.type", "expected sms, worklist or record, not " + quote(type));
    }
    if (c.channel.type == channel_type::sms) {
      c.channel.sender = text_value(ch.require("sender"), "channel.sender");
      ch.require("text");
    } else if (ch.has("sender")) {
      c.channel.sender = text_value(ch.get("sender"), "channel.sender");
    }
    if (ch.has("text")) {
      const YAML::Node t = ch.get("text");
      c.channel.text = c.channel.type == channel_type::sms ? text_value(t, "channel.text") : scalar(t, "channel.text");
      c.channel.text_pos = {file, line_of(t)};
      const std::string wrong = check_placeholders(c.channel.text, c.offer);
      if (!wrong.empty()) fail(t, "channel.text", wrong);
    }
    if (ch.has("test_numbers")) c.channel.test_numbers = text_list(ch.get("test_numbers"), "channel.test_numbers");
    if (ch.has("dir")) c.channel.dir = path_value(ch.get("dir"), "channel.dir", dir);
  }
  if (top.has("strategy")) {
    map_reader s(top.get("strategy"), "strategy",
                 {"cap", "budget", "control_group", "immune_after", "response_window"});
    if (s.has("cap")) c.strategy.cap = parse_cap(s.get("cap"), "strategy.cap");
    if (s.has("budget")) {
      map_reader b(s.get("budget"), "strategy.budget", {"daily", "total"});
      if (b.has("daily")) c.strategy.budget_daily = uint_value(b.get("daily"), "strategy.budget.daily", 1ull << 53);
      if (b.has("total")) c.strategy.budget_total = uint_value(b.get("total"), "strategy.budget.total", 1ull << 53);
    }
    if (s.has("control_group"))
      c.strategy.control_per_10000 = percent_value(s.get("control_group"), "strategy.control_group");
    if (s.has("immune_after"))
      c.strategy.immune_after =
          static_cast<std::uint32_t>(uint_value(s.get("immune_after"), "strategy.immune_after", 1'000'000));
    if (s.has("response_window"))
      c.strategy.response_window = duration_value(s.get("response_window"), "strategy.response_window", false);
  }
  if (top.has("evaluation")) {
    map_reader e(top.get("evaluation"), "evaluation", {"order_keywords", "verdict", "compare_by"});
    if (e.has("order_keywords"))
      c.evaluation.order_keywords = text_list(e.get("order_keywords"), "evaluation.order_keywords");
    if (e.has("verdict")) {
      map_reader v(e.get("verdict"), "evaluation.verdict", {"response_rate", "order_rate"});
      if (v.has("response_rate"))
        c.evaluation.verdict_response_rate =
            percent_value(v.get("response_rate"), "evaluation.verdict.response_rate") / 10000.0;
      if (v.has("order_rate"))
        c.evaluation.verdict_order_rate = percent_value(v.get("order_rate"), "evaluation.verdict.order_rate") / 10000.0;
    }
    if (e.has("compare_by")) {
      c.evaluation.compare_by = text_value(e.get("compare_by"), "evaluation.compare_by");
      c.evaluation.compare_by_pos = {file, line_of(e.get("compare_by"))};
    }
  }
  return c;
}

std::string format_error(const std::string& file, const config_error& e) {
  return file + ":" + std::to_string(e.line) + ": " + e.key + ": " + e.what;
}

// Parses YAML text; a syntax error becomes `FILE:LINE: yaml: ...`.
YAML::Node load_yaml(std::string_view text) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 1 : e.mark.line + 1;
    throw config_error{line, "yaml", e.msg.empty() ? "syntax error" : e.msg};
  }
}

bool read_file(const std::string& path, std::string& out, std::string& why) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    why = "is a folder, not a file";
    return false;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    why = std::strerror(errno);
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

std::optional<campaign_def> parse_campaign_at(std::string_view yaml, const std::string& name, std::string& error) {
  try {
    const YAML::Node root = load_yaml(yaml);
    if (!root.IsMap()) throw config_error{1, "document", "expected a mapping (a campaign's keys)"};
    return campaign_from(root, name);
  } catch (const config_error& e) {
    error = format_error(name, e);
  } catch (const YAML::Exception& e) {  // a conversion yaml-cpp refused: still the file's fault
    error = name + ":" + std::to_string(e.mark.line < 0 ? 1 : e.mark.line + 1) + ": yaml: " + e.msg;
  }
  return std::nullopt;
}

bool valid_plmn(std::string_view s) {
  if (s.size() != 6 && s.size() != 7) return false;
  if (s[3] != '-') return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (i != 3 && (s[i] < '0' || s[i] > '9')) return false;
  return true;
}

struct glob_item {
  std::string pattern;
  int line;
  std::string key;  // campaigns or campaigns[i]
};

void probe_from(const YAML::Node& root, const std::string& file, const std::string& dir, probe_config& cfg,
                std::vector<glob_item>& globs) {
  map_reader top(root, "",
                 {"home_plmns", "timezone", "state_dir", "subscribers", "dnd", "tac", "areas", "orders", "campaigns",
                  "contact_policy", "smpp", "capacity", "reports"});
  if (top.has("home_plmns")) {
    cfg.home_plmns = text_list(top.get("home_plmns"), "home_plmns");
    const auto items = list_value(top.get("home_plmns"), "home_plmns");
    for (std::size_t i = 0; i < items.size(); ++i)
      if (!valid_plmn((*cfg.home_plmns)[i]))
        fail(items[i], item_key("home_plmns", i),
             "bad PLMN " + quote((*cfg.home_plmns)[i]) + " (MCC-MNC: 3 digits, -, 2 or 3 digits)");
  }
  if (top.has("timezone")) {
    const YAML::Node n = top.get("timezone");
    cfg.timezone = text_value(n, "timezone");
    cfg.pos_timezone = {file, line_of(n)};
    std::string why;
    if (!local_clock::from_name(cfg.timezone, why)) fail(n, "timezone", why);
  }
  const auto path_key = [&](std::string_view k, std::string& out, source_pos* pos) {
    if (!top.has(k)) return;
    out = path_value(top.get(k), top.key(k), dir);
    if (pos) *pos = {file, line_of(top.get(k))};
  };
  path_key("state_dir", cfg.state_dir, nullptr);
  path_key("subscribers", cfg.subscribers, &cfg.pos_subscribers);
  path_key("dnd", cfg.dnd, nullptr);
  path_key("tac", cfg.tac, &cfg.pos_tac);
  path_key("areas", cfg.areas, &cfg.pos_areas);
  path_key("orders", cfg.orders, nullptr);
  if (top.has("campaigns")) {
    const YAML::Node n = top.get("campaigns");
    if (n.IsScalar()) {
      globs.push_back({text_value(n, "campaigns"), line_of(n), "campaigns"});
    } else {
      const auto items = list_value(n, "campaigns");
      for (std::size_t i = 0; i < items.size(); ++i)
        globs.push_back({text_value(items[i], item_key("campaigns", i)), line_of(items[i]), item_key("campaigns", i)});
    }
  }
  if (top.has("contact_policy")) {
    map_reader cp(top.get("contact_policy"), "contact_policy", {"global_cap", "quiet_hours", "opt_out_keywords"});
    if (cp.has("global_cap")) cfg.global_cap = parse_cap(cp.get("global_cap"), "contact_policy.global_cap");
    if (cp.has("quiet_hours")) {
      const auto items = list_value(cp.get("quiet_hours"), "contact_policy.quiet_hours");
      for (std::size_t i = 0; i < items.size(); ++i)
        cfg.quiet_hours.push_back(range_value(items[i], item_key("contact_policy.quiet_hours", i)));
    }
    if (cp.has("opt_out_keywords"))
      cfg.opt_out_keywords = text_list(cp.get("opt_out_keywords"), "contact_policy.opt_out_keywords");
  }
  if (top.has("smpp")) {
    map_reader s(top.get("smpp"), "smpp",
                 {"host", "port", "system_id", "password_env", "system_type", "window", "tps", "sessions"});
    auto& d = cfg.smpp;
    d.configured = true;
    if (s.has("host")) d.host = text_value(s.get("host"), "smpp.host");
    if (s.has("port")) {
      d.port = static_cast<std::uint16_t>(uint_value(s.get("port"), "smpp.port", 65535));
      if (d.port == 0) fail(s.get("port"), "smpp.port", "must be more than 0");
    }
    if (s.has("system_id")) d.system_id = text_value(s.get("system_id"), "smpp.system_id");
    if (s.has("password_env")) d.password_env = text_value(s.get("password_env"), "smpp.password_env");
    if (s.has("system_type")) d.system_type = scalar(s.get("system_type"), "smpp.system_type");
    if (s.has("window")) {
      d.window = static_cast<std::uint32_t>(uint_value(s.get("window"), "smpp.window", 100000));
      if (d.window == 0) fail(s.get("window"), "smpp.window", "must be more than 0");
    }
    if (s.has("tps")) {
      const std::string t = scalar(s.get("tps"), "smpp.tps");
      double v = 0;
      const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (t.empty() || ec != std::errc() || p != t.data() + t.size() || !(v >= 0) || v > 1e6)
        fail(s.get("tps"), "smpp.tps", "expected messages per second (0 = unlimited), not " + quote(t));
      d.tps = v;
    }
    if (s.has("sessions")) {
      d.sessions = static_cast<std::uint32_t>(uint_value(s.get("sessions"), "smpp.sessions", 1000));
      if (d.sessions == 0) fail(s.get("sessions"), "smpp.sessions", "must be more than 0");
    }
  }
  if (top.has("capacity")) {
    map_reader c(top.get("capacity"), "capacity", {"daily_messages", "alarm_to"});
    if (c.has("daily_messages"))
      cfg.capacity_daily_messages = uint_value(c.get("daily_messages"), "capacity.daily_messages", 1ull << 53);
    if (c.has("alarm_to")) cfg.capacity_alarm_to = text_list(c.get("alarm_to"), "capacity.alarm_to");
  }
  if (top.has("reports")) {
    map_reader r(top.get("reports"), "reports", {"daily_at", "to", "from"});
    if (r.has("daily_at")) cfg.reports_daily_at_min = time_value(r.get("daily_at"), "reports.daily_at");
    if (r.has("to")) cfg.reports_to = text_list(r.get("to"), "reports.to");
    if (r.has("from")) cfg.report_sender = text_value(r.get("from"), "reports.from");
  }
}

}  // namespace

std::optional<duration_us> parse_duration(std::string_view s) noexcept {
  if (s.size() < 2 || s.size() > 12) return std::nullopt;
  std::int64_t unit = 0;
  switch (s.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  std::int64_t v = 0;
  for (char c : s.substr(0, s.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
    if (v > 100LL * 366 * 86400) return std::nullopt;  // a hundred years is plenty
  }
  if (v * unit > 100LL * 366 * 86400) return std::nullopt;
  return v * unit * us_per_second;
}

std::optional<day_range> parse_day_range(std::string_view s) noexcept {
  if (s.size() != 11 || s[5] != '-') return std::nullopt;
  const auto a = parse_hhmm(s.substr(0, 5), false);
  const auto b = parse_hhmm(s.substr(6, 5), true);
  if (!a || !b) return std::nullopt;
  return day_range{*a, *b};
}

namespace {
// Calls f(name) for each placeholder of text; returns "" or what is wrong with the braces.
template <typename F>
std::string for_each_placeholder(std::string_view text, F&& f) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      if (i + 1 < text.size() && text[i + 1] == '{') {
        ++i;
        continue;
      }
      const auto end = text.find('}', i + 1);
      if (end == std::string_view::npos) return "unclosed { (write {{ for a literal brace)";
      const std::string_view name = text.substr(i + 1, end - i - 1);
      if (name.find('{') != std::string_view::npos) return "{ inside a placeholder";
      std::string wrong = f(name);
      if (!wrong.empty()) return wrong;
      i = end;
    } else if (text[i] == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        ++i;
        continue;
      }
      return "unmatched } (write }} for a literal brace)";
    }
  }
  return {};
}
}  // namespace

std::string check_placeholders(std::string_view text, const std::vector<std::pair<std::string, std::string>>& offer) {
  return for_each_placeholder(text, [&](std::string_view name) -> std::string {
    static constexpr std::string_view plain[] = {"msisdn", "imsi", "lac", "cell", "area", "peer"};
    if (std::find(std::begin(plain), std::end(plain), name) != std::end(plain)) return {};
    if (has_prefix(name, "profile.")) return {};
    if (has_prefix(name, "offer.")) {
      const std::string_view key = name.substr(6);
      for (const auto& kv : offer)
        if (kv.first == key) return {};
      return "unknown placeholder {" + std::string(name) + "}: offer has no key " + quote(key);
    }
    return "unknown placeholder " + quote("{" + std::string(name) + "}") +
           " (msisdn, imsi, lac, cell, area, peer, profile.COLUMN, offer.KEY)";
  });
}

std::optional<campaign_def> parse_campaign(std::string_view yaml, const std::string& name, std::string& error) {
  return parse_campaign_at(yaml, name, error);
}

std::optional<probe_config> parse_config(std::string_view yaml, const std::string& name, const std::string& dir,
                                         std::string& error) {
  probe_config cfg;
  const std::string abs_dir = resolve_path(dir.empty() ? "." : dir, ".");
  cfg.file = fs::path(name).is_absolute() ? name : resolve_path(abs_dir, fs::path(name).filename().string());
  std::vector<glob_item> globs;
  try {
    const YAML::Node root = load_yaml(yaml);
    if (!root.IsMap()) throw config_error{1, "document", "expected a mapping (probe.yaml's keys)"};
    probe_from(root, name, abs_dir, cfg, globs);
  } catch (const config_error& e) {
    error = format_error(name, e);
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    error = name + ":" + std::to_string(e.mark.line < 0 ? 1 : e.mark.line + 1) + ": yaml: " + e.msg;
    return std::nullopt;
  }
  // Campaign globs, relative to probe.yaml's folder; each must match something.
  std::vector<std::string> files;
  for (std::size_t i = 0; i < globs.size(); ++i) {
    const auto& [pattern, line, key] = globs[i];
    const std::string full = fs::path(pattern).is_absolute() ? pattern : abs_dir + "/" + pattern;
    glob_t g{};
    const int rc = ::glob(full.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (std::size_t k = 0; k < g.gl_pathc; ++k) files.push_back(resolve_path(abs_dir, g.gl_pathv[k]));
    }
    globfree(&g);
    if (rc != 0) {
      error = name + ":" + std::to_string(line) + ": " + key + ": " + quote(pattern) + " matches no file";
      return std::nullopt;
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  cfg.campaign_files = files;
  for (const auto& f : files) {
    std::string text, why;
    if (!read_file(f, text, why)) {
      error = f + ":1: file: cannot be read (" + why + ")";
      return std::nullopt;
    }
    auto c = parse_campaign_at(text, f, error);
    if (!c) return std::nullopt;
    for (const auto& prev : cfg.campaigns)
      if (prev.id == c->id) {
        // The id's line: campaign files put it anywhere, so look it up again.
        int line = 1;
        try {
          const YAML::Node root = YAML::Load(text);
          line = line_of(root["id"]);
        } catch (...) {
        }
        error = f + ":" + std::to_string(line) + ": id: duplicate campaign id " + quote(c->id) + " (also in " +
                prev.pos.file + ")";
        return std::nullopt;
      }
    cfg.campaigns.push_back(std::move(*c));
  }
  return cfg;
}

std::optional<probe_config> load_config(const std::string& path, std::string& error) {
  std::string text, why;
  if (!read_file(path, text, why)) {
    error = path + ":1: file: cannot be read (" + why + ")";
    return std::nullopt;
  }
  const std::string abs = resolve_path(".", path);
  auto cfg = parse_config(text, path, fs::path(abs).parent_path().string(), error);
  if (cfg) cfg->file = abs;
  return cfg;
}

std::string validate_against_tables(const probe_config& cfg, const table_columns& tables) {
  const auto has = [](const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  const auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (std::size_t i = 0; i < v.size() && i < 20; ++i) out += (i ? ", " : "") + v[i];
    if (v.size() > 20) out += ", ...";
    return out;
  };
  const auto at = [](const source_pos& p, const std::string& key, const std::string& what) {
    return p.file + ":" + std::to_string(p.line) + ": " + key + ": " + what;
  };
  const auto profile_col = [&](std::string_view col) -> std::string {
    if (tables.profile.empty()) return "no subscribers table configured";
    if (!has(tables.profile, col))
      return "unknown profile column " + quote(col) + " (the subscribers table has " + list(tables.profile) + ")";
    return {};
  };
  const auto tac_col = [&](std::string_view col) -> std::string {
    if (tables.tac.empty()) return "no tac table configured";
    if (!has(tables.tac, col))
      return "unknown tac column " + quote(col) + " (the tac table has " + list(tables.tac) + ")";
    return {};
  };
  const auto area = [&](std::string_view a) -> std::string {
    if (tables.areas.empty()) return "no areas configured";
    if (!has(tables.areas, a)) return "unknown area " + quote(a) + " (the areas are " + list(tables.areas) + ")";
    return {};
  };
  for (const auto& c : cfg.campaigns) {
    for (std::size_t i = 0; i < c.target.size(); ++i) {
      const std::string w = profile_col(c.target[i].key);
      if (!w.empty()) return at(c.target[i].pos, item_key("target", i) + ".column", w);
    }
    for (std::size_t i = 0; i < c.where.size(); ++i) {
      const auto& w = c.where[i];
      const std::string key = item_key("trigger.where", i) + ".field";
      std::string wrong;
      if (has_prefix(w.key, "profile.")) {
        wrong = profile_col(std::string_view(w.key).substr(8));
      } else if (has_prefix(w.key, "handset.")) {
        wrong = tac_col(std::string_view(w.key).substr(8));
      } else if (has_prefix(w.key, "prev_handset.")) {
        wrong = tac_col(std::string_view(w.key).substr(13));
      } else if (w.key == "area" && w.op != cmp_op::prefix && w.op != cmp_op::not_prefix) {
        for (const auto& v : w.values) {
          wrong = area(v);
          if (!wrong.empty()) {
            return at(w.pos, item_key("trigger.where", i) + "." + std::string(to_string(w.op)), wrong);
          }
        }
      }
      if (!wrong.empty()) return at(w.pos, key, w.key + ": " + wrong);
    }
    for (std::size_t i = 0; i < c.history.size(); ++i) {
      const auto& h = c.history[i];
      if (h.what != history_condition::kind::dwell) continue;
      const std::string w = area(h.area);
      if (!w.empty()) return at(h.pos, item_key("trigger.history", i) + ".dwell", w);
    }
    std::string wrong;
    for_each_placeholder(c.channel.text, [&](std::string_view name) -> std::string {
      if (wrong.empty() && has_prefix(name, "profile.")) {
        const std::string w = profile_col(name.substr(8));
        if (!w.empty()) wrong = "{" + std::string(name) + "}: " + w;
      }
      return {};
    });
    if (!wrong.empty()) return at(c.channel.text_pos, "channel.text", wrong);
    if (!c.evaluation.compare_by.empty()) {
      const std::string w = profile_col(c.evaluation.compare_by);
      if (!w.empty()) return at(c.evaluation.compare_by_pos, "evaluation.compare_by", w);
    }
  }
  return {};
}

}  // namespace bssap::campaign
