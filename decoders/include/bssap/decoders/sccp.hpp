// SCCP (Signalling Connection Control Part) message decoder and a bounded segment reassembler.
// References: ITU-T Q.713 (07/96) clause 2 (message type codes), 3 (parameters), 4 (messages and
// their fixed/variable/optional parts); Q.714 for the segmentation procedures (DT1 M bit
// 1.1.2.2 / 6.1, XUDT Segmentation parameter 4.1.1.2). ITU-T 14-bit point codes by default; a
// 24-bit point code (the ITU address format with a 3-octet signalling point code, as used in
// China) is selected by sccp_options::pc24.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"
#include "bssap/decoders/stats.hpp"

namespace bssap::dec {

// Q.713 table 1: message type codes.
enum class sccp_msg_type : std::uint8_t {
  cr = 0x01,     // Connection Request
  cc = 0x02,     // Connection Confirm
  cref = 0x03,   // Connection Refused
  rlsd = 0x04,   // Released
  rlc = 0x05,    // Release Complete
  dt1 = 0x06,    // Data Form 1
  dt2 = 0x07,    // Data Form 2
  ak = 0x08,     // Data Acknowledgement
  udt = 0x09,    // Unitdata
  udts = 0x0A,   // Unitdata Service
  ed = 0x0B,     // Expedited Data
  ea = 0x0C,     // Expedited Data Acknowledgement
  rsr = 0x0D,    // Reset Request
  rsc = 0x0E,    // Reset Confirm
  err = 0x0F,    // Protocol Data Unit Error
  it = 0x10,     // Inactivity Test
  xudt = 0x11,   // Extended Unitdata
  xudts = 0x12,  // Extended Unitdata Service
  ludt = 0x13,   // Long Unitdata (recognised, not decoded)
  ludts = 0x14,  // Long Unitdata Service (recognised, not decoded)
};

struct sccp_options {
  bool pc24 = false;  // 3-octet signalling point codes in called/calling party addresses
};

// Called/Calling Party Address (Q.713 3.4).
struct sccp_address {
  bool present = false;
  bool route_on_ssn = false;  // routing indicator (bit 7): 1 = route on DPC + SSN, 0 = on GT
  std::uint8_t gti = 0;       // global title indicator (bits 6-3): 0 none, 1..4 formats
  bool has_pc = false;
  bool has_ssn = false;
  std::uint32_t pc = 0;  // 14-bit (ITU) or 24-bit (pc24)
  std::uint8_t ssn = 0;  // subsystem number (Q.713 3.4.2.2): 254 BSSAP, 142 RANAP, 6 HLR, 8 MSC...
  // Global title (Q.713 3.4.2.3): the header fields that the GTI says are present, and the
  // address digits as a span into the message (BCD, odd/even per the encoding scheme).
  std::uint8_t gt_translation_type = 0;
  std::uint8_t gt_numbering_plan = 0;
  std::uint8_t gt_encoding_scheme = 0;
  std::uint8_t gt_nature_of_address = 0;
  bytes gt_address{};
};

// Segmentation parameter (Q.713 3.17): present in XUDT/XUDTS of a segmented message.
struct sccp_segmentation {
  bool first = false;                 // F bit: this is the first segment
  bool in_sequence = false;           // C bit: class 1 (in-sequence delivery) was requested
  std::uint8_t remaining = 0;         // number of segments still to come (4 bits)
  std::uint32_t local_reference = 0;  // 24 bits, identifies the segmented message
};

// One decoded SCCP message. Spans point into the decoded input.
struct sccp_message {
  // User-provided, so that `sccp_message{}` initialises member by member instead of clearing the
  // whole object first: fixed_string capacity stays untouched (see fixed_string).
  sccp_message() noexcept {}  // NOLINT(modernize-use-equals-default)
  sccp_msg_type type = sccp_msg_type::udt;
  bool has_dlr = false;  // destination local reference (Q.713 3.2), 24 bits
  bool has_slr = false;  // source local reference (Q.713 3.3), 24 bits
  std::uint32_t dlr = 0;
  std::uint32_t slr = 0;
  bool has_protocol_class = false;
  std::uint8_t protocol_class = 0;  // Q.713 3.6: bits 1-4 class, bits 5-8 message handling (class 0/1)
  // Release cause (RLSD 3.11), refusal cause (CREF 3.15), return cause (UDTS/XUDTS 3.12),
  // error cause (ERR 3.14), reset cause (RSR 3.13): the one the message type carries.
  bool has_cause = false;
  std::uint8_t cause = 0;
  bool more_data = false;       // DT1 Segmenting/reassembling (Q.713 3.7): M bit
  bool has_sequencing = false;  // DT2/AK (3.9/3.10): the raw octets
  std::uint16_t sequencing = 0;
  bool has_credit = false;  // CC/CR/AK/IT (3.10)
  std::uint8_t credit = 0;
  bool has_hop_counter = false;  // XUDT/XUDTS/CR (3.18)
  std::uint8_t hop_counter = 0;
  bool has_segmentation = false;  // XUDT/XUDTS optional part (3.17)
  sccp_segmentation segmentation;
  sccp_address called;
  sccp_address calling;
  bool has_data = false;  // user data (Q.713 3.16): DT1/DT2/UDT/UDTS/XUDT/XUDTS, optional in CR/CC/CREF/RLSD
  bytes data{};
};

// Decodes one complete SCCP message. Errors (each counted under layer::sccp when `stats` is given):
// truncated (the message ends inside the fixed part or a parameter), bad_pointer (a pointer of
// the variable part is zero where a parameter is mandatory or points outside the message),
// bad_length (a parameter length contradicts the message), bad_value (a forbidden value, e.g. a
// mandatory address with zero length), unsupported (unknown message type, LUDT/LUDTS).
result<sccp_message> decode_sccp(bytes message, const sccp_options& options, decode_stats* stats) noexcept;
inline result<sccp_message> decode_sccp(bytes message, decode_stats* stats = nullptr) noexcept {
  return decode_sccp(message, sccp_options{}, stats);
}
// The same, decoding into `out` (reset first) instead of returning the value: the per-message hot
// path of the probe and the benchmark. On error `out` holds a partial decode and must not be used.
decode_error decode_sccp_into(bytes message, const sccp_options& options, sccp_message& out,
                              decode_stats* stats = nullptr) noexcept;

// Reassembles DT1 messages split with the M bit (Q.714 6.1.2.4 / Q.713 3.7) and XUDT messages
// split with the Segmentation parameter (Q.714 4.1.1.2), with a fixed number of slots of a
// fixed size: no allocation after construction (construct it once per capture thread; it is
// ~130 KiB, so do not put it on a small stack). When every slot is busy the least recently
// used one is evicted (counted). State belongs to one thread.
class sccp_reassembler {
 public:
  static constexpr std::size_t slot_count = 32;
  static constexpr std::size_t max_message_size = 4096;

