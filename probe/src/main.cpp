// bssap-probe: GSM A-interface signalling to subscriber behaviour events.
//   bssap-probe replay FILE... [--speed X | --fast] --events OUT.jsonl
//   bssap-probe live -i IFACE [-i IFACE2] [-f BPF] --events OUT.jsonl
//   bssap-probe dpdk [EAL args] -- --events OUT.jsonl
//   bssap-probe report --config probe.yaml [--orders FILE] [--json]
//   bssap-probe check-config probe.yaml [--connect]
//   bssap-probe trigger --consume nats://HOST:PORT --shards LIST --config probe.yaml
// Common: --threads N, --stats S, --state DIR, --home-plmns LIST, --pc24, --link-field,
//         --strict-checksums, --trigger-shards N [--trigger-out DIR], --config probe.yaml, --decisions FILE,
//         --publish nats://HOST:PORT (repeatable) [--source-name NAME --stream-* ...].
// A mistake a user can make ends with one line on stderr and a non-zero status.
#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bssap/campaign/runtime.hpp"
#include "bssap/console/presence.hpp"
#include "bssap/console/server.hpp"
#include "bssap/console/visitors.hpp"
#include "bssap/probe/capture.hpp"
#include "bssap/probe/event_fanout.hpp"
#include "bssap/probe/event_writer.hpp"
#include "bssap/probe/log.hpp"
#include "bssap/probe/pipeline.hpp"
#include "bssap/probe/privileges.hpp"
#include "bssap/probe/summary.hpp"
#include "bssap/stream/publisher.hpp"
#include "bssap/stream/worker.hpp"
#include "check_config.hpp"

using namespace bssap;
using namespace bssap::probe;

namespace {

// JSON lines to a file or stdout through a large reused buffer (no allocation per event).
class event_log final : public event_sink {
 public:
  bool open(const std::string& path, std::string& error) {
    if (path.empty()) return true;  // no event log asked for
    if (path == "-") {
      _file = stdout;
      return true;
    }
    _file = std::fopen(path.c_str(), "w");
    if (_file == nullptr) {
      error = fmt::format("{}: cannot write: {}", path, std::strerror(errno));
      return false;
    }
    _owned = true;
    return true;
  }
  void on_event(const event& e) noexcept override {
    append_json_line(e, _buffer);
    if (_buffer.size() >= (1u << 20)) flush();
  }
  void flush() noexcept {
    if (_file != nullptr && !_buffer.empty()) {
      if (std::fwrite(_buffer.data(), 1, _buffer.size(), _file) != _buffer.size()) _write_error = true;
      _buffer.clear();
    }
    if (_file != nullptr) std::fflush(_file);
  }
  bool close() noexcept {
    flush();
    if (_owned && std::fclose(_file) != 0) _write_error = true;
    _file = nullptr;
    return !_write_error;
  }
  event_log() { _buffer.reserve(2u << 20); }

 private:
  std::FILE* _file = nullptr;
  bool _owned = false;
  bool _write_error = false;
  std::string _buffer;
};

// A trigger worker's consumer until the campaign table runs there: the shard's events as JSON
// lines in DIR/shard-K.jsonl, which is also what a trigger host behind an event bus would
// receive as its partition. Written in the worker's own thread.
class shard_log final : public shard_consumer {
 public:
  void on_event(const event& e) noexcept override { log.on_event(e); }
  void flush() noexcept override { log.flush(); }
  event_log log;
};

// The correlator's one sink: the event log first, then the trigger hand-off, the event bus
// publisher and the console's fan-out (--http), each when configured.
class event_tee final : public event_sink {
 public:
  event_tee(event_sink& log, event_sink* trigger, event_sink* bus, event_sink* console)
      : _log(log), _trigger(trigger), _bus(bus), _console(console) {}
  void on_event(const event& e) noexcept override {
    _log.on_event(e);
    if (_trigger != nullptr) _trigger->on_event(e);
    if (_bus != nullptr) _bus->on_event(e);
    if (_console != nullptr) _console->on_event(e);
  }

 private:
  event_sink& _log;
  event_sink* _trigger;
  event_sink* _bus;
  event_sink* _console;
};

// The console's consumer, on a thread of its own behind a one-shard fan-out: the presence index
// and the visitor statistics.
class console_feed final : public shard_consumer {
 public:
  console_feed(console::presence_index& presence, console::visitor_stats* visitors)
      : _presence(presence), _visitors(visitors) {}
  void on_event(const event& e) noexcept override {
    _presence.on_event(e);
    if (_visitors != nullptr) _visitors->on_event(e);
  }
  void flush() noexcept override {
    _presence.flush();
    if (_visitors != nullptr) _visitors->flush();
  }

