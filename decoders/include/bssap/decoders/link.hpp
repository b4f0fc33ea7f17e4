// Link layer: pcap link types to the network-layer payload.
// Ethernet II (+ 802.1Q / 802.1ad QinQ / 0x9100 tags), Linux cooked SLL and SLL2, raw IPv4/IPv6,
// and the SS7 link types (MTP2 with pseudo-header, MTP2, MTP3) which hand their bytes on as-is.
// References: IEEE 802.1Q-2018 clause 9 (tag format), https://www.tcpdump.org/linktypes.html
// (LINKTYPE_LINUX_SLL 113, LINKTYPE_LINUX_SLL2 276, LINKTYPE_MTP2_WITH_PHDR 139 with its 4-byte
// pseudo-header: sent, annex_a_used, link_number big-endian, as Wireshark's wiretap reads it).
#pragma once

#include <cstdint>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"

namespace bssap::dec {

// pcap LINKTYPE_ values we read.
enum class linktype : std::uint16_t {
  ethernet = 1,
  raw = 101,  // raw IP, version from the first nibble
  linux_sll = 113,
  mtp2_phdr = 139,
  mtp2 = 140,
  mtp3 = 141,
  ipv4 = 228,
  ipv6 = 229,
  linux_sll2 = 276,
};

// What the link payload is.
enum class network_proto : std::uint8_t {
  other = 0,  // an ethertype we do not decode (ARP, LLDP, ...): see link_view::ethertype
  ipv4,
  ipv6,
  mtp2,  // payload starts at the MTP2 BSN octet
  mtp3,  // payload starts at the MTP3 SIO octet
};

constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint16_t ethertype_ipv6 = 0x86DD;
constexpr std::uint16_t ethertype_vlan = 0x8100;
constexpr std::uint16_t ethertype_qinq = 0x88A8;
constexpr std::uint16_t ethertype_qinq_old = 0x9100;

// At most this many VLAN tags are skipped; a deeper stack is refused (bad_value).
constexpr std::size_t max_vlan_tags = 4;

struct link_view {
  network_proto next = network_proto::other;
  std::uint16_t ethertype = 0;  // the innermost ethertype / SLL protocol (0 for raw IP and MTP)
  std::uint8_t vlan_count = 0;
  std::uint16_t outer_vlan = 0;  // VID of the first tag (12 bits), when vlan_count > 0
  std::uint16_t inner_vlan = 0;  // VID of the second tag, when vlan_count > 1
  // DLT 139 pseudo-header (zero otherwise)
  std::uint8_t mtp2_sent = 0;
  std::uint8_t mtp2_annex_a = 0;  // 0 not used, 1 used (extended sequence numbers), 2 unknown
  std::uint16_t mtp2_link = 0;
  bytes payload{};
};

// Errors: truncated (frame shorter than its header), unsupported (a link type we do not read),
// bad_value (raw IP whose version nibble is neither 4 nor 6, too many VLAN tags).
result<link_view> decode_link(linktype lt, bytes frame) noexcept;
// The same, into `out` (reset first): packet_stack's per-frame path. Filling the caller's view in
// place avoids copying a view built field by field on the stack, which stalls on store
// forwarding. On error `out` holds a partial decode.
decode_error decode_link_into(linktype lt, bytes frame, link_view& out) noexcept;

}  // namespace bssap::dec
