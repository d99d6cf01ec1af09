#pragma once
// The Loc-RIB's forwarding changes into the kernel: hands them to the fib writer's queue (the
// writer thread does the netlink work), and tells it when the RIB has converged after a start.
#include "bgpd/server/speaker.h"
#include "fib/writer.h"

namespace ridgeline::bgp {

class FibRouteSink : public RouteSink {
 public:
  explicit FibRouteSink(fib::FibWriter& writer) : writer_(writer) {}
  void apply(std::vector<rib::RouteChange> changes) override { writer_.submit(std::move(changes)); }
  void rib_converged() override { writer_.rib_converged(); }
  void next_hop_down(const IpAddress& next_hop, bool down) override { writer_.set_gateway_down(next_hop, down); }
  void initial_tables(bool arriving) override { writer_.set_initial_tables(arriving); }
  uint64_t queued() const override { return writer_.queued(); }

 private:
  fib::FibWriter& writer_;
};

}  // namespace ridgeline::bgp
