// BSSAP framing, BSSMAP messages and the combined a_message decoder.
// Provenance of the vectors:
//  [osmo-bsc-nat] osmocom/openbsc openbsc/tests/bsc-nat/bsc_data.c (real SCCPlite traffic)
//  [gsm0808_test] osmocom/libosmocore tests/gsm0808/gsm0808_test.c (encoder expected bytes)
//  [built] built by hand from TS 48.008 3.2.1 / 3.2.2, then checked with tshark 4.0.17: wrapped in
//          a UDT to SSN 254 inside an MTP3 (DLT 141) frame made by text2pcap; the values asserted
//          are the ones tshark shows (gsm_a.bssmap.msgtype, cell_lac, cell_ci, e212.mcc/mnc,
//          e212.imsi, gsm_a.tmsi, 3gpp.tmsi, gsm_a.imeisv, gsm_a.bssmap.cause).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "bssap/decoders/a_message.hpp"
#include "bssap/decoders/bssap.hpp"
#include "bssap/decoders/bssmap.hpp"
#include "test_support.hpp"

using namespace bssap::dec;
using bssap::test::hex;

namespace {

bytes span_of(const std::vector<std::byte>& v) {
  return {v.data(), v.size()};
}

// Decodes BSSAP user data (discriminator + length + BSSMAP) down to the BSSMAP view.
result<bssmap_message> bssmap_of(const std::vector<std::byte>& user_data, decode_stats* stats = nullptr) {
  const auto pdu = decode_bssap_pdu(span_of(user_data), stats);
  if (!pdu) return pdu.error();
  return decode_bssmap(pdu->payload, stats);
}

}  // namespace

TEST_CASE("BSSAP framing: BSSMAP and DTAP headers, lengths validated", "[upper]") {
  // [gsm0808_test] test_create_dtap: DTAP, DLCI 0x03, length 2.
  const auto dtap = hex("01 03 02 2342");
  const auto p = decode_bssap_pdu(span_of(dtap));
  REQUIRE(p.ok());
  CHECK(p->discriminator == bssap_discriminator::dtap);
  CHECK(p->dlci == 0x03);
  CHECK(p->payload.size() == 2);
  // [gsm0808_test] test_create_reset_ack.
  const auto reset_ack = hex("00 01 31");
  const auto r = decode_bssap_pdu(span_of(reset_ack));
  REQUIRE(r.ok());
  CHECK(r->discriminator == bssap_discriminator::bssmap);
  CHECK(r->payload.size() == 1);

  decode_stats stats;
  CHECK(decode_bssap_pdu(span_of(hex("01 03")), &stats).error() == decode_error::truncated);
  CHECK(decode_bssap_pdu(span_of(hex("00")), &stats).error() == decode_error::truncated);
  CHECK(decode_bssap_pdu(span_of(hex("00 05 31")), &stats).error() == decode_error::bad_length);
  CHECK(decode_bssap_pdu(span_of(hex("00 00")), &stats).error() == decode_error::bad_length);
  CHECK(decode_bssap_pdu(span_of(hex("02 01 31")), &stats).error() == decode_error::unsupported);
  CHECK(stats.get(layer::bssap, decode_error::truncated) == 2);
  CHECK(stats.get(layer::bssap, decode_error::bad_length) == 2);
  CHECK(stats.get(layer::bssap, decode_error::unsupported) == 1);
}

TEST_CASE("BSSMAP Complete Layer 3 Information with CGI and LU Request (osmo-bsc-nat bsc_cr)", "[upper]") {
  const auto ud = hex("001f5705080072f480201cc35117120508 2072f490201d5008294780000000008000");
  const auto m = bssmap_of(ud);
  REQUIRE(m.ok());
  CHECK(m->type == bssmap_msg_type::complete_layer3_information);
  CHECK(m->known_type);
  REQUIRE(m->has_cell);
  CHECK(m->cell.discriminator == cell_id_discriminator::cgi);
  CHECK(m->cell.plmn.mcc == "274");
  CHECK(m->cell.plmn.mnc == "08");
  CHECK(m->cell.lac == 0x201c);
  CHECK(m->cell.ci == 0xc351);
  REQUIRE(m->has_layer3_information);
  CHECK(m->layer3_information.size() == 18);

  // The combined view decodes the embedded LU Request too.
  const auto a = decode_bssap(span_of(ud), link_direction::unknown);
  REQUIRE(a.ok());
  CHECK(a->kind == a_kind::bssmap);
  CHECK(a->direction == link_direction::uplink);
  REQUIRE(a->has_l3);
  CHECK(a->l3.pd == protocol_discriminator::mm);
  CHECK(a->l3.message_type == static_cast<std::uint8_t>(mm_msg::location_updating_request));
  CHECK(a->l3.identity.type == identity_type::imsi);
  CHECK(a->l3.identity.digits == "274080000000008");
  CHECK(a->l3.lai.lac == 0x201d);
  CHECK(a->l3.lai.plmn.mnc == "09");
  CHECK(a->bssmap.cell.ci == 0xc351);
}

