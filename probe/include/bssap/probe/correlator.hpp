// correlator: turns the A-interface records of every connection into behaviour events.
// Owns the subscriber state (per IMSI), the TMSI -> IMSI map learned from the wire and the
// per-connection correlation state (subscriber, cell, calls, messages held until the IMSI is
// known). Single-threaded: one instance owns its state; records must arrive in capture order.
// References: ../../../EVENTS.md (the exact semantics), ../../../../../shared/spec/events.md.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bssap/event.hpp"
#include "bssap/event_sink.hpp"
#include "bssap/probe/a_record.hpp"
#include "bssap/probe/flat_map.hpp"

namespace bssap::probe {

struct correlator_config {
  std::vector<std::string> home_plmns;  // "460-00": MCC + MNC as the IMSI starts with them
  bool link_field = false;              // write `link` into events
  std::size_t max_connections = 1u << 20;
  std::size_t max_subscribers = 16u << 20;
  std::size_t max_held_per_connection = 64;
};

struct correlator_stats {
  std::uint64_t records = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(a_kind::count_)> by_kind{};
  std::array<std::uint64_t, event_type_count> events{};
  std::uint64_t unresolved_events = 0;      // emitted without an IMSI
  std::uint64_t held_records = 0;           // records held until the IMSI was known / the CR confirmed
  std::uint64_t refused_records = 0;        // records of a CR answered by CREF: discarded, no event
  std::uint64_t hold_overflows = 0;         // connections that gave up holding (bound reached)
  std::uint64_t connection_evictions = 0;   // connections dropped because the table was full
  std::uint64_t subscriber_table_full = 0;  // records whose subscriber could not be stored
  std::uint64_t unknown_connection = 0;     // records for a connection never opened (no CL3 seen)
  std::uint64_t tmsi_resolved = 0;          // connections whose IMSI came from the TMSI map
  std::uint64_t tmsi_learned = 0;           // TMSI -> IMSI map updates
  // Inter-BSC handovers (EVENTS.md "Handover"): new connections tied to their old one by the
  // Handover Command relayed from the new BSC's Handover Request Acknowledge.
  std::uint64_t handovers_linked = 0;
  std::uint64_t handover_unmatched = 0;   // a Handover Command whose acknowledge was not seen
  std::uint64_t handover_key_reused = 0;  // an acknowledge replaced an unmatched one with equal octets
  correlator_stats& operator+=(const correlator_stats& o) noexcept;
};

class correlator {
 public:
  correlator(correlator_config config, event_sink& sink);

  // Feeds one record (capture order). tick records are ignored.
  void feed(const a_record& r) noexcept;
  // Ends every open connection (end of input): held messages go out unresolved.
  void close_all() noexcept;

  const correlator_stats& stats() const noexcept { return _stats; }
  std::size_t subscriber_count() const noexcept { return _subscriber_count; }
  std::size_t open_connections() const noexcept { return _connections.size(); }
  std::size_t tmsi_map_size() const noexcept { return _tmsi_map.size(); }

  // Subscriber state snapshot (--state DIR): a text file written to a temporary name and
  // renamed, so a crash never leaves half a snapshot. Returns false and sets `error` on failure.
  bool save_state(const std::filesystem::path& dir, std::string& error) const;
  // The same in two steps, so that the file I/O can happen on another thread: a copy of the
  // subscriber state in memory (no I/O), then its writing (any thread, the correlator untouched).
  struct state_copy;
  std::shared_ptr<const state_copy> copy_state() const;
  static bool write_state(const state_copy& copy, const std::filesystem::path& dir, std::string& error);
  bool load_state(const std::filesystem::path& dir, std::string& error);

