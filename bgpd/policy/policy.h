#pragma once
// Routing policy with FRR's semantics: prefix-lists, community-lists, route-maps, and the
// per-neighbor import/export chain (prefix-list, then route-map; RFC 8212 default deny).
// Pure functions over the config model and path attributes.
#include <string>

#include "bgpd/wire/messages.h"
#include "common/config/model.h"

namespace ridgeline::bgp::policy {

enum class Verdict : uint8_t { Permit, Deny };

// First matching entry decides; no match denies; an empty list permits (as FRR).
Verdict evaluate(const config::PrefixList& list, const Prefix& prefix);
bool matches(const config::PrefixListEntry& entry, const Prefix& prefix);

// Standard community-list: an entry matches when the path has all its communities (exact: the
// path has exactly those). The first matching entry decides; permit means "matches".
bool community_list_matches(const std::vector<config::CommunityListEntry>& list,
                            const std::vector<uint32_t>& communities, bool exact);
bool large_community_list_matches(const std::vector<config::LargeCommunityListEntry>& list,
                                  const std::vector<LargeCommunity>& communities, bool exact);

// Evaluates policy against one config. Holds a reference: the config must outlive it.
class Policy {
 public:
  explicit Policy(const config::Config& config) : config_(config) {}

  // Undefined prefix-list: deny (FRR).
  Verdict prefix_list(const std::string& name, const Prefix& prefix) const;
  bool community_list(const std::string& name, const std::vector<uint32_t>& communities, bool exact) const;
  bool large_community_list(const std::string& name, const std::vector<LargeCommunity>& communities, bool exact) const;
  // Undefined route-map: deny. On permit the entry's set clauses are applied to `attrs`.
  Verdict route_map(const std::string& name, const Prefix& prefix, PathAttributes& attrs) const;

 private:
  const config::Config& config_;
};

// The filters of one neighbor in one address family, resolved from the neighbor and its group.
struct Filters {
  std::optional<std::string> prefix_list;
  std::optional<std::string> route_map;
  bool operator==(const Filters&) const = default;
};

// What to do with a route: `neighbor X prefix-list` first, then `neighbor X route-map`. An eBGP
// neighbor with neither denies everything when `bgp ebgp-requires-policy` is on (RFC 8212 §3).
Verdict apply_filters(const Policy& policy, const Filters& filters, bool ebgp, bool ebgp_requires_policy,
                      const Prefix& prefix, PathAttributes& attrs);
// RFC 8212 §3: an eBGP neighbor with no policy at all while `bgp ebgp-requires-policy` is on.
bool denies_everything(const Filters& filters, bool ebgp, bool ebgp_requires_policy);
// The part of apply_filters that looks at the prefix alone (all of it when there is no
// route-map: then the attributes pass unchanged).
Verdict filter_prefix(const Policy& policy, const Filters& filters, bool ebgp, bool ebgp_requires_policy,
                      const Prefix& prefix);

}  // namespace ridgeline::bgp::policy
