// The scenario: a network of BSCs, location areas and cells, and subscribers that live a random
// but plausible life over the capture period. Each procedure (location update, call, SMS, USSD,
// detach) is built as a script of timed messages on one SCCP connection; a time-ordered heap
// interleaves the scripts of all subscribers. Every message goes to the transport, which hands
// it to the perfect observer when it is complete on the wire.
// References: TS 24.008 4.4 (MM procedures), 5.2 (call establishment), 5.4 (call clearing),
// TS 24.011 5 (SMS CM procedures), TS 24.080 (USSD), TS 48.008 3.1 (BSSMAP procedures).
#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include "bssap/synth/synth.hpp"
#include "capture.hpp"
#include "encode.hpp"
#include "links.hpp"
#include "observer.hpp"
#include "sua.hpp"
#include "world.hpp"

namespace bssap::synth {
namespace {

constexpr std::size_t max_steps = 64;
constexpr std::uint8_t no_procedure = 0;

enum class proc : std::uint8_t { none, lu, periodic, attach, detach, call_mo, call_mt, sms_mo, sms_mt, ussd, handset };

struct script {
  conn_ctx c;
  conn_ctx c2;                 // after an inter-BSC handover: the MSC's new connection
  std::uint8_t leg_flags = 0;  // added to every message's flags (mf_new_leg once switched)
  std::uint8_t n = 0;
  std::uint8_t pos = 0;
  std::array<msg, max_steps> steps{};
};

struct heap_item {
  std::int64_t t;
  std::uint64_t seq;
  std::uint32_t sub;
};
struct heap_later {
  bool operator()(const heap_item& a, const heap_item& b) const noexcept {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }
};

// Time-ordered queue of (time, sequence) items, popped in exactly the order of one binary heap
// but without most of its cache misses: a small wheel of 1 ms buckets covering about 1 s (the
// steps inside a procedure), a tiny heap for the current bucket, and an overflow heap for items
// further ahead (idle subscribers, calls in conversation).
class scheduler {
 public:
  explicit scheduler(std::int64_t start_us) : _wheel(wheel_size) { _cur = start_us - start_us % bucket_us; }
  bool empty() const noexcept { return _now.empty() && _in_wheel == 0 && _far.empty(); }
  void push(const heap_item& it) {
    if (it.t < _cur + bucket_us) {
      _now.push_back(it);
      std::push_heap(_now.begin(), _now.end(), heap_later{});
    } else if (it.t < _cur + horizon_us) {
      _wheel[static_cast<std::size_t>(it.t / bucket_us) & (wheel_size - 1)].push_back(it);
      ++_in_wheel;
    } else {
      _far.push_back(it);
      std::push_heap(_far.begin(), _far.end(), heap_later{});
    }
  }
  // Precondition: !empty().
  heap_item pop() {
    while (_now.empty()) advance();
    std::pop_heap(_now.begin(), _now.end(), heap_later{});
    const heap_item it = _now.back();
    _now.pop_back();
    return it;
  }

 private:
  static constexpr std::int64_t bucket_us = 1000;
  static constexpr std::size_t wheel_size = 1024;
  static constexpr std::int64_t horizon_us = bucket_us * static_cast<std::int64_t>(wheel_size);

  void advance() {
    if (_in_wheel == 0 && !_far.empty() && _far.front().t >= _cur + horizon_us) {
      _cur = _far.front().t - _far.front().t % bucket_us - bucket_us;  // skip the empty stretch
    }
    _cur += bucket_us;
    while (!_far.empty() && _far.front().t < _cur + horizon_us) {
      std::pop_heap(_far.begin(), _far.end(), heap_later{});
      const heap_item it = _far.back();
      _far.pop_back();
      push(it);
    }
    auto& b = _wheel[static_cast<std::size_t>(_cur / bucket_us) & (wheel_size - 1)];
    for (const auto& it : b) {
      _now.push_back(it);
      std::push_heap(_now.begin(), _now.end(), heap_later{});
    }
    _in_wheel -= b.size();
    b.clear();
  }

  std::int64_t _cur;
  std::vector<std::vector<heap_item>> _wheel;
  std::size_t _in_wheel = 0;
  std::vector<heap_item> _now;
  std::vector<heap_item> _far;
};

// TMSIs: a bijection of a counter, so that no two are ever equal (TS 23.003 2.4: never all ones).
std::uint32_t tmsi_of(std::uint32_t counter) noexcept {
  std::uint32_t x = counter * 0x9E3779B1u + 0x7F4A7C15u;
  x ^= x >> 16;
  x *= 0x85EBCA6Bu;
  x ^= x >> 13;
  return x == 0xFFFFFFFFu ? 0xFFFFFFFEu : x;
}

class generator {
 public:
  generator(const config& cfg, sink& capture, sink* truth)
      : _cfg(cfg),
        _rng(cfg.seed),
        _writer(capture, cfg.pcapng, linktype_of(cfg.link)),
        _view{&_cfg, &_net, &_subs},
        _obs(nullptr) {
    build_network();
    build_subscribers();
    assign_behaviours();
    _obs = std::make_unique<observer>(_view, truth);
    _link = make_link(_cfg, _writer, *_obs);
    _writer.limit = cfg.max_packets;
  }

  stats run() {
    const std::int64_t t0 = _cfg.start_us;
    const std::int64_t end = t0 + static_cast<std::int64_t>(_cfg.duration_s * 1e6);
    _end_us = end;
    _link->open(t0);
    // BSSMAP Reset / Reset Acknowledge per BSC (TS 48.008 3.1.4.1).
    for (std::uint32_t b = 0; b < _cfg.bscs; ++b) {
      conn_ctx c;
      c.bsc = static_cast<std::uint8_t>(b);
      c.cell = _net.bsc_first_cell[b];
      msg m;
      m.kind = mk::reset;
      m.d = dir::up;
      m.t_us = t0 + 20000 + b * 1000;
      emit(m, c);
      m.kind = mk::reset_ack;
      m.d = dir::down;
      m.t_us += 300;
      emit(m, c);
    }
    const double per_sub_interval = _cfg.rate > 0 ? static_cast<double>(_subs.size()) / _cfg.rate : 300.0;
    _interval_us = per_sub_interval * 1e6;
    for (std::uint32_t i = 0; i < _subs.size(); ++i) {
      const double first = 0.1e6 + _rng.unit() * std::min(_interval_us, (end - t0) * 1.0);
      schedule(i, t0 + static_cast<std::int64_t>(first * class_first_share(_subs[i])));
    }
    while (!_sched.empty() && !limit_reached()) {
      const heap_item it = _sched.pop();
      auto& s = _subs[it.sub];
      if (s.script < 0) {
        if (it.t > end) continue;  // no new procedure after the period; running ones finish
        start_procedure(it.sub, it.t);
        if (s.script < 0) continue;
      }
      script& sc = _scripts[static_cast<std::size_t>(s.script)];
      const msg& m = sc.steps[sc.pos];
      emit(m, (m.flags & mf_new_leg) != 0 ? sc.c2 : sc.c);
      ++sc.pos;
      if (sc.pos < sc.n) {
        schedule(it.sub, sc.steps[sc.pos].t_us);
      } else {
        const std::int64_t done = m.t_us;
        _free.push_back(s.script);
        s.script = -1;
        next_procedure(it.sub, done);
      }
    }
    _link->close();
    _obs->finish();
    _writer.flush();
    stats st;
    st.packets = _writer.packets;
    st.bytes = _writer.bytes;
    st.messages = _messages;
    st.retransmissions = _link->counters.retransmissions;
    st.control_frames = _link->counters.control_frames;
    st.split_messages = _link->counters.split_messages;
    st.bundled_frames = _link->counters.bundled_frames;
    st.events = _obs->events;
    st.unresolved = _obs->unresolved;
    st.write_ok = _writer.ok && _obs->write_ok;
    return st;
  }

