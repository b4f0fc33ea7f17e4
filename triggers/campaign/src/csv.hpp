// Private helpers of the operator tables: an RFC 4180 record reader over a whole file held in
// memory (fields are views into the text, or into one reused scratch buffer when a quoted field
// has "" escapes: no allocation per row once warm), packed digit strings, a string dictionary,
// an open-addressing index over packed keys, and a read-only file mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bssap::campaign::detail {

// A record reader. next() returns record (fields() valid until the next call), error (what()
// says why; the reader has skipped to the next line) or end.
class csv_reader {
 public:
  enum class status { record, error, end };
  explicit csv_reader(std::string_view text) noexcept;
  status next();
  const std::vector<std::string_view>& fields() const noexcept { return _fields; }
  std::uint64_t record_line() const noexcept { return _record_line; }  // 1-based line the record starts on
  const std::string& what() const noexcept { return _what; }

 private:
  struct field_ref {
    std::size_t offset;
    std::size_t length;
    bool in_scratch;
  };
  status fail(std::string what, std::size_t resume_from);
  std::string_view _text;
  std::size_t _pos = 0;
  std::uint64_t _line = 1;
  std::uint64_t _record_line = 0;
  std::vector<field_ref> _refs;
  std::vector<std::string_view> _fields;
  std::string _scratch;
  std::string _what;
};

// Digit strings packed into 64 bits: value in bits 0-49 (up to 15 digits), digit count in bits
// 50-53 (leading zeros survive), bit 54 set when the text had a leading '+'. 0 is "no value".
std::optional<std::uint64_t> pack_digits(std::string_view text, std::size_t min_digits, std::size_t max_digits,
                                         bool allow_plus) noexcept;
std::size_t unpack_digits(std::uint64_t packed, char* out) noexcept;  // writes up to 16 chars, returns count
constexpr std::uint64_t packed_plus = std::uint64_t{1} << 54;
constexpr std::uint64_t without_plus(std::uint64_t packed) noexcept {
  return packed & ~packed_plus;
}

// Each distinct string stored once; code 0 is "".
class dictionary {
 public:
  dictionary();
  std::uint32_t intern(std::string_view value);
  std::string_view get(std::uint32_t code) const noexcept {
    return std::string_view(_arena).substr(_offsets[code], _offsets[code + 1] - _offsets[code]);
  }
  std::size_t size() const noexcept { return _offsets.size() - 1; }
  void freeze();  // drops the build-time hash slots
  std::size_t memory_bytes() const noexcept;

 private:
  void grow();
  std::string _arena;
  std::vector<std::uint64_t> _offsets;
  std::vector<std::uint32_t> _slots;  // code + 1, 0 empty
};

// A column of dictionary codes, one per row, narrowed to 1, 2 or 4 bytes once loaded.
class coded_column {
 public:
  void push(std::string_view value) { _wide.push_back(_dict.intern(value)); }
  void reserve(std::size_t rows) { _wide.reserve(rows); }
  void freeze();
  std::string_view get(std::size_t row) const noexcept;
  void prefetch(std::size_t row) const noexcept {  // the row's code (frozen columns)
    if (row * _width < _codes.size()) __builtin_prefetch(&_codes[row * _width]);
  }
  std::size_t memory_bytes() const noexcept;

 private:
  dictionary _dict;
  std::vector<std::uint32_t> _wide;  // while loading
  std::vector<std::uint8_t> _codes;  // frozen, _width bytes per row
  unsigned _width = 0;
};

// Open addressing (linear probing) over row ids; the keys live in the caller's array.
class key_index {
 public:
  // key_mask: the bits of a stored key that count (lets MSISDNs keep their '+' flag).
  void init(std::size_t expected, std::uint64_t key_mask = ~std::uint64_t{0});
  // The row already holding key, else inserts row and returns nullopt.
  std::optional<std::uint32_t> insert(const std::vector<std::uint64_t>& keys, std::uint64_t key, std::uint32_t row);
  std::optional<std::uint32_t> find(const std::vector<std::uint64_t>& keys, std::uint64_t key) const noexcept;
  std::size_t memory_bytes() const noexcept { return _slots.capacity() * sizeof(std::uint32_t); }
  // For prefetching ahead of find: the key's first slot, and the row that slot holds (key's own
  // row when there was no collision; a hint only).
  void prefetch(std::uint64_t key) const noexcept {
    if (!_slots.empty()) __builtin_prefetch(&_slots[slot_of(key)]);
  }
  std::optional<std::uint32_t> first_row(std::uint64_t key) const noexcept {
    if (_slots.empty() || _slots[slot_of(key)] == 0) return std::nullopt;
    return _slots[slot_of(key)] - 1;
  }

 private:
  std::size_t slot_of(std::uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> _shift);
  }
  void grow(const std::vector<std::uint64_t>& keys);
  std::vector<std::uint32_t> _slots;  // row + 1, 0 empty
  unsigned _shift = 64;
  std::size_t _used = 0;
  std::uint64_t _mask = ~std::uint64_t{0};
};

// A whole file, read-only (mmap; empty files give an empty view).
class mapped_file {
 public:
  mapped_file() = default;
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file();
  bool open(const std::string& path, std::string& error);  // error: "PATH: reason"
  std::string_view text() const noexcept { return {_data, _size}; }

 private:
  const char* _data = nullptr;
  std::size_t _size = 0;
};

// Asks for transparent huge pages over the 2 MiB-aligned part of a large array (random lookups in
// tens of MiB otherwise miss the TLB as well as the cache); a hint, ignored where unsupported.
void advise_huge_pages(const void* data, std::size_t bytes) noexcept;
// n zeros, in huge pages where the kernel has them: advised before the first touch (advice given
// after the pages are touched only reaches khugepaged, which takes its time; every random lookup
// of a 4 KiB-paged index was a TLB miss too).
template <class T>
std::vector<T> zeroed_huge(std::size_t n) {
  std::vector<T> v;
  v.reserve(n);
  advise_huge_pages(v.data(), n * sizeof(T));
  v.resize(n);
  return v;
}

// Number of lines of text (an estimate of the rows, to size indexes once).
std::size_t count_lines(std::string_view text) noexcept;
// `text` shortened for a message.
std::string quoted(std::string_view text);

}  // namespace bssap::campaign::detail
