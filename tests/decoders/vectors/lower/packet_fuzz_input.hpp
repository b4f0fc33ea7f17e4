// How fuzz_packet (tests/fuzz/fuzz_packet.cpp) turns one input into several frames for ONE
// packet_stack, shared with the Catch2 test that replays tests/fuzz/regressions/fuzz_packet/*.
// Input: a config octet, then records of [selector(1) length(2, big-endian) frame(length)].
// Config octet: bit 0 verify the SCTP CRC (off by default so the fuzzer reaches SCTP chunks),
// bit 1 Chinese 24-bit point codes, bit 2 IPA detection on any port off.
// Selector: low 4 bits pick the link type; bit 7 calls expire() before the frame, and the time
// advances by (selector >> 4) seconds so reassembly and flow timeouts are reached.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "bssap/decoders/packet_stack.hpp"

namespace bssap::test {

inline dec::stack_config fuzz_stack_config(std::uint8_t config_octet) noexcept {
  dec::stack_config c;
  c.verify_sctp_crc = (config_octet & 1) != 0;
  c.pc_format = (config_octet & 2) != 0 ? dec::point_code_format::china24 : dec::point_code_format::itu14;
  c.ipa_detect_any_port = (config_octet & 4) == 0;
  // Small tables: eviction and exhaustion paths are reachable with a few frames.
  c.ip_reasm_slots = 3;
  c.ip_reasm_bytes = 4096;
  c.sctp_max_associations = 4;
  c.sctp_reasm_slots = 3;
  c.sctp_reasm_bytes = 512;
  c.tcp_max_flows = 4;
  c.tcp_buffers = 3;
  c.tcp_buffer_bytes = 256;
  c.mtp_max_links = 4;
  c.reassembly_timeout_us = 5'000'000;
  c.flow_idle_timeout_us = 20'000'000;
  return c;
}

// The link types a record's selector picks from (selector & 0x0F, modulo the count).
inline constexpr std::array<dec::linktype, 9> fuzz_linktypes{
    dec::linktype::ethernet,  dec::linktype::raw,  dec::linktype::linux_sll,
    dec::linktype::mtp2_phdr, dec::linktype::mtp2, dec::linktype::mtp3,
    dec::linktype::ipv4,      dec::linktype::ipv6, dec::linktype::linux_sll2};

// Walks the records after the config octet: on_frame(selector, linktype, frame, now_us) for each,
// the time advanced by selector >> 4 seconds first; a record longer than the input is cut.
template <class OnFrame>
void for_each_fuzz_frame(const std::uint8_t* data, std::size_t size, OnFrame&& on_frame) {
  std::int64_t now = 0;
  std::size_t pos = 1;
  while (pos + 3 <= size) {
    const std::uint8_t selector = data[pos];
    std::size_t length = std::size_t{data[pos + 1]} << 8 | data[pos + 2];
    pos += 3;
    if (length > size - pos) length = size - pos;
    now += std::int64_t{selector >> 4} * 1'000'000;
    on_frame(selector, fuzz_linktypes[(selector & 0x0F) % fuzz_linktypes.size()], dec::as_bytes(data + pos, length),
             now);
    pos += length;
  }
}

// Runs the input through one fresh packet_stack; returns the number of SCCP units, and checks
// every unit's span lies inside something we handed over or the stack owns (by touching it).
inline std::size_t run_fuzz_input(const std::uint8_t* data, std::size_t size) noexcept {
  if (size == 0) return 0;
  dec::packet_stack stack(fuzz_stack_config(data[0]));
  std::size_t units = 0;
  unsigned checksum = 0;
  auto on = [&](const dec::sccp_unit& u) noexcept {
    ++units;
    for (const auto b : u.sccp) checksum += std::to_integer<unsigned>(b);  // ASan: the span must be readable
  };
  const auto sink = dec::make_sccp_sink(on);
  for_each_fuzz_frame(data, size, [&](std::uint8_t selector, dec::linktype lt, dec::bytes frame, std::int64_t now) {
    if ((selector & 0x80) != 0) stack.expire(now);
    stack.decode(lt, frame, now, sink);
    (void)dec::flow_hash(lt, frame);
  });
  (void)stack.counters();
  return units + (checksum & 0);
}

}  // namespace bssap::test
