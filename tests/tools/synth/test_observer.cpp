// The perfect observer (the truth model) rule by rule, fed hand-made messages: one case per
// rule of probe/EVENTS.md it implements, so that a change of the rules shows up here first.
#include "observer.hpp"
#include "synth_test_util.hpp"

namespace bs = bssap::synth;
using bssap::event_type;

namespace {

struct bench_world {
  bs::config cfg = bs::default_config();
  bs::network net;
  std::vector<bs::subscriber> subs;
  bs::string_sink truth;
  std::unique_ptr<bs::observer> obs;
  std::int64_t t = 1795420800LL * 1000000;

  bench_world() {
    net.cells = {{0x2500, 10000, 0}, {0x2501, 10010, 0}, {0x2502, 10020, 0}};
    net.bsc_first_cell = {0};
    net.bsc_cell_count = {3};
    subs.resize(2);
    set_imsi(0, "460001234567890");
    set_imsi(1, "310260000000001");  // inbound roamer
    obs = std::make_unique<bs::observer>(bs::world_view{&cfg, &net, &subs}, &truth);
  }
  void set_imsi(std::size_t i, std::string_view imsi) {
    for (std::size_t k = 0; k < imsi.size(); ++k) subs[i].imsi[k] = imsi[k];
    subs[i].imsi_len = static_cast<std::uint8_t>(imsi.size());
  }
  bs::msg& m(bs::mk kind, bs::dir d) {
    last = bs::msg{};
    last.kind = kind;
    last.d = d;
    return last;
  }
  void send(std::uint32_t sub, std::uint32_t cell, std::int64_t after_us = 100000) {
    t += after_us;
    last.t_us = t;
    bs::conn_ctx c;
    c.sub = sub;
    c.cell = cell;
    obs->deliver(bs::delivery{c, last}, t);
  }
  // CR with a Location Updating Request.
  void lu(std::uint32_t sub, std::uint32_t cell, bs::lu_type type, bs::id_kind id, std::uint32_t tmsi = 0,
          std::uint16_t old_lac = 0x2500) {
    auto& x = m(bs::mk::cr, bs::dir::up);
    x.sub_kind = static_cast<std::uint8_t>(bs::initial::lu_request);
    x.lu = static_cast<std::uint8_t>(type);
    x.id_type = static_cast<std::uint8_t>(id);
    x.tmsi = tmsi;
    x.lac = old_lac;
    send(sub, cell);
  }
  void end(std::uint32_t sub, std::uint32_t cell) {
    m(bs::mk::rlc, bs::dir::up);
    send(sub, cell);
  }
  std::vector<bssap::event> events() {
    obs->finish();
    return synth_test::parse_truth(truth.bytes);
  }
  bs::msg last;
};

}  // namespace

TEST_CASE("observer: attach by IMSI, then the allocated TMSI is the event's tmsi", "[synth][observer]") {
  bench_world w;
  w.lu(0, 0, bs::lu_type::imsi_attach, bs::id_kind::imsi);
  auto& acc = w.m(bs::mk::lu_accept, bs::dir::down);
  acc.flags = bs::mf_new_tmsi;
  acc.tmsi = 0x11223344;
  w.send(0, 0);
  w.end(0, 0);
  w.lu(0, 1, bs::lu_type::periodic, bs::id_kind::tmsi, 0x11223344);
  w.end(0, 1);
  const auto ev = w.events();
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].type == event_type::power_on);
  CHECK_FALSE(ev[0].has(bssap::f_tmsi));  // identified by IMSI, nothing allocated yet
  CHECK(ev[0].lac == 0x2500);
  CHECK(ev[0].cell == 10000);
  CHECK(ev[1].type == event_type::periodic_update);
  CHECK(ev[1].tmsi == 0x11223344u);
  CHECK(ev[1].cell == 10010);
  CHECK(w.obs->unresolved == 0);
}

TEST_CASE("observer: location_update prev_* from the last location, else from the LAI unless reserved",
          "[synth][observer]") {
  bench_world w;
  w.lu(0, 1, bs::lu_type::normal, bs::id_kind::imsi, 0, 0x1234);
  w.end(0, 1);
  w.lu(0, 2, bs::lu_type::normal, bs::id_kind::imsi, 0, 0x2501);
  w.end(0, 2);
  bench_world v;
  v.lu(0, 1, bs::lu_type::normal, bs::id_kind::imsi, 0, 0xFFFE);  // deleted LAI (TS 24.008 10.5.1.3)
  const auto ev = w.events();
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].prev_lac == 0x1234);
  CHECK_FALSE(ev[0].has(bssap::f_prev_cell));
  CHECK(ev[1].prev_lac == 0x2501);
  CHECK(ev[1].prev_cell == 10010);
  const auto ev2 = v.events();
  REQUIRE(ev2.size() == 1);
  CHECK_FALSE(ev2[0].has(bssap::f_prev_lac));
}

