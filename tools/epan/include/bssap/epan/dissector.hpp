// Wireshark's dissectors in process (libwireshark, Wireshark 4.0): one frame from a buffer and
// its pcap link type in, the fields tshark-diff compares, the protocol path, the info column and
// the expert messages out. GPL-2.0-or-later through libwireshark: only tools that may be GPL
// (tshark-diff, fuzz_differential) link this; bssap-probe never does (README "Licence").
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fields.hpp"

namespace bssap::epan {

struct options {
  bool pc24 = false;  // 24-bit point codes: mtp3.standard "Chinese ITU" (as tshark-diff -o)
};

// One frame as Wireshark dissected it.
struct dissection {
  tshark_diff::frame_values values;  // the compared fields (fields.hpp); no Kn applied here
  std::string protocols;             // frame.protocols, e.g. eth:ethertype:ip:sctp:m3ua:sccp:bssap
  std::string info;                  // the Info column
  std::vector<std::string> expert;   // expert-info messages, in tree order
  bool malformed = false;            // _ws.malformed
  bool sctp_retransmission = false;  // sctp.retransmission (TSN analysis on)
};

// A dissection session: one capture's worth of state (conversations, reassembly, SCTP TSN and
// TCP analysis), like one tshark run. The library is initialised once per process, on the
// first session; preferences (options) are applied when a session starts. One session at a
// time per process (libwireshark's state is global).
class session {
 public:
  // Throws std::runtime_error if libwireshark cannot be initialised.
  explicit session(const options& o = {});
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // `dlt`: pcap link type (DLT_EN10MB, 139 MTP2 with pseudo-header, 141 MTP3, ...). `wire_len`:
  // the frame's length on the wire (0: the buffer's). Frames are numbered 1, 2, ... in call order.
  void dissect(int dlt, std::span<const std::uint8_t> frame, std::int64_t ts_us, std::uint32_t wire_len,
               dissection& out);

  // Drops the capture's state (a new capture starts at frame 1), and applies `o`.
  void reset(const options& o);

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

// Whole capture through a session: every frame, in order (used by tshark-diff --engine epan).
bool dissect_file(const std::string& file, const options& o, std::vector<dissection>& out, std::string& error);

}  // namespace bssap::epan
