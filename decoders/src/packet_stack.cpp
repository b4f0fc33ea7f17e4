// packet_stack: link -> IP -> SCTP/M3UA | TCP/IPA | MTP2/MTP3 -> SCCP, with all flow state.
// References: see packet_stack.hpp and each layer's header.
#include "bssap/decoders/packet_stack.hpp"

#include <algorithm>
#include <cstring>

#include "bssap/decoders/dispatch.hpp"
#include "bssap/decoders/hash.hpp"
#include "bssap/decoders/ipa.hpp"
#include "bssap/decoders/ipv4.hpp"
#include "bssap/decoders/ipv6.hpp"
#include "bssap/decoders/m3ua.hpp"
#include "bssap/decoders/mtp2.hpp"
#include "bssap/decoders/rua.hpp"
#include "bssap/decoders/sctp.hpp"
#include "bssap/decoders/sua.hpp"
#include "bssap/decoders/tcp.hpp"
#include "fixed_table.hpp"
#include "flow_keys.hpp"

namespace bssap::dec {
namespace {

using detail::address;
using detail::copy_address;
using detail::fixed_table;
using detail::flow_key;
using detail::make_flow_key;
using detail::point_code_pair_hash;
using detail::same_address;

// SCTP per sending direction, keyed by what every packet of that direction carries whatever
// path it takes (multi-homing): the verification tag and the ports (RFC 4960 8.5).
struct sctp_direction_key {
  std::uint32_t vtag = 0;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  bool operator==(const sctp_direction_key&) const noexcept = default;
  std::uint64_t hash() const noexcept {
    hasher h(0x53);
    h.add(std::uint64_t{vtag} << 32 | std::uint64_t{src_port} << 16 | dst_port);
    return h.done();
  }
};
struct sctp_direction_state {
  tsn_window tsns;
  std::uint64_t id = 0;  // unique per state: keys the fragment reassembly
  // The flow id and direction of the IP path this direction's last DATA packet took, so that a
  // packet on the same path (nearly all of them) skips building and hashing the flow key.
  bool has_path = false;
  std::uint8_t path_version = 0;
  std::uint8_t path_direction = 0;
  address path_src{};
  address path_dst{};
  std::uint64_t path_flow_id = 0;
};

struct tcp_connection {
  std::array<tcp_stream, 2> dir{};
  bool closed = false;  // both FINs or a RST seen: later data is a late retransmission
};

// One direction of an MTP2 link: the content hash of the last MSU taken per FSN (mod 128).
struct mtp_link_key {
  std::uint32_t opc = 0;
  std::uint32_t dpc = 0;
  std::uint32_t link = 0;  // DLT 139 link number, 0x10000 for DLT 140
  bool operator==(const mtp_link_key&) const noexcept = default;
  std::uint64_t hash() const noexcept {
    hasher h(0x4C);
    h.add(std::uint64_t{opc} << 32 | dpc);
    h.add(link);
    return h.done();
  }
};
struct mtp_link_state {
  std::array<std::uint32_t, 128> msu_hash{};  // 0: none seen at this FSN
};

std::uint32_t content_hash(bytes b) noexcept {
  hasher h(0x43);
  h.add_bytes(reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
  return static_cast<std::uint32_t>(h.done()) | 1u;  // never 0
}

struct ip_context {
  address src{};
  address dst{};
  std::uint8_t version = 4;
};

}  // namespace

struct packet_stack::impl {
  stack_config config;
  decode_stats stats;
  mutable stack_counters counters;
  ip_reassembler ip_reasm;
  fixed_table<sctp_direction_key, sctp_direction_state> sctp_dirs;
  sctp_reassembler sctp_reasm;
  fixed_table<flow_key, tcp_connection> tcp_flows;
  tcp_reassembler tcp_reasm;
  fixed_table<mtp_link_key, mtp_link_state> mtp_links;
  std::uint64_t next_direction_id = 1;

