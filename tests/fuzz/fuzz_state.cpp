// libFuzzer target: the probe's subscriber state reader (`--state DIR`, correlator::load_state,
// probe/src/correlator.cpp). Input: the text of DIR/subscribers.txt. A refusal must say why; a
// file it takes must come back unchanged through save_state and a second load (what the probe
// writes at exit is what it restores at start), the subscriber table stays within its cap
// (max_subscribers, 64 here) and the TMSI map holds at most one entry per subscriber.
// Seeds: corpus/state/; crashers: regressions/fuzz_state/, replayed by tests/fuzz/replay/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "bssap/probe/correlator.hpp"

namespace {

struct no_events final : bssap::event_sink {
  void on_event(const bssap::event&) noexcept override {}
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using bssap::probe::correlator;
  static const std::filesystem::path root = [] {
    char tmpl[] = "/tmp/fuzz_state.XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    if (d == nullptr) std::abort();
    return std::filesystem::path(d);
  }();
  const auto in_dir = root / "in", out_dir = root / "out", again_dir = root / "again";
  std::filesystem::create_directories(in_dir);
  {
    std::FILE* f = std::fopen((in_dir / "subscribers.txt").c_str(), "wb");
    if (f == nullptr) std::abort();
    if (size != 0 && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
  }
  bssap::probe::correlator_config cfg;
  cfg.max_subscribers = 64;
  no_events sink;
  correlator first(cfg, sink);
  std::string error;
  if (!first.load_state(in_dir, error)) {
    if (error.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  if (first.subscriber_count() > cfg.max_subscribers) std::abort();
  if (first.tmsi_map_size() > first.subscriber_count()) std::abort();
  if (!first.save_state(out_dir, error)) std::abort();
  correlator second(cfg, sink);
  if (!second.load_state(out_dir, error)) std::abort();  // our own file is refused
  if (second.subscriber_count() != first.subscriber_count()) std::abort();
  if (second.tmsi_map_size() != first.tmsi_map_size()) std::abort();
  if (!second.save_state(again_dir, error)) std::abort();
  if (slurp(out_dir / "subscribers.txt") != slurp(again_dir / "subscribers.txt")) std::abort();
  return 0;
}
