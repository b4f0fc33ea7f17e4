// JSON-lines form of bssap::event, exactly as ../shared/spec/events.md lays it out.
// The writer is on the probe's output path, so it appends into a reused buffer with fmt
// and allocates nothing once the buffer has grown. The parser (tests, replays of logs, the
// trigger side when fed from a file or a bus) uses nlohmann::json.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <ctime>

#include "bssap/event.hpp"

namespace bssap {
namespace {

constexpr std::array<std::string_view, event_type_count> type_names{
    "power_on",    "power_off", "location_update", "periodic_update", "lu_reject", "roaming_in",
    "imei_change", "call_mo",   "call_mt",         "call_answered",   "call_end",  "sms_mo",
    "sms_mt",      "ussd",      "handover"};
// A new event_type without its name here would leave an empty name: the build stops instead.
constexpr bool every_type_named() {
  for (const std::string_view name : type_names)
    if (name.empty()) return false;
  return true;
}
static_assert(every_type_named(), "event_type: a value has no name in type_names");

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", u);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void append_key(std::string& out, std::string_view key) {
  out += ",\"";
  out += key;
  out += "\":";
}

// Integers appended through std::to_chars into a stack buffer: the digits fmt's "{}" prints,
// without fmt's back_insert_iterator path, which parsed the format string and appended one
// character at a time on every event (20 % of a one-thread replay's instructions, issue 16).
template <class T>
void append_int(std::string& out, T v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// fmt's "{:0W}" (or "{:0Wx}" with base 16) for v >= 0: zeros in front up to `width`, every digit
// when longer. Negative values (only a date before year 0 could have one) keep fmt's form.
void append_zero_padded(std::string& out, std::int64_t v, int width, int base = 10) {
  if (v < 0) {
    if (base == 16)
      fmt::format_to(std::back_inserter(out), "{:0{}x}", v, width);
    else
      fmt::format_to(std::back_inserter(out), "{:0{}}", v, width);
    return;
  }
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, base);
  const auto digits = static_cast<int>(r.ptr - buf);
  if (digits < width) out.append(static_cast<std::size_t>(width - digits), '0');
  out.append(buf, r.ptr);
}

// Days since 1970-01-01 for a civil date, and back (H. Hinnant's algorithms).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
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

}  // namespace

std::string_view to_string(event_type t) noexcept {
  const auto i = static_cast<std::size_t>(t);
  return i < type_names.size() ? type_names[i] : std::string_view{"?"};
}

std::optional<event_type> event_type_from_string(std::string_view s) noexcept {
  for (std::size_t i = 0; i < type_names.size(); ++i)
    if (type_names[i] == s) return static_cast<event_type>(i);
  return std::nullopt;
}

void append_rfc3339_us(std::int64_t ts_us, std::string& out) {
  std::int64_t secs = ts_us / 1'000'000;
  std::int64_t micros = ts_us % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    secs -= 1;
  }
  std::int64_t days = secs / 86400;
  std::int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    days -= 1;
  }
  const civil c = civil_from_days(days);
  // "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z"
  append_zero_padded(out, c.y, 4);
  out.push_back('-');
  append_zero_padded(out, c.m, 2);
  out.push_back('-');
  append_zero_padded(out, c.d, 2);
  out.push_back('T');
  append_zero_padded(out, sod / 3600, 2);
  out.push_back(':');
  append_zero_padded(out, (sod / 60) % 60, 2);
  out.push_back(':');
  append_zero_padded(out, sod % 60, 2);
  out.push_back('.');
  append_zero_padded(out, micros, 6);
  out.push_back('Z');
}

std::optional<std::int64_t> parse_rfc3339_us(std::string_view s) noexcept {
  // Accepts exactly the form we write: YYYY-MM-DDTHH:MM:SS.ffffffZ
  if (s.size() != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' ||
      s[26] != 'Z')
    return std::nullopt;
  auto num = [&](std::size_t at, std::size_t len, std::int64_t& v) {
    const auto* first = s.data() + at;
    const auto r = std::from_chars(first, first + len, v);
    return r.ec == std::errc{} && r.ptr == first + len;
  };
  std::int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, us = 0;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) || !num(17, 2, se) ||
      !num(20, 6, us))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + se) * 1'000'000) + us;
}

