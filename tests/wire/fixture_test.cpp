// Messages captured from real FRR 8.4, BIRD 2.0.12 and GoBGP 3.10 sessions (see
// interop/capture/capture_fixtures.py): each decodes to what the peer was configured to send,
// and survives decode -> encode -> decode.
#include <filesystem>
#include <fstream>

#include "bgpd/wire/names.h"
#include "wire_test_util.h"

namespace ridgeline::bgp {
namespace {
using namespace testing;

constexpr uint32_t kCommunity64500_100 = (64500u << 16) | 100;

Bytes fixture(const std::string& name) {
  std::ifstream in(std::string(RIDGELINE_FIXTURE_DIR) + "/" + name);
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return hex(text);
}

Message decode_fixture(const std::string& name) {
  auto m = decode_message(fixture(name), DecodeContext{});
  if (!m) {
    ADD_FAILURE() << name << ": " << m.error().reason;
    return Keepalive{};
  }
  return *m;
}

Open open_fixture(const std::string& name) {
  auto m = decode_fixture(name);
  EXPECT_TRUE(std::holds_alternative<Open>(m)) << name;
  return std::holds_alternative<Open>(m) ? std::get<Open>(m) : Open{};
}

Update update_fixture(const std::string& name) {
  auto m = decode_fixture(name);
  EXPECT_TRUE(std::holds_alternative<Update>(m)) << name;
  Update u = std::holds_alternative<Update>(m) ? std::get<Update>(m) : Update{};
  EXPECT_FALSE(u.treat_as_withdraw) << name;
  EXPECT_TRUE(u.errors.empty()) << name;
  return u;
}

bool has_family(const Capabilities& c, AfiSafi af) {
  return std::find(c.multiprotocol.begin(), c.multiprotocol.end(), af) != c.multiprotocol.end();
}

void expect_service_attributes(const PathAttributes& a, uint32_t peer_as, Origin origin = Origin::Igp) {
  EXPECT_EQ(a.origin, origin);
  ASSERT_TRUE(a.as_path);
  EXPECT_EQ(a.as_path->to_string(), std::to_string(peer_as));
  EXPECT_EQ(a.communities, std::vector<uint32_t>{kCommunity64500_100});
  EXPECT_EQ(a.large_communities, (std::vector<LargeCommunity>{{64500, 1, 2}}));
}

TEST(Fixtures, FrrOpen) {
  Open o = open_fixture("frr/v4-01-open.hex");
  EXPECT_EQ(o.peer_as(), 64501u);
  EXPECT_EQ(o.hold_time, 180);
  EXPECT_EQ(IpAddress::v4(o.bgp_identifier).to_string(), "192.0.2.2");
  EXPECT_TRUE(has_family(o.capabilities, kIpv4Unicast));
  EXPECT_TRUE(o.capabilities.route_refresh);
  EXPECT_TRUE(o.capabilities.enhanced_route_refresh);
  ASSERT_TRUE(o.capabilities.fqdn);
  EXPECT_EQ(o.capabilities.fqdn->hostname, "node1");
  EXPECT_TRUE(has_family(open_fixture("frr/v6-01-open.hex").capabilities, kIpv6Unicast));
}

TEST(Fixtures, FrrUpdates) {
  Update v4 = update_fixture("frr/v4-02-update.hex");
  ASSERT_EQ(v4.nlri.size(), 1u);
  EXPECT_EQ(v4.nlri[0].prefix, prefix("10.0.1.5/32"));
  EXPECT_EQ(v4.attributes.next_hop, ip("192.0.2.2"));
  EXPECT_EQ(v4.attributes.med, 0u);
  expect_service_attributes(v4.attributes, 64501);
  Update v6 = update_fixture("frr/v6-02-update.hex");
  ASSERT_TRUE(v6.mp_reach);
  EXPECT_EQ(v6.mp_reach->af, kIpv6Unicast);
  EXPECT_EQ(v6.mp_reach->next_hop, ip("2001:db8:ff::2"));
  ASSERT_EQ(v6.mp_reach->nlri.size(), 1u);
  EXPECT_EQ(v6.mp_reach->nlri[0].prefix, prefix("2001:db8:100::5/128"));
  expect_service_attributes(v6.attributes, 64501);
}

TEST(Fixtures, BirdOpenWithFourOctetAs) {
  Open o = open_fixture("bird/v4-01-open.hex");
  EXPECT_EQ(o.my_as, kAsTrans);
  EXPECT_EQ(o.peer_as(), 4200000001u);
  EXPECT_EQ(o.hold_time, 240);
  EXPECT_TRUE(o.capabilities.route_refresh);
  EXPECT_TRUE(o.capabilities.enhanced_route_refresh);
  EXPECT_TRUE(o.capabilities.graceful_restart);
}

TEST(Fixtures, BirdUpdatesAndEndOfRib) {
  Update v4 = update_fixture("bird/v4-02-update.hex");
  ASSERT_EQ(v4.nlri.size(), 1u);
  EXPECT_EQ(v4.nlri[0].prefix, prefix("10.0.1.6/32"));
  EXPECT_EQ(v4.attributes.next_hop, ip("192.0.2.3"));
  expect_service_attributes(v4.attributes, 4200000001u);
  Update v6 = update_fixture("bird/v6-02-update.hex");
  ASSERT_TRUE(v6.mp_reach);
  EXPECT_EQ(v6.mp_reach->next_hop, ip("2001:db8:ff::3"));
  ASSERT_TRUE(v6.mp_reach->link_local_next_hop);
  EXPECT_TRUE(v6.mp_reach->link_local_next_hop->is_link_local());
  EXPECT_EQ(v6.mp_reach->nlri.at(0).prefix, prefix("2001:db8:100::6/128"));
  EXPECT_EQ(update_fixture("bird/v4-03-update.hex").end_of_rib(), kIpv4Unicast);
  EXPECT_EQ(update_fixture("bird/v6-03-update.hex").end_of_rib(), kIpv6Unicast);
}

TEST(Fixtures, GobgpOpenAndUpdates) {
  Open o = open_fixture("gobgp/v4-01-open.hex");
  EXPECT_EQ(o.peer_as(), 64503u);
  EXPECT_EQ(o.hold_time, 90);
  Update v4 = update_fixture("gobgp/v4-02-update.hex");
  EXPECT_EQ(v4.nlri.at(0).prefix, prefix("10.0.1.7/32"));
  EXPECT_EQ(v4.attributes.next_hop, ip("192.0.2.4"));
  expect_service_attributes(v4.attributes, 64503, Origin::Incomplete);  // gobgp's `rib add` default
  Update v6 = update_fixture("gobgp/v6-02-update.hex");
  ASSERT_TRUE(v6.mp_reach);
  EXPECT_EQ(v6.mp_reach->nlri.at(0).prefix, prefix("2001:db8:100::7/128"));
}

TEST(Fixtures, EveryCaptureSurvivesDecodeEncodeDecode) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(RIDGELINE_FIXTURE_DIR)) {
    if (entry.path().extension() != ".hex") continue;
    const std::string name = std::filesystem::relative(entry.path(), RIDGELINE_FIXTURE_DIR).string();
    Message m = decode_fixture(name);
    Bytes again;
    if (auto* o = std::get_if<Open>(&m)) again = encode_open(*o);
    if (auto* u = std::get_if<Update>(&m)) again = encode_update(*u, {});
    if (auto* n = std::get_if<Notification>(&m)) again = encode_notification(*n);
    ASSERT_FALSE(again.empty()) << name;
    auto back = decode_message(again, {});
    ASSERT_TRUE(back) << name << ": " << back.error().reason;
    EXPECT_EQ(*back, m) << name;
    ++count;
  }
  EXPECT_GE(count, 14u);
}

}  // namespace
}  // namespace ridgeline::bgp
