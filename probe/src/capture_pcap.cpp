// libpcap sources: file replay (pcap, pcapng, gzip-compressed either, several files merged in
// time order) and live capture on one or more interfaces; plus the status line / progress bar.
#define _GNU_SOURCE 1  // fopencookie
#include <fcntl.h>
#include <fmt/format.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

#include "bssap/probe/capture.hpp"

namespace bssap::probe {

std::atomic<bool> g_stop_requested{false};

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool known_linktype(int dlt) {
  switch (dlt) {
    case 1:
    case 101:
    case 113:
    case 139:
    case 140:
    case 141:
    case 228:
    case 229:
    case 276:
      return true;
    case DLT_RAW:  // 12 or 14 depending on the platform: raw IP
      return true;
    default:
      return false;
  }
}

dec::linktype to_linktype(int dlt) {
  if (dlt == DLT_RAW) return dec::linktype::raw;
  return static_cast<dec::linktype>(dlt);
}

// gzip through zlib, handed to libpcap as a FILE* (fopencookie): no temporary file.
ssize_t gz_read(void* cookie, char* buf, size_t size) {
  const int n = gzread(static_cast<gzFile>(cookie), buf, static_cast<unsigned>(size));
  return n < 0 ? -1 : n;
}
int gz_close(void* cookie) {
  return gzclose(static_cast<gzFile>(cookie)) == Z_OK ? 0 : -1;
}

// Classic pcap files are read from a memory map: libpcap's per-frame fread (a checked copy
// of every frame into its buffer) was the capture thread's largest cost in replay. libpcap still
// opens the file (header validation, link type); records are then walked in the map with the
// same checks libpcap makes. pcapng and gzip stay with libpcap.
struct mapped_pcap {
  const unsigned char* base = nullptr;
  std::size_t size = 0;
  std::size_t offset = 24;  // after the file header
  bool swapped = false;     // file written on a machine of the other byte order
  bool nanos = false;       // a1b23c4d: nanosecond timestamps
  ~mapped_pcap() {
    if (base != nullptr) munmap(const_cast<unsigned char*>(base), size);
  }
  std::uint32_t u32(std::size_t at) const noexcept {
    std::uint32_t v;
    std::memcpy(&v, base + at, 4);
    return swapped ? __builtin_bswap32(v) : v;
  }
};

// Maps `path` when it is a classic pcap file (either byte order, micro- or nanosecond).
std::unique_ptr<mapped_pcap> map_classic_pcap(const std::string& path, std::uint64_t size) {
  if (size < 24) return nullptr;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) != size) {
    ::close(fd);  // a pipe or device, or a file changing under us: libpcap reads it
    return nullptr;
  }
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) return nullptr;
  auto mp = std::make_unique<mapped_pcap>();
  mp->base = static_cast<const unsigned char*>(m);
  mp->size = size;
  ::madvise(m, size, MADV_SEQUENTIAL);
  std::uint32_t magic;
  std::memcpy(&magic, mp->base, 4);
  switch (magic) {
    case 0xa1b2c3d4:
      break;
    case 0xa1b23c4d:
      mp->nanos = true;
      break;
    case 0xd4c3b2a1:
      mp->swapped = true;
      break;
    case 0x4d3cb2a1:
      mp->swapped = mp->nanos = true;
      break;
    default:
      return nullptr;  // pcapng or other: libpcap reads it
  }
  return mp;
}

struct input_file {
  std::string path;
  pcap_t* handle = nullptr;
  std::unique_ptr<mapped_pcap> map;
  pcap_pkthdr map_hdr{};
  gzFile gz = nullptr;  // when compressed (owned by the FILE* cookie)
  std::FILE* raw = nullptr;
  int dlt = 0;
  std::uint64_t size = 0;
  // the next frame (libpcap keeps it valid until the next pcap_next_ex on this handle)
  bool has_next = false;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  std::int64_t ts_us = 0;

