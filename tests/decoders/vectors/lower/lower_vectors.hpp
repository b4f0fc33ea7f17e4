// Test helpers for the lower-layer vectors in this folder (built by gen_vectors.py, checked with
// tshark): frame files, a minimal classic-pcap reader, and a sink that copies SCCP units.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bssap/decoders/packet_stack.hpp"
#include "test_support.hpp"

namespace bssap::test {

using frame = std::vector<std::byte>;

// The frames of tests/decoders/vectors/lower/<name>.hex ("# --- frame" starts each one).
inline std::vector<frame> lower_frames(const std::string& name) {
  std::ifstream in(source_dir() / "tests" / "decoders" / "vectors" / "lower" / (name + ".hex"));
  std::vector<frame> frames;
  std::string line, text;
  bool started = false;
  auto flush = [&] {
    if (started) frames.push_back(hex(text));
    text.clear();
  };
  while (std::getline(in, line)) {
    if (line.rfind("# --- frame", 0) == 0) {
      flush();
      started = true;
      continue;
    }
    if (started) text += line + "\n";
  }
  flush();
  return frames;
}

inline dec::bytes span_of(const frame& f) {
  return {f.data(), f.size()};
}

// A copied sccp_unit (the span is only valid during the callback).
struct unit_copy {
  dec::sccp_unit unit;
  frame sccp;
};

struct unit_collector {
  std::vector<unit_copy> units;
  void operator()(const dec::sccp_unit& u) noexcept {
    units.push_back({u, frame(u.sccp.begin(), u.sccp.end())});
    units.back().unit.sccp = {};
  }
};

inline std::vector<unit_copy> run_frames(dec::packet_stack& stack, dec::linktype lt, const std::vector<frame>& frames,
                                         std::int64_t ts0 = 1'000'000) {
  unit_collector c;
  auto sink = dec::make_sccp_sink(c);
  std::int64_t ts = ts0;
  for (const auto& f : frames) stack.decode(lt, span_of(f), ts += 1000, sink);
  return c.units;
}

inline std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Classic pcap (microsecond or nanosecond, either byte order): enough to replay captures.
struct pcap_file {
  std::uint32_t linktype = 0;
  struct record {
    std::int64_t ts_us;
    frame data;
  };
  std::vector<record> records;
  bool ok = false;
};

inline pcap_file read_pcap(const std::filesystem::path& p) {
  pcap_file out;
  std::ifstream in(p, std::ios::binary);
  std::vector<unsigned char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (b.size() < 24) return out;
  std::uint32_t magic;
  std::memcpy(&magic, b.data(), 4);
  const bool swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
  const bool nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
  if (!swap && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) return out;
  auto rd32 = [&](std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, b.data() + at, 4);
    return swap ? __builtin_bswap32(v) : v;
  };
  out.linktype = rd32(20) & 0xFFFF;
  std::size_t pos = 24;
  while (pos + 16 <= b.size()) {
    const std::uint32_t sec = rd32(pos), frac = rd32(pos + 4), caplen = rd32(pos + 8);
    pos += 16;
    if (caplen > b.size() - pos) break;
    pcap_file::record r;
    r.ts_us = std::int64_t{sec} * 1'000'000 + (nano ? frac / 1000 : frac);
    r.data.resize(caplen);
    std::memcpy(r.data.data(), b.data() + pos, caplen);
    out.records.push_back(std::move(r));
    pos += caplen;
  }
  out.ok = true;
  return out;
}

}  // namespace bssap::test