TEST_CASE("BSSMAP Cell Identifier in every discriminator form (3.2.2.17) [built]", "[upper]") {
  struct form {
    const char* hex;
    cell_id_discriminator d;
    bool plmn, lac, ci;
    std::uint16_t lac_v, ci_v;
  };
  const form forms[] = {
      {"001757050501201cc351170d0524110357588605f412345678", cell_id_discriminator::lac_ci, false, true, true, 0x201c,
       0xc351},
      {"001557050302c351170d0524110357588605f412345678", cell_id_discriminator::ci, false, false, true, 0, 0xc351},
      {"00185705060472f480201c170d0524110357588605f412345678", cell_id_discriminator::lai, true, true, false, 0x201c,
       0},
      {"001557050305201c170d0524110357588605f412345678", cell_id_discriminator::lac, false, true, false, 0x201c, 0},
      {"001a5705080b62f22000010002170d0524110357588605f412345678", cell_id_discriminator::sai, true, true, false, 1, 0},
  };
  for (const auto& f : forms) {
    const auto ud = hex(f.hex);
    const auto a = decode_bssap(span_of(ud), link_direction::uplink);
    REQUIRE(a.ok());
    const auto& c = a->bssmap.cell;
    CHECK(a->bssmap.has_cell);
    CHECK(c.discriminator == f.d);
    CHECK(c.has_plmn == f.plmn);
    CHECK(c.has_lac == f.lac);
    CHECK(c.has_ci == f.ci);
    CHECK(c.lac == f.lac_v);
    CHECK(c.ci == f.ci_v);
    // CM Service Request with a TMSI inside (3gpp.tmsi = 305419896).
    REQUIRE(a->has_l3);
    CHECK(a->l3.has_cm_service_type);
    CHECK(a->l3.cm_service == cm_service_type::mo_call);
    CHECK(a->l3.identity.type == identity_type::tmsi);
    CHECK(a->l3.identity.tmsi == 0x12345678);
  }
  // LAI form: MCC 274, MNC 08 (tshark: e212.mnc 8).
  const auto lai = hex("00185705060472f480201c170d0524110357588605f412345678");
  const auto a = decode_bssap(span_of(lai), link_direction::uplink);
  REQUIRE(a.ok());
  CHECK(a->bssmap.cell.plmn.mcc == "274");
  CHECK(a->bssmap.cell.plmn.mnc == "08");
  // SAI: SAC.
  const auto sai = hex("001a5705080b62f22000010002170d0524110357588605f412345678");
  const auto s = decode_bssap(span_of(sai), link_direction::uplink);
  REQUIRE(s.ok());
  CHECK(s->bssmap.cell.has_sac);
  CHECK(s->bssmap.cell.sac == 2);
}

