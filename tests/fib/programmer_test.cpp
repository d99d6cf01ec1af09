// fib core against the fake kernel: shared groups, in-place group replace, resolution over
// connected prefixes, and reconciliation of drift.
#include "fib/programmer.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace ridgeline::fib {
namespace {

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}
Prefix pfx(const char* s) {
  return *Prefix::parse(s);
}

size_t count(const std::vector<Op>& ops, Op::Kind kind) {
  return std::count_if(ops.begin(), ops.end(), [&](const Op& o) { return o.kind == kind; });
}

class ProgrammerTest : public ::testing::Test {
 protected:
  ProgrammerTest() { fib.set_connected(pfx("10.0.1.0/24"), 7); }
  std::vector<IpAddress> nodes(std::initializer_list<const char*> list) {
    std::vector<IpAddress> out;
    for (auto s : list) out.push_back(ip(s));
    return out;
  }
  // The kernel's next-hop gateways for a route, following its group.
  std::vector<std::string> kernel_hops(const char* prefix) { return kernel_hops(pfx(prefix)); }
  std::vector<std::string> kernel_hops(const Prefix& prefix) {
    auto r = kernel.state.routes.find(prefix);
    if (r == kernel.state.routes.end()) return {};
    std::vector<std::string> out;
    for (auto id : kernel.state.groups.at(r->second.nhid))
      out.push_back(kernel.state.nexthops.at(id).gateway.to_string());
    std::sort(out.begin(), out.end());
    return out;
  }

  // `total` routes from `base` on two nodes; the first `moved` leave one node and the move is held,
  // then stops growing: those routes are written one by one, the others stay.
  void held_move_that_stops(uint32_t base, int total, int moved) {
    auto route = [&](int i) { return Prefix(IpAddress::v4(base + static_cast<uint32_t>(i)), 32); };
    for (int i = 0; i < total; ++i) fib.update(route(i), nodes({"10.0.1.11", "10.0.1.12"}));
    fib.flush();
    for (int i = 0; i < moved; ++i) fib.update(route(i), nodes({"10.0.1.11"}));
    fib.flush(nullptr, true, /*hold=*/true);
    EXPECT_TRUE(fib.holding());
    EXPECT_EQ(kernel_hops(route(0)), (std::vector<std::string>{"10.0.1.11", "10.0.1.12"}));  // still
    std::vector<Op> ops;
    fib.flush(&ops, true, /*hold=*/true);  // nothing more came: the move is what it is
    EXPECT_FALSE(fib.holding());
    EXPECT_EQ(count(ops, Op::ReplaceRoute), static_cast<size_t>(moved));
    EXPECT_EQ(count(ops, Op::ReplaceGroup), 0u);
    EXPECT_EQ(kernel_hops(route(0)), std::vector<std::string>{"10.0.1.11"});
    EXPECT_EQ(kernel_hops(route(total - 1)), (std::vector<std::string>{"10.0.1.11", "10.0.1.12"}));
  }

  FakeKernel kernel;
  Programmer fib{kernel};
};

TEST_F(ProgrammerTest, RoutesWithTheSameNextHopsShareOneGroup) {
  fib.update(pfx("10.0.1.100/32"), nodes({"10.0.1.11", "10.0.1.12", "10.0.1.13"}));
  fib.update(pfx("10.0.1.101/32"), nodes({"10.0.1.13", "10.0.1.12", "10.0.1.11"}));
  auto ops = fib.flush();
  EXPECT_EQ(count(ops, Op::AddNexthop), 3u);
  EXPECT_EQ(count(ops, Op::AddGroup), 1u);
  EXPECT_EQ(count(ops, Op::ReplaceRoute), 2u);
  EXPECT_EQ(*fib.installed(pfx("10.0.1.100/32")), *fib.installed(pfx("10.0.1.101/32")));
  EXPECT_EQ(kernel_hops("10.0.1.100/32"), (std::vector<std::string>{"10.0.1.11", "10.0.1.12", "10.0.1.13"}));
  EXPECT_EQ(kernel.state.routes.at(pfx("10.0.1.100/32")).protocol, kProtocolBgp);
  EXPECT_TRUE(fib.flush().empty());  // nothing new: nothing written
}

