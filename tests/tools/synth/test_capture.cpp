// Generator behaviour without external tools: determinism, the packet limit, capture structure
// per transport, and invariants of the truth that follow from events.md / probe/EVENTS.md.
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "synth_test_util.hpp"

using namespace synth_test;

TEST_CASE("same seed, same bytes; another seed, other bytes", "[synth]") {
  for (const auto t : {bs::transport::m3ua, bs::transport::ipa, bs::transport::mtp2, bs::transport::mtp3}) {
    const auto a = generate(small_config(t, 5));
    const auto b = generate(small_config(t, 5));
    const auto c = generate(small_config(t, 6));
    CHECK(a.capture == b.capture);
    CHECK(a.truth == b.truth);
    CHECK(a.capture != c.capture);
    CHECK_FALSE(a.truth.empty());
  }
}

TEST_CASE("the packet limit (--packets) stops after exactly N frames and the truth stays consistent", "[synth]") {
  auto cfg = small_config(bs::transport::m3ua);
  cfg.max_packets = 777;
  const auto g = generate(cfg);
  CHECK(pcap_records(g.capture).size() == 777);
  CHECK(g.st.packets == 777);
  const auto events = parse_truth(g.truth);
  CHECK(events.size() == g.st.events);
  // Events whose connection was cut before a probe could learn the IMSI carry none.
  for (const auto& e : events) {
    if (!e.has(bssap::f_imsi)) CHECK(e.has(bssap::f_tmsi));
  }
}

TEST_CASE("every transport writes a well-formed, time-ordered capture and a resolved truth", "[synth]") {
  struct expect {
    bs::transport t;
    std::uint32_t linktype;
  };
  for (const auto& x : {expect{bs::transport::m3ua, 1}, expect{bs::transport::ipa, 1}, expect{bs::transport::mtp2, 139},
                        expect{bs::transport::mtp3, 141}}) {
    const auto g = generate(small_config(x.t));
    std::uint32_t linktype = 0;
    const auto recs = pcap_records(g.capture, &linktype);
    CHECK(linktype == x.linktype);
    REQUIRE(recs.size() > 500);
    CHECK(recs.size() == g.st.packets);
    for (std::size_t i = 1; i < recs.size(); ++i) REQUIRE(recs[i].ts_us >= recs[i - 1].ts_us);
    CHECK(g.st.unresolved == 0);
    CHECK(g.st.messages > 0);
    const auto events = parse_truth(g.truth);
    CHECK(events.size() == g.st.events);
    for (const auto& e : events) {
      CHECK(e.has(bssap::f_imsi));
      CHECK(e.has(bssap::f_lai));
      CHECK(e.has(bssap::f_cell));
      CHECK(e.ts_us >= recs.front().ts_us);
      CHECK(e.ts_us <= recs.back().ts_us);
    }
    if (x.t == bs::transport::m3ua || x.t == bs::transport::ipa) {
      CHECK(g.st.bundled_frames > 0);
      CHECK(g.st.retransmissions > 0);
      CHECK(g.st.control_frames > 0);
    }
    if (x.t == bs::transport::m3ua) CHECK(g.st.split_messages > 0);
  }
}

TEST_CASE("ipa --no-split never splits; the default does", "[synth]") {
  auto cfg = small_config(bs::transport::ipa);
  cfg.subscribers = 150;
  CHECK(generate(cfg).st.split_messages > 0);
  cfg.split = false;
  CHECK(generate(cfg).st.split_messages == 0);
  cfg.retransmit = false;
  CHECK(generate(cfg).st.retransmissions == 0);
}

