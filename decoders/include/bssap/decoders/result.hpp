// result<T>: a decoded view or a decode_error, the return type of every decoder.
// References: ../shared/STYLE.md "The decoder shape".
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

namespace bssap::dec {

// Why a decoder refused its input. Keep the list short and general: the layer that
// reports it (see layer below) gives the context, and each pair is counted.
enum class decode_error : std::uint8_t {
  none = 0,
  truncated,      // the bytes end before the structure does; in a frame's own headers (link to
                  // M3UA/MTP) packet_stack counts it only when the capture's snaplen cut the frame
  bad_length,     // a length field contradicts the bytes around it (a lying length); in a frame
                  // captured whole, a header or length that runs past its end is one
  bad_pointer,    // an SCCP/offset pointer points outside its message
  bad_value,      // a field holds a value the spec forbids
  bad_checksum,   // CRC / checksum mismatch
  unsupported,    // well-formed but not something we decode (other protocol, version, variant)
  missing_ie,     // a mandatory information element is absent
  out_of_memory,  // a bounded table (reassembly, flows) is full: the input was dropped, not stored
  duplicate,      // a retransmission already decoded once
  count_
};

constexpr std::size_t decode_error_count = static_cast<std::size_t>(decode_error::count_);

constexpr std::string_view to_string(decode_error e) noexcept {
  switch (e) {
    case decode_error::none:
      return "none";
    case decode_error::truncated:
      return "truncated";
    case decode_error::bad_length:
      return "bad_length";
    case decode_error::bad_pointer:
      return "bad_pointer";
    case decode_error::bad_value:
      return "bad_value";
    case decode_error::bad_checksum:
      return "bad_checksum";
    case decode_error::unsupported:
      return "unsupported";
    case decode_error::missing_ie:
      return "missing_ie";
    case decode_error::out_of_memory:
      return "out_of_memory";
    case decode_error::duplicate:
      return "duplicate";
    case decode_error::count_:
      break;
  }
  return "?";
}

// A minimal std::expected for C++20: a value or an error, never both, never an exception.
template <class T>
class [[nodiscard]] result {
 public:
  static_assert(std::is_nothrow_move_constructible_v<T>);

  // By reference, not by value: a decoder's `return view;` then copies the view once, straight
  // into the result, instead of into a parameter first (views reach several hundred octets).
  constexpr result(const T& value) noexcept : _value(value), _error(decode_error::none) {}
  constexpr result(T&& value) noexcept : _value(std::move(value)), _error(decode_error::none) {}
  constexpr result(decode_error error) noexcept : _value(), _error(error) {}

  constexpr bool ok() const noexcept { return _error == decode_error::none; }
  constexpr explicit operator bool() const noexcept { return ok(); }
  constexpr decode_error error() const noexcept { return _error; }

  constexpr const T& value() const& noexcept { return _value; }
  constexpr T& value() & noexcept { return _value; }
  constexpr const T& operator*() const& noexcept { return _value; }
  constexpr T& operator*() & noexcept { return _value; }
  constexpr const T* operator->() const noexcept { return &_value; }
  constexpr T* operator->() noexcept { return &_value; }

 private:
  T _value;  // default-constructed on error: views are cheap PODs
  decode_error _error;
};

// The result-returning form of a decoder written as `decode_error f_into(..., T& out)`: runs
// `fill` on a default-constructed T and returns it, or the error `fill` gave. The *_into forms
// are the hot path (no view copied through a return value); this serves every other caller.
template <class T, class Fill>
result<T> result_from(Fill&& fill) noexcept {
  T value;
  const decode_error e = fill(value);
  if (e != decode_error::none) return e;
  return value;
}

}  // namespace bssap::dec
