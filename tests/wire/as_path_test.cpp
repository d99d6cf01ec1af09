// AS_PATH helpers (RFC 4271 §9.1.2.2, RFC 5065 §5.3) and NOTIFICATION names for logs.
#include "bgpd/wire/names.h"
#include "wire_test_util.h"

namespace ridgeline::bgp {
namespace {
using namespace testing;

TEST(AsPath, LengthCountsASetAsOneAndConfederationsAsZero) {
  AsPath p{{{SegmentType::ConfedSequence, {65010, 65011}},
            {SegmentType::Sequence, {64500, 64501}},
            {SegmentType::Set, {1, 2, 3}},
            {SegmentType::ConfedSet, {65012}}}};
  EXPECT_EQ(p.path_length(), 3u);
  EXPECT_EQ(p.to_string(), "(65010 65011) 64500 64501 {1,2,3} [65012]");
  EXPECT_TRUE(p.contains(2));
  EXPECT_TRUE(p.contains(65011));
  EXPECT_FALSE(p.contains(4));
  EXPECT_EQ(p.first_as(), std::nullopt);  // leftmost segment is a confederation
  EXPECT_EQ(AsPath({{{SegmentType::Sequence, {64500, 1}}}}).first_as(), 64500u);
  EXPECT_EQ(AsPath{}.path_length(), 0u);
  EXPECT_EQ(AsPath{}.to_string(), "");
}

TEST(AsPath, EverySegmentTypeRoundTripsOverIbgp) {
  Update u;
  u.attributes.origin = Origin::Egp;
  u.attributes.next_hop = ip("10.0.0.1");
  u.attributes.as_path = AsPath{{{SegmentType::ConfedSet, {65012, 65013}},
                                 {SegmentType::ConfedSequence, {65010}},
                                 {SegmentType::Sequence, {64500}},
                                 {SegmentType::Set, {7, 8}}}};
  u.nlri = {{prefix("10.0.1.5/32"), 0}};
  DecodeContext ibgp;
  ibgp.ebgp = false;
  auto m = decode_message(encode_update(u, {}), ibgp);
  ASSERT_TRUE(m);
  EXPECT_EQ(std::get<Update>(*m), u);
}

TEST(Names, DescribesNotificationsWithNamesAndNumbers) {
  EXPECT_EQ(describe({6, 10, {}}), "Cease/BFD Down (6/10)");
  EXPECT_EQ(describe({4, 0, {}}), "Hold Timer Expired/Unspecific (4/0)");
  EXPECT_EQ(describe({3, 1, {}}), "UPDATE Message Error/Malformed Attribute List (3/1)");
  EXPECT_EQ(describe({2, 6, {}}), "OPEN Message Error/Unacceptable Hold Time (2/6)");
  EXPECT_EQ(describe({1, 2, hex("1001")}), "Message Header Error/Bad Message Length (1/2)");
  EXPECT_EQ(describe({5, 2, {}}), "Finite State Machine Error/Unexpected Message in OpenConfirm State (5/2)");
  EXPECT_EQ(describe({99, 1, {}}), "Unknown Error/Unknown Subcode (99/1)");
}

TEST(Names, ShowsTheShutdownCommunication) {
  Bytes data{5, 'm', 'a', 'i', 'n', 't'};
  EXPECT_EQ(describe({6, 2, data}), "Cease/Administrative Shutdown (6/2): \"maint\"");
  // A length that overruns the data is not trusted.
  EXPECT_EQ(describe({6, 2, Bytes{9, 'x'}}), "Cease/Administrative Shutdown (6/2)");
  // Control characters are not passed to the log.
  EXPECT_EQ(describe({6, 4, Bytes{2, 'a', '\n'}}), "Cease/Administrative Reset (6/4): \"a?\"");
}

TEST(Names, AttributeAndCapabilityNames) {
  EXPECT_EQ(attribute_name(attr::kLargeCommunities), "LARGE_COMMUNITIES");
  EXPECT_EQ(attribute_name(attr::kTunnelEncap), "TUNNEL_ENCAPSULATION");
  EXPECT_EQ(attribute_name(200), "UNKNOWN");
  EXPECT_EQ(capability_name(cap::kAddPath), "add-path");
  EXPECT_EQ(capability_name(cap::kFqdn), "fqdn");
}

}  // namespace
}  // namespace ridgeline::bgp
