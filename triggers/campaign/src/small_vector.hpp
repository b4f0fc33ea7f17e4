// A vector of trivially copyable values that keeps its first N in place and only then moves
// to the heap: a subscriber's history is a handful of records, and with std::vector each one
// cost an allocation, a reallocation per doubling and a cache miss to reach it.
//
// The heap pointer shares its bytes with the in-place values (only one of them is in use), so
// small_vector<T, N> is N * sizeof(T) + 8 bytes: with 16-byte records and N = 3, 56 bytes, and
// the subscriber's extra part around it one cache line (subscriber_states.hpp).
//
// Only what the engine uses: no copy or move (it lives in a pool that never moves it),
// iterators are pointers, erase takes a range.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <type_traits>

namespace bssap::campaign {

template <class T, std::size_t N>
class small_vector {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
  static_assert(N * sizeof(T) >= sizeof(T*));

 public:
  small_vector() noexcept {}  // the in-place bytes are left undefined: values come with _size
  small_vector(const small_vector&) = delete;
  small_vector& operator=(const small_vector&) = delete;
  ~small_vector() {
    if (on_heap()) delete[] _heap;
  }

  // The values are implicit-lifetime objects (trivially copyable): bytes copied in are values.
  T* data() noexcept { return on_heap() ? _heap : reinterpret_cast<T*>(_inline); }
  const T* data() const noexcept { return on_heap() ? _heap : reinterpret_cast<const T*>(_inline); }
  std::size_t size() const noexcept { return _size; }
  bool empty() const noexcept { return _size == 0; }
  T* begin() noexcept { return data(); }
  T* end() noexcept { return data() + _size; }
  const T* begin() const noexcept { return data(); }
  const T* end() const noexcept { return data() + _size; }
  std::reverse_iterator<const T*> rbegin() const noexcept { return std::reverse_iterator<const T*>(end()); }
  std::reverse_iterator<const T*> rend() const noexcept { return std::reverse_iterator<const T*>(begin()); }
  T& operator[](std::size_t i) noexcept { return data()[i]; }
  const T& operator[](std::size_t i) const noexcept { return data()[i]; }
  T& back() noexcept { return data()[_size - 1]; }

  void push_back(const T& v) {
    if (_size == _capacity) reserve(std::size_t{_capacity} * 2);
    data()[_size++] = v;
  }
  // Shrinks, or grows with default values.
  void resize(std::size_t n) {
    if (n > _capacity) reserve(std::max<std::size_t>(n, std::size_t{_capacity} * 2));
    for (std::size_t i = _size; i < n; ++i) data()[i] = T{};
    _size = static_cast<std::uint32_t>(n);
  }
  void clear() noexcept { _size = 0; }
  // Removes [first, last).
  void erase(const T* first, const T* last) noexcept {
    T* d = data();
    const auto from = static_cast<std::size_t>(first - d), to = static_cast<std::size_t>(last - d);
    if (from == to) return;
    std::memmove(d + from, d + to, (_size - to) * sizeof(T));
    _size -= static_cast<std::uint32_t>(to - from);
  }
  void reserve(std::size_t n) {
    if (n <= _capacity) return;
    T* bigger = new T[n];
    if (_size > 0) std::memcpy(bigger, data(), _size * sizeof(T));
    if (on_heap()) delete[] _heap;
    _heap = bigger;
    _capacity = static_cast<std::uint32_t>(n);
  }

 private:
  bool on_heap() const noexcept { return _capacity > N; }

  union {
    alignas(T) unsigned char _inline[N * sizeof(T)];
    T* _heap;
  };
  std::uint32_t _size = 0;
  std::uint32_t _capacity = N;
};

}  // namespace bssap::campaign
