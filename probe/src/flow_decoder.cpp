// Frame -> SCCP units -> SCCP connection tracking; the records of each message are built in
// a_records.cpp (BSSAP) and iu_records.cpp (RANAP).
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
      _next_conn(conn_id_base + 1),
      // Its usual working size, or twice the configured bound when that is lower (flat_map's
      // load factor is at most 1/2): a small decoder need not zero 128 KiB of slots.
      _by_ref(std::max<std::size_t>(16, std::min<std::size_t>(8192, 2 * config.max_connections))) {}

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
        const bool bsc_side = dir == c->bsc_dir;
        bool& has_key = bsc_side ? c->has_bsc_key : c->has_msc_key;
        std::uint64_t& side_key = bsc_side ? c->bsc_key : c->msc_key;
        // A second CC naming another local reference: the old one no longer leads here. Left in
        // _by_ref it would outlive the connection and point at a freed (or reused) slot.
        if (has_key && side_key != key) {
          conn* const* found = _by_ref.find(side_key);
          if (found != nullptr && *found == c) _by_ref.erase(side_key);
        }
        has_key = true;
        side_key = key;
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
}  // namespace bssap::probe
