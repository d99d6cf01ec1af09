#pragma once
// Turns Loc-RIB forwarding changes (prefix -> next hops) into kernel operations: one nexthop
// object per (gateway, ifindex), one group per distinct set, shared by every route with that
// set. When every route of a group moves to the same new set (a node fails, or comes up
// announcing every service), the group is replaced in place: one write, not one per route.
// Deterministic: the kernel is an interface, time is not used.
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "common/numbering.h"
#include "common/prefix_table.h"
#include "fib/kernel.h"

namespace ridgeline::fib {

struct ResilientOptions {
  uint16_t buckets = 128;
  uint32_t idle_timer_s = 120;
};

struct ProgrammerOptions {
  NexthopId first_id = kOwnedFirstId;
  NexthopId last_id = kOwnedLastId;
  // Groups whose next hops are of this family are resilient (a member leaving moves only its
  // own buckets); unset: plain hash-threshold groups.
  std::optional<ResilientOptions> resilient_v4, resilient_v6;
};

struct FibStats {
  size_t routes = 0, groups = 0, nexthops = 0;
  size_t waiting = 0;           // routes with no resolvable next hop, not installed
  size_t adopted = 0;           // routes found in the kernel at start, not yet confirmed by the RIB
  uint64_t group_replaces = 0;  // in-place group replacements
  uint64_t drift = 0;           // items reconcile() found changed behind our back
  uint64_t kernel_errors = 0;   // kernel operations that failed
  bool needs_repair = false;    // the last write had failures: reconcile (with backoff) to retry
};

// The order in which many routes are written: by address read from its last bit to its first
// (IPv4 before IPv6). The kernel's LC-trie then grows evenly instead of inflating one node again
// and again; for 1M /32s that is about 1.4 times faster than ascending order.
std::pair<uint64_t, uint64_t> spread_key(const Prefix& p);

class Programmer {
 public:
  Programmer(Kernel& kernel, ProgrammerOptions options = {});

  // At start: takes over what a previous run left in the kernel (our protocol and id range), so
  // that routes the RIB confirms are not rewritten. Adopted routes the RIB does not confirm stay
  // until sweep_adopted(), called once the RIB has converged. Returns the adopted route count.
  size_t adopt();  // reads the kernel's dump as it comes
  // The RIB has converged: adopted routes it did not confirm go at the next flush().
  size_t sweep_adopted();
  // The gateways of adopted routes not yet confirmed: who the RIB is still waiting for.
  std::set<IpAddress> adopted_gateways() const;

  // Next hops resolve over connected prefixes (from address notifications); a next hop that
  // resolves over none is not installed, and its routes wait.
  void set_connected(const Prefix& prefix, int ifindex);
  void remove_connected(const Prefix& prefix);
  // A link went down: every connected prefix on it goes at once.
  void link_down(int ifindex);
  // The whole connected set at once (from ConnectedTable); nothing happens if it is the same.
  void set_connected_prefixes(const std::map<Prefix, int>& connected);
  const std::map<Prefix, int>& connected() const { return connected_; }
  // Every route of ours goes at the next flush (a stop without graceful restart).
  void withdraw_all();
  // A next hop is dead (its BFD session went down): every group holding it is replaced in place
  // without it at the next flush, before the RIB has withdrawn a single route, so that failover
  // costs one write per group whatever the route count. It stays out of every set until
  // `down` is false again (its peer is back).
  void set_gateway_down(const IpAddress& gateway, bool down);

