// The operator's tables (tables.hpp, campaigns.md "Files"): CSV quoting and line endings, bad rows
// with their line numbers and the 1 % rule, lookups, the DND list, the TAC table, areas.yaml.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bssap/campaign/tables.hpp"

using namespace bssap::campaign;

namespace {

// A header and n good rows: imsi 46000000000000i, msisdn 1380000000i, brand alternating.
std::string good_rows(std::size_t n, std::string header = "imsi,msisdn,brand\n") {
  std::string csv = std::move(header);
  for (std::size_t i = 0; i < n; ++i) {
    char line[64];
    std::snprintf(line, sizeof line, "4600000%08zu,1380%07zu,%s\n", i, i, i % 2 ? "GoTone" : "M-Zone");
    csv += line;
  }
  return csv;
}

std::shared_ptr<const profile_table> profiles(std::string_view csv, load_report& report, std::string& error) {
  return profile_table::parse(csv, "subs.csv", report, error);
}

}  // namespace

TEST_CASE("profiles: columns anywhere, quoting with \"\" escapes, CRLF, UTF-8") {
  const std::string csv =
      "brand,\"msisdn\",region,imsi\r\n"
      "\"Go\"\"Tone\",+8613800000001,\"Bei,jing\",460001234567890\r\n"
      "M-Zone,13800000002,\"上海\nPudong\",460001234567891\r\n"
      ",,,460001234567892";
  load_report report;
  std::string error;
  const auto t = profiles(csv, report, error);
  REQUIRE(t);
  CHECK(error.empty());
  CHECK(report.rows == 3);
  CHECK(report.bad_rows == 0);
  CHECK(t->size() == 3);
  REQUIRE(t->columns() == std::vector<std::string>{"brand", "msisdn", "region", "imsi"});
  const auto brand = t->column("brand");
  const auto region = t->column("region");
  REQUIRE(brand);
  REQUIRE(region);
  CHECK_FALSE(t->column("plan"));
  const auto r0 = t->find_imsi("460001234567890");
  REQUIRE(r0);
  CHECK(t->value(*r0, *brand) == "Go\"Tone");
  CHECK(t->value(*r0, *region) == "Bei,jing");
  CHECK(t->msisdn(*r0) == "+8613800000001");
  CHECK(t->value(*r0, *t->column("msisdn")) == "+8613800000001");
  CHECK(t->value(*r0, *t->column("imsi")) == "460001234567890");
  const auto r1 = t->find_imsi("460001234567891");
  REQUIRE(r1);
  CHECK(t->value(*r1, *region) == "上海\nPudong");
  CHECK(t->value(*r1, *brand) == "M-Zone");
  const auto r2 = t->find_imsi("460001234567892");
  REQUIRE(r2);
  CHECK(t->msisdn(*r2).empty());
  CHECK(t->value(*r2, *brand).empty());
  CHECK(t->value(*r2, *t->column("msisdn")).empty());
  CHECK(t->value(*r2, 99).empty());
  CHECK(t->value(99, *brand).empty());
}

TEST_CASE("profiles: lookups by IMSI and MSISDN keep leading zeros and ignore a leading +") {
  const std::string csv =
      "imsi,msisdn\n"
      "001010000000001,0013800000001\n"
      "1010000000001,13800000001\n"
      "123456,+8613800000003\n";
  load_report report;
  std::string error;
  const auto t = profiles(csv, report, error);
  REQUIRE(t);
  CHECK(t->size() == 3);
  const auto a = t->find_imsi("001010000000001");
  const auto b = t->find_imsi("1010000000001");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a != *b);
  CHECK(t->imsi(*a) == "001010000000001");
  CHECK(t->imsi(*b) == "1010000000001");
  CHECK_FALSE(t->find_imsi("01010000000001"));
  CHECK(t->find_msisdn("0013800000001") == a);
  CHECK(t->find_msisdn("13800000001") == b);
  CHECK_FALSE(t->find_msisdn("013800000001"));
  CHECK(t->find_msisdn("8613800000003") == t->find_imsi("123456"));
  CHECK(t->find_msisdn("+8613800000003") == t->find_imsi("123456"));
  CHECK(t->msisdn(*t->find_imsi("123456")) == "+8613800000003");
  CHECK_FALSE(t->find_imsi("12345"));
  CHECK_FALSE(t->find_imsi("abc"));
  CHECK_FALSE(t->find_msisdn(""));
}