 private:
  bool iu() const noexcept { return _cfg.iface == interface_kind::iucs; }
  bool limit_reached() const { return _cfg.max_packets != 0 && _writer.packets >= _cfg.max_packets; }

  void emit(const msg& m, const conn_ctx& c) {
    wbuf out(_sccp.data(), _sccp.size());
    if (_cfg.link == transport::sua) {
      encode_sua(m, c, _view, bsc_pc(_cfg, c.bsc), msc_pc(_cfg), out);
    } else {
      encode_sccp(m, c, _view, out);
    }
    ++_messages;
    _link->send(m.t_us, delivery{c, m}, _sccp.data(), out.n);
  }

  void schedule(std::uint32_t sub, std::int64_t t) { _sched.push({t, _seq++, sub}); }

  // ---- the network and its subscribers -------------------------------------------------------

  void build_network() {
    // Each BSC serves 3 location areas of 6 cells. LACs and CIs are unique network-wide.
    for (std::uint32_t b = 0; b < _cfg.bscs; ++b) {
      _net.bsc_first_cell.push_back(static_cast<std::uint32_t>(_net.cells.size()));
      for (std::uint32_t la = 0; la < 3; ++la) {
        const auto lac = static_cast<std::uint16_t>(0x2500 + b * 16 + la);
        for (std::uint32_t k = 0; k < 6; ++k) {
          const auto ci = static_cast<std::uint16_t>(10000 + b * 100 + la * 10 + k);
          _net.cells.push_back({lac, ci, static_cast<std::uint8_t>(b)});
        }
      }
      _net.bsc_cell_count.push_back(18);
    }
  }

  std::uint64_t new_imei14() {
    // TAC of a few common handset models (world.hpp) + a serial number.
    const std::uint32_t m = _rng.below(handset_models.size());
    _tac_used[m] = true;
    return handset_models[m].tac * 1000000ULL + _rng.below(1000000);
  }

  // The national mobile number of subscriber `i`: a number segment of the operator (China's
  // numbering plan: 1 + 2 digits) and 8 more digits. The 8 digits are a bijection of `i` (the
  // multiplier is prime to 10^8), so that no two subscribers share a number below 10^8 of them.
  std::uint64_t new_msisdn(std::uint32_t i) {
    static constexpr std::array<std::uint16_t, 19> segments{134, 135, 136, 137, 138, 139, 147, 150, 151, 152,
                                                            157, 158, 159, 178, 182, 183, 187, 188, 198};
    constexpr std::uint64_t block = 100000000;
    const std::uint64_t segment = segments[_rng.below(segments.size())];
    const std::uint64_t draw = _rng.below(block);  // drawn for every subscriber: the stream stays as it was
    if (i == 0) _msisdn_offset = draw;
    return segment * block + (i * 73939133ULL + _msisdn_offset) % block;
  }

  void build_subscribers() {
    _subs.resize(_cfg.subscribers);
    std::uint64_t msin = 1000000000ULL + _rng.below(1000000);
    for (std::uint32_t i = 0; i < _cfg.subscribers; ++i) {
      auto& s = _subs[i];
      s.roamer = _rng.chance(0.1);
      std::string_view prefix;
      if (s.roamer) {
        s.roam_plmn = static_cast<std::uint8_t>(1 + _rng.below(foreign_plmns.size()));
        const auto& p = foreign_plmns[s.roam_plmn - 1];
        s.imsi_len = 0;
        for (char ch : p.mcc) s.imsi[s.imsi_len++] = ch;
        for (char ch : p.mnc) s.imsi[s.imsi_len++] = ch;
      } else {
        prefix = home_prefixes[_rng.below(10) < 7 ? 0 : 1 + _rng.below(2)];
        s.imsi_len = 0;
        for (char ch : prefix) s.imsi[s.imsi_len++] = ch;
      }
      msin += 1 + _rng.below(5000);
      const std::size_t rest = 15 - s.imsi_len;
      std::uint64_t v = msin;
      for (std::size_t k = rest; k-- > 0;) {
        s.imsi[s.imsi_len + k] = static_cast<char>('0' + v % 10);
        v /= 10;
      }
      s.imsi_len = 15;
      s.msisdn = new_msisdn(i);
      s.imei14 = new_imei14();
      s.svn = static_cast<std::uint8_t>(1 + _rng.below(40));
      s.cell = _rng.below(static_cast<std::uint32_t>(_net.cells.size()));
      s.next_ti = static_cast<std::uint8_t>(_rng.below(7));
      if (s.roamer) {
        // Arrives from abroad: registered in its home network, not here.
        s.state = reg_state::unregistered;
        s.sim_plmn = s.roam_plmn;
        s.sim_lac = static_cast<std::uint16_t>(0x0100 + _rng.below(0x4000));
        s.has_tmsi = _rng.chance(0.6);  // a TMSI of the home network
        if (s.has_tmsi) s.tmsi = tmsi_of(_tmsi_counter++);
      } else if (_rng.chance(0.8)) {
        s.state = reg_state::attached;  // registered before the capture began
        s.sim_plmn = 0;
        s.sim_lac = _net.cells[s.cell].lac;
        s.has_tmsi = true;
        s.tmsi = tmsi_of(_tmsi_counter++);
      } else {
        s.state = reg_state::detached;
        s.sim_plmn = 0;
        s.sim_lac =
            _rng.chance(0.3) ? 0xFFFE : _net.cells[_rng.below(static_cast<std::uint32_t>(_net.cells.size()))].lac;
        s.has_tmsi = s.sim_lac != 0xFFFE;
        if (s.has_tmsi) s.tmsi = tmsi_of(_tmsi_counter++);
      }
      s.probe_knows_tmsi = false;
    }
  }