 private:
  console::presence_index& _presence;
  console::visitor_stats* _visitors;
};

void on_signal(int) {
  if (g_stop_requested.exchange(true)) _exit(130);  // second signal: leave at once
}

// SIGHUP: reload campaigns and tables, reopen the logs (logrotate). The handler only sets a
// flag; a thread of its own does the work, off the capture path.
std::atomic<bool> g_reload_requested{false};
void on_hangup(int) {
  g_reload_requested.store(true);
}

struct common_options {
  std::string events;
  unsigned threads = 1;
  double stats = 0;
  std::string state;
  // The same default as bssap-synth's, so that a synth capture replays to its truth as is.
  std::string home_plmns = "460-00,460-02,460-07";
  bool pc24 = false;
  bool link_field = false;
  bool no_summary = false;
  bool strict_checksums = false;
  unsigned trigger_shards = 0;
  std::string trigger_out;
  std::string config;
  std::string decisions;
  double receipt_wait_s = -1;  // < 0: the mode's default (replay 5 s, live 0)
  bool home_plmns_given = false;
  bool state_given = false;
  // The event bus (stream/): --publish servers, this probe's name, the stream's settings.
  std::vector<std::string> publish;
  std::string source_name;
  stream::stream_settings stream;
  std::int64_t publish_max_pending = 4096;
  std::uint64_t spool_mb = 256;
  std::string http;  // [ADDR:]PORT of the console; "" = none
  std::string http_token_env;
  double http_linger_s = 0;
  double presence_fresh_s = 3600;
  std::string regions;
  std::vector<std::string> visitors_record;  // AREA=CAMPAIGN: that area's visitors from the record channel
  // --unknown: the forensic log of refused / not understood frames (unknown_tap.hpp).
  std::string unknown;
  std::uint32_t unknown_rate = 100;
  std::string unknown_dissector;
  double unknown_timeout_s = 5.0;
};

// The stream's settings, shared by `replay|live|dpdk --publish` and `trigger --consume`.
void add_stream_options(CLI::App& app, stream::stream_settings& s) {
  app.add_option("--stream", s.name, "JetStream stream name (default BSSAP_EVENTS)");
  app.add_option("--stream-subject-prefix", s.subject_prefix,
                 "subjects PREFIX.<shard> (default bssap.events; another stream on the same servers needs its own)");
  app.add_option("--stream-shards", s.shards,
                 "shards of the stream when this process creates it (default 8; an existing stream keeps its own)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
  app.add_option("--stream-replicas", s.replicas, "replicas when creating the stream (1, or 3 on a cluster)")
      ->check(CLI::Range(1, 5));
  app.add_option("--stream-retention", s.retention,
                 "retention when creating the stream: limits (default: kept by size and age) or workqueue (deleted "
                 "once a worker acknowledged it)")
      ->check(CLI::IsMember({"limits", "workqueue"}));
  app.add_option("--stream-max-bytes", s.max_bytes, "size limit when creating the stream (-1: none)");
  app.add_option("--stream-max-age", s.max_age_s, "age limit in seconds when creating the stream (default 7 days)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--stream-dedup-window", s.duplicate_window_s,
                 "seconds the server remembers a Nats-Msg-Id when creating the stream (default 120)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400 * 7}));
}

void add_common(CLI::App& app, common_options& o) {
  app.add_option("--events", o.events, "event log (JSON lines); - for stdout");
  app.add_option("--threads", o.threads,
                 "SCCP worker threads, each owning the connections of some SS7 relations (1: everything in one thread)")
      ->check(CLI::Range(1u, 64u));
  app.add_option("--stats", o.stats, "print a statistics line to stderr every SECONDS")->check(CLI::NonNegativeNumber);
  app.add_option("--state", o.state, "subscriber state directory: restored at start, saved periodically and at exit")
      ->each([&o](const std::string&) { o.state_given = true; });
  app.add_option("--home-plmns", o.home_plmns,
                 "equivalent home PLMNs for roaming_in (default: the configuration's home_plmns, else "
                 "460-00,460-02,460-07 as bssap-synth; \"\" for none)")
      ->each([&o](const std::string&) { o.home_plmns_given = true; });
  app.add_flag("--pc24", o.pc24, "24-bit signalling point codes (MTP3 routing label and SCCP addresses)");
  app.add_flag("--link-field", o.link_field, "write the capture link of each event (`link`)");
  app.add_flag("--no-summary", o.no_summary, "do not print the final summary");
  app.add_flag("--strict-checksums", o.strict_checksums,
               "drop SCTP packets whose CRC32c is wrong (default: decode and count them, as Wireshark)");
  app.add_option("--trigger-shards", o.trigger_shards,
                 "trigger workers fed through SPSC queues sharded by IMSI (default with --config: 1)")
      ->check(CLI::Range(1u, 64u));
  app.add_option("--trigger-out", o.trigger_out,
                 "without --config: directory for each trigger shard's events (shard-K.jsonl)");
  app.add_option("--config", o.config, "probe.yaml: campaigns, subscriber tables, contact policy, SMPP")
      ->check(CLI::ExistingFile);
  app.add_option("--decisions", o.decisions, "with --config: decision log (JSON lines); - for stdout");
  app.add_option("--receipt-wait", o.receipt_wait_s,
                 "with --config: at the end, wait up to this many seconds for the delivery receipts of "
                 "acknowledged messages, so that the report counts them (default: 5 when reading files, 0 live)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--publish", o.publish,
                 "publish every event to NATS JetStream at nats://HOST:PORT (repeat for a cluster's seed servers)");
  app.add_option("--source-name", o.source_name,
                 "with --publish: this probe's name in the stream (default: the host name)");
  app.add_option("--publish-max-pending", o.publish_max_pending,
                 "with --publish: unacknowledged asynchronous publishes at most (default 4096)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20));
  app.add_option("--spool-mb", o.spool_mb,
                 "with --publish, live: MiB of events kept in <state>/publish-spool.bin while no server is reachable "
                 "(default 256; beyond, events are dropped and counted)");
  add_stream_options(app, o.stream);
  app.add_option("--http", o.http,
                 "serve the operator's console on [ADDR:]PORT (loopback unless ADDR is given; PORT 0: any free port): "
                 "/metrics, /api/v1/..., the web page at /");
  app.add_option("--http-token-env", o.http_token_env,
                 "with --http: every path but /metrics requires `Authorization: Bearer` the value of this "
                 "environment variable");
  app.add_option("--http-linger", o.http_linger_s,
                 "with --http: keep serving this many seconds after the capture ends (a signal ends it sooner)")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--presence-fresh", o.presence_fresh_s,
                 "with --http: a subscriber is powered on when attached and seen within this many seconds (default "
                 "3600)")
      ->check(CLI::PositiveNumber);
  app.add_option("--regions", o.regions,
                 "with --http: MSISDN prefix -> region CSV (prefix,region) for the visitor statistics")
      ->check(CLI::ExistingFile);
  app.add_option("--visitors-record", o.visitors_record,
                 "with --http: AREA=CAMPAIGN, the area's visitors counted from the `record` campaign's decisions "
                 "instead of from every event (repeatable)");
  app.add_option("--unknown", o.unknown,
                 "write frames our decoders refuse or carry without understanding (unknown message, SSN, PPID) to "
                 "this JSON-lines file, each with Wireshark's dissection (off the capture path)");
  app.add_option("--unknown-rate", o.unknown_rate,
                 "with --unknown: records per second of capture time at most (default 100; beyond: counted)")
      ->check(CLI::Range(1u, 1000000u));
  app.add_option("--unknown-dissector", o.unknown_dissector,
                 "with --unknown: the dissector program (default: bssap-dissect beside bssap-probe, then PATH; none: "
                 "no dissection)");
  app.add_option("--unknown-timeout", o.unknown_timeout_s,
                 "with --unknown: seconds the dissector may take over one frame before it is killed and restarted "
                 "(default 5)")
      ->check(CLI::Range(0.05, 600.0));
}

// --visitors-record AREA=CAMPAIGN: the area must be named in areas.yaml and the campaign be a
// `record` campaign of the configuration. False with the user's mistake.
bool apply_record_sources(console::visitor_stats& stats, const campaign::probe_config& cfg,
                          const campaign::operator_tables& tables, const std::vector<std::string>& specs,
                          std::string& error) {
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      error = fmt::format("--visitors-record {}: expected AREA=CAMPAIGN", spec);
      return false;
    }
    const std::string area = spec.substr(0, eq), id = spec.substr(eq + 1);
    const auto names = tables.areas ? tables.areas->names() : std::vector<std::string>{};
    if (std::find(names.begin(), names.end(), area) == names.end()) {
      error = fmt::format("--visitors-record {}: no area named \"{}\" in the configuration's areas", spec, area);
      return false;
    }
    const auto c = std::find_if(cfg.campaigns.begin(), cfg.campaigns.end(), [&](const auto& d) { return d.id == id; });
    if (c == cfg.campaigns.end() || c->channel.type != campaign::channel_type::record) {
      error = fmt::format("--visitors-record {}: \"{}\" is not a campaign of channel type record", spec, id);
      return false;
    }
    stats.record_source(area, id);
  }
  return true;
}

// What the trigger side of a run is: campaign engines (--config), shard logs (--trigger-out), or
// nothing. Returns "" or the user's mistake.
std::string check_trigger_options(const common_options& o) {
  if (!o.decisions.empty() && o.config.empty()) return "--decisions needs --config";
  if (!o.config.empty() && !o.trigger_out.empty()) return "--trigger-out and --config exclude each other";
  if (o.config.empty() && (o.trigger_shards > 0) != !o.trigger_out.empty())
    return "--trigger-shards and --trigger-out go together (or use --config)";
  if (o.config.empty() && o.events.empty() && o.publish.empty() && o.http.empty() && o.unknown.empty())
    return "--events is required (or --config, --publish, --http, --unknown)";
  if (o.http.empty() &&
      (!o.http_token_env.empty() || o.http_linger_s > 0 || !o.regions.empty() || !o.visitors_record.empty()))
    return "--http-token-env, --http-linger, --regions and --visitors-record need --http";
  if (o.unknown.empty() && !o.unknown_dissector.empty()) return "--unknown-dissector needs --unknown";
  return {};
}

bool valid_plmn(const std::string& s) {
  // MCC-MNC: 3 digits, '-', 2 or 3 digits.
  if (s.size() != 6 && s.size() != 7) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 3) {
      if (s[i] != '-') return false;
    } else if (s[i] < '0' || s[i] > '9') {
      return false;
    }
  }
  return true;
}

