// SCCP decoder and segment reassembler.
// References: ITU-T Q.713 (07/96) 2.1 (pointers), 3 (parameters), 4 (message formats; table 2 for
// each message's fixed (F), variable (V) and optional (O) parts); Q.714 4.1.1.2 (XUDT
// segmentation), 6.1.2.4 (DT1 M bit).
#include "bssap/decoders/sccp.hpp"

#include <iterator>
#include <new>

namespace bssap::dec {

namespace {

// Q.713 3: parameter name codes used in the optional part.
namespace param {
constexpr std::uint8_t end_of_optional = 0x00;
constexpr std::uint8_t called_party = 0x03;
constexpr std::uint8_t calling_party = 0x04;
constexpr std::uint8_t credit = 0x09;
constexpr std::uint8_t data = 0x0F;
constexpr std::uint8_t segmentation = 0x10;
constexpr std::uint8_t hop_counter = 0x11;
}  // namespace param

// The fixed-length fields a message type carries, in order (Q.713 4, table 2 and 4.2-4.19).
enum class fixed : std::uint8_t {
  none,
  dlr,             // 3 octets
  slr,             // 3 octets
  protocol_class,  // 1
  cause,           // 1 (release / refusal / return / error / reset cause)
  segmenting,      // 1 (DT1 segmenting/reassembling)
  sequencing,      // 2 (DT2 / IT sequencing/segmenting)
  receive_seq,     // 1 (AK receive sequence number)
  credit,          // 1
  hop_counter,     // 1
};

enum class var : std::uint8_t { none, called, calling, data };

struct message_format {
  std::uint8_t type = 0;
  fixed fixed_fields[5]{};
  var variable[3]{};
  bool optional_part = false;
};

// Q.713 table 2 / clause 4: one row per message type we decode.
constexpr message_format formats[] = {
    {0x01, {fixed::slr, fixed::protocol_class}, {var::called}, true},                                      // CR 4.2
    {0x02, {fixed::dlr, fixed::slr, fixed::protocol_class}, {}, true},                                     // CC 4.3
    {0x03, {fixed::dlr, fixed::cause}, {}, true},                                                          // CREF 4.4
    {0x04, {fixed::dlr, fixed::slr, fixed::cause}, {}, true},                                              // RLSD 4.5
    {0x05, {fixed::dlr, fixed::slr}, {}, false},                                                           // RLC 4.6
    {0x06, {fixed::dlr, fixed::segmenting}, {var::data}, false},                                           // DT1 4.7
    {0x07, {fixed::dlr, fixed::sequencing}, {var::data}, false},                                           // DT2 4.8
    {0x08, {fixed::dlr, fixed::receive_seq, fixed::credit}, {}, false},                                    // AK 4.9
    {0x09, {fixed::protocol_class}, {var::called, var::calling, var::data}, false},                        // UDT 4.10
    {0x0A, {fixed::cause}, {var::called, var::calling, var::data}, false},                                 // UDTS 4.11
    {0x0B, {fixed::dlr}, {var::data}, false},                                                              // ED 4.12
    {0x0C, {fixed::dlr}, {}, false},                                                                       // EA 4.13
    {0x0D, {fixed::dlr, fixed::slr, fixed::cause}, {}, false},                                             // RSR 4.14
    {0x0E, {fixed::dlr, fixed::slr}, {}, false},                                                           // RSC 4.15
    {0x0F, {fixed::dlr, fixed::cause}, {}, false},                                                         // ERR 4.16
    {0x10, {fixed::dlr, fixed::slr, fixed::protocol_class, fixed::sequencing, fixed::credit}, {}, false},  // IT 4.17
    {0x11, {fixed::protocol_class, fixed::hop_counter}, {var::called, var::calling, var::data}, true},     // XUDT 4.18
    {0x12, {fixed::cause, fixed::hop_counter}, {var::called, var::calling, var::data}, true},              // XUDTS 4.19
};

// The rows are the message type codes 0x01-0x12 in order (Q.713 table 1), so a type indexes its
// row directly: this runs for every SCCP message.
constexpr bool rows_follow_type_codes() {
  for (std::size_t i = 0; i < std::size(formats); ++i)
    if (formats[i].type != i + 1) return false;
  return true;
}
static_assert(rows_follow_type_codes());

const message_format* find_format(std::uint8_t type) noexcept {
  if (type == 0 || type > std::size(formats)) return nullptr;
  return &formats[type - 1];
}

// Q.713 3.4: called/calling party address. AI octet: bit 8 national use, bit 7 routing
// indicator, bits 6-3 GT indicator, bit 2 SSN indicator, bit 1 PC indicator; then the PC
// (14 bits in 2 octets, least significant first), SSN, GT.
decode_error decode_address(bytes value, const sccp_options& options, sccp_address& out) noexcept {
  byte_cursor c(value);
  std::uint8_t ai = 0;
  if (!c.u8(ai)) return decode_error::bad_length;  // an address has at least its indicator
  out.present = true;
  out.route_on_ssn = (ai & 0x40) != 0;
  out.gti = static_cast<std::uint8_t>(ai >> 2 & 0x0F);
  out.has_ssn = (ai & 0x02) != 0;
  out.has_pc = (ai & 0x01) != 0;
  if (out.has_pc) {
    if (options.pc24) {
      std::uint32_t pc = 0;
      if (!c.le24(pc)) return decode_error::bad_length;
      out.pc = pc;
    } else {
      std::uint16_t pc = 0;
      if (!c.le16(pc)) return decode_error::bad_length;
      out.pc = pc & 0x3FFF;  // bits 7-8 of the second octet are spare (Q.713 3.4.2.1)
    }
  }
  if (out.has_ssn && !c.u8(out.ssn)) return decode_error::bad_length;
  // Q.713 3.4.2.3: global title formats 1-4.
  std::uint8_t octet = 0;
  switch (out.gti) {
    case 0:
      break;
    case 1:  // odd/even + nature of address
      if (!c.u8(octet)) return decode_error::bad_length;
      out.gt_nature_of_address = octet & 0x7F;
      out.gt_encoding_scheme = (octet & 0x80) != 0 ? 1 : 2;  // BCD odd / even
      break;
    case 2:  // translation type only
      if (!c.u8(out.gt_translation_type)) return decode_error::bad_length;
      break;
    case 3:  // translation type, numbering plan + encoding scheme
    case 4:  // ... + nature of address
      if (!c.u8(out.gt_translation_type) || !c.u8(octet)) return decode_error::bad_length;
      out.gt_numbering_plan = octet >> 4;
      out.gt_encoding_scheme = octet & 0x0F;
      if (out.gti == 4) {
        if (!c.u8(octet)) return decode_error::bad_length;
        out.gt_nature_of_address = octet & 0x7F;
      }
      break;
    default:
      return decode_error::bad_value;  // spare / national global title indicators
  }
  if (out.gti != 0) out.gt_address = c.rest();
  return decode_error::none;
}

// One parameter, found through its pointer (mandatory variable part) or in the optional part.
decode_error apply_parameter(std::uint8_t name, bytes value, const sccp_options& options, sccp_message& m) noexcept {
  switch (name) {
    case param::called_party:
      if (m.called.present) return decode_error::none;  // first occurrence wins
      return decode_address(value, options, m.called);
    case param::calling_party:
      if (m.calling.present) return decode_error::none;
      return decode_address(value, options, m.calling);
    case param::data:
      if (m.has_data) return decode_error::none;
      m.has_data = true;
      m.data = value;
      return decode_error::none;
    case param::credit:
      if (value.size() != 1) return decode_error::bad_length;
      m.has_credit = true;
      m.credit = u8_at(value, 0);
      return decode_error::none;
    case param::hop_counter:
      if (value.size() != 1) return decode_error::bad_length;
      m.has_hop_counter = true;
      m.hop_counter = u8_at(value, 0);
      return decode_error::none;
    case param::segmentation: {
      // Q.713 3.17: octet 1 = F (bit 8) | C (bit 7) | spare | remaining segments (bits 4-1);
      // octets 2-4 = segmentation local reference.
      if (value.size() != 4) return decode_error::bad_length;
      const std::uint8_t o = u8_at(value, 0);
      m.has_segmentation = true;
      m.segmentation.first = (o & 0x80) != 0;
      m.segmentation.in_sequence = (o & 0x40) != 0;
      m.segmentation.remaining = o & 0x0F;
      // Sent least significant octet first, like the other local references (3.2, 3.3).
      m.segmentation.local_reference =
          std::uint32_t{u8_at(value, 3)} << 16 | std::uint32_t{u8_at(value, 2)} << 8 | std::uint32_t{u8_at(value, 1)};
      return decode_error::none;
    }
    default:
      return decode_error::none;  // importance and others: skipped by length
  }
}

decode_error decode_message(bytes message, const sccp_options& options, sccp_message& m) noexcept {
  byte_cursor c(message);
  std::uint8_t type = 0;
  if (!c.u8(type)) return decode_error::truncated;
  const message_format* format = find_format(type);
  if (format == nullptr) return decode_error::unsupported;  // LUDT/LUDTS and unknown codes
  m.type = static_cast<sccp_msg_type>(type);

  for (const fixed f : format->fixed_fields) {
    if (f == fixed::none) break;  // the fields of a row are packed at its front
    std::uint8_t octet = 0;
    switch (f) {
      case fixed::none:
        break;
      case fixed::dlr:
        if (!c.le24(m.dlr)) return decode_error::truncated;  // Q.713 3.2: sent LSB first
        m.has_dlr = true;
        break;
      case fixed::slr:
        if (!c.le24(m.slr)) return decode_error::truncated;
        m.has_slr = true;
        break;
      case fixed::protocol_class:
        if (!c.u8(m.protocol_class)) return decode_error::truncated;
        m.has_protocol_class = true;
        break;
      case fixed::cause:
        if (!c.u8(m.cause)) return decode_error::truncated;
        m.has_cause = true;
        break;
      case fixed::segmenting:
        if (!c.u8(octet)) return decode_error::truncated;
        m.more_data = (octet & 0x01) != 0;  // Q.713 3.7: bit 1 = M
        break;
      case fixed::sequencing:
        if (!c.be16(m.sequencing)) return decode_error::truncated;
        m.has_sequencing = true;
        break;
      case fixed::receive_seq:
        if (!c.u8(octet)) return decode_error::truncated;
        m.has_sequencing = true;
        m.sequencing = octet;
        break;
      case fixed::credit:
        if (!c.u8(m.credit)) return decode_error::truncated;
        m.has_credit = true;
        break;
      case fixed::hop_counter:
        if (!c.u8(m.hop_counter)) return decode_error::truncated;
        m.has_hop_counter = true;
        break;
    }
  }

  // Q.713 2.1: each pointer gives the distance from the pointer octet itself to the parameter's
  // length octet. Pointers of the variable part are read first, then the optional part pointer.
  std::size_t variable_count = 0;
  for (const var v : format->variable)
    if (v != var::none) ++variable_count;
  const std::size_t pointer_count = variable_count + (format->optional_part ? 1 : 0);
  const std::size_t pointers_at = c.position();
  if (c.remaining() < pointer_count) return decode_error::truncated;

  for (std::size_t i = 0; i < variable_count; ++i) {
    const std::size_t pointer_pos = pointers_at + i;
    const std::uint8_t pointer = u8_at(message, pointer_pos);
    if (pointer == 0) return decode_error::bad_pointer;  // a mandatory parameter cannot be absent
    const std::size_t at = pointer_pos + pointer;
    // The parameter must lie after the pointers, inside the message.
    if (at < pointers_at + pointer_count || at >= message.size()) return decode_error::bad_pointer;
    const std::size_t length = u8_at(message, at);
    if (at + 1 + length > message.size()) return decode_error::bad_length;
    const bytes value = message.subspan(at + 1, length);
    std::uint8_t name = param::data;
    if (format->variable[i] == var::called) name = param::called_party;
    if (format->variable[i] == var::calling) name = param::calling_party;
    if ((name == param::called_party || name == param::calling_party) && length == 0)
      return decode_error::bad_length;  // a mandatory address has at least its indicator octet
    const decode_error e = apply_parameter(name, value, options, m);
    if (e != decode_error::none) return e;
  }

  if (format->optional_part) {
    const std::size_t pointer_pos = pointers_at + variable_count;
    const std::uint8_t pointer = u8_at(message, pointer_pos);
    if (pointer != 0) {  // 0: no optional part
      std::size_t at = pointer_pos + pointer;
      if (at < pointers_at + pointer_count || at >= message.size()) return decode_error::bad_pointer;
      // Q.713 2.3: name, length, value ... until the end-of-optional-parameters octet. A part that
      // ends without it (message end) is accepted.
      while (at < message.size()) {
        const std::uint8_t name = u8_at(message, at);
        if (name == param::end_of_optional) break;
        if (at + 1 >= message.size()) return decode_error::truncated;
        const std::size_t length = u8_at(message, at + 1);
        if (at + 2 + length > message.size()) return decode_error::bad_length;
        const decode_error e = apply_parameter(name, message.subspan(at + 2, length), options, m);
        if (e != decode_error::none) return e;
        at += 2 + length;
      }
    }
  }
  return decode_error::none;
}

}  // namespace

decode_error decode_sccp_into(bytes message, const sccp_options& options, sccp_message& out,
                              decode_stats* stats) noexcept {
  ::new (&out) sccp_message{};
  const decode_error e = decode_message(message, options, out);
  if (e != decode_error::none && stats != nullptr) stats->count(layer::sccp, e);
  return e;
}

result<sccp_message> decode_sccp(bytes message, const sccp_options& options, decode_stats* stats) noexcept {
  return result_from<sccp_message>([&](sccp_message& m) { return decode_sccp_into(message, options, m, stats); });
}

// --- reassembler ---

namespace {

// FNV-1a over the calling address fields that identify the segmenting node + the local ref.
std::uint64_t xudt_key(const sccp_message& m) noexcept {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (i * 8)) & 0xFF;
      h *= 1099511628211ULL;
    }
  };
  mix(m.calling.pc);
  mix(m.calling.ssn);
  mix(m.calling.gt_address.size());
  for (const std::byte b : m.calling.gt_address) mix(std::to_integer<std::uint8_t>(b));
  mix(m.segmentation.local_reference);
  return h;
}

}  // namespace