TEST_CASE("BSSMAP Paging with IMSI, TMSI and Cell Identifier List", "[upper]") {
  // [gsm0808_test] test_create_paging res3 (IMSI 001010000001234, TMSI 0x12345678, LAC list 0x2342,
  // Channel Needed).
  const auto p = bssmap_of(hex("00 18 52 0808 09101000000021 43 0904 12345678 1a03 05 2342 2402"));
  REQUIRE(p.ok());
  CHECK(p->type == bssmap_msg_type::paging);
  REQUIRE(p->has_imsi);
  CHECK(p->imsi.digits == "001010000001234");
  REQUIRE(p->has_tmsi);
  CHECK(p->tmsi == 0x12345678);
  REQUIRE(p->has_cell_list);
  CHECK(p->cell_list.discriminator == cell_id_discriminator::lac);
  CHECK(p->cell_list.count == 1);
  CHECK(p->cell_list.cells[0].lac == 0x2342);
  // [osmo-bsc-nat] paging_by_lac_cmd (tshark: IMSI 274012010052003, LAC 0x2015).
  const auto q = bssmap_of(hex("00105208082947100201500230 1a03052015"));
  REQUIRE(q.ok());
  CHECK(q->imsi.digits == "274012010052003");
  CHECK_FALSE(q->has_tmsi);
  CHECK(q->cell_list.cells[0].lac == 0x2015);
  // [built] CGI list of two cells (tshark: CI 0x000a, 0x000b; LAC 1, 1; MCC 262 MNC 2).
  const auto r = bssmap_of(hex("002252080829261000000000100904123456781a0f0062f2200001000a62f2200001000b"));
  REQUIRE(r.ok());
  CHECK(r->imsi.digits == "262010000000001");
  CHECK(r->cell_list.discriminator == cell_id_discriminator::cgi);
  REQUIRE(r->cell_list.count == 2);
  CHECK(r->cell_list.cells[0].ci == 0x000a);
  CHECK(r->cell_list.cells[1].ci == 0x000b);
  CHECK(r->cell_list.cells[1].plmn.mnc == "02");
}

TEST_CASE("BSSMAP Common ID, Clear, Reset, Cipher Mode, Classmark Update, Assignment", "[upper]") {
  // [built] Common ID (tshark e212.imsi 262010000000001).
  const auto common = bssmap_of(hex("000b2f08082926100000000010"));
  REQUIRE(common.ok());
  CHECK(common->type == bssmap_msg_type::common_id);
  CHECK(common->imsi.digits == "262010000000001");
  // [gsm0808_test] Clear Command 2, CSFB variant with the T-only CSFB Indication.
  const auto clear = bssmap_of(hex("00 05 20 0401 23 8f"));
  REQUIRE(clear.ok());
  CHECK(clear->type == bssmap_msg_type::clear_command);
  CHECK(clear->cause.value == 0x23);
  // [gsm0808_test] Clear Request, Clear Complete, Reset, Reset Ack.
  CHECK(bssmap_of(hex("00 04 22 0401 23"))->cause.value == 0x23);
  CHECK(bssmap_of(hex("00 01 21"))->type == bssmap_msg_type::clear_complete);
  CHECK(bssmap_of(hex("00 04 30 0401 20"))->cause.value == 0x20);
  CHECK(bssmap_of(hex("00 01 31"))->type == bssmap_msg_type::reset_acknowledge);
  // [gsm0808_test] Cipher Mode Command with Cipher Response Mode; Cipher Reject (extended cause).
  const auto cmc = bssmap_of(hex("00 0e 53 0a09 03aabbccddeeff2342 2301"));
  REQUIRE(cmc.ok());
  CHECK(cmc->has_encryption_information);
  CHECK(cmc->encryption_information.size() == 9);
  const auto rej = bssmap_of(hex("00 05 59 0402 d0fa"));
  REQUIRE(rej.ok());
  CHECK(rej->cause.extended);
  CHECK(rej->cause.value == 0x50fa);
  // [gsm0808_test] Cipher Mode Complete with 3 octets of L3 and A5/3.
  const auto cc = bssmap_of(hex("00 08 55 2003 234221 2c04"));
  REQUIRE(cc.ok());
  CHECK(cc->layer3_message_contents.size() == 3);
  CHECK(cc->chosen_encryption_algorithm == 0x04);
  // [gsm0808_test] Classmark Update with classmark 2 and 3.
  const auto cm = bssmap_of(hex("00 07 54 1201 23 1301 42"));
  REQUIRE(cm.ok());
  CHECK(cm->has_classmark2);
  CHECK(cm->has_classmark3);
  // [gsm0808_test] Assignment Request (channel type, CIC 4), Complete (RR cause, CIC, chosen
  // channel, chosen encryption, speech version), Failure (cause + RR cause).
  const auto ar = bssmap_of(hex("00 0a 01 0b04010ba125 010004"));
  REQUIRE(ar.ok());
  CHECK(ar->cic == 4);
  const auto ac = bssmap_of(hex("00 09 02 1523 2142 2c11 4022"));
  REQUIRE(ac.ok());
  CHECK(ac->rr_cause == 0x23);
  CHECK(ac->chosen_channel == 0x42);
  CHECK(ac->chosen_encryption_algorithm == 0x11);
  const auto af = bssmap_of(hex("00 06 03 0401 23 1502"));
  REQUIRE(af.ok());
  CHECK(af->cause.value == 0x23);
  CHECK(af->rr_cause == 2);
  // [gsm0808_test] test_create_ass2: AoIP, Call ID, Kc128, GCR and the LCLS IEs (T and TV forms).
  const auto ass2 =
      bssmap_of(hex("00 45 01 0b04010b9115 010004 7c06ac0c650d029a 7d07 53efcda29ffdc0 7fcefaadde"
                    " 8345454545454545454545454545454545 890d03444444 02feed 054141414141 8a02 8b00 8c"));
  REQUIRE(ass2.ok());
  CHECK(ass2->has_channel_type);
}

