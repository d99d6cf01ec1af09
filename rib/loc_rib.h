#pragma once
// The Loc-RIB: every path per prefix, the best path and multipath set of each, and the changes
// the FIB and the advertisement side need. Deterministic: no I/O, no clock. Changes coalesce
// until drain(), so a prefix that changes many times between two drains is reported once.
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/route_change.h"
#include "rib/attributes.h"
#include "rib/decision.h"

namespace ridgeline::rib {

using PeerId = uint32_t;
inline constexpr PeerId kLocalPeer = 0;  // routes we originate (`network`, the API)

struct PeerInfo {
  IpAddress address;
  uint32_t router_id = 0;
  bool ebgp = true;
};

struct Path {
  PeerId peer = kLocalPeer;
  uint32_t path_id = 0;  // RFC 7911; 0 without add-path
  AttrRef attrs;
  IpAddress next_hop;    // the forwarding next hop (NEXT_HOP or the MP_REACH global address)
  bool stale = false;    // RFC 4724: kept from a restarting peer until End-of-RIB
  bool eligible = true;  // false: next hop not reachable or martian
};

struct RibEntry {
  std::vector<Path> paths;
  // The last decision: valid while !dirty (indices into paths).
  Selection selection;
  std::vector<IpAddress> fib_next_hops;  // sorted, unique: what the kernel should hold
  bool dirty = false;
  int64_t changed_at = 0;  // the `now` of the drain that last changed its best path or next hops

  const Path* best() const { return !dirty && selection.best ? &paths[*selection.best] : nullptr; }

  // What the best path was at the last decision, to tell whether it changed.
  struct BestKey {
    PeerId peer;
    uint32_t path_id;
    AttrRef attrs;
    IpAddress next_hop;
    bool operator==(const BestKey&) const = default;
  };
  std::optional<BestKey> best_key;
};

using RouteChange = ridgeline::RouteChange;

struct RibChanges {
  std::vector<RouteChange> fib;      // for the fib library
  std::vector<Prefix> best_changed;  // for Adj-RIB-Out: the best path differs (or is gone)
};

class LocRib {
 public:
  explicit LocRib(DecisionOptions options = {}) : options_{options, options} {}

  // Re-runs the decision for every prefix (of that family).
  void set_options(const DecisionOptions& options);
  void set_options(Family family, const DecisionOptions& options);
  const DecisionOptions& options(Family family) const { return options_[index(family)]; }
  void set_peer(PeerId peer, PeerInfo info);
  const PeerInfo* peer(PeerId peer) const;

  // Adds the path, or replaces the one with the same (peer, path_id).
  void update(const Prefix& prefix, Path path);
  // Returns false if there was no such path.
  bool withdraw(const Prefix& prefix, PeerId peer, uint32_t path_id);
  // All paths of a peer (session down for good). Returns how many went.
  size_t withdraw_peer(PeerId peer);
  // RFC 4724 §4.2: a restarting peer's paths stay, marked stale, until End-of-RIB or timeout.
  size_t mark_stale(PeerId peer);
  size_t sweep_stale(PeerId peer);
  // Next-hop tracking: a next hop became (un)usable; every path through it is re-decided.
  size_t set_next_hop_eligible(const IpAddress& next_hop, bool eligible);

  // Decides every dirty prefix; `now` (the caller's clock, any unit) stamps those that changed.
  RibChanges drain(int64_t now = 0);

  const RibEntry* find(const Prefix& prefix) const;
  size_t prefix_count() const { return entries_.size(); }
  size_t path_count() const;
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [prefix, entry] : entries_) f(prefix, entry);
  }

 private:
  void mark_dirty(const Prefix& prefix, RibEntry& entry);
  void decide(const Prefix& prefix, RibEntry& entry) const;
  static size_t index(Family f) { return f == Family::V4 ? 0 : 1; }

  DecisionOptions options_[2];  // IPv4, IPv6 (maximum-paths is per address family)
  std::unordered_map<PeerId, PeerInfo> peers_;
  std::unordered_map<Prefix, RibEntry> entries_;
  std::vector<Prefix> dirty_;
};

}  // namespace ridgeline::rib