  enum class status : std::uint8_t {
    complete,  // `message` is the whole user data (the input's own span when it was not segmented)
    pending,   // a segment was stored; more are expected
    dropped,   // the segment could not be used; `error` says why (counted)
  };
  struct outcome {
    status state = status::dropped;
    bytes message{};  // valid until the next call on this reassembler (or while the input lives)
    decode_error error = decode_error::none;
  };

  // `link`: any value that identifies the direction of the signalling relation (e.g. a hash of
  // the OPC/DPC or of the transport 5-tuple, taken in the direction of the message).
  // `now`: a monotonic time in any unit, used only for expire() and least-recently-used eviction.
  // A DT1 (message.type == dt1) is keyed by (link, DLR); an XUDT by (link, calling address,
  // segmentation local reference). Any other message type, or an XUDT without segmentation,
  // is returned complete as is.
  // Drops are counted under layer::sccp in `stats` when given (out_of_memory for an eviction or
  // an oversized message, bad_value for a segment out of order).
  outcome add(std::uint64_t link, const sccp_message& message, std::uint64_t now,
              decode_stats* stats = nullptr) noexcept;

  // Drops partial messages last touched before `before` (counted as expired).
  void expire(std::uint64_t before) noexcept;
  // Drops a connection's partial DT1 message (call on RLSD/RLC of that connection).
  void forget_connection(std::uint64_t link, std::uint32_t dlr) noexcept;

  std::size_t in_use() const noexcept;
  std::uint64_t evictions() const noexcept { return _evictions; }  // LRU slots reused while busy
  std::uint64_t expired() const noexcept { return _expired; }
  std::uint64_t overflows() const noexcept { return _overflows; }        // messages > max_message_size
  std::uint64_t out_of_order() const noexcept { return _out_of_order; }  // XUDT segment gaps

 private:
  struct slot {
    bool busy = false;
    bool xudt = false;
    std::uint64_t link = 0;
    std::uint64_t key = 0;  // DLR, or hash of calling address + local reference
    std::uint64_t last_used = 0;
    std::uint8_t next_remaining = 0;  // XUDT: the remaining-segments value expected next
    std::uint16_t size = 0;
    std::array<std::byte, max_message_size> buffer{};
  };
  slot* find(std::uint64_t link, bool xudt, std::uint64_t key) noexcept;
  slot& claim(std::uint64_t link, bool xudt, std::uint64_t key, std::uint64_t now) noexcept;

  std::array<slot, slot_count> _slots{};
  std::uint64_t _evictions = 0;
  std::uint64_t _expired = 0;
  std::uint64_t _overflows = 0;
  std::uint64_t _out_of_order = 0;
};

}  // namespace bssap::dec
