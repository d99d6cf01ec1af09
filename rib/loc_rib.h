#pragma once
// The Loc-RIB: every path per prefix, the best path and multipath set of each, and the changes
// the FIB and the advertisement side need. Deterministic: no I/O, no clock. Changes coalesce
// until drain(), so a prefix that changes many times between two drains is reported once.
//
// Memory per prefix is what matters at a million service routes: one node in a PrefixTable
// (no allocation per prefix), the first path inline, the forwarding next-hop set interned (the
// few distinct sets of a cluster are shared by every route), and the decision's details
// (multipath set, why each path lost) recomputed on demand by selection(), not stored.
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/numbering.h"
#include "common/prefix_table.h"
#include "common/route_change.h"
#include "rib/attributes.h"
#include "rib/decision.h"
#include "rib/hop_address.h"
#include "rib/path_list.h"

namespace ridgeline::rib {

struct PeerInfo {
  IpAddress address;
  uint32_t router_id = 0;
  bool ebgp = true;
};

// Interned forwarding next-hop sets (sorted, unique), reference-counted, each known by a 4-byte
// number; the empty set is 0.
class HopSets {
 public:
  using Set = std::vector<IpAddress>;
  using Ref = uint32_t;  // 0: the empty set; else the set's number + 1
  Ref acquire(const Set& set);
  Ref acquire_one(const IpAddress& hop);  // {hop}, without building a vector on a hit
  void hold(Ref ref) {
    if (ref) ++node(ref)->second.refs;
  }
  void release(Ref ref);
  const Set& get(Ref ref) const;
  NextHops shared(Ref ref) const;
  size_t size() const { return sets_.size(); }

 private:
  struct Use {
    uint32_t refs = 0;
    uint32_t id = 0;                    // its Ref
    std::shared_ptr<const Set> shared;  // what RouteChanges carry, made once per set
  };
  using Node = std::pair<const Set, Use>;
  Node* node(Ref ref) const { return numbers_[ref]; }
  std::map<Set, Use> sets_;
  Numbering<Node*> numbers_;
  Ref last_ = 0;  // consecutive routes usually share one
};

struct RibEntry {
  PrefixKey key;  // 6 bytes (LocRib::prefix_of gives the Prefix); the flags fill its 8-byte word
  bool dirty = false;
  bool best_touched = false;  // the previous best path changed or went since the last decision
  uint32_t changed_at = 0;    // the `now` of the drain that last changed its best path or next hops
  HopSets::Ref hops = 0;      // what the kernel should hold (after the last decision)
  // The paths' 16-bit size leaves 2 bytes of tail padding: best_index is laid out in them.
  [[no_unique_address]] PathList paths;
  // While clean: the best path's index. While dirty: the index of the path that was best at the
  // last decision, followed through erasures, or kNone once it changed or left.
  uint16_t best_index = kNone;

  static constexpr uint16_t kNone = UINT16_MAX;  // no index: a PathList holds at most 65535 paths
  const Path* best() const { return !dirty && best_index != kNone ? &paths[best_index] : nullptr; }
};

static_assert(sizeof(RibEntry) == 40, "a RibEntry is 40 bytes: see bench_rib_memory");

using RouteChange = ridgeline::RouteChange;

struct RibChanges {
  std::vector<RouteChange> fib;      // for the fib library
  std::vector<Prefix> best_changed;  // for Adj-RIB-Out: the best path differs (or is gone)
};

class LocRib {
 public:
  explicit LocRib(DecisionOptions options = {}) : options_{options, options} {}
  ~LocRib();

  // Re-runs the decision for every prefix (of that family).
  void set_options(const DecisionOptions& options);
  void set_options(Family family, const DecisionOptions& options);
  const DecisionOptions& options(Family family) const { return options_[index(family)]; }
  void set_peer(PeerId peer, PeerInfo info);
  const PeerInfo* peer(PeerId peer) const;

  // Adds the path, or replaces the one with the same (peer, path_id). Returns true if it is new;
  // false too for a new path of a prefix that has PathList::kMaxSize already (not kept).
  bool update(const Prefix& prefix, Path path);
  uint64_t paths_refused() const { return paths_refused_; }
  // Returns false if there was no such path.
  bool withdraw(const Prefix& prefix, PeerId peer, uint32_t path_id);
  // All paths of a peer (session down for good). Returns how many went.
  size_t withdraw_peer(PeerId peer);
  // RFC 4724 §4.2: a restarting peer's paths stay, marked stale, until End-of-RIB or timeout.
  size_t mark_stale(PeerId peer);
  size_t sweep_stale(PeerId peer);
  // Next-hop tracking: a next hop became (un)usable; every path through it is re-decided.
  size_t set_next_hop_eligible(const IpAddress& next_hop, bool eligible);

  // Decides every dirty prefix; `now` (the caller's clock, any unit that fits 32 bits: bgpd's is
  // in seconds) stamps those that changed.
  RibChanges drain(uint32_t now = 0);

  // The full decision for an entry: best, multipath set, and where each other path lost.
  Selection selection(const RibEntry& entry) const;

  const RibEntry* find(const Prefix& prefix) const { return entries_.find(prefix); }
  Prefix prefix_of(const RibEntry& entry) const { return entries_.prefix_of(entry); }
  // What the kernel should hold for the entry (after the last decision).
  const std::vector<IpAddress>& fib_next_hops(const RibEntry& entry) const { return hop_sets_.get(entry.hops); }
  size_t prefix_count() const { return entries_.size(); }
  size_t path_count() const;
  // The paths a peer has in the Loc-RIB, of one family (its accepted prefixes).
  size_t path_count(PeerId peer, Family family) const;
  size_t hop_set_count() const { return hop_sets_.size(); }
  size_t path_pool_bytes() const { return path_pool_.bytes(); }  // paths beyond each prefix's first
  template <typename F>
  void for_each(F&& f) const {
    for (const RibEntry& e : entries_) f(entries_.prefix_of(e), e);
  }

 private:
  using Table = PrefixTable<RibEntry>;
  void mark_dirty(Table::Index i);
  void erase_path(RibEntry& entry, size_t i);
  void count(PeerId peer, Family family, int delta);
  // Best index and next-hop set; the full Selection only when more than one path competes.
  void decide(RibEntry& entry);
  std::vector<Candidate>& candidates(const RibEntry& entry) const;
  static size_t index(Family f) { return f == Family::V4 ? 0 : 1; }

  DecisionOptions options_[2];  // IPv4, IPv6 (maximum-paths is per address family)
  std::unordered_map<PeerId, PeerInfo> peers_;
  std::unordered_map<PeerId, std::array<size_t, 2>> peer_paths_;
  std::array<size_t, 2>* counted_ = nullptr;  // count()'s last peer's counters
  PeerId counted_peer_ = 0;
  PathPool path_pool_;  // before entries_: their paths go first
  Table entries_;
  HopSets hop_sets_;
  std::vector<Table::Index> dirty_;
  mutable std::vector<Candidate> scratch_;
  Selection selection_;          // decide()'s, reused
  std::vector<IpAddress> hops_;  // decide()'s, reused
  uint64_t paths_refused_ = 0;   // new paths past PathList::kMaxSize of one prefix
};

}  // namespace ridgeline::rib
