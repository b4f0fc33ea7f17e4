// bssap-synth: a generator of realistic GSM A-interface (BSC <-> MSC) signaling captures with
// ground-truth behaviour events. The truth is produced by a separate "perfect observer" fed by
// the generated messages, following ../shared/spec/events.md and probe/EVENTS.md.
// This header is the library face used by the bssap-synth program, its tests and its benchmark.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace bssap::synth {

// sua: SCCP over SCTP directly (RFC 3868, PPID 4), Iu-CS only.
enum class transport : std::uint8_t { m3ua, ipa, mtp2, mtp3, sua };
// The interface the capture is taken on: A (BSC <-> MSC, BSSAP over SCCP SSN 254) or Iu-CS
// (RNC <-> MSC, RANAP over SCCP SSN 142, TS 25.410 / 25.413). On Iu-CS the BSCs are RNCs and
// the cells' CIs are service area codes.
enum class interface_kind : std::uint8_t { a, iucs };

// A PLMN as written on the command line: "460-00" (MNC length is significant: "310-260").
struct plmn {
  char mcc[3]{};
  char mnc[3]{};
  std::uint8_t mnc_len = 2;
};
// Parses "460-00". Returns false on anything else.
bool parse_plmn(std::string_view text, plmn& out) noexcept;

// Relative weights of the procedures a subscriber starts (0 disables one).
struct scenario_mix {
  std::uint32_t lu = 14;        // normal location update (moving to another location area)
  std::uint32_t periodic = 26;  // periodic location update
  std::uint32_t attach = 5;     // power off then on again later (IMSI detach + attach)
  std::uint32_t call_mo = 12;
  std::uint32_t call_mt = 10;
  std::uint32_t sms_mo = 8;
  std::uint32_t sms_mt = 10;
  std::uint32_t ussd = 4;
  std::uint32_t handset = 3;  // the subscriber moves the SIM into another handset (new IMEI)
  std::uint32_t reject = 3;   // share (per cent) of location updates that the MSC rejects
  // Behaviour classes, per cent of subscribers (each subscriber has at most one; the rest are
  // ordinary). Barred roamers are never in a class.
  std::uint32_t stayer = 2;   // airport stayers: a small set of cells, for long
  std::uint32_t rider = 2;    // train riders: along a line of cells, a new cell every 15-40 s
  std::uint32_t tourist = 3;  // move to a scenic-spot cell and stay
  std::uint32_t shopper = 2;  // move to the points-redemption outlet's cell and stay
  std::uint32_t flaky = 2;    // switch the phone off and on again every minute or so
  std::uint32_t silent = 3;   // switch off at the start, on again after most of the period
  // Share (per mille) of location updates whose CR the MSC refuses (SCCP CREF, Q.714 3.2.2);
  // the mobile retries later (TS 24.008 4.4.4.9). Only for connections a probe can tie to the
  // IMSI at once (IMSI, or a TMSI the probe has seen paired).
  std::uint32_t cref = 15;
  // Share (per cent) of handovers during calls that go to a cell of another BSC (inter-BSC,
  // TS 48.008 3.1.5.2; at most one per call; needs 2 BSCs or more); half of them carry the IMSI
  // in the Handover Request. 0 (the default) keeps every handover inside its BSC.
  std::uint32_t interbsc = 0;
};
// Parses "lu=14,periodic=26,...". Unknown names or bad numbers: false and `error` set.
bool parse_mix(std::string_view text, scenario_mix& out, std::string& error);

