// Loc-RIB: interning, best path and ECMP per prefix, coalesced changes for the FIB, peer down,
// graceful-restart stale handling and next-hop eligibility.
#include "rib/loc_rib.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>

namespace ridgeline::rib {
namespace {

using bgp::AsPath;
using bgp::PathAttributes;
using bgp::SegmentType;

Prefix pfx(const char* s) {
  return *Prefix::parse(s);
}

PathAttributes node_attrs(uint32_t asn, std::optional<uint32_t> local_pref = std::nullopt) {
  PathAttributes a;
  a.origin = bgp::Origin::Igp;
  a.as_path = AsPath{{{SegmentType::Sequence, {asn}}}};
  a.communities = {(64500u << 16) | 100};
  a.local_pref = local_pref;
  return a;
}

class LocRibTest : public ::testing::Test {
 protected:
  LocRibTest() {
    DecisionOptions o;
    o.maximum_paths_ebgp = 64;
    o.maximum_paths_ibgp = 64;
    o.multipath_relax = true;
    rib.set_options(o);
    for (PeerId p = 1; p <= 4; ++p) {
      rib.set_peer(p, {node(p), 0x0a000000u + p, true});
    }
  }
  static IpAddress node(PeerId p) { return IpAddress::v4(0x0a000000u + p); }  // 10.0.0.p
  void announce(const char* prefix, PeerId peer, std::optional<uint32_t> lp = std::nullopt) {
    rib.update(pfx(prefix), Path{peer, 0, store.intern(node_attrs(64500 + peer, lp)), node(peer)});
  }

  AttributeStore store;
  LocRib rib;
};

TEST(AttributeStore, OneCopyPerDistinctSet) {
  AttributeStore store;
  auto a = store.intern(node_attrs(64501));
  auto b = store.intern(node_attrs(64501));
  auto c = store.intern(node_attrs(64502));
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), c.get());
  EXPECT_EQ(store.size(), 2u);
  c.reset();
  EXPECT_EQ(store.collect(), 1u);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.intern(node_attrs(64501)).get(), a.get());
}

// AttrRef is a 4-byte number into one process-wide table: a set lives exactly as long as its
// references, wherever the last one goes, and its number is then given to the next new set.
TEST(AttributeStore, SetsLiveAsLongAsTheirReferencesOnAnyThread) {
  const size_t before = detail::attr_table_size();
  std::vector<AttrRef> refs;
  {
    AttributeStore store;
    for (uint32_t asn = 64600; asn < 64600 + 3000; ++asn) refs.push_back(store.intern(node_attrs(asn)));
    EXPECT_EQ(detail::attr_table_size(), before + 3000);  // more than one chunk of 1024
  }                                                       // the store's references go: the paths' keep the sets
  EXPECT_EQ(detail::attr_table_size(), before + 3000);
  for (size_t i = 0; i < refs.size(); ++i) {
    ASSERT_EQ(refs[i]->as_path->segments[0].asns[0], 64600 + i);
    ASSERT_EQ(refs[i].use_count(), 1u);
  }
  std::vector<AttrRef> half(refs.begin(), refs.begin() + 1500);
  refs.clear();  // the second half's last references
  EXPECT_EQ(detail::attr_table_size(), before + 1500);
  std::thread([moved = std::move(half)]() mutable { moved.clear(); }).join();  // the API thread's
  EXPECT_EQ(detail::attr_table_size(), before);

  AttributeStore store;  // a set made after the frees (on a number given back)
  const AttrRef a = store.intern(node_attrs(64501));
  EXPECT_EQ(a->as_path->segments[0].asns[0], 64501u);
  EXPECT_EQ(detail::attr_table_size(), before + 1);
}

