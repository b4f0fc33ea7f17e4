// Campaign rule evaluation (issue 11): one engine (one trigger shard, one core) with 100
// campaigns and 10 million subscribers loaded, fed random events of those subscribers; prints
// events/s of CPU time, the table load time and the resident memory with everything loaded.
//   bench_campaign [SUBSCRIBERS] [CAMPAIGNS] [EVENTS] [network|every] [DECISIONS]
// DECISIONS: a file for the decision log (the lines bssap-probe --decisions writes), to compare
// two builds' decisions on the same events; writing it is timed too, so leave it out to measure.
// Two mixes of events:
//   network  what an A interface carries (the default): mostly periodic and location updates,
//            calls and SMS to ordinary numbers, over 200 LACs of which four hold named areas; a
//            few events per hundred meet a campaign's trigger and conditions;
//   every    the worst case: every event is a candidate of about two campaigns (peers, causes
//            and LACs drawn from the campaigns' own values), so each makes decisions to store;
//   sweep    the network mix, but the subscribers in turn (event i is subscriber i mod
//            SUBSCRIBERS), made as they are fed instead of kept in a stream: with EVENTS at least
//            twice SUBSCRIBERS every subscriber holds state at the end, which is what "resident at
//            end" then measures (issue 11: ten million subscribers with all their state in 2 GiB).
//            Its events/s include making the events.
// The events cycle over a stream of up to 2 M: the first lap sees most subscribers for the first
// time (their state is created), later laps (times moved on) find them known, as a probe that
// has run for a while does; both rates are printed.
// Campaigns mix the example scenarios' shapes (targets on profile columns, where conditions on
// peer, cause, area and handset columns, caps, budgets, control groups, stateful history); they
// are rehearsals, so that decisions and state are made and stored as live without an SMSC.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../common/bench_args.hpp"
#include "bssap/campaign/engine.hpp"

using namespace bssap;
namespace fs = std::filesystem;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

long status_kib(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::strlen(key) + 1));
  return 0;
}

std::string imsi_of(std::uint64_t i) {
  return fmt::format("46000{:010}", i);
}

void write_world(const fs::path& dir, std::uint64_t subscribers, unsigned campaigns) {
  fs::create_directories(dir / "campaigns");
  {
    std::FILE* f = std::fopen((dir / "subscribers.csv").c_str(), "w");
    std::fputs("imsi,msisdn,brand,region,arpu,seed_user\n", f);
    static constexpr const char* brands[] = {"GoTone", "M-Zone", "Easyown"};
    static constexpr const char* regions[] = {"Beijing", "Shanghai", "Guangzhou", "Shenzhen", "Chengdu", "Wuhan"};
    std::string row;
    for (std::uint64_t i = 0; i < subscribers; ++i) {
      row.clear();
      fmt::format_to(std::back_inserter(row), "{},138{:08},{},{},{},{}\n", imsi_of(i), i % 100000000, brands[i % 3],
                     regions[(i / 3) % 6], 20 + (i * 7919) % 200, i % 20 == 0 ? "yes" : "no");
      std::fwrite(row.data(), 1, row.size(), f);
    }
    std::fclose(f);
  }
  std::ofstream(dir / "tac.csv") << "tac,brand,mms\n35328110,Apple,yes\n86891303,Nokia,no\n35391708,Samsung,yes\n";
  std::ofstream(dir / "dnd.txt") << "13800000007\n13800000011\n";
  std::ofstream(dir / "areas.yaml") << "airport: [\"4101:11\", \"4101:12\"]\nscenic: [4102]\noutlet: [\"4103:5\"]\n";
  std::ofstream(dir / "probe.yaml") << "home_plmns: [460-00]\ntimezone: \"+08:00\"\nstate_dir: state\n"
                                       "subscribers: subscribers.csv\ndnd: dnd.txt\ntac: tac.csv\nareas: areas.yaml\n"
                                       "campaigns: [campaigns/*.yaml]\n"
                                       "contact_policy: {global_cap: {count: 3, per: 1d}}\n";
  static constexpr const char* shapes[] = {
      "trigger: {event: imei_change, where: [{field: handset.mms, eq: \"yes\"}]}\n",
      "trigger: {event: call_end, where: [{field: cause, eq: 1}]}\n",
      "trigger: {event: call_end, where: [{field: peer, in: [\"10086\", \"12580\"]}]}\n",
      "trigger: {event: call_mo, where: [{field: peer, prefix: \"1860\"}]}\n",
      "trigger: {event: call_end, where: [{field: peer, prefix: \"0\"}, {field: peer, not_prefix: \"12593\"}]}\n",
      "trigger: {event: roaming_in}\n",
      "trigger: {event: location_update, where: [{field: area, eq: outlet}]}\n",
      "trigger: {event: periodic_update, history: [{dwell: airport, at_least: 2h}]}\n",
      "trigger: {event: power_off, history: [{count: power_off, at_least: 3, within: 7d}]}\n",
      "trigger: {event: handover, history: [{cell_changes: 4, within: 10m}]}\n",
  };
  for (unsigned c = 0; c < campaigns; ++c) {
    std::ofstream f(dir / "campaigns" / fmt::format("c{:03}.yaml", c));
    f << fmt::format("id: c{:03}\nname: campaign {}\nmode: rehearsal\npriority: {}\n", c, c, c % 7);
    if (c % 2 == 0) f << "target: [{column: brand, in: [GoTone, M-Zone]}, {column: arpu, ge: 60}]\n";
    f << shapes[c % std::size(shapes)];
    f << "channel: {type: sms, sender: \"10658\", text: \"Offer {offer.product} for {msisdn} in {lac}\"}\n"
         "offer: {product: bundle, price: \"5 yuan\"}\n"
         "strategy: {cap: {count: 1, per: 7d}, budget: {daily: 100000}, control_group: 10%}\n";
  }
}

