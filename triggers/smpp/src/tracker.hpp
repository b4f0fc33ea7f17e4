// Message and part state shared by the sessions, and the matching of delivery receipts to parts.
// A receipt (deliver_sm with esm_class "SMSC delivery receipt", SMPP 3.4 4.6.1 / 5.2.12) names
// the part by the message_id its submit_sm_resp gave (4.4.2; receipted_message_id TLV 5.3.2.12,
// or the "id:" of the Appendix B text), and may arrive on another session than the one that
// submitted the part, even before that session has handed over the submit_sm_resp: such a receipt
// is kept a while as an orphan and matched when the ack comes. The tracker turns each session's
// batch of answers into outbox updates and the callbacks to run once they are durable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bssap/smpp/client.hpp"
#include "bssap/smpp/outbox.hpp"

namespace bssap::smpp {

// What a session saw in one poll iteration, applied to the tracker and outbox as one batch.
struct session_event {
  enum class kind : std::uint8_t { ack, fail, receipt } what = kind::ack;
  std::uint64_t id = 0;
  std::uint8_t seq = 0;
  std::string smsc_id;
  std::uint32_t command_status = 0;
  message_state state = message_state::unknown;
  std::string err;
};

class tracker {
 public:
  struct track {
    std::string client_ref;
    std::uint8_t total = 1;
    bool want_receipt = true;
    std::vector<std::uint8_t> part;  // 0 waiting, 1 acked, 2 failed, 3 final receipt
    std::uint32_t fail_status = 0;
    std::uint8_t answered = 0, finals = 0;
  };

  void add(std::uint64_t id, std::string client_ref, std::uint8_t total, bool want_receipt);
  // A part's answer as a previous run stored it in the outbox.
  void restore_part(std::uint64_t id, const part_row& r);
  // Applies a batch: fills outbox updates and the callbacks to run once they are durable.
  void apply(std::vector<session_event>& events, std::vector<outbox_update>& updates,
             std::vector<receipt_event>& receipts, std::vector<submit_failure>& failures, std::uint64_t& unmatched);

 private:
  struct orphan {
    session_event event;
    std::chrono::steady_clock::time_point since;
  };
  static constexpr std::size_t orphan_limit = 65536;
  static constexpr auto orphan_max_age = std::chrono::seconds(30);
  std::chrono::steady_clock::time_point _last_purge = std::chrono::steady_clock::now();
  std::mutex _mutex;
  std::unordered_map<std::uint64_t, track> _messages;
  std::unordered_map<std::string, std::pair<std::uint64_t, std::uint8_t>> _by_smsc;
  std::unordered_map<std::string, orphan> _orphans;
};

}  // namespace bssap::smpp