TEST_CASE("truth follows the event contract", "[synth]") {
  auto cfg = small_config(bs::transport::m3ua, 21);
  cfg.subscribers = 300;
  cfg.duration_s = 600;
  const auto g = generate(cfg);
  const auto events = parse_truth(g.truth);
  std::map<std::string, std::vector<const bssap::event*>> per_sub;
  std::set<bssap::event_type> types;
  for (const auto& e : events) {
    per_sub[std::string(e.imsi.view())].push_back(&e);
    types.insert(e.type);
  }
  // The mix is varied enough to exercise every event type.
  CHECK(types.size() == bssap::event_type_count);
  for (const auto& [imsi, list] : per_sub) {
    INFO(imsi);
    int open_calls = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& e = *list[i];
      if (i > 0) CHECK(e.ts_us >= list[i - 1]->ts_us);  // capture order per subscriber
      CHECK(e.mcc.view() == "460");
      CHECK(e.mnc.view() == "00");
      switch (e.type) {
        case bssap::event_type::call_mo:
        case bssap::event_type::call_mt:
          ++open_calls;
          break;
        case bssap::event_type::call_end:
          CHECK(open_calls > 0);
          --open_calls;
          CHECK(e.has(bssap::f_duration));
          break;
        case bssap::event_type::roaming_in: {
          REQUIRE(i > 0);
          const auto& lu = *list[i - 1];
          CHECK(lu.ts_us == e.ts_us);
          CHECK((lu.type == bssap::event_type::power_on || lu.type == bssap::event_type::location_update ||
                 lu.type == bssap::event_type::periodic_update));
          for (const char* home : {"46000", "46002", "46007"}) CHECK(imsi.rfind(home, 0) != 0);
          break;
        }
        case bssap::event_type::imei_change:
          CHECK(e.has(bssap::f_prev_imei));
          CHECK(e.prev_imei.view() != e.imei.view());
          break;
        case bssap::event_type::handover:
          CHECK(e.has(bssap::f_prev_lac));
          CHECK(e.has(bssap::f_prev_cell));
          CHECK(e.prev_cell != e.cell);
          break;
        case bssap::event_type::lu_reject:
          CHECK(e.has(bssap::f_cause));
          break;
        default:
          break;
      }
    }
    CHECK(open_calls == 0);
  }
}

TEST_CASE("the home PLMN list decides roaming_in", "[synth]") {
  auto cfg = small_config(bs::transport::mtp3, 4);
  cfg.subscribers = 200;
  const auto count_roaming = [](const std::string& truth) {
    std::size_t n = 0;
    for (const auto& e : parse_truth(truth)) n += e.type == bssap::event_type::roaming_in;
    return n;
  };
  const std::size_t with_defaults = count_roaming(generate(cfg).truth);
  cfg.home_plmns.clear();  // 460-02 and 460-07 subscribers now roam in too
  const std::size_t without = count_roaming(generate(cfg).truth);
  CHECK(without > with_defaults);
}

TEST_CASE("pcapng output has the same frames", "[synth]") {
  auto cfg = small_config(bs::transport::ipa);
  const auto plain = generate(cfg);
  cfg.pcapng = true;
  const auto ng = generate(cfg);
  CHECK(ng.truth == plain.truth);
  // Section header, interface description, then one enhanced packet block per frame.
  const std::string& f = ng.capture;
  std::size_t off = 0;
  std::size_t epbs = 0;
  while (off + 12 <= f.size()) {
    std::uint32_t type = 0, len = 0, trailer = 0;
    std::memcpy(&type, f.data() + off, 4);
    std::memcpy(&len, f.data() + off + 4, 4);
    REQUIRE(len % 4 == 0);
    REQUIRE(off + len <= f.size());
    std::memcpy(&trailer, f.data() + off + len - 4, 4);
    REQUIRE(trailer == len);
    epbs += type == 6;
    off += len;
  }
  CHECK(off == f.size());
  CHECK(epbs == plain.st.packets);
}

TEST_CASE("the program: same bytes as the library, clear errors on bad options", "[synth]") {
  const auto bin = (bssap::test::bin_dir() / "bssap-synth").string();
  const auto out = temp_path("cli.pcap");
  const auto truth = temp_path("cli.jsonl");
  const auto r = run(bin + " --subscribers 60 --duration 240 --seed 11 --transport mtp2 --out " + out.string() +
                     " --truth " + truth.string() + " --quiet");
  REQUIRE(r.status == 0);
  const auto lib = generate(small_config(bs::transport::mtp2, 11));
  CHECK(bssap::test::slurp(out) == lib.capture);
  CHECK(bssap::test::slurp(truth) == lib.truth);
  std::filesystem::remove(out);
  std::filesystem::remove(truth);

  for (const std::string bad :
       {"--transport x25 --out /dev/null", "--subscribers 0 --out /dev/null", "--out /dev/null --home-plmns 460",
        "--out /dev/null --mix foo=1", "--out /dev/null --start yesterday", "--transport mtp3 --ipv6 --out /dev/null",
        "--subscribers 5", "--out /nonexistent-dir/x.pcap", "--bogus --out /dev/null",
        "--transport sua --out /dev/null", "--interface iucs --transport ipa --out /dev/null",
        "--interface iub --out /dev/null", "--interface iucs --mix interbsc=10 --out /dev/null"}) {
    INFO(bad);
    const auto e = run(bin + " " + bad + " 2>&1 >/dev/null");
    CHECK(e.status != 0);
    CHECK(e.out.rfind("bssap-synth: error: ", 0) == 0);
    CHECK(std::count(e.out.begin(), e.out.end(), '\n') == 1);
  }
}
