// The TCP_AO_ADD_KEY argument against the layout of the kernel's struct tcp_ao_add (UAPI, 6.7).
#include "common/tcp_ao.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstddef>

namespace ridgeline::tcp_ao {
namespace {

// The kernel's declaration (include/uapi/linux/tcp.h), for its offsets.
struct UapiAddKey {
  sockaddr_storage addr;
  char alg_name[64];
  int32_t ifindex;
  uint32_t set_current : 1, set_rnext : 1, reserved : 30;
  uint16_t reserved2;
  uint8_t prefix, sndid, rcvid, maclen, keyflags, keylen;
  uint8_t key[80];
} __attribute__((aligned(8)));

TEST(TcpAo, OffsetsAreTheKernels) {
  EXPECT_EQ(sizeof(UapiAddKey), kAddKeySize);
  EXPECT_EQ(offsetof(UapiAddKey, alg_name), kAlgOffset);
  EXPECT_EQ(offsetof(UapiAddKey, ifindex), kIfindexOffset);
  EXPECT_EQ(offsetof(UapiAddKey, reserved2) - 4, kFlagsOffset);
  EXPECT_EQ(offsetof(UapiAddKey, prefix), kPrefixOffset);
  EXPECT_EQ(offsetof(UapiAddKey, sndid), kSndidOffset);
  EXPECT_EQ(offsetof(UapiAddKey, rcvid), kRcvidOffset);
  EXPECT_EQ(offsetof(UapiAddKey, maclen), kMaclenOffset);
  EXPECT_EQ(offsetof(UapiAddKey, keyflags), kKeyflagsOffset);
  EXPECT_EQ(offsetof(UapiAddKey, keylen), kKeylenOffset);
  EXPECT_EQ(offsetof(UapiAddKey, key), kKeyOffset);
}

TEST(TcpAo, Ipv4NeighborKey) {
  const Key key{"s3cret", 5, 7, Algorithm::AesCmac128};
  const auto arg = add_key(*Prefix::parse("10.0.1.11/32"), key, false);
  UapiAddKey k;
  static_assert(sizeof(k) == kAddKeySize);
  std::memcpy(&k, arg.data(), sizeof(k));
  const auto* sin = reinterpret_cast<const sockaddr_in*>(&k.addr);
  EXPECT_EQ(sin->sin_family, AF_INET);
  EXPECT_EQ(ntohl(sin->sin_addr.s_addr), 0x0a00010bu);
  EXPECT_STREQ(k.alg_name, "cmac(aes128)");
  EXPECT_EQ(k.set_current, 0u);
  EXPECT_EQ(k.prefix, 32);
  EXPECT_EQ(k.sndid, 5);
  EXPECT_EQ(k.rcvid, 7);
  EXPECT_EQ(k.maclen, 12);
  EXPECT_EQ(k.keylen, 6);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(k.key), 6), "s3cret");
}

TEST(TcpAo, RangeOnADualStackListenerIsV4Mapped) {
  const auto arg = add_key(*Prefix::parse("10.0.1.0/24"), Key{"k", 1, 1, Algorithm::HmacSha1}, true);
  UapiAddKey k;
  std::memcpy(&k, arg.data(), sizeof(k));
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&k.addr);
  EXPECT_EQ(sin6->sin6_family, AF_INET6);
  EXPECT_EQ(sin6->sin6_addr.s6_addr[10], 0xff);
  EXPECT_EQ(sin6->sin6_addr.s6_addr[11], 0xff);
  EXPECT_EQ(sin6->sin6_addr.s6_addr[12], 10);
  EXPECT_EQ(sin6->sin6_addr.s6_addr[15], 0);
  EXPECT_EQ(k.prefix, 24);
  EXPECT_STREQ(k.alg_name, "hmac(sha1)");
}

TEST(TcpAo, AlgorithmsByName) {
  for (Algorithm a : {Algorithm::HmacSha1, Algorithm::AesCmac128, Algorithm::HmacSha256})
    EXPECT_EQ(parse_algorithm(config_name(a)), a);
  EXPECT_FALSE(parse_algorithm("md5"));
}

}  // namespace
}  // namespace ridgeline::tcp_ao
