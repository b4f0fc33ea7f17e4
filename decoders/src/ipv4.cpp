// IPv4 decoding and IP fragment reassembly. References: see ipv4.hpp.
#include "bssap/decoders/ipv4.hpp"

#include <algorithm>
#include <cstring>

namespace bssap::dec {

decode_error decode_ipv4_into(bytes packet, ipv4_view& v) noexcept {
  byte_cursor c{packet};
  v = ipv4_view{};
  std::uint8_t version_ihl = 0;
  std::uint16_t flags_offset = 0, checksum = 0;
  if (packet.size() < 20) return decode_error::truncated;
  if (!c.u8(version_ihl) || !c.u8(v.tos) || !c.be16(v.total_length) || !c.be16(v.id) || !c.be16(flags_offset) ||
      !c.u8(v.ttl) || !c.u8(v.protocol) || !c.be16(checksum) || !c.be32(v.src) || !c.be32(v.dst))
    return decode_error::truncated;
  if ((version_ihl >> 4) != 4) return decode_error::bad_value;
  const std::size_t ihl = (version_ihl & 0x0F) * 4u;
  if (ihl < 20) return decode_error::bad_value;
  if (v.total_length < ihl) return decode_error::bad_length;
  if (packet.size() < ihl) return decode_error::truncated;
  if (packet.size() < v.total_length) return decode_error::truncated;
  v.header_length = static_cast<std::uint8_t>(ihl);
  v.dont_fragment = (flags_offset & 0x4000) != 0;
  v.more_fragments = (flags_offset & 0x2000) != 0;
  v.fragment_offset = static_cast<std::uint16_t>((flags_offset & 0x1FFF) * 8u);
  v.src_addr = packet.subspan(12, 4);
  v.dst_addr = packet.subspan(16, 4);
  v.payload = packet.subspan(ihl, v.total_length - ihl);
  return decode_error::none;
}

result<ipv4_view> decode_ipv4(bytes packet) noexcept {
  return result_from<ipv4_view>([&](ipv4_view& v) { return decode_ipv4_into(packet, v); });
}

ip_reassembler::ip_reassembler(std::uint32_t slots, std::uint32_t max_bytes)
    : _slot_count(std::max<std::uint32_t>(slots, 1)),
      _max_bytes(std::clamp<std::uint32_t>(max_bytes, 8, 65535)),
      _bitmap_words((_max_bytes / 8 + 1 + 63) / 64),
      _slots(new slot[_slot_count]),
      _arena(new std::byte[std::size_t{_slot_count} * _max_bytes]),
      _bitmap(new std::uint64_t[std::size_t{_slot_count} * _bitmap_words]) {}

std::size_t ip_reassembler::in_progress() const noexcept {
  std::size_t n = 0;
  for (std::uint32_t i = 0; i < _slot_count; ++i) n += _slots[i].used ? 1 : 0;
  return n;
}

result<bytes> ip_reassembler::add(const ip_frag_key& key, std::uint32_t offset, bool more, bytes data,
                                  std::int64_t ts_us) noexcept {
  ++_counters.fragments;
  // Find the datagram, else a free slot, else the oldest one (evicted).
  slot* s = nullptr;
  slot* free_slot = nullptr;
  slot* oldest = nullptr;
  for (std::uint32_t i = 0; i < _slot_count; ++i) {
    slot& c = _slots[i];
    if (!c.used) {
      if (free_slot == nullptr) free_slot = &c;
      continue;
    }
    if (c.key == key) {
      s = &c;
      break;
    }
    if (oldest == nullptr || c.first_ts < oldest->first_ts) oldest = &c;
  }
  const std::size_t end = std::size_t{offset} + data.size();
  const bool bad_size = (more && data.size() % 8 != 0) || end > 65535 || (more && data.empty());
  if (bad_size || end > _max_bytes) {
    if (s != nullptr) release(*s);
    return bad_size ? decode_error::bad_length : decode_error::out_of_memory;
  }
  if (s == nullptr) {
    if (free_slot != nullptr) {
      s = free_slot;
    } else {
      s = oldest;
      ++_counters.evicted;
    }
    s->used = true;
    s->key = key;
    s->first_ts = ts_us;
    s->total = 0;
    s->received = 0;
    std::fill_n(&_bitmap[static_cast<std::size_t>(s - _slots.get()) * _bitmap_words], _bitmap_words, 0);
  }
  const std::size_t index = static_cast<std::size_t>(s - _slots.get());
  std::uint64_t* bits = &_bitmap[index * _bitmap_words];
  std::byte* arena = &_arena[index * _max_bytes];

  if (!more) {
    if ((s->total != 0 && s->total != end) || end == 0) {
      release(*s);
      return decode_error::bad_length;
    }
    s->total = static_cast<std::uint32_t>(end);
  }
  if (s->total != 0 && end > s->total) {
    release(*s);
    return decode_error::bad_length;
  }
  const std::size_t first_block = offset / 8;
  const std::size_t last_block = (end + 7) / 8;  // exclusive
  for (std::size_t b = first_block; b < last_block; ++b) {
    if ((bits[b / 64] >> (b % 64)) & 1u) {
      ++_counters.overlaps;
      release(*s);
      return decode_error::bad_value;
    }
  }
  if (s->total != 0 && s->received + data.size() > s->total) {  // some fragment lies beyond the end
    release(*s);
    return decode_error::bad_length;
  }
  for (std::size_t b = first_block; b < last_block; ++b) bits[b / 64] |= std::uint64_t{1} << (b % 64);
  if (!data.empty()) std::memcpy(arena + offset, data.data(), data.size());
  s->received += static_cast<std::uint32_t>(data.size());
  if (s->total != 0 && s->received == s->total) {
    ++_counters.reassembled;
    release(*s);
    return bytes{arena, s->total};
  }
  return bytes{};
}

void ip_reassembler::expire(std::int64_t now_us, std::int64_t timeout_us) noexcept {
  for (std::uint32_t i = 0; i < _slot_count; ++i) {
    slot& s = _slots[i];
    if (s.used && now_us - s.first_ts > timeout_us) {
      ++_counters.timed_out;
      release(s);
    }
  }
}

}  // namespace bssap::dec
