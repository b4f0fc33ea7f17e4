// Names of the configuration's enumerations, as campaigns.md writes them.
#include <array>

#include "bssap/campaign/config.hpp"

namespace bssap::campaign {

std::string_view to_string(cmp_op op) noexcept {
  static constexpr std::array<std::string_view, 10> names{"eq", "ne", "in", "not_in", "lt",
                                                          "le", "gt", "ge", "prefix", "not_prefix"};
  return names[static_cast<std::size_t>(op)];
}

std::string_view to_string(channel_type t) noexcept {
  static constexpr std::array<std::string_view, 3> names{"sms", "worklist", "record"};
  return names[static_cast<std::size_t>(t)];
}

}  // namespace bssap::campaign