TEST(AttributeStore, HashSeesEveryField) {
  PathAttributes base = node_attrs(64501);
  std::vector<PathAttributes> variants(12, base);
  variants[0].origin = bgp::Origin::Egp;
  variants[1].as_path->segments[0].asns.push_back(1);
  variants[2].med = 1;
  variants[3].local_pref = 100;
  variants[4].atomic_aggregate = true;
  variants[5].aggregator = bgp::Aggregator{1, 2};
  variants[6].communities.push_back(7);
  variants[7].ext_communities.push_back(7);
  variants[8].large_communities.push_back({1, 2, 3});
  variants[9].originator_id = 9;
  variants[10].cluster_list.push_back(1);
  variants[11].other.push_back({0xc0, 99, {1}});
  AttributeStore store;
  store.intern(base);
  for (const auto& v : variants) {
    EXPECT_NE(hash_value(v), hash_value(base));
    store.intern(v);
  }
  EXPECT_EQ(store.size(), variants.size() + 1);
}

TEST_F(LocRibTest, ThreeNodesAnnouncingOneServiceGiveOneEcmpRoute) {
  announce("10.0.1.5/32", 2);
  announce("10.0.1.5/32", 1);
  announce("10.0.1.5/32", 3);
  auto changes = rib.drain();
  ASSERT_EQ(changes.fib.size(), 1u);
  EXPECT_EQ(changes.fib[0], (RouteChange{pfx("10.0.1.5/32"), {node(1), node(2), node(3)}}));
  EXPECT_EQ(changes.best_changed, std::vector<Prefix>{pfx("10.0.1.5/32")});
  const RibEntry* e = rib.find(pfx("10.0.1.5/32"));
  ASSERT_NE(e, nullptr);
  ASSERT_NE(e->best(), nullptr);
  EXPECT_EQ(e->best()->peer, 1u);  // lowest router id
  EXPECT_EQ(rib.path_count(), 3u);
  EXPECT_TRUE(rib.drain().fib.empty());  // nothing new
}

TEST_F(LocRibTest, ChangesCoalesceUntilDrain) {
  announce("10.0.1.5/32", 1);
  announce("10.0.1.5/32", 1);
  announce("10.0.1.5/32", 2);
  rib.withdraw(pfx("10.0.1.5/32"), 2, 0);
  announce("10.0.1.6/32", 1);
  rib.withdraw(pfx("10.0.1.6/32"), 1, 0);  // came and went: never reaches the FIB
  auto changes = rib.drain();
  ASSERT_EQ(changes.fib.size(), 1u);
  EXPECT_EQ(changes.fib[0], (RouteChange{pfx("10.0.1.5/32"), {node(1)}}));
  EXPECT_EQ(rib.find(pfx("10.0.1.6/32")), nullptr);
  EXPECT_FALSE(rib.withdraw(pfx("10.0.1.6/32"), 1, 0));
}

TEST_F(LocRibTest, DrainStampsOnlyWhatChanged) {
  announce("10.0.1.5/32", 1);
  announce("10.0.1.6/32", 1);
  rib.drain(100);
  announce("10.0.1.5/32", 2);  // a second next hop: changed
  announce("10.0.1.6/32", 1);  // the same path again: dirty, but not changed
  rib.drain(250);
  EXPECT_EQ(rib.find(pfx("10.0.1.5/32"))->changed_at, 250);
  EXPECT_EQ(rib.find(pfx("10.0.1.6/32"))->changed_at, 100);
}

TEST_F(LocRibTest, PeerDownRemovesItsNextHopFromEveryRoute) {
  for (int i = 0; i < 100; ++i) {
    const std::string p = "10.0.1." + std::to_string(i) + "/32";
    for (PeerId peer = 1; peer <= 4; ++peer) announce(p.c_str(), peer);
  }
  rib.drain();
  EXPECT_EQ(rib.withdraw_peer(3), 100u);
  auto changes = rib.drain();
  ASSERT_EQ(changes.fib.size(), 100u);
  for (const auto& c : changes.fib) EXPECT_EQ(c.next_hops, (std::vector<IpAddress>{node(1), node(2), node(4)}));
  EXPECT_TRUE(changes.best_changed.empty());  // peer 1 stays best everywhere
  EXPECT_EQ(rib.withdraw_peer(1), 100u);
  EXPECT_EQ(rib.drain().best_changed.size(), 100u);
}