 private:
  struct location {
    bool has_plmn = false, has_lac = false, has_ci = false;
    fixed_string<3> mcc, mnc;
    std::uint16_t lac = 0;
    std::uint32_t ci = 0;
  };
  struct subscriber {
    fixed_string<15> imsi;
    std::uint8_t attached = 0;  // 0 unknown, 1 attached, 2 detached
    bool has_location = false;
    location last;
    bool has_imei = false;
    fixed_string<14> imei;
    bool has_tmsi = false;  // last allocated TMSI (LU Accept, TMSI Reallocation Command)
    std::uint32_t tmsi = 0;
    bool has_map_tmsi = false;  // the TMSI this IMSI has in the TMSI map (to replace it)
    std::uint32_t map_tmsi = 0;
    bool lu_seen = false;
  };
  struct call {
    std::uint8_t ti = 0;
    bool answered = false, ended = false;
    std::int64_t connect_ts_us = 0;
    bool has_peer = false;
    fixed_string<184> peer;
  };
  // An event written when its LU procedure ends (spec "IMEI of a location update"), or one that
  // came after such an event on the same connection and must not overtake it.
  struct pending_event {
    event e;
    bool resolved = false;
    bool lu_family = false;      // power_on / location_update / periodic_update: IMEI, PLMN filled at the end
    bool first_lu_seen = false;  // the first LU seen for the IMSI: roaming_in is decided at the end
  };
  struct connection {
    bool open = false;           // pool slot in use
    std::uint64_t imsi_key = 0;  // 0: not known (yet)
    fixed_string<15> imsi;
    subscriber* sub = nullptr;  // cached: subscriber chunks never move
    bool has_tmsi = false;      // the TMSI the mobile identified itself with here
    std::uint32_t tmsi = 0;
    bool gave_up = false;      // hold bound reached: the rest goes out unresolved
    bool unconfirmed = false;  // its CR's records wait for conn_confirm (or are void on conn_refused)
    location cell;
    std::vector<a_record> held;
    std::vector<call> calls;
    bool lu_open = false;      // an LU procedure runs (request seen; no Accept, Reject or end yet)
    std::uint64_t ho_key = 0;  // its Handover Request Acknowledge, while no Command matched it
    std::vector<pending_event> pending;
    // Back to a fresh connection, keeping the vectors' capacity (no allocation when reused).
    void reset() noexcept {
      open = false;
      imsi_key = 0;
      imsi = {};
      sub = nullptr;
      has_tmsi = false;
      tmsi = 0;
      gave_up = false;
      unconfirmed = false;
      cell = location{};
      held.clear();
      calls.clear();
      lu_open = false;
      ho_key = 0;
      pending.clear();
    }
  };

  void on_connection_record(const a_record& r) noexcept;
  void learn_identity(connection& c, const a_record& r) noexcept;
  void process(connection& c, const a_record& r) noexcept;
  void release(std::uint64_t id, connection& c) noexcept;
  // Inter-BSC handover: `to` (the MSC's new connection) is the subscriber of `from` and takes
  // over its calls in progress.
  void hand_over(connection& from, connection& to) noexcept;
  void flush_held(connection& c, bool resolved) noexcept;
  void learn_tmsi(std::uint32_t tmsi, std::uint64_t imsi_key, subscriber& s) noexcept;
  subscriber* subscriber_for(std::uint64_t imsi_key, const fixed_string<15>& imsi) noexcept;
  call& call_for(connection& c, std::uint8_t ti) noexcept;
  call* find_call(connection& c, std::uint8_t ti) noexcept;
  void fill_common(event& e, const connection& c, const subscriber* s, const a_record& r) const noexcept;
  void emit(event& e, bool resolved) noexcept;
  // emit(), or behind the connection's open LU procedure (pending) while there is one.
  void emit_on(connection& c, event& e, bool resolved) noexcept;
  // Ends the connection's LU procedure: its events get the IMEI recorded by now and the PLMN of
  // the cell if learned since, roaming_in is decided, then they and those behind them go out.
  void end_lu(connection& c, subscriber* s) noexcept;
  void note_imei(connection& c, subscriber& s, const a_record& r) noexcept;
  bool is_home(std::string_view imsi, const location& cell) const noexcept;
  static void set_cell_from(location& cell, const a_record& r) noexcept;
  // prev_lac / prev_cell from a location, each when known.
  static void set_previous(event& e, const location& before) noexcept;
  static void set_peer(event& e, const decltype(event::peer)& peer) noexcept;

  correlator_config _config;
  event_sink& _sink;
  correlator_stats _stats;
  std::vector<std::string> _home_prefixes;
  // Subscribers live in fixed chunks that never move (connections cache subscriber*), indexed by
  // IMSI key in a flat table: no allocation per subscriber, one probe per lookup (the
  // std::unordered_map this replaces cost a node allocation each and a pointer chase per lookup).
  static constexpr std::size_t subscriber_chunk = 4096;
  subscriber* find_subscriber(std::uint64_t key) noexcept;
  subscriber& add_subscriber(std::uint64_t key);
  flat_map<std::uint64_t, std::uint32_t> _subscriber_index{1u << 16};
  std::vector<std::unique_ptr<subscriber[]>> _subscriber_chunks;
  std::size_t _subscriber_count = 0;
  flat_map<std::uint32_t, std::uint64_t> _tmsi_map{1u << 16};
  // Handover Request Acknowledge key -> the new connection's id and the acknowledge's time.
  struct handover_ack {
    std::uint64_t conn = 0;
    std::int64_t ts_us = 0;
  };
  flat_map<std::uint64_t, handover_ack> _handover_acks{1u << 10};
  // Open connections: id -> slot in a pool whose slots are reused (with their buffers), so a
  // new connection costs no allocation once the pool has grown to the peak of open ones.
  flat_map<std::uint64_t, std::uint32_t> _connections{1u << 14};
  std::vector<connection> _conn_pool;
  std::vector<std::uint32_t> _free_conns;
};

// IMSI digits -> a 64-bit key (length in the top byte, decimal value below); 0 when invalid.
std::uint64_t imsi_key(std::string_view digits) noexcept;

}  // namespace bssap::probe
