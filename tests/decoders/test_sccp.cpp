// SCCP decoder and reassembler tests.
// Vectors: osmocom/openbsc openbsc/tests/bsc-nat/bsc_data.c (real BSC/MSC SCCPlite traffic, IPA
// header removed), cross-checked with tshark 4.0.17 (MTP3 DLT 141 frame built with text2pcap);
// XUDT/segmentation vectors built by hand from Q.713 4.18 / 3.17 and checked the same way.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "bssap/decoders/sccp.hpp"
#include "test_support.hpp"

using namespace bssap::dec;
using bssap::test::hex;

namespace {

// bsc_data.c bsc_cr: CR, SLR 0x150000, class 2, called SSN 254, data = BSSMAP Complete L3 (33 octets).
const auto cr_complete_l3 = hex(
    "01 000015 02 02 04 | 02 42fe | 0f 21 001f5705080072f480201cc35117120508 2072f490201d5008294780000000008000 | 00");
// bsc_data.c paging_by_lac_cmd: UDT class 0, called PC 2 SSN 254, calling PC 92 SSN 254.
const auto udt_paging = hex("09 00 03 07 0b 04 43 0200 fe 04 43 5c00 fe 12 00105208082947100201500230 1a03052015");
// bsc_data.c msc_cc: CC, DLR 0x150000, SLR 0xe41f01, class 2, no optional part.
const auto cc = hex("02 000005 011fe4 02 01 00");
// bsc_data.c msc_rlsd: RLSD, release cause 0 (end user originated).
const auto rlsd = hex("04 000005 011fe4 00 01 00");
// bsc_data.c bsc_rlc.
const auto rlc = hex("05 011fe4 000015");
// bsc_data.c msc_dtap (Clear Command in DT1): DT1, DLR 0x050000, M = 0.
const auto dt1_clear = hex("06 000005 00 01 06 000420040109");

bytes span_of(const std::vector<std::byte>& v) {
  return {v.data(), v.size()};
}

}  // namespace

TEST_CASE("SCCP CR with called party and optional data (bsc_data.c bsc_cr)", "[upper]") {
  decode_stats stats;
  const auto m = decode_sccp(span_of(cr_complete_l3), &stats);
  REQUIRE(m.ok());
  CHECK(m->type == sccp_msg_type::cr);
  CHECK(m->has_slr);
  CHECK(m->slr == 0x150000);
  CHECK_FALSE(m->has_dlr);
  CHECK(m->protocol_class == 2);
  REQUIRE(m->called.present);
  CHECK(m->called.route_on_ssn);
  CHECK(m->called.has_ssn);
  CHECK_FALSE(m->called.has_pc);
  CHECK(m->called.ssn == 254);
  CHECK_FALSE(m->calling.present);
  REQUIRE(m->has_data);
  REQUIRE(m->data.size() == 33);
  CHECK(u8_at(m->data, 0) == 0x00);
  CHECK(u8_at(m->data, 2) == 0x57);
}

TEST_CASE("SCCP UDT with point codes (bsc_data.c paging_by_lac_cmd)", "[upper]") {
  const auto m = decode_sccp(span_of(udt_paging));
  REQUIRE(m.ok());
  CHECK(m->type == sccp_msg_type::udt);
  CHECK(m->protocol_class == 0);
  CHECK(m->called.has_pc);
  CHECK(m->called.pc == 2);
  CHECK(m->called.ssn == 254);
  CHECK(m->calling.pc == 92);
  CHECK(m->calling.ssn == 254);
  REQUIRE(m->data.size() == 18);
  CHECK(u8_at(m->data, 2) == 0x52);
}

TEST_CASE("SCCP UDT with a 24-bit point code when asked", "[upper]") {
  // The same UDT with 3-octet point codes (address length 5): called PC 0x010203, calling 0x0a0b0c.
  const auto m24 = hex("09 00 03 08 0d 05 43 030201 fe 05 43 0c0b0a fe 03 000152");
  sccp_options o;
  o.pc24 = true;
  const auto m = decode_sccp(span_of(m24), o, nullptr);
  REQUIRE(m.ok());
  CHECK(m->called.pc == 0x010203);
  CHECK(m->calling.pc == 0x0a0b0c);
  CHECK(m->data.size() == 3);
}

