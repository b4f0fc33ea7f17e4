// Transports. References: IEEE 802.1Q, RFC 791 / RFC 8200 (IP), RFC 4960 (SCTP: chunks 3.3,
// CRC32c Appendix B), RFC 4666 (M3UA: DATA 3.3.1, ASPSM/ASPTM 3.5-3.7), RFC 793 (TCP), the IPA
// multiplex as Osmocom and Wireshark (packet-gsm_ipa.c) define it, ITU-T Q.703 (MTP2 signal
// units) and Q.704 (MTP3 routing label 2.2), GF 001-9001 / packet-mtp3.c (24-bit Chinese label).
#include "links.hpp"

#include <cstring>
#include <vector>

#include "checksum.hpp"

namespace bssap::synth {
namespace {

constexpr std::uint32_t msc_pc14 = 100, bsc_pc14 = 200;            // ITU 14-bit point codes
constexpr std::uint32_t msc_pc24 = 0x0B1401, bsc_pc24 = 0x0B1410;  // 24-bit (Chinese ITU)
constexpr std::uint8_t network_indicator = 2;                      // national network
constexpr std::uint8_t si_sccp = 3;
constexpr std::int64_t bundle_window_us = 5000;  // messages this close in time may share a frame
constexpr std::size_t max_bundle_bytes = 1200;

void put16(std::uint8_t* p, unsigned v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// Ethernet (+ 802.1Q) and IPv4 / IPv6 headers. The BSC side is host 1.0.(bsc+1), the MSC 0.1.
class ip_framer {
 public:
  explicit ip_framer(const config& cfg) : _cfg(cfg), _ip_id(2 * 256, 0) {}

  // Writes L2 + L3 headers for a packet sent by `bsc`'s side (up) or the MSC (down); returns the
  // offset where the transport header starts.
  // `path` 1: the second address pair of a multi-homed association (10.93.x instead of 10.92.x,
  // fd00:b5d:.. instead of fd00:b5c:..).
  std::size_t begin(std::uint8_t* f, std::uint8_t bsc, dir d, std::uint8_t proto, std::uint8_t path = 0) {
    std::uint8_t bsc_mac[6] = {0x02, 0x00, 0x0B, 0x5C, 0x01, static_cast<std::uint8_t>(bsc + 1)};
    std::uint8_t msc_mac[6] = {0x02, 0x00, 0x0B, 0x5C, 0x00, 0x01};
    std::size_t n = 0;
    std::memcpy(f, d == dir::up ? msc_mac : bsc_mac, 6);
    std::memcpy(f + 6, d == dir::up ? bsc_mac : msc_mac, 6);
    n = 12;
    if (_cfg.vlan >= 0) {
      put16(f + n, 0x8100);
      put16(f + n + 2, static_cast<unsigned>(_cfg.vlan) & 0x0FFF);
      n += 4;
    }
    put16(f + n, _cfg.ipv6 ? 0x86DD : 0x0800);
    n += 2;
    _l3 = n;
    _proto = proto;
    if (_cfg.ipv6) {
      put32(f + n, 0x60000000);
      f[n + 6] = proto;
      f[n + 7] = 64;
      const auto net = static_cast<std::uint8_t>(0x5c + path);
      std::uint8_t bsc_ip[16] = {0xfd, 0x00, 0x0b, net, 0, 0, 0, 0,
                                 0,    0,    0,    0,   0, 0, 1, static_cast<std::uint8_t>(bsc + 1)};
      std::uint8_t msc_ip[16] = {0xfd, 0x00, 0x0b, net, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
      std::memcpy(f + n + 8, d == dir::up ? bsc_ip : msc_ip, 16);
      std::memcpy(f + n + 24, d == dir::up ? msc_ip : bsc_ip, 16);
      return n + 40;
    }
    f[n] = 0x45;
    f[n + 1] = 0x60;  // DSCP CS3: signalling
    auto& id = _ip_id[(bsc & 0xFF) * 2 + (d == dir::up ? 0 : 1)];
    put16(f + n + 4, id++);
    put16(f + n + 6, 0x4000);  // don't fragment
    f[n + 8] = 64;
    f[n + 9] = proto;
    const auto net = static_cast<std::uint8_t>(92 + path);
    std::uint8_t bsc_ip[4] = {10, net, 1, static_cast<std::uint8_t>(bsc + 1)};
    std::uint8_t msc_ip[4] = {10, net, 0, 1};
    std::memcpy(f + n + 12, d == dir::up ? bsc_ip : msc_ip, 4);
    std::memcpy(f + n + 16, d == dir::up ? msc_ip : bsc_ip, 4);
    return n + 20;
  }

  // Fills lengths and the IPv4 header checksum; returns the frame length.
  std::size_t end(std::uint8_t* f, std::size_t l4_off, std::size_t l4_len) const {
    if (_cfg.ipv6) {
      put16(f + _l3 + 4, static_cast<unsigned>(l4_len));
    } else {
      put16(f + _l3 + 2, static_cast<unsigned>(l4_len + 20));
      put16(f + _l3 + 10, 0);
      put16(f + _l3 + 10, fold(ones_sum(f + _l3, 20)));
    }
    return l4_off + l4_len;
  }

  // TCP checksum over the pseudo-header and the segment (RFC 793 / RFC 8200 8.1).
  std::uint16_t transport_checksum(const std::uint8_t* f, std::size_t l4_off, std::size_t l4_len) const {
    std::uint32_t sum = 0;
    if (_cfg.ipv6) {
      sum = ones_sum(f + _l3 + 8, 32);
    } else {
      sum = ones_sum(f + _l3 + 12, 8);
    }
    sum += static_cast<std::uint32_t>(l4_len >> 16) + static_cast<std::uint32_t>(l4_len & 0xFFFF) + _proto;
    return fold(ones_sum(f + l4_off, l4_len, sum));
  }

 private:
  const config& _cfg;
  std::vector<std::uint16_t> _ip_id;
  std::size_t _l3 = 0;
  std::uint8_t _proto = 0;
};

// A frame kept to be sent again later (a retransmission).
struct retransmit_slot {
  std::array<std::uint8_t, 2048> bytes{};
  std::size_t len = 0;
  int countdown = 0;
};

// Messages held back to share one frame (SCTP bundle / TCP segment).
struct pending_frame {
  bool active = false;
  std::uint8_t bsc = 0;
  std::uint32_t assoc = 0;  // m3ua: the association (several per BSC with --associations)
  dir d = dir::up;
  std::int64_t ts = 0;
  std::size_t len = 0;
  std::array<std::uint8_t, 4096> bytes{};
  std::array<delivery, 16> deliveries{};
  std::size_t count = 0;  // deliveries completed by this frame
  std::size_t items = 0;  // chunks / messages (whole or partial) in the frame
};

class link_base : public link {
 protected:
  link_base(const config& cfg, capture_writer& out, delivery_sink& obs)
      : _cfg(cfg), _out(out), _obs(obs), _rng(cfg.seed ^ 0x6C696E6B5F726E67ULL) {}

  // False when the capture's packet limit dropped the frame: what it carried was never seen.
  bool write(std::int64_t ts, const std::uint8_t* f, std::size_t len) {
    _last_ts = ts;
    return _out.frame(ts, f, len);
  }
  void deliver_all(pending_frame& p, std::int64_t ts) {
    for (std::size_t i = 0; i < p.count; ++i) _obs.deliver(p.deliveries[i], ts);
    p.count = 0;
  }
  // Arms a retransmission of the frame just written, now and then.
  void maybe_keep(const std::uint8_t* f, std::size_t len) {
    if (!_cfg.retransmit || _rt.countdown > 0 || len > _rt.bytes.size() || !_rng.chance(0.012)) return;
    std::memcpy(_rt.bytes.data(), f, len);
    _rt.len = len;
    _rt.countdown = static_cast<int>(_rng.range(2, 9));
  }
  // True when the kept frame is due before the next message.
  bool retransmit_due() {
    if (_rt.countdown <= 0) return false;
    return --_rt.countdown == 0;
  }
  void write_retransmission(std::int64_t ts) {
    write(ts, _rt.bytes.data(), _rt.len);
    ++counters.retransmissions;
  }

  const config& _cfg;
  capture_writer& _out;
  delivery_sink& _obs;
  rng _rng;
  retransmit_slot _rt;
  std::int64_t _last_ts = 0;
  std::array<std::uint8_t, 65536> _frame{};
};

// ---- M3UA over SCTP ------------------------------------------------------------------------

class m3ua_link final : public link_base {
 public:
  m3ua_link(const config& cfg, capture_writer& out, delivery_sink& obs)
      : link_base(cfg, out, obs),
        _ip(cfg),
        _per_bsc(std::max<std::uint32_t>(cfg.associations, 1)),
        _assoc(cfg.bscs * _per_bsc) {
    for (std::uint32_t i = 0; i < _assoc.size(); ++i) {
      for (auto& s : _assoc[i].ends) {
        s.tag = static_cast<std::uint32_t>(_rng.next()) | 1u;
        s.next_tsn = static_cast<std::uint32_t>(_rng.next());
      }
    }
  }

  void open(std::int64_t ts) override {
    for (std::uint32_t i = 0; i < _assoc.size(); ++i) {
      const std::uint32_t as = i;
      std::int64_t t = ts + static_cast<std::int64_t>(i) * 1000;
      if (_cfg.handshake) {
        handshake(as, t);
        t += 400;
        // M3UA ASP Up / Ack (stream 0) and ASP Active / Ack (stream 1), RFC 4666 3.5.1, 3.7.1.
        management(as, dir::up, 3, 1, 0, t);
        management(as, dir::down, 3, 4, 0, t + 150);
        management(as, dir::up, 4, 1, 1, t + 300);
        management(as, dir::down, 4, 3, 1, t + 450);
      }
    }
  }

  void send(std::int64_t ts, const delivery& d, const std::uint8_t* sccp, std::size_t len) override {
    const std::uint8_t bsc = d.c.bsc;
    const std::uint32_t as = association_of(bsc, d.m.d, d.c.sls);
    const std::uint8_t* m = sccp;
    std::size_t mlen = len;
    if (!_sua) {
      m = m3ua_data(d, sccp, len);
      mlen = _mlen;
    }
    if (_pending.active &&
        (_pending.assoc != as || _pending.d != d.m.d || ts - _pending.ts > bundle_window_us ||
         _pending.len + mlen + 16 > max_bundle_bytes || _pending.count == _pending.deliveries.size())) {
      flush();
    }
    if (retransmit_due()) {
      flush();
      write_retransmission(ts);
    }
    auto& a = _assoc[as];
    const int sender = d.m.d == dir::up ? 0 : 1;
    auto& s = a.ends[sender];
    if (mlen > _cfg.sctp_fragment) {
      // RFC 4960 6.9: user message fragmented over several DATA chunks, one per packet here.
      flush();
      const std::uint16_t ssn = s.ssn[1]++;
      std::size_t off = 0;
      while (off < mlen) {
        const std::size_t piece = std::min<std::size_t>(_cfg.sctp_fragment, mlen - off);
        std::uint8_t flags = 0;
        if (off == 0) flags |= 0x02;
        if (off + piece == mlen) flags |= 0x01;
        _pending.active = true;
        _pending.assoc = as;
        _pending.d = d.m.d;
        _pending.ts = ts;
        _pending.len = 0;
        _pending.items = 0;
        put_data_chunk(_pending, s, 1, ssn, flags, m + off, piece);
        if (off + piece == mlen) _pending.deliveries[_pending.count++] = d;
        flush_data(false);
        off += piece;
      }
      ++counters.split_messages;
      return;
    }
    if (!_pending.active) {
      _pending.active = true;
      _pending.assoc = as;
      _pending.d = d.m.d;
      _pending.len = 0;
      _pending.items = 0;
    }
    _pending.ts = ts;
    put_data_chunk(_pending, s, 1, s.ssn[1]++, 0x03, m, mlen);
    _pending.deliveries[_pending.count++] = d;
    if (!_rng.chance(0.5)) flush();
  }

  void close() override { flush(); }

 private:
  struct side {
    std::uint32_t tag = 0;       // initiate tag this side chose
    std::uint32_t next_tsn = 0;  // next TSN it sends
    std::array<std::uint16_t, 2> ssn{};
    std::uint32_t cum_received = 0;  // highest in-order TSN received from the peer
  };
  struct assoc {
    std::array<side, 2> ends;  // [0] BSC, [1] MSC
    std::uint8_t path = 0;     // multi-homed: the IP address pair in use (RFC 4960 6.4)
  };

  // M3UA DATA (RFC 4666 3.3.1): the Protocol Data parameter with the MTP3 routing information
  // and the SCCP message. (With SUA, RFC 3868, the encoder's message goes into the chunk as it is.)
  const std::uint8_t* m3ua_data(const delivery& d, const std::uint8_t* sccp, std::size_t len) {
    const std::uint8_t bsc = d.c.bsc;
    std::uint8_t* m = _m3ua.data();
    const std::uint32_t opc = d.m.d == dir::up ? bsc_pc(_cfg, bsc) : msc_pc(_cfg);
    const std::uint32_t dpc = d.m.d == dir::up ? msc_pc(_cfg) : bsc_pc(_cfg, bsc);
    const std::size_t param_len = 16 + len;
    const std::size_t padded = (param_len + 3) & ~std::size_t{3};
    const std::size_t mlen = 8 + padded;
    m[0] = 1;
    m[1] = 0;
    m[2] = 1;  // class: transfer
    m[3] = 1;  // type: DATA
    put32(m + 4, static_cast<std::uint32_t>(mlen));
    put16(m + 8, 0x0210);
    put16(m + 10, static_cast<unsigned>(param_len));
    put32(m + 12, opc);
    put32(m + 16, dpc);
    m[20] = si_sccp;
    m[21] = network_indicator;
    m[22] = 0;
    m[23] = d.c.sls;
    std::memcpy(m + 24, sccp, len);
    std::memset(m + 24 + len, 0, padded - param_len);
    _mlen = mlen;
    return m;
  }

  // The association of a BSC's linkset that carries a message: M3UA load sharing by SLS
  // (RFC 4666 1.4.7), the two ends each with their own selection, so a connection's uplink and
  // downlink may take different associations.
  std::uint32_t association_of(std::uint8_t bsc, dir d, std::uint8_t sls) const {
    std::uint32_t k = 0;
    if (_per_bsc > 1) {
      const std::uint32_t x = (static_cast<std::uint32_t>(sls) + 1u) * (d == dir::up ? 0x9E3779B1u : 0x85EBCA77u);
      k = (x >> 16) % _per_bsc;
    }
    return static_cast<std::uint32_t>(bsc) * _per_bsc + k;
  }

  void put_data_chunk(pending_frame& p, side& s, std::uint16_t stream, std::uint16_t ssn, std::uint8_t flags,
                      const std::uint8_t* data, std::size_t len) {
    std::uint8_t* c = p.bytes.data() + p.len;
    c[0] = 0;  // DATA
    c[1] = flags;
    put16(c + 2, static_cast<unsigned>(16 + len));
    put32(c + 4, s.next_tsn++);
    put16(c + 8, stream);
    put16(c + 10, ssn);
    put32(c + 12, _ppid);
    std::memcpy(c + 16, data, len);
    const std::size_t padded = (16 + len + 3) & ~std::size_t{3};
    std::memset(c + 16 + len, 0, padded - 16 - len);
    p.len += padded;
    ++p.items;
  }

  // SCTP common header + chunks in `body`, checksum; written at `ts`.
  // `as` is the association (BSC as / _per_bsc); its k-th is told apart by the BSC's port,
  // 2905 + k; multi-homed, a packet takes the association's current path, which moves now and
  // then (a path failover, or the sender's choice of destination address).
  std::size_t build_packet(std::uint32_t as, dir d, const std::uint8_t* body, std::size_t len, std::uint32_t vtag) {
    std::uint8_t* f = _frame.data();
    auto& a = _assoc[as];
    if (_cfg.multihome && _rng.chance(0.05)) a.path ^= 1;
    const auto bsc = static_cast<std::uint8_t>(as / _per_bsc);
    const auto bsc_port = static_cast<unsigned>(_port + as % _per_bsc);
    const std::size_t l4 = _ip.begin(f, bsc, d, 132, a.path);
    std::uint8_t* s = f + l4;
    put16(s, d == dir::up ? bsc_port : _port);
    put16(s + 2, d == dir::up ? _port : bsc_port);
    put32(s + 4, vtag);
    put32(s + 8, 0);
    std::memcpy(s + 12, body, len);
    const std::uint32_t crc = _cfg.checksum_offload && d == dir::down ? 0 : crc32c(s, 12 + len);
    // RFC 4960 Appendix B: the CRC is placed least significant byte first.
    s[8] = static_cast<std::uint8_t>(crc);
    s[9] = static_cast<std::uint8_t>(crc >> 8);
    s[10] = static_cast<std::uint8_t>(crc >> 16);
    s[11] = static_cast<std::uint8_t>(crc >> 24);
    return _ip.end(f, l4, 12 + len);
  }

  void flush() {
    if (_pending.active) flush_data(true);
  }

  void flush_data(bool may_sack) {
    auto& a = _assoc[_pending.assoc];
    const int sender = _pending.d == dir::up ? 0 : 1;
    const std::size_t n =
        build_packet(_pending.assoc, _pending.d, _pending.bytes.data(), _pending.len, a.ends[1 - sender].tag);
    const bool written = write(_pending.ts, _frame.data(), n);
    if (_pending.items > 1) ++counters.bundled_frames;
    a.ends[1 - sender].cum_received = a.ends[sender].next_tsn - 1;
    if (written) deliver_all(_pending, _pending.ts);
    _pending.count = 0;
    if (may_sack) maybe_keep(_frame.data(), n);
    _pending.active = false;
    _pending.len = 0;
    _pending.items = 0;
    if (may_sack && _rng.chance(0.3)) sack(_pending.assoc, _pending.d == dir::up ? dir::down : dir::up, _pending.ts);
  }

  // SACK (RFC 4960 3.3.4) from the side sending in direction `d`.
  void sack(std::uint32_t as, dir d, std::int64_t ts) {
    auto& a = _assoc[as];
    const int sender = d == dir::up ? 0 : 1;
    std::array<std::uint8_t, 16> c{};
    c[0] = 3;
    put16(c.data() + 2, 16);
    put32(c.data() + 4, a.ends[sender].cum_received);
    put32(c.data() + 8, 106496);
    const std::size_t n = build_packet(as, d, c.data(), c.size(), a.ends[1 - sender].tag);
    write(ts, _frame.data(), n);
    ++counters.control_frames;
  }

  // INIT, INIT ACK, COOKIE ECHO, COOKIE ACK (RFC 4960 5.1).
  void handshake(std::uint32_t as, std::int64_t ts) {
    auto& a = _assoc[as];
    std::array<std::uint8_t, 64> c{};
    std::array<std::uint8_t, 24> cookie{};
    for (std::size_t i = 0; i < cookie.size(); ++i) cookie[i] = static_cast<std::uint8_t>(_rng.next());
    for (int k = 0; k < 2; ++k) {
      auto& s = a.ends[k];
      c.fill(0);
      c[0] = k == 0 ? 1 : 2;  // INIT / INIT ACK
      std::size_t len = 20;
      put32(c.data() + 4, s.tag);
      put32(c.data() + 8, 106496);
      put16(c.data() + 12, 2);
      put16(c.data() + 14, 2);
      put32(c.data() + 16, s.next_tsn);
      if (k == 1) {
        put16(c.data() + 20, 7);  // State Cookie
        put16(c.data() + 22, static_cast<unsigned>(4 + cookie.size()));
        std::memcpy(c.data() + 24, cookie.data(), cookie.size());
        len += 4 + cookie.size();
      }
      put16(c.data() + 2, static_cast<unsigned>(len));
      const std::size_t n = build_packet(as, k == 0 ? dir::up : dir::down, c.data(), len, k == 0 ? 0 : a.ends[0].tag);
      write(ts + k * 100, _frame.data(), n);
      ++counters.control_frames;
    }
    c.fill(0);
    c[0] = 10;  // COOKIE ECHO
    put16(c.data() + 2, static_cast<unsigned>(4 + cookie.size()));
    std::memcpy(c.data() + 4, cookie.data(), cookie.size());
    std::size_t n = build_packet(as, dir::up, c.data(), 4 + cookie.size(), a.ends[1].tag);
    write(ts + 200, _frame.data(), n);
    c.fill(0);
    c[0] = 11;  // COOKIE ACK
    put16(c.data() + 2, 4);
    n = build_packet(as, dir::down, c.data(), 4, a.ends[0].tag);
    write(ts + 300, _frame.data(), n);
    counters.control_frames += 2;
  }

  // An M3UA management message without parameters, in its own DATA chunk.
  void management(std::uint32_t as, dir d, std::uint8_t cls, std::uint8_t type, std::uint16_t stream, std::int64_t ts) {
    std::array<std::uint8_t, 8> m{1, 0, cls, type, 0, 0, 0, 8};
    auto& s = _assoc[as].ends[d == dir::up ? 0 : 1];
    _pending.active = true;
    _pending.assoc = as;
    _pending.d = d;
    _pending.ts = ts;
    _pending.len = 0;
    _pending.items = 0;
    put_data_chunk(_pending, s, stream, s.ssn[stream]++, 0x03, m.data(), m.size());
    flush_data(false);
    ++counters.control_frames;
  }

  ip_framer _ip;
  std::uint32_t _per_bsc = 1;  // associations per BSC (a linkset when > 1)
  std::vector<assoc> _assoc;
  pending_frame _pending;
  std::array<std::uint8_t, 4096> _m3ua{};
  std::size_t _mlen = 0;
  const bool _sua = _cfg.link == transport::sua;
  // IANA: M3UA PPID 3 on port 2905, SUA PPID 4 on port 14001.
  const std::uint32_t _ppid = _sua ? 4 : 3;
  const unsigned _port = _sua ? 14001 : 2905;
};

// ---- IPA (SCCPlite) over TCP ----------------------------------------------------------------

class ipa_link final : public link_base {
 public:
  ipa_link(const config& cfg, capture_writer& out, delivery_sink& obs)
      : link_base(cfg, out, obs), _ip(cfg), _conn(cfg.bscs) {
    for (std::uint32_t i = 0; i < cfg.bscs; ++i) {
      _conn[i].port = static_cast<std::uint16_t>(40000 + _rng.below(20000));
      for (auto& s : _conn[i].ends) s.next_seq = static_cast<std::uint32_t>(_rng.next());
    }
  }

  void open(std::int64_t ts) override {
    for (std::uint32_t i = 0; i < _cfg.bscs; ++i) {
      const auto bsc = static_cast<std::uint8_t>(i);
      const std::int64_t t = ts + static_cast<std::int64_t>(i) * 1000;
      if (_cfg.handshake) {
        segment(bsc, dir::up, 0x02, nullptr, 0, t);          // SYN
        segment(bsc, dir::down, 0x12, nullptr, 0, t + 100);  // SYN ACK
        segment(bsc, dir::up, 0x10, nullptr, 0, t + 200);    // ACK
        counters.control_frames += 3;
      } else {
        _conn[bsc].ends[0].acked = _conn[bsc].ends[1].acked = true;
      }
      // IPA CCM ID ACK both ways (stream 0xFE, message 0x06).
      const std::uint8_t id_ack[4] = {0x00, 0x01, 0xFE, 0x06};
      segment(bsc, dir::down, 0x18, id_ack, 4, t + 300);
      segment(bsc, dir::up, 0x18, id_ack, 4, t + 400);
      counters.control_frames += 2;
    }
  }

  void send(std::int64_t ts, const delivery& d, const std::uint8_t* sccp, std::size_t len) override {
    const std::uint8_t bsc = d.c.bsc;
    std::array<std::uint8_t, 1024> msg_bytes{};
    const std::size_t total = 3 + len;
    put16(msg_bytes.data(), static_cast<unsigned>(len));
    msg_bytes[2] = 0xFD;  // stream: SCCP
    std::memcpy(msg_bytes.data() + 3, sccp, len);

    if (_pending.active && (_pending.bsc != bsc || _pending.d != d.m.d || ts - _pending.ts > bundle_window_us ||
                            _pending.len + total > max_bundle_bytes || _pending.count == _pending.deliveries.size())) {
      flush();
    }
    if (retransmit_due()) {
      flush();
      write_retransmission(ts);
    }
    if (!_pending.active) {
      _pending.active = true;
      _pending.bsc = bsc;
      _pending.d = d.m.d;
      _pending.len = 0;
      _pending.items = 0;
    }
    _pending.ts = ts;
    if (_cfg.split && total > 4 && _rng.chance(0.04)) {
      // The message's first part ends this segment; the rest starts the next one.
      const auto head = static_cast<std::size_t>(_rng.range(1, static_cast<std::int64_t>(total) - 1));
      std::memcpy(_pending.bytes.data() + _pending.len, msg_bytes.data(), head);
      _pending.len += head;
      ++_pending.items;
      flush();
      _pending.active = true;
      _pending.bsc = bsc;
      _pending.d = d.m.d;
      _pending.ts = ts;
      std::memcpy(_pending.bytes.data(), msg_bytes.data() + head, total - head);
      _pending.len = total - head;
      _pending.items = 1;
      _pending.deliveries[_pending.count++] = d;
      ++counters.split_messages;
      return;
    }
    std::memcpy(_pending.bytes.data() + _pending.len, msg_bytes.data(), total);
    _pending.len += total;
    ++_pending.items;
    _pending.deliveries[_pending.count++] = d;
    if (!_rng.chance(0.5)) flush();
  }

  void close() override { flush(); }

 private:
  struct side {
    std::uint32_t next_seq = 0;
    bool acked = false;
  };
  struct conn {
    std::uint16_t port = 0;
    std::array<side, 2> ends;  // [0] BSC, [1] MSC
  };

  std::size_t segment(std::uint8_t bsc, dir d, std::uint8_t flags, const std::uint8_t* data, std::size_t len,
                      std::int64_t ts, bool* written = nullptr) {
    auto& c = _conn[bsc];
    const int sender = d == dir::up ? 0 : 1;
    auto& me = c.ends[sender];
    auto& peer = c.ends[1 - sender];
    std::uint8_t* f = _frame.data();
    const std::size_t l4 = _ip.begin(f, bsc, d, 6);
    std::uint8_t* t = f + l4;
    put16(t, d == dir::up ? c.port : 5000);
    put16(t + 2, d == dir::up ? 5000 : c.port);
    put32(t + 4, me.next_seq);
    put32(t + 8, (flags & 0x10) ? peer.next_seq : 0);
    t[12] = 5 << 4;
    t[13] = flags;
    put16(t + 14, 65535);
    put16(t + 16, 0);
    put16(t + 18, 0);
    if (len > 0) std::memcpy(t + 20, data, len);
    const std::size_t n = _ip.end(f, l4, 20 + len);
    put16(t + 16, _ip.transport_checksum(f, l4, 20 + len));
    me.next_seq += static_cast<std::uint32_t>(len) + ((flags & 0x02) ? 1u : 0u);
    const bool ok = write(ts, f, n);
    if (written != nullptr) *written = ok;
    return n;
  }

  void flush() {
    if (!_pending.active) return;
    bool written = false;
    const std::size_t n =
        segment(_pending.bsc, _pending.d, 0x18, _pending.bytes.data(), _pending.len, _pending.ts, &written);
    if (_pending.items > 1) ++counters.bundled_frames;
    if (written) deliver_all(_pending, _pending.ts);
    _pending.count = 0;
    maybe_keep(_frame.data(), n);
    _pending.active = false;
    _pending.len = 0;
    _pending.items = 0;
    if (_rng.chance(0.3)) {
      segment(_pending.bsc, _pending.d == dir::up ? dir::down : dir::up, 0x10, nullptr, 0, _pending.ts);
      ++counters.control_frames;
    }
  }

  ip_framer _ip;
  std::vector<conn> _conn;
  pending_frame _pending;
};

// ---- MTP2 (with pseudo-header) and MTP3 -----------------------------------------------------

class mtp_link final : public link_base {
 public:
  mtp_link(const config& cfg, capture_writer& out, delivery_sink& obs, bool with_mtp2)
      : link_base(cfg, out, obs), _mtp2(with_mtp2), _fsn(cfg.bscs * 2, 0) {}

  void open(std::int64_t ts) override {
    if (!_mtp2) return;
    for (std::uint32_t i = 0; i < _cfg.bscs; ++i) {
      fisu(static_cast<std::uint8_t>(i), dir::up, ts + i * 1000);
      fisu(static_cast<std::uint8_t>(i), dir::down, ts + i * 1000 + 100);
    }
  }

  void send(std::int64_t ts, const delivery& d, const std::uint8_t* sccp, std::size_t len) override {
    // Retransmission is MTP2's (Q.703 5): a bare MTP3 capture sits above it and has none.
    if (_mtp2 && retransmit_due()) write_retransmission(ts);
    std::uint8_t* f = _frame.data();
    std::size_t n = 0;
    if (_mtp2) {
      ++_fsn[static_cast<std::size_t>(d.c.bsc) * 2 + (d.m.d == dir::up ? 0 : 1)];  // FSN: MSUs only
      n = mtp2_header(f, d.c.bsc, d.m.d, 0);
    }
    const std::size_t sio_at = n;
    f[n++] = static_cast<std::uint8_t>(network_indicator << 6 | si_sccp);
    const std::uint32_t opc = d.m.d == dir::up ? bsc_pc(_cfg, d.c.bsc) : msc_pc(_cfg);
    const std::uint32_t dpc = d.m.d == dir::up ? msc_pc(_cfg) : bsc_pc(_cfg, d.c.bsc);
    if (_cfg.pc24) {
      // 24-bit label: DPC, OPC (3 octets each, least significant first), SLS octet.
      for (int i = 0; i < 3; ++i) f[n++] = static_cast<std::uint8_t>(dpc >> (8 * i));
      for (int i = 0; i < 3; ++i) f[n++] = static_cast<std::uint8_t>(opc >> (8 * i));
      f[n++] = d.c.sls & 0x0F;
    } else {
      // Q.704 2.2: DPC (14 bits), OPC (14 bits), SLS (4 bits), least significant bit first.
      const std::uint32_t label =
          (dpc & 0x3FFF) | (opc & 0x3FFF) << 14 | static_cast<std::uint32_t>(d.c.sls & 0xF) << 28;
      for (int i = 0; i < 4; ++i) f[n++] = static_cast<std::uint8_t>(label >> (8 * i));
    }
    std::memcpy(f + n, sccp, len);
    n += len;
    if (_mtp2) {
      const std::size_t li = n - sio_at;
      f[6] = static_cast<std::uint8_t>(li > 63 ? 63 : li);  // Q.703 2.3.3: 63 means 63 or more
    }
    if (write(ts, f, n)) _obs.deliver(d, ts);
    if (_mtp2) maybe_keep(f, n);
    if (_mtp2 && _rng.chance(0.05)) fisu(d.c.bsc, d.m.d == dir::up ? dir::down : dir::up, ts);
  }

  void close() override {}

 private:
  // Pseudo-header (sent, annex A used, link number) + BSN/BIB, FSN/FIB, LI.
  std::size_t mtp2_header(std::uint8_t* f, std::uint8_t bsc, dir d, std::uint8_t li) {
    const std::size_t k = static_cast<std::size_t>(bsc) * 2 + (d == dir::up ? 0 : 1);
    const std::size_t peer = static_cast<std::size_t>(bsc) * 2 + (d == dir::up ? 1 : 0);
    f[0] = d == dir::down ? 1 : 0;
    f[1] = 0;  // annex A (extended sequence numbers) not used
    put16(f + 2, bsc);
    f[4] = static_cast<std::uint8_t>(0x80 | (_fsn[peer] & 0x7F));  // BSN = last FSN received, BIB 1
    f[5] = static_cast<std::uint8_t>(0x80 | (_fsn[k] & 0x7F));     // FSN, FIB 1
    f[6] = li;
    return 7;
  }

  void fisu(std::uint8_t bsc, dir d, std::int64_t ts) {
    std::uint8_t f[8];
    const std::size_t n = mtp2_header(f, bsc, d, 0);
    write(ts, f, n);
    ++counters.control_frames;
  }

  bool _mtp2;
  std::vector<std::uint8_t> _fsn;
};

}  // namespace

std::uint32_t msc_pc(const config& cfg) noexcept {
  return cfg.pc24 ? msc_pc24 : msc_pc14;
}
std::uint32_t bsc_pc(const config& cfg, std::uint8_t bsc) noexcept {
  return (cfg.pc24 ? bsc_pc24 : bsc_pc14) + bsc;
}

std::uint32_t linktype_of(transport t) noexcept {
  switch (t) {
    case transport::m3ua:
    case transport::sua:
    case transport::ipa:
      return 1;  // Ethernet
    case transport::mtp2:
      return 139;  // MTP2 with pseudo-header
    case transport::mtp3:
      return 141;
  }
  return 1;
}

std::unique_ptr<link> make_link(const config& cfg, capture_writer& out, delivery_sink& observer) {
  switch (cfg.link) {
    case transport::m3ua:
    case transport::sua:
      return std::make_unique<m3ua_link>(cfg, out, observer);
    case transport::ipa:
      return std::make_unique<ipa_link>(cfg, out, observer);
    case transport::mtp2:
      return std::make_unique<mtp_link>(cfg, out, observer, true);
    case transport::mtp3:
      return std::make_unique<mtp_link>(cfg, out, observer, false);
  }
  return nullptr;
}

}  // namespace bssap::synth
