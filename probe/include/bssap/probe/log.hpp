// The probe's messages: one line per record on stderr with its level, "bssap-probe: error: ...".
// When stderr is the systemd journal ($JOURNAL_STREAM names its device:inode, systemd.exec(5)),
// each line also starts with its syslog priority, "<3>" (RFC 5424 6.2.1 severities), which
// journald keeps as the record's level (SyslogLevelPrefix=, on by default) and strips.
#pragma once

#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace bssap::probe {

enum class log_level : int { error = 3, warning = 4, info = 6 };

// True when stderr is the journal stream systemd connected (checked once).
bool stderr_is_journal() noexcept;

// Writes one record (newlines inside `text` become spaces, so that a record stays one line).
void log_line(log_level level, std::string_view text) noexcept;

template <class... Args>
void log(log_level level, fmt::format_string<Args...> f, Args&&... args) {
  log_line(level, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace bssap::probe
