// The event bus payload (stream/include/bssap/stream/payload.hpp): every event of the committed
// captures' truths survives encode/decode unchanged, and damaged or foreign payloads are refused
// with a reason, never misread.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bssap/event.hpp"
#include "bssap/stream/payload.hpp"

using namespace bssap;
using namespace bssap::stream;

namespace {

std::vector<event> truth_events() {
  std::vector<event> out;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(BSSAP_SOURCE_DIR) + "/pcaps")) {
    if (!entry.path().string().ends_with(".truth.jsonl")) continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      std::string error;
      auto e = parse_json_line(line, &error);
      INFO(entry.path().string() << ": " << line << ": " << error);
      REQUIRE(e);
      out.push_back(*e);
    }
  }
  return out;
}

event every_field() {
  event e;
  e.ts_us = -1;  // before the epoch: the sign survives
  e.type = event_type::handover;
  e.imsi.assign("460001234567890");
  e.tmsi = 0xfedcba98;
  e.imei.assign("35123456789012");
  e.mcc.assign("460");
  e.mnc.assign("007");
  e.lac = 65535;
  e.cell = 0xffffffff;
  e.peer.assign(std::string(184, 'x'));
  e.cause = -5;
  e.duration_ms = 1ll << 40;
  e.prev_imei.assign("35123456789013");
  e.prev_lac = 1;
  e.prev_cell = 2;
  e.link.assign(std::string(32, 'l'));
  e.present = f_imsi | f_tmsi | f_imei | f_lai | f_cell | f_peer | f_cause | f_duration | f_prev_imei | f_prev_lac |
              f_prev_cell | f_link;
  return e;
}

}  // namespace

TEST_CASE("payload: every truth event round-trips and is smaller than its JSON line", "[stream]") {
  const auto events = truth_events();
  REQUIRE(events.size() > 1000);
  std::size_t binary = 0, json = 0;
  for (const auto& e : events) {
    std::string p;
    encode_event("probe-a", e, p);
    std::string error;
    const auto m = decode(p, &error);
    INFO(error);
    REQUIRE(m);
    CHECK(m->kind == payload_kind::event);
    CHECK(m->source == "probe-a");
    CHECK(m->ev == e);
    std::string a, b;
    append_json_line(e, a);
    append_json_line(m->ev, b);
    CHECK(a == b);
    binary += p.size();
    json += a.size();
  }
  // The point of the binary layout: well under half the JSON line.
  CHECK(binary * 2 < json);
}

TEST_CASE("payload: every field at its limits, marks and ends", "[stream]") {
  const event e = every_field();
  std::string p;
  encode_event("", e, p);
  auto m = decode(p);
  REQUIRE(m);
  CHECK(m->ev == e);
  CHECK(m->source.empty());

  event lac_only;
  lac_only.ts_us = 5;
  lac_only.lac = 77;
  lac_only.set(f_lac);
  p.clear();
  encode_event("x", lac_only, p);
  m = decode(p);
  REQUIRE(m);
  CHECK(m->ev == lac_only);

  p.clear();
  encode_progress(payload_kind::mark, std::string(100, 's'), 123456789, p);
  m = decode(p);
  REQUIRE(m);
  CHECK(m->kind == payload_kind::mark);
  CHECK(m->source == std::string(max_source_name, 's'));  // cut to 64 bytes
  CHECK(m->ev.ts_us == 123456789);
  p.clear();
  encode_progress(payload_kind::end, "b", 42, p);
  m = decode(p);
  REQUIRE(m);
  CHECK(m->kind == payload_kind::end);
  CHECK(m->ev.ts_us == 42);
}

TEST_CASE("payload: truncation, trailing bytes, other versions and bad values are refused", "[stream]") {
  std::string p;
  encode_event("probe-a", every_field(), p);
  for (std::size_t n = 0; n < p.size(); ++n) {
    std::string error;
    CHECK_FALSE(decode(std::string_view(p).substr(0, n), &error));
    CHECK(error.find("truncated") != std::string::npos);
  }
  std::string error;
  CHECK_FALSE(decode(p + "x", &error));
  CHECK(error.find("1 trailing bytes") != std::string::npos);

  std::string v2 = p;
  v2[0] = 2;
  CHECK_FALSE(decode(v2, &error));
  CHECK(error.find("version 2") != std::string::npos);

  std::string kind = p;
  kind[1] = 9;
  CHECK_FALSE(decode(kind, &error));
  CHECK(error.find("unknown kind 9") != std::string::npos);

  // Offsets after the 7-byte source "probe-a": 3 + 7 = 10, ts 8 bytes, type at 18, present at 19.
  std::string type = p;
  type[18] = static_cast<char>(event_type_count);
  CHECK_FALSE(decode(type, &error));
  CHECK(error.find("unknown event type") != std::string::npos);

  std::string bits = p;
  bits[20] = static_cast<char>(0x80);  // bit 15
  CHECK_FALSE(decode(bits, &error));
  CHECK(error.find("unknown field bits") != std::string::npos);

  std::string both = p;
  both[20] = static_cast<char>(both[20] | 0x10);  // f_lac beside f_lai
  CHECK_FALSE(decode(both, &error));
  CHECK(error.find("lai and lac-only") != std::string::npos);

  std::string imsi = p;
  imsi[21] = 16;  // the IMSI's length byte: 16 > 15
  CHECK_FALSE(decode(imsi, &error));
  CHECK(error.find("imsi: 16 bytes") != std::string::npos);

  // Every single-byte corruption decodes to something or is refused: never a crash (ASan).
  for (std::size_t i = 0; i < p.size(); ++i)
    for (int v : {0, 1, 0x7f, 0xff}) {
      std::string d = p;
      d[i] = static_cast<char>(v);
      (void)decode(d);
    }
}