  ~input_file() {
    if (handle != nullptr) pcap_close(handle);
  }
  std::uint64_t position() const {
    if (map) return map->offset;
    if (gz != nullptr) return static_cast<std::uint64_t>(gzoffset(gz));
    if (raw != nullptr) {
      const long p = std::ftell(raw);
      return p > 0 ? static_cast<std::uint64_t>(p) : 0;
    }
    return 0;
  }
  // false at end of file; error set on a read error
  bool advance(std::string& error) {
    if (map) return advance_mapped(error);
    const int rc = pcap_next_ex(handle, &hdr, &data);
    if (rc == 1) {
      has_next = true;
      ts_us = static_cast<std::int64_t>(hdr->ts.tv_sec) * 1'000'000 + hdr->ts.tv_usec;
      return true;
    }
    has_next = false;
    if (rc == PCAP_ERROR) error = fmt::format("{}: {}", path, pcap_geterr(handle));
    return false;
  }
  // A record header (ts_sec, ts_frac, caplen, len) and caplen octets; the same errors as libpcap
  // for a cut record or an impossible length.
  bool advance_mapped(std::string& error) {
    has_next = false;
    mapped_pcap& m = *map;
    const std::size_t left = m.size - m.offset;
    if (left == 0) return false;
    if (left < 16) {
      error = fmt::format("{}: truncated dump file; tried to read 16 header bytes, only got {}", path, left);
      return false;
    }
    const std::uint32_t sec = m.u32(m.offset), frac = m.u32(m.offset + 4);
    const std::uint32_t caplen = m.u32(m.offset + 8), len = m.u32(m.offset + 12);
    if (caplen > max_caplen) {
      error =
          fmt::format("{}: invalid packet capture length {}, bigger than the maximum of {}", path, caplen, max_caplen);
      return false;
    }
    if (caplen > left - 16) {
      error =
          fmt::format("{}: truncated dump file; tried to read {} captured bytes, only got {}", path, caplen, left - 16);
      return false;
    }
    map_hdr.ts.tv_sec = static_cast<time_t>(sec);
    map_hdr.ts.tv_usec = static_cast<suseconds_t>(m.nanos ? frac / 1000 : frac);
    map_hdr.caplen = caplen;
    map_hdr.len = len;
    hdr = &map_hdr;
    data = m.base + m.offset + 16;
    m.offset += 16 + std::size_t{caplen};
    has_next = true;
    ts_us = static_cast<std::int64_t>(sec) * 1'000'000 + static_cast<std::int64_t>(map_hdr.ts.tv_usec);
    return true;
  }
  static constexpr std::uint32_t max_caplen = 262144;  // libpcap's MAXIMUM_SNAPLEN
};

bool open_input(input_file& f, std::string& error) {
  std::error_code ec;
  if (!std::filesystem::exists(f.path, ec)) {
    error = fmt::format("{}: no such file", f.path);
    return false;
  }
  f.size = std::filesystem::file_size(f.path, ec);
  std::FILE* fp = std::fopen(f.path.c_str(), "rb");
  if (fp == nullptr) {
    error = fmt::format("{}: {}", f.path, std::strerror(errno));
    return false;
  }
  unsigned char magic[2] = {0, 0};
  const bool gzip = std::fread(magic, 1, 2, fp) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  std::rewind(fp);
  if (gzip) {
    std::fclose(fp);
    f.gz = gzopen(f.path.c_str(), "rb");
    if (f.gz == nullptr) {
      error = fmt::format("{}: cannot open gzip stream", f.path);
      return false;
    }
    gzbuffer(f.gz, 1 << 18);
    cookie_io_functions_t io{};
    io.read = gz_read;
    io.close = gz_close;
    fp = fopencookie(f.gz, "rb", io);
    if (fp == nullptr) {
      gzclose(f.gz);
      error = fmt::format("{}: cannot open gzip stream", f.path);
      return false;
    }
  } else {
    f.raw = fp;
    std::setvbuf(fp, nullptr, _IOFBF, 1 << 18);
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  f.handle = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (f.handle == nullptr) {
    std::fclose(fp);
    f.gz = nullptr;
    f.raw = nullptr;
    error = fmt::format("{}: not a readable pcap or pcapng file ({})", f.path, errbuf);
    return false;
  }
  f.dlt = pcap_datalink(f.handle);
  if (!known_linktype(f.dlt)) {
    error = fmt::format("{}: unsupported link type {} ({})", f.path, f.dlt,
                        pcap_datalink_val_to_name(f.dlt) ? pcap_datalink_val_to_name(f.dlt) : "?");
    return false;
  }
  if (!gzip) f.map = map_classic_pcap(f.path, f.size);
  return true;
}

}  // namespace