  // Room for this many more routes, so that a large batch does not rehash as it goes.
  void reserve_more(size_t n) { routes_.reserve(routes_.size() + n); }
  // The desired next hops of a prefix; empty removes it. Changes coalesce until flush().
  void update(const Prefix& prefix, const std::vector<IpAddress>& next_hops);
  // Sends the ops for everything changed since the last flush (in chunks, in order: objects,
  // routes, then garbage); returns how many. With `record`, also appends each op there.
  // Without `wait`, returns once the last chunk is handed to the kernel (async acks): failures
  // then count at a later flush or settle(). With `hold`, a large partial move of a group may
  // wait for its rest (see holding()).
  size_t flush(std::vector<Op>* record, bool wait = true, bool hold = false);
  // Waits for what was handed to the kernel and counts its failures. Returns whether any failed.
  bool settle();
  // Something handed to the kernel is not carried out yet.
  bool writing() { return kernel_.busy(); }
  // Routes held back by the last flush: a large share of a group moving to one new set, still
  // growing (a peer withdrawing all its routes over many UPDATEs). Flush again soon: they are
  // written as one group replace once the move is complete, or one by one once it stops growing.
  bool holding() const { return !holding_.empty(); }
  std::vector<Op> flush() {
    std::vector<Op> ops;
    flush(&ops);
    return ops;
  }
  // Compares the kernel with the desired state, repairs what differs, counts it as drift (not
  // when retrying after failed writes of our own: then the differences are ours).
  size_t reconcile(bool retrying = false);

  FibStats stats() const;
  // What is installed: each route with its group, and each group with its members.
  template <typename F>  // F(const Prefix&, NexthopId group, bool adopted)
  void for_each_route(F&& each) const {
    for (const Route& r : routes_) {
      if (r.installed) each(routes_.prefix_of(r), NexthopId{r.installed}, bool{r.adopted});
    }
  }
  template <typename F>  // F(NexthopId group, const std::vector<NexthopKey>& members, size_t routes)
  void for_each_group(F&& each) const {
    for (const auto& [set, g] : groups_) each(g.id, set, g.refs);
  }
  std::optional<NexthopId> nexthop_id(const NexthopKey& key) const;
  std::optional<NexthopId> installed(const Prefix& prefix) const;
  std::vector<NexthopKey> group_members(NexthopId group) const;

 private:
  using Set = std::vector<NexthopKey>;  // sorted, unique
  struct Group {
    NexthopId id = 0;
    size_t refs = 0;
  };
  struct Nexthop {
    NexthopId id = 0;  // 0 until allocated
    size_t refs = 0;
  };
  // A desired next-hop list, interned: every prefix with the same list shares one, and its
  // resolution is computed once per flush, not once per prefix.
  struct HopList {
    uint32_t id = 0;  // its number in hop_list_numbers_, which a Route keeps instead of a pointer
    size_t refs = 0;
    uint64_t resolved_epoch = 0;  // `target` is valid while this equals resolve_epoch_
    Set target;
    uint64_t group_epoch = 0;  // `group` is valid while this equals flush_epoch_
    NexthopId group = 0;
  };
  using HopLists = std::map<std::vector<IpAddress>, HopList>;
  // A number below 2^24 in 3 bytes (alignment 1).
  struct Uint24 {
    uint8_t b[3] = {};
    operator uint32_t() const { return b[0] | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16; }
    Uint24& operator=(uint32_t v) {
      if (v >> 24) throw std::length_error("a number of 2^24 or more in a 24-bit field");
      b[0] = static_cast<uint8_t>(v);
      b[1] = static_cast<uint8_t>(v >> 8);
      b[2] = static_cast<uint8_t>(v >> 16);
      return *this;
    }
  };
  // An id of the owned range (kOwnedFirstId..kOwnedLastId, 2^24 - 1 of them) or 0, in 3 bytes.
  struct OwnedId {
    Uint24 offset;  // id - kOwnedFirstId + 1; 0: none
    operator NexthopId() const { return offset ? kOwnedFirstId + offset - 1 : 0; }
    OwnedId& operator=(NexthopId id) {
      offset = id ? id - kOwnedFirstId + 1 : 0;
      return *this;
    }
  };
  // One per prefix, 13 bytes (a million service routes: 13 MB and the index).
  struct Route {
    PrefixKey key;  // routes_.prefix_of() gives the Prefix
    bool dirty : 1 = false;
    bool adopted : 1 = false;  // installed by a previous run, not yet confirmed
    Uint24 desired;            // its HopList's id; 0: not wanted
    OwnedId installed;         // its group in the kernel; 0: none
  };
  static_assert(sizeof(Route) == 13 && alignof(Route) == 1);
  static bool take_adopted(Route& r) {  // clears the flag, says whether it was set
    const bool was = r.adopted;
    r.adopted = false;
    return was;
  }
  using Routes = PrefixTable<Route>;
  struct Hold {
    size_t routes = 0;     // moving at the last flush
    uint32_t flushes = 0;  // flushes held so far
  };

