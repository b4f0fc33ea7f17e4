// libFuzzer target: SCCP decoder and the segment reassembler fed a sequence of messages.
// Input: a sequence of records [1 octet flags][1 octet length][length octets of SCCP]; flags
// bit 0 selects 24-bit point codes, bits 1-3 pick one of 8 links, so several partial messages
// interleave in the reassembler. Every decoded message is also handed to the BSSAP decoder.
// Flags bit 4 reads the record as a SUA message instead (RFC 3868, decoded into the same
// sccp_message), which then takes the same path.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "bssap/decoders/a_message.hpp"
#include "bssap/decoders/sccp.hpp"
#include "bssap/decoders/sua.hpp"

using namespace bssap::dec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto reassembler = std::make_unique<sccp_reassembler>();
  static a_message scratch;
  decode_stats stats;
  // A fresh reassembler per input would make findings reproducible but slow: reset its state
  // by expiring everything instead.
  reassembler->expire(~std::uint64_t{0});
  const bytes input = as_bytes(data, size);
  std::size_t pos = 0;
  std::uint64_t now = 0;
  while (pos + 2 <= input.size()) {
    const std::uint8_t flags = u8_at(input, pos);
    const std::size_t length = u8_at(input, pos + 1);
    pos += 2;
    const std::size_t take = length < input.size() - pos ? length : input.size() - pos;
    const bytes message = input.subspan(pos, take);
    pos += take;
    sccp_options options;
    options.pc24 = (flags & 0x01) != 0;
    sccp_message sua;
    const bool as_sua = (flags & 0x10) != 0;
    if (as_sua && decode_sua_into(message, sua, &stats) != decode_error::none) continue;
    const auto m = as_sua ? result<sccp_message>(sua) : decode_sccp(message, options, &stats);
    if (!m) continue;
    const auto out = reassembler->add((flags >> 1) & 0x07, *m, ++now, &stats);
    if (out.state == sccp_reassembler::status::complete) {
      (void)decode_bssap_into(out.message, link_direction::unknown, scratch, &stats);
    }
    if (m->type == sccp_msg_type::rlsd) reassembler->forget_connection((flags >> 1) & 0x07, m->dlr);
  }
  return 0;
}