TEST_F(LocRibTest, LastPathGoneRemovesTheRoute) {
  announce("10.0.1.5/32", 1);
  rib.drain();
  rib.withdraw(pfx("10.0.1.5/32"), 1, 0);
  auto changes = rib.drain();
  ASSERT_EQ(changes.fib.size(), 1u);
  EXPECT_TRUE(changes.fib[0].next_hops.empty());
  EXPECT_EQ(rib.prefix_count(), 0u);
}

TEST_F(LocRibTest, OnlyTheHighestLocalPrefIsInstalled) {
  for (PeerId p = 1; p <= 4; ++p) rib.set_peer(p, {node(p), 0x0a000000u + p, false});
  announce("10.0.1.5/32", 1, 100);
  announce("10.0.1.5/32", 2, 200);
  announce("10.0.1.5/32", 3, 200);
  announce("10.0.1.5/32", 4);  // no LOCAL_PREF: 100
  auto changes = rib.drain();
  ASSERT_EQ(changes.fib.size(), 1u);
  EXPECT_EQ(changes.fib[0].next_hops, (std::vector<IpAddress>{node(2), node(3)}));
  const RibEntry* e = rib.find(pfx("10.0.1.5/32"));
  EXPECT_EQ(rib.selection(*e).lost_at[0], DecisionStep::LocalPref);
}

TEST_F(LocRibTest, GracefulRestartKeepsStalePathsUntilSwept) {
  announce("10.0.1.5/32", 1);
  announce("10.0.1.6/32", 1);
  announce("10.0.1.5/32", 2);
  rib.drain();
  EXPECT_EQ(rib.mark_stale(1), 2u);
  EXPECT_TRUE(rib.drain().fib.empty());  // forwarding is preserved
  announce("10.0.1.5/32", 1);            // re-announced after the restart: fresh again
  EXPECT_EQ(rib.sweep_stale(1), 1u);     // End-of-RIB: 10.0.1.6 was not re-announced
  auto changes = rib.drain();
  ASSERT_EQ(changes.fib.size(), 1u);
  EXPECT_EQ(changes.fib[0], (RouteChange{pfx("10.0.1.6/32"), {}}));
  EXPECT_FALSE(rib.find(pfx("10.0.1.5/32"))->paths[0].stale);
}

TEST_F(LocRibTest, UnreachableNextHopLeavesEveryEcmpSet) {
  announce("10.0.1.5/32", 1);
  announce("10.0.1.5/32", 2);
  announce("10.0.1.6/32", 2);
  rib.drain();
  EXPECT_EQ(rib.set_next_hop_eligible(node(2), false), 2u);
  auto changes = rib.drain();
  ASSERT_EQ(changes.fib.size(), 2u);
  std::sort(changes.fib.begin(), changes.fib.end(), [](auto& x, auto& y) { return x.prefix < y.prefix; });
  EXPECT_EQ(changes.fib[0], (RouteChange{pfx("10.0.1.5/32"), {node(1)}}));
  EXPECT_EQ(changes.fib[1], (RouteChange{pfx("10.0.1.6/32"), {}}));
  EXPECT_NE(rib.find(pfx("10.0.1.6/32")), nullptr);  // the path waits for its next hop
  rib.set_next_hop_eligible(node(2), true);
  EXPECT_EQ(rib.drain().fib.size(), 2u);
}

TEST_F(LocRibTest, AddingAnEqualPathChangesTheFibButNotTheBest) {
  announce("10.0.1.5/32", 1);
  rib.drain();
  announce("10.0.1.5/32", 2);
  auto changes = rib.drain();
  EXPECT_EQ(changes.fib.size(), 1u);
  EXPECT_TRUE(changes.best_changed.empty());
}

TEST_F(LocRibTest, OriginatedRoutesAreBestButNotInstalled) {
  rib.update(pfx("10.0.9.0/24"), Path{kLocalPeer, 0, store.intern(node_attrs(0)), IpAddress{}});
  auto changes = rib.drain();
  EXPECT_TRUE(changes.fib.empty());
  EXPECT_EQ(changes.best_changed, std::vector<Prefix>{pfx("10.0.9.0/24")});
}

