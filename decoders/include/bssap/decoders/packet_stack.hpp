// packet_stack: the stateful driver from a captured link-layer frame to complete SCCP messages.
//
//   frame --link--> IPv4/IPv6 (fragments reassembled) --> SCTP (CRC32c, every chunk, TSN dedup,
//         B/E reassembly) --> M3UA DATA (SI=3) ------------------------------+
//                            --> TCP (per-direction stream reassembly) --> IPA 0xFD ---+--> sccp_sink
//         MTP2 / MTP2+pseudo-header / MTP3 --> MTP3 (SI=3) ------------------------+
//
// One packet_stack per capture thread: it owns all reassembly and flow state (no locks, no
// atomics). Frames are dispatched to threads with flow_hash() below, which is symmetric in both
// directions, so every flow lives in exactly one stack.
//
// Memory: every table is allocated once in the constructor from stack_config bounds; decode()
// never allocates. When a table is full the oldest entry is evicted (counted in stack_counters)
// or the input is dropped (counted in decode_stats as out_of_memory); nothing grows.
//
// Errors: every refused input is counted in stats() by (layer, decode_error); protocol events
// that are not errors (retransmissions skipped, non-SCCP payloads, FISU/LSSU, management
// messages...) are counted in counters().
//
// References: RFC 4960 (SCTP), RFC 4666 (M3UA), RFC 791/8200 (IP), RFC 9293 (TCP),
// ITU-T Q.703/Q.704 (MTP2/MTP3), ../../../../../shared/STYLE.md "The thread shape".
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/link.hpp"
#include "bssap/decoders/mtp3.hpp"
#include "bssap/decoders/stats.hpp"

namespace bssap::dec {

// How an SCCP message reached us.
enum class transport : std::uint8_t {
  m3ua,  // SCTP PPID 3, M3UA DATA, Protocol Data SI = 3
  ipa,   // TCP, IPA (Osmocom "SCCPlite") stream id 0xFD
  mtp,   // MTP2 / MTP3 link (DLT 139, 140, 141), SIO SI = 3
  sua,   // SCTP PPID 4 (or port 14001): a SUA CL/CO message, `sccp` holds it whole (dec::decode_sua_into)
  rua,   // SCTP PPID 19 (or port 29169): a RUA-PDU (Iuh), `sccp` holds it (dec::decode_rua_into)
};

struct stack_config {
  // MTP3 routing label variant, for M3UA-less MTP links only (M3UA carries 32-bit PCs itself).
  point_code_format pc_format = point_code_format::itu14;

  // SCTP CRC32c check (RFC 4960 6.8, Appendix B). Off: the field is not even computed.
  bool verify_sctp_crc = true;
  // With verification on, what a packet whose checksum fails becomes. false (the default, as
  // Wireshark): decoded like any other and counted (stack_counters::sctp_bad_checksum_decoded);
  // a capture taken on a host with checksum offload shows that host's outgoing packets before
  // the NIC fills the CRC in, so a whole direction fails. true (bssap-probe --strict-checksums):
  // dropped and counted as error sctp.bad_checksum, as RFC 4960 6.8 tells an endpoint to do.
  bool strict_sctp_checksums = false;
  // With verification on, also accept the Adler-32 checksum of RFC 2960 (pre RFC 3309 stacks and
  // simulators; counted in stack_counters::sctp_adler32_packets).
  bool accept_sctp_adler32 = true;

  // TCP ports carrying IPA. A segment to or from one of these ports is IPA. With
  // ipa_detect_any_port, a TCP flow on another port is taken as IPA too when its first payload
  // parses as a chain of IPA headers that exactly fills the segment with a known stream id
  // (0xFD SCCP, 0xFE CCM, 0x00 RSL, 0xEE OSMO, 0xFC MGCP, 0x08..0x0f...) ; the decision is
  // made once per flow and counted (stack_counters::tcp_flows_ipa_detected).
  std::array<std::uint16_t, 8> ipa_ports{5000};
  std::uint8_t ipa_port_count = 1;
  bool ipa_detect_any_port = true;

