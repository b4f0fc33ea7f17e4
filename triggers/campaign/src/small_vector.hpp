// A vector of trivially copyable values that keeps its first N in place and only then moves
// to the heap: a subscriber's history is a handful of records, and with std::vector each one
// cost an allocation, a reallocation per doubling and a cache miss to reach it.
//
// Only what the engine uses: no copy or move (it lives behind a unique_ptr), iterators are
// pointers, erase takes a range.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <type_traits>

namespace bssap::campaign {

template <class T, std::size_t N>
class small_vector {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  small_vector() = default;
  small_vector(const small_vector&) = delete;
  small_vector& operator=(const small_vector&) = delete;

  T* data() noexcept { return _heap ? _heap.get() : _inline; }
  const T* data() const noexcept { return _heap ? _heap.get() : _inline; }
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
    auto bigger = std::make_unique<T[]>(n);
    if (_size > 0) std::memcpy(bigger.get(), data(), _size * sizeof(T));
    _heap = std::move(bigger);
    _capacity = static_cast<std::uint32_t>(n);
  }

 private:
  T _inline[N];
  std::unique_ptr<T[]> _heap;
  std::uint32_t _size = 0;
  std::uint32_t _capacity = N;
};

}  // namespace bssap::campaign
