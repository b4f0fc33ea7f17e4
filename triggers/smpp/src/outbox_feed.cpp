// Feeding the sessions from the outbox: a batch accepted by submit() is stored in one outbox
// transaction, then encoded as submit_sm PDUs (SMPP 3.4 4.4.1: service_type, source and
// destination addresses 5.2.5-5.2.9, esm_class 0x40 with a UDH for concatenated parts 5.2.12,
// validity_period 5.2.16, registered_delivery 5.2.17, data_coding 5.2.19, short_message 5.2.22,
// user_message_reference TLV 5.3.2.17 as the dedup key of resends) and queued in the
// dispatcher; open() checks the configuration (field sizes of 5.2.1-5.2.3) and queues again the
// parts a previous run left without an answer. The sessions set each PDU's sequence number
// when they send it.
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "client_impl.hpp"

namespace bssap::smpp {

void client::impl::build_jobs(std::uint64_t id, const outgoing_message& m, std::vector<encoded_part>& parts,
                              const std::vector<bool>& skip, std::vector<part_job>& out) const {
  for (auto& p : parts) {
    if (p.total > 1) p.short_message[3] = static_cast<std::uint8_t>(id);  // UDH concat reference
    if (p.seq - 1 < static_cast<int>(skip.size()) && skip[p.seq - 1]) continue;
    sm_body b;
    b.service_type = cfg.service_type;
    b.source = {m.source.ton, m.source.npi, m.source.addr};
    b.destination = {m.destination.ton, m.destination.npi, m.destination.addr};
    b.esm_class = p.esm_class;
    b.validity_period = m.validity_period;
    b.registered_delivery = m.want_receipt ? 1 : 0;
    b.data_coding = p.data_coding;
    b.short_message = p.short_message;
    // The dedup key the SMSC side can use for resends (see outbox.hpp).
    b.user_message_reference = static_cast<std::uint16_t>(id & 0xFFFF);
    part_job j{id, p.seq, p.total, m.event_time_ns, {}};
    j.pdu.reserve(64 + p.short_message.size() + m.source.addr.size() + m.destination.addr.size());
    encode_sm(j.pdu, cmd::submit_sm, 0, b);
    out.push_back(std::move(j));
  }
}

std::string client::open() {
  auto& c = *_impl;
  if (c.cfg.system_id.empty()) return "SMPP system_id is empty";
  if (c.cfg.system_id.size() > 15) return "SMPP system_id longer than 15 characters (SMPP 3.4 5.2.1)";
  if (c.cfg.password.size() > 8) return "SMPP password longer than 8 characters (SMPP 3.4 5.2.2)";
  if (c.cfg.system_type.size() > 12) return "SMPP system_type longer than 12 characters (SMPP 3.4 5.2.3)";
  if (c.cfg.port == 0) return "SMPP port is 0";
  if (c.cfg.sessions == 0 || c.cfg.window == 0) return "SMPP sessions and window must be at least 1";
  if (c.cfg.outbox_path.empty()) return "SMPP outbox path is empty";
  if (auto err = c.store.open(c.cfg.outbox_path, c.cfg.outbox_sync); !err.empty()) return err;
  c.queue.set_rate(c.cfg.tps);
  // Requeue what the previous run left: parts without an answer are sent again.
  std::vector<part_job> jobs;
  std::vector<encoded_part> parts;
  for (auto& m : c.store.load_open()) {
    c.tracks.add(m.id, m.msg.client_ref, m.parts, m.msg.want_receipt);
    std::vector<bool> skip(m.parts, false);
    for (const auto& r : m.rows) {
      c.tracks.restore_part(m.id, r);
      if (r.seq >= 1 && r.seq <= m.parts) skip[r.seq - 1] = true;
    }
    if (m.state != row_state::pending) continue;
    if (encode_text(m.msg.text, static_cast<std::uint8_t>(m.id), parts) != text_error::none) continue;
    c.build_jobs(m.id, m.msg, parts, skip, jobs);
  }
  if (!jobs.empty())
    c.log(log_level::info, fmt::format("outbox: {} unacknowledged part(s) from a previous run queued", jobs.size()));
  c.recovered.fetch_add(jobs.size());
  c.queue.push_back(std::move(jobs));
  return {};
}

std::vector<accept_result> client::submit(std::span<const outgoing_message> batch) {
  auto& c = *_impl;
  std::vector<accept_result> results(batch.size());
  std::vector<std::vector<encoded_part>> encoded(batch.size());
  std::vector<outgoing_message> ok;
  std::vector<std::uint8_t> part_counts;
  std::vector<std::size_t> index;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    results[i].error = encode_text(batch[i].text, 0, encoded[i]);
    if (results[i].error == text_error::none && batch[i].destination.addr.empty()) results[i].error = text_error::empty;
    if (results[i].error != text_error::none) continue;
    results[i].parts = static_cast<std::uint8_t>(encoded[i].size());
    ok.push_back(batch[i]);
    part_counts.push_back(results[i].parts);
    index.push_back(i);
  }
  std::vector<std::uint64_t> ids;
  std::vector<bool> dup;
  if (!c.store.accept(ok, part_counts, ids, dup)) {
    c.log(log_level::error, "outbox: accept failed: " + c.store.last_error());
    for (auto i : index) results[i].id = 0;
    return results;
  }
  std::vector<part_job> jobs;
  for (std::size_t k = 0; k < ok.size(); ++k) {
    auto& r = results[index[k]];
    r.id = ids[k];
    r.duplicate = dup[k];
    if (dup[k]) continue;
    c.tracks.add(ids[k], ok[k].client_ref, r.parts, ok[k].want_receipt);
    c.build_jobs(ids[k], ok[k], encoded[index[k]], {}, jobs);
  }
  c.accepted.fetch_add(ok.size());
  c.queue.push_back(std::move(jobs));
  c.wake_senders();
  return results;
}

}  // namespace bssap::smpp