TEST_CASE("observer: roaming_in right after the first LU of a foreign IMSI, once", "[synth][observer]") {
  bench_world w;
  w.lu(1, 0, bs::lu_type::imsi_attach, bs::id_kind::imsi);
  w.end(1, 0);
  w.lu(1, 0, bs::lu_type::periodic, bs::id_kind::imsi);
  w.end(1, 0);
  w.lu(0, 0, bs::lu_type::imsi_attach, bs::id_kind::imsi);  // home IMSI: never
  const auto ev = w.events();
  REQUIRE(ev.size() == 4);
  CHECK(ev[0].type == event_type::power_on);
  CHECK(ev[1].type == event_type::roaming_in);
  CHECK(ev[1].ts_us == ev[0].ts_us);
  CHECK(ev[2].type == event_type::periodic_update);
  CHECK(ev[3].type == event_type::power_on);
}

TEST_CASE("observer: a connection by an unknown TMSI is held until Common ID, then released with the IMSI",
          "[synth][observer]") {
  bench_world w;
  w.lu(0, 0, bs::lu_type::normal, bs::id_kind::tmsi, 0xCAFE0001);
  w.m(bs::mk::cc, bs::dir::down);
  w.send(0, 0);
  CHECK(w.obs->events == 0);  // held: nothing written yet
  w.m(bs::mk::common_id, bs::dir::down);
  w.send(0, 0);
  CHECK(w.obs->events == 0);  // resolved, but the LU procedure is still open
  w.m(bs::mk::lu_accept, bs::dir::down);
  w.send(0, 0);
  CHECK(w.obs->events == 1);
  w.end(0, 0);
  // The TMSI is now known: the next connection is resolved at once.
  w.lu(0, 1, bs::lu_type::periodic, bs::id_kind::tmsi, 0xCAFE0001);
  CHECK(w.obs->events == 1);  // the CR waits for its CC (EVENTS.md "Refused connections")
  w.m(bs::mk::cc, bs::dir::down);
  w.send(0, 1);
  w.m(bs::mk::lu_accept, bs::dir::down);
  w.send(0, 1);
  CHECK(w.obs->events == 2);
  const auto ev = w.events();
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].imsi.view() == "460001234567890");
  CHECK(ev[0].tmsi == 0xCAFE0001u);
}

TEST_CASE("observer: a CR answered by CREF yields no event and no state; the retry is the first LU",
          "[synth][observer][cref]") {
  bench_world w;
  w.lu(1, 0, bs::lu_type::imsi_attach, bs::id_kind::imsi);  // foreign IMSI, refused
  w.m(bs::mk::cref, bs::dir::down);
  w.send(1, 0);
  CHECK(w.obs->events == 0);
  w.lu(1, 2, bs::lu_type::imsi_attach, bs::id_kind::imsi, 0, 0x2501);  // the retry, in another cell
  const std::int64_t retry_ts = w.t;
  w.m(bs::mk::cc, bs::dir::down);
  w.send(1, 2);
  w.end(1, 2);
  w.lu(1, 1, bs::lu_type::normal, bs::id_kind::imsi);
  w.m(bs::mk::cc, bs::dir::down);
  w.send(1, 1);
  const auto ev = w.events();
  REQUIRE(ev.size() == 3);
  CHECK(ev[0].type == event_type::power_on);
  CHECK(ev[0].ts_us == retry_ts);  // the request's time, not the CC's
  CHECK(ev[0].cell == 10020);
  CHECK(ev[1].type == event_type::roaming_in);  // lu_seen was not set by the refused CR
  CHECK(ev[2].type == event_type::location_update);
  CHECK(ev[2].prev_cell == 10020);  // the refused CR's cell 10000 was never recorded
}

TEST_CASE("observer: a connection never resolved yields events without imsi or subscriber state", "[synth][observer]") {
  bench_world w;
  w.lu(0, 0, bs::lu_type::imsi_attach, bs::id_kind::imsi);  // location and IMSI state recorded
  w.end(0, 0);
  w.lu(0, 1, bs::lu_type::normal, bs::id_kind::tmsi, 0xBEEF0002, 0x2500);
  const auto ev = w.events();  // capture ends here
  REQUIRE(ev.size() == 2);
  CHECK(ev[1].type == event_type::location_update);
  CHECK_FALSE(ev[1].has(bssap::f_imsi));
  CHECK(ev[1].tmsi == 0xBEEF0002u);
  CHECK(ev[1].prev_lac == 0x2500);  // from the request's LAI, not from the IMSI's last location
  CHECK_FALSE(ev[1].has(bssap::f_prev_cell));
  CHECK(w.obs->unresolved == 1);
}

