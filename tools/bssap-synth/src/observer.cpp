// References: ../shared/spec/events.md, probe/EVENTS.md (the rules implemented here, section by
// section), TS 24.008 10.5.1.3 (reserved LAC values).
#include "observer.hpp"

#include <array>

namespace bssap::synth {
namespace {

constexpr std::uint8_t st_ready = 0, st_held = 1, st_dropped = 2;

void set_digits(fixed_string<184>& out, std::uint64_t v, std::uint8_t len) {
  std::array<char, 24> d{};
  digits_of(v, len, d.data());
  out.assign({d.data(), len});
}

}  // namespace

observer::observer(const world_view& w, sink* truth)
    : _w(w), _truth(truth), _subs(w.subs->size()), _conns(w.subs->size()), _queue(1024) {
  std::size_t cap = 1024;
  while (cap < w.subs->size() * 4) cap <<= 1;
  _map_keys.assign(cap, 0xFFFFFFFFu);  // 0xFFFFFFFF is never a TMSI (TS 23.003 2.4)
  _map_vals.assign(cap, 0);
  _out.reserve(1 << 20);
}

void observer::map_put(std::uint32_t tmsi, std::uint32_t sub) {
  if ((_map_used + 1) * 2 > _map_keys.size()) {
    std::vector<std::uint32_t> keys(_map_keys.size() * 2, 0xFFFFFFFFu);
    std::vector<std::uint32_t> vals(keys.size(), 0);
    keys.swap(_map_keys);
    vals.swap(_map_vals);
    _map_used = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] != 0xFFFFFFFFu) map_put(keys[i], vals[i]);
    }
  }
  const std::size_t mask = _map_keys.size() - 1;
  std::size_t i = (tmsi * 0x9E3779B1u) & mask;
  while (_map_keys[i] != 0xFFFFFFFFu && _map_keys[i] != tmsi) i = (i + 1) & mask;
  if (_map_keys[i] == 0xFFFFFFFFu) ++_map_used;
  _map_keys[i] = tmsi;
  _map_vals[i] = sub;
}

bool observer::map_get(std::uint32_t tmsi, std::uint32_t& sub) const {
  const std::size_t mask = _map_keys.size() - 1;
  std::size_t i = (tmsi * 0x9E3779B1u) & mask;
  while (_map_keys[i] != 0xFFFFFFFFu) {
    if (_map_keys[i] == tmsi) {
      sub = _map_vals[i];
      return true;
    }
    i = (i + 1) & mask;
  }
  return false;
}

// EVENTS.md "Identities learned": a new TMSI for an IMSI replaces its old one.
void observer::learn_tmsi(std::uint32_t sub, std::uint32_t tmsi) {
  map_put(tmsi, sub);
  _subs[sub].probe_tmsi = tmsi;
  _subs[sub].probe_tmsi_valid = true;
}

bool observer::tmsi_known(std::uint32_t sub, std::uint32_t tmsi) const {
  std::uint32_t found = 0;
  return map_get(tmsi, found) && found == sub && _subs[sub].probe_tmsi_valid && _subs[sub].probe_tmsi == tmsi;
}

// Fields of every event (EVENTS.md "Fields of every event").
event observer::base_event(std::uint32_t sub, std::int64_t ts, event_type t) const {
  event e;
  e.ts_us = ts;
  e.type = t;
  const auto& s = (*_w.subs)[sub];
  e.imsi.assign({s.imsi.data(), s.imsi_len});
  e.set(f_imsi);
  const auto& c = _conns[sub];
  const auto& st = _subs[sub];
  if (c.by_tmsi) {
    e.tmsi = c.id_tmsi;
    e.set(f_tmsi);
  } else if (st.has_tmsi) {
    e.tmsi = st.tmsi;
    e.set(f_tmsi);
  }
  if (st.imei_known) {
    std::array<char, 14> d{};
    digits_of(st.imei14, 14, d.data());
    e.imei.assign({d.data(), 14});
    e.set(f_imei);
  }
  e.mcc.assign({_w.cfg->own_plmn.mcc, 3});
  e.mnc.assign({_w.cfg->own_plmn.mnc, _w.cfg->own_plmn.mnc_len});
  e.lac = c.lac;
  e.set(f_lai);
  e.cell = c.ci;
  e.set(f_cell);
  return e;
}