TEST_F(ProgrammerTest, NodeFailureIsOneGroupReplaceWhateverTheRouteCount) {
  for (int i = 0; i < 1000; ++i) {
    fib.update(Prefix(IpAddress::v4(0x0a010000u + i), 32), nodes({"10.0.1.11", "10.0.1.12", "10.0.1.13"}));
  }
  fib.flush();
  const NexthopId group = *fib.installed(pfx("10.1.0.7/32"));
  for (int i = 0; i < 1000; ++i)
    fib.update(Prefix(IpAddress::v4(0x0a010000u + i), 32), nodes({"10.0.1.11", "10.0.1.12"}));
  auto ops = fib.flush();
  EXPECT_EQ(count(ops, Op::ReplaceGroup), 1u);
  EXPECT_EQ(count(ops, Op::ReplaceRoute), 0u);   // no route is written
  EXPECT_EQ(count(ops, Op::DeleteNexthop), 1u);  // the dead node's nexthop object
  EXPECT_EQ(ops.size(), 2u);
  EXPECT_EQ(*fib.installed(pfx("10.1.0.7/32")), group);  // the same id, as `ip nexthop` shows
  EXPECT_EQ(kernel_hops("10.1.3.231/32"), (std::vector<std::string>{"10.0.1.11", "10.0.1.12"}));
  EXPECT_EQ(fib.stats().group_replaces, 1u);
  // The node comes back announcing every service: again one write (plus its nexthop object).
  for (int i = 0; i < 1000; ++i) {
    fib.update(Prefix(IpAddress::v4(0x0a010000u + i), 32), nodes({"10.0.1.11", "10.0.1.12", "10.0.1.13"}));
  }
  ops = fib.flush();
  EXPECT_EQ(count(ops, Op::ReplaceGroup), 1u);
  EXPECT_EQ(count(ops, Op::AddNexthop), 1u);
  EXPECT_EQ(ops.size(), 2u);
}

TEST_F(ProgrammerTest, PartialMovesSplitTheGroupInsteadOfReplacingIt) {
  fib.update(pfx("10.0.1.100/32"), nodes({"10.0.1.11", "10.0.1.12"}));
  fib.update(pfx("10.0.1.101/32"), nodes({"10.0.1.11", "10.0.1.12"}));
  fib.flush();
  const NexthopId shared = *fib.installed(pfx("10.0.1.100/32"));
  fib.update(pfx("10.0.1.101/32"), nodes({"10.0.1.11"}));  // only one of the two routes moves
  auto ops = fib.flush();
  EXPECT_EQ(count(ops, Op::ReplaceGroup), 0u);
  EXPECT_EQ(count(ops, Op::AddGroup), 1u);
  EXPECT_EQ(*fib.installed(pfx("10.0.1.100/32")), shared);
  EXPECT_NE(*fib.installed(pfx("10.0.1.101/32")), shared);
  EXPECT_EQ(kernel_hops("10.0.1.100/32"), (std::vector<std::string>{"10.0.1.11", "10.0.1.12"}));
  EXPECT_EQ(kernel_hops("10.0.1.101/32"), (std::vector<std::string>{"10.0.1.11"}));
}

TEST_F(ProgrammerTest, APeerWithdrawingOverManyFlushesEndsAsOneGroupReplace) {
  auto route = [](int i) { return Prefix(IpAddress::v4(0x0a020000u + i), 32); };
  for (int i = 0; i < 5000; ++i) fib.update(route(i), nodes({"10.0.1.11", "10.0.1.12"}));
  fib.flush();
  const NexthopId shared = *fib.installed(route(0));
  std::vector<Op> ops;
  for (int batch = 0; batch < 5; ++batch) {  // 1000 routes leave 10.0.1.12 per flush
    for (int i = batch * 1000; i < (batch + 1) * 1000; ++i) fib.update(route(i), nodes({"10.0.1.11"}));
    fib.flush(&ops, true, /*hold=*/true);
    if (batch < 4) {
      EXPECT_TRUE(fib.holding()) << batch;
    }
  }
  EXPECT_FALSE(fib.holding());
  EXPECT_EQ(count(ops, Op::ReplaceRoute), 0u);  // not one route written
  EXPECT_EQ(count(ops, Op::ReplaceGroup), 1u);
  EXPECT_EQ(*fib.installed(route(4999)), shared);
  EXPECT_EQ(kernel_hops("10.2.19.135/32"), std::vector<std::string>{"10.0.1.11"});  // route 4999
}

