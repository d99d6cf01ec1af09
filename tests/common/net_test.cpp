#include "common/net.h"

#include <gtest/gtest.h>

#include <random>
#include <tuple>
#include <vector>

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

// The word-wise mask against a bit-by-bit one, at every length of both families.
TEST(Prefix, MaskKeepsExactlyTheFirstLengthBits) {
  const IpAddress v4 = *IpAddress::parse("255.170.85.255");
  const IpAddress v6 = *IpAddress::parse("ffff:aaaa:5555:ffff:ffff:aaaa:5555:ffff");
  for (const IpAddress& a : {v4, v6}) {
    for (unsigned len = 0; len <= max_prefix_length(a.family()); ++len) {
      std::array<uint8_t, 16> want{};
      for (unsigned bit = 0; bit < len; ++bit) want[bit / 8] |= a.raw()[bit / 8] & (0x80 >> (bit % 8));
      const Prefix p(a, static_cast<uint8_t>(len));
      EXPECT_EQ(p.address().raw(), want) << a.to_string() << "/" << len;
      EXPECT_EQ(p.length(), len);
      EXPECT_EQ(p.family(), a.family());
    }
  }
  EXPECT_NE(Prefix(v4, 32), Prefix(IpAddress::from_bytes(Family::V6, v4.raw()), 32));  // same bytes, not equal
}

// The word-wise ordering is the byte-by-byte one, family first (what maps and sorts rely on).
TEST(IpAddress, OrdersByFamilyThenBytes) {
  std::mt19937 rng(5);
  std::vector<IpAddress> all;
  for (int i = 0; i < 300; ++i) {
    std::array<uint8_t, 16> raw{};
    const bool v6 = rng() % 2;
    for (size_t b = 0; b < (v6 ? 16u : 4u); ++b) raw[b] = static_cast<uint8_t>(rng() % 3 == 0 ? 0 : rng());
    all.push_back(IpAddress::from_bytes(v6 ? Family::V6 : Family::V4, {raw.data(), v6 ? 16u : 4u}));
  }
  all.push_back(all[7]);  // an equal pair
  for (const IpAddress& a : all) {
    for (const IpAddress& b : all) {
      const auto want = std::make_tuple(a.family(), a.raw()) <=> std::make_tuple(b.family(), b.raw());
      ASSERT_EQ(a <=> b, want) << a.to_string() << " " << b.to_string();
      ASSERT_EQ(a == b, want == 0);
    }
  }
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
