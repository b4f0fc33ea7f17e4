// SCTP decoding and per-direction state. References: see sctp.hpp.
#include "bssap/decoders/sctp.hpp"

#include <algorithm>
#include <cstring>

#include "bssap/decoders/crc32c.hpp"

namespace bssap::dec {

namespace {

// RFC 2960 Appendix B (Adler-32 over the packet with a zero checksum field, stored big-endian).
std::uint32_t adler32_zeroed_checksum(bytes packet) noexcept {
  constexpr std::uint32_t mod = 65521;
  std::uint32_t a = 1, b = 0;
  for (std::size_t i = 0; i < packet.size(); ++i) {
    const std::uint32_t d = (i >= 8 && i < 12) ? 0 : u8_at(packet, i);
    a = (a + d) % mod;
    b = (b + a) % mod;
  }
  return b << 16 | a;
}

}  // namespace

decode_error decode_sctp_into(bytes packet, bool verify_crc, bool accept_adler32, bool drop_bad,
                              sctp_view& v) noexcept {
  byte_cursor c{packet};
  v = sctp_view{};
  if (!c.be16(v.src_port) || !c.be16(v.dst_port) || !c.be32(v.vtag) || !c.be32(v.checksum))
    return decode_error::truncated;
  if (verify_crc) {
    // Appendix B: CRC over the whole packet with the checksum field as zeros; the result is
    // stored least significant byte first, so the field read big-endian is byte-swapped.
    static constexpr std::byte zeros[4]{};
    std::uint32_t crc = crc32c_update(0xFFFFFFFFu, packet.first(8));
    crc = crc32c_update(crc, bytes{zeros, 4});
    crc = crc32c_update(crc, packet.subspan(12)) ^ 0xFFFFFFFFu;
    const std::uint32_t stored =
        (v.checksum >> 24) | ((v.checksum >> 8) & 0xFF00) | ((v.checksum << 8) & 0xFF0000) | (v.checksum << 24);
    if (crc == stored) {
      v.checksum_kind = sctp_checksum_kind::crc32c;
    } else if (accept_adler32 && adler32_zeroed_checksum(packet) == v.checksum) {
      v.checksum_kind = sctp_checksum_kind::adler32;
    } else if (drop_bad) {
      return decode_error::bad_checksum;
    } else {
      v.checksum_kind = sctp_checksum_kind::bad;
    }
  }
  v.chunks = c.rest();
  return decode_error::none;
}

result<sctp_view> decode_sctp(bytes packet, bool verify_crc, bool accept_adler32, bool drop_bad) noexcept {
  return result_from<sctp_view>(
      [&](sctp_view& v) { return decode_sctp_into(packet, verify_crc, accept_adler32, drop_bad, v); });
}

decode_error sctp_chunk_reader::next_into(sctp_chunk_view& ch) noexcept {
  ch = sctp_chunk_view{};
  byte_cursor save = _c;
  if (!_c.u8(ch.type) || !_c.u8(ch.flags) || !_c.be16(ch.length) || ch.length < 4 ||
      !_c.take(ch.length - 4u, ch.value)) {
    _c = save;
    _failed = true;
    return decode_error::bad_length;
  }
  // 3.2: padding up to 4 octets; a sender may leave it out after the last chunk.
  const std::size_t pad = (4 - ch.length % 4) % 4;
  if (!_c.skip(pad)) (void)_c.skip(_c.remaining());
  return decode_error::none;
}

result<sctp_chunk_view> sctp_chunk_reader::next() noexcept {
  return result_from<sctp_chunk_view>([&](sctp_chunk_view& ch) { return next_into(ch); });
}

decode_error decode_sctp_data_into(const sctp_chunk_view& chunk, sctp_data_view& d) noexcept {
  byte_cursor c{chunk.value};
  d = sctp_data_view{};
  if (!c.be32(d.tsn) || !c.be16(d.stream_id) || !c.be16(d.stream_seq) || !c.be32(d.ppid))
    return decode_error::bad_length;
  if (c.empty()) return decode_error::bad_length;
  d.unordered = (chunk.flags & 0x04) != 0;
  d.begin = (chunk.flags & 0x02) != 0;
  d.end = (chunk.flags & 0x01) != 0;
  d.user_data = c.rest();
  return decode_error::none;
}

result<sctp_data_view> decode_sctp_data(const sctp_chunk_view& chunk) noexcept {
  return result_from<sctp_data_view>([&](sctp_data_view& d) { return decode_sctp_data_into(chunk, d); });
}

bool tsn_window::accept(std::uint32_t tsn) noexcept {
  if (!_initialised) {
    _bits.fill(0);
    _highest = tsn;
    _initialised = true;
    set(tsn);
    return true;
  }
  const auto ahead = static_cast<std::int32_t>(tsn - _highest);
  if (ahead > 0) {
    if (static_cast<std::uint32_t>(ahead) >= window) {
      _bits.fill(0);
    } else {
      for (std::uint32_t t = _highest + 1; t != tsn; ++t) clear(t);
      clear(tsn);
    }
    _highest = tsn;
    set(tsn);
    return true;
  }
  if (static_cast<std::uint32_t>(-static_cast<std::int64_t>(ahead)) >= window) return false;  // too old
  if (test(tsn)) return false;
  set(tsn);
  return true;
}

sctp_reassembler::sctp_reassembler(std::uint32_t slots, std::uint32_t max_bytes)
    : _slot_count(std::max<std::uint32_t>(slots, 1)),
      _max_bytes(std::max<std::uint32_t>(max_bytes, 16)),
      _slots(new slot[_slot_count]),
      _arena(new std::byte[std::size_t{_slot_count} * _max_bytes]) {}

result<bytes> sctp_reassembler::add(const sctp_reasm_key& key, const sctp_data_view& chunk,
                                    std::int64_t ts_us) noexcept {
  slot* s = nullptr;
  slot* free_slot = nullptr;
  for (std::uint32_t i = 0; i < _slot_count; ++i) {
    slot& c = _slots[i];
    if (!c.used) {
      if (free_slot == nullptr) free_slot = &c;
    } else if (c.key == key) {
      s = &c;
      break;
    }
  }
  if (chunk.begin) {
    if (s != nullptr) {  // a B while a message was in progress: the previous one lost its end
      ++_counters.dropped;
    } else if (free_slot != nullptr) {
      s = free_slot;
    } else {
      ++_counters.dropped;
      return decode_error::out_of_memory;
    }
    s->used = true;
    s->key = key;
    s->first_ts = ts_us;
    s->size = 0;
  } else if (s == nullptr || chunk.tsn != s->next_tsn) {
    if (s != nullptr) s->used = false;
    ++_counters.dropped;
    return decode_error::truncated;
  }
  if (std::size_t{s->size} + chunk.user_data.size() > _max_bytes) {
    s->used = false;
    ++_counters.dropped;
    return decode_error::out_of_memory;
  }
  std::byte* arena = &_arena[static_cast<std::size_t>(s - _slots.get()) * _max_bytes];
  std::memcpy(arena + s->size, chunk.user_data.data(), chunk.user_data.size());
  s->size += static_cast<std::uint32_t>(chunk.user_data.size());
  s->next_tsn = chunk.tsn + 1;
  if (chunk.end) {
    s->used = false;
    ++_counters.reassembled;
    return bytes{arena, s->size};
  }
  return bytes{};
}

void sctp_reassembler::expire(std::int64_t now_us, std::int64_t timeout_us) noexcept {
  for (std::uint32_t i = 0; i < _slot_count; ++i) {
    slot& s = _slots[i];
    if (s.used && now_us - s.first_ts > timeout_us) {
      s.used = false;
      ++_counters.timed_out;
    }
  }
}

void sctp_reassembler::forget(std::uint64_t direction_id) noexcept {
  for (std::uint32_t i = 0; i < _slot_count; ++i) {
    slot& s = _slots[i];
    if (s.used && s.key.direction_id == direction_id) {
      s.used = false;
      ++_counters.dropped;
    }
  }
}

}  // namespace bssap::dec