  // IPv4/IPv6 fragment reassembly: datagrams in progress x bytes each (arena preallocated).
  std::uint32_t ip_reasm_slots = 256;
  std::uint32_t ip_reasm_bytes = 65535;

  // SCTP: associations tracked (TSN windows), and fragmented user messages in progress x bytes.
  std::uint32_t sctp_max_associations = 4096;
  std::uint32_t sctp_reasm_slots = 128;
  std::uint32_t sctp_reasm_bytes = 16384;

  // TCP: connections tracked, and the shared pool of per-direction stream buffers (a direction
  // takes a buffer only while it holds a partial IPA message or out-of-order bytes). An IPA
  // message longer than tcp_buffer_bytes is skipped and counted.
  std::uint32_t tcp_max_flows = 8192;
  std::uint32_t tcp_buffers = 512;
  std::uint32_t tcp_buffer_bytes = 16384;

  // Fragments (IP, SCTP) older than this are dropped by expire(); flows (SCTP associations, TCP
  // connections) idle longer than flow_idle_timeout_us are forgotten by expire().
  std::int64_t reassembly_timeout_us = 30'000'000;
  std::int64_t flow_idle_timeout_us = 600'000'000;

  // MTP2 links tracked for retransmission detection (one entry per link number and OPC-DPC
  // direction): an MSU whose FSN and content equal an MSU already taken on that link direction is
  // a Q.703 retransmission, skipped and counted. DLT 141 (MTP3 only) has no FSN: no detection.
  std::uint32_t mtp_max_links = 1024;
};

// One complete SCCP message, handed to the sink during decode().
struct sccp_unit {
  std::int64_t ts_us = 0;  // capture timestamp of the frame that completed the message
  transport kind = transport::m3ua;
  // The association / TCP connection / MTP link (unordered OPC-DPC pair): the same value for
  // both directions. A hash, not an index: equal flows give equal ids across threads and runs.
  std::uint64_t flow_id = 0;
  // Which endpoint of the flow sent it, stable for the flow's life: 0 when the sender's
  // (address, port) — or OPC for MTP — is the lower one of the pair, 1 otherwise.
  std::uint8_t direction = 0;
  // From the M3UA Protocol Data or the MTP3 routing label/SIO; 0 for IPA.
  std::uint32_t opc = 0;
  std::uint32_t dpc = 0;
  std::uint8_t si = 0;
  std::uint8_t ni = 0;
  std::uint8_t sls = 0;
  std::uint8_t mp = 0;  // M3UA message priority (national option); 0 otherwise
  // One complete SCCP message. Points into the frame or a reassembly buffer: valid only during
  // the callback; copy what you keep.
  bytes sccp{};
};

// The SS7 relation a unit belongs to, whatever association, IP path or MTP link carried it
// (events.md "One SCCP connection, many paths"; Q.714 3.1: a connection section joins two
// signalling points): the unordered OPC-DPC pair for M3UA and MTP; for IPA, which has no point
// codes (SCCPlite runs point to point), the TCP connection; for SUA, whose connection-oriented
// messages after the CORE carry no addresses, one relation for all SUA traffic (connections are
// then told apart by their references alone, and the sender by who owns the reference); for
// RUA, the Iuh association's path (a home NodeB has one gateway, and Context-IDs are its own).
struct ss7_relation {
  std::uint64_t id = 0;
  std::uint8_t sender = 0;  // which end sent the unit: 0 the lower point code (IPA: the flow's direction)
};
ss7_relation relation_of(const sccp_unit& u) noexcept;

// A callback without allocation or type erasure cost: a context pointer and a function.
struct sccp_sink {
  void* ctx = nullptr;
  void (*fn)(void*, const sccp_unit&) noexcept = nullptr;

