// The operator's side of a generated world (--operator-out): the subscriber export of the BSS
// (home subscribers with brand, plan, region, ARPU...) plus the inbound roamers the VLR holds,
// and the TAC table of the handsets seen. Columns as examples/ and ../shared/spec/campaigns.md
// use them. Everything is drawn from a random stream of its own, per subscriber, so that the
// files never change the capture and the same world always gives the same files.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "bssap/synth/synth.hpp"
#include "model.hpp"
#include "world.hpp"

namespace bssap::synth {
namespace {

struct weighted {
  std::string_view name;
  std::uint32_t weight;
};

// Home regions by MSISDN number block (the first 7 digits: segment + HLR code). The network is in
// Guangzhou; most of its subscribers' numbers were issued there, the rest elsewhere in the province
// or in other provinces (subscribers who kept their number when they moved).
constexpr std::array<weighted, 12> regions{{
    {"Guangzhou", 46},
    {"Shenzhen", 10},
    {"Foshan", 8},
    {"Dongguan", 6},
    {"Shantou", 3},
    {"Beijing", 4},
    {"Shanghai", 4},
    {"Changsha", 5},
    {"Chengdu", 4},
    {"Wuhan", 4},
    {"Nanning", 3},
    {"Xi'an", 3},
}};

struct brand_info {
  std::string_view name;
  std::uint32_t weight;  // share of home subscribers, per cent
  std::array<std::string_view, 3> plans;
  double arpu_lo;
  double arpu_hi;
  double data_4g;  // share with a 4G data plan
};
// China Mobile's three customer brands: GoTone (post-paid, business), M-Zone (young people, data and
// SMS bundles), Easyown (pre-paid, the mass market).
constexpr std::array<brand_info, 3> brands{{
    {"GoTone", 22, {"GoTone 138", "GoTone 288", "GoTone 588"}, 110.0, 420.0, 0.85},
    {"M-Zone", 30, {"M-Zone 18", "M-Zone 38", "M-Zone Data 58"}, 22.0, 95.0, 0.75},
    {"Easyown", 48, {"Easyown Basic", "Easyown 8", "Easyown Big Card"}, 6.0, 48.0, 0.3},
}};

std::uint64_t fnv1a(std::string_view text, std::uint64_t seed) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string_view region_of(std::uint64_t msisdn) {
  // Same number block, same region, whatever the seed: the numbering plan is fixed.
  const std::string block = std::to_string(msisdn / 10000);
  std::uint32_t total = 0;
  for (const auto& r : regions) total += r.weight;
  std::uint32_t x = static_cast<std::uint32_t>(fnv1a(block, 0) % total);
  for (const auto& r : regions) {
    if (x < r.weight) return r.name;
    x -= r.weight;
  }
  return regions[0].name;
}

std::string foreign_msisdn(const roamer_home& h, rng& r) {
  std::string n(h.cc);
  n += h.first_digits[r.below(static_cast<std::uint32_t>(h.first_digits.size()))];
  for (std::uint8_t i = 1; i < h.national_digits; ++i) n += static_cast<char>('0' + r.below(10));
  return n;
}

std::string money(double v) {
  const auto cents = static_cast<long long>(v * 100.0 + 0.5);
  std::string s = std::to_string(cents / 100) + ".";
  const long long c = cents % 100;
  if (c < 10) s += '0';
  s += std::to_string(c);
  return s;
}

}  // namespace

void write_operator_files(const operator_world& world, std::uint64_t seed, sink& subscribers, sink& tac) {
  std::string out = "imsi,msisdn,brand,plan,region,arpu,seed_user,data_4g\n";
  // Rows to damage, fixed by the seed: exports are never complete (about 2 % of the home
  // subscribers have no row) and a couple of rows have lost their MSISDN.
  const auto in_export = [&](const world_subscriber& s) {
    rng r(fnv1a(s.imsi, seed));
    return !r.chance(0.02);
  };
  std::vector<std::size_t> rows;  // subscriber indexes of the home rows
  for (std::size_t i = 0; i < world.subscribers.size(); ++i) {
    if (world.subscribers[i].roam_plmn == 0 && in_export(world.subscribers[i])) rows.push_back(i);
  }
  rng pick(seed ^ 0x6F70657261746F72ULL);
  std::vector<std::size_t> blank;  // subscriber indexes whose row has no MSISDN
  const std::size_t no_msisdn_rows =
      rows.empty() ? 0 : std::max<std::size_t>(std::min<std::size_t>(2, rows.size()), rows.size() / 150);
  while (blank.size() < no_msisdn_rows) {
    const std::size_t i = rows[pick.below(static_cast<std::uint32_t>(rows.size()))];
    if (std::find(blank.begin(), blank.end(), i) == blank.end()) blank.push_back(i);
  }
  for (std::size_t i = 0; i < world.subscribers.size(); ++i) {
    const auto& s = world.subscribers[i];
    rng r(fnv1a(s.imsi, seed));
    if (s.roam_plmn != 0) {
      // The VLR knows the inbound roamers it registered (never the barred ones), with the MSISDN
      // their home HLR sent: no brand, plan or ARPU of ours; region = their home country.
      if (s.barred) continue;
      const roamer_home& h = roamer_homes[s.roam_plmn - 1];
      out += s.imsi;
      out += ',';
      out += foreign_msisdn(h, r);
      out += ",,,";
      out += h.country;
      out += ",,,\n";
      continue;
    }
    if (r.chance(0.02)) continue;  // missing from the export (in_export)
    std::uint32_t x = r.below(100);
    const brand_info* b = &brands[0];
    for (const auto& cand : brands) {
      b = &cand;
      if (x < cand.weight) break;
      x -= cand.weight;
    }
    const std::string_view plan = b->plans[r.below(3)];
    const double arpu = b->arpu_lo + r.unit() * (b->arpu_hi - b->arpu_lo);
    const bool seed_user = r.chance(0.05);
    const bool data_4g = r.chance(b->data_4g);
    const bool lost_msisdn = std::find(blank.begin(), blank.end(), i) != blank.end();
    out += s.imsi;
    out += ',';
    if (!lost_msisdn) out += std::to_string(s.msisdn);
    out += ',';
    out += b->name;
    out += ',';
    out += plan;
    out += ',';
    out += region_of(s.msisdn);
    out += ',';
    out += money(arpu);
    out += seed_user ? ",yes," : ",no,";
    out += data_4g ? "yes\n" : "no\n";
  }
  subscribers.write(out.data(), out.size());

  std::string t = "tac,brand,model,mms,data_4g,os\n";
  for (const std::uint32_t code : world.tacs) {
    for (const auto& m : handset_models) {
      if (m.tac != code) continue;
      t += std::to_string(m.tac);
      t += ',';
      t += m.brand;
      t += ',';
      t += m.model;
      t += m.mms ? ",yes" : ",no";
      t += m.data_4g ? ",yes," : ",no,";
      t += m.os;
      t += '\n';
    }
  }
  tac.write(t.data(), t.size());
}

}  // namespace bssap::synth
