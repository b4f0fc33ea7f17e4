// The threads of the probe and the order-preserving merge between them (see pipeline.hpp).
#include "bssap/probe/pipeline.hpp"

#include <boost/lockfree/spsc_queue.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "bssap/decoders/hash.hpp"
#include "bssap/decoders/packet_stack.hpp"
#include "bssap/probe/log.hpp"
#include "bssap/probe/packet_ring.hpp"

namespace bssap::probe {

namespace {
constexpr std::uint64_t eof_seq = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t tick_every = 64;  // frames between progress ticks to a lagging worker

// Spin briefly, then yield, then sleep: idle threads must not steal a core from busy ones
// (the machine may have fewer cores than threads). Few yields: since the capture thread runs the
// transport half, the SCCP workers wait on it most of the time, and 192 sched_yield calls per
// wait cost a quarter of a core in the kernel on a 2-core machine (0.39 s of 2.0 s CPU).
struct backoff {
  unsigned n = 0;
  void wait() noexcept {
    if (n < 64) {
      ++n;
    } else if (n < 80) {
      ++n;
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  void reset() noexcept { n = 0; }
};

using record_queue = boost::lockfree::spsc_queue<a_record>;

decoder_figures figures_of(const flow_decoder& d) {
  decoder_figures f;
  f.errors += d.stack_errors();
  f.errors += d.upper_errors();
  f.stack += d.stack_counters();
  f.fd += d.stats();
  f.open_connections = d.open_connections();
  return f;
}

// When a thread that owns a decoder should publish its figures again (publish_figures).
struct figures_clock {
  std::chrono::steady_clock::duration every;
  std::chrono::steady_clock::time_point last{};
  bool due() noexcept {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < every) return false;
    last = now;
    return true;
  }
};

// Pushes `r`, waiting while the merge side has not made room.
void push_waiting(record_queue& q, const a_record& r, backoff& b) noexcept {
  while (!q.push(r)) b.wait();
  b.reset();
}

// A progress marker: nothing before `seq` (worker mode) or older than `ts_us` (producer mode)
// follows from its worker; seq == eof_seq ends the worker's stream.
a_record tick_record(std::uint64_t seq, std::int64_t ts_us = 0) noexcept {
  a_record r;
  r.kind = a_kind::tick;
  r.seq = seq;
  r.ts_us = ts_us;
  return r;
}

// An SCCP unit as it travels in a packet_ring (ring_item::unit): the sccp_unit itself (its
// `sccp` span pointing at the sender's buffer, replaced on reading), then the SCCP octets. Copied
// whole, so that a field added to sccp_unit travels without a list here to keep in step.
static_assert(std::is_trivially_copyable_v<dec::sccp_unit>);

bool push_unit(packet_ring& ring, const dec::sccp_unit& u, std::uint64_t seq) noexcept {
  return ring.try_push(ring_item::unit, 0, seq, u.ts_us, std::as_bytes(std::span{&u, 1}), u.sccp);
}

dec::sccp_unit unit_of(const ring_header& h) noexcept {
  const auto data = h.data();
  dec::sccp_unit u;
  std::memcpy(&u, data.data(), sizeof u);
  u.sccp = data.subspan(sizeof u);
  return u;
}

// --unknown: counters read before and after a frame (or unit) to tell whether a decoder refused
// it or carried something it does not understand, and why.
struct transport_mark {
  std::uint64_t refusals = 0, ppid = 0, si = 0;
};
transport_mark mark_transport(const flow_decoder& d) noexcept {
  const auto& c = d.stack_counters();
  std::uint64_t si = 0;
  for (const auto v : c.non_sccp_by_si) si += v;
  return {d.stack_errors().refusals, c.sctp_ppid_other, si};
}
struct unit_mark {
  std::uint64_t refusals = 0, ssn = 0;
};
unit_mark mark_units(const flow_decoder& d) noexcept {
  return {d.upper_errors().refusals, d.stats().non_bssap_ssn};
}

bool is_mtp(dec::linktype lt) noexcept {
  return lt == dec::linktype::mtp2 || lt == dec::linktype::mtp2_phdr || lt == dec::linktype::mtp3;
}
unknown_reason error_reason(const dec::decode_stats& s) noexcept {
  return {s.last_layer, static_cast<std::uint8_t>(s.last_error)};
}
// The SCCP half's reason, if any (a refusal before a subsystem we do not decode).
bool unit_reason(const flow_decoder& d, unit_mark before, unknown_reason& why) noexcept {
  const unit_mark now = mark_units(d);
  if (now.refusals != before.refusals) {
    why = error_reason(d.upper_errors());
    return true;
  }
  if (now.ssn != before.ssn) {
    why = {dec::layer::sccp, static_cast<std::uint8_t>(unknown_kind::unknown_ssn)};
    return true;
  }
  return false;
}
bool transport_reason(const flow_decoder& d, transport_mark before, dec::linktype lt, unknown_reason& why) noexcept {
  const transport_mark now = mark_transport(d);
  if (now.refusals != before.refusals) {
    why = error_reason(d.stack_errors());
    return true;
  }
  if (now.ppid != before.ppid) {
    why = {dec::layer::sctp, static_cast<std::uint8_t>(unknown_kind::unknown_ppid)};
    return true;
  }
  if (now.si != before.si) {
    why = {is_mtp(lt) ? dec::layer::mtp3 : dec::layer::m3ua, static_cast<std::uint8_t>(unknown_kind::unknown_si)};
    return true;
  }
  return false;
}

// Runs `decode` (a frame through the transport half, or through both halves when `units`) and,
// with --unknown (`port` set), offers the frame when a decoder refused or did not understand it.
template <class Decode>
void decode_frame_watched(flow_decoder& d, unknown_port* port, bool units, dec::linktype lt, std::int64_t ts_us,
                          std::span<const std::byte> frame, Decode&& decode) noexcept {
  if (port == nullptr) {
    decode();
    return;
  }
  const transport_mark t = mark_transport(d);
  const unit_mark u = mark_units(d);
  decode();
  unknown_reason why;
  if (transport_reason(d, t, lt, why) || (units && unit_reason(d, u, why))) port->offer_frame(lt, ts_us, frame, why);
}
// The same for one SCCP unit through the SCCP half (its frame is gone: the unit is offered).
template <class Decode>
void decode_unit_watched(flow_decoder& d, unknown_port* port, const dec::sccp_unit& unit, Decode&& decode) noexcept {
  if (port == nullptr) {
    decode();
    return;
  }
  const unit_mark before = mark_units(d);
  decode();
  unknown_reason why;
  if (unit_reason(d, before, why)) port->offer_unit(unit, why);
}

// Which worker owns an SS7 relation's connections.
std::size_t worker_of(const dec::sccp_unit& u, std::size_t workers) noexcept {
  return static_cast<std::size_t>(dec::mix64(dec::relation_of(u).id) % workers);
}
}  // namespace

struct pipeline::worker {
  worker(std::size_t ring_bytes, std::size_t queue) : ring(ring_bytes), out(queue) {}
  packet_ring ring;  // worker mode: SCCP units to decode; producer mode: SCCP units to merge
  record_queue out;  // worker mode: records to merge (unused in producer mode)
  std::thread thread;
  bool done = false;  // merge side: its eof record was consumed
  // Producer mode: written by the producer's thread, read by the merge side.
  std::uint64_t seq = 0;  // producer thread only
  std::atomic<std::uint64_t> packets{0}, bytes{0}, drops{0};
  std::atomic<std::int64_t> first_ts_us{0}, last_ts_us{0};
  std::atomic<bool> ended{false};
  // publish_figures: this worker's (or producer's) decoder counters, swapped whole by its thread.
  std::atomic<std::shared_ptr<const decoder_figures>> figures;
};

decoder_figures& decoder_figures::operator+=(const decoder_figures& o) noexcept {
  errors += o.errors;
  stack += o.stack;
  fd += o.fd;
  open_connections += o.open_connections;
  return *this;
}

pipeline::pipeline(pipeline_config config, event_sink& sink) : _config(std::move(config)), _sink(sink) {
  if (_config.producers > 0) _config.threads = _config.producers;  // one flow decoder per producer
  if (_config.threads == 0) _config.threads = 1;
  _correlator = std::make_unique<correlator>(_config.correlation, _sink);
  // Worker mode: one decoder per worker for the SCCP half, and one more (the last) for the
  // capture thread's transport half. Producer mode: one per producer for the transport half,
  // and the last for the merge side's SCCP half.
  const unsigned halves = _config.producers > 0 || _config.threads > 1 ? 1 : 0;
  for (unsigned i = 0; i < _config.threads + halves; ++i)
    _decoders.push_back(std::make_unique<flow_decoder>(_config.decoder, std::uint64_t{i} << 48));
  _last_sent.assign(_config.threads, 0);
  // Without --unknown the ports stay null (decode_*_watched then only decodes).
  const unsigned transport_ports = _config.producers > 0 ? _config.producers : 1;
  const unsigned unit_ports = _config.producers > 0 ? 1 : _config.threads > 1 ? _config.threads : 0;
  auto port = [this]() { return _config.unknown != nullptr ? &_config.unknown->add_port() : nullptr; };
  for (unsigned i = 0; i < transport_ports; ++i) _unknown_transport.push_back(port());
  for (unsigned i = 0; i < unit_ports; ++i) _unknown_units.push_back(port());
}

pipeline::~pipeline() {
  if (_snapshot_writer.joinable()) _snapshot_writer.join();
  // finish() joins; if it was never called (error path), stop the workers here. Producer mode
  // owns no threads, and its producers may never have started: nothing to wait for.
  if (!_finished && _config.producers > 0) return;
  if (!_finished) {
    std::string ignored;
    (void)finish(ignored);
  }
}

bool pipeline::start(std::string& error) {
  if (_config.state_dir && !_correlator->load_state(*_config.state_dir, error)) return false;
  _last_snapshot = std::chrono::steady_clock::now();
  if (_config.producers > 0) {
    for (unsigned i = 0; i < _config.producers; ++i)
      _workers.push_back(std::make_unique<worker>(_config.ring_bytes, 2));
    return true;
  }
  if (_config.threads == 1) return true;
  for (unsigned i = 0; i < _config.threads; ++i)
    _workers.push_back(std::make_unique<worker>(_config.ring_bytes, _config.record_queue));
  for (unsigned i = 0; i < _config.threads; ++i) {
    worker* w = _workers[i].get();
    flow_decoder* d = _decoders[i].get();
    const bool publish = _config.publish_figures;
    const auto every = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(_config.figures_interval_s));
    unknown_port* unknown = _unknown_units[i];
    w->thread = std::thread([w, d, publish, every, unknown] {
      backoff wait_in, wait_out;
      figures_clock clock{every};
      auto push_out = [&](const a_record& r) noexcept { push_waiting(w->out, r, wait_out); };
      auto sink = make_record_sink(push_out);
      for (;;) {
        const ring_header* h = w->ring.peek();
        if (h == nullptr) {
          wait_in.wait();
          continue;
        }
        wait_in.reset();
        switch (h->kind) {
          case ring_item::unit: {
            const dec::sccp_unit u = unit_of(*h);
            decode_unit_watched(*d, unknown, u, [&] { d->decode_unit(u, h->seq, sink); });
            break;
          }
          case ring_item::packet:  // not sent: the capture thread runs the transport half
            break;
          case ring_item::tick:
            push_out(tick_record(h->seq));
            if (publish && clock.due()) w->figures.store(std::make_shared<const decoder_figures>(figures_of(*d)));
            break;
          case ring_item::eof:
            d->close_all(h->seq, sink);
            push_out(tick_record(eof_seq));
            w->ring.pop();
            return;
          case ring_item::pad:
            break;
        }
        w->ring.pop();
      }
    });
  }
  return true;
}

void pipeline::feed(const a_record& r) noexcept {
  _totals.records += 1;
  _correlator->feed(r);
}

bool pipeline::push_packet(dec::linktype lt, std::span<const std::byte> frame, std::int64_t ts_us,
                           std::size_t wire_length) noexcept {
  _totals.packets += 1;
  _totals.bytes += frame.size();
  if (_totals.first_ts_us == 0) _totals.first_ts_us = ts_us;
  _totals.last_ts_us = ts_us;
  if (_config.threads == 1) {
    auto on_record = [this](const a_record& r) noexcept { feed(r); };
    flow_decoder& d = *_decoders[0];
    decode_frame_watched(d, _unknown_transport[0], true, lt, ts_us, frame,
                         [&] { d.decode(lt, frame, ts_us, ++_seq, make_record_sink(on_record), wire_length); });
    return true;
  }
  // The transport half here, in capture order; each SCCP unit then goes to the worker that owns
  // its SS7 relation (a flow hash would split the associations of a linkset, or the paths of a
  // multi-homed one, and with them the connections).
  bool all_taken = true;
  auto on_unit = [&](const dec::sccp_unit& u) noexcept {
    const std::uint64_t seq = ++_seq;
    const std::size_t w = worker_of(u, _config.threads);
    worker& wk = *_workers[w];
    bool pushed = push_unit(wk.ring, u, seq);
    if (!pushed && _config.lossless) {
      backoff b;
      while (!pushed) {
        // Workers may be waiting for us to take their records: tick everyone, merge, retry.
        dispatch_ticks(true);
        (void)drain();
        b.wait();
        pushed = push_unit(wk.ring, u, seq);
      }
    }
    if (!pushed) {
      _totals.queue_drops += 1;
      all_taken = false;
      return;
    }
    _last_sent[w] = seq;
  };
  flow_decoder& transport = *_decoders.back();
  decode_frame_watched(transport, _unknown_transport[0], false, lt, ts_us, frame, [&] {
    transport.decode_transport(lt, frame, ts_us, dec::make_sccp_sink(on_unit), wire_length);
  });
  if ((_totals.packets & (tick_every - 1)) == 0) {
    dispatch_ticks(false);
    (void)drain();
  }
  return all_taken;
}

bool pipeline::produce(unsigned i, dec::linktype lt, std::span<const std::byte> frame, std::int64_t ts_us) noexcept {
  worker& w = *_workers[i];
  const std::uint64_t frames = w.packets.fetch_add(1, std::memory_order_relaxed);
  w.bytes.fetch_add(frame.size(), std::memory_order_relaxed);
  if (w.first_ts_us.load(std::memory_order_relaxed) == 0) w.first_ts_us.store(ts_us, std::memory_order_relaxed);
  w.last_ts_us.store(ts_us, std::memory_order_relaxed);
  // The transport half on this producer's thread; the SCCP half after the merge, where every
  // RX queue's units meet (RSS spreads IP flows, not SS7 relations).
  bool all_taken = true;
  backoff wait_out;
  auto on_unit = [&](const dec::sccp_unit& u) noexcept {
    const std::uint64_t seq = ++w.seq;
    if (_config.lossless) {
      while (!push_unit(w.ring, u, seq)) wait_out.wait();
      wait_out.reset();
    } else if (!push_unit(w.ring, u, seq)) {
      w.drops.fetch_add(1, std::memory_order_relaxed);
      all_taken = false;
    }
  };
  decode_frame_watched(*_decoders[i], _unknown_transport[i], false, lt, ts_us, frame,
                       [&] { _decoders[i]->decode_transport(lt, frame, ts_us, dec::make_sccp_sink(on_unit)); });
  if (_config.publish_figures && (frames & 1023) == 0) {  // every 1024 frames
    try {
      w.figures.store(std::make_shared<const decoder_figures>(figures_of(*_decoders[i])));
    } catch (const std::bad_alloc&) {  // the console's copy is late, the capture goes on
    }
  }
  return all_taken;
}

void pipeline::watermark(unsigned i, std::int64_t ts_us) noexcept {
  // Full: the merge has units to work on, and a later watermark follows.
  (void)_workers[i]->ring.try_push(ring_item::tick, 0, 0, ts_us, {});
}

void pipeline::end(unsigned i) noexcept {
  worker& w = *_workers[i];
  backoff b;
  // The merge keeps draining until every producer ended.
  while (!w.ring.try_push(ring_item::eof, 0, eof_seq, 0, {})) b.wait();
  w.ended.store(true, std::memory_order_release);
}

bool pipeline::producers_ended() const noexcept {
  for (const auto& w : _workers)
    if (!w->ended.load(std::memory_order_acquire)) return false;
  return true;
}

void pipeline::collect_producer_totals() noexcept {
  pipeline_totals t;
  t.records = _totals.records;
  for (const auto& w : _workers) {
    t.packets += w->packets.load(std::memory_order_relaxed);
    t.bytes += w->bytes.load(std::memory_order_relaxed);
    t.queue_drops += w->drops.load(std::memory_order_relaxed);
    const std::int64_t first = w->first_ts_us.load(std::memory_order_relaxed);
    if (first != 0 && (t.first_ts_us == 0 || first < t.first_ts_us)) t.first_ts_us = first;
    t.last_ts_us = std::max(t.last_ts_us, w->last_ts_us.load(std::memory_order_relaxed));
  }
  _totals = t;
}

void pipeline::dispatch_ticks(bool all) noexcept {
  for (std::size_t i = 0; i < _workers.size(); ++i) {
    if (!all && _seq - _last_sent[i] < tick_every) continue;
    if (_workers[i]->ring.try_push(ring_item::tick, 0, _seq, 0, {})) _last_sent[i] = _seq;
  }
}

bool pipeline::drain() noexcept {
  if (_workers.empty()) return true;
  if (_config.producers > 0) return drain_units();
  for (;;) {
    // The head with the smallest (sequence, record-before-tick) goes next; every unfinished
    // worker must show a head, else we cannot know that nothing smaller is still coming.
    std::size_t best = _workers.size();
    std::pair<std::int64_t, std::uint64_t> best_key{};
    bool all_done = true;
    for (std::size_t i = 0; i < _workers.size(); ++i) {
      worker& w = *_workers[i];
      if (w.done) continue;
      all_done = false;
      if (w.out.read_available() == 0) return false;
      const a_record& head = w.out.front();
      const bool tick = head.kind == a_kind::tick;
      std::pair<std::int64_t, std::uint64_t> key;
      if (head.seq == eof_seq)
        key = {std::numeric_limits<std::int64_t>::max(), eof_seq};
      else
        key = {0, head.seq * 2 + (tick ? 1 : 0)};
      if (best == _workers.size() || key < best_key) {
        best = i;
        best_key = key;
      }
    }
    if (all_done) return true;
    worker& w = *_workers[best];
    const a_record& head = w.out.front();
    if (head.kind == a_kind::tick) {
      if (head.seq == eof_seq) w.done = true;
    } else {
      feed(head);
    }
    w.out.pop();
  }
}

// Producer mode: the producers' units by capture time (each producer's units and watermarks
// come in its own time order; ties go to the lower index, as replay merges its files), into
// the SCCP half of the last decoder and on to the correlator.
bool pipeline::drain_units() noexcept {
  auto on_record = [this](const a_record& r) noexcept { feed(r); };
  const record_sink sink = make_record_sink(on_record);
  flow_decoder& sccp = *_decoders.back();
  for (;;) {
    std::size_t best = _workers.size();
    std::pair<std::int64_t, int> best_key{};
    bool all_done = true;
    for (std::size_t i = 0; i < _workers.size(); ++i) {
      worker& w = *_workers[i];
      if (w.done) continue;
      all_done = false;
      const ring_header* head = w.ring.peek();
      if (head == nullptr) return false;
      std::pair<std::int64_t, int> key{head->ts_us, head->kind == ring_item::unit ? 0 : 1};
      if (head->kind == ring_item::eof) key = {std::numeric_limits<std::int64_t>::max(), 2};
      if (best == _workers.size() || key < best_key) {
        best = i;
        best_key = key;
      }
    }
    if (all_done) return true;
    worker& w = *_workers[best];
    const ring_header* head = w.ring.peek();
    if (head->kind == ring_item::eof) w.done = true;
    if (head->kind == ring_item::unit) {
      const dec::sccp_unit u = unit_of(*head);
      decode_unit_watched(sccp, _unknown_units[0], u, [&] { sccp.decode_unit(u, ++_seq, sink); });
    }
    w.ring.pop();
  }
}

void pipeline::idle() noexcept {
  if (_workers.empty()) return;
  if (_config.producers > 0) {
    collect_producer_totals();
    (void)drain();
    return;
  }
  dispatch_ticks(true);
  (void)drain();
}

void pipeline::maybe_snapshot() noexcept {
  if (!_config.state_dir) return;
  const auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - _last_snapshot).count() < _config.snapshot_interval_s) return;
  _last_snapshot = now;
  if (_snapshot_busy.load(std::memory_order_acquire)) {
    _snapshots_skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (_snapshot_writer.joinable()) _snapshot_writer.join();  // finished: busy is false
  std::shared_ptr<const correlator::state_copy> copy;
  try {
    copy = _correlator->copy_state();
    _snapshot_busy.store(true, std::memory_order_release);
    _snapshot_writer = std::thread([this, copy, dir = *_config.state_dir] {
      std::string error;
      if (correlator::write_state(*copy, dir, error)) {
        _snapshots_written.fetch_add(1, std::memory_order_relaxed);
      } else {
        _snapshots_failed.fetch_add(1, std::memory_order_relaxed);
        log(log_level::warning, "state snapshot not written (the previous one stays): {}", error);
      }
      _snapshot_busy.store(false, std::memory_order_release);
    });
  } catch (const std::exception& e) {  // no memory for the copy, no thread: counted, logged
    _snapshot_busy.store(false, std::memory_order_release);
    _snapshots_failed.fetch_add(1, std::memory_order_relaxed);
    log(log_level::warning, "state snapshot not taken: {}", e.what());
  }
}

