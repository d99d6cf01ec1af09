#include "fib/netlink_kernel.h"

#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <map>

namespace ridgeline::fib {
namespace {

constexpr size_t kBatchBytes = 32 * 1024;

int family_of(const IpAddress& a) {
  return a.is_v4() ? AF_INET : AF_INET6;
}

}  // namespace

NetlinkKernel::NetlinkKernel(uint32_t table, uint32_t metric) : table_(table), metric_(metric) {}

NetlinkKernel::~NetlinkKernel() {
  if (sock_) nl_socket_free(sock_);
}

bool NetlinkKernel::open(std::string& error) {
  sock_ = nl_socket_alloc();
  if (!sock_ || nl_connect(sock_, NETLINK_ROUTE) < 0) {
    error = "cannot open a rtnetlink socket";
    return false;
  }
  nl_socket_set_buffer_size(sock_, 4 << 20, 4 << 20);
  nlmsg_set_default_size(512);  // our messages are small; libnl's default is a page each
  nl_socket_disable_auto_ack(sock_);
  return true;
}

size_t NetlinkKernel::apply(const std::vector<Op>& ops) {
  std::map<uint32_t, const Op*> pending;  // seq -> op, until its ack
  std::vector<uint8_t> batch;
  size_t failed = 0;
  auto read_acks = [&] {
    std::vector<uint8_t> buf(64 * 1024);
    while (!pending.empty()) {
      const ssize_t n = recv(nl_socket_get_fd(sock_), buf.data(), buf.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        spdlog::error("fib: netlink recv: {}", std::strerror(errno));
        failed += pending.size();
        pending.clear();
        return;
      }
      int len = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
        if (h->nlmsg_type != NLMSG_ERROR) continue;
        auto* err = static_cast<nlmsgerr*>(nlmsg_data(h));
        auto it = pending.find(h->nlmsg_seq);
        if (it == pending.end()) continue;
        if (err->error != 0) {
          ++failed;
          spdlog::warn("fib: {}: {}", to_string(*it->second), std::strerror(-err->error));
        }
        pending.erase(it);
      }
    }
  };
  auto flush = [&] {
    if (batch.empty()) return;
    if (send(nl_socket_get_fd(sock_), batch.data(), batch.size(), 0) < 0) {
      spdlog::error("fib: netlink send: {}", std::strerror(errno));
      failed += pending.size();
      pending.clear();
    }
    batch.clear();
    read_acks();
  };
  for (const Op& op : ops) {
    nl_msg* msg = nullptr;
    switch (op.kind) {
      case Op::AddNexthop: {
        msg = nlmsg_alloc_simple(RTM_NEWNEXTHOP, NLM_F_CREATE | NLM_F_REPLACE);
        nhmsg nh{};
        nh.nh_family = static_cast<unsigned char>(family_of(op.key.gateway));
        nh.nh_protocol = kProtocolBgp;
        nlmsg_append(msg, &nh, sizeof(nh), NLMSG_ALIGNTO);
        nla_put_u32(msg, NHA_ID, op.id);
        nla_put(msg, NHA_GATEWAY, static_cast<int>(op.key.gateway.bytes().size()), op.key.gateway.bytes().data());
        nla_put_u32(msg, NHA_OIF, static_cast<uint32_t>(op.key.ifindex));
        break;
      }
      case Op::AddGroup:
      case Op::ReplaceGroup: {
        msg = nlmsg_alloc_simple(RTM_NEWNEXTHOP, NLM_F_CREATE | NLM_F_REPLACE);
        nhmsg nh{};
        nh.nh_family = AF_UNSPEC;
        nh.nh_protocol = kProtocolBgp;
        nlmsg_append(msg, &nh, sizeof(nh), NLMSG_ALIGNTO);
        nla_put_u32(msg, NHA_ID, op.id);
        std::vector<nexthop_grp> members(op.members.size());
        for (size_t i = 0; i < op.members.size(); ++i) members[i].id = op.members[i];
        nla_put(msg, NHA_GROUP, static_cast<int>(members.size() * sizeof(nexthop_grp)), members.data());
        break;
      }
      case Op::DeleteNexthop: {
        msg = nlmsg_alloc_simple(RTM_DELNEXTHOP, 0);
        nhmsg nh{};
        nlmsg_append(msg, &nh, sizeof(nh), NLMSG_ALIGNTO);
        nla_put_u32(msg, NHA_ID, op.id);
        break;
      }
      case Op::ReplaceRoute:
      case Op::DeleteRoute: {
        const bool add = op.kind == Op::ReplaceRoute;
        msg = nlmsg_alloc_simple(add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
        rtmsg rt{};
        rt.rtm_family = static_cast<unsigned char>(family_of(op.prefix.address()));
        rt.rtm_dst_len = op.prefix.length();
        rt.rtm_table = static_cast<unsigned char>(table_ < 256 ? table_ : static_cast<uint32_t>(RT_TABLE_UNSPEC));
        rt.rtm_protocol = kProtocolBgp;
        rt.rtm_scope = RT_SCOPE_UNIVERSE;
        rt.rtm_type = RTN_UNICAST;
        nlmsg_append(msg, &rt, sizeof(rt), NLMSG_ALIGNTO);
        nla_put(msg, RTA_DST, static_cast<int>(op.prefix.address().bytes().size()), op.prefix.address().bytes().data());
        nla_put_u32(msg, RTA_TABLE, table_);
        nla_put_u32(msg, RTA_PRIORITY, metric_);
        if (add) nla_put_u32(msg, RTA_NH_ID, op.id);
        break;
      }
    }
    nlmsghdr* h = nlmsg_hdr(msg);
    h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    h->nlmsg_seq = seq_++;
    pending[h->nlmsg_seq] = &op;
    const auto* bytes = reinterpret_cast<const uint8_t*>(h);
    batch.insert(batch.end(), bytes, bytes + NLMSG_ALIGN(h->nlmsg_len));
    nlmsg_free(msg);
    if (batch.size() >= kBatchBytes) flush();
  }
  flush();
  return failed;
}

KernelState NetlinkKernel::dump() {
  KernelState state;
  auto request = [&](int type, int family, size_t header) {
    nl_msg* msg = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_DUMP);
    std::vector<uint8_t> hdr(header, 0);
    hdr[0] = static_cast<uint8_t>(family);
    nlmsg_append(msg, hdr.data(), static_cast<int>(header), NLMSG_ALIGNTO);
    nlmsghdr* h = nlmsg_hdr(msg);
    h->nlmsg_seq = seq_++;
    send(nl_socket_get_fd(sock_), h, h->nlmsg_len, 0);
    const uint32_t seq = h->nlmsg_seq;
    nlmsg_free(msg);
    return seq;
  };
  auto read = [&](uint32_t seq, auto&& each) {
    std::vector<uint8_t> buf(1 << 20);
    for (;;) {
      const ssize_t n = recv(nl_socket_get_fd(sock_), buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      int len = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
        if (h->nlmsg_seq != seq) continue;
        if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) return;
        each(h);
      }
    }
  };
  read(request(RTM_GETNEXTHOP, AF_UNSPEC, sizeof(nhmsg)), [&](nlmsghdr* h) {
    nlattr* tb[NHA_MAX + 1] = {};
    if (nlmsg_parse(h, sizeof(nhmsg), tb, NHA_MAX, nullptr) < 0 || !tb[NHA_ID]) return;
    const uint32_t id = nla_get_u32(tb[NHA_ID]);
    if (tb[NHA_GROUP]) {
      const auto* g = static_cast<const nexthop_grp*>(nla_data(tb[NHA_GROUP]));
      std::vector<NexthopId> members;
      for (int i = 0; i < nla_len(tb[NHA_GROUP]) / static_cast<int>(sizeof(nexthop_grp)); ++i)
        members.push_back(g[i].id);
      state.groups[id] = members;
    } else if (tb[NHA_GATEWAY]) {
      const auto* nh = static_cast<const nhmsg*>(nlmsg_data(h));
      const Family f = nh->nh_family == AF_INET ? Family::V4 : Family::V6;
      NexthopKey key{
          IpAddress::from_bytes(f, {static_cast<const uint8_t*>(nla_data(tb[NHA_GATEWAY])), address_bytes(f)}),
          tb[NHA_OIF] ? static_cast<int>(nla_get_u32(tb[NHA_OIF])) : 0};
      state.nexthops[id] = key;
    }
  });
  for (int family : {AF_INET, AF_INET6}) {
    read(request(RTM_GETROUTE, family, sizeof(rtmsg)), [&](nlmsghdr* h) {
      const auto* rt = static_cast<const rtmsg*>(nlmsg_data(h));
      nlattr* tb[RTA_MAX + 1] = {};
      if (nlmsg_parse(h, sizeof(rtmsg), tb, RTA_MAX, nullptr) < 0) return;
      const uint32_t table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rt->rtm_table;
      if (table != table_ || rt->rtm_type != RTN_UNICAST) return;
      const Family f = rt->rtm_family == AF_INET ? Family::V4 : Family::V6;
      std::array<uint8_t, 16> raw{};
      if (tb[RTA_DST]) std::memcpy(raw.data(), nla_data(tb[RTA_DST]), address_bytes(f));
      const Prefix p(IpAddress::from_bytes(f, {raw.data(), address_bytes(f)}), rt->rtm_dst_len);
      state.routes[p] = {tb[RTA_NH_ID] ? nla_get_u32(tb[RTA_NH_ID]) : 0, rt->rtm_protocol};
    });
  }
  return state;
}

}  // namespace ridgeline::fib