TEST_F(LocRibTest, ChangingOptionsRedecidesEveryPrefix) {
  announce("10.0.1.5/32", 1);
  announce("10.0.1.5/32", 2);
  rib.drain();
  DecisionOptions single;
  rib.set_options(single);
  auto changes = rib.drain();
  ASSERT_EQ(changes.fib.size(), 1u);
  EXPECT_EQ(changes.fib[0].next_hops, std::vector<IpAddress>{node(1)});
}

TEST_F(LocRibTest, MaximumPathsIsPerAddressFamily) {
  rib.set_options(Family::V6, DecisionOptions{});  // IPv6: one path; IPv4 keeps 64
  for (PeerId p = 1; p <= 2; ++p) {
    rib.update(pfx("2001:db8:100::5/128"),
               Path{p, 0, store.intern(node_attrs(64500 + p)),
                    IpAddress::from_bytes(Family::V6, std::array<uint8_t, 16>{0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                                              0, 0, 0, uint8_t(p)})});
    announce("10.0.1.5/32", p);
  }
  auto changes = rib.drain();
  ASSERT_EQ(changes.fib.size(), 2u);
  for (const auto& c : changes.fib) EXPECT_EQ(c.next_hops.size(), c.prefix.family() == Family::V4 ? 2u : 1u);
}

TEST_F(LocRibTest, ReplacingTheBestPathsAttributesChangesTheBest) {
  announce("10.0.1.5/32", 1);
  announce("10.0.1.5/32", 2);
  rib.drain();
  announce("10.0.1.5/32", 1);  // the same again: no change
  EXPECT_TRUE(rib.drain().best_changed.empty());
  PathAttributes other = node_attrs(64501);
  other.communities.push_back(7);
  rib.update(pfx("10.0.1.5/32"), Path{1, 0, store.intern(other), node(1)});
  auto changes = rib.drain();
  EXPECT_EQ(changes.best_changed, std::vector<Prefix>{pfx("10.0.1.5/32")});
  EXPECT_TRUE(changes.fib.empty());  // same next hops
  // The non-best path changing is no best change.
  rib.update(pfx("10.0.1.5/32"), Path{2, 0, store.intern(other), node(2)});
  EXPECT_TRUE(rib.drain().best_changed.empty());
}

TEST_F(LocRibTest, BestFollowedThroughWithdrawalsOfOthers) {
  for (PeerId p = 1; p <= 4; ++p) rib.set_peer(p, {node(p), 0x0a000010u - p, true});  // peer 4: lowest id
  for (PeerId p = 1; p <= 4; ++p) announce("10.0.1.5/32", p);
  rib.drain();
  ASSERT_EQ(rib.find(pfx("10.0.1.5/32"))->best()->peer, 4u);
  rib.withdraw(pfx("10.0.1.5/32"), 1, 0);  // paths before the best go: its index moves
  rib.withdraw(pfx("10.0.1.5/32"), 2, 0);
  auto changes = rib.drain();
  EXPECT_TRUE(changes.best_changed.empty());
  EXPECT_EQ(rib.find(pfx("10.0.1.5/32"))->best()->peer, 4u);
  rib.withdraw(pfx("10.0.1.5/32"), 4, 0);
  announce("10.0.1.5/32", 4);  // gone and back in one batch: reported (harmless, exact enough)
  EXPECT_EQ(rib.drain().best_changed.size(), 1u);
}

TEST_F(LocRibTest, CountsPathsPerPeerAndFamily) {
  announce("10.0.1.5/32", 1);
  announce("10.0.1.6/32", 1);
  announce("10.0.1.5/32", 2);
  EXPECT_TRUE(rib.update(pfx("10.0.1.7/32"), Path{1, 0, store.intern(node_attrs(64501)), node(1)}));
  EXPECT_FALSE(rib.update(pfx("10.0.1.7/32"), Path{1, 0, store.intern(node_attrs(64501)), node(1)}));
  EXPECT_EQ(rib.path_count(1, Family::V4), 3u);
  EXPECT_EQ(rib.path_count(2, Family::V4), 1u);
  EXPECT_EQ(rib.path_count(1, Family::V6), 0u);
  rib.withdraw(pfx("10.0.1.6/32"), 1, 0);
  EXPECT_EQ(rib.path_count(1, Family::V4), 2u);
  rib.drain();
  rib.mark_stale(1);
  announce("10.0.1.5/32", 1);
  EXPECT_EQ(rib.sweep_stale(1), 1u);
  EXPECT_EQ(rib.path_count(1, Family::V4), 1u);
  EXPECT_EQ(rib.withdraw_peer(1), 1u);
  EXPECT_EQ(rib.path_count(1, Family::V4), 0u);
  EXPECT_EQ(rib.path_count(2, Family::V4), 1u);
}

