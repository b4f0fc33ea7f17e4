// Who owns what before the SCCP half runs: relation_of (the SS7 relation of an SCCP unit, which
// the probe's SCCP workers are sharded by) and flow_hash (frames to queues before any decoding).
// References: packet_stack.hpp.
#include "bssap/decoders/mtp2.hpp"
#include "bssap/decoders/mtp3.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "flow_keys.hpp"

namespace bssap::dec {

using detail::address_pair_hash;
using detail::point_code_pair_hash;

ss7_relation relation_of(const sccp_unit& u) noexcept {
  if (u.kind == transport::ipa || u.kind == transport::rua) return {u.flow_id, u.direction};
  // SUA: one namespace of references for all of it (probe/src/flow_decoder.cpp says why).
  if (u.kind == transport::sua) return {0x5355410000000001ULL, 0};
  // Not the network indicator: real ends disagree on it (the Iu-CS MO call capture in
  // ../shared/pcaps/real has NI 1 one way and 2 the other, on the same connection).
  return {point_code_pair_hash(u.opc, u.dpc), static_cast<std::uint8_t>(u.opc > u.dpc ? 1 : 0)};
}

std::uint64_t flow_hash(linktype lt, bytes frame, point_code_format pc_format) noexcept {
  const auto link = decode_link(lt, frame);
  if (!link) return 0;
  bytes mtp3_bytes;
  switch (link->next) {
    case network_proto::ipv4: {
      // Only the fixed header: fragments and truncated packets hash like the rest of their flow.
      const bytes p = link->payload;
      if (p.size() < 20 || (u8_at(p, 0) >> 4) != 4) return 0;
      return address_pair_hash(p.subspan(12, 4), p.subspan(16, 4));
    }
    case network_proto::ipv6: {
      const bytes p = link->payload;
      if (p.size() < 40 || (u8_at(p, 0) >> 4) != 6) return 0;
      return address_pair_hash(p.subspan(8, 16), p.subspan(24, 16));
    }
    case network_proto::mtp2: {
      const auto v = decode_mtp2(link->payload, link->mtp2_annex_a == 1);
      if (!v || v->kind != mtp2_unit::msu) return 0;
      mtp3_bytes = v->payload;
      break;
    }
    case network_proto::mtp3:
      mtp3_bytes = link->payload;
      break;
    case network_proto::other:
      return 0;
  }
  const auto m = decode_mtp3(mtp3_bytes, pc_format);
  if (!m) return 0;
  return point_code_pair_hash(m->opc, m->dpc);
}

}  // namespace bssap::dec
