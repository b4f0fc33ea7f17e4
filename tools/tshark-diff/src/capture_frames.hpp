// Every frame of a capture file in order, as both engines of tshark-diff read it: ours
// (ours.cpp) and libwireshark's (tools/epan). One loop, so that both see the same frames with the
// same link type, timestamp and wire length.
#pragma once

#include <pcap/pcap.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace bssap::tshark_diff {

// Calls on_frame(dlt, bytes, ts_us, wire_length) for each frame. False, with `error`, when the
// file cannot be opened or a frame cannot be read. `on_frame` may throw: the file is closed.
template <class OnFrame>
bool for_each_frame(const std::string& file, OnFrame&& on_frame, std::string& error) {
  std::array<char, PCAP_ERRBUF_SIZE> errbuf{};
  pcap_t* p = pcap_open_offline(file.c_str(), errbuf.data());
  if (p == nullptr) {
    error = errbuf.data();
    return false;
  }
  struct closer {
    pcap_t* p;
    ~closer() { pcap_close(p); }
  } close_at_exit{p};
  const int dlt = pcap_datalink(p);
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(p, &header, &data)) == 1) {
    const std::int64_t ts = static_cast<std::int64_t>(header->ts.tv_sec) * 1'000'000 + header->ts.tv_usec;
    on_frame(dlt, std::span<const std::uint8_t>(data, header->caplen), ts, std::uint32_t{header->len});
  }
  if (rc == -1) error = pcap_geterr(p);
  return rc != -1;
}

}  // namespace bssap::tshark_diff
