// Final statistics, one "section: name value" line per non-zero counter so that scripts can grep.
#include "bssap/probe/summary.hpp"

#include <fmt/format.h>

#include <string_view>

#include "bssap/decoders/bssmap.hpp"
#include "bssap/decoders/dtap.hpp"

namespace bssap::probe {

namespace {

std::string_view pd_name(std::size_t pd) {
  switch (pd) {
    case 0x3:
      return "cc";
    case 0x5:
      return "mm";
    case 0x6:
      return "rr";
    case 0x8:
      return "gmm";
    case 0x9:
      return "sms";
    case 0xA:
      return "sm";
    case 0xB:
      return "ss";
    default:
      return "pd";
  }
}

std::string_view kind_name(a_kind k) {
  constexpr std::string_view names[] = {"tick",
                                        "conn_close",
                                        "conn_confirm",
                                        "conn_refused",
                                        "lu_request",
                                        "lu_accept",
                                        "lu_reject",
                                        "imsi_detach",
                                        "identity_response",
                                        "tmsi_realloc",
                                        "cm_service_request",
                                        "paging_response",
                                        "common_id",
                                        "cipher_complete",
                                        "cc_setup",
                                        "cc_connect",
                                        "cc_clearing",
                                        "sms_mo",
                                        "sms_mt",
                                        "ussd",
                                        "handover_performed",
                                        "handover_request",
                                        "handover_complete",
                                        "handover_request_ack",
                                        "handover_command",
                                        "paging",
                                        "other"};
  static_assert(std::size(names) == static_cast<std::size_t>(a_kind::count_), "a name for every a_kind, in order");
  const auto i = static_cast<std::size_t>(k);
  return i < std::size(names) ? names[i] : "?";
}

}  // namespace

void print_summary(std::FILE* out, const pipeline& p, const capture_counters& counters, const event_fanout* trigger) {
  dec::decode_stats errors;
  dec::stack_counters stack;
  flow_decoder_stats fd;
  std::size_t open_sccp = 0;
  for (const auto& d : p.decoders()) {
    errors += d->stack_errors();
    errors += d->upper_errors();
    stack += d->stack_counters();
    fd += d->stats();
    open_sccp += d->open_connections();
  }
  const auto& t = p.totals();
  const auto& cs = p.correlation().stats();
  std::string s;
  auto line = [&](std::string_view section, std::string_view name, std::uint64_t value) {
    fmt::format_to(std::back_inserter(s), "  {:<10} {:<36} {}\n", section, name, value);
  };
  s += "== bssap-probe summary\n";
  line("capture", "packets", t.packets);
  line("capture", "bytes", t.bytes);
  line("capture", "threads", p.threads());
  if (p.producers() > 0) line("capture", "rx_lcores", p.producers());  // DPDK: one lcore per RX queue
  line("capture", "queue_drops", t.queue_drops);
  line("capture", "kernel_drops", counters.kernel_drops);
  line("capture", "interface_drops", counters.interface_drops);
  if (trigger != nullptr) {
    const auto tt = trigger->totals();
    line("trigger", "shards", trigger->shards());
    line("trigger", "events_queued", tt.pushed);
    line("trigger", "events_consumed", tt.consumed);
    line("trigger", "queue_drops", tt.dropped);
    line("trigger", "producer_waits (replay)", tt.waits);
  }
  if (counters.truncated_frames) line("capture", "truncated_frames (snaplen)", counters.truncated_frames);
  if (counters.event_log_drops) line("events", "log_drops (writer behind)", counters.event_log_drops);
  line("stack", "sccp_messages", stack.sccp_units);
  line("stack", "sctp_retransmissions_skipped", stack.sctp_retransmissions_skipped);
  line("stack", "tcp_retransmitted_segments", stack.tcp_retransmitted_segments);
  line("stack", "mtp_retransmissions_skipped", stack.mtp2_retransmissions_skipped);
  if (stack.sctp_bad_checksum_decoded) line("stack", "sctp_bad_checksum_decoded", stack.sctp_bad_checksum_decoded);
  if (stack.sctp_bad_checksum_tsn_jumps)
    line("stack", "sctp_bad_checksum_tsn_jumps (dropped)", stack.sctp_bad_checksum_tsn_jumps);
  if (stack.not_ip) line("stack", "not_ip", stack.not_ip);
  if (stack.ip_other_protocol) line("stack", "ip_other_protocol", stack.ip_other_protocol);
  if (stack.sctp_ppid_other) line("stack", "sctp_ppid_other", stack.sctp_ppid_other);
  if (stack.sua_messages) line("stack", "sua_messages (SCCP over SUA)", stack.sua_messages);
  if (stack.sua_other) line("stack", "sua_management", stack.sua_other);
  if (stack.rua_messages) line("stack", "rua_messages (Iuh)", stack.rua_messages);
  if (stack.ip_datagrams_reassembled) line("stack", "ip_datagrams_reassembled", stack.ip_datagrams_reassembled);
  if (stack.sctp_messages_reassembled) line("stack", "sctp_messages_reassembled", stack.sctp_messages_reassembled);
  if (stack.tcp_midstream_resyncs) line("stack", "tcp_midstream_resyncs", stack.tcp_midstream_resyncs);
  if (stack.tcp_gaps_skipped) line("stack", "tcp_gaps_skipped", stack.tcp_gaps_skipped);
  if (stack.ipa_messages) line("stack", "ipa_messages", stack.ipa_messages);
  if (stack.m3ua_data) line("stack", "m3ua_data", stack.m3ua_data);
  if (stack.mtp3_msus) line("stack", "mtp3_msus", stack.mtp3_msus);
  for (std::size_t si = 0; si < stack.non_sccp_by_si.size(); ++si)
    if (stack.non_sccp_by_si[si]) line("stack", fmt::format("non_sccp_si_{}", si), stack.non_sccp_by_si[si]);
  for (std::size_t l = 0; l < dec::layer_count; ++l)
    for (std::size_t e = 1; e < dec::decode_error_count; ++e)
      if (errors.errors[l][e])
        line("error",
             fmt::format("{}.{}", dec::to_string(static_cast<dec::layer>(l)),
                         dec::to_string(static_cast<dec::decode_error>(e))),
             errors.errors[l][e]);
  line("sccp", "bssap_messages", fd.bssap_messages);
  if (fd.non_bssap_ssn) line("sccp", "other_subsystem (not BSSAP)", fd.non_bssap_ssn);
  if (fd.ranap_nas_pdus) line("sccp", "ranap_nas_pdus (Iu-CS DTAP)", fd.ranap_nas_pdus);
  if (fd.iu_ps_messages) line("sccp", "iu_ps_messages (GMM/SM, no events)", fd.iu_ps_messages);
  line("sccp", "connections_opened", fd.connections_opened);
  line("sccp", "connections_released", fd.connections_released);
  line("sccp", "connections_timed_out", fd.connections_timed_out);
  line("sccp", "connections_open_at_end", open_sccp);
  if (fd.connections_evicted) line("sccp", "connections_refused_table_full", fd.connections_evicted);
  if (fd.unknown_connection) line("sccp", "unknown_connection", fd.unknown_connection);
  if (fd.connections_refused) line("sccp", "connections_refused (CREF)", fd.connections_refused);
  for (std::size_t i = 0; i < fd.bssmap_by_type.size(); ++i)
    if (fd.bssmap_by_type[i])
      line("bssmap", dec::to_string(static_cast<dec::bssmap_msg_type>(i)), fd.bssmap_by_type[i]);
  for (std::size_t pd = 0; pd < fd.dtap_by_pd_type.size(); ++pd)
    for (std::size_t ty = 0; ty < fd.dtap_by_pd_type[pd].size(); ++ty)
      if (fd.dtap_by_pd_type[pd][ty])
        line("dtap", fmt::format("{}.0x{:02x}", pd_name(pd), ty), fd.dtap_by_pd_type[pd][ty]);
  for (std::size_t k = 1; k < cs.by_kind.size(); ++k)
    if (cs.by_kind[k]) line("records", kind_name(static_cast<a_kind>(k)), cs.by_kind[k]);
  std::uint64_t events = 0;
  for (std::size_t e = 0; e < cs.events.size(); ++e) {
    events += cs.events[e];
    if (cs.events[e]) line("events", to_string(static_cast<event_type>(e)), cs.events[e]);
  }
  line("events", "total", events);
  line("events", "unresolved (no IMSI)", cs.unresolved_events);
  line("correl", "held_records", cs.held_records);
  line("correl", "tmsi_resolved_connections", cs.tmsi_resolved);
  line("correl", "tmsi_map_updates", cs.tmsi_learned);
  if (cs.refused_records) line("correl", "refused_records (CR answered by CREF)", cs.refused_records);
  if (cs.hold_overflows) line("correl", "hold_overflows", cs.hold_overflows);
  if (cs.connection_evictions) line("correl", "connection_table_full", cs.connection_evictions);
  if (cs.subscriber_table_full) line("correl", "subscriber_table_full", cs.subscriber_table_full);
  if (cs.unknown_connection) line("correl", "unknown_connection", cs.unknown_connection);
  if (cs.handovers_linked) line("correl", "handovers_linked (inter-BSC)", cs.handovers_linked);
  if (cs.handover_unmatched) line("correl", "handover_unmatched", cs.handover_unmatched);
  if (cs.handover_key_reused) line("correl", "handover_key_reused", cs.handover_key_reused);
  line("correl", "subscribers", p.correlation().subscriber_count());
  if (const auto snap = p.snapshots(); snap.written + snap.failed + snap.skipped > 0) {
    line("state", "snapshots_written", snap.written);
    if (snap.failed) line("state", "snapshots_failed", snap.failed);
    if (snap.skipped) line("state", "snapshots_skipped (previous still writing)", snap.skipped);
  }
  // Last, so that it is seen: bad checksums decoded (stack_config::strict_sctp_checksums).
  if (stack.sctp_bad_checksum_decoded)
    fmt::format_to(std::back_inserter(s),
                   "warning: {} SCTP packets had a wrong CRC32c and were decoded anyway; the likely cause is "
                   "checksum offload on the capturing host (its own outgoing packets are captured before the NIC "
                   "fills the checksum in); --strict-checksums drops them\n",
                   stack.sctp_bad_checksum_decoded);
  std::fputs(s.c_str(), out);
}

}  // namespace bssap::probe
