// packet_stack speed on one core: a bssap-synth capture per transport is generated into memory,
// indexed, then decoded (all layers up to the SCCP span handed to a counting sink) several times.
// Prints frames/s, SCCP messages/s, ns/frame, and heap allocations per frame during decoding
// (counted by the replaced global operator new of heap_count.hpp: the target is 0). It also checks that the
// stack found exactly the SCCP messages the generator wrote (retransmissions skipped), and says
// so in the output ("sccp messages found / generated").
// Rates use the process CPU time, so other jobs on a shared machine do not distort them.
// A second pass per transport decodes the whole stack: each SCCP message (Q.713) and, when it
// carries user data, its BSSAP / BSSMAP / DTAP content into one reused a_message, and prints
// BSSAP messages/s per core: the figure issue 4's target (5 M/s for m3ua) is about. The Iu-CS
// captures (iucs-m3ua, iucs-sua: bssap-synth --interface iucs) decode SCCP or SUA, RANAP and the
// NAS-PDU's DTAP instead, and print RANAP messages/s.
// Usage: bench_decode [about this many packets per capture] (default 300000).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../common/bench_args.hpp"
#include "../common/heap_count.hpp"
#include "../common/instructions.hpp"
#include "bssap/decoders/a_message.hpp"
#include "bssap/decoders/dtap.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "bssap/decoders/ranap.hpp"
#include "bssap/decoders/sccp.hpp"
#include "bssap/decoders/sua.hpp"
#include "bssap/synth/synth.hpp"

namespace {
using bssap::bench::cpu_seconds;

struct frame_ref {
  std::int64_t ts_us;
  const std::byte* data;
  std::size_t size;
};

// Classic little-endian microsecond pcap, as bssap-synth writes it.
bool index_pcap(const std::string& file, std::uint16_t& linktype, std::vector<frame_ref>& out) {
  if (file.size() < 24) return false;
  auto rd32 = [&](std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, file.data() + at, 4);
    return v;
  };
  if (rd32(0) != 0xa1b2c3d4) return false;
  linktype = static_cast<std::uint16_t>(rd32(20));
  std::size_t pos = 24;
  while (pos + 16 <= file.size()) {
    const std::uint32_t caplen = rd32(pos + 8);
    const std::int64_t ts = std::int64_t{rd32(pos)} * 1000000 + rd32(pos + 4);
    pos += 16;
    if (caplen > file.size() - pos) break;
    out.push_back({ts, reinterpret_cast<const std::byte*>(file.data() + pos), caplen});
    pos += caplen;
  }
  return true;
}
}  // namespace

