// One line per record on stderr (see log.hpp).
#include "bssap/probe/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace bssap::probe {

bool stderr_is_journal() noexcept {
  static const bool journal = [] {
    // "DEVICE:INODE" of the stream systemd connected stdout/stderr to (systemd.exec(5),
    // $JOURNAL_STREAM): the journal only when stderr is still that file.
    const char* v = std::getenv("JOURNAL_STREAM");
    if (v == nullptr) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(v, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
  }();
  return journal;
}

void log_line(log_level level, std::string_view text) noexcept {
  const char* name = level == log_level::error ? "error" : level == log_level::warning ? "warning" : "info";
  std::string line;
  try {
    line.reserve(text.size() + 32);
    if (stderr_is_journal()) line += fmt::format("<{}>", static_cast<int>(level));
    line += "bssap-probe: ";
    line += name;
    line += ": ";
    for (const char c : text) line += (c == '\n' || c == '\r') ? ' ' : c;
    line += '\n';
  } catch (...) {
    return;  // out of memory: the record is lost, the probe goes on
  }
  // One write per record: lines of two threads never interleave.
  (void)std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace bssap::probe
