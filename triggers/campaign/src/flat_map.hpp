// An open-addressing hash map from a nonzero 64-bit key to a value, for the engine's per-
// subscriber state: tens of millions of entries, looked up once per event. Key and value share
// a slot, so a lookup costs one cache miss where std::unordered_map costs two or three (bucket,
// node, value) and a node allocation per subscriber.
//
// Linear probing over a power-of-two table grown at 3/4 load; no erase (a subscriber's state
// stays for the life of the engine). References are valid until the next insertion.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "csv.hpp"

namespace bssap::campaign {

template <class Value>
class flat_map {
 public:
  // nullptr when absent.
  Value* find(std::uint64_t key) noexcept {
    if (_slots.empty()) return nullptr;
    for (std::size_t i = index_of(key);; i = (i + 1) & _mask) {
      if (_slots[i].key == key) return &_slots[i].value;
      if (_slots[i].key == 0) return nullptr;
    }
  }
  const Value* find(std::uint64_t key) const noexcept { return const_cast<flat_map*>(this)->find(key); }

  // Starts loading the slot where a lookup of `key` begins (its home slot and the next line).
  void prefetch(std::uint64_t key) const noexcept {
    if (_slots.empty()) return;
    const auto* p = reinterpret_cast<const char*>(&_slots[index_of(key)]);
    __builtin_prefetch(p);
    __builtin_prefetch(p + sizeof(slot) - 1);
  }

  // Room for `n` keys without growing: a grow holds the old and the new table at once, so a
  // table sized up front (from the profile table) peaks at its own size.
  void reserve(std::size_t n) {
    std::size_t capacity = 1024;
    while (n * 4 > capacity * 3) capacity *= 2;
    if (capacity > _slots.size()) rehash(capacity);
  }

  // The value of `key`, inserted default-constructed when absent. `key` must not be 0.
  Value& operator[](std::uint64_t key) {
    if ((_size + 1) * 4 > _slots.size() * 3) rehash(_slots.empty() ? 1024 : _slots.size() * 2);
    for (std::size_t i = index_of(key);; i = (i + 1) & _mask) {
      if (_slots[i].key == key) return _slots[i].value;
      if (_slots[i].key == 0) {
        _slots[i].key = key;
        ++_size;
        return _slots[i].value;
      }
    }
  }

  template <class F>
  void each(F&& f) {
    for (auto& s : _slots)
      if (s.key != 0) f(s.key, s.value);
  }

  // Slot by slot, for a scan that prefetches ahead: key 0 = an empty slot.
  std::size_t slot_count() const noexcept { return _slots.size(); }
  std::uint64_t key_at(std::size_t i) const noexcept { return _slots[i].key; }
  const Value& value_at(std::size_t i) const noexcept { return _slots[i].value; }

  std::size_t size() const noexcept { return _size; }
  std::size_t memory_bytes() const noexcept { return _slots.capacity() * sizeof(slot); }

 private:
  struct slot {
    std::uint64_t key = 0;
    Value value{};
  };

  // Fibonacci hashing: the key's high product bits pick the slot (IMSI keys differ in low digits).
  std::size_t index_of(std::uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ull) >> _shift) & _mask;
  }

  void rehash(std::size_t capacity) {
    std::vector<slot> old = std::move(_slots);
    _slots = std::vector<slot>();
    _slots.reserve(capacity);
    // Huge pages before the first touch: every lookup lands on a random slot, and with 4 KiB
    // pages most of them missed the TLB too.
    detail::advise_huge_pages(_slots.data(), capacity * sizeof(slot));
    _slots.resize(capacity);
    _mask = capacity - 1;
    _shift = 64;
    for (std::size_t c = capacity; c > 1; c >>= 1) --_shift;
    for (auto& s : old) {
      if (s.key == 0) continue;
      std::size_t i = index_of(s.key);
      while (_slots[i].key != 0) i = (i + 1) & _mask;
      _slots[i].key = s.key;
      _slots[i].value = std::move(s.value);
    }
  }

  std::vector<slot> _slots;
  std::size_t _size = 0;
  std::size_t _mask = 0;
  unsigned _shift = 64;
};

}  // namespace bssap::campaign
