// ridgeline.conf: golden round trips (parse -> canonical print -> parse gives the same text and
// the same config), an FRR user's MetalLB gateway config, and FILE:LINE errors for bad lines.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/config/parser.h"

namespace ridgeline::config {
namespace {

const std::string kGolden = RIDGELINE_CONFIG_GOLDEN_DIR;

std::string read(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string diagnostics(const ParseResult& r) {
  std::string out;
  for (const auto& d : r.errors) out += d.to_string() + "\n";
  for (const auto& d : r.warnings) out += d.to_string() + "\n";
  return out;
}

TEST(ConfigGolden, EveryCanonicalSampleRoundTrips) {
  size_t samples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kGolden)) {
    if (entry.path().extension() != ".canonical") continue;
    const std::string text = read(entry.path());
    auto first = parse_config(text, entry.path().filename());
    ASSERT_TRUE(first.ok()) << diagnostics(first);
    EXPECT_TRUE(first.warnings.empty()) << diagnostics(first);
    EXPECT_EQ(print_config(first.config), text) << entry.path();
    auto second = parse_config(print_config(first.config), "printed");
    ASSERT_TRUE(second.ok()) << diagnostics(second);
    EXPECT_EQ(second.config, first.config) << entry.path();
    ++samples;
  }
  EXPECT_GE(samples, 2u);
}

TEST(ConfigGolden, FrrMetallbGatewayConfigWorksUnchanged) {
  auto r = load_config_file(kGolden + "/frr-metallb-gateway.conf");
  ASSERT_TRUE(r.ok()) << diagnostics(r);
  EXPECT_TRUE(r.warnings.empty()) << diagnostics(r);
  EXPECT_EQ(print_config(r.config), read(kGolden + "/frr-metallb-gateway.canonical"));
  const Bgp& b = *r.config.bgp;
  EXPECT_EQ(b.asn, 64512u);
  ASSERT_EQ(b.listen_ranges.size(), 1u);
  EXPECT_EQ(b.listen_ranges[0].prefix.to_string(), "10.0.1.0/24");
  const Neighbor* group = b.find_neighbor("METALLB");
  ASSERT_NE(group, nullptr);
  EXPECT_TRUE(group->is_peer_group);
  EXPECT_EQ(group->remote_as->kind, RemoteAsKind::External);
  EXPECT_EQ(group->bfd_profile, "fast");
  EXPECT_EQ(group->password, "s3cret words");
  EXPECT_EQ(group->af.at(Afi::Ipv4Unicast).maximum_prefix->restart_minutes, 5u);
  EXPECT_EQ(b.af.at(Afi::Ipv4Unicast).maximum_paths, 64u);
  const auto& pl = r.config.prefix_lists_v4.at("METALLB").entries.at(0);
  EXPECT_EQ(pl.le, 32);
  EXPECT_EQ(r.config.bfd->profiles.at(0).timers.receive_interval_ms, 300u);
  EXPECT_EQ(r.config.hostname, "gw1");
}

struct BadLine {
  const char* text;
  size_t line;
  const char* message;
};

TEST(ConfigErrors, EachBadLineNamesFileAndLine) {
  const BadLine cases[] = {
      {"frobnicate on", 1, "unknown command: frobnicate on"},
      {"router bgp 64512\n neighbor 10.0.0.1 remote-as banana", 2, "remote-as must be"},
      {"router bgp 64512\n neighbor 10.0.0.1 description x", 2, "give remote-as or peer-group first"},
      {"router bgp 64512\n neighbor 10.0.0.1 peer-group NOPE", 2, "peer-group NOPE is not defined"},
      {"router bgp 64512\n timers bgp 1 2", 2, "hold time must be 0 or at least 3"},
      {"router bgp 64512\n bgp router-id 0.0.0.0", 2, "router-id"},
      {"router bgp 64512\nrouter bgp 64513", 2, "only one router bgp"},
      {"router bgp 64512 vrf red", 1, "VRFs are not supported"},
      {"router bgp 64512\n address-family l2vpn evpn", 2, "supported address families"},
      {"router bgp 64512\n address-family ipv6 unicast\n  network 10.0.0.0/8", 3,
       "not a prefix of this address family"},
      {"ip prefix-list P seq 5 permit 10.0.1.1/24", 1, "host bits set; did you mean 10.0.1.0/24?"},
      {"ip prefix-list P seq 5 permit 10.0.0.0/24 ge 16", 1, "ge 16 is shorter"},
      {"ip prefix-list P seq 5 permit 10.0.0.0/24 ge 28 le 26", 1, "le must be at least ge"},
      {"ip prefix-list P seq 5 permit 10.0.0.0/24 le 33", 1, "le must be a number from 0 to 32"},
      {"ipv6 prefix-list P seq 5 permit 10.0.0.0/8", 1, "is not an IPv6 prefix"},
      {"bgp community-list standard C permit 64500:70000", 1, "'64500:70000' is not a valid value"},
      {"bgp community-list expanded C permit ^64500", 1, "expanded community-lists"},
      {"route-map M permit 10\n set local-preference lots", 2, "local-preference must be"},
      {"route-map M permit 10\n set community 1:2:3", 2, "is not a community"},
      {"route-map M permit 10\n match tag 5", 2, "unsupported match"},
      {"route-map M maybe 10", 1, "usage: route-map"},
      {"bfd\n profile p\n  detect-multiplier 1", 3, "detect-multiplier must be a number from 2 to 255"},
      {"bfd\n peer 10.0.0.1 multihop", 2, "needs local-address"},
      {"bfd\n peer 10.0.0.1 vrf red", 2, "VRFs are not supported"},
      {"fib\n table 0", 2, "table must be a number from 1"},
      {"fib\n coalesce-window 5000", 2, "coalesce-window must be a number from 0 to 1000"},
      {"fib\n bulk-hold 20000", 2, "bulk-hold must be a number from 0 to 10000"},
      {"fib\n resilient-groups ipv4 buckets 0", 2, "usage: resilient-groups"},
      {"fib\n resilient-groups ipv4 buckets", 2, "usage: resilient-groups"},
      {"fib\n nexthop-groups off", 2, "unknown command: nexthop-groups off"},
  };
  for (const auto& c : cases) {
    auto r = parse_config(c.text, "test.conf");
    ASSERT_EQ(r.errors.size(), 1u) << c.text << "\n" << diagnostics(r);
    EXPECT_EQ(r.errors[0].line, c.line) << c.text;
    EXPECT_NE(r.errors[0].message.find(c.message), std::string::npos) << r.errors[0].message;
    EXPECT_EQ(r.errors[0].to_string().rfind("test.conf:" + std::to_string(c.line) + ": ", 0), 0u);
  }
}

TEST(ConfigGolden, FibBlockValues) {
  auto r = load_config_file(kGolden + "/fib-options.canonical");
  ASSERT_TRUE(r.ok()) << diagnostics(r);
  const Fib& f = *r.config.fib;
  EXPECT_EQ(f.table, 100u);
  EXPECT_EQ(f.metric, 30u);
  EXPECT_EQ(f.coalesce_window_ms, 2u);
  EXPECT_EQ(f.bulk_hold_ms, 300u);
  EXPECT_EQ(f.reconcile_interval_s, 5u);
  EXPECT_EQ(f.convergence_timeout_s, 30u);
  EXPECT_EQ(f.resilient_v4, (ResilientGroups{64, 60}));
  EXPECT_EQ(f.resilient_v6, ResilientGroups{});
  EXPECT_TRUE(f.multipath_routes);
  EXPECT_TRUE(f.nexthop_compat_off);
  // Defaults are not printed: an empty block stays empty.
  auto empty = parse_config("fib\nexit\n", "t.conf");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty.config.fib, Fib{});
  EXPECT_EQ(print_config(empty.config), "!\nfib\nexit\n!\n");
}

