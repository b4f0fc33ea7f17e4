// packet_stack end to end over the lower-layer vectors (tests/decoders/vectors/lower/*.hex: built
// field by field by gen_vectors.py, each cross-checked with tshark 4.0.17, summaries in the
// files), and over the real captures in ../shared/pcaps/real when present.
#include <catch2/catch.hpp>

#include <map>

#include "bssap/decoders/crc32c.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "test_support.hpp"
#include "vectors/lower/lower_vectors.hpp"
#include "vectors/lower/packet_fuzz_input.hpp"

using namespace bssap::dec;
using bssap::test::frame;
using bssap::test::lower_frames;
using bssap::test::run_frames;

namespace {

// The SCCP UDT every single-message vector carries (gen_vectors.py bssmap_reset_udt(0)); tshark:
// "UDT (BSSMAP) Reset".
const frame reset_udt = bssap::test::hex("09 00 03 07 0b 04 43 02 00 fe 04 43 01 00 fe 06 00 04 30 04 01 20");

frame reset_udt_n(int n) {
  frame f = reset_udt;
  f.back() = static_cast<std::byte>(0x20 + n);
  return f;
}

stack_config small_config() {
  // Small tables keep the tests fast under ASan and make the bounds reachable.
  stack_config c;
  c.ip_reasm_slots = 4;
  c.sctp_max_associations = 16;
  c.sctp_reasm_slots = 4;
  c.tcp_max_flows = 16;
  c.tcp_buffers = 8;
  c.tcp_buffer_bytes = 2048;
  return c;
}

std::uint64_t total_errors(const decode_stats& s) {
  std::uint64_t n = 0;
  for (const auto& l : s.errors)
    for (auto e : l) n += e;
  return n;
}

}  // namespace

TEST_CASE("every link type vector yields the one M3UA SCCP message tshark finds", "[packet_stack][link]") {
  const std::vector<std::pair<std::string, linktype>> cases{{"eth_ipv4_sctp_m3ua", linktype::ethernet},
                                                            {"eth_vlan", linktype::ethernet},
                                                            {"eth_qinq", linktype::ethernet},
                                                            {"eth_qinq_9100", linktype::ethernet},
                                                            {"sll", linktype::linux_sll},
                                                            {"sll2", linktype::linux_sll2},
                                                            {"raw_ipv4", linktype::raw},
                                                            {"ipv4_dlt228", linktype::ipv4},
                                                            {"raw_ipv6", linktype::ipv6},
                                                            {"ipv6_destopts", linktype::ipv6},
                                                            {"m3ua_rc", linktype::ethernet}};
  for (const auto& [name, lt] : cases) {
    INFO(name);
    packet_stack stack(small_config());
    const auto units = run_frames(stack, lt, lower_frames(name));
    REQUIRE(units.size() == 1);
    const auto& u = units[0].unit;
    CHECK(u.kind == transport::m3ua);
    CHECK(u.opc == 1);
    CHECK(u.dpc == 2);
    CHECK(u.si == 3);
    CHECK(u.ni == 2);
    CHECK(u.sls == 5);
    CHECK(u.direction == 0);  // 10.0.0.1 (or 2001:db8::1) sent it: the lower endpoint
    CHECK(u.ts_us == 1'001'000);
    CHECK(units[0].sccp == reset_udt);
    CHECK(total_errors(stack.stats()) == 0);
    CHECK(stack.counters().sccp_units == 1);
  }
}

