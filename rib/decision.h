#pragma once
// The BGP decision process (RFC 4271 §9.1.2) as plain functions: a comparator that says which step
// decided, best-path selection, and the multipath set. No I/O, no clock.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "bgpd/wire/messages.h"
#include "common/net.h"

namespace ridgeline::rib {

// Everything the decision needs to know about one path, computed once when the path arrives.
struct Candidate {
  uint32_t local_pref = 100;    // LOCAL_PREF, or the default for paths without one
  uint32_t as_path_length = 0;  // RFC 4271 §9.1.2.2 a)
  bgp::Origin origin = bgp::Origin::Igp;
  uint32_t med = 0;                  // MULTI_EXIT_DISC, 0 when absent (RFC 4271 §9.1.2.2 c)
  uint32_t neighbor_as = 0;          // leftmost AS of the path: MEDs compare only within one (§9.1.2.2 c)
  bool ebgp = false;                 // learned over eBGP
  uint32_t router_id = 0;            // ORIGINATOR_ID when present, else the peer's BGP identifier (RFC 4456 §9)
  uint32_t cluster_list_length = 0;  // RFC 4456 §9
  IpAddress peer_address;
  bool eligible = true;                  // false: next hop unreachable or martian, never selected
  const bgp::AsPath* as_path = nullptr;  // for the multipath "same AS_PATH" rule; may be null
};

// Builds a Candidate from the path's attributes and where it came from.
Candidate make_candidate(const bgp::PathAttributes& attrs, bool ebgp, uint32_t peer_router_id,
                         const IpAddress& peer_address, uint32_t default_local_pref = 100);

// The step that told two paths apart, in the order the steps run.
enum class DecisionStep : uint8_t {
  Eligibility,   // one path's next hop is not usable
  LocalPref,     // §9.1.2.1: higher LOCAL_PREF
  AsPathLength,  // §9.1.2.2 a): shorter AS_PATH
  Origin,        // §9.1.2.2 b): lower ORIGIN
  Med,           // §9.1.2.2 c): lower MED among paths from the same neighbor AS
  EbgpOverIbgp,  // §9.1.2.2 d)
  // Paths still tied here are equal-cost for multipath (§9.1.2.2 e, the IGP cost, is the same
  // for every directly connected next hop of a gateway).
  RouterId,           // §9.1.2.2 f): lower BGP identifier (ORIGINATOR_ID, RFC 4456)
  ClusterListLength,  // RFC 4456 §9: shorter CLUSTER_LIST
  PeerAddress,        // §9.1.2.2 g): lower peer address
  Identical,          // no step tells them apart
};
std::string_view to_string(DecisionStep step);

struct DecisionOptions {
  bool always_compare_med = false;  // `bgp always-compare-med`
  uint32_t maximum_paths_ebgp = 1;  // `maximum-paths N`
  uint32_t maximum_paths_ibgp = 1;  // `maximum-paths ibgp N`
  bool multipath_relax = false;     // `bgp bestpath as-path multipath-relax`
};

struct Comparison {
  int order = 0;  // < 0: a is better, > 0: b is better, 0: identical
  DecisionStep step = DecisionStep::Identical;
};

Comparison compare(const Candidate& a, const Candidate& b, const DecisionOptions& options);

struct Selection {
  std::optional<size_t> best;     // index into the candidates; none when no path is eligible
  std::vector<size_t> multipath;  // best first, then the others in decision order
  // For each candidate that is not the best: the step at which it lost to the best.
  std::vector<DecisionStep> lost_at;
};

// Picks the best path and the multipath set. The result does not depend on the order of
// `candidates` except for indices (ties at DecisionStep::Identical break by index).
Selection select(std::span<const Candidate> candidates, const DecisionOptions& options);
// The same into `out`, reusing its storage.
void select(std::span<const Candidate> candidates, const DecisionOptions& options, Selection& out);

}  // namespace ridgeline::rib
