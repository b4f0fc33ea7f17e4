// smpp-stub: an SMSC gateway simulator speaking SMPP 3.4 (server side) for tests, demos and
// benchmarks. One thread, epoll. This header is what its files share: the options (cli.cpp),
// one connection's state, the deliver_sm and delayed responses waiting for their time, the
// counters of the summary line, and the stub itself, whose members are defined by job:
//   server.cpp    listening, the epoll loop, accepting, reading and framing (3.2), writing
//   session.cpp   the PDUs an ESME sends: bind (4.1), unbind (4.2), enquire_link (4.11), ...
//   submit.cpp    submit_sm (4.4): message ids, dedup, reassembly, records; schedules receipts
//                 and replies
//   faults.cpp    fault injection: dropped connections, ESME_RTHROTTLED / ESME_RMSGQFUL (5.1.3)
//                 by fraction or storm, ESME_RINVDSTADR by prefix, slow submit_sm_resp
//   receipts.cpp  delivery receipts (5.2.17 registered_delivery, 4.6.1, Appendix B)
//   replies.cpp   simulated subscriber replies (mobile-originated deliver_sm)
//   deliver.cpp   the timers and the store of deliver_sm waiting for a receiving session
//   output.cpp    the JSON lines of --out and the summary
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "bssap/smpp/pdu.hpp"
#include "bssap/smpp/text.hpp"

namespace smpp_stub {

namespace smpp = bssap::smpp;
using steady = std::chrono::steady_clock;
using json = nlohmann::json;

struct options {
  std::string listen = "127.0.0.1";
  int port = 2775;
  std::string port_file;
  std::string system_id = "bssap";
  std::string password = "secret";
  std::string out;
  bool flush_each = false;
  bool record_parts = true;
  unsigned receipt_delay_ms = 0;
  double undeliv = 0, expired = 0;
  double reply_fraction = 0;
  std::string reply_keyword = "YES";
  unsigned reply_delay_ms = 0;
  double throttle_fraction = 0;
  unsigned storm_period_ms = 0, storm_length_ms = 0;
  std::string storm_status = "mixed";  // throttled | msgqful | mixed
  unsigned resp_delay_ms = 0;
  unsigned drop_after = 0;  // drop a connection after N submit_sm on it (0 = never)
  unsigned drop_max = 0;    // at most this many drops (0 = unlimited)
  double drop_probability = 0;
  unsigned enquire_link_ms = 0;
  std::string reject_prefix;  // destinations starting with it get ESME_RINVDSTADR
  std::uint64_t seed = 1;
};

struct connection {
  int fd = -1;
  std::uint64_t id = 0;
  bool bound = false;
  bool can_receive = false;  // transceiver or receiver: may get deliver_sm
  bool closing = false;
  std::vector<std::uint8_t> in;
  std::size_t in_len = 0;
  std::vector<std::uint8_t> out;
  std::size_t out_sent = 0;
  unsigned submits = 0;
  smpp::sequence_counter seq;  // of the requests the stub sends on it (5.1.4)
  std::string peer;
  std::uint32_t next_seq() noexcept { return seq.next(); }
};

// A deliver_sm to send later (receipt or MO) or a delayed submit_sm_resp.
struct timed {
  steady::time_point due;
  std::uint64_t order = 0;
  enum class kind : std::uint8_t { receipt, mo, resp } what = kind::receipt;
  std::uint64_t conn = 0;  // resp: this connection only; others: any receiving connection
  std::uint32_t seq = 0;
  std::uint32_t status = 0;
  std::string message_id;
  std::string src, dst;  // of the deliver_sm
  std::string text;
  smpp::message_state state = smpp::message_state::delivered;
  bool operator>(const timed& o) const { return std::tie(due, order) > std::tie(o.due, o.order); }
};

struct counters {
  std::uint64_t connections = 0, binds = 0, bind_rejected = 0, submit_sm = 0, parts_unique = 0, duplicates = 0,
                messages = 0, throttled = 0, msgqful = 0, receipts_sent = 0, mo_sent = 0, deliver_sm_resp = 0,
                drops = 0, generic_nacks = 0, rejected = 0, malformed = 0, enquire_links = 0, unbinds = 0;
};

class stub {
 public:
  explicit stub(options o) : _o(std::move(o)), _rng(_o.seed) {}
  // Listens, serves until SIGINT / SIGTERM, then writes the summary. The exit status.
  int run();

 private:
  // tests/fuzz/fuzz_smpp_stub.cpp drives on_readable() and the timers on a socketpair, as if
  // an ESME had sent its input.
  friend struct fuzz_stub_access;

  static constexpr std::uint64_t listen_key = 1, signal_key = 2;

  // server.cpp
  void add_fd(int fd, std::uint32_t ev, std::uint64_t key);
  void accept_all();
  void drop(connection& c, const char* why);
  void flush(connection& c);
  void on_readable(connection& c);

  // session.cpp
  void handle(connection& c, const smpp::header& h, std::span<const std::uint8_t> body);

  // submit.cpp
  void on_submit(connection& c, const smpp::header& h, std::span<const std::uint8_t> body);

  // faults.cpp
  // True when this submit_sm is lost with its connection (--drop-after, --drop-probability).
  bool drop_fault(connection& c);
  // The status a fault answers this submit_sm with instead of taking it; ESME_ROK if none.
  std::uint32_t status_fault(const smpp::sm_body& sm);
  bool in_storm() const;
  // submit_sm_resp, now or after --resp-delay-ms.
  void respond(connection& c, std::uint32_t seq, std::uint32_t st, const std::string& id);

  // receipts.cpp
  void schedule_receipt(const smpp::sm_body& sm, const std::string& id, const std::string& src, const std::string& dst,
                        const std::string& part_text);
  void send_receipt(connection& c, const timed& t);

  // replies.cpp
  void schedule_reply(const std::string& src, const std::string& dst);
  void send_reply(connection& c, const timed& t);

  // deliver.cpp
  connection* receiver();
  void send_deliver(connection& c, const timed& t);
  void deliver_waiting();
  void run_timers();

  // output.cpp
  void write(const json& j);
  void summary();

  options _o;
  std::mt19937_64 _rng;
  FILE* _out = nullptr;
  int _listen = -1, _ep = -1;
  std::map<std::uint64_t, std::unique_ptr<connection>> _conns;
  std::uint64_t _next_conn = 16, _rr = 0, _order = 0;
  std::uint64_t _id_base = static_cast<std::uint64_t>(std::time(nullptr)) << 24, _next_msg = 0;
  std::priority_queue<timed, std::vector<timed>, std::greater<>> _timers;
  std::deque<timed> _waiting;
  std::set<std::tuple<std::string, std::string, std::uint16_t, std::uint8_t>> _seen;
  std::map<std::tuple<std::string, std::string, std::uint16_t, std::uint8_t>, std::vector<std::string>> _message_ids;
  smpp::reassembler _parts;
  counters _n;
  steady::time_point _start, _next_enquire;
};

}  // namespace smpp_stub