TEST_F(LocRibTest, NextHopSetsAreSharedAndFreed) {
  for (int i = 0; i < 50; ++i) {
    const std::string p = "10.0.2." + std::to_string(i) + "/32";
    announce(p.c_str(), 1);
    announce(p.c_str(), 2);
    announce(("10.0.3." + std::to_string(i) + "/32").c_str(), 3);
  }
  rib.drain();
  EXPECT_EQ(rib.hop_set_count(), 2u);  // {1,2} and {3}
  EXPECT_EQ(rib.fib_next_hops(*rib.find(pfx("10.0.2.9/32"))), (std::vector<IpAddress>{node(1), node(2)}));
  rib.withdraw_peer(3);
  rib.drain();
  EXPECT_EQ(rib.hop_set_count(), 1u);
  EXPECT_EQ(rib.prefix_count(), 50u);
}

TEST_F(LocRibTest, ManyPathsForOnePrefix) {
  // 300 nodes announcing one service: more paths than a byte can count.
  for (PeerId p = 1; p <= 300; ++p) {
    rib.set_peer(p, {IpAddress::v4(0x0b000000u + p), 1000u - p, true});
    rib.update(pfx("10.0.1.5/32"), Path{p, 0, store.intern(node_attrs(64500)), IpAddress::v4(0x0b000000u + p)});
  }
  auto changes = rib.drain();
  ASSERT_EQ(changes.fib.size(), 1u);
  EXPECT_EQ(changes.fib[0].next_hops.size(), 64u);              // maximum-paths
  EXPECT_EQ(rib.find(pfx("10.0.1.5/32"))->best()->peer, 300u);  // the lowest router id
  rib.withdraw(pfx("10.0.1.5/32"), 300, 0);
  rib.drain();
  EXPECT_EQ(rib.find(pfx("10.0.1.5/32"))->best()->peer, 299u);
}

TEST_F(LocRibTest, APrefixKeepsAtMostTheMostPathsItsListHolds) {
  // Add-path ids from one peer (RFC 7911 sets no bound): past PathList::kMaxSize a new path is
  // not kept and is counted; the paths already there, and their best, are untouched.
  rib.set_peer(1, {IpAddress::v4(0x0b000001u), 1, true});
  const auto attrs = store.intern(node_attrs(64500));
  const Prefix p = pfx("10.0.1.5/32");
  for (uint32_t id = 1; id <= PathList::kMaxSize; ++id) {
    ASSERT_TRUE(rib.update(p, Path{1, id, attrs, IpAddress::v4(0x0b000001u)})) << id;
  }
  rib.drain();
  ASSERT_NE(rib.find(p)->best(), nullptr);
  EXPECT_FALSE(rib.update(p, Path{1, PathList::kMaxSize + 1u, attrs, IpAddress::v4(0x0b000001u)}));
  EXPECT_EQ(rib.paths_refused(), 1u);
  EXPECT_EQ(rib.find(p)->paths.size(), PathList::kMaxSize);
  EXPECT_EQ(rib.path_count(1, Family::V4), PathList::kMaxSize);
  // A path already there is still replaced, and one going makes room again.
  EXPECT_FALSE(rib.update(p, Path{1, 7, attrs, IpAddress::v4(0x0b000001u)}));
  rib.withdraw(p, 1, 3);
  EXPECT_TRUE(rib.update(p, Path{1, PathList::kMaxSize + 1u, attrs, IpAddress::v4(0x0b000001u)}));
  rib.drain();
  ASSERT_NE(rib.find(p)->best(), nullptr);
  EXPECT_EQ(rib.find(p)->paths.size(), PathList::kMaxSize);
  EXPECT_EQ(rib.paths_refused(), 1u);
}

