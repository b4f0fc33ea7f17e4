// unknown_tap: `--unknown FILE.jsonl`, the forensic view of what our decoders refuse or carry
// without understanding. The pipeline offers such a frame (or, where the frame is gone, the SCCP
// message) to a port of the tap; a thread of the tap's own hands it to a Wireshark dissector
// process (bssap-dissect, which links libwireshark: tools/epan/) and writes one JSON line:
//
//   {"ts":"...Z","error":{"layer":"bssmap","kind":"missing_ie"},"data":"frame","linktype":1,
//    "wireshark":{"protocols":"eth:ethertype:ip:sctp:m3ua:sccp:gsm_a_bssmap","info":"...",
//                 "expert":["..."]},"hex":"..."}
//
// The capture path never waits for it: a port is a single-producer ring that refuses (and
// counts) when full, and at most `rate` records per second of capture time are taken (counted
// beyond). The dissector runs in a process of its own because a dissector that crashes or loops
// must not stop capture: a record whose dissection crashes or times out is written without
// Wireshark's view ("dissector":"crashed" / "timed_out"), the process is restarted, and both are
// counted. Without a dissector (not installed, --unknown-dissector none) records are written
// with "dissector":"unavailable".
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "bssap/decoders/link.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "bssap/decoders/stats.hpp"
#include "bssap/probe/packet_ring.hpp"

namespace bssap::probe {

// Why a frame is reported: a decode error of a layer, or something carried without being
// understood (kinds past decode_error's).
enum class unknown_kind : std::uint8_t {
  unknown_ppid = 100,  // SCTP DATA with a payload protocol we do not decode (RFC 4960 3.3.1)
  unknown_si = 101,    // MTP3 / M3UA user part other than SCCP (Q.704 14.2.1)
  unknown_ssn = 102,   // SCCP user data for a subsystem other than BSSAP / RANAP (Q.713 3.4.2.2)
};
std::string_view unknown_kind_name(std::uint8_t kind) noexcept;  // decode_error names, then the above

struct unknown_reason {
  dec::layer layer = dec::layer::link;
  std::uint8_t kind = 0;  // a dec::decode_error or an unknown_kind
};

struct unknown_tap_config {
  std::string path;                          // the JSON-lines file
  std::uint32_t rate = 100;                  // records per second of capture time, at most
  std::size_t port_bytes = 4u << 20;         // ring per producing thread
  std::string dissector;                     // program; "" = bssap-dissect beside this binary, then PATH
  std::vector<std::string> dissector_args;   // e.g. --pc24
  double dissector_timeout_s = 5.0;          // one frame's answer, at most
  double dissector_start_timeout_s = 120.0;  // Wireshark's start-up (loads every dissector)
};

struct unknown_counters {
  std::uint64_t offered = 0;       // frames the pipeline reported
  std::uint64_t rate_limited = 0;  // beyond `rate` per second: counted only
  std::uint64_t queue_full = 0;    // the writer was behind: counted only
  std::uint64_t written = 0;       // lines in the file
  std::uint64_t dissected = 0;     // ... of which with Wireshark's view
  std::uint64_t dissector_crashes = 0;
  std::uint64_t dissector_timeouts = 0;
  std::uint64_t dissector_restarts = 0;
  std::uint64_t write_errors = 0;
};

class unknown_tap;

// One producing thread's way into the tap. offer*() never blocks and never allocates.
class unknown_port {
 public:
  unknown_port(unknown_tap& tap, std::size_t bytes) : _tap(tap), _ring(bytes) {}
  // A whole frame as captured.
  void offer_frame(dec::linktype lt, std::int64_t ts_us, std::span<const std::byte> frame, unknown_reason why) noexcept;
  // An SCCP message whose frame is gone (the SCCP half runs on a worker thread).
  void offer_unit(const dec::sccp_unit& u, unknown_reason why) noexcept;

 private:
  friend class unknown_tap;
  bool admit(std::int64_t ts_us) noexcept;
  unknown_tap& _tap;
  packet_ring _ring;
};

class unknown_tap {
 public:
  explicit unknown_tap(unknown_tap_config config);
  ~unknown_tap();
  unknown_tap(const unknown_tap&) = delete;
  unknown_tap& operator=(const unknown_tap&) = delete;

  // Before start(): one port per thread that will offer frames.
  unknown_port& add_port();
  // Opens the file and starts the writer thread (the dissector starts with it). False with
  // `error` when the file cannot be written.
  bool start(std::string& error);
  // Writes what is queued, stops the dissector, closes the file.
  void stop() noexcept;
  unknown_counters counters() const noexcept;
  std::string summary() const;  // one block for the run's summary

 private:
  friend class unknown_port;
  struct dissector;
  void run() noexcept;
  bool write_one(const ring_header& h) noexcept;

  unknown_tap_config _config;
  std::vector<std::unique_ptr<unknown_port>> _ports;
  std::unique_ptr<dissector> _dissector;
  std::thread _writer;
  std::atomic<bool> _stop{false};
  int _fd = -1;
  std::string _line;
  bool _dissector_started = false;  // writer thread only
  // Rate window over capture time: (second << 24) | records taken in it.
  std::atomic<std::uint64_t> _window{0};
  std::atomic<std::uint64_t> _offered{0}, _rate_limited{0}, _queue_full{0};
  std::atomic<std::uint64_t> _written{0}, _dissected{0}, _crashes{0}, _timeouts{0}, _restarts{0}, _write_errors{0};
};

}  // namespace bssap::probe