TEST_CASE("observer: the first IMEI is recorded silently, a different one is reported", "[synth][observer]") {
  bench_world w;
  w.lu(0, 0, bs::lu_type::imsi_attach, bs::id_kind::imsi);
  auto& r = w.m(bs::mk::id_response, bs::dir::up);
  r.id_type = static_cast<std::uint8_t>(bs::id_kind::imei);
  r.num = 35209900176148;
  w.send(0, 0);
  w.end(0, 0);
  w.lu(0, 0, bs::lu_type::periodic, bs::id_kind::imsi);
  auto& c = w.m(bs::mk::cipher_complete, bs::dir::up);
  c.flags = bs::mf_imeisv;
  c.num = 35391708123456;
  w.send(0, 0);
  const auto ev = w.events();
  REQUIRE(ev.size() == 3);
  // EVENTS.md "LU procedure": each update carries the IMEI its own procedure revealed, even the
  // first one (recorded silently) and a new handset's (reported after the update).
  CHECK(ev[0].type == event_type::power_on);
  CHECK(ev[0].imei.view() == "35209900176148");
  CHECK(ev[1].type == event_type::periodic_update);
  CHECK(ev[1].imei.view() == "35391708123456");
  CHECK(ev[1].ts_us < ev[2].ts_us);
  CHECK(ev[2].type == event_type::imei_change);
  CHECK(ev[2].imei.view() == "35391708123456");
  CHECK(ev[2].prev_imei.view() == "35209900176148");
}

TEST_CASE("observer: an LU's events wait for the Accept, keep the request's ts, and take a later IMEI",
          "[synth][observer][lu_imei]") {
  bench_world w;
  w.lu(0, 0, bs::lu_type::imsi_attach, bs::id_kind::imsi);
  const std::int64_t request_ts = w.t;
  w.m(bs::mk::cc, bs::dir::down);
  w.send(0, 0);
  auto& r = w.m(bs::mk::id_response, bs::dir::up);
  r.id_type = static_cast<std::uint8_t>(bs::id_kind::imei);
  r.num = 35209900176148;
  w.send(0, 0);
  CHECK(w.obs->events == 0);  // the procedure is open
  w.m(bs::mk::lu_accept, bs::dir::down);
  w.send(0, 0);
  CHECK(w.obs->events == 1);
  w.end(0, 0);
  const auto ev = w.events();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].ts_us == request_ts);
  CHECK(ev[0].imei.view() == "35209900176148");
}

TEST_CASE("observer: call events, duration from Connect to the first clearing message (floor, ms)",
          "[synth][observer]") {
  bench_world w;
  auto& cr = w.m(bs::mk::cr, bs::dir::up);
  cr.sub_kind = static_cast<std::uint8_t>(bs::initial::cm_service_request);
  cr.id_type = static_cast<std::uint8_t>(bs::id_kind::imsi);
  w.send(0, 0);
  auto& setup = w.m(bs::mk::cc_setup, bs::dir::up);
  setup.num = 10086;
  setup.num_len = 5;
  w.send(0, 0);
  w.m(bs::mk::cc_connect, bs::dir::down);
  w.send(0, 0, 1500000);
  auto& ho = w.m(bs::mk::ho_performed, bs::dir::up);
  ho.lac = 0x2502;
  ho.ci = 10020;
  w.send(0, 0, 1000000);
  w.m(bs::mk::cc_disconnect, bs::dir::down).cause = 16;
  w.send(0, 0, 1345678);
  w.m(bs::mk::cc_release, bs::dir::up).cause = 16;
  w.send(0, 0);
  w.m(bs::mk::cc_release_complete, bs::dir::down);
  w.send(0, 0);
  w.end(0, 0);
  w.lu(0, 1, bs::lu_type::normal, bs::id_kind::imsi);
  const auto ev = w.events();
  REQUIRE(ev.size() == 5);
  CHECK(ev[0].type == event_type::call_mo);
  CHECK(ev[0].peer.view() == "10086");
  CHECK(ev[1].type == event_type::call_answered);
  CHECK(ev[1].peer.view() == "10086");
  CHECK(ev[2].type == event_type::handover);
  CHECK(ev[2].cell == 10020);
  CHECK(ev[2].prev_cell == 10000);
  CHECK(ev[3].type == event_type::call_end);
  CHECK(ev[3].cause == 16);
  CHECK(ev[3].duration_ms == 2345);
  CHECK(ev[3].cell == 10020);  // the connection's cell after the handover
  CHECK(ev[4].type == event_type::location_update);
  CHECK(ev[4].prev_cell == 10020);  // last location: the handover's new cell
}
