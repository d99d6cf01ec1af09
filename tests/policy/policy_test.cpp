// Policy with FRR's semantics: prefix-list ge/le edges, community-list matching, route-map
// match/set, and the RFC 8212 default for eBGP.
#include "bgpd/policy/policy.h"

#include <gtest/gtest.h>

#include "common/config/parser.h"

namespace ridgeline::bgp::policy {
namespace {

Prefix pfx(const char* s) {
  return *Prefix::parse(s);
}

config::Config load(const char* text) {
  auto r = config::parse_config(text, "policy.conf");
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
  return r.config;
}

uint32_t comm(uint16_t a, uint16_t b) {
  return uint32_t(a) << 16 | b;
}

TEST(PrefixList, MetallbPoolLe32) {
  auto c = load("ip prefix-list METALLB permit 10.0.1.0/24 le 32\n");
  Policy p(c);
  EXPECT_EQ(p.prefix_list("METALLB", pfx("10.0.1.5/32")), Verdict::Permit);
  EXPECT_EQ(p.prefix_list("METALLB", pfx("10.0.1.0/24")), Verdict::Permit);
  EXPECT_EQ(p.prefix_list("METALLB", pfx("10.0.1.128/25")), Verdict::Permit);
  EXPECT_EQ(p.prefix_list("METALLB", pfx("10.0.0.0/8")), Verdict::Deny);     // shorter than the pool
  EXPECT_EQ(p.prefix_list("METALLB", pfx("10.0.0.0/23")), Verdict::Deny);    // covers the pool
  EXPECT_EQ(p.prefix_list("METALLB", pfx("10.0.2.0/24")), Verdict::Deny);    // a conflicting /24
  EXPECT_EQ(p.prefix_list("METALLB", pfx("2001:db8::/32")), Verdict::Deny);  // other family: v6 lists
}

TEST(PrefixList, GeLeEdges) {
  using config::PrefixListEntry;
  auto entry = [](const char* prefix, std::optional<uint8_t> ge, std::optional<uint8_t> le) {
    PrefixListEntry e;
    e.prefix = *Prefix::parse(prefix);
    e.ge = ge;
    e.le = le;
    return e;
  };
  // No ge/le: the exact prefix only.
  EXPECT_TRUE(matches(entry("10.0.0.0/8", {}, {}), pfx("10.0.0.0/8")));
  EXPECT_FALSE(matches(entry("10.0.0.0/8", {}, {}), pfx("10.1.0.0/16")));
  // ge alone: from ge up to the family maximum.
  EXPECT_FALSE(matches(entry("10.0.0.0/8", 24, {}), pfx("10.1.0.0/23")));
  EXPECT_TRUE(matches(entry("10.0.0.0/8", 24, {}), pfx("10.1.2.0/24")));
  EXPECT_TRUE(matches(entry("10.0.0.0/8", 24, {}), pfx("10.1.2.3/32")));
  // le alone: from the prefix length up to le.
  EXPECT_TRUE(matches(entry("10.0.0.0/8", {}, 16), pfx("10.0.0.0/8")));
  EXPECT_TRUE(matches(entry("10.0.0.0/8", {}, 16), pfx("10.200.0.0/16")));
  EXPECT_FALSE(matches(entry("10.0.0.0/8", {}, 16), pfx("10.200.1.0/24")));
  // ge and le: the closed range.
  EXPECT_FALSE(matches(entry("10.0.0.0/8", 20, 24), pfx("10.0.0.0/19")));
  EXPECT_TRUE(matches(entry("10.0.0.0/8", 20, 24), pfx("10.0.0.0/20")));
  EXPECT_TRUE(matches(entry("10.0.0.0/8", 20, 24), pfx("10.0.0.0/24")));
  EXPECT_FALSE(matches(entry("10.0.0.0/8", 20, 24), pfx("10.0.0.0/25")));
  // ge equal to le pins one length; ge 32 on IPv4 is host routes only.
  EXPECT_TRUE(matches(entry("172.16.0.0/12", 32, 32), pfx("172.16.9.9/32")));
  EXPECT_FALSE(matches(entry("172.16.0.0/12", 32, 32), pfx("172.16.9.0/31")));
  // Outside the prefix never matches, whatever the length.
  EXPECT_FALSE(matches(entry("10.0.0.0/8", {}, 32), pfx("11.0.0.1/32")));
  // /0 with le 128 is every IPv6 prefix.
  EXPECT_TRUE(matches(entry("::/0", {}, 128), pfx("2001:db8::1/128")));
  EXPECT_FALSE(matches(entry("::/0", {}, 128), pfx("10.0.0.1/32")));
}

TEST(PrefixList, FirstMatchWinsThenImplicitDeny) {
  auto c = load(
      "ip prefix-list L seq 10 deny 10.0.1.66/32\n"
      "ip prefix-list L seq 20 permit 10.0.1.0/24 le 32\n"
      "ip prefix-list L seq 5 permit 10.0.1.66/32\n"  // seq 5 sorts first: it wins
      "ip prefix-list L seq 30 deny any\n"
      "ip prefix-list E seq 5 permit any\n");
  Policy p(c);
  EXPECT_EQ(p.prefix_list("L", pfx("10.0.1.66/32")), Verdict::Permit);
  EXPECT_EQ(p.prefix_list("L", pfx("10.0.1.7/32")), Verdict::Permit);
  EXPECT_EQ(p.prefix_list("L", pfx("192.0.2.1/32")), Verdict::Deny);
  EXPECT_EQ(p.prefix_list("E", pfx("192.0.2.1/32")), Verdict::Permit);
  EXPECT_EQ(p.prefix_list("UNDEFINED", pfx("192.0.2.1/32")), Verdict::Deny);
  EXPECT_EQ(evaluate(config::PrefixList{}, pfx("192.0.2.1/32")), Verdict::Permit);  // empty list
}

TEST(CommunityList, AllOfAnEntryMustBePresentOrExactlyThem) {
  auto c = load(
      "bgp community-list standard SVC permit 64500:100\n"
      "bgp community-list standard PAIR permit 64500:100 64500:200\n"
      "bgp community-list standard NOT deny 64500:666\n"
      "bgp community-list standard NOT permit 64500:100\n");
  Policy p(c);
  EXPECT_TRUE(p.community_list("SVC", {comm(64500, 100)}, false));
  EXPECT_TRUE(p.community_list("SVC", {comm(1, 1), comm(64500, 100)}, false));
  EXPECT_FALSE(p.community_list("SVC", {comm(1, 1), comm(64500, 100)}, true));  // exact-match: only those
  EXPECT_TRUE(p.community_list("SVC", {comm(64500, 100)}, true));
  EXPECT_FALSE(p.community_list("PAIR", {comm(64500, 100)}, false));
  EXPECT_TRUE(p.community_list("PAIR", {comm(64500, 200), comm(64500, 100)}, true));
  EXPECT_FALSE(p.community_list("NOT", {comm(64500, 666), comm(64500, 100)}, false));  // deny entry first
  EXPECT_TRUE(p.community_list("NOT", {comm(64500, 100)}, false));
  EXPECT_FALSE(p.community_list("SVC", {}, false));
  EXPECT_FALSE(p.community_list("UNDEFINED", {comm(64500, 100)}, false));
}

TEST(LargeCommunityList, Matches) {
  auto c = load("bgp large-community-list standard L permit 64500:1:2\n");
  Policy p(c);
  EXPECT_TRUE(p.large_community_list("L", {{64500, 1, 2}, {7, 7, 7}}, false));
  EXPECT_FALSE(p.large_community_list("L", {{64500, 1, 2}, {7, 7, 7}}, true));
  EXPECT_FALSE(p.large_community_list("L", {{64500, 1, 3}}, false));
}

PathAttributes node_attrs() {
  PathAttributes a;
  a.origin = Origin::Igp;
  a.as_path = AsPath{{{SegmentType::Sequence, {64501}}}};
  a.communities = {comm(64500, 100)};
  a.large_communities = {{64500, 1, 2}};
  return a;
}

constexpr const char* kRouteMaps =
    "ip prefix-list POOL permit 10.0.1.0/24 le 32\n"
    "ipv6 prefix-list POOL6 permit 2001:db8:100::/48 le 128\n"
    "bgp community-list standard SVC permit 64500:100\n"
    "bgp large-community-list standard L permit 64500:1:2\n"
    "route-map IN deny 5\n match community SVC exact-match\n match large-community L exact-match\n"
    " match ip address prefix-list POOL\n"
    "route-map IN permit 10\n match ip address prefix-list POOL\n set local-preference 200\n"
    " set community 64500:300 additive\n set metric 7\n"
    "route-map IN permit 20\n match ipv6 address prefix-list POOL6\n set community none\n"
    " set large-community 1:2:3\n"
    "route-map OUT permit 10\n set community 64512:1 64512:2\n set large-community 64512:0:1 additive\n";

TEST(RouteMap, FirstMatchingEntryDecidesAndSetsApply) {
  auto c = load(kRouteMaps);
  Policy p(c);
  PathAttributes a = node_attrs();
  a.communities.push_back(comm(1, 1));  // not exactly SVC, so seq 5 does not match
  ASSERT_EQ(p.route_map("IN", pfx("10.0.1.5/32"), a), Verdict::Permit);
  EXPECT_EQ(a.local_pref, 200u);
  EXPECT_EQ(a.med, 7u);
  EXPECT_EQ(a.communities, (std::vector<uint32_t>{comm(1, 1), comm(64500, 100), comm(64500, 300)}));  // sorted, unique

  PathAttributes exact = node_attrs();
  EXPECT_EQ(p.route_map("IN", pfx("10.0.1.5/32"), exact), Verdict::Deny);  // seq 5: every match holds
  EXPECT_EQ(exact.local_pref, std::nullopt);                               // a deny sets nothing

  PathAttributes other = node_attrs();
  EXPECT_EQ(p.route_map("IN", pfx("10.9.0.0/16"), other), Verdict::Deny);  // no entry matches

  PathAttributes v6 = node_attrs();
  ASSERT_EQ(p.route_map("IN", pfx("2001:db8:100::5/128"), v6), Verdict::Permit);  // ip prefix-list skips v6
  EXPECT_TRUE(v6.communities.empty());
  EXPECT_EQ(v6.large_communities, (std::vector<LargeCommunity>{{1, 2, 3}}));

  PathAttributes out = node_attrs();
  ASSERT_EQ(p.route_map("OUT", pfx("10.0.1.5/32"), out), Verdict::Permit);
  EXPECT_EQ(out.communities, (std::vector<uint32_t>{comm(64512, 1), comm(64512, 2)}));  // replaced
  EXPECT_EQ(out.large_communities, (std::vector<LargeCommunity>{{64500, 1, 2}, {64512, 0, 1}}));

  PathAttributes none = node_attrs();
  EXPECT_EQ(p.route_map("UNDEFINED", pfx("10.0.1.5/32"), none), Verdict::Deny);
}

TEST(Filters, Rfc8212DeniesEbgpWithoutPolicy) {
  auto c = load(kRouteMaps);
  Policy p(c);
  PathAttributes a = node_attrs();
  EXPECT_EQ(apply_filters(p, {}, true, true, pfx("10.0.1.5/32"), a), Verdict::Deny);
  EXPECT_EQ(apply_filters(p, {}, true, false, pfx("10.0.1.5/32"), a), Verdict::Permit);  // no bgp ebgp-requires-policy
  EXPECT_EQ(apply_filters(p, {}, false, true, pfx("10.0.1.5/32"), a), Verdict::Permit);  // iBGP is exempt
}

TEST(Filters, PrefixListRunsBeforeTheRouteMap) {
  auto c = load(kRouteMaps);
  Policy p(c);
  PathAttributes a = node_attrs();
  a.communities.push_back(comm(1, 1));
  Filters f{"POOL", "IN"};
  EXPECT_EQ(apply_filters(p, f, true, true, pfx("10.0.0.0/8"), a), Verdict::Deny);
  EXPECT_EQ(a.local_pref, std::nullopt);
  EXPECT_EQ(apply_filters(p, f, true, true, pfx("10.0.1.5/32"), a), Verdict::Permit);
  EXPECT_EQ(a.local_pref, 200u);
  EXPECT_EQ(apply_filters(p, Filters{"POOL", {}}, true, true, pfx("10.0.1.5/32"), a), Verdict::Permit);
}

}  // namespace
}  // namespace ridgeline::bgp::policy