TEST_CASE("SCCP connection messages CC, RLSD, RLC, DT1 (bsc_data.c)", "[upper]") {
  const auto c = decode_sccp(span_of(cc));
  REQUIRE(c.ok());
  CHECK(c->type == sccp_msg_type::cc);
  CHECK(c->dlr == 0x050000);
  CHECK(c->slr == 0xe41f01);
  CHECK_FALSE(c->has_data);

  const auto r = decode_sccp(span_of(rlsd));
  REQUIRE(r.ok());
  CHECK(r->type == sccp_msg_type::rlsd);
  CHECK(r->has_cause);
  CHECK(r->cause == 0);

  const auto rc = decode_sccp(span_of(rlc));
  REQUIRE(rc.ok());
  CHECK(rc->type == sccp_msg_type::rlc);
  CHECK(rc->dlr == 0xe41f01);
  CHECK(rc->slr == 0x150000);

  const auto d = decode_sccp(span_of(dt1_clear));
  REQUIRE(d.ok());
  CHECK(d->type == sccp_msg_type::dt1);
  CHECK(d->dlr == 0x050000);
  CHECK_FALSE(d->more_data);
  REQUIRE(d->data.size() == 6);
  CHECK(u8_at(d->data, 2) == 0x20);  // BSSMAP Clear Command
}

TEST_CASE("SCCP CREF, ERR, IT, AK, UDTS fixed parts", "[upper]") {
  const auto cref = decode_sccp(span_of(hex("03 010203 03 00")));  // refusal cause 3, no optional part
  REQUIRE(cref.ok());
  CHECK(cref->dlr == 0x030201);
  CHECK(cref->cause == 3);
  const auto err = decode_sccp(span_of(hex("0f 010203 01")));
  REQUIRE(err.ok());
  CHECK(err->type == sccp_msg_type::err);
  CHECK(err->cause == 1);
  const auto it = decode_sccp(span_of(hex("10 010203 040506 02 0000 00")));
  REQUIRE(it.ok());
  CHECK(it->type == sccp_msg_type::it);
  CHECK(it->slr == 0x060504);
  const auto ak = decode_sccp(span_of(hex("08 010203 05 07")));
  REQUIRE(ak.ok());
  CHECK(ak->credit == 7);
  // UDTS: return cause 1 (no translation for an address of such nature), then 3 pointers.
  const auto udts = decode_sccp(span_of(hex("0a 01 03 05 07 02 42fe 02 42fe 02 0001")));
  REQUIRE(udts.ok());
  CHECK(udts->type == sccp_msg_type::udts);
  CHECK(udts->cause == 1);
  CHECK(udts->data.size() == 2);
}

TEST_CASE("SCCP XUDT with segmentation and global titles", "[upper]") {
  // XUDT class 0, hop counter 15; called: GTI 4, TT 0, NP 1 / ES 2 (BCD even), NAI 4, digits
  // "4912"; calling: SSN 254 only; data 2 octets; optional: segmentation F=1 C=0 remaining 1 ref 0xabcdef.
  const auto x = hex("11 00 0f 04 0a 0c 0e | 06 10 00 12 04 9421 | 02 42fe | 02 aabb | 10 04 81 abcdef 00");
  decode_stats stats;
  const auto m = decode_sccp(span_of(x), &stats);
  REQUIRE(m.ok());
  CHECK(m->type == sccp_msg_type::xudt);
  CHECK(m->hop_counter == 15);
  CHECK(m->called.gti == 4);
  CHECK(m->called.gt_numbering_plan == 1);
  CHECK(m->called.gt_encoding_scheme == 2);
  CHECK(m->called.gt_nature_of_address == 4);
  CHECK(m->called.gt_address.size() == 2);
  CHECK_FALSE(m->called.route_on_ssn);
  REQUIRE(m->has_segmentation);
  CHECK(m->segmentation.first);
  CHECK_FALSE(m->segmentation.in_sequence);
  CHECK(m->segmentation.remaining == 1);
  CHECK(m->segmentation.local_reference == 0xefcdab);  // LSB first, as tshark shows it
  CHECK(m->data.size() == 2);
}

