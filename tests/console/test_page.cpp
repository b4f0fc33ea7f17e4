// The web page in headless Chromium (Debian chromium): a replay with --http, the page loaded,
// its numbers (after its scripts ran) equal to /metrics and /api, Chinese text present, and a
// screenshot saved under build/.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "bssap/event.hpp"
#include "console_test_util.hpp"

using namespace bssap;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The text of the element with id `id` in a DOM dump ("" when absent).
std::string element_text(const std::string& dom, const std::string& id) {
  const auto at = dom.find("id=\"" + id + "\"");
  if (at == std::string::npos) return {};
  const auto open = dom.find('>', at);
  const auto close = dom.find('<', open);
  return open == std::string::npos || close == std::string::npos ? std::string()
                                                                 : dom.substr(open + 1, close - open - 1);
}

std::string chromium_cmd(const fs::path& profile) {
  // `timeout`: a headless Chromium that hangs (seen once on a loaded machine, in --screenshot) ends
  // the attempt instead of the test run.
  return "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
         "--user-data-dir=" +
         profile.string() + " --virtual-time-budget=10000 --window-size=1280,1700 ";
}

}  // namespace

TEST_CASE("the web page in headless Chromium shows the numbers of /metrics and /api", "[console][e2e][chromium]") {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0) BSSAP_SKIP_OR_FAIL("chromium (Debian chromium) missing");
  const auto dir = test::console_dir("page");
  const auto examples = test::source_dir() / "examples";
  std::ofstream(dir / "probe.yaml") << "home_plmns: [460-00, 460-02, 460-07]\ntimezone: \"+08:00\"\n"
                                    << "state_dir: " << (dir / "state").string() << "\n"
                                    << "subscribers: " << (examples / "subscribers.csv").string() << "\n"
                                    << "areas: " << (examples / "areas.yaml").string() << "\n";
  std::ofstream(dir / "regions.csv") << "prefix,region\n134,北京\n135,广州\n136,深圳\n139,武汉\n150,广州\n";
  test::child probe({test::probe_path(), "replay", (test::source_dir() / "pcaps" / "sample.pcap").string(), "--config",
                     (dir / "probe.yaml").string(), "--regions", (dir / "regions.csv").string(), "--http",
                     "127.0.0.1:0", "--http-linger", "300"},
                    dir / "out.txt", dir / "err.txt");
  const int port = test::wait_console_port(dir / "err.txt");
  REQUIRE(port > 0);
  REQUIRE(
      test::wait_until([&] { return test::slurp(dir / "err.txt").find("correl     subscribers") != std::string::npos; },
                       std::chrono::seconds(300)));
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  const int rc = std::system((chromium_cmd(dir / "profile") + "--dump-dom " + url + " > " +
                              (dir / "dom.html").string() + " 2> " + (dir / "chromium.err").string())
                                 .c_str());
  INFO(test::slurp(dir / "chromium.err"));
  REQUIRE(rc == 0);
  const std::string dom = test::slurp(dir / "dom.html");
  REQUIRE(dom.find("data-loaded=\"yes\"") != std::string::npos);

  httplib::Client c("127.0.0.1", port);
  const auto metrics = c.Get("/metrics");
  REQUIRE(metrics);
  const std::string& m = metrics->body;
  CHECK(element_text(dom, "packets") ==
        std::to_string(static_cast<std::uint64_t>(*test::metric(m, "bssap_capture_packets_total"))));
  double events = 0;
  for (std::size_t t = 0; t < event_type_count; ++t)
    events += test::metric(m, "bssap_events_total{type=\"" + std::string(to_string(static_cast<event_type>(t))) + "\"}")
                  .value_or(0);
  CHECK(element_text(dom, "events-total") == std::to_string(static_cast<std::uint64_t>(events)));
  CHECK(element_text(dom, "subscribers") ==
        std::to_string(static_cast<std::uint64_t>(*test::metric(m, "bssap_subscribers"))));
  CHECK(element_text(dom, "unresolved") ==
        std::to_string(static_cast<std::uint64_t>(*test::metric(m, "bssap_events_unresolved_total"))));
  CHECK(element_text(dom, "drops") == "0");
  // Chinese text as UTF-8: the page's own and the regions from the operator's table.
  CHECK(dom.find("采集状态") != std::string::npos);
  const auto visitors = json::parse(c.Get("/api/v1/areas/scenic-spot/visitors")->body);
  REQUIRE(!visitors["days"].empty());
  const auto day = visitors["days"].back();
  CHECK(dom.find("<td class=\"l\">scenic-spot</td><td class=\"l\">" + day["start"].get<std::string>() + "</td><td>" +
                 std::to_string(day["visitors"].get<int>()) + "</td>") != std::string::npos);
  CHECK(dom.find("北京") != std::string::npos);

  const fs::path shot = test::bin_dir().parent_path() / "console-page.png";
  fs::remove(shot);
  bool shot_taken = false;
  for (int attempt = 0; attempt < 2 && !shot_taken; ++attempt)
    // Real time for the screenshot (--timeout: stop loading after 8 s, then shoot): with virtual
    // time, --screenshot hung on a loaded machine while the page kept polling.
    shot_taken =
        std::system((std::string("timeout 120 chromium --headless --no-sandbox --disable-gpu "
                                 "--disable-dev-shm-usage --no-first-run --timeout=8000 "
                                 "--window-size=1280,1700 --user-data-dir=") +
                     (dir / ("profile-shot-" + std::to_string(attempt))).string() + " --screenshot=" + shot.string() +
                     " " + url + " > /dev/null 2>> " + (dir / "chromium.err").string())
                        .c_str()) == 0 &&
        fs::exists(shot);
  REQUIRE(shot_taken);
  CHECK(fs::file_size(shot) > 20000);
  CHECK(probe.stop(SIGTERM) == 0);
}
