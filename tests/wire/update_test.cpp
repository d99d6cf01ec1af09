// UPDATE encode/decode (RFC 4271 §4.3, RFC 4760, RFC 7911, RFC 4724 End-of-RIB) and packing.
#include <set>

#include "wire_test_util.h"

namespace ridgeline::bgp {
namespace {
using namespace testing;

PathAttributes rich_attributes() {
  PathAttributes a;
  a.origin = Origin::Incomplete;
  a.as_path = AsPath{{{SegmentType::Sequence, {64500, 4200000001u}}, {SegmentType::Set, {65001, 65002}}}};
  a.next_hop = ip("10.0.0.11");
  a.med = 50;
  a.atomic_aggregate = true;
  a.aggregator = Aggregator{4200000001u, 0x0a00000b};
  a.communities = {(64500u << 16) | 100, 0xffffff01};
  a.ext_communities = {0x0002fbf400000064ull};
  a.large_communities = {{64500, 1, 2}, {4200000001u, 7, 8}};
  a.other = {{attr_flag::kOptional | attr_flag::kTransitive | attr_flag::kPartial, 99, hex("deadbeef")}};
  return a;
}

Update round_trip(const Update& u, const DecodeContext& dctx = {}, const EncodeContext& ectx = {}) {
  Bytes wire = encode_update(u, ectx);
  auto m = decode_message(wire, dctx);
  if (!m) {
    ADD_FAILURE() << m.error().reason;
    return {};
  }
  return std::get<Update>(*m);
}

TEST(Update, RoundTripsEveryAttributeOverEbgp) {
  Update u;
  u.attributes = rich_attributes();
  u.nlri = {{prefix("10.0.1.5/32"), 0}, {prefix("10.0.1.0/24"), 0}, {prefix("0.0.0.0/0"), 0}};
  u.withdrawn = {{prefix("10.9.0.0/16"), 0}};
  Update back = round_trip(u);
  EXPECT_EQ(back, u);
  EXPECT_FALSE(back.treat_as_withdraw);
  EXPECT_TRUE(back.errors.empty());
}

TEST(Update, RoundTripsIbgpAttributes) {
  Update u;
  u.attributes = rich_attributes();
  u.attributes.local_pref = 200;
  u.attributes.originator_id = 0x0a000063;
  u.attributes.cluster_list = {0x01010101, 0x02020202};
  u.attributes.as_path = AsPath{{{SegmentType::ConfedSequence, {65010}}, {SegmentType::Sequence, {64500}}}};
  u.nlri = {{prefix("10.0.1.5/32"), 0}};
  DecodeContext ibgp;
  ibgp.ebgp = false;
  EXPECT_EQ(round_trip(u, ibgp), u);
}

TEST(Update, Ipv6InMpReachWithGlobalAndLinkLocalNextHop) {
  Update u;
  u.attributes.origin = Origin::Igp;
  u.attributes.as_path = AsPath{{{SegmentType::Sequence, {64501}}}};
  u.mp_reach = MpReach{kIpv6Unicast,
                       ip("2001:db8::11"),
                       ip("fe80::11"),
                       {{prefix("2001:db8:100::5/128"), 0}, {prefix("2001:db8:100::/48"), 0}},
                       true};
  u.mp_unreach = MpUnreach{kIpv6Unicast, {{prefix("2001:db8:dead::/64"), 0}}, true};
  Bytes wire = encode_update(u, {});
  Update back = round_trip(u);
  EXPECT_EQ(back, u);
  ASSERT_TRUE(back.mp_reach);
  EXPECT_EQ(back.mp_reach->link_local_next_hop, ip("fe80::11"));
}

TEST(Update, AddPathIdsTravelWithTheirPrefixes) {
  Update u;
  u.attributes.origin = Origin::Igp;
  u.attributes.as_path = AsPath{};
  u.attributes.next_hop = ip("10.0.0.1");
  u.nlri = {{prefix("10.0.1.5/32"), 1}, {prefix("10.0.1.5/32"), 2}};
  u.mp_reach = MpReach{kIpv6Unicast, ip("2001:db8::1"), std::nullopt, {{prefix("2001:db8::5/128"), 7}}, true};
  DecodeContext d;
  d.add_path_receive = {kIpv4Unicast, kIpv6Unicast};
  EncodeContext e;
  e.add_path_send = {kIpv4Unicast, kIpv6Unicast};
  EXPECT_EQ(round_trip(u, d, e), u);
  // The same bytes without add-path negotiated do not parse as the same prefixes.
  Bytes wire = encode_update(u, e);
  auto plain = decode_message(wire, DecodeContext{});
  EXPECT_TRUE(!plain || !(std::get<Update>(*plain) == u));
}

TEST(Update, TwoOctetPeerGetsAsTransAndAs4PathAndReconcilesBack) {
  PathAttributes a;
  a.origin = Origin::Igp;
  a.as_path = AsPath{{{SegmentType::Sequence, {4200000001u, 64500, 4200000002u}}}};
  a.aggregator = Aggregator{4200000009u, 0x0a000001};
  a.next_hop = ip("10.0.0.1");
  Update u;
  u.attributes = a;
  u.nlri = {{prefix("10.0.1.5/32"), 0}};
  EncodeContext old_peer;
  old_peer.four_octet_as = false;
  DecodeContext from_old;
  from_old.four_octet_as = false;
  Update back = round_trip(u, from_old, old_peer);
  ASSERT_TRUE(back.attributes.as_path);
  EXPECT_EQ(back.attributes.as_path->segments[0].asns, (std::vector<uint32_t>{kAsTrans, 64500, kAsTrans}));
  ASSERT_TRUE(back.attributes.as4_path);
  EXPECT_EQ(back.attributes.aggregator->asn, kAsTrans);
  ASSERT_TRUE(back.attributes.as4_aggregator);
  reconcile_as4(back.attributes, false);
  EXPECT_EQ(back.attributes, a);
}

TEST(Update, ReconcileAs4PrependsAsnsAddedByOldSpeakers) {
  PathAttributes a;
  // An OLD speaker 65010 prepended itself to a path that has a 4-octet AS further on.
  a.as_path = AsPath{{{SegmentType::Sequence, {65010, kAsTrans, 64500}}}};
  a.as4_path = AsPath{{{SegmentType::Sequence, {4200000001u, 64500}}}};
  reconcile_as4(a, false);
  EXPECT_EQ(a.as_path->to_string(), "65010 4200000001 64500");
  EXPECT_FALSE(a.as4_path);
}

TEST(Update, ReconcileAs4IgnoresALongerAs4PathAndStaleAggregators) {
  PathAttributes longer;
  longer.as_path = AsPath{{{SegmentType::Sequence, {64500}}}};
  longer.as4_path = AsPath{{{SegmentType::Sequence, {4200000001u, 64501}}}};
  reconcile_as4(longer, false);
  EXPECT_EQ(longer.as_path->to_string(), "64500");

  PathAttributes stale;
  stale.as_path = AsPath{{{SegmentType::Sequence, {kAsTrans}}}};
  stale.as4_path = AsPath{{{SegmentType::Sequence, {4200000001u}}}};
  stale.aggregator = Aggregator{65020, 1};  // aggregated by an OLD speaker
  stale.as4_aggregator = Aggregator{4200000001u, 2};
  reconcile_as4(stale, false);
  EXPECT_EQ(stale.as_path->to_string(), "23456");
  EXPECT_EQ(stale.aggregator->asn, 65020u);

  PathAttributes from_new;  // RFC 6793 §6: a NEW speaker must not send AS4_PATH; discard it
  from_new.as_path = AsPath{{{SegmentType::Sequence, {64500}}}};
  from_new.as4_path = AsPath{{{SegmentType::Sequence, {1, 2}}}};
  reconcile_as4(from_new, true);
  EXPECT_FALSE(from_new.as4_path);
  EXPECT_EQ(from_new.as_path->to_string(), "64500");
}

TEST(Update, NlriHostBitsAreMasked) {
  Bytes body = update_body({}, mandatory_attributes(), hex("18 0a0001"));
  Bytes sloppy = update_body({}, mandatory_attributes(), hex("17 0a0001"));  // /23 with a host bit
  EXPECT_EQ(decode_ok(body).nlri[0].prefix, prefix("10.0.1.0/24"));
  EXPECT_EQ(decode_ok(sloppy).nlri[0].prefix, prefix("10.0.0.0/23"));
}

TEST(Update, Ipv4PrefixLongerThan32IsInvalidNetworkField) {
  auto e = decode_fails(update_body({}, mandatory_attributes(), hex("21 0a00010500")));
  EXPECT_EQ(e.action, ErrorAction::SessionReset);
  EXPECT_EQ(e.code, 3);
  EXPECT_EQ(e.subcode, 10);
  auto w = decode_fails(update_body(hex("21 0a00010500"), {}, {}));
  EXPECT_EQ(w.subcode, 10);
  auto cut = decode_fails(update_body({}, mandatory_attributes(), hex("20 0a0001")));
  EXPECT_EQ(cut.subcode, 10);
}

TEST(Update, Ipv6PrefixLongerThan128InMpReachResetsTheSession) {
  Bytes mp = hex("0002 01 10 20010db8000000000000000000000001 00 81 20010db8000000000000000000000001 00");
  auto e = decode_fails(update_body({}, cat({mandatory_attributes(), attribute(0x80, attr::kMpReachNlri, mp)}), {}));
  EXPECT_EQ(e.code, 3);
  EXPECT_EQ(e.subcode, 1);
}

TEST(Update, UnknownFamilyInMpReachIsCarriedUnparsed) {
  Bytes mp = hex("0019 46 04 0a000001 00 aabbcc");  // L2VPN EVPN, not ours to parse
  Update u = decode_ok(update_body({}, cat({mandatory_attributes(), attribute(0x80, attr::kMpReachNlri, mp)}), {}));
  ASSERT_TRUE(u.mp_reach);
  EXPECT_FALSE(u.mp_reach->nlri_parsed);
  EXPECT_FALSE(u.treat_as_withdraw);
}

TEST(Update, UnknownOptionalTransitiveIsPassedOnWithThePartialBit) {
  Bytes attrs = cat({mandatory_attributes(), attribute(0xc0, 99, hex("0102"))});
  Update u = decode_ok(update_body({}, attrs, nlri_10_0_1_5()));
  ASSERT_EQ(u.attributes.other.size(), 1u);
  EXPECT_EQ(u.attributes.other[0].flags, 0xc0);
  Bytes out = encode_update(u, {});
  Update again = std::get<Update>(*decode_message(out, {}));
  ASSERT_EQ(again.attributes.other.size(), 1u);
  EXPECT_EQ(again.attributes.other[0].flags, 0xe0);  // Optional | Transitive | Partial
  EXPECT_EQ(again.attributes.other[0].value, hex("0102"));
}

TEST(Update, UnknownOptionalNonTransitiveIsDropped) {
  Update u = decode_ok(update_body({}, cat({mandatory_attributes(), attribute(0x80, 99, hex("01"))}), nlri_10_0_1_5()));
  EXPECT_TRUE(u.attributes.other.empty());
  EXPECT_FALSE(u.treat_as_withdraw);
}

TEST(Update, UnknownWellKnownResetsWithTheAttributeAsData) {
  auto e =
      decode_fails(update_body({}, cat({mandatory_attributes(), attribute(0x40, 99, hex("01"))}), nlri_10_0_1_5()));
  EXPECT_EQ(e.code, 3);
  EXPECT_EQ(e.subcode, 2);
  EXPECT_EQ(e.data, hex("40 63 01 01"));
}

TEST(Update, EndOfRibForEachFamily) {
  Bytes v4 = encode_end_of_rib(kIpv4Unicast);
  EXPECT_EQ(v4.size(), 23u);
  auto m4 = decode_message(v4, {});
  ASSERT_TRUE(m4);
  EXPECT_EQ(std::get<Update>(*m4).end_of_rib(), kIpv4Unicast);
  auto m6 = decode_message(encode_end_of_rib(kIpv6Unicast), {});
  ASSERT_TRUE(m6);
  EXPECT_EQ(std::get<Update>(*m6).end_of_rib(), kIpv6Unicast);
  Update real;
  real.withdrawn = {{prefix("10.0.0.0/8"), 0}};
  EXPECT_FALSE(real.end_of_rib());
}

std::vector<Nlri> host_routes(size_t count, Family family) {
  std::vector<Nlri> out;
  for (size_t i = 0; i < count; ++i) {
    if (family == Family::V4) {
      out.push_back({Prefix(IpAddress::v4(0x0a000000u + static_cast<uint32_t>(i)), 32), 0});
    } else {
      auto a = ip("2001:db8::").raw();
      a[12] = static_cast<uint8_t>(i >> 24), a[13] = static_cast<uint8_t>(i >> 16);
      a[14] = static_cast<uint8_t>(i >> 8), a[15] = static_cast<uint8_t>(i);
      out.push_back({Prefix(IpAddress::from_bytes(Family::V6, a), 128), 0});
    }
  }
  return out;
}

void expect_packed(const std::vector<Bytes>& messages, const std::vector<Nlri>& nlri, size_t limit,
                   const DecodeContext& ctx, bool withdraw) {
  std::vector<Nlri> seen;
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    EXPECT_LE(m.size(), limit);
    auto d = decode_message(m, ctx);
    ASSERT_TRUE(d) << d.error().reason;
    const Update& u = std::get<Update>(*d);
    EXPECT_FALSE(u.treat_as_withdraw);
    const auto& part =
        withdraw ? (u.mp_unreach ? u.mp_unreach->withdrawn : u.withdrawn) : (u.mp_reach ? u.mp_reach->nlri : u.nlri);
    seen.insert(seen.end(), part.begin(), part.end());
    // Every message but the last is full: the next NLRI would not have fit.
    if (i + 1 < messages.size()) {
      EXPECT_GT(m.size() + 1 + (nlri[seen.size()].prefix.length() + 7u) / 8u, limit);
    }
  }
  EXPECT_EQ(seen, nlri);
}

TEST(Update, AnnouncementsPackAboutEightHundredHostRoutesPerMessage) {
  PathAttributes a;
  a.origin = Origin::Igp;
  a.as_path = AsPath{{{SegmentType::Sequence, {64500}}}};
  a.next_hop = ip("10.0.0.11");
  a.communities = {(64500u << 16) | 100};
  auto nlri = host_routes(10000, Family::V4);
  auto messages = encode_announcements(a, kIpv4Unicast, {}, nlri, {});
  // 27 bytes of attributes leave (4096 - 19 - 2 - 2 - 27) / 5 = 809 host routes per message.
  EXPECT_EQ(messages.size(), (10000 + 808) / 809);
  expect_packed(messages, nlri, 4096, {}, false);
}

TEST(Update, ExtendedMessagesPackMore) {
  PathAttributes a;
  a.origin = Origin::Igp;
  a.as_path = AsPath{};
  a.next_hop = ip("10.0.0.11");
  auto nlri = host_routes(30000, Family::V4);
  EncodeContext e;
  e.extended_message = true;
  DecodeContext d;
  d.extended_message = true;
  auto messages = encode_announcements(a, kIpv4Unicast, {}, nlri, e);
  EXPECT_EQ(messages.size(), 3u);
  expect_packed(messages, nlri, 65535, d, false);
}

TEST(Update, Ipv6AnnouncementsAndWithdrawalsPackIntoMpAttributes) {
  PathAttributes a;
  a.origin = Origin::Igp;
  a.as_path = AsPath{{{SegmentType::Sequence, {64500}}}};
  auto nlri = host_routes(2000, Family::V6);
  auto messages = encode_announcements(a, kIpv6Unicast, {ip("2001:db8::11"), ip("fe80::11")}, nlri, {});
  EXPECT_GT(messages.size(), 1u);
  expect_packed(messages, nlri, 4096, {}, false);
  auto withdrawals = encode_withdrawals(kIpv6Unicast, nlri, {});
  expect_packed(withdrawals, nlri, 4096, {}, true);
  auto v4 = host_routes(3000, Family::V4);
  expect_packed(encode_withdrawals(kIpv4Unicast, v4, {}), v4, 4096, {}, true);
}

TEST(Update, AttributesThatCannotFitProduceNoMessage) {
  PathAttributes a;
  a.origin = Origin::Igp;
  a.as_path = AsPath{};
  a.next_hop = ip("10.0.0.11");
  a.communities.assign(1100, 1);  // 4400 bytes
  EXPECT_TRUE(encode_announcements(a, kIpv4Unicast, {}, host_routes(1, Family::V4), {}).empty());
}

TEST(Update, LongAsPathSplitsIntoSegmentsOf255) {
  Update u;
  u.attributes.origin = Origin::Igp;
  u.attributes.next_hop = ip("10.0.0.1");
  AsPath long_path;
  long_path.segments.push_back({SegmentType::Sequence, std::vector<uint32_t>(300, 64500)});
  u.attributes.as_path = long_path;
  u.nlri = {{prefix("10.0.1.5/32"), 0}};
  Update back = round_trip(u);
  ASSERT_EQ(back.attributes.as_path->segments.size(), 2u);
  EXPECT_EQ(back.attributes.as_path->path_length(), 300u);
}

}  // namespace
}  // namespace ridgeline::bgp
