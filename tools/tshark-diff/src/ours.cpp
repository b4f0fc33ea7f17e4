// Our side of the comparison: libpcap -> packet_stack -> SCCP (or SUA) -> BSSAP (or RANAP) -> fields.

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "bssap/decoders/a_message.hpp"
#include "bssap/decoders/dtap.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "bssap/decoders/ranap.hpp"
#include "bssap/decoders/sccp.hpp"
#include "bssap/decoders/sua.hpp"
#include "capture_frames.hpp"
#include "fields.hpp"

namespace bssap::tshark_diff {

namespace {

using namespace bssap::dec;

constexpr std::uint8_t ssn_bssap = 254;
constexpr std::uint8_t ssn_ranap = 142;

enum class user_protocol : std::uint8_t { unknown, bssap, ranap };

void add(frame_values& f, std::string_view name, std::string value) {
  const std::size_t i = field_index(name);
  if (i < fields.size()) f.values[i].insert(std::move(value));
}
void add_number(frame_values& f, std::string_view name, std::uint64_t v) {
  add(f, name, std::to_string(v));
}

void add_identity(frame_values& f, const mobile_identity& id) {
  switch (id.type) {
    case identity_type::imsi:
      add(f, "e212.imsi", std::string(id.digits.view()));
      break;
    case identity_type::tmsi:
      add_number(f, "3gpp.tmsi", id.tmsi);
      break;
    case identity_type::imei:
      add(f, "gsm_a.imei", std::string(id.digits.view()));
      break;
    case identity_type::imeisv:
      add(f, "gsm_a.imeisv", std::string(id.digits.view()));
      break;
    default:
      break;
  }
}

void add_cell(frame_values& f, const cell_identifier& c) {
  if (c.has_lac) add_number(f, "gsm_a.bssmap.cell_lac", c.lac);
  if (c.has_ci) add_number(f, "gsm_a.bssmap.cell_ci", c.ci);
}

void add_dtap(frame_values& f, const dtap_message& d) {
  const char* type_field = nullptr;
  switch (d.pd) {
    case protocol_discriminator::mm:
      type_field = "gsm_a.dtap.msg_mm_type";
      break;
    case protocol_discriminator::cc:
      type_field = "gsm_a.dtap.msg_cc_type";
      break;
    case protocol_discriminator::sms:
      type_field = "gsm_a.dtap.msg_sms_type";
      break;
    case protocol_discriminator::ss:
      type_field = "gsm_a.dtap.msg_ss_type";
      break;
    case protocol_discriminator::rr:
      type_field = "gsm_a.dtap.msg_rr_type";
      break;
    default:
      break;
  }
  if (type_field != nullptr) add_number(f, type_field, d.message_type);
  if (d.has_identity) add_identity(f, d.identity);
  if (d.has_lai) add_number(f, "gsm_a.lac", d.lai.lac);
  if (d.has_reject_cause) add_number(f, "gsm_a.dtap.rej_cause", d.reject_cause);
  if (d.has_called) add(f, "gsm_a.dtap.cld_party_bcd_num", std::string(d.called.digits.view()));
  if (d.has_calling) add(f, "gsm_a.dtap.clg_party_bcd_num", std::string(d.calling.digits.view()));
  if (d.has_cc_cause) {
    add_number(f, "gsm_a.dtap.cause", d.cause.value);
    if (d.cause.has_recommendation) f.explained[field_index("gsm_a.dtap.cause")] = explanation::cc_cause_octet_3a;
  }
  if (d.ss.has_cause) {
    add_number(f, "gsm_a.dtap.cause", d.ss.cause.value);
    if (d.ss.cause.has_recommendation) f.explained[field_index("gsm_a.dtap.cause")] = explanation::cc_cause_octet_3a;
  }
  if (d.pd == protocol_discriminator::sms && d.sms.has_rp) {
    add_number(f, "gsm_a.rp.msg_type", static_cast<std::uint8_t>(d.sms.rp_type));
    // Wireshark dissects RP-Originator/Destination Address with its Called party BCD number
    // routine (packet-gsm_a_rp.c), so their digits appear under that field.
    if (d.sms.has_rp_originator) add(f, "gsm_a.dtap.cld_party_bcd_num", std::string(d.sms.rp_originator.digits.view()));
    if (d.sms.has_rp_destination)
      add(f, "gsm_a.dtap.cld_party_bcd_num", std::string(d.sms.rp_destination.digits.view()));
    if (d.sms.has_tp_address) {
      const auto& a = d.sms.tp_address;
      std::string v = a.alphanumeric ? escape_like_tshark(a.text.view()) : std::string(a.digits.view());
      if (d.sms.tpdu == tpdu_kind::sms_submit) add(f, "gsm_sms.tp-da", v);
      if (d.sms.tpdu == tpdu_kind::sms_deliver) add(f, "gsm_sms.tp-oa", v);
    }
  }
  if (d.pd == protocol_discriminator::ss && d.ss.has_ussd && d.ss.ussd_text_decoded)
    add(f, "gsm_map.ussd_string", escape_like_tshark(d.ss.ussd_text.view()));
}

// `list_value`: the whole Cell Identifier List (a_message keeps only the first cells).
void add_a_message(frame_values& f, const a_message& a, bytes list_value) {
  if (a.kind == a_kind::bssmap) {
    const auto& b = a.bssmap;
    add_number(f, "gsm_a.bssmap.msgtype", static_cast<std::uint8_t>(b.type));
    if (b.has_cause) add_number(f, "gsm_a.bssmap.cause", b.cause.value);
    if (b.has_cell) add_cell(f, b.cell);
    if (b.has_target_cell) add_cell(f, b.target_cell);
    if (b.has_cell_list)
      for (std::size_t i = 0; i < b.cell_list.count; ++i) {
        const auto cell = cell_identifier_list_at(list_value, i);
        if (cell) add_cell(f, *cell);
      }
    if (b.has_imsi) add(f, "e212.imsi", std::string(b.imsi.digits.view()));
    if (b.has_tmsi) add_number(f, "gsm_a.tmsi", b.tmsi);
    // K6: tshark does not dissect the RR message in a Handover Command's Layer 3 Information.
    if ((b.type == bssmap_msg_type::handover_command || b.type == bssmap_msg_type::handover_request_acknowledge) &&
        a.has_l3) {
      f.any_explained_frame_wide = true;
      f.frame_wide = explanation::handover_l3_raw;
    }
    // K4: tshark decodes the Layer 3 Information after an SAI Cell Identifier as UTRAN RRC.
    if (b.type == bssmap_msg_type::complete_layer3_information && b.has_cell &&
        b.cell.discriminator == cell_id_discriminator::sai) {
      f.any_explained_frame_wide = true;
      f.frame_wide = explanation::sai_cell_l3_as_rrc;
    }
  }
  if (a.has_l3) add_dtap(f, a.l3);
}

struct connection_key {
  std::uint64_t flow;
  std::uint32_t reference;
  auto operator<=>(const connection_key&) const = default;
};

struct state {
  run_options options;
  std::unique_ptr<sccp_reassembler> reassembler = std::make_unique<sccp_reassembler>();
  std::map<connection_key, user_protocol> connections;
  std::map<std::uint64_t, user_protocol> flows;  // what the flow's CR / UDT SSNs said
  a_message message;
  sccp_message sua_message;
  frame_values* current = nullptr;  // the frame being decoded
  std::size_t frame = 0;

