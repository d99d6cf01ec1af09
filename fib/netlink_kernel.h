#pragma once
// The real kernel over rtnetlink. libnl builds and parses the messages (libnl 3.7 has no
// nexthop-object API, so those are built from its message/attribute functions); sending is
// batched: many messages per sendmsg, with an ack asked only for the last one of each batch.
// The kernel answers in order and always reports errors, so errors are matched to their ops by
// sequence number and the last ack says the batch is done.
//
// When the kernel has no nexthop objects (or `multipath-routes` is configured), the same ops
// are carried out with RTA_MULTIPATH routes: nexthops and groups then live here only, and a
// group replace rewrites each route that uses it.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "fib/kernel.h"

struct nl_sock;
struct nlmsghdr;

namespace ridgeline::fib {

class NetlinkKernel : public Kernel {
 public:
  enum class Mode { NexthopObjects, MultipathRoutes };

  explicit NetlinkKernel(uint32_t table = 254, uint32_t metric = 20);
  ~NetlinkKernel() override;
  // Opens the socket and finds out whether the kernel has nexthop objects.
  bool open(std::string& error, bool force_multipath = false);
  Mode mode() const { return mode_; }

  size_t apply(const std::vector<Op>& ops) override;
  void visit_dump(KernelDumpVisitor& visitor) override;
  // Submitted ops are sent from a thread of our own, so that netlink encoding and the kernel's
  // work overlap with the caller preparing the next chunk (2 cores: about 1.3x for 1M routes).
  void submit(std::vector<Op> ops) override;
  size_t finish() override;
  size_t take_failures() override;
  bool busy() override;

 private:
  class Batch;
  size_t send_now(const std::vector<Op>& ops);
  void wait_idle(std::unique_lock<std::mutex>& lock);
  void sender_loop();
  void add_nexthop(Batch& batch, const Op& op) const;
  // `cause`: the op whose failure a kernel error counts as (in RTA_MULTIPATH mode one op may
  // rewrite many routes).
  void add_route(Batch& batch, const Op& cause, const Prefix& prefix, NexthopId id, bool add) const;
  // Sends one dump request and calls each() for every answer; returns 0 or the kernel's -errno.
  template <typename Each>
  int dump_each(int type, int family, size_t header_size, Each&& each);
  void apply_multipath(const Op& op, Batch& batch);

  nl_sock* sock_ = nullptr;
  uint32_t table_;
  uint32_t metric_;
  uint32_t seq_ = 1;
  Mode mode_ = Mode::NexthopObjects;
  // RTA_MULTIPATH mode: the objects the kernel does not hold, and which routes use each group.
  std::unordered_map<NexthopId, NexthopKey> mp_nexthops_;
  std::unordered_map<NexthopId, std::vector<NexthopId>> mp_groups_;
  std::unordered_map<Prefix, NexthopId> mp_routes_;
  std::unordered_map<NexthopId, std::unordered_set<Prefix>> mp_group_routes_;
  // The sender thread and its queue; the socket is used by one side at a time (wait_idle).
  std::mutex send_mutex_;
  std::condition_variable send_cv_, idle_cv_, room_cv_;
  std::deque<std::vector<Op>> send_queue_;
  bool sending_ = false, quit_ = false;
  size_t send_failures_ = 0;
  std::thread sender_;
};

}  // namespace ridgeline::fib
