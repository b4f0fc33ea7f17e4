// The operator's console over HTTP (cpp-httplib, Debian's libcpp-httplib-dev): /metrics, the
// presence and visitor APIs, the campaigns' live report and the web page, on threads of its own.
//
// Nothing here runs on, locks or waits for the capture path: the capture thread publishes a
// capture_snapshot (swapped whole through an atomic shared_ptr) a few times a second; the
// presence index and the visitor statistics are fed on a trigger-side thread of their own and
// take their own locks; the campaign engines' counters are relaxed atomics.
//
// Safety: loopback unless an address is given; with a token every path but /metrics and the static page (/ and
// /chart.js, no data) wants `Authorization: Bearer TOKEN` (401, compared in constant time, never logged); bodies are
// bounded (413), requests are rate-limited (429), malformed requests get a 4xx from the parser
// or the handlers, and a handler's exception a 500: never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "bssap/campaign/runtime.hpp"
#include "bssap/console/presence.hpp"
#include "bssap/console/snapshot.hpp"

namespace bssap::console {

class visitor_stats;

struct server_options {
  std::string address = "127.0.0.1";
  int port = 0;       // 0: any free port (port() says which)
  std::string token;  // "" = no authentication
  std::size_t max_body_bytes = 1u << 20;
  std::size_t max_presence_numbers = 10000;
  unsigned threads = 4;
  double read_timeout_s = 5;            // a request not complete by then is dropped (its connection closed)
  double requests_per_s = 2000;         // every client together; a burst of as many is allowed
  double fresh_s = 3600;                // presence: attached and seen within this long = powered on
  bool wall_clock = false;              // presence "now": the wall clock (live) or the newest event's time (replay)
  std::string campaigns_report_config;  // probe.yaml for GET /api/v1/campaigns ("" = none)
};

// "[ADDR:]PORT" (ADDR an IPv4 address or a host name; [v6] in brackets). False with `error`.
bool parse_listen(std::string_view spec, std::string& address, int& port, std::string& error);

class server {
 public:
  // Any pointer may be null (that part of the console answers 404 / is left out of /metrics).
  server(server_options options, const campaign::runtime* campaigns, const presence_index* presence,
         const visitor_stats* visitors);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and starts serving. False with `error` (address in use, bad address).
  bool start(std::string& error);
  int port() const noexcept;
  // Any thread, lock-free: the figures /metrics and the page show from now on.
  void publish(std::shared_ptr<const capture_snapshot> s) noexcept;
  std::shared_ptr<const capture_snapshot> latest() const noexcept;
  void stop() noexcept;

  struct impl;

 private:
  std::unique_ptr<impl> _impl;
};

}  // namespace bssap::console
