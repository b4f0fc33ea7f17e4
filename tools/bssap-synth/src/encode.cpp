// Encoders for SCCP / BSSAP / DTAP. Every message follows the clause cited beside it.
// References: ITU-T Q.713 (SCCP), TS 48.006 (BSSAP header), TS 48.008 (BSSMAP), TS 24.008 (MM,
// CC), TS 44.018 (RR), TS 24.011 (CP/RP), TS 23.040 (TPDU), TS 24.080 + TS 29.002 (USSD),
// TS 23.038 (GSM 7-bit).
#include "encode.hpp"

#include <array>
#include <span>

#include "bssap/decoders/gsm7.hpp"
#include "ranap.hpp"

namespace bssap::synth {
namespace {

namespace gsm7 = bssap::dec::gsm7;

// SCCP message types (Q.713 2.1).
constexpr std::uint8_t sccp_cr = 0x01, sccp_cc = 0x02, sccp_cref = 0x03, sccp_rlsd = 0x04, sccp_rlc = 0x05,
                       sccp_dt1 = 0x06, sccp_udt = 0x09;
constexpr std::uint8_t ssn_bssap = 254;  // TS 48.006 / Q.713 Annex: SSN of BSSAP
constexpr std::uint8_t ssn_ranap = 142;  // TS 25.410 / TS 23.003 14: SSN of RANAP

// BSSMAP message types (TS 48.008 3.2.2.1) and IEIs (3.2.2).
namespace bssmap {
constexpr std::uint8_t assignment_request = 0x01, assignment_complete = 0x02, handover_request = 0x10,
                       handover_required = 0x11, handover_request_ack = 0x12, handover_command = 0x13,
                       handover_complete = 0x14, handover_detect = 0x1B, handover_performed = 0x17,
                       handover_required_reject = 0x1A, clear_command = 0x20, clear_complete = 0x21, common_id = 0x2F,
                       reset = 0x30, reset_ack = 0x31, paging = 0x52, cipher_mode_command = 0x53,
                       cipher_mode_complete = 0x55, complete_l3 = 0x57;
constexpr std::uint8_t iei_cic = 0x01, iei_cause = 0x04, iei_cell_id = 0x05, iei_imsi = 0x08, iei_tmsi = 0x09,
                       iei_encryption_info = 0x0A, iei_channel_type = 0x0B, iei_rr_cause = 0x15, iei_l3_info = 0x17,
                       iei_cell_id_list = 0x1A, iei_cipher_response_mode = 0x23, iei_l3_msg_contents = 0x20,
                       iei_chosen_channel = 0x21, iei_chosen_encryption = 0x2C, iei_speech_version = 0x40,
                       iei_classmark2 = 0x12;
// Causes (3.2.2.5).
constexpr std::uint8_t cause_om_intervention = 0x07, cause_call_control = 0x09, cause_better_cell = 0x0C,
                       cause_uplink_quality = 0x02, cause_no_radio_resource = 0x21;
}  // namespace bssmap

// Protocol discriminators (TS 24.007 11.2.3.1.1).
constexpr std::uint8_t pd_cc = 0x3, pd_mm = 0x5, pd_rr = 0x6, pd_sms = 0x9, pd_ss = 0xB;

std::string_view own_mcc(const world_view& w) {
  return {w.cfg->own_plmn.mcc, 3};
}
std::string_view own_mnc(const world_view& w) {
  return {w.cfg->own_plmn.mnc, w.cfg->own_plmn.mnc_len};
}

std::string_view imsi_of(const world_view& w, std::uint32_t sub) {
  const auto& s = (*w.subs)[sub];
  return {s.imsi.data(), s.imsi_len};
}

// CGI cell identifier value (TS 48.008 3.2.2.17, discriminator 0000).
void put_cell_id_ie(wbuf& out, const world_view& w, std::uint16_t lac, std::uint16_t ci) {
  out.u8(bssmap::iei_cell_id);
  out.u8(8);
  out.u8(0x00);
  put_plmn(out, own_mcc(w), own_mnc(w));
  out.be16(lac);
  out.be16(ci);
}
void put_cell_id_ie(wbuf& out, const world_view& w, std::uint32_t cell) {
  put_cell_id_ie(out, w, w.net->cells[cell].lac, w.net->cells[cell].ci);
}

// Channel Type (3.2.2.11): speech, full-rate TCH, GSM FR (the only channel calls use here).
void put_speech_channel_type(wbuf& out) {
  out.u8(bssmap::iei_channel_type);
  out.u8(3);
  out.u8(0x01);  // speech
  out.u8(0x08);  // TCH/F
  out.u8(0x01);  // GSM FR
}

void put_lai(wbuf& out, const world_view& w, std::uint8_t plmn_index, std::uint16_t lac) {
  if (plmn_index == 0) {
    put_plmn(out, own_mcc(w), own_mnc(w));
  } else {
    const auto& p = foreign_plmns[plmn_index - 1];
    put_plmn(out, p.mcc, p.mnc);
  }
  out.be16(lac);
}

// Mobile identity as LV (TS 24.008 10.5.1.4).
void put_identity_lv(wbuf& out, const msg& m, const conn_ctx& c, const world_view& w, id_kind kind) {
  const std::size_t at = out.len_mark();
  switch (kind) {
    case id_kind::tmsi:
      out.u8(0xF4);
      out.be32(m.tmsi);
      break;
    case id_kind::imsi:
      put_identity_digits(out, id_kind::imsi, imsi_of(w, c.sub));
      break;
    case id_kind::imei:
    case id_kind::imeisv: {
      std::array<char, 16> d{};
      digits_of(m.num, 14, d.data());
      if (kind == id_kind::imei) {
        d[14] = luhn_digit({d.data(), 14});
        put_identity_digits(out, id_kind::imei, {d.data(), 15});
      } else {
        d[14] = static_cast<char>('0' + m.svn / 10);
        d[15] = static_cast<char>('0' + m.svn % 10);
        put_identity_digits(out, id_kind::imeisv, {d.data(), 16});
      }
      break;
    }
    case id_kind::none:
      break;
  }
  out.patch_len(at);
}

// BSSAP header (TS 48.006 9.3): BSSMAP: 0x00 + length; DTAP: 0x01 + DLCI + length.
std::size_t begin_bssmap(wbuf& out, std::uint8_t type) {
  out.u8(0x00);
  const std::size_t at = out.len_mark();
  out.u8(type);
  return at;
}
std::size_t begin_dtap(wbuf& out, std::uint8_t dlci) {
  out.u8(0x01);
  out.u8(dlci);
  return out.len_mark();
}

// The CC / SMS / SS first octet: TI flag, TI value, protocol discriminator (TS 24.007 11.2.3.1.3).
// `ti` holds value | flag << 3 as seen from the sender.
std::uint8_t ti_octet(std::uint8_t ti, std::uint8_t pd) {
  return static_cast<std::uint8_t>(((ti & 0x8) << 4) | ((ti & 0x7) << 4) | pd);
}

void put_number_digits(wbuf& out, std::uint64_t num, std::uint8_t len) {
  std::array<char, 24> d{};
  digits_of(num, len, d.data());
  put_bcd(out, {d.data(), len});
}

constexpr std::string_view smsc_digits = "8613800100500";

// CC cause IE value (TS 24.008 10.5.4.11): coding standard GSM, location, cause value.
void put_cc_cause_value(wbuf& out, std::uint8_t cause, std::uint8_t location) {
  out.u8(2);
  out.u8(0xE0 | location);
  out.u8(0x80 | cause);
}

std::size_t septets_of(std::string_view text, std::span<std::uint8_t> out) {
  const std::size_t n = gsm7::from_utf8(text, out);
  return n == gsm7::npos ? 0 : n;
}

// TP-OA / TP-DA (TS 23.040 9.1.2.5): digit count, type of address, BCD.
void put_tp_address(wbuf& out, std::uint64_t num, std::uint8_t len, std::uint8_t toa) {
  out.u8(len);
  out.u8(toa);
  put_number_digits(out, num, len);
}

// TP-SCTS (TS 23.040 9.2.3.11): semi-octet swapped BCD, time zone +8h (32 quarters).
void put_scts(wbuf& out, std::int64_t ts_us) {
  const std::int64_t secs = ts_us / 1000000 + 8 * 3600;
  std::int64_t days = secs / 86400;
  const std::int64_t rem = secs % 86400;
  // civil from days (H. Hinnant)
  days += 719468;
  const std::int64_t era = days / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned mo = mp < 10 ? mp + 3 : mp - 9;
  const auto y = static_cast<unsigned>(static_cast<std::int64_t>(yoe) + era * 400 + (mo <= 2));
  const unsigned vals[7] = {y % 100,
                            mo,
                            d,
                            static_cast<unsigned>(rem / 3600),
                            static_cast<unsigned>(rem / 60 % 60),
                            static_cast<unsigned>(rem % 60),
                            32};
  for (const unsigned v : vals) out.u8(((v % 10) << 4) | (v / 10));
}

// The fixed texts, packed once: packing them per message would cost more than the rest of the
// message together.
struct packed_text {
  std::array<std::uint8_t, 160> bytes{};
  std::uint8_t len = 0;      // octets
  std::uint8_t septets = 0;  // TP-UDL / alphanumeric address length source
};
struct text_cache {
  std::array<packed_text, sms_texts.size()> sms;
  std::array<packed_text, ussd_strings.size()> ussd_request;
  std::array<packed_text, ussd_answers.size()> ussd_answer;
  std::array<packed_text, alpha_senders.size()> alpha;