TEST_CASE("SCTP bundling: every DATA chunk of a packet is decoded, the SACK counted", "[packet_stack][sctp]") {
  packet_stack stack(small_config());
  const auto units = run_frames(stack, linktype::ethernet, lower_frames("sctp_bundle"));
  REQUIRE(units.size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(units[i].sccp == reset_udt_n(i));
  CHECK(stack.counters().sctp_data_chunks == 3);
  CHECK(stack.counters().sctp_chunks_by_type[3] == 1);  // SACK
  CHECK(total_errors(stack.stats()) == 0);
}

TEST_CASE("SCTP B/E fragments are reassembled into one M3UA message", "[packet_stack][sctp]") {
  packet_stack stack(small_config());
  const auto frames = lower_frames("sctp_fragments");
  REQUIRE(frames.size() == 3);
  const auto units = run_frames(stack, linktype::ethernet, frames);
  REQUIRE(units.size() == 1);
  // UDT with 242 octets of data (00 f0 00 01 .. ef): 16 octets of header and addresses + 242.
  REQUIRE(units[0].sccp.size() == 258);
  CHECK(units[0].sccp[0] == std::byte{0x09});
  CHECK(units[0].sccp[16] == std::byte{0x00});
  CHECK(units[0].sccp[17] == std::byte{0xF0});
  CHECK(units[0].sccp[257] == std::byte{0xEF});
  CHECK(units[0].unit.sls == 1);
  CHECK(stack.counters().sctp_messages_reassembled == 1);
  CHECK(total_errors(stack.stats()) == 0);

  SECTION("a missing middle fragment drops the message, counted") {
    packet_stack s2(small_config());
    const auto u2 = run_frames(s2, linktype::ethernet, {frames[0], frames[2]});
    CHECK(u2.empty());
    CHECK(s2.stats().get(layer::sctp, decode_error::truncated) == 1);
    CHECK(s2.counters().sctp_reasm_dropped == 1);
  }
}

TEST_CASE("an SCTP retransmission (same TSN) is never decoded twice", "[packet_stack][sctp]") {
  packet_stack stack(small_config());
  const auto units = run_frames(stack, linktype::ethernet, lower_frames("sctp_retransmission"));
  REQUIRE(units.size() == 2);
  CHECK(units[0].sccp == reset_udt_n(0));
  CHECK(units[1].sccp == reset_udt_n(1));
  CHECK(stack.counters().sctp_retransmissions_skipped == 1);
  CHECK(stack.stats().get(layer::sctp, decode_error::duplicate) == 1);
}

TEST_CASE("an SCTP packet with a bad CRC32c is decoded and counted by default, dropped when strict",
          "[packet_stack][sctp]") {
  const auto frames = lower_frames("sctp_bad_crc");
  packet_stack lax(small_config());
  const auto units = run_frames(lax, linktype::ethernet, frames);
  REQUIRE(units.size() == 1);
  CHECK(units[0].sccp == reset_udt);
  CHECK(lax.counters().sctp_bad_checksum_decoded == 1);
  CHECK(lax.stats().get(layer::sctp, decode_error::bad_checksum) == 0);

  auto c = small_config();
  c.strict_sctp_checksums = true;
  packet_stack strict(c);
  CHECK(run_frames(strict, linktype::ethernet, frames).empty());
  CHECK(strict.stats().get(layer::sctp, decode_error::bad_checksum) == 1);
  CHECK(strict.counters().sctp_bad_checksum_decoded == 0);

  c.verify_sctp_crc = false;  // not computed at all: neither counted nor dropped
  packet_stack unchecked(c);
  CHECK(run_frames(unchecked, linktype::ethernet, frames).size() == 1);
  CHECK(unchecked.stats().get(layer::sctp, decode_error::bad_checksum) == 0);
  CHECK(unchecked.counters().sctp_bad_checksum_decoded == 0);
}

namespace {

// eth_ipv4_sctp_m3ua / sctp_bad_crc layout: Ethernet 14 + IPv4 20, SCTP common header at 34
// (checksum at 42), the DATA chunk at 46 with its TSN at 50 (RFC 4960 3.3.1).
frame with_tsn(frame f, std::uint32_t tsn, bool good_crc) {
  for (int i = 0; i < 4; ++i) f[50 + i] = static_cast<std::byte>(tsn >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) f[42 + i] = std::byte{0};
  std::uint32_t crc = crc32c(bytes{f.data() + 34, f.size() - 34});  // Appendix B: stored LSB first
  if (!good_crc) crc ^= 1;
  for (int i = 0; i < 4; ++i) f[42 + i] = static_cast<std::byte>(crc >> (8 * i));
  return f;
}

}  // namespace

TEST_CASE("a bad-CRC copy and its retransmission are decoded once (TSN dedup)", "[packet_stack][sctp]") {
  const frame bad = lower_frames("sctp_bad_crc")[0];         // TSN 100, CRC off by one bit
  const frame good = lower_frames("eth_ipv4_sctp_m3ua")[0];  // the same packet, good CRC
  REQUIRE(with_tsn(good, 100, false) == bad);                // the helper rebuilds the vector exactly
  for (const bool bad_first : {true, false}) {
    INFO("bad copy first: " << bad_first);
    packet_stack stack(small_config());
    const auto units =
        run_frames(stack, linktype::ethernet, bad_first ? std::vector{bad, good} : std::vector{good, bad});
    CHECK(units.size() == 1);
    CHECK(stack.counters().sctp_retransmissions_skipped == 1);
    CHECK(stack.counters().sctp_bad_checksum_decoded == 1);
  }
  SECTION("two bad copies: still once") {
    packet_stack stack(small_config());
    CHECK(run_frames(stack, linktype::ethernet, {bad, bad}).size() == 1);
    CHECK(stack.counters().sctp_retransmissions_skipped == 1);
  }
}

TEST_CASE("a bad-CRC chunk may not move the TSN window a whole window ahead", "[packet_stack][sctp]") {
  const frame good = lower_frames("eth_ipv4_sctp_m3ua")[0];
  packet_stack stack(small_config());
  // TSN 100 (good), a corrupted packet claiming TSN 100 + 5000, then TSN 101 and 102 (good).
  const auto units =
      run_frames(stack, linktype::ethernet,
                 {good, with_tsn(good, 5100, false), with_tsn(good, 101, true), with_tsn(good, 102, false)});
  // Without the guard the window would sit at 5100 and TSNs 101, 102 would look too old.
  CHECK(units.size() == 3);
  CHECK(stack.counters().sctp_bad_checksum_tsn_jumps == 1);
  CHECK(stack.counters().sctp_bad_checksum_decoded == 2);
  CHECK(stack.counters().sctp_retransmissions_skipped == 0);
  SECTION("a good packet may jump (a long loss on the capture side)") {
    packet_stack s2(small_config());
    CHECK(run_frames(s2, linktype::ethernet, {good, with_tsn(good, 5100, true)}).size() == 2);
    CHECK(s2.counters().sctp_bad_checksum_tsn_jumps == 0);
  }
}

TEST_CASE("M3UA management messages and non-SCCP DATA are counted, not handed on", "[packet_stack][m3ua]") {
  packet_stack stack(small_config());
  CHECK(run_frames(stack, linktype::ethernet, lower_frames("m3ua_mgmt")).empty());
  const auto& c = stack.counters();
  CHECK(c.m3ua_messages == 3);
  CHECK(c.m3ua_non_data_by_class_type[3][1] == 1);  // ASPSM ASPUP
  CHECK(c.m3ua_non_data_by_class_type[4][1] == 1);  // ASPTM ASPAC
  CHECK(c.m3ua_data == 1);
  CHECK(c.non_sccp_by_si[5] == 1);  // ISUP
}

TEST_CASE("IPv4 and IPv6 fragments are reassembled before SCTP", "[packet_stack][ipv4][ipv6]") {
  {
    packet_stack stack(small_config());
    const auto units = run_frames(stack, linktype::ethernet, lower_frames("ipv4_fragments"));
    REQUIRE(units.size() == 1);
    CHECK(units[0].sccp.size() == 258);
    CHECK(stack.counters().ip_fragments == 3);
    CHECK(stack.counters().ip_datagrams_reassembled == 1);
  }
  {
    packet_stack stack(small_config());
    const auto units = run_frames(stack, linktype::ipv6, lower_frames("ipv6_fragments"));
    REQUIRE(units.size() == 1);
    CHECK(units[0].sccp.size() == 258);
    CHECK(stack.counters().ip_datagrams_reassembled == 1);
  }
}

TEST_CASE("IPv4 fragments: overlap, table full and timeout are counted", "[packet_stack][ipv4]") {
  const auto frames = lower_frames("ipv4_fragments");
  SECTION("the same fragment twice overlaps: the datagram is dropped") {
    packet_stack stack(small_config());
    CHECK(run_frames(stack, linktype::ethernet, {frames[0], frames[0], frames[1], frames[2]}).empty());
    CHECK(stack.counters().ip_reasm_overlaps == 1);
    CHECK(stack.stats().get(layer::ipv4, decode_error::bad_value) == 1);
  }
  SECTION("a second datagram evicts the first from a one-slot table") {
    auto c = small_config();
    c.ip_reasm_slots = 1;
    packet_stack stack(c);
    frame other = frames[1];
    other[14 + 5] = std::byte{0x43};  // IPv4 identification 0x4242 -> 0x4243 (checksum not checked)
    CHECK(run_frames(stack, linktype::ethernet, {frames[0], other, frames[1], frames[2]}).empty());
    // 0x4243 evicts 0x4242's first fragment, then 0x4242's middle evicts 0x4243.
    CHECK(stack.counters().ip_reasm_evicted == 2);
  }
  SECTION("expire() drops a datagram older than the reassembly timeout") {
    packet_stack stack(small_config());
    unsigned n = 0;
    auto on = [&](const sccp_unit&) noexcept { ++n; };
    stack.decode(linktype::ethernet, bssap::test::span_of(frames[0]), 0, make_sccp_sink(on));
    stack.expire(stack.config().reassembly_timeout_us + 1);
    stack.decode(linktype::ethernet, bssap::test::span_of(frames[1]), 1, make_sccp_sink(on));
    stack.decode(linktype::ethernet, bssap::test::span_of(frames[2]), 2, make_sccp_sink(on));
    CHECK(n == 0);
    CHECK(stack.counters().ip_reasm_timed_out == 1);
  }
}

TEST_CASE("TCP/IPA: several messages per segment, a split message, out-of-order and retransmission",
          "[packet_stack][tcp][ipa]") {
  packet_stack stack(small_config());
  const auto units = run_frames(stack, linktype::ethernet, lower_frames("tcp_ipa"));
  REQUIRE(units.size() == 5);
  for (int i = 0; i < 4; ++i) {
    INFO(i);
    CHECK(units[i].sccp == reset_udt_n(i));
    CHECK(units[i].unit.kind == transport::ipa);
    CHECK(units[i].unit.direction == 0);
    CHECK(units[i].unit.flow_id == units[0].unit.flow_id);
  }
  CHECK(units[4].sccp == reset_udt_n(9));
  CHECK(units[4].unit.direction == 1);
  CHECK(units[4].unit.flow_id == units[0].unit.flow_id);
  const auto& c = stack.counters();
  CHECK(c.ipa_messages == 6);
  CHECK(c.ipa_non_sccp_by_stream[0xFE] == 1);  // CCM PING
  CHECK(c.tcp_out_of_order_segments == 1);
  CHECK(c.tcp_retransmitted_segments == 1);
  CHECK(c.tcp_syn == 2);
  CHECK(c.tcp_midstream_resyncs == 0);
  CHECK(total_errors(stack.stats()) == 0);
}

TEST_CASE("TCP/IPA mid-stream start resynchronises on an IPA header", "[packet_stack][tcp][ipa]") {
  packet_stack stack(small_config());
  const auto units = run_frames(stack, linktype::ethernet, lower_frames("tcp_ipa_midstream"));
  REQUIRE(units.size() == 2);
  CHECK(units[0].sccp == reset_udt_n(1));
  CHECK(units[1].sccp == reset_udt_n(2));
  CHECK(stack.counters().tcp_midstream_resyncs == 1);
  CHECK(stack.counters().tcp_bytes_dropped == 7);  // the tail of the message before
}

TEST_CASE("IPA on an unconfigured port is recognised by its framing, unless disabled", "[packet_stack][ipa]") {
  const auto frames = lower_frames("tcp_ipa_other_port");
  packet_stack detect(small_config());
  CHECK(run_frames(detect, linktype::ethernet, frames).size() == 1);
  CHECK(detect.counters().tcp_flows_ipa_detected == 1);
  auto c = small_config();
  c.ipa_detect_any_port = false;
  packet_stack strict(c);
  CHECK(run_frames(strict, linktype::ethernet, frames).empty());
  CHECK(strict.counters().tcp_not_ipa == 1);
  c.ipa_ports[1] = 3002;
  c.ipa_port_count = 2;
  packet_stack configured(c);
  CHECK(run_frames(configured, linktype::ethernet, frames).size() == 1);
}

TEST_CASE("MTP2 / MTP2 pseudo-header / MTP3 ITU and Chinese 24-bit", "[packet_stack][mtp]") {
  {
    packet_stack stack(small_config());
    const auto units = run_frames(stack, linktype::mtp3, lower_frames("mtp3_itu"));
    REQUIRE(units.size() == 1);
    CHECK(units[0].unit.kind == transport::mtp);
    CHECK(units[0].unit.opc == 513);  // tshark mtp3.opc
    CHECK(units[0].unit.dpc == 258);
    CHECK(units[0].unit.sls == 7);
    CHECK(units[0].unit.ni == 2);
    CHECK(units[0].unit.direction == 1);  // OPC > DPC
    CHECK(units[0].sccp == reset_udt);
  }
  {
    auto c = small_config();
    c.pc_format = point_code_format::china24;
    packet_stack stack(c);
    const auto units = run_frames(stack, linktype::mtp3, lower_frames("mtp3_china"));
    REQUIRE(units.size() == 1);
    CHECK(units[0].unit.opc == 0x654321);  // tshark -o "mtp3.standard:Chinese ITU": 6636321
    CHECK(units[0].unit.dpc == 0x123456);  // 1193046
    CHECK(units[0].unit.sls == 9);
    CHECK(units[0].sccp.size() == 24);
  }
  {
    packet_stack stack(small_config());
    const auto units = run_frames(stack, linktype::mtp2, lower_frames("mtp2"));
    REQUIRE(units.size() == 1);
    CHECK(units[0].sccp == reset_udt);
    CHECK(stack.counters().mtp2_fisu == 1);
    CHECK(stack.counters().mtp2_lssu == 1);
  }
  {
    packet_stack stack(small_config());
    const auto units = run_frames(stack, linktype::mtp2_phdr, lower_frames("mtp2_phdr"));
    REQUIRE(units.size() == 1);
    CHECK(units[0].unit.opc == 513);
    CHECK(stack.counters().mtp2_fisu == 1);
  }
}

TEST_CASE("flow_hash is symmetric, equal for all fragments, 0 for unreadable frames", "[packet_stack][hash]") {
  const auto tcp = lower_frames("tcp_ipa");
  const auto h_ab = flow_hash(linktype::ethernet, bssap::test::span_of(tcp[0]));
  const auto h_ba = flow_hash(linktype::ethernet, bssap::test::span_of(tcp[1]));
  CHECK(h_ab != 0);
  CHECK(h_ab == h_ba);
  const auto frags = lower_frames("ipv4_fragments");
  for (const auto& f : frags) CHECK(flow_hash(linktype::ethernet, bssap::test::span_of(f)) == h_ab);
  const auto mtp = lower_frames("mtp3_itu");
  CHECK(flow_hash(linktype::mtp3, bssap::test::span_of(mtp[0])) != 0);
  const auto mtp2 = lower_frames("mtp2_phdr");
  CHECK(flow_hash(linktype::mtp2_phdr, bssap::test::span_of(mtp2[0])) ==
        flow_hash(linktype::mtp3, bssap::test::span_of(mtp[0])));
  CHECK(flow_hash(linktype::ethernet, bssap::test::hex("00 01 02")) == 0);
  CHECK(flow_hash(static_cast<linktype>(999), bssap::test::span_of(tcp[0])) == 0);
}

TEST_CASE("counters add across threads", "[packet_stack]") {
  stack_counters a, b;
  a.frames = 2;
  a.sctp_chunks_by_type[3] = 1;
  b.frames = 3;
  b.sctp_chunks_by_type[3] = 4;
  b.non_sccp_by_si[15] = 7;
  a += b;
  CHECK(a.frames == 5);
  CHECK(a.sctp_chunks_by_type[3] == 5);
  CHECK(a.non_sccp_by_si[15] == 7);
}

// Real third-party captures (../shared/pcaps/real, see MANIFEST.md there). Expected counts are the
// SCCP messages tshark 4.0.17 finds over M3UA, one per message even when bundled:
//   tshark -r F -Y 'm3ua && sccp' -T fields -e sccp.message_type | tr ',' '\n' | grep -c .
TEST_CASE("real captures: every M3UA SCCP message tshark finds", "[packet_stack][real]") {
  const auto dir = bssap::test::real_pcaps_dir();
  if (!std::filesystem::exists(dir)) BSSAP_SKIP_OR_FAIL("no " << dir.string());
  const std::map<std::string, std::size_t> expected{
      {"osmo-iuh_3GDT_example__iups-m3ua.pcap", 4},
      {"osmo-iuh_IuPS_PS_call_flow__iups-m3ua.pcap", 18},
      {"osmo-iuh_UPP_RANAP__iucs-m3ua_gan-tcp.pcap", 105},
      {"osmo-iuh_ranap-linkbit_ETH__iucs-m3ua.pcap", 24},
      {"osmo-iuh_MobileOriginatingCall_AMR__iucs-m3ua.cap", 18},
      {"osmo-iuh_MobileTerminatingCall_AMR__iucs-m3ua.cap", 17},
  };
  for (const auto& [name, count] : expected) {
    INFO(name);
    const auto p = dir / name;
    if (!std::filesystem::exists(p)) BSSAP_SKIP_OR_FAIL("no " << p.string());
    const auto pcap = bssap::test::read_pcap(p);
    REQUIRE(pcap.ok);
    REQUIRE(pcap.linktype == 1);
    packet_stack stack;
    std::size_t m3ua_units = 0;
    auto on = [&](const sccp_unit& u) noexcept { m3ua_units += u.kind == transport::m3ua ? 1 : 0; };
    for (const auto& r : pcap.records)
      stack.decode(linktype::ethernet, bssap::test::span_of(r.data), r.ts_us, make_sccp_sink(on));
    CHECK(m3ua_units == count);
    CHECK(stack.counters().sctp_bad_checksum_decoded == 0);
    // tshark -o "sctp.checksum:CRC 32c": 9 of the linkbit file's 19 packets fail CRC32c; with
    // "Adler 32" those 9 pass (an RFC 2960 simulator). The other files are all CRC32c.
    CHECK(stack.counters().sctp_adler32_packets == (name == "osmo-iuh_ranap-linkbit_ETH__iucs-m3ua.pcap" ? 9u : 0u));
  }
}

// The fuzz seeds (tests/fuzz/corpus/packet, written by gen_vectors.py --seeds from the vectors)
// run through the fuzz driver: each yields its SCCP messages. And every crasher the fuzzer ever
// found (tests/fuzz/regressions/fuzz_packet, where scripts/fuzz-smoke.sh files them) is replayed
// here under the sanitizers; the folder missing is a failure.
TEST_CASE("fuzz seeds decode and fuzz regressions replay cleanly", "[packet_stack][fuzz]") {
  const auto root = bssap::test::source_dir() / "tests" / "fuzz";
  std::size_t seeds = 0;
  for (const auto& e : std::filesystem::directory_iterator(root / "corpus" / "packet")) {
    const auto data = bssap::test::read_file_bytes(e.path());
    INFO(e.path().filename().string());
    const auto units = bssap::test::run_fuzz_input(data.data(), data.size());
    if (e.path().filename() != "m3ua_mgmt") CHECK(units >= 1);
    ++seeds;
  }
  CHECK(seeds >= 20);
  const auto regressions = root / "regressions" / "fuzz_packet";
  REQUIRE(std::filesystem::is_directory(regressions));
  for (const auto& e : std::filesystem::directory_iterator(regressions)) {
    const auto data = bssap::test::read_file_bytes(e.path());
    INFO(e.path().filename().string());
    (void)bssap::test::run_fuzz_input(data.data(), data.size());
    SUCCEED();
  }
}

TEST_CASE("a snaplen cut and a lying length field are different errors", "[packet_stack][errors]") {
  const auto frames = lower_frames("eth_ipv4_sctp_m3ua");
  REQUIRE(frames.size() == 1);
  const frame& whole = frames[0];
  auto ignore = [](const sccp_unit&) noexcept {};
  const auto sink = make_sccp_sink(ignore);

  SECTION("cut by the capture (captured < wire length): truncated") {
    packet_stack stack(small_config());
    const frame cut(whole.begin(), whole.begin() + 60);  // inside the SCTP common header's chunk
    stack.decode(linktype::ethernet, cut, 1, sink, whole.size());
    CHECK(stack.stats().get(layer::ipv4, decode_error::truncated) == 1);
    CHECK(total_errors(stack.stats()) == 1);
  }
  SECTION("captured whole, IPv4 total length claims 40 octets more: bad_length") {
    packet_stack stack(small_config());
    frame lying = whole;
    const unsigned total = (std::to_integer<unsigned>(lying[16]) << 8 | std::to_integer<unsigned>(lying[17])) + 40;
    lying[16] = static_cast<std::byte>(total >> 8);
    lying[17] = static_cast<std::byte>(total & 0xFF);
    stack.decode(linktype::ethernet, lying, 1, sink, lying.size());
    CHECK(stack.stats().get(layer::ipv4, decode_error::bad_length) == 1);
    CHECK(stack.stats().get(layer::ipv4, decode_error::truncated) == 0);
    CHECK(total_errors(stack.stats()) == 1);
  }
  SECTION("captured whole but shorter than its IP header: bad_length, not a cut") {
    packet_stack stack(small_config());
    const frame runt(whole.begin(), whole.begin() + 24);
    stack.decode(linktype::ethernet, runt, 1, sink, runt.size());
    CHECK(stack.stats().get(layer::ipv4, decode_error::bad_length) == 1);
    CHECK(total_errors(stack.stats()) == 1);
  }
  SECTION("the same runt cut by the capture: truncated") {
    packet_stack stack(small_config());
    const frame runt(whole.begin(), whole.begin() + 24);
    stack.decode(linktype::ethernet, runt, 1, sink, whole.size());
    CHECK(stack.stats().get(layer::ipv4, decode_error::truncated) == 1);
    CHECK(total_errors(stack.stats()) == 1);
  }
}