TEST_F(ProgrammerTest, AHeldMoveThatStopsGrowingIsWrittenRouteByRoute) {
  held_move_that_stops(0x0a020000u, 5000, 2000);
}

TEST_F(ProgrammerTest, SmallMovesAreNeverHeld) {
  for (int i = 0; i < 5000; ++i)
    fib.update(Prefix(IpAddress::v4(0x0a020000u + i), 32), nodes({"10.0.1.11", "10.0.1.12"}));
  fib.flush();
  fib.update(pfx("10.2.0.7/32"), nodes({"10.0.1.11"}));  // one service leaves a node
  fib.flush(nullptr, true, /*hold=*/true);
  EXPECT_FALSE(fib.holding());
  EXPECT_EQ(kernel_hops("10.2.0.7/32"), std::vector<std::string>{"10.0.1.11"});
}

TEST_F(ProgrammerTest, ALargeBatchIsWrittenInSpreadOrder) {
  // 100,000 /32s in ascending order, the last ones spaced apart (buckets of every size for the
  // radix sort): written by spread_key (the address's bits read from the last), which keeps the
  // kernel's trie growing evenly; every route exactly once.
  std::vector<Prefix> in_order;
  for (uint32_t i = 0; i < 100000; ++i) {
    in_order.push_back(Prefix(IpAddress::v4(i < 90000 ? 0x0a400000u + i : 0x0b000000u + i * 977), 32));
    fib.update(in_order.back(), nodes({"10.0.1.11"}));
  }
  std::vector<Prefix> written;
  for (const Op& o : fib.flush()) {
    if (o.kind == Op::ReplaceRoute) written.push_back(o.prefix);
  }
  ASSERT_EQ(written.size(), in_order.size());
  EXPECT_TRUE(std::is_sorted(written.begin(), written.end(),
                             [](const Prefix& a, const Prefix& b) { return spread_key(a) < spread_key(b); }));
  std::sort(written.begin(), written.end());
  EXPECT_EQ(written, in_order);
}

TEST_F(ProgrammerTest, ALargeShareOfATableChangingIsWrittenOnceEachInSpreadOrder) {
  // A fifth of a 40,000-route table changes (past a 16th, the dirty routes are found by scans of
  // the table instead of a list): every changed prefix is written exactly once, IPv4 in spread
  // order and then IPv6, and the kernel holds exactly what is desired.
  fib.set_connected(pfx("2001:db8:1::/64"), 7);
  auto route = [](uint32_t i) { return Prefix(IpAddress::v4(0x0a300000u + i), 32); };
  std::map<Prefix, std::vector<std::string>> model;
  for (uint32_t i = 0; i < 40000; ++i) {
    fib.update(route(i), nodes({"10.0.1.11", "10.0.1.12"}));
    model[route(i)] = {"10.0.1.11", "10.0.1.12"};
  }
  fib.flush();
  std::set<Prefix> changed;
  for (uint32_t i = 0; i < 40000; i += 5) {  // 8,000 move to another set
    fib.update(route(i), nodes({"10.0.1.13"}));
    model[route(i)] = {"10.0.1.13"};
    changed.insert(route(i));
  }
  for (uint32_t i = 1; i < 40000; i += 40) {  // 1,000 go
    fib.update(route(i), {});
    model.erase(route(i));
    changed.insert(route(i));
  }
  for (uint32_t i = 40000; i < 41000; ++i) {  // 1,000 come
    fib.update(route(i), nodes({"10.0.1.11"}));
    model[route(i)] = {"10.0.1.11"};
    changed.insert(route(i));
  }
  for (int i = 0; i < 100; ++i) {  // and 100 IPv6
    const Prefix p = *Prefix::parse("2001:db8:9::" + std::to_string(i + 1) + "/128");
    fib.update(p, nodes({"2001:db8:1::11"}));
    model[p] = {"2001:db8:1::11"};
    changed.insert(p);
  }
  std::vector<Prefix> written;
  for (const Op& o : fib.flush()) {
    if (o.kind == Op::ReplaceRoute || o.kind == Op::DeleteRoute) written.push_back(o.prefix);
  }
  ASSERT_EQ(written.size(), changed.size());
  EXPECT_EQ(std::set<Prefix>(written.begin(), written.end()), changed);
  EXPECT_TRUE(std::is_sorted(written.begin(), written.end(), [](const Prefix& a, const Prefix& b) {
    return std::pair(a.family() == Family::V6, spread_key(a)) < std::pair(b.family() == Family::V6, spread_key(b));
  }));
  ASSERT_EQ(kernel.state.routes.size(), model.size());
  for (const auto& [prefix, want] : model) ASSERT_EQ(kernel_hops(prefix), want) << prefix.to_string();
  EXPECT_TRUE(fib.flush().empty());  // every dirty flag was cleared
}

