#include "fib/netlink_message.h"

#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>

namespace ridgeline::fib {
namespace {

// The attributes of the message at `h`, after a fixed header of `fixed` bytes.
std::vector<const rtattr*> attributes(const nlmsghdr* h, size_t fixed) {
  std::vector<const rtattr*> out;
  auto* a = reinterpret_cast<const rtattr*>(reinterpret_cast<const uint8_t*>(h) + NLMSG_HDRLEN + NLMSG_ALIGN(fixed));
  int left = static_cast<int>(h->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(fixed));
  for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) out.push_back(a);
  EXPECT_EQ(left, 0) << "bytes after the last attribute";
  return out;
}

uint32_t u32_of(const rtattr* a) {
  uint32_t v;
  std::memcpy(&v, RTA_DATA(a), sizeof v);
  return v;
}

TEST(NetlinkMessage, RouteRequestReadsBackWithTheKernelMacros) {
  std::vector<uint8_t> out;
  {
    NetlinkMessage m(out, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, 42);
    rtmsg rt{};
    rt.rtm_family = AF_INET;
    rt.rtm_dst_len = 32;
    m.fixed(rt);
    const std::array<uint8_t, 4> dst{10, 1, 2, 3};
    m.put(RTA_DST, dst.data(), dst.size());
    m.put_u32(RTA_TABLE, 254);
    m.put_u32(RTA_NH_ID, 7);
  }
  ASSERT_GE(out.size(), sizeof(nlmsghdr));
  const auto* h = reinterpret_cast<const nlmsghdr*>(out.data());
  EXPECT_EQ(h->nlmsg_len, out.size());
  EXPECT_EQ(h->nlmsg_len, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rtmsg)) + 3 * RTA_LENGTH(4));
  EXPECT_EQ(h->nlmsg_type, RTM_NEWROUTE);
  EXPECT_EQ(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
  EXPECT_EQ(h->nlmsg_seq, 42u);
  const auto* rt = static_cast<const rtmsg*>(NLMSG_DATA(h));
  EXPECT_EQ(rt->rtm_family, AF_INET);
  EXPECT_EQ(rt->rtm_dst_len, 32);
  const auto attrs = attributes(h, sizeof(rtmsg));
  ASSERT_EQ(attrs.size(), 3u);
  EXPECT_EQ(attrs[0]->rta_type, RTA_DST);
  EXPECT_EQ(RTA_PAYLOAD(attrs[0]), 4u);
  EXPECT_EQ(std::memcmp(RTA_DATA(attrs[0]), "\x0a\x01\x02\x03", 4), 0);
  EXPECT_EQ(attrs[1]->rta_type, RTA_TABLE);
  EXPECT_EQ(u32_of(attrs[1]), 254u);
  EXPECT_EQ(attrs[2]->rta_type, RTA_NH_ID);
  EXPECT_EQ(u32_of(attrs[2]), 7u);
}

TEST(NetlinkMessage, OddSizedAttributesArePaddedWithZeros) {
  std::vector<uint8_t> out;
  {
    NetlinkMessage m(out, RTM_NEWROUTE, 0, 1);
    m.put(1, "abc", 3);
    m.put_u16(2, 0xbeef);
  }
  const auto* h = reinterpret_cast<const nlmsghdr*>(out.data());
  const auto attrs = attributes(h, 0);
  ASSERT_EQ(attrs.size(), 2u);
  EXPECT_EQ(attrs[0]->rta_len, RTA_LENGTH(3));  // the length without the padding
  EXPECT_EQ(reinterpret_cast<const uint8_t*>(attrs[0])[RTA_LENGTH(3)], 0);
  EXPECT_EQ(reinterpret_cast<const uint8_t*>(attrs[1]) - reinterpret_cast<const uint8_t*>(attrs[0]), RTA_SPACE(3));
  uint16_t v;
  std::memcpy(&v, RTA_DATA(attrs[1]), 2);
  EXPECT_EQ(v, 0xbeef);
  EXPECT_EQ(h->nlmsg_len % 4, 0u);
}

TEST(NetlinkMessage, NestCoversItsMembersAndReservedSpace) {
  std::vector<uint8_t> out;
  size_t reserved = 0;
  {
    NetlinkMessage m(out, RTM_NEWROUTE, 0, 1);
    const size_t nest = m.begin_nest(RTA_MULTIPATH);
    reserved = m.reserve(sizeof(rtnexthop));
    m.put_u32(RTA_GATEWAY, 0x0100000a);
    rtnexthop nh{};
    nh.rtnh_len = static_cast<unsigned short>(m.end() - reserved);
    nh.rtnh_ifindex = 5;
    std::memcpy(m.at(reserved), &nh, sizeof nh);
    m.end_nest(nest);
    m.put_u32(RTA_TABLE, 254);  // after the nest: outside it
  }
  const auto* h = reinterpret_cast<const nlmsghdr*>(out.data());
  const auto attrs = attributes(h, 0);
  ASSERT_EQ(attrs.size(), 2u);
  EXPECT_EQ(attrs[0]->rta_type, RTA_MULTIPATH | NLA_F_NESTED);
  EXPECT_EQ(RTA_PAYLOAD(attrs[0]), sizeof(rtnexthop) + RTA_LENGTH(4));
  const auto* nh = static_cast<const rtnexthop*>(RTA_DATA(attrs[0]));
  EXPECT_EQ(nh->rtnh_ifindex, 5);
  EXPECT_EQ(nh->rtnh_len, sizeof(rtnexthop) + RTA_LENGTH(4));
  const auto* gw = reinterpret_cast<const rtattr*>(RTNH_DATA(nh));
  EXPECT_EQ(gw->rta_type, RTA_GATEWAY);
  EXPECT_EQ(u32_of(gw), 0x0100000au);
  EXPECT_EQ(attrs[1]->rta_type, RTA_TABLE);
}

TEST(NetlinkMessage, MessagesFollowEachOtherInOneBuffer) {
  std::vector<uint8_t> out;
  for (uint32_t seq = 1; seq <= 3; ++seq) {
    NetlinkMessage m(out, RTM_DELROUTE, 0, seq);
    m.put(RTA_DST, "abcde", seq);  // 1, 2 and 3 bytes: each message padded
  }
  int left = static_cast<int>(out.size());
  uint32_t seen = 0;
  for (auto* h = reinterpret_cast<const nlmsghdr*>(out.data()); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
    ++seen;
    EXPECT_EQ(h->nlmsg_seq, seen);
    EXPECT_EQ(h->nlmsg_len, NLMSG_HDRLEN + RTA_SPACE(seen));
  }
  EXPECT_EQ(seen, 3u);
  EXPECT_EQ(left, 0);
}

}  // namespace
}  // namespace ridgeline::fib
