// A neighbor's effective settings: its own lines, then its peer-group's, then router defaults.
#include "bgpd/session/peer_settings.h"

#include <gtest/gtest.h>

#include "common/config/parser.h"

namespace ridgeline::bgp {
namespace {

config::Config load(const char* text) {
  auto r = config::parse_config(text, "t.conf");
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
  return r.config;
}

constexpr const char* kConfig =
    "router bgp 64512\n bgp router-id 10.0.1.1\n timers bgp 10 30\n bgp graceful-restart\n"
    " neighbor NODES peer-group\n neighbor NODES remote-as external\n neighbor NODES timers 3 9\n"
    " neighbor NODES password grp\n neighbor NODES bfd profile fast\n neighbor NODES passive\n"
    " bgp listen range 10.0.1.0/24 peer-group NODES\n"
    " neighbor 10.0.2.1 peer-group NODES\n neighbor 10.0.2.1 password own\n neighbor 10.0.2.1 timers connect 5\n"
    " neighbor 10.0.3.1 remote-as 64512\n"
    " address-family ipv4 unicast\n  neighbor NODES route-map IN in\n  neighbor NODES maximum-prefix 100\n"
    "  neighbor 10.0.2.1 route-map OWN in\n  no neighbor 10.0.3.1 activate\n exit-address-family\n"
    " address-family ipv6 unicast\n  neighbor NODES activate\n exit-address-family\n";

TEST(PeerSettings, DynamicPeerInheritsEverythingFromItsGroup) {
  auto c = load(kConfig);
  const auto& b = *c.bgp;
  auto s = resolve_peer_settings(b, nullptr, b.find_neighbor("NODES"), *IpAddress::parse("10.0.1.7"));
  EXPECT_TRUE(s.dynamic);
  EXPECT_EQ(s.name, "10.0.1.7");
  EXPECT_EQ(s.peer_group, "NODES");
  EXPECT_EQ(s.remote_as.kind, config::RemoteAsKind::External);
  EXPECT_EQ(s.fsm.hold_time, 9);
  EXPECT_EQ(s.fsm.keepalive_time, 3);
  EXPECT_TRUE(s.fsm.passive);
  EXPECT_EQ(s.password, "grp");
  EXPECT_TRUE(s.bfd);
  EXPECT_EQ(s.bfd_profile, "fast");
  EXPECT_TRUE(s.graceful_restart);  // from `bgp graceful-restart`
  const auto* v4 = s.af_settings(config::Afi::Ipv4Unicast);
  ASSERT_NE(v4, nullptr);
  EXPECT_EQ(v4->in.route_map, "IN");
  EXPECT_EQ(v4->maximum_prefix->limit, 100u);
  EXPECT_NE(s.af_settings(config::Afi::Ipv6Unicast), nullptr);
  EXPECT_FALSE(s.expected_as());  // external: any AS but ours
}

TEST(PeerSettings, OwnLinesWinOverTheGroup) {
  auto c = load(kConfig);
  const auto& b = *c.bgp;
  const config::Neighbor* n = b.find_neighbor("10.0.2.1");
  auto s = resolve_peer_settings(b, n, b.find_neighbor("NODES"), *IpAddress::parse("10.0.2.1"));
  EXPECT_FALSE(s.dynamic);
  EXPECT_EQ(s.password, "own");
  EXPECT_EQ(s.fsm.connect_retry_time, 5);
  EXPECT_EQ(s.af_settings(config::Afi::Ipv4Unicast)->in.route_map, "OWN");
  EXPECT_EQ(s.af_settings(config::Afi::Ipv4Unicast)->maximum_prefix->limit, 100u);  // still the group's
}

TEST(PeerSettings, RouterDefaultsAndDeactivation) {
  auto c = load(kConfig);
  const auto& b = *c.bgp;
  auto s = resolve_peer_settings(b, b.find_neighbor("10.0.3.1"), nullptr, *IpAddress::parse("10.0.3.1"));
  EXPECT_EQ(s.fsm.hold_time, 30);  // timers bgp 10 30
  EXPECT_EQ(s.fsm.keepalive_time, 10);
  EXPECT_EQ(s.fsm.connect_retry_time, 120);
  EXPECT_FALSE(s.fsm.passive);
  EXPECT_EQ(s.expected_as(), 64512u);
  EXPECT_EQ(s.af_settings(config::Afi::Ipv4Unicast), nullptr);  // no neighbor ... activate
  EXPECT_EQ(s.af_settings(config::Afi::Ipv6Unicast), nullptr);  // never activated
}

TEST(PeerSettings, ListenRangeLookupPrefersTheLongestMatch) {
  auto c = load(
      "router bgp 1\n bgp router-id 1.1.1.1\n neighbor A peer-group\n neighbor A remote-as external\n"
      " neighbor B peer-group\n neighbor B remote-as external\n"
      " bgp listen range 10.0.0.0/8 peer-group A\n bgp listen range 10.0.1.0/24 peer-group B\n");
  const auto& b = *c.bgp;
  EXPECT_EQ(find_listen_range(b, *IpAddress::parse("10.0.1.9"))->peer_group, "B");
  EXPECT_EQ(find_listen_range(b, *IpAddress::parse("10.9.1.9"))->peer_group, "A");
  EXPECT_EQ(find_listen_range(b, *IpAddress::parse("192.0.2.1")), nullptr);
}

// A reload changes some lines: which of them a running session can take softly.
TEST(PeerSettings, ReloadChangesAreClassifiedAsNothingPolicyOrSession) {
  auto base = load(kConfig);
  auto settings = [](const config::Config& c) {
    const auto& b = *c.bgp;
    return resolve_peer_settings(b, b.find_neighbor("10.0.2.1"), b.find_neighbor("NODES"),
                                 *IpAddress::parse("10.0.2.1"));
  };
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = kConfig;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return settings(load(text.replace(at, from.size(), to).c_str()));
  };
  const PeerSettings before = settings(base);
  EXPECT_EQ(compare_settings(before, before), SettingsChange::None);
  EXPECT_EQ(compare_settings(before, with("route-map OWN in", "route-map OTHER in")), SettingsChange::Policy);
  EXPECT_EQ(compare_settings(before, with("maximum-prefix 100", "maximum-prefix 200")), SettingsChange::Policy);
  EXPECT_EQ(compare_settings(before, with("bfd profile fast", "bfd profile slow")), SettingsChange::None);
  EXPECT_EQ(compare_settings(before, with("timers 3 9", "timers 4 12")), SettingsChange::Session);
  EXPECT_EQ(compare_settings(before, with("password own", "password new")), SettingsChange::Session);
  EXPECT_EQ(compare_settings(before, with("remote-as external", "remote-as 64999")), SettingsChange::Session);
}

}  // namespace
}  // namespace ridgeline::bgp
