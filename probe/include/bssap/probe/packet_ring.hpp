// packet_ring: a single-producer single-consumer ring of variable-size packets (header + bytes,
// contiguous), so a frame is copied once from the capture buffer and never allocated.
// The producer never waits: try_push() fails when the ring is full and the caller counts a drop.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

namespace bssap::probe {

// packet: a frame (linktype set); unit: an SCCP unit (see pipeline.cpp); tick: progress only.
enum class ring_item : std::uint16_t { packet = 0, tick = 1, eof = 2, pad = 3, unit = 4 };

struct alignas(32) ring_header {
  std::uint32_t size = 0;  // bytes of the whole item (header + data, padded)
  std::uint32_t caplen = 0;
  ring_item kind = ring_item::packet;
  std::uint16_t linktype = 0;
  std::uint32_t reserved = 0;
  std::uint64_t seq = 0;
  std::int64_t ts_us = 0;

  std::span<const std::byte> data() const noexcept { return {reinterpret_cast<const std::byte*>(this + 1), caplen}; }
};
static_assert(sizeof(ring_header) == 32);

class packet_ring {
 public:
  // `bytes` is rounded up to a power of two (at least 64 KiB).
  explicit packet_ring(std::size_t bytes) {
    std::size_t n = 65536;
    while (n < bytes) n <<= 1;
    _size = n;
    _buffer.reset(static_cast<std::byte*>(::operator new (n, std::align_val_t{64})));
  }
  packet_ring(const packet_ring&) = delete;
  packet_ring& operator=(const packet_ring&) = delete;
  ~packet_ring() = default;

  // Producer.
  // The item's bytes are `data` followed by `more` (a fixed header and a payload, say).
  bool try_push(ring_item kind, std::uint16_t linktype, std::uint64_t seq, std::int64_t ts_us,
                std::span<const std::byte> data, std::span<const std::byte> more = {}) noexcept {
    const std::size_t need = round_up(sizeof(ring_header) + data.size() + more.size());
    if (need > _size / 2) return false;
    const std::uint64_t tail = _tail.load(std::memory_order_relaxed);
    const std::size_t offset = tail & (_size - 1);
    const std::size_t pad = offset + need > _size ? _size - offset : 0;
    if (_size - (tail - _head_cache) < pad + need) {
      _head_cache = _head.load(std::memory_order_acquire);
      if (_size - (tail - _head_cache) < pad + need) return false;
    }
    std::uint64_t at = tail;
    if (pad != 0) {
      auto* h = new (_buffer.get() + offset) ring_header{};
      h->size = static_cast<std::uint32_t>(pad);
      h->kind = ring_item::pad;
      at += pad;
    }
    auto* h = new (_buffer.get() + (at & (_size - 1))) ring_header{};
    h->size = static_cast<std::uint32_t>(need);
    h->caplen = static_cast<std::uint32_t>(data.size() + more.size());
    h->kind = kind;
    h->linktype = linktype;
    h->seq = seq;
    h->ts_us = ts_us;
    if (!data.empty()) std::memcpy(h + 1, data.data(), data.size());
    if (!more.empty()) std::memcpy(reinterpret_cast<std::byte*>(h + 1) + data.size(), more.data(), more.size());
    _tail.store(at + need, std::memory_order_release);
    return true;
  }

  // Consumer: the next item, or nullptr when empty. Valid until pop().
  const ring_header* peek() noexcept {
    for (;;) {
      const std::uint64_t head = _head.load(std::memory_order_relaxed);
      if (head == _tail_cache) {
        _tail_cache = _tail.load(std::memory_order_acquire);
        if (head == _tail_cache) return nullptr;
      }
      const auto* h = reinterpret_cast<const ring_header*>(_buffer.get() + (head & (_size - 1)));
      if (h->kind != ring_item::pad) return h;
      _head.store(head + h->size, std::memory_order_release);
    }
  }
  void pop() noexcept {
    const std::uint64_t head = _head.load(std::memory_order_relaxed);
    const auto* h = reinterpret_cast<const ring_header*>(_buffer.get() + (head & (_size - 1)));
    _head.store(head + h->size, std::memory_order_release);
  }

 private:
  static constexpr std::size_t round_up(std::size_t n) noexcept { return (n + 31) & ~std::size_t{31}; }
  struct aligned_delete {
    void operator()(std::byte* p) const noexcept { ::operator delete (p, std::align_val_t{64}); }
  };

  std::unique_ptr<std::byte, aligned_delete> _buffer;
  std::size_t _size = 0;
  alignas(64) std::atomic<std::uint64_t> _tail{0};
  std::uint64_t _head_cache = 0;  // producer's view of _head
  alignas(64) std::atomic<std::uint64_t> _head{0};
  std::uint64_t _tail_cache = 0;  // consumer's view of _tail
};

}  // namespace bssap::probe
