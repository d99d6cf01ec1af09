// The config lifecycle: `no` forms, the daemon parts, validate/apply all or nothing, versions,
// optimistic locking, confirmed commits rolling back on an injected clock, atomic saves.
#include "common/config/manager.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ridgeline::config {
namespace {

constexpr const char* kBase =
    "router bgp 64512\n bgp router-id 10.0.1.1\n neighbor NODES peer-group\n neighbor NODES remote-as external\n"
    " neighbor 10.0.1.254 remote-as 64999\n neighbor 10.0.1.254 password secret\n"
    " bgp listen range 10.0.1.0/24 peer-group NODES\n address-family ipv4 unicast\n"
    "  neighbor NODES prefix-list POOL in\n  network 10.0.9.0/24\n exit-address-family\nexit\n"
    "ip prefix-list POOL seq 10 permit 10.0.1.0/24 le 32\nip prefix-list POOL seq 20 deny any\n"
    "route-map OUT permit 10\nexit\nroute-map OUT permit 20\nexit\n"
    "bfd\n profile fast\n  receive-interval 100\n exit\n peer 10.0.1.11\n exit\nexit\n";

Config parse(const std::string& text) {
  auto r = parse_config(text, "t.conf");
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
  return r.config;
}

TEST(NoForms, RemoveWhatTheyName) {
  const Config c = parse(std::string(kBase) +
                         "no ip prefix-list POOL seq 20\nno route-map OUT permit 20\n"
                         "router bgp 64512\n no neighbor 10.0.1.254 password\n"
                         " no bgp listen range 10.0.1.0/24 peer-group NODES\n address-family ipv4 unicast\n"
                         "  no neighbor NODES prefix-list POOL in\n  no network 10.0.9.0/24\n"
                         " exit-address-family\nexit\nbfd\n no peer 10.0.1.11\n no profile fast\nexit\n");
  ASSERT_EQ(c.prefix_lists_v4.at("POOL").entries.size(), 1u);
  EXPECT_EQ(c.route_maps.at("OUT").entries.size(), 1u);
  EXPECT_FALSE(c.bgp->find_neighbor("10.0.1.254")->password);
  EXPECT_TRUE(c.bgp->listen_ranges.empty());
  EXPECT_FALSE(c.bgp->find_neighbor("NODES")->af.at(Afi::Ipv4Unicast).prefix_list_in);
  EXPECT_TRUE(c.bgp->af.at(Afi::Ipv4Unicast).networks.empty());
  EXPECT_TRUE(c.bfd->peers.empty());
  EXPECT_TRUE(c.bfd->profiles.empty());
  // The canonical text says so too, and reads back the same.
  const std::string text = print_config(c);
  EXPECT_EQ(text.find("password"), std::string::npos);
  EXPECT_EQ(print_config(parse(text)), text);
}

TEST(NoForms, NeighborAndWholeListsGo) {
  const Config c = parse(std::string(kBase) +
                         "no ip prefix-list POOL\nno route-map OUT\nrouter bgp 64512\n"
                         " no neighbor 10.0.1.254\n no neighbor NODES peer-group\nexit\n");
  EXPECT_TRUE(c.prefix_lists_v4.empty());
  EXPECT_TRUE(c.route_maps.empty());
  EXPECT_EQ(c.bgp->find_neighbor("10.0.1.254"), nullptr);
  EXPECT_EQ(c.bgp->find_neighbor("NODES"), nullptr);
  EXPECT_TRUE(c.bgp->listen_ranges.empty()) << "a range of a group that is gone goes with it";
  auto bad = parse_config(std::string(kBase) + "no ip prefix-list NOPE\n", "t.conf");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].line, std::count(kBase, kBase + std::strlen(kBase), '\n') + 1);
}

// Found by fuzz_config_parser: a `no` that removes the block being edited used to leave the parser
// pointing into it (use after free, null dereference), and `no neighbor` alone read past the line.
TEST(NoForms, RemovingTheBlockBeingEditedLeavesItsMode) {
  for (const char* text : {
           "bfd\n profile a\n exit\n profile b\n  no profile a\n  receive-interval 100\nexit\n",
           "bfd\n peer 10.0.1.1\n  no peer 10.0.1.1\n  receive-interval 100\nexit\n",
           "bfd\n profile a\n  no bfd\n  receive-interval 100\n",
           "fib\n no fib\n table 5\n",
           "route-map RM permit 10\n no route-map RM\n set local-preference 200\n",
           "router bgp 1\n no neighbor\n",
       }) {
    auto r = parse_config(text, "t.conf");  // must not crash; the last line is then out of its mode
    if (r.ok()) {
      EXPECT_EQ(print_config(parse(print_config(r.config))), print_config(r.config)) << text;
    } else {
      EXPECT_EQ(r.errors.size(), 1u) << text;
    }
  }
  // Removing another profile from inside one returns to the bfd block; the edits go where they belong.
  const Config c = parse(
      "bfd\n profile a\n exit\n profile b\n  no profile a\n profile b\n"
      "  receive-interval 100\n exit\nexit\n");
  ASSERT_EQ(c.bfd->profiles.size(), 1u);
  EXPECT_EQ(c.bfd->profiles[0].name, "b");
  EXPECT_EQ(c.bfd->profiles[0].timers.receive_interval_ms, 100u);
}

