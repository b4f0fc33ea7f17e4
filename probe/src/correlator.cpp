// Correlation: records in, behaviour events out, following ../EVENTS.md point by point.
#include "bssap/probe/correlator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace bssap::probe {

correlator_stats& correlator_stats::operator+=(const correlator_stats& o) noexcept {
  records += o.records;
  for (std::size_t i = 0; i < by_kind.size(); ++i) by_kind[i] += o.by_kind[i];
  for (std::size_t i = 0; i < events.size(); ++i) events[i] += o.events[i];
  unresolved_events += o.unresolved_events;
  held_records += o.held_records;
  refused_records += o.refused_records;
  hold_overflows += o.hold_overflows;
  connection_evictions += o.connection_evictions;
  subscriber_table_full += o.subscriber_table_full;
  unknown_connection += o.unknown_connection;
  tmsi_resolved += o.tmsi_resolved;
  tmsi_learned += o.tmsi_learned;
  handovers_linked += o.handovers_linked;
  handover_unmatched += o.handover_unmatched;
  handover_key_reused += o.handover_key_reused;
  return *this;
}

std::uint64_t imsi_key(std::string_view digits) noexcept {
  if (digits.empty() || digits.size() > 15) return 0;
  std::uint64_t v = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return std::uint64_t{digits.size()} << 56 | v;
}

namespace {

// A table's first size: its usual working size, or less when the configured bound is lower (a
// small correlator, as the fuzz targets build one per input, need not zero megabytes of slots).
// flat_map keeps its load factor at most 1/2, so twice the bound holds every entry.
std::size_t initial_slots(std::size_t usual, std::size_t bound) noexcept {
  return std::max<std::size_t>(16, std::min(usual, 2 * bound));
}

}  // namespace

correlator::correlator(correlator_config config, event_sink& sink)
    : _config(std::move(config)),
      _sink(sink),
      _subscriber_index(initial_slots(1u << 16, _config.max_subscribers)),
      _tmsi_map(initial_slots(1u << 16, _config.max_subscribers)),
      _handover_acks(initial_slots(1u << 10, _config.max_connections)),
      _connections(initial_slots(1u << 14, _config.max_connections)) {
  for (const auto& plmn : _config.home_plmns) {
    std::string prefix;
    for (const char c : plmn)
      if (c >= '0' && c <= '9') prefix.push_back(c);
    if (!prefix.empty()) _home_prefixes.push_back(prefix);
  }
}

void correlator::feed(const a_record& r) noexcept {
  if (r.kind == a_kind::tick) return;
  _stats.records += 1;
  _stats.by_kind[static_cast<std::size_t>(r.kind)] += 1;
  if (r.kind == a_kind::paging) {
    // Connectionless: no event, only an identity pair (EVENTS.md "Identities learned").
    if (r.has(af_imsi) && r.has(af_tmsi)) {
      const auto key = imsi_key(r.imsi.view());
      if (key == 0) return;
      if (subscriber* s = subscriber_for(key, r.imsi)) learn_tmsi(r.tmsi, key, *s);
    }
    return;
  }
  if (r.conn == 0) return;
  on_connection_record(r);
}