status_reporter::status_reporter(double stats_interval_s, bool progress_bar, bool status_line)
    : _interval(stats_interval_s), _bar(progress_bar), _line(status_line) {
  _start = _last_line = _last_bar = _last_status = now_s();
}

// live / dpdk on a terminal: "live 1234 pkt/s 56 ev/s | drops kernel 0 interface 0 queue 0 |
// 12 conns | smpp 3/64", redrawn in place twice a second.
void status_reporter::draw_status_line(const pipeline& p, double t) noexcept {
  const auto& tot = p.totals();
  std::uint64_t events = 0;
  for (auto e : p.correlation().stats().events) events += e;
  const double dt = t - _last_status;
  const double pps = dt > 0 ? static_cast<double>(tot.packets - _status_packets) / dt : 0;
  const double eps = dt > 0 ? static_cast<double>(events - _status_events) / dt : 0;
  char line[256];
  int n = std::snprintf(line, sizeof line,
                        "\r\033[Klive %.0f pkt/s %.0f ev/s | drops kernel %llu interface %llu queue %llu | %zu conns",
                        pps, eps, static_cast<unsigned long long>(_counters ? _counters->kernel_drops : 0),
                        static_cast<unsigned long long>(_counters ? _counters->interface_drops : 0),
                        static_cast<unsigned long long>(tot.queue_drops), p.correlation().open_connections());
  if (_window && n > 0 && static_cast<std::size_t>(n) < sizeof line) {
    if (const auto w = _window())
      std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), " | smpp %llu/%llu",
                    static_cast<unsigned long long>(w->in_flight), static_cast<unsigned long long>(w->size));
  }
  std::fputs(line, stderr);
  std::fflush(stderr);
  _bar_drawn = true;
  _last_status = t;
  _status_packets = tot.packets;
  _status_events = events;
}

void status_reporter::tick(const pipeline& p, std::uint64_t done, std::uint64_t total,
                           std::uint64_t kernel_drops) noexcept {
  const double t = now_s();
  if (_publish && t - _last_publish >= _publish_interval) {
    _last_publish = t;
    _publish(p);
  }
  if (_interval > 0 && t - _last_line >= _interval) {
    const auto& tot = p.totals();
    const double pps = static_cast<double>(tot.packets - _last_packets) / (t - _last_line);
    const auto& cs = p.correlation().stats();
    std::uint64_t events = 0;
    for (auto e : cs.events) events += e;
    if (_bar_drawn) std::fputs("\r\033[K", stderr);
    std::fprintf(stderr,
                 "stats: packets=%llu rate=%.0f/s records=%llu events=%llu unresolved=%llu queue_drops=%llu "
                 "kernel_drops=%llu connections=%zu subscribers=%zu",
                 static_cast<unsigned long long>(tot.packets), pps, static_cast<unsigned long long>(tot.records),
                 static_cast<unsigned long long>(events), static_cast<unsigned long long>(cs.unresolved_events),
                 static_cast<unsigned long long>(tot.queue_drops), static_cast<unsigned long long>(kernel_drops),
                 p.correlation().open_connections(), p.correlation().subscriber_count());
    if (_trigger != nullptr)
      std::fprintf(stderr, " trigger_drops=%llu", static_cast<unsigned long long>(_trigger->totals().dropped));
    std::fputc('\n', stderr);
    _last_line = t;
    _last_packets = tot.packets;
  }
  if (_bar && total > 0 && t - _last_bar >= 0.2) {
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    const double elapsed = t - _start;
    const double rate = static_cast<double>(p.totals().packets) / (elapsed > 0 ? elapsed : 1);
    const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
    constexpr int width = 30;
    const int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(width - filled), ' ');
    std::fprintf(stderr, "\r[%s] %5.1f%% %.2f Mpkt/s ETA %02d:%02d ", bar.c_str(), frac * 100, rate / 1e6,
                 static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
    _bar_drawn = true;
    _last_bar = t;
  }
  if (_line && t - _last_status >= 0.5) draw_status_line(p, t);
}

