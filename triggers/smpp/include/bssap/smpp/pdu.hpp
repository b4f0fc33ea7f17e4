// SMPP 3.4 PDU codec: header framing, the operations an ESME and a gateway stub need, TLVs.
// References: SMPP v3.4 Issue 1.2 (1999): 3.2 (PDU format), 4.1 (bind), 4.2 (unbind),
// 4.3 (generic_nack), 4.4 (submit_sm), 4.6 (deliver_sm), 4.11 (enquire_link), 5.1 (command ids),
// 5.1.3 (command_status), 5.2 (field definitions), 5.3 (optional parameters / TLVs).
// Decoding is noexcept and bounds-checked; views point into the caller's buffer. Encoding appends
// to a caller-owned byte vector (reused per session: no allocation once it has grown).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace bssap::smpp {

// SMPP 3.4 5.1.2.1 command_id values.
namespace cmd {
constexpr std::uint32_t generic_nack = 0x80000000;
constexpr std::uint32_t bind_receiver = 0x00000001;
constexpr std::uint32_t bind_receiver_resp = 0x80000001;
constexpr std::uint32_t bind_transmitter = 0x00000002;
constexpr std::uint32_t bind_transmitter_resp = 0x80000002;
constexpr std::uint32_t query_sm = 0x00000003;
constexpr std::uint32_t submit_sm = 0x00000004;
constexpr std::uint32_t submit_sm_resp = 0x80000004;
constexpr std::uint32_t deliver_sm = 0x00000005;
constexpr std::uint32_t deliver_sm_resp = 0x80000005;
constexpr std::uint32_t unbind = 0x00000006;
constexpr std::uint32_t unbind_resp = 0x80000006;
constexpr std::uint32_t bind_transceiver = 0x00000009;
constexpr std::uint32_t bind_transceiver_resp = 0x80000009;
constexpr std::uint32_t enquire_link = 0x00000015;
constexpr std::uint32_t enquire_link_resp = 0x80000015;
constexpr std::uint32_t response_bit = 0x80000000;
}  // namespace cmd

// SMPP 3.4 5.1.3 command_status values used here.
namespace status {
constexpr std::uint32_t ok = 0x00;
constexpr std::uint32_t invmsglen = 0x01;  // message length is invalid
constexpr std::uint32_t invcmdlen = 0x02;  // command length is invalid
constexpr std::uint32_t invcmdid = 0x03;   // invalid command id
constexpr std::uint32_t invbndsts = 0x04;  // incorrect bind status for given command
constexpr std::uint32_t alybnd = 0x05;     // already bound
constexpr std::uint32_t syserr = 0x08;     // system error
constexpr std::uint32_t invsrcadr = 0x0A;
constexpr std::uint32_t invdstadr = 0x0B;
constexpr std::uint32_t bindfail = 0x0D;
constexpr std::uint32_t invpaswd = 0x0E;
constexpr std::uint32_t invsysid = 0x0F;
constexpr std::uint32_t msgqful = 0x14;  // message queue full
constexpr std::uint32_t invesmclass = 0x43;
constexpr std::uint32_t throttled = 0x58;  // throttling error (ESME exceeded allowed message limits)
constexpr std::uint32_t rx_t_appn = 0x64;  // ESME receiver temporary app error
}  // namespace status

// A short, stable name for a command_status ("ESME_RTHROTTLED"), or "ESME_0x..." style unknown.
std::string_view status_name(std::uint32_t command_status) noexcept;

// SMPP 3.4 5.3.2 optional parameter tags used here.
namespace tag {
constexpr std::uint16_t user_message_reference = 0x0204;  // 5.3.2.17, 2 octets
constexpr std::uint16_t receipted_message_id = 0x001E;    // 5.3.2.12, C-octet string <= 65
constexpr std::uint16_t message_state = 0x0427;           // 5.3.2.35, 1 octet
constexpr std::uint16_t sc_interface_version = 0x0210;    // 5.3.2.25
constexpr std::uint16_t message_payload = 0x0424;         // 5.3.2.32
}  // namespace tag

// SMPP 3.4 5.2.28 message_state (also the receipt "stat:" words of Appendix B).
enum class message_state : std::uint8_t {
  enroute = 1,
  delivered = 2,
  expired = 3,
  deleted = 4,
  undeliverable = 5,
  accepted = 6,
  unknown = 7,
  rejected = 8,
};

constexpr std::size_t header_size = 16;
// The spec bounds no PDU, but short_message is <= 254 octets and C-strings are short: 64 KiB
// leaves room for a message_payload TLV while stopping a lying length from growing buffers.
constexpr std::size_t default_max_pdu_size = 65536;

struct header {
  std::uint32_t command_length = 0;
  std::uint32_t command_id = 0;
  std::uint32_t command_status = 0;
  std::uint32_t sequence_number = 0;
};

// The sequence numbers one side of a session gives its requests (5.1.4: 0x00000001..0x7FFFFFFF;
// after 0x7FFFFFFF the next one is 0x00000001 again). Used by the client and by smpp-stub.
class sequence_counter {
 public:
  static constexpr std::uint32_t first = 0x00000001, last = 0x7FFFFFFF;
  constexpr explicit sequence_counter(std::uint32_t start = first) noexcept
      : _next(start >= first && start <= last ? start : first) {}
  constexpr std::uint32_t next() noexcept {
    const std::uint32_t s = _next;
    _next = _next >= last ? first : _next + 1;
    return s;
  }