struct config {
  std::uint32_t subscribers = 200;
  double duration_s = 600;
  std::uint64_t seed = 1;
  transport link = transport::m3ua;
  interface_kind iface = interface_kind::a;
  std::int64_t start_us = 1795420800LL * 1000000;  // 2026-11-23T08:00:00Z: reproducible output
  double rate = 0;                                 // procedures per second in total; 0: subscribers / 300
  std::uint64_t max_packets = 0;                   // 0: no limit
  std::uint32_t bscs = 3;
  int vlan = -1;  // 802.1Q VLAN id, -1: untagged
  bool ipv6 = false;
  bool pcapng = false;
  bool pc24 = false;  // 24-bit point codes (Chinese ITU MTP3 variant)
  bool split = true;  // ipa: split some IPA messages across TCP segments
  bool retransmit = true;
  bool handshake = true;              // SCTP INIT.. / TCP SYN.. at the start of each association
  std::uint32_t sctp_fragment = 180;  // m3ua: largest user data per SCTP DATA chunk (bytes)
  std::uint32_t associations = 1;     // m3ua: SCTP associations per BSC (a linkset, SLS load sharing)
  bool multihome = false;             // m3ua: each association has two IP address pairs in use
  // m3ua: the MSC's SCTP packets carry CRC32c 0, as a capture taken on the MSC host with
  // checksum offload shows them (the NIC fills the checksum after the capture point).
  bool checksum_offload = false;
  std::vector<plmn> home_plmns;  // equivalent home PLMNs (default 460-00, 460-02, 460-07)
  plmn own_plmn;                 // the network's PLMN: every cell's CGI (460-00)
  scenario_mix mix;
};
// The defaults of the command line (home PLMNs filled in).
config default_config();

// Where the generator writes its bytes: called once per full output buffer, not per packet.
class sink {
 public:
  virtual ~sink() = default;
  virtual bool write(const void* data, std::size_t size) = 0;
};
class file_sink final : public sink {
 public:
  explicit file_sink(std::FILE* f) : _f(f) {}
  bool write(const void* data, std::size_t size) override { return std::fwrite(data, 1, size, _f) == size; }

 private:
  std::FILE* _f;
};
class string_sink final : public sink {
 public:
  bool write(const void* data, std::size_t size) override {
    bytes.append(static_cast<const char*>(data), size);
    return true;
  }
  std::string bytes;
};
class null_sink final : public sink {
 public:
  bool write(const void*, std::size_t size) override {
    total += size;
    return true;
  }
  std::uint64_t total = 0;
};

struct stats {
  std::uint64_t packets = 0;          // frames written
  std::uint64_t messages = 0;         // SCCP messages generated (each counted once)
  std::uint64_t retransmissions = 0;  // frames that repeat an earlier one
  std::uint64_t control_frames = 0;   // SCTP INIT/SACK.., TCP handshake and pure ACKs, IPA CCM
  std::uint64_t split_messages = 0;   // SCTP fragmented or IPA split across segments
  std::uint64_t bundled_frames = 0;   // frames carrying more than one message
  std::uint64_t events = 0;           // truth lines
  std::uint64_t unresolved = 0;       // connections a correct probe could not tie to an IMSI (must be 0)
  std::uint64_t bytes = 0;            // capture file bytes
  bool write_ok = true;
};

// The operator's side of the generated world: who the subscribers are (identities and behaviour
// class) and which handsets they used, for write_operator_files().
struct world_subscriber {
  std::string imsi;
  std::uint64_t msisdn = 0;    // 11-digit national number (home subscribers)
  std::uint8_t roam_plmn = 0;  // 0: home; else index + 1 into the foreign PLMNs
  bool barred = false;         // a roamer without a roaming agreement (never registers)
  std::uint8_t kind = 0;       // behaviour class (world.hpp)
};
struct operator_world {
  std::vector<world_subscriber> subscribers;
  std::vector<std::uint32_t> tacs;  // every TAC a subscriber's handset had, ascending, once each
};

// Generates the capture into `capture` and, when `truth` is not null, the truth JSON lines; with
// `world`, also what the operator knows of the subscribers.
stats generate(const config& cfg, sink& capture, sink* truth, operator_world* world = nullptr);

// The operator's files for a generated world: subscribers.csv (imsi,msisdn,brand,plan,region,arpu,
// seed_user,data_4g: home subscribers, a few without a row or without an MSISDN, and the inbound
// roamers a VLR holds) and tac.csv (tac,brand,model,mms,data_4g,os). A pure function of the world
// and `seed`: the capture's random stream is not touched.
void write_operator_files(const operator_world& world, std::uint64_t seed, sink& subscribers, sink& tac);

}  // namespace bssap::synth
