// Framing and the small messages: RFC 4271 §4.1, §4.4, §4.5, §6.1; RFC 2918; RFC 7313.
#include "wire_test_util.h"

namespace ridgeline::bgp {
namespace {
using namespace testing;

WireError frame_error(const Bytes& stream, const DecodeContext& ctx = {}) {
  auto f = next_frame(stream, ctx);
  if (f) {
    ADD_FAILURE() << "framing unexpectedly succeeded";
    return {};
  }
  return f.error();
}

Bytes with_length(uint16_t length, uint8_t type, size_t body_size) {
  Bytes out(16, 0xff);
  out.push_back(static_cast<uint8_t>(length >> 8));
  out.push_back(static_cast<uint8_t>(length));
  out.push_back(type);
  out.resize(out.size() + body_size, 0);
  return out;
}

TEST(Header, BadMarkerIsConnectionNotSynchronized) {
  Bytes m = encode_keepalive();
  m[3] = 0xfe;
  auto e = frame_error(m);
  EXPECT_EQ(e.action, ErrorAction::SessionReset);
  EXPECT_EQ(e.code, 1);
  EXPECT_EQ(e.subcode, 1);
}

TEST(Header, LengthOutOfRangeIsBadLengthWithTheLengthAsData) {
  auto e = frame_error(with_length(18, 4, 0));
  EXPECT_EQ(e.code, 1);
  EXPECT_EQ(e.subcode, 2);
  EXPECT_EQ(e.data, hex("0012"));
  e = frame_error(with_length(4097, 2, 4097 - 19));
  EXPECT_EQ(e.subcode, 2);
  EXPECT_EQ(e.data, hex("1001"));
}

TEST(Header, ExtendedMessageAllowsLargeUpdatesOnly) {
  DecodeContext ext;
  ext.extended_message = true;
  auto big_update = with_length(5000, 2, 5000 - 19);
  auto f = next_frame(big_update, ext);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->has_value());
  EXPECT_EQ((*f)->size, 5000u);
  // RFC 8654 §3: OPEN and KEEPALIVE never exceed 4096.
  auto e = frame_error(with_length(5000, 1, 5000 - 19), ext);
  EXPECT_EQ(e.subcode, 2);
  EXPECT_EQ(e.data, hex("1388"));
}

TEST(Header, MessageSizeLimitBelowTheNegotiatedMaximumIsBadLength) {
  DecodeContext ext;
  ext.extended_message = true;
  ext.message_size_limit = 4500;  // bgp limit message-size 4500
  auto f = next_frame(with_length(4500, 2, 4500 - 19), ext);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->has_value());
  auto e = frame_error(with_length(4501, 2, 4501 - 19), ext);
  EXPECT_EQ(e.subcode, 2);
  EXPECT_EQ(e.data, hex("1195"));
  // Without extended messages the RFC's 4096 still holds, whatever the limit.
  ext.extended_message = false;
  EXPECT_EQ(frame_error(with_length(4097, 2, 4097 - 19), ext).subcode, 2);
}

TEST(Header, UnknownTypeIsBadMessageTypeWithTheTypeAsData) {
  auto e = frame_error(with_length(19, 9, 0));
  EXPECT_EQ(e.code, 1);
  EXPECT_EQ(e.subcode, 3);
  EXPECT_EQ(e.data, Bytes{9});
}

TEST(Header, MessagesShorterThanTheirMinimumAreBadLength) {
  struct Case {
    uint8_t type;
    uint16_t length;
  };
  for (auto c : {Case{1, 28}, Case{2, 22}, Case{3, 20}, Case{4, 20}, Case{5, 22}}) {
    auto e = frame_error(with_length(c.length, c.type, c.length - 19));
    EXPECT_EQ(e.code, 1) << int(c.type);
    EXPECT_EQ(e.subcode, 2) << int(c.type);
    EXPECT_EQ(e.data, Bytes({0, static_cast<uint8_t>(c.length)})) << int(c.type);
  }
}

