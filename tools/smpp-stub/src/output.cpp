// smpp-stub's output (see stub.hpp): --out gets one JSON line per part ("type":"part") and per
// reassembled message ("type":"message", submit.cpp), buffered unless --flush; at the end the
// "type":"summary" line of counters goes to --out and to stdout.
#include <cstdio>
#include <string>

#include "stub.hpp"

namespace smpp_stub {

void stub::write(const json& j) {
  const std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::fwrite(s.data(), 1, s.size(), _out);
  std::fputc('\n', _out);
  if (_o.flush_each) std::fflush(_out);
}

void stub::summary() {
  json j{{"type", "summary"},
         {"connections", _n.connections},
         {"binds", _n.binds},
         {"bind_rejected", _n.bind_rejected},
         {"submit_sm", _n.submit_sm},
         {"parts_unique", _n.parts_unique},
         {"duplicates", _n.duplicates},
         {"messages", _n.messages},
         {"throttled", _n.throttled},
         {"msgqful", _n.msgqful},
         {"receipts_sent", _n.receipts_sent},
         {"mo_sent", _n.mo_sent},
         {"deliver_sm_resp", _n.deliver_sm_resp},
         {"receipts_waiting", _waiting.size() + _timers.size()},
         {"drops", _n.drops},
         {"rejected", _n.rejected},
         {"generic_nacks", _n.generic_nacks},
         {"malformed", _n.malformed},
         {"enquire_links", _n.enquire_links},
         {"unbinds", _n.unbinds}};
  if (_out) {
    write(j);
    std::fclose(_out);
    _out = nullptr;
  }
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

}  // namespace smpp_stub