observer::entry& observer::push(std::uint32_t sub, const event& e) {
  if (_tail - _head == _queue.size()) {
    std::vector<entry> bigger(_queue.size() * 2);
    for (std::uint64_t i = _head; i < _tail; ++i) bigger[i & (bigger.size() - 1)] = _queue[i & (_queue.size() - 1)];
    _queue.swap(bigger);
  }
  entry& en = _queue[_tail & (_queue.size() - 1)];
  en.e = e;
  en.sub = sub;
  en.req_lac_valid = false;
  en.proc = false;
  auto& c = _conns[sub];
  if (c.resolved) {
    en.status = st_ready;
  } else {
    en.status = st_held;
    ++_held;
    if (c.held_n < c.held_pos.size()) {
      c.held_pos[c.held_n++] = _tail;
    } else {
      c.held_overflow = true;
    }
  }
  ++_tail;
  return en;
}

void observer::write_line(const event& e) {
  ++events;
  if (_truth == nullptr) return;
  append_json_line(e, _out);
  if (_out.size() > (1u << 19)) {
    if (!_truth->write(_out.data(), _out.size())) write_ok = false;
    _out.clear();
  }
}

void observer::drain() {
  while (_head < _tail) {
    entry& en = _queue[_head & (_queue.size() - 1)];
    if (en.status == st_held || en.proc) return;
    if (en.status == st_ready) write_line(en.e);
    ++_head;
  }
}

// The connection of `sub` became tied to its IMSI: its held events are released as they are.
void observer::resolve(std::uint32_t sub) {
  auto& c = _conns[sub];
  if (c.resolved) return;
  c.resolved = true;
  if (c.alloc_pending) {
    learn_tmsi(sub, c.alloc_tmsi);
    c.alloc_pending = false;
  }
  if (_held == 0) return;
  for_held(sub, [&](entry& en) {
    en.status = st_ready;
    --_held;
  });
  drain();
}

template <typename F>
void observer::for_held(std::uint32_t sub, F&& f) {
  auto& c = _conns[sub];
  if (c.held_overflow) {
    for (std::uint64_t i = _head; i < _tail; ++i) {
      entry& en = _queue[i & (_queue.size() - 1)];
      if (en.status == st_held && en.sub == sub) f(en);
    }
  } else {
    for (std::size_t k = 0; k < c.held_n; ++k) {
      entry& en = _queue[c.held_pos[k] & (_queue.size() - 1)];
      if (c.held_pos[k] >= _head && en.status == st_held && en.sub == sub) f(en);
    }
  }
  c.held_n = 0;
  c.held_overflow = false;
}

// The LU procedure of `sub`'s connection ended (Accept, Reject, the connection's end): its
// events take the IMEI recorded by now, which is the one the procedure revealed if it did.
void observer::end_lu(std::uint32_t sub) {
  auto& c = _conns[sub];
  if (c.lu_n == 0) return;
  const auto& st = _subs[sub];
  for (std::uint8_t k = 0; k < c.lu_n; ++k) {
    entry& en = _queue[c.lu_pos[k] & (_queue.size() - 1)];
    if (c.lu_pos[k] < _head || en.sub != sub || !en.proc) continue;
    en.proc = false;
    if (st.imei_known) {
      std::array<char, 14> d{};
      digits_of(st.imei14, 14, d.data());
      en.e.imei.assign({d.data(), 14});
      en.e.set(f_imei);
    }
  }
  c.lu_n = 0;
  drain();
}

