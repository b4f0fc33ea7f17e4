// BSSAP -> a_record: the records of one A-interface message (BSSMAP and the DTAP it carries or
// that rides a connection), what the correlator turns into events. References: TS 48.008 3.2.1
// (BSSMAP messages), TS 24.008 9.2 (MM), 9.3 (CC), TS 24.011 7.2 (CP/RP), TS 24.080 (SS).
#include <algorithm>
#include <string_view>

#include "bssap/probe/flow_decoder.hpp"

namespace bssap::probe {

namespace {

void set_identity(a_record& r, const dec::mobile_identity& id) noexcept {
  switch (id.type) {
    case dec::identity_type::imsi:
      if (!id.digits.empty()) {
        r.imsi.assign(id.digits.view());
        r.set(af_imsi);
      }
      break;
    case dec::identity_type::tmsi:
      r.tmsi = id.tmsi;
      r.set(af_tmsi);
      break;
    case dec::identity_type::imei:
    case dec::identity_type::imeisv:
      // TAC + SNR: the first 14 digits (no check digit, no software version).
      if (id.digits.size() >= 14) {
        r.imei.assign(id.digits.view().substr(0, 14));
        r.set(af_imei);
      }
      break;
    default:
      break;
  }
}

void set_cell(a_record& r, const dec::cell_identifier& cell) noexcept {
  if (cell.has_plmn) {
    r.cell_mcc.assign(cell.plmn.mcc.view());
    r.cell_mnc.assign(cell.plmn.mnc.view());
    r.set(af_cell_plmn);
  }
  if (cell.has_lac) {
    r.cell_lac = cell.lac;
    r.set(af_cell_lac);
  }
  if (cell.has_ci) {
    r.cell_ci = cell.ci;
    r.set(af_cell_ci);
  }
}

template <std::size_t N>
void set_peer(a_record& r, const dec::fixed_string<N>& s) noexcept {
  if (s.empty()) return;
  r.peer.assign(s.view());
  r.set(af_peer);
}

}  // namespace

void flow_decoder::on_user_data(const dec::sccp_unit& u, conn* c, dec::bytes data) noexcept {
  if (c->ranap) {
    on_ranap(u, *c, data, false);
    return;
  }
  const bool uplink = _sender == c->bsc_dir;
  if (dec::decode_bssap_into(data, uplink ? dec::link_direction::uplink : dec::link_direction::downlink, *_msg,
                             &_errors) != dec::decode_error::none)
    return;
  _stats.bssap_messages += 1;
  emit_from_message(u, c, uplink);
}

void flow_decoder::emit_from_message(const dec::sccp_unit& u, conn* c, bool uplink) noexcept {
  const dec::a_message& a = *_msg;
  if (c != nullptr && c->closed) return;  // after Clear Complete: nothing more for events
  a_record r;
  r.seq = _seq;
  r.ts_us = u.ts_us;
  r.conn = c != nullptr ? c->id : 0;
  r.link = u.flow_id;
  r.uplink = uplink;
  if (_in_cr) r.set(af_in_cr);
  if (a.kind == dec::a_kind::dtap) {
    emit_l3(r, a.l3, uplink);
    if (r.kind != a_kind::other && r.kind != a_kind::tick && c != nullptr) push(r);
    return;
  }
  const auto& b = a.bssmap;
  _stats.bssmap_by_type[static_cast<std::uint8_t>(b.type)] += 1;
  switch (b.type) {
    case dec::bssmap_msg_type::complete_layer3_information:
      if (c == nullptr) return;
      r.set(af_cl3);
      if (b.has_cell) set_cell(r, b.cell);
      r.kind = a_kind::other;
      if (a.has_l3) emit_l3(r, a.l3, true);
      push(r);
      return;
    case dec::bssmap_msg_type::common_id:
      if (c == nullptr || !b.has_imsi) return;
      r.kind = a_kind::common_id;
      set_identity(r, b.imsi);
      push(r);
      return;
    case dec::bssmap_msg_type::cipher_mode_complete:
      if (c == nullptr) return;
      r.kind = a_kind::cipher_complete;
      if (a.has_l3 && a.l3.has_identity) set_identity(r, a.l3.identity);
      if (r.has(af_imei)) push(r);
      return;
    case dec::bssmap_msg_type::handover_performed:
      if (c == nullptr) return;
      r.kind = a_kind::handover_performed;
      if (b.has_cell) set_cell(r, b.cell);
      push(r);
      return;
    case dec::bssmap_msg_type::handover_request:
      if (c == nullptr) return;
      r.kind = a_kind::handover_request;
      if (b.has_target_cell) set_cell(r, b.target_cell);
      if (b.has_imsi) set_identity(r, b.imsi);
      push(r);
      return;
    case dec::bssmap_msg_type::handover_complete:
      if (c == nullptr) return;
      r.kind = a_kind::handover_complete;
      push(r);
      return;
    case dec::bssmap_msg_type::handover_request_acknowledge:
    case dec::bssmap_msg_type::handover_command: {
      if (c == nullptr || b.layer3.empty()) return;
      r.kind =
          b.type == dec::bssmap_msg_type::handover_command ? a_kind::handover_command : a_kind::handover_request_ack;
      r.ho_key = dec::fnv1a64(b.layer3) | 1;  // never 0
      push(r);
      return;
    }
    case dec::bssmap_msg_type::clear_complete:
      if (c == nullptr) return;
      r.kind = a_kind::conn_close;
      c->closed = true;
      push(r);
      return;
    case dec::bssmap_msg_type::paging:
      r.conn = 0;
      r.kind = a_kind::paging;
      if (b.has_imsi) set_identity(r, b.imsi);
      if (b.has_tmsi) {
        r.tmsi = b.tmsi;
        r.set(af_tmsi);
      }
      push(r);
      return;
    default:
      return;
  }
}

void flow_decoder::emit_l3(a_record& r, const dec::dtap_message& m, bool uplink) noexcept {
  const auto pd = static_cast<std::uint8_t>(m.pd) & 0x0F;
  _stats.dtap_by_pd_type[pd][m.message_type & 0x3F] += 1;
  switch (m.pd) {
    case dec::protocol_discriminator::mm:
      switch (static_cast<dec::mm_msg>(m.message_type)) {
        case dec::mm_msg::location_updating_request:
          r.kind = a_kind::lu_request;
          r.lu_type = static_cast<std::uint8_t>(m.lu);
          if (m.has_lai) {
            r.lai_mcc.assign(m.lai.plmn.mcc.view());
            r.lai_mnc.assign(m.lai.plmn.mnc.view());
            r.lai_lac = m.lai.lac;
            r.set(af_lai);
          }
          if (m.has_identity) set_identity(r, m.identity);
          return;
        case dec::mm_msg::location_updating_accept:
          r.kind = a_kind::lu_accept;
          if (m.has_identity && m.identity.type == dec::identity_type::tmsi) set_identity(r, m.identity);
          if (m.has_lai) {  // 9.2.13: mandatory; the PLMN of a PLMN-less Cell Identifier
            r.lai_mcc.assign(m.lai.plmn.mcc.view());
            r.lai_mnc.assign(m.lai.plmn.mnc.view());
            r.lai_lac = m.lai.lac;
            r.set(af_lai);
          }
          return;
        case dec::mm_msg::location_updating_reject:
          r.kind = a_kind::lu_reject;
          if (m.has_reject_cause) {
            r.cause = m.reject_cause;
            r.set(af_cause);
          }
          return;
        case dec::mm_msg::imsi_detach_indication:
          r.kind = a_kind::imsi_detach;
          if (m.has_identity) set_identity(r, m.identity);
          return;
        case dec::mm_msg::identity_response:
          r.kind = a_kind::identity_response;
          if (m.has_identity) set_identity(r, m.identity);
          return;
        case dec::mm_msg::tmsi_reallocation_command:
          r.kind = a_kind::tmsi_realloc;
          if (m.has_identity && m.identity.type == dec::identity_type::tmsi) set_identity(r, m.identity);
          return;
        case dec::mm_msg::cm_service_request:
        case dec::mm_msg::cm_reestablishment_request:
          r.kind = a_kind::cm_service_request;
          if (m.has_identity) set_identity(r, m.identity);
          return;
        default:
          return;
      }
    case dec::protocol_discriminator::rr:
      if (m.message_type == static_cast<std::uint8_t>(dec::rr_msg::paging_response)) {
        r.kind = a_kind::paging_response;
        if (m.has_identity) set_identity(r, m.identity);
      } else if (m.message_type == static_cast<std::uint8_t>(dec::rr_msg::ciphering_mode_complete)) {
        r.kind = a_kind::cipher_complete;
        if (m.has_identity) set_identity(r, m.identity);
        if (!r.has(af_imei)) r.kind = a_kind::other;
      }
      return;
    case dec::protocol_discriminator::cc: {
      if (!m.has_ti) return;
      // TS 24.007 11.2.3.1.3: flag 0 = sent by the side that allocated the TI. Normalise to
      // "who originated the transaction" so both directions of one call share a key.
      const bool network_originated = uplink ? m.ti_flag : !m.ti_flag;
      r.ti = static_cast<std::uint8_t>((m.ti_value & 0x7F) | (network_originated ? 0x80 : 0));
      r.set(af_ti);
      switch (static_cast<dec::cc_msg>(m.message_type)) {
        case dec::cc_msg::setup:
          r.kind = a_kind::cc_setup;
          if (uplink && m.has_called) set_peer(r, m.called.digits);
          if (!uplink && m.has_calling) set_peer(r, m.calling.digits);
          return;
        case dec::cc_msg::connect:
          r.kind = a_kind::cc_connect;
          return;
        case dec::cc_msg::disconnect:
        case dec::cc_msg::release:
        case dec::cc_msg::release_complete:
          r.kind = a_kind::cc_clearing;
          if (m.has_cc_cause) {
            r.cause = m.cause.value;
            r.set(af_cause);
          }
          return;
        default:
          return;
      }
    }
    case dec::protocol_discriminator::sms: {
      const auto& s = m.sms;
      if (s.cp_type != dec::cp_msg::cp_data || !s.has_rp) return;
      if (s.rp_type == dec::rp_mti::data_ms_to_net && s.tpdu == dec::tpdu_kind::sms_submit) {
        r.kind = a_kind::sms_mo;
        if (s.has_tp_address) {
          if (s.tp_address.alphanumeric)
            set_peer(r, s.tp_address.text);
          else
            set_peer(r, s.tp_address.digits);
        }
      } else if (s.rp_type == dec::rp_mti::data_net_to_ms && s.tpdu == dec::tpdu_kind::sms_deliver) {
        r.kind = a_kind::sms_mt;
        if (s.has_tp_address) {
          if (s.tp_address.alphanumeric)
            set_peer(r, s.tp_address.text);
          else
            set_peer(r, s.tp_address.digits);
        }
      }
      return;
    }
    case dec::protocol_discriminator::ss: {
      if (!uplink) return;
      const auto type = static_cast<dec::ss_msg>(m.message_type);
      if (type != dec::ss_msg::register_ && type != dec::ss_msg::facility) return;
      const auto& s = m.ss;
      if (!s.has_ussd || !s.ussd_text_decoded) return;
      const bool request = s.component == dec::ss_component::invoke && s.has_opcode &&
                           s.opcode == dec::ss_opcode::process_unstructured_ss_request;
      const bool result = s.component == dec::ss_component::return_result;
      if (!request && !result) return;
      r.kind = a_kind::ussd;
      set_peer(r, s.ussd_text);
      return;
    }
    default:
      return;
  }
}

}  // namespace bssap::probe
