// The trigger worker's reorder window (stream/include/bssap/stream/reorder.hpp).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "bssap/stream/reorder.hpp"

using namespace bssap;
using namespace bssap::stream;

namespace {

constexpr std::int64_t s = 1'000'000;

held_event at(std::int64_t ts, std::uint64_t seq, std::string id = "") {
  held_event h;
  h.ev.ts_us = ts;
  h.seq = seq;
  h.event_id = id.empty() ? std::to_string(seq) : id;
  return h;
}

std::vector<std::int64_t> released(reorder_window& w) {
  std::vector<std::int64_t> out;
  w.release([&](held_event& h) { out.push_back(h.ev.ts_us); });
  return out;
}

}  // namespace

TEST_CASE("reorder: two probes' events come out in ts order once both have passed them", "[stream]") {
  reorder_window w({.window_us = 1 * s, .max_lag_us = 3600 * s, .expected_sources = 2});
  // Probe a is far ahead: nothing goes until b is known, then up to b's progress minus the window.
  w.add("a", at(10 * s, 1));
  w.add("a", at(20 * s, 2));
  w.add("a", at(30 * s, 3));
  CHECK(released(w).empty());
  w.add("b", at(15 * s, 4));
  CHECK(released(w) == std::vector<std::int64_t>{10 * s});  // b at 15 s: release point 14 s
  w.progress("b", 25 * s, false);
  CHECK(released(w) == std::vector<std::int64_t>{15 * s, 20 * s});
  w.add("b", at(26 * s, 5));
  w.progress("b", 40 * s, true);  // b ends: only a is waited for (at 30 s)
  CHECK(released(w) == std::vector<std::int64_t>{26 * s});
  w.progress("a", 31 * s, true);
  CHECK(w.all_ended());
  CHECK(released(w) == std::vector<std::int64_t>{30 * s});
  CHECK(w.held() == 0);
  CHECK(w.counters().late == 0);
}

TEST_CASE("reorder: late events are counted and go at once; ties go by event_id", "[stream]") {
  reorder_window w({.window_us = 0, .max_lag_us = 3600 * s, .expected_sources = 1});
  w.add("a", at(10 * s, 1, "bb"));
  w.add("a", at(10 * s, 2, "aa"));
  w.progress("a", 10 * s, false);
  std::vector<std::string> ids;
  w.release([&](held_event& h) { ids.push_back(h.event_id); });
  CHECK(ids == std::vector<std::string>{"aa", "bb"});
  w.add("a", at(5 * s, 3));
  CHECK(released(w) == std::vector<std::int64_t>{5 * s});
  CHECK(w.counters().late == 1);
}

TEST_CASE("reorder: a source too far behind is not waited for; the heap is bounded", "[stream]") {
  reorder_window w({.window_us = 0, .max_lag_us = 10 * s, .expected_sources = 1, .max_held = 2});
  w.progress("stalled", 1 * s, false);
  w.add("a", at(5 * s, 1));
  CHECK(released(w).empty());  // a at 5 s, stalled at 1 s: within max_lag, waited for
  w.progress("a", 20 * s, false);
  CHECK(released(w) == std::vector<std::int64_t>{5 * s});  // stalled is 19 s behind: ignored

  reorder_window bounded({.window_us = 0, .max_lag_us = 3600 * s, .expected_sources = 5, .max_held = 2});
  bounded.add("a", at(3 * s, 1));
  bounded.add("a", at(1 * s, 2));
  bounded.add("a", at(2 * s, 3));
  CHECK(released(bounded) == std::vector<std::int64_t>{1 * s});
  CHECK(bounded.counters().forced == 1);
}

TEST_CASE("reorder: a redelivered message still held is not added twice; progress survives a restart", "[stream]") {
  reorder_window w({.window_us = 0, .max_lag_us = 3600 * s, .expected_sources = 2});
  CHECK(w.add("a", at(1 * s, 7)));
  CHECK_FALSE(w.add("a", at(1 * s, 7)));
  CHECK(w.counters().duplicates == 1);
  w.progress("b c", 9 * s, true);
  const std::string saved = w.save();
  reorder_window again({.window_us = 0, .max_lag_us = 3600 * s, .expected_sources = 2});
  again.load(saved);
  CHECK(again.sources() == 2);
  CHECK(again.save() == saved);
  // Holding (catching up after a resync) releases nothing, whatever the sources say.
  again.hold(true);
  again.add("a", at(1 * s, 8));
  again.progress("a", 100 * s, true);
  CHECK(released(again).empty());
  again.hold(false);
  CHECK(released(again) == std::vector<std::int64_t>{1 * s});
}
