// One test per RFC 7606 rule: each malformed attribute class gets its mandated outcome.
#include "wire_test_util.h"

namespace ridgeline::bgp {
namespace {
using namespace testing;

constexpr uint8_t kWk = 0x40;   // well-known: Transitive
constexpr uint8_t kOt = 0xc0;   // optional transitive
constexpr uint8_t kOnt = 0x80;  // optional non-transitive

Bytes origin(uint8_t v = 0) {
  return attribute(kWk, attr::kOrigin, {v});
}
Bytes as_path(const Bytes& v = hex("02 01 0000fbf4")) {
  return attribute(kWk, attr::kAsPath, v);
}
Bytes next_hop() {
  return attribute(kWk, attr::kNextHop, hex("c0000201"));
}

DecodeContext ibgp() {
  DecodeContext c;
  c.ebgp = false;
  return c;
}

// The UPDATE is kept but every NLRI must be withdrawn; the NLRI are still parsed so they can be.
void expect_withdraw(const Bytes& attrs, uint8_t type, const DecodeContext& ctx = {}) {
  Update u = decode_ok(update_body({}, attrs, nlri_10_0_1_5()), ctx);
  EXPECT_TRUE(u.treat_as_withdraw) << "attribute " << int(type);
  ASSERT_FALSE(u.errors.empty()) << "attribute " << int(type);
  EXPECT_EQ(u.errors[0].action, ErrorAction::TreatAsWithdraw);
  EXPECT_EQ(u.errors[0].attribute, type);
  ASSERT_EQ(u.nlri.size(), 1u);
  EXPECT_EQ(u.nlri[0].prefix, prefix("10.0.1.5/32"));
}

// The attribute is dropped; the rest of the UPDATE is used.
Update expect_discard(const Bytes& attrs, uint8_t type, const DecodeContext& ctx = {}) {
  Update u = decode_ok(update_body({}, attrs, nlri_10_0_1_5()), ctx);
  EXPECT_FALSE(u.treat_as_withdraw) << "attribute " << int(type);
  bool found = false;
  for (const auto& e : u.errors) found |= e.action == ErrorAction::AttributeDiscard && e.attribute == type;
  EXPECT_TRUE(found) << "no attribute-discard note for " << int(type);
  EXPECT_EQ(u.nlri.size(), 1u);
  return u;
}

void expect_reset(const Bytes& body, uint8_t code, uint8_t subcode, const DecodeContext& ctx = {}) {
  auto e = decode_fails(body, ctx);
  EXPECT_EQ(e.action, ErrorAction::SessionReset);
  EXPECT_EQ(e.code, code);
  EXPECT_EQ(e.subcode, subcode);
}

TEST(Rfc7606, WellFormedBaselineDecodesCleanly) {
  Update u = decode_ok(update_body({}, mandatory_attributes(), nlri_10_0_1_5()));
  EXPECT_FALSE(u.treat_as_withdraw);
  EXPECT_TRUE(u.errors.empty());
  EXPECT_EQ(u.attributes.as_path->to_string(), "64500");
}

TEST(Rfc7606, OriginWithBadLengthOrValue_7_1) {
  expect_withdraw(cat({attribute(kWk, attr::kOrigin, hex("0000")), as_path(), next_hop()}), attr::kOrigin);
  expect_withdraw(cat({origin(7), as_path(), next_hop()}), attr::kOrigin);
}

TEST(Rfc7606, MalformedAsPath_7_2) {
  expect_withdraw(cat({origin(), as_path(hex("02 02 0000fbf4")), next_hop()}), attr::kAsPath);     // overrun
  expect_withdraw(cat({origin(), as_path(hex("00 01 0000fbf4")), next_hop()}), attr::kAsPath);     // type 0
  expect_withdraw(cat({origin(), as_path(hex("05 01 0000fbf4")), next_hop()}), attr::kAsPath);     // type 5
  expect_withdraw(cat({origin(), as_path(hex("02 00")), next_hop()}), attr::kAsPath);              // length 0
  expect_withdraw(cat({origin(), as_path(hex("02 01 0000fbf4 02")), next_hop()}), attr::kAsPath);  // 1 byte left
}

TEST(Rfc7606, ConfederationSegmentsFromAnExternalPeer_7_2) {
  Bytes attrs = cat({origin(), as_path(hex("03 01 0000fde8 02 01 0000fbf4")), next_hop()});
  expect_withdraw(attrs, attr::kAsPath);
  EXPECT_FALSE(decode_ok(update_body({}, attrs, nlri_10_0_1_5()), ibgp()).treat_as_withdraw);
}

TEST(Rfc7606, TwoOctetAsPathIsReadWithTheNegotiatedWidth) {
  DecodeContext old;
  old.four_octet_as = false;
  Update u =
      decode_ok(update_body({}, cat({origin(), as_path(hex("02 02 fbf4 5ba0")), next_hop()}), nlri_10_0_1_5()), old);
  EXPECT_EQ(u.attributes.as_path->to_string(), "64500 23456");
}

TEST(Rfc7606, MalformedAs4PathIsDiscarded_RFC6793) {
  Update u = expect_discard(cat({mandatory_attributes(), attribute(kOt, attr::kAs4Path, hex("02 05 00000001"))}),
                            attr::kAs4Path);
  EXPECT_FALSE(u.attributes.as4_path);
  // Confederation segments have no place in AS4_PATH.
  expect_discard(cat({mandatory_attributes(), attribute(kOt, attr::kAs4Path, hex("03 01 00000001"))}), attr::kAs4Path);
}

TEST(Rfc7606, NextHopWithBadLength_7_3) {
  expect_withdraw(cat({origin(), as_path(), attribute(kWk, attr::kNextHop, hex("c000020101"))}), attr::kNextHop);
}

TEST(Rfc7606, NextHopThatIsNotAHostAddress_7_3) {
  for (const char* nh : {"00000000", "7f000001", "e0000005", "ffffffff", "00010203"}) {
    Bytes attrs = cat({origin(), as_path(), attribute(kWk, attr::kNextHop, hex(nh))});
    Update u = decode_ok(update_body({}, attrs, nlri_10_0_1_5()));
    EXPECT_TRUE(u.treat_as_withdraw) << nh;
    ASSERT_EQ(u.errors.size(), 1u) << nh;
    EXPECT_EQ(u.errors[0].subcode, update_subcode::kInvalidNextHop) << nh;
  }
  // The same for an IPv6 MP_REACH next hop (here ::1).
  Bytes mp = hex("0002 01 10 00000000000000000000000000000001 00 80 20010db8000000000000000000000001");
  EXPECT_TRUE(decode_ok(update_body({}, cat({origin(), as_path(), attribute(kOnt, attr::kMpReachNlri, mp)}), {}))
                  .treat_as_withdraw);
  // A NEXT_HOP beside MP_REACH-only NLRI is not used, so it is not judged.
  Bytes mp_ok = hex("0002 01 10 20010db8000000000000000000000001 00 80 20010db8000000000000000000000001");
  EXPECT_FALSE(decode_ok(update_body({},
                                     cat({origin(), as_path(), attribute(kWk, attr::kNextHop, hex("00000000")),
                                          attribute(kOnt, attr::kMpReachNlri, mp_ok)}),
                                     {}))
                   .treat_as_withdraw);
}

TEST(Rfc7606, MedWithBadLength_7_4) {
  expect_withdraw(cat({mandatory_attributes(), attribute(kOnt, attr::kMultiExitDisc, hex("000001"))}),
                  attr::kMultiExitDisc);
}

TEST(Rfc7606, LocalPrefFromExternalPeerIsIgnored_7_5) {
  Update u = decode_ok(update_body({}, cat({mandatory_attributes(), attribute(kWk, attr::kLocalPref, hex("000000c8"))}),
                                   nlri_10_0_1_5()));
  EXPECT_FALSE(u.attributes.local_pref);
  EXPECT_FALSE(u.treat_as_withdraw);
  Update internal =
      decode_ok(update_body({}, cat({mandatory_attributes(), attribute(kWk, attr::kLocalPref, hex("000000c8"))}),
                            nlri_10_0_1_5()),
                ibgp());
  EXPECT_EQ(internal.attributes.local_pref, 200u);
  expect_withdraw(cat({mandatory_attributes(), attribute(kWk, attr::kLocalPref, hex("00c8"))}), attr::kLocalPref,
                  ibgp());
}

TEST(Rfc7606, AtomicAggregateWithALengthIsDiscarded_7_6) {
  Update u = expect_discard(cat({mandatory_attributes(), attribute(kWk, attr::kAtomicAggregate, hex("01"))}),
                            attr::kAtomicAggregate);
  EXPECT_FALSE(u.attributes.atomic_aggregate);
}

TEST(Rfc7606, AggregatorWithBadLengthIsDiscarded_7_7) {
  Update u = expect_discard(cat({mandatory_attributes(), attribute(kOt, attr::kAggregator, hex("0000fbf4 0a0000"))}),
                            attr::kAggregator);
  EXPECT_FALSE(u.attributes.aggregator);
  // 6 bytes is right only for a 2-octet session.
  expect_discard(cat({mandatory_attributes(), attribute(kOt, attr::kAggregator, hex("fbf4 0a000001"))}),
                 attr::kAggregator);
  DecodeContext old;
  old.four_octet_as = false;
  Update ok = decode_ok(
      update_body({}, cat({mandatory_attributes_2octet(), attribute(kOt, attr::kAggregator, hex("fbf4 0a000001"))}),
                  nlri_10_0_1_5()),
      old);
  EXPECT_EQ(ok.attributes.aggregator->asn, 64500u);
  expect_discard(cat({mandatory_attributes(), attribute(kOt, attr::kAs4Aggregator, hex("fbf4 0a000001"))}),
                 attr::kAs4Aggregator);
}

TEST(Rfc7606, CommunitiesNotAMultipleOfFour_7_8) {
  expect_withdraw(cat({mandatory_attributes(), attribute(kOt, attr::kCommunities, hex("fbf40064 00"))}),
                  attr::kCommunities);
  expect_withdraw(cat({mandatory_attributes(), attribute(kOt, attr::kCommunities, {})}), attr::kCommunities);
}

TEST(Rfc7606, OriginatorIdAndClusterListLengths_7_9_7_10) {
  expect_withdraw(cat({mandatory_attributes(), attribute(kOnt, attr::kOriginatorId, hex("0a0000"))}),
                  attr::kOriginatorId, ibgp());
  expect_withdraw(cat({mandatory_attributes(), attribute(kOnt, attr::kClusterList, hex("0a000001 0a00"))}),
                  attr::kClusterList, ibgp());
}

TEST(Rfc7606, ExtendedCommunitiesNotAMultipleOfEight_7_14) {
  expect_withdraw(cat({mandatory_attributes(), attribute(kOt, attr::kExtCommunities, hex("0002fbf4 00000064 0102"))}),
                  attr::kExtCommunities);
}

TEST(Rfc7606, LargeCommunitiesOfLength13_RFC8092) {
  expect_withdraw(
      cat({mandatory_attributes(), attribute(kOt, attr::kLargeCommunities, hex("0000fbf4 00000001 00000002 ff"))}),
      attr::kLargeCommunities);
}

TEST(Rfc7606, CorruptedTunnelEncapsulationIsWithdrawNotReset_CVE_2023_38802) {
  // Tunnel type 8 (VXLAN) claims 10 bytes of sub-TLVs but has 3.
  expect_withdraw(cat({mandatory_attributes(), attribute(kOt, attr::kTunnelEncap, hex("0008 000a 01 01 00"))}),
                  attr::kTunnelEncap);
  // A sub-TLV that overruns its tunnel TLV.
  expect_withdraw(cat({mandatory_attributes(), attribute(kOt, attr::kTunnelEncap, hex("0008 0003 01 05 00"))}),
                  attr::kTunnelEncap);
  Update ok = decode_ok(
      update_body({}, cat({mandatory_attributes(), attribute(kOt, attr::kTunnelEncap, hex("0008 0003 01 01 00"))}),
                  nlri_10_0_1_5()));
  EXPECT_FALSE(ok.treat_as_withdraw);
  ASSERT_EQ(ok.attributes.other.size(), 1u);
  EXPECT_EQ(ok.attributes.other[0].type, attr::kTunnelEncap);
}

TEST(Rfc7606, WrongFlagsUseTheAttributesOwnApproach_3c) {
  expect_withdraw(cat({attribute(kOt, attr::kOrigin, {0}), as_path(), next_hop()}), attr::kOrigin);
  expect_withdraw(cat({mandatory_attributes(), attribute(kOt, attr::kMultiExitDisc, hex("00000001"))}),
                  attr::kMultiExitDisc);
  expect_discard(cat({mandatory_attributes(), attribute(kWk, attr::kAggregator, hex("0000fbf4 0a000001"))}),
                 attr::kAggregator);
  Bytes mp = hex("0002 01 10 20010db8000000000000000000000001 00 80 20010db8000000000000000000000001");
  expect_reset(update_body({}, cat({origin(), as_path(), attribute(kOt, attr::kMpReachNlri, mp)}), {}), 3, 1);
}

TEST(Rfc7606, DuplicateAttributeKeepsTheFirst_3g) {
  Bytes attrs = cat({mandatory_attributes(), attribute(kOt, attr::kCommunities, hex("fbf40064")),
                     attribute(kOt, attr::kCommunities, hex("fbf400c8"))});
  Update u = expect_discard(attrs, attr::kCommunities);
  EXPECT_EQ(u.attributes.communities, std::vector<uint32_t>{0xfbf40064});
}

TEST(Rfc7606, DuplicateMpReachOrUnreachResets_3g) {
  Bytes mp = hex("0002 01 10 20010db8000000000000000000000001 00 80 20010db8000000000000000000000001");
  expect_reset(update_body({},
                           cat({origin(), as_path(), attribute(kOnt, attr::kMpReachNlri, mp),
                                attribute(kOnt, attr::kMpReachNlri, mp)}),
                           {}),
               3, 1);
  Bytes un = hex("0002 01");
  expect_reset(
      update_body({}, cat({attribute(kOnt, attr::kMpUnreachNlri, un), attribute(kOnt, attr::kMpUnreachNlri, un)}), {}),
      3, 1);
}

TEST(Rfc7606, MalformedMpReachResets_7_11) {
  // Next hop length 9.
  Bytes nh9 = hex("0002 01 09 20010db80000000000 00 80 20010db8000000000000000000000001");
  expect_reset(update_body({}, cat({origin(), as_path(), attribute(kOnt, attr::kMpReachNlri, nh9)}), {}), 3, 1);
  // Truncated before the reserved octet.
  Bytes cut = hex("0002 01 10 20010db8");
  expect_reset(update_body({}, cat({origin(), as_path(), attribute(kOnt, attr::kMpReachNlri, cut)}), {}), 3, 1);
  // MP_UNREACH without its SAFI.
  expect_reset(update_body({}, attribute(kOnt, attr::kMpUnreachNlri, hex("0002")), {}), 3, 1);
  // An IPv4 next hop for IPv6 NLRI.
  Bytes v4nh = hex("0002 01 04 0a000001 00 80 20010db8000000000000000000000001");
  expect_reset(update_body({}, cat({origin(), as_path(), attribute(kOnt, attr::kMpReachNlri, v4nh)}), {}), 3, 1);
}

TEST(Rfc7606, MissingMandatoryAttributeWithNlri_3d) {
  Update u = decode_ok(update_body({}, cat({as_path(), next_hop()}), nlri_10_0_1_5()));
  EXPECT_TRUE(u.treat_as_withdraw);
  ASSERT_EQ(u.errors.size(), 1u);
  EXPECT_EQ(u.errors[0].subcode, 3);
  EXPECT_EQ(u.errors[0].data, Bytes{attr::kOrigin});
  EXPECT_TRUE(decode_ok(update_body({}, cat({origin(), next_hop()}), nlri_10_0_1_5())).treat_as_withdraw);
  EXPECT_TRUE(decode_ok(update_body({}, cat({origin(), as_path()}), nlri_10_0_1_5())).treat_as_withdraw);
}

TEST(Rfc7606, MpReachNeedsNoNextHopAttribute) {
  Bytes mp = hex("0002 01 10 20010db8000000000000000000000001 00 80 20010db8000000000000000000000001");
  Update u = decode_ok(update_body({}, cat({origin(), as_path(), attribute(kOnt, attr::kMpReachNlri, mp)}), {}));
  EXPECT_FALSE(u.treat_as_withdraw);
  ASSERT_TRUE(u.mp_reach);
  EXPECT_EQ(u.mp_reach->nlri.size(), 1u);
  // ...but it does need ORIGIN and AS_PATH.
  EXPECT_TRUE(
      decode_ok(update_body({}, cat({origin(), attribute(kOnt, attr::kMpReachNlri, mp)}), {})).treat_as_withdraw);
}

TEST(Rfc7606, NlriWithZeroAttributeLength_5) {
  Update u = decode_ok(update_body({}, {}, nlri_10_0_1_5()));
  EXPECT_TRUE(u.treat_as_withdraw);
  EXPECT_EQ(u.nlri.size(), 1u);
}

TEST(Rfc7606, TotalAttributeLengthInConflictWithTheAttributes_4) {
  // The last attribute claims more than the attribute section holds.
  Bytes overrun = cat({mandatory_attributes(), hex("c0 08 08 fbf40064")});
  expect_withdraw(overrun, attr::kCommunities);
  // Fewer than three bytes left where an attribute should start.
  Bytes stub = cat({mandatory_attributes(), hex("c0 08")});
  Update u = decode_ok(update_body({}, stub, nlri_10_0_1_5()));
  EXPECT_TRUE(u.treat_as_withdraw);
  EXPECT_EQ(u.nlri.size(), 1u);
  // An MP attribute cut this way hides NLRI we cannot withdraw: reset.
  Bytes mp_cut = cat({origin(), as_path(), hex("80 0e 30 0002 01 10")});
  expect_reset(update_body({}, mp_cut, {}), 3, 1);
}

TEST(Rfc7606, LengthsBeyondTheMessageReset) {
  Bytes body = update_body({}, mandatory_attributes(), nlri_10_0_1_5());
  body[2] = 0xff;  // total path attribute length far past the end
  expect_reset(body, 3, 1);
  Bytes w = update_body(hex("20 0a000105"), {}, {});
  w[1] = 0x40;  // withdrawn routes length past the end
  expect_reset(w, 3, 1);
}

TEST(Rfc7606, EveryTruncationOfAGoodUpdateIsHandledWithoutOverread) {
  Update u;
  u.attributes.origin = Origin::Igp;
  u.attributes.as_path = AsPath{{{SegmentType::Sequence, {64500}}}};
  u.attributes.communities = {1, 2};
  u.attributes.large_communities = {{1, 2, 3}};
  u.mp_reach = MpReach{kIpv6Unicast, ip("2001:db8::1"), ip("fe80::1"), {{prefix("2001:db8::5/128"), 0}}, true};
  Bytes wire = encode_update(u, {});
  Bytes body(wire.begin() + 19, wire.end());
  ASSERT_TRUE(decode_update(body, {}));
  for (size_t cut = 0; cut < body.size(); ++cut) {
    auto r = decode_update(ByteSpan(body).first(cut), {});
    // A cut body either fails or comes back as a withdraw or without the cut-off parts; never
    // as the original update.
    EXPECT_TRUE(!r || !(*r == u)) << cut;
  }
}

// `bgp limit attributes` and `bgp limit communities`: beyond them, treat-as-withdraw.
TEST(Limits, MorePathAttributesThanTheLimitWithdraws) {
  Bytes attrs = mandatory_attributes();
  for (uint8_t type = 100; type < 103; ++type) attrs = cat({attrs, attribute(kOt, type, {1})});  // 6 in all
  DecodeContext ctx;
  ctx.max_attributes = 6;
  Update u = decode_ok(update_body({}, attrs, nlri_10_0_1_5()), ctx);
  EXPECT_FALSE(u.treat_as_withdraw);
  ctx.max_attributes = 5;
  expect_withdraw(attrs, 0, ctx);
}

TEST(Limits, MoreCommunityValuesThanTheLimitWithdraws) {
  const Bytes five = attribute(kOt, attr::kCommunities, hex("fde80001 fde80002 fde80003 fde80004 fde80005"));
  const Bytes one_large = attribute(kOt, attr::kLargeCommunities, hex("0000fde8 00000001 00000002"));
  const Bytes attrs = cat({mandatory_attributes(), five, one_large});
  DecodeContext ctx;
  ctx.max_communities = 6;
  Update u = decode_ok(update_body({}, attrs, nlri_10_0_1_5()), ctx);
  EXPECT_FALSE(u.treat_as_withdraw);
  EXPECT_EQ(u.attributes.communities.size(), 5u);
  ctx.max_communities = 5;
  expect_withdraw(attrs, attr::kCommunities, ctx);
}

}  // namespace
}  // namespace ridgeline::bgp
