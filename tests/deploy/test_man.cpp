// The man pages (scripts/man.sh) against what the programs accept: every subcommand has a page,
// every option of every program and subcommand is in its page, and probe.yaml(5) names every key
// the configuration parser accepts. A new option or key without its documentation fails here.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <set>
#include <sstream>

#include "shell.hpp"
#include "test_support.hpp"

namespace t = bssap::test;
namespace fs = std::filesystem;

namespace {

// The page's text with the roff font changes and escaped hyphens undone: "\fB\-\-events\fR" ->
// "--events". (No std::regex: GCC 12 warns inside it under -O1 and -Werror.)
std::string page_text(const fs::path& p) {
  const std::string s = t::slurp(p);
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      if (s[i + 1] == '-') {
        out += '-';
        ++i;
        continue;
      }
      if (s[i + 1] == 'f' && i + 2 < s.size()) {
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// The long options in a CLI11 --help text ("  --events TEXT  ...", "  -i,--interface TEXT ..."):
// words starting with -- in the option column (up to the first double space).
std::set<std::string> options_of(const std::string& help) {
  std::set<std::string> out;
  std::istringstream in(help);
  std::string line;
  while (std::getline(in, line)) {
    const auto start = line.find_first_not_of(' ');
    if (start == std::string::npos || line[start] != '-') continue;
    std::string column = line.substr(start, line.find("  ", start) - start);
    for (char& c : column)
      if (c == ',') c = ' ';
    std::istringstream words(column);
    std::string w;
    while (words >> w)
      if (w.rfind("--", 0) == 0 && w.size() > 2) out.insert(w);
  }
  return out;
}

// `word` in `text` with no letter, digit or _ on either side.
bool has_word(const std::string& text, const std::string& word) {
  const auto part = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool left = at == 0 || !part(text[at - 1]);
    const bool right = at + word.size() >= text.size() || !part(text[at + word.size()]);
    if (left && right) return true;
  }
  return false;
}

// The subcommands listed by `bssap-probe --help` ("Subcommands:" then "  name   summary").
std::vector<std::string> subcommands(const std::string& help) {
  std::vector<std::string> out;
  const auto at = help.find("Subcommands:");
  if (at == std::string::npos) return out;
  std::istringstream in(help.substr(at + 12));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] != ' ') break;
    std::istringstream words(line);
    std::string name;
    words >> name;
    out.push_back(name);
  }
  return out;
}

struct generated {
  fs::path dir;
  bool ok = false;
  std::string output;
  ~generated() {
    std::error_code ec;
    fs::remove_all(dir, ec);  // at the test process's exit
  }
};

const generated& pages() {
  static const generated g = [] {
    generated r;
    r.dir = fs::temp_directory_path() / ("bssap-man-" + std::to_string(::getpid()));
    fs::remove_all(r.dir);
    const auto res = t::sh("bash '" + (t::source_dir() / "scripts" / "man.sh").string() + "' '" +
                           t::bin_dir().string() + "' '" + r.dir.string() + "' " BSSAP_VERSION);
    r.ok = res.status == 0;
    r.output = res.output;
    return r;
  }();
  return g;
}

}  // namespace

TEST_CASE("man pages: every subcommand of bssap-probe has a page listing each of its options") {
  if (!t::have_command("help2man") || !t::have_command("go-md2man"))
    BSSAP_SKIP_OR_FAIL("help2man or go-md2man is missing (bash scripts/setup.sh)");
  const auto& g = pages();
  INFO(g.output);
  REQUIRE(g.ok);
  const std::string probe = (t::bin_dir() / "bssap-probe").string();
  const auto top = t::sh(probe + " --help");
  const auto subs = subcommands(top.output);
  REQUIRE(subs.size() >= 4);  // replay, report, live, check-config; dpdk is parsed apart (below)
  std::vector<std::string> all = subs;
  all.push_back("dpdk");
  const std::string main_page = page_text(g.dir / "man8" / "bssap-probe.8");
  for (const auto& s : all) {
    INFO("subcommand " << s);
    CHECK_THAT(main_page, Catch::Contains("bssap-probe-" + s));  // the overview names its page
    const fs::path page = g.dir / "man8" / ("bssap-probe-" + s + ".8");
    REQUIRE(fs::exists(page));
    const std::string text = page_text(page);
    const auto help = t::sh(probe + " " + s + (s == "dpdk" ? " --" : "") + " --help");
    const auto opts = options_of(help.output);
    CHECK(opts.size() >= 2);  // --help and at least one of its own
    for (const auto& o : opts) {
      INFO("option " << o);
      CHECK_THAT(text, Catch::Contains(o));
    }
  }
}

TEST_CASE("man pages: every option of bssap-synth, smpp-stub, smpp-send and tshark-diff is in its page") {
  if (!t::have_command("help2man") || !t::have_command("go-md2man"))
    BSSAP_SKIP_OR_FAIL("help2man or go-md2man is missing (bash scripts/setup.sh)");
  const auto& g = pages();
  INFO(g.output);
  REQUIRE(g.ok);
  for (const std::string tool : {"bssap-synth", "smpp-stub", "smpp-send", "tshark-diff"}) {
    INFO(tool);
    const fs::path page = g.dir / "man1" / (tool + ".1");
    REQUIRE(fs::exists(page));
    const std::string text = page_text(page);
    const auto opts = options_of(t::sh((t::bin_dir() / tool).string() + " --help").output);
    CHECK(opts.size() >= 2);
    for (const auto& o : opts) {
      INFO("option " << o);
      CHECK_THAT(text, Catch::Contains(o));
    }
  }
}

TEST_CASE("man pages: probe.yaml(5) names every key the configuration parser accepts") {
  if (!t::have_command("help2man") || !t::have_command("go-md2man"))
    BSSAP_SKIP_OR_FAIL("help2man or go-md2man is missing (bash scripts/setup.sh)");
  const auto& g = pages();
  INFO(g.output);
  REQUIRE(g.ok);
  const std::string text = page_text(g.dir / "man5" / "probe.yaml.5");
  REQUIRE(text.find(".TH PROBE.YAML 5") != std::string::npos);
  // The parser's allowed-key sets: map_reader NAME(node, prefix, {"key", ...}).
  const std::string parser = t::slurp(t::source_dir() / "triggers" / "campaign" / "src" / "config.cpp");
  std::set<std::string> keys;
  for (auto at = parser.find("map_reader "); at != std::string::npos; at = parser.find("map_reader ", at + 1)) {
    // A variable: "map_reader top(" (not "class map_reader {" nor its constructor).
    const auto name_end = parser.find_first_not_of("abcdefghijklmnopqrstuvwxyz_", at + 11);
    if (name_end == at + 11 || name_end == std::string::npos || parser[name_end] != '(') continue;
    const auto open = parser.find('{', at), semi = parser.find(';', at);
    if (open == std::string::npos || open > semi) continue;
    const std::string list = parser.substr(open, parser.find('}', open) - open);
    for (auto q = list.find('"'); q != std::string::npos; q = list.find('"', list.find('"', q + 1) + 1)) {
      const auto end = list.find('"', q + 1);
      if (end == std::string::npos) break;
      keys.insert(list.substr(q + 1, end - q - 1));
    }
  }
  REQUIRE(keys.size() > 50);  // the probe.yaml and the campaign keys
  for (const auto& k : keys) {
    INFO("key " << k);
    CHECK(has_word(text, k));
  }
}
