// References: SMPP v3.4 Issue 1.2: 3.2, 4.1, 4.4, 4.6, 5.1, 5.2, 5.3, Appendix B.
#include "bssap/smpp/pdu.hpp"

#include <algorithm>
#include <array>

namespace bssap::smpp {
namespace {

// A bounds-checked reader over a PDU body; every read reports failure instead of reading past.
class reader {
 public:
  explicit reader(std::span<const std::uint8_t> data) noexcept : _data(data) {}
  [[nodiscard]] bool u8(std::uint8_t& v) noexcept {
    if (_at + 1 > _data.size()) return false;
    v = _data[_at++];
    return true;
  }
  [[nodiscard]] bool be16(std::uint16_t& v) noexcept {
    if (_at + 2 > _data.size()) return false;
    v = static_cast<std::uint16_t>(_data[_at] << 8 | _data[_at + 1]);
    _at += 2;
    return true;
  }
  // C-octet string of at most `max_size` octets including the NUL (5.2: "max length" counts it).
  [[nodiscard]] decode_error cstr(std::size_t max_size, std::string_view& v) noexcept {
    const std::size_t limit = std::min(_data.size(), _at + max_size);
    for (std::size_t i = _at; i < limit; ++i) {
      if (_data[i] == 0) {
        v = std::string_view(reinterpret_cast<const char*>(_data.data() + _at), i - _at);
        _at = i + 1;
        return decode_error::none;
      }
    }
    return limit == _data.size() && _data.size() - _at < max_size ? decode_error::truncated
                                                                  : decode_error::unterminated;
  }
  [[nodiscard]] bool take(std::size_t n, std::span<const std::uint8_t>& v) noexcept {
    if (n > _data.size() - _at) return false;
    v = _data.subspan(_at, n);
    _at += n;
    return true;
  }
  [[nodiscard]] std::size_t remaining() const noexcept { return _data.size() - _at; }

