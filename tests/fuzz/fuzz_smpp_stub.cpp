// libFuzzer target: smpp-stub's request path (tools/smpp-stub server.cpp on_readable(), the
// framing of 3.2, session.cpp, submit.cpp, faults, receipts, replies and the deliver_sm store),
// fed what an ESME would send: a TCP byte stream cut into reads (smpp_fuzz_stream.hpp). The stub
// is the real one with its connection on one end of a socketpair; its timers run after every
// read. What it writes back must frame (SMPP 3.4 3.2), its receive buffer never grows past the 64 KiB
// it starts with (a PDU is at most 64 KiB), and incomplete concatenations within the reassembler's cap. A connection
// the stub closes (unbind, bind rejected, bad command_length, a dropped-connection fault) is
// replaced by a new one, as a reconnecting ESME would do, so the store of waiting deliver_sm
// and the dedup tables see several connections.
// Options octet: bit 0 --throttle-fraction 0.5, bit 1 --reject-prefix 49, bit 2 --reply-fraction
// 1, bit 3 --drop-after 3, bit 4 --undeliv 0.5, bit 5 the JSON lines of --out written
// (to /dev/null), bits 6-7 --resp-delay-ms 0 or 1 (delayed submit_sm_resp on the timer queue).
// Seeds: corpus/smpp_stub/ (gen_smpp_seeds.py); crashers: regressions/fuzz_smpp_stub/, replayed
// by tests/fuzz/replay/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "../../tools/smpp-stub/src/stub.hpp"
#include "smpp_fuzz_stream.hpp"

namespace smpp_stub {

struct fuzz_stub_access {
  static connection& connect(stub& s, int fd) {
    auto c = std::make_unique<connection>();
    c->fd = fd;
    c->id = s._next_conn++;
    c->in.resize(65536);  // as accept_all()
    c->peer = "fuzz";
    auto& ref = *c;
    s._conns.emplace(ref.id, std::move(c));
    return ref;
  }
  static void start(stub& s, FILE* out) {
    s._out = out;
    s._id_base = 1u << 24;  // message ids independent of the clock: findings repeat
    s._start = steady::now();
  }
  static void stop(stub& s) { s._out = nullptr; }
  // One read's worth, then what run() does after epoll: timers, flush, closing.
  static bool serve(stub& s, connection& c) {
    s.on_readable(c);
    s.run_timers();
    for (auto& [id, other] : s._conns) s.flush(*other);
    if (c.in_len > c.in.size() || c.in.size() > 65536) std::abort();
    if (s._parts.pending() > bssap::smpp::reassembler::default_max_pending) std::abort();
    if (s._parts.pending_bytes() > bssap::smpp::reassembler::default_max_bytes) std::abort();
    return !c.closing;
  }
  static void close(stub& s, connection& c) {
    ::close(c.fd);
    s._conns.erase(c.id);
  }
};

}  // namespace smpp_stub

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace smpp_stub;
  if (size == 0) return 0;
  static FILE* devnull = std::fopen("/dev/null", "w");
  const std::uint8_t o = data[0];
  options opt;
  opt.throttle_fraction = (o & 1) ? 0.5 : 0;
  if (o & 2) opt.reject_prefix = "49";
  opt.reply_fraction = (o & 4) ? 1 : 0;
  opt.drop_after = (o & 8) ? 3 : 0;
  opt.undeliv = (o & 16) ? 0.5 : 0;
  opt.resp_delay_ms = (o >> 6) & 1;
  stub s(opt);
  fuzz_stub_access::start(s, (o & 32) ? devnull : nullptr);
  auto pipe = std::make_unique<bssap::test::smpp_pipe>();
  connection* c = &fuzz_stub_access::connect(s, pipe->fd[0]);
  bssap::test::smpp_chunks chunks{data, size};
  std::span<const std::uint8_t> chunk;
  unsigned reconnects = 0;
  while (chunks.next(chunk)) {
    (void)pipe->send(chunk);
    const bool open = fuzz_stub_access::serve(s, *c);
    (void)pipe->drain_and_check();
    if (!open) {
      // Everything the stub wrote before closing was whole PDUs.
      if (!pipe->received.empty()) std::abort();
      fuzz_stub_access::close(s, *c);
      c = nullptr;
      if (++reconnects > 16) break;
      pipe = std::make_unique<bssap::test::smpp_pipe>();
      c = &fuzz_stub_access::connect(s, pipe->fd[0]);
    }
  }
  if (c != nullptr) fuzz_stub_access::close(s, *c);
  fuzz_stub_access::stop(s);
  return 0;
}