void correlator::on_connection_record(const a_record& r) noexcept {
  std::uint32_t slot = 0;
  if (const std::uint32_t* found = _connections.find(r.conn); found != nullptr) {
    slot = *found;
  } else {
    if (r.kind == a_kind::conn_close || r.kind == a_kind::conn_confirm || r.kind == a_kind::conn_refused) return;
    if (_connections.size() >= _config.max_connections) {
      _stats.connection_evictions += 1;
      return;
    }
    if (!r.has(af_cl3) && r.kind != a_kind::handover_request) _stats.unknown_connection += 1;
    if (!_free_conns.empty()) {
      slot = _free_conns.back();
      _free_conns.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(_conn_pool.size());
      _conn_pool.emplace_back();
    }
    _conn_pool[slot].open = true;
    _connections.set(r.conn, slot);
  }
  connection& c = _conn_pool[slot];
  if (r.kind == a_kind::conn_close || r.kind == a_kind::conn_refused) {
    if (r.kind == a_kind::conn_refused) {
      // ../shared/spec/events.md "Refused connections": the CR's layer-3 message yields no
      // event and teaches nothing; only the CR's records can be held here (nothing else travels
      // before the answer), all void.
      _stats.refused_records += c.held.size();
      c.held.clear();
    }
    release(r.conn, c);
    _connections.erase(r.conn);
    c.reset();
    _free_conns.push_back(slot);
    return;
  }
  if (r.kind == a_kind::conn_confirm) {
    c.unconfirmed = false;
    if (!c.held.empty() && (c.imsi_key != 0 || c.gave_up)) flush_held(c, true);
    return;
  }
  // Handover legs tie connections at once, whatever each one still holds: the new connection
  // may be waiting for exactly the identity this gives it.
  if (r.kind == a_kind::handover_request_ack) {
    if (const handover_ack* old = _handover_acks.find(r.ho_key); old != nullptr && old->conn != r.conn)
      _stats.handover_key_reused += 1;
    _handover_acks.set(r.ho_key, {r.conn, r.ts_us});
    c.ho_key = r.ho_key;
    return;
  }
  if (r.kind == a_kind::handover_command) {
    const handover_ack* ack = _handover_acks.find(r.ho_key);
    const std::uint32_t* to_slot = ack != nullptr ? _connections.find(ack->conn) : nullptr;
    // TS 48.008 3.1.5.2: the Command follows the acknowledge within the MSC's T7-bounded
    // preparation (seconds); an older entry is another handover's.
    constexpr std::int64_t handover_window_us = 60'000'000;
    if (to_slot == nullptr || ack->conn == r.conn || r.ts_us - ack->ts_us > handover_window_us) {
      _stats.handover_unmatched += 1;
      return;
    }
    connection& to = _conn_pool[*to_slot];
    _handover_acks.erase(r.ho_key);
    to.ho_key = 0;
    hand_over(c, to);
    return;
  }
  if (r.has(af_in_cr)) c.unconfirmed = true;
  learn_identity(c, r);
  if ((c.imsi_key == 0 && !c.gave_up) || c.unconfirmed) {
    if (c.held.size() >= _config.max_held_per_connection) {
      // Bound reached: stop waiting for an identity; what we hold goes out unresolved.
      _stats.hold_overflows += 1;
      c.gave_up = true;
      c.unconfirmed = false;
      flush_held(c, false);
      process(c, r);
      return;
    }
    _stats.held_records += 1;
    c.held.push_back(r);
    return;
  }
  if (!c.held.empty()) flush_held(c, true);
  process(c, r);
}

// Which identity the record brings for its connection (EVENTS.md "IMSI known from the first
// message"): an IMSI directly, or the TMSI the mobile identified itself with, resolved through
// the TMSI map while the connection still waits for its IMSI.
void correlator::learn_identity(connection& c, const a_record& r) noexcept {
  if (c.imsi_key != 0) return;
  bool identifies = false;
  switch (r.kind) {
    case a_kind::lu_request:
    case a_kind::imsi_detach:
    case a_kind::cm_service_request:
    case a_kind::paging_response:
    case a_kind::identity_response:
    case a_kind::common_id:
    case a_kind::handover_request:
      identifies = true;
      break;
    default:
      break;
  }
  if (identifies && r.has(af_imsi)) {
    c.imsi_key = imsi_key(r.imsi.view());
    if (c.imsi_key != 0) {
      c.imsi = r.imsi;
      return;
    }
  }
  // The TMSI map is consulted once, when the mobile identifies itself with a TMSI: later
  // connections benefit from what this one teaches, this one waits for its own proof
  // (Identity Response, Common ID), as the reference observer of bssap-synth does.
  if (identifies && r.has(af_tmsi) && !c.has_tmsi && r.kind != a_kind::identity_response &&
      r.kind != a_kind::common_id) {
    c.has_tmsi = true;
    c.tmsi = r.tmsi;
    if (const std::uint64_t* m = _tmsi_map.find(c.tmsi); m != nullptr) {
      if (const subscriber* s = find_subscriber(*m); s != nullptr) {
        c.imsi_key = *m;
        c.imsi = s->imsi;
        _stats.tmsi_resolved += 1;
      }
    }
  }
}