  static void pack_7bit(std::string_view text, packed_text& p, std::size_t max_septets) {
    std::array<std::uint8_t, 200> septets{};
    std::size_t n = septets_of(text, septets);
    if (n > max_septets) n = max_septets;
    const std::size_t m = gsm7::pack(std::span<const std::uint8_t>(septets.data(), n), 0, p.bytes);
    p.septets = static_cast<std::uint8_t>(n);
    p.len = static_cast<std::uint8_t>(m == gsm7::npos ? 0 : m);
  }
  static void pack_ussd(std::string_view text, packed_text& p) {
    wbuf out(p.bytes.data(), p.bytes.size());
    p.len = static_cast<std::uint8_t>(put_ussd_string(out, text));
  }
  text_cache() {
    for (std::size_t i = 0; i < sms_texts.size(); ++i) pack_7bit(sms_texts[i], sms[i], 160);
    for (std::size_t i = 0; i < alpha_senders.size(); ++i) pack_7bit(alpha_senders[i], alpha[i], 11);
    for (std::size_t i = 0; i < ussd_strings.size(); ++i) pack_ussd(ussd_strings[i], ussd_request[i]);
    for (std::size_t i = 0; i < ussd_answers.size(); ++i) pack_ussd(ussd_answers[i], ussd_answer[i]);
  }
};
const text_cache& texts() {
  static const text_cache cache;
  return cache;
}

// TP-User-Data: GSM 7-bit, DCS 0x00 (TS 23.038 4), UDL in septets (TS 23.040 9.2.3.16).
void put_tp_text(wbuf& out, const packed_text& p) {
  out.u8(p.septets);
  out.bytes(p.bytes.data(), p.len);
}

// Alphanumeric TP-OA (TON 5): the address length counts useful semi-octets of the packed text.
void put_tp_alpha(wbuf& out, const packed_text& p) {
  out.u8(static_cast<std::uint8_t>((p.septets * 7 + 3) / 4));
  out.u8(0xD0);
  out.bytes(p.bytes.data(), p.len);
}

// ---- layer 3 (DTAP) bodies -------------------------------------------------------------------

constexpr std::uint8_t ms_classmark1 = 0x33;  // rev. level phase 2, ES IND, A5/1, class 3
constexpr std::array<std::uint8_t, 3> ms_classmark2{0x33, 0x18, 0x82};

void put_initial_l3(wbuf& out, const msg& m, const conn_ctx& c, const world_view& w) {
  const auto kind = static_cast<initial>(m.sub_kind);
  const auto idk = static_cast<id_kind>(m.id_type);
  switch (kind) {
    case initial::lu_request:  // TS 24.008 9.2.15
      out.u8(pd_mm);
      out.u8(0x08);
      out.u8(0x70 | (m.lu & 0x3));  // CKSN 7 (no key) | LU type, follow-on not requested
      put_lai(out, w, m.old_plmn, m.lac);
      out.u8(ms_classmark1);
      put_identity_lv(out, m, c, w, idk);
      break;
    case initial::cm_service_request:  // TS 24.008 9.2.9
      out.u8(pd_mm);
      out.u8(0x24);
      out.u8(0x00 | (m.cause & 0xF));  // CKSN 0 | CM service type
      out.u8(static_cast<std::uint8_t>(ms_classmark2.size()));
      out.bytes(ms_classmark2.data(), ms_classmark2.size());
      put_identity_lv(out, m, c, w, idk);
      break;
    case initial::paging_response:  // TS 44.018 9.1.25
      out.u8(pd_rr);
      out.u8(0x27);
      out.u8(0x00);  // spare | CKSN 0
      out.u8(static_cast<std::uint8_t>(ms_classmark2.size()));
      out.bytes(ms_classmark2.data(), ms_classmark2.size());
      put_identity_lv(out, m, c, w, idk);
      break;
    case initial::imsi_detach:  // TS 24.008 9.2.12
      out.u8(pd_mm);
      out.u8(0x01);
      out.u8(ms_classmark1);
      put_identity_lv(out, m, c, w, idk);
      break;
  }
}

// Component of a USSD request or answer (TS 24.080 3.6, TS 29.002 processUnstructuredSS-Request,
// operation code 59, ussd-DataCodingScheme 0x0F: GSM 7-bit, language unspecified).
void put_ussd_component(wbuf& out, bool result, const packed_text& text) {
  out.u8(result ? 0xA2 : 0xA1);  // ReturnResult / Invoke
  const std::size_t comp = out.len_mark();
  out.u8(0x02);
  out.u8(0x01);
  out.u8(0x01);  // invoke ID 1
  std::size_t seq = 0;
  if (result) {
    out.u8(0x30);
    seq = out.len_mark();
  }
  out.u8(0x02);
  out.u8(0x01);
  out.u8(59);  // opcode
  out.u8(0x30);
  const std::size_t arg = out.len_mark();
  out.u8(0x04);
  out.u8(0x01);
  out.u8(0x0F);
  out.u8(0x04);
  const std::size_t str = out.len_mark();
  out.bytes(text.bytes.data(), text.len);
  out.patch_len(str);
  out.patch_len(arg);
  if (result) out.patch_len(seq);
  out.patch_len(comp);
}

void put_dtap_body(wbuf& out, const msg& m, const conn_ctx& c, const world_view& w) {
  const std::uint8_t cc_first = ti_octet(m.ti, pd_cc);
  switch (m.kind) {
    case mk::id_request:  // 9.2.10
      out.u8(pd_mm);
      out.u8(0x18);
      out.u8(m.id_type & 0x7);
      break;
    case mk::id_response:  // 9.2.11
      out.u8(pd_mm);
      out.u8(0x19);
      put_identity_lv(out, m, c, w, static_cast<id_kind>(m.id_type));
      break;
    case mk::auth_request: {  // 9.2.2: CKSN, RAND
      out.u8(pd_mm);
      out.u8(0x12);
      out.u8(0x00);
      std::uint64_t x = m.num * 0x9E3779B97F4A7C15ULL + c.sub;
      for (int i = 0; i < 16; ++i) {
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9ULL;
        out.u8(static_cast<std::uint8_t>(x >> 56));
      }
      break;
    }
    case mk::auth_response:  // 9.2.3: SRES
      out.u8(pd_mm);
      out.u8(0x14);
      out.be32(static_cast<std::uint32_t>(m.num * 2654435761u + c.sub));
      break;
    case mk::lu_accept:  // 9.2.13
      out.u8(pd_mm);
      out.u8(0x02);
      put_lai(out, w, 0, w.net->cells[c.cell].lac);
      if (m.flags & mf_new_tmsi) {
        out.u8(0x17);
        put_identity_lv(out, m, c, w, id_kind::tmsi);
      }
      break;
    case mk::lu_reject:  // 9.2.14
      out.u8(pd_mm);
      out.u8(0x04);
      out.u8(m.cause);
      break;
    case mk::tmsi_realloc_cmd:  // 9.2.17
      out.u8(pd_mm);
      out.u8(0x1A);
      put_lai(out, w, 0, w.net->cells[c.cell].lac);
      put_identity_lv(out, m, c, w, id_kind::tmsi);
      break;
    case mk::tmsi_realloc_complete:  // 9.2.18
      out.u8(pd_mm);
      out.u8(0x1B);
      break;
    case mk::cm_serv_accept:  // 9.2.5
      out.u8(pd_mm);
      out.u8(0x21);
      break;
    case mk::mm_info:  // 9.2.15a: network daylight saving time only
      out.u8(pd_mm);
      out.u8(0x32);
      out.u8(0x49);
      out.u8(0x01);
      out.u8(0x00);
      break;
    case mk::cc_setup:  // 9.3.23.1 (MS -> network) / 9.3.23.2 (network -> MS)
      out.u8(cc_first);
      out.u8(0x05);
      out.u8(0x04);  // bearer capability: speech, full rate only
      out.u8(0x01);
      out.u8(0xA0);
      if (m.d == dir::up) {
        out.u8(0x5E);  // called party BCD number, TON unknown, ISDN numbering plan
        const std::size_t at = out.len_mark();
        out.u8(0x81);
        put_number_digits(out, m.num, m.num_len);
        out.patch_len(at);
      } else if (!(m.flags & mf_no_number)) {
        out.u8(0x5C);  // calling party BCD number, national number, ISDN
        const std::size_t at = out.len_mark();
        out.u8(0xA1);
        put_number_digits(out, m.num, m.num_len);
        out.patch_len(at);
      }
      break;
    case mk::cc_call_proceeding:  // 9.3.3
      out.u8(cc_first);
      out.u8(0x02);
      break;
    case mk::cc_call_confirmed:  // 9.3.2
      out.u8(cc_first);
      out.u8(0x08);
      break;
    case mk::cc_alerting:  // 9.3.1
      out.u8(cc_first);
      out.u8(0x01);
      break;
    case mk::cc_connect:  // 9.3.5
      out.u8(cc_first);
      out.u8(0x07);
      break;
    case mk::cc_connect_ack:  // 9.3.6
      out.u8(cc_first);
      out.u8(0x0F);
      break;
    case mk::cc_disconnect:  // 9.3.7: cause mandatory (LV)
      out.u8(cc_first);
      out.u8(0x25);
      put_cc_cause_value(out, m.cause, m.d == dir::up ? 0 : 2);
      break;
    case mk::cc_release:           // 9.3.18: cause optional (TLV)
    case mk::cc_release_complete:  // 9.3.19
      out.u8(cc_first);
      out.u8(m.kind == mk::cc_release ? 0x2D : 0x2A);
      if (m.cause != 0) {
        out.u8(0x08);
        put_cc_cause_value(out, m.cause, m.d == dir::up ? 0 : 2);
      }
      break;
    case mk::sms_submit: {  // CP-DATA (24.011 7.2.1) / RP-DATA MS->N (7.3.1.2) / SMS-SUBMIT (23.040 9.2.2.2)
      out.u8(ti_octet(m.ti, pd_sms));
      out.u8(0x01);
      const std::size_t cp = out.len_mark();
      out.u8(0x00);               // RP-DATA MS -> network
      out.u8(m.text * 7 + m.ti);  // RP message reference
      out.u8(0x00);               // RP-OA empty
      const std::size_t da = out.len_mark();
      out.u8(0x91);
      put_bcd(out, smsc_digits);
      out.patch_len(da);
      const std::size_t ud = out.len_mark();
      out.u8(0x11);                                     // SMS-SUBMIT, relative validity period
      out.u8(static_cast<std::uint8_t>(m.num & 0xFF));  // TP-MR
      put_tp_address(out, m.num, m.num_len, 0x81);
      out.u8(0x00);  // TP-PID
      out.u8(0x00);  // TP-DCS: GSM 7-bit
      out.u8(0xA7);  // TP-VP: 24 hours
      put_tp_text(out, texts().sms[m.text % sms_texts.size()]);
      out.patch_len(ud);
      out.patch_len(cp);
      break;
    }
    case mk::sms_deliver: {  // CP-DATA / RP-DATA N->MS (7.3.1.1) / SMS-DELIVER (23.040 9.2.2.1)
      out.u8(ti_octet(m.ti, pd_sms));
      out.u8(0x01);
      const std::size_t cp = out.len_mark();
      out.u8(0x01);
      out.u8(m.text * 5 + 1);
      const std::size_t oa = out.len_mark();
      out.u8(0x91);
      put_bcd(out, smsc_digits);
      out.patch_len(oa);
      out.u8(0x00);  // RP-DA empty
      const std::size_t ud = out.len_mark();
      out.u8(0x04);  // SMS-DELIVER, no more messages
      if (m.flags & mf_alpha) {
        put_tp_alpha(out, texts().alpha[m.num % alpha_senders.size()]);
      } else {
        put_tp_address(out, m.num, m.num_len, 0xA1);
      }
      out.u8(0x00);
      out.u8(0x00);
      put_scts(out, m.t_us);
      put_tp_text(out, texts().sms[m.text % sms_texts.size()]);
      out.patch_len(ud);
      out.patch_len(cp);
      break;
    }
    case mk::sms_cp_ack:  // 24.011 7.2.2
      out.u8(ti_octet(m.ti, pd_sms));
      out.u8(0x04);
      break;
    case mk::sms_rp_ack:  // CP-DATA / RP-ACK (7.3.3)
      out.u8(ti_octet(m.ti, pd_sms));
      out.u8(0x01);
      out.u8(0x02);
      out.u8(m.d == dir::up ? 0x02 : 0x03);
      out.u8(m.num & 0xFF);
      break;
    case mk::ss_register_ussd: {  // 24.080 2.4: Register with Facility and SS version
      out.u8(ti_octet(m.ti, pd_ss));
      out.u8(0x3B);
      out.u8(0x1C);
      const std::size_t fac = out.len_mark();
      put_ussd_component(out, false, texts().ussd_request[m.text % ussd_strings.size()]);
      out.patch_len(fac);
      out.u8(0x7F);
      out.u8(0x01);
      out.u8(0x00);
      break;
    }
    case mk::ss_release_complete_ussd: {  // 24.080 2.5: Release Complete with the answer
      out.u8(ti_octet(m.ti, pd_ss));
      out.u8(0x2A);
      out.u8(0x1C);
      const std::size_t fac = out.len_mark();
      put_ussd_component(out, true, texts().ussd_answer[m.text % ussd_answers.size()]);
      out.patch_len(fac);
      break;
    }
    default:
      break;
  }
}

// The BSSAP payload (BSSMAP or DTAP) of a message carried in CR, DT1 or UDT.
void put_bssap(wbuf& out, const msg& m, const conn_ctx& c, const world_view& w) {
  if (is_dtap(m.kind)) {
    const std::size_t at = begin_dtap(out, is_sapi3(m.kind) ? 0x03 : 0x00);
    put_dtap_body(out, m, c, w);
    out.patch_len(at);
    return;
  }
  std::size_t at = 0;
  switch (m.kind) {
    case mk::cr: {  // 3.2.1.32 Complete Layer 3 Information
      at = begin_bssmap(out, bssmap::complete_l3);
      put_cell_id_ie(out, w, c.cell);
      out.u8(bssmap::iei_l3_info);
      const std::size_t l3 = out.len_mark();
      put_initial_l3(out, m, c, w);
      out.patch_len(l3);
      break;
    }
    case mk::paging: {  // 3.2.1.19
      at = begin_bssmap(out, bssmap::paging);
      out.u8(bssmap::iei_imsi);
      const std::size_t l = out.len_mark();
      put_identity_digits(out, id_kind::imsi, imsi_of(w, c.sub));
      out.patch_len(l);
      if (m.id_type == static_cast<std::uint8_t>(id_kind::tmsi)) {
        out.u8(bssmap::iei_tmsi);
        out.u8(4);
        out.be32(m.tmsi);
      }
      out.u8(bssmap::iei_cell_id_list);
      out.u8(3);
      out.u8(0x05);  // discriminator: LAC
      out.be16(w.net->cells[c.cell].lac);
      break;
    }
    case mk::reset:  // 3.2.1.23
      at = begin_bssmap(out, bssmap::reset);
      out.u8(bssmap::iei_cause);
      out.u8(1);
      out.u8(bssmap::cause_om_intervention);
      break;
    case mk::reset_ack:  // 3.2.1.24
      at = begin_bssmap(out, bssmap::reset_ack);
      break;
    case mk::cipher_cmd:  // 3.2.1.30
      at = begin_bssmap(out, bssmap::cipher_mode_command);
      out.u8(bssmap::iei_encryption_info);
      out.u8(9);
      out.u8(0x02);  // A5/1 permitted
      for (int i = 0; i < 8; ++i) out.u8(static_cast<std::uint8_t>((m.num >> (i * 7)) ^ (0x5A + i)));
      if (m.flags & mf_imeisv) {
        out.u8(bssmap::iei_cipher_response_mode);
        out.u8(0x01);  // include IMEISV
      }
      break;
    case mk::cipher_complete:  // 3.2.1.31
      at = begin_bssmap(out, bssmap::cipher_mode_complete);
      if (m.flags & mf_imeisv) {
        out.u8(bssmap::iei_l3_msg_contents);
        const std::size_t l = out.len_mark();
        out.u8(pd_rr);  // TS 44.018 9.1.10 Ciphering Mode Complete with Mobile Equipment Identity
        out.u8(0x32);
        out.u8(0x17);
        put_identity_lv(out, m, c, w, id_kind::imeisv);
        out.patch_len(l);
      }
      out.u8(bssmap::iei_chosen_encryption);
      out.u8(0x02);
      break;
    case mk::common_id: {  // 3.2.1.68
      at = begin_bssmap(out, bssmap::common_id);
      out.u8(bssmap::iei_imsi);
      const std::size_t l = out.len_mark();
      put_identity_digits(out, id_kind::imsi, imsi_of(w, c.sub));
      out.patch_len(l);
      break;
    }
    case mk::clear_cmd:  // 3.2.1.21
      at = begin_bssmap(out, bssmap::clear_command);
      out.u8(bssmap::iei_cause);
      out.u8(1);
      out.u8(m.cause != 0 ? m.cause : bssmap::cause_call_control);
      break;
    case mk::clear_complete:  // 3.2.1.22
      at = begin_bssmap(out, bssmap::clear_complete);
      break;
    case mk::assign_req:  // 3.2.1.1: channel type (speech, TCH/F, FR1), CIC
      at = begin_bssmap(out, bssmap::assignment_request);
      put_speech_channel_type(out);
      out.u8(bssmap::iei_cic);
      out.be16(static_cast<unsigned>((c.msc_ref % 30 + 1) | ((c.bsc + 1) << 5)));
      break;
    case mk::assign_complete:  // 3.2.1.2
      at = begin_bssmap(out, bssmap::assignment_complete);
      out.u8(bssmap::iei_rr_cause);
      out.u8(0x00);
      out.u8(bssmap::iei_chosen_channel);
      out.u8(0x98);  // speech, TCH/F
      out.u8(bssmap::iei_speech_version);
      out.u8(0x01);
      break;
    case mk::ho_required: {  // 3.2.1.9: cause, preferred cells (CGI list)
      at = begin_bssmap(out, bssmap::handover_required);
      out.u8(bssmap::iei_cause);
      out.u8(1);
      out.u8((m.flags & mf_large) ? bssmap::cause_uplink_quality : bssmap::cause_better_cell);
      out.u8(bssmap::iei_cell_id_list);
      const std::size_t l = out.len_mark();
      out.u8(0x00);
      const auto bsc = w.net->cells[c.cell].bsc;
      const std::uint32_t first = w.net->bsc_first_cell[bsc];
      const std::uint32_t count = w.net->bsc_cell_count[bsc];
      const std::uint32_t wanted = (m.flags & mf_large) ? 28 : 3;
      for (std::uint32_t i = 0; i < wanted; ++i) {
        const auto& cell = w.net->cells[first + (m.ci + i) % count];
        put_plmn(out, own_mcc(w), own_mnc(w));
        out.be16(cell.lac);
        out.be16(cell.ci);
      }
      out.patch_len(l);
      break;
    }
    case mk::ho_required_reject:  // 3.2.1.37
      at = begin_bssmap(out, bssmap::handover_required_reject);
      out.u8(bssmap::iei_cause);
      out.u8(1);
      out.u8(bssmap::cause_no_radio_resource);
      break;
    case mk::ho_performed: {  // 3.2.1.25: cause, new cell (CGI), chosen channel
      at = begin_bssmap(out, bssmap::handover_performed);
      out.u8(bssmap::iei_cause);
      out.u8(1);
      out.u8(bssmap::cause_better_cell);
      put_cell_id_ie(out, w, m.lac, m.ci);
      out.u8(bssmap::iei_chosen_channel);
      out.u8(0x98);
      break;
    }
    case mk::ho_request: {  // 3.2.1.8: channel type, encryption, classmark 2, serving and target cells
      at = begin_bssmap(out, bssmap::handover_request);
      put_speech_channel_type(out);
      out.u8(bssmap::iei_encryption_info);
      out.u8(1);
      out.u8(0x01);  // no encryption permitted only: no key
      out.u8(bssmap::iei_classmark2);
      out.u8(3);
      out.u8(0x33);
      out.u8(0x19);
      out.u8(0xA2);
      // Serving (the old cell: LAC and CI in `num`), then target.
      put_cell_id_ie(out, w, static_cast<std::uint16_t>(m.num >> 16), static_cast<std::uint16_t>(m.num));
      put_cell_id_ie(out, w, m.lac, m.ci);
      if ((m.flags & mf_old_leg) != 0) {  // with the IMSI (3.2.2.6)
        out.u8(bssmap::iei_imsi);
        const std::size_t l = out.len_mark();
        put_identity_digits(out, id_kind::imsi, imsi_of(w, c.sub));
        out.patch_len(l);
      }
      break;
    }
    case mk::ho_request_ack:  // 3.2.1.10: the RR Handover Command for the old BSC
    case mk::ho_command: {    // 3.2.1.11: the same octets, relayed by the MSC
      at = begin_bssmap(out, m.kind == mk::ho_command ? bssmap::handover_command : bssmap::handover_request_ack);
      out.u8(bssmap::iei_l3_info);
      const std::size_t l = out.len_mark();
      // TS 44.018 9.1.15: RR Handover Command: cell description (NCC, BCC, BCCH ARFCN), channel
      // description 2, handover reference, power command and access type.
      out.u8(pd_rr);
      out.u8(0x2B);
      out.u8(static_cast<std::uint8_t>(m.num >> 56) & 0x3F);
      out.u8(static_cast<std::uint8_t>(m.num >> 48));
      out.u8(0x08 | (static_cast<std::uint8_t>(m.num >> 40) & 0x07));  // TCH/F + ACCHs, timeslot
      out.u8(static_cast<std::uint8_t>(m.num >> 32) & 0xE3);
      out.u8(static_cast<std::uint8_t>(m.num >> 24));
      out.u8(static_cast<std::uint8_t>(m.num >> 16));  // handover reference
      out.u8(static_cast<std::uint8_t>(m.num >> 8) & 0x1F);
      out.patch_len(l);
      if (m.kind == mk::ho_request_ack) {
        out.u8(bssmap::iei_chosen_channel);
        out.u8(0x98);
      }
      break;
    }
    case mk::ho_detect:  // 3.2.1.40
      at = begin_bssmap(out, bssmap::handover_detect);
      break;
    case mk::ho_complete:  // 3.2.1.12
      at = begin_bssmap(out, bssmap::handover_complete);
      out.u8(bssmap::iei_rr_cause);
      out.u8(0x00);
      break;
    default:
      return;
  }
  out.patch_len(at);
}

void put_called_ssn(wbuf& out, const world_view& w) {
  out.u8(2);
  out.u8(0x42);  // route on SSN, SSN present, no point code (Q.713 3.4.1)
  out.u8(w.cfg->iface == interface_kind::iucs ? ssn_ranap : ssn_bssap);
}

// The SCCP user data: BSSAP on the A interface, RANAP on Iu-CS (ranap.hpp).
void put_user(wbuf& out, const msg& m, const conn_ctx& c, const world_view& w) {
  if (w.cfg->iface == interface_kind::iucs) {
    put_ranap(m, c, w, out);
  } else {
    put_bssap(out, m, c, w);
  }
}

}  // namespace

bool is_dtap(mk k) noexcept {
  return k >= mk::id_request && k <= mk::ss_release_complete_ussd;
}
bool is_sapi3(mk k) noexcept {
  return k >= mk::sms_submit && k <= mk::sms_rp_ack;
}

void put_layer3(const msg& m, const conn_ctx& c, const world_view& w, wbuf& out) noexcept {
  if (m.kind == mk::cr) {
    put_initial_l3(out, m, c, w);
  } else {
    put_dtap_body(out, m, c, w);
  }
}

void put_plmn(wbuf& out, std::string_view mcc, std::string_view mnc) noexcept {
  auto d = [](char c) { return static_cast<unsigned>(c - '0') & 0xF; };
  out.u8((d(mcc[1]) << 4) | d(mcc[0]));
  out.u8(((mnc.size() == 3 ? d(mnc[2]) : 0xF) << 4) | d(mcc[2]));
  out.u8((d(mnc[1]) << 4) | d(mnc[0]));
}

void put_identity_digits(wbuf& out, id_kind kind, std::string_view digits) noexcept {
  if (digits.empty()) return;
  const bool odd = digits.size() % 2 == 1;
  out.u8((static_cast<unsigned>(digits[0] - '0') << 4) | (odd ? 0x8 : 0x0) | static_cast<unsigned>(kind));
  for (std::size_t i = 1; i < digits.size(); i += 2) {
    const unsigned lo = static_cast<unsigned>(digits[i] - '0');
    const unsigned hi = i + 1 < digits.size() ? static_cast<unsigned>(digits[i + 1] - '0') : 0xF;
    out.u8((hi << 4) | lo);
  }
}

void put_bcd(wbuf& out, std::string_view digits) noexcept {
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    const unsigned lo = static_cast<unsigned>(digits[i] - '0');
    const unsigned hi = i + 1 < digits.size() ? static_cast<unsigned>(digits[i + 1] - '0') : 0xF;
    out.u8((hi << 4) | lo);
  }
}