void observer::end_connection(std::uint32_t sub) {
  auto& c = _conns[sub];
  if (!c.open) return;
  end_lu(sub);
  if (!c.resolved) {
    // EVENTS.md: events without imsi and without fields from subscriber state; counted.
    ++unresolved;
    for_held(sub, [&](entry& en) {
      --_held;
      event& e = en.e;
      if (e.type == event_type::imei_change || e.type == event_type::roaming_in) {
        en.status = st_dropped;
        return;
      }
      en.status = st_ready;
      e.imsi.assign({});
      e.imei.assign({});
      e.present = static_cast<std::uint16_t>(e.present & ~(f_imsi | f_imei));
      if (!c.by_tmsi) e.present = static_cast<std::uint16_t>(e.present & ~f_tmsi);
      if (e.type == event_type::location_update) {
        e.present = static_cast<std::uint16_t>(e.present & ~(f_prev_lac | f_prev_cell));
        if (en.req_lac_valid) {
          e.prev_lac = en.req_lac;
          e.set(f_prev_lac);
        }
      }
    });
    drain();
  }
  c = conn_state{};
}

// EVENTS.md imei_change: the first IMEI is recorded silently, a different one is reported.
void observer::emit_imei(std::uint32_t sub, std::uint64_t imei14, std::int64_t ts) {
  auto& st = _subs[sub];
  if (!st.imei_known) {
    st.imei_known = true;
    st.imei14 = imei14;
    return;
  }
  if (st.imei14 == imei14) return;
  event e = base_event(sub, ts, event_type::imei_change);
  std::array<char, 14> d{};
  digits_of(st.imei14, 14, d.data());
  e.prev_imei.assign({d.data(), 14});
  e.set(f_prev_imei);
  digits_of(imei14, 14, d.data());
  e.imei.assign({d.data(), 14});
  e.set(f_imei);
  st.imei14 = imei14;
  push(sub, e);
}

// The CR's Complete Layer 3 Information, once the connection is confirmed (CC): EVENTS.md
// "Refused connections". `d` and `ts` are the CR's.
void observer::open_connection(const delivery& d, std::int64_t ts) {
  const msg& m = d.m;
  const std::uint32_t sub = d.c.sub;
  auto& c = _conns[sub];
  auto& st = _subs[sub];
  const auto& cfg = *_w.cfg;
  end_lu(sub);
  c = conn_state{};
  c.open = true;
  const auto& cell = _w.net->cells[d.c.cell];
  c.lac = cell.lac;
  c.ci = cell.ci;
  c.by_tmsi = m.id_type == static_cast<std::uint8_t>(id_kind::tmsi);
  c.id_tmsi = m.tmsi;
  c.resolved = !c.by_tmsi || tmsi_known(sub, m.tmsi);
  const auto kind = static_cast<initial>(m.sub_kind);
  if (kind == initial::lu_request) {
    const auto lt = static_cast<lu_type>(m.lu);
    const event_type t = lt == lu_type::imsi_attach ? event_type::power_on
                         : lt == lu_type::periodic  ? event_type::periodic_update
                                                    : event_type::location_update;
    event e = base_event(sub, ts, t);
    const bool reserved = m.lac == 0x0000 || m.lac == 0xFFFE;
    if (t == event_type::location_update) {
      if (st.loc_known) {
        e.prev_lac = st.lac;
        e.prev_cell = st.ci;
        e.set(f_prev_lac);
        e.set(f_prev_cell);
      } else if (!reserved) {
        e.prev_lac = m.lac;
        e.set(f_prev_lac);
      }
    }
    entry& en = push(sub, e);
    en.req_lac_valid = !reserved;
    en.req_lac = m.lac;
    // Written when the procedure ends, with the IMEI recorded by then (EVENTS.md "IMEI of a
    // location update"): the entry blocks the queue until end_lu().
    en.proc = true;
    c.lu_pos[c.lu_n++] = _tail - 1;
    // roaming_in: first LU ever seen for the IMSI, IMSI of neither the cell's PLMN nor a home PLMN.
    if (!st.lu_seen) {
      st.lu_seen = true;
      const auto& s = (*_w.subs)[sub];
      const std::string_view imsi{s.imsi.data(), s.imsi_len};
      auto starts = [&](const plmn& p) {
        return imsi.size() >= 3u + p.mnc_len && imsi.substr(0, 3) == std::string_view(p.mcc, 3) &&
               imsi.substr(3, p.mnc_len) == std::string_view(p.mnc, p.mnc_len);
      };
      bool home = starts(cfg.own_plmn);
      for (const auto& p : cfg.home_plmns) home = home || starts(p);
      if (!home) {
        event r = e;
        r.type = event_type::roaming_in;
        push(sub, r).proc = true;
        c.lu_pos[c.lu_n++] = _tail - 1;
      }
    }
  } else if (kind == initial::imsi_detach) {
    push(sub, base_event(sub, ts, event_type::power_off));
  }
  st.loc_known = true;
  st.lac = c.lac;
  st.ci = c.ci;
  if (c.resolved) drain();
}