void status_reporter::finish() noexcept {
  if (_bar_drawn) std::fputs("\r\033[K", stderr);  // the summary starts on a clean line
  _bar_drawn = false;
}

bool run_replay(const replay_options& options, pipeline& p, status_reporter& status, capture_counters& counters,
                std::string& error) {
  std::vector<std::unique_ptr<input_file>> files;
  std::uint64_t total_bytes = 0;
  for (const auto& path : options.files) {
    auto f = std::make_unique<input_file>();
    f->path = path;
    if (!open_input(*f, error)) return false;
    total_bytes += f->size;
    files.push_back(std::move(f));
  }
  for (auto& f : files) {
    if (!f->advance(error) && !error.empty()) return false;
  }
  const double wall_start = now_s();
  std::int64_t first_ts = -1;
  std::uint64_t n = 0;
  for (;;) {
    if (g_stop_requested.load(std::memory_order_relaxed)) break;
    // The file whose next frame is earliest (ties: the earlier file on the command line).
    input_file* next = nullptr;
    for (auto& f : files)
      if (f->has_next && (next == nullptr || f->ts_us < next->ts_us)) next = f.get();
    if (next == nullptr) break;
    if (options.speed > 0) {
      if (first_ts < 0) first_ts = next->ts_us;
      const double due = wall_start + static_cast<double>(next->ts_us - first_ts) / 1e6 / options.speed;
      for (double t = now_s(); t < due && !g_stop_requested.load(std::memory_order_relaxed); t = now_s()) {
        p.idle();
        status.tick(p, 0, 0, 0);  // paced replay: statistics lines keep coming while waiting
        std::this_thread::sleep_for(std::chrono::duration<double>(std::min(due - t, 0.05)));
      }
    }
    if (next->hdr->caplen < next->hdr->len) counters.truncated_frames += 1;
    p.push_packet(to_linktype(next->dlt), {reinterpret_cast<const std::byte*>(next->data), next->hdr->caplen},
                  next->ts_us, next->hdr->len);
    if ((++n & 4095) == 0) {
      std::uint64_t done = 0;
      for (auto& f : files) done += f->has_next ? f->position() : f->size;
      status.tick(p, done, total_bytes, 0);
      p.maybe_snapshot();
    }
    if (!next->advance(error) && !error.empty()) return false;
  }
  return true;
}

