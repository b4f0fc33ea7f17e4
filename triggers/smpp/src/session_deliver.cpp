// deliver_sm from the SMSC (SMPP 3.4 4.6) on a session (see session.hpp), and the commit of one
// poll iteration's answers. A deliver_sm whose esm_class says "SMSC delivery receipt" (5.2.12)
// is a receipt: the part it names by receipted_message_id (5.3.2.12) or by the "id:" of its
// Appendix B text, its state from message_state (5.3.2.35) or the text's "stat:". Any other is
// a mobile-originated message: UDH concatenation (esm_class 0x40, 3GPP TS 23.040 9.2.3.24.1)
// reassembled before on_mo sees it. A deliver_sm that cannot be decoded, or whose UDH is broken,
// is answered 0x65 (ESME_RX_P_APPN, 5.1.3: permanent, a resend would fail the same way).
// deliver_sm_resp (4.6.2) goes out only after the outbox holds what the deliver_sm told, so a
// receipt is never lost between the SMSC forgetting it and the outbox storing it.
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "session.hpp"

namespace bssap::smpp {

void session::handle_deliver(const header& h, std::span<const std::uint8_t> body) {
  sm_body sm;
  const auto err = decode_sm(body, sm);
  if (err != decode_error::none) {
    _c.log(log_level::warn, fmt::format("session {}: malformed deliver_sm ({})", _index, to_string(err)));
    // Answered (4.6.2) with a permanent application error: a resend would fail the same way.
    _responses.push_back({h.sequence_number, 0x65});
    return;
  }
  if ((sm.esm_class & esm::type_mask) == esm::delivery_receipt) {
    receipt_text rt;
    const std::string_view text(reinterpret_cast<const char*>(sm.short_message.data()), sm.short_message.size());
    const bool has_text = parse_receipt_text(text, rt);
    std::string_view id = !sm.receipted_message_id.empty() ? sm.receipted_message_id : rt.id;
    message_state state = sm.message_state ? static_cast<message_state>(*sm.message_state)
                                           : (has_text ? state_from_stat(rt.stat) : message_state::unknown);
    if (!id.empty()) {
      _events.push_back({session_event::kind::receipt, 0, 0, std::string(id), 0, state, std::string(rt.err)});
    } else {
      _c.unmatched.fetch_add(1);
    }
    _responses.push_back({h.sequence_number, status::ok});
    return;
  }
  concat_info ci;
  std::span<const std::uint8_t> payload;
  if (!split_udh(sm.esm_class, sm.short_message.empty() ? sm.message_payload : sm.short_message, ci, payload)) {
    _responses.push_back({h.sequence_number, 0x65});
    return;
  }
  reassembler::complete done;
  if (_mo_parts.add(sm.source.addr, sm.destination.addr, sm.data_coding, ci, payload, done)) {
    mo_event m{{sm.source.ton, sm.source.npi, std::string(sm.source.addr)},
               {sm.destination.ton, sm.destination.npi, std::string(sm.destination.addr)},
               std::move(done.text),
               sm.data_coding,
               ci.ref,
               1,
               1};
    _mo.push_back(std::move(m));
  }
  _responses.push_back({h.sequence_number, status::ok});
}

void session::commit() {
  if (!_requeue.empty()) {
    _c.queue.push_front(std::move(_requeue));
    _requeue.clear();
  }
  if (_events.empty() && _responses.empty() && _mo.empty()) return;
  _updates.clear();
  _receipts.clear();
  _failures.clear();
  std::uint64_t unmatched = 0;
  bool stored = true;
  {
    std::lock_guard order(_c.apply_order);
    _c.tracks.apply(_events, _updates, _receipts, _failures, unmatched);
    stored = _c.store.apply(_updates);
  }
  _events.clear();
  if (unmatched) _c.unmatched.fetch_add(unmatched);
  if (!stored)
    _c.log(log_level::error, fmt::format("session {}: outbox write failed: {}", _index, _c.store.last_error()));
  _c.delivered.fetch_add(_receipts.size(), std::memory_order_relaxed);
  if (_c.receipt_cb)
    for (const auto& r : _receipts) _c.receipt_cb(r);
  if (_c.failure_cb)
    for (const auto& f : _failures) _c.failure_cb(f);
  _c.mo.fetch_add(_mo.size());
  if (_c.mo_cb)
    for (const auto& m : _mo) _c.mo_cb(m);
  _mo.clear();
  for (const auto& [seq, st] : _responses) encode_resp_id(_out, cmd::deliver_sm_resp, st, seq, {});
  _responses.clear();
}

}  // namespace bssap::smpp