TEST_F(ProgrammerTest, AHeldMoveOfMostOfATableWaitsUnwrittenAndEndsAsOneGroupReplace) {
  // 20,000 routes leave a node 4,000 per flush: once 8,000 wait (past a 16th of the table) they
  // are tracked by scans instead of a list; none is written one by one.
  auto route = [](int i) { return Prefix(IpAddress::v4(0x0a040000u + i), 32); };
  for (int i = 0; i < 20000; ++i) fib.update(route(i), nodes({"10.0.1.11", "10.0.1.12"}));
  fib.flush();
  const NexthopId shared = *fib.installed(route(0));
  std::vector<Op> ops;
  for (int batch = 0; batch < 5; ++batch) {
    for (int i = batch * 4000; i < (batch + 1) * 4000; ++i) fib.update(route(i), nodes({"10.0.1.11"}));
    fib.flush(&ops, true, /*hold=*/true);
    EXPECT_EQ(fib.holding(), batch < 4) << batch;
  }
  EXPECT_EQ(count(ops, Op::ReplaceRoute), 0u);
  EXPECT_EQ(count(ops, Op::ReplaceGroup), 1u);
  EXPECT_EQ(*fib.installed(route(19999)), shared);
  EXPECT_EQ(kernel_hops("10.4.78.31/32"), std::vector<std::string>{"10.0.1.11"});  // route 19999
  EXPECT_TRUE(fib.flush(nullptr, true, true) == 0 && !fib.holding());
}

TEST_F(ProgrammerTest, AHeldMoveOfMostOfATableThatStopsIsWrittenRouteByRoute) {
  held_move_that_stops(0x0a040000u, 20000, 12000);  // past a 16th of the table: tracked by scans
  EXPECT_TRUE(fib.flush().empty());
}

TEST_F(ProgrammerTest, RandomUpdatesLeaveTheKernelExactlyAsDesired) {
  // Next-hop lists come and go (their numbers are reused); after each flush the kernel holds
  // exactly the last list of every prefix.
  const std::vector<std::vector<const char*>> lists = {
      {}, {"10.0.1.11"}, {"10.0.1.12"}, {"10.0.1.11", "10.0.1.12"}, {"10.0.1.13", "10.0.1.11"}, {"10.0.1.14"}};
  std::map<std::string, std::vector<std::string>> model;
  std::mt19937 rng(5);
  for (int round = 0; round < 200; ++round) {
    for (int op = 0; op < 10; ++op) {
      const std::string prefix = "10.9.0." + std::to_string(rng() % 30) + "/32";
      const auto& list = lists[rng() % lists.size()];
      std::vector<IpAddress> hops;
      std::vector<std::string> want;
      for (const char* h : list) {
        hops.push_back(ip(h));
        want.push_back(h);
      }
      std::sort(want.begin(), want.end());
      fib.update(pfx(prefix.c_str()), hops);
      if (want.empty()) {
        model.erase(prefix);
      } else {
        model[prefix] = want;
      }
    }
    fib.flush();
    ASSERT_EQ(kernel.state.routes.size(), model.size()) << "round " << round;
    for (const auto& [prefix, want] : model)
      ASSERT_EQ(kernel_hops(prefix.c_str()), want) << prefix << " round " << round;
  }
}

TEST_F(ProgrammerTest, MovingToAnExistingSetReusesItsGroup) {
  fib.update(pfx("10.0.1.100/32"), nodes({"10.0.1.11", "10.0.1.12"}));
  fib.update(pfx("10.0.1.101/32"), nodes({"10.0.1.11"}));
  fib.flush();
  fib.update(pfx("10.0.1.100/32"), nodes({"10.0.1.11"}));
  auto ops = fib.flush();
  EXPECT_EQ(*fib.installed(pfx("10.0.1.100/32")), *fib.installed(pfx("10.0.1.101/32")));
  EXPECT_EQ(count(ops, Op::ReplaceRoute), 1u);
  EXPECT_EQ(count(ops, Op::DeleteNexthop), 2u);  // the unused group and 10.0.1.12's nexthop
  EXPECT_EQ(fib.stats().groups, 1u);
  EXPECT_EQ(fib.stats().nexthops, 1u);
}