void correlator::flush_held(connection& c, bool resolved) noexcept {
  (void)resolved;
  // process() reads c.imsi_key: resolved or not is already decided by it.
  // process() never adds to c.held: walk it in place and keep its capacity for reuse.
  for (const auto& h : c.held) process(c, h);
  c.held.clear();
}

void correlator::hand_over(connection& from, connection& to) noexcept {
  _stats.handovers_linked += 1;
  if (to.imsi_key == 0 && from.imsi_key != 0) {
    to.imsi_key = from.imsi_key;
    to.imsi = from.imsi;
    to.sub = from.sub;
  }
  // The mobile identified itself on the old connection; the new one continues it.
  if (from.has_tmsi && !to.has_tmsi) {
    to.has_tmsi = true;
    to.tmsi = from.tmsi;
  }
  // The calls go on with their transaction identifiers (TS 24.007 11.2.3.1.3: the TI belongs
  // to the mobile's transaction, not to the connection); the old connection is cleared next.
  for (const call& k : from.calls) {
    if (k.ended) continue;
    if (call* same = find_call(to, k.ti))
      *same = k;
    else
      to.calls.push_back(k);
  }
  from.calls.clear();
  if (!to.held.empty() && !to.unconfirmed && to.imsi_key != 0) flush_held(to, true);
}

void correlator::release(std::uint64_t id, connection& c) noexcept {
  if (c.ho_key != 0) {
    // An acknowledge no Command matched: the handover failed or went elsewhere.
    if (const handover_ack* a = _handover_acks.find(c.ho_key); a != nullptr && a->conn == id)
      _handover_acks.erase(c.ho_key);
    c.ho_key = 0;
  }
  if (!c.held.empty()) flush_held(c, false);
  // The connection's end ends its LU procedure (spec "IMEI of a location update").
  end_lu(c, c.imsi_key != 0 ? c.sub : nullptr);
}

void correlator::close_all() noexcept {
  for (auto& c : _conn_pool) {
    if (!c.open) continue;
    release(0, c);
    c.reset();
  }
  _connections.clear();
  _handover_acks.clear();
  _free_conns.clear();
  for (std::size_t i = _conn_pool.size(); i-- > 0;) _free_conns.push_back(static_cast<std::uint32_t>(i));
}

correlator::subscriber* correlator::find_subscriber(std::uint64_t key) noexcept {
  const std::uint32_t* i = _subscriber_index.find(key);
  if (i == nullptr) return nullptr;
  return &_subscriber_chunks[*i / subscriber_chunk][*i % subscriber_chunk];
}

correlator::subscriber& correlator::add_subscriber(std::uint64_t key) {
  const auto i = static_cast<std::uint32_t>(_subscriber_count);
  if (i / subscriber_chunk == _subscriber_chunks.size())
    _subscriber_chunks.push_back(std::make_unique<subscriber[]>(subscriber_chunk));
  _subscriber_index.set(key, i);
  ++_subscriber_count;
  return _subscriber_chunks[i / subscriber_chunk][i % subscriber_chunk];
}

correlator::subscriber* correlator::subscriber_for(std::uint64_t key, const fixed_string<15>& imsi) noexcept {
  if (subscriber* s = find_subscriber(key); s != nullptr) return s;
  if (_subscriber_count >= _config.max_subscribers) {
    _stats.subscriber_table_full += 1;
    return nullptr;
  }
  subscriber& s = add_subscriber(key);
  s.imsi = imsi;
  return &s;
}

void correlator::learn_tmsi(std::uint32_t tmsi, std::uint64_t key, subscriber& s) noexcept {
  // A new TMSI for an IMSI replaces its old one (EVENTS.md "Identities learned").
  if (s.has_map_tmsi && s.map_tmsi != tmsi) {
    const std::uint64_t* old = _tmsi_map.find(s.map_tmsi);
    if (old != nullptr && *old == key) _tmsi_map.erase(s.map_tmsi);
  }
  _tmsi_map.set(tmsi, key);
  s.has_map_tmsi = true;
  s.map_tmsi = tmsi;
  _stats.tmsi_learned += 1;
}

