// One SMPP session: one TCP connection to the SMSC, bound as transceiver, transmitter or
// receiver (SMPP 3.4 2.2 session states, 4.1 bind), on its own I/O thread (POSIX sockets +
// poll), owning its socket, buffers, sequence numbers (5.1.4) and window. Its work is spread
// over three files along the protocol's seams:
//   session.cpp           the connection: connect, bind, the bound loop (window filling, the
//                         enquire_link keep-alive 4.11, response timeouts), unbind (4.2), and
//                         reconnecting with back-off;
//   session_responses.cpp the PDUs the SMSC sends: responses to our requests (bind_*_resp,
//                         submit_sm_resp 4.4.2, generic_nack 4.3, throttling 5.1.3), its own
//                         enquire_link and unbind, generic_nack for anything else;
//   session_deliver.cpp   deliver_sm (4.6): delivery receipts and MO messages, and the commit
//                         of one poll iteration's answers (tracker, outbox, callbacks, then
//                         deliver_sm_resp).
#pragma once

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "backoff.hpp"
#include "bssap/smpp/pdu.hpp"
#include "bssap/smpp/text.hpp"
#include "client_impl.hpp"
#include "window.hpp"

namespace bssap::smpp {

enum class role : std::uint8_t { transceiver, transmitter, receiver };

// "bind_transceiver" / "bind_transmitter" / "bind_receiver" (also for their _resp ids).
std::string_view bind_name(std::uint32_t id);

class session {
 public:
  session(client::impl& c, unsigned index, role r);
  ~session();
  void start();
  void request_stop(steady::time_point drain_deadline);
  void join();
  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(_wake_fd, &one, sizeof one);
  }
  bool sends() const noexcept { return _role != role::receiver; }

 private:
  // tests/fuzz/fuzz_smpp_client.cpp drives read_frames() and commit() on a socketpair, as if
  // the SMSC had sent its input.
  friend struct fuzz_session_access;

  // session.cpp
  void run();
  void drain_wake();
  bool connect_socket(std::string& err);
  void close_socket();
  void requeue_inflight();
  std::uint32_t next_seq() noexcept { return _seq.next(); }
  // Serves one connection: bind, then traffic until disconnect or stop. True if it was bound.
  bool serve();
  bool pending_out() const noexcept { return _out_sent < _out.size(); }
  // Non-blocking write of what is buffered; false when the connection is gone.
  bool flush();
  static constexpr int read_ok = 0, read_bound = 1, read_closed = 2, read_unbound = 3;
  int read_frames(bool binding, std::uint32_t bind_id, bool& was_bound);

  // session_responses.cpp
  int handle(const header& h, std::span<const std::uint8_t> body, bool binding, std::uint32_t bind_id);

  // session_deliver.cpp
  void handle_deliver(const header& h, std::span<const std::uint8_t> body);
  // Applies this iteration's answers: tracker, one outbox transaction, callbacks, then the
  // deliver_sm_resp (so a receipt is durable before the SMSC forgets it).
  void commit();

  client::impl& _c;
  unsigned _index;
  role _role;
  int _fd = -1;
  int _wake_fd = -1;
  std::thread _thread;
  std::atomic<bool> _stopping{false};
  std::atomic<steady::rep> _drain_deadline_ns{0};
  std::vector<std::uint8_t> _in;
  std::size_t _in_len = 0;
  std::vector<std::uint8_t> _out;
  std::size_t _out_sent = 0;
  submit_window _inflight;
  sequence_counter _seq;
  std::uint32_t _bind_seq = 0;
  steady::time_point _last_rx{}, _enquire_sent{}, _throttle_until{};
  doubling_backoff _throttle;
  std::vector<session_event> _events;
  std::vector<part_job> _requeue;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> _responses;  // deliver_sm seq, status
  std::vector<mo_event> _mo;
  std::vector<outbox_update> _updates;
  std::vector<receipt_event> _receipts;
  std::vector<submit_failure> _failures;
  reassembler _mo_parts;
};

}  // namespace bssap::smpp