TEST_CASE("profiles: dictionary-encoded columns return every value as written") {
  std::string csv = "imsi,msisdn,plan,arpu\n";
  for (int i = 0; i < 70000; ++i) {  // > 65536 distinct arpu values: 4-byte codes; plan: 1-byte codes
    csv += "46000" + std::to_string(1000000000 + i) + ",," + (i % 3 == 0 ? "" : "plan" + std::to_string(i % 7)) + "," +
           std::to_string(i) + "\n";
  }
  load_report report;
  std::string error;
  const auto t = profiles(csv, report, error);
  REQUIRE(t);
  REQUIRE(t->size() == 70000);
  const auto plan = *t->column("plan");
  const auto arpu = *t->column("arpu");
  for (int i : {0, 1, 2, 255, 256, 65535, 65536, 69999}) {
    const auto row = t->find_imsi("46000" + std::to_string(1000000000 + i));
    REQUIRE(row);
    CHECK(t->value(*row, plan) == (i % 3 == 0 ? "" : "plan" + std::to_string(i % 7)));
    CHECK(t->value(*row, arpu) == std::to_string(i));
  }
  CHECK(t->memory_bytes() > 70000 * 16);
  CHECK(t->memory_bytes() < 70000 * 80);
}

TEST_CASE("profiles: a missing header, file or required column fails the load") {
  load_report report;
  std::string error;
  CHECK_FALSE(profiles("", report, error));
  CHECK(error == "subs.csv: no header row");
  CHECK_FALSE(profiles("imsi,brand\n460001234567890,x\n", report, error));
  CHECK(error == "subs.csv:1: header: missing column msisdn");
  CHECK_FALSE(profiles("msisdn\n1\n", report, error));
  CHECK(error == "subs.csv:1: header: missing column imsi");
  CHECK_FALSE(profiles("imsi,msisdn,imsi\n", report, error));
  CHECK(error == "subs.csv:1: header: duplicate column 'imsi'");
  CHECK_FALSE(profile_table::load("/nonexistent/subs.csv", report, error));
  CHECK(error.rfind("/nonexistent/subs.csv: cannot open", 0) == 0);
  const auto header_only = profiles("imsi,msisdn\r\n", report, error);
  REQUIRE(header_only);
  CHECK(header_only->size() == 0);
}

TEST_CASE("profiles: bad rows are reported with their line numbers and skipped") {
  std::string csv = good_rows(1000);  // lines 2-1001
  csv +=
      "460001111111111,13900000001\n"                      // 1002: 2 fields, the header has 3
      "460001111111112\n"                                  // 1003: 1 field
      "46000111x111113,13900000003,a\n"                    // 1004: bad IMSI
      "460001111111114,139-00000004,a\n"                   // 1005: bad MSISDN
      "\n"                                                 // 1006: blank, ignored
      "460001111111111,13900000006,a\n"                    // 1007: good (1002 was bad)
      "12345,1,a\n"                                        // 1008: IMSI too short
      "460001111111115,1,a\"b\n"                           // 1009: quote in an unquoted field
      "460001111111116,\"1\"x,a\n"                         // 1010: text after a closing quote
      "460001111111117,1234567890123456,a\n"               // 1011: MSISDN 16 digits
      "460001111111118,\"13900000011\",\"multi\nline\"\n"  // 1012-1013: good
      "460001111111119,13900000012,a\n";                   // 1014: good
  load_report report;
  std::string error;
  const auto t = profiles(csv, report, error);
  REQUIRE(t);
  CHECK(report.rows == 1003);
  CHECK(report.bad_rows == 8);
  REQUIRE(report.messages.size() == 8);
  CHECK(report.messages[0] == "subs.csv:1002: 2 fields, the header has 3");
  CHECK(report.messages[1] == "subs.csv:1003: 1 fields, the header has 3");
  CHECK(report.messages[2] == "subs.csv:1004: bad IMSI '46000111x111113'");
  CHECK(report.messages[3] == "subs.csv:1005: bad MSISDN '139-00000004'");
  CHECK(report.messages[4] == "subs.csv:1008: bad IMSI '12345'");
  CHECK(report.messages[5] == "subs.csv:1009: quote inside an unquoted field");
  CHECK(report.messages[6] == "subs.csv:1010: text after a closing quote");
  CHECK(report.messages[7] == "subs.csv:1011: bad MSISDN '1234567890123456'");
  // 1007 is not a duplicate: 1002 was bad (2 fields), so 460001111111111 first appears on 1007.
  CHECK(t->find_imsi("460001111111111"));
  CHECK(t->msisdn(*t->find_imsi("460001111111111")) == "13900000006");
  CHECK(t->value(*t->find_imsi("460001111111118"), 2) == "multi\nline");
  CHECK(t->find_imsi("460001111111119"));
}

