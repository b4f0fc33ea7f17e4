// RANAP -> a_record: the Iu-CS side of the same records (TS 25.413): InitialUE-Message,
// DirectTransfer, CommonID, Iu-Release, Paging; the DTAP inside goes the A-interface way.
#include "bssap/decoders/ranap.hpp"
#include "bssap/probe/flow_decoder.hpp"

namespace bssap::probe {

// Complete Layer 3 Information, its LAI and SAI that of the Cell Identifier (the SAC as the
// cell: events.md "Location from the cell"). CommonID gives the IMSI as BSSMAP Common ID does
// (9.1.47); Iu-Release Complete ends the connection for events as Clear Complete does (9.1.7).
// Iu-PS connections (CN domain PS: GMM/SM, TS 24.008 9.4/9.5) are counted, never events.
void flow_decoder::on_ranap(const dec::sccp_unit& u, conn& c, dec::bytes data, bool initial) noexcept {
  const auto msg = dec::decode_ranap(data, &_errors);
  if (!msg) return;
  if (initial && msg->has_domain) c.ps = msg->ps_domain;
  if (c.ps) {
    _stats.iu_ps_messages += 1;
    return;
  }
  const bool uplink = _sender == c.bsc_dir;
  a_record r;
  r.seq = _seq;
  r.ts_us = u.ts_us;
  r.conn = c.id;
  r.link = u.flow_id;
  r.uplink = uplink;
  r.kind = a_kind::other;
  if (_in_cr) r.set(af_in_cr);
  if (msg->kind == dec::ranap_pdu_kind::initiating && msg->procedure_code == dec::ranap_procedure::common_id) {
    if (!msg->has_imsi || c.closed) return;
    r.kind = a_kind::common_id;
    r.imsi.assign(msg->imsi.view());
    r.set(af_imsi);
    push(r);
    return;
  }
  if (msg->kind == dec::ranap_pdu_kind::successful && msg->procedure_code == dec::ranap_procedure::iu_release) {
    if (c.closed) return;
    r.kind = a_kind::conn_close;
    c.closed = true;
    push(r);
    return;
  }
  if (!msg->has_nas_pdu || c.closed) return;
  const auto l3 =
      dec::decode_dtap(msg->nas_pdu, uplink ? dec::link_direction::uplink : dec::link_direction::downlink, &_errors);
  if (!l3) return;
  _stats.ranap_nas_pdus += 1;
  if (initial) {
    r.set(af_cl3);
    if (msg->has_sai) {
      r.cell_mcc.assign(msg->sai.plmn.mcc.view());
      r.cell_mnc.assign(msg->sai.plmn.mnc.view());
      r.cell_lac = msg->sai.lac;
      r.cell_ci = msg->sai.sac;
      r.set(af_cell_plmn);
      r.set(af_cell_lac);
      r.set(af_cell_ci);
    } else if (msg->has_lai) {
      r.cell_mcc.assign(msg->lai.plmn.mcc.view());
      r.cell_mnc.assign(msg->lai.plmn.mnc.view());
      r.cell_lac = msg->lai.lac;
      r.set(af_cell_plmn);
      r.set(af_cell_lac);
    }
  }
  emit_l3(r, *l3, uplink);
  if (initial || r.kind != a_kind::other) push(r);
}

// RANAP Paging (TS 25.413 8.15, 9.1.23), connectionless: with the IMSI and the TMSI of the CS
// domain it teaches the TMSI map as BSSMAP Paging does (EVENTS.md "Identities learned"). PS
// paging names a P-TMSI, which no CS connection uses.
void flow_decoder::on_ranap_connectionless(const dec::sccp_unit& u, dec::bytes data) noexcept {
  const auto msg = dec::decode_ranap(data, &_errors);
  if (!msg) return;
  if (msg->kind != dec::ranap_pdu_kind::initiating || msg->procedure_code != dec::ranap_procedure::paging ||
      (msg->has_domain && msg->ps_domain)) {
    _stats.non_bssap_ssn += 1;
    return;
  }
  a_record r;
  r.seq = _seq;
  r.ts_us = u.ts_us;
  r.link = u.flow_id;
  r.kind = a_kind::paging;
  if (msg->has_imsi) {
    r.imsi.assign(msg->imsi.view());
    r.set(af_imsi);
  }
  if (msg->has_temporary_id && !msg->temporary_id_is_ptmsi) {
    r.tmsi = msg->temporary_id;
    r.set(af_tmsi);
  }
  push(r);
}

}  // namespace bssap::probe