TEST_CASE("SCCP malformed: each defect gives its exact error, counted under sccp", "[upper]") {
  decode_stats stats;
  // Empty input and a CR cut inside its fixed part.
  CHECK(decode_sccp({}, &stats).error() == decode_error::truncated);
  CHECK(decode_sccp(span_of(hex("01 000015")), &stats).error() == decode_error::truncated);
  // A mandatory pointer of zero.
  CHECK(decode_sccp(span_of(hex("06 000005 00 00 06 000420040109")), &stats).error() == decode_error::bad_pointer);
  // A pointer past the message end.
  CHECK(decode_sccp(span_of(hex("06 000005 00 09 06 000420040109")), &stats).error() == decode_error::bad_pointer);
  // A data length that runs past the message (DT1 claims 7 octets, 6 follow).
  CHECK(decode_sccp(span_of(hex("06 000005 00 01 07 000420040109")), &stats).error() == decode_error::bad_length);
  // An optional parameter whose length runs past the message.
  CHECK(decode_sccp(span_of(hex("02 000005 011fe4 02 01 0f 05 0102")), &stats).error() == decode_error::bad_length);
  // A called party address whose PC indicator promises 2 octets that are not there.
  CHECK(decode_sccp(span_of(hex("01 000015 02 02 00 | 02 41 02")), &stats).error() == decode_error::bad_length);
  // Unknown message type and LUDT.
  CHECK(decode_sccp(span_of(hex("ff 00")), &stats).error() == decode_error::unsupported);
  CHECK(decode_sccp(span_of(hex("13 00")), &stats).error() == decode_error::unsupported);
  // Segmentation parameter with a wrong length.
  CHECK(decode_sccp(span_of(hex("11 00 0f 04 06 08 0a 02 42fe 02 42fe 02 aabb 10 03 81abcd 00")), &stats).error() ==
        decode_error::bad_length);
  CHECK(stats.get(layer::sccp, decode_error::truncated) == 2);
  CHECK(stats.get(layer::sccp, decode_error::bad_pointer) == 2);
  CHECK(stats.get(layer::sccp, decode_error::bad_length) == 4);
  CHECK(stats.get(layer::sccp, decode_error::unsupported) == 2);
}

TEST_CASE("SCCP reassembler: DT1 M bit per connection", "[upper]") {
  auto r = std::make_unique<sccp_reassembler>();
  const auto seg1 = hex("06 000005 01 01 03 000601");    // M = 1
  const auto seg2 = hex("06 000005 00 01 04 02030405");  // M = 0, last
  const auto other = hex("06 070000 00 01 02 aabb");     // another connection, unsegmented
  const auto m1 = decode_sccp(span_of(seg1));
  const auto m2 = decode_sccp(span_of(seg2));
  const auto mo = decode_sccp(span_of(other));
  REQUIRE(m1.ok());
  REQUIRE(m1->more_data);
  REQUIRE(m2.ok());
  REQUIRE(mo.ok());
  auto o1 = r->add(1, *m1, 10);
  CHECK(o1.state == sccp_reassembler::status::pending);
  CHECK(r->in_use() == 1);
  auto oo = r->add(1, *mo, 11);  // not segmented: passes through, its own span
  CHECK(oo.state == sccp_reassembler::status::complete);
  CHECK(oo.message.data() == mo->data.data());
  auto o2 = r->add(1, *m2, 12);
  REQUIRE(o2.state == sccp_reassembler::status::complete);
  REQUIRE(o2.message.size() == 7);
  CHECK(u8_at(o2.message, 0) == 0x00);
  CHECK(u8_at(o2.message, 3) == 0x02);
  CHECK(u8_at(o2.message, 6) == 0x05);
  CHECK(r->in_use() == 0);
}

