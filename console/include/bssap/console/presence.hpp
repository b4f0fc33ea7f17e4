// presence_index: where every subscriber was last seen, for the outbound-calling team's "is
// this phone on right now?" (GET /api/v1/subscribers/{id}, POST /api/v1/presence).
//
//   correlator --event_fanout (1 shard, its own SPSC queue and thread)--> presence_index
//
// It runs on a trigger-side thread of its own, fed like a campaign shard: the capture thread
// only pushes events into a lock-free queue (live: a full queue drops and counts, replay waits).
// The index is an open-addressing table keyed by the packed IMSI, 40 octets a subscriber; the
// feeding thread takes the writer lock once per batch of events, HTTP threads take it shared for
// one lookup (no allocation under it).
//
// Attached: the last event was not power_off (IMSI detach, TS 24.008 4.3.4) nor lu_reject
// (4.4.4.7: the network refused the registration); any other event shows the phone talking to
// the network. Location: the last event that carried a LAC (and cell). Roaming: the IMSI's
// MCC-MNC is not one of the home PLMNs (TS 23.003 2.2: IMSI = MCC MNC MSIN).
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bssap/event.hpp"
#include "bssap/event_sink.hpp"

namespace bssap::console {

// IMSI digits (1..15) as one integer, the length in the top bits so that leading zeros count.
std::optional<std::uint64_t> pack_imsi(std::string_view digits) noexcept;
std::string unpack_imsi(std::uint64_t key);

struct presence_entry {
  std::uint64_t imsi = 0;  // packed; 0 = empty slot
  std::uint64_t imei = 0;  // 14 digits as a number, 0 = none known
  std::int64_t ts_us = 0;  // the last event
  std::uint32_t cell = 0;
  std::uint16_t lac = 0;
  event_type last = event_type::power_on;
  std::uint8_t flags = 0;          // flag_* below
  std::uint16_t mcc = 0, mnc = 0;  // of the last LAI
  static constexpr std::uint8_t flag_attached = 1, flag_lac = 2, flag_cell = 4, flag_imei = 8, flag_plmn = 16,
                                flag_mnc3 = 32, flag_roaming = 64;
  bool has(std::uint8_t f) const noexcept { return (flags & f) != 0; }
};
static_assert(sizeof(presence_entry) == 40);

class presence_index final : public shard_consumer {
 public:
  // `home_plmns`: "MCC-MNC" strings (the probe's --home-plmns).
  explicit presence_index(std::vector<std::string> home_plmns, std::size_t initial_capacity = 1u << 16);

  // shard_consumer: the feeding thread.
  void on_event(const event& e) noexcept override;
  void flush() noexcept override;
  // Applies one event now (bench/ and tests fill the index without a fan-out).
  void apply(const event& e) noexcept;

  // Any thread.
  std::optional<presence_entry> find(std::uint64_t packed_imsi) const noexcept;
  std::size_t size() const noexcept;
  std::int64_t clock_us() const noexcept;  // the latest event time seen: "now" for freshness
  std::uint64_t events() const noexcept;
  std::uint64_t table_full() const noexcept;  // events not applied: no memory to grow

  bool is_home(std::string_view imsi) const noexcept;

 private:
  void apply_locked(const event& e) noexcept;
  presence_entry* slot_for(std::uint64_t key) noexcept;
  bool grow() noexcept;

  std::vector<std::string> _home;  // "46000", "46002": MCC and MNC digits, for IMSI prefixes
  mutable std::shared_mutex _mutex;
  std::vector<presence_entry> _slots;
  std::size_t _size = 0;
  std::int64_t _clock_us = 0;
  std::uint64_t _events = 0, _table_full = 0;
  std::vector<event> _batch;  // on_event gathers, flush() applies under one lock
};

}  // namespace bssap::console