 private:
  std::span<const std::uint8_t> _data;
  std::size_t _at = 0;
};

std::uint32_t load_be32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put_be16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
// C-octet string cut to max_size-1 characters, NUL-terminated (5.2).
void put_cstr(std::vector<std::uint8_t>& out, std::string_view s, std::size_t max_size) {
  const std::size_t n = std::min(s.size(), max_size - 1);
  for (std::size_t i = 0; i < n; ++i) {
    // An embedded NUL would end the field early at the peer: stop there instead.
    if (s[i] == '\0') break;
    out.push_back(static_cast<std::uint8_t>(s[i]));
  }
  out.push_back(0);
}

std::size_t begin_pdu(std::vector<std::uint8_t>& out, std::uint32_t command_id, std::uint32_t command_status,
                      std::uint32_t sequence) {
  const std::size_t at = out.size();
  put_be32(out, 0);  // command_length, patched by end_pdu
  put_be32(out, command_id);
  put_be32(out, command_status);
  put_be32(out, sequence);
  return at;
}
std::size_t end_pdu(std::vector<std::uint8_t>& out, std::size_t at) {
  const auto len = static_cast<std::uint32_t>(out.size() - at);
  out[at] = static_cast<std::uint8_t>(len >> 24);
  out[at + 1] = static_cast<std::uint8_t>(len >> 16);
  out[at + 2] = static_cast<std::uint8_t>(len >> 8);
  out[at + 3] = static_cast<std::uint8_t>(len);
  return at;
}

// 5.2 maximum sizes (including the terminating NUL).
constexpr std::size_t system_id_size = 16;
constexpr std::size_t password_size = 9;
constexpr std::size_t system_type_size = 13;
constexpr std::size_t address_range_size = 41;
constexpr std::size_t service_type_size = 6;
constexpr std::size_t addr_size = 21;  // source_addr / destination_addr in submit_sm and deliver_sm
constexpr std::size_t time_size = 17;  // schedule_delivery_time / validity_period
constexpr std::size_t message_id_size = 65;
constexpr std::size_t max_short_message = 254;  // 5.2.22

}  // namespace

std::string_view status_name(std::uint32_t s) noexcept {
  switch (s) {
    case status::ok:
      return "ESME_ROK";
    case status::invmsglen:
      return "ESME_RINVMSGLEN";
    case status::invcmdlen:
      return "ESME_RINVCMDLEN";
    case status::invcmdid:
      return "ESME_RINVCMDID";
    case status::invbndsts:
      return "ESME_RINVBNDSTS";
    case status::alybnd:
      return "ESME_RALYBND";
    case status::syserr:
      return "ESME_RSYSERR";
    case status::invsrcadr:
      return "ESME_RINVSRCADR";
    case status::invdstadr:
      return "ESME_RINVDSTADR";
    case status::bindfail:
      return "ESME_RBINDFAIL";
    case status::invpaswd:
      return "ESME_RINVPASWD";
    case status::invsysid:
      return "ESME_RINVSYSID";
    case status::msgqful:
      return "ESME_RMSGQFUL";
    case status::invesmclass:
      return "ESME_RINVESMCLASS";
    case status::throttled:
      return "ESME_RTHROTTLED";
    case status::rx_t_appn:
      return "ESME_RX_T_APPN";
    default:
      return "ESME_R_OTHER";
  }
}

std::string_view to_string(decode_error e) noexcept {
  switch (e) {
    case decode_error::none:
      return "none";
    case decode_error::truncated:
      return "truncated";
    case decode_error::bad_command_length:
      return "bad_command_length";
    case decode_error::unterminated:
      return "unterminated";
    case decode_error::bad_sm_length:
      return "bad_sm_length";
    case decode_error::bad_tlv:
      return "bad_tlv";
  }
  return "unknown";
}

frame peek_frame(std::span<const std::uint8_t> stream, std::size_t max_pdu_size) noexcept {
  frame f;
  if (stream.size() < 4) return f;
  f.hdr.command_length = load_be32(stream.data());
  if (f.hdr.command_length < header_size || f.hdr.command_length > max_pdu_size) {
    // 3.2: command_length covers the whole PDU; a smaller or absurd value cannot be framed,
    // so the stream is unrecoverable (no resynchronisation marker exists in SMPP).
    f.state = frame::kind::bad_length;
    if (stream.size() >= header_size) {
      f.hdr.command_id = load_be32(stream.data() + 4);
      f.hdr.sequence_number = load_be32(stream.data() + 12);
    }
    return f;
  }
  if (stream.size() < f.hdr.command_length) return f;
  f.hdr.command_id = load_be32(stream.data() + 4);
  f.hdr.command_status = load_be32(stream.data() + 8);
  f.hdr.sequence_number = load_be32(stream.data() + 12);
  f.state = frame::kind::ready;
  return f;
}

decode_error decode_header(std::span<const std::uint8_t> pdu, header& out) noexcept {
  if (pdu.size() < header_size) return decode_error::truncated;
  out.command_length = load_be32(pdu.data());
  out.command_id = load_be32(pdu.data() + 4);
  out.command_status = load_be32(pdu.data() + 8);
  out.sequence_number = load_be32(pdu.data() + 12);
  if (out.command_length < header_size) return decode_error::bad_command_length;
  if (out.command_length > pdu.size()) return decode_error::truncated;
  return decode_error::none;
}

decode_error decode_bind(std::span<const std::uint8_t> body, bind_body& out) noexcept {
  reader r(body);
  decode_error e;
  if ((e = r.cstr(system_id_size, out.system_id)) != decode_error::none) return e;
  if ((e = r.cstr(password_size, out.password)) != decode_error::none) return e;
  if ((e = r.cstr(system_type_size, out.system_type)) != decode_error::none) return e;
  if (!r.u8(out.interface_version) || !r.u8(out.addr_ton) || !r.u8(out.addr_npi)) return decode_error::truncated;
  return r.cstr(address_range_size, out.address_range);
}

decode_error decode_sm(std::span<const std::uint8_t> body, sm_body& out) noexcept {
  reader r(body);
  decode_error e;
  out = sm_body{};
  if ((e = r.cstr(service_type_size, out.service_type)) != decode_error::none) return e;
  if (!r.u8(out.source.ton) || !r.u8(out.source.npi)) return decode_error::truncated;
  if ((e = r.cstr(addr_size, out.source.addr)) != decode_error::none) return e;
  if (!r.u8(out.destination.ton) || !r.u8(out.destination.npi)) return decode_error::truncated;
  if ((e = r.cstr(addr_size, out.destination.addr)) != decode_error::none) return e;
  if (!r.u8(out.esm_class) || !r.u8(out.protocol_id) || !r.u8(out.priority_flag)) return decode_error::truncated;
  if ((e = r.cstr(time_size, out.schedule_delivery_time)) != decode_error::none) return e;
  if ((e = r.cstr(time_size, out.validity_period)) != decode_error::none) return e;
  std::uint8_t sm_length = 0;
  if (!r.u8(out.registered_delivery) || !r.u8(out.replace_if_present_flag) || !r.u8(out.data_coding) ||
      !r.u8(out.sm_default_msg_id) || !r.u8(sm_length))
    return decode_error::truncated;
  if (sm_length > max_short_message || !r.take(sm_length, out.short_message)) return decode_error::bad_sm_length;
  // 5.3.1 TLVs: tag(2) length(2) value; unknown tags are skipped by their length.
  while (r.remaining() > 0) {
    std::uint16_t t = 0;
    std::uint16_t len = 0;
    std::span<const std::uint8_t> v;
    if (!r.be16(t) || !r.be16(len) || !r.take(len, v)) return decode_error::bad_tlv;
    switch (t) {
      case tag::user_message_reference:
        if (len != 2) return decode_error::bad_tlv;
        if (!out.user_message_reference) out.user_message_reference = static_cast<std::uint16_t>(v[0] << 8 | v[1]);
        break;
      case tag::message_state:
        if (len != 1) return decode_error::bad_tlv;
        if (!out.message_state) out.message_state = v[0];
        break;
      case tag::receipted_message_id: {
        if (len > message_id_size) return decode_error::bad_tlv;
        // C-octet string: value up to the NUL (tolerate a missing one, as some SMSCs send).
        std::size_t n = 0;
        while (n < v.size() && v[n] != 0) ++n;
        if (out.receipted_message_id.empty())
          out.receipted_message_id = std::string_view(reinterpret_cast<const char*>(v.data()), n);
        break;
      }
      case tag::message_payload:
        if (out.message_payload.empty()) out.message_payload = v;
        break;
      default:
        break;
    }
  }
  return decode_error::none;
}

decode_error decode_resp_id(std::span<const std::uint8_t> body, std::size_t max_len, std::string_view& id) noexcept {
  id = {};
  if (body.empty()) return decode_error::none;
  reader r(body);
  return r.cstr(max_len + 1, id);
}

std::size_t encode_header_only(std::vector<std::uint8_t>& out, std::uint32_t command_id, std::uint32_t command_status,
                               std::uint32_t sequence) {
  return end_pdu(out, begin_pdu(out, command_id, command_status, sequence));
}

std::size_t encode_bind(std::vector<std::uint8_t>& out, std::uint32_t command_id, std::uint32_t sequence,
                        const bind_body& b) {
  const std::size_t at = begin_pdu(out, command_id, 0, sequence);
  put_cstr(out, b.system_id, system_id_size);
  put_cstr(out, b.password, password_size);
  put_cstr(out, b.system_type, system_type_size);
  out.push_back(b.interface_version);
  out.push_back(b.addr_ton);
  out.push_back(b.addr_npi);
  put_cstr(out, b.address_range, address_range_size);
  return end_pdu(out, at);
}

std::size_t encode_bind_resp(std::vector<std::uint8_t>& out, std::uint32_t command_id, std::uint32_t command_status,
                             std::uint32_t sequence, std::string_view system_id) {
  const std::size_t at = begin_pdu(out, command_id, command_status, sequence);
  put_cstr(out, system_id, system_id_size);
  if (command_status == status::ok) {
    // 4.1.2: sc_interface_version TLV tells the ESME we speak 3.4.
    put_be16(out, tag::sc_interface_version);
    put_be16(out, 1);
    out.push_back(0x34);
  }
  return end_pdu(out, at);
}

std::size_t encode_sm(std::vector<std::uint8_t>& out, std::uint32_t command_id, std::uint32_t sequence,
                      const sm_body& b) {
  const std::size_t at = begin_pdu(out, command_id, 0, sequence);
  put_cstr(out, b.service_type, service_type_size);
  out.push_back(b.source.ton);
  out.push_back(b.source.npi);
  put_cstr(out, b.source.addr, addr_size);
  out.push_back(b.destination.ton);
  out.push_back(b.destination.npi);
  put_cstr(out, b.destination.addr, addr_size);
  out.push_back(b.esm_class);
  out.push_back(b.protocol_id);
  out.push_back(b.priority_flag);
  put_cstr(out, b.schedule_delivery_time, time_size);
  put_cstr(out, b.validity_period, time_size);
  out.push_back(b.registered_delivery);
  out.push_back(b.replace_if_present_flag);
  out.push_back(b.data_coding);
  out.push_back(b.sm_default_msg_id);
  const std::size_t sm_len = std::min(b.short_message.size(), max_short_message);
  out.push_back(static_cast<std::uint8_t>(sm_len));
  out.insert(out.end(), b.short_message.begin(), b.short_message.begin() + static_cast<std::ptrdiff_t>(sm_len));
  if (b.user_message_reference) {
    put_be16(out, tag::user_message_reference);
    put_be16(out, 2);
    put_be16(out, *b.user_message_reference);
  }
  if (!b.receipted_message_id.empty()) {
    const std::size_t n = std::min(b.receipted_message_id.size(), message_id_size - 1);
    put_be16(out, tag::receipted_message_id);
    put_be16(out, static_cast<std::uint16_t>(n + 1));
    put_cstr(out, b.receipted_message_id, message_id_size);
  }
  if (b.message_state) {
    put_be16(out, tag::message_state);
    put_be16(out, 1);
    out.push_back(*b.message_state);
  }
  if (!b.message_payload.empty()) {
    const std::size_t n = std::min<std::size_t>(b.message_payload.size(), 0xFFFF);
    put_be16(out, tag::message_payload);
    put_be16(out, static_cast<std::uint16_t>(n));
    out.insert(out.end(), b.message_payload.begin(), b.message_payload.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return end_pdu(out, at);
}

std::size_t encode_resp_id(std::vector<std::uint8_t>& out, std::uint32_t command_id, std::uint32_t command_status,
                           std::uint32_t sequence, std::string_view message_id) {
  const std::size_t at = begin_pdu(out, command_id, command_status, sequence);
  // 4.4.2: the submit_sm_resp body is not returned when command_status is non-zero;
  // deliver_sm_resp always carries a NUL message_id (4.6.2).
  if (command_status == status::ok || command_id == cmd::deliver_sm_resp) put_cstr(out, message_id, message_id_size);
  return end_pdu(out, at);
}

void set_sequence(std::span<std::uint8_t> pdu, std::uint32_t sequence) noexcept {
  if (pdu.size() < header_size) return;
  pdu[12] = static_cast<std::uint8_t>(sequence >> 24);
  pdu[13] = static_cast<std::uint8_t>(sequence >> 16);
  pdu[14] = static_cast<std::uint8_t>(sequence >> 8);
  pdu[15] = static_cast<std::uint8_t>(sequence);
}

namespace {
// Appendix B "key:value" fields; "submit date" and "done date" contain a space in the key.
std::string_view field_after(std::string_view text, std::string_view key) noexcept {
  std::size_t from = 0;
  while (true) {
    const std::size_t p = text.find(key, from);
    if (p == std::string_view::npos) return {};
    // Match only at a word start ("id:" must not match inside "msgid:" or "submit date:").
    if (p == 0 || text[p - 1] == ' ') {
      const std::size_t begin = p + key.size();
      std::size_t end = text.find(' ', begin);
      if (end == std::string_view::npos) end = text.size();
      return text.substr(begin, end - begin);
    }
    from = p + 1;
  }
}
}  // namespace

bool parse_receipt_text(std::string_view text, receipt_text& out) noexcept {
  out = {};
  // Appendix B is lower case; some SMSCs capitalise the keys ("ID:", "STAT:").
  out.id = field_after(text, "id:");
  if (out.id.empty()) out.id = field_after(text, "ID:");
  out.stat = field_after(text, "stat:");
  if (out.stat.empty()) out.stat = field_after(text, "STAT:");
  out.err = field_after(text, "err:");
  return !out.id.empty() && !out.stat.empty();
}

message_state state_from_stat(std::string_view stat) noexcept {
  if (stat == "DELIVRD") return message_state::delivered;
  if (stat == "EXPIRED") return message_state::expired;
  if (stat == "DELETED") return message_state::deleted;
  if (stat == "UNDELIV") return message_state::undeliverable;
  if (stat == "ACCEPTD") return message_state::accepted;
  if (stat == "REJECTD") return message_state::rejected;
  if (stat == "ENROUTE") return message_state::enroute;
  return message_state::unknown;
}

std::string_view stat_word(message_state s) noexcept {
  switch (s) {
    case message_state::enroute:
      return "ENROUTE";
    case message_state::delivered:
      return "DELIVRD";
    case message_state::expired:
      return "EXPIRED";
    case message_state::deleted:
      return "DELETED";
    case message_state::undeliverable:
      return "UNDELIV";
    case message_state::accepted:
      return "ACCEPTD";
    case message_state::unknown:
      return "UNKNOWN";
    case message_state::rejected:
      return "REJECTD";
  }
  return "UNKNOWN";
}

}  // namespace bssap::smpp
