// Private helpers of the operator tables (csv.hpp).
#include "csv.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

namespace bssap::campaign::detail {

csv_reader::csv_reader(std::string_view text) noexcept : _text(text) {
  if (_text.substr(0, 3) == "\xEF\xBB\xBF") _pos = 3;  // UTF-8 byte order mark
}

csv_reader::status csv_reader::fail(std::string what, std::size_t resume_from) {
  _what = std::move(what);
  const void* nl =
      resume_from < _text.size() ? std::memchr(_text.data() + resume_from, '\n', _text.size() - resume_from) : nullptr;
  if (nl == nullptr) {
    _pos = _text.size();
  } else {
    _pos = static_cast<std::size_t>(static_cast<const char*>(nl) - _text.data()) + 1;
    ++_line;
  }
  return status::error;
}

csv_reader::status csv_reader::next() {
  const std::size_t size = _text.size();
  const char* data = _text.data();
  // Blank lines separate nothing: skip them.
  for (;;) {
    if (_pos >= size) return status::end;
    if (data[_pos] == '\n') {
      ++_pos;
      ++_line;
    } else if (data[_pos] == '\r' && _pos + 1 < size && data[_pos + 1] == '\n') {
      _pos += 2;
      ++_line;
    } else {
      break;
    }
  }
  _record_line = _line;
  _refs.clear();
  _fields.clear();
  _scratch.clear();
  for (;;) {
    if (_pos < size && data[_pos] == '"') {
      const std::size_t quote_pos = _pos;
      const std::uint64_t quote_line = _line;
      ++_pos;
      const std::size_t begin = _pos;
      const std::size_t scratch_begin = _scratch.size();
      bool escaped = false;
      std::size_t close = 0;
      for (;;) {
        const void* q = std::memchr(data + _pos, '"', size - _pos);
        if (q == nullptr) {
          _line = quote_line;
          return fail("unbalanced quotes", quote_pos);
        }
        const auto qpos = static_cast<std::size_t>(static_cast<const char*>(q) - data);
        _line += static_cast<std::uint64_t>(std::count(data + _pos, data + qpos, '\n'));
        if (qpos + 1 < size && data[qpos + 1] == '"') {
          _scratch.append(data + _pos, qpos + 1 - _pos);
          escaped = true;
          _pos = qpos + 2;
          continue;
        }
        if (escaped) _scratch.append(data + _pos, qpos - _pos);
        close = qpos;
        _pos = qpos + 1;
        break;
      }
      if (escaped) {
        _refs.push_back({scratch_begin, _scratch.size() - scratch_begin, true});
      } else {
        _refs.push_back({begin, close - begin, false});
      }
      if (_pos >= size) break;
      const char c = data[_pos];
      if (c == ',') {
        ++_pos;
        continue;
      }
      if (c == '\n') {
        ++_pos;
        ++_line;
        break;
      }
      if (c == '\r' && _pos + 1 < size && data[_pos + 1] == '\n') {
        _pos += 2;
        ++_line;
        break;
      }
      return fail("text after a closing quote", _pos);
    }
    const std::size_t begin = _pos;
    std::size_t end = _pos;
    while (end < size) {
      const char c = data[end];
      if (c == ',' || c == '\n') break;
      if (c == '"') return fail("quote inside an unquoted field", end);
      ++end;
    }
    std::size_t field_end = end;
    if (end < size && data[end] == '\n' && field_end > begin && data[field_end - 1] == '\r') --field_end;
    _refs.push_back({begin, field_end - begin, false});
    if (end >= size) {
      _pos = size;
      break;
    }
    _pos = end + 1;
    if (data[end] == '\n') {
      ++_line;
      break;
    }
    if (_pos >= size) {  // a trailing comma at the very end: one more, empty, field
      _refs.push_back({size, 0, false});
      break;
    }
  }
  for (const field_ref& r : _refs) {
    _fields.emplace_back(r.in_scratch ? std::string_view(_scratch).substr(r.offset, r.length)
                                      : _text.substr(r.offset, r.length));
  }
  return status::record;
}

std::optional<std::uint64_t> pack_digits(std::string_view text, std::size_t min_digits, std::size_t max_digits,
                                         bool allow_plus) noexcept {
  std::uint64_t flags = 0;
  if (allow_plus && !text.empty() && text.front() == '+') {
    flags = packed_plus;
    text.remove_prefix(1);
  }
  if (text.size() < min_digits || text.size() > max_digits || text.size() > 15 || text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value | (static_cast<std::uint64_t>(text.size()) << 50) | flags;
}

std::size_t unpack_digits(std::uint64_t packed, char* out) noexcept {
  const auto count = static_cast<std::size_t>((packed >> 50) & 0xF);
  std::size_t n = 0;
  if (count == 0) return 0;
  if ((packed & packed_plus) != 0) out[n++] = '+';
  std::uint64_t value = packed & ((std::uint64_t{1} << 50) - 1);
  for (std::size_t i = count; i > 0; --i) {
    out[n + i - 1] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return n + count;
}

dictionary::dictionary() : _offsets{0, 0}, _slots(16, 0) {
  _slots[std::hash<std::string_view>{}(std::string_view{}) & (_slots.size() - 1)] = 1;  // code 0 = ""
}

std::uint32_t dictionary::intern(std::string_view value) {
  const std::size_t mask = _slots.size() - 1;
  std::size_t slot = std::hash<std::string_view>{}(value)&mask;
  for (;;) {
    const std::uint32_t entry = _slots[slot];
    if (entry == 0) break;
    if (get(entry - 1) == value) return entry - 1;
    slot = (slot + 1) & mask;
  }
  const auto code = static_cast<std::uint32_t>(size());
  _arena.append(value);
  _offsets.push_back(_arena.size());
  _slots[slot] = code + 1;
  if (size() * 2 > _slots.size()) grow();
  return code;
}

void dictionary::grow() {
  std::vector<std::uint32_t> slots(_slots.size() * 2, 0);
  const std::size_t mask = slots.size() - 1;
  for (std::uint32_t code = 0; code < size(); ++code) {
    std::size_t slot = std::hash<std::string_view>{}(get(code)) & mask;
    while (slots[slot] != 0) slot = (slot + 1) & mask;
    slots[slot] = code + 1;
  }
  _slots.swap(slots);
}

void dictionary::freeze() {
  std::vector<std::uint32_t>().swap(_slots);
  _arena.shrink_to_fit();
  _offsets.shrink_to_fit();
}

std::size_t dictionary::memory_bytes() const noexcept {
  return _arena.capacity() + _offsets.capacity() * sizeof(std::uint64_t) + _slots.capacity() * sizeof(std::uint32_t);
}

void coded_column::freeze() {
  _dict.freeze();
  const std::size_t distinct = _dict.size();
  _width = distinct <= 0x100 ? 1 : distinct <= 0x10000 ? 2 : 4;
  _codes = zeroed_huge<std::uint8_t>(_wide.size() * _width);
  for (std::size_t i = 0; i < _wide.size(); ++i) std::memcpy(&_codes[i * _width], &_wide[i], _width);  // little end.
  std::vector<std::uint32_t>().swap(_wide);
}

std::string_view coded_column::get(std::size_t row) const noexcept {
  std::uint32_t code = 0;
  if (_width == 0) {
    if (row < _wide.size()) code = _wide[row];
  } else if (row * _width < _codes.size()) {
    std::memcpy(&code, &_codes[row * _width], _width);
  }
  return _dict.get(code);
}

std::size_t coded_column::memory_bytes() const noexcept {
  return _dict.memory_bytes() + _wide.capacity() * sizeof(std::uint32_t) + _codes.capacity();
}

void key_index::init(std::size_t expected, std::uint64_t key_mask) {
  _mask = key_mask;
  std::size_t capacity = 16;
  unsigned bits = 4;
  while (capacity * 3 < expected * 4) {  // load factor <= 0.75
    capacity *= 2;
    ++bits;
  }
  _slots = zeroed_huge<std::uint32_t>(capacity);
  _shift = 64 - bits;
  _used = 0;
}

std::optional<std::uint32_t> key_index::insert(const std::vector<std::uint64_t>& keys, std::uint64_t key,
                                               std::uint32_t row) {
  if (_slots.empty()) init(16);
  const std::size_t mask = _slots.size() - 1;
  std::size_t slot = slot_of(key);
  for (;;) {
    const std::uint32_t entry = _slots[slot];
    if (entry == 0) break;
    if ((keys[entry - 1] & _mask) == key) return entry - 1;
    slot = (slot + 1) & mask;
  }
  _slots[slot] = row + 1;
  if (++_used * 4 > _slots.size() * 3) grow(keys);
  return std::nullopt;
}

void key_index::grow(const std::vector<std::uint64_t>& keys) {
  std::vector<std::uint32_t> old;
  old.swap(_slots);
  _slots = zeroed_huge<std::uint32_t>(old.size() * 2);
  --_shift;
  const std::size_t mask = _slots.size() - 1;
  for (const std::uint32_t entry : old) {
    if (entry == 0) continue;
    std::size_t slot = slot_of(keys[entry - 1] & _mask);
    while (_slots[slot] != 0) slot = (slot + 1) & mask;
    _slots[slot] = entry;
  }
}

std::optional<std::uint32_t> key_index::find(const std::vector<std::uint64_t>& keys, std::uint64_t key) const noexcept {
  if (_slots.empty()) return std::nullopt;
  const std::size_t mask = _slots.size() - 1;
  std::size_t slot = slot_of(key);
  for (;;) {
    const std::uint32_t entry = _slots[slot];
    if (entry == 0) return std::nullopt;
    if ((keys[entry - 1] & _mask) == key) return entry - 1;
    slot = (slot + 1) & mask;
  }
}

mapped_file::~mapped_file() {
  if (_data != nullptr) ::munmap(const_cast<char*>(_data), _size);
}

bool mapped_file::open(const std::string& path, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    ::close(fd);
    return false;
  }
  _size = static_cast<std::size_t>(st.st_size);
  if (_size > 0) {
    void* p = ::mmap(nullptr, _size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) {
      error = path + ": cannot map: " + std::strerror(errno);
      ::close(fd);
      _size = 0;
      return false;
    }
    ::madvise(p, _size, MADV_SEQUENTIAL);
    _data = static_cast<const char*>(p);
  }
  ::close(fd);
  return true;
}

void advise_huge_pages(const void* data, std::size_t bytes) noexcept {
  constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + huge - 1) & ~(huge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(huge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

std::size_t count_lines(std::string_view text) noexcept {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

std::string quoted(std::string_view text) {
  std::string out = "'";
  if (text.size() > 40) {
    out.append(text.substr(0, 40));
    out += "...";
  } else {
    out.append(text);
  }
  out += "'";
  return out;
}

}  // namespace bssap::campaign::detail