  void operator()(const sccp_unit& u) const noexcept {
    if (fn != nullptr) fn(ctx, u);
  }
};

// Wraps a callable (kept alive by the caller for the duration of decode()) as an sccp_sink:
//   auto on_unit = [&](const sccp_unit& u) noexcept { ... };
//   stack.decode(lt, frame, ts, make_sccp_sink(on_unit));
template <class F>
sccp_sink make_sccp_sink(F& callable) noexcept {
  static_assert(std::is_nothrow_invocable_v<F&, const sccp_unit&>, "the sink must be noexcept");
  return sccp_sink{static_cast<void*>(&callable),
                   [](void* ctx, const sccp_unit& u) noexcept { (*static_cast<F*>(ctx))(u); }};
}

// Non-error events per layer. Plain counters, summed across threads with +=.
struct stack_counters {
  std::uint64_t frames = 0;             // decode() calls
  std::uint64_t sccp_units = 0;         // SCCP messages handed to the sink
  std::uint64_t not_ip = 0;             // link payload that is neither IPv4, IPv6 nor MTP (ARP, LLDP...)
  std::uint64_t ip_other_protocol = 0;  // IP payload neither SCTP nor TCP (UDP, ICMP...)

  // IP fragments (IPv4 and IPv6 fragment header)
  std::uint64_t ip_fragments = 0;              // fragments received
  std::uint64_t ip_datagrams_reassembled = 0;  // complete datagrams rebuilt from fragments
  std::uint64_t ip_reasm_evicted = 0;          // datagrams in progress dropped because the table was full
  std::uint64_t ip_reasm_timed_out = 0;        // datagrams in progress dropped by expire()
  std::uint64_t ip_reasm_overlaps = 0;         // datagrams dropped because fragments overlapped

  // SCTP
  std::uint64_t sctp_packets = 0;
  std::uint64_t sctp_adler32_packets = 0;                // packets whose checksum was RFC 2960 Adler-32, not CRC32c
  std::uint64_t sctp_bad_checksum_decoded = 0;           // packets whose checksum failed, decoded anyway (not strict)
  std::uint64_t sctp_bad_checksum_tsn_jumps = 0;         // DATA chunks of such packets dropped: TSN a window ahead
  std::uint64_t sctp_data_chunks = 0;                    // DATA chunks accepted (not duplicates)
  std::uint64_t sctp_retransmissions_skipped = 0;        // DATA chunks whose TSN was already seen
  std::uint64_t sctp_ppid_other = 0;                     // DATA chunks with a PPID other than M3UA (3) or SUA (4)
  std::uint64_t sua_messages = 0;                        // SUA CL/CO messages handed on as units
  std::uint64_t sua_other = 0;                           // SUA management (MGMT, SSNM, ASPSM, ASPTM, RKM)
  std::uint64_t rua_messages = 0;                        // RUA-PDUs handed on as units
  std::uint64_t sctp_messages_reassembled = 0;           // user messages rebuilt from B/E fragments
  std::uint64_t sctp_reasm_dropped = 0;                  // fragment sequences abandoned (gap, timeout, full)
  std::uint64_t sctp_assocs_evicted = 0;                 // associations forgotten because the table was full
  std::array<std::uint64_t, 256> sctp_chunks_by_type{};  // every chunk other than DATA, by chunk type