TEST_CASE("SCCP reassembler: XUDT segments, gap and eviction are counted", "[upper]") {
  auto r = std::make_unique<sccp_reassembler>();
  decode_stats stats;
  // first segment (F=1, remaining 1), then the last (F=0, remaining 0), same local reference.
  const auto first = hex("11 00 0f 04 06 08 0a 02 42fe 02 42fe 02 aabb 10 04 81 000001 00");
  const auto last = hex("11 00 0f 04 06 08 0a 02 42fe 02 42fe 02 ccdd 10 04 00 000001 00");
  const auto f = decode_sccp(span_of(first));
  const auto l = decode_sccp(span_of(last));
  REQUIRE(f.ok());
  REQUIRE(l.ok());
  CHECK(r->add(7, *f, 1, &stats).state == sccp_reassembler::status::pending);
  const auto done = r->add(7, *l, 2, &stats);
  REQUIRE(done.state == sccp_reassembler::status::complete);
  REQUIRE(done.message.size() == 4);
  CHECK(u8_at(done.message, 2) == 0xcc);
  // A last segment without its first: out of order, dropped and counted.
  const auto lone = r->add(7, *l, 3, &stats);
  CHECK(lone.state == sccp_reassembler::status::dropped);
  CHECK(lone.error == decode_error::bad_value);
  CHECK(r->out_of_order() == 1);
  // Fill every slot with partial DT1 messages: the next one evicts the oldest.
  for (std::uint32_t i = 0; i < sccp_reassembler::slot_count + 1; ++i) {
    sccp_message m;
    m.type = sccp_msg_type::dt1;
    m.dlr = 100 + i;
    m.more_data = true;
    m.has_data = true;
    m.data = span_of(first);
    CHECK(r->add(9, m, 10 + i, &stats).state == sccp_reassembler::status::pending);
  }
  CHECK(r->evictions() == 1);
  CHECK(stats.get(layer::sccp, decode_error::out_of_memory) == 1);
  r->expire(1000);
  CHECK(r->expired() == sccp_reassembler::slot_count);
  CHECK(r->in_use() == 0);
}

TEST_CASE("SCCP reassembler: a message larger than a slot is dropped, not overflowed", "[upper]") {
  auto r = std::make_unique<sccp_reassembler>();
  std::vector<std::byte> big(250, std::byte{0x11});
  sccp_message m;
  m.type = sccp_msg_type::dt1;
  m.dlr = 1;
  m.more_data = true;
  m.has_data = true;
  m.data = span_of(big);
  sccp_reassembler::outcome o;
  int n = 0;
  do {
    o = r->add(1, m, static_cast<std::uint64_t>(n), nullptr);
    ++n;
  } while (o.state == sccp_reassembler::status::pending && n < 100);
  CHECK(o.state == sccp_reassembler::status::dropped);
  CHECK(o.error == decode_error::out_of_memory);
  CHECK(r->overflows() == 1);
  CHECK(n == static_cast<int>(sccp_reassembler::max_message_size / 250) + 1);
}

// Replays the fuzz seeds and every crasher kept in tests/fuzz/regressions/fuzz_sccp/ through the
// same steps as tests/fuzz/fuzz_sccp.cpp, under the sanitizers of this build.
TEST_CASE("SCCP fuzz corpus and regressions replay", "[upper]") {
  namespace fs = std::filesystem;
  auto reassembler = std::make_unique<sccp_reassembler>();
  std::size_t files = 0;
  std::size_t decoded = 0;
  for (const char* dir : {"tests/fuzz/corpus/sccp", "tests/fuzz/regressions/fuzz_sccp"}) {
    const fs::path p = bssap::test::source_dir() / dir;
    REQUIRE(fs::is_directory(p));  // kept in git by its .keep: missing is an error
    for (const auto& entry : fs::directory_iterator(p)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const bytes input = as_bytes(raw.data(), raw.size());
      ++files;
      std::size_t pos = 0;
      while (pos + 2 <= input.size()) {
        const std::uint8_t flags = u8_at(input, pos);
        const std::size_t length = std::min<std::size_t>(u8_at(input, pos + 1), input.size() - pos - 2);
        sccp_options o;
        o.pc24 = (flags & 1) != 0;
        const auto m = decode_sccp(input.subspan(pos + 2, length), o, nullptr);
        pos += 2 + length;
        if (!m) continue;
        ++decoded;
        (void)reassembler->add((flags >> 1) & 7, *m, pos, nullptr);
      }
    }
  }
  CHECK(files >= 10);
  CHECK(decoded >= 10);
}