void locate(event& e, std::uint16_t lac, std::uint32_t cell) {
  e.mcc.assign("460");
  e.mnc.assign("00");
  e.lac = lac;
  e.set(f_lai);
  e.cell = cell;
  e.set(f_cell);
}

void subscriber_of(event& e, std::mt19937_64& rng, std::uint64_t subscribers) {
  e.imsi.assign(imsi_of(rng() % subscribers));
  e.set(f_imsi);
}

// The campaigns' own values, so that every event is a candidate.
event worst_case_event(std::mt19937_64& rng, std::uint64_t subscribers) {
  static constexpr event_type types[] = {event_type::location_update, event_type::periodic_update, event_type::power_on,
                                         event_type::power_off,       event_type::call_mo,         event_type::call_end,
                                         event_type::sms_mo,          event_type::imei_change,     event_type::handover,
                                         event_type::roaming_in};
  static constexpr const char* peers[] = {"10086",      "12580", "18601234567", "02087654321", "1259302087654321",
                                          "13912345678"};
  static constexpr const char* imeis[] = {"35328110123456", "86891303123456", "35391708123456"};
  event e;
  e.type = types[rng() % std::size(types)];
  subscriber_of(e, rng, subscribers);
  locate(e, static_cast<std::uint16_t>(4100 + rng() % 5), static_cast<std::uint32_t>(rng() % 20));
  if (e.type == event_type::call_mo || e.type == event_type::call_end || e.type == event_type::sms_mo) {
    e.peer.assign(peers[rng() % std::size(peers)]);
    e.set(f_peer);
  }
  if (e.type == event_type::call_end) {
    e.cause = rng() % 4 == 0 ? 1 : 16;
    e.set(f_cause);
  }
  if (e.type == event_type::imei_change) {
    e.imei.assign(imeis[rng() % std::size(imeis)]);
    e.set(f_imei);
  }
  return e;
}