  // When neither the connection nor the flow told the protocol (a connection whose CR is not in
  // the capture): a RANAP-PDU header (X.691: CHOICE index in bits 7-6, procedure code,
  // criticality, open-type length = the rest) is RANAP, else BSSAP framing that exactly fills
  // the data (48.006 9.3) is BSSAP.
  static user_protocol guess(bytes data) {
    if (data.size() >= 4 && (u8_at(data, 0) & 0x9F) == 0 && (u8_at(data, 2) & 0x3F) == 0 &&
        u8_at(data, 3) + 4u == data.size())
      return user_protocol::ranap;
    if (data.size() >= 2 && u8_at(data, 0) == 0x00 && u8_at(data, 1) + 2u == data.size()) return user_protocol::bssap;
    if (data.size() >= 3 && u8_at(data, 0) == 0x01 && u8_at(data, 2) + 3u == data.size()) return user_protocol::bssap;
    return user_protocol::ranap;
  }

  void user_data(frame_values& f, user_protocol p, bytes data) {
    if (p == user_protocol::unknown) p = guess(data);
    if (p == user_protocol::bssap) {
      if (decode_bssap_into(data, link_direction::unknown, message) != decode_error::none) return;
      bytes list_value{};
      if (message.kind == a_kind::bssmap && message.bssmap.has_cell_list) {
        const auto pdu = decode_bssap_pdu(data);
        const auto map = pdu ? decode_bssmap(pdu->payload) : result<bssmap_message>(decode_error::unsupported);
        if (map) list_value = map->cell_list_value;
      }
      add_a_message(f, message, list_value);
      return;
    }
    const auto r = decode_ranap(data);
    if (!r) return;
    if (r->has_imsi) add(f, "e212.imsi", std::string(r->imsi.view()));
    if (!r->has_nas_pdu) return;
    const auto d = decode_dtap(r->nas_pdu, link_direction::unknown);
    if (d) {
      add_dtap(f, *d);
    } else if (d.error() == decode_error::unsupported) {
      f.any_explained_frame_wide = true;  // GMM / SM: K5
      f.frame_wide = explanation::out_of_scope;
    }
  }

  static user_protocol by_ssn(const sccp_address& a) {
    if (!a.present || !a.has_ssn) return user_protocol::unknown;
    if (a.ssn == ssn_bssap) return user_protocol::bssap;
    if (a.ssn == ssn_ranap) return user_protocol::ranap;
    return user_protocol::unknown;
  }

