// The presence index (presence.hpp).
#include "bssap/console/presence.hpp"

#include <mutex>
#include <new>

#include "bssap/decoders/hash.hpp"

namespace bssap::console {

namespace {
constexpr int length_shift = 56;

std::uint16_t digits_value(std::string_view s) noexcept {
  std::uint16_t v = 0;
  for (char c : s) v = static_cast<std::uint16_t>(v * 10 + static_cast<std::uint16_t>(c - '0'));
  return v;
}

std::uint64_t pack_imei(std::string_view s) noexcept {
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return s.empty() ? 0 : v | (std::uint64_t{1} << 63);  // the top bit: known (an IMEI may be all zeros)
}
}  // namespace

std::optional<std::uint64_t> pack_imsi(std::string_view digits) noexcept {
  if (digits.empty() || digits.size() > 15) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v | (static_cast<std::uint64_t>(digits.size()) << length_shift);
}

std::string unpack_imsi(std::uint64_t key) {
  const auto n = static_cast<std::size_t>(key >> length_shift);
  std::uint64_t v = key & ((std::uint64_t{1} << length_shift) - 1);
  std::string s(n, '0');
  for (std::size_t i = n; i > 0; --i) {
    s[i - 1] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return s;
}

presence_index::presence_index(std::vector<std::string> home_plmns, std::size_t initial_capacity) {
  for (auto& p : home_plmns) {
    std::string digits;
    for (char c : p)
      if (c != '-') digits += c;
    _home.push_back(digits);
  }
  std::size_t cap = 16;
  while (cap < initial_capacity) cap *= 2;
  _slots.resize(cap);
  _batch.reserve(256);
}

bool presence_index::is_home(std::string_view imsi) const noexcept {
  for (const auto& h : _home)
    if (imsi.starts_with(h)) return true;
  return false;
}

presence_entry* presence_index::slot_for(std::uint64_t key) noexcept {
  const std::size_t mask = _slots.size() - 1;
  for (std::size_t i = dec::mix64(key) & mask;; i = (i + 1) & mask) {
    presence_entry& s = _slots[i];
    if (s.imsi == key || s.imsi == 0) return &s;
  }
}

bool presence_index::grow() noexcept {
  try {
    std::vector<presence_entry> old(_slots.size() * 2);
    old.swap(_slots);
    for (const auto& e : old)
      if (e.imsi != 0) *slot_for(e.imsi) = e;
    return true;
  } catch (const std::bad_alloc&) {
    return false;
  }
}

void presence_index::apply_locked(const event& e) noexcept {
  _events += 1;
  if (e.ts_us > _clock_us) _clock_us = e.ts_us;
  if (!e.has(f_imsi)) return;  // TMSI only: nobody we can name
  const auto key = pack_imsi(e.imsi.view());
  if (!key) return;
  presence_entry* s = slot_for(*key);
  if (s->imsi == 0) {
    if ((_size + 1) * 10 > _slots.size() * 7) {  // load 0.7 at most
      if (!grow()) {
        _table_full += 1;
        return;
      }
      s = slot_for(*key);
    }
    *s = presence_entry{};
    s->imsi = *key;
    _size += 1;
    if (!is_home(e.imsi.view())) s->flags |= presence_entry::flag_roaming;
  }
  if (e.ts_us < s->ts_us) return;  // an older event (held by the correlator): keeps the newer state
  s->ts_us = e.ts_us;
  s->last = e.type;
  const bool attached = e.type != event_type::power_off && e.type != event_type::lu_reject;
  s->flags = static_cast<std::uint8_t>(attached ? s->flags | presence_entry::flag_attached
                                                : s->flags & ~presence_entry::flag_attached);
  if (e.has(f_lai) || e.has(f_lac)) {
    s->lac = e.lac;
    s->flags |= presence_entry::flag_lac;
    if (e.has(f_cell)) {
      s->cell = e.cell;
      s->flags |= presence_entry::flag_cell;
    } else {
      s->flags = static_cast<std::uint8_t>(s->flags & ~presence_entry::flag_cell);
    }
    if (e.has(f_lai)) {
      s->mcc = digits_value(e.mcc.view());
      s->mnc = digits_value(e.mnc.view());
      s->flags |= presence_entry::flag_plmn;
      s->flags = static_cast<std::uint8_t>(e.mnc.size == 3 ? s->flags | presence_entry::flag_mnc3
                                                           : s->flags & ~presence_entry::flag_mnc3);
    }
  }
  if (e.has(f_imei)) {
    if (const auto imei = pack_imei(e.imei.view()); imei != 0) {
      s->imei = imei;
      s->flags |= presence_entry::flag_imei;
    }
  }
}

void presence_index::apply(const event& e) noexcept {
  std::unique_lock lock(_mutex);
  apply_locked(e);
}

void presence_index::on_event(const event& e) noexcept {
  _batch.push_back(e);  // reserved: no allocation
  if (_batch.size() == _batch.capacity()) flush();
}

void presence_index::flush() noexcept {
  if (_batch.empty()) return;
  {
    std::unique_lock lock(_mutex);
    for (const auto& e : _batch) apply_locked(e);
  }
  _batch.clear();
}

std::optional<presence_entry> presence_index::find(std::uint64_t key) const noexcept {
  std::shared_lock lock(_mutex);
  const std::size_t mask = _slots.size() - 1;
  for (std::size_t i = dec::mix64(key) & mask;; i = (i + 1) & mask) {
    const presence_entry& s = _slots[i];
    if (s.imsi == key) return s;
    if (s.imsi == 0) return std::nullopt;
  }
}

std::size_t presence_index::size() const noexcept {
  std::shared_lock lock(_mutex);
  return _size;
}
std::int64_t presence_index::clock_us() const noexcept {
  std::shared_lock lock(_mutex);
  return _clock_us;
}
std::uint64_t presence_index::events() const noexcept {
  std::shared_lock lock(_mutex);
  return _events;
}
std::uint64_t presence_index::table_full() const noexcept {
  std::shared_lock lock(_mutex);
  return _table_full;
}

}  // namespace bssap::console
