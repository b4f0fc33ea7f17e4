// SUA (RFC 3868) encoder: the SCCP procedures of an Iu-CS connection as SUA messages over SCTP
// (PPID 4), each carrying the RANAP-PDU of ranap.cpp as its Data. Clauses: RFC 3868 3.1 (common
// header, classes), 3.3 (CL and CO messages), 3.10 (parameters).
#include "sua.hpp"

#include "ranap.hpp"

namespace bssap::synth {

namespace {

// RFC 3868 3.1: message classes and the CO / CL types used; 3.10: parameter tags.
constexpr std::uint8_t class_cl = 7, class_co = 8;
constexpr std::uint8_t cldt = 1, core = 1, coak = 2, coref = 3, relre = 4, relco = 5, codt = 8;
constexpr std::uint16_t tag_routing_context = 0x0006, tag_source_address = 0x0102, tag_destination_address = 0x0103,
                        tag_source_reference = 0x0104, tag_destination_reference = 0x0105, tag_sccp_cause = 0x0106,
                        tag_data = 0x010B, tag_protocol_class = 0x0115, tag_sequence_control = 0x0116,
                        tag_point_code = 0x8002, tag_ssn = 0x8003;
constexpr std::uint32_t ssn_ranap = 142;

void param_u32(wbuf& out, std::uint16_t tag, std::uint32_t v) {
  out.be16(tag);
  out.be16(8);
  out.be32(v);
}
// 3.10.2/3.10.3: routing indicator 2 (route on SSN + PC), address indicator 3 (SSN and PC
// present), the SSN and the point code as sub-parameters.
void param_address(wbuf& out, std::uint16_t tag, std::uint32_t pc) {
  out.be16(tag);
  out.be16(4 + 4 + 8 + 8);
  out.be16(2);
  out.be16(0x0003);
  param_u32(out, tag_ssn, ssn_ranap);
  param_u32(out, tag_point_code, pc);
}
// 3.10.21 Data: the RANAP-PDU, padded to 4 octets (the length excludes the padding).
void param_data(wbuf& out, const msg& m, const conn_ctx& c, const world_view& w) {
  out.be16(tag_data);
  const std::size_t len_at = out.n;
  out.be16(0);
  const std::size_t start = out.n;
  put_ranap(m, c, w, out);
  out.patch_be16(len_at, static_cast<unsigned>(4 + out.n - start));
  while (out.n % 4 != 0) out.u8(0);
}

}  // namespace

void encode_sua(const msg& m, const conn_ctx& c, const world_view& w, std::uint32_t rnc_pc, std::uint32_t msc_pc,
                wbuf& out) noexcept {
  const std::size_t start = out.n;
  const bool up = m.d == dir::up;
  const std::uint32_t src = up ? c.bsc_ref : c.msc_ref;
  const std::uint32_t dst = up ? c.msc_ref : c.bsc_ref;
  // 3.1.1 common header: version 1, reserved, class, type, length (patched at the end).
  auto header = [&](std::uint8_t cls, std::uint8_t type) {
    out.u8(1);
    out.u8(0);
    out.u8(cls);
    out.u8(type);
    out.be32(0);
    param_u32(out, tag_routing_context, 0);
  };
  switch (m.kind) {
    case mk::cr:  // 3.3.2.1 CORE: protocol class 2, source reference, destination address, sequence control
      header(class_co, core);
      param_u32(out, tag_protocol_class, 2);
      param_u32(out, tag_source_reference, c.bsc_ref);
      param_address(out, tag_destination_address, msc_pc);
      param_u32(out, tag_sequence_control, 0);
      param_address(out, tag_source_address, rnc_pc);
      param_data(out, m, c, w);
      break;
    case mk::cc:  // 3.3.2.2 COAK
      header(class_co, coak);
      param_u32(out, tag_protocol_class, 2);
      param_u32(out, tag_destination_reference, c.bsc_ref);
      param_u32(out, tag_source_reference, c.msc_ref);
      break;
    case mk::cref:  // 3.3.2.3 COREF: SCCP cause type 2 (refusal cause, Q.713 3.15)
      header(class_co, coref);
      param_u32(out, tag_destination_reference, c.bsc_ref);
      param_u32(out, tag_sccp_cause, 0x0200u | m.cause);
      break;
    case mk::rlsd:  // 3.3.2.4 RELRE: release cause 0 (end user originated, Q.713 3.11)
      header(class_co, relre);
      param_u32(out, tag_destination_reference, dst);
      param_u32(out, tag_source_reference, src);
      param_u32(out, tag_sccp_cause, 0x0300u);
      break;
    case mk::rlc:  // 3.3.2.5 RELCO
      header(class_co, relco);
      param_u32(out, tag_destination_reference, dst);
      param_u32(out, tag_source_reference, src);
      break;
    case mk::paging:
    case mk::reset:
    case mk::reset_ack:  // 3.3.1.1 CLDT: class 0, both addresses, sequence control, data
      header(class_cl, cldt);
      param_u32(out, tag_protocol_class, 0);
      param_address(out, tag_source_address, up ? rnc_pc : msc_pc);
      param_address(out, tag_destination_address, up ? msc_pc : rnc_pc);
      param_u32(out, tag_sequence_control, 0);
      param_data(out, m, c, w);
      break;
    default:  // 3.3.2.8 CODT
      header(class_co, codt);
      param_u32(out, tag_destination_reference, dst);
      param_data(out, m, c, w);
      break;
  }
  const auto len = static_cast<std::uint32_t>(out.n - start);
  out.patch_be16(start + 4, len >> 16);
  out.patch_be16(start + 6, len & 0xFFFF);
}

}  // namespace bssap::synth
