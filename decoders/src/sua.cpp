// SUA messages as SCCP messages (see sua.hpp). RFC 3868 3.10: every parameter is a tag (16 bits),
// a length (16 bits, header included, padding excluded) and a value padded to 4 octets.
#include "bssap/decoders/sua.hpp"

#include "bssap/decoders/cursor.hpp"

namespace bssap::dec {

namespace {

constexpr std::uint16_t tag_source_address = 0x0102;
constexpr std::uint16_t tag_destination_address = 0x0103;
constexpr std::uint16_t tag_source_reference = 0x0104;
constexpr std::uint16_t tag_destination_reference = 0x0105;
constexpr std::uint16_t tag_sccp_cause = 0x0106;
constexpr std::uint16_t tag_data = 0x010B;
constexpr std::uint16_t tag_protocol_class = 0x0115;
constexpr std::uint16_t tag_point_code = 0x8002;
constexpr std::uint16_t tag_ssn = 0x8003;

std::uint32_t be32_at(bytes b, std::size_t at) noexcept {
  return std::uint32_t{u8_at(b, at)} << 24 | std::uint32_t{u8_at(b, at + 1)} << 16 |
         std::uint32_t{u8_at(b, at + 2)} << 8 | u8_at(b, at + 3);
}

// Walks the parameters of `body`, calling f(tag, value) for each; false on a malformed one.
template <class F>
decode_error for_each_parameter(bytes body, F&& f) noexcept {
  std::size_t at = 0;
  while (at < body.size()) {
    if (body.size() - at < 4) return decode_error::truncated;
    const std::uint16_t tag = static_cast<std::uint16_t>(u8_at(body, at) << 8 | u8_at(body, at + 1));
    const std::size_t length = static_cast<std::size_t>(u8_at(body, at + 2) << 8 | u8_at(body, at + 3));
    if (length < 4 || length > body.size() - at) return decode_error::bad_length;
    if (const decode_error e = f(tag, body.subspan(at + 4, length - 4)); e != decode_error::none) return e;
    at += (length + 3) & ~std::size_t{3};
  }
  return decode_error::none;
}

// 3.10.2 / 3.10.3: routing indicator (16), address indicator (16), then sub-parameters.
decode_error decode_address(bytes value, sccp_address& out) noexcept {
  if (value.size() < 4) return decode_error::truncated;
  out.present = true;
  const std::uint16_t routing = static_cast<std::uint16_t>(u8_at(value, 0) << 8 | u8_at(value, 1));
  out.route_on_ssn = routing == 2;  // 2 = route on SSN + PC
  return for_each_parameter(value.subspan(4), [&](std::uint16_t tag, bytes v) noexcept {
    if (tag == tag_point_code) {
      if (v.size() < 4) return decode_error::truncated;
      out.has_pc = true;
      out.pc = be32_at(v, 0) & 0xFFFFFFu;
    } else if (tag == tag_ssn) {
      if (v.size() < 4) return decode_error::truncated;
      out.has_ssn = true;
      out.ssn = u8_at(v, 3);
    }
    return decode_error::none;  // GT, IP address, host name: not needed here
  });
}

struct type_row {
  std::uint8_t msg_class;
  std::uint8_t msg_type;
  sccp_msg_type sccp;
  bool needs_source_reference;
  bool needs_destination_reference;
  bool needs_data;
};
// RFC 3868 3.3: the CL and CO messages and the SCCP message each stands for (Q.713 4).
constexpr type_row type_rows[] = {
    {sua_class::cl, 1, sccp_msg_type::udt, false, false, true},   // CLDT
    {sua_class::co, 1, sccp_msg_type::cr, true, false, false},    // CORE
    {sua_class::co, 2, sccp_msg_type::cc, true, true, false},     // COAK
    {sua_class::co, 3, sccp_msg_type::cref, false, true, false},  // COREF
    {sua_class::co, 4, sccp_msg_type::rlsd, true, true, false},   // RELRE
    {sua_class::co, 5, sccp_msg_type::rlc, true, true, false},    // RELCO
    {sua_class::co, 8, sccp_msg_type::dt1, false, true, true},    // CODT
    {sua_class::co, 11, sccp_msg_type::it, true, true, false},    // COIT
};

decode_error decode(bytes message, sccp_message& out) noexcept {
  sua_header h;
  if (const decode_error e = decode_sua_header(message, h); e != decode_error::none) return e;
  const type_row* row = nullptr;
  for (const auto& r : type_rows)
    if (r.msg_class == h.msg_class && r.msg_type == h.msg_type) row = &r;
  if (row == nullptr) return decode_error::unsupported;
  out.type = row->sccp;
  const decode_error e = for_each_parameter(message.subspan(8, h.length - 8), [&](std::uint16_t tag, bytes v) noexcept {
    switch (tag) {
      case tag_source_reference:
        if (v.size() < 4) return decode_error::truncated;
        out.has_slr = true;
        out.slr = be32_at(v, 0) & 0xFFFFFFu;
        return decode_error::none;
      case tag_destination_reference:
        if (v.size() < 4) return decode_error::truncated;
        out.has_dlr = true;
        out.dlr = be32_at(v, 0) & 0xFFFFFFu;
        return decode_error::none;
      case tag_source_address:
        return decode_address(v, out.calling);
      case tag_destination_address:
        return decode_address(v, out.called);
      case tag_sccp_cause:  // cause type (octet 3), cause value (octet 4)
        if (v.size() < 4) return decode_error::truncated;
        out.has_cause = true;
        out.cause = u8_at(v, 3);
        return decode_error::none;
      case tag_protocol_class:
        if (v.size() < 4) return decode_error::truncated;
        out.has_protocol_class = true;
        out.protocol_class = u8_at(v, 3);
        return decode_error::none;
      case tag_data:
        out.has_data = true;
        out.data = v;
        return decode_error::none;
      default:
        return decode_error::none;  // routing context, hop counter, sequence control...
    }
  });
  if (e != decode_error::none) return e;
  if ((row->needs_source_reference && !out.has_slr) || (row->needs_destination_reference && !out.has_dlr) ||
      (row->needs_data && !out.has_data))
    return decode_error::missing_ie;
  return decode_error::none;
}

}  // namespace

decode_error decode_sua_header(bytes data, sua_header& out) noexcept {
  if (data.size() < 8) return decode_error::truncated;
  if (u8_at(data, 0) != 1) return decode_error::bad_value;  // 3.1.1: version 1
  out.msg_class = u8_at(data, 2);
  out.msg_type = u8_at(data, 3);
  out.length = be32_at(data, 4);
  if (out.length < 8 || out.length > data.size()) return decode_error::bad_length;
  return decode_error::none;
}

decode_error decode_sua_into(bytes message, sccp_message& out, decode_stats* stats) noexcept {
  ::new (&out) sccp_message{};
  const decode_error e = decode(message, out);
  if (e != decode_error::none && stats != nullptr) stats->count(layer::sua, e);
  return e;
}

}  // namespace bssap::dec
