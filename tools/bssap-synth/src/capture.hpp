// Capture file output: classic pcap (microseconds) or pcapng, through one large reused buffer
// that is handed to the sink when full. No allocation per packet.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "bssap/synth/synth.hpp"

namespace bssap::synth {

class capture_writer {
 public:
  capture_writer(sink& out, bool pcapng, std::uint32_t linktype, std::size_t buffer_bytes = 1u << 22)
      : _out(out), _pcapng(pcapng), _buf(buffer_bytes) {
    if (pcapng) {
      // Section Header Block (pcapng 4.1), little-endian, section length unknown (-1).
      put32(0x0A0D0D0A);
      put32(28);
      put32(0x1A2B3C4D);
      put16(1);
      put16(0);
      put32(0xFFFFFFFF);
      put32(0xFFFFFFFF);
      put32(28);
      // Interface Description Block (4.2): default resolution is microseconds.
      put32(0x00000001);
      put32(20);
      put16(static_cast<std::uint16_t>(linktype));
      put16(0);
      put32(65535);
      put32(20);
    } else {
      put32(0xA1B2C3D4);  // microsecond timestamps
      put16(2);
      put16(4);
      put32(0);
      put32(0);
      put32(65535);
      put32(linktype);
    }
  }
  capture_writer(const capture_writer&) = delete;
  capture_writer& operator=(const capture_writer&) = delete;
  ~capture_writer() { flush(); }

  // Returns false (and writes nothing) once `limit` frames have been written.
  bool frame(std::int64_t ts_us, const std::uint8_t* data, std::size_t len) {
    if (limit != 0 && packets >= limit) return false;
    const std::size_t pad = _pcapng ? (4 - len % 4) % 4 : 0;
    const std::size_t need = (_pcapng ? 32 : 16) + len + pad;
    if (_n + need > _buf.size()) flush();
    const auto ts = static_cast<std::uint64_t>(ts_us);
    if (_pcapng) {
      // Enhanced Packet Block (4.3).
      const auto total = static_cast<std::uint32_t>(need);
      put32(0x00000006);
      put32(total);
      put32(0);
      put32(static_cast<std::uint32_t>(ts >> 32));
      put32(static_cast<std::uint32_t>(ts));
      put32(static_cast<std::uint32_t>(len));
      put32(static_cast<std::uint32_t>(len));
      std::memcpy(_buf.data() + _n, data, len);
      _n += len;
      for (std::size_t i = 0; i < pad; ++i) _buf[_n++] = 0;
      put32(total);
    } else {
      put32(static_cast<std::uint32_t>(ts / 1000000));
      put32(static_cast<std::uint32_t>(ts % 1000000));
      put32(static_cast<std::uint32_t>(len));
      put32(static_cast<std::uint32_t>(len));
      std::memcpy(_buf.data() + _n, data, len);
      _n += len;
    }
    ++packets;
    return true;
  }

  void flush() {
    if (_n == 0) return;
    if (!_out.write(_buf.data(), _n)) ok = false;
    bytes += _n;
    _n = 0;
  }

  std::uint64_t limit = 0;  // 0: no limit
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  bool ok = true;

 private:
  void put32(std::uint32_t v) {
    std::memcpy(_buf.data() + _n, &v, 4);  // host order: the magic numbers tell readers which
    _n += 4;
  }
  void put16(std::uint16_t v) {
    std::memcpy(_buf.data() + _n, &v, 2);
    _n += 2;
  }

  sink& _out;
  bool _pcapng;
  std::vector<std::uint8_t> _buf;
  std::size_t _n = 0;
};

}  // namespace bssap::synth
