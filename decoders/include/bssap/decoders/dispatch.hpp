// What rides on what: the SCTP payload protocols by PPID (and IANA port, for stacks that send
// PPID 0) and the SCCP subsystems by SSN. One table per fact, read by packet_stack (SCTP) and
// the probe's SCCP half (subsystems); a new protocol is a row here and its decoder.
#pragma once

#include <cstdint>
#include <string_view>

namespace bssap::dec {

enum class sctp_user : std::uint8_t { other, m3ua, sua, rua };

struct sctp_user_row {
  std::uint32_t ppid;
  std::uint16_t port;
  sctp_user user;
  std::string_view name;
  std::string_view reference;
};
// IANA SCTP payload protocol identifiers and ports.
inline constexpr sctp_user_row sctp_users[] = {
    {3, 2905, sctp_user::m3ua, "M3UA", "RFC 4666"},
    {4, 14001, sctp_user::sua, "SUA", "RFC 3868"},
    {19, 29169, sctp_user::rua, "RUA", "TS 25.468"},
};

// The protocol of a DATA chunk: by its PPID; a PPID of 0 (unspecified, RFC 4960 3.3.1) by the
// association's port, as Wireshark decodes it.
constexpr sctp_user sctp_user_of(std::uint32_t ppid, std::uint16_t src_port, std::uint16_t dst_port) noexcept {
  for (const auto& row : sctp_users)
    if (row.ppid == ppid) return row.user;
  if (ppid == 0)
    for (const auto& row : sctp_users)
      if (row.port == src_port || row.port == dst_port) return row.user;
  return sctp_user::other;
}

enum class sccp_user : std::uint8_t { other, bssap, ranap };

struct subsystem_row {
  std::uint8_t ssn;
  sccp_user user;
  std::string_view name;
  std::string_view reference;
};
// Q.713 Annex B / 3GPP TS 23.003 14: the subsystems whose users the probe decodes.
inline constexpr subsystem_row subsystems[] = {
    {254, sccp_user::bssap, "BSSAP", "TS 48.006"},
    {142, sccp_user::ranap, "RANAP", "TS 25.410"},
};

constexpr sccp_user sccp_user_of(std::uint8_t ssn) noexcept {
  for (const auto& row : subsystems)
    if (row.ssn == ssn) return row.user;
  return sccp_user::other;
}
constexpr std::uint8_t ssn_of(sccp_user user) noexcept {
  for (const auto& row : subsystems)
    if (row.user == user) return row.ssn;
  return 0;
}

static_assert(sctp_user_of(3, 1, 1) == sctp_user::m3ua && sctp_user_of(0, 14001, 5) == sctp_user::sua &&
              sctp_user_of(46, 2905, 2905) == sctp_user::other);
static_assert(sccp_user_of(254) == sccp_user::bssap && ssn_of(sccp_user::ranap) == 142);

}  // namespace bssap::dec
