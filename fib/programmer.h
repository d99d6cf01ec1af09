#pragma once
// Turns Loc-RIB forwarding changes (prefix -> next hops) into kernel operations: one nexthop
// object per (gateway, ifindex), one group per distinct set, shared by every route with that
// set. When every route of a group moves to the same new set (a node fails, or comes up
// announcing every service), the group is replaced in place: one write, not one per route.
// Deterministic: the kernel is an interface, time is not used.
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

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

class Programmer {
 public:
  Programmer(Kernel& kernel, ProgrammerOptions options = {});

  // At start: takes over what a previous run left in the kernel (our protocol and id range), so
  // that routes the RIB confirms are not rewritten. Adopted routes the RIB does not confirm stay
  // until sweep_adopted(), called once the RIB has converged. Returns the adopted route count.
  size_t adopt(const KernelState& kernel);
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

  // The desired next hops of a prefix; empty removes it. Changes coalesce until flush().
  void update(const Prefix& prefix, std::vector<IpAddress> next_hops);
  // Sends the ops for everything changed since the last flush; returns them.
  std::vector<Op> flush();
  // Compares the kernel with the desired state, repairs what differs, counts it as drift (not
  // when retrying after failed writes of our own: then the differences are ours).
  size_t reconcile(bool retrying = false);

  FibStats stats() const;
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
  std::optional<int> resolve(const IpAddress& gateway) const;
  Set target_set(const Prefix& prefix) const;
  NexthopId allocate();
  void set_group_type(const Set& set, Op& op) const;
  NexthopId ensure_nexthop(const NexthopKey& key, std::vector<Op>& ops);
  std::vector<NexthopId> member_ids(const Set& set, std::vector<Op>& ops);
  void release_nexthop(const NexthopKey& key);
  void mark_all_dirty();

  Kernel& kernel_;
  ProgrammerOptions options_;
  NexthopId next_id_;
  std::map<Prefix, int> connected_;
  std::unordered_map<Prefix, std::vector<IpAddress>> desired_;
  std::set<Prefix> dirty_;
  std::map<NexthopKey, Nexthop> nexthops_;
  std::map<Set, Group> groups_;
  std::map<NexthopId, Set> group_sets_;
  std::unordered_map<Prefix, NexthopId> installed_;  // prefix -> group
  std::unordered_set<Prefix> adopted_;               // installed by a previous run, not yet confirmed
  uint64_t group_replaces_ = 0;
  uint64_t drift_ = 0;
  uint64_t kernel_errors_ = 0;
  bool needs_repair_ = false;
  void write(const std::vector<Op>& ops, bool repairing);
};

}  // namespace ridgeline::fib
