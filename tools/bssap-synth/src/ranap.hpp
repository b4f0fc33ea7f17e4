// RANAP (TS 25.413) encoder for the Iu-CS messages bssap-synth sends, in aligned PER (aper.hpp).
// Written independently of decoders/ (ranap.cpp there): tshark is the oracle.
#pragma once

#include "model.hpp"
#include "world.hpp"

namespace bssap::synth {

// The RANAP-PDU for `m` on connection `c` into `out`: InitialUE-Message for a CR (its NAS-PDU the
// initial layer-3 message, with LAI, SAI, IuSigConId and GlobalRNC-ID), DirectTransfer for the
// DTAP kinds, CommonID, SecurityModeCommand / Complete (cipher_cmd / cipher_complete),
// Iu-ReleaseCommand / Complete (clear_cmd / clear_complete), Paging, Reset / ResetAcknowledge,
// LocationReportingControl / LocationReport. Writes nothing for the SCCP-only kinds (CC, CREF,
// RLSD, RLC) and the A-interface-only ones (assignment, handover).
void put_ranap(const msg& m, const conn_ctx& c, const world_view& w, wbuf& out) noexcept;

}  // namespace bssap::synth