correlator::call& correlator::call_for(connection& c, std::uint8_t ti) noexcept {
  if (call* k = find_call(c, ti)) {
    *k = call{};  // a new Setup with the TI of an earlier call starts a new call
    k->ti = ti;
    return *k;
  }
  call& k = c.calls.emplace_back();
  k.ti = ti;
  return k;
}

correlator::call* correlator::find_call(connection& c, std::uint8_t ti) noexcept {
  for (auto& k : c.calls)
    if (k.ti == ti) return &k;
  return nullptr;
}

void correlator::set_cell_from(location& cell, const a_record& r) noexcept {
  cell = location{};
  cell.has_plmn = r.has(af_cell_plmn);
  cell.has_lac = r.has(af_cell_lac);
  cell.has_ci = r.has(af_cell_ci);
  cell.mcc = r.cell_mcc;
  cell.mnc = r.cell_mnc;
  cell.lac = r.cell_lac;
  cell.ci = r.cell_ci;
  // A Cell Identifier without PLMN takes it from the L3 message's LAI when the LAC agrees.
  if (!cell.has_plmn && cell.has_lac && r.has(af_lai) && r.lai_lac == cell.lac) {
    cell.has_plmn = true;
    cell.mcc = r.lai_mcc;
    cell.mnc = r.lai_mnc;
  }
}

bool correlator::is_home(std::string_view imsi, const location& cell) const noexcept {
  if (cell.has_plmn) {
    const auto mcc = cell.mcc.view();
    const auto mnc = cell.mnc.view();
    if (imsi.size() >= mcc.size() + mnc.size() && imsi.substr(0, mcc.size()) == mcc &&
        imsi.substr(mcc.size(), mnc.size()) == mnc)
      return true;
  }
  for (const auto& p : _home_prefixes)
    if (imsi.starts_with(p)) return true;
  return false;
}

void correlator::set_previous(event& e, const location& before) noexcept {
  if (before.has_lac) {
    e.prev_lac = before.lac;
    e.set(f_prev_lac);
  }
  if (before.has_ci) {
    e.prev_cell = before.ci;
    e.set(f_prev_cell);
  }
}

void correlator::set_peer(event& e, const decltype(event::peer)& peer) noexcept {
  e.peer = peer;
  e.set(f_peer);
}

void correlator::fill_common(event& e, const connection& c, const subscriber* s, const a_record& r) const noexcept {
  e.ts_us = r.ts_us;
  if (s != nullptr) {
    e.imsi = s->imsi;
    e.set(f_imsi);
  }
  if (c.has_tmsi) {
    e.tmsi = c.tmsi;
    e.set(f_tmsi);
  } else if (s != nullptr && s->has_tmsi) {
    e.tmsi = s->tmsi;
    e.set(f_tmsi);
  }
  if (s != nullptr && s->has_imei) {
    e.imei = s->imei;
    e.set(f_imei);
  }
  // Spec "Location from the cell": the Cell Identifier's LAC whatever the layer-3 LAI says;
  // mcc/mnc only with a PLMN for it (CGI, or an LAI with that LAC on this connection).
  if (c.cell.has_lac) {
    e.lac = c.cell.lac;
    if (c.cell.has_plmn) {
      e.mcc = c.cell.mcc;
      e.mnc = c.cell.mnc;
      e.set(f_lai);
    } else {
      e.set(f_lac);
    }
  }
  if (c.cell.has_ci) {
    e.cell = c.cell.ci;
    e.set(f_cell);
  }
  if (_config.link_field) {
    char buf[24];
    const auto n = std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(r.link));
    e.link.assign(std::string_view(buf, n > 0 ? static_cast<std::size_t>(n) : 0));
    e.set(f_link);
  }
}

void correlator::emit(event& e, bool resolved) noexcept {
  _stats.events[static_cast<std::size_t>(e.type)] += 1;
  if (!resolved) _stats.unresolved_events += 1;
  _sink.on_event(e);
}

