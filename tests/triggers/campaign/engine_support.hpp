// A campaign world in a temporary folder (probe.yaml, campaign files, tables) and an engine fed
// with hand-made events, its decisions and messages recorded: for the decision-procedure tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bssap/campaign/engine.hpp"

namespace bssap::test {

inline std::filesystem::path campaign_scratch(const std::string& name) {
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("bssap-campaign-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "campaigns");
  return dir;
}

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

struct recorded_channel final : campaign::channel {
  std::mutex m;
  std::vector<campaign::outgoing> sent;
  bool refuse = false;
  bool deliver(std::span<const campaign::outgoing> batch, std::string& error) override {
    std::lock_guard lock(m);
    if (refuse) {
      error = "refused by the test";
      return false;
    }
    sent.insert(sent.end(), batch.begin(), batch.end());
    return true;
  }
};

struct recorded_log final : campaign::decision_sink {
  std::mutex m;
  std::string text;
  void write(std::size_t, std::string_view lines) override {
    std::lock_guard lock(m);
    text.append(lines);
  }
  std::vector<nlohmann::json> lines() {
    std::lock_guard lock(m);
    std::vector<nlohmann::json> out;
    std::size_t start = 0;
    while (start < text.size()) {
      const auto end = text.find('\n', start);
      out.push_back(nlohmann::json::parse(text.substr(start, end - start)));
      start = end + 1;
    }
    return out;
  }
};

// A folder with probe.yaml (state_dir state, the given extra top-level YAML) and tables.
struct world {
  std::filesystem::path dir;
  explicit world(const std::string& name, const std::string& probe_extra = "",
                 const std::string& subscribers =
                     "imsi,msisdn,brand,arpu,seed_user\n"
                     "460001000000001,13800000001,GoTone,80,yes\n"
                     "460001000000002,13800000002,M-Zone,20,no\n"
                     "460001000000003,13800000003,GoTone,120,no\n"
                     "460001000000004,,GoTone,90,no\n"
                     "460001000000005,13800000005,GoTone,90,no\n")
      : dir(campaign_scratch(name)) {
    write_file(dir / "subscribers.csv", subscribers);
    write_file(dir / "dnd.txt", "# do not disturb\n13800000005  # asked us\n");
    write_file(dir / "tac.csv", "tac,brand,mms\n35328110,Apple,yes\n86891303,Nokia,no\n");
    write_file(dir / "areas.yaml", "airport: [\"4101:11\", \"4101:12\"]\nscenic-spot: [4102]\n");
    write_file(dir / "probe.yaml",
               "home_plmns: [460-00]\n"
               "timezone: \"+08:00\"\n"
               "state_dir: state\n"
               "subscribers: subscribers.csv\n"
               "dnd: dnd.txt\n"
               "tac: tac.csv\n"
               "areas: areas.yaml\n"
               "campaigns: [campaigns/*.yaml]\n" +
                   probe_extra);
  }
  void campaign(const std::string& id, const std::string& body) const {
    write_file(dir / "campaigns" / (id + ".yaml"), "id: " + id + "\nname: " + id + "\n" + body);
  }
  std::string config() const { return (dir / "probe.yaml").string(); }
};

// An engine over a world, for one test run (a second run = a new runner on the same world).
struct runner {
  recorded_channel channel;
  recorded_log log;
  std::unique_ptr<campaign::engine> engine;
  std::string error;
  explicit runner(const world& w, std::size_t shard = 0, std::size_t shards = 1,
                  std::uint64_t fold_bytes = campaign::engine_options{}.fold_bytes) {
    INFO("world " << w.dir);
    std::vector<std::string> warnings;
    auto in = campaign::load_inputs(w.config(), warnings, error);
    if (!in) return;
    campaign::engine_options options;
    options.shard = shard;
    options.shards = shards;
    options.fold_bytes = fold_bytes;
    engine = std::make_unique<campaign::engine>(options, *in, &channel, &log);
    error = engine->open();
  }
  void feed(const event& e) { engine->on_event(e); }
  void flush() { engine->flush(); }
  void close() { engine->close(); }
};

// 2026-11-23T08:00:00Z (Monday, 16:00 at +08:00) plus seconds.
inline std::int64_t at(double seconds_after) {
  return 1795420800LL * 1000000 + static_cast<std::int64_t>(seconds_after * 1e6);
}

inline event ev(event_type type, std::string_view imsi, std::int64_t ts) {
  event e;
  e.type = type;
  e.ts_us = ts;
  e.imsi.assign(imsi);
  e.set(f_imsi);
  return e;
}
inline event with_location(event e, std::uint16_t lac, std::uint32_t cell) {
  e.mcc.assign("460");
  e.mnc.assign("00");
  e.lac = lac;
  e.set(f_lai);
  e.cell = cell;
  e.set(f_cell);
  return e;
}
inline event with_peer(event e, std::string_view peer) {
  e.peer.assign(peer);
  e.set(f_peer);
  return e;
}

}  // namespace bssap::test
