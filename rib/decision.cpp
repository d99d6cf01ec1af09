#include "rib/decision.h"

#include <algorithm>
#include <tuple>

namespace ridgeline::rib {

Candidate make_candidate(const bgp::PathAttributes& attrs, bool ebgp, uint32_t peer_router_id,
                         const IpAddress& peer_address, uint32_t default_local_pref) {
  Candidate c;
  c.local_pref = attrs.local_pref.value_or(default_local_pref);
  if (attrs.as_path) {
    c.as_path_length = static_cast<uint32_t>(attrs.as_path->path_length());
    c.neighbor_as = attrs.as_path->first_as().value_or(0);
    c.as_path = &*attrs.as_path;
  }
  c.origin = attrs.origin.value_or(bgp::Origin::Incomplete);
  c.med = attrs.med.value_or(0);
  c.ebgp = ebgp;
  c.router_id = attrs.originator_id.value_or(peer_router_id);
  c.cluster_list_length = static_cast<uint32_t>(attrs.cluster_list.size());
  c.peer_address = peer_address;
  return c;
}

std::string_view to_string(DecisionStep step) {
  switch (step) {
    case DecisionStep::Eligibility: return "next-hop eligibility";
    case DecisionStep::LocalPref: return "local-pref";
    case DecisionStep::AsPathLength: return "as-path length";
    case DecisionStep::Origin: return "origin";
    case DecisionStep::Med: return "med";
    case DecisionStep::EbgpOverIbgp: return "ebgp over ibgp";
    case DecisionStep::RouterId: return "router-id";
    case DecisionStep::ClusterListLength: return "cluster-list length";
    case DecisionStep::PeerAddress: return "peer address";
    case DecisionStep::Identical: return "identical";
  }
  return "?";
}

namespace {

template <typename T>
int lower_wins(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

Comparison compare(const Candidate& a, const Candidate& b, const DecisionOptions& options) {
  auto decided = [](int order, DecisionStep step) { return Comparison{order, step}; };
  if (a.eligible != b.eligible) return decided(a.eligible ? -1 : 1, DecisionStep::Eligibility);
  if (int o = lower_wins(b.local_pref, a.local_pref)) return decided(o, DecisionStep::LocalPref);
  if (int o = lower_wins(a.as_path_length, b.as_path_length)) return decided(o, DecisionStep::AsPathLength);
  if (int o = lower_wins(a.origin, b.origin)) return decided(o, DecisionStep::Origin);
  if (options.always_compare_med || a.neighbor_as == b.neighbor_as) {
    if (int o = lower_wins(a.med, b.med)) return decided(o, DecisionStep::Med);
  }
  if (a.ebgp != b.ebgp) return decided(a.ebgp ? -1 : 1, DecisionStep::EbgpOverIbgp);
  if (int o = lower_wins(a.router_id, b.router_id)) return decided(o, DecisionStep::RouterId);
  if (int o = lower_wins(a.cluster_list_length, b.cluster_list_length)) {
    return decided(o, DecisionStep::ClusterListLength);
  }
  if (int o = lower_wins(a.peer_address, b.peer_address)) return decided(o, DecisionStep::PeerAddress);
  return {};
}

namespace {

// Multipath also needs the same AS_PATH, or with multipath-relax one of the same length (which
// the comparator has already checked).
bool multipath_compatible(const Candidate& best, const Candidate& other, const DecisionOptions& options) {
  if (!other.eligible || other.ebgp != best.ebgp) return false;
  if (options.multipath_relax) return true;
  if (best.as_path == nullptr || other.as_path == nullptr) return best.as_path == other.as_path;
  return *best.as_path == *other.as_path;
}

}  // namespace

Selection select(std::span<const Candidate> candidates, const DecisionOptions& options) {
  Selection result;
  select(candidates, options, result);
  return result;
}

void select(std::span<const Candidate> candidates, const DecisionOptions& options, Selection& result) {
  result.best.reset();
  result.multipath.clear();
  result.lost_at.assign(candidates.size(), DecisionStep::Identical);
  // Scratch kept between calls: the RIB decides millions of prefixes in a row.
  thread_local std::vector<std::pair<uint32_t, size_t>> group_best;  // neighbor AS -> best index so far
  thread_local std::vector<size_t> equal;
  group_best.clear();
  equal.clear();

  // MED comparisons are not transitive across neighbor ASes, so a plain sort would make the
  // winner depend on arrival order. As with FRR's deterministic-med: pick the best of each
  // neighbor-AS group first (MED applies inside a group), then the best of the group winners.
  auto better = [&](size_t x, size_t y) {  // ties at Identical go to the lower index
    const Comparison c = compare(candidates[x], candidates[y], options);
    return c.order < 0 || (c.order == 0 && x < y);
  };
  auto group_of = [&](size_t i) { return options.always_compare_med ? 0 : candidates[i].neighbor_as; };
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!candidates[i].eligible) continue;
    auto it = std::find_if(group_best.begin(), group_best.end(), [&](const auto& g) { return g.first == group_of(i); });
    if (it == group_best.end()) {
      group_best.emplace_back(group_of(i), i);
    } else if (better(i, it->second)) {
      it->second = i;
    }
  }
  if (group_best.empty()) {
    for (auto& step : result.lost_at) step = DecisionStep::Eligibility;
    return;
  }
  size_t best = group_best.front().second;
  for (const auto& g : group_best) {
    if (better(g.second, best)) best = g.second;
  }
  result.best = best;

  // A path lost either to the best, or (when it beats the best pairwise) inside its own group.
  // Equal-cost paths are tied with the best, and with their group's winner, through every step
  // before the router id: a path that lost on MED inside its group is not equal-cost.
  const Candidate& b = candidates[best];
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (i == best) continue;
    const Comparison vs_best = compare(b, candidates[i], options);
    DecisionStep in_group = DecisionStep::Identical;
    if (candidates[i].eligible) {
      const size_t winner = std::find_if(group_best.begin(), group_best.end(), [&](const auto& g) {
                              return g.first == group_of(i);
                            })->second;
      if (winner != i) in_group = compare(candidates[winner], candidates[i], options).step;
    }
    result.lost_at[i] = vs_best.order < 0 ? vs_best.step : in_group;
    if (vs_best.step >= DecisionStep::RouterId && in_group >= DecisionStep::RouterId &&
        multipath_compatible(b, candidates[i], options)) {
      equal.push_back(i);
    }
  }
  // The steps left order the equal-cost set totally, so the choice under maximum-paths is stable.
  std::sort(equal.begin(), equal.end(), [&](size_t x, size_t y) {
    const Candidate &cx = candidates[x], &cy = candidates[y];
    return std::tie(cx.router_id, cx.cluster_list_length, cx.peer_address, x) <
           std::tie(cy.router_id, cy.cluster_list_length, cy.peer_address, y);
  });
  const uint32_t limit = std::max<uint32_t>(1, b.ebgp ? options.maximum_paths_ebgp : options.maximum_paths_ibgp);
  result.multipath.push_back(best);
  for (size_t i : equal) {
    if (result.multipath.size() >= limit) break;
    result.multipath.push_back(i);
  }
}

}  // namespace ridgeline::rib