  bool count_failures(size_t failed);  // kernel ops that failed: counted, and a repair is due
  std::optional<int> resolve(const IpAddress& gateway) const;
  const Set& target_of(Route& e);
  NexthopId allocate();
  bool in_id_range(NexthopId id) const { return id >= options_.first_id && id <= options_.last_id; }  // ours to use
  void set_group_type(const Set& set, Op& op) const;
  NexthopId ensure_nexthop(const NexthopKey& key);
  NexthopId group_for(const Set& set);
  void release_nexthop(const NexthopKey& key);
  void mark_all_dirty();
  void mark_dirty(Routes::Index route);
  template <typename F>  // F(Routes::Index) for every dirty route
  void for_each_dirty(F&& each) {
    if (!dirty_scan_) {
      for (Routes::Index r : dirty_) each(r);
      return;
    }
    for (Routes::Index r = 0; r < routes_.size(); ++r) {
      if (routes_[r].dirty) each(r);
    }
  }
  // Scans write IPv4 routes in kScanParts parts, by the first bits of their spread key, then
  // IPv6 (part kScanParts).
  static constexpr unsigned kScanParts = 16;
  static unsigned scan_part(const PrefixKey& key);
  void set_desired(Route& e, HopLists::value_type* hops);
  HopLists::value_type* hops_of(const Route& e) const { return e.desired ? hop_list_numbers_[e.desired] : nullptr; }
  void set_installed(Route& e, NexthopId group);
  void emit(Op op);
  void replace_in_place(NexthopId gid, const Set& target);
  void shrink_groups_without(const IpAddress& gateway);
  void write(const std::vector<Op>& ops);  // reconcile's repairs, at once

  Kernel& kernel_;
  ProgrammerOptions options_;
  NexthopId next_id_;
  std::map<Prefix, int> connected_;
  std::set<IpAddress> down_gateways_;
  std::vector<IpAddress> newly_down_;  // their groups shrink at the next flush
  uint64_t resolve_epoch_ = 1;         // bumped when connected prefixes change
  uint64_t flush_epoch_ = 1;
  HopLists hop_lists_;
  Numbering<HopLists::value_type*> hop_list_numbers_;
  HopLists::value_type* last_hops_ = nullptr;  // consecutive updates usually share a list
  Routes routes_;
  std::vector<Routes::Index> dirty_;  // route numbers stay while routes are only added
  // Dirty routes: how many; with dirty_scan_, dirty_ is not kept and a scan finds them.
  size_t dirty_count_ = 0;
  bool dirty_scan_ = false;
  std::vector<Prefix> unused_;                   // neither wanted nor installed: erased once no route is held
  std::unordered_map<NexthopId, Hold> holding_;  // groups whose moving routes wait
  std::map<NexthopKey, Nexthop> nexthops_;
  std::map<Set, Group> groups_;
  std::map<NexthopId, Set> group_sets_;
  size_t installed_count_ = 0, waiting_count_ = 0, adopted_count_ = 0;
  // Ops of the flush under way, written to the kernel in chunks.
  std::vector<Op> pending_ops_;
  std::vector<Op>* record_ = nullptr;
  uint64_t emitted_ = 0;
  uint64_t group_replaces_ = 0;
  uint64_t drift_ = 0;
  uint64_t kernel_errors_ = 0;
  bool needs_repair_ = false;
};

}  // namespace ridgeline::fib