  // TCP / IPA
  std::uint64_t tcp_segments = 0;
  std::uint64_t tcp_retransmitted_segments = 0;  // segments whose bytes were all delivered already
  std::uint64_t tcp_out_of_order_segments = 0;   // segments buffered ahead of a gap
  std::uint64_t tcp_midstream_resyncs = 0;       // directions picked up without SYN (or after a gap) by IPA heuristic
  std::uint64_t tcp_gaps_skipped = 0;            // holes never filled: the stream jumped over them
  std::uint64_t tcp_bytes_dropped = 0;           // payload dropped for lack of buffer or sync
  std::uint64_t tcp_flows_evicted = 0;           // connections forgotten because the table was full
  std::uint64_t tcp_flows_ipa_detected = 0;      // flows on a non-configured port recognised as IPA
  std::uint64_t tcp_not_ipa = 0;                 // segments of unknown flows on other ports not taken as IPA
  std::uint64_t tcp_syn = 0;
  std::uint64_t tcp_fin = 0;
  std::uint64_t tcp_rst = 0;
  std::uint64_t ipa_messages = 0;
  std::uint64_t ipa_oversized = 0;                          // IPA messages longer than a TCP buffer: skipped by length
  std::array<std::uint64_t, 256> ipa_non_sccp_by_stream{};  // IPA messages not 0xFD, by stream id

  // M3UA
  std::uint64_t m3ua_messages = 0;
  std::uint64_t m3ua_data = 0;
  std::array<std::array<std::uint64_t, 16>, 16> m3ua_non_data_by_class_type{};  // [class][type], both clamped to 15

  // MTP
  std::uint64_t mtp2_fisu = 0;  // LI = 0
  std::uint64_t mtp2_lssu = 0;  // LI = 1 or 2
  std::uint64_t mtp3_msus = 0;
  std::uint64_t mtp2_retransmissions_skipped = 0;  // MSUs with the FSN and content of one already taken
  std::uint64_t mtp_links_evicted = 0;             // link directions forgotten because the table was full
  // M3UA DATA or MTP3 MSU with a service indicator other than SCCP (3), by SI (0..15).
  std::array<std::uint64_t, 16> non_sccp_by_si{};

  // Timed-out / idle state
  std::uint64_t sctp_reasm_timed_out = 0;
  std::uint64_t flows_expired = 0;  // SCTP associations and TCP connections forgotten by expire()

  stack_counters& operator+=(const stack_counters& o) noexcept;
};

class packet_stack {
 public:
  explicit packet_stack(const stack_config& config = {});
  ~packet_stack();
  packet_stack(const packet_stack&) = delete;
  packet_stack& operator=(const packet_stack&) = delete;
  packet_stack(packet_stack&&) noexcept;
  packet_stack& operator=(packet_stack&&) noexcept;

  // Decodes one captured frame (the captured bytes, snaplen-cut or not) and calls `sink` once
  // per complete SCCP message it finishes (zero, one or several: SCTP bundling, several IPA
  // messages per segment, reassembly completing). Never throws, never allocates.
  // `wire_length` is the frame's length on the wire (pcap's `len`; 0: the captured length). A
  // header or length field that runs past the captured octets counts as `truncated` only when
  // the capture cut the frame (captured < wire) and the cut falls inside that structure (inside an
  // IP datagram whose length fits the captured octets it cannot); otherwise the packet itself
  // claims octets it does not have, and the same place counts `bad_length`.
  void decode(linktype lt, bytes frame, std::int64_t ts_us, sccp_sink sink, std::size_t wire_length = 0) noexcept;

  // Drops fragments older than reassembly_timeout_us and flows idle for flow_idle_timeout_us,
  // as of `now_us` (capture time). Call it every second or so of capture time; O(flows in use)
  // plus the fragment tables (a few hundred slots).
  void expire(std::int64_t now_us) noexcept;

  const decode_stats& stats() const noexcept;
  const stack_counters& counters() const noexcept;
  const stack_config& config() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> _impl;
};

// For dispatching frames to worker threads BEFORE decoding: symmetric in both directions and the
// same for all fragments of one IP datagram. IP: hash of the unordered (source, destination)
// address pair (ports are not used so that non-first fragments hash alike). MTP link types: hash
// of the unordered OPC-DPC pair. Never fails: frames it cannot read hash to 0.
std::uint64_t flow_hash(linktype lt, bytes frame, point_code_format pc_format = point_code_format::itu14) noexcept;

}  // namespace bssap::dec
