// The console's HTTP server (server.hpp): routing, authentication, limits, JSON answers.
#include "bssap/console/server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <deque>
#include <fstream>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "bssap/console/metrics.hpp"
#include "bssap/console/visitors.hpp"
#include "bssap/console/web.hpp"

namespace bssap::console {

using json = nlohmann::json;

bool parse_listen(std::string_view spec, std::string& address, int& port, std::string& error) {
  std::string_view host = "127.0.0.1", digits = spec;
  if (!spec.empty() && spec.front() == '[') {  // [v6]:PORT
    const auto close = spec.find(']');
    if (close == std::string_view::npos || close + 1 >= spec.size() || spec[close + 1] != ':') {
      error = fmt::format("--http: \"{}\" is not [ADDR]:PORT", spec);
      return false;
    }
    host = spec.substr(1, close - 1);
    digits = spec.substr(close + 2);
  } else if (const auto colon = spec.rfind(':'); colon != std::string_view::npos) {
    host = spec.substr(0, colon);
    digits = spec.substr(colon + 1);
  }
  int p = -1;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
  if (ec != std::errc() || end != digits.data() + digits.size() || p < 0 || p > 65535 || host.empty()) {
    error = fmt::format("--http: \"{}\" is not [ADDR:]PORT (PORT 0-65535)", spec);
    return false;
  }
  address = std::string(host);
  port = p;
  return true;
}

namespace {

std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339(std::int64_t ts_us) {
  std::string s;
  append_rfc3339_us(ts_us, s);
  return s;
}

bool equal_constant_time(std::string_view a, std::string_view b) noexcept {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return diff == 0 && !b.empty();
}

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, std::string_view message) {
  send_json(res, status, json{{"error", message}});
}

// Digits with an optional leading '+', at most 15: an IMSI or an MSISDN (E.164, at most 15).
std::optional<std::string> number_of(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.size() > 15) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  return std::string(s);
}

std::string imei_text(std::uint64_t packed) {
  return fmt::format("{:014}", packed & ~(std::uint64_t{1} << 63));
}

}  // namespace

struct server::impl {
  server_options options;
  const campaign::runtime* campaigns;
  const presence_index* presence;
  const visitor_stats* visitors;
  httplib::Server http;
  std::thread thread;
  int port = 0;
  std::atomic<std::shared_ptr<const capture_snapshot>> snapshot;
  // The page's history: one sample every 10 s over the last hour, taken by a thread of the
  // console from the latest snapshot (never by the capture thread).
  struct sample {
    std::int64_t wall_us = 0;
    std::uint64_t packets = 0, drops = 0;
    std::array<std::uint64_t, event_type_count> events{};
  };
  std::mutex history_mutex;
  std::deque<sample> history;
  std::thread sampler;
  std::atomic<bool> stopping{false};
  std::string chart_js;  // libjs-chart.js, read at start ("" = not installed: 404)
  std::mutex rate_mutex;
  double tokens = 0;
  std::chrono::steady_clock::time_point last_refill = std::chrono::steady_clock::now();