TEST_CASE("BSSMAP Cipher Mode Complete carries RR Ciphering Mode Complete with IMEISV [built]", "[upper]") {
  const auto ud = hex("001255200d063217093335940516325406f12c02");
  const auto a = decode_bssap(span_of(ud), link_direction::unknown);
  REQUIRE(a.ok());
  CHECK(a->bssmap.type == bssmap_msg_type::cipher_mode_complete);
  CHECK(a->bssmap.chosen_encryption_algorithm == 0x02);
  REQUIRE(a->has_l3);
  CHECK(a->l3.pd == protocol_discriminator::rr);
  CHECK(a->l3.message_type == static_cast<std::uint8_t>(rr_msg::ciphering_mode_complete));
  CHECK(a->l3.identity.type == identity_type::imeisv);
  CHECK(a->l3.identity.digits == "3534950612345601");  // tshark gsm_a.imeisv
}

TEST_CASE("BSSMAP handover family [built]", "[upper]") {
  // Handover Request: serving cell CGI 262-02 LAC 1 CI 10, target LAC 2 CI 20, cause 0x0c.
  const auto req = decode_bssap(span_of(hex("002b100b04010ba1250a0903aabbccddeeff2342120350189305080062f2200001000a05"
                                            "05010002001404010c")),
                                link_direction::unknown);
  REQUIRE(req.ok());
  CHECK(req->bssmap.type == bssmap_msg_type::handover_request);
  CHECK(req->direction == link_direction::downlink);
  CHECK(req->bssmap.cell.ci == 0x000a);
  REQUIRE(req->bssmap.has_target_cell);
  CHECK(req->bssmap.target_cell.discriminator == cell_id_discriminator::lac_ci);
  CHECK(req->bssmap.target_cell.lac == 2);
  CHECK(req->bssmap.target_cell.ci == 0x0014);
  CHECK(req->bssmap.cause.value == 0x0c);
  // Handover Performed: the new cell (CI 0x001e, LAC 3).
  const auto perf = decode_bssap(span_of(hex("000e1704010c05080062f2200003001e")), link_direction::unknown);
  REQUIRE(perf.ok());
  CHECK(perf->bssmap.type == bssmap_msg_type::handover_performed);
  CHECK(perf->bssmap.cell.ci == 0x001e);
  CHECK(perf->bssmap.cell.lac == 3);
  CHECK(perf->bssmap.cell.plmn.mcc == "262");
  // Handover Required: cause, preferred cell list.
  const auto reqd = bssmap_of(hex("000b1104010c1a050100020014"));
  REQUIRE(reqd.ok());
  CHECK(reqd->cell_list.cells[0].ci == 0x0014);
  // Handover Command / Request Acknowledge: RR Handover Command in Layer 3 Information.
  const auto cmd = decode_bssap(span_of(hex("0006131703062b00")), link_direction::unknown);
  REQUIRE(cmd.ok());
  CHECK(cmd->has_l3);
  CHECK(cmd->l3.message_type == static_cast<std::uint8_t>(rr_msg::handover_command));
  CHECK(bssmap_of(hex("0006121703062b00"))->has_layer3_information);
  // Handover Complete (RR cause), Failure (cause).
  CHECK(bssmap_of(hex("0003141500"))->has_rr_cause);
  CHECK(bssmap_of(hex("00041604010c"))->cause.value == 0x0c);
}

