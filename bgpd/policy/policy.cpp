#include "bgpd/policy/policy.h"

#include <algorithm>

namespace ridgeline::bgp::policy {

bool matches(const config::PrefixListEntry& e, const Prefix& p) {
  if (e.prefix.family() != p.family()) return false;
  if (e.any) return true;
  if (!e.prefix.contains(p)) return false;
  const uint8_t max = max_prefix_length(p.family());
  const uint8_t low = e.ge.value_or(e.prefix.length());
  const uint8_t high = e.le.value_or(e.ge ? max : e.prefix.length());
  return p.length() >= low && p.length() <= high;
}

Verdict evaluate(const config::PrefixList& list, const Prefix& prefix) {
  if (list.entries.empty()) return Verdict::Permit;
  for (const auto& e : list.entries) {
    if (matches(e, prefix)) return e.action == config::Action::Permit ? Verdict::Permit : Verdict::Deny;
  }
  return Verdict::Deny;
}

namespace {

template <typename Entry, typename Value>
bool list_matches(const std::vector<Entry>& list, const std::vector<Value>& have, bool exact) {
  std::vector<Value> sorted_have = have;
  std::sort(sorted_have.begin(), sorted_have.end());
  sorted_have.erase(std::unique(sorted_have.begin(), sorted_have.end()), sorted_have.end());
  for (const auto& e : list) {
    std::vector<Value> want = e.communities;
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    const bool hit =
        exact ? want == sorted_have : std::includes(sorted_have.begin(), sorted_have.end(), want.begin(), want.end());
    if (hit) return e.action == config::Action::Permit;
  }
  return false;
}

template <typename T>
void set_union_into(std::vector<T>& have, const std::vector<T>& add) {
  have.insert(have.end(), add.begin(), add.end());
  std::sort(have.begin(), have.end());
  have.erase(std::unique(have.begin(), have.end()), have.end());
}

}  // namespace

bool community_list_matches(const std::vector<config::CommunityListEntry>& list,
                            const std::vector<uint32_t>& communities, bool exact) {
  return list_matches(list, communities, exact);
}

bool large_community_list_matches(const std::vector<config::LargeCommunityListEntry>& list,
                                  const std::vector<LargeCommunity>& communities, bool exact) {
  return list_matches(list, communities, exact);
}

Verdict Policy::prefix_list(const std::string& name, const Prefix& prefix) const {
  const auto& lists = prefix.family() == Family::V4 ? config_.prefix_lists_v4 : config_.prefix_lists_v6;
  auto it = lists.find(name);
  return it == lists.end() ? Verdict::Deny : evaluate(it->second, prefix);
}

bool Policy::community_list(const std::string& name, const std::vector<uint32_t>& communities, bool exact) const {
  auto it = config_.community_lists.find(name);
  return it != config_.community_lists.end() && community_list_matches(it->second, communities, exact);
}

bool Policy::large_community_list(const std::string& name, const std::vector<LargeCommunity>& communities,
                                  bool exact) const {
  auto it = config_.large_community_lists.find(name);
  return it != config_.large_community_lists.end() && large_community_list_matches(it->second, communities, exact);
}

Verdict Policy::route_map(const std::string& name, const Prefix& prefix, PathAttributes& attrs) const {
  auto it = config_.route_maps.find(name);
  if (it == config_.route_maps.end()) return Verdict::Deny;
  for (const auto& e : it->second.entries) {
    // match clauses (all must hold)
    if (e.match_prefix_list_v4 &&
        (prefix.family() != Family::V4 || prefix_list(*e.match_prefix_list_v4, prefix) != Verdict::Permit)) {
      continue;
    }
    if (e.match_prefix_list_v6 &&
        (prefix.family() != Family::V6 || prefix_list(*e.match_prefix_list_v6, prefix) != Verdict::Permit)) {
      continue;
    }
    if (e.match_community && !community_list(*e.match_community, attrs.communities, e.match_community_exact)) continue;
    if (e.match_large_community &&
        !large_community_list(*e.match_large_community, attrs.large_communities, e.match_large_community_exact)) {
      continue;
    }
    if (e.action == config::Action::Deny) return Verdict::Deny;
    // set clauses
    if (e.set_local_pref) attrs.local_pref = *e.set_local_pref;
    if (e.set_metric) attrs.med = *e.set_metric;
    if (e.set_community_none) attrs.communities.clear();
    if (e.set_community) {
      if (!e.set_community_additive) attrs.communities.clear();
      set_union_into(attrs.communities, *e.set_community);
    }
    if (e.set_large_community_none) attrs.large_communities.clear();
    if (e.set_large_community) {
      if (!e.set_large_community_additive) attrs.large_communities.clear();
      set_union_into(attrs.large_communities, *e.set_large_community);
    }
    return Verdict::Permit;
  }
  return Verdict::Deny;
}

bool denies_everything(const Filters& filters, bool ebgp, bool ebgp_requires_policy) {
  return ebgp && ebgp_requires_policy && !filters.prefix_list && !filters.route_map;
}

Verdict filter_prefix(const Policy& policy, const Filters& filters, bool ebgp, bool ebgp_requires_policy,
                      const Prefix& prefix) {
  if (denies_everything(filters, ebgp, ebgp_requires_policy)) return Verdict::Deny;
  if (filters.prefix_list && policy.prefix_list(*filters.prefix_list, prefix) == Verdict::Deny) return Verdict::Deny;
  return Verdict::Permit;
}

Verdict apply_filters(const Policy& policy, const Filters& filters, bool ebgp, bool ebgp_requires_policy,
                      const Prefix& prefix, PathAttributes& attrs) {
  if (filter_prefix(policy, filters, ebgp, ebgp_requires_policy, prefix) == Verdict::Deny) return Verdict::Deny;
  if (filters.route_map) return policy.route_map(*filters.route_map, prefix, attrs);
  return Verdict::Permit;
}

}  // namespace ridgeline::bgp::policy