TEST_CASE("profiles: a duplicate IMSI keeps the first row") {
  std::string csv = good_rows(150);
  csv += "460000000000003,13999999999,Dup\n";  // line 152, same IMSI as line 5
  load_report report;
  std::string error;
  const auto t = profiles(csv, report, error);
  REQUIRE(t);
  CHECK(report.bad_rows == 1);
  REQUIRE(report.messages.size() == 1);
  CHECK(report.messages[0] == "subs.csv:152: duplicate IMSI '460000000000003'");
  CHECK(t->msisdn(*t->find_imsi("460000000000003")) == "13800000003");
  CHECK_FALSE(t->find_msisdn("13999999999"));
}

TEST_CASE("profiles: more than 1% bad rows fails the load; all bad rows counted, 20 kept") {
  load_report report;
  std::string error;
  {
    std::string csv = good_rows(99);
    csv += "bad,1,a\n";  // 1 of 100: exactly 1 %, loads
    REQUIRE(profiles(csv, report, error));
    CHECK(report.bad_rows == 1);
  }
  {
    std::string csv = good_rows(98);
    csv += "bad,1,a\nbad2,1,a\n";  // 2 of 100: fails
    CHECK_FALSE(profiles(csv, report, error));
    CHECK(error == "subs.csv: 2 of 100 rows are bad (more than 1%); first: subs.csv:100: bad IMSI 'bad'");
  }
  {
    std::string csv = good_rows(5000);
    for (int i = 0; i < 30; ++i) csv += "x,1,a\n";
    REQUIRE(profiles(csv, report, error));
    CHECK(report.bad_rows == 30);
    CHECK(report.rows == 5000);
    REQUIRE(report.messages.size() == load_report::max_messages);
    CHECK(report.messages.front() == "subs.csv:5002: bad IMSI 'x'");
    CHECK(report.messages.back() == "subs.csv:5021: bad IMSI 'x'");
  }
  {
    // An unbalanced quote spoils one line, not the rest of the file.
    std::string csv = good_rows(100);
    csv += "460009999999999,\"1390,a\n460009999999998,1,a\n";
    const auto t = profiles(csv, report, error);
    REQUIRE(t);
    CHECK(report.bad_rows == 1);
    CHECK(report.messages[0] == "subs.csv:102: unbalanced quotes");
    CHECK(t->find_imsi("460009999999998"));
  }
}

TEST_CASE("profiles: load() reads a file") {
  const std::string path = std::string(BSSAP_BIN_DIR) + "/test_tables_subs.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << good_rows(1000);
  }
  load_report report;
  std::string error;
  const auto t = profile_table::load(path, report, error);
  REQUIRE(t);
  CHECK(t->size() == 1000);
  CHECK(t->value(*t->find_msisdn("13800000999"), 2) == "GoTone");
  std::remove(path.c_str());
}