  explicit impl(const stack_config& c)
      : config(c),
        ip_reasm(c.ip_reasm_slots, c.ip_reasm_bytes),
        sctp_dirs(c.sctp_max_associations * 2u),
        sctp_reasm(c.sctp_reasm_slots, c.sctp_reasm_bytes),
        tcp_flows(c.tcp_max_flows),
        tcp_reasm(c.tcp_buffers, c.tcp_buffer_bytes),
        mtp_links(c.mtp_max_links) {
    config.ipa_port_count = std::min<std::uint8_t>(config.ipa_port_count, config.ipa_ports.size());
  }

  void emit(const sccp_unit& u, sccp_sink sink) noexcept {
    ++counters.sccp_units;
    sink(u);
  }

  // Whether the frame being decoded was cut by the capture's snaplen (see packet_stack::decode).
  bool frame_cut = false;

  // The error of a decoder that reads the frame's own headers and length fields (link, IP, TCP,
  // SCTP, SUA, M3UA, MTP): running out of captured octets is the capture's doing only in a cut
  // frame; in a frame captured whole it is a lying length (or a runt), the sender's doing.
  decode_error framed(decode_error e) const noexcept {
    return e == decode_error::truncated && !frame_cut ? decode_error::bad_length : e;
  }

  // ---- link ----
  void decode(linktype lt, bytes frame, std::int64_t ts, sccp_sink sink) noexcept {
    ++counters.frames;
    link_view lv;
    const decode_error link_error = decode_link_into(lt, frame, lv);
    if (link_error != decode_error::none) {
      stats.count(layer::link, framed(link_error));
      return;
    }
    const link_view* const link = &lv;
    switch (link->next) {
      case network_proto::ipv4:
        ipv4(link->payload, ts, sink);
        return;
      case network_proto::ipv6:
        ipv6(link->payload, ts, sink);
        return;
      case network_proto::mtp2:
        mtp2(link->payload, link->mtp2_annex_a == 1, lt == linktype::mtp2_phdr ? link->mtp2_link : 0x10000u, ts, sink);
        return;
      case network_proto::mtp3:
        mtp3(link->payload, ts, sink);
        return;
      case network_proto::other:
        ++counters.not_ip;
        return;
    }
  }

  // ---- IP ----
  void ipv4(bytes packet, std::int64_t ts, sccp_sink sink) noexcept {
    ipv4_view iv;
    const decode_error ip_error = decode_ipv4_into(packet, iv);
    if (ip_error != decode_error::none) {
      stats.count(layer::ipv4, framed(ip_error));
      return;
    }
    const ipv4_view* const v = &iv;
    frame_cut = false;  // the datagram's total length fits the captured octets: whatever ends early inside it, the
                        // sender sent so
    ip_context ctx;
    copy_address(ctx.src, v->src_addr);
    copy_address(ctx.dst, v->dst_addr);
    ctx.version = 4;
    bytes payload = v->payload;
    if (v->is_fragment()) {
      ip_frag_key key;
      key.src = ctx.src;
      key.dst = ctx.dst;
      key.id = v->id;
      key.protocol = v->protocol;
      key.version = 4;
      const auto r = ip_reasm.add(key, v->fragment_offset, v->more_fragments, payload, ts);
      if (!r) {
        stats.count(layer::ipv4, r.error());
        return;
      }
      if (r->empty()) return;
      payload = *r;
    }
    transport(v->protocol, payload, ctx, ts, sink);
  }

  void ipv6(bytes packet, std::int64_t ts, sccp_sink sink) noexcept {
    const auto v = decode_ipv6(packet);
    if (!v) {
      stats.count(layer::ipv6, framed(v.error()));
      return;
    }
    frame_cut = false;  // as for IPv4: the payload length fits the captured octets
    ip_context ctx;
    copy_address(ctx.src, v->src_addr);
    copy_address(ctx.dst, v->dst_addr);
    ctx.version = 6;
    bytes payload = v->payload;
    std::uint8_t next = v->next_header;
    if (v->is_fragment) {
      ip_frag_key key;
      key.src = ctx.src;
      key.dst = ctx.dst;
      key.id = v->fragment_id;
      key.protocol = next;
      key.version = 6;
      const auto r = ip_reasm.add(key, v->fragment_offset, v->more_fragments, payload, ts);
      if (!r) {
        stats.count(layer::ipv6, r.error());
        return;
      }
      if (r->empty()) return;
      // Extension headers of the fragmentable part (RFC 8200 4.5) precede the upper layer.
      const auto rest = ipv6_skip_extensions(next, *r);
      if (!rest) {
        stats.count(layer::ipv6, rest.error());
        return;
      }
      payload = *rest;
    }
    transport(next, payload, ctx, ts, sink);
  }

