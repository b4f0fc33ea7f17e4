// The generator's internal vocabulary: the messages a script is made of, byte buffers and the
// random source. Encoders (encode.cpp), transports (links.cpp), the scenario (world.cpp) and the
// perfect observer (observer.cpp) all speak it.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace bssap::synth {

// Direction on the A interface: up = BSC -> MSC (mobile originated side), down = MSC -> BSC.
enum class dir : std::uint8_t { up, down };

// Message kinds. One value per SCCP message the generator sends.
enum class mk : std::uint8_t {
  // connectionless (SCCP UDT, class 0)
  paging,
  reset,
  reset_ack,
  // SCCP connection control (Q.713 4.2 .. 4.6)
  cr,  // Connection Request carrying BSSMAP Complete Layer 3 Information (`init` says which L3)
  cc,
  cref,
  rlsd,
  rlc,
  // BSSMAP (TS 48.008 3.2.1) inside DT1
  cipher_cmd,
  cipher_complete,
  common_id,
  clear_cmd,
  clear_complete,
  assign_req,
  assign_complete,
  ho_required,
  ho_required_reject,
  ho_performed,
  // Inter-BSC handover (TS 48.008 3.1.5.2): on the MSC's new connection to the target BSC, a CR
  // with Handover Request, a CC with Handover Request Acknowledge, then Handover Detect and
  // Complete in DT1s; on the old connection the Handover Command (a DT1).
  ho_request,
  ho_request_ack,
  ho_command,
  ho_detect,
  ho_complete,
  // Iu-CS only (TS 25.413 8.18, 8.19): Location Reporting Control from the MSC asking for the
  // service area directly, and the RNC's Location Report with the SAI.
  location_control,
  location_report,
  // DTAP MM / RR (TS 24.008 9.2, TS 44.018)
  id_request,
  id_response,
  auth_request,
  auth_response,
  lu_accept,
  lu_reject,
  tmsi_realloc_cmd,
  tmsi_realloc_complete,
  cm_serv_accept,
  mm_info,
  // DTAP CC (TS 24.008 9.3)
  cc_setup,
  cc_call_proceeding,
  cc_call_confirmed,
  cc_alerting,
  cc_connect,
  cc_connect_ack,
  cc_disconnect,
  cc_release,
  cc_release_complete,
  // DTAP SMS (TS 24.011)
  sms_submit,   // CP-DATA / RP-DATA (MS -> network) / SMS-SUBMIT
  sms_deliver,  // CP-DATA / RP-DATA (network -> MS) / SMS-DELIVER
  sms_cp_ack,
  sms_rp_ack,  // CP-DATA / RP-ACK
  // DTAP SS (TS 24.080)
  ss_register_ussd,
  ss_release_complete_ussd,
};

// The layer-3 message inside the CR's Complete Layer 3 Information.
enum class initial : std::uint8_t { lu_request, cm_service_request, paging_response, imsi_detach };

// TS 24.008 10.5.3.5: location updating type.
enum class lu_type : std::uint8_t { normal = 0, periodic = 1, imsi_attach = 2 };

// TS 24.008 10.5.1.4 type of identity.
enum class id_kind : std::uint8_t { none = 0, imsi = 1, imei = 2, imeisv = 3, tmsi = 4 };

struct cell_ref {
  std::uint16_t lac = 0;
  std::uint16_t ci = 0;
  std::uint8_t bsc = 0;
};

// One step of a script: a message to send and what it carries. Plain and small.
struct msg {
  std::int64_t t_us = 0;  // when it is sent
  mk kind = mk::cc;
  dir d = dir::up;
  std::uint8_t sub_kind = 0;  // cr: initial; id_*: id_kind; cm service type
  std::uint8_t lu = 0;        // cr+lu_request: lu_type
  std::uint8_t ti = 0;        // CC/SMS/SS transaction identifier: value | flag << 3
  std::uint8_t cause = 0;     // CC cause, MM reject cause, BSSMAP cause, SCCP cause
  std::uint8_t flags = 0;     // see msg_flag
  std::uint8_t id_type = 0;   // identity carried (id_kind) for cr / id_response / paging
  std::uint32_t tmsi = 0;     // identity TMSI (cr, paging) or new TMSI (lu_accept, realloc)
  std::uint64_t num = 0;      // number (peer) digits as an integer, or IMEI (14 digits); ho_request:
                              // serving LAC << 16 | CI; ho_request_ack / ho_command: the RR octets
  std::uint8_t num_len = 0;   // digits in `num`
  std::uint8_t text = 0;      // index into the text tables (SMS text, USSD string, alpha sender)
  std::uint16_t lac = 0;  // cr+lu_request: LAC of the old LAI; ho_performed / ho_request / ho_complete: new cell's LAC
  std::uint16_t ci = 0;   // ho_performed / ho_request / ho_complete: new cell
  std::uint8_t old_plmn = 0;  // cr+lu_request: index of the old LAI's PLMN (0: own network)
  std::uint8_t svn = 0;       // software version number for IMEISV
};
enum msg_flag : std::uint8_t {
  mf_alpha = 1,      // sms_deliver: alphanumeric originator (TON 5)
  mf_imeisv = 2,     // cipher_cmd: ask for IMEISV; cipher_complete: carries it
  mf_new_tmsi = 4,   // lu_accept: allocates `tmsi`
  mf_no_number = 8,  // cc_setup (MT): no calling party IE
  mf_large = 16,     // ho_required: with a large Old BSS to New BSS information
  mf_long = 32,      // sms: long text
  // Inter-BSC handover: the message travels on the script's second connection (the MSC's new
  // one to the target BSC); everything after the switch does.
  mf_new_leg = 64,
  // Inter-BSC handover: the old connection's Clear after the handover, which does not end the
  // subscriber's connection (it goes on on the new one). ho_request: with the IMSI.
  mf_old_leg = 128,
};