bool run_live(const live_options& options, pipeline& p, status_reporter& status, capture_counters& counters,
              std::string& error) {
  struct iface {
    std::string name;
    pcap_t* handle = nullptr;
    int dlt = 0;
    ~iface() {
      if (handle != nullptr) pcap_close(handle);
    }
  };
  std::vector<std::unique_ptr<iface>> ifs;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  for (const auto& name : options.interfaces) {
    auto i = std::make_unique<iface>();
    i->name = name;
    i->handle = pcap_create(name.c_str(), errbuf);
    if (i->handle == nullptr) {
      error = fmt::format("{}: {}", name, errbuf);
      return false;
    }
    pcap_set_snaplen(i->handle, options.snaplen);
    pcap_set_promisc(i->handle, 1);
    pcap_set_timeout(i->handle, 10);
    pcap_set_buffer_size(i->handle, options.buffer_mb * 1024 * 1024);
    pcap_set_tstamp_precision(i->handle, PCAP_TSTAMP_PRECISION_MICRO);
    const int rc = pcap_activate(i->handle);
    if (rc < 0) {
      if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
        error = fmt::format("{}: no such interface", name);
      else if (rc == PCAP_ERROR_PERM_DENIED)
        error = fmt::format("{}: permission denied (run as root or grant CAP_NET_RAW)", name);
      else
        error = fmt::format("{}: {}", name, pcap_geterr(i->handle));
      return false;
    }
    i->dlt = pcap_datalink(i->handle);
    if (!known_linktype(i->dlt)) {
      error = fmt::format("{}: unsupported link type {}", name, i->dlt);
      return false;
    }
    if (!options.filter.empty()) {
      bpf_program prog{};
      if (pcap_compile(i->handle, &prog, options.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        error = fmt::format("bad filter \"{}\": {}", options.filter, pcap_geterr(i->handle));
        return false;
      }
      const int set = pcap_setfilter(i->handle, &prog);
      pcap_freecode(&prog);
      if (set != 0) {
        error = fmt::format("{}: cannot set filter: {}", name, pcap_geterr(i->handle));
        return false;
      }
    }
    if (pcap_setnonblock(i->handle, 1, errbuf) != 0) {
      error = fmt::format("{}: {}", name, errbuf);
      return false;
    }
    ifs.push_back(std::move(i));
  }
  if (options.after_open && !options.after_open(error)) return false;
  std::vector<pollfd> fds;
  for (auto& i : ifs) fds.push_back(pollfd{pcap_get_selectable_fd(i->handle), POLLIN, 0});
  // Per-interface figures, sized here once: the callback updates them in place.
  counters.interfaces.assign(ifs.size(), capture_source{});
  for (std::size_t k = 0; k < ifs.size(); ++k) counters.interfaces[k].interface = ifs[k]->name;
  struct ctx_t {
    pipeline* p;
    capture_counters* counters;
    capture_source* source;
    dec::linktype lt;
  };
  auto kernel_drops = [&]() {
    std::uint64_t drops = 0, ifdrops = 0;
    for (std::size_t k = 0; k < ifs.size(); ++k) {
      pcap_stat st{};
      if (pcap_stats(ifs[k]->handle, &st) == 0) {
        drops += st.ps_drop;
        ifdrops += st.ps_ifdrop;
        counters.interfaces[k].kernel_drops = st.ps_drop;
        counters.interfaces[k].interface_drops = st.ps_ifdrop;
      }
    }
    counters.kernel_drops = drops;
    counters.interface_drops = ifdrops;
    return drops;
  };
  while (!g_stop_requested.load(std::memory_order_relaxed)) {
    const int ready = ::poll(fds.data(), fds.size(), 50);
    if (ready < 0 && errno != EINTR) {
      error = fmt::format("poll: {}", std::strerror(errno));
      return false;
    }
    bool any = false;
    for (std::size_t k = 0; k < ifs.size(); ++k) {
      ctx_t ctx{&p, &counters, &counters.interfaces[k], to_linktype(ifs[k]->dlt)};
      const int n = pcap_dispatch(
          ifs[k]->handle, 256,
          [](u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
            auto* c = reinterpret_cast<ctx_t*>(user);
            if (h->caplen < h->len) c->counters->truncated_frames += 1;
            c->source->packets += 1;
            c->source->bytes += h->caplen;
            if (!c->p->push_packet(c->lt, {reinterpret_cast<const std::byte*>(bytes), h->caplen},
                                   static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000 + h->ts.tv_usec, h->len))
              c->source->queue_drops += 1;
          },
          reinterpret_cast<u_char*>(&ctx));
      if (n == PCAP_ERROR) {
        error = fmt::format("{}: {}", ifs[k]->name, pcap_geterr(ifs[k]->handle));
        return false;
      }
      if (n > 0) any = true;
    }
    if (!any) p.idle();
    status.tick(p, 0, 0, kernel_drops());
    p.maybe_snapshot();
  }
  kernel_drops();
  return true;
}

}  // namespace bssap::probe
