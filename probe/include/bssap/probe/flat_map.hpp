// flat_map: an open-addressing hash map (linear probing, backward-shift erase) for the probe's
// hot lookups (SCCP reference -> connection, TMSI -> IMSI key). One array of slots: a lookup
// touches one or two cache lines instead of walking std::unordered_map's node chain, and
// inserts allocate only when the table doubles (load factor <= 1/2), never per entry.
#pragma once

#include "bssap/decoders/hash.hpp"

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace bssap::probe {

template <typename K, typename V>
class flat_map {
  static_assert(std::is_integral_v<K> && std::is_trivially_copyable_v<V>, "integer keys, plain values");

 public:
  explicit flat_map(std::size_t capacity = 16) { rehash(capacity); }

  std::size_t size() const noexcept { return _size; }

  V* find(K key) noexcept {
    for (std::size_t i = index(key);; i = (i + 1) & _mask) {
      slot& s = _slots[i];
      if (!s.used) return nullptr;
      if (s.key == key) return &s.value;
    }
  }
  const V* find(K key) const noexcept { return const_cast<flat_map*>(this)->find(key); }

  // Inserts or overwrites.
  void set(K key, V value) {
    if ((_size + 1) * 2 > _slots.size()) rehash(_slots.size() * 2);
    for (std::size_t i = index(key);; i = (i + 1) & _mask) {
      slot& s = _slots[i];
      if (!s.used) {
        s = slot{key, value, true};
        ++_size;
        return;
      }
      if (s.key == key) {
        s.value = value;
        return;
      }
    }
  }

  bool erase(K key) noexcept {
    std::size_t i = index(key);
    for (;; i = (i + 1) & _mask) {
      if (!_slots[i].used) return false;
      if (_slots[i].key == key) break;
    }
    // Backward shift: move later members of the probe run into the hole so that every entry
    // stays reachable from its home slot without tombstones.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & _mask; _slots[j].used; j = (j + 1) & _mask) {
      const std::size_t home = index(_slots[j].key);
      // j may move to hole when home is not cyclically in (hole, j].
      const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays) {
        _slots[hole] = _slots[j];
        hole = j;
      }
    }
    _slots[hole].used = false;
    --_size;
    return true;
  }

  void clear() noexcept {
    for (auto& s : _slots) s.used = false;
    _size = 0;
  }

 private:
  struct slot {
    K key{};
    V value{};
    bool used = false;
  };

  std::size_t index(K key) const noexcept {
    return static_cast<std::size_t>(dec::mix64(static_cast<std::uint64_t>(key))) & _mask;
  }

  void rehash(std::size_t capacity) {
    std::size_t n = 16;
    while (n < capacity) n *= 2;
    std::vector<slot> old;
    old.swap(_slots);
    _slots.assign(n, slot{});
    _mask = n - 1;
    _size = 0;
    for (const auto& s : old)
      if (s.used) set(s.key, s.value);
  }

  std::vector<slot> _slots;
  std::size_t _mask = 0;
  std::size_t _size = 0;
};

}  // namespace bssap::probe
