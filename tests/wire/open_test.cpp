// OPEN (RFC 4271 §4.2, §6.2), capabilities (RFC 5492 and the RFCs of each), RFC 9072.
#include "wire_test_util.h"

namespace ridgeline::bgp {
namespace {
using namespace testing;

Open full_open() {
  Open o;
  o.my_as = kAsTrans;
  o.hold_time = 90;
  o.bgp_identifier = 0x0a000001;
  auto& c = o.capabilities;
  c.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  c.route_refresh = true;
  c.route_refresh_cisco = true;
  c.enhanced_route_refresh = true;
  c.extended_message = true;
  c.four_octet_as = 4200000001u;
  c.graceful_restart = GracefulRestartCapability{true, true, 120, {{kIpv4Unicast, true}, {kIpv6Unicast, false}}};
  c.add_path = AddPathCapability{{{kIpv4Unicast, 3}, {kIpv6Unicast, 1}}};
  c.fqdn = FqdnCapability{"node-1", "cluster.local"};
  c.unknown = {{200, hex("0102")}, {201, {}}};
  return o;
}

Open decode_open_message(const Bytes& wire) {
  auto m = decode_message(wire, {});
  if (!m) {
    ADD_FAILURE() << m.error().reason;
    return {};
  }
  return std::get<Open>(*m);
}

Result<Open, WireError> decode_body(const Bytes& body) {
  return decode_open(body);
}

// version 4, AS 64500, hold 90, id 10.0.0.1, then `params` with their 1-byte total length.
Bytes open_body(const Bytes& params) {
  return cat({hex("04 fbf4 005a 0a000001"), Bytes{static_cast<uint8_t>(params.size())}, params});
}

TEST(Open, RoundTripsEveryCapability) {
  const Open o = full_open();
  EXPECT_EQ(decode_open_message(encode_open(o)), o);
  EXPECT_EQ(o.peer_as(), 4200000001u);
}

TEST(Open, EncodesTheMinimalOpenByteForByte) {
  Open o;
  o.my_as = 64500;
  o.hold_time = 180;
  o.bgp_identifier = 0xc0000201;
  o.capabilities.four_octet_as = 64500;
  EXPECT_EQ(encode_open(o), hex("ffffffffffffffffffffffffffffffff 0025 01 04 fbf4 00b4 c0000201 08"
                                "02 06 41 04 0000fbf4"));
}

TEST(Open, DecodesCapabilitiesSpreadOverSeveralParameters) {
  // Older speakers send one capability per optional parameter.
  auto o = decode_body(open_body(hex("02 06 01 04 0001 00 01  02 02 02 00  02 06 41 04 fbf4fbf4")));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->capabilities.multiprotocol, std::vector<AfiSafi>{kIpv4Unicast});
  EXPECT_TRUE(o->capabilities.route_refresh);
  EXPECT_EQ(o->capabilities.four_octet_as, 0xfbf4fbf4u);
}

TEST(Open, UnsupportedVersionNamesVersion4) {
  Bytes body = open_body({});
  body[0] = 3;
  auto o = decode_body(body);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, 2);
  EXPECT_EQ(o.error().subcode, 1);
  EXPECT_EQ(o.error().data, hex("0004"));
}

TEST(Open, HoldTimeOneOrTwoIsUnacceptable) {
  for (uint8_t hold : {1, 2}) {
    Bytes body = open_body({});
    body[3] = 0, body[4] = hold;
    auto o = decode_body(body);
    ASSERT_FALSE(o);
    EXPECT_EQ(o.error().subcode, 6) << int(hold);
  }
  for (uint8_t hold : {0, 3}) {
    Bytes body = open_body({});
    body[3] = 0, body[4] = hold;
    EXPECT_TRUE(decode_body(body)) << int(hold);
  }
}

TEST(Open, ZeroIdentifierIsBadBgpIdentifier) {
  auto o = decode_body(hex("04 fbf4 005a 00000000 00"));
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, 2);
  EXPECT_EQ(o.error().subcode, 3);
}

TEST(Open, UnknownOptionalParameterIsUnsupported) {
  auto o = decode_body(open_body(hex("01 02 0000")));  // type 1: the deprecated authentication
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, 2);
  EXPECT_EQ(o.error().subcode, 4);
}

TEST(Open, UnknownCapabilityIsKeptNotAnError) {
  auto o = decode_body(open_body(hex("02 05 ee 03 aabbcc")));
  ASSERT_TRUE(o);
  ASSERT_EQ(o->capabilities.unknown.size(), 1u);
  EXPECT_EQ(o->capabilities.unknown[0].code, 0xee);
  EXPECT_EQ(o->capabilities.unknown[0].value, hex("aabbcc"));
}

TEST(Open, MalformedKnownCapabilityIsAnOpenError) {
  for (const char* params :
       {"02 05 01 03 000100", "02 05 41 03 000001", "02 03 40 01 00", "02 05 45 03 000101", "02 03 49 01 05"}) {
    auto o = decode_body(open_body(hex(params)));
    ASSERT_FALSE(o) << params;
    EXPECT_EQ(o.error().code, 2) << params;
    EXPECT_EQ(o.error().subcode, 0) << params;
  }
}

TEST(Open, LengthsThatDisagreeAreErrors) {
  EXPECT_FALSE(decode_body(cat({hex("04 fbf4 005a 0a000001 09"), hex("02 06 41 04 0000fbf4")})));  // 9 != 8
  EXPECT_FALSE(decode_body(cat({hex("04 fbf4 005a 0a000001 08"), hex("02 07 41 04 0000fbf4")})));  // cap overruns
  EXPECT_FALSE(decode_body(cat({hex("04 fbf4 005a 0a000001 00"), hex("00")})));                    // trailing byte
}

TEST(Open, Rfc9072ExtendedParametersDecode) {
  // Non-Ext OP Len 255, Non-Ext OP Type 255, Extended Opt. Parm. Length 9, then one
  // capabilities parameter with a 2-octet length of 6.
  auto o = decode_body(hex("04 fbf4 005a 0a000001 ff ff 0009 02 0006 41 04 0000fbf4"));
  ASSERT_TRUE(o) << o.error().reason;
  EXPECT_TRUE(o->extended_parameters);
  EXPECT_EQ(o->capabilities.four_octet_as, 64500u);
}

TEST(Open, EncodesRfc9072WhenCapabilitiesExceed255Bytes) {
  Open o = full_open();
  o.capabilities.unknown.push_back({202, Bytes(250, 0x5a)});
  Bytes wire = encode_open(o);
  EXPECT_EQ(wire[28], 255);
  EXPECT_EQ(wire[29], 255);
  Open back = decode_open_message(wire);
  EXPECT_TRUE(back.extended_parameters);
  back.extended_parameters = false;
  EXPECT_EQ(back, o);
}

TEST(Open, EveryTruncationIsAnErrorNotAnOverread) {
  const Bytes wire = encode_open(full_open());
  const Bytes body(wire.begin() + 19, wire.end());
  ASSERT_TRUE(decode_body(body));
  for (size_t cut = 0; cut < body.size(); ++cut) {
    EXPECT_FALSE(decode_body(Bytes(body.begin(), body.begin() + static_cast<long>(cut)))) << cut;
  }
}

}  // namespace
}  // namespace ridgeline::bgp