  void transport(std::uint8_t protocol, bytes payload, const ip_context& ctx, std::int64_t ts,
                 sccp_sink sink) noexcept {
    if (protocol == ip_proto_sctp) {
      sctp(payload, ctx, ts, sink);
    } else if (protocol == ip_proto_tcp) {
      tcp(payload, ctx, ts, sink);
    } else {
      ++counters.ip_other_protocol;
    }
  }

  // ---- SCTP / M3UA ----
  sctp_direction_state* sctp_direction(const sctp_direction_key& key, std::int64_t ts) noexcept {
    const std::uint64_t h = key.hash();
    auto* e = sctp_dirs.find(key, h);
    if (e == nullptr) {
      if (sctp_dirs.full()) {
        auto* victim = sctp_dirs.oldest();
        sctp_reasm.forget(victim->value.id);
        sctp_dirs.erase(victim);
        ++counters.sctp_assocs_evicted;
      }
      e = sctp_dirs.insert(key, h, ts);
      e->value.id = next_direction_id++;
    }
    e->last_seen = ts;
    return &e->value;
  }

  void sctp(bytes packet, const ip_context& ctx, std::int64_t ts, sccp_sink sink) noexcept {
    ++counters.sctp_packets;
    sctp_view hv;
    const decode_error sctp_error =
        decode_sctp_into(packet, config.verify_sctp_crc, config.accept_sctp_adler32, config.strict_sctp_checksums, hv);
    if (sctp_error != decode_error::none) {
      stats.count(layer::sctp, framed(sctp_error));
      return;
    }
    const sctp_view* const h = &hv;
    if (h->checksum_kind == sctp_checksum_kind::adler32) ++counters.sctp_adler32_packets;
    const bool bad_checksum = h->checksum_kind == sctp_checksum_kind::bad;
    if (bad_checksum) ++counters.sctp_bad_checksum_decoded;
    sctp_direction_state* state = nullptr;
    sctp_chunk_reader reader(h->chunks);
    while (!reader.done()) {
      sctp_chunk_view chunk;
      const decode_error chunk_error = reader.next_into(chunk);
      if (chunk_error != decode_error::none) {
        stats.count(layer::sctp, framed(chunk_error));
        break;
      }
      const sctp_chunk_view* const ch = &chunk;
      if (ch->type != sctp_chunk_data) {
        ++counters.sctp_chunks_by_type[ch->type];
        continue;
      }
      sctp_data_view data;
      const decode_error data_error = decode_sctp_data_into(chunk, data);
      if (data_error != decode_error::none) {
        stats.count(layer::sctp, framed(data_error));
        continue;
      }
      const sctp_data_view* const d = &data;
      if (state == nullptr) {
        state = sctp_direction({h->vtag, h->src_port, h->dst_port}, ts);
        // The ports are part of the direction's key; the addresses may change (multi-homing).
        if (!state->has_path || state->path_version != ctx.version || !same_address(state->path_src, ctx.src) ||
            !same_address(state->path_dst, ctx.dst)) {
          const flow_key fk =
              make_flow_key(ctx.src, ctx.dst, h->src_port, h->dst_port, ctx.version, state->path_direction);
          state->path_flow_id = fk.hash(ip_proto_sctp);
          state->path_src = ctx.src;
          state->path_dst = ctx.dst;
          state->path_version = ctx.version;
          state->has_path = true;
        }
      }
      // A failed checksum may mean a corrupted TSN (not only an offloaded one): such a chunk is
      // not allowed to move the window a whole window ahead, which would make every later TSN
      // of this direction look old (RFC 4960 6.8 trusts nothing in a packet that fails).
      if (bad_checksum && state->tsns.would_jump(d->tsn)) {
        ++counters.sctp_bad_checksum_tsn_jumps;
        continue;
      }
      // A packet with a failed checksum goes through the same window: it and a retransmission
      // of it (good checksum or not) are decoded once (RFC 4960 6.2: duplicates by TSN).
      if (!state->tsns.accept(d->tsn)) {
        ++counters.sctp_retransmissions_skipped;
        stats.count(layer::sctp, decode_error::duplicate);
        continue;
      }
      ++counters.sctp_data_chunks;
      // dispatch.hpp: by PPID, or by port where a stack sends PPID 0 (Wireshark decodes those too).
      const sctp_user user = sctp_user_of(d->ppid, h->src_port, h->dst_port);
      const bool is_sua = user == sctp_user::sua;
      const bool is_rua = user == sctp_user::rua;
      if (user == sctp_user::other) {
        ++counters.sctp_ppid_other;
        continue;
      }
      bytes message = d->user_data;
      if (!(d->begin && d->end)) {
        const auto r = sctp_reasm.add({state->id, d->stream_id, d->unordered}, *d, ts);
        if (!r) {
          stats.count(layer::sctp, r.error());
          continue;
        }
        if (r->empty()) continue;
        message = *r;
      }
      if (is_sua) {
        sua(message, state->path_flow_id, state->path_direction, ts, sink);
      } else if (is_rua) {
        // TS 25.468: one RUA-PDU per DATA chunk; the SCCP half decodes it.
        ++counters.rua_messages;
        sccp_unit u;
        u.ts_us = ts;
        u.kind = transport::rua;
        u.flow_id = state->path_flow_id;
        u.direction = state->path_direction;
        u.sccp = message;
        emit(u, sink);
      } else
        m3ua(message, state->path_flow_id, state->path_direction, ts, sink);
    }
  }

