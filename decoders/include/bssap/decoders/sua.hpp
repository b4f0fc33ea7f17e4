// SUA (RFC 3868): SCCP's user part carried directly over SCTP (PPID 4, port 14001), as some Iu-CS
// and Iu-PS links run it instead of M3UA + SCCP. A connection-oriented or connectionless SUA
// message is decoded into the same dec::sccp_message an SCCP message gives (CORE -> CR, COAK ->
// CC, COREF -> CREF, RELRE -> RLSD, RELCO -> RLC, CODT -> DT1, CLDT -> UDT), so connection
// tracking above reads either alike. Management classes are recognised and left to counters.
// References: RFC 3868 3.1 (common header, classes and types), 3.3 (CL/CO messages), 3.10
// (parameters: 0x0102/0x0103 addresses with 0x8002 point code and 0x8003 SSN, 0x0104/0x0105
// references, 0x0106 cause, 0x010B data, 0x0115 protocol class).
#pragma once

#include <cstddef>
#include <cstdint>

#include "bssap/decoders/result.hpp"
#include "bssap/decoders/sccp.hpp"
#include "bssap/decoders/stats.hpp"

namespace bssap::dec {

namespace sua_class {
constexpr std::uint8_t mgmt = 0, ssnm = 2, aspsm = 3, asptm = 4, cl = 7, co = 8, rkm = 9;
}

struct sua_header {
  std::uint8_t msg_class = 0;
  std::uint8_t msg_type = 0;
  std::uint32_t length = 0;  // the whole message, header included
};

// The common header of the SUA message at the start of `data` (a DATA chunk may hold one).
// Errors: truncated, bad_value (version other than 1), bad_length (length < 8 or beyond `data`).
decode_error decode_sua_header(bytes data, sua_header& out) noexcept;

// True for the classes that carry SCCP user data or connection control (CL, CO).
constexpr bool sua_carries_sccp(const sua_header& h) noexcept {
  return h.msg_class == sua_class::cl || h.msg_class == sua_class::co;
}

// Decodes one CL or CO message (`message` exactly as long as its header says) into `out` (reset
// first). Errors, counted under layer::sua when `stats` is given: the header's, truncated /
// bad_length (a parameter runs past the message), unsupported (another class, or a CO/CL type
// with no SCCP counterpart the probe uses: RESCO, RESRE, CODA, COERR, CLDR), missing_ie (a
// mandatory parameter absent: references of CO messages, Data of CODT/CLDT).
decode_error decode_sua_into(bytes message, sccp_message& out, decode_stats* stats = nullptr) noexcept;

}  // namespace bssap::dec
