// Delivery receipts from smpp-stub (see stub.hpp). A submit_sm whose registered_delivery asks
// for one (SMPP 3.4 5.2.17: bits 1..0 = 01 on the final outcome, 10 on failure only) gets a
// deliver_sm (4.6.1) with esm_class "SMSC delivery receipt" (5.2.12) after --receipt-delay-ms:
// the Appendix B text ("id:... stat:DELIVRD ...") and, for ESMEs that prefer them, the
// receipted_message_id (5.3.2.12) and message_state (5.3.2.35) TLVs. --undeliv and --expired are
// the fractions of outcomes UNDELIVERABLE and EXPIRED; the rest are DELIVERED.
#include <chrono>
#include <ctime>
#include <string>

#include <fmt/format.h>

#include "stub.hpp"

namespace smpp_stub {

namespace {

std::string yymmddhhmm(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[16];
  std::strftime(b, sizeof b, "%y%m%d%H%M", &tm);
  return b;
}

}  // namespace

void stub::schedule_receipt(const smpp::sm_body& sm, const std::string& id, const std::string& src,
                            const std::string& dst, const std::string& part_text) {
  using namespace smpp;
  if (sm.registered_delivery & 0x03) {
    // 5.2.17: bits 1..0 = 01 receipt on final outcome, 10 on failure only.
    const double r = std::uniform_real_distribution<>(0, 1)(_rng);
    message_state st = message_state::delivered;
    if (r < _o.undeliv)
      st = message_state::undeliverable;
    else if (r < _o.undeliv + _o.expired)
      st = message_state::expired;
    if ((sm.registered_delivery & 0x03) == 2 && st == message_state::delivered) return;
    timed t;
    t.due = steady::now() + std::chrono::milliseconds(_o.receipt_delay_ms);
    t.order = _order++;
    t.what = timed::kind::receipt;
    t.message_id = id;
    t.src = dst;
    t.dst = src;
    t.text = part_text.substr(0, 20);
    t.state = st;
    _timers.push(std::move(t));
  }
}

void stub::send_receipt(connection& c, const timed& t) {
  using namespace smpp;
  sm_body b;
  b.source = {1, 1, t.src};
  b.destination = {1, 1, t.dst};
  // Appendix B receipt text, plus the TLVs (5.3.2.12, 5.3.2.35) for ESMEs that prefer them.
  const auto now = std::time(nullptr);
  const bool ok = t.state == message_state::delivered;
  const std::string text =
      fmt::format("id:{} sub:001 dlvrd:{} submit date:{} done date:{} stat:{} err:{} text:{}", t.message_id,
                  ok ? "001" : "000", yymmddhhmm(now), yymmddhhmm(now), stat_word(t.state), ok ? "000" : "001", "");
  b.esm_class = esm::delivery_receipt;
  b.receipted_message_id = t.message_id;
  b.message_state = static_cast<std::uint8_t>(t.state);
  ++_n.receipts_sent;
  std::vector<std::uint8_t> raw(text.begin(), text.end());
  b.short_message = raw;  // receipt text is ASCII
  encode_sm(c.out, cmd::deliver_sm, c.next_seq(), b);
}

}  // namespace smpp_stub
