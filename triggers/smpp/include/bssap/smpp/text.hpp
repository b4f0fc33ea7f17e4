// Message text for SMPP: GSM 7-bit (data_coding 0x00, unpacked septets one per octet as SMPP
// carries them) when every character has a GSM form, otherwise UCS-2 (data_coding 0x08,
// UTF-16BE); long texts split into concatenated parts with a UDH.
// References: SMPP v3.4 5.2.19 (data_coding), 5.2.12 (esm_class UDHI 0x40), 5.2.22
// (short_message <= 254 octets); 3GPP TS 23.038 6.2.1 (alphabet, via bssap::dec::gsm7);
// 3GPP TS 23.040 9.2.3.24 (UDH), 9.2.3.24.1 (concatenated SMS, 8-bit reference IE 0x00).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace bssap::smpp {

namespace coding {
constexpr std::uint8_t gsm7 = 0x00;  // SMSC default alphabet, taken as GSM 03.38 (TS 23.038)
constexpr std::uint8_t ucs2 = 0x08;
}  // namespace coding

// Per-part capacity. A single GSM message holds 160 septets, UCS-2 70 characters (140 octets);
// with the 6-octet concatenation UDH (05 00 03 ref total seq) 153 septets (the UDH takes 7
// septets once the SMSC packs it: 48 bits + 1 fill bit) and 67 UCS-2 characters remain.
constexpr std::size_t gsm7_single = 160;
constexpr std::size_t gsm7_part = 153;
constexpr std::size_t ucs2_single = 70;
constexpr std::size_t ucs2_part = 67;
constexpr std::size_t max_parts = 255;  // 8-bit part count (TS 23.040 9.2.3.24.1)

struct encoded_part {
  std::uint8_t data_coding = coding::gsm7;
  std::uint8_t esm_class = 0;  // 0x40 when a UDH leads short_message
  std::uint8_t seq = 1;        // 1-based
  std::uint8_t total = 1;
  std::vector<std::uint8_t> short_message;  // UDH (if any) + septets or UTF-16BE
};

enum class text_error : std::uint8_t { none, empty, invalid_utf8, too_long };
std::string_view to_string(text_error e) noexcept;

// Encodes `utf8` and splits it when needed. `concat_ref` is the 8-bit reference shared by all
// parts. An escape pair (TS 23.038 6.2.1.1) and a UTF-16 surrogate pair are never split.
text_error encode_text(std::string_view utf8, std::uint8_t concat_ref, std::vector<encoded_part>& out);

// UTF-8 <-> UTF-16BE (UCS-2 in SMPP; surrogate pairs passed through).
bool utf8_to_utf16be(std::string_view utf8, std::vector<std::uint8_t>& out);
bool utf16be_to_utf8(std::span<const std::uint8_t> be, std::string& out);

// The concatenation IE of a UDH (8-bit IE 0x00 or 16-bit IE 0x08), if present.
struct concat_info {
  bool present = false;
  std::uint16_t ref = 0;
  std::uint8_t total = 1;
  std::uint8_t seq = 1;
};
// Splits short_message into UDH info and payload when esm_class has UDHI. Returns false when
// the UDH length runs past the data.
bool split_udh(std::uint8_t esm_class, std::span<const std::uint8_t> sm, concat_info& concat,
               std::span<const std::uint8_t>& payload) noexcept;

// Decodes a payload (no UDH) to UTF-8: 0x00/0x01 as unpacked GSM septets, 0x08 as UTF-16BE,
// 0x03 as Latin-1, anything else as Latin-1 too (it is shown, not interpreted).
bool decode_payload(std::uint8_t data_coding, std::span<const std::uint8_t> payload, std::string& utf8);

// Reassembles concatenated parts by (source, destination, reference, total). Payloads are
// joined before decoding, so a pair split by another sender's splitter still decodes.
// Bounded: a peer that starts concatenations and never finishes them (a lost part, or a hostile
// SMSC / ESME) cannot grow it for ever. At most `max_pending` incomplete messages and
// `max_bytes` of stored parts; beyond, the oldest incomplete message is dropped (counted in
// evicted()). 3GPP TS 23.040 9.2.3.24.1 sets no reassembly timer, so age alone drops nothing.
class reassembler {
 public:
  static constexpr std::size_t default_max_pending = 1024;
  static constexpr std::size_t default_max_bytes = 8u << 20;
  explicit reassembler(std::size_t max_pending = default_max_pending, std::size_t max_bytes = default_max_bytes)
      : _max_pending(max_pending ? max_pending : 1), _max_bytes(max_bytes) {}
  struct complete {
    std::string text;
    std::uint8_t total = 1;
  };
  // Returns true and fills `out` when this part completes a message (or is a single part).
  bool add(std::string_view source, std::string_view destination, std::uint8_t data_coding, const concat_info& concat,
           std::span<const std::uint8_t> payload, complete& out);
  std::size_t pending() const noexcept { return _pending.size(); }
  std::size_t pending_bytes() const noexcept { return _bytes; }
  // Incomplete messages dropped to stay within the bounds (their parts never joined).
  std::uint64_t evicted() const noexcept { return _evicted; }

 private:
  using key = std::tuple<std::string, std::string, std::uint16_t, std::uint8_t>;
  struct entry {
    std::uint8_t data_coding = 0;
    std::vector<std::vector<std::uint8_t>> parts;
    std::vector<bool> have;
    std::size_t count = 0;
    std::size_t bytes = 0;
    std::uint64_t order = 0;  // arrival of its first part: the oldest goes first
  };
  // Drops the oldest incomplete message other than `keep`; false when there is none.
  bool evict_oldest(const entry* keep);
  std::map<key, entry> _pending;
  std::size_t _max_pending, _max_bytes;
  std::size_t _bytes = 0;
  std::uint64_t _next_order = 0, _evicted = 0;
};

}  // namespace bssap::smpp
