#include "fib/link_monitor.h"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace ridgeline::fib {

LinkMonitor::~LinkMonitor() {
  if (events_) nl_socket_free(events_);
}

bool LinkMonitor::open(std::string& error) {
  events_ = nl_socket_alloc();
  if (!events_ || nl_connect(events_, NETLINK_ROUTE) < 0 ||
      nl_socket_add_memberships(events_, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, 0) < 0) {
    error = "cannot subscribe to rtnetlink link and address notifications";
    return false;
  }
  nl_socket_set_nonblocking(events_);
  nl_socket_set_buffer_size(events_, 1 << 20, 0);
  return true;
}

int LinkMonitor::fd() const {
  return events_ ? nl_socket_get_fd(events_) : -1;
}

void LinkMonitor::parse(const nlmsghdr* h, std::vector<LinkEvent>& out) {
  auto* msg = const_cast<nlmsghdr*>(h);
  if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) {
    const auto* ifi = static_cast<const ifinfomsg*>(nlmsg_data(msg));
    if (ifi->ifi_flags & IFF_LOOPBACK) return;
    LinkEvent::Kind kind = LinkEvent::LinkRemoved;
    if (h->nlmsg_type == RTM_NEWLINK)
      kind = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING) ? LinkEvent::LinkUp : LinkEvent::LinkDown;
    out.push_back({kind, ifi->ifi_index, {}});
    return;
  }
  if (h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != RTM_DELADDR) return;
  const auto* ifa = static_cast<const ifaddrmsg*>(nlmsg_data(msg));
  if (ifa->ifa_scope == RT_SCOPE_HOST || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)) return;
  nlattr* tb[IFA_MAX + 1] = {};
  if (nlmsg_parse(msg, sizeof(ifaddrmsg), tb, IFA_MAX, nullptr) < 0) return;
  // IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer's on point-to-point links).
  const nlattr* a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  const Family f = ifa->ifa_family == AF_INET ? Family::V4 : Family::V6;
  if (!a || nla_len(a) < static_cast<int>(address_bytes(f))) return;
  const IpAddress addr = IpAddress::from_bytes(f, {static_cast<const uint8_t*>(nla_data(a)), address_bytes(f)});
  if (f == Family::V6 && ifa->ifa_scope == RT_SCOPE_LINK) return;  // fe80::/64 is on every link
  const uint8_t length = std::min<uint8_t>(ifa->ifa_prefixlen, f == Family::V4 ? 32 : 128);
  out.push_back({h->nlmsg_type == RTM_NEWADDR ? LinkEvent::AddressAdded : LinkEvent::AddressRemoved,
                 static_cast<int>(ifa->ifa_index), Prefix(addr, length)});
}

std::vector<LinkEvent> LinkMonitor::dump() {
  // A socket of its own, so that the answers do not mix with notifications.
  std::vector<LinkEvent> out;
  nl_sock* s = nl_socket_alloc();
  if (!s || nl_connect(s, NETLINK_ROUTE) < 0) {
    spdlog::error("fib: cannot open a rtnetlink socket to dump links");
    if (s) nl_socket_free(s);
    return out;
  }
  timeval timeout{5, 0};
  setsockopt(nl_socket_get_fd(s), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::vector<uint8_t> buf(256 * 1024);
  for (int type : {RTM_GETLINK, RTM_GETADDR}) {
    nl_msg* msg = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_DUMP);
    if (type == RTM_GETLINK) {
      ifinfomsg ifi{};
      nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
    } else {
      ifaddrmsg ifa{};
      nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO);
    }
    nlmsghdr* request = nlmsg_hdr(msg);
    request->nlmsg_seq = static_cast<uint32_t>(type);
    send(nl_socket_get_fd(s), request, request->nlmsg_len, 0);
    nlmsg_free(msg);
    for (bool done = false; !done;) {
      const ssize_t n = recv(nl_socket_get_fd(s), buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        spdlog::error("fib: link dump: {}", n < 0 ? std::strerror(errno) : "closed");
        break;
      }
      int len = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
        if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
          done = true;
          break;
        }
        parse(h, out);
      }
    }
  }
  nl_socket_free(s);
  return out;
}

std::vector<LinkEvent> LinkMonitor::read(bool& overflowed) {
  std::vector<LinkEvent> out;
  std::vector<uint8_t> buf(64 * 1024);
  for (;;) {
    const ssize_t n = recv(fd(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        overflowed = true;  // notifications were lost: the caller dumps again
        continue;
      }
      return out;  // EAGAIN: nothing more pending
    }
    if (n == 0) return out;
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); nlmsg_ok(h, len); h = nlmsg_next(h, &len)) parse(h, out);
  }
}

}  // namespace ridgeline::fib
