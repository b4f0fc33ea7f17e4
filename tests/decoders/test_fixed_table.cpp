// fixed_table (decoders/src/fixed_table.hpp, private to packet_stack): the bounded flow table.
// for_each must visit exactly the used entries, whatever was inserted and erased before and
// while it walks, and never the capacity's free slots.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "../../decoders/src/fixed_table.hpp"

using bssap::dec::detail::fixed_table;

namespace {
struct key {
  std::uint32_t k = 0;
  bool operator==(const key&) const noexcept = default;
};
std::uint64_t hash_of(std::uint32_t k) {
  return k * 0x9E3779B97F4A7C15ULL;
}
}  // namespace

TEST_CASE("fixed_table: for_each visits exactly the used entries, and may erase the one it is given", "[fixed_table]") {
  fixed_table<key, int> t(64);
  std::set<std::uint32_t> model;
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    const std::uint32_t k = rng() % 100;
    auto* e = t.find({k}, hash_of(k));
    if (e != nullptr) {
      t.erase(e);
      model.erase(k);
    } else if (!t.full()) {
      t.insert({k}, hash_of(k), round)->value = static_cast<int>(k);
      model.insert(k);
    }
    REQUIRE(t.size() == model.size());
    if (round % 97 == 0) {
      // Erase the odd keys while walking: every entry seen once, the even ones left.
      std::multiset<std::uint32_t> seen;
      t.for_each([&](auto& entry) {
        seen.insert(entry.key.k);
        if (entry.key.k % 2 == 1) {
          t.erase(&entry);
          model.erase(entry.key.k);
        }
      });
      CHECK(seen.size() == std::set<std::uint32_t>(seen.begin(), seen.end()).size());
      std::set<std::uint32_t> after;
      t.for_each([&](auto& entry) { after.insert(entry.key.k); });
      CHECK(after == model);
      for (const auto k2 : model) CHECK(t.find({k2}, hash_of(k2)) != nullptr);
    }
  }
}

TEST_CASE("fixed_table: full, oldest by sampled LRU, reuse after erase", "[fixed_table]") {
  fixed_table<key, int> t(8);
  for (std::uint32_t k = 0; k < 8; ++k) t.insert({k}, hash_of(k), 100 + k);
  CHECK(t.full());
  CHECK(t.size() == 8);
  auto* victim = t.oldest();  // all 8 slots sampled: the least recently seen
  REQUIRE(victim != nullptr);
  CHECK(victim->key.k == 0);
  t.erase(victim);
  CHECK(!t.full());
  CHECK(t.find({0}, hash_of(0)) == nullptr);
  t.insert({42}, hash_of(42), 200);
  CHECK(t.size() == 8);
  int n = 0;
  t.for_each([&](auto&) { ++n; });
  CHECK(n == 8);
}
