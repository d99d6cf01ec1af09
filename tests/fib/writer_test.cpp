// fib::FibWriter's logic through step() with injected time, a fake kernel and fake link events:
// coalescing, link down, lost notifications, adoption and convergence, retry with backoff,
// periodic reconcile, and what a stop leaves behind. ConnectedTable on its own first.
#include "fib/writer.h"

#include <gtest/gtest.h>

namespace ridgeline::fib {
namespace {

using namespace std::chrono_literals;
using Clock = FibWriter::Clock;

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}
Prefix pfx(const char* s) {
  return *Prefix::parse(s);
}

TEST(ConnectedTable, PrefixesAreUsableOnlyWhileTheirLinkIsUp) {
  ConnectedTable t;
  EXPECT_FALSE(t.apply({LinkEvent::AddressAdded, 7, pfx("10.0.1.0/24")}));  // link not up yet
  EXPECT_TRUE(t.apply({LinkEvent::LinkUp, 7, {}}));
  EXPECT_EQ(t.usable(), (std::map<Prefix, int>{{pfx("10.0.1.0/24"), 7}}));
  EXPECT_FALSE(t.apply({LinkEvent::LinkUp, 7, {}}));  // no change
  EXPECT_TRUE(t.apply({LinkEvent::LinkDown, 7, {}}));
  EXPECT_TRUE(t.usable().empty());
  EXPECT_TRUE(t.apply({LinkEvent::LinkUp, 7, {}}));  // addresses are remembered across a down
  EXPECT_TRUE(t.apply({LinkEvent::AddressRemoved, 7, pfx("10.0.1.0/24")}));
  EXPECT_TRUE(t.usable().empty());
  t.apply({LinkEvent::AddressAdded, 7, pfx("10.0.2.0/24")});
  EXPECT_TRUE(t.apply({LinkEvent::LinkRemoved, 7, {}}));
  EXPECT_FALSE(t.apply({LinkEvent::LinkUp, 7, {}}));  // a removed link's addresses are gone
  EXPECT_TRUE(t.reset({{LinkEvent::LinkUp, 3, {}}, {LinkEvent::AddressAdded, 3, pfx("2001:db8:1::/64")}}));
  EXPECT_EQ(t.usable(), (std::map<Prefix, int>{{pfx("2001:db8:1::/64"), 3}}));
}

class FakeLinks : public LinkSource {
 public:
  int fd() const override { return -1; }
  std::vector<LinkEvent> dump() override {
    ++dumps;
    return state;
  }
  std::vector<LinkEvent> read(bool& overflowed) override {
    overflowed = overflow;
    overflow = false;
    return std::exchange(pending, {});
  }
  std::vector<LinkEvent> state{{LinkEvent::LinkUp, 7, {}}, {LinkEvent::AddressAdded, 7, *Prefix::parse("10.0.1.0/24")}};
  std::vector<LinkEvent> pending;
  bool overflow = false;
  int dumps = 0;
};

// A kernel whose next `failures` writes fail.
class FlakyKernel : public FakeKernel {
 public:
  size_t apply(const std::vector<Op>& ops) override {
    if (failures > 0) {
      --failures;
      return ops.size();
    }
    return FakeKernel::apply(ops);
  }
  int failures = 0;
};

class WriterTest : public ::testing::Test {
 protected:
  WriterOptions options() {
    WriterOptions o;
    o.coalesce_window = 5ms;
    o.bulk_changes = 4096;
    o.bulk_gap = 50ms;
    o.bulk_hold = 1000ms;
    o.reconcile_interval = 60s;
    o.convergence_timeout = 30s;
    return o;
  }
  std::vector<IpAddress> hops(std::initializer_list<const char*> list) {
    std::vector<IpAddress> out;
    for (auto s : list) out.push_back(ip(s));
    return out;
  }
  size_t routes() const { return kernel.state.routes.size(); }
  // The window starts when the writer takes the changes: take them at `t`, write at t + 5 ms.
  void settle(FibWriter& w, Clock::time_point t) {
    EXPECT_EQ(w.step(t, false), t + 5ms);
    w.step(t + 5ms, false);
  }

