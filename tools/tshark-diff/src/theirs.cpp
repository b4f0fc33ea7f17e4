// tshark's side: `tshark -r FILE -T fields -e frame.number -e <fields...>` parsed per frame.
#include <cstdio>
#include <sstream>
#include <string>

#include "fields.hpp"

namespace bssap::tshark_diff {

namespace {

constexpr char aggregator = '\x1f';  // between occurrences of one field (never in a value)

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// "0x1f" or "31" -> "31". Values that are not numbers are kept as they are.
std::string normalise_number(const std::string& v) {
  try {
    std::size_t used = 0;
    const unsigned long long n =
        v.rfind("0x", 0) == 0 ? std::stoull(v.substr(2), &used, 16) : std::stoull(v, &used, 10);
    if (used == (v.rfind("0x", 0) == 0 ? v.size() - 2 : v.size())) return std::to_string(n);
  } catch (...) {
  }
  return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (const char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

bool run_theirs(const std::string& file, const run_options& options, capture_values& out, std::string& error) {
  std::string cmd =
      shell_quote(options.tshark) + " -n -r " + shell_quote(file) +
      " -o sctp.tsn_analysis:TRUE -T fields -E occurrence=a -E aggregator=" + shell_quote(std::string(1, aggregator)) +
      " -e frame.number -e sctp.retransmission -e frame.protocols -e _ws.malformed";
  for (const auto& f : fields) cmd += " -e " + std::string(f.name);
  if (options.pc24) cmd += " -o " + shell_quote("mtp3.standard:Chinese ITU");
  cmd += " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    error = "cannot run " + options.tshark;
    return false;
  }
  std::string line;
  std::size_t lines = 0;
  int c = 0;
  auto flush = [&]() {
    if (line.empty()) return;
    const auto columns = split(line, '\t');
    line.clear();
    if (columns.size() != fields.size() + 4) return;
    const std::size_t frame = std::stoul(columns[0]);
    if (frame == 0) return;
    if (out.size() < frame) out.resize(frame);
    frame_values& fv = out[frame - 1];
    ++lines;
    classify_theirs(fv, wireshark_frame{columns[2], !columns[3].empty(), !columns[1].empty()});
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (columns[i + 4].empty()) continue;
      for (const auto& v : split(columns[i + 4], aggregator))
        fv.values[i].insert(fields[i].numeric ? normalise_number(v) : v);
    }
  };
  while ((c = std::fgetc(pipe)) != EOF) {
    if (c == '\n')
      flush();
    else
      line += static_cast<char>(c);
  }
  flush();
  const int status = pclose(pipe);
  if (status != 0 || lines == 0) {
    error = options.tshark + " failed on " + file + " (status " + std::to_string(status) + ")";
    return false;
  }
  return true;
}

}  // namespace bssap::tshark_diff