TEST(Header, WaitsForTheWholeMessageThenFramesOneAtATime) {
  Bytes stream = cat({encode_keepalive(), encode_notification({6, 2, {}})});
  DecodeContext ctx;
  for (size_t cut = 0; cut < 19; ++cut) {
    auto f = next_frame(ByteSpan(stream).first(cut), ctx);
    ASSERT_TRUE(f);
    EXPECT_FALSE(f->has_value());
  }
  auto f = next_frame(stream, ctx);
  ASSERT_TRUE(f && f->has_value());
  EXPECT_EQ((*f)->type, MessageType::Keepalive);
  EXPECT_EQ((*f)->size, 19u);
  auto g = next_frame(ByteSpan(stream).subspan(19, 20), ctx);  // one byte short
  ASSERT_TRUE(g);
  EXPECT_FALSE(g->has_value());
  auto h = next_frame(ByteSpan(stream).subspan(19), ctx);
  ASSERT_TRUE(h && h->has_value());
  EXPECT_EQ((*h)->type, MessageType::Notification);
  EXPECT_EQ((*h)->body.size(), 2u);
}

TEST(Keepalive, IsExactlyAHeader) {
  EXPECT_EQ(encode_keepalive(), hex("ffffffffffffffffffffffffffffffff 0013 04"));
  auto m = decode_message(encode_keepalive(), {});
  ASSERT_TRUE(m);
  EXPECT_TRUE(std::holds_alternative<Keepalive>(*m));
}

TEST(Notification, RoundTripsWithData) {
  Notification n{6, 1, hex("0001 01 000003e8")};
  Bytes wire = encode_notification(n);
  EXPECT_EQ(wire, cat({hex("ffffffffffffffffffffffffffffffff 001c 03 06 01"), hex("0001 01 000003e8")}));
  auto m = decode_message(wire, {});
  ASSERT_TRUE(m);
  EXPECT_EQ(std::get<Notification>(*m), n);
}

TEST(RouteRefresh, RoundTripsEverySubtype) {
  for (auto st : {RefreshSubtype::Normal, RefreshSubtype::BeginOfRouteRefresh, RefreshSubtype::EndOfRouteRefresh}) {
    RouteRefresh rr{kIpv6Unicast, st};
    Bytes wire = encode_route_refresh(rr);
    EXPECT_EQ(wire.size(), 23u);
    EXPECT_EQ(wire[19], 0);
    EXPECT_EQ(wire[20], 2);  // AFI 2
    EXPECT_EQ(wire[21], static_cast<uint8_t>(st));
    EXPECT_EQ(wire[22], 1);
    auto m = decode_message(wire, {});
    ASSERT_TRUE(m);
    EXPECT_EQ(std::get<RouteRefresh>(*m), rr);
  }
}

TEST(RouteRefresh, LongBorrIsInvalidMessageLengthWithTheMessageAsData) {
  Bytes wire = message(MessageType::RouteRefresh, hex("0001 01 01 00"));
  auto m = decode_message(wire, {});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, 7);
  EXPECT_EQ(m.error().subcode, 1);
  EXPECT_EQ(m.error().data, wire);
  // A normal (subtype 0) refresh may carry ORF data (RFC 5291); it is not an error.
  EXPECT_TRUE(decode_message(message(MessageType::RouteRefresh, hex("0001 00 01 00")), {}));
}

TEST(RouteRefresh, UnknownSubtypeIsKeptForTheCallerToIgnore) {
  auto m = decode_message(message(MessageType::RouteRefresh, hex("0001 07 01")), {});
  ASSERT_TRUE(m);
  EXPECT_EQ(static_cast<int>(std::get<RouteRefresh>(*m).subtype), 7);
}

TEST(DecodeMessage, RejectsTrailingBytes) {
  Bytes two = cat({encode_keepalive(), encode_keepalive()});
  EXPECT_FALSE(decode_message(two, {}));
}

}  // namespace
}  // namespace ridgeline::bgp