TEST_F(ProgrammerTest, UnresolvableNextHopsWaitAndLinkDownRemovesThemAtOnce) {
  fib.update(pfx("10.0.1.100/32"), nodes({"10.0.1.11", "192.0.2.9"}));  // 192.0.2.9 is on no link
  fib.update(pfx("10.0.2.1/32"), nodes({"192.0.2.9"}));
  fib.flush();
  EXPECT_EQ(kernel_hops("10.0.1.100/32"), (std::vector<std::string>{"10.0.1.11"}));
  EXPECT_FALSE(fib.installed(pfx("10.0.2.1/32")));
  EXPECT_EQ(fib.stats().waiting, 1u);
  fib.set_connected(pfx("192.0.2.0/24"), 9);
  fib.flush();
  EXPECT_EQ(kernel_hops("10.0.2.1/32"), (std::vector<std::string>{"192.0.2.9"}));
  EXPECT_EQ(kernel.state.nexthops.at(kernel.state.groups.at(*fib.installed(pfx("10.0.2.1/32")))[0]).ifindex, 9);
  fib.link_down(9);
  fib.flush();
  EXPECT_FALSE(kernel.state.routes.count(pfx("10.0.2.1/32")));
  EXPECT_EQ(kernel_hops("10.0.1.100/32"), (std::vector<std::string>{"10.0.1.11"}));
}

TEST_F(ProgrammerTest, RemovingTheLastRouteRemovesItsObjects) {
  fib.update(pfx("10.0.1.100/32"), nodes({"10.0.1.11"}));
  fib.flush();
  fib.update(pfx("10.0.1.100/32"), {});
  auto ops = fib.flush();
  EXPECT_EQ(count(ops, Op::DeleteRoute), 1u);
  EXPECT_TRUE(kernel.state.routes.empty());
  EXPECT_TRUE(kernel.state.groups.empty());
  EXPECT_TRUE(kernel.state.nexthops.empty());
  EXPECT_EQ(fib.stats().routes, 0u);
}

TEST(Programmer, IdsAtTheTopOfTheOwnedRangeAreKeptExactly) {
  // A route keeps its group's id as a 3-byte offset in the owned range: the last ids of it come
  // back as they went in, and a range outside it is refused.
  FakeKernel kernel;
  ProgrammerOptions options;
  options.first_id = kOwnedLastId - 9;
  Programmer fib{kernel, options};
  fib.set_connected(Prefix::parse("10.0.1.0/24").value(), 7);
  const auto hop = [](const char* a) { return std::vector<IpAddress>{IpAddress::parse(a).value()}; };
  fib.update(Prefix::parse("10.0.1.100/32").value(), hop("10.0.1.11"));
  fib.update(Prefix::parse("10.0.1.101/32").value(), hop("10.0.1.12"));
  fib.flush();
  std::set<NexthopId> ids;
  for (const auto* p : {"10.0.1.100/32", "10.0.1.101/32"}) {
    const auto id = fib.installed(Prefix::parse(p).value());
    ASSERT_TRUE(id.has_value()) << p;
    EXPECT_EQ(kernel.state.routes.at(Prefix::parse(p).value()).nhid, *id) << p;
    EXPECT_GE(*id, options.first_id) << p;
    EXPECT_LE(*id, kOwnedLastId) << p;
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), 2u);
  ProgrammerOptions outside;
  outside.last_id = kOwnedLastId + 1;
  EXPECT_THROW(Programmer(kernel, outside), std::invalid_argument);
}

