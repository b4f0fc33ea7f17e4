// flow_decoder: a frame to a_records, in two halves that a pipeline may run on different threads.
// The transport half (decode_transport) takes a frame down to SCCP units with dec::packet_stack:
// it needs every frame of a flow (SCTP TSNs and paths, TCP streams, MTP sequence numbers). The
// SCCP half (decode_unit) reassembles segmented SCCP messages, tracks SCCP connections (which
// side is the BSC, the connection each DT1 belongs to, release and idle timeout) and reduces
// every BSSAP message that matters for events to an a_record: it needs every unit of an SS7
// relation (dec::relation_of), whichever association, IP path or link carried it.
// decode() runs both. An instance owns all its state; it is used by one thread at a time.
// References: ITU-T Q.713/Q.714 (SCCP connection-oriented procedures), TS 48.008 3.1.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "bssap/decoders/a_message.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "bssap/decoders/sccp.hpp"
#include "bssap/decoders/stats.hpp"
#include "bssap/probe/a_record.hpp"
#include "bssap/probe/flat_map.hpp"

namespace bssap::probe {

struct record_sink {
  void* ctx = nullptr;
  void (*fn)(void*, const a_record&) noexcept = nullptr;
  void operator()(const a_record& r) const noexcept { fn(ctx, r); }
};
template <class F>
record_sink make_record_sink(F& callable) noexcept {
  return record_sink{static_cast<void*>(&callable),
                     [](void* ctx, const a_record& r) noexcept { (*static_cast<F*>(ctx))(r); }};
}

struct flow_decoder_config {
  dec::stack_config stack;
  dec::sccp_options sccp;
  std::size_t max_connections = 1u << 18;                 // SCCP connections tracked per worker
  std::int64_t connection_idle_timeout_us = 900'000'000;  // 15 min without a message (Q.714 Tiar order)
};

struct flow_decoder_stats {
  std::uint64_t sccp_messages = 0;
  std::uint64_t bssap_messages = 0;
  std::uint64_t non_bssap_ssn = 0;   // SCCP user data for another subsystem (not decoded)
  std::uint64_t ranap_nas_pdus = 0;  // DTAP found in RANAP (Iu-CS) NAS-PDUs and correlated
  std::uint64_t iu_ps_messages = 0;  // RANAP messages of Iu-PS connections (GMM/SM: counted only)
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_released = 0;
  std::uint64_t connections_timed_out = 0;
  std::uint64_t connections_evicted = 0;    // refused because the table was full
  std::uint64_t connections_refused = 0;    // ended by SCCP CREF (also in connections_released)
  std::uint64_t unknown_connection = 0;     // CC/DT1/RLSD for references never seen in a CR
  std::uint64_t sccp_segments_pending = 0;  // DT1/XUDT segments stored for reassembly
  std::uint64_t records = 0;
  std::array<std::uint64_t, 256> bssmap_by_type{};
  std::array<std::array<std::uint64_t, 64>, 16> dtap_by_pd_type{};  // [pd][type & 0x3f]
  flow_decoder_stats& operator+=(const flow_decoder_stats& o) noexcept;
};

class flow_decoder {
 public:
  // `conn_id_base` makes connection ids unique across workers (worker index << 48).
  flow_decoder(const flow_decoder_config& config, std::uint64_t conn_id_base);
  ~flow_decoder();
  flow_decoder(const flow_decoder&) = delete;
  flow_decoder& operator=(const flow_decoder&) = delete;

  // Decodes one frame; calls `out` for each record, in order, all with sequence number `seq`.
  // `wire_length`: the frame's length on the wire (0: as captured), see dec::packet_stack::decode.
  void decode(dec::linktype lt, dec::bytes frame, std::int64_t ts_us, std::uint64_t seq, record_sink out,
              std::size_t wire_length = 0) noexcept;
  // The transport half: hands each SCCP unit of the frame to `units`.
  void decode_transport(dec::linktype lt, dec::bytes frame, std::int64_t ts_us, dec::sccp_sink units,
                        std::size_t wire_length = 0) noexcept;
  // The SCCP half: one unit from decode_transport (of this or another instance), its records
  // numbered `seq`.
  void decode_unit(const dec::sccp_unit& u, std::uint64_t seq, record_sink out) noexcept;
  // Ends every connection still open (end of input), emitting their conn_close records.
  void close_all(std::uint64_t seq, record_sink out) noexcept;

