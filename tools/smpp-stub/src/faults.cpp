// smpp-stub's fault injection (see stub.hpp): what a real SMSC does to an ESME now and then,
// on demand. Each fault mode is an option (cli.cpp) read here at one point of a submit_sm's
// handling (submit.cpp):
//   before decoding   --drop-after N, --drop-probability F (at most --drop-max): the connection
//                     goes with the submit_sm unanswered, as if the SMSC crashed (the
//                     at-least-once window of triggers/smpp README);
//   instead of ESME_ROK  --reject-prefix DIGITS: ESME_RINVDSTADR (SMPP 3.4 5.1.3, permanent);
//                     --throttle-fraction F and --storm-period-ms / --storm-length-ms:
//                     ESME_RTHROTTLED or ESME_RMSGQFUL (5.1.3, transient: "not taken"), as
//                     --storm-status says (mixed alternates);
//   on the response   --resp-delay-ms: every submit_sm_resp (4.4.2) late (a slow SMSC).
// Draws come from the one seeded generator (--seed), in this order, so a run repeats.
#include <chrono>
#include <string>

#include "stub.hpp"

namespace smpp_stub {

bool stub::drop_fault(connection& c) {
  if ((_o.drop_after && c.submits >= _o.drop_after) ||
      (_o.drop_probability > 0 && std::uniform_real_distribution<>(0, 1)(_rng) < _o.drop_probability)) {
    if (!_o.drop_max || _n.drops < _o.drop_max) {
      // Simulated crash: this submit_sm is lost unanswered, the connection goes.
      ++_n.drops;
      drop(c, "fault injection (dropped connection)");
      return true;
    }
  }
  return false;
}

std::uint32_t stub::status_fault(const smpp::sm_body& sm) {
  using namespace smpp;
  if (!_o.reject_prefix.empty() && sm.destination.addr.substr(0, _o.reject_prefix.size()) == _o.reject_prefix) {
    ++_n.rejected;
    return status::invdstadr;
  }
  const bool storm = in_storm();
  if (storm || (_o.throttle_fraction > 0 && std::uniform_real_distribution<>(0, 1)(_rng) < _o.throttle_fraction)) {
    std::uint32_t st = status::throttled;
    if (_o.storm_status == "msgqful" || (_o.storm_status == "mixed" && (_n.throttled + _n.msgqful) % 2))
      st = status::msgqful;
    ++(st == status::throttled ? _n.throttled : _n.msgqful);
    return st;
  }
  return status::ok;
}

bool stub::in_storm() const {
  if (!_o.storm_period_ms || !_o.storm_length_ms) return false;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - _start).count();
  return static_cast<unsigned>(ms % _o.storm_period_ms) < _o.storm_length_ms;
}

void stub::respond(connection& c, std::uint32_t seq, std::uint32_t st, const std::string& id) {
  if (_o.resp_delay_ms) {
    timed t;
    t.due = steady::now() + std::chrono::milliseconds(_o.resp_delay_ms);
    t.order = _order++;
    t.what = timed::kind::resp;
    t.conn = c.id;
    t.seq = seq;
    t.status = st;
    t.message_id = id;
    _timers.push(std::move(t));
    return;
  }
  smpp::encode_resp_id(c.out, smpp::cmd::submit_sm_resp, st, seq, id);
}

}  // namespace smpp_stub
