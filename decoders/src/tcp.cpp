// TCP decoding and stream reassembly. References: see tcp.hpp.
#include "bssap/decoders/tcp.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "bssap/decoders/ipa.hpp"

namespace bssap::dec {

result<tcp_view> decode_tcp(bytes segment) noexcept {
  byte_cursor c{segment};
  tcp_view v;
  std::uint8_t offset_reserved = 0;
  std::uint16_t checksum = 0, urgent = 0;
  if (!c.be16(v.src_port) || !c.be16(v.dst_port) || !c.be32(v.seq) || !c.be32(v.ack) || !c.u8(offset_reserved) ||
      !c.u8(v.flags) || !c.be16(v.window) || !c.be16(checksum) || !c.be16(urgent))
    return decode_error::truncated;
  const std::size_t header_length = (offset_reserved >> 4) * 4u;
  if (header_length < 20) return decode_error::bad_value;
  if (segment.size() < header_length) return decode_error::truncated;
  v.header_length = static_cast<std::uint8_t>(header_length);
  v.payload = segment.subspan(header_length);
  return v;
}

std::size_t find_ipa_boundary(bytes data) noexcept {
  // First an offset from which whole messages fill the segment exactly (senders usually end a
  // segment on a message end), then one whose last message continues in the next segment.
  for (const bool partial_tail : {false, true}) {
    for (std::size_t off = 0; off + ipa_header_length <= data.size(); ++off) {
      if (ipa_chain_plausible(data.subspan(off), partial_tail)) return off;
    }
  }
  return data.size();
}

tcp_reassembler::tcp_reassembler(std::uint32_t buffers, std::uint32_t buffer_bytes)
    : _buffer_count(std::max<std::uint32_t>(buffers, 1)),
      _buffer_bytes(std::max<std::uint32_t>(buffer_bytes, 64)),
      _arena(new std::byte[std::size_t{_buffer_count} * _buffer_bytes]),
      _free(new std::int32_t[_buffer_count]),
      _free_count(_buffer_count) {
  for (std::uint32_t i = 0; i < _buffer_count; ++i) _free[i] = static_cast<std::int32_t>(_buffer_count - 1 - i);
}

bool tcp_reassembler::acquire(tcp_stream& s) noexcept {
  if (s.buffer >= 0) return true;
  if (_free_count == 0) return false;
  s.buffer = _free[--_free_count];
  return true;
}

void tcp_reassembler::release(tcp_stream& s) noexcept {
  if (s.buffer >= 0) _free[_free_count++] = s.buffer;
  s.buffer = -1;
  s.contig = 0;
  s.range_count = 0;
}

std::uint32_t tcp_reassembler::held_end(const tcp_stream& s) const noexcept {
  return s.range_count > 0 ? s.ranges[2 * (s.range_count - 1) + 1] : s.contig;
}

void tcp_reassembler::drop_all(tcp_stream& s) noexcept {
  std::uint64_t held = s.contig;
  for (std::size_t i = 0; i < s.range_count; ++i) held += s.ranges[2 * i + 1] - s.ranges[2 * i];
  _counters.bytes_dropped += held;
  release(s);
  s.synced = false;
  s.skip = 0;
}

std::size_t tcp_reassembler::drain(tcp_stream& s, bytes front, ipa_consumer consumer) noexcept {
  std::size_t used = 0;
  if (s.skip > 0) {
    const std::size_t n = std::min<std::size_t>(s.skip, front.size());
    s.skip -= static_cast<std::uint32_t>(n);
    used = n;
    if (s.skip > 0) return used;
  }
  if (consumer.fn == nullptr) return front.size();
  const auto out = consumer.fn(consumer.ctx, front.subspan(used), _buffer_bytes);
  used += out.consumed;
  if (out.skip_after > 0) {
    s.skip = static_cast<std::uint32_t>(out.skip_after);
    ++_counters.oversized_messages;
  }
  return used;
}

void tcp_reassembler::compact(tcp_stream& s, std::size_t used) noexcept {
  if (used == 0) return;
  const std::uint32_t end = held_end(s);
  std::memmove(buf(s), buf(s) + used, end - used);
  s.base_seq += static_cast<std::uint32_t>(used);
  s.contig -= static_cast<std::uint32_t>(used);
  for (std::size_t i = 0; i < 2u * s.range_count; ++i) s.ranges[i] -= static_cast<std::uint32_t>(used);
}

void tcp_reassembler::merge_ranges(tcp_stream& s) noexcept {
  while (s.range_count > 0 && s.ranges[0] <= s.contig) {
    s.contig = std::max(s.contig, s.ranges[1]);
    for (std::size_t i = 0; i + 1 < s.range_count; ++i) {
      s.ranges[2 * i] = s.ranges[2 * i + 2];
      s.ranges[2 * i + 1] = s.ranges[2 * i + 3];
    }
    --s.range_count;
  }
}

bool tcp_reassembler::add_range(tcp_stream& s, std::uint32_t start, std::uint32_t end) noexcept {
  std::array<std::pair<std::uint32_t, std::uint32_t>, tcp_max_ooo_ranges + 1> all{};
  std::size_t n = 0;
  bool inserted = false;
  for (std::size_t i = 0; i < s.range_count; ++i) {
    if (!inserted && start < s.ranges[2 * i]) {
      all[n++] = {start, end};
      inserted = true;
    }
    all[n++] = {s.ranges[2 * i], s.ranges[2 * i + 1]};
  }
  if (!inserted) all[n++] = {start, end};
  std::size_t m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (m > 0 && all[i].first <= all[m - 1].second) {
      all[m - 1].second = std::max(all[m - 1].second, all[i].second);
    } else {
      all[m++] = all[i];
    }
  }
  if (m > tcp_max_ooo_ranges) return false;
  for (std::size_t i = 0; i < m; ++i) {
    s.ranges[2 * i] = all[i].first;
    s.ranges[2 * i + 1] = all[i].second;
  }
  s.range_count = static_cast<std::uint8_t>(m);
  return true;
}