// Shares of an A interface's events (per mille), in the proportions the sample capture and
// bssap-synth's behaviour model give, rounded.
event network_event(std::mt19937_64& rng, std::uint64_t subscribers) {
  struct share {
    event_type type;
    unsigned per_mille;
  };
  static constexpr share shares[] = {
      {event_type::periodic_update, 250}, {event_type::location_update, 150}, {event_type::call_mo, 110},
      {event_type::call_mt, 110},         {event_type::call_answered, 70},    {event_type::call_end, 140},
      {event_type::sms_mo, 50},           {event_type::sms_mt, 50},           {event_type::handover, 40},
      {event_type::power_on, 12},         {event_type::power_off, 12},        {event_type::imei_change, 3},
      {event_type::roaming_in, 3}};
  unsigned pick = static_cast<unsigned>(rng() % 1000);
  event e;
  e.type = event_type::periodic_update;
  for (const auto& s : shares) {
    if (pick < s.per_mille) {
      e.type = s.type;
      break;
    }
    pick -= s.per_mille;
  }
  subscriber_of(e, rng, subscribers);
  if (e.type == event_type::roaming_in) e.imsi.assign(fmt::format("23415{:010}", rng() % 1000000));
  locate(e, static_cast<std::uint16_t>(4000 + rng() % 200), static_cast<std::uint32_t>(rng() % 100));
  if (e.type == event_type::call_mo || e.type == event_type::call_mt || e.type == event_type::call_end ||
      e.type == event_type::sms_mo || e.type == event_type::sms_mt) {
    const unsigned p = static_cast<unsigned>(rng() % 1000);
    std::string peer;
    if (p < 10)
      peer = "10086";
    else if (p < 15)
      peer = "12580";
    else if (p < 20)
      peer = fmt::format("1860{:07}", rng() % 10000000);
    else if (p < 50)
      peer = fmt::format("0{:02}{:08}", 10 + rng() % 90, rng() % 100000000);
    else
      peer = fmt::format("13{:09}", rng() % 1000000000);
    e.peer.assign(peer);
    e.set(f_peer);
  }
  if (e.type == event_type::call_end) {
    e.cause = rng() % 100 == 0 ? 1 : 16;
    e.set(f_cause);
  }
  if (e.type == event_type::imei_change) {
    e.imei.assign(rng() % 2 == 0 ? "35328110123456" : "86891303123456");
    e.set(f_imei);
  }
  return e;
}

// The decision log, as written: one file, lines in the order the engine hands them over.
class file_sink final : public campaign::decision_sink {
 public:
  explicit file_sink(const char* path) : _f(std::fopen(path, "w")) {}
  ~file_sink() override {
    if (_f != nullptr) std::fclose(_f);
  }
  bool ok() const { return _f != nullptr; }
  void write(std::size_t, std::string_view lines) override { std::fwrite(lines.data(), 1, lines.size(), _f); }

 private:
  std::FILE* _f;
};

}  // namespace