bool make_config(const common_options& o, bool lossless, const campaign::probe_config* campaigns, pipeline_config& cfg,
                 std::string& error) {
  cfg.threads = o.threads;
  cfg.lossless = lossless;
  cfg.correlation.link_field = o.link_field;
  cfg.decoder.stack.strict_sctp_checksums = o.strict_checksums;
  if (o.pc24) {
    cfg.decoder.stack.pc_format = dec::point_code_format::china24;
    cfg.decoder.sccp.pc24 = true;
  }
  std::string rest = o.home_plmns;
  if (campaigns != nullptr && campaigns->home_plmns && !o.home_plmns_given) {
    rest.clear();
    for (const auto& p : *campaigns->home_plmns) rest += (rest.empty() ? "" : ",") + p;
  }
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string item = rest.substr(0, comma);
    if (!valid_plmn(item)) {
      error = fmt::format("--home-plmns: \"{}\" is not MCC-MNC (e.g. 460-00)", item);
      return false;
    }
    cfg.correlation.home_plmns.push_back(item);
    rest = comma == std::string::npos ? std::string() : rest.substr(comma + 1);
  }
  if (!o.state.empty()) cfg.state_dir = o.state;
  // With campaigns, the probe's own subscriber state (roaming_in "seen", TMSI map, IMEIs) lives
  // beside the engines' so that a restart keeps both.
  if (campaigns != nullptr && !o.state_given)
    cfg.state_dir = (std::filesystem::path(campaigns->state_dir) / "probe").string();
  return true;
}

