// RUA (TS 25.468): RANAP between a home NodeB and its gateway over SCTP (PPID 19, port 29169),
// the Iuh interface. A UE's RANAP connection there is a Context-ID (24 bits, the same both ways)
// in a CN domain, opened by Connect, carried by DirectTransfer, ended by Disconnect. Decoded
// into the dec::sccp_message of the SCCP procedure each stands for, so that connection tracking
// above reads it like Iu-CS over SCCP: Connect -> CR (source reference = Context-ID, called SSN
// 142), DirectTransfer -> DT1 (destination reference = Context-ID), Disconnect -> RLSD (both
// references, its RANAP message as data), ConnectionlessTransfer -> UDT (SSN 142).
// References: TS 25.468 9.1 (messages), 9.2 (IEs), 9.3.4-9.3.6 (ASN.1: RUA-PDU as RANAP's,
// id-Cause 1, id-Context-ID 3, id-RANAP-Message 4, id-CN-DomainIndicator 7; procedures Connect 1,
// DirectTransfer 2, Disconnect 3, ConnectionlessTransfer 4), X.691 aligned PER.
#pragma once

#include <cstdint>

#include "bssap/decoders/result.hpp"
#include "bssap/decoders/sccp.hpp"
#include "bssap/decoders/stats.hpp"

namespace bssap::dec {

// Decodes one RUA-PDU into `out` (reset first); `ps_domain` says the CN domain (Iu-PS when
// true). Errors, counted under layer::rua when `stats` is given: truncated, bad_length (an
// open type or IE runs past the PDU), unsupported (an extension CHOICE, ErrorIndication,
// PrivateMessage, fragmented lengths), missing_ie (no Context-ID, or no RANAP-Message where it
// is mandatory).
decode_error decode_rua_into(bytes pdu, sccp_message& out, bool& ps_domain, decode_stats* stats = nullptr) noexcept;

}  // namespace bssap::dec