  // ---- procedures ----------------------------------------------------------------------------

  void next_procedure(std::uint32_t sub, std::int64_t done) {
    auto& s = _subs[sub];
    double gap = _rng.expo(_interval_us);
    if (s.pending != no_procedure) gap = 2e6 + _rng.unit() * 20e6;  // retries and follow-ups come soon
    if (s.state != reg_state::attached && s.pending == no_procedure) gap = 5e6 + _rng.expo(_interval_us / 2);
    gap = class_gap(sub, done, gap);
    schedule(sub, done + 1000 + static_cast<std::int64_t>(gap));
  }

  proc choose(const subscriber& s) {
    if (s.pending != no_procedure) return static_cast<proc>(s.pending);
    if (s.state == reg_state::detached) return proc::attach;
    if (s.state == reg_state::unregistered) return _rng.chance(0.5) ? proc::attach : proc::lu;
    const auto& w = _cfg.mix;
    const std::array<std::uint32_t, 10> weights{w.lu,     w.periodic, w.attach, w.call_mo, w.call_mt,
                                                w.sms_mo, w.sms_mt,   w.ussd,   w.handset, 0};
    const std::array<proc, 10> procs{proc::lu,     proc::periodic, proc::detach, proc::call_mo, proc::call_mt,
                                     proc::sms_mo, proc::sms_mt,   proc::ussd,   proc::handset, proc::none};
    std::uint32_t total = 0;
    for (auto x : weights) total += x;
    if (total == 0) return proc::periodic;
    std::uint32_t r = _rng.below(total);
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return procs[i];
      r -= weights[i];
    }
    return proc::periodic;
  }

  void start_procedure(std::uint32_t sub, std::int64_t t) {
    auto& s = _subs[sub];
    proc p = choose(s);
    if (p == proc::handset && !s.imei_shown) p = proc::periodic;  // a change nobody could notice
    p = class_procedure(sub, p);
    s.pending = no_procedure;
    std::int32_t slot = 0;
    if (!_free.empty()) {
      slot = _free.back();
      _free.pop_back();
    } else {
      slot = static_cast<std::int32_t>(_scripts.size());
      _scripts.emplace_back();
    }
    script& sc = _scripts[static_cast<std::size_t>(slot)];
    sc.n = 0;
    sc.leg_flags = 0;
    sc.pos = 0;
    _t = t;
    switch (p) {
      case proc::lu:
        build_lu(sc, sub, lu_type::normal);
        break;
      case proc::periodic:
        build_lu(sc, sub, lu_type::periodic);
        break;
      case proc::attach:
        build_lu(sc, sub, lu_type::imsi_attach);
        break;
      case proc::detach:
        build_detach(sc, sub, false);
        break;
      case proc::handset:
        build_detach(sc, sub, true);
        break;
      case proc::call_mo:
        build_call(sc, sub, true);
        break;
      case proc::call_mt:
        build_call(sc, sub, false);
        break;
      case proc::sms_mo:
        build_sms(sc, sub, true);
        break;
      case proc::sms_mt:
        build_sms(sc, sub, false);
        break;
      case proc::ussd:
        build_ussd(sc, sub);
        break;
      case proc::none:
        break;
    }
    if (sc.n == 0) {
      _free.push_back(slot);
      next_procedure(sub, t);
      return;
    }
    s.script = slot;  // the caller sends step 0 now (it is due at `t`)
  }

  // Appends a message `delay_us` after the previous one.
  msg& add(script& sc, std::int64_t delay_us, mk kind, dir d) {
    _t += delay_us;
    msg& m = sc.steps[sc.n < max_steps ? sc.n++ : max_steps - 1];
    m = msg{};
    m.t_us = _t;
    m.kind = kind;
    m.d = d;
    m.flags = sc.leg_flags;
    return m;
  }
  std::int64_t quick() { return _rng.range(100, 2500); }      // back-to-back in one node
  std::int64_t net() { return _rng.range(3000, 25000); }      // a hop through BSC or MSC
  std::int64_t radio() { return _rng.range(60000, 450000); }  // a round trip over the air
  std::int64_t human(double mean_s) { return static_cast<std::int64_t>((1.0 + _rng.expo(mean_s)) * 1e6); }

  std::uint32_t ref() { return (_ref_counter = (_ref_counter + 1 + _rng.below(7)) & 0xFFFFFF) | 1; }

  // CR with the Complete Layer 3 Information, then CC. Returns true when a probe could not yet
  // tie the connection to the IMSI (TMSI it has never seen paired): the caller must resolve it.
  bool open_conn(script& sc, std::uint32_t sub, initial kind, std::uint8_t extra, lu_type lt, bool use_imsi,
                 bool refuse) {
    auto& s = _subs[sub];
    sc.c = conn_ctx{};
    sc.c.sub = sub;
    sc.c.cell = s.cell;
    sc.c.bsc = _net.cells[s.cell].bsc;
    sc.c.bsc_ref = ref();
    sc.c.msc_ref = ref() ^ 0x800000;
    sc.c.sls = static_cast<std::uint8_t>(_rng.below(16));
    msg& cr = add(sc, 0, mk::cr, dir::up);
    cr.sub_kind = static_cast<std::uint8_t>(kind);
    cr.cause = extra;
    cr.lu = static_cast<std::uint8_t>(lt);
    const bool by_tmsi = s.has_tmsi && !use_imsi;
    cr.id_type = static_cast<std::uint8_t>(by_tmsi ? id_kind::tmsi : id_kind::imsi);
    cr.tmsi = s.tmsi;
    cr.lac = s.sim_lac;
    cr.old_plmn = s.sim_plmn;
    if (refuse) {
      msg& r = add(sc, net(), mk::cref, dir::down);
      r.cause = 0x04;  // Q.713 3.15: end user congestion... (refusal cause)
      return false;
    }
    add(sc, net(), mk::cc, dir::down);
    return by_tmsi && !s.probe_knows_tmsi;
  }

