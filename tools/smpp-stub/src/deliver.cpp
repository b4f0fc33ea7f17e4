// smpp-stub's timers and deliver_sm store (see stub.hpp). Delayed submit_sm_resp (faults.cpp)
// go out on their own connection when due, or not at all if it went. Receipts (receipts.cpp)
// and replies (replies.cpp) wait, like a real SMSC's store, until some bound session may receive
// deliver_sm (SMPP 3.4 2.2: a receiver or transceiver, never a transmitter); sessions take turns.
#include "stub.hpp"

namespace smpp_stub {

connection* stub::receiver() {
  // Round-robin over bound connections that may receive deliver_sm.
  if (_conns.empty()) return nullptr;
  for (std::size_t k = 0; k < _conns.size(); ++k) {
    auto it = _conns.upper_bound(_rr);
    if (it == _conns.end()) it = _conns.begin();
    _rr = it->first;
    if (it->second->bound && it->second->can_receive && !it->second->closing) return it->second.get();
  }
  return nullptr;
}

void stub::send_deliver(connection& c, const timed& t) {
  if (t.what == timed::kind::receipt)
    send_receipt(c, t);
  else
    send_reply(c, t);
}

void stub::deliver_waiting() {
  while (!_waiting.empty()) {
    connection* c = receiver();
    if (!c) return;
    send_deliver(*c, _waiting.front());
    _waiting.pop_front();
  }
}

void stub::run_timers() {
  const auto now = steady::now();
  while (!_timers.empty() && _timers.top().due <= now) {
    timed t = _timers.top();
    _timers.pop();
    if (t.what == timed::kind::resp) {
      auto it = _conns.find(t.conn);
      if (it != _conns.end() && !it->second->closing)
        smpp::encode_resp_id(it->second->out, smpp::cmd::submit_sm_resp, t.status, t.seq, t.message_id);
      continue;
    }
    // A receipt or reply waits (like a real SMSC's store) until some ESME can receive it.
    _waiting.push_back(std::move(t));
  }
  deliver_waiting();
}

}  // namespace smpp_stub
