// Encoders for SCCP (ITU-T Q.713) carrying BSSAP: BSSMAP (TS 48.008) and DTAP (TS 24.008 MM/CC,
// TS 44.018 RR, TS 24.011 SMS, TS 24.080 SS). Written independently of decoders/ on purpose:
// Wireshark is the oracle that checks them.
#pragma once

#include <cstdint>
#include <string_view>

#include "model.hpp"
#include "world.hpp"

namespace bssap::synth {

// Encodes `m` (sent at `ts_us`) on connection `c` as one complete SCCP message into `out`: BSSAP
// on the A interface (SSN 254), RANAP on Iu-CS (SSN 142, ranap.hpp).
void encode_sccp(const msg& m, const conn_ctx& c, const world_view& w, wbuf& out) noexcept;

// The layer-3 message of `m` without the BSSAP header (what RANAP carries as its NAS-PDU): the
// initial message (LU Request, CM Service Request, Paging Response, IMSI Detach) for a CR, the
// DTAP body (TS 24.008, TS 24.011, TS 24.080) for the DTAP kinds.
void put_layer3(const msg& m, const conn_ctx& c, const world_view& w, wbuf& out) noexcept;
// DTAP kinds (MM, CC, SMS, SS), and those of them on SAPI 3 (SMS, TS 48.006 9.3.2).
bool is_dtap(mk k) noexcept;
bool is_sapi3(mk k) noexcept;

// Pieces exposed for unit tests.
void put_plmn(wbuf& out, std::string_view mcc, std::string_view mnc) noexcept;
// TS 24.008 10.5.1.4: digits (IMSI 1, IMEI 2, IMEISV 3); the value part, without IEI or length.
void put_identity_digits(wbuf& out, id_kind kind, std::string_view digits) noexcept;
// BCD digits, low nibble first, 0xF filler (TS 24.008 10.5.4.7).
void put_bcd(wbuf& out, std::string_view digits) noexcept;
// GSM 7-bit packed USSD string with the TS 23.038 6.1.2.3.1 CR padding; returns octets written.
std::size_t put_ussd_string(wbuf& out, std::string_view text) noexcept;
// Luhn check digit of a 14-digit IMEI (TS 23.003 B.2).
char luhn_digit(std::string_view imei14) noexcept;

}  // namespace bssap::synth