TEST_CASE("dnd: one number a line, # comments anywhere, blank lines, bad lines numbered") {
  std::string text =
      "# opted out\n"
      "13800000001\n"
      "  +8613800000002   # said STOP\r\n"
      "\n"
      "460001234567890\n"
      "#13800000009\n"
      "0013800000003\n";
  for (int i = 0; i < 200; ++i) text += std::to_string(13900000000 + i) + "\n";  // lines 8-207
  text += "138-0000\n";                                                          // 208
  load_report report;
  std::string error;
  const auto d = dnd_list::parse(text, "dnd.txt", report, error);
  REQUIRE(d);
  CHECK(d->size() == 204);
  CHECK(report.rows == 204);
  CHECK(report.bad_rows == 1);
  REQUIRE(report.messages.size() == 1);
  CHECK(report.messages[0] == "dnd.txt:208: not an MSISDN or IMSI: '138-0000'");
  CHECK(d->contains("13800000001"));
  CHECK(d->contains("+13800000001"));
  CHECK(d->contains("8613800000002"));
  CHECK(d->contains("460001234567890"));
  CHECK(d->contains("0013800000003"));
  CHECK_FALSE(d->contains("13800000003"));
  CHECK_FALSE(d->contains("13800000009"));
  CHECK_FALSE(d->contains(""));
  CHECK(d->contains("13900000199"));
  CHECK_FALSE(dnd_list::parse("1\nx\n", "dnd.txt", report, error));
  CHECK(error == "dnd.txt: 1 of 2 rows are bad (more than 1%); first: dnd.txt:2: not an MSISDN or IMSI: 'x'");
  const auto empty = dnd_list::parse("# nobody\n", "dnd.txt", report, error);
  REQUIRE(empty);
  CHECK(empty->size() == 0);
}

TEST_CASE("tac: lookup by IMEI, IMEISV or bare TAC; other columns as written") {
  const std::string csv =
      "brand,model,tac,mms\n"
      "Apple,\"iPhone 15, Pro\",35396311,yes\n"
      "Nokia,3310,01234567,no\n";
  load_report report;
  std::string error;
  const auto t = tac_table::parse(csv, "tac.csv", report, error);
  REQUIRE(t);
  CHECK(t->size() == 2);
  const auto mms = *t->column("mms");
  const auto model = *t->column("model");
  const auto a = t->find("353963110123456");  // 15-digit IMEI
  REQUIRE(a);
  CHECK(t->value(*a, mms) == "yes");
  CHECK(t->value(*a, model) == "iPhone 15, Pro");
  CHECK(t->value(*a, *t->column("tac")) == "35396311");
  CHECK(t->find("35396311012345") == a);    // 14 digits, no check digit
  CHECK(t->find("3539631101234501") == a);  // IMEISV
  CHECK(t->find("35396311") == a);
  const auto b = t->find("012345670000000");
  REQUIRE(b);
  CHECK(t->value(*b, mms) == "no");
  CHECK_FALSE(t->find("1234567"));
  CHECK_FALSE(t->find("3539631x0123456"));
  CHECK_FALSE(t->find("99999999"));
  CHECK_FALSE(t->find("35396311012345678"));
  CHECK_FALSE(tac_table::parse("brand\nx\n", "tac.csv", report, error));
  CHECK(error == "tac.csv:1: header: missing column tac");
  std::string with_bad = "tac,mms\n";
  for (int i = 0; i < 200; ++i) with_bad += std::to_string(10000000 + i) + ",yes\n";
  with_bad += "1234567,no\n10000000,no\n";  // lines 202, 203
  const auto c = tac_table::parse(with_bad, "tac.csv", report, error);
  REQUIRE(c);
  CHECK(report.bad_rows == 2);
  CHECK(report.messages[0] == "tac.csv:202: bad TAC '1234567' (8 digits)");
  CHECK(report.messages[1] == "tac.csv:203: duplicate TAC '10000000'");
}

