// Command-line values shared by the program and its tests: PLMN lists and the scenario mix.
#include <charconv>

#include "bssap/synth/synth.hpp"

namespace bssap::synth {

bool parse_plmn(std::string_view text, plmn& out) noexcept {
  // "MCC-MNC": 3 digits, '-', 2 or 3 digits (TS 23.003 2.2).
  if (text.size() != 6 && text.size() != 7) return false;
  if (text[3] != '-') return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i != 3 && (text[i] < '0' || text[i] > '9')) return false;
  }
  plmn p;
  for (int i = 0; i < 3; ++i) p.mcc[i] = text[static_cast<std::size_t>(i)];
  p.mnc_len = static_cast<std::uint8_t>(text.size() - 4);
  for (std::size_t i = 0; i < p.mnc_len; ++i) p.mnc[i] = text[4 + i];
  out = p;
  return true;
}

bool parse_mix(std::string_view text, scenario_mix& out, std::string& error) {
  scenario_mix m = out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      error = "mix item '" + std::string(item) + "' is not name=weight";
      return false;
    }
    const std::string_view name = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    std::uint32_t v = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || ptr != value.data() + value.size() || v > 1000000) {
      error = "mix weight '" + std::string(value) + "' is not a number";
      return false;
    }
    std::uint32_t* slot = name == "lu"         ? &m.lu
                          : name == "periodic" ? &m.periodic
                          : name == "attach"   ? &m.attach
                          : name == "call_mo"  ? &m.call_mo
                          : name == "call_mt"  ? &m.call_mt
                          : name == "sms_mo"   ? &m.sms_mo
                          : name == "sms_mt"   ? &m.sms_mt
                          : name == "ussd"     ? &m.ussd
                          : name == "handset"  ? &m.handset
                          : name == "reject"   ? &m.reject
                          : name == "stayer"   ? &m.stayer
                          : name == "rider"    ? &m.rider
                          : name == "tourist"  ? &m.tourist
                          : name == "shopper"  ? &m.shopper
                          : name == "flaky"    ? &m.flaky
                          : name == "silent"   ? &m.silent
                          : name == "cref"     ? &m.cref
                          : name == "interbsc" ? &m.interbsc
                                               : nullptr;
    if (slot == nullptr) {
      error = "unknown mix name '" + std::string(name) +
              "' (lu, periodic, attach, call_mo, call_mt, sms_mo, sms_mt, ussd, handset, reject, stayer, rider, "
              "tourist, shopper, flaky, silent, cref, interbsc)";
      return false;
    }
    if (slot == &m.reject && v > 100) {
      error = "reject is a percentage (0..100)";
      return false;
    }
    if (slot == &m.interbsc && v > 100) {
      error = "interbsc is a percentage (0..100)";
      return false;
    }
    if (slot == &m.cref && v > 1000) {
      error = "cref is per mille (0..1000)";
      return false;
    }
    *slot = v;
  }
  if (m.stayer + m.rider + m.tourist + m.shopper + m.flaky + m.silent > 100) {
    error = "stayer + rider + tourist + shopper + flaky + silent is more than 100 per cent of subscribers";
    return false;
  }
  out = m;
  return true;
}

config default_config() {
  config c;
  for (const char* p : {"460-00", "460-02", "460-07"}) {
    plmn x;
    parse_plmn(p, x);
    c.home_plmns.push_back(x);
  }
  parse_plmn("460-00", c.own_plmn);
  return c;
}

}  // namespace bssap::synth
