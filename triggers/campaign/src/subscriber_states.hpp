// The engine's per-subscriber dynamic state (issue 11: ten million subscribers with all their
// state in at most 2 GiB, with the profile table). Three tiers, each only for whom needs it:
//
//   slot (32 bytes, every subscriber seen): the key and the processed watermark - the last ts
//     and the low 32 bits of the first two event_ids seen at it - and the index of its extra part;
//   extra part (64 bytes, one cache line, subscribers with history or contacts): up to three
//     history records in place (more on the heap) and the index of its contact part;
//   contact part (subscribers a campaign has decided for): contacts and the global cap times.
//
// Watermark ids beyond the first two at one instant (a subscriber has at most a few events at
// one ts: power_on + roaming_in + imei_change) go to a small side table, emptied when the ts
// moves on. The extra parts live in fixed chunks, addressed by index, never moved or freed one by
// one: no allocator header per subscriber and no pointer in the slot.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flat_map.hpp"
#include "small_vector.hpp"

namespace bssap::campaign {

// One event in a subscriber's history (only what trigger.history needs), 16 bytes without
// padding: millions of subscribers keep several each, in memory and in every stored state.
struct history_record {
  std::int64_t ts_us = 0;
  std::uint32_t cell = 0;
  std::uint16_t lac = 0;
  std::uint8_t type = 0;
  std::uint8_t located = 0;  // has_lac | has_cell: every byte defined (states are compared bytewise)
  static constexpr std::uint8_t has_lac = 1, has_cell = 2;
  bool with(std::uint8_t what) const { return (located & what) != 0; }
};
static_assert(sizeof(history_record) == 16);

// Three records in place: with the heap pointer sharing their bytes, 56 bytes.
using history_records = small_vector<history_record, 3>;

struct contact_state {
  std::string campaign;
  std::vector<std::int64_t> cap_ts;  // sent, rehearsed and control decisions (campaign cap)
  std::uint32_t unanswered = 0;      // contacts since the last response (immunity)
  std::int64_t last_contact_us = std::numeric_limits<std::int64_t>::min();
};

// Contacts and global cap times: only subscribers a campaign has decided for have them.
struct contact_part {
  std::vector<contact_state> contacts;
  std::vector<std::int64_t> global_ts;  // sent sms / worklist messages (global cap)
};

struct alignas(64) subscriber_extra {
  history_records history;
  std::uint32_t reach = 0;  // 1 + index of the contact part; 0: none
};
static_assert(sizeof(subscriber_extra) == 64);

// The slot's value. Trivially copyable: the map moves it when it grows.
struct subscriber_state {
  static constexpr std::size_t max_ids = 6;  // watermark ids kept at one ts (2 here, 4 aside)
  static constexpr std::size_t inline_ids = 2;
  static constexpr std::uint8_t stored_flag = 1;   // has a state in the store (the fold carries it)
  static constexpr std::uint8_t spilled_flag = 2;  // ids beyond inline_ids are in the side table

  std::int64_t last_ts = std::numeric_limits<std::int64_t>::min();
  std::array<std::uint32_t, inline_ids> ids{};
  std::uint32_t extra = 0;  // 1 + index of the extra part; 0: none
  std::uint8_t id_count = 0;
  std::uint8_t flags = 0;

  bool stored() const { return (flags & stored_flag) != 0; }
  void set_stored() { flags |= stored_flag; }
};
static_assert(sizeof(subscriber_state) == 24);

class subscriber_states {
 public:
  using ids_type = std::array<std::uint32_t, subscriber_state::max_ids>;

  subscriber_states() = default;
  subscriber_states(const subscriber_states&) = delete;
  subscriber_states& operator=(const subscriber_states&) = delete;

  // Room for `n` subscribers without growing (a grow holds the old and the new table at once).
  void reserve(std::size_t n) { _map.reserve(n); }

  subscriber_state& operator[](std::uint64_t key) { return _map[key]; }
  subscriber_state* find(std::uint64_t key) noexcept { return _map.find(key); }
  const subscriber_state* find(std::uint64_t key) const noexcept { return _map.find(key); }
  void prefetch(std::uint64_t key) const noexcept { _map.prefetch(key); }
  void prefetch_extra(const subscriber_state& s) const noexcept {
    if (s.extra != 0) __builtin_prefetch(&extra_at(s.extra));
  }

  // --- the watermark -------------------------------------------------------------------------
  bool seen(std::uint64_t key, const subscriber_state& s, std::int64_t ts, std::uint32_t id) const {
    if (ts != s.last_ts) return ts < s.last_ts;
    for (std::size_t i = 0; i < s.id_count && i < subscriber_state::inline_ids; ++i)
      if (s.ids[i] == id) return true;
    if ((s.flags & subscriber_state::spilled_flag) == 0) return false;
    const auto& more = _spilled.at(key);
    for (std::size_t i = subscriber_state::inline_ids; i < s.id_count; ++i)
      if (more[i - subscriber_state::inline_ids] == id) return true;
    return false;
  }
  void mark(std::uint64_t key, subscriber_state& s, std::int64_t ts, std::uint32_t id) {
    if (ts != s.last_ts) forget_ids(key, s);
    s.last_ts = ts;
    if (s.id_count >= subscriber_state::max_ids) return;
    if (s.id_count < subscriber_state::inline_ids) {
      s.ids[s.id_count++] = id;
      return;
    }
    s.flags |= subscriber_state::spilled_flag;
    _spilled[key][s.id_count++ - subscriber_state::inline_ids] = id;
  }
  // The watermark's ids, for the store.
  std::size_t ids_of(std::uint64_t key, const subscriber_state& s, ids_type& out) const {
    for (std::size_t i = 0; i < s.id_count; ++i)
      out[i] = i < subscriber_state::inline_ids ? s.ids[i] : _spilled.at(key)[i - subscriber_state::inline_ids];
    return s.id_count;
  }
  // Replaces the watermark (a stored state or delta read back).
  void set_watermark(std::uint64_t key, subscriber_state& s, std::int64_t ts, const ids_type& ids, std::size_t n) {
    forget_ids(key, s);
    s.last_ts = ts;
    for (std::size_t i = 0; i < n && i < subscriber_state::max_ids; ++i) mark(key, s, ts, ids[i]);
  }

