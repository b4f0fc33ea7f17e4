// The perfect observer: a model of a correct probe that sees every generated message when it is
// complete on the wire, and turns it into the events of ../shared/spec/events.md as
// probe/EVENTS.md fixes them. It keeps only what a probe could know from the wire (identities
// seen, TMSI map, last location, IMEI recorded) and holds a connection's events until a probe
// could tie the connection to an IMSI, exactly like the probe does.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bssap/event.hpp"
#include "links.hpp"
#include "world.hpp"

namespace bssap::synth {

class observer final : public delivery_sink {
 public:
  observer(const world_view& w, sink* truth);
  void deliver(const delivery& d, std::int64_t ts_us) override;
  // End of capture: connections still unresolved release their events without the IMSI.
  void finish();

  std::uint64_t events = 0;
  std::uint64_t unresolved = 0;
  bool write_ok = true;

 private:
  struct sub_state {
    bool loc_known = false;
    std::uint16_t lac = 0;
    std::uint16_t ci = 0;
    bool imei_known = false;
    std::uint64_t imei14 = 0;
    bool has_tmsi = false;  // last allocated TMSI (LU Accept / TMSI Reallocation Command)
    std::uint32_t tmsi = 0;
    bool lu_seen = false;
    std::uint32_t probe_tmsi = 0;  // the TMSI a probe's map ties to this IMSI
    bool probe_tmsi_valid = false;
  };
  struct call_state {
    bool active = false;
    std::uint8_t ti_value = 0;
    bool ms_originated = false;
    bool answered = false;
    bool ended = false;
    std::int64_t connect_ts = 0;
    bool has_peer = false;
    std::uint64_t peer = 0;
    std::uint8_t peer_len = 0;
  };
  struct conn_state {
    bool open = false;
    bool resolved = false;
    bool by_tmsi = false;
    std::uint32_t id_tmsi = 0;
    std::uint16_t lac = 0;
    std::uint16_t ci = 0;
    bool alloc_pending = false;  // TMSI allocated before the connection was resolved
    std::uint32_t alloc_tmsi = 0;
    call_state call;
    // Queue positions of this connection's held events (a full list falls back to a scan).
    std::array<std::uint64_t, 6> held_pos{};
    std::uint8_t held_n = 0;
    bool held_overflow = false;
    // The CR, until the CC confirms the connection (a CREF voids it: EVENTS.md).
    // Queue positions of the open LU procedure's events (the update's own and roaming_in).
    std::array<std::uint64_t, 2> lu_pos{};
    std::uint8_t lu_n = 0;
    bool cr_pending = false;
    std::int64_t cr_ts = 0;
    delivery cr{};
  };
  struct entry {
    event e;
    std::uint32_t sub = 0;
    std::uint8_t status = 0;  // 0 ready, 1 held, 2 dropped
    bool req_lac_valid = false;
    std::uint16_t req_lac = 0;
    bool proc = false;  // an LU event waiting for its procedure's end (blocks the queue)
  };

  void open_connection(const delivery& d, std::int64_t ts);
  void resolve(std::uint32_t sub);
  // Calls `f(entry&)` for every held entry of `sub`'s connection.
  template <typename F>
  void for_held(std::uint32_t sub, F&& f);
  void learn_tmsi(std::uint32_t sub, std::uint32_t tmsi);
  bool tmsi_known(std::uint32_t sub, std::uint32_t tmsi) const;
  event base_event(std::uint32_t sub, std::int64_t ts, event_type t) const;
  entry& push(std::uint32_t sub, const event& e);
  void emit_imei(std::uint32_t sub, std::uint64_t imei14, std::int64_t ts);
  void end_connection(std::uint32_t sub);
  void end_lu(std::uint32_t sub);
  void drain();
  void write_line(const event& e);

  world_view _w;
  sink* _truth;
  std::vector<sub_state> _subs;
  std::vector<conn_state> _conns;  // one SCCP connection per subscriber at a time
  // TMSI -> subscriber, open addressing, insert-only (TMSIs are never reused by the generator;
  // a replaced TMSI is recognised as stale through sub_state.probe_tmsi).
  std::vector<std::uint32_t> _map_keys;
  std::vector<std::uint32_t> _map_vals;
  std::size_t _map_used = 0;
  void map_put(std::uint32_t tmsi, std::uint32_t sub);
  bool map_get(std::uint32_t tmsi, std::uint32_t& sub) const;
  // Events in capture order; held entries block the ones behind them until resolved.
  std::vector<entry> _queue;
  std::uint64_t _head = 0;
  std::uint64_t _tail = 0;
  std::size_t _held = 0;
  std::string _out;
};

}  // namespace bssap::synth
