// libFuzzer target, stateful: a sequence of frames through flow decoding and correlation
// together (probe/src/flow_decoder.cpp, correlator.cpp), as one pipeline worker runs them, so
// that SCCP connection tables, held records, pending LU events and the TMSI -> IMSI map carry
// state from frame to frame. Input: the fuzz_packet format (tests/decoders/vectors/lower/
// packet_fuzz_input.hpp: a config octet, then [selector length(2) frame] records; time advances
// by selector >> 4 seconds). Memory stays bounded: after every frame the flow decoder's and the
// correlator's connection tables, the subscriber table and the TMSI map are within the small
// caps configured here (abort otherwise); at the end close_all() leaves nothing open.
// Seeds: corpus/flow/ (gen_flow_seeds.py, from pcaps/); crashers: regressions/fuzz_flow/,
// replayed by tests/fuzz/replay/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "../decoders/vectors/lower/packet_fuzz_input.hpp"
#include "bssap/probe/correlator.hpp"
#include "bssap/probe/flow_decoder.hpp"

namespace {

struct count_events final : bssap::event_sink {
  std::size_t n = 0;
  void on_event(const bssap::event&) noexcept override { ++n; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bssap;
  if (size == 0) return 0;
  probe::flow_decoder_config fc;
  fc.stack = test::fuzz_stack_config(data[0]);
  fc.max_connections = 8;
  fc.connection_idle_timeout_us = 60'000'000;
  probe::correlator_config cc;
  cc.home_plmns = {"460-00", "262-01"};
  cc.max_connections = 8;
  cc.max_subscribers = 16;
  cc.max_held_per_connection = 4;
  count_events sink;
  probe::flow_decoder flows(fc, 0);
  probe::correlator corr(cc, sink);
  auto feed = [&](const probe::a_record& r) noexcept { corr.feed(r); };
  const auto out = probe::make_record_sink(feed);
  auto check = [&] {
    if (flows.open_connections() > fc.max_connections) std::abort();
    if (corr.open_connections() > cc.max_connections) std::abort();
    if (corr.subscriber_count() > cc.max_subscribers) std::abort();
    if (corr.tmsi_map_size() > cc.max_subscribers) std::abort();  // one TMSI per stored subscriber
  };
  std::uint64_t seq = 0;
  test::for_each_fuzz_frame(data, size, [&](std::uint8_t, dec::linktype lt, dec::bytes frame, std::int64_t now) {
    flows.decode(lt, frame, now, ++seq, out);
    check();
  });
  flows.close_all(++seq, out);
  corr.close_all();
  check();
  if (flows.open_connections() != 0 || corr.open_connections() != 0) std::abort();
  return 0;
}
