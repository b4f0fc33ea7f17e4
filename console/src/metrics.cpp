// Prometheus text exposition of the console's snapshots (metrics.hpp).
#include "bssap/console/metrics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>
#include <string_view>
#include <vector>

#include "bssap/decoders/stats.hpp"

namespace bssap::console {

namespace {

class writer {
 public:
  explicit writer(std::string& out) : _out(out) {}
  // # HELP and # TYPE once per family, then its samples.
  void family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(_out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(std::string_view name, std::uint64_t v, std::string_view labels = {}) {
    if (labels.empty())
      fmt::format_to(std::back_inserter(_out), "{} {}\n", name, v);
    else
      fmt::format_to(std::back_inserter(_out), "{}{{{}}} {}\n", name, labels, v);
  }
  void text(std::string_view s) { _out += s; }
  void one(std::string_view name, std::string_view type, std::string_view help, std::uint64_t v) {
    family(name, type, help);
    sample(name, v);
  }

 private:
  std::string& _out;
};

std::string label(std::string_view k, std::string_view v) {
  return fmt::format("{}=\"{}\"", k, v);  // our label values are identifiers: nothing to escape
}

// Per interface (libpcap: {interface="eth0"}; DPDK: {interface="net_pcap0",port="0"}) or per
// DPDK RX queue ({interface="net_pcap0",port="0",queue="1"}): packets, bytes and drops by kind.
// Names and numbers of the capture host's own devices, never a subscriber. Nothing is written
// when there are none (replay), so that an empty family does not pretend to be a zero.
void sources(writer& w, std::string_view prefix, std::string_view what, const std::vector<probe::capture_source>& list,
             bool queues) {
  if (list.empty()) return;
  auto labels = [&](const probe::capture_source& s) {
    std::string l = label("interface", s.interface);
    if (s.port >= 0) l += fmt::format(",port=\"{}\"", s.port);
    if (queues && s.queue >= 0) l += fmt::format(",queue=\"{}\"", s.queue);
    return l;
  };
  const std::string packets = fmt::format("{}_packets_total", prefix), bytes = fmt::format("{}_bytes_total", prefix),
                    drops = fmt::format("{}_drops_total", prefix);
  w.family(packets, "counter", fmt::format("Frames received, by {} (the device's count for DPDK).", what));
  for (const auto& s : list) w.sample(packets, s.packets, labels(s));
  w.family(bytes, "counter", fmt::format("Octets received, by {}.", what));
  for (const auto& s : list) w.sample(bytes, s.bytes, labels(s));
  w.family(drops, "counter",
           fmt::format("Frames lost, by {} and kind (as bssap_capture_drops_total; queue: frames with an SCCP unit "
                       "a full ring refused).",
                       what));
  for (const auto& s : list) {
    const std::string l = labels(s);
    if (!queues) w.sample(drops, s.kernel_drops, l + "," + label("kind", "kernel"));  // DPDK has no imissed per queue
    w.sample(drops, s.interface_drops, l + "," + label("kind", "interface"));
    w.sample(drops, s.queue_drops, l + "," + label("kind", "queue"));
  }
}

void capture_metrics(writer& w, const capture_snapshot& c) {
  const auto& p = *c.pipeline;
  w.one("bssap_capture_packets_total", "counter", "Frames read from the capture source.", p.totals.packets);
  w.one("bssap_capture_bytes_total", "counter", "Octets of the frames read (as captured).", p.totals.bytes);
  w.family("bssap_capture_drops_total", "counter",
           "Frames lost: kernel (pcap ps_drop, DPDK imissed), interface (ps_ifdrop, DPDK rx_nombuf + ierrors), "
           "queue (SCCP units dropped because a worker's ring was full).");
  w.sample("bssap_capture_drops_total", c.capture.kernel_drops, label("kind", "kernel"));
  w.sample("bssap_capture_drops_total", c.capture.interface_drops, label("kind", "interface"));
  w.sample("bssap_capture_drops_total", p.totals.queue_drops, label("kind", "queue"));
  sources(w, "bssap_capture_interface", "interface (live) or DPDK port", c.capture.interfaces, false);
  sources(w, "bssap_capture_queue", "DPDK RX queue", c.capture.queues, true);
  w.one("bssap_capture_truncated_frames_total", "counter", "Frames cut by the snaplen, decoded as far as they go.",
        c.capture.truncated_frames);
  w.one("bssap_event_log_drops_total", "counter", "Events the event log's writer could not take in time (live).",
        c.capture.event_log_drops);
  w.one("bssap_capture_threads", "gauge", "SCCP worker threads.", p.threads);
  w.one("bssap_finished", "gauge", "1 once the capture has ended (the figures are final).", c.finished ? 1 : 0);

  w.family("bssap_decode_errors_total", "counter", "Decode errors by layer and kind (dec::decode_stats).");
  for (std::size_t l = 0; l < dec::layer_count; ++l)
    for (std::size_t e = 1; e < dec::decode_error_count; ++e)
      if (const auto n = p.decoders.errors.errors[l][e]; n > 0)
        w.sample("bssap_decode_errors_total", n,
                 fmt::format("layer=\"{}\",kind=\"{}\"", dec::to_string(static_cast<dec::layer>(l)),
                             dec::to_string(static_cast<dec::decode_error>(e))));
  w.one("bssap_sccp_messages_total", "counter", "SCCP messages handed to the SCCP half.", p.decoders.stack.sccp_units);
  w.one("bssap_bssap_messages_total", "counter", "BSSAP messages decoded.", p.decoders.fd.bssap_messages);
  w.one("bssap_sccp_connections_opened_total", "counter", "SCCP connections opened (CR seen).",
        p.decoders.fd.connections_opened);
  w.one("bssap_sccp_connections_open", "gauge", "SCCP connections open now.", p.decoders.open_connections);

  w.family("bssap_events_total", "counter", "Behaviour events written, by type (events.md).");
  std::uint64_t events = 0;
  for (std::size_t e = 0; e < p.correlation.events.size(); ++e) {
    events += p.correlation.events[e];
    w.sample("bssap_events_total", p.correlation.events[e], label("type", to_string(static_cast<event_type>(e))));
  }
  w.one("bssap_events_unresolved_total", "counter", "Events without an IMSI (TMSI not resolved).",
        p.correlation.unresolved_events);
  w.one("bssap_tmsi_map_entries", "gauge", "TMSI to subscriber map size.", p.tmsi_map);
  w.one("bssap_subscribers", "gauge", "Subscribers in the correlator's table.", p.subscribers);
  w.one("bssap_state_snapshots_written_total", "counter", "Subscriber state snapshots written.", p.snapshots_written);
  w.one("bssap_state_snapshots_failed_total", "counter", "Subscriber state snapshots that failed.", p.snapshots_failed);
  if (c.trigger) {
    w.one("bssap_trigger_events_total", "counter", "Events handed to the trigger shards.", c.trigger->pushed);
    w.one("bssap_trigger_queue_drops_total", "counter", "Events dropped because a trigger shard's queue was full.",
          c.trigger->dropped);
  }
  if (c.presence)
    w.one("bssap_presence_queue_drops_total", "counter", "Events the presence index's queue could not take.",
          c.presence->dropped);
}

void campaign_metrics(writer& w, const campaign::runtime& r) {
  const auto t = r.totals();
  w.family("bssap_campaign_decisions_total", "counter", "Campaign decisions by outcome and reason (campaigns.md).");
  w.sample("bssap_campaign_decisions_total", t.sent, "outcome=\"sent\",reason=\"none\"");
  w.sample("bssap_campaign_decisions_total", t.deferred, "outcome=\"deferred\",reason=\"none\"");
  w.sample("bssap_campaign_decisions_total", t.rehearsed, "outcome=\"rehearsed\",reason=\"none\"");
  for (std::size_t i = 1; i < campaign::reason_count; ++i)
    w.sample(
        "bssap_campaign_decisions_total", t.suppressed[i],
        fmt::format("outcome=\"suppressed\",reason=\"{}\"", campaign::to_string(static_cast<campaign::reason>(i))));
  // The same by campaign (a campaign id is the operator's name for a rule, never a subscriber);
  // only the pairs that occurred, so a hundred campaigns do not make thousands of zero series.
  w.family("bssap_campaign_decisions_by_campaign_total", "counter",
           "Campaign decisions by campaign, outcome and reason (campaigns.md).");
  for (const auto& c : r.decisions_by_campaign()) {
    auto put = [&](std::uint64_t n, std::string_view outcome, std::string_view why) {
      if (n == 0) return;
      w.sample("bssap_campaign_decisions_by_campaign_total", n,
               fmt::format("{},outcome=\"{}\",reason=\"{}\"", label("campaign", c.campaign), outcome, why));
    };
    put(c.sent, "sent", "none");
    put(c.recorded, "recorded", "none");
    put(c.deferred, "deferred", "none");
    put(c.rehearsed, "rehearsed", "none");
    for (std::size_t i = 1; i < campaign::reason_count; ++i)
      put(c.suppressed[i], "suppressed", campaign::to_string(static_cast<campaign::reason>(i)));
  }
  w.one("bssap_campaign_events_total", "counter", "Events the campaign engines processed.", t.events);
  w.one("bssap_campaign_candidates_total", "counter", "Events some campaign matched.", t.candidates);
  w.one("bssap_campaign_recorded_total", "counter", "Decisions written to the record channel.", t.recorded);
  w.one("bssap_campaign_released_total", "counter", "Deferred decisions released.", t.released);
  w.one("bssap_campaign_responses_total", "counter", "Replies attributed to a campaign.", t.responses);
  w.one("bssap_campaign_orders_total", "counter", "Orders attributed to a campaign.", t.orders);
  w.one("bssap_campaign_opt_outs_total", "counter", "Opt-outs.", t.opt_outs);
  w.one("bssap_campaign_handed_over_total", "counter", "Messages handed to their channel.", t.handed_over);
  w.one("bssap_campaign_hand_over_failures_total", "counter", "Messages a channel could not take.",
        t.hand_over_failures);
  w.one("bssap_campaign_store_errors_total", "counter", "Campaign state store errors.", t.store_errors);
  // The engines' subscriber tables (subscriber_states.hpp), summed over the shards as of their
  // last batch: the memory a campaign run holds grows with these.
  w.one("bssap_campaign_subscribers", "gauge", "Subscribers in the campaign engines' tables.", t.subscribers);
  w.one("bssap_campaign_subscribers_with_history", "gauge",
        "Subscribers of those tables with an extra part (event history or contacts).", t.subscribers_with_history);
  w.one("bssap_campaign_state_bytes", "gauge", "Bytes of the engines' subscriber tables and their parts.",
        t.state_bytes);
  const auto sms = r.sms();
  if (!sms) return;
  const auto& m = sms->metrics;
  w.one("bssap_smpp_bound", "gauge", "1 while at least one SMPP session is bound.", sms->bound ? 1 : 0);
  w.one("bssap_smpp_bind_failures_total", "counter", "SMPP binds refused or failed.", m.bind_failures);
  w.one("bssap_smpp_reconnects_total", "counter", "SMPP reconnections.", m.reconnects);
  w.one("bssap_smpp_window_in_flight", "gauge", "submit_sm PDUs awaiting their response.", m.in_flight);
  w.one("bssap_smpp_queued", "gauge", "Parts queued for submission.", m.queued);
  w.one("bssap_smpp_submitted_total", "counter", "submit_sm PDUs written (parts, retries included).", m.submitted);
  w.one("bssap_smpp_acknowledged_total", "counter", "Parts acknowledged with ESME_ROK.", m.acknowledged);
  w.one("bssap_smpp_failed_total", "counter", "Parts refused with a permanent status.", m.failed);
  w.one("bssap_smpp_throttled_total", "counter", "ESME_RTHROTTLED and ESME_RMSGQFUL responses.", m.throttled);
  w.family("bssap_smpp_receipts_total", "counter", "Delivery receipts, matched to a part or not.");
  w.sample("bssap_smpp_receipts_total", m.delivered, label("state", "matched"));
  w.sample("bssap_smpp_receipts_total", m.unmatched_receipts, label("state", "unmatched"));
  w.one("bssap_smpp_replies_total", "counter", "Mobile-originated replies (deliver_sm).", m.mo);
  w.family("bssap_smpp_outbox_messages", "gauge", "Outbox messages by state (pending = not yet acknowledged).");
  w.sample("bssap_smpp_outbox_messages", sms->outbox.pending, label("state", "pending"));
  w.sample("bssap_smpp_outbox_messages", sms->outbox.submitted, label("state", "awaiting_receipt"));
  w.sample("bssap_smpp_outbox_messages", sms->outbox.final, label("state", "final"));
  w.sample("bssap_smpp_outbox_messages", sms->outbox.failed, label("state", "failed"));
  if (!m.latency_buckets.empty()) {
    constexpr std::string_view h = "bssap_smpp_submit_latency_seconds";
    w.family(h, "histogram", "From the event's capture to its submit_sm_resp.");
    for (const auto& [le_us, n] : m.latency_buckets) {
      const std::string le = std::isinf(le_us) ? std::string("+Inf") : fmt::format("{}", le_us / 1e6);
      w.sample(fmt::format("{}_bucket", h), n, label("le", le));
    }
    w.text(fmt::format("{}_sum {}\n", h, static_cast<double>(m.latency_sum_us) / 1e6));
    w.sample(fmt::format("{}_count", h), m.latency_buckets.back().second);
  }
}

}  // namespace

std::string prometheus_text(const capture_snapshot* capture, const campaign::runtime* campaigns,
                            const presence_index* presence) {
  std::string out;
  out.reserve(16384);
  writer w(out);
  if (capture != nullptr && capture->pipeline) capture_metrics(w, *capture);
  if (campaigns != nullptr) campaign_metrics(w, *campaigns);
  if (presence != nullptr) {
    w.one("bssap_presence_subscribers", "gauge", "Subscribers in the presence index.", presence->size());
    w.one("bssap_presence_table_full_total", "counter", "Events the presence index had no room for.",
          presence->table_full());
  }
  return out;
}

}  // namespace bssap::console