TEST(ConfigErrors, WholeFileChecks) {
  auto r = parse_config("router bgp 64512\n bgp listen range 10.0.1.0/24 peer-group NODES\n", "gw.conf");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(), "gw.conf: bgp listen range 10.0.1.0/24: peer-group NODES is not defined");
  r = parse_config("router bgp 64512\n neighbor G peer-group\n neighbor 10.0.0.1 peer-group G\n", "gw.conf");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "neighbor 10.0.0.1 has no remote-as");
}

TEST(ConfigErrors, UndefinedPolicyIsAWarningThatSaysWhatHappens) {
  auto r = parse_config(
      "router bgp 64512\n neighbor 10.0.0.1 remote-as 1\n neighbor 10.0.0.1 bfd profile nope\n"
      " address-family ipv4 unicast\n  neighbor 10.0.0.1 route-map MISSING in\n",
      "gw.conf");
  ASSERT_TRUE(r.ok()) << diagnostics(r);
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_NE(r.warnings[0].to_string().find("warning: neighbor 10.0.0.1: bfd profile nope"), std::string::npos);
  EXPECT_NE(r.warnings[1].message.find("route-map MISSING is not defined, so it denies every route"),
            std::string::npos);
}

TEST(ConfigErrors, AllErrorsAreReportedNotJustTheFirst) {
  auto r = parse_config("hostname a\nbogus 1\nhostname b\nbogus 2\n", "x.conf");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].line, 2u);
  EXPECT_EQ(r.errors[1].line, 4u);
}

TEST(ConfigErrors, UnreadableFile) {
  auto r = load_config_file("/nonexistent/ridgeline.conf");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(), "/nonexistent/ridgeline.conf: cannot read the file");
}