void correlator::emit_on(connection& c, event& e, bool resolved) noexcept {
  if (!c.lu_open) {
    emit(e, resolved);
    return;
  }
  // The vector keeps its capacity when the pool slot is reused: no allocation once warm.
  c.pending.push_back(pending_event{e, resolved, false, false});
}

void correlator::end_lu(connection& c, subscriber* s) noexcept {
  if (!c.lu_open) return;
  c.lu_open = false;
  for (auto& p : c.pending) {
    if (p.lu_family) {
      // The IMEI this procedure revealed (Identity Response, Cipher Mode Complete), else the one
      // recorded before: both are what the subscriber state holds now.
      if (s != nullptr && s->has_imei) {
        p.e.imei = s->imei;
        p.e.set(f_imei);
      }
      // The PLMN of a PLMN-less Cell Identifier, learned since from the LU Accept's LAI.
      if (p.e.has(f_lac) && c.cell.has_plmn && c.cell.has_lac && c.cell.lac == p.e.lac) {
        p.e.mcc = c.cell.mcc;
        p.e.mnc = c.cell.mnc;
        p.e.present = static_cast<std::uint16_t>(p.e.present & ~f_lac);
        p.e.set(f_lai);
      }
    }
    emit(p.e, p.resolved);
    if (p.first_lu_seen && s != nullptr && !is_home(s->imsi.view(), c.cell)) {
      event roam = p.e;
      roam.type = event_type::roaming_in;
      emit(roam, true);
    }
  }
  c.pending.clear();
}

void correlator::note_imei(connection& c, subscriber& s, const a_record& r) noexcept {
  if (!r.has(af_imei)) return;
  if (s.has_imei && s.imei.view() != r.imei.view()) {
    event e;
    e.type = event_type::imei_change;
    fill_common(e, c, &s, r);
    e.prev_imei = s.imei;
    e.set(f_prev_imei);
    e.imei = r.imei;
    e.set(f_imei);
    emit_on(c, e, true);
  }
  s.imei = r.imei;
  s.has_imei = true;
}