TEST_F(ProgrammerTest, ReconcileRepairsDriftAndNeverTouchesOthersRoutes) {
  fib.update(pfx("10.0.1.100/32"), nodes({"10.0.1.11", "10.0.1.12"}));
  fib.update(pfx("10.0.1.101/32"), nodes({"10.0.1.11", "10.0.1.12"}));
  fib.flush();
  EXPECT_EQ(fib.reconcile(), 0u);
  // Someone runs `ip route del`, adds a stray object in our range, and has routes of their own.
  kernel.state.routes.erase(pfx("10.0.1.100/32"));
  kernel.state.nexthops[ProgrammerOptions{}.first_id + 500] = {ip("10.0.1.99"), 7};
  kernel.state.nexthops[42] = {ip("10.0.1.254"), 7};
  kernel.state.routes[pfx("0.0.0.0/0")] = {42, 3};  // static, not ours
  const size_t drift = fib.reconcile();
  EXPECT_EQ(drift, 2u);
  EXPECT_EQ(kernel_hops("10.0.1.100/32"), (std::vector<std::string>{"10.0.1.11", "10.0.1.12"}));
  EXPECT_FALSE(kernel.state.nexthops.count(ProgrammerOptions{}.first_id + 500));
  EXPECT_TRUE(kernel.state.routes.count(pfx("0.0.0.0/0")));
  EXPECT_TRUE(kernel.state.nexthops.count(42));
  EXPECT_EQ(fib.stats().drift, 2u);
  // A group changed behind our back is put back.
  auto gid = *fib.installed(pfx("10.0.1.101/32"));
  kernel.state.groups[gid].pop_back();
  EXPECT_EQ(fib.reconcile(), 1u);
  EXPECT_EQ(kernel_hops("10.0.1.101/32"), (std::vector<std::string>{"10.0.1.11", "10.0.1.12"}));
  EXPECT_EQ(fib.reconcile(), 0u);
  // A route of our protocol through our group to a prefix we do not want goes; one of ours moved
  // to another nexthop comes back.
  kernel.state.routes[pfx("10.0.9.9/32")] = {gid, kProtocolBgp};
  kernel.state.routes[pfx("10.0.1.100/32")].nhid = 42;
  EXPECT_EQ(fib.reconcile(), 2u);
  EXPECT_FALSE(kernel.state.routes.count(pfx("10.0.9.9/32")));
  EXPECT_EQ(kernel.state.routes[pfx("10.0.1.100/32")].nhid, *fib.installed(pfx("10.0.1.100/32")));
  EXPECT_EQ(fib.reconcile(), 0u);
}

TEST_F(ProgrammerTest, ARestartAdoptsWhatTheRibConfirmsWithoutAWriteAndSweepsTheRest) {
  fib.update(pfx("10.0.1.100/32"), nodes({"10.0.1.11", "10.0.1.12"}));
  fib.update(pfx("10.0.1.101/32"), nodes({"10.0.1.11", "10.0.1.12"}));
  fib.update(pfx("10.0.1.102/32"), nodes({"10.0.1.13"}));
  fib.flush();
  kernel.state.nexthops[42] = {ip("10.0.1.254"), 7};
  kernel.state.routes[pfx("0.0.0.0/0")] = {42, 3};  // static, not ours
  const KernelState before = kernel.state;

  // The daemon restarts: a new programmer over the same kernel.
  Programmer next(kernel);
  next.set_connected(pfx("10.0.1.0/24"), 7);
  EXPECT_EQ(next.adopt(), 3u);
  EXPECT_EQ(next.stats().adopted, 3u);
  EXPECT_EQ(next.adopted_gateways(), (std::set<IpAddress>{ip("10.0.1.11"), ip("10.0.1.12"), ip("10.0.1.13")}));
  // Nothing is written until the RIB says otherwise, and what it confirms is not rewritten.
  EXPECT_TRUE(next.flush().empty());
  next.update(pfx("10.0.1.100/32"), nodes({"10.0.1.12", "10.0.1.11"}));
  next.update(pfx("10.0.1.101/32"), nodes({"10.0.1.11", "10.0.1.12"}));
  EXPECT_TRUE(next.flush().empty());
  EXPECT_EQ(kernel.state.routes.size(), before.routes.size());
  EXPECT_EQ(next.adopted_gateways(), (std::set<IpAddress>{ip("10.0.1.13")}));
  EXPECT_EQ(next.reconcile(), 0u);  // adopted and not yet swept: not drift
  // A new object gets an id past every adopted one.
  next.update(pfx("10.0.1.103/32"), nodes({"10.0.1.14"}));
  for (const Op& op : next.flush()) {
    if (op.kind == Op::AddNexthop || op.kind == Op::AddGroup) {
      EXPECT_GT(op.id, before.groups.rbegin()->first);
    }
  }
  // Converged: the route nobody announced again goes, with its objects; others' stay.
  EXPECT_EQ(next.sweep_adopted(), 1u);
  auto ops = next.flush();
  EXPECT_EQ(count(ops, Op::DeleteRoute), 1u);
  EXPECT_FALSE(kernel.state.routes.count(pfx("10.0.1.102/32")));
  EXPECT_TRUE(kernel.state.routes.count(pfx("0.0.0.0/0")));
  EXPECT_TRUE(kernel.state.nexthops.count(42));
  EXPECT_EQ(next.stats().adopted, 0u);
  EXPECT_EQ(next.reconcile(), 0u);
}