  bool take_rate_token() {
    std::lock_guard lock(rate_mutex);
    const auto now = std::chrono::steady_clock::now();
    tokens = std::min(options.requests_per_s,
                      tokens + std::chrono::duration<double>(now - last_refill).count() * options.requests_per_s);
    last_refill = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  void take_sample() {
    const auto snap = snapshot.load();
    if (!snap || !snap->pipeline) return;
    sample x;
    x.wall_us = snap->wall_us;
    x.packets = snap->pipeline->totals.packets;
    x.drops = snap->pipeline->totals.queue_drops + snap->capture.kernel_drops + snap->capture.interface_drops;
    x.events = snap->pipeline->correlation.events;
    std::lock_guard lock(history_mutex);
    history.push_back(x);
    while (history.size() > 361) history.pop_front();  // an hour of 10 s steps
  }

  void status(httplib::Response& res) {
    const auto snap = snapshot.load();
    json j = json::object();
    if (snap && snap->pipeline) {
      const auto& p = *snap->pipeline;
      json events = json::object();
      std::uint64_t total = 0;
      for (std::size_t e = 0; e < event_type_count; ++e) {
        events[std::string(to_string(static_cast<event_type>(e)))] = p.correlation.events[e];
        total += p.correlation.events[e];
      }
      j["capture"] = json{{"packets", p.totals.packets},
                          {"bytes", p.totals.bytes},
                          {"queue_drops", p.totals.queue_drops},
                          {"kernel_drops", snap->capture.kernel_drops},
                          {"interface_drops", snap->capture.interface_drops},
                          {"finished", snap->finished},
                          {"taken", rfc3339(snap->wall_us)}};
      j["events"] = events;
      j["events_total"] = total;
      j["unresolved"] = p.correlation.unresolved_events;
      j["sccp_connections_open"] = p.decoders.open_connections;
      j["subscribers"] = p.subscribers;
    }
    if (campaigns) {
      const auto sms = campaigns->sms();
      if (sms)
        j["smpp"] = json{{"bound", sms->bound},
                         {"in_flight", sms->metrics.in_flight},
                         {"acknowledged", sms->metrics.acknowledged},
                         {"delivered", sms->metrics.delivered}};
    }
    json h = json::array();
    {
      std::lock_guard lock(history_mutex);
      for (const auto& x : history) {
        json ev = json::object();
        for (std::size_t e = 0; e < event_type_count; ++e)
          ev[std::string(to_string(static_cast<event_type>(e)))] = x.events[e];
        h.push_back(json{{"t", rfc3339(x.wall_us)}, {"packets", x.packets}, {"drops", x.drops}, {"events", ev}});
      }
    }
    j["history"] = std::move(h);
    json areas = json::array();
    if (visitors)
      for (const auto& a : visitors->areas()) areas.push_back(a);
    j["areas"] = std::move(areas);
    j["presence"] = presence != nullptr;
    send_json(res, 200, j);
  }

  void campaigns_report(httplib::Response& res) const {
    if (campaigns == nullptr) return send_error(res, 404, "no campaigns in this process (--config)");
    std::string error;
    const std::string text = campaign::report_text(campaigns->config(), campaigns->tables(), "", true, error);
    if (!error.empty()) return send_error(res, 503, error);
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return send_error(res, 500, "the report is not JSON");
    send_json(res, 200, j);
  }

  campaign::operator_tables tables() const { return campaigns ? campaigns->tables() : campaign::operator_tables{}; }

  std::int64_t now_us() const {
    if (options.wall_clock) return wall_us();
    return presence != nullptr ? presence->clock_us() : 0;
  }

  // An IMSI known to the index, or an MSISDN of the subscriber table: the packed IMSI.
  std::optional<std::uint64_t> resolve(const std::string& number, const campaign::operator_tables& t) const {
    if (const auto key = pack_imsi(number); key && presence->find(*key)) return key;
    if (t.profiles) {
      if (const auto row = t.profiles->find_msisdn(number)) return pack_imsi(t.profiles->imsi(*row));
    }
    return std::nullopt;
  }

  json where(const presence_entry& e, const campaign::operator_tables& t) const {
    json w = json::object();
    if (e.has(presence_entry::flag_lac)) w["lac"] = e.lac;
    if (e.has(presence_entry::flag_cell)) w["cell"] = e.cell;
    if (e.has(presence_entry::flag_plmn)) {
      w["mcc"] = fmt::format("{:03}", e.mcc);
      w["mnc"] = e.has(presence_entry::flag_mnc3) ? fmt::format("{:03}", e.mnc) : fmt::format("{:02}", e.mnc);
    }
    json names = json::array();
    if (t.areas && e.has(presence_entry::flag_lac)) {
      std::vector<campaign::area_id> ids;
      t.areas->areas_of(e.lac, e.has(presence_entry::flag_cell) ? std::optional<std::uint32_t>(e.cell) : std::nullopt,
                        ids);
      for (const auto id : ids) names.push_back(t.areas->names()[id]);
    }
    w["areas"] = std::move(names);
    return w;
  }

  bool powered_on(const presence_entry& e, std::int64_t now) const {
    return e.has(presence_entry::flag_attached) && static_cast<double>(now - e.ts_us) <= options.fresh_s * 1e6;
  }

  void subscriber(const httplib::Request& req, httplib::Response& res) const {
    if (presence == nullptr) return send_error(res, 404, "no presence index in this process");
    const auto number = number_of(req.matches[1].str());
    if (!number) return send_error(res, 400, "an IMSI or MSISDN is 1 to 15 digits (optional leading +)");
    const auto t = tables();
    const auto key = resolve(*number, t);
    const auto e = key ? presence->find(*key) : std::nullopt;
    if (!e) return send_json(res, 404, json{{"id", *number}, {"known", false}});
    const std::string imsi = unpack_imsi(e->imsi);
    const std::int64_t now = now_us();
    json j{{"id", *number},
           {"known", true},
           {"imsi", imsi},
           {"attached", e->has(presence_entry::flag_attached)},
           {"powered_on", powered_on(*e, now)},
           {"fresh_s", options.fresh_s},
           {"last_event", to_string(e->last)},
           {"last_seen", rfc3339(e->ts_us)},
           {"age_s", static_cast<double>(now - e->ts_us) / 1e6},
           {"roaming", e->has(presence_entry::flag_roaming)}};
    if (t.profiles)
      if (const auto row = t.profiles->find_imsi(imsi))
        if (auto m = t.profiles->msisdn(*row); !m.empty()) j["msisdn"] = m;
    j["location"] = where(*e, t);
    if (e->has(presence_entry::flag_imei)) {
      const std::string imei = imei_text(e->imei);
      json d{{"imei", imei}, {"tac", imei.substr(0, 8)}};
      if (t.tac)
        if (const auto row = t.tac->find(imei)) {
          json attrs = json::object();
          for (std::size_t c = 0; c < t.tac->columns().size(); ++c)
            if (t.tac->columns()[c] != "tac") attrs[t.tac->columns()[c]] = std::string(t.tac->value(*row, c));
          d["attributes"] = std::move(attrs);
        }
      j["device"] = std::move(d);
    }
    send_json(res, 200, j);
  }

  void presence_list(const httplib::Request& req, httplib::Response& res) const {
    if (presence == nullptr) return send_error(res, 404, "no presence index in this process");
    const json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return send_error(res, 400, "the body is not JSON");
    const json* list = &body;
    if (body.is_object() && body.contains("numbers")) list = &body["numbers"];
    if (!list->is_array()) return send_error(res, 400, "expected {\"numbers\": [\"...\", ...]} or an array");
    if (list->size() > options.max_presence_numbers)
      return send_error(res, 413, fmt::format("at most {} numbers per request", options.max_presence_numbers));
    const auto t = tables();
    const std::int64_t now = now_us();
    json results = json::array();
    for (const auto& item : *list) {
      if (!item.is_string()) return send_error(res, 400, "every number is a string of digits");
      const auto number = number_of(item.get_ref<const std::string&>());
      if (!number) {
        results.push_back(json{{"number", item}, {"error", "not 1 to 15 digits"}});
        continue;
      }
      const auto key = resolve(*number, t);
      const auto e = key ? presence->find(*key) : std::nullopt;
      if (!e) {
        results.push_back(json{{"number", *number}, {"known", false}, {"powered_on", false}});
        continue;
      }
      results.push_back(json{{"number", *number},
                             {"known", true},
                             {"powered_on", powered_on(*e, now)},
                             {"last_seen", rfc3339(e->ts_us)},
                             {"where", where(*e, t)}});
    }
    send_json(res, 200, json{{"now", rfc3339(now)}, {"fresh_s", options.fresh_s}, {"results", std::move(results)}});
  }

  void area_visitors(const httplib::Request& req, httplib::Response& res) const {
    if (visitors == nullptr) return send_error(res, 404, "no named areas in this process (--config with areas)");
    auto parse_time = [&](const char* key, std::int64_t fallback, std::int64_t& out) {
      if (!req.has_param(key)) {
        out = fallback;
        return true;
      }
      const auto v = parse_rfc3339_us(req.get_param_value(key));
      if (!v) return false;
      out = *v;
      return true;
    };
    std::int64_t from = 0, to = 0;
    if (!parse_time("from", std::numeric_limits<std::int64_t>::min(), from) ||
        !parse_time("to", std::numeric_limits<std::int64_t>::max(), to))
      return send_error(res, 400, "from= and to= are RFC 3339 times (2026-11-23T10:00:00Z)");
    const auto r = visitors->report(req.matches[1].str(), from, to);
    if (!r) return send_error(res, 404, "no such area");
    send_json(res, 200, to_json(*r));
  }
};

server::server(server_options options, const campaign::runtime* campaigns, const presence_index* presence,
               const visitor_stats* visitors)
    : _impl(std::make_unique<impl>()) {
  _impl->options = std::move(options);
  _impl->campaigns = campaigns;
  _impl->presence = presence;
  _impl->visitors = visitors;
  _impl->tokens = _impl->options.requests_per_s;
}

server::~server() {
  stop();
}

bool server::start(std::string& error) {
  impl& m = *_impl;
  auto& h = m.http;
  const unsigned threads = m.options.threads == 0 ? 1 : m.options.threads;
  h.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  h.set_payload_max_length(m.options.max_body_bytes);
  const auto read_us = static_cast<std::int64_t>(m.options.read_timeout_s * 1e6);
  h.set_read_timeout(static_cast<time_t>(read_us / 1000000), static_cast<time_t>(read_us % 1000000));
  h.set_write_timeout(5, 0);
  h.set_keep_alive_max_count(100);
  h.set_tcp_nodelay(true);  // small answers: no Nagle wait for the client's delayed ACK (40 ms)
  h.set_keep_alive_timeout(5);
  h.set_pre_routing_handler([&m](const httplib::Request& req, httplib::Response& res) {
    if (!m.take_rate_token()) {
      send_error(res, 429, "too many requests");
      res.set_header("Retry-After", "1");
      return httplib::Server::HandlerResponse::Handled;
    }
    // The page and the chart library carry no data: a browser loads them without a header, then
    // the page sends the token with every API call.
    const bool open_path = req.path == "/metrics" || req.path == "/" || req.path == "/chart.js";
    if (!m.options.token.empty() && !open_path) {
      const std::string auth = req.get_header_value("Authorization");
      constexpr std::string_view bearer = "Bearer ";
      if (!std::string_view(auth).starts_with(bearer) ||
          !equal_constant_time(std::string_view(auth).substr(bearer.size()), m.options.token)) {
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, 401, "a bearer token is required");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  h.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, 500, "internal error");
  });
  h.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) send_error(res, res.status, fmt::format("HTTP {}", res.status));
  });
  h.Get("/metrics", [&m](const httplib::Request&, httplib::Response& res) {
    const auto snap = m.snapshot.load();
    res.set_content(prometheus_text(snap.get(), m.campaigns, m.presence), "text/plain; version=0.0.4; charset=utf-8");
  });
  h.Get(R"(/api/v1/subscribers/([^/]*))",
        [&m](const httplib::Request& req, httplib::Response& res) { m.subscriber(req, res); });
  h.Post("/api/v1/presence", [&m](const httplib::Request& req, httplib::Response& res) { m.presence_list(req, res); });
  h.Get(R"(/api/v1/areas/([^/]*)/visitors)",
        [&m](const httplib::Request& req, httplib::Response& res) { m.area_visitors(req, res); });
  h.Get("/api/v1/status", [&m](const httplib::Request&, httplib::Response& res) { m.status(res); });
  h.Get("/api/v1/campaigns", [&m](const httplib::Request&, httplib::Response& res) { m.campaigns_report(res); });
  h.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(index_html()), "text/html; charset=utf-8");
  });
  {
    std::ifstream js(chart_js_path, std::ios::binary);
    m.chart_js.assign(std::istreambuf_iterator<char>(js), std::istreambuf_iterator<char>());
  }
  h.Get("/chart.js", [&m](const httplib::Request&, httplib::Response& res) {
    if (m.chart_js.empty()) return send_error(res, 404, std::string(chart_js_path) + " is missing (libjs-chart.js)");
    res.set_content(m.chart_js, "text/javascript; charset=utf-8");
  });
  // Port 0: any free one (bind_to_any_port says which); tests use that.
  const int port = m.options.port == 0 ? h.bind_to_any_port(m.options.address)
                                       : (h.bind_to_port(m.options.address, m.options.port) ? m.options.port : -1);
  if (port <= 0) {
    error = fmt::format("--http: cannot listen on {}:{}", m.options.address, m.options.port);
    return false;
  }
  m.port = port;
  m.thread = std::thread([&h] { h.listen_after_bind(); });
  m.sampler = std::thread([&m] {
    while (!m.stopping.load()) {
      m.take_sample();
      for (int i = 0; i < 100 && !m.stopping.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  return true;
}

int server::port() const noexcept {
  return _impl->port;
}

void server::publish(std::shared_ptr<const capture_snapshot> s) noexcept {
  _impl->snapshot.store(std::move(s));
}

std::shared_ptr<const capture_snapshot> server::latest() const noexcept {
  return _impl->snapshot.load();
}

void server::stop() noexcept {
  _impl->stopping.store(true);
  if (_impl->sampler.joinable()) _impl->sampler.join();
  if (_impl->thread.joinable()) {
    _impl->http.stop();
    _impl->thread.join();
  }
}

}  // namespace bssap::console