  // RFC 3868: one SUA message per DATA chunk (a chunk may in principle hold several: walked by
  // their lengths). CL/CO messages go on whole as units; the SCCP half decodes them.
  void sua(bytes message, std::uint64_t flow_id, std::uint8_t direction, std::int64_t ts, sccp_sink sink) noexcept {
    while (!message.empty()) {
      sua_header h;
      if (const decode_error e = decode_sua_header(message, h); e != decode_error::none) {
        stats.count(layer::sua, framed(e));
        return;
      }
      if (!sua_carries_sccp(h)) {
        ++counters.sua_other;
      } else {
        ++counters.sua_messages;
        sccp_unit u;
        u.ts_us = ts;
        u.kind = transport::sua;
        u.flow_id = flow_id;
        u.direction = direction;
        u.sccp = message.subspan(0, h.length);
        emit(u, sink);
      }
      message = message.subspan(std::min<std::size_t>((h.length + 3) & ~std::size_t{3}, message.size()));
    }
  }

  void m3ua(bytes message, std::uint64_t flow_id, std::uint8_t direction, std::int64_t ts, sccp_sink sink) noexcept {
    while (!message.empty()) {
      std::size_t consumed = 0;
      m3ua_view view;
      const decode_error m3ua_error = decode_m3ua_into(message, consumed, view);
      const m3ua_view* const v = &view;
      if (m3ua_error == decode_error::none) ++counters.m3ua_messages;
      if (m3ua_error != decode_error::none) {
        stats.count(layer::m3ua, framed(m3ua_error));
        if (consumed == 0) return;
      } else if (!v->is_data) {
        ++counters.m3ua_non_data_by_class_type[std::min<std::uint8_t>(v->msg_class, 15)]
                                              [std::min<std::uint8_t>(v->msg_type, 15)];
      } else {
        ++counters.m3ua_data;
        const auto& pd = v->data;
        if (pd.si != si_sccp) {
          ++counters.non_sccp_by_si[pd.si & 0x0F];
        } else if (pd.user_data.empty()) {
          stats.count(layer::m3ua, decode_error::bad_length);
        } else {
          sccp_unit u;
          u.ts_us = ts;
          u.kind = transport::m3ua;
          u.flow_id = flow_id;
          u.direction = direction;
          u.opc = pd.opc;
          u.dpc = pd.dpc;
          u.si = pd.si;
          u.ni = pd.ni;
          u.sls = pd.sls;
          u.mp = pd.mp;
          // Pointer and size read apart: the decoder stored them apart, and one 16-octet load of
          // the pair would wait for store forwarding.
          u.sccp = bytes{pd.user_data.data(), pd.user_data.size()};
          emit(u, sink);
        }
      }
      message = message.subspan(std::min(consumed, message.size()));
    }
  }

