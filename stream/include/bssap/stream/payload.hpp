// The event bus payload: what a probe publishes to NATS JetStream (subject bssap.events.<shard>)
// and a trigger worker decodes. A fixed binary layout with a version byte, little-endian:
//
//   offset 0  u8   version (1)
//          1  u8   kind: 1 event, 2 mark (the source's progress), 3 end (the source has finished)
//          2  u8   source name length S (<= 64), then S bytes: the publishing probe's name
//          .. i64  ts_us: the event's ts; for a mark or an end, the latest ts the source has published
//   event only, after ts:
//             u8   event_type (events.md order, bssap::event_type)
//             u16  present (bssap::event_field bits)
//             then one value per present bit, in bit order:
//               imsi str, tmsi u32, imei str, lai (mcc str, mnc str, lac u16), cell u32, peer str,
//               cause i32, duration_ms i64, prev_imei str, prev_lac u16, prev_cell u32, link str,
//               lac u16
//             str: u8 length then the bytes (never longer than the event field's capacity)
//
// Why binary and not the JSON line: an event is 30-80 bytes here against 150-300 as JSON (the
// stream's size and the servers' replication traffic scale with it), the worker decodes with
// bounds checks and no number or date parsing, and fields that are absent take no byte at all.
// Why a version byte: probes and workers are upgraded host by host, so a worker must tell a
// payload it cannot read (a later version: refused and counted, never misread) from a damaged one.
// A version-1 reader rejects unknown kinds, unknown present bits and trailing bytes, so a later
// version adds fields by raising the version, never by reinterpreting version 1.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bssap/event.hpp"

namespace bssap::stream {

constexpr std::uint8_t payload_version = 1;
constexpr std::size_t max_source_name = 64;

enum class payload_kind : std::uint8_t { event = 1, mark = 2, end = 3 };

struct message {
  payload_kind kind = payload_kind::event;
  std::string source;  // the publishing probe (--source-name), <= 64 bytes
  event ev;            // kind event: the event; mark/end: only ev.ts_us is meaningful
};

// Appends the encoded payload to `out` (no allocation once `out` has capacity). The source name
// is cut to 64 bytes.
void encode(payload_kind kind, std::string_view source, const event& e, std::string& out);
inline void encode_event(std::string_view source, const event& e, std::string& out) {
  encode(payload_kind::event, source, e, out);
}
void encode_progress(payload_kind kind, std::string_view source, std::int64_t ts_us, std::string& out);

// Decodes one payload. nullopt with `error` set (one line: what is wrong and where) when the
// payload is damaged, truncated, of another version or carries values out of range.
std::optional<message> decode(std::span<const std::uint8_t> payload, std::string* error = nullptr);
inline std::optional<message> decode(std::string_view payload, std::string* error = nullptr) {
  return decode(std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()), error);
}

}  // namespace bssap::stream
