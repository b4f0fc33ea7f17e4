// bssap-probe check-config (issue 17): a good configuration prints what would run; each kind of
// broken configuration fails with the very line a start (`replay --config`) fails with.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "../smpp/proc.hpp"
#include "engine_support.hpp"

using namespace std::chrono_literals;
namespace t = bssap::test;
namespace fs = std::filesystem;

namespace {

struct outcome {
  int status = -1;
  std::string out, err;
};

outcome run_probe(const fs::path& dir, const std::string& tag, const std::vector<std::string>& args) {
  std::vector<std::string> argv{(t::bin_dir() / "bssap-probe").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto out = dir / (tag + ".out"), err = dir / (tag + ".err");
  fs::remove(out);
  fs::remove(err);
  t::child p(argv, out, err);
  outcome o;
  o.status = p.wait(60s);
  o.out = t::slurp(out);
  o.err = t::slurp(err);
  return o;
}

outcome check(const t::world& w, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"check-config", w.config()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_probe(w.dir, "check", args);
}

// What a start says about the same configuration.
outcome start(const t::world& w) {
  return run_probe(w.dir, "start",
                   {"replay", (t::source_dir() / "pcaps" / "sample.pcap").string(), "--config", w.config(), "--events",
                    (w.dir / "events.jsonl").string(), "--no-summary"});
}

// A listening socket on loopback (the kernel completes connections; nothing answers).
struct listener {
  int fd = -1, port = 0;
  listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~listener() { ::close(fd); }
};

const std::string sms_campaign =
    "trigger: {event: location_update}\nchannel: {type: sms, sender: \"10658\", text: \"hi {msisdn}\"}\n";

}  // namespace

TEST_CASE("check-config: the examples' configuration validates and prints what would run") {
  ::setenv("SMPP_PASSWORD", "secret", 1);
  const auto examples = t::source_dir() / "examples";
  const auto scratch = t::campaign_scratch("check-examples");
  const auto o = run_probe(scratch, "examples", {"check-config", (examples / "probe.yaml").string()});
  INFO(o.err);
  REQUIRE(o.status == 0);
  CHECK_THAT(o.out, Catch::Contains("configuration OK"));
  CHECK_THAT(o.out, Catch::Contains("campaigns 13 (13 enabled)"));
  for (const auto& f : fs::directory_iterator(examples / "campaigns")) {
    const std::string id = f.path().stem().string();
    INFO(id);
    CHECK_THAT(o.out, Catch::Contains("  " + id + " "));
  }
  CHECK_THAT(o.out, Catch::Contains("subscribers  " + (examples / "subscribers.csv").string() + " ("));
  CHECK_THAT(o.out, Catch::Contains("smpp 127.0.0.1:2775 system_id bssap (password from $SMPP_PASSWORD)"));
  CHECK(!fs::exists(examples / "state"));  // nothing created, nothing captured
}

TEST_CASE("check-config: each kind of broken configuration fails with the start's message") {
  struct broken {
    const char* what;
    std::string probe_extra;
    std::string campaign_body;  // the campaign "c1"
    const char* expected;       // part of the message
  };
  const std::vector<broken> cases{
      {"unknown top-level key", "colour: blue\n", "trigger: {event: power_on}\nchannel: {type: record}\n",
       "probe.yaml:9: colour: unknown key"},
      {"unknown event type", "", "trigger: {event: no_such_event}\nchannel: {type: record}\n",
       "c1.yaml:3: trigger.event: unknown event type"},
      {"bad duration", "", "trigger: {event: power_on, history: [{silent_for: 3 weeks}]}\nchannel: {type: record}\n",
       "c1.yaml:3: trigger.history[0].silent_for"},
      {"unknown profile column", "",
       "target: [{column: shoe_size, eq: 42}]\ntrigger: {event: power_on}\nchannel: {type: record}\n", "shoe_size"},
      {"unknown area", "", "trigger: {event: power_on, where: [{field: area, eq: moon}]}\nchannel: {type: record}\n",
       "moon"},
      {"missing table file", "", "trigger: {event: power_on}\nchannel: {type: record}\n", "subscribers.csv"},
      {"sms without smpp", "", sms_campaign, "smpp: required by the live sms campaigns"},
      {"password not set", "smpp: {host: 127.0.0.1, port: 2775, system_id: x, password_env: BSSAP_NO_SUCH_VAR}\n",
       sms_campaign, "smpp.password_env: $BSSAP_NO_SUCH_VAR is not set"},
  };
  int n = 0;
  for (const auto& c : cases) {
    INFO(c.what);
    t::world w("check-broken-" + std::to_string(n++), c.probe_extra);
    w.campaign("c1", c.campaign_body);
    if (std::string(c.what) == "missing table file") fs::remove(w.dir / "subscribers.csv");
    const auto checked = check(w);
    const auto started = start(w);
    INFO("check-config: " << checked.err << "start: " << started.err);
    CHECK(checked.status == 1);
    CHECK(started.status == 1);
    CHECK_THAT(checked.err, Catch::Contains(c.expected));
    CHECK_THAT(checked.err, Catch::StartsWith("bssap-probe: error: "));
    // One line, and the same line as the start's.
    CHECK(std::count(checked.err.begin(), checked.err.end(), '\n') == 1);
    CHECK(checked.err == started.err);
  }
  // A second campaign file with the id of the first.
  {
    t::world w("check-broken-dup");
    w.campaign("c1", "trigger: {event: power_on}\nchannel: {type: record}\n");
    t::write_file(w.dir / "campaigns" / "c2.yaml",
                  "id: c1\nname: again\ntrigger: {event: power_on}\nchannel: {type: record}\n");
    const auto checked = check(w);
    const auto started = start(w);
    CHECK(checked.status == 1);
    CHECK_THAT(checked.err, Catch::Contains("c1"));
    CHECK(checked.err == started.err);
  }
  // state_dir left out.
  {
    t::world w("check-broken-state");
    t::write_file(w.dir / "probe.yaml", "campaigns: [campaigns/*.yaml]\n");
    w.campaign("c1", "trigger: {event: power_on}\nchannel: {type: record}\n");
    const auto checked = check(w);
    const auto started = start(w);
    CHECK(checked.status == 1);
    CHECK_THAT(checked.err, Catch::Contains("state_dir: required"));
    CHECK(checked.err == started.err);
  }
}

TEST_CASE("check-config --connect: the SMSC must accept a bind with the configured credentials") {
  auto stub = t::stub_process::start("check-connect-stub", {"--system-id", "bssap", "--password", "secret"});
  REQUIRE(stub.port > 0);
  listener silent;  // accepts the connection, never answers the bind
  int closed_port = 0;
  {
    listener gone;  // a port that was free a moment ago: nothing listens there once closed
    closed_port = gone.port;
  }
  struct smsc_case {
    const char* what;
    int port;
    const char* password;
    const char* expected;  // "" = bound
  };
  const std::vector<smsc_case> cases{
      {"smpp-stub, right password", stub.port, "secret", ""},
      {"smpp-stub, wrong password", stub.port, "wrong", "bind refused with status 0x0000000e"},
      {"silent SMSC", silent.port, "secret", "no answer to bind_transceiver within 2 s"},
      {"nothing listening", closed_port, "secret", "smpp: cannot connect to 127.0.0.1:"},
  };
  int n = 0;
  for (const auto& c : cases) {
    INFO(c.what);
    ::setenv("BSSAP_TEST_PW", c.password, 1);
    t::world w("check-connect-" + std::to_string(n++), "smpp: {host: 127.0.0.1, port: " + std::to_string(c.port) +
                                                           ", system_id: bssap, password_env: BSSAP_TEST_PW}\n");
    w.campaign("c1", sms_campaign);
    const auto without = check(w);  // no --connect: not tried
    CHECK(without.status == 0);
    const auto with = check(w, {"--connect", "--connect-timeout", "2"});
    INFO(with.err);
    if (std::string(c.expected).empty()) {
      CHECK(with.status == 0);
      CHECK_THAT(with.out, Catch::Contains("(password from $BSSAP_TEST_PW), bound"));
    } else {
      CHECK(with.status == 1);
      CHECK_THAT(with.err, Catch::Contains(c.expected));
    }
  }
}

TEST_CASE("messages: one line with a level; under journald each starts with its syslog priority") {
  const auto dir = t::campaign_scratch("journal");
  fs::create_directories(dir);
  const auto missing = (dir / "no-such.yaml").string();
  {
    const auto o = run_probe(dir, "plain", {"check-config", missing});
    CHECK(o.status == 1);
    CHECK_THAT(o.err, Catch::StartsWith("bssap-probe: error: "));
  }
  // What systemd does: $JOURNAL_STREAM is the device:inode of the stream on stderr.
  const auto err = dir / "journal.err";
  t::write_file(err, "");
  struct stat st {};
  REQUIRE(::stat(err.c_str(), &st) == 0);
  ::setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)).c_str(), 1);
  t::child p({(t::bin_dir() / "bssap-probe").string(), "check-config", missing}, dir / "journal.out", err);
  const int rc = p.wait(30s);
  ::unsetenv("JOURNAL_STREAM");
  CHECK(rc == 1);
  const std::string text = t::slurp(err);
  CHECK_THAT(text, Catch::StartsWith("<3>bssap-probe: error: "));
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
}
