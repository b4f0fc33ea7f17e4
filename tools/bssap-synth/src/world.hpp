// The simulated network: cells and BSCs, subscribers, and the fixed text tables (SMS texts, USSD
// strings, alphanumeric senders, foreign PLMNs). Shared by the scenario, the encoders and the
// observer, so that all three read the same identities.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "bssap/synth/synth.hpp"
#include "model.hpp"

namespace bssap::synth {

// PLMNs the generator uses. Index 0 is the network's own PLMN (config.own_plmn); the others are
// where inbound roamers come from (IMSI prefix and the old LAI their SIM still holds).
struct plmn_entry {
  std::string_view mcc;
  std::string_view mnc;
};
inline constexpr std::array<plmn_entry, 9> foreign_plmns{{
    {"310", "260"},  // US
    {"234", "15"},   // GB
    {"454", "00"},   // HK
    {"208", "01"},   // FR
    {"262", "01"},   // DE
    {"440", "10"},   // JP
    {"450", "05"},   // KR
    {"525", "01"},   // SG
    {"466", "92"},   // TW
}};
// What the operator's files (--operator-out) say about an inbound roamer of foreign_plmns[i]: the
// country code of its MSISDN, the digits of its national number, and its home country.
struct roamer_home {
  std::string_view cc;
  std::uint8_t national_digits;
  std::string_view first_digits;  // a national mobile number starts with one of these
  std::string_view country;
};
inline constexpr std::array<roamer_home, 9> roamer_homes{{
    {"1", 10, "2345678", "United States"},
    {"44", 10, "7", "United Kingdom"},
    {"852", 8, "5679", "Hong Kong"},
    {"33", 9, "67", "France"},
    {"49", 11, "1", "Germany"},
    {"81", 10, "789", "Japan"},
    {"82", 10, "1", "South Korea"},
    {"65", 8, "89", "Singapore"},
    {"886", 9, "9", "Taiwan"},
}};
// Inbound roamers of the last two foreign PLMNs have no roaming agreement: always rejected.
inline constexpr std::size_t barred_plmn_first = foreign_plmns.size() - 1;  // roam_plmn index (1-based) from here

// Handsets: the TACs the generator gives subscribers, with the operator's TAC-table columns.
struct handset_model {
  std::uint32_t tac;
  std::string_view brand;
  std::string_view model;
  bool mms;
  bool data_4g;
  std::string_view os;
};
inline constexpr std::array<handset_model, 10> handset_models{{
    {35328110, "Nokia", "1110", false, false, "Series 30"},
    {35391708, "Samsung", "Galaxy A54", true, true, "Android"},
    {86891303, "Huawei", "nova 11", true, true, "HarmonyOS"},
    {86716504, "Xiaomi", "Redmi Note 12", true, true, "Android"},
    {35676211, "Apple", "iPhone 13", true, true, "iOS"},
    {86012703, "K-Touch", "T3", true, false, "Feature phone"},
    {35209900, "Nokia", "105", false, false, "Series 30+"},
    {86937505, "OPPO", "A58", true, true, "Android"},
    {86475806, "vivo", "Y36", true, true, "Android"},
    {86155702, "Coolpad", "S1", false, false, "Feature phone"},
}};

// Named cells (examples/areas.yaml names the same ones). Indexes into network.cells: BSC b,
// location area la (LAC 0x2500 + 16 b + la), cell k (CI 10000 + 100 b + 10 la + k) is b * 18 + la * 6 + k.
inline constexpr std::uint32_t cell_index(std::uint32_t b, std::uint32_t la, std::uint32_t k) {
  return b * 18 + la * 6 + k;
}
// The airport: two cells of one location area of BSC 2 (LAC 9506, CI 10220 and 10221).
inline constexpr std::array<std::uint32_t, 2> airport_cells{cell_index(2, 2, 0), cell_index(2, 2, 1)};
// Two scenic spots (LAC 9473 CI 10015; LAC 9489 CI 10115).
inline constexpr std::array<std::uint32_t, 2> scenic_cells{cell_index(0, 1, 5), cell_index(1, 1, 5)};
// A points-redemption outlet (LAC 9505 CI 10213).
inline constexpr std::uint32_t outlet_cell = cell_index(2, 1, 3);
// A railway line through BSC 1, in order: two cells in each of its three location areas.
inline constexpr std::array<std::uint32_t, 6> railway_cells{cell_index(1, 0, 0), cell_index(1, 0, 3),
                                                            cell_index(1, 1, 1), cell_index(1, 1, 4),
                                                            cell_index(1, 2, 2), cell_index(1, 2, 4)};
// Named cells need BSCs 0..2.
inline constexpr std::uint32_t named_cells_bscs = 3;

// How a subscriber lives (--mix stayer=,rider=,...: per cent of subscribers). Assigned once per
// subscriber from the seed.
enum class behaviour : std::uint8_t {
  ordinary,
  airport_stayer,  // stays in the airport cells, active
  train_rider,     // moves along the railway line, a cell every 15-40 s
  tourist,         // moves to a scenic spot and stays there
  shopper,         // moves to the points outlet and stays there
  flaky,           // switches the phone off and on every minute or so
  silent,          // switches off at the start, on again near the end of the period
};

// Home IMSI prefixes of the operator (the default --home-plmns).
inline constexpr std::array<std::string_view, 3> home_prefixes{"46000", "46002", "46007"};

// USSD service codes dialled by subscribers (TS 22.090).
inline constexpr std::array<std::string_view, 6> ussd_strings{"*100#", "*101#", "*123*1#", "*142#", "*888#", "*100*2#"};
// USSD answers from the network.
inline constexpr std::array<std::string_view, 3> ussd_answers{
    "Your balance is 35.20 CNY", "Data left: 1.2 GB. Valid until 30/11", "Thank you. Request accepted"};
// SMS texts in the GSM 7-bit alphabet. The long ones fill a whole 160-septet SMS, which makes
// the message large enough to be split into several SCTP DATA fragments.
inline constexpr std::array<std::string_view, 8> sms_texts{
    "OK",
    "See you at 7",
    "Call me when you land",
    "Meeting moved to 15:30 room 4B",
    "Your verification code is 482913. Do not share it with anyone.",
    "Happy birthday! Hope you have a great day with the family & friends :-)",
    "Dear customer, your monthly plan renews on 01/12. Reply 1 to keep it, 2 to change it. "
    "Details: www.example.cn/plan. Thanks for staying with us!!",
    "Reminder: the train to Guangzhou leaves at 08:45 from platform 12. Please arrive 20 minutes "
    "early with your ID card. Have a nice trip and see you soon."};
inline constexpr std::size_t sms_long_first = 6;  // texts from this index are long
// Alphanumeric originators (TP-OA TON 5) of network-originated SMS.
inline constexpr std::array<std::string_view, 4> alpha_senders{"CMCC", "Bank", "TaoBao", "Delivery"};

struct cell_info {
  std::uint16_t lac = 0;
  std::uint16_t ci = 0;
  std::uint8_t bsc = 0;
};

struct network {
  std::vector<cell_info> cells;  // all cells; cells of one BSC are contiguous
  std::vector<std::uint32_t> bsc_first_cell;
  std::vector<std::uint32_t> bsc_cell_count;
};

enum class reg_state : std::uint8_t { detached, attached, unregistered };

struct subscriber {
  std::array<char, 16> imsi{};
  std::uint8_t imsi_len = 0;
  bool roamer = false;
  std::uint8_t roam_plmn = 0;  // foreign_plmns index + 1 (0: home)
  std::uint64_t msisdn = 0;    // 11-digit national number
  std::uint64_t imei14 = 0;    // TAC + SNR of the current handset
  std::uint8_t svn = 0;
  std::uint32_t tmsi = 0;
  bool has_tmsi = false;
  bool probe_knows_tmsi = false;  // a correct probe has seen this TMSI paired with the IMSI
  reg_state state = reg_state::attached;
  std::uint32_t cell = 0;     // index into network.cells: where the mobile camps
  std::uint16_t sim_lac = 0;  // LAI stored on the SIM (sent as the old LAI of a LU)
  std::uint8_t sim_plmn = 0;  // 0: own PLMN, else foreign_plmns index + 1
  std::int32_t script = -1;   // active script slot
  std::uint8_t next_ti = 0;   // CC transaction identifier value of the next MO call
  std::uint8_t pending = 0;   // procedure forced next (see generator.cpp)
  bool imei_shown = false;    // the current handset's IMEI went over the wire
  bool force_imei = false;    // the next connection asks for the IMEI (after a handset change)
  behaviour kind = behaviour::ordinary;
  std::uint8_t line_pos = 0;    // train_rider: index into railway_cells
  bool line_back = false;       // train_rider: travelling towards index 0
  std::uint8_t class_step = 0;  // class procedures done (tourist, shopper, silent: the first one is special)
};

// Everything an encoder or the observer needs to know about the connection a message belongs to.
struct conn_ctx {
  std::uint32_t sub = 0;
  std::uint32_t bsc_ref = 0;  // SCCP local reference of the BSC side
  std::uint32_t msc_ref = 0;  // SCCP local reference of the MSC side
  std::uint8_t bsc = 0;
  std::uint8_t sls = 0;
  std::uint32_t cell = 0;  // cell of the Complete Layer 3 Information (network.cells index)
};

struct world_view {
  const config* cfg = nullptr;
  const network* net = nullptr;
  const std::vector<subscriber>* subs = nullptr;
};

}  // namespace bssap::synth
