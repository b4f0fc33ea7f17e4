// The behaviour event: the one value that crosses from capture to triggers (and, later, over a
// distributed event bus). Plain, fixed-size and trivially copyable so that it moves through
// lock-free queues and across hosts as bytes.
// References: ../shared/spec/events.md (the contract: names, fields and meaning).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace bssap {

enum class event_type : std::uint8_t {
  power_on,
  power_off,
  location_update,
  periodic_update,
  lu_reject,
  roaming_in,
  imei_change,
  call_mo,
  call_mt,
  call_answered,
  call_end,
  sms_mo,
  sms_mt,
  ussd,
  handover,
  count_
};
constexpr std::size_t event_type_count = static_cast<std::size_t>(event_type::count_);

std::string_view to_string(event_type t) noexcept;
std::optional<event_type> event_type_from_string(std::string_view s) noexcept;

// A fixed-capacity, NUL-padded string field. Capacities follow the spec's content:
// IMSI <= 15 digits, IMEI 14 digits, MCC 3, MNC 2-3, peer: up to a 182-character USSD string
// (TS 23.038 6.1.2.3) or a BCD number of up to 40 digits, in UTF-8.
template <std::size_t N>
struct fixed_string {
  std::array<char, N> chars{};
  std::uint16_t size = 0;

  constexpr std::string_view view() const noexcept { return {chars.data(), size}; }
  constexpr bool empty() const noexcept { return size == 0; }
  static constexpr std::size_t capacity() noexcept { return N; }
  // Copies at most N bytes; returns false when `s` did not fit (the caller counts that).
  constexpr bool assign(std::string_view s) noexcept {
    const std::size_t n = s.size() < N ? s.size() : N;
    for (std::size_t i = 0; i < n; ++i) chars[i] = s[i];
    for (std::size_t i = n; i < N; ++i) chars[i] = 0;
    size = static_cast<std::uint16_t>(n);
    return n == s.size();
  }
  friend constexpr bool operator==(const fixed_string& a, const fixed_string& b) noexcept {
    return a.view() == b.view();
  }
};

// Which optional fields are present (the spec omits unknown fields, never writes "").
enum event_field : std::uint16_t {
  f_imsi = 1u << 0,
  f_tmsi = 1u << 1,
  f_imei = 1u << 2,
  f_lai = 1u << 3,  // mcc, mnc, lac
  f_cell = 1u << 4,
  f_peer = 1u << 5,
  f_cause = 1u << 6,
  f_duration = 1u << 7,
  f_prev_imei = 1u << 8,
  f_prev_lac = 1u << 9,
  f_prev_cell = 1u << 10,
  f_link = 1u << 11,
  // lac without mcc/mnc: a Cell Identifier with a LAC but no PLMN anywhere on the connection
  // (spec "Location from the cell"). Never together with f_lai, which writes all three.
  f_lac = 1u << 12,
};

struct event {
  std::int64_t ts_us = 0;  // capture time, microseconds since the Unix epoch (UTC)
  event_type type = event_type::power_on;
  std::uint16_t present = 0;  // event_field bits
  std::uint32_t tmsi = 0;
  std::uint16_t lac = 0;
  std::uint16_t prev_lac = 0;
  std::uint32_t cell = 0;
  std::uint32_t prev_cell = 0;
  std::int32_t cause = 0;
  std::int64_t duration_ms = 0;
  fixed_string<15> imsi;
  fixed_string<14> imei;
  fixed_string<14> prev_imei;
  fixed_string<3> mcc;
  fixed_string<3> mnc;
  fixed_string<184> peer;
  fixed_string<32> link;

  constexpr bool has(event_field f) const noexcept { return (present & f) != 0; }
  constexpr void set(event_field f) noexcept { present = static_cast<std::uint16_t>(present | f); }

  friend bool operator==(const event&, const event&) noexcept = default;
};

static_assert(std::is_trivially_copyable_v<event>, "events cross lock-free queues and hosts as bytes");
static_assert(sizeof(event) <= 384, "keep events small enough to move in bulk");

// Appends one JSON line (with trailing '\n') in the spec's field order. No allocation when `out`
// has capacity already.
void append_json_line(const event& e, std::string& out);

// Parses one JSON line written by append_json_line (or by any writer following the spec).
// Returns nullopt and sets `error` on malformed input or unknown fields/types.
std::optional<event> parse_json_line(std::string_view line, std::string* error = nullptr);

// RFC 3339 UTC with microseconds: 2026-11-23T10:35:22.123456Z
void append_rfc3339_us(std::int64_t ts_us, std::string& out);
std::optional<std::int64_t> parse_rfc3339_us(std::string_view s) noexcept;

}  // namespace bssap
