// Message and part state, receipt matching (see tracker.hpp). SMPP 3.4 4.4.2 (submit_sm_resp
// message_id), 4.6.1 (deliver_sm receipts), 5.2.28 (final message states), Appendix B.
#include "tracker.hpp"

namespace bssap::smpp {

void tracker::add(std::uint64_t id, std::string client_ref, std::uint8_t total, bool want_receipt) {
  std::lock_guard lock(_mutex);
  auto& t = _messages[id];
  t.client_ref = std::move(client_ref);
  t.total = total;
  t.want_receipt = want_receipt;
  t.part.assign(total, 0);
}

void tracker::restore_part(std::uint64_t id, const part_row& r) {
  std::lock_guard lock(_mutex);
  auto it = _messages.find(id);
  if (it == _messages.end() || r.seq == 0 || r.seq > it->second.total) return;
  auto& t = it->second;
  std::uint8_t& p = t.part[r.seq - 1];
  if (r.status != 0) {
    p = 2;
    t.fail_status = r.status;
    ++t.answered;
    return;
  }
  ++t.answered;
  if (r.receipt_state != 0 && is_final(static_cast<message_state>(r.receipt_state))) {
    p = 3;
    ++t.finals;
  } else {
    p = 1;
    if (!r.smsc_id.empty()) _by_smsc[r.smsc_id] = {id, r.seq};
  }
}

void tracker::apply(std::vector<session_event>& events, std::vector<outbox_update>& updates,
                    std::vector<receipt_event>& receipts, std::vector<submit_failure>& failures,
                    std::uint64_t& unmatched) {
  std::lock_guard lock(_mutex);
  const auto now = std::chrono::steady_clock::now();
  if (now - _last_purge > std::chrono::seconds(1)) {
    _last_purge = now;
    for (auto o = _orphans.begin(); o != _orphans.end();) {
      if (now - o->second.since > orphan_max_age) {
        ++unmatched;
        o = _orphans.erase(o);
      } else {
        ++o;
      }
    }
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto& e = events[i];
    if (e.what == session_event::kind::receipt) {
      auto it = _by_smsc.find(e.smsc_id);
      if (it == _by_smsc.end()) {
        // The submit_sm_resp may still be in another session's batch: keep it a while.
        // (A receipt for a copy whose ack was lost in a crash never matches: it ages out.)
        if (_orphans.size() >= orphan_limit) {
          ++unmatched;
        } else {
          const std::string key = e.smsc_id;
          _orphans.emplace(key, orphan{std::move(e), std::chrono::steady_clock::now()});
        }
        continue;
      }
      const auto [id, seq] = it->second;
      auto mt = _messages.find(id);
      if (mt == _messages.end()) {
        _by_smsc.erase(it);
        ++unmatched;
        continue;
      }
      auto& t = mt->second;
      updates.push_back({outbox_update::kind::receipt, id, seq, {}, 0, static_cast<int>(e.state)});
      receipt_event r{id, t.client_ref, seq, t.total, e.smsc_id, e.state, e.err, false};
      if (is_final(e.state)) {
        _by_smsc.erase(it);
        if (t.part[seq - 1] != 3) {
          t.part[seq - 1] = 3;
          ++t.finals;
        }
      }
      if (t.finals == t.total) {
        r.message_final = true;
        updates.push_back({outbox_update::kind::message_state, id, 0, {}, 0, row_state::final});
        _messages.erase(mt);
      }
      receipts.push_back(std::move(r));
      continue;
    }
    // `events` may grow below (orphans re-queued): copy what is used after that.
    const std::uint64_t id = e.id;
    auto mt = _messages.find(id);
    if (mt == _messages.end() || e.seq == 0 || e.seq > mt->second.total) continue;
    auto& t = mt->second;
    auto& p = t.part[e.seq - 1];
    if (p != 0) continue;  // answered already (a resend acknowledged twice): first answer wins
    ++t.answered;
    if (e.what == session_event::kind::ack) {
      p = 1;
      updates.push_back({outbox_update::kind::ack, e.id, e.seq, e.smsc_id, 0, 0});
      if (t.want_receipt) {
        _by_smsc[e.smsc_id] = {e.id, e.seq};
        // A receipt that overtook this ack on another session can be matched now.
        if (auto o = _orphans.find(e.smsc_id); o != _orphans.end()) {
          events.push_back(std::move(o->second.event));  // invalidates `e`: not used below
          _orphans.erase(o);
        }
      }
    } else {
      p = 2;
      t.fail_status = e.command_status;
      updates.push_back({outbox_update::kind::fail, e.id, e.seq, {}, e.command_status, 0});
      failures.push_back({e.id, t.client_ref, e.seq, e.command_status});
    }
    if (t.answered == t.total) {
      const bool failed = t.fail_status != 0;
      const int state = failed ? row_state::failed : (t.want_receipt ? row_state::submitted : row_state::final);
      updates.push_back({outbox_update::kind::message_state, id, 0, {}, t.fail_status, state});
      if (state != row_state::submitted) {
        // Failed (or no receipt asked for): receipts for its acknowledged parts, if any
        // come, are counted as unmatched.
        _messages.erase(mt);
      }
    }
  }
}

}  // namespace bssap::smpp