TEST_F(ProgrammerTest, AdoptionSkipsDuplicatesAndForeignMembers) {
  const NexthopId base = kOwnedFirstId + 100;
  kernel.state.nexthops[base] = {ip("10.0.1.11"), 7};
  kernel.state.nexthops[base + 1] = {ip("10.0.1.11"), 7};  // the same key again
  kernel.state.nexthops[42] = {ip("10.0.1.12"), 7};        // not ours
  kernel.state.groups[base + 2] = {base};
  kernel.state.groups[base + 3] = {base, 42};  // has a member that is not ours
  kernel.state.routes[pfx("10.0.1.100/32")] = {base + 2, kProtocolBgp};
  kernel.state.routes[pfx("10.0.1.101/32")] = {base + 3, kProtocolBgp};
  Programmer next(kernel);
  next.set_connected(pfx("10.0.1.0/24"), 7);
  EXPECT_EQ(next.adopt(), 1u);
  EXPECT_EQ(next.installed(pfx("10.0.1.100/32")), base + 2);
  EXPECT_FALSE(next.installed(pfx("10.0.1.101/32")));
  // Reconcile removes what was not adopted, within our range only.
  next.reconcile();
  EXPECT_FALSE(kernel.state.nexthops.count(base + 1));
  EXPECT_FALSE(kernel.state.groups.count(base + 3));
  EXPECT_TRUE(kernel.state.nexthops.count(42));
  EXPECT_TRUE(kernel.state.routes.count(pfx("10.0.1.100/32")));
}

TEST(Programmer, ResilientGroupsArePerFamily) {
  FakeKernel kernel;
  ProgrammerOptions options;
  options.resilient_v4 = ResilientOptions{64, 30};
  Programmer fib(kernel, options);
  fib.set_connected(pfx("10.0.1.0/24"), 7);
  fib.set_connected(pfx("2001:db8:1::/64"), 7);
  fib.update(pfx("10.0.1.100/32"), {ip("10.0.1.11"), ip("10.0.1.12")});
  fib.update(pfx("2001:db8:1::100/128"), {ip("2001:db8:1::11"), ip("2001:db8:1::12")});
  for (const Op& op : fib.flush()) {
    if (op.kind != Op::AddGroup) continue;
    const bool v4 = fib.group_members(op.id).front().gateway.is_v4();
    EXPECT_EQ(op.buckets, v4 ? 64 : 0);
    EXPECT_EQ(op.idle_timer_s, v4 ? 30u : 0u);
  }
  // The in-place replace keeps the type.
  fib.update(pfx("10.0.1.100/32"), {ip("10.0.1.11")});
  auto ops = fib.flush();
  ASSERT_EQ(count(ops, Op::ReplaceGroup), 1u);
  EXPECT_EQ(
      ops[std::find_if(ops.begin(), ops.end(), [](const Op& o) { return o.kind == Op::ReplaceGroup; }) - ops.begin()]
          .buckets,
      64);
}

