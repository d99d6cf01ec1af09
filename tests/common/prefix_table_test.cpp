// PrefixTable: the open-addressing index stays consistent with its nodes through inserts,
// erasures (the last node moving into the hole) and growth, checked against std::map.
#include "common/prefix_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace ridgeline {
namespace {

struct Node {
  PrefixKey key;
  int value = 0;
};

Prefix host(uint32_t a) {
  return Prefix(IpAddress::v4(a), 32);
}

TEST(PrefixTable, FindsWhatWasAddedAndNothingElse) {
  PrefixTable<Node> t;
  auto [i, added] = t.try_emplace(host(0x0a000001));
  EXPECT_TRUE(added);
  t[i].value = 7;
  EXPECT_FALSE(t.try_emplace(host(0x0a000001)).second);
  ASSERT_NE(t.find(host(0x0a000001)), nullptr);
  EXPECT_EQ(t.find(host(0x0a000001))->value, 7);
  EXPECT_EQ(t.find(host(0x0a000002)), nullptr);
  EXPECT_EQ(t.find(Prefix(IpAddress::v4(0x0a000001), 31)), nullptr);  // same address, other length
  EXPECT_EQ(t.find(*Prefix::parse("::a00:1/128")), nullptr);          // same bytes, other family
}

// Random inserts, hits and erasures of what next_prefix() draws, checked step by step against
// std::map; then every node is found and gives its prefix back (IPv6 ones from the store).
template <typename Draw>
void random_operations_match_a_map(int steps, std::mt19937& rng, Draw next_prefix) {
  PrefixTable<Node> t;
  std::map<Prefix, int> model;
  for (int step = 0; step < steps; ++step) {
    const Prefix p = next_prefix();
    if (rng() % 3 == 0) {
      auto i = t.index_of(p);
      ASSERT_EQ(i.has_value(), model.count(p) == 1) << p.to_string();
      if (i) {
        t.erase_at(*i);
        model.erase(p);
      }
    } else {
      auto [i, added] = t.try_emplace(p);
      ASSERT_EQ(added, model.count(p) == 0) << p.to_string();
      t[i].value = step;
      model[p] = step;
    }
    ASSERT_EQ(t.size(), model.size());
  }
  for (const auto& [p, v] : model) {
    ASSERT_NE(t.find(p), nullptr) << p.to_string();
    EXPECT_EQ(t.find(p)->value, v);
  }
  std::map<Prefix, int> listed;
  for (const Node& n : t) listed[t.prefix_of(n)] = n.value;
  EXPECT_EQ(listed, model);
}

TEST(PrefixTable, RandomOperationsMatchAMap) {
  // Addresses from a small range so that inserts, hits and erasures of present keys all happen
  // often, and probe runs get long enough to exercise backward-shift deletion.
  std::mt19937 rng(12345);
  random_operations_match_a_map(200000, rng, [&] { return host(0x0a000000 + rng() % 5000); });
}

TEST(PrefixTable, MixedLengthsAndFamiliesMatchAMap) {
  std::mt19937 rng(777);
  random_operations_match_a_map(100000, rng, [&] {
    const bool v6 = rng() % 2;
    std::array<uint8_t, 16> raw{};
    for (size_t i = 0; i < (v6 ? 16u : 4u); ++i) raw[i] = static_cast<uint8_t>(i < 2 ? 10 : rng() % 4);
    const IpAddress a = IpAddress::from_bytes(v6 ? Family::V6 : Family::V4, {raw.data(), v6 ? 16u : 4u});
    const unsigned max = max_prefix_length(a.family());
    const unsigned len = rng() % 4 == 0 ? rng() % (max + 1) : max - rng() % 6;  // every length, mostly long
    return Prefix(a, static_cast<uint8_t>(len));
  });
}

// The 16 /32s of an aligned block share one run of the index (one cache line) at distinct
// slots and tags; the next block's run is elsewhere.
TEST(PrefixTable, NeighboursShareARunAtDistinctSlots) {
  std::set<uint32_t> lows, tags;
  const PrefixHash first = prefix_hash(host(0x0a000010));
  for (uint32_t a = 0x0a000010; a < 0x0a000020; ++a) {
    const PrefixHash h = prefix_hash(host(a));
    EXPECT_EQ(h.run, first.run);
    lows.insert(h.low);
    tags.insert(h.tag);
  }
  EXPECT_EQ(lows.size(), 16u);
  EXPECT_EQ(tags.size(), 16u);
  EXPECT_NE(prefix_hash(host(0x0a000020)).run, first.run);
  EXPECT_NE(prefix_hash(Prefix(IpAddress::v4(0x0a000010), 31)).run, first.run);  // another length
}

TEST(PrefixTable, ReserveKeepsEveryNode) {
  PrefixTable<Node> t;
  for (uint32_t a = 0; a < 1000; ++a) t[t.try_emplace(host(a)).first].value = int(a);
  t.reserve(100000);
  for (uint32_t a = 0; a < 1000; ++a) ASSERT_EQ(t.find(host(a))->value, int(a));
  EXPECT_EQ(t.find(host(1000)), nullptr);
}

}  // namespace
}  // namespace ridgeline