TEST_CASE("BSSMAP: other message types are recognised by type, unknown ones flagged", "[upper]") {
  const auto overload = bssmap_of(hex("00 04 32 0401 23"));
  REQUIRE(overload.ok());
  CHECK(overload->known_type);
  CHECK_FALSE(overload->decoded_ies);
  CHECK(to_string(overload->type) == "overload");
  const auto unknown = bssmap_of(hex("00 01 ee"));
  REQUIRE(unknown.ok());
  CHECK_FALSE(unknown->known_type);
  CHECK(to_string(unknown->type) == "unknown");
}

TEST_CASE("BSSMAP malformed: each defect gives its exact error, counted under bssmap", "[upper]") {
  decode_stats stats;
  // Mandatory IE missing: Clear Command without Cause; Handover Request without target cell.
  CHECK(bssmap_of(hex("00 01 20"), &stats).error() == decode_error::missing_ie);
  CHECK(bssmap_of(hex("0021100b04010ba1250a0903aabbccddeeff2342120350189305080062f2200001000a"), &stats).error() ==
        decode_error::missing_ie);
  // An IE length running past the message.
  CHECK(bssmap_of(hex("00 04 22 0405 23"), &stats).error() == decode_error::bad_length);
  // The message ends inside a TV IE (CIC needs 2 octets) and inside an IE header.
  CHECK(bssmap_of(hex("00 03 01 0100"), &stats).error() == decode_error::truncated);
  CHECK(bssmap_of(hex("00 02 22 04"), &stats).error() == decode_error::truncated);
  // Cell Identifier: CGI form with 6 octets instead of 7; an undefined discriminator; a BCD
  // digit above 9 in the MCC.
  CHECK(bssmap_of(hex("00 0f 57 0507 0072f480201cc3 1703 052401"), &stats).error() == decode_error::bad_length);
  CHECK(bssmap_of(hex("00 09 57 0503 07201c 1701 05"), &stats).error() == decode_error::bad_value);
  CHECK(bssmap_of(hex("00 10 57 0508 00a2f480201cc351 1703 052401"), &stats).error() == decode_error::bad_value);
  // Cell Identifier List whose length is not a whole number of cells.
  CHECK(bssmap_of(hex("00 0f 52 0808 29261000000000 10 1a04 05 2342 00"), &stats).error() == decode_error::bad_length);
  // Cause: extension bit set but one octet.
  CHECK(bssmap_of(hex("00 04 22 0401 d0"), &stats).error() == decode_error::bad_length);
  // Common ID whose IMSI IE holds a TMSI identity.
  CHECK(bssmap_of(hex("00 08 2f 0805 f412345678"), &stats).error() == decode_error::bad_value);
  // Empty BSSMAP payload is impossible through BSSAP (length 0 is bad_length there), directly:
  CHECK(decode_bssmap({}, &stats).error() == decode_error::unsupported);
  CHECK(stats.get(layer::bssmap, decode_error::missing_ie) == 2);
  CHECK(stats.get(layer::bssmap, decode_error::bad_length) == 4);
  CHECK(stats.get(layer::bssmap, decode_error::truncated) == 2);
  CHECK(stats.get(layer::bssmap, decode_error::bad_value) == 3);
}

TEST_CASE("a_message: the embedded layer 3 that fails keeps the BSSMAP part, error counted under dtap", "[upper]") {
  decode_stats stats;
  // Complete Layer 3 with a LU Request cut after its LAI.
  const auto ud = hex("00 15 57 0508 0072f480201cc351 1708 0508 2072f490201d");
  const auto a = decode_bssap(span_of(ud), link_direction::uplink, &stats);
  REQUIRE(a.ok());
  CHECK_FALSE(a->has_l3);
  CHECK(a->l3_error == decode_error::truncated);
  CHECK(a->bssmap.cell.ci == 0xc351);
  CHECK(stats.get(layer::dtap, decode_error::truncated) == 1);
  // decode_bssap_into writes into a reused object and returns the error.
  a_message reused;
  CHECK(decode_bssap_into(span_of(hex("00 05 31")), link_direction::unknown, reused, &stats) ==
        decode_error::bad_length);
  CHECK(decode_bssap_into(span_of(ud), link_direction::uplink, reused, &stats) == decode_error::none);
  CHECK(reused.bssmap.type == bssmap_msg_type::complete_layer3_information);
}

