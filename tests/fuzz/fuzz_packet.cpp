// Whole lower stack under libFuzzer: several frames per input into ONE packet_stack, so
// reassembly (IP fragments, SCTP B/E, TCP streams) and flow tables are fuzzed with their state.
// Input format: tests/decoders/vectors/lower/packet_fuzz_input.hpp. Seeds: corpus/packet/.
// Crashers are kept in regressions/fuzz_packet/ and replayed by tests/decoders/test_packet_stack.cpp.
#include <cstddef>
#include <cstdint>

#include "../decoders/vectors/lower/packet_fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)bssap::test::run_fuzz_input(data, size);
  return 0;
}
