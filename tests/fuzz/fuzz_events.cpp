// libFuzzer target: the event-log reader (`trigger --events`, `report --visitors`: each line of
// a JSON-lines event log through parse_json_line, probe/event/src/event_json.cpp, then
// campaign::event_id_of as decide_events() does). Input: the log's text; lines split at '\n',
// a trailing '\r' cut (as probe/src/main.cpp). A refusal must say why; an accepted line must
// survive append_json_line and a second parse unchanged (what the probe writes, it reads back).
// Seeds: corpus/events/; crashers: regressions/fuzz_events/, replayed by tests/fuzz/replay/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bssap/campaign/engine.hpp"
#include "bssap/event.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string written, why;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    why.clear();
    const auto e = bssap::parse_json_line(line, &why);
    if (!e) {
      if (why.empty()) std::abort();  // a refusal always says why
      continue;
    }
    (void)bssap::campaign::event_id_of(*e);
    written.clear();
    bssap::append_json_line(*e, written);
    if (written.empty() || written.back() != '\n') std::abort();
    written.pop_back();
    const auto again = bssap::parse_json_line(written, &why);
    if (!again || !(*again == *e)) std::abort();  // our own line is refused or changed
  }
  return 0;
}
