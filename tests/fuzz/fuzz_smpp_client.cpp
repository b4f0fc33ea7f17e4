// libFuzzer target: the SMPP client's receive path (triggers/smpp session.cpp read_frames(),
// session_responses.cpp, session_deliver.cpp, then commit()), fed as an SMSC would feed it:
// a TCP byte stream, cut into reads (smpp_fuzz_stream.hpp), with partial PDUs, several PDUs per
// read and absurd command_length values. The session is the real one, on one end of a
// socketpair; what it answers must frame (SMPP 3.4 3.2), and its buffers stay bounded: the
// receive buffer within max_pdu_size + 64 KiB, incomplete MO concatenations within the
// reassembler's cap.
// Options octet: bit 0 the session is still binding (waits for bind_*_resp sequence 1),
// bits 1-2 its role (0 transceiver, 1 transmitter, 2 receiver), bit 3 eight submit_sm are in
// flight (sequences 1..8), so submit_sm_resp and generic_nack find their window slots.
// Seeds: corpus/smpp_client/ (gen_smpp_seeds.py); crashers: regressions/fuzz_smpp_client/,
// replayed by tests/fuzz/replay/.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "../../triggers/smpp/src/session.hpp"
#include "smpp_fuzz_stream.hpp"

namespace bssap::smpp {

struct fuzz_session_access {
  static void attach(session& s, int fd) {
    s._fd = fd;
    s._bind_seq = 1;
  }
  static void fill_window(session& s) {
    for (std::uint32_t seq = 1; seq <= 8; ++seq) {
      part_job j;
      j.id = seq;
      j.pdu.assign(header_size, 0);
      s._inflight.add(seq, std::move(j), steady::now());
    }
  }
  static int read(session& s, bool binding, std::uint32_t bind_id, bool& was_bound) {
    return s.read_frames(binding, bind_id, was_bound);
  }
  static bool bound(int r) { return r == session::read_bound; }
  static bool ended(int r) { return r == session::read_closed || r == session::read_unbound; }
  static void commit(session& s) { s.commit(); }
  static void flush(session& s) { (void)s.flush(); }
  static void check_bounds(const session& s) {
    if (s._in_len > s._in.size()) std::abort();
    if (s._in.size() > s._c.cfg.max_pdu_size + 65536) std::abort();
    if (s._mo_parts.pending() > reassembler::default_max_pending) std::abort();
    if (s._inflight.size() > 8) std::abort();
  }
};

}  // namespace bssap::smpp

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bssap::smpp;
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  client_config cfg;
  cfg.system_id = "fuzz";
  cfg.outbox_path = ":memory:";
  client::impl impl(cfg);
  impl.log_cb = [](log_level, std::string_view) {};
  if (!impl.store.open(":memory:", "off").empty()) std::abort();
  static constexpr role roles[] = {role::transceiver, role::transmitter, role::receiver, role::transceiver};
  const role r = roles[(options >> 1) & 3];
  const std::uint32_t bind_id = r == role::transceiver   ? cmd::bind_transceiver
                                : r == role::transmitter ? cmd::bind_transmitter
                                                         : cmd::bind_receiver;
  bssap::test::smpp_pipe pipe;
  session s(impl, 0, r);
  fuzz_session_access::attach(s, pipe.fd[0]);
  if (options & 8) fuzz_session_access::fill_window(s);
  bool binding = (options & 1) != 0;
  bool was_bound = false;
  bssap::test::smpp_chunks chunks{data, size};
  std::span<const std::uint8_t> chunk;
  while (chunks.next(chunk)) {
    if (!pipe.send(chunk)) break;
    const int result = fuzz_session_access::read(s, binding, bind_id, was_bound);
    fuzz_session_access::commit(s);
    fuzz_session_access::flush(s);
    fuzz_session_access::check_bounds(s);
    (void)pipe.drain_and_check();
    if (fuzz_session_access::bound(result)) binding = false;
    if (fuzz_session_access::ended(result)) break;  // closed or unbound: the session ends
  }
  fuzz_session_access::commit(s);
  fuzz_session_access::flush(s);
  (void)pipe.drain_and_check();
  if (!pipe.received.empty()) std::abort();  // half a PDU written
  return 0;
}
