// submit_sm at smpp-stub (SMPP 3.4 4.4; see stub.hpp): faults first (faults.cpp), then a message
// id in submit_sm_resp (4.4.2), the part recorded (--out) with its decoded text, UDH
// concatenation (esm_class 0x40, 3GPP TS 23.040 9.2.3.24.1) and user_message_reference
// (5.3.2.17). Dedup: a part whose (source, destination, user_message_reference, concat part) was
// already received is recorded with "dup":true, counted, and not reassembled again (see
// triggers/smpp outbox.hpp). A completed message is recorded and may get a subscriber reply
// (replies.cpp); a part asking for one gets a delivery receipt (receipts.cpp).
#include <string>

#include <fmt/format.h>

#include "stub.hpp"

namespace smpp_stub {

void stub::on_submit(connection& c, const smpp::header& h, std::span<const std::uint8_t> body) {
  using namespace smpp;
  if (!c.bound) {
    encode_resp_id(c.out, cmd::submit_sm_resp, status::invbndsts, h.sequence_number, {});
    return;
  }
  ++_n.submit_sm;
  ++c.submits;
  if (drop_fault(c)) return;
  sm_body sm;
  if (const auto e = decode_sm(body, sm); e != decode_error::none) {
    ++_n.malformed;
    encode_resp_id(c.out, cmd::submit_sm_resp, e == decode_error::bad_sm_length ? status::invmsglen : status::syserr,
                   h.sequence_number, {});
    return;
  }
  if (const auto st = status_fault(sm); st != status::ok) {
    respond(c, h.sequence_number, st, {});
    return;
  }
  const std::string id = fmt::format("{:x}", _id_base + _next_msg++);
  respond(c, h.sequence_number, status::ok, id);

  concat_info ci;
  std::span<const std::uint8_t> payload;
  const bool udh_ok = split_udh(sm.esm_class, sm.short_message, ci, payload);
  std::string part_text;
  decode_payload(sm.data_coding, payload, part_text);
  const std::string src(sm.source.addr), dst(sm.destination.addr);
  bool dup = false;
  if (sm.user_message_reference) {
    dup = !_seen.emplace(src, dst, *sm.user_message_reference, ci.present ? ci.seq : 1).second;
  }
  dup ? ++_n.duplicates : ++_n.parts_unique;
  if (_out && _o.record_parts) {
    json j{{"type", "part"},
           {"conn", c.id},
           {"message_id", id},
           {"src", src},
           {"dst", dst},
           {"data_coding", sm.data_coding},
           {"esm_class", sm.esm_class},
           {"text", part_text},
           {"dup", dup},
           {"registered_delivery", sm.registered_delivery}};
    if (sm.user_message_reference) j["umr"] = *sm.user_message_reference;
    if (ci.present) j["concat"] = {{"ref", ci.ref}, {"total", ci.total}, {"seq", ci.seq}};
    if (!sm.validity_period.empty()) j["validity"] = std::string(sm.validity_period);
    if (!udh_ok) j["bad_udh"] = true;
    write(j);
  }
  if (!dup) {
    auto& ids = _message_ids[{src, dst, ci.ref, ci.total}];
    ids.push_back(id);
    reassembler::complete done;
    if (_parts.add(src, dst, sm.data_coding, ci, payload, done)) {
      ++_n.messages;
      if (_out) {
        json j{{"type", "message"},
               {"src", src},
               {"dst", dst},
               {"text", done.text},
               {"parts", done.total},
               {"message_ids", ids},
               {"data_coding", sm.data_coding}};
        if (sm.user_message_reference) j["umr"] = *sm.user_message_reference;
        write(j);
      }
      _message_ids.erase({src, dst, ci.ref, ci.total});
      schedule_reply(src, dst);
    }
  }
  schedule_receipt(sm, id, src, dst, part_text);
}

}  // namespace smpp_stub