// Random source: xoshiro256** seeded by splitmix64. Same seed, same sequence everywhere.
class rng {
 public:
  explicit rng(std::uint64_t seed) noexcept {
    for (auto& s : _s) {
      seed += 0x9E3779B97F4A7C15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      s = z ^ (z >> 31);
    }
  }
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(_s[1] * 5, 7) * 9;
    const std::uint64_t t = _s[1] << 17;
    _s[2] ^= _s[0];
    _s[3] ^= _s[1];
    _s[1] ^= _s[2];
    _s[0] ^= _s[3];
    _s[2] ^= t;
    _s[3] = rotl(_s[3], 45);
    return result;
  }
  // Uniform in [0, n) (n > 0); the tiny modulo bias does not matter here.
  std::uint32_t below(std::uint32_t n) noexcept { return static_cast<std::uint32_t>((next() >> 32) % n); }
  // Uniform in [lo, hi].
  std::int64_t range(std::int64_t lo, std::int64_t hi) noexcept {
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  double unit() noexcept { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  bool chance(double p) noexcept { return unit() < p; }
  // Exponential with the given mean.
  double expo(double mean) noexcept { return -std::log(1.0 - unit()) * mean; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> _s{};
};

// A write cursor over a caller's buffer. Every encoder writes through it; the buffers are sized
// well above the largest message, and an overflow is recorded rather than written.
struct wbuf {
  std::uint8_t* p = nullptr;
  std::size_t n = 0;
  std::size_t cap = 0;
  bool overflow = false;

  wbuf(std::uint8_t* data, std::size_t capacity) noexcept : p(data), cap(capacity) {}
  void u8(unsigned v) noexcept {
    if (n < cap) {
      p[n++] = static_cast<std::uint8_t>(v);
    } else {
      overflow = true;
    }
  }
  void be16(unsigned v) noexcept {
    u8(v >> 8);
    u8(v);
  }
  void be24(std::uint32_t v) noexcept {
    u8(v >> 16);
    u8(v >> 8);
    u8(v);
  }
  void be32(std::uint32_t v) noexcept {
    u8(v >> 24);
    u8(v >> 16);
    u8(v >> 8);
    u8(v);
  }
  void le24(std::uint32_t v) noexcept {
    u8(v);
    u8(v >> 8);
    u8(v >> 16);
  }
  void bytes(const std::uint8_t* src, std::size_t len) noexcept {
    if (n + len <= cap) {
      std::memcpy(p + n, src, len);
      n += len;
    } else {
      overflow = true;
    }
  }
  void zeros(std::size_t len) noexcept {
    for (std::size_t i = 0; i < len; ++i) u8(0);
  }
  // Reserve one length octet; returns its position for patch_len().
  std::size_t len_mark() noexcept {
    u8(0);
    return n - 1;
  }
  // Writes the number of octets after `at` into the length octet at `at`.
  void patch_len(std::size_t at) noexcept {
    if (at < n) p[at] = static_cast<std::uint8_t>(n - at - 1);
  }
  void patch_be16(std::size_t at, unsigned v) noexcept {
    if (at + 1 < n) {
      p[at] = static_cast<std::uint8_t>(v >> 8);
      p[at + 1] = static_cast<std::uint8_t>(v);
    }
  }
};

// Digits of `v` (exactly `len` of them, with leading zeros) into `out`; returns len.
inline std::size_t digits_of(std::uint64_t v, std::size_t len, char* out) noexcept {
  for (std::size_t i = len; i-- > 0;) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return len;
}

}  // namespace bssap::synth