void tcp_reassembler::in_order(tcp_stream& s, bytes payload, ipa_consumer consumer, decode_stats& stats) noexcept {
  if (s.buffer < 0) {
    // Fast path: parse straight from the segment, keep only an incomplete tail.
    const std::size_t used = drain(s, payload, consumer);
    s.base_seq += static_cast<std::uint32_t>(used);
    const bytes rest = payload.subspan(used);
    if (rest.empty()) return;
    if (rest.size() > _buffer_bytes || !acquire(s)) {
      stats.count(layer::tcp, decode_error::out_of_memory);
      _counters.bytes_dropped += rest.size();
      s.synced = false;
      return;
    }
    std::memcpy(buf(s), rest.data(), rest.size());
    s.contig = static_cast<std::uint32_t>(rest.size());
    return;
  }
  while (!payload.empty()) {
    const std::size_t space = _buffer_bytes - s.contig;
    if (space == 0) {  // cannot happen with a consumer that skips oversized messages; stay safe
      _counters.bytes_dropped += payload.size();
      drop_all(s);
      return;
    }
    const std::size_t n = std::min(space, payload.size());
    std::memcpy(buf(s) + s.contig, payload.data(), n);  // may rewrite out-of-order bytes: same stream octets
    s.contig += static_cast<std::uint32_t>(n);
    payload = payload.subspan(n);
    merge_ranges(s);
    const std::size_t used = drain(s, bytes{buf(s), s.contig}, consumer);
    compact(s, used);
  }
  if (s.contig == 0 && s.range_count == 0) release(s);
}

void tcp_reassembler::unsynced(tcp_stream& s, std::uint32_t seq, bytes payload, ipa_consumer consumer,
                               decode_stats& stats) noexcept {
  const std::size_t off = find_ipa_boundary(payload);
  if (off >= payload.size()) {
    _counters.bytes_dropped += payload.size();
    return;
  }
  ++_counters.midstream_resyncs;
  _counters.bytes_dropped += off;
  release(s);
  s.synced = true;
  s.skip = 0;
  s.base_seq = seq + static_cast<std::uint32_t>(off);
  in_order(s, payload.subspan(off), consumer, stats);
}

void tcp_reassembler::segment(tcp_stream& s, const tcp_view& seg, std::int64_t ts_us, ipa_consumer consumer,
                              decode_stats& stats) noexcept {
  std::uint32_t seq = seg.seq;
  bytes payload = seg.payload;
  if (seg.syn()) {
    // RFC 9293 3.4: the SYN occupies one sequence number; data (if any) follows it. A SYN
    // retransmitted with the same ISN changes nothing; another ISN is a new connection.
    if (!(s.have_isn && s.isn == seq)) {
      release(s);
      s = tcp_stream{};
      s.synced = true;
      s.have_isn = true;
      s.isn = seq;
      s.base_seq = seq + 1;
    }
    seq += 1;
  }
  if (payload.empty()) return;
  if (!s.synced) {
    unsynced(s, seq, payload, consumer, stats);
    return;
  }
  const std::uint32_t expected = s.base_seq + s.contig;
  const auto ahead = static_cast<std::int32_t>(seq - expected);
  if (ahead < 0) {
    const auto behind = static_cast<std::uint64_t>(-static_cast<std::int64_t>(ahead));
    if (behind >= payload.size()) {
      ++_counters.retransmitted_segments;
      return;
    }
    payload = payload.subspan(behind);  // the front was delivered already
    seq = expected;
  }
  if (seq == expected) {
    in_order(s, payload, consumer, stats);
    return;
  }
  // Ahead of a hole: keep it until the hole fills.
  if (!acquire(s)) {
    stats.count(layer::tcp, decode_error::out_of_memory);
    _counters.bytes_dropped += payload.size();
    return;
  }
  const std::uint64_t start = seq - s.base_seq;
  const std::uint64_t end = start + payload.size();
  if (end > _buffer_bytes || !add_range(s, static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(end))) {
    // The hole cannot fill within our bounds: skip it and pick the stream up again here.
    ++_counters.gaps_skipped;
    drop_all(s);
    unsynced(s, seq, payload, consumer, stats);
    return;
  }
  std::memcpy(buf(s) + start, payload.data(), payload.size());
  if (s.range_count == 1 && s.ranges[0] == start && s.ranges[1] == end) s.ooo_since = ts_us;
  ++_counters.out_of_order_segments;
}

void tcp_reassembler::expire(tcp_stream& s, std::int64_t now_us, std::int64_t timeout_us) noexcept {
  if (s.range_count > 0 && now_us - s.ooo_since > timeout_us) {
    ++_counters.gaps_skipped;
    drop_all(s);
  } else if (s.buffer >= 0 && s.range_count == 0 && s.contig == 0) {
    release(s);
  }
}

}  // namespace bssap::dec