 private:
  std::uint32_t _next;
};

enum class decode_error : std::uint8_t {
  none,
  truncated,           // body ends inside a field
  bad_command_length,  // command_length < 16 or above the configured maximum
  unterminated,        // C-octet string without NUL within its maximum size (5.2)
  bad_sm_length,       // sm_length > 254 or past the end of the body
  bad_tlv,             // TLV length runs past the PDU
};
std::string_view to_string(decode_error e) noexcept;

// Framing (3.2): is a whole PDU at the front of `stream`?
struct frame {
  enum class kind : std::uint8_t { need_more, ready, bad_length } state = kind::need_more;
  header hdr{};  // valid when state == ready or bad_length (command_length as received)
};
frame peek_frame(std::span<const std::uint8_t> stream, std::size_t max_pdu_size = default_max_pdu_size) noexcept;

struct address {
  std::uint8_t ton = 0;  // 5.2.5 type of number (1 international, 5 alphanumeric)
  std::uint8_t npi = 0;  // 5.2.6 numbering plan indicator (1 E.164)
  std::string_view addr;
};

// bind_transmitter / bind_receiver / bind_transceiver body (4.1.1, 4.1.3, 4.1.5).
struct bind_body {
  std::string_view system_id;    // <= 15 chars
  std::string_view password;     // <= 8 chars
  std::string_view system_type;  // <= 12 chars
  std::uint8_t interface_version = 0x34;
  std::uint8_t addr_ton = 0;
  std::uint8_t addr_npi = 0;
  std::string_view address_range;  // <= 40 chars
};

// submit_sm (4.4.1) and deliver_sm (4.6.1) share one layout.
struct sm_body {
  std::string_view service_type;
  address source;
  address destination;
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t priority_flag = 0;
  std::string_view schedule_delivery_time;
  std::string_view validity_period;
  std::uint8_t registered_delivery = 0;
  std::uint8_t replace_if_present_flag = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::span<const std::uint8_t> short_message;
  // TLVs we act on; others are skipped by length (5.3.1).
  std::optional<std::uint16_t> user_message_reference;
  std::string_view receipted_message_id;
  std::optional<std::uint8_t> message_state;
  std::span<const std::uint8_t> message_payload;
};

// esm_class bits (5.2.12).
namespace esm {
constexpr std::uint8_t udhi = 0x40;              // UDH indicator
constexpr std::uint8_t type_mask = 0x3C;         // message type bits 5..2
constexpr std::uint8_t delivery_receipt = 0x04;  // SMSC delivery receipt
}  // namespace esm

// Decoders take the body (PDU without the 16-octet header).
decode_error decode_header(std::span<const std::uint8_t> pdu, header& out) noexcept;
decode_error decode_bind(std::span<const std::uint8_t> body, bind_body& out) noexcept;
decode_error decode_sm(std::span<const std::uint8_t> body, sm_body& out) noexcept;
// submit_sm_resp / deliver_sm_resp / bind_*_resp: one C-string (message_id or system_id),
// possibly absent when command_status != 0 (4.4.2: body not returned on error).
decode_error decode_resp_id(std::span<const std::uint8_t> body, std::size_t max_len, std::string_view& id) noexcept;

// Encoders append one whole PDU to `out` and return its offset. C-strings are cut to their
// maximum size (5.2) so nothing we emit can be malformed.
std::size_t encode_header_only(std::vector<std::uint8_t>& out, std::uint32_t command_id, std::uint32_t command_status,
                               std::uint32_t sequence);
std::size_t encode_bind(std::vector<std::uint8_t>& out, std::uint32_t command_id, std::uint32_t sequence,
                        const bind_body& b);
std::size_t encode_bind_resp(std::vector<std::uint8_t>& out, std::uint32_t command_id, std::uint32_t command_status,
                             std::uint32_t sequence, std::string_view system_id);
std::size_t encode_sm(std::vector<std::uint8_t>& out, std::uint32_t command_id, std::uint32_t sequence,
                      const sm_body& b);
std::size_t encode_resp_id(std::vector<std::uint8_t>& out, std::uint32_t command_id, std::uint32_t command_status,
                           std::uint32_t sequence, std::string_view message_id);
// Rewrites the sequence number of the PDU at `offset` (pre-encoded submit_sm bodies reused).
void set_sequence(std::span<std::uint8_t> pdu, std::uint32_t sequence) noexcept;

// Delivery receipt text (SMPP 3.4 Appendix B):
// "id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E Text:..."
struct receipt_text {
  std::string_view id;
  std::string_view stat;  // DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN, REJECTD, ENROUTE
  std::string_view err;
};
bool parse_receipt_text(std::string_view text, receipt_text& out) noexcept;
// "DELIVRD" <-> message_state::delivered ...; unknown words map to message_state::unknown.
message_state state_from_stat(std::string_view stat) noexcept;
std::string_view stat_word(message_state s) noexcept;
// A final state (5.2.28): the SMSC will send no further receipt for this message.
constexpr bool is_final(message_state s) noexcept {
  return s != message_state::enroute && s != message_state::accepted;
}

}  // namespace bssap::smpp