  // Authentication, ciphering, identity checks and Common ID, as an MSC does after CC.
  // `need_id`: the connection must be resolved here (identity request or Common ID).
  void security(script& sc, std::uint32_t sub, bool need_id, bool foreign_tmsi, double p_imei) {
    auto& s = _subs[sub];
    bool resolved = !need_id;
    if (need_id && (foreign_tmsi || _rng.chance(0.35))) {
      // TMSI unknown to the VLR: ask the mobile (TS 24.008 4.3.3).
      msg& rq = add(sc, net(), mk::id_request, dir::down);
      rq.id_type = static_cast<std::uint8_t>(id_kind::imsi);
      msg& rs = add(sc, radio(), mk::id_response, dir::up);
      rs.id_type = static_cast<std::uint8_t>(id_kind::imsi);
      resolved = true;
    }
    if (_rng.chance(0.5)) {
      msg& a = add(sc, net(), mk::auth_request, dir::down);
      a.num = _rng.next() >> 8;
      msg& b = add(sc, radio(), mk::auth_response, dir::up);
      b.num = a.num;
    }
    const bool imei_now = s.force_imei || _rng.chance(p_imei);
    s.force_imei = false;
    if (imei_now) s.imei_shown = true;
    if (_rng.chance(0.85)) {
      // Iu-CS has no IMEISV in the Security Mode Complete (TS 25.413 9.1.12): an identity check.
      const bool with_imeisv = imei_now && _rng.chance(0.7) && !iu();
      msg& c = add(sc, net(), mk::cipher_cmd, dir::down);
      c.num = _rng.next();
      if (with_imeisv) c.flags |= mf_imeisv;
      msg& k = add(sc, radio(), mk::cipher_complete, dir::up);
      if (with_imeisv) {
        k.flags |= mf_imeisv;
        k.num = s.imei14;
        k.svn = s.svn;
      }
      if (imei_now && !with_imeisv) identity_check(sc, sub);
    } else if (imei_now) {
      identity_check(sc, sub);
    }
    if (!resolved || _rng.chance(0.6)) {
      add(sc, net(), mk::common_id, dir::down);
      resolved = true;
    }
    if (s.has_tmsi) s.probe_knows_tmsi = true;  // the connection is tied to the IMSI by now
  }

  // TMSI Reallocation Command / Complete (TS 24.008 4.3.1) on a connection already tied to the IMSI.
  void maybe_reallocate(script& sc, std::uint32_t sub) {
    auto& s = _subs[sub];
    if (!_rng.chance(0.06)) return;
    msg& c = add(sc, net(), mk::tmsi_realloc_cmd, dir::down);
    c.tmsi = tmsi_of(_tmsi_counter++);
    s.tmsi = c.tmsi;
    s.has_tmsi = true;
    s.probe_knows_tmsi = true;
    add(sc, radio(), mk::tmsi_realloc_complete, dir::up);
  }

  void identity_check(script& sc, std::uint32_t sub) {
    const auto& s = _subs[sub];
    const id_kind k = _rng.chance(0.5) ? id_kind::imei : id_kind::imeisv;
    msg& rq = add(sc, net(), mk::id_request, dir::down);
    rq.id_type = static_cast<std::uint8_t>(k);
    msg& rs = add(sc, radio(), mk::id_response, dir::up);
    rs.id_type = static_cast<std::uint8_t>(k);
    rs.num = s.imei14;
    rs.svn = s.svn;
  }

  // Clear Command / Complete (TS 48.008 3.1.9), then SCCP RLSD / RLC.
  void clear(script& sc, std::int64_t first_delay) {
    add(sc, first_delay, mk::clear_cmd, dir::down);
    add(sc, radio(), mk::clear_complete, dir::up);
    add(sc, net(), mk::rlsd, dir::down);
    add(sc, net(), mk::rlc, dir::up);
  }

  std::uint32_t cell_in_other_la(std::uint32_t from) {
    for (int tries = 0; tries < 32; ++tries) {
      const std::uint32_t c = _rng.below(static_cast<std::uint32_t>(_net.cells.size()));
      if (_net.cells[c].lac != _net.cells[from].lac) return c;
    }
    return from;
  }
  std::uint32_t cell_in_same_la(std::uint32_t from) {
    const auto& f = _net.cells[from];
    const std::uint32_t first = _net.bsc_first_cell[f.bsc];
    const std::uint32_t la_first = first + (from - first) / 6 * 6;
    return la_first + _rng.below(6);
  }
  std::uint32_t neighbour_in_bsc(std::uint32_t from) {
    const auto& f = _net.cells[from];
    const std::uint32_t first = _net.bsc_first_cell[f.bsc];
    std::uint32_t c = first + _rng.below(_net.bsc_cell_count[f.bsc]);
    if (c == from) c = first + (c - first + 1) % _net.bsc_cell_count[f.bsc];
    return c;
  }

  void build_lu(script& sc, std::uint32_t sub, lu_type lt) {
    auto& s = _subs[sub];
    if (class_place(sub)) {
      // the behaviour class chose the cell
    } else if (lt == lu_type::normal) {
      s.cell = cell_in_other_la(s.cell);
    } else if (lt == lu_type::periodic) {
      if (_rng.chance(0.4)) s.cell = cell_in_same_la(s.cell);
    } else if (_rng.chance(0.5)) {
      s.cell = _rng.below(static_cast<std::uint32_t>(_net.cells.size()));
    }
    const bool foreign_tmsi = s.sim_plmn != 0;
    // Inbound roamers from some networks have no roaming agreement here (TS 24.008 4.4.4.7).
    const bool barred_roamer = s.roamer && s.roam_plmn >= foreign_plmns.size() - 1;
    const bool reject = barred_roamer || _rng.chance(_cfg.mix.reject / 100.0);
    const bool by_tmsi = s.has_tmsi;
    const bool resolvable_now = !by_tmsi || s.probe_knows_tmsi;
    const bool refuse = resolvable_now && !reject && _rng.chance(_cfg.mix.cref / 1000.0);
    const bool need_id = open_conn(sc, sub, initial::lu_request, 0, lt, false, refuse);
    if (refuse) {
      s.pending = static_cast<std::uint8_t>(lt == lu_type::normal     ? proc::lu
                                            : lt == lu_type::periodic ? proc::periodic
                                                                      : proc::attach);
      return;
    }
    const double p_imei = lt == lu_type::imsi_attach ? 0.75 : 0.15;
    security(sc, sub, need_id, foreign_tmsi, p_imei);
    if (reject) {
      msg& r = add(sc, net(), mk::lu_reject, dir::down);
      static constexpr std::array<std::uint8_t, 4> home_causes{17, 12, 15, 17};  // network failure, LA not allowed..
      r.cause = barred_roamer ? (_rng.chance(0.5) ? 11 : 13) : home_causes[_rng.below(home_causes.size())];
      s.state = reg_state::unregistered;
      clear(sc, net());
      return;
    }
    const bool new_tmsi =
        lt == lu_type::imsi_attach || !s.has_tmsi || foreign_tmsi || _rng.chance(lt == lu_type::normal ? 0.5 : 0.15);
    if (_rng.chance(0.3)) add(sc, quick(), mk::mm_info, dir::down);
    msg& acc = add(sc, quick(), mk::lu_accept, dir::down);
    if (new_tmsi) {
      acc.flags |= mf_new_tmsi;
      acc.tmsi = tmsi_of(_tmsi_counter++);
      s.tmsi = acc.tmsi;
      s.has_tmsi = true;
      s.probe_knows_tmsi = true;
      add(sc, radio(), mk::tmsi_realloc_complete, dir::up);
    }
    s.state = reg_state::attached;
    s.sim_plmn = 0;
    s.sim_lac = _net.cells[s.cell].lac;
    clear(sc, new_tmsi ? net() : radio());
  }