TEST(Config, ModesFallBackToTheEnclosingOneAsInFrr) {
  // No `exit` lines: each line that the inner mode does not know goes to the outer one.
  auto r = parse_config(
      "route-map A permit 10\n set metric 5\nip prefix-list P permit 10.0.0.0/8\nrouter bgp 1\n"
      " address-family ipv6 unicast\n  maximum-paths 4\n neighbor 10.0.0.1 remote-as 2\nbfd\n profile x\n"
      "  detect-multiplier 3\n peer 10.0.0.1\nroute-map A permit 20\n",
      "t.conf");
  ASSERT_TRUE(r.ok()) << diagnostics(r);
  EXPECT_EQ(r.config.route_maps.at("A").entries.size(), 2u);
  EXPECT_EQ(r.config.prefix_lists_v4.at("P").entries.at(0).seq, 5u);  // automatic numbering
  EXPECT_EQ(r.config.bgp->af.at(Afi::Ipv6Unicast).maximum_paths, 4u);
  EXPECT_NE(r.config.bgp->find_neighbor("10.0.0.1"), nullptr);
  EXPECT_EQ(r.config.bfd->peers.size(), 1u);
}

TEST(Config, RouterLevelAddressFamilyCommandsMeanIpv4Unicast) {
  auto r = parse_config(
      "router bgp 1\n neighbor 10.0.0.1 remote-as 2\n neighbor 10.0.0.1 next-hop-self\n"
      " maximum-paths 8\n network 10.9.0.0/16\n",
      "t.conf");
  ASSERT_TRUE(r.ok()) << diagnostics(r);
  const Bgp& b = *r.config.bgp;
  EXPECT_TRUE(b.find_neighbor("10.0.0.1")->af.at(Afi::Ipv4Unicast).next_hop_self.value());
  EXPECT_EQ(b.af.at(Afi::Ipv4Unicast).maximum_paths, 8u);
  EXPECT_EQ(b.af.at(Afi::Ipv4Unicast).networks.size(), 1u);
}

TEST(Config, TcpAoKeysAndTheirErrors) {
  auto r = parse_config(
      "router bgp 1\n neighbor 10.0.0.1 remote-as 2\n"
      " neighbor 10.0.0.1 tcp-ao algorithm aes-128-cmac send-id 5 recv-id 7 key two words\n",
      "t.conf");
  ASSERT_TRUE(r.ok()) << diagnostics(r);
  const auto& key = r.config.bgp->find_neighbor("10.0.0.1")->tcp_ao;
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, (tcp_ao::Key{"two words", 5, 7, tcp_ao::Algorithm::AesCmac128}));
  EXPECT_NE(print_config(r.config).find(" neighbor 10.0.0.1 tcp-ao algorithm aes-128-cmac send-id 5 recv-id 7 key "
                                        "two words\n"),
            std::string::npos);
  auto defaults = parse_config("router bgp 1\n neighbor 10.0.0.1 remote-as 2\n neighbor 10.0.0.1 tcp-ao key k\n", "t");
  ASSERT_TRUE(defaults.ok()) << diagnostics(defaults);
  EXPECT_EQ(*defaults.config.bgp->find_neighbor("10.0.0.1")->tcp_ao,
            (tcp_ao::Key{"k", 1, 1, tcp_ao::Algorithm::HmacSha1}));
  for (const char* bad :
       {" neighbor 10.0.0.1 tcp-ao algorithm md5 key k\n", " neighbor 10.0.0.1 tcp-ao send-id 300 key k\n",
        " neighbor 10.0.0.1 tcp-ao\n", " neighbor 10.0.0.1 password p\n neighbor 10.0.0.1 tcp-ao key k\n"}) {
    auto e = parse_config(std::string("router bgp 1\n neighbor 10.0.0.1 remote-as 2\n") + bad, "t.conf");
    EXPECT_FALSE(e.ok()) << bad;
    ASSERT_FALSE(e.errors.empty()) << bad;
    EXPECT_NE(e.errors.back().to_string().find("t.conf:"), std::string::npos);
  }
}

TEST(Communities, ParseAndFormat) {
  EXPECT_EQ(parse_community("64500:100"), (64500u << 16) | 100);
  EXPECT_EQ(parse_community("no-export"), 0xFFFFFF01u);
  EXPECT_EQ(parse_community("graceful-shutdown"), 0xFFFF0000u);
  EXPECT_FALSE(parse_community("64500"));
  EXPECT_FALSE(parse_community("65536:1"));
  EXPECT_FALSE(parse_community("a:b"));
  EXPECT_EQ(format_community(0xFFFFFF02), "no-advertise");
  EXPECT_EQ(format_community((64500u << 16) | 7), "64500:7");
  EXPECT_EQ(parse_large_community("4200000001:0:7"), (LargeCommunity{4200000001u, 0, 7}));
  EXPECT_FALSE(parse_large_community("1:2"));
  EXPECT_FALSE(parse_large_community("1:2:4294967296"));
  EXPECT_EQ(format_large_community({1, 2, 3}), "1:2:3");
}

}  // namespace
}  // namespace ridgeline::config