// Random announcements, withdrawals and peer downs against a plain model (a vector of paths
// per prefix, decided from scratch with select()): after every drain the FIB changes and the
// best-path changes are exactly what the model says changed.
TEST_F(LocRibTest, RandomOperationsMatchAPlainModel) {
  struct ModelPath {
    PeerId peer;
    AttrRef attrs;
    IpAddress next_hop;
  };
  std::map<Prefix, std::vector<ModelPath>> model;
  struct Decided {
    std::vector<IpAddress> hops;
    std::optional<std::tuple<PeerId, const bgp::PathAttributes*, IpAddress>> best;
  };
  std::map<Prefix, Decided> last;  // what the model decided at the previous drain
  DecisionOptions o;
  o.maximum_paths_ebgp = 64;
  o.multipath_relax = true;
  auto decide = [&](const std::vector<ModelPath>& paths) {
    std::vector<Candidate> cs;
    for (const auto& p : paths) cs.push_back(make_candidate(*p.attrs, true, 0x0a000000u + p.peer, node(p.peer)));
    const Selection sel = select(cs, o);
    Decided d;
    for (size_t i : sel.multipath) d.hops.push_back(paths[i].next_hop);
    std::sort(d.hops.begin(), d.hops.end());
    d.hops.erase(std::unique(d.hops.begin(), d.hops.end()), d.hops.end());
    if (sel.best) d.best = {paths[*sel.best].peer, paths[*sel.best].attrs.get(), paths[*sel.best].next_hop};
    return d;
  };
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    for (int op = 0; op < 20; ++op) {
      const Prefix p(IpAddress::v4(0x0a630000u + rng() % 40), 32);
      const PeerId peer = 1 + rng() % 4;
      auto& paths = model[p];
      auto it = std::find_if(paths.begin(), paths.end(), [&](const ModelPath& m) { return m.peer == peer; });
      const int what = rng() % 10;
      if (what < 6) {  // announce, with one of three local-prefs
        ModelPath m{peer, store.intern(node_attrs(64500 + peer, 100 + 50 * (rng() % 3))), node(peer)};
        rib.update(p, Path{peer, 0, m.attrs, m.next_hop});
        if (it != paths.end()) {
          *it = m;
        } else {
          paths.push_back(m);
        }
      } else if (what < 9) {
        EXPECT_EQ(rib.withdraw(p, peer, 0), it != paths.end());
        if (it != paths.end()) paths.erase(it);
      } else if (rng() % 8 == 0) {
        rib.withdraw_peer(peer);
        for (auto& [q, ps] : model) std::erase_if(ps, [&](const ModelPath& m) { return m.peer == peer; });
      }
    }
    const RibChanges changes = rib.drain();
    std::map<Prefix, std::vector<IpAddress>> fib_got;
    for (const auto& c : changes.fib) fib_got[c.prefix] = c.next_hops;
    std::set<Prefix> best_got(changes.best_changed.begin(), changes.best_changed.end());
    for (auto& [p, paths] : model) {
      const Decided now = decide(paths);
      const Decided& before = last[p];
      if (now.hops != before.hops) {
        ASSERT_TRUE(fib_got.count(p)) << round << " " << p.to_string();
        EXPECT_EQ(fib_got[p], now.hops) << round << " " << p.to_string();
      } else {
        EXPECT_FALSE(fib_got.count(p)) << round << " " << p.to_string();
      }
      // A best path that went and came back within one batch may be reported: allowed.
      if (now.best != before.best) {
        EXPECT_TRUE(best_got.count(p)) << round << " " << p.to_string();
      }
      const RibEntry* e = rib.find(p);
      ASSERT_EQ(e != nullptr, !paths.empty()) << round << " " << p.to_string();
      if (e) {
        EXPECT_EQ(rib.fib_next_hops(*e), now.hops);
      }
      last[p] = now;
    }
  }
}

}  // namespace
}  // namespace ridgeline::rib