int main(int argc, char** argv) {
  const char* usage = "bench_campaign [SUBSCRIBERS] [CAMPAIGNS] [EVENTS] [network|every|sweep] [DECISIONS]";
  const std::uint64_t subscribers = bench::count_arg(argc, argv, 1, 10'000'000, usage);
  const auto campaigns = static_cast<unsigned>(bench::count_arg(argc, argv, 2, 100, usage));
  const std::uint64_t events = bench::count_arg(argc, argv, 3, 4'000'000, usage);
  const std::string mix = argc > 4 ? argv[4] : "network";
  if (mix != "network" && mix != "every" && mix != "sweep") {
    std::fprintf(stderr, "usage: %s (mix: network, every or sweep, not %s)\n", usage, mix.c_str());
    return 2;
  }
  const bool every = mix == "every", sweep = mix == "sweep";
  const fs::path dir = fs::temp_directory_path() / fmt::format("bench-campaign-{}", ::getpid());
  fs::remove_all(dir);
  write_world(dir, subscribers, campaigns);

  const double load_start = cpu_seconds();
  const auto wall_start = std::chrono::steady_clock::now();
  std::vector<std::string> warnings;
  std::string error;
  auto in = campaign::load_inputs((dir / "probe.yaml").string(), warnings, error);
  if (!in) {
    std::fprintf(stderr, "bench_campaign: %s\n", error.c_str());
    return 1;
  }
  const double load_wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const double load_cpu = cpu_seconds() - load_start;
  const long rss_loaded = status_kib("VmRSS:");

  // Random events of random subscribers, in time order (an event every 100 us of capture time).
  std::mt19937_64 rng(7);
  std::vector<event> stream(sweep ? 0 : std::min<std::uint64_t>(events, 2'000'000));
  std::int64_t ts = 1795420800LL * 1000000;
  for (auto& e : stream) {
    e = every ? worst_case_event(rng, subscribers) : network_event(rng, subscribers);
    e.ts_us = ts += 100;
  }

  std::unique_ptr<file_sink> decisions;
  if (argc > 5) {
    decisions = std::make_unique<file_sink>(argv[5]);
    if (!decisions->ok()) {
      std::fprintf(stderr, "bench_campaign: %s: cannot write\n", argv[5]);
      return 1;
    }
  }
  campaign::engine eng(campaign::engine_options{}, *in, nullptr, decisions.get());
  if (const auto err = eng.open(); !err.empty()) {
    std::fprintf(stderr, "bench_campaign: %s\n", err.c_str());
    return 1;
  }
  // Lap 1 (first sight) and the later laps (known subscribers), timed apart.
  double first_cpu = 0, known_cpu = 0;
  std::uint64_t first_events = 0, known_events = 0;
  double start = cpu_seconds();
  for (std::uint64_t i = 0; sweep && i < events; ++i) {
    event e = network_event(rng, subscribers);
    if (e.type != event_type::roaming_in) e.imsi.assign(imsi_of(i % subscribers));
    e.ts_us = ts += 100;
    eng.on_event(e);
  }
  for (std::uint64_t i = 0; !sweep && i < events; ++i) {
    if (i == stream.size()) {
      eng.flush();
      first_cpu = cpu_seconds() - start;
      first_events = i;
      start = cpu_seconds();
    }
    event e = stream[i % stream.size()];
    e.ts_us += static_cast<std::int64_t>(i / stream.size()) * 200'000'000;  // later laps: later times
    eng.on_event(e);
  }
  eng.flush();
  if (first_events == 0) {
    first_cpu = cpu_seconds() - start;
    first_events = events;
  } else {
    known_cpu = cpu_seconds() - start;
    known_events = events - first_events;
  }
  const double cpu = first_cpu + known_cpu;
  const auto c = eng.counters();
  eng.close();
  // The bench's own input is no engine memory: dropped before "resident at end", printed apart
  // (the peak includes it).
  const double stream_mib = static_cast<double>(stream.size() * sizeof(event)) / (1024.0 * 1024.0);
  std::vector<event>().swap(stream);
  const long rss = status_kib("VmRSS:");
  const long hwm = status_kib("VmHWM:");
  std::uint64_t suppressed = 0;
  for (const auto n : c.suppressed) suppressed += n;
  std::printf("| campaign | subscribers loaded | %llu | rows |\n", static_cast<unsigned long long>(subscribers));
  std::printf("| campaign | campaigns | %u | |\n", campaigns);
  std::printf("| campaign | table load (CPU) | %.2f | s |\n", load_cpu);
  std::printf("| campaign | table load (wall) | %.2f | s |\n", load_wall);
  std::printf("| campaign | resident after load | %.0f | bytes/subscriber |\n",
              static_cast<double>(rss_loaded) * 1024 / static_cast<double>(subscribers));
  std::printf("| campaign | mix | %s | |\n", every   ? "every (a decision on every event)"
                                             : sweep ? "sweep (every subscriber in turn)"
                                                     : "network");
  std::printf("| campaign | rule evaluation, all laps | %.3f | M events/s (CPU) |\n",
              static_cast<double>(events) / cpu / 1e6);
  std::printf("| campaign | rule evaluation, first lap (subscribers first seen) | %.3f | M events/s (CPU) |\n",
              static_cast<double>(first_events) / first_cpu / 1e6);
  if (known_events > 0)
    std::printf("| campaign | rule evaluation, later laps (subscribers known) | %.3f | M events/s (CPU) |\n",
                static_cast<double>(known_events) / known_cpu / 1e6);
  std::printf("| campaign | decisions | %llu | (%llu rehearsed, %llu suppressed, %llu candidates) |\n",
              static_cast<unsigned long long>(c.rehearsed + suppressed + c.recorded),
              static_cast<unsigned long long>(c.rehearsed), static_cast<unsigned long long>(suppressed),
              static_cast<unsigned long long>(c.candidates));
  std::printf("| campaign | engine subscriber table | %llu subscribers, %llu with history or contacts, %.0f MiB | |\n",
              static_cast<unsigned long long>(c.subscribers),
              static_cast<unsigned long long>(c.subscribers_with_history),
              static_cast<double>(c.state_bytes) / (1024.0 * 1024.0));
  std::printf("| campaign | resident at end (tables + engine state) | %.0f | bytes/subscriber |\n",
              static_cast<double>(rss) * 1024 / static_cast<double>(subscribers));
  std::printf("| campaign | peak resident | %.2f | GiB (of it the bench's event stream: %.0f MiB) |\n",
              static_cast<double>(hwm) / (1024.0 * 1024.0), stream_mib);
  fs::remove_all(dir);
  return 0;
}
