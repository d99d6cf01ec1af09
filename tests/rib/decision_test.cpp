// The decision process: each tie-breaker of RFC 4271 §9.1.2 in order, multipath, and
// independence from the order paths arrive in (as OpenBGPD's rde_decide_test does).
#include "rib/decision.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

namespace ridgeline::rib {
namespace {

using bgp::AsPath;
using bgp::SegmentType;

// Paths from eBGP nodes in one subnet, by default tied through every step but peer address.
struct PathSpec {
  std::string peer;
  std::vector<uint32_t> as_path = {64501};
  uint32_t local_pref = 100;
  bgp::Origin origin = bgp::Origin::Igp;
  uint32_t med = 0;
  bool ebgp = true;
  uint32_t router_id = 1;
  uint32_t cluster_list_length = 0;
  bool eligible = true;
};

struct Paths {
  std::vector<AsPath> as_paths;  // owned here; candidates point into it
  std::vector<Candidate> candidates;

  explicit Paths(const std::vector<PathSpec>& specs) {
    as_paths.reserve(specs.size());
    for (const auto& s : specs) {
      as_paths.push_back(AsPath{{{SegmentType::Sequence, s.as_path}}});
      Candidate c;
      c.local_pref = s.local_pref;
      c.as_path_length = static_cast<uint32_t>(s.as_path.size());
      c.neighbor_as = s.as_path.empty() ? 0 : s.as_path.front();
      c.origin = s.origin;
      c.med = s.med;
      c.ebgp = s.ebgp;
      c.router_id = s.router_id;
      c.cluster_list_length = s.cluster_list_length;
      c.peer_address = *IpAddress::parse(s.peer);
      c.eligible = s.eligible;
      c.as_path = &as_paths.back();
      candidates.push_back(c);
    }
  }
  std::string best(const DecisionOptions& o = {}) const {
    auto s = select(candidates, o);
    return s.best ? candidates[*s.best].peer_address.to_string() : "none";
  }
  std::set<std::string> multipath(const DecisionOptions& o) const {
    std::set<std::string> out;
    for (size_t i : select(candidates, o).multipath) out.insert(candidates[i].peer_address.to_string());
    return out;
  }
};

// Two paths that differ from the step under test on; the first must win at that step.
void expect_first_wins_at(const PathSpec& winner, const PathSpec& loser, DecisionStep step,
                          const DecisionOptions& o = {}) {
  for (bool swap : {false, true}) {
    Paths p(swap ? std::vector<PathSpec>{loser, winner} : std::vector<PathSpec>{winner, loser});
    auto s = select(p.candidates, o);
    ASSERT_TRUE(s.best);
    EXPECT_EQ(p.candidates[*s.best].peer_address.to_string(), winner.peer) << to_string(step);
    EXPECT_EQ(s.lost_at[swap ? 0 : 1], step) << "expected the loser to lose at " << to_string(step);
    EXPECT_EQ(compare(p.candidates[swap ? 1 : 0], p.candidates[swap ? 0 : 1], o).step, step);
  }
}

TEST(Decision, HigherLocalPrefWinsFirst) {
  expect_first_wins_at({.peer = "10.0.0.9", .as_path = {1, 2, 3}, .local_pref = 200, .origin = bgp::Origin::Incomplete},
                       {.peer = "10.0.0.1", .local_pref = 100}, DecisionStep::LocalPref);
}

TEST(Decision, ShorterAsPathWins) {
  expect_first_wins_at({.peer = "10.0.0.9", .as_path = {64501}, .origin = bgp::Origin::Incomplete},
                       {.peer = "10.0.0.1", .as_path = {64501, 64501}}, DecisionStep::AsPathLength);
}

TEST(Decision, LowerOriginWins) {
  expect_first_wins_at({.peer = "10.0.0.9", .origin = bgp::Origin::Egp, .med = 50},
                       {.peer = "10.0.0.1", .origin = bgp::Origin::Incomplete}, DecisionStep::Origin);
}

TEST(Decision, LowerMedWinsWithinOneNeighborAs) {
  expect_first_wins_at({.peer = "10.0.0.9", .med = 5, .ebgp = false}, {.peer = "10.0.0.1", .med = 10},
                       DecisionStep::Med);
}

TEST(Decision, MedIsSkippedAcrossNeighborAsesUnlessAlwaysCompared) {
  PathSpec a{.peer = "10.0.0.1", .as_path = {64501}, .med = 50};
  PathSpec b{.peer = "10.0.0.2", .as_path = {64502}, .med = 10};
  expect_first_wins_at(a, b, DecisionStep::PeerAddress);
  DecisionOptions always;
  always.always_compare_med = true;
  expect_first_wins_at(b, a, DecisionStep::Med, always);
}

TEST(Decision, EbgpBeatsIbgp) {
  expect_first_wins_at({.peer = "10.0.0.9", .router_id = 9}, {.peer = "10.0.0.1", .ebgp = false, .router_id = 1},
                       DecisionStep::EbgpOverIbgp);
}

TEST(Decision, LowerRouterIdWins) {
  expect_first_wins_at({.peer = "10.0.0.9", .router_id = 1}, {.peer = "10.0.0.1", .router_id = 2},
                       DecisionStep::RouterId);
}

TEST(Decision, ShorterClusterListWins) {
  expect_first_wins_at({.peer = "10.0.0.9", .ebgp = false, .cluster_list_length = 0},
                       {.peer = "10.0.0.1", .ebgp = false, .cluster_list_length = 1}, DecisionStep::ClusterListLength);
}

TEST(Decision, LowerPeerAddressWinsLast) {
  expect_first_wins_at({.peer = "10.0.0.1"}, {.peer = "10.0.0.2"}, DecisionStep::PeerAddress);
}

TEST(Decision, IneligibleNextHopNeverWins) {
  expect_first_wins_at({.peer = "10.0.0.9", .as_path = {1, 2, 3, 4}, .local_pref = 10},
                       {.peer = "10.0.0.1", .local_pref = 500, .eligible = false}, DecisionStep::Eligibility);
  Paths none({{.peer = "10.0.0.1", .eligible = false}, {.peer = "10.0.0.2", .eligible = false}});
  auto s = select(none.candidates, {});
  EXPECT_FALSE(s.best);
  EXPECT_TRUE(s.multipath.empty());
  EXPECT_TRUE(select(std::vector<Candidate>{}, {}).multipath.empty());
}

TEST(Decision, MakeCandidateReadsTheAttributes) {
  bgp::PathAttributes a;
  a.origin = bgp::Origin::Egp;
  a.as_path = AsPath{{{SegmentType::Sequence, {64501, 64510}}, {SegmentType::Set, {1, 2}}}};
  a.med = 7;
  a.originator_id = 0x0a000063;
  a.cluster_list = {1, 2};
  Candidate c = make_candidate(a, false, 0x0a000001, *IpAddress::parse("10.0.0.1"), 100);
  EXPECT_EQ(c.local_pref, 100u);
  EXPECT_EQ(c.as_path_length, 3u);
  EXPECT_EQ(c.neighbor_as, 64501u);
  EXPECT_EQ(c.origin, bgp::Origin::Egp);
  EXPECT_EQ(c.med, 7u);
  EXPECT_EQ(c.router_id, 0x0a000063u);  // ORIGINATOR_ID stands in for the router id (RFC 4456 §9)
  EXPECT_EQ(c.cluster_list_length, 2u);
  a.local_pref = 200;
  EXPECT_EQ(make_candidate(a, false, 1, *IpAddress::parse("10.0.0.1")).local_pref, 200u);
  EXPECT_EQ(make_candidate(bgp::PathAttributes{}, true, 5, *IpAddress::parse("10.0.0.1")).router_id, 5u);
}

// The MetalLB case: three nodes in different ASes announce the same /32.
std::vector<PathSpec> three_nodes() {
  return {{.peer = "10.0.0.12", .as_path = {64502}, .router_id = 12},
          {.peer = "10.0.0.11", .as_path = {64501}, .router_id = 11},
          {.peer = "10.0.0.13", .as_path = {64503}, .router_id = 13}};
}

TEST(Multipath, DefaultIsOnePathLikeFrr) {
  Paths p(three_nodes());
  EXPECT_EQ(p.multipath({}), (std::set<std::string>{"10.0.0.11"}));
}

TEST(Multipath, DifferentAsPathsNeedMultipathRelax) {
  Paths p(three_nodes());
  DecisionOptions o;
  o.maximum_paths_ebgp = 64;
  EXPECT_EQ(p.multipath(o).size(), 1u);
  o.multipath_relax = true;
  EXPECT_EQ(p.multipath(o), (std::set<std::string>{"10.0.0.11", "10.0.0.12", "10.0.0.13"}));
}

TEST(Multipath, SameAsPathIsEqualCostWithoutRelax) {
  Paths p({{.peer = "10.0.0.2", .router_id = 2},
           {.peer = "10.0.0.1", .router_id = 1},
           {.peer = "10.0.0.3", .router_id = 3}});
  DecisionOptions o;
  o.maximum_paths_ebgp = 2;
  // Two of three, chosen by the tie-breakers, so the set is stable.
  EXPECT_EQ(p.multipath(o), (std::set<std::string>{"10.0.0.1", "10.0.0.2"}));
  auto s = select(p.candidates, o);
  EXPECT_EQ(p.candidates[s.multipath[0]].peer_address.to_string(), "10.0.0.1");  // the best comes first
}

TEST(Multipath, PathsWorseBeforeTheRouterIdStepAreExcluded) {
  auto specs = three_nodes();
  specs[2].med = 0;
  specs.push_back({.peer = "10.0.0.14", .as_path = {64504, 64504}, .router_id = 14});  // longer path
  specs.push_back({.peer = "10.0.0.15", .as_path = {64505}, .origin = bgp::Origin::Incomplete, .router_id = 15});
  specs.push_back({.peer = "10.0.0.16", .as_path = {64506}, .eligible = false});
  Paths p(specs);
  DecisionOptions o;
  o.maximum_paths_ebgp = 64;
  o.multipath_relax = true;
  EXPECT_EQ(p.multipath(o), (std::set<std::string>{"10.0.0.11", "10.0.0.12", "10.0.0.13"}));
}

TEST(Multipath, IbgpUsesItsOwnLimitAndNeverMixesWithEbgp) {
  Paths p({{.peer = "10.0.0.1", .local_pref = 200, .ebgp = false, .router_id = 1},
           {.peer = "10.0.0.2", .local_pref = 200, .ebgp = false, .router_id = 2},
           {.peer = "10.0.0.3", .local_pref = 100, .ebgp = false, .router_id = 3}});
  DecisionOptions o;
  o.maximum_paths_ebgp = 64;
  EXPECT_EQ(p.multipath(o).size(), 1u);
  o.maximum_paths_ibgp = 64;
  EXPECT_EQ(p.multipath(o), (std::set<std::string>{"10.0.0.1", "10.0.0.2"}));  // only the LOCAL_PREF 200 paths

  Paths mixed({{.peer = "10.0.0.1", .router_id = 1}, {.peer = "10.0.0.2", .ebgp = false, .router_id = 2}});
  o.multipath_relax = true;
  EXPECT_EQ(mixed.multipath(o), (std::set<std::string>{"10.0.0.1"}));
}

// A set where MED makes the pairwise comparison non-transitive: A beats B on MED (same AS), B
// beats C on router id, C beats A on router id (MED skipped across ASes).
std::vector<PathSpec> med_cycle() {
  return {{.peer = "10.0.0.1", .as_path = {64501}, .med = 10, .router_id = 3},
          {.peer = "10.0.0.2", .as_path = {64501}, .med = 20, .router_id = 1},
          {.peer = "10.0.0.3", .as_path = {64502}, .med = 0, .router_id = 2},
          {.peer = "10.0.0.4", .as_path = {64503}, .local_pref = 100, .origin = bgp::Origin::Egp, .router_id = 0},
          {.peer = "10.0.0.5", .as_path = {64504, 1}, .router_id = 0},
          {.peer = "10.0.0.6", .as_path = {64502}, .med = 5, .router_id = 4, .eligible = false}};
}

TEST(Decision, ResultDoesNotDependOnInsertionOrder) {
  auto specs = med_cycle();
  std::vector<size_t> perm(specs.size());
  std::iota(perm.begin(), perm.end(), 0);
  DecisionOptions o;
  o.maximum_paths_ebgp = 64;
  o.multipath_relax = true;
  const Paths reference(specs);
  const std::string best = reference.best(o);
  const auto mp = reference.multipath(o);
  // Group 64501 picks 10.0.0.1 (MED), which then loses to 10.0.0.3 on router id. 10.0.0.2 would
  // beat 10.0.0.3 on router id, but it lost on MED inside its group, so it is no equal-cost path.
  EXPECT_EQ(best, "10.0.0.3");
  EXPECT_EQ(mp, (std::set<std::string>{"10.0.0.3", "10.0.0.1"}));
  auto s = select(reference.candidates, o);
  EXPECT_EQ(s.lost_at[1], DecisionStep::Med);
  EXPECT_EQ(s.lost_at[0], DecisionStep::RouterId);
  EXPECT_EQ(s.lost_at[3], DecisionStep::Origin);
  EXPECT_EQ(s.lost_at[4], DecisionStep::AsPathLength);
  EXPECT_EQ(s.lost_at[5], DecisionStep::Eligibility);
  size_t permutations = 0;
  do {
    std::vector<PathSpec> shuffled;
    for (size_t i : perm) shuffled.push_back(specs[i]);
    Paths p(shuffled);
    ASSERT_EQ(p.best(o), best);
    ASSERT_EQ(p.multipath(o), mp);
    ++permutations;
  } while (std::next_permutation(perm.begin(), perm.end()));
  EXPECT_EQ(permutations, 720u);
}

TEST(Decision, StepNamesAreReadable) {
  EXPECT_EQ(to_string(DecisionStep::LocalPref), "local-pref");
  EXPECT_EQ(to_string(DecisionStep::EbgpOverIbgp), "ebgp over ibgp");
  EXPECT_EQ(to_string(DecisionStep::PeerAddress), "peer address");
}

}  // namespace
}  // namespace ridgeline::rib