TEST_CASE("a_message: a reused object holds nothing of the previous message", "[upper]") {
  // decode_bssap_into resets only what the previous decode wrote: every sequence of messages
  // must leave the object as a fresh decode does.
  // Common ID with IMSI 460001234567890 (48.008 3.2.1.68); Complete Layer 3 (cell CGI, LU Request
  // with the same IMSI, 24.008 9.2.15); DTAP TMSI Reallocation Complete; Clear Command (osmocom's
  // gsm0808_test vector, as above).
  const auto common_id = hex("00 0b 2f 0808 4906002143658709");
  const auto cl3_lu = hex("00 1f 57 0508 0072f480201cc351 1712 0508 70 72f480 201d 33 08 4906002143658709");
  const auto dtap = hex("01 00 02 05 1b");
  const auto clear = hex("00 05 20 0401 23 8f");
  const std::vector<std::decay_t<decltype(common_id)>> messages{common_id, cl3_lu, dtap, clear, cl3_lu,
                                                                common_id, dtap,   dtap, clear};
  a_message reused;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    INFO("message " << i);
    const auto fresh = decode_bssap(span_of(messages[i]), link_direction::unknown);
    const auto e = decode_bssap_into(span_of(messages[i]), link_direction::unknown, reused);
    REQUIRE(fresh.ok());  // all valid: the point is what a good decode leaves behind
    CHECK(e == decode_error::none);
    CHECK(reused.kind == fresh->kind);
    CHECK(reused.direction == fresh->direction);
    CHECK(reused.dlci == fresh->dlci);
    CHECK(reused.has_l3 == fresh->has_l3);
    CHECK(reused.l3_error == fresh->l3_error);
    CHECK(reused.bssmap.type == fresh->bssmap.type);
    CHECK(reused.bssmap.has_imsi == fresh->bssmap.has_imsi);
    CHECK(reused.bssmap.imsi.digits.view() == fresh->bssmap.imsi.digits.view());
    CHECK(reused.bssmap.has_cell == fresh->bssmap.has_cell);
    CHECK(reused.bssmap.has_cause == fresh->bssmap.has_cause);
    CHECK(reused.l3.pd == fresh->l3.pd);
    CHECK(reused.l3.message_type == fresh->l3.message_type);
    CHECK(reused.l3.has_identity == fresh->l3.has_identity);
    CHECK(reused.l3.identity.digits.view() == fresh->l3.identity.digits.view());
    CHECK(reused.l3.has_lai == fresh->l3.has_lai);
  }
}

// Replays the fuzz seeds and every crasher kept in tests/fuzz/regressions/fuzz_bssap/ through the
// same steps as tests/fuzz/fuzz_bssap.cpp, under the sanitizers of this build.
TEST_CASE("BSSAP fuzz corpus and regressions replay", "[upper]") {
  namespace fs = std::filesystem;
  std::size_t files = 0;
  std::size_t decoded = 0;
  a_message message;
  for (const char* dir : {"tests/fuzz/corpus/bssap", "tests/fuzz/regressions/fuzz_bssap"}) {
    const fs::path p = bssap::test::source_dir() / dir;
    REQUIRE(fs::is_directory(p));  // kept in git by its .keep: missing is an error
    for (const auto& entry : fs::directory_iterator(p)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (raw.empty()) continue;
      ++files;
      const auto direction = static_cast<link_direction>(static_cast<unsigned char>(raw[0]) % 3);
      const bytes payload = as_bytes(raw.data() + 1, raw.size() - 1);
      if (decode_bssap_into(payload, direction, message) == decode_error::none) ++decoded;
      (void)decode_dtap(payload, direction);
    }
  }
  CHECK(files >= 30);
  CHECK(decoded >= 30);  // the seeds are valid messages
}