std::shared_ptr<pipeline_figures> pipeline::figures() const {
  auto f = std::make_shared<pipeline_figures>();
  f->totals = _totals;
  // Which decoders this thread owns: all of them without worker threads or once finish() has
  // joined them; else only the last (the capture side's transport half, or producer mode's
  // merge-side SCCP half).
  const bool all_mine = _workers.empty() || _finished;
  for (std::size_t i = 0; i < _decoders.size(); ++i) {
    if (all_mine || i + 1 == _decoders.size()) {
      f->decoders += figures_of(*_decoders[i]);
    } else if (i < _workers.size()) {
      if (const auto w = _workers[i]->figures.load()) f->decoders += *w;
    }
  }
  f->correlation = _correlator->stats();
  f->subscribers = _correlator->subscriber_count();
  f->correlator_connections = _correlator->open_connections();
  f->tmsi_map = _correlator->tmsi_map_size();
  f->snapshots_written = _snapshots_written.load(std::memory_order_relaxed);
  f->snapshots_failed = _snapshots_failed.load(std::memory_order_relaxed);
  f->threads = _config.threads;
  f->producers = _config.producers;
  return f;
}

bool pipeline::finish(std::string& error) {
  if (_finished) return true;
  _finished = true;
  if (_snapshot_writer.joinable()) _snapshot_writer.join();  // before the final snapshot's write
  if (_config.producers > 0) {
    // Every producer has ended (the capture source waits for them before finishing): merge the
    // rest, then end the open connections decoder by decoder, after all frames, as replay does.
    backoff b;
    while (!drain()) b.wait();
    collect_producer_totals();
    auto on_record = [this](const a_record& r) noexcept { feed(r); };
    _decoders.back()->close_all(_seq + 1, make_record_sink(on_record));
  } else if (_workers.empty()) {
    auto on_record = [this](const a_record& r) noexcept { feed(r); };
    _decoders[0]->close_all(_seq + 1, make_record_sink(on_record));
  } else {
    for (auto& w : _workers) {
      backoff b;
      while (!w->ring.try_push(ring_item::eof, 0, _seq + 1, 0, {})) {
        dispatch_ticks(true);
        (void)drain();
        b.wait();
      }
    }
    backoff b;
    while (!drain()) b.wait();
    for (auto& w : _workers)
      if (w->thread.joinable()) w->thread.join();
  }
  _correlator->close_all();
  if (_config.state_dir) return _correlator->save_state(*_config.state_dir, error);
  return true;
}

}  // namespace bssap::probe