TEST_F(ProgrammerTest, ADeadGatewayLeavesEveryGroupInPlaceBeforeTheRibSaysAnything) {
  for (int i = 0; i < 1000; ++i) {
    fib.update(Prefix(IpAddress::v4(0x0a010000u + i), 32), nodes({"10.0.1.11", "10.0.1.12", "10.0.1.13"}));
  }
  fib.update(pfx("10.0.2.1/32"), nodes({"10.0.1.12", "10.0.1.13"}));  // -> {12}: in place
  fib.update(pfx("10.0.2.2/32"), nodes({"10.0.1.13", "10.0.1.14"}));  // -> {14}, which 10.0.2.4 has
  fib.update(pfx("10.0.2.3/32"), nodes({"10.0.1.13"}));               // -> {}: the route must go
  fib.update(pfx("10.0.2.4/32"), nodes({"10.0.1.14"}));
  fib.flush();
  const auto big = *fib.installed(pfx("10.1.0.0/32"));
  const auto small = *fib.installed(pfx("10.0.2.1/32"));
  fib.set_gateway_down(ip("10.0.1.13"), true);
  auto ops = fib.flush();
  // One write per group that can shrink in place, none per route: 1000 routes follow at once.
  EXPECT_EQ(count(ops, Op::ReplaceRoute), 0u);
  EXPECT_EQ(count(ops, Op::ReplaceGroup), 2u);
  EXPECT_EQ(kernel_hops("10.1.0.0/32"), (std::vector<std::string>{"10.0.1.11", "10.0.1.12"}));
  EXPECT_EQ(kernel_hops("10.1.3.231/32"), (std::vector<std::string>{"10.0.1.11", "10.0.1.12"}));
  EXPECT_EQ(*fib.installed(pfx("10.1.0.0/32")), big);
  EXPECT_EQ(kernel_hops("10.0.2.1/32"), (std::vector<std::string>{"10.0.1.12"}));
  EXPECT_EQ(*fib.installed(pfx("10.0.2.1/32")), small);
  // Then the RIB withdraws the dead node's paths: only what could not shrink in place is written.
  for (int i = 0; i < 1000; ++i)
    fib.update(Prefix(IpAddress::v4(0x0a010000u + i), 32), nodes({"10.0.1.11", "10.0.1.12"}));
  fib.update(pfx("10.0.2.1/32"), nodes({"10.0.1.12"}));
  fib.update(pfx("10.0.2.2/32"), nodes({"10.0.1.14"}));
  fib.update(pfx("10.0.2.3/32"), {});
  ops = fib.flush();
  EXPECT_EQ(count(ops, Op::ReplaceRoute), 1u);  // 10.0.2.2, to 10.0.2.4's group
  EXPECT_EQ(count(ops, Op::DeleteRoute), 1u);   // 10.0.2.3
  EXPECT_EQ(count(ops, Op::ReplaceGroup), 0u);
  EXPECT_EQ(fib.reconcile(), 0u);
  // While it is down, a route that names it does not get it; once back, routes get it again.
  fib.update(pfx("10.0.3.1/32"), nodes({"10.0.1.11", "10.0.1.13"}));
  fib.flush();
  EXPECT_EQ(kernel_hops("10.0.3.1/32"), (std::vector<std::string>{"10.0.1.11"}));
  fib.set_gateway_down(ip("10.0.1.13"), false);
  fib.flush();
  EXPECT_EQ(kernel_hops("10.0.3.1/32"), (std::vector<std::string>{"10.0.1.11", "10.0.1.13"}));
}

TEST(FakeKernel, FollowsTheKernelsRules) {
  FakeKernel k;
  EXPECT_EQ(k.apply({{Op::AddGroup, 10, {}, {1}, {}}}), 1u);  // members must exist
  EXPECT_EQ(k.apply({{Op::AddNexthop, 1, {*IpAddress::parse("10.0.0.1"), 1}, {}, {}},
                     {Op::AddGroup, 10, {}, {1}, {}},
                     {Op::ReplaceRoute, 10, {}, {}, *Prefix::parse("10.9.0.0/16")}}),
            0u);
  EXPECT_EQ(k.apply({{Op::AddNexthop, 1, {*IpAddress::parse("10.0.0.2"), 1}, {}, {}}}), 1u);  // EEXIST
  EXPECT_EQ(k.apply({{Op::DeleteNexthop, 1, {}, {}, {}}}), 0u);
  EXPECT_TRUE(k.state.groups.empty());  // its only member went
  EXPECT_TRUE(k.state.routes.empty());  // and the route with it
  // Deleting what is gone is what a delete wants.
  EXPECT_EQ(k.apply({{Op::DeleteNexthop, 1, {}, {}, {}}, {Op::DeleteRoute, 0, {}, {}, *Prefix::parse("10.9.0.0/16")}}),
            0u);
}

}  // namespace
}  // namespace ridgeline::fib
