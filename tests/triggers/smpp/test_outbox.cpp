// The durable outbox: idempotent acceptance by client_ref, one transaction per batch, and what
// a restarted process finds (parts answered, parts still to send).
#include <catch2/catch.hpp>

#include "bssap/smpp/outbox.hpp"
#include "proc.hpp"

using namespace bssap::smpp;

TEST_CASE("outbox: idempotent accept, acks and receipts survive a reopen") {
  const auto path = bssap::test::scratch("outbox-unit.db").string();
  outgoing_message a;
  a.client_ref = "r1";
  a.destination = {1, 1, "8613800000001"};
  a.text = "long message";
  outgoing_message b = a;
  b.client_ref = "r2";
  b.want_receipt = false;
  {
    outbox o;
    REQUIRE(o.open(path, "full").empty());
    std::vector<std::uint64_t> ids;
    std::vector<bool> dup;
    const std::vector<outgoing_message> batch{a, b};
    const std::vector<std::uint8_t> parts{2, 1};
    REQUIRE(o.accept(batch, parts, ids, dup));
    REQUIRE(ids.size() == 2);
    CHECK_FALSE(dup[0]);
    CHECK(ids[1] == ids[0] + 1);
    // The same client_ref again: the stored id, flagged duplicate, nothing inserted.
    std::vector<std::uint64_t> again;
    REQUIRE(o.accept(std::vector<outgoing_message>{a}, std::vector<std::uint8_t>{2}, again, dup));
    CHECK(again[0] == ids[0]);
    CHECK(dup[0]);
    const std::vector<outbox_update> updates{
        {outbox_update::kind::ack, ids[0], 1, "S1", 0, 0},
        {outbox_update::kind::receipt, ids[0], 1, {}, 0, 2},
        {outbox_update::kind::ack, ids[1], 1, "S2", 0, 0},
        {outbox_update::kind::message_state, ids[1], 0, {}, 0, row_state::final},
    };
    REQUIRE(o.apply(updates));
    const auto c = o.counts();
    CHECK(c.pending == 1);
    CHECK(c.final == 1);
  }
  outbox o;
  REQUIRE(o.open(path).empty());
  const auto open = o.load_open();
  REQUIRE(open.size() == 1);  // the final message is done; the other still has a part to send
  CHECK(open[0].msg.client_ref == "r1");
  CHECK(open[0].msg.text == "long message");
  CHECK(open[0].parts == 2);
  REQUIRE(open[0].rows.size() == 1);
  CHECK(open[0].rows[0].seq == 1);
  CHECK(open[0].rows[0].smsc_id == "S1");
  CHECK(open[0].rows[0].receipt_state == 2);
}

TEST_CASE("outbox: unusable before open, clear error for a bad path") {
  outbox o;
  std::vector<std::uint64_t> ids;
  std::vector<bool> dup;
  CHECK_FALSE(o.accept(std::vector<outgoing_message>(1), std::vector<std::uint8_t>{1}, ids, dup));
  CHECK(o.last_error() == "outbox not open");
  outbox bad;
  CHECK(bad.open("/nonexistent-dir/x/outbox.db").find("cannot open outbox") != std::string::npos);
}
