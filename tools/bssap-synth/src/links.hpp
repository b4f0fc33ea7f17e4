// Transports that carry SCCP between the BSCs and the MSC: M3UA over SCTP, IPA (SCCPlite) over
// TCP, MTP2 (with pseudo-header) and bare MTP3; and SUA over SCTP (Iu-CS), whose messages stand
// for SCCP's. Each link frames messages into capture frames,
// bundles, splits and retransmits some of them, and tells the observer when a message became
// complete on the wire (the frame carrying its last byte), so that the truth carries that time.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "bssap/synth/synth.hpp"
#include "capture.hpp"
#include "model.hpp"
#include "world.hpp"

namespace bssap::synth {

struct delivery {
  conn_ctx c;
  msg m;
};

class delivery_sink {
 public:
  virtual ~delivery_sink() = default;
  // `m` is complete on the wire in the frame written at `ts_us`.
  virtual void deliver(const delivery& d, std::int64_t ts_us) = 0;
};

struct link_counters {
  std::uint64_t retransmissions = 0;
  std::uint64_t control_frames = 0;
  std::uint64_t split_messages = 0;
  std::uint64_t bundled_frames = 0;
};

class link {
 public:
  virtual ~link() = default;
  // Association / connection set-up frames for every BSC, at `ts_us`.
  virtual void open(std::int64_t ts_us) = 0;
  // One SCCP message of `d` (sent at `ts_us`, never earlier than any message before).
  virtual void send(std::int64_t ts_us, const delivery& d, const std::uint8_t* sccp, std::size_t len) = 0;
  // Writes whatever is held back.
  virtual void close() = 0;
  link_counters counters;
};

// Signalling point codes (14-bit ITU, or 24-bit with --pc24): the MSC's, and BSC / RNC `bsc`'s.
std::uint32_t msc_pc(const config& cfg) noexcept;
std::uint32_t bsc_pc(const config& cfg, std::uint8_t bsc) noexcept;

// DLT / LINKTYPE value of the capture for this transport.
std::uint32_t linktype_of(transport t) noexcept;

std::unique_ptr<link> make_link(const config& cfg, capture_writer& out, delivery_sink& observer);

}  // namespace bssap::synth
