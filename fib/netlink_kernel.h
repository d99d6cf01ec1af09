#pragma once
// The real kernel over rtnetlink. libnl builds and parses the messages (libnl 3.7 has no
// nexthop-object API, so those are built from its message/attribute functions); sending is
// batched: many messages per sendmsg, acks matched to sequence numbers afterwards.
#include <cstdint>
#include <string>

#include "fib/kernel.h"

struct nl_sock;

namespace ridgeline::fib {

class NetlinkKernel : public Kernel {
 public:
  explicit NetlinkKernel(uint32_t table = 254, uint32_t metric = 20);
  ~NetlinkKernel() override;
  bool open(std::string& error);

  size_t apply(const std::vector<Op>& ops) override;
  KernelState dump() override;

 private:
  nl_sock* sock_ = nullptr;
  uint32_t table_;
  uint32_t metric_;
  uint32_t seq_ = 1;
};

}  // namespace ridgeline::fib