void correlator::process(connection& c, const a_record& r) noexcept {
  if (c.imsi_key != 0 && c.sub == nullptr) c.sub = subscriber_for(c.imsi_key, c.imsi);
  subscriber* s = c.imsi_key != 0 ? c.sub : nullptr;
  const bool resolved = s != nullptr;
  if (r.has(af_cl3) || r.kind == a_kind::handover_request) set_cell_from(c.cell, r);
  event e;
  switch (r.kind) {
    case a_kind::lu_request: {
      switch (r.lu_type) {
        case 1:
          e.type = event_type::periodic_update;
          break;
        case 2:
          e.type = event_type::power_on;
          break;
        default:
          e.type = event_type::location_update;
          break;
      }
      fill_common(e, c, s, r);
      if (e.type == event_type::location_update) {
        if (s != nullptr && s->has_location) {
          set_previous(e, s->last);
        } else if (r.has(af_lai) && r.lai_lac != 0x0000 && r.lai_lac != 0xFFFE) {
          // No location recorded: the LAI the mobile reports (TS 24.008 10.5.1.3 reserved LACs).
          e.prev_lac = r.lai_lac;
          e.set(f_prev_lac);
        }
      }
      // Written when the procedure ends (spec "IMEI of a location update"); a second request
      // on the connection ends the first procedure.
      end_lu(c, s);
      c.lu_open = true;
      c.pending.push_back(pending_event{e, resolved, true, s != nullptr && !s->lu_seen});
      if (s != nullptr) {
        s->lu_seen = true;
        s->attached = 1;
      }
      break;
    }
    case a_kind::lu_accept:
      // TS 24.008 9.2.13: the Accept's LAI gives a PLMN-less Cell Identifier with that LAC its
      // PLMN (spec "Location from the cell").
      if (r.has(af_lai) && c.cell.has_lac && !c.cell.has_plmn && r.lai_lac == c.cell.lac) {
        c.cell.has_plmn = true;
        c.cell.mcc = r.lai_mcc;
        c.cell.mnc = r.lai_mnc;
      }
      end_lu(c, s);
      if (s != nullptr && r.has(af_tmsi)) {
        s->tmsi = r.tmsi;
        s->has_tmsi = true;
        learn_tmsi(r.tmsi, c.imsi_key, *s);
      }
      break;
    case a_kind::tmsi_realloc:
      if (s != nullptr && r.has(af_tmsi)) {
        s->tmsi = r.tmsi;
        s->has_tmsi = true;
        learn_tmsi(r.tmsi, c.imsi_key, *s);
      }
      break;
    case a_kind::lu_reject:
      end_lu(c, s);
      e.type = event_type::lu_reject;
      fill_common(e, c, s, r);
      if (r.has(af_cause)) {
        e.cause = r.cause;
        e.set(f_cause);
      }
      emit_on(c, e, resolved);
      break;
    case a_kind::imsi_detach:
      e.type = event_type::power_off;
      fill_common(e, c, s, r);
      emit_on(c, e, resolved);
      if (s != nullptr) s->attached = 2;
      break;
    case a_kind::identity_response:
      if (s != nullptr) {
        if (r.has(af_imsi) && c.has_tmsi) learn_tmsi(c.tmsi, c.imsi_key, *s);
        note_imei(c, *s, r);
      }
      break;
    case a_kind::common_id:
      if (s != nullptr && r.has(af_imsi) && c.has_tmsi) learn_tmsi(c.tmsi, c.imsi_key, *s);
      break;
    case a_kind::cipher_complete:
      if (s != nullptr) note_imei(c, *s, r);
      break;
    case a_kind::cc_setup: {
      call& k = call_for(c, r.ti);
      if (r.has(af_peer)) {
        k.peer = r.peer;
        k.has_peer = true;
      }
      e.type = r.uplink ? event_type::call_mo : event_type::call_mt;
      fill_common(e, c, s, r);
      if (k.has_peer) set_peer(e, k.peer);
      emit_on(c, e, resolved);
      break;
    }
    case a_kind::cc_connect: {
      // A call is known from its Setup (connection + TI); a Connect or clearing of a call
      // whose Setup was not seen on this connection makes no event.
      call* found = find_call(c, r.ti);
      if (found == nullptr) break;
      call& k = *found;
      if (k.answered || k.ended) break;
      k.answered = true;
      k.connect_ts_us = r.ts_us;
      e.type = event_type::call_answered;
      fill_common(e, c, s, r);
      if (k.has_peer) set_peer(e, k.peer);
      emit_on(c, e, resolved);
      break;
    }
    case a_kind::cc_clearing: {
      call* found = find_call(c, r.ti);
      if (found == nullptr) break;
      call& k = *found;
      if (k.ended) break;
      k.ended = true;
      e.type = event_type::call_end;
      fill_common(e, c, s, r);
      if (r.has(af_cause)) {
        e.cause = r.cause;
        e.set(f_cause);
      }
      const std::int64_t d = k.answered ? (r.ts_us - k.connect_ts_us) : 0;
      e.duration_ms = d > 0 ? d / 1000 : 0;
      e.set(f_duration);
      if (k.has_peer) set_peer(e, k.peer);
      emit_on(c, e, resolved);
      break;
    }
    case a_kind::sms_mo:
    case a_kind::sms_mt:
    case a_kind::ussd:
      e.type = r.kind == a_kind::sms_mo   ? event_type::sms_mo
               : r.kind == a_kind::sms_mt ? event_type::sms_mt
                                          : event_type::ussd;
      fill_common(e, c, s, r);
      if (r.has(af_peer)) set_peer(e, r.peer);
      emit_on(c, e, resolved);
      break;
    case a_kind::handover_performed: {
      const location before = c.cell;
      set_cell_from(c.cell, r);
      e.type = event_type::handover;
      fill_common(e, c, s, r);
      set_previous(e, before);
      emit_on(c, e, resolved);
      if (s != nullptr) {
        s->last = c.cell;
        s->has_location = true;
      }
      break;
    }
    case a_kind::handover_complete: {
      e.type = event_type::handover;
      fill_common(e, c, s, r);
      // The cell before is the subscriber's last recorded location (its old connection's).
      if (s != nullptr && s->has_location) set_previous(e, s->last);
      emit_on(c, e, resolved);
      if (s != nullptr) {
        s->last = c.cell;
        s->has_location = true;
      }
      break;
    }
    default:
      break;
  }
  // The Complete Layer 3 cell becomes the subscriber's last location after its events.
  if (s != nullptr && r.has(af_cl3)) {
    s->last = c.cell;
    s->has_location = true;
  }
}