  void build_detach(script& sc, std::uint32_t sub, bool new_handset) {
    auto& s = _subs[sub];
    const bool need_id = open_conn(sc, sub, initial::imsi_detach, 0, lu_type::normal, false, false);
    if (need_id) add(sc, net(), mk::common_id, dir::down);
    if (s.has_tmsi) s.probe_knows_tmsi = true;
    clear(sc, net());
    s.state = reg_state::detached;
    if (new_handset) {
      // The SIM moves to another phone; the MSC checks the IMEI at the next attach.
      s.imei14 = new_imei14();
      s.svn = static_cast<std::uint8_t>(1 + _rng.below(40));
      s.imei_shown = false;
      s.force_imei = true;
    }
    s.pending = new_handset ? static_cast<std::uint8_t>(proc::attach) : no_procedure;
  }

  struct number {
    std::uint64_t v;
    std::uint8_t len;
  };
  number pick_number() {
    const std::uint32_t r = _rng.below(100);
    if (r < 45) {  // another mobile
      const auto& o = _subs[_rng.below(static_cast<std::uint32_t>(_subs.size()))];
      return {o.msisdn, 11};
    }
    if (r < 55) return {10086, 5};  // operator service line
    if (r < 62) return {12580, 5};  // information service
    if (r < 70) {                   // long distance with the IP prefix 12593: 12593 0AAA NNNNNNNN
      const number ld = long_distance();
      return {12593 * pow10_u64(ld.len) + ld.v, static_cast<std::uint8_t>(ld.len + 5)};
    }
    if (r < 73) return {1860, 4};                                    // the operator's old service hotline
    if (r < 79) return {18600000000ULL + _rng.below(10000000), 11};  // 1860xxxxxxx: mobiles of another operator
    if (r < 92) return long_distance();                              // 0 + area code + local number, no prefix
    return {95500 + _rng.below(100), 5};                             // bank / service short codes
  }
  static std::uint64_t pow10_u64(unsigned n) {
    std::uint64_t v = 1;
    while (n-- > 0) v *= 10;
    return v;
  }
  // A national long-distance number: trunk prefix 0, area code (2 or 3 digits), 8-digit local
  // number (first digit 2-8). Leading zero: `v` holds the digits after it, `len` counts it.
  number long_distance() {
    static constexpr std::array<std::uint16_t, 16> areas{10, 20, 21,  22,  23,  24,  25,  27,
                                                         28, 29, 371, 571, 731, 755, 769, 898};
    const std::uint16_t area = areas[_rng.below(areas.size())];
    const std::uint64_t local = (2 + _rng.below(7)) * 10000000ULL + _rng.below(10000000);
    const std::uint8_t area_len = area < 100 ? 2 : 3;
    return {area * 100000000ULL + local, static_cast<std::uint8_t>(1 + area_len + 8)};
  }

  void talk_with_handovers(script& sc, std::uint32_t sub, std::int64_t talk_us) {
    if (iu()) {  // no relocation (TS 25.413 8.6) on Iu-CS: the call stays in its cell (README)
      _t += talk_us;
      return;
    }
    auto& s = _subs[sub];
    std::int64_t left = talk_us;
    while (left > 20000000 && _rng.chance(0.35) && sc.n + 14u < max_steps) {
      const std::int64_t before = _rng.range(5000000, left - 5000000);
      left -= before;
      // Drawn only when asked for: without it the random stream (and every capture) is as before.
      if (_cfg.mix.interbsc > 0 && _cfg.bscs >= 2 && s.kind == behaviour::ordinary && sc.leg_flags == 0 &&
          sc.n + 24u < max_steps && _rng.below(100) < _cfg.mix.interbsc) {
        inter_bsc_handover(sc, sub, before);
        continue;
      }
      const std::uint32_t target = handover_target(sub);
      std::int64_t delay = before;
      if (_rng.chance(0.5)) {
        msg& r = add(sc, delay, mk::ho_required, dir::up);
        r.ci = static_cast<std::uint16_t>(_rng.below(18));
        if (_rng.chance(0.4)) r.flags |= mf_large;
        delay = net();
        if (_rng.chance(0.3)) {
          add(sc, delay, mk::ho_required_reject, dir::down);
          delay = _rng.range(500000, 2000000);
        }
      }
      msg& p = add(sc, delay, mk::ho_performed, dir::up);
      p.lac = _net.cells[target].lac;
      p.ci = _net.cells[target].ci;
      s.cell = target;
    }
    _t += left;
  }

  // Inter-BSC handover, MSC controlled (TS 48.008 3.1.5.2): Handover Required on the old
  // connection; the MSC opens a new one to the target BSC with Handover Request (the IMSI in half
  // of them), which the target acknowledges in the CC with the RR Handover Command; the MSC relays
  // that in the Handover Command on the old connection; Handover Detect and Complete come on the
  // new one, and the old one is cleared (cause: handover successful). The rest of the script runs
  // on the new connection (mf_new_leg).
  void inter_bsc_handover(script& sc, std::uint32_t sub, std::int64_t delay) {
    auto& s = _subs[sub];
    const std::uint8_t from_bsc = _net.cells[s.cell].bsc;
    const auto other = static_cast<std::uint8_t>((from_bsc + 1 + _rng.below(_cfg.bscs - 1)) % _cfg.bscs);
    const std::uint32_t target = _net.bsc_first_cell[other] + _rng.below(_net.bsc_cell_count[other]);
    msg& req = add(sc, delay, mk::ho_required, dir::up);
    req.ci = static_cast<std::uint16_t>(_rng.below(18));
    sc.c2 = conn_ctx{};
    sc.c2.sub = sub;
    sc.c2.cell = target;
    sc.c2.bsc = other;
    sc.c2.bsc_ref = ref();
    sc.c2.msc_ref = ref() ^ 0x800000;
    sc.c2.sls = static_cast<std::uint8_t>(_rng.below(16));
    const std::uint64_t command = _rng.next();  // the RR Handover Command's variable octets
    sc.leg_flags = mf_new_leg;
    msg& rq = add(sc, net(), mk::ho_request, dir::down);
    rq.lac = _net.cells[target].lac;
    rq.ci = _net.cells[target].ci;
    rq.num = std::uint64_t{_net.cells[s.cell].lac} << 16 | _net.cells[s.cell].ci;  // the serving cell
    if (_rng.chance(0.5)) rq.flags |= mf_old_leg;                                  // with the IMSI
    add(sc, net(), mk::ho_request_ack, dir::up).num = command;
    sc.leg_flags = mf_old_leg;
    add(sc, net(), mk::ho_command, dir::down).num = command;
    sc.leg_flags = mf_new_leg;
    add(sc, radio(), mk::ho_detect, dir::up);
    msg& done = add(sc, radio(), mk::ho_complete, dir::up);
    done.lac = _net.cells[target].lac;
    done.ci = _net.cells[target].ci;
    sc.leg_flags = mf_old_leg;
    msg& cc = add(sc, net(), mk::clear_cmd, dir::down);
    cc.cause = 0x0B;  // 3.2.2.5: handover successful
    add(sc, radio(), mk::clear_complete, dir::up);
    add(sc, net(), mk::rlsd, dir::down);
    add(sc, net(), mk::rlc, dir::up);
    sc.leg_flags = mf_new_leg;
    s.cell = target;
  }

