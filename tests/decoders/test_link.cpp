// Link layer: Ethernet/VLAN/QinQ, SLL, SLL2, raw IP, MTP link types, and their malformed siblings.
// Valid frames: tests/decoders/vectors/lower/*.hex (gen_vectors.py, tshark-checked).
#include <catch2/catch.hpp>

#include "bssap/decoders/link.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "test_support.hpp"
#include "vectors/lower/lower_vectors.hpp"

using namespace bssap::dec;
using bssap::test::hex;
using bssap::test::lower_frames;
using bssap::test::span_of;

TEST_CASE("Ethernet II, 802.1Q, 802.1ad and 0x9100 tags", "[link]") {
  {
    const auto f = lower_frames("eth_ipv4_sctp_m3ua")[0];
    const auto v = decode_link(linktype::ethernet, span_of(f));
    REQUIRE(v);
    CHECK(v->next == network_proto::ipv4);
    CHECK(v->vlan_count == 0);
    CHECK(v->payload.size() == f.size() - 14);
  }
  {
    const auto f = lower_frames("eth_vlan")[0];  // tshark: eth:ethertype:vlan:ethertype:ip
    const auto v = decode_link(linktype::ethernet, span_of(f));
    REQUIRE(v);
    CHECK(v->vlan_count == 1);
    CHECK(v->outer_vlan == 100);
    CHECK(v->payload.size() == f.size() - 18);
  }
  {
    const auto f = lower_frames("eth_qinq")[0];  // tshark: ieee8021ad ... vlan ... ip
    const auto v = decode_link(linktype::ethernet, span_of(f));
    REQUIRE(v);
    CHECK(v->vlan_count == 2);
    CHECK(v->outer_vlan == 200);
    CHECK(v->inner_vlan == 100);
    CHECK(v->next == network_proto::ipv4);
  }
  {
    const auto f = lower_frames("eth_qinq_9100")[0];
    const auto v = decode_link(linktype::ethernet, span_of(f));
    REQUIRE(v);
    CHECK(v->vlan_count == 2);
    CHECK(v->outer_vlan == 300);
  }
}

TEST_CASE("Linux cooked SLL and SLL2, raw IP link types", "[link]") {
  const auto sll = lower_frames("sll")[0];
  auto v = decode_link(linktype::linux_sll, span_of(sll));
  REQUIRE(v);
  CHECK(v->next == network_proto::ipv4);
  CHECK(v->payload.size() == sll.size() - 16);
  const auto sll2 = lower_frames("sll2")[0];
  v = decode_link(linktype::linux_sll2, span_of(sll2));
  REQUIRE(v);
  CHECK(v->ethertype == 0x0800);
  CHECK(v->payload.size() == sll2.size() - 20);
  const auto raw4 = lower_frames("raw_ipv4")[0];
  v = decode_link(linktype::raw, span_of(raw4));
  REQUIRE(v);
  CHECK(v->next == network_proto::ipv4);
  const auto raw6 = lower_frames("raw_ipv6")[0];
  v = decode_link(linktype::raw, span_of(raw6));
  REQUIRE(v);
  CHECK(v->next == network_proto::ipv6);
}

TEST_CASE("MTP2 pseudo-header fields", "[link][mtp]") {
  // tshark: MTP2 pseudo-header sent 1, annex A not used, link 7
  const auto f = lower_frames("mtp2_phdr")[0];
  const auto v = decode_link(linktype::mtp2_phdr, span_of(f));
  REQUIRE(v);
  CHECK(v->next == network_proto::mtp2);
  CHECK(v->mtp2_sent == 1);
  CHECK(v->mtp2_annex_a == 0);
  CHECK(v->mtp2_link == 7);
  CHECK(v->payload.size() == f.size() - 4);
}

TEST_CASE("link malformed siblings: exact error and counter", "[link]") {
  packet_stack stack;
  auto on = [](const sccp_unit&) noexcept {};
  const auto sink = make_sccp_sink(on);
  const auto vlan = lower_frames("eth_vlan")[0];

  // Ethernet header cut at 13 octets.
  const auto short_eth = hex("02 00 00 00 00 02 02 00 00 00 00 01 08");
  CHECK(decode_link(linktype::ethernet, short_eth).error() == decode_error::truncated);
  stack.decode(linktype::ethernet, short_eth, 0, sink, 60);  // cut by the capture
  CHECK(stack.stats().get(layer::link, decode_error::truncated) == 1);
  stack.decode(linktype::ethernet, short_eth, 0, sink);  // captured whole: a runt
  CHECK(stack.stats().get(layer::link, decode_error::bad_length) == 1);

  // VLAN tag cut after its TCI.
  const bssap::test::frame cut_tag(vlan.begin(), vlan.begin() + 16);
  CHECK(decode_link(linktype::ethernet, span_of(cut_tag)).error() == decode_error::truncated);

  // Five stacked tags: more than max_vlan_tags.
  auto deep = hex("02 00 00 00 00 02 02 00 00 00 00 01");
  for (int i = 0; i < 5; ++i) {
    const auto tag = hex("81 00 00 01");
    deep.insert(deep.end(), tag.begin(), tag.end());
  }
  const auto tail = hex("08 00 45 00");
  deep.insert(deep.end(), tail.begin(), tail.end());
  CHECK(decode_link(linktype::ethernet, span_of(deep)).error() == decode_error::bad_value);
  stack.decode(linktype::ethernet, span_of(deep), 0, sink);
  CHECK(stack.stats().get(layer::link, decode_error::bad_value) == 1);

  // Raw IP with version nibble 5.
  CHECK(decode_link(linktype::raw, hex("55 00 00 14")).error() == decode_error::bad_value);
  CHECK(decode_link(linktype::raw, bytes{}).error() == decode_error::truncated);
  // SLL cut at 15 octets, SLL2 at 19, pseudo-header at 3.
  CHECK(decode_link(linktype::linux_sll, hex("00 00 00 01 00 06 02 00 00 00 00 01 00 00 08")).error() ==
        decode_error::truncated);
  CHECK(decode_link(linktype::linux_sll2, hex("08 00 00 00 00 00 00 02 00 01 00 06 02 00 00 00 00 01 00")).error() ==
        decode_error::truncated);
  CHECK(decode_link(linktype::mtp2_phdr, hex("01 00 00")).error() == decode_error::truncated);
  // A link type we do not read.
  CHECK(decode_link(static_cast<linktype>(105), span_of(vlan)).error() == decode_error::unsupported);
  stack.decode(static_cast<linktype>(105), span_of(vlan), 0, sink);
  CHECK(stack.stats().get(layer::link, decode_error::unsupported) == 1);

  // ARP (0x0806) and an 802.3 length field are not IP: counted, not errors.
  const auto arp = hex("ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01");
  const auto v = decode_link(linktype::ethernet, arp);
  REQUIRE(v);
  CHECK(v->next == network_proto::other);
  CHECK(v->ethertype == 0x0806);
  stack.decode(linktype::ethernet, arp, 0, sink);
  stack.decode(linktype::ethernet, hex("01 80 c2 00 00 00 02 00 00 00 00 01 00 26 42 42 03"), 0, sink);
  CHECK(stack.counters().not_ip == 2);
}