  void unit(const sccp_unit& u) {
    frame_values& f = *current;
    f.carried_sccp = true;
    sccp_options o;
    o.pc24 = options.pc24;
    // A SUA message (RFC 3868) stands for the SCCP message it replaces; tshark shows its own
    // sua.* fields there, not sccp.*, so only the SCCP user's fields are compared.
    const bool sua = u.kind == transport::sua;
    if (sua && decode_sua_into(u.sccp, sua_message) != decode_error::none) return;
    const auto m = sua ? result<sccp_message>(sua_message) : decode_sccp(u.sccp, o, nullptr);
    if (!m) return;
    if (!sua) {
      add_number(f, "sccp.message_type", static_cast<std::uint8_t>(m->type));
      if (m->has_slr) add_number(f, "sccp.slr", m->slr);
      if (m->has_dlr) add_number(f, "sccp.dlr", m->dlr);
    }
    user_protocol p = user_protocol::unknown;
    switch (m->type) {
      case sccp_msg_type::cr:
        p = by_ssn(m->called);
        connections[{u.flow_id, m->slr}] = p;
        break;
      case sccp_msg_type::cc: {
        const auto it = connections.find({u.flow_id, m->dlr});
        if (it != connections.end()) p = it->second;
        connections[{u.flow_id, m->slr}] = p;
        break;
      }
      case sccp_msg_type::udt:
      case sccp_msg_type::xudt:
        p = by_ssn(m->called);
        break;
      default:
        if (m->has_dlr) {
          const auto it = connections.find({u.flow_id, m->dlr});
          if (it != connections.end()) p = it->second;
        }
        break;
    }
    if (p != user_protocol::unknown) {
      flows[u.flow_id] = p;
    } else if (const auto it = flows.find(u.flow_id); it != flows.end()) {
      p = it->second;
    }
    if (!m->has_data || m->data.empty()) return;
    const auto r = reassembler->add(u.flow_id * 2 + u.direction, *m, frame, nullptr);
    if (r.state != sccp_reassembler::status::complete) return;
    user_data(f, p, r.message);
  }
};

linktype to_linktype(int dlt) {
  switch (dlt) {
    case DLT_RAW:
#ifdef DLT_IPV4
    case 101:
#endif
      return linktype::raw;
    default:
      return static_cast<linktype>(dlt);
  }
}

}  // namespace

struct our_stack::impl {
  explicit impl(const run_options& options) : stack(config_for(options)) { st->options = options; }
  static stack_config config_for(const run_options& options) {
    stack_config config;
    if (options.pc24) config.pc_format = point_code_format::china24;
    if (options.small_tables) {  // as tests/decoders/vectors/lower/packet_fuzz_input.hpp
      config.ip_reasm_slots = 4;
      config.ip_reasm_bytes = 4096;
      config.sctp_max_associations = 8;
      config.sctp_reasm_slots = 4;
      config.sctp_reasm_bytes = 4096;
      config.tcp_max_flows = 8;
      config.tcp_buffers = 4;
      config.tcp_buffer_bytes = 4096;
      config.mtp_max_links = 8;
    }
    return config;
  }
  std::uint64_t retransmissions() const {
    const auto& c = stack.counters();
    return c.sctp_retransmissions_skipped + c.tcp_retransmitted_segments + c.mtp2_retransmissions_skipped;
  }
  packet_stack stack;
  std::unique_ptr<state> st = std::make_unique<state>();
};

our_stack::our_stack(const run_options& options) : p_(std::make_unique<impl>(options)) {}
our_stack::~our_stack() = default;

void our_stack::decode(int dlt, std::span<const std::uint8_t> frame, std::int64_t ts_us, std::uint32_t wire_len,
                       frame_values& out) {
  state& st = *p_->st;
  ++st.frame;
  st.current = &out;
  auto on_unit = [&st](const sccp_unit& u) noexcept { st.unit(u); };
  const std::uint64_t before = p_->retransmissions();
  p_->stack.decode(to_linktype(dlt), as_bytes(frame.data(), frame.size()), ts_us, make_sccp_sink(on_unit), wire_len);
  if (p_->retransmissions() != before) {  // K3: a copy skipped in this frame
    out.any_explained_frame_wide = true;
    out.frame_wide = explanation::retransmission;
  }
  st.current = nullptr;
}

bool run_ours(const std::string& file, const run_options& options, capture_values& out, std::string& error) {
  our_stack stack(options);
  return for_each_frame(
      file,
      [&](int dlt, std::span<const std::uint8_t> frame, std::int64_t ts, std::uint32_t wire_length) {
        out.emplace_back();
        stack.decode(dlt, frame, ts, wire_length, out.back());
      },
      error);
}

std::string escape_like_tshark(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace bssap::tshark_diff