  void build_call(script& sc, std::uint32_t sub, bool mo) {
    auto& s = _subs[sub];
    if (_rng.chance(0.3) && !class_place(sub)) s.cell = cell_in_same_la(s.cell);
    const std::uint8_t v = s.next_ti;
    s.next_ti = static_cast<std::uint8_t>((s.next_ti + 1) % 7);
    // TI flag (TS 24.007 11.2.3.1.3): 0 from the side that originated the transaction.
    const std::uint8_t ti_ms = mo ? v : static_cast<std::uint8_t>(v | 8);
    const std::uint8_t ti_net = mo ? static_cast<std::uint8_t>(v | 8) : v;
    bool need_id = false;
    if (mo) {
      need_id = open_conn(sc, sub, initial::cm_service_request, 1, lu_type::normal, false, false);
    } else {
      page(sc, sub);
      need_id = open_conn(sc, sub, initial::paging_response, 0, lu_type::normal, false, false);
    }
    security(sc, sub, need_id, false, 0.05);
    maybe_reallocate(sc, sub);
    const number peer = pick_number();
    if (mo) {
      msg& st = add(sc, radio(), mk::cc_setup, dir::up);
      st.ti = ti_ms;
      st.num = peer.v;
      st.num_len = peer.len;
      add(sc, net(), mk::cc_call_proceeding, dir::down).ti = ti_net;
    } else {
      msg& st = add(sc, net(), mk::cc_setup, dir::down);
      st.ti = ti_net;
      const number caller =
          _rng.chance(0.6) ? number{_subs[_rng.below(static_cast<std::uint32_t>(_subs.size()))].msisdn, 11} : peer;
      st.num = caller.v;
      st.num_len = caller.len;
      if (_rng.chance(0.12)) st.flags |= mf_no_number;  // presentation restricted: IE absent
      add(sc, radio(), mk::cc_call_confirmed, dir::up).ti = ti_ms;
    }
    const std::uint32_t r = _rng.below(100);
    // MO outcomes: answered, busy 17, no answer 19, unassigned 1, rejected 21, caller abandons.
    // MT outcomes: answered, busy 17 (user determined), no answer 19, rejected 21.
    enum class outcome { answered, busy, no_answer, unassigned, rejected, abandon } o = outcome::answered;
    if (mo) {
      o = r < 62   ? outcome::answered
          : r < 72 ? outcome::busy
          : r < 82 ? outcome::no_answer
          : r < 87 ? outcome::unassigned
          : r < 92 ? outcome::rejected
                   : outcome::abandon;
    } else {
      o = r < 70 ? outcome::answered : r < 80 ? outcome::busy : r < 94 ? outcome::no_answer : outcome::rejected;
    }
    const dir ms = dir::up;
    const dir nw = dir::down;
    auto clearing = [&](dir first, std::uint8_t cause, std::int64_t delay) {
      msg& d = add(sc, delay, mk::cc_disconnect, first);
      d.ti = first == ms ? ti_ms : ti_net;
      d.cause = cause;
      const dir second = first == ms ? nw : ms;
      msg& rel = add(sc, first == ms ? net() : radio(), mk::cc_release, second);
      rel.ti = second == ms ? ti_ms : ti_net;
      rel.cause = _rng.chance(0.5) ? cause : 0;
      msg& rc = add(sc, first == ms ? radio() : net(), mk::cc_release_complete, first);
      rc.ti = first == ms ? ti_ms : ti_net;
    };
    if (mo && o == outcome::unassigned) {
      clearing(nw, 1, _rng.range(300000, 1500000));
      clear(sc, quick());
      return;
    }
    if (iu()) {
      // No RAB Assignment on Iu-CS here (README); the MSC asks for the service area instead
      // (TS 25.413 8.18, 8.19), which the RNC reports at once.
      add(sc, net(), mk::location_control, dir::down);
      add(sc, net(), mk::location_report, dir::up);
    } else {
      add(sc, net(), mk::assign_req, dir::down);
      add(sc, radio(), mk::assign_complete, dir::up);
    }
    if (o == outcome::busy) {
      clearing(mo ? nw : ms, 17, mo ? _rng.range(500000, 3000000) : _rng.range(2000000, 8000000));
      clear(sc, quick());
      return;
    }
    const std::int64_t ring = _rng.range(1000000, 4000000);
    add(sc, ring, mk::cc_alerting, mo ? nw : ms).ti = mo ? ti_net : ti_ms;
    if (o == outcome::rejected) {
      clearing(mo ? nw : ms, 21, _rng.range(2000000, 10000000));
      clear(sc, quick());
      return;
    }
    if (o == outcome::no_answer) {
      clearing(nw, 19, _rng.range(25000000, 45000000));
      clear(sc, quick());
      return;
    }
    if (o == outcome::abandon) {
      clearing(ms, 16, _rng.range(3000000, 20000000));
      clear(sc, quick());
      return;
    }
    add(sc, _rng.range(2000000, 15000000), mk::cc_connect, mo ? nw : ms).ti = mo ? ti_net : ti_ms;
    add(sc, mo ? radio() : net(), mk::cc_connect_ack, mo ? ms : nw).ti = mo ? ti_ms : ti_net;
    talk_with_handovers(sc, sub, human(60.0));
    clearing(_rng.chance(0.5) ? ms : nw, 16, net());
    clear(sc, quick());
  }

