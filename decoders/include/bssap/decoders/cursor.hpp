// byte_cursor: bounds-checked, zero-copy reads over a captured byte span.
// Every read reports failure instead of reading past the end; a nested decoder gets a
// sub-cursor limited to its enclosing length and cannot see past it.
// References: ../shared/STYLE.md "The decoder shape".
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bssap/decoders/result.hpp"

namespace bssap::dec {

using bytes = std::span<const std::byte>;

inline bytes as_bytes(const void* data, std::size_t size) noexcept {
  return {static_cast<const std::byte*>(data), size};
}

constexpr std::uint8_t u8_at(bytes b, std::size_t i) noexcept {
  return std::to_integer<std::uint8_t>(b[i]);
}

class byte_cursor {
 public:
  constexpr byte_cursor() noexcept = default;
  constexpr explicit byte_cursor(bytes data) noexcept : _data(data) {}

  constexpr std::size_t remaining() const noexcept { return _data.size() - _pos; }
  constexpr std::size_t position() const noexcept { return _pos; }
  constexpr bool empty() const noexcept { return remaining() == 0; }
  constexpr bytes rest() const noexcept { return _data.subspan(_pos); }
  constexpr bytes whole() const noexcept { return _data; }

  // Each read returns false (and leaves the cursor where it was) when the bytes are not there.
  [[nodiscard]] constexpr bool u8(std::uint8_t& out) noexcept {
    if (remaining() < 1) return false;
    out = u8_at(_data, _pos);
    _pos += 1;
    return true;
  }
  [[nodiscard]] constexpr bool be16(std::uint16_t& out) noexcept {
    if (remaining() < 2) return false;
    out = static_cast<std::uint16_t>(u8_at(_data, _pos) << 8 | u8_at(_data, _pos + 1));
    _pos += 2;
    return true;
  }
  [[nodiscard]] constexpr bool le16(std::uint16_t& out) noexcept {
    if (remaining() < 2) return false;
    out = static_cast<std::uint16_t>(u8_at(_data, _pos + 1) << 8 | u8_at(_data, _pos));
    _pos += 2;
    return true;
  }
  [[nodiscard]] constexpr bool be24(std::uint32_t& out) noexcept {
    if (remaining() < 3) return false;
    out = std::uint32_t{u8_at(_data, _pos)} << 16 | std::uint32_t{u8_at(_data, _pos + 1)} << 8 |
          std::uint32_t{u8_at(_data, _pos + 2)};
    _pos += 3;
    return true;
  }
  [[nodiscard]] constexpr bool le24(std::uint32_t& out) noexcept {
    if (remaining() < 3) return false;
    out = std::uint32_t{u8_at(_data, _pos + 2)} << 16 | std::uint32_t{u8_at(_data, _pos + 1)} << 8 |
          std::uint32_t{u8_at(_data, _pos)};
    _pos += 3;
    return true;
  }
  [[nodiscard]] constexpr bool be32(std::uint32_t& out) noexcept {
    if (remaining() < 4) return false;
    out = std::uint32_t{u8_at(_data, _pos)} << 24 | std::uint32_t{u8_at(_data, _pos + 1)} << 16 |
          std::uint32_t{u8_at(_data, _pos + 2)} << 8 | std::uint32_t{u8_at(_data, _pos + 3)};
    _pos += 4;
    return true;
  }
  [[nodiscard]] constexpr bool le32(std::uint32_t& out) noexcept {
    if (remaining() < 4) return false;
    out = std::uint32_t{u8_at(_data, _pos + 3)} << 24 | std::uint32_t{u8_at(_data, _pos + 2)} << 16 |
          std::uint32_t{u8_at(_data, _pos + 1)} << 8 | std::uint32_t{u8_at(_data, _pos)};
    _pos += 4;
    return true;
  }
  // take(n): the next n bytes as a span, advancing past them.
  [[nodiscard]] constexpr bool take(std::size_t n, bytes& out) noexcept {
    if (remaining() < n) return false;
    out = _data.subspan(_pos, n);
    _pos += n;
    return true;
  }
  // sub(n): a cursor over the next n bytes only, advancing past them.
  [[nodiscard]] constexpr bool sub(std::size_t n, byte_cursor& out) noexcept {
    bytes b;
    if (!take(n, b)) return false;
    out = byte_cursor(b);
    return true;
  }
  [[nodiscard]] constexpr bool skip(std::size_t n) noexcept {
    if (remaining() < n) return false;
    _pos += n;
    return true;
  }
  // peek(): the next byte without advancing.
  [[nodiscard]] constexpr bool peek(std::uint8_t& out) const noexcept {
    if (remaining() < 1) return false;
    out = u8_at(_data, _pos);
    return true;
  }

 private:
  bytes _data{};
  std::size_t _pos = 0;
};

}  // namespace bssap::dec