  const dec::decode_stats& stack_errors() const noexcept { return _stack.stats(); }
  const dec::stack_counters& stack_counters() const noexcept { return _stack.counters(); }
  const dec::decode_stats& upper_errors() const noexcept { return _errors; }
  const flow_decoder_stats& stats() const noexcept { return _stats; }
  std::size_t open_connections() const noexcept { return _conns.size(); }

 private:
  struct conn {
    bool in_use = false;  // a live connection (conn_table slot taken)
    std::uint64_t id = 0;
    std::uint64_t flow = 0;
    std::uint8_t bsc_dir = 0;  // dec::ss7_relation::sender of the BSC side
    bool has_bsc_key = false, has_msc_key = false;
    std::uint64_t bsc_key = 0, msc_key = 0;  // index keys of both local references
    bool closed = false;                     // Clear Complete seen: records stop, refs stay
    bool ranap = false;                      // Iu (SSN 142): DTAP inside RANAP NAS-PDUs
    bool ps = false;                         // Iu-PS (InitialUE-Message's CN domain): no records
    bool confirmed = false;                  // conn_confirm sent (CC, or a DT1 seen)
    std::int64_t last_ts_us = 0;
  };
  void on_unit(const dec::sccp_unit& u) noexcept;
  void on_user_data(const dec::sccp_unit& u, conn* c, dec::bytes data) noexcept;
  void on_ranap(const dec::sccp_unit& u, conn& c, dec::bytes data, bool initial) noexcept;
  void on_ranap_connectionless(const dec::sccp_unit& u, dec::bytes data) noexcept;
  void emit_from_message(const dec::sccp_unit& u, conn* c, bool uplink) noexcept;
  void emit_l3(a_record& r, const dec::dtap_message& m, bool uplink) noexcept;
  void close(conn& c, std::int64_t ts_us, a_kind kind = a_kind::conn_close) noexcept;
  void confirm(conn& c, std::int64_t ts_us) noexcept;
  void expire(std::int64_t now_us) noexcept;
  void expire_units(std::int64_t now_us) noexcept;
  void push(const a_record& r) noexcept;

  flow_decoder_config _config;
  dec::packet_stack _stack;
  std::unique_ptr<dec::sccp_reassembler> _reasm;
  std::unique_ptr<dec::a_message> _msg;
  dec::decode_stats _errors;
  flow_decoder_stats _stats;
  std::uint64_t _next_conn;
  // Connections in fixed chunks of slots, reused through a free list: their addresses never
  // change (_by_ref points at them) and opening one allocates nothing once the chunks exist
  // (a chunk is added only when all are full, up to max_connections).
  class conn_table {
   public:
    static constexpr std::size_t chunk_size = 4096;
    conn* add(const conn& c);
    void remove(conn* c) noexcept;
    void clear() noexcept;
    std::size_t size() const noexcept { return _live; }
    bool empty() const noexcept { return _live == 0; }
    template <class F>
    void for_each(F&& f) {  // every live connection, in slot order; f may remove the one it gets
      for (auto& chunk : _chunks)
        for (std::size_t i = 0; i < chunk_size; ++i)
          if (chunk[i].in_use) f(chunk[i]);
    }

   private:
    std::vector<std::unique_ptr<conn[]>> _chunks;
    std::vector<conn*> _free;
    std::size_t _live = 0;
  };
  conn_table _conns;
  flat_map<std::uint64_t, conn*> _by_ref{8192};                           // reference key -> connection
  std::int64_t _last_expire_us = 0;                                       // transport half
  std::int64_t _last_unit_expire_us = 0;                                  // SCCP half
  std::int64_t _oldest_ts_us = std::numeric_limits<std::int64_t>::max();  // <= every open conn's last_ts_us
  // per-frame context
  std::uint64_t _seq = 0;
  std::int64_t _ts_us = 0;
  record_sink _out{};
  bool _in_cr = false;       // the message being reduced came in a CR: its records get af_in_cr
  std::uint8_t _sender = 0;  // dec::ss7_relation::sender of the unit being reduced
};

}  // namespace bssap::probe
