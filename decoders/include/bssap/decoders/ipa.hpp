// IPA framing (Osmocom / ip.access "Abis over IP", used for SCCPlite on the A interface):
// length(16, big-endian, octets after the 3-octet header) stream id(8) payload.
// Stream 0xFD carries one SCCP message; 0xFE is CCM (IPA connection management: PING/PONG/ID),
// 0x00 RSL, 0xEE Osmocom extensions (OSMO), 0xFC MGCP, 0x08..0x0F OML/RSL TRX streams.
// References: libosmocore include/osmocom/gsm/protocol/ipaccess.h (enum ipaccess_proto),
// Wireshark packet-gsm_ipa.c.
#pragma once

#include <cstdint>

#include "bssap/decoders/cursor.hpp"
#include "bssap/decoders/result.hpp"

namespace bssap::dec {

constexpr std::uint8_t ipa_stream_rsl = 0x00;
constexpr std::uint8_t ipa_stream_oml = 0xFF;
constexpr std::uint8_t ipa_stream_osmo = 0xEE;
constexpr std::uint8_t ipa_stream_mgcp = 0xFC;
constexpr std::uint8_t ipa_stream_sccp = 0xFD;
constexpr std::uint8_t ipa_stream_ccm = 0xFE;
constexpr std::size_t ipa_header_length = 3;

struct ipa_view {
  std::uint16_t length = 0;
  std::uint8_t stream_id = 0;
  bytes payload{};
};

// Decodes the IPA message at the front of `in`; `consumed` = 3 + length on success.
// Errors: truncated (fewer than 3 + length octets available: the rest is in a later segment).
result<ipa_view> decode_ipa(bytes in, std::size_t& consumed) noexcept;

// Stream ids that real IPA peers send. Used by the resynchronisation heuristic only.
constexpr bool ipa_known_stream(std::uint8_t id) noexcept {
  return id == ipa_stream_rsl || id == ipa_stream_oml || id == ipa_stream_osmo || id == ipa_stream_mgcp ||
         id == ipa_stream_sccp || id == ipa_stream_ccm || (id >= 0x08 && id <= 0x0F);
}

// Heuristic: `in` is exactly a chain of one or more IPA messages with known stream ids and
// non-zero lengths (the last one may be cut, `allow_partial_tail`). Used to recognise IPA on an
// unconfigured port and to find a message boundary after a mid-stream start.
bool ipa_chain_plausible(bytes in, bool allow_partial_tail) noexcept;

}  // namespace bssap::dec