  // ---- TCP / IPA ----
  bool is_ipa_port(std::uint16_t port) const noexcept {
    for (std::size_t i = 0; i < config.ipa_port_count; ++i) {
      if (config.ipa_ports[i] == port) return true;
    }
    return false;
  }

  struct ipa_context {
    impl* self;
    std::uint64_t flow_id;
    std::uint8_t direction;
    std::int64_t ts;
    sccp_sink sink;
  };

  static ipa_consumer::outcome consume_ipa(void* p, bytes data, std::size_t buffer_bytes) noexcept {
    auto& ctx = *static_cast<ipa_context*>(p);
    impl& self = *ctx.self;
    std::size_t pos = 0;
    while (data.size() - pos >= ipa_header_length) {
      const std::size_t total = ipa_header_length + (std::size_t{u8_at(data, pos)} << 8 | u8_at(data, pos + 1));
      const std::size_t available = data.size() - pos;
      if (total > available) {
        if (total > buffer_bytes) {  // cannot be buffered: skip it by its length
          self.stats.count(layer::ipa, decode_error::out_of_memory);
          return {data.size(), total - available};
        }
        break;
      }
      std::size_t consumed = 0;
      const auto m = decode_ipa(data.subspan(pos), consumed);
      pos += total;
      if (!m) continue;  // cannot happen: total <= available
      ++self.counters.ipa_messages;
      if (m->stream_id != ipa_stream_sccp) {
        ++self.counters.ipa_non_sccp_by_stream[m->stream_id];
      } else if (m->payload.empty()) {
        self.stats.count(layer::ipa, decode_error::bad_length);
      } else {
        sccp_unit u;
        u.ts_us = ctx.ts;
        u.kind = transport::ipa;
        u.flow_id = ctx.flow_id;
        u.direction = ctx.direction;
        u.sccp = m->payload;
        self.emit(u, ctx.sink);
      }
    }
    return {pos, 0};
  }

  void close_connection(tcp_connection& c) noexcept {
    tcp_reasm.release(c.dir[0]);
    tcp_reasm.release(c.dir[1]);
    c.closed = true;
  }

