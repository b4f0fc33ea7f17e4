// The console's web page (console/web/index.html, compiled in: no file to install, no build
// step for the page itself) and the chart library it uses, Debian's libjs-chart.js, read from
// /usr/share/javascript/chart.js at start (nothing is fetched from the internet).
#pragma once

#include <string>
#include <string_view>

namespace bssap::console {

std::string_view index_html() noexcept;
constexpr const char* chart_js_path = "/usr/share/javascript/chart.js/chart.min.js";

}  // namespace bssap::console
