#pragma once
// What fib/ asks of a kernel: nexthop objects, nexthop groups and routes (RTM_*NEXTHOP,
// RTM_*ROUTE). Backends: NetlinkKernel (netlink_kernel.h), and FakeKernel for unit tests.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/net.h"

namespace ridgeline::fib {

using NexthopId = uint32_t;

// Nexthop ids Ridgeline owns (DESIGN.md "Kernel"): everything else is someone else's.
inline constexpr NexthopId kOwnedFirstId = 0x52000000;
inline constexpr NexthopId kOwnedLastId = 0x52fffffe;
// In RTA_MULTIPATH mode, a route of ours that matches no known group reads back with this id.
inline constexpr NexthopId kUnmatchedRouteId = 0x52ffffff;
inline bool owned_id(NexthopId id) {
  return id >= kOwnedFirstId && id <= kUnmatchedRouteId;
}

struct NexthopKey {
  IpAddress gateway;
  int ifindex = 0;
  auto operator<=>(const NexthopKey&) const = default;
  bool operator==(const NexthopKey&) const = default;
};

struct Op {
  enum Kind : uint8_t {
    AddNexthop,     // id, key
    AddGroup,       // id, members
    ReplaceGroup,   // id, members: every route using the group follows at once
    DeleteNexthop,  // id (a nexthop or a group)
    ReplaceRoute,   // prefix -> id (NLM_F_CREATE | NLM_F_REPLACE)
    DeleteRoute,    // prefix
  };
  Kind kind;
  NexthopId id = 0;
  NexthopKey key{};
  std::vector<NexthopId> members;
  Prefix prefix{};
  uint16_t buckets = 0;       // groups: resilient with this many buckets when > 0 (kernel >= 5.13)
  uint32_t idle_timer_s = 0;  // resilient groups: a bucket idle this long may move
  bool operator==(const Op&) const = default;
};
std::string to_string(const Op& op);

// What the kernel holds, as far as fib/ cares.
struct KernelState {
  std::map<NexthopId, NexthopKey> nexthops;
  std::map<NexthopId, std::vector<NexthopId>> groups;
  struct Route {
    NexthopId nhid = 0;
    uint8_t protocol = 0;
  };
  std::map<Prefix, Route> routes;
};

// A dump taken as it comes: the nexthops and groups first, then each route, so that a million
// routes are never held at once (a std::map of them is ~80 MB).
class KernelDumpVisitor {
 public:
  virtual ~KernelDumpVisitor() = default;
  virtual void objects(const KernelState& nexthops_and_groups) = 0;  // its routes are not filled in
  virtual void route(const Prefix& prefix, const KernelState::Route& route) = 0;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Carries out the ops in order; returns how many failed (each failure is logged by the backend).
  // Deleting what is already gone is not a failure.
  virtual size_t apply(const std::vector<Op>& ops) = 0;
  virtual void visit_dump(KernelDumpVisitor& visitor) = 0;
  // Pipelined writing: ops submitted are carried out in order, possibly on another thread while
  // the caller prepares the next ones (submit may wait while much is still queued); finish()
  // waits for them all and returns how many failed since the last finish() or take_failures();
  // take_failures() returns the failures known so far without waiting (async acks). The
  // default carries them out at once.
  virtual void submit(std::vector<Op> ops) { submitted_failures_ += apply(ops); }
  virtual size_t finish() { return std::exchange(submitted_failures_, 0); }
  virtual size_t take_failures() { return std::exchange(submitted_failures_, 0); }
  // Ops submitted and not yet carried out.
  virtual bool busy() { return false; }

 private:
  size_t submitted_failures_ = 0;
};

inline constexpr uint8_t kProtocolBgp = 186;  // RTPROT_BGP

// An in-memory kernel with the kernel's rules: a group's members must exist, deleting a
// nexthop removes it from its groups, deleting a group or nexthop removes the routes using it.
class FakeKernel : public Kernel {
 public:
  size_t apply(const std::vector<Op>& ops) override;
  void visit_dump(KernelDumpVisitor& visitor) override;

  KernelState state;
  size_t ops_applied = 0;
};

}  // namespace ridgeline::fib
