// fixed_table: the bounded hash table behind packet_stack's flow state (SCTP directions, TCP
// connections, MTP links): sized once at construction, never allocating afterwards, evicting by
// sampled LRU when full. Private to decoders/src.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

namespace bssap::dec::detail {

// Fixed-capacity hash table (chained through entry indices), allocated once.
template <class Key, class Value>
class fixed_table {
 public:
  struct entry {
    Key key{};
    Value value{};
    std::uint64_t hash = 0;
    std::int64_t last_seen = 0;
    std::int32_t next = -1;
    std::int32_t live_pos = -1;  // where in _live (the used entries, dense) it is listed
    bool used = false;
  };

  explicit fixed_table(std::uint32_t capacity)
      : _capacity(std::max<std::uint32_t>(capacity, 1)),
        _bucket_count(bucket_count_for(_capacity)),
        _buckets(new std::int32_t[_bucket_count]),
        _entries(new entry[_capacity]),
        _free(new std::int32_t[_capacity]),
        _free_count(_capacity),
        _live(new std::int32_t[_capacity]) {
    std::fill_n(_buckets.get(), _bucket_count, -1);
    for (std::uint32_t i = 0; i < _capacity; ++i) _free[i] = static_cast<std::int32_t>(_capacity - 1 - i);
  }

  entry* find(const Key& k, std::uint64_t h) noexcept {
    for (std::int32_t i = _buckets[h & (_bucket_count - 1)]; i >= 0; i = _entries[i].next) {
      if (_entries[i].hash == h && _entries[i].key == k) return &_entries[i];
    }
    return nullptr;
  }
  bool full() const noexcept { return _free_count == 0; }
  // Precondition: !full().
  entry* insert(const Key& k, std::uint64_t h, std::int64_t ts) noexcept {
    const std::int32_t i = _free[--_free_count];
    entry& e = _entries[i];
    e.key = k;
    e.value = Value{};
    e.hash = h;
    e.last_seen = ts;
    e.used = true;
    e.live_pos = static_cast<std::int32_t>(_live_count);
    _live[_live_count++] = i;
    std::int32_t& head = _buckets[h & (_bucket_count - 1)];
    e.next = head;
    head = i;
    return &e;
  }
  void erase(entry* e) noexcept {
    const auto i = static_cast<std::int32_t>(e - _entries.get());
    std::int32_t* link = &_buckets[e->hash & (_bucket_count - 1)];
    while (*link != i && *link >= 0) link = &_entries[*link].next;
    if (*link == i) *link = e->next;
    e->used = false;
    e->next = -1;
    const std::int32_t moved = _live[--_live_count];  // the last listed takes the erased one's place
    _live[e->live_pos] = moved;
    _entries[moved].live_pos = e->live_pos;
    e->live_pos = -1;
    _free[_free_count++] = i;
  }
  // An entry to evict when the table is full: the least recently seen of the next
  // `eviction_sample` slots after a rotating hand (sampled LRU, as Redis evicts). A full table
  // is the case under load (a flood of new flows): scanning all of it for the exact oldest
  // would cost O(capacity) per new flow exactly then. Precondition: full().
  static constexpr std::uint32_t eviction_sample = 8;
  entry* oldest() noexcept {
    entry* best = nullptr;
    for (std::uint32_t n = 0; n < eviction_sample; ++n) {
      entry& e = _entries[_hand];
      _hand = _hand + 1 == _capacity ? 0 : _hand + 1;
      if (e.used && (best == nullptr || e.last_seen < best->last_seen)) best = &e;
    }
    return best;  // every slot is used when full: never nullptr
  }
  // Calls f for every used entry: O(used), not O(capacity) (expire() runs every second of
  // capture time; on a sparse capture a scan of all slots was two thirds of the instructions).
  // `f` may erase the entry it is given, and nothing else: walked from the end of the dense list,
  // an erase moves an entry already visited into the place of the one erased.
  template <class F>
  void for_each(F&& f) noexcept {
    for (std::uint32_t n = _live_count; n-- > 0;) f(_entries[_live[n]]);
  }
  std::uint32_t size() const noexcept { return _live_count; }

 private:
  static std::uint32_t bucket_count_for(std::uint32_t capacity) noexcept {
    std::uint32_t n = 1;
    while (n < capacity * 2u && n < (1u << 30)) n <<= 1;
    return n;
  }
  std::uint32_t _capacity;
  std::uint32_t _bucket_count;
  std::unique_ptr<std::int32_t[]> _buckets;
  std::unique_ptr<entry[]> _entries;
  std::unique_ptr<std::int32_t[]> _free;
  std::uint32_t _free_count;
  std::unique_ptr<std::int32_t[]> _live;  // the used entries' indices, [0, _live_count)
  std::uint32_t _live_count = 0;
  std::uint32_t _hand = 0;  // oldest(): where the next sample starts
};

}  // namespace bssap::dec::detail
