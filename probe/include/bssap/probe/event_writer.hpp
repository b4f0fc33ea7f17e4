// event_writer: the event log (JSON lines to a file or stdout) written by a thread of its own,
// so that the thread that correlates (the capture thread) formats into memory and never does
// file I/O. Events are appended to a 1 MiB buffer; a full buffer goes to the writer thread over
// a single-producer single-consumer queue and an empty one comes back over another, from a pool
// of a fixed number of buffers. When every buffer is in flight (the disk is slower than the
// events), a lossless writer (replay) waits for one; a lossy one (live capture, which must not
// wait) drops the event and counts it. A buffer also goes over once a second of events has
// gathered in it, so that a quiet live capture's log is never more than about a second behind.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bssap/event_sink.hpp"

namespace bssap::probe {

class event_writer final : public event_sink {
 public:
  static constexpr std::size_t buffer_bytes = 1u << 20;
  static constexpr std::size_t buffers = 16;

  explicit event_writer(bool lossless) noexcept;
  ~event_writer() override;
  event_writer(const event_writer&) = delete;
  event_writer& operator=(const event_writer&) = delete;

  // "" = no log (events are discarded here), "-" = stdout. False with `error` when the file
  // cannot be opened; starts the writer thread otherwise. `append`: keep what the file holds
  // (a live service restarting), else start it empty (a replay).
  bool open(const std::string& path, std::string& error, bool append = false);
  // SIGHUP after logrotate: the writer thread closes the file and opens the path again (a new
  // file when it was moved), between two buffers, so no event is lost or split. Any thread.
  // When the path cannot be opened, the old file stays and the writer says so on stderr.
  void reopen() noexcept { _reopen.store(true, std::memory_order_release); }
  std::uint64_t reopened() const noexcept { return _reopens.load(std::memory_order_acquire); }
  // The producer side: one thread only.
  void on_event(const event& e) noexcept override;
  // Hands the current buffer over and waits until everything handed over is written.
  void flush() noexcept;
  // flush(), stops the writer thread, closes the file. False when any write failed.
  bool close() noexcept;

  std::uint64_t dropped() const noexcept { return _dropped; }  // lossy mode: events not written

 private:
  void hand_over() noexcept;
  void writer_main() noexcept;
  void reopen_now() noexcept;  // the writer thread's

  bool _lossless;
  std::FILE* _file = nullptr;  // the writer thread's once it runs
  bool _active = false;        // the producer's: a log is open
  bool _owned = false;
  std::string _path;
  std::atomic<bool> _reopen{false};
  std::atomic<std::uint64_t> _reopens{0};
  std::vector<std::unique_ptr<std::string>> _pool;  // owns every buffer
  std::string* _current = nullptr;                  // the producer's buffer
  boost::lockfree::spsc_queue<std::string*> _full{buffers};
  boost::lockfree::spsc_queue<std::string*> _empty{buffers};
  std::atomic<std::uint64_t> _handed{0}, _written{0};  // buffers handed over / written back
  std::atomic<bool> _stop{false};
  std::atomic<bool> _write_error{false};
  std::thread _thread;
  std::uint64_t _dropped = 0;
  std::uint64_t _since_check = 0;
  std::chrono::steady_clock::time_point _last_hand_over = std::chrono::steady_clock::now();
};

}  // namespace bssap::probe
