// SUA (RFC 3868) encoder for Iu-CS over SCTP without M3UA/SCCP: the messages standing for SCCP's,
// carrying RANAP (ranap.hpp). Written independently of decoders/ (sua.cpp there).
#pragma once

#include <cstdint>

#include "model.hpp"
#include "world.hpp"

namespace bssap::synth {

// The SUA message (RFC 3868 3.3) for `m`: CORE / COAK / COREF / RELRE / RELCO / CODT for the
// connection-oriented kinds, CLDT for Paging and Reset, each with the RANAP-PDU as its Data.
// `rnc_pc` and `msc_pc` go into the addresses (route on SSN + PC, SSN 142).
void encode_sua(const msg& m, const conn_ctx& c, const world_view& w, std::uint32_t rnc_pc, std::uint32_t msc_pc,
                wbuf& out) noexcept;

}  // namespace bssap::synth