  // BSSMAP Paging (TS 48.008 3.2.1.19) with IMSI and, when the mobile has one, the TMSI.
  void page(script& sc, std::uint32_t sub) {
    auto& s = _subs[sub];
    sc.c = conn_ctx{};
    sc.c.sub = sub;
    sc.c.cell = s.cell;
    sc.c.bsc = _net.cells[s.cell].bsc;
    sc.c.sls = static_cast<std::uint8_t>(_rng.below(16));
    msg& p = add(sc, 0, mk::paging, dir::down);
    if (s.has_tmsi) {
      p.id_type = static_cast<std::uint8_t>(id_kind::tmsi);
      p.tmsi = s.tmsi;
      s.probe_knows_tmsi = true;
    } else {
      p.id_type = static_cast<std::uint8_t>(id_kind::imsi);
    }
    _t += _rng.range(200000, 900000);
  }

  void build_sms(script& sc, std::uint32_t sub, bool mo) {
    const std::uint8_t v = static_cast<std::uint8_t>(_rng.below(7));
    const std::uint8_t ti_ms = mo ? v : static_cast<std::uint8_t>(v | 8);
    const std::uint8_t ti_net = mo ? static_cast<std::uint8_t>(v | 8) : v;
    bool need_id = false;
    if (mo) {
      need_id = open_conn(sc, sub, initial::cm_service_request, 4, lu_type::normal, false, false);
    } else {
      page(sc, sub);
      need_id = open_conn(sc, sub, initial::paging_response, 0, lu_type::normal, false, false);
    }
    security(sc, sub, need_id, false, 0.05);
    maybe_reallocate(sc, sub);
    const bool long_text = _rng.chance(0.25);
    const auto text = static_cast<std::uint8_t>(
        long_text ? sms_long_first + _rng.below(sms_texts.size() - sms_long_first) : _rng.below(sms_long_first));
    if (mo) {
      const number to = _rng.chance(0.2) ? number{10086, 5} : pick_number();
      msg& d = add(sc, radio(), mk::sms_submit, dir::up);
      d.ti = ti_ms;
      d.num = to.v;
      d.num_len = to.len;
      d.text = text;
      add(sc, net(), mk::sms_cp_ack, dir::down).ti = ti_net;
      msg& a = add(sc, _rng.range(200000, 1500000), mk::sms_rp_ack, dir::down);
      a.ti = ti_net;
      a.num = static_cast<std::uint64_t>(text) * 7 + ti_ms;
      add(sc, radio(), mk::sms_cp_ack, dir::up).ti = ti_ms;
    } else {
      msg& d = add(sc, net(), mk::sms_deliver, dir::down);
      d.ti = ti_net;
      d.text = text;
      const std::uint32_t r = _rng.below(10);
      if (r < 3) {
        d.flags |= mf_alpha;
        d.num = _rng.below(alpha_senders.size());
      } else if (r < 5) {
        d.num = 106500000000ULL + _rng.below(100000000);  // 1065xxxxxxxx service senders
        d.num_len = 12;
      } else {
        d.num = _subs[_rng.below(static_cast<std::uint32_t>(_subs.size()))].msisdn;
        d.num_len = 11;
      }
      add(sc, radio(), mk::sms_cp_ack, dir::up).ti = ti_ms;
      msg& a = add(sc, quick(), mk::sms_rp_ack, dir::up);
      a.ti = ti_ms;
      a.num = static_cast<std::uint64_t>(text) * 5 + 1;
      add(sc, net(), mk::sms_cp_ack, dir::down).ti = ti_net;
    }
    clear(sc, net());
  }

  void build_ussd(script& sc, std::uint32_t sub) {
    const std::uint8_t v = static_cast<std::uint8_t>(_rng.below(7));
    const bool need_id = open_conn(sc, sub, initial::cm_service_request, 8, lu_type::normal, false, false);
    security(sc, sub, need_id, false, 0.05);
    msg& r = add(sc, radio(), mk::ss_register_ussd, dir::up);
    r.ti = v;
    r.text = static_cast<std::uint8_t>(_rng.below(ussd_strings.size()));
    msg& a = add(sc, _rng.range(500000, 3000000), mk::ss_release_complete_ussd, dir::down);
    a.ti = static_cast<std::uint8_t>(v | 8);
    a.text = static_cast<std::uint8_t>(_rng.below(ussd_answers.size()));
    clear(sc, net());
  }

  // ---- behaviour classes (mix stayer, rider, tourist, shopper, flaky, silent) -----------------

  // Each subscriber gets at most one class, from a random stream of its own (the seed's), so
  // that the classes do not depend on anything else the generator draws.
  void assign_behaviours() {
    rng r(_cfg.seed ^ 0xB5AD4ECEDA1CE2A9ULL);
    const auto& m = _cfg.mix;
    const bool named = _cfg.bscs >= named_cells_bscs;
    const auto n_cells = static_cast<std::uint32_t>(_net.cells.size());
    for (auto& s : _subs) {
      const std::uint32_t x = r.below(100);
      const std::uint32_t y = r.below(1u << 30);
      if (s.roamer && s.roam_plmn >= barred_plmn_first) continue;  // never registers
      std::uint32_t acc = 0;
      behaviour k = behaviour::ordinary;
      if (x < (acc += m.stayer)) {
        k = behaviour::airport_stayer;
      } else if (x < (acc += m.rider)) {
        k = behaviour::train_rider;
      } else if (x < (acc += m.tourist)) {
        k = behaviour::tourist;
      } else if (x < (acc += m.shopper)) {
        k = behaviour::shopper;
      } else if (x < (acc += m.flaky)) {
        k = behaviour::flaky;
      } else if (x < (acc += m.silent)) {
        k = behaviour::silent;
      }
      const bool needs_cells = k == behaviour::airport_stayer || k == behaviour::train_rider ||
                               k == behaviour::tourist || k == behaviour::shopper;
      if (needs_cells && !named) k = behaviour::ordinary;
      if (k == behaviour::silent && s.state != reg_state::attached) k = behaviour::ordinary;  // on at the start
      s.kind = k;
      std::uint32_t start = s.cell;
      if (k == behaviour::airport_stayer) start = airport_cells[y % airport_cells.size()];
      if (k == behaviour::train_rider) {
        s.line_pos = static_cast<std::uint8_t>(y % railway_cells.size());
        s.line_back = ((y >> 4) & 1) != 0;
        start = railway_cells[s.line_pos];
      }
      if (k == behaviour::tourist || k == behaviour::shopper) {
        s.line_pos = static_cast<std::uint8_t>(y % scenic_cells.size());
        const std::uint32_t dest = class_destination(s);
        // They arrive with a location update: start in another location area.
        if (_net.cells[start].lac == _net.cells[dest].lac) start = (dest + 6) % n_cells;
      }
      if (start != s.cell) {
        s.cell = start;
        if (s.state == reg_state::attached && s.sim_plmn == 0) s.sim_lac = _net.cells[start].lac;
      }
    }
  }

