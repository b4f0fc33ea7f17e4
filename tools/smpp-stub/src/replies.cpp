// Simulated subscriber replies from smpp-stub (see stub.hpp): a fraction (--reply-fraction) of
// the messages it reassembles is answered, after --reply-delay-ms, by a mobile-originated
// deliver_sm (SMPP 3.4 4.6.1) from the message's destination to its source, with the text
// --reply-keyword in GSM 7-bit or UCS-2 (data_coding 5.2.19) when it fits one part, as raw
// octets otherwise. Campaigns use these replies as the subscriber's answer.
#include <chrono>
#include <string>
#include <vector>

#include "stub.hpp"

namespace smpp_stub {

void stub::schedule_reply(const std::string& src, const std::string& dst) {
  if (_o.reply_fraction > 0 && std::uniform_real_distribution<>(0, 1)(_rng) < _o.reply_fraction) {
    timed t;
    t.due = steady::now() + std::chrono::milliseconds(_o.reply_delay_ms);
    t.order = _order++;
    t.what = timed::kind::mo;
    t.src = dst;
    t.dst = src;
    t.text = _o.reply_keyword;
    _timers.push(std::move(t));
  }
}

void stub::send_reply(connection& c, const timed& t) {
  using namespace smpp;
  sm_body b;
  b.source = {1, 1, t.src};
  b.destination = {1, 1, t.dst};
  const std::string& text = t.text;
  ++_n.mo_sent;
  std::vector<encoded_part> parts;
  std::vector<std::uint8_t> raw(text.begin(), text.end());
  if (encode_text(text, 0, parts) == text_error::none && parts.size() == 1) {
    b.data_coding = parts[0].data_coding;
    b.short_message = parts[0].short_message;
    encode_sm(c.out, cmd::deliver_sm, c.next_seq(), b);
    return;
  }
  b.short_message = raw;
  encode_sm(c.out, cmd::deliver_sm, c.next_seq(), b);
}

}  // namespace smpp_stub
