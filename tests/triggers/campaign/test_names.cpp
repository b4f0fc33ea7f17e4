// The enumerations' names are the words campaigns.md uses in configuration files.
#include <catch2/catch.hpp>

#include "bssap/campaign/config.hpp"

using namespace bssap::campaign;

TEST_CASE("operator and channel names follow campaigns.md") {
  CHECK(to_string(cmp_op::eq) == "eq");
  CHECK(to_string(cmp_op::not_in) == "not_in");
  CHECK(to_string(cmp_op::not_prefix) == "not_prefix");
  CHECK(to_string(channel_type::sms) == "sms");
  CHECK(to_string(channel_type::worklist) == "worklist");
  CHECK(to_string(channel_type::record) == "record");
}
