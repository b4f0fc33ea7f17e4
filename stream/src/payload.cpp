// The event bus payload, version 1 (layout and reasons in payload.hpp).
#include "bssap/stream/payload.hpp"

#include <fmt/format.h>

#include <cstring>

namespace bssap::stream {
namespace {

constexpr std::uint16_t known_fields = f_imsi | f_tmsi | f_imei | f_lai | f_cell | f_peer | f_cause | f_duration |
                                       f_prev_imei | f_prev_lac | f_prev_cell | f_link | f_lac;

template <class T>
void put(std::string& out, T v) {
  // Little-endian whatever the host (x86 and ARM both are; the loop keeps it explicit).
  using U = std::make_unsigned_t<T>;
  auto u = static_cast<U>(v);
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<char>(u & 0xff));
    if constexpr (sizeof(T) > 1) u = static_cast<U>(u >> 8);
  }
}

template <std::size_t N>
void put_str(std::string& out, const fixed_string<N>& s) {
  static_assert(N <= 255, "a str is at most 255 bytes");
  put<std::uint8_t>(out, static_cast<std::uint8_t>(s.size));
  out.append(s.chars.data(), s.size);
}

void put_header(payload_kind kind, std::string_view source, std::int64_t ts_us, std::string& out) {
  if (source.size() > max_source_name) source = source.substr(0, max_source_name);
  put<std::uint8_t>(out, payload_version);
  put<std::uint8_t>(out, static_cast<std::uint8_t>(kind));
  put<std::uint8_t>(out, static_cast<std::uint8_t>(source.size()));
  out.append(source);
  put<std::int64_t>(out, ts_us);
}

// A bounds-checked reader: every get fails (and stays failed) past the end.
class reader {
 public:
  explicit reader(std::span<const std::uint8_t> p) : _p(p) {}
  template <class T>
  bool get(T& v) {
    if (_p.size() - _at < sizeof(T)) return fail("truncated");
    std::make_unsigned_t<T> u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      u = static_cast<decltype(u)>(u | (static_cast<decltype(u)>(_p[_at + i]) << (8 * i)));
    v = static_cast<T>(u);
    _at += sizeof(T);
    return true;
  }
  bool get_bytes(std::size_t n, std::string_view& out) {
    if (_p.size() - _at < n) return fail("truncated");
    out = std::string_view(reinterpret_cast<const char*>(_p.data() + _at), n);
    _at += n;
    return true;
  }
  template <std::size_t N>
  bool get_str(fixed_string<N>& s, const char* name) {
    std::uint8_t n = 0;
    std::string_view bytes;
    if (!get(n)) return false;
    if (n > N) return fail(fmt::format("{}: {} bytes, at most {}", name, n, N));
    if (!get_bytes(n, bytes)) return false;
    (void)s.assign(bytes);
    return true;
  }
  bool fail(std::string why) {
    if (_error.empty()) _error = fmt::format("payload byte {}: {}", _at, why);
    return false;
  }
  bool at_end() const { return _at == _p.size(); }
  std::size_t at() const { return _at; }
  const std::string& error() const { return _error; }

 private:
  std::span<const std::uint8_t> _p;
  std::size_t _at = 0;
  std::string _error;
};

}  // namespace

void encode(payload_kind kind, std::string_view source, const event& e, std::string& out) {
  put_header(kind, source, e.ts_us, out);
  if (kind != payload_kind::event) return;
  put<std::uint8_t>(out, static_cast<std::uint8_t>(e.type));
  const auto present = static_cast<std::uint16_t>(e.present & known_fields);
  put<std::uint16_t>(out, present);
  if ((present & f_imsi) != 0) put_str(out, e.imsi);
  if ((present & f_tmsi) != 0) put<std::uint32_t>(out, e.tmsi);
  if ((present & f_imei) != 0) put_str(out, e.imei);
  if ((present & f_lai) != 0) {
    put_str(out, e.mcc);
    put_str(out, e.mnc);
    put<std::uint16_t>(out, e.lac);
  }
  if ((present & f_cell) != 0) put<std::uint32_t>(out, e.cell);
  if ((present & f_peer) != 0) put_str(out, e.peer);
  if ((present & f_cause) != 0) put<std::int32_t>(out, e.cause);
  if ((present & f_duration) != 0) put<std::int64_t>(out, e.duration_ms);
  if ((present & f_prev_imei) != 0) put_str(out, e.prev_imei);
  if ((present & f_prev_lac) != 0) put<std::uint16_t>(out, e.prev_lac);
  if ((present & f_prev_cell) != 0) put<std::uint32_t>(out, e.prev_cell);
  if ((present & f_link) != 0) put_str(out, e.link);
  if ((present & f_lac) != 0) put<std::uint16_t>(out, e.lac);
}

