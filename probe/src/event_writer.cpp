// The event log's writer thread (see event_writer.hpp).
#include "bssap/probe/event_writer.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "bssap/event.hpp"
#include "bssap/probe/log.hpp"

namespace bssap::probe {

namespace {
void pause_briefly() noexcept {
  std::this_thread::sleep_for(std::chrono::microseconds(200));
}
}  // namespace

event_writer::event_writer(bool lossless) noexcept : _lossless(lossless) {}

event_writer::~event_writer() {
  (void)close();
}

bool event_writer::open(const std::string& path, std::string& error, bool append) {
  if (path.empty()) return true;  // no event log asked for
  if (path == "-") {
    _file = stdout;
  } else {
    _path = path;
    _file = std::fopen(path.c_str(), append ? "a" : "w");
    if (_file == nullptr) {
      error = fmt::format("{}: cannot write: {}", path, std::strerror(errno));
      return false;
    }
    _owned = true;
  }
  for (std::size_t i = 0; i < buffers; ++i) {
    _pool.push_back(std::make_unique<std::string>());
    _pool.back()->reserve(buffer_bytes + 4096);
  }
  _active = true;
  _current = _pool[0].get();
  for (std::size_t i = 1; i < buffers; ++i) (void)_empty.push(_pool[i].get());
  _thread = std::thread([this] { writer_main(); });
  return true;
}

void event_writer::on_event(const event& e) noexcept {
  if (!_active) return;
  if (_current == nullptr) {
    // Every buffer is with the writer: live capture drops (counted), replay waits.
    if (!_lossless && !_empty.pop(_current)) {
      _dropped += 1;
      return;
    }
    while (_current == nullptr && !_empty.pop(_current)) pause_briefly();
  }
  append_json_line(e, *_current);
  if (_current->size() >= buffer_bytes) {
    hand_over();
    return;
  }
  // A slow live capture still shows its events within about a second.
  if ((++_since_check & 255) == 0) {
    const auto now = std::chrono::steady_clock::now();
    if (now - _last_hand_over >= std::chrono::seconds(1)) {
      _last_hand_over = now;
      hand_over();
    }
  }
}

void event_writer::hand_over() noexcept {
  if (_current == nullptr || _current->empty()) return;
  while (!_full.push(_current)) pause_briefly();  // never full: the pool is no larger than the queue
  _handed.fetch_add(1, std::memory_order_release);
  _current = nullptr;
  (void)_empty.pop(_current);  // nullptr when none is free yet: on_event takes one later
}

void event_writer::flush() noexcept {
  if (!_active) return;
  hand_over();
  const std::uint64_t target = _handed.load(std::memory_order_acquire);
  while (_written.load(std::memory_order_acquire) < target) pause_briefly();
  if (_current == nullptr)
    while (!_empty.pop(_current)) pause_briefly();
}

bool event_writer::close() noexcept {
  if (!_active) return !_write_error.load();
  flush();
  _active = false;
  _stop.store(true, std::memory_order_release);
  if (_thread.joinable()) _thread.join();
  if (std::fflush(_file) != 0) _write_error.store(true);
  if (_owned && std::fclose(_file) != 0) _write_error.store(true);
  _file = nullptr;
  return !_write_error.load();
}

void event_writer::reopen_now() noexcept {
  if (!_owned) return;  // stdout stays
  std::FILE* f = std::fopen(_path.c_str(), "a");
  if (f == nullptr) {
    log(log_level::error, "{}: cannot reopen, writing on to the old file: {}", _path, std::strerror(errno));
    return;
  }
  if (std::fclose(_file) != 0) _write_error.store(true);
  _file = f;
  _reopens.fetch_add(1, std::memory_order_release);
}

void event_writer::writer_main() noexcept {
  for (;;) {
    if (_reopen.exchange(false, std::memory_order_acq_rel)) reopen_now();
    std::string* b = nullptr;
    if (!_full.pop(b)) {
      if (_stop.load(std::memory_order_acquire) && _full.read_available() == 0) return;
      pause_briefly();
      continue;
    }
    if (std::fwrite(b->data(), 1, b->size(), _file) != b->size()) _write_error.store(true);
    if (_file == stdout) std::fflush(_file);  // a reader on a pipe sees events as they come
    b->clear();
    while (!_empty.push(b)) pause_briefly();
    _written.fetch_add(1, std::memory_order_release);
  }
}

}  // namespace bssap::probe