  void tcp(bytes segment, const ip_context& ctx, std::int64_t ts, sccp_sink sink) noexcept {
    ++counters.tcp_segments;
    const auto t = decode_tcp(segment);
    if (!t) {
      stats.count(layer::tcp, framed(t.error()));
      return;
    }
    if (t->syn()) ++counters.tcp_syn;
    if (t->fin()) ++counters.tcp_fin;
    if (t->rst()) ++counters.tcp_rst;
    std::uint8_t direction = 0;
    const flow_key fk = make_flow_key(ctx.src, ctx.dst, t->src_port, t->dst_port, ctx.version, direction);
    const std::uint64_t flow_id = fk.hash(ip_proto_tcp);
    auto* e = tcp_flows.find(fk, flow_id);
    if (e == nullptr) {
      if (t->rst()) return;
      if (!is_ipa_port(t->src_port) && !is_ipa_port(t->dst_port)) {
        // Another port: IPA only when the payload is exactly a chain of plausible IPA messages.
        if (!config.ipa_detect_any_port || t->payload.empty() || !ipa_chain_plausible(t->payload, false)) {
          ++counters.tcp_not_ipa;
          return;
        }
        ++counters.tcp_flows_ipa_detected;
      }
      if (tcp_flows.full()) {
        auto* victim = tcp_flows.oldest();
        close_connection(victim->value);
        tcp_flows.erase(victim);
        ++counters.tcp_flows_evicted;
      }
      e = tcp_flows.insert(fk, flow_id, ts);
    }
    e->last_seen = ts;
    tcp_connection& c = e->value;
    if (t->rst()) {
      close_connection(c);
      return;
    }
    if (c.closed) {
      if (!t->syn()) {
        if (!t->payload.empty()) ++tcp_retransmitted_closed;
        return;
      }
      c = tcp_connection{};  // a new connection on the same ports
    }
    ipa_context ictx{this, flow_id, direction, ts, sink};
    tcp_reasm.segment(c.dir[direction], *t, ts, ipa_consumer{&ictx, &consume_ipa}, stats);
    if (t->fin()) {
      c.dir[direction].fin = true;
      if (c.dir[0].fin && c.dir[1].fin) close_connection(c);
    }
  }

  // ---- MTP ----
  void mtp2(bytes su, bool annex_a, std::uint32_t link, std::int64_t ts, sccp_sink sink) noexcept {
    const auto v = decode_mtp2(su, annex_a);
    if (!v) {
      stats.count(layer::mtp2, framed(v.error()));
      return;
    }
    switch (v->kind) {
      case mtp2_unit::fisu:
        ++counters.mtp2_fisu;
        return;
      case mtp2_unit::lssu:
        ++counters.mtp2_lssu;
        return;
      case mtp2_unit::msu:
        mtp3(v->payload, ts, sink, link, v->fsn);
        return;
    }
  }

  // Q.703 5.2/6.3: a retransmitted MSU carries the FSN it had the first time.
  bool mtp2_retransmission(const mtp3_view& v, bytes msu, std::uint32_t link, std::uint16_t fsn,
                           std::int64_t ts) noexcept {
    const mtp_link_key key{v.opc, v.dpc, link};
    const std::uint64_t h = key.hash();
    auto* e = mtp_links.find(key, h);
    if (e == nullptr) {
      if (mtp_links.full()) {
        mtp_links.erase(mtp_links.oldest());
        ++counters.mtp_links_evicted;
      }
      e = mtp_links.insert(key, h, ts);
    }
    e->last_seen = ts;
    const std::uint32_t c = content_hash(msu);
    std::uint32_t& slot = e->value.msu_hash[fsn % 128];
    if (slot == c) return true;
    slot = c;
    return false;
  }

  void mtp3(bytes msu, std::int64_t ts, sccp_sink sink, std::uint32_t link = 0, int fsn = -1) noexcept {
    const auto v = decode_mtp3(msu, config.pc_format);
    if (!v) {
      stats.count(layer::mtp3, framed(v.error()));
      return;
    }
    if (fsn >= 0 && mtp2_retransmission(*v, msu, link, static_cast<std::uint16_t>(fsn), ts)) {
      ++counters.mtp2_retransmissions_skipped;
      stats.count(layer::mtp2, decode_error::duplicate);
      return;
    }
    ++counters.mtp3_msus;
    if (v->si != si_sccp) {
      ++counters.non_sccp_by_si[v->si];
      return;
    }
    if (v->payload.empty()) {
      stats.count(layer::mtp3, decode_error::bad_length);
      return;
    }
    sccp_unit u;
    u.ts_us = ts;
    u.kind = transport::mtp;
    u.flow_id = point_code_pair_hash(v->opc, v->dpc);
    u.direction = v->opc > v->dpc ? 1 : 0;
    u.opc = v->opc;
    u.dpc = v->dpc;
    u.si = v->si;
    u.ni = v->ni;
    u.sls = v->sls;
    u.sccp = v->payload;
    emit(u, sink);
  }