// ---- state snapshot ------------------------------------------------------------------------

namespace {
constexpr std::string_view state_file = "subscribers.txt";
constexpr std::string_view state_header = "# bssap-probe subscriber state v1";

std::string_view or_dash(std::string_view s) {
  return s.empty() ? std::string_view("-") : s;
}
std::string_view undash(std::string_view s) {
  return s == "-" ? std::string_view() : s;
}
}  // namespace

struct correlator::state_copy {
  std::vector<subscriber> subscribers;
};

std::shared_ptr<const correlator::state_copy> correlator::copy_state() const {
  auto copy = std::make_shared<state_copy>();
  copy->subscribers.reserve(_subscriber_count);
  for (std::size_t i = 0; i < _subscriber_count; ++i)
    copy->subscribers.push_back(_subscriber_chunks[i / subscriber_chunk][i % subscriber_chunk]);
  return copy;
}

bool correlator::save_state(const std::filesystem::path& dir, std::string& error) const {
  return write_state(*copy_state(), dir, error);
}

bool correlator::write_state(const state_copy& copy, const std::filesystem::path& dir, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = fmt::format("cannot create state directory {}: {}", dir.string(), ec.message());
    return false;
  }
  const auto final_path = dir / state_file;
  const auto tmp_path = dir / (std::string(state_file) + ".tmp");
  std::FILE* f = std::fopen(tmp_path.c_str(), "w");
  if (f == nullptr) {
    error = fmt::format("cannot write {}: {}", tmp_path.string(), std::strerror(errno));
    return false;
  }
  std::string line = std::string(state_header) + "\n";
  std::fwrite(line.data(), 1, line.size(), f);
  for (const subscriber& s : copy.subscribers) {
    line.clear();
    // imsi attached loc plmn lac ci mcc mnc lac ci imei tmsi map_tmsi lu_seen
    fmt::format_to(std::back_inserter(line), "{} {} {} {} {} {} {} {} {} {} {} {} {} {}\n", s.imsi.view(), s.attached,
                   s.has_location ? 1 : 0, s.last.has_plmn ? 1 : 0, s.last.has_lac ? 1 : 0, s.last.has_ci ? 1 : 0,
                   or_dash(s.last.mcc.view()), or_dash(s.last.mnc.view()), s.last.lac, s.last.ci,
                   or_dash(s.has_imei ? s.imei.view() : std::string_view()),
                   s.has_tmsi ? fmt::format("{:08x}", s.tmsi) : std::string("-"),
                   s.has_map_tmsi ? fmt::format("{:08x}", s.map_tmsi) : std::string("-"), s.lu_seen ? 1 : 0);
    std::fwrite(line.data(), 1, line.size(), f);
  }
  const bool ok = std::fflush(f) == 0 && std::ferror(f) == 0;
  std::fclose(f);
  if (!ok) {
    error = fmt::format("cannot write {}", tmp_path.string());
    return false;
  }
  std::filesystem::rename(tmp_path, final_path, ec);
  if (ec) {
    error = fmt::format("cannot rename {}: {}", tmp_path.string(), ec.message());
    return false;
  }
  return true;
}

