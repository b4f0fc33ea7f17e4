// The PDUs an ESME sends smpp-stub (see stub.hpp), by command_id (SMPP 3.4 5.1.2.1): bind_*
// (4.1: system_id and password checked, ESME_RINVSYSID / ESME_RINVPASWD, ESME_RALYBND for a second
// bind; a transmitter never gets deliver_sm), submit_sm (4.4, submit.cpp), deliver_sm_resp
// (4.6.2), enquire_link (4.11), unbind (4.2), and generic_nack ESME_RINVCMDID (4.3) for anything
// else.
#include <cstdio>
#include <string>

#include "stub.hpp"

namespace smpp_stub {

void stub::handle(connection& c, const smpp::header& h, std::span<const std::uint8_t> body) {
  using namespace smpp;
  switch (h.command_id) {
    case cmd::bind_transceiver:
    case cmd::bind_transmitter:
    case cmd::bind_receiver: {
      bind_body b;
      std::uint32_t st = status::ok;
      if (decode_bind(body, b) != decode_error::none) {
        st = status::invcmdlen;
        ++_n.malformed;
      } else if (c.bound) {
        st = status::alybnd;
      } else if (b.system_id != _o.system_id) {
        st = status::invsysid;
      } else if (b.password != _o.password) {
        st = status::invpaswd;
      }
      encode_bind_resp(c.out, h.command_id | cmd::response_bit, st, h.sequence_number, "bssap-stub");
      if (st == status::ok) {
        c.bound = true;
        c.can_receive = h.command_id != cmd::bind_transmitter;
        ++_n.binds;
        deliver_waiting();
      } else {
        ++_n.bind_rejected;
        std::fprintf(stderr, "smpp-stub: bind from %s rejected: %s\n", c.peer.c_str(),
                     std::string(status_name(st)).c_str());
        flush(c);
        c.closing = true;
      }
      return;
    }
    case cmd::submit_sm:
      on_submit(c, h, body);
      return;
    case cmd::deliver_sm_resp:
      ++_n.deliver_sm_resp;
      return;
    case cmd::enquire_link:
      ++_n.enquire_links;
      encode_header_only(c.out, cmd::enquire_link_resp, status::ok, h.sequence_number);
      return;
    case cmd::enquire_link_resp:
    case cmd::generic_nack:
      return;
    case cmd::unbind:
      ++_n.unbinds;
      encode_header_only(c.out, cmd::unbind_resp, status::ok, h.sequence_number);
      c.bound = false;
      flush(c);
      c.closing = true;
      return;
    case cmd::unbind_resp:
      c.closing = true;
      return;
    default:
      encode_header_only(c.out, cmd::generic_nack, status::invcmdid, h.sequence_number);
      ++_n.generic_nacks;
      return;
  }
}

}  // namespace smpp_stub