void observer::deliver(const delivery& d, std::int64_t ts) {
  const msg& m = d.m;
  const std::uint32_t sub = d.c.sub;
  if (m.kind == mk::reset || m.kind == mk::reset_ack) return;
  if (m.kind == mk::paging) {
    // Connectionless: teaches TMSI -> IMSI, no event.
    if (m.id_type == static_cast<std::uint8_t>(id_kind::tmsi)) learn_tmsi(sub, m.tmsi);
    return;
  }
  auto& c = _conns[sub];
  auto& st = _subs[sub];
  // Any message on the connection but a CREF confirms it, as the probe takes a CC or a DT1.
  if (c.cr_pending && m.kind != mk::cr && m.kind != mk::cref) {
    const delivery cr = c.cr;  // open_connection() resets c
    const std::int64_t cr_ts = c.cr_ts;
    open_connection(cr, cr_ts);
  }

  switch (m.kind) {
    case mk::cr:
      // Nothing counts before the MSC takes the connection (CC); a CREF voids it.
      end_lu(sub);
      c = conn_state{};
      c.open = true;
      c.cr_pending = true;
      c.cr = d;
      c.cr_ts = ts;
      return;
    case mk::cc:
      return;  // confirmed above
    case mk::cref:
      if (c.cr_pending) {  // refused: the CR yields no event and changes no state
        c = conn_state{};
        return;
      }
      end_connection(sub);
      return;
    case mk::rlc:
      // The old connection of an inter-BSC handover: the subscriber's goes on on the new one.
      if ((m.flags & mf_old_leg) == 0) end_connection(sub);
      return;
    case mk::id_response: {
      const auto k = static_cast<id_kind>(m.id_type);
      if (k == id_kind::imsi) {
        if (c.by_tmsi) learn_tmsi(sub, c.id_tmsi);
        resolve(sub);
      } else if (k == id_kind::imei || k == id_kind::imeisv) {
        emit_imei(sub, m.num, ts);
      }
      break;
    }
    case mk::common_id:
      if (c.by_tmsi) learn_tmsi(sub, c.id_tmsi);
      resolve(sub);
      break;
    case mk::cipher_complete:
      if (m.flags & mf_imeisv) emit_imei(sub, m.num, ts);
      break;
    case mk::lu_accept:
    case mk::tmsi_realloc_cmd:
      if (m.kind == mk::lu_accept) end_lu(sub);
      if (m.kind == mk::lu_accept && !(m.flags & mf_new_tmsi)) break;
      st.has_tmsi = true;
      st.tmsi = m.tmsi;
      if (c.resolved) {
        learn_tmsi(sub, m.tmsi);
      } else {
        c.alloc_pending = true;
        c.alloc_tmsi = m.tmsi;
      }
      break;
    case mk::lu_reject: {
      end_lu(sub);
      event e = base_event(sub, ts, event_type::lu_reject);
      e.cause = m.cause;
      e.set(f_cause);
      push(sub, e);
      break;
    }
    case mk::cc_setup: {
      auto& call = c.call;
      call = call_state{};
      call.active = true;
      call.ti_value = m.ti & 0x7;
      call.ms_originated = m.d == dir::up;
      event e = base_event(sub, ts, call.ms_originated ? event_type::call_mo : event_type::call_mt);
      if (call.ms_originated || !(m.flags & mf_no_number)) {
        call.has_peer = m.num_len > 0;
        call.peer = m.num;
        call.peer_len = m.num_len;
      }
      if (call.has_peer) {
        set_digits(e.peer, call.peer, call.peer_len);
        e.set(f_peer);
      }
      push(sub, e);
      break;
    }
    case mk::cc_connect: {
      auto& call = c.call;
      if (!call.active || call.answered || call.ended) break;
      call.answered = true;
      call.connect_ts = ts;
      event e = base_event(sub, ts, event_type::call_answered);
      if (call.has_peer) {
        set_digits(e.peer, call.peer, call.peer_len);
        e.set(f_peer);
      }
      push(sub, e);
      break;
    }
    case mk::cc_disconnect:
    case mk::cc_release:
    case mk::cc_release_complete: {
      auto& call = c.call;
      if (!call.active || call.ended) break;
      call.ended = true;
      event e = base_event(sub, ts, event_type::call_end);
      if (m.kind == mk::cc_disconnect || m.cause != 0) {
        e.cause = m.cause;
        e.set(f_cause);
      }
      e.duration_ms = call.answered ? (ts - call.connect_ts) / 1000 : 0;
      e.set(f_duration);
      if (call.has_peer) {
        set_digits(e.peer, call.peer, call.peer_len);
        e.set(f_peer);
      }
      push(sub, e);
      break;
    }
    case mk::sms_submit: {
      event e = base_event(sub, ts, event_type::sms_mo);
      set_digits(e.peer, m.num, m.num_len);
      e.set(f_peer);
      push(sub, e);
      break;
    }
    case mk::sms_deliver: {
      event e = base_event(sub, ts, event_type::sms_mt);
      if (m.flags & mf_alpha) {
        e.peer.assign(alpha_senders[m.num % alpha_senders.size()]);
      } else {
        set_digits(e.peer, m.num, m.num_len);
      }
      e.set(f_peer);
      push(sub, e);
      break;
    }
    case mk::ss_register_ussd: {
      event e = base_event(sub, ts, event_type::ussd);
      e.peer.assign(ussd_strings[m.text % ussd_strings.size()]);
      e.set(f_peer);
      push(sub, e);
      break;
    }
    case mk::ho_complete:  // inter-BSC: on the new connection, which a probe ties to the old one
    case mk::ho_performed: {
      event e = base_event(sub, ts, event_type::handover);
      e.prev_lac = c.lac;
      e.prev_cell = c.ci;
      e.set(f_prev_lac);
      e.set(f_prev_cell);
      e.lac = m.lac;
      e.cell = m.ci;
      push(sub, e);
      c.lac = m.lac;
      c.ci = m.ci;
      st.loc_known = true;
      st.lac = m.lac;
      st.ci = m.ci;
      break;
    }
    default:
      break;
  }
  if (c.resolved) drain();
}

void observer::finish() {
  for (std::uint32_t sub = 0; sub < _conns.size(); ++sub) {
    if (_conns[sub].cr_pending) {  // cut between CR and CC: the probe ends it unrefused
      const delivery cr = _conns[sub].cr;
      open_connection(cr, _conns[sub].cr_ts);
    }
    end_lu(sub);
    if (_conns[sub].open && !_conns[sub].resolved) end_connection(sub);
  }
  drain();
  if (_truth != nullptr && !_out.empty()) {
    if (!_truth->write(_out.data(), _out.size())) write_ok = false;
    _out.clear();
  }
}

}  // namespace bssap::synth