namespace {

// One field of a state line, checked as strictly as write_state() writes it: a value that does
// not fit its slot is an error, never silently cut (a cut TMSI or LAC would correlate wrongly).
bool digits_only(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
template <class T>
bool parse_number(std::string_view s, T max, T& out, int base = 10) noexcept {
  if (s.empty() || s.size() > 10) return false;
  unsigned long long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || end != s.data() + s.size() || v > max) return false;
  out = static_cast<T>(v);
  return true;
}
bool parse_flag(std::string_view s, bool& out) noexcept {
  if (s != "0" && s != "1") return false;
  out = s == "1";
  return true;
}
// "-" (absent) or 1..8 hex digits (write_state writes 8).
bool parse_tmsi(std::string_view s, bool& has, std::uint32_t& out) noexcept {
  has = s != "-";
  if (!has) return true;
  return s.size() <= 8 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }) &&
         parse_number<std::uint32_t>(s, 0xFFFFFFFFu, out, 16);
}

}  // namespace

bool correlator::load_state(const std::filesystem::path& dir, std::string& error) {
  const auto path = dir / state_file;
  std::ifstream in(path);
  if (!in) return true;  // first run: nothing to restore
  std::string line;
  std::size_t line_no = 0;
  auto fail = [&](std::string_view why) {
    error = fmt::format("{}:{}: {}", path.string(), line_no, why);
    return false;
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    // imsi attached loc plmn lac ci mcc mnc lac ci imei tmsi map_tmsi lu_seen (write_state)
    std::array<std::string_view, 14> f{};
    std::size_t n = 0;
    for (std::size_t at = 0; at < line.size();) {
      if (line[at] == ' ' || line[at] == '\t') {
        ++at;
        continue;
      }
      const std::size_t stop = line.find_first_of(" \t", at);
      const std::size_t end = stop == std::string::npos ? line.size() : stop;
      if (n == f.size()) return fail("malformed state line (more than 14 fields)");
      f[n++] = std::string_view(line).substr(at, end - at);
      at = end;
    }
    if (n != f.size()) return fail("malformed state line (14 fields expected)");
    const auto key = imsi_key(f[0]);
    if (key == 0) return fail("bad IMSI");
    subscriber s;
    s.imsi.assign(f[0]);
    if (!parse_number<std::uint8_t>(f[1], 2, s.attached)) return fail("bad attach state (0, 1 or 2)");
    if (!parse_flag(f[2], s.has_location) || !parse_flag(f[3], s.last.has_plmn) || !parse_flag(f[4], s.last.has_lac) ||
        !parse_flag(f[5], s.last.has_ci) || !parse_flag(f[13], s.lu_seen))
      return fail("bad flag (0 or 1)");
    // MCC 3 digits, MNC 2 or 3 (TS 23.003 2.2).
    if (f[6] != "-" && !(f[6].size() == 3 && digits_only(f[6]))) return fail("bad MCC");
    if (f[7] != "-" && !(f[7].size() >= 2 && f[7].size() <= 3 && digits_only(f[7]))) return fail("bad MNC");
    s.last.mcc.assign(undash(f[6]));
    s.last.mnc.assign(undash(f[7]));
    if (!parse_number<std::uint16_t>(f[8], 0xFFFF, s.last.lac)) return fail("bad LAC (0..65535)");
    if (!parse_number<std::uint32_t>(f[9], 0xFFFFFFFFu, s.last.ci)) return fail("bad cell identity");
    s.has_imei = f[10] != "-";
    if (s.has_imei && !(digits_only(f[10]) && s.imei.assign(f[10]))) return fail("bad IMEI");
    if (!parse_tmsi(f[11], s.has_tmsi, s.tmsi)) return fail("bad TMSI");
    if (!parse_tmsi(f[12], s.has_map_tmsi, s.map_tmsi)) return fail("bad TMSI map entry");
    subscriber* slot = find_subscriber(key);
    // write_state writes each subscriber once: a second line for one is not our file (and
    // would leave the first line's TMSI map entry behind).
    if (slot != nullptr) return fail("IMSI listed twice");
    if (_subscriber_count >= _config.max_subscribers)
      return fail(fmt::format("more subscribers than the table holds ({})", _config.max_subscribers));
    if (s.has_map_tmsi) _tmsi_map.set(s.map_tmsi, key);
    slot = &add_subscriber(key);
    *slot = s;
  }
  return true;
}

}  // namespace bssap::probe
