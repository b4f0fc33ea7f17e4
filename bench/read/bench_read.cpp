// The floor under any capture reader, for bench/run's "against the limit" figures (issue 16):
//   bench_read pcap FILE   a bare libpcap loop, pcap_next_ex until the end, counting packets
//   bench_read scan FILE   the file mapped and every 8-byte word summed (a memory scan: what
//                          reading the bytes costs at all, with no per-packet work)
// Prints "packets N" (pcap) or "bytes N checksum C" (scan) on stdout; bench/run times the whole
// process, as it does the replay beside it, so that start-up and page-cache reads count alike.
#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

int count_packets(const char* path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path, err);
  if (p == nullptr) {
    std::fprintf(stderr, "bench_read: %s\n", err);
    return 1;
  }
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  std::uint64_t packets = 0;
  int rc = 0;
  while ((rc = pcap_next_ex(p, &header, &data)) == 1) ++packets;
  if (rc == PCAP_ERROR) {
    std::fprintf(stderr, "bench_read: %s: %s\n", path, pcap_geterr(p));
    pcap_close(p);
    return 1;
  }
  pcap_close(p);
  std::printf("packets %llu\n", static_cast<unsigned long long>(packets));
  return 0;
}

int scan(const char* path) {
  const int fd = ::open(path, O_RDONLY);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    std::fprintf(stderr, "bench_read: cannot open %s: %s\n", path, std::strerror(errno));
    return 1;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = size == 0 ? nullptr : ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) {
    std::fprintf(stderr, "bench_read: cannot map %s: %s\n", path, std::strerror(errno));
    return 1;
  }
  const auto* bytes = static_cast<const unsigned char*>(map);
  std::uint64_t sum = 0;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, bytes + i, 8);
    sum += w;
  }
  for (; i < size; ++i) sum += bytes[i];
  if (map != nullptr) ::munmap(map, size);
  std::printf("bytes %zu checksum %llu\n", size, static_cast<unsigned long long>(sum));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "pcap") == 0) return count_packets(argv[2]);
  if (argc == 3 && std::strcmp(argv[1], "scan") == 0) return scan(argv[2]);
  std::fprintf(stderr, "usage: bench_read pcap|scan FILE\n");
  return 2;
}