std::size_t put_ussd_string(wbuf& out, std::string_view text) noexcept {
  std::array<std::uint8_t, 200> septets{};
  std::size_t n = gsm7::from_utf8(text, std::span<std::uint8_t>(septets.data(), 182));
  if (n == gsm7::npos) n = 0;
  if (n % 8 == 7) septets[n++] = 0x0D;  // TS 23.038 6.1.2.3.1: CR fills the 7 spare bits
  std::array<std::uint8_t, 200> packed{};
  const std::size_t m = gsm7::pack(std::span<const std::uint8_t>(septets.data(), n), 0, packed);
  if (m == gsm7::npos) return 0;
  out.bytes(packed.data(), m);
  return m;
}

char luhn_digit(std::string_view imei14) noexcept {
  unsigned sum = 0;
  for (std::size_t i = 0; i < imei14.size(); ++i) {
    unsigned v = static_cast<unsigned>(imei14[i] - '0');
    if (i % 2 == 1) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

void encode_sccp(const msg& m, const conn_ctx& c, const world_view& w, wbuf& out) noexcept {
  const std::uint32_t src = m.d == dir::up ? c.bsc_ref : c.msc_ref;
  const std::uint32_t dst = m.d == dir::up ? c.msc_ref : c.bsc_ref;
  switch (m.kind) {
    case mk::cr:            // Q.713 4.2: class 2, called party (SSN 254), optional Data
    case mk::ho_request: {  // the same from the MSC, opening the target BSC's connection
      out.u8(sccp_cr);
      out.le24(m.kind == mk::cr ? c.bsc_ref : c.msc_ref);
      out.u8(0x02);
      out.u8(2);  // pointer to called party address
      out.u8(4);  // pointer to the optional part (after the 3-octet called party address)
      put_called_ssn(out, w);
      out.u8(0x0F);  // Data
      const std::size_t l = out.len_mark();
      put_user(out, m, c, w);
      out.patch_len(l);
      out.u8(0x00);  // end of optional parameters
      return;
    }
    case mk::cc:  // 4.3
      out.u8(sccp_cc);
      out.le24(c.bsc_ref);
      out.le24(c.msc_ref);
      out.u8(0x02);
      out.u8(0x00);
      return;
    case mk::ho_request_ack: {  // 4.3: the target BSC confirms it, with Data
      out.u8(sccp_cc);
      out.le24(c.msc_ref);
      out.le24(c.bsc_ref);
      out.u8(0x02);
      out.u8(1);  // pointer to the optional part: right after it
      out.u8(0x0F);
      const std::size_t l = out.len_mark();
      put_user(out, m, c, w);
      out.patch_len(l);
      out.u8(0x00);
      return;
    }
    case mk::cref:  // 4.4: refusal cause
      out.u8(sccp_cref);
      out.le24(c.bsc_ref);
      out.u8(m.cause);
      out.u8(0x00);
      return;
    case mk::rlsd:  // 4.5: release cause 0 = end user originated
      out.u8(sccp_rlsd);
      out.le24(dst);
      out.le24(src);
      out.u8(0x00);
      out.u8(0x00);
      return;
    case mk::rlc:  // 4.6
      out.u8(sccp_rlc);
      out.le24(dst);
      out.le24(src);
      return;
    case mk::paging:
    case mk::reset:
    case mk::reset_ack: {  // 4.10 UDT, class 0
      out.u8(sccp_udt);
      out.u8(0x00);
      out.u8(3);
      out.u8(5);
      out.u8(7);
      put_called_ssn(out, w);
      put_called_ssn(out, w);
      const std::size_t l = out.len_mark();
      put_user(out, m, c, w);
      out.patch_len(l);
      return;
    }
    default: {  // 4.8 DT1
      out.u8(sccp_dt1);
      out.le24(dst);
      out.u8(0x00);
      out.u8(1);
      const std::size_t l = out.len_mark();
      put_user(out, m, c, w);
      out.patch_len(l);
      return;
    }
  }
}

}  // namespace bssap::synth
