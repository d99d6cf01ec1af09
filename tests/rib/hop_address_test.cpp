// HopAddress: interned next hops, shared by equal addresses and gone with their last holder.
#include "rib/hop_address.h"

#include <gtest/gtest.h>

#include <optional>

namespace ridgeline::rib {
namespace {

TEST(HopAddress, EqualAddressesShareOneEntryThatGoesWithTheLastHolder) {
  const size_t before = HopAddress::pool_size();
  std::optional<HopAddress> a = HopAddress(*IpAddress::parse("10.0.1.11"));
  HopAddress b = *IpAddress::parse("10.0.1.11");
  HopAddress c = *IpAddress::parse("2001:db8::1");
  EXPECT_EQ(*a, b);
  EXPECT_FALSE(b == c);
  EXPECT_EQ(b.to_string(), "10.0.1.11");
  EXPECT_EQ(c.address(), *IpAddress::parse("2001:db8::1"));
  EXPECT_EQ(HopAddress::pool_size(), before + 2);
  a.reset();
  EXPECT_EQ(HopAddress::pool_size(), before + 2);  // b still holds it
  b = HopAddress(*IpAddress::parse("10.0.1.12"));  // the last holder of .11 moves on
  EXPECT_EQ(HopAddress::pool_size(), before + 2);
  HopAddress d = *IpAddress::parse("10.0.1.11");  // back, maybe in a reused slot
  EXPECT_EQ(d.address(), *IpAddress::parse("10.0.1.11"));
  EXPECT_EQ(b.address(), *IpAddress::parse("10.0.1.12"));
  EXPECT_EQ(HopAddress().address(), IpAddress{});
  EXPECT_EQ(HopAddress(IpAddress{}), HopAddress());
}

TEST(HopAddress, CopiesAndMovesKeepTheCount) {
  const size_t before = HopAddress::pool_size();
  {
    HopAddress a = *IpAddress::parse("10.9.9.9");
    HopAddress b = a;
    HopAddress c = std::move(a);
    EXPECT_EQ(b, c);
    EXPECT_EQ(HopAddress::pool_size(), before + 1);
  }
  EXPECT_EQ(HopAddress::pool_size(), before);
}

}  // namespace
}  // namespace ridgeline::rib
