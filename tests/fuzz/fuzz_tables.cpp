// libFuzzer target: the operator-table parsers (campaigns.md "Files"). The first input byte picks
// the parser (modulo 4: subscriber CSV, DND list, TAC CSV, areas.yaml); the rest is the file. A
// loaded table is then queried with pieces of the input, so lookups run over what was parsed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bssap/campaign/tables.hpp"

using namespace bssap::campaign;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view probe = text.substr(0, text.size() < 16 ? text.size() : 16);
  load_report report;
  std::string error;
  switch (data[0] % 4) {
    case 0:
      if (const auto t = profile_table::parse(text, "fuzz.csv", report, error)) {
        std::size_t total = 0;
        for (row_id r = 0; r < t->size() && r < 64; ++r) {
          for (std::size_t c = 0; c < t->columns().size(); ++c) total += t->value(r, c).size();
          const std::string imsi = t->imsi(r);
          if (t->find_imsi(imsi) != r) __builtin_trap();  // every kept row is found by its IMSI
          const std::string msisdn = t->msisdn(r);
          if (!msisdn.empty() && !t->find_msisdn(msisdn)) __builtin_trap();
        }
        (void)t->find_imsi(probe);
        (void)t->find_msisdn(probe);
        (void)total;
        (void)t->memory_bytes();
      }
      break;
    case 1:
      if (const auto d = dnd_list::parse(text, "fuzz.txt", report, error)) (void)d->contains(probe);
      break;
    case 2:
      if (const auto t = tac_table::parse(text, "fuzz.csv", report, error)) {
        if (const auto row = t->find(probe)) {
          for (std::size_t c = 0; c < t->columns().size(); ++c) (void)t->value(*row, c);
        }
      }
      break;
    default:
      if (const auto a = area_table::parse(text, "fuzz.yaml", error)) {
        std::vector<area_id> out;
        for (std::uint32_t lac = 0; lac < 8; ++lac) {
          a->areas_of(static_cast<std::uint16_t>(lac), lac, out);
          for (std::size_t i = 1; i < out.size(); ++i) {
            if (out[i - 1] >= out[i]) __builtin_trap();  // ascending, no repeats
          }
          out.clear();
        }
        for (std::size_t i = 0; i < a->names().size(); ++i) (void)a->contains(static_cast<area_id>(i), 1, 1);
      }
      break;
  }
  if (report.messages.size() > load_report::max_messages) __builtin_trap();
  return 0;
}