int main(int argc, char** argv) {
  namespace bs = bssap::synth;
  namespace dec = bssap::dec;
  const std::uint64_t packets = bssap::bench::count_arg(
      argc, argv, 1, 300000, "bench_decode [packets per transport] [m3ua|ipa|mtp2|mtp3|iucs-m3ua|iucs-sua]");
  const std::string only = argc > 2 ? argv[2] : "";  // one transport, for profiling
  struct run {
    const char* name;
    bs::transport link;
    bs::interface_kind iface = bs::interface_kind::a;
  };
  const run runs[] = {{"m3ua", bs::transport::m3ua},
                      {"ipa", bs::transport::ipa},
                      {"mtp2", bs::transport::mtp2},
                      {"mtp3", bs::transport::mtp3},
                      {"iucs-m3ua", bs::transport::m3ua, bs::interface_kind::iucs},
                      {"iucs-sua", bs::transport::sua, bs::interface_kind::iucs}};
  int status = 0;
  for (const auto& r : runs) {
    if (!only.empty() && only != r.name) continue;
    bs::config cfg = bs::default_config();
    // A period, not a packet limit, ends the capture, so that no message is cut short at the end
    // and "found / generated" must match exactly. 10000 subscribers make ~330 frames per second.
    cfg.subscribers = 10000;
    cfg.duration_s = static_cast<double>(packets) / 330.0;
    cfg.seed = 11;
    cfg.link = r.link;
    cfg.iface = r.iface;
    // MTP3-only links have no FSN: a repeated MSU cannot be told from a new one (see
    // stack_config::mtp_max_links), so that capture is generated without repeats.
    cfg.retransmit = r.link != bs::transport::mtp3;
    bs::string_sink capture;
    const bs::stats st = bs::generate(cfg, capture, nullptr);
    std::uint16_t lt = 0;
    std::vector<frame_ref> frames;
    frames.reserve(st.packets);
    if (!index_pcap(capture.bytes, lt, frames)) {
      std::fprintf(stderr, "bench_decode: cannot read the %s capture\n", r.name);
      return 1;
    }
    constexpr int repeats = 5;
    std::uint64_t units = 0, first_pass_units = 0, sccp_bytes = 0;
    auto on = [&](const dec::sccp_unit& u) noexcept {
      ++units;
      sccp_bytes += u.sccp.size();
    };
    double cpu = 0;
    std::uint64_t allocations = 0;
    for (int i = 0; i < repeats; ++i) {
      dec::packet_stack stack;  // constructed (and its tables allocated) outside the timed loop
      const auto sink = dec::make_sccp_sink(on);
      const std::uint64_t units_before = units;
      const std::uint64_t a0 = bssap::bench::heap_allocations.load();
      const double c0 = cpu_seconds();
      for (const auto& f : frames) stack.decode(static_cast<dec::linktype>(lt), {f.data, f.size}, f.ts_us, sink);
      cpu += cpu_seconds() - c0;
      allocations += bssap::bench::heap_allocations.load() - a0;
      if (i == 0) first_pass_units = units - units_before;
    }
    const double n = static_cast<double>(frames.size()) * repeats;
    std::printf("| packet_stack %s | frames/s per core (CPU time) | %.0f | frames/s |\n", r.name, n / cpu);
    std::printf("| packet_stack %s | ns/frame | %.1f | ns |\n", r.name, cpu * 1e9 / n);
    std::printf("| packet_stack %s | SCCP messages/s per core | %.0f | messages/s |\n", r.name,
                static_cast<double>(units) / cpu);
    std::printf("| packet_stack %s | MB/s of SCCP handed on | %.1f | MB/s |\n", r.name,
                static_cast<double>(sccp_bytes) / cpu / 1e6);
    std::printf("| packet_stack %s | heap allocations per frame | %.4f | allocations |\n", r.name,
                static_cast<double>(allocations) / n);
    std::printf("| packet_stack %s | sccp messages found / generated | %llu / %llu | messages |\n", r.name,
                static_cast<unsigned long long>(first_pass_units), static_cast<unsigned long long>(st.messages));
    if (first_pass_units != st.messages || allocations != 0) status = 1;

    // Whole stack: frame -> SCCP (or SUA) -> BSSAP -> BSSMAP/DTAP (embedded layer 3 included);
    // on Iu-CS -> RANAP -> the NAS-PDU's DTAP (a RANAP message without one counts when its
    // RANAP decodes). "BSSAP messages" are then RANAP messages.
    const bool iu = r.iface == bs::interface_kind::iucs;
    std::uint64_t bssap_ok = 0, bssap_failed = 0, sccp_failed = 0;
    dec::decode_stats full_stats;
    dec::a_message decoded;  // reused: no 1.3 KiB value per message
    dec::sccp_message sccp;  // likewise, as the probe's flow decoder does
    dec::dtap_message nas;
    auto full = [&](const dec::sccp_unit& u) noexcept {
      const dec::decode_error e = u.kind == dec::transport::sua
                                      ? dec::decode_sua_into(u.sccp, sccp, &full_stats)
                                      : dec::decode_sccp_into(u.sccp, dec::sccp_options{}, sccp, &full_stats);
      if (e != dec::decode_error::none) {
        ++sccp_failed;
        return;
      }
      if (!sccp.has_data) return;
      bool ok = false;
      if (iu) {
        const auto ranap = dec::decode_ranap(sccp.data, &full_stats);
        ok = ranap && (!ranap->has_nas_pdu || dec::decode_dtap_into(ranap->nas_pdu, dec::link_direction::unknown, nas,
                                                                    &full_stats) == dec::decode_error::none);
      } else {
        ok = dec::decode_bssap_into(sccp.data, dec::link_direction::unknown, decoded, &full_stats) ==
             dec::decode_error::none;
      }
      if (ok)
        ++bssap_ok;
      else
        ++bssap_failed;
    };
    double full_cpu = 0;
    std::uint64_t full_allocations = 0, full_instructions = 0;
    bssap::bench::instruction_counter counter;  // per process: opened outside the timed loop
    for (int i = 0; i < repeats; ++i) {
      dec::packet_stack stack;
      const auto sink = dec::make_sccp_sink(full);
      const std::uint64_t a0 = bssap::bench::heap_allocations.load();
      const double c0 = cpu_seconds();
      counter.start();
      for (const auto& f : frames) stack.decode(static_cast<dec::linktype>(lt), {f.data, f.size}, f.ts_us, sink);
      full_instructions += counter.stop();
      full_cpu += cpu_seconds() - c0;
      full_allocations += bssap::bench::heap_allocations.load() - a0;
    }
    std::printf("| full stack %s | %s | %.0f | messages/s |\n", r.name,
                iu ? "RANAP messages/s per core (frame to RANAP and NAS DTAP fields)"
                   : "BSSAP messages/s per core (frame to BSSMAP/DTAP fields)",
                static_cast<double>(bssap_ok) / full_cpu);
    std::printf("| full stack %s | ns/frame | %.1f | ns |\n", r.name, full_cpu * 1e9 / n);
    if (counter.available() && bssap_ok != 0)
      std::printf("| full stack %s | instructions per %s message | %.0f | instructions |\n", r.name,
                  iu ? "RANAP" : "BSSAP", static_cast<double>(full_instructions) / static_cast<double>(bssap_ok));
    else
      std::printf(
          "| full stack %s | instructions per %s message | n/a (no hardware counter: perf_event_open) | "
          "instructions |\n",
          r.name, iu ? "RANAP" : "BSSAP");
    std::printf("| full stack %s | heap allocations per frame | %.4f | allocations |\n", r.name,
                static_cast<double>(full_allocations) / n);
    std::printf("| full stack %s | %s decoded / failed, SCCP failed (per pass) | %llu / %llu, %llu | messages |\n",
                r.name, iu ? "RANAP" : "BSSAP", static_cast<unsigned long long>(bssap_ok / repeats),
                static_cast<unsigned long long>(bssap_failed / repeats),
                static_cast<unsigned long long>(sccp_failed / repeats));
    if (full_allocations != 0 || sccp_failed != 0 || bssap_failed != 0) status = 1;
  }
  return status;
}