  // ---- housekeeping ----
  void expire(std::int64_t now) noexcept {
    ip_reasm.expire(now, config.reassembly_timeout_us);
    sctp_reasm.expire(now, config.reassembly_timeout_us);
    sctp_dirs.for_each([&](auto& e) {
      if (now - e.last_seen > config.flow_idle_timeout_us) {
        sctp_reasm.forget(e.value.id);
        sctp_dirs.erase(&e);
        ++counters.flows_expired;
      }
    });
    mtp_links.for_each([&](auto& e) {
      if (now - e.last_seen > config.flow_idle_timeout_us) mtp_links.erase(&e);
    });
    tcp_flows.for_each([&](auto& e) {
      if (now - e.last_seen > config.flow_idle_timeout_us) {
        close_connection(e.value);
        tcp_flows.erase(&e);
        ++counters.flows_expired;
        return;
      }
      tcp_reasm.expire(e.value.dir[0], now, config.reassembly_timeout_us);
      tcp_reasm.expire(e.value.dir[1], now, config.reassembly_timeout_us);
    });
  }

  const stack_counters& sync_counters() const noexcept {
    const auto& ip = ip_reasm.counters();
    counters.ip_fragments = ip.fragments;
    counters.ip_datagrams_reassembled = ip.reassembled;
    counters.ip_reasm_evicted = ip.evicted;
    counters.ip_reasm_timed_out = ip.timed_out;
    counters.ip_reasm_overlaps = ip.overlaps;
    const auto& sr = sctp_reasm.counters();
    counters.sctp_messages_reassembled = sr.reassembled;
    counters.sctp_reasm_dropped = sr.dropped;
    counters.sctp_reasm_timed_out = sr.timed_out;
    const auto& tr = tcp_reasm.counters();
    counters.tcp_retransmitted_segments = tcp_retransmitted_closed + tr.retransmitted_segments;
    counters.tcp_out_of_order_segments = tr.out_of_order_segments;
    counters.tcp_midstream_resyncs = tr.midstream_resyncs;
    counters.tcp_gaps_skipped = tr.gaps_skipped;
    counters.tcp_bytes_dropped = tr.bytes_dropped;
    counters.ipa_oversized = tr.oversized_messages;
    return counters;
  }
  std::uint64_t tcp_retransmitted_closed = 0;
};

packet_stack::packet_stack(const stack_config& config) : _impl(std::make_unique<impl>(config)) {}
packet_stack::~packet_stack() = default;
packet_stack::packet_stack(packet_stack&&) noexcept = default;
packet_stack& packet_stack::operator=(packet_stack&&) noexcept = default;

void packet_stack::decode(linktype lt, bytes frame, std::int64_t ts_us, sccp_sink sink,
                          std::size_t wire_length) noexcept {
  _impl->frame_cut = wire_length > frame.size();
  _impl->decode(lt, frame, ts_us, sink);
}
void packet_stack::expire(std::int64_t now_us) noexcept {
  _impl->expire(now_us);
}
const decode_stats& packet_stack::stats() const noexcept {
  return _impl->stats;
}
const stack_counters& packet_stack::counters() const noexcept {
  return _impl->sync_counters();
}
const stack_config& packet_stack::config() const noexcept {
  return _impl->config;
}

stack_counters& stack_counters::operator+=(const stack_counters& o) noexcept {
  // Every member is a uint64_t or an array of them: add them as a flat array. The static_assert
  // keeps a future non-counter member from slipping in unnoticed.
  static_assert(sizeof(stack_counters) % sizeof(std::uint64_t) == 0);
  static_assert(std::is_trivially_copyable_v<stack_counters>);
  constexpr std::size_t n = sizeof(stack_counters) / sizeof(std::uint64_t);
  std::uint64_t mine[n];
  std::uint64_t theirs[n];
  std::memcpy(mine, this, sizeof mine);
  std::memcpy(theirs, &o, sizeof theirs);
  for (std::size_t i = 0; i < n; ++i) mine[i] += theirs[i];
  std::memcpy(this, mine, sizeof mine);
  return *this;
}

}  // namespace bssap::dec
