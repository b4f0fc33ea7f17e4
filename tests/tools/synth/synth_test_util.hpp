// Helpers for the bssap-synth tests: generating into memory, walking pcap records, running
// programs and reading truth files.
#pragma once

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bssap/event.hpp"
#include "bssap/synth/synth.hpp"
#include "test_support.hpp"

namespace synth_test {

namespace bs = bssap::synth;

struct generated {
  std::string capture;
  std::string truth;
  bs::stats st;
};

inline generated generate(const bs::config& cfg) {
  bs::string_sink cap;
  bs::string_sink truth;
  generated g;
  g.st = bs::generate(cfg, cap, &truth);
  g.capture = std::move(cap.bytes);
  g.truth = std::move(truth.bytes);
  return g;
}

inline bs::config small_config(bs::transport t, std::uint64_t seed = 11) {
  bs::config c = bs::default_config();
  c.subscribers = 60;
  c.duration_s = 240;
  c.seed = seed;
  c.link = t;
  return c;
}

struct record {
  std::int64_t ts_us;
  std::size_t offset;  // of the frame data in the file
  std::uint32_t len;
};

// Walks a classic little-endian microsecond pcap; fails the test on any inconsistency.
inline std::vector<record> pcap_records(const std::string& f, std::uint32_t* linktype = nullptr) {
  std::vector<record> out;
  REQUIRE(f.size() >= 24);
  std::uint32_t magic = 0;
  std::memcpy(&magic, f.data(), 4);
  REQUIRE(magic == 0xA1B2C3D4u);
  if (linktype != nullptr) std::memcpy(linktype, f.data() + 20, 4);
  std::size_t off = 24;
  while (off < f.size()) {
    REQUIRE(off + 16 <= f.size());
    std::uint32_t sec = 0, usec = 0, incl = 0, orig = 0;
    std::memcpy(&sec, f.data() + off, 4);
    std::memcpy(&usec, f.data() + off + 4, 4);
    std::memcpy(&incl, f.data() + off + 8, 4);
    std::memcpy(&orig, f.data() + off + 12, 4);
    REQUIRE(usec < 1000000u);
    REQUIRE(incl == orig);
    REQUIRE(off + 16 + incl <= f.size());
    out.push_back({static_cast<std::int64_t>(sec) * 1000000 + usec, off + 16, incl});
    off += 16 + incl;
  }
  return out;
}

inline std::vector<bssap::event> parse_truth(const std::string& text) {
  std::vector<bssap::event> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    REQUIRE(nl != std::string::npos);
    std::string error;
    auto e = bssap::parse_json_line(std::string_view(text).substr(pos, nl - pos), &error);
    INFO(error);
    REQUIRE(e.has_value());
    out.push_back(*e);
    pos = nl + 1;
  }
  return out;
}

inline std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("synth_tests_" + std::to_string(::getpid()) + "_" + name);
}

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

// Runs a shell command; returns its exit status and stdout (stderr goes to `err_file` if set).
struct run_result {
  int status = -1;
  std::string out;
};
inline run_result run(const std::string& command) {
  run_result r;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline bool have_tshark() {
  return run("tshark --version >/dev/null 2>&1 && echo ok").out.find("ok") != std::string::npos;
}

}  // namespace synth_test