int fail(const std::string& message) {
  log(log_level::error, "{}", message);
  return 1;
}

// Runs one capture source through a pipeline; shared by the three subcommands.
template <class Capture>
int run(const common_options& o, bool lossless, bool progress, Capture&& capture, unsigned producers = 0) {
  pipeline_config cfg;
  std::string error = check_trigger_options(o);
  if (!error.empty()) return fail(error);
  std::unique_ptr<campaign::runtime> campaigns;
  if (!o.config.empty()) {
    campaigns = std::make_unique<campaign::runtime>();
    std::vector<std::string> warnings;
    campaign::runtime_options ro;
    ro.config_path = o.config;
    ro.shards = o.trigger_shards == 0 ? 1 : o.trigger_shards;
    ro.decisions_path = o.decisions;
    ro.ordered_log = lossless;
    ro.append_log = !lossless;  // a live service that restarts keeps the day's decisions
    const double receipt_wait_s = o.receipt_wait_s >= 0 ? o.receipt_wait_s : (lossless ? 5.0 : 0.0);
    ro.receipt_wait = std::chrono::milliseconds(static_cast<std::int64_t>(receipt_wait_s * 1000));
    const bool started = campaigns->start(ro, warnings, error);
    for (const auto& w : warnings) log(log_level::warning, "{}", w);
    if (!started) return fail(error);
  }
  if (!make_config(o, lossless, campaigns ? &campaigns->config() : nullptr, cfg, error)) return fail(error);
  cfg.producers = producers;
  // The console (--http): its own threads; the capture thread only publishes snapshots and
  // pushes events into the presence fan-out's queue.
  std::unique_ptr<console::presence_index> presence;
  std::unique_ptr<console::visitor_stats> visitors;
  std::unique_ptr<event_fanout> console_fanout;
  std::unique_ptr<console::server> http;
  if (!o.http.empty()) {
    console::server_options so;
    if (!console::parse_listen(o.http, so.address, so.port, error)) return fail(error);
    if (!o.http_token_env.empty()) {
      const char* token = std::getenv(o.http_token_env.c_str());
      if (token == nullptr || *token == 0)
        return fail(fmt::format("--http-token-env: {} is not set or empty", o.http_token_env));
      so.token = token;
    }
    so.fresh_s = o.presence_fresh_s;
    so.wall_clock = !lossless;  // live: freshness against the wall clock; files: against the capture's time
    cfg.publish_figures = true;
    presence = std::make_unique<console::presence_index>(cfg.correlation.home_plmns);
    if (campaigns && !campaigns->config().areas.empty()) {
      std::optional<console::region_table> regions;
      if (!o.regions.empty()) {
        regions = console::region_table::load(o.regions, error);
        if (!regions) return fail(error);
      }
      const std::string tz = campaigns->config().timezone;
      auto clock = campaign::local_clock::from_name(tz, error);
      if (!clock) return fail(error);
      campaign::runtime* rt = campaigns.get();
      visitors = std::make_unique<console::visitor_stats>([rt] { return rt->tables(); }, std::move(regions),
                                                          cfg.correlation.home_plmns, *clock, tz);
      if (!apply_record_sources(*visitors, campaigns->config(), campaigns->tables(), o.visitors_record, error))
        return fail(error);
      if (!o.visitors_record.empty()) {
        console::visitor_stats* v = visitors.get();
        campaigns->on_record([v](std::string_view campaign, const event& e) { v->on_record(campaign, e); });
      }
    } else if (!o.regions.empty() || !o.visitors_record.empty()) {
      return fail("--regions and --visitors-record need --config with areas (the named areas to count visitors in)");
    }
    std::vector<std::unique_ptr<shard_consumer>> feed;
    feed.push_back(std::make_unique<console_feed>(*presence, visitors.get()));
    console_fanout = std::make_unique<event_fanout>(fanout_config{.lossless = lossless}, std::move(feed));
    http = std::make_unique<console::server>(so, campaigns.get(), presence.get(), visitors.get());
    if (!http->start(error)) return fail(error);
    std::fprintf(stderr, "bssap-probe: info: console on http://%s:%d/\n", so.address.c_str(), http->port());
  }
  event_writer events_log(lossless);  // written by a thread of its own: the capture thread does no file I/O
  if (!events_log.open(o.events, error, !lossless)) return fail(error);
  std::unique_ptr<event_fanout> trigger;
  std::vector<shard_log*> shard_logs;
  if (campaigns) {
    trigger = std::make_unique<event_fanout>(fanout_config{.lossless = lossless}, campaigns->consumers());
  } else if (o.trigger_shards > 0) {
    std::error_code ec;
    std::filesystem::create_directories(o.trigger_out, ec);
    if (ec) return fail(fmt::format("{}: cannot create: {}", o.trigger_out, ec.message()));
    std::vector<std::unique_ptr<shard_consumer>> consumers;
    for (unsigned k = 0; k < o.trigger_shards; ++k) {
      auto shard = std::make_unique<shard_log>();
      const auto path = std::filesystem::path(o.trigger_out) / fmt::format("shard-{}.jsonl", k);
      if (!shard->log.open(path.string(), error)) return fail(error);
      shard_logs.push_back(shard.get());  // owned by the fan-out; closed below, after stop()
      consumers.push_back(std::move(shard));
    }
    trigger = std::make_unique<event_fanout>(fanout_config{.lossless = lossless}, std::move(consumers));
  }
  std::unique_ptr<stream::publisher> bus;
  if (!o.publish.empty()) {
    stream::publisher_config pc;
    pc.servers = o.publish;
    pc.stream = o.stream;
    pc.lossless = lossless;
    pc.max_pending = o.publish_max_pending;
    pc.spool_max_bytes = o.spool_mb << 20;
    pc.source = o.source_name;
    if (pc.source.empty()) {
      char host[256] = {};
      gethostname(host, sizeof host - 1);
      pc.source = host;
    }
    if (!lossless) {
      // Live: the spool lives with the probe's state (--state, else the configuration's state_dir).
      std::string dir = cfg.state_dir ? cfg.state_dir->string() : std::string();
      if (dir.empty())
        return fail("--publish in live capture needs --state DIR (the spool for when no server answers)");
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      pc.spool_path = (std::filesystem::path(dir) / "publish-spool.bin").string();
    }
    pc.shard_of = [](const event& e, std::size_t n) { return event_fanout::shard_of(e, n); };
    pc.event_id_of = [](const event& e) { return campaign::event_id_of(e); };
    bus = std::make_unique<stream::publisher>(std::move(pc));
    if (!bus->start(error)) return fail(error);
  }
  std::unique_ptr<unknown_tap> unknown;
  if (!o.unknown.empty()) {
    unknown_tap_config uc;
    uc.path = o.unknown;
    uc.rate = o.unknown_rate;
    uc.dissector = o.unknown_dissector;
    uc.dissector_timeout_s = o.unknown_timeout_s;
    if (o.pc24) uc.dissector_args.push_back("--pc24");
    unknown = std::make_unique<unknown_tap>(std::move(uc));
    cfg.unknown = unknown.get();
  }
  event_tee sink(events_log, trigger.get(), bus.get(), console_fanout.get());
  pipeline p(cfg, sink);  // adds the --unknown tap's ports
  if (unknown && !unknown->start(error)) return fail(error);
  if (!p.start(error)) return fail(error);
  if (trigger) trigger->start();
  if (console_fanout) console_fanout->start();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::atomic<bool> reloader_stop{false};
  std::signal(SIGHUP, on_hangup);
  std::thread reloader([&] {
    while (!reloader_stop.load()) {
      if (g_reload_requested.exchange(false)) {
        // The logs first: logrotate's postrotate sends the SIGHUP right after moving them.
        events_log.reopen();
        std::string why;
        if (campaigns && !campaigns->reopen_logs(why)) log(log_level::error, "{}", why);
        log(log_level::info, "reopened the logs");
        if (campaigns) {
          if (campaigns->reload(why))
            log(log_level::info, "reloaded {}", o.config);
          else
            log(log_level::error, "reload refused, the old configuration stays: {}", why);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  // On a terminal: the progress bar for replay, the status line for live and dpdk; nothing of
  // either into a file or a pipe.
  const bool tty = isatty(STDERR_FILENO) != 0;
  status_reporter status(o.stats, progress && tty, !progress && tty);
  status.watch(trigger.get());
  capture_counters counters;
  status.watch(&counters);
  if (campaigns) {
    campaign::runtime* rt = campaigns.get();
    status.watch_window([rt]() -> std::optional<status_window> {
      const auto w = rt->window();
      if (!w) return std::nullopt;
      return status_window{w->in_flight, w->size};
    });
  }
  // The console's figures, taken on the capture thread (the one that owns the pipeline's
  // counters) and handed over whole.
  auto publish = [&](const pipeline& pl, bool final) {
    if (!http) return;
    try {
      auto snap = std::make_shared<console::capture_snapshot>();
      snap->pipeline = pl.figures();
      snap->capture = counters;
      if (trigger) snap->trigger = trigger->totals();
      snap->presence = console_fanout->totals();
      snap->wall_us =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      snap->finished = final;
      http->publish(std::move(snap));
    } catch (const std::exception&) {  // no memory for a copy: the console shows the previous one
    }
  };
  if (http) {
    publish(p, false);
    status.on_publish([&](const pipeline& pl) { publish(pl, false); });
  }
  const bool ok = capture(p, status, counters, error);
  status.finish();
  if (g_stop_requested.load())
    log(log_level::info, "stopping: draining the queues, flushing the logs, saving the state");
  std::string finish_error;
  const bool finished = p.finish(finish_error);
  if (unknown) unknown->stop();  // after the last frame: what is queued is written first
  const bool written = events_log.close();
  if (trigger) trigger->stop();  // after the last event (finish ends open connections)
  std::string publish_error;
  // The input ended (not stopped by a signal): end marks tell the trigger workers.
  const bool published = !bus || bus->finish(ok && !g_stop_requested.load(), publish_error);
  if (console_fanout) console_fanout->stop();
  counters.event_log_drops = events_log.dropped();
  publish(p, true);
  if (reloader.joinable()) {
    reloader_stop.store(true);
    reloader.join();
  }
  bool shards_written = true;
  for (auto* shard : shard_logs) shards_written = shard->log.close() && shards_written;
  std::string campaign_error;
  const bool campaigns_finished = !campaigns || campaigns->finish(campaign_error);
  if (!ok) return fail(error);  // a user error: one line, no statistics of nothing
  if (!o.no_summary) {
    print_summary(stderr, p, counters, trigger.get());
    if (campaigns) std::fprintf(stderr, "%s\n", campaigns->summary().c_str());
    if (bus) std::fprintf(stderr, "%s\n", bus->summary().c_str());
    if (unknown) std::fprintf(stderr, "%s\n", unknown->summary().c_str());
  }
  if (http && o.http_linger_s > 0) {
    std::fflush(stderr);
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.http_linger_s);
    while (std::chrono::steady_clock::now() < until && !g_stop_requested.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (http) http->stop();
  if (!published) return fail(publish_error);
  if (!campaigns_finished) return fail(campaign_error);
  if (g_stop_requested.load()) log(log_level::info, "stopped");
  if (!finished) return fail(finish_error);
  if (!written) return fail(fmt::format("{}: write error", o.events));
  if (!shards_written) return fail(fmt::format("{}: write error", o.trigger_out));
  return 0;
}

// `trigger --events FILE...`: the one-process reference of a distributed run. The events of the
// logs in (ts, event_id) order, as the trigger workers' reorder windows release them, through
// the same fan-out and engines as `replay --config`.
int decide_events(const std::vector<std::string>& files, const std::string& config, const std::string& decisions,
                  unsigned shards) {
  std::vector<std::pair<std::string, event>> events;
  for (const auto& f : files) {
    std::FILE* in = std::fopen(f.c_str(), "r");
    if (in == nullptr) return fail(fmt::format("{}: {}", f, std::strerror(errno)));
    char* line = nullptr;
    std::size_t cap = 0;
    std::size_t number = 0;
    ssize_t n = 0;
    while ((n = getline(&line, &cap, in)) > 0) {
      ++number;
      std::string_view text(line, static_cast<std::size_t>(n));
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
      if (text.empty()) continue;
      std::string why;
      const auto e = parse_json_line(text, &why);
      if (!e) {
        std::free(line);
        std::fclose(in);
        return fail(fmt::format("{}:{}: {}", f, number, why));
      }
      events.emplace_back(campaign::event_id_of(*e), *e);
    }
    std::free(line);
    std::fclose(in);
  }
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    if (a.second.ts_us != b.second.ts_us) return a.second.ts_us < b.second.ts_us;
    return a.first < b.first;
  });
  campaign::runtime rt;
  campaign::runtime_options ro;
  ro.config_path = config;
  ro.shards = shards;
  ro.decisions_path = decisions;
  ro.ordered_log = true;
  std::vector<std::string> warnings;
  std::string error;
  const bool started = rt.start(ro, warnings, error);
  for (const auto& w : warnings) std::fprintf(stderr, "bssap-probe: warning: %s\n", w.c_str());
  if (!started) return fail(error);
  {
    event_fanout fan(fanout_config{.lossless = true}, rt.consumers());
    fan.start();
    for (const auto& [id, e] : events) fan.on_event(e);
    fan.stop();
  }
  const bool finished = rt.finish(error);
  std::fprintf(stderr, "%s\n", rt.summary().c_str());
  if (!finished) return fail(error);
  return 0;
}

// `report --visitors EVENTS`: the console's visitor statistics, from an event log.
int report_visitors(const campaign::engine_inputs& in, const std::string& events_path, const std::string& regions_path,
                    const std::string& only_area, const std::vector<std::string>& record_sources,
                    const std::string& decisions_path, bool as_json) {
  std::string error;
  if (!in.tables.areas) return fail("--visitors: the configuration names no areas (areas:)");
  std::optional<console::region_table> regions;
  if (!regions_path.empty()) {
    regions = console::region_table::load(regions_path, error);
    if (!regions) return fail(error);
  }
  const auto clock = campaign::local_clock::from_name(in.config->timezone, error);
  if (!clock) return fail(error);
  std::vector<std::string> home;
  if (in.config->home_plmns)
    home = *in.config->home_plmns;
  else
    home = {"460-00", "460-02", "460-07"};
  const campaign::operator_tables tables = in.tables;
  console::visitor_stats stats([tables] { return tables; }, std::move(regions), home, *clock, in.config->timezone);
  if (!apply_record_sources(stats, *in.config, in.tables, record_sources, error)) return fail(error);
  // The record channel offline: the decision log's `sent` record decisions, (campaign, event_id),
  // joined to the event log by event_id (campaigns.md "Exactly once").
  std::set<std::pair<std::string, std::string>> recorded;
  std::set<std::string> record_campaigns;
  for (const auto& [area, id] : stats.record_sources()) record_campaigns.insert(id);
  if (!record_campaigns.empty()) {
    if (decisions_path.empty()) return fail("--visitors-record needs --visitors-decisions (the decision log)");
    std::ifstream dl(decisions_path, std::ios::binary);
    if (!dl) return fail(fmt::format("{}: cannot read", decisions_path));
    std::string text;
    std::size_t n = 0;
    while (std::getline(dl, text)) {
      ++n;
      if (text.empty()) continue;
      const auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("campaign") || !j.contains("event_id") ||
          !j["campaign"].is_string() || !j["event_id"].is_string())
        return fail(fmt::format("{}:{}: not a decision line (campaign, event_id)", decisions_path, n));
      if (j.value("action", "") != "record" || j.value("outcome", "") != "sent") continue;
      const auto campaign = j["campaign"].get<std::string>();
      if (record_campaigns.count(campaign) != 0) recorded.emplace(campaign, j["event_id"].get<std::string>());
    }
  } else if (!decisions_path.empty()) {
    return fail("--visitors-decisions goes with --visitors-record");
  }
  std::ifstream file(events_path, std::ios::binary);
  if (!file) return fail(fmt::format("{}: cannot read", events_path));
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(file, line)) {
    ++line_no;
    if (line.empty()) continue;
    const auto e = parse_json_line(line, &error);
    if (!e) return fail(fmt::format("{}:{}: {}", events_path, line_no, error));
    stats.on_event(*e);
    if (!recorded.empty()) {
      const std::string id = campaign::event_id_of(*e);
      for (const auto& c : record_campaigns)
        if (recorded.count({c, id}) != 0) stats.on_record(c, *e);
    }
  }
  std::vector<std::string> names = stats.areas();
  if (!only_area.empty()) {
    if (std::find(names.begin(), names.end(), only_area) == names.end())
      return fail(fmt::format("--area: no area named \"{}\"", only_area));
    names = {only_area};
  }
  nlohmann::json all = nlohmann::json::array();
  for (const auto& name : names) {
    const auto r =
        stats.report(name, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
    if (!r) continue;
    if (as_json)
      all.push_back(console::to_json(*r));
    else
      std::fputs(console::to_text(*r).c_str(), stdout);
  }
  if (as_json) std::printf("%s\n", (only_area.empty() ? all : all.at(0)).dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // dpdk: EAL arguments come first and end at "--"; ours follow.
  if (argc >= 2 && std::strcmp(argv[1], "dpdk") == 0) {
    std::vector<char*> eal{argv[0]};
    int i = 2;
    for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) eal.push_back(argv[i]);
    std::vector<char*> ours{argv[0]};
    for (++i; i < argc; ++i) ours.push_back(argv[i]);
    CLI::App app{"bssap-probe dpdk [EAL args] -- --events OUT.jsonl [options]"};
    app.name("bssap-probe dpdk");
    common_options o;
    dpdk_options d;
    add_common(app, o);
    app.add_option("--idle-exit", d.idle_exit_s,
                   "stop after SECONDS without packets (default: 2 with net_pcap ports only, else never)");
    app.add_option("--rx-queues", d.rx_queues,
                   "RX queues per NIC port (default: worker lcores or --threads, whichever is more; capped by the "
                   "device; net_pcap: one per rx_pcap file)");
    try {
      app.parse(static_cast<int>(ours.size()), ours.data());
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      return fail(e.what());
    }
    dpdk_session session;
    std::string error;
    if (!session.open(eal, d, o.threads, error)) return fail(error);
    // The EAL has mapped its memory and the ports are started: receiving needs no capability.
    if (!drop_capabilities(error)) return fail(error);
    log(log_level::info, "capture open, capabilities dropped");
    // net_pcap ports are files: read them lossless, like replay. NICs: a full queue drops.
    return run(
        o, session.all_pcap(), false,
        [&](pipeline& p, status_reporter& s, capture_counters& c, std::string& err) {
          return run_dpdk(session, d, p, s, c, err);
        },
        session.producers());
  }

  CLI::App app{"bssap-probe: GSM A-interface (BSSAP) signalling to subscriber behaviour events"};
  app.require_subcommand(1);
  common_options replay_common, live_common;
  replay_options r;
  bool fast = false;
  auto* replay = app.add_subcommand("replay", "read pcap / pcapng files (gzip too), merged in time order");
  replay->add_option("files", r.files, "capture files")->required();
  auto* speed = replay->add_option("--speed", r.speed, "pace at X times capture speed (1 = real time)")
                    ->check(CLI::PositiveNumber);
  replay->add_flag("--fast", fast, "as fast as possible (default)")->excludes(speed);
  add_common(*replay, replay_common);

  std::string report_config, report_orders;
  bool report_json = false;
  auto* report = app.add_subcommand("report", "the campaigns' evaluation, read from the configuration's state_dir");
  report->add_option("--config", report_config, "probe.yaml")->required()->check(CLI::ExistingFile);
  report->add_option("--orders", report_orders, "orders file (msisdn,product,time) from the operator's BSS");
  report->add_flag("--json", report_json, "JSON instead of text");
  std::string visitors_events, visitors_regions, visitors_area;
  report
      ->add_option("--visitors", visitors_events,
                   "the visitor statistics of the named areas instead, from this event log (JSON lines)")
      ->check(CLI::ExistingFile);
  report->add_option("--regions", visitors_regions, "with --visitors: MSISDN prefix -> region CSV (prefix,region)")
      ->check(CLI::ExistingFile);
  report->add_option("--area", visitors_area, "with --visitors: only this area");
  std::vector<std::string> visitors_record;
  std::string visitors_decisions;
  report->add_option("--visitors-record", visitors_record,
                     "with --visitors: AREA=CAMPAIGN, the area's visitors from the `record` campaign's decisions "
                     "(--visitors-decisions) instead of every event (repeatable)");
  report
      ->add_option("--visitors-decisions", visitors_decisions,
                   "with --visitors-record: the decision log (--decisions of the run) holding its record decisions")
      ->check(CLI::ExistingFile);

  stream::worker_config w;
  std::string shard_list;
  double window_s = 2, max_lag_s = 30;
  auto* trigger = app.add_subcommand(
      "trigger", "a trigger worker: campaign engines for some shards of the event stream (NATS JetStream)");
  std::vector<std::string> event_files;
  unsigned event_shards = 1;
  auto* consume = trigger->add_option("--consume", w.servers, "nats://HOST:PORT (repeat for a cluster's seed servers)");
  auto* from_logs = trigger->add_option("--events", event_files,
                                        "instead of --consume: decide in this one process on event logs (JSON lines), "
                                        "merged by ts: the reference a distributed run must equal");
  consume->excludes(from_logs);
  trigger->add_option("--trigger-shards", event_shards, "with --events: engine shards (the stream's count to compare)")
      ->check(CLI::Range(1u, 1024u));
  trigger->add_option("--shards", shard_list, "with --consume: the shards this worker runs: 0,2,5-7");
  trigger->add_option("--config", w.config_path, "probe.yaml")->required()->check(CLI::ExistingFile);
  trigger->add_option("--decisions", w.decisions_path, "decision log (JSON lines); - for stdout");
  trigger
      ->add_option("--window", window_s,
                   "seconds of ts disorder tolerated within one probe's events (default 2); an event older than "
                   "what its shard has released is late: counted, and the engine skips it if its subscriber has "
                   "a later event")
      ->check(CLI::Range(0.0, 86400.0));
  trigger
      ->add_option("--max-lag", max_lag_s,
                   "seconds a probe may fall behind the fastest before it is no longer waited for (default 30; "
                   "parallel replays of files: as long as the captures)")
      ->check(CLI::Range(0.0, 1e9));
  trigger
      ->add_option("--sources", w.reorder.expected_sources,
                   "release nothing until this many probes have published (default 1)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  trigger->add_option("--max-held", w.reorder.max_held, "events held per shard at most (default 500000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
  trigger->add_option("--ack-wait", w.ack_wait_s, "seconds before the server redelivers an unacknowledged message")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400}));
  trigger
      ->add_option("--idle-exit", w.idle_exit_s,
                   "stop when every probe has ended its input, nothing is held and the stream was quiet this many "
                   "seconds (default: run until SIGTERM)")
      ->check(CLI::NonNegativeNumber);
  trigger->add_option("--stats", w.stats_s, "a line per shard to stderr every SECONDS")->check(CLI::NonNegativeNumber);
  add_stream_options(*trigger, w.stream);

  live_options l;
  // Once the interfaces are open nothing needs a capability any more (privileges.hpp).
  l.after_open = [](std::string& err) {
    if (!drop_capabilities(err)) return false;
    log(log_level::info, "capture open, capabilities dropped");
    return true;
  };
  auto* live = app.add_subcommand("live", "capture on network interfaces with libpcap (promiscuous)");
  live->add_option("-i,--interface", l.interfaces, "interface (repeat for several)")->required();
  live->add_option("-f,--filter", l.filter, "BPF filter");
  live->add_option("--snaplen", l.snaplen, "bytes captured per frame")->check(CLI::Range(64, 262144));
  live->add_option("--buffer-mb", l.buffer_mb, "kernel capture buffer per interface, MiB")->check(CLI::Range(1, 4096));
  add_common(*live, live_common);

  check_config_options cc;
  auto* check =
      app.add_subcommand("check-config",
                         "validate a configuration as a start would (files, campaigns, tables, SMPP) and print what "
                         "would run, without capturing");
  check->add_option("config", cc.config, "probe.yaml")->required()->check(CLI::ExistingFile);
  check->add_flag(
      "--connect", cc.connect,
      "also bind to the SMSC with the configured system_id and password (then unbind) when a live campaign sends SMS");
  check->add_option("--connect-timeout", cc.connect_timeout_s, "seconds to wait for the SMSC with --connect")
      ->check(CLI::Range(0.1, 600.0));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(e.what());
  }
  if (check->parsed()) return check_config(cc, stdout);
  if (report->parsed()) {
    std::vector<std::string> warnings;
    std::string error;
    const auto in = campaign::load_inputs(report_config, warnings, error);
    if (!in) return fail(error);
    if (!visitors_events.empty())
      return report_visitors(*in, visitors_events, visitors_regions, visitors_area, visitors_record, visitors_decisions,
                             report_json);
    if (!visitors_regions.empty() || !visitors_area.empty() || !visitors_record.empty() || !visitors_decisions.empty())
      return fail("--regions, --area, --visitors-record and --visitors-decisions go with --visitors");
    const std::string text = campaign::report_text(*in->config, in->tables, report_orders, report_json, error);
    if (!error.empty()) return fail(error);
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (trigger->parsed()) {
    std::string error;
    if (!event_files.empty()) return decide_events(event_files, w.config_path, w.decisions_path, event_shards);
    if (w.servers.empty()) return fail("trigger: --consume (or --events) is required");
    if (!stream::parse_shard_list(shard_list, w.shards, error)) return fail(error);
    w.reorder.window_us = static_cast<std::int64_t>(window_s * 1e6);
    w.reorder.max_lag_us = static_cast<std::int64_t>(max_lag_s * 1e6);
    w.stop = &g_stop_requested;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    if (!stream::run_worker(w, error)) return fail(error);
    return 0;
  }
  if (replay->parsed()) {
    for (const auto& f : r.files)
      if (access(f.c_str(), R_OK) != 0) return fail(fmt::format("{}: {}", f, std::strerror(errno)));
    return run(replay_common, true, true, [&](pipeline& p, status_reporter& s, capture_counters& c, std::string& err) {
      return run_replay(r, p, s, c, err);
    });
  }
  return run(live_common, false, false, [&](pipeline& p, status_reporter& s, capture_counters& c, std::string& err) {
    return run_live(l, p, s, c, err);
  });
}