void append_json_line(const event& e, std::string& out) {
  out += "{\"ts\":\"";
  append_rfc3339_us(e.ts_us, out);
  out += "\",\"type\":\"";
  out += to_string(e.type);
  out.push_back('"');
  if (e.has(f_imsi)) {
    append_key(out, "imsi");
    append_json_string(out, e.imsi.view());
  }
  if (e.has(f_tmsi)) {
    append_key(out, "tmsi");
    out.push_back('"');
    append_zero_padded(out, e.tmsi, 8, 16);
    out.push_back('"');
  }
  if (e.has(f_imei)) {
    append_key(out, "imei");
    append_json_string(out, e.imei.view());
  }
  if (e.has(f_lai)) {
    append_key(out, "mcc");
    append_json_string(out, e.mcc.view());
    append_key(out, "mnc");
    append_json_string(out, e.mnc.view());
    append_key(out, "lac");
    append_int(out, e.lac);
  } else if (e.has(f_lac)) {
    append_key(out, "lac");
    append_int(out, e.lac);
  }
  if (e.has(f_cell)) {
    append_key(out, "cell");
    append_int(out, e.cell);
  }
  if (e.has(f_peer)) {
    append_key(out, "peer");
    append_json_string(out, e.peer.view());
  }
  if (e.has(f_cause)) {
    append_key(out, "cause");
    append_int(out, e.cause);
  }
  if (e.has(f_duration)) {
    append_key(out, "duration_ms");
    append_int(out, e.duration_ms);
  }
  if (e.has(f_prev_imei)) {
    append_key(out, "prev_imei");
    append_json_string(out, e.prev_imei.view());
  }
  if (e.has(f_prev_lac)) {
    append_key(out, "prev_lac");
    append_int(out, e.prev_lac);
  }
  if (e.has(f_prev_cell)) {
    append_key(out, "prev_cell");
    append_int(out, e.prev_cell);
  }
  if (e.has(f_link)) {
    append_key(out, "link");
    append_json_string(out, e.link.view());
  }
  out += "}\n";
}

std::optional<event> parse_json_line(std::string_view line, std::string* error) {
  auto fail = [&](std::string msg) -> std::optional<event> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
  event e;
  bool have_ts = false, have_type = false;
  bool have_mcc = false, have_mnc = false, have_lac = false;
  for (const auto& item : j.items()) {
    // Named references, not a structured binding: clang 14 cannot capture bindings in lambdas.
    const std::string& key = item.key();
    const nlohmann::json& v = item.value();
    auto str = [&](auto& field, event_field bit) {
      if (!v.is_string()) return false;
      if (!field.assign(v.get_ref<const std::string&>())) return false;
      if (bit) e.set(bit);
      return true;
    };
    auto integer = [&](auto& field, event_field bit, std::int64_t lo, std::int64_t hi) {
      if (!v.is_number_integer()) return false;
      const auto x = v.get<std::int64_t>();
      if (x < lo || x > hi) return false;
      field = static_cast<std::remove_reference_t<decltype(field)>>(x);
      if (bit) e.set(bit);
      return true;
    };
    bool ok = false;
    if (key == "ts") {
      const auto t = v.is_string() ? parse_rfc3339_us(v.get_ref<const std::string&>()) : std::nullopt;
      ok = t.has_value();
      if (ok) e.ts_us = *t, have_ts = true;
    } else if (key == "type") {
      const auto t = v.is_string() ? event_type_from_string(v.get_ref<const std::string&>()) : std::nullopt;
      ok = t.has_value();
      if (ok) e.type = *t, have_type = true;
    } else if (key == "imsi") {
      ok = str(e.imsi, f_imsi);
    } else if (key == "tmsi") {
      if (v.is_string() && v.get_ref<const std::string&>().size() == 8) {
        const auto& s = v.get_ref<const std::string&>();
        const auto r = std::from_chars(s.data(), s.data() + 8, e.tmsi, 16);
        ok = r.ec == std::errc{} && r.ptr == s.data() + 8;
        if (ok) e.set(f_tmsi);
      }
    } else if (key == "imei") {
      ok = str(e.imei, f_imei);
    } else if (key == "mcc") {
      ok = str(e.mcc, event_field{}), have_mcc = ok;
    } else if (key == "mnc") {
      ok = str(e.mnc, event_field{}), have_mnc = ok;
    } else if (key == "lac") {
      ok = integer(e.lac, event_field{}, 0, 0xFFFF), have_lac = ok;
    } else if (key == "cell") {
      ok = integer(e.cell, f_cell, 0, 0xFFFFFFFF);
    } else if (key == "peer") {
      ok = str(e.peer, f_peer);
    } else if (key == "cause") {
      ok = integer(e.cause, f_cause, 0, 0xFFFF);
    } else if (key == "duration_ms") {
      ok = integer(e.duration_ms, f_duration, 0, INT64_MAX);
    } else if (key == "prev_imei") {
      ok = str(e.prev_imei, f_prev_imei);
    } else if (key == "prev_lac") {
      ok = integer(e.prev_lac, f_prev_lac, 0, 0xFFFF);
    } else if (key == "prev_cell") {
      ok = integer(e.prev_cell, f_prev_cell, 0, 0xFFFFFFFF);
    } else if (key == "link") {
      ok = str(e.link, f_link);
    } else {
      return fail("unknown field '" + key + "'");
    }
    if (!ok) return fail("bad value for field '" + key + "'");
  }
  if (!have_ts || !have_type) return fail("missing ts or type");
  if (have_mcc || have_mnc) {
    if (!(have_mcc && have_mnc && have_lac)) return fail("mcc and mnc go together, with lac");
    e.set(f_lai);
  } else if (have_lac) {
    e.set(f_lac);  // a LAC known without its PLMN
  }
  return e;
}

}  // namespace bssap