  FlakyKernel kernel;
  FakeLinks links;
  Clock::time_point t0 = Clock::time_point() + 1000s;
};

TEST_F(WriterTest, ChangesWithinTheWindowAreWrittenOnceWithTheLastValue) {
  FibWriter w(kernel, &links, {}, options());
  w.begin(t0);
  w.submit({{pfx("10.0.1.100/32"), hops({"10.0.1.11"})}});
  w.submit({{pfx("10.0.1.100/32"), hops({"10.0.1.11", "10.0.1.12"})}, {pfx("10.0.1.101/32"), hops({"10.0.1.11"})}});
  w.submit({{pfx("10.0.1.101/32"), {}}});
  EXPECT_EQ(w.step(t0, false), t0 + 5ms);
  EXPECT_EQ(kernel.ops_applied, 0u);
  w.step(t0 + 5ms, false);
  EXPECT_EQ(routes(), 1u);
  EXPECT_EQ(w.programmer().group_members(*w.programmer().installed(pfx("10.0.1.100/32"))).size(), 2u);
  const auto s = w.status();
  EXPECT_EQ(s.changes, 4u);
  EXPECT_EQ(s.flushes, 1u);
  // Exactly what one flush of the final state needs: 2 nexthops, 1 group, 1 route.
  EXPECT_EQ(kernel.ops_applied, 4u);
}

// `count` new /32s from 10.64.0.0 + `from`, through one next hop.
std::vector<RouteChange> table(uint32_t from, uint32_t count) {
  std::vector<RouteChange> out;
  for (uint32_t i = 0; i < count; ++i)
    out.push_back({Prefix(IpAddress::v4(0x0a400000u + from + i), 32), {ip("10.0.1.11")}});
  return out;
}

TEST_F(WriterTest, ATableArrivingInBulkIsWrittenInOneFlushOnceItPauses) {
  FibWriter w(kernel, &links, {}, options());  // bulk: >= 4096 changes, gap 50 ms, hold 1 s
  w.begin(t0);
  w.submit(table(0, 5000));
  EXPECT_EQ(w.step(t0, false), t0 + 5ms);
  EXPECT_EQ(w.step(t0 + 5ms, false), t0 + 50ms) << "still arriving: the window slides to the gap";
  EXPECT_EQ(routes(), 0u);
  w.submit(table(5000, 5000));
  w.step(t0 + 30ms, false);
  EXPECT_EQ(w.step(t0 + 50ms, false), t0 + 80ms);
  EXPECT_EQ(routes(), 0u);
  w.step(t0 + 80ms, false);  // 50 ms without more
  EXPECT_EQ(routes(), 10000u);
  EXPECT_EQ(w.status().flushes, 1u);
  // Later, small changes are not held.
  w.submit(table(20000, 3));
  settle(w, t0 + 200ms);
  EXPECT_EQ(routes(), 10003u);
}

TEST_F(WriterTest, ABulkLoadThatGoesOnIsWrittenAtTheLongestHold) {
  FibWriter w(kernel, &links, {}, options());
  w.begin(t0);
  Clock::time_point t = t0;
  for (uint32_t i = 0; t < t0 + 980ms; ++i, t += 20ms) {
    w.submit(table(i * 5000, 5000));
    w.step(t, false);
  }
  EXPECT_EQ(routes(), 0u);
  w.submit(table(900000, 5000));
  w.step(t0 + 1000ms, false);
  EXPECT_EQ(routes(), 50u * 5000u);
}

TEST_F(WriterTest, ABulkLoadWaitsForTheLastEndOfRibThenIsWrittenAtOnce) {
  FibWriter w(kernel, &links, {}, options());
  w.begin(t0);
  w.set_initial_tables(true);
  w.submit(table(0, 5000));
  w.step(t0, false);
  EXPECT_EQ(w.step(t0 + 5ms, false), t0 + 1000ms) << "held to the longest hold, gaps or not";
  w.submit(table(5000, 5000));
  w.step(t0 + 300ms, false);  // 300 ms of silence before: no End-of-RIB yet, still held
  EXPECT_EQ(routes(), 0u);
  w.set_initial_tables(false);
  w.step(t0 + 310ms, false);
  EXPECT_EQ(routes(), 10000u);
  EXPECT_EQ(w.status().flushes, 1u);
}

TEST_F(WriterTest, APeerThatNeverSendsEndOfRibIsBelievedForOneHoldOnly) {
  FibWriter w(kernel, &links, {}, options());
  w.begin(t0);
  w.set_initial_tables(true);
  w.submit(table(0, 5000));
  w.step(t0, false);
  w.step(t0 + 1000ms, false);  // the longest hold
  EXPECT_EQ(routes(), 5000u);
  // Still no End-of-RIB: a later bulk is held only while it keeps coming (the gap rule).
  w.submit(table(5000, 5000));
  w.step(t0 + 2000ms, false);
  EXPECT_EQ(w.step(t0 + 2005ms, false), t0 + 2050ms);
  w.step(t0 + 2050ms, false);
  EXPECT_EQ(routes(), 10000u);
}

TEST_F(WriterTest, BulkHoldZeroWritesATableAtTheWindow) {
  WriterOptions o = options();
  o.bulk_hold = 0ms;
  FibWriter w(kernel, &links, {}, o);
  w.begin(t0);
  w.submit(table(0, 5000));
  settle(w, t0);
  EXPECT_EQ(routes(), 5000u);
}

TEST_F(WriterTest, ALinkDownRemovesItsNextHopsAtOnce) {
  links.state.push_back({LinkEvent::LinkUp, 8, {}});
  links.state.push_back({LinkEvent::AddressAdded, 8, pfx("10.0.2.0/24")});
  FibWriter w(kernel, &links, {}, options());
  w.begin(t0);
  w.submit({{pfx("10.0.1.100/32"), hops({"10.0.1.11", "10.0.2.11"})}, {pfx("10.0.1.101/32"), hops({"10.0.2.12"})}});
  settle(w, t0);
  ASSERT_EQ(routes(), 2u);
  links.pending = {{LinkEvent::LinkDown, 8, {}}};
  w.step(t0 + 6ms, true);  // no coalescing window for link events
  EXPECT_EQ(routes(), 1u);
  const auto gid = *w.programmer().installed(pfx("10.0.1.100/32"));
  EXPECT_EQ(kernel.state.groups.at(gid).size(), 1u);
  EXPECT_EQ(w.status().stats.waiting, 1u);  // 10.0.1.101 waits for its link
  links.pending = {{LinkEvent::LinkUp, 8, {}}};
  w.step(t0 + 7ms, true);
  EXPECT_EQ(routes(), 2u);
}

TEST_F(WriterTest, LostNotificationsMeanAFullResync) {
  FibWriter w(kernel, &links, {}, options());
  w.begin(t0);
  w.submit({{pfx("10.0.1.100/32"), hops({"10.0.1.11"})}});
  settle(w, t0);
  ASSERT_EQ(routes(), 1u);
  // The link went down while the socket overflowed: only a dump tells.
  links.state = {{LinkEvent::LinkDown, 7, {}}, {LinkEvent::AddressAdded, 7, pfx("10.0.1.0/24")}};
  links.overflow = true;
  const int dumps = links.dumps;
  w.step(t0 + 10ms, true);
  EXPECT_EQ(links.dumps, dumps + 1);
  EXPECT_EQ(routes(), 0u);
  EXPECT_EQ(w.status().resyncs, 1u);
  EXPECT_EQ(w.status().reconciles, 1u);
}

TEST_F(WriterTest, AdoptedRoutesStayUntilTheRibConvergesOrTheTimeout) {
  {
    Programmer previous(kernel);
    previous.set_connected(pfx("10.0.1.0/24"), 7);
    previous.update(pfx("10.0.1.100/32"), hops({"10.0.1.11", "10.0.1.12"}));
    previous.update(pfx("10.0.1.101/32"), hops({"10.0.1.13"}));
    previous.flush();
  }
  for (bool by_timeout : {false, true}) {
    FakeKernel copy = kernel;
    FibWriter w(copy, &links, {}, options());
    EXPECT_EQ(w.begin(t0), (std::set<IpAddress>{ip("10.0.1.11"), ip("10.0.1.12"), ip("10.0.1.13")}));
    EXPECT_FALSE(w.status().converged);
    w.submit({{pfx("10.0.1.100/32"), hops({"10.0.1.11", "10.0.1.12"})}});
    settle(w, t0);
    EXPECT_EQ(copy.state.routes.size(), 2u);
    EXPECT_EQ(w.status().stats.adopted, 1u);
    if (by_timeout) {
      EXPECT_LE(w.step(t0 + 29s, false), t0 + 30s);
      EXPECT_EQ(copy.state.routes.size(), 2u);
      w.step(t0 + 30s, false);
    } else {
      w.rib_converged();
      w.step(t0 + 6ms, false);
    }
    EXPECT_TRUE(w.status().converged);
    EXPECT_EQ(copy.state.routes.size(), 1u) << (by_timeout ? "timeout" : "converged");
    EXPECT_TRUE(copy.state.routes.count(pfx("10.0.1.100/32")));
  }
}

TEST_F(WriterTest, FailedWritesAreRetriedWithBackoffUntilTheyStick) {
  FibWriter w(kernel, &links, {}, options());
  w.begin(t0);
  kernel.failures = 3;  // the flush and the first two retries fail
  w.submit({{pfx("10.0.1.100/32"), hops({"10.0.1.11"})}});
  w.step(t0, false);
  EXPECT_EQ(w.step(t0 + 5ms, false), t0 + 105ms);
  EXPECT_EQ(routes(), 0u);
  EXPECT_TRUE(w.status().stats.needs_repair);
  EXPECT_EQ(w.step(t0 + 105ms, false), t0 + 305ms);  // failed again: 200 ms
  EXPECT_EQ(w.step(t0 + 305ms, false), t0 + 705ms);  // and again: 400 ms
  w.step(t0 + 705ms, false);
  EXPECT_EQ(routes(), 1u);
  EXPECT_FALSE(w.status().stats.needs_repair);
  EXPECT_EQ(w.status().reconciles, 3u);
  EXPECT_EQ(w.status().stats.drift, 0u);                   // our own failures are not drift
  EXPECT_EQ(w.step(t0 + 706ms, false), t0 + 705ms + 60s);  // only the periodic reconcile is left
}

TEST_F(WriterTest, PeriodicReconcileRepairsDrift) {
  FibWriter w(kernel, &links, {}, options());
  w.begin(t0);
  w.submit({{pfx("10.0.1.100/32"), hops({"10.0.1.11"})}});
  settle(w, t0);
  kernel.state.routes.clear();  // `ip route del` behind our back
  w.step(t0 + 59s, false);
  EXPECT_EQ(routes(), 0u);
  w.step(t0 + 60s, false);
  EXPECT_EQ(routes(), 1u);
  EXPECT_EQ(w.status().stats.drift, 1u);
  w.request_reconcile();  // on demand
  w.step(t0 + 61s, false);
  EXPECT_EQ(w.status().reconciles, 2u);
  EXPECT_EQ(w.status().last_reconcile_drift, 0u);
}

TEST_F(WriterTest, AStopKeepsTheRoutesOnlyForGracefulRestart) {
  for (bool keep : {true, false}) {
    FakeKernel k;
    FibWriter w(k, &links, {}, options());
    w.begin(t0);
    w.submit({{pfx("10.0.1.100/32"), hops({"10.0.1.11"})}});
    w.step(t0, false);
    w.step(t0 + 5ms, false);
    w.submit({{pfx("10.0.1.101/32"), hops({"10.0.1.12"})}});  // still queued at the stop
    w.stop(keep);
    EXPECT_EQ(k.state.routes.size(), keep ? 2u : 0u);
    EXPECT_EQ(k.state.nexthops.size(), keep ? 2u : 0u);
  }
}

TEST_F(WriterTest, TheThreadWritesWhatIsSubmitted) {
  WriterOptions o = options();
  o.coalesce_window = 0ms;
  FakeKernel k;
  FibWriter w(k, &links, {}, o);
  w.begin(Clock::now());
  w.start();
  w.submit({{pfx("10.0.1.100/32"), hops({"10.0.1.11"})}});
  // Bounded wait for the other thread: the status says when the change was taken and written.
  const auto deadline = Clock::now() + 10s;
  while (w.status().stats.routes == 0 && Clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(w.status().stats.routes, 1u) << "the writer thread did not write within 10 s";
  w.stop(true);
  EXPECT_EQ(k.state.routes.size(), 1u);
}

}  // namespace
}  // namespace ridgeline::fib
