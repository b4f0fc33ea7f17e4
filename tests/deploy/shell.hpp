// Running shell commands from the deployment tests: output and exit status.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace bssap::test {

struct shell_result {
  int status = -1;     // exit status, or 128 + signal
  std::string output;  // stdout and stderr
};

inline shell_result sh(const std::string& command) {
  shell_result r;
  std::FILE* p = ::popen(("{ " + command + "\n} 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

inline bool have_command(const std::string& name) {
  return sh("command -v " + name + " >/dev/null").status == 0;
}

}  // namespace bssap::test
