// Link layer decoding. References: see link.hpp.
#include "bssap/decoders/link.hpp"

namespace bssap::dec {
namespace {

constexpr bool is_vlan_ethertype(std::uint16_t t) noexcept {
  return t == ethertype_vlan || t == ethertype_qinq || t == ethertype_qinq_old;
}

constexpr network_proto from_ethertype(std::uint16_t t) noexcept {
  if (t == ethertype_ipv4) return network_proto::ipv4;
  if (t == ethertype_ipv6) return network_proto::ipv6;
  return network_proto::other;
}

// Skips any 802.1Q / 802.1ad tags after an ethertype field and fills the view.
decode_error finish_ethertype(byte_cursor& c, std::uint16_t ethertype, link_view& v) noexcept {
  while (is_vlan_ethertype(ethertype)) {
    if (v.vlan_count == max_vlan_tags) return decode_error::bad_value;
    std::uint16_t tci = 0;
    if (!c.be16(tci) || !c.be16(ethertype)) return decode_error::truncated;
    // IEEE 802.1Q 9.6: TCI = PCP(3) DEI(1) VID(12).
    if (v.vlan_count == 0) v.outer_vlan = tci & 0x0FFF;
    if (v.vlan_count == 1) v.inner_vlan = tci & 0x0FFF;
    ++v.vlan_count;
  }
  v.ethertype = ethertype;
  v.next = from_ethertype(ethertype);
  v.payload = c.rest();
  return decode_error::none;
}

decode_error raw_ip(bytes frame, link_view& v) noexcept {
  if (frame.empty()) return decode_error::truncated;
  const auto version = u8_at(frame, 0) >> 4;
  if (version == 4) {
    v.next = network_proto::ipv4;
  } else if (version == 6) {
    v.next = network_proto::ipv6;
  } else {
    return decode_error::bad_value;
  }
  v.payload = frame;
  return decode_error::none;
}

}  // namespace

decode_error decode_link_into(linktype lt, bytes frame, link_view& v) noexcept {
  byte_cursor c{frame};
  v = link_view{};
  switch (lt) {
    case linktype::ethernet: {
      // destination(6) source(6) ethertype(2); an ethertype <= 1500 is an 802.3 length (LLC):
      // not IP for us, reported as `other`.
      std::uint16_t ethertype = 0;
      if (!c.skip(12) || !c.be16(ethertype)) return decode_error::truncated;
      if (ethertype <= 1500) {
        v.ethertype = ethertype;
        v.payload = c.rest();
        return decode_error::none;
      }
      return finish_ethertype(c, ethertype, v);
    }
    case linktype::linux_sll: {
      // packet type(2) ARPHRD(2) address length(2) address(8) protocol(2)
      std::uint16_t protocol = 0;
      if (!c.skip(14) || !c.be16(protocol)) return decode_error::truncated;
      return finish_ethertype(c, protocol, v);
    }
    case linktype::linux_sll2: {
      // protocol(2) reserved(2) interface index(4) ARPHRD(2) packet type(1) address length(1) address(8)
      std::uint16_t protocol = 0;
      if (!c.be16(protocol) || !c.skip(18)) return decode_error::truncated;
      return finish_ethertype(c, protocol, v);
    }
    case linktype::raw:
      return raw_ip(frame, v);
    case linktype::ipv4:
      if (frame.empty()) return decode_error::truncated;
      v.next = network_proto::ipv4;
      v.payload = frame;
      return decode_error::none;
    case linktype::ipv6:
      if (frame.empty()) return decode_error::truncated;
      v.next = network_proto::ipv6;
      v.payload = frame;
      return decode_error::none;
    case linktype::mtp2_phdr:
      if (!c.u8(v.mtp2_sent) || !c.u8(v.mtp2_annex_a) || !c.be16(v.mtp2_link)) return decode_error::truncated;
      v.next = network_proto::mtp2;
      v.payload = c.rest();
      return decode_error::none;
    case linktype::mtp2:
      v.next = network_proto::mtp2;
      v.payload = frame;
      return decode_error::none;
    case linktype::mtp3:
      v.next = network_proto::mtp3;
      v.payload = frame;
      return decode_error::none;
  }
  return decode_error::unsupported;
}

result<link_view> decode_link(linktype lt, bytes frame) noexcept {
  return result_from<link_view>([&](link_view& v) { return decode_link_into(lt, frame, v); });
}

}  // namespace bssap::dec
