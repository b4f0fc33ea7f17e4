// libFuzzer target: the campaign configuration. Input: a campaign file, a NUL byte, a probe.yaml.
// The campaign text goes through parse_campaign() and validate_against_tables(); the probe.yaml
// through parse_config() against an empty temporary folder, skipped when it names `campaigns`
// (the fuzzer reads no campaign files from disk). Seeds are corpus/config/; crashers are kept in
// regressions/fuzz_config/ and replayed by tests/triggers/campaign/test_config.cpp.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bssap/campaign/config.hpp"

using namespace bssap::campaign;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/fuzz_config.XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    return std::string(d ? d : "/tmp");
  }();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto cut = input.find('\0');
  const std::string_view campaign = input.substr(0, cut);
  const std::string_view probe = cut == std::string_view::npos ? std::string_view{} : input.substr(cut + 1);
  std::string error;
  if (auto c = parse_campaign(campaign, dir + "/c.yaml", error)) {
    probe_config cfg;
    cfg.campaigns.push_back(std::move(*c));
    (void)validate_against_tables(cfg, {});
    (void)validate_against_tables(cfg, table_columns{{"imsi", "msisdn", "brand"}, {"tac", "mms"}, {"airport"}});
  } else if (error.empty()) {
    std::abort();  // a failure always says why
  }
  if (!probe.empty() && probe.find("campaigns") == std::string_view::npos) {
    error.clear();
    if (!parse_config(probe, "probe.yaml", dir, error) && error.empty()) std::abort();
  }
  return 0;
}
