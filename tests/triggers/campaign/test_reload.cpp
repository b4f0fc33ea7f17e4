// SIGHUP reloads campaigns and tables without stopping capture or losing an event; a bad new
// file keeps the old tables and says why (issue 11 "Subscriber data").
#include <catch2/catch.hpp>

#include "../smpp/proc.hpp"
#include "engine_support.hpp"

using namespace std::chrono_literals;
namespace t = bssap::test;

namespace {

std::size_t count_lines(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::size_t n = 0;
  std::string line;
  while (std::getline(f, line)) n += line.empty() ? 0 : 1;
  return n;
}

t::world record_world(const std::string& name, const std::string& text) {
  t::world w(name);
  // Recorded on every update: each decision line names the campaign's version (its id).
  w.campaign("updates",
             "trigger: {event: [location_update, periodic_update, power_on]}\n"
             "channel: {type: record}\noffer: {version: " +
                 text + "}\n");
  return w;
}

}  // namespace

TEST_CASE("SIGHUP mid-replay: new campaigns from the next event on, no event lost; a bad file is refused") {
  const auto pcap = t::source_dir() / "pcaps" / "sample.pcap";
  // Reference: the whole replay, no reload.
  const auto ref = record_world("reload-ref", "one");
  {
    t::child p({(t::bin_dir() / "bssap-probe").string(), "replay", pcap.string(), "--fast", "--config", ref.config(),
                "--decisions", (ref.dir / "decisions.jsonl").string(), "--events", (ref.dir / "events.jsonl").string(),
                "--no-summary"},
               ref.dir / "out", ref.dir / "err");
    REQUIRE(p.wait(60s) == 0);
  }
  const std::size_t events = count_lines(ref.dir / "events.jsonl");
  const std::size_t decisions = count_lines(ref.dir / "decisions.jsonl");
  REQUIRE(decisions > 20);

  const auto w = record_world("reload", "one");
  t::child p({(t::bin_dir() / "bssap-probe").string(), "replay", pcap.string(), "--speed", "100", "--config",
              w.config(), "--decisions", (w.dir / "decisions.jsonl").string(), "--events",
              (w.dir / "events.jsonl").string(), "--no-summary"},
             w.dir / "out", w.dir / "err");
  std::this_thread::sleep_for(700ms);
  // A broken campaign file: refused, the old campaigns stay.
  t::write_file(w.dir / "campaigns" / "broken.yaml", "id: broken\nname: x\ntrigger: {event: no_such_event}\n");
  p.signal(SIGHUP);
  REQUIRE(t::wait_until([&] { return t::slurp(w.dir / "err").find("reload refused") != std::string::npos; }, 5s));
  CHECK_THAT(t::slurp(w.dir / "err"), Catch::Contains("broken.yaml:3"));
  // Fixed, and a second campaign added: taken.
  std::filesystem::remove(w.dir / "campaigns" / "broken.yaml");
  w.campaign("added", "trigger: {event: [location_update, periodic_update, power_on]}\nchannel: {type: record}\n");
  p.signal(SIGHUP);
  REQUIRE(t::wait_until([&] { return t::slurp(w.dir / "err").find("info: reloaded") != std::string::npos; }, 5s));
  REQUIRE(p.wait(60s) == 0);
  CHECK(count_lines(w.dir / "events.jsonl") == events);  // nothing lost while reloading
  std::size_t updates = 0, added = 0;
  for (const auto& j : t::read_jsonl(w.dir / "decisions.jsonl")) {
    updates += j["campaign"] == "updates" ? 1 : 0;
    added += j["campaign"] == "added" ? 1 : 0;
  }
  CHECK(updates == decisions);  // every event decided by the campaign that was there all along
  CHECK(added > 0);             // the new one from the reload on
  CHECK(added < decisions);     // ... and not before it
}