void encode_progress(payload_kind kind, std::string_view source, std::int64_t ts_us, std::string& out) {
  put_header(kind, source, ts_us, out);
}

std::optional<message> decode(std::span<const std::uint8_t> payload, std::string* error) {
  reader r(payload);
  message m;
  auto failed = [&]() -> std::optional<message> {
    if (error != nullptr) *error = r.error();
    return std::nullopt;
  };
  std::uint8_t version = 0, kind = 0, source_size = 0;
  std::string_view source;
  if (!r.get(version)) return failed();
  if (version != payload_version) {
    r.fail(fmt::format("version {}, this reader knows {}", version, payload_version));
    return failed();
  }
  if (!r.get(kind)) return failed();
  if (kind < 1 || kind > 3) {
    r.fail(fmt::format("unknown kind {}", kind));
    return failed();
  }
  m.kind = static_cast<payload_kind>(kind);
  if (!r.get(source_size)) return failed();
  if (source_size > max_source_name) {
    r.fail(fmt::format("source name of {} bytes, at most {}", source_size, max_source_name));
    return failed();
  }
  if (!r.get_bytes(source_size, source)) return failed();
  m.source.assign(source);
  event& e = m.ev;
  if (!r.get(e.ts_us)) return failed();
  if (m.kind == payload_kind::event) {
    std::uint8_t type = 0;
    if (!r.get(type)) return failed();
    if (type >= event_type_count) {
      r.fail(fmt::format("unknown event type {}", type));
      return failed();
    }
    e.type = static_cast<event_type>(type);
    if (!r.get(e.present)) return failed();
    if ((e.present & ~known_fields) != 0) {
      r.fail(fmt::format("unknown field bits {:#06x}", e.present & ~known_fields));
      return failed();
    }
    if ((e.present & f_lai) != 0 && (e.present & f_lac) != 0) {
      r.fail("lai and lac-only both present");
      return failed();
    }
    bool ok = true;
    if (ok && e.has(f_imsi)) ok = r.get_str(e.imsi, "imsi");
    if (ok && e.has(f_tmsi)) ok = r.get(e.tmsi);
    if (ok && e.has(f_imei)) ok = r.get_str(e.imei, "imei");
    if (ok && e.has(f_lai)) ok = r.get_str(e.mcc, "mcc") && r.get_str(e.mnc, "mnc") && r.get(e.lac);
    if (ok && e.has(f_cell)) ok = r.get(e.cell);
    if (ok && e.has(f_peer)) ok = r.get_str(e.peer, "peer");
    if (ok && e.has(f_cause)) ok = r.get(e.cause);
    if (ok && e.has(f_duration)) ok = r.get(e.duration_ms);
    if (ok && e.has(f_prev_imei)) ok = r.get_str(e.prev_imei, "prev_imei");
    if (ok && e.has(f_prev_lac)) ok = r.get(e.prev_lac);
    if (ok && e.has(f_prev_cell)) ok = r.get(e.prev_cell);
    if (ok && e.has(f_link)) ok = r.get_str(e.link, "link");
    if (ok && e.has(f_lac)) ok = r.get(e.lac);
    if (!ok) return failed();
  }
  if (!r.at_end()) {
    r.fail(fmt::format("{} trailing bytes", payload.size() - r.at()));
    return failed();
  }
  return m;
}

}  // namespace bssap::stream
