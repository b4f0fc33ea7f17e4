// Replays the seeds (corpus/<name>/) and every crasher kept (regressions/fuzz_<name>/) of the
// fuzz targets listed in CMakeLists.txt through the targets' own entry points, forever, under
// this build's sanitizers: a finding fixed once stays fixed. A missing regressions folder is a
// failure, not a quiet pass (the folder is kept in git by its .keep).
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_support.hpp"

#define BSSAP_FUZZ_ENTRY(name) extern "C" int fuzz_one_##name(const std::uint8_t* data, std::size_t size);
BSSAP_FUZZ_ENTRY(tables)
BSSAP_FUZZ_ENTRY(smpp_client)
BSSAP_FUZZ_ENTRY(smpp_stub)
BSSAP_FUZZ_ENTRY(state)
BSSAP_FUZZ_ENTRY(events)
BSSAP_FUZZ_ENTRY(flow)

namespace {

using entry = int (*)(const std::uint8_t*, std::size_t);

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs every file of corpus/<name> and regressions/fuzz_<name>; returns {seeds, regressions}.
std::pair<std::size_t, std::size_t> replay(const std::string& name, entry one) {
  namespace fs = std::filesystem;
  const fs::path root = bssap::test::source_dir() / "tests" / "fuzz";
  const fs::path corpus = root / "corpus" / name, kept = root / "regressions" / ("fuzz_" + name);
  REQUIRE(fs::is_directory(corpus));
  REQUIRE(fs::is_directory(kept));  // where scripts/fuzz-smoke.sh files this target's crashers
  std::size_t counts[2] = {0, 0};
  int which = 0;
  for (const auto& dir : {corpus, kept}) {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!e.is_regular_file() || e.path().filename().string().starts_with(".")) continue;
      const auto data = read_bytes(e.path());
      INFO(e.path().string());
      CHECK(one(data.data(), data.size()) == 0);
      ++counts[which];
    }
    ++which;
  }
  return {counts[0], counts[1]};
}

}  // namespace

TEST_CASE("fuzz_tables seeds and regressions replay", "[fuzz]") {
  CHECK(replay("tables", fuzz_one_tables).first >= 1);
}
TEST_CASE("fuzz_smpp_client seeds and regressions replay", "[fuzz][smpp]") {
  CHECK(replay("smpp_client", fuzz_one_smpp_client).first >= 5);
}
TEST_CASE("fuzz_smpp_stub seeds and regressions replay", "[fuzz][smpp]") {
  CHECK(replay("smpp_stub", fuzz_one_smpp_stub).first >= 5);
}
TEST_CASE("fuzz_state seeds and regressions replay", "[fuzz][state]") {
  CHECK(replay("state", fuzz_one_state).first >= 2);
}
TEST_CASE("fuzz_events seeds and regressions replay", "[fuzz][events]") {
  CHECK(replay("events", fuzz_one_events).first >= 2);
}
TEST_CASE("fuzz_flow seeds and regressions replay", "[fuzz][flow]") {
  CHECK(replay("flow", fuzz_one_flow).first >= 5);
}
