// What a session does with each PDU the SMSC sends (see session.hpp), by command_id (SMPP 3.4
// 5.1.2.1): bind_*_resp (4.1.2 / 4.1.4 / 4.1.6: accepted, or rejected, with ESME_RINVPASWD /
// ESME_RINVSYSID / ESME_RBINDFAIL marking the credentials bad), submit_sm_resp (4.4.2) and
// generic_nack (4.3) releasing their window slot: ESME_ROK acknowledges the part with the SMSC's
// message_id, ESME_RTHROTTLED / ESME_RMSGQFUL (5.1.3) mean "not taken" (the part goes back to the
// queue and the session pauses with a doubling back-off), any other status fails the part;
// deliver_sm (4.6, session_deliver.cpp); the SMSC's enquire_link (4.11) and unbind (4.2); and
// generic_nack ESME_RINVCMDID for any other command (4.3).
#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "session.hpp"

namespace bssap::smpp {

namespace {

std::int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

int session::handle(const header& h, std::span<const std::uint8_t> body, bool binding, std::uint32_t bind_id) {
  switch (h.command_id) {
    case cmd::bind_transceiver_resp:
    case cmd::bind_transmitter_resp:
    case cmd::bind_receiver_resp: {
      if (!binding || h.sequence_number != _bind_seq) return read_ok;
      if (h.command_status != status::ok) {
        _c.bind_failures.fetch_add(1);
        if (h.command_status == status::invpaswd || h.command_status == status::invsysid ||
            h.command_status == status::bindfail)
          _c.creds_rejected.store(true);
        _c.log(log_level::error,
               fmt::format("session {}: {} as '{}' rejected by SMSC: {} (0x{:08X})", _index, bind_name(bind_id),
                           _c.cfg.system_id, status_name(h.command_status), h.command_status));
        return read_closed;
      }
      std::string_view smsc;
      (void)decode_resp_id(body, 15, smsc);
      _c.creds_rejected.store(false);
      _c.bound_sessions.fetch_add(1);
      _c.log(log_level::info, fmt::format("session {}: {} to {}:{} accepted by '{}'", _index, bind_name(bind_id),
                                          _c.cfg.host, _c.cfg.port, smsc));
      return read_bound;
    }
    case cmd::submit_sm_resp:
    case cmd::generic_nack: {
      submit_window::inflight f;
      if (!_inflight.take(h.sequence_number, f)) {
        if (h.command_id == cmd::generic_nack)
          _c.log(log_level::warn, fmt::format("session {}: generic_nack {} for sequence {}", _index,
                                              status_name(h.command_status), h.sequence_number));
        return read_ok;
      }
      part_job& job = f.job;
      _c.smsc_latency.add(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - f.sent).count()));
      _c.in_flight.fetch_sub(1, std::memory_order_relaxed);
      if (h.command_status == status::ok && h.command_id == cmd::submit_sm_resp) {
        std::string_view id;
        (void)decode_resp_id(body, 64, id);
        if (job.event_ns > 0) {
          const std::int64_t d = realtime_ns() - job.event_ns;
          _c.latency.add(d > 0 ? static_cast<std::uint64_t>(d / 1000) : 0);
        }
        _c.acknowledged.fetch_add(1, std::memory_order_relaxed);
        _throttle.reset();
        _events.push_back({session_event::kind::ack, job.id, job.seq, std::string(id), 0, {}, {}});
      } else if (h.command_status == status::throttled || h.command_status == status::msgqful) {
        // 5.1.3: transient; the SMSC did not take the message. Pause this session and retry.
        _c.throttled.fetch_add(1, std::memory_order_relaxed);
        _c.retried.fetch_add(1, std::memory_order_relaxed);
        _throttle_until = steady::now() + _throttle.next();
        _requeue.push_back(std::move(job));
      } else {
        _c.failed.fetch_add(1, std::memory_order_relaxed);
        _c.count_failure(h.command_status);
        _events.push_back({session_event::kind::fail, job.id, job.seq, {}, h.command_status, {}, {}});
      }
      return read_ok;
    }
    case cmd::deliver_sm: {
      handle_deliver(h, body);
      return read_ok;
    }
    case cmd::enquire_link:
      encode_header_only(_out, cmd::enquire_link_resp, status::ok, h.sequence_number);
      return read_ok;
    case cmd::enquire_link_resp:
      _enquire_sent = {};
      return read_ok;
    case cmd::unbind:
      encode_header_only(_out, cmd::unbind_resp, status::ok, h.sequence_number);
      flush();
      _c.log(log_level::warn, fmt::format("session {}: SMSC unbound", _index));
      return read_unbound;
    case cmd::unbind_resp:
      return read_unbound;
    default:
      // 4.3: unknown or unsupported command: generic_nack, never for a generic_nack itself.
      encode_header_only(_out, cmd::generic_nack, status::invcmdid, h.sequence_number);
      _c.nacks.fetch_add(1);
      return read_ok;
  }
}

}  // namespace bssap::smpp
