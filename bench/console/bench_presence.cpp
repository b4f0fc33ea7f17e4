// bench_presence [SUBSCRIBERS [LOOKUPS [HTTP_LOOKUPS]]]: the presence index with SUBSCRIBERS
// known (default 10 M): single lookups in process (one reader, then two readers while a writer
// applies events), single lookups over HTTP on loopback (keep-alive, one client), and POST
// /api/v1/presence with 10,000 numbers. Prints `| bench_presence | metric | value | unit |`.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../common/bench_args.hpp"
#include "bssap/console/presence.hpp"
#include "bssap/console/server.hpp"

using namespace bssap;
using clk = std::chrono::steady_clock;

namespace {

std::string imsi_of(std::uint64_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "46000%010llu", static_cast<unsigned long long>(i * 7919 % 10'000'000'000ULL));
  return buf;
}

event event_of(std::uint64_t i, std::int64_t ts_us) {
  event e;
  e.ts_us = ts_us;
  e.type = event_type::location_update;
  e.imsi.assign(imsi_of(i));
  e.set(f_imsi);
  e.mcc.assign("460");
  e.mnc.assign("00");
  e.lac = static_cast<std::uint16_t>(9472 + i % 64);
  e.set(f_lai);
  e.cell = static_cast<std::uint32_t>(10000 + i % 1000);
  e.set(f_cell);
  return e;
}

void row(const char* metric, double value, const char* unit) {
  std::printf("| bench_presence | %s | %.3f | %s |\n", metric, value, unit);
}

struct percentiles {
  double p50, p99, max;
};
percentiles of(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<std::size_t>(q * static_cast<double>(us.size())))];
  };
  return {at(0.50), at(0.99), us.back()};
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
  const char* usage = "bench_presence [SUBSCRIBERS [LOOKUPS [HTTP_LOOKUPS]]]";
  const auto subscribers = bench::count_arg(argc, argv, 1, 10'000'000, usage);
  const auto lookups = bench::count_arg(argc, argv, 2, 2'000'000, usage);
  const auto http_lookups = bench::count_arg(argc, argv, 3, 20'000, usage);

  console::presence_index index({"460-00"}, 1u << 16);
  const auto t0 = clk::now();
  for (std::uint64_t i = 0; i < subscribers; ++i)
    index.on_event(event_of(i, 1'795'000'000'000'000 + static_cast<std::int64_t>(i)));
  index.flush();
  const double fill_s = std::chrono::duration<double>(clk::now() - t0).count();
  row("subscribers known", static_cast<double>(index.size()), "subscribers");
  row("fill (events applied in batches of 256)", static_cast<double>(subscribers) / fill_s / 1e6, "M events/s");

  // In process, one reader: random known IMSIs (7/8) and unknown ones.
  std::mt19937_64 rng(14);
  std::vector<std::uint64_t> keys(lookups);
  for (auto& k : keys) {
    const std::uint64_t i = rng() % subscribers;
    k = *console::pack_imsi(rng() % 8 == 0 ? "46001" + imsi_of(i).substr(5) : imsi_of(i));
  }
  std::vector<double> lat;
  lat.reserve(lookups);
  std::uint64_t found = 0;
  auto t1 = clk::now();
  for (const auto k : keys) {
    const auto a = clk::now();
    found += index.find(k).has_value() ? 1 : 0;
    lat.push_back(std::chrono::duration<double, std::micro>(clk::now() - a).count());
  }
  double s = std::chrono::duration<double>(clk::now() - t1).count();
  auto p = of(lat);
  row("find, 1 reader: lookups/s", static_cast<double>(lookups) / s / 1e6, "M lookups/s");
  row("find, 1 reader: p50", p.p50, "us");
  row("find, 1 reader: p99", p.p99, "us");
  row("find, 1 reader: max", p.max, "us");
  row("find: hit share", static_cast<double>(found) / static_cast<double>(lookups), "fraction");

  // Two readers while the feeding thread applies events (batches of 256 under the writer lock).
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> written{0};
  std::thread writer([&] {
    std::uint64_t i = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      index.on_event(event_of(i % subscribers, 1'796'000'000'000'000 + static_cast<std::int64_t>(i)));
      ++i;
    }
    index.flush();
    written = i;
  });
  std::vector<std::vector<double>> per(2);
  t1 = clk::now();
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r)
    readers.emplace_back([&, r] {
      auto& l = per[static_cast<std::size_t>(r)];
      l.reserve(lookups / 2);
      for (std::size_t i = static_cast<std::size_t>(r); i < keys.size(); i += 2) {
        const auto a = clk::now();
        (void)index.find(keys[i]);
        l.push_back(std::chrono::duration<double, std::micro>(clk::now() - a).count());
      }
    });
  for (auto& t : readers) t.join();
  s = std::chrono::duration<double>(clk::now() - t1).count();
  stop = true;
  writer.join();
  std::vector<double> both = per[0];
  both.insert(both.end(), per[1].begin(), per[1].end());
  p = of(both);
  row("find, 2 readers + 1 writer: lookups/s", static_cast<double>(lookups) / s / 1e6, "M lookups/s");
  row("find, 2 readers + 1 writer: writer events/s", static_cast<double>(written.load()) / s / 1e6, "M events/s");
  row("find, 2 readers + 1 writer: p99", p.p99, "us");
  row("find, 2 readers + 1 writer: max", p.max, "us");

  // Over HTTP on loopback: one keep-alive client, single lookups.
  console::server_options o;
  o.requests_per_s = 1e9;
  console::server http(o, nullptr, &index, nullptr);
  std::string error;
  if (!http.start(error)) {
    std::fprintf(stderr, "bench_presence: %s\n", error.c_str());
    return 1;
  }
  httplib::Client c("127.0.0.1", http.port());
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  lat.clear();
  std::uint64_t ok = 0;
  t1 = clk::now();
  for (std::uint64_t i = 0; i < http_lookups; ++i) {
    const std::string path = "/api/v1/subscribers/" + console::unpack_imsi(keys[i % keys.size()]);
    const auto a = clk::now();
    auto r = c.Get(path);
    lat.push_back(std::chrono::duration<double, std::micro>(clk::now() - a).count());
    if (r && (r->status == 200 || r->status == 404)) ++ok;
  }
  s = std::chrono::duration<double>(clk::now() - t1).count();
  p = of(lat);
  row("GET /api/v1/subscribers/{imsi}, 1 client: lookups/s", static_cast<double>(http_lookups) / s, "lookups/s");
  row("GET /api/v1/subscribers/{imsi}: p50", p.p50 / 1000, "ms");
  row("GET /api/v1/subscribers/{imsi}: p99", p.p99 / 1000, "ms");
  row("GET /api/v1/subscribers/{imsi}: max", p.max / 1000, "ms");
  row("GET answered 200/404", static_cast<double>(ok) / static_cast<double>(http_lookups), "fraction");

  // POST /api/v1/presence with 10,000 numbers.
  std::string body = "{\"numbers\":[";
  for (int i = 0; i < 10000; ++i)
    body += (i ? ",\"" : "\"") + console::unpack_imsi(keys[static_cast<std::size_t>(i)]) + "\"";
  body += "]}";
  lat.clear();
  for (int i = 0; i < 20; ++i) {
    const auto a = clk::now();
    auto r = c.Post("/api/v1/presence", body, "application/json");
    lat.push_back(std::chrono::duration<double, std::micro>(clk::now() - a).count());
    if (!r || r->status != 200) {
      std::fprintf(stderr, "bench_presence: POST failed\n");
      return 1;
    }
  }
  p = of(lat);
  row("POST /api/v1/presence, 10,000 numbers: p50", p.p50 / 1000, "ms");
  row("POST /api/v1/presence, 10,000 numbers: max of 20", p.max / 1000, "ms");
  http.stop();
  return 0;
}