  // --- the extra part ------------------------------------------------------------------------
  const history_records& history(const subscriber_state& s) const {
    static const history_records none;
    return s.extra != 0 ? extra_at(s.extra).history : none;
  }
  history_records& history_of(subscriber_state& s) { return more(s).history; }
  bool has_history(const subscriber_state& s) const { return s.extra != 0 && !extra_at(s.extra).history.empty(); }

  contact_part* reach_of(const subscriber_state& s) const {
    if (s.extra == 0 || extra_at(s.extra).reach == 0) return nullptr;
    return _reach[extra_at(s.extra).reach - 1].get();
  }
  contact_part& reach(subscriber_state& s) {
    auto& x = more(s);
    if (x.reach == 0) {
      _reach.push_back(std::make_unique<contact_part>());
      x.reach = static_cast<std::uint32_t>(_reach.size());
    }
    return *_reach[x.reach - 1];
  }
  contact_state& contact(subscriber_state& s, const std::string& campaign) {
    auto& r = reach(s);
    for (auto& c : r.contacts)
      if (c.campaign == campaign) return c;
    r.contacts.push_back({campaign, {}, 0, std::numeric_limits<std::int64_t>::min()});
    return r.contacts.back();
  }
  const contact_state* find_contact(const subscriber_state& s, std::string_view campaign) const {
    if (const auto* r = reach_of(s))
      for (const auto& c : r->contacts)
        if (c.campaign == campaign) return &c;
    return nullptr;
  }
  const std::vector<std::int64_t>& global_ts(const subscriber_state& s) const {
    static const std::vector<std::int64_t> none;
    const auto* r = reach_of(s);
    return r != nullptr ? r->global_ts : none;
  }

  // Empties the subscriber's history and contacts (before a stored state replaces them); the
  // parts stay allocated to it.
  void clear(std::uint64_t key, subscriber_state& s) {
    forget_ids(key, s);
    s.last_ts = std::numeric_limits<std::int64_t>::min();
    if (s.extra == 0) return;
    auto& x = extra_at(s.extra);
    x.history.clear();
    if (x.reach != 0) *_reach[x.reach - 1] = contact_part{};
  }

  // --- slot by slot (a fold: a sequential scan that prefetches ahead); key 0 = an empty slot --
  std::size_t slot_count() const noexcept { return _map.slot_count(); }
  std::uint64_t key_at(std::size_t i) const noexcept { return _map.key_at(i); }
  const subscriber_state& value_at(std::size_t i) const noexcept { return _map.value_at(i); }
  template <class F>
  void each(F&& f) {
    _map.each(f);
  }

  std::size_t size() const noexcept { return _map.size(); }
  std::size_t extra_count() const noexcept { return _extra_count; }
  std::size_t reach_count() const noexcept { return _reach.size(); }
  // The map, the extra chunks and the contact parts' own bytes (their vectors' heap not counted).
  std::size_t memory_bytes() const noexcept {
    return _map.memory_bytes() + _chunks.size() * chunk_size * sizeof(subscriber_extra) +
           _reach.size() * (sizeof(contact_part) + sizeof(void*)) +
           _spilled.size() * (sizeof(std::uint64_t) + sizeof(spill) + 2 * sizeof(void*));
  }

 private:
  static constexpr std::size_t chunk_bits = 14;  // 16,384 extra parts (1 MiB) per chunk
  static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;
  using spill = std::array<std::uint32_t, subscriber_state::max_ids - subscriber_state::inline_ids>;

  subscriber_extra& more(subscriber_state& s) {
    if (s.extra == 0) {
      if ((_extra_count & (chunk_size - 1)) == 0) _chunks.push_back(std::make_unique<subscriber_extra[]>(chunk_size));
      s.extra = static_cast<std::uint32_t>(++_extra_count);
    }
    return extra_at(s.extra);
  }
  subscriber_extra& extra_at(std::uint32_t index) const noexcept {
    const std::size_t i = index - 1;
    return _chunks[i >> chunk_bits][i & (chunk_size - 1)];
  }
  void forget_ids(std::uint64_t key, subscriber_state& s) {
    if ((s.flags & subscriber_state::spilled_flag) != 0) _spilled.erase(key);
    s.flags &= static_cast<std::uint8_t>(~subscriber_state::spilled_flag);
    s.id_count = 0;
  }

  flat_map<subscriber_state> _map;
  std::vector<std::unique_ptr<subscriber_extra[]>> _chunks;
  std::size_t _extra_count = 0;
  std::vector<std::unique_ptr<contact_part>> _reach;
  std::unordered_map<std::uint64_t, spill> _spilled;
};

}  // namespace bssap::campaign
