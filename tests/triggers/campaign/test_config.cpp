// The configuration (campaigns.md "Files"): a full valid probe.yaml and campaigns load with every
// value; every kind of mistake gives its exact `FILE:LINE: key: what is wrong`.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bssap/campaign/config.hpp"
#include "bssap/campaign/local_time.hpp"
#include "test_support.hpp"

using namespace bssap::campaign;
namespace fs = std::filesystem;

namespace {

// A fresh folder under /tmp, removed at the end of the test.
struct temp_dir {
  fs::path path;
  temp_dir() {
    char tmpl[] = "/tmp/campaign_cfg.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

const char* const full_probe = R"yaml(home_plmns: [460-00, 460-02, 460-07]
timezone: "+08:00"
state_dir: state
subscribers: subscribers.csv
dnd: dnd.txt
tac: tables/tac.csv
areas: areas.yaml
orders: /data/orders.csv
campaigns: [campaigns/*.yaml, extra/one.yaml]
contact_policy:
  global_cap: {count: 2, per: 1d}
  quiet_hours: ["21:00-09:00"]
smpp: {host: 10.0.0.5, port: 2776, system_id: bssap, password_env: SMPP_PW, system_type: cmt, window: 32, tps: 50.5, sessions: 2}
capacity: {daily_messages: 100000, alarm_to: ["13800000000"]}
reports: {daily_at: "21:30", to: ["13800000000", "13900000000"], from: "10010"}
)yaml";

const char* const full_campaign = R"yaml(id: mms-new-handset
name: MMS bundle for new MMS-capable handsets
enabled: true
mode: live
priority: 50
period: {start: 2026-11-01, end: 2027-01-31}
target:
  - {column: brand, in: [GoTone, M-Zone]}
  - {column: arpu, ge: 50}
trigger:
  event: imei_change
  where:
    - {field: handset.mms, eq: "yes"}
  history: []
timing:
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: ["09:00-21:00"]
  outside: defer
  delay: 0s
offer: {product: "MMS bundle", price: "5 yuan", keyword: KT}
channel:
  type: sms
  sender: "10658"
  text: "Your new phone does MMS! Reply {offer.keyword} for the {offer.product}, {offer.price} a month."
  test_numbers: []
strategy:
  cap: {count: 1, per: 30d}
  budget: {daily: 5000, total: 100000}
  control_group: 10%
  immune_after: 3
  response_window: 72h
evaluation:
  order_keywords: [KT]
  verdict: {response_rate: 5%, order_rate: 2%}
  compare_by: seed_user
)yaml";

const char* const history_campaign = R"yaml(id: airport
mode: rehearsal
trigger:
  event: [location_update, periodic_update]
  where:
    - {field: area, in: [airport]}
    - {field: imsi, not_prefix: "46000"}
  history:
    - {dwell: airport, at_least: 2h}
    - {count: power_off, at_least: 3, within: 7d}
    - {silent_for: 45m}
    - {cell_changes: 4, within: 30m}
timing: {days: [sat, sun], hours: ["10:00-12:00"], delay: 15m}
channel: {type: worklist, dir: lists, text: "call {msisdn} ({profile.plan})"
}
strategy: {control_group: 2.5%}
)yaml";

constexpr duration_us hour = 3600 * us_per_second;

// A campaign text's error, as parse_campaign reports it for file c.yaml.
std::string campaign_error(const std::string& text) {
  std::string error;
  const auto c = parse_campaign(text, "c.yaml", error);
  CHECK_FALSE(c.has_value());
  return error;
}
std::string probe_error(const std::string& text, const std::string& dir = "/tmp") {
  std::string error;
  const auto c = parse_config(text, "probe.yaml", dir, error);
  CHECK_FALSE(c.has_value());
  return error;
}
const std::string minimal = "id: x\ntrigger: {event: power_on}\nchannel: {type: record}\n";

}  // namespace

TEST_CASE("a full probe.yaml and its campaigns load with every value", "[config]") {
  temp_dir d;
  const std::string probe = d.write("probe.yaml", full_probe);
  const std::string one = d.write("campaigns/b-mms.yaml", full_campaign);
  const std::string two = d.write("campaigns/a-airport.yaml", history_campaign);
  const std::string three = d.write("extra/one.yaml", minimal);
  std::string error;
  const auto cfg = load_config(probe, error);
  REQUIRE(error == "");
  REQUIRE(cfg);
  const std::string root = d.path.string();
  CHECK(cfg->file == probe);
  CHECK(cfg->home_plmns == std::vector<std::string>{"460-00", "460-02", "460-07"});
  CHECK(cfg->timezone == "+08:00");
  CHECK(cfg->pos_timezone.line == 2);
  CHECK(cfg->state_dir == root + "/state");
  CHECK(cfg->subscribers == root + "/subscribers.csv");
  CHECK(cfg->pos_subscribers.line == 4);
  CHECK(cfg->dnd == root + "/dnd.txt");
  CHECK(cfg->tac == root + "/tables/tac.csv");
  CHECK(cfg->areas == root + "/areas.yaml");
  CHECK(cfg->orders == "/data/orders.csv");
  CHECK(cfg->campaign_files == std::vector<std::string>{two, one, three});  // sorted by path
  CHECK(cfg->global_cap.count == 2);
  CHECK(cfg->global_cap.per == 24 * hour);
  REQUIRE(cfg->quiet_hours.size() == 1);
  CHECK(cfg->quiet_hours[0].start_min == 21 * 60);
  CHECK(cfg->quiet_hours[0].end_min == 9 * 60);
  CHECK(cfg->opt_out_keywords == std::vector<std::string>{"TD", "T", "STOP", "退订"});
  CHECK(cfg->smpp.configured);
  CHECK(cfg->smpp.host == "10.0.0.5");
  CHECK(cfg->smpp.port == 2776);
  CHECK(cfg->smpp.system_id == "bssap");
  CHECK(cfg->smpp.password_env == "SMPP_PW");
  CHECK(cfg->smpp.system_type == "cmt");
  CHECK(cfg->smpp.window == 32);
  CHECK(cfg->smpp.tps == 50.5);
  CHECK(cfg->smpp.sessions == 2);
  CHECK(cfg->capacity_daily_messages == 100000);
  CHECK(cfg->capacity_alarm_to == std::vector<std::string>{"13800000000"});
  CHECK(cfg->reports_daily_at_min == 21 * 60 + 30);
  CHECK(cfg->reports_to == std::vector<std::string>{"13800000000", "13900000000"});
  CHECK(cfg->report_sender == "10010");
  REQUIRE(cfg->campaigns.size() == 3);

  const campaign_def& a = cfg->campaigns[0];
  CHECK(a.id == "airport");
  CHECK(a.pos.file == two);
  CHECK(a.rehearsal);
  CHECK(a.triggered_by(bssap::event_type::location_update));
  CHECK(a.triggered_by(bssap::event_type::periodic_update));
  CHECK_FALSE(a.triggered_by(bssap::event_type::power_on));
  REQUIRE(a.where.size() == 2);
  CHECK(a.where[0].key == "area");
  CHECK(a.where[0].op == cmp_op::in);
  CHECK(a.where[0].values == std::vector<std::string>{"airport"});
  CHECK(a.where[0].pos.line == 6);
  CHECK(a.where[1].op == cmp_op::not_prefix);
  REQUIRE(a.history.size() == 4);
  CHECK(a.history[0].what == history_condition::kind::dwell);
  CHECK(a.history[0].area == "airport");
  CHECK(a.history[0].window == 2 * hour);
  CHECK(a.history[1].what == history_condition::kind::count);
  CHECK(a.history[1].type == bssap::event_type::power_off);
  CHECK(a.history[1].at_least == 3);
  CHECK(a.history[1].window == 7 * 24 * hour);
  CHECK(a.history[2].what == history_condition::kind::silent_for);
  CHECK(a.history[2].window == 45 * 60 * us_per_second);
  CHECK(a.history[3].what == history_condition::kind::cell_changes);
  CHECK(a.history[3].at_least == 4);
  CHECK(a.history[3].window == 30 * 60 * us_per_second);
  CHECK(a.timing.days == 0x60);
  CHECK_FALSE(a.timing.defer);  // outside: drop by default
  CHECK(a.timing.delay == 15 * 60 * us_per_second);
  CHECK(a.channel.type == channel_type::worklist);
  CHECK(a.channel.dir == root + "/campaigns/lists");  // relative to the campaign file
  CHECK(a.channel.text_pos.line == 14);
  CHECK(a.strategy.control_per_10000 == 250);
  CHECK(a.strategy.response_window == 72 * hour);  // default

  const campaign_def& m = cfg->campaigns[1];
  CHECK(m.id == "mms-new-handset");
  CHECK(m.name == "MMS bundle for new MMS-capable handsets");
  CHECK(m.enabled);
  CHECK_FALSE(m.rehearsal);
  CHECK(m.priority == 50);
  CHECK(m.period_start == parse_date("2026-11-01"));
  CHECK(m.period_end == parse_date("2027-01-31"));
  REQUIRE(m.target.size() == 2);
  CHECK(m.target[0].key == "brand");
  CHECK(m.target[0].op == cmp_op::in);
  CHECK(m.target[0].values == std::vector<std::string>{"GoTone", "M-Zone"});
  CHECK(m.target[1].key == "arpu");
  CHECK(m.target[1].op == cmp_op::ge);
  CHECK(m.target[1].values == std::vector<std::string>{"50"});
  CHECK(m.trigger_types == 1u << static_cast<unsigned>(bssap::event_type::imei_change));
  REQUIRE(m.where.size() == 1);
  CHECK(m.where[0].key == "handset.mms");
  CHECK(m.where[0].values == std::vector<std::string>{"yes"});
  CHECK(m.history.empty());
  CHECK(m.timing.days == 0x7f);
  REQUIRE(m.timing.hours.size() == 1);
  CHECK(m.timing.hours[0].start_min == 9 * 60);
  CHECK(m.timing.hours[0].end_min == 21 * 60);
  CHECK(m.timing.defer);
  CHECK(m.timing.delay == 0);
  CHECK(m.offer == std::vector<std::pair<std::string, std::string>>{
                       {"product", "MMS bundle"}, {"price", "5 yuan"}, {"keyword", "KT"}});
  CHECK(m.channel.type == channel_type::sms);
  CHECK(m.channel.sender == "10658");
  CHECK(m.channel.text.starts_with("Your new phone does MMS! Reply {offer.keyword}"));
  CHECK(m.channel.test_numbers.empty());
  CHECK(m.strategy.cap.count == 1);
  CHECK(m.strategy.cap.per == 30 * 24 * hour);
  CHECK(m.strategy.budget_daily == 5000u);
  CHECK(m.strategy.budget_total == 100000u);
  CHECK(m.strategy.control_per_10000 == 1000);
  CHECK(m.strategy.immune_after == 3);
  CHECK(m.strategy.response_window == 72 * hour);
  CHECK(m.evaluation.order_keywords == std::vector<std::string>{"KT"});
  CHECK(m.evaluation.verdict_response_rate == Approx(0.05));
  CHECK(m.evaluation.verdict_order_rate == Approx(0.02));
  CHECK(m.evaluation.compare_by == "seed_user");
  CHECK(m.evaluation.compare_by_pos.line == 35);

  const table_columns tables{{"imsi", "msisdn", "brand", "arpu", "seed_user", "plan"}, {"tac", "mms"}, {"airport"}};
  CHECK(validate_against_tables(*cfg, tables) == "");
}

TEST_CASE("unstated keys take the spec's defaults", "[config]") {
  std::string error;
  const auto c = parse_campaign(minimal, "c.yaml", error);
  REQUIRE(c);
  CHECK(c->enabled);
  CHECK_FALSE(c->rehearsal);
  CHECK(c->priority == 0);
  CHECK_FALSE(c->timing.defer);
  CHECK(c->timing.delay == 0);
  CHECK(c->strategy.response_window == 72 * hour);
  const auto p = parse_config("{}", "probe.yaml", "/tmp", error);
  REQUIRE(p);
  CHECK(p->timezone == "UTC");
  CHECK(p->opt_out_keywords == std::vector<std::string>{"TD", "T", "STOP", "退订"});
  CHECK_FALSE(p->smpp.configured);
  CHECK(p->campaigns.empty());
}

TEST_CASE("campaign mistakes name file, line and key", "[config]") {
  CHECK(campaign_error(minimal + "colour: red\n") == "c.yaml:4: colour: unknown key");
  CHECK(campaign_error(minimal + "strategy:\n  cap: {count: 1, per: 30d, every: 2}\n") ==
        "c.yaml:5: strategy.cap.every: unknown key");
  CHECK(campaign_error(minimal + "priority: high\n") == "c.yaml:4: priority: expected a whole number, not \"high\"");
  CHECK(campaign_error(minimal + "enabled: maybe\n") == "c.yaml:4: enabled: expected true or false, not \"maybe\"");
  CHECK(campaign_error(minimal + "target: {column: brand}\n") == "c.yaml:4: target: expected a list");
  CHECK(campaign_error(minimal + "strategy: {cap: {count: 1, per: 30 days}}\n") ==
        "c.yaml:4: strategy.cap.per: bad duration \"30 days\" (a number and s, m, h or d: 30s, 45m, 72h, 7d)");
  CHECK(campaign_error(minimal + "strategy: {cap: {count: 1, per: 0d}}\n") ==
        "c.yaml:4: strategy.cap.per: must be more than 0");
  CHECK(campaign_error(minimal + "timing:\n  hours: [\"09:00-25:00\"]\n") ==
        "c.yaml:5: timing.hours[0]: bad time range \"09:00-25:00\" (HH:MM-HH:MM, e.g. 09:00-21:00)");
  CHECK(campaign_error(minimal + "timing: {days: [monday]}\n") ==
        "c.yaml:4: timing.days[0]: unknown day \"monday\" (mon, tue, ..., sun)");
  CHECK(campaign_error(minimal + "timing: {outside: later}\n") ==
        "c.yaml:4: timing.outside: expected defer or drop, not \"later\"");
  CHECK(campaign_error(minimal + "strategy: {control_group: 10}\n") ==
        "c.yaml:4: strategy.control_group: bad percentage \"10\" (0% to 100%, at most two decimals: 10%, 2.5%)");
  CHECK(campaign_error(minimal + "strategy: {control_group: 101%}\n") ==
        "c.yaml:4: strategy.control_group: bad percentage \"101%\" (0% to 100%, at most two decimals: 10%, 2.5%)");
  CHECK(campaign_error(minimal + "mode: dry\n") == "c.yaml:4: mode: expected live or rehearsal, not \"dry\"");
  CHECK(campaign_error("id: Big_One\ntrigger: {event: power_on}\nchannel: {type: record}\n") ==
        "c.yaml:1: id: bad campaign id \"Big_One\" (lowercase letters, digits and -)");
  CHECK(campaign_error("trigger: {event: power_on}\nchannel: {type: record}\n") == "c.yaml:1: id: missing (required)");
  CHECK(campaign_error("id: x\ntrigger:\n  event: [power_on, switched_off]\nchannel: {type: record}\n") ==
        "c.yaml:3: trigger.event[1]: unknown event type \"switched_off\"");
  CHECK(campaign_error("id: x\ntrigger:\n  event: power_on\n  where:\n    - {field: lac, like: 12}\n"
                       "channel: {type: record}\n") ==
        "c.yaml:5: trigger.where[0].like: unknown operator (eq, ne, in, not_in, lt, le, gt, ge, prefix, not_prefix)");
  CHECK(campaign_error("id: x\ntrigger:\n  event: power_on\n  where:\n    - {field: lac}\n"
                       "channel: {type: record}\n") ==
        "c.yaml:5: trigger.where[0]: no operator (one of eq, ne, in, not_in, lt, le, gt, ge, prefix, not_prefix)");
  CHECK(campaign_error("id: x\ntrigger:\n  event: power_on\n  where:\n    - {field: lac, eq: 1, ne: 2}\n"
                       "channel: {type: record}\n") ==
        "c.yaml:5: trigger.where[0].ne: a second operator (eq already given): one per condition");
  CHECK(campaign_error("id: x\ntrigger:\n  event: power_on\n  where:\n    - {field: colour, eq: red}\n"
                       "channel: {type: record}\n") ==
        "c.yaml:5: trigger.where[0].field: unknown event field \"colour\"");
  CHECK(campaign_error("id: x\ntrigger:\n  event: power_on\n  where:\n    - {field: lac, in: []}\n"
                       "channel: {type: record}\n") == "c.yaml:5: trigger.where[0].in: empty list");
  CHECK(campaign_error("id: x\ntrigger:\n  event: power_on\n  history:\n    - {count: power_off, at_least: 3}\n"
                       "channel: {type: record}\n") == "c.yaml:5: trigger.history[0].within: missing (required)");
  CHECK(campaign_error("id: x\ntrigger:\n  event: power_on\n  history:\n    - {stays: airport}\n"
                       "channel: {type: record}\n") ==
        "c.yaml:5: trigger.history[0]: not a history condition (count, silent_for, dwell or cell_changes)");
  CHECK(campaign_error("id: x\ntrigger: {event: power_on}\nchannel:\n  type: sms\n  sender: \"10658\"\n") ==
        "c.yaml:4: channel.text: missing (required)");
  CHECK(campaign_error("id: x\ntrigger: {event: power_on}\nchannel: {type: sms, text: hi}\n") ==
        "c.yaml:3: channel.sender: missing (required)");
  CHECK(campaign_error("id: x\ntrigger: {event: power_on}\nchannel: {type: fax}\n") ==
        "c.yaml:3: channel.type: expected sms, worklist or record, not \"fax\"");
  CHECK(campaign_error("id: x\ntrigger: {event: power_on}\nchannel:\n  type: sms\n  sender: \"1\"\n"
                       "  text: \"hello {name}\"\n") ==
        "c.yaml:6: channel.text: unknown placeholder \"{name}\" (msisdn, imsi, lac, cell, area, peer, "
        "profile.COLUMN, offer.KEY)");
  CHECK(campaign_error("id: x\ntrigger: {event: power_on}\noffer: {product: MMS}\nchannel:\n  type: sms\n"
                       "  sender: \"1\"\n  text: \"reply {offer.keyword}\"\n") ==
        "c.yaml:7: channel.text: unknown placeholder {offer.keyword}: offer has no key \"keyword\"");
  CHECK(campaign_error(minimal + "period: {start: 2026-02-30}\n") ==
        "c.yaml:4: period.start: bad date \"2026-02-30\" (YYYY-MM-DD)");
  CHECK(campaign_error(minimal + "period:\n  start: 2026-11-01\n  end: 2026-10-31\n") ==
        "c.yaml:6: period.end: 2026-10-31 is before period.start 2026-11-01");
  CHECK(campaign_error(minimal + "evaluation: {verdict: {order_rate: high}}\n") ==
        "c.yaml:4: evaluation.verdict.order_rate: bad percentage \"high\" (0% to 100%, at most two decimals: 10%, "
        "2.5%)");
  CHECK(campaign_error(minimal + "priority: 1\npriority: 2\n") == "c.yaml:5: priority: key written twice");
  CHECK(campaign_error("id: x\ntrigger: {event: [power_on\n").starts_with("c.yaml:"));
  CHECK(campaign_error("id: x\n  name: y\n: : :\n").find(": yaml: ") != std::string::npos);
  CHECK(campaign_error("- a\n- b\n") == "c.yaml:1: document: expected a mapping (a campaign's keys)");
}

TEST_CASE("a YAML syntax error names its line", "[config]") {
  CHECK(campaign_error("id: x\nname: [a, b\ntrigger: {event: power_on}\n") ==
        "c.yaml:3: yaml: end of sequence flow not found");
  CHECK(campaign_error("id: x\n\tname: y\n") == "c.yaml:2: yaml: illegal tab when looking for indentation");
}

TEST_CASE("probe.yaml mistakes name file, line and key", "[config]") {
  CHECK(probe_error("timezone: Mars/Olympus\n") ==
        "probe.yaml:1: timezone: unknown time zone \"Mars/Olympus\" (no TZif file /usr/share/zoneinfo/Mars/Olympus)");
  CHECK(probe_error("timezone: \"+25:00\"\n") ==
        "probe.yaml:1: timezone: bad UTC offset \"+25:00\" (+HH:MM or -HH:MM)");
  CHECK(probe_error("timezone: ../../etc/passwd\n") ==
        "probe.yaml:1: timezone: unknown time zone \"../../etc/passwd\"");
  CHECK(probe_error("home_plmns: [460-00, 46001]\n") ==
        "probe.yaml:1: home_plmns[1]: bad PLMN \"46001\" (MCC-MNC: 3 digits, -, 2 or 3 digits)");
  CHECK(probe_error("smpp: {port: 99999}\n") == "probe.yaml:1: smpp.port: \"99999\" is too large (at most 65535)");
  CHECK(probe_error("smpp:\n  host: h\n  user: u\n") == "probe.yaml:3: smpp.user: unknown key");
  CHECK(probe_error("reports: {daily_at: \"9pm\"}\n") == "probe.yaml:1: reports.daily_at: bad time \"9pm\" (HH:MM)");
  CHECK(probe_error("contact_policy:\n  quiet_hours: \"21:00-09:00\"\n") ==
        "probe.yaml:2: contact_policy.quiet_hours: expected a list");
  CHECK(probe_error("contact_policy:\n  global_cap: {count: 2}\n") ==
        "probe.yaml:2: contact_policy.global_cap.per: missing (required)");
  CHECK(probe_error("capacity: {daily_messages: -1}\n") ==
        "probe.yaml:1: capacity.daily_messages: expected a whole number, not \"-1\"");
  CHECK(probe_error("subscribers: [a, b]\n") == "probe.yaml:1: subscribers: expected a single value");
  CHECK(probe_error("campaign: [x]\n") == "probe.yaml:1: campaign: unknown key");
}

TEST_CASE("campaign globs and files", "[config]") {
  temp_dir d;
  const std::string root = d.path.string();
  d.write("campaigns/a.yaml", minimal);
  SECTION("a glob matching nothing") {
    const std::string p = d.write("probe.yaml", "timezone: UTC\ncampaigns:\n  - campaigns/*.yaml\n  - other/*.yml\n");
    std::string error;
    CHECK_FALSE(load_config(p, error));
    CHECK(error == p + ":4: campaigns[1]: \"other/*.yml\" matches no file");
  }
  SECTION("a single glob matching nothing") {
    const std::string p = d.write("probe.yaml", "campaigns: [none/*.yaml]\n");
    std::string error;
    CHECK_FALSE(load_config(p, error));
    CHECK(error == p + ":1: campaigns[0]: \"none/*.yaml\" matches no file");
    const std::string q = d.write("probe2.yaml", "\ncampaigns: none.yaml\n");
    CHECK_FALSE(load_config(q, error));
    CHECK(error == q + ":2: campaigns: \"none.yaml\" matches no file");
  }
  SECTION("a missing probe.yaml") {
    std::string error;
    CHECK_FALSE(load_config(root + "/nothere.yaml", error));
    CHECK(error == root + "/nothere.yaml:1: file: cannot be read (No such file or directory)");
  }
  SECTION("a duplicate campaign id names both files") {
    d.write("campaigns/b.yaml", "# the same id again\n" + minimal);
    const std::string p = d.write("probe.yaml", "campaigns: campaigns/*.yaml\n");
    std::string error;
    CHECK_FALSE(load_config(p, error));
    CHECK(error ==
          root + "/campaigns/b.yaml:2: id: duplicate campaign id \"x\" (also in " + root + "/campaigns/a.yaml)");
  }
  SECTION("a mistake in a campaign file names that file") {
    d.write("campaigns/b.yaml", "id: y\ntrigger: {event: power_on}\nchannel: {type: record, colour: red}\n");
    const std::string p = d.write("probe.yaml", "campaigns: [campaigns/*.yaml]\n");
    std::string error;
    CHECK_FALSE(load_config(p, error));
    CHECK(error == root + "/campaigns/b.yaml:3: channel.colour: unknown key");
  }
}

TEST_CASE("references to the tables are checked against them", "[config]") {
  temp_dir d;
  d.write("campaigns/a.yaml", history_campaign);
  d.write("campaigns/b.yaml", full_campaign);
  const std::string p = d.write("probe.yaml", "campaigns: [campaigns/*.yaml]\n");
  std::string error;
  const auto cfg = load_config(p, error);
  REQUIRE(cfg);
  const std::string a = d.path.string() + "/campaigns/a.yaml";
  const std::string b = d.path.string() + "/campaigns/b.yaml";
  const std::vector<std::string> profile{"imsi", "msisdn", "brand", "arpu", "seed_user", "plan"};
  const std::vector<std::string> tac{"tac", "mms"};
  const std::vector<std::string> areas{"airport"};
  CHECK(validate_against_tables(*cfg, {profile, tac, areas}) == "");
  CHECK(validate_against_tables(*cfg, {profile, tac, {"station"}}) ==
        a + ":6: trigger.where[0].in: unknown area \"airport\" (the areas are station)");
  CHECK(validate_against_tables(*cfg, {profile, tac, {}}) == a + ":6: trigger.where[0].in: no areas configured");
  auto no_where = *cfg;
  no_where.campaigns[0].where.clear();
  CHECK(validate_against_tables(no_where, {profile, tac, {"station"}}) ==
        a + ":9: trigger.history[0].dwell: unknown area \"airport\" (the areas are station)");
  CHECK(validate_against_tables(*cfg, {{"imsi", "msisdn"}, tac, areas}) ==
        a + ":14: channel.text: {profile.plan}: unknown profile column \"plan\" (the subscribers table has imsi, "
            "msisdn)");
  auto only_b = *cfg;
  only_b.campaigns.erase(only_b.campaigns.begin());
  CHECK(validate_against_tables(only_b, {{"imsi", "msisdn", "brand"}, tac, areas}) ==
        b + ":9: target[1].column: unknown profile column \"arpu\" (the subscribers table has imsi, msisdn, brand)");
  CHECK(validate_against_tables(only_b, {{}, tac, areas}) ==
        b + ":8: target[0].column: no subscribers table configured");
  CHECK(validate_against_tables(only_b, {profile, {}, areas}) ==
        b + ":13: trigger.where[0].field: handset.mms: no tac table configured");
  CHECK(validate_against_tables(only_b, {profile, {"tac", "model"}, areas}) ==
        b + ":13: trigger.where[0].field: handset.mms: unknown tac column \"mms\" (the tac table has tac, model)");
  CHECK(validate_against_tables(only_b, {{"imsi", "msisdn", "brand", "arpu"}, tac, areas}) ==
        b + ":35: evaluation.compare_by: unknown profile column \"seed_user\" (the subscribers table has imsi, msisdn, "
            "brand, arpu)");
}

TEST_CASE("durations, time ranges, placeholders", "[config]") {
  CHECK(parse_duration("30s") == 30 * us_per_second);
  CHECK(parse_duration("45m") == 45 * 60 * us_per_second);
  CHECK(parse_duration("72h") == 72 * hour);
  CHECK(parse_duration("7d") == 7 * 24 * hour);
  CHECK(parse_duration("0s") == 0);
  CHECK_FALSE(parse_duration("7"));
  CHECK_FALSE(parse_duration("d"));
  CHECK_FALSE(parse_duration("-1d"));
  CHECK_FALSE(parse_duration("1.5h"));
  CHECK_FALSE(parse_duration("1w"));
  CHECK_FALSE(parse_duration("99999999999d"));
  const auto r = parse_day_range("21:00-09:00");
  REQUIRE(r);
  CHECK(r->contains(22 * 60));
  CHECK(r->contains(8 * 60 + 59));
  CHECK_FALSE(r->contains(9 * 60));
  CHECK(parse_day_range("09:00-24:00")->end_min == 1440);
  CHECK_FALSE(parse_day_range("9:00-21:00"));
  CHECK_FALSE(parse_day_range("09:60-21:00"));
  CHECK_FALSE(parse_day_range("24:00-01:00"));
  const std::vector<std::pair<std::string, std::string>> offer{{"keyword", "KT"}};
  CHECK(check_placeholders("{msisdn} {imsi} {lac} {cell} {area} {peer} {profile.x} {offer.keyword} {{}}", offer) == "");
  CHECK(check_placeholders("a {b", offer) == "unclosed { (write {{ for a literal brace)");
  CHECK(check_placeholders("a } b", offer) == "unmatched } (write }} for a literal brace)");
  CHECK(check_placeholders("{}", offer) != "");
  CHECK(check_placeholders("{profile.}", offer) != "");
}

TEST_CASE("dates", "[config]") {
  CHECK(parse_date("1970-01-01") == 0);
  CHECK(parse_date("2026-11-01") == 20758);
  CHECK(parse_date("2024-02-29"));
  CHECK_FALSE(parse_date("2025-02-29"));
  CHECK_FALSE(parse_date("2026-13-01"));
  CHECK_FALSE(parse_date("2026-1-01"));
  CHECK(format_date(20758) == "2026-11-01");
  CHECK(format_date(-1) == "1969-12-31");
}

TEST_CASE("local clocks: fixed offsets and IANA zones", "[config][time]") {
  std::string error;
  // 2026-07-01T12:00:00Z and 2026-01-15T12:00:00Z
  const std::int64_t july = (static_cast<std::int64_t>(*parse_date("2026-07-01")) * 86400 + 12 * 3600) * us_per_second;
  const std::int64_t january =
      (static_cast<std::int64_t>(*parse_date("2026-01-15")) * 86400 + 12 * 3600) * us_per_second;
  const auto utc = local_clock::from_name("UTC", error);
  REQUIRE(utc);
  CHECK(utc->offset_s(july) == 0);
  const auto plus8 = local_clock::from_name("+08:00", error);
  REQUIRE(plus8);
  CHECK(plus8->offset_s(july) == 8 * 3600);
  CHECK(plus8->minute_of_day(july) == 20 * 60);
  CHECK(local_clock::from_name("-05:30", error)->offset_s(july) == -(5 * 3600 + 1800));
  CHECK(local_clock::from_name("+0800", error)->offset_s(july) == 8 * 3600);
  const auto shanghai = local_clock::from_name("Asia/Shanghai", error);
  REQUIRE(shanghai);
  CHECK(shanghai->offset_s(july) == 8 * 3600);
  CHECK(shanghai->offset_s(january) == 8 * 3600);
  const auto berlin = local_clock::from_name("Europe/Berlin", error);
  REQUIRE(berlin);
  CHECK(berlin->offset_s(july) == 2 * 3600);
  CHECK(berlin->offset_s(january) == 3600);
  // 2026-03-29: clocks go 02:00 -> 03:00 at 01:00Z.
  const std::int64_t switch_day = *parse_date("2026-03-29");
  CHECK(berlin->offset_s((switch_day * 86400 + 3600) * us_per_second - 1) == 3600);
  CHECK(berlin->offset_s((switch_day * 86400 + 3600) * us_per_second) == 7200);
  CHECK(berlin->day(july) == *parse_date("2026-07-01"));
  CHECK(berlin->weekday(july) == 2);  // a Wednesday
  CHECK(berlin->utc_of_day_start(*parse_date("2026-07-01")) ==
        (static_cast<std::int64_t>(*parse_date("2026-07-01")) * 86400 - 2 * 3600) * us_per_second);
  CHECK(plus8->utc_of_day_start(*parse_date("2026-07-01")) ==
        (static_cast<std::int64_t>(*parse_date("2026-07-01")) * 86400 - 8 * 3600) * us_per_second);
  CHECK_FALSE(local_clock::from_name("Nowhere/City", error));
  CHECK_FALSE(local_clock::from_name("+8:00", error));
}

// The fuzz seeds and every crasher kept in tests/fuzz/regressions/fuzz_config/ go through the same
// steps as tests/fuzz/fuzz_config.cpp, under the sanitizers of this build.
TEST_CASE("configuration fuzz corpus and regressions replay", "[config][fuzz]") {
  std::size_t files = 0, parsed = 0;
  temp_dir d;
  for (const char* dir : {"tests/fuzz/corpus/config", "tests/fuzz/regressions/fuzz_config"}) {
    const fs::path p = bssap::test::source_dir() / dir;
    REQUIRE(fs::is_directory(p));  // kept in git by its .keep: missing is an error
    for (const auto& entry : fs::directory_iterator(p)) {
      const std::string raw = bssap::test::slurp(entry.path());
      ++files;
      const auto cut = raw.find('\0');
      const std::string campaign = raw.substr(0, cut);
      const std::string probe = cut == std::string::npos ? std::string() : raw.substr(cut + 1);
      std::string error;
      if (auto c = parse_campaign(campaign, "c.yaml", error)) {
        ++parsed;
        probe_config cfg;
        cfg.campaigns.push_back(*c);
        (void)validate_against_tables(cfg, {});
        (void)validate_against_tables(cfg, table_columns{{"imsi", "msisdn", "brand"}, {"tac", "mms"}, {"airport"}});
      } else {
        CHECK(error != "");
      }
      if (!probe.empty() && probe.find("campaigns") == std::string::npos) {
        error.clear();
        if (!parse_config(probe, "probe.yaml", d.path.string(), error)) CHECK(error != "");
      }
    }
  }
  CHECK(files >= 4);
  CHECK(parsed >= 3);  // the seeds are valid campaigns
}
