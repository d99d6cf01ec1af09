#include "common/net.h"

#include <gtest/gtest.h>

namespace ridgeline {
namespace {

TEST(IpAddress, ParsesAndPrintsBothFamilies) {
  auto v4 = IpAddress::parse("10.0.1.7");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->v4_host_order(), 0x0a000107u);
  EXPECT_EQ(v4->to_string(), "10.0.1.7");
  auto v6 = IpAddress::parse("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family(), Family::V6);
  EXPECT_EQ(v6->to_string(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::parse("10.0.1"));
  EXPECT_FALSE(IpAddress::parse("banana"));
  EXPECT_FALSE(IpAddress::parse(""));
}

TEST(IpAddress, ClassifiesMartians) {
  EXPECT_TRUE(IpAddress::parse("0.0.0.0")->is_unspecified());
  EXPECT_TRUE(IpAddress::parse("127.1.2.3")->is_loopback());
  EXPECT_TRUE(IpAddress::parse("224.0.0.5")->is_multicast());
  EXPECT_TRUE(IpAddress::parse("fe80::1")->is_link_local());
  EXPECT_TRUE(IpAddress::parse("::1")->is_loopback());
  EXPECT_FALSE(IpAddress::parse("10.0.0.1")->is_multicast());
}

TEST(Prefix, MasksHostBitsSoEqualNetworksCompareEqual) {
  auto a = Prefix::parse("10.0.1.77/24");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->to_string(), "10.0.1.0/24");
  EXPECT_EQ(*a, *Prefix::parse("10.0.1.0/24"));
  EXPECT_EQ(Prefix::parse("10.255.255.255/9")->to_string(), "10.128.0.0/9");
  EXPECT_EQ(Prefix::parse("2001:db8:ffff::/33")->to_string(), "2001:db8:8000::/33");
  EXPECT_EQ(Prefix::parse("10.0.0.1")->length(), 32);
}

TEST(Prefix, RejectsBadLengths) {
  EXPECT_FALSE(Prefix::parse("10.0.0.0/33"));
  EXPECT_FALSE(Prefix::parse("10.0.0.0/"));
  EXPECT_FALSE(Prefix::parse("10.0.0.0/x"));
  EXPECT_FALSE(Prefix::parse("::/129"));
  EXPECT_TRUE(Prefix::parse("::/128"));
}

TEST(Prefix, Contains) {
  auto pool = *Prefix::parse("10.0.1.0/24");
  EXPECT_TRUE(pool.contains(*Prefix::parse("10.0.1.5/32")));
  EXPECT_TRUE(pool.contains(pool));
  EXPECT_FALSE(pool.contains(*Prefix::parse("10.0.0.0/8")));
  EXPECT_FALSE(pool.contains(*Prefix::parse("10.0.2.1/32")));
  EXPECT_FALSE(pool.contains(*Prefix::parse("::/0")));
  EXPECT_TRUE(Prefix::parse("0.0.0.0/0")->contains(*IpAddress::parse("192.0.2.1")));
}

}  // namespace
}  // namespace ridgeline
