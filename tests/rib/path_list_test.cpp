// PathList and PathPool: a prefix's paths, the first inline and the rest in exact-size slots.
#include "rib/path_list.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

namespace ridgeline::rib {
namespace {

bgp::PathAttributes attrs_of(uint32_t asn) {
  bgp::PathAttributes a;
  a.as_path = bgp::AsPath{{{bgp::SegmentType::Sequence, {asn}}}};
  return a;
}

Path path(PeerId peer, const AttrRef& attrs) {
  return Path{peer, 0, attrs, IpAddress::v4(0x0a000000u + peer)};
}

std::vector<PeerId> peers_of(const PathList& list) {
  std::vector<PeerId> out;
  for (const Path& p : list) out.push_back(p.peer);
  return out;
}

// The peer shares a word with the two flags: each keeps its own value at the extremes.
TEST(Path, PeerAndFlagsDoNotOverlap) {
  Path p(kMaxPeerId, 7, AttrRef{}, HopAddress{});
  EXPECT_EQ(p.peer, kMaxPeerId);
  EXPECT_FALSE(p.stale);
  EXPECT_TRUE(p.eligible);
  p.stale = true;
  p.eligible = false;
  EXPECT_EQ(p.peer, kMaxPeerId);
  p.peer = 1;
  EXPECT_TRUE(p.stale);
  EXPECT_FALSE(p.eligible);
  EXPECT_EQ(p.path_id, 7u);
}

TEST(PathList, RandomPushesAndErasuresKeepOrderAcrossEverySlotSize) {
  AttributeStore store;
  const AttrRef attrs = store.intern(attrs_of(64501));
  const uint32_t held_elsewhere = attrs.use_count();  // this test's and the store's
  PathPool pool;
  std::vector<PathList> lists(8);
  std::vector<std::vector<PeerId>> model(8);
  std::mt19937 rng(11);
  PeerId next = 1;
  for (int op = 0; op < 20000; ++op) {
    const size_t l = rng() % lists.size();
    // Grow more often than shrink until a list is past the exact sizes, then either.
    const bool grow = model[l].empty() || (model[l].size() < 40 && rng() % 3 != 0);
    if (grow) {
      lists[l].push_back(path(next, attrs), pool);
      model[l].push_back(next++);
    } else {
      const size_t i = rng() % model[l].size();
      lists[l].erase_at(i, pool);
      model[l].erase(model[l].begin() + static_cast<std::ptrdiff_t>(i));
    }
    ASSERT_EQ(peers_of(lists[l]), model[l]) << "after op " << op;
    ASSERT_EQ(lists[l].size(), model[l].size());
  }
  // Moving a list (as PrefixTable does when it erases a node) keeps its paths.
  PathList moved = std::move(lists[0]);
  EXPECT_EQ(peers_of(moved), model[0]);
  EXPECT_TRUE(lists[0].empty());
  // Every path holds its attributes: as many references as paths, and none once the lists go.
  size_t paths = moved.size();
  for (size_t l = 1; l < lists.size(); ++l) paths += lists[l].size();
  EXPECT_EQ(attrs.use_count(), paths + held_elsewhere);
  lists.clear();
  moved = PathList();
  EXPECT_EQ(attrs.use_count(), held_elsewhere);
}

TEST(PathPool, ExtraPathsCostTheirOwnSizeAndEmptiedSlabsGoBack) {
  AttributeStore store;
  const AttrRef attrs = store.intern(attrs_of(64501));
  PathPool pool;
  std::vector<PathList> lists(20000);
  // 4 paths each: the rest (3 x 20 bytes) in one slot, grown one path at a time.
  for (PeerId peer = 1; peer <= 4; ++peer) {
    for (auto& list : lists) list.push_back(path(peer, attrs), pool);
  }
  const size_t slot = 3 * sizeof(Path);
  const size_t per_slab = (PathPool::kSlabBytes - 128) / slot;  // a slab's header is under 128 bytes
  EXPECT_LE(pool.slabs_in_use(), (lists.size() + per_slab - 1) / per_slab)
      << "the 1- and 2-path slots of the growth were not all freed";
  EXPECT_GE(pool.slabs_in_use() * PathPool::kSlabBytes, lists.size() * slot);
  // Back to one path each: every slab empties; only a few are kept spare.
  for (PeerId peer = 4; peer >= 2; --peer) {
    for (auto& list : lists) list.erase_at(list.size() - 1, pool);
  }
  EXPECT_EQ(pool.slabs_in_use(), 0u);
  EXPECT_LE(pool.bytes(), PathPool::kSpareSlabs * PathPool::kSlabBytes);
  for (const auto& list : lists) EXPECT_EQ(peers_of(list), std::vector<PeerId>{1});
}

// Slot handles name slabs by a process-wide number: pools of two threads number theirs at the same
// time, and each list still finds its own paths. (The next hop stays the unspecified address: the
// HopAddress pool belongs to one thread.)
TEST(PathPool, PoolsOfTwoThreadsKeepTheirPathsApart) {
  AttributeStore store;
  const AttrRef attrs = store.intern(attrs_of(64501));
  auto fill = [&](PeerId base, bool& ok) {
    PathPool pool;
    std::vector<PathList> lists(30000);
    for (int round = 0; round < 3; ++round) {
      for (PeerId p = 1; p <= 3; ++p) {
        for (size_t i = 0; i < lists.size(); ++i)
          lists[i].push_back(Path{base + p + 10 * PeerId(i), 0, attrs, {}}, pool);
      }
      for (size_t i = 0; i < lists.size(); ++i) {
        ok = ok && peers_of(lists[i]) == std::vector<PeerId>{base + 1 + 10 * PeerId(i), base + 2 + 10 * PeerId(i),
                                                             base + 3 + 10 * PeerId(i)};
        while (!lists[i].empty()) lists[i].erase_at(lists[i].size() - 1, pool);  // slabs go, numbers come back
      }
    }
  };
  bool ok_a = true, ok_b = true;
  std::thread a(fill, 1000000, std::ref(ok_a));
  std::thread b(fill, 2000000, std::ref(ok_b));
  a.join();
  b.join();
  EXPECT_TRUE(ok_a);
  EXPECT_TRUE(ok_b);
}

TEST(PathPool, CapacitiesAreExactUpToSixteenThenPowersOfTwo) {
  EXPECT_EQ(PathPool::capacity_for(1), 1u);
  EXPECT_EQ(PathPool::capacity_for(3), 3u);
  EXPECT_EQ(PathPool::capacity_for(16), 16u);
  EXPECT_EQ(PathPool::capacity_for(17), 32u);
  EXPECT_EQ(PathPool::capacity_for(33), 64u);
  // A slot too large for a slab (thousands of add-path paths on one prefix) still works.
  AttributeStore store;
  const AttrRef attrs = store.intern(attrs_of(64501));
  PathPool pool;
  PathList list;
  for (PeerId peer = 1; peer <= 5000; ++peer) list.push_back(path(peer, attrs), pool);
  EXPECT_EQ(list.size(), 5000u);
  EXPECT_EQ(list[4999].peer, 5000u);
  for (size_t i = 0; i < 4990; ++i) list.erase_at(0, pool);
  EXPECT_EQ(peers_of(list), (std::vector<PeerId>{4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999, 5000}));
}

}  // namespace
}  // namespace ridgeline::rib