  static std::uint32_t class_destination(const subscriber& s) {
    return s.kind == behaviour::shopper ? outlet_cell : scenic_cells[s.line_pos % scenic_cells.size()];
  }

  // Share of the first procedure's random start time: the active classes start early, the
  // silent ones switch off early.
  static double class_first_share(const subscriber& s) {
    switch (s.kind) {
      case behaviour::silent:
        return 0.08;
      case behaviour::airport_stayer:
      case behaviour::train_rider:
      case behaviour::flaky:
        return 0.2;
      default:
        return 1.0;
    }
  }

  // The procedure a class turns the mix's choice into (retries and follow-ups stay as they are).
  proc class_procedure(std::uint32_t sub, proc p) {
    auto& s = _subs[sub];
    if (s.pending != no_procedure) return p;
    const bool attached = s.state == reg_state::attached;
    const bool stays = p == proc::lu || p == proc::detach;
    switch (s.kind) {
      case behaviour::ordinary:
        return p;
      case behaviour::tourist:
      case behaviour::shopper:
        if (s.class_step == 0 && s.state != reg_state::detached) {
          s.class_step = 1;  // the journey: a location update into the destination's area
          return proc::lu;
        }
        return attached && s.class_step >= 2 && stays ? proc::periodic : p;
      case behaviour::airport_stayer:
        return attached && stays ? proc::periodic : p;
      case behaviour::train_rider: {
        if (!attached) return p;
        const std::uint32_t from = s.cell;
        advance_on_line(s);
        if (_net.cells[s.cell].lac != _net.cells[from].lac) return proc::lu;
        return stays || p == proc::handset ? proc::periodic : p;
      }
      case behaviour::flaky:
        if (attached && p != proc::handset && ++s.class_step % 4 != 0) return proc::detach;
        return p;
      case behaviour::silent:
        if (s.class_step == 0 && attached) {
          s.class_step = 1;
          return proc::detach;
        }
        return p;
    }
    return p;
  }

  void advance_on_line(subscriber& s) {
    const auto last = static_cast<std::uint8_t>(railway_cells.size() - 1);
    if (s.line_pos == 0) s.line_back = false;
    if (s.line_pos == last) s.line_back = true;
    s.line_pos = static_cast<std::uint8_t>(s.line_back ? s.line_pos - 1 : s.line_pos + 1);
    s.cell = railway_cells[s.line_pos];
  }

  // Places the subscriber for a location update or a call when its class decides where it is;
  // false: the ordinary movement applies.
  bool class_place(std::uint32_t sub) {
    auto& s = _subs[sub];
    switch (s.kind) {
      case behaviour::airport_stayer:
        if (s.cell != airport_cells[0] && s.cell != airport_cells[1]) s.cell = airport_cells[0];
        return true;
      case behaviour::train_rider:
        s.cell = railway_cells[s.line_pos];
        return true;
      case behaviour::tourist:
      case behaviour::shopper:
        if (s.class_step == 0) return false;
        s.class_step = 2;
        s.cell = class_destination(s);
        return true;
      default:
        return false;
    }
  }

  std::uint32_t handover_target(std::uint32_t sub) {
    auto& s = _subs[sub];
    if (s.kind == behaviour::train_rider) {
      advance_on_line(s);
      return s.cell;
    }
    if (s.kind == behaviour::airport_stayer) return s.cell == airport_cells[0] ? airport_cells[1] : airport_cells[0];
    return neighbour_in_bsc(s.cell);
  }

  // The pause before the next procedure, as the class lives.
  double class_gap(std::uint32_t sub, std::int64_t done, double gap) {
    auto& s = _subs[sub];
    if (s.pending != no_procedure) return gap;
    const bool attached = s.state == reg_state::attached;
    switch (s.kind) {
      case behaviour::airport_stayer:
        return attached ? 20e6 + _rng.expo(40e6) : gap;
      case behaviour::train_rider:
        return attached ? 15e6 + _rng.unit() * 25e6 : gap;
      case behaviour::tourist:
      case behaviour::shopper:
        return s.class_step >= 2 && attached ? 30e6 + _rng.expo(60e6) : gap;
      case behaviour::flaky:
        return 10e6 + _rng.expo(30e6);
      case behaviour::silent:
        if (s.class_step == 1 && !attached) {
          // Off for most of the period: on again at 75-95 % of it (or later than the mix would).
          s.class_step = 2;
          const double span = static_cast<double>(_end_us - _cfg.start_us);
          const double on_at = static_cast<double>(_cfg.start_us) + span * (0.75 + 0.2 * _rng.unit());
          return std::max(gap, on_at - static_cast<double>(done));
        }
        return gap;
      default:
        return gap;
    }
  }

 public:
  void export_world(operator_world& w) const {
    w.subscribers.clear();
    w.subscribers.reserve(_subs.size());
    for (const auto& s : _subs) {
      world_subscriber ws;
      ws.imsi.assign(s.imsi.data(), s.imsi_len);
      ws.msisdn = s.msisdn;
      ws.roam_plmn = s.roam_plmn;
      ws.barred = s.roamer && s.roam_plmn >= barred_plmn_first;
      ws.kind = static_cast<std::uint8_t>(s.kind);
      w.subscribers.push_back(std::move(ws));
    }
    w.tacs.clear();
    for (std::size_t i = 0; i < handset_models.size(); ++i) {
      if (_tac_used[i]) w.tacs.push_back(handset_models[i].tac);
    }
    std::sort(w.tacs.begin(), w.tacs.end());
  }

 private:
  const config& _cfg;
  rng _rng;
  capture_writer _writer;
  network _net;
  std::vector<subscriber> _subs;
  world_view _view;
  std::unique_ptr<observer> _obs;
  std::unique_ptr<link> _link;
  std::vector<script> _scripts;
  std::vector<std::int32_t> _free;
  scheduler _sched{_cfg.start_us};
  std::uint64_t _seq = 0;
  std::int64_t _t = 0;
  double _interval_us = 300e6;
  std::uint32_t _tmsi_counter = 1;
  std::uint32_t _ref_counter = 0x10000;
  std::uint64_t _messages = 0;
  std::array<std::uint8_t, 4096> _sccp{};
  std::array<bool, handset_models.size()> _tac_used{};
  std::int64_t _end_us = 0;
  std::uint64_t _msisdn_offset = 0;
};

}  // namespace

stats generate(const config& cfg, sink& capture, sink* truth, operator_world* world) {
  generator g(cfg, capture, truth);
  const stats st = g.run();
  if (world != nullptr) g.export_world(*world);
  return st;
}

}  // namespace bssap::synth