sccp_reassembler::slot* sccp_reassembler::find(std::uint64_t link, bool xudt, std::uint64_t key) noexcept {
  for (auto& s : _slots)
    if (s.busy && s.link == link && s.xudt == xudt && s.key == key) return &s;
  return nullptr;
}

sccp_reassembler::slot& sccp_reassembler::claim(std::uint64_t link, bool xudt, std::uint64_t key,
                                                std::uint64_t now) noexcept {
  slot* victim = &_slots[0];
  for (auto& s : _slots) {
    if (!s.busy) {
      victim = &s;
      break;
    }
    if (s.last_used < victim->last_used) victim = &s;
  }
  if (victim->busy) ++_evictions;
  victim->busy = true;
  victim->xudt = xudt;
  victim->link = link;
  victim->key = key;
  victim->last_used = now;
  victim->next_remaining = 0;
  victim->size = 0;
  return *victim;
}

sccp_reassembler::outcome sccp_reassembler::add(std::uint64_t link, const sccp_message& message, std::uint64_t now,
                                                decode_stats* stats) noexcept {
  auto drop = [&](decode_error e) noexcept {
    if (stats != nullptr) stats->count(layer::sccp, e);
    return outcome{status::dropped, {}, e};
  };
  const bool is_dt1 = message.type == sccp_msg_type::dt1;
  const bool is_xudt_segment =
      (message.type == sccp_msg_type::xudt || message.type == sccp_msg_type::xudts) && message.has_segmentation;
  if (!is_dt1 && !is_xudt_segment) return outcome{status::complete, message.data, decode_error::none};

  const std::uint64_t key = is_dt1 ? message.dlr : xudt_key(message);
  slot* s = find(link, !is_dt1, key);
  const std::uint64_t evictions_before = _evictions;

  if (is_dt1) {
    if (s == nullptr && !message.more_data)  // the common case: not segmented, nothing copied
      return outcome{status::complete, message.data, decode_error::none};
    if (s == nullptr) s = &claim(link, false, key, now);
  } else {
    // Q.714 4.1.1.2: the first segment has F set and says how many follow; each later segment
    // counts down by one. A gap abandons the message.
    if (message.segmentation.first) {
      if (s == nullptr) {
        s = &claim(link, true, key, now);
      } else {
        s->size = 0;  // a new first segment restarts the message
      }
      if (message.segmentation.remaining == 0)  // a single segment: complete as is
      {
        s->busy = false;
        return outcome{status::complete, message.data, decode_error::none};
      }
    } else {
      if (s == nullptr || message.segmentation.remaining != s->next_remaining) {
        if (s != nullptr) s->busy = false;
        ++_out_of_order;
        return drop(decode_error::bad_value);
      }
    }
    s->next_remaining = static_cast<std::uint8_t>(message.segmentation.remaining - 1);
  }

  // A partial message pushed out to make room is a drop too (of that other message).
  if (_evictions != evictions_before && stats != nullptr) stats->count(layer::sccp, decode_error::out_of_memory);

  if (s->size + message.data.size() > max_message_size) {
    s->busy = false;
    ++_overflows;
    return drop(decode_error::out_of_memory);
  }
  for (std::size_t i = 0; i < message.data.size(); ++i) s->buffer[s->size + i] = message.data[i];
  s->size = static_cast<std::uint16_t>(s->size + message.data.size());
  s->last_used = now;

  const bool last = is_dt1 ? !message.more_data : message.segmentation.remaining == 0;
  if (!last) return outcome{status::pending, {}, decode_error::none};
  s->busy = false;  // the bytes stay in the buffer until the slot is claimed again
  return outcome{status::complete, bytes(s->buffer.data(), s->size), decode_error::none};
}

void sccp_reassembler::expire(std::uint64_t before) noexcept {
  for (auto& s : _slots) {
    if (s.busy && s.last_used < before) {
      s.busy = false;
      ++_expired;
    }
  }
}

void sccp_reassembler::forget_connection(std::uint64_t link, std::uint32_t dlr) noexcept {
  if (slot* s = find(link, false, dlr)) s->busy = false;
}

std::size_t sccp_reassembler::in_use() const noexcept {
  std::size_t n = 0;
  for (const auto& s : _slots) n += s.busy ? 1 : 0;
  return n;
}

}  // namespace bssap::dec
