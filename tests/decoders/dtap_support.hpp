// Shared by the DTAP test files: a DTAP message decoded from hex text, and message-type enums as
// the octet the decoder reports.
#pragma once

#include <cstdint>
#include <type_traits>

#include "bssap/decoders/dtap.hpp"
#include "test_support.hpp"

namespace bssap::test {

inline dec::result<dec::dtap_message> dtap(const char* h, dec::link_direction d = dec::link_direction::unknown,
                                           dec::decode_stats* s = nullptr) {
  const auto v = hex(h);
  return dec::decode_dtap({v.data(), v.size()}, d, s);
}

template <typename MsgType>
requires std::is_enum_v<MsgType>
constexpr std::uint8_t type(MsgType t) {
  return static_cast<std::uint8_t>(t);
}

}  // namespace bssap::test
