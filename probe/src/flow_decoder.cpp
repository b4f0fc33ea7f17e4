// Frame -> SCCP -> BSSAP -> a_record, with SCCP connection tracking.
// References: ITU-T Q.713 4.2-4.6 (CR, CC, CREF, RLSD, RLC), 4.7 (DT1), Q.714 3.3 (the local
// reference pair of a connection); TS 48.008 3.1.1 (the BSC opens connections with Complete
// Layer 3 Information, the MSC with Handover Request); TS 48.006 (SSN 254 BSSAP).
#include "bssap/probe/flow_decoder.hpp"

#include <algorithm>
#include <string_view>

#include "bssap/decoders/dispatch.hpp"
#include "bssap/decoders/hash.hpp"
#include "bssap/decoders/ranap.hpp"
#include "bssap/decoders/rua.hpp"
#include "bssap/decoders/sua.hpp"

namespace bssap::probe {

namespace {

using dec::sccp_user;
// The subsystem of a message's called party (dec::subsystems): BSSAP, RANAP or another.
sccp_user user_of(const dec::sccp_message& m) noexcept {
  return m.called.has_ssn ? dec::sccp_user_of(m.called.ssn) : sccp_user::other;
}

using dec::mix64;

// The key of a local reference: the SS7 relation (never the association or IP path that carried
// the message: a linkset spreads one connection's messages over several), which end owns the
// reference, its point code and the 24-bit reference (Q.714 3.1.1).
constexpr std::uint64_t ref_key(std::uint64_t relation, std::uint8_t owner_dir, std::uint32_t owner_pc,
                                std::uint32_t ref) noexcept {
  return mix64(relation ^
               mix64(std::uint64_t{owner_dir} << 60 | std::uint64_t{owner_pc & 0xFFFFFFu} << 24 | (ref & 0xFFFFFFu)));
}

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

flow_decoder_stats& flow_decoder_stats::operator+=(const flow_decoder_stats& o) noexcept {
  sccp_messages += o.sccp_messages;
  bssap_messages += o.bssap_messages;
  non_bssap_ssn += o.non_bssap_ssn;
  ranap_nas_pdus += o.ranap_nas_pdus;
  iu_ps_messages += o.iu_ps_messages;
  connections_opened += o.connections_opened;
  connections_released += o.connections_released;
  connections_timed_out += o.connections_timed_out;
  connections_evicted += o.connections_evicted;
  connections_refused += o.connections_refused;
  unknown_connection += o.unknown_connection;
  sccp_segments_pending += o.sccp_segments_pending;
  records += o.records;
  for (std::size_t i = 0; i < bssmap_by_type.size(); ++i) bssmap_by_type[i] += o.bssmap_by_type[i];
  for (std::size_t p = 0; p < dtap_by_pd_type.size(); ++p)
    for (std::size_t t = 0; t < dtap_by_pd_type[p].size(); ++t) dtap_by_pd_type[p][t] += o.dtap_by_pd_type[p][t];
  return *this;
}

flow_decoder::flow_decoder(const flow_decoder_config& config, std::uint64_t conn_id_base)
    : _config(config),
      _stack(config.stack),
      _reasm(std::make_unique<dec::sccp_reassembler>()),
      _msg(std::make_unique<dec::a_message>()),
      _next_conn(conn_id_base + 1) {}

flow_decoder::conn* flow_decoder::conn_table::add(const conn& c) {
  if (_free.empty()) {
    _chunks.push_back(std::make_unique<conn[]>(chunk_size));
    conn* chunk = _chunks.back().get();
    for (std::size_t i = chunk_size; i-- > 0;) _free.push_back(&chunk[i]);  // lowest slot first
  }
  conn* slot = _free.back();
  _free.pop_back();
  *slot = c;
  slot->in_use = true;
  ++_live;
  return slot;
}

void flow_decoder::conn_table::remove(conn* c) noexcept {
  c->in_use = false;
  --_live;
  _free.push_back(c);  // capacity reserved when its chunk was added: no allocation
}

void flow_decoder::conn_table::clear() noexcept {
  for_each([this](conn& c) { remove(&c); });
}

flow_decoder::~flow_decoder() = default;

void flow_decoder::push(const a_record& r) noexcept {
  _stats.records += 1;
  _out(r);
}

void flow_decoder::decode(dec::linktype lt, dec::bytes frame, std::int64_t ts_us, std::uint64_t seq, record_sink out,
                          std::size_t wire_length) noexcept {
  _seq = seq;
  _ts_us = ts_us;
  _out = out;
  expire_units(ts_us);
  auto on_unit = [this](const dec::sccp_unit& u) noexcept { this->on_unit(u); };
  decode_transport(lt, frame, ts_us, dec::make_sccp_sink(on_unit), wire_length);
}

void flow_decoder::decode_transport(dec::linktype lt, dec::bytes frame, std::int64_t ts_us, dec::sccp_sink units,
                                    std::size_t wire_length) noexcept {
  if (ts_us - _last_expire_us >= 1'000'000 || ts_us < _last_expire_us) {
    if (_last_expire_us != 0) _stack.expire(ts_us);
    _last_expire_us = ts_us;
  }
  // MTP2 retransmissions are skipped inside the stack (same link, FSN and content, Q.703 5.2);
  // bare MTP3 (link type 141) has no sequence numbers, and a repeat there is a real repeat
  // (a re-paging), not a retransmission.
  _stack.decode(lt, frame, ts_us, units, wire_length);
}

void flow_decoder::decode_unit(const dec::sccp_unit& u, std::uint64_t seq, record_sink out) noexcept {
  _seq = seq;
  _ts_us = u.ts_us;
  _out = out;
  expire_units(u.ts_us);
  on_unit(u);
}

// Idle connections and stale SCCP segments, once a second of capture time at most.
void flow_decoder::expire_units(std::int64_t ts_us) noexcept {
  if (ts_us - _last_unit_expire_us < 1'000'000 && ts_us >= _last_unit_expire_us) return;
  if (_last_unit_expire_us != 0) {
    _reasm->expire(static_cast<std::uint64_t>(ts_us > 30'000'000 ? ts_us - 30'000'000 : 0));
    expire(ts_us);
  }
  _last_unit_expire_us = ts_us;
}

// Q.714 3.2: the CR's user data is delivered only when the connection is established. The
// first CC (or, when the CC was not captured, the first DT1, which only an established
// connection carries: Q.714 3.3) says so once.
void flow_decoder::confirm(conn& c, std::int64_t ts_us) noexcept {
  if (c.confirmed) return;
  c.confirmed = true;
  a_record r;
  r.seq = _seq;
  r.ts_us = ts_us;
  r.conn = c.id;
  r.link = c.flow;
  r.kind = a_kind::conn_confirm;
  push(r);
}

void flow_decoder::close(conn& c, std::int64_t ts_us, a_kind kind) noexcept {
  if (!c.closed) {
    a_record r;
    r.seq = _seq;
    r.ts_us = ts_us;
    r.conn = c.id;
    r.link = c.flow;
    r.kind = kind;
    push(r);
    c.closed = true;
  }
  // Only our own entries: a reused reference may already point to a newer connection.
  for (const auto& [has, key] : {std::pair{c.has_bsc_key, c.bsc_key}, std::pair{c.has_msc_key, c.msc_key}}) {
    if (!has) continue;
    conn* const* found = _by_ref.find(key);
    if (found != nullptr && *found == &c) _by_ref.erase(key);
  }
}

void flow_decoder::expire(std::int64_t now_us) noexcept {
  // Every last_ts_us is >= _oldest_ts_us (a lower bound kept by on_unit): when even that one is
  // not idle long enough, no connection is, and the scan over all of them is skipped. Captures
  // with few packets per second would otherwise scan the whole table on almost every packet.
  if (_conns.empty() || now_us - _oldest_ts_us <= _config.connection_idle_timeout_us) return;
  std::int64_t oldest = now_us;
  _conns.for_each([&](conn& c) {
    if (now_us - c.last_ts_us > _config.connection_idle_timeout_us) {
      _stats.connections_timed_out += 1;
      close(c, now_us);
      _conns.remove(&c);
    } else {
      oldest = std::min(oldest, c.last_ts_us);
    }
  });
  _oldest_ts_us = oldest;
}

void flow_decoder::close_all(std::uint64_t seq, record_sink out) noexcept {
  _seq = seq;
  _out = out;
  _conns.for_each([this](conn& c) { close(c, _ts_us); });
  _conns.clear();
  _by_ref.clear();
}

void flow_decoder::on_unit(const dec::sccp_unit& u) noexcept {
  _stats.sccp_messages += 1;
  // Every last_ts_us below is set to u.ts_us: keep expire()'s lower bound true.
  _oldest_ts_us = std::min(_oldest_ts_us, u.ts_us);
  dec::sccp_message decoded;  // into a local, not a returned result<> copied once more
  // SUA carries the same procedures as SCCP, decoded into the same message (dec::decode_sua_into).
  // RUA (Iuh) maps its Connect / DirectTransfer / Disconnect on the same, with the Context-ID as
  // the reference of both ends (dec::decode_rua_into).
  const bool rua = u.kind == dec::transport::rua;
  bool ps_domain = false;
  const dec::decode_error error = u.kind == dec::transport::sua ? dec::decode_sua_into(u.sccp, decoded, &_errors)
                                  : rua ? dec::decode_rua_into(u.sccp, decoded, ps_domain, &_errors)
                                        : dec::decode_sccp_into(u.sccp, _config.sccp, decoded, &_errors);
  if (error != dec::decode_error::none) return;
  const dec::sccp_message* const m = &decoded;
  const dec::ss7_relation rel = dec::relation_of(u);
  // SUA: after the CORE no message carries an address (CODT has the destination reference
  // only, RFC 3868 3.3.8), and the paths of its associations say nothing about the ends. So SUA
  // connections are keyed by the reference alone, and which end sent a message follows from
  // which end owns its destination reference (the CR's sender is end 0).
  const bool sua = u.kind == dec::transport::sua;
  std::uint8_t dir = rel.sender;
  _sender = dir;
  std::uint8_t other = static_cast<std::uint8_t>(dir ^ 1u);
  // RUA: a Context-ID is one per CN domain; the domain stands in for the point code.
  auto key_of = [&](std::uint8_t owner, std::uint32_t pc, std::uint32_t ref) noexcept {
    if (rua) pc = ps_domain ? 1 : 0;
    return sua ? ref_key(rel.id, 0, 0, ref) : ref_key(rel.id, owner, pc, ref);
  };
  auto find_by_dlr = [&]() -> conn* {
    if (!m->has_dlr) return nullptr;
    conn* const* k = _by_ref.find(key_of(other, u.dpc, m->dlr));
    if (k == nullptr) return nullptr;
    if (sua) {
      const bool to_bsc = (*k)->has_bsc_key && (*k)->bsc_key == key_of(0, 0, m->dlr);
      dir = to_bsc ? static_cast<std::uint8_t>((*k)->bsc_dir ^ 1u) : (*k)->bsc_dir;
      other = static_cast<std::uint8_t>(dir ^ 1u);
      _sender = dir;
    }
    return *k;
  };

  switch (m->type) {
    case dec::sccp_msg_type::cr: {
      // RANAP by SSN 142, or (some networks use other SSNs) by content: a CR on another
      // subsystem whose user data is a RANAP message carrying a NAS-PDU.
      bool ranap = user_of(*m) == sccp_user::ranap;
      if (!ranap && m->called.has_ssn && user_of(*m) != sccp_user::bssap && m->has_data) {
        const auto probe_msg = dec::decode_ranap(m->data, nullptr);
        ranap = probe_msg && probe_msg->has_nas_pdu;
      }
      if (m->called.has_ssn && user_of(*m) != sccp_user::bssap && !ranap) {
        _stats.non_bssap_ssn += 1;
        return;
      }
      if (!m->has_slr) return;
      if (ranap) {
        // Iu-CS: the RNC opens connections with InitialUE-Message; it plays the BSC's part.
        if (_conns.size() >= _config.max_connections) {
          _stats.connections_evicted += 1;
          return;
        }
        conn c;
        c.id = _next_conn++;
        c.flow = u.flow_id;
        c.bsc_dir = dir;
        c.ranap = true;
        c.last_ts_us = u.ts_us;
        c.has_bsc_key = true;
        c.bsc_key = key_of(dir, u.opc, m->slr);
        if (rua) {  // the gateway's messages name the same Context-ID: no CC tells it
          c.has_msc_key = true;
          c.msc_key = key_of(other, u.dpc, m->slr);
        }
        conn& stored = *_conns.add(c);
        _by_ref.set(c.bsc_key, &stored);
        if (rua) _by_ref.set(c.msc_key, &stored);
        _stats.connections_opened += 1;
        if (m->has_data) {
          _in_cr = true;
          on_ranap(u, stored, m->data, true);
          _in_cr = false;
        }
        return;
      }
      if (_conns.size() >= _config.max_connections) {
        _stats.connections_evicted += 1;
        return;
      }
      // Who opened it: the MSC with Handover Request, otherwise (Complete Layer 3) the BSC.
      bool decoded = false;
      bool sender_is_bsc = true;
      if (m->has_data) {
        decoded =
            dec::decode_bssap_into(m->data, dec::link_direction::unknown, *_msg, &_errors) == dec::decode_error::none;
        if (decoded) {
          _stats.bssap_messages += 1;
          if (_msg->kind == dec::a_kind::bssmap && _msg->bssmap.type == dec::bssmap_msg_type::handover_request)
            sender_is_bsc = false;
        }
      }
      conn c;
      c.id = _next_conn++;
      c.flow = u.flow_id;
      c.bsc_dir = sender_is_bsc ? dir : other;
      c.last_ts_us = u.ts_us;
      const std::uint64_t key = key_of(dir, u.opc, m->slr);
      if (sender_is_bsc) {
        c.has_bsc_key = true;
        c.bsc_key = key;
      } else {
        c.has_msc_key = true;
        c.msc_key = key;
      }
      if (conn* const* found = _by_ref.find(key); found != nullptr) {
        // The reference was reused before we saw its release: the old connection is over.
        conn* const old = *found;
        _stats.connections_released += 1;
        close(*old, u.ts_us);
        _conns.remove(old);
      }
      conn& stored = *_conns.add(c);
      _by_ref.set(key, &stored);
      _stats.connections_opened += 1;
      if (decoded) {
        // The CR is built before the DTAP direction is known: re-decode with the direction.
        if (sender_is_bsc) (void)dec::decode_bssap_into(m->data, dec::link_direction::uplink, *_msg, nullptr);
        _in_cr = true;
        emit_from_message(u, &stored, sender_is_bsc);
        _in_cr = false;
      }
      return;
    }
    case dec::sccp_msg_type::cc: {
      conn* c = find_by_dlr();
      if (c == nullptr) {
        _stats.unknown_connection += 1;
        return;
      }
      c->last_ts_us = u.ts_us;
      if (m->has_slr) {
        const std::uint64_t key = key_of(dir, u.opc, m->slr);
        if (dir == c->bsc_dir) {
          c->has_bsc_key = true;
          c->bsc_key = key;
        } else {
          c->has_msc_key = true;
          c->msc_key = key;
        }
        _by_ref.set(key, c);
      }
      confirm(*c, u.ts_us);
      if (m->has_data) on_user_data(u, c, m->data);
      return;
    }
    case dec::sccp_msg_type::dt1: {
      conn* c = find_by_dlr();
      if (c == nullptr) {
        _stats.unknown_connection += 1;
        return;
      }
      c->last_ts_us = u.ts_us;
      confirm(*c, u.ts_us);
      const auto link = mix64(rel.id ^ (std::uint64_t{dir} << 40 | u.dpc));
      const auto o = _reasm->add(link, *m, static_cast<std::uint64_t>(u.ts_us), &_errors);
      if (o.state == dec::sccp_reassembler::status::pending) {
        _stats.sccp_segments_pending += 1;
        return;
      }
      if (o.state != dec::sccp_reassembler::status::complete) return;
      on_user_data(u, c, o.message);
      return;
    }
    case dec::sccp_msg_type::rlsd:
    case dec::sccp_msg_type::rlc:
    case dec::sccp_msg_type::cref: {
      conn* c = find_by_dlr();
      if (c == nullptr) return;  // RLC after RLSD: already released
      // RUA's Disconnect may carry the connection's last RANAP message (TS 25.468 9.1.5).
      if (rua && m->has_data && c->ranap) on_ranap(u, *c, m->data, false);
      _stats.connections_released += 1;
      // CREF (Q.714 3.2.2): the CR was refused; its user data never reached the MSC.
      const bool refused = m->type == dec::sccp_msg_type::cref && !c->confirmed;
      if (refused) _stats.connections_refused += 1;
      close(*c, u.ts_us, refused ? a_kind::conn_refused : a_kind::conn_close);
      _conns.remove(c);
      return;
    }
    case dec::sccp_msg_type::udt:
    case dec::sccp_msg_type::xudt: {
      if (user_of(*m) == sccp_user::ranap && m->has_data) {
        on_ranap_connectionless(u, m->data);
        return;
      }
      if (m->called.has_ssn && user_of(*m) != sccp_user::bssap) {
        _stats.non_bssap_ssn += 1;
        return;
      }
      if (!m->has_data) return;
      dec::bytes data = m->data;
      if (m->type == dec::sccp_msg_type::xudt) {
        const auto link = mix64(rel.id ^ (std::uint64_t{dir} << 40 | u.dpc) ^ 0x5555);
        const auto o = _reasm->add(link, *m, static_cast<std::uint64_t>(u.ts_us), &_errors);
        if (o.state != dec::sccp_reassembler::status::complete) return;
        data = o.message;
      }
      if (dec::decode_bssap_into(data, dec::link_direction::unknown, *_msg, &_errors) != dec::decode_error::none)
        return;
      _stats.bssap_messages += 1;
      emit_from_message(u, nullptr, false);
      return;
    }
    default: {
      if (conn* c = find_by_dlr()) c->last_ts_us = u.ts_us;
      return;
    }
  }
}

// RANAP InitialUE-Message / DirectTransfer: the NAS-PDU is a DTAP message like the one BSSAP
// carries (TS 25.413 9.1.33/9.1.34); it feeds the same records. The first one plays the part of
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