TEST_CASE("areas: by LAC and by LAC:CI, names in file order, ids ascending") {
  const std::string yaml =
      "airport: [1001, \"1002:17\", \"1002:18\"]\n"
      "city:\n"
      "  - 1001\n"
      "  - 1003\n"
      "station: [\"1002:18\", \"5:268435455\"]\n"
      "nowhere: []\n";
  std::string error;
  const auto a = area_table::parse(yaml, "areas.yaml", error);
  REQUIRE(a);
  CHECK(error.empty());
  REQUIRE(a->names() == std::vector<std::string>{"airport", "city", "station", "nowhere"});
  CHECK(a->find("city") == area_id{1});
  CHECK_FALSE(a->find("moon"));
  std::vector<area_id> out;
  a->areas_of(1001, std::nullopt, out);
  CHECK(out == std::vector<area_id>{0, 1});
  out.clear();
  a->areas_of(1002, 18, out);
  CHECK(out == std::vector<area_id>{0, 2});
  out.clear();
  a->areas_of(1002, 19, out);
  CHECK(out.empty());
  a->areas_of(1002, std::nullopt, out);
  CHECK(out.empty());
  a->areas_of(std::nullopt, 18, out);
  CHECK(out.empty());
  a->areas_of(5, 268435455, out);
  CHECK(out == std::vector<area_id>{2});
  out.clear();
  a->areas_of(1001, 17, out);
  CHECK(out == std::vector<area_id>{0, 1});
  CHECK(a->contains(0, 1002, 17));
  CHECK_FALSE(a->contains(0, 1002, std::nullopt));
  CHECK(a->contains(1, 1003, 5));
  CHECK_FALSE(a->contains(2, 1003, 5));
  CHECK_FALSE(a->contains(0, std::nullopt, std::nullopt));
  CHECK_FALSE(a->contains(3, 1001, std::nullopt));
  const auto empty = area_table::parse("", "areas.yaml", error);
  REQUIRE(empty);
  CHECK(empty->names().empty());
}

TEST_CASE("areas: malformed areas.yaml names the line and the area") {
  std::string error;
  CHECK_FALSE(area_table::parse("a: [1]\nb: [65536]\n", "areas.yaml", error));
  CHECK(error == "areas.yaml:2: b: bad LAC '65536' (0-65535)");
  CHECK_FALSE(area_table::parse("a:\n  - 1\n  - \"1:x\"\n", "areas.yaml", error));
  CHECK(error == "areas.yaml:3: a: bad CI in '1:x' (0-268435455)");
  CHECK_FALSE(area_table::parse("a: [\"1:268435456\"]\n", "areas.yaml", error));
  CHECK(error == "areas.yaml:1: a: bad CI in '1:268435456' (0-268435455)");
  CHECK_FALSE(area_table::parse("a: [1]\na: [2]\n", "areas.yaml", error));
  CHECK(error == "areas.yaml:2: a: duplicate area");
  CHECK_FALSE(area_table::parse("a: 1\n", "areas.yaml", error));
  CHECK(error == "areas.yaml:1: a: expected a list of LAC or \"LAC:CI\"");
  CHECK_FALSE(area_table::parse("a:\n", "areas.yaml", error));
  CHECK(error == "areas.yaml:1: a: expected a list of LAC or \"LAC:CI\"");
  CHECK_FALSE(area_table::parse("a: [[1]]\n", "areas.yaml", error));
  CHECK(error == "areas.yaml:1: a: expected LAC or \"LAC:CI\"");
  CHECK_FALSE(area_table::parse("- 1\n", "areas.yaml", error));
  CHECK(error.rfind("areas.yaml:1: expected a map", 0) == 0);
  CHECK_FALSE(area_table::parse("a: [1\nb: 2\n", "areas.yaml", error));
  CHECK(error.rfind("areas.yaml:", 0) == 0);
  CHECK_FALSE(area_table::parse("a: [-1]\n", "areas.yaml", error));
  CHECK(error == "areas.yaml:1: a: bad LAC '-1' (0-65535)");
}