TEST(DaemonParts, JoinedTheyAreTheWholeFile) {
  const Config c = parse(kBase);
  const Config bgpd = part_of(c, Daemon::Bgpd), bfdd = part_of(c, Daemon::Bfdd);
  EXPECT_FALSE(bgpd.bfd);
  EXPECT_TRUE(bfdd.bfd);
  EXPECT_FALSE(bfdd.bgp);
  EXPECT_EQ(parse(print_config(bgpd) + print_config(bfdd)), c);
}

struct Applied {
  std::vector<Config> configs;
  bool refuse = false;
};

ConfigManager manager(Applied& a, Daemon d = Daemon::Bgpd, std::string path = "/nonexistent") {
  return ConfigManager(d, std::move(path), parse(kBase), [&a](const Config& next, std::string& message) {
    if (a.refuse) return message = "refused", false;
    a.configs.push_back(next);
    message = "applied";
    return true;
  });
}

TEST(ConfigManager, AppliesAllOrNothingAndCountsVersions) {
  Applied a;
  auto m = manager(a);
  const auto now = ConfigManager::Clock::time_point{};
  EXPECT_EQ(m.version(), 1u);
  const std::string id = m.id();
  // A candidate with an error changes nothing and names the line.
  auto bad = m.apply_text(std::string(kBase) + "router bgp 64512\n neighbor 10.0.2.1 remote-ass 1\n", "cand",
                          std::nullopt, std::nullopt, now);
  EXPECT_EQ(bad.kind, ConfigManager::Outcome::Invalid);
  EXPECT_EQ(bad.message.rfind("cand:27: ", 0), 0u) << bad.message;
  EXPECT_TRUE(a.configs.empty());
  EXPECT_EQ(m.version(), 1u);
  // The same config again, or a change in bfdd's part only: nothing for bgpd to do.
  EXPECT_EQ(m.apply_text(kBase, "c", std::nullopt, std::nullopt, now).kind, ConfigManager::Outcome::Unchanged);
  std::string bfd_change = kBase;
  bfd_change.replace(bfd_change.find("receive-interval 100"), 20, "receive-interval 200");
  EXPECT_EQ(m.apply_text(bfd_change, "c", std::nullopt, std::nullopt, now).kind, ConfigManager::Outcome::Unchanged);
  EXPECT_TRUE(a.configs.empty());
  // A real change.
  const std::string changed = std::string(kBase) + "ip prefix-list POOL seq 5 deny 10.0.1.99/32\n";
  auto ok = m.apply_text(changed, "c", 1, std::nullopt, now);
  EXPECT_EQ(ok.kind, ConfigManager::Outcome::Applied);
  EXPECT_EQ(m.version(), 2u);
  EXPECT_NE(m.id(), id);
  ASSERT_EQ(a.configs.size(), 1u);
  EXPECT_EQ(a.configs[0].prefix_lists_v4.at("POOL").entries.size(), 3u);
  // Optimistic locking: version 1 is gone.
  EXPECT_EQ(m.apply_text(kBase, "c", 1, std::nullopt, now).kind, ConfigManager::Outcome::Conflict);
  // The daemon refusing leaves the running config as it was.
  a.refuse = true;
  EXPECT_EQ(m.apply_text(kBase, "c", std::nullopt, std::nullopt, now).kind, ConfigManager::Outcome::Refused);
  EXPECT_EQ(m.version(), 2u);
  EXPECT_EQ(m.running().prefix_lists_v4.at("POOL").entries.size(), 3u);
}

TEST(ConfigManager, ConfirmedCommitRollsBackUnlessConfirmed) {
  Applied a;
  auto m = manager(a);
  const auto t0 = ConfigManager::Clock::time_point{} + std::chrono::hours(1);
  const std::string changed = std::string(kBase) + "ip prefix-list POOL seq 5 deny 10.0.1.99/32\n";
  ASSERT_TRUE(m.apply_text(changed, "c", std::nullopt, std::chrono::seconds(60), t0).ok());
  ASSERT_EQ(m.rollback_deadline(), t0 + std::chrono::seconds(60));
  EXPECT_FALSE(m.rollback_if_due(t0 + std::chrono::seconds(59)));
  auto back = m.rollback_if_due(t0 + std::chrono::seconds(60));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, ConfigManager::Outcome::Applied);
  EXPECT_EQ(m.running(), parse(kBase));
  EXPECT_EQ(a.configs.back(), parse(kBase));
  EXPECT_EQ(m.version(), 3u);
  EXPECT_FALSE(m.rollback_deadline());
  // Confirmed in time: it stays.
  ASSERT_TRUE(m.apply_text(changed, "c", std::nullopt, std::chrono::seconds(60), t0).ok());
  EXPECT_TRUE(m.confirm());
  EXPECT_FALSE(m.rollback_if_due(t0 + std::chrono::hours(2)));
  EXPECT_EQ(m.running(), parse(changed));
  EXPECT_FALSE(m.confirm());
}

TEST(ConfigManager, SaveIsAtomicAndKeepsTheMode) {
  char dir[] = "/tmp/rl-save-XXXXXX";
  ASSERT_TRUE(mkdtemp(dir));
  const std::string path = std::string(dir) + "/ridgeline.conf";
  { std::ofstream(path) << "old\n"; }
  ASSERT_EQ(::chmod(path.c_str(), 0660), 0);
  std::string error;
  ASSERT_TRUE(save_file(path, kBase, error)) << error;
  std::stringstream read;
  read << std::ifstream(path).rdbuf();
  EXPECT_EQ(read.str(), kBase);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_FALSE(save_file(std::string(dir) + "/missing/x.conf", kBase, error));
  EXPECT_NE(error.find("cannot write"), std::string::npos);
  ::unlink(path.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace ridgeline::config
