// Helpers shared by the Catch2 tests: hex vectors and paths.
#pragma once

#include <sys/wait.h>
#include <unistd.h>
#include <cstddef>
#include <cstdint>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace bssap::test {

// "0a 1B:ff" -> bytes. Spaces, colons and newlines are ignored; '#' starts a comment to end of line.
inline std::vector<std::byte> hex(std::string_view text) {
  std::vector<std::byte> out;
  int hi = -1;
  bool comment = false;
  for (const char c : text) {
    if (comment) {
      comment = c != '\n';
      continue;
    }
    if (c == '#') {
      comment = true;
      continue;
    }
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::byte>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

inline std::filesystem::path source_dir() {
  return BSSAP_SOURCE_DIR;
}
inline std::filesystem::path bin_dir() {
  return BSSAP_BIN_DIR;
}
// A shell command's exit status (128 when it did not exit normally: a signal).
inline int run_command(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

// An empty folder of the test's own, STEM-PID under the temporary directory (emptied first).
inline std::filesystem::path fresh_dir(const std::string& stem) {
  const auto dir = std::filesystem::temp_directory_path() / (stem + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A whole file's bytes ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// ../shared/pcaps/real beside the checkout; tests that use it skip (and say so) when absent,
// and fail instead under CI=true (BSSAP_SKIP_OR_FAIL below).
inline std::filesystem::path real_pcaps_dir() {
  return source_dir().parent_path() / "shared" / "pcaps" / "real";
}

// CI=true in the environment: a green run must mean that the tests needing tshark or the shared
// captures did run, so their "skip" becomes a failure.
inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

}  // namespace bssap::test

// Skips the rest of a test with a warning, or fails it under CI=true (bssap::test::in_ci()).
// Needs <catch2/catch.hpp> in the including test file.
#define BSSAP_SKIP_OR_FAIL(message)    \
  do {                                 \
    if (::bssap::test::in_ci()) {      \
      FAIL("CI=true and " << message); \
    } else {                           \
      WARN("skipped: " << message);    \
      return;                          \
    }                                  \
  } while (0)
